//! The devices as one text table (`crate::report::table`): 10,000 rows
//! cross the C ABI as one string that the module's C# turns into
//! `NymiDiag.FleetDevice` objects, because `ConvertFrom-Json` of 10,000
//! objects costs more than `Import-Csv` of them. Column names and order
//! are those of `NymiDiag.FleetDevice`, in snake_case.

use super::rollup::DeviceRow;
use crate::report::table::TextTable;
use crate::time_fmt::UtcTime;

/// The table's columns, in order.
pub const DEVICE_COLUMNS: [&str; 25] = [
    "device_name",
    "device_id",
    "status",
    "code",
    "parse_status",
    "parse_problem",
    "version",
    "ksp",
    "ksp_found",
    "ksp_expected",
    "nes",
    "stage",
    "finding",
    "confidence",
    "expiry",
    "expires_in_days",
    "site",
    "logs",
    "detail",
    "repair",
    "detection",
    "last_seen",
    "source",
    "origin",
    "line",
];

/// The table text of `devices`.
pub(crate) fn device_table(devices: &[DeviceRow]) -> String {
    let mut table = TextTable::new(&DEVICE_COLUMNS);
    for d in devices {
        let f = &d.fields;
        let version = f.version.map(|v| v.to_string());
        let ksp_found = f.ksp_found.map(|v| v.to_string());
        let ksp_expected = f.ksp_expected.map(|v| v.to_string());
        let expiry = d
            .expiry
            .map(|e| format!("{:04}-{:02}-{:02}", e.year(), u8::from(e.month()), e.day()));
        let expires_in_days = d.expires_in_days.map(|v| v.to_string());
        let last_seen = d.last_seen.map(|t| UtcTime::from(t).to_iso8601());
        table.push(&[
            d.device_name.as_deref(),
            d.device_id.as_deref(),
            f.status.as_deref(),
            f.code.as_deref(),
            Some(d.parse_status),
            d.parse_problem.as_deref(),
            version.as_deref(),
            f.ksp.as_deref(),
            ksp_found.as_deref(),
            ksp_expected.as_deref(),
            f.nes.as_deref(),
            f.stage.as_deref(),
            f.finding.as_deref(),
            f.confidence.as_deref(),
            expiry.as_deref(),
            expires_in_days.as_deref(),
            d.site.as_deref(),
            f.logs.as_deref(),
            f.detail.as_deref(),
            f.repair.as_deref(),
            d.detection.as_deref(),
            last_seen.as_deref(),
            Some(d.source.as_str()),
            Some(d.origin.as_str()),
            Some(d.line.as_str()),
        ]);
    }
    table.finish()
}
