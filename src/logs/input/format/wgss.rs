//! Evidian WGSS (Nymi) trace records.
//!
//! `704:(22/03/17 06:13:14.149):CHttpClient.cpp :0402: -> CHttpClient::GetHttpStatus`
//!
//! The leading number is most likely the thread id; `-> ` marks a function
//! entry and `<- ` an exit, which may end with `returned: 0x........`.
//! Traces are also found with other prefixes (ISO 8601 times, bracketed
//! thread ids, no prefix at all: see [`prefix`](super::prefix)); the time
//! and thread are read from whichever prefix the line has.
//!
//! A Windows message text can carry a line break, so in a file whose
//! lines have prefixes, lines that do not start with one belong to the
//! record before them (the scanner attaches them). In a file without
//! prefixes every line is a record. A two-digit date is ambiguous
//! (YY/MM/DD or DD/MM/YY): the order is a parameter, checked against the
//! file's modified time.

use std::borrow::Cow;

use time::{Time, UtcOffset};

use super::prefix::{self, Stamp};
use super::{ParseSettings, Record, to_unix_ms};
use crate::logs::model::DateOrder;

/// Whether a line starts a new record (it has a recognised prefix).
/// Cheap for the article's shape: used on every line boundary the
/// scanner looks at.
pub(crate) fn is_header(line: &[u8]) -> bool {
    prefix::starts_record(line)
}

/// Source-file extensions of the Evidian client's trace lines.
const SOURCE_EXTENSIONS: [&str; 6] = [".cpp", ".c", ".cc", ".cxx", ".h", ".hpp"];
/// Words only WGSS traces carry.
const SIGNATURES: [&str; 8] = [
    "WearableExtension",
    "WearableContext",
    "NesClient",
    "CHttpClient",
    "Wearable::",
    "with USER creds",
    "visible devices",
    "Error from token request",
];

/// Whether a line looks like a WGSS trace line: the article's prefix, or
/// any other prefix (or none) followed by a WGSS signature (a
/// `Source.cpp :0402:` part, a `-> `/`<- ` marker, a `returns: 0x`
/// code, or a name only these traces carry).
pub(crate) fn looks_like(line: &str) -> bool {
    let p = prefix::parse(line.as_bytes());
    let rest = &line[p.len..];
    // The article's `NNN:(stamp):Source :line:` shape, whatever the source.
    (p.thread.is_some() && p.stamp.is_some() && split_source(rest).is_some()) || has_signature(rest)
}

fn has_signature(rest: &str) -> bool {
    if rest.starts_with("-> ") || rest.starts_with("<- ") {
        return true;
    }
    if let Some((source, _, _)) = split_source(rest) {
        let lower = source.to_ascii_lowercase();
        if SOURCE_EXTENSIONS.iter().any(|e| lower.ends_with(e)) {
            return true;
        }
    }
    return_code(rest).is_some() || SIGNATURES.iter().any(|s| rest.contains(s))
}

/// Reads WGSS records.
#[derive(Debug)]
pub(crate) struct Parser {
    order: DateOrder,
    offset: UtcOffset,
}

impl Parser {
    pub(crate) fn new(settings: ParseSettings) -> Parser {
        Parser {
            order: settings.date_order,
            offset: settings.offset,
        }
    }

    pub(crate) fn parse<'r>(&'r self, text: &'r str) -> Record<'r> {
        let mut record = Record::default();
        let p = prefix::parse(text.as_bytes());
        if let Some(id) = p.thread_in(text) {
            record.fields.push(("thread", Cow::Borrowed(id)));
        }
        if let Some(stamp) = &p.stamp {
            match stamp.unix_ms(self.order, self.offset) {
                Some(t) => record.time = Some(t),
                None => record.problems.push(self.bad_date(text, stamp)),
            }
        }
        let rest = &text[p.len..];
        // `Source.cpp :0402: message`; the message may contain colons.
        let (source, line, message) = split_source(rest).unwrap_or(("", "", rest));
        if !source.is_empty() {
            record.fields.push(("source", Cow::Borrowed(source)));
        }
        if !line.is_empty() {
            record.fields.push(("source_line", Cow::Borrowed(line)));
        }
        let first_line = message.lines().next().unwrap_or("");
        if let Some(m) = first_line.strip_prefix("-> ") {
            record.fields.push(("entry", Cow::Borrowed(m.trim())));
        } else if let Some(m) = first_line.strip_prefix("<- ") {
            let name = m.split_whitespace().next().unwrap_or("");
            record.fields.push(("exit", Cow::Borrowed(name)));
        }
        if let Some(code) = return_code(message) {
            record.fields.push(("return_code", Cow::Owned(code)));
        }
        record.fields.push(("message", Cow::Borrowed(message)));
        record
    }

