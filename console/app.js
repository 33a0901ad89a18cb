// Outpost officers' console. Plain JavaScript, no libraries, no build step:
// the appliance embeds this file and serves it from /console/.
'use strict';

// ---- words ------------------------------------------------------------------

const WORDS = {
  vi: {
    'title': 'Bảng điều khiển cán bộ',
    'nav.declarations': 'Tờ khai', 'nav.directions': 'Chỉ đạo', 'nav.mode': 'Chế độ',
    'nav.accounts': 'Tài khoản', 'nav.sync': 'Đồng bộ', 'nav.statistics': 'Thống kê',
    'logout': 'Đăng xuất', 'lang': 'English',
    'login.title': 'Đăng nhập cán bộ', 'login.login': 'Tên đăng nhập', 'login.password': 'Mật khẩu',
    'login.submit': 'Đăng nhập',
    'mode.active': 'DỰ PHÒNG ĐANG HOẠT ĐỘNG', 'mode.standby': 'DỰ PHÒNG CHỜ',
    'list.title': 'Danh sách tờ khai', 'list.number': 'Số tờ khai', 'list.state': 'Trạng thái',
    'list.channel': 'Luồng', 'list.kind': 'Mã loại hình', 'list.declarant': 'Người khai / MST',
    'list.from': 'Từ ngày', 'list.until': 'Đến ngày', 'list.search': 'Tìm', 'list.clear': 'Xóa lọc',
    'list.family': 'Nhập/Xuất', 'list.trader': 'Doanh nghiệp', 'list.created': 'Ngày khai',
    'list.empty': 'Không có tờ khai nào.', 'list.prev': '‹ Trước', 'list.next': 'Sau ›',
    'list.live': 'Tự động cập nhật mỗi 5 giây',
    'any': '(tất cả)', 'import': 'Nhập khẩu', 'export': 'Xuất khẩu',
    'state.pre_registered': 'Khai trước', 'state.registered': 'Đã đăng ký',
    'state.approved': 'Đã phê duyệt', 'state.departed': 'Đã khởi hành', 'state.arrived': 'Đã đến',
    'state.cancelled': 'Đã hủy',
    'nav.transports': 'Vận chuyển', 'tr.list': 'Tờ khai vận chuyển bảo thuế', 'tr.title': 'Tờ khai vận chuyển',
    'tr.number': 'Số tờ khai vận chuyển', 'tr.direction': 'Nhập/Xuất', 'tr.transporter': 'Người vận chuyển',
    'tr.departure': 'Nơi đi', 'tr.arrival': 'Nơi đến', 'tr.cargo': 'Danh sách hàng (vận đơn)',
    'tr.containers': 'Số container', 'tr.approve': 'Phê duyệt vận chuyển', 'tr.approved': 'Đã phê duyệt',
    'tr.empty': 'Không có tờ khai vận chuyển nào.', 'tr.departed': 'Khởi hành', 'tr.arrived': 'Đến nơi',
    'tr.corrections': 'Số lần sửa',
    'state.released': 'Giải phóng hàng', 'state.cleared': 'Thông quan',
    'ch.1': 'Xanh', 'ch.2': 'Vàng', 'ch.3': 'Đỏ',
    'd.title': 'Tờ khai', 'd.basis': 'Cơ sở tiếp nhận', 'd.terminal': 'Máy trạm',
    'd.signed': 'Chữ ký số', 'd.unsigned': 'không ký', 'd.rule': 'Quy tắc phân luồng',
    'd.registered': 'Ngày đăng ký', 'd.items': 'Thông tin chung', 'd.lines': 'Danh sách hàng',
    'd.line': 'Dòng', 'd.links': 'Tờ khai liên quan', 'd.continues': 'Tờ khai tạm gốc',
    'd.continuations': 'Tờ khai tái xuất / tái nhập', 'd.balances': 'Lượng còn lại theo dòng hàng',
    'd.original': 'Ban đầu', 'd.drawn': 'Đã tái xuất/nhập', 'd.remaining': 'Còn lại', 'd.unit': 'ĐVT',
    'd.divided': 'Tờ khai chia nhánh', 'd.amendments': 'Các lần sửa đổi', 'd.none': 'Không có.',
    'd.outputs': 'Thông điệp trả về máy trạm', 'd.output': 'Mã', 'd.pending': 'Đang chờ lấy',
    'd.delivered': 'Đã nhận', 'd.history': 'Nhật ký (audit)', 'd.who': 'Người thực hiện',
    'd.what': 'Nội dung', 'd.when': 'Thời gian', 'd.decisions': 'Quyết định của cán bộ',
    'd.pending_amendment': 'Đang có bản sửa đổi chờ đăng ký.',
    'dec.channel': 'Đổi luồng (quản lý rủi ro)', 'dec.reason': 'Lý do', 'dec.apply': 'Ghi nhận',
    'dec.document_check': 'Kết quả kiểm tra hồ sơ', 'dec.inspection': 'Kết quả kiểm tra thực tế',
    'dec.passed': 'Đạt', 'dec.failed': 'Không đạt', 'dec.note': 'Ghi chú',
    'dec.release': 'Giải phóng hàng', 'dec.clearance': 'Thông quan', 'dec.tax_note': 'Ghi chú thuế',
    'dec.cleared': 'Đã thông quan', 'dec.released': 'Đã giải phóng hàng', 'dec.by': 'bởi',
    'dec.changes': 'Lịch sử đổi luồng', 'dec.tax_notes': 'Ghi chú thuế', 'dec.done': 'Đã ghi nhận.',
    'dir.title': 'Chỉ đạo các trường hợp đặc biệt (Công văn 6324)', 'dir.tax_code': 'Mã số thuế',
    'dir.category': 'Loại', 'dir.from': 'Từ ngày', 'dir.until': 'Đến ngày', 'dir.max': 'Số tờ khai tối đa',
    'dir.used': 'Đã dùng', 'dir.reason': 'Lý do / văn bản', 'dir.add': 'Cấp chỉ đạo', 'dir.revoke': 'Thu hồi',
    'dir.revoked': 'Đã thu hồi',
    'cat.relief': 'Cứu trợ, nhân đạo', 'cat.defence': 'Quốc phòng, an ninh', 'cat.gifts': 'Quà biếu, tặng',
    'cat.traveller-work-items': 'Hàng tạm nhập/xuất của người xuất nhập cảnh',
    'mode.title': 'Chế độ hoạt động', 'mode.now': 'Chế độ hiện tại', 'mode.since': 'Từ',
    'mode.by': 'Người chuyển', 'mode.reason': 'Lý do', 'mode.switch': 'Chuyển chế độ',
    'mode.to_active': 'Chuyển sang HOẠT ĐỘNG (VNACCS gián đoạn)', 'mode.to_standby': 'Chuyển về CHỜ (VNACCS đã hoạt động lại)',
    'acc.officers': 'Tài khoản cán bộ', 'acc.declarants': 'Người khai hải quan (VNACCS)',
    'acc.login': 'Tên đăng nhập', 'acc.name': 'Họ tên', 'acc.roles': 'Vai trò', 'acc.password': 'Mật khẩu (≥ 10 ký tự)',
    'acc.disabled': 'Khóa', 'acc.save': 'Lưu', 'acc.code': 'Mã người sử dụng', 'acc.terminal': 'Mã máy trạm',
    'acc.access_key': 'Khóa truy cập máy trạm', 'acc.tax_codes': 'Mã số thuế (phân cách bằng dấu phẩy)',
    'acc.user_password': 'Mật khẩu (≤ 8 ký tự)', 'acc.locked': 'Tạm khóa đến',
    'acc.disable': 'Khóa', 'acc.enable': 'Mở khóa', 'acc.remove_terminal': 'Gỡ máy trạm',
    'role.supervision': 'Giám sát', 'role.tax': 'Thuế', 'role.risk': 'Quản lý rủi ro',
    'role.it': 'CNTT', 'role.statistics': 'Thống kê',
    'sync.title': 'Trạng thái đồng bộ', 'sync.entries': 'Số bản ghi nhật ký', 'sync.head': 'Mã băm bản ghi cuối',
    'sync.none': 'Chưa đồng bộ lần nào với hệ thống trung tâm.',
    'sync.pending': 'Bản ghi chờ gửi', 'sync.acknowledged': 'Trung tâm đã xác nhận đến',
    'sync.last_success': 'Lần gửi thành công gần nhất', 'sync.last_error': 'Lỗi gần nhất',
    'sync.registry': 'Phiên bản danh mục từ trung tâm',
    'stat.title': 'Thống kê', 'stat.total': 'Tổng số', 'stat.by_day': 'Theo ngày', 'stat.by_kind': 'Theo mã loại hình',
    'stat.by_channel': 'Theo luồng', 'stat.by_state': 'Theo trạng thái', 'stat.by_trader': 'Theo doanh nghiệp',
    'stat.csv': 'Tải CSV', 'stat.apply': 'Áp dụng', 'stat.count': 'Số lượng',
    'err.credentials': 'Sai tên đăng nhập hoặc mật khẩu.', 'err.locked': 'Tài khoản tạm khóa do đăng nhập sai nhiều lần.',
    'err.disabled': 'Tài khoản đã bị khóa.', 'err.login': 'Vui lòng đăng nhập.',
    'err.role': 'Vai trò của bạn không được phép thực hiện thao tác này.',
    'err.csrf': 'Phiên làm việc không hợp lệ, vui lòng tải lại trang.',
    'err.not_registered': 'Tờ khai chưa đăng ký.', 'err.cleared': 'Tờ khai đã thông quan.',
    'err.transport_not_registered': 'Tờ khai vận chuyển chưa đăng ký (OLC).',
    'err.transport_approved': 'Tờ khai vận chuyển đã được phê duyệt.',
    'err.transport_departed': 'Hàng đã khởi hành (BOA).', 'err.transport_cancelled': 'Tờ khai vận chuyển đã bị hủy.',
    'err.released': 'Hàng đã được giải phóng.', 'err.pending_amendment': 'Có bản sửa đổi đang chờ đăng ký.',
    'err.no_such_channel': 'Luồng không hợp lệ.', 'err.same_channel': 'Tờ khai đã ở luồng này.',
    'err.not_in_channel': 'Luồng hiện tại không yêu cầu kiểm tra này.',
    'err.outstanding': 'Chưa có kết quả kiểm tra đạt theo yêu cầu của luồng.',
    'err.text': 'Vui lòng nhập lý do/ghi chú.', 'err.export_release': 'Giải phóng hàng chỉ áp dụng cho hàng nhập khẩu.',
    'err.not_found': 'Không tìm thấy.', 'err.refused': 'Không thực hiện được', 'err.self': 'Không thể tự khóa hoặc bỏ vai trò CNTT của chính mình.',
    'err.network': 'Không kết nối được tới thiết bị.',
    'err.bad_request': 'Yêu cầu không hợp lệ.', 'err.json': 'Yêu cầu phải gửi dạng JSON.',
    'err.store': 'Thiết bị không đọc/ghi được dữ liệu.',
    'd.job': 'Nghiệp vụ',
    'basis.outage': 'VNACCS gián đoạn', 'basis.direction': 'Theo chỉ đạo số {id}',
    'basis.continuation': 'Tiếp nối tờ khai tạm nhập/tạm xuất',
    'act.job': 'Nghiệp vụ {job}', 'act.channel': 'Quyết định: chuyển luồng {channel}',
    'act.document_check.passed': 'Quyết định: kiểm tra hồ sơ đạt',
    'act.document_check.failed': 'Quyết định: kiểm tra hồ sơ không đạt',
    'act.inspection.passed': 'Quyết định: kiểm tra thực tế đạt',
    'act.inspection.failed': 'Quyết định: kiểm tra thực tế không đạt',
    'act.release': 'Quyết định: giải phóng hàng', 'act.clearance': 'Quyết định: thông quan',
    'act.tax_note': 'Quyết định: ghi chú thuế', 'act.transport_approval': 'Quyết định: phê duyệt vận chuyển',
  },
  en: {
    'title': 'Officers\' console',
    'nav.declarations': 'Declarations', 'nav.directions': 'Directions', 'nav.mode': 'Mode',
    'nav.accounts': 'Accounts', 'nav.sync': 'Sync', 'nav.statistics': 'Statistics',
    'logout': 'Log out', 'lang': 'Tiếng Việt',
    'login.title': 'Officer login', 'login.login': 'Login', 'login.password': 'Password',
    'login.submit': 'Log in',
    'mode.active': 'BACKUP ACTIVE', 'mode.standby': 'BACKUP STANDBY',
    'list.title': 'Declarations', 'list.number': 'Number', 'list.state': 'State',
    'list.channel': 'Channel', 'list.kind': 'Kind code', 'list.declarant': 'Declarant / tax code',
    'list.from': 'From', 'list.until': 'Until', 'list.search': 'Search', 'list.clear': 'Clear',
    'list.family': 'Import/Export', 'list.trader': 'Trader', 'list.created': 'Lodged',
    'list.empty': 'No declarations.', 'list.prev': '‹ Newer', 'list.next': 'Older ›',
    'list.live': 'Refreshes every 5 seconds',
    'any': '(any)', 'import': 'Import', 'export': 'Export',
    'state.pre_registered': 'Pre-registered', 'state.registered': 'Registered',
    'state.approved': 'Approved', 'state.departed': 'Departed', 'state.arrived': 'Arrived',
    'state.cancelled': 'Cancelled',
    'nav.transports': 'Transports', 'tr.list': 'Bonded transport declarations', 'tr.title': 'Transport declaration',
    'tr.number': 'Transport number', 'tr.direction': 'Import/export', 'tr.transporter': 'Transporter',
    'tr.departure': 'From', 'tr.arrival': 'To', 'tr.cargo': 'Cargo (B/L)',
    'tr.containers': 'Containers', 'tr.approve': 'Approve the transport', 'tr.approved': 'Approved',
    'tr.empty': 'No transport declarations.', 'tr.departed': 'Departed', 'tr.arrived': 'Arrived',
    'tr.corrections': 'Corrections',
    'state.released': 'Released', 'state.cleared': 'Cleared',
    'ch.1': 'Green', 'ch.2': 'Yellow', 'ch.3': 'Red',
    'd.title': 'Declaration', 'd.basis': 'Accepted under', 'd.terminal': 'Terminal',
    'd.signed': 'Signature', 'd.unsigned': 'unsigned', 'd.rule': 'Channel rule',
    'd.registered': 'Registered', 'd.items': 'General information', 'd.lines': 'Goods lines',
    'd.line': 'Line', 'd.links': 'Linked declarations', 'd.continues': 'Temporary declaration',
    'd.continuations': 'Re-exports / re-imports', 'd.balances': 'Remaining balance per line',
    'd.original': 'Original', 'd.drawn': 'Drawn', 'd.remaining': 'Remaining', 'd.unit': 'Unit',
    'd.divided': 'Divided declarations', 'd.amendments': 'Amendments', 'd.none': 'None.',
    'd.outputs': 'Outputs for the terminal', 'd.output': 'Code', 'd.pending': 'Waiting',
    'd.delivered': 'Retrieved', 'd.history': 'Audit trail', 'd.who': 'Who',
    'd.what': 'What', 'd.when': 'When', 'd.decisions': 'Officers\' decisions',
    'd.pending_amendment': 'An amendment is waiting to be registered.',
    'dec.channel': 'Change channel (risk)', 'dec.reason': 'Reason', 'dec.apply': 'Record',
    'dec.document_check': 'Document check result', 'dec.inspection': 'Physical inspection result',
    'dec.passed': 'Passed', 'dec.failed': 'Failed', 'dec.note': 'Note',
    'dec.release': 'Release goods', 'dec.clearance': 'Grant clearance', 'dec.tax_note': 'Tax note',
    'dec.cleared': 'Cleared', 'dec.released': 'Released', 'dec.by': 'by',
    'dec.changes': 'Channel changes', 'dec.tax_notes': 'Tax notes', 'dec.done': 'Recorded.',
    'dir.title': 'Directions for special cases (Letter 6324)', 'dir.tax_code': 'Tax code',
    'dir.category': 'Category', 'dir.from': 'From', 'dir.until': 'Until', 'dir.max': 'At most',
    'dir.used': 'Used', 'dir.reason': 'Reason / letter', 'dir.add': 'Issue direction', 'dir.revoke': 'Revoke',
    'dir.revoked': 'Revoked',
    'cat.relief': 'Relief, humanitarian', 'cat.defence': 'Defence, security', 'cat.gifts': 'Gifts',
    'cat.traveller-work-items': 'Travellers\' work items',
    'mode.title': 'Operating mode', 'mode.now': 'Current mode', 'mode.since': 'Since',
    'mode.by': 'By', 'mode.reason': 'Reason', 'mode.switch': 'Switch mode',
    'mode.to_active': 'Switch to ACTIVE (VNACCS down)', 'mode.to_standby': 'Switch to STANDBY (VNACCS back)',
    'acc.officers': 'Officer accounts', 'acc.declarants': 'Declarants (VNACCS users)',
    'acc.login': 'Login', 'acc.name': 'Name', 'acc.roles': 'Roles', 'acc.password': 'Password (10+ characters)',
    'acc.disabled': 'Disabled', 'acc.save': 'Save', 'acc.code': 'User code', 'acc.terminal': 'Terminal ID',
    'acc.access_key': 'Terminal access key', 'acc.tax_codes': 'Tax codes (comma-separated)',
    'acc.user_password': 'Password (up to 8)', 'acc.locked': 'Locked until',
    'acc.disable': 'Disable', 'acc.enable': 'Enable', 'acc.remove_terminal': 'Remove terminal',
    'role.supervision': 'Supervision', 'role.tax': 'Tax', 'role.risk': 'Risk',
    'role.it': 'IT', 'role.statistics': 'Statistics',
    'sync.title': 'Sync state', 'sync.entries': 'Journal entries', 'sync.head': 'Hash of the last entry',
    'sync.none': 'This site has never synced with the centre.',
    'sync.pending': 'Entries waiting to be sent', 'sync.acknowledged': 'Acknowledged by the centre up to',
    'sync.last_success': 'Last successful upload', 'sync.last_error': 'Last error',
    'sync.registry': 'Registry version from the centre',
    'stat.title': 'Statistics', 'stat.total': 'Total', 'stat.by_day': 'Per day', 'stat.by_kind': 'Per kind code',
    'stat.by_channel': 'Per channel', 'stat.by_state': 'Per state', 'stat.by_trader': 'Per trader',
    'stat.csv': 'Download CSV', 'stat.apply': 'Apply', 'stat.count': 'Count',
    'err.credentials': 'Wrong login or password.', 'err.locked': 'Account locked after too many failed logins.',
    'err.disabled': 'This account is disabled.', 'err.login': 'Please log in.',
    'err.role': 'Your roles do not allow this.', 'err.csrf': 'Session check failed; reload the page.',
    'err.not_registered': 'The declaration is not registered.', 'err.cleared': 'The declaration is already cleared.',
    'err.transport_not_registered': 'The transport is not registered yet (OLC).',
    'err.transport_approved': 'The transport is already approved.',
    'err.transport_departed': 'The goods have already left (BOA).', 'err.transport_cancelled': 'The transport was cancelled.',
    'err.released': 'The goods are already released.', 'err.pending_amendment': 'An amendment is waiting to be registered.',
    'err.no_such_channel': 'No such channel.', 'err.same_channel': 'Already in that channel.',
    'err.not_in_channel': 'The current channel does not call for this check.',
    'err.outstanding': 'The checks the channel requires have not passed yet.',
    'err.text': 'Give a reason or note.', 'err.export_release': 'Release applies to imports only.',
    'err.not_found': 'Not found.', 'err.refused': 'Refused', 'err.self': 'You cannot disable yourself or drop your own IT role.',
    'err.network': 'The appliance cannot be reached.',
    'err.bad_request': 'The request is not valid.', 'err.json': 'The request must be sent as JSON.',
    'err.store': 'The appliance could not read or write its data.',
    'd.job': 'Job',
    'basis.outage': 'VNACCS outage', 'basis.direction': 'direction {id}',
    'basis.continuation': 'continues a temporary declaration',
    'act.job': 'job {job}', 'act.channel': 'decision: channel {channel}',
    'act.document_check.passed': 'decision: document check passed',
    'act.document_check.failed': 'decision: document check failed',
    'act.inspection.passed': 'decision: physical inspection passed',
    'act.inspection.failed': 'decision: physical inspection failed',
    'act.release': 'decision: release', 'act.clearance': 'decision: clearance',
    'act.tax_note': 'decision: tax note', 'act.transport_approval': 'decision: transport approval',
  },
};

