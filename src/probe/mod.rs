//! The NES connectivity probe: where the path from this terminal to the
//! Nymi Enterprise Server breaks, and why.
//!
//! [`nes_probe`] runs the stages in order, each bounded by its own timeout
//! and all by one overall deadline:
//!
//! | stage | checks | fails with |
//! | --- | --- | --- |
//! | `url` | `https://host[:port]/path`; default port 443, path `/nes` | `NES_URL_INVALID` |
//! | `proxy` | explicit proxy, or `HTTPS_PROXY`/`NO_PROXY` | `NES_PROXY_INVALID` |
//! | `dns` | every A/AAAA address of the first hop | `NES_DNS_FAILED` |
//! | `tcp` | every address in parallel | `NES_TCP_REFUSED`, `NES_TCP_TIMEOUT`, `NES_TCP_UNREACHABLE`, `NES_TCP_RESET`, `NES_TCP_FAILED` |
//! | `proxy_connect` | the CONNECT tunnel through the proxy | `NES_PROXY_CONNECT_FAILED` |
//! | `tls` | handshake, presented chain, trust (platform and admin CA file) | `NES_TLS_UNTRUSTED`, `NES_TLS_EXPIRED`, `NES_TLS_NOT_YET_VALID`, `NES_TLS_NAME_MISMATCH`, `NES_TLS_INCOMPLETE_CHAIN`, `NES_TLS_REVOKED`, `NES_TLS_HANDSHAKE_FAILED` |
//! | `http` | one anonymous GET, no credentials | `NES_HTTP_NO_WINDOWS_AUTH`, `NES_HTTP_FORBIDDEN`, `NES_HTTP_NOT_FOUND`, `NES_HTTP_SERVER_ERROR`, `NES_HTTP_REDIRECT_LOOP`, `NES_HTTP_REDIRECT_OFF_HOST`, `NES_HTTP_REDIRECT_INSECURE`, `NES_HTTP_UNEXPECTED_STATUS`, `NES_HTTP_TIMEOUT`, `NES_HTTP_FAILED` |
//! | `windows_auth` | not run here: the request's `host.windows_auth` observation (the PowerShell layer's request with the Windows identity) becomes this stage, counted only after TLS and HTTP passed | `NES_AUTH_FAILED` |
//!
//! The first failing stage is the verdict; later stages are skipped with
//! that reason. Warnings that do not stop the probe: `NES_URL_NOT_HTTPS`,
//! `NES_URL_IP_LITERAL`, `NES_URL_SHORT_NAME`, `NES_TLS_CA_FILE_UNREADABLE`,
//! `NES_TLS_PLATFORM_UNTRUSTED`, `NES_TLS_EXPIRING_SOON`,
//! `NES_TLS_SHA1_SIGNATURE`, `NES_TLS_UNEXPECTED_ISSUER`,
//! `NES_CLOCK_SKEW` (the server's `Date` is more than 5 minutes off); and
//! `NES_HTTP_AUTH_REQUIRED` (info) classifies a healthy 401 Negotiate. The
//! ids are constants in [`ids`].
//!
//! No request is sent to a server whose certificate failed validation, and
//! the probe never sends credentials. Redirects are followed only on the
//! same scheme, host and port, or from http to https on the same host; a
//! redirect to another host (`NES_HTTP_REDIRECT_OFF_HOST`) or from https
//! to http (`NES_HTTP_REDIRECT_INSECURE`) fails the HTTP stage. URLs in
//! the report never keep credentials, queries or fragments, and every text
//! a server, proxy or certificate supplied has its control characters
//! escaped ([`crate::report::safe_text`]).
//!
//! ```no_run
//! use nymidiag::probe::{NesProbeRequest, nes_probe};
//!
//! let report = nes_probe(&NesProbeRequest::new("https://nes.corp.example/nes"));
//! println!("{}", report.data.verdict.summary);
//! ```

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::report::{CoverageState, Finding, Report, ReportBuilder, Severity};

