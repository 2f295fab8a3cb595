//! TLS stage: a rustls handshake driven by hand over the connected socket,
//! so every read and write is bounded by the stage's time and the first
//! bytes the server sent are kept (a plain-HTTP answer on a TLS port is
//! recognised by them). The chain is recorded by the verifier even when
//! validation fails, and the failure is named.

use std::io::{self, Read};
use std::net::TcpStream;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{AlertDescription, CertificateError, ClientConnection};
use time::OffsetDateTime;

use crate::report::{Finding, Severity};

use super::chain;
use super::ids;
use super::model::{MAX_TEXT, PresentedCertificate, TlsFailureKind, TlsInfo, TrustState, cap_text};
use super::proxy::set_timeouts;
use super::trust::{TrustRecord, TrustSources};

/// ALPN protocols the TLS stage offers, as a browser would.
pub(crate) const ALPN_OFFERED: [&str; 2] = ["h2", "http/1.1"];

/// How many of the server's first bytes are kept to recognise non-TLS
/// answers.
const SNIFF_BYTES: usize = 16;

/// How a handshake ended, before classification.
#[derive(Debug)]
pub(crate) enum HandshakeError {
    /// rustls rejected something (certificate, alert, protocol).
    Tls(rustls::Error),
    /// No progress before the limit.
    Timeout,
    /// The server closed the connection.
    Closed,
    /// A socket error.
    Io(io::Error),
}

/// What the TLS stage found.
#[derive(Debug)]
pub(crate) struct TlsOutcome {
    pub(crate) info: TlsInfo,
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) error: Option<HandshakeError>,
    /// The server's first bytes.
    pub(crate) first_bytes: Vec<u8>,
}

/// Records what the server sends first.
struct Sniff<'a> {
    inner: &'a mut TcpStream,
    seen: &'a mut Vec<u8>,
}

impl Read for Sniff<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let room = SNIFF_BYTES.saturating_sub(self.seen.len()).min(n);
        self.seen.extend_from_slice(&buf[..room]);
        Ok(n)
    }
}

/// Runs the handshake with `host` on `stream` within `limit`.
pub(crate) fn handshake(
    stream: &mut TcpStream,
    host: &str,
    sources: &Arc<TrustSources>,
    limit: Duration,
) -> TlsOutcome {
    let end = Instant::now() + limit;
    let server_name = ServerName::try_from(host.to_owned());
    let sni = match &server_name {
        Ok(ServerName::DnsName(d)) => Some(d.as_ref().to_owned()),
        _ => None,
    };
    let mut info = TlsInfo {
        protocol_version: None,
        cipher_suite: None,
        alpn_offered: ALPN_OFFERED.iter().map(|s| (*s).to_owned()).collect(),
        alpn: None,
        sni,
        trust: sources.summary(&TrustRecord::default()),
        failure: None,
    };
    let fail = |info: TlsInfo, error: HandshakeError| TlsOutcome {
        info,
        chain: Vec::new(),
        error: Some(error),
        first_bytes: Vec::new(),
    };
    let server_name = match server_name {
        Ok(n) => n,
        Err(e) => {
            return fail(
                info,
                HandshakeError::Tls(rustls::Error::General(e.to_string())),
            );
        }
    };
    let (config, record) = match sources.client_config(&ALPN_OFFERED) {
        Ok(c) => c,
        Err(e) => return fail(info, HandshakeError::Tls(e)),
    };
    let mut conn = match ClientConnection::new(Arc::new(config), server_name) {
        Ok(c) => c,
        Err(e) => return fail(info, HandshakeError::Tls(e)),
    };

    let mut first_bytes = Vec::with_capacity(SNIFF_BYTES);
    let result = drive(&mut conn, stream, end, &mut first_bytes);
    if result.is_ok() {
        // Finish politely: the Finished message, then close_notify.
        conn.send_close_notify();
        while conn.wants_write() && set_timeouts(stream, end).is_ok() {
            if conn.write_tls(stream).is_err() {
                break;
            }
        }
    }
    info.protocol_version = conn.protocol_version().map(|v| format!("{v:?}"));
    info.cipher_suite = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()));
    info.alpn = conn
        .alpn_protocol()
        .map(|p| cap_text(&String::from_utf8_lossy(p), 64));
    let record = std::mem::take(&mut *record.lock().unwrap_or_else(PoisonError::into_inner));
    info.trust = sources.summary(&record);
    let error = result.err();
    if let Some(e) = &error {
        info.failure = Some(failure_kind(e, &first_bytes));
    }
    TlsOutcome {
        info,
        chain: record.chain,
        error,
        first_bytes,
    }
}

