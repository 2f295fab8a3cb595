//! Secrets never reach a report: the `redact` export and the log scan
//! (excerpts, `before` lines, captured values, parse problems) over a
//! table of secret forms, private-key blocks of every label and shape, and
//! excerpts cut at every position around a secret.

mod support;

use std::path::Path;

use nymidiag::logs::{KindChoice, LogScanData, LogScanRequest};
use nymidiag::redaction::{RedactRequest, redact};
use support::logs::{request, scan, write};

/// A distinctive secret for row `i`: mixed case and digits, so it looks
/// like key material wherever it is.
fn secret(i: usize) -> String {
    format!("Qz7Kp{i:02}Wx9Lm4Rt")
}

const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqZG9lQGNvcnAifQ.TW9ja1NpZ25hdHVyZVZhbHVl";
const SPNEGO: &str = "YIIGhgYGKwYBBQUCoIIGejCCBnagMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICHgYKKwYBBAGCNwICCg";
const NTLM: &str = "TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAO5CAAAADw==";

/// Each row: a line template where `{S}` is the secret, and whether the
/// secret is the row's own value (`false`: the line holds a fixed token
/// that is itself the secret).
fn forms() -> Vec<(&'static str, Option<&'static str>)> {
    vec![
        ("Authorization: Basic {S}", None),
        ("Authorization: Bearer {S}", None),
        ("Authorization: Negotiate {S}", None),
        ("Authorization: NTLM {S}", None),
        (
            r#"Authorization: Digest username="jdoe", response="{S}""#,
            None,
        ),
        ("authorization: {S}", None),
        ("Proxy-Authorization: Basic {S}", None),
        ("Cookie: ASP.NET_SessionId={S}; theme=dark", None),
        ("Set-Cookie: .ASPXAUTH={S}; path=/; HttpOnly", None),
        ("X-API-Key: {S}", None),
        ("x-auth-token: {S}", None),
        ("Ocp-Apim-Subscription-Key: {S}", None),
        ("GET https://jdoe:{S}@nes.corp.example/nes", None),
        (r"url https:\\CORP\jdoe:{S}@nes.corp.example\nes", None),
        ("GET https://nes.corp.example/cb?code={S}&state=1", None),
        ("GET /nes/x?access_token={S}", None),
        (
            "blob https://acct.blob.core.windows.net/c?sv=2020-08-04&sig={S}&se=x",
            None,
        ),
        ("GET /api?apikey={S}&x=1", None),
        ("GET /api?key={S}", None),
        ("GET /api?client_secret={S}", None),
        ("password={S}", None),
        ("Password: {S}", None),
        ("passwd={S}", None),
        ("db_pass={S} next", None),
        ("pwd='{S}'", None),
        ("secret = \"{S}\"", None),
        ("client_secret={S}", None),
        ("token: {S}", None),
        ("refresh_token={S}", None),
        ("id_token={S}", None),
        ("API_KEY={S}", None),
        ("private_key={S}", None),
        ("credentials={S}", None),
        (r#"{"password": "{S}", "user": "jdoe"}"#, None),
        (r#"{"access_token":"{S}"}"#, None),
        (r#"{\"client_secret\":\"{S}\"}"#, None),
        ("<Password>{S}</Password>", None),
        (
            "<ns:ClientSecret type=\"x\"><![CDATA[{S}]]></ns:ClientSecret>",
            None,
        ),
        ("<user name=\"jdoe\" password=\"{S}\"/>", None),
        ("<add key=\"NesPassword\" value=\"{S}\" />", None),
        (
            "Server=db;Database=nes;User Id=sa;Password={S} x;Encrypt=true",
            None,
        ),
        ("Data Source=db;Pwd={S};", None),
        (
            "DefaultEndpointsProtocol=https;AccountName=a;AccountKey={S}==;EndpointSuffix=core",
            None,
        ),
        (
            "Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey={S}=",
            None,
        ),
        ("SharedAccessSignature=sv=2020&sig={S}&se=1", None),
        ("run.exe --password {S} --verbose", None),
        ("jwt {S} end", Some(JWT)),
        ("Authorization header Negotiate {S}", Some(SPNEGO)),
        ("sent NTLM {S}", Some(NTLM)),
        ("sending Bearer {S} now", None),
        ("key AKIA{S}", Some("AKIAIOSFODNN7EXAMPLE")),
    ]
}

/// The rows with their secret values filled in.
fn rows() -> Vec<(String, String)> {
    forms()
        .into_iter()
        .enumerate()
        .map(|(i, (template, fixed))| {
            let value = fixed.map_or_else(|| secret(i), str::to_owned);
            let line = template.replace("AKIA{S}", "{S}").replace("{S}", &value);
            (line, value)
        })
        .collect()
}

fn export(text: &str) -> String {
    redact(&RedactRequest {
        text: Some(text.to_owned()),
        ..RedactRequest::default()
    })
    .unwrap()
    .data
    .text
}

#[test]
fn the_table_has_enough_forms() {
    assert!(rows().len() >= 40, "{}", rows().len());
}

#[test]
fn the_export_removes_every_form_and_keeps_the_name() {
    for (line, value) in rows() {
        let report = redact(&RedactRequest {
            text: Some(format!("before\n{line}\nafter\n")),
            ..RedactRequest::default()
        })
        .unwrap();
        let json = serde_json::to_string(&report).unwrap();
        assert!(!json.contains(&value), "{line} -> {}", report.data.text);
        assert!(report.data.text.contains("<redacted"), "{line}");
        assert!(report.data.replacements >= 1, "{line}");
        assert!(report.data.text.starts_with("before\n"), "{line}");
        assert!(report.data.text.ends_with("\nafter\n"), "{line}");
    }
}

#[test]
fn redacting_twice_changes_nothing_more() {
    for (line, _) in rows() {
        let once = export(&line);
        let report = redact(&RedactRequest {
            text: Some(once.clone()),
            ..RedactRequest::default()
        })
        .unwrap();
        assert_eq!(report.data.text, once, "{line}");
        assert_eq!(report.data.replacements, 0, "{line}");
    }
}

#[test]
fn ordinary_log_lines_are_left_alone() {
    for line in [
        "704:(22/03/17 06:13:14.150):Listener.cpp :0411: Unable to get token with USER creds",
        "NesClient.cpp :0114: Error from token request--code: 0 - message: 'done'",
        "returned: 0x8101201c code=0x81010009",
        "GET /nes/api - 443 CORP\\jdoe 10.30.4.77 401 1 2148074254",
        "using Basic authentication; Negotiate failed",
        "thumbprint 3B1EFD3A66EA28B16697394703A72CA340A05BD5",
        "bypass=true compass=north",
        "mail jdoe@corp.example",
    ] {
        assert_eq!(export(line), line);
    }
}

/// A site pack: `SITE_SECRET_LINE` captures the marked line whole and
/// its last word; `SITE_AFTER` fires on the next line with the marked
/// line in its `before`.
const PACK: &str = r#"
[pack]
name = "secrets"
version = "1.0.0"

[[rule]]
id = "SITE_SECRET_LINE"
title = "A marked line"
severity = "info"
literals = ["MARKLINE"]
regex = '(?P<line>MARKLINE.*?)(?P<tail>\S+)$'
context_lines = 10
[rule.samples]
kind = "text"
positive = ["MARKLINE x y"]
negative = ["nothing here"]

[[rule]]
id = "SITE_AFTER"
title = "The line after"
severity = "info"
literals = ["AFTERLINE"]
context_lines = 10
[rule.samples]
kind = "text"
positive = ["AFTERLINE"]
negative = ["nothing here"]
"#;

fn scan_text(dir: &Path, name: &str, text: &str) -> (LogScanData, String) {
    let pack = write(dir, "secrets.toml", PACK.as_bytes());
    let log = write(dir, name, text.as_bytes());
    let req = LogScanRequest {
        kind: KindChoice::Text,
        rule_paths: vec![pack.display().to_string()],
        ..request(&[&log])
    };
    let report = scan(&req);
    let json = serde_json::to_string(&report).unwrap();
    serde_json::from_str::<serde_json::Value>(&json).expect("the report is JSON");
    (report.data, json)
}

fn excerpt_of(data: &LogScanData, id: &str) -> (Vec<String>, String) {
    let hit = data
        .hits
        .iter()
        .find(|h| h.rule_id == id)
        .unwrap_or_else(|| panic!("{id} did not fire"));
    let e = &hit.excerpts[0];
    (e.before.clone(), e.text.clone())
}

#[test]
fn the_log_scan_never_reports_a_form() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (line, value)) in rows().into_iter().enumerate() {
        let text = format!("first line\nMARKLINE {line}\nAFTERLINE\n");
        let (data, json) = scan_text(dir.path(), &format!("app{i}.log"), &text);
        assert!(!json.contains(&value), "{line} leaked: {json}");
        let (_, marked) = excerpt_of(&data, "SITE_SECRET_LINE");
        assert!(marked.contains("<redacted"), "{line} -> {marked}");
        let (before, after) = excerpt_of(&data, "SITE_AFTER");
        assert_eq!(after, "AFTERLINE");
        assert_eq!(before.len(), 2, "{line}: {before:?}");
        assert_eq!(before[0], "first line");
        assert!(before[1].contains("<redacted"), "{line}: {before:?}");
        let hit = data
            .hits
            .iter()
            .find(|h| h.rule_id == "SITE_SECRET_LINE")
            .unwrap();
        assert!(hit.fields.contains_key("line"), "{line}");
    }
}

#[test]
fn a_cut_excerpt_never_ends_inside_a_secret_or_a_marker() {
    let dir = tempfile::tempdir().unwrap();
    let value = "Qz7KpWx9Lm4RtB8vN";
    // The excerpt keeps 500 characters: put the secret (and so its marker)
    // at every position around the cut.
    for (form, lead) in [
        ("password={V}", "password="),
        ("Authorization: Bearer {V}", "Bearer "),
    ] {
        let line = form.replace("{V}", value);
        for pad in 470..505 {
            let text = format!(
                "MARKLINE {}{line} tail words here and more\nAFTERLINE\n",
                "a".repeat(pad)
            );
            let (data, json) = scan_text(dir.path(), "cut.log", &text);
            for n in 4..=value.len() {
                assert!(!json.contains(&value[..n]), "{form} pad {pad}: {json}");
            }
            let (before, marked) = excerpt_of(&data, "SITE_SECRET_LINE");
            assert!(before.is_empty());
            for shown in [&marked, &excerpt_of(&data, "SITE_AFTER").0[0]] {
                let body = shown.trim_end_matches('\u{2026}');
                if let Some(at) = body.rfind('<') {
                    assert!(
                        body[at..].starts_with("<redacted>"),
                        "{form} pad {pad}: {shown}"
                    );
                }
                assert!(
                    !body.ends_with(lead.trim_end())
                        || body.len() < 400
                        || shown.ends_with('\u{2026}')
                );
            }
        }
    }
}

const LABELS: [&str; 6] = [
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "DSA PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
    "OPENSSH PRIVATE KEY",
    "PRIVATE KEY",
];

/// Six 64-character body lines and a short last one, each distinctive.
fn body(label: usize) -> Vec<String> {
    let mut lines: Vec<String> = (0..6)
        .map(|n| format!("MIIEow{label}{n}Ab") + &"Kq9Zx7Yp".repeat(7))
        .map(|l| l[..64].to_owned())
        .collect();
    lines.push(format!("Zr5Tw{label}Qm=="));
    lines
}

fn assert_no_body(json: &str, body: &[String], what: &str) {
    for line in body {
        assert!(
            !json.contains(line.as_str()),
            "{what}: {line} leaked: {json}"
        );
        let part = &line[..line.len().min(12)];
        assert!(!json.contains(part), "{what}: part of {line} leaked");
    }
}

#[test]
fn private_keys_never_reach_a_report_in_any_shape() {
    let dir = tempfile::tempdir().unwrap();
    for (li, label) in LABELS.iter().enumerate() {
        let b = body(li);
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        let block = |terminated: bool| {
            let mut l = vec![begin.clone()];
            l.extend(b.iter().cloned());
            if terminated {
                l.push(end.clone());
            }
            l.join("\n")
        };
        let shapes: Vec<(&str, String)> = vec![
            (
                "terminated, before lines",
                format!("{}\nAFTERLINE\n", block(true)),
            ),
            (
                "unterminated, then blank",
                format!("{}\n\nAFTERLINE\n", block(false)),
            ),
            (
                "unterminated, record inside",
                format!("{}\nMARKLINE x\nAFTERLINE\n", block(false)),
            ),
            (
                "one line with escapes",
                format!(
                    "MARKLINE key=\"{}\"\nAFTERLINE\n",
                    block(true).replace('\n', "\\n")
                ),
            ),
            (
                "one line, cut",
                format!(
                    "MARKLINE key=\"{}\nAFTERLINE\n",
                    block(false).replace('\n', "\\n")
                ),
            ),
            (
                "BEGIN out of sight (context 10)",
                format!(
                    "{}\n{}\n{}\nAFTERLINE\n",
                    begin,
                    "filler\n".repeat(5) + &b[..2].join("\n"),
                    b[2..].join("\n") + "\n" + &end
                ),
            ),
            (
                "only body lines in sight",
                format!(
                    "{begin}\n{}\n{}\nAFTERLINE\n",
                    "filler\n".repeat(12).trim_end(),
                    b.join("\n")
                ),
            ),
            (
                "body lines then END in sight",
                format!("{}\n{end}\nAFTERLINE\n", b.join("\n")),
            ),
        ];
        for (what, text) in shapes {
            let what = format!("{label}: {what}");
            let (data, json) = scan_text(dir.path(), "keys.log", &text);
            assert_no_body(&json, &b, &what);
            // An unterminated block runs to a blank line or the end.
            let eaten = what.contains("record inside") || what.contains("cut");
            let (before, after) = excerpt_of(&data, "SITE_AFTER");
            let expected = if eaten {
                "<redacted private key>"
            } else {
                "AFTERLINE"
            };
            assert_eq!(after, expected, "{what}");
            assert!(before.len() <= 10, "{what}");
            let export = export(&text);
            assert_no_body(&export, &b, &format!("export {what}"));
            assert!(
                export.contains("<redacted private key>"),
                "{what}: {export}"
            );
            // The export sees the whole text: a BEGIN far above the body
            // opens a block that runs to the end.
            let export_eaten = eaten || what.contains("only body");
            assert_eq!(
                export.ends_with("AFTERLINE\n"),
                !export_eaten,
                "{what}: {export}"
            );
        }
    }
}

#[test]
fn a_quoted_header_leaves_the_rest_of_the_report_intact() {
    let dir = tempfile::tempdir().unwrap();
    for label in LABELS {
        for quote in ["\"", "'", "`", "\\\""] {
            let line =
                format!("MARKLINE found {quote}-----BEGIN {label}-----{quote} in C:\\keys\\a.pem");
            let text = format!("{line}\nplain line two\nAFTERLINE\n");
            let (data, _) = scan_text(dir.path(), "quoted.log", &text);
            let (_, marked) = excerpt_of(&data, "SITE_SECRET_LINE");
            assert_eq!(
                marked,
                format!("MARKLINE found {quote}<redacted private key>{quote} in C:\\keys\\a.pem"),
            );
            let (before, after) = excerpt_of(&data, "SITE_AFTER");
            assert_eq!(after, "AFTERLINE");
            assert_eq!(before, vec![marked.clone(), "plain line two".to_owned()]);
            let export = export(&text);
            assert!(export.ends_with("plain line two\nAFTERLINE\n"), "{export}");
        }
    }
}
