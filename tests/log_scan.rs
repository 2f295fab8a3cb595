//! End-to-end tests of `log_scan` on the sample logs in `tests/data/logs`:
//! formats, encodings, filters, time windows, rotation and coverage.

mod support;

use nymidiag::logs::{
    DateOrder, KindChoice, KindSource, LogKind, LogScanRequest, ScanMode, TextEncoding, TimeBasis,
};
use nymidiag::time_fmt::UtcTime;
use nymidiag::{ReportStatus, Severity};
use support::logs::{count, data, hit, request, scan, utf16be, utf16le, write};

fn wgss_text() -> String {
    std::fs::read_to_string(data("logs/WGSS_Nymi.log")).unwrap()
}

#[test]
fn wgss_trace_gives_the_documented_findings() {
    let report = scan(&request(&[&data("logs/WGSS_Nymi.log")]));
    assert_eq!(report.status, ReportStatus::Issue);
    assert_eq!(report.capability, "log_scan");
    let expected = [
        ("LOG_TOKEN_REQUEST_ERROR", 1),
        ("LOG_TOKEN_REQUEST_FAILED", 1),
        ("LOG_CERT_CHAIN_NOT_TRUSTED", 1),
        ("LOG_NO_VISIBLE_DEVICES", 1),
        ("LOG_OBJECT_NOT_FOUND", 3),
        ("LOG_NEA_CERTS_NOT_RETRIEVED", 2),
        ("LOG_ERROR_CODE_RETURNED", 5),
    ];
    for (id, n) in expected {
        assert_eq!(count(&report, id), n, "{id}");
    }
    assert_eq!(report.data.hits.len(), expected.len());
    assert!(!report.data.nothing_matched);

    // Findings mirror the hits, most severe first, with remediation.
    assert_eq!(report.findings.len(), expected.len());
    assert_eq!(report.findings[0].severity, Severity::Error);
    let f = report
        .findings
        .iter()
        .find(|f| f.id == "LOG_NEA_CERTS_NOT_RETRIEVED")
        .unwrap();
    assert_eq!(f.evidence["count"], 2);
    assert_eq!(f.evidence["first_seen"], "2024-05-02T07:41:08.163Z");
    assert!(
        f.remediation
            .as_deref()
            .unwrap()
            .contains("EAM Security Service")
    );
    assert!(!f.refs.is_empty());

    // The token failure carries the detail logged before it.
    let token = hit(&report, "LOG_TOKEN_REQUEST_FAILED").unwrap();
    assert_eq!(token.fields["token_error_code"][0].value, "0");
    assert_eq!(
        token.fields["token_error_message"][0].value,
        "The operation is complete"
    );
    assert_eq!(token.preceded_by["LOG_TOKEN_REQUEST_ERROR"], 1);

    // "Object not found" says what preceded it, with lines before.
    let onf = hit(&report, "LOG_OBJECT_NOT_FOUND").unwrap();
    assert_eq!(onf.preceded_by["LOG_CERT_CHAIN_NOT_TRUSTED"], 2);
    assert_eq!(onf.preceded_by["LOG_NO_VISIBLE_DEVICES"], 1);
    assert_eq!(onf.locations[0].line, 10);
    assert_eq!(onf.excerpts[0].before.len(), 5);
    assert_eq!(
        onf.fields["function"][0].value,
        "CWearableContext::ConnectUserWearableDevice"
    );

    // The BLE case is on another thread, without 0x8101201c.
    let ble = hit(&report, "LOG_NO_VISIBLE_DEVICES").unwrap();
    assert_eq!(ble.locations[0].line, 14);

    // Error codes decoded, unknown Evidian code sent to Errors and Events.
    let codes = &report.data.error_codes;
    assert_eq!(codes[0].code, "0x81010009");
    assert_eq!(codes[0].count, 3);
    let chain = codes.iter().find(|c| c.code == "0x8101201c").unwrap();
    assert_eq!(
        chain.name.as_deref(),
        Some("FMK_E_SECURITY_CERTIFICATECHAINNOTTRUSTED")
    );
    let beef = codes.iter().find(|c| c.code == "0x8101beef").unwrap();
    assert!(!beef.known && beef.meaning.contains("Evidian Errors and Events"));

    // Coverage: kind, encoding, date order, times, mode.
    let file = &report.data.files[0];
    assert_eq!(file.kind, LogKind::Wgss);
    assert_eq!(file.kind_source, KindSource::Content);
    assert_eq!(file.encoding, TextEncoding::Utf8);
    assert_eq!(file.date_order, Some(DateOrder::YyMmDd));
    assert_eq!(file.time_basis, TimeBasis::Local);
    assert_eq!(file.mode, ScanMode::Prefilter);
    assert_eq!(file.lines, 16);
    assert_eq!(
        file.first_time.unwrap().to_string(),
        "2024-05-02T07:40:00.001Z"
    );
    assert_eq!(
        file.last_time.unwrap().to_string(),
        "2024-05-02T09:15:01.000Z"
    );
    assert_eq!(report.data.coverage.files_read, 1);
    assert_eq!(report.data.coverage.lines_read, 16);
    assert_eq!(report.data.window.local_offset, "+00:00");
    assert_eq!(report.data.window.local_offset_source, "request");
    assert!(report.data.summary.contains("rule(s) matched"));
}

