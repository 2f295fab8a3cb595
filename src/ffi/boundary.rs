//! The one boundary every capability export goes through.
//!
//! [`json_call`] checks the pointers, catches panics, decodes the request,
//! runs the capability and writes the answer, so that an export is a few
//! lines and no export can forget a step. Output buffers are boxed byte
//! slices handed to the caller and given back through
//! [`free_buffer`](super::nymidiag_buffer_free).

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::status::{ErrorDocument, Status};
use crate::Error;

/// Runs `capability` behind the C boundary.
///
/// On return `*out`/`*out_len` hold a JSON document whenever both pointers
/// are non-NULL: the report on [`Status::Ok`], an [`ErrorDocument`]
/// otherwise. When either is NULL nothing is written through the other and
/// [`Status::NullArgument`] is returned. An empty request (`request_len` 0,
/// `request` may then be NULL) means `{}`.
///
/// # Safety
///
/// `request` must be NULL or point to `request_len` readable bytes that stay
/// unchanged during the call. `out` and `out_len` must each be NULL or valid
/// for one aligned write.
pub unsafe fn json_call<Req, Resp, F>(
    name: &str,
    request: *const u8,
    request_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
    capability: F,
) -> i32
where
    Req: DeserializeOwned,
    Resp: Serialize,
    F: FnOnce(Req) -> Result<Resp, Error>,
{
    if out.is_null() || out_len.is_null() {
        // Leave a defined value in whichever pointer was given.
        // SAFETY: non-NULL pointers are valid for a write (caller contract).
        unsafe {
            if !out.is_null() {
                out.write(std::ptr::null_mut());
            }
            if !out_len.is_null() {
                out_len.write(0);
            }
        }
        return Status::NullArgument as i32;
    }

    // SAFETY: `request` points to `request_len` bytes or is NULL (caller
    // contract); the view does not outlive this call.
    let input = unsafe { request_bytes(name, request, request_len) };
    // The closure only reads the request and builds new values; a panic
    // leaves nothing half-modified that the caller could observe.
    let fail = |error: Error| Box::new(ErrorDocument::from_error(name, &error));
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let bytes = input?;
        let text = if bytes.is_empty() {
            "{}"
        } else {
            std::str::from_utf8(bytes).map_err(|e| {
                fail(Error::RequestNotUtf8 {
                    offset: e.valid_up_to(),
                })
            })?
        };
        let req: Req = Error::parse_request(text).map_err(fail)?;
        let resp = capability(req).map_err(fail)?;
        serde_json::to_vec(&resp)
            .map_err(|e| fail(Error::Internal(format!("report could not be encoded: {e}"))))
    }));

    let (status, document) = match outcome {
        Ok(Ok(report)) => (Status::Ok, report),
        Ok(Err(doc)) => (
            Status::from_code(doc.error.status).unwrap_or(Status::Internal),
            doc.to_bytes(),
        ),
        Err(payload) => {
            let message = format!("the library panicked: {}", panic_message(payload.as_ref()));
            (
                Status::Panic,
                ErrorDocument::new(name, Status::Panic, message, None).to_bytes(),
            )
        }
    };
    let (ptr, len) = into_raw_buffer(document);
    // SAFETY: both pointers were checked non-NULL above and are valid for a
    // write (caller contract).
    unsafe {
        out.write(ptr);
        out_len.write(len);
    }
    status as i32
}

/// Borrows the request bytes, or explains why they cannot be read.
///
/// # Safety
///
/// As for [`json_call`].
unsafe fn request_bytes<'a>(
    name: &str,
    request: *const u8,
    len: usize,
) -> Result<&'a [u8], Box<ErrorDocument>> {
    if len == 0 {
        return Ok(&[]);
    }
    if request.is_null() {
        return Err(Box::new(ErrorDocument::new(
            name,
            Status::NullArgument,
            format!("request is NULL but request_len is {len}"),
            None,
        )));
    }
    if len > isize::MAX as usize {
        return Err(Box::new(ErrorDocument::new(
            name,
            Status::InvalidArgument,
            format!("request_len {len} is larger than any buffer can be"),
            None,
        )));
    }
    // SAFETY: non-NULL, `len` readable bytes, at most isize::MAX (checked),
    // u8 has no alignment requirement.
    Ok(unsafe { std::slice::from_raw_parts(request, len) })
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "non-text panic payload"
    }
}

/// Hands a buffer to the caller; [`free_raw_buffer`] takes it back.
fn into_raw_buffer(bytes: Vec<u8>) -> (*mut u8, usize) {
    let boxed: Box<[u8]> = bytes.into_boxed_slice();
    let len = boxed.len();
    (Box::into_raw(boxed).cast::<u8>(), len)
}

/// Frees a buffer made by [`into_raw_buffer`]. NULL is ignored.
///
/// # Safety
///
/// `ptr` must be NULL or a pointer returned by this library with exactly
/// the `len` returned alongside it, not yet freed.
pub(super) unsafe fn free_raw_buffer(ptr: *mut u8, len: usize) {
    if ptr.is_null() {
        return;
    }
    let slice = std::ptr::slice_from_raw_parts_mut(ptr, len);
    // SAFETY: `ptr`/`len` came from `Box::<[u8]>::into_raw` (caller
    // contract), so rebuilding the box returns the same allocation.
    drop(unsafe { Box::from_raw(slice) });
}
