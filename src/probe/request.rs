//! The probe request, its documented defaults, and the effective settings
//! derived from it (clamped so that no value can make the probe hang or
//! return a huge report).

use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Default overall deadline of the probe, in milliseconds.
pub(crate) const DEFAULT_DEADLINE_MS: u64 = 20_000;
/// Default DNS stage timeout, in milliseconds.
pub(crate) const DEFAULT_DNS_TIMEOUT_MS: u64 = 5_000;
/// Default timeout of one TCP connection attempt (and of a proxy CONNECT),
/// in milliseconds.
pub(crate) const DEFAULT_TCP_TIMEOUT_MS: u64 = 5_000;
/// Default TLS handshake timeout, in milliseconds.
pub(crate) const DEFAULT_TLS_TIMEOUT_MS: u64 = 10_000;
/// Default HTTP stage timeout (request sent to response headers), in
/// milliseconds.
pub(crate) const DEFAULT_HTTP_TIMEOUT_MS: u64 = 10_000;
/// Default number of HTTP redirects followed.
pub(crate) const DEFAULT_MAX_REDIRECTS: u32 = 5;

/// Longest deadline accepted, in milliseconds (a GPO startup script has
/// 600 s for everything it does).
pub(crate) const MAX_DEADLINE_MS: u64 = 600_000;
/// Most redirects the probe follows, whatever the request says.
pub(crate) const MAX_REDIRECTS_LIMIT: u32 = 20;

/// Request of `nymidiag_nes_probe`: where NES is, and how long and through
/// what the probe may try to reach it. Only `url` is required.
///
/// ```
/// use nymidiag::probe::NesProbeRequest;
///
/// let request: NesProbeRequest =
///     serde_json::from_str(r#"{ "url": "https://nes.corp.example/nes" }"#).unwrap();
/// assert_eq!(request.deadline_ms, 20_000);
/// assert!(request.use_platform_roots);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NesProbeRequest {
    /// The NES URL as configured on the terminal, `https://<fqdn>[:port]/<svc>`.
    /// A bare host name is read as `https://<host>/nes`.
    pub url: String,
    /// Overall deadline of the whole probe, in milliseconds (default 20000,
    /// at most 600000). No stage runs past it.
    #[serde(default = "default_deadline_ms")]
    pub deadline_ms: u64,
    /// DNS stage timeout, in milliseconds (default 5000).
    #[serde(default = "default_dns_timeout_ms")]
    pub dns_timeout_ms: u64,
    /// Timeout of each TCP connection attempt and of a proxy CONNECT, in
    /// milliseconds (default 5000).
    #[serde(default = "default_tcp_timeout_ms")]
    pub tcp_timeout_ms: u64,
    /// TLS handshake timeout, in milliseconds (default 10000).
    #[serde(default = "default_tls_timeout_ms")]
    pub tls_timeout_ms: u64,
    /// HTTP stage timeout, in milliseconds (default 10000).
    #[serde(default = "default_http_timeout_ms")]
    pub http_timeout_ms: u64,
    /// An explicit HTTP proxy (`http://proxy.corp.example:8080`) to reach NES
    /// through; it wins over `HTTPS_PROXY` and `NO_PROXY`. Default: none.
    #[serde(default)]
    pub proxy: Option<String>,
    /// Whether `HTTPS_PROXY` / `ALL_PROXY` and `NO_PROXY` (either case) are
    /// honoured when `proxy` is not given (default true). The Windows proxy
    /// settings (WinHTTP, WinINET, PAC) are read by the PowerShell layer.
    #[serde(default = "yes")]
    pub use_env_proxy: bool,
    /// A PEM or DER file of CA certificates the admin trusts for NES (for
    /// example the corporate root); the chain is also validated against it.
    /// Default: none.
    #[serde(default)]
    pub trusted_root_path: Option<String>,
    /// Text expected in the issuer of the presented chain (for example
    /// `Corp Issuing CA`, matched case-insensitively against the issuer
    /// names); a chain without it looks like TLS inspection. Default: none.
    #[serde(default)]
    pub expected_issuer: Option<String>,
    /// Whether the chain is validated against the platform trust store
    /// (Windows: the machine's certificate stores through CryptoAPI;
    /// elsewhere the system roots). Default true.
    #[serde(default = "yes")]
    pub use_platform_roots: bool,
    /// Redirects the HTTP stage follows (default 5, at most 20).
    #[serde(default = "default_max_redirects")]
    pub max_redirects: u32,
    /// Free text naming the caller, copied into `context.caller`
    /// (at most 256 characters are kept).
    #[serde(default)]
    pub caller: Option<String>,
    /// What the host saw (the PowerShell module fills it on Windows): the
    /// WinHTTP proxy, raising `NES_PROXY_INTERCEPTS` when it would carry
    /// the request, and the request with the Windows identity, which
    /// becomes the `windows_auth` stage (a 401 there fails the probe with
    /// `NES_AUTH_FAILED` when every other stage passed). Default: none.
    #[serde(default)]
    pub host: Option<crate::host::ProbeHostObservations>,
}

