//! The leading part of a trace line: its time stamp and thread id, in the
//! shapes WGSS traces and `nymi_api.log` are found in.
//!
//! Recognised, in any order of at most three tokens at the start of the
//! line, separated by spaces or tabs:
//!
//! - a time stamp, bare or inside `(...)` or `[...]`:
//!   - `dd/dd/dd hh:mm:ss[.fff]`, two-digit fields whose order (yy/mm/dd
//!     or dd/mm/yy) is the file's date order; `-` or `.` may separate
//!     them instead of `/`;
//!   - `yyyy-mm-dd`, `yyyy/mm/dd` or `yyyy.mm.dd`, then `T` or spaces and
//!     the time;
//!   - `dd.mm.yyyy` (day first), `a/b/yyyy` and `a-b-yyyy`: a field
//!     above 12 is the day; otherwise `/` with AM/PM is month first (US),
//!     `/` without AM/PM and `-` are day first;
//!   - the time is `h:mm:ss` or `hh:mm:ss`, with any number of fraction
//!     digits after `.` or `,` (milliseconds kept), then an optional
//!     `AM`/`PM`, then an optional `Z`, `+hh:mm`, `+hhmm` or `+hh` (also
//!     with `-`) written right after it: a stated offset is used, otherwise
//!     the time is local;
//! - a thread id: `NNN:` or `NNN<tab>` first on the line and followed by a
//!   time stamp (the Evidian article's `704:(22/03/17 ...)`), `[pid:tid]`,
//!   `[tid]`, `(tid)`, `tid=NNN`, `tid: NNN`, `TID NNN`, `thread=NNN`, or a
//!   number after the time stamp followed by a tab, or by spaces and an
//!   upper-case letter, `[`, `(`, `<` or `-` (so that a message such as
//!   `0 visible devices` is not taken for a thread). For `[pid:tid]` the
//!   thread is the tid.
//!
//! After the tokens, spaces, tabs and one `:` or `|` are skipped. A line
//! with neither a time stamp nor a thread has no prefix.
//!
//! The article's own shape, `NNN:(dd/dd/dd hh:mm:ss.mmm):`, is checked
//! first byte by byte, so the common case stays cheap.

use time::{Date, Month, Time, UtcOffset};

use super::to_unix_ms;
use crate::logs::model::DateOrder;

/// Most digits of a thread id.
const MAX_ID_DIGITS: usize = 10;
/// Most tokens read at the start of a line.
const MAX_TOKENS: usize = 3;

/// The prefix of one line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Prefix {
    /// Bytes the prefix takes, separators after it included (0: none).
    pub(crate) len: usize,
    /// Its time stamp.
    pub(crate) stamp: Option<Stamp>,
    /// Byte range of its thread id.
    pub(crate) thread: Option<(usize, usize)>,
}

impl Prefix {
    /// Whether the line starts with a prefix (a time stamp or a thread):
    /// such a line starts a new record.
    pub(crate) fn recognised(&self) -> bool {
        self.stamp.is_some() || self.thread.is_some()
    }

    /// The thread id within `line`.
    pub(crate) fn thread_in<'l>(&self, line: &'l str) -> Option<&'l str> {
        self.thread.and_then(|(s, e)| line.get(s..e))
    }
}

/// The date of a time stamp, as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DateFields {
    /// Three two-digit fields: their order is the file's date order.
    Short(u8, u8, u8),
    /// A date whose shape settles its order.
    Full {
        /// Year.
        year: i32,
        /// Month.
        month: u8,
        /// Day.
        day: u8,
    },
}

/// A time stamp as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    /// The date fields.
    pub(crate) date: DateFields,
    /// Hour (AM/PM already applied), minute, second, millisecond.
    pub(crate) clock: (u8, u8, u8, u16),
    /// The stated offset (`Z` is UTC), if any.
    pub(crate) offset: Option<UtcOffset>,
    /// Byte range of the date text.
    pub(crate) date_span: (usize, usize),
    /// Byte range of the whole stamp (date to offset).
    pub(crate) span: (usize, usize),
}