let lang = localStorage.getItem('outpost.lang') || 'vi';
const t = (k) => (WORDS[lang] && WORDS[lang][k]) || WORDS.en[k] || k;
/** A phrase with its {parameters} filled in from `p`. */
const tf = (k, p) => t(k).replace(/\{(\w+)\}/g, (m, x) => (p[x] === undefined ? m : p[x]));

// ---- small helpers ------------------------------------------------------------

/** Builds an element; text goes in as text, never as HTML. */
function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return e;
}

const $ = (sel) => document.querySelector(sel);

/** Replaces an element's children, skipping the parts left out (null). */
function fill(root, ...kids) {
  root.replaceChildren(...kids.flat().filter((k) => k !== null && k !== undefined && k !== false));
}

function when(unix) {
  if (!unix) return '';
  return new Date(unix * 1000).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB');
}

function channel(n) {
  return n ? h('span', { class: `channel c${n}`, title: t(`ch.${n}`) }, n) : '';
}

function state(s) {
  return h('span', { class: `state ${s}`, 'data-state': s }, t(`state.${s}`));
}

function flash(text, error) {
  const f = $('#flash');
  f.textContent = text;
  f.className = error ? 'error' : '';
  f.hidden = !text;
}

// ---- the API ------------------------------------------------------------------

