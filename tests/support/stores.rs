//! The fixture stores, one folder per scenario, each with the findings an
//! inventory at the fixture time must (and must not) report. Used by the
//! integration tests and by `tests/fixture_stores.rs`, which writes them for
//! the PowerShell (Pester) tests.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::json;
use time::OffsetDateTime;

use super::certs::*;

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
    /// Files counted in the (first) store, the number compared with the
    /// expected 20.
    pub files: u64,
    /// Whether the report's status is `issue` (not `ok`).
    pub issue: bool,
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
    "NEA_KEYSTORE_FILE_OPAQUE",
    "KSP_STALE_STORE",
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
        files: certificates,
        issue: !expect.is_empty(),
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
    let mut s = scenario(
        "mixed",
        dir,
        20,
        &["NEA_CERTS_MISSING"],
        "the healthy 20 certificates bundled into 13 files (PEM bundles, DER, base64, UTF-16 \
         PEM, PKCS#7, a key file): 20 distinct certificates, but 13 of 20 files",
    );
    s.files = 13;
    out.push(s);

    let dir = root.join("bad-input").join("ksp");
    write_bad_input(&dir, &healthy);
    let mut s = scenario(
        "bad-input",
        dir,
        20,
        &[
            "NEA_CERT_UNREADABLE",
            "NEA_KEYSTORE_FILE_OPAQUE",
            "NEA_CERTS_EXTRA",
        ],
        "the healthy 20 (two in non-ASCII file names) among empty, truncated, broken and random \
         files, a key, broken links, a folder and a FIFO: every file counts",
    );
    // 20 + empty, truncated, broken base64, random, key; + 3 broken links
    // on unix (the folder and the FIFO are not counted).
    s.files = if cfg!(unix) { 28 } else { 25 };
    if !cfg!(unix) {
        s.expect.retain(|id| *id != "NEA_CERT_UNREADABLE");
        s.absent.push("NEA_CERT_UNREADABLE");
    }
    out.push(s);

    let dir = root.join("opaque").join("ksp");
    write_opaque(&dir, 20, 0);
    let mut s = scenario(
        "opaque",
        dir,
        0,
        &["NEA_KEYSTORE_FILE_OPAQUE"],
        "20 files in an undocumented, non-X.509 format: complete by the file count",
    );
    s.files = 20;
    s.issue = false;
    out.push(s);

    let dir = root.join("opaque-local-only").join("ksp");
    write_opaque(&dir, 8, 1);
    let mut s = scenario(
        "opaque-local-only",
        dir,
        0,
        &["NEA_CERTS_MISSING", "NEA_KEYSTORE_FILE_OPAQUE"],
        "8 files in an undocumented format: the local set only (8 of 20)",
    );
    s.files = 8;
    out.push(s);

    // An NSL folder with a fresh healthy store and a local-only store left
    // untouched for 90 days: the stale one is reported, not judged.
    let nsl = root.join("NSL-stale");
    write_certs(&nsl.join("current").join("ksp"), &healthy, Encoding::Der);
    let old = nsl.join("old-instance").join("ksp");
    write_certs(&old, &local, Encoding::Der);
    age_store(&old, 90);
    let mut s = scenario(
        "nsl-stale",
        nsl,
        20,
        &["KSP_STALE_STORE"],
        "an NSL folder with a fresh healthy store and a local-only store untouched for 90 days",
    );
    s.stores = 2;
    s.issue = false;
    out.push(s);

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

/// `n` files of deterministic pseudo-random bytes, of various sizes (never
/// X.509): what an opaque key-store format looks like to the inventory.
pub fn write_opaque(dir: &Path, n: usize, seed: u64) {
    fs::create_dir_all(dir).unwrap();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D ^ seed.wrapping_mul(0x9E37_79B9);
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..n {
        let len = 1 + (next() % 3000) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        fs::write(dir.join(format!("{i:02}.key")), bytes).unwrap();
    }
}

/// Sets the modified time of a store folder and of every file in it to
/// `days` ago (the real clock: store roles compare stores with each
/// other, not with the evaluation time).
pub fn age_store(dir: &Path, days: u64) {
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(days * 86_400);
    for e in fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_file() {
            let f = fs::OpenOptions::new().write(true).open(&path).unwrap();
            f.set_modified(then).unwrap();
        }
    }
    // A folder's time is set through a handle to the folder itself.
    set_dir_modified(dir, then);
}

#[cfg(unix)]
fn set_dir_modified(dir: &Path, then: std::time::SystemTime) {
    fs::File::open(dir).unwrap().set_modified(then).unwrap();
}

#[cfg(windows)]
fn set_dir_modified(dir: &Path, then: std::time::SystemTime) {
    use std::os::windows::fs::OpenOptionsExt;
    // FILE_FLAG_BACKUP_SEMANTICS opens a folder; FILE_WRITE_ATTRIBUTES.
    let f = fs::OpenOptions::new()
        .access_mode(0x100)
        .custom_flags(0x0200_0000)
        .open(dir)
        .unwrap();
    f.set_modified(then).unwrap();
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
            "files": s.files,
            "expect": s.expect,
            "absent": s.absent,
            "description": s.description,
        })).collect::<Vec<_>>(),
    })
}
