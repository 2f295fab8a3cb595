//! What the host saw (the observations a caller sends) and what the
//! library made of it (the checks a report shows).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::report::{CoverageState, Finding};

/// What only Windows can see on this terminal, as the PowerShell module
/// gathers it: raw observations, never findings. Every field is optional;
/// a check whose observation is missing is reported as not supplied.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HostObservations {
    /// The services of the EAM Security, Nymi Agent and Nymi Bluetooth
    /// Endpoint roles.
    pub services: Option<Observation<ServicesSeen>>,
    /// The present PnP devices that may be a BLE adapter.
    pub ble_adapter: Option<Observation<BleSeen>>,
    /// The WinHTTP machine proxy and the user's proxy settings.
    pub winhttp_proxy: Option<Observation<ProxySeen>>,
    /// The request to the configured NES URL with the Windows identity.
    pub windows_auth: Option<Observation<IdentityRequestSeen>>,
    /// The Windows chain engine's build of the NES certificate chain.
    pub chain_engine: Option<Observation<ChainSeen>>,
    /// This terminal's unicast addresses (no loopback), used in the
    /// commands suggested for the NES server's logs.
    pub terminal_addresses: Vec<String>,
    /// The DNS servers this terminal uses (addresses as text, in the
    /// order the network interfaces list them), for the DNS next steps.
    pub dns_servers: Vec<String>,
    /// Addresses of the domain controllers this terminal uses, when known
    /// (the module fills the logon server's addresses on Windows).
    pub domain_controllers: Vec<String>,
}

/// The observations `nymidiag_nes_probe` folds into its verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProbeHostObservations {
    /// The WinHTTP machine proxy (`NES_PROXY_INTERCEPTS` when it would
    /// carry the NES request).
    pub winhttp_proxy: Option<Observation<ProxySeen>>,
    /// The request with the Windows identity (the `windows_auth` stage).
    pub windows_auth: Option<Observation<IdentityRequestSeen>>,
}

/// One observation: whether it could be made, and what was seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Observation<T> {
    /// Whether the host could look.
    pub state: ObservationState,
    /// Why not, in a sentence, when it could not.
    #[serde(default)]
    pub detail: Option<String>,
    /// What was seen; required when `state` is `observed`.
    #[serde(default)]
    pub seen: Option<T>,
}

impl<T> Observation<T> {
    /// An observation that was made.
    pub fn observed(seen: T) -> Self {
        Observation {
            state: ObservationState::Observed,
            detail: None,
            seen: Some(seen),
        }
    }

    /// An observation that was not made, with why.
    pub fn not_made(state: ObservationState, detail: impl Into<String>) -> Self {
        Observation {
            state,
            detail: Some(detail.into()),
            seen: None,
        }
    }
}

/// Whether an observation could be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ObservationState {
    /// Looked; `seen` says what was there.
    Observed,
    /// Not looked, on purpose (no URL, plain http, no TCP connection).
    Skipped,
    /// Cannot be looked at on this system (off Windows).
    NotApplicable,
    /// Tried and could not look (an API failed); `detail` says why.
    Failed,
}

/// The services found for each role the module looked for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ServicesSeen {
    /// One entry per role, in the order the module looked.
    pub roles: Vec<ServiceRoleSeen>,
}

/// The services whose display name matched one role's pattern.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceRoleSeen {
    /// `eam_security`, `nymi_agent`, `nymi_bluetooth_endpoint`.
    pub role: String,
    /// The display-name pattern (a .NET regex) the services were found by.
    pub pattern: String,
    /// The services that matched; empty when none is installed.
    #[serde(default)]
    pub services: Vec<ServiceSeen>,
}

/// One Windows service as `Get-Service` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceSeen {
    /// Service name (`EamSecSvc`).
    pub name: String,
    /// Display name (`EAM Security Service`).
    pub display_name: String,
    /// `Running`, `Stopped`, `StartPending`, ...
    pub status: String,
    /// `Automatic`, `Manual`, `Disabled`, when known.
    #[serde(default)]
    pub start_type: Option<String>,
}

/// The present PnP devices of the Bluetooth and Ports classes (and any
/// named like the Bluegiga dongle).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BleSeen {
    /// The devices, as `Get-PnpDevice -PresentOnly` lists them.
    pub devices: Vec<PnpDeviceSeen>,
}

/// One PnP device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PnpDeviceSeen {
    /// Friendly name (`Bluegiga Bluetooth Low Energy (COM3)`).
    pub friendly_name: String,
    /// Device class (`Bluetooth`, `Ports`).
    pub class: String,
    /// `OK`, `Error`, `Degraded`, `Unknown`.
    pub status: String,
}

