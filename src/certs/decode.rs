//! Bytes of one file to certificate encodings: DER, PEM, base64 without
//! armour, PKCS#7 bundles, and private keys recognised (never decoded).
//!
//! Nothing here fails: every input ends as a [`Decoded`] whose `problems`
//! say what could not be read. Private key blocks are counted, their bodies
//! are never base64-decoded or copied, so key material cannot leak into a
//! report.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use x509_parser::asn1_rs::{Any, Class, FromDer, Tag};

use super::limits::{MAX_CERTS_PER_FILE, MAX_TEXT_CHARS, clip};
use super::model::FileFormat;
use super::pkcs7;

/// Standard alphabet; accepts missing or present padding, as hand-copied
/// base64 often lacks it.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// What one file holds.
#[derive(Debug, Default)]
pub(crate) struct Decoded {
    /// Encoding recognised (`Unrecognized` when nothing was).
    pub(crate) format: Option<FileFormat>,
    /// DER encodings of the certificates found, in file order.
    pub(crate) certificates: Vec<Vec<u8>>,
    /// Private keys seen.
    pub(crate) private_keys: u32,
    /// What could not be read, one sentence each.
    pub(crate) problems: Vec<String>,
}

impl Decoded {
    fn problem(&mut self, text: impl AsRef<str>) {
        self.problems.push(clip(text.as_ref(), MAX_TEXT_CHARS));
    }
}

/// Decodes a whole file.
pub(crate) fn decode(bytes: &[u8]) -> Decoded {
    let mut out = Decoded::default();
    if bytes.is_empty() {
        out.format = Some(FileFormat::Empty);
        out.problem("empty file (0 bytes)");
        return out;
    }

    // Binary DER first; a failure is kept in case the bytes are not text
    // either.
    let der_failure = if bytes[0] == 0x30 {
        match decode_der(bytes, &mut out) {
            Ok(()) => {
                out.format.get_or_insert(FileFormat::Der);
                return out;
            }
            // A PKCS#7 bundle that is malformed stays a PKCS#7 file.
            Err(reason) if out.format.is_some() => {
                out.problem(reason);
                return out;
            }
            Err(reason) => Some(reason),
        }
    } else {
        None
    };

    if let Some(text) = as_text(bytes) {
        if text.contains("-----BEGIN ") {
            out.format = Some(FileFormat::Pem);
            decode_pem(&text, &mut out);
            return out;
        }
        if let Some(der) = unarmoured_base64(&text) {
            out.format = Some(FileFormat::Base64);
            if let Err(reason) = decode_der(&der, &mut out) {
                out.problem(format!("base64 text decodes, but {reason}"));
            }
            out.format = Some(FileFormat::Base64);
            return out;
        }
    }

    out.format = Some(FileFormat::Unrecognized);
    match der_failure {
        Some(reason) => out.problem(reason),
        None => out.problem("not a certificate: no DER structure, PEM block or base64 text found"),
    }
    out
}

/// The file as text, when it looks like text: UTF-8 (with or without BOM)
/// or UTF-16 with a BOM (what Windows PowerShell 5.1's `Out-File` writes).
fn as_text(bytes: &[u8]) -> Option<String> {
    let text = if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        String::from_utf8_lossy(rest).into_owned()
    } else if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        utf16(rest, u16::from_le_bytes)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        utf16(rest, u16::from_be_bytes)
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    };
    // PEM and base64 are ASCII; a file of mostly binary bytes is not text.
    let binary = text
        .chars()
        .filter(|c| *c == '\u{FFFD}' || (c.is_control() && !c.is_whitespace()))
        .count();
    (binary * 10 <= text.chars().count()).then_some(text)
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|r| r.unwrap_or('\u{FFFD}'))
        .collect()
}

/// Base64 without PEM armour: the whole text (whitespace aside) is base64
/// and decodes to something that starts like DER.
fn unarmoured_base64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    // A DER certificate is far longer than this; short tokens are not worth
    // guessing at.
    if compact.len() < 16
        || !compact
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        return None;
    }
    let der = BASE64.decode(compact.as_bytes()).ok()?;
    (der.first() == Some(&0x30)).then_some(der)
}

/// Reads DER: one or more concatenated certificates, a PKCS#7 bundle, or a
/// private key. `Err` says why nothing was found.
fn decode_der(bytes: &[u8], out: &mut Decoded) -> Result<(), String> {
    match x509_parser::parse_x509_certificate(bytes) {
        Ok((mut rest, _)) => {
            out.certificates
                .push(bytes[..bytes.len() - rest.len()].to_vec());
            // Some tools concatenate DER certificates in one file.
            while !rest.is_empty() && out.certificates.len() < MAX_CERTS_PER_FILE {
                match x509_parser::parse_x509_certificate(rest) {
                    Ok((next, _)) => {
                        out.certificates
                            .push(rest[..rest.len() - next.len()].to_vec());
                        rest = next;
                    }
                    Err(_) => break,
                }
            }
            if !rest.is_empty() {
                out.problem(format!(
                    "{} trailing bytes after the certificate ignored",
                    rest.len()
                ));
            }
            Ok(())
        }
        Err(cert_error) => {
            if let Some(result) = pkcs7::signed_data_certificates(bytes) {
                out.format = Some(FileFormat::Pkcs7Der);
                return pkcs7_certificates(result, out);
            }
            if private_key_kind(bytes).is_some() {
                // Counted only: the shape is enough to know.
                out.private_keys += 1;
                return Ok(());
            }
            Err(der_reason(bytes, &cert_error))
        }
    }
}

