//! Cutting an input into pieces of complete records, in large reads
//! into reused buffers.

use std::io;

use memchr::{memchr, memrchr};

use super::records::{Framing, MAX_CONTINUATION, count_newlines, line_start};
use super::settings::Settings;
use crate::logs::input::format::wgss;
use crate::logs::input::source::TextInput;

/// Granularity of the newline counts handed over with a region.
pub(super) const BLOCK: usize = 16 << 10;
/// A piece of a file, ready to scan.
#[derive(Debug)]
pub(crate) struct Piece {
    pub(crate) buf: Vec<u8>,
    pub(crate) len: usize,
    /// Line number of the piece's first line.
    pub(super) first_line: u64,
    /// `true`: the first `max_line_bytes` of a line without end in
    /// sight (the chunker skips the rest).
    pub(crate) long_line: bool,
    /// Newlines before each [`BLOCK`] of the piece, and the total last.
    pub(super) blocks: Vec<u64>,
}

/// Reads an input in chunks and cuts it into pieces of complete records,
/// carrying the rest into the next buffer. The same code runs inline or
/// on the reader thread.
#[derive(Debug)]
pub(crate) struct Chunker {
    pub(super) max_line: usize,
    pub(super) chunk: usize,
    pub(super) carry_max: usize,
    pub(super) framing: Framing,
    pub(crate) cap: usize,
    pub(crate) cur: Vec<u8>,
    pub(super) filled: usize,
    /// Lines completed so far.
    pub(crate) line: u64,
    pub(super) skipping: bool,
    pub(super) done: bool,
    pub(crate) notes: Vec<String>,
}

impl Chunker {
    /// A chunker for an input of about `size` bytes (decoding may triple
    /// it); small inputs get small buffers.
    pub(crate) fn new(settings: &Settings, framing: Framing, size: u64) -> Chunker {
        let chunk = settings.chunk.max(64);
        let full = settings.max_line + settings.carry_max + chunk;
        let needed = usize::try_from(size.saturating_mul(3).saturating_add(256)).unwrap_or(full);
        Chunker {
            max_line: settings.max_line,
            chunk,
            carry_max: settings.carry_max,
            framing,
            cap: full.min(needed.max(256)),
            cur: Vec::new(),
            filled: 0,
            line: 0,
            skipping: false,
            done: false,
            notes: Vec::new(),
        }
    }

    /// The next piece, or `None` at the end. `fresh` gives a buffer of
    /// `cap` bytes.
    pub(crate) fn next(
        &mut self,
        input: &mut dyn TextInput,
        fresh: &mut dyn FnMut() -> Vec<u8>,
    ) -> io::Result<Option<Piece>> {
        if self.cur.len() < self.cap {
            self.cur = fresh();
        }
        loop {
            if self.done {
                return Ok(None);
            }
            let space_end = self.cap.min(self.filled + self.chunk);
            let can_read = space_end - self.filled >= 64;
            let n = if can_read {
                input.read_text(&mut self.cur[self.filled..space_end])?
            } else {
                0
            };
            let eof = can_read && n == 0;
            self.filled += n;

            if self.skipping {
                // The rest of an over-long line: drop it up to its newline.
                match memchr(b'\n', &self.cur[..self.filled]) {
                    Some(i) => {
                        self.cur.copy_within(i + 1..self.filled, 0);
                        self.filled -= i + 1;
                        self.line += 1;
                        self.skipping = false;
                    }
                    None => {
                        self.filled = 0;
                        if eof {
                            self.line += 1;
                            self.done = true;
                        }
                        continue;
                    }
                }
            }

            let filled = self.filled;
            let cut = if eof {
                filled
            } else {
                cut_point(&self.cur[..filled], self.framing, self.carry_max)
            };
            if cut == 0 {
                if eof {
                    self.done = true;
                    continue;
                }
                if filled >= self.max_line || !can_read {
                    // No newline within the cap: hand over the start, skip
                    // the rest.
                    let len = self.max_line.min(filled);
                    let buf = std::mem::replace(&mut self.cur, fresh());
                    self.filled = 0;
                    self.skipping = true;
                    return Ok(Some(Piece {
                        buf,
                        len,
                        first_line: self.line + 1,
                        long_line: true,
                        blocks: Vec::new(),
                    }));
                }
                continue;
            }
            let mut end = cut;
            if eof && filled > 0 && self.cur[filled - 1] != b'\n' && input.grew() {
                end = memrchr(b'\n', &self.cur[..filled]).map_or(0, |i| i + 1);
                self.notes.push(
                    "the last line was still being written when the file was opened; it was \
                     left out"
                        .to_owned(),
                );
            }
            let blocks = block_counts(&self.cur[..end]);
            let first_line = self.line + 1;
            self.line += blocks.last().copied().unwrap_or(0);
            if eof {
                if end > 0 && self.cur[end - 1] != b'\n' {
                    self.line += 1;
                }
                self.done = true;
            }
            let mut next = fresh();
            let carried = if eof { 0 } else { filled - cut };
            next[..carried].copy_from_slice(&self.cur[cut..filled]);
            let buf = std::mem::replace(&mut self.cur, next);
            self.filled = carried;
            return Ok(Some(Piece {
                buf,
                len: end,
                first_line,
                long_line: false,
                blocks,
            }));
        }
    }
}

/// Newline counts before each [`BLOCK`] of `region`, and the total last.
pub(super) fn block_counts(region: &[u8]) -> Vec<u64> {
    let mut counts = Vec::with_capacity(region.len() / BLOCK + 2);
    let mut total = 0;
    for block in region.chunks(BLOCK) {
        counts.push(total);
        total += count_newlines(block);
    }
    counts.push(total);
    counts
}

/// Newlines in `region[..at]`, from the block counts.
pub(super) fn newlines_before(region: &[u8], blocks: &[u64], at: usize) -> u64 {
    let b = at / BLOCK;
    blocks[b] + count_newlines(&region[b * BLOCK..at])
}

/// Where the complete records of a chunk end: after the last newline, or
/// for headed records before the last record header (its continuation
/// lines may be in the next chunk). 0 when the chunk holds no complete
/// line.
pub(super) fn cut_point(data: &[u8], framing: Framing, carry_max: usize) -> usize {
    let Some(last) = memrchr(b'\n', data) else {
        return 0;
    };
    let cut = last + 1;
    if framing == Framing::Headed {
        let mut cur = cut;
        for _ in 0..MAX_CONTINUATION {
            if cur == 0 || cut - cur > carry_max {
                break;
            }
            let prev = line_start(data, cur - 1, 0);
            if wgss::is_header(&data[prev..]) {
                if prev > 0 && cut - prev <= carry_max {
                    return prev;
                }
                break;
            }
            cur = prev;
        }
    }
    cut
}
