//! Stage bookkeeping and the verdict: the first failing stage names the
//! problem, every later stage is skipped with that reason, and the stages
//! that do not apply say why.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crate::report::{CoverageState, Finding};

use super::model::{
    NesProbeData, ProxyInfo, Stage, StageName, StageStatus, Verdict, VerdictStatus, millis,
};
use super::request::EffectiveSettings;

/// Why the Windows-authentication stage is not run by the probe: the
/// request's `host.windows_auth` observation, when given, replaces it.
pub(crate) const WINDOWS_AUTH_REASON: &str =
    "performed by the PowerShell layer with the caller's Windows identity";

/// What the probe knows so far; shared with the caller's thread so that a
/// probe cut off by the guard still reports what it saw.
#[derive(Debug)]
pub(crate) struct Progress {
    pub(crate) data: NesProbeData,
    pub(crate) findings: Vec<Finding>,
}

impl Progress {
    pub(crate) fn new(input_url: String, settings: EffectiveSettings) -> Self {
        Progress {
            data: NesProbeData {
                input_url,
                target: None,
                settings,
                stages: Vec::new(),
                resolved_host: None,
                addresses: Vec::new(),
                addresses_omitted: 0,
                tcp: Vec::new(),
                proxy: ProxyInfo::undecided(),
                tls: None,
                presented_chain: Vec::new(),
                presented_chain_omitted: 0,
                http: None,
                verdict: Verdict {
                    status: VerdictStatus::Failed,
                    stage: None,
                    finding: None,
                    summary: "the probe has not finished".to_owned(),
                },
            },
            findings: Vec::new(),
        }
    }
}

/// Writes stages and findings into the shared [`Progress`].
#[derive(Debug, Clone)]
pub(crate) struct Recorder(pub(crate) Arc<Mutex<Progress>>);

impl Recorder {
    /// The progress, even if a panicking stage poisoned the lock.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Progress> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a finding that does not end a stage (a warning, a flag).
    pub(crate) fn finding(&self, finding: Finding) {
        self.lock().findings.push(finding);
    }

    /// Records a stage that passed.
    pub(crate) fn ok(&self, name: StageName, started: Instant, detail: impl Into<String>) {
        self.push(name, StageStatus::Ok, Some(started), None, detail.into());
    }

    /// Records a stage that passed with a classifying finding (for example
    /// an informational `NES_HTTP_AUTH_REQUIRED`).
    pub(crate) fn ok_with(&self, name: StageName, started: Instant, finding: Finding) {
        let detail = finding.detail.clone();
        let id = finding.id.clone();
        let mut p = self.lock();
        p.findings.push(finding);
        if p.data.stages.iter().any(|s| s.name == name) {
            return;
        }
        p.data.stages.push(Stage {
            name,
            status: StageStatus::Ok,
            duration_ms: millis(started.elapsed()),
            finding: Some(id),
            detail,
        });
    }

    /// Records a stage that does not apply.
    pub(crate) fn not_applicable(&self, name: StageName, detail: impl Into<String>) {
        self.push(name, StageStatus::NotApplicable, None, None, detail.into());
    }

    /// Records a failed stage and its finding, and skips every later stage.
    pub(crate) fn fail(&self, name: StageName, started: Instant, finding: Finding) {
        self.fail_skipping(name, started, finding, None);
    }

    /// As [`Recorder::fail`], with a specific reason for the skipped stages.
    pub(crate) fn fail_skipping(
        &self,
        name: StageName,
        started: Instant,
        finding: Finding,
        skip_reason: Option<String>,
    ) {
        let id = finding.id.clone();
        let detail = finding.detail.clone();
        self.lock().findings.push(finding);
        self.push(
            name,
            StageStatus::Failed,
            Some(started),
            Some(id.clone()),
            detail,
        );
        let reason = skip_reason
            .unwrap_or_else(|| format!("not run: the {} stage failed ({id})", name.as_str()));
        self.skip_rest(&reason);
    }

    /// Marks every stage not yet recorded as skipped with `reason` (the
    /// Windows-authentication stage stays not applicable).
    pub(crate) fn skip_rest(&self, reason: &str) {
        let mut p = self.lock();
        for name in StageName::ALL {
            if p.data.stages.iter().any(|s| s.name == name) {
                continue;
            }
            let (status, detail) = if name == StageName::WindowsAuth {
                (StageStatus::NotApplicable, WINDOWS_AUTH_REASON.to_owned())
            } else {
                (StageStatus::Skipped, reason.to_owned())
            };
            p.data.stages.push(Stage {
                name,
                status,
                duration_ms: 0,
                finding: None,
                detail,
            });
        }
    }

