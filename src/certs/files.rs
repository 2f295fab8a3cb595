//! Read-only access to store folders, behind a small seam.
//!
//! [`FileSource`] is the only way the inventory touches the file system, so
//! tests can substitute failures that root cannot otherwise produce (access
//! denied) and the rest of the module stays pure. [`RealFiles`] never writes:
//! files are opened read-only, with std's default Windows share mode
//! (read, write and delete shared), so the NEA is never locked out; entry
//! types are checked before opening so a pipe or device is never opened,
//! and the opened handle is checked again ([`crate::fsutil`]) in case the
//! entry was swapped in between.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::fsutil::{self, ReadError, SpecialKind};

/// What an entry is, after following symbolic links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// A regular file.
    File,
    /// A folder.
    Dir,
    /// Anything else (FIFO, socket, device).
    Other(SpecialKind),
}

/// The facts the inventory needs about one entry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EntryMeta {
    pub(crate) kind: EntryKind,
    pub(crate) len: u64,
    pub(crate) modified: Option<SystemTime>,
}

/// A folder's entries.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// Full paths of the entries kept, unsorted.
    pub(crate) entries: Vec<PathBuf>,
    /// Entries beyond the cap, counted but not kept.
    pub(crate) not_kept: u64,
    /// Entries the OS could not return.
    pub(crate) errors: Vec<String>,
}

/// Outcome of a capped read.
#[derive(Debug)]
pub(crate) enum ReadOutcome {
    /// The whole file.
    Bytes(Vec<u8>),
    /// The file turned out larger than the limit while reading.
    TooLarge,
    /// The opened handle is not a regular file (the entry was swapped for
    /// a FIFO, socket or device after it was listed); nothing was read.
    NotRegular(SpecialKind),
}

/// Read-only file system access.
pub(crate) trait FileSource {
    /// Lists a folder, keeping at most `max` entries.
    fn list(&self, dir: &Path, max: usize) -> io::Result<Listing>;
    /// Facts about an entry, following symbolic links.
    fn stat(&self, path: &Path) -> io::Result<EntryMeta>;
    /// Whether the entry itself is a symbolic link (not followed).
    fn is_symlink(&self, path: &Path) -> bool;
    /// Reads a regular file of at most `limit` bytes.
    fn read(&self, path: &Path, limit: u64) -> io::Result<ReadOutcome>;
    /// A key that is equal for two paths naming the same folder.
    fn identity(&self, path: &Path) -> PathBuf;
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct RealFiles;

impl FileSource for RealFiles {
    fn list(&self, dir: &Path, max: usize) -> io::Result<Listing> {
        let mut listing = Listing::default();
        for entry in fs::read_dir(dir)? {
            match entry {
                Ok(e) if listing.entries.len() < max => listing.entries.push(e.path()),
                Ok(_) => listing.not_kept += 1,
                Err(e) => listing.errors.push(e.to_string()),
            }
        }
        Ok(listing)
    }

    fn stat(&self, path: &Path) -> io::Result<EntryMeta> {
        let meta = fs::metadata(path)?;
        Ok(EntryMeta {
            kind: kind_of(&meta.file_type()),
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }

    fn is_symlink(&self, path: &Path) -> bool {
        fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
    }

    fn read(&self, path: &Path, limit: u64) -> io::Result<ReadOutcome> {
        match fsutil::read_capped(path, limit) {
            Ok(bytes) => Ok(ReadOutcome::Bytes(bytes)),
            Err(ReadError::TooLarge { .. }) => Ok(ReadOutcome::TooLarge),
            Err(ReadError::NotRegular(kind)) => Ok(ReadOutcome::NotRegular(kind)),
            Err(ReadError::Io(e)) => Err(e),
        }
    }

    fn identity(&self, path: &Path) -> PathBuf {
        fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    }
}

fn kind_of(t: &fs::FileType) -> EntryKind {
    match SpecialKind::of(t) {
        None => EntryKind::File,
        Some(SpecialKind::Folder) => EntryKind::Dir,
        Some(kind) => EntryKind::Other(kind),
    }
}

/// Explains an I/O error in words an admin can act on.
pub(crate) fn describe_io_error(e: &io::Error) -> String {
    use io::ErrorKind as K;
    let what = match e.kind() {
        K::NotFound => "not found",
        K::PermissionDenied => "access denied",
        K::Interrupted | K::WouldBlock | K::TimedOut => "read interrupted",
        K::InvalidData | K::UnexpectedEof => "read failed",
        _ => "could not be read",
    };
    format!("{what} ({e})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_up_to_the_limit_and_flags_larger_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.cer");
        fs::write(&path, [1u8; 10]).unwrap();
        match RealFiles.read(&path, 10).unwrap() {
            ReadOutcome::Bytes(b) => assert_eq!(b.len(), 10),
            other => panic!("10 bytes fit a 10-byte limit: {other:?}"),
        }
        assert!(matches!(
            RealFiles.read(&path, 9).unwrap(),
            ReadOutcome::TooLarge
        ));
    }

    #[test]
    fn listing_keeps_at_most_max_entries() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..5 {
            fs::write(dir.path().join(format!("{i}")), b"x").unwrap();
        }
        let l = RealFiles.list(dir.path(), 3).unwrap();
        assert_eq!((l.entries.len(), l.not_kept), (3, 2));
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_reported_as_other_without_opening_it() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.cer");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("skipped: mkfifo not available");
            return;
        }
        let meta = RealFiles.stat(&fifo).unwrap();
        assert_eq!(meta.kind, EntryKind::Other(SpecialKind::Fifo));
        // Opened directly, as if swapped in after the listing: refused on
        // the handle, not read, and without blocking.
        assert!(matches!(
            RealFiles.read(&fifo, 1024).unwrap(),
            ReadOutcome::NotRegular(SpecialKind::Fifo)
        ));
    }
}
