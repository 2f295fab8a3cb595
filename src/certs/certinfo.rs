//! One parsed certificate to a [`CertificateInfo`]: names, hashes, dates,
//! key, signature algorithm and extensions. Chain and classification are
//! filled in later by `chain` and `classify`, which see the whole store.

use std::net::{Ipv4Addr, Ipv6Addr};

use sha1::Digest as _;
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::public_key::PublicKey;
use x509_parser::signature_algorithm::RsaSsaPssParams;

use super::limits::{MAX_LIST_ITEMS, MAX_TEXT_CHARS, clip};
use super::model::{
    BasicConstraintsInfo, CertKind, CertificateInfo, ChainInfo, ChainStatus, Classification,
    ClassificationRule, KeyInfo, OidName, SignatureAlgorithmInfo, SignatureCheck, ValidityState,
};
use super::names::name_info;
use crate::time_fmt::UtcTime;

const DAY: i64 = 86_400;

/// The facts the chain builder needs, kept beside the report entry.
#[derive(Debug, Clone)]
pub(crate) struct LinkKeys {
    pub(crate) subject_raw: Vec<u8>,
    pub(crate) issuer_raw: Vec<u8>,
    /// Lower-cased RFC 4514 strings, for names that differ only in
    /// string type.
    pub(crate) subject_text: String,
    pub(crate) issuer_text: String,
    pub(crate) ski: Option<Vec<u8>>,
    pub(crate) aki: Option<Vec<u8>>,
    pub(crate) is_ca: bool,
}

/// Whole days from `from` to `to`, rounded towards the past, so a
/// certificate that expired an hour ago has -1 days left, not 0.
pub(crate) fn whole_days(from: OffsetDateTime, to: OffsetDateTime) -> i64 {
    (to - from).whole_seconds().div_euclid(DAY)
}

