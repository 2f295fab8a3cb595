//! The report envelope every capability returns.
//!
//! One shape for all capabilities (`design.md`, "Report"): who ran it and
//! where ([`Context`]), what was found ([`Finding`]s with stable ids), the
//! capability's own `data`, what could and could not be checked
//! (`coverage`), and soft `warnings`. Findings are data, not errors: a report
//! that says the terminal is broken is still a successful call.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::time_fmt::UtcTime;

mod capability;
mod json_span;
pub mod part;
pub mod table;
pub mod text;

pub use capability::Capability;
pub use text::{CUT_MARK, Cut, REPORT_BUDGET, cap_caller, clip, cut_index};

/// Version of the report shape. Bumped when a field is removed or changes
/// meaning; adding a field does not bump it.
pub const SCHEMA_VERSION: u32 = 1;

/// How bad a finding is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A fact worth knowing; nothing to fix.
    Info,
    /// Something that may cause the failure or will soon.
    Warning,
    /// Something that breaks certificate retrieval or band taps now.
    Error,
}

/// The overall outcome a report states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportStatus {
    /// Everything checked is fine (findings, if any, are informational).
    Ok,
    /// At least one warning or error finding.
    Issue,
    /// The capability could not carry out its checks; see `coverage` and
    /// `warnings`.
    Error,
}

/// One thing a capability found, keyed by a stable id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Stable SCREAMING_SNAKE id (`NEA_CERTS_MISSING`); scripts key on it.
    #[schemars(regex(pattern = r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$"))]
    pub id: String,
    /// How bad it is.
    pub severity: Severity,
    /// One line, for tables and the Intune status line.
    pub title: String,
    /// What was seen, in full sentences.
    pub detail: String,
    /// Key facts behind the finding (paths, counts, addresses, times).
    #[serde(default)]
    pub evidence: BTreeMap<String, serde_json::Value>,
    /// What to do about it, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// Troubleshooting steps or documents this finding refers to.
    #[serde(default)]
    pub refs: Vec<String>,
}

impl Finding {
    /// A finding with no evidence, remediation or references yet.
    pub fn new(
        id: impl Into<String>,
        severity: Severity,
        title: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Finding {
            id: id.into(),
            severity,
            title: title.into(),
            detail: detail.into(),
            evidence: BTreeMap::new(),
            remediation: None,
            refs: Vec::new(),
        }
    }

    /// Adds one evidence entry.
    pub fn with_evidence(mut self, key: &str, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        self.evidence.insert(key.to_owned(), value);
        self
    }

    /// Sets the remediation text.
    pub fn with_remediation(mut self, text: impl Into<String>) -> Self {
        self.remediation = Some(text.into());
        self
    }

    /// Adds a reference (an article step, a document).
    pub fn with_ref(mut self, reference: impl Into<String>) -> Self {
        self.refs.push(reference.into());
        self
    }
}

/// Whether an area was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CoverageState {
    /// Checked; its findings (or their absence) are meaningful.
    Checked,
    /// Not checked, by request or because an earlier step failed.
    Skipped,
    /// Does not apply on this system (for example Windows-only facts on Linux).
    NotApplicable,
    /// Tried and could not be checked (for example access denied).
    Failed,
}

/// What one area of a capability covered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    /// Whether the area was checked.
    pub state: CoverageState,
    /// Why, when it was not simply checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The envelope every capability returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Report<D = serde_json::Value> {
    /// [`SCHEMA_VERSION`] of this document.
    pub schema_version: u32,
    /// The capability that produced it (`describe`, `cert_inventory`, ...).
    pub capability: String,
    /// Version of the library that produced it.
    pub tool_version: String,
    /// When the capability started.
    pub started_utc: UtcTime,
    /// How long it ran, in milliseconds.
    pub duration_ms: u64,
    /// Where and as whom it ran.
    pub context: Context,
    /// The overall outcome.
    pub status: ReportStatus,
    /// What was found, most severe first.
    pub findings: Vec<Finding>,
    /// The capability's own result.
    pub data: D,
    /// Per area: checked, skipped, not applicable or failed.
    pub coverage: BTreeMap<String, Coverage>,
    /// Soft problems that did not stop the capability.
    pub warnings: Vec<String>,
}

/// Collects a report while a capability runs, then stamps duration and
/// status in [`ReportBuilder::finish`].
#[derive(Debug)]
pub struct ReportBuilder {
    capability: String,
    started: UtcTime,
    clock: std::time::Instant,
    caller: Option<String>,
    findings: Vec<Finding>,
    coverage: BTreeMap<String, Coverage>,
    warnings: Vec<String>,
    failed: bool,
    status: Option<ReportStatus>,
}

impl ReportBuilder {
    /// Starts the clock for `capability` (a [`Capability::name`]).
    pub fn new(capability: &str) -> Self {
        ReportBuilder {
            capability: capability.to_owned(),
            started: UtcTime::now(),
            clock: std::time::Instant::now(),
            caller: None,
            findings: Vec::new(),
            coverage: BTreeMap::new(),
            warnings: Vec::new(),
            failed: false,
            status: None,
        }
    }

