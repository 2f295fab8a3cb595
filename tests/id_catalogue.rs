//! The stable ids scripts and dashboards key on have one home each, and the
//! README documents exactly them.
//!
//! The homes: the Rust catalogues declared with one macro (`ALL` of each
//! domain's `ids` module), the verdicts (`VerdictId`, read through its JSON
//! schema) and the built-in rule pack (read through `list_rules`). The
//! README's id tables are the markdown tables whose first header cell is
//! `id` or `verdict`; their first column holds one back-ticked id per row.
//!
//! Checked both ways: every id with a home is in a README table (a missing
//! row is listed with what it needs), every id in a README table has a
//! home, no id has two homes, and every rule id code reads by name
//! (`nymidiag::logs::rule_ids`) is still defined by the built-in pack.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use nymidiag::diagnose::VerdictId;
use nymidiag::logs::{RuleInfo, RuleListRequest, list_rules};

/// The Rust catalogues of finding ids: where each lives, and its ids. A new
/// catalogue is one line here.
const CATALOGUES: &[(&str, &[&str])] = &[
    ("src/probe/ids.rs", nymidiag::probe::ids::ALL),
    ("src/certs/ids.rs", nymidiag::certs::ids::ALL),
    ("src/host/ids.rs", nymidiag::host::ids::ALL),
    ("src/diagnose/ids.rs", nymidiag::diagnose::ids::ALL),
];

/// The README, read at compile time so the test needs no working directory.
const README: &str = include_str!("../README.md");

/// Every id with a home, and where that home is (one entry per home, so an
/// id declared twice shows up twice).
fn homes() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (home, ids) in CATALOGUES {
        out.extend(ids.iter().map(|id| (id.to_string(), home.to_string())));
    }
    out.extend(
        verdict_ids()
            .into_iter()
            .map(|id| (id, "src/diagnose/model.rs (VerdictId)".to_owned())),
    );
    out.extend(
        builtin_rules()
            .into_iter()
            .map(|r| (r.id, "the built-in rule pack".to_owned())),
    );
    out
}

/// The verdict ids, as the JSON schema of [`VerdictId`] lists them (the
/// enum offers no public list; the schema is what callers see).
fn verdict_ids() -> Vec<String> {
    let schema = serde_json::to_value(schemars::schema_for!(VerdictId)).unwrap();
    let variants = schema["oneOf"]
        .as_array()
        .expect("VerdictId's schema lists its variants in oneOf");
    let ids: Vec<String> = variants
        .iter()
        .map(|v| {
            v["const"]
                .as_str()
                .unwrap_or_else(|| panic!("a VerdictId variant without const: {v}"))
                .to_owned()
        })
        .collect();
    assert!(ids.contains(&"HEALTHY".to_owned()), "{ids:?}");
    ids
}

/// The rules of the built-in pack alone.
fn builtin_rules() -> Vec<RuleInfo> {
    let report = list_rules(&RuleListRequest::default()).expect("the built-in pack loads");
    assert!(!report.data.rules.is_empty());
    report.data.rules
}

/// The ids in the README's id tables, each with the heading of its section.
fn readme_ids() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut heading = String::new();
    // Whether the table being read is an id table.
    let mut in_id_table = false;
    let mut previous_was_table = false;
    let mut in_code = false;
    for line in README.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if in_code {
            continue;
        }
        if let Some(title) = line.strip_prefix('#') {
            heading = title.trim_start_matches('#').trim().to_owned();
        }
        let is_table = line.starts_with('|');
        if !is_table {
            in_id_table = false;
            previous_was_table = false;
            continue;
        }
        let first = line.split('|').nth(1).unwrap_or("").trim();
        if !previous_was_table {
            // A header row starts a new table.
            in_id_table = first == "id" || first == "verdict";
        } else if in_id_table {
            if let Some(id) = backticked_id(first) {
                let again = out.insert(id.to_owned(), heading.clone());
                assert!(again.is_none(), "README lists {id} twice");
            } else {
                assert!(
                    first.starts_with("---"),
                    "README id table under \"{heading}\": first cell is not a back-ticked \
                     id: {line}"
                );
            }
        }
        previous_was_table = true;
    }
    out
}

