//! The diagnosis on realistic terminals, built by code: key stores (real,
//! opaque, expired, not yet valid, several NSL folders, special files),
//! Evidian WGSS traces and `nymi_api.log` in every line shape and encoding
//! seen in the field, shared NES IIS and firewall logs, URLs of every kind
//! in the logs, and loopback servers for every state of NES. Each scenario
//! states the one verdict a support engineer would give.
//!
//! The table is the contract of `README.md`, "The diagnosis": what is
//! counted, which folder decides, how undated lines and shared logs are
//! treated, where the URL comes from, clock skew and configuration errors.

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use nymidiag::diagnose::{DiagnoseData, DiagnoseRequest, NesUrlSource, VerdictId, diagnose};
use nymidiag::host::{BleSeen, HostObservations, Observation};
use nymidiag::report::{Report, Severity};
use time::OffsetDateTime;

// ---------------------------------------------------------------------------
// Trace lines

/// The shapes of a trace line's prefix seen in the field. Times are written
/// in UTC (the scan is told offset 0) unless the shape states its zone.
#[derive(Clone, Copy, Debug)]
enum Shape {
    /// `704:(26/11/30 06:13:14.149):Src.cpp :0402: msg` (the article's).
    Article,
    /// The article's without milliseconds.
    ArticleNoMillis,
    /// The article's with a four-digit year and a comma.
    ArticleLongYearComma,
    /// `2026-11-30T06:13:14.149Z [1234:704] Src.cpp :0402: msg`.
    IsoPidTid,
    /// `2026-11-30 06:13:14,149 704 Src.cpp :0402: msg`.
    IsoCommaThreadColumn,
    /// `2026-11-30T07:13:14+01:00 [704] Src.cpp :0402: msg`.
    IsoOffsetBracketThread,
    /// `2026-11-30 06:13:14.149<TAB>704<TAB>Src.cpp :0402: msg`.
    Tabs,
    /// `[2026-11-30 06:13:14.149] [tid=704] Src.cpp :0402: msg`.
    BracketedTid,
    /// `30.11.2026 06:13:14.149 (704) Src.cpp :0402: msg`.
    DottedDate,
    /// `11/30/2026 06:13:14 AM TID 704 Src.cpp :0402: msg`.
    UsAmPm,
}

const SHAPES: [Shape; 10] = [
    Shape::Article,
    Shape::ArticleNoMillis,
    Shape::ArticleLongYearComma,
    Shape::IsoPidTid,
    Shape::IsoCommaThreadColumn,
    Shape::IsoOffsetBracketThread,
    Shape::Tabs,
    Shape::BracketedTid,
    Shape::DottedDate,
    Shape::UsAmPm,
];

fn line(shape: Shape, at: OffsetDateTime, thread: u32, body: &str) -> String {
    let (y, mo, d) = (at.year(), u8::from(at.month()), at.day());
    let (h, mi, s, ms) = (at.hour(), at.minute(), at.second(), at.millisecond());
    match shape {
        Shape::Article => format!(
            "{thread}:({:02}/{mo:02}/{d:02} {h:02}:{mi:02}:{s:02}.{ms:03}):{body}",
            y % 100
        ),
        Shape::ArticleNoMillis => format!(
            "{thread}:({:02}/{mo:02}/{d:02} {h:02}:{mi:02}:{s:02}):{body}",
            y % 100
        ),
        Shape::ArticleLongYearComma => {
            format!("{thread}:({y}/{mo:02}/{d:02} {h:02}:{mi:02}:{s:02},{ms:03}):{body}")
        }
        Shape::IsoPidTid => {
            format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z [4242:{thread}] {body}")
        }
        Shape::IsoCommaThreadColumn => {
            format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02},{ms:03} {thread} {body}")
        }
        Shape::IsoOffsetBracketThread => {
            let plus = at + time::Duration::hours(1);
            format!(
                "{}-{:02}-{:02}T{:02}:{:02}:{:02}+01:00 [{thread}] {body}",
                plus.year(),
                u8::from(plus.month()),
                plus.day(),
                plus.hour(),
                plus.minute(),
                plus.second()
            )
        }
        Shape::Tabs => {
            format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{ms:03}\t{thread}\t{body}")
        }
        Shape::BracketedTid => {
            format!("[{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{ms:03}] [tid={thread}] {body}")
        }
        Shape::DottedDate => {
            format!("{d:02}.{mo:02}.{y} {h:02}:{mi:02}:{s:02}.{ms:03} ({thread}) {body}")
        }
        Shape::UsAmPm => {
            let (h12, half) = match h {
                0 => (12, "AM"),
                1..=11 => (h, "AM"),
                12 => (12, "PM"),
                _ => (h - 12, "PM"),
            };
            format!("{mo:02}/{d:02}/{y} {h12:02}:{mi:02}:{s:02} {half} TID {thread} {body}")
        }
    }
}

/// The documented failure chain (`nymi-domain.md` 4.1), one record each;
/// `upper` writes the codes as `0X8101201C`.
fn failure_chain(upper: bool) -> Vec<String> {
    let code = |c: &str| {
        if upper {
            c.to_uppercase()
        } else {
            c.to_owned()
        }
    };
    vec![
        "CHttpClient.cpp :0402: -> CHttpClient::GetHttpStatus".to_owned(),
        "NesClient.cpp :0114: Error from token request--code: 0 - message: 'The operation is complete\n'"
            .to_owned(),
        "Listener.cpp :0411: Unable to get token with USER creds".to_owned(),
        format!(
            "WearableExtension.cpp :0440: Ext::GetListOfVisibleDevices returns: {}",
            code("0x8101201c")
        ),
        "WearableExtension.cpp :0441: 0 visible devices".to_owned(),
        format!(
            "WearableExtension.cpp :0495: <- CWearableExtension::ValidateProvisions returned: {}",
            code("0x81010009")
        ),
        format!(
            "WearableContext.cpp :0460: <- CWearableContext::ConnectUserWearableDevice returned: {}",
            code("0x81010009")
        ),
    ]
}

