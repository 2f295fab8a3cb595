//! The ids of the findings the host checks raise, one constant each, so
//! that the verdict rules match ids, never spellings.

crate::ids::id_catalogue! {
    /// Every `HOST_*` id, in the order of the checks.
    ALL;

    /// A service of a known role (EAM Security, Nymi Agent, Nymi Bluetooth
    /// Endpoint) is installed but none of its services runs.
    HOST_SERVICE_STOPPED,
    /// No service of a known role is installed.
    HOST_SERVICE_NOT_FOUND,
    /// No working BLE adapter (Bluetooth radio or Bluegiga dongle) is present.
    HOST_BLE_ADAPTER_MISSING,
    /// The WinHTTP machine proxy would carry the NES requests of SYSTEM
    /// services (seen by a diagnosis).
    HOST_WINHTTP_PROXY_NO_BYPASS,
    /// The Windows chain engine does not trust the NES certificate.
    HOST_CHAIN_UNTRUSTED,
    /// The NES chain is trusted, but its revocation could not be checked.
    HOST_CHAIN_REVOCATION_OFFLINE,
}

// Two host observations are reported in the probe's words; their home is the
// probe's catalogue.
pub use crate::probe::ids::{NES_AUTH_FAILED, NES_PROXY_INTERCEPTS};
