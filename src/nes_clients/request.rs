//! The request of `nes_clients` and its checks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::time_fmt::UtcTime;

/// Default window: 28 days, two certificate lifetimes, so a client that
/// renewed once and then stopped is still in view.
pub(crate) const DEFAULT_WINDOW_DAYS: i64 = 28;
/// Default renewal period: the NEA certificate lifetime.
pub(crate) const DEFAULT_RENEWAL_DAYS: u32 = 14;
/// Default cap on distinct clients.
pub(crate) const DEFAULT_MAX_CLIENTS: u32 = 20_000;
/// Highest cap on distinct clients accepted.
const MAX_MAX_CLIENTS: u32 = 200_000;
/// Most paths and expected clients accepted.
const MAX_ENTRIES: usize = 10_000;
/// Longest `uri_stem` accepted.
const MAX_STEM: usize = 1024;

/// Request of `nes_clients` (`nymidiag_nes_clients`). Every field is
/// optional; `{}` reads the NES server's default IIS and HTTP.sys error
/// log folders over the last 28 days.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NesClientsRequest {
    /// Files, folders (searched recursively, 8 levels deep) or wildcard
    /// patterns (`C:\inetpub\logs\LogFiles\W3SVC*\u_ex*.log`). Files that
    /// are not IIS or HTTP.sys error logs are listed in `not_read`.
    /// Empty: `%SystemDrive%\inetpub\logs\LogFiles` (every site),
    /// `System32\LogFiles` and `System32\LogFiles\HTTPERR`.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Only records at or after this time count. Default: `now` minus 28
    /// days. Files last written before it are not read.
    #[serde(default)]
    pub since: Option<UtcTime>,
    /// Only records at or before this time count. Default: no limit.
    #[serde(default)]
    pub until: Option<UtcTime>,
    /// The time taken as now (tests, replays). Default: the clock.
    #[serde(default)]
    pub now: Option<UtcTime>,
    /// Only requests whose path (`cs-uri-stem`, or the path of an
    /// HTTP.sys `cs-uri`) starts with this prefix, compared without
    /// regard to case (`/NES`). Records without a path are then left
    /// out. Default: every request.
    #[serde(default)]
    pub uri_stem: Option<String>,
    /// Days within which a client must have had a success (1 to 365).
    /// Default: 14, the NEA certificate lifetime.
    #[serde(default)]
    pub renewal_days: Option<u32>,
    /// Clients expected to talk to NES: IP addresses, or machine names
    /// (`WARD3-PC07`, `CORP\WARD3-PC07$` or `ward3-pc07.corp.example`)
    /// matched, without regard to case, against the machine accounts
    /// (`DOMAIN\NAME$`) in `cs-username`. One absent from the window is a
    /// `NEVER_SEEN` row.
    #[serde(default)]
    pub expected_clients: Vec<String>,
    /// Whether rows list the user names seen (`user_names`); by default
    /// they are only counted.
    #[serde(default)]
    pub include_user_names: bool,
    /// Most distinct clients tallied (1 to 200,000; default 20,000), so
    /// memory stays bounded whatever the logs hold. Requests of further
    /// clients are counted in `requests_over_client_cap`, with a warning.
    #[serde(default)]
    pub max_clients: Option<u32>,
    /// Free text naming the caller, copied into `context.caller`.
    #[serde(default)]
    pub caller: Option<String>,
}

/// The checked form of a [`NesClientsRequest`].
#[derive(Clone, Debug)]
pub(crate) struct Checked {
    pub(crate) since_ms: i64,
    pub(crate) until_ms: Option<i64>,
    pub(crate) since: UtcTime,
    pub(crate) now: UtcTime,
    pub(crate) reference: UtcTime,
    pub(crate) renewal_days: u32,
    pub(crate) cutoff_ms: i64,
    pub(crate) stem: Option<String>,
    pub(crate) max_clients: u32,
}

fn invalid(path: &str, message: impl Into<String>) -> Error {
    Error::RequestInvalid {
        path: path.to_owned(),
        message: message.into(),
    }
}

pub(crate) fn unix_ms(t: UtcTime) -> i64 {
    i64::try_from(t.0.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

impl NesClientsRequest {
    /// Validates the request; errors name the offending field.
    pub(crate) fn check(&self) -> Result<Checked, Error> {
        if self.paths.len() > MAX_ENTRIES {
            return Err(invalid("paths", format!("at most {MAX_ENTRIES} paths")));
        }
        if let Some(i) = self.paths.iter().position(|p| p.trim().is_empty()) {
            return Err(invalid(&format!("paths[{i}]"), "empty path"));
        }
        if self.expected_clients.len() > MAX_ENTRIES {
            return Err(invalid(
                "expected_clients",
                format!("at most {MAX_ENTRIES} clients"),
            ));
        }
        if let Some(i) = self
            .expected_clients
            .iter()
            .position(|p| p.trim().is_empty())
        {
            return Err(invalid(&format!("expected_clients[{i}]"), "empty entry"));
        }
        let now = self.now.unwrap_or_else(UtcTime::now);
        let since = self
            .since
            .unwrap_or(UtcTime(now.0 - time::Duration::days(DEFAULT_WINDOW_DAYS)));
        if let Some(until) = self.until
            && until < since
        {
            return Err(invalid(
                "until",
                format!("{until} is before since ({since})"),
            ));
        }
        let renewal_days = self.renewal_days.unwrap_or(DEFAULT_RENEWAL_DAYS);
        if !(1..=365).contains(&renewal_days) {
            return Err(invalid(
                "renewal_days",
                format!("{renewal_days} is outside 1..=365"),
            ));
        }
        let max_clients = self.max_clients.unwrap_or(DEFAULT_MAX_CLIENTS);
        if !(1..=MAX_MAX_CLIENTS).contains(&max_clients) {
            return Err(invalid(
                "max_clients",
                format!("{max_clients} is outside 1..={MAX_MAX_CLIENTS}"),
            ));
        }
        let stem = match self.uri_stem.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) if s.len() > MAX_STEM || s.contains(char::is_whitespace) => {
                return Err(invalid(
                    "uri_stem",
                    format!("a path prefix without spaces, at most {MAX_STEM} bytes"),
                ));
            }
            Some(s) => Some(s.to_owned()),
        };
        // Renewal is judged at the end of the window: a replay of old
        // logs (`until` in the past) is judged as of then.
        let reference = match self.until {
            Some(u) if u < now => u,
            _ => now,
        };
        let cutoff = reference.0 - time::Duration::days(i64::from(renewal_days));
        Ok(Checked {
            since_ms: unix_ms(since),
            until_ms: self.until.map(unix_ms),
            since,
            now,
            reference,
            renewal_days,
            cutoff_ms: unix_ms(UtcTime(cutoff)),
            stem,
            max_clients,
        })
    }
}
