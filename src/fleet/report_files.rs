//! The `reports` source: a folder tree of JSON report files, as
//! `Save-NymiReport` and the Intune and GPO scripts write them (copied to
//! a share, for example). Two shapes are read: a diagnose report
//! (`capability: diagnose`: `data.status_line`, `context.host`,
//! `started_utc`) and a host script's run record (`status_line`,
//! `computer`, `started_utc`, the diagnosis in `diagnosis`). Any other
//! file, a partial one, or a report of another schema version is a row
//! with the reason, never dropped and never a failure of the whole call.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use time::Date;

use super::source_row::{SourceRow, non_empty};
use super::text_decode::decode;
use super::timestamps::parse_last_seen;
use crate::fsutil::read_capped;

/// Largest report file read: a diagnosis aims at 1.8 MB; a run record
/// around a large one may be bigger.
const MAX_REPORT_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Deepest folder level walked below the root.
const MAX_DEPTH: usize = 16;
/// Most threads reading files at once: reading is mostly parsing, so more
/// threads than cores gain nothing, and a share gives no more.
const WORKERS_MAX: usize = 8;

/// What a folder gave.
#[derive(Debug, Default)]
pub(crate) struct FolderRead {
    /// One row per JSON file, in path order.
    pub(crate) rows: Vec<SourceRow>,
    /// Soft problems (links not followed, folders too deep).
    pub(crate) warnings: Vec<String>,
}

/// Reads every `*.json` file under `root` (at most `max_files`).
pub(crate) fn read_report_folder(root: &Path, max_files: usize) -> Result<FolderRead, String> {
    let shown = root.display().to_string();
    let meta = fs::metadata(root).map_err(|e| format!("'{shown}' cannot be read: {e}"))?;
    if !meta.is_dir() {
        return Err(format!("'{shown}' is not a folder"));
    }
    let canonical_root =
        fs::canonicalize(root).map_err(|e| format!("'{shown}' cannot be read: {e}"))?;
    let mut walk = Walk::default();
    walk.folder(root, &canonical_root, 0, max_files)?;
    walk.files.sort();
    let rows = read_all(&walk.files);
    let mut warnings = Vec::new();
    if walk.links_skipped > 0 {
        warnings.push(format!(
            "{} link(s) under '{shown}' were not followed: folder links and links to outside the folder are skipped",
            walk.links_skipped
        ));
    }
    if walk.too_deep > 0 {
        warnings.push(format!(
            "{} folder(s) deeper than {MAX_DEPTH} levels under '{shown}' were not read",
            walk.too_deep
        ));
    }
    if walk.unreadable_folders > 0 {
        warnings.push(format!(
            "{} folder(s) under '{shown}' could not be listed",
            walk.unreadable_folders
        ));
    }
    Ok(FolderRead { rows, warnings })
}

/// The files found so far.
#[derive(Default)]
struct Walk {
    files: Vec<PathBuf>,
    links_skipped: u64,
    too_deep: u64,
    unreadable_folders: u64,
}

impl Walk {
    fn folder(
        &mut self,
        folder: &Path,
        root: &Path,
        depth: usize,
        max_files: usize,
    ) -> Result<(), String> {
        let Ok(entries) = fs::read_dir(folder) else {
            self.unreadable_folders += 1;
            return Ok(());
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                if depth + 1 > MAX_DEPTH {
                    self.too_deep += 1;
                } else {
                    self.folder(&path, root, depth + 1, max_files)?;
                }
                continue;
            }
            if kind.is_symlink() {
                // A link to a JSON file inside the folder is read; a link
                // to a folder (a loop, or a tree elsewhere) or to outside
                // is not.
                let target = fs::canonicalize(&path).ok();
                let is_folder = target
                    .as_ref()
                    .and_then(|t| fs::metadata(t).ok())
                    .is_some_and(|m| m.is_dir());
                if is_folder {
                    self.links_skipped += 1;
                    continue;
                }
                if !is_json(&path) {
                    continue;
                }
                let inside = target
                    .filter(|t| t.starts_with(root))
                    .and_then(|t| fs::metadata(&t).ok())
                    .is_some_and(|m| m.is_file());
                if !inside {
                    self.links_skipped += 1;
                    continue;
                }
            } else if !kind.is_file() || !is_json(&path) {
                continue;
            }
            if self.files.len() >= max_files {
                return Err(format!(
                    "the folder holds more than {max_files} JSON files, the most one report reads"
                ));
            }
            self.files.push(path);
        }
        Ok(())
    }
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Reads the files on a few threads; the rows keep the files' order.
fn read_all(files: &[PathBuf]) -> Vec<SourceRow> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, WORKERS_MAX);
    if workers == 1 || files.len() < 64 {
        return files.iter().map(|p| read_report(p)).collect();
    }
    let chunk = files.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().map(|p| read_report(p)).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(rows) => rows,
                // read_report does not panic; should it, the panic goes on
                // to the C boundary, which reports it.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// The row of one report file.
