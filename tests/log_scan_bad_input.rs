//! Bad input: every case gets a clear result, never a crash or unbounded
//! memory, and the scanner never changes what it reads.

mod support;

use std::io::Write;
use std::path::Path;

use nymidiag::ReportStatus;
use nymidiag::logs::{LogScanRequest, RuleListRequest, list_rules, log_scan, try_log_scan};
use sha2::{Digest, Sha256};
use support::logs::{count, data, hit, request, scan, write};

const CHAIN_LINE: &str = "704:(24/05/02 07:41:08.162):WearableExtension.cpp :0440: Ext::GetListOfVisibleDevices returns: 0x8101201c\n";

#[test]
fn binary_files_are_skipped_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut dll = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    dll.extend((0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let dll = write(dir.path(), "nymi_api.dll", &dll);
    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    zip.extend(std::iter::repeat_n(b'A', 5000));
    let zip = write(dir.path(), "logs.zip", &zip);
    let good = write(dir.path(), "WGSS.log", CHAIN_LINE.as_bytes());
    let report = scan(&request(&[&dll, &zip, &good]));
    assert_eq!(report.status, ReportStatus::Issue);
    assert_eq!(report.data.files.len(), 1);
    let reasons: Vec<(&str, &str)> = report
        .data
        .not_scanned
        .iter()
        .map(|n| (n.reason.as_str(), n.detail.as_str()))
        .collect();
    assert_eq!(reasons.len(), 2);
    assert!(reasons.iter().all(|(r, _)| *r == "binary"));
    assert!(reasons.iter().any(|(_, d)| d.contains("DLL")));
    assert!(reasons.iter().any(|(_, d)| d.contains("zip archive")));
    assert_eq!(count(&report, "LOG_CERT_CHAIN_NOT_TRUSTED"), 1);

    // Only binaries given: the report says nothing could be read.
    let only = scan(&request(&[&dll, &zip]));
    assert_eq!(only.status, ReportStatus::Error);
    assert!(only.data.summary.starts_with("No log file was read"));
}

#[test]
fn nul_bytes_inside_text_are_counted_and_shown_safely() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(
        b"704:(24/05/02 07:41:08.150):Listener.cpp :0411: Unable to get\0token\0 with USER creds\n",
    );
    bytes.extend_from_slice(b"704:(24/05/02 07:41:08.151):Listener.cpp :0411: Unable to get token with USER creds \0\0\0\n");
    bytes.extend_from_slice(CHAIN_LINE.as_bytes());
    let path = write(dir.path(), "WGSS.log", &bytes);
    let report = scan(&request(&[&path]));
    let f = &report.data.files[0];
    assert_eq!(f.lines, 3);
    assert_eq!(f.lines_with_nul, 1, "only candidate records are looked at");
    let h = hit(&report, "LOG_TOKEN_REQUEST_FAILED").unwrap();
    assert_eq!(h.count, 1);
    assert!(h.excerpts[0].text.ends_with("\u{fffd}\u{fffd}\u{fffd}"));
    assert!(!serde_json::to_string(&report).unwrap().contains("\\u0000"));
}

#[test]
fn a_line_of_100_mb_is_capped_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("WGSS.log");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(b"start 0x8101201c ").unwrap();
        let block = vec![b'x'; 1 << 20];
        for _ in 0..100 {
            f.write_all(&block).unwrap();
        }
        // Past the 1 MiB cap: not seen.
        f.write_all(b" 0x8101201c end\n").unwrap();
        f.write_all(CHAIN_LINE.as_bytes()).unwrap();
    }
    let report = scan(&request(&[&path]));
    let f = &report.data.files[0];
    assert_eq!(f.long_lines, 1);
    assert_eq!(f.lines, 2);
    assert_eq!(count(&report, "LOG_CERT_CHAIN_NOT_TRUSTED"), 2);
    assert!(f.bytes > 100 << 20);
    let excerpt = &hit(&report, "LOG_CERT_CHAIN_NOT_TRUSTED").unwrap().excerpts[0].text;
    assert!(excerpt.chars().count() <= 501, "excerpts stay short");
}

#[test]
fn a_file_without_newline_is_bounded_with_a_lowered_cap() {
    // The same code path as the 2 GB case below, at a size for every run.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noeol.log");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(b"0x81010009 ").unwrap();
        for _ in 0..8 {
            f.write_all(&vec![b'y'; 1 << 20]).unwrap();
        }
    }
    let report = scan(&LogScanRequest {
        max_line_bytes: Some(4096),
        ..request(&[&path])
    });
    let f = &report.data.files[0];
    assert_eq!((f.lines, f.long_lines), (1, 1));
    assert_eq!(f.bytes, (8 << 20) + 11);
    assert_eq!(count(&report, "LOG_OBJECT_NOT_FOUND"), 1);
}

