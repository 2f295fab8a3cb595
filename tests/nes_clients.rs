//! The NES client report on logs built by code (field orders, missing
//! fields, headers changing mid-file, truncated lines, HTTP.sys lines,
//! IPv6, X-Forwarded-For, encodings, line ends, the window and every
//! state at its boundary), on a generated fleet, and on the IIS
//! conformance samples.

mod support;

#[path = "../benches/support/iis_clients.rs"]
#[allow(dead_code)]
mod iis_clients;

use std::path::Path;

use nymidiag::nes_clients::{
    AddressSource, ClientState, NesClient, NesClientsData, NesClientsRequest, nes_clients,
};
use nymidiag::time_fmt::UtcTime;
use nymidiag::{Error, Report, ReportStatus};

/// "Now" of the tests: the window (28 days) starts on 2024-04-04.
const NOW: &str = "2024-05-02T12:00:00Z";

/// The IIS 10 default fields.
const DEFAULT_FIELDS: &[&str] = &[
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

/// One request, by field; unset fields are written as `-`.
#[derive(Clone, Debug, Default)]
struct Req {
    at: &'static str,
    ip: &'static str,
    stem: &'static str,
    user: &'static str,
    status: &'static str,
    sub: &'static str,
    win32: &'static str,
    xff: &'static str,
}

fn req(at: &'static str, ip: &'static str, status: &'static str) -> Req {
    Req {
        at,
        ip,
        stem: "/NES/api/v1/certificates",
        status,
        sub: "0",
        win32: "0",
        ..Req::default()
    }
}

impl Req {
    fn sub(mut self, sub: &'static str, win32: &'static str) -> Req {
        self.sub = sub;
        self.win32 = win32;
        self
    }
    fn user(mut self, user: &'static str) -> Req {
        self.user = user;
        self
    }
    fn stem(mut self, stem: &'static str) -> Req {
        self.stem = stem;
        self
    }
    fn xff(mut self, xff: &'static str) -> Req {
        self.xff = xff;
        self
    }

    fn value(&self, field: &str) -> String {
        let (date, time) = self.at.split_once(' ').expect("`date time`");
        let v = match field {
            "date" => date,
            "time" => time,
            "s-ip" => "10.0.0.10",
            "cs-method" => "GET",
            "cs-uri-stem" => self.stem,
            "s-port" => "443",
            "cs-username" => self.user,
            "c-ip" => self.ip,
            "cs(User-Agent)" => "Nymi+NEA/4.2",
            "sc-status" => self.status,
            "sc-substatus" => self.sub,
            "sc-win32-status" => self.win32,
            "time-taken" => "15",
            "cs(X-Forwarded-For)" | "X-Forwarded-For" => self.xff,
            _ => "",
        };
        if v.is_empty() {
            "-".to_owned()
        } else {
            v.to_owned()
        }
    }
}

/// A log text: header blocks of fields and their requests.
#[derive(Default)]
struct Log {
    text: String,
    eol: &'static str,
}

impl Log {
    fn new() -> Log {
        Log {
            text: String::new(),
            eol: "\r\n",
        }
    }
    fn lf() -> Log {
        Log {
            text: String::new(),
            eol: "\n",
        }
    }
    fn block(mut self, fields: &[&str], reqs: &[Req]) -> Log {
        let eol = self.eol;
        self.text.push_str(&format!(
            "#Software: Microsoft Internet Information Services 10.0{eol}#Version: 1.0{eol}#Date: 2024-05-01 00:00:00{eol}#Fields: {}{eol}",
            fields.join(" ")
        ));
        self.lines(fields, reqs)
    }
    fn lines(mut self, fields: &[&str], reqs: &[Req]) -> Log {
        for r in reqs {
            let cols: Vec<String> = fields.iter().map(|f| r.value(f)).collect();
            self.text.push_str(&cols.join(" "));
            self.text.push_str(self.eol);
        }
        self
    }
    fn raw(mut self, line: &str) -> Log {
        self.text.push_str(line);
        self
    }
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn request(dir: &Path) -> NesClientsRequest {
    NesClientsRequest {
        paths: vec![dir.display().to_string()],
        now: Some(UtcTime::parse(NOW).unwrap()),
        ..NesClientsRequest::default()
    }
}

fn run(req: &NesClientsRequest) -> Report<NesClientsData> {
    nes_clients(req).expect("a valid request")
}

fn row<'a>(r: &'a Report<NesClientsData>, client: &str) -> &'a NesClient {
    r.data
        .clients
        .iter()
        .find(|c| c.client == client)
        .unwrap_or_else(|| panic!("no row {client}: {:#?}", r.data.clients))
}

