//! The `data` of a `cert_inventory` report: stores, files and certificates.
//!
//! Every type here is plain data for JSON: snake_case keys, times as
//! [`UtcTime`], counts as integers, enums as lower-case strings. Long lists
//! are capped (see [`super::limits`]) and carry a count of what was left
//! out, so a report stays well below the ~2 MB that Windows PowerShell 5.1's
//! `ConvertFrom-Json` accepts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::time_fmt::UtcTime;

/// `data` of a `cert_inventory` report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CertInventoryData {
    /// How the stores were found.
    pub discovery: Discovery,
    /// What each store is compared with.
    pub expected: ExpectedCounts,
    /// The time validity was judged at (`now` from the request, or the
    /// clock).
    pub evaluated_utc: UtcTime,
    /// Certificates expiring within this many days are reported as expiring.
    pub expiring_days: u32,
    /// Files larger than this many bytes were skipped.
    pub max_file_bytes: u64,
    /// A discovered store whose last write is more than this many days
    /// older than the newest store's is `stale` (0: never).
    pub stale_after_days: u32,
    /// One entry per key store, in discovery order.
    pub stores: Vec<KspStore>,
    /// Stores found but not examined because of the store cap.
    pub stores_omitted: u32,
    /// The request's `deadline_ms` as applied (clamped); `null` without
    /// one.
    #[serde(default)]
    pub deadline_ms: Option<u64>,
    /// Whether the deadline stopped the inventory before every entry was
    /// read.
    #[serde(default)]
    pub deadline_reached: bool,
    /// Stores not started because the deadline had passed: listed in
    /// `stores` with state `failed` and never judged.
    #[serde(default)]
    pub stores_not_examined: u32,
    /// Entries of started stores left unread because the deadline had
    /// passed (the store is then `failed`: a partial count is no count).
    #[serde(default)]
    pub entries_not_examined: u64,
    /// Sums over the examined stores.
    pub totals: Totals,
}

/// How the stores were found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Discovery {
    /// `default` when the request named no paths, `paths` otherwise.
    pub mode: DiscoveryMode,
    /// The folders searched for `*\ksp` stores (default mode) or the paths
    /// requested (paths mode).
    pub searched: Vec<String>,
    /// Searched or requested paths that do not exist or could not be opened.
    pub missing: Vec<String>,
    /// Searched or requested paths that could not be opened because access
    /// was denied.
    pub access_denied: Vec<String>,
    /// Entries of `searched` left out beyond the first 100.
    #[serde(default)]
    pub searched_omitted: u32,
    /// Entries of `missing` left out beyond the first 100.
    #[serde(default)]
    pub missing_omitted: u32,
    /// Entries of `access_denied` left out beyond the first 100.
    #[serde(default)]
    pub access_denied_omitted: u32,
}

/// Where the stores came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiscoveryMode {
    /// The default Windows location (`%SystemRoot%\System32\config\
    /// systemprofile\AppData\Roaming\Nymi\NSL\*\ksp`).
    Default,
    /// The paths given in the request.
    Paths,
}

/// The counts a store is compared with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedCounts {
    /// Locally generated certificates per NEA (8 by default).
    pub local: u32,
    /// NES-issued certificates per NEA (12 by default).
    pub nes: u32,
    /// `local + nes` (20 by default).
    pub total: u64,
    /// What is counted: always `files`, as the Nymi article counts them
    /// ("20 certificate files"): see [`StoreCounts::files`]. Distinct
    /// certificates are reported beside it as evidence.
    pub counted: CountBasis,
}

/// What a store's count compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountBasis {
    /// Files in the store folder ([`StoreCounts::files`]), whatever they
    /// hold: the NSL key-store format is not documented and may be opaque.
    Files,
}

/// Sums over all examined stores.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Totals {
    /// Stores found (examined or not).
    pub stores: u32,
    /// Stores whose folder could be listed.
    pub stores_checked: u32,
    /// Examined stores whose role is `active` (they decide the verdict).
    pub stores_active: u32,
    /// Examined stores whose role is `stale` (reported, never judged).
    pub stores_stale: u32,
    /// Files counted in the examined stores ([`StoreCounts::files`]).
    pub files: u64,
    /// Distinct certificates, summed per store.
    pub certificates: u64,
    /// Files read whole that hold no X.509 certificate or key.
    pub opaque_files: u64,
    /// Files that could not be read (I/O error, broken link, over the
    /// size limit).
    pub unreadable_files: u64,
    /// Files that hold private keys.
    pub key_files: u64,
}