mod chain;
pub mod dns;
mod http;
pub mod ids;
pub mod model;
mod proxy;
pub mod request;
mod tcp;
mod tls;
mod trust;
pub(crate) mod url;
mod verdict;

pub use dns::{DnsFailureKind, Resolve, ResolveError, SystemResolver};
pub use model::NesProbeData;
pub use request::NesProbeRequest;

use model::{
    AddressFamily, HostKind, MAX_ADDRESSES, MAX_TCP_ATTEMPTS, ProxyMode, ResolvedAddress,
    StageName, Target, TlsFailureKind, TrustState, millis,
};
use request::EffectiveSettings;
use verdict::{Progress, Recorder};

/// Capability name in the report.
pub const CAPABILITY: &str = crate::report::Capability::NesProbe.name();

/// How long past the deadline the caller waits for a probe that has not
/// finished (every stage is bounded, so this only catches bugs and
/// blocking system calls) before it reports what it has.
const GUARD_GRACE: Duration = Duration::from_secs(2);

/// Runs the probe with the operating system's resolver.
pub fn nes_probe(request: &NesProbeRequest) -> Report<NesProbeData> {
    nes_probe_with_resolver(request, Arc::new(SystemResolver))
}

/// Runs the probe with `resolver` for the DNS stage (tests pass their own,
/// so that no test depends on external DNS).
///
/// The stages run on a worker thread; this function returns at the latest
/// a moment after the deadline, with whatever the probe knew by then.
pub fn nes_probe_with_resolver(
    request: &NesProbeRequest,
    resolver: Arc<dyn Resolve>,
) -> Report<NesProbeData> {
    let mut report = ReportBuilder::new(CAPABILITY);
    report.caller(request.caller.as_deref());
    let (settings, warnings) = EffectiveSettings::from_request(request);
    for warning in warnings {
        report.warning(warning);
    }
    let progress = Arc::new(Mutex::new(Progress::new(
        shown_url(&request.url),
        settings.clone(),
    )));
    let job = || Job {
        url: request.url.clone(),
        proxy: request.proxy.clone(),
        settings: settings.clone(),
        resolver: Arc::clone(&resolver),
        recorder: Recorder(Arc::clone(&progress)),
    };

    let (done_tx, done_rx) = mpsc::channel::<()>();
    let worker = job();
    let spawned = std::thread::Builder::new()
        .name("nymidiag-nes-probe".to_owned())
        .spawn(move || {
            worker.run();
            let _ = done_tx.send(());
        });
    let cut_off = match spawned {
        Ok(_) => match done_rx.recv_timeout(settings.deadline() + GUARD_GRACE) {
            Ok(()) => None,
            Err(mpsc::RecvTimeoutError::Timeout) => Some(format!(
                "the probe did not finish within its deadline of {} ms (plus {} ms grace)",
                settings.deadline_ms,
                GUARD_GRACE.as_millis()
            )),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Some("the probe stopped on an internal error".to_owned())
            }
        },
        Err(e) => {
            report.warning(format!(
                "could not start the probe thread ({e}); the probe ran on the caller's thread"
            ));
            job().run();
            None
        }
    };

    let recorder = Recorder(Arc::clone(&progress));
    if let Some(why) = &cut_off {
        recorder.finding(
            Finding::new(
                ids::NES_PROBE_INCOMPLETE,
                Severity::Error,
                "The NES probe did not finish",
                format!("{why}; the stages below show how far it got."),
            )
            .with_remediation("Run the probe again; report the case if it repeats."),
        );
        recorder.skip_rest(&format!("not run: {why}"));
        report.failed();
    }
    // Clone rather than take: a cut-off worker may still be writing.
    let (mut data, findings) = {
        let p = recorder.lock();
        (p.data.clone(), p.findings.clone())
    };
    let mut findings = findings;
    if let Some(host) = &request.host {
        crate::host::fold_into_probe(host, &mut data, &mut findings);
    }
    data.verdict = verdict::verdict(&data.stages, &findings);
    for stage in &data.stages {
        let detail = match stage.status {
            model::StageStatus::Ok => None,
            _ => Some(stage.detail.clone()),
        };
        report.coverage(
            stage.name.as_str(),
            verdict::coverage_state(stage.status),
            detail,
        );
    }
    for finding in findings {
        report.finding(finding);
    }
    if cut_off.is_some() {
        report.coverage("probe", CoverageState::Failed, cut_off);
    }
    report.finish(data)
}