/// A terminal that renews fine, one failing Kerberos, one getting 500s.
fn three_terminals() -> Vec<Req> {
    vec![
        req("2024-05-01 07:00:00", "10.0.0.1", "401").sub("2", "5"),
        req("2024-05-01 07:00:00", "10.0.0.1", "200").user("CORP\\PC1$"),
        req("2024-04-20 07:00:00", "10.0.0.2", "200").user("CORP\\PC2$"),
        req("2024-05-01 08:00:00", "10.0.0.2", "401").sub("2", "5"),
        req("2024-05-01 08:00:01", "10.0.0.2", "401")
            .sub("1", "2148074254")
            .user("CORP\\PC2$"),
        req("2024-04-20 07:00:00", "10.0.0.3", "200"),
        req("2024-05-01 09:00:00", "10.0.0.3", "500").sub("0", "0"),
    ]
}

#[test]
fn the_three_terminals_get_their_states_worst_first() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "u_ex240501.log",
        Log::new().block(DEFAULT_FIELDS, &three_terminals()).text,
    );
    let r = run(&request(dir.path()));
    assert_eq!(r.status, ReportStatus::Issue);
    let states: Vec<(&str, ClientState)> = r
        .data
        .clients
        .iter()
        .map(|c| (c.client.as_str(), c.state))
        .collect();
    assert_eq!(
        states,
        [
            ("10.0.0.2", ClientState::AuthFailing),
            ("10.0.0.3", ClientState::NesErrors),
            ("10.0.0.1", ClientState::Ok),
        ]
    );
    let pc2 = row(&r, "10.0.0.2");
    assert_eq!(
        (
            pc2.requests,
            pc2.successes,
            pc2.status_401,
            pc2.kerberos_failures
        ),
        (3, 1, 2, 1)
    );
    assert_eq!(pc2.status_401_detail.len(), 2);
    assert_eq!(pc2.last_failure_status.as_deref(), Some("401.1"));
    assert_eq!(pc2.machine_name.as_deref(), Some("PC2"));
    assert_eq!(pc2.user_names_seen, 1);
    assert_eq!(pc2.user_names, None, "names only on request");
    assert_eq!(pc2.address_source, AddressSource::CIp);
    assert_eq!(
        pc2.first_seen.unwrap().to_iso8601(),
        "2024-04-20T07:00:00.000Z"
    );
    assert_eq!(row(&r, "10.0.0.3").status_5xx, 1);
    assert_eq!(r.data.states.auth_failing, 1);
    assert!(
        r.data.missing_fields.is_empty(),
        "{:?}",
        r.data.missing_fields
    );
    let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["NES_CLIENTS_AUTH_FAILING", "NES_CLIENTS_NES_ERRORS"]);
    assert!(
        r.data
            .summary
            .starts_with("3 client(s) from 7 request(s) in 1 file(s)")
    );
}