    /// Records who called (the PowerShell module sends its own version and
    /// the host's edition), shown in `context.caller`: at most 256
    /// characters are kept, whatever the capability, so no request type
    /// needs its own cap.
    pub fn caller(&mut self, caller: Option<&str>) -> &mut Self {
        self.caller = cap_caller(caller);
        self
    }

    /// Adds a finding.
    pub fn finding(&mut self, finding: Finding) -> &mut Self {
        self.findings.push(finding);
        self
    }

    /// Records the coverage of one area.
    pub fn coverage(
        &mut self,
        area: &str,
        state: CoverageState,
        detail: Option<String>,
    ) -> &mut Self {
        self.coverage
            .insert(area.to_owned(), Coverage { state, detail });
        self
    }

    /// Adds a soft warning.
    pub fn warning(&mut self, text: impl Into<String>) -> &mut Self {
        self.warnings.push(text.into());
        self
    }

    /// Marks the report as `error`: the capability could not do its checks.
    pub fn failed(&mut self) -> &mut Self {
        self.failed = true;
        self
    }

    /// Sets the status outright, for a capability whose outcome is a
    /// verdict rather than the worst of its findings.
    pub fn status(&mut self, status: ReportStatus) -> &mut Self {
        self.status = Some(status);
        self
    }

    /// Stamps duration and status and returns the report.
    pub fn finish<D>(mut self, data: D) -> Report<D> {
        // Most severe first; stable within a severity so the order the
        // capability found things in is kept.
        self.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let status = if let Some(status) = self.status {
            status
        } else if self.failed {
            ReportStatus::Error
        } else if self
            .findings
            .iter()
            .any(|f| f.severity >= Severity::Warning)
        {
            ReportStatus::Issue
        } else {
            ReportStatus::Ok
        };
        let mut context = Context::gather();
        context.caller = self.caller;
        Report {
            schema_version: SCHEMA_VERSION,
            capability: self.capability,
            tool_version: crate::TOOL_VERSION.to_owned(),
            started_utc: self.started,
            duration_ms: u64::try_from(self.clock.elapsed().as_millis()).unwrap_or(u64::MAX),
            context,
            status,
            findings: self.findings,
            data,
            coverage: self.coverage,
            warnings: self.warnings,
        }
    }
}

/// Makes text that came from outside the tool (a server, a proxy, a
/// certificate, a log) safe to put in a report that a console shows:
/// control characters that could move the cursor, recolour the console or
/// reorder what is shown are written as `\u{..}` escapes, and the result
/// is capped at `max_chars` characters (escapes included, the cut marked
/// with `…`). Escaped: C0 controls except tab, DEL, C1 controls, the line
/// and paragraph separators U+2028/U+2029, and the bidirectional
/// embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069.
/// The result holds none of them, so escaping it again changes nothing.
pub fn safe_text(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    // Characters written, and where each piece (a character or a whole
    // escape) ends, so that a cut never splits an escape.
    let mut count = 0usize;
    let mut ends: Vec<(usize, usize)> = Vec::new();
    for c in text.chars() {
        if count > max_chars {
            break;
        }
        if is_unsafe_char(c) {
            let escape = format!("\\u{{{:x}}}", u32::from(c));
            count += escape.len();
            out.push_str(&escape);
        } else {
            count += 1;
            out.push(c);
        }
        ends.push((count, out.len()));
    }
    if count <= max_chars {
        return out;
    }
    let keep = ends
        .iter()
        .rev()
        .find(|(chars, _)| *chars < max_chars)
        .map_or(0, |&(_, bytes)| bytes);
    out.truncate(keep);
    if max_chars > 0 {
        out.push(CUT_MARK);
    }
    out
}

