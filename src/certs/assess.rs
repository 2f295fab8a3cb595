//! What an active store's counts, dates and chains mean for the terminal:
//! each problem is decided here as a [`Problem`], with its id and severity;
//! [`wording`](super::wording) writes its finding.
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

use super::ids;
use super::model::{CertificateInfo, ChainStatus, FileEntry, FileStatus, KspStore, ValidityState};
use super::store::Options;
use super::wording;
use crate::report::{Finding, Severity};

/// One problem of an active store, with what its finding lists. The
/// variants are in the order the findings are reported.
#[derive(Debug)]
pub(crate) enum Problem<'a> {
    /// Fewer counted files than expected. `only_local`: exactly the local
    /// set and nothing NES-issued, the documented "8 instead of 20".
    Missing { only_local: bool },
    /// More counted files than expected.
    Extra,
    /// Certificates past NotAfter.
    Expired(Vec<&'a CertificateInfo>),
    /// Certificates whose NotAfter falls within `expiring_days`.
    Expiring(Vec<&'a CertificateInfo>),
    /// Certificates whose NotBefore is ahead of the evaluation time.
    NotYetValid(Vec<&'a CertificateInfo>),
    /// Certificates whose issuer is missing or whose signature fails;
    /// `signature_failed` of them fail their signature.
    ChainBroken {
        certs: Vec<&'a CertificateInfo>,
        signature_failed: usize,
    },
    /// Files that could not be read; `too_large` of them were over the cap.
    Unreadable {
        files: Vec<&'a FileEntry>,
        too_large: usize,
    },
    /// Files read whole that are not (or only partly) X.509: `partly` hold
    /// certificates with other parts, `empty` are 0 bytes.
    Opaque {
        files: Vec<&'a FileEntry>,
        partly: usize,
        empty: usize,
    },
    /// Certificates signed with SHA-1, MD5 or MD2.
    WeakSignature(Vec<&'a CertificateInfo>),
}

impl Problem<'_> {
    /// The finding id.
    pub(crate) fn id(&self) -> &'static str {
        match self {
            Problem::Missing { .. } => ids::NEA_CERTS_MISSING,
            Problem::Extra => ids::NEA_CERTS_EXTRA,
            Problem::Expired(_) => ids::NEA_CERT_EXPIRED,
            Problem::Expiring(_) => ids::NEA_CERT_EXPIRING,
            Problem::NotYetValid(_) => ids::NEA_CERT_NOT_YET_VALID,
            Problem::ChainBroken { .. } => ids::NEA_CERT_CHAIN_BROKEN,
            Problem::Unreadable { .. } => ids::NEA_CERT_UNREADABLE,
            Problem::Opaque { .. } => ids::NEA_KEYSTORE_FILE_OPAQUE,
            Problem::WeakSignature(_) => ids::NEA_CERT_WEAK_SIGNATURE,
        }
    }

    /// How bad it is: a failed signature means a damaged or replaced file,
    /// and an empty file an interrupted write, so both raise theirs.
    pub(crate) fn severity(&self) -> Severity {
        match self {
            Problem::Missing { .. }
            | Problem::Expired(_)
            | Problem::NotYetValid(_)
            | Problem::ChainBroken {
                signature_failed: 1..,
                ..
            } => Severity::Error,
            Problem::Expiring(_)
            | Problem::ChainBroken { .. }
            | Problem::Unreadable { .. }
            | Problem::Opaque { empty: 1.., .. } => Severity::Warning,
            Problem::Extra | Problem::Opaque { .. } | Problem::WeakSignature(_) => Severity::Info,
        }
    }
}

/// The files an active store is expected to hold: local plus NES-issued.
pub(crate) fn expected_total(opts: &Options) -> u64 {
    u64::from(opts.expected_local) + u64::from(opts.expected_nes)
}

/// Every problem of one active store, in report order. `store` still
/// holds its full lists (caps come later).
pub(crate) fn problems<'a>(store: &'a KspStore, opts: &Options) -> Vec<Problem<'a>> {
    let mut out = Vec::new();
    let c = &store.counts;
    let expected = expected_total(opts);
    if c.files < expected {
        out.push(Problem::Missing {
            only_local: c.files == u64::from(opts.expected_local)
                && opts.expected_nes > 0
                && c.nes == 0,
        });
    } else if c.files > expected {
        out.push(Problem::Extra);
    }

    let certs = |keep: &dyn Fn(&CertificateInfo) -> bool| -> Vec<&'a CertificateInfo> {
        store.certificates.iter().filter(|c| keep(c)).collect()
    };
    let files = |keep: &dyn Fn(&FileEntry) -> bool| -> Vec<&'a FileEntry> {
        store.files.iter().filter(|f| keep(f)).collect()
    };
    let by_state = |state: ValidityState| certs(&|c| c.validity == state);
    let non_empty = |v: Vec<&'a CertificateInfo>| (!v.is_empty()).then_some(v);

    out.extend(non_empty(by_state(ValidityState::Expired)).map(Problem::Expired));
    out.extend(non_empty(by_state(ValidityState::Expiring)).map(Problem::Expiring));
    out.extend(non_empty(by_state(ValidityState::NotYetValid)).map(Problem::NotYetValid));

    let broken = certs(&|c| {
        matches!(
            c.chain.status,
            ChainStatus::IssuerMissing | ChainStatus::SignatureFailed
        )
    });
    if !broken.is_empty() {
        let signature_failed = broken
            .iter()
            .filter(|c| c.chain.status == ChainStatus::SignatureFailed)
            .count();
        out.push(Problem::ChainBroken {
            certs: broken,
            signature_failed,
        });
    }

    let unreadable = files(&|f| matches!(f.status, FileStatus::Unreadable | FileStatus::TooLarge));
    if !unreadable.is_empty() {
        let too_large = count(&unreadable, |f| f.status == FileStatus::TooLarge);
        out.push(Problem::Unreadable {
            files: unreadable,
            too_large,
        });
    }

    // Certificate and key files count here only for the parts that are
    // not X.509 (their `problem`); opaque and empty files in whole.
    let opaque = files(&|f| match f.status {
        FileStatus::Opaque | FileStatus::Empty => true,
        FileStatus::Certificates | FileStatus::PrivateKey => f.problem.is_some(),
        _ => false,
    });
    if !opaque.is_empty() {
        let partly = count(&opaque, |f| {
            matches!(f.status, FileStatus::Certificates | FileStatus::PrivateKey)
        });
        let empty = count(&opaque, |f| f.status == FileStatus::Empty);
        out.push(Problem::Opaque {
            files: opaque,
            partly,
            empty,
        });
    }

    out.extend(non_empty(certs(&|c| c.signature_algorithm.weak)).map(Problem::WeakSignature));
    out
}

