//! Text encodings of log files, detected from their first bytes.
//!
//! Windows services write UTF-8 (with or without a byte-order mark),
//! UTF-16LE (PowerShell 5.1's `Out-File` default, with a BOM; some tools
//! without one) and, for older tools, the ANSI code page (Windows-1252 in
//! the West). Detection order: BOM, binary signatures, UTF-16 without BOM
//! (NUL bytes in every other position), binary by control-byte ratio,
//! then UTF-8 validity with Windows-1252 as the fallback.

use std::borrow::Cow;

use crate::logs::model::TextEncoding;

// The type is part of the report model; what it takes to decode it
// belongs here with the rest of the reading.
impl TextEncoding {
    /// The encoding_rs decoder needed, or `None` when the bytes are
    /// searched as they are (UTF-8).
    pub(crate) fn decoder(self) -> Option<&'static encoding_rs::Encoding> {
        match self {
            TextEncoding::Utf8 | TextEncoding::Utf8Bom => None,
            TextEncoding::Utf16LeBom | TextEncoding::Utf16Le => Some(encoding_rs::UTF_16LE),
            TextEncoding::Utf16BeBom | TextEncoding::Utf16Be => Some(encoding_rs::UTF_16BE),
            TextEncoding::Windows1252 => Some(encoding_rs::WINDOWS_1252),
        }
    }
}

/// What the first bytes of a file say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sniff {
    pub(crate) encoding: TextEncoding,
    /// Bytes of byte-order mark to skip.
    pub(crate) bom_len: usize,
    /// Why the file is not text, when it is not.
    pub(crate) binary: Option<String>,
}

/// Bytes read for detection.
pub(crate) const SAMPLE_BYTES: usize = 64 * 1024;

/// File signatures of formats that are never logs.
const SIGNATURES: &[(&[u8], &str)] = &[
    (b"PK\x03\x04", "zip archive"),
    (b"PK\x05\x06", "zip archive (empty)"),
    (b"\x7fELF", "ELF executable"),
    (b"\x1f\x8b", "gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "OLE compound file (MSI, old Office)",
    ),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"%PDF-", "PDF document"),
    (b"MSCF", "cabinet archive"),
    (b"SQLite format 3\0", "SQLite database"),
    (b"\x00\x00\x01\x00", "icon"),
];

/// Detects encoding (and binary content) from the start of a file;
/// `whole` says the sample is the entire file (not cut at
/// [`SAMPLE_BYTES`]).
pub(crate) fn sniff(sample: &[u8], whole: bool) -> Sniff {
    let text = |encoding, bom_len| Sniff {
        encoding,
        bom_len,
        binary: None,
    };
    if sample.starts_with(b"\xef\xbb\xbf") {
        return text(TextEncoding::Utf8Bom, 3);
    }
    if sample.starts_with(b"\xff\xfe") && !sample.starts_with(b"\xff\xfe\x00\x00") {
        return text(TextEncoding::Utf16LeBom, 2);
    }
    if sample.starts_with(b"\xfe\xff") {
        return text(TextEncoding::Utf16BeBom, 2);
    }
    let binary = |why: &str| Sniff {
        encoding: TextEncoding::Utf8,
        bom_len: 0,
        binary: Some(why.to_owned()),
    };
    for (magic, what) in SIGNATURES {
        if sample.starts_with(magic) {
            return binary(what);
        }
    }
    // "MZ" alone could start a text line; a PE header has NUL bytes soon.
    if sample.starts_with(b"MZ") && sample.iter().take(1024).any(|&b| b == 0) {
        return binary("Windows executable or DLL (MZ header)");
    }
    if let Some(enc) = utf16_without_bom(sample) {
        return text(enc, 0);
    }
    let control = sample
        .iter()
        .filter(|&&b| matches!(b, 0..=8 | 14..=26 | 28..=31))
        .count();
    // Ten per cent control bytes is no log, while a few NULs (a file cut
    // by a crash, padding) still leave the file readable as text.
    if !sample.is_empty() && control * 10 > sample.len() {
        return binary(&format!(
            "binary content ({control} of the first {} bytes are control bytes)",
            sample.len()
        ));
    }
    match std::str::from_utf8(sample) {
        Ok(_) => text(TextEncoding::Utf8, 0),
        // Only a sequence cut by the sample's end: still UTF-8.
        Err(e) if e.error_len().is_none() && !whole => text(TextEncoding::Utf8, 0),
        Err(_) => text(TextEncoding::Windows1252, 0),
    }
}

