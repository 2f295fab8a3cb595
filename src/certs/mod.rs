//! The `cert_inventory` capability: the NEA certificates in the terminal's
//! key stores, counted, dated, chained and classified (troubleshooting
//! check D).
//!
//! A key store is a `ksp` folder, by default every
//! `%SystemRoot%\System32\config\systemprofile\AppData\Roaming\Nymi\NSL\*\ksp`
//! (see [`discover`](self#discovery) below). Every file in it is read,
//! never written: DER, PEM (any number of blocks, with other text around),
//! base64 without armour, and PKCS#7 bundles; private keys are recognised
//! and counted, never decoded. Anything else is an unreadable entry with
//! the reason. Each store then gets findings (see the table in
//! [`CertInventoryRequest`]) and a `data` entry ([`KspStore`]).
//!
//! # Counting
//!
//! A healthy NEA has 8 locally generated and 12 NES-issued certificates,
//! which the Nymi article counts as "20 certificate files" (and the
//! failure as "only the 8 locally-generated certificate files"). The
//! inventory compares **files** with the expected total, as the article
//! does (`expected.counted` is `files`): every regular file directly in
//! the store folder, links followed, whatever it holds (an X.509
//! certificate, a key, an opaque key-store blob, an empty file, or a file
//! that cannot be read). Not counted: OS metadata files (`desktop.ini`,
//! `Thumbs.db`, `ehthumbs.db`, `.DS_Store`, `.directory`, `._*`),
//! subfolders and special files (FIFOs, sockets, devices), which are
//! listed as skipped entries and never opened for reading. The NSL
//! key-store format is not documented, so a file that is not X.509 is
//! still counted (`NEA_KEYSTORE_FILE_OPAQUE`); certificates that do parse
//! add evidence: distinct certificates (`counts.certificates`), dates,
//! chains and local/NES classification. `counts.valid` is the counted
//! files minus expired and not-yet-valid certificates; a file without a
//! certificate cannot be judged expired (`counts.validity_unknown_files`).
//!
//! # Several stores: the active one decides
//!
//! Each store gets its last write time (newest modified time of the folder
//! and its counted files) and a role (see [`StoreRole`]): a store given
//! explicitly in `paths` is `active`; a discovered store whose last write
//! is more than `stale_after_days` (default 14, the NES certificate
//! lifetime) older than the newest store's is `stale`. A stale store gets
//! only the info finding `KSP_STALE_STORE`; its problems stay in its data.
//! [`CertInventoryData::deciding_store`] is the store a verdict compares.
//!
//! # Discovery
//!
//! Without `paths`: every `ksp` folder under the LocalSystem profile's NSL
//! folder (also through `Sysnative` from a 32-bit process, and the
//! `SysWOW64` profile when it exists); on other operating systems there is
//! no default and `KSP_NOT_FOUND` says so. With `paths`: a folder named
//! `ksp` is a store; a folder with `*\ksp` subfolders (an NSL folder) gives
//! one store per subfolder; any other folder is a store; files given one by
//! one are grouped by parent folder into one store each.
//!
//! # Classification
//!
//! Local or NES-issued is inferred from the certificates alone (issuance
//! links, self-signed end entities, family sizes), never from file names,
//! and every answer carries its rule and basis; `unclassified` is a valid
//! answer. See [`ClassificationRule`].
//!
//! ```
//! use nymidiag::certs::{cert_inventory, ids, CertInventoryRequest};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let request = CertInventoryRequest {
//!     paths: vec![dir.path().to_string_lossy().into_owned()],
//!     ..Default::default()
//! };
//! let report = cert_inventory(&request);
//! assert_eq!(report.data.stores.len(), 1);
//! assert!(report.findings.iter().any(|f| f.id == ids::NEA_CERTS_MISSING));
//! ```

mod assess;
mod certinfo;
mod chain;
mod classify;
mod decode;
mod discover;
mod files;
pub mod ids;
mod limits;
mod model;
mod names;
mod pkcs7;
mod roles;
mod store;
mod wording;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use model::*;

use crate::Error;
use crate::report::{CoverageState, Finding, Report, ReportBuilder, Severity};
use crate::time_fmt::UtcTime;
use discover::Defaults;
use files::{FileSource, RealFiles};
use limits::{MAX_TEXT_CHARS, clip};
use store::Options;

