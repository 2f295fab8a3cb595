//! Which files to read: the caller's paths (files, folders, wildcards) or
//! the usual Nymi, Evidian, firewall and IIS locations, plus rotated
//! siblings grouped into families.
//!
//! The default folders are Windows paths (domain brief section 2), listed
//! by `default_locations`. Where the brief does not know a folder
//! (nymi_api.log, the WGSS trace) the likely roots are searched recursively
//! for the file-name pattern. On other systems none of them exists; the
//! report lists them anyway so that an empty result says what was looked
//! for.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use globset::{GlobBuilder, GlobMatcher};

use super::default_locations::{
    DefaultLocation, default_locations, nes_server_locations, user_profiles,
};
use super::source::describe_io_error;
use crate::fsutil::SpecialKind;
use crate::logs::model::{NotScanned, SearchedLocation};
use crate::windows_folders::WindowsFolders;

/// Most files taken from all paths together.
pub(crate) const MAX_FILES: usize = 5000;
/// Folder depth searched below a folder given as a path.
const FOLDER_DEPTH: usize = 8;

/// What the paths expanded to.
#[derive(Debug, Default)]
pub(crate) struct Expanded {
    pub(crate) files: Vec<PathBuf>,
    pub(crate) not_scanned: Vec<NotScanned>,
    pub(crate) searched: Vec<SearchedLocation>,
    /// Files left out beyond [`MAX_FILES`].
    pub(crate) omitted: u64,
}

impl Expanded {
    fn add(&mut self, path: PathBuf) -> bool {
        if self.files.len() >= MAX_FILES {
            self.omitted += 1;
            return false;
        }
        if !self.files.contains(&path) {
            self.files.push(path);
        }
        true
    }

    fn unreadable(&mut self, path: &Path, e: &std::io::Error) {
        let (reason, detail) = describe_io_error(e);
        self.not_scanned.push(NotScanned {
            path: path.display().to_string(),
            reason: reason.to_owned(),
            detail,
        });
    }
}

fn glob(pattern: &str) -> Option<GlobMatcher> {
    GlobBuilder::new(pattern)
        .case_insensitive(true)
        .literal_separator(false)
        .backslash_escape(false)
        .build()
        .ok()
        .map(|g| g.compile_matcher())
}

/// Expands the caller's paths.
pub(crate) fn expand(paths: &[String]) -> Expanded {
    let mut out = Expanded::default();
    for p in paths {
        let p = p.trim();
        if p.contains(['*', '?', '[']) {
            expand_wildcard(p, &mut out);
            continue;
        }
        let path = PathBuf::from(p);
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk(&path, FOLDER_DEPTH, None, &mut out),
            Ok(_) => {
                out.add(path);
            }
            Err(e) => out.unreadable(&path, &e),
        }
    }
    finish(&mut out);
    out
}

/// Notes files left out because of the cap.
fn finish(out: &mut Expanded) {
    if out.omitted > 0 {
        out.not_scanned.push(NotScanned {
            path: String::new(),
            reason: "too_many_files".to_owned(),
            detail: format!(
                "{} more files matched; at most {MAX_FILES} are read per scan: narrow the paths",
                out.omitted
            ),
        });
    }
}

/// `C:\logs\W3SVC*\u_ex*.log`: walk from the last folder without a
/// wildcard, matching the whole path.
fn expand_wildcard(pattern: &str, out: &mut Expanded) {
    let normalized = pattern.replace('\\', "/");
    let first_wild = normalized.find(['*', '?', '[']).unwrap_or(0);
    let base_end = normalized[..first_wild].rfind('/').map_or(0, |i| i + 1);
    let base = if base_end == 0 {
        PathBuf::from(".")
    } else {
        PathBuf::from(&pattern[..base_end])
    };
    let rest = &normalized[base_end..];
    let depth = if rest.contains("**") {
        FOLDER_DEPTH
    } else {
        rest.matches('/').count()
    };
    let Some(matcher) = glob(&normalized) else {
        out.not_scanned.push(NotScanned {
            path: pattern.to_owned(),
            reason: "not_found".to_owned(),
            detail: "not a valid wildcard pattern".to_owned(),
        });
        return;
    };
    let before = out.files.len();
    match std::fs::metadata(&base) {
        Ok(m) if m.is_dir() => walk(&base, depth, Some(&PathMatch::Full(matcher)), out),
        Ok(_) => {}
        Err(e) => out.unreadable(&base, &e),
    }
    if out.files.len() == before && out.omitted == 0 {
        out.not_scanned.push(NotScanned {
            path: pattern.to_owned(),
            reason: "not_found".to_owned(),
            detail: "no file matches the pattern".to_owned(),
        });
    }
}

