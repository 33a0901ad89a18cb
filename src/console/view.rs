//! Declarations as the console shows them: list rows, filters, and the
//! detail page's data (items with labels, goods lines as a table, linked
//! declarations, outputs, history). Pure: the caller reads the store.

use serde_json::{json, Value};
use time::UtcOffset;

use super::labels;
use crate::audit::{Change, Entry};
use crate::rules::channel::Channel;
use crate::rules::declaration::{Declaration, Spec, Status};
use crate::rules::eligibility::{Basis, Day};
use crate::rules::numbering::{DeclNumber, Family};
use crate::rules::temporary::{self, LineBalance};

/// Where a declaration stands, as officers filter by it.
pub fn state(d: &Declaration) -> &'static str {
    match (d.status, &d.decisions.cleared, &d.decisions.released) {
        (_, Some(_), _) => "cleared",
        (_, None, Some(_)) => "released",
        (Status::Registered, None, None) => "registered",
        (Status::PreRegistered, None, None) => "pre_registered",
    }
}

pub const STATES: [&str; 4] = ["pre_registered", "registered", "released", "cleared"];

fn family(f: Family) -> &'static str {
    match f {
        Family::Import => "import",
        Family::Export => "export",
    }
}

/// Why the record was accepted, as a key the page translates.
pub(super) fn basis(b: Basis) -> Value {
    match b {
        Basis::Outage => json!({ "key": "outage" }),
        Basis::Direction(id) => json!({ "key": "direction", "id": id }),
        Basis::Continuation => json!({ "key": "continuation" }),
    }
}

/// A journal action as a key the page translates, with its parameters.
/// The journal keeps the English text the centre receives, so the console
/// reads it back; an action the page has no words for is shown as written
/// (`None`).
pub fn action(text: &str) -> Option<Value> {
    if let Some(job) = text.strip_prefix("job ") {
        return Some(json!({ "key": "job", "job": job }));
    }
    let decision = text.strip_prefix("decision: ")?;
    if let Some(channel) = decision.strip_prefix("channel ") {
        return Some(json!({ "key": "channel", "channel": channel }));
    }
    let key = match decision {
        "document check passed" => "document_check.passed",
        "document check failed" => "document_check.failed",
        "physical inspection passed" => "inspection.passed",
        "physical inspection failed" => "inspection.failed",
        "release" => "release",
        "clearance" => "clearance",
        "tax note" => "tax_note",
        "transport approval" => "transport_approval",
        _ => return None,
    };
    Some(json!({ "key": key }))
}

/// One row of the list.
pub fn summary(d: &Declaration) -> Value {
    let spec = Spec::of(d.number.family);
    let f = spec.fields(d);
    json!({
        "number": d.number.to_string(),
        "family": family(d.number.family),
        "kind": f.get(spec.kind),
        "state": state(d),
        "channel": d.channel.map(Channel::number),
        "declarant": d.user_code,
        "trader": f.get(spec.trader),
        "trader_name": f.get(spec.trader_name),
        "created_at": d.created_at,
        "registered_at": d.registered_at,
    })
}

/// The list's filters, from the query string. Every one is optional.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Filter {
    pub state: Option<String>,
    pub channel: Option<u8>,
    pub kind: Option<String>,
    /// A declarant's user code or a trader's tax code.
    pub declarant: Option<String>,
    /// Lodged on or after / on or before these branch days.
    pub from: Option<Day>,
    pub until: Option<Day>,
    /// The start of a declaration number.
    pub number: Option<String>,
    /// The divided set whose first declaration has this number.
    pub set: Option<DeclNumber>,
}

/// `YYYY-MM-DD`, as a date input sends it.
fn iso_day(s: &str) -> Option<Day> {
    let mut p = s.split('-');
    let (y, m, d) = (p.next()?, p.next()?, p.next()?);
    if p.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    crate::wire::parse_date(&format!("{d}{m}{y}"))
}