/// Request of `nymidiag_cert_inventory`. Every field is optional; `{}` asks
/// for the defaults. Unknown fields are rejected.
///
/// Findings of `stale` stores are replaced by `KSP_STALE_STORE`. Findings
/// the report can hold, by stable id:
///
/// | id | severity | meaning |
/// | --- | --- | --- |
/// | `NEA_CERTS_MISSING` | error | fewer files than `expected_local + expected_nes`; says explicitly when only the local set is there (`nes_never_retrieved`) |
/// | `NEA_CERTS_EXTRA` | info | more files than expected |
/// | `NEA_CERT_EXPIRED` | error | NotAfter has passed |
/// | `NEA_CERT_EXPIRING` | warning | NotAfter within `expiring_days` |
/// | `NEA_CERT_NOT_YET_VALID` | error | NotBefore ahead; a sign of clock skew |
/// | `NEA_CERT_CHAIN_BROKEN` | warning, error if a signature fails | issuer missing from the store, or signature does not verify |
/// | `NEA_CERT_UNREADABLE` | warning | a file could not be read (I/O error, broken link), or was over `max_file_bytes` |
/// | `NEA_KEYSTORE_FILE_OPAQUE` | info; warning if a file is empty | a counted file read whole holds no X.509 certificate (or only in part): an opaque key-store blob, or damaged |
/// | `KSP_STALE_STORE` | info | a discovered store untouched for more than `stale_after_days` before the newest store; not judged |
/// | `NEA_CERT_WEAK_SIGNATURE` | info | signed with SHA-1, MD5 or MD2 |
/// | `KSP_NOT_FOUND` | warning (info where the OS has no default location) | no key store found |
/// | `KSP_ACCESS_DENIED` | warning | a store or the NSL folder could not be opened: run elevated or as SYSTEM |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CertInventoryRequest {
    /// Folders or files to examine instead of the default location. Empty
    /// (the default) searches the default location.
    pub paths: Vec<String>,
    /// Locally generated certificates expected per NEA. Default 8.
    pub expected_local: u32,
    /// NES-issued certificates expected per NEA. Default 12.
    pub expected_nes: u32,
    /// Certificates expiring within this many days are reported as
    /// expiring. Default 3.
    pub expiring_days: u32,
    /// Files larger than this are skipped and reported. Default 1048576
    /// (1 MiB); at most 67108864 (64 MiB) is honoured.
    pub max_file_bytes: u64,
    /// The time validity is judged at. Default: the clock.
    pub now: Option<UtcTime>,
    /// A discovered store whose last write is more than this many days
    /// older than the newest store's is `stale`: reported with
    /// `KSP_STALE_STORE`, never judged. Default 14 (the NES certificate
    /// lifetime: a store in use is rewritten at least that often). 0 turns
    /// the rule off (every store is active).
    pub stale_after_days: u32,
    /// Free text naming the caller, copied into `context.caller` (at most
    /// 256 characters are kept).
    pub caller: Option<String>,
    /// Time budget in milliseconds (at most 600000; default none). Once
    /// it has passed no further store or file is started: a store not
    /// started, or left with entries unread, is reported `failed` (never
    /// judged on a partial count), with a warning. A file already being
    /// read is finished (reads are capped by `max_file_bytes`).
    pub deadline_ms: Option<u64>,
}

impl Default for CertInventoryRequest {
    fn default() -> Self {
        CertInventoryRequest {
            paths: Vec::new(),
            expected_local: 8,
            expected_nes: 12,
            expiring_days: 3,
            max_file_bytes: limits::DEFAULT_MAX_FILE_BYTES,
            now: None,
            stale_after_days: 14,
            caller: None,
            deadline_ms: None,
        }
    }
}

/// Paths accepted in one request.
pub(crate) const MAX_PATHS: usize = 1_000;
/// Characters accepted in one path (the Windows extended-length limit).
const MAX_REQUEST_PATH_CHARS: usize = 32_767;
/// Entries kept in each list of [`Discovery`]; the rest are counted.
const MAX_DISCOVERY_LISTED: usize = 100;