    fn bad_date(&self, text: &str, stamp: &Stamp) -> String {
        let shown = text.get(stamp.span.0..stamp.span.1).unwrap_or("");
        if stamp.is_short() {
            format!(
                "date `{shown}` is not a valid {} date",
                self.order.pattern()
            )
        } else {
            format!("date `{shown}` is not a valid date and time")
        }
    }

    /// Only the time of a record line.
    pub(crate) fn time_of(&self, text: &str) -> Option<i64> {
        prefix::parse(text.as_bytes())
            .stamp?
            .unix_ms(self.order, self.offset)
    }
}

/// `Source.cpp :0402: message` (or with tabs instead of the colons) into
/// its three parts.
fn split_source(rest: &str) -> Option<(&str, &str, &str)> {
    let sep = rest.find([':', '\t'])?;
    let source = rest[..sep].trim_end();
    if source.is_empty() || source.contains([' ', '\t']) {
        return None;
    }
    let after = rest[sep + 1..].trim_start_matches([' ', '\t']);
    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
    let tail = after[digits..].trim_start_matches(' ');
    if digits == 0 || !tail.starts_with([':', '\t']) {
        return None;
    }
    let message = tail[1..].trim_start_matches([' ', '\t']);
    Some((source, &after[..digits], message))
}

/// `returns: 0x8101201c` / `returned: 0X81010009` → the code, lower case.
pub(crate) fn return_code(message: &str) -> Option<String> {
    for key in ["returned:", "returns:"] {
        if let Some(i) = message.find(key) {
            let after = message[i + key.len()..].trim_start();
            let hex = after
                .strip_prefix("0x")
                .or_else(|| after.strip_prefix("0X"))?;
            let n = hex.bytes().take_while(u8::is_ascii_hexdigit).count();
            if n == 8 {
                return Some(format!("0x{}", hex[..8].to_ascii_lowercase()));
            }
        }
    }
    None
}

/// The first two-digit-date stamp of a file's first lines, with its
/// line, for [`choose_date_order`].
pub(crate) fn first_short_date(sample: &str) -> Option<&str> {
    sample.lines().find(|l| {
        is_header(l.as_bytes())
            && prefix::parse(l.as_bytes())
                .stamp
                .is_some_and(|s| s.is_short())
    })
}

/// How far before the modified time a first record may lie and still
/// look plausible: trace files are rotated long before a year is over.
const PLAUSIBLE_SPAN_MS: i64 = 400 * 24 * 3600 * 1000;
/// Clock slack allowed after the modified time.
const SLACK_MS: i64 = 2 * 24 * 3600 * 1000;

