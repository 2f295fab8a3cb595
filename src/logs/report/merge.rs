//! The streams' outcomes merged into one, in stream order so that the
//! report does not depend on threads, and the coverage they add up to.

use std::collections::{BTreeMap, BTreeSet};

use super::time::{max_time, min_time};
use crate::logs::engine::{RuleAcc, StreamOutcome};
use crate::logs::model::{FileCoverage, NotScanned, ParseProblem, ScanCoverage};
use crate::logs::rules::RuleSet;

/// Everything the streams of one scan found.
#[derive(Debug)]
pub(super) struct Merged {
    pub(super) acc: Vec<RuleAcc>,
    pub(super) files: Vec<FileCoverage>,
    pub(super) not_scanned: Vec<NotScanned>,
    pub(super) problems: Vec<ParseProblem>,
    pub(super) problems_total: u64,
    pub(super) codes: BTreeMap<u32, u64>,
    pub(super) bytes: u64,
    /// Slow rules that applied to a file, by index.
    pub(super) slow: BTreeSet<usize>,
    /// Times the sequence state was cut short.
    pub(super) overflows: u64,
}

/// Merges `outcomes` after the files the selection left out.
pub(super) fn merge(
    set: &RuleSet,
    not_scanned: Vec<NotScanned>,
    outcomes: Vec<StreamOutcome>,
) -> Merged {
    let mut m = Merged {
        acc: vec![RuleAcc::default(); set.rules.len()],
        files: Vec::new(),
        not_scanned,
        problems: Vec::new(),
        problems_total: 0,
        codes: BTreeMap::new(),
        bytes: 0,
        slow: BTreeSet::new(),
        overflows: 0,
    };
    for o in outcomes {
        for (a, b) in m.acc.iter_mut().zip(o.acc) {
            a.merge(b);
        }
        m.files.extend(o.files);
        m.not_scanned.extend(o.not_scanned);
        m.problems.extend(o.problems);
        m.problems_total += o.problems_total;
        for (c, n) in o.codes {
            *m.codes.entry(c).or_insert(0) += n;
        }
        m.bytes += o.bytes;
        m.slow.extend(o.slow_rules);
        m.overflows += o.overflows;
    }
    m
}

/// What was read, over all files.
pub(super) fn coverage(m: &Merged, set: &RuleSet, files_found: u64) -> ScanCoverage {
    let mut coverage = ScanCoverage {
        files_found,
        rules_loaded: set.rules.len() as u64,
        bytes_read: m.bytes,
        ..ScanCoverage::default()
    };
    for f in &m.files {
        coverage.files_read += 1;
        coverage.lines_read += f.lines;
        coverage.records_examined += f.records_examined;
        *coverage
            .encodings
            .entry(f.encoding.as_str().to_owned())
            .or_insert(0) += 1;
        *coverage
            .kinds
            .entry(f.kind.as_str().to_owned())
            .or_insert(0) += 1;
        coverage.first_time = min_time(coverage.first_time, f.first_time);
        coverage.last_time = max_time(coverage.last_time, f.last_time);
    }
    coverage.files_not_scanned = m.not_scanned.iter().filter(|n| !n.path.is_empty()).count() as u64;
    coverage.slow_rules = m.slow.iter().map(|&r| set.rules[r].id.clone()).collect();
    coverage
}
