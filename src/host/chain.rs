//! The Windows chain engine's answer on the NES certificate, built in
//! machine context as the NEA running as SYSTEM sees it: revocation that
//! could not be checked alone is `HOST_CHAIN_REVOCATION_OFFLINE`, anything
//! else wrong `HOST_CHAIN_UNTRUSTED`.

use serde_json::json;

use crate::report::{Finding, Severity};

use super::ids;
use super::model::{ChainSeen, HostCheck};

/// Chain elements listed in the check's facts.
const MAX_LISTED: usize = 6;
/// The flags that only say revocation could not be checked.
const OFFLINE_FLAGS: &[&str] = &["RevocationStatusUnknown", "OfflineRevocation"];

/// Pushes `value` unless already there.
fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// Judges the chain build.
pub(crate) fn check(seen: &ChainSeen) -> HostCheck {
    let entries: Vec<_> = seen
        .status
        .iter()
        .filter(|s| !s.status.trim().is_empty() && s.status.trim() != "NoError")
        .collect();
    let mut strings = Vec::new();
    let mut flags = Vec::new();
    for e in &entries {
        let info = e.information.trim();
        push_unique(
            &mut strings,
            if info.is_empty() {
                e.status.clone()
            } else {
                format!("{}: {info}", e.status)
            },
        );
        // One entry may carry several flags ('RevocationStatusUnknown, OfflineRevocation').
        for flag in e.status.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            push_unique(&mut flags, flag.to_owned());
        }
    }
    let serious: Vec<&str> = flags
        .iter()
        .map(String::as_str)
        .filter(|f| !OFFLINE_FLAGS.iter().any(|o| o.eq_ignore_ascii_case(f)))
        .collect();
    let leaf = seen
        .chain
        .first()
        .map_or("the NES certificate", |c| c.subject.as_str());
    let top = seen.chain.last().map(|c| c.subject.clone());
    let listed: Vec<_> = seen
        .chain
        .iter()
        .take(MAX_LISTED)
        .map(|c| json!({ "subject": c.subject, "thumbprint": c.thumbprint, "not_after": c.not_after }))
        .collect();
    let with_facts = |c: HostCheck| {
        c.with_fact("host", &seen.host)
            .with_fact("port", seen.port)
            .with_fact("built", seen.built)
            .with_fact("chain", &listed)
            .with_fact("status", &strings)
    };
    let host = &seen.host;
    let evidence = |f: Finding| {
        f.with_evidence("host", host)
            .with_evidence("status", &strings)
            .with_evidence("top", &top)
    };
    if !serious.is_empty() || (!seen.built && flags.is_empty()) {
        let finding = evidence(Finding::new(
            ids::HOST_CHAIN_UNTRUSTED,
            Severity::Error,
            format!("The Windows chain engine does not trust the NES certificate of {host}"),
            format!(
                "Built in machine context for {leaf}: {}.",
                strings.join("; ")
            ),
        ))
        .with_remediation(
            "Deploy the issuing and root CA of the NES certificate to the LocalMachine Intermediate and Root stores (GPO or Intune), or renew the NES certificate; the CAPI2 log (event 11) shows the chain build.",
        )
        .with_ref("domain brief section 5: check H")
        .with_ref("domain brief section 3: 0x800B0109");
        return with_facts(
            HostCheck::checked(format!("Not trusted: {}", serious.join(", ")))
                .with_findings(vec![finding]),
        );
    }
    if !flags.is_empty() {
        let finding = evidence(Finding::new(
            ids::HOST_CHAIN_REVOCATION_OFFLINE,
            Severity::Warning,
            format!("Revocation of the NES certificate chain of {host} could not be checked"),
            format!(
                "The chain builds to a trusted root, but the CRL or OCSP servers did not answer: {}.",
                strings.join("; ")
            ),
        ))
        .with_remediation(
            "Open the CRL distribution point and AIA/OCSP URLs of the NES chain (usually HTTP 80) for this terminal, through the WinHTTP proxy if one is set.",
        )
        .with_ref("domain brief section 5: check H")
        .with_ref("domain brief section 3: 0x80092013");
        return with_facts(
            HostCheck::checked("Trusted; revocation could not be checked")
                .with_findings(vec![finding]),
        );
    }
    with_facts(HostCheck::checked(format!(
        "Trusted by the Windows chain engine, revocation checked ({leaf})"
    )))
}

