//! Bytes of an exported table as text: what Intune, Excel and PowerShell
//! write. UTF-8 with or without a byte order mark (Intune's export,
//! PowerShell 7's `Export-Csv`), UTF-16 with one (Excel's "Unicode text",
//! Windows PowerShell 5.1's `Out-File`), and, for a file that is not UTF-8
//! at all, Windows-1252 (Excel's "CSV" on a Western Windows).

use std::borrow::Cow;

/// The encoding a table was read with, for the report's warnings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextEncoding {
    /// UTF-8, with or without a byte order mark.
    Utf8,
    /// UTF-16 little-endian, with a byte order mark.
    Utf16Le,
    /// UTF-16 big-endian, with a byte order mark.
    Utf16Be,
    /// Not UTF-8 and no byte order mark: read as Windows-1252.
    Windows1252,
}

impl TextEncoding {
    /// The name shown in warnings.
    pub(crate) fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
            TextEncoding::Windows1252 => "Windows-1252",
        }
    }
}

/// Decodes `bytes`, the byte order mark removed. Never fails: a UTF-16
/// text with a broken surrogate gets U+FFFD there.
pub(crate) fn decode(bytes: &[u8]) -> (Cow<'_, str>, TextEncoding) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return (String::from_utf8_lossy(rest), TextEncoding::Utf8);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(rest);
        return (Cow::Owned(text.into_owned()), TextEncoding::Utf16Le);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        let (text, _) = encoding_rs::UTF_16BE.decode_without_bom_handling(rest);
        return (Cow::Owned(text.into_owned()), TextEncoding::Utf16Be);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (Cow::Borrowed(text), TextEncoding::Utf8),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (Cow::Owned(text.into_owned()), TextEncoding::Windows1252)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, le: bool) -> Vec<u8> {
        let mut out = if le {
            vec![0xFF, 0xFE]
        } else {
            vec![0xFE, 0xFF]
        };
        for unit in text.encode_utf16() {
            let b = if le {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            };
            out.extend_from_slice(&b);
        }
        out
    }

    #[test]
    fn every_encoding_gives_the_same_text() {
        let text = "DeviceName,Output\r\nZürich-01,STATUS=OK\r\n";
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let (ansi, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        for (bytes, encoding) in [
            (text.as_bytes().to_vec(), TextEncoding::Utf8),
            (bom, TextEncoding::Utf8),
            (utf16(text, true), TextEncoding::Utf16Le),
            (utf16(text, false), TextEncoding::Utf16Be),
            (ansi.into_owned(), TextEncoding::Windows1252),
        ] {
            let (decoded, found) = decode(&bytes);
            assert_eq!(decoded, text, "{encoding:?}");
            assert_eq!(found, encoding);
        }
    }

    #[test]
    fn empty_and_odd_inputs_decode() {
        assert_eq!(decode(b"").0, "");
        assert_eq!(decode(b"\xFF\xFE").0, "");
        // An odd byte at the end of UTF-16 text is replaced, not a panic.
        assert_eq!(decode(b"\xFF\xFEa\x00b").0, "a\u{fffd}");
    }
}
