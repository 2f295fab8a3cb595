//! The `redact` capability and the one redactor of the library: removes
//! secrets from every text the library reports that comes from an
//! inspected file (log excerpts and their `before`
//! lines, captured field values, parse-problem excerpts) and from the text
//! given to the `nymidiag_redact` export.
//!
//! Reports travel to Intune, support tickets and bundles; the tool runs as
//! SYSTEM on terminals where users can write the files it reads. So every
//! value that looks like a secret is replaced by `<redacted>` (a private
//! key block by `<redacted private key>`) while the name that introduced it stays
//! readable, so an admin sees that a secret was there.
//!
//! Secrets are found as byte spans of the whole text first, then replaced;
//! text is shortened only after that, never before, and a
//! cut never splits a marker.
//!
//! What is removed:
//! - PEM blocks whose label contains `PRIVATE KEY` (RSA, EC, DSA,
//!   ENCRYPTED, OPENSSH, plain): terminated, on one line (`\n` escapes
//!   included), unterminated (from the BEGIN line up to a blank line or the
//!   end of the text), an END line without its BEGIN (with the body lines
//!   just above it), and lone base64 body lines (40 characters or more of
//!   base64 alone on a line, mixed case, not only hex digits). A BEGIN
//!   header quoted inside other text becomes the marker; the rest of its
//!   line stays.
//! - HTTP headers `Authorization`, `Proxy-Authorization` (the scheme stays
//!   visible for Basic, Bearer, Negotiate, NTLM, Kerberos; other schemes
//!   such as Digest lose the rest of the line), `Cookie`, `Set-Cookie` (the
//!   rest of the line), `X-API-Key`, `X-Auth-Token`,
//!   `Ocp-Apim-Subscription-Key`.
//! - URL credentials (`scheme://user:pass@host`: the whole user
//!   information goes, as the probe shows URLs) and query
//!   parameters named like secrets (`token`, `access_token`, `code`,
//!   `sig`, `signature`, `key`, `apikey`, `password`, `pwd`, `secret`,
//!   `client_secret`, any name ending in `token`, `secret`, `password` or
//!   `key`).
//! - `name=value`, `name: value`, `name => value`, JSON fields, XML
//!   elements and attributes, `<add key="name" value="..."/>`, connection
//!   string parts (`Password=...;`, up to the `;`), quoted (`"`, `'`,
//!   `\"`, `&quot;`, `{}`) or not, case-insensitive, for the names
//!   `password`, `passwd`, `passphrase`, `secret`, `token`, `api_key`,
//!   `apikey`, `AccountKey`, `SharedAccessKey`, `SharedAccessSignature`,
//!   `private_key`, `credential(s)`, `subscription_key`, `auth_key`,
//!   `access_key`, each with any prefix (`client_secret`, `refresh_token`,
//!   `db_password`), and `pass`, `pwd` as whole words.
//! - JSON Web Tokens (`eyJ...`, also cut ones), SPNEGO/Kerberos (`YII...`)
//!   and NTLM (`TlRMTVNT...`) blobs, tokens after `Basic`, `Bearer`,
//!   `Negotiate`, `NTLM`, `Kerberos` (8 characters or more that are not a
//!   plain word), AWS access key ids (`AKIA...`), GitHub (`ghp_...`) and
//!   Slack (`xox?-...`) tokens.

use std::borrow::Cow;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::{Captures, Regex};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::logs::TextEncoding;
use crate::report::{Capability, CoverageState, Report, ReportBuilder};

mod file;

pub use file::{FilePiece, Resume};

/// What replaces a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// What replaces a private-key block (or what is left of one).
pub(crate) const KEY_BLOCK: &str = "<redacted private key>";

/// A secret found in a text: `start..end` is replaced by the marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// A private key (marker [`KEY_BLOCK`]) rather than a value.
    pub(crate) key: bool,
}