/// A healthy tap: the band connects (no failure code).
fn healthy_tap() -> Vec<String> {
    vec![
        "WearableExtension.cpp :0440: Ext::GetListOfVisibleDevices returns: 0x00000000".to_owned(),
        "WearableExtension.cpp :0441: 1 visible devices".to_owned(),
        "WearableContext.cpp :0460: <- CWearableContext::ConnectUserWearableDevice returned: 0x00000000"
            .to_owned(),
    ]
}

/// A tap that fails with "Object not found" and no chain error: the BLE
/// adapter.
fn ble_tap() -> Vec<String> {
    vec![
        "WearableExtension.cpp :0441: 0 visible devices".to_owned(),
        "WearableContext.cpp :0460: <- CWearableContext::ConnectUserWearableDevice returned: 0x81010009"
            .to_owned(),
    ]
}

/// Renders records in `shape`, 10 ms apart from `at`.
fn trace(shape: Shape, at: OffsetDateTime, thread: u32, records: &[String]) -> String {
    let mut out = String::new();
    for (i, body) in records.iter().enumerate() {
        let t = at + time::Duration::milliseconds(10 * i as i64);
        out.push_str(&line(shape, t, thread, body));
        out.push('\n');
    }
    out
}

/// Records without any prefix.
fn bare(records: &[String]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

#[derive(Clone, Copy, Debug)]
enum Enc {
    Utf8,
    Utf8Bom,
    Utf16LeBom,
    Utf16BeBom,
}

fn encode(text: &str, enc: Enc) -> Vec<u8> {
    match enc {
        Enc::Utf8 => text.as_bytes().to_vec(),
        Enc::Utf8Bom => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
        Enc::Utf16LeBom => {
            let mut v = vec![0xFF, 0xFE];
            text.encode_utf16().for_each(|u| v.extend(u.to_le_bytes()));
            v
        }
        Enc::Utf16BeBom => {
            let mut v = vec![0xFE, 0xFF];
            text.encode_utf16().for_each(|u| v.extend(u.to_be_bytes()));
            v
        }
    }
}

// ---------------------------------------------------------------------------
// Terminals

/// What a key store holds.
#[derive(Clone, Copy, Debug)]
enum Store {
    /// 8 local + 12 NES-issued, renewed 2 days ago.
    Healthy,
    /// Only the 8 locally generated certificates.
    LocalOnly,
    /// `n` files that are not X.509 (an opaque key-store format).
    Opaque(usize),
    /// 8 real local certificates and 12 opaque files.
    LocalPlusOpaque,
    /// 20 whose 10 NES leaves expired 3 days ago.
    Expired,
    /// 20 whose NES certificates become valid tomorrow (clock behind).
    NotYetValid,
}

fn write_store(dir: &Path, store: Store, now: OffsetDateTime) {
    match store {
        Store::Healthy => {
            support::certs::write_certs(
                dir,
                &support::certs::healthy_set(now),
                support::certs::Encoding::Alternate,
            );
        }
        Store::LocalOnly => {
            support::certs::write_certs(
                dir,
                &support::certs::local_certs(8, support::certs::local_window(now)),
                support::certs::Encoding::Der,
            );
        }
        Store::Opaque(n) => write_opaque(dir, 0, n),
        Store::LocalPlusOpaque => {
            support::certs::write_certs(
                dir,
                &support::certs::local_certs(8, support::certs::local_window(now)),
                support::certs::Encoding::Der,
            );
            write_opaque(dir, 8, 12);
        }
        Store::Expired => {
            let pki = support::certs::NesPki::new(now);
            let mut certs = support::certs::local_certs(8, support::certs::local_window(now));
            certs.push(pki.root_cert());
            certs.push(pki.issuing_cert());
            certs.extend(pki.leaves(10, support::certs::Window::issued(now, 17, 14)));
            support::certs::write_certs(dir, &certs, support::certs::Encoding::Der);
        }
        Store::NotYetValid => {
            let pki = support::certs::NesPki::new(now);
            let mut certs = support::certs::local_certs(8, support::certs::local_window(now));
            certs.push(pki.root_cert());
            certs.push(pki.issuing_cert());
            certs.extend(pki.leaves(10, support::certs::Window::issued(now, -1, 14)));
            support::certs::write_certs(dir, &certs, support::certs::Encoding::Der);
        }
    }
}

/// Files of pseudo-random bytes that no parser reads as X.509.
fn write_opaque(dir: &Path, first: usize, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let mut seed: u32 = 0x9E37_79B9 ^ (first as u32);
    for i in 0..n {
        let len = 96 + (i * 37) % 900;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                (seed >> 24) as u8
            })
            .collect();
        std::fs::write(dir.join(format!("{:02}.key", first + i + 1)), bytes).unwrap();
    }
}

/// Sets the modified time of a folder's files (and the folder) `days_ago`.
fn age(dir: &Path, days_ago: i64) {
    let when = SystemTime::now() - Duration::from_secs((days_ago * 86_400) as u64);
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(when)
                .unwrap();
        }
    }
    std::fs::File::open(dir).unwrap().set_modified(when).ok();
}

/// One log file of a terminal.
struct Log {
    name: &'static str,
    bytes: Vec<u8>,
}

fn log(name: &'static str, text: String) -> Log {
    Log {
        name,
        bytes: text.into_bytes(),
    }
}

/// How the NES URL reaches the diagnosis.
#[derive(Clone)]
enum Url {
    /// Given as `-NesUri`.
    Given(String),
    /// Not given: the logs must supply it.
    FromLogs,
}

