//! The state of a client, why, and the next step.
//!
//! Rules, in order (the first that holds decides):
//!
//! 1. A 401 or a 5xx later than the last success (or no success at all):
//!    the latest failure decides. Its last 401 later than its last 5xx is
//!    `AUTH_FAILING`; its last 5xx later than its last 401 (or at the
//!    same second) is `NES_ERRORS`: what the terminal meets now is what
//!    needs fixing, and a server error at the same time as a 401 is the
//!    server's to fix first. A failure in the same second as the last
//!    success counts as before it (IIS logs whole seconds): Windows
//!    authentication answers every first request with a 401.2 challenge
//!    and the success follows within the second.
//! 2. No success at or after `renewal_cutoff` (`renewal_days` before the
//!    end of the window): `NOT_RENEWING`.
//! 3. Otherwise `OK`.
//!
//! 403s and other 4xx do not set a state (they are counted on the row):
//! a 403 is an authorization rule, not the Kerberos failure the issue's
//! first step looks for. An expected client absent from the window is
//! `NEVER_SEEN`.

use super::model::ClientState;
use super::tally::ClientAcc;

/// Round a Unix millisecond time down to its second: IIS logs seconds.
fn second(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// The state of a seen client and the reason in words.
pub(super) fn state_of(acc: &ClientAcc, cutoff_ms: i64) -> (ClientState, String) {
    let success = acc.last_success.map(second);
    let after = |t: Option<i64>| t.map(second).filter(|&t| success.is_none_or(|s| t > s));
    let auth = after(acc.last_401);
    let nes = after(acc.last_5xx);
    let since_success = match acc.last_success {
        Some(_) => "after its last success",
        None => "and no success in the window",
    };
    match (auth, nes) {
        (Some(a), n) if n.is_none_or(|n| a > n) => (
            ClientState::AuthFailing,
            format!(
                "{} 401 response(s){}, the last {since_success}",
                acc.s401,
                if acc.kerberos > 0 {
                    format!(
                        ", {} of them Kerberos failures (401.1, 2148074254)",
                        acc.kerberos
                    )
                } else {
                    String::new()
                }
            ),
        ),
        (_, Some(_)) => (
            ClientState::NesErrors,
            format!(
                "{} server error(s) (5xx), the last {since_success}",
                acc.s5xx
            ),
        ),
        _ => match acc.last_success {
            Some(s) if s >= cutoff_ms => (
                ClientState::Ok,
                format!(
                    "{} success(es), the last within the renewal period",
                    acc.successes
                ),
            ),
            Some(_) => (
                ClientState::NotRenewing,
                "its last success is older than the renewal period".to_owned(),
            ),
            None => (
                ClientState::NotRenewing,
                format!("{} request(s) in the window and no success", acc.requests),
            ),
        },
    }
}

/// What to do next, per state.
pub(super) fn next_step(state: ClientState) -> &'static str {
    match state {
        ClientState::AuthFailing => {
            "On the terminal: check its Kerberos ticket for the NES service (klist), the NES SPN \
             (setspn -Q HTTP/<nes host>), the clock and the computer account's domain trust; \
             401.1 with 2148074254 means no usable Kerberos credentials."
        }
        ClientState::NesErrors => {
            "On the NES server: read the NES application log and the Windows Application event \
             log at the failure times; check the application pool and the NES database."
        }
        ClientState::NotRenewing => {
            "On the terminal: run Invoke-NymiDiagnosis (NEA service, network path to NES, \
             certificate state); the terminal reaches NES but has not renewed within the \
             renewal period."
        }
        ClientState::NeverSeen => {
            "Check that the terminal is on and uses this NES (address, proxy or load balancer), \
             then run Invoke-NymiDiagnosis on it: its requests never reached this server."
        }
        ClientState::Ok => "Nothing to do.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn acc() -> ClientAcc {
        ClientAcc {
            requests: 1,
            ..ClientAcc::default()
        }
    }

    #[test]
    fn each_rule_and_its_boundary() {
        let cutoff = 100 * DAY;
        let mut a = acc();
        a.last_success = Some(cutoff);
        assert_eq!(
            state_of(&a, cutoff).0,
            ClientState::Ok,
            "success at the cutoff"
        );
        a.last_success = Some(cutoff - 1);
        assert_eq!(state_of(&a, cutoff).0, ClientState::NotRenewing);
        a.last_success = None;
        assert_eq!(state_of(&a, cutoff).0, ClientState::NotRenewing);

        let mut a = acc();
        a.last_success = Some(cutoff + 5_000);
        a.last_401 = Some(cutoff + 5_999);
        assert_eq!(
            state_of(&a, cutoff).0,
            ClientState::Ok,
            "401 in the success's second"
        );
        a.last_401 = Some(cutoff + 6_000);
        assert_eq!(state_of(&a, cutoff).0, ClientState::AuthFailing);
        a.last_5xx = Some(cutoff + 6_000);
        assert_eq!(
            state_of(&a, cutoff).0,
            ClientState::NesErrors,
            "same second: 5xx"
        );
        a.last_401 = Some(cutoff + 7_000);
        assert_eq!(
            state_of(&a, cutoff).0,
            ClientState::AuthFailing,
            "later 401"
        );

        let mut a = acc();
        a.last_success = Some(cutoff + 5_000);
        a.last_5xx = Some(cutoff + 5_999);
        assert_eq!(
            state_of(&a, cutoff).0,
            ClientState::Ok,
            "5xx in the success's second"
        );
        a.last_5xx = Some(cutoff + 6_000);
        assert_eq!(state_of(&a, cutoff).0, ClientState::NesErrors);
        a.last_success = None;
        a.last_5xx = Some(1);
        assert_eq!(
            state_of(&a, cutoff).0,
            ClientState::NesErrors,
            "old 5xx, no success"
        );
    }
}
