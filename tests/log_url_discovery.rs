//! NES URL discovery in generated logs: a WGSS trace, a nymi_api.log, a
//! plain text file and a file with an unknown name hold the NES URL in
//! many spellings on NES lines, next to a CRL URL that appears far more
//! often, AIA and OCSP URLs, schema URLs, a URL with credentials and
//! backslash URLs. Only the NES URL, normalised, is a candidate; nothing
//! in the report carries the password.

mod support;

use nymidiag::logs::{LogKind, LogScanData, ValueCount};
use nymidiag::report::Report;
use support::logs::{hit, request, scan, write};

const NES: &str = "https://nes.corp.example/nes";
const PASSWORD: &str = "P4ssw0rd-XYZ";
const CRL: &str = "http://pki.corp.example/CertEnroll/Corp-CA.crl";

/// Spellings of the NES URL that must all normalise to [`NES`].
fn spellings() -> Vec<String> {
    vec![
        NES.to_owned(),
        format!("{NES}/"),
        r"https:\\nes.corp.example\nes".to_owned(),
        r"https:\\nes.corp.example\nes\".to_owned(),
        "HTTPS://NES.CORP.EXAMPLE/nes".to_owned(),
        "https:/nes.corp.example/nes".to_owned(),
        format!("\"{NES}\""),
        format!("'{NES}'."),
        format!("({NES}),"),
        format!("{NES}?token=abc123"),
        format!("https://jdoe:{PASSWORD}@nes.corp.example/nes"),
        format!(r"https:\\CORP\jdoe:{PASSWORD}@nes.corp.example\nes"),
    ]
}

/// URLs that are never NES candidates, with their rejection reason.
fn not_nes() -> Vec<(&'static str, &'static str)> {
    vec![
        ("http://pki.corp.example/CertEnroll/Corp-CA.crt", "aia"),
        ("http://pki.corp.example/aia/Corp-CA.p7c", "aia"),
        ("http://ocsp.corp.example", "ocsp"),
        ("http://pki.corp.example/ocsp", "ocsp"),
        ("http://www.w3.org/2001/XMLSchema-instance", "well_known"),
        (
            "http://schemas.microsoft.com/win/2004/08/events/event",
            "well_known",
        ),
    ]
}

fn wgss(spellings: &[String]) -> String {
    let mut out = String::new();
    let mut line = 0;
    let mut push = |thread: u32, file: &str, msg: &str| {
        line += 1;
        out.push_str(&format!(
            "{thread}:(24/05/02 07:41:{:02}.{:03}):{file} :{:04}: {msg}\n",
            (line / 1000) % 60,
            line % 1000,
            line % 9999
        ));
    };
    for (i, url) in spellings.iter().enumerate() {
        let thread = 700 + i as u32;
        push(thread, "NesClient.cpp", &format!("NES URL: {url}"));
        push(
            thread,
            "Listener.cpp",
            &format!("connecting to NES server {url}"),
        );
        push(
            thread,
            "NesClient.cpp",
            &format!("-> nymi::NesClient::AuthenticateWithToken {url}"),
        );
    }
    // The CRL is fetched far more often than NES is named.
    for i in 0..120 {
        push(900 + i % 3, "CHttpClient.cpp", &format!("GET {CRL}"));
    }
    for (url, _) in not_nes() {
        for _ in 0..10 {
            push(901, "CHttpClient.cpp", &format!("GET {url}"));
        }
    }
    out
}

fn nymi_api(spellings: &[String]) -> String {
    let mut out = String::new();
    for url in spellings {
        out.push_str(&format!("INFO - init nes_url={url} token=abc123\n"));
        let json = url.replace('/', "\\/").replace('"', "");
        out.push_str(&format!(
            "2024-05-02T07:41:09Z INFO - init {{\"nes_url\":\"{json}\",\"token\":\"abc123\"}}\n"
        ));
        out.push_str(&format!("DEBUG - nes_url: '{url}'\n"));
    }
    for _ in 0..60 {
        out.push_str(&format!("WARN - revocation check {CRL} failed\n"));
    }
    for (url, _) in not_nes() {
        out.push_str(&format!("DEBUG - schema {url}\n"));
    }
    out
}