/// One NEA key store (`...\NSL\<string>\ksp`, or a folder given instead).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KspStore {
    /// Folder of the store, as found or given.
    pub path: String,
    /// How the store was found.
    pub origin: StoreOrigin,
    /// Whether the store could be examined.
    pub state: StoreState,
    /// Why not, when `state` is not `checked`.
    pub error: Option<String>,
    /// `active` (judged: its findings count) or `stale` (an abandoned NSL
    /// folder: reported with `KSP_STALE_STORE` only).
    pub role: StoreRole,
    /// Why the store has its role, in a sentence.
    pub role_reason: String,
    /// Newest last write time of the folder and its counted files; `null`
    /// when none is known.
    pub last_write_utc: Option<UtcTime>,
    /// Counts of entries, files and certificates.
    pub counts: StoreCounts,
    /// Newest renewal and earliest expiry.
    pub validity: StoreValidity,
    /// Self-signed certificates that verify with their own key.
    pub roots: Vec<RootInfo>,
    /// Groups of certificates linked by issuance, with their
    /// classification.
    pub families: Vec<FamilyInfo>,
    /// Families left out of `families` by the cap.
    pub families_omitted: u32,
    /// The store's entries, sorted by name (capped).
    pub files: Vec<FileEntry>,
    /// Entries left out of `files` by the cap.
    pub files_omitted: u32,
    /// Distinct certificates, sorted by NotAfter (capped).
    pub certificates: Vec<CertificateInfo>,
    /// Certificates left out of `certificates` by the cap.
    pub certificates_omitted: u32,
}

impl Discovery {
    /// Nothing searched yet, in `mode`.
    pub(crate) fn empty(mode: DiscoveryMode) -> Discovery {
        Discovery {
            mode,
            searched: Vec::new(),
            missing: Vec::new(),
            access_denied: Vec::new(),
            searched_omitted: 0,
            missing_omitted: 0,
            access_denied_omitted: 0,
        }
    }
}

impl CertInventoryData {
    /// The store the diagnosis compares: the checked, `active` store with
    /// the fewest counted files (the first one on a tie).
    pub fn deciding_store(&self) -> Option<&KspStore> {
        self.stores
            .iter()
            .filter(|s| s.state == StoreState::Checked && s.role == StoreRole::Active)
            .min_by_key(|s| s.counts.files)
    }
}

/// How a store was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StoreOrigin {
    /// A `ksp` folder under the default NSL folder.
    Discovered,
    /// A folder given in `paths`, taken as one store.
    Folder,
    /// A `*\ksp` subfolder of a folder given in `paths` (an NSL folder).
    NslSubfolder,
    /// Files given one by one in `paths`, grouped by their parent folder.
    Files,
}

/// Whether a store is the one in use.
///
/// A store given explicitly (a folder or files in `paths`) is `active`.
/// Among discovered stores (the default NSL folder, or an NSL folder given
/// in `paths`), a store is `stale` when its last write is more than
/// `stale_after_days` older than the newest last write of any store: a
/// store in use is rewritten at least once per NES certificate lifetime
/// (14 days by default). The newest store is always active; a store whose
/// last write is unknown, or that could not be listed, is active.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StoreRole {
    /// In use: its counts and dates are judged.
    Active,
    /// Abandoned: reported, never judged.
    Stale,
}

/// Whether a store could be examined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StoreState {
    /// Listed and every entry looked at.
    Checked,
    /// Listing the folder was refused (needs elevation or SYSTEM).
    AccessDenied,
    /// Listing the folder failed for another reason.
    Failed,
}