let me = null; // { login, name, roles, csrf }

async function api(method, path, body) {
  const headers = {};
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    if (me) headers['X-Outpost-CSRF'] = me.csrf;
  }
  let r;
  try {
    r = await fetch(path, {
      method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new Error(t('err.network'));
  }
  const data = (r.headers.get('Content-Type') || '').startsWith('application/json') ? await r.json() : await r.text();
  if (r.status === 401 && path !== '/api/login') {
    me = null;
    location.hash = '#/login';
  }
  if (!r.ok) {
    const key = data && data.error ? `err.${data.error}` : '';
    const known = key && (WORDS[lang][key] || WORDS.en[key]);
    const err = new Error(known ? `${t(key)} ${lang === 'en' ? '' : `(${data.message})`}`.trim() : (data.message || r.status));
    err.status = r.status;
    throw err;
  }
  return data;
}

const can = (role) => me && me.roles.includes(role);

// ---- pages --------------------------------------------------------------------

const pages = {};

pages.login = () => {
  const form = h('form', { id: 'login-form', onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      me = await api('POST', '/api/login', { login: $('#login').value, password: $('#password').value });
      flash('');
      location.hash = '#/declarations';
      render();
    } catch (e) { flash(e.message, true); }
  } },
  h('label', {}, t('login.login'), h('input', { id: 'login', autocomplete: 'username', required: true })),
  h('label', {}, t('login.password'), h('input', { id: 'password', type: 'password', autocomplete: 'current-password', required: true })),
  h('button', { id: 'login-button', type: 'submit' }, t('login.submit')));
  return h('section', { class: 'card login' }, h('h1', {}, t('login.title')), form);
};

