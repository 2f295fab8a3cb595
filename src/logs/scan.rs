//! The scanning engine: one pass per file, large reads, a multi-literal
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
//! [`UNDATED_LINES`](super::sequence::UNDATED_LINES) lines above it.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use aho_corasick::Input;
use memchr::{memchr, memchr_iter, memrchr};
use time::UtcOffset;

use super::codes::parse_code;
use super::collect::{Hit, RuleAcc, captured, clean, clean_excerpt, clean_field, utc};
use super::encoding::{decode_line, decode_sample};
use super::format::{ParseSettings, Parser, Record, wgss};
use super::kind::{KindChoice, KindSource, LogKind, detect};
use super::model::{Excerpt, FileCoverage, NotScanned, ParseProblem, ScanMode};
use super::request::{AddressSet, DateOrder, parse_address};
use super::rules::{Matcher, RuleSet};
use super::sequence::{At, Mark, SeqState};
use super::source::{OpenedFile, SliceInput, TextInput, describe_io_error};
use crate::redaction::{Span, secret_spans};

/// Bytes read per step.
const CHUNK: usize = 1 << 20;
/// Inputs of at least this many chunks are read by a second thread.
const PIPELINE_MIN_CHUNKS: u64 = 4;
/// Granularity of the newline counts handed over with a region.
const BLOCK: usize = 16 << 10;
/// Most bytes carried over to keep a WGSS record with its continuation
/// lines.
const CARRY_MAX: usize = 256 << 10;
/// Most continuation lines attached to one WGSS record.
const MAX_CONTINUATION: usize = 64;
/// Lines looked at for a file's first and last time in prefilter mode.
const TIME_PROBE_LINES: usize = 64;
/// Parse problem examples kept per file and per stream.
const PROBLEMS_PER_FILE: usize = 5;
const PROBLEMS_PER_STREAM: usize = 100;
/// Characters of a line shown with a parse problem.
const PROBLEM_CHARS: usize = 200;
/// Bytes of a long line read for its parse problem, redacted whole before
/// the excerpt is cut to [`PROBLEM_CHARS`].
const PROBLEM_HEAD_BYTES: usize = 16 * 1024;
/// Long lines of a file that also become parse problems.
const LONG_LINE_PROBLEMS: u64 = 3;
/// `not_scanned` reason of a file the deadline left out.
pub(crate) const DEADLINE_REASON: &str = "deadline";
/// Start of the note on a file whose reading the deadline stopped.
pub(crate) const DEADLINE_CUT_NOTE: &str = "the scan's deadline was reached while reading";

/// Whether the deadline `end` has passed.
fn past(end: Option<std::time::Instant>) -> bool {
    end.is_some_and(|end| std::time::Instant::now() >= end)
}

/// The note on a file the deadline cut after `read` bytes.
fn deadline_cut_note(read: u64) -> String {
    format!("{DEADLINE_CUT_NOTE} this file: only its first {read} bytes were scanned")
}
/// Threads used for scanning at most (the machine is shared with the
/// services whose logs are read).
const MAX_WORKERS: usize = 4;

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
    fn in_window(&self, time: Option<i64>, modified: Option<i64>) -> bool {
        match time {
            None => self
                .since_ms
                .is_none_or(|s| modified.is_none_or(|m| m >= s)),
            Some(t) => self.since_ms.is_none_or(|s| t >= s) && self.until_ms.is_none_or(|u| t <= u),
        }
    }
}

/// One file to read.
#[derive(Clone, Debug)]
pub(crate) struct FileJob {
    pub(crate) path: PathBuf,
}

/// Files scanned one after the other with shared sequence state: one
/// file, or one rotation family oldest first.
#[derive(Clone, Debug)]
pub(crate) struct Stream {
    pub(crate) files: Vec<FileJob>,
    pub(crate) family: Option<String>,
}

/// What scanning one stream produced.
#[derive(Debug, Default)]
pub(crate) struct StreamOutcome {
    pub(crate) acc: Vec<RuleAcc>,
    pub(crate) files: Vec<FileCoverage>,
    pub(crate) not_scanned: Vec<NotScanned>,
    pub(crate) problems: Vec<ParseProblem>,
    pub(crate) problems_total: u64,
    pub(crate) codes: BTreeMap<u32, u64>,
    pub(crate) bytes: u64,
    pub(crate) overflows: u64,
    pub(crate) slow_rules: BTreeSet<usize>,
}

/// Prefilters built so far, per set of applicable rules, shared by all
/// streams of a scan (a folder of daily IIS logs needs one).
type Matchers = Mutex<HashMap<Vec<usize>, Arc<Matcher>>>;

/// The report warning for lines cut at `max_line` bytes, naming how many
/// lines in how many files were cut; `None` when none was.
pub(crate) fn long_line_warning(files: &[FileCoverage], max_line: usize) -> Option<String> {
    let cut: Vec<u64> = files
        .iter()
        .map(|f| f.long_lines)
        .filter(|&n| n > 0)
        .collect();
    if cut.is_empty() {
        return None;
    }
    Some(format!(
        "{} line(s) in {} file(s) were longer than max_line_bytes ({max_line} bytes) and were \
         cut: only their first {max_line} bytes were scanned (files[].long_lines, \
         parse_problems)",
        cut.iter().sum::<u64>(),
        cut.len()
    ))
}

