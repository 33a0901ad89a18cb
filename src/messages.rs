//! What a result code means, in Vietnamese and English, for officers and
//! declarants (`GET /api/codes/<code>`).
//!
//! The codes the appliance sends from its own rules, the system codes
//! (`A00xx`) and normal completion have texts written for the situation in
//! which Outpost sends them. Every other code of a job table gets a text
//! built from its kind and the fields the table names. All texts are the
//! project's own words. Pure: no I/O.

use serde::Serialize;

use crate::rules::declaration::Spec;
use crate::wire::codes::CodeDef;
use crate::wire::{job_layout, tables, JobCodes, Kind};

/// The meaning of one result code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Description {
    /// The five-character message code (`E8306`).
    pub code: String,
    pub vi: String,
    pub en: String,
    /// The kind of problem (`Missing`, `Format` …) from the job tables, when
    /// the code is in one. A code that means different things in different
    /// jobs gets the kind it has in the jobs Outpost serves.
    pub kind: Option<&'static str>,
    /// The jobs whose tables carry the code (`SYS` for system codes).
    pub jobs: Vec<&'static str>,
    /// The field ids the tables say the code can point at.
    pub fields: Vec<&'static str>,
}

/// Result codes Outpost sends that VNACCS does not have: numbers left
/// free in the VNACCS system table, so they can never mean something else.
pub const OWN_CODES: &[&str] = &["A0060", "A0061"];

