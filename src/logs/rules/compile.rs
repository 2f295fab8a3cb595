//! Reading packs and compiling them: every field checked, every limit
//! enforced, errors located at the pack's file and line.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;

use aho_corasick::AhoCorasickBuilder;
use globset::{GlobBuilder, GlobSetBuilder};
use regex::{Regex, RegexBuilder};
use toml::Spanned;

use super::set::{FieldCondition, Literal, Normalizer, Rule, RuleSet, Samples, Sequence};
use super::shape::{RawPack, RawRule, RawSequence};
use crate::Error;
use crate::logs::model::{LogKind, PackSummary, SequenceInfo};
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
/// `paths`, checks them and compiles them. The rules' samples are not
/// run here: that takes the engine, a layer above; the pack self-checks
/// run them.
pub(crate) fn load_without_samples(default: bool, paths: &[String]) -> Result<RuleSet, Error> {
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
        ReadError::Io(e) => crate::logs::input::source::describe_io_error(&e).1,
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
        pack_fields: texts.iter().map(|t| t.request_path.clone()).collect(),
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
    Ok(set)
}

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
