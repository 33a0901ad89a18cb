//! Output messages built from declarations: which declaration field fills
//! which output item.

use super::declaration::{Declaration, Spec};
use super::eligibility::Day;
use super::numbering::Family;
use super::temporary::{self, LineBalance};
use super::transport::{Transport, CARGO_BLOCKS};
use crate::wire::{tables, Fields, Layout};

/// How a channel notice, and the clearance output that repeats its items,
/// are filled from a declaration.
struct NoticeMap {
    layout: &'static Layout,
    /// The clearance layout: the notice's items plus the permit's.
    clearance: &'static Layout,
    /// The layout the release notice goes in; `None`: no release.
    release: Option<&'static Layout>,
    /// Permit date and time, inspection completion date and time.
    permit: (&'static str, &'static str),
    inspected: (&'static str, &'static str),
    channel: &'static str,
    registered_date: &'static str,
    registered_time: &'static str,
    line_number: &'static str,
    /// (notice item, declaration field)
    header: &'static [(&'static str, &'static str)],
    lines: &'static [(&'static str, &'static str)],
}

/// Import declaration (IDA) → channel notice (VAD1AC).
static IMPORT_NOTICE: NoticeMap = NoticeMap {
    layout: &tables::VAD1AC,
    clearance: &tables::VAD1AG,
    // An assumption: VAD1BJ's own layout is not among the facts the project
    // carries, so the release notice is sent in the clearance layout (the
    // declaration as released, the permit items blank). Replace it here when
    // the real layout is known.
    release: Some(&tables::VAD1AG),
    permit: ("C21", "AD4"),
    inspected: ("C22", "AD5"),
    channel: "A06",
    registered_date: "A09",
    registered_time: "AD1",
    line_number: "B25",
    header: &[
        ("FIC", "FIC"),
        ("BNO", "BNO"),
        ("DNO", "DNO"),
        ("TDN", "TDN"),
        ("A02", "ICB"),
        ("ADA", "CCC"),
        ("ADB", "MTC"),
        ("A05", "SKB"),
        ("A07", "CH"),
        ("A08", "CHB"),
        ("RED", "RED"),
        ("A18", "IMC"),
        ("A19", "IMN"),
        ("A20", "IMY"),
        ("A21", "IMA"),
        ("A25", "IMT"),
        ("A26", "NMC"),
        ("A27", "NMN"),
        ("A28", "EPC"),
        ("A29", "EPN"),
        ("A30", "EPY"),
        ("A31", "EPA"),
        ("A32", "EP2"),
        ("A33", "EP3"),
        ("A34", "EP4"),
        ("A35", "EPO"),
        ("KB1", "BL1"),
        ("KB2", "BL2"),
        ("KB3", "BL3"),
        ("KB4", "BL4"),
        ("KB5", "BL5"),
        ("A48", "NO"),
        ("A49", "NOT"),
        ("A52", "GW"),
        ("A53", "GWT"),
        ("A50", "ST"),
        ("A41", "DST"),
        ("A43", "PSC"),
        ("A46", "VSN"),
        ("A47", "ARR"),
        ("A71", "IV1"),
        ("A72", "IV3"),
        ("IVD", "IVD"),
        ("IVP", "IVP"),
        ("A74", "IP1"),
        ("A75", "IP2"),
        ("A76", "IP3"),
        ("A77", "IP4"),
    ],
    lines: &[
        ("B27", "CMD"),
        ("B30", "CMN"),
        ("B31", "QN1"),
        ("B32", "QT1"),
        ("B34", "QN2"),
        ("B35", "QT2"),
        ("B48", "BPR"),
        ("UPR", "UPR"),
        ("UPC", "UPC"),
        ("TSC", "TSC"),
        ("B55", "OR"),
        ("TDL", "TDL"),
    ],
};

/// Export declaration (EDA) → channel notice (VAE1LD).
static EXPORT_NOTICE: NoticeMap = NoticeMap {
    layout: &tables::VAE1LD,
    clearance: &tables::VAE1LF,
    release: None,
    permit: ("K86", "AD5"),
    inspected: ("CCD", "AD4"),
    channel: "K07",
    registered_date: "K10",
    registered_time: "AD1",
    line_number: "R01",
    header: &[
        ("FIC", "FIC"),
        ("BNO", "BNO"),
        ("DNO", "DNO"),
        ("TNO", "TDN"),
        ("K03", "ECB"),
        ("K05", "CCC"),
        ("ADF", "MTC"),
        ("K08", "CH"),
        ("K09", "CHB"),
        ("RID", "RID"),
        ("K16", "EPC"),
        ("K17", "EPN"),
        ("K18", "EPP"),
        ("K19", "EPA"),
        ("K23", "EPT"),
        ("ADG", "EXC"),
        ("ADH", "EXN"),
        ("K24", "CGC"),
        ("K25", "CGN"),
        ("K36", "NO"),
        ("K37", "NOT"),
        ("K39", "GW"),
        ("K40", "GWT"),
        ("K41", "ST"),
        ("K43", "DSC"),
        ("K44", "DSN"),
        ("K46", "PSC"),
        ("K47", "PSN"),
        ("K50", "VSC"),
        ("K51", "VSN"),
        ("K52", "SYM"),
        ("K56", "MRK"),
        ("K58", "IV1"),
        ("K59", "IV3"),
        ("IVD", "IVD"),
        ("IVP", "IVP"),
        ("K61", "IP2"),
        ("K62", "IP3"),
        ("K63", "IP4"),
        ("K64", "IP1"),
    ],
    lines: &[
        ("R05", "CMD"),
        ("R04", "CMN"),
        ("R08", "QN1"),
        ("R09", "QT1"),
        ("R11", "QN2"),
        ("R12", "QT2"),
        ("R13", "BPR"),
        ("UPR", "UPR"),
        ("UPC", "UPC"),
        ("TSC", "TSC"),
        ("TDN", "TDL"),
    ],
};