/// Codes with a text of their own: normal completion, every system code,
/// and every code Outpost sends from its own rules. (code, Vietnamese, English)
static SPECIFIC: &[(&str, &str, &str)] = &[
    ("00000", "Xử lý thành công.", "Completed normally."),
    // ---- temporary-trade inquiry (ITI) -----------------------------------------
    (
        "R0002",
        "ITI: nhập số tờ khai tạm nhập/tạm xuất, hoặc chỉ tiêu tìm kiếm (nhập/xuất), một trong hai. \
         (Với ITF: đã nhập số tờ khai vận chuyển thì để trống cơ quan hải quan tiếp nhận.)",
        "ITI: give either a temporary declaration number or search conditions (import/export). \
         (For ITF: with a transport declaration number, leave the submitting office empty.)",
    ),
    (
        "R0005",
        "ITI: khi tìm kiếm theo chỉ tiêu thì để trống số tờ khai.",
        "ITI: leave the declaration number empty when searching by conditions.",
    ),
    (
        "E0025",
        "ITI: số tờ khai không phải là tờ khai tạm nhập/tạm xuất đã đăng ký trên hệ thống dự phòng.",
        "ITI: the number is not a temporary import/export registered on the backup system.",
    ),
    (
        "S0008",
        "ITI: chỉ tiêu nhập/xuất phải là I (nhập) hoặc E (xuất).",
        "ITI: the import/export indication must be I (import) or E (export).",
    ),
    (
        "U0003",
        "ITI: mã người nhập khẩu/xuất khẩu không thuộc quyền khai của người sử dụng này.",
        "ITI: this user may not inquire for that importer/exporter code.",
    ),
    (
        "L0001",
        "ITI: không có tờ khai tạm nhập/tạm xuất nào khớp chỉ tiêu tìm kiếm.",
        "ITI: no temporary declaration matches the search.",
    ),
    (
        "W1001",
        "ITI: có hơn 100 tờ khai khớp chỉ tiêu; danh sách chỉ gồm 100 tờ khai đầu tiên, hãy thu hẹp tìm kiếm. \
         (Với ITF: có nhiều tờ khai vận chuyển khớp; thông điệp trả lời là tờ khai đầu tiên, các tờ \
         khai còn lại, tối đa 99, được gửi vào hàng đợi thông điệp đầu ra của thiết bị đầu cuối.)",
        "ITI: more than 100 declarations match; the list holds the first 100, narrow the search. \
         (For ITF: several transports match; the answer shows the first, and the others, up to \
         99, wait in the terminal's output queue.)",
    ),
    // ---- bonded transport (OLA…BIA) -------------------------------------------
    (
        "R0003",
        "OLB: nhập số tờ khai vận chuyển; hệ thống dự phòng không tra cứu theo số vận đơn. \
         (Với ITF: đã nhập số tờ khai vận chuyển thì để trống cơ quan hải quan nơi đến. Với TIA: \
         số lượng ban đầu phải đúng số lượng đã đăng ký, và số lượng đã tái xuất/tái nhập không \
         được vượt quá số lượng đó.)",
        "OLB: give the transport declaration number; the backup system does not look up by \
         cargo number. (For ITF: with a transport declaration number, leave the arrival office \
         empty. For TIA: the original quantity must be the registered one, and the quantity \
         re-exported/re-imported may not exceed it.)",
    ),
    (
        "R0004",
        "ITF: để tra cứu theo điều kiện, nhập cơ quan hải quan tiếp nhận tờ khai (DEC). Hệ thống \
         dự phòng không lưu cơ quan hải quan nơi đến nên không tra cứu theo ARV; để trống chỉ tiêu này. \
         (Với TIA: đơn vị tính của số lượng đã tái xuất/tái nhập phải giống đơn vị của số lượng \
         ban đầu.)",
        "ITF: to search, give the submitting customs office (DEC). The backup system keeps no \
         customs office for arrival places, so it cannot search by ARV; leave it empty. (For \
         TIA: the unit of the quantity re-exported/re-imported must be that of the original \
         quantity.)",
    ),
    (
        "R0007",
        "Ngày kết thúc vận chuyển dự kiến trước ngày bắt đầu.",
        "The planned end of transport is before its start.",
    ),
    (
        "E0003",
        "Tờ khai vận chuyển đã được đăng ký (OLC) hoặc chưa đến bước này: không thể thực hiện lại. \
         (Với COT11: chỉ gọi được tờ khai đã đăng ký mà hàng chưa đi; với BIA11: chỉ gọi được tờ khai \
         đã báo hàng đi. Với COT: không được đổi cơ quan hải quan.)",
        "The transport declaration is already registered (OLC), or not at this step yet. (COT11 \
         calls up registered transports whose goods have not left, BIA11 those that have left. \
         For COT: the customs office cannot be changed.)",
    ),
    (
        "E0004",
        "COT: số vận đơn của lô hàng giữ lại hoặc hủy (loại 5 hoặc 3) khác với số đã đăng ký ở vị trí đó.",
        "COT: the cargo number of a cargo kept or dropped (type 5 or 3) differs from the one \
         registered in that place.",
    ),
    (
        "E0008",
        "COT: hàng đã rời địa điểm đi (BOA) nên không thể sửa hay hủy tờ khai vận chuyển. \
         (Với TIA: số tờ khai không phải tờ khai tạm nhập/tạm xuất đã đăng ký.)",
        "COT: the goods have left (BOA), so the transport declaration can no longer be corrected \
         or cancelled. (For TIA: the number is not a registered temporary import or export.)",
    ),
    // ---- temporary-trade management information (TIB, TIA) -----------------
    (
        "S0033",
        "TIA: thời hạn tái xuất/tái nhập mới là ngày đã qua.",
        "TIA: the new re-export/re-import deadline is a day in the past.",
    ),
    (
        "E0011",
        "TIA: số lượng đã tái xuất/tái nhập ít hơn số lượng các tờ khai tái xuất/tái nhập đã khai \
         trên hệ thống dự phòng đã dùng cho dòng hàng này; những tờ khai đó không thể bị xóa bỏ.",
        "TIA: the quantity re-exported/re-imported is less than what the re-exports/re-imports \
         lodged on the backup system drew from this line; they cannot be taken back.",
    ),
    (
        "E0013",
        "TIA: thiếu dòng hàng của tờ khai tạm; gửi lại đủ các dòng hàng như TIB đã gọi ra.",
        "TIA: a goods line of the temporary declaration is missing; send every line as TIB \
         called it up.",
    ),
    (
        "S0007",
        "COT: tờ khai vận chuyển chưa được đăng ký (OLC) hoặc đã bị hủy; tờ khai chưa đăng ký thì \
         khai lại bằng OLA.",
        "COT: the transport declaration is not registered (OLC) or is already cancelled; replace an \
         unregistered one with a new OLA.",
    ),
    (
        "S0065",
        "COT: loại chỉnh sửa của lô hàng phải là 2 (thêm), 3 (hủy) hoặc 5 (giữ, có thể sửa).",
        "COT: a cargo's correction type must be 2 (add), 3 (drop) or 5 (keep, possibly corrected).",
    ),
    (
        "S0118",
        "COT: mỗi lô hàng đã đăng ký phải có loại chỉnh sửa (3 hoặc 5), và không được hủy tất cả \
         các lô; muốn hủy cả tờ khai thì dùng loại xử lý 1.",
        "COT: every registered cargo needs a correction type (3 or 5), and not all of them may be \
         dropped; to cancel the whole declaration use processing type 1.",
    ),
    (
        "R0014",
        "COT: ngày kết thúc vận chuyển dự kiến trước ngày bắt đầu.",
        "COT: the planned end of transport is before its start.",
    ),
    (
        "R0026",
        "COT: loại chỉnh sửa và số vận đơn của một lô hàng mới phải được nhập cùng nhau.",
        "COT: a new cargo needs both its correction type and its cargo number.",
    ),
    (
        "R0027",
        "COT: lô hàng giữ lại hoặc thêm mới phải có mô tả hàng hóa.",
        "COT: a cargo kept or added needs its goods description.",
    ),
    (
        "E0007",
        "Số tờ khai vận chuyển thuộc người khai khác hoặc không có trên hệ thống dự phòng. \
         (Với ROT: không có thông điệp đầu ra ứng với mã và số tờ khai đã nhập. Với COT: lô hàng \
         mới phải có loại chỉnh sửa 2. Với TIA: không có tờ khai mang số này.)",
        "The transport declaration number belongs to another declarant or is unknown. (For ROT: \
         there is no such output for this declaration number and user. For COT: a new cargo needs \
         correction type 2. For TIA: there is no declaration with this number.)",
    ),
    (
        "E0009",
        "Tờ khai vận chuyển thuộc người khai khác.",
        "The transport declaration belongs to another declarant.",
    ),
    (
        "E0027",
        "Đã báo hàng đi (BOA) cho tờ khai vận chuyển này.",
        "The departure (BOA) of this transport is already recorded.",
    ),
    (
        "E0029",
        "Chưa báo hàng đi (BOA) nên không thể hủy báo hàng đi.",
        "No departure (BOA) is recorded, so there is none to take back.",
    ),
    (
        "S0002",
        "BOA: loại xử lý phải là 9 (báo hàng đi) hoặc 1 (hủy báo hàng đi).",
        "BOA: the processing type must be 9 (departure) or 1 (take the departure back).",
    ),
    // ---- re-output (ROT) -------------------------------------------------------
    (
        "E0002",
        "Giá trị đã nhập không có trên hệ thống dự phòng: mã thông điệp cần xuất lại (ROT), \
         hoặc số tờ khai vận chuyển của người khai chưa đăng ký/không ở trạng thái phù hợp \
         (OLB/OLC/BOA/BIA/ITF/COT11/BIA11). Với COT: tờ khai vận chuyển đã được sửa 9 lần, \
         không sửa thêm được. Với TIB: không có tờ khai tạm nhập/tạm xuất đã đăng ký mang số này. \
         Với TIA: mã người khai đầu tiên (CFD) không phải của người đã khai tờ khai tạm.",
        "The value is not on the backup system: the output code to re-send (ROT), or a transport \
         declaration number of this declarant that is unknown or not in the right state \
         (OLB/OLC/BOA/BIA/ITF/COT11/BIA11). For COT: the transport declaration has been corrected \
         nine times; no further correction. For TIB: there is no registered temporary import or \
         export with this number. For TIA: the first declarant's user code (CFD) is not that of \
         the one who lodged the temporary declaration.",
    ),
    (
        "E0005",
        "Hệ thống dự phòng không phát hành thông điệp đầu ra này nên không thể xuất lại (ROT). \
         Có thể xuất lại: bản sao tờ khai, thông báo phân luồng, bản sao khai sửa đổi. \
         (Với COT: lô hàng đã đăng ký chỉ có loại chỉnh sửa 3 hoặc 5. Với ITF: không có tờ khai \
         vận chuyển nào của người khai khớp điều kiện tra cứu. Với TIA: mã người nhập khẩu/xuất khẩu \
         không phải mã trên tờ khai tạm.)",
        "ROT: the backup system does not issue this output, so it cannot re-send it. It re-sends \
         registered copies, channel notices and amendment copies. (For COT: a registered cargo \
         takes correction type 3 or 5. For ITF: none of the declarant's transports matches the \
         search. For TIA: the importer/exporter code is not the one on the temporary \
         declaration.)",
    ),
    // ---- system codes (header, user, terminal, signature) -------------------
    (
        "A0001",
        "Mã nghiệp vụ không tồn tại. Kiểm tra mã nghiệp vụ trong tiêu đề thông điệp.",
        "Unknown job code. Check the job code in the message header.",
    ),
    (
        "A0002",
        "Hệ thống dự phòng không phục vụ nghiệp vụ này (ví dụ: tờ khai trị giá thấp qua bưu chính, \
         chuyển phát nhanh MIC/MID/MIE, MEC/MED/MEE, hàng bưu chính, chuyển phát nhanh (mã phân \
         loại hàng hóa F) khai trên IDA/EDA với tổng trị giá hóa đơn không vượt ngưỡng trị giá \
         thấp, hoặc nghiệp vụ chưa được hỗ trợ). Thực hiện trên VNACCS.",
        "This job is not served by the backup system (for example low-value post/express \
         declarations MIC/MID/MIE, MEC/MED/MEE, post/express goods (cargo class F) declared on \
         IDA/EDA with a total invoice value at or under the low-value threshold, or a job not \
         supported). Use VNACCS for it.",
    ),
    (
        "A0003",
        "Mã người sử dụng không đúng dạng (phải đủ 8 ký tự, không có khoảng trắng).",
        "The user code is malformed (it must be 8 characters with no spaces).",
    ),
    ("A0004", "Mật khẩu không đúng.", "Wrong password."),
    (
        "A0005",
        "Mã người sử dụng chưa được cấp trên hệ thống dự phòng.",
        "The user code is not provisioned on the backup system.",
    ),
    (
        "A0006",
        "Nghiệp vụ chưa bắt đầu hoạt động; chờ đến khi được mở.",
        "The job has not started yet; wait until it opens.",
    ),
    (
        "A0007",
        "Lỗi xử lý bất thường tại hệ thống; không có dữ liệu nào được ghi. \
         Báo cho bộ phận CNTT của chi cục.",
        "Processing ended abnormally on the system; nothing was recorded. \
         Tell the branch's IT staff.",
    ),
    (
        "A0008",
        "Độ dài thông điệp không khớp với độ dài ghi trong tiêu đề, hoặc thông điệp bị cắt cụt.",
        "The message length does not match the length in its header, or the message is truncated.",
    ),
    (
        "A0009",
        "Tiêu đề thông điệp có ký tự không hợp lệ (chỉ được dùng ký tự ASCII in được).",
        "The message header contains a character that is not printable ASCII.",
    ),
    (
        "A0010",
        "Chi cục đã dùng hết các khối số tờ khai được cấp. Liên hệ bộ phận CNTT để được cấp thêm.",
        "The site's declaration number blocks are used up. Contact IT to have another assigned.",
    ),
    (
        "A0011",
        "Hệ thống đang bận; chờ một lát rồi gửi lại.",
        "The system is busy; wait a moment and send again.",
    ),
    (
        "A0012",
        "Người sử dụng không được phép thực hiện nghiệp vụ này.",
        "The user is not authorised for this job.",
    ),
    (
        "A0013",
        "Thông tin người sử dụng không khớp với tiêu đề thông điệp.",
        "The user's details do not match the message header.",
    ),
    (
        "A0014",
        "Người sử dụng đã bị khóa, không được dùng hệ thống.",
        "The user is disabled and may not use the system.",
    ),
    (
        "A0015",
        "VNACCS đang hoạt động. Tờ khai này không thuộc trường hợp được chỉ đạo, cũng không \
         tiếp nối một tờ khai tạm trên hệ thống dự phòng: hãy khai báo trên VNACCS.",
        "VNACCS is operating. This declaration is neither a directed case nor a continuation \
         of a temporary declaration on the backup system: declare it on VNACCS.",
    ),
    (
        "A0016",
        "Tiêu đề thông điệp sai định dạng (ví dụ: không có CR LF ngay sau 398 byte tiêu đề).",
        "The message header is malformed (for example, no CR LF right after the 398-byte header).",
    ),
    (
        "A0017",
        "Định dạng thông điệp hoặc giao thức không hợp lệ. Cũng dùng cho lỗi ở một chỉ tiêu \
         mà nghiệp vụ không có mã riêng; xem chỉ tiêu được nêu.",
        "The message or protocol format is invalid. Also used for a field problem the job \
         has no code of its own for; see the field named.",
    ),
    (
        "A0018",
        "Khóa truy cập của thiết bị đầu cuối không đúng.",
        "The terminal access key is wrong.",
    ),
    (
        "A0019",
        "Mã thiết bị đầu cuối không đúng hoặc không được cấp cho người sử dụng này.",
        "The terminal ID is wrong or not assigned to this user.",
    ),
    (
        "A0020",
        "Tệp đính kèm được yêu cầu không tồn tại.",
        "The requested attachment does not exist.",
    ),
    (
        "A0021",
        "Không được phép lấy tệp đính kèm này.",
        "Not permitted to retrieve this attachment.",
    ),
    (
        "A0022",
        "Nội dung thông điệp dạng XML không hợp lệ.",
        "The content of the XML message is invalid.",
    ),
    (
        "A0023",
        "Dịch vụ chuyển đổi XML đang không hoạt động; chờ một lát rồi gửi lại.",
        "The XML conversion service is not running; wait a moment and send again.",
    ),
    (
        "A0034",
        "Không xác thực được chữ ký số của thông điệp.",
        "The message's digital signature could not be verified.",
    ),
    (
        "A0035",
        "Chứng thư ký số không do CA đã đăng ký cho thiết bị đầu cuối cấp, \
         hoặc thiết bị chưa đăng ký chứng thư.",
        "The signing certificate was not issued by the CA registered for the terminal, \
         or the terminal has no certificate registered.",
    ),
    (
        "A0036",
        "Số serial của chứng thư ký số khác với số đã đăng ký cho thiết bị đầu cuối.",
        "The signing certificate's serial number differs from the one registered for the terminal.",
    ),
    // Outpost's own system code: not in the VNACCS tables.
    (
        "A0060",
        "Hệ thống dự phòng tạm ngừng nhận khai báo mới vì dung lượng đĩa còn trống dưới mức tối \
         thiểu; chưa có gì được ghi. Tra cứu và lấy thông điệp đầu ra vẫn hoạt động. Hãy báo cán \
         bộ CNTT của Chi cục và gửi lại sau.",
        "The backup system is not taking new declarations because its free disk space is below \
         the floor; nothing was written. Inquiries and output retrieval still work. Tell the \
         branch IT officer and send again later.",
    ),
    (
        "A0061",
        "Hệ thống dự phòng không xác nhận được việc ghi xuống đĩa (đĩa đầy hoặc bị treo), nên yêu \
         cầu này không được chấp nhận và không được cấp số. Tra cứu và lấy thông điệp đầu ra vẫn \
         hoạt động khi có thể. Hãy báo cán bộ CNTT của Chi cục và gửi lại sau.",
        "The backup system cannot confirm writes on its disk (it is full or stuck), so this \
         request is not accepted and no number was given. Inquiries and output retrieval go on \
         where they can. Tell the branch IT officer and send again later.",
    ),
    (
        "A0070",
        "Đang lấy các thông điệp đầu ra của thiết bị đầu cuối này; chờ một lát.",
        "Outputs for this terminal are being retrieved; wait a moment.",
    ),
    (
        "A0071",
        "Chưa có thông điệp đầu ra nào được lưu cho thiết bị đầu cuối này; chờ rồi thử lại.",
        "No outputs are stored for this terminal yet; wait and try again.",
    ),
    // ---- declarations: lodging, call-up, registration, amendment ------------
    (
        "E0001",
        "Thông điệp dài hơn bố cục của nghiệp vụ cho phép (quá nhiều dòng).",
        "The message is longer than the job's layout allows (too many lines).",
    ),
    (
        "E0074",
        "Tờ khai đã được đăng ký (IDC/EDC) trước đó.",
        "The declaration is already registered (IDC/EDC).",
    ),
    (
        "E0103",
        "Tờ khai đã đăng ký nên không gọi lại bằng IDB/EDB được; dùng IDD/EDD để sửa đổi.",
        "The declaration is already registered, so IDB/EDB cannot call it up; \
         use IDD/EDD to amend it.",
    ),
    (
        "E0153",
        "Không có dữ liệu sửa đổi (IDA01/EDA01) nào đang chờ đăng ký cho tờ khai này.",
        "No amendment (IDA01/EDA01) is waiting to be registered for this declaration.",
    ),
    (
        "E0206",
        "Tờ khai chưa được đăng ký (IDC/EDC) nên chưa thể sửa đổi.",
        "The declaration is not registered yet (IDC/EDC), so it cannot be amended.",
    ),
    (
        "E0208",
        "Số nhánh của số tờ khai đã là 9; không thể sửa đổi thêm.",
        "The amendment digit of the declaration number is already 9; \
         no further amendment is possible.",
    ),
    (
        "E0213",
        "Số tờ khai không hợp lệ hoặc không có trên hệ thống dự phòng.",
        "The declaration number is invalid or unknown on the backup system.",
    ),
    (
        "E0220",
        "Tờ khai đã đăng ký nên không thể khai lại để thay thế; dùng nghiệp vụ sửa đổi.",
        "The declaration is already registered and cannot be replaced by a new \
         pre-registration; use the amendment jobs.",
    ),
    (
        "E0209",
        "Hàng đã được giải phóng hoặc thông quan; tờ khai không thể sửa đổi nữa.",
        "The goods have already been released or cleared; the declaration can no \
         longer be amended.",
    ),
    (
        "E1038",
        "Cơ quan Hải quan đã giải phóng hàng hoặc thông quan tờ khai này; không nhận \
         dữ liệu sửa đổi nữa.",
        "Customs has already released or cleared this declaration; amendment data \
         is no longer accepted.",
    ),
    (
        "E4026",
        "Việc kiểm tra tờ khai đã hoàn tất và tờ khai đã được thông quan; không thể \
         sửa đổi nữa.",
        "The checks of this declaration are complete and it has been cleared; it can \
         no longer be amended.",
    ),
    (
        "E0223",
        "Không có tờ khai đã đăng ký mang số này để sửa đổi.",
        "There is no registered declaration with this number to amend.",
    ),
    (
        "E0399",
        "Tờ khai đã được sửa đổi 9 lần; không thể sửa đổi thêm.",
        "The declaration has been amended nine times; no further amendment is allowed.",
    ),
    (
        "E1000",
        "Chưa nhập mã số thuế của người nhập khẩu/xuất khẩu.",
        "The importer's/exporter's tax code is missing.",
    ),
    (
        "E1200",
        "Hệ thống dự phòng không lưu danh sách hóa đơn điện tử; hãy gọi tờ khai bằng số tờ khai \
         hoặc số vận đơn.",
        "The backup system keeps no electronic invoice lists; call the declaration up by its \
         number or its B/L number.",
    ),
    (
        "E3000",
        "Không có tờ khai nào của người khai mang số vận đơn này.",
        "None of the declarant's declarations carries this B/L number.",
    ),
    (
        "E9990",
        "Nghiệp vụ này phải được ký số; thông điệp gửi lên chưa có chữ ký.",
        "This job must be digitally signed; the message arrived unsigned.",
    ),
    (
        "R0001",
        "Cần nhập số tờ khai, số vận đơn hoặc số hóa đơn điện tử để gọi tờ khai. \
         (Với ITF: đã nhập số tờ khai vận chuyển thì để trống ngày kết thúc vận chuyển.)",
        "Enter a declaration number, a B/L number or an electronic invoice number to call \
         the declaration up. (For ITF: with a transport declaration number, leave the finish \
         date empty.)",
    ),
    (
        "S0003",
        "Không tìm thấy tờ khai nào của người khai mang số này. \
         (Với TCC: chỉ tiêu được nêu không hợp lệ.)",
        "None of the declarant's declarations has this number. \
         (For TCC: the field named is not valid.)",
    ),
    (
        "S0005",
        "Số tờ khai (hoặc số tờ khai vận chuyển, với COT) không có trên hệ thống dự phòng hoặc \
         không phải tờ khai của người khai này. \
         (Với ITI: thời hạn tái xuất/tái nhập tìm kiếm không phải ngày DDMMYYYY. Với TIA: thời \
         hạn tái xuất/tái nhập mới không phải ngày DDMMYYYY.)",
        "The declaration number (the transport declaration number, for COT) is unknown on the \
         backup system or is not this declarant's. \
         (For ITI: the deadline searched for is not a DDMMYYYY date. For TIA: the new deadline \
         is not a DDMMYYYY date.)",
    ),
    (
        "S0006",
        "Không tìm thấy tờ khai khai trước nào của người khai mang số này.",
        "None of the declarant's pre-registered declarations has this number.",
    ),
    (
        "S0055",
        "Mã loại hình chưa nhập hoặc không có trong danh mục mã loại hình.",
        "The declaration kind code is missing or is not a known kind code.",
    ),
    (
        "U0002",
        "Người sử dụng không được khai cho mã số thuế này, hoặc tờ khai thuộc người khai khác.",
        "The user may not declare for this tax code, or the declaration belongs to another \
         declarant.",
    ),
    (
        "U0004",
        "Tờ khai thuộc người khai khác nên không thể sửa đổi, tra cứu hay sửa thông tin quản lý \
         tạm nhập/tạm xuất (ITI, TIB, TIA).",
        "The declaration belongs to another declarant, so it cannot be amended, nor its \
         temporary-trade management information inquired into or corrected (ITI, TIB, TIA).",
    ),
    // ---- divided declarations (more than 50 goods lines) ----------------------
    (
        "R1028",
        "Tờ khai chia nhỏ: số tờ khai đầu tiên (FIC) và số thứ tự (BNO) phải được nhập cùng nhau.",
        "Divided declaration: the first declaration (FIC) and the part number (BNO) go together.",
    ),
    (
        "R1029",
        "Tờ khai đầu tiên của bộ chia nhỏ (FIC là F) phải có số thứ tự 1.",
        "The first declaration of a divided set (FIC F) must be part 1.",
    ),
    (
        "R1030",
        "Tờ khai chia nhỏ: số tờ khai đầu tiên (FIC) và tổng số tờ khai (DNO) phải được nhập cùng nhau.",
        "Divided declaration: the first declaration (FIC) and the number of parts (DNO) go together.",
    ),
    (
        "R1031",
        "Số thứ tự tờ khai chia nhỏ phải từ 1 đến tổng số tờ khai (ít nhất 2); tờ khai thứ 2 trở đi \
         có số thứ tự từ 2.",
        "The part number must lie between 1 and the number of parts (at least 2); parts after the \
         first are numbered from 2.",
    ),
    (
        "S1000",
        "FIC phải là F (tờ khai đầu tiên) hoặc số của tờ khai đầu tiên trong bộ chia nhỏ của chính \
         người khai, có cùng tổng số tờ khai.",
        "FIC must be F (the first declaration) or the number of the first declaration of the same \
         declarant's divided set, with the same number of parts.",
    ),
    // ---- temporary trade and its continuations (re-export, re-import) ------
    (
        "R1000",
        "Tờ khai tái xuất/tái nhập phải nêu số tờ khai tạm (TDN).",
        "A re-export or re-import must name its temporary declaration (TDN).",
    ),
    (
        "R1002",
        "Chỉ tờ khai tạm nhập/tạm xuất mới ghi thời hạn tái xuất/tái nhập; \
         để trống chỉ tiêu này.",
        "Only temporary declarations carry a re-export/re-import deadline; \
         leave this field empty.",
    ),
    (
        "R1003",
        "Tờ khai tạm nhập/tạm xuất phải có thời hạn tái xuất/tái nhập là một ngày hợp lệ.",
        "A temporary declaration needs a re-export/re-import deadline that is a valid date.",
    ),
    (
        "R1025",
        "Chưa nhập số thứ tự dòng hàng tương ứng trên tờ khai tạm (TDL).",
        "The matching goods line of the temporary declaration (TDL) is not given.",
    ),
    (
        "S1129",
        "Thời hạn tái xuất (RED) là ngày đã qua. \
         (Trên tờ khai xuất khẩu: chưa nhập mã điều kiện giá hóa đơn.)",
        "The re-export deadline (RED) is a day in the past. \
         (On export declarations: the invoice price condition code is missing.)",
    ),
    (
        "S1138",
        "Thời hạn tái nhập (RID) là ngày đã qua.",
        "The re-import deadline (RID) is a day in the past.",
    ),
    (
        "E1111",
        "Tờ khai tạm đã quá thời hạn tái xuất/tái nhập nên không thể tiếp nối.",
        "The temporary declaration is past its re-export/re-import deadline, \
         so it cannot be continued.",
    ),
    (
        "E8300",
        "Tờ khai tạm nêu ở chỉ tiêu TDN không có trên hệ thống dự phòng.",
        "The temporary declaration named in TDN is not on the backup system.",
    ),
    (
        "E8301",
        "Tờ khai được nêu không phải tờ khai tạm nhập nên không thể tái xuất theo nó.",
        "The declaration named is not a temporary import, so nothing can be re-exported \
         against it.",
    ),
    (
        "E8303",
        "Sửa đổi không được đổi hay bỏ tờ khai tạm (TDN) mà tờ khai tái xuất/tái nhập này đang \
         trừ lùi; trên hệ thống dự phòng liên kết này được giữ cố định.",
        "An amendment cannot change or drop the temporary declaration (TDN) this re-export or \
         re-import draws on; the backup system keeps that link fixed.",
    ),
    (
        "E8304",
        "Tờ khai tạm được nêu thuộc người khai khác.",
        "The temporary declaration named belongs to another declarant.",
    ),
    (
        "E8305",
        "Dòng hàng nêu ở chỉ tiêu TDL không có trên tờ khai tạm.",
        "The goods line given in TDL does not exist on the temporary declaration.",
    ),
    (
        "E8306",
        "Số lượng khai vượt quá số lượng còn lại của dòng hàng tương ứng trên tờ khai tạm.",
        "The quantity is more than what remains of the matching line of the temporary \
         declaration.",
    ),
    (
        "E8307",
        "Tờ khai tạm được nêu chưa được đăng ký.",
        "The temporary declaration named is not registered yet.",
    ),
    (
        "E8308",
        "Mã số hàng hóa khác với mã trên dòng hàng tương ứng của tờ khai tạm.",
        "The HS code differs from the one on the matching line of the temporary declaration.",
    ),
    (
        "E8309",
        "Tờ khai được nêu không phải tờ khai tạm xuất nên không thể tái nhập theo nó.",
        "The declaration named is not a temporary export, so nothing can be re-imported \
         against it.",
    ),
    (
        "E8348",
        "Đơn vị tính khác với đơn vị tính trên dòng hàng tương ứng của tờ khai tạm.",
        "The unit of quantity differs from the one on the matching line of the temporary \
         declaration.",
    ),
];

