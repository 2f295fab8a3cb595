//! The diagnosis end to end on real files and loopback servers: a broken
//! terminal (8 local certificates, the WGSS signatures) against a closed
//! port and an untrusted TLS server, a healthy terminal against a trusted
//! mock, the NES URL taken from the logs, the host's observations,
//! and the C boundary.

mod support;

use std::path::Path;

use nymidiag::diagnose::{
    DiagnoseData, DiagnoseRequest, HostCheckName, NesUrlSource, Part, VerdictId, diagnose,
};
use nymidiag::host::{HostObservations, IdentityRequestSeen, Observation};
use nymidiag::report::{CoverageState, Report, ReportStatus};

/// The WGSS lines of the failure, stamped a few minutes ago in local
/// time, plus an optional line naming the NES URL.
fn write_wgss(dir: &Path, nes_url: Option<&str>) {
    let offset = time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC);
    let at = (time::OffsetDateTime::now_utc() - time::Duration::minutes(5)).to_offset(offset);
    let stamp = format!(
        "{:02}/{:02}/{:02} {:02}:{:02}:{:02}",
        at.year() % 100,
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    let mut text = String::new();
    if let Some(url) = nes_url {
        text.push_str(&format!(
            "704:({stamp}.100):NesClient.cpp :0098: NES URL: {url}\n"
        ));
    }
    for line in [
        "CHttpClient.cpp :0402: -> CHttpClient::GetHttpStatus",
        "NesClient.cpp :0114: Error from token request--code: 0 - message: 'The operation is complete",
        "'",
        "Listener.cpp :0411: Unable to get token with USER creds",
        "WearableExtension.cpp :0440: Ext::GetListOfVisibleDevices returns: 0x8101201c",
        "WearableExtension.cpp :0441: 0 visible devices",
        "WearableExtension.cpp :0495: <- CWearableExtension::ValidateProvisions returned: 0x81010009",
        "WearableContext.cpp :0460: <- CWearableContext::ConnectUserWearableDevice returned: 0x81010009",
    ] {
        if line == "'" {
            text.push_str("'\n");
        } else {
            text.push_str(&format!("704:({stamp}.150):{line}\n"));
        }
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("WGSS_Nymi.log"), text).unwrap();
}

struct Terminal {
    _dir: tempfile::TempDir,
    ksp: String,
    logs: String,
}

/// A terminal with `certs` in its key store and the failure in its log.
fn terminal(
    certs: &[support::certs::FixtureCert],
    nes_url_in_log: Option<&str>,
    failing_log: bool,
) -> Terminal {
    let dir = tempfile::tempdir().unwrap();
    let ksp = dir.path().join("NSL").join("demo").join("ksp");
    support::certs::write_certs(&ksp, certs, support::certs::Encoding::Der);
    let logs = dir.path().join("logs");
    if failing_log {
        write_wgss(&logs, nes_url_in_log);
    } else {
        std::fs::create_dir_all(&logs).unwrap();
        std::fs::write(
            logs.join("nymi_api.log"),
            "INFO - sending update to nea {\"operation\":\"init\",\"exchange\":\"1\",\"status\":0,\"payload\":{},\"error\":null}\n",
        )
        .unwrap();
    }
    Terminal {
        ksp: ksp.display().to_string(),
        logs: logs.display().to_string(),
        _dir: dir,
    }
}

/// Certificates are dated around the real clock: the diagnosis judges
/// them now, as on a terminal.
fn clock() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn broken() -> Vec<support::certs::FixtureCert> {
    support::certs::local_certs(8, support::certs::local_window(clock()))
}

fn request(t: &Terminal, url: Option<&str>) -> DiagnoseRequest {
    let mut r = DiagnoseRequest {
        nes_url: url.map(str::to_owned),
        ..DiagnoseRequest::default()
    };
    r.cert_inventory.paths = vec![t.ksp.clone()];
    r.log_scan.paths = vec![t.logs.clone()];
    r.nes_probe.use_env_proxy = false;
    r.nes_probe.use_platform_roots = false;
    r.nes_probe.deadline_ms = 8_000;
    r
}

