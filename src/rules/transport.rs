//! Bonded transport (OLA → OLC → BOA departure → BIA arrival): numbers,
//! states and the checks of each step.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::eligibility::Basis;
use super::numbering::MARKER;
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
}

impl Transport {
    pub fn fields(&self) -> Fields {
        Fields::from_values(&tables::OLA, self.values.clone())
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

/// Checks of an OLA beyond its layout: coded values and the period.
pub fn check_ola(f: &Fields) -> Vec<ResultCode> {
    let table = JobCodes::get("OLA").expect("OLA table");
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
            errors.push(ResultCode::new("R0007", "EDT", 0));
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

/// BIA: the arrival of a transport that departed.
pub fn check_arrival(existing: Option<&Transport>, user: &str) -> Result<(), ResultCode> {
    match existing {
        Some(t) if t.user_code == user && t.status == TransportStatus::Departed => Ok(()),
        _ => Err(ResultCode::new("E0002", "OLT", 0)),
    }
}

#[cfg(test)]
mod tests {
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

    fn transport(status: TransportStatus) -> Transport {
        Transport {
            number: TransportNumber { block: 17, seq: 1 },
            status,
            basis: Basis::Outage,
            user_code: "ABC12001".into(),
            terminal: "T12345".into(),
            values: vec![],
            created_at: 0,
            registered_at: None,
            departed_at: None,
            arrived_at: None,
        }
    }

    #[test]
    fn ola_checks() {
        let mut f = Fields::new(&tables::OLA);
        for (k, v) in [
            ("IEI", "I"),
            ("BYA", "31"),
            ("OBJ", "FAC"),
            ("USS", "NR"),
            ("SDT", "01122026"),
            ("EDT", "03122026"),
        ] {
            f.set(k, v);
        }
        assert!(check_ola(&f).is_empty());
        f.set("EDT", "30112026");
        f.set("BYA", "99");
        let got: Vec<String> = check_ola(&f).iter().map(|c| c.to_string()).collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].ends_with("-BYA -0000"), "{got:?}");
        assert_eq!(got[1], "R0007-EDT -0000");
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
}
