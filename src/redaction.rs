//! The `redact` capability: removes secrets from text that leaves the
//! machine (support bundles), with the same rules the log scanner applies
//! to its excerpts, plus PEM private-key blocks.

use std::sync::LazyLock;

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::logs::redact::{REDACTED, redact as redact_secrets};
use crate::report::{CoverageState, Report, ReportBuilder};

/// Capability name in the report.
pub const CAPABILITY: &str = "redact";

/// Largest text accepted, in bytes: the support bundle caps each log copy
/// well below it.
pub(crate) const MAX_TEXT_BYTES: usize = 32 * 1024 * 1024;

/// What replaces a private-key block.
const KEY_BLOCK: &str = "<redacted private key>";

/// `-----BEGIN ... PRIVATE KEY----- ... -----END ... PRIVATE KEY-----`,
/// and a BEGIN without its END (a truncated copy) up to the end of text.
static PRIVATE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)",
    )
    .expect("valid regex")
});

/// Request of `nymidiag_redact`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactRequest {
    /// The text to clean (at most 32 MiB).
    pub text: String,
    /// Free text naming the caller, copied into `context.caller`
    /// (at most 256 characters are kept).
    #[serde(default)]
    pub caller: Option<String>,
}

/// `data` of a `redact` report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactData {
    /// The text with secrets replaced by `<redacted>` and private-key
    /// blocks by `<redacted private key>`.
    pub text: String,
    /// How many secrets and key blocks were replaced.
    pub replacements: u64,
}

/// Runs `redact`.
pub fn redact(request: &RedactRequest) -> Result<Report<RedactData>, Error> {
    if request.text.len() > MAX_TEXT_BYTES {
        return Err(Error::RequestInvalid {
            path: "text".to_owned(),
            message: format!(
                "{} bytes is more than the {MAX_TEXT_BYTES} accepted; send the text in parts",
                request.text.len()
            ),
        });
    }
    let mut report = ReportBuilder::new(CAPABILITY);
    let caller = request
        .caller
        .as_deref()
        .map(|c| c.chars().take(256).collect::<String>());
    report.caller(caller.as_deref());
    let keys = PRIVATE_KEY.find_iter(&request.text).count();
    let without_keys = PRIVATE_KEY.replace_all(&request.text, KEY_BLOCK);
    let before = without_keys.matches(REDACTED).count();
    let text = redact_secrets(&without_keys).into_owned();
    let secrets = text.matches(REDACTED).count().saturating_sub(before);
    report.coverage("text", CoverageState::Checked, None);
    Ok(report.finish(RedactData {
        text,
        replacements: u64::try_from(keys + secrets).unwrap_or(u64::MAX),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> RedactData {
        redact(&RedactRequest {
            text: text.to_owned(),
            caller: None,
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
            text: "x".repeat(MAX_TEXT_BYTES + 1),
            caller: None,
        })
        .unwrap_err();
        assert!(matches!(e, Error::RequestInvalid { .. }));
    }
}
