//! The NES probe against the in-process mock NES on 127.0.0.1: one test per
//! scenario, each asserting the failing stage and the finding id, plus the
//! chain recording, timing bounds and report shape. Short timeouts keep the
//! suite fast; every server is on loopback and started here.

mod support;

use std::time::{Duration, Instant};

use nymidiag::ReportStatus;
use nymidiag::probe::model::{
    NesProbeData, ProxyMode, StageName, StageStatus, TlsFailureKind, TrustState, VerdictStatus,
};
use nymidiag::probe::{nes_probe, nes_probe_with_resolver};
use nymidiag::report::Report;

fn probe(name: &str) -> Report<NesProbeData> {
    let mock = support::nes::shared();
    nes_probe_with_resolver(&mock.request(name), support::nes::table())
}

fn stage(r: &Report<NesProbeData>, name: StageName) -> &nymidiag::probe::model::Stage {
    r.data
        .stages
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no {name:?} stage"))
}

fn has_finding(r: &Report<NesProbeData>, id: &str) -> bool {
    r.findings.iter().any(|f| f.id == id)
}

/// Asserts the scenario's expected verdict and finding, and that the stages
/// after the failing one were skipped.
fn assert_scenario(name: &str) -> Report<NesProbeData> {
    let r = probe(name);
    let s = support::nes::shared().scenario(name);
    let json = serde_json::to_string_pretty(&r.data).unwrap();
    match s.expected_stage {
        Some(expected) => {
            assert_eq!(
                r.data.verdict.status,
                VerdictStatus::Failed,
                "{name}: {json}"
            );
            let got = r.data.verdict.stage.map(|s| s.as_str());
            assert_eq!(got, Some(expected), "{name}: {json}");
            assert_eq!(
                r.data.verdict.finding.as_deref(),
                s.expected_finding,
                "{name}: {json}"
            );
            let failed_at = r
                .data
                .stages
                .iter()
                .position(|st| st.status == StageStatus::Failed)
                .unwrap();
            for later in &r.data.stages[failed_at + 1..] {
                assert!(
                    matches!(
                        later.status,
                        StageStatus::Skipped | StageStatus::NotApplicable
                    ),
                    "{name}: {later:?}"
                );
            }
        }
        None => {
            assert_eq!(r.data.verdict.status, VerdictStatus::Ok, "{name}: {json}");
            if let Some(id) = s.expected_finding {
                assert!(has_finding(&r, id), "{name}: {id} missing: {json}");
            }
        }
    }
    if let Some(id) = s.expected_finding {
        assert!(has_finding(&r, id), "{name}: finding {id} missing");
    }
    // Every stage is listed, in order, whatever happened.
    let names: Vec<_> = r.data.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "url",
            "proxy",
            "dns",
            "tcp",
            "proxy_connect",
            "tls",
            "http",
            "windows_auth"
        ],
        "{name}"
    );
    assert_eq!(
        stage(&r, StageName::WindowsAuth).status,
        StageStatus::NotApplicable
    );
    // Only loopback was ever contacted.
    for a in &r.data.tcp {
        assert!(a.address.starts_with("127.0.0.1:"), "{name}: {a:?}");
    }
    r
}

