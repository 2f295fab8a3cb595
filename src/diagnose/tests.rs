//! The verdict rules as a table: finding sets in, verdict and next steps
//! out, including partial and conflicting evidence.

use std::collections::BTreeMap;

use super::correlate::{Facts, correlate};
use super::facts::{CertFacts, CertState, ConfigProblem, LogFacts, PathFacts, PathState};
use super::model::{Confidence, VerdictId};
use super::steps::next_steps;
use crate::host::{HostCheck, HostCheckName, HostFacts};
use crate::logs::RuleHit;
use crate::probe::model::StageName;
use crate::report::{CoverageState, Finding, Severity};
use crate::time_fmt::UtcTime;

fn t(text: &str) -> UtcTime {
    UtcTime::parse(text).unwrap()
}

fn certs(state: CertState, count: Option<u64>) -> CertFacts {
    let mut c = CertFacts::not_run("x", 20);
    c.state = state;
    c.worst = count.map(|n| (n, "C:\\ksp".to_owned()));
    c.stores = u32::from(count.is_some());
    c.stores_checked = c.stores;
    c.newest_renewal = Some(t("2026-11-20T00:00:00Z"));
    c.expires_in_days = Some(5);
    c
}

fn missing() -> CertFacts {
    certs(CertState::Missing, Some(8))
}
fn complete() -> CertFacts {
    certs(CertState::Complete, Some(20))
}
fn expired() -> CertFacts {
    let mut c = certs(CertState::Expired, Some(20));
    c.expired = 12;
    c
}
fn unknown() -> CertFacts {
    certs(CertState::Unknown("access denied".to_owned()), None)
}

fn hit(id: &str, last: &str) -> RuleHit {
    RuleHit {
        rule_id: id.to_owned(),
        title: id.to_owned(),
        severity: Severity::Error,
        pack: "test".to_owned(),
        count: 2,
        undated: 0,
        undated_not_after: None,
        first_seen: Some(t(last)),
        last_seen: Some(t(last)),
        files: BTreeMap::new(),
        files_omitted: 0,
        locations: Vec::new(),
        locations_omitted: 0,
        excerpts: Vec::new(),
        fields: BTreeMap::new(),
        fields_omitted: BTreeMap::new(),
        preceded_by: BTreeMap::new(),
        preceded_by_last_seen: BTreeMap::new(),
    }
}

/// Logs read, with hits of `rules` at `when`.
fn logs_at(rules: &[&str], when: &str) -> LogFacts {
    let mut l = LogFacts::not_run("x");
    l.read = Ok(2);
    l.hits = rules.iter().map(|r| hit(r, when)).collect();
    l.retrieval = l
        .hits
        .iter()
        .filter(|h| super::facts::RETRIEVAL_RULES.contains(&h.rule_id.as_str()))
        .cloned()
        .collect();
    l.since = Some(t("2026-11-15T00:00:00Z"));
    l
}
fn logs(rules: &[&str]) -> LogFacts {
    logs_at(rules, "2026-11-28T10:00:00Z")
}
fn no_logs() -> LogFacts {
    LogFacts::not_run("no log found")
}
/// Taps that failed with "Object not found" not preceded by a chain error.
fn object_not_found_alone() -> LogFacts {
    let mut l = logs(&["LOG_OBJECT_NOT_FOUND", "LOG_NO_VISIBLE_DEVICES"]);
    l.other_object_not_found = 2;
    l.other_object_not_found_last = Some(t("2026-11-28T10:00:00Z"));
    l
}
/// The same taps, logged before the store's last renewal (2026-11-20).
fn object_not_found_before_renewal() -> LogFacts {
    let mut l = object_not_found_alone();
    l.other_object_not_found_last = Some(t("2026-11-19T10:00:00Z"));
    l
}
/// The same taps, undated (no time in the lines).
fn object_not_found_undated() -> LogFacts {
    let mut l = object_not_found_alone();
    l.other_object_not_found_last = None;
    l
}
/// Shared-log hits that could not be tied to this terminal.
fn untied(rules: &[&str]) -> LogFacts {
    let mut l = logs(&[]);
    l.context = rules
        .iter()
        .map(|r| {
            (
                hit(r, "2026-11-28T10:00:00Z"),
                "no address known".to_owned(),
            )
        })
        .collect();
    l
}
fn config(verdict: VerdictId, finding: &str) -> Vec<ConfigProblem> {
    vec![ConfigProblem {
        verdict,
        finding: finding.to_owned(),
        detail: "it cannot be used".to_owned(),
    }]
}
fn not_yet_valid() -> CertFacts {
    let mut c = complete();
    c.not_yet_valid_ahead = Some((t("2026-11-30T00:00:00Z"), 12));
    c
}
fn skewed() -> PathFacts {
    let mut p = clean();
    p.clock_offset_ms = Some(3_600_000);
    p.clock_skew = Some("NES is an hour ahead".to_owned());
    p
}

