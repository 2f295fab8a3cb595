//! In-crate tests of the inventory over a simulated file system: default
//! discovery pointed at a temporary NSL folder, and access denied, which
//! root (the test user) cannot otherwise produce.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_ECDSA_P256_SHA256};

use super::discover::Defaults;
use super::files::{EntryMeta, FileSource, Listing, ReadOutcome, RealFiles};
use super::*;
use crate::ReportStatus;

/// The real file system, with access denied on chosen paths.
struct Denying {
    stat: HashSet<PathBuf>,
    list: HashSet<PathBuf>,
    read: HashSet<PathBuf>,
}

impl Denying {
    fn new() -> Self {
        Denying {
            stat: HashSet::new(),
            list: HashSet::new(),
            read: HashSet::new(),
        }
    }
}

fn denied() -> io::Error {
    io::Error::from(io::ErrorKind::PermissionDenied)
}

impl FileSource for Denying {
    fn list(&self, dir: &Path, max: usize) -> io::Result<Listing> {
        if self.list.contains(dir) {
            return Err(denied());
        }
        RealFiles.list(dir, max)
    }
    fn stat(&self, path: &Path) -> io::Result<EntryMeta> {
        if self.stat.contains(path) {
            return Err(denied());
        }
        RealFiles.stat(path)
    }
    fn is_symlink(&self, path: &Path) -> bool {
        RealFiles.is_symlink(path)
    }
    fn read(&self, path: &Path, limit: u64) -> io::Result<ReadOutcome> {
        if self.read.contains(path) {
            return Err(denied());
        }
        RealFiles.read(path, limit)
    }
    fn identity(&self, path: &Path) -> PathBuf {
        RealFiles.identity(path)
    }
}

fn self_signed(cn: &str) -> Vec<u8> {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    p.self_signed(&key).unwrap().der().to_vec()
}

/// An NSL folder with `stores` ksp folders holding `certs` certificates each.
fn nsl(root: &Path, stores: &[&str], certs: usize) -> PathBuf {
    let nsl = root.join("NSL");
    for s in stores {
        let ksp = nsl.join(s).join("ksp");
        std::fs::create_dir_all(&ksp).unwrap();
        for i in 0..certs {
            std::fs::write(
                ksp.join(format!("{i}.cer")),
                self_signed(&format!("{s} {i}")),
            )
            .unwrap();
        }
    }
    nsl
}

fn ids(r: &Report<CertInventoryData>) -> Vec<&str> {
    r.findings.iter().map(|f| f.id.as_str()).collect()
}

#[test]
fn default_discovery_reports_each_ksp_folder_as_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let nsl = nsl(dir.path(), &["b-string", "a-string"], 2);
    // A <string> folder without ksp is not a store.
    std::fs::create_dir_all(nsl.join("no-store")).unwrap();
    let other_root = dir.path().join("absent-wow64");
    let defaults = Defaults::NslRoots(vec![nsl.clone(), other_root]);
    let r = inventory_with(&RealFiles, &CertInventoryRequest::default(), &defaults);
    assert_eq!(r.data.discovery.mode, DiscoveryMode::Default);
    let paths: Vec<_> = r.data.stores.iter().map(|s| s.path.clone()).collect();
    assert_eq!(paths.len(), 2);
    assert!(paths[0].ends_with("a-string/ksp") && paths[1].ends_with("b-string/ksp"));
    assert!(
        r.data
            .stores
            .iter()
            .all(|s| s.origin == StoreOrigin::Discovered)
    );
    // The absent second root is not "missing": only the documented one is.
    assert!(r.data.discovery.missing.is_empty());
    assert_eq!(r.data.discovery.searched.len(), 1);
    assert_eq!(ids(&r), [ids::NEA_CERTS_MISSING, ids::NEA_CERTS_MISSING]);
    assert_eq!(r.coverage["discovery"].state, CoverageState::Checked);
}

#[test]
fn missing_default_location_is_ksp_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let defaults = Defaults::NslRoots(vec![dir.path().join("NSL")]);
    let r = inventory_with(&RealFiles, &CertInventoryRequest::default(), &defaults);
    assert_eq!(ids(&r), [ids::KSP_NOT_FOUND]);
    let f = &r.findings[0];
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.detail.contains("does not exist"), "{}", f.detail);
    assert_eq!(r.status, ReportStatus::Issue);
}

#[test]
fn nsl_folder_without_ksp_is_ksp_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let nsl = dir.path().join("NSL");
    std::fs::create_dir_all(nsl.join("x")).unwrap();
    let r = inventory_with(
        &RealFiles,
        &CertInventoryRequest::default(),
        &Defaults::NslRoots(vec![nsl]),
    );
    assert_eq!(ids(&r), [ids::KSP_NOT_FOUND]);
    assert!(
        r.findings[0].detail.contains("holds no"),
        "{}",
        r.findings[0].detail
    );
}

