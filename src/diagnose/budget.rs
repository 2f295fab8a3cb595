//! Keeps a diagnosis report under the size Windows PowerShell 5.1's
//! `ConvertFrom-Json` accepts (about 2 MB, `design.md` "Report"): the
//! diagnosis embeds three part reports, each capped on its own, so together
//! they can pass it. The lists that only illustrate (excerpts, places,
//! per-file and per-certificate detail) go first; every count stays.

use super::model::DiagnoseData;

/// Largest diagnosis report aimed at, in bytes of JSON: the one budget of
/// every report.
pub(crate) use crate::report::REPORT_BUDGET;

fn size(data: &DiagnoseData) -> usize {
    serde_json::to_vec(data).map_or(usize::MAX, |v| v.len())
}

/// Shortens `data` until it fits `budget`; returns what was dropped, for
/// the report's warnings (empty when nothing was).
pub(crate) fn fit(data: &mut DiagnoseData, budget: usize) -> Vec<String> {
    let mut dropped = Vec::new();
    if size(data) <= budget {
        return dropped;
    }
    if let Some(logs) = data.inputs.log_scan.as_mut() {
        for hit in &mut logs.data.hits {
            hit.excerpts.clear();
            hit.locations_omitted += hit.locations.len() as u64;
            hit.locations.clear();
        }
        logs.data.parse_problems.clear();
        dropped.push("log excerpts, hit places and parse problems".to_owned());
    }
    if size(data) <= budget {
        return dropped;
    }
    if let Some(inventory) = data.inputs.cert_inventory.as_mut() {
        for store in &mut inventory.data.stores {
            store.files_omitted = store
                .files_omitted
                .saturating_add(u32::try_from(store.files.len()).unwrap_or(u32::MAX));
            store.files.clear();
            store.certificates_omitted = store
                .certificates_omitted
                .saturating_add(u32::try_from(store.certificates.len()).unwrap_or(u32::MAX));
            store.certificates.clear();
        }
        dropped.push("the per-file and per-certificate lists of the key stores".to_owned());
    }
    if size(data) <= budget {
        return dropped;
    }
    if let Some(logs) = data.inputs.log_scan.as_mut() {
        logs.data.files_omitted += logs.data.files.len() as u64;
        logs.data.files.clear();
        logs.data.not_scanned_omitted += logs.data.not_scanned.len() as u64;
        logs.data.not_scanned.clear();
        dropped.push("the list of log files read and not read".to_owned());
    }
    dropped
}