/// Time left until the overall deadline.
#[derive(Debug, Clone, Copy)]
struct Budget {
    end: Instant,
}

impl Budget {
    /// A stage's limit: its own timeout, or what is left of the deadline if
    /// that is shorter (then `true`).
    fn limit(&self, stage_ms: u64) -> (Duration, bool) {
        let left = self.end.saturating_duration_since(Instant::now());
        let stage = Duration::from_millis(stage_ms);
        if left < stage {
            (left, true)
        } else {
            (stage, false)
        }
    }
}

/// One run of the probe.
#[derive(Debug)]
struct Job {
    url: String,
    proxy: Option<String>,
    settings: EffectiveSettings,
    resolver: Arc<dyn Resolve>,
    recorder: Recorder,
}

/// The first hop: NES itself, or the proxy.
#[derive(Debug)]
struct Hop {
    host: String,
    kind: HostKind,
    port: u16,
    /// How findings name it: `NES host nes.corp.example`, `proxy p:8080`.
    label: String,
}

impl Job {
    fn run(self) {
        let rec = &self.recorder;
        let budget = Budget {
            end: Instant::now() + self.settings.deadline(),
        };

        // URL
        let t = Instant::now();
        let checked = match url::check(&self.url) {
            Ok(c) => c,
            Err(f) => return rec.fail(StageName::Url, t, *f),
        };
        let target = checked.target.clone();
        rec.lock().data.target = Some(target.clone());
        let url_warnings: Vec<&str> = checked.warnings.iter().map(|f| f.id.as_str()).collect();
        let mut detail = format!("probing {}", target.url);
        if !checked.notes.is_empty() {
            detail.push_str(&format!(" ({})", checked.notes.join("; ")));
        }
        if !url_warnings.is_empty() {
            detail.push_str(&format!("; warnings: {}", url_warnings.join(", ")));
        }
        for w in checked.warnings {
            rec.finding(w);
        }
        rec.ok(StageName::Url, t, detail);

        // Trust sources serve the TLS stage and the HTTP client (which may be
        // redirected to https even from an http URL). They are loaded before
        // any network stage, so that an unusable CA file is reported even
        // when NES cannot be reached: it is the admin's configuration.
        let (sources, ca_warning) = trust::TrustSources::load(
            self.settings.use_platform_roots,
            self.settings.trusted_root_path().as_deref(),
        );
        let sources = Arc::new(sources);
        if let Some(f) = ca_warning {
            rec.finding(f);
        }

        // Proxy
        let t = Instant::now();
        let choice = match proxy::select(
            &target,
            self.proxy.as_deref(),
            self.settings.use_env_proxy,
            &proxy::process_env,
        ) {
            Ok(c) => c,
            Err(f) => return rec.fail(StageName::Proxy, t, *f),
        };
        rec.lock().data.proxy = choice.info.clone();
        match (&choice.proxy, choice.info.no_proxy_match.is_some()) {
            (Some(p), _) => rec.ok(
                StageName::Proxy,
                t,
                format!(
                    "through the proxy {}: {}",
                    proxy::host_port(&p.host, p.port),
                    choice.info.reason
                ),
            ),
            (None, true) => rec.ok(
                StageName::Proxy,
                t,
                format!("direct: {}", choice.info.reason),
            ),
            (None, false) => {
                rec.not_applicable(StageName::Proxy, format!("direct: {}", choice.info.reason))
            }
        }
        let hop = match &choice.proxy {
            Some(p) => Hop {
                host: p.host.clone(),
                kind: p.host_kind,
                port: p.port,
                label: format!("proxy {}", proxy::host_port(&p.host, p.port)),
            },
            None => Hop {
                host: target.host.clone(),
                kind: target.host_kind,
                port: target.port,
                label: format!("NES host {}", target.host),
            },
        };

        // DNS
        let Some(ips) = self.dns(&hop, budget) else {
            return;
        };

        // TCP
        let t = Instant::now();
        let addrs: Vec<SocketAddr> = ips
            .iter()
            .take(MAX_TCP_ATTEMPTS)
            .map(|ip| SocketAddr::new(*ip, hop.port))
            .collect();
        let (limit, by_deadline) = budget.limit(self.settings.tcp_timeout_ms);
        let connected = tcp::connect_all(&addrs, limit);
        rec.lock().data.tcp = connected.attempts.clone();
        let Some((mut stream, connected_addr)) = connected.stream else {
            let f = tcp::failure_finding(
                &hop.label,
                hop.port,
                &connected.attempts,
                millis(limit),
                by_deadline,
            );
            return rec.fail(StageName::Tcp, t, f);
        };
        let answered = connected
            .attempts
            .iter()
            .filter(|a| a.outcome == model::TcpOutcome::Connected)
            .count();
        let mut detail = format!(
            "connected to {connected_addr} ({}); {answered} of {} address(es) tried answered",
            hop.label,
            addrs.len()
        );
        if ips.len() > addrs.len() {
            detail.push_str(&format!(
                "; {} more address(es) not tried",
                ips.len() - addrs.len()
            ));
        }
        rec.ok(StageName::Tcp, t, detail);

        // Proxy CONNECT
        let t = Instant::now();
        match (&choice.proxy, target.scheme.as_str()) {
            (Some(p), "https") => {
                let (limit, by_deadline) = budget.limit(self.settings.tcp_timeout_ms);
                let authority = proxy::host_port(&target.host, target.port);
                if let Err(e) = proxy::open_tunnel(
                    &mut stream,
                    &target.host,
                    target.port,
                    p.basic_auth.as_deref(),
                    limit,
                ) {
                    let f = proxy::tunnel_finding(
                        &proxy::host_port(&p.host, p.port),
                        &authority,
                        &e,
                        millis(limit),
                        by_deadline,
                    );
                    return rec.fail(StageName::ProxyConnect, t, f);
                }
                rec.ok(
                    StageName::ProxyConnect,
                    t,
                    format!("the proxy opened a tunnel to {authority}"),
                );
            }
            (Some(_), _) => rec.not_applicable(
                StageName::ProxyConnect,
                "plain http is forwarded by the proxy without a tunnel",
            ),
            (None, _) => rec.not_applicable(StageName::ProxyConnect, "direct connection, no proxy"),
        }

        // TLS
        if target.scheme == "https" {
            if !self.tls(&target, &mut stream, &sources, budget) {
                return;
            }
        } else {
            rec.not_applicable(StageName::Tls, "the URL is http://; no TLS is involved");
        }
        drop(stream);

        // HTTP
        self.http(&target, &hop, &choice, connected_addr, &sources, budget);

        rec.not_applicable(StageName::WindowsAuth, verdict::WINDOWS_AUTH_REASON);
    }