#[test]
fn healthy_nes_passes_every_stage() {
    let r = assert_scenario("healthy");
    assert_eq!(r.status, ReportStatus::Ok, "{:?}", r.findings);
    assert_eq!(r.capability, "nes_probe");
    assert_eq!(r.context.caller.as_deref(), Some("nymidiag tests"));
    for (name, status) in [
        (StageName::Url, StageStatus::Ok),
        (StageName::Proxy, StageStatus::NotApplicable),
        (StageName::Dns, StageStatus::Ok),
        (StageName::Tcp, StageStatus::Ok),
        (StageName::ProxyConnect, StageStatus::NotApplicable),
        (StageName::Tls, StageStatus::Ok),
        (StageName::Http, StageStatus::Ok),
    ] {
        assert_eq!(stage(&r, name).status, status, "{name:?}");
    }
    let tls = r.data.tls.as_ref().unwrap();
    assert_eq!(tls.protocol_version.as_deref(), Some("TLSv1_3"));
    assert!(tls.cipher_suite.as_deref().unwrap().starts_with("TLS13_"));
    assert_eq!(tls.alpn.as_deref(), Some("http/1.1"));
    assert_eq!(tls.sni.as_deref(), Some("localhost"));
    assert_eq!(tls.trust.ca_file.state, TrustState::Trusted);
    assert_eq!(tls.trust.platform.state, TrustState::NotUsed);
    assert_eq!(tls.trust.ca_file_certificates, 1);

    let chain = &r.data.presented_chain;
    assert_eq!(chain.len(), 2);
    assert!(
        chain[0].subject.contains("CN=localhost"),
        "{}",
        chain[0].subject
    );
    assert!(chain[0].issuer.contains("nymidiag Mock Issuing CA"));
    assert_eq!(chain[0].issued_by_next, Some(true));
    assert_eq!(chain[0].san_dns, ["localhost"]);
    assert_eq!(chain[0].san_ip, ["127.0.0.1", "::1"]);
    assert_eq!(chain[0].sha1.len(), 40);
    assert_eq!(chain[0].sha256.len(), 64);
    assert!(!chain[0].is_ca && chain[1].is_ca);
    assert_eq!(chain[0].signature_algorithm, "ecdsa-with-SHA256");

    let http = r.data.http.as_ref().unwrap();
    assert_eq!(http.status, Some(200));
    assert_eq!(http.server.as_deref(), Some("Microsoft-IIS/10.0"));
    assert!(http.time_to_first_byte_ms.is_some());
    assert!(!http.via_proxy);
    assert_eq!(r.data.addresses.len(), 1);
    assert_eq!(r.data.resolved_host.as_deref(), Some("localhost"));
}

#[test]
fn the_system_resolver_keeps_localhost_on_loopback() {
    let mock = support::nes::shared();
    let r = nes_probe(&mock.request("healthy"));
    assert_eq!(
        r.data.verdict.status,
        VerdictStatus::Ok,
        "{:?}",
        r.data.stages
    );
    assert!(!r.data.addresses.is_empty());
    for a in &r.data.addresses {
        let ip: std::net::IpAddr = a.address.parse().unwrap();
        assert!(ip.is_loopback(), "{ip}");
    }
}

#[test]
fn an_ip_literal_is_warned_about_and_needs_no_dns() {
    let mock = support::nes::shared();
    let mut req = mock.request("healthy");
    req.url = format!("https://127.0.0.1:{}/nes", mock.scenario("healthy").port);
    let r = nes_probe_with_resolver(&req, support::nes::table());
    assert_eq!(
        r.data.verdict.status,
        VerdictStatus::Ok,
        "{:?}",
        r.data.stages
    );
    assert!(has_finding(&r, "NES_URL_IP_LITERAL"));
    assert_eq!(stage(&r, StageName::Dns).status, StageStatus::NotApplicable);
    // TLS sends no SNI for an address; the certificate names 127.0.0.1.
    assert_eq!(r.data.tls.as_ref().unwrap().sni, None);
    assert_eq!(r.status, ReportStatus::Issue);
}

#[test]
fn a_host_only_url_gets_the_default_service_path() {
    let mock = support::nes::shared();
    let mut req = mock.request("healthy");
    req.url = format!("localhost:{}", mock.scenario("healthy").port);
    let r = nes_probe_with_resolver(&req, support::nes::table());
    let target = r.data.target.as_ref().unwrap();
    assert_eq!(target.path, "/nes");
    assert_eq!(target.scheme, "https");
    assert_eq!(r.data.verdict.status, VerdictStatus::Ok);
}

#[test]
fn negotiate_401_means_windows_auth_is_in_place() {
    let r = assert_scenario("auth_negotiate");
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "NES_HTTP_AUTH_REQUIRED")
        .unwrap();
    assert_eq!(f.severity, nymidiag::Severity::Info);
    assert_eq!(r.status, ReportStatus::Ok);
    let http = r.data.http.as_ref().unwrap();
    assert_eq!(http.status, Some(401));
    assert_eq!(http.www_authenticate, ["Negotiate", "NTLM"]);
    assert_eq!(
        stage(&r, StageName::Http).finding.as_deref(),
        Some("NES_HTTP_AUTH_REQUIRED")
    );
}

