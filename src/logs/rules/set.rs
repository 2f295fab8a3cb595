//! Compiled rules: regexes built, literals numbered, sequence references
//! resolved to indexes.

use std::collections::BTreeMap;

use globset::GlobSet;
use regex::Regex;

use crate::logs::model::clean::clean_value;
use crate::logs::model::{LogKind, PackSummary, RuleInfo, RuleSamples, SequenceInfo};
use crate::report::Severity;

/// One literal of the prefilter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Literal {
    pub(crate) text: String,
    pub(crate) case_insensitive: bool,
}

/// A field condition: any of `names` must match `regex`.
#[derive(Clone, Debug)]
pub(crate) struct FieldCondition {
    pub(crate) names: Vec<String>,
    pub(crate) regex: Regex,
}

/// A built-in normaliser of captured values (`normalize` in a pack).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Normalizer {
    /// An NES URL candidate, through the probe's URL normaliser.
    NesUrl,
}

impl Normalizer {
    pub(super) fn from_name(name: &str) -> Option<Normalizer> {
        match name {
            "nes_url" => Some(Normalizer::NesUrl),
            _ => None,
        }
    }

    /// The name used in packs and listings.
    fn name(self) -> &'static str {
        match self {
            Normalizer::NesUrl => "nes_url",
        }
    }

    /// The kept value, or the rejected value shown with its reason.
    fn apply(self, raw: &str) -> Result<String, String> {
        match self {
            Normalizer::NesUrl => crate::probe::url::normalize_nes_candidate(raw)
                .map(|n| n.url)
                .map_err(|r| format!("{} ({})", r.shown, r.rejection.code())),
        }
    }
}

/// A compiled sequence condition; rule references are indexes.
#[derive(Clone, Debug)]
pub(crate) struct Sequence {
    pub(crate) key: Option<u16>,
    pub(crate) window_ms: i64,
    pub(crate) requires_before: Vec<usize>,
    pub(crate) forbids_before: Vec<usize>,
    pub(crate) forbids_after: Vec<usize>,
    pub(crate) notes_before: Vec<usize>,
    pub(crate) min_repeats: u32,
    pub(super) info: SequenceInfo,
}

/// Samples a rule carries.
#[derive(Clone, Debug, Default)]
pub(crate) struct Samples {
    pub(crate) kind: Option<LogKind>,
    pub(crate) positive: Vec<String>,
    pub(crate) negative: Vec<String>,
    /// Where the samples table is (for error messages).
    pub(crate) at: String,
}

/// A compiled rule.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) severity: Severity,
    pub(crate) pack: usize,
    pub(crate) kinds: Vec<LogKind>,
    pub(crate) file_globs: Vec<String>,
    pub(crate) files: Option<GlobSet>,
    pub(crate) literals: Vec<usize>,
    pub(crate) case_insensitive: bool,
    pub(crate) slow: bool,
    pub(crate) regex: Option<Regex>,
    pub(crate) fields: Vec<FieldCondition>,
    pub(super) field_sources: BTreeMap<String, String>,
    pub(crate) keep_fields: Vec<String>,
    /// Captures passed through a normaliser.
    pub(crate) normalize: Vec<(String, Normalizer)>,
    pub(crate) context_lines: usize,
    pub(crate) report: bool,
    pub(crate) explanation: String,
    pub(crate) remediation: String,
    pub(crate) refs: Vec<String>,
    pub(crate) sequence: Option<Sequence>,
    pub(crate) samples: Samples,
}

impl Rule {
    /// The kind its samples are read as.
    pub(crate) fn sample_kind(&self) -> LogKind {
        self.samples
            .kind
            .or_else(|| self.kinds.first().copied())
            .unwrap_or(LogKind::Text)
    }

    /// A captured value as counted: cleaned, then through the capture's
    /// normaliser if it has one; a rejected value becomes the field
    /// `<name>_rejected`. `None` for an empty value.
    pub(crate) fn capture(&self, name: &str, raw: &str) -> Option<(String, String)> {
        let normalizer = self
            .normalize
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| *f);
        let (name, value) = match normalizer.map(|f| f.apply(raw.trim())) {
            None => (name.to_owned(), raw.to_owned()),
            Some(Ok(kept)) => (name.to_owned(), kept),
            Some(Err(shown)) => (format!("{name}_rejected"), shown),
        };
        let value = clean_value(&value);
        (!value.is_empty()).then_some((name, value))
    }

    /// Whether the rule applies to a file of `kind` named `file_name`.
    pub(crate) fn applies(&self, kind: LogKind, file_name: &str) -> bool {
        if self.kinds.is_empty() && self.files.is_none() {
            return true;
        }
        self.kinds.contains(&kind) || self.files.as_ref().is_some_and(|g| g.is_match(file_name))
    }
}

/// All loaded rules, ready to scan with.
#[derive(Clone, Debug)]
pub(crate) struct RuleSet {
    pub(crate) rules: Vec<Rule>,
    pub(crate) literals: Vec<Literal>,
    pub(crate) packs: Vec<PackSummary>,
    pub(crate) key_names: Vec<String>,
    /// Per rule: the sequence keys under which its matches are remembered
    /// (empty when no other rule refers to it).
    pub(crate) marker_keys: Vec<Vec<Option<u16>>>,
    /// Per rule: whether another rule's `forbids_after` names it.
    pub(crate) cancels: Vec<bool>,
    /// Per rule: whether another rule's `notes_before` names it (its
    /// captures are then remembered).
    pub(crate) noted: Vec<bool>,
    /// Per pack: the request field that named it (`default_rules`,
    /// `rule_paths[0]`), for errors found after compiling.
    pub(crate) pack_fields: Vec<String>,
}

impl RuleSet {
    /// Indexes of the rules that apply to a file.
    pub(crate) fn applicable(&self, kind: LogKind, file_name: &str) -> Vec<usize> {
        (0..self.rules.len())
            .filter(|&i| self.rules[i].applies(kind, file_name))
            .collect()
    }

    /// The rules as listed.
    pub(crate) fn infos(&self) -> Vec<RuleInfo> {
        self.rules
            .iter()
            .map(|r| RuleInfo {
                id: r.id.clone(),
                title: r.title.clone(),
                severity: r.severity,
                pack: self.packs[r.pack].name.clone(),
                kinds: r.kinds.clone(),
                files: r.file_globs.clone(),
                literals: r
                    .literals
                    .iter()
                    .map(|&l| self.literals[l].text.clone())
                    .collect(),
                case_insensitive: r.case_insensitive,
                slow: r.slow,
                regex: r.regex.as_ref().map(|re| re.as_str().to_owned()),
                fields: r.field_sources.clone(),
                keep_fields: r.keep_fields.clone(),
                normalize: r
                    .normalize
                    .iter()
                    .map(|(n, f)| (n.clone(), f.name().to_owned()))
                    .collect(),
                context_lines: u32::try_from(r.context_lines).unwrap_or(0),
                sequence: r.sequence.as_ref().map(|s| s.info.clone()),
                reported: r.report,
                explanation: r.explanation.clone(),
                remediation: r.remediation.clone(),
                refs: r.refs.clone(),
                samples: RuleSamples {
                    kind: r.sample_kind(),
                    positive: r.samples.positive.clone(),
                    negative: r.samples.negative.clone(),
                },
            })
            .collect()
    }
}
