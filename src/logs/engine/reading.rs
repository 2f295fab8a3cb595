//! Reading a file's pieces, inline or on a second thread, and finding
//! the records in each that the rules must see.

use std::io;
use std::sync::mpsc;

use aho_corasick::Input;
use memchr::memchr;

use super::chunker::{Chunker, Piece, newlines_before};
use super::file::FileScan;
use super::records::{
    count_newlines, last_lines, line_end, long_lines, record_around, record_forward, trim_eol,
};
use super::scanner::Engine;
use super::settings::past;
use super::streams::DEADLINE_CUT_NOTE;
use crate::logs::input::encoding::decode_line;
use crate::logs::input::source::TextInput;
use crate::logs::model::LogKind;

/// Inputs of at least this many chunks are read by a second thread.
const PIPELINE_MIN_CHUNKS: u64 = 4;
/// Lines looked at for a file's first and last time in prefilter mode.
const TIME_PROBE_LINES: usize = 64;
/// Bytes of a long line read for its parse problem, redacted whole before
/// the excerpt is cut to [`PROBLEM_CHARS`](super::scanner::PROBLEM_CHARS).
const PROBLEM_HEAD_BYTES: usize = 16 * 1024;
/// Long lines of a file that also become parse problems.
const LONG_LINE_PROBLEMS: u64 = 3;
/// The note on a file the deadline cut after `read` bytes.
fn deadline_cut_note(read: u64) -> String {
    format!("{DEADLINE_CUT_NOTE} this file: only its first {read} bytes were scanned")
}