/// Peak resident memory of this process, where the platform says.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
#[ignore = "writes a 2 GB file to the temp folder; run with --ignored"]
fn a_2_gb_file_without_newline_is_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.log");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(b"Unable to get token with USER creds ")
            .unwrap();
        let block = vec![b'z'; 8 << 20];
        for _ in 0..256 {
            f.write_all(&block).unwrap();
        }
    }
    let before = peak_rss_kib();
    let report = scan(&LogScanRequest {
        kind: nymidiag::logs::KindChoice::Wgss,
        ..request(&[&path])
    });
    let f = &report.data.files[0];
    assert_eq!((f.lines, f.long_lines), (1, 1));
    assert_eq!(f.bytes, (2u64 << 30) + 36);
    assert_eq!(count(&report, "LOG_TOKEN_REQUEST_FAILED"), 1);
    if let (Some(a), Some(b)) = (before, peak_rss_kib()) {
        // Buffers of a few MB, not the file.
        assert!(
            b.saturating_sub(a) < 64 * 1024,
            "peak RSS grew by {} KiB",
            b - a
        );
        eprintln!("peak RSS {a} KiB before, {b} KiB after");
    }
}

#[test]
fn missing_empty_and_folder_paths_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let gone = write(dir.path(), "gone.log", CHAIN_LINE.as_bytes());
    std::fs::remove_file(&gone).unwrap();
    let empty = write(dir.path(), "empty.log", b"");
    let report = scan(&request(&[&gone, &empty]));
    assert_eq!(report.data.not_scanned[0].reason, "not_found");
    assert_eq!(report.data.files.len(), 1);
    assert_eq!(report.data.files[0].lines, 0);
    assert!(report.data.nothing_matched);
}

fn fingerprint(path: &Path) -> (Vec<u8>, std::time::SystemTime, u64) {
    let bytes = std::fs::read(path).unwrap();
    let meta = std::fs::metadata(path).unwrap();
    (
        Sha256::digest(&bytes).to_vec(),
        meta.modified().unwrap(),
        meta.len(),
    )
}