#[test]
fn no_default_location_off_windows_is_said_plainly() {
    let r = inventory_with(
        &RealFiles,
        &CertInventoryRequest::default(),
        &Defaults::None { os: "linux" },
    );
    assert_eq!(ids(&r), [ids::KSP_NOT_FOUND]);
    assert_eq!(r.findings[0].severity, Severity::Info);
    assert!(
        r.findings[0]
            .detail
            .contains("no default location on linux")
    );
    assert_eq!(r.coverage["discovery"].state, CoverageState::NotApplicable);
    assert_eq!(r.status, ReportStatus::Ok);
}

#[test]
fn access_denied_to_the_nsl_folder_means_could_not_check() {
    let dir = tempfile::tempdir().unwrap();
    let nsl = nsl(dir.path(), &["s"], 1);
    let mut fs = Denying::new();
    fs.stat.insert(nsl.clone());
    let r = inventory_with(
        &fs,
        &CertInventoryRequest::default(),
        &Defaults::NslRoots(vec![nsl]),
    );
    assert_eq!(ids(&r), [ids::KSP_ACCESS_DENIED]);
    let f = &r.findings[0];
    let remedy = f.remediation.as_deref().unwrap();
    assert!(
        remedy.contains("elevated") && remedy.contains("SYSTEM"),
        "{remedy}"
    );
    // "Could not check" is not "broken" (Intune contract).
    assert_eq!(r.status, ReportStatus::Error);
    assert_eq!(r.coverage["discovery"].state, CoverageState::Failed);
}

#[test]
fn access_denied_to_one_store_leaves_the_other_checked() {
    let dir = tempfile::tempdir().unwrap();
    let nsl = nsl(dir.path(), &["a", "b"], 1);
    let mut fs = Denying::new();
    fs.list.insert(nsl.join("b").join("ksp"));
    let r = inventory_with(
        &fs,
        &CertInventoryRequest::default(),
        &Defaults::NslRoots(vec![nsl]),
    );
    let states: Vec<_> = r.data.stores.iter().map(|s| s.state).collect();
    assert_eq!(states, [StoreState::Checked, StoreState::AccessDenied]);
    assert!(ids(&r).contains(&ids::KSP_ACCESS_DENIED));
    assert_eq!(r.status, ReportStatus::Issue);
    let denied_area = format!("store:{}", r.data.stores[1].path);
    assert_eq!(r.coverage[&denied_area].state, CoverageState::Failed);
    assert!(
        r.data.stores[1]
            .error
            .as_deref()
            .unwrap()
            .contains("access denied")
    );
}

#[test]
fn a_file_that_cannot_be_read_does_not_hide_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let nsl = nsl(dir.path(), &["s"], 3);
    let ksp = nsl.join("s").join("ksp");
    let mut fs = Denying::new();
    fs.read.insert(ksp.join("1.cer"));
    let req = CertInventoryRequest {
        paths: vec![ksp.to_string_lossy().into_owned()],
        ..Default::default()
    };
    let r = inventory_with(&fs, &req, &Defaults::None { os: "test" });
    let s = &r.data.stores[0];
    assert_eq!((s.counts.certificates, s.counts.unreadable_files), (2, 1));
    let f = r
        .findings
        .iter()
        .find(|f| f.id == ids::NEA_CERT_UNREADABLE)
        .unwrap();
    assert_eq!(f.evidence["files"][0]["file"], "1.cer");
    assert!(
        f.evidence["files"][0]["problem"]
            .as_str()
            .unwrap()
            .contains("access denied")
    );
}

#[test]
fn files_given_one_by_one_group_by_folder_and_a_folder_wins() {
    let dir = tempfile::tempdir().unwrap();
    let nsl = nsl(dir.path(), &["s"], 3);
    let ksp = nsl.join("s").join("ksp");
    let file = |i: u32| ksp.join(format!("{i}.cer")).to_string_lossy().into_owned();
    let req = CertInventoryRequest {
        paths: vec![file(0), file(1), file(1)],
        ..Default::default()
    };
    let r = inventory_with(&RealFiles, &req, &Defaults::None { os: "test" });
    assert_eq!(r.data.stores.len(), 1);
    assert_eq!(r.data.stores[0].origin, StoreOrigin::Files);
    assert_eq!(r.data.stores[0].counts.certificates, 2);

    let req = CertInventoryRequest {
        paths: vec![file(0), ksp.to_string_lossy().into_owned()],
        ..Default::default()
    };
    let r = inventory_with(&RealFiles, &req, &Defaults::None { os: "test" });
    assert_eq!(r.data.stores.len(), 1);
    assert_eq!(r.data.stores[0].origin, StoreOrigin::Folder);
    assert_eq!(r.data.stores[0].counts.certificates, 3);
}

