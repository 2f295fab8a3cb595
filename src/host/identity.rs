//! The request with the Windows identity: a 401 after authentication is
//! `NES_AUTH_FAILED` (a Kerberos/SPN or account problem); an answer below
//! 400 passes; no answer (connection, TLS, timeout) is a request that
//! could not be judged, which the probe's own stages explain.

use crate::report::{Finding, Severity};

use super::ids;
use super::model::{HostCheck, IdentityRequestSeen};

/// What the request with the Windows identity showed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum IdentityOutcome {
    /// NES answered below 400.
    Passed,
    /// NES refused the identity (`NES_AUTH_FAILED`).
    Refused(Box<Finding>),
    /// No answer to judge, or another status.
    NoAnswer,
}

/// The outcome and its one-line detail.
pub(crate) fn judge(seen: &IdentityRequestSeen) -> (IdentityOutcome, String) {
    match seen.status_code {
        Some(401) => {
            let spn = format!("HTTP/{}", host_of(&seen.url));
            (
                IdentityOutcome::Refused(Box::new(auth_failed(seen))),
                format!("401 with the Windows identity; check {spn}"),
            )
        }
        Some(status) if (200..400).contains(&status) => (
            IdentityOutcome::Passed,
            format!("HTTP {status} with the Windows identity"),
        ),
        status => {
            let mut what = Vec::new();
            if let Some(s) = status {
                what.push(format!("HTTP {s}"));
            }
            if let Some(e) = seen.error.as_deref().filter(|e| !e.trim().is_empty()) {
                what.push(e.trim().to_owned());
            } else if let Some(k) = seen.error_kind.as_deref() {
                what.push(k.to_owned());
            }
            (
                IdentityOutcome::NoAnswer,
                format!(
                    "The request with the Windows identity failed: {}",
                    if what.is_empty() {
                        "no answer".to_owned()
                    } else {
                        what.join(" ")
                    }
                ),
            )
        }
    }
}

/// The diagnosis's `windows_auth` check.
pub(crate) fn check(seen: &IdentityRequestSeen) -> HostCheck {
    let (outcome, detail) = judge(seen);
    let c = match outcome {
        IdentityOutcome::Passed => HostCheck::checked(detail),
        IdentityOutcome::Refused(f) => HostCheck::checked(detail).with_findings(vec![*f]),
        // No answer to judge: the probe reports connection and TLS.
        IdentityOutcome::NoAnswer => HostCheck::new(crate::report::CoverageState::Failed, detail),
    };
    c.with_fact("url", &seen.url)
        .with_fact("duration_ms", seen.duration_ms)
        .with_fact("status_code", seen.status_code)
        .with_fact("schemes", &seen.schemes)
}

/// The host name of `url` as Kerberos names it (no brackets, no port).
fn host_of(url: &str) -> String {
    match url::Url::parse(url).ok().as_ref().and_then(url::Url::host) {
        Some(url::Host::Domain(d)) => d.to_owned(),
        Some(url::Host::Ipv4(a)) => a.to_string(),
        Some(url::Host::Ipv6(a)) => a.to_string(),
        None => url.to_owned(),
    }
}

fn auth_failed(seen: &IdentityRequestSeen) -> Finding {
    let host = host_of(&seen.url);
    let spn = format!("HTTP/{host}");
    let who = seen
        .identity
        .as_deref()
        .filter(|i| !i.trim().is_empty())
        .unwrap_or("this Windows identity");
    Finding::new(
        ids::NES_AUTH_FAILED,
        Severity::Error,
        "NES refused this Windows identity (401 after authentication)",
        format!(
            "The request as {who} ended with 401: Kerberos could not authenticate to {host}. Usual causes: the SPN {spn} is missing or registered twice, the NES app pool identity does not own it, clock skew, or the account is not allowed."
        ),
    )
    .with_evidence("status", 401)
    .with_evidence("spn", &spn)
    .with_remediation(format!(
        "Check the SPN: klist get {spn}; setspn -Q {spn}; setspn -X. Then read the NES IIS log for this terminal's IP (401 1 2148074254 repeated without a 200)."
    ))
    .with_ref("article: token authentication")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CoverageState;

    fn seen(status: Option<u16>) -> IdentityRequestSeen {
        IdentityRequestSeen {
            url: "https://nes.corp.example/nes".into(),
            identity: Some("CORP\\TERM01$".into()),
            status_code: status,
            duration_ms: 12,
            ..IdentityRequestSeen::default()
        }
    }

    #[test]
    fn a_401_is_nes_auth_failed_with_the_spn() {
        let c = check(&seen(Some(401)));
        assert_eq!(c.state, CoverageState::Checked);
        let f = &c.findings[0];
        assert_eq!(f.id, ids::NES_AUTH_FAILED);
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.evidence["spn"], "HTTP/nes.corp.example");
        assert_eq!(f.evidence["status"], 401);
        assert!(
            f.detail
                .starts_with("The request as CORP\\TERM01$ ended with 401")
        );
        assert_eq!(f.refs, ["article: token authentication"]);
        assert_eq!(c.facts["duration_ms"], 12);
        assert_eq!(
            c.detail.as_deref(),
            Some("401 with the Windows identity; check HTTP/nes.corp.example")
        );
    }

    #[test]
    fn an_answer_is_checked_and_no_answer_is_failed() {
        let ok = check(&seen(Some(200)));
        assert_eq!(ok.state, CoverageState::Checked);
        assert!(ok.findings.is_empty());
        assert_eq!(
            ok.detail.as_deref(),
            Some("HTTP 200 with the Windows identity")
        );
        let mut none = seen(None);
        none.error = Some("timed out".into());
        let failed = check(&none);
        assert_eq!(failed.state, CoverageState::Failed);
        assert_eq!(
            failed.detail.as_deref(),
            Some("The request with the Windows identity failed: timed out")
        );
        assert!(failed.findings.is_empty());
    }

    #[test]
    fn the_spn_names_the_host_without_port_or_brackets() {
        let mut s = seen(Some(401));
        s.url = "https://[::1]:8443/nes".into();
        assert_eq!(check(&s).findings[0].evidence["spn"], "HTTP/::1");
    }
}
