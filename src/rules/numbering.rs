//! Declaration numbers: 12 digits, drawn from blocks reserved for a site.
//!
//! ```text
//!   1   9   017   000042   0
//!   │   │   │     │        └ amendment digit 0–9 (VNACCS "số nhánh")
//!   │   │   │     └ sequence within the block, 000001–999999
//!   │   │   └ block reserved for one site (001–999; 000 = development only)
//!   │   └ 9 = issued by the backup system (VNACCS numbers carry 0 here)
//!   └ family: 1 import, 3 export (as VNACCS numbers start)
//! ```
//! Two sites never share a block, so their numbers cannot coincide; VNACCS
//! never issues the marker digit 9, so no Outpost number is a VNACCS number.

use std::fmt;

pub const MARKER: u8 = 9;
pub const MAX_SEQ: u32 = 999_999;
/// The block an appliance uses before `outpost init --site` gave it one.
/// The centre never assigns it; its numbers are for trials only.
pub const DEV_BLOCK: u16 = 0;
pub const MAX_BLOCK: u16 = 999;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Family {
    Import,
    Export,
}

impl Family {
    pub fn digit(self) -> u8 {
        match self {
            Family::Import => 1,
            Family::Export => 3,
        }
    }

    fn from_digit(d: u8) -> Option<Family> {
        match d {
            1 => Some(Family::Import),
            3 => Some(Family::Export),
            _ => None,
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct DeclNumber {
    pub family: Family,
    pub block: u16,
    pub seq: u32,
    pub amendment: u8,
}

impl DeclNumber {
    /// Parses a number of this scheme; VNACCS numbers and malformed input give `None`.
    pub fn parse(s: &str) -> Option<DeclNumber> {
        let b = s.as_bytes();
        if b.len() != 12 || !b.iter().all(u8::is_ascii_digit) || b[1] - b'0' != MARKER {
            return None;
        }
        let family = Family::from_digit(b[0] - b'0')?;
        let block: u16 = s[2..5].parse().ok()?;
        let seq: u32 = s[5..11].parse().ok()?;
        if seq == 0 {
            return None;
        }
        Some(DeclNumber {
            family,
            block,
            seq,
            amendment: b[11] - b'0',
        })
    }

    /// The number with its amendment digit set to 0: the key that stays the
    /// same across amendments.
    pub fn base(self) -> DeclNumber {
        DeclNumber {
            amendment: 0,
            ..self
        }
    }

    /// The next amendment's number; `None` at 9 (VNACCS E0208).
    pub fn amended(self) -> Option<DeclNumber> {
        (self.amendment < 9).then(|| DeclNumber {
            amendment: self.amendment + 1,
            ..self
        })
    }
}

impl fmt::Display for DeclNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}{:03}{:06}{}",
            self.family.digit(),
            MARKER,
            self.block,
            self.seq,
            self.amendment
        )
    }
}

/// Every block of the site is used up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("all number blocks of this site are used up ({})", match family { Some(f) => format!("{f:?} declarations"), None => "transport declarations".into() })]
pub struct Exhausted {
    /// `None` for transport numbers.
    pub family: Option<Family>,
}

/// Picks the next number: the first of the site's blocks (in the order the
/// centre assigned them) that still has room. `last_seq` gives the last
/// sequence issued in a block (0 if none).
pub fn next_number(
    family: Family,
    blocks: &[u16],
    last_seq: impl Fn(u16) -> u32,
) -> Result<DeclNumber, Exhausted> {
    next_in_blocks(blocks, MAX_SEQ, last_seq)
        .map(|(block, seq)| DeclNumber {
            family,
            block,
            seq,
            amendment: 0,
        })
        .ok_or(Exhausted {
            family: Some(family),
        })
}

/// The next (block, sequence) in the first of `blocks` that still has room
/// below `max`: the allocation every kind of number shares.
pub fn next_in_blocks(
    blocks: &[u16],
    max: u32,
    last_seq: impl Fn(u16) -> u32,
) -> Option<(u16, u32)> {
    blocks.iter().find_map(|&block| {
        let last = last_seq(block);
        (last < max).then_some((block, last + 1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let n = DeclNumber {
            family: Family::Import,
            block: 17,
            seq: 42,
            amendment: 0,
        };
        assert_eq!(n.to_string(), "190170000420");
        assert_eq!(DeclNumber::parse("190170000420"), Some(n));
        let e = DeclNumber {
            family: Family::Export,
            block: 999,
            seq: 999_999,
            amendment: 9,
        };
        assert_eq!(e.to_string(), "399999999999");
        assert_eq!(DeclNumber::parse(&e.to_string()), Some(e));
    }

    #[test]
    fn vnaccs_and_malformed_numbers_are_not_ours() {
        for s in [
            "101234567890", // VNACCS import: marker digit 0
            "300123456789", // VNACCS export
            "290170000420", // unknown family
            "190170000000", // sequence 0 is never issued
            "19017000042",  // 11 digits
            "1901700004200",
            "19017000042A",
            "",
        ] {
            assert_eq!(DeclNumber::parse(s), None, "{s}");
        }
    }

    #[test]
    fn amendment_digit_stops_at_nine() {
        let mut n = DeclNumber::parse("190170000420").unwrap();
        for d in 1..=9 {
            n = n.amended().unwrap();
            assert_eq!(n.amendment, d);
            assert_eq!(n.base().amendment, 0);
        }
        assert_eq!(n.amended(), None);
    }

    #[test]
    fn next_number_moves_to_the_next_block_when_one_is_full() {
        let cases: Vec<(Vec<u16>, Vec<(u16, u32)>, Result<(u16, u32), ()>)> = vec![
            (vec![17], vec![], Ok((17, 1))),
            (vec![17], vec![(17, 41)], Ok((17, 42))),
            (vec![17, 517], vec![(17, MAX_SEQ)], Ok((517, 1))),
            (vec![17, 517], vec![(17, MAX_SEQ), (517, 5)], Ok((517, 6))),
            (vec![17], vec![(17, MAX_SEQ)], Err(())),
            (vec![], vec![], Err(())),
        ];
        for (blocks, used, want) in cases {
            let got = next_number(Family::Import, &blocks, |b| {
                used.iter().find(|(k, _)| *k == b).map_or(0, |(_, v)| *v)
            })
            .map(|n| (n.block, n.seq))
            .map_err(|_| ());
            assert_eq!(got, want, "{blocks:?} {used:?}");
        }
    }

    #[test]
    fn numbers_of_different_blocks_never_coincide() {
        let mut seen = std::collections::HashSet::new();
        for block in [0u16, 1, 17, 999] {
            for seq in [1u32, 2, 500_000, MAX_SEQ] {
                for amendment in 0..=9 {
                    for family in [Family::Import, Family::Export] {
                        let n = DeclNumber {
                            family,
                            block,
                            seq,
                            amendment,
                        };
                        assert!(seen.insert(n.to_string()), "{n}");
                        assert_eq!(DeclNumber::parse(&n.to_string()), Some(n));
                    }
                }
            }
        }
    }
}
