//! Field labels of the declaration layouts (IDA import, EDA export) in
//! Vietnamese and English, in our own words; the console shows them in
//! place of the templates' item names. The bonded-transport labels
//! (transports.rs) use the same table form and lookup.

use serde_json::{json, Value};

/// One item's label. An id ending in `#` stands for a numbered series
/// (`BL#`: BL1…BL5, `D#`: D01…D10); the item's number follows its label.
pub struct Label {
    id: &'static str,
    vi: &'static str,
    en: &'static str,
}

pub(super) const fn l(id: &'static str, vi: &'static str, en: &'static str) -> Label {
    Label { id, vi, en }
}

/// Items whose meaning is the same wherever they occur (most occur in one
/// layout only).
#[rustfmt::skip]
static SHARED: &[Label] = &[
    l("ICN", "Số tờ khai", "Declaration number"),
    l("ECN", "Số tờ khai", "Declaration number"),
    l("FIC", "Số tờ khai đầu tiên", "First declaration number"),
    l("BNO", "Số thứ tự tờ khai nhánh", "Part number of the divided declaration"),
    l("DNO", "Tổng số tờ khai nhánh", "Parts in the divided declaration"),
    l("TDN", "Số tờ khai tạm nhập tái xuất tương ứng", "Matching temporary import/export declaration"),
    l("ICB", "Mã loại hình", "Kind code"),
    l("ECB", "Mã loại hình", "Kind code"),
    l("CCC", "Mã phân loại hàng hóa", "Goods category code"),
    l("MTC", "Mã phương thức vận chuyển", "Transport mode code"),
    l("SKB", "Mã phân loại cá nhân/tổ chức", "Individual or organisation"),
    l("CH", "Cơ quan Hải quan", "Customs office"),
    l("CHB", "Mã bộ phận xử lý tờ khai", "Handling team code"),
    l("RED", "Thời hạn tái xuất", "Re-export deadline"),
    l("RID", "Thời hạn tái nhập", "Re-import deadline"),
    l("ICD", "Ngày khai báo dự kiến", "Planned declaration date"),
    l("ECD", "Ngày khai báo dự kiến", "Planned declaration date"),
    // Parties.
    l("IMC", "Mã người nhập khẩu", "Importer code"),
    l("IMN", "Tên người nhập khẩu", "Importer name"),
    l("IMY", "Mã bưu chính người nhập khẩu", "Importer postcode"),
    l("IMA", "Địa chỉ người nhập khẩu", "Importer address"),
    l("IMT", "Số điện thoại người nhập khẩu", "Importer telephone"),
    l("NMC", "Mã người ủy thác nhập khẩu", "Import principal code"),
    l("NMN", "Tên người ủy thác nhập khẩu", "Import principal name"),
    l("EPY", "Mã bưu chính người xuất khẩu", "Exporter postcode"),
    l("EP2", "Địa chỉ người xuất khẩu (dòng 2)", "Exporter address, line 2"),
    l("EP3", "Địa chỉ người xuất khẩu (thành phố)", "Exporter address: city"),
    l("EP4", "Địa chỉ người xuất khẩu (tỉnh/bang)", "Exporter address: state or province"),
    l("EPO", "Mã nước người xuất khẩu", "Exporter country code"),
    l("ENM", "Tên người ủy thác xuất khẩu", "Export principal name"),
    l("EPP", "Mã bưu chính người xuất khẩu", "Exporter postcode"),
    l("EPT", "Số điện thoại người xuất khẩu", "Exporter telephone"),
    l("EXC", "Mã người ủy thác xuất khẩu", "Export principal code"),
    l("EXN", "Tên người ủy thác xuất khẩu", "Export principal name"),
    l("CGC", "Mã người nhận hàng", "Consignee code"),
    l("CGN", "Tên người nhận hàng", "Consignee name"),
    l("CGP", "Mã bưu chính người nhận hàng", "Consignee postcode"),
    l("CGA", "Địa chỉ người nhận hàng (dòng 1)", "Consignee address, line 1"),
    l("CAT", "Địa chỉ người nhận hàng (dòng 2)", "Consignee address, line 2"),
    l("CAC", "Địa chỉ người nhận hàng (thành phố)", "Consignee address: city"),
    l("CAS", "Địa chỉ người nhận hàng (tỉnh/bang)", "Consignee address: state or province"),
    l("CGK", "Mã nước người nhận hàng", "Consignee country code"),
    l("ICC", "Mã đại lý hải quan", "Customs broker code"),
    l("ECC", "Mã đại lý hải quan", "Customs broker code"),
    // Cargo and carriage.
    l("BL#", "Số vận đơn", "Bill of lading number"),
    l("EKN", "Số vận đơn", "Bill of lading number"),
    l("NO", "Số lượng kiện", "Number of packages"),
    l("NOT", "Mã đơn vị tính số lượng kiện", "Package unit code"),
    l("GW", "Tổng trọng lượng hàng (gross)", "Gross weight"),
    l("GWT", "Mã đơn vị tính trọng lượng", "Weight unit code"),
    l("ST", "Mã địa điểm lưu kho", "Storage place code"),
    l("MRK", "Ký hiệu và số hiệu", "Marks and numbers"),
    l("VSC", "Mã phương tiện vận chuyển", "Vessel code (call sign)"),
    l("VSN", "Tên phương tiện vận chuyển", "Vessel or aircraft name"),
    l("ARR", "Ngày hàng đến", "Arrival date"),
    l("SYM", "Ngày hàng đi dự kiến", "Planned departure date"),
    l("DST", "Mã địa điểm dỡ hàng", "Place of unloading code"),
    l("DSC", "Mã địa điểm nhận hàng cuối cùng", "Final destination code"),
    l("PSC", "Mã địa điểm xếp hàng", "Place of loading code"),
    l("PSN", "Tên địa điểm xếp hàng", "Place of loading name"),
    l("VN", "Tên địa điểm xếp hàng lên xe", "Vanning place name"),
    l("VA", "Địa chỉ địa điểm xếp hàng lên xe", "Vanning place address"),
    l("C#", "Số container", "Container number"),
    // Permits and other laws.
    l("N4", "Mã kết quả kiểm tra sơ bộ", "Pre-inspection result code"),
    l("OL#", "Mã văn bản pháp quy khác", "Other law code"),
    l("SS#", "Phân loại giấy phép", "Permit type"),
    l("SN#", "Số giấy phép", "Permit number"),
    // Invoice and valuation.
    l("IV1", "Phân loại hình thức hóa đơn", "Invoice type code"),
    l("IV2", "Số tiếp nhận hóa đơn điện tử", "E-invoice receipt number"),
    l("IV3", "Số hóa đơn", "Invoice number"),
    l("IVD", "Ngày phát hành hóa đơn", "Invoice date"),
    l("IVP", "Phương thức thanh toán", "Payment terms"),
    l("IP1", "Mã phân loại giá hóa đơn", "Invoice price kind"),
    l("IP2", "Điều kiện giá hóa đơn", "Delivery terms (Incoterms)"),
    l("IP3", "Mã đồng tiền của hóa đơn", "Invoice currency"),
    l("IP4", "Tổng trị giá hóa đơn", "Invoice total"),
    l("VD1", "Mã phân loại khai trị giá", "Valuation method code"),
    l("VD2", "Số tiếp nhận tờ khai trị giá tổng hợp", "Comprehensive valuation declaration number"),
    l("VCC", "Mã đồng tiền của giá cơ sở hiệu chỉnh trị giá", "Currency of the valuation base price"),
    l("VPC", "Giá cơ sở hiệu chỉnh trị giá", "Valuation base price"),
    l("FR1", "Mã phân loại phí vận chuyển", "Freight kind code"),
    l("FR2", "Mã đồng tiền phí vận chuyển", "Freight currency"),
    l("FR3", "Phí vận chuyển", "Freight"),
    l("IN1", "Mã phân loại bảo hiểm", "Insurance kind code"),
    l("IN2", "Mã đồng tiền phí bảo hiểm", "Insurance currency"),
    l("IN3", "Phí bảo hiểm", "Insurance amount"),
    l("IN4", "Số đăng ký bảo hiểm tổng hợp", "Blanket insurance registration"),
    l("VR#", "Mã tên khoản điều chỉnh", "Adjustment item code"),
    l("VI#", "Mã phân loại điều chỉnh trị giá", "Adjustment kind (add or deduct)"),
    l("VP#", "Trị giá khoản điều chỉnh", "Adjustment amount"),
    l("VT#", "Tổng hệ số phân bổ khoản điều chỉnh", "Allocation base of the adjustment"),
    l("VLD", "Chi tiết khai trị giá", "Valuation details"),
    l("TP", "Tổng hệ số phân bổ trị giá tính thuế", "Allocation base of the customs value"),
    l("FCD", "Mã đồng tiền của tổng trị giá tính thuế", "Currency of the total taxable value"),
    l("FKK", "Tổng trị giá tính thuế", "Total taxable value"),
    l("CNV", "Mã không chuyển đổi sang VND", "Not converted into VND"),
    // Tax payment and guarantees.
    l("TPM", "Người nộp thuế", "Taxpayer"),
    l("BP", "Mã lý do đề nghị giải phóng hàng", "Reason code for early release"),
    l("BRC", "Mã ngân hàng trả thuế thay", "Bank paying the duty: code"),
    l("BYA", "Năm phát hành hạn mức", "Credit line: year issued"),
    l("BCM", "Kí hiệu chứng từ hạn mức", "Credit line: document series"),
    l("BCN", "Số chứng từ hạn mức", "Credit line: document number"),
    l("ENC", "Mã xác định thời hạn nộp thuế", "Payment deadline code"),
    l("SBC", "Mã ngân hàng bảo lãnh", "Guarantor bank code"),
    l("RYA", "Năm phát hành bảo lãnh", "Guarantee: year issued"),
    l("SCM", "Kí hiệu chứng từ bảo lãnh", "Guarantee: document series"),
    l("SCN", "Số chứng từ bảo lãnh", "Guarantee: document number"),
    // Attachments, bonded transport, notes.
    l("EA#", "Phân loại đính kèm khai báo điện tử", "Attachment kind"),
    l("EB#", "Số đính kèm khai báo điện tử", "Attachment number"),
    l("ISD", "Ngày được phép nhập kho ngoại quan đầu tiên", "First bonded-warehouse entry date"),
    l("DPD", "Ngày khởi hành vận chuyển", "Transport start date"),
    l("ST#", "Địa điểm trung chuyển (vận chuyển bảo thuế)", "Transit place (bonded transport)"),
    l("AD#", "Ngày đến địa điểm trung chuyển", "Arrival at the transit place"),
    l("SD#", "Ngày rời địa điểm trung chuyển", "Departure from the transit place"),
    l("ARP", "Địa điểm đích (vận chuyển bảo thuế)", "Destination (bonded transport)"),
    l("ADT", "Ngày dự kiến đến địa điểm đích", "Planned arrival at the destination"),
    l("NT2", "Phần ghi chú", "Notes"),
    l("REF", "Số quản lý nội bộ doanh nghiệp", "Trader's internal reference"),
    l("CCM", "Mã phân loại chỉ thị của Hải quan", "Customs instruction kind"),
    l("D#", "Ngày chỉ thị của Hải quan", "Customs instruction date"),
    l("T#", "Tên chỉ thị của Hải quan", "Customs instruction title"),
    l("I#", "Nội dung chỉ thị của Hải quan", "Customs instruction text"),
    // Goods lines.
    l("CMD", "Mã số hàng hóa (HS)", "HS code"),
    l("GZC", "Mã quản lý riêng", "Trader's own goods code"),
    l("CMN", "Mô tả hàng hóa", "Goods description"),
    l("OR", "Mã nước xuất xứ", "Country of origin"),
    l("ORS", "Mã biểu thuế nhập khẩu", "Import tariff schedule"),
    l("KWS", "Mã ngoài hạn ngạch", "Out-of-quota mark"),
    l("SPD", "Mã áp dụng mức thuế tuyệt đối", "Specific duty code"),
    l("TXA", "Thuế suất", "Duty rate"),
    l("TXB", "Mức thuế tuyệt đối", "Specific duty rate"),
    l("TXC", "Mã đơn vị tính thuế tuyệt đối", "Specific duty unit"),
    l("TXD", "Mã đồng tiền của mức thuế tuyệt đối", "Specific duty currency"),
    l("QN1", "Số lượng (1)", "Quantity (1)"),
    l("QT1", "Đơn vị tính (1)", "Unit (1)"),
    l("QN2", "Số lượng (2)", "Quantity (2)"),
    l("QT2", "Đơn vị tính (2)", "Unit (2)"),
    l("BPR", "Trị giá hóa đơn", "Invoice value"),
    l("UPR", "Đơn giá hóa đơn", "Invoice unit price"),
    l("UPC", "Mã đồng tiền của đơn giá", "Unit price currency"),
    l("TSC", "Đơn vị của đơn giá", "Unit of the unit price"),
    l("BPC", "Mã đồng tiền của trị giá tính thuế", "Customs value currency"),
    l("DPR", "Trị giá tính thuế", "Customs value"),
    l("VN#", "Khoản điều chỉnh áp dụng", "Valuation adjustment applied"),
    l("TDL", "Số dòng hàng tờ khai tạm nhập tái xuất", "Matching line of the temporary declaration"),
    l("TXN", "Số danh mục miễn thuế", "Tax exemption list number"),
    l("TXR", "Số dòng trong danh mục miễn thuế", "Line in the tax exemption list"),
    l("TX#", "Mã áp dụng thuế và thu khác", "Other tax code"),
    l("TR#", "Mã miễn/giảm thuế và thu khác", "Other tax exemption code"),
    l("TG#", "Số tiền giảm thuế và thu khác", "Other tax reduction"),
];