/// Whether [`safe_text`] escapes `c`.
pub fn is_unsafe_char(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// JSON Schema (draft 2020-12) of the report envelope, with `data` left open
/// because each capability documents its own.
pub fn report_schema() -> schemars::Schema {
    let mut schema = schemars::schema_for!(Report<serde_json::Map<String, serde_json::Value>>);
    schema.insert(
        "$id".into(),
        "https://nymidiag.invalid/schema/report-v1.json".into(),
    );
    schema.insert("title".into(), "nymidiag report".into());
    schema
}

/// JSON Schema of one capability's whole report, `data` included.
pub fn capability_schema<D: JsonSchema>(capability: &str) -> schemars::Schema {
    let mut schema = schemars::schema_for!(Report<D>);
    schema.insert(
        "$id".into(),
        format!("https://nymidiag.invalid/schema/{capability}-v1.json").into(),
    );
    schema.insert(
        "title".into(),
        format!("nymidiag {capability} report").into(),
    );
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &str, severity: Severity) -> Finding {
        Finding::new(id, severity, "t", "d")
    }

    #[test]
    fn status_follows_the_worst_finding() {
        let r = ReportBuilder::new("x").finish(());
        assert_eq!(r.status, ReportStatus::Ok);

        let mut b = ReportBuilder::new("x");
        b.finding(finding("A_INFO", Severity::Info));
        assert_eq!(b.finish(()).status, ReportStatus::Ok);

        let mut b = ReportBuilder::new("x");
        b.finding(finding("A_INFO", Severity::Info))
            .finding(finding("B_WARN", Severity::Warning));
        assert_eq!(b.finish(()).status, ReportStatus::Issue);

        let mut b = ReportBuilder::new("x");
        b.finding(finding("B_WARN", Severity::Warning)).failed();
        assert_eq!(b.finish(()).status, ReportStatus::Error);
    }

    #[test]
    fn findings_are_sorted_most_severe_first_and_stable() {
        let mut b = ReportBuilder::new("x");
        b.finding(finding("I1", Severity::Info))
            .finding(finding("E1", Severity::Error))
            .finding(finding("I2", Severity::Info))
            .finding(finding("E2", Severity::Error));
        let ids: Vec<_> = b.finish(()).findings.into_iter().map(|f| f.id).collect();
        assert_eq!(ids, ["E1", "E2", "I1", "I2"]);
    }

    #[test]
    fn envelope_has_the_documented_top_level_fields() {
        let r = ReportBuilder::new("x").finish(serde_json::json!({}));
        let v = serde_json::to_value(&r).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        for key in [
            "schema_version",
            "capability",
            "tool_version",
            "started_utc",
            "duration_ms",
            "context",
            "status",
            "findings",
            "data",
            "coverage",
            "warnings",
        ] {
            assert!(keys.iter().any(|k| k == key), "missing {key}");
        }
        assert_eq!(v["schema_version"], SCHEMA_VERSION);
    }

    /// Every character class the escaping covers, with a neighbour on
    /// each side that must stay.
    fn unsafe_samples() -> Vec<char> {
        let mut chars: Vec<char> = (0u32..=0x1f)
            .chain(0x7f..=0x9f)
            .chain([0x2028, 0x2029])
            .chain(0x202a..=0x202e)
            .chain(0x2066..=0x2069)
            .filter_map(char::from_u32)
            .filter(|&c| c != '\t')
            .collect();
        chars.sort_unstable();
        chars
    }

    #[test]
    fn safe_text_escapes_every_control_and_bidi_character() {
        for c in unsafe_samples() {
            for (before, after) in [("", ""), ("a", "b"), ("é", "\t"), ("[", "[0m")] {
                let input = format!("{before}{c}{after}");
                let out = safe_text(&input, 512);
                assert!(!out.chars().any(is_unsafe_char), "{input:?} -> {out:?}");
                assert_eq!(out, format!("{before}\\u{{{:x}}}{after}", u32::from(c)));
                // Escaping twice changes nothing.
                assert_eq!(safe_text(&out, 512), out);
            }
        }
    }

    #[test]
    fn safe_text_keeps_ordinary_text_and_tabs() {
        for text in [
            "Microsoft-IIS/10.0",
            "CN=Corp Issuing CA, O=Corp",
            "a\tb",
            "Müller ÄÖÜ ß 日本",
            "‎",
        ] {
            assert_eq!(safe_text(text, 512), text);
        }
        assert!(!is_unsafe_char('\t'));
        assert!(!is_unsafe_char(' '));
        assert!(!is_unsafe_char('\u{a0}'));
        assert!(!is_unsafe_char('\u{202f}'));
        assert!(!is_unsafe_char('\u{206a}'));
    }

    #[test]
    fn safe_text_caps_on_characters_without_splitting_an_escape() {
        assert_eq!(safe_text("abc", 3), "abc");
        assert_eq!(safe_text("abcd", 3), "ab…");
        assert_eq!(safe_text("abcdé", 4), "abc…");
        assert_eq!(safe_text("", 0), "");
        assert_eq!(safe_text("a", 0), "");
        for max in 1..40 {
            for text in [
                "\u{1b}[31mred\u{1b}[0m",
                "x\u{202e}yz\u{2066}",
                &"\u{9b}".repeat(30),
            ] {
                let out = safe_text(text, max);
                assert!(out.chars().count() <= max, "{max} {out:?}");
                assert!(!out.chars().any(is_unsafe_char), "{out:?}");
                // A cut lands between pieces: every `\\u{` is closed.
                let body = out.trim_end_matches('…');
                assert_eq!(
                    body.matches("\\u{").count(),
                    body.matches('}').count(),
                    "{out:?}"
                );
            }
        }
        // A long hostile header is cut early, not escaped whole.
        let long = "\u{1b}".repeat(1_000_000);
        assert_eq!(safe_text(&long, 256).chars().count(), 253);
    }

    #[test]
    fn schema_requires_the_envelope_fields() {
        let schema = serde_json::to_value(report_schema()).unwrap();
        let required = schema["required"].as_array().unwrap();
        assert!(required.iter().any(|v| v == "findings"));
        assert!(required.iter().any(|v| v == "context"));
    }
}