/// At most this many fields are named in a generic text.
const MAX_FIELDS_NAMED: usize = 6;

/// The meaning of `code`, a five-character message code (`E8306`), or
/// `None` when no table knows it or it is not five ASCII letters or digits.
pub fn describe(code: &str) -> Option<Description> {
    describe_in(code, None)
}

/// Like [`describe`], limited to one job's table when `job` is given (a code
/// can mean different things in different jobs).
pub fn describe_in(code: &str, job: Option<&str>) -> Option<Description> {
    if code.len() != 5
        || !code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return None;
    }
    let found = occurrences(code, job);
    let mut jobs: Vec<&'static str> = Vec::new();
    let mut fields: Vec<&'static str> = Vec::new();
    for (j, def) in &found {
        if !jobs.contains(j) {
            jobs.push(j);
        }
        for f in def.fields {
            if !fields.contains(f) {
                fields.push(f);
            }
        }
    }
    let kind = primary(&found).map(|(_, d)| kind_name(d.kind));
    let (vi, en) = match SPECIFIC.iter().find(|(c, _, _)| *c == code) {
        Some((_, vi, en)) => (vi.to_string(), en.to_string()),
        None if found.is_empty() => return None,
        None => generic(&found),
    };
    Some(Description {
        code: code.to_string(),
        vi,
        en,
        kind,
        jobs,
        fields,
    })
}