    /// The DNS stage; `None` when it failed (already recorded).
    fn dns(&self, hop: &Hop, budget: Budget) -> Option<Vec<IpAddr>> {
        let rec = &self.recorder;
        let t = Instant::now();
        if matches!(hop.kind, HostKind::Ipv4 | HostKind::Ipv6) {
            let ip: IpAddr = match hop.host.parse() {
                Ok(ip) => ip,
                Err(_) => {
                    // url::Url produced it; unreachable in practice.
                    let f = Finding::new(
                        ids::NES_URL_INVALID,
                        Severity::Error,
                        "The address in the URL is not usable",
                        format!("'{}' is not an IP address.", hop.host),
                    );
                    rec.fail(StageName::Dns, t, f);
                    return None;
                }
            };
            rec.lock().data.addresses = vec![resolved(ip)];
            rec.not_applicable(
                StageName::Dns,
                format!("{} is an IP address; nothing to resolve", hop.label),
            );
            return Some(vec![ip]);
        }
        let (limit, by_deadline) = budget.limit(self.settings.dns_timeout_ms);
        rec.lock().data.resolved_host = Some(hop.host.clone());
        match dns::resolve_bounded(Arc::clone(&self.resolver), &hop.host, limit) {
            Ok(ips) => {
                {
                    let mut p = rec.lock();
                    p.data.addresses = ips
                        .iter()
                        .take(MAX_ADDRESSES)
                        .copied()
                        .map(resolved)
                        .collect();
                    p.data.addresses_omitted = ips.len().saturating_sub(MAX_ADDRESSES);
                }
                let shown: Vec<String> = ips.iter().take(4).map(IpAddr::to_string).collect();
                rec.ok(
                    StageName::Dns,
                    t,
                    format!(
                        "{} resolved to {} address(es): {}{}",
                        hop.host,
                        ips.len(),
                        shown.join(", "),
                        if ips.len() > 4 { ", …" } else { "" }
                    ),
                );
                Some(ips)
            }
            Err(e) => {
                rec.fail(
                    StageName::Dns,
                    t,
                    dns_finding(hop, &e, millis(limit), by_deadline),
                );
                None
            }
        }
    }

