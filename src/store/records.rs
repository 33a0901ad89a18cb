//! Records kept in sled, each encoded as a schema version byte followed by
//! bincode, so a later version can read (or refuse clearly) what an older one
//! wrote. Large records are stored LZ4-compressed under a second version
//! byte: declarations, output bodies and journal entries are fixed-width
//! text, mostly padding, and compression cuts the bytes written per
//! declaration several times over. The plain form is the canonical one:
//! hashes and byte-for-byte comparisons use it, so a record reads the same
//! whichever way it was stored.

use std::borrow::Cow;

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::StoreError;

/// Plain bincode.
pub const SCHEMA_VERSION: u8 = 1;
/// The same bincode, LZ4 block-compressed after its 4-byte little-endian
/// length.
const COMPRESSED: u8 = 2;
/// Smaller records gain too little to pay for the compression.
const COMPRESS_FROM: usize = 256;

/// Most bytes a decode may claim for strings and vectors. Records are far
/// smaller (a request body is capped at 1 MiB); without a limit a corrupt
/// or hostile length prefix (a journal entry in a sync bundle, found by
/// fuzzing) makes bincode allocate gigabytes before it notices. The same
/// bound caps what a compressed record may claim to expand to.
const DECODE_LIMIT: usize = 64 << 20;

fn bincode_of<T: Serialize>(value: &T) -> Vec<u8> {
    // Encoding plain data into a Vec cannot fail.
    bincode::serde::encode_to_vec(value, bincode::config::standard()).expect("encoding a record")
}

/// The record as stored: compressed when that pays.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let plain = bincode_of(value);
    if plain.len() >= COMPRESS_FROM {
        let packed = lz4_flex::compress_prepend_size(&plain);
        if packed.len() < plain.len() {
            let mut out = Vec::with_capacity(1 + packed.len());
            out.push(COMPRESSED);
            out.extend(packed);
            return out;
        }
    }
    let mut out = Vec::with_capacity(1 + plain.len());
    out.push(SCHEMA_VERSION);
    out.extend(plain);
    out
}

/// The canonical encoding: version byte and plain bincode.
pub fn encode_plain<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![SCHEMA_VERSION];
    out.extend(bincode_of(value));
    out
}

/// The canonical encoding of stored bytes (`encode_plain` of what they hold),
/// without decoding the record.
pub fn plain<'a>(what: &'static str, bytes: &'a [u8]) -> Result<Cow<'a, [u8]>, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt { what, reason };
    match bytes.split_first() {
        Some((&SCHEMA_VERSION, _)) => Ok(Cow::Borrowed(bytes)),
        Some((&COMPRESSED, rest)) => {
            let (size, packed) = lz4_flex::block::uncompressed_size(rest)
                .map_err(|e| corrupt(format!("compressed record: {e}")))?;
            if size > DECODE_LIMIT {
                return Err(corrupt(format!(
                    "compressed record claims {size} bytes, more than any record holds"
                )));
            }
            let mut out = vec![0; 1 + size];
            out[0] = SCHEMA_VERSION;
            let n = lz4_flex::block::decompress_into(packed, &mut out[1..])
                .map_err(|e| corrupt(format!("compressed record: {e}")))?;
            if n != size {
                return Err(corrupt(format!(
                    "compressed record expands to {n} bytes, not the {size} it claims"
                )));
            }
            Ok(Cow::Owned(out))
        }
        Some((v, _)) => Err(corrupt(format!(
            "schema version {v}, this build reads {SCHEMA_VERSION} and {COMPRESSED}"
        ))),
        None => Err(corrupt("empty record".into())),
    }
}

pub fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    let plain = plain(what, bytes)?;
    let config = bincode::config::standard().with_limit::<DECODE_LIMIT>();
    bincode::serde::decode_from_slice(&plain[1..], config)
        .map(|(v, _)| v)
        .map_err(|e| StoreError::Corrupt {
            what,
            reason: e.to_string(),
        })
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

    #[test]
    fn large_records_are_compressed_and_read_like_plain_ones() {
        let small = "IDA".to_string();
        let padded = format!("{:<2000}", "VAD4190 Máy tính xách tay");
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..2000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let stored = [encode(&small), encode(&padded), encode(&noise)];
        assert_eq!(stored[0][0], SCHEMA_VERSION, "too small to compress");
        assert_eq!(stored[1][0], COMPRESSED);
        assert!(stored[1].len() < 200, "{} bytes", stored[1].len());
        assert_eq!(stored[2][0], SCHEMA_VERSION, "incompressible stays plain");
        assert_eq!(decode::<String>("t", &stored[0]).unwrap(), small);
        assert_eq!(decode::<String>("t", &stored[1]).unwrap(), padded);
        assert_eq!(decode::<Vec<u8>>("t", &stored[2]).unwrap(), noise);
        assert_eq!(plain("t", &stored[1]).unwrap(), encode_plain(&padded));
        assert_eq!(plain("t", &stored[0]).unwrap(), encode_plain(&small));
    }

    #[test]
    fn a_damaged_compressed_record_is_corrupt_never_a_panic() {
        let good = encode(&format!("{:<5000}", "VAD1AC0"));
        let claims = |size: u32| {
            let mut b = good.clone();
            b[1..5].copy_from_slice(&size.to_le_bytes());
            b
        };
        let cases = [
            ("claims 4 GiB", claims(u32::MAX)),
            ("claims less than it holds", claims(100)),
            ("claims more than it holds", claims(6000)),
            ("truncated", good[..good.len() / 2].to_vec()),
            ("no length", good[..3].to_vec()),
            ("unknown version", [&[9u8][..], &good[1..]].concat()),
            ("empty", Vec::new()),
        ];
        for (what, bytes) in cases {
            let err = decode::<String>("test record", &bytes).unwrap_err();
            assert!(matches!(err, StoreError::Corrupt { .. }), "{what}: {err}");
        }
        // Every single flipped byte is either caught or decodes to something;
        // none panics.
        for i in 1..good.len() {
            let mut b = good.clone();
            b[i] ^= 0x5a;
            let _ = decode::<String>("test record", &b);
        }
    }
}
