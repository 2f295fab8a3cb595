//! The fixture stores, end to end: each scenario reports what it must and
//! nothing it must not, and the data says what the findings say.

mod support;

use nymidiag::ReportStatus;
use nymidiag::certs::{
    CertInventoryRequest, CertKind, ChainStatus, ClassificationRule, FileFormat, FileStatus,
    KspStore, SignatureCheck, StoreOrigin, ValidityState, cert_inventory,
};
use nymidiag::time_fmt::UtcTime;

use support::stores::{Scenario, write_all};

fn request(path: &std::path::Path) -> CertInventoryRequest {
    CertInventoryRequest {
        paths: vec![path.to_string_lossy().into_owned()],
        now: Some(UtcTime::from(support::certs::now())),
        caller: Some("scenario tests".to_owned()),
        ..Default::default()
    }
}

fn scenarios() -> (tempfile::TempDir, Vec<Scenario>) {
    let dir = tempfile::tempdir().unwrap();
    let s = write_all(dir.path(), support::certs::now());
    (dir, s)
}

fn by_name<'a>(all: &'a [Scenario], name: &str) -> &'a Scenario {
    all.iter().find(|s| s.name == name).unwrap()
}

fn only_store(r: &nymidiag::Report<nymidiag::certs::CertInventoryData>) -> &KspStore {
    assert_eq!(r.data.stores.len(), 1, "{:#?}", r.data.discovery);
    &r.data.stores[0]
}

#[test]
fn every_scenario_reports_exactly_its_findings() {
    let (_dir, all) = scenarios();
    for s in &all {
        let r = cert_inventory(&request(&s.path));
        let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
        for id in &s.expect {
            assert!(ids.contains(id), "{}: expected {id}, got {ids:?}", s.name);
        }
        for id in &s.absent {
            assert!(
                !ids.contains(id),
                "{}: unexpected {id}, got {ids:?}",
                s.name
            );
        }
        assert_eq!(r.data.stores.len(), s.stores, "{}", s.name);
        assert_eq!(
            r.data.stores[0].counts.certificates, s.certificates,
            "{}",
            s.name
        );
        assert_eq!(r.data.stores[0].counts.files, s.files, "{}", s.name);
        assert_eq!(r.capability, "cert_inventory");
        assert_eq!(r.context.caller.as_deref(), Some("scenario tests"));
        let expected_status = if !s.issue {
            ReportStatus::Ok
        } else {
            ReportStatus::Issue
        };
        assert_eq!(r.status, expected_status, "{}: {ids:?}", s.name);
    }
}

#[test]
fn healthy_store_is_complete_and_classified() {
    let (_dir, all) = scenarios();
    let r = cert_inventory(&request(&by_name(&all, "healthy").path));
    let s = only_store(&r);
    assert_eq!(s.origin, StoreOrigin::Folder);
    assert_eq!((s.counts.files, s.counts.certificate_files), (20, 20));
    assert_eq!(
        (s.counts.local, s.counts.nes, s.counts.unclassified),
        (8, 12, 0)
    );
    assert_eq!((s.counts.roots, s.counts.chain_broken), (9, 0));
    for c in &s.certificates {
        assert_eq!(
            c.chain.status,
            ChainStatus::Complete,
            "{}",
            c.subject.rfc4514
        );
        assert_eq!(c.chain.signature, SignatureCheck::Verified);
        assert_eq!(c.validity, ValidityState::Valid);
        assert_eq!(c.thumbprint.len(), 40);
        assert!(
            c.thumbprint
                .chars()
                .all(|ch| ch.is_ascii_digit() || ch.is_ascii_uppercase())
        );
        assert_eq!(c.sha256.len(), 64);
        assert_eq!(c.key.algorithm, "EC");
        assert_eq!(c.key.curve.as_deref(), Some("P-256"));
        assert_eq!(c.signature_algorithm.name, "ecdsa-with-SHA256");
        assert!(!c.signature_algorithm.weak);
        match c.classification.kind {
            CertKind::Local => {
                assert!(c.self_signed);
                assert_eq!(
                    c.classification.rule,
                    ClassificationRule::SelfSignedEndEntity
                );
                assert!(c.subject.rfc4514.starts_with("CN=NEA terminal key"));
            }
            CertKind::Nes => {
                assert_eq!(c.classification.rule, ClassificationRule::IssuedByCa);
                assert!(
                    c.subject.rfc4514.ends_with("O=Test NES"),
                    "{}",
                    c.subject.rfc4514
                );
            }
            CertKind::Unclassified => panic!("unclassified: {}", c.classification.basis),
        }
    }
    // A leaf: issued by the issuing CA, two links below the root.
    let leaf = s
        .certificates
        .iter()
        .find(|c| c.subject.cn.as_deref() == Some("NEA certificate 1"))
        .unwrap();
    assert_eq!(leaf.chain.depth, 2);
    assert_eq!(leaf.issuer.rfc4514, "CN=Test NES Issuing CA,O=Test NES");
    assert_eq!(leaf.lifetime_days, 14);
    assert_eq!(leaf.days_left, 12);
    // rcgen writes subjectKeyIdentifier on CA certificates only.
    assert!(leaf.authority_key_id.is_some());
    assert_eq!(leaf.key_usage, ["digitalSignature"]);
    assert_eq!(leaf.extended_key_usage[0].oid, "1.3.6.1.5.5.7.3.2");
    let issuing = s
        .certificates
        .iter()
        .find(|c| c.subject.cn.as_deref() == Some("Test NES Issuing CA"))
        .unwrap();
    assert_eq!(
        (issuing
            .basic_constraints
            .as_ref()
            .map(|b| (b.ca, b.path_len))),
        Some((true, Some(0)))
    );
    assert_eq!(leaf.authority_key_id, issuing.subject_key_id);
    // Newest renewal: the NES leaves, 2 days ago; earliest expiry: theirs, in 12.
    assert_eq!(s.validity.renewed_days_ago, Some(2));
    assert_eq!(s.validity.expires_in_days, Some(12));
    assert_eq!(
        s.validity.nes_earliest_not_after,
        s.validity.earliest_not_after
    );
    let nes_root = s.roots.iter().find(|r| r.ca).unwrap();
    assert_eq!(nes_root.issued_below, 11);
    assert_eq!(s.families.len(), 9);
}

