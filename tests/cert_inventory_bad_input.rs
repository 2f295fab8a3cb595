//! Bad input never crashes the inventory and never hides good input:
//! empty, truncated, broken, random, huge and special files, many files,
//! non-ASCII names, link loops, and a report that stays small.

mod support;

use std::fs;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use nymidiag::certs::{
    CertInventoryData, CertInventoryRequest, FileEntry, FileFormat, FileStatus, KspStore,
    cert_inventory,
};
use nymidiag::time_fmt::UtcTime;
use nymidiag::{Report, ReportStatus};

use support::certs::{Encoding, FixtureCert, NesPki, Window, healthy_set, write_certs};

fn request(paths: &[&Path]) -> CertInventoryRequest {
    CertInventoryRequest {
        paths: paths
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect(),
        now: Some(UtcTime::from(support::certs::now())),
        ..Default::default()
    }
}

/// Runs the inventory on another thread and fails instead of hanging (a
/// FIFO that got opened would block forever).
fn inventory_within(req: CertInventoryRequest, limit: Duration) -> Report<CertInventoryData> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(cert_inventory(&req)).unwrap());
    rx.recv_timeout(limit)
        .expect("inventory did not finish: something blocked")
}

fn entry<'a>(store: &'a KspStore, name: &str) -> &'a FileEntry {
    store
        .files
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no entry {name}"))
}

#[test]
fn bad_files_are_reported_one_by_one_and_the_good_ones_still_count() {
    let dir = tempfile::tempdir().unwrap();
    let all = support::stores::write_all(dir.path(), support::certs::now());
    let ksp = &all.iter().find(|s| s.name == "bad-input").unwrap().path;
    let r = inventory_within(request(&[ksp]), Duration::from_secs(60));
    let s = &r.data.stores[0];

    // The 20 certificates, two of them in non-ASCII file names.
    assert_eq!(s.counts.certificates, 20);
    assert_eq!(entry(s, "Jürgen.cer").status, FileStatus::Certificates);
    assert_eq!(entry(s, "証明書.pem").status, FileStatus::Certificates);
    assert_eq!(entry(s, "証明書.pem").format, FileFormat::Pem);

    let e = entry(s, "empty.cer");
    assert_eq!(
        (e.status, e.format, e.size),
        (FileStatus::Empty, FileFormat::Empty, Some(0))
    );
    assert!(e.problem.as_deref().unwrap().contains("empty file"));

    let e = entry(s, "truncated.cer");
    assert_eq!(e.status, FileStatus::Opaque);
    assert!(
        e.problem.as_deref().unwrap().contains("truncated DER"),
        "{:?}",
        e.problem
    );

    let e = entry(s, "broken-base64.pem");
    assert_eq!((e.status, e.format), (FileStatus::Opaque, FileFormat::Pem));
    assert!(
        e.problem.as_deref().unwrap().contains("broken base64"),
        "{:?}",
        e.problem
    );

    let e = entry(s, "random.bin");
    assert_eq!(
        (e.status, e.format),
        (FileStatus::Opaque, FileFormat::Unrecognized)
    );
    assert!(
        e.problem
            .as_deref()
            .unwrap()
            .contains("not an X.509 certificate")
    );

    let e = entry(s, "key.pem");
    assert_eq!((e.status, e.private_keys), (FileStatus::PrivateKey, 1));

    let e = entry(s, "folder.cer");
    assert_eq!(e.status, FileStatus::NotAFile);

    #[cfg(unix)]
    {
        let e = entry(s, "dangling.cer");
        assert_eq!(e.status, FileStatus::Unreadable);
        assert!(
            e.problem.as_deref().unwrap().contains("symbolic link"),
            "{:?}",
            e.problem
        );
        let e = entry(s, "loop-a.cer");
        assert_eq!(e.status, FileStatus::Unreadable);
        assert!(
            e.problem.as_deref().unwrap().contains("loops"),
            "{:?}",
            e.problem
        );
        if ksp.join("pipe.cer").exists() {
            let e = entry(s, "pipe.cer");
            assert_eq!(e.status, FileStatus::NotAFile);
            assert!(
                e.problem.as_deref().unwrap().contains("FIFO"),
                "{:?}",
                e.problem
            );
        }
    }

    // Files read whole that are not X.509: counted, reported as opaque
    // (a warning because one is empty), never as unreadable.
    let listed = |id: &str| -> Vec<String> {
        let f = r.findings.iter().find(|f| f.id == id).unwrap();
        f.evidence["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["file"].as_str().unwrap().to_owned())
            .collect()
    };
    let opaque = listed("NEA_KEYSTORE_FILE_OPAQUE");
    for name in [
        "empty.cer",
        "truncated.cer",
        "broken-base64.pem",
        "random.bin",
    ] {
        assert!(opaque.iter().any(|n| n == name), "{name} not in {opaque:?}");
    }
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "NEA_KEYSTORE_FILE_OPAQUE")
        .unwrap();
    assert_eq!(f.severity, nymidiag::Severity::Warning);
    assert_eq!(f.evidence["empty"], 1);
    // A key file and a folder are neither opaque nor unreadable.
    assert!(!opaque.iter().any(|n| n == "key.pem" || n == "folder.cer"));
    assert_eq!((s.counts.opaque_files, s.counts.empty_files), (4, 1));
    #[cfg(unix)]
    {
        // Only the links that cannot be followed could not be read.
        let unreadable = listed("NEA_CERT_UNREADABLE");
        assert_eq!(unreadable.len(), 3, "{unreadable:?}");
        assert!(!unreadable.iter().any(|n| opaque.contains(n)));
        // 20 certificate files + 4 opaque + key + 3 broken links.
        assert_eq!(s.counts.files, 28);
        assert_eq!(s.counts.skipped_entries, 2);
    }
    assert_eq!(r.status, ReportStatus::Issue);
}

