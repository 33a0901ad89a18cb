//! What an operator command answers. The command line and the admin socket
//! carry the English text; the console gets a stable key and its
//! parameters, which its page puts into words in the officer's language.

use serde::Serialize;

use super::officers::MIN_PASSWORD;
use crate::rules::eligibility::Mode;
use crate::rules::numbering::MAX_BLOCK;
use crate::store::StoreError;

/// A command done: the text the command line prints and, for the changes
/// the console makes, what was done in a form the console translates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub text: String,
    pub done: Option<Done>,
}

impl Answer {
    /// An answer that only the command line shows (listings, init, verify).
    pub fn text(text: String) -> Answer {
        Answer { text, done: None }
    }

    pub fn done(text: String, done: Done) -> Answer {
        Answer {
            text,
            done: Some(done),
        }
    }
}

/// A change the console made. Serialises as its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Done {
    ModeSwitched {
        #[serde(skip)]
        to: Mode,
    },
    DirectionIssued {
        id: u32,
    },
    DirectionRevoked {
        id: u32,
    },
    OfficerSaved {
        login: String,
    },
    DeclarantSaved {
        code: String,
    },
    DeclarantDisabled {
        code: String,
    },
    DeclarantEnabled {
        code: String,
    },
    TerminalRemoved {
        code: String,
        terminal: String,
    },
}

impl Done {
    /// A stable key the console translates.
    pub fn key(&self) -> &'static str {
        match self {
            Done::ModeSwitched { to: Mode::Active } => "mode_active",
            Done::ModeSwitched { to: Mode::Standby } => "mode_standby",
            Done::DirectionIssued { .. } => "direction_issued",
            Done::DirectionRevoked { .. } => "direction_revoked",
            Done::OfficerSaved { .. } => "officer_saved",
            Done::DeclarantSaved { .. } => "declarant_saved",
            Done::DeclarantDisabled { .. } => "declarant_disabled",
            Done::DeclarantEnabled { .. } => "declarant_enabled",
            Done::TerminalRemoved { .. } => "terminal_removed",
        }
    }

    /// The values its words need.
    pub fn params(&self) -> serde_json::Value {
        params(self)
    }
}

/// Why a command was refused; its text is what the command line prints.
/// Serialises as its parameters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(untagged)]
pub enum Refusal {
    #[error("give the reason for the switch (--reason)")]
    ModeReason,
    #[error("the direction ends before it starts")]
    DirectionEndsFirst,
    #[error("--max must be at least 1 (leave it out for no limit)")]
    DirectionMax,
    #[error("give the reason or the letter that directs it (--reason)")]
    DirectionReason,
    #[error("there is no direction {id}")]
    NoDirection { id: u32 },
    #[error("a bundle goes back to the command line that asked for it: run `outpost export`")]
    ExportHere,
    #[error("this appliance has no central_url in its configuration, so it does not sync")]
    NoCentral,
    #[error("verify failed: {detail}")]
    Verify { detail: String },
    #[error("backup failed: {detail}")]
    Backup { detail: String },
    #[error("user code must be exactly 8 upper-case letters or digits")]
    UserCode,
    #[error("terminal ID must be exactly 6 upper-case letters or digits")]
    TerminalId,
    #[error("access key must be 1–16 upper-case letters or digits")]
    AccessKey,
    #[error("tax code {code:?} must be up to 13 letters or digits, without a hyphen")]
    TaxCode { code: String },
    #[error("name at least one number block")]
    NoBlock,
    #[error("block {block} is not between 1 and {MAX_BLOCK}")]
    BlockRange { block: u16 },
    #[error("a block is named twice")]
    BlockTwice,
    #[error(
        "this appliance is already site {name:?} with blocks {blocks:?}; a site's blocks never \
         change, but more can be added after them (--site {} --extra-block …)",
        .blocks.first().copied().unwrap_or_default()
    )]
    SiteBlocks { name: String, blocks: Vec<u16> },
    #[error("password must be 1–8 printable ASCII characters without spaces")]
    UserPassword,
    #[error("name at least one tax code the user may declare for")]
    NoTaxCode,
    #[error("the signing certificate does not come from that CA: {detail}")]
    SigningCa { detail: String },
    #[error("{detail}")]
    SigningCert { detail: String },
    #[error("give both --signing-cert and --signing-ca, or neither")]
    SigningPair,
    #[error("terminal {terminal} is registered with a different access key")]
    OtherAccessKey { terminal: String },
    #[error("there is no declarant {code}")]
    NoDeclarant { code: String },
    #[error("declarant {code} is already disabled")]
    AlreadyDisabled { code: String },
    #[error("declarant {code} is already enabled")]
    AlreadyEnabled { code: String },
    #[error("declarant {code} has no terminal {terminal}")]
    NoTerminal { code: String, terminal: String },
    #[error(
        "terminal {terminal} is the only one of declarant {code}; disable the declarant instead"
    )]
    OnlyTerminal { code: String, terminal: String },
    #[error("officer login {login:?} must be 3–32 lower-case letters, digits, '.', '_' or '-'")]
    OfficerLogin { login: String },
    #[error("an officer's password must be {min}–128 characters")]
    OfficerPassword { min: usize },
    #[error("an officer's name must be 1–100 characters")]
    OfficerName,
    #[error("give the officer at least one role")]
    NoRole,
    #[error("a new officer needs a name")]
    NewOfficerName,
    #[error("a new officer needs a password")]
    NewOfficerPassword,
    #[error("a new officer needs a role")]
    NewOfficerRole,
    /// The store failed (not the command): the console says so in general
    /// words and the text goes to the log.
    #[error("{detail}")]
    Store { detail: String },
}