#[test]
fn secrets_never_reach_the_report() {
    let report = scan(&request(&[&data("logs/WGSS_Nymi.log")]));
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("abc123secret"), "token leaked");

    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "WGSS.log",
        b"704:(24/05/02 07:41:08.150):Listener.cpp :0411: Unable to get token with USER creds \
          token=abc123secret Authorization: Bearer eyJhbGciOiJIUzI1.eyJzdWIiOiIx.c2lnbmF0dXJl \
          password: hunter2\n",
    );
    let report = scan(&request(&[&path]));
    let json = serde_json::to_string(&report).unwrap();
    for secret in ["abc123secret", "eyJhbGciOiJIUzI1", "hunter2"] {
        assert!(!json.contains(secret), "{secret} leaked");
    }
    let text = &hit(&report, "LOG_TOKEN_REQUEST_FAILED").unwrap().excerpts[0].text;
    assert!(text.contains("token=<redacted>"), "{text}");
    assert!(text.contains("Authorization: Bearer <redacted>"), "{text}");
    assert!(text.contains("password: <redacted>"), "{text}");
}

#[test]
fn every_encoding_gives_the_same_counts() {
    let text = wgss_text();
    let crlf = text.replace('\n', "\r\n");
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>, TextEncoding)> = vec![
        ("utf8.log", text.clone().into_bytes(), TextEncoding::Utf8),
        (
            "bom.log",
            [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat(),
            TextEncoding::Utf8Bom,
        ),
        ("crlf.log", crlf.clone().into_bytes(), TextEncoding::Utf8),
        ("u16bom.log", utf16le(&crlf, true), TextEncoding::Utf16LeBom),
        ("u16.log", utf16le(&crlf, false), TextEncoding::Utf16Le),
        ("u16be.log", utf16be(&text), TextEncoding::Utf16BeBom),
        (
            "ansi.log",
            // A Windows-1252 byte (e9 = é) makes the file invalid UTF-8.
            text.replacen("heartbeat", "heartbeat caf\u{e9}", 1)
                .chars()
                .map(|c| if c == '\u{e9}' { 0xe9u8 } else { c as u8 })
                .collect(),
            TextEncoding::Windows1252,
        ),
    ];
    let baseline = scan(&request(&[&data("logs/WGSS_Nymi.log")]));
    for (name, bytes, encoding) in cases {
        let path = write(dir.path(), name, &bytes);
        let report = scan(&request(&[&path]));
        assert_eq!(report.data.files[0].encoding, encoding, "{name}");
        assert_eq!(report.data.files[0].lines, 16, "{name}");
        for h in &baseline.data.hits {
            assert_eq!(count(&report, &h.rule_id), h.count, "{name} {}", h.rule_id);
        }
        let token = hit(&report, "LOG_TOKEN_REQUEST_FAILED").unwrap();
        assert_eq!(
            token.fields["token_error_message"][0].value, "The operation is complete",
            "{name}"
        );
    }
}

#[test]
fn invalid_utf8_lines_are_read_as_windows_1252() {
    let dir = tempfile::tempdir().unwrap();
    // Valid UTF-8 at the start (so the file is searched as UTF-8), one
    // Windows-1252 line later on.
    let mut bytes = "x\n".repeat(40_000).into_bytes();
    bytes.extend_from_slice(b"Unable to get token with USER creds for Jos\xe9\n");
    let path = write(dir.path(), "late.log", &bytes);
    let report = scan(&LogScanRequest {
        kind: KindChoice::Wgss,
        ..request(&[&path])
    });
    let f = &report.data.files[0];
    assert_eq!(f.encoding, TextEncoding::Utf8);
    assert_eq!(f.lines_windows_1252, 1);
    let h = hit(&report, "LOG_TOKEN_REQUEST_FAILED").unwrap();
    assert!(h.excerpts[0].text.ends_with("Jos\u{e9}"));
    assert_eq!(h.undated, 1);
}

