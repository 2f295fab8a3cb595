//! Proxy stages: decide whether NES is reached through a proxy (explicit,
//! or `HTTPS_PROXY`/`NO_PROXY`), and open the CONNECT tunnel through it.
//!
//! The Windows proxy settings (WinHTTP for services such as the NEA,
//! WinINET and PAC for users) are read by the PowerShell layer, which puts
//! them next to [`ProxyInfo`] for the same target.

use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::report::{Finding, Severity};

use super::ids;
use super::model::{HostKind, MAX_TEXT, ProxyInfo, ProxyMode, ProxySource, Target, cap_text};

/// Largest CONNECT response head read; a proxy sending more is broken.
const MAX_CONNECT_RESPONSE: usize = 8 * 1024;

/// A usable HTTP proxy.
#[derive(Clone, Debug)]
pub(crate) struct ProxyEndpoint {
    pub(crate) host: String,
    pub(crate) host_kind: HostKind,
    pub(crate) port: u16,
    /// The URL with credentials, for the HTTP client only; never reported.
    pub(crate) url: url::Url,
    /// `Basic` credentials from the URL, for the CONNECT request only.
    pub(crate) basic_auth: Option<String>,
}

/// The proxy decision.
#[derive(Debug)]
pub(crate) struct ProxyChoice {
    pub(crate) info: ProxyInfo,
    pub(crate) proxy: Option<ProxyEndpoint>,
}

/// Reads an environment variable; a seam so tests never touch the real
/// environment.
pub(crate) type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, ignoring empty values.
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Decides the proxy for `target`.
pub(crate) fn select(
    target: &Target,
    explicit: Option<&str>,
    use_env: bool,
    env: EnvLookup<'_>,
) -> Result<ProxyChoice, Box<Finding>> {
    let target_text = host_port(&target.host, target.port);
    let direct = |source: ProxySource,
                  variable: Option<String>,
                  no_proxy_match: Option<String>,
                  reason: String| ProxyChoice {
        info: ProxyInfo {
            mode: ProxyMode::Direct,
            source,
            url: None,
            variable,
            no_proxy_match,
            target: Some(target_text.clone()),
            reason,
        },
        proxy: None,
    };

    if let Some(text) = explicit.map(str::trim).filter(|t| !t.is_empty()) {
        let proxy = parse_proxy(text).map_err(|why| invalid(text, "the request's proxy", &why))?;
        return Ok(ProxyChoice {
            info: ProxyInfo {
                mode: ProxyMode::Proxy,
                source: ProxySource::Request,
                url: Some(redacted(&proxy.url)),
                variable: None,
                no_proxy_match: None,
                target: Some(target_text),
                reason: "the request named this proxy explicitly (NO_PROXY does not apply)"
                    .to_owned(),
            },
            proxy: Some(proxy),
        });
    }
    if !use_env {
        return Ok(direct(
            ProxySource::None,
            None,
            None,
            "no proxy requested and proxy environment variables are ignored \
             (use_env_proxy is false)"
                .to_owned(),
        ));
    }
    let candidates: &[&str] = if target.scheme == "https" {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    };
    let Some((variable, value)) = candidates
        .iter()
        .find_map(|v| env(v).map(|value| ((*v).to_owned(), value)))
    else {
        return Ok(direct(
            ProxySource::None,
            None,
            None,
            format!(
                "no proxy requested and none of {} is set",
                candidates.join(", ")
            ),
        ));
    };
    for no_proxy_var in ["NO_PROXY", "no_proxy"] {
        if let Some(list) = env(no_proxy_var)
            && let Some(entry) = no_proxy_match(&list, &target.host, target.port)
        {
            return Ok(direct(
                ProxySource::Environment,
                Some(no_proxy_var.to_owned()),
                Some(entry.clone()),
                format!(
                    "{variable} is set, but {no_proxy_var} entry '{entry}' matches the NES host"
                ),
            ));
        }
    }
    let proxy = parse_proxy(&value).map_err(|why| invalid(&value, &variable, &why))?;
    Ok(ProxyChoice {
        info: ProxyInfo {
            mode: ProxyMode::Proxy,
            source: ProxySource::Environment,
            url: Some(redacted(&proxy.url)),
            variable: Some(variable.clone()),
            no_proxy_match: None,
            target: Some(target_text),
            reason: format!("{variable} is set and no NO_PROXY entry matches the NES host"),
        },
        proxy: Some(proxy),
    })
}

