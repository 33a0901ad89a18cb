//! The three cases of Official Letter 6324: what the backup system may take.
//!
//! * Mode `active` (VNACCS down): imports, exports and bonded transport.
//! * Mode `standby` (VNACCS up): only declarations covered by a *direction*
//!   (an officer's authorisation for one declarant and one special category)
//!   and *continuations* (a re-export or re-import of a temporary declaration
//!   registered on this system).
//! * Never: low-value goods by post or express (the MIC/MEC job families,
//!   and post/express goods declared on IDA/EDA at or under the configured
//!   value).

use serde::{Deserialize, Serialize};

use super::numbering::DeclNumber;
use super::temporary::quantity;
use crate::wire::ResultCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// VNACCS is down: the backup takes declarations in its place.
    Active,
    /// VNACCS is up: only directed cases and continuations.
    Standby,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Active => "active",
            Mode::Standby => "standby",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "active" => Some(Mode::Active),
            "standby" => Some(Mode::Standby),
            _ => None,
        }
    }
}

/// The special categories customs may direct to the backup system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Category {
    /// Relief and humanitarian goods (cargo classes C, D, E).
    Relief,
    /// Defence and security goods (cargo class B).
    Defence,
    /// Gifts, donations and personal belongings (cargo classes A, G).
    Gifts,
    /// Work items travellers bring in or take out temporarily (kind codes
    /// G12–G14 temporary import, G61 temporary export).
    TravellerWorkItems,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Relief,
        Category::Defence,
        Category::Gifts,
        Category::TravellerWorkItems,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Category::Relief => "relief",
            Category::Defence => "defence",
            Category::Gifts => "gifts",
            Category::TravellerWorkItems => "traveller-work-items",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.name() == s)
    }

    /// Whether a declaration with this kind code and cargo class falls in
    /// the category, as the declaration itself shows it.
    pub fn covers(self, kind_code: &str, cargo_class: &str) -> bool {
        match self {
            Category::Relief => matches!(cargo_class, "C" | "D" | "E"),
            Category::Defence => cargo_class == "B",
            Category::Gifts => matches!(cargo_class, "A" | "G"),
            Category::TravellerWorkItems => matches!(kind_code, "G12" | "G13" | "G14" | "G61"),
        }
    }
}

/// A day as (year, month, day); ordered.
pub type Day = (i32, u8, u8);

/// An officer's authorisation to declare on the backup system in standby.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Direction {
    pub id: u32,
    pub tax_code: String,
    pub category: Category,
    pub valid_from: Day,
    pub valid_until: Day,
    /// How many declarations it covers; `None` = no limit.
    pub max_declarations: Option<u32>,
    pub used: u32,
    pub revoked: bool,
    pub reason: String,
}

impl Direction {
    fn applies(&self, d: &Subject) -> bool {
        !self.revoked
            && self.tax_code == d.tax_code
            && self.category.covers(d.kind_code, d.cargo_class)
            && self.valid_from <= d.today
            && d.today <= self.valid_until
            && self.max_declarations.is_none_or(|m| self.used < m)
    }
}

/// What kind of job a request is, for eligibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobClass {
    Import,
    Export,
    Transport,
    /// Low-value post/express declarations (MIC/MID/MIE, MEC/MED/MEE).
    LowValue,
}

impl JobClass {
    /// The class of a job that lodges or changes a declaration; `None` for
    /// call-ups, inquiries, retrieval and housekeeping, which are always open.
    pub fn of(job: &str) -> Option<JobClass> {
        match job {
            "IDA" | "IDC" | "IDA01" | "IDE" => Some(JobClass::Import),
            "EDA" | "EDC" | "EDA01" | "EDE" => Some(JobClass::Export),
            "OLA" | "OLC" | "COT" | "BOA" | "BIA" => Some(JobClass::Transport),
            "MIC" | "MID" | "MIE" | "MEC" | "MED" | "MEE" => Some(JobClass::LowValue),
            _ => None,
        }
    }
}