    /// The TLS stage; `false` when it failed (already recorded).
    fn tls(
        &self,
        target: &Target,
        stream: &mut std::net::TcpStream,
        sources: &Arc<trust::TrustSources>,
        budget: Budget,
    ) -> bool {
        let rec = &self.recorder;
        let t = Instant::now();
        let (limit, by_deadline) = budget.limit(self.settings.tls_timeout_ms);
        let outcome = tls::handshake(stream, &target.host, sources, limit);
        let (presented, omitted) = chain::describe(&outcome.chain);
        let now = OffsetDateTime::now_utc();
        {
            let mut p = rec.lock();
            p.data.tls = Some(outcome.info.clone());
            p.data.presented_chain = presented.clone();
            p.data.presented_chain_omitted = omitted;
        }
        for f in chain::flags(&presented, now, self.settings.expected_issuer.as_deref()) {
            rec.finding(f);
        }
        if outcome.error.is_some() {
            let cx = tls::TlsContext {
                host: &target.host,
                port: target.port,
                limit_ms: millis(limit),
                by_deadline,
                now,
            };
            let f = tls::failure_finding(&outcome, &presented, &cx);
            let reason = if outcome.info.failure == Some(TlsFailureKind::Certificate) {
                format!(
                    "not run: TLS validation failed ({}); no request, and so no credentials, \
                     is sent to a server whose certificate failed validation",
                    f.id
                )
            } else {
                format!("not run: the TLS handshake failed ({})", f.id)
            };
            rec.fail_skipping(StageName::Tls, t, f, Some(reason));
            return false;
        }
        let trust = &outcome.info.trust;
        let trusted_by = match (trust.platform.state, trust.ca_file.state) {
            (TrustState::Trusted, TrustState::Trusted) => "the platform store and the CA file",
            (TrustState::Trusted, _) => "the platform store",
            _ => "the CA file",
        };
        if self.settings.use_platform_roots
            && trust.platform.state == TrustState::Rejected
            && trust.ca_file.state == TrustState::Trusted
        {
            rec.finding(
                Finding::new(
                    ids::NES_TLS_PLATFORM_UNTRUSTED,
                    Severity::Warning,
                    "The NES chain is trusted only through the supplied CA file",
                    format!(
                        "The chain validates against '{}' but not against this machine's \
                         trust store ({}). Windows clients such as the NEA use the machine \
                         store and will reject NES.",
                        self.settings.trusted_root_path.as_deref().unwrap_or("?"),
                        trust.platform.error.as_deref().unwrap_or("rejected")
                    ),
                )
                .with_evidence("platform", &trust.platform)
                .with_remediation(
                    "Deploy the CA to the Local Computer Trusted Root Certification \
                     Authorities store (GPO or Intune).",
                )
                .with_ref("nymi-domain.md §5 check H"),
            );
        }
        rec.ok(
            StageName::Tls,
            t,
            format!(
                "{} {}, ALPN {}; chain of {} certificate(s) trusted by {trusted_by}",
                outcome.info.protocol_version.as_deref().unwrap_or("?"),
                outcome.info.cipher_suite.as_deref().unwrap_or("?"),
                outcome.info.alpn.as_deref().unwrap_or("none"),
                presented.len() + omitted
            ),
        );
        true
    }

