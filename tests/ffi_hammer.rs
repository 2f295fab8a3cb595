//! Every C export called from 16 threads at once for a bounded time, with
//! valid and invalid requests mixed: every status is the one the request
//! calls for, every out buffer is JSON and is freed, and the run ends with
//! a count of the calls made. The probe and the diagnosis talk only to a
//! server started here on 127.0.0.1.

// Calling the C ABI from Rust is unsafe by nature; the lint stays on for
// the library itself.
#![allow(unsafe_code)]

mod support;

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nymidiag::ffi::{
    Status, nymidiag_abi_version, nymidiag_buffer_free, nymidiag_cert_inventory, nymidiag_describe,
    nymidiag_diagnose, nymidiag_log_scan, nymidiag_nes_probe, nymidiag_redact,
    nymidiag_report_part, nymidiag_rule_list, nymidiag_version,
};

/// The signature every capability export has.
type Export = unsafe extern "C" fn(*const u8, usize, *mut *mut u8, *mut usize) -> i32;

const THREADS: usize = 16;
/// How long the threads keep calling.
const RUN: Duration = Duration::from_secs(8);

/// One call: which export, the request bytes, the status it must return,
/// and the `capability` the document must name (`None`: an error
/// document).
struct Case {
    name: &'static str,
    export: Export,
    request: Vec<u8>,
    status: Status,
    capability: Option<&'static str>,
}

fn case(
    name: &'static str,
    export: Export,
    request: impl Into<Vec<u8>>,
    status: Status,
    capability: Option<&'static str>,
) -> Case {
    Case {
        name,
        export,
        request: request.into(),
        status,
        capability,
    }
}

/// Valid and invalid requests for every capability export.
fn cases(dir: &std::path::Path, nes_port: u16) -> Vec<Case> {
    let stores = dir.join("ksp");
    std::fs::create_dir_all(&stores).unwrap();
    for i in 0..8 {
        std::fs::write(stores.join(format!("k{i}.bin")), [i as u8; 16]).unwrap();
    }
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(
        logs.join("WGSS_Nymi.log"),
        "704:(26/05/01 06:13:14.149):Listener.cpp :0411: Unable to get token with USER creds\n",
    )
    .unwrap();
    let json = |v: serde_json::Value| v.to_string().into_bytes();
    let nes = format!("http://127.0.0.1:{nes_port}/nes");
    let probe = json(serde_json::json!({
        "url": nes, "use_env_proxy": false, "deadline_ms": 3000,
        "tcp_timeout_ms": 1000, "http_timeout_ms": 2000, "caller": "hammer"
    }));
    let inventory = json(serde_json::json!({ "paths": [stores], "deadline_ms": 5000 }));
    let scan = json(serde_json::json!({
        "paths": [logs], "since": "2026-01-01T00:00:00Z", "now": "2026-05-02T00:00:00Z",
        "deadline_ms": 5000
    }));
    let diagnose = json(serde_json::json!({
        "nes_url": nes, "deadline_ms": 6000,
        "cert_inventory": { "paths": [stores] },
        "log_scan": { "paths": [logs] },
        "nes_probe": { "use_env_proxy": false, "deadline_ms": 3000 }
    }));
    let redact_file = json(serde_json::json!({
        "path": logs.join("WGSS_Nymi.log"), "encoding": "utf-8", "max_bytes": 40
    }));
    let part = json(serde_json::json!({
        "part": "log_scan",
        "report": r#"{"capability":"diagnose","data":{"inputs":{"log_scan":{"capability":"log_scan"}}}}"#
    }));
    let bad_utf8: &[u8] = b"{\"caller\":\"\xff\xfe\"}";
    use Status::{Ok, RequestInvalid, RequestNotJson, RequestNotUtf8};
    vec![
        case("describe", nymidiag_describe, "{}", Ok, Some("describe")),
        case(
            "describe empty",
            nymidiag_describe,
            "",
            Ok,
            Some("describe"),
        ),
        case(
            "describe not json",
            nymidiag_describe,
            "{",
            RequestNotJson,
            None,
        ),
        case(
            "inventory",
            nymidiag_cert_inventory,
            inventory,
            Ok,
            Some("cert_inventory"),
        ),
        case(
            "inventory unknown field",
            nymidiag_cert_inventory,
            r#"{"pathz":[]}"#,
            RequestInvalid,
            None,
        ),
        case(
            "inventory not utf8",
            nymidiag_cert_inventory,
            bad_utf8,
            RequestNotUtf8,
            None,
        ),
        case("probe", nymidiag_nes_probe, probe, Ok, Some("nes_probe")),
        case(
            "probe without url",
            nymidiag_nes_probe,
            "{}",
            RequestInvalid,
            None,
        ),
        case(
            "probe not json",
            nymidiag_nes_probe,
            "[1,",
            RequestNotJson,
            None,
        ),
        case("scan", nymidiag_log_scan, scan, Ok, Some("log_scan")),
        case(
            "scan wrong type",
            nymidiag_log_scan,
            r#"{"paths":7}"#,
            RequestInvalid,
            None,
        ),
        case("rules", nymidiag_rule_list, "{}", Ok, Some("rule_list")),
        case(
            "rules unknown field",
            nymidiag_rule_list,
            r#"{"x":1}"#,
            RequestInvalid,
            None,
        ),
        case(
            "diagnose",
            nymidiag_diagnose,
            diagnose,
            Ok,
            Some("diagnose"),
        ),
        case(
            "diagnose bad part",
            nymidiag_diagnose,
            r#"{"skip":["nothing"]}"#,
            RequestInvalid,
            None,
        ),
        case(
            "diagnose not utf8",
            nymidiag_diagnose,
            bad_utf8,
            RequestNotUtf8,
            None,
        ),
        case(
            "redact",
            nymidiag_redact,
            r#"{"text":"user jdoe at 10.1.2.3"}"#,
            Ok,
            Some("redact"),
        ),
        case(
            "redact without text",
            nymidiag_redact,
            "{}",
            RequestInvalid,
            None,
        ),
        case(
            "redact a file",
            nymidiag_redact,
            redact_file,
            Ok,
            Some("redact"),
        ),
        case(
            "redact a missing file",
            nymidiag_redact,
            r#"{"path":"/nonexistent/nymidiag-hammer/x.log","encoding":"utf-8"}"#,
            Status::Io,
            None,
        ),
        case(
            "report part",
            nymidiag_report_part,
            part,
            Ok,
            Some("report_part"),
        ),
        case(
            "report part not json",
            nymidiag_report_part,
            r#"{"part":"log_scan","report":"{"}"#,
            RequestInvalid,
            None,
        ),
    ]
}

