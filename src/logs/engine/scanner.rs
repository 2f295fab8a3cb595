//! The scanner of one stream and the state it keeps across files.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::file::FileStats;
use super::sequence::SeqState;
use super::settings::Settings;
use super::streams::Matchers;
use super::tally::{Hit, RuleAcc};
use crate::logs::model::ParseProblem;
use crate::logs::model::clean::clean;
use crate::logs::rules::{Matcher, RuleSet};

/// Parse problem examples kept per file and per stream.
pub(super) const PROBLEMS_PER_FILE: usize = 5;
pub(super) const PROBLEMS_PER_STREAM: usize = 100;
/// Characters of a line shown with a parse problem.
pub(super) const PROBLEM_CHARS: usize = 200;
/// The scanner of one stream.
pub(super) struct Engine<'a> {
    pub(super) set: &'a RuleSet,
    pub(super) settings: &'a Settings,
    /// Buffers kept between files read inline.
    pub(super) pool: Vec<Vec<u8>>,
    /// Literals present in the record being tried (reused).
    pub(super) present: Vec<usize>,
    /// Longest sequence window of any rule, in ms.
    pub(super) max_window: i64,
    pub(super) acc: Vec<RuleAcc>,
    pub(super) seq: SeqState,
    pub(super) codes: BTreeMap<u32, u64>,
    pub(super) problems: Vec<ParseProblem>,
    pub(super) problems_total: u64,
    pub(super) matchers: &'a Matchers,
    /// Files scanned so far in the stream.
    pub(super) files_seen: u32,
}

impl<'a> Engine<'a> {
    pub(super) fn new(
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

    pub(super) fn matcher_for(&self, rules: Vec<usize>) -> Arc<Matcher> {
        let mut cache = self.matchers.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(rules)
            .or_insert_with_key(|rules| Arc::new(self.set.matcher(rules.clone())))
            .clone()
    }

    /// Confirms the hits still waiting at the end of the stream.
    pub(super) fn finish(&mut self) {
        for hit in self.seq.finish() {
            self.record(hit);
        }
    }

    pub(super) fn record(&mut self, hit: Hit) {
        if self.settings.in_window(hit.time, hit.modified) {
            let rule = hit.rule;
            self.acc[rule].add(hit, self.set);
        }
    }

    pub(super) fn problem(
        &mut self,
        path: &str,
        stats: &mut FileStats,
        line: u64,
        problem: &str,
        text: &str,
    ) {
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
