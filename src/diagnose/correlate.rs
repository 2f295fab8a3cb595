//! The verdict rules: key store, probe, logs and host facts in, one verdict
//! with its evidence out. Pure: no I/O, no clock, and the same facts
//! always give the same verdict (`nymi-domain.md`, sections 5 and 6).

use super::ids as own_ids;
use crate::certs::ids as cert_ids;
use crate::logs::rule_ids;
use crate::probe::ids as probe_ids;
use crate::probe::model::StageName;
use crate::report::{Finding, Severity};
use crate::time_fmt::UtcTime;

use super::facts::{
    CertFacts, CertState, ConfigProblem, IIS_RULES, LogFacts, PathFacts, PathState, host_finding,
};
use super::model::{Cause, Confidence, EvidenceItem, EvidenceSource, VerdictId};
use crate::host::ids as host_ids;
use crate::host::{HostCheckName, HostFacts};

/// Everything the rules read.
pub(crate) struct Facts<'a> {
    pub certs: &'a CertFacts,
    pub logs: &'a LogFacts,
    pub path: &'a PathFacts,
    pub host: &'a HostFacts,
    /// Problems with the tool's own configuration.
    pub config: &'a [ConfigProblem],
    /// How the NES URL was found: inferred URLs weaken live evidence.
    pub url_inferred: bool,
}

/// What the rules decided.
#[derive(Clone, Debug)]
pub(crate) struct Outcome {
    pub id: VerdictId,
    pub cause: Option<Cause>,
    pub confidence: Confidence,
    pub evidence: Vec<EvidenceItem>,
}

/// Why certificates could not be retrieved, by the kind of failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PathCause {
    Dns,
    TcpBlocked,
    Proxy,
    TlsUntrusted,
    TlsOther,
    Auth,
    NesError,
}

impl PathCause {
    fn not_retrieved(self) -> VerdictId {
        match self {
            PathCause::Dns => VerdictId::NeaCertsNotRetrievedDns,
            PathCause::TcpBlocked => VerdictId::NeaCertsNotRetrievedTcpBlocked,
            PathCause::Proxy => VerdictId::NeaCertsNotRetrievedProxy,
            PathCause::TlsUntrusted => VerdictId::NeaCertsNotRetrievedTlsUntrusted,
            PathCause::TlsOther => VerdictId::NeaCertsNotRetrievedTlsOther,
            PathCause::Auth => VerdictId::NeaCertsNotRetrievedAuth,
            PathCause::NesError => VerdictId::NeaCertsNotRetrievedNesError,
        }
    }
}

/// The kind of failure a probe stage and finding stand for.
pub(crate) fn classify_stage(stage: StageName, finding: &str) -> PathCause {
    match stage {
        StageName::Dns => PathCause::Dns,
        StageName::Tcp => PathCause::TcpBlocked,
        StageName::Proxy | StageName::ProxyConnect => PathCause::Proxy,
        StageName::Tls => match finding {
            probe_ids::NES_TLS_UNTRUSTED
            | probe_ids::NES_TLS_INCOMPLETE_CHAIN
            | probe_ids::NES_TLS_PLATFORM_UNTRUSTED => PathCause::TlsUntrusted,
            _ => PathCause::TlsOther,
        },
        StageName::Http => match finding {
            probe_ids::NES_HTTP_NO_WINDOWS_AUTH => PathCause::Auth,
            // A redirect to another host comes from what stands between
            // the terminal and NES (captive portal, TLS inspection, an
            // authenticating proxy), not from NES.
            probe_ids::NES_HTTP_REDIRECT_OFF_HOST => PathCause::Proxy,
            _ => PathCause::NesError,
        },
        StageName::WindowsAuth => PathCause::Auth,
        // A URL that does not parse never reaches the network; callers
        // treat it as untested, so this arm is only a safe default.
        StageName::Url => PathCause::NesError,
    }
}

