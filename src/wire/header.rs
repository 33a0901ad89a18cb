//! The 398-byte common header that starts every VNACCS message.

use super::WireError;

/// Total header size including the trailing CR LF; the body starts here.
pub const HEADER_LEN: usize = 400;
const FIELDS_LEN: usize = 398;

/// Byte offsets and widths of the header fields, in order (PROTOCOL.md 2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HField {
    Control,
    JobCode,
    OutCode,
    ServerRecvTime,
    UserId,
    Password,
    Path,
    MailAddress,
    Subject,
    RtpInfo,
    ServerInfo,
    DataInfo,
    Div,
    EndFlag,
    DataType,
    Reserve1,
    SendGuard,
    Reserve2,
    InputInfo,
    IndexInfo,
    Pattern,
    System,
    DispCode,
    Reserve3,
    Length,
}

impl HField {
    pub const ALL: [HField; 25] = [
        HField::Control,
        HField::JobCode,
        HField::OutCode,
        HField::ServerRecvTime,
        HField::UserId,
        HField::Password,
        HField::Path,
        HField::MailAddress,
        HField::Subject,
        HField::RtpInfo,
        HField::ServerInfo,
        HField::DataInfo,
        HField::Div,
        HField::EndFlag,
        HField::DataType,
        HField::Reserve1,
        HField::SendGuard,
        HField::Reserve2,
        HField::InputInfo,
        HField::IndexInfo,
        HField::Pattern,
        HField::System,
        HField::DispCode,
        HField::Reserve3,
        HField::Length,
    ];

    /// (offset, width) in bytes.
    pub const fn span(self) -> (usize, usize) {
        match self {
            HField::Control => (0, 3),
            HField::JobCode => (3, 5),
            HField::OutCode => (8, 7),
            HField::ServerRecvTime => (15, 14),
            HField::UserId => (29, 8),
            HField::Password => (37, 8),
            HField::Path => (45, 6),
            HField::MailAddress => (51, 64),
            HField::Subject => (115, 64),
            HField::RtpInfo => (179, 30),
            HField::ServerInfo => (209, 10),
            HField::DataInfo => (219, 26),
            HField::Div => (245, 3),
            HField::EndFlag => (248, 1),
            HField::DataType => (249, 1),
            HField::Reserve1 => (250, 1),
            HField::SendGuard => (251, 1),
            HField::Reserve2 => (252, 1),
            HField::InputInfo => (253, 10),
            HField::IndexInfo => (263, 100),
            HField::Pattern => (363, 1),
            HField::System => (364, 1),
            HField::DispCode => (365, 3),
            HField::Reserve3 => (368, 24),
            HField::Length => (392, 6),
        }
    }
}

/// The common header. Every field is kept as its raw padded bytes so that a
/// parse followed by a render gives back the same 400 bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    raw: [u8; FIELDS_LEN],
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Header");
        for h in HField::ALL {
            if h == HField::Password {
                d.field("Password", &"********");
            } else {
                d.field(&format!("{h:?}"), &self.get(h));
            }
        }
        d.finish()
    }
}

impl Default for Header {
    fn default() -> Self {
        let mut h = Header {
            raw: [b' '; FIELDS_LEN],
        };
        h.set(HField::Div, "001");
        h.set(HField::EndFlag, "E");
        h.set(HField::System, "1");
        h.set(HField::Length, "000400");
        h
    }
}

impl Header {
    /// Parses the first 400 bytes of a message. The header is printable
    /// ASCII only: any other byte is refused (A0009), and so is a header
    /// not followed by CR LF (A0016).
    pub fn parse(bytes: &[u8]) -> Result<Header, WireError> {
        if bytes.len() < HEADER_LEN {
            return Err(WireError::Truncated {
                have: bytes.len(),
                need: HEADER_LEN,
            });
        }
        if &bytes[FIELDS_LEN..HEADER_LEN] != b"\r\n" {
            return Err(WireError::HeaderTerminator);
        }
        if let Some(pos) = bytes[..FIELDS_LEN]
            .iter()
            .position(|b| !(0x20..=0x7E).contains(b))
        {
            return Err(WireError::HeaderByte {
                offset: pos,
                byte: bytes[pos],
            });
        }
        let mut raw = [0u8; FIELDS_LEN];
        raw.copy_from_slice(&bytes[..FIELDS_LEN]);
        Ok(Header { raw })
    }

    /// Field value with trailing spaces removed.
    pub fn get(&self, f: HField) -> &str {
        self.raw_field(f).trim_end_matches(' ')
    }

    /// Field value exactly as padded on the wire.
    pub fn raw_field(&self, f: HField) -> &str {
        let (o, w) = f.span();
        // Constructed only from checked ASCII, so this cannot fail.
        std::str::from_utf8(&self.raw[o..o + w]).unwrap_or("")
    }

    /// Sets a field, left-aligned and space-padded; longer values are cut
    /// at the field width and non-ASCII bytes become `?` so the header stays
    /// exactly 398 single-byte characters.
    pub fn set(&mut self, f: HField, value: &str) {
        let (o, w) = f.span();
        let dst = &mut self.raw[o..o + w];
        dst.fill(b' ');
        for (d, s) in dst.iter_mut().zip(value.bytes()) {
            *d = if (0x20..=0x7E).contains(&s) { s } else { b'?' };
        }
    }

    /// Declared total length (header + body), `None` when the field is not a
    /// number. `Some(0)` means "rest of the buffer".
    pub fn length(&self) -> Option<usize> {
        let s = self.raw_field(HField::Length).trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    }

    pub fn set_length(&mut self, total: usize) {
        self.set(HField::Length, &format!("{:06}", total.min(999_999)));
    }

    pub fn job_code(&self) -> &str {
        self.get(HField::JobCode)
    }

    pub fn bytes(&self) -> &[u8; FIELDS_LEN] {
        &self.raw
    }
}
