//! Which folders are key stores.
//!
//! Default (no `paths`): every `ksp` folder under the NSL folder of the
//! LocalSystem profile, `%SystemRoot%\System32\config\systemprofile\AppData\
//! Roaming\Nymi\NSL\*\ksp`, one store per `<string>` folder. A 32-bit
//! process on 64-bit Windows (Intune's default host) would be redirected
//! from `System32` to `SysWOW64`, so it reads the native folder through
//! `Sysnative`. The `SysWOW64` profile is searched too, when it exists: a
//! 32-bit NEA running as SYSTEM keeps its AppData there (an inference, since
//! which bitness the NEA runs as is not documented). Both profiles come
//! from `crate::windows_folders`, which the default log locations share.
//!
//! With `paths`, each entry is one of:
//! - a folder named `ksp` (any case): one store;
//! - a folder holding `*\ksp` subfolders (an `NSL` folder): one store per
//!   `ksp` subfolder, and the folder's own files are ignored;
//! - any other folder: one store (a copy of a ksp folder, say);
//! - a file: grouped with the other files given from the same parent folder
//!   into one store, unless that folder is itself given as a store.
//!
//! Only one level is expanded, so a symbolic link loop cannot recurse.

use std::io;
use std::path::{Path, PathBuf};

use super::files::{EntryKind, FileSource};
use super::limits::{MAX_PATH_CHARS, clip};
use super::model::{Discovery, DiscoveryMode, StoreOrigin};
use crate::windows_folders::WindowsFolders;

/// Where to look by default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Defaults {
    /// NSL folders to search, the first being the one the NEA documents.
    NslRoots(Vec<PathBuf>),
    /// No default location on this operating system.
    None {
        /// Operating system name, for the finding.
        os: &'static str,
    },
}

/// One store to examine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoreSpec {
    pub(crate) path: PathBuf,
    pub(crate) origin: StoreOrigin,
    /// Only these files, when the store was built from files given one by
    /// one.
    pub(crate) files: Option<Vec<PathBuf>>,
}

/// What discovery found.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) stores: Vec<StoreSpec>,
    pub(crate) discovery: Discovery,
    /// NSL folders that exist but hold no `ksp` folder.
    pub(crate) empty_nsl: Vec<String>,
    /// Request entries that were blank, for a warning.
    pub(crate) blank_paths: usize,
    /// Set when the OS has no default location.
    pub(crate) no_default_on: Option<&'static str>,
}

/// The NSL folders to search on Windows: one in each LocalSystem profile,
/// the native one (the one the NEA documents) first.
pub(crate) fn windows_nsl_roots(folders: &WindowsFolders) -> Vec<String> {
    const TAIL: &str = r"AppData\Roaming\Nymi\NSL";
    folders
        .system_profiles()
        .into_iter()
        .map(|profile| format!(r"{profile}\{TAIL}"))
        .collect()
}

/// The defaults of the running platform.
pub(crate) fn platform_defaults() -> Defaults {
    if cfg!(windows) {
        let roots = windows_nsl_roots(&WindowsFolders::of_platform());
        Defaults::NslRoots(roots.into_iter().map(PathBuf::from).collect())
    } else {
        Defaults::None {
            os: std::env::consts::OS,
        }
    }
}

fn show(path: &Path) -> String {
    clip(&path.to_string_lossy(), MAX_PATH_CHARS)
}

/// Finds the stores to examine.
pub(crate) fn discover(fs: &dyn FileSource, paths: &[String], defaults: &Defaults) -> Found {
    let mut found = Found {
        stores: Vec::new(),
        discovery: Discovery::empty(DiscoveryMode::Default),
        empty_nsl: Vec::new(),
        blank_paths: 0,
        no_default_on: None,
    };
    let requested: Vec<&str> = paths
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect();
    found.blank_paths = paths.len() - requested.len();

    if requested.is_empty() {
        match defaults {
            Defaults::None { os } => found.no_default_on = Some(os),
            Defaults::NslRoots(roots) => {
                for (i, root) in roots.iter().enumerate() {
                    // Only the documented location is "missing" when absent;
                    // the SysWOW64 one is a bonus.
                    let documented = i == 0;
                    match fs.stat(root) {
                        Ok(m) if m.kind == EntryKind::Dir => {
                            found.discovery.searched.push(show(root));
                            expand_nsl(fs, root, StoreOrigin::Discovered, &mut found, true);
                        }
                        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                            found.discovery.searched.push(show(root));
                            found.discovery.access_denied.push(show(root));
                        }
                        Ok(_) if documented => {
                            found.discovery.searched.push(show(root));
                            found
                                .discovery
                                .missing
                                .push(format!("{} (not a folder)", show(root)));
                        }
                        Err(_) if documented => {
                            found.discovery.searched.push(show(root));
                            found.discovery.missing.push(show(root));
                        }
                        _ => {}
                    }
                }
            }
        }
        return found;
    }

    found.discovery.mode = DiscoveryMode::Paths;
    let mut loose_files: Vec<PathBuf> = Vec::new();
    for text in requested {
        let path = PathBuf::from(text);
        found.discovery.searched.push(clip(text, MAX_PATH_CHARS));
        match fs.stat(&path) {
            Ok(m) if m.kind == EntryKind::Dir => {
                let is_ksp = path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case("ksp"));
                if is_ksp || !expand_nsl(fs, &path, StoreOrigin::NslSubfolder, &mut found, false) {
                    found.stores.push(StoreSpec {
                        path,
                        origin: StoreOrigin::Folder,
                        files: None,
                    });
                }
            }
            Ok(m) if m.kind == EntryKind::File => loose_files.push(path),
            Ok(_) => found.discovery.missing.push(format!(
                "{} (not a file or folder)",
                clip(text, MAX_PATH_CHARS)
            )),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                found
                    .discovery
                    .access_denied
                    .push(clip(text, MAX_PATH_CHARS));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                found.discovery.missing.push(clip(text, MAX_PATH_CHARS));
            }
            Err(e) => found
                .discovery
                .missing
                .push(clip(&format!("{text} ({e})"), MAX_PATH_CHARS)),
        }
    }
    group_files(fs, loose_files, &mut found);
    dedup(fs, &mut found.stores);
    found
}