/// Ids the two layouts use for different things.
#[rustfmt::skip]
static IMPORT: &[Label] = &[
    l("EPC", "Mã người xuất khẩu (nước ngoài)", "Foreign exporter code"),
    l("EPN", "Tên người xuất khẩu (nước ngoài)", "Foreign exporter name"),
    l("EPA", "Địa chỉ người xuất khẩu (dòng 1)", "Exporter address, line 1"),
    l("DSN", "Tên địa điểm dỡ hàng", "Place of unloading name"),
    l("COC", "Số lượng container", "Number of containers"),
    l("VC#", "Mã đồng tiền của khoản điều chỉnh", "Adjustment currency"),
    l("RE", "Mã miễn/giảm/không chịu thuế nhập khẩu", "Import duty exemption code"),
    l("REG", "Số tiền giảm thuế nhập khẩu", "Import duty reduction"),
];
#[rustfmt::skip]
static EXPORT: &[Label] = &[
    l("EPC", "Mã người xuất khẩu", "Exporter code"),
    l("EPN", "Tên người xuất khẩu", "Exporter name"),
    l("EPA", "Địa chỉ người xuất khẩu", "Exporter address"),
    l("DSN", "Tên địa điểm nhận hàng cuối cùng", "Final destination name"),
    l("COC", "Mã nguyên phụ liệu", "Registered material code"),
    l("VC#", "Mã địa điểm xếp hàng lên xe", "Vanning place code"),
    l("RE", "Mã miễn/giảm/không chịu thuế xuất khẩu", "Export duty exemption code"),
    l("REG", "Số tiền giảm thuế xuất khẩu", "Export duty reduction"),
];

