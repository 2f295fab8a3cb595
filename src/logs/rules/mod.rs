//! Rule packs: what the scanner looks for, as data.
//!
//! A pack is a TOML file with a `[pack]` header and `[[rule]]` tables. The
//! built-in pack (`default.toml` beside this file) ships inside the
//! library; admins add their own with `rule_paths`. Every pack is checked
//! when loaded (ids, literals, regexes, references, and each rule's own
//! positive and negative samples run through the real scanner), and a bad
//! pack fails with its file, line and reason instead of being half used.
//!
//! ```toml
//! [pack]
//! name = "site"
//! version = "1.0.0"
//!
//! [[rule]]
//! id = "SITE_PROXY_DENIED"
//! title = "The proxy refused the NES request"
//! severity = "error"
//! kinds = ["wgss"]
//! literals = ["407 Proxy Authentication Required"]
//! regex = 'status (?P<status>407)'
//! explanation = "WinHTTP went through a proxy that wants credentials."
//! remediation = "Add the NES host to the WinHTTP proxy bypass list."
//! refs = ["domain brief section 6: Proxy"]
//! [rule.samples]
//! positive = ["1:(24/05/02 07:41:08.000):CHttpClient.cpp :0402: status 407 407 Proxy Authentication Required"]
//! negative = ["1:(24/05/02 07:41:08.000):CHttpClient.cpp :0402: status 200"]
//! ```
//!
//! `normalize = { <capture> = "<normaliser>" }` passes a named capture
//! through a built-in normaliser before it is counted. The one normaliser,
//! `nes_url`, repairs and cleans a URL (backslashes, quotes, trailing
//! punctuation, case; credentials, query and fragment removed) and turns
//! away what cannot be the NES (malformed URLs, CRL, OCSP, AIA and PKI
//! locations, XML schema names): such a value is kept as the field
//! `<capture>_rejected`, `"<url> (<reason>)"`, instead of `<capture>`, so
//! nothing is silently lost and no rejected value becomes a candidate.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::{Regex, RegexBuilder};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::kind::LogKind;
use crate::Error;
use crate::report::Severity;

/// The built-in pack.
const DEFAULT_PACK: &str = include_str!("default.toml");
/// How the built-in pack is named in reports and errors.
pub(crate) const DEFAULT_SOURCE: &str = "built-in:default.toml";

/// Limits that keep packs (and so reports, memory and scan time) bounded.
/// Each error names the limit and the pack.
const MAX_RULES: usize = 600;
/// Rules in one pack.
const MAX_RULES_PER_PACK: usize = 500;
/// Literals in all packs, and their bytes: the prefilter automaton grows
/// with them.
const MAX_LITERALS_TOTAL: usize = 8_000;
const MAX_LITERAL_BYTES_TOTAL: usize = 512 * 1024;
/// Memory of the prefilter automaton over every literal.
const MAX_AUTOMATON_BYTES: usize = 16 << 20;
/// Source of one regex (a rule's or a field condition's).
const MAX_REGEX_SOURCE: usize = 4096;
/// Rules without literal, tried on every record.
const MAX_SLOW_RULES: usize = 20;
const MAX_PACK_BYTES: u64 = 4 << 20;
const MAX_LITERALS: usize = 64;
const MAX_LITERAL_CHARS: usize = 256;
const MAX_TITLE_CHARS: usize = 200;
const MAX_TEXT_CHARS: usize = 4000;
const MAX_REFS: usize = 10;
const MAX_CONTEXT_LINES: usize = 10;
const MAX_WINDOW_SECONDS: u32 = 86_400;
const MAX_REPEATS: u32 = 1000;
/// Compiled size of one regex, and of its lazy DFA cache.
const REGEX_SIZE_LIMIT: usize = 2 << 20;
const REGEX_DFA_LIMIT: usize = 2 << 20;

/// A loaded rule pack, as listed in reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackSummary {
    /// Pack name from its `[pack]` header.
    pub name: String,
    /// Pack version from its `[pack]` header.
    pub version: String,
    /// What the pack is for.
    pub description: String,
    /// Where it was read from (`built-in:default.toml` or a path).
    pub source: String,
    /// How many rules it holds.
    pub rules: u64,
}

