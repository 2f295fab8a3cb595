//! The host's observations folded into the NES probe against the
//! in-process mock NES on 127.0.0.1: the request with the Windows identity
//! becomes the `windows_auth` stage and decides only after TLS and HTTP
//! passed; the WinHTTP proxy raises `NES_PROXY_INTERCEPTS`.

mod support;

use nymidiag::host::{
    IdentityRequestSeen, Observation, ObservationState, ProbeHostObservations, ProxySeen,
};
use nymidiag::probe::model::{NesProbeData, StageName, StageStatus, VerdictStatus};
use nymidiag::probe::{NesProbeRequest, nes_probe_with_resolver};
use nymidiag::report::Report;

fn identity(status: Option<u16>) -> Observation<IdentityRequestSeen> {
    Observation::observed(IdentityRequestSeen {
        url: "https://localhost/nes".to_owned(),
        identity: Some("CORP\\TERM01$".to_owned()),
        status_code: status,
        error: status
            .is_none()
            .then(|| "The operation has timed out.".to_owned()),
        duration_ms: 25,
        ..IdentityRequestSeen::default()
    })
}

fn probe_with(scenario: &str, host: ProbeHostObservations) -> Report<NesProbeData> {
    let mock = support::nes::shared();
    let mut request: NesProbeRequest = mock.request(scenario);
    request.host = Some(host);
    nes_probe_with_resolver(&request, support::nes::table())
}

fn windows_auth(r: &Report<NesProbeData>) -> &nymidiag::probe::model::Stage {
    r.data
        .stages
        .iter()
        .find(|s| s.name == StageName::WindowsAuth)
        .unwrap()
}

#[test]
fn a_refused_identity_fails_a_probe_that_otherwise_passed() {
    let r = probe_with(
        "auth_negotiate",
        ProbeHostObservations {
            windows_auth: Some(identity(Some(401))),
            ..ProbeHostObservations::default()
        },
    );
    assert_eq!(r.data.verdict.status, VerdictStatus::Failed);
    assert_eq!(r.data.verdict.stage, Some(StageName::WindowsAuth));
    assert_eq!(r.data.verdict.finding.as_deref(), Some("NES_AUTH_FAILED"));
    let stage = windows_auth(&r);
    assert_eq!(stage.status, StageStatus::Failed);
    assert_eq!(stage.duration_ms, 25);
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "NES_AUTH_FAILED")
        .unwrap();
    assert_eq!(f.evidence["spn"], "HTTP/localhost");
    assert!(f.detail.contains("CORP\\TERM01$"));
}

#[test]
fn an_accepted_identity_or_no_answer_leaves_the_verdict_ok() {
    for (status, want) in [(Some(200), StageStatus::Ok), (None, StageStatus::Failed)] {
        let r = probe_with(
            "auth_negotiate",
            ProbeHostObservations {
                windows_auth: Some(identity(status)),
                ..ProbeHostObservations::default()
            },
        );
        assert_eq!(r.data.verdict.status, VerdictStatus::Ok, "{status:?}");
        assert_eq!(windows_auth(&r).status, want, "{status:?}");
    }
}

#[test]
fn the_identity_does_not_count_when_an_earlier_stage_failed() {
    let r = probe_with(
        "refused",
        ProbeHostObservations {
            windows_auth: Some(identity(Some(401))),
            ..ProbeHostObservations::default()
        },
    );
    assert_eq!(r.data.verdict.finding.as_deref(), Some("NES_TCP_REFUSED"));
    let stage = windows_auth(&r);
    assert_eq!(stage.status, StageStatus::Skipped);
    assert!(stage.detail.starts_with("Not counted"), "{}", stage.detail);
    assert!(!r.findings.iter().any(|f| f.id == "NES_AUTH_FAILED"));
}

#[test]
fn an_identity_request_not_made_keeps_its_state_and_reason() {
    let r = probe_with(
        "healthy",
        ProbeHostObservations {
            windows_auth: Some(Observation::not_made(
                ObservationState::NotApplicable,
                "Not applicable on this operating system: the request with the Windows identity (Kerberos/NTLM) needs Windows.",
            )),
            ..ProbeHostObservations::default()
        },
    );
    assert_eq!(r.data.verdict.status, VerdictStatus::Ok);
    let stage = windows_auth(&r);
    assert_eq!(stage.status, StageStatus::NotApplicable);
    assert!(stage.detail.contains("needs Windows"));
}

#[test]
fn a_winhttp_proxy_that_would_carry_the_request_is_reported() {
    let proxy = |bypass: &[&str]| ProbeHostObservations {
        winhttp_proxy: Some(Observation::observed(ProxySeen {
            winhttp_proxy: Some("proxy.corp.example:8080".to_owned()),
            winhttp_bypass: bypass.iter().map(|b| (*b).to_owned()).collect(),
            ..ProxySeen::default()
        })),
        ..ProbeHostObservations::default()
    };
    let r = probe_with("healthy", proxy(&["*.corp.example"]));
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "NES_PROXY_INTERCEPTS")
        .unwrap();
    assert_eq!(f.evidence["host"], r.data.target.as_ref().unwrap().host);
    // A warning: the verdict of the path stays what the stages say.
    assert_eq!(r.data.verdict.status, VerdictStatus::Ok);
    let host = r.data.target.as_ref().unwrap().host.clone();
    let bypassed = probe_with("healthy", proxy(&[host.as_str()]));
    assert!(
        !bypassed
            .findings
            .iter()
            .any(|f| f.id == "NES_PROXY_INTERCEPTS")
    );
}