/// Picks the date order for a file from its first record line and its
/// modified time. Returns the order and, when it differs from the
/// requested one or could not be checked, why.
pub(crate) fn choose_date_order(
    first_record: Option<&str>,
    requested: DateOrder,
    modified_ms: Option<i64>,
    offset: UtcOffset,
) -> (DateOrder, Option<String>) {
    let Some(line) = first_record else {
        return (requested, None);
    };
    let Some(stamp) = prefix::parse(line.as_bytes()).stamp.filter(Stamp::is_short) else {
        return (requested, None);
    };
    let date = &line[stamp.date_span.0..stamp.date_span.1];
    let other = requested.other();
    let at = |order| {
        stamp
            .date(order)
            .map(|d| to_unix_ms(d, Time::MIDNIGHT, offset))
    };
    let (mine, theirs) = (at(requested), at(other));
    let Some(mtime) = modified_ms else {
        return match (mine, theirs) {
            (None, Some(_)) => (
                other,
                Some(format!(
                    "`{date}` is not a valid {} date; read as {}",
                    requested.pattern(),
                    other.pattern()
                )),
            ),
            _ => (requested, None),
        };
    };
    let not_after = |t: Option<i64>| t.is_some_and(|t| t <= mtime + SLACK_MS);
    let close = |t: Option<i64>| not_after(t) && t.is_some_and(|t| mtime - t <= PLAUSIBLE_SPAN_MS);
    let describe = |t: Option<i64>, order: DateOrder| match t {
        None => format!("not a valid {} date", order.pattern()),
        Some(_) if !not_after(t) => {
            format!(
                "as {} it would be after the file was last modified",
                order.pattern()
            )
        }
        Some(_) => format!(
            "as {} it is over 400 days before the file was last modified",
            order.pattern()
        ),
    };
    if close(mine) {
        (requested, None)
    } else if close(theirs) || (!not_after(mine) && not_after(theirs)) {
        (
            other,
            Some(format!(
                "first record date `{date}`: {}; read as {}",
                describe(mine, requested),
                other.pattern()
            )),
        )
    } else {
        let note = if not_after(mine) {
            None
        } else {
            Some(format!(
                "first record date `{date}` fits neither order against the file's modified time; \
                 read as {}",
                requested.pattern()
            ))
        };
        (requested, note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::input::format::{parse_hms, parse_ymd};

    fn parser(order: DateOrder) -> Parser {
        Parser::new(ParseSettings {
            offset: UtcOffset::UTC,
            date_order: order,
        })
    }

    const EXIT: &str = "704:(22/03/17 06:13:14.163):WearableContext.cpp :0460: <- CWearableContext::ConnectUserWearableDevice returned: 0x81010009";

    #[test]
    fn recognises_record_lines() {
        assert!(is_header(EXIT.as_bytes()));
        assert!(!is_header(b"'"));
        assert!(is_header(b"704:(22/03/17 06:13:14):x"));
        assert!(is_header(b"2022-03-17T06:13:14Z x"));
        assert!(!is_header(b"0 visible devices"));
        assert!(!is_header(b":(22/03/17 06:13:14.163):x"));
    }

    #[test]
    fn parses_fields_markers_and_return_codes() {
        let p = parser(DateOrder::YyMmDd);
        let r = p.parse(EXIT);
        assert_eq!(r.field("thread"), Some("704"));
        assert_eq!(r.field("source"), Some("WearableContext.cpp"));
        assert_eq!(r.field("source_line"), Some("0460"));
        assert_eq!(
            r.field("exit"),
            Some("CWearableContext::ConnectUserWearableDevice")
        );
        assert_eq!(r.field("return_code"), Some("0x81010009"));
        let expected = to_unix_ms(
            parse_ymd("2022-03-17").unwrap(),
            parse_hms("06:13:14.163").unwrap(),
            UtcOffset::UTC,
        );
        assert_eq!(r.time, Some(expected));
        assert!(r.problems.is_empty());

        let entry = p.parse(
            "704:(22/03/17 06:13:14.149):CHttpClient.cpp :0402: -> CHttpClient::GetHttpStatus",
        );
        assert_eq!(entry.field("entry"), Some("CHttpClient::GetHttpStatus"));
        let returns = p.parse("704:(22/03/17 06:13:14.162):WearableExtension.cpp :0440: Ext::GetListOfVisibleDevices returns: 0x8101201C");
        assert_eq!(returns.field("return_code"), Some("0x8101201c"));
    }

    #[test]
    fn keeps_continuation_text_in_the_message() {
        let p = parser(DateOrder::YyMmDd);
        let r = p.parse("704:(22/03/17 06:13:14.149):NesClient.cpp :0114: Error from token request--code: 0 - message: 'The operation is complete\n'");
        assert!(r.field("message").unwrap().ends_with("complete\n'"));
    }

    #[test]
    fn reports_impossible_dates() {
        let p = parser(DateOrder::YyMmDd);
        let r = p.parse("1:(22/13/17 06:13:14.149):a.cpp :0001: x");
        assert_eq!(r.time, None);
        assert!(r.problems[0].contains("yy/mm/dd"), "{:?}", r.problems);
        let p = parser(DateOrder::DdMmYy);
        let dmy = p.parse("1:(17/03/22 06:13:14.149):a.cpp :0001: x");
        assert!(dmy.time.is_some());
    }

    fn ms(date: &str) -> i64 {
        to_unix_ms(parse_ymd(date).unwrap(), Time::MIDNIGHT, UtcOffset::UTC)
    }

    #[test]
    fn date_order_is_checked_against_the_modified_time() {
        let line = "704:(22/03/17 06:13:14.149):a.cpp :0001: x";
        // Written in March 2022: yy/mm/dd fits.
        let (o, note) = choose_date_order(
            Some(line),
            DateOrder::YyMmDd,
            Some(ms("2022-03-20")),
            UtcOffset::UTC,
        );
        assert_eq!((o, note), (DateOrder::YyMmDd, None));
        // Written in March 2017: only dd/mm/yy fits.
        let (o, note) = choose_date_order(
            Some(line),
            DateOrder::YyMmDd,
            Some(ms("2017-03-23")),
            UtcOffset::UTC,
        );
        assert_eq!(o, DateOrder::DdMmYy);
        assert!(note.unwrap().contains("after the file was last modified"));
        // Asked for dd/mm/yy but the file is from 2022.
        let (o, _) = choose_date_order(
            Some(line),
            DateOrder::DdMmYy,
            Some(ms("2022-03-18")),
            UtcOffset::UTC,
        );
        assert_eq!(o, DateOrder::YyMmDd);
        // 24/02/30 is not a valid yy/mm/dd date (30 February).
        let (o, note) = choose_date_order(
            Some("1:(24/02/30 06:13:14.149):a.cpp :0001: x"),
            DateOrder::YyMmDd,
            None,
            UtcOffset::UTC,
        );
        assert_eq!(o, DateOrder::DdMmYy);
        assert!(note.is_some());
    }
}
