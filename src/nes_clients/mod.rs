//! The `nes_clients` capability: the NES server's view of its clients,
//! from its IIS logs (and HTTP.sys error logs), one row per client with
//! a state: `AUTH_FAILING`, `NES_ERRORS`, `NOT_RENEWING`, `NEVER_SEEN` or
//! `OK` (rules in [`ClientState`] and the report's `reason` per row).
//!
//! Runs on the NES server. Files are read with the log scanner's reader
//! (shared opening, encoding detection, large reads cut at line ends),
//! several files at a time, and each line is cut into the few fields the
//! report needs without allocating, so gigabytes of logs are read at about
//! the speed of `rg -c` (`benches/compare_nes_clients.sh`). Memory is
//! bounded: distinct clients are capped (`max_clients`), and so are the
//! names and 401 kinds kept per client.
//!
//! The client is the first address of `X-Forwarded-For` when the log has
//! that field (a load balancer in front of NES) and it holds an address,
//! else `c-ip`; each row says which. Fields missing from the `#Fields:`
//! header (`sc-win32-status`, `cs-username`, ...) are listed in
//! `missing_fields` with what they leave unanswered.
//!
//! ```
//! use nymidiag::nes_clients::{nes_clients, ClientState, NesClientsRequest};
//! use nymidiag::time_fmt::UtcTime;
//!
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::write(dir.path().join("u_ex240502.log"), "\
//! #Fields: date time c-ip cs-uri-stem cs-username sc-status sc-substatus sc-win32-status
//! 2024-05-02 07:41:08 10.30.4.77 /NES/api - 401 2 5
//! 2024-05-02 07:41:09 10.30.4.77 /NES/api CORP\\WARD3-PC07$ 401 1 2148074254
//! 2024-05-02 07:41:08 10.30.4.78 /NES/api - 401 2 5
//! 2024-05-02 07:41:08 10.30.4.78 /NES/api CORP\\WARD3-PC08$ 200 0 0
//! ").unwrap();
//! let report = nes_clients(&NesClientsRequest {
//!     paths: vec![dir.path().display().to_string()],
//!     now: Some(UtcTime::parse("2024-05-03T00:00:00Z").unwrap()),
//!     ..Default::default()
//! }).unwrap();
//! let rows = &report.data.clients;
//! assert_eq!((rows[0].client.as_str(), rows[0].state), ("10.30.4.77", ClientState::AuthFailing));
//! assert_eq!(rows[0].kerberos_failures, 1);
//! assert_eq!(rows[0].machine_name.as_deref(), Some("WARD3-PC07"));
//! assert_eq!(rows[1].state, ClientState::Ok);
//! ```

use std::net::IpAddr;

use crate::Error;
use crate::logs::input::locations::{expand, nes_server_defaults};
use crate::report::{Capability, CoverageState, Finding, Report, ReportBuilder, Severity};

mod columns;
mod expected;
mod model;
mod read;
mod request;
mod state;
mod tally;
#[cfg(test)]
mod tests;

pub use model::{
    AddressSource, ClientState, MissingField, NesClient, NesClientsData, NesLogFile, NesWindow,
    StateCounts, Status401,
};
pub use request::NesClientsRequest;

use columns::{QUESTIONS, Role};
use expected::Expected;
use tally::ClientAcc;

/// Runs `nes_clients`. A request that cannot be carried out fails with
/// [`Error::RequestInvalid`] naming the field; files that cannot be read
/// are listed in `data.not_read`, and no log at all is a report with
/// status `error` saying which paths were tried.
pub fn nes_clients(request: &NesClientsRequest) -> Result<Report<NesClientsData>, Error> {
    let ctx = request.check()?;
    let mut report = ReportBuilder::new(Capability::NesClients.name());
    report.caller(request.caller.as_deref());
    let expanded = if request.paths.is_empty() {
        nes_server_defaults()
    } else {
        expand(&request.paths)
    };
    let read = read::read_all(&expanded.files, &ctx);
    let mut not_read = expanded.not_scanned;
    not_read.extend(read.not_read);
    let counted: u64 = read.files.iter().map(|f| f.records_counted).sum();
    let forwarded_seen = read.tally.forwarded_seen;
    let over_cap = read.tally.over_cap;
    let (seen, bad_address) = read.tally.by_address();

    let missing = missing_fields(&read.missing, counted, ctx.stem.is_some());
    let names_unknown = counted > 0 && read.missing[question(Role::User)] >= counted;
    let machines: Vec<Vec<String>> = seen
        .iter()
        .map(|(_, acc)| {
            acc.names
                .iter()
                .filter_map(|n| expected::machine_account(n))
                .collect()
        })
        .collect();
    let mut rows: Vec<NesClient> = seen
        .iter()
        .map(|(ip, acc)| row(*ip, acc, &ctx, request.include_user_names))
        .collect();
    // Without a log read, absence says nothing: no NEVER_SEEN rows.
    if !read.files.is_empty() {
        add_expected(
            &mut rows,
            &machines,
            &request.expected_clients,
            names_unknown,
        );
    }
    rows.sort_by(|a, b| (a.state, &a.client).cmp(&(b.state, &b.client)));

    let mut states = StateCounts::default();
    for r in &rows {
        *match r.state {
            ClientState::AuthFailing => &mut states.auth_failing,
            ClientState::NesErrors => &mut states.nes_errors,
            ClientState::NotRenewing => &mut states.not_renewing,
            ClientState::NeverSeen => &mut states.never_seen,
            ClientState::Ok => &mut states.ok,
        } += 1;
    }

    if read.files.is_empty() {
        let tried: Vec<String> = if expanded.searched.is_empty() {
            request.paths.clone()
        } else {
            expanded
                .searched
                .iter()
                .map(|s| format!(r"{}\{}", s.folder, s.pattern))
                .collect()
        };
        report.warning(format!(
            "no IIS logs found; paths tried: {}",
            tried.join("; ")
        ));
        report.coverage(
            "iis_logs",
            CoverageState::Failed,
            Some("no IIS or HTTP.sys error log was read".to_owned()),
        );
        report.failed();
    } else {
        report.coverage("iis_logs", CoverageState::Checked, None);
    }
    for m in &missing {
        report.warning(format!(
            "{} record(s) without {}: {}",
            m.records, m.field, m.consequence
        ));
    }
    if over_cap > 0 {
        report.warning(format!(
            "more than {} distinct clients: {over_cap} request(s) of further clients were not \
             tallied (raise max_clients or narrow the window or uri_stem)",
            ctx.max_clients
        ));
    }
    if bad_address > 0 {
        report.warning(format!(
            "{bad_address} request(s) whose client address is not an IP address were not tallied"
        ));
    }
    if !request.expected_clients.is_empty() && names_unknown {
        report.warning(
            "cs-username is not logged: expected clients given by name cannot be matched and \
             show as NEVER_SEEN",
        );
    }
    for state in ClientState::ALL {
        if state == ClientState::Ok {
            continue;
        }
        let of: Vec<&str> = rows
            .iter()
            .filter(|r| r.state == state)
            .map(|r| r.client.as_str())
            .collect();
        if of.is_empty() {
            continue;
        }
        let shown: Vec<&str> = of.iter().take(20).copied().collect();
        report.finding(
            Finding::new(
                format!("NES_CLIENTS_{}", state.as_str()),
                Severity::Warning,
                format!("{} client(s) {}", of.len(), state.as_str()),
                format!(
                    "{} client(s) in state {}: {}{}",
                    of.len(),
                    state.as_str(),
                    shown.join(", "),
                    if of.len() > shown.len() { ", ..." } else { "" }
                ),
            )
            .with_evidence("clients", &shown)
            .with_remediation(state::next_step(state)),
        );
    }

    let summary = summary(&states, rows.len(), read.files.len(), counted);
    Ok(report.finish(NesClientsData {
        summary,
        window: NesWindow {
            since: ctx.since,
            until: request.until,
            now: ctx.now,
            reference: ctx.reference,
            renewal_days: ctx.renewal_days,
            renewal_cutoff: crate::logs::model::clean::utc(ctx.cutoff_ms).unwrap_or(ctx.since),
        },
        uri_stem: ctx.stem.clone(),
        states,
        clients: rows,
        forwarded_for_logged: forwarded_seen,
        missing_fields: missing,
        max_clients: ctx.max_clients,
        requests_over_client_cap: over_cap,
        files: read.files,
        not_read,
        searched_locations: expanded.searched,
    }))
}

fn question(role: Role) -> usize {
    QUESTIONS.iter().position(|q| *q == role).unwrap_or(0)
}

/// The questions left open, from the records counted without a field.
fn missing_fields(missing: &[u64; QUESTIONS.len()], counted: u64, stem: bool) -> Vec<MissingField> {
    let mut out = Vec::new();
    for (q, &n) in QUESTIONS.iter().zip(missing) {
        if n == 0 || (*q == Role::Stem && !stem) {
            continue;
        }
        let consequence = match q {
            Role::Date => "the records have no date or time and were not counted",
            Role::ClientIp => "the client is unknown (no c-ip and no X-Forwarded-For)",
            Role::Status => "success and failure cannot be told apart; states are unreliable",
            Role::Substatus => {
                "401s cannot be split by substatus (401.1 logon failed, 401.2 challenge)"
            }
            Role::Win32 => {
                "Kerberos failures (401.1 with Win32 status 2148074254) cannot be told from other \
                 401s"
            }
            Role::User => "user and machine names are unknown; expected names cannot be matched",
            _ => "the uri_stem filter cannot apply; the records were left out",
        };
        let _ = counted;
        out.push(MissingField {
            field: q.field().to_owned(),
            records: n,
            consequence: consequence.to_owned(),
        });
    }
    out
}

fn summary(states: &StateCounts, rows: usize, files: usize, counted: u64) -> String {
    if files == 0 {
        return "No IIS logs found: nothing was read.".to_owned();
    }
    format!(
        "{rows} client(s) from {counted} request(s) in {files} file(s): {} AUTH_FAILING, {} \
         NES_ERRORS, {} NOT_RENEWING, {} NEVER_SEEN, {} OK.",
        states.auth_failing, states.nes_errors, states.not_renewing, states.never_seen, states.ok
    )
}

fn text(bytes: &[u8]) -> String {
    crate::report::safe_text(&String::from_utf8_lossy(bytes).replace('+', " "), 256)
}

/// The row of a client seen in the logs.
fn row(ip: IpAddr, acc: &ClientAcc, ctx: &request::Checked, names: bool) -> NesClient {
    let (state, reason) = state::state_of(acc, ctx.cutoff_ms);
    let utc = crate::logs::model::clean::utc;
    let mut detail: Vec<Status401> = acc
        .by401
        .iter()
        .map(|((substatus, win32_status), count)| Status401 {
            substatus: *substatus,
            win32_status: *win32_status,
            count: *count,
        })
        .collect();
    detail.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| (a.substatus, a.win32_status).cmp(&(b.substatus, b.win32_status)))
    });
    let mut reasons = acc.reasons.clone();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let address_source = match acc.via_forwarded {
        0 => AddressSource::CIp,
        n if n == acc.requests => AddressSource::XForwardedFor,
        _ => AddressSource::Both,
    };
    let machine_name = acc.machine.as_ref().map(|(_, m)| {
        let t = text(m);
        let t = t.rsplit('\\').next().unwrap_or(&t).to_owned();
        t.split('@')
            .next()
            .unwrap_or(&t)
            .trim_end_matches('$')
            .to_owned()
    });
    let mut user_names: Vec<String> = acc.names.iter().map(|n| text(n)).collect();
    user_names.sort();
    NesClient {
        client: ip.to_string(),
        state,
        reason,
        next_step: state::next_step(state).to_owned(),
        address_source,
        expected_as: None,
        machine_name,
        first_seen: utc(acc.first_seen),
        last_seen: utc(acc.last_seen),
        requests: acc.requests,
        successes: acc.successes,
        status_401: acc.s401,
        kerberos_failures: acc.kerberos,
        status_401_detail: detail,
        status_403: acc.s403,
        status_5xx: acc.s5xx,
        status_other_4xx: acc.other4xx,
        http_sys_errors: acc.http_sys,
        http_sys_reasons: reasons.iter().take(4).map(|(r, _)| text(r)).collect(),
        last_success: acc.last_success.and_then(utc),
        last_failure: acc.last_failure.as_ref().and_then(|f| utc(f.at)),
        last_failure_status: acc.last_failure.as_ref().map(|f| match &f.reason {
            Some(r) => text(r),
            None => match f.substatus {
                Some(s) => format!("{}.{s}", f.status),
                None => f.status.to_string(),
            },
        }),
        user_names_seen: acc.names.len() as u64,
        user_names: names.then_some(user_names),
    }
}

