//! The declaration model and the checks an import declaration (IDA) must
//! pass beyond its layout.

use serde::{Deserialize, Serialize};

use super::channel::{Channel, ChannelRules, Facts};
use super::eligibility::Basis;
use super::numbering::DeclNumber;
use crate::wire::{Fields, ResultCode};

/// Where a declaration stands in the VNACCS flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// IDA accepted: number issued, data can still be replaced by a new IDA.
    PreRegistered,
    /// IDC done: the declaration is lodged and has a channel.
    Registered,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Declaration {
    pub number: DeclNumber,
    pub status: Status,
    /// Why the backup system took it (outage, direction, continuation).
    pub basis: Basis,
    pub channel: Option<Channel>,
    /// Name of the channel rule that decided, `None` for the default.
    pub channel_rule: Option<String>,
    /// VNACCS user code that lodged it and the terminal it came from.
    pub user_code: String,
    pub terminal: String,
    /// Job whose layout `values` follow (`IDA`).
    pub job: String,
    pub values: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
    pub registered_at: Option<i64>,
}

/// Import declaration kind codes (Decision 1357/QĐ-TCHQ).
pub const IMPORT_KIND_CODES: &[&str] = &[
    "A11", "A12", "A21", "A31", "A41", "A42", "A43", "A44", "C11", "C21", "E11", "E13", "E15",
    "E21", "E23", "E31", "E33", "E41", "G11", "G12", "G13", "G14", "G51", "H11",
];

/// Who is lodging: the authenticated declarant and the tax codes they may
/// declare for.
pub struct Declarant<'a> {
    pub user_code: &'a str,
    pub tax_codes: &'a [String],
}

/// Business checks of an IDA beyond the layout. Each failure names the
/// field, with the code the IDA table has for it.
pub fn check_import(fields: &Fields, who: &Declarant) -> Vec<ResultCode> {
    let mut errors = Vec::new();
    let kind = fields.get("ICB");
    if !kind.is_empty() && !IMPORT_KIND_CODES.contains(&kind) {
        errors.push(ResultCode::new("S0055", "ICB", 0));
    }
    let importer = fields.get("IMC");
    if importer.is_empty() {
        errors.push(ResultCode::new("E1000", "IMC", 0));
    } else if !who.tax_codes.iter().any(|t| t == importer) {
        // The user may only declare for the enterprises it was provisioned for.
        errors.push(ResultCode::new("U0002", "IMC", 0));
    }
    errors
}

/// What an IDA that names an existing declaration number may do with it:
/// replace the pre-registration of the same declarant before IDC.
pub fn check_replace(existing: Option<&Declaration>, user_code: &str) -> Result<(), ResultCode> {
    match existing {
        None => Err(ResultCode::new("E0213", "ICN", 0)),
        Some(d) if d.user_code != user_code => Err(ResultCode::new("U0002", "ICN", 0)),
        Some(d) if d.status != Status::PreRegistered => Err(ResultCode::new("E0220", "ICN", 0)),
        Some(_) => Ok(()),
    }
}

/// What an IDC may do with the declaration it names.
pub fn check_register(existing: Option<&Declaration>, user_code: &str) -> Result<(), ResultCode> {
    match existing {
        // Another declarant's number is reported as unknown: no existence leak.
        Some(d) if d.user_code == user_code => match d.status {
            Status::PreRegistered => Ok(()),
            Status::Registered => Err(ResultCode::new("E0074", "ICN", 0)),
        },
        _ => Err(ResultCode::new("S0005", "ICN", 0)),
    }
}