#[test]
fn field_order_line_ends_bom_and_utf16_do_not_change_the_answer() {
    let mut orders: Vec<Vec<&str>> = vec![DEFAULT_FIELDS.to_vec()];
    let mut rev = DEFAULT_FIELDS.to_vec();
    rev.reverse();
    orders.push(rev);
    orders.push(vec![
        "c-ip",
        "sc-win32-status",
        "time",
        "cs-uri-stem",
        "sc-substatus",
        "date",
        "cs-username",
        "sc-status",
    ]);
    let reference = {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "u_ex1.log",
            Log::new().block(DEFAULT_FIELDS, &three_terminals()).text,
        );
        run(&request(dir.path())).data.clients
    };
    for fields in &orders {
        for (lf, bom, utf16) in [
            (false, false, false),
            (true, false, false),
            (false, true, false),
            (true, true, true),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let log = if lf { Log::lf() } else { Log::new() };
            let text = log.block(fields, &three_terminals()).text;
            let bytes: Vec<u8> = match (bom, utf16) {
                (_, true) => [0xFF, 0xFE]
                    .into_iter()
                    .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
                    .collect(),
                (true, false) => [0xEF, 0xBB, 0xBF].into_iter().chain(text.bytes()).collect(),
                _ => text.into_bytes(),
            };
            write(dir.path(), "u_ex2.log", bytes);
            let r = run(&request(dir.path()));
            assert_eq!(
                r.data.clients, reference,
                "fields {fields:?} lf {lf} bom {bom} utf16 {utf16}"
            );
        }
    }
}

#[test]
fn missing_fields_say_which_questions_stay_open() {
    let dir = tempfile::tempdir().unwrap();
    let fields = [
        "date",
        "time",
        "c-ip",
        "cs-uri-stem",
        "sc-status",
        "sc-substatus",
    ];
    write(
        dir.path(),
        "u_ex1.log",
        Log::new().block(&fields, &three_terminals()).text,
    );
    let mut q = request(dir.path());
    q.expected_clients = vec!["PC1".into(), "10.0.0.1".into()];
    let r = run(&q);
    let missing: Vec<&str> = r
        .data
        .missing_fields
        .iter()
        .map(|m| m.field.as_str())
        .collect();
    assert_eq!(missing, ["sc-win32-status", "cs-username"]);
    assert!(r.data.missing_fields[0].consequence.contains("Kerberos"));
    assert_eq!(r.data.missing_fields[0].records, 7);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("cs-username is not logged")),
        "{:?}",
        r.warnings
    );
    // Still read: the Kerberos 401 is a 401, not a Kerberos failure.
    let pc2 = row(&r, "10.0.0.2");
    assert_eq!(
        (pc2.state, pc2.kerberos_failures),
        (ClientState::AuthFailing, 0)
    );
    // The address matches; the name cannot, and says why.
    assert_eq!(row(&r, "10.0.0.1").expected_as.as_deref(), Some("10.0.0.1"));
    let pc1 = row(&r, "PC1");
    assert_eq!(pc1.state, ClientState::NeverSeen);
    assert!(
        pc1.reason.contains("cs-username is not logged"),
        "{}",
        pc1.reason
    );
}

#[test]
fn fields_changing_mid_file_and_a_truncated_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let second = [
        "date",
        "time",
        "cs-username",
        "sc-status",
        "c-ip",
        "sc-win32-status",
        "sc-substatus",
        "cs-uri-stem",
    ];
    let reqs = three_terminals();
    let text = Log::new()
        .block(DEFAULT_FIELDS, &reqs[..3])
        .block(&second, &reqs[3..])
        // IIS stopped in the middle of a line.
        .raw("2024-05-01 10:00:00 CORP\\PC9$ 200 10.0.0")
        .text;
    write(dir.path(), "u_ex1.log", &text);
    let r = run(&request(dir.path()));
    let f = &r.data.files[0];
    assert_eq!((f.records_counted, f.records_unreadable), (7, 1));
    assert!(
        f.notes[0].starts_with("line 16: 5 columns"),
        "{:?}",
        f.notes
    );
    assert_eq!(row(&r, "10.0.0.2").state, ClientState::AuthFailing);
    assert_eq!(row(&r, "10.0.0.2").kerberos_failures, 1);
    assert_eq!(r.data.clients.len(), 3);
}

