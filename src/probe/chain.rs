//! Describes the chain a server presented (names, validity, fingerprints,
//! SANs, order) and flags what will break soon or looks wrong: a leaf or
//! intermediate expiring within 30 days, SHA-1 signatures, an issuer other
//! than the one the admin expects (TLS inspection).

use std::net::IpAddr;

use sha1::Digest as _;
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::report::{Finding, Severity};
use crate::time_fmt::UtcTime;

use super::ids;
use super::model::{MAX_CHAIN, MAX_SANS, MAX_TEXT, PresentedCertificate, cap_text};

/// How close to expiry a leaf or intermediate is flagged.
pub(crate) const EXPIRY_WARNING_DAYS: i64 = 30;

/// Signature algorithm OIDs that hash with SHA-1.
const SHA1_SIGNATURE_OIDS: &[&str] = &[
    "1.2.840.113549.1.1.5", // sha1WithRSAEncryption
    "1.3.14.3.2.29",        // sha1WithRSASignature (OIW)
    "1.2.840.10045.4.1",    // ecdsa-with-SHA1
    "1.2.840.10040.4.3",    // dsa-with-sha1
];

/// Describes up to [`MAX_CHAIN`] certificates of `ders`, in the order given;
/// returns them and how many were left out.
pub(crate) fn describe(ders: &[impl AsRef<[u8]>]) -> (Vec<PresentedCertificate>, usize) {
    let kept = ders.len().min(MAX_CHAIN);
    let mut out: Vec<PresentedCertificate> = ders[..kept]
        .iter()
        .enumerate()
        .map(|(i, der)| describe_one(i, der.as_ref()))
        .collect();
    for i in 0..out.len() {
        out[i].issued_by_next = out
            .get(i + 1)
            .map(|next| next.parse_error.is_none() && next.subject == out[i].issuer);
    }
    (out, ders.len() - kept)
}

fn describe_one(position: usize, der: &[u8]) -> PresentedCertificate {
    let mut out = PresentedCertificate {
        position,
        subject: String::new(),
        issuer: String::new(),
        serial: String::new(),
        not_before: None,
        not_after: None,
        sha1: hex::encode_upper(sha1::Sha1::digest(der)),
        sha256: hex::encode_upper(sha2::Sha256::digest(der)),
        san_dns: Vec::new(),
        san_ip: Vec::new(),
        sans_omitted: 0,
        signature_algorithm: String::new(),
        sha1_signature: false,
        is_ca: false,
        self_issued: false,
        issued_by_next: None,
        parse_error: None,
    };
    let cert = match X509Certificate::from_der(der) {
        Ok((_, cert)) => cert,
        Err(e) => {
            out.parse_error = Some(cap_text(&e.to_string(), MAX_TEXT));
            return out;
        }
    };
    out.subject = cap_text(&cert.subject().to_string(), MAX_TEXT);
    out.issuer = cap_text(&cert.issuer().to_string(), MAX_TEXT);
    out.serial = cap_text(&hex::encode_upper(cert.raw_serial()), 128);
    out.not_before = Some(UtcTime::from(cert.validity().not_before.to_datetime()));
    out.not_after = Some(UtcTime::from(cert.validity().not_after.to_datetime()));
    let oid = cert.signature_algorithm.algorithm.to_id_string();
    out.sha1_signature = SHA1_SIGNATURE_OIDS.contains(&oid.as_str());
    out.signature_algorithm = x509_parser::objects::oid2sn(
        &cert.signature_algorithm.algorithm,
        x509_parser::objects::oid_registry(),
    )
    .map(str::to_owned)
    .unwrap_or(oid);
    out.is_ca = cert.is_ca();
    out.self_issued = cert.subject().as_raw() == cert.issuer().as_raw();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            let kept = out.san_dns.len() + out.san_ip.len();
            let entry = match name {
                GeneralName::DNSName(d) => Some((true, cap_text(d, 256))),
                GeneralName::IPAddress(bytes) => {
                    ip_from_bytes(bytes).map(|ip| (false, ip.to_string()))
                }
                _ => None,
            };
            let Some((is_dns, text)) = entry else {
                continue;
            };
            if kept >= MAX_SANS {
                out.sans_omitted += 1;
            } else if is_dns {
                out.san_dns.push(text);
            } else {
                out.san_ip.push(text);
            }
        }
    }
    out
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// The certificate at the top of the chain: from the leaf, follow issuer
/// names through the presented certificates (in any order) as far as they
/// go.
pub(crate) fn top(chain: &[PresentedCertificate]) -> Option<&PresentedCertificate> {
    let mut current = chain.first()?;
    let mut visited = vec![false; chain.len()];
    visited[0] = true;
    for _ in 0..chain.len() {
        if current.self_issued {
            break;
        }
        let next = chain
            .iter()
            .enumerate()
            .find(|(i, c)| !visited[*i] && c.parse_error.is_none() && c.subject == current.issuer);
        match next {
            Some((i, c)) => {
                visited[i] = true;
                current = c;
            }
            None => break,
        }
    }
    Some(current)
}

