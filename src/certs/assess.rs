//! Findings: what a store's counts, dates and chains mean for the
//! terminal, with evidence and what to do.
//!
//! | id | severity |
//! | --- | --- |
//! | `NEA_CERTS_MISSING` | error |
//! | `NEA_CERTS_EXTRA` | info |
//! | `NEA_CERT_EXPIRED` | error |
//! | `NEA_CERT_EXPIRING` | warning |
//! | `NEA_CERT_NOT_YET_VALID` | error |
//! | `NEA_CERT_CHAIN_BROKEN` | warning; error when a signature fails |
//! | `NEA_CERT_UNREADABLE` | warning |
//! | `NEA_KEYSTORE_FILE_OPAQUE` | info; warning when a file is empty |
//! | `KSP_STALE_STORE` | info (see `roles`) |
//! | `NEA_CERT_WEAK_SIGNATURE` | info |
//! | `KSP_NOT_FOUND` | warning; info when the OS has no default location |
//! | `KSP_ACCESS_DENIED` | warning |

use serde_json::{Value, json};

use super::ids;
use super::limits::{MAX_EVIDENCE_ITEMS, cap};
use super::model::{
    CertKind, CertificateInfo, ChainStatus, FileEntry, FileStatus, KspStore, ValidityState,
};
use super::store::Options;
use crate::report::{Finding, Severity};

/// Where the article and the procedure that these findings follow live.
const ARTICLE: &str = "Nymi support: Unable to get token with USER creds";
const CHECK_D: &str = "nymi-domain.md section 5, check D (ksp inventory)";

const NES_REMEDIATION: &str = "Check that this terminal reaches the Nymi Enterprise Server: run \
    Test-NymiNesConnection (DNS, TCP 443, TLS trust, Negotiate authentication), also as SYSTEM. \
    Once NES is reachable, restart the EAM Security Service so the NEA fetches its certificates \
    again, then run Get-NymiNeaCertificate again.";

/// A short name for a store in titles: `<string>\ksp`.
pub(crate) fn store_label(path: &str) -> String {
    let parts: Vec<&str> = path.split(['\\', '/']).filter(|p| !p.is_empty()).collect();
    match parts.len() {
        0 => path.to_owned(),
        1 => parts[0].to_owned(),
        // Keep the separator the path itself uses (`\` on Windows).
        n => {
            let sep = if path.contains('\\') { '\\' } else { '/' };
            format!("{}{sep}{}", parts[n - 2], parts[n - 1])
        }
    }
}

fn kind_name(kind: CertKind) -> &'static str {
    match kind {
        CertKind::Local => "local",
        CertKind::Nes => "nes",
        CertKind::Unclassified => "unclassified",
    }
}

/// A capped evidence list of certificates, plus the count left out.
fn cert_list(certs: &[&CertificateInfo]) -> (Value, usize) {
    let items: Vec<Value> = certs
        .iter()
        .map(|c| {
            json!({
                "thumbprint": c.thumbprint,
                "subject": c.subject.rfc4514,
                "not_before": c.not_before,
                "not_after": c.not_after,
                "days_left": c.days_left,
                "kind": kind_name(c.classification.kind),
                "files": c.files,
            })
        })
        .collect();
    let (items, left) = cap(items, MAX_EVIDENCE_ITEMS);
    (Value::Array(items), left as usize)
}

fn file_list(files: &[&FileEntry]) -> (Value, usize) {
    let items: Vec<Value> = files
        .iter()
        .map(|f| json!({ "file": f.name, "size": f.size, "problem": f.problem }))
        .collect();
    let (items, left) = cap(items, MAX_EVIDENCE_ITEMS);
    (Value::Array(items), left as usize)
}