fn ids(r: &Report<DiagnoseData>) -> Vec<&str> {
    r.data.evidence.iter().map(|e| e.finding.as_str()).collect()
}

#[test]
fn broken_terminal_and_closed_port_is_tcp_blocked() {
    let t = terminal(&broken(), None, true);
    let port = support::servers::refused_port();
    let r = diagnose(&request(&t, Some(&format!("https://127.0.0.1:{port}/nes")))).unwrap();
    assert_eq!(r.data.verdict.id, VerdictId::NeaCertsNotRetrievedTcpBlocked);
    assert_eq!(r.status, ReportStatus::Issue);
    assert_eq!(r.findings[0].id, "NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED");
    let evidence = ids(&r);
    for want in [
        "NEA_CERTS_MISSING",
        "LOG_TOKEN_REQUEST_FAILED",
        "NES_TCP_REFUSED",
    ] {
        assert!(evidence.contains(&want), "{want} not in {evidence:?}");
    }
    // The earliest NotAfter of the inventory, as a UTC date.
    let expiry = r
        .data
        .inputs
        .cert_inventory
        .as_ref()
        .unwrap()
        .data
        .stores
        .iter()
        .filter_map(|s| s.validity.earliest_not_after)
        .min()
        .unwrap()
        .0
        .date();
    assert_eq!(
        r.data.status_line,
        format!(
            "STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=127.0.0.1:{port} \
             stage=tcp finding=NES_TCP_REFUSED confidence=high expiry={expiry} \
             logs=LOG_NEA_CERTS_NOT_RETRIEVED,LOG_CERT_CHAIN_NOT_TRUSTED,LOG_TOKEN_REQUEST_FAILED"
        )
    );
    let firewall = r
        .data
        .next_steps
        .iter()
        .find(|s| s.step == "Firewall logs")
        .and_then(|s| s.command.clone())
        .unwrap();
    assert!(
        firewall.contains(&format!("-RemoteAddress 127.0.0.1 -Port {port}")),
        "{firewall}"
    );
    assert_eq!(r.data.nes_url.source, NesUrlSource::Request);
    // The three part reports are kept in full.
    assert!(r.data.inputs.cert_inventory.is_some());
    assert!(r.data.inputs.log_scan.is_some());
    assert!(r.data.inputs.nes_probe.is_some());
}

#[test]
fn broken_terminal_and_untrusted_tls_is_tls_untrusted() {
    let mock = support::nes::shared();
    let t = terminal(&broken(), None, true);
    // The unknown-CA server, judged without the mock's CA.
    let url = mock.scenario("unknown_ca").url.clone();
    let r = diagnose(&request(&t, Some(&url))).unwrap();
    assert_eq!(
        r.data.verdict.id,
        VerdictId::NeaCertsNotRetrievedTlsUntrusted,
        "{}",
        r.data.status_line
    );
    assert_eq!(r.data.verdict.cause.as_ref().unwrap().stage, "tls");
}

#[test]
fn healthy_terminal_and_trusted_mock_is_healthy() {
    let mock = support::nes::shared();
    let t = terminal(&support::certs::healthy_set(clock()), None, false);
    let mut req = request(&t, Some(&mock.scenario("healthy").url));
    req.nes_probe.trusted_root_path = Some(mock.ca_file.display().to_string());
    let r = diagnose(&req).unwrap();
    assert_eq!(
        r.data.verdict.id,
        VerdictId::Healthy,
        "{}",
        r.data.status_line
    );
    assert_eq!(r.status, ReportStatus::Ok);
    assert!(
        r.data
            .status_line
            .starts_with("STATUS=OK v=1 code=HEALTHY ksp=20/20 nes=localhost:")
    );
}

