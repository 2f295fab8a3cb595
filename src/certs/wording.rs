//! The findings of an active store's [`Problem`]s: titles, details,
//! evidence, what to do and the references, in the words of the Nymi
//! article. What is a problem, and how bad, is decided in `assess`.

use serde_json::{Value, json};

use super::assess::{Problem, expected_total};
use super::limits::{MAX_EVIDENCE_ITEMS, cap};
use super::model::{CertKind, CertificateInfo, FileEntry, KspStore};
use super::store::Options;
use crate::report::Finding;
use crate::time_fmt::UtcTime;

/// Where the article and the procedure that these findings follow live.
const ARTICLE: &str = "Nymi support: Unable to get token with USER creds";
const CHECK_D: &str = "nymi-domain.md section 5, check D (ksp inventory)";

const NES_REMEDIATION: &str = "Check that this terminal reaches the Nymi Enterprise Server: run \
    Test-NymiNesConnection (DNS, TCP 443, TLS trust, Negotiate authentication), also as SYSTEM. \
    Once NES is reachable, restart the EAM Security Service so the NEA fetches its certificates \
    again, then run Get-NymiNeaCertificate again.";

/// The remedy for an empty file (an interrupted write): have the NEA write
/// its store again.
const EMPTY_FILE_REMEDIATION: &str = "Restart the EAM Security Service while NES is reachable \
    so the NEA writes its key store again.";

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

/// The finding of one problem of `store`.
pub(crate) fn finding(problem: &Problem<'_>, store: &KspStore, opts: &Options) -> Finding {
    let label = store_label(&store.path);
    let new = |title: String, detail: String| {
        Finding::new(problem.id(), problem.severity(), title, detail)
    };
    let f = match problem {
        Problem::Missing { only_local } => missing(new, store, opts, *only_local, &label),
        Problem::Extra => extra(new, store, opts, &label),
        Problem::Expired(certs) => expired(new, certs, &label),
        Problem::Expiring(certs) => expiring(new, certs, opts, &label),
        Problem::NotYetValid(certs) => not_yet_valid(new, certs, opts, &label),
        Problem::ChainBroken {
            certs,
            signature_failed,
        } => chain_broken(new, certs, *signature_failed, &label),
        Problem::Unreadable { files, too_large } => unreadable(new, files, *too_large, &label),
        Problem::Opaque {
            files,
            partly,
            empty,
        } => opaque(new, files, *partly, *empty, &label),
        Problem::WeakSignature(certs) => weak_signature(new, certs, &label),
    };
    f.with_evidence("store", &store.path)
}

