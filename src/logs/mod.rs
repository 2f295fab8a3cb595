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
//! [`Finding`]: crate::Finding

use std::collections::BTreeMap;
use std::path::PathBuf;

use time::UtcOffset;

use crate::Error;
use crate::report::{CoverageState, Finding, Report, ReportBuilder};
use crate::time_fmt::UtcTime;

mod checks;
mod engine;
mod input;
mod model;
mod report;
mod rules;

pub use model::{
    DateOrder, ErrorCodeInfo, ErrorCodeSeen, Excerpt, FileCoverage, HitLocation, KindChoice,
    KindSource, LogKind, LogScanData, LogScanRequest, NotScanned, PackSummary, ParseProblem,
    RuleHit, RuleInfo, RuleListData, RuleListRequest, RuleSamples, ScanCoverage, ScanMode,
    ScanWindow, SearchedLocation, SequenceInfo, TextEncoding, TimeBasis, ValueCount,
};

use engine::RuleAcc;
use input::locations;
use model::NotScanned as Skipped;
use model::{clean as collect, codes, request};
use engine as scan;

/// Largest report aimed at, in bytes of JSON: below the ~2 MB that
/// Windows PowerShell 5.1's `ConvertFrom-Json` accepts, with room for the
/// envelope.
const REPORT_BUDGET: usize = 1_500_000;
/// Caps of the lists in `data`.
const MAX_FILES_LISTED: usize = 500;
const MAX_NOT_SCANNED: usize = 200;
const MAX_CODES: usize = 50;

/// Runs `log_scan`. A request that cannot be carried out (bad field, bad
/// rule pack) gives a report with status `error`, the reason in
/// `warnings`, and nothing scanned; use [`try_log_scan`] to get the
/// [`Error`] instead.
pub fn log_scan(request: &LogScanRequest) -> Report<LogScanData> {
    match try_log_scan(request) {
        Ok(report) => report,
        Err(e) => {
            let mut report = ReportBuilder::new("log_scan");
            report.caller(request::cap_caller(request.caller.as_deref()).as_deref());
            report.failed();
            report.warning(e.to_string());
            report.coverage("log_files", CoverageState::Skipped, Some(e.to_string()));
            let now = request.now.unwrap_or_else(UtcTime::now);
            report.finish(LogScanData {
                summary: format!("Nothing was scanned: {e}."),
                nothing_matched: true,
                window: ScanWindow {
                    since: request.since.unwrap_or(now),
                    since_is_default: request.since.is_none(),
                    until: request.until,
                    local_offset: "+00:00".to_owned(),
                    local_offset_source: "utc_fallback".to_owned(),
                },
                rule_packs: Vec::new(),
                hits: Vec::new(),
                error_codes: Vec::new(),
                coverage: ScanCoverage::default(),
                files: Vec::new(),
                files_omitted: 0,
                not_scanned: Vec::new(),
                not_scanned_omitted: 0,
                parse_problems: Vec::new(),
                parse_problems_total: 0,
                searched_locations: Vec::new(),
                trimmed: false,
            })
        }
    }
}

