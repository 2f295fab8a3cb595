//! Examines one store: reads every entry, parses the certificates, links
//! them and classifies them. Caps are applied later, by the caller, so the
//! findings see every file and certificate.

use std::collections::HashMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use sha1::Digest as _;
use time::OffsetDateTime;

use super::certinfo::{self, whole_days};
use super::chain;
use super::classify::{self, Facts};
use super::decode;
use super::discover::StoreSpec;
use super::files::{EntryKind, FileSource, ReadOutcome, describe_io_error};
use super::limits::{MAX_ENTRIES_PER_STORE, MAX_LINKS, MAX_PATH_CHARS, MAX_TEXT_CHARS, clip};
use super::model::{
    CertKind, ChainStatus, FamilyInfo, FileEntry, FileFormat, FileStatus, KspStore, RootInfo,
    SignatureCheck, StoreCounts, StoreRole, StoreState, StoreValidity, ValidityState,
};
use crate::time_fmt::UtcTime;

/// What the request asks of every store.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Options {
    /// No store or file is started after this instant.
    pub(crate) end: Option<std::time::Instant>,
    pub(crate) now: OffsetDateTime,
    pub(crate) expiring_days: u32,
    pub(crate) max_file_bytes: u64,
    pub(crate) expected_local: u32,
    pub(crate) expected_nes: u32,
}

impl Options {
    /// Whether the deadline has passed.
    pub(crate) fn deadline_passed(&self) -> bool {
        self.end.is_some_and(|end| std::time::Instant::now() >= end)
    }
}

/// A store with its full lists, and what the report needs beside it.
#[derive(Debug)]
pub(crate) struct Examined {
    pub(crate) store: KspStore,
    /// The listing failed with access denied.
    pub(crate) access_denied: bool,
    /// Signatures whose algorithm this library cannot check.
    pub(crate) unsupported_signatures: u64,
    /// Not started: the deadline had passed.
    pub(crate) deadline_skipped: bool,
    /// Entries left unread because the deadline passed during the store.
    pub(crate) deadline_entries_left: u64,
}

/// A store as reported before anything of it is read.
fn blank_store(spec: &StoreSpec) -> KspStore {
    KspStore {
        path: clip(&spec.path.to_string_lossy(), MAX_PATH_CHARS),
        origin: spec.origin,
        state: StoreState::Checked,
        error: None,
        role: StoreRole::Active,
        role_reason: String::new(),
        last_write_utc: None,
        counts: StoreCounts::default(),
        validity: StoreValidity::default(),
        roots: Vec::new(),
        families: Vec::new(),
        families_omitted: 0,
        files: Vec::new(),
        files_omitted: 0,
        certificates: Vec::new(),
        certificates_omitted: 0,
    }
}

/// A store not examined at all (`why` says so): failed, never judged.
pub(crate) fn not_examined(spec: &StoreSpec, why: &str) -> Examined {
    let mut store = blank_store(spec);
    store.state = StoreState::Failed;
    store.error = Some(why.to_owned());
    Examined {
        store,
        access_denied: false,
        unsupported_signatures: 0,
        deadline_skipped: true,
        deadline_entries_left: 0,
    }
}

