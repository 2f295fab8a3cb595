//! The services check: a role is fine when one of its services runs;
//! otherwise `HOST_SERVICE_STOPPED` names the service, or
//! `HOST_SERVICE_NOT_FOUND` the pattern that found nothing.

use serde_json::json;

use crate::report::{Finding, Severity};

use super::ids;
use super::model::{HostCheck, ServiceRoleSeen, ServiceSeen, ServicesSeen};

/// Services listed per role in the check's facts.
const MAX_LISTED: usize = 3;

/// Judges the services found for each role.
pub(crate) fn check(seen: &ServicesSeen) -> HostCheck {
    let mut findings = Vec::new();
    let mut facts = Vec::new();
    let mut found = 0;
    let mut running = 0;
    for role in &seen.roles {
        if role.services.is_empty() {
            facts.push(json!({ "role": role.role, "name": null, "display_name": null, "status": "not_found" }));
            findings.push(not_found(role));
            continue;
        }
        found += 1;
        for s in role.services.iter().take(MAX_LISTED) {
            facts.push(json!({ "role": role.role, "name": s.name, "display_name": s.display_name, "status": s.status }));
        }
        if role.services.iter().any(is_running) {
            running += 1;
            continue;
        }
        findings.push(stopped(&role.role, &role.services[0]));
    }
    HostCheck::checked(format!(
        "{found} of {} services found, {running} running",
        seen.roles.len()
    ))
    .with_findings(findings)
    .with_fact("services", facts)
}

fn is_running(s: &ServiceSeen) -> bool {
    s.status.eq_ignore_ascii_case("Running")
}

fn not_found(role: &ServiceRoleSeen) -> Finding {
    Finding::new(
        ids::HOST_SERVICE_NOT_FOUND,
        Severity::Warning,
        format!("No service for {} ({}) is installed", role.role, role.pattern),
        format!(
            "No service whose display name matches '{}' is installed on this terminal.",
            role.pattern
        ),
    )
    .with_evidence("role", &role.role)
    .with_evidence("pattern", &role.pattern)
    .with_remediation(
        "Check that the Nymi and Evidian software is installed here, or give the display name used on this site (ServicePattern).",
    )
    .with_ref("domain brief section 2.1: services")
    .with_ref("domain brief section 5: check K")
}

