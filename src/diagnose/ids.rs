//! The diagnosis's own evidence ids: facts the correlation states itself
//! (an evidence item's `finding`), beside the ids it quotes from the part
//! reports and the host checks.

crate::ids::id_catalogue! {
    /// Every evidence id the diagnosis raises itself.
    ALL;

    /// The key store could not be counted (not found, denied, opaque).
    KSP_NOT_CHECKED,
    /// Every key store is complete and every certificate valid.
    NEA_CERTS_COMPLETE,
    /// Every stage of the path to NES passed.
    NES_PATH_OK,
    /// The path to NES was not tested (no URL, or the probe did not run).
    NES_PATH_NOT_TESTED,
    /// The probe failed at a stage without naming a finding.
    NES_PROBE_FAILED,
    /// The logs were read and show no certificate-retrieval failure.
    LOG_NO_RETRIEVAL_FAILURE,
    /// Retrieval failures were logged, but before the store's last renewal.
    LOG_FAILURES_BEFORE_RENEWAL,
    /// The logs could not be scanned.
    LOGS_NOT_CHECKED,
    /// A complete key store contradicts failures logged after its renewal.
    EVIDENCE_CONFLICT,
    /// A rule pack given to the tool cannot be read or is invalid.
    LOG_RULE_PACK_INVALID,
}
