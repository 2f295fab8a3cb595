//! Trying the rules on one record. Each step decides and returns a small
//! outcome ([`Admission`], [`Candidate`], [`Verdict`]); [`Engine::evaluate`]
//! only strings the steps together and counts.

use std::borrow::Cow;
use std::sync::Arc;

use memchr::memchr;

use super::file::{FileScan, FileStats};
use super::records::{last_lines, trim_eol};
use super::scanner::Engine;
use super::sequence::{At, Mark};
use super::tally::Hit;
use crate::logs::input::encoding::decode_line;
use crate::logs::input::format::Record;
use crate::logs::model::Excerpt;
use crate::logs::model::clean::{captured, clean_excerpt, clean_field};
use crate::logs::model::codes::parse_code;
use crate::logs::rules::{Matcher, Rule};
use crate::redaction::{Span, secret_spans};

/// Captured `(name, value)` pairs of one rule on one record.
type Captures = Vec<(String, String)>;

/// What the filters and the time window make of a parsed record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Admission {
    /// An address or port filter left it out.
    Filtered,
    /// Outside the window, and too early to fire or to matter to a
    /// sequence that could: no rule needs to look at it.
    TooEarly,
    /// The rules look at it; only a record in the window fires.
    Tried { in_window: bool },
}

/// A rule whose literal, field and regex conditions the record meets,
/// with what it captured.
#[derive(Debug)]
pub(super) struct Candidate {
    pub(super) rule: usize,
    pub(super) caps: Captures,
}

/// A held hit: it fires only if none of `cancelled_by` follows within
/// `window` under the same key.
#[derive(Debug)]
struct Hold {
    key: Option<u16>,
    value: String,
    window: i64,
    cancelled_by: Vec<usize>,
}

/// What a rule's sequence condition makes of a candidate.
#[derive(Debug)]
enum Verdict {
    /// A condition is not met: no hit.
    Blocked,
    /// It fires; `noted` are the `notes_before` rules seen before it, whose
    /// remembered fields are in `fields` after the candidate's captures.
    Fires {
        noted: Vec<usize>,
        fields: Captures,
        hold: Option<Hold>,
    },
}

/// Where the record being tried is, and what of it a hit shows.
struct Place<'r> {
    path: &'r Arc<str>,
    file_no: u32,
    modified: Option<i64>,
    line: u64,
    at: At,
    text: &'r str,
    before: &'r [u8],
    in_window: bool,
}

