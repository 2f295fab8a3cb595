//! HTTP stage: one anonymous GET of the NES URL through reqwest, with the
//! same trust decision as the TLS stage, the first hop pinned to the
//! address the TCP stage reached, and redirects followed within a bound.
//! No credentials are ever sent; the authenticated request is the
//! PowerShell layer's.

use std::error::Error as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use time::macros::format_description;

use crate::report::{Finding, Severity};
use crate::time_fmt::UtcTime;

use super::ids;
use super::model::{HttpInfo, MAX_TEXT, Redirect, StageStatus, cap_text, millis};
use super::proxy::ProxyEndpoint;
use super::trust::TrustSources;

/// Kerberos' default maximum clock skew (5 minutes), in milliseconds.
pub(crate) const CLOCK_SKEW_TOLERANCE_MS: i64 = 300_000;
/// `Date` has one-second resolution: a measured offset this much beyond
/// the tolerance is needed before the skew is certain.
const DATE_RESOLUTION_MS: i64 = 1_000;

/// Most `WWW-Authenticate` schemes kept.
const MAX_SCHEMES: usize = 10;

/// Why redirects stopped being followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RedirectStop {
    /// A URL came back.
    Loop,
    /// More than the allowed number.
    Limit,
    /// The target is on another host (or another port of the same scheme).
    OffHost,
    /// The target is http after https.
    Insecure,
}

/// How the GET ended, before classification.
#[derive(Debug)]
pub(crate) enum HttpError {
    Timeout(String),
    RedirectLoop,
    RedirectLimit,
    /// A redirect to another host, not followed (the last of
    /// `HttpInfo::redirects`).
    RedirectOffHost,
    /// A redirect from https to http, not followed (the last of
    /// `HttpInfo::redirects`).
    RedirectInsecure,
    Failed(String),
}

/// What the HTTP stage saw.
#[derive(Debug)]
pub(crate) struct HttpOutcome {
    pub(crate) info: HttpInfo,
    pub(crate) error: Option<HttpError>,
}

/// Inputs of the HTTP stage.
#[derive(Debug)]
pub(crate) struct HttpPlan<'a> {
    pub(crate) url: &'a str,
    /// Host and address the client must use for the first hop (the one the
    /// TCP stage reached), so that the GET goes where the probe looked.
    pub(crate) pin: Option<(&'a str, SocketAddr)>,
    pub(crate) proxy: Option<&'a ProxyEndpoint>,
    pub(crate) limit: Duration,
    pub(crate) max_redirects: u32,
}

/// Sends the GET.
pub(crate) fn get(plan: &HttpPlan<'_>, sources: &Arc<TrustSources>) -> HttpOutcome {
    let mut info = HttpInfo {
        url: plan.url.to_owned(),
        final_url: None,
        status: None,
        server: None,
        www_authenticate: Vec::new(),
        redirects: Vec::new(),
        time_to_first_byte_ms: None,
        via_proxy: plan.proxy.is_some(),
        server_date: None,
        clock_offset_ms: None,
    };
    let redirects: Arc<Mutex<Vec<Redirect>>> = Arc::default();
    let stop: Arc<Mutex<Option<RedirectStop>>> = Arc::default();
    let client = match build_client(plan, sources, &redirects, &stop) {
        Ok(c) => c,
        Err(e) => {
            return HttpOutcome {
                info,
                error: Some(HttpError::Failed(e)),
            };
        }
    };
    let started = Instant::now();
    let result = client
        .get(plan.url)
        .header(reqwest::header::ACCEPT, "*/*")
        .send();
    info.redirects = std::mem::take(&mut *redirects.lock().unwrap_or_else(PoisonError::into_inner));
    let error = match result {
        Ok(response) => {
            let arrived = OffsetDateTime::now_utc();
            info.time_to_first_byte_ms = Some(millis(started.elapsed()));
            if let Some(date) = response
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_http_date)
            {
                info.server_date = Some(UtcTime(date));
                info.clock_offset_ms = Some(offset_ms(date, arrived));
            }
            info.final_url = Some(super::shown_url(response.url().as_str()));
            info.status = Some(response.status().as_u16());
            info.server = response
                .headers()
                .get(reqwest::header::SERVER)
                .map(|v| cap_text(&String::from_utf8_lossy(v.as_bytes()), 256));
            info.www_authenticate = auth_schemes(
                response
                    .headers()
                    .get_all(reqwest::header::WWW_AUTHENTICATE)
                    .iter()
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            );
            // The body is not needed; dropping the response closes the
            // connection without reading it.
            drop(response);
            None
        }
        Err(e) => {
            // The error's URL may be a redirect target with a query.
            let e = e.without_url();
            let text = error_text(&e);
            let stopped = *stop.lock().unwrap_or_else(PoisonError::into_inner);
            Some(if e.is_redirect() && stopped == Some(RedirectStop::Loop) {
                HttpError::RedirectLoop
            } else if e.is_redirect() && stopped == Some(RedirectStop::OffHost) {
                HttpError::RedirectOffHost
            } else if e.is_redirect() && stopped == Some(RedirectStop::Insecure) {
                HttpError::RedirectInsecure
            } else if e.is_redirect() {
                HttpError::RedirectLimit
            } else if e.is_timeout() {
                HttpError::Timeout(text)
            } else {
                HttpError::Failed(text)
            })
        }
    };
    // Dropping the client joins its runtime thread; nothing is in flight.
    drop(client);
    HttpOutcome { info, error }
}

