//! Reads the part reports into the few facts the verdict rules need, so
//! that the rules themselves stay a small pure function.

use crate::certs::{CertInventoryData, StoreState};
use crate::logs::{LogScanData, RuleHit};
use crate::probe::NesProbeData;
use crate::probe::model::{StageName, StageStatus, VerdictStatus};
use crate::report::{Finding, Report, ReportStatus};
use crate::time_fmt::UtcTime;

use super::request::{HostCheckName, HostFacts};

/// What the key stores say.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum CertState {
    /// Fewer certificates than expected in the worst store.
    Missing,
    /// The count is complete, but expired certificates leave fewer valid
    /// ones than expected.
    Expired,
    /// Complete and valid.
    Complete,
    /// Could not be judged; why.
    Unknown(String),
}

/// The key-store facts.
#[derive(Clone, Debug)]
pub(crate) struct CertFacts {
    pub state: CertState,
    /// Certificates in the worst store, and its path.
    pub worst: Option<(u64, String)>,
    pub expected: u64,
    pub stores: u32,
    pub stores_checked: u32,
    /// Newest NotBefore over the checked stores: the last renewal.
    pub newest_renewal: Option<UtcTime>,
    /// Days until the first certificate expires, over the checked stores.
    pub expires_in_days: Option<i64>,
    /// Certificates past NotAfter in the worst store.
    pub expired: u64,
    /// Findings that explain the state.
    pub findings: Vec<Finding>,
}

impl CertFacts {
    /// Facts of an inventory that did not run.
    pub(crate) fn not_run(why: &str, expected: u64) -> Self {
        CertFacts {
            state: CertState::Unknown(why.to_owned()),
            worst: None,
            expected,
            stores: 0,
            stores_checked: 0,
            newest_renewal: None,
            expires_in_days: None,
            expired: 0,
            findings: Vec::new(),
        }
    }

    pub(crate) fn from_report(report: &Report<CertInventoryData>) -> Self {
        let data = &report.data;
        let expected = data.expected.total;
        let checked: Vec<_> = data
            .stores
            .iter()
            .filter(|s| s.state == StoreState::Checked)
            .collect();
        let findings: Vec<Finding> = report
            .findings
            .iter()
            .filter(|f| {
                matches!(
                    f.id.as_str(),
                    "NEA_CERTS_MISSING"
                        | "NEA_CERT_EXPIRED"
                        | "NEA_CERT_NOT_YET_VALID"
                        | "KSP_NOT_FOUND"
                        | "KSP_ACCESS_DENIED"
                        | "NEA_CERT_UNREADABLE"
                        | "NEA_CERT_EXPIRING"
                )
            })
            .cloned()
            .collect();
        let worst = checked.iter().min_by_key(|s| s.counts.certificates);
        let mut facts = CertFacts {
            state: CertState::Complete,
            worst: worst.map(|s| (s.counts.certificates, s.path.clone())),
            expected,
            stores: data.totals.stores,
            stores_checked: data.totals.stores_checked,
            newest_renewal: checked
                .iter()
                .filter_map(|s| s.validity.newest_not_before)
                .max(),
            expires_in_days: checked
                .iter()
                .filter_map(|s| s.validity.expires_in_days)
                .min(),
            expired: worst.map_or(0, |s| s.counts.expired),
            findings,
        };
        let denied = !data.discovery.access_denied.is_empty()
            || data
                .stores
                .iter()
                .any(|s| s.state == StoreState::AccessDenied);
        facts.state = match worst {
            None if denied => CertState::Unknown(
                "the key store could not be opened (access denied): run elevated or as SYSTEM"
                    .to_owned(),
            ),
            None if report.status == ReportStatus::Error && data.totals.stores > 0 => {
                CertState::Unknown("no key store could be listed".to_owned())
            }
            None => CertState::Unknown(
                "no NEA key store (ksp folder) was found; give its path".to_owned(),
            ),
            Some(s) if s.counts.certificates == 0 && s.counts.unreadable_files > 0 => {
                CertState::Unknown(format!(
                    "none of the {} files in {} could be read as a certificate",
                    s.counts.files, s.path
                ))
            }
            Some(s) if s.counts.certificates < expected => CertState::Missing,
            Some(s) => {
                let unusable = s.counts.expired + s.counts.not_yet_valid;
                if s.counts.expired > 0 && s.counts.certificates.saturating_sub(unusable) < expected
                {
                    CertState::Expired
                } else {
                    CertState::Complete
                }
            }
        };
        facts
    }
}

