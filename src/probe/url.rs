//! URL stage: read the NES URL the way the terminal's configuration states
//! it, fill in the documented defaults, and warn about shapes that break
//! TLS names or Kerberos (`http://`, IP literals, short names).

use crate::report::{Finding, Severity};

use super::ids;
use super::model::{HostKind, MAX_TEXT, Target, cap_text};

/// Service path NES uses when the URL names only a host.
pub(crate) const DEFAULT_SERVICE_PATH: &str = "/nes";

/// A URL the probe can use, with the warnings it raised.
#[derive(Debug)]
pub(crate) struct CheckedUrl {
    pub(crate) target: Target,
    pub(crate) warnings: Vec<Finding>,
    /// What was filled in, for the stage detail.
    pub(crate) notes: Vec<String>,
}

/// The URL as given, safe to echo: credentials in the authority are
/// replaced with `***`, and the text is capped.
pub(crate) fn redact(input: &str) -> String {
    let input = input.trim();
    let Some(scheme_end) = input.find("://") else {
        return cap_text(input, MAX_TEXT);
    };
    let rest = &input[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let redacted = match authority.rfind('@') {
        Some(at) => format!(
            "{}***@{}{}",
            &input[..scheme_end + 3],
            &authority[at + 1..],
            &rest[authority_end..]
        ),
        None => input.to_owned(),
    };
    cap_text(&redacted, MAX_TEXT)
}

/// Checks `input` and returns the target, or the `NES_URL_INVALID` finding
/// (boxed: a finding is large next to the target).
pub(crate) fn check(input: &str) -> Result<CheckedUrl, Box<Finding>> {
    let shown = redact(input);
    let invalid = |why: &str| {
        Box::new(
            Finding::new(
                ids::NES_URL_INVALID,
                Severity::Error,
                "The NES URL is not usable",
                format!("The NES URL '{shown}' cannot be probed: {why}."),
            )
            .with_evidence("url", &shown)
            .with_remediation(
                "Use the form https://<nes-fqdn>/<service-mapping-name>, for example \
             https://nes.corp.example/nes, as set in the NES Administrator Console.",
            )
            .with_ref("nymi-domain.md §5 check A"),
        )
    };

    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(invalid("it is empty"));
    }
    let mut notes = Vec::new();
    let text = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        notes.push("no scheme given; https:// assumed".to_owned());
        format!("https://{trimmed}")
    };
    let mut url = url::Url::parse(&text).map_err(|e| invalid(&e.to_string()))?;
    let scheme = url.scheme().to_owned();
    if scheme != "https" && scheme != "http" {
        return Err(invalid(&format!(
            "the scheme is '{scheme}', NES is reached over https (or http)"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "it contains credentials; NES URLs never carry them and the probe sends none",
        ));
    }
    let (host, host_kind) = match url.host() {
        Some(url::Host::Domain(d)) => {
            let kind = if d.trim_end_matches('.').contains('.') {
                HostKind::Fqdn
            } else {
                HostKind::ShortName
            };
            (d.to_owned(), kind)
        }
        Some(url::Host::Ipv4(a)) => (a.to_string(), HostKind::Ipv4),
        Some(url::Host::Ipv6(a)) => (a.to_string(), HostKind::Ipv6),
        None => return Err(invalid("it has no host")),
    };
    let port = url
        .port_or_known_default()
        .ok_or_else(|| invalid("it has no port"))?;
    if port == 0 {
        return Err(invalid("port 0 cannot be connected to"));
    }
    if url.path().is_empty() || url.path() == "/" {
        url.set_path(DEFAULT_SERVICE_PATH);
        notes.push(format!(
            "no service path given; the default {DEFAULT_SERVICE_PATH} was used"
        ));
    }
    url.set_fragment(None);
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };

    let mut warnings = Vec::new();
    if scheme == "http" {
        warnings.push(
            Finding::new(
                ids::NES_URL_NOT_HTTPS,
                Severity::Warning,
                "The NES URL uses http://",
                format!(
                    "'{}' is plain HTTP: requests and Windows authentication travel \
                     unencrypted, and the TLS checks do not apply. NES is normally \
                     published over https on port 443.",
                    url
                ),
            )
            .with_evidence("url", url.as_str())
            .with_remediation(
                "Unless NES is deliberately deployed on http, configure \
                 https://<nes-fqdn>/<svc> on the terminal.",
            )
            .with_ref("nymi-domain.md §1 NES"),
        );
    }
    match host_kind {
        HostKind::Ipv4 | HostKind::Ipv6 => warnings.push(
            Finding::new(
                ids::NES_URL_IP_LITERAL,
                Severity::Warning,
                "The NES URL names an IP address",
                format!(
                    "The URL names {host} instead of the NES FQDN. The NES certificate \
                     rarely lists IP addresses, and Kerberos finds no HTTP/<name> SPN for \
                     an address, so Windows authentication falls back to NTLM or fails."
                ),
            )
            .with_evidence("host", &host)
            .with_remediation("Configure the NES FQDN (as in its certificate) on the terminal.")
            .with_ref("nymi-domain.md §5 check A"),
        ),
        // `localhost` is the loopback name, not a short name for NES.
        HostKind::ShortName if !host.eq_ignore_ascii_case("localhost") => warnings.push(
            Finding::new(
                ids::NES_URL_SHORT_NAME,
                Severity::Warning,
                "The NES URL names a short host name",
                format!(
                    "'{host}' is a single-label name. It resolves only through DNS \
                     suffixes, the NES certificate usually names the FQDN, and the \
                     Kerberos SPN is registered for HTTP/<fqdn>."
                ),
            )
            .with_evidence("host", &host)
            .with_remediation("Configure the NES FQDN on the terminal.")
            .with_ref("nymi-domain.md §5 check A"),
        ),
        _ => {}
    }

    Ok(CheckedUrl {
        target: Target {
            url: url.to_string(),
            scheme,
            host,
            host_kind,
            port,
            path,
        },
        warnings,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(c: &CheckedUrl) -> Vec<&str> {
        c.warnings.iter().map(|f| f.id.as_str()).collect()
    }

    #[test]
    fn fills_port_and_default_path() {
        let c = check("https://nes.corp.example").unwrap();
        assert_eq!(c.target.url, "https://nes.corp.example/nes");
        assert_eq!(c.target.port, 443);
        assert_eq!(c.target.path, "/nes");
        assert_eq!(c.target.host_kind, HostKind::Fqdn);
        assert!(c.warnings.is_empty());

        let c = check("https://nes.corp.example:8443/nymi/").unwrap();
        assert_eq!(c.target.port, 8443);
        assert_eq!(c.target.path, "/nymi/");
    }

    #[test]
    fn a_bare_host_means_https_and_nes() {
        let c = check("  nes.corp.example ").unwrap();
        assert_eq!(c.target.url, "https://nes.corp.example/nes");
        assert_eq!(c.notes.len(), 2);
    }

    #[test]
    fn warns_on_http_ip_and_short_names() {
        let c = check("http://nes.corp.example/nes").unwrap();
        assert_eq!(c.target.port, 80);
        assert_eq!(ids(&c), [ids::NES_URL_NOT_HTTPS]);

        let c = check("https://10.20.0.15/nes").unwrap();
        assert_eq!(c.target.host_kind, HostKind::Ipv4);
        assert_eq!(ids(&c), [ids::NES_URL_IP_LITERAL]);

        let c = check("https://[::1]:8443/nes").unwrap();
        assert_eq!(c.target.host, "::1");
        assert_eq!(c.target.host_kind, HostKind::Ipv6);

        let c = check("https://nes/nes").unwrap();
        assert_eq!(ids(&c), [ids::NES_URL_SHORT_NAME]);

        let c = check("https://localhost:1/nes").unwrap();
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn rejects_what_cannot_be_probed() {
        for bad in [
            "",
            "ftp://nes.corp.example/",
            "https://",
            "https://nes.corp.example:99999/",
            "https://nes.corp.example:0/",
            "https://user:secret@nes.corp.example/nes",
        ] {
            let f = check(bad).unwrap_err();
            assert_eq!(f.id, ids::NES_URL_INVALID, "{bad}");
            assert!(!f.detail.contains("secret"), "{}", f.detail);
        }
    }

    #[test]
    fn redacts_credentials() {
        assert_eq!(
            redact("https://u:p@nes.example/nes?x=1"),
            "https://***@nes.example/nes?x=1"
        );
        assert_eq!(redact("https://nes.example/a@b"), "https://nes.example/a@b");
        assert_eq!(redact("not a url"), "not a url");
    }
}
