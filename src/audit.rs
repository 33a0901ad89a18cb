//! The audit trail, which is also the site's journal: every state change
//! appends one entry, in the same transaction as the change, holding who,
//! when, what, the full new state of every record it changed, and the
//! SHA-256 of the entry before it. Editing, deleting or reordering any entry
//! breaks the chain; replaying the changes rebuilds the records, which is
//! how `outpost verify` cross-checks them, how a backup is made consistent,
//! and what sync uploads (the sequence is per site and gap-free).

use ring::digest::{digest, SHA256};
use serde::{Deserialize, Serialize};

use crate::rules::declaration::Declaration;
use crate::rules::eligibility::Direction;
use crate::rules::transport::Transport;
use crate::store::records::{Officer, Output, Site, Terminal, User};
use crate::store::ModeState;

/// A record as a change left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Change {
    Site(Site),
    Mode(ModeState),
    Direction(Direction),
    User(User),
    Terminal(Terminal),
    Declaration(Declaration),
    Transport(Transport),
    /// An officer's console account.
    Officer(Officer),
    /// Reference tables received from the centre, with their version.
    Reference(crate::sync::registry::Reference),
    /// An output queued for a terminal under the store-wide output sequence.
    Output {
        terminal: String,
        seq: u64,
        output: Output,
    },
    /// The journaled settings of `outpost.toml` (see `settings`).
    Config(crate::settings::Settings),
}

impl Change {
    /// Which record the change is to: changes with the same key replace
    /// one another. A declaration keeps its key through amendments.
    pub fn key(&self) -> String {
        match self {
            Change::Site(_) => "site".into(),
            Change::Mode(_) => "mode".into(),
            Change::Direction(d) => format!("direction/{}", d.id),
            Change::User(u) => format!("user/{}", u.code),
            Change::Terminal(t) => format!("terminal/{}", t.id),
            Change::Declaration(d) => format!("declaration/{}", d.number.base()),
            Change::Transport(t) => format!("transport/{}", t.number),
            Change::Officer(o) => format!("officer/{}", o.login),
            Change::Output { terminal, seq, .. } => format!("output/{terminal}/{seq}"),
            Change::Reference(_) => "reference".into(),
            Change::Config(_) => "config".into(),
        }
    }

    /// The record in its canonical encoding, to compare byte for byte with
    /// the plain form of what the store keeps.
    pub fn encoded_record(&self) -> Vec<u8> {
        use crate::store::records::encode_plain as encode;
        match self {
            Change::Site(v) => encode(v),
            Change::Mode(v) => encode(v),
            Change::Direction(v) => encode(v),
            Change::User(v) => encode(v),
            Change::Terminal(v) => encode(v),
            Change::Declaration(v) => encode(v),
            Change::Transport(v) => encode(v),
            Change::Officer(v) => encode(v),
            Change::Output { output, .. } => encode(output),
            Change::Reference(v) => encode(v),
            Change::Config(v) => encode(v),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// 1, 2, 3 … without gaps.
    pub seq: u64,
    /// Unix seconds.
    pub at: i64,
    /// Who: `operator` (CLI), an officer account, or a VNACCS user code.
    pub actor: String,
    /// What, as a short verb phrase (`mode standby -> active`).
    pub action: String,
    /// Why or on what (reason, declaration number …).
    pub detail: String,
    /// The records as this change left them.
    pub changes: Vec<Change>,
    /// Hash of the previous entry; zeros for the first.
    pub prev: [u8; 32],
}

/// The hash the next entry chains to: SHA-256 of the entry's bytes as
/// stored (compressed, when the store compressed it). An entry is encoded
/// once, when it is written; backup, restore and sync move those bytes and
/// never encode it again, so the hash never depends on this build's encoder,
/// and hashing the compressed form costs an eighth of hashing the plain one.
pub fn hash(stored: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, stored).as_ref());
    out
}

/// Where a chain first goes wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("entry {found} stands where entry {expected} should be (deleted or reordered)")]
    Sequence { expected: u64, found: u64 },
    #[error("entry {0} does not chain to the entry before it (edited)")]
    Link(u64),
}

/// Checks a chain one entry at a time, from the first, so a long journal
/// need not be held in memory.
#[derive(Debug, Default)]
pub struct Chain {
    len: u64,
    head: [u8; 32],
}

impl Chain {
    /// `stored`: the bytes `e` was read from.
    pub fn push(&mut self, e: &Entry, stored: &[u8]) -> Result<(), ChainError> {
        let expected = self.len + 1;
        if e.seq != expected {
            return Err(ChainError::Sequence {
                expected,
                found: e.seq,
            });
        }
        if e.prev != self.head {
            return Err(ChainError::Link(e.seq));
        }
        self.len = expected;
        self.head = hash(stored);
        Ok(())
    }

    /// Entries seen and the hash of the last (zeros for none).
    pub fn head(&self) -> (u64, [u8; 32]) {
        (self.len, self.head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::store::records::encode;

    fn verify(entries: &[Entry]) -> Result<(u64, [u8; 32]), ChainError> {
        let mut chain = Chain::default();
        for e in entries {
            chain.push(e, &encode(e))?;
        }
        Ok(chain.head())
    }

    fn chain(n: u64) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        for seq in 1..=n {
            let prev = out.last().map_or([0; 32], |e| hash(&encode(e)));
            out.push(Entry {
                seq,
                at: 1_700_000_000 + seq as i64,
                actor: "operator".into(),
                action: format!("action {seq}"),
                detail: String::new(),
                changes: Vec::new(),
                prev,
            });
        }
        out
    }

    #[test]
    fn tampering_is_detected() {
        assert_eq!(verify(&chain(5)).unwrap().0, 5);
        assert_eq!(verify(&chain(0)).unwrap(), (0, [0; 32]));
        let mut edited = chain(5);
        edited[2].detail = "changed".into();
        assert_eq!(verify(&edited), Err(ChainError::Link(4)));
        let mut deleted = chain(5);
        deleted.remove(2);
        assert_eq!(
            verify(&deleted),
            Err(ChainError::Sequence {
                expected: 3,
                found: 4
            })
        );
        let mut swapped = chain(5);
        swapped.swap(1, 2);
        assert_eq!(
            verify(&swapped),
            Err(ChainError::Sequence {
                expected: 2,
                found: 3
            })
        );
        let mut last_edited = chain(5);
        last_edited[4].actor = "someone".into();
        let head = verify(&last_edited).unwrap().1;
        assert_ne!(head, verify(&chain(5)).unwrap().1, "the head hash changes");
    }
}
