//! Which column of a W3C line holds which field, and the fields of one
//! line cut out as byte slices, without allocating: the hot path of the
//! report.
//!
//! Columns come from the last `#Fields:` directive (IIS writes a new one
//! whenever logging restarts, possibly with other fields); lines without
//! one, or whose column count differs from it, are read with the IIS (or
//! HTTP.sys) default field set of their column count, as the log scanner
//! does.

use crate::logs::input::format::iis;

/// Most columns looked at in a line; IIS has about 40 possible fields.
pub(super) const MAX_COLUMNS: usize = 96;

/// The HTTP.sys error log's fields (Windows Server 2008 and later), 13
/// columns; later versions add `streamid` and others, always announced
/// by a `#Fields:` header.
const HTTPERR_13: &[&str] = &[
    "date",
    "time",
    "c-ip",
    "c-port",
    "s-ip",
    "s-port",
    "cs-version",
    "cs-method",
    "cs-uri",
    "sc-status",
    "s-siteid",
    "s-reason",
    "s-queuename",
];

/// The fields the report reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Date,
    Time,
    ClientIp,
    Forwarded,
    Stem,
    /// `cs-uri` (HTTP.sys): a path with its query, or a full URL.
    Uri,
    Status,
    Substatus,
    Win32,
    User,
    Reason,
}

/// Roles whose absence leaves a question open, in report order.
pub(super) const QUESTIONS: [Role; 7] = [
    Role::Date,
    Role::ClientIp,
    Role::Status,
    Role::Substatus,
    Role::Win32,
    Role::User,
    Role::Stem,
];

impl Role {
    fn of(name: &str) -> Option<Role> {
        let n = name.to_ascii_lowercase();
        Some(match n.as_str() {
            "date" => Role::Date,
            "time" => Role::Time,
            "c-ip" => Role::ClientIp,
            "cs(x-forwarded-for)" | "x-forwarded-for" => Role::Forwarded,
            "cs-uri-stem" => Role::Stem,
            "cs-uri" => Role::Uri,
            "sc-status" => Role::Status,
            "sc-substatus" => Role::Substatus,
            "sc-win32-status" => Role::Win32,
            "cs-username" => Role::User,
            "s-reason" => Role::Reason,
            _ => return None,
        })
    }

    /// The W3C name shown in the report.
    pub(super) fn field(self) -> &'static str {
        match self {
            Role::Date => "date",
            Role::Time => "time",
            Role::ClientIp => "c-ip",
            Role::Forwarded => "X-Forwarded-For",
            Role::Stem | Role::Uri => "cs-uri-stem",
            Role::Status => "sc-status",
            Role::Substatus => "sc-substatus",
            Role::Win32 => "sc-win32-status",
            Role::User => "cs-username",
            Role::Reason => "s-reason",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// Number of [`Role`]s.
const ROLES: usize = 11;
/// No column has this role.
const ABSENT: u8 = u8::MAX;

/// A field layout: the role of each column.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Columns {
    roles: Vec<Option<Role>>,
    /// The column of each role (its first, should a name repeat).
    at: [u8; ROLES],
    present: u16,
    /// Bit `i` set: the layout lacks `QUESTIONS[i]`, a field its records
    /// should have (time and path are judged per record, HTTP.sys lines
    /// never have the 401 details or the user).
    pub(super) missing: u16,
    /// An HTTP.sys error log layout (`s-reason` or `cs-uri` without
    /// `cs-uri-stem`).
    pub(super) httperr: bool,
}

impl Columns {
    /// The layout of a `#Fields:` list.
    pub(super) fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Columns {
        let roles: Vec<Option<Role>> = names.into_iter().map(Role::of).collect();
        let present = roles.iter().flatten().fold(0, |m, r| m | r.bit());
        let mut at = [ABSENT; ROLES];
        for (i, r) in roles.iter().enumerate().take(MAX_COLUMNS) {
            if let Some(r) = r
                && at[*r as usize] == ABSENT
            {
                at[*r as usize] = i as u8;
            }
        }
        let has = |r: Role| present & r.bit() != 0;
        let mut c = Columns {
            httperr: has(Role::Reason) || (has(Role::Uri) && !has(Role::Stem)),
            roles,
            at,
            present,
            missing: 0,
        };
        for (i, q) in QUESTIONS.into_iter().enumerate() {
            let expected = match q {
                Role::Date | Role::Stem => false,
                Role::ClientIp => !c.has(Role::Forwarded),
                Role::Status => true,
                _ => !c.httperr,
            };
            if expected && !c.has(q) {
                c.missing |= 1 << i;
            }
        }
        c
    }

