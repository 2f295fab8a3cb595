//! Next steps per verdict, in the order of the Nymi article's
//! troubleshooting steps, with commands filled in for this terminal (NES
//! host, this terminal's addresses, the time window of the failure).

use crate::time_fmt::UtcTime;

use super::correlate::{Facts, Outcome};
use super::facts::{CertState, PathState};
use super::model::{NextStep, RunOn, VerdictId};

/// Seconds added on both sides of the failure window: clocks drift and the
/// token request precedes the WGSS error lines (`nymi-domain.md` 4.5).
const WINDOW_SLACK_SECONDS: i64 = 60;

const IIS_STEP: &str = "IIS log on the NES server";
const TOKEN_STEP: &str = "Token authentication";
const BASIC_STEP: &str = "Basic connectivity";
const ADVANCED_STEP: &str = "Advanced connectivity";
const FIREWALL_STEP: &str = "Firewall logs";
const RESTART_STEP: &str = "Restart the EAM Security Service";

/// What the commands are filled in with.
struct Subject {
    url: String,
    host: String,
    port: String,
    client: String,
    /// `-RemoteAddress <nes ip> ` when the probe resolved NES, else empty.
    remote: String,
    since: String,
    until: String,
}

fn subject(f: &Facts<'_>, now: UtcTime) -> Subject {
    let host = f
        .path
        .host
        .clone()
        .unwrap_or_else(|| "<nes fqdn>".to_owned());
    let port = f
        .path
        .target
        .as_deref()
        .and_then(|t| t.rsplit_once(':'))
        .map_or_else(|| "443".to_owned(), |(_, p)| p.to_owned());
    let url = f
        .path
        .url
        .clone()
        .unwrap_or_else(|| format!("https://{host}/nes"));
    let client = f
        .host
        .terminal_addresses
        .first()
        .cloned()
        .unwrap_or_else(|| "<terminal IP>".to_owned());
    let slack = time::Duration::seconds(WINDOW_SLACK_SECONDS);
    let (since, until) = match (f.logs.first_failure(), f.logs.last_failure()) {
        (Some(a), Some(b)) => (UtcTime(a.0 - slack), UtcTime(b.0 + slack)),
        _ => {
            let since = f
                .logs
                .since
                .unwrap_or(UtcTime(now.0 - time::Duration::days(1)));
            (since, now)
        }
    };
    let remote = f
        .path
        .nes_addresses
        .first()
        .map_or_else(String::new, |a| format!("-RemoteAddress {a} "));

    Subject {
        url,
        host,
        port,
        client,
        remote,
        since: since.to_iso8601(),
        until: until.to_iso8601(),
    }
}

/// Collects steps, numbering them.
struct Steps(Vec<NextStep>);

impl Steps {
    fn add(&mut self, step: &str, action: String, command: Option<String>, run_on: RunOn) {
        let order = u32::try_from(self.0.len() + 1).unwrap_or(u32::MAX);
        self.0.push(NextStep {
            order,
            step: step.to_owned(),
            action,
            command,
            run_on,
        });
    }
}

fn iis(s: &mut Steps, x: &Subject, look_for: &str) {
    s.add(
        IIS_STEP,
        format!(
            "On the NES server, read the IIS log for this terminal's address around the failure; {look_for}"
        ),
        Some(format!(
            "Search-NymiLog -Kind iis -Path 'C:\\inetpub\\logs\\LogFiles' -ClientAddress {} -Since '{}' -Until '{}'",
            x.client, x.since, x.until
        )),
        RunOn::NesServer,
    );
}

fn firewall(s: &mut Steps, x: &Subject) {
    s.add(
        FIREWALL_STEP,
        format!(
            "On this terminal, look for DROP lines to port {} (path SEND: blocked locally); logging must be enabled for the active profile.",
            x.port
        ),
        Some(format!(
            "Search-NymiLog -Kind firewall {}-Port {} -Since '{}' -Until '{}'",
            x.remote, x.port, x.since, x.until
        )),
        RunOn::Terminal,
    );
    s.add(
        FIREWALL_STEP,
        "On the NES server, look for DROP lines from this terminal (path RECEIVE: blocked inbound)."
            .to_owned(),
        Some(format!(
            "Search-NymiLog -Kind firewall -ClientAddress {} {}-Port {} -Since '{}' -Until '{}'",
            x.client, x.remote, x.port, x.since, x.until
        )),
        RunOn::NesServer,
    );
}