/// Marks the rows that answer an expected client and adds a `NEVER_SEEN`
/// row for each one absent.
/// `machines[i]` are the folded machine accounts of `rows[i]`.
fn add_expected(
    rows: &mut Vec<NesClient>,
    machines: &[Vec<String>],
    expected: &[String],
    names_unknown: bool,
) {
    let mut absent = Vec::new();
    for entry in expected {
        let want = expected::parse(entry);
        let mut found = false;
        for (r, m) in rows.iter_mut().zip(machines) {
            let hit = match &want {
                Expected::Address(ip) => r.client.parse::<IpAddr>().ok() == Some(*ip),
                Expected::Name(n) => m.contains(n),
            };
            if hit {
                found = true;
                if r.expected_as.is_none() {
                    r.expected_as = Some(entry.trim().to_owned());
                }
            }
        }
        if !found && !absent.iter().any(|(w, _): &(Expected, String)| *w == want) {
            absent.push((want, entry.trim().to_owned()));
        }
    }
    for (want, entry) in absent {
        let reason = match (&want, names_unknown) {
            (Expected::Name(_), true) => {
                "expected by name, but cs-username is not logged: it cannot be matched".to_owned()
            }
            (Expected::Name(_), false) => {
                "expected, but no machine account of this name in the window".to_owned()
            }
            (Expected::Address(_), _) => {
                "expected, but no request from it in the window".to_owned()
            }
        };
        rows.push(NesClient {
            client: match want {
                Expected::Address(ip) => ip.to_string(),
                Expected::Name(_) => crate::report::safe_text(&entry, 256),
            },
            state: ClientState::NeverSeen,
            reason,
            next_step: state::next_step(ClientState::NeverSeen).to_owned(),
            address_source: AddressSource::Expected,
            expected_as: Some(crate::report::safe_text(&entry, 256)),
            machine_name: None,
            first_seen: None,
            last_seen: None,
            requests: 0,
            successes: 0,
            status_401: 0,
            kerberos_failures: 0,
            status_401_detail: Vec::new(),
            status_403: 0,
            status_5xx: 0,
            status_other_4xx: 0,
            http_sys_errors: 0,
            http_sys_reasons: Vec::new(),
            last_success: None,
            last_failure: None,
            last_failure_status: None,
            user_names_seen: 0,
            user_names: None,
        });
    }
}
