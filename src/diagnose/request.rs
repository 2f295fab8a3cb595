//! The diagnosis request: which parts run with which settings, the facts
//! only the host knows, and an earlier diagnosis to correlate again.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::certs::CertInventoryRequest;
use crate::logs::LogScanRequest;
use crate::probe::NesProbeRequest;
use crate::report::{CoverageState, Finding, Report};
use crate::time_fmt::UtcTime;

use super::model::DiagnoseData;

/// Request of `nymidiag_diagnose`. Every field is optional; `{}` runs the
/// inventory and the log scan at their default locations and probes the
/// NES URL found in the logs, if any. Unknown fields are rejected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DiagnoseRequest {
    /// The NES URL (`https://<fqdn>/<svc>`). Default: the URL the log scan
    /// found in the Nymi and Evidian logs; without one the probe is not
    /// run and the report says so.
    pub nes_url: Option<String>,
    /// Settings of the certificate inventory (`nymidiag_cert_inventory`'s
    /// request).
    pub cert_inventory: CertInventoryRequest,
    /// Settings of the NES probe.
    pub nes_probe: ProbePart,
    /// Settings of the log scan (`nymidiag_log_scan`'s request).
    pub log_scan: LogScanRequest,
    /// Parts not to run; the diagnosis then treats their area as not
    /// checked.
    pub skip: Vec<Part>,
    /// What only the host knows (the PowerShell module fills it on Windows:
    /// services, BLE adapter, WinHTTP proxy, the request with the Windows
    /// identity, the Windows chain engine, this terminal's addresses).
    pub host: Option<HostFacts>,
    /// An earlier `diagnose` report whose part reports are reused instead
    /// of running the parts again; the host facts of this request replace
    /// its own. The module uses it to add the request with the Windows
    /// identity after the anonymous probe passed.
    pub previous: Option<Box<Report<DiagnoseData>>>,
    /// The time the diagnosis is judged at (validity, log window). Default:
    /// the clock.
    pub now: Option<UtcTime>,
    /// Free text naming the caller, copied into `context.caller` of the
    /// diagnosis and of each part (at most 256 characters are kept).
    pub caller: Option<String>,
    /// Time budget of the whole diagnosis in milliseconds (default 60000,
    /// at most 600000; 0 is read as 1). The inventory and the log scan
    /// start no file once it has passed (what they left out is reported);
    /// the probe gets what is left, never more than `nes_probe.deadline_ms`,
    /// and is not run when less than 2 s (or its own deadline, if shorter)
    /// is left. The diagnosis returns within this budget plus the longest
    /// single file read already under way plus 2 s.
    #[serde(default = "default_deadline_ms")]
    pub deadline_ms: u64,
}

/// Default `deadline_ms` of a diagnosis.
pub(crate) const DEFAULT_DEADLINE_MS: u64 = 60_000;

fn default_deadline_ms() -> u64 {
    DEFAULT_DEADLINE_MS
}

impl Default for DiagnoseRequest {
    fn default() -> Self {
        DiagnoseRequest {
            nes_url: None,
            cert_inventory: CertInventoryRequest::default(),
            nes_probe: ProbePart::default(),
            log_scan: LogScanRequest::default(),
            skip: Vec::new(),
            host: None,
            previous: None,
            now: None,
            caller: None,
            deadline_ms: DEFAULT_DEADLINE_MS,
        }
    }
}

/// One of the three parts a diagnosis runs.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// The NEA certificate inventory.
    CertInventory,
    /// The NES connectivity probe.
    NesProbe,
    /// The log scan.
    LogScan,
}

impl Part {
    /// The name as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Part::CertInventory => "cert_inventory",
            Part::NesProbe => "nes_probe",
            Part::LogScan => "log_scan",
        }
    }
}

/// The probe settings a diagnosis exposes; the per-stage timeouts keep the
/// probe's defaults, bounded by `deadline_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProbePart {
    /// Overall deadline of the probe, in milliseconds (default 20000, at
    /// most 600000).
    pub deadline_ms: u64,
    /// An explicit HTTP proxy to reach NES through.
    pub proxy: Option<String>,
    /// Whether `HTTPS_PROXY`/`NO_PROXY` are honoured (default true).
    pub use_env_proxy: bool,
    /// A PEM or DER file of CA certificates the admin trusts for NES.
    pub trusted_root_path: Option<String>,
    /// Text expected in the issuer of the NES chain.
    pub expected_issuer: Option<String>,
    /// Whether the platform trust store is used (default true).
    pub use_platform_roots: bool,
}