#[test]
fn the_scanner_never_modifies_what_it_reads() {
    let mut paths: Vec<_> = std::fs::read_dir(data("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.extend(
        std::fs::read_dir(data("conformance/iis"))
            .unwrap()
            .map(|e| e.unwrap().path()),
    );
    paths.sort();
    let before: Vec<_> = paths.iter().map(|p| fingerprint(p)).collect();
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    let report = scan(&LogScanRequest {
        merge_rotated: true,
        ..request(&refs)
    });
    assert!(report.data.files.len() >= 8);
    let after: Vec<_> = paths.iter().map(|p| fingerprint(p)).collect();
    assert_eq!(before, after);
}

fn pack_error(file: &str) -> String {
    let path = data(&format!("rules/{file}")).display().to_string();
    let err = list_rules(&RuleListRequest {
        rule_paths: vec![path.clone()],
        ..Default::default()
    })
    .unwrap_err();
    match err {
        nymidiag::Error::RequestInvalid {
            path: field,
            message,
        } => {
            assert_eq!(field, "rule_paths[0]");
            assert!(message.starts_with(&path), "{message}");
            message
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn bad_rule_packs_fail_with_file_line_and_reason() {
    let m = pack_error("bad-regex.toml");
    assert!(m.contains(".toml:11: rule BAD_REGEX: invalid regex"), "{m}");
    let m = pack_error("bad-duplicate.toml");
    assert!(
        m.contains(".toml:7: duplicate rule id LOG_OBJECT_NOT_FOUND"),
        "{m}"
    );
    assert!(m.contains("built-in:default.toml:"), "{m}");
    let m = pack_error("bad-no-literal.toml");
    assert!(m.contains(".toml:6: rule NO_LITERAL: no literal"), "{m}");
    assert!(m.contains("slow = true"), "{m}");

    let missing = list_rules(&RuleListRequest {
        rule_paths: vec!["/no/such/pack.toml".into()],
        ..Default::default()
    })
    .unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("/no/such/pack.toml: not found"),
        "{missing}"
    );

    // log_scan refuses to run half a rule set.
    let req = LogScanRequest {
        rule_paths: vec![data("rules/bad-regex.toml").display().to_string()],
        ..request(&[&data("logs/WGSS_Nymi.log")])
    };
    assert!(matches!(
        try_log_scan(&req),
        Err(nymidiag::Error::RequestInvalid { .. })
    ));
    let report = log_scan(&req);
    assert_eq!(report.status, ReportStatus::Error);
    assert!(
        report.warnings[0].contains("invalid regex"),
        "{:?}",
        report.warnings
    );
    assert!(report.data.files.is_empty());
}

#[test]
fn a_pack_that_is_not_toml_or_not_text_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = write(dir.path(), "garbage.toml", b"\x00\x01\x02\xff\xfe not toml");
    let err = list_rules(&RuleListRequest {
        rule_paths: vec![garbage.display().to_string()],
        ..Default::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("garbage.toml"), "{err}");
    let html = write(dir.path(), "page.toml", b"<html><body>404</body></html>\n");
    let err = list_rules(&RuleListRequest {
        rule_paths: vec![html.display().to_string()],
        ..Default::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("page.toml:1:"), "{err}");
}

#[test]
fn the_report_stays_small_whatever_the_input() {
    let dir = tempfile::tempdir().unwrap();
    // 520 files (more than the 500 listed), each with long matching lines.
    let long_line = format!(
        "704:(24/05/02 07:41:08.162):W.cpp :0440: Ext::GetListOfVisibleDevices returns: 0x8101201c {}\n",
        "q".repeat(600)
    );
    let content = long_line.repeat(2);
    for i in 0..520 {
        write(dir.path(), &format!("WGSS_{i:04}.log"), content.as_bytes());
    }
    // And a pack of 200 rules with long texts that all fire.
    let mut pack = String::from("[pack]\nname = \"big\"\nversion = \"1\"\n");
    for i in 0..200 {
        pack.push_str(&format!(
            "[[rule]]\nid = \"BIG_{i}\"\ntitle = \"{}\"\nseverity = \"warning\"\nkinds = [\"wgss\"]\n\
             literals = [\"0x8101201c\"]\nregex = '(?P<code>0x8101201c) (?P<tail>q{{1,20}})'\nexplanation = \"{}\"\n\
             remediation = \"{}\"\n[rule.samples]\npositive = [\"0x8101201c qq\"]\n\
             negative = [\"nothing\"]\n",
            "T".repeat(190),
            "E".repeat(3900),
            "R".repeat(3900)
        ));
    }
    let pack_dir = tempfile::tempdir().unwrap();
    let pack_path = write(pack_dir.path(), "big.toml", pack.as_bytes());
    let report = log_scan(&LogScanRequest {
        rule_paths: vec![pack_path.display().to_string()],
        ..request(&[dir.path()])
    });
    let json = serde_json::to_vec(&report).unwrap();
    assert!(json.len() < 2_000_000, "{} bytes", json.len());
    assert_eq!(report.data.coverage.files_read, 520);
    assert!(report.data.files_omitted >= 20);
    assert!(report.data.trimmed);
    assert!(report.warnings.iter().any(|w| w.contains("shortened")));
    let chain = hit(&report, "LOG_CERT_CHAIN_NOT_TRUSTED").unwrap();
    assert_eq!(chain.count, 1040);
    assert!(chain.locations.len() <= 20);
    assert_eq!(
        chain.locations.len() as u64 + chain.locations_omitted,
        chain.count
    );
}

#[test]
fn malformed_requests_name_the_field() {
    let e = nymidiag::Error::parse_request::<LogScanRequest>(r#"{"paths": "C:\\x"}"#).unwrap_err();
    assert!(e.to_string().contains("paths"), "{e}");
    let e =
        nymidiag::Error::parse_request::<LogScanRequest>(r#"{"since": "yesterday"}"#).unwrap_err();
    assert!(e.to_string().contains("since"), "{e}");
    let e = nymidiag::Error::parse_request::<LogScanRequest>(r#"{"kind": "evtx"}"#).unwrap_err();
    assert!(e.to_string().contains("kind"), "{e}");
}

#[test]
fn long_lines_become_parse_problems_and_a_note() {
    let dir = tempfile::tempdir().unwrap();
    for (cap, lengths) in [
        (256usize, vec![300usize, 10, 257, 256, 4000, 1000, 300]),
        (1024, vec![2000, 2000, 2000, 2000]),
        (256, vec![10, 20]),
    ] {
        let mut text = String::new();
        for n in &lengths {
            let line = format!("Unable to get token with USER creds {}", "z".repeat(*n));
            text.push_str(&line[..*n]);
            text.push('\n');
        }
        let path = dir.path().join("long.txt");
        std::fs::write(&path, &text).unwrap();
        let report = scan(&LogScanRequest {
            max_line_bytes: Some(cap as u64),
            kind: nymidiag::logs::KindChoice::Text,
            ..request(&[&path])
        });
        let what = format!("cap {cap} {lengths:?}");
        let long: Vec<u64> = (1..)
            .zip(&lengths)
            .filter(|(_, n)| **n > cap)
            .map(|(i, _)| i)
            .collect();
        let f = &report.data.files[0];
        assert_eq!(f.long_lines, long.len() as u64, "{what}");
        let listed: Vec<u64> = report
            .data
            .parse_problems
            .iter()
            .filter(|p| {
                p.problem
                    == format!(
                        "line longer than max_line_bytes ({cap} bytes): only the first {cap} \
                         bytes were scanned"
                    )
            })
            .map(|p| p.line)
            .collect();
        assert_eq!(
            listed,
            long.iter().copied().take(3).collect::<Vec<_>>(),
            "{what}"
        );
        assert_eq!(f.parse_problems, listed.len() as u64, "{what}");
        let noted = f.notes.iter().any(|n| {
            n.starts_with(&format!(
                "{} line(s) longer than max_line_bytes",
                long.len()
            ))
        });
        assert_eq!(noted, !long.is_empty(), "{what}: {:?}", f.notes);
    }
}