#[test]
fn httperr_lines_count_as_failures_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let with_header = "#Software: Microsoft HTTP API 2.0\r\n#Version: 1.0\r\n#Date: 2024-05-01 00:00:00\r\n\
#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri streamid sc-status s-siteid s-reason s-queuename\r\n\
2024-05-01 07:00:00 10.0.0.7 50123 10.0.0.10 443 HTTP/1.1 GET /NES/api/v1/certificates - 503 3 AppOffline NES\r\n\
2024-05-01 07:05:00 10.0.0.7 50124 10.0.0.10 443 - - - - - - Timer_ConnectionIdle -\r\n";
    // Headerless, as the HTTP API documentation describes it.
    let headerless = "2024-05-01 07:10:00 fe80::7%12 50125 10.0.0.10 443 HTTP/1.1 GET http://nes.corp:443/NES/x 400 - BadRequest -\r\n";
    write(dir.path(), "httperr1.log", with_header);
    write(dir.path(), "httperr2.log", headerless);
    let r = run(&request(dir.path()));
    assert!(
        r.data.files.iter().all(|f| f.format == "httperr"),
        "{:?}",
        r.data.files
    );
    let c = row(&r, "10.0.0.7");
    assert_eq!((c.requests, c.http_sys_errors, c.status_5xx), (2, 2, 1));
    assert_eq!(c.state, ClientState::NesErrors);
    assert_eq!(c.http_sys_reasons, ["AppOffline", "Timer_ConnectionIdle"]);
    assert_eq!(
        c.last_failure_status.as_deref(),
        Some("Timer_ConnectionIdle")
    );
    let v6 = row(&r, "fe80::7");
    assert_eq!(
        (v6.http_sys_errors, v6.state),
        (1, ClientState::NotRenewing)
    );
    // HTTP.sys lines never carry the 401 details: not a missing field.
    assert!(
        r.data.missing_fields.is_empty(),
        "{:?}",
        r.data.missing_fields
    );
    // The path filter reads the path of a full URL.
    let mut q = request(dir.path());
    q.uri_stem = Some("/nes/".into());
    let r = run(&q);
    assert_eq!(row(&r, "fe80::7").requests, 1);
    assert_eq!(
        row(&r, "10.0.0.7").requests,
        1,
        "the idle timer line has no path"
    );
}

#[test]
fn ipv6_spellings_and_zones_fall_together() {
    let dir = tempfile::tempdir().unwrap();
    let reqs = [
        req("2024-05-01 07:00:00", "fe80::1%12", "200"),
        req("2024-05-01 07:00:01", "fe80:0:0:0:0:0:0:1", "200"),
        req("2024-05-01 07:00:02", "::ffff:10.0.0.5", "200"),
        req("2024-05-01 07:00:03", "10.0.0.5", "200"),
        req("2024-05-01 07:00:04", "2001:db8::5", "200"),
    ];
    write(
        dir.path(),
        "u_ex1.log",
        Log::new().block(DEFAULT_FIELDS, &reqs).text,
    );
    let r = run(&request(dir.path()));
    let clients: Vec<(&str, u64)> = r
        .data
        .clients
        .iter()
        .map(|c| (c.client.as_str(), c.requests))
        .collect();
    assert_eq!(
        clients,
        [("10.0.0.5", 2), ("2001:db8::5", 1), ("fe80::1", 2)]
    );
}

