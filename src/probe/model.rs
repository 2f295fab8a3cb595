//! The `data` of a probe report: one entry per stage, and what each stage
//! saw. Every list is capped (with a count of what was left out) so that a
//! hostile or odd server cannot bloat the report past what Windows
//! PowerShell 5.1's `ConvertFrom-Json` reads.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::request::EffectiveSettings;
use crate::time_fmt::UtcTime;

/// Most resolved addresses kept in the report.
pub(crate) const MAX_ADDRESSES: usize = 16;
/// Most addresses the TCP stage tries (in resolver order).
pub(crate) const MAX_TCP_ATTEMPTS: usize = 8;
/// Most certificates of the presented chain kept.
pub(crate) const MAX_CHAIN: usize = 10;
/// Most subject alternative names kept per certificate.
pub(crate) const MAX_SANS: usize = 32;
/// Longest free text (names, headers, error messages) kept, in characters.
pub(crate) const MAX_TEXT: usize = 512;

/// `data` of an `nes_probe` report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NesProbeData {
    /// The URL as given (credentials, if any, removed; capped).
    pub input_url: String,
    /// The URL as probed, once the URL stage accepted it.
    pub target: Option<Target>,
    /// The settings that applied, after defaults and clamping.
    pub settings: EffectiveSettings,
    /// Every stage in order: `url`, `proxy`, `dns`, `tcp`, `proxy_connect`,
    /// `tls`, `http`, `windows_auth`.
    pub stages: Vec<Stage>,
    /// The host name the DNS stage resolved (NES, or the proxy when one is
    /// used); `null` when the stage did not run or the host is an IP literal.
    pub resolved_host: Option<String>,
    /// Addresses the DNS stage returned, in resolver order (or the literal
    /// address of the URL or proxy).
    pub addresses: Vec<ResolvedAddress>,
    /// Addresses left out of `addresses` by the cap.
    pub addresses_omitted: usize,
    /// One entry per TCP connection attempt.
    pub tcp: Vec<TcpAttempt>,
    /// Which proxy the probe used, if any, and why.
    pub proxy: ProxyInfo,
    /// What the TLS handshake negotiated and how the chain was judged;
    /// `null` when the stage did not run.
    pub tls: Option<TlsInfo>,
    /// The certificates the server presented, in the order it sent them
    /// (leaf first), recorded even when validation failed.
    pub presented_chain: Vec<PresentedCertificate>,
    /// Certificates left out of `presented_chain` by the cap.
    pub presented_chain_omitted: usize,
    /// The HTTP exchange; `null` when the stage did not run.
    pub http: Option<HttpInfo>,
    /// The outcome: the first failing stage and its finding, or ok.
    pub verdict: Verdict,
}

/// The NES URL after normalisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Target {
    /// The full URL probed (default path `/nes` filled in).
    pub url: String,
    /// `https` or `http`.
    pub scheme: String,
    /// Host as in the URL (IPv6 without brackets, IDNs in punycode).
    pub host: String,
    /// What kind of host the URL names.
    pub host_kind: HostKind,
    /// Port (443 for https and 80 for http unless given).
    pub port: u16,
    /// Path (the query and fragment are never kept: they may carry
    /// tokens).
    pub path: String,
    /// `host:port`, an IPv6 host in brackets (`[::1]:8443`): the form to
    /// show or pass on.
    pub authority: String,
}

/// What kind of host a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HostKind {
    /// A dotted DNS name (what TLS and Kerberos expect).
    Fqdn,
    /// A single-label name (resolved through DNS suffixes).
    ShortName,
    /// An IPv4 literal.
    Ipv4,
    /// An IPv6 literal.
    Ipv6,
}

/// Names of the probe stages, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageName {
    /// Parse and check the NES URL.
    Url,
    /// Decide whether a proxy is used (explicit, environment, or none).
    Proxy,
    /// Resolve the first hop (NES, or the proxy).
    Dns,
    /// Connect to the first hop.
    Tcp,
    /// Open a CONNECT tunnel through the proxy.
    ProxyConnect,
    /// TLS handshake with NES and validation of its chain.
    Tls,
    /// One anonymous GET of the NES URL.
    Http,
    /// The authenticated request with the caller's Windows identity
    /// (done by the PowerShell layer).
    WindowsAuth,
}

impl StageName {
    /// Every stage, in order.
    pub(crate) const ALL: [StageName; 8] = [
        StageName::Url,
        StageName::Proxy,
        StageName::Dns,
        StageName::Tcp,
        StageName::ProxyConnect,
        StageName::Tls,
        StageName::Http,
        StageName::WindowsAuth,
    ];

    /// The name as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            StageName::Url => "url",
            StageName::Proxy => "proxy",
            StageName::Dns => "dns",
            StageName::Tcp => "tcp",
            StageName::ProxyConnect => "proxy_connect",
            StageName::Tls => "tls",
            StageName::Http => "http",
            StageName::WindowsAuth => "windows_auth",
        }
    }
}

