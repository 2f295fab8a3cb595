//! The gate: which observations count for a diagnosis's verdict, and how
//! the probe folds the host's observations into its stages.

use super::*;

fn answered_ctx(configured: bool, answered: bool) -> DiagnosisContext<'static> {
    DiagnosisContext {
        nes_url: Some("https://nes.corp.example/nes"),
        configured,
        source: if configured { "request" } else { "log" },
        anonymous_answered: answered,
    }
}

fn refused() -> Observation<IdentityRequestSeen> {
    Observation::observed(IdentityRequestSeen {
        url: "https://nes.corp.example/nes".into(),
        status_code: Some(401),
        ..IdentityRequestSeen::default()
    })
}

fn untrusted() -> Observation<ChainSeen> {
    Observation::observed(ChainSeen {
        host: "nes.corp.example".into(),
        port: 443,
        built: false,
        ..ChainSeen::default()
    })
}

fn with_identity_and_chain() -> HostObservations {
    HostObservations {
        windows_auth: Some(refused()),
        chain_engine: Some(untrusted()),
        ..HostObservations::default()
    }
}

#[test]
fn identity_and_chain_count_after_the_anonymous_request_passed() {
    let facts = diagnosis_checks(&with_identity_and_chain(), &answered_ctx(true, true));
    let auth = &facts.checks[&HostCheckName::WindowsAuth];
    assert!(auth.counted);
    assert_eq!(auth.findings[0].id, ids::NES_AUTH_FAILED);
    assert!(facts.checks[&HostCheckName::ChainEngine].counted);
}

#[test]
fn identity_and_chain_are_reported_but_not_counted_when_the_probe_did_not_pass() {
    let facts = diagnosis_checks(&with_identity_and_chain(), &answered_ctx(true, false));
    for name in [HostCheckName::WindowsAuth, HostCheckName::ChainEngine] {
        let c = &facts.checks[&name];
        assert!(!c.counted, "{name:?}");
        assert_eq!(c.findings.len(), 1, "{name:?}: still reported");
        assert!(
            c.detail
                .as_deref()
                .unwrap()
                .contains("does not change the verdict")
        );
    }
}

#[test]
fn an_inferred_url_skips_identity_and_chain_and_says_why() {
    let facts = diagnosis_checks(&with_identity_and_chain(), &answered_ctx(false, true));
    let auth = &facts.checks[&HostCheckName::WindowsAuth];
    assert_eq!(auth.state, CoverageState::Skipped);
    assert!(auth.findings.is_empty());
    assert!(
        auth.detail
            .as_deref()
            .unwrap()
            .contains("inferred from the logs")
    );
    assert_eq!(auth.facts["nes_url_source"], "log");
    assert_eq!(auth.facts["url"], "https://nes.corp.example/nes");
    let chain = &facts.checks[&HostCheckName::ChainEngine];
    assert_eq!(chain.state, CoverageState::Skipped);
    assert!(chain.detail.as_deref().unwrap().contains("chain engine"));
}

#[test]
fn an_inferred_url_keeps_not_applicable_and_failed_observations() {
    let obs = HostObservations {
        windows_auth: Some(Observation::not_made(
            ObservationState::NotApplicable,
            "Needs Windows",
        )),
        ..HostObservations::default()
    };
    let facts = diagnosis_checks(&obs, &answered_ctx(false, false));
    let auth = &facts.checks[&HostCheckName::WindowsAuth];
    assert_eq!(auth.state, CoverageState::NotApplicable);
    assert_eq!(auth.detail.as_deref(), Some("Needs Windows"));
}

#[test]
fn an_observation_not_made_keeps_its_state_and_reason() {
    let obs = HostObservations {
        services: Some(Observation::not_made(
            ObservationState::Failed,
            "The services check could not run: Get-Service is blocked",
        )),
        windows_auth: Some(Observation::not_made(
            ObservationState::Skipped,
            "no TCP connection",
        )),
        ..HostObservations::default()
    };
    let facts = diagnosis_checks(&obs, &answered_ctx(true, true));
    let services = &facts.checks[&HostCheckName::Services];
    assert_eq!(services.state, CoverageState::Failed);
    assert!(
        services
            .detail
            .as_deref()
            .unwrap()
            .contains("Get-Service is blocked")
    );
    let auth = &facts.checks[&HostCheckName::WindowsAuth];
    assert_eq!(auth.state, CoverageState::Skipped);
    assert_eq!(auth.detail.as_deref(), Some("no TCP connection"));
    assert!(!facts.checks.contains_key(&HostCheckName::BleAdapter));
}

#[test]
fn the_proxy_is_compared_with_the_configured_url_only() {
    let obs = HostObservations {
        winhttp_proxy: Some(Observation::observed(ProxySeen {
            winhttp_proxy: Some("proxy:8080".into()),
            ..ProxySeen::default()
        })),
        ..HostObservations::default()
    };
    let configured = diagnosis_checks(&obs, &answered_ctx(true, false));
    assert_eq!(
        configured.checks[&HostCheckName::WinhttpProxy].findings[0].evidence["host"],
        "nes.corp.example"
    );
    let inferred = diagnosis_checks(&obs, &answered_ctx(false, false));
    assert!(
        inferred.checks[&HostCheckName::WinhttpProxy]
            .findings
            .is_empty()
    );
}

#[test]
fn the_proxy_host_follows_the_library_url_rules() {
    let obs = HostObservations {
        winhttp_proxy: Some(Observation::observed(ProxySeen {
            winhttp_proxy: Some("proxy:8080".into()),
            ..ProxySeen::default()
        })),
        ..HostObservations::default()
    };
    for (given, host) in [
        ("nes.corp.example", "nes.corp.example"),
        ("https://nes2.corp.example:8443/nes", "nes2.corp.example"),
        ("HTTPS://NES3.Corp.Example/NES", "nes3.corp.example"),
    ] {
        let ctx = DiagnosisContext {
            nes_url: Some(given),
            ..answered_ctx(true, true)
        };
        let facts = diagnosis_checks(&obs, &ctx);
        assert_eq!(
            facts.checks[&HostCheckName::WinhttpProxy].findings[0].evidence["host"],
            host,
            "{given}"
        );
    }
}