impl CertInventoryRequest {
    /// Checks what the inventory cannot carry out: more than 1,000 paths,
    /// a blank path (which would otherwise mean the current folder or the
    /// default location), a path longer than 32,767 characters.
    pub fn check(&self) -> Result<(), Error> {
        if self.paths.len() > MAX_PATHS {
            return Err(Error::RequestInvalid {
                path: "paths".to_owned(),
                message: format!(
                    "{} paths: at most {MAX_PATHS}; give the folders that hold the files",
                    self.paths.len()
                ),
            });
        }
        for (i, p) in self.paths.iter().enumerate() {
            if p.trim().is_empty() {
                return Err(Error::RequestInvalid {
                    path: format!("paths[{i}]"),
                    message: "a blank path: name a folder or file".to_owned(),
                });
            }
            if p.chars().count() > MAX_REQUEST_PATH_CHARS {
                return Err(Error::RequestInvalid {
                    path: format!("paths[{i}]"),
                    message: format!("longer than {MAX_REQUEST_PATH_CHARS} characters"),
                });
            }
        }
        Ok(())
    }
}

/// Runs the inventory on the real file system. A request that cannot be
/// carried out (see [`CertInventoryRequest::check`]) gives a report with
/// status `error`, the reason in `warnings`, and nothing examined; use
/// [`try_cert_inventory`] to get the [`Error`] instead.
pub fn cert_inventory(request: &CertInventoryRequest) -> Report<CertInventoryData> {
    match try_cert_inventory(request) {
        Ok(report) => report,
        Err(e) => refused(request, &e),
    }
}

/// Runs the inventory on the real file system, failing with
/// [`Error::RequestInvalid`] (naming the field) when the request cannot be
/// carried out.
pub fn try_cert_inventory(
    request: &CertInventoryRequest,
) -> Result<Report<CertInventoryData>, Error> {
    request.check()?;
    Ok(inventory_with(
        &RealFiles,
        request,
        &discover::platform_defaults(),
    ))
}

/// The report of a refused request: status `error`, nothing examined.
fn refused(request: &CertInventoryRequest, e: &Error) -> Report<CertInventoryData> {
    let mut report = ReportBuilder::new(crate::report::Capability::CertInventory.name());
    report.caller(request.caller.as_deref());
    report.failed();
    report.warning(e.to_string());
    report.coverage("stores", CoverageState::Skipped, Some(e.to_string()));
    report.finish(CertInventoryData {
        discovery: Discovery::empty(DiscoveryMode::Paths),
        expected: ExpectedCounts {
            local: request.expected_local,
            nes: request.expected_nes,
            total: u64::from(request.expected_local) + u64::from(request.expected_nes),
            counted: CountBasis::Files,
        },
        evaluated_utc: request.now.unwrap_or_else(UtcTime::now),
        expiring_days: request.expiring_days,
        max_file_bytes: request.max_file_bytes.min(limits::HARD_MAX_FILE_BYTES),
        stale_after_days: request.stale_after_days,
        stores: Vec::new(),
        stores_omitted: 0,
        totals: Totals::default(),
        deadline_ms: request.deadline_ms,
        deadline_reached: false,
        stores_not_examined: 0,
        entries_not_examined: 0,
    })
}

/// Keeps the first entries of each discovery list and counts the rest.
fn cap_discovery(d: &mut Discovery) {
    let cap = |list: &mut Vec<String>, omitted: &mut u32| {
        let left = list.len().saturating_sub(MAX_DISCOVERY_LISTED);
        list.truncate(MAX_DISCOVERY_LISTED);
        *omitted = u32::try_from(left).unwrap_or(u32::MAX);
    };
    cap(&mut d.searched, &mut d.searched_omitted);
    cap(&mut d.missing, &mut d.missing_omitted);
    cap(&mut d.access_denied, &mut d.access_denied_omitted);
}