let listTimer = null;
let listQuery = { offset: 0 };

pages.declarations = () => {
  const field = (name, label, input) => h('label', {}, label, input);
  const select = (name, options) => h('select', { name, id: `f-${name}` },
    h('option', { value: '' }, t('any')),
    options.map(([v, label]) => h('option', { value: v, selected: listQuery[name] === v }, label)));
  const input = (name, type) => h('input', { name, id: `f-${name}`, type: type || 'text', value: listQuery[name] || '' });
  const form = h('form', { class: 'filters', id: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    const data = new FormData(ev.target);
    listQuery = { offset: 0 };
    for (const [k, v] of data.entries()) if (v) listQuery[k] = v;
    load();
  } },
  field('number', t('list.number'), input('number')),
  field('state', t('list.state'), select('state', ['pre_registered', 'registered', 'released', 'cleared'].map((s) => [s, t(`state.${s}`)]))),
  field('channel', t('list.channel'), select('channel', [1, 2, 3].map((c) => [String(c), t(`ch.${c}`)]))),
  field('kind', t('list.kind'), input('kind')),
  field('declarant', t('list.declarant'), input('declarant')),
  field('from', t('list.from'), input('from', 'date')),
  field('until', t('list.until'), input('until', 'date')),
  h('button', { type: 'submit', id: 'search' }, t('list.search')),
  h('button', { type: 'button', class: 'secondary', onclick: () => { listQuery = { offset: 0 }; render(); } }, t('list.clear')));
  const body = h('tbody');
  const table = h('table', { id: 'declarations' },
    h('thead', {}, h('tr', {}, ['list.number', 'list.family', 'list.kind', 'list.state', 'list.channel',
      'list.declarant', 'list.trader', 'list.created'].map((k) => h('th', {}, t(k))))), body);
  const pager = h('div', { class: 'pager' });

  async function load() {
    const q = new URLSearchParams(listQuery);
    let data;
    try { data = await api('GET', `/api/declarations?${q}`); } catch (e) { flash(e.message, true); return; }
    body.replaceChildren(...(data.rows.length ? data.rows.map((r) => h('tr', {
      class: 'clickable', 'data-number': r.number, onclick: () => { location.hash = `#/declarations/${r.number}`; },
    },
    h('td', {}, h('a', { href: `#/declarations/${r.number}` }, r.number)),
    h('td', {}, t(r.family)), h('td', {}, r.kind), h('td', {}, state(r.state)), h('td', {}, channel(r.channel)),
    h('td', {}, r.declarant), h('td', {}, r.trader_name || r.trader), h('td', {}, when(r.created_at))))
      : [h('tr', {}, h('td', { colspan: 8, class: 'muted' }, t('list.empty')))]));
    pager.replaceChildren(
      h('button', { class: 'secondary', disabled: listQuery.offset === 0, onclick: () => { listQuery.offset = Math.max(0, listQuery.offset - 50); load(); } }, t('list.prev')),
      h('button', { class: 'secondary', disabled: !data.more, onclick: () => { listQuery.offset += 50; load(); } }, t('list.next')),
      h('span', { class: 'muted' }, t('list.live')));
  }
  load();
  listTimer = setInterval(load, 5000);
  return h('div', {}, h('h1', {}, t('list.title')), form, table, pager);
};