/// `NEA_CERTS_MISSING`: fewer counted files than expected.
fn missing(store: &KspStore, opts: &Options, label: &str) -> Finding {
    let c = &store.counts;
    let expected_total = u64::from(opts.expected_local) + u64::from(opts.expected_nes);
    // The documented signature: exactly the local set, nothing from NES.
    let only_local =
        c.files == u64::from(opts.expected_local) && opts.expected_nes > 0 && c.nes == 0;
    let parsed = format!(
        "{} distinct X.509 certificates parsed ({} local, {} NES-issued, {} unclassified); {} \
         files are not X.509, {} could not be read",
        c.certificates, c.local, c.nes, c.unclassified, c.opaque_files, c.unreadable_files
    );
    let detail = if only_local {
        format!(
            "The store holds exactly {} files, the size of the locally generated set, and no \
             NES-issued certificate: the {} NES-issued certificates were never retrieved. This \
             is the documented failure signature (8 files instead of 20): the NEA could not get \
             them from the Nymi Enterprise Server, and band taps fail with \"Object not \
             found\". Evidence: {parsed}.",
            c.files, opts.expected_nes
        )
    } else {
        format!(
            "The store holds {} of the {expected_total} expected files ({} local + {} \
             NES-issued expected). Evidence: {parsed}.",
            c.files, opts.expected_local, opts.expected_nes
        )
    };
    Finding::new(
        ids::NEA_CERTS_MISSING,
        Severity::Error,
        format!(
            "NEA certificates missing in {label}: {} of {expected_total} files",
            c.files
        ),
        detail,
    )
    .with_evidence("store", &store.path)
    .with_evidence("files", c.files)
    .with_evidence("certificates", c.certificates)
    .with_evidence("certificate_files", c.certificate_files)
    .with_evidence("opaque_files", c.opaque_files)
    .with_evidence("unreadable_files", c.unreadable_files)
    .with_evidence("key_files", c.key_files)
    .with_evidence("expected_local", opts.expected_local)
    .with_evidence("expected_nes", opts.expected_nes)
    .with_evidence("expected_total", expected_total)
    .with_evidence("counted", "files")
    .with_evidence("local", c.local)
    .with_evidence("nes", c.nes)
    .with_evidence("unclassified", c.unclassified)
    .with_evidence("nes_never_retrieved", only_local)
    .with_remediation(NES_REMEDIATION)
    .with_ref(ARTICLE)
    .with_ref(CHECK_D)
}

/// `NEA_KEYSTORE_FILE_OPAQUE`: counted files read whole that are not
/// X.509 certificates, in whole or in part.
fn opaque(store: &KspStore, label: &str) -> Option<Finding> {
    let files: Vec<&FileEntry> = store
        .files
        .iter()
        .filter(|f| match f.status {
            FileStatus::Opaque | FileStatus::Empty => true,
            FileStatus::Certificates | FileStatus::PrivateKey => f.problem.is_some(),
            _ => false,
        })
        .collect();
    if files.is_empty() {
        return None;
    }
    let empty = files
        .iter()
        .filter(|f| f.status == FileStatus::Empty)
        .count();
    let partly = files
        .iter()
        .filter(|f| matches!(f.status, FileStatus::Certificates | FileStatus::PrivateKey))
        .count();
    let whole = files.len() - partly;
    let (list, left) = file_list(&files);
    let mut detail = format!(
        "{whole} file(s) hold no X.509 certificate or key and {partly} hold certificates with \
         parts that are not X.509. They are counted as key-store files, as the Nymi article \
         counts files: the NSL key-store format is not documented and may be opaque, so they \
         cannot be dated, chained or classified here. Each entry says what was seen."
    );
    if empty > 0 {
        detail.push_str(&format!(
            " {empty} file(s) are empty (0 bytes), which no key-store format explains: a write \
             was probably interrupted."
        ));
    }
    let finding = Finding::new(
        ids::NEA_KEYSTORE_FILE_OPAQUE,
        if empty > 0 {
            Severity::Warning
        } else {
            Severity::Info
        },
        format!(
            "{} file(s) in {label} are not X.509 certificates",
            files.len()
        ),
        detail,
    )
    .with_evidence("count", files.len())
    .with_evidence("not_x509", whole)
    .with_evidence("partly_x509", partly)
    .with_evidence("empty", empty)
    .with_evidence("files", list)
    .with_evidence("files_omitted", left)
    .with_ref(CHECK_D);
    Some(if empty > 0 {
        finding.with_remediation(
            "Restart the EAM Security Service while NES is reachable so the NEA writes its key \
             store again.",
        )
    } else {
        finding
    })
}