/// The inventory over any [`FileSource`] and default locations; tests use
/// it to simulate what root cannot produce (access denied, Windows).
pub(crate) fn inventory_with(
    fs: &dyn FileSource,
    request: &CertInventoryRequest,
    defaults: &Defaults,
) -> Report<CertInventoryData> {
    let mut report = ReportBuilder::new(crate::report::Capability::CertInventory.name());
    report.caller(request.caller.as_deref());

    let now = request.now.unwrap_or_else(UtcTime::now);
    let max_file_bytes = if request.max_file_bytes > limits::HARD_MAX_FILE_BYTES {
        report.warning(format!(
            "max_file_bytes {} is above the {} limit; {} is used",
            request.max_file_bytes,
            limits::HARD_MAX_FILE_BYTES,
            limits::HARD_MAX_FILE_BYTES
        ));
        limits::HARD_MAX_FILE_BYTES
    } else {
        request.max_file_bytes
    };
    let deadline_ms = request.deadline_ms.map(|ms| {
        if ms > crate::probe::request::MAX_DEADLINE_MS {
            report.warning(format!(
                "deadline_ms {ms} is above the {} limit; {} is used",
                crate::probe::request::MAX_DEADLINE_MS,
                crate::probe::request::MAX_DEADLINE_MS
            ));
        }
        ms.min(crate::probe::request::MAX_DEADLINE_MS)
    });
    let opts = Options {
        end: deadline_ms.map(|ms| std::time::Instant::now() + std::time::Duration::from_millis(ms)),
        now: now.0,
        expiring_days: request.expiring_days,
        max_file_bytes,
        expected_local: request.expected_local,
        expected_nes: request.expected_nes,
    };

    let found = discover::discover(fs, &request.paths, defaults);
    if found.blank_paths > 0 {
        report.warning(format!(
            "{} blank entries in paths ignored",
            found.blank_paths
        ));
    }

    let mut data = CertInventoryData {
        discovery: found.discovery,
        expected: ExpectedCounts {
            local: request.expected_local,
            nes: request.expected_nes,
            total: u64::from(request.expected_local) + u64::from(request.expected_nes),
            counted: CountBasis::Files,
        },
        evaluated_utc: now,
        expiring_days: request.expiring_days,
        max_file_bytes,
        stale_after_days: request.stale_after_days,
        stores: Vec::new(),
        stores_omitted: 0,
        deadline_ms,
        deadline_reached: false,
        stores_not_examined: 0,
        entries_not_examined: 0,
        totals: Totals::default(),
    };

    let mut denied: Vec<String> = data.discovery.access_denied.clone();
    let mut specs = found.stores;
    data.totals.stores = u32::try_from(specs.len()).unwrap_or(u32::MAX);
    if specs.len() > limits::MAX_STORES {
        let left = specs.len() - limits::MAX_STORES;
        data.stores_omitted = u32::try_from(left).unwrap_or(u32::MAX);
        specs.truncate(limits::MAX_STORES);
        report.warning(format!(
            "{left} more stores found than the {} examined per call; pass paths to examine them",
            limits::MAX_STORES
        ));
        report.coverage(
            "stores_omitted",
            CoverageState::Skipped,
            Some(format!(
                "{left} stores beyond the cap of {}",
                limits::MAX_STORES
            )),
        );
    }

    let mut budget = Budget {
        files: limits::MAX_FILES_LISTED_TOTAL,
        certs: limits::MAX_CERTS_LISTED_TOTAL,
    };
    // Stores are examined one after the other; once the deadline has
    // passed, the rest are listed as not examined.
    let mut examined: Vec<store::Examined> = specs
        .iter()
        .map(|spec| {
            if opts.deadline_passed() {
                store::not_examined(spec, "not examined: the deadline was reached")
            } else {
                store::examine(fs, spec, &opts)
            }
        })
        .collect();
    deadline_summary(&mut report, &mut data, &examined, deadline_ms);
    roles::assign(&mut examined, request.stale_after_days);
    for examined in examined {
        let mut ksp = examined.store;
        let area = format!("store:{}", ksp.path);
        match ksp.state {
            StoreState::Checked => {
                report.coverage(&area, CoverageState::Checked, None);
                if ksp.role == StoreRole::Stale {
                    report.finding(roles::stale_finding(&ksp, &opts, request.stale_after_days));
                } else {
                    for f in assess::store_findings(&ksp, &opts) {
                        report.finding(f);
                    }
                }
                if examined.unsupported_signatures > 0 {
                    report.warning(format!(
                        "{}: {} signature(s) use an algorithm this library cannot verify",
                        ksp.path, examined.unsupported_signatures
                    ));
                }
                if ksp.counts.entries_not_examined > 0 {
                    report.warning(format!(
                        "{}: {} entries beyond the first {} were not examined",
                        ksp.path,
                        ksp.counts.entries_not_examined,
                        limits::MAX_ENTRIES_PER_STORE
                    ));
                }
            }
            StoreState::AccessDenied => {
                report.coverage(&area, CoverageState::Failed, ksp.error.clone());
                denied.push(ksp.path.clone());
            }
            StoreState::Failed
                if examined.deadline_skipped || examined.deadline_entries_left > 0 =>
            {
                // The deadline's own warning covers it.
                report.coverage(&area, CoverageState::Skipped, ksp.error.clone());
            }
            StoreState::Failed => {
                report.coverage(&area, CoverageState::Failed, ksp.error.clone());
                report.warning(format!(
                    "{}: the store could not be listed: {}",
                    ksp.path,
                    ksp.error.as_deref().unwrap_or("unknown error")
                ));
            }
        }
        add_totals(&mut data.totals, &ksp);
        budget.apply(&mut ksp);
        data.stores.push(ksp);
    }

    // Discovery findings and coverage.
    let checked = data.totals.stores_checked;
    if let Some(os) = found.no_default_on {
        report.coverage(
            "discovery",
            CoverageState::NotApplicable,
            Some(format!("no default key store location on {os}")),
        );
        report.finding(no_default_location(os));
    } else {
        let missing = !data.discovery.missing.is_empty();
        let show = match data.discovery.mode {
            DiscoveryMode::Default => {
                data.stores.is_empty() && (missing || !found.empty_nsl.is_empty())
            }
            DiscoveryMode::Paths => missing,
        };
        if show {
            report.finding(not_found(&data.discovery, &found.empty_nsl));
        }
    }
    if !denied.is_empty() {
        report.finding(access_denied(&denied));
    }
    if found.no_default_on.is_none() {
        let state = if !denied.is_empty() && checked == 0 {
            CoverageState::Failed
        } else {
            CoverageState::Checked
        };
        report.coverage(
            "discovery",
            state,
            Some(format!("{} store(s) found", data.totals.stores)),
        );
    }
    // Nothing could be checked because of permissions: "could not check",
    // not "broken".
    if checked == 0 && !denied.is_empty() {
        report.failed();
    }
    cap_discovery(&mut data.discovery);
    report.finish(data)
}

