//! TCP stage: connect to every address of the first hop at once, each
//! bounded by the connect timeout, and keep the first connection that
//! succeeds. Every address gets its own result, so one firewalled node of
//! two shows up even when the other answers.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::report::{Finding, Severity};

use super::ids;
use super::model::{MAX_TEXT, TcpAttempt, TcpOutcome, cap_text, millis};

/// How long the other attempts may still finish after the first connection
/// succeeded, so their results are worth reporting without delaying a
/// healthy probe.
const GRACE_AFTER_SUCCESS: Duration = Duration::from_millis(300);
/// Slack on top of the connect timeout before a silent attempt is written
/// off (the OS timer, thread start-up).
const WAIT_SLACK: Duration = Duration::from_millis(250);

/// Result of the TCP stage.
#[derive(Debug)]
pub(crate) struct Connected {
    pub(crate) attempts: Vec<TcpAttempt>,
    pub(crate) stream: Option<(TcpStream, SocketAddr)>,
}

/// Classifies a connect error.
pub(crate) fn outcome_of(error: &io::Error) -> TcpOutcome {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => TcpOutcome::Refused,
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TcpOutcome::Timeout,
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            TcpOutcome::Unreachable
        }
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => TcpOutcome::Reset,
        _ => TcpOutcome::Error,
    }
}

/// Connects to `addrs` in parallel, each attempt bounded by `timeout`.
pub(crate) fn connect_all(addrs: &[SocketAddr], timeout: Duration) -> Connected {
    let timeout = timeout.max(Duration::from_millis(1));
    let started = Instant::now();
    let (tx, rx) = mpsc::channel::<(usize, io::Result<TcpStream>, Duration)>();
    let mut attempts: Vec<TcpAttempt> = addrs
        .iter()
        .map(|a| TcpAttempt {
            address: a.to_string(),
            outcome: TcpOutcome::Timeout,
            duration_ms: 0,
            error: None,
        })
        .collect();
    let mut pending = vec![false; addrs.len()];
    for (i, addr) in addrs.iter().copied().enumerate() {
        let tx = tx.clone();
        let spawned = std::thread::Builder::new()
            .name("nymidiag-tcp".to_owned())
            .spawn(move || {
                let t = Instant::now();
                let result = TcpStream::connect_timeout(&addr, timeout);
                // The receiver is gone once a winner was picked; the stream
                // is then dropped here, closing it.
                let _ = tx.send((i, result, t.elapsed()));
            });
        match spawned {
            Ok(_) => pending[i] = true,
            Err(e) => {
                attempts[i].outcome = TcpOutcome::Error;
                attempts[i].error = Some(format!("could not start a connect thread: {e}"));
            }
        }
    }
    drop(tx);

    let mut winner: Option<(TcpStream, SocketAddr)> = None;
    let mut stop_at = started + timeout + WAIT_SLACK;
    while pending.iter().any(|p| *p) {
        let now = Instant::now();
        if now >= stop_at {
            break;
        }
        let Ok((i, result, took)) = rx.recv_timeout(stop_at - now) else {
            break;
        };
        pending[i] = false;
        attempts[i].duration_ms = millis(took);
        match result {
            Ok(stream) => {
                attempts[i].outcome = TcpOutcome::Connected;
                if winner.is_none() {
                    winner = Some((stream, addrs[i]));
                    stop_at = stop_at.min(Instant::now() + GRACE_AFTER_SUCCESS);
                }
            }
            Err(e) => {
                attempts[i].outcome = outcome_of(&e);
                attempts[i].error = Some(cap_text(&e.to_string(), MAX_TEXT));
            }
        }
    }
    for (i, still) in pending.iter().enumerate() {
        if *still {
            let attempt = &mut attempts[i];
            attempt.duration_ms = millis(started.elapsed());
            attempt.outcome = if winner.is_some() {
                TcpOutcome::Abandoned
            } else {
                TcpOutcome::Timeout
            };
        }
    }
    Connected {
        attempts,
        stream: winner,
    }
}