#[test]
fn a_50_mb_file_is_skipped_by_the_cap_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let set = healthy_set(support::certs::now());
    write_certs(dir.path(), &set, Encoding::Der);
    // Sparse: 50 MB on paper, nothing on disk, and it is never read.
    let big = fs::File::create(dir.path().join("huge.cer")).unwrap();
    big.set_len(50 * 1024 * 1024).unwrap();
    drop(big);
    let r = inventory_within(request(&[dir.path()]), Duration::from_secs(60));
    let s = &r.data.stores[0];
    let e = entry(s, "huge.cer");
    assert_eq!(
        (e.status, e.format),
        (FileStatus::TooLarge, FileFormat::NotRead)
    );
    assert_eq!(e.size, Some(50 * 1024 * 1024));
    assert!(e.problem.as_deref().unwrap().contains("max_file_bytes"));
    assert_eq!(s.counts.certificates, 20);
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "NEA_CERT_UNREADABLE")
        .unwrap();
    assert_eq!(f.evidence["too_large"], 1);

    // A cap below a certificate's size skips it too.
    let mut req = request(&[dir.path()]);
    req.max_file_bytes = 100;
    let r = cert_inventory(&req);
    assert_eq!(r.data.stores[0].counts.certificates, 0);
    assert_eq!(r.data.stores[0].counts.unreadable_files, 21);
    // Skipped by the cap, yet still counted as files.
    assert_eq!(r.data.stores[0].counts.files, 21);
}

#[test]
fn a_folder_of_10000_files_is_read_whole_and_reported_small() {
    let dir = tempfile::tempdir().unwrap();
    let set = healthy_set(support::certs::now());
    for i in 0..10_000 {
        fs::write(dir.path().join(format!("f{i:05}.cer")), &set[i % 20].der).unwrap();
    }
    fs::write(dir.path().join("zz-empty.cer"), b"").unwrap();
    let r = inventory_within(request(&[dir.path()]), Duration::from_secs(300));
    let s = &r.data.stores[0];
    assert_eq!(s.counts.files, 10_001);
    assert_eq!(s.counts.certificates, 20);
    assert_eq!(s.counts.duplicate_certificates, 9_980);
    assert_eq!(s.files.len() + s.files_omitted as usize, 10_001);
    assert_eq!(s.files.len(), 200);
    // The one problem file is kept in the capped list.
    assert_eq!(s.files[0].name, "zz-empty.cer");
    let cert = &s.certificates[0];
    assert_eq!(cert.files.len(), 8, "files per certificate are capped");
    let json = serde_json::to_string(&r).unwrap();
    eprintln!("10,000-file store: report is {} bytes", json.len());
    assert!(json.len() < 2_000_000, "report is {} bytes", json.len());
}

