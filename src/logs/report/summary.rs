//! The sentences of a `log_scan` report: its summary, the state of its
//! `log_files` coverage, and the warnings about what a scan could not
//! fully do.

use super::time::time_or;
use crate::logs::engine::{DEADLINE_CUT_NOTE, DEADLINE_REASON};
use crate::logs::model::{FileCoverage, NotScanned, RuleHit, ScanCoverage, ScanWindow};
use crate::report::CoverageState;

/// The warning when local-time logs were read as UTC.
pub(super) const OFFSET_UNKNOWN: &str = "the local UTC offset could not be determined; \
     local-time logs (WGSS, firewall) were read as UTC: pass local_offset_minutes";

/// The one- or two-sentence statement of the result.
pub(super) fn summarize(
    hits: &[RuleHit],
    coverage: &ScanCoverage,
    read: usize,
    window: &ScanWindow,
    defaults: bool,
) -> String {
    let window_text = format!(
        "time window {} to {}",
        window.since,
        time_or(window.until, "now")
    );
    if read == 0 {
        let where_ = if defaults {
            "in the default locations"
        } else {
            "among the given paths"
        };
        return format!(
            "No log file was read {where_}, so nothing could be checked ({} found, {} not \
             scanned).",
            coverage.files_found, coverage.files_not_scanned
        );
    }
    let read_text = format!(
        "{read} file(s), {} bytes, {} lines, records from {} to {}",
        coverage.bytes_read,
        coverage.lines_read,
        time_or(coverage.first_time, "(no times)"),
        time_or(coverage.last_time, "(no times)")
    );
    if hits.is_empty() {
        format!(
            "Nothing matched: {} rule(s) were tried on {read_text}; {window_text}.",
            coverage.rules_loaded
        )
    } else {
        let list: Vec<String> = hits
            .iter()
            .take(10)
            .map(|h| format!("{} x{}", h.rule_id, h.count))
            .collect();
        format!(
            "{} rule(s) matched: {}{}. Read {read_text}; {window_text}.",
            hits.len(),
            list.join(", "),
            if hits.len() > 10 { ", ..." } else { "" }
        )
    }
}

/// Where the files of a scan were looked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Searched {
    /// The request's paths.
    Paths,
    /// The default locations, on Windows.
    Defaults,
    /// The default locations, which are Windows folders, elsewhere.
    DefaultsNotWindows,
}

impl Searched {
    pub(super) fn of(using_defaults: bool) -> Searched {
        match (using_defaults, cfg!(windows)) {
            (false, _) => Searched::Paths,
            (true, true) => Searched::Defaults,
            (true, false) => Searched::DefaultsNotWindows,
        }
    }
}

/// The `log_files` coverage when no file was read, and whether the scan
/// failed (only given paths that could not be read fail it).
pub(super) fn nothing_read(searched: Searched) -> (CoverageState, &'static str, bool) {
    match searched {
        Searched::DefaultsNotWindows => (
            CoverageState::NotApplicable,
            "the default locations are Windows folders; none exists on this system",
            false,
        ),
        Searched::Defaults => (
            CoverageState::Skipped,
            "no log file was found in the default locations",
            false,
        ),
        Searched::Paths => (
            CoverageState::Failed,
            "none of the given paths could be read",
            true,
        ),
    }
}

/// The report warning for files the deadline left out or cut; `None`
/// when none.
pub(super) fn deadline_warning(
    not_scanned: &[NotScanned],
    files: &[FileCoverage],
    deadline_ms: Option<u64>,
) -> Option<String> {
    let left = not_scanned
        .iter()
        .filter(|s| s.reason == DEADLINE_REASON)
        .count();
    let cut = files
        .iter()
        .filter(|f| f.notes.iter().any(|n| n.starts_with(DEADLINE_CUT_NOTE)))
        .count();
    (left + cut > 0).then(|| {
        format!(
            "the deadline of {} ms was reached: {left} file(s) were not scanned (not_scanned \
             reason deadline) and {cut} were read only in part (a note on the file); hits \
             and counts cover what was read",
            deadline_ms.unwrap_or(0)
        )
    })
}

/// The report warning for sequence state cut short; `None` when it
/// never was.
pub(super) fn overflow_warning(overflows: u64) -> Option<String> {
    (overflows > 0).then(|| {
        format!(
            "sequence state was cut short {overflows} time(s) (more than 100,000 threads or \
             clients in a window, or 10,000 hits waiting); some sequence hits may be missing"
        )
    })
}

/// The report warning for slow rules that were used; `None` when none.
pub(super) fn slow_warning(slow_rules: &[String], tense: &str) -> Option<String> {
    (!slow_rules.is_empty()).then(|| {
        format!(
            "rules without literal {tense} tried on every record (slow): {}",
            slow_rules.join(", ")
        )
    })
}