/// The sequence or window condition of a rule, as listed.
///
/// Rules named here count where they *fired*: their own literal, regex,
/// field and sequence conditions were met (a hit still waiting for its
/// `forbids_after` window counts), not merely where their literal appears.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SequenceInfo {
    /// Field or capture that must be equal between the related records
    /// (`thread` for WGSS, `c-ip` for IIS); `null` relates any records of
    /// the same file or rotation family.
    pub key: Option<String>,
    /// How far apart related records may be, in seconds.
    pub window_seconds: u32,
    /// Rules that must all have matched before (same key, within the
    /// window).
    pub requires_before: Vec<String>,
    /// Rules that must not have matched before.
    pub forbids_before: Vec<String>,
    /// Rules that must not match after (within the window).
    pub forbids_after: Vec<String>,
    /// Rules whose earlier matches are noted on each hit, with their
    /// captured fields.
    pub notes_before: Vec<String>,
    /// How many matches (same key, within the window, this one included)
    /// it takes to fire.
    pub min_repeats: u32,
}

/// One rule, as listed by `list_rules`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInfo {
    /// Stable SCREAMING_SNAKE id; the finding id when it fires.
    pub id: String,
    /// One line.
    pub title: String,
    /// Severity of its findings.
    pub severity: Severity,
    /// Name of the pack it comes from.
    pub pack: String,
    /// Log kinds it applies to (empty with `files` empty: all).
    pub kinds: Vec<super::kind::LogKind>,
    /// File-name globs it applies to, in addition to `kinds`.
    pub files: Vec<String>,
    /// Literal strings, any of which makes a record a candidate.
    pub literals: Vec<String>,
    /// Whether literals match ASCII case-insensitively.
    pub case_insensitive: bool,
    /// Whether it has no literal and so is tried on every record (slow).
    pub slow: bool,
    /// Regex (with named captures that become finding fields).
    pub regex: Option<String>,
    /// Field conditions: field name (`a|b` for either) to regex.
    pub fields: BTreeMap<String, String>,
    /// Record fields copied into the finding.
    pub keep_fields: Vec<String>,
    /// Captures passed through a built-in normaliser: capture name to
    /// normaliser (`nes_url`). A rejected value is kept as
    /// `<capture>_rejected`.
    pub normalize: BTreeMap<String, String>,
    /// Lines before a hit shown with its excerpts.
    pub context_lines: u32,
    /// Sequence or window condition.
    pub sequence: Option<SequenceInfo>,
    /// Whether hits become findings (`false`: a helper other rules refer
    /// to).
    pub reported: bool,
    /// What a hit means.
    pub explanation: String,
    /// What to do.
    pub remediation: String,
    /// Article steps and documents it refers to.
    pub refs: Vec<String>,
    /// Sample records checked whenever the pack loads.
    pub samples: RuleSamples,
}

/// A rule's samples: records it must fire on and records it must not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSamples {
    /// The format the samples are read as (the `kind` of the samples
    /// table, else the rule's first kind, else `text`).
    pub kind: super::kind::LogKind,
    /// Each must make the rule fire (a sample may hold several lines).
    pub positive: Vec<String>,
    /// None may make the rule fire.
    pub negative: Vec<String>,
}

// ---------------------------------------------------------------------------
// TOML shape

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    pack: RawHeader,
    #[serde(default, rename = "rule")]
    rules: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: String,
    version: String,
    #[serde(default)]
    description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    title: Spanned<String>,
    severity: Spanned<String>,
    #[serde(default)]
    kinds: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    files: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    literals: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    case_insensitive: bool,
    #[serde(default)]
    slow: bool,
    #[serde(default)]
    regex: Option<Spanned<String>>,
    #[serde(default)]
    fields: Option<Spanned<BTreeMap<String, String>>>,
    #[serde(default)]
    keep_fields: Vec<String>,
    #[serde(default)]
    normalize: Option<Spanned<BTreeMap<String, String>>>,
    #[serde(default)]
    context_lines: Option<Spanned<u32>>,
    #[serde(default)]
    report: Option<bool>,
    #[serde(default)]
    explanation: Option<Spanned<String>>,
    #[serde(default)]
    remediation: Option<Spanned<String>>,
    #[serde(default)]
    refs: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    sequence: Option<Spanned<RawSequence>>,
    #[serde(default)]
    samples: Option<Spanned<RawSamples>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSequence {
    #[serde(default)]
    key: Option<String>,
    #[serde(default = "default_window")]
    window_seconds: u32,
    #[serde(default)]
    requires_before: Vec<String>,
    #[serde(default)]
    forbids_before: Vec<String>,
    #[serde(default)]
    forbids_after: Vec<String>,
    #[serde(default)]
    notes_before: Vec<String>,
    #[serde(default)]
    min_repeats: Option<u32>,
}