#[test]
fn nes_url_comes_from_the_logs_when_not_given() {
    let port = support::servers::refused_port();
    let url = format!("https://127.0.0.1:{port}/nes");
    let t = terminal(&broken(), Some(&url), true);
    let mut req = request(&t, None);
    // Whatever the module sends, the identity request is never used for a
    // URL the library inferred from logs that users can write.
    req.host = Some(identity_refused(&url));
    let r = diagnose(&req).unwrap();
    // "NES URL: ..." is an NES line: the strongest of the inferred sources.
    assert_eq!(r.data.nes_url.source, NesUrlSource::LogNesContext);
    let auth = &r.data.host.checks[&HostCheckName::WindowsAuth];
    assert_eq!(auth.state, CoverageState::Skipped);
    assert!(auth.findings.is_empty());
    assert!(
        auth.detail
            .as_deref()
            .unwrap()
            .contains("inferred from the logs"),
        "{auth:?}"
    );
    assert_eq!(auth.facts["nes_url_source"], "log_nes_context");
    assert_eq!(r.data.nes_url.url.as_deref(), Some(url.as_str()));
    assert!(
        r.data.nes_url.detail.contains("logs"),
        "{}",
        r.data.nes_url.detail
    );
    assert_eq!(r.data.verdict.id, VerdictId::NeaCertsNotRetrievedTcpBlocked);
}

#[test]
fn no_url_anywhere_leaves_the_path_untested_not_an_error() {
    let t = terminal(&broken(), None, true);
    let r = diagnose(&request(&t, None)).unwrap();
    assert_eq!(r.data.nes_url.source, NesUrlSource::None);
    assert!(r.data.inputs.nes_probe.is_none());
    assert_eq!(
        r.data.verdict.id,
        VerdictId::NeaCertsNotRetrievedCauseUnknown
    );
    assert!(
        r.data.status_line.contains(" nes=none stage=untested "),
        "{}",
        r.data.status_line
    );
    let probe = r.data.checks.iter().find(|c| c.name == "probe").unwrap();
    assert_eq!(probe.state, CoverageState::Skipped);
}

/// What the module observed with the Windows identity: NES refused it.
fn identity_refused(url: &str) -> HostObservations {
    HostObservations {
        windows_auth: Some(Observation::observed(IdentityRequestSeen {
            url: url.to_owned(),
            identity: Some("CORP\\TERM01$".to_owned()),
            status_code: Some(401),
            schemes: vec!["Negotiate".to_owned()],
            duration_ms: 12,
            ..IdentityRequestSeen::default()
        })),
        ..HostObservations::default()
    }
}

#[test]
fn the_identity_observation_decides_once_the_anonymous_request_passed() {
    let mock = support::nes::shared();
    let t = terminal(&broken(), None, true);
    let url = mock.scenario("auth_negotiate").url.clone();
    let mut req = request(&t, Some(&url));
    req.nes_probe.trusted_root_path = Some(mock.ca_file.display().to_string());
    let first = diagnose(&req).unwrap();
    // The anonymous path is fine (401 Negotiate is the healthy answer).
    assert_eq!(
        first.data.verdict.id,
        VerdictId::NeaCertsNotRetrievedCauseUnknown
    );

    // The module sends what the request with the Windows identity saw in
    // the same request: one diagnosis, the library judges it.
    req.host = Some(identity_refused(&url));
    let second = diagnose(&req).unwrap();
    assert_eq!(second.data.verdict.id, VerdictId::NeaCertsNotRetrievedAuth);
    let auth = second
        .data
        .checks
        .iter()
        .find(|c| c.name == "windows_auth")
        .unwrap();
    assert_eq!(auth.finding.as_deref(), Some("NES_AUTH_FAILED"));
    let check = &second.data.host.checks[&HostCheckName::WindowsAuth];
    assert!(check.counted);
    assert_eq!(check.findings[0].evidence["spn"], "HTTP/localhost");
    assert!(second.findings.iter().any(|f| f.id == "NES_AUTH_FAILED"));
}