/// Re-exports of temporarily imported goods and the re-import of
/// temporarily exported goods: they continue an earlier declaration.
pub fn is_continuation_kind(kind_code: &str) -> bool {
    matches!(kind_code, "G21" | "G22" | "G23" | "G24" | "G51")
}

/// The declaration a request wants to lodge, as eligibility sees it.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub class: JobClass,
    pub kind_code: &'a str,
    pub cargo_class: &'a str,
    pub tax_code: &'a str,
    pub today: Day,
    /// The temporary declaration it continues, when its TDN is one of
    /// ours (`None`: no TDN, or a VNACCS number).
    pub continues: Option<DeclNumber>,
    /// Post/express goods at or under the low-value threshold ([`LowValue`]).
    pub low_value: bool,
}

/// Cargo class of post and express goods (CCC `F` in the IDA/EDA guides).
pub const POST_EXPRESS: &str = "F";

/// When post/express goods declared on IDA/EDA are low-value goods, which
/// belong on the MIC/MEC forms: their total invoice value, in VND, is at
/// or under `threshold_vnd`. The regulations move the threshold, so it is
/// configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowValue {
    /// 0: no post/express declaration counts as low-value.
    pub threshold_vnd: u64,
    /// VND per unit of other invoice currencies, in millionths of a VND.
    pub rates: Vec<(String, i128)>,
}

/// The default threshold: VND 1 million, the old ceiling of the tax-free
/// low-value post/express procedure.
pub const DEFAULT_LOW_VALUE_VND: u64 = 1_000_000;

impl Default for LowValue {
    fn default() -> Self {
        LowValue {
            threshold_vnd: DEFAULT_LOW_VALUE_VND,
            rates: Vec::new(),
        }
    }
}

/// Exchange rates in VND per unit, by currency code, as millionths of a VND.
pub fn vnd_rates(
    rates: &std::collections::BTreeMap<String, f64>,
) -> Result<Vec<(String, i128)>, String> {
    let mut out = Vec::new();
    for (currency, &rate) in rates {
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!("{currency:?} is not a currency code like \"USD\""));
        }
        if currency == "VND" || !rate.is_finite() || rate <= 0.0 || rate > 1e9 {
            return Err(format!("{currency} = {rate} is not a rate in VND per unit"));
        }
        out.push((currency.clone(), (rate * 1e6).round() as i128));
    }
    Ok(out)
}

impl LowValue {
    /// Whether goods of `cargo_class` invoiced at `amount` (IP4) in
    /// `currency` (IP3) are low-value post/express goods. A value that
    /// cannot be judged (no amount, a currency without a rate) does not
    /// make goods low-value: the backup system then takes them as declared.
    pub fn covers(&self, cargo_class: &str, currency: &str, amount: &str) -> bool {
        if cargo_class != POST_EXPRESS || self.threshold_vnd == 0 {
            return false;
        }
        let Some(amount) = quantity(amount) else {
            return false;
        };
        let rate = match currency {
            "VND" => 1_000_000,
            c => match self.rates.iter().find(|(code, _)| code == c) {
                Some((_, r)) => *r,
                None => return false,
            },
        };
        // Both in millionths: the product is in millionths of millionths.
        let limit = i128::from(self.threshold_vnd) * 1_000_000_000_000;
        amount.checked_mul(rate).is_some_and(|v| v <= limit)
    }
}

/// Why a declaration is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Basis {
    /// Mode active: VNACCS is down.
    Outage,
    /// Covered by direction `id`.
    Direction(u32),
    /// Continues a temporary declaration registered here.
    Continuation,
}

/// Low-value post/express declarations never go through the backup system.
pub const LOW_VALUE_REFUSED: &str = "A0002";
/// Standby: the job is in a period it is not served here; use VNACCS.
pub const USE_VNACCS: &str = "A0015";

