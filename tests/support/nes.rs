//! The in-process mock NES shared by the probe's integration tests and by
//! `tests/mock_nes.rs` (which serves it to the Pester tests): TLS servers
//! on 127.0.0.1, one per scenario, with certificates from rcgen, and a
//! resolver that answers from a table so no test depends on external DNS.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use nymidiag::probe::{DnsFailureKind, NesProbeRequest, Resolve, ResolveError};
use serde::Serialize;

use super::pki;
use super::servers::{self, Behaviour, Server};

/// How long `/slow/nes` waits in the tests' shared mock: longer than any
/// deadline the tests use.
pub const TEST_SLOW: Duration = Duration::from_secs(30);

/// One scenario: where to point the probe and what it must conclude.
#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    /// The NES URL to probe.
    pub url: String,
    /// The server's port.
    pub port: u16,
    /// The proxy to pass as the request's `proxy`, if the scenario has one.
    pub proxy: Option<String>,
    /// The stage the verdict must name (`null`: the verdict is ok).
    pub expected_stage: Option<&'static str>,
    /// The finding id the scenario must raise (`null`: none in particular).
    pub expected_finding: Option<&'static str>,
}

/// The running mock: servers, the CA file, the scenario table.
pub struct MockNes {
    /// PEM file of the root CA (the tests' `trusted_root_path`).
    pub ca_file: PathBuf,
    /// Scenario name to scenario.
    pub scenarios: BTreeMap<&'static str, Scenario>,
    _servers: Vec<Server>,
}

impl MockNes {
    /// Starts every server and writes the CA file into `dir`, named
    /// `<stem>.ca.pem`.
    pub fn start(dir: &Path, stem: &str, slow: Duration) -> MockNes {
        let pki = pki::Pki::generate();
        let ca_file = dir.join(format!("{stem}.ca.pem"));
        std::fs::create_dir_all(dir).expect("CA folder");
        std::fs::write(&ca_file, &pki.root_pem).expect("CA file");
        let ca_file = std::fs::canonicalize(&ca_file).unwrap_or(ca_file);

        let tls = |served: &pki::Served| {
            servers::start(Behaviour::Tls(servers::tls_config(served)), slow)
        };
        let healthy = tls(&pki.healthy);
        let expired = tls(&pki.expired);
        let wrong_name = tls(&pki.wrong_name);
        let unknown_ca = tls(&pki.unknown_ca);
        let missing_intermediate = tls(&pki.missing_intermediate);
        let expiring_soon = tls(&pki.expiring_soon);
        let stall = servers::start(Behaviour::Stall, slow);
        let drip = servers::start(Behaviour::Drip, slow);
        let close = servers::start(Behaviour::CloseMidHandshake, slow);
        let plain = servers::start(Behaviour::PlainHttp, slow);
        let proxy_ok = servers::start(Behaviour::Proxy(true), slow);
        let proxy_denied = servers::start(Behaviour::Proxy(false), slow);
        let refused = servers::refused_port();

        let mut scenarios = BTreeMap::new();
        let mut add = |name: &'static str,
                       port: u16,
                       path: &str,
                       stage: Option<&'static str>,
                       finding: Option<&'static str>| {
            scenarios.insert(
                name,
                Scenario {
                    url: format!("https://localhost:{port}{path}"),
                    port,
                    proxy: None,
                    expected_stage: stage,
                    expected_finding: finding,
                },
            );
        };
        let h = healthy.port;
        add("healthy", h, "/nes", None, None);
        add(
            "auth_negotiate",
            h,
            "/auth/nes",
            None,
            Some("NES_HTTP_AUTH_REQUIRED"),
        );
        add(
            "basic_only",
            h,
            "/basic/nes",
            Some("http"),
            Some("NES_HTTP_NO_WINDOWS_AUTH"),
        );
        add(
            "forbidden",
            h,
            "/forbidden/nes",
            Some("http"),
            Some("NES_HTTP_FORBIDDEN"),
        );
        add(
            "not_found",
            h,
            "/missing/nes",
            Some("http"),
            Some("NES_HTTP_NOT_FOUND"),
        );
        add(
            "server_error",
            h,
            "/error/nes",
            Some("http"),
            Some("NES_HTTP_SERVER_ERROR"),
        );
        add(
            "unavailable",
            h,
            "/unavailable/nes",
            Some("http"),
            Some("NES_HTTP_SERVER_ERROR"),
        );
        add(
            "redirect_loop",
            h,
            "/loop/nes",
            Some("http"),
            Some("NES_HTTP_REDIRECT_LOOP"),
        );
        add("redirect_once", h, "/redirect/nes", None, None);
        add(
            "slow_response",
            h,
            "/slow/nes",
            Some("http"),
            Some("NES_HTTP_TIMEOUT"),
        );
        add(
            "expired",
            expired.port,
            "/nes",
            Some("tls"),
            Some("NES_TLS_EXPIRED"),
        );
        add(
            "wrong_name",
            wrong_name.port,
            "/nes",
            Some("tls"),
            Some("NES_TLS_NAME_MISMATCH"),
        );
        add(
            "unknown_ca",
            unknown_ca.port,
            "/nes",
            Some("tls"),
            Some("NES_TLS_UNTRUSTED"),
        );
        add(
            "missing_intermediate",
            missing_intermediate.port,
            "/nes",
            Some("tls"),
            Some("NES_TLS_INCOMPLETE_CHAIN"),
        );
        add(
            "expiring_soon",
            expiring_soon.port,
            "/nes",
            None,
            Some("NES_TLS_EXPIRING_SOON"),
        );
        add(
            "stalled_handshake",
            stall.port,
            "/nes",
            Some("tls"),
            Some("NES_TLS_HANDSHAKE_FAILED"),
        );
        add(
            "drip_handshake",
            drip.port,
            "/nes",
            Some("tls"),
            Some("NES_TLS_HANDSHAKE_FAILED"),
        );
        add(
            "closed_mid_handshake",
            close.port,
            "/nes",
            Some("tls"),
            Some("NES_TLS_HANDSHAKE_FAILED"),
        );
        add(
            "plain_http",
            plain.port,
            "/nes",
            Some("tls"),
            Some("NES_TLS_HANDSHAKE_FAILED"),
        );
        add(
            "refused",
            refused,
            "/nes",
            Some("tcp"),
            Some("NES_TCP_REFUSED"),
        );
        for (name, proxy, stage, finding) in [
            ("proxy_ok", &proxy_ok, None, None),
            (
                "proxy_denied",
                &proxy_denied,
                Some("proxy_connect"),
                Some("NES_PROXY_CONNECT_FAILED"),
            ),
        ] {
            scenarios.insert(
                name,
                Scenario {
                    url: format!("https://localhost:{h}/nes"),
                    port: proxy.port,
                    proxy: Some(format!("http://127.0.0.1:{}", proxy.port)),
                    expected_stage: stage,
                    expected_finding: finding,
                },
            );
        }

