//! Events on the wire and in bundles: each journal entry exactly as the site
//! stores it (version byte + bincode), framed by a 4-byte big-endian length.
//! Sending the stored bytes keeps the hash chain checkable at the centre:
//! the hash of an entry is the SHA-256 of these bytes.

use crate::audit::Entry;
use crate::store::records::{decode, encode_plain, plain};

/// No stored entry comes near this (sled keeps values well under 128 KiB);
/// a longer frame is damage, not data.
pub const MAX_FRAME: usize = 1 << 20;

/// The largest upload the centre accepts; the site's batch limit must stay
/// below it.
pub const MAX_BATCH_BYTES: usize = 32 << 20;

/// How big one upload may get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_events: usize,
    pub max_bytes: usize,
}

/// Appends one framed entry.
pub fn push_frame(out: &mut Vec<u8>, entry: &[u8]) {
    out.extend_from_slice(&(entry.len() as u32).to_be_bytes());
    out.extend_from_slice(entry);
}

/// A batch taken from the journal: framed entries `first..=last`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Batch {
    pub first: u64,
    pub last: u64,
    pub count: usize,
    pub body: Vec<u8>,
}

/// Takes entries `(seq, stored bytes)` in order until either limit would be
/// passed; always at least one, so an entry larger than `max_bytes` still
/// goes (alone).
pub fn take<E>(
    entries: impl IntoIterator<Item = Result<(u64, impl AsRef<[u8]>), E>>,
    limits: Limits,
) -> Result<Batch, E> {
    let mut b = Batch::default();
    for item in entries {
        let (seq, bytes) = item?;
        let bytes = bytes.as_ref();
        if b.count > 0
            && (b.count >= limits.max_events || b.body.len() + 4 + bytes.len() > limits.max_bytes)
        {
            break;
        }
        if b.count == 0 {
            b.first = seq;
        }
        b.last = seq;
        b.count += 1;
        push_frame(&mut b.body, bytes);
        if b.count >= limits.max_events {
            break;
        }
    }
    Ok(b)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("event {index} is cut off: {need} bytes announced, {have} left")]
    Truncated {
        index: usize,
        need: usize,
        have: usize,
    },
    #[error("event {index} announces {len} bytes, more than any event can be")]
    TooLong { index: usize, len: usize },
    #[error("event {index} is not a journal entry: {reason}")]
    Unreadable { index: usize, reason: String },
    #[error("event {index} (sequence {seq}) is not encoded the way the site stores it")]
    NotCanonical { index: usize, seq: u64 },
}

/// One received event: the entry and the exact bytes it came as.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    pub entry: Entry,
    pub bytes: &'a [u8],
}

/// Splits framed entries and decodes each. An entry must re-encode to the
/// same bytes: its hash, and so the chain, is over those bytes.
pub fn decode_frames(mut body: &[u8]) -> Result<Vec<Event<'_>>, FrameError> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let index = out.len() + 1;
        let Some((len, rest)) = body.split_first_chunk::<4>() else {
            return Err(FrameError::Truncated {
                index,
                need: 4,
                have: body.len(),
            });
        };
        let len = u32::from_be_bytes(*len) as usize;
        if len > MAX_FRAME {
            return Err(FrameError::TooLong { index, len });
        }
        if rest.len() < len {
            return Err(FrameError::Truncated {
                index,
                need: len,
                have: rest.len(),
            });
        }
        let (bytes, rest) = rest.split_at(len);
        let unreadable = |e: crate::store::StoreError| FrameError::Unreadable {
            index,
            reason: e.to_string(),
        };
        let canonical = plain("journal entry", bytes).map_err(unreadable)?;
        let entry: Entry = decode("journal entry", &canonical).map_err(unreadable)?;
        if encode_plain(&entry) != *canonical {
            return Err(FrameError::NotCanonical {
                index,
                seq: entry.seq,
            });
        }
        out.push(Event { entry, bytes });
        body = rest;
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::records::encode;

    /// A chain of `n` small entries as the site stores them.
    pub(crate) fn journal(n: u64) -> Vec<(u64, Vec<u8>)> {
        let mut prev = [0u8; 32];
        (1..=n)
            .map(|seq| {
                let e = Entry {
                    seq,
                    at: 1_800_000_000 + seq as i64,
                    actor: "ABC12001".into(),
                    action: "job IDA".into(),
                    detail: format!("10917{seq:06}0"),
                    changes: Vec::new(),
                    prev,
                };
                let stored = encode(&e);
                prev = crate::audit::hash(&stored);
                (seq, stored)
            })
            .collect()
    }

    fn ok(j: &[(u64, Vec<u8>)]) -> impl Iterator<Item = Result<(u64, &Vec<u8>), ()>> {
        j.iter().map(|(s, b)| Ok((*s, b)))
    }

    #[test]
    fn batches_stop_at_either_limit() {
        let j = journal(10);
        let size = j[0].1.len() + 4;
        let cases = [
            // (max events, max bytes, expected count)
            (3, usize::MAX, 3),
            (100, size * 4, 4),
            (100, size * 4 + size / 2, 4),
            (2, size * 4, 2),
            (100, 1, 1), // one entry always goes, even past the byte limit
            (100, usize::MAX, 10),
        ];
        for (max_events, max_bytes, want) in cases {
            let b = take(
                ok(&j),
                Limits {
                    max_events,
                    max_bytes,
                },
            )
            .unwrap();
            assert_eq!(b.count, want, "{max_events} events / {max_bytes} bytes");
            assert_eq!((b.first, b.last), (1, want as u64));
            let events = decode_frames(&b.body).unwrap();
            assert_eq!(events.len(), want);
            assert!(events
                .iter()
                .zip(&j)
                .all(|(e, (_, raw))| e.bytes == &raw[..]));
        }
        let empty = take(
            ok(&[]),
            Limits {
                max_events: 5,
                max_bytes: 5,
            },
        )
        .unwrap();
        assert_eq!(empty, Batch::default());
        let failing = [Ok((1, vec![1u8])), Err("disk")];
        assert_eq!(
            take(
                failing,
                Limits {
                    max_events: 5,
                    max_bytes: 99
                }
            ),
            Err("disk")
        );
    }

    #[test]
    fn damaged_frames_are_refused() {
        let j = journal(2);
        let mut body = Vec::new();
        for (_, b) in &j {
            push_frame(&mut body, b);
        }
        let cut = &body[..body.len() - 3];
        assert!(matches!(
            decode_frames(cut),
            Err(FrameError::Truncated { index: 2, .. })
        ));
        assert!(matches!(
            decode_frames(&body[..2]),
            Err(FrameError::Truncated {
                index: 1,
                need: 4,
                ..
            })
        ));
        let mut long = body.clone();
        long[..4].copy_from_slice(&(MAX_FRAME as u32 + 1).to_be_bytes());
        assert!(matches!(
            decode_frames(&long),
            Err(FrameError::TooLong { index: 1, .. })
        ));
        let mut garbage = Vec::new();
        push_frame(&mut garbage, &[1, 0xFF, 0xFF]);
        assert!(matches!(
            decode_frames(&garbage),
            Err(FrameError::Unreadable { index: 1, .. })
        ));
        // Trailing bytes inside a frame: decodes, but is not what was hashed.
        let mut padded = Vec::new();
        let mut bytes = j[0].1.clone();
        bytes.push(0);
        push_frame(&mut padded, &bytes);
        assert!(matches!(
            decode_frames(&padded),
            Err(FrameError::NotCanonical { index: 1, seq: 1 })
        ));
    }
}