/// A terminal on disk.
struct Terminal {
    dir: tempfile::TempDir,
    stores: Vec<PathBuf>,
}

impl Terminal {
    fn new() -> Terminal {
        Terminal {
            dir: tempfile::tempdir().unwrap(),
            stores: Vec::new(),
        }
    }

    /// Adds `NSL\<name>\ksp` holding `store`, last written `days_ago`.
    fn store(mut self, name: &str, store: Store, now: OffsetDateTime, days_ago: i64) -> Self {
        let ksp = self.dir.path().join("NSL").join(name).join("ksp");
        write_store(&ksp, store, now);
        if days_ago > 0 {
            age(&ksp, days_ago);
        }
        self.stores.push(ksp);
        self
    }

    fn logs_dir(&self) -> PathBuf {
        self.dir.path().join("logs")
    }

    fn log(self, l: Log) -> Self {
        let dir = self.logs_dir();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(l.name), l.bytes).unwrap();
        self
    }

    fn nsl(&self) -> String {
        self.dir.path().join("NSL").display().to_string()
    }
}

// ---------------------------------------------------------------------------
// NES servers

// ---------------------------------------------------------------------------
// Scenarios

/// What the diagnosis must say.
struct Expect {
    verdict: VerdictId,
    /// The status line starts with this.
    status: String,
    /// Where the URL came from, when it matters.
    url_source: Option<NesUrlSource>,
    /// Texts that must not appear anywhere in the report.
    absent: Vec<String>,
    /// Evidence ids that must be present.
    evidence: Vec<&'static str>,
    /// The cause's finding, when it matters.
    cause: Option<&'static str>,
    /// Texts the status line must contain.
    contains: Vec<String>,
    /// Every log hit must carry a time (the line shape was read).
    dated: bool,
}

impl Expect {
    fn new(verdict: VerdictId, status: impl Into<String>) -> Expect {
        Expect {
            verdict,
            status: status.into(),
            url_source: None,
            absent: Vec::new(),
            evidence: Vec::new(),
            cause: None,
            contains: Vec::new(),
            dated: false,
        }
    }
    fn contains(mut self, text: impl Into<String>) -> Self {
        self.contains.push(text.into());
        self
    }
    fn dated(mut self) -> Self {
        self.dated = true;
        self
    }
    fn url(mut self, source: NesUrlSource) -> Self {
        self.url_source = Some(source);
        self
    }
    fn absent(mut self, text: impl Into<String>) -> Self {
        self.absent.push(text.into());
        self
    }
    fn evidence(mut self, id: &'static str) -> Self {
        self.evidence.push(id);
        self
    }
    fn cause(mut self, finding: &'static str) -> Self {
        self.cause = Some(finding);
        self
    }
}

struct Scenario {
    name: String,
    terminal: Terminal,
    url: Url,
    /// Extra request settings.
    tweak: Box<dyn Fn(&mut DiagnoseRequest)>,
    /// What the host observed (this terminal's addresses, host checks).
    host: HostObservations,
    expect: Expect,
    /// Servers kept alive for the scenario.
    _keep: Vec<Box<dyn std::any::Any>>,
}

/// This terminal's address in the shared-log scenarios.
const TERMINAL_IP: &str = "10.30.4.77";
/// Another terminal's.
const OTHER_IP: &str = "10.30.9.12";

fn host_with_address() -> HostObservations {
    HostObservations {
        terminal_addresses: vec![TERMINAL_IP.to_owned()],
        ..HostObservations::default()
    }
}

fn scenario(name: impl Into<String>, terminal: Terminal, url: Url, expect: Expect) -> Scenario {
    Scenario {
        name: name.into(),
        terminal,
        url,
        tweak: Box::new(|_| {}),
        host: host_with_address(),
        expect,
        _keep: Vec::new(),
    }
}

fn request(s: &Scenario, now: OffsetDateTime) -> DiagnoseRequest {
    let mut r = DiagnoseRequest {
        nes_url: match &s.url {
            Url::Given(u) => Some(u.clone()),
            Url::FromLogs => None,
        },
        host: Some(s.host.clone()),
        now: Some(nymidiag::time_fmt::UtcTime(now)),
        caller: Some(format!("scenario {}", s.name)),
        ..DiagnoseRequest::default()
    };
    r.cert_inventory.paths = vec![s.terminal.nsl()];
    r.log_scan.paths = vec![s.terminal.logs_dir().display().to_string()];
    r.log_scan.local_offset_minutes = Some(0);
    r.nes_probe.use_env_proxy = false;
    r.nes_probe.use_platform_roots = false;
    r.nes_probe.deadline_ms = 6_000;
    r.nes_probe.trusted_root_path = Some(support::nes::shared().ca_file.display().to_string());
    (s.tweak)(&mut r);
    r
}

