//! FIFOs, sockets and devices given or found anywhere the tool reads
//! files: each case returns promptly with the stated reason and never
//! blocks on an open or reads without bound. Rule packs are capped at
//! 4 MiB and CA files at 1 MiB.
#![cfg(unix)]

mod support;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use nymidiag::certs::{CertInventoryRequest, FileStatus, cert_inventory};
use nymidiag::logs::{LogScanRequest, log_scan};
use nymidiag::probe::{NesProbeRequest, nes_probe};
use nymidiag::time_fmt::UtcTime;

/// Runs `f` on a thread; fails if it has not finished within 10 s (a FIFO
/// opened for reading would block forever).
fn within_10s<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("{what}: did not return within 10 s"))
}

/// A special file of each kind, in `dir`, with the word its reason uses.
/// The socket's listener is returned so it stays bound.
fn specials(
    dir: &Path,
) -> (
    Vec<(PathBuf, &'static str)>,
    std::os::unix::net::UnixListener,
) {
    let fifo = dir.join("pipe.log");
    assert!(support::certs::make_fifo(&fifo), "mkfifo failed");
    let sock = dir.join("sock.log");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let list = vec![
        (fifo, "FIFO"),
        (sock, "socket"),
        (PathBuf::from("/dev/null"), "character device"),
        (PathBuf::from("/dev/zero"), "character device"),
    ];
    (list, listener)
}

fn inventory(paths: Vec<String>) -> nymidiag::Report<nymidiag::certs::CertInventoryData> {
    cert_inventory(&CertInventoryRequest {
        paths,
        now: Some(UtcTime::from(support::certs::now())),
        ..Default::default()
    })
}

#[test]
fn special_files_given_as_key_store_files_are_not_stores() {
    let dir = tempfile::tempdir().unwrap();
    let (list, _l) = specials(dir.path());
    for (path, _) in list {
        let text = path.display().to_string();
        let r = within_10s(&text, {
            let text = text.clone();
            move || inventory(vec![text])
        });
        assert!(r.data.stores.is_empty(), "{text}");
        assert!(
            r.data
                .discovery
                .missing
                .iter()
                .any(|m| m.contains("not a file or folder")),
            "{text}: {:?}",
            r.data.discovery.missing
        );
    }
}

#[test]
fn special_files_inside_a_key_store_are_skipped_and_not_counted() {
    let dir = tempfile::tempdir().unwrap();
    let ksp = dir.path().join("ksp");
    support::stores::write_opaque(&ksp, 20, 11);
    let (_list, _l) = specials(&ksp);
    // Links to the devices, found in the folder like any entry.
    for dev in ["null", "zero"] {
        std::os::unix::fs::symlink(format!("/dev/{dev}"), ksp.join(format!("{dev}.cer"))).unwrap();
    }
    let path = ksp.display().to_string();
    let r = within_10s("ksp with special files", move || inventory(vec![path]));
    let s = &r.data.stores[0];
    assert_eq!(s.counts.files, 20);
    assert_eq!(s.counts.skipped_entries, 4);
    for (name, kind) in [
        ("pipe.log", "FIFO"),
        ("sock.log", "socket"),
        ("null.cer", "character device"),
        ("zero.cer", "character device"),
    ] {
        let e = s.files.iter().find(|f| f.name == name).unwrap();
        assert_eq!(e.status, FileStatus::NotAFile, "{name}");
        let problem = e.problem.as_deref().unwrap();
        assert!(
            problem.contains(&format!("not a regular file ({kind})")),
            "{name}: {problem}"
        );
    }
    assert!(!r.findings.iter().any(|f| f.id == "NEA_CERTS_MISSING"));
}

fn scan(paths: Vec<String>) -> nymidiag::Report<nymidiag::logs::LogScanData> {
    log_scan(&LogScanRequest {
        paths,
        ..Default::default()
    })
}

#[test]
fn special_files_given_as_log_paths_are_not_scanned_with_the_kind() {
    let dir = tempfile::tempdir().unwrap();
    let (list, _l) = specials(dir.path());
    for (path, kind) in list {
        let text = path.display().to_string();
        let r = within_10s(&text, {
            let text = text.clone();
            move || scan(vec![text])
        });
        let entry = r
            .data
            .not_scanned
            .iter()
            .find(|n| n.path == text)
            .unwrap_or_else(|| panic!("{text}: {:?}", r.data.not_scanned));
        assert_eq!(entry.reason, "not_a_file", "{text}");
        assert_eq!(
            entry.detail,
            format!("not a regular file ({kind})"),
            "{text}"
        );
    }
}

#[test]
fn special_files_in_a_log_folder_are_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let (_list, _l) = specials(dir.path());
    std::fs::write(
        dir.path().join("nymi_api.log"),
        "2026-05-02 10:00:00 INFO started\n",
    )
    .unwrap();
    let path = dir.path().display().to_string();
    let r = within_10s("log folder", move || scan(vec![path]));
    assert_eq!(r.data.coverage.files_read, 1, "{:?}", r.data.files);
    // Each special file in the folder is listed with the reason and kind.
    for (name, kind) in [("pipe.log", "FIFO"), ("sock.log", "socket")] {
        let n = r
            .data
            .not_scanned
            .iter()
            .find(|n| n.path.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not listed: {:?}", r.data.not_scanned));
        assert_eq!(n.reason, "not_a_file", "{n:?}");
        assert_eq!(n.detail, format!("not a regular file ({kind})"), "{n:?}");
    }
}

#[test]
fn special_files_given_as_rule_packs_are_request_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (list, _l) = specials(dir.path());
    for (path, kind) in list {
        let text = path.display().to_string();
        let r = within_10s(&text, {
            let text = text.clone();
            move || {
                log_scan(&LogScanRequest {
                    paths: vec!["/no/such/log".to_owned()],
                    rule_paths: vec![text],
                    ..Default::default()
                })
            }
        });
        assert_eq!(r.status, nymidiag::ReportStatus::Error, "{text}");
        let json = serde_json::to_string(&r).unwrap();
        assert!(
            json.contains(&format!("not a regular file ({kind})")),
            "{text}: {json}"
        );
    }
}