pub(crate) fn read_report(path: &Path) -> SourceRow {
    let origin = path.display().to_string();
    let unreadable = |reason: String| SourceRow {
        origin: origin.clone(),
        unreadable: Some(reason),
        ..SourceRow::default()
    };
    let bytes = match read_capped(path, MAX_REPORT_FILE_BYTES) {
        Ok(b) => b,
        Err(e) => return unreadable(format!("the file cannot be read: {e}")),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return unreadable("the file is empty".to_owned());
    }
    let (text, _) = decode(&bytes);
    match serde_json::from_str::<Doc>(&text) {
        Ok(doc) => doc.into_row(origin),
        Err(e) => unreadable(json_problem(&text, &e)),
    }
}

fn json_problem(text: &str, e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    // A file cut while written ends inside a string as often as between
    // values; the line end a writer adds then reads as a control
    // character. Either way nothing but white space follows the error.
    let at_end = text
        .get(error_offset(text, e.line(), e.column())..)
        .is_none_or(|rest| rest.trim().is_empty());
    let partial = || {
        format!(
            "partial JSON: the file ends before the document does (line {}, column {})",
            e.line(),
            e.column()
        )
    };
    match e.classify() {
        Category::Eof => partial(),
        Category::Syntax if at_end => partial(),
        Category::Syntax => format!("not JSON: {e}"),
        Category::Data => format!("not a report: {e}"),
        Category::Io => format!("the file cannot be read: {e}"),
    }
}

/// The byte offset of serde_json's 1-based line and column (the column of
/// the character at fault; 0 when the fault is the line end before it).
fn error_offset(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    start
        .saturating_add(column.saturating_sub(1))
        .min(text.len())
}

/// A report file, only the fields the fleet reads.
#[derive(Deserialize)]
struct Doc {
    #[serde(default)]
    schema_version: Option<serde_json::Value>,
    #[serde(default)]
    capability: Option<String>,
    #[serde(default)]
    started_utc: Option<String>,
    #[serde(default)]
    context: Option<DocContext>,
    #[serde(default)]
    data: Option<DocData>,
    #[serde(default)]
    computer: Option<String>,
    #[serde(default)]
    site: Option<String>,
    /// `Some(None)` when the key is there with `null`: a run record whose
    /// run printed nothing is still a run record.
    #[serde(default, deserialize_with = "present")]
    status_line: Option<Option<String>>,
    #[serde(default)]
    diagnosis: Option<Box<Doc>>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct DocContext {
    #[serde(default)]
    host: Option<String>,
}

#[derive(Deserialize)]
struct DocData {
    #[serde(default)]
    status_line: Option<String>,
    #[serde(default)]
    site: Option<String>,
    #[serde(default)]
    inputs: Option<DocInputs>,
}

#[derive(Deserialize)]
struct DocInputs {
    #[serde(default)]
    cert_inventory: Option<DocPart>,
}

#[derive(Deserialize)]
struct DocPart {
    #[serde(default)]
    data: Option<DocInventory>,
}

#[derive(Deserialize)]
struct DocInventory {
    #[serde(default)]
    stores: Vec<DocStore>,
}

#[derive(Deserialize)]
struct DocStore {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    validity: Option<DocValidity>,
}

#[derive(Deserialize)]
struct DocValidity {
    #[serde(default)]
    earliest_not_after: Option<String>,
}

impl Doc {
    /// Why this is not a diagnosis the fleet reads, or `None`.
    fn diagnosis_problem(&self) -> Option<String> {
        let capability = self.capability.as_deref()?;
        if capability != crate::report::Capability::Diagnose.name() {
            return Some(format!(
                "a '{}' report, not a diagnosis",
                crate::report::safe_text(capability, 40)
            ));
        }
        let version = self
            .schema_version
            .as_ref()
            .and_then(serde_json::Value::as_u64);
        if version != Some(u64::from(crate::SCHEMA_VERSION)) {
            let shown = self.schema_version.as_ref().map_or_else(
                || "none".to_owned(),
                |v| crate::report::safe_text(&v.to_string(), 40),
            );
            return Some(format!(
                "schema version {shown}; this version reads schema version {}",
                crate::SCHEMA_VERSION
            ));
        }
        None
    }

