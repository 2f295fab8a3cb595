//! Opening and reading log files without disturbing the services that
//! write them.
//!
//! Files are opened read-only and shared (read, write and delete sharing
//! on Windows, which is also Rust's default there), so a service can keep
//! appending, rotate or delete the file while it is read. The length is
//! taken once after opening and reading stops there: a file still being
//! written is read to a consistent end, and one that shrinks (truncated or
//! replaced) is noticed and reported instead of being read past its new
//! end.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::SystemTime;

use encoding_rs::{CoderResult, Decoder};

use super::encoding::{SAMPLE_BYTES, Sniff, sniff};

/// Why a file could not be opened or read, in an admin's words.
pub(crate) fn describe_io_error(e: &io::Error) -> (&'static str, String) {
    match e.kind() {
        io::ErrorKind::NotFound => ("not_found", "not found".to_owned()),
        io::ErrorKind::PermissionDenied => (
            "access_denied",
            "access denied (the folder may need an elevated or SYSTEM session)".to_owned(),
        ),
        _ if e.raw_os_error() == Some(32) && cfg!(windows) => (
            "locked",
            "locked by another process (sharing violation)".to_owned(),
        ),
        _ => ("io_error", e.to_string()),
    }
}

/// A file opened for scanning: its detected encoding and a text reader.
#[derive(Debug)]
pub(crate) struct OpenedFile {
    pub(crate) sniff: Sniff,
    pub(crate) sample: Vec<u8>,
    pub(crate) len_at_open: u64,
    pub(crate) modified: Option<SystemTime>,
    file: File,
}

impl OpenedFile {
    /// Opens `path`, reads its first bytes and detects the encoding.
    pub(crate) fn open(path: &Path) -> io::Result<OpenedFile> {
        // Read-only and shared; a FIFO, socket or device fails with
        // `InvalidInput` ("not a regular file (FIFO)") without blocking.
        let mut file = crate::fsutil::open_regular(path)?;
        let meta = file.metadata()?;
        let len_at_open = meta.len();
        let mut sample = Vec::with_capacity(SAMPLE_BYTES);
        (&mut file)
            .take(SAMPLE_BYTES.min(usize::try_from(len_at_open).unwrap_or(SAMPLE_BYTES)) as u64)
            .read_to_end(&mut sample)?;
        let sniff = sniff(&sample, len_at_open <= sample.len() as u64);
        Ok(OpenedFile {
            sniff,
            sample,
            len_at_open,
            modified: meta.modified().ok(),
            file,
        })
    }

    /// A reader of the file's text from after the BOM to the length seen
    /// at opening.
    pub(crate) fn into_input(mut self) -> io::Result<FileInput> {
        let start = self.sniff.bom_len as u64;
        self.file.seek(SeekFrom::Start(start))?;
        Ok(FileInput {
            remaining: self.len_at_open.saturating_sub(start),
            expected: self.len_at_open,
            read: start,
            decoder: self
                .sniff
                .encoding
                .decoder()
                .map(|e| e.new_decoder_without_bom_handling()),
            raw: Vec::new(),
            raw_pos: 0,
            flushed: false,
            shrank: false,
            file: self.file,
        })
    }
}

