//! Temporary import/export and their continuations: deadlines, and the
//! per-line balance a re-export (G21–G24) or re-import (G51) draws on.

use serde::{Deserialize, Serialize};

use super::declaration::{Declaration, Spec, Status, EXPORT, IMPORT};
use super::eligibility::Day;
use super::numbering::{DeclNumber, Family};
use crate::wire::{parse_date, Fields, JobCodes, Kind, ResultCode};

/// Temporary import kinds (re-exported later with G21–G24).
pub const TEMPORARY_IMPORT: &[&str] = &["G11", "G12", "G13", "G14"];
/// Temporary export (re-imported later with G51).
pub const TEMPORARY_EXPORT: &[&str] = &["G61"];
pub const RE_EXPORT: &[&str] = &["G21", "G22", "G23", "G24"];
pub const RE_IMPORT: &[&str] = &["G51"];

/// The deadline field of a family: re-export deadline on imports,
/// re-import deadline on exports.
fn deadline_field(spec: &Spec) -> &'static str {
    match spec.family {
        Family::Import => "RED",
        Family::Export => "RID",
    }
}

fn temporary_kinds(spec: &Spec) -> &'static [&'static str] {
    match spec.family {
        Family::Import => TEMPORARY_IMPORT,
        Family::Export => TEMPORARY_EXPORT,
    }
}

fn continuation_kinds(spec: &Spec) -> &'static [&'static str] {
    match spec.family {
        Family::Import => RE_IMPORT,
        Family::Export => RE_EXPORT,
    }
}

/// The temporary declaration of the other family (re-export ← temporary
/// import, re-import ← temporary export) that data of `spec` continues,
/// when its kind code makes it a continuation and TDN names one.
pub fn continues(spec: &Spec, fields: &Fields) -> Option<DeclNumber> {
    if !continuation_kinds(spec).contains(&fields.get(spec.kind)) {
        return None;
    }
    DeclNumber::parse(fields.get("TDN")).filter(|n| n.family != spec.family)
}

/// Checks of a pre-registration's own temporary-trade fields: a temporary
/// declaration needs a deadline in the future, a continuation names the
/// declaration it continues.
pub fn check_own_fields(spec: &Spec, fields: &Fields, today: Day) -> Vec<ResultCode> {
    let kind = fields.get(spec.kind);
    let deadline = deadline_field(spec);
    let mut errors = Vec::new();
    if temporary_kinds(spec).contains(&kind) {
        match parse_date(fields.get(deadline)) {
            None => errors.push(ResultCode::new("R1003", deadline, 0)),
            Some(day) if day < today => {
                let past = if spec.family == Family::Import {
                    "S1129"
                } else {
                    "S1138"
                };
                errors.push(ResultCode::new(past, deadline, 0));
            }
            Some(_) => {}
        }
    } else if !fields.get(deadline).is_empty() {
        errors.push(ResultCode::new("R1002", deadline, 0));
    }
    if continuation_kinds(spec).contains(&kind) && fields.get("TDN").is_empty() {
        errors.push(ResultCode::new("R1000", "TDN", 0));
    }
    errors
}

/// What continuations (of family `spec`) have drawn on line `line` of the
/// declaration they continue.
fn drawn(spec: &Spec, continuations: &[Declaration], line: u16) -> i128 {
    continuations
        .iter()
        .map(|d| {
            let f = spec.fields(d);
            f.reps_present()
                .into_iter()
                .filter(|&r| f.get_rep("TDL", r).parse::<u16>().ok() == Some(line))
                .filter_map(|r| quantity(f.get_rep("QN1", r)))
                .sum::<i128>()
        })
        .sum()
}

/// One goods line of a temporary declaration and what is left of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineBalance {
    pub line: u16,
    pub hs: String,
    pub unit: String,
    pub original: i128,
    /// Drawn by the re-exports or re-imports lodged here.
    pub here: i128,
    /// Recorded by TIA as re-exported, re-imported or disposed of elsewhere.
    pub elsewhere: i128,
}

impl LineBalance {
    pub fn drawn(&self) -> i128 {
        self.here + self.elsewhere
    }

    pub fn remaining(&self) -> i128 {
        self.original - self.drawn()
    }
}

/// A temporary declaration's management information as TIA corrects it:
/// the deadline (an extension), and what left the balance of each goods
/// line outside this appliance (re-exported through VNACCS, disposed of).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Management {
    pub deadline: Day,
    /// (goods line, quantity in millionths) for lines with such a quantity.
    pub elsewhere: Vec<(u16, i128)>,
    /// Unix seconds of the TIA.
    pub corrected_at: i64,
}

/// What TIA recorded as drawn elsewhere from one goods line.
fn elsewhere(decl: &Declaration, line: u16) -> i128 {
    decl.management.as_ref().map_or(0, |m| {
        m.elsewhere
            .iter()
            .filter(|(l, _)| *l == line)
            .map(|(_, q)| q)
            .sum()
    })
}

/// Whether a declaration is a temporary import or export, and its spec.
pub fn temporary_spec(decl: &Declaration) -> Option<&'static Spec> {
    let spec = Spec::of(decl.number.family);
    temporary_kinds(spec)
        .contains(&spec.fields(decl).get(spec.kind))
        .then_some(spec)
}