/// The finding for a TCP stage in which no address connected. The outcome
/// of the first address (the one a client tries first) names the failure;
/// every attempt is in the evidence.
pub(crate) fn failure_finding(
    hop: &str,
    port: u16,
    attempts: &[TcpAttempt],
    timeout_ms: u64,
    by_deadline: bool,
) -> Finding {
    let first = attempts
        .iter()
        .find(|a| a.outcome != TcpOutcome::Abandoned)
        .map_or(TcpOutcome::Error, |a| a.outcome);
    let all_same = attempts.iter().all(|a| a.outcome == first);
    let scope = if attempts.len() > 1 && all_same {
        "every address of "
    } else {
        ""
    };
    let list = attempts
        .iter()
        .map(|a| format!("{} {:?}", a.address, a.outcome).to_lowercase())
        .collect::<Vec<_>>()
        .join(", ");
    let limit = if by_deadline {
        format!("{timeout_ms} ms (cut short by the overall deadline)")
    } else {
        format!("{timeout_ms} ms")
    };
    let (id, title, detail, remediation) = match first {
        TcpOutcome::Refused => (
            ids::NES_TCP_REFUSED,
            "The connection to port {port} was refused",
            format!(
                "{scope}{hop} refused TCP port {port} ({list}): nothing listens on that \
                 port, or a firewall rejects the connection actively."
            ),
            "Check that the NES site in IIS is bound to this port and started, and \
             that no firewall between the terminal and NES rejects the port.",
        ),
        TcpOutcome::Timeout => (
            ids::NES_TCP_TIMEOUT,
            "No answer on port {port}: dropped by a firewall or no route",
            format!(
                "{scope}{hop} did not answer on TCP port {port} within {limit} ({list}): \
                 the connection is dropped by a firewall or there is no route."
            ),
            "Open TCP {port} from this terminal to NES; look for DROP lines for the \
             port in pfirewall.log on the terminal and on NES, and check network \
             firewalls and routes.",
        ),
        TcpOutcome::Unreachable => (
            ids::NES_TCP_UNREACHABLE,
            "The NES network or host is unreachable",
            format!(
                "{scope}{hop} is unreachable on TCP port {port} ({list}): the network \
                 reports no route to the host."
            ),
            "Check the terminal's routes, VPN and the network path to NES.",
        ),
        TcpOutcome::Reset => (
            ids::NES_TCP_RESET,
            "The connection to port {port} was reset",
            format!(
                "{scope}{hop} reset the connection on TCP port {port} while it was being \
                 set up ({list})."
            ),
            "A firewall or load balancer in the path resets the connection: check its \
             rules for this terminal and port.",
        ),
        _ => (
            ids::NES_TCP_FAILED,
            "The TCP connection failed",
            format!("The connection to {hop} on TCP port {port} failed ({list})."),
            "Check the network path from this terminal to NES.",
        ),
    };
    let mut finding = Finding::new(
        id,
        Severity::Error,
        title.replace("{port}", &port.to_string()),
        detail,
    )
    .with_evidence("attempts", attempts)
    .with_evidence("port", port)
    .with_remediation(remediation.replace("{port}", &port.to_string()))
    .with_ref("nymi-domain.md §5 check F");
    if first == TcpOutcome::Timeout {
        finding = finding.with_evidence(
            "limited_by",
            if by_deadline {
                "deadline"
            } else {
                "tcp_timeout"
            },
        );
    }
    finding
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn connects_and_reports_refusals_per_address() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        let closed = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let c = connect_all(&[closed, open], Duration::from_secs(2));
        let (_, addr) = c.stream.expect("one address connects");
        assert_eq!(addr, open);
        assert_eq!(c.attempts[0].outcome, TcpOutcome::Refused);
        assert_eq!(c.attempts[1].outcome, TcpOutcome::Connected);
    }

    #[test]
    fn refusal_finding_names_the_port() {
        let attempts = [TcpAttempt {
            address: "127.0.0.1:9".into(),
            outcome: TcpOutcome::Refused,
            duration_ms: 1,
            error: Some("refused".into()),
        }];
        let f = failure_finding("NES (localhost)", 9, &attempts, 5000, false);
        assert_eq!(f.id, ids::NES_TCP_REFUSED);
        assert!(f.title.contains("port 9"), "{}", f.title);
    }

    #[test]
    fn classifies_io_errors() {
        use io::ErrorKind::*;
        let of = |k| outcome_of(&io::Error::from(k));
        assert_eq!(of(ConnectionRefused), TcpOutcome::Refused);
        assert_eq!(of(TimedOut), TcpOutcome::Timeout);
        assert_eq!(of(HostUnreachable), TcpOutcome::Unreachable);
        assert_eq!(of(NetworkUnreachable), TcpOutcome::Unreachable);
        assert_eq!(of(ConnectionReset), TcpOutcome::Reset);
        assert_eq!(of(PermissionDenied), TcpOutcome::Error);
    }
}
