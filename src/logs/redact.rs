//! Removes secrets from text before it goes into a report.
//!
//! Excerpts and captured values come from logs that may hold bearer
//! tokens, passwords or `Authorization` headers (a token request is the
//! very thing that fails here). Reports travel to Intune and support
//! tickets, so anything that looks like a secret is replaced by
//! `<redacted>` while the key that named it stays readable.

use std::borrow::Cow;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

/// What replaces a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// `Authorization: Bearer abc`, `Proxy-Authorization: Negotiate YII...`.
static AUTH_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b((?:proxy-)?authorization\s*[:=]\s*)(?:[a-z][\w-]*\s+)?[^\s,;]+")
        .expect("valid regex")
});

/// `Bearer abc`, `Basic abc=` anywhere else.
static SCHEME_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(bearer|basic|negotiate|ntlm)(\s+)[A-Za-z0-9\-._~+/]{8,}=*")
        .expect("valid regex")
});

/// `"token": "abc"` in JSON.
static JSON_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)("(?:[\w-]*token|password|passwd|pwd|secret|client_secret|api_?key|credentials?)"\s*:\s*)"(?:[^"\\]|\\.)*""#,
    )
    .expect("valid regex")
});

/// `token=abc`, `password: abc`, `pwd=abc&` in text, URLs and queries.
static KEY_VALUE_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)\b((?:access_|id_|refresh_|auth_|session_)?token|password|passwd|pwd|secret|client_secret|api_?key)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s"'&,;]+)"#,
    )
    .expect("valid regex")
});

/// `https://user:password@host`, also with backslashes
/// (`https:\\\\user:pw@host`): the user information before the host.
static URL_USERINFO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b([a-z][a-z0-9+.\-]*:(?:[/\\]|\\/){1,3})[^\s/?#'"<>]+@"#)
        .expect("valid regex")
});

/// JSON Web Tokens, wherever they appear.
static JWT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*").expect("valid regex")
});

/// Words one of which every pattern needs: a one-pass gate, so that text
/// without them (most of it) costs a single scan.
static GATE: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build([
            "token",
            "pass",
            "pwd",
            "secret",
            "key",
            "auth",
            "bearer",
            "basic",
            "negotiate",
            "ntlm",
            "credential",
            "eyJ",
            "@",
        ])
        .expect("valid patterns")
});

/// Returns `text` with secrets replaced; borrows when nothing changed.
pub(crate) fn redact(text: &str) -> Cow<'_, str> {
    if !GATE.is_match(text) {
        return Cow::Borrowed(text);
    }
    let mut out = Cow::Borrowed(text);
    let step = |cur: Cow<'_, str>, re: &Regex, rep: &str| -> String {
        re.replace_all(&cur, rep).into_owned()
    };
    if AUTH_HEADER.is_match(&out) {
        out = Cow::Owned(step(out, &AUTH_HEADER, &format!("${{1}}{REDACTED}")));
    }
    if SCHEME_TOKEN.is_match(&out) {
        out = Cow::Owned(step(out, &SCHEME_TOKEN, &format!("${{1}}${{2}}{REDACTED}")));
    }
    if JSON_SECRET.is_match(&out) {
        out = Cow::Owned(step(out, &JSON_SECRET, &format!("${{1}}\"{REDACTED}\"")));
    }
    if KEY_VALUE_SECRET.is_match(&out) {
        // Keep "token request", "token with USER creds": only `key=value`
        // and `key: value` forms are secrets, and a value of `<redacted>`
        // (from an earlier step) is left alone.
        let replaced = KEY_VALUE_SECRET.replace_all(&out, |c: &regex::Captures<'_>| {
            if &c[3] == REDACTED || c[3].starts_with("\"<redacted>") {
                c[0].to_owned()
            } else {
                format!("{}{}{REDACTED}", &c[1], &c[2])
            }
        });
        out = Cow::Owned(replaced.into_owned());
    }
    if URL_USERINFO.is_match(&out) {
        out = Cow::Owned(step(out, &URL_USERINFO, &format!("${{1}}{REDACTED}@")));
    }
    if JWT.is_match(&out) {
        out = Cow::Owned(step(out, &JWT, REDACTED));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_ordinary_text_alone() {
        for text in [
            "704:(22/03/17 06:13:14.150):Listener.cpp :0411: Unable to get token with USER creds",
            "NesClient.cpp :0114: Error from token request--code: 0 - message: 'done'",
            "GET /nes/api - 443 CORP\\jdoe 10.30.4.77",
        ] {
            assert!(matches!(redact(text), Cow::Borrowed(_)), "{text}");
        }
    }

    #[test]
    fn removes_secrets_but_keeps_their_names() {
        let cases = [
            (
                "Authorization: Bearer abcdefghijkl",
                "Authorization: <redacted>",
            ),
            (
                "sending Bearer abcdefghijklmnop now",
                "sending Bearer <redacted> now",
            ),
            (
                r#"{"token":"s3cr3t-value","user":"x"}"#,
                r#"{"token":"<redacted>","user":"x"}"#,
            ),
            (
                "GET /nes/x?token=abc123&b=1",
                "GET /nes/x?token=<redacted>&b=1",
            ),
            ("password: hunter2 ok", "password: <redacted> ok"),
            ("pwd='p a s s'", "pwd=<redacted>"),
            (
                "jwt eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl end",
                "jwt <redacted> end",
            ),
            (
                "NES URL: https://jdoe:S3cret@nes.corp.example/nes",
                "NES URL: https://<redacted>@nes.corp.example/nes",
            ),
            (
                r"url https:\\CORP\jdoe:S3c@ret@nes.corp.example\nes",
                r"url https:\\<redacted>@nes.corp.example\nes",
            ),
            (
                r#"{"nes_url":"https:\/\/jdoe:S3cret@nes.corp.example\/nes"}"#,
                r#"{"nes_url":"https:\/\/<redacted>@nes.corp.example\/nes"}"#,
            ),
            ("mail jdoe@corp.example", "mail jdoe@corp.example"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), expected, "{input}");
        }
    }
}
