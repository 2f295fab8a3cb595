//! IIS W3C extended log records (NES server side).
//!
//! Columns come from the last `#Fields:` directive, re-read at every new
//! header block (IIS writes one whenever logging restarts). Files without
//! a header fall back to the IIS default field sets by column count. `-`
//! is an empty value, `+` stands for a space, times are UTC.

use crate::report::{Cut, clip};
use std::borrow::Cow;
use std::net::IpAddr;

use time::UtcOffset;

use super::{Record, parse_hms, parse_ymd, to_unix_ms};

/// IIS 7.5+ defaults (`logExtFileFlags`), 15 columns.
const DEFAULT_15: &[&str] = &[
    "date",
    "time",
    "s-ip",
    "cs-method",
    "cs-uri-stem",
    "cs-uri-query",
    "s-port",
    "cs-username",
    "c-ip",
    "cs(User-Agent)",
    "cs(Referer)",
    "sc-status",
    "sc-substatus",
    "sc-win32-status",
    "time-taken",
];
/// IIS 7.5 without `cs(Referer)`, 14 columns (seen in real files).
const DEFAULT_14: &[&str] = &[
    "date",
    "time",
    "s-ip",
    "cs-method",
    "cs-uri-stem",
    "cs-uri-query",
    "s-port",
    "cs-username",
    "c-ip",
    "cs(User-Agent)",
    "sc-status",
    "sc-substatus",
    "sc-win32-status",
    "time-taken",
];
/// IIS 7.0 schema defaults (no `time-taken`, no `cs(Referer)`), 13 columns.
const DEFAULT_13: &[&str] = &[
    "date",
    "time",
    "s-ip",
    "cs-method",
    "cs-uri-stem",
    "cs-uri-query",
    "s-port",
    "cs-username",
    "c-ip",
    "cs(User-Agent)",
    "sc-status",
    "sc-substatus",
    "sc-win32-status",
];
/// IIS 6 defaults, 11 columns.
const DEFAULT_11: &[&str] = &[
    "date",
    "time",
    "c-ip",
    "cs-username",
    "s-ip",
    "s-port",
    "cs-method",
    "cs-uri-stem",
    "cs-uri-query",
    "sc-status",
    "cs(User-Agent)",
];

/// The IIS default field set of `columns` columns, for files without a
/// `#Fields:` header.
pub(crate) fn default_for(columns: usize) -> Option<&'static [&'static str]> {
    match columns {
        15 => Some(DEFAULT_15),
        14 => Some(DEFAULT_14),
        13 => Some(DEFAULT_13),
        11 => Some(DEFAULT_11),
        _ => None,
    }
}

/// Whether a headerless line looks like an IIS record: a date, a time and
/// a column count of a default field set.
pub(crate) fn looks_like(line: &str) -> bool {
    let mut cols = line.split_ascii_whitespace();
    let (Some(d), Some(t)) = (cols.next(), cols.next()) else {
        return false;
    };
    parse_ymd(d).is_some()
        && parse_hms(t).is_some()
        && default_for(line.split_ascii_whitespace().count()).is_some()
}

/// Column names of a record: the header's or a default set.
enum Names<'r> {
    Header(&'r [String]),
    Default(&'static [&'static str]),
}

impl<'r> Names<'r> {
    fn get(&self, i: usize) -> &'r str {
        match self {
            Names::Header(h) => h[i].as_str(),
            Names::Default(d) => d[i],
        }
    }
}

/// Reads IIS records, keeping the current `#Fields` header.
#[derive(Debug, Default)]
pub(crate) struct Parser {
    fields: Option<Vec<String>>,
}

impl Parser {
    pub(crate) fn directive(&mut self, text: &str) -> bool {
        super::fields_directive(text, &mut self.fields)
    }

    pub(crate) fn parse<'r>(&'r self, text: &'r str) -> Record<'r> {
        let mut record = Record::default();
        let n = text.split_ascii_whitespace().count();
        let header = self.fields.as_deref();
        let names: Names<'r> = match (header, default_for(n)) {
            (Some(h), _) if h.len() == n => Names::Header(h),
            (Some(h), Some(d)) => {
                record.problems.push(format!(
                    "{n} columns but the #Fields header declares {}; read with the IIS default \
                     field set of {n} columns",
                    h.len()
                ));
                Names::Default(d)
            }
            (None, Some(d)) => Names::Default(d),
            (Some(h), None) => {
                record.problems.push(format!(
                    "{n} columns match neither the #Fields header ({} columns) nor an IIS \
                     default field set (11, 13, 14 or 15 columns)",
                    h.len()
                ));
                return record;
            }
            (None, None) => {
                record.problems.push(format!(
                    "{n} columns, no #Fields header, and no IIS default field set has {n} columns"
                ));
                return record;
            }
        };
        record.fields.reserve(n);
        for (i, value) in text.split_ascii_whitespace().enumerate() {
            let name = names.get(i);
            if value == "-" {
                continue;
            }
            check_value(name, value, &mut record.problems);
            let value = if value.contains('+') {
                Cow::Owned(value.replace('+', " "))
            } else {
                Cow::Borrowed(value)
            };
            record.fields.push((name, value));
        }
        let date = record.field("date").map(|d| (d, parse_ymd(d)));
        let time = record.field("time").map(|t| (t, parse_hms(t)));
        match (date, time) {
            (Some((_, Some(d))), Some((_, Some(t)))) => {
                record.time = Some(to_unix_ms(d, t, UtcOffset::UTC));
            }
            (date, time) => {
                let bad_date = date.and_then(|(text, d)| d.is_none().then_some(("date", text)));
                let bad_time = time.and_then(|(text, t)| t.is_none().then_some(("time", text)));
                let bad: Vec<String> = bad_date
                    .into_iter()
                    .chain(bad_time)
                    .map(|(name, text)| {
                        let shown = clip(text, 80, Cut::Silent);
                        format!("{name} `{shown}` is not a valid value")
                    })
                    .collect();
                record.problems.extend(bad);
            }
        }
        record
    }
}

