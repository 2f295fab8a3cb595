//! WGSS traces and nymi_api.log lines in every prefix shape they are
//! found in (the article's, its variants, ISO 8601, other date forms,
//! thread forms, none), every encoding and both hex cases: detection,
//! record times, threads, sequence rules, the time window and undated
//! records.

mod support;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use nymidiag::Report;
use nymidiag::logs::{DateOrder, KindSource, LogKind, LogScanData, LogScanRequest};
use nymidiag::time_fmt::UtcTime;
use support::logs::{count, hit, scan, utf16be, utf16le};
use time::{Duration, OffsetDateTime, UtcOffset};

/// "Now" of every scan; the window is the default 14 days before it.
const NOW: &str = "2026-05-15T12:00:00Z";
/// The local offset given to the scans (minutes).
const LOCAL_MINUTES: i32 = 120;

fn now() -> OffsetDateTime {
    UtcTime::parse(NOW).unwrap().0
}

fn local() -> UtcOffset {
    UtcOffset::from_whole_seconds(LOCAL_MINUTES * 60).unwrap()
}

/// The prefix shapes a trace line is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// `704:(26/05/14 18:13:14.149):Src.cpp :0402: msg`
    Article,
    ArticleNoMillis,
    ArticleComma,
    ArticleLongYear,
    ArticleDashes,
    ArticleSpaces,
    ArticleTabs,
    /// `2026-05-14T16:13:14.149Z [704] ...`
    IsoZulu,
    /// `2026-05-14 18:13:14,149<tab>704<tab>...` (local time)
    IsoCommaColumn,
    /// `2026-05-14T17:13:14.149+01:00 [1200:704] ...`
    IsoOffsetPidTid,
    /// `2026-05-14T18:13:14 (704) ...` (no fraction, local)
    IsoNoMillisParen,
    /// `[2026-05-14T20:13:14.149000+04:00] tid=704 ...`
    IsoBracketed,
    /// `14.05.2026 18:13:14 TID 704 ...`
    DayFirstDots,
    /// `05/14/2026 6:13:14 PM  704  ...`
    UsAmPm,
    /// `2026/05/14 18:13:14.149 [704] ...`
    SlashYearFirst,
    /// `Src.cpp :0402: msg`: no prefix at all.
    Bare,
}

const SHAPES: [Shape; 16] = [
    Shape::Article,
    Shape::ArticleNoMillis,
    Shape::ArticleComma,
    Shape::ArticleLongYear,
    Shape::ArticleDashes,
    Shape::ArticleSpaces,
    Shape::ArticleTabs,
    Shape::IsoZulu,
    Shape::IsoCommaColumn,
    Shape::IsoOffsetPidTid,
    Shape::IsoNoMillisParen,
    Shape::IsoBracketed,
    Shape::DayFirstDots,
    Shape::UsAmPm,
    Shape::SlashYearFirst,
    Shape::Bare,
];

impl Shape {
    fn dated(self) -> bool {
        self != Shape::Bare
    }

    fn has_thread(self) -> bool {
        self != Shape::Bare
    }

    fn has_millis(self) -> bool {
        !matches!(
            self,
            Shape::ArticleNoMillis
                | Shape::IsoNoMillisParen
                | Shape::DayFirstDots
                | Shape::UsAmPm
                | Shape::Bare
        )
    }

    fn two_digit_date(self) -> bool {
        matches!(
            self,
            Shape::Article
                | Shape::ArticleNoMillis
                | Shape::ArticleComma
                | Shape::ArticleDashes
                | Shape::ArticleSpaces
                | Shape::ArticleTabs
        )
    }