/// Whether `code` has a text of its own (not built from its kind).
pub fn is_specific(code: &str) -> bool {
    SPECIFIC.iter().any(|(c, _, _)| *c == code)
}

/// The name of a kind, as the JSON shows it.
pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Missing => "Missing",
        Kind::Format => "Format",
        Kind::NotDate => "NotDate",
        Kind::Chars => "Chars",
        Kind::TooLong => "TooLong",
        Kind::NotRegistered => "NotRegistered",
        Kind::BadValue => "BadValue",
        Kind::Other => "Other",
    }
}

/// Every job table (in layout order, then `SYS`) that has `code`.
fn occurrences(code: &str, only: Option<&str>) -> Vec<(&'static str, &'static CodeDef)> {
    tables::JOBS
        .iter()
        .map(|l| l.code)
        .chain(["SYS"])
        .filter(|j| only.is_none_or(|o| o == *j))
        .filter_map(JobCodes::get)
        .filter_map(|t| t.find(code).map(|d| (t.job, d)))
        .collect()
}

/// Jobs Outpost answers itself, whose meaning of a code comes first.
fn served(job: &str) -> bool {
    job == "SYS" || job == "TCC" || Spec::for_job(job).is_some()
}

fn primary<'a>(
    found: &'a [(&'static str, &'static CodeDef)],
) -> Option<&'a (&'static str, &'static CodeDef)> {
    found
        .iter()
        .find(|(j, _)| served(j))
        .or_else(|| found.first())
}

