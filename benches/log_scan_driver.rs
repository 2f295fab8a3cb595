//! Command-line driver for `benches/compare_log_scan.sh` (a bench target
//! with `harness = false`, so it is built with the release profile).
//!
//! ```text
//! log_scan_driver generate <path> <bytes> <plant-every-lines>   # prints the manifest (JSON)
//! log_scan_driver literals <kind>                               # one literal per line
//! log_scan_driver scan <path> [<since>]                          # prints counts and time (JSON)
//! log_scan_driver iis-generate <dir> <bytes> <days> <terminals>  # NES IIS logs; prints the manifest (JSON)
//! log_scan_driver nes-clients <dir> <now> [<uri_stem>]          # one nes_clients call; prints counts and time (JSON)
//! ```
//!
//! The last two serve `benches/compare_nes_clients.sh`.
//!
//! Flags cargo passes to bench targets (`--bench`) are ignored.

#[path = "support/generate.rs"]
mod generate;
#[path = "support/iis_clients.rs"]
#[allow(dead_code)]
mod iis_clients;

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use nymidiag::logs::{LogScanRequest, RuleListRequest, list_rules, log_scan};
use nymidiag::nes_clients::{NesClientsRequest, nes_clients};
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
        ["iis-generate", dir, bytes, days, terminals] => {
            let end = UtcTime::parse("2026-11-30T00:00:00Z").expect("end");
            let end_ms = (end.0.unix_timestamp_nanos() / 1_000_000) as i64;
            let m = iis_clients::generate(
                Path::new(dir),
                bytes.parse().expect("bytes"),
                days.parse().expect("days"),
                terminals.parse().expect("terminals"),
                end_ms,
            )
            .expect("write the logs");
            let json = serde_json::json!({
                "files": m.files.len(),
                "bytes": m.bytes,
                "lines": m.lines,
                "nes_lines": m.nes_lines,
                "states": {
                    "AUTH_FAILING": m.states[0],
                    "NES_ERRORS": m.states[1],
                    "NOT_RENEWING": m.states[2],
                    "OK": m.states[3],
                },
                "now": end.to_iso8601(),
            });
            println!("{json}");
        }
        ["nes-clients", dir, now, rest @ ..] => {
            let start = Instant::now();
            let report = nes_clients(&NesClientsRequest {
                paths: vec![(*dir).to_owned()],
                now: Some(UtcTime::parse(now).expect("RFC 3339 now")),
                uri_stem: rest.first().map(|s| (*s).to_owned()),
                ..Default::default()
            })
            .expect("a valid request");
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            let mut states = serde_json::Map::new();
            for c in &report.data.clients {
                let e = states
                    .entry(c.state.as_str().to_owned())
                    .or_insert(serde_json::Value::from(0u64));
                *e = (e.as_u64().unwrap_or(0) + 1).into();
            }
            let d = &report.data;
            let json = serde_json::json!({
                "ms": ms,
                "status": report.status,
                "files": d.files.len(),
                "bytes": d.files.iter().map(|f| f.bytes).sum::<u64>(),
                "lines": d.files.iter().map(|f| f.lines).sum::<u64>(),
                "records_counted": d.files.iter().map(|f| f.records_counted).sum::<u64>(),
                "records_filtered": d.files.iter().map(|f| f.records_filtered).sum::<u64>(),
                "clients": d.clients.len(),
                "states": states,
                "warnings": report.warnings,
            });
            println!("{json}");
        }
        _ => {
            eprintln!(
                "usage: log_scan_driver generate <path> <bytes> <every> | literals <kind> | scan <path> [<since>] | iis-generate <dir> <bytes> <days> <terminals> | nes-clients <dir> <now> [<uri_stem>]"
            );
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
