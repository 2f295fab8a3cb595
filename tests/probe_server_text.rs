//! Text a server or proxy controls (status phrase, `Server`,
//! `WWW-Authenticate`, `Location`, a proxy's refusal) reaches the probe
//! report only with its control and bidirectional characters escaped: a
//! hostile NES or proxy cannot drive the console that shows the report.
//! Every server is on 127.0.0.1 and started here.

mod support;

use std::sync::Arc;

use nymidiag::probe::model::{NesProbeData, StageName, VerdictStatus};
use nymidiag::probe::{NesProbeRequest, nes_probe_with_resolver};
use nymidiag::report::{Report, is_unsafe_char, safe_text};
use support::servers::{self, Server, raw_response};

fn request(url: &str, proxy: Option<String>) -> NesProbeRequest {
    let mut r = support::nes::loopback_request(url, &support::nes::healthy_tls().ca_file);
    r.proxy = proxy;
    r
}

/// Hostile fragments: terminal escapes (CSI, OSC title, C1 CSI), bidi
/// overrides and isolates, line separators, DEL, NUL-free C0.
fn hostile() -> Vec<&'static str> {
    vec![
        "\u{1b}[2J\u{1b}[31m",
        "\u{1b}]0;owned\u{7}",
        "\u{9b}31m",
        "\u{202e}gnp.exe",
        "\u{2066}x\u{2069}",
        "\u{202a}\u{202b}\u{202c}\u{202d}",
        "\u{2028}\u{2029}",
        "\u{7f}\u{85}\u{8}",
        "\r\u{b}\u{c}",
    ]
}

/// Fragments that a header value can carry on the wire (HTTP forbids C0
/// controls and DEL there, but not the UTF-8 of C1 or bidi characters).
fn header_safe(fragment: &str) -> bool {
    fragment
        .chars()
        .all(|c| c == '\t' || (c >= ' ' && c != '\u{7f}'))
}

/// Every string in the report, keys included.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                out.push(k.clone());
                strings(x, out);
            }
        }
        _ => {}
    }
}

/// Asserts no string of the report holds an unsafe character.
fn assert_clean(r: &Report<NesProbeData>) -> String {
    let v = serde_json::to_value(r).unwrap();
    let mut all = Vec::new();
    strings(&v, &mut all);
    for s in &all {
        assert!(!s.chars().any(is_unsafe_char), "unescaped control in {s:?}");
    }
    all.join("\n")
}

fn serve(tls: bool, routes: Vec<(String, Vec<u8>)>) -> Server {
    servers::start_routes(
        tls.then(|| Arc::clone(&support::nes::healthy_tls().tls)),
        routes,
    )
}

#[test]
fn status_phrase_and_headers_are_escaped() {
    let mut checked = 0;
    for fragment in hostile() {
        for (status, auth) in [
            ("401 Unauthorized", "Negotiate"),
            ("403 Forbidden", "Basic"),
            ("200 OK", "NTLM"),
            ("500 Internal Server Error", "Basic"),
        ] {
            let code = &status[..3];
            let phrase = format!("{code} {fragment}{}", &status[4..]);
            let server_header = format!("IIS{fragment}/10.0");
            let headers: Vec<String> = if header_safe(fragment) {
                vec![
                    format!("Server: {server_header}"),
                    format!("WWW-Authenticate: {auth} realm=\"{fragment}\""),
                    format!("WWW-Authenticate: {fragment}Negotiate"),
                    format!("X-Note: {fragment}"),
                ]
            } else {
                // Raw C0 in a header: the client may refuse the answer;
                // whatever it reports must still be clean.
                vec![format!("Server: {server_header}")]
            };
            let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
            for tls in [false, true] {
                let server = serve(
                    tls,
                    vec![(
                        "/nes".to_owned(),
                        raw_response(&phrase, &header_refs, &format!("<h1>{fragment}</h1>")),
                    )],
                );
                let scheme = if tls { "https" } else { "http" };
                let url = format!("{scheme}://localhost:{}/nes", server.port);
                let r = nes_probe_with_resolver(&request(&url, None), support::nes::table());
                let text = assert_clean(&r);
                checked += 1;
                if header_safe(fragment) {
                    let http = r.data.http.as_ref().expect("http info");
                    assert_eq!(http.status, Some(code.parse().unwrap()), "{text}");
                    let shown = http.server.as_deref().expect("server header");
                    assert_eq!(shown, safe_text(&server_header, 256));
                    assert!(shown.contains("\\u{"), "{shown}");
                    // Scheme names only; the hostile prefix is no scheme.
                    assert!(
                        http.www_authenticate.iter().all(|s| s == auth),
                        "{:?}",
                        http.www_authenticate
                    );
                }
            }
        }
    }
    assert_eq!(checked, hostile().len() * 8);
}

#[test]
fn a_hostile_location_is_escaped_and_not_followed() {
    for fragment in hostile().into_iter().filter(|f| header_safe(f)) {
        let location = format!("https://portal{fragment}.example/{fragment}?t={fragment}");
        let server = serve(
            false,
            vec![(
                "/nes".to_owned(),
                raw_response("302 Found", &[&format!("Location: {location}")], ""),
            )],
        );
        let url = format!("http://127.0.0.1:{}/nes", server.port);
        let r = nes_probe_with_resolver(&request(&url, None), support::nes::table());
        assert_clean(&r);
        assert_eq!(r.data.verdict.status, VerdictStatus::Failed);
        assert_eq!(r.data.verdict.stage, Some(StageName::Http));
    }
}

#[test]
fn a_proxy_refusal_is_escaped() {
    let nes = serve(
        true,
        vec![("/nes".to_owned(), raw_response("200 OK", &[], ""))],
    );
    for fragment in hostile() {
        for code in ["403", "407", "502"] {
            let reason = format!("{code} Denied{fragment} by policy");
            let body = format!("<html>{fragment}blocked{fragment}</html>");
            let response = raw_response(
                &reason,
                &[&format!(
                    "Server: proxy{}",
                    fragment.replace(['\r', '\n'], "")
                )],
                &body,
            );
            // The proxy answers CONNECT and plain requests alike.
            let routes = vec![
                (format!("localhost:{}", nes.port), response.clone()),
                (
                    format!("http://localhost:{}/nes", nes.port),
                    response.clone(),
                ),
            ];
            let proxy = serve(false, routes);
            let proxy_url = Some(format!("http://127.0.0.1:{}", proxy.port));
            let https = format!("https://localhost:{}/nes", nes.port);
            let r =
                nes_probe_with_resolver(&request(&https, proxy_url.clone()), support::nes::table());
            let text = assert_clean(&r);
            assert_eq!(
                r.data.verdict.finding.as_deref(),
                Some("NES_PROXY_CONNECT_FAILED"),
                "{text}"
            );
            let f = &r.findings[0];
            assert!(f.detail.contains(&format!("{code} Denied")), "{}", f.detail);
            if fragment.contains('\u{1b}') {
                assert!(f.detail.contains("\\u{1b}"), "{}", f.detail);
            }
            // Plain http through the same proxy: its answer is the final
            // response.
            let http = format!("http://localhost:{}/nes", nes.port);
            let r = nes_probe_with_resolver(&request(&http, proxy_url), support::nes::table());
            assert_clean(&r);
            assert_eq!(r.data.verdict.stage, Some(StageName::Http));
        }
    }
}