/// A path cause with where it was seen and how strong the source is.
struct Blame {
    cause: PathCause,
    stage: String,
    finding: String,
    /// Seen by an active test now (probe, host check) rather than in logs.
    active: bool,
}

/// The first thing on the path to NES that fails, active tests first.
fn path_blame(f: &Facts<'_>) -> Option<Blame> {
    if let PathState::Failed { stage, finding, .. } = &f.path.state {
        return Some(Blame {
            cause: classify_stage(*stage, finding),
            stage: stage.as_str().to_owned(),
            finding: finding.clone(),
            active: true,
        });
    }
    let host = |name: HostCheckName, ids: &[&str], cause: PathCause| {
        host_finding(f.host, name, ids).map(|x| Blame {
            cause,
            stage: name.as_str().to_owned(),
            finding: x.id.clone(),
            active: true,
        })
    };
    let from_logs = |rule: &str, stage: &str, cause: PathCause| {
        f.logs.hit(rule).map(|_| Blame {
            cause,
            stage: stage.to_owned(),
            finding: rule.to_owned(),
            active: false,
        })
    };
    host(
        HostCheckName::WindowsAuth,
        &[host_ids::NES_AUTH_FAILED],
        PathCause::Auth,
    )
    .or_else(|| {
        host(
            HostCheckName::ChainEngine,
            &[host_ids::HOST_CHAIN_UNTRUSTED],
            PathCause::TlsUntrusted,
        )
    })
    .or_else(|| {
        f.path.warnings.first().map(|w| Blame {
            cause: PathCause::TlsUntrusted,
            stage: "tls".to_owned(),
            finding: w.id.clone(),
            active: true,
        })
    })
    .or_else(|| {
        host(
            HostCheckName::WinhttpProxy,
            &[host_ids::HOST_WINHTTP_PROXY_NO_BYPASS],
            PathCause::Proxy,
        )
    })
    .or_else(|| {
        from_logs(
            rule_ids::FIREWALL_DROP_NES,
            "firewall_log",
            PathCause::TcpBlocked,
        )
    })
    .or_else(|| from_logs(rule_ids::IIS_KERBEROS_FAILURE, "iis_log", PathCause::Auth))
    .or_else(|| {
        from_logs(
            rule_ids::IIS_NES_SERVER_ERROR,
            "iis_log",
            PathCause::NesError,
        )
    })
    .or_else(|| from_logs(rule_ids::IIS_NES_FORBIDDEN, "iis_log", PathCause::NesError))
}

/// Signs that taps fail for a reason other than the certificates. With
/// `renewed_at` (a complete store), log lines count only when dated after
/// the store's last renewal: undated or older lines are history, and a
/// complete, valid store never becomes an issue on them alone. Host checks
/// are live and always count.
fn other_causes(f: &Facts<'_>, renewed_at: Option<Option<UtcTime>>) -> Vec<EvidenceItem> {
    let recent = |t: Option<UtcTime>| match renewed_at {
        None => true,
        Some(renewed) => t.is_some_and(|t| renewed.is_none_or(|r| t > r)),
    };
    let mut out = Vec::new();
    if let Some(x) = host_finding(
        f.host,
        HostCheckName::BleAdapter,
        &[host_ids::HOST_BLE_ADAPTER_MISSING],
    ) {
        out.push(host_item(x));
    }
    // A stopped service breaks taps; a service not found may simply live
    // elsewhere (a central Nymi Agent), so it is evidence, not a cause.
    if let Some(check) = f
        .host
        .checks
        .get(&HostCheckName::Services)
        .filter(|c| c.counted)
    {
        for x in check
            .findings
            .iter()
            .filter(|x| x.id == host_ids::HOST_SERVICE_STOPPED)
        {
            out.push(host_item(x));
        }
    }
    if f.logs.other_object_not_found > 0 && recent(f.logs.other_object_not_found_last) {
        out.push(EvidenceItem {
            source: EvidenceSource::LogScan,
            finding: rule_ids::LOG_OBJECT_NOT_FOUND.to_owned(),
            severity: Severity::Error,
            fact: format!(
                "{} \"Object not found\" (0x81010009) tap(s) were not preceded by a certificate \
                 chain failure: the cause is elsewhere (BLE adapter, band, services).",
                f.logs.other_object_not_found
            ),
        });
    }
    if let Some(hit) = f.logs.hit(rule_ids::IIS_KERBEROS_FAILURE)
        && recent(hit.last_seen)
    {
        out.push(log_item(hit));
    }
    out
}