#[test]
fn basic_only_401_lacks_windows_auth() {
    assert_scenario("basic_only");
}

#[test]
fn forbidden_403() {
    assert_scenario("forbidden");
}

#[test]
fn not_found_404_suggests_the_service_path() {
    let r = assert_scenario("not_found");
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "NES_HTTP_NOT_FOUND")
        .unwrap();
    assert!(f.title.contains("wrong service path"), "{}", f.title);
}

#[test]
fn server_errors_500_and_503() {
    assert_scenario("server_error");
    let r = assert_scenario("unavailable");
    assert!(r.findings[0].detail.contains("application pool"));
}

#[test]
fn redirect_loop_is_caught() {
    let r = assert_scenario("redirect_loop");
    let redirects = &r.data.http.as_ref().unwrap().redirects;
    assert!(redirects.len() >= 2, "{redirects:?}");
    assert!(redirects.iter().all(|x| x.status == 302));
}

#[test]
fn too_many_redirects_are_a_loop_too() {
    let mock = support::nes::shared();
    let mut req = mock.request("redirect_once");
    req.max_redirects = 0;
    let r = nes_probe_with_resolver(&req, support::nes::table());
    assert_eq!(
        r.data.verdict.finding.as_deref(),
        Some("NES_HTTP_REDIRECT_LOOP")
    );
}

#[test]
fn one_redirect_is_followed_and_recorded() {
    let r = assert_scenario("redirect_once");
    let http = r.data.http.as_ref().unwrap();
    assert_eq!(http.status, Some(200));
    assert_eq!(http.redirects.len(), 1);
    assert_eq!(http.redirects[0].status, 301);
    assert!(http.final_url.as_deref().unwrap().ends_with("/nes/"));
}

#[test]
fn expired_leaf_names_the_dates() {
    let r = assert_scenario("expired");
    let f = &r.findings[0];
    assert_eq!(f.id, "NES_TLS_EXPIRED");
    assert!(
        f.detail.contains("2021-01-01T00:00:00.000Z"),
        "{}",
        f.detail
    );
    assert_eq!(
        r.data.tls.as_ref().unwrap().failure,
        Some(TlsFailureKind::Certificate)
    );
    // No request goes to a server whose certificate failed validation.
    let http = stage(&r, StageName::Http);
    assert_eq!(http.status, StageStatus::Skipped);
    assert!(http.detail.contains("no credentials"), "{}", http.detail);
    assert!(r.data.http.is_none());
}

#[test]
fn wrong_name_lists_the_certificate_names() {
    let r = assert_scenario("wrong_name");
    let f = &r.findings[0];
    assert!(f.detail.contains("nes.wrong-name.invalid"), "{}", f.detail);
    assert!(f.detail.contains("10.99.99.99"), "{}", f.detail);
}

#[test]
fn unknown_ca_is_named_and_the_chain_is_still_recorded() {
    let r = assert_scenario("unknown_ca");
    let f = &r.findings[0];
    assert!(f.detail.contains("Unknown Rogue CA"), "{}", f.detail);
    let chain = &r.data.presented_chain;
    assert_eq!(chain.len(), 2, "the rejected chain is recorded");
    assert!(chain[1].self_issued);
    let trust = &r.data.tls.as_ref().unwrap().trust;
    assert_eq!(trust.ca_file.state, TrustState::Rejected);
}

#[test]
fn missing_intermediate_is_an_incomplete_chain() {
    let r = assert_scenario("missing_intermediate");
    assert_eq!(r.data.presented_chain.len(), 1);
    assert!(r.findings[0].detail.contains("nymidiag Mock Issuing CA"));
}

#[test]
fn expiring_soon_is_a_warning_only() {
    let r = assert_scenario("expiring_soon");
    assert_eq!(r.status, ReportStatus::Issue);
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "NES_TLS_EXPIRING_SOON")
        .unwrap();
    assert!(f.detail.contains("CN=localhost"), "{}", f.detail);
}

