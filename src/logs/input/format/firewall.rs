//! Windows Firewall log records (`pfirewall.log`).
//!
//! Columns come from `#Fields:` (the documented default when a file has
//! none); times are the local time of the machine that wrote the file.
//! Newer builds may append columns (a `pid`), so extra trailing columns are
//! tolerated. Actions: `ALLOW`, `DROP`, `INFO-EVENTS-LOST`, and the legacy
//! XP/2003 `OPEN`, `OPEN-INBOUND`, `CLOSE`.

use crate::report::{Cut, clip};
use std::borrow::Cow;

use time::UtcOffset;

use super::{Record, parse_hms, parse_ymd, to_unix_ms};

/// The documented header.
const DEFAULT_FIELDS: &[&str] = &[
    "date", "time", "action", "protocol", "src-ip", "dst-ip", "src-port", "dst-port", "size",
    "tcpflags", "tcpsyn", "tcpack", "tcpwin", "icmptype", "icmpcode", "info", "path",
];

const ACTIONS: &[&str] = &[
    "ALLOW",
    "DROP",
    "INFO-EVENTS-LOST",
    "OPEN",
    "OPEN-INBOUND",
    "CLOSE",
];

/// Whether a headerless line looks like a firewall record.
pub(crate) fn looks_like(line: &str) -> bool {
    let mut cols = line.split_ascii_whitespace();
    match (cols.next(), cols.next(), cols.next()) {
        (Some(d), Some(t), Some(a)) => {
            parse_ymd(d).is_some() && parse_hms(t).is_some() && ACTIONS.contains(&a)
        }
        _ => false,
    }
}

/// Reads firewall records.
#[derive(Debug)]
pub(crate) struct Parser {
    fields: Option<Vec<String>>,
    offset: UtcOffset,
}

impl Parser {
    pub(crate) fn new(offset: UtcOffset) -> Parser {
        Parser {
            fields: None,
            offset,
        }
    }

    pub(crate) fn directive(&mut self, text: &str) -> bool {
        super::fields_directive(text, &mut self.fields)
    }

    pub(crate) fn parse<'r>(&'r self, text: &'r str) -> Record<'r> {
        let mut record = Record::default();
        let names: Vec<&'r str> = match &self.fields {
            Some(f) => f.iter().map(String::as_str).collect(),
            None => DEFAULT_FIELDS.to_vec(),
        };
        let values: Vec<&str> = text.split_ascii_whitespace().collect();
        if values.len() < names.len() {
            record.problems.push(format!(
                "{} columns but the header declares {}",
                values.len(),
                names.len()
            ));
        }
        for (name, value) in names.into_iter().zip(values) {
            if value == "-" {
                continue;
            }
            record.fields.push((name, Cow::Borrowed(value)));
        }
        match record.field("action") {
            Some(a) if ACTIONS.contains(&a) => {}
            Some(a) => {
                let shown = clip(a, 40, Cut::Silent);
                record.problems.push(format!("unknown action `{shown}`"));
            }
            None => record.problems.push("no action column".to_owned()),
        }
        match (
            record.field("date").and_then(parse_ymd),
            record.field("time").and_then(parse_hms),
        ) {
            (Some(d), Some(t)) => record.time = Some(to_unix_ms(d, t, self.offset)),
            _ => record.problems.push("no valid date and time".to_owned()),
        }
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_layout_and_extra_columns() {
        let p = Parser::new(UtcOffset::from_hms(2, 0, 0).unwrap());
        let r = p.parse("2024-05-02 09:41:08 DROP TCP 10.30.4.77 10.20.0.15 51514 443 0 - 0 0 0 - - - SEND 4242");
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.field("action"), Some("DROP"));
        assert_eq!(r.field("dst-port"), Some("443"));
        assert_eq!(r.field("path"), Some("SEND"));
        // Local 09:41:08 at +02:00 is 07:41:08 UTC.
        assert_eq!(r.time, Some(1_714_635_668_000));
    }

    #[test]
    fn follows_the_header_and_reports_odd_lines() {
        let mut p = Parser::new(UtcOffset::UTC);
        assert!(p.directive("#Fields: date time action protocol src-ip dst-ip src-port dst-port"));
        let r = p.parse("2024-05-02 09:41:08 OPEN TCP 10.0.0.1 10.0.0.2 1 443");
        assert!(r.problems.is_empty());
        let r = p.parse("2024-05-02 09:41:08 BLOCK TCP");
        assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
        assert!(looks_like(
            "2024-05-02 09:41:10 ALLOW UDP 10.30.4.77 10.1.0.10 60123 53"
        ));
        assert!(!looks_like("2024-05-02 09:41:10 GET /"));
    }
}