/// Counts for one store.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreCounts {
    /// Directory entries seen (files, folders, links, others).
    pub entries: u64,
    /// Entries not examined because of the per-store entry cap.
    pub entries_not_examined: u64,
    /// The number compared with the expected total, as the Nymi article
    /// counts: every regular file directly in the folder (links followed),
    /// whatever it holds, including empty ones, and entries that stand
    /// where a file should but cannot be opened (a dangling link). OS
    /// metadata files (`desktop.ini`, `Thumbs.db`, `.DS_Store`, `._*`, ...),
    /// folders and special files are not counted.
    pub files: u64,
    /// Counted files holding at least one certificate.
    pub certificate_files: u64,
    /// Counted files holding a private key and no certificate.
    pub key_files: u64,
    /// Counted files read whole that hold no X.509 certificate and no key
    /// (an opaque key-store blob, or damaged); includes `empty_files`.
    pub opaque_files: u64,
    /// Counted files of 0 bytes.
    pub empty_files: u64,
    /// Counted files that could not be read: I/O error, broken link, or
    /// over `max_file_bytes`.
    pub unreadable_files: u64,
    /// OS metadata files, not counted.
    pub os_metadata_files: u64,
    /// Entries that are not regular files (folders, FIFOs, sockets,
    /// devices): not counted, never opened for reading.
    pub skipped_entries: u64,
    /// Counted files minus expired and not-yet-valid certificates: the
    /// files that can be in use now. A file without a certificate cannot be
    /// judged expired and stays in this number (see
    /// `validity_unknown_files`).
    pub valid: u64,
    /// Counted files whose validity cannot be judged because they hold no
    /// certificate (opaque, empty, key, unreadable).
    pub validity_unknown_files: u64,
    /// Distinct certificates (by SHA-1 thumbprint) parsed from the files:
    /// evidence beside the file count.
    pub certificates: u64,
    /// Copies of a certificate already seen in another file or block.
    pub duplicate_certificates: u64,
    /// Certificates classified as locally generated.
    pub local: u64,
    /// Certificates classified as NES-issued.
    pub nes: u64,
    /// Certificates the evidence could not classify.
    pub unclassified: u64,
    /// Certificates whose NotAfter has passed.
    pub expired: u64,
    /// Certificates expiring within `expiring_days`.
    pub expiring: u64,
    /// Certificates whose NotBefore is still ahead.
    pub not_yet_valid: u64,
    /// Certificates whose issuer is missing or whose signature fails.
    pub chain_broken: u64,
    /// Self-signed certificates that verify with their own key.
    pub roots: u64,
}

/// Newest renewal and earliest expiry of a store, as times and whole days.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreValidity {
    /// Newest NotBefore: when the store last received a certificate.
    pub newest_not_before: Option<UtcTime>,
    /// Whole days since `newest_not_before` ("renewed N days ago").
    pub renewed_days_ago: Option<i64>,
    /// Earliest NotAfter: when the first certificate expires.
    pub earliest_not_after: Option<UtcTime>,
    /// Whole days until `earliest_not_after` ("expires in M days");
    /// negative once it has passed.
    pub expires_in_days: Option<i64>,
    /// Earliest NotAfter among NES-classified certificates, if any.
    pub nes_earliest_not_after: Option<UtcTime>,
}

/// A self-signed certificate of the store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RootInfo {
    /// SHA-1 thumbprint.
    pub thumbprint: String,
    /// Subject, RFC 4514.
    pub subject: String,
    /// Whether it is a CA (basicConstraints cA).
    pub ca: bool,
    /// Other certificates of the store whose chain ends at it.
    pub issued_below: u64,
}

/// Certificates linked by issuance: a root and everything it signed,
/// directly or not, or certificates sharing an issuer that is not in the
/// store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FamilyInfo {
    /// Subject of the family's top certificate, or the issuer name when the
    /// issuer is not in the store.
    pub anchor: String,
    /// Thumbprint of the top certificate, `null` when it is not in the store.
    pub anchor_thumbprint: Option<String>,
    /// Whether the top certificate is in the store.
    pub anchor_in_store: bool,
    /// Number of certificates in the family.
    pub size: u64,
    /// How the family was classified.
    pub classification: Classification,
}

/// Local or NES-issued, with the evidence it rests on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Classification {
    /// The answer.
    pub kind: CertKind,
    /// Which rule gave it.
    pub rule: ClassificationRule,
    /// The evidence, in a sentence.
    pub basis: String,
}

