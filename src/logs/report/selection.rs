//! Which files a scan reads: the request's paths (or the default
//! locations) expanded, rotated siblings added, files last written
//! before the window left out, the rest grouped into streams.

use std::path::PathBuf;

use crate::logs::input::locations::{self, Stream};
use crate::logs::model::clean::utc;
use crate::logs::model::request::Checked;
use crate::logs::model::{LogScanRequest, NotScanned, SearchedLocation};

/// The files chosen for a scan.
#[derive(Debug)]
pub(super) struct Selection {
    /// Whether the request named no path (the default locations).
    pub(super) using_defaults: bool,
    /// Files found, those over the listing cap included.
    pub(super) files_found: u64,
    pub(super) streams: Vec<Stream>,
    /// Paths that could not be listed, and files left out.
    pub(super) not_scanned: Vec<NotScanned>,
    pub(super) searched: Vec<SearchedLocation>,
}

/// Chooses the files of a scan whose window starts at `since_ms`.
pub(super) fn select(request: &LogScanRequest, checked: &Checked, since_ms: i64) -> Selection {
    let using_defaults = request.paths.is_empty();
    let mut expanded = if using_defaults {
        locations::defaults()
    } else {
        locations::expand(&request.paths)
    };
    if request.merge_rotated {
        locations::add_siblings(&mut expanded);
    }
    let mut not_scanned = std::mem::take(&mut expanded.not_scanned);
    let files_found = expanded.files.len() as u64 + expanded.omitted;
    let files: Vec<PathBuf> = expanded
        .files
        .into_iter()
        .filter(|f| match older_than_window(f, since_ms, checked) {
            Some(skipped) => {
                not_scanned.push(skipped);
                false
            }
            None => true,
        })
        .collect();
    Selection {
        using_defaults,
        files_found,
        streams: locations::streams(files, request.merge_rotated),
        not_scanned,
        searched: expanded.searched,
    }
}

/// Why `file` is not read when it was last written before the window:
/// logs are appended to, so such a file holds no record inside it.
fn older_than_window(file: &PathBuf, since_ms: i64, checked: &Checked) -> Option<NotScanned> {
    let modified = std::fs::metadata(file).and_then(|m| m.modified()).ok();
    let modified_ms = modified.and_then(|m| {
        m.duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_millis()).ok())
    })?;
    (modified_ms < since_ms).then(|| NotScanned {
        path: file.display().to_string(),
        reason: "older_than_window".to_owned(),
        detail: format!(
            "last modified {} before since ({})",
            utc(modified_ms).map_or_else(String::new, |t| t.to_string()),
            checked.since
        ),
    })
}
