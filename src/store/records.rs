//! Records kept in sled, each encoded as a schema version byte followed by
//! bincode, so a later version can read (or refuse clearly) what an older one
//! wrote.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::StoreError;

pub const SCHEMA_VERSION: u8 = 1;

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![SCHEMA_VERSION];
    // Encoding plain data into a Vec cannot fail.
    out.extend(
        bincode::serde::encode_to_vec(value, bincode::config::standard())
            .expect("encoding a record"),
    );
    out
}

pub fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&SCHEMA_VERSION, rest)) => {
            bincode::serde::decode_from_slice(rest, bincode::config::standard())
                .map(|(v, _)| v)
                .map_err(|e| StoreError::Corrupt {
                    what,
                    reason: e.to_string(),
                })
        }
        Some((v, _)) => Err(StoreError::Corrupt {
            what,
            reason: format!("schema version {v}, this build reads {SCHEMA_VERSION}"),
        }),
        None => Err(StoreError::Corrupt {
            what,
            reason: "empty record".into(),
        }),
    }
}

/// This appliance's identity, set by `outpost init`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    pub name: String,
    /// Number blocks reserved for this site, used in this order.
    pub blocks: Vec<u16>,
    pub created_at: i64,
}

/// A declarant's VNACCS login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub code: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub terminals: Vec<String>,
    pub tax_codes: Vec<String>,
    pub disabled: bool,
    pub created_at: i64,
}

/// A logical terminal and the hash of its access key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terminal {
    pub id: String,
    pub access_key_hash: String,
    /// The CA and certificate serial it signs with, when registered.
    pub signing: Option<crate::smime::Registration>,
}

/// An output waiting in a terminal's queue until the terminal acknowledges it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    /// 7 characters: output code + generation digit (`VAD1AC0`).
    pub out_code: String,
    /// Job that produced it (echoed in the header).
    pub job: String,
    pub user_code: String,
    /// Header subject text (declaration number etc.).
    pub subject: String,
    pub body: String,
    pub created_at: i64,
}

/// What an officer may do in the console. An account holds one or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Clearance, release, document and physical check results.
    Supervision,
    /// Tax notes.
    Tax,
    /// Channel changes, directions.
    Risk,
    /// Mode, accounts, sync state.
    It,
    /// Counts and CSV exports.
    Statistics,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Supervision,
        Role::Tax,
        Role::Risk,
        Role::It,
        Role::Statistics,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Supervision => "supervision",
            Role::Tax => "tax",
            Role::Risk => "risk",
            Role::It => "it",
            Role::Statistics => "statistics",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == s)
    }
}

/// A customs officer's console account. Kept apart from declarants: a
/// VNACCS user code never opens the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Officer {
    pub login: String,
    /// Full name, shown in the console and on clearance outputs.
    pub name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub disabled: bool,
    /// Failed logins since the last successful one.
    pub failed_logins: u32,
    /// Unix seconds until which logins are refused (0: not locked).
    pub locked_until: i64,
    pub created_at: i64,
}