/// Describes one certificate.
pub(crate) fn describe(
    cert: &X509Certificate<'_>,
    der: &[u8],
    now: OffsetDateTime,
    expiring_days: u32,
) -> (CertificateInfo, LinkKeys) {
    let mut notes = Vec::new();
    let tbs = &cert.tbs_certificate;
    let not_before = tbs.validity.not_before.to_datetime();
    let not_after = tbs.validity.not_after.to_datetime();
    let validity = if now < not_before {
        ValidityState::NotYetValid
    } else if now > not_after {
        ValidityState::Expired
    } else if (not_after - now).whole_seconds() <= i64::from(expiring_days) * DAY {
        ValidityState::Expiring
    } else {
        ValidityState::Valid
    };

    let mut basic_constraints = None;
    let mut key_usage = Vec::new();
    let mut extended_key_usage = Vec::new();
    let mut subject_alt_names = Vec::new();
    let mut authority_key_id = None;
    let mut subject_key_id = None;
    let mut seen = Vec::new();
    for ext in tbs.extensions() {
        let oid = ext.oid.to_id_string();
        if seen.contains(&oid) {
            // RFC 5280 forbids repeats; the first one is used.
            notes.push(format!(
                "extension {oid} appears more than once; the first is used"
            ));
            continue;
        }
        seen.push(oid.clone());
        match ext.parsed_extension() {
            ParsedExtension::BasicConstraints(bc) => {
                basic_constraints = Some(BasicConstraintsInfo {
                    ca: bc.ca,
                    path_len: bc.path_len_constraint,
                    critical: ext.critical,
                });
            }
            ParsedExtension::KeyUsage(ku) => key_usage = key_usage_names(ku),
            ParsedExtension::ExtendedKeyUsage(eku) => extended_key_usage = eku_names(eku),
            ParsedExtension::SubjectAlternativeName(san) => {
                subject_alt_names = san
                    .general_names
                    .iter()
                    .take(MAX_LIST_ITEMS)
                    .map(|n| clip(&general_name(n), MAX_TEXT_CHARS))
                    .collect();
                if san.general_names.len() > MAX_LIST_ITEMS {
                    notes.push(format!(
                        "{} more subjectAltName entries not listed",
                        san.general_names.len() - MAX_LIST_ITEMS
                    ));
                }
            }
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                authority_key_id = aki.key_identifier.as_ref().map(|k| k.0.to_vec());
            }
            ParsedExtension::SubjectKeyIdentifier(ski) => subject_key_id = Some(ski.0.to_vec()),
            ParsedExtension::ParseError { error } => {
                notes.push(clip(
                    &format!("extension {oid} could not be parsed: {error}"),
                    MAX_TEXT_CHARS,
                ));
            }
            _ => {}
        }
    }
    notes.truncate(MAX_LIST_ITEMS);

    let (subject, subject_text) = name_info(&tbs.subject);
    let (issuer, issuer_text) = name_info(&tbs.issuer);
    let keys = LinkKeys {
        subject_raw: tbs.subject.as_raw().to_vec(),
        issuer_raw: tbs.issuer.as_raw().to_vec(),
        subject_text,
        issuer_text,
        ski: subject_key_id.clone(),
        aki: authority_key_id.clone(),
        is_ca: basic_constraints.as_ref().is_some_and(|b| b.ca),
    };

    let info = CertificateInfo {
        thumbprint: hex::encode_upper(sha1::Sha1::digest(der)),
        sha256: hex::encode_upper(sha2::Sha256::digest(der)),
        serial: clip(&hex::encode_upper(tbs.raw_serial()), MAX_TEXT_CHARS),
        version: tbs.version.0 + 1,
        subject,
        issuer,
        not_before: UtcTime::from(not_before),
        not_after: UtcTime::from(not_after),
        days_left: whole_days(now, not_after),
        lifetime_days: whole_days(not_before, not_after),
        validity,
        key: key_info(cert),
        signature_algorithm: signature_info(cert),
        basic_constraints,
        key_usage,
        extended_key_usage,
        subject_alt_names,
        authority_key_id: authority_key_id.map(hex::encode_upper),
        subject_key_id: subject_key_id.map(hex::encode_upper),
        self_signed: false,
        chain: ChainInfo {
            issuer_present: false,
            issuer_thumbprint: None,
            signature: SignatureCheck::NotChecked,
            status: ChainStatus::IssuerMissing,
            root_thumbprint: None,
            depth: 0,
        },
        classification: Classification {
            kind: CertKind::Unclassified,
            rule: ClassificationRule::None,
            basis: String::new(),
        },
        files: Vec::new(),
        notes,
    };
    (info, keys)
}

fn key_usage_names(ku: &x509_parser::extensions::KeyUsage) -> Vec<String> {
    [
        (ku.digital_signature(), "digitalSignature"),
        (ku.non_repudiation(), "nonRepudiation"),
        (ku.key_encipherment(), "keyEncipherment"),
        (ku.data_encipherment(), "dataEncipherment"),
        (ku.key_agreement(), "keyAgreement"),
        (ku.key_cert_sign(), "keyCertSign"),
        (ku.crl_sign(), "cRLSign"),
        (ku.encipher_only(), "encipherOnly"),
        (ku.decipher_only(), "decipherOnly"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_owned())
    .collect()
}

fn eku_names(eku: &x509_parser::extensions::ExtendedKeyUsage<'_>) -> Vec<OidName> {
    let known = [
        (eku.any, "anyExtendedKeyUsage", "2.5.29.37.0"),
        (eku.server_auth, "serverAuth", "1.3.6.1.5.5.7.3.1"),
        (eku.client_auth, "clientAuth", "1.3.6.1.5.5.7.3.2"),
        (eku.code_signing, "codeSigning", "1.3.6.1.5.5.7.3.3"),
        (eku.email_protection, "emailProtection", "1.3.6.1.5.5.7.3.4"),
        (eku.time_stamping, "timeStamping", "1.3.6.1.5.5.7.3.8"),
        (eku.ocsp_signing, "OCSPSigning", "1.3.6.1.5.5.7.3.9"),
    ];
    let mut out: Vec<OidName> = known
        .into_iter()
        .filter(|(set, _, _)| *set)
        .map(|(_, name, oid)| OidName {
            name: name.to_owned(),
            oid: oid.to_owned(),
        })
        .collect();
    for oid in eku.other.iter().take(MAX_LIST_ITEMS) {
        let id = oid.to_id_string();
        let name = oid2sn(oid, oid_registry()).map_or_else(|_| id.clone(), str::to_owned);
        out.push(OidName { name, oid: id });
    }
    out
}

fn general_name(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(s) => format!("DNS:{s}"),
        GeneralName::RFC822Name(s) => format!("email:{s}"),
        GeneralName::URI(s) => format!("URI:{s}"),
        GeneralName::IPAddress(b) => match b.len() {
            4 => format!("IP:{}", Ipv4Addr::new(b[0], b[1], b[2], b[3])),
            16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(b);
                format!("IP:{}", Ipv6Addr::from(a))
            }
            _ => format!("IP:#{}", hex::encode_upper(b)),
        },
        GeneralName::DirectoryName(n) => format!("DirName:{}", super::names::rfc4514(n)),
        GeneralName::RegisteredID(oid) => format!("RID:{}", oid.to_id_string()),
        GeneralName::OtherName(oid, _) => format!("otherName:{}", oid.to_id_string()),
        GeneralName::X400Address(_) => "X400Address".to_owned(),
        GeneralName::EDIPartyName(_) => "EDIPartyName".to_owned(),
        GeneralName::Invalid(tag, _) => format!("invalid entry (tag {})", tag.0),
    }
}

