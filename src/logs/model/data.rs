//! The `data` of `log_scan` and `list_rules` reports.
//!
//! Every list here is capped so that a report stays well under the ~2 MB
//! that Windows PowerShell 5.1's `ConvertFrom-Json` accepts; each capped
//! list has a count of what was left out next to it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::codes::{ErrorCodeInfo, ErrorCodeSeen};
use super::kinds::{KindSource, LogKind, TextEncoding, TimeBasis};
use super::pack::{PackSummary, RuleInfo};
use super::request::DateOrder;
use crate::report::Severity;
use crate::time_fmt::UtcTime;

/// `data` of a `log_scan` report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogScanData {
    /// One or two sentences: what matched, or an explicit "nothing
    /// matched" with what was read.
    pub summary: String,
    /// `true` when no reported rule matched in the time window.
    pub nothing_matched: bool,
    /// The time window and clock settings used.
    pub window: ScanWindow,
    /// Rule packs used.
    pub rule_packs: Vec<PackSummary>,
    /// Per rule that matched: counts, times, places, excerpts, fields;
    /// most severe first.
    pub hits: Vec<RuleHit>,
    /// Error codes returned in the scanned records, decoded.
    pub error_codes: Vec<ErrorCodeSeen>,
    /// Totals of what was read.
    pub coverage: ScanCoverage,
    /// Per file read (capped at 500).
    pub files: Vec<FileCoverage>,
    /// Files read but left out of `files`.
    pub files_omitted: u64,
    /// Files found but not read, and why (capped at 200).
    pub not_scanned: Vec<NotScanned>,
    /// Entries left out of `not_scanned`.
    pub not_scanned_omitted: u64,
    /// Lines that did not fit their format (capped examples).
    pub parse_problems: Vec<ParseProblem>,
    /// All parse problems, including those not listed.
    pub parse_problems_total: u64,
    /// Default locations searched (empty when `paths` were given).
    pub searched_locations: Vec<SearchedLocation>,
    /// Whether lists were cut further to keep the report small.
    pub trimmed: bool,
}

/// Time window and clocks of a scan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanWindow {
    /// Records before this are not counted.
    pub since: UtcTime,
    /// Whether `since` is the default (now minus 14 days, the NEA
    /// certificate lifetime).
    pub since_is_default: bool,
    /// Records after this are not counted (`null`: no limit).
    pub until: Option<UtcTime>,
    /// UTC offset applied to local-time logs (WGSS, firewall), `+HH:MM`.
    pub local_offset: String,
    /// Where the offset came from: `request`, `system`, or
    /// `utc_fallback` when the platform could not tell.
    pub local_offset_source: String,
}

/// What was read, in total.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanCoverage {
    /// Files found (read or not).
    pub files_found: u64,
    /// Files read to their end.
    pub files_read: u64,
    /// Files not read (see `not_scanned`).
    pub files_not_scanned: u64,
    /// Bytes read from disk.
    pub bytes_read: u64,
    /// Lines read.
    pub lines_read: u64,
    /// Records the rules were tried on (candidates of the prefilter, or
    /// every record where the format or a slow rule needs it).
    pub records_examined: u64,
    /// Files per encoding.
    pub encodings: BTreeMap<String, u64>,
    /// Files per kind.
    pub kinds: BTreeMap<String, u64>,
    /// Earliest record time seen in any file.
    pub first_time: Option<UtcTime>,
    /// Latest record time seen in any file.
    pub last_time: Option<UtcTime>,
    /// Rules without literal that were tried on every record.
    pub slow_rules: Vec<String>,
    /// Rules loaded (reported and helper rules).
    pub rules_loaded: u64,
}

/// How a file was searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScanMode {
    /// Only lines holding a rule literal were parsed.
    Prefilter,
    /// Every record was parsed (IIS and firewall logs, or a slow rule).
    EveryRecord,
}

/// One file that was read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileCoverage {
    /// Path as found.
    pub path: String,
    /// Format it was read as.
    pub kind: LogKind,
    /// How the format was decided.
    pub kind_source: KindSource,
    /// Text encoding.
    pub encoding: TextEncoding,
    /// Bytes read.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Earliest record time seen (UTC).
    pub first_time: Option<UtcTime>,
    /// Latest record time seen (UTC).
    pub last_time: Option<UtcTime>,
    /// The clock the file's times are written in.
    pub time_basis: TimeBasis,
    /// WGSS: the date order used.
    pub date_order: Option<DateOrder>,
    /// How the file was searched.
    pub mode: ScanMode,
    /// Records the rules were tried on.
    pub records_examined: u64,
    /// Of those, records outside the time window.
    pub records_outside_window: u64,
    /// Records left out by `client_address`, `remote_address` or `port`.
    pub records_filtered: u64,
    /// Lines longer than `max_line_bytes`: their first `max_line_bytes`
    /// bytes were scanned, the rest skipped (the first few are also
    /// parse problems).
    pub long_lines: u64,
    /// Lines holding NUL bytes.
    pub lines_with_nul: u64,
    /// Lines of a UTF-8 file that were not UTF-8 and were read as
    /// Windows-1252.
    pub lines_windows_1252: u64,
    /// Parse problems in this file.
    pub parse_problems: u64,
    /// Rotation family (stream) this file was scanned in, when merged.
    pub rotation_family: Option<String>,
    /// Anything else worth knowing (date order switched, file shrank or
    /// grew while read).
    pub notes: Vec<String>,
}