fn check(s: &Scenario, r: &Report<DiagnoseData>) -> Result<(), String> {
    let d = &r.data;
    let mut wrong = Vec::new();
    if d.verdict.id != s.expect.verdict {
        wrong.push(format!(
            "verdict {} (want {})",
            d.verdict.id.as_str(),
            s.expect.verdict.as_str()
        ));
    }
    if !d.status_line.starts_with(&s.expect.status) {
        wrong.push(format!(
            "status line does not start with `{}`",
            s.expect.status
        ));
    }
    for text in &s.expect.contains {
        if !d.status_line.contains(text.as_str()) {
            wrong.push(format!("status line lacks `{text}`"));
        }
    }
    if s.expect.dated {
        let scan = d.inputs.log_scan.as_ref().map(|r| &r.data);
        let undated: Vec<&str> = scan
            .map(|x| {
                x.hits
                    .iter()
                    .filter(|h| h.undated > 0)
                    .map(|h| h.rule_id.as_str())
                    .collect()
            })
            .unwrap_or_default();
        if !undated.is_empty() {
            wrong.push(format!("undated hits of {undated:?}"));
        }
        if scan.is_none_or(|x| x.coverage.records_examined == 0) {
            wrong.push("no log record examined".to_owned());
        }
    }
    if let Some(want) = s.expect.url_source
        && d.nes_url.source != want
    {
        wrong.push(format!("URL source {:?} (want {want:?})", d.nes_url.source));
    }
    let json = serde_json::to_string(r).unwrap();
    for text in &s.expect.absent {
        if json.contains(text.as_str()) {
            wrong.push(format!("report contains `{text}`"));
        }
    }
    let ids: Vec<&str> = d.evidence.iter().map(|e| e.finding.as_str()).collect();
    for id in &s.expect.evidence {
        if !ids.contains(id) {
            wrong.push(format!("evidence lacks {id} ({ids:?})"));
        }
    }
    if let Some(want) = s.expect.cause
        && d.verdict.cause.as_ref().map(|c| c.finding.as_str()) != Some(want)
    {
        wrong.push(format!("cause {:?} (want {want})", d.verdict.cause));
    }
    // Every verdict that names a cause rests on evidence from this
    // terminal or the live probe, never on context.
    if let Some(cause) = &d.verdict.cause {
        let backed = d
            .evidence
            .iter()
            .any(|e| e.finding == cause.finding && e.severity >= Severity::Warning);
        if !backed {
            wrong.push(format!("cause {} has no evidence item", cause.finding));
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}\n    status line: {}",
            s.name,
            wrong.join("; "),
            d.status_line
        ))
    }
}

// ---------------------------------------------------------------------------
// The table