fn default_window() -> u32 {
    30
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSamples {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    positive: Vec<String>,
    #[serde(default)]
    negative: Vec<String>,
}

// ---------------------------------------------------------------------------
// Compiled form

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
    fn from_name(name: &str) -> Option<Normalizer> {
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
    info: SequenceInfo,
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
    field_sources: BTreeMap<String, String>,
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
        let value = super::collect::clean_value(&value);
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
}

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

// ---------------------------------------------------------------------------
// Loading

/// A pack's text and where it came from.
struct PackText {
    source: String,
    /// The request field that named it, for the error's path.
    request_path: String,
    text: String,
    /// Offsets of its newlines, for line numbers.
    newlines: Vec<usize>,
}

impl PackText {
    fn new(source: String, request_path: String, text: String) -> PackText {
        let newlines = memchr::memchr_iter(b'\n', text.as_bytes()).collect();
        PackText {
            source,
            request_path,
            text,
            newlines,
        }
    }

    /// 1-based line of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < offset) + 1
    }

    /// 1-based line where a span starts.
    fn line(&self, span: Range<usize>) -> usize {
        self.line_of(span.start)
    }
}

/// Which pack a rule was defined in, for errors raised after parsing.
#[derive(Clone, Debug)]
struct Origin {
    pack: usize,
}

/// An error located in a pack.
fn located(pack: &PackText, line: usize, message: impl std::fmt::Display) -> Error {
    Error::RequestInvalid {
        path: pack.request_path.clone(),
        message: format!("{}:{line}: {message}", pack.source),
    }
}

/// Loads the built-in pack (unless `default` is false) and the packs at
/// `paths`, checks them and compiles them.
pub(crate) fn load(default: bool, paths: &[String]) -> Result<RuleSet, Error> {
    let mut texts = Vec::new();
    if default {
        texts.push(PackText::new(
            DEFAULT_SOURCE.to_owned(),
            "default_rules".to_owned(),
            DEFAULT_PACK.to_owned(),
        ));
    }
    for (i, path) in paths.iter().enumerate() {
        let request_path = format!("rule_paths[{i}]");
        let text = read_pack(Path::new(path)).map_err(|message| Error::RequestInvalid {
            path: request_path.clone(),
            message: format!("{path}: {message}"),
        })?;
        texts.push(PackText::new(path.clone(), request_path, text));
    }
    compile(&texts)
}

/// Reads a pack file: UTF-8 (BOM allowed) or UTF-16 with BOM, as Notepad
/// writes them.
fn read_pack(path: &Path) -> Result<String, String> {
    use crate::fsutil::{ReadError, read_capped};
    let bytes = read_capped(path, MAX_PACK_BYTES).map_err(|e| match e {
        ReadError::Io(e) => super::source::describe_io_error(&e).1,
        ReadError::TooLarge { .. } => {
            format!("{e}; a rule pack may have at most {MAX_PACK_BYTES} bytes (4 MiB)")
        }
        ReadError::NotRegular(_) => format!("{e}; a rule pack must be a file"),
    })?;
    let (text, _, bad) = encoding_rs::UTF_8.decode(&bytes);
    if bad && !bytes.starts_with(b"\xff\xfe") && !bytes.starts_with(b"\xfe\xff") {
        return Err("not UTF-8 text".to_owned());
    }
    // `decode` honours a UTF-16 BOM as well.
    Ok(text.into_owned())
}