fn check_value(name: &str, value: &str, problems: &mut Vec<String>) {
    let ok = match name {
        // Checked when the time is read.
        "date" | "time" => true,
        "c-ip" | "s-ip" => parse_ip(value).is_some(),
        "sc-status" => value.len() == 3 && value.bytes().all(|b| b.is_ascii_digit()),
        "sc-substatus" | "sc-win32-status" | "s-port" | "time-taken" | "sc-bytes" | "cs-bytes" => {
            value.bytes().all(|b| b.is_ascii_digit())
        }
        _ => true,
    };
    if !ok {
        let shown = clip(value, 80, Cut::Silent);
        problems.push(format!("{name} `{shown}` is not a valid value"));
    }
}

/// An IP address as IIS writes it: IPv6 may carry a zone (`::1%0`).
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    let bare = text.split('%').next().unwrap_or(text);
    let bare = bare.trim_start_matches('[').trim_end_matches(']');
    bare.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

    #[test]
    fn reads_columns_by_the_header() {
        let mut p = Parser::default();
        assert!(p.directive("#Software: Microsoft Internet Information Services 10.0"));
        assert!(p.directive(HEADER));
        let r = p.parse("2024-05-02 07:41:08 10.20.0.15 GET /nes/x - 443 - 10.30.4.77 Mozilla/5.0+(Windows) - 401 1 2148074254 15");
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.field("c-ip"), Some("10.30.4.77"));
        assert_eq!(r.field("sc-win32-status"), Some("2148074254"));
        assert_eq!(r.field("cs(User-Agent)"), Some("Mozilla/5.0 (Windows)"));
        assert_eq!(r.field("cs-username"), None, "`-` is empty");
        assert_eq!(r.time, Some(1_714_635_668_000));
    }

    #[test]
    fn rereads_the_header_at_each_block() {
        let mut p = Parser::default();
        p.directive("#Fields: date time c-ip sc-status");
        assert_eq!(
            p.parse("2024-05-02 07:41:08 10.0.0.1 500")
                .field("sc-status"),
            Some("500")
        );
        p.directive("#Fields: date time sc-status c-ip");
        assert_eq!(
            p.parse("2024-05-02 07:41:08 404 10.0.0.1")
                .field("sc-status"),
            Some("404")
        );
    }

    #[test]
    fn headerless_lines_use_the_default_sets() {
        let p = Parser::default();
        let r = p.parse("2018-12-31 12:02:53 10.44.0.136 GET /Director - 443 - 10.50.6.188 Mozilla/4.0 - 401 0 0 0");
        assert!(r.problems.is_empty());
        assert_eq!(r.field("sc-status"), Some("401"));
        let r = p.parse("2018-12-31 12:02:53 a b c");
        assert_eq!(r.problems.len(), 1);
        assert!(r.fields.is_empty());
    }

    #[test]
    fn mismatched_lines_are_reported_and_still_read_when_a_default_fits() {
        let mut p = Parser::default();
        p.directive("#Fields: date time s-sitename cs-method");
        let r = p.parse("2018-12-31 12:02:53 10.44.0.136 GET / - 443 - 10.50.6.188 UA - 401 0 0 0");
        assert_eq!(r.problems.len(), 1);
        assert!(r.problems[0].contains("default field set of 15"));
        assert_eq!(r.field("sc-status"), Some("401"));
    }

    #[test]
    fn invalid_values_are_reported() {
        let p = Parser::default();
        let r = p.parse("2018-08-28 18:24:25 [10.100.220.70](http://10.100.220.70) GET / - 80 - 10.1.1.1 UA 404 4 2 792");
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert!(r.problems[0].starts_with("s-ip"));
        assert!(parse_ip("::1%0").is_some());
        assert!(parse_ip("2001:cdba:0000:0000:0000:0000:3257:9652").is_some());
    }
}
