//! The WinHTTP proxy check: services running as SYSTEM, like the NEA, use
//! the WinHTTP machine proxy; a proxy whose bypass list leaves NES out
//! carries the NES requests (`HOST_WINHTTP_PROXY_NO_BYPASS` in a
//! diagnosis, `NES_PROXY_INTERCEPTS` in the probe).

use crate::report::{Finding, Severity};

use super::ids;
use super::model::{HostCheck, ProxySeen};

/// Whether `host` is in a WinHTTP/WinINET bypass list: `*` and `?`
/// wildcards, case-insensitive, and `<local>` for names without a dot.
pub(crate) fn bypassed(host: &str, bypass: &[String]) -> bool {
    bypass.iter().any(|entry| {
        let entry = entry.trim();
        if entry.eq_ignore_ascii_case("<local>") {
            return !host.contains('.');
        }
        wildcard_match(&entry.to_lowercase(), &host.to_lowercase())
    })
}

/// `*` any run, `?` one character, everything else itself.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Classic two-pointer match with backtracking to the last `*`.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The proxy that would carry requests to `host`, when one would.
fn carrying<'a>(seen: &'a ProxySeen, host: &str) -> Option<&'a str> {
    seen.winhttp_proxy
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .filter(|_| !bypassed(host, &seen.winhttp_bypass))
}

/// The remediation both findings share.
fn remediation(proxy: &str, host: &str) -> String {
    format!(
        "Add {host} to the bypass list (netsh winhttp set proxy proxy-server=\"{proxy}\" bypass-list=\"{host};<local>\") or reset it (netsh winhttp reset proxy) when NES is internal."
    )
}

fn detail(proxy: &str, host: &str, bypass: &[String]) -> String {
    format!(
        "Services running as SYSTEM, like the NEA, use the WinHTTP machine proxy ({proxy}), and {host} is not in its bypass list ({}).",
        bypass.join(";")
    )
}

/// The diagnosis's check of the proxy settings against the NES host
/// (`None` when no NES URL was configured).
pub(crate) fn check(seen: &ProxySeen, nes_host: Option<&str>) -> HostCheck {
    let proxy = seen
        .winhttp_proxy
        .as_deref()
        .filter(|p| !p.trim().is_empty());
    let mut c = HostCheck::checked("")
        .with_fact("winhttp_proxy", proxy)
        .with_fact("winhttp_bypass", &seen.winhttp_bypass)
        .with_fact("user_proxy", &seen.user_proxy)
        .with_fact("pac_url", &seen.pac_url);
    if let Some(host) = nes_host {
        c = c.with_fact("nes_host", host);
    }
    let Some(proxy) = proxy else {
        c.detail = Some(
            "No WinHTTP proxy is set: services running as SYSTEM connect directly.".to_owned(),
        );
        return c;
    };
    let Some(host) = nes_host else {
        c.detail = Some(format!(
            "WinHTTP proxy {proxy} is set; no NES URL was given to compare with the bypass list."
        ));
        return c;
    };
    let carried = carrying(seen, host).is_some();
    c = c.with_fact("nes_bypassed", !carried);
    if !carried {
        c.detail = Some(format!(
            "WinHTTP proxy {proxy} is set and {host} is in its bypass list."
        ));
        return c;
    }
    c.detail = Some(format!(
        "WinHTTP proxy {proxy} is set and {host} is not bypassed."
    ));
    let finding = Finding::new(
        ids::HOST_WINHTTP_PROXY_NO_BYPASS,
        Severity::Warning,
        format!("The WinHTTP proxy {proxy} would carry the NES requests of SYSTEM services"),
        detail(proxy, host, &seen.winhttp_bypass),
    )
    .with_evidence("winhttp_proxy", proxy)
    .with_evidence("bypass", &seen.winhttp_bypass)
    .with_evidence("host", host)
    .with_remediation(remediation(proxy, host))
    .with_ref("domain brief section 5: check G");
    c.with_findings(vec![finding])
}

/// The probe's finding when the WinHTTP proxy would carry its request.
pub(crate) fn probe_finding(seen: &ProxySeen, host: &str) -> Option<Finding> {
    let proxy = carrying(seen, host)?;
    Some(
        Finding::new(
            ids::NES_PROXY_INTERCEPTS,
            Severity::Warning,
            format!("The WinHTTP proxy {proxy} would carry the NES request"),
            detail(proxy, host, &seen.winhttp_bypass),
        )
        .with_evidence("winhttp_proxy", proxy)
        .with_evidence("bypass", &seen.winhttp_bypass)
        .with_evidence("host", host)
        .with_remediation(remediation(proxy, host))
        .with_ref("article: token authentication"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(bypass: &[&str]) -> ProxySeen {
        ProxySeen {
            winhttp_proxy: Some("proxy.corp.example:8080".into()),
            winhttp_bypass: bypass.iter().map(|s| (*s).to_owned()).collect(),
            ..ProxySeen::default()
        }
    }

    #[test]
    fn a_host_not_bypassed_is_host_winhttp_proxy_no_bypass() {
        let c = check(&proxy(&["<local>"]), Some("nes.corp.example"));
        assert_eq!(c.state, crate::report::CoverageState::Checked);
        let f = &c.findings[0];
        assert_eq!(f.id, ids::HOST_WINHTTP_PROXY_NO_BYPASS);
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.evidence["host"], "nes.corp.example");
        assert_eq!(c.facts["nes_bypassed"], false);
    }

    #[test]
    fn content_when_bypassed_without_proxy_or_without_url() {
        assert!(
            check(&proxy(&["*.corp.example"]), Some("nes.corp.example"))
                .findings
                .is_empty()
        );
        assert!(
            check(&ProxySeen::default(), Some("nes.corp.example"))
                .findings
                .is_empty()
        );
        let no_url = check(&proxy(&["*.corp.example"]), None);
        assert!(no_url.findings.is_empty());
        assert!(no_url.detail.unwrap().contains("no NES URL"));
    }

    #[test]
    fn bypass_entries_match_like_winhttp() {
        let list = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert!(bypassed("nes.corp.example", &list(&["*.corp.example"])));
        assert!(bypassed("NES.Corp.Example", &list(&["*.corp.example"])));
        assert!(bypassed("nes", &list(&["<local>"])));
        assert!(!bypassed("nes.corp.example", &list(&["<local>"])));
        assert!(!bypassed("nes.other.example", &list(&["*.corp.example"])));
        assert!(bypassed("nes1.corp.example", &list(&["nes?.corp.*"])));
        assert!(!bypassed("nes.corp.example", &list(&[])));
    }

    #[test]
    fn the_probe_finding_is_raised_only_when_the_proxy_carries_the_request() {
        let f = probe_finding(&proxy(&["<local>"]), "nes.corp.example").unwrap();
        assert_eq!(f.id, ids::NES_PROXY_INTERCEPTS);
        assert!(probe_finding(&proxy(&["*.corp.example"]), "nes.corp.example").is_none());
        assert!(probe_finding(&ProxySeen::default(), "nes.corp.example").is_none());
    }
}
