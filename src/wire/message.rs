//! A whole message: header + CR LF + body, as it travels in an HTTP body.

use super::header::{HField, Header, HEADER_LEN};
use super::WireError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub header: Header,
    pub body: String,
}

impl Message {
    /// Parses one message. The 6-digit length is authoritative (0 = rest of
    /// the buffer); the body must be UTF-8.
    pub fn parse(bytes: &[u8]) -> Result<Message, WireError> {
        let header = Header::parse(bytes)?;
        let declared = header.length().ok_or(WireError::LengthField)?;
        let total = if declared == 0 { bytes.len() } else { declared };
        if total < HEADER_LEN || total > bytes.len() {
            return Err(WireError::Length {
                declared,
                actual: bytes.len(),
            });
        }
        // The official client appends a CR LF to a body that lacks one; only
        // such line ends may follow the declared length.
        if bytes[total..].iter().any(|b| !matches!(b, b'\r' | b'\n')) {
            return Err(WireError::Length {
                declared,
                actual: bytes.len(),
            });
        }
        let body = std::str::from_utf8(&bytes[HEADER_LEN..total])
            .map_err(|e| WireError::BodyEncoding {
                offset: HEADER_LEN + e.valid_up_to(),
            })?
            .to_string();
        Ok(Message { header, body })
    }

    pub fn new(header: Header, body: String) -> Message {
        Message { header, body }
    }

    /// The bytes on the wire, with the length field set from the body.
    pub fn render(&self) -> Vec<u8> {
        let mut header = self.header.clone();
        header.set_length(HEADER_LEN + self.body.len());
        let mut out = Vec::with_capacity(HEADER_LEN + self.body.len());
        out.extend_from_slice(header.bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.body.as_bytes());
        out
    }

    /// Splits back-to-back messages (a reply may carry a result followed by
    /// an output), as the official client reads them.
    pub fn parse_many(mut bytes: &[u8]) -> Result<Vec<Message>, WireError> {
        let mut out = Vec::new();
        while bytes.len() >= HEADER_LEN {
            let header = Header::parse(bytes)?;
            let len = header.length().ok_or(WireError::LengthField)?;
            let len = if len == 0 { bytes.len() } else { len };
            if len < HEADER_LEN || len > bytes.len() {
                return Err(WireError::Length {
                    declared: len,
                    actual: bytes.len(),
                });
            }
            out.push(Message::parse(&bytes[..len])?);
            bytes = &bytes[len..];
        }
        if bytes.iter().any(|b| !matches!(b, b'\r' | b'\n')) {
            return Err(WireError::Truncated {
                have: bytes.len(),
                need: HEADER_LEN,
            });
        }
        Ok(out)
    }

    pub fn job_code(&self) -> &str {
        self.header.get(HField::JobCode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(job: &str, body: &str) -> Vec<u8> {
        let mut h = Header::default();
        h.set(HField::Control, "SS");
        h.set(HField::JobCode, job);
        Message::new(h, body.to_string()).render()
    }

    #[test]
    fn round_trips() {
        let bytes = msg("IDB", "101234567890\r\n");
        let m = Message::parse(&bytes).unwrap();
        assert_eq!(m.job_code(), "IDB");
        assert_eq!(m.body, "101234567890\r\n");
        assert_eq!(m.render(), bytes);
        assert_eq!(m.header.length(), Some(414));
    }

    #[test]
    fn refuses_bad_framing() {
        let good = msg("IDB", "101234567890\r\n");
        let mut wrong_len = good.clone();
        wrong_len[392..398].copy_from_slice(b"000999");
        let mut not_digits = good.clone();
        not_digits[392..398].copy_from_slice(b"00x414");
        let mut no_crlf = good.clone();
        no_crlf[398] = b' ';
        let mut ctl = good.clone();
        ctl[30] = 0x07;
        let mut latin1 = good.clone();
        latin1[401] = 0xE9;
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"junk");
        let cases: Vec<(&str, Vec<u8>, fn(&WireError) -> bool)> = vec![
            ("empty", vec![], |e| {
                matches!(e, WireError::Truncated { .. })
            }),
            ("short", good[..399].to_vec(), |e| {
                matches!(e, WireError::Truncated { .. })
            }),
            ("length beyond data", wrong_len, |e| {
                matches!(e, WireError::Length { .. })
            }),
            ("length not digits", not_digits, |e| {
                matches!(e, WireError::LengthField)
            }),
            ("no CR LF after header", no_crlf, |e| {
                matches!(e, WireError::HeaderTerminator)
            }),
            ("control byte in header", ctl, |e| {
                matches!(e, WireError::HeaderByte { offset: 30, .. })
            }),
            ("body not UTF-8", latin1, |e| {
                matches!(e, WireError::BodyEncoding { offset: 401 })
            }),
            ("bytes after the message", trailing, |e| {
                matches!(e, WireError::Length { .. })
            }),
        ];
        for (name, bytes, want) in cases {
            let err = Message::parse(&bytes).expect_err(name);
            assert!(want(&err), "{name}: {err:?}");
        }
    }

    #[test]
    fn tolerates_an_appended_line_end_and_zero_length() {
        let mut bytes = msg("IDB", "101234567890\r\n");
        bytes.extend_from_slice(b"\r\n");
        assert!(Message::parse(&bytes).is_ok());
        bytes[392..398].copy_from_slice(b"000000");
        assert_eq!(Message::parse(&bytes).unwrap().body, "101234567890\r\n\r\n");
    }

    #[test]
    fn splits_back_to_back_messages() {
        let mut two = msg("IDC", "00000-0000-0000\r\n");
        two.extend(msg("IDC", "101234567890\r\n"));
        let ms = Message::parse_many(&two).unwrap();
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[1].body, "101234567890\r\n");
    }
}