/// Examines one store.
pub(crate) fn examine(fs: &dyn FileSource, spec: &StoreSpec, opts: &Options) -> Examined {
    let mut examined = Examined {
        store: blank_store(spec),
        access_denied: false,
        unsupported_signatures: 0,
        deadline_skipped: false,
        deadline_entries_left: 0,
    };
    let store = &mut examined.store;

    let mut entries = match &spec.files {
        Some(files) => files.clone(),
        None => match fs.list(&spec.path, MAX_ENTRIES_PER_STORE) {
            Ok(listing) => {
                store.counts.entries_not_examined = listing.not_kept;
                store.counts.entries = listing.not_kept;
                for error in listing.errors {
                    store.counts.unreadable_files += 1;
                    store.files.push(FileEntry {
                        name: "(entry the folder listing could not return)".to_owned(),
                        problem: Some(clip(&error, MAX_TEXT_CHARS)),
                        ..not_read(String::new())
                    });
                }
                listing.entries
            }
            Err(e) => {
                examined.access_denied = e.kind() == std::io::ErrorKind::PermissionDenied;
                store.state = if examined.access_denied {
                    StoreState::AccessDenied
                } else {
                    StoreState::Failed
                };
                store.error = Some(describe_io_error(&e));
                return examined;
            }
        },
    };
    entries.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    // The folder's own time moves when a file is added, renamed or removed.
    let mut last_write = fs
        .stat(&spec.path)
        .ok()
        .and_then(|m| m.modified)
        .and_then(to_utc);
    store.counts.entries += entries.len() as u64;

    // Distinct certificates by SHA-1, with the files each came from.
    let mut ders: Vec<Vec<u8>> = Vec::new();
    let mut files_of: Vec<Vec<String>> = Vec::new();
    let mut seen: HashMap<Vec<u8>, usize> = HashMap::new();
    for (done, path) in entries.iter().enumerate() {
        if opts.deadline_passed() {
            // A partial count would read as missing certificates.
            let left = (entries.len() - done) as u64;
            examined.deadline_entries_left = left;
            store.counts.entries_not_examined += left;
            store.state = StoreState::Failed;
            store.error = Some(format!(
                "not examined completely: the deadline was reached after {done} of {} \
                 entries; the store is not judged",
                entries.len()
            ));
            break;
        }
        let (mut entry, certs) = examine_entry(fs, path, opts.max_file_bytes);
        for der in certs {
            let thumb = sha1::Sha1::digest(&der).to_vec();
            if entry.thumbprints.len() < MAX_LINKS {
                entry.thumbprints.push(hex::encode_upper(&thumb));
            }
            match seen.get(&thumb) {
                Some(&i) => {
                    store.counts.duplicate_certificates += 1;
                    if files_of[i].len() < MAX_LINKS && !files_of[i].contains(&entry.name) {
                        files_of[i].push(entry.name.clone());
                    }
                }
                None => {
                    seen.insert(thumb, ders.len());
                    ders.push(der);
                    files_of.push(vec![entry.name.clone()]);
                }
            }
        }
        if count_entry(&mut store.counts, entry.status) {
            last_write = last_write.max(entry.modified_utc);
        }
        store.files.push(entry);
    }

    store.last_write_utc = last_write;
    examined.unsupported_signatures = analyse(store, &ders, files_of, opts);
    let c = &mut store.counts;
    c.valid = c.files.saturating_sub(c.expired + c.not_yet_valid);
    c.validity_unknown_files = c.files - c.certificate_files;
    examined
}

/// Adds one entry to the counts; returns whether it is a counted file.
fn count_entry(c: &mut StoreCounts, status: FileStatus) -> bool {
    match status {
        FileStatus::NotAFile => c.skipped_entries += 1,
        FileStatus::OsMetadata => c.os_metadata_files += 1,
        FileStatus::Certificates => c.certificate_files += 1,
        FileStatus::PrivateKey => c.key_files += 1,
        FileStatus::Opaque => c.opaque_files += 1,
        FileStatus::Empty => {
            c.opaque_files += 1;
            c.empty_files += 1;
        }
        // A dangling link never became a file, but it stands where one
        // should be.
        FileStatus::Unreadable | FileStatus::TooLarge => c.unreadable_files += 1,
    }
    let counted = !matches!(status, FileStatus::NotAFile | FileStatus::OsMetadata);
    if counted {
        c.files += 1;
    }
    counted
}

/// Names Windows Explorer, macOS Finder and similar tools drop into any
/// folder they show; never part of a key store. Compared case-insensitively.
const OS_METADATA_NAMES: &[&str] = &[
    "desktop.ini",
    "thumbs.db",
    "ehthumbs.db",
    "ehthumbs_vista.db",
    ".ds_store",
    ".directory",
];

/// Whether a file name is OS metadata: a name above, or a macOS
/// AppleDouble companion (`._name`) written beside each file copied to a
/// foreign file system.
pub(crate) fn is_os_metadata(name: &str) -> bool {
    name.starts_with("._")
        || OS_METADATA_NAMES
            .iter()
            .any(|m| m.eq_ignore_ascii_case(name))
}

fn not_read(name: String) -> FileEntry {
    FileEntry {
        name,
        size: None,
        modified_utc: None,
        format: FileFormat::NotRead,
        status: FileStatus::Unreadable,
        certificates: 0,
        private_keys: 0,
        thumbprints: Vec::new(),
        problem: None,
    }
}