/// Certificates that are expired at `now`.
pub(crate) fn expired_at(
    chain: &[PresentedCertificate],
    now: OffsetDateTime,
) -> Vec<&PresentedCertificate> {
    chain
        .iter()
        .filter(|c| c.not_after.is_some_and(|t| t.0 < now))
        .collect()
}

/// Certificates that are not valid yet at `now`.
pub(crate) fn not_yet_valid_at(
    chain: &[PresentedCertificate],
    now: OffsetDateTime,
) -> Vec<&PresentedCertificate> {
    chain
        .iter()
        .filter(|c| c.not_before.is_some_and(|t| t.0 > now))
        .collect()
}

/// One line per certificate: `'CN=x' (valid 2026-01-01 to 2027-01-01)`.
pub(crate) fn validity_line(c: &PresentedCertificate) -> String {
    let show = |t: Option<UtcTime>| t.map_or_else(|| "?".to_owned(), |t| t.to_iso8601());
    format!(
        "'{}' (valid {} to {})",
        c.subject,
        show(c.not_before),
        show(c.not_after)
    )
}

/// Warnings about the chain itself, whatever the trust verdict.
pub(crate) fn flags(
    chain: &[PresentedCertificate],
    now: OffsetDateTime,
    expected_issuer: Option<&str>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let soon = now + Duration::days(EXPIRY_WARNING_DAYS);
    // Roots are replaced through the trust store, not the server: only the
    // leaf and intermediates are the NES admin's to renew.
    let expiring: Vec<&PresentedCertificate> = chain
        .iter()
        .filter(|c| !c.self_issued)
        .filter(|c| c.not_after.is_some_and(|t| t.0 >= now && t.0 <= soon))
        .collect();
    if !expiring.is_empty() {
        let lines: Vec<String> = expiring.iter().map(|c| validity_line(c)).collect();
        findings.push(
            Finding::new(
                ids::NES_TLS_EXPIRING_SOON,
                Severity::Warning,
                format!("A NES certificate expires within {EXPIRY_WARNING_DAYS} days"),
                format!("Expiring soon: {}.", lines.join("; ")),
            )
            .with_evidence("certificates", &lines)
            .with_remediation(
                "Renew the certificate (and update the IIS binding, or the intermediate on \
                 the NES server) before it expires.",
            ),
        );
    }
    let sha1: Vec<&PresentedCertificate> = chain
        .iter()
        .filter(|c| !c.self_issued && c.sha1_signature)
        .collect();
    if !sha1.is_empty() {
        let names: Vec<String> = sha1.iter().map(|c| c.subject.clone()).collect();
        findings.push(
            Finding::new(
                ids::NES_TLS_SHA1_SIGNATURE,
                Severity::Warning,
                "A NES certificate is signed with SHA-1",
                format!(
                    "SHA-1 signatures are rejected by current TLS stacks: {}.",
                    names.join("; ")
                ),
            )
            .with_evidence("subjects", &names)
            .with_remediation("Reissue the certificate with a SHA-256 signature."),
        );
    }
    if let Some(expected) = expected_issuer {
        let wanted = expected.to_lowercase();
        let matches = chain
            .iter()
            .any(|c| c.issuer.to_lowercase().contains(&wanted));
        if !chain.is_empty() && !matches {
            let issuers: Vec<String> = chain.iter().map(|c| c.issuer.clone()).collect();
            findings.push(
                Finding::new(
                    ids::NES_TLS_UNEXPECTED_ISSUER,
                    Severity::Warning,
                    "The NES certificate is not issued by the expected CA (TLS inspection?)",
                    format!(
                        "No certificate of the chain is issued by '{expected}'; the leaf is \
                         issued by '{}'. A proxy or security product that inspects TLS \
                         presents its own chain like this.",
                        chain[0].issuer
                    ),
                )
                .with_evidence("expected_issuer", expected)
                .with_evidence("issuers", &issuers)
                .with_remediation(
                    "Exempt NES from TLS inspection on the proxy or endpoint security \
                     product, or correct the expected issuer.",
                ),
            );
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(subject: &str, issuer: &str, days_left: i64) -> PresentedCertificate {
        let now = OffsetDateTime::now_utc();
        PresentedCertificate {
            position: 0,
            subject: subject.into(),
            issuer: issuer.into(),
            serial: "01".into(),
            not_before: Some(UtcTime::from(now - Duration::days(10))),
            not_after: Some(UtcTime::from(now + Duration::days(days_left))),
            sha1: String::new(),
            sha256: String::new(),
            san_dns: vec![],
            san_ip: vec![],
            sans_omitted: 0,
            signature_algorithm: "ecdsa-with-SHA256".into(),
            sha1_signature: false,
            is_ca: false,
            self_issued: subject == issuer,
            issued_by_next: None,
            parse_error: None,
        }
    }

    fn ids_of(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.id.as_str()).collect()
    }

    #[test]
    fn flags_expiry_within_30_days_but_not_roots() {
        let now = OffsetDateTime::now_utc();
        let chain = [cert("CN=leaf", "CN=ca", 10), cert("CN=ca", "CN=ca", 5)];
        let f = flags(&chain, now, None);
        assert_eq!(ids_of(&f), [ids::NES_TLS_EXPIRING_SOON]);
        assert!(f[0].detail.contains("CN=leaf") && !f[0].detail.contains("'CN=ca'"));
        let chain = [cert("CN=leaf", "CN=ca", 90)];
        assert!(flags(&chain, now, None).is_empty());
    }

    #[test]
    fn flags_sha1_and_unexpected_issuers() {
        let now = OffsetDateTime::now_utc();
        let mut leaf = cert("CN=nes", "CN=Inspecting Proxy CA", 300);
        leaf.sha1_signature = true;
        let chain = [leaf];
        let f = flags(&chain, now, Some("corp issuing ca"));
        assert_eq!(
            ids_of(&f),
            [ids::NES_TLS_SHA1_SIGNATURE, ids::NES_TLS_UNEXPECTED_ISSUER]
        );
        let chain = [cert("CN=nes", "CN=Corp Issuing CA, O=Corp", 300)];
        assert!(flags(&chain, now, Some("corp issuing ca")).is_empty());
    }

    #[test]
    fn finds_the_top_of_an_unordered_chain() {
        let chain = [
            cert("CN=leaf", "CN=int", 90),
            cert("CN=root", "CN=root", 900),
            cert("CN=int", "CN=root", 300),
        ];
        assert_eq!(top(&chain).unwrap().subject, "CN=root");
        let chain = [cert("CN=leaf", "CN=int", 90)];
        assert_eq!(top(&chain).unwrap().subject, "CN=leaf");
    }

    #[test]
    fn garbage_is_described_not_fatal() {
        let (chain, omitted) = describe(&[b"not a certificate".to_vec()]);
        assert_eq!(omitted, 0);
        assert!(chain[0].parse_error.is_some());
        assert_eq!(chain[0].sha256.len(), 64);
    }

    #[test]
    fn recognises_sha1_signature_oids() {
        assert!(SHA1_SIGNATURE_OIDS.contains(&"1.2.840.113549.1.1.5"));
        assert!(!SHA1_SIGNATURE_OIDS.contains(&"1.2.840.113549.1.1.11"));
    }
}