#[test]
fn nymi_api_log_signatures_and_json_fields() {
    let report = scan(&request(&[&data("logs/nymi_api.log")]));
    let file = &report.data.files[0];
    assert_eq!(file.kind, LogKind::NymiApi);
    assert_eq!(count(&report, "LOG_NES_CONNECTION_MISSING"), 3);
    assert_eq!(count(&report, "LOG_NEA_MISSING_CERTS"), 3);
    assert_eq!(count(&report, "LOG_NEA_CERT_CHAIN_VERIFY_FAILED"), 1);
    let missing = hit(&report, "LOG_NEA_MISSING_CERTS").unwrap();
    assert_eq!(missing.fields["operation"][0].value, "init");
    assert_eq!(missing.fields["status"][0].value, "8000");
    assert_eq!(
        missing.fields["error_description"][0].value,
        "NEA missing certificates."
    );
    assert_eq!(missing.undated, 3, "the article's lines carry no time");
    let verify = hit(&report, "LOG_NEA_CERT_CHAIN_VERIFY_FAILED").unwrap();
    assert_eq!(verify.fields["nsl_code"][0].value, "5");
    // The cut JSON is a parse problem, and the line is still scanned.
    assert_eq!(report.data.parse_problems_total, 1);
    assert_eq!(report.data.parse_problems[0].line, 6);
    assert!(
        report.data.parse_problems[0]
            .problem
            .contains("does not parse")
    );
}

#[test]
fn firewall_log_with_filters_and_local_time() {
    let path = data("logs/pfirewall.log");
    let all = scan(&LogScanRequest {
        local_offset_minutes: Some(120),
        ..request(&[&path])
    });
    let file = &all.data.files[0];
    assert_eq!(file.kind, LogKind::Firewall);
    assert_eq!(file.mode, ScanMode::EveryRecord);
    assert_eq!(file.time_basis, TimeBasis::Local);
    assert_eq!(count(&all, "FIREWALL_DROP_NES"), 4);
    let drop = hit(&all, "FIREWALL_DROP_NES").unwrap();
    // 09:41:08 at +02:00.
    assert_eq!(
        drop.first_seen.unwrap().to_string(),
        "2024-05-02T07:41:08.000Z"
    );
    assert_eq!(all.data.window.local_offset, "+02:00");
    // The odd BLOCK line is reported twice (columns, action), never dropped.
    assert_eq!(all.data.parse_problems_total, 2);
    assert!(all.data.parse_problems.iter().all(|p| p.line == 13));

    let nes = scan(&LogScanRequest {
        remote_address: Some("10.20.0.15".into()),
        ..request(&[&path])
    });
    assert_eq!(count(&nes, "FIREWALL_DROP_NES"), 3);
    // Two lines to 10.1.0.10, one to 10.9.9.9, INFO-EVENTS-LOST (no address).
    assert_eq!(nes.data.files[0].records_filtered, 4);
    let dns = scan(&LogScanRequest {
        port: Some(53),
        ..request(&[&path])
    });
    assert_eq!(count(&dns, "FIREWALL_DROP_NES"), 1);
}

#[test]
fn nes_iis_log_rules_and_client_filter() {
    let path = data("logs/u_ex240502.log");
    let all = scan(&request(&[&path]));
    assert_eq!(all.data.files[0].time_basis, TimeBasis::Utc);
    assert_eq!(count(&all, "IIS_KERBEROS_FAILURE"), 2);
    assert_eq!(count(&all, "IIS_NES_SERVER_ERROR"), 1);
    assert_eq!(count(&all, "IIS_NES_FORBIDDEN"), 1);
    assert!(
        hit(&all, "IIS_REQUEST_OK").is_none(),
        "helper rules are not reported"
    );
    let krb = hit(&all, "IIS_KERBEROS_FAILURE").unwrap();
    assert_eq!(krb.fields["c-ip"][0].value, "10.30.4.77");
    assert_eq!(krb.fields["c-ip"].len(), 1, "10.30.9.12 got a 200");
    assert_eq!(
        hit(&all, "IIS_NES_FORBIDDEN").unwrap().fields["sc-substatus"][0].value,
        "4"
    );
    assert_eq!(all.data.parse_problems_total, 1);

    let other = scan(&LogScanRequest {
        client_address: Some("10.30.9.12".into()),
        ..request(&[&path])
    });
    assert_eq!(count(&other, "IIS_KERBEROS_FAILURE"), 0);
    assert_eq!(count(&other, "IIS_NES_SERVER_ERROR"), 0);
    assert!(other.data.files[0].records_filtered > 0);
}

