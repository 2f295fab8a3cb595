//! Stable finding ids raised by the certificate inventory. Scripts,
//! dashboards and the diagnosis key on them: never rename or reuse one.

crate::ids::id_catalogue! {
    /// Every certificate inventory finding id: the store's count, its
    /// certificates, then discovery.
    ALL;

    /// Fewer files than expected (local + NES-issued) in an active store.
    NEA_CERTS_MISSING,
    /// More files than expected in an active store.
    NEA_CERTS_EXTRA,
    /// Counted files that were read whole but are not (or only partly)
    /// X.509 certificates; a warning when one of them is empty.
    NEA_KEYSTORE_FILE_OPAQUE,
    /// A discovered store written long before the newest one: a leftover,
    /// reported and not judged.
    KSP_STALE_STORE,

    /// A certificate's NotAfter has passed.
    NEA_CERT_EXPIRED,
    /// A certificate's NotAfter falls within `expiring_days`.
    NEA_CERT_EXPIRING,
    /// A certificate's NotBefore is ahead of the evaluation time (also a
    /// sign of clock skew).
    NEA_CERT_NOT_YET_VALID,
    /// An issuer is missing from the store, or a signature does not verify.
    NEA_CERT_CHAIN_BROKEN,
    /// A file could not be read, or was over the size cap.
    NEA_CERT_UNREADABLE,
    /// A certificate is signed with SHA-1, MD5 or MD2.
    NEA_CERT_WEAK_SIGNATURE,

    /// No key store was found (info where the OS has no default location).
    KSP_NOT_FOUND,
    /// A store could not be opened: access denied.
    KSP_ACCESS_DENIED,
}
