//! Command-line driver for `benches/compare_log_scan.sh` (a bench target
//! with `harness = false`, so it is built with the release profile).
//!
//! ```text
//! log_scan_driver generate <path> <bytes> <plant-every-lines>   # prints the manifest (JSON)
//! log_scan_driver literals <kind>                               # one literal per line
//! log_scan_driver scan <path> [<since>]                          # prints counts and time (JSON)
//! ```
//!
//! Flags cargo passes to bench targets (`--bench`) are ignored.

#[path = "support/generate.rs"]
mod generate;

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use nymidiag::logs::{LogScanRequest, RuleListRequest, list_rules, log_scan};
use nymidiag::time_fmt::UtcTime;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["generate", path, bytes, every] => {
            let m = generate::generate(
                Path::new(path),
                bytes.parse().expect("bytes"),
                every.parse().expect("lines"),
            )
            .expect("write the log");
            let expected: serde_json::Map<String, serde_json::Value> = m
                .expected()
                .into_iter()
                .map(|(id, n)| (id.to_owned(), n.into()))
                .collect();
            let json = serde_json::json!({
                "lines": m.lines,
                "bytes": m.bytes,
                "chain_plants": m.chain_plants,
                "ble_plants": m.ble_plants,
                "candidate_lines": m.candidate_lines(),
                "first_plant_lines": m.first_plant_lines,
                "expected": expected,
            });
            println!("{json}");
        }
        ["literals", kind] => {
            let listing = list_rules(&RuleListRequest::default()).expect("built-in pack");
            let mut lits: Vec<String> = listing
                .data
                .rules
                .iter()
                .filter(|r| r.kinds.is_empty() || r.kinds.iter().any(|k| k.as_str() == *kind))
                .flat_map(|r| r.literals.clone())
                .collect();
            lits.sort();
            lits.dedup();
            for l in lits {
                println!("{l}");
            }
        }
        ["scan", path, rest @ ..] => {
            let since = rest.first().copied().unwrap_or("2000-01-01T00:00:00Z");
            let start = Instant::now();
            let report = log_scan(&LogScanRequest {
                paths: vec![(*path).to_owned()],
                since: Some(UtcTime::parse(since).expect("RFC 3339 since")),
                local_offset_minutes: Some(0),
                ..Default::default()
            });
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            let counts: serde_json::Map<String, serde_json::Value> = report
                .data
                .hits
                .iter()
                .map(|h| (h.rule_id.clone(), h.count.into()))
                .collect();
            let f = report.data.files.first();
            let json = serde_json::json!({
                "ms": ms,
                "status": report.status,
                "bytes": report.data.coverage.bytes_read,
                "lines": report.data.coverage.lines_read,
                "records_examined": report.data.coverage.records_examined,
                "encoding": f.map(|f| f.encoding),
                "kind": f.map(|f| f.kind),
                "counts": counts,
                "not_scanned": report.data.not_scanned,
            });
            println!("{json}");
        }
        _ => {
            eprintln!(
                "usage: log_scan_driver generate <path> <bytes> <every> | literals <kind> | scan <path> [<since>]"
            );
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