fn host_item(x: &Finding) -> EvidenceItem {
    EvidenceItem {
        source: EvidenceSource::Host,
        finding: x.id.clone(),
        severity: x.severity,
        fact: x.title.clone(),
    }
}

fn log_item(hit: &crate::logs::RuleHit) -> EvidenceItem {
    let when = match (hit.first_seen, hit.last_seen) {
        (Some(a), Some(b)) if a != b => format!(", {a} to {b}"),
        (_, Some(b)) => format!(", last {b}"),
        _ => String::new(),
    };
    EvidenceItem {
        source: EvidenceSource::LogScan,
        finding: hit.rule_id.clone(),
        severity: hit.severity,
        fact: format!("{}: {} time(s){when}.", hit.title, hit.count),
    }
}

fn cert_items(f: &Facts<'_>) -> Vec<EvidenceItem> {
    let mut out: Vec<EvidenceItem> = f
        .certs
        .findings
        .iter()
        .map(|x| EvidenceItem {
            source: EvidenceSource::CertInventory,
            finding: x.id.clone(),
            severity: x.severity,
            fact: x.title.clone(),
        })
        .collect();
    if let CertState::Unknown(why) = &f.certs.state {
        out.push(EvidenceItem {
            source: EvidenceSource::Diagnosis,
            finding: own_ids::KSP_NOT_CHECKED.to_owned(),
            severity: Severity::Warning,
            fact: format!("The key store was not counted: {why}."),
        });
    }
    out
}

fn path_items(f: &Facts<'_>) -> Vec<EvidenceItem> {
    let target = f.path.target.as_deref().unwrap_or("NES");
    let mut out = Vec::new();
    match &f.path.state {
        PathState::Clean => out.push(EvidenceItem {
            source: EvidenceSource::NesProbe,
            finding: own_ids::NES_PATH_OK.to_owned(),
            severity: Severity::Info,
            fact: format!("Every probe stage to {target} passed (DNS, TCP, TLS, HTTP)."),
        }),
        PathState::Failed {
            stage,
            finding,
            detail,
        } => out.push(EvidenceItem {
            source: EvidenceSource::NesProbe,
            finding: finding.clone(),
            severity: Severity::Error,
            fact: format!("Stage {} to {target} failed: {detail}", stage.as_str()),
        }),
        PathState::Untested(why) => out.push(EvidenceItem {
            source: EvidenceSource::Diagnosis,
            finding: own_ids::NES_PATH_NOT_TESTED.to_owned(),
            severity: Severity::Warning,
            fact: format!("The path to NES was not tested: {why}."),
        }),
    }
    for w in &f.path.warnings {
        out.push(EvidenceItem {
            source: EvidenceSource::NesProbe,
            finding: w.id.clone(),
            severity: w.severity,
            fact: w.title.clone(),
        });
    }
    for (name, ids) in [
        (HostCheckName::WindowsAuth, &[host_ids::NES_AUTH_FAILED][..]),
        (
            HostCheckName::ChainEngine,
            &[
                host_ids::HOST_CHAIN_UNTRUSTED,
                host_ids::HOST_CHAIN_REVOCATION_OFFLINE,
            ][..],
        ),
        (
            HostCheckName::WinhttpProxy,
            &[host_ids::HOST_WINHTTP_PROXY_NO_BYPASS][..],
        ),
    ] {
        if let Some(x) = host_finding(f.host, name, ids) {
            out.push(host_item(x));
        }
    }
    for rule in [
        rule_ids::FIREWALL_DROP_NES,
        rule_ids::IIS_KERBEROS_FAILURE,
        rule_ids::IIS_NES_SERVER_ERROR,
        rule_ids::IIS_NES_FORBIDDEN,
    ] {
        if let Some(hit) = f.logs.hit(rule) {
            out.push(log_item(hit));
        }
    }
    for (hit, why) in &f.logs.context {
        out.push(EvidenceItem {
            source: EvidenceSource::LogScan,
            finding: hit.rule_id.clone(),
            severity: Severity::Info,
            fact: format!(
                "{}: {} time(s) in a shared log, context only: {why}.",
                hit.title, hit.count
            ),
        });
    }
    out
}

