//! One row as a source gives it, before the roll-up: a device, the
//! output its detection script printed, when that was, and where the row
//! came from.

use time::{Date, OffsetDateTime};

/// One device result as read from a CSV row, a report file or a request
/// row.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct SourceRow {
    /// The device's name, trimmed; `None` when empty.
    pub(crate) device_name: Option<String>,
    /// The device's id (Intune/Entra), trimmed; `None` when empty.
    pub(crate) device_id: Option<String>,
    /// The detection script's output before remediation.
    pub(crate) output: Option<String>,
    /// The detection script's output after remediation.
    pub(crate) post_output: Option<String>,
    /// When the result was reported, UTC.
    pub(crate) last_seen: Option<OffsetDateTime>,
    /// Intune's detection state, as given.
    pub(crate) detection: Option<String>,
    /// Where the row came from: `file:line`, a report's path, `rows[3]`.
    pub(crate) origin: String,
    /// For a report file: the earliest NEA expiry of its certificate
    /// inventory, used when the line has no `expiry=` (version 0 lines).
    pub(crate) expiry_fallback: Option<Date>,
    /// For a report file: the diagnosis's site, used when the line has no
    /// `site=`.
    pub(crate) site_fallback: Option<String>,
    /// Why the source record could not be read (a partial report, another
    /// schema version); such a row is listed as unparsed with this reason.
    pub(crate) unreadable: Option<String>,
}

impl SourceRow {
    /// The output the roll-up reads: the post-remediation output when it
    /// has text, else the pre-remediation output.
    pub(crate) fn effective_output(&self) -> &str {
        match self.post_output.as_deref() {
            Some(post) if !post.trim().is_empty() => post,
            _ => self.output.as_deref().unwrap_or(""),
        }
    }
}

/// `text` trimmed, `None` when nothing is left.
pub(crate) fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_output_wins_when_it_has_text() {
        let mut row = SourceRow {
            output: Some("STATUS=ISSUE".into()),
            ..SourceRow::default()
        };
        assert_eq!(row.effective_output(), "STATUS=ISSUE");
        row.post_output = Some("  ".into());
        assert_eq!(row.effective_output(), "STATUS=ISSUE");
        row.post_output = Some("STATUS=OK".into());
        assert_eq!(row.effective_output(), "STATUS=OK");
        row.output = None;
        row.post_output = None;
        assert_eq!(row.effective_output(), "");
    }

    #[test]
    fn empty_text_is_none() {
        assert_eq!(non_empty("  "), None);
        assert_eq!(non_empty(" a "), Some("a".into()));
    }
}