    /// One line: `at` is the UTC time, `tid` the thread.
    fn line(self, tid: &str, at: OffsetDateTime, src: &str, src_line: &str, msg: &str) -> String {
        let l = at.to_offset(local());
        let ymd2 = |t: OffsetDateTime, sep: char| {
            format!(
                "{:02}{sep}{:02}{sep}{:02}",
                t.year() % 100,
                u8::from(t.month()),
                t.day()
            )
        };
        let ymd4 = |t: OffsetDateTime, sep: char| {
            format!(
                "{:04}{sep}{:02}{sep}{:02}",
                t.year(),
                u8::from(t.month()),
                t.day()
            )
        };
        let hms =
            |t: OffsetDateTime| format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
        let ms = |t: OffsetDateTime| format!("{:03}", t.millisecond());
        match self {
            Shape::Article => format!(
                "{tid}:({} {}.{}):{src} :{src_line}: {msg}",
                ymd2(l, '/'),
                hms(l),
                ms(l)
            ),
            Shape::ArticleNoMillis => {
                format!(
                    "{tid}:({} {}):{src} :{src_line}: {msg}",
                    ymd2(l, '/'),
                    hms(l)
                )
            }
            Shape::ArticleComma => format!(
                "{tid}:({} {},{}):{src} :{src_line}: {msg}",
                ymd2(l, '/'),
                hms(l),
                ms(l)
            ),
            Shape::ArticleLongYear => format!(
                "{tid}:({} {}.{}):{src} :{src_line}: {msg}",
                ymd4(l, '/'),
                hms(l),
                ms(l)
            ),
            Shape::ArticleDashes => format!(
                "{tid}:({} {}.{}):{src} :{src_line}: {msg}",
                ymd2(l, '-'),
                hms(l),
                ms(l)
            ),
            Shape::ArticleSpaces => format!(
                "{tid}: ( {}  {}.{} ) :{src}  : {src_line} :  {msg}",
                ymd2(l, '/'),
                hms(l),
                ms(l)
            ),
            Shape::ArticleTabs => format!(
                "{tid}\t({} {}.{})\t{src}\t{src_line}\t{msg}",
                ymd2(l, '/'),
                hms(l),
                ms(l)
            ),
            Shape::IsoZulu => format!(
                "{}T{}.{}Z [{tid}] {src} :{src_line}: {msg}",
                ymd4(at, '-'),
                hms(at),
                ms(at)
            ),
            Shape::IsoCommaColumn => format!(
                "{} {},{}\t{tid}\t{src} :{src_line}: {msg}",
                ymd4(l, '-'),
                hms(l),
                ms(l)
            ),
            Shape::IsoOffsetPidTid => {
                let o = at.to_offset(UtcOffset::from_hms(1, 0, 0).unwrap());
                format!(
                    "{}T{}.{}+01:00 [1200:{tid}] {src} :{src_line}: {msg}",
                    ymd4(o, '-'),
                    hms(o),
                    ms(o)
                )
            }
            Shape::IsoNoMillisParen => format!(
                "{}T{} ({tid}) {src} :{src_line}: {msg}",
                ymd4(l, '-'),
                hms(l)
            ),
            Shape::IsoBracketed => {
                let o = at.to_offset(UtcOffset::from_hms(4, 0, 0).unwrap());
                format!(
                    "[{}T{}.{}000+04:00] tid={tid} {src} :{src_line}: {msg}",
                    ymd4(o, '-'),
                    hms(o),
                    ms(o)
                )
            }
            Shape::DayFirstDots => format!(
                "{:02}.{:02}.{:04} {} TID {tid} {src} :{src_line}: {msg}",
                l.day(),
                u8::from(l.month()),
                l.year(),
                hms(l)
            ),
            Shape::UsAmPm => {
                let (h12, half) = match l.hour() {
                    0 => (12, "AM"),
                    h @ 1..=11 => (h, "AM"),
                    12 => (12, "PM"),
                    h => (h - 12, "PM"),
                };
                format!(
                    "{:02}/{:02}/{:04} {h12}:{:02}:{:02} {half}  {tid}  {src} :{src_line}: {msg}",
                    u8::from(l.month()),
                    l.day(),
                    l.year(),
                    l.minute(),
                    l.second()
                )
            }
            Shape::SlashYearFirst => format!(
                "{} {}.{} [{tid}] {src} :{src_line}: {msg}",
                ymd4(l, '/'),
                hms(l),
                ms(l)
            ),
            Shape::Bare => format!("{src} :{src_line}: {msg}"),
        }
    }

