//! The declaration model, the import and export job families, and the
//! checks a declaration must pass beyond its layout.

use serde::{Deserialize, Serialize};

use super::channel::{Channel, ChannelRules, Facts};
use super::decision::Decisions;
use super::eligibility::Basis;
use super::numbering::{DeclNumber, Family};
use super::temporary::Management;
use crate::wire::{tables, Fields, Layout, ResultCode};

/// Where a declaration stands in the VNACCS flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// IDA accepted: number issued, data can still be replaced by a new IDA.
    PreRegistered,
    /// IDC done: the declaration is lodged and has a channel.
    Registered,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Declaration {
    pub number: DeclNumber,
    pub status: Status,
    /// Why the backup system took it (outage, direction, continuation).
    pub basis: Basis,
    /// Certificate (`serial@issuer`) that signed the pre-registration;
    /// `None`: it came unsigned.
    pub signed_by: Option<String>,
    /// Amended values lodged by IDA01/EDA01, waiting for IDE/EDE.
    pub pending_amendment: Option<Vec<String>>,
    pub amended_at: Option<i64>,
    /// The temporary declaration this one re-exports or re-imports from.
    pub continues: Option<DeclNumber>,
    /// A temporary declaration's management information as TIA last
    /// corrected it; `None` until then.
    pub management: Option<Management>,
    pub channel: Option<Channel>,
    /// Name of the channel rule that decided, `None` for the default.
    pub channel_rule: Option<String>,
    /// VNACCS user code that lodged it and the terminal it came from.
    pub user_code: String,
    pub terminal: String,
    /// Job whose layout `values` follow (`IDA`).
    pub job: String,
    pub values: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
    pub registered_at: Option<i64>,
    /// Officers' decisions after registration.
    pub decisions: Decisions,
}

impl Declaration {
    /// The base number of the first declaration of the divided set this
    /// one belongs to (its own for the first); `None` when not divided.
    pub fn divided_set(&self) -> Option<DeclNumber> {
        let spec = Spec::of(self.number.family);
        match division(spec, &spec.fields(self)) {
            Ok(Division::First { .. }) => Some(self.number.base()),
            Ok(Division::Part { first, .. }) => Some(first.base()),
            Ok(Division::Whole) | Err(_) => None,
        }
    }

    /// A declaration as a pre-registration creates it: taken during an
    /// outage, unsigned, not continuing anything, no channel yet.
    pub fn pre_registered(
        spec: &Spec,
        number: DeclNumber,
        user_code: &str,
        terminal: &str,
        values: Vec<String>,
        created_at: i64,
    ) -> Declaration {
        Declaration {
            number,
            status: Status::PreRegistered,
            basis: Basis::Outage,
            signed_by: None,
            pending_amendment: None,
            amended_at: None,
            continues: None,
            management: None,
            channel: None,
            channel_rule: None,
            user_code: user_code.into(),
            terminal: terminal.into(),
            job: spec.pre.into(),
            values,
            created_at,
            registered_at: None,
            decisions: Decisions::default(),
        }
    }
}

/// Import declaration kind codes (Decision 1357/QĐ-TCHQ and the IDA guide).
pub const IMPORT_KIND_CODES: &[&str] = &[
    "A11", "A12", "A21", "A31", "A41", "A42", "A43", "A44", "AEO", "C11", "C21", "E11", "E13",
    "E15", "E21", "E23", "E31", "E33", "E41", "G11", "G12", "G13", "G14", "G51", "H11",
];

/// Export declaration kind codes (Decision 1357/QĐ-TCHQ and the EDA guide).
pub const EXPORT_KIND_CODES: &[&str] = &[
    "AEO", "B11", "B12", "B13", "C12", "C22", "E42", "E44", "E46", "E52", "E54", "E56", "E62",
    "E64", "E82", "G21", "G22", "G23", "G24", "G61", "H21",
];

