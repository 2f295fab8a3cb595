//! URL stage: read the NES URL the way the terminal's configuration states
//! it, fill in the documented defaults, and warn about shapes that break
//! TLS names or Kerberos (`http://`, IP literals, short names).
//!
//! It is also the one home of URL parsing for NES purposes: [`normalize`]
//! repairs and cleans a URL-ish text found in a log or given by a user,
//! and [`normalize_nes_candidate`] additionally turns away URLs that are
//! certainly not the NES (CRL, OCSP and AIA locations, XML schema names).
//! The log scanner's `nes_url` normaliser and the probe's URL stage both
//! use them.

use std::net::IpAddr;

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

/// Why a URL-ish text is not usable as an NES URL. [`Rejection::code`] is
/// the stable word reports carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// Nothing left once quotes, brackets and punctuation are removed.
    Empty,
    /// The text does not parse as a URL.
    Malformed,
    /// A scheme other than `http` or `https`.
    Scheme,
    /// No host.
    NoHost,
    /// The host is `http` or `https`: a scheme misread as a host.
    SchemeAsHost,
    /// The host is neither a valid DNS name nor an IP literal.
    BadHost,
    /// The host is a bare or shortened number (`7`, `10.1`, `0x7f`),
    /// which URL parsers read as an IPv4 address.
    BareNumber,
    /// The host is `0.0.0.0` or `::`, which names no server.
    UnspecifiedAddress,
    /// Port 0, or a port outside 1..=65535.
    BadPort,
    /// A certificate revocation list location.
    Crl,
    /// An OCSP responder.
    Ocsp,
    /// An authority information access location (CA certificates).
    Aia,
    /// A PKI publication folder (`/CertEnroll/`, `/pki/`).
    Pki,
    /// A well-known name that is never an NES (XML schemas, Windows
    /// certificate trust list downloads).
    WellKnown,
}

impl Rejection {
    /// Stable lower-case word for reports.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Rejection::Empty => "empty",
            Rejection::Malformed => "malformed",
            Rejection::Scheme => "scheme",
            Rejection::NoHost => "no_host",
            Rejection::SchemeAsHost => "scheme_as_host",
            Rejection::BadHost => "bad_host",
            Rejection::BareNumber => "bare_number",
            Rejection::UnspecifiedAddress => "unspecified_address",
            Rejection::BadPort => "bad_port",
            Rejection::Crl => "crl",
            Rejection::Ocsp => "ocsp",
            Rejection::Aia => "aia",
            Rejection::Pki => "pki",
            Rejection::WellKnown => "well_known",
        }
    }
}

/// A rejected URL: why, in a word and a phrase, and the text safe to show
/// (credentials, query and fragment never included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UrlRejected {
    pub(crate) rejection: Rejection,
    /// Completes "cannot be used: ...".
    pub(crate) why: String,
    /// The URL as far as it could be cleaned, or the input with any
    /// credentials replaced by `***`.
    pub(crate) shown: String,
}

/// A URL after [`normalize`].
#[derive(Clone, Debug)]
pub(crate) struct NormalizedUrl {
    /// Canonical text: lower-case scheme and host, no credentials, query
    /// or fragment, default port left out, no trailing `/` (a root path is
    /// left out entirely): `https://nes.corp.example/nes`.
    pub(crate) url: String,
    /// The parsed URL without credentials, query or fragment; the path as
    /// given (a trailing `/` kept).
    pub(crate) parsed: url::Url,
    /// The host (IPv6 without brackets, IDNs in punycode).
    pub(crate) host: String,
    /// What kind of host it is.
    pub(crate) host_kind: HostKind,
    /// The port, explicit or the scheme's default.
    pub(crate) port: u16,
    /// Whether the input carried `user[:password]@` (removed).
    pub(crate) had_credentials: bool,
    /// What was repaired or removed, in words, for stage details.
    pub(crate) notes: Vec<String>,
}

