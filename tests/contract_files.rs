//! The committed contract files (`include/nymidiag.h`, the JSON schemas)
//! must match what the code generates. Refresh them with
//! `build.ps1 -Task Bless` (or `NYMIDIAG_BLESS=1 cargo test --test contract_files`).

use std::path::Path;

use nymidiag::report::Capability;

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

/// The schema of a capability's whole report; `None` for `describe`,
/// whose small `data` the envelope schema and `DescribeData` document. The
/// match has no wildcard: a new capability does not build until it says
/// which schema it has.
fn capability_schema(c: Capability) -> Option<schemars::Schema> {
    use nymidiag::report::capability_schema as schema;
    let name = c.name();
    match c {
        Capability::Describe => None,
        Capability::CertInventory => Some(schema::<nymidiag::certs::CertInventoryData>(name)),
        Capability::NesProbe => Some(schema::<nymidiag::probe::NesProbeData>(name)),
        Capability::LogScan => Some(schema::<nymidiag::logs::LogScanData>(name)),
        Capability::RuleList => Some(schema::<nymidiag::logs::RuleListData>(name)),
        Capability::Diagnose => Some(schema::<nymidiag::diagnose::DiagnoseData>(name)),
        Capability::Redact => Some(schema::<nymidiag::redaction::RedactData>(name)),
        Capability::ReportPart => Some(schema::<nymidiag::report::part::ReportPartData>(name)),
        Capability::StatusLines => Some(schema::<nymidiag::diagnose::StatusLinesData>(name)),
        Capability::FleetReport => Some(schema::<nymidiag::fleet::FleetReportData>(name)),
        Capability::NesClients => Some(schema::<nymidiag::nes_clients::NesClientsData>(name)),
    }
}

#[test]
fn capability_schemas_are_fresh() {
    for c in Capability::ALL {
        if let Some(schema) = capability_schema(c) {
            let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
            check(
                &include(&format!("nymidiag.{}.schema.json", c.name())),
                &text,
            );
        }
    }
}

#[test]
fn every_schema_file_belongs_to_a_capability() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some(kind) = name
            .strip_prefix("nymidiag.")
            .and_then(|n| n.strip_suffix(".schema.json"))
        else {
            continue;
        };
        let known = kind == "report"
            || kind == "error"
            || Capability::from_name(kind).is_some_and(|c| capability_schema(c).is_some());
        assert!(known, "{name} is no capability's schema: remove it");
    }
}

#[test]
fn header_declares_every_export_and_status() {
    let header = std::fs::read_to_string(include("nymidiag.h")).unwrap();
    for symbol in [
        "uint32_t nymidiag_abi_version(void);",
        "const char *nymidiag_version(void);",
        "void nymidiag_buffer_free(uint8_t *ptr, size_t len);",
        "NYMIDIAG_STATUS_PANIC = 901",
        "#define NYMIDIAG_ABI_VERSION 1",
    ] {
        assert!(header.contains(symbol), "header lacks `{symbol}`");
    }
    for c in Capability::ALL {
        let symbol = format!("int32_t {}(const uint8_t *request,", c.export());
        assert!(header.contains(&symbol), "header lacks `{symbol}`");
    }
    let version = format!("#define NYMIDIAG_VERSION \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(
        header.contains(&version),
        "header version is not the crate version"
    );
}
