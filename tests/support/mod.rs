//! Helpers shared by the integration tests, one module per input class:
//! - `certs`: NEA key stores generated with rcgen at test time;
//! - `stores`: the fixture stores, one folder per scenario;
//! - `logs`: log files and log-scan requests;
//! - `ffi`: calling a capability export the way a C caller does;
//! - `nes`, `servers`, `pki`: the mock NES on loopback.

// Each test binary uses a different part of these helpers.
#![allow(dead_code, unreachable_pub)]

pub mod certs;
pub mod ffi;
pub mod logs;
pub mod nes;
pub mod pki;
pub mod servers;
pub mod stores;
