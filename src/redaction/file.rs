//! The file form of `redact`: a log read piece by piece, decoded and
//! cleaned by the one redactor, for the support bundle's log copies.
//!
//! Each call reads at most [`PIECE_BYTES`] bytes, ending on a line end
//! when there is one, and says where the next piece starts; the caller
//! writes each piece out and asks again. Memory stays bounded on both sides
//! whatever the log's size, the library writes nothing, and no redacted
//! text sits in a temporary file. The encoding is the one the log scan
//! detected (`data.files[].encoding`), so a file is decoded one way in the
//! scan and in the bundle.
//!
//! A file is read only when, with every link resolved, it lies inside the
//! folder given as `within` (default: the folder it is in): a user who can
//! write a log folder must not get another file, one that only SYSTEM can
//! read, into a support bundle. Special files (FIFOs, devices, sockets)
//! are never opened for reading ([`crate::fsutil`]).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{apply, count_new, secret_spans};
use crate::Error;
use crate::fsutil::open_regular_no_follow;
use crate::logs::TextEncoding;

/// Most bytes of the file one call reads (and the default piece size). A
/// line longer than a piece is cut there. The answer stays well below what Windows PowerShell 5.1's
/// `ConvertFrom-Json` reads (2,097,152 characters) even when every
/// character needs an escape of two.
pub(crate) const PIECE_BYTES: u64 = 512 * 1024;

/// Fewest bytes a piece may be asked to hold: room for a few code units
/// of any encoding.
pub(crate) const MIN_PIECE_BYTES: u64 = 64;

/// What a piece begins with when it continues a private key block cut by
/// the previous piece (or by the start of the tail): the redactor then
/// sees where the block began and removes it.
const KEY_BLOCK_START: &str = "-----BEGIN PRIVATE KEY-----\n";

/// A PEM private key header or footer.
static PEM_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----(BEGIN|END) [A-Z0-9 ]*PRIVATE KEY-----").expect("valid regex")
});

/// Where the next piece of a file starts: the `next` of the previous
/// answer, sent back unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resume {
    /// Byte offset of the next piece.
    pub offset: u64,
    /// The end of the copy: the file's length when the first piece was
    /// read (bytes written later are not copied, so the copy is bounded).
    pub end: u64,
    /// Whether the previous piece ended inside a private key block.
    pub in_key_block: bool,
    /// Whether the copy leaves out the start of the file.
    pub truncated: bool,
}

/// The file part of a `redact` answer (file form only).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilePiece {
    /// The file read, with every link resolved.
    pub path: String,
    /// Its encoding, as given.
    pub encoding: TextEncoding,
    /// Bytes in the file when the copy began.
    pub size: u64,
    /// Where this piece begins, in bytes.
    pub offset: u64,
    /// Bytes of the file this piece covers.
    pub bytes: u64,
    /// Whether the copy leaves out the start of the file (`max_bytes`); it
    /// then begins at a whole line.
    pub truncated: bool,
    /// What to send as `resume` for the next piece; `null` when this was
    /// the last one.
    pub next: Option<Resume>,
}

/// A file piece asked for.
#[derive(Debug)]
pub(crate) struct FileAsk<'a> {
    pub(crate) path: &'a str,
    pub(crate) encoding: TextEncoding,
    pub(crate) within: Option<&'a str>,
    pub(crate) max_bytes: Option<u64>,
    pub(crate) resume: Option<Resume>,
    /// Piece size, within `MIN_PIECE_BYTES..=PIECE_BYTES` (checked by the
    /// request).
    pub(crate) piece_bytes: u64,
}

/// One redacted piece.
#[derive(Debug)]
pub(crate) struct Redacted {
    pub(crate) text: String,
    pub(crate) replacements: usize,
    pub(crate) piece: FilePiece,
}