/// Calls `c` once; panics on any broken promise of the boundary.
fn call_once(c: &Case) {
    let mut out: *mut u8 = std::ptr::null_mut();
    let mut out_len: usize = 0;
    // SAFETY: `request` is a live slice; `out`/`out_len` are valid locals.
    let status = unsafe { (c.export)(c.request.as_ptr(), c.request.len(), &mut out, &mut out_len) };
    assert!(!out.is_null() && out_len > 0, "{}: no document", c.name);
    // SAFETY: the library wrote `out_len` bytes at `out`.
    let bytes = unsafe { std::slice::from_raw_parts(out, out_len) }.to_vec();
    // SAFETY: `out`/`out_len` are exactly what the library handed out.
    unsafe { nymidiag_buffer_free(out, out_len) };
    let doc: serde_json::Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{}: out buffer is not JSON: {e}", c.name));
    assert_eq!(status, c.status as i32, "{}: {doc}", c.name);
    match c.capability {
        Some(cap) => assert_eq!(doc["capability"], cap, "{}", c.name),
        None => {
            // An error document names the status it came with.
            assert_eq!(doc["error"]["status"], status, "{}: {doc}", c.name);
            assert_eq!(doc["error"]["id"], c.status.id(), "{}: {doc}", c.name);
        }
    }
}

/// The plain exports, and a NULL out pointer, which writes nothing.
fn call_plain() {
    assert_eq!(nymidiag_abi_version(), nymidiag::ABI_VERSION);
    // SAFETY: the export returns a static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(nymidiag_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    let mut len = 0usize;
    // SAFETY: NULL `out` is a documented error; `len` is a valid local.
    let status = unsafe { nymidiag_describe(b"{}".as_ptr(), 2, std::ptr::null_mut(), &mut len) };
    assert_eq!(status, Status::NullArgument as i32);
    // SAFETY: NULL is documented as a no-op.
    unsafe { nymidiag_buffer_free(std::ptr::null_mut(), 0) };
}

#[test]
fn every_export_from_sixteen_threads() {
    let nes = support::servers::start_dated("401 Unauthorized", None);
    let dir = tempfile::tempdir().unwrap();
    let cases = cases(dir.path(), nes.port);
    let calls: Vec<AtomicU64> = cases.iter().map(|_| AtomicU64::new(0)).collect();
    let plain = AtomicU64::new(0);
    let started = Instant::now();
    let end = started + RUN;
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (cases, calls, plain) = (&cases, &calls, &plain);
            s.spawn(move || {
                // Each thread walks the table from its own place, so that
                // every export is in flight beside every other.
                let mut i = t;
                while Instant::now() < end {
                    let k = i % cases.len();
                    call_once(&cases[k]);
                    calls[k].fetch_add(1, Ordering::Relaxed);
                    call_plain();
                    plain.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            });
        }
    });
    let took = started.elapsed();
    let per_case: BTreeMap<&str, u64> = cases
        .iter()
        .zip(&calls)
        .map(|(c, n)| (c.name, n.load(Ordering::Relaxed)))
        .collect();
    let total: u64 = per_case.values().sum();
    let plain = plain.load(Ordering::Relaxed);
    println!(
        "{total} capability calls and {plain} rounds of the plain exports from {THREADS} threads \
         in {} ms: {per_case:?}",
        took.as_millis()
    );
    // Every case ran, from more than one thread's start, and the run
    // stayed bounded (a call started just before the end may finish late).
    for (name, n) in &per_case {
        assert!(*n >= 1, "{name} never ran");
    }
    assert!(total >= cases.len() as u64 * 2, "{total}");
    assert!(took < RUN + Duration::from_secs(15), "{took:?}");
}