    /// The layout of a `#Fields:` directive line.
    pub(super) fn from_directive(text: &str) -> Option<Columns> {
        let rest = text.strip_prefix("#Fields:")?;
        Some(Columns::from_names(rest.split_ascii_whitespace()))
    }

    /// The default layout of a line of `count` columns without (or not
    /// matching) a header: HTTP.sys's for an HTTP.sys file, else IIS's.
    pub(super) fn default_for(count: usize, httperr_file: bool) -> Option<Columns> {
        if httperr_file && count == HTTPERR_13.len() {
            return Some(Columns::from_names(HTTPERR_13.iter().copied()));
        }
        iis::default_for(count).map(|d| Columns::from_names(d.iter().copied()))
    }

    /// Columns declared.
    pub(super) fn len(&self) -> usize {
        self.roles.len()
    }

    /// Whether the layout answers what `role` stands for: a time needs
    /// both `date` and `time`, a path either `cs-uri-stem` or `cs-uri`.
    pub(super) fn has(&self, role: Role) -> bool {
        let is = |r: Role| self.present & r.bit() != 0;
        match role {
            Role::Date | Role::Time => is(Role::Date) && is(Role::Time),
            Role::Stem | Role::Uri => is(Role::Stem) || is(Role::Uri),
            r => is(r),
        }
    }
}

/// Where each column of `line` starts and ends; returns the column count
/// (more than [`MAX_COLUMNS`] is reported as `MAX_COLUMNS + 1`).
///
/// The spaces are found eight bytes at a time (a word with a flag in the
/// high bit of every byte that is a space): W3C columns are a few bytes
/// long, too short for a `memchr` call per column to pay off.
pub(super) fn split(line: &[u8], bounds: &mut [(u32, u32); MAX_COLUMNS]) -> usize {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const SPACES: u64 = 0x2020_2020_2020_2020;
    let mut n = 0;
    let mut start = 0usize;
    let mut push = |at: usize, n: &mut usize| -> bool {
        if *n == MAX_COLUMNS {
            return false;
        }
        bounds[*n] = (start as u32, at as u32);
        *n += 1;
        start = at + 1;
        true
    };
    let mut chunks = line.chunks_exact(8);
    let mut base = 0usize;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ SPACES;
        // High bit of each byte set exactly where the byte is zero (was a
        // space): no carries cross bytes, so no false flags.
        let mut flags = !(((x & LOW7) + LOW7) | x | LOW7);
        while flags != 0 {
            let at = base + (flags.trailing_zeros() / 8) as usize;
            if !push(at, &mut n) {
                return MAX_COLUMNS + 1;
            }
            flags &= flags - 1;
        }
        base += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == b' ' && !push(base + i, &mut n) {
            return MAX_COLUMNS + 1;
        }
    }
    if !push(line.len(), &mut n) {
        return MAX_COLUMNS + 1;
    }
    n
}

impl Columns {
    /// The value of `role` in a line already [`split`] into as many
    /// columns as the layout has; `-` (empty) is `None`. A path is
    /// `cs-uri-stem`, else the path of `cs-uri`.
    #[inline]
    pub(super) fn get<'l>(
        &self,
        role: Role,
        line: &'l [u8],
        bounds: &[(u32, u32); MAX_COLUMNS],
    ) -> Option<&'l [u8]> {
        let i = self.at[role as usize];
        if i == ABSENT {
            return if role == Role::Stem {
                self.get(Role::Uri, line, bounds).map(uri_path)
            } else {
                None
            };
        }
        let (s, e) = bounds[i as usize];
        let v = &line[s as usize..e as usize];
        (v != b"-" && !v.is_empty()).then_some(v)
    }
}

/// The path of an HTTP.sys `cs-uri`: the query dropped, and for a full
/// URL (`http://host:80/nes/x`) the scheme and host too.
fn uri_path(uri: &[u8]) -> &[u8] {
    let uri = match memchr::memchr(b'?', uri) {
        Some(q) => &uri[..q],
        None => uri,
    };
    let lower_starts = |p: &[u8]| uri.len() >= p.len() && uri[..p.len()].eq_ignore_ascii_case(p);
    let rest = if lower_starts(b"http://") {
        &uri[7..]
    } else if lower_starts(b"https://") {
        &uri[8..]
    } else {
        return uri;
    };
    match memchr::memchr(b'/', rest) {
        Some(i) => &rest[i..],
        None => b"/",
    }
}

/// Milliseconds since the Unix epoch of the start of `YYYY-MM-DD`.
pub(super) fn day_ms(date: &[u8]) -> Option<i64> {
    if date.len() != 10 || date[4] != b'-' || date[7] != b'-' {
        return None;
    }
    let y = digits(&date[0..4])? as i64;
    let m = digits(&date[5..7])? as i64;
    let d = digits(&date[8..10])? as i64;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400_000)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Milliseconds into the day of `HH:MM:SS` with an optional `.fff`.