/// Parses, checks and compiles packs already read.
fn compile(texts: &[PackText]) -> Result<RuleSet, Error> {
    let mut set = RuleSet {
        rules: Vec::new(),
        literals: Vec::new(),
        packs: Vec::new(),
        key_names: Vec::new(),
        marker_keys: Vec::new(),
        cancels: Vec::new(),
        noted: Vec::new(),
    };
    let mut literal_index: HashMap<Literal, usize> = HashMap::new();
    let mut ids: HashMap<String, (usize, usize)> = HashMap::new();
    // Sequence references are resolved once every pack is read, so a pack
    // may refer to rules of the built-in pack and the other way round.
    let mut pending: Vec<(usize, Origin, Spanned<RawSequence>)> = Vec::new();
    let mut origins = Vec::new();

    for (pack_index, pack) in texts.iter().enumerate() {
        let raw: RawPack = toml::from_str(&pack.text).map_err(|e| {
            let line = e.span().map_or(1, |s| pack.line(s));
            located(pack, line, e.message().trim_end())
        })?;
        let header = &raw.pack;
        if header.name.trim().is_empty() || header.version.trim().is_empty() {
            return Err(located(
                pack,
                1,
                "[pack] needs a non-empty name and version",
            ));
        }
        if raw.rules.is_empty() {
            return Err(located(pack, 1, "the pack has no [[rule]]"));
        }
        if raw.rules.len() > MAX_RULES_PER_PACK {
            return Err(located(
                pack,
                1,
                format!(
                    "{} rules: a pack may have at most {MAX_RULES_PER_PACK} (limit rules per pack)",
                    raw.rules.len()
                ),
            ));
        }
        set.packs.push(PackSummary {
            name: header.name.clone(),
            version: header.version.clone(),
            description: header.description.clone(),
            source: pack.source.clone(),
            rules: raw.rules.len() as u64,
        });
        for spanned in raw.rules {
            if set.rules.len() >= MAX_RULES {
                return Err(located(
                    pack,
                    pack.line(spanned.span()),
                    format!("more than {MAX_RULES} rules in all packs (limit rules in total)"),
                ));
            }
            let raw_rule = spanned.into_inner();
            let id_line = pack.line(raw_rule.id.span());
            let id = raw_rule.id.get_ref().clone();
            if let Some((p, l)) = ids.get(&id) {
                return Err(located(
                    pack,
                    id_line,
                    format!(
                        "duplicate rule id {id} (already defined at {}:{l})",
                        texts[*p].source
                    ),
                ));
            }
            ids.insert(id.clone(), (pack_index, id_line));
            let (rule, sequence) = check_rule(
                pack,
                pack_index,
                raw_rule,
                &mut set.literals,
                &mut literal_index,
            )?;
            let origin = Origin { pack: pack_index };
            if let Some(seq) = sequence {
                pending.push((set.rules.len(), origin.clone(), seq));
            }
            origins.push(origin);
            set.rules.push(rule);
        }
    }

    let index: HashMap<String, usize> = set
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();
    set.marker_keys = vec![Vec::new(); set.rules.len()];
    set.cancels = vec![false; set.rules.len()];
    set.noted = vec![false; set.rules.len()];
    for (rule_index, origin, spanned) in pending {
        let pack = &texts[origin.pack];
        let line = pack.line(spanned.span());
        let raw = spanned.into_inner();
        let resolve = |names: &[String]| -> Result<Vec<usize>, Error> {
            names
                .iter()
                .map(|n| {
                    index.get(n).copied().ok_or_else(|| {
                        located(pack, line, format!("sequence refers to unknown rule {n}"))
                    })
                })
                .collect()
        };
        if raw.window_seconds == 0 || raw.window_seconds > MAX_WINDOW_SECONDS {
            return Err(located(
                pack,
                line,
                format!("window_seconds must be 1..={MAX_WINDOW_SECONDS}"),
            ));
        }
        let min_repeats = raw.min_repeats.unwrap_or(1);
        if min_repeats == 0 || min_repeats > MAX_REPEATS {
            return Err(located(
                pack,
                line,
                format!("min_repeats must be 1..={MAX_REPEATS}"),
            ));
        }
        let key = raw
            .key
            .as_ref()
            .map(|k| match set.key_names.iter().position(|n| n == k) {
                Some(i) => i as u16,
                None => {
                    set.key_names.push(k.clone());
                    (set.key_names.len() - 1) as u16
                }
            });
        let seq = Sequence {
            key,
            window_ms: i64::from(raw.window_seconds) * 1000,
            requires_before: resolve(&raw.requires_before)?,
            forbids_before: resolve(&raw.forbids_before)?,
            forbids_after: resolve(&raw.forbids_after)?,
            notes_before: resolve(&raw.notes_before)?,
            min_repeats,
            info: SequenceInfo {
                key: raw.key.clone(),
                window_seconds: raw.window_seconds,
                requires_before: raw.requires_before.clone(),
                forbids_before: raw.forbids_before.clone(),
                forbids_after: raw.forbids_after.clone(),
                notes_before: raw.notes_before.clone(),
                min_repeats,
            },
        };
        if seq
            .requires_before
            .iter()
            .chain(&seq.forbids_before)
            .chain(&seq.forbids_after)
            .chain(&seq.notes_before)
            .any(|&r| r == rule_index)
        {
            return Err(located(
                pack,
                line,
                "a sequence may not refer to its own rule",
            ));
        }
        for &m in seq
            .requires_before
            .iter()
            .chain(&seq.forbids_before)
            .chain(&seq.forbids_after)
            .chain(&seq.notes_before)
        {
            if !set.marker_keys[m].contains(&key) {
                set.marker_keys[m].push(key);
            }
        }
        for &m in &seq.forbids_after {
            set.cancels[m] = true;
        }
        for &m in &seq.notes_before {
            set.noted[m] = true;
        }
        set.rules[rule_index].sequence = Some(seq);
    }

    check_costs(&set, texts, &origins)?;
    check_samples(&set, texts, &origins)?;
    Ok(set)
}

/// Whether the samples of the built-in pack are run when it loads. They
/// cannot change after the build and the test suite runs them (unit test
/// `the_default_pack_passes_its_samples`, and end to end in
/// `tests/log_rules.rs`), so a scan does not pay for them; admin packs'
/// samples always run.
const CHECK_BUILT_IN_SAMPLES: bool = cfg!(test);

