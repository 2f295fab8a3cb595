//! What the `nes_clients` report says: one row per client, the files
//! read, and the questions the logs could not answer.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::logs::model::{NotScanned, SearchedLocation, TextEncoding};
use crate::time_fmt::UtcTime;

/// A client's state, from worst to best in the order of
/// [`ClientState::ALL`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClientState {
    /// Its latest failures are 401s (authentication) with no success at
    /// or after the last of them.
    AuthFailing,
    /// Its latest failures are 5xx (the NES application or IIS failed)
    /// with no success at or after the last of them.
    NesErrors,
    /// Seen in the window, but no success within `renewal_days` before
    /// the end of the window.
    NotRenewing,
    /// An expected client (address or machine name) absent from the logs
    /// of the window.
    NeverSeen,
    /// A success within `renewal_days` and no later 401 or 5xx.
    Ok,
}

impl ClientState {
    /// Every state, worst first: the order rows are sorted in.
    pub const ALL: [ClientState; 5] = [
        ClientState::AuthFailing,
        ClientState::NesErrors,
        ClientState::NotRenewing,
        ClientState::NeverSeen,
        ClientState::Ok,
    ];

    /// The word in the report (`AUTH_FAILING`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ClientState::AuthFailing => "AUTH_FAILING",
            ClientState::NesErrors => "NES_ERRORS",
            ClientState::NotRenewing => "NOT_RENEWING",
            ClientState::NeverSeen => "NEVER_SEEN",
            ClientState::Ok => "OK",
        }
    }
}

/// Which field gave a client's address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AddressSource {
    /// `c-ip`: the TCP peer (a load balancer, when one is in front).
    CIp,
    /// The first address of `X-Forwarded-For` (custom IIS logging field).
    XForwardedFor,
    /// Some requests by `c-ip`, others by `X-Forwarded-For`.
    Both,
    /// Never seen: the address or name comes from `expected_clients`.
    Expected,
}

/// 401 responses of one substatus and Win32 status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Status401 {
    /// `sc-substatus` (`1`: logon failed, `2`: the Negotiate challenge
    /// every Windows-authenticated request starts with); `null` when not
    /// logged.
    pub substatus: Option<u32>,
    /// `sc-win32-status` (`2148074254` = 0x8009030E with 401.1: the
    /// Kerberos failure); `null` when not logged.
    pub win32_status: Option<u64>,
    /// Responses.
    pub count: u64,
}

/// One client of the NES server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NesClient {
    /// The client's IP address (canonical text: IPv6 compressed, zone
    /// dropped, IPv4-mapped as IPv4), or for a never-seen expected name
    /// the name as given.
    pub client: String,
    /// Its state.
    pub state: ClientState,
    /// Why, in one sentence.
    pub reason: String,
    /// What to do next for this state.
    pub next_step: String,
    /// Which field gave the address.
    pub address_source: AddressSource,
    /// The `expected_clients` entry this row answers, if any.
    pub expected_as: Option<String>,
    /// The first machine account (`DOMAIN\NAME$` in `cs-username`) seen,
    /// as `NAME` (machine names are not personal data, so they are always
    /// shown: a join key with the fleet view).
    pub machine_name: Option<String>,
    /// First request in the window.
    pub first_seen: Option<UtcTime>,
    /// Last request in the window.
    pub last_seen: Option<UtcTime>,
    /// Requests in the window (HTTP.sys error lines included).
    pub requests: u64,
    /// 2xx and 3xx responses.
    pub successes: u64,
    /// 401 responses.
    pub status_401: u64,
    /// 401.1 with Win32 status 2148074254: Kerberos failed.
    pub kerberos_failures: u64,
    /// 401 by substatus and Win32 status, most frequent first (at most 16
    /// pairs per client).
    pub status_401_detail: Vec<Status401>,
    /// 403 responses.
    pub status_403: u64,
    /// 5xx responses (HTTP.sys 503s included).
    pub status_5xx: u64,
    /// Other 4xx responses (400, 404, ...).
    pub status_other_4xx: u64,
    /// HTTP.sys error lines (`HTTPERR`): refused or dropped before IIS.
    pub http_sys_errors: u64,
    /// The most frequent HTTP.sys reasons (`s-reason`), at most 4.
    pub http_sys_reasons: Vec<String>,
    /// Last 2xx or 3xx response.
    pub last_success: Option<UtcTime>,
    /// Last 4xx or 5xx response or HTTP.sys error.
    pub last_failure: Option<UtcTime>,
    /// That failure as `status.substatus` (`401.1`) or the HTTP.sys
    /// reason.
    pub last_failure_status: Option<String>,
    /// Distinct names seen in `cs-username` (at most 32 are kept).
    pub user_names_seen: u64,
    /// The names themselves, only when `include_user_names` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_names: Option<Vec<String>>,
}