/// UTF-16 without BOM: ASCII text has a NUL in every other byte.
fn utf16_without_bom(sample: &[u8]) -> Option<TextEncoding> {
    let pairs = sample.len().min(8192) / 2;
    if pairs < 2 {
        return None;
    }
    let (mut even_zero, mut odd_zero) = (0usize, 0usize);
    for pair in sample.chunks_exact(2).take(pairs) {
        even_zero += usize::from(pair[0] == 0);
        odd_zero += usize::from(pair[1] == 0);
    }
    let many = |n: usize| n * 10 >= pairs * 4;
    let few = |n: usize| n * 20 < pairs;
    if many(odd_zero) && few(even_zero) {
        Some(TextEncoding::Utf16Le)
    } else if many(even_zero) && few(odd_zero) {
        Some(TextEncoding::Utf16Be)
    } else {
        None
    }
}

/// Decodes a sample for kind detection (lossy; never fails).
pub(crate) fn decode_sample(sample: &[u8], sniff: &Sniff) -> String {
    let body = sample.get(sniff.bom_len..).unwrap_or_default();
    match sniff.encoding.decoder() {
        None => String::from_utf8_lossy(body).into_owned(),
        Some(enc) => enc.decode_without_bom_handling(body).0.into_owned(),
    }
}

/// Decodes one line of a file searched as UTF-8: invalid UTF-8 falls back
/// to Windows-1252 (the second value says so). When the line was `cut` by
/// the line cap, a multi-byte character cut with it is dropped rather
/// than misread.
pub(crate) fn decode_line(raw: &[u8], cut: bool) -> (Cow<'_, str>, bool) {
    match std::str::from_utf8(raw) {
        Ok(s) => (Cow::Borrowed(s), false),
        Err(e) if cut && e.error_len().is_none() => {
            let valid = &raw[..e.valid_up_to()];
            // The prefix was checked just above.
            (String::from_utf8_lossy(valid), false)
        }
        Err(_) => (
            encoding_rs::WINDOWS_1252.decode_without_bom_handling(raw).0,
            true,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff_(sample: &[u8]) -> Sniff {
        sniff(sample, false)
    }

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn reads_byte_order_marks() {
        assert_eq!(sniff_(b"\xef\xbb\xbfabc").encoding, TextEncoding::Utf8Bom);
        assert_eq!(sniff_(b"\xef\xbb\xbfabc").bom_len, 3);
        assert_eq!(sniff_(b"\xff\xfea\0").encoding, TextEncoding::Utf16LeBom);
        assert_eq!(sniff_(b"\xfe\xff\0a").encoding, TextEncoding::Utf16BeBom);
    }

    #[test]
    fn detects_utf16le_without_bom() {
        let s = sniff_(&utf16le("704:(22/03/17 06:13:14.149):a.cpp :0001: x\r\n"));
        assert_eq!(s.encoding, TextEncoding::Utf16Le);
        assert_eq!(s.binary, None);
        let be: Vec<u8> = "hello world\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(sniff_(&be).encoding, TextEncoding::Utf16Be);
    }

    #[test]
    fn tells_utf8_from_windows_1252() {
        assert_eq!(
            sniff_("caf\u{e9}\n".as_bytes()).encoding,
            TextEncoding::Utf8
        );
        assert_eq!(sniff_(b"caf\xe9\n").encoding, TextEncoding::Windows1252);
        // A sequence cut at the end of the sample is still UTF-8, at the
        // end of the whole file it is not.
        assert_eq!(sniff_(b"abc\xc3").encoding, TextEncoding::Utf8);
        assert_eq!(sniff(b"abc\xc3", true).encoding, TextEncoding::Windows1252);
    }

    #[test]
    fn recognises_binaries() {
        let mut dll = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
        dll.extend(std::iter::repeat_n(0u8, 100));
        assert!(sniff_(&dll).binary.unwrap().contains("DLL"));
        assert!(
            sniff_(b"PK\x03\x04\x14\x00")
                .binary
                .unwrap()
                .contains("zip")
        );
        let noise: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 32) as u8).collect();
        assert!(sniff_(&noise).binary.is_some());
        assert!(sniff_(&vec![0u8; 4096]).binary.is_some());
        // A few NULs inside text do not make it binary.
        assert_eq!(sniff_(b"line one\nline\0two\nline three\n").binary, None);
        assert_eq!(sniff_(b"MZ is a text line\n").binary, None);
    }

    #[test]
    fn decodes_lines_with_a_fallback() {
        assert_eq!(decode_line(b"abc", false), (Cow::Borrowed("abc"), false));
        let (s, fallback) = decode_line(b"caf\xe9 \x80", false);
        assert_eq!(s, "caf\u{e9} \u{20ac}");
        assert!(fallback);
        // At the end of a whole line, a lone lead byte is Windows-1252...
        let (s, fallback) = decode_line(b"Jos\xe9", false);
        assert_eq!((s.as_ref(), fallback), ("Jos\u{e9}", true));
        // ...at the end of a line cut by the cap, half a character.
        let (cut, fallback) = decode_line("ab\u{e9}".as_bytes().split_last().unwrap().1, true);
        assert_eq!((cut.as_ref(), fallback), ("ab", false));
    }
}