/// What a walk keeps.
enum PathMatch {
    /// The whole path (`/`-separated) must match.
    Full(GlobMatcher),
    /// The file name must match.
    Name(GlobMatcher),
}

impl PathMatch {
    fn is_match(&self, path: &Path) -> bool {
        match self {
            PathMatch::Full(g) => g.is_match(path.to_string_lossy().replace('\\', "/")),
            PathMatch::Name(g) => path.file_name().is_some_and(|n| g.is_match(n)),
        }
    }
}

/// Adds the regular files below `dir` (symbolic links to folders are not
/// followed, so a link loop cannot trap the walk).
fn walk(dir: &Path, depth: usize, filter: Option<&PathMatch>, out: &mut Expanded) {
    let root = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    walk_in(&root, dir, depth, filter, out);
}

/// [`walk`] below `root`: a file found through a link whose target lies
/// outside `root` is not read. The tool reads as SYSTEM where users can
/// write (their profiles, `C:\Nymi`): a planted link must not make it read,
/// and quote in reports and bundles, a file the user could not read.
fn walk_in(root: &Path, dir: &Path, depth: usize, filter: Option<&PathMatch>, out: &mut Expanded) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.unreadable(dir, &e);
            return;
        }
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else {
            continue;
        };
        if ft.is_dir() {
            if depth > 0 {
                walk_in(root, &path, depth - 1, filter, out);
            }
        } else if filter.is_none_or(|f| f.is_match(&path)) {
            let target = std::fs::metadata(&path).map(|m| m.file_type());
            let is_file = ft.is_file() || target.as_ref().is_ok_and(|t| t.is_file());
            let outside = ft
                .is_symlink()
                .then(|| std::fs::canonicalize(&path).ok())
                .flatten()
                .filter(|target| !target.starts_with(root));
            if is_file && let Some(target) = outside {
                out.not_scanned.push(NotScanned {
                    path: path.display().to_string(),
                    reason: "link_outside".to_owned(),
                    detail: format!(
                        "a link to '{}', outside the folder searched ('{}'): not read",
                        target.display(),
                        root.display()
                    ),
                });
            } else if is_file {
                if !out.add(path) {
                    return;
                }
            } else if let Some(kind) = target
                .ok()
                .filter(|t| !t.is_dir())
                .and_then(|t| SpecialKind::of(&t))
            {
                // FIFOs, sockets, devices: said, never opened (a FIFO
                // would block the reader until a writer came).
                out.not_scanned.push(NotScanned {
                    path: path.display().to_string(),
                    reason: "not_a_file".to_owned(),
                    detail: format!("not a regular file ({kind})"),
                });
            }
        }
    }
}

/// Searches the default locations of this process (see
/// [`default_locations`]). Nothing is looked up on systems other than
/// Windows, where the folders cannot exist.
pub(crate) fn defaults() -> Expanded {
    let folders = WindowsFolders::of_platform();
    search_defaults(default_locations(&folders, &user_profiles(&folders)))
}

/// Searches the NES server's IIS and HTTP.sys error log folders only (the
/// NES client report's default).
pub(crate) fn nes_server_defaults() -> Expanded {
    search_defaults(nes_server_locations(&WindowsFolders::of_platform()))
}

