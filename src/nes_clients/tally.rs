//! Per-client counters, kept by raw address text while files are read
//! (no parsing or allocation for a client already seen), merged across
//! threads and then by IP address.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::logs::model::request::parse_address;

/// Most 401 substatus and Win32 status pairs kept per client.
pub(super) const MAX_401_KINDS: usize = 16;
/// Most distinct user names kept per client.
pub(super) const MAX_NAMES: usize = 32;
/// Most HTTP.sys reasons kept per client.
const MAX_REASONS: usize = 8;
/// `sc-win32-status` of the Kerberos failure on a 401.1
/// (0x8009030E, `SEC_E_NO_CREDENTIALS`).
pub(super) const KERBEROS_WIN32: u64 = 2_148_074_254;

/// A failure: its time and what it was, ordered so that two at the same
/// millisecond give the same answer whatever thread read them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Failure {
    pub(super) at: i64,
    pub(super) status: u16,
    pub(super) substatus: Option<u32>,
    /// The HTTP.sys reason, for an HTTP.sys error line.
    pub(super) reason: Option<Box<[u8]>>,
}

/// A 401's substatus and Win32 status, as logged.
pub(super) type Kind401 = (Option<u32>, Option<u64>);

/// What one record says about its client.
#[derive(Debug)]
pub(super) struct Event<'l> {
    pub(super) at: i64,
    pub(super) forwarded: bool,
    pub(super) status: Option<u16>,
    pub(super) substatus: Option<u32>,
    pub(super) win32: Option<u64>,
    pub(super) user: Option<&'l [u8]>,
    /// An HTTP.sys error line, with its reason when logged.
    pub(super) http_sys: Option<Option<&'l [u8]>>,
}

/// Counters of one client.
#[derive(Clone, Debug, Default)]
pub(super) struct ClientAcc {
    pub(super) first_seen: i64,
    pub(super) last_seen: i64,
    pub(super) requests: u64,
    pub(super) successes: u64,
    pub(super) s401: u64,
    pub(super) kerberos: u64,
    /// (substatus, win32 status) → count.
    pub(super) by401: Vec<(Kind401, u64)>,
    /// 401s of pairs beyond [`MAX_401_KINDS`].
    pub(super) by401_other: u64,
    pub(super) s403: u64,
    pub(super) s5xx: u64,
    pub(super) other4xx: u64,
    pub(super) http_sys: u64,
    pub(super) reasons: Vec<(Box<[u8]>, u64)>,
    pub(super) last_success: Option<i64>,
    pub(super) last_401: Option<i64>,
    pub(super) last_5xx: Option<i64>,
    pub(super) last_failure: Option<Failure>,
    pub(super) via_forwarded: u64,
    pub(super) names: Vec<Box<[u8]>>,
    /// The earliest machine account (`...$`) seen, with its time.
    pub(super) machine: Option<(i64, Box<[u8]>)>,
}

fn later(a: &mut Option<i64>, t: i64) {
    if a.is_none_or(|v| t > v) {
        *a = Some(t);
    }
}

impl ClientAcc {
    fn record(&mut self, e: &Event<'_>) {
        if self.requests == 0 {
            self.first_seen = e.at;
            self.last_seen = e.at;
        } else {
            self.first_seen = self.first_seen.min(e.at);
            self.last_seen = self.last_seen.max(e.at);
        }
        self.requests += 1;
        if e.forwarded {
            self.via_forwarded += 1;
        }
        if let Some(user) = e.user {
            self.name(e.at, user);
        }
        let failed = |acc: &mut ClientAcc, status: u16, reason: Option<&[u8]>| {
            let f = Failure {
                at: e.at,
                status,
                substatus: e.substatus,
                reason: reason.map(Box::from),
            };
            if acc.last_failure.as_ref().is_none_or(|l| f > *l) {
                acc.last_failure = Some(f);
            }
        };
        if let Some(reason) = e.http_sys {
            self.http_sys += 1;
            if let Some(r) = reason {
                add_reason(&mut self.reasons, r, 1);
            }
            let status = e.status.unwrap_or(0);
            if (500..600).contains(&status) {
                self.s5xx += 1;
                later(&mut self.last_5xx, e.at);
            }
            failed(self, status, Some(reason.unwrap_or(b"HTTP.sys error")));
            return;
        }
        let Some(status) = e.status else { return };
        match status {
            200..=399 => {
                self.successes += 1;
                later(&mut self.last_success, e.at);
            }
            401 => {
                self.s401 += 1;
                if e.substatus == Some(1) && e.win32 == Some(KERBEROS_WIN32) {
                    self.kerberos += 1;
                }
                self.add_401((e.substatus, e.win32), 1);
                later(&mut self.last_401, e.at);
                failed(self, status, None);
            }
            403 => {
                self.s403 += 1;
                failed(self, status, None);
            }
            400..=499 => {
                self.other4xx += 1;
                failed(self, status, None);
            }
            500..=599 => {
                self.s5xx += 1;
                later(&mut self.last_5xx, e.at);
                failed(self, status, None);
            }
            _ => {}
        }
    }

