//! Vietnamese labels for the declaration items officers read most, in our
//! own words. Items without one show the template's English name.

/// Items of the import (IDA) and export (EDA) layouts, by item id. Where
/// the two layouts use one id for the same thing, one label serves both;
/// `(import, export)` pairs cover ids whose meaning differs.
const LABELS: &[(&str, &str)] = &[
    ("ICN", "Số tờ khai"),
    ("ECN", "Số tờ khai"),
    ("FIC", "Số tờ khai đầu tiên"),
    ("BNO", "Số thứ tự tờ khai nhánh"),
    ("DNO", "Tổng số tờ khai nhánh"),
    ("TDN", "Số tờ khai tạm nhập tái xuất tương ứng"),
    ("ICB", "Mã loại hình"),
    ("ECB", "Mã loại hình"),
    ("CCC", "Mã phân loại hàng hóa"),
    ("MTC", "Mã phương thức vận chuyển"),
    ("SKB", "Phân loại cá nhân/tổ chức"),
    ("CH", "Cơ quan Hải quan"),
    ("CHB", "Mã bộ phận xử lý tờ khai"),
    ("RED", "Thời hạn tái xuất"),
    ("RID", "Thời hạn tái nhập"),
    ("ICD", "Ngày khai báo dự kiến"),
    ("ECD", "Ngày khai báo dự kiến"),
    ("IMC", "Mã người nhập khẩu"),
    ("IMN", "Tên người nhập khẩu"),
    ("IMY", "Mã bưu chính"),
    ("IMA", "Địa chỉ người nhập khẩu"),
    ("IMT", "Số điện thoại người nhập khẩu"),
    ("NMC", "Mã người ủy thác nhập khẩu"),
    ("NMN", "Tên người ủy thác nhập khẩu"),
    ("EPP", "Mã bưu chính"),
    ("EPT", "Số điện thoại người xuất khẩu"),
    ("EXC", "Mã người ủy thác xuất khẩu"),
    ("EXN", "Tên người ủy thác xuất khẩu"),
    ("CGC", "Mã người nhận hàng"),
    ("CGN", "Tên người nhận hàng"),
    ("CGK", "Mã nước người nhận hàng"),
    ("EPO", "Mã nước người xuất khẩu"),
    ("ICC", "Mã đại lý hải quan"),
    ("ECC", "Mã đại lý hải quan"),
    ("BL1", "Số vận đơn 1"),
    ("BL2", "Số vận đơn 2"),
    ("BL3", "Số vận đơn 3"),
    ("BL4", "Số vận đơn 4"),
    ("BL5", "Số vận đơn 5"),
    ("EKN", "Số vận đơn"),
    ("NO", "Số lượng kiện"),
    ("NOT", "Đơn vị tính số lượng kiện"),
    ("GW", "Tổng trọng lượng hàng (gross)"),
    ("GWT", "Đơn vị tính trọng lượng"),
    ("ST", "Mã địa điểm lưu kho"),
    ("MRK", "Ký hiệu và số hiệu"),
    ("VSC", "Mã phương tiện vận chuyển"),
    ("VSN", "Tên phương tiện vận chuyển"),
    ("ARR", "Ngày hàng đến"),
    ("SYM", "Ngày hàng đi dự kiến"),
    ("DST", "Mã địa điểm dỡ hàng"),
    ("DSC", "Mã địa điểm nhận hàng cuối cùng"),
    ("PSC", "Mã địa điểm xếp hàng"),
    ("PSN", "Tên địa điểm xếp hàng"),
    ("COC", "Số lượng container"),
    ("IV1", "Phân loại hình thức hóa đơn"),
    ("IV3", "Số hóa đơn"),
    ("IVD", "Ngày phát hành hóa đơn"),
    ("IVP", "Phương thức thanh toán"),
    ("IP1", "Mã phân loại giá hóa đơn"),
    ("IP2", "Điều kiện giá hóa đơn"),
    ("IP3", "Mã đồng tiền của hóa đơn"),
    ("IP4", "Tổng trị giá hóa đơn"),
    ("TPM", "Người nộp thuế"),
    ("NT2", "Phần ghi chú"),
    ("REF", "Số quản lý nội bộ doanh nghiệp"),
    // Goods lines.
    ("CMD", "Mã số hàng hóa (HS)"),
    ("CMN", "Mô tả hàng hóa"),
    ("OR", "Mã nước xuất xứ"),
    ("QN1", "Số lượng (1)"),
    ("QT1", "Đơn vị tính (1)"),
    ("QN2", "Số lượng (2)"),
    ("QT2", "Đơn vị tính (2)"),
    ("BPR", "Trị giá hóa đơn"),
    ("UPR", "Đơn giá hóa đơn"),
    ("UPC", "Mã đồng tiền của đơn giá"),
    ("TSC", "Đơn vị của đơn giá"),
    ("DPR", "Trị giá tính thuế"),
    ("TXA", "Thuế suất"),
    ("TDL", "Số dòng hàng tờ khai tạm nhập tái xuất"),
];

/// Per-family labels for ids that mean different things in the two layouts.
const IMPORT_ONLY: &[(&str, &str)] = &[
    ("EPC", "Mã người xuất khẩu (nước ngoài)"),
    ("EPN", "Tên người xuất khẩu (nước ngoài)"),
    ("EPA", "Địa chỉ người xuất khẩu (nước ngoài)"),
];
const EXPORT_ONLY: &[(&str, &str)] = &[
    ("EPC", "Mã người xuất khẩu"),
    ("EPN", "Tên người xuất khẩu"),
    ("EPA", "Địa chỉ người xuất khẩu"),
];

/// The Vietnamese label of an item of the import (`import = true`) or
/// export declaration layout.
pub fn vi(id: &str, import: bool) -> Option<&'static str> {
    let own = if import { IMPORT_ONLY } else { EXPORT_ONLY };
    own.iter()
        .chain(LABELS)
        .find(|(k, _)| *k == id)
        .map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::declaration::{EXPORT, IMPORT};

    #[test]
    fn every_label_names_an_item_of_a_declaration_layout() {
        for (id, _) in LABELS {
            assert!(
                [&IMPORT, &EXPORT]
                    .iter()
                    .any(|s| s.layout.items.iter().any(|i| i.id == *id)),
                "{id}"
            );
        }
        for (table, spec) in [(IMPORT_ONLY, &IMPORT), (EXPORT_ONLY, &EXPORT)] {
            for (id, _) in table {
                assert!(spec.layout.items.iter().any(|i| i.id == *id), "{id}");
            }
        }
        assert_eq!(vi("EPC", true), Some("Mã người xuất khẩu (nước ngoài)"));
        assert_eq!(vi("EPC", false), Some("Mã người xuất khẩu"));
        assert_eq!(vi("CMD", false), Some("Mã số hàng hóa (HS)"));
        assert_eq!(vi("VD1", true), None);
    }
}
