//! Bonded transport (OLA → OLC → BOA departure → BIA arrival): numbers,
//! states and the checks of each step.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::decision::Signed;
use super::eligibility::{Basis, Day};
use super::numbering::MARKER;
use super::outputs::fill_by_id;
use crate::wire::{parse_date, tables, Fields, JobCodes, Kind, ResultCode};

/// Transport declaration number (OLT, 12 alphanumeric): `T` + the backup
/// marker + the site block + a 7-digit sequence. VNACCS's own OLT numbers
/// never start with `T9`, and two sites never share a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TransportNumber {
    pub block: u16,
    pub seq: u32,
}

pub const MAX_TRANSPORT_SEQ: u32 = 9_999_999;

impl TransportNumber {
    pub fn parse(s: &str) -> Option<TransportNumber> {
        let b = s.as_bytes();
        if b.len() != 12
            || b[0] != b'T'
            || b[1] != b'0' + MARKER
            || !b[2..].iter().all(u8::is_ascii_digit)
        {
            return None;
        }
        let seq: u32 = s[5..].parse().ok()?;
        (seq > 0).then_some(TransportNumber {
            block: s[2..5].parse().ok()?,
            seq,
        })
    }
}

impl fmt::Display for TransportNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T{MARKER}{:03}{:07}", self.block, self.seq)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TransportStatus {
    /// OLA accepted; can be replaced by another OLA until OLC.
    PreRegistered,
    /// OLC done: declared, waiting to leave.
    Registered,
    /// BOA: the goods left the departure location.
    Departed,
    /// BIA: the goods arrived.
    Arrived,
    /// COT `1`: withdrawn before departure; nothing can follow.
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transport {
    pub number: TransportNumber,
    pub status: TransportStatus,
    pub basis: Basis,
    pub user_code: String,
    pub terminal: String,
    /// Values in the OLA layout.
    pub values: Vec<String>,
    pub created_at: i64,
    pub registered_at: Option<i64>,
    pub departed_at: Option<i64>,
    pub arrived_at: Option<i64>,
    /// COT corrections registered so far (at most nine).
    pub corrections: u8,
    /// The last correction as lodged, in the COT layout: it carries items
    /// the OLA layout has no place for (scheduled departure, transit places).
    pub correction: Option<Vec<String>>,
    pub cancelled_at: Option<i64>,
    /// A supervision officer's approval of the registered transport
    /// (VAS504). A correction withdraws it: the corrected data is approved
    /// again.
    pub approved: Option<Signed>,
}

impl Transport {
    /// A transport as OLA first stores it.
    pub fn pre_registered(
        number: TransportNumber,
        basis: Basis,
        user_code: &str,
        terminal: &str,
        values: Vec<String>,
        created_at: i64,
    ) -> Transport {
        Transport {
            number,
            status: TransportStatus::PreRegistered,
            basis,
            user_code: user_code.into(),
            terminal: terminal.into(),
            values,
            created_at,
            registered_at: None,
            departed_at: None,
            arrived_at: None,
            corrections: 0,
            correction: None,
            cancelled_at: None,
            approved: None,
        }
    }

    pub fn fields(&self) -> Fields {
        Fields::from_values(&tables::OLA, self.values.clone())
    }

    /// Whether an ITF search finds this transport.
    pub fn found_by(&self, finish_by: Day, office: &str) -> bool {
        let f = self.fields();
        f.get("CHC") == office && parse_date(f.get("EDT")).is_some_and(|d| d <= finish_by)
    }

    /// The data as COT11 calls it up for correction: the OLA values by
    /// field id, and the COT-only items of the last correction.
    pub fn correction_form(&self) -> Fields {
        let mut form = Fields::new(&tables::COT);
        fill_by_id(&self.fields(), &mut form);
        if let Some(last) = &self.correction {
            let last = Fields::from_values(&tables::COT, last.clone());
            for item in tables::COT.items {
                if tables::OLA.position(item.id, 0).is_none() {
                    form.set(item.id, last.get(item.id));
                }
            }
        }
        form.set("KND", "");
        for n in 1..=CARGO_BLOCKS {
            form.set(&format!("TES{n}"), "");
        }
        form.set("OLT", &self.number.to_string());
        form
    }
}

/// Import/export indication: I import, E export, C other (PROTOCOL 3.3).
pub const DIRECTIONS: &[&str] = &["I", "E", "C"];
/// Means of transport (BYA): air, ship, barge, rail, road, other.
pub const MEANS: &[&str] = &["6", "11", "16", "25", "31", "17"];
/// Purposes (OBJ).
pub const PURPOSES: &[&str] = &[
    "SHI", "FAC", "CIS", "FTZ", "SRE", "FED", "EXP", "ETB", "BTG", "BTB", "BAG", "OTH",
];
/// Transport types (USS).
pub const TYPES: &[&str] = &["NR", "EA", "QU", "KR", "KS", "PT", "CT"];