#[test]
fn missing_requested_paths_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("nowhere").to_string_lossy().into_owned();
    let req = CertInventoryRequest {
        paths: vec![gone.clone()],
        ..Default::default()
    };
    let r = inventory_with(&RealFiles, &req, &Defaults::None { os: "test" });
    assert_eq!(ids(&r), [ids::KSP_NOT_FOUND]);
    assert_eq!(r.data.discovery.missing, std::slice::from_ref(&gone));
    assert!(r.findings[0].detail.contains(&gone));
}

#[test]
fn blank_paths_fall_back_to_discovery_with_a_warning() {
    let req = CertInventoryRequest {
        paths: vec!["  ".to_owned()],
        ..Default::default()
    };
    let r = inventory_with(&RealFiles, &req, &Defaults::None { os: "test" });
    assert_eq!(r.data.discovery.mode, DiscoveryMode::Default);
    assert!(r.warnings.iter().any(|w| w.contains("blank")));
}

#[test]
fn oversized_max_file_bytes_is_clamped() {
    let req = CertInventoryRequest {
        max_file_bytes: u64::MAX,
        ..Default::default()
    };
    let r = inventory_with(&RealFiles, &req, &Defaults::None { os: "test" });
    assert_eq!(r.data.max_file_bytes, limits::HARD_MAX_FILE_BYTES);
    assert!(r.warnings.iter().any(|w| w.contains("max_file_bytes")));
}