fn notice_map(family: Family) -> &'static NoticeMap {
    match family {
        Family::Import => &IMPORT_NOTICE,
        Family::Export => &EXPORT_NOTICE,
    }
}

/// The declaration's data in its own pre-registration layout, with the
/// number filled in: the registered copy (VAD419 / VAE400, shown with the
/// IDA / EDA form) and the IDB / EDB call-up.
pub fn registered_copy(spec: &Spec, decl: &Declaration) -> Fields {
    let mut f = spec.fields(decl);
    f.set(spec.number, &decl.number.to_string());
    f
}

/// Copies values into an output layout by field name: the k-th item of a
/// name in `dst` takes the value of the k-th item of the same name in `src`
/// (names repeat: several postcodes, five B/L numbers), within the header
/// or within the goods lines. Items without a counterpart stay empty.
pub fn fill_by_name(src: &Fields, dst: &mut Fields) {
    let norm = |n: &str| n.trim().to_ascii_lowercase();
    let sides = |f: &Fields| {
        let layout = f.layout;
        let group = layout.group.map_or(0..0, |g| g.start..g.start + g.len);
        let mut header: Vec<(String, &'static str)> = Vec::new();
        let mut lines: Vec<(String, &'static str)> = Vec::new();
        for (i, item) in layout.items.iter().enumerate() {
            let side = if group.contains(&i) {
                &mut lines
            } else {
                &mut header
            };
            side.push((norm(item.name), item.id));
        }
        (header, lines)
    };
    let pairs = |from: &[(String, &'static str)], to: &[(String, &'static str)]| {
        let mut out = Vec::new();
        for (k, (name, id)) in to.iter().enumerate() {
            let nth = to[..k].iter().filter(|(n, _)| n == name).count();
            if let Some((_, src_id)) = from.iter().filter(|(n, _)| n == name).nth(nth) {
                out.push((*id, *src_id));
            }
        }
        out
    };
    let (src_header, src_lines) = sides(src);
    let (dst_header, dst_lines) = sides(dst);
    for (to, from) in pairs(&src_header, &dst_header) {
        dst.set(to, src.get(from));
    }
    let line_pairs = pairs(&src_lines, &dst_lines);
    for rep in src.reps_present() {
        for (to, from) in &line_pairs {
            dst.set_rep(to, rep, src.get_rep(from, rep));
        }
    }
}

/// Copies values into another layout by field id: each item of `dst` takes
/// the value of the item with the same id in `src`, when both have it
/// outside their repeated groups or both inside them.
pub fn fill_by_id(src: &Fields, dst: &mut Fields) {
    let grouped = |l: &Layout, id: &str| {
        l.group
            .is_some_and(|g| l.items[g.start..g.start + g.len].iter().any(|i| i.id == id))
    };
    for item in dst.layout.items {
        let id = item.id;
        match (grouped(dst.layout, id), grouped(src.layout, id)) {
            (false, false) if src.layout.position(id, 0).is_some() => dst.set(id, src.get(id)),
            (true, true) => {
                for rep in src.reps_present() {
                    dst.set_rep(id, rep, src.get_rep(id, rep));
                }
            }
            _ => {}
        }
    }
}

/// Reference information of a declaration (IID → VAD0AP, IEX → VAE0LC):
/// everything it holds, by field name, plus what the appliance decided.
pub fn reference(spec: &Spec, decl: &Declaration, registered: Option<&Stamp>) -> Fields {
    let (layout, channel, date) = match spec.family {
        Family::Import => (&tables::VAD0AP, "A07", "A10"),
        Family::Export => (&tables::VAE0LC, "K07", "K10"),
    };
    let mut out = Fields::new(layout);
    fill_by_name(&registered_copy(spec, decl), &mut out);
    if let Some(ch) = decl.channel {
        out.set(channel, &ch.number().to_string());
    }
    if let Some(r) = registered {
        out.set(date, &r.date);
        out.set("AD1", &r.time);
    }
    out
}

fn ddmmyyyy((y, m, d): Day) -> String {
    format!("{d:02}{m:02}{y:04}")
}

/// Marks a deadline that has passed, in the "time limit over" items.
fn over(deadline: Option<Day>, today: Day) -> &'static str {
    if deadline.is_some_and(|d| d < today) {
        "X"
    } else {
        ""
    }
}

/// Detail of a temporary declaration's management information (ITI →
/// VAL816): its lines with original, re-exported/re-imported and
/// remaining quantities.
pub fn temporary_detail(
    decl: &Declaration,
    balances: &[LineBalance],
    registered: Option<&Stamp>,
    today: Day,
) -> Fields {
    let spec = Spec::of(decl.number.family);
    let src = spec.fields(decl);
    let deadline = temporary::deadline(decl);
    let mut out = Fields::new(&tables::VAL816);
    out.set("A01", &decl.number.to_string());
    out.set(
        "A03",
        if spec.family == Family::Import {
            "I"
        } else {
            "E"
        },
    );
    out.set("A04", src.get("CH"));
    if let Some(r) = registered {
        out.set("A05", &r.date);
        out.set("A10", &r.date);
    }
    out.set("A06", decl.user_code.get(..5).unwrap_or(&decl.user_code));
    out.set("A08", src.get(spec.trader));
    out.set("A09", src.get(spec.trader_name));
    out.set("A11", &deadline.map(ddmmyyyy).unwrap_or_default());
    out.set("A12", over(deadline, today));
    for (i, b) in balances.iter().enumerate() {
        let rep = i as u16 + 1;
        for (id, v) in [
            ("D01", b.hs.clone()),
            ("D02", temporary::format_quantity(b.original)),
            ("D03", b.unit.clone()),
            ("D04", temporary::format_quantity(b.drawn())),
            ("D05", b.unit.clone()),
            ("D06", temporary::format_quantity(b.remaining())),
            ("D07", b.unit.clone()),
        ] {
            out.set_rep(id, rep, &v);
        }
    }
    out
}

/// A temporary declaration's management information in another layout
/// that names its items like VAL816: the TIA form a TIB calls up, or the
/// copy VAL811 a TIA queues.
pub fn management(
    layout: &'static Layout,
    decl: &Declaration,
    balances: &[LineBalance],
    registered: Option<&Stamp>,
    today: Day,
) -> Fields {
    let mut out = Fields::new(layout);
    fill_by_name(
        &temporary_detail(decl, balances, registered, today),
        &mut out,
    );
    out
}

/// The search conditions of an ITI list, echoed in VAL815.
pub struct TemporarySearch<'a> {
    pub direction: &'a str,
    pub office: &'a str,
    pub deadline_by: &'a str,
    pub trader: &'a str,
}