fn basic(s: &mut Steps, x: &Subject) {
    // An address needs no name resolution, only the port test.
    let (action, command) = if x.host.parse::<std::net::IpAddr>().is_ok() {
        (
            format!(
                "Check that TCP {} on {} answers, as SYSTEM if possible.",
                x.port, x.host
            ),
            format!("Test-NetConnection {} -Port {}", x.host, x.port),
        )
    } else {
        (
            format!(
                "Check that {} resolves and that TCP {} answers, as SYSTEM if possible.",
                x.host, x.port
            ),
            format!(
                "Resolve-DnsName {}; Test-NetConnection {} -Port {}",
                x.host, x.host, x.port
            ),
        )
    };
    s.add(BASIC_STEP, action, Some(command), RunOn::Terminal);
}

fn token(s: &mut Steps, x: &Subject) {
    s.add(
        TOKEN_STEP,
        format!(
            "Check that a Kerberos ticket for HTTP/{} can be obtained and that exactly one account (the NES app pool identity) owns the SPN.",
            x.host
        ),
        Some(format!("klist get HTTP/{}; setspn -Q HTTP/{}", x.host, x.host)),
        RunOn::Terminal,
    );
    s.add(
        TOKEN_STEP,
        "Find duplicate SPNs in the domain.".to_owned(),
        Some("setspn -X".to_owned()),
        RunOn::Domain,
    );
}

fn restart(s: &mut Steps, x: &Subject, when: &str) {
    s.add(
        RESTART_STEP,
        format!(
            "{when} restart the EAM Security Service so that the NEA fetches its certificates again, then check that every key store holds them all."
        ),
        Some(format!("Repair-NymiNeaCertificate -NesUri '{}'", x.url)),
        RunOn::Terminal,
    );
}

fn recheck(s: &mut Steps, x: &Subject) {
    s.add(
        "Re-check",
        "Run the diagnosis again and retry the tap.".to_owned(),
        Some(format!("Invoke-NymiDiagnosis -NesUri '{}'", x.url)),
        RunOn::Terminal,
    );
}

/// Steps that fix what `cause` found, before the restart.
fn cause_steps(s: &mut Steps, x: &Subject, id: VerdictId, stage: Option<&str>) {
    match id {
        VerdictId::NeaCertsNotRetrievedDns => {
            basic(s, x);
            s.add(
                BASIC_STEP,
                format!(
                    "Fix the DNS record of {} or the terminal's DNS servers; check that the NES URL uses the NES FQDN.",
                    x.host
                ),
                Some("Get-DnsClientServerAddress".to_owned()),
                RunOn::Terminal,
            );
        }
        VerdictId::NeaCertsNotRetrievedTcpBlocked => {
            basic(s, x);
            firewall(s, x);
            iis(
                s,
                x,
                "no entry at all confirms the connection never reached IIS.",
            );
        }
        VerdictId::NeaCertsNotRetrievedProxy => {
            s.add(
                ADVANCED_STEP,
                format!(
                    "Services running as SYSTEM use the WinHTTP proxy: add {} to its bypass list, or reset it if no proxy is needed.",
                    x.host
                ),
                Some(format!(
                    "netsh winhttp show proxy; netsh winhttp set proxy proxy-server=\"<proxy:port>\" bypass-list=\"{};<local>\"",
                    x.host
                )),
                RunOn::Terminal,
            );
            s.add(
                ADVANCED_STEP,
                format!(
                    "If the NES URL redirects to another host (NES_HTTP_REDIRECT_OFF_HOST), a captive portal, TLS inspection or an authenticating proxy answers in place of NES: exempt {} from it.",
                    x.host
                ),
                Some(format!("Test-NymiNesConnection -Uri '{}'", x.url)),
                RunOn::Terminal,
            );
        }
        VerdictId::NeaCertsNotRetrievedTlsUntrusted => {
            s.add(
                ADVANCED_STEP,
                "Deploy the root (and issuing) CA of the NES TLS certificate to the machine's Trusted Root (and Intermediate) stores, then test again.".to_owned(),
                Some(format!("Test-NymiNesConnection -Uri '{}'", x.url)),
                RunOn::Terminal,
            );
        }
        VerdictId::NeaCertsNotRetrievedTlsOther => {
            s.add(
                ADVANCED_STEP,
                format!(
                    "Fix the NES TLS certificate: renew it if expired, make sure its SAN holds {}, and that its CRL/OCSP addresses are reachable from the terminal.",
                    x.host
                ),
                Some(format!("Test-NymiNesConnection -Uri '{}'", x.url)),
                RunOn::Terminal,
            );
        }
        VerdictId::NeaCertsNotRetrievedAuth => {
            token(s, x);
            iis(
                s,
                x,
                "repeated '401 1 2148074254' lines without a 200 confirm a Kerberos/SPN failure.",
            );
        }
        VerdictId::NeaCertsNotRetrievedNesError => {
            iis(
                s,
                x,
                "the status and sub-status of the answers say what NES refused (404: wrong service mapping name in the URL; 5xx: NES application or app pool).",
            );
            s.add(
                IIS_STEP,
                "On the NES server, check that the NES application pool runs and the NES site answers locally.".to_owned(),
                Some("Get-IISAppPool | Select-Object Name, State".to_owned()),
                RunOn::NesServer,
            );
        }
        VerdictId::CertsOkNesUnreachable | VerdictId::NeaCertsExpiredNotRenewed => {
            // Same fix as for the first failing stage, when there is one.
            let like = match stage {
                Some("dns") => Some(VerdictId::NeaCertsNotRetrievedDns),
                Some("tcp") | Some("firewall_log") => {
                    Some(VerdictId::NeaCertsNotRetrievedTcpBlocked)
                }
                Some("proxy") | Some("proxy_connect") | Some("winhttp_proxy") => {
                    Some(VerdictId::NeaCertsNotRetrievedProxy)
                }
                Some("chain_engine") => Some(VerdictId::NeaCertsNotRetrievedTlsUntrusted),
                Some("tls") => Some(VerdictId::NeaCertsNotRetrievedTlsOther),
                Some("windows_auth") => Some(VerdictId::NeaCertsNotRetrievedAuth),
                Some("http") | Some("iis_log") => Some(VerdictId::NeaCertsNotRetrievedNesError),
                _ => None,
            };
            if let Some(like) = like {
                cause_steps(s, x, like, None);
            }
        }
        _ => {}
    }
}