/// A file found but not read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotScanned {
    /// Path as given or found.
    pub path: String,
    /// Stable reason: `not_found`, `access_denied`, `locked`,
    /// `not_a_file`, `binary`, `older_than_window`, `too_many_files`,
    /// `io_error`, `deadline` (not started: the request's `deadline_ms`
    /// had passed), `link_outside` (found in a folder through a link whose
    /// target lies outside that folder: not read).
    pub reason: String,
    /// The reason in words.
    pub detail: String,
}

/// One line that did not fit its format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParseProblem {
    /// File.
    pub path: String,
    /// 1-based line number.
    pub line: u64,
    /// What is wrong.
    pub problem: String,
    /// The line, shortened and redacted.
    pub excerpt: String,
}

/// A default location and what it held.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchedLocation {
    /// Folder searched.
    pub folder: String,
    /// File-name pattern looked for.
    pub pattern: String,
    /// What it is expected to hold.
    pub purpose: String,
    /// Whether the folder exists here.
    pub exists: bool,
    /// Matching files found.
    pub files_found: u64,
}

/// Where a rule matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HitLocation {
    /// File.
    pub path: String,
    /// 1-based line number.
    pub line: u64,
    /// Record time (UTC), where the record has one.
    pub time: Option<UtcTime>,
}

/// A short, redacted view of a matching record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Excerpt {
    /// File.
    pub path: String,
    /// 1-based line number.
    pub line: u64,
    /// Lines just before it (the rule's `context_lines`).
    pub before: Vec<String>,
    /// The record (continuation lines included), shortened and redacted.
    pub text: String,
}

/// One value of a captured field and how often it was seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueCount {
    /// The value, shortened and redacted.
    pub value: String,
    /// Hits with this value.
    pub count: u64,
}

/// Everything about one rule that matched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleHit {
    /// Rule id (also the finding id).
    pub rule_id: String,
    /// Rule title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Pack the rule comes from.
    pub pack: String,
    /// Matching records in the time window.
    pub count: u64,
    /// Of those, records without a time of their own. They count when
    /// their file was last written at or after `since` (older files are
    /// not read), whatever `until` says.
    pub undated: u64,
    /// When `undated` > 0: the latest last-write time of the files holding
    /// them, so the latest time any of them can have (`null` when no
    /// undated hit or the file times are unknown).
    pub undated_not_after: Option<UtcTime>,
    /// First match (UTC).
    pub first_seen: Option<UtcTime>,
    /// Last match (UTC).
    pub last_seen: Option<UtcTime>,
    /// Files with matches, and how many each (capped at 20).
    pub files: BTreeMap<String, u64>,
    /// Files left out of `files`.
    pub files_omitted: u64,
    /// The first matches (capped at 20).
    pub locations: Vec<HitLocation>,
    /// Matches left out of `locations`.
    pub locations_omitted: u64,
    /// The first excerpts (capped at 3).
    pub excerpts: Vec<Excerpt>,
    /// Captured and kept fields: name to the most frequent values
    /// (capped at 10 values per field).
    pub fields: BTreeMap<String, Vec<ValueCount>>,
    /// Per field, how many hits had a value left out of `fields`.
    pub fields_omitted: BTreeMap<String, u64>,
    /// For rules that note what came before: how many hits each noted
    /// rule preceded (`none` for hits preceded by none of them).
    pub preceded_by: BTreeMap<String, u64>,
    /// For each key of `preceded_by` (`none` included): the time of the
    /// latest dated hit it applies to. A key whose hits are all undated
    /// is left out.
    pub preceded_by_last_seen: BTreeMap<String, UtcTime>,
}

/// `data` of a `list_rules` report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleListData {
    /// Packs loaded, built-in first.
    pub packs: Vec<PackSummary>,
    /// Every rule of every pack.
    pub rules: Vec<RuleInfo>,
    /// The built-in error code table.
    pub error_codes: Vec<ErrorCodeInfo>,
}
