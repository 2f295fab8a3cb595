//! `nymidiag_status_lines`: many status lines read at once, for
//! `ConvertFrom-NymiStatusLine` and the fleet roll-up.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ParseStatus, StatusLineFields, parse};
use crate::error::Error;
use crate::report::table::TextTable;
use crate::report::{Capability, CoverageState, Report, ReportBuilder};

/// Most lines one call reads: the caller sends a larger set in parts, so
/// that neither side holds an unbounded request.
pub const MAX_LINES: usize = 100_000;

/// Request of `nymidiag_status_lines`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusLinesRequest {
    /// The texts to read, at most 100,000; each is a script's output (its
    /// last non-blank line is read) or one line. `null` reads as empty.
    pub lines: Vec<Option<String>>,
    /// Free text naming the caller, recorded in `context.caller`.
    #[serde(default)]
    pub caller: Option<String>,
}

/// `data` of a `status_lines` report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusLinesData {
    /// One row per line, in the request's order, as a text table (see
    /// `TextTable`): columns `status`, `code`, `version`, `ksp`,
    /// `ksp_found`, `ksp_expected`, `nes`, `stage`, `finding`,
    /// `confidence`, `expiry`, `site`, `logs`, `detail`, `repair`,
    /// `repair_before`, `repair_after`, `repair_reason`, `parse_status`
    /// (`ok`, `truncated`, `empty`, `malformed`), `parse_problem`, `line`.
    pub table: String,
    /// Lines per `parse_status`.
    pub counts: BTreeMap<String, u64>,
}

/// The table columns of [`StatusLinesData::table`].
pub(crate) const COLUMNS: [&str; 21] = [
    "status",
    "code",
    "version",
    "ksp",
    "ksp_found",
    "ksp_expected",
    "nes",
    "stage",
    "finding",
    "confidence",
    "expiry",
    "site",
    "logs",
    "detail",
    "repair",
    "repair_before",
    "repair_after",
    "repair_reason",
    "parse_status",
    "parse_problem",
    "line",
];

impl StatusLineFields {
    /// The values in [`COLUMNS`] order.
    pub(crate) fn values(&self) -> [Option<String>; 21] {
        let n = |v: Option<u64>| v.map(|n| n.to_string());
        [
            self.status.clone(),
            self.code.clone(),
            self.version.map(|v| v.to_string()),
            self.ksp.clone(),
            n(self.ksp_found),
            n(self.ksp_expected),
            self.nes.clone(),
            self.stage.clone(),
            self.finding.clone(),
            self.confidence.clone(),
            self.expiry.clone(),
            self.site.clone(),
            self.logs.clone(),
            self.detail.clone(),
            self.repair.clone(),
            self.repair_before.clone(),
            self.repair_after.clone(),
            self.repair_reason.clone(),
            self.parse_status.map(|s| s.word().to_owned()),
            self.problem.clone(),
            Some(self.line.clone()),
        ]
    }
}

/// Runs `status_lines`: never fails on a line, only on a request with more
/// than [`MAX_LINES`] lines.
pub fn parse_status_lines(request: &StatusLinesRequest) -> Result<Report<StatusLinesData>, Error> {
    if request.lines.len() > MAX_LINES {
        return Err(Error::RequestInvalid {
            path: "lines".to_owned(),
            message: format!(
                "{} lines is more than the {MAX_LINES} one call reads; send them in parts",
                request.lines.len()
            ),
        });
    }
    let mut table = TextTable::new(&COLUMNS);
    let mut counts: BTreeMap<String, u64> = [
        ParseStatus::Ok,
        ParseStatus::Truncated,
        ParseStatus::Empty,
        ParseStatus::Malformed,
    ]
    .into_iter()
    .map(|s| (s.word().to_owned(), 0))
    .collect();
    for text in &request.lines {
        let fields = parse(text.as_deref().unwrap_or(""));
        if let Some(status) = fields.parse_status {
            *counts.entry(status.word().to_owned()).or_default() += 1;
        }
        let values = fields.values();
        let row: Vec<Option<&str>> = values.iter().map(Option::as_deref).collect();
        table.push(&row);
    }
    let mut report = ReportBuilder::new(Capability::StatusLines.name());
    report.caller(request.caller.as_deref());
    report.coverage("lines", CoverageState::Checked, None);
    Ok(report.finish(StatusLinesData {
        table: table.finish(),
        counts,
    }))
}
