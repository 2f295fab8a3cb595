//! Independent cross-check against OpenSSL: thumbprints, dates, subjects
//! and serials of the same files, as `openssl x509` prints them; PKCS#7
//! bundles and private keys written by OpenSSL rather than by our own
//! fixture code; and RSA and SHA-1 certificates, which rcgen cannot make.
//! Skipped, with the reason printed, where `openssl` is not installed.

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use nymidiag::certs::{
    CertInventoryRequest, CertificateInfo, FileStatus, KspStore, cert_inventory,
};
use nymidiag::time_fmt::UtcTime;
use time::PrimitiveDateTime;
use time::macros::format_description;

use support::certs::{Encoding, healthy_set, write_certs};

fn openssl(args: &[&str]) -> Option<String> {
    let out = Command::new("openssl").args(args).output().ok()?;
    if !out.status.success() {
        panic!(
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Some(String::from_utf8(out.stdout).expect("openssl prints UTF-8 with -esc_msb off"))
}

fn have_openssl() -> bool {
    match Command::new("openssl").arg("version").output() {
        Ok(o) if o.status.success() => true,
        _ => {
            eprintln!("skipped: openssl is not installed on this machine");
            false
        }
    }
}

fn inventory(dir: &Path) -> KspStore {
    let r = cert_inventory(&CertInventoryRequest {
        paths: vec![dir.to_string_lossy().into_owned()],
        now: Some(UtcTime::from(support::certs::now())),
        ..Default::default()
    });
    r.data.stores.into_iter().next().unwrap()
}

/// What `openssl x509` says about one file.
#[derive(Debug, Default)]
struct Seen {
    sha1: String,
    not_before: String,
    not_after: String,
    subject: String,
    serial: String,
}

fn openssl_x509(file: &Path, der: bool) -> Seen {
    let path = file.to_string_lossy();
    let out = openssl(&[
        "x509",
        "-in",
        &path,
        "-inform",
        if der { "DER" } else { "PEM" },
        "-noout",
        "-fingerprint",
        "-sha1",
        "-dates",
        "-subject",
        "-serial",
        "-nameopt",
        "RFC2253,-esc_msb",
    ])
    .unwrap();
    let mut seen = Seen::default();
    for line in out.lines() {
        let (key, value) = line.split_once('=').unwrap();
        let value = value.to_owned();
        match key.to_ascii_lowercase().as_str() {
            "sha1 fingerprint" => seen.sha1 = value.replace(':', ""),
            "notbefore" => seen.not_before = value,
            "notafter" => seen.not_after = value,
            "subject" => seen.subject = value,
            "serial" => seen.serial = value,
            other => panic!("unexpected openssl line {other}"),
        }
    }
    seen
}

/// `May  2 12:00:00 2026 GMT` as our ISO form.
fn openssl_date(text: &str) -> String {
    let fmt = format_description!(
        "[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT"
    );
    let t = PrimitiveDateTime::parse(text, &fmt).unwrap().assume_utc();
    UtcTime::from(t).to_string()
}

fn by_file<'a>(store: &'a KspStore, name: &str) -> &'a CertificateInfo {
    store
        .certificates
        .iter()
        .find(|c| c.files.iter().any(|f| f == name))
        .unwrap_or_else(|| panic!("no certificate from {name}"))
}

fn compare(store: &KspStore, dir: &Path, name: &str, der: bool) {
    let ours = by_file(store, name);
    let theirs = openssl_x509(&dir.join(name), der);
    assert_eq!(ours.thumbprint, theirs.sha1, "{name}: thumbprint");
    assert_eq!(
        ours.not_before.to_string(),
        openssl_date(&theirs.not_before),
        "{name}"
    );
    assert_eq!(
        ours.not_after.to_string(),
        openssl_date(&theirs.not_after),
        "{name}"
    );
    assert_eq!(ours.subject.rfc4514, theirs.subject, "{name}: subject");
    // OpenSSL prints the integer; we print its DER bytes (with the sign
    // byte Windows also shows).
    assert_eq!(
        ours.serial.trim_start_matches("00"),
        theirs.serial.trim_start_matches("00"),
        "{name}: serial"
    );
}