fn default_deadline_ms() -> u64 {
    DEFAULT_DEADLINE_MS
}
fn default_dns_timeout_ms() -> u64 {
    DEFAULT_DNS_TIMEOUT_MS
}
fn default_tcp_timeout_ms() -> u64 {
    DEFAULT_TCP_TIMEOUT_MS
}
fn default_tls_timeout_ms() -> u64 {
    DEFAULT_TLS_TIMEOUT_MS
}
fn default_http_timeout_ms() -> u64 {
    DEFAULT_HTTP_TIMEOUT_MS
}
fn default_max_redirects() -> u32 {
    DEFAULT_MAX_REDIRECTS
}
fn yes() -> bool {
    true
}

impl NesProbeRequest {
    /// A request for `url` with every other field at its default.
    pub fn new(url: impl Into<String>) -> Self {
        NesProbeRequest {
            url: url.into(),
            deadline_ms: DEFAULT_DEADLINE_MS,
            dns_timeout_ms: DEFAULT_DNS_TIMEOUT_MS,
            tcp_timeout_ms: DEFAULT_TCP_TIMEOUT_MS,
            tls_timeout_ms: DEFAULT_TLS_TIMEOUT_MS,
            http_timeout_ms: DEFAULT_HTTP_TIMEOUT_MS,
            proxy: None,
            use_env_proxy: true,
            trusted_root_path: None,
            expected_issuer: None,
            use_platform_roots: true,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            caller: None,
            host: None,
        }
    }
}

/// The settings the probe actually used, after clamping; echoed in the
/// report so that a reader knows which timeouts applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EffectiveSettings {
    /// Overall deadline, in milliseconds.
    pub deadline_ms: u64,
    /// DNS stage timeout, in milliseconds.
    pub dns_timeout_ms: u64,
    /// TCP connect (and proxy CONNECT) timeout, in milliseconds.
    pub tcp_timeout_ms: u64,
    /// TLS handshake timeout, in milliseconds.
    pub tls_timeout_ms: u64,
    /// HTTP stage timeout, in milliseconds.
    pub http_timeout_ms: u64,
    /// Redirects followed at most.
    pub max_redirects: u32,
    /// Whether proxy environment variables were honoured.
    pub use_env_proxy: bool,
    /// Whether the platform trust store was used.
    pub use_platform_roots: bool,
    /// The admin CA file, if one was given.
    pub trusted_root_path: Option<String>,
    /// The expected issuer text, if one was given.
    pub expected_issuer: Option<String>,
}

