//! One deadline over the whole diagnosis: the inventory and the log scan
//! start no file once their `deadline_ms` has passed and report what they
//! left out (failed stores, `not_scanned` reason `deadline`, warnings), and
//! the probe gets what is left. A diagnosis returns within its deadline
//! plus the longest single file read plus 2 s. Every server is on
//! 127.0.0.1 and started here.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use nymidiag::certs::{CertInventoryRequest, StoreState, cert_inventory};
use nymidiag::diagnose::{DiagnoseRequest, Part, diagnose};
use nymidiag::logs::{LogScanRequest, try_log_scan};
use nymidiag::report::CoverageState;
use support::servers::{self, Behaviour};

/// `stores` store folders of `files` small files each, under `root`.
fn make_stores(root: &Path, stores: usize, files: usize) -> Vec<String> {
    (0..stores)
        .map(|s| {
            let dir = root.join(format!("nsl{s:03}")).join("ksp");
            std::fs::create_dir_all(&dir).unwrap();
            for f in 0..files {
                std::fs::write(dir.join(format!("blob{f:04}.bin")), [s as u8, f as u8, 7]).unwrap();
            }
            dir.display().to_string()
        })
        .collect()
}

/// `files` small WGSS-like logs under `root`, written now.
fn make_logs(root: &Path, files: usize) -> String {
    std::fs::create_dir_all(root).unwrap();
    for f in 0..files {
        let text = (0..50)
            .map(|i| {
                format!(
                    "704:(26/05/01 06:13:{:02}.149):Listener.cpp :0411: line {i} of {f}\n",
                    i % 60
                )
            })
            .collect::<String>();
        std::fs::write(root.join(format!("WGSS_{f:04}.log")), text).unwrap();
    }
    root.display().to_string()
}

#[test]
fn an_inventory_past_its_deadline_examines_nothing_more_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let paths = make_stores(dir.path(), 24, 30);
    for deadline in [0u64, 1, 2, 5] {
        let started = Instant::now();
        let r = cert_inventory(&CertInventoryRequest {
            paths: paths.clone(),
            deadline_ms: Some(deadline),
            ..Default::default()
        });
        let took = started.elapsed();
        assert!(took < Duration::from_secs(3), "{deadline} ms took {took:?}");
        let d = &r.data;
        assert_eq!(d.deadline_ms, Some(deadline));
        assert_eq!(d.stores.len(), 24);
        let failed = d
            .stores
            .iter()
            .filter(|s| s.state == StoreState::Failed)
            .count();
        let checked = d
            .stores
            .iter()
            .filter(|s| s.state == StoreState::Checked)
            .count();
        assert_eq!(failed + checked, 24);
        if deadline == 0 {
            assert!(d.deadline_reached);
            assert_eq!(d.stores_not_examined, 24);
            assert_eq!(d.entries_not_examined, 0);
        }
        if d.deadline_reached {
            assert!(failed > 0);
            assert!(d.stores_not_examined > 0 || d.entries_not_examined > 0);
            assert!(
                r.warnings.iter().any(|w| w.contains("deadline")),
                "{:?}",
                r.warnings
            );
            assert_eq!(r.coverage["deadline"].state, CoverageState::Failed);
            // A store cut short is never judged on its partial count.
            for s in d.stores.iter().filter(|s| s.state == StoreState::Failed) {
                let e = s.error.as_deref().unwrap_or("");
                assert!(e.contains("deadline"), "{e}");
                assert!(
                    !r.findings
                        .iter()
                        .any(|f| f.id == "NEA_CERTS_MISSING" && f.detail.contains(&s.path)),
                    "{} judged",
                    s.path
                );
            }
        } else {
            assert_eq!(failed, 0);
            assert_eq!(r.coverage["deadline"].state, CoverageState::Checked);
        }
    }
    // Without a deadline every store is examined, as before.
    let r = cert_inventory(&CertInventoryRequest {
        paths,
        ..Default::default()
    });
    assert!(!r.data.deadline_reached);
    assert_eq!(r.data.deadline_ms, None);
    assert!(r.data.stores.iter().all(|s| s.state == StoreState::Checked));
    assert!(!r.coverage.contains_key("deadline"));
}