/// How a stage ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    /// The stage passed (it may still have raised warnings).
    Ok,
    /// The stage failed; `finding` names why.
    Failed,
    /// Not run because an earlier stage failed; `detail` says which.
    Skipped,
    /// Does not apply to this probe (for example TLS on an `http://` URL).
    NotApplicable,
}

/// One stage of the probe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Stage {
    /// Which stage.
    pub name: StageName,
    /// How it ended.
    pub status: StageStatus,
    /// How long it took, in milliseconds (0 when it did not run).
    pub duration_ms: u64,
    /// The id of the finding that explains a failure (or classifies an ok
    /// HTTP answer, such as `NES_HTTP_AUTH_REQUIRED`).
    pub finding: Option<String>,
    /// One or two sentences a support engineer can act on.
    pub detail: String,
}

/// IP family of an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AddressFamily {
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
}

/// An address the DNS stage returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResolvedAddress {
    /// The IP address.
    pub address: String,
    /// Its family (A or AAAA record).
    pub family: AddressFamily,
}

/// How one TCP connection attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TcpOutcome {
    /// The connection was established.
    Connected,
    /// The host answered with a reset: nothing listens on the port, or a
    /// firewall rejects actively.
    Refused,
    /// No answer within the timeout: dropped by a firewall, or no route.
    Timeout,
    /// The network or host is unreachable (ICMP unreachable, no route).
    Unreachable,
    /// The connection was reset or aborted while being set up.
    Reset,
    /// Another address connected first and this attempt was abandoned.
    Abandoned,
    /// Any other error (see `error`).
    Error,
}

/// One TCP connection attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TcpAttempt {
    /// `ip:port` tried (IPv6 in brackets).
    pub address: String,
    /// How it ended.
    pub outcome: TcpOutcome,
    /// Time until the outcome, in milliseconds.
    pub duration_ms: u64,
    /// The operating system's error text, when it failed.
    pub error: Option<String>,
}

/// Whether the probe went direct or through a proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProxyMode {
    /// Straight to NES.
    Direct,
    /// Through an HTTP proxy (a CONNECT tunnel for `https://`).
    Proxy,
}

/// Where the proxy decision came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProxySource {
    /// The request's `proxy` field.
    Request,
    /// `HTTPS_PROXY`, `ALL_PROXY` or `NO_PROXY` (either case).
    Environment,
    /// Nothing configured a proxy.
    None,
}

/// Which proxy the probe used and why. The PowerShell layer puts the
/// Windows settings (WinHTTP, WinINET, PAC) for the same `target` next to
/// this object, so a reader can compare what the probe did with what the
/// NEA (a LocalSystem service using WinHTTP) does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProxyInfo {
    /// Direct or through a proxy.
    pub mode: ProxyMode,
    /// Where the decision came from.
    pub source: ProxySource,
    /// The proxy URL used (credentials removed); `null` when direct.
    pub url: Option<String>,
    /// The environment variable the proxy or the bypass came from.
    pub variable: Option<String>,
    /// The `NO_PROXY` entry that matched the NES host, when it did.
    pub no_proxy_match: Option<String>,
    /// `host:port` the proxy decision was made for.
    pub target: Option<String>,
    /// Why, in one sentence.
    pub reason: String,
}

impl ProxyInfo {
    /// The state before the proxy stage runs.
    pub(crate) fn undecided() -> Self {
        ProxyInfo {
            mode: ProxyMode::Direct,
            source: ProxySource::None,
            url: None,
            variable: None,
            no_proxy_match: None,
            target: None,
            reason: "not decided: an earlier stage failed".to_owned(),
        }
    }
}

/// How one trust source judged the presented chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrustState {
    /// The chain validates against this source.
    Trusted,
    /// The chain does not validate against this source (see `error`).
    Rejected,
    /// The source was not used (by request, or none given).
    NotUsed,
    /// The source could not be loaded (see `error`).
    Unavailable,
    /// The handshake ended before the chain could be judged.
    NotReached,
}

/// The verdict of one trust source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TrustCheck {
    /// The verdict.
    pub state: TrustState,
    /// Why it was rejected or unavailable.
    pub error: Option<String>,
}

/// How the presented chain was judged, per source. The chain is accepted
/// when any used source trusts it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TrustInfo {
    /// The platform trust store (Windows: CryptoAPI chain engine with the
    /// machine's stores; elsewhere the system roots).
    pub platform: TrustCheck,
    /// The admin-supplied CA file (`trusted_root_path`).
    pub ca_file: TrustCheck,
    /// Certificates read from the CA file.
    pub ca_file_certificates: usize,
}

/// What the TLS handshake negotiated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TlsInfo {
    /// Protocol version (`TLSv1_3`, `TLSv1_2`), once the server chose one.
    pub protocol_version: Option<String>,
    /// Cipher suite (`TLS13_AES_256_GCM_SHA384`), once the server chose one.
    pub cipher_suite: Option<String>,
    /// ALPN protocols offered.
    pub alpn_offered: Vec<String>,
    /// ALPN protocol the server selected, if any.
    pub alpn: Option<String>,
    /// Server name sent in SNI (`null` for an IP literal: TLS sends none).
    pub sni: Option<String>,
    /// How the chain was judged.
    pub trust: TrustInfo,
    /// Why the handshake failed, when it did.
    pub failure: Option<TlsFailureKind>,
}

