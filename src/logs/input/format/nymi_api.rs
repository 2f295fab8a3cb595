//! `nymi_api.log` records: `LEVEL - message`, with an optional prefix
//! before the level (the article's excerpts show none; real files may
//! carry a time stamp and a thread id in any of the shapes of
//! [`prefix`](super::prefix)).
//!
//! Status updates to the NEA carry JSON after `sending update to nea `;
//! its `operation`, `exchange`, `status` and error text become fields.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::prefix;
use super::{ParseSettings, Record};
use crate::logs::model::DateOrder;

/// Any one or two words before the level, for prefixes the prefix reader
/// does not know (they give no time).
static LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:\S+(?:[ T]\S+)?\s+)?(?P<level>TRACE|DEBUG|INFO|WARN|WARNING|ERROR)\s+-\s+(?P<msg>.*)$",
    )
    .expect("valid regex")
});

/// The levels, longest first where one starts another.
const LEVELS: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARNING", "WARN", "ERROR"];

/// The prefix of a JSON status update.
const UPDATE: &str = "sending update to nea ";

/// A line cut into its parts.
struct Parts<'l> {
    prefix: prefix::Prefix,
    level: &'l str,
    message: &'l str,
}

/// `LEVEL - message` right after the prefix.
fn after_prefix(line: &str) -> Option<Parts<'_>> {
    let p = prefix::parse(line.as_bytes());
    let rest = &line[p.len..];
    let level = LEVELS.into_iter().find(|l| rest.starts_with(l))?;
    let after = &rest[level.len()..];
    let spaced = after.trim_start_matches([' ', '\t']);
    if spaced.len() == after.len() {
        return None;
    }
    let message = spaced.strip_prefix('-')?;
    let trimmed = message.trim_start_matches([' ', '\t']);
    if trimmed.len() == message.len() && !message.is_empty() {
        return None;
    }
    Some(Parts {
        prefix: p,
        level,
        message: trimmed,
    })
}

/// The parts of a record line: after a known prefix, else after any one
/// or two words.
fn split(line: &str) -> Option<Parts<'_>> {
    let first = line.lines().next().unwrap_or("");
    if let Some(parts) = after_prefix(first) {
        return Some(parts);
    }
    let c = LINE.captures(first)?;
    Some(Parts {
        prefix: prefix::Prefix::default(),
        level: c.name("level").map_or("", |m| m.as_str()),
        message: c.name("msg").map_or("", |m| m.as_str()),
    })
}

/// Whether a line looks like a nymi_api.log record.
pub(crate) fn looks_like(line: &str) -> bool {
    // The level must come early: a long line that merely contains
    // "INFO - " somewhere is not a record.
    let head = line.get(..line.len().min(120)).unwrap_or(line);
    head.contains(" - ") && split(line).is_some()
}

/// Reads nymi_api.log records.
#[derive(Debug)]
pub(crate) struct Parser {
    settings: ParseSettings,
}

impl Parser {
    pub(crate) fn new(settings: ParseSettings) -> Parser {
        Parser { settings }
    }

    pub(crate) fn parse<'r>(&'r self, text: &'r str) -> Record<'r> {
        let mut record = Record::default();
        let Some(parts) = split(text) else {
            record.fields.push(("message", Cow::Borrowed(text)));
            return record;
        };
        record.time = self.time(&parts.prefix);
        if let Some(id) = parts.prefix.thread_in(text) {
            record.fields.push(("thread", Cow::Borrowed(id)));
        }
        let msg = parts.message;
        record.fields.push(("level", Cow::Borrowed(parts.level)));
        record.fields.push(("message", Cow::Borrowed(msg)));
        if let Some(json) = msg.strip_prefix(UPDATE) {
            match serde_json::from_str::<serde_json::Value>(json.trim()) {
                Ok(v) => add_update_fields(&mut record, &v),
                Err(e) => record.problems.push(format!(
                    "the JSON after `{}` does not parse: {e}",
                    UPDATE.trim_end()
                )),
            }
        }
        record
    }

    /// Only the time of a record line.
    pub(crate) fn time_of(&self, text: &str) -> Option<i64> {
        self.time(&prefix::parse(text.as_bytes()))
    }

    /// A stated offset is kept; times without one are local.
    fn time(&self, p: &prefix::Prefix) -> Option<i64> {
        p.stamp?.unix_ms(self.order(), self.settings.offset)
    }

    fn order(&self) -> DateOrder {
        self.settings.date_order
    }
}

fn add_update_fields<'r>(record: &mut Record<'r>, v: &serde_json::Value) {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    for key in ["operation", "exchange", "status"] {
        if let Some(value) = v.get(key).and_then(text) {
            record.fields.push((key, Cow::Owned(value)));
        }
    }
    if let Some(error) = v.get("error").filter(|e| e.is_object()) {
        for key in ["error_description", "error_specifics"] {
            if let Some(value) = error.get(key).and_then(text) {
                record.fields.push((key, Cow::Owned(value)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use time::UtcOffset;

    fn parser() -> Parser {
        with_offset(UtcOffset::UTC)
    }

    fn with_offset(offset: UtcOffset) -> Parser {
        Parser::new(ParseSettings {
            offset,
            date_order: DateOrder::YyMmDd,
        })
    }

    #[test]
    fn reads_level_and_message_without_a_time() {
        let p = parser();
        let r = p.parse("ERROR - NSL: nsl_verify_nea_cert_chain, 2227, 5");
        assert_eq!(r.field("level"), Some("ERROR"));
        assert_eq!(
            r.field("message"),
            Some("NSL: nsl_verify_nea_cert_chain, 2227, 5")
        );
        assert_eq!(r.time, None);
    }

    #[test]
    fn parses_the_status_update_json() {
        let p = parser();
        let line = r#"INFO - sending update to nea {"operation":"init","exchange":"30809","status":8000,"payload":{},"error":{"error_description":"NEA missing certificates.","error_specifics":"Missing NES connection parameters."}}"#;
        let r = p.parse(line);
        assert_eq!(r.field("operation"), Some("init"));
        assert_eq!(r.field("exchange"), Some("30809"));
        assert_eq!(r.field("status"), Some("8000"));
        assert_eq!(
            r.field("error_description"),
            Some("NEA missing certificates.")
        );
        assert!(r.problems.is_empty());

        let ok = p.parse(r#"2024-05-02T07:41:09Z INFO - sending update to nea {"operation":"init","exchange":"4411","status":0,"payload":{},"error":null}"#);
        assert_eq!(ok.field("status"), Some("0"));
        assert_eq!(ok.field("error_description"), None);
        assert_eq!(ok.time, Some(1_714_635_669_000));
    }

    #[test]
    fn reports_broken_json() {
        let p = parser();
        let r = p.parse(r#"INFO - sending update to nea {"operation":"#);
        assert!(r.problems[0].contains("does not parse"));
    }

    #[test]
    fn reads_local_and_offset_times() {
        let p = with_offset(UtcOffset::from_hms(2, 0, 0).unwrap());
        let local = p.parse("2024-05-02 09:41:09,250 WARN - x");
        assert_eq!(local.time, Some(1_714_635_669_250));
        assert!(looks_like("2024-05-02 09:41:09,250 WARN - x"));
        assert!(!looks_like("just some text"));
    }
}