impl Refusal {
    /// A stable key the console translates.
    pub fn key(&self) -> &'static str {
        match self {
            Refusal::ModeReason => "mode_reason",
            Refusal::DirectionEndsFirst => "direction_ends_first",
            Refusal::DirectionMax => "direction_max",
            Refusal::DirectionReason => "direction_reason",
            Refusal::NoDirection { .. } => "no_direction",
            Refusal::ExportHere => "export_here",
            Refusal::NoCentral => "no_central",
            Refusal::Verify { .. } => "verify",
            Refusal::Backup { .. } => "backup",
            Refusal::UserCode => "user_code",
            Refusal::TerminalId => "terminal_id",
            Refusal::AccessKey => "access_key",
            Refusal::TaxCode { .. } => "tax_code",
            Refusal::NoBlock => "no_block",
            Refusal::BlockRange { .. } => "block_range",
            Refusal::BlockTwice => "block_twice",
            Refusal::SiteBlocks { .. } => "site_blocks",
            Refusal::UserPassword => "user_password",
            Refusal::NoTaxCode => "no_tax_code",
            Refusal::SigningCa { .. } => "signing_ca",
            Refusal::SigningCert { .. } => "signing_cert",
            Refusal::SigningPair => "signing_pair",
            Refusal::OtherAccessKey { .. } => "other_access_key",
            Refusal::NoDeclarant { .. } => "no_declarant",
            Refusal::AlreadyDisabled { .. } => "already_disabled",
            Refusal::AlreadyEnabled { .. } => "already_enabled",
            Refusal::NoTerminal { .. } => "no_terminal",
            Refusal::OnlyTerminal { .. } => "only_terminal",
            Refusal::OfficerLogin { .. } => "officer_login",
            Refusal::OfficerPassword { .. } => "officer_password",
            Refusal::OfficerName => "officer_name",
            Refusal::NoRole => "no_role",
            Refusal::NewOfficerName => "new_officer_name",
            Refusal::NewOfficerPassword => "new_officer_password",
            Refusal::NewOfficerRole => "new_officer_role",
            Refusal::Store { .. } => "store",
        }
    }

    /// The values its words need.
    pub fn params(&self) -> serde_json::Value {
        params(self)
    }

    /// The officer password refusal, with the shortest length allowed.
    pub fn officer_password() -> Refusal {
        Refusal::OfficerPassword { min: MIN_PASSWORD }
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Refusal {
        match e {
            StoreError::NoDirection(id) => Refusal::NoDirection { id },
            e => Refusal::Store {
                detail: e.to_string(),
            },
        }
    }
}

/// The fields of a variant as a JSON object; `{}` for one without.
fn params(v: &impl Serialize) -> serde_json::Value {
    match serde_json::to_value(v) {
        Ok(o @ serde_json::Value::Object(_)) => o,
        _ => serde_json::json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_the_fields_and_the_text_is_unchanged() {
        let r = Refusal::OnlyTerminal {
            code: "ABC12001".into(),
            terminal: "T12345".into(),
        };
        assert_eq!(r.key(), "only_terminal");
        assert_eq!(
            r.params(),
            serde_json::json!({ "code": "ABC12001", "terminal": "T12345" })
        );
        assert_eq!(
            r.to_string(),
            "terminal T12345 is the only one of declarant ABC12001; disable the declarant instead"
        );
        assert_eq!(Refusal::NoBlock.params(), serde_json::json!({}));
        let site = Refusal::SiteBlocks {
            name: "site 001".into(),
            blocks: vec![1, 2],
        };
        assert_eq!(
            site.to_string(),
            "this appliance is already site \"site 001\" with blocks [1, 2]; a site's blocks \
             never change, but more can be added after them (--site 1 --extra-block …)"
        );
        assert_eq!(
            Refusal::officer_password().to_string(),
            "an officer's password must be 10–128 characters"
        );
        assert_eq!(
            Refusal::from(StoreError::NoDirection(7)),
            Refusal::NoDirection { id: 7 }
        );
        let done = Done::ModeSwitched { to: Mode::Standby };
        assert_eq!(
            (done.key(), done.params()),
            ("mode_standby", serde_json::json!({}))
        );
    }
}
