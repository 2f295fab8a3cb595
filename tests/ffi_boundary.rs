//! The C boundary as a C caller sees it: NULL pointers, bad requests,
//! ownership of the out buffer, panics and concurrent calls.

// Calling the C ABI from Rust is unsafe by nature; the lint stays on for
// the library itself.
#![allow(unsafe_code)]
mod support;

use std::ffi::CStr;

use nymidiag::ffi::{
    Status, nymidiag_abi_version, nymidiag_buffer_free, nymidiag_describe, nymidiag_version,
};
use support::ffi::call;

#[test]
fn version_and_abi_match_the_crate() {
    // SAFETY: the export returns a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(nymidiag_version()) };
    assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    assert_eq!(nymidiag_abi_version(), nymidiag::ABI_VERSION);
}

#[test]
fn buffer_free_accepts_null() {
    // SAFETY: NULL is documented as a no-op.
    unsafe {
        nymidiag_buffer_free(std::ptr::null_mut(), 0);
        nymidiag_buffer_free(std::ptr::null_mut(), 42);
    }
}

#[test]
fn empty_request_means_defaults() {
    let (status, doc) = call(nymidiag_describe, b"");
    assert_eq!(status, Status::Ok as i32, "{doc}");
    assert_eq!(doc["capability"], "describe");
    assert_eq!(doc["status"], "ok");

    // NULL request with length 0 is the same empty request.
    let mut out = std::ptr::null_mut();
    let mut out_len = 0;
    // SAFETY: NULL request with len 0 is allowed; outputs are valid locals.
    let status = unsafe { nymidiag_describe(std::ptr::null(), 0, &mut out, &mut out_len) };
    assert_eq!(status, 0);
    // SAFETY: buffer handed out by the call above.
    unsafe { nymidiag_buffer_free(out, out_len) };
}

#[test]
fn describe_fills_the_context() {
    let (status, doc) = call(nymidiag_describe, br#"{"caller":"ffi test"}"#);
    assert_eq!(status, 0);
    let ctx = &doc["context"];
    assert_eq!(ctx["caller"], "ffi test");
    assert_eq!(ctx["abi_version"], nymidiag::ABI_VERSION);
    assert_eq!(ctx["process_bits"], usize::BITS);
    assert_eq!(ctx["os"], std::env::consts::OS);
    assert!(ctx["host"].as_str().is_some_and(|h| !h.is_empty()));
    assert_eq!(doc["data"]["exports"][0], "nymidiag_describe");
}

#[test]
fn null_request_with_length_is_an_error_document() {
    let mut out = std::ptr::null_mut();
    let mut out_len = 0;
    // SAFETY: the library must not read a NULL request; outputs are valid.
    let status = unsafe { nymidiag_describe(std::ptr::null(), 5, &mut out, &mut out_len) };
    assert_eq!(status, Status::NullArgument as i32);
    assert!(!out.is_null());
    // SAFETY: the library wrote `out_len` bytes at `out`.
    let doc: serde_json::Value =
        serde_json::from_slice(unsafe { std::slice::from_raw_parts(out, out_len) }).unwrap();
    // SAFETY: buffer handed out by the call above.
    unsafe { nymidiag_buffer_free(out, out_len) };
    assert_eq!(doc["error"]["id"], "NULL_ARGUMENT");
    assert_eq!(doc["error"]["status"], 100);
}

#[test]
fn null_outputs_allocate_nothing() {
    let req = b"{}";
    let mut out: *mut u8 = std::ptr::dangling_mut(); // poison: must be reset to NULL
    let mut out_len: usize = 99;
    // SAFETY: NULL outputs are documented to return NULL_ARGUMENT.
    unsafe {
        assert_eq!(
            nymidiag_describe(req.as_ptr(), req.len(), std::ptr::null_mut(), &mut out_len),
            Status::NullArgument as i32
        );
        assert_eq!(out_len, 0);
        assert_eq!(
            nymidiag_describe(req.as_ptr(), req.len(), &mut out, std::ptr::null_mut()),
            Status::NullArgument as i32
        );
        assert!(out.is_null());
        assert_eq!(
            nymidiag_describe(
                std::ptr::null(),
                0,
                std::ptr::null_mut(),
                std::ptr::null_mut()
            ),
            Status::NullArgument as i32
        );
    }
}

#[test]
fn invalid_utf8_is_reported_with_its_offset() {
    let (status, doc) = call(nymidiag_describe, b"{\"caller\":\"\xff\"}");
    assert_eq!(status, Status::RequestNotUtf8 as i32);
    assert_eq!(doc["error"]["id"], "REQUEST_NOT_UTF8");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("offset 11"),
        "{doc}"
    );
}

