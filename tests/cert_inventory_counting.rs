//! Key stores counted in files, and the active store among several NSL
//! folders: table-driven scenarios built by code.

mod support;

use std::fs;
use std::path::Path;

use nymidiag::Severity;
use nymidiag::certs::{
    CertInventoryRequest, CountBasis, FileStatus, KspStore, StoreRole, cert_inventory,
};
use nymidiag::time_fmt::UtcTime;

use support::certs::{
    Encoding, FixtureCert, NesPki, Window, local_certs, local_window, write_certs,
};
use support::stores::{age_store, write_opaque};

fn request(paths: &[&Path]) -> CertInventoryRequest {
    CertInventoryRequest {
        paths: paths.iter().map(|p| p.display().to_string()).collect(),
        now: Some(UtcTime::from(support::certs::now())),
        ..Default::default()
    }
}

fn local8() -> Vec<FixtureCert> {
    local_certs(8, local_window(support::certs::now()))
}

/// The NES set (root, issuing CA, 10 leaves) in `window`.
fn nes12(window: Window) -> Vec<FixtureCert> {
    let pki = NesPki::new(support::certs::now());
    let mut v = vec![pki.root_cert(), pki.issuing_cert()];
    v.extend(pki.leaves(10, window));
    v
}

/// 12 NES leaves in `window` (their CAs are left out, so all 12 carry the
/// window's dates).
fn leaves12(window: Window) -> Vec<FixtureCert> {
    NesPki::new(support::certs::now()).leaves(12, window)
}

/// What one scenario must give for its only store.
struct Expect {
    files: u64,
    certificates: u64,
    opaque: u64,
    expired: u64,
    not_yet_valid: u64,
    valid: u64,
    skipped: u64,
    metadata: u64,
    present: &'static [&'static str],
    absent: &'static [&'static str],
}

type Build = fn(&Path);

