//! Lines and records inside a region of bytes: where a line starts and
//! ends, and how WGSS continuation lines join the line they follow.

use memchr::{memchr, memchr_iter, memrchr};

use super::chunker::BLOCK;
use super::settings::CARRY_MAX;
use crate::logs::input::format::wgss;
use crate::logs::model::LogKind;

/// Most continuation lines attached to one WGSS record.
pub(super) const MAX_CONTINUATION: usize = 64;
/// How the lines of a file group into records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Every line is a record.
    Lines,
    /// A line with a prefix starts a record; the lines after it without
    /// one continue it (WGSS traces with prefixes).
    Headed,
}

impl Framing {
    /// WGSS files whose first lines hold a prefixed line are headed.
    pub(super) fn of(kind: LogKind, sample: &str) -> Framing {
        let headed = kind == LogKind::Wgss
            && sample
                .lines()
                .any(|l| wgss::is_header(l.trim_start_matches('\u{feff}').as_bytes()));
        if headed {
            Framing::Headed
        } else {
            Framing::Lines
        }
    }
}

/// Where the lines longer than `max_line` (line end excluded) start in
/// `region`; `blocks` are its newline counts per [`BLOCK`].
pub(super) fn long_lines(region: &[u8], blocks: &[u64], max_line: usize) -> Vec<usize> {
    let mut out = Vec::new();
    if region.len() <= max_line {
        return out;
    }
    let mut measure = |start: usize, end: usize| {
        if trim_eol(&region[start..end]).len() > max_line {
            out.push(start);
        }
    };
    if max_line >= 2 * BLOCK {
        // Such a line covers a whole block without a newline: only those
        // blocks are looked at, so the common case costs nothing.
        let mut measured_to = 0;
        for b in 0..blocks.len().saturating_sub(1) {
            let at = b * BLOCK;
            if blocks[b + 1] != blocks[b] || at < measured_to {
                continue;
            }
            let start = line_start(region, at, 0);
            let end = line_end(region, at);
            measure(start, end);
            measured_to = end;
        }
    } else {
        let mut start = 0;
        while start < region.len() {
            let end = line_end(region, start);
            measure(start, end);
            start = end;
        }
    }
    out
}

/// The last `n` lines of `bytes`, oldest first.
pub(super) fn last_lines(bytes: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut end = bytes.len();
    if end > 0 && bytes[end - 1] == b'\n' {
        end -= 1;
    }
    while out.len() < n && end > 0 {
        let start = memrchr(b'\n', &bytes[..end]).map_or(0, |i| i + 1);
        out.push(&bytes[start..end]);
        if start == 0 {
            break;
        }
        end = start - 1;
    }
    out.reverse();
    out
}

/// Strips one line ending (`\n`, `\r\n`).
pub(super) fn trim_eol(raw: &[u8]) -> &[u8] {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    raw.strip_suffix(b"\r").unwrap_or(raw)
}

pub(super) fn count_newlines(bytes: &[u8]) -> u64 {
    memchr_iter(b'\n', bytes).count() as u64
}

/// Start of the line holding `pos`, not before `floor`.
pub(super) fn line_start(region: &[u8], pos: usize, floor: usize) -> usize {
    memrchr(b'\n', &region[floor..pos]).map_or(floor, |i| floor + i + 1)
}

/// End of the line holding `pos` (after its newline).
pub(super) fn line_end(region: &[u8], pos: usize) -> usize {
    memchr(b'\n', &region[pos..]).map_or(region.len(), |i| pos + i + 1)
}

/// Extends a headed record over its continuation lines.
pub(super) fn extend_continuation(region: &[u8], start: usize, mut end: usize) -> usize {
    let mut steps = 0;
    while end < region.len()
        && steps < MAX_CONTINUATION
        && end - start < CARRY_MAX
        && !wgss::is_header(&region[end..])
    {
        end = line_end(region, end);
        steps += 1;
    }
    end
}

/// The record starting at `pos` (full mode).
pub(super) fn record_forward(region: &[u8], pos: usize, framing: Framing) -> (usize, usize) {
    let end = line_end(region, pos);
    if framing == Framing::Headed && wgss::is_header(&region[pos..]) {
        (pos, extend_continuation(region, pos, end))
    } else {
        (pos, end)
    }
}

/// The record holding the match at `at` (prefilter mode), not starting
/// before `floor`.
pub(super) fn record_around(
    region: &[u8],
    at: usize,
    floor: usize,
    framing: Framing,
) -> (usize, usize) {
    let mut start = line_start(region, at, floor);
    let end = line_end(region, at);
    if framing != Framing::Headed {
        return (start, end);
    }
    if !wgss::is_header(&region[start..]) {
        // A continuation line: the record starts at the header above it.
        let mut cur = start;
        for _ in 0..MAX_CONTINUATION {
            if cur <= floor {
                break;
            }
            let prev = line_start(region, cur - 1, floor);
            if wgss::is_header(&region[prev..]) {
                start = prev;
                break;
            }
            cur = prev;
        }
    }
    (start, extend_continuation(region, start, end))
}