#[test]
fn thumbprints_dates_subjects_and_serials_match_openssl() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = write_certs(
        dir.path(),
        &healthy_set(support::certs::now()),
        Encoding::Alternate,
    );

    // Escapes, a multi-valued RDN, non-ASCII text and RSA 3072, by OpenSSL.
    let key = dir.path().join("rsa.key");
    let rsa = dir.path().join("rsa.crt");
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:3072",
        "-nodes",
        "-keyout",
        &key.to_string_lossy(),
        "-out",
        &rsa.to_string_lossy(),
        "-days",
        "14",
        "-utf8",
        "-multivalue-rdn",
        "-subj",
        "/C=DE/O=Comma\\, Plus\\+ Inc/OU=#hash/CN=Jürgen 証明書+UID=jd",
    ])
    .unwrap();
    // SHA-1, which rcgen cannot sign with.
    let sha1 = dir.path().join("sha1.crt");
    openssl(&[
        "req",
        "-x509",
        "-sha1",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &dir.path().join("sha1.key").to_string_lossy(),
        "-out",
        &sha1.to_string_lossy(),
        "-days",
        "14",
        "-subj",
        "/CN=legacy sha1",
    ])
    .unwrap();
    fs::remove_file(&key).unwrap();
    fs::remove_file(dir.path().join("sha1.key")).unwrap();

    let store = inventory(dir.path());
    assert_eq!(store.counts.certificates, 22);
    for (i, path) in files.iter().enumerate() {
        let name = path.file_name().unwrap().to_string_lossy();
        compare(&store, dir.path(), &name, i % 2 == 0);
    }
    compare(&store, dir.path(), "rsa.crt", false);
    compare(&store, dir.path(), "sha1.crt", false);

    let rsa = by_file(&store, "rsa.crt");
    assert_eq!(
        rsa.subject.rfc4514,
        "CN=Jürgen 証明書+UID=jd,OU=\\#hash,O=Comma\\, Plus\\+ Inc,C=DE"
    );
    assert_eq!(rsa.subject.cn.as_deref(), Some("Jürgen 証明書"));
    assert_eq!(
        (rsa.key.algorithm.as_str(), rsa.key.size_bits),
        ("RSA", Some(3072))
    );
    assert_eq!(rsa.signature_algorithm.name, "sha256WithRSAEncryption");
    assert!(rsa.self_signed, "RSA signatures verify too");
    let text = openssl(&[
        "x509",
        "-in",
        &dir.path().join("rsa.crt").to_string_lossy(),
        "-noout",
        "-text",
    ])
    .unwrap();
    assert!(text.contains("Public-Key: (3072 bit)"));

    let legacy = by_file(&store, "sha1.crt");
    assert_eq!(legacy.signature_algorithm.name, "sha1WithRSAEncryption");
    assert!(legacy.signature_algorithm.weak);
    assert!(legacy.self_signed, "SHA-1 signatures still verify");
}

#[test]
fn pkcs7_bundles_and_keys_written_by_openssl_are_read() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let set = healthy_set(support::certs::now());
    let bundle = dir.path().join("bundle.pem");
    fs::write(&bundle, set.iter().map(|c| c.pem()).collect::<String>()).unwrap();
    let ksp = dir.path().join("ksp");
    fs::create_dir(&ksp).unwrap();
    let s = |p: &Path| p.to_string_lossy().into_owned();
    openssl(&[
        "crl2pkcs7",
        "-nocrl",
        "-certfile",
        &s(&bundle),
        "-outform",
        "DER",
        "-out",
        &s(&ksp.join("all.p7b")),
    ])
    .unwrap();
    openssl(&[
        "crl2pkcs7",
        "-nocrl",
        "-certfile",
        &s(&bundle),
        "-out",
        &s(&ksp.join("all.p7c")),
    ])
    .unwrap();
    // Keys in the shapes OpenSSL writes: PKCS#8 PEM and DER, traditional
    // RSA PEM, SEC1 EC DER.
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        &s(&ksp.join("k8.pem")),
    ])
    .unwrap();
    openssl(&[
        "pkey",
        "-in",
        &s(&ksp.join("k8.pem")),
        "-outform",
        "DER",
        "-out",
        &s(&ksp.join("k8.der")),
    ])
    .unwrap();
    openssl(&[
        "pkey",
        "-in",
        &s(&ksp.join("k8.pem")),
        "-traditional",
        "-out",
        &s(&ksp.join("rsa.key")),
    ])
    .unwrap();
    openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-outform",
        "DER",
        "-out",
        &s(&ksp.join("ec.der")),
    ])
    .unwrap();

    let store = inventory(&ksp);
    let file = |n: &str| store.files.iter().find(|f| f.name == n).unwrap();
    let printed = openssl(&[
        "pkcs7",
        "-inform",
        "DER",
        "-in",
        &s(&ksp.join("all.p7b")),
        "-print_certs",
        "-noout",
    ])
    .unwrap();
    let theirs = printed
        .lines()
        .filter(|l| l.starts_with("subject="))
        .count();
    assert_eq!(theirs, 20);
    assert_eq!(file("all.p7b").certificates as usize, theirs);
    assert_eq!(file("all.p7c").certificates as usize, theirs);
    assert_eq!(store.counts.certificates, 20);
    assert_eq!(store.counts.duplicate_certificates, 20);
    for key in ["k8.pem", "k8.der", "rsa.key", "ec.der"] {
        assert_eq!(file(key).status, FileStatus::PrivateKey, "{key}");
    }
    assert_eq!(store.counts.key_files, 4);
}
