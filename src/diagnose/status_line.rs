//! The one-line summary Intune keeps: the last line of a detection
//! script's output, at most 2,048 characters, read through the OEM code
//! page, so ASCII only (`design.md`, "Host contracts").

use super::correlate::Facts;
use super::facts::{LogFacts, PathState};
use super::model::{KspSummary, Verdict};

/// Longest line Intune keeps.
pub(crate) const MAX_STATUS_LINE: usize = 2048;

/// `STATUS=<OK|ISSUE|ERROR> code=<verdict> ksp=<n>/<expected>
/// nes=<host:port> stage=<stage> finding=<id> confidence=<c>
/// [site=<site>] logs=<signatures>`: `site=` only with a site, before the
/// one list that can be long, so that clipping never takes it.
pub(crate) fn status_line(
    verdict: &Verdict,
    ksp: &KspSummary,
    f: &Facts<'_>,
    logs: &LogFacts,
    site: Option<&str>,
) -> String {
    let status = crate::report::ReportStatus::from(verdict.status).intune();
    let count = ksp
        .certificates
        .map_or_else(|| "?".to_owned(), |n| n.to_string());
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
    let logs = if logs.is_empty() {
        "none".to_owned()
    } else {
        logs
    };
    let site = site
        .map(|s| format!(" site={}", word(s)))
        .unwrap_or_default();
    let line = format!(
        "STATUS={status} code={} ksp={count}/{} nes={} stage={} finding={} confidence={confidence}{site} logs={}",
        verdict.id.as_str(),
        ksp.expected,
        word(&nes),
        word(&stage),
        word(&finding),
        word(&logs),
    );
    clip(line)
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
