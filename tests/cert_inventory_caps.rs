//! The inventory's request and report caps: at most 1,000 paths, no blank
//! path, and a report that stays small whatever the store holds.

use nymidiag::Error;
use nymidiag::ReportStatus;
use nymidiag::certs::{CertInventoryRequest, cert_inventory, try_cert_inventory};

fn request(paths: Vec<String>) -> CertInventoryRequest {
    CertInventoryRequest {
        paths,
        ..Default::default()
    }
}

fn refusal(req: &CertInventoryRequest) -> (String, String) {
    match try_cert_inventory(req) {
        Err(Error::RequestInvalid { path, message }) => (path, message),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("the request was accepted"),
    }
}

#[test]
fn more_than_a_thousand_paths_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().display().to_string();
    for n in [1_001, 1_500, 100_000] {
        let (path, message) = refusal(&request(vec![p.clone(); n]));
        assert_eq!(path, "paths");
        assert!(message.contains("at most 1000"), "{message}");
        let report = cert_inventory(&request(vec![p.clone(); n]));
        assert_eq!(report.status, ReportStatus::Error);
        assert!(report.data.stores.is_empty());
    }
    assert!(try_cert_inventory(&request(vec![p; 1_000])).is_ok());
}

#[test]
fn blank_paths_are_refused_with_their_index() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().display().to_string();
    for blank in ["", " ", "\t", "  \r\n", "\u{3000}"] {
        for at in [0, 1, 5] {
            let mut paths = vec![p.clone(); 6];
            paths[at] = blank.to_owned();
            let (path, message) = refusal(&request(paths.clone()));
            assert_eq!(path, format!("paths[{at}]"), "{blank:?}");
            assert!(message.contains("blank"), "{message}");
            let report = cert_inventory(&request(paths));
            assert_eq!(report.status, ReportStatus::Error);
            let json = serde_json::to_string(&report).unwrap();
            assert!(json.contains(&format!("paths[{at}]")), "{json}");
        }
    }
}

#[test]
fn many_missing_paths_are_listed_up_to_a_cap() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<String> = (0..1_000)
        .map(|i| {
            dir.path()
                .join(format!("missing-{i}-{}", "x".repeat(200)))
                .display()
                .to_string()
        })
        .collect();
    let report = try_cert_inventory(&request(paths)).unwrap();
    let d = &report.data.discovery;
    assert_eq!(d.searched.len(), 100);
    assert_eq!(d.searched_omitted, 900);
    assert_eq!(d.missing.len() as u32 + d.missing_omitted, 1_000);
    let json = serde_json::to_vec(&report).unwrap();
    assert!(json.len() < 100_000, "{} bytes", json.len());
}

#[test]
fn a_store_of_100000_files_gives_a_small_report() {
    let dir = tempfile::tempdir().unwrap();
    let ksp = dir.path().join("ksp");
    std::fs::create_dir(&ksp).unwrap();
    for i in 0..100_000 {
        std::fs::File::create(ksp.join(format!("{i:06}.cer"))).unwrap();
    }
    let started = std::time::Instant::now();
    let report = try_cert_inventory(&request(vec![ksp.display().to_string()])).unwrap();
    let json = serde_json::to_vec(&report).unwrap();
    eprintln!(
        "100,000 empty files: {:.1} s, report {} bytes",
        started.elapsed().as_secs_f64(),
        json.len()
    );
    assert!(json.len() < 2_000_000, "{} bytes", json.len());
    assert_eq!(report.data.stores.len(), 1);
}