#[test]
fn x_forwarded_for_names_the_terminal_behind_a_load_balancer() {
    let dir = tempfile::tempdir().unwrap();
    let mut fields = DEFAULT_FIELDS.to_vec();
    fields.push("X-Forwarded-For");
    let reqs = [
        req("2024-05-01 07:00:00", "10.0.0.250", "200").xff("10.9.0.1,+10.0.0.250"),
        req("2024-05-01 07:00:01", "10.0.0.250", "200").xff("[2001:db8::9]:5123"),
        req("2024-05-01 07:00:02", "10.0.0.250", "200").xff("unknown"),
        req("2024-05-01 07:00:03", "10.9.0.1", "200"),
    ];
    write(
        dir.path(),
        "u_ex1.log",
        Log::new().block(&fields, &reqs).text,
    );
    let r = run(&request(dir.path()));
    assert!(r.data.forwarded_for_logged);
    let src: Vec<(&str, u64, AddressSource)> = r
        .data
        .clients
        .iter()
        .map(|c| (c.client.as_str(), c.requests, c.address_source))
        .collect();
    assert_eq!(
        src,
        [
            ("10.0.0.250", 1, AddressSource::CIp),
            ("10.9.0.1", 2, AddressSource::Both),
            ("2001:db8::9", 1, AddressSource::XForwardedFor),
        ]
    );
}

#[test]
fn the_window_edges_and_the_renewal_boundary() {
    let dir = tempfile::tempdir().unwrap();
    // The window starts 2024-04-04T12:00:00Z; the renewal cutoff (14
    // days) is 2024-04-18T12:00:00Z.
    let reqs = [
        req("2024-04-04 11:59:59", "10.0.0.1", "200"),
        req("2024-04-04 12:00:00", "10.0.0.2", "200"),
        req("2024-04-18 11:59:59", "10.0.0.3", "200"),
        req("2024-04-18 12:00:00", "10.0.0.4", "200"),
        req("2024-05-02 12:00:01", "10.0.0.5", "200"),
    ];
    write(
        dir.path(),
        "u_ex1.log",
        Log::new().block(DEFAULT_FIELDS, &reqs).text,
    );
    let r = run(&request(dir.path()));
    let states: Vec<(&str, ClientState)> = r
        .data
        .clients
        .iter()
        .map(|c| (c.client.as_str(), c.state))
        .collect();
    assert_eq!(
        states,
        [
            ("10.0.0.2", ClientState::NotRenewing),
            ("10.0.0.3", ClientState::NotRenewing),
            ("10.0.0.4", ClientState::Ok),
            ("10.0.0.5", ClientState::Ok),
        ],
        "10.0.0.1 is before the window"
    );
    assert_eq!(r.data.files[0].records_outside_window, 1);
    assert_eq!(
        r.data.window.renewal_cutoff.to_iso8601(),
        "2024-04-18T12:00:00.000Z"
    );
    // An explicit `until` ends the window and is where renewal is judged.
    let mut q = request(dir.path());
    q.until = Some(UtcTime::parse("2024-04-18T12:00:00Z").unwrap());
    q.renewal_days = Some(1);
    let r = run(&q);
    let states: Vec<(&str, ClientState)> = r
        .data
        .clients
        .iter()
        .map(|c| (c.client.as_str(), c.state))
        .collect();
    assert_eq!(
        states,
        [
            ("10.0.0.2", ClientState::NotRenewing),
            ("10.0.0.3", ClientState::Ok),
            ("10.0.0.4", ClientState::Ok)
        ]
    );
}

