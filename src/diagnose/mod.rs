//! The `diagnose` capability: the certificate inventory, the NES probe and
//! the log scan, correlated into one verdict with its evidence and the next
//! steps (`design.md`, "Shape"; `nymi-domain.md`, sections 5 and 6).
//!
//! The parts run as their own capabilities would (each with its request
//! part, each optional through `skip`); the inventory runs beside the log
//! scan, and the probe follows once the NES URL is known: from the request,
//! or else from the URLs the log scan found (`LOG_NES_URL_SEEN`). Without
//! one the probe is not run and the path counts as untested, which is not
//! an error. The correlation itself (`correlate.rs`) is a pure function of
//! the part reports and the host facts: the same inputs always give the
//! same verdict.
//!
//! | verdict | when |
//! | --- | --- |
//! | `HEALTHY` | certificates complete and valid, nothing failing on the path or in the logs |
//! | `NEA_CERTS_NOT_RETRIEVED_<cause>` | fewer certificates than expected (or, without a key store, the logs' retrieval signatures); the cause is the first failing probe stage (`DNS`, `TCP_BLOCKED`, `PROXY`, `TLS_UNTRUSTED`, `TLS_OTHER`, `AUTH`, `NES_ERROR`), else a host check or a log, else `CAUSE_UNKNOWN` |
//! | `NEA_CERTS_EXPIRED_NOT_RENEWED` | the count is complete but expired certificates leave fewer valid ones than expected |
//! | `CERTS_OK_NES_UNREACHABLE` | certificates complete today, but the path to NES fails: the next renewal will |
//! | `CERTS_OK_OTHER_CAUSE` | certificates complete, yet taps fail: BLE adapter, stopped services, "Object not found" without a chain failure, Kerberos failures in the NES IIS log |
//! | `INCONCLUSIVE` | the key store could not be counted and the logs show no retrieval failure, or the store and the logs contradict each other |
//!
//! ```
//! use nymidiag::diagnose::{DiagnoseRequest, Part, diagnose};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let mut request = DiagnoseRequest::default();
//! request.cert_inventory.paths = vec![dir.path().display().to_string()];
//! request.skip = vec![Part::LogScan];
//! let report = diagnose(&request).unwrap();
//! // An empty store and no NES URL: certificates missing, path untested.
//! assert_eq!(report.data.verdict.id.as_str(), "NEA_CERTS_NOT_RETRIEVED_CAUSE_UNKNOWN");
//! assert!(report.data.status_line.starts_with("STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_CAUSE_UNKNOWN ksp=0/20"));
//! ```

mod budget;
mod correlate;
mod facts;
pub mod ids;
pub mod model;
pub mod request;
pub(crate) mod status_line;
mod steps;
#[cfg(test)]
mod tests;

pub use crate::host::{HostCheck, HostCheckName, HostFacts};
pub use model::*;
pub use request::{DiagnoseRequest, Part, ProbePart};
pub use status_line::lines::{
    MAX_LINES as MAX_STATUS_LINES, StatusLinesData, StatusLinesRequest, parse_status_lines,
};

use crate::Error;
use crate::certs::{CertInventoryRequest, cert_inventory};
use crate::logs::{KindChoice, LogKind, LogScanData, LogScanRequest, try_log_scan};
use crate::probe::model::{StageName, StageStatus};
use crate::probe::nes_probe;
use crate::report::{CoverageState, Finding, Report, ReportBuilder, ReportStatus, Severity};
use crate::time_fmt::UtcTime;
use std::time::{Duration, Instant};

use correlate::{Facts, Outcome};
use facts::{CertFacts, CertState, ConfigProblem, LogFacts, PathFacts, PathState};

/// Capability name in the report.
pub const CAPABILITY: &str = crate::report::Capability::Diagnose.name();

/// URL candidates listed in the report.
const MAX_URL_CANDIDATES: usize = 10;