/// A list of temporary declarations (ITI → VAL815), at most 100.
pub fn temporary_list(search: &TemporarySearch, found: &[Declaration], today: Day) -> Fields {
    let mut out = Fields::new(&tables::VAL815);
    out.set("IEI", search.direction);
    out.set("CH", search.office);
    out.set("TED", search.deadline_by);
    out.set("UCD", search.trader);
    for (i, d) in found.iter().take(100).enumerate() {
        let rep = i as u16 + 1;
        let spec = Spec::of(d.number.family);
        let f = spec.fields(d);
        let deadline = temporary::deadline(d);
        out.set_rep("B01", rep, &d.number.to_string());
        out.set_rep("B02", rep, &deadline.map(ddmmyyyy).unwrap_or_default());
        out.set_rep("B03", rep, over(deadline, today));
        out.set_rep("B04", rep, f.get(spec.trader));
        out.set_rep("B05", rep, f.get(spec.trader_name));
    }
    out
}

/// Reference information of a transport (ITF → VAS518): its data by field
/// name, the number, and when it was cancelled.
pub fn transport_reference(t: &Transport, cancelled: Option<&Stamp>) -> Fields {
    let mut out = Fields::new(&tables::VAS518);
    fill_by_name(&t.fields(), &mut out);
    out.set("OLT", &t.number.to_string());
    if let Some(c) = cancelled {
        out.set("CDT", &c.date);
        out.set("CAN", c.hhmm());
    }
    out
}

/// The notice of a transport cancelled by COT: VAS514 before an approval,
/// VAS508 after one. The two carry the same places and cargo numbers under
/// the same ids; the moment, office and declarant sit under different ids.
pub fn transport_cancellation(t: &Transport, at: &Stamp) -> Fields {
    let f = t.fields();
    let (layout, date, time, office, declarant) = match t.approved {
        None => (&tables::VAS514, "AE", "AT", "DA", "DC"),
        Some(_) => (&tables::VAS508, "DA", "DB", "DC", "AE"),
    };
    let mut out = Fields::new(layout);
    out.set("AJ", &t.number.to_string());
    out.set(date, &at.date);
    out.set(time, at.hhmm());
    out.set(office, f.get("CHC"));
    out.set(declarant, declarant_code(t));
    for (to, from) in [
        ("AU", "DPR"),
        ("AV", "BRT"),
        ("AX", "PRT"),
        ("AY", "DPN"),
        ("BA", "ARR"),
        ("CA", "ARB"),
        ("CB", "ARP"),
        ("CC", "ARN"),
    ] {
        out.set(to, f.get(from));
    }
    for n in 1..=CARGO_BLOCKS {
        out.set(&format!("BE{n}"), f.get(&format!("CG{n}")));
    }
    out
}

/// The declarant code of the transport outputs: the first five characters
/// of the VNACCS user code (user ID = declarant code + 3).
fn declarant_code(t: &Transport) -> &str {
    t.user_code.get(..5).unwrap_or(&t.user_code)
}

