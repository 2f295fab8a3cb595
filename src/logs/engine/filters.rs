//! The request's address and port filters, applied to parsed records.

use std::net::IpAddr;

use super::scanner::Engine;
use crate::logs::input::format::Record;
use crate::logs::model::LogKind;
use crate::logs::model::request::{AddressSet, parse_address};

impl Engine<'_> {
    /// The address filters (see `LogScanRequest::client_addresses`):
    /// IIS by the request's client, firewall by either end; and the
    /// firewall port filter.
    pub(super) fn passes_filters(&self, kind: LogKind, rec: &Record<'_>) -> bool {
        let s = self.settings;
        let port = |name: &str| rec.field(name).and_then(|v| v.parse::<u16>().ok());
        let either_end = |set: &AddressSet| {
            set.is_empty()
                || ["src-ip", "dst-ip"]
                    .iter()
                    .any(|f| rec.field(f).is_some_and(|v| set.contains_text(v)))
        };
        match kind {
            LogKind::Iis => {
                s.client.is_empty() || iis_client(rec).is_some_and(|ip| s.client.contains(ip))
            }
            LogKind::Firewall => {
                either_end(&s.client)
                    && either_end(&s.remote)
                    && s.port
                        .is_none_or(|p| port("src-port") == Some(p) || port("dst-port") == Some(p))
            }
            _ => true,
        }
    }
}
/// The client of an IIS request: the first address of `X-Forwarded-For`
/// (`cs(X-Forwarded-For)`, or `X-Forwarded-For` as IIS custom logging
/// names it) when the record has one, so that a load balancer in front of
/// NES does not hide the terminals; otherwise `c-ip`.
fn iis_client(rec: &Record<'_>) -> Option<IpAddr> {
    let forwarded = rec
        .fields
        .iter()
        .find(|(n, _)| {
            n.eq_ignore_ascii_case("cs(X-Forwarded-For)")
                || n.eq_ignore_ascii_case("X-Forwarded-For")
        })
        .and_then(|(_, v)| first_forwarded(v));
    forwarded.or_else(|| rec.field("c-ip").and_then(parse_address))
}

/// The first address of an `X-Forwarded-For` value (`a, b, c`), with an
/// optional port (`10.0.0.1:5123`, `[2001:db8::1]:443`).
fn first_forwarded(value: &str) -> Option<IpAddr> {
    let first = value.split(',').next()?.trim().trim_matches('"');
    if let Some(ip) = parse_address(first) {
        return Some(ip);
    }
    let host = match first.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => first.rsplit_once(':').map(|(h, _)| h)?,
    };
    parse_address(host)
}