/// Checks of transport data beyond its layout: coded values and the
/// period, with the codes of `job` (OLA, or COT for corrected data).
pub fn check_values(job: &str, f: &Fields) -> Vec<ResultCode> {
    let table = JobCodes::get(job).expect("transport job tables are built in");
    let mut errors = Vec::new();
    for (id, allowed) in [
        ("IEI", DIRECTIONS),
        ("BYA", MEANS),
        ("OBJ", PURPOSES),
        ("USS", TYPES),
    ] {
        let v = f.get(id);
        if !v.is_empty() && !allowed.contains(&v) {
            errors.push(ResultCode::new(
                table.for_field(Kind::NotRegistered, id),
                id,
                0,
            ));
        }
    }
    if let (Some(start), Some(end)) = (parse_date(f.get("SDT")), parse_date(f.get("EDT"))) {
        if end < start {
            // The two tables number the same rule differently.
            let code = if job == "COT" { "R0014" } else { "R0007" };
            errors.push(ResultCode::new(code, "EDT", 0));
        }
    }
    errors
}

/// A second OLA with the number replaces the first until OLC.
pub fn check_replace(existing: Option<&Transport>, user: &str) -> Result<(), ResultCode> {
    match existing {
        Some(t) if t.user_code != user => Err(ResultCode::new("E0007", "OLT", 0)),
        Some(t) if t.status != TransportStatus::PreRegistered => {
            Err(ResultCode::new("E0002", "OLT", 0))
        }
        Some(_) => Ok(()),
        None => Err(ResultCode::new("E0007", "OLT", 0)),
    }
}

/// OLB: a pre-registration is called up until OLC.
pub fn check_call(existing: Option<&Transport>, user: &str) -> Result<(), ResultCode> {
    match existing {
        Some(t) if t.user_code == user => match t.status {
            TransportStatus::PreRegistered => Ok(()),
            _ => Err(ResultCode::new("E0002", "OLT", 0)),
        },
        _ => Err(ResultCode::new("E0003", "OLT", 0)),
    }
}

/// OLC registers a pre-registration.
pub fn check_register(existing: Option<&Transport>, user: &str) -> Result<(), ResultCode> {
    match existing {
        None => Err(ResultCode::new("E0002", "OLT", 0)),
        Some(t) if t.user_code != user => Err(ResultCode::new("E0009", "OLT", 0)),
        Some(t) if t.status != TransportStatus::PreRegistered => {
            Err(ResultCode::new("E0003", "OLT", 0))
        }
        Some(_) => Ok(()),
    }
}

/// BOA: `9` records the departure of a registered transport, `1` takes a
/// recorded departure back. Returns the new status.
pub fn check_departure(
    kind: &str,
    existing: Option<&Transport>,
    user: &str,
) -> Result<TransportStatus, ResultCode> {
    let code = |c| Err(ResultCode::new(c, "CGO", 0));
    let Some(t) = existing.filter(|t| t.user_code == user) else {
        return code("E0002");
    };
    match (kind, t.status) {
        ("9", TransportStatus::Registered) => Ok(TransportStatus::Departed),
        ("9", TransportStatus::Departed) => code("E0027"),
        ("9", _) => code("E0003"),
        ("1", TransportStatus::Departed) => Ok(TransportStatus::Registered),
        ("1", _) => code("E0029"),
        _ => Err(ResultCode::new("S0002", "KND", 0)),
    }
}

/// Cargo blocks of a transport declaration (CG1… to CG5…).
pub const CARGO_BLOCKS: u16 = 5;

/// The items of one cargo block, without the block's digit (`CG` + `1`).
/// COT adds its correction type `TES`.
pub const CARGO_ITEMS: &[&str] = &[
    "CG", "DB", "CM", "HS", "MR", "IS", "RM", "OR", "LP", "PA", "TM", "TE", "SN", "DD", "IM", "IN",
    "IA", "EM", "EN", "EA", "KM", "KN", "KA", "OA", "OB", "OC", "OD", "OE", "PC", "PU", "GW", "WU",
    "VO", "VU", "PR", "RT", "RA", "RB", "RC", "RD", "RE", "PM", "PD", "EP", "NT",
];

/// OLA items a correction leaves as they are: the number as OLA gave it,
/// and the departure location, where the goods are (COT has no place for it).
const KEPT_ON_CORRECTION: &[&str] = &["OLT", "DPR", "BRT", "PRT", "DPN"];

