//! What a caller asks `log_scan` and `list_rules` for.

use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::kinds::KindChoice;
use crate::Error;
use crate::time_fmt::UtcTime;

/// How the two-digit dates of WGSS trace lines are read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// `22/03/17` is 2022-03-17 (default; matches the Nymi article's era).
    #[default]
    YyMmDd,
    /// `22/03/17` is 22 March 2017.
    DdMmYy,
}

impl DateOrder {
    /// `yy/mm/dd` or `dd/mm/yy`, for messages.
    pub fn pattern(self) -> &'static str {
        match self {
            DateOrder::YyMmDd => "yy/mm/dd",
            DateOrder::DdMmYy => "dd/mm/yy",
        }
    }

    /// The other order.
    pub fn other(self) -> DateOrder {
        match self {
            DateOrder::YyMmDd => DateOrder::DdMmYy,
            DateOrder::DdMmYy => DateOrder::YyMmDd,
        }
    }
}

/// Request of `log_scan` (`nymidiag_log_scan`). Every field is optional;
/// `{}` scans the default locations with the built-in rules over the last
/// 14 days.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogScanRequest {
    /// Files, folders (searched recursively, 8 levels deep) or wildcard
    /// patterns (`C:\inetpub\logs\LogFiles\W3SVC1\u_ex*.log`). Empty: the
    /// usual Nymi, Evidian, firewall and IIS locations (see
    /// `data.searched_locations`).
    #[serde(default)]
    pub paths: Vec<String>,
    /// Format of the files: `auto` (default) detects each file from its
    /// content, then its name.
    #[serde(default)]
    pub kind: KindChoice,
    /// Only records at or after this time count. Default: `now` minus 14
    /// days, the default NEA certificate lifetime. Files last modified
    /// before it are not read. More than 5 minutes after `now` is refused.
    #[serde(default)]
    pub since: Option<UtcTime>,
    /// Only records at or before this time count. Default: no limit.
    #[serde(default)]
    pub until: Option<UtcTime>,
    /// One client address (the terminal's); joined with
    /// `client_addresses`. Default: none.
    #[serde(default)]
    pub client_address: Option<String>,
    /// The terminals' IP addresses. IIS logs: a request counts only when
    /// its client is one of them (the first address of
    /// `X-Forwarded-For` when the log has that field and it holds one,
    /// else `c-ip`). Firewall logs: a line counts only when its `src-ip`
    /// or `dst-ip` is one of them. Addresses compare as IP addresses
    /// (`::1` = `0:0:0:0:0:0:0:1`, `::ffff:10.0.0.1` = `10.0.0.1`, zone
    /// ids ignored). Empty with `client_address` unset: all clients.
    #[serde(default)]
    pub client_addresses: Vec<String>,
    /// One remote address (the NES's); joined with `remote_addresses`.
    /// Default: none.
    #[serde(default)]
    pub remote_address: Option<String>,
    /// The NES's (or domain controllers') IP addresses. Firewall logs: a
    /// line counts only when its `src-ip` or `dst-ip` is one of them
    /// (besides `client_addresses`). Compared as `client_addresses`.
    /// Empty with `remote_address` unset: all addresses.
    #[serde(default)]
    pub remote_addresses: Vec<String>,
    /// Firewall logs: only packets from or to this port. Default: all.
    #[serde(default)]
    pub port: Option<u16>,
    /// Extra rule packs (TOML files), read after the built-in pack.
    #[serde(default)]
    pub rule_paths: Vec<String>,
    /// Whether the built-in rule pack is used. Default: `true`.
    #[serde(default)]
    pub default_rules: Option<bool>,
    /// How WGSS dates are read. Default `yy_mm_dd`; each file is checked
    /// against its modified time and the order used is reported per file.
    #[serde(default)]
    pub date_order: DateOrder,
    /// Also read rotated siblings of each file (`.old`, `.1`, dated names
    /// in the same folder) and scan each family as one stream in time
    /// order, so sequence rules see across the rotation. Default: `false`.
    #[serde(default)]
    pub merge_rotated: bool,
    /// UTC offset, in minutes, of the clock that wrote WGSS, firewall and
    /// un-suffixed nymi_api times. Default: this machine's current offset
    /// (UTC where the platform cannot tell; the report says which).
    #[serde(default)]
    pub local_offset_minutes: Option<i32>,
    /// Longest line kept, in bytes (256 to 67,108,864). Longer lines are
    /// scanned up to this length, counted and skipped. Default: 1,048,576.
    #[serde(default)]
    pub max_line_bytes: Option<u64>,
    /// The time taken as "now" for the default `since` (for tests and
    /// replays). Default: the clock.
    #[serde(default)]
    pub now: Option<UtcTime>,
    /// Free text naming the caller, copied into `context.caller`.
    #[serde(default)]
    pub caller: Option<String>,
    /// Time budget in milliseconds (at most 600000; default none). Once
    /// it has passed no further file is started: the files left are listed
    /// in `not_scanned` with reason `deadline`, with a warning. A file
    /// already being read is read to its end.
    #[serde(default)]
    pub deadline_ms: Option<u64>,
}