    fn name(&mut self, at: i64, user: &[u8]) {
        if user.last() == Some(&b'$') && self.machine.as_ref().is_none_or(|(t, _)| at < *t) {
            self.machine = Some((at, Box::from(user)));
        }
        // Exact first: a client nearly always repeats the same spelling.
        if self.names.iter().any(|n| n[..] == *user) {
            return;
        }
        if self.names.len() < MAX_NAMES
            && !self.names.iter().any(|n| n[..].eq_ignore_ascii_case(user))
        {
            self.names.push(Box::from(user));
        }
    }

    fn add_401(&mut self, key: Kind401, n: u64) {
        if let Some(slot) = self.by401.iter_mut().find(|(k, _)| *k == key) {
            slot.1 += n;
        } else if self.by401.len() < MAX_401_KINDS {
            self.by401.push((key, n));
        } else {
            self.by401_other += n;
        }
    }

    /// Adds another accumulator of the same client.
    pub(super) fn merge(&mut self, o: ClientAcc) {
        if o.requests == 0 {
            return;
        }
        if self.requests == 0 {
            *self = o;
            return;
        }
        self.first_seen = self.first_seen.min(o.first_seen);
        self.last_seen = self.last_seen.max(o.last_seen);
        self.requests += o.requests;
        self.successes += o.successes;
        self.s401 += o.s401;
        self.kerberos += o.kerberos;
        for (k, n) in o.by401 {
            self.add_401(k, n);
        }
        self.by401_other += o.by401_other;
        self.s403 += o.s403;
        self.s5xx += o.s5xx;
        self.other4xx += o.other4xx;
        self.http_sys += o.http_sys;
        for (r, n) in o.reasons {
            add_reason(&mut self.reasons, &r, n);
        }
        for t in [o.last_success].into_iter().flatten() {
            later(&mut self.last_success, t);
        }
        for t in [o.last_401].into_iter().flatten() {
            later(&mut self.last_401, t);
        }
        for t in [o.last_5xx].into_iter().flatten() {
            later(&mut self.last_5xx, t);
        }
        if let Some(f) = o.last_failure
            && self.last_failure.as_ref().is_none_or(|l| f > *l)
        {
            self.last_failure = Some(f);
        }
        self.via_forwarded += o.via_forwarded;
        for n in o.names {
            self.name(i64::MAX, &n);
        }
        if let Some((t, m)) = o.machine {
            let replace = match &self.machine {
                None => true,
                Some((st, sm)) => (t, &m) < (*st, sm),
            };
            if replace {
                self.machine = Some((t, m));
            }
        }
    }
}

fn add_reason(reasons: &mut Vec<(Box<[u8]>, u64)>, r: &[u8], n: u64) {
    if let Some(slot) = reasons.iter_mut().find(|(k, _)| &k[..] == r) {
        slot.1 += n;
    } else if reasons.len() < MAX_REASONS {
        reasons.push((Box::from(r), n));
    }
}

/// The clients of one thread (or, merged, of all), by raw address text.
#[derive(Debug)]
pub(super) struct Tally {
    /// Address text → index into `accs`.
    index: HashMap<Box<[u8]>, u32>,
    accs: Vec<ClientAcc>,
    /// The last client looked up: a terminal's requests come in runs (the
    /// Negotiate challenge and its answer), so most lines skip the hash.
    last: Option<(Vec<u8>, u32)>,
    pub(super) max_clients: usize,
    /// Requests of clients beyond the cap.
    pub(super) over_cap: u64,
    pub(super) forwarded_seen: bool,
}

impl Tally {
    pub(super) fn new(max_clients: usize) -> Tally {
        Tally {
            index: HashMap::new(),
            accs: Vec::new(),
            last: None,
            max_clients,
            over_cap: 0,
            forwarded_seen: false,
        }
    }