/// Hosts (and their sub-domains) that name XML schemas, standards bodies
/// or Windows' certificate trust list downloads: they appear in logs and
/// configuration but are never an NES.
const WELL_KNOWN_HOSTS: &[&str] = &[
    "w3.org",
    "schemas.microsoft.com",
    "schemas.xmlsoap.org",
    "schemas.openxmlformats.org",
    "json-schema.org",
    "purl.org",
    "xmlns.com",
    "docs.oasis-open.org",
    "ctldl.windowsupdate.com",
];

/// File extensions of certificate-infrastructure downloads.
const CRL_EXTENSIONS: &[&str] = &[".crl"];
const AIA_EXTENSIONS: &[&str] = &[".crt", ".cer", ".p7b", ".p7c"];

/// Repairs and cleans a URL-ish text (from a log or a user) and checks its
/// host; see [`NormalizedUrl::url`] for the canonical form.
///
/// Repairs: surrounding whitespace, quotes, brackets and trailing
/// punctuation (`.`, `,`, `;`, `:`, `!`, `?`, and `)`, `]`, `}` or `>`
/// without their opening partner); JSON-escaped slashes (`\/`) and
/// backslashes (`https:\\host\nes`) read as slashes; one or three slashes
/// after the scheme (`https:/host`); scheme and host case; a missing
/// scheme (`https://` assumed). Removes credentials, query and fragment.
/// Rejects an empty text, other schemes, an empty host, `http`/`https` as
/// host, a host that is neither a DNS name (letters, digits, hyphens;
/// labels of 1 to 63 characters) nor an IP literal, a bare or shortened
/// number as host, `0.0.0.0` and `::`, and port 0. Nothing it returns
/// contains the credentials.
pub(crate) fn normalize(raw: &str) -> Result<NormalizedUrl, UrlRejected> {
    let mut notes = Vec::new();
    let unwrapped = strip_wrapping(raw);
    let shown = redact(&unwrapped).replace('\\', "/");
    let reject = |rejection: Rejection, why: String| UrlRejected {
        rejection,
        why,
        shown: shown.clone(),
    };
    if unwrapped.is_empty() {
        return Err(reject(Rejection::Empty, "it is empty".to_owned()));
    }
    if unwrapped.len() < raw.trim().len() {
        notes.push("surrounding quotes, brackets or punctuation removed".to_owned());
    }
    // Credentials go first: a domain user (`CORP\jdoe`) would otherwise
    // turn into a host and a path once backslashes are read as slashes.
    let (unwrapped, had_userinfo) = match userinfo_span(&unwrapped) {
        Some((start, at)) => (
            format!("{}{}", &unwrapped[..start], &unwrapped[at + 1..]),
            true,
        ),
        None => (unwrapped, false),
    };
    let mut text = unwrapped.replace("\\/", "/");
    if text.contains('\\') {
        text = text.replace('\\', "/");
        notes.push("backslashes read as slashes".to_owned());
    }
    let text = match split_scheme(&text) {
        Some((scheme, rest)) => {
            let scheme = scheme.to_ascii_lowercase();
            if scheme != "http" && scheme != "https" {
                return Err(reject(
                    Rejection::Scheme,
                    format!(
                        "the scheme is '{}', NES is reached over https (or http)",
                        cap_text(&scheme, 32)
                    ),
                ));
            }
            let slashes = rest.len() - rest.trim_start_matches('/').len();
            if slashes != 2 {
                notes.push(format!("{slashes} slash(es) after '{scheme}:' read as two"));
            }
            format!("{scheme}://{}", rest.trim_start_matches('/'))
        }
        None => {
            notes.push("no scheme given; https:// assumed".to_owned());
            format!("https://{}", text.trim_start_matches('/'))
        }
    };
    let host_text = raw_host(&text);
    if host_text.is_empty() {
        return Err(reject(Rejection::NoHost, "it has no host".to_owned()));
    }
    if host_text.eq_ignore_ascii_case("http") || host_text.eq_ignore_ascii_case("https") {
        return Err(reject(
            Rejection::SchemeAsHost,
            format!("its host is '{host_text}', a scheme read as a host name"),
        ));
    }
    if is_shortened_number(host_text) {
        return Err(reject(
            Rejection::BareNumber,
            format!(
                "its host '{}' is a bare number, not a host name or a full IPv4 address",
                cap_text(host_text, 64)
            ),
        ));
    }
    let mut url =
        url::Url::parse(&text).map_err(|e| reject(Rejection::Malformed, e.to_string()))?;
    let had_credentials = had_userinfo || !url.username().is_empty() || url.password().is_some();
    if had_credentials {
        // Both succeed on a URL with a host.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        notes.push("credentials removed".to_owned());
    }
    if url.query().is_some() {
        url.set_query(None);
        notes.push("query removed".to_owned());
    }
    if url.fragment().is_some() {
        url.set_fragment(None);
        notes.push("fragment removed".to_owned());
    }
    let reject = |rejection: Rejection, why: String| UrlRejected {
        rejection,
        why,
        shown: cap_text(url.as_str(), MAX_TEXT),
    };
    let (host, host_kind) = match url.host() {
        Some(url::Host::Domain(d)) => {
            if !is_dns_name(d) {
                return Err(reject(
                    Rejection::BadHost,
                    format!("'{}' is not a valid DNS name", cap_text(d, 64)),
                ));
            }
            let kind = if d.trim_end_matches('.').contains('.') {
                HostKind::Fqdn
            } else {
                HostKind::ShortName
            };
            (d.to_owned(), kind)
        }
        Some(url::Host::Ipv4(a)) => (a.to_string(), HostKind::Ipv4),
        Some(url::Host::Ipv6(a)) => (a.to_string(), HostKind::Ipv6),
        None => return Err(reject(Rejection::NoHost, "it has no host".to_owned())),
    };
    if host.parse::<IpAddr>().is_ok_and(|ip| ip.is_unspecified()) {
        return Err(reject(
            Rejection::UnspecifiedAddress,
            format!("its host {host} is the unspecified address, which names no server"),
        ));
    }
    let port = match url.port_or_known_default() {
        Some(0) | None => {
            return Err(reject(
                Rejection::BadPort,
                "port 0 cannot be connected to".to_owned(),
            ));
        }
        Some(p) => p,
    };
    let path = url.path().trim_end_matches('/');
    let authority = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let canonical = format!("{}://{authority}{path}", url.scheme());
    Ok(NormalizedUrl {
        url: canonical,
        parsed: url,
        host,
        host_kind,
        port,
        had_credentials,
        notes,
    })
}