/// Counts what the deadline left out, and says so in a warning and the
/// `deadline` coverage.
fn deadline_summary(
    report: &mut ReportBuilder,
    data: &mut CertInventoryData,
    examined: &[store::Examined],
    deadline_ms: Option<u64>,
) {
    data.stores_not_examined = examined.iter().filter(|e| e.deadline_skipped).count() as u32;
    data.entries_not_examined = examined.iter().map(|e| e.deadline_entries_left).sum();
    data.deadline_reached = data.stores_not_examined > 0 || data.entries_not_examined > 0;
    let Some(ms) = deadline_ms else {
        return;
    };
    if data.deadline_reached {
        let text = format!(
            "the deadline of {ms} ms was reached: {} store(s) not examined and {} entries of \
             started stores not read; those stores are reported failed, not judged",
            data.stores_not_examined, data.entries_not_examined
        );
        report.warning(text.clone());
        report.coverage("deadline", CoverageState::Failed, Some(text));
    } else {
        report.coverage(
            "deadline",
            CoverageState::Checked,
            Some(format!("every store examined within {ms} ms")),
        );
    }
}

/// Remaining room in the report's lists.
#[derive(Debug)]
struct Budget {
    files: usize,
    certs: usize,
}

impl Budget {
    fn apply(&mut self, ksp: &mut KspStore) {
        store::sort_files_for_display(&mut ksp.files);
        let files = limits::MAX_FILES_LISTED_PER_STORE.min(self.files);
        let (kept, left) = limits::cap(std::mem::take(&mut ksp.files), files);
        self.files -= kept.len();
        ksp.files = kept;
        ksp.files_omitted = left;

        let certs = limits::MAX_CERTS_LISTED_PER_STORE.min(self.certs);
        let (kept, left) = limits::cap(std::mem::take(&mut ksp.certificates), certs);
        self.certs -= kept.len();
        ksp.certificates = kept;
        ksp.certificates_omitted = left;

        let (kept, left) =
            limits::cap(std::mem::take(&mut ksp.families), limits::MAX_GROUPS_LISTED);
        ksp.families = kept;
        ksp.families_omitted = left;
        ksp.roots.truncate(limits::MAX_GROUPS_LISTED);
    }
}