impl Span {
    fn marker(&self) -> &'static str {
        if self.key { KEY_BLOCK } else { REDACTED }
    }
}

/// Names whose value is a secret, with any prefix (`client_secret`).
const LONG_NAMES: &str = r"[a-z0-9_.\-]*?(?:password|passwd|passphrase|secret|token|api[_\-]?key|account[_\-]?key|shared[_\-]?access[_\-]?(?:key|signature)|private[_\-]?key|credentials?|subscription[_\-]?key|auth[_\-]?key|access[_\-]?key)";

/// Short names, only as whole words (`pass`, not `bypass`).
const SHORT_NAMES: &str = r"(?:^|[^a-z0-9])(?:pass|pwd)";

/// The value forms after a name and its separator, each in its own `v*`
/// group (the first that took part is the secret).
const VALUE: &str = r#"(?:\\"(?P<v1>(?:[^"\\\r\n]|\\[^"\r\n])*)\\"|"(?P<v2>(?:[^"\\\r\n]|\\.)*)"|'(?P<v3>[^'\r\n]*)'|&quot;(?P<v4>.*?)&quot;|\{(?P<v5>[^}\r\n]*)\}|(?P<v6>[^;\r\n"'<>]*[^;\r\n"'<>\s])\s*;|(?P<v7>[^\s"'&,;<>]+))"#;

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid regex")
}

/// `name=value`, `"name": "value"`, `name => value`, `--name value`.
static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r#"(?i)(?:{LONG_NAMES}|{SHORT_NAMES})(?:\\?["'])?\s*(?:=>|[:=]|&#61;)\s*{VALUE}"#
    ))
});

/// `--password value` on a command line.
static FLAG_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r#"(?i)(?:^|\s)--?(?:{LONG_NAMES}|pass|pwd)\s+{VALUE}"#
    ))
});

/// `<Password>x</Password>`, `<ns:ClientSecret a="b">x</...>`, CDATA, and
/// the escaped `&lt;Password&gt;x&lt;/Password&gt;`.
static XML_ELEMENT: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?i)<(?:[\w.\-]+:)?(?:{LONG_NAMES}|pass|pwd)\b[^<>]*>(?P<v1>(?:<!\[CDATA\[.*?\]\]>|[^<])*)</|&lt;(?:[\w.\-]+:)?(?:{LONG_NAMES}|pass|pwd)\b.*?&gt;(?P<v2>.*?)&lt;/"
    ))
});

/// `<add key="Password" value="x"/>` (.NET configuration files).
static CONFIG_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r#"(?i)\b(?:key|name)\s*=\s*["'](?:{LONG_NAMES}|pass|pwd)["']\s+value\s*=\s*(?:"(?P<v1>[^"]*)"|'(?P<v2>[^']*)')"#
    ))
});

/// `Authorization: Bearer abc` (the scheme stays), `Authorization: Digest
/// ...` (the rest of the line goes).
static AUTH_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"(?i)\b(?:proxy-)?authorization(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?\s*(?:(?:basic|bearer|negotiate|ntlm|kerberos)\s+(?P<v1><redacted>|[^\s"',;<>\\]+)|(?P<v2>(?:[^\r\n\\]|\\[^rn])+))"#,
    )
});

/// `Cookie: a=b; c=d`, `Set-Cookie: ...`: the rest of the line.
static COOKIE_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    regex(r#"(?i)\b(?:set-)?cookie(?:\\?["'])?\s*:\s*(?P<v1>(?:[^\r\n\\]|\\[^rn])+)"#)
});

/// A token after an authentication scheme anywhere in text.
static SCHEME_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)\b(?:basic|bearer|negotiate|ntlm|kerberos)\s+(?P<v1>[A-Za-z0-9\-._~+/]{8,}=*)")
});

