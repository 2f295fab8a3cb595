//! Rule packs: every rule of every pack shipped or used by the tests is
//! listed, and its positive and negative samples are run end to end
//! through `log_scan` as files of the samples' kind.

mod support;

use nymidiag::logs::{KindChoice, LogKind, LogScanRequest, RuleListRequest, list_rules, log_scan};
use nymidiag::time_fmt::UtcTime;
use support::logs::{count, data, write};

/// The good packs: the built-in one, and each pack in tests/data/rules
/// whose name does not start with `bad-`.
fn packs() -> Vec<RuleListRequest> {
    let mut out = vec![RuleListRequest::default()];
    let mut extra: Vec<_> = std::fs::read_dir(data("rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "toml")
                && !p.file_name().unwrap().to_string_lossy().starts_with("bad-")
        })
        .collect();
    extra.sort();
    assert!(!extra.is_empty());
    for p in extra {
        out.push(RuleListRequest {
            rule_paths: vec![p.display().to_string()],
            default_rules: Some(false),
            ..Default::default()
        });
    }
    out
}

fn kind_choice(kind: LogKind) -> KindChoice {
    match kind {
        LogKind::Wgss => KindChoice::Wgss,
        LogKind::NymiApi => KindChoice::NymiApi,
        LogKind::Iis => KindChoice::Iis,
        LogKind::Firewall => KindChoice::Firewall,
        LogKind::Text => KindChoice::Text,
    }
}

#[test]
fn every_rule_of_every_pack_passes_its_samples_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for pack in packs() {
        let listing = list_rules(&pack).unwrap();
        assert_eq!(listing.capability, "rule_list");
        for rule in &listing.data.rules {
            assert!(!rule.samples.positive.is_empty(), "{}", rule.id);
            assert!(!rule.samples.negative.is_empty(), "{}", rule.id);
            if !rule.reported {
                // Helpers never become hits; loading the pack checked them.
                continue;
            }
            for (positive, samples) in [
                (true, &rule.samples.positive),
                (false, &rule.samples.negative),
            ] {
                for (i, sample) in samples.iter().enumerate() {
                    let path = write(dir.path(), "sample.log", sample.trim_start().as_bytes());
                    let report = log_scan(&LogScanRequest {
                        paths: vec![path.display().to_string()],
                        kind: kind_choice(rule.samples.kind),
                        rule_paths: pack.rule_paths.clone(),
                        default_rules: pack.default_rules,
                        since: Some(UtcTime::parse("2000-01-01T00:00:00Z").unwrap()),
                        local_offset_minutes: Some(0),
                        ..Default::default()
                    });
                    let n = count(&report, &rule.id);
                    if positive {
                        assert!(n > 0, "{} positive sample {i} did not fire", rule.id);
                    } else {
                        assert_eq!(n, 0, "{} negative sample {i} fired", rule.id);
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 40, "{checked} samples checked");
}

#[test]
fn the_default_pack_covers_the_documented_signatures() {
    let listing = list_rules(&RuleListRequest::default()).unwrap();
    let ids: Vec<&str> = listing.data.rules.iter().map(|r| r.id.as_str()).collect();
    for id in [
        "LOG_TOKEN_REQUEST_FAILED",
        "LOG_CERT_CHAIN_NOT_TRUSTED",
        "LOG_OBJECT_NOT_FOUND",
        "LOG_NEA_CERTS_NOT_RETRIEVED",
        "LOG_NO_VISIBLE_DEVICES",
        "LOG_NES_CONNECTION_MISSING",
        "LOG_NEA_MISSING_CERTS",
        "LOG_NEA_CERT_CHAIN_VERIFY_FAILED",
        "IIS_KERBEROS_FAILURE",
        "IIS_NES_SERVER_ERROR",
        "IIS_NES_FORBIDDEN",
        "FIREWALL_DROP_NES",
    ] {
        assert!(ids.contains(&id), "{id} missing");
    }
    let pack = &listing.data.packs[0];
    assert_eq!(pack.source, "built-in:default.toml");
    assert!(!pack.version.is_empty());
    assert_eq!(pack.rules as usize, ids.len());

    // Every rule has a literal (none is slow), remediation or is a helper,
    // and a reference.
    for r in &listing.data.rules {
        assert!(!r.slow && !r.literals.is_empty(), "{}", r.id);
        if r.reported {
            assert!(!r.remediation.is_empty(), "{}", r.id);
            assert!(!r.refs.is_empty(), "{}", r.id);
        }
    }
    let seq = listing
        .data
        .rules
        .iter()
        .find(|r| r.id == "LOG_NEA_CERTS_NOT_RETRIEVED")
        .unwrap()
        .sequence
        .as_ref()
        .unwrap();
    assert_eq!(seq.key.as_deref(), Some("thread"));
    assert_eq!(seq.window_seconds, 30);
    assert_eq!(seq.requires_before, ["LOG_CERT_CHAIN_NOT_TRUSTED"]);

    // The error code table.
    let codes = &listing.data.error_codes;
    assert!(codes.iter().any(|c| c.code == "0x8101201c"
        && c.name.as_deref() == Some("FMK_E_SECURITY_CERTIFICATECHAINNOTTRUSTED")));
    assert!(codes.iter().any(|c| c.code == "0x81010009"));
    assert!(
        codes
            .iter()
            .any(|c| c.name.as_deref() == Some("ERROR_WINHTTP_TIMEOUT"))
    );
}

#[test]
fn slow_rules_are_listed_as_such() {
    let listing = list_rules(&RuleListRequest {
        rule_paths: vec![data("rules/site.toml").display().to_string()],
        ..Default::default()
    })
    .unwrap();
    let slow = listing
        .data
        .rules
        .iter()
        .find(|r| r.id == "SITE_ANY_WARNING_LINE")
        .unwrap();
    assert!(slow.slow);
    assert!(
        listing
            .warnings
            .iter()
            .any(|w| w.contains("SITE_ANY_WARNING_LINE"))
    );
    assert_eq!(listing.data.packs.len(), 2);

    // A scan that uses it says so.
    let report = log_scan(&LogScanRequest {
        paths: vec![data("logs/nymi_api.log").display().to_string()],
        rule_paths: vec![data("rules/site.toml").display().to_string()],
        local_offset_minutes: Some(0),
        since: Some(UtcTime::parse("2000-01-01T00:00:00Z").unwrap()),
        ..Default::default()
    });
    assert_eq!(report.data.coverage.slow_rules, ["SITE_ANY_WARNING_LINE"]);
    assert_eq!(count(&report, "SITE_ANY_WARNING_LINE"), 1);
    assert_eq!(
        report.data.files[0].mode,
        nymidiag::logs::ScanMode::EveryRecord
    );
    assert!(report.warnings.iter().any(|w| w.contains("slow")));
}
