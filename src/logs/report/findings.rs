//! Rule hits as the report lists them, and the finding each becomes.

use std::collections::BTreeMap;

use crate::Finding;
use crate::logs::engine::RuleAcc;
use crate::logs::model::codes;
use crate::logs::model::{ErrorCodeSeen, RuleHit};
use crate::logs::rules::RuleSet;

/// Error codes listed at most.
const MAX_CODES: usize = 50;

/// The reported rules' hits, most severe first, then by count.
pub(super) fn hits(acc: Vec<RuleAcc>, set: &RuleSet) -> Vec<RuleHit> {
    let mut hits: Vec<RuleHit> = acc
        .into_iter()
        .enumerate()
        .filter(|(i, a)| set.rules[*i].report && a.count > 0)
        .map(|(i, a)| a.into_hit(i, set))
        .collect();
    hits.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| b.count.cmp(&a.count))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    hits
}

/// The failure codes seen, most frequent first, decoded.
pub(super) fn error_codes(counts: BTreeMap<u32, u64>) -> Vec<ErrorCodeSeen> {
    let mut error_codes: Vec<ErrorCodeSeen> = counts
        .into_iter()
        .map(|(c, n)| codes::decode(c, n))
        .collect();
    error_codes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
    error_codes.truncate(MAX_CODES);
    error_codes
}

/// The finding for one rule hit.
pub(super) fn finding(hit: &RuleHit, set: &RuleSet) -> Finding {
    let rule = set
        .rules
        .iter()
        .find(|r| r.id == hit.rule_id)
        .expect("hits come from loaded rules");
    let when = match (hit.first_seen, hit.last_seen) {
        (Some(a), Some(b)) if a == b => format!(" at {a}"),
        (Some(a), Some(b)) => format!(" between {a} and {b}"),
        _ => String::new(),
    };
    let files = hit.files.len() as u64 + hit.files_omitted;
    let detail = format!(
        "{} matching record(s) in {files} file(s){when}. {}",
        hit.count, rule.explanation
    );
    let mut f = Finding::new(&hit.rule_id, hit.severity, &hit.title, detail.trim_end())
        .with_evidence("count", hit.count)
        .with_evidence("first_seen", hit.first_seen)
        .with_evidence("last_seen", hit.last_seen)
        .with_evidence("files", hit.files.keys().take(5).collect::<Vec<_>>())
        .with_evidence("rule_pack", &hit.pack);
    if let Some(e) = hit.excerpts.first() {
        f = f.with_evidence("example", format!("{}:{}: {}", e.path, e.line, e.text));
    }
    if !hit.fields.is_empty() {
        let top: BTreeMap<&String, Vec<&String>> = hit
            .fields
            .iter()
            .map(|(k, v)| (k, v.iter().take(3).map(|c| &c.value).collect()))
            .collect();
        f = f.with_evidence("fields", top);
    }
    if !hit.preceded_by.is_empty() {
        f = f.with_evidence("preceded_by", &hit.preceded_by);
    }
    if !rule.remediation.is_empty() {
        f = f.with_remediation(&rule.remediation);
    }
    for r in &rule.refs {
        f = f.with_ref(r);
    }
    f
}