/// The text of a code Outpost has no words of its own for: what its kind
/// means, in which jobs, on which fields. Groups of one kind each, the kind
/// of the jobs Outpost serves first.
fn generic(found: &[(&'static str, &'static CodeDef)]) -> (String, String) {
    let mut kinds: Vec<Kind> = Vec::new();
    if let Some((_, d)) = primary(found) {
        kinds.push(d.kind);
    }
    for (_, d) in found {
        if !kinds.contains(&d.kind) {
            kinds.push(d.kind);
        }
    }
    let mut vi = Vec::new();
    let mut en = Vec::new();
    for kind in kinds {
        let group: Vec<_> = found.iter().filter(|(_, d)| d.kind == kind).collect();
        let jobs = group.iter().map(|(j, _)| *j).collect::<Vec<_>>().join(", ");
        let mut named: Vec<String> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for (j, d) in &group {
            for f in d.fields {
                if !seen.contains(f) {
                    seen.push(f);
                    named.push(field_label(j, f));
                }
            }
        }
        let more = named.len().saturating_sub(MAX_FIELDS_NAMED);
        named.truncate(MAX_FIELDS_NAMED);
        let fields = named.join(", ");
        let (more_vi, more_en) = match more {
            0 => (String::new(), String::new()),
            n => (format!(" và {n} chỉ tiêu khác"), format!(" and {n} more")),
        };
        let job_word = if group.len() == 1 { "job" } else { "jobs" };
        let (kvi, ken) = kind_text(kind);
        let (v, e) = match (kind, fields.is_empty()) {
            (Kind::Other, true) => (
                format!("Không đáp ứng quy tắc nghiệp vụ của {jobs}; xem chỉ tiêu được nêu"),
                format!("A business rule of {job_word} {jobs} is not met; see the field it names"),
            ),
            (Kind::Other, false) => (
                format!(
                    "Không đáp ứng quy tắc nghiệp vụ của {jobs}; xem chỉ tiêu được nêu: \
                     {fields}{more_vi}"
                ),
                format!(
                    "A business rule of {job_word} {jobs} is not met; see the field it names: \
                     {fields}{more_en}"
                ),
            ),
            (_, true) => (format!("{kvi} ({jobs})"), format!("{ken} ({jobs})")),
            (_, false) => (
                format!("{kvi} ({jobs}): {fields}{more_vi}"),
                format!("{ken} ({jobs}): {fields}{more_en}"),
            ),
        };
        vi.push(v);
        en.push(e);
    }
    (vi.join("; ") + ".", en.join("; ") + ".")
}

