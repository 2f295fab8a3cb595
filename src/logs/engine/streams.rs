//! Scanning streams of files, in parallel across streams, and the
//! report warnings that concern a whole scan.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::scanner::Engine;
use super::settings::{Settings, past};
use super::tally::RuleAcc;
use crate::logs::input::locations::Stream;
use crate::logs::model::{FileCoverage, NotScanned, ParseProblem};
use crate::logs::rules::{Matcher, RuleSet};

/// `not_scanned` reason of a file the deadline left out.
pub(crate) const DEADLINE_REASON: &str = "deadline";
/// Start of the note on a file whose reading the deadline stopped.
pub(crate) const DEADLINE_CUT_NOTE: &str = "the scan's deadline was reached while reading";
/// Threads used for scanning at most (the machine is shared with the
/// services whose logs are read).
const MAX_WORKERS: usize = 4;
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
pub(super) type Matchers = Mutex<HashMap<Vec<usize>, Arc<Matcher>>>;

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