fn scenarios() -> Vec<(&'static str, Build, Expect)> {
    vec![
        (
            "20 opaque files of various sizes: complete",
            |d| write_opaque(d, 20, 1),
            Expect {
                files: 20,
                certificates: 0,
                opaque: 20,
                expired: 0,
                not_yet_valid: 0,
                valid: 20,
                skipped: 0,
                metadata: 0,
                present: &["NEA_KEYSTORE_FILE_OPAQUE"],
                absent: &[
                    "NEA_CERTS_MISSING",
                    "NEA_CERTS_EXTRA",
                    "NEA_CERT_UNREADABLE",
                ],
            },
        ),
        (
            "8 opaque files: 8 of 20",
            |d| write_opaque(d, 8, 2),
            Expect {
                files: 8,
                certificates: 0,
                opaque: 8,
                expired: 0,
                not_yet_valid: 0,
                valid: 8,
                skipped: 0,
                metadata: 0,
                present: &["NEA_CERTS_MISSING", "NEA_KEYSTORE_FILE_OPAQUE"],
                absent: &["NEA_CERT_UNREADABLE"],
            },
        ),
        (
            "8 real local certificates + 12 opaque files: complete",
            |d| {
                write_certs(d, &local8(), Encoding::Der);
                let opaque = d.join("opaque");
                write_opaque(&opaque, 12, 3);
                for e in fs::read_dir(&opaque).unwrap() {
                    let p = e.unwrap().path();
                    let name = format!("nes-{}", p.file_name().unwrap().to_string_lossy());
                    fs::rename(&p, d.join(name)).unwrap();
                }
                fs::remove_dir(&opaque).unwrap();
            },
            Expect {
                files: 20,
                certificates: 8,
                opaque: 12,
                expired: 0,
                not_yet_valid: 0,
                valid: 20,
                skipped: 0,
                metadata: 0,
                present: &["NEA_KEYSTORE_FILE_OPAQUE"],
                absent: &["NEA_CERTS_MISSING", "NEA_CERTS_EXTRA"],
            },
        ),
        (
            "20 real, 12 expired",
            |d| {
                let mut set = local8();
                set.extend(leaves12(Window::issued(support::certs::now(), 20, 14)));
                write_certs(d, &set, Encoding::Alternate);
            },
            Expect {
                files: 20,
                certificates: 20,
                opaque: 0,
                expired: 12,
                not_yet_valid: 0,
                valid: 8,
                skipped: 0,
                metadata: 0,
                present: &["NEA_CERT_EXPIRED"],
                absent: &["NEA_CERTS_MISSING", "NEA_KEYSTORE_FILE_OPAQUE"],
            },
        ),
        (
            "20 real, 12 valid from tomorrow",
            |d| {
                let mut set = local8();
                set.extend(leaves12(Window::issued(support::certs::now(), -1, 14)));
                write_certs(d, &set, Encoding::Der);
            },
            Expect {
                files: 20,
                certificates: 20,
                opaque: 0,
                expired: 0,
                not_yet_valid: 12,
                valid: 8,
                skipped: 0,
                metadata: 0,
                present: &["NEA_CERT_NOT_YET_VALID"],
                absent: &["NEA_CERTS_MISSING", "NEA_CERT_EXPIRED"],
            },
        ),
        (
            "20 opaque + OS metadata files in every spelling: not counted",
            |d| {
                write_opaque(d, 20, 4);
                for name in [
                    "desktop.ini",
                    "Desktop.ini",
                    "Thumbs.db",
                    "THUMBS.DB",
                    "ehthumbs.db",
                    ".DS_Store",
                    "._01.key",
                ] {
                    fs::write(d.join(name), b"[.ShellClassInfo]\r\n").unwrap();
                }
            },
            Expect {
                files: 20,
                certificates: 0,
                opaque: 20,
                expired: 0,
                not_yet_valid: 0,
                valid: 20,
                skipped: 0,
                metadata: if cfg!(windows) || cfg!(target_os = "macos") {
                    // Case-insensitive file systems fold the spellings.
                    5
                } else {
                    7
                },
                present: &[],
                absent: &["NEA_CERTS_EXTRA", "NEA_CERTS_MISSING"],
            },
        ),
        (
            "8 local + a subfolder holding 12 certificates: 8 of 20",
            |d| {
                write_certs(d, &local8(), Encoding::Der);
                write_certs(
                    &d.join("sub"),
                    &nes12(support::certs::nes_window(support::certs::now())),
                    Encoding::Der,
                );
            },
            Expect {
                files: 8,
                certificates: 8,
                opaque: 0,
                expired: 0,
                not_yet_valid: 0,
                valid: 8,
                skipped: 1,
                metadata: 0,
                present: &["NEA_CERTS_MISSING"],
                absent: &["NEA_CERTS_EXTRA"],
            },
        ),
        (
            "19 opaque + 1 empty: counted, flagged as a warning",
            |d| {
                write_opaque(d, 19, 5);
                fs::write(d.join("zero.key"), b"").unwrap();
            },
            Expect {
                files: 20,
                certificates: 0,
                opaque: 20,
                expired: 0,
                not_yet_valid: 0,
                valid: 20,
                skipped: 0,
                metadata: 0,
                present: &["NEA_KEYSTORE_FILE_OPAQUE"],
                absent: &["NEA_CERTS_MISSING", "NEA_CERT_UNREADABLE"],
            },
        ),
    ]
}

fn only(r: &nymidiag::Report<nymidiag::certs::CertInventoryData>) -> &KspStore {
    assert_eq!(r.data.stores.len(), 1);
    &r.data.stores[0]
}