/// `scheme://user:password@host`, also with backslashes or `\/`: the
/// whole user information (a user name may be a token).
static URL_USERINFO: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"(?i)\b[a-z][a-z0-9+.\-]*:(?:[/\\]|\\/){1,3}(?P<v1>[^\s/?#'"<>]+)@"#));

/// `?token=x`, `&sig=x` in a URL.
static QUERY_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"(?i)[?&;](?:[a-z0-9_.\-]*(?:token|secret|password|passwd|api_?key|signature|key)|code|sig|pwd|pass|auth)=(?P<v1>[^&#\s"'<>]*)"#,
    )
});

/// Tokens recognisable by their shape alone.
static BARE_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"\b(?P<v1>eyJ[A-Za-z0-9_\-]{8,}(?:\.[A-Za-z0-9_\-]*){0,2}|YII[A-Za-z0-9+/]{16,}=*|TlRMTVNT[A-Za-z0-9+/]*=*|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abprs]-[A-Za-z0-9\-]{10,})",
    )
});

/// `-----BEGIN <label with PRIVATE KEY>-----`.
static PEM_BEGIN: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"));

/// `-----END <label with PRIVATE KEY>-----`.
static PEM_END: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)-----END [A-Z0-9 ]*PRIVATE KEY-----"));

/// Key material after a header on the same line: base64, PEM header
/// characters, spaces and `\n` escapes.
static PEM_BODY: LazyLock<Regex> = LazyLock::new(|| regex(r"^(?:\\[nrt]|[A-Za-z0-9+/=:,\- \t])*"));

/// Words one of which every value pattern needs: text without them (most
/// of it) costs a single scan.
static GATE: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build([
            "pass",
            "pwd",
            "secret",
            "token",
            "key",
            "credential",
            "auth",
            "bearer",
            "basic",
            "negotiate",
            "ntlm",
            "kerberos",
            "cookie",
            "sig",
            "code",
            "eyJ",
            "YII",
            "TlRMTVNT",
            "AKIA",
            "gh",
            "xox",
            "@",
            "-----",
        ])
        .expect("valid patterns")
});

/// The value patterns, each with its `v*` groups.
fn value_patterns() -> [&'static Regex; 10] {
    [
        &AUTH_HEADER,
        &COOKIE_HEADER,
        &CONFIG_ENTRY,
        &XML_ELEMENT,
        &KEY_VALUE,
        &FLAG_VALUE,
        &URL_USERINFO,
        &QUERY_SECRET,
        &SCHEME_TOKEN,
        &BARE_TOKEN,
    ]
}

/// The secrets of `text`, sorted and merged.
pub(crate) fn secret_spans(text: &str) -> Vec<Span> {
    let mut spans = key_spans(text);
    if GATE.is_match(text) {
        for re in value_patterns() {
            for caps in re.captures_iter(text) {
                if let Some(span) = value_span(&caps, std::ptr::eq(re, &*SCHEME_TOKEN)) {
                    spans.push(span);
                }
            }
        }
    }
    merge(spans)
}

/// The secret of one match, unless it is empty, already a marker, or (for
/// a token after a scheme name) a plain word such as "authentication".
fn value_span(caps: &Captures<'_>, word_check: bool) -> Option<Span> {
    let m = (1..caps.len()).find_map(|i| caps.get(i))?;
    let value = m.as_str();
    if value.trim().is_empty() || is_marker(value) || (word_check && is_word(value)) {
        return None;
    }
    Some(Span {
        start: m.start(),
        end: m.end(),
        key: false,
    })
}

/// Whether a value is a marker left by an earlier redaction.
fn is_marker(value: &str) -> bool {
    let v = value
        .trim()
        .trim_matches(|c| c == '"' || c == '\'' || c == '\\');
    v == REDACTED || v == KEY_BLOCK
}