#[test]
fn time_window_filters_records_and_says_so() {
    let path = data("logs/WGSS_Nymi.log");
    let late = scan(&LogScanRequest {
        since: Some(UtcTime::parse("2024-05-02T09:00:00Z").unwrap()),
        ..request(&[&path])
    });
    assert_eq!(count(&late, "LOG_NEA_CERTS_NOT_RETRIEVED"), 0);
    assert_eq!(count(&late, "LOG_NO_VISIBLE_DEVICES"), 1);
    assert!(late.data.files[0].records_outside_window > 0);

    // A cause logged just before the window still explains a hit inside it.
    let edge = scan(&LogScanRequest {
        since: Some(UtcTime::parse("2024-05-02T07:41:08.163Z").unwrap()),
        ..request(&[&path])
    });
    assert_eq!(count(&edge, "LOG_NEA_CERTS_NOT_RETRIEVED"), 2);
    assert_eq!(count(&edge, "LOG_CERT_CHAIN_NOT_TRUSTED"), 0);

    let early = scan(&LogScanRequest {
        until: Some(UtcTime::parse("2024-05-02T08:00:00Z").unwrap()),
        ..request(&[&path])
    });
    assert_eq!(count(&early, "LOG_NEA_CERTS_NOT_RETRIEVED"), 2);
    assert_eq!(count(&early, "LOG_NO_VISIBLE_DEVICES"), 0);
    assert_eq!(
        early.data.window.until.unwrap().to_string(),
        "2024-05-02T08:00:00.000Z"
    );
}

#[test]
fn the_default_window_is_fourteen_days_and_skips_older_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "WGSS.log", wgss_text().as_bytes());
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(30 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let report = scan(&LogScanRequest {
        paths: vec![path.display().to_string()],
        ..Default::default()
    });
    assert!(report.data.window.since_is_default);
    assert_eq!(report.data.files.len(), 0);
    assert_eq!(report.data.not_scanned[0].reason, "older_than_window");
    assert!(report.data.nothing_matched);
    assert_eq!(
        report.status,
        ReportStatus::Error,
        "nothing given could be read"
    );
}

#[test]
fn nothing_matched_is_an_explicit_statement() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "WGSS.log",
        b"704:(24/05/02 07:41:08.149):CHttpClient.cpp :0402: -> CHttpClient::GetHttpStatus\n",
    );
    let report = scan(&request(&[&path]));
    assert_eq!(report.status, ReportStatus::Ok);
    assert!(report.data.nothing_matched);
    assert!(
        report.data.summary.starts_with("Nothing matched:"),
        "{}",
        report.data.summary
    );
    assert!(report.data.summary.contains("1 file(s)"));
    assert_eq!(report.data.coverage.encodings["utf-8"], 1);
    assert!(report.findings.is_empty());
}

#[test]
fn date_order_follows_the_modified_time_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    // 22/03/17 written in March 2017: dd/mm/yy.
    let path = write(
        dir.path(),
        "WGSS.log",
        b"704:(22/03/17 06:13:14.162):WearableExtension.cpp :0440: Ext::GetListOfVisibleDevices returns: 0x8101201c\n",
    );
    let t = UtcTime::parse("2017-03-22T08:00:00Z").unwrap();
    let mtime = std::time::UNIX_EPOCH
        + std::time::Duration::from_secs(t.0.unix_timestamp().try_into().unwrap());
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let report = scan(&LogScanRequest {
        since: Some(UtcTime::parse("2017-01-01T00:00:00Z").unwrap()),
        ..request(&[&path])
    });
    let f = &report.data.files[0];
    assert_eq!(f.date_order, Some(DateOrder::DdMmYy));
    assert!(f.notes[0].contains("read as dd/mm/yy"), "{:?}", f.notes);
    assert_eq!(
        hit(&report, "LOG_CERT_CHAIN_NOT_TRUSTED")
            .unwrap()
            .first_seen
            .unwrap()
            .to_string(),
        "2017-03-22T06:13:14.162Z"
    );
}

