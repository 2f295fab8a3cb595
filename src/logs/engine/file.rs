//! One file: opened, its kind and date order decided, scanned, and
//! described in the report.

use std::io;
use std::path::Path;
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
use crate::logs::model::{
    DateOrder, FileCoverage, KindSource, LogKind, NotScanned, ScanMode, TextEncoding,
};
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

/// What was decided about a file from its first bytes, before reading it.
#[derive(Debug)]
struct Decided {
    kind: LogKind,
    kind_source: KindSource,
    /// The WGSS date order used, and a note when it differs from the
    /// request's.
    date_order: Option<DateOrder>,
    notes: Vec<String>,
    /// When the file was last written (Unix ms), where known.
    modified_ms: Option<i64>,
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
        let not_scanned = |(reason, detail): (&str, String)| NotScanned {
            path: display.to_string(),
            reason: reason.to_owned(),
            detail,
        };
        let opened = match open(&job.path) {
            Ok(o) => o,
            Err(refused) => {
                out.not_scanned.push(not_scanned(refused));
                return;
            }
        };
        let file_name = job
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sample = decode_sample(&opened.sample, &opened.sniff);
        let decided = self.decide(&sample, &file_name, &opened);
        let kind = decided.kind;
        let rules = self.set.applicable(kind, &file_name);
        out.slow_rules
            .extend(rules.iter().copied().filter(|&r| self.set.rules[r].slow));
        let matcher = self.matcher_for(rules);
        let parse = ParseSettings {
            offset: self.settings.offset,
            date_order: decided.date_order.unwrap_or(self.settings.date_order),
        };
        let mut fs = FileScan::new(display.clone(), kind, Parser::new(kind, parse), matcher);
        fs.notes.clone_from(&decided.notes);
        fs.framing = Framing::of(kind, &sample);
        fs.modified = decided.modified_ms;
        fs.file_no = self.files_seen;
        self.files_seen += 1;
        let encoding = opened.sniff.encoding;
        let mut input = match opened.into_input() {
            Ok(i) => i,
            Err(e) => {
                out.not_scanned.push(not_scanned(describe_io_error(&e)));
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
        fs.notes.extend(change_notes(&input));
        out.bytes += input.bytes_read();
        let file = FileRead {
            decided,
            encoding,
            bytes: input.bytes_read(),
            family,
        };
        out.files.push(coverage(fs, file));
    }

    /// The file's kind (the request's, or detected from its first lines
    /// and name) and, for WGSS, the date order its dates are read in.
    fn decide(&self, sample: &str, file_name: &str, opened: &OpenedFile) -> Decided {
        let (kind, kind_source) = match self.settings.kind.fixed() {
            Some(k) => (k, KindSource::Request),
            None => detect(sample, file_name),
        };
        let modified_ms = opened.modified.and_then(|m| {
            let d = m.duration_since(std::time::UNIX_EPOCH).ok()?;
            i64::try_from(d.as_millis()).ok()
        });
        let mut notes = Vec::new();
        let date_order = (kind == LogKind::Wgss).then(|| {
            let first = wgss::first_short_date(sample);
            let (order, note) = wgss::choose_date_order(
                first,
                self.settings.date_order,
                modified_ms,
                self.settings.offset,
            );
            notes.extend(note);
            order
        });
        Decided {
            kind,
            kind_source,
            date_order,
            notes,
            modified_ms,
        }
    }
}

/// Opens a file for scanning, or says why it is not scanned: the
/// `not_scanned` reason and detail.
fn open(path: &Path) -> Result<OpenedFile, (&'static str, String)> {
    let opened = OpenedFile::open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::InvalidInput {
            ("not_a_file", e.to_string())
        } else {
            describe_io_error(&e)
        }
    })?;
    if let Some(why) = &opened.sniff.binary {
        return Err(("binary", format!("not a text log: {why}")));
    }
    Ok(opened)
}

/// Notes on a file that changed while it was read.
fn change_notes(input: &dyn TextInput) -> Vec<String> {
    let mut notes = Vec::new();
    if input.shrank() {
        notes.push(
            "the file became shorter while it was read (truncated or replaced); read up to its \
             new end"
                .to_owned(),
        );
    }
    if input.grew() {
        notes.push(
            "the file grew while it was read (still being written); read up to its length when \
             opened"
                .to_owned(),
        );
    }
    notes
}

/// What a read file adds to its coverage besides its scan state.
struct FileRead<'f> {
    decided: Decided,
    encoding: TextEncoding,
    bytes: u64,
    family: Option<&'f str>,
}

/// The coverage of a file read to its end (or as far as it could be).
fn coverage(fs: FileScan, file: FileRead<'_>) -> FileCoverage {
    FileCoverage {
        path: fs.path.to_string(),
        kind: fs.kind,
        kind_source: file.decided.kind_source,
        encoding: file.encoding,
        bytes: file.bytes,
        lines: fs.stats.lines,
        first_time: fs.stats.first.and_then(utc),
        last_time: fs.stats.last.and_then(utc),
        time_basis: fs.parser.time_basis(),
        date_order: file.decided.date_order,
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
        rotation_family: file.family.map(str::to_owned),
        notes: fs.notes,
    }
}