/// The re-export/re-import deadline of a temporary declaration: as TIA
/// last set it, or as declared.
pub fn deadline(decl: &Declaration) -> Option<Day> {
    if let Some(m) = &decl.management {
        return Some(m.deadline);
    }
    let spec = Spec::of(decl.number.family);
    parse_date(spec.fields(decl).get(deadline_field(spec)))
}

/// Per-line balances of a temporary declaration, given the continuations
/// lodged against it.
pub fn balances(original: &Declaration, continuations: &[Declaration]) -> Vec<LineBalance> {
    let spec = Spec::of(original.number.family);
    let continuing: &Spec = match spec.family {
        Family::Import => &EXPORT,
        Family::Export => &IMPORT,
    };
    let mine: Vec<Declaration> = continuations
        .iter()
        .filter(|d| d.continues.map(|n| n.base()) == Some(original.number.base()))
        .cloned()
        .collect();
    let f = spec.fields(original);
    f.reps_present()
        .into_iter()
        .map(|r| LineBalance {
            line: r,
            hs: f.get_rep("CMD", r).to_string(),
            unit: f.get_rep("QT1", r).to_string(),
            original: quantity(f.get_rep("QN1", r)).unwrap_or(0),
            here: drawn(continuing, &mine, r),
            elsewhere: elsewhere(original, r),
        })
        .collect()
}

/// A quantity in millionths written back as a decimal, without trailing zeros.
pub fn format_quantity(q: i128) -> String {
    let sign = if q < 0 { "-" } else { "" };
    let (int, frac) = (q.abs() / 1_000_000, q.abs() % 1_000_000);
    if frac == 0 {
        format!("{sign}{int}")
    } else {
        let frac = format!("{frac:06}");
        format!("{sign}{int}.{}", frac.trim_end_matches('0'))
    }
}

/// Quantities as integers of millionths, so balances add up exactly.
pub fn quantity(s: &str) -> Option<i128> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty()
        || frac.len() > 6
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int: i128 = int.parse().ok()?;
    let frac: i128 = format!("{frac:0<6}").parse().ok()?;
    Some(int * 1_000_000 + frac)
}

/// Checks a continuation against the declaration it continues (`original`,
/// `None` when no such declaration is here) and the other continuations of
/// it already lodged (`earlier`, not including the one being replaced).
/// Codes carry the goods line of the request they are about.
pub fn check_continuation(
    spec: &Spec,
    request: &Fields,
    user_code: &str,
    today: Day,
    original: Option<&Declaration>,
    earlier: &[Declaration],
) -> Vec<ResultCode> {
    let sys = |c: &str| vec![ResultCode::new(c, "TDN", 0)];
    let Some(orig) = original else {
        return sys("E8300");
    };
    // G2x continues a temporary import, G51 a temporary export.
    let orig_spec: &Spec = match spec.family {
        Family::Export => &IMPORT,
        Family::Import => &EXPORT,
    };
    if orig.number.family != orig_spec.family {
        return sys(if spec.family == Family::Export {
            "E8301"
        } else {
            "E8309"
        });
    }
    if orig.user_code != user_code {
        return sys("E8304");
    }
    if orig.status != Status::Registered {
        return sys("E8307");
    }
    let of = orig_spec.fields(orig);
    if !temporary_kinds(orig_spec).contains(&of.get(orig_spec.kind)) {
        return sys(if spec.family == Family::Export {
            "E8301"
        } else {
            "E8309"
        });
    }
    if deadline(orig).is_some_and(|d| d < today) {
        // The goods' permitted stay is over: re-export deadline passed.
        return sys("E1111");
    }
    let mut errors = Vec::new();
    for rep in request.reps_present() {
        let line = request.get_rep("TDL", rep);
        let Some(orig_rep) = line
            .parse::<u16>()
            .ok()
            .filter(|r| of.reps_present().contains(r))
        else {
            errors.push(ResultCode::new(
                if line.is_empty() { "R1025" } else { "E8305" },
                "TDL",
                rep,
            ));
            continue;
        };
        if request.get_rep("CMD", rep) != of.get_rep("CMD", orig_rep) {
            errors.push(ResultCode::new("E8308", "CMD", rep));
        }
        if request.get_rep("QT1", rep) != of.get_rep("QT1", orig_rep) {
            errors.push(ResultCode::new("E8348", "QT1", rep));
            continue;
        }
        let available = quantity(of.get_rep("QN1", orig_rep)).unwrap_or(0);
        let used = drawn(spec, earlier, orig_rep) + elsewhere(orig, orig_rep);
        // Two lines of one request may draw on the same original line.
        let this: i128 = request
            .reps_present()
            .into_iter()
            .filter(|&r| {
                r <= rep && request.get_rep("TDL", r).parse::<u16>().ok() == Some(orig_rep)
            })
            .filter_map(|r| quantity(request.get_rep("QN1", r)))
            .sum();
        if used + this > available {
            errors.push(ResultCode::new("E8306", "QN1", rep));
        }
    }
    errors
}

