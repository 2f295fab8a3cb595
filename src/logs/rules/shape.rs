//! The TOML shape of a rule pack, as read before any check.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPack {
    pub(super) pack: RawHeader,
    #[serde(default, rename = "rule")]
    pub(super) rules: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHeader {
    pub(super) name: String,
    pub(super) version: String,
    #[serde(default)]
    pub(super) description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub(super) id: Spanned<String>,
    pub(super) title: Spanned<String>,
    pub(super) severity: Spanned<String>,
    #[serde(default)]
    pub(super) kinds: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) files: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) literals: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) case_insensitive: bool,
    #[serde(default)]
    pub(super) slow: bool,
    #[serde(default)]
    pub(super) regex: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) fields: Option<Spanned<BTreeMap<String, String>>>,
    #[serde(default)]
    pub(super) keep_fields: Vec<String>,
    #[serde(default)]
    pub(super) normalize: Option<Spanned<BTreeMap<String, String>>>,
    #[serde(default)]
    pub(super) context_lines: Option<Spanned<u32>>,
    #[serde(default)]
    pub(super) report: Option<bool>,
    #[serde(default)]
    pub(super) explanation: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) remediation: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) refs: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) sequence: Option<Spanned<RawSequence>>,
    #[serde(default)]
    pub(super) samples: Option<Spanned<RawSamples>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSequence {
    #[serde(default)]
    pub(super) key: Option<String>,
    #[serde(default = "default_window")]
    pub(super) window_seconds: u32,
    #[serde(default)]
    pub(super) requires_before: Vec<String>,
    #[serde(default)]
    pub(super) forbids_before: Vec<String>,
    #[serde(default)]
    pub(super) forbids_after: Vec<String>,
    #[serde(default)]
    pub(super) notes_before: Vec<String>,
    #[serde(default)]
    pub(super) min_repeats: Option<u32>,
}

/// The default `window_seconds` of a sequence.
fn default_window() -> u32 {
    30
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSamples {
    #[serde(default)]
    pub(super) kind: Option<String>,
    #[serde(default)]
    pub(super) positive: Vec<String>,
    #[serde(default)]
    pub(super) negative: Vec<String>,
}
