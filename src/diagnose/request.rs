//! The diagnosis request: which parts run with which settings, and what
//! only the host can observe.

use crate::report::Capability;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::certs::CertInventoryRequest;
use crate::host::HostObservations;
use crate::logs::LogScanRequest;
use crate::probe::NesProbeRequest;
use crate::time_fmt::UtcTime;

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
    /// What only the host can observe (the PowerShell module fills it:
    /// services, BLE adapter, proxy settings, the request with the Windows
    /// identity, the Windows chain engine, this terminal's addresses). The
    /// library turns the observations into the host checks and their
    /// findings; the identity and chain observations count only for a
    /// configured `nes_url` whose anonymous probe passed TLS and HTTP.
    pub host: Option<HostObservations>,
    /// The time the diagnosis is judged at (validity, log window). Default:
    /// the clock.
    pub now: Option<UtcTime>,
    /// Free text naming the caller, copied into `context.caller` of the
    /// diagnosis and of each part (at most 256 characters are kept).
    pub caller: Option<String>,
    /// Free text naming the terminal's site (the admin's `Site` setting),
    /// at most 64 characters: written into the status line as
    /// `site=<word>` and into `data.site`, so that a fleet view can group
    /// terminals by it. Empty or absent: no `site=`.
    pub site: Option<String>,
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
            now: None,
            caller: None,
            site: None,
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
            Part::CertInventory => Capability::CertInventory.name(),
            Part::NesProbe => Capability::NesProbe.name(),
            Part::LogScan => Capability::LogScan.name(),
        }
    }
}

/// The probe settings a diagnosis exposes; the per-stage timeouts keep the
/// probe's defaults, which the probe cuts to `deadline_ms`.
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
    /// The probe request for `url` with these settings; the probe derives
    /// its stage timeouts from the deadline.
    pub(crate) fn to_request(&self, url: &str, caller: Option<String>) -> NesProbeRequest {
        let mut request = NesProbeRequest::new(url);
        request.deadline_ms = self.deadline_ms;
        request.proxy = self.proxy.clone();
        request.use_env_proxy = self.use_env_proxy;
        request.trusted_root_path = self.trusted_root_path.clone();
        request.expected_issuer = self.expected_issuer.clone();
        request.use_platform_roots = self.use_platform_roots;
        request.caller = caller;
        request
    }
}