/// Rules whose hits say the NEA certificates were not retrieved.
pub(crate) const RETRIEVAL_RULES: &[&str] = &[
    "LOG_NEA_CERTS_NOT_RETRIEVED",
    "LOG_CERT_CHAIN_NOT_TRUSTED",
    "LOG_TOKEN_REQUEST_FAILED",
    "LOG_NES_CONNECTION_MISSING",
    "LOG_NEA_MISSING_CERTS",
    "LOG_NEA_CERT_CHAIN_VERIFY_FAILED",
];

/// The rule that records NES URLs seen in the logs, and its field.
pub(crate) const URL_RULE: &str = "LOG_NES_URL_SEEN";
pub(crate) const URL_FIELD: &str = "nes_url";

/// What the logs say.
#[derive(Clone, Debug)]
pub(crate) struct LogFacts {
    /// Whether any log was read; why not otherwise.
    pub read: Result<u64, String>,
    /// Hits of the retrieval rules.
    pub retrieval: Vec<RuleHit>,
    /// "Object not found" taps not preceded by a certificate failure.
    pub other_object_not_found: u64,
    /// All hits, by rule id, for the rules the verdict reads.
    pub hits: Vec<RuleHit>,
    /// URLs of `LOG_NES_URL_SEEN`, most frequent first.
    pub urls: Vec<(String, u64)>,
    /// Start of the scan window.
    pub since: Option<UtcTime>,
}

impl LogFacts {
    pub(crate) fn not_run(why: &str) -> Self {
        LogFacts {
            read: Err(why.to_owned()),
            retrieval: Vec::new(),
            other_object_not_found: 0,
            hits: Vec::new(),
            urls: Vec::new(),
            since: None,
        }
    }

    pub(crate) fn from_report(report: &Report<LogScanData>) -> Self {
        let data = &report.data;
        let read = if data.coverage.files_read > 0 {
            Ok(data.coverage.files_read)
        } else if data.coverage.files_found > 0 {
            Err(format!(
                "{} log files were found and none could be read",
                data.coverage.files_found
            ))
        } else if report.status == ReportStatus::Error {
            Err(report
                .warnings
                .first()
                .cloned()
                .unwrap_or_else(|| "the log scan failed".to_owned()))
        } else {
            Err("no Nymi, Evidian, IIS or firewall log was found; give the log folder".to_owned())
        };
        let hit = |id: &str| data.hits.iter().find(|h| h.rule_id == id);
        let retrieval: Vec<RuleHit> = RETRIEVAL_RULES
            .iter()
            .filter_map(|id| hit(id).cloned())
            .collect();
        let other_object_not_found = hit("LOG_OBJECT_NOT_FOUND").map_or(0, |h| {
            h.preceded_by
                .iter()
                .filter(|(k, _)| k.as_str() == "none" || k.as_str() == "LOG_NO_VISIBLE_DEVICES")
                .map(|(_, n)| *n)
                .sum::<u64>()
                .min(h.count)
        });
        let mut urls: Vec<(String, u64)> = hit(URL_RULE)
            .and_then(|h| h.fields.get(URL_FIELD))
            .map(|values| values.iter().map(|v| (v.value.clone(), v.count)).collect())
            .unwrap_or_default();
        // Most frequent first; https before http, then by text, so the
        // choice never depends on scan order.
        urls.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| b.0.starts_with("https:").cmp(&a.0.starts_with("https:")))
                .then_with(|| a.0.cmp(&b.0))
        });
        let mut hits = data.hits.clone();
        hits.sort_by(|a, b| a.rule_id.cmp(&b.rule_id));
        LogFacts {
            read,
            retrieval,
            other_object_not_found,
            hits,
            urls,
            since: Some(data.window.since),
        }
    }

    /// The hit of `rule`, if it matched.
    pub(crate) fn hit(&self, rule: &str) -> Option<&RuleHit> {
        self.hits.iter().find(|h| h.rule_id == rule)
    }

    /// Last time a retrieval failure was logged.
    pub(crate) fn last_failure(&self) -> Option<UtcTime> {
        self.retrieval.iter().filter_map(|h| h.last_seen).max()
    }

    /// First time a retrieval failure was logged.
    pub(crate) fn first_failure(&self) -> Option<UtcTime> {
        self.retrieval.iter().filter_map(|h| h.first_seen).min()
    }
}