#[test]
fn a_store_cut_mid_way_is_failed_with_its_unread_entries_counted() {
    let dir = tempfile::tempdir().unwrap();
    let paths = make_stores(dir.path(), 1, 4000);
    let mut cut = 0;
    for deadline in [1u64, 2, 3, 5, 8, 13, 21] {
        let r = cert_inventory(&CertInventoryRequest {
            paths: paths.clone(),
            deadline_ms: Some(deadline),
            ..Default::default()
        });
        let s = &r.data.stores[0];
        if r.data.entries_not_examined > 0 {
            cut += 1;
            assert_eq!(s.state, StoreState::Failed);
            assert_eq!(s.counts.entries_not_examined, r.data.entries_not_examined);
            assert!(s.counts.files + r.data.entries_not_examined <= 4000);
            assert!(!r.findings.iter().any(|f| f.id == "NEA_CERTS_MISSING"));
        }
    }
    // A debug build reads 4,000 files in more than a millisecond.
    assert!(cut > 0, "no deadline cut a 4,000-file store");
}

#[test]
fn a_scan_past_its_deadline_lists_the_files_it_did_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let root = make_logs(&dir.path().join("logs"), 300);
    for deadline in [0u64, 1, 3, 10] {
        let started = Instant::now();
        let r = try_log_scan(&LogScanRequest {
            paths: vec![root.clone()],
            since: Some(nymidiag::time_fmt::UtcTime::parse("2026-01-01T00:00:00Z").unwrap()),
            now: Some(nymidiag::time_fmt::UtcTime::parse("2026-05-02T00:00:00Z").unwrap()),
            deadline_ms: Some(deadline),
            ..Default::default()
        })
        .unwrap();
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "{deadline} ms took {took:?}");
        let d = &r.data;
        // The list is capped; nothing but the deadline leaves files out
        // here, so the omitted ones are the deadline's too.
        let listed = d
            .not_scanned
            .iter()
            .filter(|n| n.reason == "deadline")
            .count() as u64;
        assert_eq!(listed as usize, d.not_scanned.len());
        let left = listed + d.not_scanned_omitted;
        assert_eq!(d.coverage.files_read + left, 300, "{deadline}");
        if deadline == 0 {
            assert_eq!(left, 300);
        }
        if left > 0 {
            assert!(
                r.warnings
                    .iter()
                    .any(|w| w.contains("deadline") && w.contains(&format!("{left} file"))),
                "{:?}",
                r.warnings
            );
            for n in d.not_scanned.iter().filter(|n| n.reason == "deadline") {
                assert!(n.path.contains("WGSS_"), "{n:?}");
                assert!(n.detail.contains("deadline"), "{n:?}");
            }
        } else {
            assert!(!r.warnings.iter().any(|w| w.contains("deadline")));
        }
    }
    // No deadline: every file is read.
    let r = try_log_scan(&LogScanRequest {
        paths: vec![root],
        since: Some(nymidiag::time_fmt::UtcTime::parse("2026-01-01T00:00:00Z").unwrap()),
        now: Some(nymidiag::time_fmt::UtcTime::parse("2026-05-02T00:00:00Z").unwrap()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(r.data.coverage.files_read, 300);
}

#[test]
fn a_large_log_is_read_only_until_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("WGSS_big.log");
    // About 96 MB of trace lines: far more than a 50 ms deadline reads.
    let line = "704:(26/05/01 10:00:00.000):WearableExtension.cpp :0441: 1 visible devices\n";
    let block = line.repeat(16_384);
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for _ in 0..75 {
            f.write_all(block.as_bytes()).unwrap();
        }
    }
    let size = std::fs::metadata(&path).unwrap().len();
    let started = Instant::now();
    let r = try_log_scan(&LogScanRequest {
        paths: vec![path.display().to_string()],
        since: Some(nymidiag::time_fmt::UtcTime::parse("2026-01-01T00:00:00Z").unwrap()),
        now: Some(nymidiag::time_fmt::UtcTime::parse("2026-05-02T00:00:00Z").unwrap()),
        deadline_ms: Some(50),
        ..Default::default()
    })
    .unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let file = &r.data.files[0];
    assert!(file.bytes < size, "read {} of {size}", file.bytes);
    assert!(
        file.notes
            .iter()
            .any(|n| n.contains("deadline was reached while reading")),
        "{:?}",
        file.notes
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("1 were read only in part")),
        "{:?}",
        r.warnings
    );
    eprintln!(
        "96 MB log, 50 ms deadline: {} bytes read in {took:?}",
        file.bytes
    );
}