/// Many distinct certificates with long names in more stores than the cap:
/// the report still stays well under 2 MB.
#[test]
fn worst_case_report_stays_under_two_megabytes() {
    let now = support::certs::now();
    let pki = NesPki::new(now);
    let long = "x".repeat(300);
    let certs: Vec<FixtureCert> = pki.leaves_named(150, Window::issued(now, 20, 14), &long);
    let dir = tempfile::tempdir().unwrap();
    let nsl = dir.path().join("NSL");
    for s in 0..40 {
        write_certs(
            &nsl.join(format!("store-{s:02}")).join("ksp"),
            &certs,
            Encoding::Pem,
        );
    }
    let r = inventory_within(request(&[&nsl]), Duration::from_secs(300));
    assert_eq!(r.data.stores.len(), 32);
    assert_eq!(r.data.stores_omitted, 8);
    assert_eq!(r.data.totals.stores, 40);
    let listed: usize = r.data.stores.iter().map(|s| s.certificates.len()).sum();
    assert_eq!(listed, 256);
    let listed: usize = r.data.stores.iter().map(|s| s.files.len()).sum();
    assert_eq!(listed, 1000);
    assert!(
        r.data.stores[0].certificates[0]
            .subject
            .rfc4514
            .ends_with('…')
    );
    let json = serde_json::to_string(&r).unwrap();
    eprintln!("worst case: report is {} bytes", json.len());
    assert!(json.len() < 2_000_000, "report is {} bytes", json.len());
    assert!(r.warnings.iter().any(|w| w.contains("more stores")));
}

#[cfg(unix)]
#[test]
fn link_loops_never_recurse() {
    let dir = tempfile::tempdir().unwrap();
    let ksp = dir.path().join("ksp");
    write_certs(
        &ksp,
        &healthy_set(support::certs::now())[..2],
        Encoding::Der,
    );
    // A link inside the store back to the store itself.
    std::os::unix::fs::symlink(&ksp, ksp.join("self")).unwrap();
    // A request path that is itself a loop.
    let a = dir.path().join("loop-a");
    let b = dir.path().join("loop-b");
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let r = inventory_within(request(&[&ksp, &a]), Duration::from_secs(60));
    assert_eq!(r.data.stores.len(), 1);
    assert_eq!(
        entry(&r.data.stores[0], "self").status,
        FileStatus::NotAFile
    );
    assert_eq!(r.data.discovery.missing.len(), 1);
    assert!(r.findings.iter().any(|f| f.id == "KSP_NOT_FOUND"));
}

#[test]
fn nothing_the_inventory_reads_is_modified() {
    let dir = tempfile::tempdir().unwrap();
    let all = support::stores::write_all(dir.path(), support::certs::now());
    let before = support::certs::snapshot(dir.path());
    assert!(before.len() > 100);
    // Let a write, if any happened, land in a later mtime tick.
    std::thread::sleep(Duration::from_millis(20));
    for s in &all {
        let _ = inventory_within(request(&[&s.path]), Duration::from_secs(60));
    }
    let _ = inventory_within(request(&[dir.path()]), Duration::from_secs(60));
    let after = support::certs::snapshot(dir.path());
    assert_eq!(before, after);
}

mod random_input {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Any bytes in a file give a report, never a panic.
        #[test]
        fn any_file_content_gives_a_report(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let dir = tempfile::tempdir().unwrap();
            fs::write(dir.path().join("x.cer"), &bytes).unwrap();
            let r = cert_inventory(&request(&[dir.path()]));
            prop_assert_eq!(r.data.stores.len(), 1);
            prop_assert_eq!(r.data.stores[0].counts.files, 1);
        }
    }
}
