//! The `log_scan` and `rule_list` capabilities: scan Evidian WGSS traces,
//! `nymi_api.log`, NES IIS logs and Windows Firewall logs for the
//! signatures of a terminal that cannot get its NEA certificates.
//!
//! Rules are data ([`rules`](RuleInfo), a built-in TOML pack plus the
//! admin's own); the scanner reads each file once with a multi-literal
//! prefilter and tries regexes only on candidate records, in parallel
//! across files. The result is the usual [`Report`]: one [`Finding`] per
//! rule that matched (id = rule id), the per-rule detail in
//! [`LogScanData::hits`], and coverage that makes "nothing matched" a
//! statement that can be trusted (what was read, in which encodings, over
//! which time range, and what could not be read and why).
//!
//! ```
//! use nymidiag::logs::{log_scan, LogScanRequest};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let trace = dir.path().join("WGSS_Nymi.log");
//! std::fs::write(&trace, "704:(22/03/17 06:13:14.162):WearableExtension.cpp :0440: \
//!     Ext::GetListOfVisibleDevices returns: 0x8101201c\n").unwrap();
//! let report = log_scan(&LogScanRequest {
//!     paths: vec![trace.display().to_string()],
//!     since: Some(nymidiag::time_fmt::UtcTime::parse("2022-01-01T00:00:00Z").unwrap()),
//!     ..Default::default()
//! });
//! assert_eq!(report.findings[0].id, "LOG_CERT_CHAIN_NOT_TRUSTED");
//! assert_eq!(report.data.hits[0].count, 1);
//! ```
//!
//! # Layers
//!
//! The module is built in layers; each file imports only from its own
//! layer and the layers below it (`tests/log_layers.rs` fails otherwise),
//! so there is no import cycle between them:
//!
//! 1. `model`: requests, report data, rule listings, format and encoding
//!    names, the error-code table, and how log text is cleaned for a
//!    report. Depends on nothing else here.
//! 2. `input`: finding files (paths, default locations, rotation
//!    families), reading and decoding them, detecting their format and
//!    parsing their records.
//! 3. `rules`: the pack's TOML shape, compiling and checking packs, the
//!    compiled rule set and the multi-literal prefilter.
//! 4. `engine`: reading files in chunks and trying the rules on their
//!    records (filters, window, sequences, tallies), across threads.
//! 5. `checks`: the packs' self-checks (every rule's samples run through
//!    the engine); loading a pack for use goes through here.
//! 6. `report`: choosing the files, merging what the streams found, and
//!    the summary, findings and size budget of the reports.
//!
//! This file holds only the entry points and the re-exports that keep
//! `crate::logs::...` paths stable.
//!
//! [`Finding`]: crate::Finding

use crate::Error;
use crate::report::Report;

mod checks;
// `engine`, `input` and `model` are also read by `crate::nes_clients`,
// which reuses the file reading, the chunker and the IIS field sets.
pub(crate) mod engine;
pub(crate) mod input;
pub(crate) mod model;
mod report;
pub use model::rule_ids;
mod rules;

pub use model::{
    DateOrder, ErrorCodeInfo, ErrorCodeSeen, Excerpt, FileCoverage, HitLocation, KindChoice,
    KindSource, LogKind, LogScanData, LogScanRequest, NotScanned, PackSummary, ParseProblem,
    RuleHit, RuleInfo, RuleListData, RuleListRequest, RuleSamples, ScanCoverage, ScanMode,
    ScanWindow, SearchedLocation, SequenceInfo, TextEncoding, TimeBasis, ValueCount,
};

/// Runs `log_scan`. A request that cannot be carried out (bad field, bad
/// rule pack) gives a report with status `error`, the reason in
/// `warnings`, and nothing scanned; use [`try_log_scan`] to get the
/// [`Error`] instead.
pub fn log_scan(request: &LogScanRequest) -> Report<LogScanData> {
    try_log_scan(request).unwrap_or_else(|e| report::error_report(request, &e))
}

/// Runs `log_scan`, failing with [`Error::RequestInvalid`] (naming the
/// field, or the rule pack's file and line) when the request cannot be
/// carried out. Per-file problems are never errors: they are in the
/// report's coverage.
pub fn try_log_scan(request: &LogScanRequest) -> Result<Report<LogScanData>, Error> {
    report::scan(request)
}

/// Runs `rule_list`: loads the built-in and the given packs (checking
/// them, samples included) and lists every rule and the error-code
/// table. A bad pack fails with [`Error::RequestInvalid`], whose message
/// starts with the pack's file and line.
pub fn list_rules(request: &RuleListRequest) -> Result<Report<RuleListData>, Error> {
    report::list(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_request_gives_an_error_report() {
        let r = log_scan(&LogScanRequest {
            client_address: Some("not-an-ip".into()),
            ..Default::default()
        });
        assert_eq!(r.status, crate::ReportStatus::Error);
        assert!(r.warnings[0].contains("client_address"), "{:?}", r.warnings);
        assert!(r.data.summary.starts_with("Nothing was scanned"));
    }
}