    /// The earliest expiry of the active stores of the diagnosis's
    /// certificate inventory (all stores when none says its role).
    fn earliest_expiry(&self) -> Option<Date> {
        let stores = &self
            .data
            .as_ref()?
            .inputs
            .as_ref()?
            .cert_inventory
            .as_ref()?
            .data
            .as_ref()?
            .stores;
        stores
            .iter()
            .filter(|s| s.role.as_deref().is_none_or(|r| r == "active"))
            .filter_map(|s| s.validity.as_ref()?.earliest_not_after.as_deref())
            .filter_map(parse_last_seen)
            .map(|t| t.date())
            .min()
    }

    fn host(&self) -> Option<String> {
        self.context.as_ref()?.host.as_deref().and_then(non_empty)
    }

    fn into_row(self, origin: String) -> SourceRow {
        let last_seen = self.started_utc.as_deref().and_then(parse_last_seen);
        if self.capability.is_some() {
            let mut row = SourceRow {
                device_name: self.host(),
                last_seen,
                origin,
                ..SourceRow::default()
            };
            if let Some(problem) = self.diagnosis_problem() {
                row.unreadable = Some(problem);
                return row;
            }
            row.expiry_fallback = self.earliest_expiry();
            match self.data {
                Some(DocData {
                    status_line: Some(line),
                    site,
                    ..
                }) => {
                    row.output = Some(line);
                    row.site_fallback = site.as_deref().and_then(non_empty);
                }
                _ => row.unreadable = Some("the diagnosis has no data.status_line".to_owned()),
            }
            return row;
        }
        if let Some(line) = self.status_line {
            // A run record of the Intune or GPO scripts.
            let diagnosis = self
                .diagnosis
                .filter(|d| d.capability.is_some() && d.diagnosis_problem().is_none());
            let device_name = self
                .computer
                .as_deref()
                .and_then(non_empty)
                .or_else(|| diagnosis.as_ref().and_then(|d| d.host()));
            let site_fallback = self.site.as_deref().and_then(non_empty).or_else(|| {
                diagnosis
                    .as_ref()
                    .and_then(|d| d.data.as_ref()?.site.as_deref().and_then(non_empty))
            });
            return SourceRow {
                device_name,
                output: line,
                last_seen,
                origin,
                expiry_fallback: diagnosis.as_ref().and_then(|d| d.earliest_expiry()),
                site_fallback,
                ..SourceRow::default()
            };
        }
        SourceRow {
            origin,
            unreadable: Some(
                "neither a diagnose report nor a run record (no 'capability' and no 'status_line')"
                    .to_owned(),
            ),
            ..SourceRow::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> String {
        let e = serde_json::from_str::<Doc>(text).err().expect("an error");
        json_problem(text, &e)
    }

    #[test]
    fn a_cut_file_is_partial_and_garbage_is_not_json() {
        let whole = r#"{"schema_version": 1, "capability": "diagnose", "data": {"status_line": "STATUS=OK"}}"#;
        for cut in [20, 40, 60, whole.len() - 1] {
            for end in ["", "\n", "\r\n  "] {
                let text = format!("{}{end}", &whole[..cut]);
                assert!(
                    problem(&text).starts_with("partial JSON"),
                    "{text:?}: {}",
                    problem(&text)
                );
            }
        }
        for text in ["x", "this is not json", "{\"a\": 1} trailing", "{,}"] {
            assert!(
                problem(text).starts_with("not JSON"),
                "{text:?}: {}",
                problem(text)
            );
        }
        assert!(problem(r#"{"capability": 5}"#).starts_with("not a report"));
    }

    #[test]
    fn offsets_follow_lines_and_columns() {
        let text = "ab\ncd\n";
        assert_eq!(error_offset(text, 1, 1), 0);
        assert_eq!(error_offset(text, 2, 2), 4);
        assert_eq!(error_offset(text, 3, 0), 6);
        assert_eq!(error_offset(text, 9, 9), 6);
    }
}
