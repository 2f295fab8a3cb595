//! Per-rule tallies, capped so that any input gives a bounded result.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use time::OffsetDateTime;

use super::model::{Excerpt, HitLocation, RuleHit, ValueCount};
use super::rules::RuleSet;
use crate::redaction::{
    KEY_BLOCK, REDACTED, Span, redact_lines, redact_part, redact_text, shorten,
};
use crate::time_fmt::UtcTime;

/// Caps per rule.
pub(crate) const MAX_LOCATIONS: usize = 20;
pub(crate) const MAX_EXCERPTS: usize = 3;
pub(crate) const MAX_FILES_PER_RULE: usize = 20;
const MAX_FIELD_NAMES: usize = 16;
const MAX_VALUES_PER_FIELD: usize = 10;
/// Characters kept of one excerpt, one context line, one field value.
pub(crate) const EXCERPT_CHARS: usize = 500;
pub(crate) const CONTEXT_CHARS: usize = 300;
const VALUE_CHARS: usize = 200;

/// One match of a rule, ready to count.
#[derive(Clone, Debug)]
pub(crate) struct Hit {
    pub(crate) rule: usize,
    pub(crate) path: Arc<str>,
    pub(crate) line: u64,
    pub(crate) time: Option<i64>,
    /// When the hit's file was last written (Unix ms), where known: the
    /// latest time an undated hit can have.
    pub(crate) modified: Option<i64>,
    pub(crate) excerpt: Option<Excerpt>,
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) noted: Vec<usize>,
}

/// Unix milliseconds to a report time.
pub(crate) fn utc(ms: i64) -> Option<UtcTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .map(UtcTime)
}

/// The later of two optional times.
fn later(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
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

/// The tally of one rule in one scan.
#[derive(Clone, Debug, Default)]
pub(crate) struct RuleAcc {
    pub(crate) count: u64,
    undated: u64,
    undated_not_after: Option<i64>,
    first: Option<i64>,
    last: Option<i64>,
    files: BTreeMap<Arc<str>, u64>,
    locations: Vec<HitLocation>,
    locations_omitted: u64,
    excerpts: Vec<Excerpt>,
    fields: BTreeMap<String, BTreeMap<String, u64>>,
    fields_omitted: BTreeMap<String, u64>,
    preceded_by: BTreeMap<String, u64>,
    preceded_by_last: BTreeMap<String, i64>,
}

impl RuleAcc {
    /// Whether another excerpt would be kept.
    pub(crate) fn wants_excerpt(&self) -> bool {
        self.excerpts.len() < MAX_EXCERPTS
    }

    /// Counts one hit. Only the count is kept for helper rules, which are
    /// never reported.
    pub(crate) fn add(&mut self, hit: Hit, set: &RuleSet) {
        self.count += 1;
        let rule = &set.rules[hit.rule];
        if !rule.report {
            return;
        }
        match hit.time {
            Some(t) => {
                self.first = Some(self.first.map_or(t, |f| f.min(t)));
                self.last = Some(self.last.map_or(t, |l| l.max(t)));
            }
            None => {
                self.undated += 1;
                self.undated_not_after = later(self.undated_not_after, hit.modified);
            }
        }
        *self.files.entry(hit.path.clone()).or_insert(0) += 1;
        if self.locations.len() < MAX_LOCATIONS {
            self.locations.push(HitLocation {
                path: hit.path.to_string(),
                line: hit.line,
                time: hit.time.and_then(utc),
            });
        } else {
            self.locations_omitted += 1;
        }
        if let Some(e) = hit.excerpt
            && self.wants_excerpt()
        {
            self.excerpts.push(e);
        }
        for (name, value) in hit.fields {
            self.add_field(name, value, 1);
        }
        if let Some(seq) = &rule.sequence
            && !seq.notes_before.is_empty()
        {
            let mut keys: Vec<&str> = hit
                .noted
                .iter()
                .map(|&n| set.rules[n].id.as_str())
                .collect();
            if keys.is_empty() {
                keys.push("none");
            }
            for key in keys {
                *self.preceded_by.entry(key.to_owned()).or_insert(0) += 1;
                if let Some(t) = hit.time {
                    let last = self.preceded_by_last.entry(key.to_owned()).or_insert(t);
                    *last = (*last).max(t);
                }
            }
        }
    }

    fn add_field(&mut self, name: String, value: String, n: u64) {
        if !self.fields.contains_key(&name) && self.fields.len() >= MAX_FIELD_NAMES {
            return;
        }
        let values = self.fields.entry(name.clone()).or_default();
        if let Some(c) = values.get_mut(&value) {
            *c += n;
        } else if values.len() < MAX_VALUES_PER_FIELD {
            values.insert(value, n);
        } else {
            *self.fields_omitted.entry(name).or_insert(0) += n;
        }
    }

    /// Adds another scan's tally (streams are merged in a fixed order).
    pub(crate) fn merge(&mut self, other: RuleAcc) {
        self.count += other.count;
        self.undated += other.undated;
        self.undated_not_after = later(self.undated_not_after, other.undated_not_after);
        self.first = match (self.first, other.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = match (self.last, other.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for (f, n) in other.files {
            *self.files.entry(f).or_insert(0) += n;
        }
        for loc in other.locations {
            if self.locations.len() < MAX_LOCATIONS {
                self.locations.push(loc);
            } else {
                self.locations_omitted += 1;
            }
        }
        self.locations_omitted += other.locations_omitted;
        for e in other.excerpts {
            if self.wants_excerpt() {
                self.excerpts.push(e);
            }
        }
        for (name, values) in other.fields {
            for (value, n) in values {
                self.add_field(name.clone(), value, n);
            }
        }
        for (name, n) in other.fields_omitted {
            *self.fields_omitted.entry(name).or_insert(0) += n;
        }
        for (id, n) in other.preceded_by {
            *self.preceded_by.entry(id).or_insert(0) += n;
        }
        for (id, t) in other.preceded_by_last {
            let last = self.preceded_by_last.entry(id).or_insert(t);
            *last = (*last).max(t);
        }
    }

    /// The reported form.
    pub(crate) fn into_hit(self, index: usize, set: &RuleSet) -> RuleHit {
        let rule = &set.rules[index];
        let files_total = self.files.len();
        let mut by_count: Vec<(Arc<str>, u64)> = self.files.into_iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let files = by_count
            .into_iter()
            .take(MAX_FILES_PER_RULE)
            .map(|(f, n)| (f.to_string(), n))
            .collect();
        let fields = self
            .fields
            .into_iter()
            .map(|(name, values)| {
                let mut v: Vec<ValueCount> = values
                    .into_iter()
                    .map(|(value, count)| ValueCount { value, count })
                    .collect();
                v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
                (name, v)
            })
            .collect();
        RuleHit {
            rule_id: rule.id.clone(),
            title: rule.title.clone(),
            severity: rule.severity,
            pack: set.packs[rule.pack].name.clone(),
            count: self.count,
            undated: self.undated,
            undated_not_after: self.undated_not_after.and_then(utc),
            first_seen: self.first.and_then(utc),
            last_seen: self.last.and_then(utc),
            files,
            files_omitted: files_total.saturating_sub(MAX_FILES_PER_RULE) as u64,
            locations: self.locations,
            locations_omitted: self.locations_omitted,
            excerpts: self.excerpts,
            fields,
            fields_omitted: self.fields_omitted,
            preceded_by: self.preceded_by,
            preceded_by_last_seen: self
                .preceded_by_last
                .into_iter()
                .filter_map(|(k, t)| Some((k, utc(t)?)))
                .collect(),
        }
    }
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
