//! Bonded transport declarations as the console shows them: list rows and
//! the detail page's data (OLA items with labels, cargo lines as a table,
//! containers, approval, outputs, history). Pure: the caller reads the
//! store.

use serde_json::{json, Value};

use super::labels::{self, find, l, Label};
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

/// Labels of the OLA items; cargo items go by their id without the
/// block's digit (`CG` for CG1…CG5).
#[rustfmt::skip]
static LABELS: &[Label] = &[
    l("OLT", "Số tờ khai vận chuyển", "Transport declaration number"),
    l("IEI", "Cờ báo nhập khẩu/xuất khẩu", "Import/export indicator"),
    l("CHC", "Cơ quan Hải quan", "Customs office"),
    l("TRC", "Mã người vận chuyển", "Carrier code"),
    l("TRN", "Tên người vận chuyển", "Carrier name"),
    l("TRA", "Địa chỉ người vận chuyển", "Carrier address"),
    l("TCN", "Số hợp đồng vận chuyển", "Transport contract number"),
    l("TCD", "Ngày hợp đồng vận chuyển", "Transport contract date"),
    l("EDC", "Ngày hết hạn hợp đồng vận chuyển", "Transport contract expiry"),
    l("BYA", "Mã phương tiện vận chuyển", "Means of transport code"),
    l("OBJ", "Mã mục đích vận chuyển", "Transport purpose code"),
    l("USS", "Loại hình vận tải", "Transport type"),
    l("SDT", "Ngày dự kiến bắt đầu vận chuyển", "Planned start date"),
    l("SDH", "Giờ dự kiến bắt đầu vận chuyển", "Planned start hour"),
    l("EDT", "Ngày dự kiến kết thúc vận chuyển", "Planned end date"),
    l("EDH", "Giờ dự kiến kết thúc vận chuyển", "Planned end hour"),
    l("DPR", "Địa điểm xếp hàng (khu vực chịu sự giám sát hải quan)", "Departure: bonded area"),
    l("BRT", "Địa điểm xếp hàng (cầu cảng)", "Departure: berth"),
    l("PRT", "Địa điểm xếp hàng (cảng/cửa khẩu)", "Departure: port of loading"),
    l("DPN", "Tên địa điểm xếp hàng", "Departure place name"),
    l("ARR", "Địa điểm dỡ hàng (khu vực chịu sự giám sát hải quan)", "Arrival: bonded area"),
    l("ARB", "Địa điểm dỡ hàng (cầu cảng)", "Arrival: berth"),
    l("ARP", "Địa điểm dỡ hàng (cảng/cửa khẩu)", "Arrival: port of discharge"),
    l("ARN", "Tên địa điểm dỡ hàng", "Arrival place name"),
    l("ROU", "Tuyến đường", "Route"),
    l("TOS", "Loại bảo lãnh", "Guarantee type"),
    l("SBC", "Mã ngân hàng bảo lãnh", "Guarantor bank code"),
    l("RYA", "Năm phát hành bảo lãnh", "Guarantee: year issued"),
    l("SCM", "Kí hiệu chứng từ bảo lãnh", "Guarantee: document series"),
    l("SCN", "Số chứng từ bảo lãnh", "Guarantee: document number"),
    l("SEP", "Số tiền bảo lãnh", "Guarantee amount"),
    l("NTA", "Ghi chú 1", "Remarks 1"),
    // Cargo blocks.
    l("CG", "Số vận đơn", "Bill of lading number"),
    l("DB", "Ngày phát hành vận đơn", "Bill of lading date"),
    l("CM", "Mô tả hàng hóa", "Goods description"),
    l("HS", "Mã HS (4 số)", "HS code (4 digits)"),
    l("MR", "Ký hiệu và số hiệu", "Marks and numbers"),
    l("IS", "Ngày đưa hàng vào kho ngoại quan lần đầu", "First bonded-warehouse entry"),
    l("RM", "Dấu hiệu hàng của doanh nghiệp chế xuất", "Export-processing product mark"),
    l("OR", "Mã nước sản xuất", "Country of manufacture"),
    l("LP", "Mã địa điểm xuất phát của hàng", "Cargo departure place"),
    l("PA", "Mã địa điểm đích của hàng", "Cargo destination place"),
    l("TM", "Loại bản lược khai", "Manifest type"),
    l("TE", "Hô hiệu tàu / số chuyến bay", "Vessel call sign or flight number"),
    l("SN", "Tên tàu", "Vessel name"),
    l("DD", "Ngày hàng đến / ngày dự kiến đi", "Arrival or planned departure date"),
    l("IM", "Mã người nhập khẩu", "Importer code"),
    l("IN", "Tên người nhập khẩu", "Importer name"),
    l("IA", "Địa chỉ người nhập khẩu", "Importer address"),
    l("EM", "Mã người xuất khẩu", "Exporter code"),
    l("EN", "Tên người xuất khẩu", "Exporter name"),
    l("EA", "Địa chỉ người xuất khẩu", "Exporter address"),
    l("KM", "Mã người ủy thác", "Principal code"),
    l("KN", "Tên người ủy thác", "Principal name"),
    l("KA", "Địa chỉ người ủy thác", "Principal address"),
    l("OA", "Mã văn bản pháp quy khác 1", "Other law code 1"),
    l("OB", "Mã văn bản pháp quy khác 2", "Other law code 2"),
    l("OC", "Mã văn bản pháp quy khác 3", "Other law code 3"),
    l("OD", "Mã văn bản pháp quy khác 4", "Other law code 4"),
    l("OE", "Mã văn bản pháp quy khác 5", "Other law code 5"),
    l("PC", "Số lượng", "Quantity"),
    l("PU", "Mã đơn vị tính", "Unit code"),
    l("GW", "Tổng trọng lượng", "Gross weight"),
    l("WU", "Mã đơn vị trọng lượng", "Weight unit"),
    l("VO", "Thể tích", "Volume"),
    l("VU", "Mã đơn vị thể tích", "Volume unit"),
    l("PR", "Trị giá", "Value"),
    l("RT", "Mã đồng tiền", "Currency"),
    l("RA", "Mã ghi chú tình trạng hàng 1", "Cargo condition remark 1"),
    l("RB", "Mã ghi chú tình trạng hàng 2", "Cargo condition remark 2"),
    l("RC", "Mã ghi chú tình trạng hàng 3", "Cargo condition remark 3"),
    l("RD", "Mã ghi chú tình trạng hàng 4", "Cargo condition remark 4"),
    l("RE", "Mã ghi chú tình trạng hàng 5", "Cargo condition remark 5"),
    l("PM", "Số giấy phép", "Permit number"),
    l("PD", "Ngày giấy phép", "Permit date"),
    l("EP", "Ngày hết hạn giấy phép", "Permit expiry"),
    l("NT", "Ghi chú 2", "Remarks 2"),
    // After the cargo blocks.
    l("E#", "Số tờ khai xuất khẩu/nhập khẩu", "Export/import declaration number"),
    l("CNO", "Số hiệu container/toa/kiện", "Container, wagon or package number"),
    l("RNO", "Số thứ tự vận đơn tương ứng", "Matching bill of lading line"),
    l("SE#", "Số niêm phong", "Seal number"),
];

