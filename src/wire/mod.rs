//! The VNACCS EDI wire format (PROTOCOL.md section 2): header, positional
//! bodies, result codes and the layout tables. Pure: no I/O, no clock.

pub mod body;
pub mod codes;
// Generated tables keep the generator's layout, one item per line.
#[rustfmt::skip]
mod codes_table;
pub mod header;
pub mod layout;
pub mod message;
pub mod result;
#[rustfmt::skip]
pub mod tables;

pub use body::Fields;
pub use codes::{FieldError, JobCodes, Kind};
pub use header::{HField, Header, HEADER_LEN};
pub use layout::Layout;
pub use message::Message;
pub use result::ResultCode;

/// Framing problems: the message cannot be read as a VNACCS message at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("message is {have} bytes, at least {need} are needed")]
    Truncated { have: usize, need: usize },
    #[error("the header is not followed by CR LF at byte 398")]
    HeaderTerminator,
    #[error("header byte {offset} is 0x{byte:02X}, not printable ASCII")]
    HeaderByte { offset: usize, byte: u8 },
    #[error("the header length field is not a 6-digit number")]
    LengthField,
    #[error("the header declares {declared} bytes but {actual} arrived")]
    Length { declared: usize, actual: usize },
    #[error("the body is not valid UTF-8 (byte {offset})")]
    BodyEncoding { offset: usize },
}

impl WireError {
    /// The system result code a VNACCS server answers with.
    pub fn result_code(&self) -> ResultCode {
        ResultCode::sys(match self {
            WireError::Truncated { .. } | WireError::Length { .. } | WireError::LengthField => {
                "A0008"
            }
            WireError::HeaderByte { .. } => "A0009",
            WireError::HeaderTerminator => "A0016",
            WireError::BodyEncoding { .. } => "A0017",
        })
    }
}

/// Looks a job layout up by its code (`IDA`, `IDA01`).
pub fn job_layout(code: &str) -> Option<&'static Layout> {
    tables::JOBS.iter().copied().find(|l| l.code == code)
}

/// Looks an output layout up by its 6-character code (`VAD1AC`).
pub fn output_layout(code: &str) -> Option<&'static Layout> {
    tables::OUTPUTS.iter().copied().find(|l| l.code == code)
}

/// A `DDMMYYYY` date as (year, month, day), `None` if not a real date.
pub fn parse_date(s: &str) -> Option<(i32, u8, u8)> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let d: u8 = s[0..2].parse().ok()?;
    let m: u8 = s[2..4].parse().ok()?;
    let y: i32 = s[4..8].parse().ok()?;
    let month = time::Month::try_from(m).ok()?;
    time::Date::from_calendar_date(y, month, d).ok()?;
    Some((y, m, d))
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        let cases = [
            ("15012024", Some((2024, 1, 15))),
            ("29022024", Some((2024, 2, 29))),
            ("29022023", None),
            ("31042024", None),
            ("00012024", None),
            ("01132024", None),
            ("2024-01-", None),
            ("1501202", None),
        ];
        for (s, want) in cases {
            assert_eq!(super::parse_date(s), want, "{s}");
        }
    }
}

#[cfg(test)]
mod tests_codec;