/// A source of UTF-8 (or, for files searched raw, ASCII-compatible) text.
/// `Send`, so that a reader thread can own it while the file is searched.
pub(crate) trait TextInput: Send {
    /// Fills `buf` with up to `buf.len()` bytes; 0 means the end. `buf`
    /// is at least 64 bytes long.
    fn read_text(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// Bytes of the underlying file read so far.
    fn bytes_read(&self) -> u64;
    /// Bytes left to read, as far as known.
    fn size_hint(&self) -> u64;
    /// Whether the file ended before the length seen at opening.
    fn shrank(&self) -> bool {
        false
    }
    /// Whether the file has grown since it was opened (still written).
    fn grew(&self) -> bool {
        false
    }
}

/// Raw bytes read per decoding step.
const RAW_CHUNK: usize = 256 * 1024;

/// Reads a file to its length at opening, decoding if needed.
#[derive(Debug)]
pub(crate) struct FileInput {
    file: File,
    remaining: u64,
    expected: u64,
    read: u64,
    decoder: Option<Decoder>,
    raw: Vec<u8>,
    raw_pos: usize,
    flushed: bool,
    shrank: bool,
}

impl FileInput {
    /// Reads raw bytes, stopping at the length seen at opening.
    fn read_raw(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        loop {
            match self.file.read(&mut buf[..want]) {
                Ok(0) => {
                    // Shorter than when opened: truncated or replaced.
                    self.shrank = true;
                    self.remaining = 0;
                    return Ok(0);
                }
                Ok(n) => {
                    self.remaining -= n as u64;
                    self.read += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl TextInput for FileInput {
    fn size_hint(&self) -> u64 {
        self.remaining
    }

    fn read_text(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(mut decoder) = self.decoder.take() else {
            return self.read_raw(buf);
        };
        let result = (|| {
            loop {
                if self.flushed {
                    return Ok(0);
                }
                if self.raw_pos >= self.raw.len() {
                    // Up to a third of the output space: Windows-1252 can
                    // triple in UTF-8, UTF-16 grows by half at most.
                    let n = (buf.len() / 3).clamp(16, RAW_CHUNK);
                    self.raw.resize(n, 0);
                    let mut raw = std::mem::take(&mut self.raw);
                    let got = self.read_raw(&mut raw);
                    self.raw = raw;
                    let got = got?;
                    self.raw.truncate(got);
                    self.raw_pos = 0;
                }
                let last = self.remaining == 0 && self.raw_pos >= self.raw.len();
                let (result, consumed, written, _) =
                    decoder.decode_to_utf8(&self.raw[self.raw_pos..], buf, last);
                self.raw_pos += consumed;
                if last && result == CoderResult::InputEmpty {
                    self.flushed = true;
                }
                if written > 0 {
                    return Ok(written);
                }
            }
        })();
        self.decoder = Some(decoder);
        result
    }

    fn bytes_read(&self) -> u64 {
        self.read
    }

    fn shrank(&self) -> bool {
        self.shrank
    }

    fn grew(&self) -> bool {
        self.file.metadata().is_ok_and(|m| m.len() > self.expected)
    }
}

/// Text already in memory (rule samples, tests).
#[derive(Debug)]
pub(crate) struct SliceInput<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> SliceInput<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        SliceInput { data, pos: 0 }
    }
}

impl TextInput for SliceInput<'_> {
    fn size_hint(&self) -> u64 {
        (self.data.len() - self.pos) as u64
    }

    fn read_text(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }

    fn bytes_read(&self) -> u64 {
        self.pos as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::model::TextEncoding;
    use std::io::Write;

    fn read_all(input: &mut dyn TextInput, chunk: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; chunk];
        loop {
            let n = input.read_text(&mut buf).unwrap();
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    fn write(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f.flush().unwrap();
        f
    }

    #[test]
    fn decodes_utf16_with_and_without_bom_in_small_steps() {
        let text = "l\u{e9}ne one\r\nline two \u{1F600}\r\n".repeat(50);
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut bom = b"\xff\xfe".to_vec();
        bom.extend_from_slice(&le);
        for bytes in [le, bom] {
            let f = write(&bytes);
            let opened = OpenedFile::open(f.path()).unwrap();
            let mut input = opened.into_input().unwrap();
            assert_eq!(String::from_utf8(read_all(&mut input, 64)).unwrap(), text);
            assert_eq!(input.bytes_read(), bytes.len() as u64);
            assert!(!input.shrank());
        }
    }

    #[test]
    fn decodes_windows_1252() {
        let f = write(b"caf\xe9 \x80\n");
        let opened = OpenedFile::open(f.path()).unwrap();
        assert_eq!(opened.sniff.encoding, TextEncoding::Windows1252);
        let mut input = opened.into_input().unwrap();
        assert_eq!(read_all(&mut input, 64), "caf\u{e9} \u{20ac}\n".as_bytes());
    }

    #[test]
    fn stops_at_the_length_seen_when_opened() {
        let mut f = write(b"one\ntwo\n");
        let opened = OpenedFile::open(f.path()).unwrap();
        let mut input = opened.into_input().unwrap();
        // The service appends while we read.
        f.write_all(b"three\n").unwrap();
        f.flush().unwrap();
        assert_eq!(read_all(&mut input, 64), b"one\ntwo\n");
        assert!(input.grew());
    }

    #[test]
    fn notices_a_file_truncated_while_read() {
        let f = write(&b"x".repeat(10_000));
        let opened = OpenedFile::open(f.path()).unwrap();
        let mut input = opened.into_input().unwrap();
        let mut buf = vec![0u8; 4096];
        assert_eq!(input.read_text(&mut buf).unwrap(), 4096);
        f.as_file().set_len(5000).unwrap();
        let rest = read_all(&mut input, 4096);
        assert_eq!(rest.len(), 5000 - 4096);
        assert!(input.shrank());
    }

    #[test]
    fn keeps_reading_a_file_deleted_while_read() {
        let f = write(&b"y\n".repeat(5000));
        let path = f.path().to_owned();
        let opened = OpenedFile::open(&path).unwrap();
        let mut input = opened.into_input().unwrap();
        let mut buf = vec![0u8; 1024];
        input.read_text(&mut buf).unwrap();
        drop(f); // deletes the file
        assert!(!path.exists());
        // On Windows and Unix an open handle keeps the data readable.
        assert_eq!(read_all(&mut input, 1024).len(), 10_000 - 1024);
    }

    #[test]
    fn explains_missing_files() {
        let e = OpenedFile::open(Path::new("/no/such/nymi_api.log")).unwrap_err();
        assert_eq!(describe_io_error(&e).0, "not_found");
    }
}
