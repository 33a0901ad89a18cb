//! Statistics officers ask for after an outage: declarations per branch
//! day, kind code, channel, state and trader, and the same as CSV.

use std::collections::BTreeMap;

use serde::Serialize;
use time::UtcOffset;

use super::view::state;
use crate::rules::declaration::{Declaration, Spec};

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub total: u64,
    /// `YYYY-MM-DD` at the branch → count.
    pub by_day: BTreeMap<String, u64>,
    pub by_kind: BTreeMap<String, u64>,
    /// `1`, `2`, `3`, or `none` before registration.
    pub by_channel: BTreeMap<String, u64>,
    pub by_state: BTreeMap<String, u64>,
    /// Importer or exporter tax code.
    pub by_trader: BTreeMap<String, u64>,
}

impl Tally {
    pub fn add(&mut self, d: &Declaration, offset: UtcOffset) {
        let spec = Spec::of(d.number.family);
        let f = spec.fields(d);
        let (y, m, day) = crate::clock::day(d.created_at, offset);
        let bump = |map: &mut BTreeMap<String, u64>, k: String| *map.entry(k).or_default() += 1;
        self.total += 1;
        bump(&mut self.by_day, format!("{y:04}-{m:02}-{day:02}"));
        bump(&mut self.by_kind, f.get(spec.kind).to_string());
        bump(
            &mut self.by_channel,
            d.channel.map_or("none".into(), |c| c.number().to_string()),
        );
        bump(&mut self.by_state, state(d).to_string());
        bump(&mut self.by_trader, f.get(spec.trader).to_string());
    }

    /// `dimension,key,count` rows under a header line.
    pub fn csv(&self) -> String {
        let mut out = String::from("dimension,key,count\r\n");
        for (dim, map) in [
            ("day", &self.by_day),
            ("kind", &self.by_kind),
            ("channel", &self.by_channel),
            ("state", &self.by_state),
            ("trader", &self.by_trader),
        ] {
            for (k, n) in map {
                out.push_str(&format!("{dim},{},{n}\r\n", csv_field(k)));
            }
        }
        out.push_str(&format!("total,,{}\r\n", self.total));
        out
    }
}

/// A CSV field, quoted when it holds a separator, a quote or a line break,
/// and defused when a spreadsheet would read it as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::channel::Channel;
    use crate::rules::declaration::tests::fields;
    use crate::rules::declaration::Status;
    use crate::rules::numbering::DeclNumber;

    fn decl(n: &str, kind: &str, trader: &str, at: i64, channel: Option<Channel>) -> Declaration {
        let n = DeclNumber::parse(n).unwrap();
        let spec = Spec::of(n.family);
        let values = fields(spec, &[(spec.kind, 0, kind), (spec.trader, 0, trader)])
            .values()
            .to_vec();
        Declaration {
            status: if channel.is_some() {
                Status::Registered
            } else {
                Status::PreRegistered
            },
            channel,
            ..Declaration::pre_registered(spec, n, "ABC12001", "T12345", values, at)
        }
    }

    #[test]
    fn counts_per_day_kind_channel_state_and_trader() {
        let vn = UtcOffset::from_hms(7, 0, 0).unwrap();
        let mut t = Tally::default();
        // 2024-01-15 13:26 and 2024-01-16 01:00 at the branch (the second
        // is still the 15th in UTC).
        for d in [
            decl("190170000010", "A11", "0101234567", 1_705_300_000, None),
            decl(
                "190170000020",
                "A11",
                "0101234567",
                1_705_341_600,
                Some(Channel::Red),
            ),
            decl(
                "390170000010",
                "B11",
                "=HYPERLINK(1)",
                1_705_341_600,
                Some(Channel::Green),
            ),
        ] {
            t.add(&d, vn);
        }
        assert_eq!(t.total, 3);
        let map = |pairs: &[(&str, u64)]| -> BTreeMap<String, u64> {
            pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
        };
        assert_eq!(t.by_day, map(&[("2024-01-15", 1), ("2024-01-16", 2)]));
        assert_eq!(t.by_kind, map(&[("A11", 2), ("B11", 1)]));
        assert_eq!(t.by_channel, map(&[("1", 1), ("3", 1), ("none", 1)]));
        assert_eq!(t.by_state, map(&[("pre_registered", 1), ("registered", 2)]));
        let csv = t.csv();
        assert!(
            csv.starts_with("dimension,key,count\r\nday,2024-01-15,1\r\n"),
            "{csv}"
        );
        assert!(csv.contains("trader,'=HYPERLINK(1),1\r\n"), "{csv}");
        assert!(csv.ends_with("total,,3\r\n"));
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
    }
}
