//! Reading a status line back: the fleet side of the format the writer in
//! this module defines.
//!
//! What comes back from a fleet is not always what a terminal wrote: Intune
//! keeps only the last 2,048 characters of the last line, an output column
//! may hold another script's text, an export may be empty for a device that
//! never ran. So every input gives a value, never an error: the fields that
//! could be read and a [`ParseStatus`] that says how far to trust them.

use serde::Serialize;

/// How a line could be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ParseStatus {
    /// A whole status line.
    Ok,
    /// The end of a status line whose start was cut (Intune keeps the last
    /// 2,048 characters): no `STATUS=` at its start, fields after it read.
    Truncated,
    /// Nothing but white space.
    Empty,
    /// Text that is not a status line, or one with a field that is wrong.
    Malformed,
}

impl ParseStatus {
    /// The word in reports and rows (`ok`).
    pub(crate) const fn word(self) -> &'static str {
        match self {
            ParseStatus::Ok => "ok",
            ParseStatus::Truncated => "truncated",
            ParseStatus::Empty => "empty",
            ParseStatus::Malformed => "malformed",
        }
    }
}

/// The fields of one status line; `None` for a field the line does not
/// hold.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub(crate) struct StatusLineFields {
    /// How the line could be read.
    pub parse_status: Option<ParseStatus>,
    /// Why it is not `ok`.
    pub problem: Option<String>,
    /// `v=`: 0 for a whole line written before versions, `None` when the
    /// line's start is missing.
    pub version: Option<u32>,
    /// `OK`, `ISSUE` or `ERROR`.
    pub status: Option<String>,
    /// The verdict, or the ERROR code.
    pub code: Option<String>,
    /// `ksp=` as written (`8/20`, `?/20`).
    pub ksp: Option<String>,
    /// Certificates found, when a number.
    pub ksp_found: Option<u64>,
    /// Certificates expected.
    pub ksp_expected: Option<u64>,
    /// `nes=` (`host:port` or `none`).
    pub nes: Option<String>,
    /// `stage=`.
    pub stage: Option<String>,
    /// `finding=`.
    pub finding: Option<String>,
    /// `confidence=`.
    pub confidence: Option<String>,
    /// `expiry=` as `YYYY-MM-DD`; `None` also for `expiry=none`.
    pub expiry: Option<String>,
    /// `site=`.
    pub site: Option<String>,
    /// `logs=`.
    pub logs: Option<String>,
    /// `detail=` of an ERROR line.
    pub detail: Option<String>,
    /// `repair=` of a line written after a remediation.
    pub repair: Option<String>,
    /// `before=`.
    pub repair_before: Option<String>,
    /// `after=`.
    pub repair_after: Option<String>,
    /// `reason=`.
    pub repair_reason: Option<String>,
    /// The line read: the last non-blank line of the text, trimmed.
    pub line: String,
    /// `v=` as written, checked once the line is read.
    #[serde(skip)]
    version_text: Option<String>,
}

/// Longest text read: a line Intune kept is at most 2,048 characters; more
/// than this is not a status line, and the cap bounds the work per row.
const MAX_LINE: usize = 16 * 1024;

/// The status words.
const STATUSES: [&str; 3] = ["OK", "ISSUE", "ERROR"];

/// Reads the last non-blank line of `text` as a status line.
pub(crate) fn parse(text: &str) -> StatusLineFields {
    let line = text
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut fields = StatusLineFields {
        line: crate::report::clip(line, MAX_LINE, crate::report::Cut::Marked).into_owned(),
        ..StatusLineFields::default()
    };
    if line.is_empty() {
        fields.parse_status = Some(ParseStatus::Empty);
        fields.problem = Some("no output".to_owned());
        return fields;
    }
    // Bounded work per row: only the kept text is read.
    let too_long = fields.line.len() < line.len();
    let line = if too_long {
        &line[..crate::report::cut_index(line, MAX_LINE).unwrap_or(line.len())]
    } else {
        line
    };
    let whole = starts_with_status(line);
    let pairs = pairs(line, whole);
    let mut known = 0;
    for (key, value) in &pairs {
        if fields.set(key, value) {
            known += 1;
        }
    }
    let problem = if whole {
        fields.status_problem().or_else(|| fields.field_problem())
    } else if known == 0 {
        Some("not a status line: no STATUS= and no known field".to_owned())
    } else {
        fields.parse_status = Some(ParseStatus::Truncated);
        fields.problem =
            Some("the start of the line is missing (cut at 2,048 characters?)".to_owned());
        fields.field_problem()
    };
    if whole && fields.version.is_none() && fields.version_text.is_none() {
        fields.version = Some(0);
    }
    let problem = problem
        .or_else(|| {
            too_long.then(|| format!("longer than {MAX_LINE} characters: not a status line"))
        })
        .or_else(|| {
            (!line.is_ascii())
                .then(|| "characters outside ASCII: not written by nymidiag".to_owned())
        });
    if let Some(problem) = problem {
        fields.parse_status = Some(ParseStatus::Malformed);
        fields.problem = Some(problem);
    } else if fields.parse_status.is_none() {
        fields.parse_status = Some(ParseStatus::Ok);
    }
    fields
}