/// `NEA_CERTS_MISSING`: fewer counted files than expected.
fn missing(
    new: impl Fn(String, String) -> Finding,
    store: &KspStore,
    opts: &Options,
    only_local: bool,
    label: &str,
) -> Finding {
    let c = &store.counts;
    let expected_total = expected_total(opts);
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
    new(
        format!(
            "NEA certificates missing in {label}: {} of {expected_total} files",
            c.files
        ),
        detail,
    )
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

/// `NEA_CERTS_EXTRA`: more counted files than expected.
fn extra(
    new: impl Fn(String, String) -> Finding,
    store: &KspStore,
    opts: &Options,
    label: &str,
) -> Finding {
    let c = &store.counts;
    let expected_total = expected_total(opts);
    new(
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
    )
    .with_evidence("files", c.files)
    .with_evidence("certificates", c.certificates)
    .with_evidence("expected_total", expected_total)
    .with_evidence("counted", "files")
    .with_evidence("expired", c.expired)
    .with_ref(CHECK_D)
}

/// `NEA_CERT_EXPIRED`: renewal from NES has stopped.
fn expired(
    new: impl Fn(String, String) -> Finding,
    certs: &[&CertificateInfo],
    label: &str,
) -> Finding {
    let nes = certs
        .iter()
        .filter(|c| c.classification.kind == CertKind::Nes)
        .count();
    let latest = certs.iter().map(|c| c.not_after).max();
    with_certs(
        new(
            format!("{} expired NEA certificate(s) in {label}", certs.len()),
            format!(
                "{} certificate(s) are past NotAfter ({nes} classified NES-issued); the most \
                 recent expired {}. NES-issued NEA certificates are valid 14 days by default \
                 and are renewed only while the terminal reaches NES, so expired ones mean \
                 renewal has stopped.",
                certs.len(),
                time_or_dash(latest),
            ),
        )
        .with_evidence("count", certs.len()),
        certs,
    )
    .with_remediation(NES_REMEDIATION)
    .with_ref(ARTICLE)
    .with_ref("nymi-domain.md section 6 (NEA certs expired + no NES)")
}

/// `NEA_CERT_EXPIRING`: taps fail once these expire unrenewed.
fn expiring(
    new: impl Fn(String, String) -> Finding,
    certs: &[&CertificateInfo],
    opts: &Options,
    label: &str,
) -> Finding {
    let soonest = certs.iter().map(|c| c.not_after).min();
    with_certs(
        new(
            format!(
                "{} NEA certificate(s) in {label} expire within {} days",
                certs.len(),
                opts.expiring_days
            ),
            format!(
                "{} certificate(s) expire within {} days, the first at {}. They are renewed \
                 from NES; if the terminal cannot reach NES by then, taps will fail.",
                certs.len(),
                opts.expiring_days,
                time_or_dash(soonest),
            ),
        )
        .with_evidence("count", certs.len())
        .with_evidence("expiring_days", opts.expiring_days),
        certs,
    )
    .with_remediation(
        "Make sure the terminal reaches NES before then (Test-NymiNesConnection); a restart of \
         the EAM Security Service while NES is reachable refreshes the NEA certificates.",
    )
    .with_ref(ARTICLE)
}

/// `NEA_CERT_NOT_YET_VALID`: most often this terminal's clock.
fn not_yet_valid(
    new: impl Fn(String, String) -> Finding,
    certs: &[&CertificateInfo],
    opts: &Options,
    label: &str,
) -> Finding {
    let first = certs.iter().map(|c| c.not_before).min();
    with_certs(
        new(
            format!(
                "{} NEA certificate(s) in {label} are not valid yet",
                certs.len()
            ),
            format!(
                "{} certificate(s) have a NotBefore after the evaluation time {} (earliest {}). \
                 A certificate is unusable before NotBefore. Certificates issued moments ago \
                 that are already \"in the future\" are a sign of clock skew: this terminal's \
                 clock is behind the issuer's (or the issuer's is ahead).",
                certs.len(),
                UtcTime::from(opts.now),
                time_or_dash(first),
            ),
        )
        .with_evidence("count", certs.len())
        .with_evidence("evaluated_utc", UtcTime::from(opts.now)),
        certs,
    )
    .with_remediation(
        "Compare this terminal's clock with the domain and the NES server (w32tm /query \
         /status, w32tm /stripchart /computer:<NES host>); fix time synchronisation, then \
         restart the EAM Security Service.",
    )
}

/// `NEA_CERT_CHAIN_BROKEN`: what NSL refuses with 0x8101201c.
fn chain_broken(
    new: impl Fn(String, String) -> Finding,
    certs: &[&CertificateInfo],
    failed: usize,
    label: &str,
) -> Finding {
    let missing = certs.len() - failed;
    let items: Vec<Value> = certs
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
    new(
        format!(
            "NEA certificate chain broken in {label}: {} certificate(s)",
            certs.len()
        ),
        format!(
            "{missing} certificate(s) name an issuer that is not in the store, and {failed} \
             have a signature that does not verify with their issuer's key. NSL verifies the \
             NEA chain (nsl_verify_nea_cert_chain) and refuses an untrusted one (0x8101201c). \
             An issuer may also live outside the ksp folder: compare with a healthy terminal \
             before acting on a missing issuer alone."
        ),
    )
    .with_evidence("issuer_missing", missing)
    .with_evidence("signature_failed", failed)
    .with_evidence("certificates", items)
    .with_evidence("certificates_omitted", left)
    .with_remediation(
        "A failed signature means a damaged or replaced file: restart the EAM Security Service \
         while NES is reachable so the NEA fetches a fresh set. A missing issuer usually means \
         the NES-issued set is incomplete: same remedy.",
    )
    .with_ref("nymi-domain.md section 3 (0x8101201c)")
}

/// `NEA_CERT_UNREADABLE`: still counted, never touched.
fn unreadable(
    new: impl Fn(String, String) -> Finding,
    files: &[&FileEntry],
    too_large: usize,
    label: &str,
) -> Finding {
    with_files(
        new(
            format!("{} file(s) in {label} could not be read", files.len()),
            format!(
                "{} file(s) could not be read ({too_large} over the size limit and skipped). \
                 They are still counted as files. Each entry says why. Files are only ever \
                 read, never changed or moved.",
                files.len()
            ),
        )
        .with_evidence("count", files.len())
        .with_evidence("too_large", too_large),
        files,
    )
    .with_remediation(
        "If these files belong to the NEA, they are damaged: restart the EAM Security Service \
         while NES is reachable to have them written again. Files that do not belong there can \
         be moved out by an administrator.",
    )
}

/// `NEA_KEYSTORE_FILE_OPAQUE`: counted files read whole that are not
/// X.509 certificates, in whole or in part.
fn opaque(
    new: impl Fn(String, String) -> Finding,
    files: &[&FileEntry],
    partly: usize,
    empty: usize,
    label: &str,
) -> Finding {
    let whole = files.len() - partly;
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
    let finding = with_files(
        new(
            format!(
                "{} file(s) in {label} are not X.509 certificates",
                files.len()
            ),
            detail,
        )
        .with_evidence("count", files.len())
        .with_evidence("not_x509", whole)
        .with_evidence("partly_x509", partly)
        .with_evidence("empty", empty),
        files,
    )
    .with_ref(CHECK_D);
    if empty > 0 {
        finding.with_remediation(EMPTY_FILE_REMEDIATION)
    } else {
        finding
    }
}

/// `NEA_CERT_WEAK_SIGNATURE`: information only.
fn weak_signature(
    new: impl Fn(String, String) -> Finding,
    certs: &[&CertificateInfo],
    label: &str,
) -> Finding {
    with_certs(
        new(
            format!(
                "{} NEA certificate(s) in {label} signed with SHA-1 or MD5",
                certs.len()
            ),
            format!(
                "{} certificate(s) use a signature algorithm based on SHA-1, MD5 or MD2.",
                certs.len()
            ),
        )
        .with_evidence("count", certs.len()),
        certs,
    )
}

fn time_or_dash(t: Option<UtcTime>) -> String {
    t.map_or_else(|| "-".to_owned(), |t| t.to_string())
}

fn kind_name(kind: CertKind) -> &'static str {
    match kind {
        CertKind::Local => "local",
        CertKind::Nes => "nes",
        CertKind::Unclassified => "unclassified",
    }
}

/// Adds the capped list of `certs` and the count left out.
fn with_certs(finding: Finding, certs: &[&CertificateInfo]) -> Finding {
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
    finding
        .with_evidence("certificates", Value::Array(items))
        .with_evidence("certificates_omitted", left as usize)
}

/// Adds the capped list of `files` and the count left out.
fn with_files(finding: Finding, files: &[&FileEntry]) -> Finding {
    let items: Vec<Value> = files
        .iter()
        .map(|f| json!({ "file": f.name, "size": f.size, "problem": f.problem }))
        .collect();
    let (items, left) = cap(items, MAX_EVIDENCE_ITEMS);
    finding
        .with_evidence("files", Value::Array(items))
        .with_evidence("files_omitted", left as usize)
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