/// Channel for an import declaration's fields.
pub fn import_channel<'r>(rules: &'r ChannelRules, fields: &Fields) -> (Channel, Option<&'r str>) {
    let reps = fields.reps_present();
    let facts = Facts {
        kind_code: fields.get("ICB"),
        cargo_class: fields.get("CCC"),
        hs_codes: reps.iter().map(|&r| fields.get_rep("CMD", r)).collect(),
        origins: reps.iter().map(|&r| fields.get_rep("OR", r)).collect(),
        declarant: fields.get("IMC"),
        invoice_value: fields.get("IP4").parse().ok(),
    };
    rules.decide(&facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::numbering::Family;
    use crate::wire::tables::IDA;

    fn ida(pairs: &[(&str, u16, &str)]) -> Fields {
        let mut f = Fields::new(&IDA);
        for (id, rep, v) in pairs {
            f.set_rep(id, *rep, v);
        }
        f
    }

    #[test]
    fn import_checks() {
        let codes = vec!["0101234567".to_string()];
        let who = Declarant {
            user_code: "ABC12001",
            tax_codes: &codes,
        };
        let cases: Vec<(&str, Fields, Vec<&str>)> = vec![
            (
                "valid",
                ida(&[("ICB", 0, "A11"), ("IMC", 0, "0101234567")]),
                vec![],
            ),
            (
                "export kind code",
                ida(&[("ICB", 0, "B11"), ("IMC", 0, "0101234567")]),
                vec!["S0055-ICB -0000"],
            ),
            (
                "no importer",
                ida(&[("ICB", 0, "A11")]),
                vec!["E1000-IMC -0000"],
            ),
            (
                "someone else's tax code",
                ida(&[("ICB", 0, "A11"), ("IMC", 0, "0309999999")]),
                vec!["U0002-IMC -0000"],
            ),
            (
                "both wrong",
                ida(&[("ICB", 0, "ZZZ"), ("IMC", 0, "0309999999")]),
                vec!["S0055-ICB -0000", "U0002-IMC -0000"],
            ),
        ];
        for (name, fields, want) in cases {
            let got: Vec<String> = check_import(&fields, &who)
                .iter()
                .map(|c| c.to_string())
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    fn decl(user: &str, status: Status) -> Declaration {
        Declaration {
            number: DeclNumber {
                family: Family::Import,
                block: 1,
                seq: 1,
                amendment: 0,
            },
            status,
            basis: Basis::Outage,
            channel: None,
            channel_rule: None,
            user_code: user.into(),
            terminal: "T12345".into(),
            job: "IDA".into(),
            values: vec![],
            created_at: 0,
            registered_at: None,
        }
    }

    #[test]
    fn replace_and_register_rules() {
        let pre = decl("ABC12001", Status::PreRegistered);
        let reg = decl("ABC12001", Status::Registered);
        let code = |r: Result<(), ResultCode>| r.err().map(|c| c.to_string());
        assert_eq!(code(check_replace(Some(&pre), "ABC12001")), None);
        assert_eq!(
            code(check_replace(None, "ABC12001")).as_deref(),
            Some("E0213-ICN -0000")
        );
        assert_eq!(
            code(check_replace(Some(&pre), "XYZ99001")).as_deref(),
            Some("U0002-ICN -0000")
        );
        assert_eq!(
            code(check_replace(Some(&reg), "ABC12001")).as_deref(),
            Some("E0220-ICN -0000")
        );
        assert_eq!(code(check_register(Some(&pre), "ABC12001")), None);
        assert_eq!(
            code(check_register(Some(&reg), "ABC12001")).as_deref(),
            Some("E0074-ICN -0000")
        );
        assert_eq!(
            code(check_register(Some(&pre), "XYZ99001")).as_deref(),
            Some("S0005-ICN -0000")
        );
        assert_eq!(
            code(check_register(None, "ABC12001")).as_deref(),
            Some("S0005-ICN -0000")
        );
    }

    #[test]
    fn channel_uses_every_goods_line() {
        let rules = ChannelRules::builtin();
        let f = ida(&[
            ("ICB", 0, "A11"),
            ("CMD", 1, "84713020"),
            ("CMD", 2, "93059100"),
        ]);
        assert_eq!(import_channel(&rules, &f).0, Channel::Red);
    }
}