/// Runs the diagnosis. A request that cannot be carried out (a bad rule
/// pack in `log_scan.rule_paths`) is an [`Error`]; everything the terminal
/// itself is missing is part of the verdict.
pub fn diagnose(request: &DiagnoseRequest) -> Result<Report<DiagnoseData>, Error> {
    let mut report = ReportBuilder::new(CAPABILITY);
    // Every report builder caps the caller itself.
    let caller = request.caller.clone();
    report.caller(caller.as_deref());
    let now = request.now.unwrap_or_else(UtcTime::now);
    let deadline = Deadline::start(request.deadline_ms, &mut report);
    let skipped = |part: Part| request.skip.contains(&part);

    let inventory_request = {
        let mut r: CertInventoryRequest = request.cert_inventory.clone();
        r.now = r.now.or(Some(now));
        r.caller = r.caller.or_else(|| caller.clone());
        r.deadline_ms = Some(deadline.within(r.deadline_ms));
        r
    };
    let observed = request.host.clone().unwrap_or_default();
    // A request the inventory would refuse (blank or too many paths) is
    // the caller's mistake: said, with the part named, before anything runs.
    if !skipped(Part::CertInventory) {
        inventory_request
            .check()
            .map_err(|e| in_part(Part::CertInventory.as_str(), e))?;
    }
    let mut log_request = request.log_scan.clone();
    log_request.now = log_request.now.or(Some(now));
    log_request.caller = log_request.caller.or_else(|| caller.clone());
    log_request.deadline_ms = Some(deadline.within(log_request.deadline_ms));
    // Shared logs count only for this terminal: keep its requests in the
    // NES IIS log (and its packets in firewall logs) unless the caller
    // chose the clients.
    if log_request.client_address.is_none() && log_request.client_addresses.is_empty() {
        log_request.client_addresses = observed.terminal_addresses.clone();
    }
    let iis_tied = log_request.client_address.is_some() || !log_request.client_addresses.is_empty();

    // The inventory and the log scan are independent: run them side by
    // side. The probe waits for the log scan only when the URL must come
    // from the logs.
    let given_url = request
        .nes_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned);
    // The probe gets what is left of the deadline, at most its own; with
    // too little left it is not run (a probe cut to nothing would blame
    // the network for the diagnosis's own budget).
    let probe_for = |url: &str| {
        let left = deadline.left_ms();
        let mut part = request.nes_probe.clone();
        if left < MIN_PROBE_MS.min(part.deadline_ms.max(1)) {
            return None;
        }
        part.deadline_ms = part.deadline_ms.min(left);
        Some(nes_probe(&part.to_request(url, caller.clone())))
    };
    let run_probe_early = given_url.is_some() && !skipped(Part::NesProbe);

    let (inventory, logs, early_probe) = std::thread::scope(|scope| {
        let inventory = (!skipped(Part::CertInventory))
            .then(|| scope.spawn(|| cert_inventory(&inventory_request)));
        let probe = run_probe_early
            .then(|| {
                given_url
                    .as_deref()
                    .map(|u| scope.spawn(move || probe_for(u)))
            })
            .flatten();
        let logs = if skipped(Part::LogScan) {
            None
        } else {
            Some(scan_logs(&log_request, &deadline))
        };
        (
            inventory.map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))),
            logs,
            probe.and_then(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))),
        )
    });
    let (logs, rule_pack_problem) = match logs {
        Some((r, problem)) => (Some(r), problem),
        None => (None, None),
    };
    let logs = logs
        .transpose()
        .map_err(|e| in_part(Part::LogScan.as_str(), e))?;

    let mut inputs = Inputs {
        cert_inventory: inventory,
        nes_probe: early_probe,
        log_scan: logs,
        firewall_scan: None,
    };

    let mut log_facts = match &inputs.log_scan {
        Some(r) => LogFacts::from_report(r),
        None => LogFacts::not_run("skipped by the request"),
    };
    let nes_url = choose_url(given_url.as_deref(), &log_facts, skipped(Part::LogScan));
    let mut probe_cut = false;
    if let Some(url) = &nes_url.url
        && inputs.nes_probe.is_none()
        && !skipped(Part::NesProbe)
    {
        inputs.nes_probe = probe_for(url);
        probe_cut = inputs.nes_probe.is_none();
    }

    let expected = u64::from(request.cert_inventory.expected_local)
        + u64::from(request.cert_inventory.expected_nes);
    let cert_facts = match &inputs.cert_inventory {
        Some(r) => CertFacts::from_report(r),
        None => CertFacts::not_run("skipped by the request", expected),
    };
    let path_facts = match &inputs.nes_probe {
        Some(r) => PathFacts::from_report(r),
        None if skipped(Part::NesProbe) => PathFacts::not_run("skipped by the request"),
        None if probe_cut => PathFacts::not_run(PROBE_CUT),
        None => PathFacts::not_run(&nes_url.detail),
    };
    // The host checks, judged now that the URL and the probe's answer are
    // known: the identity and chain observations count only after the
    // anonymous request passed TLS and HTTP.
    let host = crate::host::diagnosis_checks(
        &observed,
        &crate::host::DiagnosisContext {
            nes_url: nes_url.url.as_deref(),
            configured: nes_url.source == NesUrlSource::Request,
            source: nes_url.source.as_str(),
            anonymous_answered: inputs
                .nes_probe
                .as_ref()
                .is_some_and(|p| crate::host::anonymous_answered(&p.data)),
        },
    );
    inputs.firewall_scan = inputs.log_scan.as_ref().and_then(|main| {
        rescan_firewall(&log_request, main, &path_facts, &host, deadline.left_ms())
    });
    log_facts.tie_shared_logs(
        iis_tied,
        inputs
            .firewall_scan
            .as_ref()
            .ok_or(if path_facts.nes_addresses.is_empty() {
                "the NES's addresses are not known (the probe did not resolve NES directly), so \
             firewall drops cannot be tied to it"
            } else {
                "the firewall logs could not be scanned again for NES's addresses"
            }),
    );
    let config = ConfigProblem::collect(
        nes_url.source == NesUrlSource::Request,
        &path_facts,
        rule_pack_problem.as_deref(),
    );
    let f = Facts {
        certs: &cert_facts,
        logs: &log_facts,
        path: &path_facts,
        host: &host,
        config: &config,
        url_inferred: matches!(
            nes_url.source,
            NesUrlSource::Log | NesUrlSource::LogNesContext
        ),
    };
    let outcome = correlate::correlate(&f);
    let next_steps = steps::next_steps(&f, &outcome, now);
    let verdict = verdict_of(&f, &outcome);
    let ksp = KspSummary {
        certificates: cert_facts.worst.as_ref().map(|w| w.0),
        expected: cert_facts.expected,
        stores: cert_facts.stores,
        stores_checked: cert_facts.stores_checked,
        path: cert_facts.worst.as_ref().map(|w| w.1.clone()),
    };
    let checks = checks_of(&f, &inputs, &nes_url);
    deadline.report(&mut report, &inputs, probe_cut);
    let site = site_of(request.site.as_deref())?;
    let status_line = status_line::status_line(&verdict, &ksp, &f, &log_facts, site.as_deref());

    for check in &checks {
        report.coverage(&check.name, check.state, Some(check.detail.clone()));
    }
    report.finding(verdict_finding(&verdict, &outcome));
    // Findings that did not count are in their check only.
    for check in host.checks.values().filter(|c| c.counted) {
        for finding in &check.findings {
            report.finding(finding.clone());
        }
    }
    report.status(ReportStatus::from(verdict.status));
    let mut data = DiagnoseData {
        verdict,
        status_line,
        evidence: outcome.evidence,
        next_steps,
        nes_url,
        checks,
        ksp,
        inputs,
        host,
        site,
    };
    let dropped = budget::fit(&mut data, budget::REPORT_BUDGET);
    if !dropped.is_empty() {
        report.warning(format!(
            "the report was shortened to stay under {} bytes of JSON: {} left out (counts kept)",
            budget::REPORT_BUDGET,
            dropped.join("; ")
        ));
    }
    Ok(report.finish(data))
}