/// A word as written in prose: all lower case, all upper case or
/// capitalised letters.
fn is_word(value: &str) -> bool {
    let mut chars = value.chars();
    let Some(first) = chars.next() else {
        return true;
    };
    let rest: Vec<char> = chars.collect();
    value.chars().all(|c| c.is_ascii_alphabetic())
        && (rest.iter().all(char::is_ascii_lowercase)
            || (first.is_ascii_uppercase() && rest.iter().all(char::is_ascii_uppercase)))
}

/// Sorts spans and merges those that overlap or touch; a merged span is a
/// key when one of its parts is.
fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by_key(|s| (s.start, s.end));
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.start <= last.end => {
                last.end = last.end.max(s.end);
                last.key |= s.key;
            }
            _ => out.push(s),
        }
    }
    out
}

/// One line of a text: where its content starts and ends (line ending
/// excluded).
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    end: usize,
}

fn lines_of(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut start = 0;
    for piece in text.split_inclusive('\n') {
        let content = piece.trim_end_matches('\n').trim_end_matches('\r');
        out.push(Line {
            start,
            end: start + content.len(),
        });
        start += piece.len();
    }
    out
}

/// A base64 line alone: the body of a key whose header is out of sight.
fn is_lone_body_line(line: &str) -> bool {
    let t = line.trim();
    let body = t.trim_end_matches('=');
    body.len() >= 40
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        && body.bytes().any(|b| b.is_ascii_lowercase())
        && body.bytes().any(|b| b.is_ascii_uppercase())
        && !body.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A line inside a key block: base64, or an RFC 1421 header.
fn is_body_like(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty()
        && (t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
            || is_pem_header_line(t))
}

fn is_pem_header_line(t: &str) -> bool {
    let lower = t.trim().to_ascii_lowercase();
    ["proc-type:", "dek-info:", "comment:"]
        .iter()
        .any(|h| lower.starts_with(h))
}

/// The private-key spans of a text (see the module docs).
fn key_spans(text: &str) -> Vec<Span> {
    let lines = lines_of(text);
    let mut spans = Vec::new();
    // Start of an open block, and whether its last line was a PEM header
    // (a blank line after one does not end the block).
    let mut open: Option<(usize, bool)> = None;
    // Whether the line before was a lone body line: a short base64 line
    // after one is the end of the same body.
    let mut after_body = false;
    for (i, line) in lines.iter().enumerate() {
        let content = &text[line.start..line.end];
        if after_body && open.is_none() && is_body_like(content) && !PEM_END.is_match(content) {
            let lead = content.len() - content.trim_start().len();
            spans.push(key_span(line.start + lead, line.end));
            after_body = is_lone_body_line(content);
            continue;
        }
        if let Some((start, after_header)) = open {
            if let Some(m) = PEM_END.find(content) {
                spans.push(key_span(start, line.start + m.end()));
                open = None;
            } else if content.trim().is_empty() && !after_header {
                let end = lines[i - 1].end;
                spans.push(key_span(start, end));
                open = None;
            } else {
                open = Some((start, is_pem_header_line(content)));
            }
            continue;
        }
        if let Some(start) = scan_line_for_keys(text, &lines, i, &mut spans) {
            open = Some((start, false));
        }
        after_body = open.is_none() && is_lone_body_line(content);
    }
    if let Some((start, _)) = open {
        spans.push(key_span(start, text.len()));
    }
    spans
}

fn key_span(start: usize, end: usize) -> Span {
    Span {
        start,
        end,
        key: true,
    }
}

/// Finds keys in a line outside any block; returns where a block opens
/// when a BEGIN header is followed only by key material to the line end.
fn scan_line_for_keys(
    text: &str,
    lines: &[Line],
    i: usize,
    spans: &mut Vec<Span>,
) -> Option<usize> {
    let line = lines[i];
    let content = &text[line.start..line.end];
    let mut from = 0;
    let mut found = false;
    while let Some(m) = PEM_BEGIN.find_at(content, from) {
        found = true;
        let rest = &content[m.end()..];
        let body = PEM_BODY.find(rest).map_or(0, |b| b.end());
        if let Some(end) = PEM_END.find(rest)
            && end.start() <= body
        {
            spans.push(key_span(
                line.start + m.start(),
                line.start + m.end() + end.end(),
            ));
            from = m.end() + end.end();
            continue;
        }
        if body == rest.len() {
            return Some(line.start + m.start());
        }
        // A quoted header: the header and any key material right after it.
        spans.push(key_span(
            line.start + m.start(),
            line.start + m.end() + body,
        ));
        from = m.end() + body;
    }
    if !found {
        if let Some(m) = PEM_END.find(content) {
            spans.push(key_span(
                orphan_end_start(text, lines, i, m.start()),
                line.start + m.end(),
            ));
        } else if is_lone_body_line(content) {
            let lead = content.len() - content.trim_start().len();
            let trail = content.len() - content.trim_end().len();
            spans.push(key_span(line.start + lead, line.end - trail));
        }
    }
    None
}

/// Where the body of an END header without its BEGIN starts: the key
/// material before it on its line and, when that reaches the line start,
/// the body lines just above.
fn orphan_end_start(text: &str, lines: &[Line], i: usize, at: usize) -> usize {
    let line = lines[i];
    let before = &text[line.start..line.start + at];
    let keep = before
        .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || "+/=\\ \t".contains(c))
        .len();
    if keep > 0 {
        return line.start + keep;
    }
    let mut start = line.start;
    for prev in lines[..i].iter().rev() {
        if !is_body_like(&text[prev.start..prev.end]) {
            break;
        }
        start = prev.start;
    }
    start
}