/// Every finding for one examined store. `store` still holds its full
/// lists (caps come later).
pub(crate) fn store_findings(store: &KspStore, opts: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    let label = store_label(&store.path);
    let c = &store.counts;
    let expected_total = u64::from(opts.expected_local) + u64::from(opts.expected_nes);
    let base = |f: Finding| f.with_evidence("store", &store.path);

    if c.files < expected_total {
        out.push(missing(store, opts, &label));
    } else if c.files > expected_total {
        out.push(
            base(Finding::new(
                ids::NEA_CERTS_EXTRA,
                Severity::Info,
                format!(
                    "More NEA key-store files than expected in {label}: {} of {expected_total}",
                    c.files
                ),
                format!(
                    "The store holds {} files where {expected_total} are expected ({} distinct \
                     certificates parsed). Older certificates may have been left behind after \
                     renewals, or the expected counts differ for this NEA.",
                    c.files, c.certificates
                ),
            ))
            .with_evidence("files", c.files)
            .with_evidence("certificates", c.certificates)
            .with_evidence("expected_total", expected_total)
            .with_evidence("counted", "files")
            .with_evidence("expired", c.expired)
            .with_ref(CHECK_D),
        );
    }

    let by_state = |state: ValidityState| -> Vec<&CertificateInfo> {
        store
            .certificates
            .iter()
            .filter(|c| c.validity == state)
            .collect()
    };

    let expired = by_state(ValidityState::Expired);
    if !expired.is_empty() {
        let nes = expired
            .iter()
            .filter(|c| c.classification.kind == CertKind::Nes)
            .count();
        let latest = expired.iter().map(|c| c.not_after).max();
        let (list, left) = cert_list(&expired);
        out.push(
            base(Finding::new(
                ids::NEA_CERT_EXPIRED,
                Severity::Error,
                format!("{} expired NEA certificate(s) in {label}", expired.len()),
                format!(
                    "{} certificate(s) are past NotAfter ({nes} classified NES-issued); the most \
                     recent expired {}. NES-issued NEA certificates are valid 14 days by default \
                     and are renewed only while the terminal reaches NES, so expired ones mean \
                     renewal has stopped.",
                    expired.len(),
                    latest.map_or_else(|| "-".to_owned(), |t| t.to_string()),
                ),
            ))
            .with_evidence("count", expired.len())
            .with_evidence("certificates", list)
            .with_evidence("certificates_omitted", left)
            .with_remediation(NES_REMEDIATION)
            .with_ref(ARTICLE)
            .with_ref("nymi-domain.md section 6 (NEA certs expired + no NES)"),
        );
    }

    let expiring = by_state(ValidityState::Expiring);
    if !expiring.is_empty() {
        let soonest = expiring.iter().map(|c| c.not_after).min();
        let (list, left) = cert_list(&expiring);
        out.push(
            base(Finding::new(
                ids::NEA_CERT_EXPIRING,
                Severity::Warning,
                format!(
                    "{} NEA certificate(s) in {label} expire within {} days",
                    expiring.len(),
                    opts.expiring_days
                ),
                format!(
                    "{} certificate(s) expire within {} days, the first at {}. They are renewed \
                     from NES; if the terminal cannot reach NES by then, taps will fail.",
                    expiring.len(),
                    opts.expiring_days,
                    soonest.map_or_else(|| "-".to_owned(), |t| t.to_string()),
                ),
            ))
            .with_evidence("count", expiring.len())
            .with_evidence("expiring_days", opts.expiring_days)
            .with_evidence("certificates", list)
            .with_evidence("certificates_omitted", left)
            .with_remediation(
                "Make sure the terminal reaches NES before then (Test-NymiNesConnection); a \
                 restart of the EAM Security Service while NES is reachable refreshes the NEA \
                 certificates.",
            )
            .with_ref(ARTICLE),
        );
    }

    let early = by_state(ValidityState::NotYetValid);
    if !early.is_empty() {
        let first = early.iter().map(|c| c.not_before).min();
        let (list, left) = cert_list(&early);
        out.push(
            base(Finding::new(
                ids::NEA_CERT_NOT_YET_VALID,
                Severity::Error,
                format!(
                    "{} NEA certificate(s) in {label} are not valid yet",
                    early.len()
                ),
                format!(
                    "{} certificate(s) have a NotBefore after the evaluation time {} (earliest \
                     {}). A certificate is unusable before NotBefore. Certificates issued \
                     moments ago that are already \"in the future\" are a sign of clock skew: \
                     this terminal's clock is behind the issuer's (or the issuer's is ahead).",
                    early.len(),
                    crate::time_fmt::UtcTime::from(opts.now),
                    first.map_or_else(|| "-".to_owned(), |t| t.to_string()),
                ),
            ))
            .with_evidence("count", early.len())
            .with_evidence("evaluated_utc", crate::time_fmt::UtcTime::from(opts.now))
            .with_evidence("certificates", list)
            .with_evidence("certificates_omitted", left)
            .with_remediation(
                "Compare this terminal's clock with the domain and the NES server (w32tm /query \
                 /status, w32tm /stripchart /computer:<NES host>); fix time synchronisation, \
                 then restart the EAM Security Service.",
            ),
        );
    }

    let broken: Vec<&CertificateInfo> = store
        .certificates
        .iter()
        .filter(|c| {
            matches!(
                c.chain.status,
                ChainStatus::IssuerMissing | ChainStatus::SignatureFailed
            )
        })
        .collect();
    if !broken.is_empty() {
        let failed = broken
            .iter()
            .filter(|c| c.chain.status == ChainStatus::SignatureFailed)
            .count();
        let missing = broken.len() - failed;
        let items: Vec<Value> = broken
            .iter()
            .map(|c| {
                json!({
                    "thumbprint": c.thumbprint,
                    "subject": c.subject.rfc4514,
                    "issuer": c.issuer.rfc4514,
                    "status": c.chain.status,
                    "files": c.files,
                })
            })
            .collect();
        let (items, left) = cap(items, MAX_EVIDENCE_ITEMS);
        out.push(
            base(Finding::new(
                ids::NEA_CERT_CHAIN_BROKEN,
                if failed > 0 {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                format!(
                    "NEA certificate chain broken in {label}: {} certificate(s)",
                    broken.len()
                ),
                format!(
                    "{missing} certificate(s) name an issuer that is not in the store, and \
                     {failed} have a signature that does not verify with their issuer's key. \
                     NSL verifies the NEA chain (nsl_verify_nea_cert_chain) and refuses an \
                     untrusted one (0x8101201c). An issuer may also live outside the ksp folder: \
                     compare with a healthy terminal before acting on a missing issuer alone."
                ),
            ))
            .with_evidence("issuer_missing", missing)
            .with_evidence("signature_failed", failed)
            .with_evidence("certificates", items)
            .with_evidence("certificates_omitted", left)
            .with_remediation(
                "A failed signature means a damaged or replaced file: restart the EAM Security \
                 Service while NES is reachable so the NEA fetches a fresh set. A missing issuer \
                 usually means the NES-issued set is incomplete: same remedy.",
            )
            .with_ref("nymi-domain.md section 3 (0x8101201c)"),
        );
    }

    let unreadable: Vec<&FileEntry> = store
        .files
        .iter()
        .filter(|f| matches!(f.status, FileStatus::Unreadable | FileStatus::TooLarge))
        .collect();
    if !unreadable.is_empty() {
        let too_large = unreadable
            .iter()
            .filter(|f| f.status == FileStatus::TooLarge)
            .count();
        let (list, left) = file_list(&unreadable);
        out.push(
            base(Finding::new(
                ids::NEA_CERT_UNREADABLE,
                Severity::Warning,
                format!("{} file(s) in {label} could not be read", unreadable.len()),
                format!(
                    "{} file(s) could not be read ({too_large} over the size limit and \
                     skipped). They are still counted as files. Each entry says why. Files are \
                     only ever read, never changed or moved.",
                    unreadable.len()
                ),
            ))
            .with_evidence("count", unreadable.len())
            .with_evidence("too_large", too_large)
            .with_evidence("files", list)
            .with_evidence("files_omitted", left)
            .with_remediation(
                "If these files belong to the NEA, they are damaged: restart the EAM Security \
                 Service while NES is reachable to have them written again. Files that do not \
                 belong there can be moved out by an administrator.",
            ),
        );
    }

    if let Some(f) = opaque(store, &label) {
        out.push(base(f));
    }

    let weak: Vec<&CertificateInfo> = store
        .certificates
        .iter()
        .filter(|c| c.signature_algorithm.weak)
        .collect();
    if !weak.is_empty() {
        let (list, left) = cert_list(&weak);
        out.push(
            base(Finding::new(
                ids::NEA_CERT_WEAK_SIGNATURE,
                Severity::Info,
                format!(
                    "{} NEA certificate(s) in {label} signed with SHA-1 or MD5",
                    weak.len()
                ),
                format!(
                    "{} certificate(s) use a signature algorithm based on SHA-1, MD5 or MD2.",
                    weak.len()
                ),
            ))
            .with_evidence("count", weak.len())
            .with_evidence("certificates", list)
            .with_evidence("certificates_omitted", left),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_keep_the_last_two_folders() {
        assert_eq!(
            store_label(
                r"C:\Windows\System32\config\systemprofile\AppData\Roaming\Nymi\NSL\abc\ksp"
            ),
            r"abc\ksp"
        );
        assert_eq!(store_label("/tmp/x/ksp/"), "x/ksp");
        assert_eq!(store_label("ksp"), "ksp");
    }
}