/// What a COT asks for (KND).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Correction {
    /// `5`: correct the registered declaration.
    Correct,
    /// `1`: cancel it.
    Cancel,
}

/// Most corrections one transport declaration takes.
pub const MAX_CORRECTIONS: u8 = 9;

/// COT: a registered transport of the declarant may be corrected or
/// cancelled until its goods leave (BOA); another declarant's number is
/// reported as unknown.
pub fn check_correction(
    kind: &str,
    existing: Option<&Transport>,
    user: &str,
) -> Result<Correction, ResultCode> {
    let action = match kind {
        "5" => Correction::Correct,
        "1" => Correction::Cancel,
        _ => return Err(ResultCode::new("S0002", "KND", 0)),
    };
    let Some(t) = existing.filter(|t| t.user_code == user) else {
        return Err(ResultCode::new("S0005", "OLT", 0));
    };
    match t.status {
        TransportStatus::Registered => {}
        TransportStatus::Departed | TransportStatus::Arrived => {
            return Err(ResultCode::new("E0008", "DPD", 0))
        }
        TransportStatus::PreRegistered | TransportStatus::Cancelled => {
            return Err(ResultCode::new("S0007", "OLT", 0))
        }
    }
    if action == Correction::Correct && t.corrections >= MAX_CORRECTIONS {
        return Err(ResultCode::new("E0002", "OLT", 0));
    }
    Ok(action)
}

/// COT11: the registered transports that COT can still correct.
pub fn check_correction_call(existing: Option<&Transport>, user: &str) -> Result<(), ResultCode> {
    match existing {
        Some(t) if t.user_code == user => match t.status {
            TransportStatus::Registered => Ok(()),
            _ => Err(ResultCode::new("E0003", "OLT", 0)),
        },
        _ => Err(ResultCode::new("E0002", "OLT", 0)),
    }
}

/// The transport's data corrected by a COT (KND 5), in the OLA layout, or
/// every problem found. The COT carries the whole declaration as COT11
/// called it up; each cargo block says with its correction type what
/// happens to it: `5` keeps it with the values sent, `3` drops it, `2`
/// adds a new one. Codes name the COT item and block.
pub fn apply_correction(stored: &Fields, cot: &Fields) -> Result<Fields, Vec<ResultCode>> {
    let table = JobCodes::get("COT").expect("COT table");
    let mut errors = Vec::new();
    let office = cot.get("CHC");
    if !office.is_empty() && office != stored.get("CHC") {
        errors.push(ResultCode::new("E0003", "CHC", 0));
    }
    let mut merged = Fields::new(&tables::OLA);
    fill_by_id(cot, &mut merged);
    for id in KEPT_ON_CORRECTION {
        merged.set(id, stored.get(id));
    }
    let id = |item: &str, n: u16| format!("{item}{n}");
    let mut kept = Vec::new();
    let mut had = 0;
    for n in 1..=CARGO_BLOCKS {
        let (tes, cargo) = (id("TES", n), id("CG", n));
        let registered = stored.get(&cargo);
        had += u16::from(!registered.is_empty());
        let problem = match (registered.is_empty(), cot.get(&tes)) {
            (false, "5" | "3") if cot.get(&cargo) != registered => Some(("E0004", cargo)),
            (false, "5") => {
                kept.push(n);
                None
            }
            (false, "3") => None,
            (false, "") => Some(("S0118", tes)),
            (false, "2") => Some(("E0005", tes)),
            (true, "2") if cot.get(&cargo).is_empty() => Some(("R0026", cargo)),
            (true, "2") => {
                kept.push(n);
                None
            }
            (true, "") if !cot.get(&cargo).is_empty() => Some(("R0026", tes)),
            (true, "") => None,
            (true, "3" | "5") => Some(("E0007", tes)),
            _ => Some(("S0065", tes)),
        };
        if let Some((code, field)) = problem {
            errors.push(ResultCode::new(code, &field, 0));
        }
    }
    if kept.is_empty() && had > 0 && errors.is_empty() {
        // Cancelling every cargo is cancelling the declaration: KND 1.
        errors.push(ResultCode::new("S0118", "TES1", 0));
    }
    // Blocks kept or added move up, so the stored data stays in order.
    for n in 1..=CARGO_BLOCKS {
        for item in CARGO_ITEMS {
            merged.set(&id(item, n), "");
        }
    }
    for (k, n) in kept.iter().enumerate() {
        for item in CARGO_ITEMS {
            merged.set(&id(item, k as u16 + 1), cot.get(&id(item, *n)));
        }
        if cot.get(&id("CM", *n)).is_empty() {
            errors.push(ResultCode::new("R0027", &id("CM", *n), 0));
        }
    }
    errors.extend(check_values("COT", &merged));
    let group = tables::OLA.group.map_or(0..0, |g| g.start..g.start + g.len);
    for (i, item) in tables::OLA.items.iter().enumerate() {
        let cargo = CARGO_ITEMS
            .iter()
            .any(|c| item.id.strip_prefix(c) == Some("1"));
        if item.required && !cargo && !group.contains(&i) && merged.get(item.id).is_empty() {
            let code = table.for_field(Kind::Missing, item.id);
            errors.push(ResultCode::new(code, item.id, 0));
        }
    }
    if errors.is_empty() {
        Ok(merged)
    } else {
        Err(errors)
    }
}

