//! The ids of the built-in rules that code reads by name: the diagnosis
//! keys its verdicts on their hits. Rules are data (the built-in TOML pack
//! defines them, and more), so these constants are the one place code
//! names a rule; `tests/id_catalogue.rs` checks that the built-in pack
//! still defines every one of them. Never rename or reuse one.

crate::ids::id_catalogue! {
    /// Every rule id code reads, by log kind.
    ALL;

    // Evidian WGSS trace.
    /// "Unable to get token with USER creds": the token request to NES
    /// failed.
    LOG_TOKEN_REQUEST_FAILED,
    /// `0x8101201c`: the NEA certificate chain is not trusted.
    LOG_CERT_CHAIN_NOT_TRUSTED,
    /// `0x81010009` "Object not found", with what preceded it on the thread.
    LOG_OBJECT_NOT_FOUND,
    /// `0x8101201c` then `0x81010009` on one thread within 30 s: the NEA
    /// certificates were not retrieved.
    LOG_NEA_CERTS_NOT_RETRIEVED,
    /// "0 visible devices" without a chain error: the BLE adapter.
    LOG_NO_VISIBLE_DEVICES,

    // `nymi_api.log`.
    /// nymi_api runs without NES connection parameters.
    LOG_NES_CONNECTION_MISSING,
    /// Status 8000 / `MissingCerts` sent to the NEA.
    LOG_NEA_MISSING_CERTS,
    /// `nsl_verify_nea_cert_chain` failed.
    LOG_NEA_CERT_CHAIN_VERIFY_FAILED,

    // URLs, in every kind of log.
    /// A URL anywhere in the logs, normalised: the weakest source of the
    /// NES URL.
    LOG_NES_URL_SEEN,
    /// A URL on an NES line (token request, `nes_url`, the NES client).
    LOG_NES_URL_CONFIGURED,

    // The NES server's IIS log.
    /// `401 1 2148074254` repeated for a client with no 200 after.
    IIS_KERBEROS_FAILURE,
    /// 5xx on the NES path.
    IIS_NES_SERVER_ERROR,
    /// 403.x on the NES path.
    IIS_NES_FORBIDDEN,

    // Windows Firewall log.
    /// A drop to or from NES on 443, or on 88/53.
    FIREWALL_DROP_NES,
}