/// [`normalize`], then turns away URLs that are certainly not the NES:
/// certificate revocation lists, OCSP responders, CA certificate (AIA)
/// and PKI publication locations, and [`WELL_KNOWN_HOSTS`].
pub(crate) fn normalize_nes_candidate(raw: &str) -> Result<NormalizedUrl, UrlRejected> {
    let n = normalize(raw)?;
    match not_nes(&n) {
        Some((rejection, why)) => Err(UrlRejected {
            rejection,
            why: why.to_owned(),
            shown: cap_text(&n.url, MAX_TEXT),
        }),
        None => Ok(n),
    }
}

/// Why a normalised URL is certainly not the NES, if it is not.
fn not_nes(n: &NormalizedUrl) -> Option<(Rejection, &'static str)> {
    let host = n.host.to_ascii_lowercase();
    let path = n.parsed.path().to_ascii_lowercase();
    let ends = |exts: &[&str]| exts.iter().any(|e| path.ends_with(e));
    if WELL_KNOWN_HOSTS
        .iter()
        .any(|w| host == *w || host.ends_with(&format!(".{w}")))
    {
        return Some((
            Rejection::WellKnown,
            "it is a well-known schema or Windows update name",
        ));
    }
    if host.starts_with("ocsp.") || path.contains("/ocsp") {
        return Some((Rejection::Ocsp, "it is an OCSP responder"));
    }
    if ends(CRL_EXTENSIONS) || host.starts_with("crl.") || path.contains("/crl") {
        return Some((
            Rejection::Crl,
            "it is a certificate revocation list location",
        ));
    }
    if ends(AIA_EXTENSIONS) || path.contains("/aia") {
        return Some((Rejection::Aia, "it is a CA certificate (AIA) location"));
    }
    if path.contains("/certenroll/")
        || path.contains("/pki/")
        || path.ends_with("/pki")
        || path.ends_with("/certenroll")
    {
        return Some((Rejection::Pki, "it is a PKI publication folder"));
    }
    None
}

