//! Read-only access to store folders, behind a small seam.
//!
//! [`FileSource`] is the only way the inventory touches the file system, so
//! tests can substitute failures that root cannot otherwise produce (access
//! denied) and the rest of the module stays pure. [`RealFiles`] never writes:
//! files are opened read-only, with std's default Windows share mode
//! (read, write and delete shared), so the NEA is never locked out; entry
//! types are checked before opening so a pipe or device is never opened.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What an entry is, after following symbolic links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// A regular file.
    File,
    /// A folder.
    Dir,
    /// Anything else (`fifo`, `socket`, `block device`, ...).
    Other(&'static str),
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
        let file = fs::File::open(path)?;
        // The entry was checked before opening; check again in case it was
        // swapped for something else in between.
        if !file.metadata()?.is_file() {
            return Err(io::Error::other("no longer a regular file"));
        }
        let mut bytes = Vec::new();
        // One byte past the limit tells "exactly at the limit" from "over".
        file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            return Ok(ReadOutcome::TooLarge);
        }
        Ok(ReadOutcome::Bytes(bytes))
    }

    fn identity(&self, path: &Path) -> PathBuf {
        fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    }
}

fn kind_of(t: &fs::FileType) -> EntryKind {
    if t.is_file() {
        return EntryKind::File;
    }
    if t.is_dir() {
        return EntryKind::Dir;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return EntryKind::Other("named pipe (FIFO)");
        }
        if t.is_socket() {
            return EntryKind::Other("socket");
        }
        if t.is_block_device() {
            return EntryKind::Other("block device");
        }
        if t.is_char_device() {
            return EntryKind::Other("character device");
        }
    }
    EntryKind::Other("special file")
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
            ReadOutcome::TooLarge => panic!("10 bytes fit a 10-byte limit"),
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
        assert_eq!(meta.kind, EntryKind::Other("named pipe (FIFO)"));
    }
}