/// A registered transport in the notice layouts VAS504 (approval) and VAS513
/// (corrected or cancelled copy), which name their items alike: its data by
/// field name, and what the names do not match: the number, the office (its
/// code: the backup system keeps no office names), the declarant, the
/// registration date, the places and the scheduled dates.
fn transport_notice(layout: &'static Layout, t: &Transport, registered: &Stamp) -> Fields {
    let f = t.fields();
    let mut out = Fields::new(layout);
    fill_by_name(&f, &mut out);
    out.set("AE", &t.number.to_string());
    out.set("AD", f.get("CHC"));
    out.set("AF", &registered.date);
    out.set("AG", declarant_code(t));
    for (to, from) in [
        ("AX", "DPR"),
        ("AY", "BRT"),
        ("AZ", "PRT"),
        ("BC", "ARR"),
        ("BD", "ARB"),
        ("BE", "ARP"),
        ("KE", "SDT"),
        ("KH", "EDT"),
    ] {
        out.set(to, f.get(from));
    }
    out
}

/// The approval notice of a registered transport (VAS504).
pub fn transport_approval(t: &Transport, registered: &Stamp) -> Fields {
    transport_notice(&tables::VAS504, t, registered)
}

/// The copy of a transport as a COT left it (VAS513): the corrected data,
/// or the data as cancelled, with the transit places and the actual
/// departure date of the last correction, which only COT carries.
pub fn transport_corrected_copy(t: &Transport, registered: &Stamp) -> Fields {
    let mut out = transport_notice(&tables::VAS513, t, registered);
    if let Some(last) = &t.correction {
        let last = Fields::from_values(&tables::COT, last.clone());
        if !last.get("DPD").is_empty() {
            out.set("KE", last.get("DPD"));
        }
        for n in 1..=3 {
            for (to, from) in [("KC", "TR"), ("KF", "AR"), ("KG", "DP")] {
                out.set(&format!("{to}{n}"), last.get(&format!("{from}{n}")));
            }
        }
    }
    out
}

/// The copy of a transport as OLC registered it (VAS503): its data by
/// field name and id, the office code, the registration date, the
/// declarant and the OLC's answer on declarations under the same cargo.
pub fn transport_copy(t: &Transport, registered: &Stamp, same_cargo: &str) -> Fields {
    let f = t.fields();
    let mut out = Fields::new(&tables::VAS503);
    fill_by_name(&f, &mut out);
    fill_by_id(&f, &mut out);
    out.set("OLT", &t.number.to_string());
    out.set("AC", f.get("CHC"));
    out.set("AF", &registered.date);
    out.set("DEC", declarant_code(t));
    out.set("SCG", same_cargo);
    out
}

/// A departed transport as BIA11 calls it up for the arrival notice (BIA
/// layout): where it left from and when, where it goes, its cargo and
/// containers. The arrival date and time are the declarant's to enter.
pub fn arrival_form(t: &Transport, departed: Option<&Stamp>) -> Fields {
    let f = t.fields();
    let mut out = Fields::new(&tables::BIA);
    out.set("OLT", &t.number.to_string());
    // Transport declared with OLA/OLC (B and C are declarations' own transports).
    out.set("TRT", "A");
    for (to, from) in [
        ("DPR", "DPR"),
        ("BRT", "BRT"),
        ("PRT", "PRT"),
        ("SOH", "ARR"),
        ("SOB", "ARB"),
        ("SOP", "ARP"),
    ] {
        out.set(to, f.get(from));
    }
    if let Some(d) = departed {
        out.set("DOT", &d.date);
        out.set("TOT", d.hhmm());
    }
    for n in 1..=CARGO_BLOCKS {
        out.set(&format!("CAR{n}"), f.get(&format!("CG{n}")));
    }
    for rep in f.reps_present() {
        out.set_rep("CO", rep, f.get_rep("CNO", rep));
    }
    out
}

/// What a queued output is about: ROT names the output by its code and the
/// number of its declaration or transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About {
    Declaration,
    Transport,
}

/// The copy of temporary-trade management information a TIA queues.
pub const MANAGEMENT_COPY: &str = "VAL8110";

/// The transport outputs the appliance queues: OLC's number and copy, OLA's
/// copy, the approval, the cancellation notices after and before approval,
/// the corrected/cancelled copy, COT's copy, the arrival confirmation and
/// the ITF reference.
const TRANSPORT_OUTPUTS: [&str; 10] = [
    "VAS5010", "VAS5020", "VAS5030", "VAS5040", "VAS5080", "VAS5130", "VAS5140", "VAS5150",
    "VAS5160", "VAS5180",
];

/// Which record an output code (6 characters, as ROT names it, or all 7)
/// the appliance queues is about; `None` for any other code.
pub fn about(code: &str) -> Option<About> {
    let matches = |out: &str| code.len() >= 6 && out.starts_with(code);
    let declaration = [Family::Import, Family::Export]
        .into_iter()
        .map(Spec::of)
        .flat_map(|s| {
            [s.copy_out, s.notice_out, s.clearance_out, s.amend_copy_out]
                .into_iter()
                .chain(s.release_out)
        })
        .chain([MANAGEMENT_COPY]);
    if declaration.into_iter().any(matches) {
        Some(About::Declaration)
    } else if TRANSPORT_OUTPUTS.into_iter().any(matches) {
        Some(About::Transport)
    } else {
        None
    }
}

/// `DDMMYYYY` and `HHMMSS` of a moment, for registered date/time items.
pub struct Stamp {
    pub date: String,
    pub time: String,
}

