//! Opening the files the tool inspects or is configured with (key-store
//! files, logs, rule packs, CA files) so that a special file can neither
//! hang nor flood it.
//!
//! Opening a FIFO for reading blocks until a writer appears, and a device
//! such as `/dev/zero` never ends. [`open_regular`] therefore opens without
//! blocking (`O_NONBLOCK | O_NOCTTY` on unix) and then checks the metadata of
//! the OPENED handle, not of the path, so a file swapped for a FIFO between
//! a directory listing and the open is still refused. Nothing is ever read
//! from a handle that is not a regular file, and nothing is written: files
//! are opened read-only, shared for reading, writing and deleting so the
//! program that owns them is never locked out.

use std::fmt;
use std::fs::{self, File, FileType};
use std::io::{self, Read};
use std::path::Path;

/// What a path names when it is not a regular file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SpecialKind {
    /// A folder.
    Folder,
    /// A named pipe.
    Fifo,
    /// A unix domain socket.
    Socket,
    /// A character device (`/dev/zero`, a terminal).
    CharDevice,
    /// A block device (a disk).
    BlockDevice,
    /// Anything else the OS reports (a Windows pipe or device handle).
    Other,
}

impl SpecialKind {
    /// The kind of a file type, `None` for a regular file.
    pub(crate) fn of(t: &FileType) -> Option<SpecialKind> {
        if t.is_file() {
            return None;
        }
        if t.is_dir() {
            return Some(SpecialKind::Folder);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_fifo() {
                return Some(SpecialKind::Fifo);
            }
            if t.is_socket() {
                return Some(SpecialKind::Socket);
            }
            if t.is_char_device() {
                return Some(SpecialKind::CharDevice);
            }
            if t.is_block_device() {
                return Some(SpecialKind::BlockDevice);
            }
        }
        Some(SpecialKind::Other)
    }
}

impl fmt::Display for SpecialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpecialKind::Folder => "folder",
            SpecialKind::Fifo => "FIFO",
            SpecialKind::Socket => "socket",
            SpecialKind::CharDevice => "character device",
            SpecialKind::BlockDevice => "block device",
            SpecialKind::Other => "special file",
        })
    }
}

/// The error inside an [`io::Error`] of kind `InvalidInput` that
/// [`open_regular`] returns for anything but a regular file.
#[derive(Debug, thiserror::Error)]
#[error("not a regular file ({kind})")]
pub(crate) struct NotRegularFile {
    /// What the path turned out to be.
    pub(crate) kind: SpecialKind,
}

impl NotRegularFile {
    fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, self)
    }
}

/// The special kind behind an error of [`open_regular`], if that was the
/// reason.
pub(crate) fn not_regular_kind(e: &io::Error) -> Option<SpecialKind> {
    e.get_ref()?
        .downcast_ref::<NotRegularFile>()
        .map(|n| n.kind)
}

/// Why a capped read failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// The path names a FIFO, socket, device or folder; it was not read.
    #[error("not a regular file ({0})")]
    NotRegular(SpecialKind),
    /// The file is larger than the cap; it was not read whole.
    #[error("larger than the {max}-byte cap ({size})")]
    TooLarge {
        /// The cap, in bytes.
        max: u64,
        /// What is known of the size.
        size: SizeSeen,
    },
    /// Opening or reading failed.
    #[error(transparent)]
    Io(io::Error),
}

/// The size of a file over the cap, as far as it was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SizeSeen {
    /// The length the file system reported when it was opened.
    Reported(u64),
    /// The file grew past the cap while it was read.
    GrewPast,
}

impl fmt::Display for SizeSeen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SizeSeen::Reported(n) => write!(f, "{n} bytes"),
            SizeSeen::GrewPast => f.write_str("it grew past the cap while it was read"),
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        match not_regular_kind(&e) {
            Some(kind) => ReadError::NotRegular(kind),
            None => ReadError::Io(e),
        }
    }
}

/// Opens `path` read-only and returns the handle only if it is a regular
/// file (links followed). Anything else fails with kind `InvalidInput` and
/// a [`NotRegularFile`] naming what it is; it never blocks and is never
/// read.
pub(crate) fn open_regular(path: &Path) -> io::Result<File> {
    open_regular_with(path, open_options())
}

/// [`open_regular`] for a path whose links were resolved already (by
/// `fs::canonicalize`): a last component swapped for a link since then
/// is refused (`O_NOFOLLOW`; on Windows the reparse point itself is opened
/// and is not a regular file), so the check on the resolved path holds.
pub(crate) fn open_regular_no_follow(path: &Path) -> io::Result<File> {
    open_regular_with(path, no_follow(open_options()))
}

