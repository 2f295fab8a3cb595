//! The C ABI: the only module allowed `unsafe`.
//!
//! Every capability is one export with the same shape:
//!
//! ```c
//! int32_t nymidiag_<capability>(const uint8_t *request, size_t request_len,
//!                               uint8_t **out, size_t *out_len);
//! ```
//!
//! JSON in, JSON out, an [`Status`] back. The work of checking pointers,
//! catching panics, decoding the request and encoding the answer is done once
//! in [`boundary::json_call`]; an export is a few lines around it.

pub mod boundary;
mod exports;
pub mod status;

pub use exports::*;
pub use status::Status;