impl Engine<'_> {
    /// Reads `input` to its end and scans every piece. Large inputs are
    /// read by a second thread (read, cut into complete records, count
    /// newlines) while this one searches, so copying from the page cache
    /// and counting lines overlap with the prefilter; small ones are read
    /// in turn.
    pub(super) fn run(&mut self, fs: &mut FileScan, input: &mut dyn TextInput) -> io::Result<()> {
        let chunker = Chunker::new(self.settings, fs.framing, input.size_hint());
        let threaded = self.settings.pipeline
            && input.size_hint() >= PIPELINE_MIN_CHUNKS * self.settings.chunk as u64;
        let (chunker, result) = if threaded {
            self.run_threaded(fs, input, chunker)
        } else {
            self.run_inline(fs, input, chunker)
        };
        fs.stats.lines = chunker.line;
        fs.notes.extend(chunker.notes);
        if fs.stats.long_lines > 0 {
            fs.notes.push(format!(
                "{} line(s) longer than max_line_bytes ({} bytes) were cut: only their first {} \
                 bytes were scanned",
                fs.stats.long_lines, self.settings.max_line, self.settings.max_line
            ));
        }
        result
    }

    fn run_inline(
        &mut self,
        fs: &mut FileScan,
        input: &mut dyn TextInput,
        mut chunker: Chunker,
    ) -> (Chunker, io::Result<()>) {
        let cap = chunker.cap;
        let end = self.settings.end;
        let mut pool = std::mem::take(&mut self.pool);
        let result = loop {
            // A large file must not carry the scan past its deadline.
            if past(end) {
                chunker.notes.push(deadline_cut_note(input.bytes_read()));
                break Ok(());
            }
            let piece = chunker.next(input, &mut || {
                let mut b = pool.pop().unwrap_or_default();
                b.resize(cap, 0);
                b
            });
            match piece {
                Ok(Some(p)) => {
                    self.consume(fs, &p);
                    pool.push(p.buf);
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        pool.push(std::mem::take(&mut chunker.cur));
        pool.truncate(2);
        self.pool = pool;
        (chunker, result)
    }

    fn run_threaded(
        &mut self,
        fs: &mut FileScan,
        input: &mut dyn TextInput,
        mut chunker: Chunker,
    ) -> (Chunker, io::Result<()>) {
        let cap = chunker.cap;
        let end = self.settings.end;
        let (piece_tx, piece_rx) = mpsc::sync_channel::<Piece>(2);
        let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
        std::thread::scope(|scope| {
            let reader = scope.spawn(move || {
                // At most this many buffers exist: the reader's, two
                // queued, one being searched.
                let mut allocated = 1;
                let mut fresh = || {
                    if let Ok(b) = free_rx.try_recv() {
                        return b;
                    }
                    if allocated < 4 {
                        allocated += 1;
                        return vec![0u8; cap];
                    }
                    free_rx.recv().unwrap_or_else(|_| vec![0u8; cap])
                };
                let result = loop {
                    if past(end) {
                        chunker.notes.push(deadline_cut_note(input.bytes_read()));
                        break Ok(());
                    }
                    match chunker.next(input, &mut fresh) {
                        Ok(Some(p)) => {
                            if piece_tx.send(p).is_err() {
                                break Ok(());
                            }
                        }
                        Ok(None) => break Ok(()),
                        Err(e) => break Err(e),
                    }
                };
                (chunker, result)
            });
            for piece in piece_rx {
                self.consume(fs, &piece);
                // The reader may have finished; the buffer is then dropped.
                let _ = free_tx.send(piece.buf);
            }
            reader
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    /// Scans one piece handed over by the chunker.
    fn consume(&mut self, fs: &mut FileScan, piece: &Piece) {
        let data = &piece.buf[..piece.len];
        if piece.long_line {
            self.long_line(fs, piece.first_line, data);
            self.evaluate(fs, data, piece.first_line, &[]);
        } else {
            self.process_region(fs, data, piece.first_line, &piece.blocks);
        }
    }

    /// Scans the complete records of one region whose first line is
    /// `first_line`; `blocks[i]` is the number of newlines before byte
    /// `i * BLOCK`.
    fn process_region(
        &mut self,
        fs: &mut FileScan,
        region: &[u8],
        first_line: u64,
        blocks: &[u64],
    ) {
        for start in long_lines(region, blocks, self.settings.max_line) {
            let line = first_line + newlines_before(region, blocks, start);
            self.long_line(fs, line, &region[start..]);
        }
        let mut pos = 0usize;
        if fs.full {
            let mut newlines = 0u64;
            let mut counted = 0usize;
            while pos < region.len() {
                let (s, e) = record_forward(region, pos, fs.framing);
                newlines += count_newlines(&region[counted..s]);
                counted = s;
                self.evaluate(fs, &region[s..e], first_line + newlines, &region[..s]);
                pos = e;
            }
        } else {
            let matcher = fs.matcher.clone();
            if let Some(ac) = &matcher.search {
                while pos < region.len() {
                    let Some(m) = ac.find(Input::new(region).span(pos..region.len())) else {
                        break;
                    };
                    let (s, e) = record_around(region, m.start(), pos, fs.framing);
                    let before = newlines_before(region, blocks, s);
                    self.evaluate(fs, &region[s..e], first_line + before, &region[..s]);
                    pos = e.max(m.end());
                }
            }
            track_time_bounds(fs, region);
        }
    }

    /// Tries the rules on one record.
    /// Counts a line longer than the cap; the first few of a file are
    /// also parse problems. `from` starts at the line.
    fn long_line(&mut self, fs: &mut FileScan, line: u64, from: &[u8]) {
        fs.stats.long_lines += 1;
        if fs.stats.long_problems >= LONG_LINE_PROBLEMS {
            return;
        }
        fs.stats.long_problems += 1;
        let max = self.settings.max_line;
        // Redacted before it is cut: a head of the line far longer than
        // shown, less a last word the cut may have split (half a secret).
        let head = &from[..from.len().min(PROBLEM_HEAD_BYTES).min(max)];
        let (head, whole) = match memchr(b'\n', head) {
            Some(i) => (&head[..i], true),
            None => (head, false),
        };
        let text = decode_line(head, true).0;
        let text = if whole {
            &text[..]
        } else {
            text.trim_end_matches(|c: char| !c.is_whitespace())
        };
        let problem = format!(
            "line longer than max_line_bytes ({max} bytes): only the first {max} bytes were \
             scanned"
        );
        let path = fs.path.clone();
        self.problem(&path, &mut fs.stats, line, &problem, text);
    }
}

/// First and last record times of a file scanned with the prefilter,
/// from a few lines at the ends of each region.
fn track_time_bounds(fs: &mut FileScan, region: &[u8]) {
    if !matches!(fs.kind, LogKind::Wgss | LogKind::NymiApi) || region.is_empty() {
        return;
    }
    if !fs.stats.head_probed {
        fs.stats.head_probed = true;
        let mut pos = 0;
        for _ in 0..TIME_PROBE_LINES {
            if pos >= region.len() {
                break;
            }
            let end = line_end(region, pos);
            let line = decode_line(trim_eol(&region[pos..end]), false).0;
            if let Some(t) = fs.parser.time_of(&line) {
                fs.stats.saw_time(t);
                break;
            }
            pos = end;
        }
    }
    for line in last_lines(region, TIME_PROBE_LINES).into_iter().rev() {
        if let Some(t) = fs.parser.time_of(&decode_line(trim_eol(line), false).0) {
            fs.stats.saw_time(t);
            break;
        }
    }
}