/// What the probe says.
#[derive(Clone, Debug)]
pub(crate) enum PathState {
    /// Every stage that applies passed.
    Clean,
    /// A stage failed.
    Failed {
        stage: StageName,
        finding: String,
        detail: String,
    },
    /// The probe did not run or could not start; why.
    Untested(String),
}

/// The probe facts.
#[derive(Clone, Debug)]
pub(crate) struct PathFacts {
    pub state: PathState,
    /// `host:port` of the NES, when the URL parsed.
    pub target: Option<String>,
    /// Host name alone.
    pub host: Option<String>,
    /// The URL probed.
    pub url: Option<String>,
    /// Resolved addresses.
    pub addresses: Vec<String>,
    /// Warnings that matter to the verdict even though the stage passed.
    pub warnings: Vec<Finding>,
}

impl PathFacts {
    pub(crate) fn not_run(why: &str) -> Self {
        PathFacts {
            state: PathState::Untested(why.to_owned()),
            target: None,
            host: None,
            url: None,
            addresses: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub(crate) fn from_report(report: &Report<NesProbeData>) -> Self {
        let data = &report.data;
        let state = match (data.verdict.status, data.verdict.stage) {
            (VerdictStatus::Ok, _) => PathState::Clean,
            (VerdictStatus::Failed, Some(StageName::Url)) => PathState::Untested(format!(
                "the NES URL is not usable: {}",
                data.verdict.summary
            )),
            (VerdictStatus::Failed, Some(stage)) => PathState::Failed {
                stage,
                finding: data
                    .verdict
                    .finding
                    .clone()
                    .unwrap_or_else(|| "NES_PROBE_FAILED".to_owned()),
                detail: data
                    .stages
                    .iter()
                    .find(|s| s.name == stage && s.status == StageStatus::Failed)
                    .map_or_else(|| data.verdict.summary.clone(), |s| s.detail.clone()),
            },
            (VerdictStatus::Failed, None) => PathState::Untested(data.verdict.summary.clone()),
        };
        PathFacts {
            state,
            target: data
                .target
                .as_ref()
                .map(|t| format!("{}:{}", t.host, t.port)),
            host: data.target.as_ref().map(|t| t.host.clone()),
            url: data.target.as_ref().map(|t| t.url.clone()),
            addresses: data.addresses.iter().map(|a| a.address.clone()).collect(),
            warnings: report
                .findings
                .iter()
                .filter(|f| f.id == "NES_TLS_PLATFORM_UNTRUSTED")
                .cloned()
                .collect(),
        }
    }
}

/// The first finding with `id` in the host check `name`.
pub(crate) fn host_finding<'a>(
    host: &'a HostFacts,
    name: HostCheckName,
    ids: &[&str],
) -> Option<&'a Finding> {
    host.checks
        .get(&name)
        .and_then(|c| c.findings.iter().find(|f| ids.contains(&f.id.as_str())))
}