fn add_totals(t: &mut Totals, ksp: &KspStore) {
    if ksp.state == StoreState::Checked {
        t.stores_checked += 1;
    }
    match ksp.role {
        StoreRole::Active => t.stores_active += 1,
        StoreRole::Stale => t.stores_stale += 1,
    }
    t.files += ksp.counts.files;
    t.certificates += ksp.counts.certificates;
    t.opaque_files += ksp.counts.opaque_files;
    t.unreadable_files += ksp.counts.unreadable_files;
    t.key_files += ksp.counts.key_files;
}

/// `KSP_NOT_FOUND` (info) where the OS has no default key store location.
fn no_default_location(os: &str) -> Finding {
    Finding::new(
        ids::KSP_NOT_FOUND,
        Severity::Info,
        "No default NEA key store location on this operating system",
        format!(
            "NEA key stores live under %SystemRoot%\\System32\\config\\systemprofile\\\
             AppData\\Roaming\\Nymi\\NSL\\*\\ksp on Windows; there is no default location \
             on {os}. Pass the folders or files to examine in paths."
        ),
    )
    .with_evidence("os", os)
    .with_remediation(
        "Give paths (Get-NymiNeaCertificate -Path <folder>) to examine a copied store.",
    )
}

fn not_found(discovery: &Discovery, empty_nsl: &[String]) -> Finding {
    let (items, left) = limits::cap(discovery.missing.clone(), limits::MAX_EVIDENCE_ITEMS);
    let (searched, searched_left) =
        limits::cap(discovery.searched.clone(), limits::MAX_EVIDENCE_ITEMS);
    let detail = match discovery.mode {
        DiscoveryMode::Default if !empty_nsl.is_empty() => format!(
            "The NSL folder exists ({}) but holds no <string>\\ksp folder: no NEA has created \
             its key store as SYSTEM on this terminal yet.",
            empty_nsl.join(", ")
        ),
        DiscoveryMode::Default => format!(
            "No NEA key store: {} does not exist. The Nymi runtime has not run as SYSTEM on this \
             terminal (not installed, or the EAM Security Service never started), or it keeps \
             its store elsewhere.",
            items.first().map_or("the NSL folder", String::as_str)
        ),
        DiscoveryMode::Paths => format!(
            "{} of the requested paths do not exist or could not be opened: {}.",
            discovery.missing.len(),
            items.join("; ")
        ),
    };
    Finding::new(
        ids::KSP_NOT_FOUND,
        Severity::Warning,
        "No NEA key store (ksp folder) found",
        clip(&detail, 4 * MAX_TEXT_CHARS),
    )
    .with_evidence("searched", searched)
    .with_evidence("searched_omitted", searched_left)
    .with_evidence("missing", items)
    .with_evidence("missing_omitted", left)
    .with_evidence("nsl_without_ksp", empty_nsl)
    .with_remediation(
        "Check that the Nymi runtime and the Evidian client are installed and that the EAM \
         Security Service runs; a healthy NEA creates NSL\\<string>\\ksp under the LocalSystem \
         profile. If the store lives elsewhere, pass its folder in paths (-Path).",
    )
    .with_ref(CHECK_D_REF)
}

const CHECK_D_REF: &str = "nymi-domain.md section 5, check D (ksp inventory)";

fn access_denied(paths: &[String]) -> Finding {
    let (items, left) = limits::cap(paths.to_vec(), limits::MAX_EVIDENCE_ITEMS);
    Finding::new(
        ids::KSP_ACCESS_DENIED,
        Severity::Warning,
        "NEA key store could not be opened: access denied",
        format!(
            "Access was denied to {}. The LocalSystem profile (config\\systemprofile) is readable \
             only by SYSTEM and Administrators, so its key stores could not be checked.",
            items.join("; ")
        ),
    )
    .with_evidence("paths", items)
    .with_evidence("paths_omitted", left)
    .with_remediation(
        "Run elevated (Run as administrator) or as SYSTEM: an Intune remediation or a GPO \
         startup script already runs as SYSTEM; interactively, use a scheduled task running as \
         SYSTEM or psexec -s.",
    )
    .with_ref(CHECK_D_REF)
}

#[cfg(test)]
mod tests;
