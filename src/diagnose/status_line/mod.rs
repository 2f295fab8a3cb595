//! The one-line summary Intune keeps: the last line of a detection
//! script's output, at most 2,048 characters, read through the OEM code
//! page, so ASCII only (`design.md`, "Host contracts"). The writer and the
//! reader ([`parse()`]) live together: one definition of the format.

use super::correlate::Facts;
use super::facts::{LogFacts, PathState};
use super::model::{KspSummary, Verdict};

pub(crate) mod lines;
mod parse;

pub(crate) use parse::{ParseStatus, StatusLineFields, parse};

/// The format version written as `v=`; lines without it are version 0.
pub(crate) const VERSION: u32 = 1;

/// Longest line Intune keeps.
pub(crate) const MAX_STATUS_LINE: usize = 2048;

/// The values of one diagnosis line, before they are written.
#[derive(Clone, Debug, Default)]
pub(crate) struct LineParts<'a> {
    pub status: &'a str,
    pub code: &'a str,
    /// `None` when no store could be counted (`?`).
    pub ksp_found: Option<u64>,
    pub ksp_expected: u64,
    pub nes: &'a str,
    pub stage: &'a str,
    pub finding: &'a str,
    pub confidence: &'a str,
    /// The earliest NEA certificate expiry, as a UTC date.
    pub expiry: Option<time::Date>,
    pub site: Option<&'a str>,
    pub logs: &'a str,
}

/// Writes `STATUS=<OK|ISSUE|ERROR> v=1 code=<verdict> ksp=<n>/<expected>
/// nes=<host:port> stage=<stage> finding=<id> confidence=<c>
/// expiry=<YYYY-MM-DD|none> [site=<site>] logs=<signatures>`: `expiry=` is
/// a date, not a time, so the line stays the same from one run to the
/// next; `site=` only with a site, before the one list that can be long,
/// so that clipping never takes it. Every value is one [`word`].
pub(crate) fn format_line(p: &LineParts<'_>) -> String {
    let count = p
        .ksp_found
        .map_or_else(|| "?".to_owned(), |n| n.to_string());
    let expiry = p.expiry.map_or_else(
        || "none".to_owned(),
        |d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
    );
    let site = p
        .site
        .map(|s| format!(" site={}", word(s)))
        .unwrap_or_default();
    let line = format!(
        "STATUS={} v={VERSION} code={} ksp={count}/{} nes={} stage={} finding={} confidence={} expiry={expiry}{site} logs={}",
        word(p.status),
        word(p.code),
        p.ksp_expected,
        word(p.nes),
        word(p.stage),
        word(p.finding),
        word(p.confidence),
        word(p.logs),
    );
    clip(line)
}

/// The diagnosis's line ([`format_line`]).
pub(crate) fn status_line(
    verdict: &Verdict,
    ksp: &KspSummary,
    f: &Facts<'_>,
    logs: &LogFacts,
    site: Option<&str>,
) -> String {
    let nes = f.path.target.clone().unwrap_or_else(|| "none".to_owned());
    let (stage, finding) = match &verdict.cause {
        Some(c) => (c.stage.clone(), c.finding.clone()),
        None => match &f.path.state {
            PathState::Untested(_) => ("untested".to_owned(), "none".to_owned()),
            _ => ("none".to_owned(), "none".to_owned()),
        },
    };
    let confidence = match verdict.confidence {
        super::model::Confidence::High => "high",
        super::model::Confidence::Medium => "medium",
        super::model::Confidence::Low => "low",
    };
    let logs = match &logs.read {
        Ok(_) => logs
            .retrieval
            .iter()
            .map(|h| h.rule_id.as_str())
            .collect::<Vec<_>>()
            .join(","),
        Err(_) => "unread".to_owned(),
    };
    format_line(&LineParts {
        status: crate::report::ReportStatus::from(verdict.status).intune(),
        code: verdict.id.as_str(),
        ksp_found: ksp.certificates,
        ksp_expected: ksp.expected,
        nes: &nes,
        stage: &stage,
        finding: &finding,
        confidence,
        expiry: f.certs.earliest_expiry.map(|t| t.0.date()),
        site,
        logs: if logs.is_empty() { "none" } else { &logs },
    })
}

/// One space-free printable-ASCII word: anything else becomes `_`.
pub(crate) fn word(text: &str) -> String {
    let out: String = text
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .collect();
    if out.is_empty() { "_".to_owned() } else { out }
}

fn clip(line: String) -> String {
    // ASCII only, so characters are bytes.
    crate::report::clip(&line, MAX_STATUS_LINE, crate::report::Cut::Silent).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_clipped_to_what_intune_keeps() {
        for len in [
            0,
            1,
            MAX_STATUS_LINE - 1,
            MAX_STATUS_LINE,
            MAX_STATUS_LINE + 1,
            10_000,
        ] {
            let line = clip(word(&"a".repeat(len)));
            assert_eq!(line.len(), len.clamp(1, MAX_STATUS_LINE), "{len}");
        }
    }

    #[test]
    fn words_are_printable_ascii_without_spaces() {
        for (text, want) in [
            ("nes.corp.example:443", "nes.corp.example:443"),
            ("[::1]:8443", "[::1]:8443"),
            ("a b\tc\r\nd", "a_b_c__d"),
            ("naïve", "na_ve"),
            ("", "_"),
        ] {
            assert_eq!(word(text), want);
        }
    }
}
