//! How one scan reads and filters records.

use time::UtcOffset;

use crate::logs::model::request::AddressSet;
use crate::logs::model::{DateOrder, KindChoice};

/// Bytes read per step.
pub(super) const CHUNK: usize = 1 << 20;
/// Most bytes carried over to keep a WGSS record with its continuation
/// lines.
pub(super) const CARRY_MAX: usize = 256 << 10;
/// Whether the deadline `end` has passed.
pub(super) fn past(end: Option<std::time::Instant>) -> bool {
    end.is_some_and(|end| std::time::Instant::now() >= end)
}

/// How one scan reads and filters records.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) since_ms: Option<i64>,
    pub(crate) until_ms: Option<i64>,
    pub(crate) client: AddressSet,
    pub(crate) remote: AddressSet,
    pub(crate) port: Option<u16>,
    pub(crate) offset: UtcOffset,
    pub(crate) date_order: DateOrder,
    pub(crate) kind: KindChoice,
    pub(crate) max_line: usize,
    pub(crate) chunk: usize,
    pub(crate) carry_max: usize,
    /// Whether large files are read by a second thread.
    pub(crate) pipeline: bool,
    /// No file is started after this instant.
    pub(crate) end: Option<std::time::Instant>,
}

impl Settings {
    /// Settings with no filters, for rule samples and tests.
    pub(crate) fn unfiltered(max_line: usize) -> Settings {
        Settings {
            since_ms: None,
            until_ms: None,
            client: AddressSet::default(),
            remote: AddressSet::default(),
            port: None,
            offset: UtcOffset::UTC,
            date_order: DateOrder::YyMmDd,
            kind: KindChoice::Auto,
            max_line,
            chunk: CHUNK,
            carry_max: CARRY_MAX,
            pipeline: true,
            end: None,
        }
    }

    /// Whether a record counts: a dated one when its time is in the
    /// window; an undated one when its file was last written (`modified`)
    /// at or after `since`, as its time may then lie in the window. An
    /// unknown write time counts.
    pub(super) fn in_window(&self, time: Option<i64>, modified: Option<i64>) -> bool {
        match time {
            None => self
                .since_ms
                .is_none_or(|s| modified.is_none_or(|m| m >= s)),
            Some(t) => self.since_ms.is_none_or(|s| t >= s) && self.until_ms.is_none_or(|u| t <= u),
        }
    }
}
