//! The `data` of a diagnosis report.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::certs::CertInventoryData;
use crate::logs::LogScanData;
use crate::probe::NesProbeData;
use crate::report::{CoverageState, Report, Severity};

use crate::host::HostFacts;

/// `data` of a `diagnose` report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiagnoseData {
    /// The one verdict.
    pub verdict: Verdict,
    /// The Intune summary line: ASCII, at most 2,048 characters,
    /// `STATUS=<OK|ISSUE|ERROR> code=<verdict> ksp=<n>/<expected>
    /// nes=<host:port> stage=<first failing stage> ...`.
    pub status_line: String,
    /// The facts that led to the verdict, strongest first.
    pub evidence: Vec<EvidenceItem>,
    /// What to do, in order.
    pub next_steps: Vec<NextStep>,
    /// The NES URL probed, and where it came from.
    pub nes_url: NesUrlChoice,
    /// Every check the diagnosis knows, with its state: the parts, the
    /// probe stages and the host checks.
    pub checks: Vec<Check>,
    /// The key-store count the verdict used.
    pub ksp: KspSummary,
    /// The part reports, in full (`null` for a part not run).
    pub inputs: Inputs,
    /// The host facts as given (empty when the caller gave none).
    pub host: HostFacts,
    /// The request's `site`, trimmed (`null` when none was given).
    pub site: Option<String>,
}

/// The verdict ids, stable: Intune summaries and scripts key on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerdictId {
    /// Certificates complete and valid; nothing found on the path to NES.
    Healthy,
    /// NES certificates missing; the DNS stage fails.
    NeaCertsNotRetrievedDns,
    /// NES certificates missing; TCP to NES is refused, times out, or the
    /// firewall log shows drops.
    NeaCertsNotRetrievedTcpBlocked,
    /// NES certificates missing; the proxy stands in the way.
    NeaCertsNotRetrievedProxy,
    /// NES certificates missing; the NES TLS chain is not trusted.
    NeaCertsNotRetrievedTlsUntrusted,
    /// NES certificates missing; TLS fails otherwise (expired, name,
    /// revoked, handshake).
    NeaCertsNotRetrievedTlsOther,
    /// NES certificates missing; Windows authentication to NES fails.
    NeaCertsNotRetrievedAuth,
    /// NES certificates missing; NES answers with an error.
    NeaCertsNotRetrievedNesError,
    /// NES certificates missing; the path tests clean or could not be
    /// tested.
    NeaCertsNotRetrievedCauseUnknown,
    /// The count is complete but NES-issued certificates expired and were
    /// not renewed.
    NeaCertsExpiredNotRenewed,
    /// Certificates complete today, but the path to NES fails: the next
    /// renewal will fail.
    CertsOkNesUnreachable,
    /// Certificates complete, yet taps fail for another reason (BLE
    /// adapter, services, band cache, SPN).
    CertsOkOtherCause,
    /// The terminal's clock is wrong: certificates not valid yet, or the
    /// terminal and NES disagree on the time by more than Kerberos allows.
    ClockSkew,
    /// The essential checks could not be made or contradict each other.
    Inconclusive,
    /// The NES URL given to the tool (`-NesUri`, policy) is not a usable
    /// URL: a configuration problem, not a terminal one.
    ConfigNesUrlInvalid,
    /// The CA file given to the tool (`-TrustedRootPath`) cannot be read.
    ConfigCaFileUnreadable,
    /// A rule pack given to the tool (`-RulePath`) cannot be read or is
    /// invalid; the built-in rules were used.
    ConfigRulePackInvalid,
}