#[test]
fn deadlines_above_the_limit_are_clamped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let r = cert_inventory(&CertInventoryRequest {
        paths: vec![dir.path().display().to_string()],
        deadline_ms: Some(600_001),
        ..Default::default()
    });
    assert_eq!(r.data.deadline_ms, Some(600_000));
    assert!(r.warnings.iter().any(|w| w.contains("600001")));
    let r = try_log_scan(&LogScanRequest {
        paths: vec![dir.path().display().to_string()],
        deadline_ms: Some(u64::MAX),
        ..Default::default()
    })
    .unwrap();
    assert!(
        r.warnings.iter().any(|w| w.contains("deadline_ms")),
        "{:?}",
        r.warnings
    );
    let d: DiagnoseRequest = serde_json::from_str("{}").unwrap();
    assert_eq!(d.deadline_ms, 60_000);
    assert_eq!(DiagnoseRequest::default().deadline_ms, 60_000);
}

/// A terminal with many stores and logs, and an NES that stalls every
/// TLS handshake: each part would run long without the deadline.
fn slow_terminal(dir: &Path, deadline_ms: u64) -> (DiagnoseRequest, servers::Server) {
    let stall = servers::start(Behaviour::Stall, Duration::from_secs(60));
    let mut req = DiagnoseRequest {
        deadline_ms,
        nes_url: Some(format!("https://127.0.0.1:{}/nes", stall.port)),
        ..Default::default()
    };
    req.cert_inventory.paths = make_stores(&dir.join("stores"), 20, 40);
    req.log_scan.paths = vec![make_logs(&dir.join("logs"), 200)];
    req.nes_probe.use_env_proxy = false;
    // The probe's own deadline is longer than the diagnosis's.
    req.nes_probe.deadline_ms = 30_000;
    (req, stall)
}

#[test]
fn a_diagnosis_ends_within_its_deadline_plus_the_stated_margin() {
    let dir = tempfile::tempdir().unwrap();
    for deadline in [1u64, 500, 2_500] {
        let (req, _stall) = slow_terminal(dir.path(), deadline);
        let started = Instant::now();
        let r = diagnose(&req).unwrap();
        let took = started.elapsed();
        println!("diagnose deadline_ms={deadline}: {} ms", took.as_millis());
        // Stated: deadline + the longest single file read + 2 s; the files
        // here are tiny, so 2 s of margin plus 3 s for a loaded debug run.
        assert!(
            took < Duration::from_millis(deadline + 5_000),
            "{deadline} ms took {took:?}"
        );
        let cov = &r.coverage["deadline"];
        if deadline < 2_000 {
            // Too little left for the probe: it is not run, and not blamed.
            assert!(r.data.inputs.nes_probe.is_none());
            assert_eq!(cov.state, CoverageState::Failed, "{cov:?}");
            assert!(
                cov.detail
                    .as_deref()
                    .unwrap_or("")
                    .contains("probe was not run")
            );
            assert!(r.warnings.iter().any(|w| w.contains("deadline")));
            assert!(
                !r.data.status_line.contains("stage=tls"),
                "{}",
                r.data.status_line
            );
        } else {
            // The probe ran with what was left, never its own 30 s.
            let p = r.data.inputs.nes_probe.as_ref().expect("probe ran");
            assert!(
                p.data.settings.deadline_ms <= deadline,
                "{}",
                p.data.settings.deadline_ms
            );
        }
    }
}

#[test]
fn a_diagnosis_with_time_to_spare_reports_the_deadline_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut req = DiagnoseRequest {
        deadline_ms: 60_000,
        skip: vec![Part::NesProbe],
        ..Default::default()
    };
    req.cert_inventory.paths = make_stores(&dir.path().join("stores"), 2, 20);
    req.log_scan.paths = vec![make_logs(&dir.path().join("logs"), 3)];
    let r = diagnose(&req).unwrap();
    assert_eq!(r.coverage["deadline"].state, CoverageState::Checked);
    let inv = r.data.inputs.cert_inventory.as_ref().unwrap();
    assert!(inv.data.deadline_ms.is_some_and(|d| d <= 60_000));
    assert!(!inv.data.deadline_reached);
}