/// The instant after which no file is started, from `deadline_ms`
/// (clamped to the 600 s limit, with a warning above it).
fn deadline_end(
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

/// The report warning for files the deadline left out or cut; `None`
/// when none.
fn deadline_warning(
    not_scanned: &[Skipped],
    files: &[FileCoverage],
    deadline_ms: Option<u64>,
) -> Option<String> {
    let left = not_scanned
        .iter()
        .filter(|s| s.reason == scan::DEADLINE_REASON)
        .count();
    let cut = files
        .iter()
        .filter(|f| {
            f.notes
                .iter()
                .any(|n| n.starts_with(scan::DEADLINE_CUT_NOTE))
        })
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

/// Runs `log_scan`, failing with [`Error::RequestInvalid`] (naming the
/// field, or the rule pack's file and line) when the request cannot be
/// carried out. Per-file problems are never errors: they are in the
/// report's coverage.
pub fn try_log_scan(request: &LogScanRequest) -> Result<Report<LogScanData>, Error> {
    let checked = request.check()?;
    let set = checks::load(request.default_rules.unwrap_or(true), &request.rule_paths)?;
    let mut report = ReportBuilder::new("log_scan");
    report.caller(checked.caller.as_deref());
    // The deadline counts from the call, listing included.
    let end = deadline_end(request.deadline_ms, &mut report);
    let (offset, offset_source) = local_offset(request.local_offset_minutes, checked.since);
    if offset_source == "utc_fallback" {
        report.warning(
            "the local UTC offset could not be determined; local-time logs (WGSS, firewall) were \
             read as UTC: pass local_offset_minutes",
        );
    }

    let using_defaults = request.paths.is_empty();
    let mut expanded = if using_defaults {
        locations::defaults()
    } else {
        locations::expand(&request.paths)
    };
    if request.merge_rotated {
        locations::add_siblings(&mut expanded);
    }
    let since_ms = to_ms(checked.since);
    let mut not_scanned = std::mem::take(&mut expanded.not_scanned);
    let files_found = expanded.files.len() as u64 + expanded.omitted;
    let files: Vec<PathBuf> = expanded
        .files
        .into_iter()
        .filter(|f| {
            let modified = std::fs::metadata(f).and_then(|m| m.modified()).ok();
            let modified_ms = modified.and_then(|m| {
                m.duration_since(std::time::UNIX_EPOCH)
                    .ok()
                    .and_then(|d| i64::try_from(d.as_millis()).ok())
            });
            match modified_ms {
                // Logs are appended to: a file last written before the
                // window holds no record inside it.
                Some(m) if m < since_ms => {
                    not_scanned.push(Skipped {
                        path: f.display().to_string(),
                        reason: "older_than_window".to_owned(),
                        detail: format!(
                            "last modified {} before since ({})",
                            collect::utc(m).map_or_else(String::new, |t| t.to_string()),
                            checked.since
                        ),
                    });
                    false
                }
                _ => true,
            }
        })
        .collect();
    let streams = locations::streams(files, request.merge_rotated);
    let settings = scan::Settings {
        since_ms: Some(since_ms),
        until_ms: checked.until.map(to_ms),
        client: checked.client,
        remote: checked.remote,
        port: request.port,
        offset,
        date_order: request.date_order,
        kind: request.kind,
        max_line: checked.max_line,
        ..scan::Settings::unfiltered(checked.max_line)
    };
    let settings = scan::Settings { end, ..settings };
    let outcomes = scan::scan_streams(&set, &settings, &streams);

    // Merge in stream order, so the report does not depend on threads.
    let mut acc: Vec<RuleAcc> = vec![RuleAcc::default(); set.rules.len()];
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut problems_total = 0;
    let mut codes: BTreeMap<u32, u64> = BTreeMap::new();
    let mut coverage = ScanCoverage {
        files_found,
        rules_loaded: set.rules.len() as u64,
        ..ScanCoverage::default()
    };
    let mut slow = std::collections::BTreeSet::new();
    let mut overflows = 0;
    for o in outcomes {
        for (a, b) in acc.iter_mut().zip(o.acc) {
            a.merge(b);
        }
        files.extend(o.files);
        not_scanned.extend(o.not_scanned);
        problems.extend(o.problems);
        problems_total += o.problems_total;
        for (c, n) in o.codes {
            *codes.entry(c).or_insert(0) += n;
        }
        coverage.bytes_read += o.bytes;
        slow.extend(o.slow_rules);
        overflows += o.overflows;
    }
    if let Some(w) = deadline_warning(&not_scanned, &files, request.deadline_ms) {
        report.warning(w);
    }
    if overflows > 0 {
        report.warning(format!(
            "sequence state was cut short {overflows} time(s) (more than 100,000 threads or \
             clients in a window, or 10,000 hits waiting); some sequence hits may be missing"
        ));
    }
    if let Some(w) = scan::long_line_warning(&files, checked.max_line) {
        report.warning(w);
    }
    for f in &files {
        coverage.files_read += 1;
        coverage.lines_read += f.lines;
        coverage.records_examined += f.records_examined;
        *coverage
            .encodings
            .entry(f.encoding.as_str().to_owned())
            .or_insert(0) += 1;
        *coverage
            .kinds
            .entry(f.kind.as_str().to_owned())
            .or_insert(0) += 1;
        coverage.first_time = min_time(coverage.first_time, f.first_time);
        coverage.last_time = max_time(coverage.last_time, f.last_time);
    }
    coverage.files_not_scanned = not_scanned.iter().filter(|n| !n.path.is_empty()).count() as u64;
    coverage.slow_rules = slow.iter().map(|&r| set.rules[r].id.clone()).collect();
    if !coverage.slow_rules.is_empty() {
        report.warning(format!(
            "rules without literal were tried on every record (slow): {}",
            coverage.slow_rules.join(", ")
        ));
    }

    // Rule hits, most severe first, then by count.
    let mut hits: Vec<RuleHit> = acc
        .into_iter()
        .enumerate()
        .filter(|(i, a)| set.rules[*i].report && a.count > 0)
        .map(|(i, a)| a.into_hit(i, &set))
        .collect();
    hits.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| b.count.cmp(&a.count))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    let mut error_codes: Vec<ErrorCodeSeen> = codes
        .into_iter()
        .map(|(c, n)| codes::decode(c, n))
        .collect();
    error_codes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
    error_codes.truncate(MAX_CODES);

    let read = files.len();
    let files_omitted = read.saturating_sub(MAX_FILES_LISTED) as u64;
    files.truncate(MAX_FILES_LISTED);
    let not_scanned_omitted = not_scanned.len().saturating_sub(MAX_NOT_SCANNED) as u64;
    not_scanned.truncate(MAX_NOT_SCANNED);

    let window = ScanWindow {
        since: checked.since,
        since_is_default: checked.since_is_default,
        until: checked.until,
        local_offset: format_offset(offset),
        local_offset_source: offset_source.to_owned(),
    };
    let summary = summarize(&hits, &coverage, read, &window, using_defaults);
    let nothing_matched = hits.is_empty();

    if read == 0 {
        let detail = if using_defaults && !cfg!(windows) {
            "the default locations are Windows folders; none exists on this system".to_owned()
        } else if using_defaults {
            "no log file was found in the default locations".to_owned()
        } else {
            "none of the given paths could be read".to_owned()
        };
        let state = if using_defaults && !cfg!(windows) {
            CoverageState::NotApplicable
        } else if using_defaults {
            CoverageState::Skipped
        } else {
            CoverageState::Failed
        };
        report.coverage("log_files", state, Some(detail.clone()));
        if !using_defaults {
            report.failed();
            report.warning(detail);
        }
    } else {
        report.coverage(
            "log_files",
            CoverageState::Checked,
            Some(format!("{read} file(s) read")),
        );
    }
    report.coverage(
        "rules",
        CoverageState::Checked,
        Some(format!(
            "{} rule(s) from {} pack(s)",
            set.rules.len(),
            set.packs.len()
        )),
    );

    let mut findings: Vec<Finding> = hits.iter().map(|h| finding(h, &set)).collect();
    let mut data = LogScanData {
        summary,
        nothing_matched,
        window,
        rule_packs: set.packs.clone(),
        hits,
        error_codes,
        coverage,
        files,
        files_omitted,
        not_scanned,
        not_scanned_omitted,
        parse_problems: problems,
        parse_problems_total: problems_total,
        searched_locations: expanded.searched,
        trimmed: false,
    };
    if let Some(note) = fit_budget(&mut data, &mut findings) {
        report.warning(note);
    }
    for f in findings {
        report.finding(f);
    }
    Ok(report.finish(data))
}

/// Runs `rule_list`: loads the built-in and the given packs (checking
/// them, samples included) and lists every rule and the error-code
/// table. A bad pack fails with [`Error::RequestInvalid`], whose message
/// starts with the pack's file and line.
pub fn list_rules(request: &RuleListRequest) -> Result<Report<RuleListData>, Error> {
    let set = checks::load(request.default_rules.unwrap_or(true), &request.rule_paths)?;
    let mut report = ReportBuilder::new("rule_list");
    report.caller(request::cap_caller(request.caller.as_deref()).as_deref());
    report.coverage(
        "rules",
        CoverageState::Checked,
        Some(format!(
            "{} rule(s) from {} pack(s)",
            set.rules.len(),
            set.packs.len()
        )),
    );
    let slow: Vec<&str> = set
        .rules
        .iter()
        .filter(|r| r.slow)
        .map(|r| r.id.as_str())
        .collect();
    if !slow.is_empty() {
        report.warning(format!(
            "rules without literal are tried on every record (slow): {}",
            slow.join(", ")
        ));
    }
    let mut rules = set.infos();
    // A thousand rules with long texts would not fit PowerShell 5.1.
    let size: usize = rules
        .iter()
        .map(|r| r.explanation.len() + r.remediation.len() + 600)
        .sum();
    if size > REPORT_BUDGET {
        for r in &mut rules {
            r.explanation = collect::clean(&r.explanation, 300);
            r.remediation = collect::clean(&r.remediation, 300);
        }
        report.warning("rule texts were shortened to keep the report small");
    }
    Ok(report.finish(RuleListData {
        packs: set.packs.clone(),
        rules,
        error_codes: codes::table(),
    }))
}

/// The offset for local-time logs: the request's, this machine's, or UTC.
fn local_offset(minutes: Option<i32>, at: UtcTime) -> (UtcOffset, &'static str) {
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

fn format_offset(o: UtcOffset) -> String {
    let (h, m, _) = o.as_hms();
    let sign = if o.is_negative() { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
}

fn to_ms(t: UtcTime) -> i64 {
    i64::try_from(t.0.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn min_time(a: Option<UtcTime>, b: Option<UtcTime>) -> Option<UtcTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_time(a: Option<UtcTime>, b: Option<UtcTime>) -> Option<UtcTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn time_or(t: Option<UtcTime>, none: &str) -> String {
    t.map_or_else(|| none.to_owned(), |t| t.to_string())
}

/// The one- or two-sentence statement of the result.
fn summarize(
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

/// The finding for one rule hit.
fn finding(hit: &RuleHit, set: &rules::RuleSet) -> Finding {
    let rule = set
        .rules
        .iter()
        .find(|r| r.id == hit.rule_id)
        .expect("hits come from loaded rules");
    let when = match (hit.first_seen, hit.last_seen) {
        (Some(a), Some(b)) if a == b => format!(" at {a}"),
        (Some(a), Some(b)) => format!(" between {a} and {b}"),
        _ => String::new(),
    };
    let files = hit.files.len() as u64 + hit.files_omitted;
    let detail = format!(
        "{} matching record(s) in {files} file(s){when}. {}",
        hit.count, rule.explanation
    );
    let mut f = Finding::new(&hit.rule_id, hit.severity, &hit.title, detail.trim_end())
        .with_evidence("count", hit.count)
        .with_evidence("first_seen", hit.first_seen)
        .with_evidence("last_seen", hit.last_seen)
        .with_evidence("files", hit.files.keys().take(5).collect::<Vec<_>>())
        .with_evidence("rule_pack", &hit.pack);
    if let Some(e) = hit.excerpts.first() {
        f = f.with_evidence("example", format!("{}:{}: {}", e.path, e.line, e.text));
    }
    if !hit.fields.is_empty() {
        let top: BTreeMap<&String, Vec<&String>> = hit
            .fields
            .iter()
            .map(|(k, v)| (k, v.iter().take(3).map(|c| &c.value).collect()))
            .collect();
        f = f.with_evidence("fields", top);
    }
    if !hit.preceded_by.is_empty() {
        f = f.with_evidence("preceded_by", &hit.preceded_by);
    }
    if !rule.remediation.is_empty() {
        f = f.with_remediation(&rule.remediation);
    }
    for r in &rule.refs {
        f = f.with_ref(r);
    }
    f
}

fn json_len<T: serde::Serialize>(v: &T) -> usize {
    serde_json::to_vec(v).map_or(usize::MAX, |b| b.len())
}

/// Cuts lists further, step by step, until data and findings fit the
/// report budget; says what was cut.
fn fit_budget(data: &mut LogScanData, findings: &mut Vec<Finding>) -> Option<String> {
    let size = |d: &LogScanData, f: &Vec<Finding>| json_len(d) + json_len(f);
    if size(data, findings) <= REPORT_BUDGET {
        return None;
    }
    data.trimmed = true;
    type Step = fn(&mut LogScanData, &mut Vec<Finding>);
    let steps: [Step; 7] = [
        |d, _| {
            for h in &mut d.hits {
                for e in &mut h.excerpts {
                    e.before.clear();
                    e.text = collect::clean(&e.text, 200);
                }
            }
        },
        |d, _| {
            for h in &mut d.hits {
                let n = h.locations.len().saturating_sub(3) as u64;
                h.locations.truncate(3);
                h.locations_omitted += n;
                h.excerpts.truncate(1);
            }
            d.parse_problems.truncate(20);
        },
        |d, f| {
            for h in &mut d.hits {
                for v in h.fields.values_mut() {
                    v.truncate(3);
                }
                let n = h.files.len().saturating_sub(3) as u64;
                h.files = std::mem::take(&mut h.files).into_iter().take(3).collect();
                h.files_omitted += n;
            }
            for x in f.iter_mut() {
                x.evidence.remove("example");
                x.evidence.remove("fields");
            }
        },
        |d, _| {
            let n = d.files.len().saturating_sub(50) as u64;
            d.files.truncate(50);
            d.files_omitted += n;
            let n = d.not_scanned.len().saturating_sub(50) as u64;
            d.not_scanned.truncate(50);
            d.not_scanned_omitted += n;
            d.searched_locations.truncate(50);
        },
        |d, f| {
            for x in f.iter_mut() {
                x.detail = collect::clean(&x.detail, 300);
                x.remediation = x.remediation.as_ref().map(|r| collect::clean(r, 300));
                x.evidence.remove("files");
            }
            for h in &mut d.hits {
                h.excerpts.clear();
                h.fields.clear();
                h.fields_omitted.clear();
                let n = h.locations.len().saturating_sub(1) as u64;
                h.locations.truncate(1);
                h.locations_omitted += n;
            }
        },
        |d, _| {
            d.files.clear();
            d.parse_problems.clear();
            d.not_scanned.truncate(10);
        },
        |d, f| {
            // Keep the most severe and most frequent.
            d.hits.truncate(200);
            let keep: Vec<String> = d.hits.iter().map(|h| h.rule_id.clone()).collect();
            f.retain(|x| keep.contains(&x.id));
        },
    ];
    for step in steps {
        step(data, findings);
        if size(data, findings) <= REPORT_BUDGET {
            break;
        }
    }
    Some(format!(
        "the result was shortened to stay under {REPORT_BUDGET} bytes of JSON (data.trimmed)"
    ))
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