impl Filter {
    pub fn parse(pairs: &[(String, String)]) -> Result<Filter, String> {
        let mut f = Filter::default();
        for (k, v) in pairs {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            match k.as_str() {
                "state" if STATES.contains(&v) => f.state = Some(v.into()),
                "state" => return Err(format!("state {v:?} is not one of {STATES:?}")),
                "channel" => match v.parse::<u8>().ok().and_then(Channel::from_number) {
                    Some(c) => f.channel = Some(c.number()),
                    None => return Err(format!("channel {v:?} is not 1, 2 or 3")),
                },
                "kind" => f.kind = Some(v.to_ascii_uppercase()),
                "declarant" => f.declarant = Some(v.to_ascii_uppercase()),
                "from" | "until" => {
                    let day =
                        iso_day(v).ok_or_else(|| format!("{k} {v:?} is not a YYYY-MM-DD date"))?;
                    if k == "from" {
                        f.from = Some(day);
                    } else {
                        f.until = Some(day);
                    }
                }
                "number" if v.bytes().all(|b| b.is_ascii_digit()) && v.len() <= 12 => {
                    f.number = Some(v.into())
                }
                "number" => return Err(format!("number {v:?} is not up to 12 digits")),
                "set" => match DeclNumber::parse(v) {
                    Some(n) => f.set = Some(n.base()),
                    None => return Err(format!("set {v:?} is not a declaration number")),
                },
                _ => {}
            }
        }
        Ok(f)
    }

    /// The key prefix of the declarations of `family` this filter can
    /// match, `None` when it matches none of them. Keys are numbers without
    /// their amendment digit, so a searched number's first 11 digits are a
    /// prefix of its key whatever its last digit.
    pub fn key_prefix(&self, family: Family) -> Option<Vec<u8>> {
        let family = b'0' + family.digit();
        match self.number.as_deref().map(str::as_bytes) {
            None => Some(vec![family]),
            Some(n) if n.first() == Some(&family) => Some(n[..n.len().min(11)].to_vec()),
            Some(_) => None,
        }
    }

    pub fn matches(&self, d: &Declaration, offset: UtcOffset) -> bool {
        let spec = Spec::of(d.number.family);
        let fields = spec.fields(d);
        let day = crate::clock::day(d.created_at, offset);
        let number = d.number.to_string();
        self.state.as_deref().is_none_or(|s| s == state(d))
            && self
                .channel
                .is_none_or(|c| d.channel.map(Channel::number) == Some(c))
            && self
                .kind
                .as_deref()
                .is_none_or(|k| fields.get(spec.kind) == k)
            && self
                .declarant
                .as_deref()
                .is_none_or(|x| d.user_code == x || fields.get(spec.trader) == x)
            && self.from.is_none_or(|f| day >= f)
            && self.until.is_none_or(|u| day <= u)
            && self
                .number
                .as_deref()
                .is_none_or(|n| number.starts_with(n) || d.number.base().to_string().starts_with(n))
            && self.set.is_none_or(|s| d.divided_set() == Some(s))
    }
}

/// What the detail page shows besides the declaration itself.
pub struct Related {
    /// The temporary declaration this one re-exports or re-imports from.
    pub continues: Option<Declaration>,
    /// For a temporary declaration: its continuations and line balances.
    pub continuations: Vec<Declaration>,
    pub balances: Vec<LineBalance>,
    /// The other declarations of its divided set (first and parts).
    pub divided: Vec<Declaration>,
    /// The journal entries that changed it, oldest first.
    pub history: Vec<Entry>,
    /// Outputs still waiting for the terminal, by output sequence.
    pub pending: Vec<u64>,
}

fn item(id: &str, name: &str, import: bool) -> Value {
    labels::item(id, name, labels::of(id, import))
}

fn link(d: &Declaration) -> Value {
    json!({
        "number": d.number.to_string(),
        "kind": Spec::of(d.number.family).fields(d).get(Spec::of(d.number.family).kind),
        "state": state(d),
    })
}

