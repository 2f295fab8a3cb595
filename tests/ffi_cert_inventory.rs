//! `nymidiag_cert_inventory` through the C ABI, on generated key stores.

// Calling the C ABI from Rust is unsafe by nature; the lint stays on for
// the library itself.
#![allow(unsafe_code)]

mod support;

use nymidiag::ffi::{Status, nymidiag_cert_inventory};
use support::ffi::call;
use support::stores::write_all;

fn request(paths: &[&std::path::Path], now: time::OffsetDateTime) -> Vec<u8> {
    let paths: Vec<String> = paths
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let now = nymidiag::time_fmt::UtcTime::from(now);
    serde_json::to_vec(&serde_json::json!({ "paths": paths, "now": now, "caller": "ffi test" }))
        .unwrap()
}

#[test]
fn inventories_every_scenario_store_as_the_manifest_says() {
    let dir = tempfile::tempdir().unwrap();
    let now = support::certs::now();
    for scenario in write_all(dir.path(), now) {
        let (status, doc) = call(nymidiag_cert_inventory, &request(&[&scenario.path], now));
        assert_eq!(status, Status::Ok as i32, "{}: {doc}", scenario.name);
        assert_eq!(doc["capability"], "cert_inventory");
        let ids: Vec<&str> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["id"].as_str())
            .collect();
        for id in &scenario.expect {
            assert!(
                ids.contains(id),
                "{}: expected {id} in {ids:?}",
                scenario.name
            );
        }
        for id in &scenario.absent {
            assert!(
                !ids.contains(id),
                "{}: unexpected {id} in {ids:?}",
                scenario.name
            );
        }
        // The manifest counts the first store's certificates.
        let stores = doc["data"]["stores"].as_array().unwrap();
        assert_eq!(stores.len(), scenario.stores, "{}", scenario.name);
        assert_eq!(
            stores[0]["counts"]["certificates"].as_u64().unwrap(),
            scenario.certificates,
            "{}",
            scenario.name
        );
        assert_eq!(
            stores[0]["counts"]["files"].as_u64().unwrap(),
            scenario.files,
            "{}",
            scenario.name
        );
    }
}

#[test]
fn the_local_only_store_says_nes_certificates_were_never_retrieved() {
    let dir = tempfile::tempdir().unwrap();
    let now = support::certs::now();
    let scenarios = write_all(dir.path(), now);
    let local = scenarios.iter().find(|s| s.name == "local-only").unwrap();
    let (status, doc) = call(nymidiag_cert_inventory, &request(&[&local.path], now));
    assert_eq!(status, 0);
    assert_eq!(doc["status"], "issue");
    let missing = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "NEA_CERTS_MISSING")
        .expect("NEA_CERTS_MISSING");
    assert_eq!(missing["severity"], "error");
    assert_eq!(missing["evidence"]["nes_never_retrieved"], true);
}

#[test]
fn bad_requests_name_the_field() {
    for (body, path) in [
        (r#"{"expected_local":-1}"#, "expected_local"),
        (r#"{"paths":"C:\\ksp"}"#, "paths"),
        (r#"{"now":"yesterday"}"#, "now"),
        (r#"{"expected_total":20}"#, "expected_total"),
    ] {
        let (status, doc) = call(nymidiag_cert_inventory, body.as_bytes());
        assert_eq!(status, Status::RequestInvalid as i32, "{body}: {doc}");
        assert_eq!(doc["error"]["path"], path, "{body}: {doc}");
    }
}
