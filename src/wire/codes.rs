//! Which result code a job answers for which kind of field problem.
//!
//! The per-job tables (`codes_table.rs`) are generated from the terminal's
//! error help files: each code with the fields it can point at and the kind of
//! problem it reports. The message texts are Outpost's own (`messages`).

use super::codes_table;
use super::result::ResultCode;

/// What a code reports, as read from its description in the error tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A required value is not entered.
    Missing,
    /// The value does not have the field's format (numbers, decimals).
    Format,
    /// Not a real calendar date.
    NotDate,
    /// Characters the field does not allow.
    Chars,
    /// Longer than the field.
    TooLong,
    /// A code value not registered in the reference tables.
    NotRegistered,
    /// A value outside what the field allows.
    BadValue,
    /// Business rule codes that the tables do not classify further.
    Other,
}

#[derive(Debug)]
pub struct CodeDef {
    pub code: &'static str,
    pub kind: Kind,
    pub fields: &'static [&'static str],
}

#[derive(Debug)]
pub struct JobCodes {
    pub job: &'static str,
    pub codes: &'static [CodeDef],
}

impl JobCodes {
    pub fn get(job: &str) -> Option<&'static JobCodes> {
        codes_table::ALL.iter().copied().find(|j| j.job == job)
    }

    pub fn find(&self, code: &str) -> Option<&'static CodeDef>
    where
        Self: 'static,
    {
        self.codes.iter().find(|c| c.code == code)
    }

    fn with(&'static self, kind: Kind, field: &str) -> Option<&'static CodeDef> {
        self.codes
            .iter()
            .find(|c| c.kind == kind && c.fields.contains(&field))
    }

    /// The code this job uses for `kind` on `field`. When the table has no
    /// code of that kind for the field, the job's "characters not allowed"
    /// code for the field stands in (it covers nearly every field), then its
    /// format code, then a code of that kind that names no field, and last
    /// the system format code; the field id and line in the result still
    /// point the declarant at the exact place.
    pub fn for_field(&'static self, kind: Kind, field: &str) -> &'static str {
        self.with(kind, field)
            .or_else(|| self.with(Kind::Chars, field))
            .or_else(|| self.with(Kind::Format, field))
            // A code of the kind that points at no particular field; one
            // that names other fields would describe the wrong problem.
            .or_else(|| {
                self.codes
                    .iter()
                    .find(|c| c.kind == kind && c.fields.is_empty())
            })
            .map(|c| c.code)
            .unwrap_or(SYS_FORMAT)
    }

    /// Every field the job's table treats as a calendar date.
    pub fn date_fields(&'static self) -> Vec<&'static str> {
        self.codes
            .iter()
            .filter(|c| c.kind == Kind::NotDate)
            .flat_map(|c| c.fields.iter().copied())
            .collect()
    }
}

/// Message format invalid (header or protocol) — the last-resort code.
pub const SYS_FORMAT: &str = "A0017";

/// A field problem found by the codec, before it is turned into a job code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub kind: Kind,
    pub field: &'static str,
    /// Repetition (goods line) number, 1-based; 0 outside repeated groups.
    pub rep: u16,
}

impl FieldError {
    pub fn to_result(&self, job: &'static JobCodes) -> ResultCode {
        ResultCode::new(job.for_field(self.kind, self.field), self.field, self.rep)
    }
}