/// The label of `id` in the first table that has it: an exact id wins
/// over a numbered series, and the series gives the item's number.
pub(super) fn find(tables: &[&'static [Label]], id: &str) -> Option<(&'static Label, Option<u32>)> {
    let all = || tables.iter().flat_map(|t| t.iter());
    if let Some(l) = all().find(|l| l.id == id) {
        return Some((l, None));
    }
    let base = id.trim_end_matches(|c: char| c.is_ascii_digit());
    let n: u32 = id[base.len()..].parse().ok()?;
    all()
        .find(|l| l.id.strip_suffix('#') == Some(base))
        .map(|l| (l, Some(n)))
}

/// An item as the console shows it: its template name, and its labels
/// (`null` where there is none, so the page falls back to the name).
pub(super) fn item(id: &str, name: &str, label: Option<(&Label, Option<u32>)>) -> Value {
    let text = |s: &str, n: Option<u32>| n.map_or_else(|| s.to_string(), |n| format!("{s} {n}"));
    json!({
        "id": id,
        "name": name,
        "vi": label.map(|(l, n)| text(l.vi, n)),
        "en": label.map(|(l, n)| text(l.en, n)),
    })
}

/// The label of an item of the import (`import = true`) or export
/// declaration layout.
pub fn of(id: &str, import: bool) -> Option<(&'static Label, Option<u32>)> {
    find(&[if import { IMPORT } else { EXPORT }, SHARED], id)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::wire::{tables, Layout};

    /// Every item of the layouts has a label in both languages, and every
    /// label serves some item.
    pub fn covers(
        tables: &[&'static [Label]],
        layouts: &[&Layout],
        lookup: impl Fn(&Layout, &str) -> Option<(&'static Label, Option<u32>)>,
    ) {
        let mut used: Vec<*const Label> = Vec::new();
        for layout in layouts {
            for it in layout.items {
                let (l, _) = lookup(layout, it.id)
                    .unwrap_or_else(|| panic!("{} {} has no label", layout.code, it.id));
                assert!(
                    !l.vi.trim().is_empty() && !l.en.trim().is_empty(),
                    "{}",
                    it.id
                );
                used.push(l);
            }
        }
        for l in tables.iter().flat_map(|t| t.iter()) {
            assert!(
                used.contains(&(l as *const Label)),
                "{} labels no item",
                l.id
            );
        }
    }

    #[test]
    fn every_item_of_the_declaration_layouts_has_both_labels() {
        covers(
            &[SHARED, IMPORT, EXPORT],
            &[&tables::IDA, &tables::EDA],
            |layout, id| of(id, layout.code == "IDA"),
        );
    }

    #[test]
    fn family_labels_and_series_numbers() {
        let both = |id, import| {
            let v = item(id, "", of(id, import));
            (
                v["vi"].as_str().map(String::from),
                v["en"].as_str().map(String::from),
            )
        };
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            both("EPC", true),
            (
                s("Mã người xuất khẩu (nước ngoài)"),
                s("Foreign exporter code")
            )
        );
        assert_eq!(
            both("EPC", false),
            (s("Mã người xuất khẩu"), s("Exporter code"))
        );
        assert_eq!(both("VC2", true).1, s("Adjustment currency 2"));
        assert_eq!(both("VC2", false).1, s("Vanning place code 2"));
        assert_eq!(both("D07", true).0, s("Ngày chỉ thị của Hải quan 7"));
        assert_eq!(both("ST", true).0, s("Mã địa điểm lưu kho"));
        assert_eq!(
            both("ST3", false).0,
            s("Địa điểm trung chuyển (vận chuyển bảo thuế) 3")
        );
        assert_eq!(both("VN", false).1, s("Vanning place name"));
        assert_eq!(both("QZ1", true), (None, None));
    }
}