    /// Distinct address texts tallied.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.accs.len()
    }

    /// Counts one record of the client whose address text is `key`.
    pub(super) fn record(&mut self, key: &[u8], e: &Event<'_>) {
        if e.forwarded {
            self.forwarded_seen = true;
        }
        if let Some((k, i)) = &self.last
            && k[..] == *key
        {
            self.accs[*i as usize].record(e);
            return;
        }
        let i = match self.index.get(key) {
            Some(&i) => i,
            None => {
                if self.accs.len() >= self.max_clients {
                    self.over_cap += 1;
                    return;
                }
                let i = self.accs.len() as u32;
                self.accs.push(ClientAcc::default());
                self.index.insert(Box::from(key), i);
                i
            }
        };
        self.accs[i as usize].record(e);
        match &mut self.last {
            Some((k, at)) => {
                k.clear();
                k.extend_from_slice(key);
                *at = i;
            }
            None => self.last = Some((key.to_vec(), i)),
        }
    }

    /// The clients by address text.
    fn into_clients(self) -> impl Iterator<Item = (Box<[u8]>, ClientAcc)> {
        let mut accs: Vec<Option<ClientAcc>> = self.accs.into_iter().map(Some).collect();
        self.index
            .into_iter()
            .filter_map(move |(k, i)| accs[i as usize].take().map(|a| (k, a)))
    }

    /// Adds another thread's tally.
    pub(super) fn merge(&mut self, other: Tally) {
        self.over_cap += other.over_cap;
        self.forwarded_seen |= other.forwarded_seen;
        for (k, acc) in other.into_clients() {
            if let Some(&i) = self.index.get(&k) {
                self.accs[i as usize].merge(acc);
            } else if self.accs.len() < self.max_clients {
                self.index.insert(k, self.accs.len() as u32);
                self.accs.push(acc);
            } else {
                self.over_cap += acc.requests;
            }
        }
    }

    /// The clients by IP address (`::1%0` and `::1`, `::ffff:10.0.0.1`
    /// and `10.0.0.1` fall together), and the requests whose address
    /// text is not an IP address.
    pub(super) fn by_address(self) -> (Vec<(IpAddr, ClientAcc)>, u64) {
        let mut by: HashMap<IpAddr, ClientAcc> = HashMap::new();
        let mut bad = 0;
        for (k, acc) in self.into_clients() {
            match std::str::from_utf8(&k).ok().and_then(parse_address) {
                Some(ip) => by.entry(ip).or_default().merge(acc),
                None => bad += acc.requests,
            }
        }
        let mut v: Vec<(IpAddr, ClientAcc)> = by.into_iter().collect();
        v.sort_by_key(|(ip, _)| *ip);
        (v, bad)
    }
}

/// The first address of an `X-Forwarded-For` value (`a, b`; IIS writes
/// spaces as `+`), without a port (`10.0.0.1:5123`, `[2001:db8::1]:443`)
/// or quotes; `None` when it is not an IP address.
pub(super) fn first_forwarded(value: &[u8]) -> Option<&[u8]> {
    let first = match memchr::memchr(b',', value) {
        Some(i) => &value[..i],
        None => value,
    };
    let trim = |b: &u8| matches!(b, b' ' | b'+' | b'"' | b'\t');
    let s = first.iter().position(|b| !trim(b))?;
    let e = first.iter().rposition(|b| !trim(b))? + 1;
    let first = &first[s..e];
    let text = std::str::from_utf8(first).ok()?;
    if parse_address(text).is_some() {
        return Some(first);
    }
    let host = match text.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => text.rsplit_once(':').map(|(h, _)| h)?,
    };
    parse_address(host)?;
    let at = text.find(host)?;
    Some(&first[at..at + host.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(at: i64, status: u16) -> Event<'static> {
        Event {
            at,
            forwarded: false,
            status: Some(status),
            substatus: None,
            win32: None,
            user: None,
            http_sys: None,
        }
    }

    #[test]
    fn forwarded_for_gives_its_first_address() {
        assert_eq!(
            first_forwarded(b"10.1.2.3,+10.0.0.1"),
            Some(&b"10.1.2.3"[..])
        );
        assert_eq!(first_forwarded(b"10.1.2.3:5123"), Some(&b"10.1.2.3"[..]));
        assert_eq!(
            first_forwarded(b"[2001:db8::1]:443"),
            Some(&b"2001:db8::1"[..])
        );
        assert_eq!(first_forwarded(b"2001:db8::1"), Some(&b"2001:db8::1"[..]));
        assert_eq!(first_forwarded(b"\"fe80::1%12\""), Some(&b"fe80::1%12"[..]));
        assert_eq!(first_forwarded(b"unknown,+10.0.0.1"), None);
    }

    #[test]
    fn the_cap_bounds_distinct_clients() {
        let mut t = Tally::new(2);
        for key in [&b"a"[..], b"b", b"c", b"a", b"d"] {
            t.record(key, &ev(1, 200));
        }
        assert_eq!(t.len(), 2);
        assert_eq!(t.over_cap, 2);
    }

    #[test]
    fn merging_is_order_free_and_joins_address_spellings() {
        let mut a = Tally::new(10);
        let mut b = Tally::new(10);
        a.record(b"::1%0", &ev(5, 401));
        b.record(b"0:0:0:0:0:0:0:1", &ev(5, 500));
        b.record(b"::ffff:10.0.0.1", &ev(7, 200));
        a.record(b"10.0.0.1", &ev(3, 200));
        a.merge(b);
        let (rows, bad) = a.by_address();
        assert_eq!(bad, 0);
        assert_eq!(rows.len(), 2);
        let v4 = &rows.iter().find(|(ip, _)| ip.is_ipv4()).unwrap().1;
        assert_eq!(
            (v4.requests, v4.first_seen, v4.last_success),
            (2, 3, Some(7))
        );
        let v6 = &rows.iter().find(|(ip, _)| ip.is_ipv6()).unwrap().1;
        // Same millisecond: the higher status is the last failure.
        assert_eq!(v6.last_failure.as_ref().unwrap().status, 500);
    }
}