/// The proxy settings that decide how NES is reached.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProxySeen {
    /// The WinHTTP machine proxy (`netsh winhttp show proxy`), which
    /// services running as SYSTEM use; none for direct access.
    pub winhttp_proxy: Option<String>,
    /// Its bypass list (`*` wildcards, `<local>`).
    pub winhttp_bypass: Vec<String>,
    /// The user's WinINET proxy, when enabled.
    pub user_proxy: Option<String>,
    /// The user's WinINET bypass list.
    pub user_bypass: Vec<String>,
    /// The user's proxy auto-configuration (PAC) URL.
    pub pac_url: Option<String>,
}

/// The answer to the request sent with the Windows identity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityRequestSeen {
    /// The URL requested.
    pub url: String,
    /// The account the request ran as (`CORP\TERM01$`), when known.
    pub identity: Option<String>,
    /// The HTTP status of the final answer; none when there was no answer.
    pub status_code: Option<u16>,
    /// The schemes the answer's `WWW-Authenticate` headers offered.
    pub schemes: Vec<String>,
    /// What kind of error ended the request without an answer (the .NET
    /// exception or status name), when there was one.
    pub error_kind: Option<String>,
    /// The error message, when there was one.
    pub error: Option<String>,
    /// How long the request took, in milliseconds.
    pub duration_ms: u64,
}

/// The Windows chain engine's build of the certificate NES presented.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ChainSeen {
    /// The host the handshake went to.
    pub host: String,
    /// The port the handshake went to.
    pub port: u16,
    /// What `X509Chain.Build` returned.
    pub built: bool,
    /// The chain status entries (`X509ChainStatusFlags` names, several
    /// joined by `, ` in one entry, and their information text).
    pub status: Vec<ChainStatusSeen>,
    /// The chain elements, leaf first.
    pub chain: Vec<ChainElementSeen>,
}

/// One chain status entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ChainStatusSeen {
    /// `UntrustedRoot`, `RevocationStatusUnknown, OfflineRevocation`, ...
    pub status: String,
    /// The status information text.
    pub information: String,
}

/// One chain element.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ChainElementSeen {
    /// Subject distinguished name.
    pub subject: String,
    /// SHA-1 thumbprint, hex.
    pub thumbprint: String,
    /// NotAfter, UTC (`2027-01-01T00:00:00Z`).
    pub not_after: String,
}

/// The host checks a diagnosis reports, built by the library from the
/// observations (`data.host` of a diagnosis).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HostFacts {
    /// One entry per host check whose observation was supplied.
    pub checks: BTreeMap<HostCheckName, HostCheck>,
    /// This terminal's unicast addresses, as observed.
    pub terminal_addresses: Vec<String>,
    /// The DNS servers this terminal uses, as observed.
    pub dns_servers: Vec<String>,
    /// The domain controllers' addresses, as observed.
    pub domain_controllers: Vec<String>,
}

/// The host checks a diagnosis knows.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
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
    /// Whether the findings count for the verdict. False for the request
    /// with the Windows identity and the chain engine when the library's
    /// own anonymous probe did not pass TLS and HTTP: they are reported
    /// here only, and `detail` says so.
    #[serde(default = "counted_by_default")]
    pub counted: bool,
    /// Small facts behind the check (service states, device names).
    #[serde(default)]
    pub facts: serde_json::Map<String, serde_json::Value>,
}

fn counted_by_default() -> bool {
    true
}

impl HostCheck {
    /// A check in `state` with `detail` and no findings or facts.
    pub(crate) fn new(state: CoverageState, detail: impl Into<String>) -> Self {
        HostCheck {
            state,
            detail: Some(detail.into()),
            findings: Vec::new(),
            counted: true,
            facts: serde_json::Map::new(),
        }
    }

    /// A check that was carried out.
    pub(crate) fn checked(detail: impl Into<String>) -> Self {
        HostCheck::new(CoverageState::Checked, detail)
    }

    /// Adds findings.
    pub(crate) fn with_findings(mut self, findings: Vec<Finding>) -> Self {
        self.findings = findings;
        self
    }

    /// Adds one fact.
    pub(crate) fn with_fact(mut self, key: &str, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        self.facts.insert(key.to_owned(), value);
        self
    }
}

impl From<ObservationState> for CoverageState {
    fn from(state: ObservationState) -> Self {
        match state {
            ObservationState::Observed => CoverageState::Checked,
            ObservationState::Skipped => CoverageState::Skipped,
            ObservationState::NotApplicable => CoverageState::NotApplicable,
            ObservationState::Failed => CoverageState::Failed,
        }
    }
}