/// Why a transport cannot be approved now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalRefused {
    #[error("the transport is not registered yet (OLC)")]
    NotRegistered,
    #[error("the transport is already approved")]
    Approved,
    #[error("the goods have already left the departure location (BOA)")]
    Departed,
    #[error("the transport was cancelled")]
    Cancelled,
}

impl ApprovalRefused {
    /// A stable key the console translates.
    pub fn key(&self) -> &'static str {
        match self {
            ApprovalRefused::NotRegistered => "transport_not_registered",
            ApprovalRefused::Approved => "transport_approved",
            ApprovalRefused::Departed => "transport_departed",
            ApprovalRefused::Cancelled => "transport_cancelled",
        }
    }
}

/// A supervision officer approves a registered transport, between OLC and
/// the departure (BOA). VNACCS approves before the goods leave, and its BOA
/// table has no code of its own for "not approved" (E0003 only says the
/// transport is not waiting to leave). The backup system does not make the
/// departure wait for an approval: during an outage the goods keep moving
/// on the registration alone, and an approval, when an officer gives one,
/// is recorded and sent to the declarant. Once the goods have left there
/// is nothing left to approve.
pub fn approve(t: &mut Transport, by: &str, at: i64) -> Result<(), ApprovalRefused> {
    match t.status {
        TransportStatus::PreRegistered => return Err(ApprovalRefused::NotRegistered),
        TransportStatus::Departed | TransportStatus::Arrived => {
            return Err(ApprovalRefused::Departed)
        }
        TransportStatus::Cancelled => return Err(ApprovalRefused::Cancelled),
        TransportStatus::Registered if t.approved.is_some() => {
            return Err(ApprovalRefused::Approved)
        }
        TransportStatus::Registered => {}
    }
    t.approved = Some(Signed { by: by.into(), at });
    Ok(())
}

/// BIA11: a transport on its way, called up for the arrival notice.
pub fn check_arrival_call(existing: Option<&Transport>, user: &str) -> Result<(), ResultCode> {
    match existing {
        Some(t) if t.user_code == user => match t.status {
            TransportStatus::Departed => Ok(()),
            _ => Err(ResultCode::new("E0003", "OLT", 0)),
        },
        _ => Err(ResultCode::new("E0002", "OLT", 0)),
    }
}

/// What an ITF asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inquiry {
    /// One transport by its number (OLT).
    Number,
    /// The transports declared at customs office `office` whose planned
    /// finish date is on or before `finish_by`.
    Search { finish_by: Day, office: String },
}

/// Reads an ITF: a number alone, or search conditions. Without a finish
/// date the search takes the day before today (`yesterday`), so it finds
/// the transports that should have arrived by now. The backup system keeps
/// no customs office for arrival places, so it searches by the submitting
/// office (DEC) only.
pub fn inquiry(f: &Fields, yesterday: Day) -> Result<Inquiry, ResultCode> {
    let (number, finish, office, arrival) =
        (f.get("OLT"), f.get("EDT"), f.get("DEC"), f.get("ARV"));
    if !number.is_empty() {
        return match (finish.is_empty(), office.is_empty(), arrival.is_empty()) {
            (false, _, _) => Err(ResultCode::new("R0001", "EDT", 0)),
            (_, false, _) => Err(ResultCode::new("R0002", "DEC", 0)),
            (_, _, false) => Err(ResultCode::new("R0003", "ARV", 0)),
            _ => Ok(Inquiry::Number),
        };
    }
    if !arrival.is_empty() {
        return Err(ResultCode::new("R0004", "ARV", 0));
    }
    if office.is_empty() {
        return Err(ResultCode::new("R0004", "DEC", 0));
    }
    let finish_by = match finish {
        "" => yesterday,
        s => parse_date(s).ok_or_else(|| {
            let table = JobCodes::get("ITF").expect("ITF table");
            ResultCode::new(table.for_field(Kind::NotDate, "EDT"), "EDT", 0)
        })?,
    };
    Ok(Inquiry::Search {
        finish_by,
        office: office.to_string(),
    })
}