/// Scans streams, in parallel when there are several.
pub(crate) fn scan_streams(
    set: &RuleSet,
    settings: &Settings,
    streams: &[Stream],
) -> Vec<StreamOutcome> {
    let matchers = Matchers::default();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_WORKERS)
        .min(streams.len().max(1));
    if workers == 1 {
        let mut pool = Vec::new();
        return streams
            .iter()
            .map(|s| scan_stream(set, settings, &matchers, s, &mut pool))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<StreamOutcome>>> =
        Mutex::new(streams.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut pool = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(stream) = streams.get(i) else {
                        break;
                    };
                    let outcome = scan_stream(set, settings, &matchers, stream, &mut pool);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(outcome);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// Scans one stream.
fn scan_stream(
    set: &RuleSet,
    settings: &Settings,
    matchers: &Matchers,
    stream: &Stream,
    pool: &mut Vec<Vec<u8>>,
) -> StreamOutcome {
    let mut engine = Engine::new(set, settings, matchers, std::mem::take(pool));
    let mut out = StreamOutcome::default();
    for (i, job) in stream.files.iter().enumerate() {
        if past(settings.end) {
            // Not started: the rest of the stream is left for the report.
            out.not_scanned
                .extend(stream.files[i..].iter().map(|j| NotScanned {
                    path: j.path.to_string_lossy().into_owned(),
                    reason: DEADLINE_REASON.to_owned(),
                    detail: "not started: the scan's deadline had passed".to_owned(),
                }));
            break;
        }
        engine.scan_file(job, stream.family.as_deref(), &mut out);
    }
    engine.finish();
    *pool = std::mem::take(&mut engine.pool);
    out.acc = engine.acc;
    out.problems = engine.problems;
    out.problems_total = engine.problems_total;
    out.codes = engine.codes;
    out.overflows = engine.seq.overflows;
    out
}

/// Checks rule samples: every rule of the set is tried on each sample
/// (whatever its kinds), so that the rule under test and the rules its
/// sequence refers to always apply.
#[derive(Debug)]
pub(crate) struct SampleChecker<'a> {
    set: &'a RuleSet,
    matcher: Arc<Matcher>,
    settings: Settings,
}

impl<'a> SampleChecker<'a> {
    pub(crate) fn new(set: &'a RuleSet) -> SampleChecker<'a> {
        SampleChecker {
            set,
            matcher: Arc::new(set.matcher((0..set.rules.len()).collect())),
            settings: Settings {
                chunk: 4096,
                carry_max: 4096,
                pipeline: false,
                ..Settings::unfiltered(64 << 10)
            },
        }
    }

    /// How often `rule` fires on a sample read as a file of `kind`.
    pub(crate) fn hits(&self, kind: LogKind, sample: &str, rule: usize) -> u64 {
        sample_hits(
            self.set,
            &self.settings,
            self.matcher.clone(),
            kind,
            sample,
            rule,
        )
    }
}

fn sample_hits(
    set: &RuleSet,
    settings: &Settings,
    matcher: Arc<Matcher>,
    kind: LogKind,
    sample: &str,
    rule: usize,
) -> u64 {
    let matchers = Matchers::default();
    let mut engine = Engine::new(set, settings, &matchers, Vec::new());
    let parse = ParseSettings {
        offset: UtcOffset::UTC,
        date_order: DateOrder::YyMmDd,
    };
    let mut fs = FileScan::new(Arc::from("sample"), kind, Parser::new(kind, parse), matcher);
    fs.framing = Framing::of(kind, sample);
    // In-memory input cannot fail.
    let _ = engine.run(&mut fs, &mut SliceInput::new(sample.as_bytes()));
    engine.finish();
    engine.acc[rule].count
}

/// Per-file counters.
#[derive(Debug, Default)]
struct FileStats {
    lines: u64,
    records: u64,
    outside: u64,
    filtered: u64,
    long_lines: u64,
    /// Long lines also listed as parse problems.
    long_problems: u64,
    nul_lines: u64,
    cp1252_lines: u64,
    problems: u64,
    first: Option<i64>,
    last: Option<i64>,
    /// Whether the first lines were looked at for the first time.
    head_probed: bool,
}

impl FileStats {
    fn saw_time(&mut self, t: i64) {
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
    }
}

/// Per-file scan state.
#[derive(Debug)]
struct FileScan {
    path: Arc<str>,
    kind: LogKind,
    framing: Framing,
    /// Index of the file in its stream.
    file_no: u32,
    /// When the file was last written (Unix ms), where known.
    modified: Option<i64>,
    parser: Parser,
    matcher: Arc<Matcher>,
    full: bool,
    stats: FileStats,
    notes: Vec<String>,
}

impl FileScan {
    fn new(path: Arc<str>, kind: LogKind, parser: Parser, matcher: Arc<Matcher>) -> FileScan {
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

/// How the lines of a file group into records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    /// Every line is a record.
    Lines,
    /// A line with a prefix starts a record; the lines after it without
    /// one continue it (WGSS traces with prefixes).
    Headed,
}

impl Framing {
    /// WGSS files whose first lines hold a prefixed line are headed.
    fn of(kind: LogKind, sample: &str) -> Framing {
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

/// The scanner of one stream.
struct Engine<'a> {
    set: &'a RuleSet,
    settings: &'a Settings,
    /// Buffers kept between files read inline.
    pool: Vec<Vec<u8>>,
    /// Literals present in the record being tried (reused).
    present: Vec<usize>,
    /// Longest sequence window of any rule, in ms.
    max_window: i64,
    acc: Vec<RuleAcc>,
    seq: SeqState,
    codes: BTreeMap<u32, u64>,
    problems: Vec<ParseProblem>,
    problems_total: u64,
    matchers: &'a Matchers,
    /// Files scanned so far in the stream.
    files_seen: u32,
}

impl<'a> Engine<'a> {
    fn new(
        set: &'a RuleSet,
        settings: &'a Settings,
        matchers: &'a Matchers,
        pool: Vec<Vec<u8>>,
    ) -> Engine<'a> {
        let max_window = set
            .rules
            .iter()
            .filter_map(|r| r.sequence.as_ref().map(|s| s.window_ms))
            .max()
            .unwrap_or(0);
        Engine {
            set,
            settings,
            pool,
            acc: vec![RuleAcc::default(); set.rules.len()],
            seq: SeqState::new(max_window),
            max_window,
            codes: BTreeMap::new(),
            problems: Vec::new(),
            problems_total: 0,
            matchers,
            present: Vec::new(),
            files_seen: 0,
        }
    }

    fn matcher_for(&self, rules: Vec<usize>) -> Arc<Matcher> {
        let mut cache = self.matchers.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(rules)
            .or_insert_with_key(|rules| Arc::new(self.set.matcher(rules.clone())))
            .clone()
    }

    /// Confirms the hits still waiting at the end of the stream.
    fn finish(&mut self) {
        for hit in self.seq.finish() {
            self.record(hit);
        }
    }

    fn record(&mut self, hit: Hit) {
        if self.settings.in_window(hit.time, hit.modified) {
            let rule = hit.rule;
            self.acc[rule].add(hit, self.set);
        }
    }

    /// Opens, detects and scans one file.
    fn scan_file(&mut self, job: &FileJob, family: Option<&str>, out: &mut StreamOutcome) {
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

    /// Reads `input` to its end and scans every piece. Large inputs are
    /// read by a second thread (read, cut into complete records, count
    /// newlines) while this one searches, so copying from the page cache
    /// and counting lines overlap with the prefilter; small ones are read
    /// in turn.
    fn run(&mut self, fs: &mut FileScan, input: &mut dyn TextInput) -> io::Result<()> {
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
    fn evaluate(&mut self, fs: &mut FileScan, raw: &[u8], line_no: u64, before: &[u8]) {
        let set = self.set;
        let mut raw = trim_eol(raw);
        // Long lines were counted where they were found; only their
        // first `max_line` bytes are scanned.
        let cut = raw.len() >= self.settings.max_line;
        if raw.len() > self.settings.max_line {
            raw = &raw[..self.settings.max_line];
        }
        if raw.is_empty() {
            return;
        }
        if memchr(0, raw).is_some() {
            fs.stats.nul_lines += 1;
        }
        let (text, fallback) = decode_line(raw, cut);
        if fallback {
            fs.stats.cp1252_lines += 1;
        }
        let text: Cow<'_, str> = if text.contains('\r') {
            Cow::Owned(text.replace("\r\n", "\n"))
        } else {
            text
        };
        if fs.parser.directive(&text) {
            return;
        }
        fs.stats.records += 1;
        let rec = fs.parser.parse(&text);
        for p in &rec.problems {
            self.problem(&fs.path, &mut fs.stats, line_no, p, &text);
        }
        if let Some(t) = rec.time {
            fs.stats.saw_time(t);
        }
        if !self.passes_filters(fs.kind, &rec) {
            fs.stats.filtered += 1;
            return;
        }
        let in_window = self.settings.in_window(rec.time, fs.modified);
        if !in_window {
            fs.stats.outside += 1;
            // Too early to fire, and too early to matter to a sequence
            // that could: no rule needs to look at it.
            if let (Some(t), Some(since)) = (rec.time, self.settings.since_ms)
                && t < since - self.max_window
            {
                return;
            }
        }

        let matcher = fs.matcher.clone();
        let mut present = std::mem::take(&mut self.present);
        present.clear();
        if let Some(ac) = &matcher.ac {
            for m in ac.find_overlapping_iter(text.as_bytes()) {
                let lit = matcher.pattern_literal[m.pattern().as_usize()];
                let literal = &set.literals[lit];
                if matcher.ci
                    && !literal.case_insensitive
                    && &text.as_bytes()[m.range()] != literal.text.as_bytes()
                {
                    continue;
                }
                present.push(lit);
            }
        }
        let mut base: Vec<(usize, Vec<(String, String)>)> = Vec::new();
        // The record's secrets, found once when a rule captures from it.
        let mut secrets: Option<Vec<Span>> = None;
        for &ri in &matcher.rules {
            let rule = &set.rules[ri];
            if !rule.slow && !rule.literals.iter().any(|l| present.contains(l)) {
                continue;
            }
            let fields_ok = rule.fields.iter().all(|c| {
                c.names
                    .iter()
                    .any(|n| rec.field(n).is_some_and(|v| c.regex.is_match(v)))
            });
            if !fields_ok {
                continue;
            }
            let mut caps = Vec::new();
            if let Some(re) = &rule.regex {
                let Some(c) = re.captures(&text) else {
                    continue;
                };
                for name in re.capture_names().flatten() {
                    let Some(m) = c.name(name) else {
                        continue;
                    };
                    let spans = secrets.get_or_insert_with(|| secret_spans(&text));
                    let shown = captured(&text, spans, m.range());
                    if let Some((n, v)) = rule.capture(name, &shown) {
                        caps.push((n, lower_hex(v)));
                    }
                }
            }
            base.push((ri, caps));
        }
        self.present = present;
        if in_window {
            self.count_codes(&rec, &base);
        }
        if base.is_empty() {
            return;
        }

        let now = rec.time;
        let at = At {
            time: now,
            file: fs.file_no,
            line: line_no,
        };
        for hit in self.seq.advance(at) {
            self.record(hit);
        }
        let mut fired = vec![false; base.len()];
        for (bi, (ri, caps)) in base.iter().enumerate() {
            let rule = &set.rules[*ri];
            let mut fields = caps.clone();
            let mut noted = Vec::new();
            let mut hold = None;
            if let Some(seq) = &rule.sequence {
                let value = seq
                    .key
                    .map(|k| key_value(&set.key_names[usize::from(k)], caps, &rec, fs.file_no))
                    .unwrap_or_default();
                let w = seq.window_ms;
                if seq.min_repeats > 1 {
                    let n = self
                        .seq
                        .repeat(*ri, &value, at, w, seq.min_repeats as usize);
                    if n < seq.min_repeats as usize {
                        continue;
                    }
                }
                let seen = |m: usize| self.seq.mark(m, seq.key, &value, at, w).is_some();
                if !seq.requires_before.iter().all(|&m| seen(m))
                    || seq.forbids_before.iter().any(|&m| seen(m))
                {
                    continue;
                }
                for &m in &seq.notes_before {
                    if let Some(mark) = self.seq.mark(m, seq.key, &value, at, w) {
                        noted.push(m);
                        fields.extend(mark.fields.iter().cloned());
                    }
                }
                if !seq.forbids_after.is_empty() {
                    hold = Some((seq.key, value, w, seq.forbids_after.clone()));
                }
            }
            for name in &rule.keep_fields {
                if let Some(v) = rec.field(name) {
                    fields.push((name.clone(), clean_field(name, v)));
                }
            }
            let excerpt = (in_window && rule.report && self.acc[*ri].wants_excerpt())
                .then(|| excerpt(&fs.path, line_no, &text, before, rule.context_lines));
            fired[bi] = true;
            let hit = Hit {
                rule: *ri,
                path: fs.path.clone(),
                line: line_no,
                time: now,
                modified: fs.modified,
                excerpt,
                fields,
                noted,
            };
            match hold {
                Some((key, value, window, cancelled_by)) => {
                    if let Some(early) = self.seq.hold(hit, at, key, value, window, cancelled_by) {
                        self.record(early);
                    }
                }
                None => self.record(hit),
            }
        }
        // Remember where rules fired only now, so that a record is never
        // its own predecessor.
        for ((ri, caps), _) in base.iter().zip(&fired).filter(|(_, f)| **f) {
            for &k in &set.marker_keys[*ri] {
                let value = k
                    .map(|k| key_value(&set.key_names[usize::from(k)], caps, &rec, fs.file_no))
                    .unwrap_or_default();
                if set.cancels[*ri] {
                    self.seq.cancel(*ri, k, &value, at);
                }
                let fields = if set.noted[*ri] {
                    caps.clone()
                } else {
                    Vec::new()
                };
                self.seq.remember(*ri, k, &value, Mark { at, fields });
            }
        }
    }

    /// Counts error codes returned by a record (WGSS `returns:` codes,
    /// and `code` captures of any rule), once per record.
    fn count_codes(&mut self, rec: &Record<'_>, base: &[(usize, Vec<(String, String)>)]) {
        let mut seen: Vec<u32> = Vec::new();
        let from_field = rec.field("return_code").and_then(parse_code);
        let from_caps = base
            .iter()
            .flat_map(|(_, caps)| caps.iter())
            .filter(|(n, _)| n == "code")
            .filter_map(|(_, v)| parse_code(v));
        for code in from_field.into_iter().chain(from_caps) {
            // Only failures: HRESULT-style codes have the top bit set.
            if code & 0x8000_0000 != 0 && !seen.contains(&code) {
                seen.push(code);
                *self.codes.entry(code).or_insert(0) += 1;
            }
        }
    }

    /// The address filters (see `LogScanRequest::client_addresses`):
    /// IIS by the request's client, firewall by either end; and the
    /// firewall port filter.
    fn passes_filters(&self, kind: LogKind, rec: &Record<'_>) -> bool {
        let s = self.settings;
        let port = |name: &str| rec.field(name).and_then(|v| v.parse::<u16>().ok());
        let either_end = |set: &AddressSet| {
            set.is_empty()
                || ["src-ip", "dst-ip"]
                    .iter()
                    .any(|f| rec.field(f).is_some_and(|v| set.contains_text(v)))
        };
        match kind {
            LogKind::Iis => {
                s.client.is_empty() || iis_client(rec).is_some_and(|ip| s.client.contains(ip))
            }
            LogKind::Firewall => {
                either_end(&s.client)
                    && either_end(&s.remote)
                    && s.port
                        .is_none_or(|p| port("src-port") == Some(p) || port("dst-port") == Some(p))
            }
            _ => true,
        }
    }

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

    fn problem(&mut self, path: &str, stats: &mut FileStats, line: u64, problem: &str, text: &str) {
        stats.problems += 1;
        self.problems_total += 1;
        let listed_here = self.problems.iter().filter(|p| p.path == path).count();
        if listed_here < PROBLEMS_PER_FILE && self.problems.len() < PROBLEMS_PER_STREAM {
            self.problems.push(ParseProblem {
                path: path.to_owned(),
                line,
                problem: problem.to_owned(),
                excerpt: clean(text, PROBLEM_CHARS),
            });
        }
    }
}

/// A piece of a file, ready to scan.
#[derive(Debug)]
struct Piece {
    buf: Vec<u8>,
    len: usize,
    /// Line number of the piece's first line.
    first_line: u64,
    /// `true`: the first `max_line_bytes` of a line without end in
    /// sight (the chunker skips the rest).
    long_line: bool,
    /// Newlines before each [`BLOCK`] of the piece, and the total last.
    blocks: Vec<u64>,
}

/// Reads an input in chunks and cuts it into pieces of complete records,
/// carrying the rest into the next buffer. The same code runs inline or
/// on the reader thread.
#[derive(Debug)]
struct Chunker {
    max_line: usize,
    chunk: usize,
    carry_max: usize,
    framing: Framing,
    cap: usize,
    cur: Vec<u8>,
    filled: usize,
    /// Lines completed so far.
    line: u64,
    skipping: bool,
    done: bool,
    notes: Vec<String>,
}

impl Chunker {
    /// A chunker for an input of about `size` bytes (decoding may triple
    /// it); small inputs get small buffers.
    fn new(settings: &Settings, framing: Framing, size: u64) -> Chunker {
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
    fn next(
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
fn block_counts(region: &[u8]) -> Vec<u64> {
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
fn newlines_before(region: &[u8], blocks: &[u64], at: usize) -> u64 {
    let b = at / BLOCK;
    blocks[b] + count_newlines(&region[b * BLOCK..at])
}

/// The client of an IIS request: the first address of `X-Forwarded-For`
/// (`cs(X-Forwarded-For)`, or `X-Forwarded-For` as IIS custom logging
/// names it) when the record has one, so that a load balancer in front of
/// NES does not hide the terminals; otherwise `c-ip`.
fn iis_client(rec: &Record<'_>) -> Option<IpAddr> {
    let forwarded = rec
        .fields
        .iter()
        .find(|(n, _)| {
            n.eq_ignore_ascii_case("cs(X-Forwarded-For)")
                || n.eq_ignore_ascii_case("X-Forwarded-For")
        })
        .and_then(|(_, v)| first_forwarded(v));
    forwarded.or_else(|| rec.field("c-ip").and_then(parse_address))
}

/// The first address of an `X-Forwarded-For` value (`a, b, c`), with an
/// optional port (`10.0.0.1:5123`, `[2001:db8::1]:443`).
fn first_forwarded(value: &str) -> Option<IpAddr> {
    let first = value.split(',').next()?.trim().trim_matches('"');
    if let Some(ip) = parse_address(first) {
        return Some(ip);
    }
    let host = match first.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => first.rsplit_once(':').map(|(h, _)| h)?,
    };
    parse_address(host)
}

/// The value a sequence key has in a record: a capture, else a field,
/// else (a line without a thread, say) the record's file, so that the
/// whole file is one key.
fn key_value(name: &str, caps: &[(String, String)], rec: &Record<'_>, file_no: u32) -> String {
    caps.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .or_else(|| rec.field(name).map(str::to_owned))
        .unwrap_or_else(|| format!("\u{0}file {file_no}"))
}

/// A captured hex code in lower case (`0X8101201C` → `0x8101201c`), as
/// codes are compared and reported; other values unchanged.
fn lower_hex(value: String) -> String {
    let b = value.as_bytes();
    let hex = b.len() > 2
        && b[0] == b'0'
        && matches!(b[1], b'x' | b'X')
        && b[2..].iter().all(u8::is_ascii_hexdigit);
    if hex {
        value.to_ascii_lowercase()
    } else {
        value
    }
}

/// Where the lines longer than `max_line` (line end excluded) start in
/// `region`; `blocks` are its newline counts per [`BLOCK`].
fn long_lines(region: &[u8], blocks: &[u64], max_line: usize) -> Vec<usize> {
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

/// An excerpt of a record with up to `context` lines before it.
fn excerpt(path: &Arc<str>, line: u64, text: &str, before: &[u8], context: usize) -> Excerpt {
    let lines: Vec<Cow<'_, str>> = last_lines(before, context)
        .into_iter()
        .map(|l| decode_line(trim_eol(l), false).0)
        .collect();
    let lines: Vec<&str> = lines.iter().map(|l| l.trim_end_matches('\r')).collect();
    let (before, text) = clean_excerpt(&lines, text);
    Excerpt {
        path: path.to_string(),
        line,
        before,
        text,
    }
}

/// The last `n` lines of `bytes`, oldest first.
fn last_lines(bytes: &[u8], n: usize) -> Vec<&[u8]> {
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
fn trim_eol(raw: &[u8]) -> &[u8] {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    raw.strip_suffix(b"\r").unwrap_or(raw)
}

fn count_newlines(bytes: &[u8]) -> u64 {
    memchr_iter(b'\n', bytes).count() as u64
}

/// Start of the line holding `pos`, not before `floor`.
fn line_start(region: &[u8], pos: usize, floor: usize) -> usize {
    memrchr(b'\n', &region[floor..pos]).map_or(floor, |i| floor + i + 1)
}

/// End of the line holding `pos` (after its newline).
fn line_end(region: &[u8], pos: usize) -> usize {
    memchr(b'\n', &region[pos..]).map_or(region.len(), |i| pos + i + 1)
}

/// Extends a headed record over its continuation lines.
fn extend_continuation(region: &[u8], start: usize, mut end: usize) -> usize {
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
fn record_forward(region: &[u8], pos: usize, framing: Framing) -> (usize, usize) {
    let end = line_end(region, pos);
    if framing == Framing::Headed && wgss::is_header(&region[pos..]) {
        (pos, extend_continuation(region, pos, end))
    } else {
        (pos, end)
    }
}

/// The record holding the match at `at` (prefilter mode), not starting
/// before `floor`.
fn record_around(region: &[u8], at: usize, floor: usize, framing: Framing) -> (usize, usize) {
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

/// Where the complete records of a chunk end: after the last newline, or
/// for headed records before the last record header (its continuation
/// lines may be in the next chunk). 0 when the chunk holds no complete
/// line.
fn cut_point(data: &[u8], framing: Framing, carry_max: usize) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::rules;

    const CHAIN: &str = "\
704:(22/03/17 06:13:14.149):CHttpClient.cpp :0402: -> CHttpClient::GetHttpStatus
704:(22/03/17 06:13:14.149):NesClient.cpp :0114: Error from token request--code: 0 - message: 'The operation is complete
'
704:(22/03/17 06:13:14.150):Listener.cpp :0411: Unable to get token with USER creds
704:(22/03/17 06:13:14.162):WearableExtension.cpp :0440: Ext::GetListOfVisibleDevices returns: 0x8101201c
704:(22/03/17 06:13:14.162):WearableExtension.cpp :0441: 0 visible devices
704:(22/03/17 06:13:14.163):WearableExtension.cpp :0495: <- CWearableExtension::ValidateProvisions returned: 0x81010009
704:(22/03/17 06:13:14.163):WearableContext.cpp :0460: <- CWearableContext::ConnectUserWearableDevice returned: 0x81010009
";

    fn scan_text(text: &str, kind: LogKind, settings: &Settings) -> (Engine<'static>, FileScan) {
        let set: &'static RuleSet = Box::leak(Box::new(rules::load(true, &[]).unwrap()));
        let settings: &'static Settings = Box::leak(Box::new(settings.clone()));
        let matchers: &'static Matchers = Box::leak(Box::default());
        let mut engine = Engine::new(set, settings, matchers, Vec::new());
        let rules = set.applicable(kind, "x.log");
        let matcher = Arc::new(set.matcher(rules));
        let parse = ParseSettings {
            offset: UtcOffset::UTC,
            date_order: DateOrder::YyMmDd,
        };
        let mut fs = FileScan::new(Arc::from("x.log"), kind, Parser::new(kind, parse), matcher);
        fs.framing = Framing::of(kind, text);
        engine
            .run(&mut fs, &mut SliceInput::new(text.as_bytes()))
            .unwrap();
        engine.finish();
        (engine, fs)
    }

    fn count(engine: &Engine<'_>, id: &str) -> u64 {
        let i = engine.set.rules.iter().position(|r| r.id == id).unwrap();
        engine.acc[i].count
    }

    #[test]
    fn the_documented_chain_fires_the_sequence_rule() {
        let (engine, fs) = scan_text(CHAIN, LogKind::Wgss, &Settings::unfiltered(1 << 20));
        assert_eq!(fs.stats.lines, 8);
        assert_eq!(count(&engine, "LOG_TOKEN_REQUEST_FAILED"), 1);
        assert_eq!(count(&engine, "LOG_CERT_CHAIN_NOT_TRUSTED"), 1);
        assert_eq!(count(&engine, "LOG_OBJECT_NOT_FOUND"), 2);
        assert_eq!(count(&engine, "LOG_NEA_CERTS_NOT_RETRIEVED"), 2);
        assert_eq!(count(&engine, "LOG_NO_VISIBLE_DEVICES"), 0);
        assert_eq!(engine.codes.get(&0x8101_201c), Some(&1));
        assert_eq!(engine.codes.get(&0x8101_0009), Some(&2));
    }

    #[test]
    fn records_split_across_tiny_chunks_are_kept_whole() {
        for (chunk, pipeline) in [(64, true), (100, false), (257, true), (257, false)] {
            let settings = Settings {
                chunk,
                carry_max: 4096,
                pipeline,
                ..Settings::unfiltered(1024)
            };
            let (engine, fs) = scan_text(&CHAIN.repeat(20), LogKind::Wgss, &settings);
            assert_eq!(fs.stats.lines, 160, "chunk {chunk}");
            assert_eq!(
                count(&engine, "LOG_NEA_CERTS_NOT_RETRIEVED"),
                40,
                "chunk {chunk}"
            );
            let i = engine
                .set
                .rules
                .iter()
                .position(|r| r.id == "LOG_TOKEN_REQUEST_FAILED")
                .unwrap();
            let hit = engine.acc[i].clone().into_hit(i, engine.set);
            assert_eq!(
                hit.fields["token_error_message"][0].value, "The operation is complete",
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn line_numbers_and_excerpts_point_at_the_record() {
        let text = format!("noise\r\n{}", CHAIN.replace('\n', "\r\n"));
        for pipeline in [false, true] {
            let settings = Settings {
                chunk: 128,
                pipeline,
                ..Settings::unfiltered(1 << 20)
            };
            let (engine, fs) = scan_text(&text, LogKind::Wgss, &settings);
            assert_eq!(fs.stats.lines, 9);
            let i = engine
                .set
                .rules
                .iter()
                .position(|r| r.id == "LOG_OBJECT_NOT_FOUND")
                .unwrap();
            let hit = engine.acc[i].clone().into_hit(i, engine.set);
            assert_eq!(hit.locations[0].line, 8, "pipeline {pipeline}");
            assert_eq!(hit.locations[1].line, 9, "pipeline {pipeline}");
        }
        let (engine, _) = scan_text(&text, LogKind::Wgss, &Settings::unfiltered(1 << 20));
        let i = engine
            .set
            .rules
            .iter()
            .position(|r| r.id == "LOG_OBJECT_NOT_FOUND")
            .unwrap();
        let hit = engine.acc[i].clone().into_hit(i, engine.set);
        assert_eq!(hit.locations[0].line, 8);
        assert_eq!(hit.locations[1].line, 9);
        assert!(hit.excerpts[0].text.ends_with("returned: 0x81010009"));
        assert_eq!(hit.excerpts[0].before.len(), 5);
        assert!(hit.excerpts[0].before[4].ends_with("0 visible devices"));
        assert_eq!(hit.preceded_by["LOG_CERT_CHAIN_NOT_TRUSTED"], 2);
    }

    #[test]
    fn other_threads_and_old_markers_do_not_count() {
        let text = "\
705:(22/03/17 06:13:14.162):WearableExtension.cpp :0440: Ext::GetListOfVisibleDevices returns: 0x8101201c
704:(22/03/17 06:13:14.163):WearableContext.cpp :0460: <- CWearableContext::ConnectUserWearableDevice returned: 0x81010009
705:(22/03/17 06:14:14.163):WearableContext.cpp :0460: <- CWearableContext::ConnectUserWearableDevice returned: 0x81010009
";
        let (engine, _) = scan_text(text, LogKind::Wgss, &Settings::unfiltered(1 << 20));
        assert_eq!(count(&engine, "LOG_OBJECT_NOT_FOUND"), 2);
        assert_eq!(count(&engine, "LOG_NEA_CERTS_NOT_RETRIEVED"), 0);
    }

    #[test]
    fn long_lines_are_capped_and_skipped() {
        let mut text = String::from("start 0x8101201c\n");
        text.push_str(&"x".repeat(10_000));
        text.push_str(" 0x8101201c tail\nafter 0x8101201c\n");
        let settings = Settings {
            chunk: 512,
            carry_max: 512,
            ..Settings::unfiltered(1000)
        };
        let (engine, fs) = scan_text(&text, LogKind::Text, &settings);
        assert_eq!(fs.stats.long_lines, 1);
        assert_eq!(fs.stats.lines, 3);
        // The literal past the cap in the long line is not seen.
        assert_eq!(count(&engine, "LOG_CERT_CHAIN_NOT_TRUSTED"), 2);
    }

    #[test]
    fn long_lines_are_found_in_every_mode_and_reported() {
        // (cap, line lengths): short caps measure every line, caps of two
        // blocks or more only the lines around blocks without a newline.
        let cases: [(usize, &[usize]); 4] = [
            (300, &[10, 301, 300, 5000, 20, 700, 900]),
            (2 * BLOCK, &[10, 2 * BLOCK + 1, 2 * BLOCK, 3 * BLOCK, 5]),
            (2 * BLOCK + 7, &[4 * BLOCK + 9, 1, 7 * BLOCK, 2 * BLOCK + 7]),
            (3 * BLOCK, &[3 * BLOCK - 1, 3 * BLOCK + 1, 10 * BLOCK]),
        ];
        for (cap, lengths) in cases {
            let mut text = String::new();
            for &n in lengths {
                // The code sits in the first 40 bytes: inside the cap.
                let line = format!("code 0x81010009 {}", "x".repeat(n.saturating_sub(16)));
                text.push_str(&line[..n.max(16)]);
                text.push('\n');
            }
            let long: Vec<u64> = lengths
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > cap)
                .map(|(i, _)| i as u64 + 1)
                .collect();
            for kind in [LogKind::Text, LogKind::Wgss, LogKind::Iis] {
                let settings = Settings::unfiltered(cap);
                let (engine, fs) = scan_text(&text, kind, &settings);
                let what = format!("cap {cap} {kind:?}");
                assert_eq!(fs.full, kind == LogKind::Iis, "{what}");
                assert_eq!(fs.stats.long_lines, long.len() as u64, "{what}");
                if kind == LogKind::Iis {
                    // Its own parse problems crowd the list: counts only.
                    continue;
                }
                let listed: Vec<u64> = engine
                    .problems
                    .iter()
                    .filter(|p| p.problem.starts_with("line longer than max_line_bytes"))
                    .map(|p| p.line)
                    .collect();
                let first: Vec<u64> = long.iter().copied().take(3).collect();
                assert_eq!(listed, first, "{what}");
                if let Some(p) = engine
                    .problems
                    .iter()
                    .find(|p| p.problem.starts_with("line longer"))
                {
                    assert_eq!(
                        p.problem,
                        format!(
                            "line longer than max_line_bytes ({cap} bytes): only the first \
                             {cap} bytes were scanned"
                        ),
                        "{what}"
                    );
                    assert!(p.excerpt.starts_with("code 0x81010009"), "{what}");
                }
                {
                    // Every line's capped part is scanned.
                    assert_eq!(
                        count(&engine, "LOG_OBJECT_NOT_FOUND"),
                        lengths.len() as u64,
                        "{what}"
                    );
                }
                assert_eq!(
                    fs.notes
                        .iter()
                        .any(|n| n.contains("longer than max_line_bytes")),
                    !long.is_empty(),
                    "{what}"
                );
            }
        }
    }

    #[test]
    fn the_long_line_warning_names_lines_and_files() {
        let file = |long_lines| FileCoverage {
            path: "a".into(),
            kind: LogKind::Text,
            kind_source: KindSource::Content,
            encoding: crate::logs::encoding::TextEncoding::Utf8,
            bytes: 0,
            lines: 0,
            first_time: None,
            last_time: None,
            time_basis: crate::logs::format::TimeBasis::None,
            date_order: None,
            mode: ScanMode::Prefilter,
            records_examined: 0,
            records_outside_window: 0,
            records_filtered: 0,
            long_lines,
            lines_with_nul: 0,
            lines_windows_1252: 0,
            parse_problems: 0,
            rotation_family: None,
            notes: Vec::new(),
        };
        assert_eq!(long_line_warning(&[file(0), file(0)], 256), None);
        let w = long_line_warning(&[file(2), file(0), file(5)], 256).unwrap();
        assert!(
            w.starts_with("7 line(s) in 2 file(s) were longer than max_line_bytes (256 bytes)"),
            "{w}"
        );
    }

    #[test]
    fn a_line_without_end_is_bounded() {
        let text = "y".repeat(50_000);
        let settings = Settings {
            chunk: 1024,
            carry_max: 512,
            ..Settings::unfiltered(2048)
        };
        let (_, fs) = scan_text(&text, LogKind::Text, &settings);
        assert_eq!((fs.stats.lines, fs.stats.long_lines), (1, 1));
    }

    #[test]
    fn line_numbers_from_block_counts() {
        let region: Vec<u8> = (0..100_000u32)
            .flat_map(|i| {
                if i % 7 == 0 {
                    b"\n".to_vec()
                } else {
                    b"x".to_vec()
                }
            })
            .collect();
        let blocks = block_counts(&region);
        for at in [
            0,
            1,
            BLOCK - 1,
            BLOCK,
            BLOCK + 3,
            3 * BLOCK + 17,
            region.len() - 1,
        ] {
            assert_eq!(
                newlines_before(&region, &blocks, at),
                count_newlines(&region[..at]),
                "{at}"
            );
        }
        assert_eq!(*blocks.last().unwrap(), count_newlines(&region));
    }

    /// Truncates the file it reads after the first read.
    struct Shrinking(crate::logs::source::FileInput, Option<std::fs::File>);

    impl TextInput for Shrinking {
        fn read_text(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.read_text(buf)?;
            if let Some(f) = self.1.take() {
                f.set_len(1000).unwrap();
            }
            Ok(n)
        }
        fn bytes_read(&self) -> u64 {
            self.0.bytes_read()
        }
        fn size_hint(&self) -> u64 {
            self.0.size_hint()
        }
        fn shrank(&self) -> bool {
            self.0.shrank()
        }
    }

    #[test]
    fn a_file_truncated_during_the_scan_ends_cleanly() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        use std::io::Write;
        f.write_all(CHAIN.repeat(200).as_bytes()).unwrap();
        f.flush().unwrap();
        let opened = crate::logs::source::OpenedFile::open(f.path()).unwrap();
        let input = opened.into_input().unwrap();
        let writer = std::fs::File::options().write(true).open(f.path()).unwrap();
        let mut shrinking = Shrinking(input, Some(writer));
        let set: &'static RuleSet = Box::leak(Box::new(rules::load(true, &[]).unwrap()));
        let settings: &'static Settings = Box::leak(Box::new(Settings {
            chunk: 512,
            carry_max: 4096,
            ..Settings::unfiltered(4096)
        }));
        let matchers = Matchers::default();
        let mut engine = Engine::new(set, settings, &matchers, Vec::new());
        let matcher = Arc::new(set.matcher(set.applicable(LogKind::Wgss, "x")));
        let parse = ParseSettings {
            offset: UtcOffset::UTC,
            date_order: DateOrder::YyMmDd,
        };
        let mut fs = FileScan::new(
            Arc::from("x"),
            LogKind::Wgss,
            Parser::new(LogKind::Wgss, parse),
            matcher,
        );
        fs.framing = Framing::Headed;
        engine.run(&mut fs, &mut shrinking).unwrap();
        assert!(shrinking.shrank());
        assert_eq!(shrinking.bytes_read(), 1000);
        assert!(fs.stats.lines < 20, "{}", fs.stats.lines);
    }

    #[test]
    fn cut_points_keep_wgss_records_whole() {
        let data = b"1:(22/03/17 06:13:14.149):a.cpp :0001: x\ncont\n2:(22/03/17 06:13:14.149):a.cpp :0001: y\ncont2\n";
        let cut = cut_point(data, Framing::Headed, 1 << 20);
        assert_eq!(&data[cut..cut + 2], b"2:");
        assert_eq!(cut_point(data, Framing::Lines, 1 << 20), data.len());
        assert_eq!(cut_point(b"no newline", Framing::Lines, 10), 0);
    }
}