fn build_client(
    plan: &HttpPlan<'_>,
    sources: &Arc<TrustSources>,
    redirects: &Arc<Mutex<Vec<Redirect>>>,
    stop: &Arc<Mutex<Option<RedirectStop>>>,
) -> Result<reqwest::blocking::Client, String> {
    let (tls, _record) = sources
        .client_config(&["http/1.1"])
        .map_err(|e| e.to_string())?;
    let max = usize::try_from(plan.max_redirects).unwrap_or(usize::MAX);
    let seen = Arc::clone(redirects);
    let stopped = Arc::clone(stop);
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        let previous = attempt.previous().last();
        let from = previous
            .map(|u| super::shown_url(u.as_str()))
            .unwrap_or_default();
        let to = attempt.url().clone();
        let looped = attempt.previous().contains(&to);
        let over = attempt.previous().len() > max;
        {
            let mut list = seen.lock().unwrap_or_else(PoisonError::into_inner);
            if list.len() <= max {
                list.push(Redirect {
                    status: attempt.status().as_u16(),
                    from,
                    to: super::shown_url(to.as_str()),
                });
            }
        }
        let why = previous
            .and_then(|from| redirect_scope(from, &to))
            .or(if looped {
                Some(RedirectStop::Loop)
            } else if over {
                Some(RedirectStop::Limit)
            } else {
                None
            });
        match why {
            Some(why) => {
                *stopped.lock().unwrap_or_else(PoisonError::into_inner) = Some(why);
                attempt.error(match why {
                    RedirectStop::Loop => "redirect loop",
                    RedirectStop::Limit => "too many redirects",
                    RedirectStop::OffHost => "redirect to another host",
                    RedirectStop::Insecure => "redirect from https to http",
                })
            }
            None => attempt.follow(),
        }
    });
    let limit = plan.limit.max(Duration::from_millis(1));
    let mut builder = reqwest::blocking::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(limit)
        .connect_timeout(limit)
        .redirect(policy)
        .referer(false)
        .pool_max_idle_per_host(0)
        .user_agent(format!("nymidiag/{} (NES probe)", crate::TOOL_VERSION));
    builder = match plan.proxy {
        Some(p) => builder.proxy(reqwest::Proxy::all(p.url.as_str()).map_err(|e| e.to_string())?),
        None => builder.no_proxy(),
    };
    if let Some((host, addr)) = plan.pin {
        builder = builder.resolve(host, addr);
    }
    builder.build().map_err(|e| error_text(&e))
}

/// Whether a redirect from `from` to `to` leaves the NES: `None` when it
/// stays on the same scheme, host and port, or goes from http to https on
/// the same host (any port); else why it is not followed. Another host
/// wins over a downgrade: a captive portal is the likelier story.
fn redirect_scope(from: &url::Url, to: &url::Url) -> Option<RedirectStop> {
    let host = |u: &url::Url| {
        u.host_str()
            .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
    };
    if host(from) != host(to) {
        return Some(RedirectStop::OffHost);
    }
    match (from.scheme(), to.scheme()) {
        ("https", "http") => Some(RedirectStop::Insecure),
        ("http", "https") => None,
        (a, b) if a == b && from.port_or_known_default() == to.port_or_known_default() => None,
        // Same host, same scheme, another port: another service.
        _ => Some(RedirectStop::OffHost),
    }
}

