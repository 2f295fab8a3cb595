//! The roll-up: one row per device (the newest), each line parsed, the
//! devices grouped by verdict, stage, NES and site, and the ones whose
//! certificates expire soon, whose result is old, or whose line could not
//! be read picked out.

use std::collections::HashMap;

use time::{Date, Duration, OffsetDateTime};

use super::source_row::SourceRow;
use super::{FleetCounts, FleetGroup, FleetSource};
use crate::diagnose::status_line::{ParseStatus, StatusLineFields, parse};
use crate::report::safe_text;

/// Longest device name, id or origin kept, in characters.
const MAX_NAME_CHARS: usize = 256;
/// Longest line kept: Intune keeps 2,048 characters; a CSV may hold more.
const MAX_LINE_CHARS: usize = 4096;
/// The group name of a missing value.
pub(crate) const NONE_GROUP: &str = "(none)";

/// One device of the roll-up: the fields of `NymiDiag.FleetDevice`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DeviceRow {
    pub(crate) device_name: Option<String>,
    pub(crate) device_id: Option<String>,
    pub(crate) fields: StatusLineFields,
    /// `ok`, `truncated`, `empty`, `malformed` (the line's), or
    /// `unreadable` (the source record) and `no_device` (no name, no id).
    pub(crate) parse_status: &'static str,
    pub(crate) parse_problem: Option<String>,
    pub(crate) expiry: Option<Date>,
    pub(crate) expires_in_days: Option<i64>,
    pub(crate) site: Option<String>,
    pub(crate) detection: Option<String>,
    pub(crate) last_seen: Option<OffsetDateTime>,
    pub(crate) source: FleetSource,
    pub(crate) origin: String,
    pub(crate) line: String,
}

/// The roll-up of a set of source rows.
#[derive(Debug, Default)]
pub(crate) struct Rollup {
    /// One row per device, sorted by name (rows with no device last).
    pub(crate) devices: Vec<DeviceRow>,
    /// Rows read.
    pub(crate) rows: u64,
    /// Older rows of a device that a newer one replaced.
    pub(crate) duplicates: u64,
    pub(crate) counts: FleetCounts,
    pub(crate) by_verdict: Vec<FleetGroup>,
    pub(crate) by_stage: Vec<FleetGroup>,
    pub(crate) by_nes: Vec<FleetGroup>,
    pub(crate) by_site: Vec<FleetGroup>,
    pub(crate) expiring: Vec<u32>,
    pub(crate) stale: Vec<u32>,
    pub(crate) unparsed: Vec<u32>,
}

/// Settings of one roll-up.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RollupSettings {
    pub(crate) now: OffsetDateTime,
    pub(crate) expiring_days: u32,
    pub(crate) stale_days: u32,
    pub(crate) source: FleetSource,
}

