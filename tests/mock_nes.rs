//! Serves the mock NES to tests outside Rust (the Pester tests of
//! `Test-NymiNesConnection`). Ignored by default; run it with
//!
//! ```text
//! NYMIDIAG_MOCK_NES_OUT=/tmp/mock-nes.json NYMIDIAG_MOCK_NES_SECONDS=120 \
//!   cargo test --test mock_nes -- --ignored --exact serve_mock_nes --nocapture
//! ```
//!
//! It starts every mock server on 127.0.0.1, writes the CA file next to the
//! output (`<out without extension>.ca.pem`), then writes the JSON manifest
//! to `NYMIDIAG_MOCK_NES_OUT` atomically (a temporary file renamed into
//! place, so a poller never reads half of it), serves for
//! `NYMIDIAG_MOCK_NES_SECONDS` seconds (default 120, at most 3600), and
//! exits. `NYMIDIAG_MOCK_NES_SLOW_MS` sets how long `/slow/nes` waits
//! (default 30000, longer than the probe's default deadline). Without
//! `NYMIDIAG_MOCK_NES_OUT` it returns at once, so `cargo test -- --ignored`
//! does not block.
//!
//! The manifest:
//!
//! ```json
//! { "ca_file": "/abs/mock-nes.ca.pem", "pid": 4242, "serve_seconds": 120,
//!   "expires_utc": "2026-05-02T07:43:08.000Z",
//!   "request_defaults": { "use_platform_roots": false, "use_env_proxy": false,
//!                         "trusted_root_path": "/abs/mock-nes.ca.pem" },
//!   "scenarios": { "healthy": { "url": "https://localhost:40001/nes", "port": 40001,
//!                               "proxy": null, "expected_stage": null,
//!                               "expected_finding": null }, "...": {} } }
//! ```

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

fn env_u64(name: &str, default: u64, max: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(default)
        .clamp(1, max)
}

#[test]
#[ignore = "serves the mock NES for Pester; needs NYMIDIAG_MOCK_NES_OUT"]
fn serve_mock_nes() {
    let Some(out) = std::env::var_os("NYMIDIAG_MOCK_NES_OUT").map(PathBuf::from) else {
        eprintln!("NYMIDIAG_MOCK_NES_OUT is not set; nothing to serve");
        return;
    };
    let seconds = env_u64("NYMIDIAG_MOCK_NES_SECONDS", 120, 3600);
    let slow = Duration::from_millis(env_u64("NYMIDIAG_MOCK_NES_SLOW_MS", 30_000, 3_600_000));
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    let stem = out.file_stem().map_or_else(
        || "mock-nes".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    let mock = support::nes::MockNes::start(&dir, &stem, slow);

    let expires = time::OffsetDateTime::now_utc() + Duration::from_secs(seconds);
    let ca = mock.ca_file.display().to_string();
    let manifest = serde_json::json!({
        "ca_file": ca,
        "pid": std::process::id(),
        "serve_seconds": seconds,
        "expires_utc": nymidiag::time_fmt::UtcTime::from(expires),
        "request_defaults": {
            "use_platform_roots": false,
            "use_env_proxy": false,
            "trusted_root_path": ca,
        },
        "scenarios": mock.scenarios,
    });
    let text = serde_json::to_string_pretty(&manifest).expect("manifest is JSON");
    let partial = out.with_extension("json.partial");
    std::fs::write(&partial, text).expect("write the manifest");
    std::fs::rename(&partial, &out).expect("move the manifest into place");
    eprintln!(
        "mock NES serving for {seconds} s; manifest {}",
        out.display()
    );

    let end = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < end {
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(mock);
}
