//! Bonded transport declarations as the console shows them: list rows and
//! the detail page's data (OLA items with labels, cargo lines as a table,
//! containers, approval, outputs, history). Pure: the caller reads the
//! store.

use serde_json::{json, Value};

use super::view::{basis, journal};
use crate::audit::Entry;
use crate::rules::transport::{Transport, TransportStatus, CARGO_BLOCKS, CARGO_ITEMS};
use crate::wire::tables;

/// Where a transport stands; `approved` is a registered transport that a
/// supervision officer approved.
pub fn state(t: &Transport) -> &'static str {
    match t.status {
        TransportStatus::PreRegistered => "pre_registered",
        TransportStatus::Registered if t.approved.is_some() => "approved",
        TransportStatus::Registered => "registered",
        TransportStatus::Departed => "departed",
        TransportStatus::Arrived => "arrived",
        TransportStatus::Cancelled => "cancelled",
    }
}

/// Vietnamese labels of the OLA items officers read most, in our own words.
const LABELS: &[(&str, &str)] = &[
    ("IEI", "Cờ báo nhập khẩu/xuất khẩu"),
    ("CHC", "Cơ quan Hải quan"),
    ("TRC", "Mã người vận chuyển"),
    ("TRN", "Tên người vận chuyển"),
    ("TRA", "Địa chỉ người vận chuyển"),
    ("TCN", "Số hợp đồng vận chuyển"),
    ("BYA", "Mã phương tiện vận chuyển"),
    ("OBJ", "Mã mục đích vận chuyển"),
    ("USS", "Loại hình vận tải"),
    ("SDT", "Ngày dự kiến bắt đầu vận chuyển"),
    ("EDT", "Ngày dự kiến kết thúc vận chuyển"),
    (
        "DPR",
        "Địa điểm xếp hàng (khu vực chịu sự giám sát hải quan)",
    ),
    ("DPN", "Tên địa điểm xếp hàng"),
    (
        "ARR",
        "Địa điểm dỡ hàng (khu vực chịu sự giám sát hải quan)",
    ),
    ("ARN", "Tên địa điểm dỡ hàng"),
    ("ROU", "Tuyến đường"),
    ("TOS", "Loại bảo lãnh"),
    ("SEP", "Số tiền bảo lãnh"),
    ("CG", "Số vận đơn"),
    ("CM", "Mô tả hàng hóa"),
    ("HS", "Mã HS (4 số)"),
    ("PC", "Số lượng"),
    ("PU", "Đơn vị tính"),
    ("GW", "Tổng trọng lượng"),
    ("WU", "Đơn vị trọng lượng"),
    ("CNO", "Số container"),
];

/// The Vietnamese label of an OLA item; cargo items go by their id
/// without the block digit.
pub fn vi(id: &str) -> Option<&'static str> {
    let base = id.trim_end_matches(|c: char| c.is_ascii_digit());
    LABELS
        .iter()
        .find(|(k, _)| *k == id || (CARGO_ITEMS.contains(k) && *k == base))
        .map(|(_, v)| *v)
}

fn item(id: &str, name: &str) -> Value {
    json!({ "id": id, "name": name, "vi": vi(id) })
}

/// One row of the list.
pub fn summary(t: &Transport) -> Value {
    let f = t.fields();
    json!({
        "number": t.number.to_string(),
        "state": state(t),
        "direction": f.get("IEI"),
        "declarant": t.user_code,
        "transporter": f.get("TRC"),
        "departure": f.get("DPR"),
        "arrival": f.get("ARR"),
        "created_at": t.created_at,
        "registered_at": t.registered_at,
    })
}