/// `` `NES_DNS_FAILED` `` gives `NES_DNS_FAILED`; anything else nothing.
fn backticked_id(cell: &str) -> Option<&str> {
    let id = cell.strip_prefix('`')?.strip_suffix('`')?;
    let mut chars = id.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    well_formed.then_some(id)
}

#[test]
fn the_readme_tables_are_found() {
    let ids = readme_ids();
    // Anchors from each table, so a change in the README's layout cannot
    // make the other tests pass by reading nothing.
    for (id, section) in [
        ("HEALTHY", "The diagnosis"),
        ("NEA_CERTS_MISSING", "Finding ids"),
        ("NES_DNS_FAILED", "Finding ids"),
        ("LOG_TOKEN_REQUEST_FAILED", "Finding ids"),
    ] {
        assert_eq!(ids.get(id).map(String::as_str), Some(section), "{id}");
    }
    // The C ABI status table (first column: the number) is not an id table.
    assert!(!ids.contains_key("REQUEST_INVALID"));
}

#[test]
fn no_id_has_two_homes() {
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, home) in homes() {
        seen.entry(id).or_default().push(home);
    }
    let twice: Vec<String> = seen
        .into_iter()
        .filter(|(_, homes)| homes.len() > 1)
        .map(|(id, homes)| format!("{id}: {}", homes.join(", ")))
        .collect();
    assert!(
        twice.is_empty(),
        "ids with more than one home:\n{}",
        twice.join("\n")
    );
}

#[test]
fn every_rule_id_code_reads_is_defined_by_the_builtin_pack() {
    let pack: BTreeSet<String> = builtin_rules().into_iter().map(|r| r.id).collect();
    let undefined: Vec<&str> = nymidiag::logs::rule_ids::ALL
        .iter()
        .copied()
        .filter(|id| !pack.contains(*id))
        .collect();
    assert!(
        undefined.is_empty(),
        "src/logs/rule_ids.rs names rules the built-in pack no longer defines: {undefined:?}"
    );
}

#[test]
fn every_id_with_a_home_is_in_the_readme() {
    let readme = readme_ids();
    let rules: BTreeMap<String, RuleInfo> = builtin_rules()
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let mut rows = String::new();
    for (id, home) in homes() {
        if readme.contains_key(&id) {
            continue;
        }
        // A rule's row can be written from the pack; other ids need their
        // catalogue's doc comment.
        let row = match rules.get(&id) {
            Some(r) => format!(
                "| `{id}` | {}{} | log_scan ({}) | {} |",
                serde_json::to_value(r.severity).unwrap().as_str().unwrap(),
                if r.reported {
                    ""
                } else {
                    " (helper rule: never a finding)"
                },
                r.kinds
                    .iter()
                    .map(|k| serde_json::to_value(k)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_owned())
                    .collect::<Vec<_>>()
                    .join(", "),
                r.title
            ),
            None => format!("| `{id}` | ... | ... | (see the doc comment in {home}) |"),
        };
        writeln!(rows, "{row}").unwrap();
    }
    assert!(
        rows.is_empty(),
        "ids with a home in code or the built-in pack but no row in the README's id tables \
         (\"Finding ids\", or the verdict table of \"The diagnosis\"); add:\n{rows}"
    );
}

#[test]
fn every_id_in_the_readme_has_a_home() {
    let homes: BTreeSet<String> = homes().into_iter().map(|(id, _)| id).collect();
    let orphans: Vec<String> = readme_ids()
        .into_iter()
        .filter(|(id, _)| !homes.contains(id))
        .map(|(id, section)| format!("{id} (README, \"{section}\")"))
        .collect();
    assert!(
        orphans.is_empty(),
        "ids the README lists that no catalogue (CATALOGUES in this file), verdict or \
         built-in rule defines: declare each in its domain's ids module:\n{}",
        orphans.join("\n")
    );
}
