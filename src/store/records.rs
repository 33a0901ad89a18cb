//! Records kept in sled, each encoded as a schema version byte followed by
//! bincode, so a later version can read (or refuse clearly) what an older one
//! wrote.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::StoreError;

pub const SCHEMA_VERSION: u8 = 1;

/// Most bytes a decode may claim for strings and vectors. Records are far
/// smaller (a request body is capped at 1 MiB); without a limit a corrupt
/// or hostile length prefix (a journal entry in a sync bundle, found by
/// fuzzing) makes bincode allocate gigabytes before it notices.
const DECODE_LIMIT: usize = 64 << 20;

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
            let config = bincode::config::standard().with_limit::<DECODE_LIMIT>();
            bincode::serde::decode_from_slice(rest, config)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_length_prefix_is_corrupt_not_an_allocation() {
        // A string claiming 2^62 bytes: bincode's varint marker 253, then a u64.
        let mut bytes = vec![SCHEMA_VERSION, 253];
        bytes.extend((1u64 << 62).to_le_bytes());
        let err = decode::<String>("test record", &bytes).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        // Ordinary records still round-trip.
        let big = "Máy tính xách tay ".repeat(50_000);
        assert_eq!(decode::<String>("test record", &encode(&big)).unwrap(), big);
    }
}