fn invalid(text: &str, origin: &str, why: &str) -> Box<Finding> {
    let shown = super::url::redact(text);
    Box::new(
        Finding::new(
            ids::NES_PROXY_INVALID,
            Severity::Error,
            "The proxy setting is not usable",
            format!("{origin} '{shown}' is not a usable HTTP proxy: {why}."),
        )
        .with_evidence("proxy", &shown)
        .with_evidence("origin", origin)
        .with_remediation("Give the proxy as http://<host>:<port>, or remove the setting.")
        .with_ref("nymi-domain.md §5 check G"),
    )
}

/// `host:port`, with brackets around IPv6 literals.
pub(crate) fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn redacted(url: &url::Url) -> String {
    let mut shown = url.clone();
    if !shown.username().is_empty() || shown.password().is_some() {
        // Both setters only fail for URLs that cannot carry credentials,
        // and this one just did.
        let _ = shown.set_username("***");
        let _ = shown.set_password(None);
    }
    cap_text(shown.as_str(), MAX_TEXT)
}

/// Parses a proxy setting: `http://host[:port]` or `host:port`.
pub(crate) fn parse_proxy(text: &str) -> Result<ProxyEndpoint, String> {
    let text = text.trim();
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("http://{text}")
    };
    let url = url::Url::parse(&with_scheme).map_err(|e| e.to_string())?;
    if url.scheme() != "http" {
        return Err(format!(
            "the scheme is '{}'; the probe speaks to HTTP proxies (CONNECT over http://)",
            url.scheme()
        ));
    }
    let (host, host_kind) = match url.host() {
        Some(url::Host::Domain(d)) => (
            d.to_owned(),
            if d.contains('.') {
                HostKind::Fqdn
            } else {
                HostKind::ShortName
            },
        ),
        Some(url::Host::Ipv4(a)) => (a.to_string(), HostKind::Ipv4),
        Some(url::Host::Ipv6(a)) => (a.to_string(), HostKind::Ipv6),
        None => return Err("it has no host".to_owned()),
    };
    let port = url.port_or_known_default().unwrap_or(80);
    if port == 0 {
        return Err("port 0 cannot be connected to".to_owned());
    }
    let basic_auth = if url.username().is_empty() {
        None
    } else {
        let user = percent_decode(url.username());
        let pass = percent_decode(url.password().unwrap_or(""));
        Some(base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}")))
    };
    Ok(ProxyEndpoint {
        host,
        host_kind,
        port,
        url,
        basic_auth,
    })
}

/// Decodes `%XX` escapes (user names and passwords in proxy URLs).
fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            // Two hex digits make at most 255.
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `NO_PROXY` entry that matches `host`, if any: `*`, a domain (with or
/// without a leading `.` or `*.`, matching itself and its subdomains), an IP
/// address, or an IP network in CIDR form; an entry with a port matches only
/// that port.
pub(crate) fn no_proxy_match(list: &str, host: &str, port: u16) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host_ip: Option<IpAddr> = host.parse().ok();
    for raw in list.split([',', ' ', ';']) {
        let entry = raw.trim();
        if entry.is_empty() {
            continue;
        }
        if entry == "*" {
            return Some(entry.to_owned());
        }
        let (name, entry_port) = split_port(entry);
        if entry_port.is_some_and(|p| p != port) {
            continue;
        }
        let name = name.trim_matches(['[', ']']).to_ascii_lowercase();
        let matched = if let Some((net, prefix)) = name.split_once('/') {
            match (net.parse::<IpAddr>(), prefix.parse::<u8>(), host_ip) {
                (Ok(net), Ok(prefix), Some(ip)) => in_network(ip, net, prefix),
                _ => false,
            }
        } else if let Ok(ip) = name.parse::<IpAddr>() {
            host_ip == Some(ip)
        } else {
            let domain = name.trim_start_matches("*.").trim_start_matches('.');
            !domain.is_empty() && (host == domain || host.ends_with(&format!(".{domain}")))
        };
        if matched {
            return Some(entry.to_owned());
        }
    }
    None
}