function signed(s) {
  return s ? `${when(s.at)} ${t('dec.by')} ${s.by}` : '';
}

function decisionForms(d, reload) {
  const n = d.summary.number;
  const send = async (decision) => {
    try {
      const fresh = await api('POST', `/api/declarations/${n}/decisions`, decision);
      flash(t('dec.done'));
      reload(fresh);
    } catch (e) { flash(e.message, true); }
  };
  const forms = [];
  const s = d.summary;
  if (s.state === 'pre_registered') return forms;
  const open = s.state !== 'cleared';
  if (can('risk') && open && s.state !== 'released') {
    forms.push(h('form', { class: 'inline', id: 'decide-channel', onsubmit: (ev) => {
      ev.preventDefault();
      send({ kind: 'channel', channel: Number(ev.target.channel.value), reason: ev.target.reason.value });
    } }, h('strong', {}, t('dec.channel')),
    h('select', { name: 'channel' }, [1, 2, 3].map((c) => h('option', { value: c, selected: d.summary.channel === c }, `${c} — ${t(`ch.${c}`)}`))),
    h('label', {}, t('dec.reason'), h('input', { name: 'reason', required: true })),
    h('button', { type: 'submit' }, t('dec.apply'))));
  }
  if (can('supervision') && open) {
    const checks = s.channel === 3 ? ['document_check', 'inspection'] : (s.channel === 2 ? ['document_check'] : []);
    for (const kind of checks) {
      forms.push(h('form', { class: 'inline', id: `decide-${kind}`, onsubmit: (ev) => {
        ev.preventDefault();
        send({ kind, passed: ev.target.passed.value === 'true', note: ev.target.note.value });
      } }, h('strong', {}, t(`dec.${kind}`)),
      h('select', { name: 'passed' }, h('option', { value: 'true' }, t('dec.passed')), h('option', { value: 'false' }, t('dec.failed'))),
      h('label', {}, t('dec.note'), h('input', { name: 'note' })),
      h('button', { type: 'submit' }, t('dec.apply'))));
    }
    forms.push(h('div', { class: 'inline' },
      s.family === 'import' && s.state !== 'released' ? h('button', { id: 'decide-release', type: 'button', class: 'secondary', onclick: () => send({ kind: 'release' }) }, t('dec.release')) : null,
      ' ',
      h('button', { id: 'decide-clearance', type: 'button', onclick: () => send({ kind: 'clearance' }) }, t('dec.clearance'))));
  }
  if (can('tax')) {
    forms.push(h('form', { class: 'inline', id: 'decide-tax', onsubmit: (ev) => {
      ev.preventDefault();
      send({ kind: 'tax_note', text: ev.target.text.value });
    } }, h('strong', {}, t('dec.tax_note')),
    h('label', {}, t('dec.note'), h('input', { name: 'text', required: true, size: 50 })),
    h('button', { type: 'submit' }, t('dec.apply'))));
  }
  return forms;
}