#[test]
fn the_identity_observation_does_not_count_when_the_probe_did_not_pass() {
    let t = terminal(&broken(), None, true);
    let url = "https://127.0.0.1:1/nes";
    let mut req = request(&t, Some(url));
    req.host = Some(identity_refused(url));
    let r = diagnose(&req).unwrap();
    // The closed port decides; the identity's 401 is reported only.
    assert_eq!(r.data.verdict.id, VerdictId::NeaCertsNotRetrievedTcpBlocked);
    let check = &r.data.host.checks[&HostCheckName::WindowsAuth];
    assert!(!check.counted);
    assert_eq!(check.findings[0].id, "NES_AUTH_FAILED");
    assert!(
        check
            .detail
            .as_deref()
            .unwrap()
            .contains("does not change the verdict")
    );
    assert!(!r.findings.iter().any(|f| f.id == "NES_AUTH_FAILED"));
    let auth = r
        .data
        .checks
        .iter()
        .find(|c| c.name == "windows_auth")
        .unwrap();
    assert_eq!(auth.finding, None);
}

#[test]
fn skipped_parts_are_not_run_and_say_so() {
    let t = terminal(&broken(), None, true);
    let mut req = request(&t, Some("https://127.0.0.1:1/nes"));
    req.skip = vec![Part::CertInventory, Part::NesProbe];
    let r = diagnose(&req).unwrap();
    assert!(r.data.inputs.cert_inventory.is_none());
    assert!(r.data.inputs.nes_probe.is_none());
    // The logs alone still show the failure.
    assert_eq!(
        r.data.verdict.id,
        VerdictId::NeaCertsNotRetrievedCauseUnknown
    );
    assert!(
        r.data.status_line.contains(" ksp=?/20 "),
        "{}",
        r.data.status_line
    );
    let ksp = r.data.checks.iter().find(|c| c.name == "ksp").unwrap();
    assert_eq!(ksp.state, CoverageState::Skipped);
}

#[test]
fn a_bad_rule_pack_is_a_configuration_verdict_naming_the_part() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("bad.toml");
    std::fs::write(&pack, "[pack]\nname = 1\n").unwrap();
    let mut req = DiagnoseRequest::default();
    req.log_scan.rule_paths = vec![pack.display().to_string()];
    req.log_scan.paths = vec![dir.path().display().to_string()];
    req.skip = vec![Part::CertInventory, Part::NesProbe];
    let r = diagnose(&req).unwrap();
    assert_eq!(r.data.verdict.id, VerdictId::ConfigRulePackInvalid);
    assert!(
        r.data
            .status_line
            .starts_with("STATUS=ERROR v=1 code=CONFIG_RULE_PACK_INVALID ")
    );
    let fact = &r.data.evidence[0].fact;
    assert!(
        fact.contains("rule_paths[0]") && fact.contains("bad.toml"),
        "{fact}"
    );
    // The logs were still scanned, with the built-in rules.
    assert!(r.data.inputs.log_scan.is_some());
}

#[test]
fn an_unusable_nes_url_is_a_configuration_verdict_on_one_ascii_line() {
    let t = terminal(&broken(), None, true);
    for url in [
        format!("https://{}.example/nes", "a".repeat(3000)),
        "ftp://127.0.0.1/nes".to_owned(),
        "https://".to_owned(),
        "7".to_owned(),
        "not a url at all".to_owned(),
    ] {
        let r = diagnose(&request(&t, Some(&url))).unwrap();
        let line = &r.data.status_line;
        assert!(line.len() <= 2048, "{}", line.len());
        assert!(line.is_ascii());
        assert!(!line.contains('\n') && !line.contains('\r'));
        assert!(
            line.starts_with("STATUS=ERROR v=1 code=CONFIG_NES_URL_INVALID ksp=8/20 nes=none"),
            "{url}: {line}"
        );
    }
}