/// Request of `list_rules`: which rule packs to load and show.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleListRequest {
    /// Extra rule packs (TOML files), read after the built-in pack.
    #[serde(default)]
    pub rule_paths: Vec<String>,
    /// Whether the built-in rule pack is listed. Default: `true`.
    #[serde(default)]
    pub default_rules: Option<bool>,
    /// Free text naming the caller, copied into `context.caller`.
    #[serde(default)]
    pub caller: Option<String>,
}

/// Default line cap.
pub(crate) const DEFAULT_MAX_LINE: usize = 1 << 20;
const MIN_MAX_LINE: u64 = 256;
const MAX_MAX_LINE: u64 = 64 << 20;
/// The NEA certificate lifetime the NES sets by default.
pub(crate) const DEFAULT_LOOKBACK_DAYS: i64 = 14;
/// How far in the future `since` may lie (clocks drift) before it is
/// refused.
const FUTURE_SLACK: time::Duration = time::Duration::minutes(5);
/// Most paths and rule packs accepted in one request.
const MAX_PATHS: usize = 1000;

fn invalid(path: &str, message: impl Into<String>) -> Error {
    Error::RequestInvalid {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// Most addresses accepted in one address filter.
const MAX_ADDRESSES: usize = 1000;

/// A set of IP addresses, compared as addresses rather than text: IPv6
/// zone ids are ignored and IPv4-mapped IPv6 addresses equal their IPv4
/// form. Empty means no filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AddressSet(Vec<IpAddr>);

impl AddressSet {
    /// Whether no address was given (the filter lets everything through).
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is in the set.
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip.to_canonical())
    }

    /// Whether the text of a log field is an address in the set.
    pub(crate) fn contains_text(&self, text: &str) -> bool {
        parse_address(text).is_some_and(|ip| self.contains(ip))
    }

    /// Reads the singular field and the list; errors name the entry.
    fn from_request(
        one_name: &str,
        one: Option<&str>,
        list_name: &str,
        list: &[String],
    ) -> Result<AddressSet, Error> {
        if list.len() > MAX_ADDRESSES {
            return Err(invalid(
                list_name,
                format!("at most {MAX_ADDRESSES} addresses"),
            ));
        }
        let named = one.map(|v| (one_name.to_owned(), v)).into_iter().chain(
            list.iter()
                .enumerate()
                .map(|(i, v)| (format!("{list_name}[{i}]"), v.as_str())),
        );
        let mut set = Vec::new();
        for (path, value) in named {
            let ip = parse_address(value).ok_or_else(|| {
                invalid(&path, format!("`{value}` is not an IPv4 or IPv6 address"))
            })?;
            if !set.contains(&ip) {
                set.push(ip);
            }
        }
        Ok(AddressSet(set))
    }
}