fn key_info(cert: &X509Certificate<'_>) -> KeyInfo {
    let spki = cert.public_key();
    let oid = spki.algorithm.algorithm.to_id_string();
    let parsed_size = spki
        .parsed()
        .ok()
        .map(|k| k.key_size())
        .filter(|s| *s > 0)
        .and_then(|s| u32::try_from(s).ok());
    let curve_oid = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    let (algorithm, size_bits, curve) = match oid.as_str() {
        "1.2.840.113549.1.1.1" => ("RSA".to_owned(), rsa_bits(cert).or(parsed_size), None),
        "1.2.840.113549.1.1.10" => ("RSA-PSS".to_owned(), rsa_bits(cert).or(parsed_size), None),
        "1.2.840.10045.2.1" => {
            let (curve, bits) = match curve_oid.as_deref() {
                Some("1.2.840.10045.3.1.7") => (Some("P-256".to_owned()), Some(256)),
                Some("1.3.132.0.34") => (Some("P-384".to_owned()), Some(384)),
                Some("1.3.132.0.35") => (Some("P-521".to_owned()), Some(521)),
                Some("1.3.132.0.10") => (Some("secp256k1".to_owned()), Some(256)),
                Some(other) => (Some(other.to_owned()), parsed_size),
                None => (None, parsed_size),
            };
            ("EC".to_owned(), bits, curve)
        }
        "1.3.101.112" => ("Ed25519".to_owned(), Some(256), None),
        "1.3.101.113" => ("Ed448".to_owned(), Some(456), None),
        "1.2.840.10040.4.1" => ("DSA".to_owned(), parsed_size, None),
        _ => (oid.clone(), parsed_size, None),
    };
    KeyInfo {
        algorithm,
        algorithm_oid: oid,
        size_bits,
        curve,
    }
}

/// RSA modulus size without the sign byte DER may prefix.
fn rsa_bits(cert: &X509Certificate<'_>) -> Option<u32> {
    match cert.public_key().parsed().ok()? {
        PublicKey::RSA(rsa) => {
            let m = rsa.modulus;
            let skip = m.iter().take_while(|b| **b == 0).count();
            let m = &m[skip..];
            let first = *m.first()?;
            let bits = (m.len() - 1) * 8 + (8 - first.leading_zeros() as usize);
            u32::try_from(bits).ok()
        }
        _ => None,
    }
}