/// One declaration family's jobs and the fields they are keyed on. Import
/// and export mirror each other (IDA/IDB/IDC, EDA/EDB/EDC) and share their
/// result codes; only the field ids differ.
#[derive(Debug)]
pub struct Spec {
    pub family: Family,
    /// Pre-registration, call-up and registration job codes.
    pub pre: &'static str,
    pub call: &'static str,
    pub reg: &'static str,
    /// The pre-registration layout, in which declarations are stored.
    pub layout: &'static Layout,
    /// Declaration number, kind code and trader (importer/exporter) fields.
    pub number: &'static str,
    pub kind: &'static str,
    pub trader: &'static str,
    pub trader_name: &'static str,
    pub kind_codes: &'static [&'static str],
    /// Output code of the registered copy (shown with the pre-registration form).
    pub copy_out: &'static str,
    /// Output code of the channel notice.
    pub notice_out: &'static str,
    /// Output code of the clearance officers grant.
    pub clearance_out: &'static str,
    /// Output code of the release of goods before clearance; `None` where
    /// the family has no release (exports are cleared).
    pub release_out: Option<&'static str>,
    /// Amendment jobs: data (same layout as the pre-registration, number
    /// required), call-up of a registered declaration, registration.
    pub amend: &'static str,
    pub amend_call: &'static str,
    pub amend_reg: &'static str,
    pub amend_layout: &'static Layout,
    /// Output code of the amendment's registered copy.
    pub amend_copy_out: &'static str,
    /// Inquiry job and the output code of its reference information.
    pub inquiry: &'static str,
    pub reference_out: &'static str,
}

pub static IMPORT: Spec = Spec {
    family: Family::Import,
    pre: "IDA",
    call: "IDB",
    reg: "IDC",
    layout: &tables::IDA,
    number: "ICN",
    kind: "ICB",
    trader: "IMC",
    trader_name: "IMN",
    kind_codes: IMPORT_KIND_CODES,
    copy_out: "VAD4190",
    notice_out: "VAD1AC0",
    clearance_out: "VAD1AG0",
    release_out: Some("VAD1BJ0"),
    amend: "IDA01",
    amend_call: "IDD",
    amend_reg: "IDE",
    amend_layout: &tables::IDA01,
    amend_copy_out: "VAD4240",
    inquiry: "IID",
    reference_out: "VAD0AP0",
};

pub static EXPORT: Spec = Spec {
    family: Family::Export,
    pre: "EDA",
    call: "EDB",
    reg: "EDC",
    layout: &tables::EDA,
    number: "ECN",
    kind: "ECB",
    trader: "EPC",
    trader_name: "EPN",
    kind_codes: EXPORT_KIND_CODES,
    copy_out: "VAE4000",
    notice_out: "VAE1LD0",
    clearance_out: "VAE1LF0",
    release_out: None,
    amend: "EDA01",
    amend_call: "EDD",
    amend_reg: "EDE",
    amend_layout: &tables::EDA01,
    amend_copy_out: "VAE4110",
    inquiry: "IEX",
    reference_out: "VAE0LC0",
};

/// The step of the flow a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    PreRegister,
    CallUp,
    Register,
    Amend,
    AmendCallUp,
    AmendRegister,
    Inquiry,
}

impl Spec {
    pub fn for_job(job: &str) -> Option<(&'static Spec, Step)> {
        [&IMPORT, &EXPORT].into_iter().find_map(|s| {
            let step = match job {
                j if j == s.pre => Step::PreRegister,
                j if j == s.call => Step::CallUp,
                j if j == s.reg => Step::Register,
                j if j == s.amend => Step::Amend,
                j if j == s.amend_call => Step::AmendCallUp,
                j if j == s.amend_reg => Step::AmendRegister,
                j if j == s.inquiry => Step::Inquiry,
                _ => return None,
            };
            Some((s, step))
        })
    }