impl Stamp {
    /// The calendar date, reading two-digit fields in `order`.
    pub(crate) fn date(&self, order: DateOrder) -> Option<Date> {
        let (y, m, d) = match self.date {
            DateFields::Short(a, b, c) => {
                let (yy, mm, dd) = match order {
                    DateOrder::YyMmDd => (a, b, c),
                    DateOrder::DdMmYy => (c, b, a),
                };
                (2000 + i32::from(yy), mm, dd)
            }
            DateFields::Full { year, month, day } => (year, month, day),
        };
        Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
    }

    /// Unix milliseconds UTC: the stated offset, else `local`.
    pub(crate) fn unix_ms(&self, order: DateOrder, local: UtcOffset) -> Option<i64> {
        let (h, mi, s, ms) = self.clock;
        let time = Time::from_hms_milli(h, mi, s, ms).ok()?;
        Some(to_unix_ms(
            self.date(order)?,
            time,
            self.offset.unwrap_or(local),
        ))
    }

    /// Whether the date has two-digit fields only (its order is
    /// ambiguous).
    pub(crate) fn is_short(&self) -> bool {
        matches!(self.date, DateFields::Short(..))
    }
}

/// Reads the prefix of `line` (an empty prefix when it has none).
pub(crate) fn parse(line: &[u8]) -> Prefix {
    article(line).unwrap_or_else(|| general(line))
}

/// Whether `line` starts with a prefix.
pub(crate) fn starts_record(line: &[u8]) -> bool {
    // Cheap rejections first: every prefix starts with one of these.
    match line.first() {
        Some(b) if b.is_ascii_digit() || matches!(b, b'(' | b'[' | b't' | b'T') => {}
        _ => return false,
    }
    parse(line).recognised()
}

/// The article's exact shape `NNN:(dd/dd/dd hh:mm:ss.mmm):`.
fn article(line: &[u8]) -> Option<Prefix> {
    let digits = count_digits(line, 0);
    if digits == 0 || digits > MAX_ID_DIGITS {
        return None;
    }
    let s = line.get(digits..digits + 25)?;
    let pattern = b":(nn/nn/nn nn:nn:nn.nnn):";
    let ok = s.iter().zip(pattern.iter()).all(|(c, p)| match p {
        b'n' => c.is_ascii_digit(),
        _ => c == p,
    });
    if !ok {
        return None;
    }
    let n = |i: usize| (s[i] - b'0') * 10 + (s[i + 1] - b'0');
    let ms = u16::from(s[20] - b'0') * 100 + u16::from(s[21] - b'0') * 10 + u16::from(s[22] - b'0');
    let open = digits + 2;
    Some(Prefix {
        len: digits + 25,
        stamp: Some(Stamp {
            date: DateFields::Short(n(2), n(5), n(8)),
            clock: (n(11), n(14), n(17), ms),
            offset: None,
            date_span: (open, open + 8),
            span: (open, open + 21),
        }),
        thread: Some((0, digits)),
    })
}

/// Any other shape.
fn general(line: &[u8]) -> Prefix {
    let mut p = Prefix::default();
    let mut pos = 0;
    // `NNN:` or `NNN<tab>` first, when a time stamp follows.
    let digits = count_digits(line, 0);
    if (1..=MAX_ID_DIGITS).contains(&digits)
        && matches!(line.get(digits), Some(b':' | b'\t'))
        && let Some((stamp, end)) = stamp_at(line, skip_blank(line, digits + 1))
    {
        p.thread = Some((0, digits));
        p.stamp = Some(stamp);
        pos = end;
    }
    for _ in 0..MAX_TOKENS {
        let at = skip_blank(line, pos);
        if p.stamp.is_none()
            && let Some((stamp, end)) = stamp_at(line, at)
        {
            p.stamp = Some(stamp);
            pos = end;
            continue;
        }
        if p.thread.is_none()
            && let Some((range, end)) = thread_at(line, at, p.stamp.is_some())
        {
            p.thread = Some(range);
            pos = end;
            continue;
        }
        break;
    }
    if !p.recognised() {
        return Prefix::default();
    }
    let mut end = skip_blank(line, pos);
    if matches!(line.get(end), Some(b':' | b'|')) {
        end = skip_blank(line, end + 1);
    }
    p.len = end;
    p
}

fn count_digits(line: &[u8], at: usize) -> usize {
    line.get(at..)
        .map_or(0, |s| s.iter().take_while(|b| b.is_ascii_digit()).count())
}

