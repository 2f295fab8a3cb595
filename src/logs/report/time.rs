//! Times, offsets and the deadline as a scan uses and reports them.

use time::UtcOffset;

use crate::report::ReportBuilder;
use crate::time_fmt::UtcTime;

/// The instant after which no file is started, from `deadline_ms`
/// (clamped to the 600 s limit, with a warning above it).
pub(super) fn deadline_end(
    deadline_ms: Option<u64>,
    report: &mut ReportBuilder,
) -> Option<std::time::Instant> {
    let max = crate::probe::request::MAX_DEADLINE_MS;
    let ms = deadline_ms?;
    if ms > max {
        report.warning(format!(
            "deadline_ms {ms} is above the {max} limit; {max} is used"
        ));
    }
    Some(std::time::Instant::now() + std::time::Duration::from_millis(ms.min(max)))
}

/// The offset for local-time logs: the request's, this machine's, or UTC.
pub(super) fn local_offset(minutes: Option<i32>, at: UtcTime) -> (UtcOffset, &'static str) {
    if let Some(m) = minutes
        && let Ok(o) = UtcOffset::from_whole_seconds(m * 60)
    {
        return (o, "request");
    }
    match UtcOffset::local_offset_at(at.0) {
        Ok(o) => (o, "system"),
        Err(_) => (UtcOffset::UTC, "utc_fallback"),
    }
}

/// `+02:00`, `-03:30`.
pub(super) fn format_offset(o: UtcOffset) -> String {
    let (h, m, _) = o.as_hms();
    let sign = if o.is_negative() { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
}

/// A report time as Unix milliseconds, as the engine compares times.
pub(super) fn to_ms(t: UtcTime) -> i64 {
    i64::try_from(t.0.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub(super) fn min_time(a: Option<UtcTime>, b: Option<UtcTime>) -> Option<UtcTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

pub(super) fn max_time(a: Option<UtcTime>, b: Option<UtcTime>) -> Option<UtcTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// A time as shown in a sentence, or `none` when there is none.
pub(super) fn time_or(t: Option<UtcTime>, none: &str) -> String {
    t.map_or_else(|| none.to_owned(), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_formatted_with_sign() {
        assert_eq!(
            format_offset(UtcOffset::from_hms(2, 0, 0).unwrap()),
            "+02:00"
        );
        assert_eq!(
            format_offset(UtcOffset::from_hms(-3, -30, 0).unwrap()),
            "-03:30"
        );
        let (o, src) = local_offset(Some(-300), UtcTime::now());
        assert_eq!((format_offset(o), src), ("-05:00".to_owned(), "request"));
    }
}