impl VerdictId {
    /// The id as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictId::Healthy => "HEALTHY",
            VerdictId::NeaCertsNotRetrievedDns => "NEA_CERTS_NOT_RETRIEVED_DNS",
            VerdictId::NeaCertsNotRetrievedTcpBlocked => "NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED",
            VerdictId::NeaCertsNotRetrievedProxy => "NEA_CERTS_NOT_RETRIEVED_PROXY",
            VerdictId::NeaCertsNotRetrievedTlsUntrusted => "NEA_CERTS_NOT_RETRIEVED_TLS_UNTRUSTED",
            VerdictId::NeaCertsNotRetrievedTlsOther => "NEA_CERTS_NOT_RETRIEVED_TLS_OTHER",
            VerdictId::NeaCertsNotRetrievedAuth => "NEA_CERTS_NOT_RETRIEVED_AUTH",
            VerdictId::NeaCertsNotRetrievedNesError => "NEA_CERTS_NOT_RETRIEVED_NES_ERROR",
            VerdictId::NeaCertsNotRetrievedCauseUnknown => "NEA_CERTS_NOT_RETRIEVED_CAUSE_UNKNOWN",
            VerdictId::NeaCertsExpiredNotRenewed => "NEA_CERTS_EXPIRED_NOT_RENEWED",
            VerdictId::CertsOkNesUnreachable => "CERTS_OK_NES_UNREACHABLE",
            VerdictId::CertsOkOtherCause => "CERTS_OK_OTHER_CAUSE",
            VerdictId::ClockSkew => "CLOCK_SKEW",
            VerdictId::Inconclusive => "INCONCLUSIVE",
            VerdictId::ConfigNesUrlInvalid => "CONFIG_NES_URL_INVALID",
            VerdictId::ConfigCaFileUnreadable => "CONFIG_CA_FILE_UNREADABLE",
            VerdictId::ConfigRulePackInvalid => "CONFIG_RULE_PACK_INVALID",
        }
    }

    /// Every verdict id.
    #[cfg(test)]
    pub(crate) const ALL: [VerdictId; 17] = [
        VerdictId::Healthy,
        VerdictId::NeaCertsNotRetrievedDns,
        VerdictId::NeaCertsNotRetrievedTcpBlocked,
        VerdictId::NeaCertsNotRetrievedProxy,
        VerdictId::NeaCertsNotRetrievedTlsUntrusted,
        VerdictId::NeaCertsNotRetrievedTlsOther,
        VerdictId::NeaCertsNotRetrievedAuth,
        VerdictId::NeaCertsNotRetrievedNesError,
        VerdictId::NeaCertsNotRetrievedCauseUnknown,
        VerdictId::NeaCertsExpiredNotRenewed,
        VerdictId::CertsOkNesUnreachable,
        VerdictId::CertsOkOtherCause,
        VerdictId::ClockSkew,
        VerdictId::Inconclusive,
        VerdictId::ConfigNesUrlInvalid,
        VerdictId::ConfigCaFileUnreadable,
        VerdictId::ConfigRulePackInvalid,
    ];

    /// Whether the verdict says the terminal is fine, has an issue, or
    /// could not be judged.
    pub fn status(self) -> VerdictStatus {
        match self {
            VerdictId::Healthy => VerdictStatus::Ok,
            VerdictId::Inconclusive
            | VerdictId::ConfigNesUrlInvalid
            | VerdictId::ConfigCaFileUnreadable
            | VerdictId::ConfigRulePackInvalid => VerdictStatus::Inconclusive,
            _ => VerdictStatus::Issue,
        }
    }
}

/// The verdict's overall meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerdictStatus {
    /// Nothing to do.
    Ok,
    /// The failure (or its risk) is present.
    Issue,
    /// Could not be judged; `evidence` says what is missing.
    Inconclusive,
}

impl From<VerdictStatus> for crate::report::ReportStatus {
    /// The report status (and so the Intune word) of a verdict: a terminal
    /// that could not be judged is an error, never "ok".
    fn from(status: VerdictStatus) -> Self {
        match status {
            VerdictStatus::Ok => Self::Ok,
            VerdictStatus::Issue => Self::Issue,
            VerdictStatus::Inconclusive => Self::Error,
        }
    }
}

/// How far the verdict can be trusted.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// One source, or sources that disagree, or the path was not tested.
    Low,
    /// One strong source, or two that agree with part of the picture
    /// missing.
    Medium,
    /// Independent sources agree (key store, probe, logs).
    High,
}

/// The cause behind a verdict: which stage or check failed first, with
/// which finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    /// A probe stage (`dns`, `tcp`, `tls`, `http`, ...), a host check
    /// (`windows_auth`, `chain_engine`, `winhttp_proxy`, `services`,
    /// `ble_adapter`) or a log (`firewall_log`, `iis_log`, `terminal_log`).
    pub stage: String,
    /// The finding id that failed it.
    pub finding: String,
}

/// The one verdict of a diagnosis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// Stable id.
    pub id: VerdictId,
    /// Ok, issue or inconclusive.
    pub status: VerdictStatus,
    /// One line.
    pub title: String,
    /// Two or three sentences: what is wrong, why, what next.
    pub summary: String,
    /// The first failing stage, when the verdict has one.
    pub cause: Option<Cause>,
    /// How far it can be trusted.
    pub confidence: Confidence,
}