/// Checks one rule's fields and compiles them.
fn check_rule(
    pack: &PackText,
    pack_index: usize,
    raw: RawRule,
    literals: &mut Vec<Literal>,
    literal_index: &mut HashMap<Literal, usize>,
) -> Result<(Rule, Option<Spanned<RawSequence>>), Error> {
    let at = |span: Range<usize>| pack.line(span);
    let id_line = at(raw.id.span());
    let id = raw.id.get_ref().clone();
    let err = |line: usize, msg: String| located(pack, line, format!("rule {id}: {msg}"));

    if !is_screaming_snake(&id) {
        return Err(located(
            pack,
            id_line,
            format!("rule id `{id}` must be SCREAMING_SNAKE (A-Z, 0-9, single underscores)"),
        ));
    }
    let title = raw.title.get_ref().trim().to_owned();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(err(
            at(raw.title.span()),
            format!("title must be 1..={MAX_TITLE_CHARS} characters"),
        ));
    }
    let severity = match raw.severity.get_ref().as_str() {
        "info" => Severity::Info,
        "warning" => Severity::Warning,
        "error" => Severity::Error,
        other => {
            return Err(err(
                at(raw.severity.span()),
                format!("severity `{other}` is not info, warning or error"),
            ));
        }
    };
    let mut kinds = Vec::new();
    if let Some(k) = &raw.kinds {
        for name in k.get_ref() {
            match LogKind::from_name(name) {
                Some(kind) => kinds.push(kind),
                None => {
                    return Err(err(
                        at(k.span()),
                        format!(
                            "unknown kind `{name}` (expected wgss, nymi_api, iis, firewall or text)"
                        ),
                    ));
                }
            }
        }
    }
    let mut file_globs = Vec::new();
    let mut files = None;
    if let Some(f) = &raw.files {
        let mut builder = GlobSetBuilder::new();
        for pattern in f.get_ref() {
            let glob = GlobBuilder::new(pattern)
                .case_insensitive(true)
                .build()
                .map_err(|e| err(at(f.span()), format!("bad file glob `{pattern}`: {e}")))?;
            builder.add(glob);
            file_globs.push(pattern.clone());
        }
        if !file_globs.is_empty() {
            files = Some(
                builder
                    .build()
                    .map_err(|e| err(at(f.span()), format!("bad file globs: {e}")))?,
            );
        }
    }
    let lits: Vec<String> = raw
        .literals
        .as_ref()
        .map(|l| l.get_ref().clone())
        .unwrap_or_default();
    let lit_line = raw.literals.as_ref().map_or(id_line, |l| at(l.span()));
    if lits.len() > MAX_LITERALS {
        return Err(err(lit_line, format!("more than {MAX_LITERALS} literals")));
    }
    if lits
        .iter()
        .any(|l| l.is_empty() || l.chars().count() > MAX_LITERAL_CHARS)
    {
        return Err(err(
            lit_line,
            format!("literals must be 1..={MAX_LITERAL_CHARS} characters"),
        ));
    }
    if lits.is_empty() && !raw.slow {
        return Err(err(
            lit_line,
            "no literal: give at least one (the prefilter that keeps scans fast) or mark \
             the rule `slow = true`"
                .to_owned(),
        ));
    }
    if !lits.is_empty() && raw.slow {
        return Err(err(
            lit_line,
            "`slow = true` is only for rules without literals".to_owned(),
        ));
    }
    let literal_ids = lits
        .iter()
        .map(|t| {
            let lit = Literal {
                text: t.clone(),
                case_insensitive: raw.case_insensitive,
            };
            *literal_index.entry(lit.clone()).or_insert_with(|| {
                literals.push(lit);
                literals.len() - 1
            })
        })
        .collect();
    let regex = raw
        .regex
        .as_ref()
        .map(|r| {
            build_regex(r.get_ref())
                .map_err(|e| err(at(r.span()), format!("invalid regex: {}", regex_error(&e))))
        })
        .transpose()?;
    let mut fields = Vec::new();
    let mut field_sources = BTreeMap::new();
    if let Some(f) = &raw.fields {
        for (name, pattern) in f.get_ref() {
            let names: Vec<String> = name.split('|').map(|n| n.trim().to_owned()).collect();
            if names.iter().any(String::is_empty) {
                return Err(err(at(f.span()), format!("empty field name in `{name}`")));
            }
            let regex = build_regex(pattern).map_err(|e| {
                err(
                    at(f.span()),
                    format!("invalid regex for field `{name}`: {}", regex_error(&e)),
                )
            })?;
            fields.push(FieldCondition { names, regex });
            field_sources.insert(name.clone(), pattern.clone());
        }
    }
    let mut normalize = Vec::new();
    if let Some(n) = &raw.normalize {
        for (capture, name) in n.get_ref() {
            let has_capture = regex
                .as_ref()
                .is_some_and(|re| re.capture_names().flatten().any(|c| c == capture));
            if !has_capture {
                return Err(err(
                    at(n.span()),
                    format!(
                        "normalize names `{capture}`, which is not a named capture of the regex"
                    ),
                ));
            }
            let f = Normalizer::from_name(name).ok_or_else(|| {
                err(
                    at(n.span()),
                    format!("unknown normaliser `{name}` (expected nes_url)"),
                )
            })?;
            normalize.push((capture.clone(), f));
        }
    }
    let context_lines = raw.context_lines.as_ref().map_or(Ok(0), |c| {
        let n = *c.get_ref() as usize;
        if n > MAX_CONTEXT_LINES {
            Err(err(
                at(c.span()),
                format!("context_lines must be 0..={MAX_CONTEXT_LINES}"),
            ))
        } else {
            Ok(n)
        }
    })?;
    for (label, value) in [
        ("explanation", &raw.explanation),
        ("remediation", &raw.remediation),
    ] {
        let Some(value) = value else {
            continue;
        };
        if value.get_ref().chars().count() > MAX_TEXT_CHARS {
            return Err(err(
                at(value.span()),
                format!("{label} longer than {MAX_TEXT_CHARS} characters"),
            ));
        }
    }
    let refs = raw
        .refs
        .as_ref()
        .map(|r| r.get_ref().clone())
        .unwrap_or_default();
    if refs.len() > MAX_REFS || refs.iter().any(|r| r.chars().count() > MAX_TITLE_CHARS * 2) {
        let line = raw.refs.as_ref().map_or(id_line, |r| at(r.span()));
        return Err(err(
            line,
            format!("at most {MAX_REFS} refs, each up to 400 characters"),
        ));
    }
    let samples = match &raw.samples {
        None => {
            return Err(err(
                id_line,
                "no [rule.samples]: every rule needs positive and negative samples".to_owned(),
            ));
        }
        Some(s) => {
            let line = at(s.span());
            let inner = s.get_ref();
            if inner.positive.is_empty() || inner.negative.is_empty() {
                return Err(err(
                    line,
                    "samples need at least one positive and one negative".to_owned(),
                ));
            }
            let kind = match &inner.kind {
                Some(k) => Some(
                    LogKind::from_name(k)
                        .ok_or_else(|| err(line, format!("unknown samples kind `{k}`")))?,
                ),
                None => None,
            };
            Samples {
                kind,
                positive: inner.positive.clone(),
                negative: inner.negative.clone(),
                at: format!("{}:{line}", pack.source),
            }
        }
    };
    let rule = Rule {
        id,
        title,
        severity,
        pack: pack_index,
        kinds,
        file_globs,
        files,
        literals: literal_ids,
        case_insensitive: raw.case_insensitive,
        slow: raw.slow,
        regex,
        fields,
        field_sources,
        keep_fields: raw.keep_fields.clone(),
        normalize,
        context_lines,
        report: raw.report.unwrap_or(true),
        explanation: raw
            .explanation
            .as_ref()
            .map(|e| e.get_ref().trim().to_owned())
            .unwrap_or_default(),
        remediation: raw
            .remediation
            .as_ref()
            .map(|e| e.get_ref().trim().to_owned())
            .unwrap_or_default(),
        refs,
        sequence: None,
        samples,
    };
    Ok((rule, raw.sequence))
}