    /// The HTTP stage.
    fn http(
        &self,
        target: &Target,
        hop: &Hop,
        choice: &proxy::ProxyChoice,
        connected: SocketAddr,
        sources: &Arc<trust::TrustSources>,
        budget: Budget,
    ) {
        let rec = &self.recorder;
        let t = Instant::now();
        let (limit, by_deadline) = budget.limit(self.settings.http_timeout_ms);
        // Pin the name the client resolves for the first hop to the address
        // that answered; literals need no pin.
        let pin = match hop.kind {
            HostKind::Fqdn | HostKind::ShortName => Some((hop.host.as_str(), connected)),
            HostKind::Ipv4 | HostKind::Ipv6 => None,
        };
        let plan = http::HttpPlan {
            url: &target.url,
            pin,
            proxy: choice.proxy.as_ref(),
            limit,
            max_redirects: self.settings.max_redirects,
        };
        let outcome = http::get(&plan, sources);
        rec.lock().data.http = Some(outcome.info.clone());
        if let Some(f) = http::clock_skew_finding(&outcome.info) {
            rec.finding(f);
        }
        if let Some(e) = &outcome.error {
            let f = http::error_finding(e, &outcome.info, millis(limit), by_deadline);
            return rec.fail(StageName::Http, t, f);
        }
        let info = &outcome.info;
        let status = info.status.unwrap_or(0);
        let class = http::classify(status, &info.www_authenticate);
        let via = if choice.info.mode == ProxyMode::Proxy {
            " through the proxy"
        } else {
            ""
        };
        match (class.status, class.finding) {
            (model::StageStatus::Ok, None) => rec.ok(
                StageName::Http,
                t,
                format!(
                    "{} answered {status}{via} in {} ms (server: {}; {} redirect(s))",
                    info.final_url.as_deref().unwrap_or(&info.url),
                    info.time_to_first_byte_ms.unwrap_or(0),
                    info.server.as_deref().unwrap_or("not stated"),
                    info.redirects.len()
                ),
            ),
            (model::StageStatus::Ok, Some((id, severity))) => {
                rec.ok_with(StageName::Http, t, http::answer_finding(id, severity, info));
            }
            (_, finding) => {
                let (id, severity) =
                    finding.unwrap_or((ids::NES_HTTP_UNEXPECTED_STATUS, Severity::Warning));
                rec.fail(StageName::Http, t, http::answer_finding(id, severity, info));
            }
        }
    }
}

/// A URL as the probe report shows it: without credentials, query or
/// fragment (they may carry tokens), control characters escaped, capped.
/// A URL [`url::normalize`] accepts is shown as it parsed (the path as
/// given: a redirect to `/nes/` shows its slash); any other text is shown
/// as [`url::redact`] leaves it, cut at its query or fragment.
pub(crate) fn shown_url(raw: &str) -> String {
    match url::normalize(raw) {
        Ok(n) => model::cap_text(n.parsed.as_str(), model::MAX_TEXT),
        Err(_) => {
            let redacted = url::redact(raw);
            let end = redacted.find(['?', '#']).unwrap_or(redacted.len());
            model::cap_text(&redacted[..end], model::MAX_TEXT)
        }
    }
}

fn resolved(ip: IpAddr) -> ResolvedAddress {
    ResolvedAddress {
        address: ip.to_string(),
        family: if ip.is_ipv4() {
            AddressFamily::Ipv4
        } else {
            AddressFamily::Ipv6
        },
    }
}

