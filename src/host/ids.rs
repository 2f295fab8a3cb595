//! The ids of the findings the host checks raise, one constant each, so
//! that the verdict rules match ids, never spellings.

/// A service of a known role (EAM Security, Nymi Agent, Nymi Bluetooth
/// Endpoint) is installed but none of its services runs.
pub const HOST_SERVICE_STOPPED: &str = "HOST_SERVICE_STOPPED";
/// No service of a known role is installed.
pub const HOST_SERVICE_NOT_FOUND: &str = "HOST_SERVICE_NOT_FOUND";
/// No working BLE adapter (Bluetooth radio or Bluegiga dongle) is present.
pub const HOST_BLE_ADAPTER_MISSING: &str = "HOST_BLE_ADAPTER_MISSING";
/// The WinHTTP machine proxy would carry the NES requests of SYSTEM
/// services (seen by a diagnosis).
pub const HOST_WINHTTP_PROXY_NO_BYPASS: &str = "HOST_WINHTTP_PROXY_NO_BYPASS";
/// The same observation in the probe's words (`Test-NymiNesConnection`).
pub const NES_PROXY_INTERCEPTS: &str = crate::probe::ids::NES_PROXY_INTERCEPTS;
/// The Windows chain engine does not trust the NES certificate.
pub const HOST_CHAIN_UNTRUSTED: &str = "HOST_CHAIN_UNTRUSTED";
/// The NES chain is trusted, but its revocation could not be checked.
pub const HOST_CHAIN_REVOCATION_OFFLINE: &str = "HOST_CHAIN_REVOCATION_OFFLINE";
/// NES refused the request sent with the Windows identity (401).
pub const NES_AUTH_FAILED: &str = "NES_AUTH_FAILED";