#[cfg(test)]
mod tests {
    use super::super::model::{ChainElementSeen, ChainStatusSeen};
    use super::*;

    fn status(s: &str, info: &str) -> ChainStatusSeen {
        ChainStatusSeen {
            status: s.into(),
            information: info.into(),
        }
    }

    fn seen(built: bool, status: Vec<ChainStatusSeen>, chain: Vec<ChainElementSeen>) -> ChainSeen {
        ChainSeen {
            host: "nes.corp.example".into(),
            port: 443,
            built,
            status,
            chain,
        }
    }

    fn element(subject: &str, thumbprint: &str) -> ChainElementSeen {
        ChainElementSeen {
            subject: subject.into(),
            thumbprint: thumbprint.into(),
            not_after: "2030-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn an_untrusted_root_is_host_chain_untrusted_with_the_status_strings() {
        let c = check(&seen(
            false,
            vec![status(
                "UntrustedRoot",
                "A certificate chain processed, but terminated in a root certificate which is not trusted by the trust provider.",
            )],
            vec![
                element("CN=nes.corp.example", "AA"),
                element("CN=Corp Root", "BB"),
            ],
        ));
        let f = &c.findings[0];
        assert_eq!(f.id, ids::HOST_CHAIN_UNTRUSTED);
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.evidence["status"][0]
                .as_str()
                .unwrap()
                .starts_with("UntrustedRoot: A certificate chain processed")
        );
        assert_eq!(f.evidence["top"], "CN=Corp Root");
        assert!(
            c.facts["status"][0]
                .as_str()
                .unwrap()
                .starts_with("UntrustedRoot")
        );
        assert_eq!(c.detail.as_deref(), Some("Not trusted: UntrustedRoot"));
    }

    #[test]
    fn revocation_alone_is_only_host_chain_revocation_offline() {
        let c = check(&seen(
            false,
            vec![
                status(
                    "RevocationStatusUnknown",
                    "The revocation function was unable to check revocation for the certificate.",
                ),
                status(
                    "OfflineRevocation",
                    "The revocation function was unable to check revocation because the revocation server was offline.",
                ),
            ],
            vec![],
        ));
        assert_eq!(c.findings.len(), 1);
        assert_eq!(c.findings[0].id, ids::HOST_CHAIN_REVOCATION_OFFLINE);
        assert_eq!(c.findings[0].severity, Severity::Warning);
        assert_eq!(
            c.findings[0].evidence["status"].as_array().unwrap().len(),
            2
        );
    }

    #[test]
    fn several_flags_in_one_entry_are_read() {
        let c = check(&seen(
            false,
            vec![status("RevocationStatusUnknown, OfflineRevocation", "")],
            vec![],
        ));
        assert_eq!(c.findings[0].id, ids::HOST_CHAIN_REVOCATION_OFFLINE);
    }

    #[test]
    fn a_trusted_revocation_checked_chain_is_content() {
        let c = check(&seen(true, vec![], vec![]));
        assert_eq!(c.state, crate::report::CoverageState::Checked);
        assert!(c.findings.is_empty());
        assert_eq!(
            c.detail.as_deref(),
            Some("Trusted by the Windows chain engine, revocation checked (the NES certificate)")
        );
    }

    #[test]
    fn a_chain_not_built_without_a_reason_is_untrusted() {
        let c = check(&seen(false, vec![status("NoError", "")], vec![]));
        assert_eq!(c.findings[0].id, ids::HOST_CHAIN_UNTRUSTED);
    }
}