/// Longest `site` a request may give.
const MAX_SITE_CHARS: usize = 64;

/// The request's site, trimmed; `None` when blank.
fn site_of(site: Option<&str>) -> Result<Option<String>, Error> {
    let Some(site) = site.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if site.chars().count() > MAX_SITE_CHARS || site.chars().any(char::is_control) {
        return Err(Error::RequestInvalid {
            path: ".site".to_owned(),
            message: format!("at most {MAX_SITE_CHARS} characters, no control characters"),
        });
    }
    Ok(Some(site.to_owned()))
}

/// Least time left for which the probe is started, in milliseconds (or
/// its own deadline, if shorter).
const MIN_PROBE_MS: u64 = 2_000;
/// Why the path is untested when the deadline left no time for the probe.
const PROBE_CUT: &str =
    "not run: the diagnosis deadline (deadline_ms) left less than 2 s for the probe";

/// The diagnosis deadline: one instant every part is measured against.
#[derive(Clone, Copy, Debug)]
struct Deadline {
    ms: u64,
    end: Instant,
}

impl Deadline {
    /// Starts the clock; a value above the limit is clamped (with a
    /// warning), 0 is read as 1.
    fn start(ms: u64, report: &mut ReportBuilder) -> Deadline {
        let max = crate::probe::request::MAX_DEADLINE_MS;
        if ms > max {
            report.warning(format!(
                "deadline_ms {ms} is above the {max} limit; {max} is used"
            ));
        }
        let ms = ms.clamp(1, max);
        Deadline {
            ms,
            end: Instant::now() + Duration::from_millis(ms),
        }
    }