    pub fn of(family: Family) -> &'static Spec {
        match family {
            Family::Import => &IMPORT,
            Family::Export => &EXPORT,
        }
    }

    /// A declaration number of this family, or `None`.
    pub fn parse_number(&self, s: &str) -> Option<DeclNumber> {
        DeclNumber::parse(s).filter(|n| n.family == self.family)
    }

    /// The stored values as fields of the pre-registration layout.
    pub fn fields(&self, decl: &Declaration) -> Fields {
        Fields::from_values(self.layout, decl.values.clone())
    }
}

/// Who is lodging: the authenticated declarant and the tax codes they may
/// declare for.
pub struct Declarant<'a> {
    pub user_code: &'a str,
    pub tax_codes: &'a [String],
}

/// Business checks of a pre-registration beyond the layout. Each failure
/// names the field, with the code the job's table has for it.
pub fn check_trader(spec: &Spec, fields: &Fields, who: &Declarant) -> Vec<ResultCode> {
    let mut errors = Vec::new();
    let kind = fields.get(spec.kind);
    if !kind.is_empty() && !spec.kind_codes.contains(&kind) {
        errors.push(ResultCode::new("S0055", spec.kind, 0));
    }
    let trader = fields.get(spec.trader);
    if trader.is_empty() {
        errors.push(ResultCode::new("E1000", spec.trader, 0));
    } else if !who.tax_codes.iter().any(|t| t == trader) {
        // The user may only declare for the enterprises it was provisioned for.
        errors.push(ResultCode::new("U0002", spec.trader, 0));
    }
    errors
}

/// What a pre-registration that names an existing declaration number may
/// do with it: replace the pre-registration of the same declarant before
/// registration.
pub fn check_replace(
    spec: &Spec,
    existing: Option<&Declaration>,
    user_code: &str,
) -> Result<(), ResultCode> {
    let code = |c| Err(ResultCode::new(c, spec.number, 0));
    match existing {
        None => code("E0213"),
        Some(d) if d.user_code != user_code => code("U0002"),
        Some(d) if d.status != Status::PreRegistered => code("E0220"),
        Some(_) => Ok(()),
    }
}

/// What a registration (IDC/EDC) may do with the declaration it names.
pub fn check_register(
    spec: &Spec,
    existing: Option<&Declaration>,
    user_code: &str,
) -> Result<(), ResultCode> {
    match existing {
        // Another declarant's number is reported as unknown: no existence leak.
        Some(d) if d.user_code == user_code => match d.status {
            Status::PreRegistered => Ok(()),
            Status::Registered => Err(ResultCode::new("E0074", spec.number, 0)),
        },
        _ => Err(ResultCode::new("S0005", spec.number, 0)),
    }
}

/// Whether officers have let the goods go (release or clearance), after
/// which the declarant can no longer amend.
fn decided(d: &Declaration) -> bool {
    d.decisions.cleared.is_some() || d.decisions.released.is_some()
}

/// The code refusing an amendment of a released or cleared declaration.
/// The tables have no one code for it: IDD has E0209 ("already
/// permitted"); EDD, which has no E0209, E4026 ("checks completed", which
/// clearance follows); IDA01 and EDA01 both E1038 ("changed after release
/// approval" / "checks completed"). IDE/EDE need none: no release or
/// clearance is given while an amendment waits (`decision::apply`).
fn after_release(spec: &Spec, lodging: bool) -> &'static str {
    match (lodging, spec.family) {
        (true, _) => "E1038",
        (false, Family::Import) => "E0209",
        (false, Family::Export) => "E4026",
    }
}

/// IDD/EDD: a registered declaration is called up for amendment while its
/// amendment digit has room, until officers release or clear it.
pub fn check_amend_call(
    spec: &Spec,
    existing: Option<&Declaration>,
    user_code: &str,
) -> Result<(), ResultCode> {
    let code = |c| Err(ResultCode::new(c, spec.number, 0));
    match existing {
        Some(d) if d.user_code == user_code => match (d.status, d.number.amended()) {
            (Status::PreRegistered, _) => code("E0206"),
            (Status::Registered, None) => code("E0208"),
            (Status::Registered, Some(_)) if decided(d) => code(after_release(spec, false)),
            (Status::Registered, Some(_)) => Ok(()),
        },
        _ => code("S0003"),
    }
}

