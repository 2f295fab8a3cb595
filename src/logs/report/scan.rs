//! The `log_scan` and `rule_list` reports, step by step.

use super::budget::{REPORT_BUDGET, fit_budget};
use super::findings::{error_codes, finding, hits};
use super::merge::{Merged, coverage, merge};
use super::selection::{Selection, select};
use super::summary::{
    OFFSET_UNKNOWN, Searched, deadline_warning, nothing_read, overflow_warning, slow_warning,
    summarize,
};
use super::time::{deadline_end, format_offset, local_offset, to_ms};
use crate::Error;
use crate::logs::checks;
use crate::logs::engine::{self, Settings, long_line_warning};
use crate::logs::model::clean::clean;
use crate::logs::model::request::Checked;
use crate::logs::model::{
    LogScanData, LogScanRequest, RuleListData, RuleListRequest, ScanCoverage, ScanWindow, codes,
};
use crate::logs::rules::RuleSet;
use crate::report::Capability;
use crate::report::{CoverageState, Finding, Report, ReportBuilder};
use crate::time_fmt::UtcTime;

/// Caps of the lists in `data`.
const MAX_FILES_LISTED: usize = 500;
const MAX_NOT_SCANNED: usize = 200;

/// The report of a request that could not be carried out: status
/// `error`, the reason in `warnings`, nothing scanned.
pub(crate) fn error_report(request: &LogScanRequest, e: &Error) -> Report<LogScanData> {
    let mut report = ReportBuilder::new(Capability::LogScan.name());
    report.caller(request.caller.as_deref());
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

/// Runs `log_scan`: checks the request, loads the packs, chooses the
/// files, scans them and reports.
pub(crate) fn scan(request: &LogScanRequest) -> Result<Report<LogScanData>, Error> {
    let checked = request.check()?;
    let set = checks::load(request.default_rules.unwrap_or(true), &request.rule_paths)?;
    let mut report = ReportBuilder::new(Capability::LogScan.name());
    report.caller(checked.caller.as_deref());
    // The deadline counts from the call, listing included.
    let end = deadline_end(request.deadline_ms, &mut report);
    let (offset, offset_source) = local_offset(request.local_offset_minutes, checked.since);
    if offset_source == "utc_fallback" {
        report.warning(OFFSET_UNKNOWN);
    }
    let since_ms = to_ms(checked.since);
    let mut selection = select(request, &checked, since_ms);
    let settings = Settings {
        since_ms: Some(since_ms),
        until_ms: checked.until.map(to_ms),
        client: checked.client.clone(),
        remote: checked.remote.clone(),
        port: request.port,
        offset,
        date_order: request.date_order,
        kind: request.kind,
        max_line: checked.max_line,
        end,
        ..Settings::unfiltered(checked.max_line)
    };
    let outcomes = engine::scan_streams(&set, &settings, &selection.streams);
    let merged = merge(&set, std::mem::take(&mut selection.not_scanned), outcomes);
    let window = ScanWindow {
        since: checked.since,
        since_is_default: checked.since_is_default,
        until: checked.until,
        local_offset: format_offset(offset),
        local_offset_source: offset_source.to_owned(),
    };
    Ok(build(
        report, request, &checked, &set, selection, merged, window,
    ))
}

/// The report of a scan whose streams were merged into `m`.
fn build(
    mut report: ReportBuilder,
    request: &LogScanRequest,
    checked: &Checked,
    set: &RuleSet,
    selection: Selection,
    m: Merged,
    window: ScanWindow,
) -> Report<LogScanData> {
    let coverage = coverage(&m, set, selection.files_found);
    let warnings = [
        deadline_warning(&m.not_scanned, &m.files, request.deadline_ms),
        overflow_warning(m.overflows),
        long_line_warning(&m.files, checked.max_line),
        slow_warning(&coverage.slow_rules, "were"),
    ];
    for w in warnings.into_iter().flatten() {
        report.warning(w);
    }
    let hits = hits(m.acc, set);
    let error_codes = error_codes(m.codes);
    let (mut files, mut not_scanned) = (m.files, m.not_scanned);
    let read = files.len();
    let files_omitted = read.saturating_sub(MAX_FILES_LISTED) as u64;
    files.truncate(MAX_FILES_LISTED);
    let not_scanned_omitted = not_scanned.len().saturating_sub(MAX_NOT_SCANNED) as u64;
    not_scanned.truncate(MAX_NOT_SCANNED);

    let summary = summarize(&hits, &coverage, read, &window, selection.using_defaults);
    file_coverage(&mut report, read, Searched::of(selection.using_defaults));
    rules_coverage(&mut report, set);
    let mut findings: Vec<Finding> = hits.iter().map(|h| finding(h, set)).collect();
    let mut data = LogScanData {
        summary,
        nothing_matched: hits.is_empty(),
        window,
        rule_packs: set.packs.clone(),
        hits,
        error_codes,
        coverage,
        files,
        files_omitted,
        not_scanned,
        not_scanned_omitted,
        parse_problems: m.problems,
        parse_problems_total: m.problems_total,
        searched_locations: selection.searched,
        trimmed: false,
    };
    if let Some(note) = fit_budget(&mut data, &mut findings) {
        report.warning(note);
    }
    for f in findings {
        report.finding(f);
    }
    report.finish(data)
}

/// The `log_files` coverage of a scan that read `read` files.
fn file_coverage(report: &mut ReportBuilder, read: usize, searched: Searched) {
    if read > 0 {
        report.coverage(
            "log_files",
            CoverageState::Checked,
            Some(format!("{read} file(s) read")),
        );
        return;
    }
    let (state, detail, failed) = nothing_read(searched);
    report.coverage("log_files", state, Some(detail.to_owned()));
    if failed {
        report.failed();
        report.warning(detail);
    }
}

/// The `rules` coverage: how many rules from how many packs.
fn rules_coverage(report: &mut ReportBuilder, set: &RuleSet) {
    report.coverage(
        "rules",
        CoverageState::Checked,
        Some(format!(
            "{} rule(s) from {} pack(s)",
            set.rules.len(),
            set.packs.len()
        )),
    );
}

/// Runs `rule_list`: loads and checks the packs and lists every rule and
/// the error-code table.
pub(crate) fn list(request: &RuleListRequest) -> Result<Report<RuleListData>, Error> {
    let set = checks::load(request.default_rules.unwrap_or(true), &request.rule_paths)?;
    let mut report = ReportBuilder::new(Capability::RuleList.name());
    report.caller(request.caller.as_deref());
    rules_coverage(&mut report, &set);
    let slow: Vec<String> = set
        .rules
        .iter()
        .filter(|r| r.slow)
        .map(|r| r.id.clone())
        .collect();
    if let Some(w) = slow_warning(&slow, "are") {
        report.warning(w);
    }
    let mut rules = set.infos();
    // A thousand rules with long texts would not fit PowerShell 5.1.
    let size: usize = rules
        .iter()
        .map(|r| r.explanation.len() + r.remediation.len() + 600)
        .sum();
    if size > REPORT_BUDGET {
        for r in &mut rules {
            r.explanation = clean(&r.explanation, 300);
            r.remediation = clean(&r.remediation, 300);
        }
        report.warning("rule texts were shortened to keep the report small");
    }
    Ok(report.finish(RuleListData {
        packs: set.packs.clone(),
        rules,
        error_codes: codes::table(),
    }))
}