/// The window the report covers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NesWindow {
    /// Records at or after this time count.
    pub since: UtcTime,
    /// Records at or before this time count; `null`: no limit.
    pub until: Option<UtcTime>,
    /// The time taken as now.
    pub now: UtcTime,
    /// The end of the window (`until`, or `now`), from which
    /// `renewal_days` are counted back.
    pub reference: UtcTime,
    /// The renewal period in days.
    pub renewal_days: u32,
    /// A client without a success at or after this time is not renewing.
    pub renewal_cutoff: UtcTime,
}

/// One log file read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NesLogFile {
    /// Path.
    pub path: String,
    /// `iis` (W3C request log) or `httperr` (HTTP.sys error log).
    pub format: String,
    /// Text encoding read.
    pub encoding: TextEncoding,
    /// Bytes read.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Records counted (in the window, passing the `uri_stem` filter).
    pub records_counted: u64,
    /// Records outside the window.
    pub records_outside_window: u64,
    /// Records left out by the `uri_stem` filter (or without a path
    /// while it is set).
    pub records_filtered: u64,
    /// Lines that could not be read as records (column count fits
    /// neither the header nor a default set, bad date or time, no client
    /// address).
    pub records_unreadable: u64,
    /// First record time.
    pub first_time: Option<UtcTime>,
    /// Last record time.
    pub last_time: Option<UtcTime>,
    /// What was odd about the file (the first unreadable lines, a last
    /// line still being written, long lines).
    pub notes: Vec<String>,
}

/// A question the logs could not answer: a field missing from some
/// records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MissingField {
    /// The W3C field (`sc-win32-status`).
    pub field: String,
    /// Records read without it (its column absent from their `#Fields:`
    /// header or default field set).
    pub records: u64,
    /// What cannot be told because of it.
    pub consequence: String,
}

/// Counts of rows per state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateCounts {
    /// `AUTH_FAILING` rows.
    pub auth_failing: u64,
    /// `NES_ERRORS` rows.
    pub nes_errors: u64,
    /// `NOT_RENEWING` rows.
    pub not_renewing: u64,
    /// `NEVER_SEEN` rows.
    pub never_seen: u64,
    /// `OK` rows.
    pub ok: u64,
}

/// `data` of a `nes_clients` report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NesClientsData {
    /// One sentence: how many clients in which states, from which files.
    pub summary: String,
    /// The window.
    pub window: NesWindow,
    /// The `uri_stem` prefix applied, if any.
    pub uri_stem: Option<String>,
    /// Rows per state.
    pub states: StateCounts,
    /// One row per client, worst state first, then by client.
    pub clients: Vec<NesClient>,
    /// Whether any record carried `X-Forwarded-For` (a load balancer in
    /// front of NES: its first address is the client).
    pub forwarded_for_logged: bool,
    /// Fields missing from records, and what that leaves unanswered.
    pub missing_fields: Vec<MissingField>,
    /// Most distinct clients tallied (`max_clients`).
    pub max_clients: u32,
    /// Requests of clients beyond `max_clients`, not tallied.
    pub requests_over_client_cap: u64,
    /// Files read.
    pub files: Vec<NesLogFile>,
    /// Files found but not read, and why (`not_iis`: not an IIS or
    /// HTTP.sys log; `older_than_window`: last written before `since`).
    pub not_read: Vec<NotScanned>,
    /// The default folders searched (when `paths` is empty).
    pub searched_locations: Vec<SearchedLocation>,
}