/// Decides whether the backup system may take the declaration. Balances and
/// deadlines of continuations are checked separately
/// (`temporary::check_continuation`), in every mode.
pub fn decide(mode: Mode, s: &Subject, directions: &[Direction]) -> Result<Basis, ResultCode> {
    if s.class == JobClass::LowValue {
        return Err(ResultCode::sys(LOW_VALUE_REFUSED));
    }
    if is_continuation_kind(s.kind_code) && s.continues.is_some() {
        return Ok(Basis::Continuation);
    }
    if s.low_value {
        return Err(ResultCode::sys(LOW_VALUE_REFUSED));
    }
    match mode {
        Mode::Active => Ok(Basis::Outage),
        Mode::Standby => directions
            .iter()
            .find(|d| d.applies(s))
            .map(|d| Basis::Direction(d.id))
            .ok_or_else(|| ResultCode::sys(USE_VNACCS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::numbering::Family;

    const TODAY: Day = (2026, 11, 23);

    fn direction(id: u32, category: Category) -> Direction {
        Direction {
            id,
            tax_code: "0101234567".into(),
            category,
            valid_from: (2026, 11, 1),
            valid_until: (2026, 11, 30),
            max_declarations: None,
            used: 0,
            revoked: false,
            reason: "flood relief".into(),
        }
    }

    fn ours() -> Option<DeclNumber> {
        Some(DeclNumber {
            family: Family::Import,
            block: 17,
            seq: 5,
            amendment: 0,
        })
    }

    /// One row per rule: mode, job class, kind code, cargo class, declarant,
    /// continuation, directions in force → expected outcome.
    #[test]
    fn the_three_cases() {
        use JobClass::*;
        use Mode::*;
        let relief = || vec![direction(1, Category::Relief)];
        let gifts_used_up = || {
            let mut d = direction(2, Category::Gifts);
            d.max_declarations = Some(3);
            d.used = 3;
            vec![d]
        };
        let expired = || {
            let mut d = direction(3, Category::Relief);
            d.valid_until = (2026, 11, 22);
            vec![d]
        };
        let not_yet = || {
            let mut d = direction(4, Category::Relief);
            d.valid_from = (2026, 11, 24);
            vec![d]
        };
        let revoked = || {
            let mut d = direction(5, Category::Relief);
            d.revoked = true;
            vec![d]
        };
        let travel = || vec![direction(6, Category::TravellerWorkItems)];
        type Row = (
            &'static str,
            Mode,
            JobClass,
            &'static str,
            &'static str,
            &'static str,
            Option<DeclNumber>,
            Vec<Direction>,
            Result<Basis, &'static str>,
        );
        let rows: Vec<Row> = vec![
            // case 1: VNACCS down
            (
                "outage import",
                Active,
                Import,
                "A11",
                "",
                "0101234567",
                None,
                vec![],
                Ok(Basis::Outage),
            ),
            (
                "outage export",
                Active,
                Export,
                "B11",
                "",
                "0101234567",
                None,
                vec![],
                Ok(Basis::Outage),
            ),
            (
                "outage transport",
                Active,
                Transport,
                "",
                "",
                "0101234567",
                None,
                vec![],
                Ok(Basis::Outage),
            ),
            (
                "low value never",
                Active,
                LowValue,
                "",
                "F",
                "0101234567",
                None,
                vec![],
                Err("A0002"),
            ),
            (
                "low value never, even directed",
                Standby,
                LowValue,
                "",
                "C",
                "0101234567",
                None,
                relief(),
                Err("A0002"),
            ),
            // standby without a basis
            (
                "standby plain import",
                Standby,
                Import,
                "A11",
                "",
                "0101234567",
                None,
                vec![],
                Err("A0015"),
            ),
            (
                "standby plain export",
                Standby,
                Export,
                "B11",
                "",
                "0101234567",
                None,
                vec![],
                Err("A0015"),
            ),
            (
                "standby transport",
                Standby,
                Transport,
                "",
                "",
                "0101234567",
                None,
                vec![],
                Err("A0015"),
            ),
            // case 2: directions
            (
                "directed relief",
                Standby,
                Import,
                "A11",
                "C",
                "0101234567",
                None,
                relief(),
                Ok(Basis::Direction(1)),
            ),
            (
                "directed relief, disaster goods",
                Standby,
                Import,
                "A11",
                "D",
                "0101234567",
                None,
                relief(),
                Ok(Basis::Direction(1)),
            ),
            (
                "directed humanitarian aid",
                Standby,
                Import,
                "A11",
                "E",
                "0101234567",
                None,
                relief(),
                Ok(Basis::Direction(1)),
            ),
            (
                "direction is for another category",
                Standby,
                Import,
                "A11",
                "B",
                "0101234567",
                None,
                relief(),
                Err("A0015"),
            ),
            (
                "direction is for another declarant",
                Standby,
                Import,
                "A11",
                "C",
                "0309999999",
                None,
                relief(),
                Err("A0015"),
            ),
            (
                "direction used up",
                Standby,
                Import,
                "A11",
                "A",
                "0101234567",
                None,
                gifts_used_up(),
                Err("A0015"),
            ),
            (
                "direction expired yesterday",
                Standby,
                Import,
                "A11",
                "C",
                "0101234567",
                None,
                expired(),
                Err("A0015"),
            ),
            (
                "direction starts tomorrow",
                Standby,
                Import,
                "A11",
                "C",
                "0101234567",
                None,
                not_yet(),
                Err("A0015"),
            ),
            (
                "direction revoked",
                Standby,
                Import,
                "A11",
                "C",
                "0101234567",
                None,
                revoked(),
                Err("A0015"),
            ),
            (
                "traveller temporary import",
                Standby,
                Import,
                "G14",
                "",
                "0101234567",
                None,
                travel(),
                Ok(Basis::Direction(6)),
            ),
            (
                "traveller temporary export",
                Standby,
                Export,
                "G61",
                "",
                "0101234567",
                None,
                travel(),
                Ok(Basis::Direction(6)),
            ),
            (
                "traveller direction does not cover a sale",
                Standby,
                Import,
                "A11",
                "",
                "0101234567",
                None,
                travel(),
                Err("A0015"),
            ),
            // case 3: continuations
            (
                "re-export of our temporary import",
                Standby,
                Export,
                "G21",
                "",
                "0101234567",
                ours(),
                vec![],
                Ok(Basis::Continuation),
            ),
            (
                "re-import of our temporary export",
                Standby,
                Import,
                "G51",
                "",
                "0101234567",
                ours(),
                vec![],
                Ok(Basis::Continuation),
            ),
            (
                "re-export of a VNACCS temporary import",
                Standby,
                Export,
                "G21",
                "",
                "0101234567",
                None,
                vec![],
                Err("A0015"),
            ),
            (
                "re-export in active mode is a continuation too",
                Active,
                Export,
                "G22",
                "",
                "0101234567",
                ours(),
                vec![],
                Ok(Basis::Continuation),
            ),
            (
                "re-export of a VNACCS declaration in an outage",
                Active,
                Export,
                "G24",
                "",
                "0101234567",
                None,
                vec![],
                Ok(Basis::Outage),
            ),
        ];
        for (name, mode, class, kind, cargo, tax, continues, dirs, want) in rows {
            let s = Subject {
                class,
                kind_code: kind,
                cargo_class: cargo,
                tax_code: tax,
                today: TODAY,
                continues,
                low_value: false,
            };
            let got = decide(mode, &s, &dirs).map_err(|c| c.code().to_string());
            assert_eq!(got, want.map_err(str::to_string), "{name}");
        }
    }

    /// One row per rule of low-value goods on the ordinary forms: mode,
    /// kind code, cargo class, invoice currency and total, continuation →
    /// outcome, under a VND 1 million threshold and a USD rate of 25,000.
    #[test]
    fn low_value_goods_on_ordinary_forms() {
        use Mode::*;
        let policy = LowValue {
            threshold_vnd: 1_000_000,
            rates: vec![("USD".into(), 25_000_000_000)],
        };
        type Row = (
            &'static str,
            Mode,
            &'static str,
            &'static str,
            &'static str,
            &'static str,
            Option<DeclNumber>,
            Result<Basis, &'static str>,
        );
        let rows: Vec<Row> = vec![
            (
                "express parcel at the threshold",
                Active,
                "A11",
                "F",
                "VND",
                "1000000",
                None,
                Err("A0002"),
            ),
            (
                "express parcel under it, in USD",
                Active,
                "A11",
                "F",
                "USD",
                "39.99",
                None,
                Err("A0002"),
            ),
            (
                "express parcel at it, in USD",
                Active,
                "A11",
                "F",
                "USD",
                "40",
                None,
                Err("A0002"),
            ),
            (
                "express parcel over it",
                Active,
                "A11",
                "F",
                "VND",
                "1000001",
                None,
                Ok(Basis::Outage),
            ),
            (
                "express parcel over it, in USD",
                Active,
                "A11",
                "F",
                "USD",
                "40.01",
                None,
                Ok(Basis::Outage),
            ),
            (
                "currency without a rate",
                Active,
                "A11",
                "F",
                "JPY",
                "100",
                None,
                Ok(Basis::Outage),
            ),
            (
                "no invoice total",
                Active,
                "A11",
                "F",
                "VND",
                "",
                None,
                Ok(Basis::Outage),
            ),
            (
                "cheap goods not by post or express",
                Active,
                "A11",
                "",
                "VND",
                "1000",
                None,
                Ok(Basis::Outage),
            ),
            (
                "cheap gift",
                Active,
                "A11",
                "A",
                "VND",
                "1000",
                None,
                Ok(Basis::Outage),
            ),
            (
                "low value in standby too",
                Standby,
                "A11",
                "F",
                "VND",
                "1000",
                None,
                Err("A0002"),
            ),
            (
                "re-export of our temporary import",
                Standby,
                "G21",
                "F",
                "VND",
                "1000",
                ours(),
                Ok(Basis::Continuation),
            ),
        ];
        for (name, mode, kind, cargo, currency, amount, continues, want) in rows {
            let s = Subject {
                class: JobClass::Import,
                kind_code: kind,
                cargo_class: cargo,
                tax_code: "0101234567",
                today: TODAY,
                continues,
                low_value: policy.covers(cargo, currency, amount),
            };
            let got = decide(mode, &s, &[]).map_err(|c| c.code().to_string());
            assert_eq!(got, want.map_err(str::to_string), "{name}");
        }
        let off = LowValue {
            threshold_vnd: 0,
            ..policy.clone()
        };
        assert!(!off.covers("F", "VND", "1"), "threshold 0 turns it off");
        assert!(policy.covers("F", "VND", "0"));
        assert!(
            !policy.covers("F", "USD", "99999999999999999999"),
            "too large to multiply is not low"
        );
    }

    #[test]
    fn job_classes() {
        let cases = [
            ("IDA", Some(JobClass::Import)),
            ("IDE", Some(JobClass::Import)),
            ("EDC", Some(JobClass::Export)),
            ("OLA", Some(JobClass::Transport)),
            ("BIA", Some(JobClass::Transport)),
            ("MIC", Some(JobClass::LowValue)),
            ("MEE", Some(JobClass::LowValue)),
            ("IDB", None),
            ("IID", None),
            ("#REP1", None),
            ("TCC", None),
        ];
        for (job, want) in cases {
            assert_eq!(JobClass::of(job), want, "{job}");
        }
    }

    #[test]
    fn names_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.name()), Some(c));
        }
        for m in [Mode::Active, Mode::Standby] {
            assert_eq!(Mode::parse(m.name()), Some(m));
        }
        assert_eq!(Category::parse("weapons"), None);
    }
}