/// Reads, decodes and redacts the next piece of a file.
pub(crate) fn redact_piece(ask: &FileAsk<'_>) -> Result<Redacted, Error> {
    let real = resolve_within(Path::new(ask.path), ask.within.map(Path::new))?;
    let mut file = open_regular_no_follow(&real)?;
    let layout = Layout::of(ask.encoding);
    let (offset, end, truncated, mut in_key_block) = match ask.resume {
        Some(r) => (r.offset, r.end, r.truncated, r.in_key_block),
        None => {
            let size = file.metadata()?.len();
            let start = layout.tail_start(size, ask.max_bytes);
            let truncated = start > layout.bom;
            let offset = if truncated {
                first_whole_line(&mut file, start, size, layout)?
            } else {
                start
            };
            (offset, size, truncated, false)
        }
    };
    let raw = read_piece(&mut file, offset, end, ask.piece_bytes, layout)?;
    let mut text = layout.decode(&raw);
    let first_piece = ask.resume.is_none();
    if first_piece && truncated {
        // A tail cut into a key block: its first marker is an END.
        in_key_block = last_or_first_marker(&text, true) == Some(false);
    }
    if in_key_block {
        text.insert_str(0, KEY_BLOCK_START);
    }
    if let Some(begin) = last_or_first_marker(&text, false) {
        in_key_block = begin;
    }
    let spans = secret_spans(&text);
    let replacements = count_new(&text, &spans);
    let cleaned = apply(&text, &spans);
    let bytes = raw.len() as u64;
    let next_offset = offset + bytes;
    let next = (bytes > 0 && next_offset < end).then_some(Resume {
        offset: next_offset,
        end,
        in_key_block,
        truncated,
    });
    Ok(Redacted {
        text: cleaned,
        replacements,
        piece: FilePiece {
            path: real.display().to_string(),
            encoding: ask.encoding,
            size: end,
            offset,
            bytes,
            truncated,
            next,
        },
    })
}

/// The file's real path, when it lies inside `within` (default: its own
/// folder) with every link resolved on both; otherwise a refusal naming
/// where the link leads.
fn resolve_within(path: &Path, within: Option<&Path>) -> Result<PathBuf, Error> {
    let real = std::fs::canonicalize(path)?;
    let folder = match within {
        Some(w) => w.to_path_buf(),
        None => path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    };
    let real_folder = std::fs::canonicalize(&folder)?;
    if real.starts_with(&real_folder) {
        return Ok(real);
    }
    Err(Error::Io(io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "'{}' is a link (or lies under one) to '{}', outside the folder '{}': not read",
            path.display(),
            real.display(),
            folder.display()
        ),
    )))
}

/// How the bytes of an encoding are laid out.
#[derive(Clone, Copy, Debug)]
struct Layout {
    encoding: TextEncoding,
    /// Bytes of byte-order mark.
    bom: u64,
    /// Bytes per code unit.
    unit: u64,
}

impl Layout {
    fn of(encoding: TextEncoding) -> Layout {
        let (bom, unit) = match encoding {
            TextEncoding::Utf8 | TextEncoding::Windows1252 => (0, 1),
            TextEncoding::Utf8Bom => (3, 1),
            TextEncoding::Utf16LeBom | TextEncoding::Utf16BeBom => (2, 2),
            TextEncoding::Utf16Le | TextEncoding::Utf16Be => (0, 2),
        };
        Layout {
            encoding,
            bom,
            unit,
        }
    }

    /// Where the last `max` bytes begin, on a code unit, after the BOM.
    fn tail_start(self, size: u64, max: Option<u64>) -> u64 {
        let mut start = max.map_or(0, |m| size.saturating_sub(m)).max(self.bom);
        if !(start - self.bom).is_multiple_of(self.unit) {
            start += 1;
        }
        start
    }

