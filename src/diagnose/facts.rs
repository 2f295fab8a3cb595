//! Reads the part reports into the few facts the verdict rules need, so
//! that the rules themselves stay a small pure function.

use super::ids as own_ids;
use crate::certs::ids as cert_ids;
use crate::certs::{CertInventoryData, StoreRole, StoreState};
use crate::logs::rule_ids;
use crate::logs::{LogScanData, RuleHit};
use crate::probe::NesProbeData;
use crate::probe::ids;
use crate::probe::model::{ProxyMode, StageName, StageStatus, VerdictStatus};
use crate::probe::url::normalize_nes_candidate;
use crate::report::{Finding, Report, ReportStatus};
use crate::time_fmt::UtcTime;

use super::model::VerdictId;
use crate::host::{HostCheckName, HostFacts};

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
    /// When the first certificate expires, over the checked stores.
    pub earliest_expiry: Option<UtcTime>,
    /// Certificates past NotAfter in the worst store.
    pub expired: u64,
    /// The newest NotBefore of a checked store, when it lies further ahead
    /// of the evaluation time than [`CLOCK_TOLERANCE`]: the terminal's
    /// clock is behind the issuer's (with how many such certificates).
    pub not_yet_valid_ahead: Option<(UtcTime, u64)>,
    /// Findings that explain the state.
    pub findings: Vec<Finding>,
}

/// How far two clocks may disagree before it counts as clock skew: the
/// Kerberos default (five minutes), which is also what breaks Windows
/// authentication to NES first.
pub(crate) const CLOCK_TOLERANCE: time::Duration = time::Duration::minutes(5);

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
            earliest_expiry: None,
            expired: 0,
            not_yet_valid_ahead: None,
            findings: Vec::new(),
        }
    }

    pub(crate) fn from_report(report: &Report<CertInventoryData>) -> Self {
        let data = &report.data;
        let expected = data.expected.total;
        // Only active stores are judged: a stale NSL folder left by an
        // earlier install is reported (KSP_STALE_STORE), never a cause.
        let checked: Vec<_> = data
            .stores
            .iter()
            .filter(|s| s.state == StoreState::Checked && s.role == StoreRole::Active)
            .collect();
        let findings: Vec<Finding> = report
            .findings
            .iter()
            .filter(|f| {
                matches!(
                    f.id.as_str(),
                    cert_ids::NEA_CERTS_MISSING
                        | cert_ids::NEA_CERT_EXPIRED
                        | cert_ids::NEA_CERT_NOT_YET_VALID
                        | cert_ids::KSP_NOT_FOUND
                        | cert_ids::KSP_ACCESS_DENIED
                        | cert_ids::NEA_CERT_UNREADABLE
                        | cert_ids::NEA_CERT_EXPIRING
                        | cert_ids::NEA_KEYSTORE_FILE_OPAQUE
                        | cert_ids::KSP_STALE_STORE
                )
            })
            .cloned()
            .collect();
        // The article counts files: a file that is not X.509 still counts.
        let worst = data.deciding_store();
        let mut facts = CertFacts {
            state: CertState::Complete,
            worst: worst.map(|s| (s.counts.files, s.path.clone())),
            expected,
            stores: data.totals.stores,
            stores_checked: data.totals.stores_checked,
            // The last renewal: the newest NotBefore, or for a store whose
            // files are opaque, its last write.
            newest_renewal: checked
                .iter()
                .filter_map(|s| s.validity.newest_not_before.or(s.last_write_utc))
                .max(),
            expires_in_days: checked
                .iter()
                .filter_map(|s| s.validity.expires_in_days)
                .min(),
            earliest_expiry: checked
                .iter()
                .filter_map(|s| s.validity.earliest_not_after)
                .min(),
            expired: worst.map_or(0, |s| s.counts.expired),
            not_yet_valid_ahead: checked
                .iter()
                .filter(|s| s.counts.not_yet_valid > 0)
                .filter_map(|s| {
                    s.validity
                        .newest_not_before
                        .map(|t| (t, s.counts.not_yet_valid))
                })
                .filter(|(t, _)| t.0 > data.evaluated_utc.0 + CLOCK_TOLERANCE)
                .max_by_key(|(t, _)| *t),
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
            Some(s) if s.counts.files < expected => CertState::Missing,
            Some(s) if s.counts.expired > 0 && s.counts.valid < expected => CertState::Expired,
            Some(_) => CertState::Complete,
        };
        facts
    }
}

