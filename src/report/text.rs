//! The one text cap, the one `caller` cap and the one size budget of the
//! library's reports.
//!
//! Text that comes from outside (file names, server answers, log lines, the
//! caller's own label) is capped before it goes into a report, so a hostile
//! or broken input cannot bloat every report or the console that shows it.
//! Every cap counts characters, never bytes, and never splits a UTF-8
//! character; where a reader should see that text was cut, the cut is
//! marked with [`CUT_MARK`].

use std::borrow::Cow;

/// What marks a cut: one character, so a capped value stays short and a
/// reader sees at once that there was more.
pub const CUT_MARK: char = '\u{2026}';

/// Longest `caller` text kept in `context.caller`: enough for a module
/// name, its version and the host's edition, small enough that a hostile
/// caller cannot bloat every report.
pub const MAX_CALLER_CHARS: usize = 256;

/// Largest report aimed at, in bytes of JSON: Windows PowerShell 5.1's
/// `ConvertFrom-Json` refuses text over 2,097,152 characters
/// (`JavaScriptSerializer.MaxJsonLength`), and the host scripts save a
/// diagnosis inside a run record (settings, status line, warnings) that
/// must still load there. 1.8 MB leaves about 290 kB for the envelope and
/// that record. A capability that would pass it drops its illustrating
/// lists first and says so in `warnings`; a diagnosis counts with the part
/// reports it embeds.
pub const REPORT_BUDGET: usize = 1_800_000;

/// How a cut shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// `max` characters are kept and [`CUT_MARK`] is appended: names,
    /// reasons, excerpts, where the reader must see that text is missing.
    Marked,
    /// `max` characters are kept, nothing is appended: fields with a hard
    /// width or alphabet (the ASCII Intune status line) and labels that are
    /// only echoed (`caller`, a value quoted in a parse message).
    Silent,
}

/// The byte index where text longer than `max` characters is cut, or
/// `None` when it fits. Always a character boundary.
pub fn cut_index(text: &str, max: usize) -> Option<usize> {
    // Fast path: a text of at most `max` bytes has at most `max` chars.
    if text.len() <= max {
        return None;
    }
    text.char_indices().nth(max).map(|(at, _)| at)
}

/// Keeps at most `max` characters of `text`; a cut is shown as `cut` says.
/// Borrows when nothing is cut.
pub fn clip(text: &str, max: usize, cut: Cut) -> Cow<'_, str> {
    let Some(at) = cut_index(text, max) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(at + CUT_MARK.len_utf8());
    out.push_str(&text[..at]);
    if cut == Cut::Marked {
        out.push(CUT_MARK);
    }
    Cow::Owned(out)
}

/// The `caller` of a request as kept in `context.caller`: at most
/// [`MAX_CALLER_CHARS`] characters, cut silently (the caller chose it).
pub fn cap_caller(caller: Option<&str>) -> Option<String> {
    caller.map(|c| clip(c, MAX_CALLER_CHARS, Cut::Silent).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_counts_characters_not_bytes() {
        assert_eq!(clip("証明書です", 3, Cut::Marked), "証明書…");
        assert_eq!(clip("証明書です", 3, Cut::Silent), "証明書");
        assert_eq!(clip("abc", 3, Cut::Marked), "abc");
        assert_eq!(clip("", 0, Cut::Marked), "");
        assert_eq!(clip("a", 0, Cut::Marked), "…");
        assert_eq!(clip("a", 0, Cut::Silent), "");
        assert!(matches!(clip("abc", 3, Cut::Marked), Cow::Borrowed(_)));
    }

    #[test]
    fn a_cut_never_splits_a_character() {
        let text = "aé日😀".repeat(50);
        for max in 0..text.chars().count() + 2 {
            for cut in [Cut::Marked, Cut::Silent] {
                let out = clip(&text, max, cut);
                let body = out.strip_suffix(CUT_MARK).unwrap_or(&out);
                assert!(text.starts_with(body), "{max}");
                assert_eq!(body.chars().count(), max.min(text.chars().count()));
            }
        }
    }

    #[test]
    fn ascii_is_cut_like_a_byte_truncate() {
        // The Intune status line was cut with `String::truncate`.
        let line = "x".repeat(3000);
        let mut truncated = line.clone();
        truncated.truncate(2048);
        assert_eq!(clip(&line, 2048, Cut::Silent), truncated);
    }

    #[test]
    fn the_caller_is_capped_silently() {
        let long = "é".repeat(1000);
        let kept = cap_caller(Some(&long)).unwrap();
        assert_eq!(kept.chars().count(), MAX_CALLER_CHARS);
        assert!(!kept.ends_with(CUT_MARK));
        assert_eq!(cap_caller(None), None);
        assert_eq!(cap_caller(Some("PS 5.1")).as_deref(), Some("PS 5.1"));
    }
}