    /// What a time written in this shape reads back as.
    fn written(self, at: OffsetDateTime) -> OffsetDateTime {
        if self.has_millis() {
            at
        } else {
            at.replace_millisecond(0).unwrap()
        }
    }
}

/// Hex spellings of the two codes.
const CASES: [(&str, &str); 4] = [
    ("0x8101201c", "0x81010009"),
    ("0X8101201C", "0X81010009"),
    ("0x8101201C", "0x81010009"),
    ("0X8101201c", "0X81010009"),
];

/// Text encodings written.
#[derive(Clone, Copy, Debug)]
enum Enc {
    Utf8,
    Utf8Bom,
    Utf16LeBom,
    Utf16BeBom,
}

const ENCODINGS: [Enc; 4] = [Enc::Utf8, Enc::Utf8Bom, Enc::Utf16LeBom, Enc::Utf16BeBom];

fn encode(text: &str, enc: Enc) -> Vec<u8> {
    match enc {
        Enc::Utf8 => text.as_bytes().to_vec(),
        Enc::Utf8Bom => [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat(),
        Enc::Utf16LeBom => utf16le(&text.replace('\n', "\r\n"), true),
        Enc::Utf16BeBom => utf16be(&text.replace('\n', "\r\n")),
    }
}

/// Milliseconds after the chain's start of each line.
const CHAIN_MS: [i64; 7] = [0, 0, 1, 13, 13, 14, 15];

/// The documented failure chain (domain brief 4.1) on thread `tid`,
/// starting at `t0`, one entry per record (the token error spans two
/// lines).
fn chain(shape: Shape, tid: &str, t0: OffsetDateTime, codes: (&str, &str)) -> Vec<String> {
    let (chain_code, onf) = codes;
    let parts = [
        (
            "CHttpClient.cpp",
            "0402",
            "-> CHttpClient::GetHttpStatus".to_owned(),
        ),
        (
            "NesClient.cpp",
            "0114",
            "Error from token request--code: 0 - message: 'The operation is complete\n'".to_owned(),
        ),
        (
            "Listener.cpp",
            "0411",
            "Unable to get token with USER creds".to_owned(),
        ),
        (
            "WearableExtension.cpp",
            "0440",
            format!("Ext::GetListOfVisibleDevices returns: {chain_code}"),
        ),
        (
            "WearableExtension.cpp",
            "0441",
            "0 visible devices".to_owned(),
        ),
        (
            "WearableExtension.cpp",
            "0495",
            format!("<- CWearableExtension::ValidateProvisions returned: {onf}"),
        ),
        (
            "WearableContext.cpp",
            "0460",
            format!("<- CWearableContext::ConnectUserWearableDevice returned: {onf}"),
        ),
    ];
    parts
        .iter()
        .zip(CHAIN_MS)
        .map(|((src, line, msg), ms)| {
            shape.line(tid, t0 + Duration::milliseconds(ms), src, line, msg)
        })
        .collect()
}

/// An "Object not found" of another thread, with nothing before it.
fn lone_object_not_found(shape: Shape, t: OffsetDateTime, onf: &str) -> String {
    shape.line(
        "705",
        t,
        "WearableContext.cpp",
        "0460",
        &format!("<- CWearableContext::ConnectUserWearableDevice returned: {onf}"),
    )
}

/// Writes `bytes` as `dir/name`, last written at `modified`.
fn write_at(dir: &Path, name: &str, bytes: &[u8], modified: OffsetDateTime) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    let f = std::fs::File::options().write(true).open(&p).unwrap();
    f.set_modified(SystemTime::from(modified)).unwrap();
    p
}

fn request(path: &Path) -> LogScanRequest {
    LogScanRequest {
        paths: vec![path.display().to_string()],
        now: Some(UtcTime(now())),
        local_offset_minutes: Some(LOCAL_MINUTES),
        ..Default::default()
    }
}

fn ut(t: OffsetDateTime) -> Option<UtcTime> {
    Some(UtcTime(t))
}

