//! The multi-literal prefilter built for the rules that apply to a file.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::set::RuleSet;

/// The prefilter for one set of applicable rules.
#[derive(Debug)]
pub(crate) struct Matcher {
    /// Finds the next candidate in a chunk. Leftmost-first semantics let
    /// aho-corasick use its SIMD (Teddy) prefilter, as ripgrep does.
    pub(crate) search: Option<AhoCorasick>,
    /// Finds every literal of one record, overlapping ones included
    /// (`returns: 0x8` and `0x8101201c` overlap).
    pub(crate) ac: Option<AhoCorasick>,
    /// Automaton pattern index to literal index.
    pub(crate) pattern_literal: Vec<usize>,
    /// Whether the automaton ignores case (then case-sensitive literals
    /// are verified per match).
    pub(crate) ci: bool,
    /// Applicable rules, by index.
    pub(crate) rules: Vec<usize>,
    /// Whether one of them is slow (every record must be tried).
    pub(crate) any_slow: bool,
}

impl RuleSet {
    /// The prefilter for the rules in `rules`.
    pub(crate) fn matcher(&self, rules: Vec<usize>) -> Matcher {
        let mut lits: Vec<usize> = rules
            .iter()
            .flat_map(|&r| self.rules[r].literals.iter().copied())
            .collect();
        lits.sort_unstable();
        lits.dedup();
        let ci = lits.iter().any(|&l| self.literals[l].case_insensitive);
        let build = |kind: MatchKind, automaton: Option<AhoCorasickKind>| {
            if lits.is_empty() {
                return None;
            }
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(ci)
                .match_kind(kind)
                .kind(automaton)
                .build(lits.iter().map(|&l| self.literals[l].text.as_bytes()))
                .ok()
        };
        let search = build(MatchKind::LeftmostFirst, None);
        // Runs on one record at a time: an NFA builds much faster than a
        // DFA and is as quick on short text.
        let ac = build(MatchKind::Standard, Some(AhoCorasickKind::ContiguousNFA));
        let any_slow = rules.iter().any(|&r| self.rules[r].slow);
        Matcher {
            search,
            ac,
            pattern_literal: lits,
            ci,
            rules,
            any_slow,
        }
    }
}
