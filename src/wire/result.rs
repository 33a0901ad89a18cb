//! VNACCS result codes: `XXXXX-IIII-NNNN` (PROTOCOL.md 4.2).

use std::fmt;

/// One 15-byte result code: message code, field id in error, repetition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResultCode {
    code: [u8; 5],
    field: [u8; 4],
    rep: u16,
}

impl ResultCode {
    /// Normal completion, `00000-0000-0000`.
    pub const OK: ResultCode = ResultCode {
        code: *b"00000",
        field: *b"0000",
        rep: 0,
    };

    /// `code` must be five ASCII characters (`A0003`, `S0900`); `field` an item
    /// id of up to four characters (empty for none); `rep` the goods line or
    /// other repetition number, 0 for none.
    pub fn new(code: &str, field: &str, rep: u16) -> ResultCode {
        let mut c = [b'0'; 5];
        for (d, s) in c.iter_mut().zip(code.bytes().filter(u8::is_ascii)) {
            *d = s;
        }
        let mut f = *b"0000";
        if !field.is_empty() {
            f = *b"    ";
            for (d, s) in f.iter_mut().zip(field.bytes().filter(u8::is_ascii)) {
                *d = s;
            }
        }
        ResultCode {
            code: c,
            field: f,
            rep: rep.min(9999),
        }
    }

    /// A system (header-level) code with no field.
    pub fn sys(code: &str) -> ResultCode {
        ResultCode::new(code, "", 0)
    }

    pub fn is_ok(&self) -> bool {
        self.code == *b"00000"
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("?????")
    }

    pub fn field(&self) -> Option<&str> {
        if self.field == *b"0000" {
            None
        } else {
            std::str::from_utf8(&self.field).ok().map(str::trim_end)
        }
    }

    pub fn rep(&self) -> u16 {
        self.rep
    }

    /// Parses one 15-byte code as a client would read it.
    pub fn parse(s: &str) -> Option<ResultCode> {
        let b = s.as_bytes();
        if b.len() != 15 || b[5] != b'-' || b[10] != b'-' || !s.is_ascii() {
            return None;
        }
        let rep: u16 = s[11..15].parse().ok()?;
        let field = &s[6..10];
        let field = if field == "0000" {
            ""
        } else {
            field.trim_end()
        };
        Some(ResultCode::new(&s[0..5], field, rep))
    }

    /// Splits a body line 1 into codes, 15 bytes at a time, skipping blank slots.
    pub fn parse_line(line: &str) -> Vec<ResultCode> {
        line.as_bytes()
            .chunks(15)
            .filter_map(|c| std::str::from_utf8(c).ok())
            .filter(|c| !c.trim().is_empty())
            .filter_map(ResultCode::parse)
            .collect()
    }
}

impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}-{:04}",
            self.code(),
            std::str::from_utf8(&self.field).unwrap_or("0000"),
            self.rep
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_vnaccs() {
        let cases = [
            (ResultCode::OK, "00000-0000-0000"),
            (ResultCode::new("R0011", "BPR", 1), "R0011-BPR -0001"),
            (ResultCode::new("E0019", "", 0), "E0019-0000-0000"),
            (ResultCode::new("S0900", "ICN", 12), "S0900-ICN -0012"),
            (ResultCode::sys("A0004"), "A0004-0000-0000"),
            (ResultCode::new("S0150", "CMD", 50), "S0150-CMD -0050"),
        ];
        for (code, text) in cases {
            assert_eq!(code.to_string(), text);
            assert_eq!(code.to_string().len(), 15);
            assert_eq!(ResultCode::parse(text), Some(code));
        }
    }

    #[test]
    fn parses_a_line_of_several_codes() {
        let line = "R0011-BPR -0001E0019-0000-0000               ";
        let codes = ResultCode::parse_line(line);
        assert_eq!(codes.len(), 2);
        assert_eq!(codes[0].field(), Some("BPR"));
        assert_eq!(codes[0].rep(), 1);
        assert_eq!(codes[1].field(), None);
    }

    #[test]
    fn rejects_malformed_codes() {
        for bad in ["", "00000-0000-000", "00000_0000-0000", "00000-0000-00x0"] {
            assert_eq!(ResultCode::parse(bad), None, "{bad:?}");
        }
    }
}