fn skip_blank(line: &[u8], mut at: usize) -> usize {
    while matches!(line.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    at
}

fn skip_spaces(line: &[u8], mut at: usize) -> usize {
    while line.get(at) == Some(&b' ') {
        at += 1;
    }
    at
}

/// Whether a token may end before `at`.
fn boundary(line: &[u8], at: usize) -> bool {
    matches!(
        line.get(at),
        None | Some(b' ' | b'\t' | b':' | b'|' | b'[' | b'(' | b'\r' | b'\n')
    )
}

/// Reads a number of `at..at+len` digits.
fn number(line: &[u8], at: usize, len: usize) -> Option<u32> {
    let mut n: u32 = 0;
    for &b in line.get(at..at + len)? {
        n = n * 10 + u32::from(b - b'0');
    }
    Some(n)
}

/// A time stamp at `at`, bare or bracketed; returns it and where it ends.
fn stamp_at(line: &[u8], at: usize) -> Option<(Stamp, usize)> {
    let (close, mut i) = match line.get(at)? {
        b'(' => (Some(b')'), skip_spaces(line, at + 1)),
        b'[' => (Some(b']'), skip_spaces(line, at + 1)),
        b if b.is_ascii_digit() => (None, at),
        _ => return None,
    };
    let date_start = i;
    let (date, after_date) = date_at(line, i)?;
    let date_span = (date_start, after_date);
    i = after_date;
    i = if line.get(i) == Some(&b'T') {
        i + 1
    } else {
        let j = skip_blank(line, i);
        if j == i {
            return None;
        }
        j
    };
    let (mut clock, after_clock) = clock_at(line, i)?;
    i = after_clock;
    let mut offset = None;
    if let Some((o, end)) = offset_at(line, i) {
        offset = Some(o);
        i = end;
    }
    let mut pm = None;
    let j = skip_spaces(line, i);
    if j > i
        && let Some(word) = line.get(j..j + 2)
        && boundary_or_close(line, j + 2)
    {
        if word.eq_ignore_ascii_case(b"AM") {
            pm = Some(false);
        } else if word.eq_ignore_ascii_case(b"PM") {
            pm = Some(true);
        }
        if pm.is_some() {
            i = j + 2;
        }
    }
    if let Some(pm) = pm {
        if clock.0 == 0 || clock.0 > 12 {
            return None;
        }
        clock.0 = match (clock.0, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
    }
    let span = (date_start, i);
    let date = settle_date(date, pm.is_some())?;
    if let Some(c) = close {
        i = skip_spaces(line, i);
        if line.get(i) != Some(&c) {
            return None;
        }
        i += 1;
    }
    if !boundary(line, i) {
        return None;
    }
    Some((
        Stamp {
            date,
            clock,
            offset,
            date_span,
            span,
        },
        i,
    ))
}

fn boundary_or_close(line: &[u8], at: usize) -> bool {
    boundary(line, at) || matches!(line.get(at), Some(b')' | b']'))
}

/// A date as written, before its order is settled.
#[derive(Clone, Copy, Debug)]
enum RawDate {
    Settled(DateFields),
    /// `a<sep>b<sep>yyyy`.
    YearLast {
        a: u8,
        b: u8,
        year: i32,
        sep: u8,
    },
}

/// Three number fields with one separator (`/`, `-` or `.`).
fn date_at(line: &[u8], at: usize) -> Option<(RawDate, usize)> {
    let l1 = count_digits(line, at);
    let sep = *line.get(at + l1)?;
    if !matches!(sep, b'/' | b'-' | b'.') || l1 == 0 || l1 > 4 {
        return None;
    }
    let at2 = at + l1 + 1;
    let l2 = count_digits(line, at2);
    if !(1..=2).contains(&l2) || line.get(at2 + l2) != Some(&sep) {
        return None;
    }
    let at3 = at2 + l2 + 1;
    let l3 = count_digits(line, at3);
    let (n1, n2, n3) = (
        number(line, at, l1)?,
        number(line, at2, l2)?,
        number(line, at3, l3)?,
    );
    let small = |n: u32| u8::try_from(n).ok();
    let date = match (l1, l2, l3) {
        (4, _, 1..=2) => RawDate::Settled(DateFields::Full {
            year: i32::try_from(n1).ok()?,
            month: small(n2)?,
            day: small(n3)?,
        }),
        (2, 2, 2) => RawDate::Settled(DateFields::Short(small(n1)?, small(n2)?, small(n3)?)),
        (1..=2, _, 4) => RawDate::YearLast {
            a: small(n1)?,
            b: small(n2)?,
            year: i32::try_from(n3).ok()?,
            sep,
        },
        _ => return None,
    };
    Some((date, at3 + l3))
}

/// Settles the order of a year-last date (see the module docs).
fn settle_date(date: RawDate, am_pm: bool) -> Option<DateFields> {
    match date {
        RawDate::Settled(d) => Some(d),
        RawDate::YearLast { a, b, year, sep } => {
            let month_first = if a > 12 {
                false
            } else if b > 12 {
                true
            } else {
                sep == b'/' && am_pm
            };
            let (month, day) = if month_first { (a, b) } else { (b, a) };
            Some(DateFields::Full { year, month, day })
        }
    }
}

/// `h:mm:ss` or `hh:mm:ss`, then an optional fraction.
fn clock_at(line: &[u8], at: usize) -> Option<((u8, u8, u8, u16), usize)> {
    let lh = count_digits(line, at);
    if !(1..=2).contains(&lh) {
        return None;
    }
    let h = number(line, at, lh)?;
    let mut i = at + lh;
    let two = |i: &mut usize| -> Option<u32> {
        if line.get(*i) != Some(&b':') || count_digits(line, *i + 1) != 2 {
            return None;
        }
        let n = number(line, *i + 1, 2);
        *i += 3;
        n
    };
    let m = two(&mut i)?;
    let s = two(&mut i)?;
    let mut ms = 0u16;
    if matches!(line.get(i), Some(b'.' | b',')) {
        let lf = count_digits(line, i + 1);
        if lf > 0 {
            let frac = &line[i + 1..i + 1 + lf.min(3)];
            let mut v: u16 = 0;
            for k in 0..3 {
                v = v * 10 + frac.get(k).map_or(0, |d| u16::from(d - b'0'));
            }
            ms = v;
            i += 1 + lf;
        }
    }
    let byte = |n: u32| u8::try_from(n).ok();
    Some(((byte(h)?, byte(m)?, byte(s)?, ms), i))
}

/// `Z`, `+hh:mm`, `+hhmm` or `+hh` (or `-`) right after the time.
fn offset_at(line: &[u8], at: usize) -> Option<(UtcOffset, usize)> {
    match line.get(at)? {
        b'Z' | b'z' => Some((UtcOffset::UTC, at + 1)),
        b'+' | b'-' => {
            let sign: i8 = if line[at] == b'-' { -1 } else { 1 };
            let lh = count_digits(line, at + 1);
            let (h, m, end) = match lh {
                2 if line.get(at + 3) == Some(&b':') && count_digits(line, at + 4) == 2 => {
                    (number(line, at + 1, 2)?, number(line, at + 4, 2)?, at + 6)
                }
                2 => (number(line, at + 1, 2)?, 0, at + 3),
                4 => (number(line, at + 1, 2)?, number(line, at + 3, 2)?, at + 5),
                _ => return None,
            };
            let h = i8::try_from(h).ok()? * sign;
            let m = i8::try_from(m).ok()? * sign;
            Some((UtcOffset::from_hms(h, m, 0).ok()?, end))
        }
        _ => None,
    }
}

/// A thread token at `at`; returns the id's range and where it ends.
fn thread_at(line: &[u8], at: usize, after_stamp: bool) -> Option<((usize, usize), usize)> {
    let first = *line.get(at)?;
    let (range, end) = match first {
        b'[' | b'(' => {
            let close = if first == b'[' { b']' } else { b')' };
            let mut i = skip_spaces(line, at + 1);
            let mut d = count_digits(line, i);
            if d == 0 || d > MAX_ID_DIGITS {
                return None;
            }
            // `[pid:tid]`: the tid.
            if first == b'['
                && matches!(line.get(i + d), Some(b':' | b'/'))
                && (1..=MAX_ID_DIGITS).contains(&count_digits(line, i + d + 1))
            {
                i += d + 1;
                d = count_digits(line, i);
            }
            let e = skip_spaces(line, i + d);
            if line.get(e) != Some(&close) {
                return None;
            }
            ((i, i + d), e + 1)
        }
        b't' | b'T' => {
            let word = ["tid", "thread"]
                .into_iter()
                .find(|w| {
                    line.get(at..at + w.len())
                        .is_some_and(|s| s.eq_ignore_ascii_case(w.as_bytes()))
                })?
                .len();
            let mut i = at + word;
            if matches!(line.get(i), Some(b'=' | b':')) {
                i += 1;
            }
            let j = skip_blank(line, i);
            if j == at + word && !matches!(line.get(at + word), Some(b'=' | b':')) {
                // `TID` must be followed by `=`, `:` or a blank.
                return None;
            }
            let d = count_digits(line, j);
            if d == 0 || d > MAX_ID_DIGITS {
                return None;
            }
            ((j, j + d), j + d)
        }
        b if b.is_ascii_digit() && after_stamp => {
            let d = count_digits(line, at);
            if d > MAX_ID_DIGITS {
                return None;
            }
            let end = at + d;
            let column = match line.get(end) {
                Some(b'\t') => true,
                Some(b' ') => {
                    let next = line.get(skip_blank(line, end));
                    next.is_some_and(|c| {
                        c.is_ascii_uppercase() || matches!(c, b'[' | b'(' | b'<' | b'-')
                    })
                }
                _ => false,
            };
            if !column {
                return None;
            }
            ((at, end), end)
        }
        _ => return None,
    };
    boundary(line, end).then_some((range, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::input::format::{parse_hms, parse_ymd};

    fn utc(date: &str, clock: &str) -> i64 {
        to_unix_ms(
            parse_ymd(date).unwrap(),
            parse_hms(clock).unwrap(),
            UtcOffset::UTC,
        )
    }

    fn read(line: &str) -> (Option<i64>, Option<&str>, &str) {
        let p = parse(line.as_bytes());
        let t = p
            .stamp
            .and_then(|s| s.unix_ms(DateOrder::YyMmDd, UtcOffset::UTC));
        (t, p.thread_in(line), &line[p.len..])
    }

    #[test]
    fn reads_every_documented_shape() {
        let at = utc("2022-03-17", "06:13:14.149");
        let whole = utc("2022-03-17", "06:13:14");
        let table: &[(&str, i64, Option<&str>)] = &[
            (
                "704:(22/03/17 06:13:14.149):X.cpp :0402: m",
                at,
                Some("704"),
            ),
            ("704:(22/03/17 06:13:14):X.cpp :0402: m", whole, Some("704")),
            (
                "704:(22/03/17 06:13:14,149):X.cpp :0402: m",
                at,
                Some("704"),
            ),
            (
                "704:(2022/03/17 06:13:14.149):X.cpp :0402: m",
                at,
                Some("704"),
            ),
            (
                "704:(22-03-17 06:13:14.149):X.cpp :0402: m",
                at,
                Some("704"),
            ),
            (
                "704: ( 22/03/17  06:13:14.149 ) :X.cpp :0402: m",
                at,
                Some("704"),
            ),
            (
                "704\t(22/03/17 06:13:14.149)\tX.cpp\t0402\tm",
                at,
                Some("704"),
            ),
            ("2022-03-17T06:13:14.149Z X.cpp :0402: m", at, None),
            ("2022-03-17 06:13:14,149 X.cpp :0402: m", at, None),
            ("2022-03-17T07:13:14.149+01:00 X.cpp :0402: m", at, None),
            ("2022-03-17T01:13:14.149-0500 X.cpp :0402: m", at, None),
            ("2022-03-17T06:13:14.1490000Z X.cpp :0402: m", at, None),
            ("[2022-03-17T06:13:14.149Z] X.cpp :0402: m", at, None),
            (
                "[2022-03-17 06:13:14] [12:704] X.cpp :0402: m",
                whole,
                Some("704"),
            ),
            ("17.03.2022 06:13:14 X.cpp :0402: m", whole, None),
            ("03/17/2022 06:13:14 AM X.cpp :0402: m", whole, None),
            ("3/17/2022 6:13:14 AM X.cpp :0402: m", whole, None),
            (
                "2022/03/17 06:13:14 (704) X.cpp :0402: m",
                whole,
                Some("704"),
            ),
            (
                "2022-03-17 06:13:14 tid=704 X.cpp :0402: m",
                whole,
                Some("704"),
            ),
            (
                "2022-03-17 06:13:14 TID 704 X.cpp :0402: m",
                whole,
                Some("704"),
            ),
            (
                "2022-03-17 06:13:14\t704\tX.cpp :0402: m",
                whole,
                Some("704"),
            ),
            (
                "2022-03-17 06:13:14  704  X.cpp :0402: m",
                whole,
                Some("704"),
            ),
            (
                "[1200:704] 2022-03-17 06:13:14 X.cpp :0402: m",
                whole,
                Some("704"),
            ),
            (
                "[704] 2022-03-17 06:13:14 X.cpp :0402: m",
                whole,
                Some("704"),
            ),
        ];
        for (line, t, thread) in table {
            let (got, th, rest) = read(line);
            assert_eq!(got, Some(*t), "{line}");
            assert_eq!(th, *thread, "{line}");
            assert!(rest.starts_with('X'), "{line}: rest {rest:?}");
        }
    }

    #[test]
    fn am_pm_and_day_first_forms() {
        let pm = utc("2022-03-17", "18:13:14");
        assert_eq!(read("03/17/2022 06:13:14 PM x").0, Some(pm));
        assert_eq!(read("03/17/2022 6:13:14 pm x").0, Some(pm));
        assert_eq!(
            read("03/17/2022 12:13:14 AM x").0,
            Some(utc("2022-03-17", "00:13:14"))
        );
        // Without AM/PM, slashes are day first; a field over 12 settles it.
        assert_eq!(
            read("04/03/2022 06:13:14 x").0,
            Some(utc("2022-03-04", "06:13:14"))
        );
        assert_eq!(
            read("17/03/2022 06:13:14 x").0,
            Some(utc("2022-03-17", "06:13:14"))
        );
        assert_eq!(
            read("17-03-2022 06:13:14 x").0,
            Some(utc("2022-03-17", "06:13:14"))
        );
        // 13 PM is no time.
        assert!(!parse(b"03/17/2022 13:13:14 PM x").recognised());
    }

    #[test]
    fn messages_are_not_prefixes() {
        for line in [
            "0 visible devices",
            "'",
            "Unable to get token with USER creds",
            "-> CHttpClient::GetHttpStatus",
            ":(22/03/17 06:13:14.163):x",
            "12345678901:(22/03/17 06:13:14.163):x",
            "2022-03-17",
            "[INFO] started",
            "thready 5",
            "704: message",
            "2022-03-17 06:13:14x",
        ] {
            assert!(!parse(line.as_bytes()).recognised(), "{line}");
            assert!(!starts_record(line.as_bytes()), "{line}");
        }
        // A number after the time followed by a lower-case word is text.
        let (t, thread, rest) = read("2022-03-17 06:13:14.162 0 visible devices");
        assert!(t.is_some());
        assert_eq!(thread, None);
        assert_eq!(rest, "0 visible devices");
    }

    #[test]
    fn thread_only_prefixes_start_records() {
        for (line, id) in [
            ("[704] Unable", "704"),
            ("[1:704] Unable", "704"),
            ("(704) Unable", "704"),
            ("tid=704 Unable", "704"),
            ("TID: 704 Unable", "704"),
            ("thread=704 Unable", "704"),
        ] {
            let (t, thread, rest) = read(line);
            assert_eq!((t, thread, rest), (None, Some(id), "Unable"), "{line}");
        }
    }

    #[test]
    fn short_dates_follow_the_date_order() {
        let p = parse(b"1:(17/03/22 06:13:14.149):a");
        let s = p.stamp.unwrap();
        assert!(s.is_short());
        assert_eq!(s.date(DateOrder::DdMmYy), parse_ymd("2022-03-17"));
        assert_eq!(s.date(DateOrder::YyMmDd), parse_ymd("2017-03-22"));
        // 30 February exists in neither order but one.
        let s = parse(b"1:(24/02/30 06:13:14.149):a").stamp.unwrap();
        assert_eq!(s.date(DateOrder::YyMmDd), None);
        assert_eq!(s.date(DateOrder::DdMmYy), parse_ymd("2030-02-24"));
        let g = parse(b"1:(17-03-22 06:13:14):a").stamp.unwrap();
        assert_eq!(g.date(DateOrder::DdMmYy), parse_ymd("2022-03-17"));
    }
}
