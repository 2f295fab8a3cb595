//! Throughput of the log scanner (divan). Generated logs live in the temp
//! folder for the length of the run.
//!
//! `cargo bench --bench log_scan`. The end-to-end comparison with ripgrep
//! and `Select-String` on 1 GB is `benches/compare_log_scan.sh`.

#[path = "support/generate.rs"]
mod generate;

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use divan::counter::BytesCount;
use nymidiag::logs::{KindChoice, LogScanRequest, RuleListRequest, list_rules, log_scan};
use nymidiag::time_fmt::UtcTime;

fn main() {
    divan::main();
}

/// A 32 MB WGSS trace, a UTF-16LE copy and a 16 MB IIS log, written once.
struct Fixture {
    _dir: tempfile::TempDir,
    wgss: PathBuf,
    wgss16: PathBuf,
    iis: PathBuf,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("temp dir");
    let wgss = dir.path().join("WGSS_bench.log");
    generate::generate(&wgss, 32 << 20, 10_000).expect("generate");
    let text = std::fs::read_to_string(&wgss).expect("read back");
    let wgss16 = dir.path().join("WGSS_bench16.log");
    let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    std::fs::write(&wgss16, bytes).expect("write utf-16");
    let iis = dir.path().join("u_ex240502.log");
    let mut log = String::from(
        "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n",
    );
    let mut i = 0u64;
    while log.len() < 16 << 20 {
        let (status, sub, win32) = if i.is_multiple_of(1000) {
            (401, 1, 2_148_074_254u64)
        } else {
            (200, 0, 0)
        };
        log.push_str(&format!(
            "2024-05-02 {:02}:{:02}:{:02} 10.20.0.15 GET /nes/api/x - 443 - 10.30.{}.{} Mozilla/5.0+(Windows+NT+10.0) - {status} {sub} {win32} 15\n",
            i / 3600 % 24, i / 60 % 60, i % 60, i % 200, i % 250
        ));
        i += 1;
    }
    std::fs::write(&iis, log).expect("write iis");
    Fixture {
        _dir: dir,
        wgss,
        wgss16,
        iis,
    }
});

fn scan(path: &Path, kind: KindChoice) -> u64 {
    let report = log_scan(&LogScanRequest {
        paths: vec![path.display().to_string()],
        kind,
        since: Some(UtcTime::parse("2000-01-01T00:00:00Z").unwrap()),
        local_offset_minutes: Some(0),
        ..Default::default()
    });
    report.data.coverage.records_examined
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[divan::bench(sample_count = 10)]
fn wgss_prefilter_utf8(b: divan::Bencher) {
    let f = &*FIXTURE;
    b.counter(BytesCount::new(size(&f.wgss)))
        .bench(|| scan(&f.wgss, KindChoice::Auto));
}

#[divan::bench(sample_count = 10)]
fn wgss_prefilter_utf16le(b: divan::Bencher) {
    let f = &*FIXTURE;
    b.counter(BytesCount::new(size(&f.wgss16)))
        .bench(|| scan(&f.wgss16, KindChoice::Auto));
}

#[divan::bench(sample_count = 10)]
fn iis_every_record(b: divan::Bencher) {
    let f = &*FIXTURE;
    b.counter(BytesCount::new(size(&f.iis)))
        .bench(|| scan(&f.iis, KindChoice::Iis));
}

#[divan::bench(sample_count = 20)]
fn load_default_pack() -> usize {
    list_rules(&RuleListRequest::default())
        .map(|r| r.data.rules.len())
        .unwrap_or(0)
}