#[test]
fn the_uri_stem_filter_is_a_case_insensitive_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let reqs = [
        req("2024-05-01 07:00:00", "10.0.0.1", "200").stem("/nes/api"),
        req("2024-05-01 07:00:01", "10.0.0.1", "500").stem("/intranet/x"),
        req("2024-05-01 07:00:02", "10.0.0.2", "200").stem("/NESTOR"),
        req("2024-05-01 07:00:03", "10.0.0.3", "200").stem(""),
    ];
    write(
        dir.path(),
        "u_ex1.log",
        Log::new().block(DEFAULT_FIELDS, &reqs).text,
    );
    let mut q = request(dir.path());
    q.uri_stem = Some("/NES/".into());
    let r = run(&q);
    assert_eq!(r.data.clients.len(), 1);
    assert_eq!(
        row(&r, "10.0.0.1").state,
        ClientState::Ok,
        "the 500 is another site's"
    );
    assert_eq!(r.data.files[0].records_filtered, 3);
    // A log without any path field cannot be filtered: said.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "u_ex1.log",
        Log::new()
            .block(&["date", "time", "c-ip", "sc-status"], &reqs)
            .text,
    );
    let r = run(&NesClientsRequest {
        paths: vec![dir.path().display().to_string()],
        ..q
    });
    assert_eq!(r.data.missing_fields[0].field, "cs-uri-stem");
    assert_eq!(r.data.missing_fields[0].records, 4);
}

#[test]
fn expected_clients_by_address_and_machine_name() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "u_ex1.log",
        Log::new().block(DEFAULT_FIELDS, &three_terminals()).text,
    );
    let mut q = request(dir.path());
    q.expected_clients = vec![
        "pc1.corp.example".into(),
        "CORP\\PC2$".into(),
        "10.0.0.3".into(),
        "10.0.0.99".into(),
        "PC77".into(),
    ];
    q.include_user_names = true;
    let r = run(&q);
    assert_eq!(
        row(&r, "10.0.0.1").expected_as.as_deref(),
        Some("pc1.corp.example")
    );
    assert_eq!(
        row(&r, "10.0.0.2").expected_as.as_deref(),
        Some("CORP\\PC2$")
    );
    assert_eq!(
        row(&r, "10.0.0.2").user_names.as_deref(),
        Some(&["CORP\\PC2$".to_owned()][..])
    );
    assert_eq!(row(&r, "10.0.0.3").expected_as.as_deref(), Some("10.0.0.3"));
    for absent in ["10.0.0.99", "PC77"] {
        let c = row(&r, absent);
        assert_eq!(
            (c.state, c.address_source, c.requests),
            (ClientState::NeverSeen, AddressSource::Expected, 0)
        );
    }
    let order: Vec<ClientState> = r.data.clients.iter().map(|c| c.state).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "worst first");
    assert_eq!(r.data.states.never_seen, 2);
}

#[test]
fn distinct_clients_are_capped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "u_ex1.log",
        Log::new().block(DEFAULT_FIELDS, &three_terminals()).text,
    );
    let mut q = request(dir.path());
    q.max_clients = Some(2);
    let r = run(&q);
    assert_eq!(r.data.clients.len(), 2);
    assert!(r.data.requests_over_client_cap > 0);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.starts_with("more than 2 distinct clients")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn no_logs_says_which_paths_were_tried() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes.txt", "not a log at all\n");
    let mut q = request(dir.path());
    q.expected_clients = vec!["10.0.0.1".into()];
    let r = run(&q);
    assert!(
        r.data.clients.is_empty(),
        "no log read: absence says nothing"
    );
    assert_eq!(r.status, ReportStatus::Error);
    assert!(
        r.warnings[0].starts_with("no IIS logs found; paths tried: "),
        "{:?}",
        r.warnings
    );
    assert!(r.warnings[0].contains(&dir.path().display().to_string()));
    assert_eq!(r.data.not_read[0].reason, "not_iis");
    // The defaults (none exist off Windows) are listed as tried.
    let r = run(&NesClientsRequest {
        now: Some(UtcTime::parse(NOW).unwrap()),
        ..Default::default()
    });
    assert_eq!(r.status, ReportStatus::Error);
    assert!(
        r.warnings[0].contains(r"\inetpub\logs\LogFiles\{u_ex,ex}*.log"),
        "{:?}",
        r.warnings
    );
    assert!(
        r.warnings[0].contains(r"\LogFiles\HTTPERR\httperr*.log"),
        "{:?}",
        r.warnings
    );
    assert_eq!(r.data.searched_locations.len(), 3);
}