fn join(lines: &[String]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// The start of the chain in the window: the day before `NOW`.
fn recent() -> OffsetDateTime {
    now() - Duration::days(1) + Duration::milliseconds(149)
}

fn assert_detected(report: &Report<LogScanData>, kind: LogKind, what: &str) {
    let f = &report.data.files[0];
    assert_eq!(f.kind, kind, "{what}");
    assert_eq!(f.kind_source, KindSource::Content, "{what}");
}

#[test]
fn the_chain_in_every_shape_encoding_and_hex_case() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = recent();
    let modified = now() - Duration::hours(1);
    let mut scans = 0;
    for shape in SHAPES {
        for enc in ENCODINGS {
            for codes in CASES {
                let what = format!("{shape:?} {enc:?} {codes:?}");
                let mut lines = chain(shape, "704", t0, codes);
                if shape.has_thread() {
                    lines.push(lone_object_not_found(
                        shape,
                        t0 + Duration::milliseconds(20),
                        codes.1,
                    ));
                }
                let path = write_at(
                    dir.path(),
                    "trace.txt",
                    &encode(&join(&lines), enc),
                    modified,
                );
                let report = scan(&request(&path));
                scans += 1;
                assert_detected(&report, LogKind::Wgss, &what);
                let file = &report.data.files[0];
                assert_eq!(file.lines, 8 + u64::from(shape.has_thread()), "{what}");
                if shape.two_digit_date() {
                    assert_eq!(file.date_order, Some(DateOrder::YyMmDd), "{what}");
                }

                assert_eq!(count(&report, "LOG_TOKEN_REQUEST_FAILED"), 1, "{what}");
                assert_eq!(count(&report, "LOG_CERT_CHAIN_NOT_TRUSTED"), 1, "{what}");
                assert_eq!(count(&report, "LOG_NO_VISIBLE_DEVICES"), 0, "{what}");
                assert_eq!(count(&report, "LOG_NEA_CERTS_NOT_RETRIEVED"), 2, "{what}");
                let nea = hit(&report, "LOG_NEA_CERTS_NOT_RETRIEVED").unwrap();
                let codes_seen: Vec<&str> = report
                    .data
                    .error_codes
                    .iter()
                    .map(|c| c.code.as_str())
                    .collect();
                assert!(codes_seen.contains(&"0x8101201c"), "{what}: {codes_seen:?}");
                assert!(codes_seen.contains(&"0x81010009"), "{what}: {codes_seen:?}");
                let returned = hit(&report, "LOG_ERROR_CODE_RETURNED").unwrap();
                assert!(
                    returned.fields["code"]
                        .iter()
                        .all(|v| v.value == v.value.to_ascii_lowercase()),
                    "{what}"
                );

                // Line numbers count the continuation line; with a prefix
                // the lone `'` continues the token error record.
                let onf = hit(&report, "LOG_OBJECT_NOT_FOUND").unwrap();
                assert_eq!(
                    onf.locations
                        .iter()
                        .map(|l| l.line)
                        .take(2)
                        .collect::<Vec<_>>(),
                    [7, 8],
                    "{what}"
                );
                let token = hit(&report, "LOG_TOKEN_REQUEST_ERROR").unwrap();
                assert_eq!(token.locations[0].line, 2, "{what}");
                assert_eq!(
                    token.excerpts[0].text.ends_with("complete\n'"),
                    shape != Shape::Bare,
                    "{what}: {:?}",
                    token.excerpts[0].text
                );
                if shape.dated() {
                    let onf_at = |i: usize| shape.written(t0 + Duration::milliseconds(CHAIN_MS[i]));
                    assert_eq!(nea.first_seen, ut(onf_at(5)), "{what}");
                    assert_eq!(nea.last_seen, ut(onf_at(6)), "{what}");
                    assert_eq!(nea.undated, 0, "{what}");
                    assert_eq!(nea.undated_not_after, None, "{what}");
                    assert_eq!(file.first_time, ut(shape.written(t0)), "{what}");
                    assert_eq!(
                        file.last_time,
                        ut(shape.written(t0 + Duration::milliseconds(20))),
                        "{what}"
                    );
                    // The thread is read: the other thread's "Object not
                    // found" is preceded by nothing.
                    let onf = hit(&report, "LOG_OBJECT_NOT_FOUND").unwrap();
                    assert_eq!(onf.count, 3, "{what}");
                    assert_eq!(onf.preceded_by["LOG_CERT_CHAIN_NOT_TRUSTED"], 2, "{what}");
                    assert_eq!(onf.preceded_by["none"], 1, "{what}");
                    assert_eq!(
                        onf.preceded_by_last_seen["LOG_CERT_CHAIN_NOT_TRUSTED"],
                        UtcTime(onf_at(6)),
                        "{what}"
                    );
                    assert_eq!(
                        onf.preceded_by_last_seen["none"],
                        UtcTime(shape.written(t0 + Duration::milliseconds(20))),
                        "{what}"
                    );
                } else {
                    assert_eq!(nea.undated, 2, "{what}");
                    assert_eq!(nea.first_seen, None, "{what}");
                    assert_eq!(nea.undated_not_after, ut(modified), "{what}");
                    let onf = hit(&report, "LOG_OBJECT_NOT_FOUND").unwrap();
                    assert!(onf.preceded_by_last_seen.is_empty(), "{what}");
                }
            }
        }
    }
    assert_eq!(scans, SHAPES.len() * ENCODINGS.len() * CASES.len());
}

