//! Inventory speed on a store of 10,000 certificate files.
//!
//! ```text
//! CARGO_TARGET_DIR=... cargo bench --bench cert_inventory
//! ```
//!
//! The store holds 10,000 distinct leaf certificates (DER, one per file)
//! signed by one CA, plus the CA, so every certificate is parsed, hashed,
//! linked and has its ECDSA P-256 signature verified. Beside the inventory
//! the same run measures two baselines over the same files:
//! - `read_files`: only reading every file (the floor any tool pays);
//! - `read_and_parse`: reading and parsing every certificate with
//!   x509-parser, without hashing, chaining or verifying;
//! - `verify_only`: verifying every leaf's signature with the CA key, the
//!   certificates already parsed in memory (the share of the inventory
//!   spent in ring's ECDSA).
//!
//! And, once before the divan table, `openssl x509 -noout -fingerprint
//! -sha1 -dates -subject` in a shell loop over the first 1,000 files (one
//! process per certificate, as an admin script would run it), printed as
//! certificates per second.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use divan::counter::ItemsCount;
use nymidiag::certs::{CertInventoryRequest, cert_inventory};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
    PKCS_ECDSA_P256_SHA256,
};

const FILES: usize = 10_000;
const OPENSSL_FILES: usize = 1_000;

struct Store {
    _dir: tempfile::TempDir,
    path: PathBuf,
    files: usize,
}

fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ksp");
        std::fs::create_dir(&path).unwrap();
        let mut ca = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "Bench NES CA");
        ca.distinguished_name = dn;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(
            ca,
            KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap(),
        )
        .unwrap();
        std::fs::write(path.join("ca.cer"), ca.der()).unwrap();
        // One leaf key for all: key generation is not what is measured.
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        for i in 0..FILES - 1 {
            let mut p = CertificateParams::default();
            let mut dn = DistinguishedName::new();
            dn.push(DnType::OrganizationName, "Bench NES");
            dn.push(DnType::CommonName, format!("NEA certificate {i}"));
            p.distinguished_name = dn;
            p.use_authority_key_identifier_extension = true;
            let cert = p.signed_by(&key, &ca).unwrap();
            std::fs::write(path.join(format!("{i:05}.cer")), cert.der()).unwrap();
        }
        Store {
            _dir: dir,
            path,
            files: FILES,
        }
    })
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn main() {
    let s = store();
    openssl_loop(&s.path);
    divan::main();
}

/// `openssl x509` once per file over the first [`OPENSSL_FILES`] files.
fn openssl_loop(dir: &Path) {
    if !std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        println!("openssl comparison skipped: openssl not installed");
        return;
    }
    let list: Vec<String> = files(dir)
        .into_iter()
        .take(OPENSSL_FILES)
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let script = "for f in \"$@\"; do openssl x509 -inform DER -in \"$f\" -noout -fingerprint -sha1 -dates -subject || exit 1; done > /dev/null";
    let start = Instant::now();
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .args(&list)
        .status()
        .unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert!(status.success());
    println!(
        "openssl x509 shell loop: {} certificates in {:.2} s = {:.0} certificates/s",
        list.len(),
        secs,
        list.len() as f64 / secs
    );
}

/// The whole inventory: list, read, decode, hash, describe, chain, verify,
/// classify, assess and build the report.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn inventory(bencher: divan::Bencher) {
    let s = store();
    let req = CertInventoryRequest {
        paths: vec![s.path.to_string_lossy().into_owned()],
        ..Default::default()
    };
    bencher.counter(ItemsCount::new(s.files)).bench(|| {
        let r = cert_inventory(divan::black_box(&req));
        assert_eq!(r.data.stores[0].counts.certificates, FILES as u64);
        r
    });
}

/// Baseline: list and read every file.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn read_files(bencher: divan::Bencher) {
    let s = store();
    bencher.counter(ItemsCount::new(s.files)).bench(|| {
        files(&s.path)
            .iter()
            .map(|p| std::fs::read(p).unwrap().len())
            .sum::<usize>()
    });
}

/// Baseline: read and parse every certificate, nothing else.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn read_and_parse(bencher: divan::Bencher) {
    let s = store();
    bencher.counter(ItemsCount::new(s.files)).bench(|| {
        files(&s.path)
            .iter()
            .filter(|p| {
                let der = std::fs::read(p).unwrap();
                x509_parser::parse_x509_certificate(&der).is_ok()
            })
            .count()
    });
}

/// Part of the inventory: only the signature checks, on parsed certificates.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn verify_only(bencher: divan::Bencher) {
    let s = store();
    let ders: Vec<Vec<u8>> = files(&s.path)
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let certs: Vec<_> = ders
        .iter()
        .map(|d| x509_parser::parse_x509_certificate(d).unwrap().1)
        .collect();
    let ca = certs
        .iter()
        .find(|c| c.subject() == c.issuer())
        .expect("the CA is in the store");
    bencher.counter(ItemsCount::new(s.files)).bench(|| {
        certs
            .iter()
            .filter(|c| c.verify_signature(Some(ca.public_key())).is_ok())
            .count()
    });
}