/// Why a TLS handshake failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TlsFailureKind {
    /// The chain was rejected (see the finding).
    Certificate,
    /// The server sent a TLS alert.
    Alert,
    /// No common protocol version or cipher suite.
    ProtocolMismatch,
    /// The connection was reset during the handshake.
    Reset,
    /// The server closed the connection during the handshake.
    Closed,
    /// The server stopped answering (stall) until the timeout.
    Timeout,
    /// The server answered in plain HTTP: the port does not speak TLS.
    PlainHttp,
    /// The server sent something that is not TLS.
    NotTls,
    /// Anything else (see the finding detail).
    Other,
}

/// One certificate the server presented.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PresentedCertificate {
    /// Position in the order the server sent it (0 = leaf).
    pub position: usize,
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// Start of validity.
    pub not_before: Option<UtcTime>,
    /// End of validity.
    pub not_after: Option<UtcTime>,
    /// SHA-1 of the DER certificate, upper-case hex: the Windows thumbprint.
    pub sha1: String,
    /// SHA-256 of the DER certificate, upper-case hex.
    pub sha256: String,
    /// DNS names in the subject alternative name extension.
    pub san_dns: Vec<String>,
    /// IP addresses in the subject alternative name extension.
    pub san_ip: Vec<String>,
    /// Names left out of `san_dns` and `san_ip` by the cap.
    pub sans_omitted: usize,
    /// Signature algorithm (`sha256WithRSAEncryption`, `ecdsa-with-SHA256`).
    pub signature_algorithm: String,
    /// Whether the signature uses SHA-1.
    pub sha1_signature: bool,
    /// Whether it is a CA certificate (basic constraints).
    pub is_ca: bool,
    /// Whether subject and issuer are the same (a root or a self-signed
    /// leaf).
    pub self_issued: bool,
    /// Whether the next certificate in the list is its issuer (by name);
    /// `null` for the last one. `false` means the chain is out of order.
    pub issued_by_next: Option<bool>,
    /// Why the certificate could not be read, if it could not.
    pub parse_error: Option<String>,
}

/// One redirect the HTTP stage followed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Redirect {
    /// Status of the redirecting response (301, 302, 307, 308).
    pub status: u16,
    /// URL that answered with the redirect.
    pub from: String,
    /// Where it pointed.
    pub to: String,
}

/// The anonymous HTTP exchange.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HttpInfo {
    /// URL requested first.
    pub url: String,
    /// URL of the final response (after redirects).
    pub final_url: Option<String>,
    /// Final status code, when a response arrived.
    pub status: Option<u16>,
    /// `Server` header of the final response.
    pub server: Option<String>,
    /// Authentication schemes offered in `WWW-Authenticate` (`Negotiate`,
    /// `NTLM`, `Basic`); tokens are never kept.
    pub www_authenticate: Vec<String>,
    /// Redirects followed, in order.
    pub redirects: Vec<Redirect>,
    /// Time from sending the request to the final response's headers, in
    /// milliseconds, including the client's own connection and handshake
    /// (and every redirect).
    pub time_to_first_byte_ms: Option<u64>,
    /// Whether the request went through the proxy.
    pub via_proxy: bool,
    /// The `Date` header of the response the HTTP stage ended on (any
    /// status; the first response unless redirects were followed), in
    /// UTC; `null` without a response or header.
    pub server_date: Option<UtcTime>,
    /// `server_date` minus this machine's clock when the response
    /// arrived, in milliseconds: positive when the server is ahead. `Date`
    /// has one-second resolution, so values within about 1,000 ms of zero
    /// mean the clocks agree. `null` with `server_date`.
    pub clock_offset_ms: Option<i64>,
}

/// Overall outcome of the probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerdictStatus {
    /// Every stage that applies passed.
    Ok,
    /// A stage failed.
    Failed,
}

/// The first failing stage and its finding, or ok.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Verdict {
    /// Ok or failed.
    pub status: VerdictStatus,
    /// The first failing stage.
    pub stage: Option<StageName>,
    /// The finding id of that failure.
    pub finding: Option<String>,
    /// One sentence for tables and status lines.
    pub summary: String,
}

/// Caps `text` at `max` characters, marking the cut, with control and
/// bidirectional characters escaped ([`crate::report::safe_text`]): the
/// probe's free text comes from servers, proxies and certificates.
pub(crate) fn cap_text(text: &str, max: usize) -> String {
    crate::report::safe_text(text, max)
}

/// Milliseconds of a duration, saturating.
pub(crate) fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_text_on_characters() {
        assert_eq!(cap_text("abc", 3), "abc");
        assert_eq!(cap_text("abcdé", 4), "abc…");
    }

    #[test]
    fn stage_names_match_their_json() {
        for name in StageName::ALL {
            let json = serde_json::to_value(name).unwrap();
            assert_eq!(json, name.as_str());
        }
    }
}