        MockNes {
            ca_file,
            scenarios,
            _servers: vec![
                healthy,
                expired,
                wrong_name,
                unknown_ca,
                missing_intermediate,
                expiring_soon,
                stall,
                drip,
                close,
                plain,
                proxy_ok,
                proxy_denied,
            ],
        }
    }

    /// The scenario called `name`.
    pub fn scenario(&self, name: &str) -> &Scenario {
        self.scenarios
            .get(name)
            .unwrap_or_else(|| panic!("no scenario {name}"))
    }

    /// A request for scenario `name` with short timeouts, the mock's CA as
    /// the only trust source, and no proxy unless the scenario has one.
    pub fn request(&self, name: &str) -> NesProbeRequest {
        let s = self.scenario(name);
        let mut r = loopback_request(&s.url, &self.ca_file);
        r.proxy = s.proxy.clone();
        r.caller = Some("nymidiag tests".into());
        r
    }
}

/// A probe request for a loopback server: short timeouts, `ca_file` as the
/// only trust source, no proxy from the environment.
pub fn loopback_request(url: &str, ca_file: &Path) -> NesProbeRequest {
    let mut r = NesProbeRequest::new(url);
    r.deadline_ms = 8_000;
    r.dns_timeout_ms = 1_000;
    r.tcp_timeout_ms = 1_000;
    r.tls_timeout_ms = 1_500;
    r.http_timeout_ms = 2_000;
    r.use_env_proxy = false;
    r.use_platform_roots = false;
    r.trusted_root_path = Some(ca_file.display().to_string());
    r
}

/// A generated CA (its PEM file under the target's temp folder) and the
/// TLS configuration of a server it issued, made once per test binary.
pub struct HealthyTls {
    pub ca_file: PathBuf,
    pub tls: Arc<rustls::ServerConfig>,
}

/// The [`HealthyTls`] of this test binary.
pub fn healthy_tls() -> &'static HealthyTls {
    static TLS: OnceLock<HealthyTls> = OnceLock::new();
    TLS.get_or_init(|| {
        let pki = pki::Pki::generate();
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("healthy-tls");
        std::fs::create_dir_all(&dir).unwrap();
        let ca_file = dir.join(format!("ca-{}.pem", std::process::id()));
        std::fs::write(&ca_file, &pki.root_pem).unwrap();
        HealthyTls {
            ca_file,
            tls: servers::tls_config(&pki.healthy),
        }
    })
}

/// The mock shared by all tests of one test binary, started on first use.
pub fn shared() -> &'static MockNes {
    static MOCK: OnceLock<MockNes> = OnceLock::new();
    MOCK.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mock-nes");
        MockNes::start(&dir, &format!("tests-{}", std::process::id()), TEST_SLOW)
    })
}

/// A resolver that answers from a table: `localhost` is 127.0.0.1, names
/// under `.invalid` do not exist, `stall.test` never answers in time, and
/// anything else gets "no answer". Nothing leaves the process.
#[derive(Debug, Default)]
pub struct TableResolver;

impl Resolve for TableResolver {
    fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
        match host {
            "localhost" => Ok(vec![IpAddr::from([127, 0, 0, 1])]),
            "stall.test" => {
                std::thread::sleep(Duration::from_secs(10));
                Ok(vec![IpAddr::from([127, 0, 0, 1])])
            }
            h if h.ends_with(".invalid") => Err(ResolveError {
                kind: DnsFailureKind::NameNotFound,
                message: format!("{h}: Name or service not known"),
            }),
            _ => Err(ResolveError {
                kind: DnsFailureKind::NoAnswer,
                message: "Temporary failure in name resolution".into(),
            }),
        }
    }
}

/// The table resolver, ready for `nes_probe_with_resolver`.
pub fn table() -> Arc<dyn Resolve> {
    Arc::new(TableResolver)
}