/// Checks the costs that only all packs together show: slow rules,
/// literals and the prefilter automaton. Errors name the pack that went
/// over the limit.
fn check_costs(set: &RuleSet, texts: &[PackText], origins: &[Origin]) -> Result<(), Error> {
    let last_pack = |rules: &mut dyn Iterator<Item = usize>| {
        rules
            .last()
            .map_or(&texts[texts.len() - 1], |r| &texts[origins[r].pack])
    };
    let slow: Vec<usize> = (0..set.rules.len())
        .filter(|&r| set.rules[r].slow)
        .collect();
    if slow.len() > MAX_SLOW_RULES {
        return Err(located(
            last_pack(&mut slow.iter().copied()),
            1,
            format!(
                "{} rules without literal (`slow`): at most {MAX_SLOW_RULES} in all packs (limit \
                 slow rules), each is tried on every record",
                slow.len()
            ),
        ));
    }
    let bytes: usize = set.literals.iter().map(|l| l.text.len()).sum();
    if set.literals.len() > MAX_LITERALS_TOTAL || bytes > MAX_LITERAL_BYTES_TOTAL {
        return Err(located(
            last_pack(&mut (0..set.rules.len()).filter(|&r| !set.rules[r].literals.is_empty())),
            1,
            format!(
                "{} distinct literals of {bytes} bytes: at most {MAX_LITERALS_TOTAL} literals \
                 and {MAX_LITERAL_BYTES_TOTAL} bytes in all packs (limit literals in total)",
                set.literals.len()
            ),
        ));
    }
    if set.literals.is_empty() {
        return Ok(());
    }
    let automaton = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(set.literals.iter().map(|l| l.text.as_bytes()))
        .map_err(|e| located(&texts[texts.len() - 1], 1, format!("literals: {e}")))?;
    if automaton.memory_usage() > MAX_AUTOMATON_BYTES {
        return Err(located(
            &texts[texts.len() - 1],
            1,
            format!(
                "the literals need a prefilter of {} bytes: at most {MAX_AUTOMATON_BYTES} \
                 (limit automaton size)",
                automaton.memory_usage()
            ),
        ));
    }
    Ok(())
}