/// Drives the handshake until it completes, fails, or `end` passes.
fn drive(
    conn: &mut ClientConnection,
    stream: &mut TcpStream,
    end: Instant,
    first_bytes: &mut Vec<u8>,
) -> Result<(), HandshakeError> {
    // Bounded: every turn either moves bytes or ends; a slow-drip server
    // that sends a byte at a time is still cut off at `end`.
    while conn.is_handshaking() {
        if set_timeouts(stream, end).is_err() {
            return Err(HandshakeError::Timeout);
        }
        if conn.wants_write() {
            conn.write_tls(stream).map_err(io_error)?;
            continue;
        }
        let mut sniff = Sniff {
            inner: stream,
            seen: first_bytes,
        };
        match conn.read_tls(&mut sniff) {
            Ok(0) => return Err(HandshakeError::Closed),
            Ok(_) => {
                if let Err(e) = conn.process_new_packets() {
                    // Tell the server why (rustls queued an alert).
                    let _ = conn.write_tls(stream);
                    return Err(HandshakeError::Tls(e));
                }
            }
            Err(e) => return Err(io_error(e)),
        }
    }
    Ok(())
}

fn io_error(e: io::Error) -> HandshakeError {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => HandshakeError::Timeout,
        io::ErrorKind::UnexpectedEof => HandshakeError::Closed,
        _ => HandshakeError::Io(e),
    }
}

/// Classifies a failed handshake.
pub(crate) fn failure_kind(error: &HandshakeError, first_bytes: &[u8]) -> TlsFailureKind {
    if first_bytes.starts_with(b"HTTP/") {
        return TlsFailureKind::PlainHttp;
    }
    match error {
        HandshakeError::Timeout => TlsFailureKind::Timeout,
        HandshakeError::Closed => TlsFailureKind::Closed,
        HandshakeError::Io(e) => match e.kind() {
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
                TlsFailureKind::Reset
            }
            _ => TlsFailureKind::Other,
        },
        HandshakeError::Tls(e) => match e {
            rustls::Error::InvalidCertificate(_) => TlsFailureKind::Certificate,
            rustls::Error::AlertReceived(
                AlertDescription::ProtocolVersion
                | AlertDescription::HandshakeFailure
                | AlertDescription::InsufficientSecurity,
            )
            | rustls::Error::PeerIncompatible(_) => TlsFailureKind::ProtocolMismatch,
            rustls::Error::AlertReceived(_) => TlsFailureKind::Alert,
            rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. }
                if !looks_like_tls(first_bytes) =>
            {
                TlsFailureKind::NotTls
            }
            _ => TlsFailureKind::Other,
        },
    }
}

/// Whether `bytes` start like a TLS record (content type 20..=24, version
/// 3.x).
fn looks_like_tls(bytes: &[u8]) -> bool {
    match bytes {
        [t, 3, _, ..] => (20..=24).contains(t),
        [t] => (20..=24).contains(t),
        [] => true,
        _ => false,
    }
}