/// Removes whitespace, quotes, brackets and trailing punctuation around a
/// URL, repeatedly; a closing bracket stays when it closes one inside
/// (`https://[::1]`, `https://x/a(b)`).
fn strip_wrapping(raw: &str) -> String {
    let count = |s: &str, c: char| s.matches(c).count();
    let mut s = raw.trim();
    loop {
        let before = s;
        if let Some(first) = s.chars().next() {
            let closer = match first {
                '(' => Some(')'),
                '[' => Some(']'),
                '{' => Some('}'),
                '<' => Some('>'),
                _ => None,
            };
            if matches!(first, '"' | '\'' | '`') {
                s = &s[1..];
            } else if let Some(c) = closer {
                // `[` also opens an IPv6 host (`[::1]:8443`): only a
                // bracket around a whole URL goes.
                let around_url =
                    s.ends_with(c) && (first != '[' || s.contains(":/") || s.contains(":\\"));
                if count(s, first) > count(s, c) || around_url {
                    s = &s[1..];
                }
            }
        }
        if let Some(last) = s.chars().last() {
            let opener = match last {
                ')' => Some('('),
                ']' => Some('['),
                '}' => Some('{'),
                '>' => Some('<'),
                _ => None,
            };
            let unbalanced = opener.is_some_and(|o| count(s, last) > count(s, o));
            if matches!(last, '"' | '\'' | '`' | '.' | ',' | ';' | ':' | '!' | '?') || unbalanced {
                s = &s[..s.len() - last.len_utf8()];
            }
        }
        s = s.trim();
        if s == before {
            return s.to_owned();
        }
    }
}

/// `(scheme, rest)` when the text starts with a scheme. A `host:port`
/// (`nes.corp.example:8443/nes`) and `user:password@host` are not schemes.
fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let colon = text.find(':')?;
    let (scheme, rest) = (&text[..colon], &text[colon + 1..]);
    let mut chars = scheme.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !chars.all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    {
        return None;
    }
    if rest.starts_with('/') {
        return Some((scheme, rest));
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if rest.starts_with(|c: char| c.is_ascii_digit()) || rest[..authority_end].contains('@') {
        return None;
    }
    Some((scheme, rest))
}

/// The host as written, between `scheme://[userinfo@]` and `[:port]/`.
fn raw_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.starts_with('[') {
        return host_port.find(']').map_or(host_port, |i| &host_port[..=i]);
    }
    host_port.split(':').next().unwrap_or_default()
}

/// A number URL parsers would read as an IPv4 address although it is not
/// written as one: `7`, `10.1`, `0x7f000001`, `010.0.0.1`.
fn is_shortened_number(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host.is_empty() {
        return false;
    }
    let parts: Vec<&str> = host.split('.').collect();
    let numeric = |p: &str| {
        !p.is_empty()
            && (p.bytes().all(|b| b.is_ascii_digit())
                || (p.len() > 2
                    && p[..2].eq_ignore_ascii_case("0x")
                    && p[2..].bytes().all(|b| b.is_ascii_hexdigit())))
    };
    // Only a last label that is a number makes a URL parser read the host
    // as IPv4; `1e100.net` stays a name.
    if !parts.last().is_some_and(|p| numeric(p)) {
        return false;
    }
    let canonical = parts.len() == 4
        && parts.iter().all(|p| {
            p.bytes().all(|b| b.is_ascii_digit()) && (p.len() == 1 || !p.starts_with('0'))
        });
    !canonical
}