#[test]
fn an_unexpected_issuer_looks_like_inspection() {
    let mock = support::nes::shared();
    let mut req = mock.request("healthy");
    req.expected_issuer = Some("Corp Issuing CA".into());
    let r = nes_probe_with_resolver(&req, support::nes::table());
    assert_eq!(r.data.verdict.status, VerdictStatus::Ok);
    assert!(has_finding(&r, "NES_TLS_UNEXPECTED_ISSUER"));

    req.expected_issuer = Some("mock issuing ca".into());
    let r = nes_probe_with_resolver(&req, support::nes::table());
    assert!(!has_finding(&r, "NES_TLS_UNEXPECTED_ISSUER"));
}

#[test]
fn no_trust_source_at_all_is_untrusted() {
    let mock = support::nes::shared();
    let mut req = mock.request("healthy");
    req.trusted_root_path = None;
    let r = nes_probe_with_resolver(&req, support::nes::table());
    assert_eq!(r.data.verdict.finding.as_deref(), Some("NES_TLS_UNTRUSTED"));
    assert!(
        r.findings[0].title.contains("No trust store"),
        "{}",
        r.findings[0].title
    );
}

#[test]
fn an_unreadable_ca_file_is_a_warning_and_the_probe_goes_on() {
    let mock = support::nes::shared();
    let mut req = mock.request("healthy");
    req.trusted_root_path = Some("/nonexistent/nymidiag/ca.pem".into());
    let r = nes_probe_with_resolver(&req, support::nes::table());
    assert!(has_finding(&r, "NES_TLS_CA_FILE_UNREADABLE"));
    assert_eq!(r.data.verdict.stage, Some(StageName::Tls));
}

#[test]
fn platform_store_without_the_mock_root_is_reported() {
    // The mock root is in no system store: the platform rejects the chain
    // (or has no store at all on a bare machine); the CA file trusts it.
    let mock = support::nes::shared();
    let mut req = mock.request("healthy");
    req.use_platform_roots = true;
    let r = nes_probe_with_resolver(&req, support::nes::table());
    assert_eq!(
        r.data.verdict.status,
        VerdictStatus::Ok,
        "{:?}",
        r.data.stages
    );
    let trust = &r.data.tls.as_ref().unwrap().trust;
    assert_eq!(trust.ca_file.state, TrustState::Trusted);
    assert!(
        matches!(
            trust.platform.state,
            TrustState::Rejected | TrustState::Unavailable
        ),
        "{trust:?}"
    );
    if trust.platform.state == TrustState::Rejected {
        assert!(has_finding(&r, "NES_TLS_PLATFORM_UNTRUSTED"));
    }
}

#[test]
fn stalled_handshake_ends_at_the_tls_timeout() {
    let started = Instant::now();
    let r = assert_scenario("stalled_handshake");
    let took = started.elapsed();
    let tls = stage(&r, StageName::Tls);
    // tls_timeout_ms is 1500 in these tests.
    assert!(tls.duration_ms >= 1_400, "{}", tls.duration_ms);
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(
        r.data.tls.as_ref().unwrap().failure,
        Some(TlsFailureKind::Timeout)
    );
    assert_eq!(r.findings[0].evidence["limited_by"], "tls_timeout");
}

#[test]
fn a_server_dripping_bytes_is_cut_off_too() {
    let started = Instant::now();
    let r = assert_scenario("drip_handshake");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        r.data.tls.as_ref().unwrap().failure,
        Some(TlsFailureKind::Timeout)
    );
}

#[test]
fn close_mid_handshake() {
    let r = assert_scenario("closed_mid_handshake");
    let failure = r.data.tls.as_ref().unwrap().failure;
    assert!(
        matches!(
            failure,
            Some(TlsFailureKind::Closed | TlsFailureKind::Reset)
        ),
        "{failure:?}"
    );
}

#[test]
fn plain_http_on_the_tls_port() {
    let r = assert_scenario("plain_http");
    assert_eq!(
        r.data.tls.as_ref().unwrap().failure,
        Some(TlsFailureKind::PlainHttp)
    );
    assert!(
        r.findings[0].detail.contains("plain HTTP"),
        "{}",
        r.findings[0].detail
    );
}

