//! Output messages built from declarations: which declaration field fills
//! which output item.

use super::declaration::Declaration;
use crate::wire::{tables, Fields};

/// Import declaration fields (IDA) → channel notice items (VAD1AC).
const VAD1AC_FROM_IDA: &[(&str, &str)] = &[
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
];

/// Goods-line items of VAD1AC from the IDA goods line.
const VAD1AC_LINE_FROM_IDA: &[(&str, &str)] = &[
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
];

/// The declaration's data in its own job layout, with the number filled in:
/// the registered copy (VAD419, shown with the IDA form) and the IDB call-up.
pub fn registered_copy(decl: &Declaration) -> Fields {
    let mut f = Fields::from_values(&tables::IDA, decl.values.clone());
    f.set("ICN", &decl.number.to_string());
    f
}

/// `DDMMYYYY` and `HHMMSS` of a moment, for registered date/time items.
pub struct Stamp {
    pub date: String,
    pub time: String,
}

/// The channel-result notice (VAD1AC) of a registered import declaration.
pub fn import_channel_notice(decl: &Declaration, registered: &Stamp) -> Fields {
    let ida = Fields::from_values(&tables::IDA, decl.values.clone());
    let mut out = Fields::new(&tables::VAD1AC);
    out.set("ICN", &decl.number.to_string());
    if let Some(ch) = decl.channel {
        out.set("A06", &ch.number().to_string());
    }
    out.set("A09", &registered.date);
    out.set("AD1", &registered.time);
    for (to, from) in VAD1AC_FROM_IDA {
        out.set(to, ida.get(from));
    }
    for (n, rep) in ida.reps_present().into_iter().enumerate() {
        out.set_rep("B25", rep, &format!("{:02}", n + 1));
        for (to, from) in VAD1AC_LINE_FROM_IDA {
            out.set_rep(to, rep, ida.get_rep(from, rep));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::channel::Channel;
    use crate::rules::declaration::Status;
    use crate::rules::numbering::{DeclNumber, Family};

    #[test]
    fn every_mapped_item_exists_in_both_layouts() {
        for (to, from) in VAD1AC_FROM_IDA {
            assert!(tables::VAD1AC.position(to, 0).is_some(), "VAD1AC {to}");
            assert!(tables::IDA.position(from, 0).is_some(), "IDA {from}");
        }
        for (to, from) in VAD1AC_LINE_FROM_IDA {
            assert!(tables::VAD1AC.position(to, 1).is_some(), "VAD1AC line {to}");
            assert!(tables::IDA.position(from, 1).is_some(), "IDA line {from}");
        }
    }

    #[test]
    fn channel_notice_carries_number_channel_and_lines() {
        let mut ida = Fields::new(&tables::IDA);
        ida.set("ICB", "A11");
        ida.set("IMC", "0101234567");
        ida.set("IMN", "CÔNG TY TNHH VÍ DỤ");
        ida.set_rep("CMD", 1, "84713020");
        ida.set_rep("CMD", 2, "85171200");
        ida.set_rep("QN1", 2, "5");
        let decl = Declaration {
            number: DeclNumber {
                family: Family::Import,
                block: 17,
                seq: 3,
                amendment: 0,
            },
            status: Status::Registered,
            basis: crate::rules::eligibility::Basis::Outage,
            channel: Some(Channel::Yellow),
            channel_rule: None,
            user_code: "ABC12001".into(),
            terminal: "T12345".into(),
            job: "IDA".into(),
            values: ida.values().to_vec(),
            created_at: 0,
            registered_at: Some(0),
        };
        let stamp = Stamp {
            date: "15012024".into(),
            time: "120002".into(),
        };
        let n = import_channel_notice(&decl, &stamp);
        assert_eq!(n.get("ICN"), "190170000030");
        assert_eq!(n.get("A06"), "2");
        assert_eq!(n.get("A02"), "A11");
        assert_eq!(n.get("A19"), "CÔNG TY TNHH VÍ DỤ");
        assert_eq!(n.get("A09"), "15012024");
        assert_eq!(n.get_rep("B25", 2), "02");
        assert_eq!(n.get_rep("B27", 2), "85171200");
        assert_eq!(n.get_rep("B31", 2), "5");
        assert_eq!(registered_copy(&decl).get("ICN"), "190170000030");
    }
}