/// The detail page's data: `history` is the journal entries that changed
/// the transport, oldest first; `pending` the outputs still waiting.
pub fn detail(t: &Transport, history: &[Entry], pending: &[u64]) -> Value {
    let f = t.fields();
    let layout = &tables::OLA;
    let group = layout.group.map_or(0..0, |g| g.start..g.start + g.len);
    let is_cargo = |id: &str| {
        CARGO_ITEMS.iter().any(|c| {
            id.strip_prefix(c)
                .and_then(|n| n.parse::<u16>().ok())
                .is_some_and(|n| (1..=CARGO_BLOCKS).contains(&n))
        })
    };
    let header: Vec<Value> = layout
        .items
        .iter()
        .enumerate()
        .filter(|(i, it)| !group.contains(i) && !is_cargo(it.id) && !f.get(it.id).is_empty())
        .map(|(_, it)| {
            let mut v = item(it.id, it.name);
            v["value"] = f.get(it.id).into();
            v
        })
        .collect();
    // Cargo lines: one row per filled block, the columns some block fills.
    let blocks: Vec<u16> = (1..=CARGO_BLOCKS)
        .filter(|n| !f.get(&format!("CG{n}")).is_empty())
        .collect();
    let columns: Vec<&str> = CARGO_ITEMS
        .iter()
        .copied()
        .filter(|c| blocks.iter().any(|n| !f.get(&format!("{c}{n}")).is_empty()))
        .collect();
    let rows: Vec<Value> = blocks
        .iter()
        .map(|n| {
            let cells: Vec<&str> = columns.iter().map(|c| f.get(&format!("{c}{n}"))).collect();
            json!({ "line": n, "cells": cells })
        })
        .collect();
    let name = |c: &str| {
        layout
            .items
            .iter()
            .find(|it| it.id == format!("{c}1"))
            .map_or("", |it| it.name)
    };
    let containers: Vec<&str> = f
        .reps_present()
        .into_iter()
        .map(|r| f.get_rep("CNO", r))
        .filter(|c| !c.is_empty())
        .collect();
    let (history, outputs) = journal(history, pending);
    json!({
        "summary": summary(t),
        "basis": basis(t.basis),
        "terminal": t.terminal,
        "departed_at": t.departed_at,
        "arrived_at": t.arrived_at,
        "cancelled_at": t.cancelled_at,
        "corrections": t.corrections,
        "approved": t.approved,
        "header": header,
        "cargo": {
            "columns": columns.iter().map(|c| item(c, name(c))).collect::<Vec<_>>(),
            "rows": rows,
        },
        "containers": containers,
        "outputs": outputs,
        "history": history,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::decision::Signed;
    use crate::rules::transport::tests::transport;

    #[test]
    fn states_as_officers_read_them() {
        use TransportStatus::*;
        let mut approved = transport(Registered);
        approved.approved = Some(Signed {
            by: "officer:sup1".into(),
            at: 5,
        });
        let rows = [
            (transport(PreRegistered), "pre_registered"),
            (transport(Registered), "registered"),
            (approved, "approved"),
            (transport(Departed), "departed"),
            (transport(Arrived), "arrived"),
            (transport(Cancelled), "cancelled"),
        ];
        for (t, want) in rows {
            assert_eq!(state(&t), want, "{:?}", t.status);
        }
    }

    #[test]
    fn detail_splits_header_cargo_and_containers() {
        let d = detail(&transport(TransportStatus::Registered), &[], &[]);
        let ids: Vec<&str> = d["header"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            ["IEI", "CHC", "TRC", "BYA", "OBJ", "USS", "SDT", "SDH", "EDT", "EDH", "DPR", "ARR"]
        );
        assert_eq!(d["header"][1]["vi"], "Cơ quan Hải quan");
        let columns: Vec<&str> = d["cargo"]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap())
            .collect();
        assert_eq!(columns, ["CG", "CM", "PC"]);
        assert_eq!(d["cargo"]["columns"][0]["vi"], "Số vận đơn");
        assert_eq!(
            d["cargo"]["rows"][1]["cells"],
            json!(["BL-TWO", "Màn hình", "4"])
        );
        assert_eq!(d["containers"], json!(["MSKU1234567"]));
        assert_eq!(d["summary"]["number"], "T90170000001");
        assert_eq!(vi("CM5"), Some("Mô tả hàng hóa"));
        assert_eq!(vi("NTA"), None);
    }

    #[test]
    fn every_label_names_an_ola_item() {
        for (id, _) in LABELS {
            let cargo = CARGO_ITEMS.contains(id);
            let want = if cargo {
                format!("{id}1")
            } else {
                id.to_string()
            };
            assert!(tables::OLA.items.iter().any(|i| i.id == want), "{id}");
        }
    }
}