/// `text` with `spans` replaced by their markers.
pub(crate) fn apply(text: &str, spans: &[Span]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for s in spans {
        out.push_str(&text[at..s.start]);
        out.push_str(s.marker());
        at = s.end;
    }
    out.push_str(&text[at..]);
    out
}

/// How many spans replaced something that was not a marker already.
pub(crate) fn count_new(text: &str, spans: &[Span]) -> usize {
    spans
        .iter()
        .filter(|s| !is_marker(&text[s.start..s.end]))
        .count()
}

/// Returns `text` with secrets replaced; borrows when nothing changed.
pub(crate) fn redact_text(text: &str) -> Cow<'_, str> {
    let spans = secret_spans(text);
    if spans.is_empty() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(apply(text, &spans))
    }
}

/// The part `range` of `text` as reported, given the secrets of the whole
/// text: a secret that overlaps it is replaced by its marker, once. A
/// secret that started before the range is shown by a marker at its start
/// when `lead` is set (a captured value); otherwise (a line after the one
/// that shows the marker) it is left out, and a range wholly inside it is
/// `None`.
pub(crate) fn redact_part(
    text: &str,
    spans: &[Span],
    range: std::ops::Range<usize>,
    lead: bool,
) -> Option<String> {
    let mut out = String::new();
    let mut at = range.start;
    for s in spans
        .iter()
        .filter(|s| s.end > range.start && s.start < range.end)
    {
        if s.start < range.start && s.end >= range.end && !lead {
            return None;
        }
        if s.start >= range.start || lead {
            out.push_str(&text[at..s.start.max(at)]);
            out.push_str(s.marker());
        }
        at = s.end.min(range.end);
    }
    out.push_str(&text[at..range.end]);
    Some(out)
}

/// Redacts a group of consecutive lines as one text (a key block may start
/// in one and end in another); a line wholly inside a secret that began on
/// an earlier line is `None`.
pub(crate) fn redact_lines(lines: &[&str]) -> Vec<Option<String>> {
    let joined = lines.join("\n");
    let spans = secret_spans(&joined);
    let mut out = Vec::with_capacity(lines.len());
    let mut start = 0;
    for l in lines {
        let end = start + l.len();
        out.push(if l.is_empty() {
            Some(String::new())
        } else {
            redact_part(&joined, &spans, start..end, false)
        });
        start = end + 1;
    }
    out
}

