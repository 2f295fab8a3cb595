//! Keeping a `log_scan` report under the size Windows PowerShell 5.1
//! can read.

use crate::Finding;
use crate::logs::model::LogScanData;
use crate::logs::model::clean::clean;

/// Largest report aimed at, in bytes of JSON: the one budget of every
/// report.
pub(super) use crate::report::REPORT_BUDGET;

fn json_len<T: serde::Serialize>(v: &T) -> usize {
    serde_json::to_vec(v).map_or(usize::MAX, |b| b.len())
}

/// Cuts lists further, step by step, until data and findings fit the
/// report budget; says what was cut.
pub(super) fn fit_budget(data: &mut LogScanData, findings: &mut Vec<Finding>) -> Option<String> {
    let size = |d: &LogScanData, f: &Vec<Finding>| json_len(d) + json_len(f);
    if size(data, findings) <= REPORT_BUDGET {
        return None;
    }
    data.trimmed = true;
    type Step = fn(&mut LogScanData, &mut Vec<Finding>);
    let steps: [Step; 7] = [
        |d, _| {
            for h in &mut d.hits {
                for e in &mut h.excerpts {
                    e.before.clear();
                    e.text = clean(&e.text, 200);
                }
            }
        },
        |d, _| {
            for h in &mut d.hits {
                let n = h.locations.len().saturating_sub(3) as u64;
                h.locations.truncate(3);
                h.locations_omitted += n;
                h.excerpts.truncate(1);
            }
            d.parse_problems.truncate(20);
        },
        |d, f| {
            for h in &mut d.hits {
                for v in h.fields.values_mut() {
                    v.truncate(3);
                }
                let n = h.files.len().saturating_sub(3) as u64;
                h.files = std::mem::take(&mut h.files).into_iter().take(3).collect();
                h.files_omitted += n;
            }
            for x in f.iter_mut() {
                x.evidence.remove("example");
                x.evidence.remove("fields");
            }
        },
        |d, _| {
            let n = d.files.len().saturating_sub(50) as u64;
            d.files.truncate(50);
            d.files_omitted += n;
            let n = d.not_scanned.len().saturating_sub(50) as u64;
            d.not_scanned.truncate(50);
            d.not_scanned_omitted += n;
            d.searched_locations.truncate(50);
        },
        |d, f| {
            for x in f.iter_mut() {
                x.detail = clean(&x.detail, 300);
                x.remediation = x.remediation.as_ref().map(|r| clean(r, 300));
                x.evidence.remove("files");
            }
            for h in &mut d.hits {
                h.excerpts.clear();
                h.fields.clear();
                h.fields_omitted.clear();
                let n = h.locations.len().saturating_sub(1) as u64;
                h.locations.truncate(1);
                h.locations_omitted += n;
            }
        },
        |d, _| {
            d.files.clear();
            d.parse_problems.clear();
            d.not_scanned.truncate(10);
        },
        |d, f| {
            // Keep the most severe and most frequent.
            d.hits.truncate(200);
            let keep: Vec<String> = d.hits.iter().map(|h| h.rule_id.clone()).collect();
            f.retain(|x| keep.contains(&x.id));
        },
    ];
    for step in steps {
        step(data, findings);
        if size(data, findings) <= REPORT_BUDGET {
            break;
        }
    }
    Some(format!(
        "the result was shortened to stay under {REPORT_BUDGET} bytes of JSON (data.trimmed)"
    ))
}