/// Facts the TLS findings need beyond the outcome.
#[derive(Debug)]
pub(crate) struct TlsContext<'a> {
    pub(crate) host: &'a str,
    pub(crate) port: u16,
    pub(crate) limit_ms: u64,
    pub(crate) by_deadline: bool,
    pub(crate) now: OffsetDateTime,
}

/// The finding for a failed handshake.
pub(crate) fn failure_finding(
    outcome: &TlsOutcome,
    presented: &[PresentedCertificate],
    cx: &TlsContext<'_>,
) -> Finding {
    let error = outcome.error.as_ref();
    let kind = outcome.info.failure.unwrap_or(TlsFailureKind::Other);
    let tls_error = match error {
        Some(HandshakeError::Tls(e)) => Some(e),
        _ => None,
    };
    if let (TlsFailureKind::Certificate, Some(rustls::Error::InvalidCertificate(ce))) =
        (kind, tls_error)
    {
        return certificate_finding(ce, outcome, presented, cx);
    }
    let endpoint = super::url::host_port(cx.host, cx.port);
    let error_text = error.map_or_else(String::new, |e| match e {
        HandshakeError::Tls(e) => cap_text(&e.to_string(), MAX_TEXT),
        HandshakeError::Io(e) => cap_text(&e.to_string(), MAX_TEXT),
        HandshakeError::Timeout => "timed out".to_owned(),
        HandshakeError::Closed => "connection closed".to_owned(),
    });
    let (detail, remediation) = match kind {
        TlsFailureKind::PlainHttp => (
            format!(
                "{endpoint} answered the TLS handshake in plain HTTP: this port serves \
                 http, not https."
            ),
            "Use the https port of NES (443 by default) in the URL, or add an https \
             binding to the NES site in IIS.",
        ),
        TlsFailureKind::NotTls => (
            format!(
                "{endpoint} answered with something that is not TLS (first bytes {}).",
                hex::encode_upper(&outcome.first_bytes)
            ),
            "Check that the URL's port is the NES https port and that no other service \
             listens on it.",
        ),
        TlsFailureKind::Timeout => (
            format!(
                "{endpoint} accepted the TCP connection but did not complete the TLS \
                 handshake within {} ms{}: the server or a device in the path stalls it.",
                cx.limit_ms,
                if cx.by_deadline {
                    " (cut short by the overall deadline)"
                } else {
                    ""
                }
            ),
            "Check the IIS https binding and its certificate on NES, and any TLS-inspecting \
             device or load balancer between the terminal and NES.",
        ),
        TlsFailureKind::Closed => (
            format!("{endpoint} closed the connection during the TLS handshake."),
            "Check the IIS https binding (a binding without a certificate closes \
             handshakes) and the server's TLS protocol settings.",
        ),
        TlsFailureKind::Reset => (
            format!("{endpoint} reset the connection during the TLS handshake ({error_text})."),
            "A firewall, load balancer or the server resets the handshake: check their \
             TLS settings and rules.",
        ),
        TlsFailureKind::ProtocolMismatch => (
            format!(
                "{endpoint} and this client share no TLS version or cipher suite \
                 ({error_text}). The probe offers TLS 1.2 and 1.3."
            ),
            "Enable TLS 1.2 (or 1.3) with modern cipher suites on the NES server \
             (SChannel settings).",
        ),
        TlsFailureKind::Alert => (
            format!("{endpoint} ended the TLS handshake with an alert ({error_text})."),
            "Check the NES server's TLS configuration and its System event log (SChannel).",
        ),
        TlsFailureKind::Certificate | TlsFailureKind::Other => (
            format!("The TLS handshake with {endpoint} failed: {error_text}."),
            "Check the NES server's TLS configuration.",
        ),
    };
    let mut finding = Finding::new(
        ids::NES_TLS_HANDSHAKE_FAILED,
        Severity::Error,
        "The TLS handshake with NES failed",
        detail,
    )
    .with_evidence("reason", kind)
    .with_evidence("endpoint", &endpoint)
    .with_remediation(remediation)
    .with_ref("nymi-domain.md §5 check H");
    if !error_text.is_empty() {
        finding = finding.with_evidence("error", &error_text);
    }
    if kind == TlsFailureKind::Timeout {
        finding = finding.with_evidence(
            "limited_by",
            if cx.by_deadline {
                "deadline"
            } else {
                "tls_timeout"
            },
        );
    }
    finding
}