/// Shortens redacted text to at most `max` characters (plus the
/// report's cut mark, as [`crate::report`]'s text cap marks a cut): a
/// marker is kept whole or dropped whole, never cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    let Some(mut cut) = crate::report::cut_index(text, max) else {
        return text.to_owned();
    };
    for marker in [KEY_BLOCK, REDACTED] {
        let from = cut.saturating_sub(marker.len());
        let from = (from..=cut)
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(cut);
        let to = (cut + marker.len()).min(text.len());
        let to = (to..=text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        if let Some((p, _)) = text[from..to]
            .match_indices(marker)
            .find(|(p, _)| from + p < cut && cut < from + p + marker.len())
        {
            cut = from + p;
        }
    }
    let mut out = text[..cut].to_owned();
    out.push(crate::report::CUT_MARK);
    out
}

/// Capability name in the report.
pub const CAPABILITY: &str = Capability::Redact.name();

/// Largest text accepted, in bytes: the file form's pieces stay far below
/// it.
pub(crate) const MAX_TEXT_BYTES: usize = 32 * 1024 * 1024;

/// Request of `nymidiag_redact`: a `text`, or a file by `path` read piece
/// by piece (`resume`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactRequest {
    /// The text to clean (at most 32 MiB). Give `text` or `path`.
    #[serde(default)]
    pub text: Option<String>,
    /// A file to clean instead: its next piece (at most 512 KiB of the
    /// file, ending on a line end) is read, decoded and cleaned, and
    /// `data.file.next` says where the following one starts. Read only when,
    /// with every link resolved, it lies inside `within`; never a FIFO,
    /// socket or device.
    #[serde(default)]
    pub path: Option<String>,
    /// With `path`: the file's encoding, as the log scan detected it
    /// (`data.files[].encoding` of a `log_scan` report). Required with
    /// `path`.
    #[serde(default)]
    pub encoding: Option<TextEncoding>,
    /// With `path`: the folder the file must lie in once links are
    /// resolved (the folder the log scan was asked to read). Default: the
    /// folder the path names.
    #[serde(default)]
    pub within: Option<String>,
    /// With `path`, on the first piece: copy only the file's last
    /// `max_bytes` bytes, from the first whole line in them. Default: the
    /// whole file.
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// With `path`: `data.file.next` of the previous answer, to read the
    /// following piece; absent for the first.
    #[serde(default)]
    pub resume: Option<Resume>,
    /// With `path`: the most bytes of the file one answer covers, 64 to
    /// 524288 (the default). Smaller pieces make smaller answers.
    #[serde(default)]
    pub piece_bytes: Option<u64>,
    /// Free text naming the caller, copied into `context.caller`
    /// (at most 256 characters are kept).
    #[serde(default)]
    pub caller: Option<String>,
}

/// `data` of a `redact` report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactData {
    /// The text (or the file piece, decoded) with secrets replaced by
    /// `<redacted>` and private-key blocks by `<redacted private key>`.
    pub text: String,
    /// How many secrets and key blocks were replaced.
    pub replacements: u64,
    /// The file form only: which piece of which file this was, and where
    /// the next one starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FilePiece>,
}