/// A host name: dot-separated labels of letters, digits and hyphens, 1 to
/// 63 characters each, not starting or ending with a hyphen; 253
/// characters at most; one trailing dot allowed.
fn is_dns_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// The URL as given, safe to echo: credentials in the authority are
/// replaced with `***`, and the text is capped.
pub(crate) fn redact(input: &str) -> String {
    let input = input.trim();
    let redacted = match userinfo_span(input) {
        Some((start, at)) => format!("{}***{}", &input[..start], &input[at..]),
        None => input.to_owned(),
    };
    cap_text(&redacted, MAX_TEXT)
}

/// Where the user information of a URL-ish text is: from the start of
/// the authority (after `scheme:` and its slashes or backslashes, or the
/// start of the text) to its last `@` before the first `/`, `?`, `#` or
/// space. A backslash does not end it: `https://CORP\jdoe:pw@host` and
/// `https:\\CORP\jdoe:pw@host\nes` both hold credentials.
fn userinfo_span(text: &str) -> Option<(usize, usize)> {
    let start = text
        .find(':')
        .filter(|&c| {
            let scheme = &text[..c];
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "+.-".contains(ch))
                && text[c + 1..].starts_with(['/', '\\'])
        })
        .map_or(0, |c| {
            let rest = &text[c + 1..];
            c + 1 + rest.len() - rest.trim_start_matches(['/', '\\']).len()
        });
    let rest = &text[start..];
    let end = rest
        .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
        .unwrap_or(rest.len());
    rest[..end].rfind('@').map(|at| (start, start + at))
}