/// Origin of an NEA certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertKind {
    /// Generated on the terminal.
    Local,
    /// Issued by the Nymi Enterprise Server.
    Nes,
    /// The evidence in the store does not tell.
    Unclassified,
}

/// The inference behind a [`Classification`]. Nothing documents how to tell
/// local from NES-issued certificates, so every rule is an inference from the
/// certificates themselves (never from file names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClassificationRule {
    /// A self-signed end-entity certificate: no CA signed it, so it was made
    /// where its key lives.
    SelfSignedEndEntity,
    /// A certificate in a CA hierarchy, in a store whose other certificates
    /// are self-signed end entities.
    IssuedByCa,
    /// Exactly two families whose sizes match the expected local and NES
    /// counts.
    FamilySize,
    /// No rule applied.
    None,
}

/// One entry of a store folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// File name (not the full path; the store has it).
    pub name: String,
    /// Size in bytes, when known.
    pub size: Option<u64>,
    /// Last write time, when known.
    pub modified_utc: Option<UtcTime>,
    /// Encoding recognised in the file.
    pub format: FileFormat,
    /// What the file turned out to hold.
    pub status: FileStatus,
    /// Certificates parsed from the file (copies included).
    pub certificates: u32,
    /// Private keys seen (never decoded or copied).
    pub private_keys: u32,
    /// SHA-1 thumbprints of the certificates (capped).
    pub thumbprints: Vec<String>,
    /// Why the file or part of it could not be read.
    pub problem: Option<String>,
}

/// Encoding of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// Binary DER (certificate or private key).
    Der,
    /// Binary DER PKCS#7 / CMS SignedData bundle.
    Pkcs7Der,
    /// PEM text: one or more `-----BEGIN ...-----` blocks.
    Pem,
    /// Base64 text without PEM armour.
    Base64,
    /// Empty file.
    Empty,
    /// Nothing recognised.
    Unrecognized,
    /// Not read (too large, not a regular file, or the read failed).
    NotRead,
}

/// What a file turned out to hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// At least one certificate.
    Certificates,
    /// A private key and no certificate.
    PrivateKey,
    /// Read whole, but no X.509 certificate or key in it (an opaque
    /// key-store blob, or damaged; see `problem`). Counted.
    Opaque,
    /// 0 bytes. Counted.
    Empty,
    /// Could not be read: I/O error, or a link whose target is missing or
    /// loops (see `problem`). Counted.
    Unreadable,
    /// Larger than `max_file_bytes`; not read.
    TooLarge,
    /// Not a regular file (folder, FIFO, socket, device); never opened for
    /// reading, not counted.
    NotAFile,
    /// An OS metadata file (`desktop.ini`, `Thumbs.db`, `.DS_Store`, ...);
    /// not read, not counted.
    OsMetadata,
}

/// One certificate, as read from a store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateInfo {
    /// SHA-1 of the DER encoding, 40 upper-case hex digits (the Windows
    /// `Thumbprint`).
    pub thumbprint: String,
    /// SHA-256 of the DER encoding, upper-case hex.
    pub sha256: String,
    /// Serial number, upper-case hex of its bytes.
    pub serial: String,
    /// X.509 version (1, 2 or 3).
    pub version: u32,
    /// Subject name.
    pub subject: NameInfo,
    /// Issuer name.
    pub issuer: NameInfo,
    /// Start of validity.
    pub not_before: UtcTime,
    /// End of validity.
    pub not_after: UtcTime,
    /// Whole days from the evaluation time to NotAfter; negative once
    /// expired.
    pub days_left: i64,
    /// Whole days between NotBefore and NotAfter (NES default: 14).
    pub lifetime_days: i64,
    /// Validity at the evaluation time.
    pub validity: ValidityState,
    /// Public key.
    pub key: KeyInfo,
    /// Signature algorithm.
    pub signature_algorithm: SignatureAlgorithmInfo,
    /// basicConstraints, when present.
    pub basic_constraints: Option<BasicConstraintsInfo>,
    /// keyUsage bit names (`digitalSignature`, `keyCertSign`, ...).
    pub key_usage: Vec<String>,
    /// extendedKeyUsage purposes.
    pub extended_key_usage: Vec<OidName>,
    /// subjectAltName entries as `DNS:...`, `IP:...`, `email:...`,
    /// `URI:...`, `DirName:...`, `RID:...`, `otherName:<oid>` (capped).
    pub subject_alt_names: Vec<String>,
    /// authorityKeyIdentifier keyIdentifier, upper-case hex.
    pub authority_key_id: Option<String>,
    /// subjectKeyIdentifier, upper-case hex.
    pub subject_key_id: Option<String>,
    /// Subject equals issuer and the signature verifies with its own key.
    pub self_signed: bool,
    /// Issuer and signature within the store.
    pub chain: ChainInfo,
    /// Local or NES-issued, and why.
    pub classification: Classification,
    /// Files the certificate was found in (capped).
    pub files: Vec<String>,
    /// Oddities worth knowing (duplicate extensions, truncated text).
    pub notes: Vec<String>,
}