/// Searches `locations`, each listed in `searched` under the folder name
/// that was read.
fn search_defaults(locations: Vec<DefaultLocation>) -> Expanded {
    let mut out = Expanded::default();
    for d in locations {
        let exists = cfg!(windows) && Path::new(&d.folder).is_dir();
        let before = out.files.len();
        if exists && let Some(g) = glob(d.pattern) {
            walk(
                Path::new(&d.folder),
                d.depth,
                Some(&PathMatch::Name(g)),
                &mut out,
            );
        }
        out.searched.push(SearchedLocation {
            folder: d.folder,
            pattern: d.pattern.to_owned(),
            purpose: d.purpose.to_owned(),
            exists,
            files_found: (out.files.len() - before) as u64,
        });
    }
    // A folder that cannot be read is only worth reporting where it exists.
    finish(&mut out);
    out
}

/// The rotation family of a file name: rotation suffixes (`.old`, `.bak`,
/// `.1`, `.2024-05-02`) dropped and digit runs folded, so `pfirewall.log`
/// and `pfirewall.log.old`, or `u_ex240501.log` and `u_ex240502.log`, fall
/// together.
pub(crate) fn family_key(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let mut parts: Vec<&str> = lower.split('.').collect();
    let head = parts.remove(0);
    parts.retain(|p| {
        !(*p == "old"
            || *p == "bak"
            || (!p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_digit() || b == b'-' || b == b'_')))
    });
    let mut key = String::new();
    let mut in_digits = false;
    for c in head.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                key.push('#');
            }
            in_digits = true;
        } else {
            key.push(c);
            in_digits = false;
        }
    }
    for p in parts {
        key.push('.');
        key.push_str(p);
    }
    key
}

/// Adds the rotated siblings of every file (same folder, same family).
pub(crate) fn add_siblings(out: &mut Expanded) {
    let mut folders: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    for f in &out.files {
        if let (Some(dir), Some(name)) = (f.parent(), f.file_name()) {
            folders
                .entry(dir.to_path_buf())
                .or_default()
                .insert(family_key(&name.to_string_lossy()));
        }
    }
    for (dir, families) in folders {
        let dir_for_read = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir.clone()
        };
        let Ok(entries) = std::fs::read_dir(&dir_for_read) else {
            continue;
        };
        let mut names: Vec<_> = entries.flatten().collect();
        names.sort_by_key(|e| e.file_name());
        for e in names {
            let name = e.file_name().to_string_lossy().into_owned();
            if families.contains(&family_key(&name)) && e.file_type().is_ok_and(|t| t.is_file()) {
                out.add(dir.join(&name));
            }
        }
    }
}

/// One file to read.
#[derive(Clone, Debug)]
pub(crate) struct FileJob {
    pub(crate) path: PathBuf,
}

/// Files scanned one after the other with shared sequence state: one
/// file, or one rotation family oldest first.
#[derive(Clone, Debug)]
pub(crate) struct Stream {
    pub(crate) files: Vec<FileJob>,
    pub(crate) family: Option<String>,
}

