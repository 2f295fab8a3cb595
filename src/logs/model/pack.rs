//! Rule packs and rules as `list_rules` and `log_scan` reports list them.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::logs::model::LogKind;
use crate::report::Severity;

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
    pub kinds: Vec<LogKind>,
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
    pub kind: LogKind,
    /// Each must make the rule fire (a sample may hold several lines).
    pub positive: Vec<String>,
    /// None may make the rule fire.
    pub negative: Vec<String>,
}
