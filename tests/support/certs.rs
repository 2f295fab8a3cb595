//! Shared fixtures: NEA key stores generated with rcgen at test time.
//!
//! Nothing here is committed: keys and certificates are made fresh on every
//! run and written only into temporary folders (or `NYMIDIAG_FIXTURE_DIR`,
//! see `tests/fixture_stores.rs`). File names are neutral (`01.cer`, ...):
//! the inventory must never classify by name.
//!
//! The healthy set mirrors the documented layout, 8 local + 12 NES-issued:
//! - local: 8 self-signed end-entity certificates (ECDSA P-256);
//! - NES: a root CA, an issuing CA under it, and 10 leaves under the issuing
//!   CA, with the NES default validity of 14 days.
//!
//! How the real NSL makes its certificates is not documented; this layout
//! is an assumption that exercises every rule, not a claim about NSL.

use std::fs;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use time::{Duration, OffsetDateTime};

/// The evaluation time fixtures are built around, unless a test picks
/// another.
pub const NOW: &str = "2026-05-02T12:00:00Z";

/// [`NOW`] as a time.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::parse(NOW, &time::format_description::well_known::Rfc3339).unwrap()
}

/// What a fixture certificate is, for assertions (never written to disk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Local,
    NesRoot,
    NesIssuing,
    NesLeaf,
}

impl Role {
    pub fn is_nes(self) -> bool {
        self != Role::Local
    }
}

/// One generated certificate.
#[derive(Clone, Debug)]
pub struct FixtureCert {
    pub role: Role,
    pub der: Vec<u8>,
}

impl FixtureCert {
    pub fn pem(&self) -> String {
        pem_block("CERTIFICATE", &self.der)
    }
}

/// Encodes one PEM block.
pub fn pem_block(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn key() -> KeyPair {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap()
}

fn dn(cn: &str, org: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, org);
    dn.push(DnType::CommonName, cn);
    dn
}

/// Validity window of a set of certificates.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl Window {
    /// Issued `age_days` ago, valid `days` in all.
    pub fn issued(now: OffsetDateTime, age_days: i64, days: i64) -> Self {
        let not_before = now - Duration::days(age_days);
        Window {
            not_before,
            not_after: not_before + Duration::days(days),
        }
    }
}

/// `n` locally generated certificates: self-signed end entities.
pub fn local_certs(n: usize, window: Window) -> Vec<FixtureCert> {
    (0..n)
        .map(|i| {
            let mut p = CertificateParams::default();
            p.distinguished_name = dn(&format!("NEA terminal key {}", i + 1), "Terminal");
            p.not_before = window.not_before;
            p.not_after = window.not_after;
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            FixtureCert {
                role: Role::Local,
                der: p.self_signed(&key()).unwrap().der().to_vec(),
            }
        })
        .collect()
}

/// A test NES CA chain: a root and an issuing CA under it.
pub struct NesPki {
    pub root: CertifiedIssuer<'static, KeyPair>,
    pub issuing: CertifiedIssuer<'static, KeyPair>,
}

impl NesPki {
    pub fn new(now: OffsetDateTime) -> Self {
        let mut root = CertificateParams::default();
        root.distinguished_name = dn("Test NES Root CA", "Test NES");
        root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        root.not_before = now - Duration::days(400);
        root.not_after = now + Duration::days(3250);
        let root = CertifiedIssuer::self_signed(root, key()).unwrap();

        let mut issuing = CertificateParams::default();
        issuing.distinguished_name = dn("Test NES Issuing CA", "Test NES");
        issuing.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        issuing.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        issuing.use_authority_key_identifier_extension = true;
        issuing.not_before = now - Duration::days(300);
        issuing.not_after = now + Duration::days(1500);
        let issuing = CertifiedIssuer::signed_by(issuing, key(), &root).unwrap();
        NesPki { root, issuing }
    }

    pub fn root_cert(&self) -> FixtureCert {
        FixtureCert {
            role: Role::NesRoot,
            der: self.root.der().to_vec(),
        }
    }

    pub fn issuing_cert(&self) -> FixtureCert {
        FixtureCert {
            role: Role::NesIssuing,
            der: self.issuing.der().to_vec(),
        }
    }

    /// `n` NEA certificates issued by the issuing CA.
    pub fn leaves(&self, n: usize, window: Window) -> Vec<FixtureCert> {
        self.leaves_named(n, window, "NEA certificate")
    }

