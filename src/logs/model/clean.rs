//! How text from logs is shown in reports: control characters replaced,
//! secrets redacted with the whole text in view, then cut to a cap.
//! Every string the scan copies from a log goes through here.

use std::borrow::Cow;
use std::ops::Range;

use time::OffsetDateTime;

use crate::redaction::{
    KEY_BLOCK, REDACTED, Span, redact_lines, redact_part, redact_text, shorten,
};
use crate::time_fmt::UtcTime;

/// Characters kept of one excerpt, one context line, one field value.
pub(crate) const EXCERPT_CHARS: usize = 500;
pub(crate) const CONTEXT_CHARS: usize = 300;
const VALUE_CHARS: usize = 200;

/// Unix milliseconds to a report time.
pub(crate) fn utc(ms: i64) -> Option<UtcTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .map(UtcTime)
}

/// Control characters (NUL included) become U+FFFD; tabs and newlines
/// stay.
fn printable(text: &str) -> Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\t' && c != '\n')
    {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() && c != '\t' && c != '\n' {
                    '\u{fffd}'
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// Makes text safe and short for a report: control characters become
/// U+FFFD, secrets are redacted in the whole text, and only then is it
/// cut to at most `max` characters (a marker is never cut).
pub(crate) fn clean(text: &str, max: usize) -> String {
    let text = printable(text);
    shorten(&redact_text(&text), max)
}

/// A field value as shown: trimmed, on one line, cleaned.
pub(crate) fn clean_value(text: &str) -> String {
    let one_line = text.trim().replace(['\r', '\n'], " ");
    clean(&one_line, VALUE_CHARS)
}

/// Whether a parsed field holds a secret whatever its value looks like
/// (`cs(Cookie)` of an IIS log, an `Authorization` column).
fn is_secret_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "cookie",
        "authorization",
        "password",
        "passwd",
        "secret",
        "token",
        "credential",
    ]
    .iter()
    .any(|s| n.contains(s))
}

/// A parsed field's value as shown: wholly redacted when the field is a
/// secret by name; a query string is read as one (`code=` first).
pub(crate) fn clean_field(name: &str, value: &str) -> String {
    if is_secret_field(name) && !value.trim().is_empty() && value.trim() != "-" {
        return REDACTED.to_owned();
    }
    if name.to_ascii_lowercase().contains("query") {
        let cleaned = clean_value(&format!("?{}", value.trim()));
        return cleaned.strip_prefix('?').unwrap_or(&cleaned).to_owned();
    }
    clean_value(value)
}

/// A captured part of a record, redacted with the whole record in view (a
/// capture of `hunter2` alone does not look like a secret; in
/// `password=hunter2` it does). `spans` are the record's secrets.
pub(crate) fn captured(text: &str, spans: &[Span], range: Range<usize>) -> String {
    redact_part(text, spans, range.clone(), true).unwrap_or_else(|| text[range].to_owned())
}

/// The excerpt's `before` lines and record, redacted together (a key block
/// may start in one and end in another), then each cut.
pub(crate) fn clean_excerpt(before: &[&str], text: &str) -> (Vec<String>, String) {
    let before: Vec<Cow<'_, str>> = before.iter().map(|l| printable(l)).collect();
    let text = printable(text);
    let mut lines: Vec<&str> = before.iter().map(|l| l.as_ref()).collect();
    let first_text_line = lines.len();
    lines.extend(text.split('\n'));
    let redacted = redact_lines(&lines);
    let shown_before = redacted[..first_text_line]
        .iter()
        .flatten()
        .map(|l| shorten(l, CONTEXT_CHARS))
        .collect();
    let record: Vec<&str> = redacted[first_text_line..]
        .iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let record = if record.is_empty() {
        KEY_BLOCK.to_owned()
    } else {
        record.join("\n")
    };
    (shown_before, shorten(&record, EXCERPT_CHARS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_and_caps_text() {
        assert_eq!(clean("a\0b\u{7}c", 10), "a\u{fffd}b\u{fffd}c");
        assert_eq!(clean("abcdef", 3), "abc\u{2026}");
        assert_eq!(clean("token=abc", 100), "token=<redacted>");
        assert_eq!(
            clean_value("  The operation is complete\n "),
            "The operation is complete"
        );
    }
}