/// Reads one entry. Never opens anything but a regular file within the
/// size cap.
fn examine_entry(fs: &dyn FileSource, path: &Path, max_bytes: u64) -> (FileEntry, Vec<Vec<u8>>) {
    let name = path
        .file_name()
        .map_or_else(|| path.to_string_lossy(), |n| n.to_string_lossy());
    let mut entry = not_read(clip(&name, MAX_TEXT_CHARS));
    if is_os_metadata(&name) {
        entry.status = FileStatus::OsMetadata;
        return (entry, Vec::new());
    }
    let meta = match fs.stat(path) {
        Ok(m) => m,
        Err(e) => {
            let why = if fs.is_symlink(path) {
                format!("symbolic link whose target is missing or loops ({e})")
            } else {
                describe_io_error(&e)
            };
            entry.problem = Some(clip(&why, MAX_TEXT_CHARS));
            return (entry, Vec::new());
        }
    };
    entry.size = Some(meta.len);
    entry.modified_utc = meta.modified.and_then(to_utc);
    match meta.kind {
        EntryKind::File => {}
        EntryKind::Dir => {
            entry.status = FileStatus::NotAFile;
            entry.problem = Some("a folder, not a file; not read".to_owned());
            return (entry, Vec::new());
        }
        EntryKind::Other(kind) => {
            entry.status = FileStatus::NotAFile;
            entry.problem = Some(format!(
                "not a regular file ({kind}); not counted, never opened for reading"
            ));
            return (entry, Vec::new());
        }
    }
    let too_large = |entry: &mut FileEntry| {
        entry.status = FileStatus::TooLarge;
        entry.problem = Some(format!(
            "{} bytes, over the {max_bytes}-byte limit (max_file_bytes); not read",
            entry.size.unwrap_or(0)
        ));
    };
    if meta.len > max_bytes {
        too_large(&mut entry);
        return (entry, Vec::new());
    }
    let bytes = match fs.read(path, max_bytes) {
        Ok(ReadOutcome::Bytes(b)) => b,
        Ok(ReadOutcome::TooLarge) => {
            too_large(&mut entry);
            return (entry, Vec::new());
        }
        Ok(ReadOutcome::NotRegular(kind)) => {
            // Listed as a file, but the opened handle is something else:
            // swapped in between. Nothing was read.
            entry.status = FileStatus::NotAFile;
            entry.problem = Some(format!(
                "not a regular file ({kind}) when opened, though listed as one; not counted, \
                 not read"
            ));
            return (entry, Vec::new());
        }
        Err(e) => {
            entry.problem = Some(clip(&describe_io_error(&e), MAX_TEXT_CHARS));
            return (entry, Vec::new());
        }
    };
    let decoded = decode::decode(&bytes);
    entry.format = decoded.format.unwrap_or(FileFormat::Unrecognized);
    entry.certificates = u32::try_from(decoded.certificates.len()).unwrap_or(u32::MAX);
    entry.private_keys = decoded.private_keys;
    entry.status = if !decoded.certificates.is_empty() {
        FileStatus::Certificates
    } else if decoded.private_keys > 0 {
        FileStatus::PrivateKey
    } else if bytes.is_empty() {
        FileStatus::Empty
    } else {
        FileStatus::Opaque
    };
    if entry.status == FileStatus::Opaque {
        let why = decoded.problems.join("; ");
        entry.problem = Some(clip(
            &format!("not an X.509 certificate (opaque key-store data, or damaged): {why}"),
            MAX_TEXT_CHARS,
        ));
    } else if !decoded.problems.is_empty() {
        entry.problem = Some(clip(&decoded.problems.join("; "), MAX_TEXT_CHARS));
    }
    (entry, decoded.certificates)
}

fn to_utc(t: SystemTime) -> Option<UtcTime> {
    let nanos = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i128::try_from(d.as_nanos()).ok()?,
        Err(e) => -i128::try_from(e.duration().as_nanos()).ok()?,
    };
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .map(UtcTime::from)
}