function table(id, heads, rows) {
  if (!rows.length) return h('p', { class: 'muted', id }, t('d.none'));
  return h('table', { id }, h('thead', {}, h('tr', {}, heads.map((x) => h('th', {}, x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));
}

const label = (it) => it[lang] || it.name;
const basis = (b) => tf(`basis.${b.key}`, b);

// The parts the declaration and transport pages share.
const itemsCard = (header) => h('section', { class: 'card' }, h('h2', {}, t('d.items')), h('div', { class: 'items', id: 'items' },
  header.map((it) => h('div', {}, h('span', { class: 'label' }, label(it), ' ', h('span', { class: 'id' }, it.id)), h('span', {}, it.value)))));
const outputsCard = (outputs) => h('section', { class: 'card' }, h('h2', {}, t('d.outputs')),
  table('outputs', [t('d.output'), t('d.job'), t('d.when'), ''], outputs.map((o) => [h('code', {}, o.code), o.job, when(o.at), t(o.pending ? 'd.pending' : 'd.delivered')])));
const historyCard = (history) => h('section', { class: 'card' }, h('h2', {}, t('d.history')),
  table('history', ['#', t('d.when'), t('d.who'), t('d.what')], history.map((e) => [e.seq, when(e.at), e.actor, e.act ? tf(`act.${e.act.key}`, e.act) : e.action])));
const linkTo = (x) => h('a', { href: `#/declarations/${x.number}` }, x.number);

pages.declaration = (number) => {
  const root = h('div', {}, h('h1', {}, `${t('d.title')} ${number}`));
  const show = (d) => {
    const s = d.summary;
    const c = d.decisions;
    const dec = [];
    if (c.cleared) dec.push(h('p', { id: 'cleared' }, h('strong', {}, t('dec.cleared')), ' ', signed(c.cleared)));
    if (c.released) dec.push(h('p', {}, h('strong', {}, t('dec.released')), ' ', signed(c.released)));
    for (const kind of ['document_check', 'inspection']) {
      const r = c[kind];
      if (r) dec.push(h('p', {}, h('strong', {}, t(`dec.${kind}`)), ': ', t(r.passed ? 'dec.passed' : 'dec.failed'), r.note ? ` — ${r.note}` : '', ` (${signed(r.signed)})`));
    }
    if (c.channel_changes.length) {
      dec.push(h('h3', {}, t('dec.changes')), table('channel-changes', [t('d.when'), t('list.channel'), t('dec.reason'), t('d.who')],
        c.channel_changes.map((x) => [when(x.signed.at), `${x.from} → ${x.to}`, x.reason, x.signed.by])));
    }
    if (c.tax_notes.length) {
      dec.push(h('h3', {}, t('dec.tax_notes')), table('tax-notes', [t('d.when'), t('dec.note'), t('d.who')],
        c.tax_notes.map((x) => [when(x.signed.at), x.text, x.signed.by])));
    }
    const l = d.links;
    fill(root, 
      h('h1', {}, `${t('d.title')} ${s.number} `, state(s.state), ' ', channel(s.channel)),
      d.pending_amendment ? h('p', { class: 'muted' }, t('d.pending_amendment')) : null,
      h('section', { class: 'card' }, h('div', { class: 'items' },
        [[t('list.family'), t(s.family)], [t('list.kind'), s.kind], [t('list.declarant'), s.declarant],
          [t('d.terminal'), d.terminal], [t('d.basis'), basis(d.basis)], [t('list.created'), when(s.created_at)],
          [t('d.registered'), when(s.registered_at)], [t('d.rule'), d.channel_rule || ''],
          [t('d.signed'), d.signed_by || t('d.unsigned')]].map(([k, v]) => h('div', {}, h('span', { class: 'label' }, k), h('span', {}, v))))),
      h('section', { class: 'card decisions' }, h('h2', {}, t('d.decisions')), dec, decisionForms(d, show)),
      itemsCard(d.header),
      h('section', { class: 'card' }, h('h2', {}, t('d.lines')),
        table('lines', [t('d.line'), ...d.lines.columns.map(label)], d.lines.rows.map((r) => [r.line, ...r.cells]))),
      h('section', { class: 'card', id: 'links' }, h('h2', {}, t('d.links')),
        l.continues ? h('p', {}, `${t('d.continues')}: `, linkTo(l.continues), ` (${l.continues.kind})`) : null,
        l.continuations.length ? h('div', {}, h('h3', {}, t('d.continuations')),
          table('continuations', [t('list.number'), t('list.kind'), t('list.state')], l.continuations.map((x) => [linkTo(x), x.kind, state(x.state)]))) : null,
        l.balances.length ? h('div', {}, h('h3', {}, t('d.balances')),
          table('balances', [t('d.line'), 'HS', t('d.original'), t('d.drawn'), t('d.remaining'), t('d.unit')],
            l.balances.map((b) => [b.line, b.hs, b.original, b.drawn, b.remaining, b.unit]))) : null,
        l.divided.length ? h('div', {}, h('h3', {}, t('d.divided')),
          table('divided', [t('list.number'), t('list.kind'), t('list.state')], l.divided.map((x) => [linkTo(x), x.kind, state(x.state)]))) : null,
        l.amendments.length ? h('p', {}, `${t('d.amendments')}: ${l.amendments.join(', ')}`) : null,
        !(l.continues || l.continuations.length || l.divided.length || l.amendments.length) ? h('p', { class: 'muted' }, t('d.none')) : null),
      outputsCard(d.outputs),
      historyCard(d.history));
  };
  api('GET', `/api/declarations/${number}`).then(show, (e) => flash(e.message, true));
  return root;
};

pages.transports = () => {
  const root = h('div', {}, h('h1', {}, t('tr.list')));
  const load = async () => {
    const data = await api('GET', '/api/transports');
    if (!data.rows.length) { fill(root, h('h1', {}, t('tr.list')), h('p', { class: 'muted' }, t('tr.empty'))); return; }
    const link = (n) => h('a', { href: `#/transports/${n}` }, n);
    fill(root, h('h1', {}, t('tr.list')), table('transports',
      [t('tr.number'), t('list.state'), t('tr.direction'), t('list.declarant'), t('tr.transporter'), t('tr.departure'), t('tr.arrival'), t('list.created')],
      data.rows.map((r) => [link(r.number), state(r.state), r.direction, r.declarant, r.transporter, r.departure, r.arrival, when(r.created_at)])));
  };
  load().catch((e) => flash(e.message, true));
  listTimer = setInterval(() => load().catch((e) => flash(e.message, true)), 5000);
  return root;
};

pages.transport = (number) => {
  const root = h('div', {}, h('h1', {}, `${t('tr.title')} ${number}`));
  const approve = async () => {
    try {
      const fresh = await api('POST', `/api/transports/${number}/approval`, {});
      flash(t('dec.done'));
      show(fresh);
    } catch (e) { flash(e.message, true); }
  };
  const show = (d) => {
    const s = d.summary;
    fill(root,
      h('h1', {}, `${t('tr.title')} ${s.number} `, state(s.state)),
      h('section', { class: 'card' }, h('div', { class: 'items' },
        [[t('list.declarant'), s.declarant], [t('d.terminal'), d.terminal], [t('d.basis'), basis(d.basis)],
          [t('list.created'), when(s.created_at)], [t('d.registered'), when(s.registered_at)],
          [t('tr.departed'), when(d.departed_at)], [t('tr.arrived'), when(d.arrived_at)],
          [t('tr.corrections'), d.corrections]].map(([k, v]) => h('div', {}, h('span', { class: 'label' }, k), h('span', {}, v))))),
      h('section', { class: 'card decisions' }, h('h2', {}, t('d.decisions')),
        d.approved ? h('p', { id: 'approved' }, h('strong', {}, t('tr.approved')), ' ', signed(d.approved)) : null,
        can('supervision') && s.state === 'registered'
          ? h('button', { id: 'approve-transport', type: 'button', onclick: approve }, t('tr.approve')) : null),
      itemsCard(d.header),
      h('section', { class: 'card' }, h('h2', {}, t('tr.cargo')),
        table('cargo', [t('d.line'), ...d.cargo.columns.map(label)], d.cargo.rows.map((r) => [r.line, ...r.cells])),
        d.containers.length ? h('p', {}, `${t('tr.containers')}: ${d.containers.join(', ')}`) : null),
      outputsCard(d.outputs),
      historyCard(d.history));
  };
  api('GET', `/api/transports/${number}`).then(show, (e) => flash(e.message, true));
  return root;
};

pages.directions = () => {
  const root = h('div', {}, h('h1', {}, t('dir.title')));
  const load = async () => {
    const list = await api('GET', '/api/directions');
    const day = (d) => `${String(d[2]).padStart(2, '0')}/${String(d[1]).padStart(2, '0')}/${d[0]}`;
    const manage = can('supervision') || can('risk');
    const rows = list.map((d) => [d.id, d.tax_code, t(`cat.${d.category}`),
      `${day(d.valid_from)} – ${day(d.valid_until)}`, `${d.used}${d.max_declarations ? ` / ${d.max_declarations}` : ''}`, d.reason,
      d.revoked ? t('dir.revoked') : (manage ? h('button', { class: 'secondary', onclick: async () => {
        const reason = prompt(t('dec.reason'));
        if (!reason) return;
        try { await api('POST', `/api/directions/${d.id}/revoke`, { reason }); load(); } catch (e) { flash(e.message, true); }
      } }, t('dir.revoke')) : '')]);
    const form = manage ? h('form', { class: 'inline', id: 'direction-form', onsubmit: async (ev) => {
      ev.preventDefault();
      const f = ev.target;
      try {
        const r = await api('POST', '/api/directions', { tax_code: f.tax_code.value, category: f.category.value, from: f.from.value,
          until: f.until.value, max: f.max.value ? Number(f.max.value) : null, reason: f.reason.value });
        flash(r.message); load();
      } catch (e) { flash(e.message, true); }
    } },
    h('label', {}, t('dir.tax_code'), h('input', { name: 'tax_code', required: true })),
    h('label', {}, t('dir.category'), h('select', { name: 'category' }, ['relief', 'defence', 'gifts', 'traveller-work-items'].map((c) => h('option', { value: c }, t(`cat.${c}`))))),
    h('label', {}, t('dir.from'), h('input', { name: 'from', type: 'date', required: true })),
    h('label', {}, t('dir.until'), h('input', { name: 'until', type: 'date', required: true })),
    h('label', {}, t('dir.max'), h('input', { name: 'max', type: 'number', min: 1 })),
    h('label', {}, t('dir.reason'), h('input', { name: 'reason', required: true })),
    h('button', { type: 'submit' }, t('dir.add'))) : null;
    fill(root, h('h1', {}, t('dir.title')), h('section', { class: 'card' },
      table('directions', ['#', t('dir.tax_code'), t('dir.category'), `${t('dir.from')} – ${t('dir.until')}`, t('dir.used'), t('dir.reason'), ''], rows), form));
  };
  load().catch((e) => flash(e.message, true));
  return root;
};

pages.mode = () => {
  const root = h('div', {}, h('h1', {}, t('mode.title')));
  const load = async () => {
    const { mode } = await api('GET', '/api/mode');
    const other = mode.mode === 'active' ? 'standby' : 'active';
    fill(root, h('h1', {}, t('mode.title')), h('section', { class: 'card' },
      h('div', { class: 'items' },
        [[t('mode.now'), t(`mode.${mode.mode}`)], [t('mode.since'), when(mode.since)], [t('mode.by'), mode.by], [t('mode.reason'), mode.reason]]
          .map(([k, v]) => h('div', {}, h('span', { class: 'label' }, k), h('span', { id: k === t('mode.now') ? 'mode-now' : null }, v)))),
      can('it') ? h('form', { class: 'inline', id: 'mode-form', onsubmit: async (ev) => {
        ev.preventDefault();
        try { const r = await api('POST', '/api/mode', { mode: other, reason: ev.target.reason.value }); flash(r.message); load(); header(); } catch (e) { flash(e.message, true); }
      } }, h('label', {}, t('mode.reason'), h('input', { name: 'reason', required: true, size: 50 })),
      h('button', { type: 'submit' }, t(`mode.to_${other}`))) : null));
  };
  load().catch((e) => flash(e.message, true));
  return root;
};

pages.accounts = () => {
  const root = h('div', {});
  const load = async () => {
    const [officers, users] = await Promise.all([api('GET', '/api/officers'), api('GET', '/api/declarants')]);
    const roles = ['supervision', 'tax', 'risk', 'it', 'statistics'];
    const officerForm = h('form', { class: 'inline', id: 'officer-form', onsubmit: async (ev) => {
      ev.preventDefault();
      const f = ev.target;
      const body = { login: f.login.value, name: f.name.value || null, password: f.password.value || null,
        roles: roles.filter((r) => f[`role-${r}`].checked), disabled: f.disabled.checked };
      if (!body.roles.length) delete body.roles;
      try { const r = await api('POST', '/api/officers', body); flash(r.message); load(); } catch (e) { flash(e.message, true); }
    } },
    h('label', {}, t('acc.login'), h('input', { name: 'login', required: true })),
    h('label', {}, t('acc.name'), h('input', { name: 'name' })),
    h('label', {}, t('acc.password'), h('input', { name: 'password', type: 'password', autocomplete: 'new-password' })),
    roles.map((r) => h('label', {}, t(`role.${r}`), h('input', { type: 'checkbox', name: `role-${r}` }))),
    h('label', {}, t('acc.disabled'), h('input', { type: 'checkbox', name: 'disabled' })),
    h('button', { type: 'submit' }, t('acc.save')));
    // A button that posts to `path` after the officer confirms, then reloads.
    const act = (path, text) => h('button', { class: 'secondary', onclick: async () => {
      if (!confirm(`${text}?`)) return;
      try { const r = await api('POST', path, {}); flash(r.message); load(); } catch (e) { flash(e.message, true); }
    } }, text);
    // A declarant's terminals, each with a button to remove it while it has others.
    const terminals = (u) => u.terminals.length < 2 ? u.terminals.join('') : h('span', {}, u.terminals.map((x) =>
      h('span', { class: 'terminal' }, x, ' ', act(`/api/declarants/${u.code}/terminals/${x}/remove`, `${t('acc.remove_terminal')} ${x}`), ' ')));
    const userForm = h('form', { class: 'inline', id: 'declarant-form', onsubmit: async (ev) => {
      ev.preventDefault();
      const f = ev.target;
      try {
        const r = await api('POST', '/api/declarants', { code: f.code.value, password: f.password.value, terminal: f.terminal.value,
          access_key: f.access_key.value, tax_codes: f.tax_codes.value.split(',').map((x) => x.trim()).filter(Boolean) });
        flash(r.message); load();
      } catch (e) { flash(e.message, true); }
    } },
    h('label', {}, t('acc.code'), h('input', { name: 'code', required: true, maxlength: 8 })),
    h('label', {}, t('acc.user_password'), h('input', { name: 'password', type: 'password', required: true, maxlength: 8, autocomplete: 'new-password' })),
    h('label', {}, t('acc.terminal'), h('input', { name: 'terminal', required: true, maxlength: 6 })),
    h('label', {}, t('acc.access_key'), h('input', { name: 'access_key', required: true, maxlength: 16 })),
    h('label', {}, t('acc.tax_codes'), h('input', { name: 'tax_codes', required: true })),
    h('button', { type: 'submit' }, t('acc.save')));
    fill(root, 
      h('h1', {}, t('nav.accounts')),
      h('section', { class: 'card' }, h('h2', {}, t('acc.officers')),
        table('officers', [t('acc.login'), t('acc.name'), t('acc.roles'), t('acc.disabled'), t('acc.locked')],
          officers.map((o) => [o.login, o.name, o.roles.map((r) => t(`role.${r}`)).join(', '), o.disabled ? '✔' : '', o.locked_until ? when(o.locked_until) : ''])),
        officerForm),
      h('section', { class: 'card' }, h('h2', {}, t('acc.declarants')),
        table('declarants', [t('acc.code'), t('acc.terminal'), t('dir.tax_code'), t('acc.disabled'), ''],
          users.map((u) => [u.code, terminals(u), u.tax_codes.join(', '), u.disabled ? '✔' : '',
            act(`/api/declarants/${u.code}/${u.disabled ? 'enable' : 'disable'}`, t(u.disabled ? 'acc.enable' : 'acc.disable'))])),
        userForm));
  };
  load().catch((e) => flash(e.message, true));
  return root;
};

pages.sync = () => {
  const root = h('div', {}, h('h1', {}, t('sync.title')));
  api('GET', '/api/sync').then((s) => {
    fill(root, h('h1', {}, t('sync.title')), h('section', { class: 'card' },
      h('div', { class: 'items' },
        h('div', {}, h('span', { class: 'label' }, t('sync.entries')), h('span', { id: 'journal-entries' }, s.journal.entries)),
        h('div', {}, h('span', { class: 'label' }, t('sync.head')), h('code', { title: s.journal.head }, `${s.journal.head.slice(0, 16)}…`)),
        h('div', {}, h('span', { class: 'label' }, t('sync.pending')), h('span', { id: 'sync-pending' }, s.sync.pending)),
        h('div', {}, h('span', { class: 'label' }, t('sync.acknowledged')), h('span', {}, s.sync.acknowledged)),
        h('div', {}, h('span', { class: 'label' }, t('sync.last_success')), h('span', {}, s.sync.last_success === 'never' ? '—' : s.sync.last_success)),
        h('div', {}, h('span', { class: 'label' }, t('sync.last_error')), h('span', {}, s.sync.last_error || '—')),
        h('div', {}, h('span', { class: 'label' }, t('sync.registry')), h('span', {}, s.sync.registry_version))),
      s.sync.last_attempt === 'never' ? h('p', { class: 'muted', id: 'sync-state' }, t('sync.none')) : null));
  }, (e) => flash(e.message, true));
  return root;
};

/** A bar chart of counts per key, as inline SVG. */
function chart(counts) {
  const entries = Object.entries(counts);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const barW = 42; const gap = 10; const top = 20; const height = 180; const bottom = 40;
  const width = Math.max(300, entries.length * (barW + gap) + gap);
  svg.setAttribute('viewBox', `0 0 ${width} ${top + height + bottom}`);
  const max = Math.max(1, ...entries.map(([, v]) => v));
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
  };
  svg.setAttribute('width', width);
  svg.setAttribute('height', top + height + bottom);
  entries.forEach(([k, v], i) => {
    const x = gap + i * (barW + gap);
    const bh = Math.round((v / max) * height);
    el('rect', { class: 'bar', x, y: top + height - bh, width: barW, height: bh });
    el('text', { x: x + barW / 2, y: top + height - bh - 4, 'text-anchor': 'middle' }, String(v));
    el('text', { x: x + barW / 2, y: top + height + 14, 'text-anchor': 'middle' }, k.length > 10 ? k.slice(5) : k);
  });
  el('line', { x1: 0, y1: top + height, x2: width, y2: top + height, stroke: '#888' });
  return h('div', { class: 'chart', id: 'chart' }, svg);
}

pages.statistics = () => {
  const root = h('div', {}, h('h1', {}, t('stat.title')));
  let q = {};
  const load = async () => {
    const qs = new URLSearchParams(q);
    const s = await api('GET', `/api/statistics?${qs}`);
    const rows = (map, name) => Object.entries(map).map(([k, v]) => [name ? name(k) : k, h('span', { class: 'num' }, v)]);
    const form = h('form', { class: 'filters', onsubmit: (ev) => {
      ev.preventDefault();
      q = {};
      for (const [k, v] of new FormData(ev.target).entries()) if (v) q[k] = v;
      load();
    } },
    h('label', {}, t('list.from'), h('input', { name: 'from', type: 'date', value: q.from || '' })),
    h('label', {}, t('list.until'), h('input', { name: 'until', type: 'date', value: q.until || '' })),
    h('button', { type: 'submit' }, t('stat.apply')),
    h('a', { href: `/api/statistics.csv?${qs}`, id: 'csv', download: 'outpost-statistics.csv' }, t('stat.csv')));
    fill(root, h('h1', {}, t('stat.title')), form,
      h('section', { class: 'card' }, h('h2', {}, `${t('stat.by_day')} — ${t('stat.total')}: `, h('span', { id: 'stat-total' }, s.total)), chart(s.by_day)),
      h('div', { class: 'cols' },
        h('section', { class: 'card' }, h('h2', {}, t('stat.by_kind')), table('by-kind', [t('list.kind'), t('stat.count')], rows(s.by_kind))),
        h('section', { class: 'card' }, h('h2', {}, t('stat.by_channel')), table('by-channel', [t('list.channel'), t('stat.count')], rows(s.by_channel, (k) => (k === 'none' ? '—' : `${k} — ${t(`ch.${k}`)}`)))),
        h('section', { class: 'card' }, h('h2', {}, t('stat.by_state')), table('by-state', [t('list.state'), t('stat.count')], rows(s.by_state, (k) => t(`state.${k}`)))),
        h('section', { class: 'card' }, h('h2', {}, t('stat.by_trader')), table('by-trader', [t('list.trader'), t('stat.count')], rows(s.by_trader)))));
  };
  load().catch((e) => flash(e.message, true));
  return root;
};

// ---- frame --------------------------------------------------------------------

async function header() {
  document.title = `Outpost — ${t('title')}`;
  document.documentElement.lang = lang;
  for (const e of document.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
  $('#lang').textContent = t('lang');
  $('#nav').hidden = !me;
  $('#logout').hidden = !me;
  $('#who').textContent = me ? `${me.name} (${me.roles.map((r) => t(`role.${r}`)).join(', ')})` : '';
  for (const a of document.querySelectorAll('#nav a[data-role]')) a.hidden = !can(a.dataset.role);
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', location.hash.startsWith(a.getAttribute('href')));
  try {
    const s = await (await fetch('/api/status')).json();
    $('#site').textContent = s.site || '';
    const badge = $('#mode-badge');
    badge.textContent = s.mode ? t(`mode.${s.mode}`) : '';
    badge.className = `badge ${s.mode || ''}`;
  } catch (e) { /* the page still works without the badge */ }
}

function render() {
  clearInterval(listTimer);
  const [, page, arg] = (location.hash || '#/declarations').split('/');
  header();
  let view;
  if (!me) view = pages.login();
  else if (page === 'declarations' && arg) view = pages.declaration(arg);
  else if (page === 'transports' && arg) view = pages.transport(arg);
  else if (pages[page] && !['login', 'declaration', 'transport'].includes(page)) view = pages[page]();
  else view = pages.declarations();
  $('#main').replaceChildren(view);
}

$('#lang').addEventListener('click', () => {
  lang = lang === 'vi' ? 'en' : 'vi';
  localStorage.setItem('outpost.lang', lang);
  render();
});

$('#logout').addEventListener('click', async () => {
  try { await api('POST', '/api/logout', {}); } catch (e) { /* logged out either way */ }
  me = null;
  location.hash = '#/login';
  render();
});

window.addEventListener('hashchange', () => { flash(''); render(); });

// Restore a session that survived a reload.
fetch('/api/me', { credentials: 'same-origin' })
  .then((r) => (r.ok ? r.json() : null))
  .then((m) => { me = m; render(); }, () => render());