/// Adds one store per `<child>\ksp` folder of `nsl`. Returns whether any
/// was found. `report_empty` records an NSL folder without stores.
fn expand_nsl(
    fs: &dyn FileSource,
    nsl: &Path,
    origin: StoreOrigin,
    found: &mut Found,
    report_empty: bool,
) -> bool {
    let listing = match fs.list(nsl, super::limits::MAX_ENTRIES_PER_STORE) {
        Ok(l) => l,
        Err(e) => {
            if e.kind() == io::ErrorKind::PermissionDenied {
                found.discovery.access_denied.push(show(nsl));
            } else if report_empty {
                found.discovery.missing.push(format!("{} ({e})", show(nsl)));
            }
            return false;
        }
    };
    let mut children = listing.entries;
    children.sort();
    let mut any = false;
    for child in children {
        if !fs.stat(&child).is_ok_and(|m| m.kind == EntryKind::Dir) {
            continue;
        }
        let Ok(inner) = fs.list(&child, super::limits::MAX_ENTRIES_PER_STORE) else {
            // An unreadable <string> folder may well hold the store.
            if report_empty {
                found.discovery.access_denied.push(show(&child));
            }
            continue;
        };
        let mut ksps: Vec<PathBuf> = inner
            .entries
            .into_iter()
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case("ksp"))
                    && fs.stat(p).is_ok_and(|m| m.kind == EntryKind::Dir)
            })
            .collect();
        ksps.sort();
        for ksp in ksps {
            any = true;
            found.stores.push(StoreSpec {
                path: ksp,
                origin,
                files: None,
            });
        }
    }
    if !any && report_empty {
        found.empty_nsl.push(show(nsl));
    }
    any
}

/// Groups files given one by one by their parent folder.
fn group_files(fs: &dyn FileSource, files: Vec<PathBuf>, found: &mut Found) {
    let mut groups: Vec<(PathBuf, PathBuf, Vec<PathBuf>)> = Vec::new();
    for file in files {
        let parent = match file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let id = fs.identity(&parent);
        match groups.iter_mut().find(|(gid, _, _)| *gid == id) {
            Some((_, _, members)) => {
                if !members.contains(&file) {
                    members.push(file);
                }
            }
            None => groups.push((id, parent, vec![file])),
        }
    }
    for (_, parent, members) in groups {
        found.stores.push(StoreSpec {
            path: parent,
            origin: StoreOrigin::Files,
            files: Some(members),
        });
    }
}

/// Drops stores that name a folder already examined; a whole-folder store
/// wins over one built from some of its files.
fn dedup(fs: &dyn FileSource, stores: &mut Vec<StoreSpec>) {
    let ids: Vec<PathBuf> = stores.iter().map(|s| fs.identity(&s.path)).collect();
    let mut keep = vec![true; stores.len()];
    for i in 0..stores.len() {
        for j in 0..i {
            if keep[j] && ids[i] == ids[j] {
                if stores[j].files.is_some() && stores[i].files.is_none() {
                    keep[j] = false;
                } else {
                    keep[i] = false;
                    break;
                }
            }
        }
    }
    let mut k = keep.into_iter();
    stores.retain(|_| k.next().unwrap_or(false));
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::windows_folders::Environment;

    fn roots(vars: &[(&str, &str)], pointer_bits: u32) -> Vec<String> {
        let env = Environment::new(vars.iter().copied(), pointer_bits);
        windows_nsl_roots(&WindowsFolders::from_env(&env))
    }

    #[test]
    fn native_64_bit_searches_system32_then_syswow64() {
        let roots = roots(&[("SystemRoot", r"C:\Windows")], 64);
        assert_eq!(
            roots,
            [
                r"C:\Windows\System32\config\systemprofile\AppData\Roaming\Nymi\NSL",
                r"C:\Windows\SysWOW64\config\systemprofile\AppData\Roaming\Nymi\NSL",
            ]
        );
    }

    #[test]
    fn wow64_process_goes_through_sysnative() {
        let roots = roots(
            &[
                ("SystemRoot", r"D:\WINNT\"),
                ("PROCESSOR_ARCHITEW6432", "AMD64"),
            ],
            32,
        );
        assert_eq!(
            roots[0],
            r"D:\WINNT\Sysnative\config\systemprofile\AppData\Roaming\Nymi\NSL"
        );
        assert_eq!(roots.len(), 2);
    }

    #[test]
    fn native_32_bit_windows_has_one_root() {
        let roots = roots(&[], 32);
        assert_eq!(
            roots,
            [r"C:\Windows\System32\config\systemprofile\AppData\Roaming\Nymi\NSL"]
        );
    }
}