#[test]
fn stores_are_counted_in_files() {
    for (name, build, want) in scenarios() {
        let dir = tempfile::tempdir().unwrap();
        let ksp = dir.path().join("ksp");
        fs::create_dir_all(&ksp).unwrap();
        build(&ksp);
        let r = cert_inventory(&request(&[&ksp]));
        assert_eq!(r.data.expected.counted, CountBasis::Files);
        let s = only(&r);
        let c = &s.counts;
        assert_eq!(
            (
                c.files,
                c.certificates,
                c.opaque_files,
                c.expired,
                c.not_yet_valid,
                c.valid,
                c.skipped_entries,
                c.os_metadata_files
            ),
            (
                want.files,
                want.certificates,
                want.opaque,
                want.expired,
                want.not_yet_valid,
                want.valid,
                want.skipped,
                want.metadata
            ),
            "{name}"
        );
        assert_eq!(
            c.validity_unknown_files,
            c.files - c.certificate_files,
            "{name}"
        );
        let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
        for id in want.present {
            assert!(ids.contains(id), "{name}: {id} missing from {ids:?}");
        }
        for id in want.absent {
            assert!(!ids.contains(id), "{name}: {id} in {ids:?}");
        }
        if let Some(m) = r.findings.iter().find(|f| f.id == "NEA_CERTS_MISSING") {
            assert_eq!(m.evidence["files"], want.files, "{name}");
            assert_eq!(m.evidence["counted"], "files", "{name}");
            assert!(
                m.title.contains(&format!("{} of 20", want.files)),
                "{name}: {}",
                m.title
            );
        }
        for f in &s.files {
            if f.status == FileStatus::Opaque {
                assert!(
                    f.problem
                        .as_deref()
                        .unwrap()
                        .contains("not an X.509 certificate"),
                    "{name}: {:?}",
                    f.problem
                );
            }
        }
        let opaque = r
            .findings
            .iter()
            .find(|f| f.id == "NEA_KEYSTORE_FILE_OPAQUE");
        if let Some(f) = opaque {
            let empty = s.counts.empty_files;
            assert_eq!(f.evidence["empty"], empty, "{name}");
            let want_severity = if empty > 0 {
                Severity::Warning
            } else {
                Severity::Info
            };
            assert_eq!(f.severity, want_severity, "{name}");
        }
    }
}

#[test]
fn eight_opaque_files_are_the_documented_local_only_signature() {
    let dir = tempfile::tempdir().unwrap();
    write_opaque(dir.path(), 8, 9);
    let r = cert_inventory(&request(&[dir.path()]));
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "NEA_CERTS_MISSING")
        .unwrap();
    assert_eq!(f.evidence["nes_never_retrieved"], true);
    assert!(f.detail.contains("never retrieved"), "{}", f.detail);
    assert_eq!(r.data.deciding_store().unwrap().counts.files, 8);
}

#[test]
fn files_of_every_size_and_name_count_once_each() {
    for n in [0usize, 1, 7, 8, 19, 20, 21, 40] {
        let dir = tempfile::tempdir().unwrap();
        write_opaque(dir.path(), n, n as u64);
        let r = cert_inventory(&request(&[dir.path()]));
        let files = only(&r).counts.files;
        assert_eq!(files, n as u64);
        let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids.contains(&"NEA_CERTS_MISSING"), n < 20, "{n}: {ids:?}");
        assert_eq!(ids.contains(&"NEA_CERTS_EXTRA"), n > 20, "{n}: {ids:?}");
    }
}

// ---- Several NSL folders ------------------------------------------------

fn healthy(dir: &Path) {
    let mut set = local8();
    set.extend(nes12(support::certs::nes_window(support::certs::now())));
    write_certs(dir, &set, Encoding::Der);
}

fn local_only(dir: &Path) {
    write_certs(dir, &local8(), Encoding::Der);
}

fn role_of<'a>(
    r: &'a nymidiag::Report<nymidiag::certs::CertInventoryData>,
    part: &str,
) -> &'a KspStore {
    r.data
        .stores
        .iter()
        .find(|s| s.path.contains(part))
        .unwrap_or_else(|| panic!("no store {part}"))
}

#[test]
fn a_stale_store_is_reported_and_never_judged() {
    for days in [15u64, 30, 90, 400] {
        let dir = tempfile::tempdir().unwrap();
        let nsl = dir.path().join("NSL");
        healthy(&nsl.join("fresh").join("ksp"));
        let old = nsl.join("old").join("ksp");
        local_only(&old);
        age_store(&old, days);
        let r = cert_inventory(&request(&[&nsl]));
        assert_eq!(role_of(&r, "fresh").role, StoreRole::Active);
        let stale = role_of(&r, "old");
        assert_eq!(
            stale.role,
            StoreRole::Stale,
            "{days}: {}",
            stale.role_reason
        );
        assert_eq!(stale.counts.files, 8);
        let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["KSP_STALE_STORE"], "{days}");
        let f = &r.findings[0];
        assert_eq!(f.severity, Severity::Info);
        assert_eq!(f.evidence["files"], 8);
        assert!(f.evidence["last_write_utc"].is_string());
        assert_eq!(r.status, nymidiag::ReportStatus::Ok);
        assert_eq!(
            (r.data.totals.stores_active, r.data.totals.stores_stale),
            (1, 1)
        );
        assert_eq!(r.data.deciding_store().unwrap().counts.files, 20);
    }
}

