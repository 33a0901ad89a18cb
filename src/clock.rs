//! Wall-clock helpers for the imperative shell; the pure modules take times
//! as arguments.

use time::{OffsetDateTime, UtcOffset};

use crate::rules::eligibility::Day;

/// Unix seconds now.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// RFC 3339 in UTC, for operators and logs; "never" for 0.
pub fn iso(ts: i64) -> String {
    if ts == 0 {
        return "never".into();
    }
    OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ts.to_string())
}

/// The calendar day at the branch for a moment.
pub fn day(ts: i64, offset: UtcOffset) -> Day {
    let t = OffsetDateTime::from_unix_timestamp(ts)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(offset);
    (t.year(), t.month() as u8, t.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(iso(0), "never");
        assert_eq!(iso(1_763_891_533), "2025-11-23T09:52:13Z");
        let vn = UtcOffset::from_hms(7, 0, 0).unwrap();
        // 20:00 UTC is already the next day in Vietnam.
        assert_eq!(day(1_763_928_000, vn), (2025, 11, 24));
        assert_eq!(day(1_763_928_000, UtcOffset::UTC), (2025, 11, 23));
    }
}
