//! The one list of the library's capabilities and of the report status
//! words: `describe` lists the exports from it, the C boundary names its
//! error documents from it, and the contract tests write one schema per
//! entry.

use super::ReportStatus;

/// One capability of the library: one C export, one report kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Capability {
    /// `nymidiag_describe`: the library and the process it runs in.
    Describe,
    /// `nymidiag_cert_inventory`: the NEA key stores.
    CertInventory,
    /// `nymidiag_nes_probe`: the path to the Nymi Enterprise Server.
    NesProbe,
    /// `nymidiag_log_scan`: the rule engine over the logs.
    LogScan,
    /// `nymidiag_rule_list`: the log rules and error codes.
    RuleList,
    /// `nymidiag_diagnose`: the verdict from the three parts.
    Diagnose,
    /// `nymidiag_redact`: secrets removed from a text or a file.
    Redact,
    /// `nymidiag_report_part`: where a part report lies in a diagnosis.
    ReportPart,
    /// `nymidiag_status_lines`: status lines read back, for a fleet.
    StatusLines,
    /// `nymidiag_fleet_report`: many terminals' status lines rolled up.
    FleetReport,
    /// `nymidiag_nes_clients`: the NES server's clients from its IIS logs.
    NesClients,
}

impl Capability {
    /// Every capability, in the order `describe` lists them.
    pub const ALL: [Capability; 11] = [
        Capability::Describe,
        Capability::CertInventory,
        Capability::NesProbe,
        Capability::LogScan,
        Capability::RuleList,
        Capability::Diagnose,
        Capability::Redact,
        Capability::ReportPart,
        Capability::StatusLines,
        Capability::FleetReport,
        // NES server side.
        Capability::NesClients,
    ];

    /// The name in a report's `capability` field and in error documents
    /// (`cert_inventory`).
    pub const fn name(self) -> &'static str {
        match self {
            Capability::Describe => "describe",
            Capability::CertInventory => "cert_inventory",
            Capability::NesProbe => "nes_probe",
            Capability::LogScan => "log_scan",
            Capability::RuleList => "rule_list",
            Capability::Diagnose => "diagnose",
            Capability::Redact => "redact",
            Capability::ReportPart => "report_part",
            Capability::StatusLines => "status_lines",
            Capability::FleetReport => "fleet_report",
            Capability::NesClients => "nes_clients",
        }
    }

    /// The C export (`nymidiag_cert_inventory`).
    pub const fn export(self) -> &'static str {
        match self {
            Capability::Describe => "nymidiag_describe",
            Capability::CertInventory => "nymidiag_cert_inventory",
            Capability::NesProbe => "nymidiag_nes_probe",
            Capability::LogScan => "nymidiag_log_scan",
            Capability::RuleList => "nymidiag_rule_list",
            Capability::Diagnose => "nymidiag_diagnose",
            Capability::Redact => "nymidiag_redact",
            Capability::ReportPart => "nymidiag_report_part",
            Capability::StatusLines => "nymidiag_status_lines",
            Capability::FleetReport => "nymidiag_fleet_report",
            Capability::NesClients => "nymidiag_nes_clients",
        }
    }

    /// The capability of a report's `capability` name.
    pub fn from_name(name: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl ReportStatus {
    /// Every status, from best to worst.
    pub const ALL: [ReportStatus; 3] = [ReportStatus::Ok, ReportStatus::Issue, ReportStatus::Error];

    /// The word in a report's `status` field (`ok`, `issue`, `error`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Ok => "ok",
            ReportStatus::Issue => "issue",
            ReportStatus::Error => "error",
        }
    }

    /// The word of the Intune status line (`STATUS=OK`, `ISSUE`, `ERROR`),
    /// which the detection and remediation scripts key on.
    pub const fn intune(self) -> &'static str {
        match self {
            ReportStatus::Ok => "OK",
            ReportStatus::Issue => "ISSUE",
            ReportStatus::Error => "ERROR",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_exports_agree() {
        for c in Capability::ALL {
            assert_eq!(c.export(), format!("nymidiag_{}", c.name()));
            assert_eq!(Capability::from_name(c.name()), Some(c));
        }
        assert_eq!(Capability::from_name("nope"), None);
    }

    #[test]
    fn status_words_match_their_json() {
        for s in ReportStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(s.intune(), s.as_str().to_ascii_uppercase());
        }
    }
}
