//! The fixture stores, one folder per scenario, each with the findings an
//! inventory at the fixture time must (and must not) report. Used by the
//! integration tests and by `tests/fixture_stores.rs`, which writes them for
//! the PowerShell (Pester) tests.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::json;
use time::OffsetDateTime;

use super::*;

/// One written store.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: &'static str,
    /// The folder to pass in `paths`.
    pub path: PathBuf,
    /// Stores the inventory should find there.
    pub stores: usize,
    /// Distinct certificates in the (first) store.
    pub certificates: u64,
    /// Finding ids that must be reported.
    pub expect: Vec<&'static str>,
    /// Finding ids that must not be reported.
    pub absent: Vec<&'static str>,
    pub description: &'static str,
}

const ALL: &[&str] = &[
    "NEA_CERTS_MISSING",
    "NEA_CERTS_EXTRA",
    "NEA_CERT_EXPIRED",
    "NEA_CERT_EXPIRING",
    "NEA_CERT_NOT_YET_VALID",
    "NEA_CERT_CHAIN_BROKEN",
    "NEA_CERT_UNREADABLE",
    "KSP_NOT_FOUND",
    "KSP_ACCESS_DENIED",
];

fn scenario(
    name: &'static str,
    path: PathBuf,
    certificates: u64,
    expect: &[&'static str],
    description: &'static str,
) -> Scenario {
    Scenario {
        name,
        path,
        stores: 1,
        certificates,
        expect: expect.to_vec(),
        absent: ALL
            .iter()
            .copied()
            .filter(|id| !expect.contains(id))
            .collect(),
        description,
    }
}

/// Writes every scenario under `root` for evaluation at `now`.
pub fn write_all(root: &Path, now: OffsetDateTime) -> Vec<Scenario> {
    let pki = NesPki::new(now);
    let local = local_certs(8, local_window(now));
    let nes = |window: Window| {
        let mut v = vec![pki.root_cert(), pki.issuing_cert()];
        v.extend(pki.leaves(10, window));
        v
    };
    let healthy: Vec<FixtureCert> = local.iter().cloned().chain(nes(nes_window(now))).collect();
    let mut out = Vec::new();

    let dir = root.join("healthy").join("ksp");
    write_certs(&dir, &healthy, Encoding::Alternate);
    out.push(scenario(
        "healthy",
        dir,
        20,
        &[],
        "8 local + 12 NES-issued, DER and PEM",
    ));

    let dir = root.join("local-only").join("ksp");
    write_certs(&dir, &local, Encoding::Der);
    out.push(scenario(
        "local-only",
        dir,
        8,
        &["NEA_CERTS_MISSING"],
        "only the 8 local certificates: NES certificates never retrieved",
    ));

    let dir = root.join("expired").join("ksp");
    let set: Vec<_> = local
        .iter()
        .cloned()
        .chain(nes(Window::issued(now, 20, 14)))
        .collect();
    write_certs(&dir, &set, Encoding::Der);
    out.push(scenario(
        "expired",
        dir,
        20,
        &["NEA_CERT_EXPIRED"],
        "NES leaves expired 6 days ago (issued 20 days ago, valid 14)",
    ));

    let dir = root.join("expiring").join("ksp");
    let set: Vec<_> = local
        .iter()
        .cloned()
        .chain(nes(Window::issued(now, 12, 14)))
        .collect();
    write_certs(&dir, &set, Encoding::Der);
    out.push(scenario(
        "expiring",
        dir,
        20,
        &["NEA_CERT_EXPIRING"],
        "NES leaves expire in 2 days",
    ));

    let dir = root.join("not-yet-valid").join("ksp");
    let set: Vec<_> = local
        .iter()
        .cloned()
        .chain(nes(Window::issued(now, -1, 14)))
        .collect();
    write_certs(&dir, &set, Encoding::Der);
    out.push(scenario(
        "not-yet-valid",
        dir,
        20,
        &["NEA_CERT_NOT_YET_VALID"],
        "NES leaves valid from tomorrow (clock skew)",
    ));

    // 8 local + root + 10 leaves whose issuing CA is absent + 1 leaf with a
    // broken signature = 20.
    let dir = root.join("broken-chain").join("ksp");
    let mut set = local.clone();
    set.push(pki.root_cert());
    set.extend(pki.leaves(10, nes_window(now)));
    set.push(tampered(
        &pki.root_leaf("NEA certificate tampered", nes_window(now)),
    ));
    write_certs(&dir, &set, Encoding::Der);
    out.push(scenario(
        "broken-chain",
        dir,
        20,
        &["NEA_CERT_CHAIN_BROKEN"],
        "issuing CA missing (10 leaves) and one signature that fails",
    ));

    let dir = root.join("mixed").join("ksp");
    write_mixed(&dir, &healthy);
    out.push(scenario(
        "mixed",
        dir,
        20,
        &[],
        "the healthy 20 across PEM bundles, DER, base64, UTF-16 PEM and PKCS#7, plus a key file",
    ));

    let dir = root.join("bad-input").join("ksp");
    write_bad_input(&dir, &healthy);
    out.push(scenario(
        "bad-input",
        dir,
        20,
        &["NEA_CERT_UNREADABLE"],
        "the healthy 20 (two in non-ASCII file names) among empty, truncated, broken and random files",
    ));

    // An NSL folder with two NEA stores, one healthy and one local-only.
    let nsl = root.join("NSL");
    write_certs(&nsl.join("3f2a9c0e").join("ksp"), &healthy, Encoding::Der);
    write_certs(
        &nsl.join("Jürgen-証明書").join("ksp"),
        &local,
        Encoding::Der,
    );
    let mut s = scenario(
        "nsl",
        nsl,
        20,
        &["NEA_CERTS_MISSING"],
        "an NSL folder with two NEA stores: one healthy, one with only local certificates",
    );
    s.stores = 2;
    out.push(s);
    out
}

/// The healthy set spread over every supported encoding.
fn write_mixed(dir: &Path, set: &[FixtureCert]) {
    fs::create_dir_all(dir).unwrap();
    let (local, nes) = set.split_at(8);
    let mut bundle = String::from("Bag Attributes\n    friendlyName: terminal\nsubject=CN = x\n");
    for c in &local[0..3] {
        bundle.push_str(&c.pem());
        bundle.push_str("\nsome text between blocks\n");
    }
    fs::write(dir.join("bundle.pem"), bundle).unwrap();
    fs::write(dir.join("a.cer"), &local[3].der).unwrap();
    fs::write(dir.join("b.cer"), &local[4].der).unwrap();
    let pem = local[5].pem();
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("\r\n");
    fs::write(dir.join("c.b64"), b64).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in local[6].pem().encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    fs::write(dir.join("d.pem"), utf16).unwrap();
    fs::write(dir.join("e.crt"), &local[7].der).unwrap();
    let ders: Vec<&[u8]> = nes[0..6].iter().map(|c| c.der.as_slice()).collect();
    fs::write(dir.join("f.p7b"), pkcs7(&ders)).unwrap();
    let ders: Vec<&[u8]> = nes[6..8].iter().map(|c| c.der.as_slice()).collect();
    fs::write(dir.join("g.p7c"), pem_block("PKCS7", &pkcs7(&ders))).unwrap();
    for (i, c) in nes[8..12].iter().enumerate() {
        fs::write(dir.join(format!("h{i}.pem")), c.pem()).unwrap();
    }
    fs::write(dir.join("k.pem"), private_key_pem()).unwrap();
}

/// The healthy set plus every kind of bad file.
fn write_bad_input(dir: &Path, set: &[FixtureCert]) {
    fs::create_dir_all(dir).unwrap();
    write_certs(dir, &set[..18], Encoding::Alternate);
    fs::write(dir.join("Jürgen.cer"), &set[18].der).unwrap();
    fs::write(dir.join("証明書.pem"), set[19].pem()).unwrap();
    fs::write(dir.join("empty.cer"), b"").unwrap();
    let der = &set[0].der;
    fs::write(dir.join("truncated.cer"), &der[..der.len() / 2]).unwrap();
    fs::write(
        dir.join("broken-base64.pem"),
        "-----BEGIN CERTIFICATE-----\nMIIB!!this*is*not*base64\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    // Deterministic "random" bytes (xorshift), so a failure reproduces.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    fs::write(dir.join("random.bin"), noise).unwrap();
    fs::write(dir.join("key.pem"), private_key_pem()).unwrap();
    // A folder where a file would be.
    fs::create_dir_all(dir.join("folder.cer")).unwrap();
    #[cfg(unix)]
    {
        // Unreadable without permissions (tests run as root, where chmod 000
        // does not stop reads): a dangling link and a link loop fail to open
        // for anyone, and a FIFO must never be opened at all.
        std::os::unix::fs::symlink(dir.join("gone.cer"), dir.join("dangling.cer")).unwrap();
        std::os::unix::fs::symlink(dir.join("loop-b.cer"), dir.join("loop-a.cer")).unwrap();
        std::os::unix::fs::symlink(dir.join("loop-a.cer"), dir.join("loop-b.cer")).unwrap();
        make_fifo(&dir.join("pipe.cer"));
    }
}

/// The manifest the fixture generator writes beside the stores.
pub fn manifest(root: &Path, now: OffsetDateTime, scenarios: &[Scenario]) -> serde_json::Value {
    let now = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    json!({
        "now": now,
        "root": root.to_string_lossy(),
        "scenarios": scenarios.iter().map(|s| json!({
            "name": s.name,
            "path": s.path.to_string_lossy(),
            "stores": s.stores,
            "certificates": s.certificates,
            "expect": s.expect,
            "absent": s.absent,
            "description": s.description,
        })).collect::<Vec<_>>(),
    })
}
