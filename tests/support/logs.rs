//! Helpers shared by the log scanner's integration tests.

use std::path::{Path, PathBuf};

use nymidiag::Report;
use nymidiag::logs::{LogScanData, LogScanRequest, RuleHit, log_scan};
use nymidiag::time_fmt::UtcTime;

/// `tests/data/...`
pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// A request over `paths` with a window wide enough for the fixtures
/// (2024) and UTC as the local offset.
pub fn request(paths: &[&Path]) -> LogScanRequest {
    LogScanRequest {
        paths: paths.iter().map(|p| p.display().to_string()).collect(),
        since: Some(UtcTime::parse("2018-01-01T00:00:00Z").unwrap()),
        local_offset_minutes: Some(0),
        ..Default::default()
    }
}

/// Scans and checks the report serializes and stays small.
pub fn scan(req: &LogScanRequest) -> Report<LogScanData> {
    let report = log_scan(req);
    let json = serde_json::to_vec(&report).unwrap();
    assert!(json.len() < 2_000_000, "report of {} bytes", json.len());
    report
}

/// The hit of a rule, if it matched.
pub fn hit<'a>(report: &'a Report<LogScanData>, id: &str) -> Option<&'a RuleHit> {
    report.data.hits.iter().find(|h| h.rule_id == id)
}

/// How often a rule matched (0 when it did not).
pub fn count(report: &Report<LogScanData>, id: &str) -> u64 {
    hit(report, id).map_or(0, |h| h.count)
}

/// Writes `bytes` to `dir/name`.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// UTF-16LE bytes of `text`, with or without BOM.
pub fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let mut out = if bom { vec![0xff, 0xfe] } else { Vec::new() };
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

/// UTF-16BE bytes of `text` with BOM.
pub fn utf16be(text: &str) -> Vec<u8> {
    let mut out = vec![0xfe, 0xff];
    out.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    out
}