/// Rolls `rows` up.
pub(crate) fn roll_up(rows: Vec<SourceRow>, settings: RollupSettings) -> Rollup {
    let total_rows = rows.len() as u64;
    // Newest row per device; ties go to the later row. Rows with no device
    // and unreadable records are never merged: each stays, as its own row.
    let mut kept: Vec<Option<SourceRow>> = Vec::with_capacity(rows.len());
    let mut by_key: HashMap<String, usize> = HashMap::with_capacity(rows.len());
    let mut duplicates = 0u64;
    for row in rows {
        let key = device_key(&row);
        match key {
            Some(key) if row.unreadable.is_none() => match by_key.get(&key) {
                Some(&at) => {
                    duplicates += 1;
                    let older = kept[at]
                        .as_ref()
                        .is_some_and(|k| k.last_seen <= row.last_seen);
                    if older {
                        kept[at] = Some(row);
                    }
                }
                None => {
                    by_key.insert(key, kept.len());
                    kept.push(Some(row));
                }
            },
            _ => kept.push(Some(row)),
        }
    }
    let mut devices: Vec<DeviceRow> = kept
        .into_iter()
        .flatten()
        .map(|row| device_row(row, &settings))
        .collect();
    // By name, without case; rows with no name after those with one, in
    // the order read (the sort is stable).
    devices.sort_by_cached_key(|d| {
        (
            d.device_name.is_none(),
            d.device_name.as_deref().map(str::to_lowercase),
            d.device_id.as_deref().map(str::to_lowercase),
        )
    });
    let mut rollup = Rollup {
        rows: total_rows,
        duplicates,
        ..Rollup::default()
    };
    let expiring_until = (settings.now + Duration::days(i64::from(settings.expiring_days))).date();
    let stale_before = settings.now - Duration::days(i64::from(settings.stale_days));
    for (index, d) in devices.iter().enumerate() {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        match d.fields.status.as_deref() {
            Some("OK") => rollup.counts.ok += 1,
            Some("ISSUE") => rollup.counts.issue += 1,
            Some("ERROR") => rollup.counts.error += 1,
            _ => {}
        }
        if d.expiry.is_some_and(|e| e <= expiring_until) {
            rollup.expiring.push(index);
        }
        if d.last_seen.is_some_and(|t| t < stale_before) {
            rollup.stale.push(index);
        }
        if d.parse_status != "ok" {
            rollup.unparsed.push(index);
        }
    }
    rollup.counts.expiring = rollup.expiring.len() as u64;
    rollup.counts.stale = rollup.stale.len() as u64;
    rollup.counts.unparsed = rollup.unparsed.len() as u64;
    rollup.by_verdict = groups(devices.iter().map(|d| d.fields.code.as_deref()));
    rollup.by_stage = groups(devices.iter().map(|d| d.fields.stage.as_deref()));
    rollup.by_nes = groups(devices.iter().map(|d| d.fields.nes.as_deref()));
    rollup.by_site = groups(devices.iter().map(|d| d.site.as_deref()));
    rollup.devices = devices;
    rollup
}

/// The device's key: its id when it has one, else its name; no case.
fn device_key(row: &SourceRow) -> Option<String> {
    if let Some(id) = &row.device_id {
        return Some(format!("id:{}", id.to_lowercase()));
    }
    row.device_name
        .as_ref()
        .map(|n| format!("name:{}", n.to_lowercase()))
}

fn device_row(row: SourceRow, settings: &RollupSettings) -> DeviceRow {
    let output = row.effective_output();
    let fields = parse(output);
    let mut parse_status = fields.parse_status.unwrap_or(ParseStatus::Malformed).word();
    let mut parse_problem = fields.problem.clone();
    if let Some(reason) = &row.unreadable {
        parse_status = "unreadable";
        parse_problem = Some(reason.clone());
    } else if row.device_name.is_none() && row.device_id.is_none() {
        parse_status = "no_device";
        parse_problem =
            Some("the row names no device (no device name and no device id)".to_owned());
    }
    let expiry = fields
        .expiry
        .as_deref()
        .and_then(parse_date)
        .or(row.expiry_fallback);
    let expires_in_days = expiry.map(|e| (e - settings.now.date()).whole_days());
    let site = fields.site.clone().or_else(|| row.site_fallback.clone());
    let line = safe_text(&fields.line, MAX_LINE_CHARS);
    DeviceRow {
        device_name: row.device_name.map(|n| safe_text(&n, MAX_NAME_CHARS)),
        device_id: row.device_id.map(|n| safe_text(&n, MAX_NAME_CHARS)),
        fields,
        parse_status,
        parse_problem,
        expiry,
        expires_in_days,
        site,
        detection: row.detection.map(|n| safe_text(&n, MAX_NAME_CHARS)),
        last_seen: row.last_seen,
        source: settings.source,
        origin: safe_text(&row.origin, MAX_NAME_CHARS * 4),
        line,
    }
}

/// `YYYY-MM-DD`.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, format).ok()
}

/// Counts per value, most first, then by name.
fn groups<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Vec<FleetGroup> {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for v in values {
        *counts.entry(v.unwrap_or(NONE_GROUP)).or_default() += 1;
    }
    let mut out: Vec<FleetGroup> = counts
        .into_iter()
        .map(|(name, count)| FleetGroup {
            name: name.to_owned(),
            count,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    out
}