impl Stamp {
    /// Hours and minutes, for the 4-character time items.
    pub fn hhmm(&self) -> &str {
        self.time.get(..4).unwrap_or(&self.time)
    }
}

/// The channel-result notice (VAD1AC / VAE1LD) of a registered declaration;
/// `corrected` is the moment an amendment was registered, if this notice
/// follows one.
pub fn channel_notice(
    spec: &Spec,
    decl: &Declaration,
    registered: &Stamp,
    corrected: Option<&Stamp>,
) -> Fields {
    let map = notice_map(spec.family);
    notice_in(map, map.layout, spec, decl, registered, corrected)
}

/// The clearance output (VAD1AG / VAE1LF): the channel notice's items with
/// the moment of the permit and, when goods or documents were checked, the
/// moment that check was completed.
pub fn clearance(
    spec: &Spec,
    decl: &Declaration,
    registered: &Stamp,
    corrected: Option<&Stamp>,
    permit: &Stamp,
    inspected: Option<&Stamp>,
) -> Fields {
    let map = notice_map(spec.family);
    let mut out = notice_in(map, map.clearance, spec, decl, registered, corrected);
    out.set(map.permit.0, &permit.date);
    out.set(map.permit.1, &permit.time);
    set_inspected(map, &mut out, inspected);
    out
}

/// The release notice (VAD1BJ) of an import whose goods were released
/// before clearance: the channel notice's items and, when goods or
/// documents were checked, the moment that check was completed. The permit
/// items stay blank: there is no permit yet. `None` for a family without
/// release.
pub fn release(
    spec: &Spec,
    decl: &Declaration,
    registered: &Stamp,
    corrected: Option<&Stamp>,
    inspected: Option<&Stamp>,
) -> Option<Fields> {
    let map = notice_map(spec.family);
    let mut out = notice_in(map, map.release?, spec, decl, registered, corrected);
    set_inspected(map, &mut out, inspected);
    Some(out)
}

fn set_inspected(map: &NoticeMap, out: &mut Fields, inspected: Option<&Stamp>) {
    if let Some(i) = inspected {
        out.set(map.inspected.0, &i.date);
        out.set(map.inspected.1, &i.time);
    }
}

