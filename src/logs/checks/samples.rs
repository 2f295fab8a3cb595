//! Every rule's positive and negative samples, run through the scanner.

use crate::report::{Cut, clip};
use std::sync::Arc;

use crate::Error;
use crate::logs::engine::{Settings, sample_hits};
use crate::logs::model::LogKind;
use crate::logs::rules::{DEFAULT_SOURCE, Matcher, RuleSet};

/// Checks rule samples: every rule of the set is tried on each sample
/// (whatever its kinds), so that the rule under test and the rules its
/// sequence refers to always apply.
#[derive(Debug)]
struct SampleChecker<'a> {
    set: &'a RuleSet,
    matcher: Arc<Matcher>,
    settings: Settings,
}

impl<'a> SampleChecker<'a> {
    fn new(set: &'a RuleSet) -> SampleChecker<'a> {
        SampleChecker {
            set,
            matcher: Arc::new(set.matcher((0..set.rules.len()).collect())),
            settings: Settings {
                chunk: 4096,
                carry_max: 4096,
                pipeline: false,
                ..Settings::unfiltered(64 << 10)
            },
        }
    }

    /// How often `rule` fires on a sample read as a file of `kind`.
    fn hits(&self, kind: LogKind, sample: &str, rule: usize) -> u64 {
        sample_hits(
            self.set,
            &self.settings,
            self.matcher.clone(),
            kind,
            sample,
            rule,
        )
    }
}

/// Why a sample failed its rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    /// A positive sample did not make the rule fire.
    Positive,
    /// A negative sample made it fire.
    Negative,
}

/// Runs every rule's samples through the scanner: each positive sample
/// must make the rule fire, each negative one must not. The built-in
/// pack's are run only when `built_in` is set.
pub(super) fn check(set: &RuleSet, built_in: bool) -> Result<(), Error> {
    let mut checker = None;
    for (i, rule) in set.rules.iter().enumerate() {
        let pack = &set.packs[rule.pack];
        if pack.source == DEFAULT_SOURCE && !built_in {
            continue;
        }
        let checker = checker.get_or_insert_with(|| SampleChecker::new(set));
        let kind = rule.sample_kind();
        let positive = rule.samples.positive.iter().map(|s| (Failure::Positive, s));
        let negative = rule.samples.negative.iter().map(|s| (Failure::Negative, s));
        let failed =
            positive
                .enumerate()
                .chain(negative.enumerate())
                .find(|(_, (which, sample))| {
                    let fired = checker.hits(kind, sample, i) != 0;
                    fired == (*which == Failure::Negative)
                });
        if let Some((n, (which, sample))) = failed {
            return Err(failure(set, i, which, n + 1, sample));
        }
    }
    Ok(())
}

/// The error for sample `n` of rule `i` that failed as `which` says.
fn failure(set: &RuleSet, i: usize, which: Failure, n: usize, sample: &str) -> Error {
    let rule = &set.rules[i];
    let shown = clip(sample, 120, Cut::Silent);
    let (which, what) = match which {
        Failure::Positive => ("positive", "does not make the rule fire"),
        Failure::Negative => ("negative", "makes the rule fire"),
    };
    Error::RequestInvalid {
        path: set.pack_fields[rule.pack].clone(),
        message: format!(
            "{}: rule {}: {which} sample {n} ({shown:?}) {what}",
            rule.samples.at, rule.id
        ),
    }
}