fn balances(b: &[LineBalance]) -> Value {
    b.iter()
        .map(|l| {
            json!({
                "line": l.line,
                "hs": l.hs,
                "unit": l.unit,
                "original": temporary::format_quantity(l.original),
                "drawn": temporary::format_quantity(l.drawn()),
                "remaining": temporary::format_quantity(l.remaining()),
            })
        })
        .collect()
}

/// A record's journal entries as the detail pages show them, and the
/// outputs those entries queued (`pending`: still waiting for the terminal).
pub fn journal(history: &[Entry], pending: &[u64]) -> (Vec<Value>, Vec<Value>) {
    let mut outputs = Vec::new();
    let rows = history
        .iter()
        .map(|e| {
            for c in &e.changes {
                if let Change::Output { seq, output, .. } = c {
                    outputs.push(json!({
                        "seq": seq,
                        "code": output.out_code,
                        "job": output.job,
                        "at": output.created_at,
                        "pending": pending.contains(seq),
                    }));
                }
            }
            json!({
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "act": action(&e.action),
                "detail": e.detail,
            })
        })
        .collect();
    (rows, outputs)
}

/// The detail page's data.
pub fn detail(d: &Declaration, r: &Related) -> Value {
    let spec = Spec::of(d.number.family);
    let import = d.number.family == Family::Import;
    let f = spec.fields(d);
    let layout = spec.layout;
    let group = layout.group.map_or(0..0, |g| g.start..g.start + g.len);

    // Header items that carry a value, in layout order.
    let header: Vec<Value> = layout
        .items
        .iter()
        .enumerate()
        .filter(|(i, it)| !group.contains(i) && !f.get(it.id).is_empty())
        .map(|(_, it)| {
            let mut v = item(it.id, it.name, import);
            v["value"] = f.get(it.id).into();
            v
        })
        .collect();
    // Goods lines: the columns some line fills, one row per line.
    let reps = f.reps_present();
    let columns: Vec<&crate::wire::layout::Item> = layout.items[group.clone()]
        .iter()
        .filter(|it| reps.iter().any(|&r| !f.get_rep(it.id, r).is_empty()))
        .collect();
    let rows: Vec<Value> = reps
        .iter()
        .map(|&r| {
            let cells: Vec<&str> = columns.iter().map(|it| f.get_rep(it.id, r)).collect();
            json!({ "line": r, "cells": cells })
        })
        .collect();

    let (history, outputs) = journal(&r.history, &r.pending);
    let mut amendments: Vec<String> = Vec::new();
    for c in r.history.iter().flat_map(|e| &e.changes) {
        if let Change::Declaration(x) = c {
            let n = x.number.to_string();
            if x.amended_at.is_some() && !amendments.contains(&n) {
                amendments.push(n);
            }
        }
    }

    json!({
        "summary": summary(d),
        "basis": basis(d.basis),
        "terminal": d.terminal,
        "job": d.job,
        "signed_by": d.signed_by,
        "channel_rule": d.channel_rule,
        "amended_at": d.amended_at,
        "pending_amendment": d.pending_amendment.is_some(),
        "decisions": d.decisions,
        "header": header,
        "lines": {
            "columns": columns.iter().map(|it| item(it.id, it.name, import)).collect::<Vec<_>>(),
            "rows": rows,
        },
        "links": {
            "continues": r.continues.as_ref().map(link),
            "continuations": r.continuations.iter().map(link).collect::<Vec<_>>(),
            "balances": balances(&r.balances),
            "divided": r.divided.iter().map(link).collect::<Vec<_>>(),
            "amendments": amendments,
        },
        "outputs": outputs,
        "history": history,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::decision::Signed;
    use crate::rules::declaration::tests::fields;
    use crate::rules::numbering::DeclNumber;

    fn decl(number: &str, set: &[(&str, u16, &str)]) -> Declaration {
        let n = DeclNumber::parse(number).unwrap();
        let spec = Spec::of(n.family);
        let values = fields(spec, set).values().to_vec();
        Declaration::pre_registered(spec, n, "ABC12001", "T12345", values, 1_705_300_000)
    }

    fn filter(q: &[(&str, &str)]) -> Result<Filter, String> {
        let pairs: Vec<(String, String)> = q
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Filter::parse(&pairs)
    }

    #[test]
    fn a_number_search_reads_only_the_keys_it_can_match() {
        let prefix = |number: &str, family| {
            let q = [("number".to_string(), number.to_string())];
            let f = if number.is_empty() {
                Filter::default()
            } else {
                Filter::parse(&q).unwrap()
            };
            f.key_prefix(family).map(|p| String::from_utf8(p).unwrap())
        };
        for (number, family, want) in [
            ("", Family::Import, Some("1")),
            ("", Family::Export, Some("3")),
            ("19017", Family::Import, Some("19017")),
            ("19017", Family::Export, None),
            // Keys carry amendment 0: the last digit is left to `matches`.
            ("190170000013", Family::Import, Some("19017000001")),
            ("39017000002", Family::Export, Some("39017000002")),
            ("5", Family::Import, None),
        ] {
            assert_eq!(
                prefix(number, family).as_deref(),
                want,
                "{number} {family:?}"
            );
        }
    }

    #[test]
    fn filters_select_by_every_criterion() {
        let vn = UtcOffset::from_hms(7, 0, 0).unwrap();
        let import = decl(
            "190170000010",
            &[("ICB", 0, "A11"), ("IMC", 0, "0101234567")],
        );
        let mut export = decl(
            "390170000020",
            &[("ECB", 0, "B11"), ("EPC", 0, "0309876543")],
        );
        export.status = Status::Registered;
        export.channel = Some(Channel::Yellow);
        export.decisions.cleared = Some(Signed {
            by: "officer:sup1".into(),
            at: 0,
        });
        // 1_705_300_000 is 2024-01-15 13:26 at the branch.
        // (query, matches the import, matches the export)
        type Row = (Vec<(&'static str, &'static str)>, bool, bool);
        let rows: Vec<Row> = vec![
            (vec![], true, true),
            (vec![("state", "pre_registered")], true, false),
            (vec![("state", "cleared")], false, true),
            (vec![("channel", "2")], false, true),
            (vec![("kind", "a11")], true, false),
            (vec![("declarant", "abc12001")], true, true),
            (vec![("declarant", "0309876543")], false, true),
            (
                vec![("from", "2024-01-15"), ("until", "2024-01-15")],
                true,
                true,
            ),
            (vec![("from", "2024-01-16")], false, false),
            (vec![("until", "2024-01-14")], false, false),
            (vec![("number", "3901")], false, true),
            (vec![("number", "190170000010")], true, false),
            (vec![("number", ""), ("kind", " ")], true, true),
        ];
        for (q, want_import, want_export) in rows {
            let f = filter(&q).unwrap();
            assert_eq!(
                (f.matches(&import, vn), f.matches(&export, vn)),
                (want_import, want_export),
                "{q:?}"
            );
        }
        for bad in [
            ("state", "lost"),
            ("channel", "4"),
            ("from", "15/01/2024"),
            ("until", "2024-02-30"),
            ("number", "19x"),
        ] {
            assert!(filter(&[bad]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_detail_shows_items_lines_links_and_outputs() {
        let d = decl(
            "190170000010",
            &[
                ("ICB", 0, "G12"),
                ("IMN", 0, "CÔNG TY VÍ DỤ"),
                ("CMD", 1, "84713020"),
                ("CMN", 1, "Máy tính"),
                ("CMD", 2, "85171200"),
                ("QN1", 2, "5"),
            ],
        );
        let re_export = decl("390170000020", &[("ECB", 0, "G21")]);
        let entry = Entry {
            seq: 7,
            at: 5,
            actor: "ABC12001".into(),
            action: "job IDA".into(),
            detail: d.number.to_string(),
            changes: vec![
                Change::Declaration(d.clone()),
                Change::Output {
                    terminal: "T12345".into(),
                    seq: 3,
                    output: crate::store::records::Output {
                        out_code: "VAD4190".into(),
                        job: "IDA".into(),
                        user_code: "ABC12001".into(),
                        subject: d.number.to_string(),
                        body: String::new(),
                        created_at: 5,
                    },
                },
            ],
            prev: [0; 32],
        };
        let related = Related {
            continues: None,
            continuations: vec![re_export],
            balances: vec![],
            divided: vec![],
            history: vec![entry],
            pending: vec![3],
        };
        let v = detail(&d, &related);
        assert_eq!(v["summary"]["kind"], "G12");
        assert_eq!(v["summary"]["state"], "pre_registered");
        let imn = v["header"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == "IMN")
            .unwrap();
        assert_eq!(imn["vi"], "Tên người nhập khẩu");
        assert_eq!(imn["en"], "Importer name");
        assert_eq!(imn["value"], "CÔNG TY VÍ DỤ");
        let columns: Vec<&str> = v["lines"]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(columns, ["CMD", "CMN", "QN1"]);
        assert_eq!(v["lines"]["rows"][1]["cells"], json!(["85171200", "", "5"]));
        assert_eq!(v["links"]["continuations"][0]["number"], "390170000020");
        assert_eq!(v["links"]["continuations"][0]["kind"], "G21");
        assert_eq!(v["outputs"][0]["code"], "VAD4190");
        assert_eq!(v["outputs"][0]["pending"], true);
        assert_eq!(v["history"][0]["action"], "job IDA");
        assert_eq!(
            v["history"][0]["act"],
            json!({ "key": "job", "job": "IDA" })
        );
        assert_eq!(v["basis"], json!({ "key": "outage" }));
    }

    #[test]
    fn journal_actions_become_keys_the_page_has_words_for() {
        use crate::rules::decision::Decision;
        let note = String::new;
        let decisions = [
            (
                Decision::Channel {
                    channel: 3,
                    reason: note(),
                },
                "channel",
            ),
            (
                Decision::DocumentCheck {
                    passed: true,
                    note: note(),
                },
                "document_check.passed",
            ),
            (
                Decision::DocumentCheck {
                    passed: false,
                    note: note(),
                },
                "document_check.failed",
            ),
            (
                Decision::Inspection {
                    passed: true,
                    note: note(),
                },
                "inspection.passed",
            ),
            (
                Decision::Inspection {
                    passed: false,
                    note: note(),
                },
                "inspection.failed",
            ),
            (Decision::Release, "release"),
            (Decision::Clearance, "clearance"),
            (Decision::TaxNote { text: note() }, "tax_note"),
        ];
        let mut rows: Vec<(String, &str)> =
            decisions.iter().map(|(d, k)| (d.action(), *k)).collect();
        rows.push(("decision: transport approval".into(), "transport_approval"));
        rows.push(("job OLA".into(), "job"));
        let words = super::super::assets::tests::words();
        for (text, key) in &rows {
            let act = action(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(act["key"], *key, "{text}");
            for (lang, keys) in &words {
                assert!(keys.contains(&format!("act.{key}")), "{lang} act.{key}");
            }
        }
        assert_eq!(action("decision: channel 3").unwrap()["channel"], "3");
        assert_eq!(action("registry version 1 -> 2"), None);
        for b in [Basis::Outage, Basis::Direction(4), Basis::Continuation] {
            let key = format!("basis.{}", basis(b)["key"].as_str().unwrap());
            for (lang, keys) in &words {
                assert!(keys.contains(&key), "{lang} {key}");
            }
        }
    }
}
