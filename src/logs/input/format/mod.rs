//! Record parsers, one per log format.
//!
//! A parser turns one record (a line, or for WGSS a line with its
//! continuation lines) into a time, named fields and any parse problems.
//! Parsers never drop a record: a line they cannot read is still scanned
//! as text, and what was odd about it is reported.

use std::borrow::Cow;

use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

use crate::logs::model::{DateOrder, LogKind, TimeBasis};

pub(crate) mod firewall;
pub(crate) mod iis;
pub(crate) mod nymi_api;
pub(crate) mod prefix;
pub(crate) mod wgss;

/// One parsed record.
#[derive(Debug, Default)]
pub(crate) struct Record<'r> {
    /// When it was written, in Unix milliseconds UTC.
    pub(crate) time: Option<i64>,
    /// Named fields (empty values are left out).
    pub(crate) fields: Vec<(&'r str, Cow<'r, str>)>,
    /// What was odd about it.
    pub(crate) problems: Vec<String>,
}

impl Record<'_> {
    /// The value of a field, if present.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_ref())
    }
}

/// Settings that change how records are read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ParseSettings {
    /// Offset used for formats written in local time.
    pub(crate) offset: UtcOffset,
    /// WGSS date order for this file.
    pub(crate) date_order: DateOrder,
}

/// A parser for one file, holding header state where the format has one.
#[derive(Debug)]
pub(crate) enum Parser {
    /// WGSS trace.
    Wgss(wgss::Parser),
    /// nymi_api.log.
    NymiApi(nymi_api::Parser),
    /// IIS W3C.
    Iis(iis::Parser),
    /// Windows Firewall.
    Firewall(firewall::Parser),
    /// Plain text.
    Text,
}

impl Parser {
    /// A fresh parser for `kind`.
    pub(crate) fn new(kind: LogKind, settings: ParseSettings) -> Parser {
        match kind {
            LogKind::Wgss => Parser::Wgss(wgss::Parser::new(settings)),
            LogKind::NymiApi => Parser::NymiApi(nymi_api::Parser::new(settings)),
            LogKind::Iis => Parser::Iis(iis::Parser::default()),
            LogKind::Firewall => Parser::Firewall(firewall::Parser::new(settings.offset)),
            LogKind::Text => Parser::Text,
        }
    }

    /// Consumes a directive line (`#Fields:` and friends in IIS and
    /// firewall logs); returns `false` for ordinary records.
    pub(crate) fn directive(&mut self, text: &str) -> bool {
        match self {
            Parser::Iis(p) => p.directive(text),
            Parser::Firewall(p) => p.directive(text),
            _ => false,
        }
    }

    /// Parses one record.
    pub(crate) fn parse<'r>(&'r self, text: &'r str) -> Record<'r> {
        match self {
            Parser::Wgss(p) => p.parse(text),
            Parser::NymiApi(p) => p.parse(text),
            Parser::Iis(p) => p.parse(text),
            Parser::Firewall(p) => p.parse(text),
            Parser::Text => Record::default(),
        }
    }

    /// Only the time of a record, cheaply, for the covered time range of
    /// files scanned with the prefilter (where most lines are never
    /// parsed).
    pub(crate) fn time_of(&self, text: &str) -> Option<i64> {
        match self {
            Parser::Wgss(p) => p.time_of(text),
            Parser::NymiApi(p) => p.time_of(text),
            Parser::Iis(_) | Parser::Firewall(_) => {
                if text.starts_with('#') {
                    None
                } else {
                    self.parse(text).time
                }
            }
            Parser::Text => None,
        }
    }

    /// The clock this format writes.
    pub(crate) fn time_basis(&self) -> TimeBasis {
        match self {
            Parser::Wgss(_) | Parser::Firewall(_) => TimeBasis::Local,
            Parser::NymiApi(_) => TimeBasis::Mixed,
            Parser::Iis(_) => TimeBasis::Utc,
            Parser::Text => TimeBasis::None,
        }
    }
}

/// Parses `YYYY-MM-DD`.
pub(crate) fn parse_ymd(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = text[0..4].parse().ok()?;
    let m: u8 = text[5..7].parse().ok()?;
    let d: u8 = text[8..10].parse().ok()?;
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

/// Parses `HH:MM:SS`, optionally followed by `.fff` or `,fff` (any number
/// of fraction digits, milliseconds kept).
pub(crate) fn parse_hms(text: &str) -> Option<Time> {
    let b = text.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let h: u8 = text[0..2].parse().ok()?;
    let mi: u8 = text[3..5].parse().ok()?;
    let s: u8 = text[6..8].parse().ok()?;
    let mut ms: u16 = 0;
    if b.len() > 8 {
        if b[8] != b'.' && b[8] != b',' {
            return None;
        }
        let frac = &text[9..];
        if frac.is_empty() || !frac.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let digits: String = frac.chars().chain("000".chars()).take(3).collect();
        ms = digits.parse().ok()?;
    }
    Time::from_hms_milli(h, mi, s, ms).ok()
}

/// Unix milliseconds of a wall-clock time at `offset`.
pub(crate) fn to_unix_ms(date: Date, time: Time, offset: UtcOffset) -> i64 {
    let t = PrimitiveDateTime::new(date, time).assume_offset(offset);
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Consumes a W3C-style directive (`#Software:`, `#Date:`, `#Fields:` ...),
/// shared by the IIS and firewall readers: a `#Fields:` line replaces the
/// field names, which may change at every new header block. Returns
/// `false` for ordinary records.
fn fields_directive(text: &str, fields: &mut Option<Vec<String>>) -> bool {
    if !text.starts_with('#') {
        return false;
    }
    if let Some(rest) = text.strip_prefix("#Fields:") {
        *fields = Some(rest.split_ascii_whitespace().map(str::to_owned).collect());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_and_times() {
        assert!(parse_ymd("2024-05-02").is_some());
        assert!(parse_ymd("2024-13-02").is_none());
        assert!(parse_ymd("24-05-02").is_none());
        assert_eq!(parse_hms("07:41:08.5").unwrap().millisecond(), 500);
        assert_eq!(parse_hms("07:41:08,123456").unwrap().millisecond(), 123);
        assert!(parse_hms("07:41").is_none());
        assert!(parse_hms("25:41:08").is_none());
        assert!(parse_hms("07:41:08x").is_none());
    }

    #[test]
    fn converts_local_times_with_the_offset() {
        let d = parse_ymd("2024-05-02").unwrap();
        let t = parse_hms("09:41:08").unwrap();
        let utc = to_unix_ms(d, t, UtcOffset::UTC);
        let plus2 = to_unix_ms(d, t, UtcOffset::from_hms(2, 0, 0).unwrap());
        assert_eq!(utc - plus2, 2 * 3600 * 1000);
    }
}