#[test]
fn a_chain_thirty_days_old_is_outside_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = now() - Duration::days(30);
    for shape in SHAPES.into_iter().filter(|s| s.dated()) {
        for enc in [Enc::Utf8, Enc::Utf16LeBom] {
            let what = format!("{shape:?} {enc:?}");
            let text = join(&chain(shape, "704", t0, CASES[1]));
            // Written recently (the trace goes on), so the file is read.
            let path = write_at(dir.path(), "old.txt", &encode(&text, enc), now());
            let report = scan(&request(&path));
            assert_detected(&report, LogKind::Wgss, &what);
            for id in [
                "LOG_NEA_CERTS_NOT_RETRIEVED",
                "LOG_CERT_CHAIN_NOT_TRUSTED",
                "LOG_OBJECT_NOT_FOUND",
                "LOG_TOKEN_REQUEST_FAILED",
            ] {
                assert_eq!(count(&report, id), 0, "{what} {id}");
            }
            let file = &report.data.files[0];
            assert!(file.records_outside_window > 0, "{what}");
            assert_eq!(file.first_time, ut(shape.written(t0)), "{what}");
        }
    }
}

#[test]
fn a_bare_chain_is_undated_and_matched_by_record_distance() {
    let dir = tempfile::tempdir().unwrap();
    let modified = now() - Duration::hours(3);
    let lines = chain(Shape::Bare, "", recent(), CASES[0]);
    for filler in [0usize, 10, 40, 60, 200] {
        // Unrelated lines between the chain error and "Object not found".
        let mut text: Vec<String> = lines[..5].to_vec();
        text.extend((0..filler).map(|i| format!("Poll.cpp :0100: idle {i}")));
        text.extend(lines[5..].iter().cloned());
        let path = write_at(dir.path(), "bare.txt", join(&text).as_bytes(), modified);
        let report = scan(&request(&path));
        let what = format!("filler {filler}");
        assert_detected(&report, LogKind::Wgss, &what);
        assert_eq!(report.data.files[0].first_time, None, "{what}");
        // 0x8101201c is on line 5 (the token error takes two lines);
        // "Object not found" on lines 7 + filler and 8 + filler.
        let expected = [7 + filler, 8 + filler]
            .iter()
            .filter(|&&l| l - 5 <= 50)
            .count() as u64;
        assert_eq!(
            count(&report, "LOG_NEA_CERTS_NOT_RETRIEVED"),
            expected,
            "{what}"
        );
        let onf = hit(&report, "LOG_OBJECT_NOT_FOUND").unwrap();
        assert_eq!((onf.count, onf.undated), (2, 2), "{what}");
        assert_eq!(onf.undated_not_after, ut(modified), "{what}");
        assert_eq!(onf.first_seen, None, "{what}");
        assert_eq!(
            onf.preceded_by.get("none").copied().unwrap_or(0),
            2 - expected,
            "{what}"
        );
        assert!(onf.preceded_by_last_seen.is_empty(), "{what}");
        if expected > 0 {
            let nea = hit(&report, "LOG_NEA_CERTS_NOT_RETRIEVED").unwrap();
            assert_eq!(nea.undated, expected, "{what}");
            assert_eq!(nea.undated_not_after, ut(modified), "{what}");
        }
    }
}

