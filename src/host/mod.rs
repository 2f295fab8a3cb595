//! What only Windows can see on the terminal, and what it means.
//!
//! The PowerShell module gathers raw observations ([`HostObservations`]:
//! service states, the PnP devices that may be a BLE adapter, the proxy
//! settings, the answer to the request with the Windows identity, the
//! Windows chain engine's build of the NES chain) and sends them in the
//! request; this module turns each into a check with its findings (one
//! file per check, ids in [`ids`]) and decides whether those findings
//! count for the verdict. A check whose observation could not be made
//! (`skipped`, `not_applicable`, `failed`) is still reported, with why.
//!
//! The request with the Windows identity and the chain engine run before
//! the library's own probe and only for an NES URL the admin configured:
//! .NET validates the server certificate with the Windows chain engine
//! and never sends credentials when that fails. Their findings count only
//! when the library's anonymous probe passed TLS and HTTP; otherwise they
//! are reported and the check's detail says they did not count. For a
//! URL the diagnosis inferred from the logs neither is used.

mod ble;
mod chain;
mod identity;
pub mod ids;
pub mod model;
mod services;
mod winhttp;

pub use model::{
    BleSeen, ChainElementSeen, ChainSeen, ChainStatusSeen, HostCheck, HostCheckName, HostFacts,
    HostObservations, IdentityRequestSeen, Observation, ObservationState, PnpDeviceSeen,
    ProbeHostObservations, ProxySeen, ServiceRoleSeen, ServiceSeen, ServicesSeen,
};

use crate::probe::NesProbeData;
use crate::probe::model::{StageName, StageStatus};
use crate::report::{CoverageState, Finding};

use identity::IdentityOutcome;

/// Why the identity and chain observations did not count.
const NOT_COUNTED: &str = "reported only: the library's anonymous request to NES did not pass TLS and HTTP, so this does not change the verdict";

/// What a diagnosis knows when it judges the observations.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DiagnosisContext<'a> {
    /// The NES URL the diagnosis probed, if any.
    pub nes_url: Option<&'a str>,
    /// Whether the admin configured that URL (the request's `nes_url`),
    /// rather than the diagnosis inferring it from the logs.
    pub configured: bool,
    /// Where the URL came from, as the report names it.
    pub source: &'a str,
    /// Whether the library's anonymous probe passed TLS and HTTP.
    pub anonymous_answered: bool,
}

/// The diagnosis's host checks from the observations.
pub(crate) fn diagnosis_checks(obs: &HostObservations, ctx: &DiagnosisContext<'_>) -> HostFacts {
    let mut facts = HostFacts {
        terminal_addresses: obs.terminal_addresses.clone(),
        dns_servers: obs.dns_servers.clone(),
        domain_controllers: obs.domain_controllers.clone(),
        ..HostFacts::default()
    };
    let nes_host = ctx
        .nes_url
        .filter(|_| ctx.configured)
        .and_then(|u| crate::probe::url::normalize(u).ok())
        .map(|n| n.host);
    let mut put = |name: HostCheckName, check: Option<HostCheck>| {
        if let Some(c) = check {
            facts.checks.insert(name, c);
        }
    };
    put(
        HostCheckName::Services,
        obs.services.as_ref().map(|o| judged(o, services::check)),
    );
    put(
        HostCheckName::BleAdapter,
        obs.ble_adapter.as_ref().map(|o| judged(o, ble::check)),
    );
    put(
        HostCheckName::WinhttpProxy,
        obs.winhttp_proxy
            .as_ref()
            .map(|o| judged(o, |s| winhttp::check(s, nes_host.as_deref()))),
    );
    put(
        HostCheckName::WindowsAuth,
        gated(
            obs.windows_auth.as_ref(),
            ctx,
            identity::check,
            INFERRED_AUTH,
        ),
    );
    put(
        HostCheckName::ChainEngine,
        gated(obs.chain_engine.as_ref(), ctx, chain::check, INFERRED_CHAIN),
    );
    facts
}

/// The `windows_auth` detail when the URL was inferred from the logs.
const INFERRED_AUTH: &str = "the NES URL was inferred from the logs; the request with the Windows identity is sent only to a configured NES URL (-NesUri)";
/// The `chain_engine` detail when the URL was inferred from the logs.
const INFERRED_CHAIN: &str = "the NES URL was inferred from the logs; the Windows chain engine check runs only for a configured NES URL (-NesUri)";

