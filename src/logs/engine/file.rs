//! One file: opened, its kind and date order decided, scanned, and
//! described in the report.

use std::io;
use std::sync::Arc;

use super::records::Framing;
use super::scanner::Engine;
use super::streams::StreamOutcome;
use crate::logs::input::detect::detect;
use crate::logs::input::encoding::decode_sample;
use crate::logs::input::format::{ParseSettings, Parser, wgss};
use crate::logs::input::locations::FileJob;
use crate::logs::input::source::{OpenedFile, TextInput, describe_io_error};
use crate::logs::model::clean::utc;
use crate::logs::model::{FileCoverage, KindSource, LogKind, NotScanned, ScanMode};
use crate::logs::rules::Matcher;

/// Per-file counters.
#[derive(Debug, Default)]
pub(super) struct FileStats {
    pub(super) lines: u64,
    pub(super) records: u64,
    pub(super) outside: u64,
    pub(super) filtered: u64,
    pub(super) long_lines: u64,
    /// Long lines also listed as parse problems.
    pub(super) long_problems: u64,
    pub(super) nul_lines: u64,
    pub(super) cp1252_lines: u64,
    pub(super) problems: u64,
    pub(super) first: Option<i64>,
    pub(super) last: Option<i64>,
    /// Whether the first lines were looked at for the first time.
    pub(super) head_probed: bool,
}

impl FileStats {
    pub(super) fn saw_time(&mut self, t: i64) {
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
    }
}

/// Per-file scan state.
#[derive(Debug)]
pub(super) struct FileScan {
    pub(super) path: Arc<str>,
    pub(super) kind: LogKind,
    pub(super) framing: Framing,
    /// Index of the file in its stream.
    pub(super) file_no: u32,
    /// When the file was last written (Unix ms), where known.
    pub(super) modified: Option<i64>,
    pub(super) parser: Parser,
    pub(super) matcher: Arc<Matcher>,
    pub(super) full: bool,
    pub(super) stats: FileStats,
    pub(super) notes: Vec<String>,
}

impl FileScan {
    pub(super) fn new(
        path: Arc<str>,
        kind: LogKind,
        parser: Parser,
        matcher: Arc<Matcher>,
    ) -> FileScan {
        let full = matches!(kind, LogKind::Iis | LogKind::Firewall) || matcher.any_slow;
        FileScan {
            path,
            kind,
            framing: Framing::Lines,
            file_no: 0,
            modified: None,
            parser,
            matcher,
            full,
            stats: FileStats::default(),
            notes: Vec::new(),
        }
    }
}

impl Engine<'_> {
    /// Opens, detects and scans one file.
    pub(super) fn scan_file(
        &mut self,
        job: &FileJob,
        family: Option<&str>,
        out: &mut StreamOutcome,
    ) {
        let display: Arc<str> = Arc::from(job.path.to_string_lossy().as_ref());
        let not_scanned = |reason: &str, detail: String| NotScanned {
            path: display.to_string(),
            reason: reason.to_owned(),
            detail,
        };
        let opened = match OpenedFile::open(&job.path) {
            Ok(o) => o,
            Err(e) => {
                let (reason, detail) = if e.kind() == io::ErrorKind::InvalidInput {
                    ("not_a_file", e.to_string())
                } else {
                    let (r, d) = describe_io_error(&e);
                    (r, d)
                };
                out.not_scanned.push(not_scanned(reason, detail));
                return;
            }
        };
        if let Some(why) = &opened.sniff.binary {
            out.not_scanned
                .push(not_scanned("binary", format!("not a text log: {why}")));
            return;
        }
        let file_name = job
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sample = decode_sample(&opened.sample, &opened.sniff);
        let (kind, kind_source) = match self.settings.kind.fixed() {
            Some(k) => (k, KindSource::Request),
            None => detect(&sample, &file_name),
        };
        let modified_ms = opened.modified.and_then(|m| {
            let d = m.duration_since(std::time::UNIX_EPOCH).ok()?;
            i64::try_from(d.as_millis()).ok()
        });
        let mut notes = Vec::new();
        let date_order = (kind == LogKind::Wgss).then(|| {
            let first = wgss::first_short_date(&sample);
            let (order, note) = wgss::choose_date_order(
                first,
                self.settings.date_order,
                modified_ms,
                self.settings.offset,
            );
            notes.extend(note);
            order
        });
        let parse = ParseSettings {
            offset: self.settings.offset,
            date_order: date_order.unwrap_or(self.settings.date_order),
        };
        let rules = self.set.applicable(kind, &file_name);
        out.slow_rules
            .extend(rules.iter().copied().filter(|&r| self.set.rules[r].slow));
        let matcher = self.matcher_for(rules);
        let encoding = opened.sniff.encoding;
        let mut fs = FileScan::new(display.clone(), kind, Parser::new(kind, parse), matcher);
        fs.notes = notes;
        fs.framing = Framing::of(kind, &sample);
        fs.modified = modified_ms;
        fs.file_no = self.files_seen;
        self.files_seen += 1;
        let mut input = match opened.into_input() {
            Ok(i) => i,
            Err(e) => {
                out.not_scanned.push(not_scanned(
                    describe_io_error(&e).0,
                    describe_io_error(&e).1,
                ));
                return;
            }
        };
        if let Err(e) = self.run(&mut fs, &mut input) {
            fs.notes.push(format!(
                "reading stopped early ({}); lines after {} were not scanned",
                describe_io_error(&e).1,
                fs.stats.lines
            ));
        }
        if input.shrank() {
            fs.notes.push(
                "the file became shorter while it was read (truncated or replaced); read up to \
                 its new end"
                    .to_owned(),
            );
        }
        if input.grew() {
            fs.notes.push(
                "the file grew while it was read (still being written); read up to its length \
                 when opened"
                    .to_owned(),
            );
        }
        out.bytes += input.bytes_read();
        out.files.push(FileCoverage {
            path: display.to_string(),
            kind,
            kind_source,
            encoding,
            bytes: input.bytes_read(),
            lines: fs.stats.lines,
            first_time: fs.stats.first.and_then(utc),
            last_time: fs.stats.last.and_then(utc),
            time_basis: fs.parser.time_basis(),
            date_order,
            mode: if fs.full {
                ScanMode::EveryRecord
            } else {
                ScanMode::Prefilter
            },
            records_examined: fs.stats.records,
            records_outside_window: fs.stats.outside,
            records_filtered: fs.stats.filtered,
            long_lines: fs.stats.long_lines,
            lines_with_nul: fs.stats.nul_lines,
            lines_windows_1252: fs.stats.cp1252_lines,
            parse_problems: fs.stats.problems,
            rotation_family: family.map(str::to_owned),
            notes: fs.notes,
        });
    }
}
