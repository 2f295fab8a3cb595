//! Certificates inside a PKCS#7 / CMS SignedData bundle (`.p7b`, `.p7c`).
//!
//! Only the `certificates` field of SignedData is read (RFC 5652 section
//! 5.1): ContentInfo ::= SEQUENCE { contentType OID, [0] EXPLICIT content },
//! SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo,
//! [0] IMPLICIT certificates OPTIONAL, [1] crls OPTIONAL, signerInfos SET }.
//! The envelope is read as BER, since some tools write indefinite lengths;
//! each certificate must be DER.

use x509_parser::asn1_rs::{Any, Class, FromBer, Tag};

/// DER content octets of OID 1.2.840.113549.1.7.2 (signedData).
const SIGNED_DATA_OID: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];

/// The raw certificate encodings of a SignedData bundle.
///
/// `None` when `bytes` is not a SignedData ContentInfo at all; `Some(Err)`
/// when it is one but malformed.
pub(crate) fn signed_data_certificates(bytes: &[u8]) -> Option<Result<Vec<&[u8]>, String>> {
    let (_, content_info) = Any::from_ber(bytes).ok()?;
    if content_info.tag() != Tag::Sequence {
        return None;
    }
    let mut fields = elements(content_info.data);
    let (_, oid) = fields.next()?.ok()?;
    if oid.tag() != Tag::Oid || oid.data != SIGNED_DATA_OID {
        return None;
    }
    Some(certificates_of(fields.next()))
}

fn certificates_of<'a>(
    explicit: Option<Result<(&'a [u8], Any<'a>), String>>,
) -> Result<Vec<&'a [u8]>, String> {
    let (_, explicit) = explicit.ok_or("SignedData content missing")??;
    if explicit.class() != Class::ContextSpecific || explicit.tag() != Tag(0) {
        return Err("SignedData content is not tagged [0]".to_owned());
    }
    let (_, signed_data) =
        Any::from_ber(explicit.data).map_err(|e| format!("SignedData unreadable: {e}"))?;
    if signed_data.tag() != Tag::Sequence {
        return Err("SignedData is not a SEQUENCE".to_owned());
    }
    let mut certs = Vec::new();
    for field in elements(signed_data.data) {
        let (_, field) = field?;
        if field.class() == Class::ContextSpecific && field.tag() == Tag(0) {
            for choice in elements(field.data) {
                let (raw, choice) = choice?;
                // Other CertificateChoices (attribute certificates, ...)
                // are tagged and skipped.
                if choice.class() == Class::Universal && choice.tag() == Tag::Sequence {
                    certs.push(raw);
                }
            }
        }
    }
    Ok(certs)
}

/// Iterates the BER elements of `data`, yielding each with its raw bytes.
fn elements(mut data: &[u8]) -> impl Iterator<Item = Result<(&[u8], Any<'_>), String>> {
    std::iter::from_fn(move || {
        if data.is_empty() {
            return None;
        }
        match Any::from_ber(data) {
            Ok((rest, any)) => {
                let raw = &data[..data.len() - rest.len()];
                data = rest;
                Some(Ok((raw, any)))
            }
            Err(e) => {
                data = &[];
                Some(Err(format!("malformed element: {e}")))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_pkcs7_is_none() {
        assert!(signed_data_certificates(b"").is_none());
        assert!(signed_data_certificates(&[0x30, 0x03, 0x02, 0x01, 0x00]).is_none());
    }

    #[test]
    fn signed_data_without_certificates_is_empty() {
        // ContentInfo { signedData, [0] { SEQUENCE { INTEGER 1, SET {},
        // SEQUENCE { OID data }, SET {} } } }
        let data_oid = [
            0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01,
        ];
        let mut sd = vec![0x02, 0x01, 0x01, 0x31, 0x00, 0x30, data_oid.len() as u8];
        sd.extend_from_slice(&data_oid);
        sd.extend_from_slice(&[0x31, 0x00]);
        let mut seq = vec![0x30, sd.len() as u8];
        seq.extend(sd);
        let mut explicit = vec![0xA0, seq.len() as u8];
        explicit.extend(seq);
        let mut ci = vec![0x06, 0x09];
        ci.extend_from_slice(SIGNED_DATA_OID);
        ci.extend(explicit);
        let mut der = vec![0x30, ci.len() as u8];
        der.extend(ci);
        assert_eq!(signed_data_certificates(&der), Some(Ok(vec![])));
    }

    #[test]
    fn truncated_signed_data_is_an_error_not_a_panic() {
        let mut ci = vec![0x06, 0x09];
        ci.extend_from_slice(SIGNED_DATA_OID);
        ci.extend_from_slice(&[0xA0, 0x05, 0x30, 0x10, 0x02]);
        let mut der = vec![0x30, ci.len() as u8];
        der.extend(ci);
        assert!(matches!(signed_data_certificates(&der), Some(Err(_))));
    }
}