fn invalid(path: &str, message: impl Into<String>) -> Error {
    Error::RequestInvalid {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// Runs `redact`. A file that cannot be read, or that a link places
/// outside `within`, is an [`Error::Io`].
pub fn redact(request: &RedactRequest) -> Result<Report<RedactData>, Error> {
    let (text, replacements, file) = match (&request.text, &request.path) {
        (Some(_), Some(_)) => return Err(invalid(".", "give `text` or `path`, not both")),
        (None, None) => return Err(invalid(".", "give `text` or `path`")),
        (Some(text), None) => {
            if let Some(field) = file_only_field(request) {
                return Err(invalid(field, "applies to `path` only"));
            }
            if text.len() > MAX_TEXT_BYTES {
                return Err(invalid(
                    "text",
                    format!(
                        "{} bytes is more than the {MAX_TEXT_BYTES} accepted; send the text in parts",
                        text.len()
                    ),
                ));
            }
            let spans = secret_spans(text);
            (apply(text, &spans), count_new(text, &spans), None)
        }
        (None, Some(path)) => {
            let encoding = request.encoding.ok_or_else(|| {
                invalid(
                    "encoding",
                    "required with `path`: the encoding the log scan detected (data.files[].encoding)",
                )
            })?;
            let piece_bytes = request.piece_bytes.unwrap_or(file::PIECE_BYTES);
            if !(file::MIN_PIECE_BYTES..=file::PIECE_BYTES).contains(&piece_bytes) {
                return Err(invalid(
                    "piece_bytes",
                    format!(
                        "{piece_bytes} is not within {}..={}",
                        file::MIN_PIECE_BYTES,
                        file::PIECE_BYTES
                    ),
                ));
            }
            let piece = file::redact_piece(&file::FileAsk {
                path,
                encoding,
                within: request.within.as_deref(),
                max_bytes: request.max_bytes,
                resume: request.resume,
                piece_bytes,
            })?;
            (piece.text, piece.replacements, Some(piece.piece))
        }
    };
    let mut report = ReportBuilder::new(CAPABILITY);
    report.caller(request.caller.as_deref());
    let area = if file.is_some() { "file" } else { "text" };
    report.coverage(area, CoverageState::Checked, None);
    Ok(report.finish(RedactData {
        text,
        replacements: u64::try_from(replacements).unwrap_or(u64::MAX),
        file,
    }))
}

/// The first field given that only the file form reads.
fn file_only_field(request: &RedactRequest) -> Option<&'static str> {
    [
        ("encoding", request.encoding.is_some()),
        ("within", request.within.is_some()),
        ("max_bytes", request.max_bytes.is_some()),
        ("resume", request.resume.is_some()),
        ("piece_bytes", request.piece_bytes.is_some()),
    ]
    .into_iter()
    .find_map(|(name, given)| given.then_some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> RedactData {
        redact(&RedactRequest {
            text: Some(text.to_owned()),
            ..RedactRequest::default()
        })
        .unwrap()
        .data
    }

    #[test]
    fn replaces_secrets_and_counts_them() {
        let d =
            run("user=a password=hunter2\nAuthorization: Bearer abcdefgh12345678\nplain line\n");
        assert!(!d.text.contains("hunter2"));
        assert!(!d.text.contains("abcdefgh12345678"));
        assert!(d.text.contains("plain line"));
        assert_eq!(d.replacements, 2);
    }

    #[test]
    fn removes_private_key_blocks_even_truncated() {
        let d = run(
            "a\n-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\nb\n-----BEGIN EC PRIVATE KEY-----\nMHc",
        );
        assert!(!d.text.contains("MIIB"));
        assert!(!d.text.contains("MHc"));
        assert!(!d.text.contains("PRIVATE KEY-----"));
        assert!(d.text.starts_with("a\n<redacted private key>\nb\n"));
        assert_eq!(d.replacements, 2);
    }

    #[test]
    fn text_without_secrets_is_unchanged() {
        let text =
            "704:(22/03/17 06:13:14.150):Listener.cpp :0411: Unable to get token with USER creds";
        let d = run(text);
        assert_eq!(d.text, text);
        assert_eq!(d.replacements, 0);
    }

    #[test]
    fn too_large_text_is_a_request_error() {
        let e = redact(&RedactRequest {
            text: Some("x".repeat(MAX_TEXT_BYTES + 1)),
            ..RedactRequest::default()
        })
        .unwrap_err();
        assert!(matches!(e, Error::RequestInvalid { .. }));
    }
}