fn text(spellings: &[String]) -> String {
    let mut out = String::from("Support notes for the terminal\n");
    for url in spellings {
        out.push_str(&format!("The NES server is {url} per the admin.\n"));
        out.push_str(&format!(
            "Unrelated: see https://intranet.corp.example/wiki and {CRL}\n"
        ));
    }
    out
}

fn values(report: &Report<LogScanData>, rule: &str, field: &str) -> Vec<ValueCount> {
    hit(report, rule)
        .and_then(|h| h.fields.get(field))
        .cloned()
        .unwrap_or_default()
}

#[test]
fn nes_lines_give_exactly_the_normalised_nes_url() {
    let dir = tempfile::tempdir().unwrap();
    let spellings = spellings();
    let files = [
        write(dir.path(), "WGSS_Nymi.log", wgss(&spellings).as_bytes()),
        write(dir.path(), "nymi_api.log", nymi_api(&spellings).as_bytes()),
        write(dir.path(), "notes.txt", text(&spellings).as_bytes()),
        write(dir.path(), "capture.q7z", text(&spellings).as_bytes()),
    ];
    let paths: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
    let report = scan(&request(&paths));
    let kinds: Vec<LogKind> = report.data.files.iter().map(|f| f.kind).collect();
    assert!(kinds.contains(&LogKind::Wgss), "{kinds:?}");
    assert!(kinds.contains(&LogKind::NymiApi), "{kinds:?}");

    // Configured: exactly the NES URL, from every spelling and file.
    let configured = values(&report, "LOG_NES_URL_CONFIGURED", "nes_url");
    assert_eq!(configured.len(), 1, "{configured:?}");
    assert_eq!(configured[0].value, NES);
    let n = spellings.len() as u64;
    // WGSS: 3 NES lines per spelling; nymi_api: 3; two text files: 1 each.
    assert_eq!(configured[0].count, n * (3 + 3 + 1 + 1), "{configured:?}");
    assert!(
        values(&report, "LOG_NES_URL_CONFIGURED", "nes_url_rejected").is_empty(),
        "no NES line holds a rejected URL"
    );

    // Seen: the NES URL and the intranet wiki are the only candidates; the
    // far more frequent CRL and the AIA, OCSP and schema URLs are
    // rejected with their reason, never lost.
    let seen = values(&report, "LOG_NES_URL_SEEN", "nes_url");
    let seen_urls: Vec<&str> = seen.iter().map(|v| v.value.as_str()).collect();
    assert_eq!(
        seen_urls,
        [NES, "https://intranet.corp.example/wiki"],
        "{seen:?}"
    );
    let rejected = values(&report, "LOG_NES_URL_SEEN", "nes_url_rejected");
    let crl = rejected
        .iter()
        .find(|v| v.value == format!("{CRL} (crl)"))
        .unwrap_or_else(|| panic!("{rejected:?}"));
    assert!(crl.count > seen[0].count, "{crl:?} vs {:?}", seen[0]);
    for (url, reason) in not_nes() {
        let want = format!("{url} ({reason})");
        assert!(
            rejected.iter().any(|v| v.value == want),
            "{want}: {rejected:?}"
        );
    }

    // No output carries the password (or the user).
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains(PASSWORD), "the password leaked");
    assert!(!json.contains("jdoe:"), "the user leaked");
    assert!(!json.contains("abc123"), "a token leaked");
}

#[test]
fn each_spelling_alone_is_found_and_normalised_in_every_kind() {
    let dir = tempfile::tempdir().unwrap();
    for (i, url) in spellings().iter().enumerate() {
        let one = vec![url.clone()];
        for (name, body) in [
            ("WGSS_Nymi.log", wgss(&one)),
            ("nymi_api.log", nymi_api(&one)),
            ("notes.txt", text(&one)),
            ("unknown.bin7", text(&one)),
        ] {
            let path = write(dir.path(), &format!("{i}-{name}"), body.as_bytes());
            let report = scan(&request(&[&path]));
            let configured = values(&report, "LOG_NES_URL_CONFIGURED", "nes_url");
            let got: Vec<&str> = configured.iter().map(|v| v.value.as_str()).collect();
            assert_eq!(got, [NES], "{url} in {name}");
            let json = serde_json::to_string(&report).unwrap();
            assert!(!json.contains(PASSWORD), "{url} in {name}: password leaked");
        }
    }
}
