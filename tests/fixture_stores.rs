//! Writes the fixture key stores for the PowerShell (Pester) tests.
//!
//! The writer is an ignored test, so `cargo test` leaves the disk alone and
//! Pester materialises the stores on demand:
//!
//! ```text
//! # bash
//! NYMIDIAG_FIXTURE_DIR=/tmp/nea-fixtures cargo test --test fixture_stores -- --ignored
//! # PowerShell
//! $env:NYMIDIAG_FIXTURE_DIR = Join-Path $TestDrive 'nea-fixtures'
//! cargo test --test fixture_stores -- --ignored
//! ```
//!
//! `NYMIDIAG_FIXTURE_DIR` must name a folder that does not exist yet or is
//! empty (nothing is ever deleted). `NYMIDIAG_FIXTURE_NOW` (RFC 3339,
//! optional) sets the time the certificates are dated around; by default
//! the current time, so an inventory run right after sees the scenarios as
//! described. The folder then holds one `<scenario>\ksp` store per
//! scenario, an `NSL` folder with two stores, and `manifest.json` listing
//! each scenario's path, certificate count and the finding ids it must and
//! must not produce. No file holds anything secret: keys are generated for
//! this run only, and the two key files exist to test key detection.

mod support;

use std::path::PathBuf;

use nymidiag::certs::{CertInventoryRequest, cert_inventory};
use nymidiag::time_fmt::UtcTime;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn fixture_now() -> OffsetDateTime {
    match std::env::var("NYMIDIAG_FIXTURE_NOW") {
        Ok(text) => OffsetDateTime::parse(&text, &Rfc3339)
            .unwrap_or_else(|e| panic!("NYMIDIAG_FIXTURE_NOW is not RFC 3339 ({text}): {e}")),
        // Whole seconds: certificates carry no fractions.
        Err(_) => OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(),
    }
}

#[test]
#[ignore = "writes fixture stores into NYMIDIAG_FIXTURE_DIR for the Pester tests"]
fn write_fixture_stores() {
    let dir = PathBuf::from(std::env::var_os("NYMIDIAG_FIXTURE_DIR").expect(
        "set NYMIDIAG_FIXTURE_DIR to a new or empty folder to write the fixture stores into",
    ));
    if dir.exists() {
        let empty = std::fs::read_dir(&dir).unwrap().next().is_none();
        assert!(empty, "{} is not empty; use a fresh folder", dir.display());
    }
    std::fs::create_dir_all(&dir).unwrap();
    let now = fixture_now();
    let scenarios = support::stores::write_all(&dir, now);
    let manifest = support::stores::manifest(&dir, now, &scenarios);
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
    println!(
        "wrote {} fixture stores to {}",
        scenarios.len(),
        dir.display()
    );
}

/// The stores Pester gets behave as their manifest says when inventoried at
/// the current time, as Pester will.
#[test]
fn written_stores_match_their_manifest_at_the_current_time() {
    let dir = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let scenarios = support::stores::write_all(dir.path(), now);
    let manifest = support::stores::manifest(dir.path(), now, &scenarios);
    for s in manifest["scenarios"].as_array().unwrap() {
        let r = cert_inventory(&CertInventoryRequest {
            paths: vec![s["path"].as_str().unwrap().to_owned()],
            now: Some(UtcTime::from(now)),
            ..Default::default()
        });
        let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
        let name = s["name"].as_str().unwrap();
        for id in s["expect"].as_array().unwrap() {
            assert!(
                ids.contains(&id.as_str().unwrap()),
                "{name}: {id} missing from {ids:?}"
            );
        }
        for id in s["absent"].as_array().unwrap() {
            assert!(
                !ids.contains(&id.as_str().unwrap()),
                "{name}: {id} in {ids:?}"
            );
        }
        assert_eq!(
            r.data.stores.len() as u64,
            s["stores"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            r.data.stores[0].counts.certificates,
            s["certificates"].as_u64().unwrap()
        );
        assert_eq!(
            r.data.stores[0].counts.files,
            s["files"].as_u64().unwrap(),
            "{name}"
        );
    }
}