/// Parses, links and classifies the store's certificates and fills the
/// store's certificate lists and counts. Returns the number of signatures
/// that could not be checked.
fn analyse(
    store: &mut KspStore,
    ders: &[Vec<u8>],
    files_of: Vec<Vec<String>>,
    opts: &Options,
) -> u64 {
    let mut certs = Vec::with_capacity(ders.len());
    let mut infos = Vec::with_capacity(ders.len());
    let mut keys = Vec::with_capacity(ders.len());
    for (der, files) in ders.iter().zip(files_of) {
        // Every encoding here parsed once already, in `decode`.
        let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
            continue;
        };
        let (mut info, k) = certinfo::describe(&cert, der, opts.now, opts.expiring_days);
        info.files = files;
        certs.push(cert);
        infos.push(info);
        keys.push(k);
    }

    let (links, families) = chain::link(&certs, &keys);
    let thumbs: Vec<String> = infos.iter().map(|i| i.thumbprint.clone()).collect();
    let thumb = |i: usize| thumbs[i].clone();
    let mut unsupported = 0;
    let chains: Vec<_> = links
        .iter()
        .map(|l| super::model::ChainInfo {
            issuer_present: l.issuer_present,
            issuer_thumbprint: l.issuer.map(thumb),
            signature: l.signature,
            status: l.status,
            root_thumbprint: l.root.map(thumb),
            depth: l.depth,
        })
        .collect();
    for (info, (chain, link)) in infos.iter_mut().zip(chains.into_iter().zip(&links)) {
        if link.signature == SignatureCheck::Unsupported {
            unsupported += 1;
        }
        info.self_signed = link.self_signed;
        info.chain = chain;
    }

    let anchors: Vec<String> = families
        .iter()
        .map(|f| match (f.root, f.external_top) {
            (Some(r), _) => infos[r].subject.rfc4514.clone(),
            (None, Some(t)) => infos[t].issuer.rfc4514.clone(),
            (None, None) => infos[f.members[0]].subject.rfc4514.clone(),
        })
        .collect();
    let facts: Vec<Facts> = keys.iter().map(|k| Facts { is_ca: k.is_ca }).collect();
    let classes = classify::classify(
        &families,
        &links,
        &facts,
        &anchors,
        opts.expected_local,
        opts.expected_nes,
    );
    for (family, class) in families.iter().zip(&classes) {
        for &m in &family.members {
            infos[m].classification = class.clone();
        }
    }
    store.families = families
        .iter()
        .zip(anchors)
        .zip(classes)
        .map(|((f, anchor), classification)| FamilyInfo {
            anchor,
            anchor_thumbprint: f.root.map(thumb),
            anchor_in_store: f.root.is_some(),
            size: f.members.len() as u64,
            classification,
        })
        .collect();
    let mut below: HashMap<usize, u64> = HashMap::new();
    for (j, l) in links.iter().enumerate() {
        if let Some(r) = l.root.filter(|r| *r != j) {
            *below.entry(r).or_default() += 1;
        }
    }
    store.roots = links
        .iter()
        .enumerate()
        .filter(|(_, l)| l.self_signed)
        .map(|(i, _)| RootInfo {
            thumbprint: thumb(i),
            subject: infos[i].subject.rfc4514.clone(),
            ca: keys[i].is_ca,
            issued_below: below.get(&i).copied().unwrap_or(0),
        })
        .collect();

    let c = &mut store.counts;
    c.certificates = infos.len() as u64;
    c.roots = store.roots.len() as u64;
    for info in &infos {
        match info.classification.kind {
            CertKind::Local => c.local += 1,
            CertKind::Nes => c.nes += 1,
            CertKind::Unclassified => c.unclassified += 1,
        }
        match info.validity {
            ValidityState::Expired => c.expired += 1,
            ValidityState::Expiring => c.expiring += 1,
            ValidityState::NotYetValid => c.not_yet_valid += 1,
            ValidityState::Valid => {}
        }
        if matches!(
            info.chain.status,
            ChainStatus::IssuerMissing | ChainStatus::SignatureFailed
        ) {
            c.chain_broken += 1;
        }
    }

    let newest = infos.iter().map(|i| i.not_before).max();
    let earliest = infos.iter().map(|i| i.not_after).min();
    store.validity = StoreValidity {
        newest_not_before: newest,
        renewed_days_ago: newest.map(|t| whole_days(t.0, opts.now)),
        earliest_not_after: earliest,
        expires_in_days: earliest.map(|t| whole_days(opts.now, t.0)),
        nes_earliest_not_after: infos
            .iter()
            .filter(|i| i.classification.kind == CertKind::Nes)
            .map(|i| i.not_after)
            .min(),
    };

    infos.sort_by(|a, b| {
        a.not_after
            .cmp(&b.not_after)
            .then_with(|| a.thumbprint.cmp(&b.thumbprint))
    });
    store.certificates = infos;
    unsupported
}

/// Entries with a problem first, each group still by name, so a cap keeps
/// what needs attention.
pub(crate) fn sort_files_for_display(files: &mut [FileEntry]) {
    files.sort_by_key(|f| {
        matches!(
            f.status,
            FileStatus::Certificates | FileStatus::PrivateKey | FileStatus::OsMetadata
        ) && f.problem.is_none()
    });
}
