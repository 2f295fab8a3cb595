//! The engine layer: reading files and trying the rules on their
//! records. One pass per file, large reads, a multi-literal
//! prefilter across the whole rule pack, and regexes only on candidates.
//!
//! A file is read in chunks of about a megabyte into one reused buffer.
//! Each chunk is cut after its last complete record; the rest is carried
//! into the next read, so no record is split. In *prefilter* mode the
//! Aho-Corasick automaton of every literal that applies to the file runs
//! over the whole chunk at once (as ripgrep does), and only the records
//! holding a literal are decoded, parsed and tried against the rules;
//! newlines are counted in between for line numbers. IIS and firewall logs
//! (whose headers, filters and parse problems concern every line) and files
//! with a slow rule are scanned *every record*.
//!
//! Lines longer than the line cap are scanned up to the cap, counted,
//! reported (a parse problem for the first few of a file, a note on the
//! file), and skipped to their end without being held in memory, so memory
//! stays bounded by the buffer whatever the file.
//!
//! Records and time: a WGSS file whose lines carry a prefix (time stamp,
//! thread) groups a prefixed line with the unprefixed lines after it; in
//! any other file every line is a record. A record without a time of its
//! own is *undated*: it counts in the window when its file was last written
//! at or after `since` (files last written before are not read at all).
//! Sequence rules relate records of the same key value (a record without
//! the key, such as a line without a thread, is keyed by its file); dated
//! records relate by time, and a record where either side is undated
//! relates only to records of the same file at most
//! [`UNDATED_LINES`](sequence::UNDATED_LINES) lines above it.

mod chunker;
mod evaluate;
mod file;
mod filters;
mod reading;
mod records;
mod sample;
mod scanner;
mod sequence;
mod settings;
mod streams;
mod tally;
#[cfg(test)]
mod tests;

pub(crate) use chunker::Chunker;
pub(crate) use records::Framing;
pub(crate) use sample::sample_hits;
pub(crate) use settings::Settings;
pub(crate) use streams::{
    DEADLINE_CUT_NOTE, DEADLINE_REASON, StreamOutcome, long_line_warning, scan_streams,
};
pub(crate) use tally::RuleAcc;
