//! What a declarant terminal sends: VNACCS messages with realistic bodies.
//! Pure: the caller brings the random numbers and the sequence.

use outpost::rules::outputs::fill_by_name;
use outpost::wire::body::split_lines;
use outpost::wire::{tables, Fields, HField, Header, Layout, Message};

/// One provisioned declarant terminal: the credentials the header and the
/// retrieval loop carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminal {
    pub user: String,
    pub password: String,
    pub id: String,
    pub key: String,
    pub tax_code: String,
}

impl Terminal {
    /// The `n`-th generated terminal (n < 1,000,000), as `provision` creates it.
    pub fn numbered(n: usize) -> Terminal {
        Terminal {
            user: format!("LD{n:06}"),
            password: format!("PW{:06}", n % 1_000_000),
            id: format!("L{n:05}"),
            key: format!("KEY{n:05}"),
            // Ten digits, like a Vietnamese enterprise tax code.
            tax_code: format!("01{:08}", 10_000_000 + n),
        }
    }

    /// `CODE:PASSWORD:TERMINAL:KEY:TAXCODE`, for a terminal provisioned elsewhere.
    pub fn parse(s: &str) -> Option<Terminal> {
        let p: Vec<&str> = s.split(':').collect();
        let [user, password, id, key, tax_code] = p.as_slice() else {
            return None;
        };
        (user.len() == 8 && id.len() == 6 && !password.is_empty() && !key.is_empty()).then(|| {
            Terminal {
                user: user.to_string(),
                password: password.to_string(),
                id: id.to_string(),
                key: key.to_string(),
                tax_code: tax_code.to_string(),
            }
        })
    }

    /// The request header the official terminal fills; `seq` makes the
    /// DataInfo (terminal + time + sequence) unique per message.
    pub fn header(&self, job: &str, seq: u64) -> Header {
        let mut h = Header::default();
        h.set(HField::Control, "SS");
        h.set(HField::JobCode, job);
        h.set(HField::UserId, &self.user);
        h.set(HField::Password, &self.password);
        h.set(HField::Path, &self.id);
        h.set(
            HField::DataInfo,
            &format!("{}20260115093000{:06}", self.id, seq % 1_000_000),
        );
        h
    }

    fn message(&self, job: &str, seq: u64, body: String) -> Vec<u8> {
        Message::new(self.header(job, seq), body).render()
    }

    /// IDC for a pre-registered number.
    pub fn idc(&self, seq: u64, number: &str) -> Vec<u8> {
        self.message("IDC", seq, format!("{number}\r\n"))
    }

    /// IID: the reference information of one declaration.
    pub fn iid(&self, seq: u64, number: &str) -> Vec<u8> {
        self.message("IID", seq, format!("{number}\r\n"))
    }

    /// #REP1: start (or continue) the retrieval loop with the access key.
    pub fn rep1(&self, seq: u64) -> Vec<u8> {
        self.message(
            "#REP1",
            seq,
            format!("{}\r\n{}\r\n1\r\n", self.id, self.key),
        )
    }

    /// ?A2: acknowledge the output named by `rtp` and ask for the next one.
    pub fn ack(&self, seq: u64, rtp: &str) -> Vec<u8> {
        let mut h = self.header("?A2", seq);
        h.set(HField::RtpInfo, rtp);
        Message::new(h, String::new()).render()
    }

    /// An IDA with `lines` goods lines (1–50); `pick` chooses among the
    /// sample texts and values. Returns the message and the fields it carries.
    pub fn ida(
        &self,
        seq: u64,
        lines: u16,
        pick: &mut impl FnMut(usize) -> usize,
    ) -> (Vec<u8>, Fields) {
        let f = ida_fields(&self.tax_code, lines, pick);
        (self.message("IDA", seq, f.render()), f)
    }
}