fn count(files: &[&FileEntry], keep: impl Fn(&FileEntry) -> bool) -> usize {
    files.iter().filter(|f| keep(f)).count()
}

/// Every finding for one active store.
pub(crate) fn store_findings(store: &KspStore, opts: &Options) -> Vec<Finding> {
    problems(store, opts)
        .iter()
        .map(|p| wording::finding(p, store, opts))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::model::{StoreCounts, StoreOrigin, StoreRole, StoreState};

    fn opts() -> Options {
        Options {
            end: None,
            now: time::OffsetDateTime::UNIX_EPOCH,
            expiring_days: 3,
            max_file_bytes: 1 << 20,
            expected_local: 8,
            expected_nes: 12,
        }
    }

    /// A store with only counts: no certificate or file to judge.
    fn counted(files: u64, nes: u64) -> KspStore {
        KspStore {
            path: "/x/NSL/a/ksp".to_owned(),
            origin: StoreOrigin::Folder,
            state: StoreState::Checked,
            error: None,
            role: StoreRole::Active,
            role_reason: String::new(),
            last_write_utc: None,
            counts: StoreCounts {
                files,
                nes,
                ..Default::default()
            },
            validity: Default::default(),
            roots: Vec::new(),
            families: Vec::new(),
            families_omitted: 0,
            files: Vec::new(),
            files_omitted: 0,
            certificates: Vec::new(),
            certificates_omitted: 0,
        }
    }

    #[test]
    fn the_count_decides_missing_or_extra() {
        let decide = |files, nes| -> Vec<String> {
            problems(&counted(files, nes), &opts())
                .iter()
                .map(|p| format!("{p:?}"))
                .collect()
        };
        assert_eq!(decide(8, 0), ["Missing { only_local: true }"]);
        assert_eq!(decide(8, 1), ["Missing { only_local: false }"]);
        assert_eq!(decide(10, 2), ["Missing { only_local: false }"]);
        assert!(decide(20, 12).is_empty());
        assert_eq!(decide(21, 12), ["Extra"]);
    }

    #[test]
    fn severities_follow_the_documented_table() {
        let rows = [
            (Problem::Missing { only_local: false }, Severity::Error),
            (Problem::Extra, Severity::Info),
            (Problem::Expired(Vec::new()), Severity::Error),
            (Problem::Expiring(Vec::new()), Severity::Warning),
            (Problem::NotYetValid(Vec::new()), Severity::Error),
            (
                Problem::ChainBroken {
                    certs: Vec::new(),
                    signature_failed: 0,
                },
                Severity::Warning,
            ),
            (
                Problem::ChainBroken {
                    certs: Vec::new(),
                    signature_failed: 2,
                },
                Severity::Error,
            ),
            (
                Problem::Unreadable {
                    files: Vec::new(),
                    too_large: 1,
                },
                Severity::Warning,
            ),
            (
                Problem::Opaque {
                    files: Vec::new(),
                    partly: 1,
                    empty: 0,
                },
                Severity::Info,
            ),
            (
                Problem::Opaque {
                    files: Vec::new(),
                    partly: 0,
                    empty: 1,
                },
                Severity::Warning,
            ),
            (Problem::WeakSignature(Vec::new()), Severity::Info),
        ];
        for (problem, severity) in rows {
            assert_eq!(problem.severity(), severity, "{problem:?}");
        }
    }
}
