//! Reading the log files, several at a time, with the log scanner's
//! reader (shared opening, encoding detection and decoding, large reads
//! cut at line ends into reused buffers), and tallying each record.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use memchr::memchr;

use super::columns::{Columns, MAX_COLUMNS, QUESTIONS, Role, day_ms, digits, split, time_ms};
use super::model::NesLogFile;
use super::request::Checked;
use super::tally::{Event, Tally, first_forwarded};
use crate::logs::engine::{Chunker, Framing, Settings};
use crate::logs::input::detect::detect;
use crate::logs::input::encoding::decode_sample;
use crate::logs::input::source::{OpenedFile, TextInput, describe_io_error};
use crate::logs::model::clean::utc;
use crate::logs::model::{LogKind, NotScanned};
use crate::report::safe_text;

/// Longest line kept; longer lines are counted and skipped.
const MAX_LINE: usize = 1 << 20;
/// Unreadable lines of a file described in its notes.
const NOTED_LINES: u64 = 3;

/// What the threads read.
#[derive(Debug)]
pub(super) struct ReadAll {
    pub(super) tally: Tally,
    pub(super) files: Vec<NesLogFile>,
    pub(super) not_read: Vec<NotScanned>,
    /// Records counted without each of [`QUESTIONS`].
    pub(super) missing: [u64; QUESTIONS.len()],
}

