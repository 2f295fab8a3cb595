//! Generates a NES server's IIS logs: one `u_exYYMMDD.log` per day, a
//! population of terminals in known states (`OK`, `AUTH_FAILING`,
//! `NES_ERRORS`, `NOT_RENEWING`) talking to `/NES/...`, and other sites'
//! traffic that never names `/NES`. Used by `nes_clients_driver` (the
//! benchmark) and by `tests/nes_clients.rs`.
//!
//! Every NES request is one line holding `/NES/` exactly once (in its
//! `cs-uri-stem`), so `rg -c -F /NES/` counts the requests the report
//! must count with `uri_stem = /NES`.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Milliseconds in a day.
pub(crate) const DAY_MS: i64 = 86_400_000;

/// What was generated.
#[derive(Debug, Clone, Default)]
pub(crate) struct Manifest {
    pub(crate) files: Vec<PathBuf>,
    pub(crate) bytes: u64,
    pub(crate) lines: u64,
    /// Lines on `/NES/`.
    pub(crate) nes_lines: u64,
    /// Terminals per state, in the order `AUTH_FAILING`, `NES_ERRORS`,
    /// `NOT_RENEWING`, `OK`.
    pub(crate) states: [u64; 4],
    /// The end of the last day (Unix ms): the `now` to ask with.
    pub(crate) now_ms: i64,
    pub(crate) days: u32,
}

/// The state a terminal is generated in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    AuthFailing,
    NesErrors,
    NotRenewing,
    Ok,
}

impl Plan {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Plan::AuthFailing => "AUTH_FAILING",
            Plan::NesErrors => "NES_ERRORS",
            Plan::NotRenewing => "NOT_RENEWING",
            Plan::Ok => "OK",
        }
    }

    /// The plan of terminal `i`: 5% failing authentication, 3% NES errors,
    /// 10% not renewing, the rest fine.
    pub(crate) fn of(i: usize) -> Plan {
        match i % 100 {
            0..=4 => Plan::AuthFailing,
            5..=7 => Plan::NesErrors,
            8..=17 => Plan::NotRenewing,
            _ => Plan::Ok,
        }
    }
}

/// The address of terminal `i`: IPv4 mostly, every 16th IPv6.
pub(crate) fn address(i: usize) -> String {
    if i % 16 == 15 {
        format!("2001:db8:10::{:x}", i + 1)
    } else {
        format!("10.{}.{}.{}", 20 + i / 65_536, (i / 256) % 256, i % 256)
    }
}

/// The machine name of terminal `i`.
pub(crate) fn machine(i: usize) -> String {
    format!("WARD{}-PC{:04}", i % 7, i)
}

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const HEADER: &str = "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n";
const FIELDS: &str = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n";
const UA: &str =
    "Mozilla/4.0+(compatible;+MSIE+7.0;+Windows+NT+10.0;+Win64;+x64;+Trident/7.0;+.NET4.0C)";
const NOISE_PATHS: &[&str] = &[
    "/iisstart.htm",
    "/favicon.ico",
    "/intranet/index.aspx",
    "/intranet/app.js",
    "/reports/summary.aspx",
];

/// Writes `days` daily files into `dir` (`W3SVC1`), about `target` bytes
/// in all, for `terminals` terminals; the last day ends at `end_ms` (a
/// midnight, Unix ms).
pub(crate) fn generate(
    dir: &Path,
    target: u64,
    days: u32,
    terminals: usize,
    end_ms: i64,
) -> io::Result<Manifest> {
    let site = dir.join("W3SVC1");
    std::fs::create_dir_all(&site)?;
    let mut m = Manifest {
        now_ms: end_ms,
        days,
        ..Manifest::default()
    };
    for i in 0..terminals {
        m.states[Plan::of(i) as usize] += 1;
    }
    let addresses: Vec<String> = (0..terminals).map(address).collect();
    let names: Vec<String> = (0..terminals).map(machine).collect();
    let per_day = target / u64::from(days);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let start = end_ms - i64::from(days) * DAY_MS;
    for d in 0..days {
        let day_start = start + i64::from(d) * DAY_MS;
        let date = date_text(day_start);
        let days_left = days - d; // 1 on the last day
        let name = format!("u_ex{}.log", &date[2..].replace('-', ""));
        let path = site.join(&name);
        let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
        let mut written = 0u64;
        let head = format!("{HEADER}#Date: {date} 00:00:00\r\n{FIELDS}");
        w.write_all(head.as_bytes())?;
        written += head.len() as u64;
        m.lines += 4;
        let mut line = String::with_capacity(512);
        let mut n = 0u64;
        while written < per_day {
            // Times rise through the day with the share written.
            let ms = (written as i64 * (DAY_MS - 2000)) / per_day.max(1) as i64;
            let secs = ms / 1000;
            let t = |extra: i64| {
                let s = secs + extra;
                format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
            };
            line.clear();
            n += 1;
            if n.is_multiple_of(10) {
                // Another site's request: never `/NES`.
                let path = NOISE_PATHS[rng.below(NOISE_PATHS.len() as u64) as usize];
                let client = format!("192.168.{}.{}", rng.below(4), rng.below(250) + 1);
                push_line(&mut line, &date, &t(0), path, "-", &client, 200, 0, 0);
                write_lines(&mut w, &mut line, &mut written, &mut m, 0)?;
                continue;
            }
            let i = rng.below(terminals as u64) as usize;
            let plan = Plan::of(i);
            let user = format!("CORP\\{}$", names[i]);
            let addr = &addresses[i];
            if plan == Plan::NotRenewing && days_left <= 16 {
                // Stopped talking to NES 16 days before the end.
                continue;
            }
            // The Negotiate challenge, then the answer.
            push_line(
                &mut line,
                &date,
                &t(0),
                "/NES/api/v1/certificates",
                "-",
                addr,
                401,
                2,
                5,
            );
            let (status, sub, win32) = match plan {
                Plan::AuthFailing if days_left <= 3 => (401, 1, 2_148_074_254u64),
                Plan::NesErrors if days_left <= 2 => (500, 0, 0),
                _ => (200, 0, 0),
            };
            push_line(
                &mut line,
                &date,
                &t(1),
                "/NES/api/v1/certificates",
                &user,
                addr,
                status,
                sub,
                win32,
            );
            write_lines(&mut w, &mut line, &mut written, &mut m, 2)?;
        }
        w.flush()?;
        m.files.push(path);
    }
    m.bytes = m
        .files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |x| x.len()))
        .sum();
    Ok(m)
}

#[allow(clippy::too_many_arguments)]
fn push_line(
    line: &mut String,
    date: &str,
    time: &str,
    stem: &str,
    user: &str,
    client: &str,
    status: u16,
    sub: u32,
    win32: u64,
) {
    use std::fmt::Write as _;
    let _ = write!(
        line,
        "{date} {time} 10.0.0.10 GET {stem} - 443 {user} {client} {UA} - {status} {sub} {win32} 15\r\n"
    );
}

fn write_lines(
    w: &mut impl Write,
    line: &mut String,
    written: &mut u64,
    m: &mut Manifest,
    nes: u64,
) -> io::Result<()> {
    w.write_all(line.as_bytes())?;
    *written += line.len() as u64;
    let lines = line.matches('\n').count() as u64;
    m.lines += lines;
    m.nes_lines += nes;
    Ok(())
}

/// `YYYY-MM-DD` of a Unix ms time (civil from days).
pub(crate) fn date_text(ms: i64) -> String {
    let z = ms.div_euclid(DAY_MS) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