/// Decides the verdict: configuration problems first (they are the
/// tool's, not the terminal's), then the terminal's clock (it breaks TLS
/// and Kerberos and makes certificates look invalid), then the key store.
/// A verdict reached over a URL inferred from the logs is at most of
/// medium confidence.
pub(crate) fn correlate(f: &Facts<'_>) -> Outcome {
    let mut outcome = config_outcome(f)
        .or_else(|| clock_outcome(f))
        .unwrap_or_else(|| store_outcome(f));
    if f.url_inferred && outcome.confidence == Confidence::High {
        outcome.confidence = Confidence::Medium;
    }
    outcome
}

/// `CONFIG_*` when the tool was given something it cannot use.
fn config_outcome(f: &Facts<'_>) -> Option<Outcome> {
    let first = f.config.first()?;
    let mut evidence: Vec<EvidenceItem> = f
        .config
        .iter()
        .map(|c| EvidenceItem {
            source: EvidenceSource::Diagnosis,
            finding: c.finding.clone(),
            severity: Severity::Error,
            fact: c.detail.clone(),
        })
        .collect();
    evidence.extend(cert_items(f));
    evidence.extend(path_items(f));
    Some(Outcome {
        id: first.verdict,
        cause: Some(Cause {
            stage: "configuration".to_owned(),
            finding: first.finding.clone(),
        }),
        confidence: Confidence::High,
        evidence,
    })
}

/// `CLOCK_SKEW` when certificates are not valid yet by this terminal's
/// clock, or NES's clock disagrees with it beyond the tolerance.
fn clock_outcome(f: &Facts<'_>) -> Option<Outcome> {
    let mut evidence = clock_evidence(f);
    let first = evidence.first()?.finding.clone();
    // Two independent sources (store and NES) agreeing is strong.
    let confidence = if evidence.len() > 1 {
        Confidence::High
    } else {
        Confidence::Medium
    };
    evidence.extend(cert_items(f));
    evidence.extend(path_items(f));
    Some(Outcome {
        id: VerdictId::ClockSkew,
        cause: Some(Cause {
            stage: "clock".to_owned(),
            finding: first,
        }),
        confidence,
        evidence,
    })
}