fn path(state: PathState) -> PathFacts {
    let mut p = PathFacts::not_run("x");
    p.state = state;
    p.target = Some("nes.corp.example:443".to_owned());
    p.host = Some("nes.corp.example".to_owned());
    p.url = Some("https://nes.corp.example/nes".to_owned());
    p.nes_addresses = vec!["10.20.0.15".to_owned()];
    p
}
fn clean() -> PathFacts {
    path(PathState::Clean)
}
fn failed(stage: StageName, finding: &str) -> PathFacts {
    path(PathState::Failed {
        stage,
        finding: finding.to_owned(),
        detail: "detail".to_owned(),
    })
}
fn untested() -> PathFacts {
    PathFacts::not_run("no NES URL was given and none was found in the logs")
}
fn platform_untrusted() -> PathFacts {
    let mut p = clean();
    p.warnings.push(Finding::new(
        "NES_TLS_PLATFORM_UNTRUSTED",
        Severity::Warning,
        "t",
        "d",
    ));
    p
}

fn host(checks: &[(HostCheckName, &str)]) -> HostFacts {
    let mut h = HostFacts {
        terminal_addresses: vec!["10.30.4.77".to_owned()],
        ..HostFacts::default()
    };
    for (name, id) in checks {
        h.checks.insert(
            *name,
            HostCheck {
                state: CoverageState::Checked,
                detail: None,
                findings: vec![Finding::new(*id, Severity::Error, *id, "d")],
                counted: true,
                facts: serde_json::Map::new(),
            },
        );
    }
    h
}
fn no_host() -> HostFacts {
    HostFacts::default()
}

struct Row {
    name: &'static str,
    certs: CertFacts,
    logs: LogFacts,
    path: PathFacts,
    host: HostFacts,
    verdict: VerdictId,
    stage: Option<&'static str>,
    confidence: Confidence,
    /// The step names that must appear, in this order.
    steps: &'static [&'static str],
    /// Configuration problems (none in most rows).
    config: Vec<ConfigProblem>,
    /// The NES URL was inferred from the logs.
    url_inferred: bool,
}