/// Rules whose hits say the NEA certificates were not retrieved.
pub(crate) const RETRIEVAL_RULES: &[&str] = &[
    rule_ids::LOG_NEA_CERTS_NOT_RETRIEVED,
    rule_ids::LOG_CERT_CHAIN_NOT_TRUSTED,
    rule_ids::LOG_TOKEN_REQUEST_FAILED,
    rule_ids::LOG_NES_CONNECTION_MISSING,
    rule_ids::LOG_NEA_MISSING_CERTS,
    rule_ids::LOG_NEA_CERT_CHAIN_VERIFY_FAILED,
];

/// The rule that records every URL seen in the logs, the rule that
/// records URLs on NES lines (token request, `nes_url`, NES client), and
/// their field.
pub(crate) const URL_RULE: &str = rule_ids::LOG_NES_URL_SEEN;
pub(crate) const NES_URL_RULE: &str = rule_ids::LOG_NES_URL_CONFIGURED;
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
    /// The latest dated one of them (undated taps have no time).
    pub other_object_not_found_last: Option<UtcTime>,
    /// All hits, by rule id, for the rules the verdict reads.
    pub hits: Vec<RuleHit>,
    /// URLs of `LOG_NES_URL_SEEN`, most frequent first.
    pub urls: Vec<(String, u64)>,
    /// URLs of `LOG_NES_URL_CONFIGURED` (NES lines), most frequent first.
    pub nes_urls: Vec<(String, u64)>,
    /// Start of the scan window.
    pub since: Option<UtcTime>,
    /// Hits of shared logs (NES IIS, firewall) that could not be tied to
    /// this terminal and NES, with why: context, never a cause.
    pub context: Vec<(RuleHit, String)>,
}

/// Rules read from the NES server's IIS log: they count only for requests
/// from this terminal's addresses.
pub(crate) const IIS_RULES: &[&str] = &[
    rule_ids::IIS_KERBEROS_FAILURE,
    rule_ids::IIS_NES_SERVER_ERROR,
    rule_ids::IIS_NES_FORBIDDEN,
];
/// Rules read from firewall logs: they count only for packets between this
/// terminal and NES (or its DNS servers and domain controllers).
pub(crate) const FIREWALL_RULES: &[&str] = &[rule_ids::FIREWALL_DROP_NES];

