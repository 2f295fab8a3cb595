//! Which column of an exported table holds what: the Intune export
//! report's own names first, then the names people give such columns
//! (`ComputerName`, `StatusLine`, ...). Header names are compared without
//! case, spaces, `_` or `-`, so `Device Name`, `device_name` and
//! `DEVICENAME` are one name.

use std::collections::BTreeMap;

use super::csv::{Record, Table};
use super::source_row::{SourceRow, non_empty};
use super::table_source::TableRead;
use super::timestamps::parse_last_seen;

/// Names of the device-name column, best first.
const DEVICE_NAME: &[&str] = &[
    "devicename",
    "computername",
    "device",
    "computer",
    "hostname",
    "host",
    "machinename",
    "machine",
    "name",
];
/// Names of the device-id column, best first.
const DEVICE_ID: &[&str] = &[
    "deviceid",
    "azureaddeviceid",
    "aaddeviceid",
    "entradeviceid",
    "manageddeviceid",
    "intunedeviceid",
];
/// Names of the (pre-remediation) output column, best first.
const OUTPUT: &[&str] = &[
    "preremediationdetectionscriptoutput",
    "output",
    "statusline",
    "line",
    "detectionoutput",
    "detectionscriptoutput",
    "scriptoutput",
    "result",
];
/// Names of the post-remediation output column.
const POST_OUTPUT: &[&str] = &[
    "postremediationdetectionscriptoutput",
    "postoutput",
    "postremediationoutput",
];
/// Names of Intune's detection state column.
const DETECTION: &[&str] = &["detectionstatus", "detectionstate", "detection"];
/// Names of the "when" column.
const LAST_SEEN: &[&str] = &[
    "modifiedtime",
    "laststateupdatedatetime",
    "lastseen",
    "lastupdate",
    "lastsyncdatetime",
    "timegenerated",
    "timestamp",
    "time",
    "date",
];

/// The column index of each role in a table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ColumnMap {
    device_name: Option<usize>,
    device_id: Option<usize>,
    output: Option<usize>,
    post_output: Option<usize>,
    detection: Option<usize>,
    last_seen: Option<usize>,
    /// Role name to the header as written, for the report.
    pub(crate) used: BTreeMap<String, String>,
}

