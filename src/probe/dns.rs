//! DNS stage: every A/AAAA address of the first hop, within a bound.
//!
//! The operating system's resolver has no timeout of its own, so it runs on
//! a worker thread and the stage waits at most its budget; a resolver that
//! never answers leaves that thread behind, detached, which is the price of
//! never hanging the caller. The resolver is a seam ([`Resolve`]) so tests
//! can replace it and never depend on external DNS.

use std::fmt;
use std::net::{IpAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why a name did not resolve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DnsFailureKind {
    /// The DNS servers answered that the name does not exist (NXDOMAIN).
    NameNotFound,
    /// The name exists but has no A or AAAA record.
    NoAddresses,
    /// The resolver did not answer (DNS server unreachable or failing).
    NoAnswer,
    /// No answer within the stage's budget.
    Timeout,
    /// Anything else.
    Other,
}

/// A failed lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveError {
    /// Why it failed.
    pub kind: DnsFailureKind,
    /// The resolver's own message.
    pub message: String,
}

/// Something that turns a host name into addresses. [`SystemResolver`] is
/// what the probe uses; tests pass their own.
pub trait Resolve: Send + Sync + fmt::Debug {
    /// Every address of `host`, in the order a client should try them.
    fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError>;
}

/// The operating system's resolver (`getaddrinfo`), as every Windows
/// client uses it: hosts file, DNS suffixes, LLMNR.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
        match (host, 0u16).to_socket_addrs() {
            Ok(addrs) => Ok(addrs.map(|a| a.ip()).collect()),
            Err(e) => Err(ResolveError {
                kind: classify_io_error(e.raw_os_error(), &e.to_string()),
                message: e.to_string(),
            }),
        }
    }
}

/// Tells "the name does not exist" from "the resolver did not answer".
/// Windows reports WinSock codes; Unix `getaddrinfo` errors come only as
/// text, in glibc's or the BSDs' wording.
pub(crate) fn classify_io_error(raw_os_error: Option<i32>, message: &str) -> DnsFailureKind {
    match raw_os_error {
        Some(11001) => return DnsFailureKind::NameNotFound, // WSAHOST_NOT_FOUND
        Some(11002) => return DnsFailureKind::NoAnswer,     // WSATRY_AGAIN
        Some(11003) => return DnsFailureKind::NoAnswer,     // WSANO_RECOVERY
        Some(11004) => return DnsFailureKind::NoAddresses,  // WSANO_DATA
        _ => {}
    }
    let m = message.to_ascii_lowercase();
    if m.contains("no address associated") {
        DnsFailureKind::NoAddresses
    } else if m.contains("not known") || m.contains("no such host") || m.contains("not found") {
        DnsFailureKind::NameNotFound
    } else if m.contains("temporary failure") || m.contains("try again") || m.contains("timed out")
    {
        DnsFailureKind::NoAnswer
    } else {
        DnsFailureKind::Other
    }
}

/// Resolves `host` on a worker thread and waits at most `limit`. Duplicate
/// addresses are dropped, keeping the resolver's order.
pub(crate) fn resolve_bounded(
    resolver: Arc<dyn Resolve>,
    host: &str,
    limit: Duration,
) -> Result<Vec<IpAddr>, ResolveError> {
    let (tx, rx) = mpsc::channel();
    let name = host.to_owned();
    let spawned = std::thread::Builder::new()
        .name("nymidiag-dns".to_owned())
        .spawn(move || {
            // The receiver may be gone after a timeout; nothing to do then.
            let _ = tx.send(resolver.resolve(&name));
        });
    if let Err(e) = spawned {
        return Err(ResolveError {
            kind: DnsFailureKind::Other,
            message: format!("could not start the resolver thread: {e}"),
        });
    }
    let result = match rx.recv_timeout(limit) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(ResolveError {
            kind: DnsFailureKind::Timeout,
            message: format!("no answer within {} ms", limit.as_millis()),
        }),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(ResolveError {
            kind: DnsFailureKind::Other,
            message: "the resolver stopped without an answer".to_owned(),
        }),
    }?;
    let mut unique: Vec<IpAddr> = Vec::with_capacity(result.len());
    for ip in result {
        if !unique.contains(&ip) {
            unique.push(ip);
        }
    }
    if unique.is_empty() {
        return Err(ResolveError {
            kind: DnsFailureKind::NoAddresses,
            message: "the resolver returned no address".to_owned(),
        });
    }
    Ok(unique)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Slow;
    impl Resolve for Slow {
        fn resolve(&self, _: &str) -> Result<Vec<IpAddr>, ResolveError> {
            std::thread::sleep(Duration::from_secs(5));
            Ok(vec![])
        }
    }

    #[derive(Debug)]
    struct Fixed(Vec<IpAddr>);
    impl Resolve for Fixed {
        fn resolve(&self, _: &str) -> Result<Vec<IpAddr>, ResolveError> {
            Ok(self.0.clone())
        }
    }

    #[test]
    fn classifies_resolver_errors() {
        use DnsFailureKind::*;
        assert_eq!(classify_io_error(Some(11001), ""), NameNotFound);
        assert_eq!(classify_io_error(Some(11002), ""), NoAnswer);
        assert_eq!(classify_io_error(Some(11004), ""), NoAddresses);
        let glibc = "failed to lookup address information: Name or service not known";
        assert_eq!(classify_io_error(None, glibc), NameNotFound);
        let bsd =
            "failed to lookup address information: nodename nor servname provided, or not known";
        assert_eq!(classify_io_error(None, bsd), NameNotFound);
        let again = "failed to lookup address information: Temporary failure in name resolution";
        assert_eq!(classify_io_error(None, again), NoAnswer);
        let nodata = "failed to lookup address information: No address associated with hostname";
        assert_eq!(classify_io_error(None, nodata), NoAddresses);
        assert_eq!(classify_io_error(None, "weird"), Other);
    }

    #[test]
    fn a_stalled_resolver_ends_at_the_limit() {
        let started = std::time::Instant::now();
        let e = resolve_bounded(Arc::new(Slow), "x", Duration::from_millis(50)).unwrap_err();
        assert_eq!(e.kind, DnsFailureKind::Timeout);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[derive(Debug)]
    struct Broken;
    impl Resolve for Broken {
        fn resolve(&self, _: &str) -> Result<Vec<IpAddr>, ResolveError> {
            panic!("resolver bug")
        }
    }

    #[test]
    fn a_panicking_resolver_is_a_failure_not_a_timeout() {
        let e = resolve_bounded(Arc::new(Broken), "x", Duration::from_secs(5)).unwrap_err();
        assert_eq!(e.kind, DnsFailureKind::Other);
    }

    #[test]
    fn drops_duplicates_and_refuses_empty_answers() {
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "::1".parse().unwrap();
        let r = Arc::new(Fixed(vec![a, b, a]));
        assert_eq!(
            resolve_bounded(r, "x", Duration::from_secs(1)).unwrap(),
            [a, b]
        );
        let e = resolve_bounded(Arc::new(Fixed(vec![])), "x", Duration::from_secs(1));
        assert_eq!(e.unwrap_err().kind, DnsFailureKind::NoAddresses);
    }

    #[test]
    fn the_system_resolver_knows_localhost() {
        let ips = SystemResolver.resolve("localhost").unwrap();
        assert!(!ips.is_empty());
        assert!(ips.iter().all(IpAddr::is_loopback), "{ips:?}");
    }
}
