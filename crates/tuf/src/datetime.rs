//! Metadata times: `expires` is written exactly as `YYYY-MM-DDTHH:MM:SSZ`.
//!
//! Old metadata in the wild carries other RFC 3339 forms (fractions of a second, `+00:00`
//! offsets). Those are read, flagged as legacy so the caller can warn, and never written.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// A point in time read from metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetaTime {
    /// The instant, in UTC.
    pub at: OffsetDateTime,
    /// True when the text was not in the strict `YYYY-MM-DDTHH:MM:SSZ` form.
    pub legacy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the time {text:?} is not of the form YYYY-MM-DDTHH:MM:SSZ")]
pub struct TimeError {
    pub text: String,
}

const STRICT: &[time::format_description::FormatItem<'static>] = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

impl MetaTime {
    /// Reads a metadata time: the strict form, or (flagged legacy) any RFC 3339 time.
    pub fn parse(text: &str) -> Result<MetaTime, TimeError> {
        if text.len() == 20 {
            if let Ok(t) = PrimitiveDateTime::parse(text, STRICT) {
                return Ok(MetaTime { at: t.assume_utc(), legacy: false });
            }
        }
        // RFC 3339 also allows a space or a lower-case `t`; no TUF implementation writes those.
        if text.as_bytes().get(10) != Some(&b'T') {
            return Err(TimeError { text: text.to_string() });
        }
        match OffsetDateTime::parse(text, &Rfc3339) {
            Ok(t) => Ok(MetaTime { at: t.to_offset(UtcOffset::UTC), legacy: true }),
            Err(_) => Err(TimeError { text: text.to_string() }),
        }
    }

    /// True when this time is at or before `now`: the TUF rule is that metadata whose
    /// expiry is not in the future is expired.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.at <= now
    }
}

/// Formats an instant in the one form Ceremony writes, dropping fractions of a second.
pub fn format_expires(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let whole = at.replace_nanosecond(0).unwrap_or(at);
    // Formatting a valid date with a fixed numeric description cannot fail for years 0..=9999.
    whole.format(STRICT).unwrap_or_else(|_| "9999-12-31T23:59:59Z".to_string())
}

/// Parses a duration as the CLI takes it: `90d`, `12h`, `30m`, `45s`, `2w`.
pub fn parse_duration(text: &str) -> Result<time::Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: i64 = digits.parse().map_err(|_| format!("{text:?} is not a duration; write it like 365d, 12h or 30m"))?;
    let d = match unit {
        "w" => time::Duration::weeks(n),
        "d" => time::Duration::days(n),
        "h" => time::Duration::hours(n),
        "m" => time::Duration::minutes(n),
        "s" => time::Duration::seconds(n),
        _ => return Err(format!("{text:?} has an unknown unit; use w, d, h, m or s, e.g. 365d")),
    };
    if n <= 0 {
        return Err(format!("the duration {text:?} must be positive"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn strict_form_is_not_legacy() {
        let t = MetaTime::parse("2030-01-02T03:04:05Z").unwrap();
        assert!(!t.legacy, "expected the strict form not flagged legacy, got {t:?}");
        assert_eq!(t.at, datetime!(2030-01-02 03:04:05 UTC));
        assert_eq!(format_expires(t.at), "2030-01-02T03:04:05Z");
    }

    #[test]
    fn other_rfc3339_forms_are_legacy() {
        for text in ["2030-01-02T03:04:05.123Z", "2030-01-02T04:04:05+01:00", "2030-01-02T03:04:05+00:00"] {
            let t = MetaTime::parse(text).unwrap();
            assert!(t.legacy, "expected {text} flagged legacy, got {t:?}");
            assert_eq!(t.at.replace_nanosecond(0).unwrap(), datetime!(2030-01-02 03:04:05 UTC));
        }
    }

    #[test]
    fn garbage_is_refused() {
        for text in ["", "2030-01-02", "2030-13-02T03:04:05Z", "2030-01-02 03:04:05Z", "tomorrow"] {
            assert!(MetaTime::parse(text).is_err(), "expected {text:?} refused, got {:?}", MetaTime::parse(text));
        }
    }

    #[test]
    fn writing_drops_fractions_and_offsets() {
        assert_eq!(format_expires(datetime!(2030-01-02 04:04:05.9 +01:00)), "2030-01-02T03:04:05Z");
    }

    #[test]
    fn expiry_is_inclusive() {
        let t = MetaTime::parse("2030-01-02T03:04:05Z").unwrap();
        assert!(t.is_expired(datetime!(2030-01-02 03:04:05 UTC)), "expected {t:?} expired at its own instant");
        assert!(!t.is_expired(datetime!(2030-01-02 03:04:04 UTC)), "expected {t:?} not expired a second before");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("365d").unwrap(), time::Duration::days(365));
        assert_eq!(parse_duration("12h").unwrap(), time::Duration::hours(12));
        assert_eq!(parse_duration("2w").unwrap(), time::Duration::weeks(2));
        assert_eq!(parse_duration("30m").unwrap(), time::Duration::minutes(30));
        assert_eq!(parse_duration(" 45s ").unwrap(), time::Duration::seconds(45));
        let unit = parse_duration("5y").unwrap_err();
        assert!(unit.contains("unknown unit"), "expected the unit named as unknown, got {unit}");
        let zero = parse_duration("0h").unwrap_err();
        assert!(zero.contains("must be positive"), "expected zero refused as not positive, got {zero}");
        let bare = parse_duration("h").unwrap_err();
        assert!(bare.contains("is not a duration"), "expected a unit without a number refused, got {bare}");
        assert!(parse_duration("0d").is_err(), "expected 0d refused, got {:?}", parse_duration("0d"));
        assert!(parse_duration("d").is_err(), "expected d refused, got {:?}", parse_duration("d"));
        assert!(parse_duration("5y").is_err(), "expected 5y refused, got {:?}", parse_duration("5y"));
    }
}