#[test]
fn undated_records_count_only_in_files_written_in_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let text = join(&chain(Shape::Bare, "", recent(), CASES[0]));
    for (days_ago, read) in [(1, true), (13, true), (15, false), (40, false)] {
        let modified = now() - Duration::days(days_ago);
        let path = write_at(dir.path(), "bare.txt", text.as_bytes(), modified);
        let report = scan(&request(&path));
        let what = format!("{days_ago} days");
        assert_eq!(report.data.files.len(), usize::from(read), "{what}");
        let expected = if read { 2 } else { 0 };
        assert_eq!(
            count(&report, "LOG_NEA_CERTS_NOT_RETRIEVED"),
            expected,
            "{what}"
        );
        if !read {
            assert_eq!(report.data.not_scanned[0].reason, "older_than_window");
        }
    }
}

#[test]
fn undated_records_of_another_file_do_not_relate() {
    // A rotation family: the chain error ends the older file, "Object not
    // found" starts the newer one; without times they must not pair up.
    let dir = tempfile::tempdir().unwrap();
    let lines = chain(Shape::Bare, "", recent(), CASES[0]);
    let older = write_at(
        dir.path(),
        "trace.log.1",
        join(&lines[..5]).as_bytes(),
        now() - Duration::hours(5),
    );
    let newer = write_at(
        dir.path(),
        "trace.log",
        join(&lines[5..]).as_bytes(),
        now() - Duration::hours(1),
    );
    let mut req = request(&older);
    req.paths.push(newer.display().to_string());
    req.merge_rotated = true;
    req.kind = nymidiag::logs::KindChoice::Wgss;
    let report = scan(&req);
    assert_eq!(report.data.files.len(), 2);
    assert!(
        report
            .data
            .files
            .iter()
            .all(|f| f.rotation_family.is_some())
    );
    assert_eq!(count(&report, "LOG_OBJECT_NOT_FOUND"), 2);
    assert_eq!(count(&report, "LOG_NEA_CERTS_NOT_RETRIEVED"), 0);
    assert_eq!(count(&report, "LOG_NO_VISIBLE_DEVICES"), 0);
}

#[test]
fn interleaved_threads_do_not_mix() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = recent();
    for shape in SHAPES.into_iter().filter(|s| s.has_thread()) {
        for codes in [CASES[0], CASES[1]] {
            let what = format!("{shape:?} {codes:?}");
            // Thread 704 has the chain; thread 705 logs "0 visible devices"
            // and "Object not found" in between, without a chain error.
            let a = chain(shape, "704", t0, codes);
            let b = [
                shape.line(
                    "705",
                    t0 + Duration::milliseconds(13),
                    "WearableExtension.cpp",
                    "0441",
                    "0 visible devices",
                ),
                lone_object_not_found(shape, t0 + Duration::milliseconds(14), codes.1),
            ];
            let mut lines = Vec::new();
            for (i, line) in a.iter().enumerate() {
                lines.push(line.clone());
                if i == 4 {
                    lines.extend(b.iter().cloned());
                }
            }
            let path = write_at(
                dir.path(),
                "mixed.txt",
                join(&lines).as_bytes(),
                now() - Duration::hours(1),
            );
            let report = scan(&request(&path));
            assert_detected(&report, LogKind::Wgss, &what);
            assert_eq!(count(&report, "LOG_NEA_CERTS_NOT_RETRIEVED"), 2, "{what}");
            assert_eq!(count(&report, "LOG_OBJECT_NOT_FOUND"), 3, "{what}");
            // 705's "0 visible devices" had no chain error before it.
            assert_eq!(count(&report, "LOG_NO_VISIBLE_DEVICES"), 1, "{what}");
            let onf = hit(&report, "LOG_OBJECT_NOT_FOUND").unwrap();
            assert!(!onf.preceded_by.contains_key("none"), "{what}");
            assert_eq!(onf.preceded_by["LOG_CERT_CHAIN_NOT_TRUSTED"], 2, "{what}");
            assert_eq!(onf.preceded_by["LOG_NO_VISIBLE_DEVICES"], 1, "{what}");
        }
    }
}