fn rows() -> Vec<Row> {
    use HostCheckName as H;
    use StageName as S;
    use VerdictId as V;
    let retrieval = &["LOG_TOKEN_REQUEST_FAILED", "LOG_NEA_CERTS_NOT_RETRIEVED"][..];
    vec![
        Row {
            name: "the article's case: 8 certificates, token failure, TCP refused",
            certs: missing(),
            logs: logs(retrieval),
            path: failed(S::Tcp, "NES_TCP_REFUSED"),
            host: no_host(),
            verdict: V::NeaCertsNotRetrievedTcpBlocked,
            stage: Some("tcp"),
            confidence: Confidence::High,
            steps: &[
                "Basic connectivity",
                "Firewall logs",
                "IIS log on the NES server",
                "Restart the EAM Security Service",
            ],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "DNS failure",
            certs: missing(),
            logs: logs(retrieval),
            path: failed(S::Dns, "NES_DNS_FAILED"),
            host: no_host(),
            verdict: V::NeaCertsNotRetrievedDns,
            stage: Some("dns"),
            confidence: Confidence::High,
            steps: &["Basic connectivity", "Restart the EAM Security Service"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "proxy CONNECT refused",
            certs: missing(),
            logs: no_logs(),
            path: failed(S::ProxyConnect, "NES_PROXY_CONNECT_FAILED"),
            host: no_host(),
            verdict: V::NeaCertsNotRetrievedProxy,
            stage: Some("proxy_connect"),
            confidence: Confidence::High,
            steps: &["Advanced connectivity", "Restart the EAM Security Service"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "untrusted NES chain",
            certs: missing(),
            logs: logs(retrieval),
            path: failed(S::Tls, "NES_TLS_UNTRUSTED"),
            host: no_host(),
            verdict: V::NeaCertsNotRetrievedTlsUntrusted,
            stage: Some("tls"),
            confidence: Confidence::High,
            steps: &["Advanced connectivity", "Restart the EAM Security Service"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "expired NES TLS certificate",
            certs: missing(),
            logs: logs(retrieval),
            path: failed(S::Tls, "NES_TLS_EXPIRED"),
            host: no_host(),
            verdict: V::NeaCertsNotRetrievedTlsOther,
            stage: Some("tls"),
            confidence: Confidence::High,
            steps: &["Advanced connectivity"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "401 without Negotiate",
            certs: missing(),
            logs: logs(retrieval),
            path: failed(S::Http, "NES_HTTP_NO_WINDOWS_AUTH"),
            host: no_host(),
            verdict: V::NeaCertsNotRetrievedAuth,
            stage: Some("http"),
            confidence: Confidence::High,
            steps: &["Token authentication", "IIS log on the NES server"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "NES answers 500",
            certs: missing(),
            logs: logs(retrieval),
            path: failed(S::Http, "NES_HTTP_SERVER_ERROR"),
            host: no_host(),
            verdict: V::NeaCertsNotRetrievedNesError,
            stage: Some("http"),
            confidence: Confidence::High,
            steps: &[
                "IIS log on the NES server",
                "Restart the EAM Security Service",
            ],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "anonymous path clean, Windows identity refused",
            certs: missing(),
            logs: logs(retrieval),
            path: clean(),
            host: host(&[(H::WindowsAuth, "NES_AUTH_FAILED")]),
            verdict: V::NeaCertsNotRetrievedAuth,
            stage: Some("windows_auth"),
            confidence: Confidence::High,
            steps: &["Token authentication"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "probe trusts via the admin CA file only; Windows does not",
            certs: missing(),
            logs: logs(retrieval),
            path: platform_untrusted(),
            host: no_host(),
            verdict: V::NeaCertsNotRetrievedTlsUntrusted,
            stage: Some("tls"),
            confidence: Confidence::High,
            steps: &["Advanced connectivity"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "probe goes direct; SYSTEM uses a WinHTTP proxy without bypass",
            certs: missing(),
            logs: logs(retrieval),
            path: clean(),
            host: host(&[(H::WinhttpProxy, "HOST_WINHTTP_PROXY_NO_BYPASS")]),
            verdict: V::NeaCertsNotRetrievedProxy,
            stage: Some("winhttp_proxy"),
            confidence: Confidence::High,
            steps: &["Advanced connectivity"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "path clean now, firewall log showed drops: logs are weaker than a live test",
            certs: missing(),
            logs: logs(&["LOG_TOKEN_REQUEST_FAILED", "FIREWALL_DROP_NES"]),
            path: clean(),
            host: no_host(),
            verdict: V::NeaCertsNotRetrievedTcpBlocked,
            stage: Some("firewall_log"),
            confidence: Confidence::Medium,
            steps: &["Basic connectivity", "Firewall logs"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "path clean, nothing else: restart and re-check",
            certs: missing(),
            logs: logs(retrieval),
            path: clean(),
            host: no_host(),
            verdict: V::NeaCertsNotRetrievedCauseUnknown,
            stage: None,
            confidence: Confidence::Medium,
            steps: &[
                "Restart the EAM Security Service",
                "IIS log on the NES server",
                "Firewall logs",
                "Re-check",
            ],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "8 certificates, no URL anywhere: path untested",
            certs: missing(),
            logs: no_logs(),
            path: untested(),
            host: no_host(),
            verdict: V::NeaCertsNotRetrievedCauseUnknown,
            stage: None,
            confidence: Confidence::Low,
            steps: &[
                "Basic connectivity",
                "IIS log on the NES server",
                "Restart the EAM Security Service",
            ],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "key store unreadable, logs show the failure, TCP times out",
            certs: unknown(),
            logs: logs(retrieval),
            path: failed(S::Tcp, "NES_TCP_TIMEOUT"),
            host: no_host(),
            verdict: V::NeaCertsNotRetrievedTcpBlocked,
            stage: Some("tcp"),
            confidence: Confidence::Medium,
            steps: &["Basic connectivity"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "key store unreadable, logs clean: inconclusive",
            certs: unknown(),
            logs: logs(&[]),
            path: clean(),
            host: no_host(),
            verdict: V::Inconclusive,
            stage: None,
            confidence: Confidence::Low,
            steps: &["NEA key store"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "nothing could be checked",
            certs: unknown(),
            logs: no_logs(),
            path: untested(),
            host: no_host(),
            verdict: V::Inconclusive,
            stage: None,
            confidence: Confidence::Low,
            steps: &["NEA key store", "Logs", "Basic connectivity"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "expired NES certificates, NES unreachable",
            certs: expired(),
            logs: no_logs(),
            path: failed(S::Tcp, "NES_TCP_TIMEOUT"),
            host: no_host(),
            verdict: V::NeaCertsExpiredNotRenewed,
            stage: Some("tcp"),
            confidence: Confidence::High,
            steps: &["Basic connectivity", "Restart the EAM Security Service"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "expired NES certificates, NES reachable now",
            certs: expired(),
            logs: no_logs(),
            path: clean(),
            host: no_host(),
            verdict: V::NeaCertsExpiredNotRenewed,
            stage: None,
            confidence: Confidence::High,
            steps: &["Restart the EAM Security Service"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "healthy",
            certs: complete(),
            logs: logs(&[]),
            path: clean(),
            host: no_host(),
            verdict: V::Healthy,
            stage: None,
            confidence: Confidence::High,
            steps: &["Re-check"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "healthy store, no URL: healthy with less confidence",
            certs: complete(),
            logs: logs(&[]),
            path: untested(),
            host: no_host(),
            verdict: V::Healthy,
            stage: None,
            confidence: Confidence::Medium,
            steps: &["Re-check"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "failures logged before the last renewal are history",
            certs: complete(),
            logs: logs_at(retrieval, "2026-11-18T10:00:00Z"),
            path: clean(),
            host: no_host(),
            verdict: V::Healthy,
            stage: None,
            confidence: Confidence::High,
            steps: &["Re-check"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "conflict: complete store, failures after its renewal",
            certs: complete(),
            logs: logs_at(retrieval, "2026-11-28T10:00:00Z"),
            path: clean(),
            host: no_host(),
            verdict: V::Inconclusive,
            stage: None,
            confidence: Confidence::Low,
            steps: &["Re-check"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "certificates fine, NES unreachable: renewal at risk",
            certs: complete(),
            logs: logs(&[]),
            path: failed(S::Tcp, "NES_TCP_REFUSED"),
            host: no_host(),
            verdict: V::CertsOkNesUnreachable,
            stage: Some("tcp"),
            confidence: Confidence::High,
            steps: &["Basic connectivity", "Firewall logs"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "certificates fine, BLE adapter missing",
            certs: complete(),
            logs: object_not_found_alone(),
            path: clean(),
            host: host(&[(H::BleAdapter, "HOST_BLE_ADAPTER_MISSING")]),
            verdict: V::CertsOkOtherCause,
            stage: Some("ble_adapter"),
            confidence: Confidence::Medium,
            steps: &[
                "BLE adapter",
                "Services",
                "Band certificate cache",
                "Token authentication",
            ],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "certificates fine, Object not found alone in the logs",
            certs: complete(),
            logs: object_not_found_alone(),
            path: clean(),
            host: no_host(),
            verdict: V::CertsOkOtherCause,
            stage: Some("terminal_log"),
            confidence: Confidence::Medium,
            steps: &["BLE adapter"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "certificates fine, a service not found here (a central Nymi Agent): healthy",
            certs: complete(),
            logs: logs(&[]),
            path: clean(),
            host: host(&[(H::Services, "HOST_SERVICE_NOT_FOUND")]),
            verdict: V::Healthy,
            stage: None,
            confidence: Confidence::High,
            steps: &["Re-check"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "certificates fine, Nymi Agent stopped, and NES unreachable: the tap cause wins",
            certs: complete(),
            logs: logs(&[]),
            path: failed(S::Tcp, "NES_TCP_REFUSED"),
            host: host(&[(H::Services, "HOST_SERVICE_STOPPED")]),
            verdict: V::CertsOkOtherCause,
            stage: Some("services"),
            confidence: Confidence::Medium,
            steps: &["BLE adapter", "Services"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "NES redirects to another host: what stands in the way, not NES",
            certs: missing(),
            logs: logs(retrieval),
            path: failed(S::Http, "NES_HTTP_REDIRECT_OFF_HOST"),
            host: no_host(),
            verdict: V::NeaCertsNotRetrievedProxy,
            stage: Some("http"),
            confidence: Confidence::High,
            steps: &["Advanced connectivity"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "NES redirects from https to http",
            certs: missing(),
            logs: logs(retrieval),
            path: failed(S::Http, "NES_HTTP_REDIRECT_INSECURE"),
            host: no_host(),
            verdict: V::NeaCertsNotRetrievedNesError,
            stage: Some("http"),
            confidence: Confidence::High,
            steps: &["IIS log on the NES server"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "NES certificates not valid yet: the terminal's clock is behind",
            certs: not_yet_valid(),
            logs: logs(&[]),
            path: clean(),
            host: no_host(),
            verdict: V::ClockSkew,
            stage: Some("clock"),
            confidence: Confidence::Medium,
            steps: &["Clock", "Re-check"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "certificates not valid yet and NES's clock an hour off agree",
            certs: not_yet_valid(),
            logs: logs(&[]),
            path: skewed(),
            host: no_host(),
            verdict: V::ClockSkew,
            stage: Some("clock"),
            confidence: Confidence::High,
            steps: &["Clock"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "NES's clock off, store missing certificates: the clock first",
            certs: missing(),
            logs: logs(retrieval),
            path: skewed(),
            host: no_host(),
            verdict: V::ClockSkew,
            stage: Some("clock"),
            confidence: Confidence::Medium,
            steps: &["Clock"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "configured NES URL unusable",
            certs: missing(),
            logs: logs(retrieval),
            path: untested(),
            host: no_host(),
            verdict: V::ConfigNesUrlInvalid,
            stage: Some("configuration"),
            confidence: Confidence::High,
            steps: &["Configuration"],
            config: config(V::ConfigNesUrlInvalid, "NES_URL_INVALID"),
            url_inferred: false,
        },
        Row {
            name: "CA file unreadable, even with a failing path",
            certs: missing(),
            logs: logs(retrieval),
            path: failed(S::Tls, "NES_TLS_UNTRUSTED"),
            host: no_host(),
            verdict: V::ConfigCaFileUnreadable,
            stage: Some("configuration"),
            confidence: Confidence::High,
            steps: &["Configuration"],
            config: config(V::ConfigCaFileUnreadable, "NES_TLS_CA_FILE_UNREADABLE"),
            url_inferred: false,
        },
        Row {
            name: "rule pack invalid on a healthy terminal",
            certs: complete(),
            logs: logs(&[]),
            path: clean(),
            host: no_host(),
            verdict: V::ConfigRulePackInvalid,
            stage: Some("configuration"),
            confidence: Confidence::High,
            steps: &["Configuration"],
            config: config(V::ConfigRulePackInvalid, "LOG_RULE_PACK_INVALID"),
            url_inferred: false,
        },
        Row {
            name: "the article's case over a URL inferred from the logs: medium at most",
            certs: missing(),
            logs: logs(retrieval),
            path: failed(S::Tcp, "NES_TCP_REFUSED"),
            host: no_host(),
            verdict: V::NeaCertsNotRetrievedTcpBlocked,
            stage: Some("tcp"),
            confidence: Confidence::Medium,
            steps: &["Basic connectivity"],
            config: Vec::new(),
            url_inferred: true,
        },
        Row {
            name: "complete store, BLE-only taps logged before the last renewal",
            certs: complete(),
            logs: object_not_found_before_renewal(),
            path: clean(),
            host: no_host(),
            verdict: V::Healthy,
            stage: None,
            confidence: Confidence::High,
            steps: &["Re-check"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "complete store, undated BLE-only taps",
            certs: complete(),
            logs: object_not_found_undated(),
            path: clean(),
            host: no_host(),
            verdict: V::Healthy,
            stage: None,
            confidence: Confidence::High,
            steps: &["Re-check"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "complete store, Kerberos failures not tied to this terminal",
            certs: complete(),
            logs: untied(&["IIS_KERBEROS_FAILURE"]),
            path: clean(),
            host: no_host(),
            verdict: V::Healthy,
            stage: None,
            confidence: Confidence::High,
            steps: &["Re-check"],
            config: Vec::new(),
            url_inferred: false,
        },
        Row {
            name: "missing certificates, firewall drops not tied to NES",
            certs: missing(),
            logs: untied(&["FIREWALL_DROP_NES"]),
            path: clean(),
            host: no_host(),
            verdict: V::NeaCertsNotRetrievedCauseUnknown,
            stage: None,
            confidence: Confidence::Medium,
            steps: &["Restart the EAM Security Service"],
            config: Vec::new(),
            url_inferred: false,
        },
    ]
}

#[test]
fn verdict_table() {
    let now = t("2026-11-29T00:00:00Z");
    for row in rows() {
        let f = Facts {
            certs: &row.certs,
            logs: &row.logs,
            path: &row.path,
            host: &row.host,
            config: &row.config,
            url_inferred: row.url_inferred,
        };
        let out = correlate(&f);
        assert_eq!(out.id, row.verdict, "{}", row.name);
        assert_eq!(
            out.cause.as_ref().map(|c| c.stage.as_str()),
            row.stage,
            "{}",
            row.name
        );
        assert_eq!(out.confidence, row.confidence, "{}", row.name);
        assert!(!out.evidence.is_empty(), "{}: no evidence", row.name);

        let steps = next_steps(&f, &out, now);
        let names: Vec<&str> = steps.iter().map(|s| s.step.as_str()).collect();
        let mut at = 0;
        for want in row.steps {
            match names[at..].iter().position(|n| n == want) {
                Some(i) => at += i + 1,
                None => panic!(
                    "{}: step {want:?} missing or out of order in {names:?}",
                    row.name
                ),
            }
        }
        for (i, s) in steps.iter().enumerate() {
            assert_eq!(s.order as usize, i + 1, "{}", row.name);
        }
    }
}

#[test]
fn every_verdict_is_reachable_from_the_table() {
    let seen: Vec<VerdictId> = rows().iter().map(|r| r.verdict).collect();
    for id in VerdictId::ALL {
        assert!(seen.contains(&id), "no row gives {}", id.as_str());
    }
}

#[test]
fn the_same_facts_give_the_same_verdict_whatever_their_order() {
    let mut l = logs(&[
        "LOG_TOKEN_REQUEST_FAILED",
        "FIREWALL_DROP_NES",
        "IIS_KERBEROS_FAILURE",
        "LOG_NEA_CERTS_NOT_RETRIEVED",
    ]);
    let c = missing();
    let p = clean();
    let h = host(&[
        (HostCheckName::WinhttpProxy, "HOST_WINHTTP_PROXY_NO_BYPASS"),
        (HostCheckName::ChainEngine, "HOST_CHAIN_UNTRUSTED"),
    ]);
    let first = correlate(&Facts {
        certs: &c,
        logs: &l,
        path: &p,
        host: &h,
        config: &[],
        url_inferred: false,
    });
    l.hits.reverse();
    l.retrieval.reverse();
    let again = correlate(&Facts {
        certs: &c,
        logs: &l,
        path: &p,
        host: &h,
        config: &[],
        url_inferred: false,
    });
    assert_eq!(first.id, again.id);
    assert_eq!(first.cause, again.cause);
    // The chain engine is an active test and wins over the WinHTTP proxy
    // setting and over anything the logs say.
    assert_eq!(first.id, VerdictId::NeaCertsNotRetrievedTlsUntrusted);
}

#[test]
fn host_findings_that_did_not_count_never_decide() {
    let (c, l, p) = (missing(), logs(&["LOG_TOKEN_REQUEST_FAILED"]), clean());
    let mut h = host(&[
        (HostCheckName::WindowsAuth, "NES_AUTH_FAILED"),
        (HostCheckName::ChainEngine, "HOST_CHAIN_UNTRUSTED"),
    ]);
    let facts = |h: &HostFacts| {
        correlate(&Facts {
            certs: &c,
            logs: &l,
            path: &p,
            host: h,
            config: &[],
            url_inferred: false,
        })
    };
    assert_eq!(facts(&h).id, VerdictId::NeaCertsNotRetrievedAuth);
    for check in h.checks.values_mut() {
        check.counted = false;
    }
    let out = facts(&h);
    assert_eq!(out.id, VerdictId::NeaCertsNotRetrievedCauseUnknown);
    assert!(
        out.evidence
            .iter()
            .all(|e| e.finding != "NES_AUTH_FAILED" && e.finding != "HOST_CHAIN_UNTRUSTED")
    );
}

#[test]
fn the_nes_server_firewall_step_selects_this_terminal_with_nes() {
    let (c, l, p, h) = (
        missing(),
        logs(&["LOG_TOKEN_REQUEST_FAILED"]),
        failed(StageName::Tcp, "NES_TCP_TIMEOUT"),
        host(&[]),
    );
    let f = Facts {
        certs: &c,
        logs: &l,
        path: &p,
        host: &h,
        config: &[],
        url_inferred: false,
    };
    let out = correlate(&f);
    let steps = next_steps(&f, &out, t("2026-11-29T00:00:00Z"));
    let on = |run_on| {
        steps
            .iter()
            .find(|s| s.step == "Firewall logs" && s.run_on == run_on)
            .and_then(|s| s.command.clone())
            .unwrap()
    };
    // On the NES server the firewall log holds every client's packets.
    let server = on(super::model::RunOn::NesServer);
    assert!(
        server.starts_with(
            "Search-NymiLog -Kind firewall -ClientAddress 10.30.4.77 -RemoteAddress 10.20.0.15 -Port 443 "
        ),
        "{server}"
    );
    let terminal = on(super::model::RunOn::Terminal);
    assert!(
        terminal.starts_with("Search-NymiLog -Kind firewall -RemoteAddress 10.20.0.15 -Port 443 "),
        "{terminal}"
    );
}

#[test]
fn commands_name_this_terminal_and_the_failure_window() {
    let c = missing();
    let l = logs_at(&["LOG_TOKEN_REQUEST_FAILED"], "2026-11-28T10:00:00Z");
    let p = failed(StageName::Http, "NES_HTTP_NO_WINDOWS_AUTH");
    let h = host(&[]);
    let f = Facts {
        certs: &c,
        logs: &l,
        path: &p,
        host: &h,
        config: &[],
        url_inferred: false,
    };
    let out = correlate(&f);
    let steps = next_steps(&f, &out, t("2026-11-29T00:00:00Z"));
    let iis = steps
        .iter()
        .find(|s| s.step == "IIS log on the NES server")
        .and_then(|s| s.command.clone())
        .unwrap();
    assert_eq!(
        iis,
        "Search-NymiLog -Kind iis -Path 'C:\\inetpub\\logs\\LogFiles' -ClientAddress 10.30.4.77 \
         -Since '2026-11-28T09:59:00.000Z' -Until '2026-11-28T10:01:00.000Z'"
    );
    let token = steps
        .iter()
        .find(|s| s.step == "Token authentication")
        .unwrap();
    assert_eq!(
        token.command.as_deref(),
        Some("klist get HTTP/nes.corp.example; setspn -Q HTTP/nes.corp.example")
    );
}

#[test]
fn a_large_report_is_shortened_to_the_budget_keeping_the_counts() {
    use super::request::{DiagnoseRequest, Part};
    let dir = tempfile::tempdir().unwrap();
    let ksp = dir.path().join("ksp");
    std::fs::create_dir_all(&ksp).unwrap();
    for i in 0..40 {
        std::fs::write(ksp.join(format!("{i:02}.cer")), b"not a certificate").unwrap();
    }
    let log = dir.path().join("WGSS_Nymi.log");
    let mut text = String::new();
    for i in 0..300 {
        text.push_str(&format!(
            "{}:(22/03/17 06:13:14.162):WearableExtension.cpp :0440: Ext::GetListOfVisibleDevices returns: 0x8101201c\n",
            700 + i
        ));
    }
    std::fs::write(&log, text).unwrap();
    let mut request = DiagnoseRequest::default();
    request.cert_inventory.paths = vec![ksp.display().to_string()];
    request.log_scan.paths = vec![log.display().to_string()];
    request.log_scan.since = Some(t("2022-01-01T00:00:00Z"));
    request.skip = vec![Part::NesProbe];
    let mut report = super::diagnose(&request).unwrap();
    let before = serde_json::to_vec(&report.data).unwrap().len();
    let hits_before = report.data.inputs.log_scan.as_ref().unwrap().data.hits[0].count;

    // Just over the budget: only the first, illustrative lists go.
    let mut first = report.clone();
    let dropped = super::budget::fit(&mut first.data, before - 1);
    assert_eq!(dropped.len(), 1, "{dropped:?}");
    assert!(serde_json::to_vec(&first.data).unwrap().len() < before);
    let logs = &first.data.inputs.log_scan.as_ref().unwrap().data;
    assert_eq!(logs.hits[0].count, hits_before);
    assert!(logs.hits[0].excerpts.is_empty() && logs.hits[0].locations.is_empty());
    assert!(
        !first
            .data
            .inputs
            .cert_inventory
            .as_ref()
            .unwrap()
            .data
            .stores[0]
            .files
            .is_empty()
    );

    // Far over: every list goes, in order, and every count stays.
    let files = report
        .data
        .inputs
        .cert_inventory
        .as_ref()
        .unwrap()
        .data
        .stores[0]
        .files
        .len();
    let dropped = super::budget::fit(&mut report.data, 0);
    assert_eq!(dropped.len(), 3, "{dropped:?}");
    let store = &report
        .data
        .inputs
        .cert_inventory
        .as_ref()
        .unwrap()
        .data
        .stores[0];
    assert!(store.files.is_empty());
    assert_eq!(store.files_omitted as usize, files);
    assert_eq!(store.counts.files, 40);
    let logs = &report.data.inputs.log_scan.as_ref().unwrap().data;
    assert!(logs.files.is_empty());
    assert_eq!(logs.files_omitted, 1);
    assert_eq!(logs.hits[0].count, hits_before);
    // 40 files count as complete (the article counts files); the logged
    // failures predate the store's last write.
    assert_eq!(report.data.verdict.id, VerdictId::Healthy);

    // A report within the budget is left alone.
    let mut small = super::diagnose(&request).unwrap();
    assert!(super::budget::fit(&mut small.data, usize::MAX).is_empty());
}