/// The facts that say the terminal's clock is wrong, strongest first.
pub(crate) fn clock_evidence(f: &Facts<'_>) -> Vec<EvidenceItem> {
    let mut evidence = Vec::new();
    if let Some((not_before, n)) = f.certs.not_yet_valid_ahead {
        evidence.push(EvidenceItem {
            source: EvidenceSource::CertInventory,
            finding: cert_ids::NEA_CERT_NOT_YET_VALID.to_owned(),
            severity: Severity::Error,
            fact: format!(
                "{n} NEA certificate(s) are not valid yet: the newest becomes valid at {not_before},                  later than this terminal's clock: the clock is behind."
            ),
        });
    }
    // The probe decides skew (NES_CLOCK_SKEW, with the tolerance and the
    // Date header's resolution); the offset only words the fact.
    if let Some(detail) = &f.path.clock_skew {
        evidence.push(EvidenceItem {
            source: EvidenceSource::NesProbe,
            finding: probe_ids::NES_CLOCK_SKEW.to_owned(),
            severity: Severity::Error,
            fact: match f.path.clock_offset_ms {
                Some(ms) => format!(
                    "NES's clock (its Date header) is {} s {} this terminal's.",
                    ms.unsigned_abs() / 1000,
                    if ms > 0 { "ahead of" } else { "behind" }
                ),
                None => detail.clone(),
            },
        });
    }
    if f.path.tls_not_yet_valid {
        evidence.push(EvidenceItem {
            source: EvidenceSource::NesProbe,
            finding: probe_ids::NES_TLS_NOT_YET_VALID.to_owned(),
            severity: Severity::Error,
            fact: "The NES TLS certificate is not valid yet by this terminal's clock.".to_owned(),
        });
    }
    evidence
}