    /// Milliseconds left, 0 once passed.
    fn left_ms(&self) -> u64 {
        u64::try_from(
            self.end
                .saturating_duration_since(Instant::now())
                .as_millis(),
        )
        .unwrap_or(u64::MAX)
    }

    /// A part's own deadline, bounded by what is left of this one.
    fn within(&self, own: Option<u64>) -> u64 {
        let left = self.left_ms();
        own.map_or(left, |o| o.min(left))
    }

    /// The `deadline` coverage, and a warning for each part it cut.
    fn report(&self, report: &mut ReportBuilder, inputs: &Inputs, probe_cut: bool) {
        let mut cut = Vec::new();
        if let Some(r) = &inputs.cert_inventory
            && r.data.deadline_reached
        {
            cut.push(format!(
                "the inventory left {} store(s) and {} entries unread",
                r.data.stores_not_examined, r.data.entries_not_examined
            ));
        }
        for (name, scan) in [
            ("log scan", &inputs.log_scan),
            ("firewall rescan", &inputs.firewall_scan),
        ] {
            let left = scan.as_ref().map_or(0, |r| {
                r.data
                    .not_scanned
                    .iter()
                    .filter(|n| n.reason == "deadline")
                    .count()
            });
            if left > 0 {
                cut.push(format!("the {name} left at least {left} file(s) unread"));
            }
        }
        if probe_cut {
            cut.push("the probe was not run".to_owned());
        }
        if cut.is_empty() {
            report.coverage(
                "deadline",
                CoverageState::Checked,
                Some(format!("every part finished within {} ms", self.ms)),
            );
        } else {
            let text = format!(
                "the deadline of {} ms was reached: {}",
                self.ms,
                cut.join("; ")
            );
            report.warning(text.clone());
            report.coverage("deadline", CoverageState::Failed, Some(text));
        }
    }
}

/// A part's request error, with its path inside the diagnosis request.
fn in_part(part: &str, e: Error) -> Error {
    match e {
        Error::RequestInvalid { path, message } => Error::RequestInvalid {
            path: format!("{part}.{path}").trim_end_matches('.').to_owned(),
            message,
        },
        other => other,
    }
}

/// Scans the firewall logs the main scan read again, keeping only packets
/// with NES (or this terminal's DNS servers and domain controllers, for
/// the Kerberos and DNS ports) at one end and, when known, this terminal
/// at the other. `None` when no firewall log was read or NES's addresses
/// are not known.
fn rescan_firewall(
    main_request: &LogScanRequest,
    main: &Report<LogScanData>,
    path: &PathFacts,
    host: &HostFacts,
    deadline_ms: u64,
) -> Option<Report<LogScanData>> {
    if path.nes_addresses.is_empty() || deadline_ms == 0 {
        return None;
    }
    let files: Vec<String> = main
        .data
        .files
        .iter()
        .filter(|f| f.kind == LogKind::Firewall)
        .map(|f| f.path.clone())
        .collect();
    if files.is_empty() {
        return None;
    }
    let mut request = main_request.clone();
    request.deadline_ms = Some(deadline_ms);
    request.paths = files;
    request.kind = KindChoice::Firewall;
    request.merge_rotated = false;
    request.remote_address = None;
    request.remote_addresses = path
        .nes_addresses
        .iter()
        .chain(&host.dns_servers)
        .chain(&host.domain_controllers)
        .cloned()
        .collect();
    // A failed rescan leaves the drops untied: context, not cause.
    try_log_scan(&request).ok()
}