fn pkcs7_certificates(result: Result<Vec<&[u8]>, String>, out: &mut Decoded) -> Result<(), String> {
    let raws = result.map_err(|e| format!("PKCS#7 bundle is malformed: {e}"))?;
    if raws.is_empty() {
        return Err("PKCS#7 bundle holds no certificates".to_owned());
    }
    for (i, raw) in raws.iter().enumerate().take(MAX_CERTS_PER_FILE) {
        match x509_parser::parse_x509_certificate(raw) {
            Ok(_) => out.certificates.push(raw.to_vec()),
            Err(e) => out.problem(format!(
                "PKCS#7 certificate {} is not a valid certificate: {e}",
                i + 1
            )),
        }
    }
    Ok(())
}

/// Says why DER bytes are not a certificate, telling truncation apart.
fn der_reason(
    bytes: &[u8],
    error: &x509_parser::nom::Err<x509_parser::error::X509Error>,
) -> String {
    if let Some(declared) = declared_der_len(bytes)
        && declared > bytes.len()
    {
        return format!(
            "truncated DER: the outer structure declares {declared} bytes, the file has {}",
            bytes.len()
        );
    }
    format!("DER data is not a certificate ({error})")
}

/// Total length (header included) an outer DER header declares.
fn declared_der_len(bytes: &[u8]) -> Option<usize> {
    let first = *bytes.get(1)?;
    if first < 0x80 {
        return Some(2 + usize::from(first));
    }
    let n = usize::from(first & 0x7F);
    if n == 0 || n > 8 {
        return None;
    }
    let len = bytes.get(2..2 + n)?.iter().fold(0usize, |acc, b| {
        acc.saturating_mul(256).saturating_add(usize::from(*b))
    });
    Some(len.saturating_add(2 + n))
}

/// Recognises DER private keys by shape, without reading their contents:
/// PKCS#8 (`PrivateKeyInfo`, `EncryptedPrivateKeyInfo`), PKCS#1 RSA and
/// SEC1 EC keys.
fn private_key_kind(bytes: &[u8]) -> Option<&'static str> {
    let (_, outer) = Any::from_der(bytes).ok()?;
    if outer.tag() != Tag::Sequence {
        return None;
    }
    let mut items = Vec::new();
    let mut data = outer.data;
    while !data.is_empty() && items.len() < 10 {
        let (rest, any) = Any::from_der(data).ok()?;
        items.push(any);
        data = rest;
    }
    let universal = |i: usize, tag: Tag| {
        items
            .get(i)
            .is_some_and(|a| a.class() == Class::Universal && a.tag() == tag)
    };
    let small_int = |i: usize, v: u8| universal(i, Tag::Integer) && items[i].data == [v];
    if (small_int(0, 0) || small_int(0, 1))
        && universal(1, Tag::Sequence)
        && universal(2, Tag::OctetString)
    {
        return Some("PKCS#8");
    }
    if items.len() == 2 && universal(0, Tag::Sequence) && universal(1, Tag::OctetString) {
        // EncryptedPrivateKeyInfo: the algorithm is PBES2 or a PKCS#12 PBE.
        let (_, oid) = Any::from_der(items[0].data).ok()?;
        const PKCS5: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05];
        const PKCS12_PBE: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x0C, 0x01];
        if oid.tag() == Tag::Oid
            && (oid.data.starts_with(PKCS5) || oid.data.starts_with(PKCS12_PBE))
        {
            return Some("encrypted PKCS#8");
        }
    }
    if items.len() >= 9 && small_int(0, 0) && (1..9).all(|i| universal(i, Tag::Integer)) {
        return Some("PKCS#1 RSA");
    }
    if small_int(0, 1) && universal(1, Tag::OctetString) && items.len() <= 4 {
        return Some("SEC1 EC");
    }
    None
}

/// Labels of PEM blocks that hold certificates.
fn is_certificate_label(label: &str) -> bool {
    matches!(
        label,
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE"
    )
}

fn is_pkcs7_label(label: &str) -> bool {
    matches!(label, "PKCS7" | "PKCS #7 SIGNED DATA" | "CMS")
}