fn certificate_finding(
    error: &CertificateError,
    outcome: &TlsOutcome,
    chain: &[PresentedCertificate],
    cx: &TlsContext<'_>,
) -> Finding {
    let trust = &outcome.info.trust;
    let leaf = chain.first();
    let evidence_chain: Vec<String> = chain.iter().map(chain::validity_line).collect();
    let base = |id: &str, title: &str, detail: String, remediation: &str| {
        Finding::new(id, Severity::Error, title, detail)
            .with_evidence("chain", &evidence_chain)
            .with_evidence("platform", &trust.platform)
            .with_evidence("ca_file", &trust.ca_file)
            .with_remediation(remediation)
            .with_ref("nymi-domain.md §5 check H")
    };
    match error {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            let expired = chain::expired_at(chain, cx.now);
            let lines: Vec<String> = expired.iter().map(|c| chain::validity_line(c)).collect();
            base(
                ids::NES_TLS_EXPIRED,
                "The NES certificate has expired",
                format!(
                    "Expired at {}: {}.",
                    crate::time_fmt::UtcTime::from(cx.now),
                    if lines.is_empty() {
                        "a certificate of the chain".to_owned()
                    } else {
                        lines.join("; ")
                    }
                ),
                "Renew the NES certificate (or the expired intermediate) and bind it in IIS.",
            )
            .with_evidence("expired", &lines)
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            let early = chain::not_yet_valid_at(chain, cx.now);
            let lines: Vec<String> = early.iter().map(|c| chain::validity_line(c)).collect();
            base(
                ids::NES_TLS_NOT_YET_VALID,
                "The NES certificate is not valid yet",
                format!(
                    "Not valid yet at {} (this terminal's clock): {}.",
                    crate::time_fmt::UtcTime::from(cx.now),
                    lines.join("; ")
                ),
                "Check this terminal's clock and time zone (w32tm /query /status); otherwise \
                 the certificate was issued with a future start date.",
            )
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            let mut names: Vec<String> = leaf.map(|l| l.san_dns.clone()).unwrap_or_default();
            names.extend(leaf.map(|l| l.san_ip.clone()).unwrap_or_default());
            base(
                ids::NES_TLS_NAME_MISMATCH,
                "The NES certificate does not name the host in the URL",
                format!(
                    "The certificate of {} does not name '{}'; it names: {}.",
                    super::url::host_port(cx.host, cx.port),
                    cx.host,
                    if names.is_empty() {
                        "no subject alternative name".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
                "Configure the terminal with a name the certificate lists, or reissue the \
                 certificate with the NES FQDN in its subject alternative names.",
            )
            .with_evidence("host", cx.host)
            .with_evidence("san", &names)
        }
        CertificateError::Revoked
        | CertificateError::UnknownRevocationStatus
        | CertificateError::ExpiredRevocationList
        | CertificateError::ExpiredRevocationListContext { .. } => base(
            ids::NES_TLS_REVOKED,
            "The NES certificate is revoked or its revocation status is unknown",
            format!("Revocation check failed: {error:?}."),
            "Renew a revoked certificate; for an unknown status, let the terminal reach \
             the CRL/OCSP URLs of the chain (usually http port 80).",
        ),
        CertificateError::UnknownIssuer => untrusted_finding(outcome, chain, base),
        other => base(
            ids::NES_TLS_UNTRUSTED,
            "The NES certificate is not trusted",
            format!(
                "The chain of {} was rejected: {}.",
                super::url::host_port(cx.host, cx.port),
                cap_text(
                    &rustls::Error::InvalidCertificate(other.clone()).to_string(),
                    MAX_TEXT
                )
            ),
            "Reissue the certificate with a supported signature (SHA-256) and server \
             authentication usage.",
        ),
    }
}

fn untrusted_finding(
    outcome: &TlsOutcome,
    chain: &[PresentedCertificate],
    base: impl Fn(&str, &str, String, &str) -> Finding,
) -> Finding {
    let trust = &outcome.info.trust;
    let no_source = !matches!(trust.platform.state, TrustState::Rejected)
        && !matches!(trust.ca_file.state, TrustState::Rejected);
    let top = chain::top(chain);
    let issuer = top.map_or_else(|| "?".to_owned(), |t| t.issuer.clone());
    if no_source {
        return base(
            ids::NES_TLS_UNTRUSTED,
            "No trust store was available to validate the NES certificate",
            format!(
                "The chain (issued by '{issuer}') could not be validated: the platform store \
                 is {:?} and no usable CA file was given.",
                trust.platform.state
            ),
            "Enable use_platform_roots, or give the issuing root CA as trusted_root_path.",
        )
        .with_evidence("issuer", &issuer);
    }
    // Only the leaf, not self-issued: the server did not send its chain.
    // This is the usual IIS fault when the intermediate is missing from the
    // server's store; an unknown CA that issues leaves directly looks the
    // same, and the detail says so.
    if chain.len() == 1 && top.is_some_and(|t| !t.self_issued) {
        return base(
            ids::NES_TLS_INCOMPLETE_CHAIN,
            "The NES server does not send its intermediate CA certificate",
            format!(
                "The server sent only its own certificate, issued by '{issuer}', and that \
                 issuer is not trusted here. The intermediate CA certificate is most likely \
                 missing on the NES server; otherwise '{issuer}' is a CA this terminal does \
                 not know."
            ),
            "Import the intermediate CA certificate into the NES server's Intermediate \
             Certification Authorities store so IIS sends the full chain, or deploy it to \
             this terminal.",
        )
        .with_evidence("issuer", &issuer);
    }
    base(
        ids::NES_TLS_UNTRUSTED,
        "The NES certificate is issued by an untrusted CA",
        format!(
            "The chain ends at '{issuer}', which is not trusted by the {}.",
            match (trust.platform.state, trust.ca_file.state) {
                (TrustState::Rejected, TrustState::Rejected) =>
                    "platform store nor the given CA file",
                (TrustState::Rejected, _) => "platform store",
                _ => "given CA file",
            }
        ),
        "Deploy the root CA that issues the NES certificate to the terminal's Local Computer \
         Trusted Root Certification Authorities store (GPO or Intune), or check for TLS \
         inspection if the issuer is unexpected.",
    )
    .with_evidence("issuer", &issuer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_plain_http_and_non_tls() {
        let e = HandshakeError::Tls(rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType,
        ));
        assert_eq!(
            failure_kind(&e, b"HTTP/1.1 400 Bad"),
            TlsFailureKind::PlainHttp
        );
        assert_eq!(failure_kind(&e, b"SSH-2.0-OpenSSH"), TlsFailureKind::NotTls);
        assert_eq!(failure_kind(&e, &[22, 3, 3, 0]), TlsFailureKind::Other);
        assert_eq!(
            failure_kind(&HandshakeError::Timeout, &[]),
            TlsFailureKind::Timeout
        );
        assert_eq!(
            failure_kind(
                &HandshakeError::Tls(rustls::Error::AlertReceived(
                    AlertDescription::ProtocolVersion
                )),
                &[21, 3, 1]
            ),
            TlsFailureKind::ProtocolMismatch
        );
        let reset = HandshakeError::Io(io::Error::from(io::ErrorKind::ConnectionReset));
        assert_eq!(failure_kind(&reset, &[]), TlsFailureKind::Reset);
    }
}