/// Groups files into streams: one per file, or with `merge` one per
/// rotation family, oldest file first.
pub(crate) fn streams(files: Vec<PathBuf>, merge: bool) -> Vec<Stream> {
    if !merge {
        return files
            .into_iter()
            .map(|path| Stream {
                files: vec![FileJob { path }],
                family: None,
            })
            .collect();
    }
    let mut families: BTreeMap<(PathBuf, String), Vec<PathBuf>> = BTreeMap::new();
    for f in files {
        let dir = f.parent().map(Path::to_path_buf).unwrap_or_default();
        let key = family_key(
            &f.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        families.entry((dir, key)).or_default().push(f);
    }
    families
        .into_iter()
        .map(|((dir, key), mut members)| {
            let modified = |p: &PathBuf| {
                std::fs::metadata(p)
                    .and_then(|m| m.modified())
                    .unwrap_or(SystemTime::UNIX_EPOCH)
            };
            members.sort_by(|a, b| modified(a).cmp(&modified(b)).then_with(|| a.cmp(b)));
            let family = (members.len() > 1).then(|| dir.join(&key).display().to_string());
            Stream {
                files: members.into_iter().map(|path| FileJob { path }).collect(),
                family,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_group_rotations() {
        assert_eq!(family_key("pfirewall.log"), family_key("pfirewall.log.old"));
        assert_eq!(family_key("u_ex240501.log"), family_key("u_ex240502.log"));
        assert_eq!(family_key("nymi_api.log"), family_key("nymi_api.log.1"));
        assert_eq!(
            family_key("nymi_api.log"),
            family_key("nymi_api.log.2024-05-02")
        );
        assert_eq!(family_key("WGSS.1.log"), family_key("wgss.log"));
        assert_ne!(family_key("nymi_api.log"), family_key("pfirewall.log"));
    }

    #[test]
    fn expands_files_folders_and_wildcards() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("W3SVC1");
        std::fs::create_dir(&sub).unwrap();
        for name in ["u_ex240501.log", "u_ex240502.log", "other.txt"] {
            std::fs::write(sub.join(name), "x\n").unwrap();
        }
        let folder = expand(&[dir.path().display().to_string()]);
        assert_eq!(folder.files.len(), 3);
        let pattern = format!("{}/W3SVC*/u_ex*.log", dir.path().display());
        let wild = expand(&[pattern]);
        assert_eq!(wild.files.len(), 2, "{:?}", wild.not_scanned);
        let missing = expand(&[dir.path().join("nope.log").display().to_string()]);
        assert_eq!(missing.not_scanned[0].reason, "not_found");
        let none = expand(&[format!("{}/*.evtx", dir.path().display())]);
        assert_eq!(none.not_scanned[0].detail, "no file matches the pattern");
    }

    #[test]
    fn siblings_join_their_family_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("pfirewall.log.old");
        let cur = dir.path().join("pfirewall.log");
        std::fs::write(&old, "a\n").unwrap();
        std::fs::write(&cur, "b\n").unwrap();
        let t = SystemTime::now();
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(t - std::time::Duration::from_secs(3600))
            .unwrap();
        std::fs::File::options()
            .write(true)
            .open(&cur)
            .unwrap()
            .set_modified(t)
            .unwrap();
        let mut e = expand(&[cur.display().to_string()]);
        add_siblings(&mut e);
        assert_eq!(e.files.len(), 2);
        let s = streams(e.files, true);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].files[0].path, old);
        assert!(s[0].family.is_some());
    }

    #[test]
    fn searched_locations_name_the_folder_read() {
        use crate::windows_folders::Environment;
        let env = Environment::new(
            [
                ("SystemRoot", r"C:\Windows"),
                ("ProgramFiles", r"C:\Program Files (x86)"),
                ("ProgramW6432", r"C:\Program Files"),
                ("PROCESSOR_ARCHITEW6432", "AMD64"),
            ],
            32,
        );
        let locations = default_locations(&WindowsFolders::from_env(&env), &[]);
        let folders: Vec<String> = locations.iter().map(|d| d.folder.clone()).collect();
        let d = search_defaults(locations);
        let searched: Vec<&str> = d.searched.iter().map(|s| s.folder.as_str()).collect();
        assert_eq!(searched, folders);
        assert!(searched.contains(&r"C:\Windows\Sysnative\LogFiles\Firewall"));
        assert!(searched.contains(&r"C:\Program Files\Evidian"));
        if !cfg!(windows) {
            assert!(d.searched.iter().all(|s| !s.exists && s.files_found == 0));
        }
    }

    #[test]
    fn default_locations_are_listed_even_where_none_exist() {
        let d = defaults();
        assert!(d.searched.iter().any(|s| s.pattern == "pfirewall.log*"));
        assert!(d.searched.iter().any(|s| s.folder.ends_with(r"\Evidian")));
        if !cfg!(windows) {
            assert!(d.searched.iter().all(|s| !s.exists));
            assert!(d.files.is_empty());
        }
    }
}