#[test]
fn a_rule_pack_over_4_mib_is_refused_naming_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    std::fs::write(&big, vec![b'#'; (4 << 20) + 1]).unwrap();
    let r = log_scan(&LogScanRequest {
        paths: vec!["/no/such/log".to_owned()],
        rule_paths: vec![big.display().to_string()],
        ..Default::default()
    });
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains("4194304-byte cap"), "{json}");
}

fn probe_with_ca(ca: String) -> nymidiag::Report<nymidiag::probe::NesProbeData> {
    // A loopback server that accepts and hangs up: the probe reaches the
    // TLS stage, where the CA file is loaded, and ends at once.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    let mut request = NesProbeRequest::new(format!("https://127.0.0.1:{port}/nes"));
    request.trusted_root_path = Some(ca);
    request.use_env_proxy = false;
    request.deadline_ms = 5_000;
    request.tls_timeout_ms = 2_000;
    nes_probe(&request)
}

#[test]
fn special_files_given_as_the_ca_file_are_refused_with_the_kind() {
    let dir = tempfile::tempdir().unwrap();
    let (mut list, _l) = specials(dir.path());
    let big = dir.path().join("big.pem");
    std::fs::write(&big, vec![b'A'; (1 << 20) + 1]).unwrap();
    list.push((big, "1048576-byte cap"));
    for (path, reason) in list {
        let text = path.display().to_string();
        let r = within_10s(&text, {
            let text = text.clone();
            move || probe_with_ca(text)
        });
        let f = r
            .findings
            .iter()
            .find(|f| f.id == "NES_TLS_CA_FILE_UNREADABLE")
            .unwrap_or_else(|| panic!("{text}: {:?}", r.findings));
        assert!(f.detail.contains(reason), "{text}: {}", f.detail);
    }
}

#[test]
fn a_log_linked_to_a_file_outside_the_folder_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let secret_dir = dir.path().join("root-only");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::create_dir_all(&secret_dir).unwrap();
    let secret = secret_dir.join("shadow");
    std::fs::write(
        &secret,
        "INFO - nes_url=https://planted.example/nes TopSecretLine\n",
    )
    .unwrap();
    std::fs::write(logs.join("real.log"), "INFO - started\n").unwrap();
    std::os::unix::fs::symlink(&secret, logs.join("nymi_api.log")).unwrap();
    // A link that stays inside the folder is read.
    std::fs::create_dir_all(logs.join("old")).unwrap();
    std::fs::write(logs.join("old").join("kept.log"), "INFO - kept\n").unwrap();
    std::os::unix::fs::symlink(logs.join("old").join("kept.log"), logs.join("inside.log")).unwrap();

    let path = logs.display().to_string();
    let r = within_10s("links", move || scan(vec![path]));
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("TopSecretLine") && !json.contains("planted.example"));
    let n = r
        .data
        .not_scanned
        .iter()
        .find(|n| n.path.ends_with("nymi_api.log"))
        .unwrap_or_else(|| panic!("{:?}", r.data.not_scanned));
    assert_eq!(n.reason, "link_outside", "{n:?}");
    let read: Vec<&str> = r.data.files.iter().map(|f| f.path.as_str()).collect();
    assert!(read.iter().any(|p| p.ends_with("inside.log")), "{read:?}");
    assert!(read.iter().any(|p| p.ends_with("real.log")), "{read:?}");
    // Given by path, the same link is the admin's choice and is read.
    let direct = logs.join("nymi_api.log").display().to_string();
    let r = within_10s("direct", move || scan(vec![direct]));
    assert_eq!(r.data.coverage.files_read, 1);
}