fn kind_text(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Missing => ("Chưa nhập giá trị bắt buộc", "A required value is missing"),
        Kind::Format => (
            "Giá trị không đúng định dạng của chỉ tiêu (số, số thập phân)",
            "The value does not have the field's format (number, decimal)",
        ),
        Kind::NotDate => (
            "Không phải ngày hợp lệ (định dạng DDMMYYYY)",
            "Not a real calendar date (DDMMYYYY)",
        ),
        Kind::Chars => (
            "Có ký tự mà chỉ tiêu không cho phép",
            "Contains characters the field does not allow",
        ),
        Kind::TooLong => (
            "Giá trị dài hơn độ dài của chỉ tiêu",
            "The value is longer than the field",
        ),
        Kind::NotRegistered => (
            "Mã đã nhập không có trong danh mục",
            "The code entered is not in the reference tables",
        ),
        Kind::BadValue => (
            "Giá trị nằm ngoài phạm vi chỉ tiêu cho phép",
            "The value is outside what the field allows",
        ),
        Kind::Other => (
            "Không đáp ứng quy tắc nghiệp vụ",
            "A business rule is not met",
        ),
    }
}

/// `ICB (Declaration Kind Code)`: the id with its English name from the
/// job's layout, or the bare id when the layout does not have it.
fn field_label(job: &str, id: &str) -> String {
    job_layout(job)
        .and_then(|l| l.items.iter().find(|i| i.id == id))
        .map(|i| format!("{id} ({})", i.name))
        .unwrap_or_else(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code literal Outpost sends from its own code (src/rules,
    /// src/service.rs, src/smime.rs, src/wire/mod.rs, src/wire/codes.rs).
    #[rustfmt::skip]
    const EMITTED: &[&str] = &[
        // system codes
        "A0001", "A0002", "A0003", "A0004", "A0005", "A0007", "A0008", "A0009", "A0010", "A0014",
        "A0015", "A0016", "A0017", "A0018", "A0019", "A0034", "A0035", "A0036", "A0060", "A0061",
        // re-output (ROT)
        "E0002", "E0005", "E0007",
        // bonded transport
        "R0003", "R0007", "E0003", "E0009", "E0027", "E0029", "S0002",
        // transport inquiry by search (ITF)
        "R0004",
        // temporary-trade management information (TIB, TIA)
        "E0011", "E0013", "S0033",
        // transport corrections and cancellations (COT)
        "E0004", "E0008", "R0014", "R0026", "R0027", "S0007", "S0065", "S0118",
        // temporary-trade inquiry (ITI)
        "R0002", "R0005", "E0025", "S0008", "U0003", "L0001", "W1001",
        // declarations
        "E0001", "E0074", "E0103", "E0153", "E0206", "E0208", "E0213", "E0220", "E0223", "E0399",
        "E1000", "E1200", "E3000", "E9990", "R0001", "S0003", "S0005", "S0006", "S0055", "U0002",
        "U0004",
        // amendments after release or clearance
        "E0209", "E1038", "E4026",
        // divided declarations
        "R1028", "R1029", "R1030", "R1031", "S1000",
        // temporary trade and continuations
        "E1111", "E8300", "E8301", "E8303", "E8304", "E8305", "E8306", "E8307", "E8308", "E8309", "E8348",
        "R1000", "R1002", "R1003", "R1025", "S1129", "S1138",
    ];

    /// The source files whose code literals are result codes Outpost sends.
    const SOURCES: &[(&str, &str)] = &[
        ("service.rs", include_str!("service.rs")),
        ("smime.rs", include_str!("smime.rs")),
        ("rules/declaration.rs", include_str!("rules/declaration.rs")),
        ("rules/eligibility.rs", include_str!("rules/eligibility.rs")),
        ("rules/temporary.rs", include_str!("rules/temporary.rs")),
        ("rules/transport.rs", include_str!("rules/transport.rs")),
        ("wire/mod.rs", include_str!("wire/mod.rs")),
        ("wire/codes.rs", include_str!("wire/codes.rs")),
    ];

    fn has_diacritic(s: &str) -> bool {
        !s.is_ascii()
    }

    #[test]
    fn every_emitted_code_has_its_own_text() {
        for code in EMITTED {
            let d = describe(code).unwrap_or_else(|| panic!("{code} unknown"));
            assert!(is_specific(code), "{code} has only a generic text");
            assert!(!d.vi.trim().is_empty() && !d.en.trim().is_empty(), "{code}");
            assert!(has_diacritic(&d.vi), "{code}: vi text without diacritics");
            assert!(d.en.is_ascii(), "{code}: en text is not plain ASCII");
        }
    }

    #[test]
    fn the_emitted_list_matches_the_sources() {
        // Quoted `X9999` literals in the sources: a new one needs a text here.
        for (file, text) in SOURCES {
            for (i, _) in text.match_indices('"') {
                let lit = text.get(i + 1..i + 7).unwrap_or("");
                let b = lit.as_bytes();
                if b.len() == 6
                    && b[0].is_ascii_uppercase()
                    && b[1..5].iter().all(u8::is_ascii_digit)
                    && b[5] == b'"'
                {
                    let code = &lit[..5];
                    assert!(is_specific(code), "{file}: {code} has no text of its own");
                    assert!(EMITTED.contains(&code), "{file}: add {code} to EMITTED");
                }
            }
        }
    }

    #[test]
    fn every_system_code_is_covered() {
        let sys = JobCodes::get("SYS").expect("SYS table");
        assert!(sys.codes.len() >= 28);
        for def in sys.codes {
            assert!(is_specific(def.code), "{} has no text of its own", def.code);
            let d = describe(def.code).unwrap();
            assert_eq!(d.jobs, vec!["SYS"], "{}", def.code);
            assert_eq!(d.kind, Some(kind_name(def.kind)));
        }
    }

    #[test]
    fn specific_texts_are_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for (code, vi, en) in SPECIFIC {
            assert!(seen.insert(*code), "{code} twice");
            assert_eq!(code.len(), 5, "{code}");
            assert_eq!(
                *code == "00000" || OWN_CODES.contains(code),
                occurrences(code, None).is_empty(),
                "{code}: only normal completion and Outpost's own codes are in no job table"
            );
            assert!(has_diacritic(vi), "{code}: {vi}");
            assert!(!en.is_empty() && en.is_ascii(), "{code}: {en}");
            assert!(
                !vi.contains("  ") && !en.contains("  "),
                "{code}: double space"
            );
        }
    }

    #[test]
    fn a_specific_code_carries_its_table_facts() {
        let d = describe("E8306").unwrap();
        assert!(d.en.contains("quantity"), "{}", d.en);
        assert!(d.vi.contains("Số lượng"), "{}", d.vi);
        assert!(
            d.jobs.contains(&"IDA") && d.jobs.contains(&"EDA"),
            "{:?}",
            d.jobs
        );
        assert_eq!(d.kind, Some("Other"));
        let ok = describe("00000").unwrap();
        assert_eq!((ok.kind, ok.jobs.len()), (None, 0));
        assert_eq!(ok.en, "Completed normally.");
    }

    #[test]
    fn a_table_code_gets_a_generic_text_naming_its_field() {
        let d = describe("S0021").unwrap();
        assert!(!is_specific("S0021"));
        assert_eq!(
            d.kind,
            Some("Format"),
            "the kind in IDA, a job Outpost serves"
        );
        assert!(d.fields.contains(&"REG"), "{:?}", d.fields);
        assert!(d.en.contains("REG ("), "{}", d.en);
        assert!(d.vi.contains("REG ("), "{}", d.vi);
        assert!(d.en.contains("format"), "{}", d.en);
        assert!(d.vi.starts_with("Giá trị không đúng định dạng"), "{}", d.vi);
        // Narrowed to one job: that job's kind only.
        let d = describe_in("S0021", Some("TIA")).unwrap();
        assert_eq!(d.jobs, vec!["TIA"]);
        assert_eq!(d.kind, Some("NotRegistered"));
        assert!(d
            .en
            .starts_with("The code entered is not in the reference tables (TIA): CMD"));
        assert!(describe_in("S0021", Some("TCC")).is_none());
        // Kinds with their own phrase.
        let missing = JobCodes::get("IDA")
            .unwrap()
            .codes
            .iter()
            .find(|c| c.kind == Kind::Missing && !is_specific(c.code))
            .unwrap();
        let d = describe_in(missing.code, Some("IDA")).unwrap();
        assert!(d.vi.starts_with("Chưa nhập giá trị bắt buộc"), "{}", d.vi);
        assert!(d.en.starts_with("A required value is missing"), "{}", d.en);
        let other = JobCodes::get("IDA")
            .unwrap()
            .codes
            .iter()
            .find(|c| c.kind == Kind::Other && !is_specific(c.code))
            .unwrap();
        let d = describe_in(other.code, Some("IDA")).unwrap();
        assert!(d.en.starts_with("A business rule of job IDA"), "{}", d.en);
    }

    #[test]
    fn every_table_code_has_a_text() {
        for job in tables::JOBS.iter().map(|l| l.code).chain(["SYS"]) {
            let Some(t) = JobCodes::get(job) else {
                continue;
            };
            for def in t.codes {
                let d = describe(def.code).unwrap_or_else(|| panic!("{job} {}", def.code));
                assert!(d.jobs.contains(&job));
                assert!(!d.vi.is_empty() && !d.en.is_empty());
                assert!(d.en.len() < 2000, "{}: {} bytes", def.code, d.en.len());
            }
        }
    }

    #[test]
    fn unknown_and_malformed_codes_have_no_text() {
        for bad in [
            "ZZZZZ",
            "",
            "A00",
            "a0001",
            "A00011",
            "A0-01",
            "Ä0001",
            "E8306-QN1 -0002",
        ] {
            assert_eq!(describe(bad), None, "{bad:?}");
        }
    }

    /// `appliance/result-codes.md`, the officers' reference: every code
    /// Outpost sends, with its texts. Regenerate with
    /// `OUTPOST_BLESS=1 cargo test --lib the_result_code_reference_is_current`.
    #[test]
    fn the_result_code_reference_is_current() {
        let mut codes: Vec<&str> = EMITTED.to_vec();
        codes.insert(0, "00000");
        codes.sort();
        let mut want = String::from(
            "# Result codes Outpost sends\n\n\
             Generated from `src/messages.rs` by the test `the_result_code_reference_is_current`; \
             do not edit by hand. A reply carries codes as `XXXXX-IIII-NNNN`: the five-character \
             code below, the item it points at, and the goods line (0000 for the header). \
             `GET /api/codes/<code>` gives the same texts, and a text for every other code of the \
             VNACCS job tables.\n\n\
             | code | VNACCS tables | Tiếng Việt | English |\n\
             |---|---|---|---|\n",
        );
        for code in codes {
            let d = describe(code).unwrap();
            let tables = if OWN_CODES.contains(&code) {
                "Outpost's own".to_string()
            } else if d.jobs.len() > 6 {
                format!("{} and {} more", d.jobs[..5].join(", "), d.jobs.len() - 5)
            } else {
                d.jobs.join(", ")
            };
            let cell = |s: &str| s.replace('|', "\\|");
            want.push_str(&format!(
                "| {code} | {} | {} | {} |\n",
                cell(&tables),
                cell(&d.vi),
                cell(&d.en)
            ));
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/appliance/result-codes.md");
        if std::env::var_os("OUTPOST_BLESS").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "appliance/result-codes.md is out of date; regenerate it with \
             OUTPOST_BLESS=1 cargo test --lib the_result_code_reference_is_current"
        );
    }
}