fn stopped(role: &str, s: &ServiceSeen) -> Finding {
    let start_type = s.start_type.as_deref().filter(|t| !t.is_empty());
    let mut remediation = if start_type.is_some_and(|t| t.eq_ignore_ascii_case("Disabled")) {
        format!(
            "Set-Service -Name '{0}' -StartupType Automatic; Start-Service -Name '{0}'",
            s.name
        )
    } else {
        format!("Start-Service -Name '{}'", s.name)
    };
    // The EAM Security Service fetches the certificates: count them again
    // once it runs.
    if role == "eam_security" {
        remediation
            .push_str(", then count the ksp certificates again (Get-NymiNeaCertificate -Summary).");
    }
    let mut finding = Finding::new(
        ids::HOST_SERVICE_STOPPED,
        Severity::Error,
        format!("{} is not running ({})", s.display_name, s.status),
        format!(
            "The {role} service '{}' ({}) is {}.",
            s.name, s.display_name, s.status
        ),
    )
    .with_evidence("role", role)
    .with_evidence("name", &s.name)
    .with_evidence("display_name", &s.display_name)
    .with_evidence("status", &s.status);
    if let Some(t) = start_type {
        finding = finding.with_evidence("start_type", t);
    }
    finding
        .with_remediation(remediation)
        .with_ref("domain brief section 5: check K")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(name: &str, display: &str, status: &str) -> ServiceSeen {
        ServiceSeen {
            name: name.into(),
            display_name: display.into(),
            status: status.into(),
            start_type: None,
        }
    }

    fn role(role: &str, pattern: &str, services: Vec<ServiceSeen>) -> ServiceRoleSeen {
        ServiceRoleSeen {
            role: role.into(),
            pattern: pattern.into(),
            services,
        }
    }

    /// The three default roles with what each found.
    fn seen(eam: Vec<ServiceSeen>, agent: Vec<ServiceSeen>, be: Vec<ServiceSeen>) -> ServicesSeen {
        ServicesSeen {
            roles: vec![
                role(
                    "eam_security",
                    "EAM Security Service|Evidian.*Security Service|Enterprise Access.*Security",
                    eam,
                ),
                role("nymi_agent", "Nymi Agent", agent),
                role("nymi_bluetooth_endpoint", "Nymi Bluetooth Endpoint", be),
            ],
        }
    }

    fn running() -> ServicesSeen {
        seen(
            vec![svc("EamSecSvc", "EAM Security Service", "Running")],
            vec![svc("NymiAgent", "Nymi Agent", "Running")],
            vec![svc("NymiBE", "Nymi Bluetooth Endpoint", "Running")],
        )
    }

    fn roles_of(facts: &serde_json::Value) -> Vec<String> {
        facts
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["role"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn all_three_running_is_no_finding() {
        let c = check(&running());
        assert_eq!(c.state, crate::report::CoverageState::Checked);
        assert_eq!(
            c.detail.as_deref(),
            Some("3 of 3 services found, 3 running")
        );
        assert!(c.findings.is_empty());
        assert_eq!(
            roles_of(&c.facts["services"]),
            ["eam_security", "nymi_agent", "nymi_bluetooth_endpoint"]
        );
    }

    #[test]
    fn a_stopped_service_is_host_service_stopped_with_the_role_evidence() {
        let mut s = running();
        s.roles[0].services[0].status = "Stopped".into();
        s.roles[0].services[0].start_type = Some("Automatic".into());
        let c = check(&s);
        assert_eq!(c.findings.len(), 1);
        let f = &c.findings[0];
        assert_eq!(f.id, ids::HOST_SERVICE_STOPPED);
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.evidence["role"], "eam_security");
        assert_eq!(f.evidence["name"], "EamSecSvc");
        assert_eq!(f.evidence["display_name"], "EAM Security Service");
        assert_eq!(f.evidence["status"], "Stopped");
        assert_eq!(f.evidence["start_type"], "Automatic");
        assert_eq!(f.title, "EAM Security Service is not running (Stopped)");
        assert_eq!(
            f.remediation.as_deref(),
            Some(
                "Start-Service -Name 'EamSecSvc', then count the ksp certificates again (Get-NymiNeaCertificate -Summary)."
            )
        );
        assert_eq!(
            c.detail.as_deref(),
            Some("3 of 3 services found, 2 running")
        );
    }

    #[test]
    fn a_disabled_service_is_enabled_before_it_is_started() {
        let mut s = running();
        s.roles[1].services[0].status = "Stopped".into();
        s.roles[1].services[0].start_type = Some("Disabled".into());
        let f = &check(&s).findings[0];
        assert_eq!(
            f.remediation.as_deref(),
            Some(
                "Set-Service -Name 'NymiAgent' -StartupType Automatic; Start-Service -Name 'NymiAgent'"
            )
        );
    }

    #[test]
    fn a_missing_service_is_host_service_not_found_with_role_and_pattern() {
        let mut s = running();
        s.roles[2].services.clear();
        let c = check(&s);
        assert_eq!(c.findings.len(), 1);
        let f = &c.findings[0];
        assert_eq!(f.id, ids::HOST_SERVICE_NOT_FOUND);
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.evidence["role"], "nymi_bluetooth_endpoint");
        assert_eq!(f.evidence["pattern"], "Nymi Bluetooth Endpoint");
        assert_eq!(
            c.detail.as_deref(),
            Some("2 of 3 services found, 2 running")
        );
    }

    #[test]
    fn every_role_missing_when_nothing_is_installed() {
        let c = check(&seen(vec![], vec![], vec![]));
        assert!(
            c.findings
                .iter()
                .all(|f| f.id == ids::HOST_SERVICE_NOT_FOUND)
        );
        let roles: Vec<_> = c
            .findings
            .iter()
            .map(|f| f.evidence["role"].clone())
            .collect();
        assert_eq!(
            roles,
            ["eam_security", "nymi_agent", "nymi_bluetooth_endpoint"]
        );
        assert_eq!(c.facts["services"][0]["status"], "not_found");
    }

    #[test]
    fn one_running_service_of_several_is_enough() {
        let mut s = running();
        s.roles[1].services = vec![
            svc("Old", "Nymi Agent (legacy)", "Stopped"),
            svc("New", "Nymi Agent", "Running"),
        ];
        let c = check(&s);
        assert!(c.findings.is_empty());
    }
}