/// The ordered next steps for `outcome`.
pub(crate) fn next_steps(f: &Facts<'_>, outcome: &Outcome, now: UtcTime) -> Vec<NextStep> {
    let x = subject(f, now);
    let mut s = Steps(Vec::new());
    let stage = outcome.cause.as_ref().map(|c| c.stage.as_str());
    match outcome.id {
        VerdictId::Healthy => {
            s.add(
                "Re-check",
                "Nothing to fix. If taps still fail, run the diagnosis again right after a failing tap so that the logs cover it.".to_owned(),
                Some(format!("Invoke-NymiDiagnosis -NesUri '{}' -Since (Get-Date).AddMinutes(-10)", x.url)),
                RunOn::Terminal,
            );
        }
        VerdictId::NeaCertsNotRetrievedCauseUnknown => {
            if let PathState::Untested(why) = &f.path.state {
                s.add(
                    BASIC_STEP,
                    format!("Test the path to NES, which was not tested ({why}): give the NES URL as configured for the Evidian client."),
                    Some("Invoke-NymiDiagnosis -NesUri 'https://<nes fqdn>/nes'".to_owned()),
                    RunOn::Terminal,
                );
            } else {
                restart(
                    &mut s,
                    &x,
                    "The path to NES tests clean now (a past outage, or a failure only the service account sees):",
                );
            }
            iis(
                &mut s,
                &x,
                "no entry means the terminal's requests never reached IIS; 401 loops mean Kerberos/SPN.",
            );
            firewall(&mut s, &x);
            if matches!(f.path.state, PathState::Untested(_)) {
                restart(&mut s, &x, "Once NES is reachable,");
            }
            recheck(&mut s, &x);
        }
        id @ (VerdictId::NeaCertsNotRetrievedDns
        | VerdictId::NeaCertsNotRetrievedTcpBlocked
        | VerdictId::NeaCertsNotRetrievedProxy
        | VerdictId::NeaCertsNotRetrievedTlsUntrusted
        | VerdictId::NeaCertsNotRetrievedTlsOther
        | VerdictId::NeaCertsNotRetrievedAuth
        | VerdictId::NeaCertsNotRetrievedNesError) => {
            cause_steps(&mut s, &x, id, stage);
            restart(&mut s, &x, "Once the cause is fixed,");
            recheck(&mut s, &x);
        }
        VerdictId::NeaCertsExpiredNotRenewed => {
            cause_steps(&mut s, &x, outcome.id, stage);
            restart(
                &mut s,
                &x,
                if outcome.cause.is_some() {
                    "Once NES is reachable,"
                } else {
                    "NES is reachable now:"
                },
            );
            recheck(&mut s, &x);
        }
        VerdictId::CertsOkNesUnreachable => {
            cause_steps(&mut s, &x, outcome.id, stage);
            recheck(&mut s, &x);
        }
        VerdictId::CertsOkOtherCause => {
            s.add(
                "BLE adapter",
                "Make sure the BLE adapter is plugged in before the tap; it must be present when the user taps.".to_owned(),
                Some("Get-PnpDevice -PresentOnly -Class Bluetooth".to_owned()),
                RunOn::Terminal,
            );
            s.add(
                "Services",
                "Check that the EAM Security Service, Nymi Agent and Nymi Bluetooth Endpoint run, and that the agent listens on TCP 9120.".to_owned(),
                Some("Get-Service | Where-Object DisplayName -match 'Nymi|EAM|Evidian'; Get-NetTCPConnection -LocalPort 9120 -State Listen".to_owned()),
                RunOn::Terminal,
            );
            s.add(
                "Band certificate cache",
                "If taps fail for one user on every terminal, the band's NEA certificate cache may have been cleared on the charger (45 or more cached certificates); re-enroll the band if its L1 certificate was lost.".to_owned(),
                None,
                RunOn::Band,
            );
            token(&mut s, &x);
        }
        VerdictId::ClockSkew => {
            s.add(
                "Clock",
                "Check the Windows Time service and the time source, resynchronise, then check that the time matches the domain controllers and NES.".to_owned(),
                Some("w32tm /query /status; w32tm /resync".to_owned()),
                RunOn::Terminal,
            );
            s.add(
                "Clock",
                "If the terminal cannot keep its time, check the domain time hierarchy (the PDC emulator's source).".to_owned(),
                Some("w32tm /monitor".to_owned()),
                RunOn::Domain,
            );
            recheck(&mut s, &x);
        }
        VerdictId::ConfigNesUrlInvalid => {
            s.add(
                "Configuration",
                "Give the NES URL as configured for the Evidian client: https://<nes fqdn>/<service mapping name> (default service mapping name: nes).".to_owned(),
                Some("Invoke-NymiDiagnosis -NesUri 'https://<nes fqdn>/nes'".to_owned()),
                RunOn::Terminal,
            );
        }
        VerdictId::ConfigCaFileUnreadable => {
            s.add(
                "Configuration",
                "Point -TrustedRootPath at a readable PEM or DER file of the CA certificates that issue the NES TLS certificate, or leave it out to use the machine's trust store.".to_owned(),
                Some(format!("Test-NymiNesConnection -Uri '{}' -TrustedRootPath '<CA file>'", x.url)),
                RunOn::Terminal,
            );
        }
        VerdictId::ConfigRulePackInvalid => {
            s.add(
                "Configuration",
                "Fix or remove the site rule pack; the error names the file and line.".to_owned(),
                Some("Get-NymiDiagnosticRule -RulePath '<rule pack>'".to_owned()),
                RunOn::Terminal,
            );
        }
        VerdictId::Inconclusive => {
            if let CertState::Unknown(why) = &f.certs.state {
                s.add(
                    "NEA key store",
                    format!("Count the key store: {why}."),
                    Some("Invoke-NymiDiagnosis -KspPath 'C:\\Windows\\System32\\config\\systemprofile\\AppData\\Roaming\\Nymi\\NSL'".to_owned()),
                    RunOn::Terminal,
                );
            }
            if let Err(why) = &f.logs.read {
                s.add(
                    "Logs",
                    format!("Read the Evidian WGSS trace and nymi_api.log: {why}. Turn on Evidian debug mode to get the detailed lines."),
                    Some("Invoke-NymiDiagnosis -LogPath '<folder of WGSS and nymi_api logs>'".to_owned()),
                    RunOn::Terminal,
                );
            }
            if let PathState::Untested(why) = &f.path.state {
                s.add(
                    BASIC_STEP,
                    format!("Test the path to NES: {why}."),
                    Some("Invoke-NymiDiagnosis -NesUri 'https://<nes fqdn>/nes'".to_owned()),
                    RunOn::Terminal,
                );
            }
            if s.0.is_empty() {
                s.add(
                    "Re-check",
                    "The key store and the logs disagree: run the diagnosis right after a failing tap, with -KspPath naming the failing NEA's store.".to_owned(),
                    Some(format!("Invoke-NymiDiagnosis -NesUri '{}'", x.url)),
                    RunOn::Terminal,
                );
            }
        }
    }
    s.0
}