/// Where a piece of evidence comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceSource {
    /// The NEA certificate inventory.
    CertInventory,
    /// The NES probe.
    NesProbe,
    /// The log scan.
    LogScan,
    /// A host check.
    Host,
    /// The diagnosis itself (for example a missing input).
    Diagnosis,
}

/// One fact behind the verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceItem {
    /// Which part saw it.
    pub source: EvidenceSource,
    /// The finding id (or a diagnosis note such as `NES_URL_NOT_FOUND`).
    pub finding: String,
    /// The finding's severity.
    pub severity: Severity,
    /// The key facts, in one sentence.
    pub fact: String,
}

/// Where a next step is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunOn {
    /// This terminal (as SYSTEM where it says so).
    Terminal,
    /// The NES server.
    NesServer,
    /// A domain-joined admin workstation or a domain controller.
    Domain,
    /// The Nymi Band or the user.
    Band,
}

/// One step to take, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NextStep {
    /// 1-based position.
    pub order: u32,
    /// The troubleshooting step it belongs to (the Nymi article's steps:
    /// "IIS log on the NES server", "Token authentication", "Basic
    /// connectivity", "Advanced connectivity", "Firewall logs", "Restart the
    /// EAM Security Service"; or "BLE adapter", "Services", ...).
    pub step: String,
    /// What to do and what to look for.
    pub action: String,
    /// A command to run, when there is one.
    pub command: Option<String>,
    /// Where to run it.
    pub run_on: RunOn,
}

/// Where the NES URL came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NesUrlSource {
    /// The request (`-NesUri`).
    Request,
    /// Inferred: a URL on an NES line of the logs (the token request, an
    /// `nes_url` setting, the NES client's lines).
    LogNesContext,
    /// Inferred: the most frequent URL anywhere in the logs (weakest).
    Log,
    /// None was given or found.
    None,
}

impl NesUrlSource {
    /// The name as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            NesUrlSource::Request => "request",
            NesUrlSource::LogNesContext => "log_nes_context",
            NesUrlSource::Log => "log",
            NesUrlSource::None => "none",
        }
    }
}

/// One URL seen in the logs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UrlCandidate {
    /// The URL (no query).
    pub url: String,
    /// How often it was seen.
    pub count: u64,
    /// Seen on an NES line (token request, `nes_url`, NES client) rather
    /// than anywhere.
    pub nes_context: bool,
}

/// The NES URL a diagnosis probed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NesUrlChoice {
    /// The URL, when there is one.
    pub url: Option<String>,
    /// Where it came from.
    pub source: NesUrlSource,
    /// One sentence on the choice.
    pub detail: String,
    /// URLs seen in the logs, most frequent first (capped at 10).
    pub candidates: Vec<UrlCandidate>,
}

/// One check the diagnosis knows, with its state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// `ksp`, `logs`, `nes_url`, a probe stage (`probe_dns`, ...) or a host
    /// check (`services`, ...).
    pub name: String,
    /// The part or host that did it.
    pub source: EvidenceSource,
    /// Checked, skipped, not applicable or failed.
    pub state: CoverageState,
    /// What was seen, or why it was not checked.
    pub detail: String,
    /// The finding that failed it, if one did.
    pub finding: Option<String>,
}

/// The key-store count behind the verdict (the store with the fewest
/// certificates when there are several).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KspSummary {
    /// Distinct certificates in that store; `null` when no store could be
    /// counted.
    pub certificates: Option<u64>,
    /// Expected per store (8 + 12 by default).
    pub expected: u64,
    /// Stores found.
    pub stores: u32,
    /// Stores that could be listed.
    pub stores_checked: u32,
    /// That store's path.
    pub path: Option<String>,
}

/// The part reports a diagnosis correlated.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    /// The certificate inventory.
    pub cert_inventory: Option<Report<CertInventoryData>>,
    /// The NES probe.
    pub nes_probe: Option<Report<NesProbeData>>,
    /// The log scan.
    pub log_scan: Option<Report<LogScanData>>,
    /// The firewall logs the log scan found, scanned again once NES's
    /// addresses were known, keeping only packets between this terminal
    /// and NES, its DNS servers or domain controllers (`null` when there
    /// was no firewall log or nothing to tie it to).
    #[serde(default)]
    pub firewall_scan: Option<Report<LogScanData>>,
}