/// A regex error, naming the limit when a size limit was hit.
fn regex_error(e: &regex::Error) -> String {
    match e {
        regex::Error::CompiledTooBig(n) => format!(
            "compiled, it would exceed {n} bytes (limit compiled regex size; lazy DFA cache \
             {REGEX_DFA_LIMIT} bytes)"
        ),
        other => other.to_string(),
    }
}

/// Compiles a regex within the size limits, after checking its source
/// length.
fn build_regex(pattern: &str) -> Result<Regex, regex::Error> {
    if pattern.len() > MAX_REGEX_SOURCE {
        return Err(regex::Error::Syntax(format!(
            "the pattern has {} bytes: at most {MAX_REGEX_SOURCE} (limit regex source size)",
            pattern.len()
        )));
    }
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_LIMIT)
        .build()
}

fn is_screaming_snake(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_uppercase()
        && !id.ends_with('_')
        && !id.contains("__")
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
}

/// Runs every rule's samples through the scanner: each positive sample
/// must make the rule fire, each negative one must not.
fn check_samples(set: &RuleSet, texts: &[PackText], origins: &[Origin]) -> Result<(), Error> {
    let mut checker = None;
    for (i, rule) in set.rules.iter().enumerate() {
        let kind = rule.sample_kind();
        let origin = &origins[i];
        let pack = &texts[origin.pack];
        if pack.source == DEFAULT_SOURCE && !CHECK_BUILT_IN_SAMPLES {
            continue;
        }
        let checker = checker.get_or_insert_with(|| super::scan::SampleChecker::new(set));
        let fail = |which: &str, n: usize, sample: &str| {
            let shown: String = sample.chars().take(120).collect();
            Error::RequestInvalid {
                path: pack.request_path.clone(),
                message: format!(
                    "{}: rule {}: {which} sample {n} ({shown:?}) {}",
                    rule.samples.at,
                    rule.id,
                    if which == "positive" {
                        "does not make the rule fire"
                    } else {
                        "makes the rule fire"
                    }
                ),
            }
        };
        for (n, sample) in rule.samples.positive.iter().enumerate() {
            if checker.hits(kind, sample, i) == 0 {
                return Err(fail("positive", n + 1, sample));
            }
        }
        for (n, sample) in rule.samples.negative.iter().enumerate() {
            if checker.hits(kind, sample, i) != 0 {
                return Err(fail("negative", n + 1, sample));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(text: &str) -> Result<RuleSet, Error> {
        compile(&[PackText::new(
            "site.toml".into(),
            "rule_paths[0]".into(),
            text.into(),
        )])
    }

    fn message(e: Error) -> String {
        match e {
            Error::RequestInvalid { path, message } => {
                assert_eq!(path, "rule_paths[0]");
                message
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    const GOOD: &str = r#"
[pack]
name = "site"
version = "1"

[[rule]]
id = "SITE_A"
title = "A"
severity = "warning"
kinds = ["text"]
literals = ["alpha"]
[rule.samples]
positive = ["x alpha y"]
negative = ["x beta y"]
"#;

    #[test]
    fn the_default_pack_passes_its_samples() {
        // Unit tests build with CHECK_BUILT_IN_SAMPLES on.
        let set = load(true, &[]).unwrap();
        assert!(set.rules.len() >= 14);
        assert_eq!(set.packs[0].source, DEFAULT_SOURCE);
    }

    #[test]
    fn a_good_pack_loads() {
        let set = pack(GOOD).unwrap();
        assert_eq!(set.rules[0].id, "SITE_A");
        assert_eq!(set.infos()[0].literals, ["alpha"]);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let text = GOOD.replace("severity = \"warning\"", "severity = warning");
        let m = message(pack(&text).unwrap_err());
        assert!(m.starts_with("site.toml:9:"), "{m}");
    }

    #[test]
    fn an_invalid_regex_names_the_line_and_reason() {
        let text = GOOD.replace(
            "literals = [\"alpha\"]",
            "literals = [\"alpha\"]\nregex = 'a(b'",
        );
        let m = message(pack(&text).unwrap_err());
        assert!(
            m.starts_with("site.toml:12: rule SITE_A: invalid regex"),
            "{m}"
        );
    }

    #[test]
    fn a_duplicate_id_names_both_places() {
        let text = format!(
            "{GOOD}{}",
            GOOD.split("[[rule]]")
                .nth(1)
                .map(|r| format!("[[rule]]{r}"))
                .unwrap()
        );
        let m = message(pack(&text).unwrap_err());
        assert!(m.contains("duplicate rule id SITE_A"), "{m}");
        assert!(m.contains("site.toml:7"), "{m}");
        assert!(m.starts_with("site.toml:16:"), "{m}");
    }

    #[test]
    fn normalised_captures_keep_or_reject_their_value() {
        let text = GOOD
            .replace(
                "literals = [\"alpha\"]",
                "literals = [\"alpha\"]\nregex = 'alpha (?P<u>\\S+)'\nnormalize = { u = \"nes_url\" }",
            )
            .replace("x alpha y", "x alpha https://nes.corp.example/nes");
        let set = pack(&text).unwrap();
        let rule = &set.rules[0];
        assert_eq!(set.infos()[0].normalize["u"], "nes_url");
        assert_eq!(
            rule.capture("u", r"HTTPS:\\NES.corp.example\nes\"),
            Some(("u".to_owned(), "https://nes.corp.example/nes".to_owned()))
        );
        assert_eq!(
            rule.capture("u", "http://crl.corp.example/ca.crl"),
            Some((
                "u_rejected".to_owned(),
                "http://crl.corp.example/ca.crl (crl)".to_owned()
            ))
        );
        let (name, value) = rule.capture("u", "https://u:S3cret@7/nes").unwrap();
        assert_eq!(name, "u_rejected");
        assert!(
            !value.contains("S3cret") && value.ends_with("(bare_number)"),
            "{value}"
        );
        assert_eq!(
            rule.capture("other", " kept "),
            Some(("other".to_owned(), "kept".to_owned()))
        );
    }

    #[test]
    fn a_rule_without_literal_must_be_marked_slow() {
        let text = GOOD.replace("literals = [\"alpha\"]", "regex = 'alpha'");
        let m = message(pack(&text).unwrap_err());
        assert!(m.contains("no literal"), "{m}");
        let slow = GOOD.replace("literals = [\"alpha\"]", "regex = 'alpha'\nslow = true");
        let set = pack(&slow).unwrap();
        assert!(set.infos()[0].slow);
    }

    #[test]
    fn failing_samples_are_reported() {
        let text = GOOD.replace("negative = [\"x beta y\"]", "negative = [\"alpha\"]");
        let m = message(pack(&text).unwrap_err());
        assert!(m.contains("negative sample 1"), "{m}");
        assert!(m.starts_with("site.toml:12:"), "{m}");
    }

    #[test]
    fn other_mistakes_are_explained() {
        for (from, to, expect) in [
            ("id = \"SITE_A\"", "id = \"site_a\"", "SCREAMING_SNAKE"),
            (
                "severity = \"warning\"",
                "severity = \"fatal\"",
                "severity `fatal`",
            ),
            ("kinds = [\"text\"]", "kinds = [\"evtx\"]", "unknown kind"),
            (
                "title = \"A\"",
                "title = \"A\"\ncolour = 1",
                "unknown field",
            ),
            (
                "literals = [\"alpha\"]",
                "literals = [\"alpha\"]\n[rule.sequence]\nrequires_before = [\"NOPE\"]",
                "unknown rule NOPE",
            ),
            (
                "positive = [\"x alpha y\"]",
                "positive = []",
                "at least one positive",
            ),
            (
                "literals = [\"alpha\"]",
                "literals = [\"alpha\"]\nregex = '(?P<u>alpha)'\nnormalize = { v = \"nes_url\" }",
                "not a named capture",
            ),
            (
                "literals = [\"alpha\"]",
                "literals = [\"alpha\"]\nregex = '(?P<u>alpha)'\nnormalize = { u = \"lowercase\" }",
                "unknown normaliser `lowercase`",
            ),
        ] {
            let m = message(pack(&GOOD.replace(from, to)).unwrap_err());
            assert!(m.contains(expect), "{expect}: {m}");
        }
    }
}