/// IDA01/EDA01: amendment data for a registered declaration of the same
/// declarant, at most nine amendments, until it is released or cleared.
pub fn check_amend(
    spec: &Spec,
    existing: Option<&Declaration>,
    user_code: &str,
) -> Result<(), ResultCode> {
    let code = |c| Err(ResultCode::new(c, spec.number, 0));
    match existing {
        None => code("E0223"),
        Some(d) if d.user_code != user_code => code("U0004"),
        Some(d) if d.status != Status::Registered => code("E0223"),
        Some(d) if d.number.amended().is_none() => code("E0399"),
        Some(d) if decided(d) => code(after_release(spec, true)),
        Some(_) => Ok(()),
    }
}

/// IDE/EDE: registers the amendment lodged by IDA01/EDA01.
pub fn check_amend_register(
    spec: &Spec,
    existing: Option<&Declaration>,
    user_code: &str,
) -> Result<(), ResultCode> {
    match existing {
        Some(d) if d.user_code == user_code => match &d.pending_amendment {
            Some(_) if d.number.amended().is_some() => Ok(()),
            _ => Err(ResultCode::new("E0153", spec.number, 0)),
        },
        _ => Err(ResultCode::new("S0005", spec.number, 0)),
    }
}

/// What the divided-declaration fields say (a shipment of more than 50
/// lines is split into several declarations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Division {
    /// Not divided.
    Whole,
    /// The first of `of` declarations (FIC `F`).
    First { of: u8 },
    /// Part `part` of `of`, whose first declaration is `first`.
    Part { first: DeclNumber, part: u8, of: u8 },
}

/// Reads FIC/BNO/DNO, with the IDA/EDA codes for an incomplete or
/// inconsistent set.
pub fn division(spec: &Spec, f: &Fields) -> Result<Division, ResultCode> {
    let (fic, bno, dno) = (f.get("FIC"), f.get("BNO"), f.get("DNO"));
    let code = |c: &str, field: &str| Err(ResultCode::new(c, field, 0));
    if fic.is_empty() {
        return match (bno.is_empty(), dno.is_empty()) {
            (true, true) => Ok(Division::Whole),
            (false, _) => code("R1028", "BNO"),
            (true, false) => code("R1030", "DNO"),
        };
    }
    let (Ok(part), Ok(of)) = (bno.parse::<u8>(), dno.parse::<u8>()) else {
        return if bno.is_empty() {
            code("R1028", "BNO")
        } else {
            code("R1030", "DNO")
        };
    };
    if of < 2 || part == 0 || part > of {
        return code("R1031", "BNO");
    }
    if fic == "F" {
        return if part == 1 {
            Ok(Division::First { of })
        } else {
            code("R1029", "BNO")
        };
    }
    match spec.parse_number(fic) {
        Some(first) if part >= 2 => Ok(Division::Part { first, part, of }),
        Some(_) => code("R1031", "BNO"),
        None => code("S1000", "FIC"),
    }
}

/// A part of a divided declaration must name the first declaration of the
/// same declarant's set, with the same number of parts.
pub fn check_part(
    spec: &Spec,
    of: u8,
    first: Option<&Declaration>,
    user_code: &str,
) -> Result<(), ResultCode> {
    let matches = first.is_some_and(|d| {
        let f = spec.fields(d);
        d.user_code == user_code
            && f.get("FIC") == "F"
            && f.get("DNO").parse::<u8>().ok() == Some(of)
    });
    if matches {
        Ok(())
    } else {
        Err(ResultCode::new("S1000", "FIC", 0))
    }
}