/// Runs the log scan. A rule pack the scan cannot load is a configuration
/// problem, not a reason to lose the diagnosis: the scan runs again with
/// the built-in rules and the problem is returned beside it.
fn scan_logs(
    request: &LogScanRequest,
    deadline: &Deadline,
) -> (Result<Report<LogScanData>, Error>, Option<String>) {
    match try_log_scan(request) {
        Err(Error::RequestInvalid { path, message })
            if path.starts_with("rule_paths") && !request.rule_paths.is_empty() =>
        {
            let mut builtin = request.clone();
            builtin.rule_paths.clear();
            builtin.default_rules = Some(true);
            builtin.deadline_ms = Some(deadline.within(request.deadline_ms));
            (try_log_scan(&builtin), Some(format!("{path}: {message}")))
        }
        other => (other, None),
    }
}

/// The NES URL to probe: the request's, else the logs' most frequent.
fn choose_url(given: Option<&str>, logs: &LogFacts, logs_skipped: bool) -> NesUrlChoice {
    let candidate = |nes_context: bool| {
        move |(url, count): &(String, u64)| UrlCandidate {
            url: url.clone(),
            count: *count,
            nes_context,
        }
    };
    let candidates: Vec<UrlCandidate> = logs
        .nes_urls
        .iter()
        .map(candidate(true))
        .chain(
            logs.urls
                .iter()
                .filter(|(u, _)| !logs.nes_urls.iter().any(|(n, _)| n == u))
                .map(candidate(false)),
        )
        .take(MAX_URL_CANDIDATES)
        .collect();
    if let Some(url) = given {
        return NesUrlChoice {
            url: Some(url.to_owned()),
            source: NesUrlSource::Request,
            detail: "given in the request".to_owned(),
            candidates,
        };
    }
    if let Some(first) = candidates.first() {
        let of_kind = candidates
            .iter()
            .filter(|c| c.nes_context == first.nes_context)
            .count();
        let (source, where_) = if first.nes_context {
            (
                NesUrlSource::LogNesContext,
                "inferred from the NES lines of the logs (token request, nes_url, NES client)",
            )
        } else {
            (
                NesUrlSource::Log,
                "inferred from the logs, where no NES line names a URL: the weakest source",
            )
        };
        return NesUrlChoice {
            url: Some(first.url.clone()),
            source,
            detail: format!(
                "{where_}; seen {} time(s){}; give -NesUri if it is not the NES URL",
                first.count,
                if of_kind > 1 {
                    format!(", the most frequent of {of_kind}")
                } else {
                    String::new()
                }
            ),
            candidates,
        };
    }
    NesUrlChoice {
        url: None,
        source: NesUrlSource::None,
        detail: if logs_skipped {
            "no NES URL was given and the log scan was skipped".to_owned()
        } else {
            "no NES URL was given and none was found in the logs".to_owned()
        },
        candidates,
    }
}