/// nymi_api.log prefixes before the level, with the UTC time each gives
/// for a record written at `at` (UTC).
fn api_prefixes(at: OffsetDateTime) -> Vec<(String, OffsetDateTime)> {
    let l = at.to_offset(local());
    let d =
        |t: OffsetDateTime| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day());
    let h = |t: OffsetDateTime| format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    let ms = at.millisecond();
    let whole = at.replace_millisecond(0).unwrap();
    vec![
        (format!("{}T{}.{ms:03}Z", d(at), h(at)), at),
        (format!("{} {},{ms:03}", d(l), h(l)), at),
        (format!("[{}T{}.{ms:03}Z] [4242]", d(at), h(at)), at),
        (format!("{} {}.{ms:03} [88:4242]", d(l), h(l)), at),
        (format!("{} {} tid=4242", d(l), h(l)), whole),
        (
            format!(
                "{:02}.{:02}.{:04} {}",
                l.day(),
                u8::from(l.month()),
                l.year(),
                h(l)
            ),
            whole,
        ),
        (
            format!("4242:({} {}.{ms:03})", d(l).replace('-', "/"), h(l)),
            at,
        ),
    ]
}

#[test]
fn nymi_api_lines_with_prefixes_before_the_level() {
    let dir = tempfile::tempdir().unwrap();
    let at = recent();
    for (prefix, expected) in api_prefixes(at) {
        for enc in ENCODINGS {
            let what = format!("{prefix:?} {enc:?}");
            let text = [
                format!(
                    "{prefix} WARN - Verifying NEA certs without an NES connection. Some checks will be skipped."
                ),
                format!("{prefix} ERROR - NSL: nsl_verify_nea_cert_chain, 2227, 5"),
                format!(
                    r#"{prefix} INFO - sending update to nea {{"operation":"init","exchange":"30809","status":8000,"payload":{{}},"error":{{"error_description":"NEA missing certificates.","error_specifics":"Missing NES connection parameters."}}}}"#
                ),
            ]
            .join("\n");
            let path = write_at(
                dir.path(),
                "api.txt",
                &encode(&text, enc),
                now() - Duration::hours(1),
            );
            let report = scan(&request(&path));
            assert_detected(&report, LogKind::NymiApi, &what);
            for id in [
                "LOG_NES_CONNECTION_MISSING",
                "LOG_NEA_CERT_CHAIN_VERIFY_FAILED",
                "LOG_NEA_MISSING_CERTS",
            ] {
                let h = hit(&report, id).unwrap_or_else(|| panic!("{what}: {id}"));
                assert_eq!(h.first_seen, ut(expected), "{what} {id}");
                assert_eq!(h.undated, 0, "{what} {id}");
            }
            let missing = hit(&report, "LOG_NEA_MISSING_CERTS").unwrap();
            assert_eq!(missing.fields["status"][0].value, "8000", "{what}");
        }
    }
}

#[test]
fn nymi_api_lines_thirty_days_old_are_outside_the_window() {
    let dir = tempfile::tempdir().unwrap();
    for (prefix, _) in api_prefixes(now() - Duration::days(30)) {
        let text = format!("{prefix} ERROR - NSL: nsl_verify_nea_cert_chain, 2227, 5\n");
        let path = write_at(dir.path(), "api.txt", text.as_bytes(), now());
        let report = scan(&request(&path));
        assert_detected(&report, LogKind::NymiApi, &prefix);
        assert_eq!(
            count(&report, "LOG_NEA_CERT_CHAIN_VERIFY_FAILED"),
            0,
            "{prefix}"
        );
        assert_eq!(report.data.files[0].records_outside_window, 1, "{prefix}");
    }
}
