//! The fleet report (`nymidiag_fleet_report`): the status lines of
//! thousands of terminals rolled up by cause. The lines come from an
//! exported table (the Intune export report `DeviceRunStatesByProactiveRemediation`
//! as CSV or as the zip Graph hands out, or any table with a device column
//! and an output column), from a folder tree of JSON reports (as
//! `Save-NymiReport` and the Intune and GPO scripts write them), or as rows
//! in the request (Graph's `deviceRunStates`, pipeline objects). One row per
//! device is kept, the newest; the lines are parsed by the one status-line
//! parser; the devices are grouped by verdict, stage, NES and site, and
//! those whose certificates expire soon, whose result is old, or whose line
//! could not be read are listed by index.
//!
//! ```
//! use nymidiag::fleet::{FleetInputRow, FleetReportRequest, fleet_report};
//!
//! let request = FleetReportRequest {
//!     rows: Some(vec![FleetInputRow {
//!         device_name: Some("PC-01".into()),
//!         output: Some("STATUS=OK v=1 code=HEALTHY ksp=20/20 nes=nes.example:443 stage=none finding=none confidence=high expiry=2026-06-01 logs=none".into()),
//!         ..FleetInputRow::default()
//!     }]),
//!     now: Some(nymidiag::time_fmt::UtcTime::parse("2026-05-30T00:00:00Z").unwrap()),
//!     ..FleetReportRequest::default()
//! };
//! let report = fleet_report(&request).unwrap();
//! assert_eq!(report.data.total, 1);
//! assert_eq!(report.data.by_verdict[0].name, "HEALTHY");
//! assert_eq!(report.data.expiring, [0]);
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::report::{Capability, CoverageState, Report, ReportBuilder};
use crate::time_fmt::UtcTime;

mod columns;
mod csv;
mod device_table;
mod report_files;
mod rollup;
mod source_row;
mod table_source;
mod text_decode;
mod timestamps;

pub use device_table::DEVICE_COLUMNS;

use rollup::{RollupSettings, roll_up};
use source_row::{SourceRow, non_empty};

/// Most device rows one report reads (CSV rows, report files or request
/// rows).
pub const MAX_ROWS: usize = 1_000_000;
/// Largest `expiring_days` and `stale_days`.
const MAX_DAYS: u32 = 3650;

/// Request of `nymidiag_fleet_report`: exactly one of `csv`, `reports` and
/// `rows`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FleetReportRequest {
    /// A `.csv` file, or a `.zip` holding one: the Intune export report
    /// (`DeviceName`, `DeviceId`, `PreRemediationDetectionScriptOutput`,
    /// `PostRemediationDetectionScriptOutput`, `DetectionStatus`,
    /// `ModifiedTime`) or any table with a device column and an output
    /// column. Headers are matched without case; `,`, `;` or tab; UTF-8
    /// with or without BOM, or UTF-16 with BOM.
    #[serde(default)]
    pub csv: Option<String>,
    /// A folder: every `*.json` file below it (diagnose reports and the
    /// host scripts' run records), at most 16 levels deep; links to
    /// folders or to outside the folder are not followed.
    #[serde(default)]
    pub reports: Option<String>,
    /// Device rows given directly (Graph's `deviceRunStates`, pipeline
    /// objects).
    #[serde(default)]
    pub rows: Option<Vec<FleetInputRow>>,
    /// Where `rows` came from, shown as each device's `source`:
    /// `pipeline` (default) or `graph`.
    #[serde(default)]
    pub rows_source: Option<FleetSource>,
    /// The time the report is made at (RFC 3339); default the clock. Days
    /// to expiry and staleness count from it.
    #[serde(default)]
    pub now: Option<UtcTime>,
    /// Certificates expiring on or before now + this many days (7), or
    /// expired, are listed in `expiring`. At most 3650.
    #[serde(default)]
    pub expiring_days: Option<u32>,
    /// Results older than now - this many days (8) are listed in `stale`.
    /// At most 3650.
    #[serde(default)]
    pub stale_days: Option<u32>,
    /// Free text naming the caller, copied into `context.caller`
    /// (at most 256 characters are kept).
    #[serde(default)]
    pub caller: Option<String>,
}