/// Signature algorithm OIDs that rest on SHA-1, MD5 or MD2.
const WEAK_SIGNATURES: &[(&str, &str)] = &[
    ("1.2.840.113549.1.1.2", "md2WithRSAEncryption"),
    ("1.2.840.113549.1.1.3", "md4WithRSAEncryption"),
    ("1.2.840.113549.1.1.4", "md5WithRSAEncryption"),
    ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption"),
    ("1.3.14.3.2.29", "sha1WithRSASignature"),
    ("1.2.840.10045.4.1", "ecdsa-with-SHA1"),
    ("1.2.840.10040.4.3", "dsa-with-sha1"),
    ("1.3.14.3.2.27", "dsaWithSHA1"),
];

const SIGNATURE_NAMES: &[(&str, &str)] = &[
    ("1.2.840.113549.1.1.11", "sha256WithRSAEncryption"),
    ("1.2.840.113549.1.1.12", "sha384WithRSAEncryption"),
    ("1.2.840.113549.1.1.13", "sha512WithRSAEncryption"),
    ("1.2.840.113549.1.1.10", "RSASSA-PSS"),
    ("1.2.840.10045.4.3.2", "ecdsa-with-SHA256"),
    ("1.2.840.10045.4.3.3", "ecdsa-with-SHA384"),
    ("1.2.840.10045.4.3.4", "ecdsa-with-SHA512"),
    ("1.3.101.112", "Ed25519"),
    ("1.3.101.113", "Ed448"),
];

/// Name and weakness of a signature algorithm OID.
pub(crate) fn signature_name(oid: &str) -> (String, bool) {
    if let Some((_, name)) = WEAK_SIGNATURES.iter().find(|(o, _)| *o == oid) {
        return ((*name).to_owned(), true);
    }
    if let Some((_, name)) = SIGNATURE_NAMES.iter().find(|(o, _)| *o == oid) {
        return ((*name).to_owned(), false);
    }
    (oid.to_owned(), false)
}

fn signature_info(cert: &X509Certificate<'_>) -> SignatureAlgorithmInfo {
    let alg = &cert.signature_algorithm;
    let oid = alg.algorithm.to_id_string();
    let (mut name, mut weak) = signature_name(&oid);
    if name == oid
        && let Ok(sn) = oid2sn(&alg.algorithm, oid_registry())
    {
        name = sn.to_owned();
    }
    // RSASSA-PSS names its hash in the parameters; absent means SHA-1.
    if oid == "1.2.840.113549.1.1.10"
        && let Some(params) = alg.parameters.as_ref()
        && let Ok(pss) = RsaSsaPssParams::try_from(params)
    {
        let hash = pss.hash_algorithm_oid().to_id_string();
        weak = hash == "1.3.14.3.2.26";
        name = format!("RSASSA-PSS ({})", hash_name(&hash));
    }
    SignatureAlgorithmInfo { name, oid, weak }
}

fn hash_name(oid: &str) -> &str {
    match oid {
        "1.3.14.3.2.26" => "SHA-1",
        "2.16.840.1.101.3.4.2.1" => "SHA-256",
        "2.16.840.1.101.3.4.2.2" => "SHA-384",
        "2.16.840.1.101.3.4.2.3" => "SHA-512",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn whole_days_round_towards_the_past() {
        let t = datetime!(2026-05-02 12:00 UTC);
        assert_eq!(whole_days(t, datetime!(2026-05-05 11:00 UTC)), 2);
        assert_eq!(whole_days(t, datetime!(2026-05-05 12:00 UTC)), 3);
        assert_eq!(whole_days(t, datetime!(2026-05-02 11:00 UTC)), -1);
    }

    #[test]
    fn sha1_and_md5_signatures_are_weak() {
        assert_eq!(
            signature_name("1.2.840.113549.1.1.5"),
            ("sha1WithRSAEncryption".to_owned(), true)
        );
        assert!(signature_name("1.2.840.113549.1.1.4").1);
        assert!(signature_name("1.2.840.10045.4.1").1);
        assert_eq!(
            signature_name("1.2.840.10045.4.3.2"),
            ("ecdsa-with-SHA256".to_owned(), false)
        );
        assert_eq!(signature_name("1.2.3.4"), ("1.2.3.4".to_owned(), false));
    }
}