#[test]
fn request_defaults_and_unknown_fields() {
    let r: CertInventoryRequest = crate::Error::parse_request("{}").unwrap();
    assert_eq!(r, CertInventoryRequest::default());
    assert_eq!(
        (r.expected_local, r.expected_nes, r.expiring_days),
        (8, 12, 3)
    );
    assert_eq!(r.max_file_bytes, 1 << 20);
    let r: CertInventoryRequest =
        crate::Error::parse_request(r#"{"expected_nes": 4, "now": "2026-05-02T12:00:00Z"}"#)
            .unwrap();
    assert_eq!((r.expected_local, r.expected_nes), (8, 4));
    assert!(crate::Error::parse_request::<CertInventoryRequest>(r#"{"path": []}"#).is_err());
}

#[test]
fn the_request_and_data_have_json_schemas() {
    let schema = serde_json::to_value(schemars::schema_for!(CertInventoryRequest)).unwrap();
    assert_eq!(schema["properties"]["expected_local"]["default"], 8);
    assert_eq!(schema["additionalProperties"], false);
    let schema = serde_json::to_value(schemars::schema_for!(CertInventoryData)).unwrap();
    assert!(
        schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "stores")
    );
}

#[test]
fn the_caller_is_capped() {
    let req = CertInventoryRequest {
        caller: Some("x".repeat(1000)),
        ..Default::default()
    };
    let r = inventory_with(&RealFiles, &req, &Defaults::None { os: "test" });
    assert_eq!(r.context.caller.map(|c| c.len()), Some(256));
}

/// Files held in memory, for fast property tests of the whole pipeline.
struct MemFiles {
    dir: PathBuf,
    files: Vec<(String, Vec<u8>)>,
}

impl FileSource for MemFiles {
    fn list(&self, dir: &Path, _max: usize) -> io::Result<Listing> {
        if dir != self.dir {
            return Err(io::Error::from(io::ErrorKind::NotFound));
        }
        Ok(Listing {
            entries: self.files.iter().map(|(n, _)| self.dir.join(n)).collect(),
            ..Listing::default()
        })
    }
    fn stat(&self, path: &Path) -> io::Result<EntryMeta> {
        if path == self.dir {
            return Ok(EntryMeta {
                kind: super::files::EntryKind::Dir,
                len: 0,
                modified: None,
            });
        }
        let (_, bytes) = self.file(path)?;
        Ok(EntryMeta {
            kind: super::files::EntryKind::File,
            len: bytes.len() as u64,
            modified: None,
        })
    }
    fn is_symlink(&self, _: &Path) -> bool {
        false
    }
    fn read(&self, path: &Path, limit: u64) -> io::Result<ReadOutcome> {
        let (_, bytes) = self.file(path)?;
        if bytes.len() as u64 > limit {
            return Ok(ReadOutcome::TooLarge);
        }
        Ok(ReadOutcome::Bytes(bytes.clone()))
    }
    fn identity(&self, path: &Path) -> PathBuf {
        path.to_path_buf()
    }
}

impl MemFiles {
    fn file(&self, path: &Path) -> io::Result<&(String, Vec<u8>)> {
        self.files
            .iter()
            .find(|(n, _)| self.dir.join(n) == path)
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }
}

/// A CA and a leaf it signed, made once for all property cases.
fn chain_pair() -> &'static (Vec<u8>, Vec<u8>) {
    static PAIR: std::sync::OnceLock<(Vec<u8>, Vec<u8>)> = std::sync::OnceLock::new();
    PAIR.get_or_init(|| {
        let mut ca = CertificateParams::default();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "CA");
        ca.distinguished_name = dn;
        let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let issuer = rcgen::CertifiedIssuer::self_signed(ca, ca_key).unwrap();
        let mut leaf = CertificateParams::new(vec!["leaf.example".to_owned()]).unwrap();
        leaf.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let leaf = leaf.signed_by(&key, &issuer).unwrap();
        (issuer.der().to_vec(), leaf.der().to_vec())
    })
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::Index;

    fn run(files: Vec<(String, Vec<u8>)>) -> Report<CertInventoryData> {
        let dir = PathBuf::from("/mem/ksp");
        let fs = MemFiles {
            dir: dir.clone(),
            files,
        };
        let req = CertInventoryRequest {
            paths: vec![dir.to_string_lossy().into_owned()],
            ..Default::default()
        };
        inventory_with(&fs, &req, &Defaults::None { os: "test" })
    }

    fn mutate(mut bytes: Vec<u8>, edits: &[(Index, u8)], cut: Option<Index>) -> Vec<u8> {
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = *value;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        bytes
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Random bytes: a report with one file entry, never a panic.
        #[test]
        fn random_bytes_give_a_report(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let r = run(vec![("x.cer".to_owned(), bytes)]);
            prop_assert_eq!(r.data.stores[0].counts.files, 1);
        }

        /// Certificates with bytes changed or cut short: parse, describe,
        /// chain and classify whatever still parses, never panic.
        #[test]
        fn damaged_certificates_give_a_report(
            ca_edits in proptest::collection::vec((any::<Index>(), any::<u8>()), 0..4),
            leaf_edits in proptest::collection::vec((any::<Index>(), any::<u8>()), 1..6),
            cut in proptest::option::of(any::<Index>()),
            as_pem in any::<bool>(),
        ) {
            let (ca, leaf) = chain_pair();
            let ca = mutate(ca.clone(), &ca_edits, None);
            let leaf = mutate(leaf.clone(), &leaf_edits, cut);
            let leaf = if as_pem {
                use base64::Engine as _;
                let b64 = base64::engine::general_purpose::STANDARD.encode(&leaf);
                format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n").into_bytes()
            } else {
                leaf
            };
            let r = run(vec![("ca.cer".to_owned(), ca), ("leaf.cer".to_owned(), leaf)]);
            let s = &r.data.stores[0];
            prop_assert_eq!(s.counts.files, 2);
            prop_assert!(s.counts.certificates <= 2);
            prop_assert!(serde_json::to_string(&r).is_ok());
        }

        /// Text around and inside PEM armour: never a panic.
        #[test]
        fn arbitrary_pem_text_gives_a_report(
            label in "[A-Z0-9 #]{0,20}",
            body in "[A-Za-z0-9+/=\\s:!-]{0,400}",
            tail in proptest::option::of("[ -~]{0,40}"),
        ) {
            let mut text = format!("junk\n-----BEGIN {label}-----\n{body}\n");
            if let Some(tail) = tail {
                text.push_str(&format!("-----END {label}-----\n{tail}"));
            }
            let r = run(vec![("p.pem".to_owned(), text.into_bytes())]);
            prop_assert_eq!(r.data.stores[0].counts.files, 1);
        }
    }

    #[test]
    fn the_undamaged_pair_is_a_complete_chain() {
        let (ca, leaf) = chain_pair();
        let r = run(vec![
            ("ca.cer".to_owned(), ca.clone()),
            ("leaf.cer".to_owned(), leaf.clone()),
        ]);
        let s = &r.data.stores[0];
        assert_eq!(s.counts.certificates, 2);
        assert_eq!(s.counts.chain_broken, 0);
        let leaf = s.certificates.iter().find(|c| !c.self_signed).unwrap();
        assert_eq!(leaf.subject_alt_names, ["DNS:leaf.example"]);
        assert_eq!(leaf.chain.depth, 1);
    }
}