impl Engine<'_> {
    /// Tries the rules on one record.
    pub(super) fn evaluate(&mut self, fs: &mut FileScan, raw: &[u8], line_no: u64, before: &[u8]) {
        let Some(text) = self.decode_record(&mut fs.stats, raw) else {
            return;
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
        let in_window = match self.admission(fs, &rec) {
            Admission::Filtered => {
                fs.stats.filtered += 1;
                return;
            }
            Admission::TooEarly => {
                fs.stats.outside += 1;
                return;
            }
            Admission::Tried { in_window } => {
                if !in_window {
                    fs.stats.outside += 1;
                }
                in_window
            }
        };

        let candidates = self.candidates(&fs.matcher, &text, &rec);
        if in_window {
            self.count_codes(&rec, &candidates);
        }
        if candidates.is_empty() {
            return;
        }
        let at = At {
            time: rec.time,
            file: fs.file_no,
            line: line_no,
        };
        for hit in self.seq.advance(at) {
            self.record(hit);
        }
        let place = Place {
            path: &fs.path,
            file_no: fs.file_no,
            modified: fs.modified,
            line: line_no,
            at,
            text: &text,
            before,
            in_window,
        };
        let mut fired = Vec::with_capacity(candidates.len());
        for c in &candidates {
            let verdict = self.verdict(c, &rec, &place);
            fired.push(self.fire(c, verdict, &rec, &place));
        }
        // Remember where rules fired only now, so that a record is never
        // its own predecessor.
        for (c, _) in candidates.iter().zip(&fired).filter(|(_, f)| **f) {
            self.remember(c, &rec, &place);
        }
    }

    /// The record's text: its line end stripped, cut at `max_line` bytes
    /// (long lines were counted where they were found), decoded, CRLF
    /// made LF; NUL and Windows-1252 lines counted. `None` when empty.
    fn decode_record<'r>(&self, stats: &mut FileStats, raw: &'r [u8]) -> Option<Cow<'r, str>> {
        let max_line = self.settings.max_line;
        let mut raw = trim_eol(raw);
        let cut = raw.len() >= max_line;
        if raw.len() > max_line {
            raw = &raw[..max_line];
        }
        if raw.is_empty() {
            return None;
        }
        if memchr(0, raw).is_some() {
            stats.nul_lines += 1;
        }
        let (text, fallback) = decode_line(raw, cut);
        if fallback {
            stats.cp1252_lines += 1;
        }
        Some(if text.contains('\r') {
            Cow::Owned(text.replace("\r\n", "\n"))
        } else {
            text
        })
    }

    /// Whether the rules look at a record, after the filters and the
    /// window.
    fn admission(&self, fs: &FileScan, rec: &Record<'_>) -> Admission {
        if !self.passes_filters(fs.kind, rec) {
            return Admission::Filtered;
        }
        let in_window = self.settings.in_window(rec.time, fs.modified);
        if !in_window
            && let (Some(t), Some(since)) = (rec.time, self.settings.since_ms)
            && t < since - self.max_window
        {
            return Admission::TooEarly;
        }
        Admission::Tried { in_window }
    }

    /// The applicable rules whose literal, field and regex conditions the
    /// record meets, in rule order, with their captures.
    fn candidates(&mut self, matcher: &Matcher, text: &str, rec: &Record<'_>) -> Vec<Candidate> {
        let mut present = std::mem::take(&mut self.present);
        self.literals_present(matcher, text, &mut present);
        // The record's secrets, found once when a rule captures from it.
        let mut secrets: Option<Vec<Span>> = None;
        let mut out = Vec::new();
        for &ri in &matcher.rules {
            let rule = &self.set.rules[ri];
            if !rule.slow && !rule.literals.iter().any(|l| present.contains(l)) {
                continue;
            }
            if let Some(caps) = rule_matches(rule, text, rec, &mut secrets) {
                out.push(Candidate { rule: ri, caps });
            }
        }
        self.present = present;
        out
    }

    /// Fills `present` with the literals of `matcher` found in `text`.
    fn literals_present(&self, matcher: &Matcher, text: &str, present: &mut Vec<usize>) {
        present.clear();
        let Some(ac) = &matcher.ac else {
            return;
        };
        for m in ac.find_overlapping_iter(text.as_bytes()) {
            let lit = matcher.pattern_literal[m.pattern().as_usize()];
            let literal = &self.set.literals[lit];
            // A case-insensitive automaton also finds other spellings of
            // case-sensitive literals.
            if matcher.ci
                && !literal.case_insensitive
                && &text.as_bytes()[m.range()] != literal.text.as_bytes()
            {
                continue;
            }
            present.push(lit);
        }
    }

    /// What the candidate rule's sequence condition says at this record;
    /// a rule without one always fires.
    fn verdict(&mut self, c: &Candidate, rec: &Record<'_>, place: &Place<'_>) -> Verdict {
        let set = self.set;
        let mut fields = c.caps.clone();
        let mut noted = Vec::new();
        let Some(seq) = &set.rules[c.rule].sequence else {
            return Verdict::Fires {
                noted,
                fields,
                hold: None,
            };
        };
        let value = seq
            .key
            .map(|k| key_value(&set.key_names[usize::from(k)], &c.caps, rec, place.file_no))
            .unwrap_or_default();
        let (at, w) = (place.at, seq.window_ms);
        if seq.min_repeats > 1 {
            let n = self
                .seq
                .repeat(c.rule, &value, at, w, seq.min_repeats as usize);
            if n < seq.min_repeats as usize {
                return Verdict::Blocked;
            }
        }
        let seen = |m: usize| self.seq.mark(m, seq.key, &value, at, w).is_some();
        if !seq.requires_before.iter().all(|&m| seen(m))
            || seq.forbids_before.iter().any(|&m| seen(m))
        {
            return Verdict::Blocked;
        }
        for &m in &seq.notes_before {
            if let Some(mark) = self.seq.mark(m, seq.key, &value, at, w) {
                noted.push(m);
                fields.extend(mark.fields.iter().cloned());
            }
        }
        let hold = (!seq.forbids_after.is_empty()).then(|| Hold {
            key: seq.key,
            value,
            window: w,
            cancelled_by: seq.forbids_after.clone(),
        });
        Verdict::Fires {
            noted,
            fields,
            hold,
        }
    }

    /// Turns a verdict into a hit, counted now or held; whether it fired.
    fn fire(
        &mut self,
        c: &Candidate,
        verdict: Verdict,
        rec: &Record<'_>,
        place: &Place<'_>,
    ) -> bool {
        let Verdict::Fires {
            noted,
            mut fields,
            hold,
        } = verdict
        else {
            return false;
        };
        let rule = &self.set.rules[c.rule];
        for name in &rule.keep_fields {
            if let Some(v) = rec.field(name) {
                fields.push((name.clone(), clean_field(name, v)));
            }
        }
        let excerpt =
            (place.in_window && rule.report && self.acc[c.rule].wants_excerpt()).then(|| {
                excerpt(
                    place.path,
                    place.line,
                    place.text,
                    place.before,
                    rule.context_lines,
                )
            });
        let hit = Hit {
            rule: c.rule,
            path: place.path.clone(),
            line: place.line,
            time: place.at.time,
            modified: place.modified,
            excerpt,
            fields,
            noted,
        };
        match hold {
            Some(h) => {
                let early = self
                    .seq
                    .hold(hit, place.at, h.key, h.value, h.window, h.cancelled_by);
                if let Some(early) = early {
                    self.record(early);
                }
            }
            None => self.record(hit),
        }
        true
    }

    /// Remembers that a rule fired here, under each key other rules'
    /// sequences look it up by; cancels held hits it forbids.
    fn remember(&mut self, c: &Candidate, rec: &Record<'_>, place: &Place<'_>) {
        let set = self.set;
        for &k in &set.marker_keys[c.rule] {
            let value = k
                .map(|k| key_value(&set.key_names[usize::from(k)], &c.caps, rec, place.file_no))
                .unwrap_or_default();
            if set.cancels[c.rule] {
                self.seq.cancel(c.rule, k, &value, place.at);
            }
            let fields = if set.noted[c.rule] {
                c.caps.clone()
            } else {
                Vec::new()
            };
            self.seq.remember(
                c.rule,
                k,
                &value,
                Mark {
                    at: place.at,
                    fields,
                },
            );
        }
    }

    /// Counts error codes returned by a record (WGSS `returns:` codes,
    /// and `code` captures of any rule), once per record.
    fn count_codes(&mut self, rec: &Record<'_>, candidates: &[Candidate]) {
        let mut seen: Vec<u32> = Vec::new();
        let from_field = rec.field("return_code").and_then(parse_code);
        let from_caps = candidates
            .iter()
            .flat_map(|c| c.caps.iter())
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
}

/// The captures of `rule` on a record whose literal is present, or
/// `None` when its field or regex conditions are not met.
fn rule_matches(
    rule: &Rule,
    text: &str,
    rec: &Record<'_>,
    secrets: &mut Option<Vec<Span>>,
) -> Option<Captures> {
    let fields_ok = rule.fields.iter().all(|c| {
        c.names
            .iter()
            .any(|n| rec.field(n).is_some_and(|v| c.regex.is_match(v)))
    });
    if !fields_ok {
        return None;
    }
    let mut caps = Vec::new();
    if let Some(re) = &rule.regex {
        let c = re.captures(text)?;
        for name in re.capture_names().flatten() {
            let Some(m) = c.name(name) else {
                continue;
            };
            let spans = secrets.get_or_insert_with(|| secret_spans(text));
            let shown = captured(text, spans, m.range());
            if let Some((n, v)) = rule.capture(name, &shown) {
                caps.push((n, lower_hex(v)));
            }
        }
    }
    Some(caps)
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
