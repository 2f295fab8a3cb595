//! The bottom layer: what callers send and what reports say. Requests,
//! report data, rule listings, the names of formats and encodings, the
//! error-code table, and how log text is cleaned before a report shows
//! it. Nothing here reads a file or knows a rule's compiled form, so
//! every other layer can depend on these types.

pub(crate) mod clean;
pub(crate) mod codes;
mod data;
mod kinds;
mod pack;
pub(crate) mod request;
pub mod rule_ids;

pub use codes::{ErrorCodeInfo, ErrorCodeSeen};
pub use data::{
    Excerpt, FileCoverage, HitLocation, LogScanData, NotScanned, ParseProblem, RuleHit,
    RuleListData, ScanCoverage, ScanMode, ScanWindow, SearchedLocation, ValueCount,
};
pub use kinds::{KindChoice, KindSource, LogKind, TextEncoding, TimeBasis};
pub use pack::{PackSummary, RuleInfo, RuleSamples, SequenceInfo};
pub use request::{DateOrder, LogScanRequest, RuleListRequest};
