//! `nymidiag` diagnoses why a Windows terminal running Nymi and Evidian
//! software cannot get its NEA certificates from the Nymi Enterprise Server.
//!
//! The crate is built twice: as a `cdylib` that the `NymiDiag` PowerShell
//! module loads through a small C ABI (JSON in, JSON out), and as an `rlib`
//! for Rust callers and tests. Every capability returns the same
//! [`Report`] envelope; problems found on the terminal are [`Finding`]s in
//! that report, while [`Error`] is kept for requests the library could not
//! carry out at all.
//!
//! ```
//! use nymidiag::describe::{describe, DescribeRequest};
//!
//! let report = describe(&DescribeRequest::default());
//! assert_eq!(report.schema_version, nymidiag::SCHEMA_VERSION);
//! assert_eq!(report.context.abi_version, nymidiag::ABI_VERSION);
//! ```

pub mod certs;
pub mod context;
pub mod describe;
pub mod diagnose;
mod error;
pub mod fleet;
mod fsutil;
pub mod host;
mod ids;
pub mod logs;
pub mod nes_clients;
pub mod probe;
pub mod redaction;
pub mod report;
pub mod time_fmt;
mod windows_folders;

// The C boundary is the only place allowed to use `unsafe`.
#[allow(unsafe_code)]
pub mod ffi;

pub use context::Context;
pub use error::{Error, Result};
pub use report::{Finding, Report, ReportStatus, SCHEMA_VERSION, Severity};

/// Version of the C ABI. Bumped whenever an export changes signature or
/// meaning; the PowerShell module refuses a library whose ABI differs.
pub const ABI_VERSION: u32 = 1;

/// The crate version, as in `Cargo.toml`.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
