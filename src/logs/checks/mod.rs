//! The pack self-checks, above the engine: a pack is only used once
//! every rule's samples have been run through the real scanner. Loading
//! a rule set for a scan or a listing goes through [`load`].

mod samples;

use crate::Error;
use crate::logs::rules::{RuleSet, load_without_samples};

/// Whether the samples of the built-in pack are run when it loads. They
/// cannot change after the build and the test suite runs them (unit test
/// `the_default_pack_passes_its_samples`, and end to end in
/// `tests/log_rules.rs`), so a scan does not pay for them; admin packs'
/// samples always run.
const CHECK_BUILT_IN_SAMPLES: bool = cfg!(test);

/// Loads the built-in pack (unless `default` is false) and the packs at
/// `paths`, checks and compiles them, and runs their samples. A bad pack
/// fails with [`Error::RequestInvalid`], naming its file and line.
pub(crate) fn load(default: bool, paths: &[String]) -> Result<RuleSet, Error> {
    let set = load_without_samples(default, paths)?;
    samples::check(&set, CHECK_BUILT_IN_SAMPLES)?;
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::rules::DEFAULT_SOURCE;

    #[test]
    fn the_default_pack_passes_its_samples() {
        // Unit tests build with CHECK_BUILT_IN_SAMPLES on.
        let set = load(true, &[]).unwrap();
        assert!(set.rules.len() >= 14);
        assert_eq!(set.packs[0].source, DEFAULT_SOURCE);
    }

    #[test]
    fn failing_samples_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("site.toml");
        let good = "\n[pack]\nname = \"site\"\nversion = \"1\"\n\n[[rule]]\nid = \"SITE_A\"\n\
                    title = \"A\"\nseverity = \"warning\"\nkinds = [\"text\"]\nliterals = [\"alpha\"]\n\
                    [rule.samples]\npositive = [\"x alpha y\"]\nnegative = [\"x beta y\"]\n";
        assert!(load(false, &[path_of(&path, good)]).is_ok());
        let bad = good.replace("negative = [\"x beta y\"]", "negative = [\"alpha\"]");
        let shown = path_of(&path, &bad);
        let Err(Error::RequestInvalid {
            path: field,
            message,
        }) = load(false, std::slice::from_ref(&shown))
        else {
            panic!("the failing sample was not reported");
        };
        assert_eq!(field, "rule_paths[0]");
        assert!(message.contains("negative sample 1"), "{message}");
        assert!(message.starts_with(&format!("{shown}:12:")), "{message}");
    }

    fn path_of(path: &std::path::Path, text: &str) -> String {
        std::fs::write(path, text).unwrap();
        path.display().to_string()
    }
}