#[test]
fn local_only_store_says_nes_certificates_were_never_retrieved() {
    let (_dir, all) = scenarios();
    let r = cert_inventory(&request(&by_name(&all, "local-only").path));
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "NEA_CERTS_MISSING")
        .unwrap();
    assert_eq!(f.severity, nymidiag::Severity::Error);
    assert!(f.detail.contains("never retrieved"), "{}", f.detail);
    assert!(
        f.remediation
            .as_deref()
            .unwrap()
            .contains("Test-NymiNesConnection")
    );
    assert!(
        f.remediation
            .as_deref()
            .unwrap()
            .contains("EAM Security Service")
    );
    assert_eq!(f.evidence["certificates"], 8);
    assert_eq!(f.evidence["files"], 8);
    assert_eq!(f.evidence["expected_total"], 20);
    assert_eq!(f.evidence["nes_never_retrieved"], true);
    assert_eq!(f.evidence["counted"], "files");
    assert!(f.title.contains("8 of 20"), "{}", f.title);
    let s = only_store(&r);
    assert_eq!((s.counts.local, s.counts.nes), (8, 0));
}

#[test]
fn expired_and_expiring_and_not_yet_valid_are_dated() {
    let (_dir, all) = scenarios();
    let r = cert_inventory(&request(&by_name(&all, "expired").path));
    let s = only_store(&r);
    assert_eq!(s.counts.expired, 10);
    assert_eq!(s.validity.expires_in_days, Some(-6));
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "NEA_CERT_EXPIRED")
        .unwrap();
    assert_eq!(f.evidence["count"], 10);
    assert!(
        f.detail.contains("10 classified NES-issued"),
        "{}",
        f.detail
    );
    let first = &f.evidence["certificates"][0];
    assert_eq!(first["days_left"], -6);
    assert_eq!(first["kind"], "nes");

    let r = cert_inventory(&request(&by_name(&all, "expiring").path));
    let s = only_store(&r);
    assert_eq!(s.counts.expiring, 10);
    assert_eq!(s.validity.expires_in_days, Some(2));
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "NEA_CERT_EXPIRING")
        .unwrap();
    assert_eq!(f.severity, nymidiag::Severity::Warning);

    // With a 1-day threshold the same store is not "expiring".
    let mut req = request(&by_name(&all, "expiring").path);
    req.expiring_days = 1;
    let r = cert_inventory(&req);
    assert!(r.findings.iter().all(|f| f.id != "NEA_CERT_EXPIRING"));

    let r = cert_inventory(&request(&by_name(&all, "not-yet-valid").path));
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "NEA_CERT_NOT_YET_VALID")
        .unwrap();
    assert!(f.detail.contains("clock skew"), "{}", f.detail);
    assert_eq!(only_store(&r).counts.not_yet_valid, 10);
}