/// Splits `host:port` (not IPv6 literals without brackets).
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        if let Some((addr, tail)) = rest.split_once(']') {
            let port = tail.strip_prefix(':').and_then(|p| p.parse().ok());
            return (addr, port);
        }
        return (entry, None);
    }
    if entry.matches(':').count() == 1 {
        let (name, port) = entry.split_once(':').unwrap_or((entry, ""));
        if let Ok(port) = port.parse() {
            return (name, Some(port));
        }
    }
    (entry, None)
}

fn in_network(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if prefix <= 32 => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if prefix <= 128 => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// How a CONNECT failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TunnelError {
    /// The proxy answered with a non-2xx status.
    Status(u16, String),
    /// No complete answer within the limit.
    Timeout,
    /// The proxy closed the connection without an answer.
    Closed,
    /// The answer is not HTTP.
    Malformed(String),
    /// A socket error.
    Io(String),
}

/// Sends `CONNECT host:port` on `stream` and reads the answer, within
/// `limit`. The answer is read byte by byte so that nothing of the tunnel's
/// payload is consumed.
pub(crate) fn open_tunnel(
    stream: &mut TcpStream,
    host: &str,
    port: u16,
    basic_auth: Option<&str>,
    limit: Duration,
) -> Result<(), TunnelError> {
    let end = Instant::now() + limit;
    let authority = host_port(host, port);
    let mut request = format!(
        "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: nymidiag/{}\r\n",
        crate::TOOL_VERSION
    );
    if let Some(auth) = basic_auth {
        request.push_str(&format!("Proxy-Authorization: Basic {auth}\r\n"));
    }
    request.push_str("\r\n");
    set_timeouts(stream, end).map_err(|_| TunnelError::Timeout)?;
    stream
        .write_all(request.as_bytes())
        .map_err(|e| io_error(&e))?;

    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_CONNECT_RESPONSE {
            return Err(TunnelError::Malformed(format!(
                "the answer head is longer than {MAX_CONNECT_RESPONSE} bytes"
            )));
        }
        set_timeouts(stream, end).map_err(|_| TunnelError::Timeout)?;
        match stream.read(&mut byte) {
            Ok(0) => return Err(TunnelError::Closed),
            Ok(_) => head.push(byte[0]),
            Err(e) => return Err(io_error(&e)),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let status_line = text.lines().next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let code = parts.next().and_then(|c| c.parse::<u16>().ok());
    let reason = cap_text(parts.next().unwrap_or("").trim(), 128);
    match code {
        Some(code) if version.starts_with("HTTP/") => {
            if (200..300).contains(&code) {
                Ok(())
            } else {
                Err(TunnelError::Status(code, reason))
            }
        }
        _ => Err(TunnelError::Malformed(cap_text(status_line, 128))),
    }
}

/// Sets read and write timeouts to what is left until `end`.
pub(crate) fn set_timeouts(stream: &TcpStream, end: Instant) -> Result<(), ()> {
    let left = end.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(());
    }
    // A zero duration is an error for the socket API; `left` is not zero.
    stream.set_read_timeout(Some(left)).map_err(|_| ())?;
    stream.set_write_timeout(Some(left)).map_err(|_| ())
}