#[test]
fn a_store_within_the_window_stays_active() {
    for (days, stale_after, want) in [
        (10u64, 14u32, StoreRole::Active),
        (13, 14, StoreRole::Active),
        (10, 7, StoreRole::Stale),
        (90, 0, StoreRole::Active),
        (90, 120, StoreRole::Active),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let nsl = dir.path().join("NSL");
        healthy(&nsl.join("fresh").join("ksp"));
        let old = nsl.join("old").join("ksp");
        local_only(&old);
        age_store(&old, days);
        let mut req = request(&[&nsl]);
        req.stale_after_days = stale_after;
        let r = cert_inventory(&req);
        assert_eq!(role_of(&r, "old").role, want, "{days} {stale_after}");
        let missing = r.findings.iter().any(|f| f.id == "NEA_CERTS_MISSING");
        assert_eq!(missing, want == StoreRole::Active, "{days} {stale_after}");
    }
}

#[test]
fn two_fresh_stores_are_both_active_and_the_worst_decides() {
    let dir = tempfile::tempdir().unwrap();
    let nsl = dir.path().join("NSL");
    healthy(&nsl.join("a").join("ksp"));
    local_only(&nsl.join("b").join("ksp"));
    let r = cert_inventory(&request(&[&nsl]));
    assert!(r.data.stores.iter().all(|s| s.role == StoreRole::Active));
    assert_eq!(r.data.totals.stores_active, 2);
    assert_eq!(r.data.deciding_store().unwrap().counts.files, 8);
    assert!(r.findings.iter().any(|f| f.id == "NEA_CERTS_MISSING"));
}

#[test]
fn an_old_store_alone_or_given_explicitly_is_active() {
    // The only store, untouched for 90 days.
    let dir = tempfile::tempdir().unwrap();
    let nsl = dir.path().join("NSL");
    let old = nsl.join("only").join("ksp");
    local_only(&old);
    age_store(&old, 90);
    let r = cert_inventory(&request(&[&nsl]));
    assert_eq!(r.data.stores[0].role, StoreRole::Active);
    assert!(r.findings.iter().any(|f| f.id == "NEA_CERTS_MISSING"));

    // An old store given by its own path, beside a fresh discovered one.
    let fresh = nsl.join("fresh").join("ksp");
    healthy(&fresh);
    let r = cert_inventory(&request(&[&old, &fresh]));
    assert!(r.data.stores.iter().all(|s| s.role == StoreRole::Active));
    assert_eq!(role_of(&r, "only").role_reason, "given explicitly in paths");
    assert!(r.findings.iter().any(|f| f.id == "NEA_CERTS_MISSING"));
    assert!(!r.findings.iter().any(|f| f.id == "KSP_STALE_STORE"));
}

#[test]
fn last_write_is_the_newest_of_folder_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let ksp = dir.path().join("ksp");
    write_opaque(&ksp, 3, 7);
    age_store(&ksp, 30);
    let r = cert_inventory(&request(&[&ksp]));
    let last = r.data.stores[0].last_write_utc.unwrap();
    let age = time::OffsetDateTime::now_utc() - last.0;
    assert!((29..=31).contains(&age.whole_days()), "{last} is {age} old");
    // Touching one file moves it.
    fs::write(ksp.join("00.key"), b"rewritten").unwrap();
    let r = cert_inventory(&request(&[&ksp]));
    let age = time::OffsetDateTime::now_utc() - r.data.stores[0].last_write_utc.unwrap().0;
    assert!(age.whole_days() < 1, "{age}");
}