fn open_regular_with(path: &Path, options: fs::OpenOptions) -> io::Result<File> {
    let file = match options.open(path) {
        Ok(f) => f,
        // Opening a unix socket fails (ENXIO) instead of blocking; say what
        // it is rather than echo the errno.
        Err(e) => match fs::metadata(path).ok().and_then(|m| kind_if_special(&m)) {
            Some(kind) if kind != SpecialKind::Folder => {
                return Err(NotRegularFile { kind }.into_io());
            }
            _ => return Err(e),
        },
    };
    let meta = file.metadata()?;
    match kind_if_special(&meta) {
        None => Ok(file),
        Some(kind) => Err(NotRegularFile { kind }.into_io()),
    }
}

fn kind_if_special(meta: &fs::Metadata) -> Option<SpecialKind> {
    SpecialKind::of(&meta.file_type())
}

#[cfg(unix)]
fn open_options() -> fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = fs::OpenOptions::new();
    // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a
    // writer. It changes nothing for a regular file, whose reads never
    // block. O_NOCTTY: a terminal device never becomes our controlling one.
    options
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    options
}

#[cfg(windows)]
fn open_options() -> fs::OpenOptions {
    use std::os::windows::fs::OpenOptionsExt;
    let mut options = fs::OpenOptions::new();
    // FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE: the service
    // that owns the file can keep writing, rotate or delete it.
    options.read(true).share_mode(0x1 | 0x2 | 0x4);
    options
}

#[cfg(unix)]
fn no_follow(mut options: fs::OpenOptions) -> fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW);
    options
}

#[cfg(windows)]
fn no_follow(mut options: fs::OpenOptions) -> fs::OpenOptions {
    use std::os::windows::fs::OpenOptionsExt;
    // FILE_FLAG_OPEN_REPARSE_POINT: a link is opened itself, and its
    // handle is then refused as not a regular file.
    options.custom_flags(0x0020_0000);
    options
}

#[cfg(not(any(unix, windows)))]
fn no_follow(options: fs::OpenOptions) -> fs::OpenOptions {
    options
}

#[cfg(not(any(unix, windows)))]
fn open_options() -> fs::OpenOptions {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    options
}

/// Reads a whole regular file of at most `max` bytes. A larger file is
/// refused from its reported length before reading, and a file that grows
/// while read stops one byte past the cap, so memory stays bounded.
pub(crate) fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let file = open_regular(path)?;
    let len = file.metadata().map_err(ReadError::Io)?.len();
    if len > max {
        return Err(ReadError::TooLarge {
            max,
            size: SizeSeen::Reported(len),
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // One byte past the cap tells "exactly at the cap" from "over".
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge {
            max,
            size: SizeSeen::GrewPast,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_opens_and_reads_up_to_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        for len in [0usize, 1, 9, 10] {
            let path = dir.path().join(format!("f{len}"));
            fs::write(&path, vec![7u8; len]).unwrap();
            assert_eq!(read_capped(&path, 10).unwrap().len(), len);
        }
        let path = dir.path().join("big");
        fs::write(&path, [1u8; 11]).unwrap();
        let e = read_capped(&path, 10).unwrap_err();
        assert!(
            matches!(
                e,
                ReadError::TooLarge {
                    max: 10,
                    size: SizeSeen::Reported(11)
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("10-byte cap"), "{e}");
    }

    #[test]
    fn a_folder_is_refused_by_kind() {
        let dir = tempfile::tempdir().unwrap();
        let e = open_regular(dir.path()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(not_regular_kind(&e), Some(SpecialKind::Folder));
        assert_eq!(e.to_string(), "not a regular file (folder)");
    }

    #[test]
    fn a_missing_file_keeps_its_os_error() {
        let e = open_regular(Path::new("/no/such/file.cer")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert_eq!(not_regular_kind(&e), None);
        assert!(matches!(
            read_capped(Path::new("/no/such/file.cer"), 1),
            Err(ReadError::Io(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn no_follow_refuses_a_link_and_opens_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.log");
        fs::write(&file, b"x").unwrap();
        let link = dir.path().join("l.log");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(open_regular_no_follow(&file).is_ok());
        assert!(open_regular(&link).is_ok());
        assert!(open_regular_no_follow(&link).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_refused_on_the_opened_handle() {
        for (path, kind) in [
            ("/dev/null", SpecialKind::CharDevice),
            ("/dev/zero", SpecialKind::CharDevice),
        ] {
            let e = open_regular(Path::new(path)).unwrap_err();
            assert_eq!(not_regular_kind(&e), Some(kind), "{path}");
            assert_eq!(e.to_string(), "not a regular file (character device)");
            assert!(matches!(
                read_capped(Path::new(path), 1 << 20),
                Err(ReadError::NotRegular(SpecialKind::CharDevice))
            ));
        }
    }
}