#[test]
fn invalid_json_is_reported() {
    for bad in [&b"{"[..], b"nul", b"{\"caller\":}", b"[1,2"] {
        let (status, doc) = call(nymidiag_describe, bad);
        assert_eq!(status, Status::RequestNotJson as i32, "{doc}");
        assert_eq!(doc["error"]["id"], "REQUEST_NOT_JSON");
        assert_eq!(doc["capability"], "describe");
    }
}

#[test]
fn unknown_fields_and_wrong_types_are_rejected() {
    let (status, doc) = call(nymidiag_describe, br#"{"caler":"typo"}"#);
    assert_eq!(status, Status::RequestInvalid as i32);
    assert_eq!(doc["error"]["id"], "REQUEST_INVALID");
    assert!(
        doc["error"]["message"].as_str().unwrap().contains("caler"),
        "{doc}"
    );

    let (status, doc) = call(nymidiag_describe, br#"{"caller":42}"#);
    assert_eq!(status, Status::RequestInvalid as i32);
    assert_eq!(doc["error"]["path"], "caller");

    let (status, _) = call(nymidiag_describe, b"[]");
    assert_eq!(status, Status::RequestInvalid as i32);
}

#[test]
fn concurrent_calls_from_eight_threads() {
    let handles: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                for j in 0..200 {
                    let req = format!(r#"{{"caller":"thread {i} call {j}"}}"#);
                    let (status, doc) = call(nymidiag_describe, req.as_bytes());
                    assert_eq!(status, 0);
                    // Each answer belongs to its own request: no shared state.
                    assert_eq!(doc["context"]["caller"], req[11..req.len() - 2]);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("no thread panicked");
    }
}

#[cfg(feature = "test-exports")]
#[test]
fn a_panic_becomes_a_status_and_an_error_document() {
    use nymidiag::ffi::nymidiag_test_panic;
    let (status, doc) = call(nymidiag_test_panic, b"{}");
    assert_eq!(status, Status::Panic as i32);
    assert_eq!(doc["error"]["id"], "PANIC");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("deliberate panic"),
        "{doc}"
    );
    // The library is still usable afterwards.
    let (status, _) = call(nymidiag_describe, b"{}");
    assert_eq!(status, 0);
}

#[cfg(feature = "test-exports")]
#[test]
fn panics_in_parallel_do_not_poison_other_calls() {
    use nymidiag::ffi::nymidiag_test_panic;
    let handles: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                let export = if i % 2 == 0 {
                    nymidiag_test_panic
                } else {
                    nymidiag_describe
                };
                let (status, _) = call(export, b"{}");
                assert_eq!(status, if i % 2 == 0 { 901 } else { 0 });
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn nes_probe_export_reports_a_refused_port_and_rejects_a_missing_url() {
    use nymidiag::ffi::nymidiag_nes_probe;
    // Port 1 on loopback: nothing listens there.
    let request = br#"{"url":"https://127.0.0.1:1/nes","use_env_proxy":false,"use_platform_roots":false,"tcp_timeout_ms":2000,"deadline_ms":5000}"#;
    let (status, doc) = call(nymidiag_nes_probe, request);
    assert_eq!(status, 0, "{doc}");
    assert_eq!(doc["capability"], "nes_probe");
    assert_eq!(doc["data"]["verdict"]["finding"], "NES_TCP_REFUSED");

    let (status, doc) = call(nymidiag_nes_probe, b"{}");
    assert_eq!(status, Status::RequestInvalid as i32);
    assert!(
        doc["error"]["message"].as_str().unwrap().contains("url"),
        "{doc}"
    );
}
