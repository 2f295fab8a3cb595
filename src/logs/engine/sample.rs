//! Running one rule sample through the real scanner, for the pack
//! self-checks.

use std::sync::Arc;

use time::UtcOffset;

use super::file::FileScan;
use super::records::Framing;
use super::scanner::Engine;
use super::settings::Settings;
use super::streams::Matchers;
use crate::logs::input::format::{ParseSettings, Parser};
use crate::logs::input::source::SliceInput;
use crate::logs::model::{DateOrder, LogKind};
use crate::logs::rules::{Matcher, RuleSet};

/// How often `rule` fires on `sample` read as a file of `kind`, with
/// `matcher` as the prefilter.
pub(crate) fn sample_hits(
    set: &RuleSet,
    settings: &Settings,
    matcher: Arc<Matcher>,
    kind: LogKind,
    sample: &str,
    rule: usize,
) -> u64 {
    let matchers = Matchers::default();
    let mut engine = Engine::new(set, settings, &matchers, Vec::new());
    let parse = ParseSettings {
        offset: UtcOffset::UTC,
        date_order: DateOrder::YyMmDd,
    };
    let mut fs = FileScan::new(Arc::from("sample"), kind, Parser::new(kind, parse), matcher);
    fs.framing = Framing::of(kind, sample);
    // In-memory input cannot fail.
    let _ = engine.run(&mut fs, &mut SliceInput::new(sample.as_bytes()));
    engine.finish();
    engine.acc[rule].count
}