#[test]
fn rotated_siblings_merge_into_one_stream() {
    let dir = tempfile::tempdir().unwrap();
    let text = wgss_text();
    // The rotation split the failing tap: the cause in the old file, the
    // "Object not found" in the current one.
    let lines: Vec<&str> = text.lines().collect();
    let old = write(
        dir.path(),
        "WGSS.log.old",
        (lines[..8].join("\n") + "\n").as_bytes(),
    );
    let cur = write(
        dir.path(),
        "WGSS.log",
        (lines[8..].join("\n") + "\n").as_bytes(),
    );
    let now = std::time::SystemTime::now();
    for (p, age) in [(&old, 60), (&cur, 0)] {
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(now - std::time::Duration::from_secs(age))
            .unwrap();
    }
    let separate = scan(&request(&[&cur]));
    assert_eq!(separate.data.files.len(), 1);
    assert_eq!(count(&separate, "LOG_NEA_CERTS_NOT_RETRIEVED"), 0);

    let merged = scan(&LogScanRequest {
        merge_rotated: true,
        ..request(&[&cur])
    });
    assert_eq!(merged.data.files.len(), 2);
    assert!(merged.data.files[0].path.ends_with("WGSS.log.old"));
    assert!(merged.data.files[0].rotation_family.is_some());
    assert_eq!(count(&merged, "LOG_NEA_CERTS_NOT_RETRIEVED"), 2);
}

#[test]
fn folders_and_kinds_are_detected_from_content() {
    let dir = tempfile::tempdir().unwrap();
    // Names say nothing: content decides.
    std::fs::copy(data("logs/WGSS_Nymi.log"), dir.path().join("a.txt")).unwrap();
    std::fs::copy(data("logs/nymi_api.log"), dir.path().join("b.txt")).unwrap();
    std::fs::copy(data("logs/pfirewall.log"), dir.path().join("c.txt")).unwrap();
    std::fs::copy(data("logs/u_ex240502.log"), dir.path().join("d.txt")).unwrap();
    write(dir.path(), "e.txt", b"plain notes 0x8101201c\n");
    let report = scan(&request(&[dir.path()]));
    let kinds: Vec<LogKind> = report.data.files.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            LogKind::Wgss,
            LogKind::NymiApi,
            LogKind::Firewall,
            LogKind::Iis,
            LogKind::Text
        ]
    );
    assert!(
        report
            .data
            .files
            .iter()
            .all(|f| f.kind_source == KindSource::Content || f.kind == LogKind::Text)
    );
    assert_eq!(report.data.coverage.kinds.len(), 5);
    // The text file's 0x8101201c counts too (the rule applies to text).
    assert_eq!(count(&report, "LOG_CERT_CHAIN_NOT_TRUSTED"), 2);

    let forced = scan(&LogScanRequest {
        kind: KindChoice::Text,
        ..request(&[&dir.path().join("a.txt")])
    });
    assert_eq!(forced.data.files[0].kind_source, KindSource::Request);
    assert_eq!(count(&forced, "LOG_NEA_CERTS_NOT_RETRIEVED"), 0);
}

#[test]
fn default_locations_are_reported() {
    let report = scan(&LogScanRequest {
        local_offset_minutes: Some(0),
        ..Default::default()
    });
    let searched = &report.data.searched_locations;
    assert!(searched.iter().any(|s| s.purpose.contains("nymi_api.log")));
    assert!(searched.iter().any(|s| s.purpose.contains("WGSS")));
    assert!(searched.iter().any(|s| s.purpose.contains("Firewall")));
    assert!(searched.iter().any(|s| s.purpose.contains("IIS")));
    if !cfg!(windows) {
        assert!(searched.iter().all(|s| !s.exists));
        assert_eq!(
            report.coverage["log_files"].state,
            nymidiag::report::CoverageState::NotApplicable
        );
        assert!(report.data.summary.contains("default locations"));
        assert_eq!(report.status, ReportStatus::Ok);
    }
}

#[test]
fn an_extra_rule_pack_adds_findings() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "WGSS.log",
        b"704:(24/05/02 07:41:08.149):CHttpClient.cpp :0402: status 407 Proxy Authentication Required\n",
    );
    let report = scan(&LogScanRequest {
        rule_paths: vec![data("rules/site.toml").display().to_string()],
        ..request(&[&path])
    });
    assert_eq!(count(&report, "SITE_PROXY_AUTH_REQUIRED"), 1);
    assert_eq!(report.data.rule_packs.len(), 2);
    let only_site = scan(&LogScanRequest {
        rule_paths: vec![data("rules/site.toml").display().to_string()],
        default_rules: Some(false),
        ..request(&[&path])
    });
    assert_eq!(only_site.data.rule_packs.len(), 1);
    assert_eq!(only_site.data.coverage.rules_loaded, 2);
}

#[test]
fn reports_round_trip_through_json() {
    let report = scan(&request(&[
        &data("logs/WGSS_Nymi.log"),
        &data("logs/u_ex240502.log"),
    ]));
    let json = serde_json::to_string(&report).unwrap();
    let back: nymidiag::Report<nymidiag::logs::LogScanData> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.data, report.data);
    let schema = serde_json::to_value(schemars::schema_for!(nymidiag::logs::LogScanData)).unwrap();
    assert!(
        schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "hits")
    );
}
