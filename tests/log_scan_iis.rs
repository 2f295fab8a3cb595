//! The IIS reader against real-world IIS logs (Elastic Beats fixtures, see
//! `tests/data/conformance/iis/NOTICE.md`): every file is read without
//! error, and its odd lines are reported as parse problems, never dropped.

mod support;

use nymidiag::ReportStatus;
use nymidiag::logs::{KindSource, LogKind};
use support::logs::{data, request, scan};

#[test]
fn every_conformance_file_is_read_and_its_odd_lines_reported() {
    let dir = data("conformance/iis");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 4);
    let paths: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
    let report = scan(&request(&paths));
    assert_ne!(report.status, ReportStatus::Error);
    assert!(
        report.data.not_scanned.is_empty(),
        "{:?}",
        report.data.not_scanned
    );
    assert_eq!(report.data.files.len(), 4);

    // (file, data lines, parse problems)
    let expected = [
        ("iis-headerless.log", 5, 0),
        ("iis10-ipv6zone.log", 1, 0),
        ("iis10-multiheader.log", 5, 2),
        ("iis75-mangled.log", 4, 2),
    ];
    for (name, records, problems) in expected {
        let f = report
            .data
            .files
            .iter()
            .find(|f| f.path.ends_with(name))
            .unwrap();
        assert_eq!(f.kind, LogKind::Iis, "{name}");
        assert_eq!(f.kind_source, KindSource::Content, "{name}");
        assert_eq!(f.records_examined, records, "{name}");
        assert_eq!(f.parse_problems, problems, "{name}");
        assert!(f.first_time.is_some(), "{name}");
    }
    assert_eq!(report.data.parse_problems_total, 4);

    // The multi-header file's last two lines no longer fit the third
    // header (22 columns) and are read with the 15-column default set.
    let multi: Vec<_> = report
        .data
        .parse_problems
        .iter()
        .filter(|p| p.path.ends_with("iis10-multiheader.log"))
        .collect();
    assert_eq!(multi.iter().map(|p| p.line).collect::<Vec<_>>(), [16, 17]);
    assert!(
        multi[0].problem.contains("declares 22"),
        "{}",
        multi[0].problem
    );

    // The mangled addresses are named.
    let mangled: Vec<_> = report
        .data
        .parse_problems
        .iter()
        .filter(|p| p.path.ends_with("iis75-mangled.log"))
        .collect();
    assert!(mangled.iter().all(|p| p.line == 5));
    assert!(mangled.iter().any(|p| p.problem.starts_with("s-ip")));
    assert!(mangled.iter().any(|p| p.problem.starts_with("c-ip")));

    // None of these requests touches the NES. The mangled file carries
    // pasted links (`[10.100.220.70](http://10.100.220.70)`), which the
    // URL rule, reading every kind, reports; nothing else matches.
    let ids: Vec<&str> = report
        .data
        .hits
        .iter()
        .map(|h| h.rule_id.as_str())
        .collect();
    assert_eq!(ids, ["LOG_NES_URL_SEEN"], "{:?}", report.data.hits);
    let urls = &report.data.hits[0].fields["nes_url"];
    assert_eq!(urls.len(), 1, "{urls:?}");
    assert_eq!(urls[0].value, "http://10.100.220.70");
}

#[test]
fn the_client_filter_accepts_ipv6_with_zone() {
    let path = data("conformance/iis/iis10-ipv6zone.log");
    let report = scan(&nymidiag::logs::LogScanRequest {
        client_address: Some("::1".into()),
        ..request(&[&path])
    });
    assert_eq!(report.data.files[0].records_filtered, 0);
    let other = scan(&nymidiag::logs::LogScanRequest {
        client_address: Some("10.0.0.1".into()),
        ..request(&[&path])
    });
    assert_eq!(other.data.files[0].records_filtered, 1);
}