fn scenarios(now: OffsetDateTime) -> Vec<Scenario> {
    let mock = support::nes::shared();
    let healthy_url = mock.scenario("healthy").url.clone();
    let refused = support::servers::refused_port();
    let refused_url = format!("https://127.0.0.1:{refused}/nes");
    let hour_ago = now - time::Duration::hours(1);
    let month_ago = now - time::Duration::days(30);
    let three_days_ago = now - time::Duration::days(3);
    let mut out = Vec::new();

    // 1. Healthy terminals whose traces hold old failures, in every line
    //    shape: the failures are dated, lie outside the window (30 days)
    //    or before the last renewal (3 days; the store was renewed 2 days
    //    ago), and never make a healthy terminal an issue.
    for (i, shape) in SHAPES.iter().enumerate() {
        let old = if i % 2 == 0 {
            month_ago
        } else {
            three_days_ago
        };
        let mut text = trace(*shape, old, 704, &failure_chain(i % 3 == 0));
        text.push_str(&trace(
            *shape,
            old + time::Duration::minutes(1),
            705,
            &ble_tap(),
        ));
        text.push_str(&trace(*shape, hour_ago, 706, &healthy_tap()));
        out.push(scenario(
            format!("healthy, old failures, {shape:?}"),
            Terminal::new()
                .store("a1b2", Store::Healthy, now, 0)
                .log(log("WGSS_Nymi.log", text)),
            Url::Given(healthy_url.clone()),
            if i % 2 == 0 {
                // Outside the 14-day window: no retrieval signature counts.
                Expect::new(VerdictId::Healthy, "STATUS=OK v=1 code=HEALTHY ksp=20/20")
                    .contains("logs=none")
                    .dated()
            } else {
                Expect::new(VerdictId::Healthy, "STATUS=OK v=1 code=HEALTHY ksp=20/20")
                    .contains("logs=LOG_NEA_CERTS_NOT_RETRIEVED")
                    .evidence("LOG_FAILURES_BEFORE_RENEWAL")
                    .dated()
            },
        ));
    }

    // 2. Healthy terminals with undated failure lines (no prefix at all):
    //    weaker evidence that never turns a complete, valid store into an
    //    issue, whether the file was last written before the renewal or
    //    after it.
    for (name, days) in [("written before the renewal", 5), ("written today", 0)] {
        let mut text = bare(&failure_chain(false));
        text.push_str(&bare(&ble_tap()));
        let t = Terminal::new()
            .store("a1b2", Store::Healthy, now, 0)
            .log(log("WGSS_Nymi.log", text))
            .log(log(
                "nymi_api.log",
                "ERROR - NSL: nsl_verify_nea_cert_chain, 2227, 5\nINFO - sending update to nea {\"operation\":\"init\",\"exchange\":\"30809\",\"status\":8000,\"payload\":{},\"error\":{\"error_description\":\"NEA missing certificates.\"}}\n".to_owned(),
            ));
        if days > 0 {
            age(&t.logs_dir(), days);
        }
        out.push(scenario(
            format!("healthy, undated failures {name}"),
            t,
            Url::Given(healthy_url.clone()),
            Expect::new(VerdictId::Healthy, "STATUS=OK v=1 code=HEALTHY ksp=20/20"),
        ));
    }

    // 3. Broken terminals (8 local certificates) with a recent failure in
    //    every shape and encoding, NES port closed: TCP blocked.
    let encodings = [Enc::Utf8, Enc::Utf8Bom, Enc::Utf16LeBom, Enc::Utf16BeBom];
    for (i, shape) in SHAPES.iter().enumerate() {
        let enc = encodings[i % encodings.len()];
        let text = trace(*shape, hour_ago, 704, &failure_chain(i % 2 == 1));
        out.push(scenario(
            format!("broken, {shape:?}, {enc:?}"),
            Terminal::new()
                .store("a1b2", Store::LocalOnly, now, 0)
                .log(Log {
                    name: "WGSS_Nymi.log",
                    bytes: encode(&text, enc),
                }),
            Url::Given(refused_url.clone()),
            Expect::new(
                VerdictId::NeaCertsNotRetrievedTcpBlocked,
                format!(
                    "STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=127.0.0.1:{refused} stage=tcp"
                ),
            )
            .evidence("LOG_NEA_CERTS_NOT_RETRIEVED")
            .dated(),
        ));
    }

    // 4. Key stores counted in files, as the Nymi article counts them.
    out.push(scenario(
        "20 opaque files, NES healthy",
        Terminal::new().store("a1b2", Store::Opaque(20), now, 0),
        Url::Given(healthy_url.clone()),
        Expect::new(VerdictId::Healthy, "STATUS=OK v=1 code=HEALTHY ksp=20/20"),
    ));
    out.push(scenario(
        "8 opaque files, NES port closed",
        Terminal::new().store("a1b2", Store::Opaque(8), now, 0),
        Url::Given(refused_url.clone()),
        Expect::new(
            VerdictId::NeaCertsNotRetrievedTcpBlocked,
            "STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20",
        ),
    ));
    out.push(scenario(
        "8 local certificates and 12 opaque files",
        Terminal::new().store("a1b2", Store::LocalPlusOpaque, now, 0),
        Url::Given(healthy_url.clone()),
        Expect::new(VerdictId::Healthy, "STATUS=OK v=1 code=HEALTHY ksp=20/20"),
    ));
    out.push(scenario(
        "expired NES certificates, port closed",
        Terminal::new().store("a1b2", Store::Expired, now, 0),
        Url::Given(refused_url.clone()),
        Expect::new(
            VerdictId::NeaCertsExpiredNotRenewed,
            "STATUS=ISSUE v=1 code=NEA_CERTS_EXPIRED_NOT_RENEWED ksp=20/20",
        ),
    ));

    // 5. Several NSL folders: the active one decides; stale ones are info.
    out.push(scenario(
        "fresh healthy store and a stale 8/20 store",
        Terminal::new()
            .store("current", Store::Healthy, now, 0)
            .store("leftover", Store::LocalOnly, now, 120),
        Url::Given(healthy_url.clone()),
        Expect::new(VerdictId::Healthy, "STATUS=OK v=1 code=HEALTHY ksp=20/20")
            .evidence("KSP_STALE_STORE"),
    ));
    out.push(scenario(
        "two active stores, one 8/20",
        Terminal::new()
            .store("evidian", Store::Healthy, now, 0)
            .store("nba", Store::LocalOnly, now, 1),
        Url::Given(refused_url.clone()),
        Expect::new(
            VerdictId::NeaCertsNotRetrievedTcpBlocked,
            "STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20",
        ),
    ));
    out.push(scenario(
        "the only store is old and 8/20",
        Terminal::new().store("only", Store::LocalOnly, now, 90),
        Url::Given(refused_url.clone()),
        Expect::new(
            VerdictId::NeaCertsNotRetrievedTcpBlocked,
            "STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20",
        ),
    ));

    // 6. Shared logs: the NES IIS log and firewall logs count only for
    //    this terminal and NES.
    let iis = |client: &str, at: OffsetDateTime| {
        let stamp = at
            .format(&time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .unwrap();
        let mut t = String::from(
            "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n",
        );
        for _ in 0..3 {
            let _ = writeln!(
                t,
                "{stamp} 10.20.0.15 GET /nes/api - 443 - {client} - - 401 1 2148074254 15"
            );
        }
        t
    };
    let firewall = |dst: &str, at: OffsetDateTime| {
        let stamp = at
            .format(&time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .unwrap();
        let mut t = String::from(
            "#Version: 1.5\n#Software: Microsoft Windows Firewall\n#Time Format: Local\n#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path\n",
        );
        for p in 0..3 {
            let _ = writeln!(
                t,
                "{stamp} DROP TCP {TERMINAL_IP} {dst} 5151{p} 443 0 - 0 0 0 - - - SEND"
            );
        }
        t
    };
    out.push(scenario(
        "healthy, Kerberos failures of another client in the NES IIS log",
        Terminal::new()
            .store("a1b2", Store::Healthy, now, 0)
            .log(log("u_ex261130.log", iis(OTHER_IP, hour_ago))),
        Url::Given(healthy_url.clone()),
        Expect::new(VerdictId::Healthy, "STATUS=OK v=1 code=HEALTHY ksp=20/20"),
    ));
    out.push(scenario(
        "healthy, Kerberos failures of this terminal after the renewal",
        Terminal::new()
            .store("a1b2", Store::Healthy, now, 0)
            .log(log("u_ex261130.log", iis(TERMINAL_IP, hour_ago))),
        Url::Given(healthy_url.clone()),
        Expect::new(
            VerdictId::CertsOkOtherCause,
            "STATUS=ISSUE v=1 code=CERTS_OK_OTHER_CAUSE ksp=20/20",
        )
        .cause("IIS_KERBEROS_FAILURE"),
    ));
    out.push(scenario(
        "broken, path clean, Kerberos failures of this terminal",
        Terminal::new()
            .store("a1b2", Store::LocalOnly, now, 0)
            .log(log("u_ex261130.log", iis(TERMINAL_IP, hour_ago))),
        Url::Given(healthy_url.clone()),
        Expect::new(
            VerdictId::NeaCertsNotRetrievedAuth,
            "STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_AUTH ksp=8/20",
        )
        .cause("IIS_KERBEROS_FAILURE"),
    ));
    out.push(scenario(
        "broken, path clean, Kerberos failures of another client",
        Terminal::new()
            .store("a1b2", Store::LocalOnly, now, 0)
            .log(log("u_ex261130.log", iis(OTHER_IP, hour_ago))),
        Url::Given(healthy_url.clone()),
        Expect::new(
            VerdictId::NeaCertsNotRetrievedCauseUnknown,
            "STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_CAUSE_UNKNOWN ksp=8/20",
        ),
    ));
    let mut unknown_terminal = scenario(
        "broken, path clean, IIS failures but this terminal's address unknown",
        Terminal::new()
            .store("a1b2", Store::LocalOnly, now, 0)
            .log(log("u_ex261130.log", iis(TERMINAL_IP, hour_ago))),
        Url::Given(healthy_url.clone()),
        Expect::new(
            VerdictId::NeaCertsNotRetrievedCauseUnknown,
            "STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_CAUSE_UNKNOWN ksp=8/20",
        ),
    );
    unknown_terminal.host = HostObservations::default();
    out.push(unknown_terminal);
    out.push(scenario(
        "broken, path clean, firewall drops to an unrelated server",
        Terminal::new()
            .store("a1b2", Store::LocalOnly, now, 0)
            .log(log("pfirewall.log", firewall("10.99.1.1", hour_ago))),
        Url::Given(healthy_url.clone()),
        Expect::new(
            VerdictId::NeaCertsNotRetrievedCauseUnknown,
            "STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_CAUSE_UNKNOWN ksp=8/20",
        ),
    ));
    out.push(scenario(
        "broken, path clean, firewall drops to NES",
        Terminal::new()
            .store("a1b2", Store::LocalOnly, now, 0)
            .log(log("pfirewall.log", firewall("127.0.0.1", hour_ago))),
        Url::Given(healthy_url.replace("localhost", "127.0.0.1")),
        Expect::new(
            VerdictId::NeaCertsNotRetrievedTcpBlocked,
            "STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20",
        )
        .cause("FIREWALL_DROP_NES"),
    ));

    // 7. The NES URL from the logs: NES lines first, never a CRL, OCSP or
    //    AIA URL, any log kind, malformed forms repaired, credentials never
    //    reported, and lower confidence when inferred. Every URL names a
    //    loopback host, so that even a wrong choice stays on this machine.
    let nes_line = |url: &str| {
        trace(
            Shape::Article,
            hour_ago,
            704,
            &[format!("NesClient.cpp :0098: NES URL: {url}")],
        )
    };
    let crl_noise = |n: usize| {
        let mut t = String::new();
        for i in 0..n {
            t.push_str(&line(
                Shape::Article,
                hour_ago + time::Duration::seconds(i as i64),
                900,
                "CertVerify.cpp :0100: fetching http://127.0.0.1:9/CertEnroll/Corp%20Issuing%20CA.crl",
            ));
            t.push('\n');
            t.push_str(&line(
                Shape::Article,
                hour_ago + time::Duration::seconds(i as i64),
                900,
                "CertVerify.cpp :0101: OCSP http://127.0.0.1:9/ocsp",
            ));
            t.push('\n');
        }
        t
    };
    let broken_chain = trace(Shape::Article, hour_ago, 704, &failure_chain(false));
    out.push(scenario(
        "URL from an NES line beats a CRL URL seen 50 times",
        Terminal::new()
            .store("a1b2", Store::LocalOnly, now, 0)
            .log(log(
                "WGSS_Nymi.log",
                format!("{}{}{}", crl_noise(50), nes_line(&refused_url), broken_chain),
            )),
        Url::FromLogs,
        Expect::new(
            VerdictId::NeaCertsNotRetrievedTcpBlocked,
            format!(
                "STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=127.0.0.1:{refused} stage=tcp finding=NES_TCP_REFUSED confidence=medium"
            ),
        )
        .url(NesUrlSource::LogNesContext),
    ));
    out.push(scenario(
        "only CRL and OCSP URLs in the logs",
        Terminal::new()
            .store("a1b2", Store::LocalOnly, now, 0)
            .log(log("WGSS_Nymi.log", format!("{}{}", crl_noise(5), broken_chain))),
        Url::FromLogs,
        Expect::new(
            VerdictId::NeaCertsNotRetrievedCauseUnknown,
            "STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_CAUSE_UNKNOWN ksp=8/20 nes=none stage=untested",
        )
        .url(NesUrlSource::None),
    ));
    out.push(scenario(
        "backslash URL repaired",
        Terminal::new()
            .store("a1b2", Store::LocalOnly, now, 0)
            .log(log(
                "WGSS_Nymi.log",
                format!(
                    "{}{}",
                    nes_line(&format!("https:\\\\127.0.0.1:{refused}\\nes")),
                    broken_chain
                ),
            )),
        Url::FromLogs,
        Expect::new(
            VerdictId::NeaCertsNotRetrievedTcpBlocked,
            format!("STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=127.0.0.1:{refused}"),
        ),
    ));
    out.push(scenario(
        "URL with credentials: stripped, never reported",
        Terminal::new()
            .store("a1b2", Store::LocalOnly, now, 0)
            .log(log(
                "nymi_api.log",
                format!(
                    "INFO - init nes_url=https://svc_nes:Hunter2Secret@127.0.0.1:{refused}/nes\n"
                ),
            ))
            .log(log("WGSS_Nymi.log", broken_chain.clone())),
        Url::FromLogs,
        Expect::new(
            VerdictId::NeaCertsNotRetrievedTcpBlocked,
            format!("STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=127.0.0.1:{refused}"),
        )
        .absent("Hunter2Secret")
        .absent("svc_nes:"),
    ));
    out.push(scenario(
        "URL in a log of no known kind",
        Terminal::new()
            .store("a1b2", Store::LocalOnly, now, 0)
            .log(log(
                "evidian-client.txt",
                format!("2026 startup: NES server https://127.0.0.1:{refused}/nes configured\n"),
            )),
        Url::FromLogs,
        Expect::new(
            VerdictId::NeaCertsNotRetrievedTcpBlocked,
            format!("STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=127.0.0.1:{refused}"),
        ),
    ));

    // 8. Clock skew: its own verdict, never HEALTHY.
    out.push(scenario(
        "NES certificates not valid until tomorrow",
        Terminal::new().store("a1b2", Store::NotYetValid, now, 0),
        Url::Given(healthy_url.clone()),
        Expect::new(
            VerdictId::ClockSkew,
            "STATUS=ISSUE v=1 code=CLOCK_SKEW ksp=20/20",
        )
        .cause("NEA_CERT_NOT_YET_VALID"),
    ));
    for (name, skew) in [
        ("NES clock an hour ahead", time::Duration::hours(1)),
        ("NES clock ten minutes behind", time::Duration::minutes(-10)),
    ] {
        let server = support::servers::start_dated("200 OK", Some(skew));
        let mut s = scenario(
            name,
            Terminal::new().store("a1b2", Store::Healthy, now, 0),
            Url::Given(format!("http://127.0.0.1:{}/nes", server.port)),
            Expect::new(
                VerdictId::ClockSkew,
                "STATUS=ISSUE v=1 code=CLOCK_SKEW ksp=20/20",
            )
            .cause("NES_CLOCK_SKEW"),
        );
        s._keep.push(Box::new(server));
        out.push(s);
    }
    let server = support::servers::start_dated("200 OK", Some(time::Duration::seconds(2)));
    let mut s = scenario(
        "NES clock two seconds off",
        Terminal::new().store("a1b2", Store::Healthy, now, 0),
        Url::Given(format!("http://127.0.0.1:{}/nes", server.port)),
        Expect::new(VerdictId::Healthy, "STATUS=OK v=1 code=HEALTHY ksp=20/20"),
    );
    s._keep.push(Box::new(server));
    out.push(s);

    // 9. Configuration errors are the tool's, not the terminal's.
    out.push(scenario(
        "configured NES URL is not a URL",
        Terminal::new().store("a1b2", Store::LocalOnly, now, 0),
        Url::Given("ftp://127.0.0.1/nes".to_owned()),
        Expect::new(
            VerdictId::ConfigNesUrlInvalid,
            "STATUS=ERROR v=1 code=CONFIG_NES_URL_INVALID ksp=8/20",
        ),
    ));
    // A CA file that cannot be used is reported whether or not NES answers.
    for (name, url, ca) in [
        (
            "CA file missing, NES healthy",
            healthy_url.clone(),
            "missing",
        ),
        (
            "CA file missing, NES port closed",
            refused_url.clone(),
            "missing",
        ),
        ("CA file is a folder", refused_url.clone(), "folder"),
        ("CA file is empty", healthy_url.clone(), "empty"),
    ] {
        let t = Terminal::new().store("a1b2", Store::Healthy, now, 0);
        let path = t.dir.path().join("ca.pem");
        match ca {
            "folder" => std::fs::create_dir_all(&path).unwrap(),
            "empty" => std::fs::write(&path, b"").unwrap(),
            _ => {}
        }
        let mut s = scenario(
            name,
            t,
            Url::Given(url),
            Expect::new(
                VerdictId::ConfigCaFileUnreadable,
                "STATUS=ERROR v=1 code=CONFIG_CA_FILE_UNREADABLE ksp=20/20",
            ),
        );
        let path = path.display().to_string();
        s.tweak = Box::new(move |r| r.nes_probe.trusted_root_path = Some(path.clone()));
        out.push(s);
    }
    for (name, content) in [
        ("rule pack missing", None),
        ("rule pack invalid", Some("[[rule]]\nid = \"BROKEN\"\n")),
    ] {
        let t = Terminal::new()
            .store("a1b2", Store::LocalOnly, now, 0)
            .log(log("WGSS_Nymi.log", broken_chain.clone()));
        let pack = t.dir.path().join("site.toml");
        if let Some(text) = content {
            std::fs::write(&pack, text).unwrap();
        }
        let mut s = scenario(
            name,
            t,
            Url::Given(refused_url.clone()),
            Expect::new(
                VerdictId::ConfigRulePackInvalid,
                "STATUS=ERROR v=1 code=CONFIG_RULE_PACK_INVALID ksp=8/20",
            ),
        );
        let pack = pack.display().to_string();
        s.tweak = Box::new(move |r| r.log_scan.rule_paths = vec![pack.clone()]);
        out.push(s);
    }

    // 10. Special files are skipped with a reason, never opened.
    let t = Terminal::new()
        .store("a1b2", Store::LocalOnly, now, 0)
        .log(log("WGSS_Nymi.log", broken_chain.clone()));
    let fifo_ok = support::certs::make_fifo(&t.logs_dir().join("nymi_api.log"))
        && support::certs::make_fifo(&t.stores[0].join("21.cer"));
    assert!(fifo_ok, "mkfifo is needed for the special-file scenario");
    out.push(scenario(
        "FIFOs in the log folder and the key store",
        t,
        Url::Given(refused_url.clone()),
        Expect::new(
            VerdictId::NeaCertsNotRetrievedTcpBlocked,
            "STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20",
        ),
    ));

    // 11. An IPv6 NES is written `[::1]:port` in the status line.
    let v6 = std::net::TcpListener::bind("[::1]:0")
        .map(|l| l.local_addr().unwrap().port())
        .expect("IPv6 loopback");
    out.push(scenario(
        "broken, IPv6 NES port closed",
        Terminal::new()
            .store("a1b2", Store::LocalOnly, now, 0)
            .log(log("WGSS_Nymi.log", broken_chain.clone())),
        Url::Given(format!("https://[::1]:{v6}/nes")),
        Expect::new(
            VerdictId::NeaCertsNotRetrievedTcpBlocked,
            format!("STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=[::1]:{v6} stage=tcp"),
        ),
    ));

    // 12. A captive portal: NES's URL redirects to another host. Never
    //     "every stage passed"; the portal's session token is not reported.
    for (name, store, verdict, code) in [
        (
            "broken, a captive portal answers for NES",
            Store::LocalOnly,
            VerdictId::NeaCertsNotRetrievedProxy,
            "STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_PROXY ksp=8/20",
        ),
        (
            "healthy store, a captive portal answers for NES",
            Store::Healthy,
            VerdictId::CertsOkNesUnreachable,
            "STATUS=ISSUE v=1 code=CERTS_OK_NES_UNREACHABLE ksp=20/20",
        ),
    ] {
        let portal = support::servers::start_routes(
            None,
            vec![(
                "/nes".to_owned(),
                support::servers::raw_response(
                    "302 Found",
                    &["Location: http://127.0.0.2:{port}/portal/login?session=Sup3rSecretSession"],
                    "",
                ),
            )],
        );
        let mut s = scenario(
            name,
            Terminal::new().store("a1b2", store, now, 0),
            Url::Given(format!("http://127.0.0.1:{}/nes", portal.port)),
            Expect::new(verdict, code)
                .cause("NES_HTTP_REDIRECT_OFF_HOST")
                .absent("Sup3rSecretSession"),
        );
        s._keep.push(Box::new(portal));
        out.push(s);
    }

    // 13. The verdicts that were right before, kept right.
    let broken = |name: &str, url: &str, verdict: VerdictId, code: &str| {
        scenario(
            name,
            Terminal::new()
                .store("a1b2", Store::LocalOnly, now, 0)
                .log(log("WGSS_Nymi.log", broken_chain.clone())),
            Url::Given(url.to_owned()),
            Expect::new(verdict, format!("STATUS=ISSUE v=1 code={code} ksp=8/20")),
        )
    };
    out.push(broken(
        "broken, untrusted NES chain",
        &mock.scenario("unknown_ca").url,
        VerdictId::NeaCertsNotRetrievedTlsUntrusted,
        "NEA_CERTS_NOT_RETRIEVED_TLS_UNTRUSTED",
    ));
    out.push(broken(
        "broken, NES certificate expired",
        &mock.scenario("expired").url,
        VerdictId::NeaCertsNotRetrievedTlsOther,
        "NEA_CERTS_NOT_RETRIEVED_TLS_OTHER",
    ));
    out.push(broken(
        "broken, NES answers 500",
        &mock.scenario("server_error").url,
        VerdictId::NeaCertsNotRetrievedNesError,
        "NEA_CERTS_NOT_RETRIEVED_NES_ERROR",
    ));
    out.push(broken(
        "broken, NES offers Basic only",
        &mock.scenario("basic_only").url,
        VerdictId::NeaCertsNotRetrievedAuth,
        "NEA_CERTS_NOT_RETRIEVED_AUTH",
    ));
    out.push(broken(
        "broken, path clean",
        &healthy_url,
        VerdictId::NeaCertsNotRetrievedCauseUnknown,
        "NEA_CERTS_NOT_RETRIEVED_CAUSE_UNKNOWN",
    ));
    out.push(scenario(
        "healthy store, NES port closed",
        Terminal::new().store("a1b2", Store::Healthy, now, 0),
        Url::Given(refused_url.clone()),
        Expect::new(
            VerdictId::CertsOkNesUnreachable,
            "STATUS=ISSUE v=1 code=CERTS_OK_NES_UNREACHABLE ksp=20/20",
        ),
    ));
    let mut ble = scenario(
        "healthy store, BLE adapter missing",
        Terminal::new().store("a1b2", Store::Healthy, now, 0),
        Url::Given(healthy_url.clone()),
        Expect::new(
            VerdictId::CertsOkOtherCause,
            "STATUS=ISSUE v=1 code=CERTS_OK_OTHER_CAUSE ksp=20/20",
        )
        .cause("HOST_BLE_ADAPTER_MISSING"),
    );
    // Get-PnpDevice found no device that is a BLE adapter.
    ble.host.ble_adapter = Some(Observation::observed(BleSeen::default()));
    out.push(ble);
    out.push(scenario(
        "healthy store, a BLE-only tap an hour ago",
        Terminal::new()
            .store("a1b2", Store::Healthy, now, 0)
            .log(log(
                "WGSS_Nymi.log",
                trace(Shape::Article, hour_ago, 711, &ble_tap()),
            )),
        Url::Given(healthy_url.clone()),
        Expect::new(
            VerdictId::CertsOkOtherCause,
            "STATUS=ISSUE v=1 code=CERTS_OK_OTHER_CAUSE ksp=20/20",
        ),
    ));
    out.push(scenario(
        "no key store, no failure in the logs",
        Terminal::new().log(log(
            "WGSS_Nymi.log",
            trace(Shape::Article, hour_ago, 1, &healthy_tap()),
        )),
        Url::Given(healthy_url.clone()),
        Expect::new(
            VerdictId::Inconclusive,
            "STATUS=ERROR v=1 code=INCONCLUSIVE ksp=?/20",
        ),
    ));
    out
}

#[test]
fn every_realistic_terminal_gets_the_right_verdict() {
    let now = OffsetDateTime::now_utc();
    let table = scenarios(now);
    assert!(table.len() >= 40, "only {} scenarios", table.len());
    let mut failures = Vec::new();
    for s in &table {
        let report = diagnose(&request(s, now));
        match report {
            Ok(r) => {
                if let Err(why) = check(s, &r) {
                    failures.push(why);
                }
            }
            Err(e) => failures.push(format!("{}: diagnose failed: {e}", s.name)),
        }
    }
    let right = table.len() - failures.len();
    eprintln!("diagnosis scenarios: {right} of {} right", table.len());
    assert!(
        failures.is_empty(),
        "{right} of {} right; wrong:\n  {}",
        table.len(),
        failures.join("\n  ")
    );
}