/// Reads every PEM block of a text.
fn decode_pem(text: &str, out: &mut Decoded) {
    let mut rest = text;
    let mut block = 0usize;
    while let Some(start) = rest.find("-----BEGIN ") {
        block += 1;
        let after = &rest[start + "-----BEGIN ".len()..];
        let Some(label_end) = after.find("-----") else {
            out.problem(format!("PEM block {block}: BEGIN line is not closed"));
            return;
        };
        let label = after[..label_end].trim().to_owned();
        let shown = clip(&label, 40);
        let body_start = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let Some(body_end) = body_start.find(&end_marker) else {
            out.problem(format!(
                "PEM block {block} ({shown}): no END line, the file may be truncated"
            ));
            return;
        };
        let body = &body_start[..body_end];
        rest = &body_start[body_end + end_marker.len()..];

        if label.contains("PRIVATE KEY") {
            // Counted, never decoded.
            out.private_keys += 1;
            continue;
        }
        let cert_block = is_certificate_label(&label);
        if !cert_block && !is_pkcs7_label(&label) {
            out.problem(format!(
                "PEM block {block} ({shown}) is not a certificate; ignored"
            ));
            continue;
        }
        let der = match pem_body(body) {
            Ok(der) => der,
            Err(e) => {
                out.problem(format!("PEM block {block} ({shown}): broken base64 ({e})"));
                continue;
            }
        };
        if cert_block {
            // TRUSTED CERTIFICATE appends OpenSSL trust settings after the
            // certificate; only the certificate is read.
            match x509_parser::parse_x509_certificate(&der) {
                Ok((rest_der, _)) => {
                    if out.certificates.len() < MAX_CERTS_PER_FILE {
                        out.certificates
                            .push(der[..der.len() - rest_der.len()].to_vec());
                    }
                }
                Err(e) => out.problem(format!(
                    "PEM block {block} ({shown}): {}",
                    der_reason(&der, &e)
                )),
            }
        } else {
            match pkcs7::signed_data_certificates(&der) {
                Some(result) => {
                    if let Err(e) = pkcs7_certificates(result, out) {
                        out.problem(format!("PEM block {block} ({shown}): {e}"));
                    }
                }
                None => out.problem(format!(
                    "PEM block {block} ({shown}): not a PKCS#7 SignedData bundle"
                )),
            }
        }
    }
}

/// Base64 body of a PEM block, skipping RFC 1421 header lines.
fn pem_body(body: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let compact: String = body
        .lines()
        .filter(|line| !line.contains(':'))
        .flat_map(|line| line.chars().filter(|c| !c.is_whitespace()))
        .collect();
    BASE64.decode(compact.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_reported() {
        let d = decode(b"");
        assert_eq!(d.format, Some(FileFormat::Empty));
        assert_eq!(d.problems.len(), 1);
    }

    #[test]
    fn text_without_certificates_is_unrecognized() {
        let d = decode(b"hello, this is not a certificate\n");
        assert_eq!(d.format, Some(FileFormat::Unrecognized));
        assert!(d.certificates.is_empty());
    }

    #[test]
    fn private_key_pem_is_counted_and_never_decoded() {
        let pem = "-----BEGIN PRIVATE KEY-----\nTUlJQlNFQ1JFVA==\n-----END PRIVATE KEY-----\n";
        let d = decode(pem.as_bytes());
        assert_eq!(d.private_keys, 1);
        assert!(d.certificates.is_empty());
        let all = format!("{d:?}");
        assert!(!all.contains("TUlJ"), "{all}");
        assert!(!all.contains("MIIBSECRET"), "{all}");
    }

    #[test]
    fn broken_base64_in_pem_is_a_problem() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB!!!not base64***\n-----END CERTIFICATE-----\n";
        let d = decode(pem.as_bytes());
        assert_eq!(d.format, Some(FileFormat::Pem));
        assert!(d.problems[0].contains("broken base64"), "{:?}", d.problems);
    }

    #[test]
    fn pem_without_end_is_truncated() {
        let d = decode(b"-----BEGIN CERTIFICATE-----\nMIIB\n");
        assert!(d.problems[0].contains("no END line"), "{:?}", d.problems);
    }

    #[test]
    fn truncated_der_says_so() {
        let d = decode(&[0x30, 0x82, 0x01, 0x00, 0x30, 0x01]);
        assert!(d.problems[0].contains("truncated DER"), "{:?}", d.problems);
    }

    #[test]
    fn der_keys_are_recognised_by_shape() {
        // SEQUENCE { INTEGER 0, SEQUENCE { OID 1.2.840.10045.2.1 }, OCTET STRING {..} }
        let pkcs8 = [
            0x30, 0x13, 0x02, 0x01, 0x00, 0x30, 0x09, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D,
            0x02, 0x01, 0x04, 0x03, 0x01, 0x02, 0x03,
        ];
        let d = decode(&pkcs8);
        assert_eq!(d.private_keys, 1);
        assert_eq!(d.format, Some(FileFormat::Der));
    }

    #[test]
    fn declared_length_reads_long_forms() {
        assert_eq!(declared_der_len(&[0x30, 0x05]), Some(7));
        assert_eq!(declared_der_len(&[0x30, 0x82, 0x01, 0x00]), Some(260));
        assert_eq!(declared_der_len(&[0x30, 0x80]), None);
        assert_eq!(declared_der_len(&[0x30]), None);
    }
}