/// The verdict from the key store, the path and the logs.
fn store_outcome(f: &Facts<'_>) -> Outcome {
    let logs_say_failed = !f.logs.retrieval.is_empty();
    let log_evidence: Vec<EvidenceItem> = f.logs.retrieval.iter().map(log_item).collect();
    let blame = path_blame(f);
    let path_tested = !matches!(f.path.state, PathState::Untested(_));
    let cause = blame.as_ref().map(|b| Cause {
        stage: b.stage.clone(),
        finding: b.finding.clone(),
    });

    let mut evidence = Vec::new();
    let outcome = |id, cause, confidence, evidence| Outcome {
        id,
        cause,
        confidence,
        evidence,
    };

    match &f.certs.state {
        CertState::Missing => {
            evidence.extend(cert_items(f));
            evidence.extend(log_evidence);
            evidence.extend(path_items(f));
            let (id, confidence) = match &blame {
                Some(b) => (
                    b.cause.not_retrieved(),
                    if b.active {
                        Confidence::High
                    } else {
                        Confidence::Medium
                    },
                ),
                None if path_tested => (
                    VerdictId::NeaCertsNotRetrievedCauseUnknown,
                    Confidence::Medium,
                ),
                None => (VerdictId::NeaCertsNotRetrievedCauseUnknown, Confidence::Low),
            };
            outcome(id, cause, confidence, evidence)
        }
        CertState::Unknown(_) if logs_say_failed => {
            evidence.extend(log_evidence);
            evidence.extend(cert_items(f));
            evidence.extend(path_items(f));
            let (id, confidence) = match &blame {
                Some(b) if b.active => (b.cause.not_retrieved(), Confidence::Medium),
                Some(b) => (b.cause.not_retrieved(), Confidence::Low),
                None => (VerdictId::NeaCertsNotRetrievedCauseUnknown, Confidence::Low),
            };
            outcome(id, cause, confidence, evidence)
        }
        CertState::Expired => {
            evidence.extend(cert_items(f));
            evidence.extend(path_items(f));
            evidence.extend(log_evidence);
            let confidence = if path_tested {
                Confidence::High
            } else {
                Confidence::Medium
            };
            outcome(
                VerdictId::NeaCertsExpiredNotRenewed,
                cause,
                confidence,
                evidence,
            )
        }
        CertState::Complete => {
            // Failures logged before the last renewal are history; after
            // it they contradict the store and the verdict says so.
            let stale = match (f.logs.last_failure(), f.certs.newest_renewal) {
                (Some(failed), Some(renewed)) => failed < renewed,
                (Some(_), None) => false,
                (None, _) => true,
            };
            if logs_say_failed && !stale {
                evidence.push(EvidenceItem {
                    source: EvidenceSource::Diagnosis,
                    finding: own_ids::EVIDENCE_CONFLICT.to_owned(),
                    severity: Severity::Warning,
                    fact: format!(
                        "The key store holds all {} certificates, yet the logs show certificate \
                         retrieval failures after its last renewal: another NEA's store, or a \
                         store that was refilled and lost again.",
                        f.certs.expected
                    ),
                });
                evidence.extend(log_evidence);
                evidence.extend(cert_items(f));
                evidence.extend(path_items(f));
                return outcome(VerdictId::Inconclusive, cause, Confidence::Low, evidence);
            }
            let others = other_causes(f, Some(f.certs.newest_renewal));
            if !others.is_empty() {
                let first = others.first().map(|e| Cause {
                    stage: match e.source {
                        EvidenceSource::LogScan if IIS_RULES.contains(&e.finding.as_str()) => {
                            "iis_log".to_owned()
                        }
                        EvidenceSource::LogScan => "terminal_log".to_owned(),
                        _ if e.finding == host_ids::HOST_BLE_ADAPTER_MISSING => {
                            HostCheckName::BleAdapter.as_str().to_owned()
                        }
                        _ => HostCheckName::Services.as_str().to_owned(),
                    },
                    finding: e.finding.clone(),
                });
                evidence.extend(others);
                evidence.extend(cert_items(f));
                evidence.extend(path_items(f));
                return outcome(
                    VerdictId::CertsOkOtherCause,
                    first,
                    Confidence::Medium,
                    evidence,
                );
            }
            if let Some(b) = &blame {
                evidence.extend(path_items(f));
                evidence.extend(cert_items(f));
                let confidence = if b.active {
                    Confidence::High
                } else {
                    Confidence::Medium
                };
                return outcome(
                    VerdictId::CertsOkNesUnreachable,
                    cause,
                    confidence,
                    evidence,
                );
            }
            evidence.push(EvidenceItem {
                source: EvidenceSource::CertInventory,
                finding: own_ids::NEA_CERTS_COMPLETE.to_owned(),
                severity: Severity::Info,
                fact: format!(
                    "The key store holds all {} expected certificates, all valid{}.",
                    f.certs.expected,
                    f.certs
                        .expires_in_days
                        .map(|d| format!("; the first expires in {d} day(s)"))
                        .unwrap_or_default()
                ),
            });
            // Stale stores, opaque files, certificates expiring soon.
            evidence.extend(cert_items(f));
            if logs_say_failed {
                evidence.push(EvidenceItem {
                    source: EvidenceSource::Diagnosis,
                    finding: own_ids::LOG_FAILURES_BEFORE_RENEWAL.to_owned(),
                    severity: Severity::Info,
                    fact: "Certificate retrieval failures in the logs predate the store's last \
                           renewal: fixed since."
                        .to_owned(),
                });
            }
            evidence.extend(path_items(f));
            let logs_read = f.logs.read.is_ok();
            let confidence = match (path_tested, logs_read) {
                (true, true) => Confidence::High,
                (false, false) => Confidence::Low,
                _ => Confidence::Medium,
            };
            outcome(VerdictId::Healthy, None, confidence, evidence)
        }
        CertState::Unknown(_) => {
            evidence.extend(cert_items(f));
            match &f.logs.read {
                Ok(n) => evidence.push(EvidenceItem {
                    source: EvidenceSource::LogScan,
                    finding: own_ids::LOG_NO_RETRIEVAL_FAILURE.to_owned(),
                    severity: Severity::Info,
                    fact: format!(
                        "{n} log file(s) read; no certificate retrieval failure in them."
                    ),
                }),
                Err(why) => evidence.push(EvidenceItem {
                    source: EvidenceSource::Diagnosis,
                    finding: own_ids::LOGS_NOT_CHECKED.to_owned(),
                    severity: Severity::Warning,
                    fact: format!("The logs were not read: {why}."),
                }),
            }
            evidence.extend(other_causes(f, None));
            evidence.extend(path_items(f));
            outcome(VerdictId::Inconclusive, cause, Confidence::Low, evidence)
        }
    }
}