/// The temporary declaration a declaration continues once an amendment
/// with `amended` data takes effect, `current` being the one it continues
/// now. An amendment may make a declaration a continuation, but cannot
/// move a continuation to another temporary declaration or drop its link:
/// the backup system keeps continuation links for good, so the balances
/// they feed stay true.
pub fn amended_link(
    spec: &Spec,
    current: Option<DeclNumber>,
    amended: &Fields,
) -> Result<Option<DeclNumber>, ResultCode> {
    match (current, continues(spec, amended)) {
        (None, new) => Ok(new),
        (Some(now), Some(new)) if new.base() == now.base() => Ok(Some(now)),
        (Some(_), _) => Err(ResultCode::new("E8303", "TDN", 0)),
    }
}

/// Checks a continuation being lodged, replaced or amended (`own`) against
/// the declaration it continues and every continuation lodged against it
/// (`lodged`, as the store links them): what `own` itself drew before does
/// not count, whatever its amendment digit, nor do continuations of
/// another declaration. Codes as [`check_continuation`].
pub fn check_draw(
    spec: &Spec,
    request: &Fields,
    user_code: &str,
    today: Day,
    original: Option<&Declaration>,
    lodged: &[Declaration],
    own: DeclNumber,
) -> Vec<ResultCode> {
    let others: Vec<Declaration> = lodged
        .iter()
        .filter(|d| {
            d.number.base() != own.base()
                && original
                    .is_some_and(|o| d.continues.map(DeclNumber::base) == Some(o.number.base()))
        })
        .cloned()
        .collect();
    check_continuation(spec, request, user_code, today, original, &others)
}

/// Why a management job (ITI, TIB, TIA) cannot act on a declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotManaged {
    /// No declaration with that number here.
    Unknown,
    /// Another declarant's.
    Others,
    /// Not a registered temporary import or export.
    NotTemporary,
}

impl NotManaged {
    /// The code a job answers with: its own for an unknown number and for
    /// one that is not a registered temporary declaration, U0004 (which
    /// every such job's table has) for another declarant's.
    pub fn code<'a>(self, unknown: &'a str, not_temporary: &'a str) -> &'a str {
        match self {
            NotManaged::Unknown => unknown,
            NotManaged::Others => "U0004",
            NotManaged::NotTemporary => not_temporary,
        }
    }
}

/// The declaration a management job found, if it is one of the caller's
/// registered temporary declarations.
pub fn managed(found: Option<Declaration>, user_code: &str) -> Result<Declaration, NotManaged> {
    match found {
        None => Err(NotManaged::Unknown),
        Some(d) if d.user_code != user_code => Err(NotManaged::Others),
        Some(d) if d.status == Status::Registered && temporary_spec(&d).is_some() => Ok(d),
        Some(_) => Err(NotManaged::NotTemporary),
    }
}