/// One device row of a request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FleetInputRow {
    /// The device's name.
    #[serde(default)]
    pub device_name: Option<String>,
    /// The device's id (Intune or Entra).
    #[serde(default)]
    pub device_id: Option<String>,
    /// The detection script's output (before remediation).
    #[serde(default)]
    pub output: Option<String>,
    /// The detection script's output after remediation; read instead of
    /// `output` when it has text.
    #[serde(default)]
    pub post_output: Option<String>,
    /// When the result was reported (RFC 3339; a time without offset is
    /// UTC).
    #[serde(default)]
    pub last_seen: Option<String>,
    /// Intune's detection state, as given.
    #[serde(default)]
    pub detection: Option<String>,
    /// Where the row came from, shown as the device's `origin` (a
    /// remediation id); default `rows[<index>]`.
    #[serde(default)]
    pub origin: Option<String>,
}

/// Where a fleet report's rows came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FleetSource {
    /// Graph's `deviceRunStates` of a remediation.
    Graph,
    /// An exported table.
    Csv,
    /// A folder of JSON reports.
    Reports,
    /// Objects given by the caller.
    Pipeline,
}

impl FleetSource {
    /// The word in reports and device rows (`csv`).
    pub const fn as_str(self) -> &'static str {
        match self {
            FleetSource::Graph => "graph",
            FleetSource::Csv => "csv",
            FleetSource::Reports => "reports",
            FleetSource::Pipeline => "pipeline",
        }
    }
}

/// Devices sharing one value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FleetGroup {
    /// The value (`NEA_CERTS_NOT_RETRIEVED_DNS`, `tcp`, `nes01:443`);
    /// `(none)` for devices without one.
    pub name: String,
    /// How many devices have it.
    pub count: u64,
}

/// Devices per outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FleetCounts {
    /// Lines with `STATUS=OK`.
    pub ok: u64,
    /// Lines with `STATUS=ISSUE`.
    pub issue: u64,
    /// Lines with `STATUS=ERROR`.
    pub error: u64,
    /// Devices in `unparsed`.
    pub unparsed: u64,
    /// Devices in `expiring`.
    pub expiring: u64,
    /// Devices in `stale`.
    pub stale: u64,
}

/// `data` of a `fleet_report` report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FleetReportData {
    /// Where the rows came from.
    pub source: FleetSource,
    /// The file or folder read; `null` for request rows.
    pub input: Option<String>,
    /// The time the report was made at.
    pub now: UtcTime,
    /// The `expiring_days` used.
    pub expiring_days: u32,
    /// The `stale_days` used.
    pub stale_days: u32,
    /// Rows read (CSV records, report files, request rows).
    pub rows: u64,
    /// Devices: rows after the newest row per device was kept.
    pub total: u64,
    /// Older rows of a device that a newer one replaced.
    pub duplicates: u64,
    /// Devices per outcome.
    pub counts: FleetCounts,
    /// Devices per verdict code, most first.
    pub by_verdict: Vec<FleetGroup>,
    /// Devices per failing stage, most first.
    pub by_stage: Vec<FleetGroup>,
    /// Devices per NES (`host:port`), most first.
    pub by_nes: Vec<FleetGroup>,
    /// Devices per site, most first.
    pub by_site: Vec<FleetGroup>,
    /// Indices (0-based, into `devices`) of devices whose earliest NEA
    /// certificate expires on or before now + `expiring_days`, expired
    /// ones included.
    pub expiring: Vec<u32>,
    /// Indices of devices whose last result is older than now -
    /// `stale_days` (devices with no time are not stale).
    pub stale: Vec<u32>,
    /// Indices of devices whose `parse_status` is not `ok`: the line is
    /// `truncated`, `empty` or `malformed`, the report file is
    /// `unreadable` (partial, another schema version, not a report), or
    /// the row names `no_device`; `parse_problem` says why.
    pub unparsed: Vec<u32>,
    /// For a table: which column was read for what (`device_name` ->
    /// `DeviceName`).
    pub columns: BTreeMap<String, String>,
    /// The devices, one per line, as a text table: the first line the
    /// column names (`DEVICE_COLUMNS`) joined by tabs, then one line per
    /// device, sorted by name; fields escaped as `crate::report::table`
    /// writes them (an empty field is null).
    pub devices: String,
}