fn verdict_of(f: &Facts<'_>, outcome: &Outcome) -> Verdict {
    let nes = f.path.target.as_deref().unwrap_or("the NES");
    let count = match f.certs.worst.as_ref() {
        Some((n, _)) => format!("{n} of {}", f.certs.expected),
        None => format!("? of {}", f.certs.expected),
    };
    let why = outcome.cause.as_ref().map_or_else(String::new, |c| {
        let detail = match &f.path.state {
            PathState::Failed { detail, stage, .. } if stage.as_str() == c.stage => {
                format!(": {detail}")
            }
            _ => String::new(),
        };
        format!(" First failure: {} ({}){detail}", c.stage, c.finding)
    });
    let (title, summary) = match outcome.id {
        VerdictId::Healthy => (
            "NEA certificates present; nothing wrong found".to_owned(),
            format!("The key store holds {count} certificates and no check failed."),
        ),
        VerdictId::NeaCertsNotRetrievedCauseUnknown => (
            "NEA certificates not retrieved from NES; cause not found".to_owned(),
            match &f.path.state {
                PathState::Untested(why) => format!(
                    "The key store holds {count} certificates: the NES-issued ones were not retrieved. The path to NES was not tested ({why})."
                ),
                _ => format!(
                    "The key store holds {count} certificates: the NES-issued ones were not retrieved, yet the path to {nes} tests clean now. Restart the EAM Security Service and check again."
                ),
            },
        ),
        id @ (VerdictId::NeaCertsNotRetrievedDns
        | VerdictId::NeaCertsNotRetrievedTcpBlocked
        | VerdictId::NeaCertsNotRetrievedProxy
        | VerdictId::NeaCertsNotRetrievedTlsUntrusted
        | VerdictId::NeaCertsNotRetrievedTlsOther
        | VerdictId::NeaCertsNotRetrievedAuth
        | VerdictId::NeaCertsNotRetrievedNesError) => {
            let what = match id {
                VerdictId::NeaCertsNotRetrievedDns => "the NES name does not resolve",
                VerdictId::NeaCertsNotRetrievedTcpBlocked => "TCP to NES is blocked",
                VerdictId::NeaCertsNotRetrievedProxy => "the proxy stands in the way",
                VerdictId::NeaCertsNotRetrievedTlsUntrusted => "the NES TLS chain is not trusted",
                VerdictId::NeaCertsNotRetrievedTlsOther => "the TLS connection to NES fails",
                VerdictId::NeaCertsNotRetrievedAuth => "Windows authentication to NES fails",
                _ => "NES answers with an error",
            };
            (
                format!("NEA certificates not retrieved: {what}"),
                format!(
                    "The key store holds {count} certificates: the NES-issued ones were not retrieved because {what}.{why}"
                ),
            )
        }
        VerdictId::NeaCertsExpiredNotRenewed => (
            "NEA certificates expired and were not renewed".to_owned(),
            format!(
                "The key store holds {count} certificates, but {} are expired: NES did not renew them.{}",
                f.certs.expired,
                if why.is_empty() {
                    " NES is reachable now: restart the EAM Security Service.".to_owned()
                } else {
                    why.clone()
                }
            ),
        ),
        VerdictId::CertsOkNesUnreachable => (
            "NEA certificates present, but NES is not reachable for the next renewal".to_owned(),
            format!(
                "The key store holds {count} certificates{}; renewal will fail while NES is unreachable.{why}",
                f.certs
                    .expires_in_days
                    .map(|d| format!(" and the first expires in {d} day(s)"))
                    .unwrap_or_default()
            ),
        ),
        VerdictId::CertsOkOtherCause => (
            "NEA certificates present; taps fail for another reason".to_owned(),
            format!(
                "The key store holds {count} certificates, so the certificates are not the cause.{}",
                outcome
                    .cause
                    .as_ref()
                    .map(|c| format!(" Look at {} ({}).", c.stage, c.finding))
                    .unwrap_or_default()
            ),
        ),
        VerdictId::ClockSkew => (
            "The terminal's clock is wrong".to_owned(),
            format!(
                "{} A wrong clock makes certificates look not yet valid or expired and breaks Kerberos: fix the time first, then check again.",
                correlate::clock_evidence(f)
                    .into_iter()
                    .map(|e| e.fact)
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        ),
        VerdictId::ConfigNesUrlInvalid
        | VerdictId::ConfigCaFileUnreadable
        | VerdictId::ConfigRulePackInvalid => (
            match outcome.id {
                VerdictId::ConfigNesUrlInvalid => "The NES URL given to the tool is not usable",
                VerdictId::ConfigCaFileUnreadable => "The CA file given to the tool cannot be read",
                _ => "A rule pack given to the tool cannot be used",
            }
            .to_owned(),
            format!(
                "{} This is the tool's configuration (parameters, policy), not the terminal: fix it and run again.",
                f.config.first().map_or("", |c| c.detail.as_str())
            ),
        ),
        VerdictId::Inconclusive => (
            "Could not decide: essential checks missing or contradicting".to_owned(),
            match &f.certs.state {
                CertState::Unknown(why) => format!(
                    "The key store was not counted ({why}) and the logs show no certificate retrieval failure."
                ),
                _ => "The key store is complete, yet the logs show retrieval failures after its last renewal.".to_owned(),
            },
        ),
    };
    Verdict {
        id: outcome.id,
        status: outcome.id.status(),
        title,
        summary,
        cause: outcome.cause.clone(),
        confidence: outcome.confidence,
    }
}

fn verdict_finding(verdict: &Verdict, outcome: &Outcome) -> Finding {
    let severity = match outcome.id {
        VerdictId::Healthy => Severity::Info,
        VerdictId::CertsOkNesUnreachable
        | VerdictId::Inconclusive
        | VerdictId::ConfigNesUrlInvalid
        | VerdictId::ConfigCaFileUnreadable
        | VerdictId::ConfigRulePackInvalid => Severity::Warning,
        _ => Severity::Error,
    };
    let mut finding = Finding::new(
        verdict.id.as_str(),
        severity,
        verdict.title.clone(),
        verdict.summary.clone(),
    )
    .with_evidence("confidence", verdict.confidence)
    .with_ref("Nymi article \"Unable to get token with USER creds\"")
    .with_ref("domain brief section 5: verdict mapping");
    if let Some(cause) = &verdict.cause {
        finding = finding
            .with_evidence("stage", &cause.stage)
            .with_evidence("finding", &cause.finding);
    }
    let ids: Vec<&str> = outcome
        .evidence
        .iter()
        .map(|e| e.finding.as_str())
        .collect();
    finding.with_evidence("evidence", ids)
}

fn checks_of(f: &Facts<'_>, inputs: &Inputs, nes_url: &NesUrlChoice) -> Vec<Check> {
    let mut out = Vec::new();
    let ksp = match (&f.certs.state, &f.certs.worst) {
        (CertState::Unknown(why), _) => Check {
            name: "ksp".to_owned(),
            source: EvidenceSource::CertInventory,
            state: if inputs.cert_inventory.is_some() {
                CoverageState::Failed
            } else {
                CoverageState::Skipped
            },
            detail: why.clone(),
            finding: f.certs.findings.first().map(|x| x.id.clone()),
        },
        (_, worst) => Check {
            name: "ksp".to_owned(),
            source: EvidenceSource::CertInventory,
            state: CoverageState::Checked,
            detail: worst.as_ref().map_or_else(String::new, |(n, path)| {
                format!("{n} of {} certificates in {path}", f.certs.expected)
            }),
            finding: f
                .certs
                .findings
                .iter()
                .find(|x| x.severity >= Severity::Warning)
                .map(|x| x.id.clone()),
        },
    };
    out.push(ksp);
    out.push(Check {
        name: "logs".to_owned(),
        source: EvidenceSource::LogScan,
        state: match (&f.logs.read, &inputs.log_scan) {
            (Ok(_), _) => CoverageState::Checked,
            (Err(_), Some(_)) => CoverageState::Failed,
            (Err(_), None) => CoverageState::Skipped,
        },
        detail: match &f.logs.read {
            Ok(n) => format!(
                "{n} file(s) read; {} certificate retrieval signature(s)",
                f.logs.retrieval.len()
            ),
            Err(why) => why.clone(),
        },
        finding: f.logs.retrieval.first().map(|h| h.rule_id.clone()),
    });
    out.push(Check {
        name: "nes_url".to_owned(),
        source: EvidenceSource::Diagnosis,
        state: if nes_url.url.is_some() {
            CoverageState::Checked
        } else {
            CoverageState::Skipped
        },
        detail: match &nes_url.url {
            Some(url) => format!("{url} ({})", nes_url.detail),
            None => nes_url.detail.clone(),
        },
        finding: None,
    });
    match &inputs.nes_probe {
        Some(probe) => {
            for stage in probe
                .data
                .stages
                .iter()
                .filter(|s| s.name != StageName::WindowsAuth)
            {
                out.push(Check {
                    name: format!("probe_{}", stage.name.as_str()),
                    source: EvidenceSource::NesProbe,
                    state: match stage.status {
                        StageStatus::Ok | StageStatus::Failed => CoverageState::Checked,
                        StageStatus::Skipped => CoverageState::Skipped,
                        StageStatus::NotApplicable => CoverageState::NotApplicable,
                    },
                    detail: stage.detail.clone(),
                    finding: match stage.status {
                        StageStatus::Failed => stage.finding.clone(),
                        _ => None,
                    },
                });
            }
        }
        None => out.push(Check {
            name: "probe".to_owned(),
            source: EvidenceSource::NesProbe,
            state: CoverageState::Skipped,
            detail: match &f.path.state {
                PathState::Untested(why) => why.clone(),
                _ => String::new(),
            },
            finding: None,
        }),
    }
    for name in HostCheckName::ALL {
        out.push(match f.host.checks.get(&name) {
            Some(c) => Check {
                name: name.as_str().to_owned(),
                source: EvidenceSource::Host,
                state: c.state,
                detail: c.detail.clone().unwrap_or_default(),
                finding: c
                    .findings
                    .iter()
                    .filter(|_| c.counted)
                    .find(|x| x.severity >= Severity::Warning)
                    .map(|x| x.id.clone()),
            },
            None => Check {
                name: name.as_str().to_owned(),
                source: EvidenceSource::Host,
                state: CoverageState::Skipped,
                detail: "not supplied by the caller (the PowerShell module fills it on Windows)"
                    .to_owned(),
                finding: None,
            },
        });
    }
    out
}
