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
