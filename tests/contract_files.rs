//! The committed contract files (`include/nymidiag.h`, the JSON schemas)
//! must match what the code generates. Refresh them with
//! `build.ps1 -Task Bless` (or `NYMIDIAG_BLESS=1 cargo test --test contract_files`).

use std::path::Path;

fn bless() -> bool {
    std::env::var_os("NYMIDIAG_BLESS").is_some_and(|v| v == "1")
}

fn check(committed: &Path, generated: &str) {
    if bless() {
        let current = std::fs::read_to_string(committed).unwrap_or_default();
        if current != generated {
            std::fs::write(committed, generated).expect("committed file is writable");
        }
        return;
    }
    let current = std::fs::read_to_string(committed).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}); run build.ps1 -Task Bless",
            committed.display()
        )
    });
    // Compare without caring about CRLF conversion by git on Windows.
    assert!(
        current.replace("\r\n", "\n") == generated,
        "{} is stale: it differs from what the code generates; run build.ps1 -Task Bless and commit it",
        committed.display()
    );
}

fn include(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("include")
        .join(name)
}

#[test]
fn header_is_fresh() {
    let generated = std::fs::read_to_string(env!("NYMIDIAG_GENERATED_HEADER"))
        .expect("build.rs wrote the generated header");
    check(&include("nymidiag.h"), &generated);
}

#[test]
fn report_schema_is_fresh() {
    let schema = nymidiag::report::report_schema();
    let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    check(&include("nymidiag.report.schema.json"), &text);
}

#[test]
fn error_schema_is_fresh() {
    let schema = nymidiag::ffi::status::error_schema();
    let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    check(&include("nymidiag.error.schema.json"), &text);
}

#[test]
fn cert_inventory_schema_is_fresh() {
    let schema =
        nymidiag::report::capability_schema::<nymidiag::certs::CertInventoryData>("cert_inventory");
    let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    check(&include("nymidiag.cert_inventory.schema.json"), &text);
}

#[test]
fn nes_probe_schema_is_fresh() {
    let schema = nymidiag::report::capability_schema::<nymidiag::probe::NesProbeData>("nes_probe");
    let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    check(&include("nymidiag.nes_probe.schema.json"), &text);
}

#[test]
fn log_scan_schema_is_fresh() {
    let schema = nymidiag::report::capability_schema::<nymidiag::logs::LogScanData>("log_scan");
    let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    check(&include("nymidiag.log_scan.schema.json"), &text);
}

#[test]
fn rule_list_schema_is_fresh() {
    let schema = nymidiag::report::capability_schema::<nymidiag::logs::RuleListData>("rule_list");
    let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    check(&include("nymidiag.rule_list.schema.json"), &text);
}

#[test]
fn diagnose_schema_is_fresh() {
    let schema =
        nymidiag::report::capability_schema::<nymidiag::diagnose::DiagnoseData>("diagnose");
    let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    check(&include("nymidiag.diagnose.schema.json"), &text);
}

#[test]
fn redact_schema_is_fresh() {
    let schema = nymidiag::report::capability_schema::<nymidiag::redaction::RedactData>("redact");
    let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    check(&include("nymidiag.redact.schema.json"), &text);
}

#[test]
fn header_declares_every_export_and_status() {
    let header = std::fs::read_to_string(include("nymidiag.h")).unwrap();
    for symbol in [
        "uint32_t nymidiag_abi_version(void);",
        "const char *nymidiag_version(void);",
        "void nymidiag_buffer_free(uint8_t *ptr, size_t len);",
        "int32_t nymidiag_describe(const uint8_t *request,",
        "int32_t nymidiag_cert_inventory(const uint8_t *request,",
        "int32_t nymidiag_nes_probe(const uint8_t *request,",
        "int32_t nymidiag_log_scan(const uint8_t *request,",
        "int32_t nymidiag_rule_list(const uint8_t *request,",
        "int32_t nymidiag_diagnose(const uint8_t *request,",
        "int32_t nymidiag_redact(const uint8_t *request,",
        "NYMIDIAG_STATUS_PANIC = 901",
        "#define NYMIDIAG_ABI_VERSION 1",
    ] {
        assert!(header.contains(symbol), "header lacks `{symbol}`");
    }
    let version = format!("#define NYMIDIAG_VERSION \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(
        header.contains(&version),
        "header version is not the crate version"
    );
}