impl EffectiveSettings {
    /// Clamps `request` into settings the probe can honour; each adjustment
    /// is returned as a warning for the report.
    pub(crate) fn from_request(request: &NesProbeRequest) -> (Self, Vec<String>) {
        let mut warnings = Vec::new();
        let mut clamp = |name: &str, value: u64, max: u64| -> u64 {
            let clamped = value.clamp(1, max);
            if clamped != value {
                warnings.push(format!(
                    "{name} {value} is outside 1..={max}; {clamped} ms was used"
                ));
            }
            clamped
        };
        let deadline_ms = clamp("deadline_ms", request.deadline_ms, MAX_DEADLINE_MS);
        // A stage timeout longer than the deadline is no mistake (the
        // deadline wins): it is clamped to the absolute range with a
        // warning only when outside it, then cut to the deadline below.
        let dns_timeout_ms = clamp("dns_timeout_ms", request.dns_timeout_ms, MAX_DEADLINE_MS);
        let tcp_timeout_ms = clamp("tcp_timeout_ms", request.tcp_timeout_ms, MAX_DEADLINE_MS);
        let tls_timeout_ms = clamp("tls_timeout_ms", request.tls_timeout_ms, MAX_DEADLINE_MS);
        let http_timeout_ms = clamp("http_timeout_ms", request.http_timeout_ms, MAX_DEADLINE_MS);
        // No stage may wait longer than the whole probe: the one rule that
        // derives the stage timeouts from a bare `deadline_ms`, so callers
        // never restate it.
        let dns_timeout_ms = dns_timeout_ms.min(deadline_ms);
        let tcp_timeout_ms = tcp_timeout_ms.min(deadline_ms);
        let tls_timeout_ms = tls_timeout_ms.min(deadline_ms);
        let http_timeout_ms = http_timeout_ms.min(deadline_ms);
        let max_redirects = request.max_redirects.min(MAX_REDIRECTS_LIMIT);
        if max_redirects != request.max_redirects {
            warnings.push(format!(
                "max_redirects {} is above {MAX_REDIRECTS_LIMIT}; {MAX_REDIRECTS_LIMIT} was used",
                request.max_redirects
            ));
        }
        let non_empty = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| crate::probe::model::cap_text(s, 1024))
        };
        let settings = EffectiveSettings {
            deadline_ms,
            dns_timeout_ms,
            tcp_timeout_ms,
            tls_timeout_ms,
            http_timeout_ms,
            max_redirects,
            use_env_proxy: request.use_env_proxy,
            use_platform_roots: request.use_platform_roots,
            trusted_root_path: non_empty(&request.trusted_root_path),
            expected_issuer: non_empty(&request.expected_issuer),
        };
        (settings, warnings)
    }

    /// The overall deadline.
    pub(crate) fn deadline(&self) -> Duration {
        Duration::from_millis(self.deadline_ms)
    }

    /// The admin CA file as a path.
    pub(crate) fn trusted_root_path(&self) -> Option<PathBuf> {
        self.trusted_root_path.as_deref().map(PathBuf::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_url_is_required_and_defaults_are_documented() {
        let r: NesProbeRequest = serde_json::from_str(r#"{"url":"nes"}"#).unwrap();
        assert_eq!(r, NesProbeRequest::new("nes"));
        assert_eq!(r.dns_timeout_ms, 5_000);
        assert_eq!(r.tcp_timeout_ms, 5_000);
        assert_eq!(r.tls_timeout_ms, 10_000);
        assert_eq!(r.http_timeout_ms, 10_000);
        assert_eq!(r.max_redirects, 5);
        assert!(r.use_env_proxy && r.use_platform_roots);
        assert!(serde_json::from_str::<NesProbeRequest>("{}").is_err());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let e = serde_json::from_str::<NesProbeRequest>(r#"{"url":"x","timeout":1}"#);
        assert!(e.is_err());
    }

    #[test]
    fn settings_are_clamped_with_a_warning() {
        let mut r = NesProbeRequest::new("x");
        r.deadline_ms = 0;
        r.http_timeout_ms = u64::MAX;
        r.max_redirects = 1000;
        r.trusted_root_path = Some("  ".into());
        let (s, warnings) = EffectiveSettings::from_request(&r);
        assert_eq!(s.deadline_ms, 1);
        // Clamped to the limit (the warning), then cut to the deadline.
        assert_eq!(s.http_timeout_ms, 1);
        assert_eq!(s.max_redirects, MAX_REDIRECTS_LIMIT);
        assert_eq!(s.trusted_root_path, None);
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings.iter().any(|w| w.starts_with("http_timeout_ms")));
    }

    #[test]
    fn stage_timeouts_derive_from_a_bare_deadline() {
        let timeouts = |deadline_ms: u64| {
            let mut r = NesProbeRequest::new("x");
            r.deadline_ms = deadline_ms;
            let (s, warnings) = EffectiveSettings::from_request(&r);
            assert!(warnings.is_empty(), "{warnings:?}");
            [
                s.dns_timeout_ms,
                s.tcp_timeout_ms,
                s.tls_timeout_ms,
                s.http_timeout_ms,
            ]
        };
        assert_eq!(timeouts(20_000), [5_000, 5_000, 10_000, 10_000]);
        assert_eq!(timeouts(7_000), [5_000, 5_000, 7_000, 7_000]);
        assert_eq!(timeouts(4_000), [4_000, 4_000, 4_000, 4_000]);
    }
}