/// Reads `files`, as many at a time as there are cores.
pub(super) fn read_all(files: &[PathBuf], ctx: &Checked) -> ReadAll {
    // Largest first, so that the last file started is a small one.
    let mut order: Vec<(u64, &PathBuf)> = files
        .iter()
        .map(|p| (std::fs::metadata(p).map_or(0, |m| m.len()), p))
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(order.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let max = ctx.max_clients as usize;
    let parts: Vec<ReadAll> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = ReadAll {
                        tally: Tally::new(max),
                        files: Vec::new(),
                        not_read: Vec::new(),
                        missing: [0; QUESTIONS.len()],
                    };
                    let mut pool = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((_, path)) = order.get(i) else { break };
                        match read_file(path, ctx, &mut out, &mut pool) {
                            Ok(file) => out.files.push(file),
                            Err(n) => out.not_read.push(n),
                        }
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut all = ReadAll {
        tally: Tally::new(max),
        files: Vec::new(),
        not_read: Vec::new(),
        missing: [0; QUESTIONS.len()],
    };
    for p in parts {
        all.tally.merge(p.tally);
        all.files.extend(p.files);
        all.not_read.extend(p.not_read);
        for (a, b) in all.missing.iter_mut().zip(p.missing) {
            *a += b;
        }
    }
    all.files.sort_by(|a, b| a.path.cmp(&b.path));
    all.not_read.sort_by(|a, b| a.path.cmp(&b.path));
    all
}

fn not_read(path: &Path, reason: &str, detail: String) -> NotScanned {
    NotScanned {
        path: path.display().to_string(),
        reason: reason.to_owned(),
        detail,
    }
}

/// Reads one file into `out.tally`.
fn read_file(
    path: &Path,
    ctx: &Checked,
    out: &mut ReadAll,
    pool: &mut Vec<Vec<u8>>,
) -> Result<NesLogFile, NotScanned> {
    let opened = OpenedFile::open(path).map_err(|e| {
        let (reason, detail) = if e.kind() == std::io::ErrorKind::InvalidInput {
            ("not_a_file", e.to_string())
        } else {
            let (r, d) = describe_io_error(&e);
            (r, d)
        };
        not_read(path, reason, detail)
    })?;
    if let Some(why) = &opened.sniff.binary {
        return Err(not_read(path, "binary", format!("not a text log: {why}")));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let sample = decode_sample(&opened.sample, &opened.sniff);
    let httperr_name = name.starts_with("httperr");
    let header = sample
        .lines()
        .find_map(|l| Columns::from_directive(l.trim_start_matches('\u{feff}')));
    let httperr = httperr_name || header.as_ref().is_some_and(|c| c.httperr);
    if !httperr && detect(&sample, &name).0 != LogKind::Iis {
        return Err(not_read(
            path,
            "not_iis",
            "neither an IIS W3C log nor an HTTP.sys error log".to_owned(),
        ));
    }
    let modified = opened.modified.and_then(|m| {
        let d = m.duration_since(std::time::UNIX_EPOCH).ok()?;
        i64::try_from(d.as_millis()).ok()
    });
    if let Some(m) = modified
        && m < ctx.since_ms
    {
        return Err(not_read(
            path,
            "older_than_window",
            "last written before the window starts".to_owned(),
        ));
    }
    let encoding = opened.sniff.encoding;
    let mut input = opened.into_input().map_err(|e| {
        let (r, d) = describe_io_error(&e);
        not_read(path, r, d)
    })?;
    let mut file = FileRead::new(httperr);
    let settings = Settings::unfiltered(MAX_LINE);
    let mut chunker = Chunker::new(&settings, Framing::Lines, input.size_hint());
    let cap = chunker.cap;
    loop {
        let piece = chunker.next(&mut input, &mut || {
            let mut b = pool.pop().unwrap_or_default();
            b.resize(cap, 0);
            b
        });
        match piece {
            Ok(Some(p)) => {
                if p.long_line {
                    file.long_lines += 1;
                    file.line_no += 1;
                } else {
                    file.region(&p.buf[..p.len], ctx, out);
                }
                pool.push(p.buf);
            }
            Ok(None) => break,
            Err(e) => {
                file.notes.push(format!(
                    "reading stopped early ({}); lines after {} were not read",
                    describe_io_error(&e).1,
                    chunker.line
                ));
                break;
            }
        }
    }
    // The chunker's own buffer serves the next file: a fresh one per file
    // would be zeroed and faulted in again.
    pool.push(std::mem::take(&mut chunker.cur));
    pool.truncate(2);
    let mut notes = std::mem::take(&mut file.notes);
    notes.extend(chunker.notes);
    if file.long_lines > 0 {
        notes.push(format!(
            "{} line(s) longer than {MAX_LINE} bytes were skipped",
            file.long_lines
        ));
    }
    if input.shrank() {
        notes.push("the file became shorter while it was read; read up to its new end".into());
    }
    Ok(NesLogFile {
        path: path.display().to_string(),
        format: if httperr { "httperr" } else { "iis" }.to_owned(),
        encoding,
        bytes: input.bytes_read(),
        lines: chunker.line,
        records_counted: file.counted,
        records_outside_window: file.outside,
        records_filtered: file.filtered,
        records_unreadable: file.unreadable,
        first_time: file.first.and_then(utc),
        last_time: file.last.and_then(utc),
        notes,
    })
}

/// The state of one file being read.
struct FileRead {
    layouts: Layouts,
    day: Option<([u8; 10], i64)>,
    line_no: u64,
    counted: u64,
    outside: u64,
    filtered: u64,
    unreadable: u64,
    long_lines: u64,
    first: Option<i64>,
    last: Option<i64>,
    notes: Vec<String>,
}

impl FileRead {
    fn new(httperr: bool) -> FileRead {
        FileRead {
            layouts: Layouts {
                httperr,
                header: None,
                defaults: Vec::new(),
            },
            day: None,
            line_no: 0,
            counted: 0,
            outside: 0,
            filtered: 0,
            unreadable: 0,
            long_lines: 0,
            first: None,
            last: None,
            notes: Vec::new(),
        }
    }

    /// Reads the complete lines of one piece.
    fn region(&mut self, region: &[u8], ctx: &Checked, out: &mut ReadAll) {
        let mut bounds = [(0u32, 0u32); MAX_COLUMNS];
        let mut pos = 0;
        while pos < region.len() {
            let end = memchr(b'\n', &region[pos..]).map_or(region.len(), |i| pos + i);
            let mut line = &region[pos..end];
            pos = end + 1;
            self.line_no += 1;
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            if line.is_empty() {
                continue;
            }
            if line[0] == b'#' {
                self.directive(line);
                continue;
            }
            if let Err(why) = self.record(line, &mut bounds, ctx, out) {
                self.unreadable += 1;
                if self.unreadable <= NOTED_LINES {
                    let shown = safe_text(&String::from_utf8_lossy(line), 120);
                    self.notes
                        .push(format!("line {}: {why}: `{shown}`", self.line_no));
                }
            }
        }
    }

    fn directive(&mut self, line: &[u8]) {
        if line.starts_with(b"#Fields:") {
            let text = String::from_utf8_lossy(line);
            self.layouts.header = Columns::from_directive(&text);
        }
    }

    /// Tallies one record line; `Err` says why it cannot be read.
    fn record(
        &mut self,
        line: &[u8],
        bounds: &mut [(u32, u32); MAX_COLUMNS],
        ctx: &Checked,
        out: &mut ReadAll,
    ) -> Result<(), String> {
        let count = split(line, bounds);
        let header_len = self.layouts.header.as_ref().map(Columns::len);
        let mut day = self.day;
        let Some(cols) = self.layouts.get(count) else {
            return Err(match header_len {
                Some(h) => format!(
                    "{count} columns match neither the #Fields header ({h}) nor a default field set"
                ),
                None => format!("{count} columns, no #Fields header, no default field set"),
            });
        };
        let bounds: &[(u32, u32); MAX_COLUMNS] = bounds;
        let get = |role: Role| cols.get(role, line, bounds);
        let (Some(date), Some(time)) = (get(Role::Date), get(Role::Time)) else {
            if cols.has(Role::Date) {
                return Err("no date or time".to_owned());
            }
            // The layout has no time at all: the record cannot be placed
            // in the window; counted as a missing field, not a bad line.
            bump(&mut out.missing, Role::Date);
            return Ok(());
        };
        let day_start = match day {
            Some((d, ms)) if <[u8; 10]>::try_from(date).is_ok_and(|x| x == d) => ms,
            _ => {
                let ms = day_ms(date).ok_or("the date is not a valid value")?;
                if let Ok(d) = <[u8; 10]>::try_from(date) {
                    day = Some((d, ms));
                }
                ms
            }
        };
        let at = day_start + time_ms(time).ok_or("the time is not a valid value")?;
        self.first = Some(self.first.map_or(at, |v| v.min(at)));
        self.last = Some(self.last.map_or(at, |v| v.max(at)));
        if at < ctx.since_ms || ctx.until_ms.is_some_and(|u| at > u) {
            self.outside += 1;
            self.day = day;
            return Ok(());
        }
        if let Some(stem) = &ctx.stem {
            let path = get(Role::Stem);
            let passes = path.is_some_and(|p| {
                p.len() >= stem.len() && p[..stem.len()].eq_ignore_ascii_case(stem.as_bytes())
            });
            if !passes {
                if path.is_none() && !cols.has(Role::Stem) {
                    bump(&mut out.missing, Role::Stem);
                }
                self.filtered += 1;
                self.day = day;
                return Ok(());
            }
        }
        let forwarded = get(Role::Forwarded).and_then(first_forwarded);
        let key = forwarded
            .or_else(|| get(Role::ClientIp))
            .ok_or("no client address")?;
        let httperr = cols.httperr;
        // Questions this record cannot answer.
        if cols.missing != 0 {
            for (i, m) in out.missing.iter_mut().enumerate() {
                *m += u64::from(cols.missing >> i & 1);
            }
        }
        let num = |v: Option<&[u8]>| v.and_then(digits);
        let event = Event {
            at,
            forwarded: forwarded.is_some(),
            status: num(get(Role::Status)).and_then(|s| u16::try_from(s).ok()),
            substatus: num(get(Role::Substatus)).and_then(|s| u32::try_from(s).ok()),
            win32: num(get(Role::Win32)),
            user: get(Role::User),
            http_sys: httperr.then(|| get(Role::Reason)),
        };
        out.tally.record(key, &event);
        self.counted += 1;
        self.day = day;
        Ok(())
    }
}

/// The layouts of one file: its current header and the default sets.
struct Layouts {
    httperr: bool,
    header: Option<Columns>,
    /// Default layouts by column count, built once.
    defaults: Vec<(usize, Option<Columns>)>,
}

impl Layouts {
    /// The layout of a line of `count` columns: the header's when it has
    /// as many, else the default set of that many (none: unreadable).
    fn get(&mut self, count: usize) -> Option<&Columns> {
        if self.header.as_ref().is_some_and(|h| h.len() == count) {
            return self.header.as_ref();
        }
        let i = match self.defaults.iter().position(|(n, _)| *n == count) {
            Some(i) => i,
            None => {
                self.defaults
                    .push((count, Columns::default_for(count, self.httperr)));
                self.defaults.len() - 1
            }
        };
        self.defaults[i].1.as_ref()
    }
}

fn bump(missing: &mut [u64; QUESTIONS.len()], role: Role) {
    if let Some(i) = QUESTIONS.iter().position(|q| *q == role) {
        missing[i] += 1;
    }
}
