//! Certificates for the mock NES, made with rcgen at start-up: a root and
//! an issuing CA the tests trust through `trusted_root_path`, a rogue CA
//! they do not, and one leaf per scenario. Every leaf names `localhost`,
//! `127.0.0.1` and `::1` unless the scenario is about the name.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// A certificate chain as a server presents it, and the leaf's key.
pub struct Served {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

/// Every certificate the mock servers use.
pub struct Pki {
    /// PEM of the root CA: the admin CA file of the tests.
    pub root_pem: String,
    pub healthy: Served,
    pub expired: Served,
    pub wrong_name: Served,
    pub unknown_ca: Served,
    pub missing_intermediate: Served,
    pub expiring_soon: Served,
}

/// The names every healthy leaf carries.
pub const LEAF_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "nymidiag mock");
    dn.push(DnType::CommonName, cn);
    dn
}

fn ca_params(cn: &str, now: OffsetDateTime) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("no names");
    p.distinguished_name = name(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = now - Duration::days(1);
    p.not_after = now + Duration::days(3650);
    p
}

fn leaf_params(names: &[&str], from: OffsetDateTime, to: OffsetDateTime) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
    let mut p = CertificateParams::new(names.clone()).expect("valid names");
    p.distinguished_name = name(&names[0]);
    p.is_ca = IsCa::NoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.not_before = from;
    p.not_after = to;
    p
}

fn key_der(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

impl Pki {
    pub fn generate() -> Pki {
        let now = OffsetDateTime::now_utc();
        let root = CertifiedIssuer::self_signed(
            ca_params("nymidiag Mock Root CA", now),
            KeyPair::generate().expect("key"),
        )
        .expect("root");
        let issuing = CertifiedIssuer::signed_by(
            ca_params("nymidiag Mock Issuing CA", now),
            KeyPair::generate().expect("key"),
            &root,
        )
        .expect("issuing CA");
        let rogue = CertifiedIssuer::self_signed(
            ca_params("Unknown Rogue CA", now),
            KeyPair::generate().expect("key"),
        )
        .expect("rogue CA");

        let leaf = |params: CertificateParams, by: &CertifiedIssuer<'_, KeyPair>| {
            let key = KeyPair::generate().expect("key");
            let cert = params.signed_by(&key, by).expect("leaf");
            (cert.der().clone(), key_der(&key))
        };
        let year = (now - Duration::days(1), now + Duration::days(365));
        let with_issuing =
            |(leaf, key): (CertificateDer<'static>, PrivateKeyDer<'static>)| Served {
                chain: vec![leaf, issuing.der().clone()],
                key,
            };

        let healthy = with_issuing(leaf(leaf_params(&LEAF_NAMES, year.0, year.1), &issuing));
        let expired = with_issuing(leaf(
            leaf_params(
                &LEAF_NAMES,
                OffsetDateTime::from_unix_timestamp(1_577_836_800).expect("2020"),
                OffsetDateTime::from_unix_timestamp(1_609_459_200).expect("2021"),
            ),
            &issuing,
        ));
        let wrong_name = with_issuing(leaf(
            leaf_params(&["nes.wrong-name.invalid", "10.99.99.99"], year.0, year.1),
            &issuing,
        ));
        let expiring_soon = with_issuing(leaf(
            leaf_params(&LEAF_NAMES, year.0, now + Duration::days(10)),
            &issuing,
        ));
        let (rogue_leaf, rogue_key) = leaf(leaf_params(&LEAF_NAMES, year.0, year.1), &rogue);
        let unknown_ca = Served {
            chain: vec![rogue_leaf, rogue.der().clone()],
            key: rogue_key,
        };
        let (lonely, lonely_key) = leaf(leaf_params(&LEAF_NAMES, year.0, year.1), &issuing);
        let missing_intermediate = Served {
            chain: vec![lonely],
            key: lonely_key,
        };
        Pki {
            root_pem: root.pem(),
            healthy,
            expired,
            wrong_name,
            unknown_ca,
            missing_intermediate,
            expiring_soon,
        }
    }
}
