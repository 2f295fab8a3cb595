//! Calling a capability export the way a C caller would and taking the
//! answer back.

// Calling the C ABI is unsafe by nature; the library itself keeps the lint.
#![allow(unsafe_code)]

use nymidiag::ffi::nymidiag_buffer_free;

/// The signature every capability export has.
pub type Export = unsafe extern "C" fn(*const u8, usize, *mut *mut u8, *mut usize) -> i32;

/// Calls `export` with `request` and returns the status and the JSON
/// document it wrote, freeing the buffer as a C caller must.
pub fn call(export: Export, request: &[u8]) -> (i32, serde_json::Value) {
    let mut out: *mut u8 = std::ptr::null_mut();
    let mut out_len: usize = 0;
    // SAFETY: `request` is a live slice; `out`/`out_len` are valid locals.
    let status = unsafe { export(request.as_ptr(), request.len(), &mut out, &mut out_len) };
    assert!(!out.is_null(), "status {status}: no document written");
    // SAFETY: the library wrote `out_len` bytes at `out`.
    let bytes = unsafe { std::slice::from_raw_parts(out, out_len) }.to_vec();
    // SAFETY: `out`/`out_len` are exactly what the library handed out.
    unsafe { nymidiag_buffer_free(out, out_len) };
    let doc = serde_json::from_slice(&bytes).expect("the out buffer is JSON");
    (status, doc)
}