#[test]
fn the_c_export_returns_the_verdict() {
    let t = terminal(&broken(), None, true);
    let req = serde_json::json!({
        "nes_url": "https://127.0.0.1:1/nes",
        "cert_inventory": { "paths": [t.ksp] },
        "log_scan": { "paths": [t.logs] },
        "nes_probe": { "use_env_proxy": false, "use_platform_roots": false, "deadline_ms": 5000 },
        "caller": "tests/diagnose.rs",
    });
    let (status, doc) =
        support::ffi::call(nymidiag::ffi::nymidiag_diagnose, req.to_string().as_bytes());
    assert_eq!(status, 0);
    assert_eq!(doc["capability"], "diagnose");
    assert_eq!(
        doc["data"]["verdict"]["id"],
        "NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED"
    );
    assert_eq!(doc["context"]["caller"], "tests/diagnose.rs");
    // The report reads back into its typed form.
    let back: Report<DiagnoseData> = serde_json::from_value(doc).unwrap();
    assert_eq!(
        back.data.verdict.id,
        VerdictId::NeaCertsNotRetrievedTcpBlocked
    );
}

#[test]
fn a_refused_inventory_request_is_a_request_error_naming_the_part() {
    for (paths, want) in [
        (vec![" ".to_owned()], "cert_inventory.paths[0]"),
        (
            vec!["C:\\ok".to_owned(), String::new()],
            "cert_inventory.paths[1]",
        ),
        (vec!["x".to_owned(); 1001], "cert_inventory.paths"),
    ] {
        let mut req = DiagnoseRequest::default();
        req.cert_inventory.paths = paths;
        req.skip = vec![Part::LogScan, Part::NesProbe];
        match diagnose(&req) {
            Err(nymidiag::Error::RequestInvalid { path, .. }) => assert_eq!(path, want),
            other => panic!("expected a request error at {want}, got {other:?}"),
        }
    }
    // The C export says so with its status, too.
    let (status, doc) = support::ffi::call(
        nymidiag::ffi::nymidiag_cert_inventory,
        br#"{"paths":["  "]}"#,
    );
    assert_eq!(status, 202, "{doc}");
    assert_eq!(doc["error"]["path"], "paths[0]");
}

#[test]
fn the_site_is_one_word_of_the_status_line_before_the_log_signatures() {
    let t = terminal(&broken(), None, true);
    let port = support::servers::refused_port();
    let url = format!("https://127.0.0.1:{port}/nes");
    for (site, want) in [
        (None, None),
        (Some(""), None),
        (Some("   "), None),
        (Some("Plant2"), Some("Plant2")),
        (Some("  Plant 2 / Line B  "), Some("Plant_2_/_Line_B")),
        (Some("Usine Québec"), Some("Usine_Qu_bec")),
        (Some(&*"s".repeat(64)), Some(&*"s".repeat(64))),
    ] {
        let mut r = request(&t, Some(&url));
        r.site = site.map(str::to_owned);
        let report = diagnose(&r).unwrap();
        let line = &report.data.status_line;
        match want {
            None => {
                assert!(!line.contains(" site="), "{site:?}: {line}");
                assert_eq!(report.data.site, None);
            }
            Some(word) => {
                assert!(
                    line.contains(" confidence=high expiry=")
                        && line.contains(&format!(" site={word} logs=")),
                    "{site:?}: {line}"
                );
                assert_eq!(report.data.site.as_deref(), site.map(str::trim));
            }
        }
    }
    for bad in [
        "s".repeat(65),
        "line\nbreak".to_owned(),
        "tab\there".to_owned(),
    ] {
        let mut r = request(&t, Some(&url));
        r.site = Some(bad.clone());
        let err = diagnose(&r).unwrap_err().to_string();
        assert!(err.contains("`.site`"), "{bad:?}: {err}");
    }
}