/// Goods as Vietnamese importers describe them: (HS code, description, unit).
const GOODS: &[(&str, &str, &str)] = &[
    (
        "84713020",
        "Máy tính xách tay, mới 100%, hiệu ABC, model X1",
        "PCE",
    ),
    (
        "85171200",
        "Điện thoại di động thông minh, màn hình 6,1 inch",
        "PCE",
    ),
    ("61091000", "Áo phông nam bằng bông, dệt kim, các cỡ", "PCE"),
    (
        "39269099",
        "Khay nhựa đựng linh kiện điện tử, kích thước 30x20cm",
        "PCE",
    ),
    (
        "73181510",
        "Bu lông thép không gỉ M8x40, dùng trong xây dựng",
        "KGM",
    ),
    (
        "08051020",
        "Cam tươi loại 1, xuất xứ Úc, đóng thùng 15kg",
        "KGM",
    ),
    ("48191000", "Thùng carton sóng 5 lớp, chưa in hình", "PCE"),
    (
        "94036090",
        "Bàn làm việc bằng gỗ công nghiệp, đã lắp ráp",
        "SET",
    ),
    (
        "30049099",
        "Thuốc viên nén bổ sung vitamin tổng hợp, hộp 100 viên",
        "BOX",
    ),
    (
        "87089999",
        "Phụ tùng ô tô: giá đỡ động cơ bằng cao su và thép",
        "PCE",
    ),
];

const IMPORTERS: &[(&str, &str)] = &[
    (
        "CÔNG TY TNHH THƯƠNG MẠI VÀ DỊCH VỤ HẢI ĐĂNG",
        "SỐ 12 ĐƯỜNG LÊ THÁNH TÔNG, PHƯỜNG MÁY CHAI, QUẬN NGÔ QUYỀN, HẢI PHÒNG",
    ),
    (
        "CÔNG TY CỔ PHẦN XUẤT NHẬP KHẨU ĐỒNG NAI",
        "LÔ 5, KHU CÔNG NGHIỆP BIÊN HÒA II, TỈNH ĐỒNG NAI",
    ),
    (
        "CÔNG TY TNHH ĐIỆN TỬ PHƯƠNG NAM",
        "TẦNG 8, TÒA NHÀ SAI GON CENTRE, QUẬN 1, THÀNH PHỐ HỒ CHÍ MINH",
    ),
];

const ORIGINS: &[&str] = &["CN", "JP", "KR", "TH", "DE", "US", "AU"];

fn ida_fields(tax_code: &str, lines: u16, pick: &mut impl FnMut(usize) -> usize) -> Fields {
    let (name, address) = IMPORTERS[pick(IMPORTERS.len())];
    let pieces = 1 + pick(400);
    let mut f = Fields::new(&tables::IDA);
    for (id, v) in [
        ("ICB", "A11"),
        ("MTC", "2"),
        ("SKB", "4"),
        ("CH", "02CI"),
        ("CHB", "02"),
        ("IMC", tax_code),
        ("IMN", name),
        ("IMA", address),
        ("GWT", "KGM"),
        ("NOT", "PK"),
        ("PSC", "CNSHA"),
        ("ARR", "15012026"),
        ("VSN", "HAIAN BELL 2601N"),
        ("IP1", "A"),
        ("IP2", "CIF"),
        ("IP3", "USD"),
        (
            "NT2",
            "Hàng nhập khẩu theo hợp đồng số 15/2026/HĐMB, thanh toán L/C",
        ),
    ] {
        f.set(id, v);
    }
    f.set("BL1", &format!("HPH{:010}", pick(1_000_000_000)));
    f.set("NO", &pieces.to_string());
    f.set("GW", &format!("{}.5", 10 * pieces));
    let mut total = 0u64;
    for r in 1..=lines {
        let (hs, text, unit) = GOODS[pick(GOODS.len())];
        let qty = 1 + pick(5000) as u64;
        let value = qty * (1 + pick(200) as u64);
        total += value;
        f.set_rep("CMD", r, hs);
        f.set_rep("CMN", r, &format!("{text} (dòng {r})"));
        f.set_rep("OR", r, ORIGINS[pick(ORIGINS.len())]);
        f.set_rep("QN1", r, &qty.to_string());
        f.set_rep("QT1", r, unit);
        f.set_rep("BPR", r, &value.to_string());
    }
    f.set("IP4", &total.to_string());
    f
}