/// A header compared: lower case, letters and digits only.
fn key(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

impl ColumnMap {
    /// Maps `header`; an error naming the columns found when no device or
    /// no output column is there.
    pub(crate) fn from_header(header: &[String]) -> Result<ColumnMap, String> {
        let keys: Vec<String> = header.iter().map(|h| key(h)).collect();
        let find = |names: &[&str]| {
            names
                .iter()
                .find_map(|name| keys.iter().position(|k| k == name))
        };
        let mut map = ColumnMap {
            device_name: find(DEVICE_NAME),
            device_id: find(DEVICE_ID),
            output: find(OUTPUT),
            post_output: find(POST_OUTPUT),
            detection: find(DETECTION),
            last_seen: find(LAST_SEEN),
            used: BTreeMap::new(),
        };
        // Only a post-remediation column: it is the output.
        if map.output.is_none() {
            map.output = map.post_output.take();
        }
        let mut missing = Vec::new();
        if map.device_name.is_none() && map.device_id.is_none() {
            missing
                .push("device column (DeviceName, DeviceId, Device, ComputerName, Name, Hostname)");
        }
        if map.output.is_none() {
            missing.push(
                "output column (PreRemediationDetectionScriptOutput, Output, StatusLine, Line)",
            );
        }
        if !missing.is_empty() {
            let found: Vec<String> = header
                .iter()
                .map(|h| format!("'{}'", crate::report::safe_text(h, 64)))
                .collect();
            let found = if found.is_empty() {
                "none".to_owned()
            } else {
                found.join(", ")
            };
            return Err(format!(
                "the table has no {}; columns found: {found}",
                missing.join(" and no ")
            ));
        }
        for (role, index) in [
            ("device_name", map.device_name),
            ("device_id", map.device_id),
            ("output", map.output),
            ("post_output", map.post_output),
            ("detection", map.detection),
            ("last_seen", map.last_seen),
        ] {
            if let Some(i) = index {
                map.used.insert(role.to_owned(), header[i].clone());
            }
        }
        Ok(map)
    }

    /// The source row of one record; `origin` is `<file>:<line>`.
    /// Returns whether a last-seen text was there but unreadable.
    pub(crate) fn row(&self, record: &Record, origin: String) -> (SourceRow, bool) {
        let get = |index: Option<usize>| {
            index
                .and_then(|i| record.fields.get(i))
                .and_then(|f| non_empty(f))
        };
        let seen_text = get(self.last_seen);
        let last_seen = seen_text.as_deref().and_then(parse_last_seen);
        let bad_time = seen_text.is_some() && last_seen.is_none();
        (
            SourceRow {
                device_name: get(self.device_name),
                device_id: get(self.device_id),
                output: self.output.and_then(|i| record.fields.get(i).cloned()),
                post_output: self.post_output.and_then(|i| record.fields.get(i).cloned()),
                last_seen,
                detection: get(self.detection),
                origin,
                ..SourceRow::default()
            },
            bad_time,
        )
    }
}

/// The rows of a table read from `name`, with the column map and the
/// warnings.
pub(crate) fn table_rows(table: &Table, name: &str) -> Result<TableRead, String> {
    let Some((header, body)) = table.records.split_first() else {
        return Err("the table is empty: no header line".to_owned());
    };
    let map = ColumnMap::from_header(&header.fields)?;
    let mut warnings = Vec::new();
    let mut bad_times = 0u64;
    let mut first_bad = None;
    let rows = body
        .iter()
        .map(|record| {
            let origin = format!("{name}:{}", record.line);
            let (row, bad) = map.row(record, origin);
            if bad {
                bad_times += 1;
                first_bad.get_or_insert(record.line);
            }
            row
        })
        .collect();
    if let (Some(line), Some(column)) = (first_bad, map.used.get("last_seen")) {
        warnings.push(format!(
            "{bad_times} row(s) have a '{column}' value that is not a time (first at line {line}); they count as never seen"
        ));
    }
    if let Some(line) = table.unclosed_quote_line {
        warnings.push(format!(
            "a quoted field opened at line {line} is not closed; it was read to the end of the table"
        ));
    }
    Ok(TableRead {
        rows,
        columns: map.used,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn export_report_columns_map_in_any_order_and_case() {
        let map = ColumnMap::from_header(&header(&[
            "ModifiedTime",
            "postremediationdetectionscriptoutput",
            "DEVICEID",
            "DetectionStatus_loc",
            "DetectionStatus",
            "PreRemediationDetectionScriptOutput",
            "Device Name",
        ]))
        .unwrap();
        assert_eq!(map.device_name, Some(6));
        assert_eq!(map.device_id, Some(2));
        assert_eq!(map.output, Some(5));
        assert_eq!(map.post_output, Some(1));
        assert_eq!(map.detection, Some(4));
        assert_eq!(map.last_seen, Some(0));
        assert_eq!(map.used["device_name"], "Device Name");
    }

    #[test]
    fn common_names_map() {
        for (device, output) in [
            ("ComputerName", "StatusLine"),
            ("Hostname", "Line"),
            ("name", "output"),
            ("Device", "status_line"),
        ] {
            let map = ColumnMap::from_header(&header(&["x", device, output])).unwrap();
            assert_eq!(
                (map.device_name, map.output),
                (Some(1), Some(2)),
                "{device}"
            );
        }
        // The better name wins over a weaker one anywhere in the header.
        let map = ColumnMap::from_header(&header(&["Name", "DeviceName", "Output"])).unwrap();
        assert_eq!(map.device_name, Some(1));
    }

    #[test]
    fn missing_columns_are_named_with_those_found() {
        let e = ColumnMap::from_header(&header(&["Serial", "Output"])).unwrap_err();
        assert!(e.contains("has no device column (DeviceName"), "{e}");
        assert!(e.contains("'Serial', 'Output'"), "{e}");
        let e = ColumnMap::from_header(&header(&["DeviceName", "Status"])).unwrap_err();
        assert!(
            e.contains("output column") && e.contains("'DeviceName', 'Status'"),
            "{e}"
        );
        let e = ColumnMap::from_header(&header(&["a"])).unwrap_err();
        assert!(
            e.contains("device column") && e.contains("output column"),
            "{e}"
        );
        // An id alone is a device column; a post output alone is the output.
        let map = ColumnMap::from_header(&header(&[
            "DeviceId",
            "PostRemediationDetectionScriptOutput",
        ]))
        .unwrap();
        assert_eq!(
            (map.device_id, map.output, map.post_output),
            (Some(0), Some(1), None)
        );
    }
}