    /// The line end of this encoding.
    fn newline(self) -> &'static [u8] {
        match self.encoding {
            TextEncoding::Utf16LeBom | TextEncoding::Utf16Le => b"\n\0",
            TextEncoding::Utf16BeBom | TextEncoding::Utf16Be => b"\0\n",
            _ => b"\n",
        }
    }

    /// Where the line end at `at` in `bytes` ends, if there is one there
    /// (checked on code units only).
    fn line_end_at(self, bytes: &[u8], at: usize) -> Option<usize> {
        let nl = self.newline();
        (bytes.get(at..at + nl.len()) == Some(nl)).then_some(at + nl.len())
    }

    /// Bytes of `raw` that end on a whole character (a piece cut inside a
    /// long line must not split one).
    fn whole_chars(self, raw: &[u8]) -> usize {
        match self.encoding {
            TextEncoding::Utf8 | TextEncoding::Utf8Bom => match std::str::from_utf8(raw) {
                Err(e) if e.error_len().is_none() => e.valid_up_to(),
                _ => raw.len(),
            },
            TextEncoding::Windows1252 => raw.len(),
            _ => {
                let even = raw.len() - raw.len() % 2;
                let last = |at: usize| {
                    let pair = [raw[at], raw[at + 1]];
                    if matches!(
                        self.encoding,
                        TextEncoding::Utf16LeBom | TextEncoding::Utf16Le
                    ) {
                        u16::from_le_bytes(pair)
                    } else {
                        u16::from_be_bytes(pair)
                    }
                };
                // A high surrogate waits for its low half.
                if even >= 2 && (0xd800..0xdc00).contains(&last(even - 2)) {
                    even - 2
                } else {
                    even
                }
            }
        }
    }

    /// Decodes a piece; invalid sequences become U+FFFD.
    fn decode(self, raw: &[u8]) -> String {
        match self.encoding.decoder() {
            None => String::from_utf8_lossy(raw).into_owned(),
            Some(enc) => enc.decode_without_bom_handling(raw).0.into_owned(),
        }
    }
}

/// Where the first whole line at or after `start` begins (`end` when there
/// is none): a tail cut mid-line starts at the next line.
fn first_whole_line(file: &mut File, start: u64, end: u64, layout: Layout) -> io::Result<u64> {
    file.seek(SeekFrom::Start(start))?;
    let mut at = start;
    let mut block = vec![0u8; 64 * 1024];
    while at < end {
        let want = usize::try_from((end - at).min(block.len() as u64)).unwrap_or(block.len());
        let n = read_full(file, &mut block[..want])?;
        if n == 0 {
            break;
        }
        // Blocks hold whole code units: `start` and the block size are
        // multiples of the unit.
        let mut i = 0;
        while i < n {
            if let Some(after) = layout.line_end_at(&block[..n], i) {
                return Ok(at + after as u64);
            }
            i += layout.unit as usize;
        }
        at += n as u64;
    }
    Ok(end)
}

/// The bytes of the next piece: at most `max` bytes, ending after the
/// last line end in them unless the piece reaches `end`.
fn read_piece(
    file: &mut File,
    offset: u64,
    end: u64,
    max: u64,
    layout: Layout,
) -> io::Result<Vec<u8>> {
    if offset >= end {
        return Ok(Vec::new());
    }
    file.seek(SeekFrom::Start(offset))?;
    let want = (end - offset).min(max);
    let mut raw = vec![0u8; usize::try_from(want).unwrap_or(0)];
    let n = read_full(file, &mut raw)?;
    raw.truncate(n);
    // The file shrank, or this piece reaches the end: take it all.
    if (n as u64) < want || offset + want == end {
        return Ok(raw);
    }
    let unit = layout.unit as usize;
    let mut i = raw.len() - raw.len() % unit;
    while i >= unit {
        i -= unit;
        if let Some(after) = layout.line_end_at(&raw, i) {
            raw.truncate(after);
            return Ok(raw);
        }
    }
    // One line longer than a piece: cut it on a whole character.
    let keep = layout.whole_chars(&raw);
    raw.truncate(keep.max(unit.min(raw.len())));
    Ok(raw)
}

/// Reads until `buf` is full or the file ends.
fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Whether the last (or, with `first`, the first) private key marker of
/// `text` is a BEGIN; `None` without one.
fn last_or_first_marker(text: &str, first: bool) -> Option<bool> {
    let mut found = PEM_MARKER.captures_iter(text);
    let caps = if first { found.next() } else { found.last() }?;
    Some(&caps[1] == "BEGIN")
}