    /// Leaves whose CN starts with `prefix`.
    pub fn leaves_named(&self, n: usize, window: Window, prefix: &str) -> Vec<FixtureCert> {
        (0..n)
            .map(|i| FixtureCert {
                role: Role::NesLeaf,
                der: leaf_params(&format!("{prefix} {}", i + 1), window)
                    .signed_by(&key(), &self.issuing)
                    .unwrap()
                    .der()
                    .to_vec(),
            })
            .collect()
    }

    /// A leaf signed by the root directly.
    pub fn root_leaf(&self, cn: &str, window: Window) -> FixtureCert {
        FixtureCert {
            role: Role::NesLeaf,
            der: leaf_params(cn, window)
                .signed_by(&key(), &self.root)
                .unwrap()
                .der()
                .to_vec(),
        }
    }
}

fn leaf_params(cn: &str, window: Window) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(cn, "Test NES");
    p.not_before = window.not_before;
    p.not_after = window.not_after;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    p.use_authority_key_identifier_extension = true;
    p
}

/// Local validity used by the fixtures (undocumented; a year).
pub fn local_window(now: OffsetDateTime) -> Window {
    Window::issued(now, 30, 365)
}

/// NES validity: the documented default of 14 days, issued 2 days ago.
pub fn nes_window(now: OffsetDateTime) -> Window {
    Window::issued(now, 2, 14)
}

/// The healthy 20: 8 local, then root, issuing CA and 10 leaves.
pub fn healthy_set(now: OffsetDateTime) -> Vec<FixtureCert> {
    let pki = NesPki::new(now);
    let mut certs = local_certs(8, local_window(now));
    certs.push(pki.root_cert());
    certs.push(pki.issuing_cert());
    certs.extend(pki.leaves(10, nes_window(now)));
    certs
}

/// How [`write_certs`] encodes files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Der,
    Pem,
    /// DER and PEM by turns.
    Alternate,
}

/// Writes one certificate per file, `01.cer`, `02.cer`, ... Returns the
/// paths.
pub fn write_certs(dir: &Path, certs: &[FixtureCert], encoding: Encoding) -> Vec<PathBuf> {
    fs::create_dir_all(dir).unwrap();
    certs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let pem = match encoding {
                Encoding::Der => false,
                Encoding::Pem => true,
                Encoding::Alternate => i % 2 == 1,
            };
            let path = dir.join(format!("{:02}.cer", i + 1));
            if pem {
                fs::write(&path, c.pem()).unwrap();
            } else {
                fs::write(&path, &c.der).unwrap();
            }
            path
        })
        .collect()
}

/// A minimal DER TLV.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A degenerate PKCS#7 SignedData holding `certs` (what `.p7b` files are).
pub fn pkcs7(certs: &[&[u8]]) -> Vec<u8> {
    let signed_data_oid = [
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02,
    ];
    let data_oid = [
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01,
    ];
    let mut sd = vec![0x02, 0x01, 0x01];
    sd.extend(tlv(0x31, &[]));
    sd.extend(tlv(0x30, &data_oid));
    sd.extend(tlv(0xA0, &certs.concat()));
    sd.extend(tlv(0x31, &[]));
    let mut ci = signed_data_oid.to_vec();
    ci.extend(tlv(0xA0, &tlv(0x30, &sd)));
    tlv(0x30, &ci)
}

/// A private key in PEM, generated now (never committed).
pub fn private_key_pem() -> String {
    key().serialize_pem()
}

/// The certificate with its signature's last byte flipped: still parses,
/// no longer verifies.
pub fn tampered(cert: &FixtureCert) -> FixtureCert {
    let mut der = cert.der.clone();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    FixtureCert {
        role: cert.role,
        der,
    }
}

/// SHA-256, size and mtime of every entry under `root` (links not
/// followed), to prove an inventory changed nothing.
pub fn snapshot(root: &Path) -> Vec<(PathBuf, String, u64, std::time::SystemTime)> {
    use sha2::Digest as _;
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let meta = fs::symlink_metadata(&path).unwrap();
            let ft = meta.file_type();
            let digest = if ft.is_symlink() {
                format!("link:{}", fs::read_link(&path).unwrap().display())
            } else if ft.is_dir() {
                stack.push(path.clone());
                "dir".to_owned()
            } else if ft.is_file() {
                hex::encode(sha2::Sha256::digest(fs::read(&path).unwrap()))
            } else {
                "special".to_owned()
            };
            out.push((path, digest, meta.len(), meta.modified().unwrap()));
        }
    }
    out
}

/// Makes a FIFO with `mkfifo`; false when that is not possible here.
pub fn make_fifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}