impl Default for ProbePart {
    fn default() -> Self {
        let defaults = NesProbeRequest::new("");
        ProbePart {
            deadline_ms: defaults.deadline_ms,
            proxy: None,
            use_env_proxy: defaults.use_env_proxy,
            trusted_root_path: None,
            expected_issuer: None,
            use_platform_roots: defaults.use_platform_roots,
        }
    }
}

impl ProbePart {
    /// The probe request for `url` with these settings. Stage timeouts
    /// longer than the deadline are cut to it so that one slow stage cannot
    /// use up the whole budget unnoticed.
    pub(crate) fn to_request(&self, url: &str, caller: Option<String>) -> NesProbeRequest {
        let mut request = NesProbeRequest::new(url);
        request.deadline_ms = self.deadline_ms;
        let cap = self.deadline_ms.max(1);
        request.dns_timeout_ms = request.dns_timeout_ms.min(cap);
        request.tcp_timeout_ms = request.tcp_timeout_ms.min(cap);
        request.tls_timeout_ms = request.tls_timeout_ms.min(cap);
        request.http_timeout_ms = request.http_timeout_ms.min(cap);
        request.proxy = self.proxy.clone();
        request.use_env_proxy = self.use_env_proxy;
        request.trusted_root_path = self.trusted_root_path.clone();
        request.expected_issuer = self.expected_issuer.clone();
        request.use_platform_roots = self.use_platform_roots;
        request.caller = caller;
        request
    }
}

/// Facts only the host can supply (Windows APIs the library does not call).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HostFacts {
    /// One entry per host check that was attempted.
    pub checks: BTreeMap<HostCheckName, HostCheck>,
    /// This terminal's unicast addresses (no loopback), used in the
    /// commands suggested for the NES server's logs.
    pub terminal_addresses: Vec<String>,
    /// The DNS servers this terminal uses (addresses as text, in the
    /// order the network interfaces list them), for the DNS next steps.
    #[serde(default)]
    pub dns_servers: Vec<String>,
    /// Addresses of the domain controllers this terminal uses, when known
    /// (the module fills the logon server's addresses on Windows).
    #[serde(default)]
    pub domain_controllers: Vec<String>,
}

/// The host checks a diagnosis knows.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum HostCheckName {
    /// EAM Security Service, Nymi Agent, Nymi Bluetooth Endpoint, found by
    /// display name (`HOST_SERVICE_STOPPED`, `HOST_SERVICE_NOT_FOUND`).
    Services,
    /// A BLE adapter is present (`HOST_BLE_ADAPTER_MISSING`).
    BleAdapter,
    /// The machine's WinHTTP proxy, which LocalSystem services use
    /// (`HOST_WINHTTP_PROXY_NO_BYPASS`).
    WinhttpProxy,
    /// The NES request with the Windows identity (`NES_AUTH_FAILED`).
    WindowsAuth,
    /// The Windows chain engine's verdict on the NES TLS chain
    /// (`HOST_CHAIN_UNTRUSTED`, `HOST_CHAIN_REVOCATION_OFFLINE`).
    ChainEngine,
}

impl HostCheckName {
    /// Every host check, in the order reports list them.
    pub(crate) const ALL: [HostCheckName; 5] = [
        HostCheckName::Services,
        HostCheckName::BleAdapter,
        HostCheckName::WinhttpProxy,
        HostCheckName::WindowsAuth,
        HostCheckName::ChainEngine,
    ];

    /// The name as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            HostCheckName::Services => "services",
            HostCheckName::BleAdapter => "ble_adapter",
            HostCheckName::WinhttpProxy => "winhttp_proxy",
            HostCheckName::WindowsAuth => "windows_auth",
            HostCheckName::ChainEngine => "chain_engine",
        }
    }
}

/// The outcome of one host check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostCheck {
    /// Checked, skipped, not applicable (off Windows) or failed.
    pub state: CoverageState,
    /// Why, or what was seen, in a sentence.
    #[serde(default)]
    pub detail: Option<String>,
    /// Problems the check found.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Small facts behind the check (service states, device names).
    #[serde(default)]
    pub facts: serde_json::Map<String, serde_json::Value>,
}