/// BIA: the arrival of a transport that departed.
pub fn check_arrival(existing: Option<&Transport>, user: &str) -> Result<(), ResultCode> {
    match existing {
        Some(t) if t.user_code == user && t.status == TransportStatus::Departed => Ok(()),
        _ => Err(ResultCode::new("E0002", "OLT", 0)),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn numbers() {
        let n = TransportNumber { block: 17, seq: 42 };
        assert_eq!(n.to_string(), "T90170000042");
        assert_eq!(n.to_string().len(), 12);
        assert_eq!(TransportNumber::parse("T90170000042"), Some(n));
        for bad in [
            "T90170000000",
            "T8017000004",
            "X90170000042",
            "190170000042",
            "T9017000004A",
            "",
        ] {
            assert_eq!(TransportNumber::parse(bad), None, "{bad}");
        }
    }

    /// Alice's transport with the data of [`ola`], in `status`.
    pub(crate) fn transport(status: TransportStatus) -> Transport {
        Transport {
            status,
            ..Transport::pre_registered(
                TransportNumber { block: 17, seq: 1 },
                Basis::Outage,
                "ABC12001",
                "T12345",
                ola().values().to_vec(),
                0,
            )
        }
    }

    /// An OLA with two cargo blocks.
    pub(crate) fn ola() -> Fields {
        let mut f = Fields::new(&tables::OLA);
        for (k, v) in [
            ("IEI", "I"),
            ("CHC", "03CC"),
            ("TRC", "0101234567"),
            ("BYA", "31"),
            ("OBJ", "FAC"),
            ("USS", "NR"),
            ("SDT", "01122026"),
            ("SDH", "08"),
            ("EDT", "03122026"),
            ("EDH", "17"),
            ("DPR", "03CCS01"),
            ("ARR", "02CIS01"),
            ("CG1", "BL-ONE"),
            ("CM1", "Máy tính"),
            ("PC1", "10"),
            ("CG2", "BL-TWO"),
            ("CM2", "Màn hình"),
            ("PC2", "4"),
        ] {
            f.set(k, v);
        }
        f.set_rep("CNO", 1, "MSKU1234567");
        f
    }

    #[test]
    fn ola_checks() {
        let mut f = ola();
        assert!(check_values("OLA", &f).is_empty());
        f.set("EDT", "30112026");
        f.set("BYA", "99");
        let got: Vec<String> = check_values("OLA", &f)
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].ends_with("-BYA -0000"), "{got:?}");
        assert_eq!(got[1], "R0007-EDT -0000");
        let got: Vec<String> = check_values("COT", &f)
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(got[1], "R0014-EDT -0000", "the COT table's code");
    }

    #[test]
    fn the_flow_of_states() {
        use TransportStatus::*;
        let code = |r: Result<TransportStatus, ResultCode>| r.map_err(|c| c.to_string());
        let rows = [
            ("depart when registered", "9", Registered, Ok(Departed)),
            (
                "depart twice",
                "9",
                Departed,
                Err("E0027-CGO -0000".to_string()),
            ),
            (
                "depart before OLC",
                "9",
                PreRegistered,
                Err("E0003-CGO -0000".to_string()),
            ),
            (
                "depart after arrival",
                "9",
                Arrived,
                Err("E0003-CGO -0000".to_string()),
            ),
            ("take a departure back", "1", Departed, Ok(Registered)),
            (
                "take back what never left",
                "1",
                Registered,
                Err("E0029-CGO -0000".to_string()),
            ),
            (
                "unknown processing type",
                "5",
                Registered,
                Err("S0002-KND -0000".to_string()),
            ),
        ];
        for (name, kind, status, want) in rows {
            assert_eq!(
                code(check_departure(kind, Some(&transport(status)), "ABC12001")),
                want,
                "{name}"
            );
        }
        assert!(check_departure("9", Some(&transport(Registered)), "XYZ34002").is_err());
        assert!(check_departure("9", None, "ABC12001").is_err());
        assert!(check_register(Some(&transport(PreRegistered)), "ABC12001").is_ok());
        assert_eq!(
            check_register(Some(&transport(Registered)), "ABC12001")
                .unwrap_err()
                .code(),
            "E0003"
        );
        assert_eq!(
            check_register(Some(&transport(PreRegistered)), "XYZ34002")
                .unwrap_err()
                .code(),
            "E0009"
        );
        assert_eq!(
            check_register(None, "ABC12001").unwrap_err().code(),
            "E0002"
        );
        assert!(check_arrival(Some(&transport(Departed)), "ABC12001").is_ok());
        assert!(check_arrival(Some(&transport(Registered)), "ABC12001").is_err());
        assert!(check_call(Some(&transport(PreRegistered)), "ABC12001").is_ok());
        assert_eq!(
            check_call(Some(&transport(Registered)), "ABC12001")
                .unwrap_err()
                .code(),
            "E0002"
        );
        assert_eq!(
            check_call(Some(&transport(PreRegistered)), "XYZ34002")
                .unwrap_err()
                .code(),
            "E0003"
        );
        assert!(check_replace(Some(&transport(PreRegistered)), "ABC12001").is_ok());
        assert_eq!(
            check_replace(Some(&transport(Registered)), "ABC12001")
                .unwrap_err()
                .code(),
            "E0002"
        );
    }

    /// Approval: the state (and an earlier approval) → refused or approved.
    #[test]
    fn approval_between_registration_and_departure() {
        use TransportStatus::*;
        let rows = [
            (PreRegistered, false, Err(ApprovalRefused::NotRegistered)),
            (Registered, false, Ok(())),
            (Registered, true, Err(ApprovalRefused::Approved)),
            (Departed, false, Err(ApprovalRefused::Departed)),
            (Departed, true, Err(ApprovalRefused::Departed)),
            (Arrived, true, Err(ApprovalRefused::Departed)),
            (Cancelled, false, Err(ApprovalRefused::Cancelled)),
        ];
        for (status, approved_before, want) in rows {
            let mut t = transport(status);
            let before = approved_before.then(|| Signed {
                by: "officer:sup0".into(),
                at: 1,
            });
            t.approved = before.clone();
            assert_eq!(approve(&mut t, "officer:sup1", 7), want, "{status:?}");
            let after = match want {
                Ok(()) => Some(Signed {
                    by: "officer:sup1".into(),
                    at: 7,
                }),
                Err(_) => before,
            };
            assert_eq!(t.approved, after, "{status:?}");
        }
        // Departure does not wait for an approval (see `approve`).
        assert!(check_departure("9", Some(&transport(Registered)), "ABC12001").is_ok());
    }

    /// One row per rule of COT: what is asked, the transport's state → the
    /// action or the code.
    #[test]
    fn correction_and_cancellation_rules() {
        use TransportStatus::*;
        let at = |status, corrections| Transport {
            corrections,
            ..transport(status)
        };
        type Row = (
            &'static str,
            &'static str,
            Option<Transport>,
            &'static str,
            Result<Correction, &'static str>,
        );
        let rows: Vec<Row> = vec![
            (
                "correct before departure",
                "5",
                Some(at(Registered, 0)),
                "ABC12001",
                Ok(Correction::Correct),
            ),
            (
                "cancel before departure",
                "1",
                Some(at(Registered, 0)),
                "ABC12001",
                Ok(Correction::Cancel),
            ),
            (
                "ninth correction",
                "5",
                Some(at(Registered, 8)),
                "ABC12001",
                Ok(Correction::Correct),
            ),
            (
                "tenth correction",
                "5",
                Some(at(Registered, 9)),
                "ABC12001",
                Err("E0002-OLT -0000"),
            ),
            (
                "cancel after nine corrections",
                "1",
                Some(at(Registered, 9)),
                "ABC12001",
                Ok(Correction::Cancel),
            ),
            (
                "correct after departure",
                "5",
                Some(at(Departed, 0)),
                "ABC12001",
                Err("E0008-DPD -0000"),
            ),
            (
                "cancel after departure",
                "1",
                Some(at(Departed, 0)),
                "ABC12001",
                Err("E0008-DPD -0000"),
            ),
            (
                "correct after arrival",
                "5",
                Some(at(Arrived, 0)),
                "ABC12001",
                Err("E0008-DPD -0000"),
            ),
            (
                "correct before OLC",
                "5",
                Some(at(PreRegistered, 0)),
                "ABC12001",
                Err("S0007-OLT -0000"),
            ),
            (
                "cancel twice",
                "1",
                Some(at(Cancelled, 0)),
                "ABC12001",
                Err("S0007-OLT -0000"),
            ),
            (
                "another declarant's",
                "1",
                Some(at(Registered, 0)),
                "XYZ34002",
                Err("S0005-OLT -0000"),
            ),
            (
                "unknown number",
                "5",
                None,
                "ABC12001",
                Err("S0005-OLT -0000"),
            ),
            (
                "unknown processing type",
                "9",
                Some(at(Registered, 0)),
                "ABC12001",
                Err("S0002-KND -0000"),
            ),
        ];
        for (name, kind, t, user, want) in rows {
            let got = check_correction(kind, t.as_ref(), user).map_err(|c| c.to_string());
            assert_eq!(got, want.map_err(str::to_string), "{name}");
        }
        // Call-ups: COT11 while correctable, BIA11 while on the way.
        let code = |r: Result<(), ResultCode>| r.err().map(|c| c.to_string());
        for (status, cot11, bia11) in [
            (
                PreRegistered,
                Some("E0003-OLT -0000"),
                Some("E0003-OLT -0000"),
            ),
            (Registered, None, Some("E0003-OLT -0000")),
            (Departed, Some("E0003-OLT -0000"), None),
            (Arrived, Some("E0003-OLT -0000"), Some("E0003-OLT -0000")),
            (Cancelled, Some("E0003-OLT -0000"), Some("E0003-OLT -0000")),
        ] {
            let t = transport(status);
            assert_eq!(
                code(check_correction_call(Some(&t), "ABC12001")).as_deref(),
                cot11,
                "{status:?}"
            );
            assert_eq!(
                code(check_arrival_call(Some(&t), "ABC12001")).as_deref(),
                bia11,
                "{status:?}"
            );
            assert_eq!(
                code(check_correction_call(Some(&t), "XYZ34002")).as_deref(),
                Some("E0002-OLT -0000")
            );
            assert_eq!(
                code(check_arrival_call(None, "ABC12001")).as_deref(),
                Some("E0002-OLT -0000")
            );
        }
        // Nothing can follow a cancellation.
        let gone = transport(Cancelled);
        assert!(check_departure("9", Some(&gone), "ABC12001").is_err());
        assert!(check_register(Some(&gone), "ABC12001").is_err());
        assert!(check_replace(Some(&gone), "ABC12001").is_err());
    }

    #[test]
    fn cargo_and_fields_exist_in_both_layouts() {
        for n in 1..=CARGO_BLOCKS {
            for item in CARGO_ITEMS {
                let id = format!("{item}{n}");
                assert!(tables::OLA.position(&id, 0).is_some(), "OLA {id}");
                assert!(tables::COT.position(&id, 0).is_some(), "COT {id}");
            }
            assert!(tables::COT.position(&format!("TES{n}"), 0).is_some());
        }
        for id in KEPT_ON_CORRECTION {
            assert!(tables::OLA.position(id, 0).is_some(), "{id}");
        }
    }

    /// The call-up form with `set` changed, as a terminal sends it back.
    fn cot(kind: &str, set: &[(&str, &str)]) -> Fields {
        let mut f = transport(TransportStatus::Registered).correction_form();
        f.set("KND", kind);
        for (k, v) in set {
            f.set(k, v);
        }
        f
    }

    #[test]
    fn corrections_apply_by_field_id_and_cargo_type() {
        let stored = ola();
        let form = transport(TransportStatus::Registered).correction_form();
        assert_eq!(form.layout.code, "COT");
        assert_eq!(form.get("OLT"), "T90170000001");
        assert_eq!(form.get("CG2"), "BL-TWO");
        assert_eq!(form.get_rep("CNO", 1), "MSKU1234567");
        assert_eq!((form.get("KND"), form.get("TES1")), ("", ""));

        // A new finish date, cargo 1 kept with a new quantity, cargo 2
        // dropped, a third one added: the added one moves up to block 2.
        let got = apply_correction(
            &stored,
            &cot(
                "5",
                &[
                    ("EDT", "04122026"),
                    ("TES1", "5"),
                    ("PC1", "12"),
                    ("TES2", "3"),
                    ("TES3", "2"),
                    ("CG3", "BL-THREE"),
                    ("CM3", "Bàn phím"),
                ],
            ),
        )
        .unwrap();
        assert_eq!(got.layout.code, "OLA");
        assert_eq!(got.get("EDT"), "04122026");
        assert_eq!((got.get("CG1"), got.get("PC1")), ("BL-ONE", "12"));
        assert_eq!((got.get("CG2"), got.get("CM2")), ("BL-THREE", "Bàn phím"));
        assert_eq!(got.get("CG3"), "");
        assert_eq!(got.get("DPR"), "03CCS01", "departure stays");
        assert_eq!(got.get_rep("CNO", 1), "MSKU1234567");

        type Row = (
            &'static str,
            Vec<(&'static str, &'static str)>,
            Vec<&'static str>,
        );
        let keep = [("TES1", "5"), ("TES2", "5")];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut v = keep.to_vec();
            v.extend_from_slice(extra);
            v
        };
        let rows: Vec<Row> = vec![
            (
                "customs office changed",
                with(&[("CHC", "01B1")]),
                vec!["E0003-CHC -0000"],
            ),
            (
                "cargo kept under another number",
                with(&[("CG1", "BL-OTHER")]),
                vec!["E0004-CG1 -0000"],
            ),
            (
                "cargo dropped under another number",
                vec![("TES1", "3"), ("CG1", "BL-X"), ("TES2", "5")],
                vec!["E0004-CG1 -0000"],
            ),
            (
                "existing cargo without a type",
                vec![("TES1", "5")],
                vec!["S0118-TES2-0000"],
            ),
            (
                "every cargo dropped",
                vec![("TES1", "3"), ("TES2", "3")],
                vec!["S0118-TES1-0000"],
            ),
            (
                "existing cargo typed as new",
                with(&[("TES2", "2")]),
                vec!["E0005-TES2-0000"],
            ),
            (
                "new cargo typed as kept",
                with(&[("TES3", "5"), ("CG3", "BL-3"), ("CM3", "x")]),
                vec!["E0007-TES3-0000"],
            ),
            (
                "new cargo without a type",
                with(&[("CG3", "BL-3"), ("CM3", "x")]),
                vec!["R0026-TES3-0000"],
            ),
            (
                "new cargo without a number",
                with(&[("TES3", "2")]),
                vec!["R0026-CG3 -0000"],
            ),
            (
                "unknown type",
                with(&[("TES3", "7")]),
                vec!["S0065-TES3-0000"],
            ),
            (
                "kept cargo without goods",
                with(&[("CM2", "")]),
                vec!["R0027-CM2 -0000"],
            ),
            (
                "finish before start",
                with(&[("EDT", "30112026")]),
                vec!["R0014-EDT -0000"],
            ),
            (
                "purpose not in the code list",
                with(&[("OBJ", "XXX")]),
                vec!["S0042-OBJ -0000"],
            ),
            (
                "required item emptied",
                with(&[("TRC", "")]),
                vec!["S0032-TRC -0000"],
            ),
        ];
        for (name, set, want) in rows {
            let got: Vec<String> = match apply_correction(&stored, &cot("5", &set)) {
                Ok(_) => vec![],
                Err(codes) => codes.iter().map(ToString::to_string).collect(),
            };
            assert_eq!(got, want, "{name}");
        }
    }

    /// One row per ITF rule: what is entered → a number, a search, or the code.
    #[test]
    fn transport_inquiries() {
        let yesterday = (2026, 12, 2);
        let search = |finish_by, office: &str| {
            Ok(Inquiry::Search {
                finish_by,
                office: office.into(),
            })
        };
        type Row = (
            &'static str,
            [&'static str; 4],
            Result<Inquiry, &'static str>,
        );
        let rows: Vec<Row> = vec![
            (
                "by number",
                ["T90170000001", "", "", ""],
                Ok(Inquiry::Number),
            ),
            (
                "number and finish date",
                ["T90170000001", "03122026", "", ""],
                Err("R0001-EDT -0000"),
            ),
            (
                "number and office",
                ["T90170000001", "", "03CC", ""],
                Err("R0002-DEC -0000"),
            ),
            (
                "number and arrival office",
                ["T90170000001", "", "", "02CI"],
                Err("R0003-ARV -0000"),
            ),
            (
                "office, finish date",
                ["", "05122026", "03CC", ""],
                search((2026, 12, 5), "03CC"),
            ),
            (
                "office, finished by yesterday",
                ["", "", "03CC", ""],
                search(yesterday, "03CC"),
            ),
            ("nothing", ["", "", "", ""], Err("R0004-DEC -0000")),
            (
                "arrival office only",
                ["", "", "", "02CI"],
                Err("R0004-ARV -0000"),
            ),
            (
                "not a date",
                ["", "31022026", "03CC", ""],
                Err("A0017-EDT -0000"),
            ),
        ];
        for (name, [olt, edt, dec, arv], want) in rows {
            let mut f = Fields::new(&tables::ITF);
            for (k, v) in [("OLT", olt), ("EDT", edt), ("DEC", dec), ("ARV", arv)] {
                f.set(k, v);
            }
            let got = inquiry(&f, yesterday).map_err(|c| c.to_string());
            assert_eq!(got, want.map_err(str::to_string), "{name}");
        }
        // The OLA finishes on 03/12/2026 at office 03CC.
        let t = transport(TransportStatus::Registered);
        assert!(t.found_by((2026, 12, 3), "03CC"));
        assert!(t.found_by((2026, 12, 31), "03CC"));
        assert!(!t.found_by((2026, 12, 2), "03CC"), "not finished by then");
        assert!(!t.found_by((2026, 12, 3), "01B1"), "another office");
    }
}