/// A distinguished name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NameInfo {
    /// RFC 4514 string: last RDN first, `CN=a,O=b`; short names from
    /// RFC 4514/4519 (plus `emailAddress`), other types as a dotted OID
    /// with a `#`-hex value.
    pub rfc4514: String,
    /// First commonName value, if any.
    pub cn: Option<String>,
}

/// Validity of a certificate at the evaluation time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValidityState {
    /// Valid, and not within `expiring_days` of NotAfter.
    Valid,
    /// Valid, but NotAfter is within `expiring_days`.
    Expiring,
    /// NotAfter has passed.
    Expired,
    /// NotBefore is still ahead.
    NotYetValid,
}

/// A public key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyInfo {
    /// `RSA`, `EC`, `Ed25519`, `Ed448`, `DSA`, or the OID when unknown.
    pub algorithm: String,
    /// Algorithm OID.
    pub algorithm_oid: String,
    /// Key size in bits, when known.
    pub size_bits: Option<u32>,
    /// Named curve for EC keys (`P-256`, `P-384`, `P-521`, or the OID).
    pub curve: Option<String>,
}

/// A signature algorithm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureAlgorithmInfo {
    /// Name (`sha256WithRSAEncryption`, `ecdsa-with-SHA256`, ...), or the
    /// OID when unknown.
    pub name: String,
    /// OID.
    pub oid: String,
    /// Uses SHA-1, MD5 or MD2.
    pub weak: bool,
}

/// basicConstraints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BasicConstraintsInfo {
    /// cA flag.
    pub ca: bool,
    /// pathLenConstraint.
    pub path_len: Option<u32>,
    /// Whether the extension is critical.
    pub critical: bool,
}

/// An OID with its name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OidName {
    /// Name (`serverAuth`, `clientAuth`, ...), or the OID when unknown.
    pub name: String,
    /// Dotted OID.
    pub oid: String,
}

/// Where a certificate's issuer is and whether its signature verifies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChainInfo {
    /// Whether a certificate with the issuer's name is in the store.
    pub issuer_present: bool,
    /// Thumbprint of the issuer that verified the signature (or, failing
    /// that, the first candidate).
    pub issuer_thumbprint: Option<String>,
    /// Result of checking the signature against the issuer's key.
    pub signature: SignatureCheck,
    /// Overall state of the chain up to a root.
    pub status: ChainStatus,
    /// Thumbprint of the root the chain ends at, when it ends in the store.
    pub root_thumbprint: Option<String>,
    /// Links from this certificate to its root (0 for a root).
    pub depth: u32,
}

/// Result of a signature check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureCheck {
    /// Verified with the issuer's public key.
    Verified,
    /// Did not verify with any candidate issuer's key.
    Failed,
    /// The algorithm cannot be checked by this library.
    Unsupported,
    /// No issuer in the store to check against.
    NotChecked,
}

/// State of a certificate's chain within the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChainStatus {
    /// Every link up to a self-signed root in the store verifies.
    Complete,
    /// The issuer is not in the store.
    IssuerMissing,
    /// The signature does not verify with the issuer's key.
    SignatureFailed,
    /// The signature algorithm cannot be checked here.
    SignatureUnsupported,
    /// This link is fine but one above it is broken or unverifiable.
    UpstreamBroken,
}