fn io_error(e: &std::io::Error) -> TunnelError {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => TunnelError::Timeout,
        std::io::ErrorKind::UnexpectedEof => TunnelError::Closed,
        _ => TunnelError::Io(cap_text(&e.to_string(), MAX_TEXT)),
    }
}

/// The finding for a failed CONNECT.
pub(crate) fn tunnel_finding(
    proxy: &str,
    target: &str,
    error: &TunnelError,
    limit_ms: u64,
    by_deadline: bool,
) -> Finding {
    let (detail, remediation, status) = match error {
        TunnelError::Status(407, reason) => (
            format!(
                "The proxy {proxy} asked for authentication (407 {reason}) before opening a \
                 tunnel to {target}. The NEA runs as LocalSystem and cannot answer a proxy \
                 challenge."
            ),
            "Exempt NES from the proxy (bypass list / NO_PROXY), or allow unauthenticated \
             CONNECT to it.",
            Some(407),
        ),
        TunnelError::Status(code, reason) if *code >= 500 => (
            format!(
                "The proxy {proxy} could not reach {target} ({code} {reason}): the proxy \
                 cannot resolve or connect to NES."
            ),
            "Internal servers such as NES are usually reached directly: add NES to the \
             proxy bypass list, or let the proxy reach it.",
            Some(*code),
        ),
        TunnelError::Status(code, reason) => (
            format!("The proxy {proxy} refused the tunnel to {target} ({code} {reason})."),
            "Allow CONNECT to NES on the proxy, or add NES to the proxy bypass list.",
            Some(*code),
        ),
        TunnelError::Timeout => (
            format!(
                "The proxy {proxy} did not answer the CONNECT request for {target} within \
                 {limit_ms} ms{}.",
                if by_deadline {
                    " (cut short by the overall deadline)"
                } else {
                    ""
                }
            ),
            "Check the proxy, or reach NES directly (bypass list / NO_PROXY).",
            None,
        ),
        TunnelError::Closed => (
            format!(
                "The proxy {proxy} closed the connection instead of answering CONNECT for {target}."
            ),
            "Check that this is an HTTP proxy and that it allows CONNECT to NES.",
            None,
        ),
        TunnelError::Malformed(line) => (
            format!(
                "The proxy {proxy} answered CONNECT for {target} with something that is not HTTP: '{line}'."
            ),
            "Check the proxy address and port.",
            None,
        ),
        TunnelError::Io(e) => (
            format!("The CONNECT request to the proxy {proxy} for {target} failed: {e}."),
            "Check the proxy and the network path to it.",
            None,
        ),
    };
    Finding::new(
        ids::NES_PROXY_CONNECT_FAILED,
        Severity::Error,
        "The proxy did not open a tunnel to NES",
        detail,
    )
    .with_evidence("proxy", proxy)
    .with_evidence("target", target)
    .with_evidence("status", status)
    .with_remediation(remediation)
    .with_ref("nymi-domain.md §5 check G, §6 Proxy")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::net::TcpListener;

    fn target(url: &str) -> Target {
        super::super::url::check(url).unwrap().target
    }

    fn env_of(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn explicit_proxy_wins_and_hides_credentials() {
        let env = env_of(&[("NO_PROXY", "*")]);
        let lookup = |k: &str| env.get(k).cloned();
        let c = select(
            &target("https://nes.corp.example/nes"),
            Some("http://u:p%40ss@proxy.corp.example:3128"),
            true,
            &lookup,
        )
        .unwrap();
        assert_eq!(c.info.mode, ProxyMode::Proxy);
        assert_eq!(c.info.source, ProxySource::Request);
        let shown = c.info.url.unwrap();
        assert!(
            !shown.contains("p%40ss") && !shown.contains(":p"),
            "{shown}"
        );
        let p = c.proxy.unwrap();
        assert_eq!((p.host.as_str(), p.port), ("proxy.corp.example", 3128));
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(p.basic_auth.unwrap())
            .unwrap();
        assert_eq!(decoded, b"u:p@ss");
    }

    #[test]
    fn environment_proxy_and_no_proxy() {
        let t = target("https://nes.corp.example/nes");
        let env = env_of(&[("HTTPS_PROXY", "proxy:8080")]);
        let c = select(&t, None, true, &|k| env.get(k).cloned()).unwrap();
        assert_eq!(c.info.mode, ProxyMode::Proxy);
        assert_eq!(c.info.variable.as_deref(), Some("HTTPS_PROXY"));

        let env = env_of(&[
            ("https_proxy", "proxy:8080"),
            ("no_proxy", "localhost,.corp.example"),
        ]);
        let c = select(&t, None, true, &|k| env.get(k).cloned()).unwrap();
        assert_eq!(c.info.mode, ProxyMode::Direct);
        assert_eq!(c.info.no_proxy_match.as_deref(), Some(".corp.example"));

        let c = select(&t, None, false, &|k| env.get(k).cloned()).unwrap();
        assert_eq!(c.info.mode, ProxyMode::Direct);
        assert_eq!(c.info.source, ProxySource::None);

        let env = env_of(&[("HTTPS_PROXY", "socks5://proxy:1080")]);
        let f = select(&t, None, true, &|k| env.get(k).cloned()).unwrap_err();
        assert_eq!(f.id, ids::NES_PROXY_INVALID);
    }

    #[test]
    fn no_proxy_entries() {
        assert_eq!(no_proxy_match("*", "a.b", 443).as_deref(), Some("*"));
        assert!(no_proxy_match("corp.example", "nes.corp.example", 443).is_some());
        assert!(no_proxy_match("*.corp.example", "nes.corp.example", 443).is_some());
        assert!(no_proxy_match("corp.example", "notcorp.example", 443).is_none());
        assert!(no_proxy_match("nes.corp.example:8443", "nes.corp.example", 443).is_none());
        assert!(no_proxy_match("nes.corp.example:443", "nes.corp.example", 443).is_some());
        assert!(no_proxy_match("10.0.0.0/8", "10.20.0.15", 443).is_some());
        assert!(no_proxy_match("10.0.0.0/8", "11.20.0.15", 443).is_none());
        assert!(no_proxy_match("::1", "::1", 443).is_some());
        assert!(no_proxy_match("[::1]:443", "::1", 443).is_some());
        assert!(no_proxy_match("", "x", 443).is_none());
    }

    #[test]
    fn tunnel_reads_the_status_and_nothing_more() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut buf = [0u8; 1024];
            let n = s.read(&mut buf).unwrap();
            assert!(buf[..n].starts_with(b"CONNECT nes.example:443 HTTP/1.1\r\n"));
            s.write_all(b"HTTP/1.1 200 Connection established\r\n\r\nTLS")
                .unwrap();
        });
        let mut c = TcpStream::connect(addr).unwrap();
        open_tunnel(&mut c, "nes.example", 443, None, Duration::from_secs(2)).unwrap();
        let mut rest = [0u8; 3];
        c.read_exact(&mut rest).unwrap();
        assert_eq!(&rest, b"TLS");
        server.join().unwrap();
    }

    #[test]
    fn tunnel_refusal_and_stall() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).unwrap();
            s.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                .unwrap();
            let (s2, _) = l.accept().unwrap();
            std::thread::sleep(Duration::from_millis(500));
            drop(s2);
        });
        let mut c = TcpStream::connect(addr).unwrap();
        let e = open_tunnel(&mut c, "nes.example", 443, None, Duration::from_secs(2));
        assert!(matches!(e, Err(TunnelError::Status(407, _))), "{e:?}");
        let mut c = TcpStream::connect(addr).unwrap();
        let e = open_tunnel(&mut c, "nes.example", 443, None, Duration::from_millis(100));
        assert_eq!(e, Err(TunnelError::Timeout));
        server.join().unwrap();
    }
}
