//! When a device last reported, as exports write it: RFC 3339 (Graph,
//! the reports), `yyyy-MM-dd HH:mm:ss[.fff]` (SQL-style exports) and the
//! US `M/d/yyyy h:mm:ss AM` of a portal CSV opened and saved by Excel.
//! A time without an offset is UTC: Intune reports in UTC.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// The time `text` names, in UTC; `None` when it is none of the shapes.
pub(crate) fn parse_last_seen(text: &str) -> Option<OffsetDateTime> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(v) = OffsetDateTime::parse(t, &Rfc3339) {
        return Some(v.to_offset(UtcOffset::UTC));
    }
    // RFC 3339 without an offset, `T` or space.
    let iso = t.trim_end_matches('Z').replacen(' ', "T", 1);
    let with_fraction =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]");
    let plain = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let minutes = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    for format in [with_fraction, plain, minutes] {
        if let Ok(v) = PrimitiveDateTime::parse(&iso, format) {
            return Some(v.assume_utc());
        }
    }
    us_time(t)
}

/// `M/d/yyyy h:mm[:ss] [AM|PM]` (or 24-hour without AM/PM).
fn us_time(t: &str) -> Option<OffsetDateTime> {
    let (date, rest) = t.split_once(' ')?;
    let mut parts = date.split('/');
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    let year: i32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let rest = rest.trim();
    let (clock, meridiem) = match rest.rsplit_once(' ') {
        Some((clock, m)) => (clock, Some(m.to_ascii_uppercase())),
        None => (rest, None),
    };
    let mut pieces = clock.split(':');
    let mut hour: u8 = pieces.next()?.parse().ok()?;
    let minute: u8 = pieces.next()?.parse().ok()?;
    let second: u8 = match pieces.next() {
        Some(s) => s.split('.').next()?.parse().ok()?,
        None => 0,
    };
    match meridiem.as_deref() {
        Some("AM") if hour == 12 => hour = 0,
        Some("AM") if hour <= 12 => {}
        Some("PM") if hour < 12 => hour += 12,
        Some("PM") if hour == 12 => {}
        None => {}
        _ => return None,
    }
    let month = time::Month::try_from(month).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn every_shape_reads_as_utc() {
        let want = datetime!(2026-05-02 07:41:08 UTC);
        for text in [
            "2026-05-02T07:41:08Z",
            "2026-05-02T09:41:08+02:00",
            "2026-05-02T07:41:08",
            "2026-05-02 07:41:08",
            " 2026-05-02T07:41:08Z ",
            "5/2/2026 7:41:08 AM",
            "05/02/2026 07:41:08",
        ] {
            assert_eq!(parse_last_seen(text), Some(want), "{text}");
        }
        assert_eq!(
            parse_last_seen("2026-05-02T07:41:08.5Z"),
            Some(datetime!(2026-05-02 07:41:08.5 UTC))
        );
        assert_eq!(
            parse_last_seen("5/2/2026 12:00:00 AM"),
            Some(datetime!(2026-05-02 00:00 UTC))
        );
        assert_eq!(
            parse_last_seen("5/2/2026 12:30 PM"),
            Some(datetime!(2026-05-02 12:30 UTC))
        );
    }

    #[test]
    fn other_text_is_none() {
        for text in [
            "",
            "yesterday",
            "13/45/2026 1:00",
            "2026-13-01",
            "5/2/2026 13:00 PM",
            "1/2/3/4 1:00",
        ] {
            assert_eq!(parse_last_seen(text), None, "{text}");
        }
    }
}