#[test]
fn an_http_url_skips_tls_and_warns() {
    let mock = support::nes::shared();
    let mut req = mock.request("plain_http");
    req.url = format!("http://localhost:{}/nes", mock.scenario("plain_http").port);
    let r = nes_probe_with_resolver(&req, support::nes::table());
    assert!(has_finding(&r, "NES_URL_NOT_HTTPS"));
    assert_eq!(stage(&r, StageName::Tls).status, StageStatus::NotApplicable);
    assert_eq!(r.data.http.as_ref().unwrap().status, Some(400));
    assert_eq!(
        r.data.verdict.finding.as_deref(),
        Some("NES_HTTP_UNEXPECTED_STATUS")
    );
}

#[test]
fn refused_port() {
    let r = assert_scenario("refused");
    assert_eq!(r.data.tcp.len(), 1);
    assert!(r.findings[0].title.contains("refused"));
    assert!(r.data.tls.is_none());
}

#[test]
fn slow_response_ends_at_the_deadline() {
    let mock = support::nes::shared();
    let mut req = mock.request("slow_response");
    req.deadline_ms = 2_500;
    req.http_timeout_ms = 10_000;
    let started = Instant::now();
    let r = nes_probe_with_resolver(&req, support::nes::table());
    let took = started.elapsed();
    assert_eq!(
        r.data.verdict.stage,
        Some(StageName::Http),
        "{:?}",
        r.data.stages
    );
    assert_eq!(r.data.verdict.finding.as_deref(), Some("NES_HTTP_TIMEOUT"));
    assert_eq!(r.findings[0].evidence["limited_by"], "deadline");
    assert!(took < Duration::from_millis(2_500 + 2_000), "{took:?}");
    assert_eq!(r.status, ReportStatus::Issue);
}

#[test]
fn slow_response_ends_at_the_http_timeout() {
    assert_scenario("slow_response");
}

#[test]
fn proxy_tunnel_to_nes() {
    let r = assert_scenario("proxy_ok");
    assert_eq!(r.data.proxy.mode, ProxyMode::Proxy);
    assert_eq!(stage(&r, StageName::ProxyConnect).status, StageStatus::Ok);
    assert_eq!(stage(&r, StageName::Dns).status, StageStatus::NotApplicable);
    assert!(r.data.http.as_ref().unwrap().via_proxy);
    assert_eq!(r.data.http.as_ref().unwrap().status, Some(200));
}

#[test]
fn proxy_refusing_connect() {
    let r = assert_scenario("proxy_denied");
    assert_eq!(r.findings[0].evidence["status"], 403);
}

#[test]
fn a_name_that_does_not_exist() {
    let mock = support::nes::shared();
    let mut req = mock.request("healthy");
    req.url = "https://nes.mock.invalid/nes".into();
    let r = nes_probe_with_resolver(&req, support::nes::table());
    assert_eq!(r.data.verdict.finding.as_deref(), Some("NES_DNS_FAILED"));
    assert_eq!(r.findings[0].evidence["kind"], "name_not_found");
    assert!(r.findings[0].detail.contains("does not exist"));
}

#[test]
fn a_resolver_that_does_not_answer() {
    let mock = support::nes::shared();
    let mut req = mock.request("healthy");
    req.url = "https://stall.test/nes".into();
    req.dns_timeout_ms = 300;
    let started = Instant::now();
    let r = nes_probe_with_resolver(&req, support::nes::table());
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(r.data.verdict.finding.as_deref(), Some("NES_DNS_FAILED"));
    assert_eq!(r.findings[0].evidence["kind"], "timeout");
    assert!(r.findings[0].detail.contains("did not answer"));

    req.url = "https://nes.corp.example/nes".into();
    let r = nes_probe_with_resolver(&req, support::nes::table());
    assert_eq!(r.findings[0].evidence["kind"], "no_answer");
}

#[test]
fn an_invalid_url() {
    let r = nes_probe(&nymidiag::probe::NesProbeRequest::new("gopher://nes"));
    assert_eq!(r.data.verdict.finding.as_deref(), Some("NES_URL_INVALID"));
    assert!(r.data.target.is_none());
}

#[test]
fn reports_stay_small_and_round_trip() {
    for name in ["healthy", "unknown_ca", "redirect_loop"] {
        let r = probe(name);
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.len() < 64 * 1024, "{name}: {} bytes", text.len());
        let back: Report<NesProbeData> = serde_json::from_str(&text).unwrap();
        assert_eq!(back.data.verdict, r.data.verdict);
    }
}