fn starts_with_status(line: &str) -> bool {
    line.get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("STATUS="))
}

/// The line's `key=value` pairs, keys lowercased. A word without `=` (or
/// with a key that is not a plain word) belongs to the value before it, so
/// a value with spaces from another writer stays whole. On a cut line the
/// first word is a fragment and is dropped.
fn pairs(line: &str, whole: bool) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let words = line.split([' ', '\t']).filter(|w| !w.is_empty());
    for word in words.skip(usize::from(!whole)) {
        match word.split_once('=') {
            Some((key, value)) if is_key(key) => {
                out.push((key.to_ascii_lowercase(), value.to_owned()));
            }
            _ => {
                if let Some((_, value)) = out.last_mut() {
                    value.push(' ');
                    value.push_str(word);
                }
            }
        }
    }
    out
}

fn is_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl StatusLineFields {
    /// Sets one field; the first occurrence of a key wins. Returns whether
    /// the key is one the format knows.
    fn set(&mut self, key: &str, value: &str) -> bool {
        let slot = match key {
            "status" => &mut self.status,
            "code" => &mut self.code,
            "ksp" => &mut self.ksp,
            "nes" => &mut self.nes,
            "stage" => &mut self.stage,
            "finding" => &mut self.finding,
            "confidence" => &mut self.confidence,
            "expiry" => &mut self.expiry,
            "site" => &mut self.site,
            "logs" => &mut self.logs,
            "detail" => &mut self.detail,
            "repair" => &mut self.repair,
            "before" => &mut self.repair_before,
            "after" => &mut self.repair_after,
            "reason" => &mut self.repair_reason,
            "v" => &mut self.version_text,
            // Keys of later versions are skipped, not errors.
            _ => return false,
        };
        if slot.is_none() {
            *slot = Some(value.to_owned());
        }
        true
    }

    /// The first problem of a line that starts with `STATUS=`: its status
    /// word and its code.
    fn status_problem(&self) -> Option<String> {
        let status = self.status.as_deref().unwrap_or("");
        if !STATUSES.contains(&status) {
            return Some(format!("STATUS={status} is not OK, ISSUE or ERROR"));
        }
        if self.code.as_deref().is_none_or(str::is_empty) {
            return Some("no code=".to_owned());
        }
        None
    }

    /// Derives the numeric and date fields; the first value that does not
    /// read, if any.
    fn field_problem(&mut self) -> Option<String> {
        if let Some(v) = &self.version_text {
            match v.parse() {
                Ok(n) => self.version = Some(n),
                Err(_) => return Some(format!("v={v} is not a number")),
            }
        }
        if let Some(ksp) = &self.ksp {
            let (found, expected) = ksp.split_once('/').unwrap_or((ksp, ""));
            self.ksp_found = found.parse().ok();
            self.ksp_expected = expected.parse().ok();
            if (self.ksp_found.is_none() && found != "?") || self.ksp_expected.is_none() {
                return Some(format!("ksp={ksp} is not <n>/<expected>"));
            }
        }
        match self.expiry.as_deref() {
            Some("none") => self.expiry = None,
            Some(date) if !is_date(date) => {
                return Some(format!("expiry={date} is not a date (YYYY-MM-DD)"));
            }
            _ => {}
        }
        None
    }
}

fn is_date(text: &str) -> bool {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    text.len() == 10 && time::Date::parse(text, &format).is_ok()
}

#[cfg(test)]
mod tests;