/// TIA: the management information sent back for a registered temporary
/// declaration, checked against it (`balances` of its lines, `user_code`
/// and `trader` of the declaration). The lines of the request are the
/// declaration's lines in order, with their HS code, original quantity and
/// unit as registered; what may change is the deadline, which may not be
/// in the past, and the quantity re-exported or re-imported, which may not
/// be less than what was lodged here nor more than the original.
pub fn check_management(
    balances: &[LineBalance],
    user_code: &str,
    trader: &str,
    request: &Fields,
    today: Day,
    now: i64,
) -> Result<Management, Vec<ResultCode>> {
    let table = JobCodes::get("TIA").expect("TIA table");
    // Single-item problems get the table's code for the item.
    let item = |kind, id: &str, rep| ResultCode::new(table.for_field(kind, id), id, rep);
    let mut errors = Vec::new();
    if request.get("CFD") != user_code.get(..5).unwrap_or(user_code) {
        errors.push(ResultCode::new("E0002", "CFD", 0));
    }
    if request.get("IEC") != trader {
        errors.push(ResultCode::new("E0005", "IEC", 0));
    }
    let deadline = match parse_date(request.get("TED")) {
        None => {
            errors.push(item(Kind::BadValue, "TED", 0));
            None
        }
        Some(day) if day < today => {
            errors.push(ResultCode::new("S0033", "TED", 0));
            None
        }
        Some(day) => Some(day),
    };
    let sent = request.reps_present();
    let mut recorded = Vec::new();
    for (i, b) in balances.iter().enumerate() {
        let rep = i as u16 + 1;
        if !sent.contains(&rep) {
            errors.push(ResultCode::new("E0013", "CMD", rep));
            continue;
        }
        let line = |id| request.get_rep(id, rep);
        // The HS code and unit must be the ones registered for the line.
        if line("CMD") != b.hs {
            errors.push(item(Kind::NotRegistered, "CMD", rep));
        }
        if line("QTU") != b.unit {
            errors.push(item(Kind::NotRegistered, "QTU", rep));
        }
        let mut problem = |code, id| errors.push(ResultCode::new(code, id, rep));
        if line("UTU") != line("QTU") {
            problem("R0004", "UTU");
        }
        if quantity(line("QT")) != Some(b.original) {
            problem("R0003", "QT");
        }
        match quantity(line("UT")) {
            None => errors.push(item(Kind::Chars, "UT", rep)),
            Some(q) if q > b.original => problem("R0003", "UT"),
            // Re-exports lodged here are on record; TIA cannot take them back.
            Some(q) if q < b.here => problem("E0011", "UT"),
            Some(q) if q > b.here => recorded.push((b.line, q - b.here)),
            Some(_) => {}
        }
    }
    for &rep in sent.iter().filter(|&&r| usize::from(r) > balances.len()) {
        errors.push(item(Kind::NotRegistered, "CMD", rep));
    }
    match deadline {
        Some(deadline) if errors.is_empty() => Ok(Management {
            deadline,
            elsewhere: recorded,
            corrected_at: now,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::declaration::tests::fields;
    use crate::rules::numbering::DeclNumber;

    const TODAY: Day = (2026, 11, 23);

    fn decl(spec: &Spec, seq: u32, user: &str, status: Status, f: &Fields) -> Declaration {
        let n = DeclNumber {
            family: spec.family,
            block: 17,
            seq,
            amendment: 0,
        };
        Declaration {
            status,
            ..Declaration::pre_registered(spec, n, user, "T12345", f.values().to_vec(), 0)
        }
    }

    /// A G12 of two lines: 100 PCE of 84713020, 10.5 KGM of 85171200.
    fn temporary_import() -> Fields {
        fields(
            &IMPORT,
            &[
                ("ICB", 0, "G12"),
                ("IMC", 0, "0101234567"),
                ("RED", 0, "31122026"),
                ("CMD", 1, "84713020"),
                ("QN1", 1, "100"),
                ("QT1", 1, "PCE"),
                ("CMD", 2, "85171200"),
                ("QN1", 2, "10.5"),
                ("QT1", 2, "KGM"),
            ],
        )
    }

    #[test]
    fn quantities_are_exact() {
        let cases = [
            ("100", Some(100_000_000)),
            ("0.5", Some(500_000)),
            ("12.000001", Some(12_000_001)),
            ("1.2345678", None),
            ("", None),
            (".5", None),
            ("-1", None),
            ("1e3", None),
        ];
        for (s, want) in cases {
            assert_eq!(quantity(s), want, "{s}");
        }
    }

    #[test]
    fn balances_per_line() {
        let temp_import = temporary_import();
        let orig = decl(&IMPORT, 1, "ABC12001", Status::Registered, &temp_import);
        assert_eq!(
            temporary_spec(&orig).map(|s| s.family),
            Some(Family::Import)
        );
        assert_eq!(deadline(&orig), Some((2026, 12, 31)));
        let re_export = |seq, set: &[(&'static str, u16, &'static str)]| {
            let mut d = decl(
                &EXPORT,
                seq,
                "ABC12001",
                Status::Registered,
                &fields(&EXPORT, set),
            );
            d.continues = Some(orig.number);
            d
        };
        let a = re_export(
            2,
            &[
                ("ECB", 0, "G21"),
                ("TDL", 1, "01"),
                ("QN1", 1, "60"),
                ("TDL", 2, "02"),
                ("QN1", 2, "0.25"),
            ],
        );
        let b = re_export(3, &[("ECB", 0, "G21"), ("TDL", 1, "02"), ("QN1", 1, "10")]);
        let mut elsewhere = re_export(4, &[("ECB", 0, "G21"), ("TDL", 1, "01"), ("QN1", 1, "5")]);
        elsewhere.continues = Some(DeclNumber {
            family: Family::Import,
            block: 17,
            seq: 9,
            amendment: 0,
        });
        let got: Vec<(u16, String, String, String)> = balances(&orig, &[a, b, elsewhere])
            .iter()
            .map(|l| {
                (
                    l.line,
                    l.hs.clone(),
                    format_quantity(l.drawn()),
                    format_quantity(l.remaining()),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    1,
                    "84713020".to_string(),
                    "60".to_string(),
                    "40".to_string()
                ),
                (
                    2,
                    "85171200".to_string(),
                    "10.25".to_string(),
                    "0.25".to_string()
                ),
            ]
        );
        let ordinary = decl(
            &IMPORT,
            5,
            "ABC12001",
            Status::Registered,
            &fields(&IMPORT, &[("ICB", 0, "A11")]),
        );
        assert_eq!(temporary_spec(&ordinary).map(|s| s.family), None);
        for (q, text) in [
            (0, "0"),
            (1_500_000, "1.5"),
            (-250_000, "-0.25"),
            (12_000_001, "12.000001"),
        ] {
            assert_eq!(format_quantity(q), text);
            assert_eq!(
                quantity(text.trim_start_matches('-')).map(|v| if text.starts_with('-') {
                    -v
                } else {
                    v
                }),
                Some(q)
            );
        }
    }

    #[test]
    fn own_fields() {
        type Row = (
            &'static str,
            &'static Spec,
            Vec<(&'static str, u16, &'static str)>,
            Vec<&'static str>,
        );
        let rows: Vec<Row> = vec![
            (
                "temporary import with deadline",
                &IMPORT,
                vec![("ICB", 0, "G12"), ("RED", 0, "31122026")],
                vec![],
            ),
            (
                "temporary import without deadline",
                &IMPORT,
                vec![("ICB", 0, "G12")],
                vec!["R1003-RED -0000"],
            ),
            (
                "temporary import, deadline passed",
                &IMPORT,
                vec![("ICB", 0, "G13"), ("RED", 0, "22112026")],
                vec!["S1129-RED -0000"],
            ),
            (
                "deadline on an ordinary import",
                &IMPORT,
                vec![("ICB", 0, "A11"), ("RED", 0, "31122026")],
                vec!["R1002-RED -0000"],
            ),
            (
                "temporary export",
                &EXPORT,
                vec![("ECB", 0, "G61"), ("RID", 0, "23112026")],
                vec![],
            ),
            (
                "temporary export without deadline",
                &EXPORT,
                vec![("ECB", 0, "G61")],
                vec!["R1003-RID -0000"],
            ),
            (
                "temporary export, deadline passed",
                &EXPORT,
                vec![("ECB", 0, "G61"), ("RID", 0, "01012026")],
                vec!["S1138-RID -0000"],
            ),
            (
                "re-export names its temporary import",
                &EXPORT,
                vec![("ECB", 0, "G21"), ("TDN", 0, "190170000010")],
                vec![],
            ),
            (
                "re-export without TDN",
                &EXPORT,
                vec![("ECB", 0, "G22")],
                vec!["R1000-TDN -0000"],
            ),
            (
                "re-import without TDN",
                &IMPORT,
                vec![("ICB", 0, "G51")],
                vec!["R1000-TDN -0000"],
            ),
        ];
        for (name, spec, set, want) in rows {
            let got: Vec<String> = check_own_fields(spec, &fields(spec, &set), TODAY)
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    /// One row per rule of a continuation: the original, what was already
    /// drawn, the request → the codes.
    #[test]
    fn continuation_balances_and_links() {
        let temp_import = temporary_import();
        let orig = decl(&IMPORT, 1, "ABC12001", Status::Registered, &temp_import);
        let expired = {
            let mut f = temp_import.clone();
            f.set("RED", "22112026");
            decl(&IMPORT, 1, "ABC12001", Status::Registered, &f)
        };
        let not_registered = decl(&IMPORT, 1, "ABC12001", Status::PreRegistered, &temp_import);
        let not_temporary = {
            let mut f = temp_import.clone();
            f.set("ICB", "A11");
            decl(&IMPORT, 1, "ABC12001", Status::Registered, &f)
        };
        let an_export = decl(
            &EXPORT,
            1,
            "ABC12001",
            Status::Registered,
            &fields(&EXPORT, &[("ECB", 0, "G61")]),
        );
        let reexport = |lines: &[(&'static str, &'static str, &'static str, &'static str)]| {
            let mut f = fields(&EXPORT, &[("ECB", 0, "G21"), ("TDN", 0, "190170000010")]);
            for (i, (tdl, hs, qty, unit)) in lines.iter().enumerate() {
                let r = i as u16 + 1;
                f.set_rep("TDL", r, tdl);
                f.set_rep("CMD", r, hs);
                f.set_rep("QN1", r, qty);
                f.set_rep("QT1", r, unit);
            }
            f
        };
        let drawn_60 = decl(
            &EXPORT,
            2,
            "ABC12001",
            Status::Registered,
            &reexport(&[("01", "84713020", "60", "PCE")]),
        );
        type Row<'a> = (
            &'static str,
            Option<&'a Declaration>,
            Vec<Declaration>,
            Fields,
            &'static str,
            Vec<&'static str>,
        );
        let rows: Vec<Row> = vec![
            (
                "partial re-export",
                Some(&orig),
                vec![],
                reexport(&[("01", "84713020", "60", "PCE")]),
                "ABC12001",
                vec![],
            ),
            (
                "the rest",
                Some(&orig),
                vec![drawn_60.clone()],
                reexport(&[("01", "84713020", "40", "PCE")]),
                "ABC12001",
                vec![],
            ),
            (
                "one too many",
                Some(&orig),
                vec![drawn_60.clone()],
                reexport(&[("01", "84713020", "41", "PCE")]),
                "ABC12001",
                vec!["E8306-QN1 -0001"],
            ),
            (
                "second line over, first fine",
                Some(&orig),
                vec![],
                reexport(&[
                    ("01", "84713020", "1", "PCE"),
                    ("02", "85171200", "10.6", "KGM"),
                ]),
                "ABC12001",
                vec!["E8306-QN1 -0002"],
            ),
            (
                "decimal balance exact",
                Some(&orig),
                vec![],
                reexport(&[("02", "85171200", "10.5", "KGM")]),
                "ABC12001",
                vec![],
            ),
            (
                "two lines of one request on one original line",
                Some(&orig),
                vec![],
                reexport(&[
                    ("01", "84713020", "60", "PCE"),
                    ("01", "84713020", "41", "PCE"),
                ]),
                "ABC12001",
                vec!["E8306-QN1 -0002"],
            ),
            (
                "no such line",
                Some(&orig),
                vec![],
                reexport(&[("03", "84713020", "1", "PCE")]),
                "ABC12001",
                vec!["E8305-TDL -0001"],
            ),
            (
                "line not named",
                Some(&orig),
                vec![],
                reexport(&[("", "84713020", "1", "PCE")]),
                "ABC12001",
                vec!["R1025-TDL -0001"],
            ),
            (
                "other goods",
                Some(&orig),
                vec![],
                reexport(&[("01", "85171200", "1", "PCE")]),
                "ABC12001",
                vec!["E8308-CMD -0001"],
            ),
            (
                "other unit",
                Some(&orig),
                vec![],
                reexport(&[("01", "84713020", "1", "KGM")]),
                "ABC12001",
                vec!["E8348-QT1 -0001"],
            ),
            (
                "unknown original",
                None,
                vec![],
                reexport(&[("01", "84713020", "1", "PCE")]),
                "ABC12001",
                vec!["E8300-TDN -0000"],
            ),
            (
                "another declarant's",
                Some(&orig),
                vec![],
                reexport(&[("01", "84713020", "1", "PCE")]),
                "XYZ34002",
                vec!["E8304-TDN -0000"],
            ),
            (
                "not registered yet",
                Some(&not_registered),
                vec![],
                reexport(&[("01", "84713020", "1", "PCE")]),
                "ABC12001",
                vec!["E8307-TDN -0000"],
            ),
            (
                "not a temporary import",
                Some(&not_temporary),
                vec![],
                reexport(&[("01", "84713020", "1", "PCE")]),
                "ABC12001",
                vec!["E8301-TDN -0000"],
            ),
            (
                "an export is not a temporary import",
                Some(&an_export),
                vec![],
                reexport(&[("01", "84713020", "1", "PCE")]),
                "ABC12001",
                vec!["E8301-TDN -0000"],
            ),
            (
                "deadline passed",
                Some(&expired),
                vec![],
                reexport(&[("01", "84713020", "1", "PCE")]),
                "ABC12001",
                vec!["E1111-TDN -0000"],
            ),
        ];
        for (name, original, earlier, request, user, want) in rows {
            let got: Vec<String> =
                check_continuation(&EXPORT, &request, user, TODAY, original, &earlier)
                    .iter()
                    .map(ToString::to_string)
                    .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn re_import_continues_a_temporary_export() {
        let temp_export = fields(
            &EXPORT,
            &[
                ("ECB", 0, "G61"),
                ("RID", 0, "31122026"),
                ("CMD", 1, "90158000"),
                ("QN1", 1, "2"),
                ("QT1", 1, "SET"),
            ],
        );
        let orig = decl(&EXPORT, 1, "ABC12001", Status::Registered, &temp_export);
        let mut req = fields(&IMPORT, &[("ICB", 0, "G51"), ("TDN", 0, "390170000010")]);
        req.set_rep("TDL", 1, "01");
        req.set_rep("CMD", 1, "90158000");
        req.set_rep("QN1", 1, "2");
        req.set_rep("QT1", 1, "SET");
        assert!(check_continuation(&IMPORT, &req, "ABC12001", TODAY, Some(&orig), &[]).is_empty());
        req.set_rep("QN1", 1, "3");
        let got: Vec<String> =
            check_continuation(&IMPORT, &req, "ABC12001", TODAY, Some(&orig), &[])
                .iter()
                .map(ToString::to_string)
                .collect();
        assert_eq!(got, ["E8306-QN1 -0001"]);
        let import = decl(
            &IMPORT,
            1,
            "ABC12001",
            Status::Registered,
            &fields(&IMPORT, &[("ICB", 0, "G12")]),
        );
        let got: Vec<String> =
            check_continuation(&IMPORT, &req, "ABC12001", TODAY, Some(&import), &[])
                .iter()
                .map(ToString::to_string)
                .collect();
        assert_eq!(got, ["E8309-TDN -0000"]);
    }

    /// A registered G12 with two lines (100 PCE, 10.5 KGM) and a re-export
    /// drawing 60 of line 1 lodged here.
    fn managed_import() -> (Declaration, Vec<Declaration>) {
        let orig = decl(
            &IMPORT,
            1,
            "ABC12001",
            Status::Registered,
            &temporary_import(),
        );
        let mut re_export = decl(
            &EXPORT,
            2,
            "ABC12001",
            Status::Registered,
            &fields(
                &EXPORT,
                &[("ECB", 0, "G21"), ("TDL", 1, "01"), ("QN1", 1, "60")],
            ),
        );
        re_export.continues = Some(orig.number);
        (orig, vec![re_export])
    }

    /// The TIA form as TIB fills it for `managed_import`, then `set`.
    fn tia(set: &[(&'static str, u16, &'static str)]) -> Fields {
        let mut f = Fields::new(&crate::wire::tables::TIA);
        for (id, rep, v) in [
            ("ECN", 0, "190170000010"),
            ("CFD", 0, "ABC12"),
            ("IEC", 0, "0101234567"),
            ("TED", 0, "31122026"),
            ("CMD", 1, "84713020"),
            ("QT", 1, "100"),
            ("QTU", 1, "PCE"),
            ("UT", 1, "60"),
            ("UTU", 1, "PCE"),
            ("CMD", 2, "85171200"),
            ("QT", 2, "10.5"),
            ("QTU", 2, "KGM"),
            ("UT", 2, "0"),
            ("UTU", 2, "KGM"),
        ]
        .into_iter()
        .chain(set.iter().copied())
        {
            f.set_rep(id, rep, v);
        }
        f
    }

    /// One row per TIA rule: the change sent → the management recorded, or
    /// the codes.
    #[test]
    fn management_corrections() {
        let (orig, here) = managed_import();
        let lines = balances(&orig, &here);
        type Row = (
            &'static str,
            Vec<(&'static str, u16, &'static str)>,
            Result<(Day, Vec<(u16, i128)>), Vec<&'static str>>,
        );
        let rows: Vec<Row> = vec![
            ("unchanged", vec![], Ok(((2026, 12, 31), vec![]))),
            (
                "deadline extended",
                vec![("TED", 0, "30062027")],
                Ok(((2027, 6, 30), vec![])),
            ),
            (
                "10 disposed of, 2.5 kg re-exported through VNACCS",
                vec![("UT", 1, "70"), ("UT", 2, "2.5")],
                Ok(((2026, 12, 31), vec![(1, 10_000_000), (2, 2_500_000)])),
            ),
            (
                "everything gone",
                vec![("UT", 1, "100"), ("UT", 2, "10.5")],
                Ok(((2026, 12, 31), vec![(1, 40_000_000), (2, 10_500_000)])),
            ),
            (
                "less than lodged here",
                vec![("UT", 1, "59")],
                Err(vec!["E0011-UT  -0001"]),
            ),
            (
                "more than the original",
                vec![("UT", 2, "10.6")],
                Err(vec!["R0003-UT  -0002"]),
            ),
            (
                "original quantity changed",
                vec![("QT", 1, "120")],
                Err(vec!["R0003-QT  -0001"]),
            ),
            (
                "other goods",
                vec![("CMD", 2, "85171300")],
                Err(vec!["S0021-CMD -0002"]),
            ),
            (
                "other unit",
                vec![("QTU", 1, "SET"), ("UTU", 1, "SET")],
                Err(vec!["S0026-QTU -0001"]),
            ),
            (
                "units differ",
                vec![("UTU", 1, "SET")],
                Err(vec!["R0004-UTU -0001"]),
            ),
            (
                "a line left out",
                vec![
                    ("CMD", 2, ""),
                    ("QT", 2, ""),
                    ("QTU", 2, ""),
                    ("UT", 2, ""),
                    ("UTU", 2, ""),
                ],
                Err(vec!["E0013-CMD -0002"]),
            ),
            (
                "a line too many",
                vec![("CMD", 3, "90158000"), ("QT", 3, "1")],
                Err(vec!["S0021-CMD -0003"]),
            ),
            (
                "deadline passed",
                vec![("TED", 0, "22112026")],
                Err(vec!["S0033-TED -0000"]),
            ),
            (
                "not a date",
                vec![("TED", 0, "31022027")],
                Err(vec!["S0005-TED -0000"]),
            ),
            (
                "another first declarant",
                vec![("CFD", 0, "XYZ34")],
                Err(vec!["E0002-CFD -0000"]),
            ),
            (
                "another importer",
                vec![("IEC", 0, "0309876543")],
                Err(vec!["E0005-IEC -0000"]),
            ),
        ];
        for (name, set, want) in rows {
            let got = check_management(&lines, "ABC12001", "0101234567", &tia(&set), TODAY, 7)
                .map(|m| (m.deadline, m.elsewhere))
                .map_err(|codes| codes.iter().map(ToString::to_string).collect::<Vec<_>>());
            let want = want.map_err(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(got, want, "{name}");
        }
    }

    /// What TIA records is what the balance, the deadline and later
    /// continuations go by.
    #[test]
    fn management_moves_balance_and_deadline() {
        let (mut orig, here) = managed_import();
        orig.management = Some(Management {
            deadline: (2026, 11, 22),
            elsewhere: vec![(1, 30_000_000)],
            corrected_at: 0,
        });
        assert_eq!(deadline(&orig), Some((2026, 11, 22)));
        let line1 = &balances(&orig, &here)[0];
        assert_eq!(
            (line1.here, line1.elsewhere, line1.remaining()),
            (60_000_000, 30_000_000, 10_000_000)
        );
        let mut req = fields(&EXPORT, &[("ECB", 0, "G21"), ("TDN", 0, "190170000010")]);
        for (id, v) in [
            ("TDL", "01"),
            ("CMD", "84713020"),
            ("QN1", "10"),
            ("QT1", "PCE"),
        ] {
            req.set_rep(id, 1, v);
        }
        let check = |orig: &Declaration, req: &Fields| {
            check_continuation(&EXPORT, req, "ABC12001", TODAY, Some(orig), &here)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            check(&orig, &req),
            ["E1111-TDN -0000"],
            "TIA shortened the deadline"
        );
        orig.management.as_mut().unwrap().deadline = (2027, 1, 31);
        assert!(check(&orig, &req).is_empty(), "the last 10");
        req.set_rep("QN1", 1, "11");
        assert_eq!(check(&orig, &req), ["E8306-QN1 -0001"]);
    }

    #[test]
    fn only_own_registered_temporary_declarations_are_managed() {
        let (orig, here) = managed_import();
        let pre = Declaration {
            status: Status::PreRegistered,
            ..orig.clone()
        };
        let cases = [
            (Some(orig.clone()), "ABC12001", None),
            (None, "ABC12001", Some(NotManaged::Unknown)),
            (Some(orig.clone()), "XYZ34002", Some(NotManaged::Others)),
            (Some(pre), "ABC12001", Some(NotManaged::NotTemporary)),
            (
                here.first().cloned(),
                "ABC12001",
                Some(NotManaged::NotTemporary),
            ),
        ];
        for (found, user, want) in cases {
            assert_eq!(managed(found, user).err(), want);
        }
        assert_eq!(NotManaged::Others.code("E0007", "E0008"), "U0004");
        assert_eq!(NotManaged::NotTemporary.code("E0007", "E0008"), "E0008");
    }

    /// One row per rule of an amended continuation: the amended request,
    /// what is on record → the codes. The temporary import has 100 on line
    /// 1; the continuation being amended (seq 2) drew 60 of it, another
    /// (seq 3) 30.
    #[test]
    fn amended_continuations_are_checked_net_of_their_own_draw() {
        let (orig, _) = managed_import();
        let continuation = |seq, amendment, qty: &'static str, of: DeclNumber| {
            let mut d = decl(
                &EXPORT,
                seq,
                "ABC12001",
                Status::Registered,
                &fields(
                    &EXPORT,
                    &[
                        ("ECB", 0, "G21"),
                        ("TDL", 1, "01"),
                        ("CMD", 1, "84713020"),
                        ("QN1", 1, qty),
                        ("QT1", 1, "PCE"),
                    ],
                ),
            );
            d.number.amendment = amendment;
            d.continues = Some(of);
            d
        };
        let own = continuation(2, 0, "60", orig.number);
        let other = continuation(3, 0, "30", orig.number);
        let elsewhere = continuation(
            4,
            0,
            "50",
            DeclNumber {
                seq: 9,
                ..orig.number
            },
        );
        let amended_once = continuation(2, 1, "60", orig.number);
        let lodged = vec![own.clone(), other.clone(), elsewhere];
        let request = |qty: &'static str| {
            let mut f = fields(&EXPORT, &[("ECB", 0, "G21"), ("TDN", 0, "190170000010")]);
            for (id, v) in [
                ("TDL", "01"),
                ("CMD", "84713020"),
                ("QN1", qty),
                ("QT1", "PCE"),
            ] {
                f.set_rep(id, 1, v);
            }
            f
        };
        type Row = (
            &'static str,
            &'static str,
            DeclNumber,
            Vec<Declaration>,
            Vec<&'static str>,
        );
        let rows: Vec<Row> = vec![
            (
                "the same quantity again",
                "60",
                own.number,
                lodged.clone(),
                vec![],
            ),
            (
                "up to what the other leaves",
                "70",
                own.number,
                lodged.clone(),
                vec![],
            ),
            (
                "one more than that",
                "71",
                own.number,
                lodged.clone(),
                vec!["E8306-QN1 -0001"],
            ),
            ("less than before", "10", own.number, lodged.clone(), vec![]),
            (
                "own draw under its amended number",
                "70",
                amended_once.number,
                vec![amended_once.clone(), other.clone()],
                vec![],
            ),
            (
                "a new continuation counts every draw",
                "11",
                DeclNumber {
                    seq: 5,
                    ..own.number
                },
                lodged.clone(),
                vec!["E8306-QN1 -0001"],
            ),
        ];
        for (name, qty, number, on_record, want) in rows {
            let got: Vec<String> = check_draw(
                &EXPORT,
                &request(qty),
                "ABC12001",
                TODAY,
                Some(&orig),
                &on_record,
                number,
            )
            .iter()
            .map(ToString::to_string)
            .collect();
            assert_eq!(got, want, "{name}");
        }
        let got = check_draw(
            &EXPORT,
            &request("1"),
            "ABC12001",
            TODAY,
            None,
            &lodged,
            own.number,
        );
        assert_eq!(got[0].to_string(), "E8300-TDN -0000");
    }

    /// One row per rule of an amendment's continuation link.
    #[test]
    fn amendments_keep_continuation_links() {
        let ours = |seq| DeclNumber {
            family: Family::Import,
            block: 17,
            seq,
            amendment: 0,
        };
        let amended = |kind, tdn| fields(&EXPORT, &[("ECB", 0, kind), ("TDN", 0, tdn)]);
        type Row = (
            &'static str,
            Option<DeclNumber>,
            Fields,
            Result<Option<DeclNumber>, &'static str>,
        );
        let rows: Vec<Row> = vec![
            (
                "same temporary import",
                Some(ours(1)),
                amended("G21", "190170000010"),
                Ok(Some(ours(1))),
            ),
            (
                "same one after its own amendment",
                Some(ours(1)),
                amended("G21", "190170000011"),
                Ok(Some(ours(1))),
            ),
            (
                "another one",
                Some(ours(1)),
                amended("G21", "190170000020"),
                Err("E8303-TDN -0000"),
            ),
            (
                "no longer a re-export",
                Some(ours(1)),
                amended("B11", ""),
                Err("E8303-TDN -0000"),
            ),
            (
                "becomes a re-export",
                None,
                amended("G22", "190170000020"),
                Ok(Some(ours(2))),
            ),
            ("stays ordinary", None, amended("B11", ""), Ok(None)),
        ];
        for (name, current, data, want) in rows {
            let got = amended_link(&EXPORT, current, &data).map_err(|c| c.to_string());
            assert_eq!(got, want.map_err(str::to_string), "{name}");
        }
    }
}