/// Channel for a declaration's fields.
pub fn channel<'r>(
    spec: &Spec,
    rules: &'r ChannelRules,
    fields: &Fields,
) -> (Channel, Option<&'r str>) {
    let reps = fields.reps_present();
    let facts = Facts {
        kind_code: fields.get(spec.kind),
        cargo_class: fields.get("CCC"),
        hs_codes: reps.iter().map(|&r| fields.get_rep("CMD", r)).collect(),
        origins: reps.iter().map(|&r| fields.get_rep("OR", r)).collect(),
        declarant: fields.get(spec.trader),
        invoice_value: fields.get("IP4").parse().ok(),
    };
    rules.decide(&facts)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Fields of a family's pre-registration layout from (id, goods line, value).
    pub(crate) fn fields(spec: &Spec, pairs: &[(&str, u16, &str)]) -> Fields {
        let mut f = Fields::new(spec.layout);
        for (id, rep, v) in pairs {
            f.set_rep(id, *rep, v);
        }
        f
    }

    #[test]
    fn trader_checks_for_both_families() {
        let codes = vec!["0101234567".to_string()];
        let who = Declarant {
            user_code: "ABC12001",
            tax_codes: &codes,
        };
        type Row = (
            &'static str,
            &'static Spec,
            Vec<(&'static str, u16, &'static str)>,
            Vec<&'static str>,
        );
        let rows: Vec<Row> = vec![
            (
                "import valid",
                &IMPORT,
                vec![("ICB", 0, "A11"), ("IMC", 0, "0101234567")],
                vec![],
            ),
            (
                "import with an export kind code",
                &IMPORT,
                vec![("ICB", 0, "B11"), ("IMC", 0, "0101234567")],
                vec!["S0055-ICB -0000"],
            ),
            (
                "no importer",
                &IMPORT,
                vec![("ICB", 0, "A11")],
                vec!["E1000-IMC -0000"],
            ),
            (
                "someone else's importer",
                &IMPORT,
                vec![("ICB", 0, "A11"), ("IMC", 0, "0309999999")],
                vec!["U0002-IMC -0000"],
            ),
            (
                "both wrong",
                &IMPORT,
                vec![("ICB", 0, "ZZZ"), ("IMC", 0, "0309999999")],
                vec!["S0055-ICB -0000", "U0002-IMC -0000"],
            ),
            (
                "export valid",
                &EXPORT,
                vec![("ECB", 0, "B11"), ("EPC", 0, "0101234567")],
                vec![],
            ),
            (
                "re-export valid",
                &EXPORT,
                vec![("ECB", 0, "G21"), ("EPC", 0, "0101234567")],
                vec![],
            ),
            (
                "export with an import kind code",
                &EXPORT,
                vec![("ECB", 0, "A11"), ("EPC", 0, "0101234567")],
                vec!["S0055-ECB -0000"],
            ),
            (
                "no exporter",
                &EXPORT,
                vec![("ECB", 0, "B11")],
                vec!["E1000-EPC -0000"],
            ),
            (
                "someone else's exporter",
                &EXPORT,
                vec![("ECB", 0, "B11"), ("EPC", 0, "0309999999")],
                vec!["U0002-EPC -0000"],
            ),
        ];
        for (name, spec, pairs, want) in rows {
            let got: Vec<String> = check_trader(spec, &fields(spec, &pairs), &who)
                .iter()
                .map(|c| c.to_string())
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    fn decl(user: &str, status: Status) -> Declaration {
        let n = DeclNumber {
            family: Family::Import,
            block: 1,
            seq: 1,
            amendment: 0,
        };
        Declaration {
            status,
            ..Declaration::pre_registered(&IMPORT, n, user, "T12345", vec![], 0)
        }
    }

    #[test]
    fn replace_and_register_rules() {
        let pre = decl("ABC12001", Status::PreRegistered);
        let reg = decl("ABC12001", Status::Registered);
        let code = |r: Result<(), ResultCode>| r.err().map(|c| c.to_string());
        type Check = fn(&Spec, Option<&Declaration>, &str) -> Result<(), ResultCode>;
        let rows: Vec<(&str, Check, &Spec, Option<&Declaration>, &str, Option<&str>)> = vec![
            (
                "replace own pre-registration",
                check_replace,
                &IMPORT,
                Some(&pre),
                "ABC12001",
                None,
            ),
            (
                "replace unknown",
                check_replace,
                &IMPORT,
                None,
                "ABC12001",
                Some("E0213-ICN -0000"),
            ),
            (
                "replace another's",
                check_replace,
                &IMPORT,
                Some(&pre),
                "XYZ99001",
                Some("U0002-ICN -0000"),
            ),
            (
                "replace registered",
                check_replace,
                &EXPORT,
                Some(&reg),
                "ABC12001",
                Some("E0220-ECN -0000"),
            ),
            (
                "register own",
                check_register,
                &IMPORT,
                Some(&pre),
                "ABC12001",
                None,
            ),
            (
                "register twice",
                check_register,
                &EXPORT,
                Some(&reg),
                "ABC12001",
                Some("E0074-ECN -0000"),
            ),
            (
                "register another's",
                check_register,
                &IMPORT,
                Some(&pre),
                "XYZ99001",
                Some("S0005-ICN -0000"),
            ),
            (
                "register unknown",
                check_register,
                &EXPORT,
                None,
                "ABC12001",
                Some("S0005-ECN -0000"),
            ),
        ];
        for (name, check, spec, existing, user, want) in rows {
            assert_eq!(code(check(spec, existing, user)).as_deref(), want, "{name}");
        }
    }

    #[test]
    fn jobs_map_to_their_family_and_step() {
        let cases = [
            ("IDA", Some((Family::Import, Step::PreRegister))),
            ("IDB", Some((Family::Import, Step::CallUp))),
            ("IDC", Some((Family::Import, Step::Register))),
            ("EDA", Some((Family::Export, Step::PreRegister))),
            ("EDB", Some((Family::Export, Step::CallUp))),
            ("EDC", Some((Family::Export, Step::Register))),
            ("IDA01", Some((Family::Import, Step::Amend))),
            ("IDD", Some((Family::Import, Step::AmendCallUp))),
            ("EDE", Some((Family::Export, Step::AmendRegister))),
            ("IID", Some((Family::Import, Step::Inquiry))),
            ("IEX", Some((Family::Export, Step::Inquiry))),
            ("OLA", None),
        ];
        for (job, want) in cases {
            assert_eq!(
                Spec::for_job(job).map(|(s, st)| (s.family, st)),
                want,
                "{job}"
            );
        }
        for spec in [&IMPORT, &EXPORT] {
            for id in [
                spec.number,
                spec.kind,
                spec.trader,
                spec.trader_name,
                "TDN",
                "CCC",
                "CMD",
                "CH",
            ] {
                assert!(
                    spec.layout.items.iter().any(|i| i.id == id),
                    "{} lacks {id}",
                    spec.pre
                );
            }
        }
    }

    #[test]
    fn divided_declarations() {
        let first = DeclNumber {
            family: Family::Import,
            block: 17,
            seq: 1,
            amendment: 0,
        };
        let rows: Vec<(&str, &str, &str, Result<Division, &str>)> = vec![
            ("", "", "", Ok(Division::Whole)),
            ("F", "1", "3", Ok(Division::First { of: 3 })),
            (
                "190170000010",
                "2",
                "3",
                Ok(Division::Part {
                    first,
                    part: 2,
                    of: 3,
                }),
            ),
            (
                "190170000010",
                "3",
                "3",
                Ok(Division::Part {
                    first,
                    part: 3,
                    of: 3,
                }),
            ),
            ("", "2", "", Err("R1028-BNO -0000")),
            ("", "", "3", Err("R1030-DNO -0000")),
            ("F", "", "3", Err("R1028-BNO -0000")),
            ("F", "1", "", Err("R1030-DNO -0000")),
            ("F", "2", "3", Err("R1029-BNO -0000")),
            ("F", "4", "3", Err("R1031-BNO -0000")),
            ("F", "1", "1", Err("R1031-BNO -0000")),
            ("190170000010", "1", "3", Err("R1031-BNO -0000")),
            ("390170000010", "2", "3", Err("S1000-FIC -0000")),
            ("X", "2", "3", Err("S1000-FIC -0000")),
        ];
        for (fic, bno, dno, want) in rows {
            let f = fields(
                &IMPORT,
                &[("FIC", 0, fic), ("BNO", 0, bno), ("DNO", 0, dno)],
            );
            let got = division(&IMPORT, &f).map_err(|c| c.to_string());
            assert_eq!(got, want.map_err(str::to_string), "{fic}/{bno}/{dno}");
        }
        let head = Declaration {
            values: fields(
                &IMPORT,
                &[("FIC", 0, "F"), ("BNO", 0, "1"), ("DNO", 0, "3")],
            )
            .values()
            .to_vec(),
            ..decl("ABC12001", Status::Registered)
        };
        assert!(check_part(&IMPORT, 3, Some(&head), "ABC12001").is_ok());
        for (of, d, user) in [
            (4, Some(&head), "ABC12001"),
            (3, Some(&head), "XYZ34002"),
            (3, None, "ABC12001"),
        ] {
            assert_eq!(
                check_part(&IMPORT, of, d, user).unwrap_err().to_string(),
                "S1000-FIC -0000"
            );
        }
        let whole = decl("ABC12001", Status::Registered);
        assert!(
            check_part(&IMPORT, 3, Some(&whole), "ABC12001").is_err(),
            "not the head of a set"
        );
    }

    #[test]
    fn amendment_layouts_store_like_the_pre_registration() {
        for spec in [&IMPORT, &EXPORT] {
            assert_eq!(
                spec.layout.positions(),
                spec.amend_layout.positions(),
                "{}",
                spec.amend
            );
            // Values move between the two by position: same ids and widths.
            // (EDA01 types TXN as alphanumeric where EDA has it numeric;
            // digits are valid in both.)
            for (a, b) in spec.layout.items.iter().zip(spec.amend_layout.items) {
                assert_eq!((a.id, a.width), (b.id, b.width), "{}", spec.amend);
            }
        }
    }

    #[test]
    fn amendment_rules() {
        let mut pre = decl("ABC12001", Status::PreRegistered);
        let reg = decl("ABC12001", Status::Registered);
        let mut ninth = decl("ABC12001", Status::Registered);
        ninth.number.amendment = 9;
        let mut pending = reg.clone();
        pending.pending_amendment = Some(vec![]);
        pre.pending_amendment = None;
        let code = |r: Result<(), ResultCode>| r.err().map(|c| c.to_string());
        type Check = fn(&Spec, Option<&Declaration>, &str) -> Result<(), ResultCode>;
        let rows: Vec<(&str, Check, Option<&Declaration>, &str, Option<&str>)> = vec![
            (
                "call up registered",
                check_amend_call,
                Some(&reg),
                "ABC12001",
                None,
            ),
            (
                "call up before IDC",
                check_amend_call,
                Some(&pre),
                "ABC12001",
                Some("E0206-ICN -0000"),
            ),
            (
                "call up at digit 9",
                check_amend_call,
                Some(&ninth),
                "ABC12001",
                Some("E0208-ICN -0000"),
            ),
            (
                "call up another's",
                check_amend_call,
                Some(&reg),
                "XYZ99001",
                Some("S0003-ICN -0000"),
            ),
            (
                "call up unknown",
                check_amend_call,
                None,
                "ABC12001",
                Some("S0003-ICN -0000"),
            ),
            (
                "amend registered",
                check_amend,
                Some(&reg),
                "ABC12001",
                None,
            ),
            (
                "amend unknown",
                check_amend,
                None,
                "ABC12001",
                Some("E0223-ICN -0000"),
            ),
            (
                "amend before IDC",
                check_amend,
                Some(&pre),
                "ABC12001",
                Some("E0223-ICN -0000"),
            ),
            (
                "amend another's",
                check_amend,
                Some(&reg),
                "XYZ99001",
                Some("U0004-ICN -0000"),
            ),
            (
                "amend a tenth time",
                check_amend,
                Some(&ninth),
                "ABC12001",
                Some("E0399-ICN -0000"),
            ),
            (
                "register a pending amendment",
                check_amend_register,
                Some(&pending),
                "ABC12001",
                None,
            ),
            (
                "register without IDA01",
                check_amend_register,
                Some(&reg),
                "ABC12001",
                Some("E0153-ICN -0000"),
            ),
            (
                "register another's",
                check_amend_register,
                Some(&pending),
                "XYZ99001",
                Some("S0005-ICN -0000"),
            ),
        ];
        for (name, check, existing, user, want) in rows {
            assert_eq!(
                code(check(&IMPORT, existing, user)).as_deref(),
                want,
                "{name}"
            );
        }
    }

    /// Released or cleared: (spec, what officers decided) → the code of
    /// IDD/EDD and of IDA01/EDA01.
    #[test]
    fn no_amendment_after_release_or_clearance() {
        use super::super::decision::Signed;
        let signed = || {
            Some(Signed {
                by: "officer:sup1".into(),
                at: 1,
            })
        };
        let rows = [
            (&IMPORT, false, false, None, None),
            (
                &IMPORT,
                true,
                false,
                Some("E0209-ICN -0000"),
                Some("E1038-ICN -0000"),
            ),
            (
                &IMPORT,
                false,
                true,
                Some("E0209-ICN -0000"),
                Some("E1038-ICN -0000"),
            ),
            (
                &IMPORT,
                true,
                true,
                Some("E0209-ICN -0000"),
                Some("E1038-ICN -0000"),
            ),
            (&EXPORT, false, false, None, None),
            (
                &EXPORT,
                false,
                true,
                Some("E4026-ECN -0000"),
                Some("E1038-ECN -0000"),
            ),
        ];
        for (spec, released, cleared, call, lodge) in rows {
            let n = DeclNumber {
                family: spec.family,
                block: 1,
                seq: 1,
                amendment: 0,
            };
            let mut d = Declaration {
                status: Status::Registered,
                ..Declaration::pre_registered(spec, n, "ABC12001", "T12345", vec![], 0)
            };
            d.decisions.released = if released { signed() } else { None };
            d.decisions.cleared = if cleared { signed() } else { None };
            let code = |r: Result<(), ResultCode>| r.err().map(|c| c.to_string());
            let row = (spec.family, released, cleared);
            assert_eq!(
                code(check_amend_call(spec, Some(&d), "ABC12001")).as_deref(),
                call,
                "{row:?}"
            );
            assert_eq!(
                code(check_amend(spec, Some(&d), "ABC12001")).as_deref(),
                lodge,
                "{row:?}"
            );
        }
    }

    #[test]
    fn channel_uses_every_goods_line() {
        let rules = ChannelRules::builtin();
        let f = fields(
            &IMPORT,
            &[
                ("ICB", 0, "A11"),
                ("CMD", 1, "84713020"),
                ("CMD", 2, "93059100"),
            ],
        );
        assert_eq!(channel(&IMPORT, &rules, &f).0, Channel::Red);
        let f = fields(&EXPORT, &[("ECB", 0, "B11"), ("CMD", 1, "84713020")]);
        assert_eq!(channel(&EXPORT, &rules, &f).0, Channel::Green);
    }
}