#[test]
fn broken_chain_tells_missing_issuers_from_failed_signatures() {
    let (_dir, all) = scenarios();
    let r = cert_inventory(&request(&by_name(&all, "broken-chain").path));
    let s = only_store(&r);
    let missing = s
        .certificates
        .iter()
        .filter(|c| c.chain.status == ChainStatus::IssuerMissing)
        .count();
    let failed: Vec<_> = s
        .certificates
        .iter()
        .filter(|c| c.chain.status == ChainStatus::SignatureFailed)
        .collect();
    assert_eq!((missing, failed.len()), (10, 1));
    assert!(failed[0].chain.issuer_present);
    assert_eq!(failed[0].chain.signature, SignatureCheck::Failed);
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "NEA_CERT_CHAIN_BROKEN")
        .unwrap();
    assert_eq!(f.severity, nymidiag::Severity::Error);
    assert_eq!(f.evidence["issuer_missing"], 10);
    assert_eq!(f.evidence["signature_failed"], 1);
    // Leaves with a missing issuer still group as one NES family.
    let leaf = s
        .certificates
        .iter()
        .find(|c| c.chain.status == ChainStatus::IssuerMissing)
        .unwrap();
    assert_eq!(leaf.classification.kind, CertKind::Nes);
    assert!(
        s.families
            .iter()
            .any(|f| !f.anchor_in_store && f.size == 10)
    );
}

#[test]
fn mixed_encodings_yield_the_same_twenty() {
    let (_dir, all) = scenarios();
    let r = cert_inventory(&request(&by_name(&all, "mixed").path));
    let s = only_store(&r);
    assert_eq!(
        (s.counts.certificates, s.counts.local, s.counts.nes),
        (20, 8, 12)
    );
    assert_eq!(s.counts.key_files, 1);
    let file = |name: &str| s.files.iter().find(|f| f.name == name).unwrap();
    assert_eq!(
        (file("bundle.pem").format, file("bundle.pem").certificates),
        (FileFormat::Pem, 3)
    );
    assert_eq!(file("a.cer").format, FileFormat::Der);
    assert_eq!(file("c.b64").format, FileFormat::Base64);
    assert_eq!(file("d.pem").format, FileFormat::Pem);
    assert_eq!(
        (file("f.p7b").format, file("f.p7b").certificates),
        (FileFormat::Pkcs7Der, 6)
    );
    assert_eq!(
        (file("g.p7c").format, file("g.p7c").certificates),
        (FileFormat::Pem, 2)
    );
    let key = file("k.pem");
    assert_eq!(
        (key.status, key.private_keys, key.certificates),
        (FileStatus::PrivateKey, 1, 0)
    );
    assert!(key.problem.is_none());
    // The key never reaches the report.
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("PRIVATE KEY"));
    let body = std::fs::read_to_string(by_name(&all, "mixed").path.join("k.pem")).unwrap();
    let line = body.lines().nth(1).unwrap();
    assert!(!json.contains(line));
}

#[test]
fn nsl_folder_expands_to_one_store_per_ksp() {
    let (_dir, all) = scenarios();
    let r = cert_inventory(&request(&by_name(&all, "nsl").path));
    assert_eq!(r.data.stores.len(), 2);
    assert!(
        r.data
            .stores
            .iter()
            .all(|s| s.origin == StoreOrigin::NslSubfolder)
    );
    let counts: Vec<u64> = r
        .data
        .stores
        .iter()
        .map(|s| s.counts.certificates)
        .collect();
    assert_eq!(counts, [20, 8]);
    assert!(r.data.stores[1].path.contains("Jürgen-証明書"));
    let missing: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.id == "NEA_CERTS_MISSING")
        .collect();
    assert_eq!(missing.len(), 1);
    assert!(
        missing[0].title.contains("Jürgen-証明書/ksp"),
        "{}",
        missing[0].title
    );
    for s in &r.data.stores {
        let area = format!("store:{}", s.path);
        assert_eq!(
            r.coverage[&area].state,
            nymidiag::report::CoverageState::Checked
        );
    }
    assert_eq!(
        r.coverage["discovery"].state,
        nymidiag::report::CoverageState::Checked
    );
}

#[test]
fn the_report_round_trips_through_json() {
    let (_dir, all) = scenarios();
    let r = cert_inventory(&request(&by_name(&all, "healthy").path));
    let json = serde_json::to_string(&r).unwrap();
    let back: nymidiag::Report<nymidiag::certs::CertInventoryData> =
        serde_json::from_str(&json).unwrap();
    // Times are written with millisecond precision, so compare the text.
    assert!(
        serde_json::to_string(&back).unwrap() == json,
        "JSON changed on a round trip"
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let store = &v["data"]["stores"][0];
    assert_eq!(store["counts"]["certificates"], 20);
    assert!(
        store["certificates"][0]["not_after"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(v["data"]["expected"]["counted"], "files");
    assert_eq!(store["counts"]["files"], 20);
    assert_eq!(store["role"], "active");
}