#[test]
fn bad_requests_name_the_field() {
    for (q, field) in [
        (
            NesClientsRequest {
                renewal_days: Some(0),
                ..Default::default()
            },
            "renewal_days",
        ),
        (
            NesClientsRequest {
                max_clients: Some(0),
                ..Default::default()
            },
            "max_clients",
        ),
        (
            NesClientsRequest {
                uri_stem: Some("/a b".into()),
                ..Default::default()
            },
            "uri_stem",
        ),
        (
            NesClientsRequest {
                expected_clients: vec![" ".into()],
                ..Default::default()
            },
            "expected_clients[0]",
        ),
        (
            NesClientsRequest {
                since: Some(UtcTime::parse("2024-05-02T00:00:00Z").unwrap()),
                until: Some(UtcTime::parse("2024-05-01T00:00:00Z").unwrap()),
                ..Default::default()
            },
            "until",
        ),
    ] {
        match nes_clients(&q) {
            Err(Error::RequestInvalid { path, .. }) => assert_eq!(path, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn a_generated_fleet_over_many_files_matches_its_plan() {
    let dir = tempfile::tempdir().unwrap();
    let end = UtcTime::parse("2024-05-02T00:00:00Z").unwrap();
    let end_ms = (end.0.unix_timestamp_nanos() / 1_000_000) as i64;
    let m = iis_clients::generate(dir.path(), 4 << 20, 28, 100, end_ms).unwrap();
    let mut q = request(dir.path());
    q.now = Some(end);
    q.uri_stem = Some("/NES".into());
    let r = run(&q);
    let counted: u64 = r.data.files.iter().map(|f| f.records_counted).sum();
    assert_eq!(counted, m.nes_lines);
    assert_eq!(r.data.files.len(), 28);
    let s = &r.data.states;
    assert_eq!(
        [s.auth_failing, s.nes_errors, s.not_renewing, s.ok],
        m.states
    );
    for c in &r.data.clients {
        let i = (0..100)
            .find(|&i| {
                iis_clients::address(i)
                    .parse::<std::net::IpAddr>()
                    .unwrap()
                    .to_string()
                    == c.client
            })
            .unwrap();
        assert_eq!(c.state.as_str(), iis_clients::Plan::of(i).word(), "{c:?}");
        assert_eq!(
            c.machine_name.as_deref(),
            Some(iis_clients::machine(i).as_str())
        );
    }
    // Reading in parallel gives the same answer every time.
    assert_eq!(run(&q).data.clients, r.data.clients);
}

#[test]
fn the_iis_conformance_samples_are_read() {
    let dir = support::logs::data("conformance/iis");
    let mut q = request(&dir);
    q.since = Some(UtcTime::parse("2018-01-01T00:00:00Z").unwrap());
    q.now = Some(UtcTime::parse("2019-03-07T00:00:00Z").unwrap());
    let r = run(&q);
    assert_eq!(r.data.files.len(), 4, "{:?}", r.data.not_read);
    assert!(
        r.data
            .not_read
            .iter()
            .all(|n| n.path.ends_with("NOTICE.md")),
        "{:?}",
        r.data.not_read
    );
    assert_eq!(row(&r, "::1").successes, 1, "::1%0 without its zone");
    let scanner = row(&r, "10.50.6.188");
    assert!(
        scanner.status_401 >= 2 && scanner.status_other_4xx >= 3,
        "{scanner:?}"
    );
    assert_eq!(scanner.state, ClientState::AuthFailing);
    assert_eq!(row(&r, "2001:cdba::3257:9652").state, ClientState::Ok);
    assert_eq!(row(&r, "10.0.140.2").requests, 2);
    // The mangled line's c-ip is no address: left out, and said.
    assert!(
        r.warnings.iter().any(|w| w.contains("not an IP address")),
        "{:?}",
        r.warnings
    );
}