/// How many goods lines a declaration has: most have a few, some many, up
/// to the layout's 50 (`roll` is uniform in 0..100, `within(n)` in 0..n).
pub fn goods_lines(roll: usize, within: &mut impl FnMut(usize) -> usize) -> u16 {
    let (low, span) = match roll {
        0..=59 => (1, 5),
        60..=89 => (6, 15),
        _ => (21, 30),
    };
    (low + within(span)) as u16
}

/// An output body read back into fields, padding trimmed. Outputs are not
/// checked against their layout's required items: they are the appliance's
/// answer, compared item by item with what it must say.
pub fn read_output(layout: &'static Layout, body: &str) -> Fields {
    let values = split_lines(body)
        .iter()
        .map(|l| l.trim().to_string())
        .collect();
    Fields::from_values(layout, values)
}

/// The registered copy (VAD4190) the appliance must queue for an IDA:
/// the fields sent, with the number it issued.
pub fn registered_copy(sent: &Fields, number: &str) -> Fields {
    let mut f = sent.clone();
    f.set("ICN", number);
    f
}

/// The declared data an IID must answer with, item by item (VAD0AP). The
/// channel and the registration time are the appliance's own: the caller
/// copies them over from the answer before comparing.
pub fn expected_reference(sent: &Fields, number: &str) -> Fields {
    let mut out = Fields::new(&tables::VAD0AP);
    fill_by_name(&registered_copy(sent, number), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use outpost::wire::body::Fields as F;

    fn counter() -> impl FnMut(usize) -> usize {
        let mut i = 0usize;
        move |n| {
            i += 7;
            i % n
        }
    }

    #[test]
    fn ida_bodies_pass_the_layout_checks() {
        let t = Terminal::numbered(3);
        for lines in [1u16, 7, 50] {
            let (msg, sent) = t.ida(9, lines, &mut counter());
            let m = Message::parse(&msg).expect("a whole message");
            assert_eq!(m.job_code(), "IDA");
            let parsed = F::parse(&tables::IDA, &m.body, outpost::wire::JobCodes::get("IDA"))
                .expect("within the layout")
                .unwrap_or_else(|e| panic!("{lines} lines: {e:?}"));
            assert_eq!(parsed, sent);
            assert_eq!(parsed.reps_present().len(), lines as usize);
            assert_eq!(parsed.get("IMC"), t.tax_code);
        }
    }

    #[test]
    fn goods_lines_stay_within_1_to_50() {
        let mut seen = std::collections::BTreeSet::new();
        for roll in 0..100 {
            for w in 0..30 {
                let n = goods_lines(roll, &mut |span| w % span);
                assert!((1..=50).contains(&n), "{n}");
                seen.insert(n);
            }
        }
        assert_eq!(seen.first(), Some(&1));
        assert_eq!(seen.last(), Some(&50));
    }

    #[test]
    fn numbered_terminals_fit_the_provisioning_rules() {
        for n in [0, 1, 99_999] {
            let t = Terminal::numbered(n);
            assert_eq!(t.user.len(), 8);
            assert_eq!(t.id.len(), 6);
            assert!(t.password.len() <= 8);
            assert!(t.key.len() <= 16);
            assert_eq!(t.tax_code.len(), 10);
        }
        assert_ne!(Terminal::numbered(1).id, Terminal::numbered(2).id);
    }

    #[test]
    fn terminals_given_on_the_command_line() {
        let t = Terminal::parse("ABC12001:PASSW0RD:T12345:KEY:0101234567").unwrap();
        assert_eq!(t.id, "T12345");
        for bad in [
            "ABC12001:PW:T12345:KEY",
            "ABC:PW:T12345:KEY:1",
            "ABC12001:PW:T1:KEY:1",
        ] {
            assert_eq!(Terminal::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_reference_carries_the_declared_items() {
        let t = Terminal::numbered(1);
        let (_, sent) = t.ida(1, 2, &mut counter());
        let r = expected_reference(&sent, "190170000010");
        assert_eq!(r.get("ICN"), "190170000010");
        // Items map by their English name: the importer's name is A20 there.
        assert_eq!(r.get("A20"), sent.get("IMN"));
        assert_eq!(r.get("IMC"), sent.get("IMC"));
    }
}
