//! `src/logs` is built in layers (see its module docs): a file may use
//! its own layer and the layers below it, never one above. This test
//! reads every file under `src/logs` and fails on an upward reference,
//! so the layering, and with it the absence of import cycles between
//! the layers, stays true as the code changes.
//!
//! References are read as text: every `crate::logs::<layer>` path (in
//! `use` lines, in code and in doc links). Paths that would hide which
//! layer they reach are refused: `crate::logs::{...}` groups, the root's
//! re-exports (`crate::logs::LogKind`) from inside a layer, `super::super`,
//! and `super::` in a layer's own `mod.rs` outside its tests.

use std::path::{Path, PathBuf};

/// The layers, lowest first.
const LAYERS: [&str; 6] = ["model", "input", "rules", "engine", "checks", "report"];

fn logs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/logs")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn rank(layer: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == layer)
}

/// The identifier at the start of `rest`.
fn ident(rest: &str) -> &str {
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// What is wrong with the references of one file of `layer` (`None`: the
/// root `mod.rs`, which may use every layer).
fn problems(text: &str, layer: Option<&str>, is_layer_root: bool) -> Vec<String> {
    let mut out = Vec::new();
    let Some(layer) = layer else {
        return out;
    };
    let own = rank(layer).unwrap();
    let code_end = text.find("#[cfg(test)]").unwrap_or(text.len());
    for (n, line) in text.lines().enumerate() {
        let at = format!("line {}", n + 1);
        let mut rest = line;
        while let Some(i) = rest.find("crate::logs::") {
            rest = &rest[i + "crate::logs::".len()..];
            if rest.starts_with('{') {
                out.push(format!(
                    "{at}: `crate::logs::{{...}}` hides the layers it uses"
                ));
                continue;
            }
            let name = ident(rest);
            match rank(name) {
                Some(r) if r > own => {
                    out.push(format!("{at}: layer {layer} uses the higher layer {name}"));
                }
                Some(_) => {}
                None => out.push(format!(
                    "{at}: `crate::logs::{name}` is the root's re-export; name the layer"
                )),
            }
        }
        if line.contains("super::super") {
            out.push(format!(
                "{at}: `super::super` leaves the directory; use crate::logs::<layer>"
            ));
        }
    }
    if is_layer_root && text[..code_end].contains("super::") {
        out.push(format!(
            "{layer}/mod.rs: `super::` outside tests reaches the root; use crate::logs::<layer>"
        ));
    }
    out
}

#[test]
fn no_layer_of_src_logs_uses_a_higher_one() {
    let root = logs_dir();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 20, "src/logs not found at {}", root.display());
    let mut found = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&root).unwrap();
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let layer = if parts.len() == 1 {
            assert_eq!(
                parts[0],
                "mod.rs",
                "{}: every file of src/logs belongs to a layer directory",
                rel.display()
            );
            None
        } else {
            assert!(
                rank(&parts[0]).is_some(),
                "{}: `{}` is not a layer ({LAYERS:?}); add it to the list in order",
                rel.display(),
                parts[0]
            );
            Some(parts[0].as_str())
        };
        let is_layer_root = parts.len() == 2 && parts[1] == "mod.rs";
        let text = std::fs::read_to_string(file).unwrap();
        for p in problems(&text, layer, is_layer_root) {
            found.push(format!("{}: {p}", rel.display()));
        }
    }
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

#[test]
fn the_check_sees_an_upward_import() {
    // The checker itself: each kind of breach is caught, the allowed
    // forms are not.
    let upward = "use crate::logs::engine::Settings;\n";
    assert_eq!(problems(upward, Some("rules"), false).len(), 1);
    assert!(problems(upward, Some("checks"), false).is_empty());
    assert!(problems(upward, Some("engine"), false).is_empty());
    assert!(problems(upward, None, false).is_empty());
    let in_code = "fn f() { crate::logs::report::scan(r) }\n";
    assert_eq!(problems(in_code, Some("model"), false).len(), 1);
    let group = "use crate::logs::{model::LogKind, rules::RuleSet};\n";
    assert_eq!(problems(group, Some("report"), false).len(), 1);
    let root = "use crate::logs::LogKind;\n";
    assert_eq!(problems(root, Some("input"), false).len(), 1);
    let escape = "use super::super::engine::Settings;\n";
    assert_eq!(problems(escape, Some("input"), false).len(), 1);
    let from_layer_root = "use super::rules::RuleSet;\n#[cfg(test)]\nmod tests { use super::*; }\n";
    assert_eq!(problems(from_layer_root, Some("model"), true).len(), 1);
    let tests_only = "mod a;\n#[cfg(test)]\nmod tests { use super::*; }\n";
    assert!(problems(tests_only, Some("model"), true).is_empty());
}