/// Runs `fleet_report`.
pub fn fleet_report(request: &FleetReportRequest) -> Result<Report<FleetReportData>, Error> {
    let invalid = |path: &str, message: String| Error::RequestInvalid {
        path: path.to_owned(),
        message,
    };
    let given = [
        request.csv.is_some(),
        request.reports.is_some(),
        request.rows.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(invalid(
            ".",
            "give exactly one source: csv, reports or rows".to_owned(),
        ));
    }
    let expiring_days = request.expiring_days.unwrap_or(7);
    let stale_days = request.stale_days.unwrap_or(8);
    for (name, value) in [("expiring_days", expiring_days), ("stale_days", stale_days)] {
        if value > MAX_DAYS {
            return Err(invalid(name, format!("{value} is more than {MAX_DAYS}")));
        }
    }
    let now = request.now.unwrap_or_else(UtcTime::now);
    let mut report = ReportBuilder::new(Capability::FleetReport.name());
    report.caller(request.caller.as_deref());

    let mut columns = BTreeMap::new();
    let (rows, source, input) = if let Some(path) = &request.csv {
        let read = table_source::read_table_source(Path::new(path), MAX_ROWS)
            .map_err(|m| invalid("csv", m))?;
        for w in read.warnings {
            report.warning(w);
        }
        columns = read.columns;
        (read.rows, FleetSource::Csv, Some(path.clone()))
    } else if let Some(path) = &request.reports {
        let read = report_files::read_report_folder(Path::new(path), MAX_ROWS)
            .map_err(|m| invalid("reports", m))?;
        for w in read.warnings {
            report.warning(w);
        }
        (read.rows, FleetSource::Reports, Some(path.clone()))
    } else {
        let given = request.rows.as_deref().unwrap_or_default();
        if given.len() > MAX_ROWS {
            return Err(invalid(
                "rows",
                format!("{} rows; at most {MAX_ROWS} are read", given.len()),
            ));
        }
        let source = match request.rows_source {
            None | Some(FleetSource::Pipeline) => FleetSource::Pipeline,
            Some(FleetSource::Graph) => FleetSource::Graph,
            Some(other) => {
                return Err(invalid(
                    "rows_source",
                    format!(
                        "'{}' is not a source of rows: graph or pipeline",
                        other.as_str()
                    ),
                ));
            }
        };
        let (rows, bad_times) = request_rows(given);
        if bad_times > 0 {
            report.warning(format!(
                "{bad_times} row(s) have a last_seen that is not a time; they count as never seen"
            ));
        }
        (rows, source, None)
    };

    let rollup = roll_up(
        rows,
        RollupSettings {
            now: now.0,
            expiring_days,
            stale_days,
            source,
        },
    );
    report.coverage(source.as_str(), CoverageState::Checked, None);
    let devices = device_table::device_table(&rollup.devices);
    Ok(report.finish(FleetReportData {
        source,
        input,
        now,
        expiring_days,
        stale_days,
        rows: rollup.rows,
        total: rollup.devices.len() as u64,
        duplicates: rollup.duplicates,
        counts: rollup.counts,
        by_verdict: rollup.by_verdict,
        by_stage: rollup.by_stage,
        by_nes: rollup.by_nes,
        by_site: rollup.by_site,
        expiring: rollup.expiring,
        stale: rollup.stale,
        unparsed: rollup.unparsed,
        columns,
        devices,
    }))
}

/// The source rows of request rows, and how many had an unreadable time.
fn request_rows(given: &[FleetInputRow]) -> (Vec<SourceRow>, u64) {
    let mut bad_times = 0;
    let rows = given
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let seen_text = r.last_seen.as_deref().and_then(non_empty);
            let last_seen = seen_text.as_deref().and_then(timestamps::parse_last_seen);
            if seen_text.is_some() && last_seen.is_none() {
                bad_times += 1;
            }
            SourceRow {
                device_name: r.device_name.as_deref().and_then(non_empty),
                device_id: r.device_id.as_deref().and_then(non_empty),
                output: r.output.clone(),
                post_output: r.post_output.clone(),
                last_seen,
                detection: r.detection.as_deref().and_then(non_empty),
                origin: r
                    .origin
                    .as_deref()
                    .and_then(non_empty)
                    .unwrap_or_else(|| format!("rows[{i}]")),
                ..SourceRow::default()
            }
        })
        .collect();
    (rows, bad_times)
}