/// A check from an observation: judged when made, else its state and why.
fn judged<T>(o: &Observation<T>, judge: impl FnOnce(&T) -> HostCheck) -> HostCheck {
    match (o.state, &o.seen) {
        (ObservationState::Observed, Some(seen)) => judge(seen),
        (ObservationState::Observed, None) => HostCheck::new(
            CoverageState::Failed,
            "the observation was marked observed but carried nothing",
        ),
        (state, _) => HostCheck {
            state: state.into(),
            detail: o.detail.clone(),
            findings: Vec::new(),
            counted: true,
            facts: serde_json::Map::new(),
        },
    }
}

/// The identity and chain checks: only for a configured URL, and counted
/// only when the anonymous probe passed TLS and HTTP.
fn gated<T>(
    o: Option<&Observation<T>>,
    ctx: &DiagnosisContext<'_>,
    judge: impl FnOnce(&T) -> HostCheck,
    inferred: &str,
) -> Option<HostCheck> {
    if let Some(url) = ctx.nes_url.filter(|_| !ctx.configured) {
        // Off Windows or a broken API says more than the URL's source.
        if let Some(o) = o.filter(|o| {
            matches!(
                o.state,
                ObservationState::NotApplicable | ObservationState::Failed
            )
        }) {
            return Some(judged(o, judge));
        }
        return Some(
            HostCheck::new(CoverageState::Skipped, inferred)
                .with_fact("url", url)
                .with_fact("nes_url_source", ctx.source),
        );
    }
    let o = o?;
    let mut check = judged(o, judge);
    if o.state == ObservationState::Observed && !ctx.anonymous_answered {
        check.counted = false;
        check.detail = Some(match check.detail.take() {
            Some(d) if !d.is_empty() => format!("{d} ({NOT_COUNTED})"),
            _ => NOT_COUNTED.to_owned(),
        });
    }
    Some(check)
}

/// Whether a probe passed both TLS and HTTP (its anonymous request got an
/// answer from a verified NES).
pub(crate) fn anonymous_answered(data: &NesProbeData) -> bool {
    let ok = |name: StageName| {
        data.stages
            .iter()
            .any(|s| s.name == name && s.status == StageStatus::Ok)
    };
    ok(StageName::Tls) && ok(StageName::Http)
}

/// Folds the observations into a finished probe: the WinHTTP proxy
/// (`NES_PROXY_INTERCEPTS`) and the `windows_auth` stage. The verdict is
/// computed afterwards from the stages (a refused identity fails the probe
/// only when every other stage passed).
pub(crate) fn fold_into_probe(
    obs: &ProbeHostObservations,
    data: &mut NesProbeData,
    findings: &mut Vec<Finding>,
) {
    if let (Some(seen), Some(target)) = (
        obs.winhttp_proxy
            .as_ref()
            .filter(|o| o.state == ObservationState::Observed)
            .and_then(|o| o.seen.as_ref()),
        data.target.as_ref(),
    ) && let Some(f) = winhttp::probe_finding(seen, &target.host)
    {
        findings.push(f);
    }
    let Some(o) = &obs.windows_auth else {
        return;
    };
    let answered = anonymous_answered(data);
    let (status, duration_ms, finding, detail) = match (o.state, &o.seen) {
        (ObservationState::Observed, Some(seen)) => {
            let (outcome, detail) = identity::judge(seen);
            match outcome {
                _ if !answered => (
                    StageStatus::Skipped,
                    seen.duration_ms,
                    None,
                    format!(
                        "Not counted: an earlier stage failed, and only an answer from a verified NES counts ({detail})."
                    ),
                ),
                IdentityOutcome::Passed => (StageStatus::Ok, seen.duration_ms, None, detail),
                IdentityOutcome::Refused(f) => {
                    (StageStatus::Failed, seen.duration_ms, Some(*f), detail)
                }
                IdentityOutcome::NoAnswer => (StageStatus::Failed, seen.duration_ms, None, detail),
            }
        }
        (state, _) => (
            match state {
                ObservationState::NotApplicable => StageStatus::NotApplicable,
                ObservationState::Failed | ObservationState::Observed => StageStatus::Failed,
                ObservationState::Skipped => StageStatus::Skipped,
            },
            0,
            None,
            o.detail
                .clone()
                .unwrap_or_else(|| "the request with the Windows identity was not made".to_owned()),
        ),
    };
    if let Some(stage) = data
        .stages
        .iter_mut()
        .find(|s| s.name == StageName::WindowsAuth)
    {
        stage.status = status;
        stage.duration_ms = duration_ms;
        stage.finding = finding.as_ref().map(|f| f.id.clone());
        stage.detail = detail;
    }
    findings.extend(finding);
}

#[cfg(test)]
mod tests;