/// An IP address as written in a request or a log: surrounding space,
/// brackets and an IPv6 zone id (`fe80::1%12`) are ignored, and an
/// IPv4-mapped IPv6 address becomes its IPv4 form.
pub(crate) fn parse_address(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let text = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    let bare = text.split('%').next().unwrap_or(text);
    bare.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// The checked form of a [`LogScanRequest`].
#[derive(Clone, Debug)]
pub(crate) struct Checked {
    pub(crate) since: UtcTime,
    pub(crate) since_is_default: bool,
    pub(crate) until: Option<UtcTime>,
    pub(crate) client: AddressSet,
    pub(crate) remote: AddressSet,
    pub(crate) max_line: usize,
    pub(crate) caller: Option<String>,
}

impl LogScanRequest {
    /// Validates the request; errors name the offending field.
    pub(crate) fn check(&self) -> Result<Checked, Error> {
        if self.paths.len() > MAX_PATHS {
            return Err(invalid("paths", format!("at most {MAX_PATHS} paths")));
        }
        if self.rule_paths.len() > MAX_PATHS {
            return Err(invalid(
                "rule_paths",
                format!("at most {MAX_PATHS} rule packs"),
            ));
        }
        if let Some(i) = self.paths.iter().position(|p| p.trim().is_empty()) {
            return Err(invalid(&format!("paths[{i}]"), "empty path"));
        }
        let now = self.now.unwrap_or_else(UtcTime::now);
        let (since, since_is_default) = match self.since {
            Some(s) => (s, false),
            None => (
                UtcTime(now.0 - time::Duration::days(DEFAULT_LOOKBACK_DAYS)),
                true,
            ),
        };
        // A window that starts in the future matches nothing: a mistake
        // (a wrong date or clock), said rather than answered with silence.
        if !since_is_default && since.0 > now.0 + FUTURE_SLACK {
            return Err(invalid(
                "since",
                format!("{since} is in the future (now is {now})"),
            ));
        }
        if let Some(until) = self.until
            && until < since
        {
            return Err(invalid(
                "until",
                format!("{until} is before since ({since})"),
            ));
        }
        if let Some(m) = self.local_offset_minutes
            && !(-18 * 60..=18 * 60).contains(&m)
        {
            return Err(invalid(
                "local_offset_minutes",
                format!("{m} is outside -1080..=1080"),
            ));
        }
        let max_line = match self.max_line_bytes {
            None => DEFAULT_MAX_LINE,
            Some(n) if (MIN_MAX_LINE..=MAX_MAX_LINE).contains(&n) => {
                usize::try_from(n).unwrap_or(DEFAULT_MAX_LINE)
            }
            Some(n) => {
                return Err(invalid(
                    "max_line_bytes",
                    format!("{n} is outside {MIN_MAX_LINE}..={MAX_MAX_LINE}"),
                ));
            }
        };
        Ok(Checked {
            since,
            since_is_default,
            until: self.until,
            client: AddressSet::from_request(
                "client_address",
                self.client_address.as_deref(),
                "client_addresses",
                &self.client_addresses,
            )?,
            remote: AddressSet::from_request(
                "remote_address",
                self.remote_address.as_deref(),
                "remote_addresses",
                &self.remote_addresses,
            )?,
            max_line,
            caller: self.caller.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_look_back_fourteen_days() {
        let now = UtcTime::parse("2026-05-15T00:00:00Z").unwrap();
        let req = LogScanRequest {
            now: Some(now),
            ..Default::default()
        };
        let c = req.check().unwrap();
        assert_eq!(c.since.to_string(), "2026-05-01T00:00:00.000Z");
        assert!(c.since_is_default);
        assert_eq!(c.max_line, DEFAULT_MAX_LINE);
    }

    #[test]
    fn a_since_in_the_future_is_refused_beyond_the_slack() {
        let now = UtcTime::parse("2026-05-15T00:00:00Z").unwrap();
        for (minutes, ok) in [
            (-60, true),
            (0, true),
            (5, true),
            (6, false),
            (60 * 24, false),
        ] {
            let req = LogScanRequest {
                now: Some(now),
                since: Some(UtcTime(now.0 + time::Duration::minutes(minutes))),
                ..Default::default()
            };
            match req.check() {
                Ok(_) => assert!(ok, "{minutes} min accepted"),
                Err(Error::RequestInvalid { path, message }) => {
                    assert!(!ok, "{minutes} min refused: {message}");
                    assert_eq!(path, "since");
                    assert!(message.contains("in the future"), "{message}");
                }
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn rejects_bad_values_with_the_field_name() {
        let cases: Vec<(LogScanRequest, &str)> = vec![
            (
                LogScanRequest {
                    client_address: Some("nes.corp".into()),
                    ..Default::default()
                },
                "client_address",
            ),
            (
                LogScanRequest {
                    since: Some(UtcTime::parse("2026-05-02T00:00:00Z").unwrap()),
                    until: Some(UtcTime::parse("2026-05-01T00:00:00Z").unwrap()),
                    ..Default::default()
                },
                "until",
            ),
            (
                LogScanRequest {
                    max_line_bytes: Some(10),
                    ..Default::default()
                },
                "max_line_bytes",
            ),
            (
                LogScanRequest {
                    local_offset_minutes: Some(5000),
                    ..Default::default()
                },
                "local_offset_minutes",
            ),
            (
                LogScanRequest {
                    paths: vec![" ".into()],
                    ..Default::default()
                },
                "paths[0]",
            ),
        ];
        for (req, field) in cases {
            match req.check() {
                Err(Error::RequestInvalid { path, .. }) => assert_eq!(path, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn address_sets_join_both_fields_and_compare_as_addresses() {
        let req = LogScanRequest {
            client_address: Some(" 10.30.4.77 ".into()),
            client_addresses: vec![
                "::1".into(),
                "[fe80::1%12]".into(),
                "::ffff:10.30.4.78".into(),
                "10.30.4.77".into(),
            ],
            remote_addresses: vec!["10.20.0.15".into()],
            ..Default::default()
        };
        let c = req.check().unwrap();
        assert_eq!(c.client.0.len(), 4, "{:?}", c.client);
        for same in [
            "10.30.4.77",
            "::ffff:10.30.4.77",
            "0:0:0:0:0:0:0:1",
            "::1%0",
            "fe80:0::1",
            "10.30.4.78",
        ] {
            assert!(c.client.contains_text(same), "{same}");
        }
        assert!(!c.client.contains_text("10.30.4.79"));
        assert!(c.remote.contains_text("::ffff:a14:f"));
        assert!(LogScanRequest::default().check().unwrap().client.is_empty());

        for (req, field) in [
            (
                LogScanRequest {
                    client_addresses: vec!["10.0.0.1".into(), "terminal7".into()],
                    ..Default::default()
                },
                "client_addresses[1]",
            ),
            (
                LogScanRequest {
                    remote_addresses: vec!["10.0.0.256".into()],
                    ..Default::default()
                },
                "remote_addresses[0]",
            ),
            (
                LogScanRequest {
                    remote_address: Some("".into()),
                    ..Default::default()
                },
                "remote_address",
            ),
        ] {
            match req.check() {
                Err(Error::RequestInvalid { path, .. }) => assert_eq!(path, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn parses_json_with_defaults_and_rejects_unknown_fields() {
        let r: LogScanRequest =
            Error::parse_request(r#"{"kind":"wgss","date_order":"dd_mm_yy","port":443}"#).unwrap();
        assert_eq!(r.kind, KindChoice::Wgss);
        assert_eq!(r.date_order, DateOrder::DdMmYy);
        assert!(Error::parse_request::<LogScanRequest>(r#"{"pathz":[]}"#).is_err());
        let l: RuleListRequest = Error::parse_request("{}").unwrap();
        assert_eq!(l, RuleListRequest::default());
    }
}
