//! Measures how long the probe takes to reach its verdict with the DEFAULT
//! timeouts (deadline 20 s, TCP 5 s, TLS 10 s) against a server that stalls
//! the TLS handshake and a port that refuses connections. Ignored by
//! default because the stalled case takes the full TLS timeout; run with
//!
//! ```text
//! cargo test --test probe_timing -- --ignored --nocapture
//! ```
//!
//! The bounds asserted are generous (speed is not asserted in timed tests);
//! the printed numbers are the measurement.

mod support;

use std::time::{Duration, Instant};

use nymidiag::probe::{NesProbeRequest, nes_probe_with_resolver};

fn measure(mock: &support::nes::MockNes, scenario: &str) -> (Duration, u64, String) {
    let s = mock.scenario(scenario);
    let mut req = NesProbeRequest::new(&s.url);
    // Timeouts stay at their defaults; only trust and proxy are pinned so
    // the result does not depend on this machine.
    req.use_env_proxy = false;
    req.use_platform_roots = false;
    req.trusted_root_path = Some(mock.ca_file.display().to_string());
    let started = Instant::now();
    let r = nes_probe_with_resolver(&req, support::nes::table());
    let took = started.elapsed();
    let stage = r.data.verdict.stage.expect("the scenario fails");
    let duration = r
        .data
        .stages
        .iter()
        .find(|s| s.name == stage)
        .map_or(0, |s| s.duration_ms);
    let verdict = format!(
        "{} {}",
        stage.as_str(),
        r.data.verdict.finding.as_deref().unwrap_or("-")
    );
    (took, duration, verdict)
}

#[test]
#[ignore = "takes the default TLS timeout (10 s); a measurement, run on request"]
fn default_timeouts_stalled_handshake_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mock = support::nes::MockNes::start(dir.path(), "timing", support::nes::TEST_SLOW);
    let defaults = NesProbeRequest::new("x");

    let (took, stage_ms, verdict) = measure(&mock, "stalled_handshake");
    eprintln!(
        "stalled handshake: verdict `{verdict}` after {} ms (tls stage {stage_ms} ms; \
         tls_timeout_ms {}, deadline_ms {})",
        took.as_millis(),
        defaults.tls_timeout_ms,
        defaults.deadline_ms
    );
    assert_eq!(verdict, "tls NES_TLS_HANDSHAKE_FAILED");
    assert!(took >= Duration::from_millis(defaults.tls_timeout_ms));
    assert!(took < Duration::from_millis(defaults.tls_timeout_ms + 3_000));

    let (took, stage_ms, verdict) = measure(&mock, "refused");
    eprintln!(
        "refused port: verdict `{verdict}` after {} ms (tcp stage {stage_ms} ms; \
         tcp_timeout_ms {}, deadline_ms {})",
        took.as_millis(),
        defaults.tcp_timeout_ms,
        defaults.deadline_ms
    );
    assert_eq!(verdict, "tcp NES_TCP_REFUSED");
    assert!(took < Duration::from_millis(defaults.tcp_timeout_ms));
}