impl LogFacts {
    pub(crate) fn not_run(why: &str) -> Self {
        LogFacts {
            read: Err(why.to_owned()),
            retrieval: Vec::new(),
            other_object_not_found: 0,
            other_object_not_found_last: None,
            hits: Vec::new(),
            urls: Vec::new(),
            nes_urls: Vec::new(),
            since: None,
            context: Vec::new(),
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
        // Taps preceded by nothing, or by "0 visible devices" alone, point
        // away from the certificates.
        let other =
            |k: &String| k.as_str() == "none" || k.as_str() == rule_ids::LOG_NO_VISIBLE_DEVICES;
        let object_not_found = hit(rule_ids::LOG_OBJECT_NOT_FOUND);
        let other_object_not_found = object_not_found.map_or(0, |h| {
            h.preceded_by
                .iter()
                .filter(|(k, _)| other(k))
                .map(|(_, n)| *n)
                .sum::<u64>()
                .min(h.count)
        });
        let other_object_not_found_last = object_not_found.and_then(|h| {
            h.preceded_by_last_seen
                .iter()
                .filter(|(k, _)| other(k))
                .map(|(_, t)| *t)
                .max()
        });
        let urls = url_candidates(hit(URL_RULE));
        let nes_urls = url_candidates(hit(NES_URL_RULE));
        let mut hits = data.hits.clone();
        hits.sort_by(|a, b| a.rule_id.cmp(&b.rule_id));
        LogFacts {
            read,
            retrieval,
            other_object_not_found,
            other_object_not_found_last,
            hits,
            urls,
            nes_urls,
            since: Some(data.window.since),
            context: Vec::new(),
        }
    }

    /// Ties the shared logs to this terminal and NES. `iis_tied`: the scan
    /// kept only this terminal's requests in IIS logs. `firewall`: the
    /// firewall logs scanned again with this terminal's and NES's
    /// addresses, when they were known. What cannot be tied moves to
    /// `context`, with why.
    pub(crate) fn tie_shared_logs(
        &mut self,
        iis_tied: bool,
        firewall: Result<&Report<LogScanData>, &str>,
    ) {
        if !iis_tied {
            self.move_to_context(
                IIS_RULES,
                "no address of this terminal is known, so the IIS entries cannot be tied to it",
            );
        }
        match firewall {
            Ok(tied) => {
                self.hits
                    .retain(|h| !FIREWALL_RULES.contains(&h.rule_id.as_str()));
                self.hits.extend(
                    tied.data
                        .hits
                        .iter()
                        .filter(|h| FIREWALL_RULES.contains(&h.rule_id.as_str()))
                        .cloned(),
                );
                self.hits.sort_by(|a, b| a.rule_id.cmp(&b.rule_id));
            }
            Err(why) => self.move_to_context(FIREWALL_RULES, why),
        }
    }

    fn move_to_context(&mut self, rules: &[&str], why: &str) {
        let (moved, kept): (Vec<RuleHit>, Vec<RuleHit>) = std::mem::take(&mut self.hits)
            .into_iter()
            .partition(|h| rules.contains(&h.rule_id.as_str()));
        self.hits = kept;
        self.context
            .extend(moved.into_iter().map(|h| (h, why.to_owned())));
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

/// A problem with what the tool was given (its configuration), which is
/// not a problem of the terminal: the verdict names it and says `ERROR`.
#[derive(Clone, Debug)]
pub(crate) struct ConfigProblem {
    /// The verdict that names it (`CONFIG_*`).
    pub verdict: VerdictId,
    /// The finding or setting behind it.
    pub finding: String,
    /// What is wrong, in one sentence.
    pub detail: String,
}

impl ConfigProblem {
    /// The configuration problems a diagnosis can see: a given NES URL the
    /// probe refused, a CA file it could not use, a rule pack that failed
    /// to load (`rule_pack`, from the log scan's error).
    pub(crate) fn collect(
        given_url: bool,
        path: &PathFacts,
        rule_pack: Option<&str>,
    ) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        if given_url && let Some(why) = &path.url_refused {
            out.push(ConfigProblem {
                verdict: VerdictId::ConfigNesUrlInvalid,
                finding: ids::NES_URL_INVALID.to_owned(),
                detail: format!("The NES URL given to the tool cannot be used: {why}"),
            });
        }
        if let Some(why) = &path.ca_file_unreadable {
            out.push(ConfigProblem {
                verdict: VerdictId::ConfigCaFileUnreadable,
                finding: ids::NES_TLS_CA_FILE_UNREADABLE.to_owned(),
                detail: format!("The CA file given for NES cannot be used: {why}"),
            });
        }
        if let Some(why) = rule_pack {
            out.push(ConfigProblem {
                verdict: VerdictId::ConfigRulePackInvalid,
                finding: own_ids::LOG_RULE_PACK_INVALID.to_owned(),
                detail: format!(
                    "A rule pack given to the tool cannot be used ({why}); the logs were scanned with the built-in rules only."
                ),
            });
        }
        out
    }
}

/// The URLs a rule captured, each put through the one NES-URL normaliser
/// (so that a report written by an older version cannot smuggle in a CRL
/// URL or credentials), merged when they normalise alike, most frequent
/// first; https before http, then by text, so the choice never depends on
/// scan order.
fn url_candidates(hit: Option<&RuleHit>) -> Vec<(String, u64)> {
    let mut merged: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for v in hit
        .and_then(|h| h.fields.get(URL_FIELD))
        .into_iter()
        .flatten()
    {
        if let Ok(n) = normalize_nes_candidate(&v.value) {
            *merged.entry(n.url).or_default() += v.count;
        }
    }
    let mut urls: Vec<(String, u64)> = merged.into_iter().collect();
    urls.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| b.0.starts_with("https:").cmp(&a.0.starts_with("https:")))
            .then_with(|| a.0.cmp(&b.0))
    });
    urls
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
    /// The NES's own addresses (not a proxy's): what shared logs are tied to.
    pub nes_addresses: Vec<String>,
    /// Warnings that matter to the verdict even though the stage passed.
    pub warnings: Vec<Finding>,
    /// Why the URL stage refused the URL, when it did.
    pub url_refused: Option<String>,
    /// Why the CA file given for NES could not be used, when it could not.
    pub ca_file_unreadable: Option<String>,
    /// The TLS stage failed because a certificate is not valid yet.
    pub tls_not_yet_valid: bool,
    /// NES's clock (its `Date` header) minus this terminal's, when known.
    pub clock_offset_ms: Option<i64>,
    /// The probe's `NES_CLOCK_SKEW` detail, when NES's clock is too far off.
    pub clock_skew: Option<String>,
}