fn dns_finding(hop: &Hop, e: &ResolveError, limit_ms: u64, by_deadline: bool) -> Finding {
    let host = &hop.host;
    let message = model::cap_text(&e.message, model::MAX_TEXT);
    let detail = match e.kind {
        DnsFailureKind::NameNotFound => format!(
            "'{host}' does not exist in DNS: the resolver answered that there is no such name \
             ({message})."
        ),
        DnsFailureKind::NoAddresses => {
            format!("'{host}' exists in DNS but has no A or AAAA record ({message}).")
        }
        DnsFailureKind::NoAnswer => format!(
            "The resolver did not answer for '{host}' ({message}): the DNS servers are \
             unreachable or failing."
        ),
        DnsFailureKind::Timeout => format!(
            "The resolver did not answer for '{host}' within {limit_ms} ms{}: the DNS servers \
             are unreachable or slow.",
            if by_deadline {
                " (cut short by the overall deadline)"
            } else {
                ""
            }
        ),
        DnsFailureKind::Other => format!("'{host}' could not be resolved: {message}."),
    };
    let remediation = match e.kind {
        DnsFailureKind::NameNotFound | DnsFailureKind::NoAddresses => {
            "Check the spelling of the name and its A record in DNS (Resolve-DnsName <fqdn>), \
             and the terminal's DNS suffixes for short names."
        }
        _ => {
            "Check the terminal's DNS server settings and that UDP/TCP 53 to them is open \
             (Resolve-DnsName <fqdn>)."
        }
    };
    let title = match e.kind {
        DnsFailureKind::NameNotFound => format!("{host} does not exist in DNS"),
        DnsFailureKind::NoAddresses => format!("{host} has no address in DNS"),
        _ => format!("DNS did not answer for {host}"),
    };
    let mut f = Finding::new(ids::NES_DNS_FAILED, Severity::Error, title, detail)
        .with_evidence("host", host)
        .with_evidence("kind", e.kind)
        .with_evidence("resolver_message", &message)
        .with_remediation(remediation)
        .with_ref("nymi-domain.md §5 check E");
    if e.kind == DnsFailureKind::Timeout {
        f = f.with_evidence(
            "limited_by",
            if by_deadline {
                "deadline"
            } else {
                "dns_timeout"
            },
        );
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct NoSuchName;
    impl Resolve for NoSuchName {
        fn resolve(&self, _: &str) -> Result<Vec<IpAddr>, ResolveError> {
            Err(ResolveError {
                kind: DnsFailureKind::NameNotFound,
                message: "no such name".into(),
            })
        }
    }

    #[test]
    fn an_invalid_url_stops_at_the_url_stage() {
        let r = nes_probe(&NesProbeRequest::new("ftp://x"));
        assert_eq!(r.capability, CAPABILITY);
        assert_eq!(r.data.verdict.stage, Some(StageName::Url));
        assert_eq!(
            r.data.verdict.finding.as_deref(),
            Some(ids::NES_URL_INVALID)
        );
        assert_eq!(r.data.stages.len(), StageName::ALL.len());
        assert_eq!(r.status, crate::ReportStatus::Issue);
    }

    #[test]
    fn a_missing_name_fails_dns_and_says_so() {
        let mut req = NesProbeRequest::new("https://nes.corp.invalid/nes");
        req.use_env_proxy = false;
        req.caller = Some("unit".into());
        let r = nes_probe_with_resolver(&req, Arc::new(NoSuchName));
        assert_eq!(r.data.verdict.stage, Some(StageName::Dns));
        let f = &r.findings[0];
        assert_eq!(f.id, ids::NES_DNS_FAILED);
        assert!(f.detail.contains("does not exist"), "{}", f.detail);
        assert_eq!(r.context.caller.as_deref(), Some("unit"));
        assert_eq!(r.coverage["tcp"].state, CoverageState::Skipped);
    }

    #[test]
    fn budget_gives_the_shorter_of_stage_and_deadline() {
        let b = Budget {
            end: Instant::now() + Duration::from_millis(500),
        };
        let (d, by) = b.limit(10_000);
        assert!(by && d <= Duration::from_millis(500));
        let (d, by) = b.limit(10);
        assert!(!by && d == Duration::from_millis(10));
    }
}
