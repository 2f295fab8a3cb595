//! `nymi_api.log` records: `LEVEL - message`, with an optional leading
//! timestamp (the article's excerpts show none; real files may have one).
//!
//! Status updates to the NEA carry JSON after `sending update to nea `;
//! its `operation`, `exchange`, `status` and error text become fields.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use time::UtcOffset;

use super::{Record, parse_hms, parse_ymd, to_unix_ms};
use crate::time_fmt::UtcTime;

static LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:(?P<ts>\S+(?:[ T]\S+)?)\s+)?(?P<level>TRACE|DEBUG|INFO|WARN|WARNING|ERROR)\s+-\s+(?P<msg>.*)$",
    )
    .expect("valid regex")
});

/// The prefix of a JSON status update.
const UPDATE: &str = "sending update to nea ";

/// Whether a line looks like a nymi_api.log record.
pub(crate) fn looks_like(line: &str) -> bool {
    // The level must come early: a long line that merely contains
    // "INFO - " somewhere is not a record.
    let head = line.get(..line.len().min(80)).unwrap_or(line);
    (head.contains(" - ")) && LINE.is_match(line.lines().next().unwrap_or(""))
}

/// Reads nymi_api.log records.
#[derive(Debug)]
pub(crate) struct Parser {
    offset: UtcOffset,
}

impl Parser {
    pub(crate) fn new(offset: UtcOffset) -> Parser {
        Parser { offset }
    }

    pub(crate) fn parse<'r>(&'r self, text: &'r str) -> Record<'r> {
        let mut record = Record::default();
        let Some(c) = LINE.captures(text) else {
            record.fields.push(("message", Cow::Borrowed(text)));
            return record;
        };
        if let Some(ts) = c.name("ts") {
            record.time = self.read_time(ts.as_str());
        }
        let level = c.name("level").map_or("", |m| m.as_str());
        let msg = c.name("msg").map_or("", |m| m.as_str());
        record.fields.push(("level", Cow::Borrowed(level)));
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

    /// RFC 3339 times keep their offset; times without one are local.
    fn read_time(&self, ts: &str) -> Option<i64> {
        let ts = ts.trim_matches(|c| c == '[' || c == ']');
        if let Ok(t) = UtcTime::parse(ts) {
            return i64::try_from(t.0.unix_timestamp_nanos() / 1_000_000).ok();
        }
        let (date, clock) = ts.split_once([' ', 'T'])?;
        Some(to_unix_ms(parse_ymd(date)?, parse_hms(clock)?, self.offset))
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

    fn parser() -> Parser {
        Parser::new(UtcOffset::UTC)
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
        let p = Parser::new(UtcOffset::from_hms(2, 0, 0).unwrap());
        let local = p.parse("2024-05-02 09:41:09,250 WARN - x");
        assert_eq!(local.time, Some(1_714_635_669_250));
        assert!(looks_like("2024-05-02 09:41:09,250 WARN - x"));
        assert!(!looks_like("just some text"));
    }
}
