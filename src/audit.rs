//! The audit trail: every state change appends an entry that carries the
//! SHA-256 of the entry before it, so editing, deleting or reordering any
//! entry breaks the chain.

use ring::digest::{digest, SHA256};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Hash of the previous entry; zeros for the first.
    pub prev: [u8; 32],
}

impl Entry {
    /// The hash the next entry chains to.
    pub fn hash(&self) -> [u8; 32] {
        let bytes = crate::store::records::encode(self);
        let mut out = [0u8; 32];
        out.copy_from_slice(digest(&SHA256, &bytes).as_ref());
        out
    }
}

/// Where a chain first goes wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("entry {found} stands where entry {expected} should be (deleted or reordered)")]
    Sequence { expected: u64, found: u64 },
    #[error("entry {0} does not chain to the entry before it (edited)")]
    Link(u64),
}

/// Walks a chain from the start; returns the number of entries and the head hash.
pub fn verify<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
) -> Result<(u64, [u8; 32]), ChainError> {
    let mut prev = [0u8; 32];
    let mut n = 0;
    for e in entries {
        n += 1;
        if e.seq != n {
            return Err(ChainError::Sequence {
                expected: n,
                found: e.seq,
            });
        }
        if e.prev != prev {
            return Err(ChainError::Link(e.seq));
        }
        prev = e.hash();
    }
    Ok((n, prev))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        for seq in 1..=n {
            let prev = out.last().map_or([0; 32], Entry::hash);
            out.push(Entry {
                seq,
                at: 1_700_000_000 + seq as i64,
                actor: "operator".into(),
                action: format!("action {seq}"),
                detail: String::new(),
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