    fn push(
        &self,
        name: StageName,
        status: StageStatus,
        started: Option<Instant>,
        finding: Option<String>,
        detail: String,
    ) {
        let mut p = self.lock();
        // Each stage is recorded once; the first record stands.
        if p.data.stages.iter().any(|s| s.name == name) {
            return;
        }
        p.data.stages.push(Stage {
            name,
            status,
            duration_ms: started.map_or(0, |s| millis(s.elapsed())),
            finding,
            detail,
        });
    }
}

/// The verdict of a finished (or cut-off) probe.
pub(crate) fn verdict(stages: &[Stage], findings: &[Finding]) -> Verdict {
    // The request with the Windows identity decides only when it was
    // refused (`NES_AUTH_FAILED`); no answer there is explained by the
    // stages the probe runs itself.
    if let Some(failed) = stages.iter().find(|s| {
        s.status == StageStatus::Failed && (s.name != StageName::WindowsAuth || s.finding.is_some())
    }) {
        let title = failed
            .finding
            .as_deref()
            .and_then(|id| findings.iter().find(|f| f.id == id))
            .map_or_else(|| failed.detail.clone(), |f| f.title.clone());
        return Verdict {
            status: VerdictStatus::Failed,
            stage: Some(failed.name),
            finding: failed.finding.clone(),
            summary: format!("{} stage failed: {title}", failed.name.as_str()),
        };
    }
    let http = stages.iter().find(|s| s.name == StageName::Http);
    let summary = match http {
        Some(s) if s.status == StageStatus::Ok && s.finding.is_some() => {
            "NES answered and asks for Windows authentication; the authenticated request is \
             the PowerShell layer's"
                .to_owned()
        }
        Some(s) if s.status == StageStatus::Ok => {
            "NES answered; every stage the probe runs passed".to_owned()
        }
        _ => "every stage that ran passed".to_owned(),
    };
    Verdict {
        status: VerdictStatus::Ok,
        stage: None,
        finding: None,
        summary,
    }
}

/// The coverage state a stage status stands for.
pub(crate) fn coverage_state(status: StageStatus) -> CoverageState {
    match status {
        // A failed stage was checked: its finding is the result.
        StageStatus::Ok | StageStatus::Failed => CoverageState::Checked,
        StageStatus::Skipped => CoverageState::Skipped,
        StageStatus::NotApplicable => CoverageState::NotApplicable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Severity;

    fn recorder() -> Recorder {
        let (settings, _) =
            EffectiveSettings::from_request(&super::super::NesProbeRequest::new("x"));
        Recorder(Arc::new(Mutex::new(Progress::new("x".into(), settings))))
    }

    #[test]
    fn first_failure_is_the_verdict_and_later_stages_are_skipped() {
        let r = recorder();
        let t = Instant::now();
        r.ok(StageName::Url, t, "fine");
        r.not_applicable(StageName::Proxy, "direct");
        r.fail(
            StageName::Dns,
            t,
            Finding::new("NES_DNS_FAILED", Severity::Error, "No such name", "d"),
        );
        let p = r.lock();
        let names: Vec<_> = p.data.stages.iter().map(|s| s.name).collect();
        assert_eq!(names, StageName::ALL);
        assert_eq!(p.data.stages[3].status, StageStatus::Skipped);
        assert!(p.data.stages[3].detail.contains("NES_DNS_FAILED"));
        assert_eq!(p.data.stages[7].status, StageStatus::NotApplicable);
        let v = verdict(&p.data.stages, &p.findings);
        assert_eq!(v.stage, Some(StageName::Dns));
        assert_eq!(v.finding.as_deref(), Some("NES_DNS_FAILED"));
        assert_eq!(v.summary, "dns stage failed: No such name");
    }

    #[test]
    fn no_failure_is_ok() {
        let r = recorder();
        r.ok(StageName::Url, Instant::now(), "fine");
        r.skip_rest("unused");
        let p = r.lock();
        assert_eq!(
            verdict(&p.data.stages, &p.findings).status,
            VerdictStatus::Ok
        );
    }

    #[test]
    fn a_stage_is_recorded_once() {
        let r = recorder();
        r.skip_rest("x");
        r.not_applicable(StageName::WindowsAuth, "again");
        r.ok(StageName::Url, Instant::now(), "late");
        let p = r.lock();
        assert_eq!(p.data.stages.len(), StageName::ALL.len());
        assert_eq!(p.data.stages[0].status, StageStatus::Skipped);
    }
}