/// `host:port`, with an IPv6 host in brackets (`[::1]:8443`).
pub(crate) fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Checks `input` and returns the target, or the `NES_URL_INVALID` finding
/// (boxed: a finding is large next to the target). The URL goes through
/// [`normalize`] (repairs, host checks); credentials make it invalid (the
/// finding shows the URL without them), the query and fragment are dropped.
pub(crate) fn check(input: &str) -> Result<CheckedUrl, Box<Finding>> {
    let invalid = |shown: &str, why: &str| {
        Box::new(
            Finding::new(
                ids::NES_URL_INVALID,
                Severity::Error,
                "The NES URL is not usable",
                format!("The NES URL '{shown}' cannot be probed: {why}."),
            )
            .with_evidence("url", shown)
            .with_remediation(
                "Use the form https://<nes-fqdn>/<service-mapping-name>, for example \
             https://nes.corp.example/nes, as set in the NES Administrator Console.",
            )
            .with_ref("nymi-domain.md §5 check A"),
        )
    };
    let n = normalize(input).map_err(|r| invalid(&r.shown, &r.why))?;
    if n.had_credentials {
        return Err(invalid(
            &cap_text(n.parsed.as_str(), MAX_TEXT),
            "it contains credentials; NES URLs never carry them and the probe sends none",
        ));
    }
    let NormalizedUrl {
        parsed: mut url,
        host,
        host_kind,
        port,
        mut notes,
        ..
    } = n;
    let scheme = url.scheme().to_owned();
    if url.path().is_empty() || url.path() == "/" {
        url.set_path(DEFAULT_SERVICE_PATH);
        notes.push(format!(
            "no service path given; the default {DEFAULT_SERVICE_PATH} was used"
        ));
    }
    let path = url.path().to_owned();

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
            authority: host_port(&host, port),
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

    /// Expected result of one normaliser input: the canonical URL, or the
    /// rejection code.
    enum Want {
        Url(&'static str),
        Rejected(&'static str),
    }
    use Want::{Rejected, Url};

    const NES: &str = "https://nes.corp.example/nes";

    /// Every repair, strip and reject class, several spellings each.
    fn table() -> Vec<(&'static str, Want)> {
        vec![
            // Backslashes, JSON-escaped slashes, slash counts.
            (r"https:\\nes.corp.example\nes", Url(NES)),
            (r"https:\\nes.corp.example\nes\", Url(NES)),
            (r"HTTPS:\\NES.CORP.EXAMPLE\nes\", Url(NES)),
            (r"https:\/\/nes.corp.example\/nes", Url(NES)),
            (r"https:\\nes.corp.example/nes", Url(NES)),
            ("https:/nes.corp.example/nes", Url(NES)),
            ("https:///nes.corp.example/nes", Url(NES)),
            ("https:nes.corp.example/nes", Url(NES)),
            // Scheme and host case.
            ("HTTPS://NES.CORP.EXAMPLE/nes", Url(NES)),
            ("Https://Nes.Corp.Example/nes", Url(NES)),
            (
                "HTTPS://NES.CORP.EXAMPLE/NES",
                Url("https://nes.corp.example/NES"),
            ),
            // Quotes, brackets, trailing punctuation.
            ("\"https://nes.corp.example/nes\"", Url(NES)),
            ("'https://nes.corp.example/nes'", Url(NES)),
            ("`https://nes.corp.example/nes`", Url(NES)),
            ("<https://nes.corp.example/nes>", Url(NES)),
            ("(https://nes.corp.example/nes)", Url(NES)),
            ("[https://nes.corp.example/nes]", Url(NES)),
            ("{https://nes.corp.example/nes}", Url(NES)),
            ("  https://nes.corp.example/nes.  ", Url(NES)),
            ("https://nes.corp.example/nes,", Url(NES)),
            ("https://nes.corp.example/nes;", Url(NES)),
            ("https://nes.corp.example/nes)", Url(NES)),
            ("https://nes.corp.example/nes).", Url(NES)),
            ("https://nes.corp.example/nes'", Url(NES)),
            ("https://nes.corp.example/nes\"", Url(NES)),
            ("https://nes.corp.example/nes\",", Url(NES)),
            ("('https://nes.corp.example/nes');", Url(NES)),
            (
                "https://nes.corp.example/a(b)",
                Url("https://nes.corp.example/a(b)"),
            ),
            // Trailing slash, default port, root path, no scheme.
            ("https://nes.corp.example/nes/", Url(NES)),
            ("https://nes.corp.example/nes//", Url(NES)),
            ("https://nes.corp.example:443/nes/", Url(NES)),
            (
                "http://nes.corp.example:80/nes",
                Url("http://nes.corp.example/nes"),
            ),
            (
                "https://nes.corp.example:8443/nes/",
                Url("https://nes.corp.example:8443/nes"),
            ),
            ("https://nes.corp.example/", Url("https://nes.corp.example")),
            ("https://nes.corp.example", Url("https://nes.corp.example")),
            ("nes.corp.example/nes", Url(NES)),
            (
                "nes.corp.example:8443/nes",
                Url("https://nes.corp.example:8443/nes"),
            ),
            // IP literals.
            ("https://10.20.0.15/nes", Url("https://10.20.0.15/nes")),
            ("https://[::1]:8443/nes", Url("https://[::1]:8443/nes")),
            (
                "https://[0:0:0:0:0:0:0:1]:8443/nes/",
                Url("https://[::1]:8443/nes"),
            ),
            ("[::1]:8443/nes", Url("https://[::1]:8443/nes")),
            // Credentials, query and fragment are removed.
            ("https://user:S3cret@nes.corp.example/nes", Url(NES)),
            ("https://CORP%5Cjdoe:S3cret@nes.corp.example/nes/", Url(NES)),
            ("https://jdoe@nes.corp.example/nes", Url(NES)),
            ("https://us:p@S3cret@nes.corp.example/nes", Url(NES)),
            (r"https:\\jdoe:S3cret@nes.corp.example\nes", Url(NES)),
            ("jdoe:S3cret@nes.corp.example/nes", Url(NES)),
            (r"https://CORP\jdoe:S3cret@nes.corp.example/nes", Url(NES)),
            (r"https:\\CORP\jdoe:S3cret@nes.corp.example\nes\", Url(NES)),
            (r"https:\/\/jdoe:S3cret@nes.corp.example\/nes", Url(NES)),
            ("https://nes.corp.example/nes?token=S3cret", Url(NES)),
            ("https://nes.corp.example/nes#S3cret", Url(NES)),
            (
                "https://nes.corp.example/nes/?a=1&password=S3cret#x",
                Url(NES),
            ),
            // Rejected: empty, scheme, host.
            ("", Rejected("empty")),
            ("  \"\" ", Rejected("empty")),
            ("()", Rejected("empty")),
            ("ftp://nes.corp.example/nes", Rejected("scheme")),
            ("ftp://jdoe:S3cret@nes.corp.example/nes", Rejected("scheme")),
            (r"https:\\CORP\jdoe:S3cret@7\nes", Rejected("bare_number")),
            (
                "https://jdoe:S3cret@pki.corp.example/ca.crl",
                Rejected("crl"),
            ),
            ("ldap:///CN=Corp-CA,CN=AIA,DC=corp", Rejected("scheme")),
            ("file:///C:/Windows/x.log", Rejected("scheme")),
            ("ws://127.0.0.1:9120/socket/websocket", Rejected("scheme")),
            ("https://", Rejected("no_host")),
            ("https:///", Rejected("no_host")),
            ("https://:443/nes", Rejected("no_host")),
            ("https://https/nes", Rejected("scheme_as_host")),
            (
                "https://http//nes.corp.example/nes",
                Rejected("scheme_as_host"),
            ),
            ("http://HTTPS:443/nes", Rejected("scheme_as_host")),
            ("https://nes_server.corp.example/nes", Rejected("bad_host")),
            ("https://-nes.corp.example/nes", Rejected("bad_host")),
            ("https://nes..corp.example/nes", Rejected("bad_host")),
            ("https://nes corp/nes", Rejected("malformed")),
            ("https://7/nes", Rejected("bare_number")),
            ("https://7", Rejected("bare_number")),
            ("7:443/nes", Rejected("bare_number")),
            ("http://10.1/nes", Rejected("bare_number")),
            ("https://0x7f000001/nes", Rejected("bare_number")),
            ("https://010.0.0.1/nes", Rejected("bare_number")),
            ("https://0.0.0.0/nes", Rejected("unspecified_address")),
            ("https://0.0.0.0:8443", Rejected("unspecified_address")),
            ("https://[::]/nes", Rejected("unspecified_address")),
            ("https://nes.corp.example:0/nes", Rejected("bad_port")),
            ("https://nes.corp.example:99999/nes", Rejected("malformed")),
            // Rejected for NES purposes: certificate infrastructure.
            (
                "http://pki.corp.example/CertEnroll/Corp-CA.crl",
                Rejected("crl"),
            ),
            (
                "http://pki.corp.example/CertEnroll/Corp%20Issuing%20CA(1).crl",
                Rejected("crl"),
            ),
            ("HTTP://CRL.CORP.EXAMPLE/ca", Rejected("crl")),
            ("http://pki.corp.example/crl/ca", Rejected("crl")),
            (
                "http://crl.microsoft.com/pki/crl/products/MicRooCerAut.crl",
                Rejected("crl"),
            ),
            (
                "http://pki.corp.example/CertEnroll/Corp-CA.crt",
                Rejected("aia"),
            ),
            ("http://pki.corp.example/certs/ca.cer", Rejected("aia")),
            ("http://pki.corp.example/certs/ca.P7B", Rejected("aia")),
            ("http://pki.corp.example/certs/ca.p7c", Rejected("aia")),
            ("http://pki.corp.example/aia/ca", Rejected("aia")),
            ("http://ocsp.corp.example", Rejected("ocsp")),
            ("http://pki.corp.example/ocsp", Rejected("ocsp")),
            (r"http:\\pki.corp.example\OCSP\", Rejected("ocsp")),
            ("http://pki.corp.example/CertEnroll/", Rejected("pki")),
            ("http://www.corp.example/pki/", Rejected("pki")),
            // Rejected for NES purposes: well-known names.
            (
                "http://www.w3.org/2001/XMLSchema-instance",
                Rejected("well_known"),
            ),
            ("http://w3.org/1999/xhtml", Rejected("well_known")),
            (
                "http://schemas.microsoft.com/win/2004/08/events/event",
                Rejected("well_known"),
            ),
            (
                "http://schemas.xmlsoap.org/soap/envelope/",
                Rejected("well_known"),
            ),
            (
                "http://ctldl.windowsupdate.com/msdownload/update/v3/static/trustedr/en/authrootstl.cab",
                Rejected("well_known"),
            ),
        ]
    }

    #[test]
    fn the_normaliser_repairs_strips_and_rejects() {
        let table = table();
        assert!(table.len() >= 40);
        for (input, want) in table {
            let got = normalize_nes_candidate(input);
            let text = format!("{got:?}");
            assert!(!text.contains("S3cret"), "{input}: {text}");
            match (want, got) {
                (Url(url), Ok(n)) => {
                    assert_eq!(n.url, url, "{input}");
                    assert!(!n.parsed.as_str().contains("S3cret"), "{input}");
                    assert_eq!(n.parsed.query(), None, "{input}");
                    assert_eq!(
                        n.had_credentials,
                        input.contains('@'),
                        "{input}: credentials"
                    );
                    // Normalising the result changes nothing.
                    assert_eq!(normalize(&n.url).unwrap().url, n.url, "{input}");
                }
                (Rejected(code), Err(r)) => {
                    assert_eq!(r.rejection.code(), code, "{input}: {}", r.why);
                    assert!(!r.why.is_empty(), "{input}");
                }
                (Url(url), Err(r)) => panic!("{input}: want {url}, rejected {r:?}"),
                (Rejected(code), Ok(n)) => panic!("{input}: want {code}, got {}", n.url),
            }
        }
    }

    #[test]
    fn certificate_urls_are_urls_but_not_nes_candidates() {
        for raw in [
            "http://pki.corp.example/CertEnroll/Corp-CA.crl",
            "http://ocsp.corp.example",
            "http://www.w3.org/2001/XMLSchema",
        ] {
            assert!(normalize(raw).is_ok(), "{raw}");
            assert!(normalize_nes_candidate(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn the_probe_uses_the_normaliser() {
        let c = check(r"https:\\nes.corp.example\nes\").unwrap();
        assert_eq!(c.target.url, "https://nes.corp.example/nes/");
        assert!(
            c.notes.iter().any(|n| n.contains("backslashes")),
            "{:?}",
            c.notes
        );
        let c = check("https://nes.corp.example/nes?token=abc").unwrap();
        assert_eq!(c.target.path, "/nes");
        assert!(!c.target.url.contains("abc"));
        for bad in ["https://7/nes", "https://0.0.0.0/nes", "https://https/nes"] {
            assert_eq!(check(bad).unwrap_err().id, ids::NES_URL_INVALID, "{bad}");
        }
        let f = check(r"https:\\jdoe:S3cret@nes.corp.example\nes").unwrap_err();
        assert!(f.detail.contains("credentials"), "{}", f.detail);
        let all = serde_json::to_string(&*f).unwrap();
        assert!(!all.contains("S3cret") && !all.contains("jdoe"), "{all}");
        assert!(all.contains("https://nes.corp.example/nes"), "{all}");
    }

    #[test]
    fn ipv6_authorities_are_bracketed() {
        let c = check("https://[::1]:8443/nes").unwrap();
        assert_eq!(c.target.authority, "[::1]:8443");
        let c = check("https://nes.corp.example/nes").unwrap();
        assert_eq!(c.target.authority, "nes.corp.example:443");
        assert_eq!(host_port("fe80::1", 80), "[fe80::1]:80");
    }

    #[test]
    fn redacts_credentials() {
        assert_eq!(
            redact("https://u:p@nes.example/nes?x=1"),
            "https://***@nes.example/nes?x=1"
        );
        assert_eq!(redact("https://nes.example/a@b"), "https://nes.example/a@b");
        assert_eq!(redact("not a url"), "not a url");
        assert_eq!(
            redact(r"https:\\u:p@nes.example\nes"),
            r"https:\\***@nes.example\nes"
        );
        assert_eq!(redact("u:p@nes.example/nes"), "***@nes.example/nes");
        assert_eq!(redact("http://proxy:8080"), "http://proxy:8080");
    }
}