fn notice_in(
    map: &NoticeMap,
    layout: &'static Layout,
    spec: &Spec,
    decl: &Declaration,
    registered: &Stamp,
    corrected: Option<&Stamp>,
) -> Fields {
    let src = spec.fields(decl);
    let mut out = Fields::new(layout);
    out.set(spec.number, &decl.number.to_string());
    if let Some(ch) = decl.channel {
        out.set(map.channel, &ch.number().to_string());
    }
    out.set(map.registered_date, &registered.date);
    out.set(map.registered_time, &registered.time);
    if let Some(c) = corrected {
        // Both notice layouts name these items the same.
        out.set("AD2", &c.date);
        out.set("AD3", &c.time);
    }
    for (to, from) in map.header {
        out.set(to, src.get(from));
    }
    for (n, rep) in src.reps_present().into_iter().enumerate() {
        out.set_rep(map.line_number, rep, &format!("{:02}", n + 1));
        for (to, from) in map.lines {
            out.set_rep(to, rep, src.get_rep(from, rep));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::channel::Channel;
    use crate::rules::declaration::tests::fields;
    use crate::rules::declaration::{Status, EXPORT, IMPORT};
    use crate::rules::numbering::DeclNumber;

    #[test]
    fn every_mapped_item_exists_in_both_layouts() {
        for (spec, notice) in [(&IMPORT, &IMPORT_NOTICE), (&EXPORT, &EXPORT_NOTICE)] {
            for (a, b) in [notice.permit, notice.inspected] {
                for id in [a, b] {
                    assert!(notice.clearance.position(id, 0).is_some(), "{id}");
                    assert!(notice.layout.position(id, 0).is_none(), "{id}");
                }
            }
            let clearance = NoticeMap {
                layout: notice.clearance,
                ..*notice
            };
            for map in [notice, &clearance] {
                for id in [
                    spec.number,
                    map.channel,
                    map.registered_date,
                    map.registered_time,
                ] {
                    assert!(
                        map.layout.position(id, 0).is_some(),
                        "{} {id}",
                        map.layout.code
                    );
                }
                assert!(map.layout.position(map.line_number, 1).is_some());
                for (to, from) in map.header {
                    assert!(
                        map.layout.position(to, 0).is_some(),
                        "{} {to}",
                        map.layout.code
                    );
                    assert!(
                        spec.layout.position(from, 0).is_some(),
                        "{} {from}",
                        spec.pre
                    );
                }
                for (to, from) in map.lines {
                    assert!(
                        map.layout.position(to, 1).is_some(),
                        "{} line {to}",
                        map.layout.code
                    );
                    assert!(
                        spec.layout.position(from, 1).is_some(),
                        "{} line {from}",
                        spec.pre
                    );
                }
            }
        }
    }

    fn declaration(spec: &Spec, set: &[(&str, u16, &str)]) -> Declaration {
        let f = fields(spec, set);
        let n = DeclNumber {
            family: spec.family,
            block: 17,
            seq: 3,
            amendment: 0,
        };
        Declaration {
            status: Status::Registered,
            channel: Some(Channel::Yellow),
            registered_at: Some(0),
            ..Declaration::pre_registered(spec, n, "ABC12001", "T12345", f.values().to_vec(), 0)
        }
    }

    #[test]
    fn channel_notices_carry_number_channel_and_lines() {
        let stamp = Stamp {
            date: "15012024".into(),
            time: "120002".into(),
        };
        let decl = declaration(
            &IMPORT,
            &[
                ("ICB", 0, "A11"),
                ("IMN", 0, "CÔNG TY TNHH VÍ DỤ"),
                ("CMD", 1, "84713020"),
                ("CMD", 2, "85171200"),
                ("QN1", 2, "5"),
            ],
        );
        let n = channel_notice(&IMPORT, &decl, &stamp, None);
        assert_eq!(n.layout.code, "VAD1AC");
        assert_eq!(n.get("ICN"), "190170000030");
        assert_eq!(n.get("A06"), "2");
        assert_eq!(n.get("A02"), "A11");
        assert_eq!(n.get("A19"), "CÔNG TY TNHH VÍ DỤ");
        assert_eq!(n.get("A09"), "15012024");
        assert_eq!(n.get_rep("B25", 2), "02");
        assert_eq!(n.get_rep("B27", 2), "85171200");
        assert_eq!(n.get_rep("B31", 2), "5");
        assert_eq!(registered_copy(&IMPORT, &decl).get("ICN"), "190170000030");

        let decl = declaration(
            &EXPORT,
            &[
                ("ECB", 0, "B11"),
                ("EPN", 0, "CÔNG TY CỔ PHẦN XUẤT KHẨU"),
                ("CMD", 1, "09011110"),
            ],
        );
        let n = channel_notice(&EXPORT, &decl, &stamp, Some(&stamp));
        assert_eq!(n.layout.code, "VAE1LD");
        assert_eq!(n.get("ECN"), "390170000030");
        assert_eq!(n.get("K07"), "2");
        assert_eq!(n.get("AD2"), "15012024", "correction date");
        assert_eq!(n.get("K03"), "B11");
        assert_eq!(n.get("K17"), "CÔNG TY CỔ PHẦN XUẤT KHẨU");
        assert_eq!(n.get_rep("R01", 1), "01");
        assert_eq!(n.get_rep("R05", 1), "09011110");
        assert_eq!(registered_copy(&EXPORT, &decl).get("ECN"), "390170000030");
    }

    #[test]
    fn clearance_repeats_the_notice_with_the_permit() {
        let at = |date: &str| Stamp {
            date: date.into(),
            time: "101500".into(),
        };
        let decl = declaration(&IMPORT, &[("ICB", 0, "A11"), ("CMD", 1, "84713020")]);
        let c = clearance(&IMPORT, &decl, &at("15012024"), None, &at("17012024"), None);
        assert_eq!(c.layout.code, "VAD1AG");
        let notice = channel_notice(&IMPORT, &decl, &at("15012024"), None);
        for item in notice.layout.items {
            for rep in [0, 1] {
                if notice.layout.position(item.id, rep).is_some() {
                    assert_eq!(
                        c.get_rep(item.id, rep),
                        notice.get_rep(item.id, rep),
                        "{}",
                        item.id
                    );
                }
            }
        }
        assert_eq!((c.get("C21"), c.get("AD4")), ("17012024", "101500"));
        assert_eq!(c.get("C22"), "", "no inspection recorded");

        let decl = declaration(&EXPORT, &[("ECB", 0, "B11")]);
        let c = clearance(
            &EXPORT,
            &decl,
            &at("15012024"),
            Some(&at("16012024")),
            &at("18012024"),
            Some(&at("17012024")),
        );
        assert_eq!(c.layout.code, "VAE1LF");
        assert_eq!(c.get("ECN"), "390170000030");
        assert_eq!(c.get("K07"), "2");
        assert_eq!(c.get("AD2"), "16012024", "correction date");
        assert_eq!((c.get("K86"), c.get("CCD")), ("18012024", "17012024"));
    }

    #[test]
    fn release_repeats_the_notice_without_a_permit() {
        let at = |date: &str| Stamp {
            date: date.into(),
            time: "101500".into(),
        };
        let decl = declaration(&IMPORT, &[("ICB", 0, "A11"), ("CMD", 1, "84713020")]);
        let r = release(&IMPORT, &decl, &at("15012024"), None, Some(&at("16012024"))).unwrap();
        assert_eq!(r.layout.code, "VAD1AG", "the assumed layout");
        assert_eq!(r.get("ICN"), "190170000030");
        assert_eq!(r.get("A09"), "15012024");
        assert_eq!(r.get_rep("B27", 1), "84713020");
        assert_eq!((r.get("C21"), r.get("AD4")), ("", ""), "no permit");
        assert_eq!((r.get("C22"), r.get("AD5")), ("16012024", "101500"));
        let decl = declaration(&EXPORT, &[("ECB", 0, "B11")]);
        assert!(release(&EXPORT, &decl, &at("15012024"), None, None).is_none());
    }

    #[test]
    fn reference_information_matches_fields_by_name() {
        let decl = declaration(
            &IMPORT,
            &[
                ("ICB", 0, "A11"),
                ("IMC", 0, "0101234567"),
                ("IMN", 0, "CÔNG TY TNHH VÍ DỤ"),
                ("IMY", 0, "100000"),
                ("BL1", 0, "BL-ONE"),
                ("BL2", 0, "BL-TWO"),
                ("CMD", 1, "84713020"),
                ("CMN", 1, "Máy tính"),
                ("QN1", 1, "100"),
                ("CMD", 2, "85171200"),
            ],
        );
        let stamp = Stamp {
            date: "15012024".into(),
            time: "120002".into(),
        };
        let r = reference(&IMPORT, &decl, Some(&stamp));
        assert_eq!(r.layout.code, "VAD0AP");
        let cases = [
            ("ICN", 0, "190170000030"),
            ("A03", 0, "A11"),
            ("IMC", 0, "0101234567"),
            ("A20", 0, "CÔNG TY TNHH VÍ DỤ"),
            ("A21", 0, "100000"),
            ("KA1", 0, "BL-ONE"),
            ("KA2", 0, "BL-TWO"),
            ("A07", 0, "2"),
            ("A10", 0, "15012024"),
            ("AD1", 0, "120002"),
        ];
        for (id, rep, want) in cases {
            assert_eq!(r.get_rep(id, rep), want, "{id}");
        }
        let line = |name: &str| {
            r.layout
                .items
                .iter()
                .find(|i| i.name.eq_ignore_ascii_case(name))
                .unwrap()
                .id
        };
        assert_eq!(r.get_rep(line("HS code"), 2), "85171200");
        assert_eq!(r.get_rep(line("Item Name"), 1), "Máy tính");

        let decl = declaration(
            &EXPORT,
            &[
                ("ECB", 0, "B11"),
                ("EPC", 0, "0101234567"),
                ("CMD", 1, "09011110"),
            ],
        );
        let r = reference(&EXPORT, &decl, None);
        assert_eq!(r.layout.code, "VAE0LC");
        assert_eq!(r.get("ECN"), "390170000030");
        assert_eq!(r.get("K03"), "B11");
        assert_eq!(r.get("K16"), "0101234567");
        assert_eq!(r.get("K07"), "2");
    }

    #[test]
    fn output_codes_map_back_to_what_they_are_about() {
        let cases = [
            ("VAD419", Some(About::Declaration)),
            ("VAD1AC", Some(About::Declaration)),
            ("VAD1AC0", Some(About::Declaration)),
            ("VAD1AG", Some(About::Declaration)),
            ("VAD1BJ", Some(About::Declaration)),
            ("VAD424", Some(About::Declaration)),
            ("VAE400", Some(About::Declaration)),
            ("VAE1LD", Some(About::Declaration)),
            ("VAE1LF", Some(About::Declaration)),
            ("VAE411", Some(About::Declaration)),
            ("VAL811", Some(About::Declaration)),
            ("VAS501", Some(About::Transport)),
            ("VAS503", Some(About::Transport)),
            ("VAS513", Some(About::Transport)),
            ("VAS518", Some(About::Transport)),
            ("VAD487", None),
            ("VAE1BJ", None),
            ("VAS517", None),
            ("VAD", None),
            ("", None),
        ];
        for (code, want) in cases {
            assert_eq!(about(code), want, "{code}");
        }
    }

    #[test]
    fn transport_outputs_carry_the_transport() {
        use crate::rules::eligibility::Basis;
        use crate::rules::transport::{Transport, TransportNumber};
        let mut ola = Fields::new(&tables::OLA);
        for (k, v) in [
            ("IEI", "I"),
            ("CHC", "03CC"),
            ("DPR", "03CCS01"),
            ("ARR", "02CIS01"),
            ("TRC", "0101234567"),
            ("SDT", "01122026"),
            ("EDT", "03122026"),
            ("CG1", "BL-ONE"),
            ("CG2", "BL-TWO"),
        ] {
            ola.set(k, v);
        }
        ola.set_rep("CNO", 2, "MSKU1234567");
        let t = Transport::pre_registered(
            TransportNumber { block: 17, seq: 8 },
            Basis::Outage,
            "ABC12001",
            "T12345",
            ola.values().to_vec(),
            0,
        );
        let at = Stamp {
            date: "02122026".into(),
            time: "101530".into(),
        };
        let r = transport_reference(&t, Some(&at));
        let c = transport_cancellation(&t, &at);
        let a = arrival_form(&t, Some(&at));
        let p = transport_approval(&t, &at);
        let approved = Transport {
            approved: Some(crate::rules::decision::Signed {
                by: "officer:sup1".into(),
                at: 0,
            }),
            ..t.clone()
        };
        let ca = transport_cancellation(&approved, &at);
        assert_eq!((c.layout.code, ca.layout.code), ("VAS514", "VAS508"));
        let copy = transport_copy(&t, &at, "1");
        let mut cot = Fields::new(&tables::COT);
        for (k, v) in [("DPD", "02122026"), ("TR2", "01BBS01"), ("AR2", "02122026")] {
            cot.set(k, v);
        }
        let corrected = Transport {
            correction: Some(cot.values().to_vec()),
            ..t.clone()
        };
        let cc = transport_corrected_copy(&corrected, &at);
        let plain = transport_corrected_copy(&t, &at);
        let cases = [
            (&r, "OLT", 0, "T90170000008"),
            (&r, "CDT", 0, "02122026"),
            (&r, "CAN", 0, "1015"),
            (&c, "AJ", 0, "T90170000008"),
            (&c, "AE", 0, "02122026"),
            (&c, "AT", 0, "1015"),
            (&c, "DA", 0, "03CC"),
            (&c, "DC", 0, "ABC12"),
            (&c, "AU", 0, "03CCS01"),
            (&c, "BA", 0, "02CIS01"),
            (&c, "BE2", 0, "BL-TWO"),
            (&a, "OLT", 0, "T90170000008"),
            (&a, "TRT", 0, "A"),
            (&a, "DPR", 0, "03CCS01"),
            (&a, "DOT", 0, "02122026"),
            (&a, "TOT", 0, "1015"),
            (&a, "SOH", 0, "02CIS01"),
            (&a, "CAR1", 0, "BL-ONE"),
            (&a, "CO", 2, "MSKU1234567"),
            (&p, "AE", 0, "T90170000008"),
            (&p, "ED", 0, "I"),
            (&p, "AD", 0, "03CC"),
            (&p, "AF", 0, "02122026"),
            (&p, "AG", 0, "ABC12"),
            (&p, "AX", 0, "03CCS01"),
            (&p, "BC", 0, "02CIS01"),
            (&p, "AL", 0, "0101234567"),
            (&p, "KE", 0, "01122026"),
            (&p, "KH", 0, "03122026"),
            (&copy, "OLT", 0, "T90170000008"),
            (&copy, "AC", 0, "03CC"),
            (&copy, "SCG", 0, "1"),
            (&copy, "IEI", 0, "I"),
            (&copy, "AF", 0, "02122026"),
            (&copy, "DEC", 0, "ABC12"),
            (&copy, "TRC", 0, "0101234567"),
            (&copy, "DPR", 0, "03CCS01"),
            (&copy, "ARR", 0, "02CIS01"),
            (&cc, "AE", 0, "T90170000008"),
            (&cc, "AD", 0, "03CC"),
            (&cc, "AG", 0, "ABC12"),
            (&cc, "AX", 0, "03CCS01"),
            (&cc, "BC", 0, "02CIS01"),
            (&cc, "KE", 0, "02122026"),
            (&cc, "KC2", 0, "01BBS01"),
            (&cc, "KF2", 0, "02122026"),
            (&cc, "KH", 0, "03122026"),
            (&plain, "KE", 0, "01122026"),
            (&plain, "KC2", 0, ""),
            (&ca, "AJ", 0, "T90170000008"),
            (&ca, "DA", 0, "02122026"),
            (&ca, "DB", 0, "1015"),
            (&ca, "DC", 0, "03CC"),
            (&ca, "AE", 0, "ABC12"),
            (&ca, "BA", 0, "02CIS01"),
            (&ca, "BE2", 0, "BL-TWO"),
        ];
        for (out, id, rep, want) in cases {
            assert_eq!(out.get_rep(id, rep), want, "{} {id}", out.layout.code);
        }
        assert_eq!(transport_reference(&t, None).get("CDT"), "");
    }

    #[test]
    fn management_information_by_name_in_the_tia_form_and_its_copy() {
        let decl = declaration(
            &IMPORT,
            &[
                ("ICB", 0, "G12"),
                ("CH", 0, "02CI"),
                ("IMC", 0, "0101234567"),
                ("IMN", 0, "CÔNG TY TNHH VÍ DỤ"),
                ("RED", 0, "31122026"),
                ("CMD", 1, "84713020"),
                ("QN1", 1, "100"),
                ("QT1", 1, "PCE"),
            ],
        );
        let lines = [LineBalance {
            line: 1,
            hs: "84713020".into(),
            unit: "PCE".into(),
            original: 100_000_000,
            here: 60_000_000,
            elsewhere: 10_000_000,
        }];
        let stamp = Stamp {
            date: "15012026".into(),
            time: "120002".into(),
        };
        let form = management(&tables::TIA, &decl, &lines, Some(&stamp), (2026, 11, 23));
        let cases = [
            ("ECN", 0, "190170000030"),
            ("CFD", 0, "ABC12"),
            ("IEC", 0, "0101234567"),
            ("IEN", 0, "CÔNG TY TNHH VÍ DỤ"),
            ("TED", 0, "31122026"),
            ("CMD", 1, "84713020"),
            ("QT", 1, "100"),
            ("QTU", 1, "PCE"),
            ("UT", 1, "70"),
            ("UTU", 1, "PCE"),
        ];
        for (id, rep, want) in cases {
            assert_eq!(form.get_rep(id, rep), want, "TIA {id}");
        }
        let copy = management(&tables::VAL811, &decl, &lines, Some(&stamp), (2026, 11, 23));
        let cases = [
            ("A01", 0, "190170000030"),
            ("A11", 0, "I"),
            ("A02", 0, "02CI"),
            ("A03", 0, "15012026"),
            ("A06", 0, "0101234567"),
            ("A09", 0, "31122026"),
            ("A10", 0, ""),
            ("D04", 1, "70"),
            ("D06", 1, "30"),
        ];
        for (id, rep, want) in cases {
            assert_eq!(copy.get_rep(id, rep), want, "VAL811 {id}");
        }
    }
}