pub(super) fn time_ms(t: &[u8]) -> Option<i64> {
    if t.len() < 8 || t[2] != b':' || t[5] != b':' {
        return None;
    }
    let h = digits(&t[0..2])? as i64;
    let m = digits(&t[3..5])? as i64;
    let s = digits(&t[6..8])? as i64;
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut ms = 0;
    if t.len() > 8 {
        if t[8] != b'.' || t.len() == 9 {
            return None;
        }
        let frac = &t[9..];
        let mut scale = 100;
        for &b in frac {
            if !b.is_ascii_digit() {
                return None;
            }
            ms += i64::from(b - b'0') * scale;
            scale /= 10;
        }
    }
    Some(((h * 60 + m) * 60 + s) * 1000 + ms)
}

/// An unsigned decimal of at most 19 digits.
pub(super) fn digits(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0');
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_match_the_time_crate() {
        let ms = day_ms(b"2024-05-02").unwrap() + time_ms(b"07:41:08").unwrap();
        assert_eq!(ms, 1_714_635_668_000);
        assert_eq!(day_ms(b"1970-01-01"), Some(0));
        assert_eq!(day_ms(b"2000-03-01"), Some(951_868_800_000));
        assert!(day_ms(b"2023-02-29").is_none());
        assert!(day_ms(b"2024-02-29").is_some());
        assert!(day_ms(b"2024-13-01").is_none());
        assert!(day_ms(b"24-05-02").is_none());
        assert_eq!(time_ms(b"00:00:01.5"), Some(1500));
        assert!(time_ms(b"24:00:00").is_none());
        assert!(time_ms(b"07:41").is_none());
        assert!(time_ms(b"07:41:08x").is_none());
    }

    #[test]
    fn fields_follow_the_layout() {
        let cols =
            Columns::from_directive("#Fields: time date sc-status c-ip cs-uri-stem").unwrap();
        let line = b"07:41:08 2024-05-02 401 10.0.0.1 -";
        let mut b = [(0, 0); MAX_COLUMNS];
        let n = split(line, &mut b);
        assert_eq!(n, cols.len());
        assert_eq!(cols.get(Role::Status, line, &b), Some(&b"401"[..]));
        assert_eq!(cols.get(Role::ClientIp, line, &b), Some(&b"10.0.0.1"[..]));
        assert_eq!(cols.get(Role::Date, line, &b), Some(&b"2024-05-02"[..]));
        assert_eq!(cols.get(Role::Stem, line, &b), None);
        assert!(!cols.has(Role::Win32));
        assert!(cols.has(Role::Date));
        assert!(!cols.httperr);
    }

    #[test]
    fn httperr_uris_become_paths() {
        assert_eq!(uri_path(b"/nes/api?x=1"), b"/nes/api");
        assert_eq!(uri_path(b"http://nes.corp:443/NES/x"), b"/NES/x");
        assert_eq!(uri_path(b"https://nes.corp"), b"/");
        let cols = Columns::default_for(13, true).unwrap();
        assert!(cols.httperr);
        let line =
            b"2024-05-01 07:10:00 ::1 5 ::1 443 HTTP/1.1 GET http://h/NES/x?y 400 - BadRequest -";
        let mut b = [(0, 0); MAX_COLUMNS];
        assert_eq!(split(line, &mut b), 13);
        assert_eq!(cols.get(Role::Stem, line, &b), Some(&b"/NES/x"[..]));
        assert!(!Columns::default_for(13, false).unwrap().httperr);
    }

    #[test]
    fn splitting_finds_every_space_whatever_the_alignment() {
        let mut b = [(0, 0); MAX_COLUMNS];
        for line in [
            "",
            "a",
            " ",
            "a b",
            "2024-05-02 07:41:08 10.0.0.1 - 401",
            "x  y ",
            "\u{e9}\u{e9} \u{a0}z",
        ] {
            let n = split(line.as_bytes(), &mut b);
            let got: Vec<&str> = b[..n]
                .iter()
                .map(|&(s, e)| &line[s as usize..e as usize])
                .collect();
            let want: Vec<&str> = line.split(' ').collect();
            assert_eq!(got, want, "{line:?}");
        }
    }

    #[test]
    fn overlong_lines_are_flagged() {
        let line = vec![b' '; MAX_COLUMNS + 5];
        let mut b = [(0, 0); MAX_COLUMNS];
        assert_eq!(split(&line, &mut b), MAX_COLUMNS + 1);
    }
}
