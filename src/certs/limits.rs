//! Caps that keep a report small and a hostile folder harmless.
//!
//! Windows PowerShell 5.1's `ConvertFrom-Json` fails above about 2 MB, so
//! every list a report can grow is capped, and the report says how much was
//! left out. The per-item text caps bound what one hostile certificate can
//! add.

/// Default `max_file_bytes`: NEA certificate files are a few KB.
pub(crate) const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 20;

/// Largest `max_file_bytes` honoured: a larger request is clamped, since a
/// file is read into memory whole.
pub(crate) const HARD_MAX_FILE_BYTES: u64 = 64 << 20;

/// Stores examined per call; more are counted in `stores_omitted`.
pub(crate) const MAX_STORES: usize = 32;

/// Entries examined per store; the rest are counted, not read.
pub(crate) const MAX_ENTRIES_PER_STORE: usize = 50_000;

/// Certificates taken from one file (a PKCS#7 bundle or PEM file can hold
/// many).
pub(crate) const MAX_CERTS_PER_FILE: usize = 1_000;

/// File entries listed per store and per report.
pub(crate) const MAX_FILES_LISTED_PER_STORE: usize = 200;
/// See [`MAX_FILES_LISTED_PER_STORE`].
pub(crate) const MAX_FILES_LISTED_TOTAL: usize = 1_000;

/// Certificates listed per store and per report.
pub(crate) const MAX_CERTS_LISTED_PER_STORE: usize = 64;
/// See [`MAX_CERTS_LISTED_PER_STORE`].
pub(crate) const MAX_CERTS_LISTED_TOTAL: usize = 256;

/// Roots and families listed per store.
pub(crate) const MAX_GROUPS_LISTED: usize = 32;

/// Items named in one finding's evidence list.
pub(crate) const MAX_EVIDENCE_ITEMS: usize = 20;

/// Characters kept of one text value (names, file names, reasons).
pub(crate) const MAX_TEXT_CHARS: usize = 256;

/// Characters kept of a path.
pub(crate) const MAX_PATH_CHARS: usize = 1_024;

/// subjectAltName entries, EKUs and notes kept per certificate.
pub(crate) const MAX_LIST_ITEMS: usize = 8;

/// Thumbprints listed per file, and files listed per certificate.
pub(crate) const MAX_LINKS: usize = 8;

/// Keeps at most `max` characters of `text`, marking a cut with `…` (the
/// report's one text cap).
pub(crate) fn clip(text: &str, max: usize) -> String {
    crate::report::clip(text, max, crate::report::Cut::Marked).into_owned()
}

/// Keeps the first `max` items and returns them with the number dropped.
pub(crate) fn cap<T>(mut items: Vec<T>, max: usize) -> (Vec<T>, u32) {
    let dropped = items.len().saturating_sub(max);
    items.truncate(max);
    (items, u32::try_from(dropped).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_counts_characters_not_bytes() {
        assert_eq!(clip("証明書です", 3), "証明書…");
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("", 0), "");
    }

    #[test]
    fn cap_reports_what_it_dropped() {
        assert_eq!(cap(vec![1, 2, 3], 2), (vec![1, 2], 1));
        assert_eq!(cap(vec![1], 2), (vec![1], 0));
    }
}