/// The error and its causes in one line (reqwest's own message is terse).
fn error_text(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    let mut depth = 0;
    while let Some(s) = source {
        depth += 1;
        if depth > 6 {
            break;
        }
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    cap_text(&text, MAX_TEXT)
}

/// The scheme names offered in `WWW-Authenticate` values; tokens and
/// parameters are dropped.
pub(crate) fn auth_schemes(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut schemes: Vec<String> = Vec::new();
    for value in values {
        for part in value.split(',') {
            let Some(first) = part.split_ascii_whitespace().next() else {
                continue;
            };
            // `realm="x"` or a token68 continuation is not a scheme name.
            if first.contains('=')
                || !first
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.!#$%&'*+^`|~".contains(c))
            {
                continue;
            }
            let name = cap_text(first, 32);
            if schemes.len() < MAX_SCHEMES && !schemes.iter().any(|s| s.eq_ignore_ascii_case(&name))
            {
                schemes.push(name);
            }
        }
    }
    schemes
}

/// The classification of a final status.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct HttpClass {
    pub(crate) status: StageStatus,
    pub(crate) finding: Option<(&'static str, Severity)>,
}

/// Classifies the final status and offered schemes.
pub(crate) fn classify(status: u16, schemes: &[String]) -> HttpClass {
    let windows_auth = schemes
        .iter()
        .any(|s| s.eq_ignore_ascii_case("negotiate") || s.eq_ignore_ascii_case("ntlm"));
    let (status, finding) = match status {
        200..=299 => (StageStatus::Ok, None),
        401 if windows_auth => (
            StageStatus::Ok,
            Some((ids::NES_HTTP_AUTH_REQUIRED, Severity::Info)),
        ),
        401 => (
            StageStatus::Failed,
            Some((ids::NES_HTTP_NO_WINDOWS_AUTH, Severity::Error)),
        ),
        403 => (
            StageStatus::Failed,
            Some((ids::NES_HTTP_FORBIDDEN, Severity::Error)),
        ),
        404 => (
            StageStatus::Failed,
            Some((ids::NES_HTTP_NOT_FOUND, Severity::Error)),
        ),
        500..=599 => (
            StageStatus::Failed,
            Some((ids::NES_HTTP_SERVER_ERROR, Severity::Error)),
        ),
        _ => (
            StageStatus::Failed,
            Some((ids::NES_HTTP_UNEXPECTED_STATUS, Severity::Warning)),
        ),
    };
    HttpClass { status, finding }
}

/// The finding for a classified answer.
pub(crate) fn answer_finding(id: &'static str, severity: Severity, info: &HttpInfo) -> Finding {
    let status = info.status.unwrap_or(0);
    let url = info.final_url.as_deref().unwrap_or(&info.url);
    let schemes = if info.www_authenticate.is_empty() {
        "none".to_owned()
    } else {
        info.www_authenticate.join(", ")
    };
    let server = info.server.as_deref().unwrap_or("not stated");
    let (title, detail, remediation) = match id {
        ids::NES_HTTP_AUTH_REQUIRED => (
            "NES answered and asks for Windows authentication",
            format!(
                "{url} answered 401 offering {schemes} (server: {server}): IIS is reached and \
                 Windows authentication is in place. Whether this terminal's identity is \
                 accepted is checked with an authenticated request."
            ),
            "None needed here; if taps still fail, check Kerberos (SPN HTTP/<nes-fqdn>) \
             and the authenticated request.",
        ),
        ids::NES_HTTP_NO_WINDOWS_AUTH => (
            "NES asks for authentication without Windows authentication",
            format!(
                "{url} answered 401 offering {schemes} (server: {server}), but neither \
                 Negotiate nor NTLM: the NEA cannot authenticate with Windows credentials."
            ),
            "Enable Windows Authentication (Negotiate, NTLM) for the NES application in IIS.",
        ),
        ids::NES_HTTP_FORBIDDEN => (
            "NES answered 403 Forbidden",
            format!(
                "{url} answered 403 (server: {server}). IIS uses 403.4 for 'SSL required', \
                 403.7 and 403.16 for client certificate problems, and 403.6 for a blocked \
                 client address; the sub-status is in the IIS log on NES."
            ),
            "Read the sc-substatus for this terminal's address in the NES IIS log, and \
             compare the URL scheme and client certificate settings of the NES site.",
        ),
        ids::NES_HTTP_NOT_FOUND => (
            "NES answered 404: wrong service path?",
            format!(
                "{url} answered 404 (server: {server}): the service path is probably wrong \
                 (the default service mapping name is 'nes')."
            ),
            "Check the NES URL against https://<nes-fqdn>/<service-mapping-name> as shown \
             in the NES Administrator Console.",
        ),
        ids::NES_HTTP_SERVER_ERROR => (
            "NES answered with a server error",
            format!(
                "{url} answered {status} (server: {server}): NES or IIS failed \
                 ({}).",
                if status == 503 {
                    "503 usually means the application pool is stopped"
                } else {
                    "an application error"
                }
            ),
            "Check the NES application pool and the Application event log on the NES server.",
        ),
        _ => (
            "NES answered with an unexpected status",
            format!(
                "{url} answered {status} (server: {server}), which NES does not normally send."
            ),
            "Check the URL, and any proxy or load balancer in front of NES.",
        ),
    };
    Finding::new(id, severity, title, detail)
        .with_evidence("status", status)
        .with_evidence("url", url)
        .with_evidence("server", &info.server)
        .with_evidence("www_authenticate", &info.www_authenticate)
        .with_remediation(remediation)
        .with_ref("nymi-domain.md §5 check I")
}

/// Reads an HTTP `Date` value (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37
/// GMT`, the form every current server sends); the weekday is not checked.
pub(crate) fn parse_http_date(value: &str) -> Option<OffsetDateTime> {
    let value = value.trim();
    let rest = value.split_once(',').map_or(value, |(_, r)| r).trim();
    let format = format_description!(
        "[day] [month repr:short case_sensitive:false] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(rest, &format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

/// `server - local` in milliseconds, saturating.
fn offset_ms(server: OffsetDateTime, local: OffsetDateTime) -> i64 {
    i64::try_from((server - local).whole_milliseconds()).unwrap_or(if server > local {
        i64::MAX
    } else {
        i64::MIN
    })
}

/// `NES_CLOCK_SKEW` when the server's `Date` is more than the Kerberos
/// tolerance (plus the header's resolution) away from this machine's
/// clock: Windows authentication to NES then fails even with a valid SPN.
pub(crate) fn clock_skew_finding(info: &HttpInfo) -> Option<Finding> {
    let (server, offset) = (info.server_date?, info.clock_offset_ms?);
    if offset.unsigned_abs() <= (CLOCK_SKEW_TOLERANCE_MS + DATE_RESOLUTION_MS).unsigned_abs() {
        return None;
    }
    let local = UtcTime(server.0 - time::Duration::milliseconds(offset));
    let seconds = offset / 1000;
    let (direction, amount) = if offset > 0 {
        ("ahead of", seconds)
    } else {
        ("behind", -seconds)
    };
    Some(
        Finding::new(
            ids::NES_CLOCK_SKEW,
            Severity::Warning,
            "The NES server's clock and this machine's differ by more than 5 minutes",
            format!(
                "NES answered with Date {server} when this machine's clock read {local}: \
                 the server is {amount} s {direction} this machine. Kerberos rejects \
                 tickets beyond 5 minutes of skew by default, so Windows authentication \
                 to NES fails even when the SPN is right."
            ),
        )
        .with_evidence("server_date", server)
        .with_evidence("local_date", local)
        .with_evidence("clock_offset_ms", offset)
        .with_evidence("tolerance_ms", CLOCK_SKEW_TOLERANCE_MS)
        .with_remediation(
            "Check the Windows Time service (w32tm /query /status) on this machine and \
             on the NES server, and that both follow the domain time hierarchy \
             (w32tm /resync once the source is right).",
        )
        .with_ref("nymi-domain.md §3: 401.1 causes, time skew"),
    )
}

/// The finding for a GET that got no final answer.
pub(crate) fn error_finding(
    error: &HttpError,
    info: &HttpInfo,
    limit_ms: u64,
    by_deadline: bool,
) -> Finding {
    let url = &info.url;
    match error {
        HttpError::Timeout(text) => Finding::new(
            ids::NES_HTTP_TIMEOUT,
            Severity::Error,
            "NES did not answer the HTTP request in time",
            format!(
                "{url} did not answer within {limit_ms} ms{} after the TLS handshake \
                 succeeded: the application is hanging or very slow.",
                if by_deadline {
                    " (cut short by the overall deadline)"
                } else {
                    ""
                }
            ),
        )
        .with_evidence("error", text)
        .with_evidence(
            "limited_by",
            if by_deadline {
                "deadline"
            } else {
                "http_timeout"
            },
        )
        .with_remediation("Check the NES application pool and server load.")
        .with_ref("nymi-domain.md §5 check I"),
        HttpError::RedirectLoop | HttpError::RedirectLimit => {
            let chain: Vec<String> = info
                .redirects
                .iter()
                .map(|r| format!("{} {} -> {}", r.status, r.from, r.to))
                .collect();
            Finding::new(
                ids::NES_HTTP_REDIRECT_LOOP,
                Severity::Error,
                "NES redirects in a loop",
                if matches!(error, HttpError::RedirectLoop) {
                    format!(
                        "{url} redirects back to a URL already visited: {}.",
                        chain.join("; ")
                    )
                } else {
                    format!(
                        "{url} redirected more than {} times: {}.",
                        info.redirects.len().saturating_sub(1),
                        chain.join("; ")
                    )
                },
            )
            .with_evidence("redirects", &info.redirects)
            .with_evidence(
                "kind",
                if matches!(error, HttpError::RedirectLoop) {
                    "loop"
                } else {
                    "limit"
                },
            )
            .with_remediation(
                "Check the IIS HTTP Redirect and URL Rewrite rules of the NES site, and any \
                 load balancer that redirects.",
            )
            .with_ref("nymi-domain.md §5 check I")
        }
        HttpError::RedirectOffHost | HttpError::RedirectInsecure => {
            redirect_away_finding(matches!(error, HttpError::RedirectInsecure), info)
        }
        HttpError::Failed(text) => Finding::new(
            ids::NES_HTTP_FAILED,
            Severity::Error,
            "The HTTP request to NES failed",
            format!("The GET of {url} failed without an answer: {text}."),
        )
        .with_evidence("error", text)
        .with_remediation("Check the connection to NES; the earlier stages show what worked.")
        .with_ref("nymi-domain.md §5 check I"),
    }
}

/// The finding for a redirect that was not followed because it leaves NES
/// (`insecure`: https to http; else another host).
fn redirect_away_finding(insecure: bool, info: &HttpInfo) -> Finding {
    let last = info.redirects.last();
    let status = last.map_or(0, |r| r.status);
    let from = last.map_or(info.url.as_str(), |r| r.from.as_str());
    let to = last.map_or("?", |r| r.to.as_str());
    let (id, title, detail, remediation) = if insecure {
        (
            ids::NES_HTTP_REDIRECT_INSECURE,
            "NES redirects from https to http",
            format!(
                "{from} answered {status} redirecting to {to}: from https to plain http. The \
                 probe does not follow it, and the NEA must not send its request unencrypted. \
                 A proxy or load balancer that terminates TLS, or an IIS HTTP Redirect rule, \
                 usually does this."
            ),
            "Remove the redirect to http:// (IIS HTTP Redirect, URL Rewrite, load balancer), \
             and check the NES URL configured on the terminal.",
        )
    } else {
        (
            ids::NES_HTTP_REDIRECT_OFF_HOST,
            "NES redirects to another host",
            format!(
                "{from} answered {status} redirecting to {to}, which is not the NES host. The \
                 probe does not follow it: a captive portal, a TLS-inspecting or \
                 authenticating proxy, or a wrong NES URL answers instead of NES."
            ),
            "Check the NES URL against the NES Administrator Console, and the proxy, captive \
             portal or load balancer between this terminal and NES.",
        )
    };
    Finding::new(id, Severity::Error, title, detail)
        .with_evidence("status", status)
        .with_evidence("url", from)
        .with_evidence("target", to)
        .with_evidence("redirects", &info.redirects)
        .with_remediation(remediation)
        .with_ref("nymi-domain.md §5 check I")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemes(values: &[&str]) -> Vec<String> {
        auth_schemes(values.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn keeps_scheme_names_only() {
        assert_eq!(schemes(&["Negotiate", "NTLM"]), ["Negotiate", "NTLM"]);
        assert_eq!(schemes(&["Negotiate, NTLM"]), ["Negotiate", "NTLM"]);
        assert_eq!(
            schemes(&[r#"Basic realm="nes", charset="UTF-8""#]),
            ["Basic"]
        );
        assert_eq!(schemes(&["Negotiate oYGCMIGfoAMKAQ=="]), ["Negotiate"]);
        assert!(schemes(&["", " , "]).is_empty());
    }

    #[test]
    fn reads_http_dates() {
        let t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(t.unix_timestamp(), 784_111_777);
        assert_eq!(
            parse_http_date(" sun, 06 NOV 1994 08:49:37 GMT ").unwrap(),
            t
        );
        assert_eq!(parse_http_date("06 Nov 1994 08:49:37 GMT").unwrap(), t);
        for bad in [
            "",
            "yesterday",
            "Sun, 06 Nov 1994 08:49:37 +0100",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn skew_is_raised_beyond_five_minutes_and_a_second() {
        let server = UtcTime::parse("2026-05-02T07:41:08Z").unwrap();
        let info = |offset: Option<i64>| HttpInfo {
            url: "https://nes.corp.example/nes".into(),
            final_url: None,
            status: Some(401),
            server: None,
            www_authenticate: Vec::new(),
            redirects: Vec::new(),
            time_to_first_byte_ms: None,
            via_proxy: false,
            server_date: offset.map(|_| server),
            clock_offset_ms: offset,
        };
        for (offset, raised) in [
            (None, false),
            (Some(0), false),
            (Some(2_000), false),
            (Some(-2_000), false),
            (Some(300_000), false),
            (Some(-301_000), false),
            (Some(301_001), true),
            (Some(-301_001), true),
            (Some(-600_000), true),
            (Some(3_600_000), true),
        ] {
            let f = clock_skew_finding(&info(offset));
            assert_eq!(f.is_some(), raised, "{offset:?}");
            if let Some(f) = f {
                assert_eq!(f.id, super::ids::NES_CLOCK_SKEW);
                assert_eq!(f.severity, Severity::Warning);
                assert!(
                    f.detail.contains("2026-05-02T07:41:08.000Z"),
                    "{}",
                    f.detail
                );
                let local = UtcTime(server.0 - time::Duration::milliseconds(offset.unwrap()));
                assert!(f.detail.contains(&local.to_string()), "{}", f.detail);
                assert!(
                    f.remediation
                        .as_deref()
                        .is_some_and(|r| r.contains("w32tm /query /status")),
                    "{:?}",
                    f.remediation
                );
            }
        }
    }

    #[test]
    fn redirects_stay_on_the_nes_or_are_refused() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        let followed = [
            (
                "https://nes.corp.example/nes",
                "https://nes.corp.example/nes/",
            ),
            (
                "https://nes.corp.example/nes",
                "https://NES.corp.example./other?x=1",
            ),
            (
                "https://nes.corp.example/nes",
                "https://nes.corp.example:443/nes",
            ),
            (
                "https://nes.corp.example:8443/nes",
                "https://nes.corp.example:8443/a",
            ),
            (
                "http://nes.corp.example/nes",
                "https://nes.corp.example/nes",
            ),
            (
                "http://nes.corp.example:8080/nes",
                "https://nes.corp.example:8443/nes",
            ),
            ("http://127.0.0.1:80/nes", "https://127.0.0.1/nes"),
            ("http://[::1]:8080/nes", "https://[::1]:8443/nes"),
        ];
        for (from, to) in followed {
            assert_eq!(redirect_scope(&u(from), &u(to)), None, "{from} -> {to}");
        }
        let refused = [
            (
                "https://nes.corp.example/nes",
                "https://portal.example/login",
                RedirectStop::OffHost,
            ),
            (
                "https://nes.corp.example/nes",
                "https://nes.corp.example.evil/nes",
                RedirectStop::OffHost,
            ),
            (
                "https://nes.corp.example/nes",
                "https://corp.example/nes",
                RedirectStop::OffHost,
            ),
            (
                "https://127.0.0.1:8443/nes",
                "https://127.0.0.2:8443/nes",
                RedirectStop::OffHost,
            ),
            (
                "https://127.0.0.1:8443/nes",
                "https://localhost:8443/nes",
                RedirectStop::OffHost,
            ),
            (
                "https://nes.corp.example/nes",
                "https://nes.corp.example:8443/nes",
                RedirectStop::OffHost,
            ),
            (
                "http://nes.corp.example/nes",
                "http://nes.corp.example:8080/nes",
                RedirectStop::OffHost,
            ),
            (
                "http://nes.corp.example/nes",
                "https://portal.example/",
                RedirectStop::OffHost,
            ),
            (
                "https://nes.corp.example/nes",
                "http://portal.example/",
                RedirectStop::OffHost,
            ),
            (
                "https://nes.corp.example/nes",
                "http://nes.corp.example/nes",
                RedirectStop::Insecure,
            ),
            (
                "https://nes.corp.example:8443/nes",
                "http://nes.corp.example:8443/nes",
                RedirectStop::Insecure,
            ),
            (
                "https://[::1]:8443/nes",
                "http://[::1]:8443/nes",
                RedirectStop::Insecure,
            ),
        ];
        for (from, to, why) in refused {
            assert_eq!(
                redirect_scope(&u(from), &u(to)),
                Some(why),
                "{from} -> {to}"
            );
        }
    }

    #[test]
    fn redirect_findings_name_both_ends_without_queries() {
        for insecure in [false, true] {
            let info = HttpInfo {
                url: "https://nes.corp.example/nes".into(),
                final_url: None,
                status: None,
                server: None,
                www_authenticate: Vec::new(),
                redirects: vec![Redirect {
                    status: 302,
                    from: "https://nes.corp.example/nes".into(),
                    to: super::super::shown_url(
                        "http://user:pw@portal.example/login?token=secret#f",
                    ),
                }],
                time_to_first_byte_ms: None,
                via_proxy: false,
                server_date: None,
                clock_offset_ms: None,
            };
            let f = error_finding(
                if insecure {
                    &HttpError::RedirectInsecure
                } else {
                    &HttpError::RedirectOffHost
                },
                &info,
                1_000,
                false,
            );
            assert_eq!(
                f.id,
                if insecure {
                    ids::NES_HTTP_REDIRECT_INSECURE
                } else {
                    ids::NES_HTTP_REDIRECT_OFF_HOST
                }
            );
            assert_eq!(f.severity, Severity::Error);
            assert_eq!(f.evidence["status"], 302);
            assert_eq!(f.evidence["url"], "https://nes.corp.example/nes");
            assert_eq!(f.evidence["target"], "http://portal.example/login");
            let json = serde_json::to_string(&f).unwrap();
            for secret in ["secret", "token", "user", "pw@", "#f"] {
                assert!(!json.contains(secret), "{secret} in {json}");
            }
        }
    }

    #[test]
    fn classifies_statuses() {
        let neg = vec!["Negotiate".to_owned()];
        assert_eq!(classify(200, &[]).finding, None);
        assert_eq!(
            classify(401, &neg),
            HttpClass {
                status: StageStatus::Ok,
                finding: Some((ids::NES_HTTP_AUTH_REQUIRED, Severity::Info))
            }
        );
        assert_eq!(
            classify(401, &["Basic".to_owned()]).finding.unwrap().0,
            ids::NES_HTTP_NO_WINDOWS_AUTH
        );
        assert_eq!(
            classify(403, &[]).finding.unwrap().0,
            ids::NES_HTTP_FORBIDDEN
        );
        assert_eq!(
            classify(404, &[]).finding.unwrap().0,
            ids::NES_HTTP_NOT_FOUND
        );
        assert_eq!(
            classify(503, &[]).finding.unwrap().0,
            ids::NES_HTTP_SERVER_ERROR
        );
        assert_eq!(
            classify(302, &[]).finding.unwrap(),
            (ids::NES_HTTP_UNEXPECTED_STATUS, Severity::Warning)
        );
    }
}