impl PathFacts {
    pub(crate) fn not_run(why: &str) -> Self {
        PathFacts {
            state: PathState::Untested(why.to_owned()),
            target: None,
            host: None,
            url: None,
            nes_addresses: Vec::new(),
            warnings: Vec::new(),
            url_refused: None,
            ca_file_unreadable: None,
            tls_not_yet_valid: false,
            clock_offset_ms: None,
            clock_skew: None,
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
                    .unwrap_or_else(|| own_ids::NES_PROBE_FAILED.to_owned()),
                detail: data
                    .stages
                    .iter()
                    .find(|s| s.name == stage && s.status == StageStatus::Failed)
                    .map_or_else(|| data.verdict.summary.clone(), |s| s.detail.clone()),
            },
            (VerdictStatus::Failed, None) => PathState::Untested(data.verdict.summary.clone()),
        };
        let addresses: Vec<String> = data.addresses.iter().map(|a| a.address.clone()).collect();
        let direct = data.proxy.mode == ProxyMode::Direct;
        let finding_detail = |id: &str| {
            report
                .findings
                .iter()
                .find(|f| f.id == id)
                .map(|f| f.detail.clone())
        };
        PathFacts {
            state,
            target: data.target.as_ref().map(|t| t.authority.clone()),
            host: data.target.as_ref().map(|t| t.host.clone()),
            url: data.target.as_ref().map(|t| t.url.clone()),
            nes_addresses: if direct { addresses } else { Vec::new() },
            url_refused: match (data.verdict.status, data.verdict.stage) {
                (VerdictStatus::Failed, Some(StageName::Url)) => Some(data.verdict.summary.clone()),
                _ => None,
            },
            ca_file_unreadable: finding_detail(ids::NES_TLS_CA_FILE_UNREADABLE),
            tls_not_yet_valid: data.verdict.status == VerdictStatus::Failed
                && data.verdict.finding.as_deref() == Some(ids::NES_TLS_NOT_YET_VALID),
            clock_offset_ms: data.http.as_ref().and_then(|h| h.clock_offset_ms),
            clock_skew: finding_detail(ids::NES_CLOCK_SKEW),
            warnings: report
                .findings
                .iter()
                .filter(|f| f.id == ids::NES_TLS_PLATFORM_UNTRUSTED)
                .cloned()
                .collect(),
        }
    }
}

/// The first finding with one of `ids` in the host check `name`, when that
/// check counts for the verdict.
pub(crate) fn host_finding<'a>(
    host: &'a HostFacts,
    name: HostCheckName,
    ids: &[&str],
) -> Option<&'a Finding> {
    host.checks
        .get(&name)
        .filter(|c| c.counted)
        .and_then(|c| c.findings.iter().find(|f| ids.contains(&f.id.as_str())))
}