/// The cargo item an id names (`CM` for `CM3`), if it is one.
fn cargo_item(id: &str) -> Option<&'static str> {
    CARGO_ITEMS.iter().copied().find(|c| {
        id.strip_prefix(c)
            .and_then(|n| n.parse::<u16>().ok())
            .is_some_and(|n| (1..=CARGO_BLOCKS).contains(&n))
    })
}

/// The label of an OLA item; cargo items go by their id without the
/// block digit.
pub fn label(id: &str) -> Option<(&'static Label, Option<u32>)> {
    find(&[LABELS], cargo_item(id).unwrap_or(id))
}

fn item(id: &str, name: &str) -> Value {
    labels::item(id, name, label(id))
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
    let header: Vec<Value> = layout
        .items
        .iter()
        .enumerate()
        .filter(|(i, it)| {
            !group.contains(i) && cargo_item(it.id).is_none() && !f.get(it.id).is_empty()
        })
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
        assert_eq!(d["cargo"]["columns"][0]["en"], "Bill of lading number");
        assert_eq!(item("CM5", "")["vi"], "Mô tả hàng hóa");
        assert_eq!(item("SE4", "")["en"], "Seal number 4");
        assert_eq!(item("E12", "")["vi"], "Số tờ khai xuất khẩu/nhập khẩu 12");
        assert_eq!(item("CM6", "")["vi"], Value::Null);
    }

    #[test]
    fn every_ola_item_has_both_labels() {
        crate::console::labels::tests::covers(&[LABELS], &[&tables::OLA], |_, id| label(id));
    }
}
