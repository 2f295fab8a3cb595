//! The `report_part` capability: where a diagnosis's embedded part report
//! (`data.inputs.cert_inventory`, `data.inputs.log_scan`, ...) lies in its
//! JSON text, so the support bundle stores that part byte for byte instead
//! of running it again. The answer is a position, not a copy: the part can
//! be as large as the diagnosis, and Windows PowerShell 5.1 could not read
//! it back out of a report around it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::json_span::value_span;
use super::{Capability, CoverageState, Report, ReportBuilder};
use crate::Error;
use crate::diagnose::request::Part;

/// Largest report text accepted, in bytes: a diagnosis aims at
/// [`REPORT_BUDGET`](super::text::REPORT_BUDGET) bytes; a run record around an
/// older or hand-made one may be larger.
const MAX_REPORT_BYTES: usize = 64 * 1024 * 1024;

/// Request of `nymidiag_report_part`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportPartRequest {
    /// The JSON text of a diagnose report, or of a run record that holds
    /// one in its `diagnosis` field (the Intune and GPO report files); at
    /// most 64 MiB.
    pub report: String,
    /// The part wanted.
    pub part: Part,
    /// Free text naming the caller, copied into `context.caller`
    /// (at most 256 characters are kept).
    #[serde(default)]
    pub caller: Option<String>,
}

/// Where the part lies in the request's `report` text, in bytes of UTF-8
/// and in UTF-16 code units (the string index of .NET and PowerShell).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TextSpan {
    /// Start, in bytes.
    pub byte_offset: u64,
    /// Length, in bytes.
    pub byte_length: u64,
    /// Start, in UTF-16 code units.
    pub utf16_offset: u64,
    /// Length, in UTF-16 code units.
    pub utf16_length: u64,
}

/// `data` of a `report_part` report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportPartData {
    /// The part asked for.
    pub part: Part,
    /// Where the diagnosis was: `report` (the text is one) or
    /// `record.diagnosis` (a run record holds it); `null` when the text
    /// holds no diagnosis.
    pub diagnosis_at: Option<String>,
    /// Where the part's report lies; `null` when the diagnosis does not
    /// hold it (the part was skipped, or the diagnosis failed before it).
    pub span: Option<TextSpan>,
}

/// The head of a report: enough to tell what it is.
#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    capability: Option<String>,
}

/// Runs `report_part`.
pub fn report_part(request: &ReportPartRequest) -> Result<Report<ReportPartData>, Error> {
    let text = request.report.as_str();
    if text.len() > MAX_REPORT_BYTES {
        return Err(Error::RequestInvalid {
            path: "report".to_owned(),
            message: format!(
                "{} bytes is more than the {MAX_REPORT_BYTES} accepted",
                text.len()
            ),
        });
    }
    // Valid JSON first: the span walk trusts its input, and serde_json
    // bounds the nesting it recurses through.
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        return Err(Error::RequestInvalid {
            path: "report".to_owned(),
            message: format!("not JSON text: {e}"),
        });
    }
    let mut report = ReportBuilder::new(Capability::ReportPart.name());
    report.caller(request.caller.as_deref());
    let diagnose = Capability::Diagnose.name();
    let (diagnosis_at, base) = if is_report_of(text, diagnose) {
        (Some("report"), Some(0..text.len()))
    } else {
        match value_span(text, &["diagnosis"]) {
            Some(r) if is_report_of(&text[r.clone()], diagnose) => {
                (Some("record.diagnosis"), Some(r))
            }
            _ => (None, None),
        }
    };
    let part = request.part.as_str();
    let span = base.and_then(|base| {
        let inner = &text[base.clone()];
        let r = value_span(inner, &["data", "inputs", part])?;
        is_report_of(&inner[r.clone()], part).then(|| (base.start + r.start)..(base.start + r.end))
    });
    if diagnosis_at.is_none() {
        report
            .warning("the text is neither a diagnose report nor a record with one in `diagnosis`");
    }
    report.coverage("report", CoverageState::Checked, None);
    Ok(report.finish(ReportPartData {
        part: request.part,
        diagnosis_at: diagnosis_at.map(str::to_owned),
        span: span.map(|r| TextSpan {
            byte_offset: r.start as u64,
            byte_length: r.len() as u64,
            utf16_offset: utf16_len(&text[..r.start]),
            utf16_length: utf16_len(&text[r]),
        }),
    }))
}

/// Whether `text` is a report object of `capability`.
fn is_report_of(text: &str, capability: &str) -> bool {
    text.trim_start().starts_with('{')
        && serde_json::from_str::<Head>(text)
            .is_ok_and(|h| h.capability.as_deref() == Some(capability))
}

fn utf16_len(text: &str) -> u64 {
    text.encode_utf16().count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(report: &str, part: Part) -> ReportPartData {
        report_part(&ReportPartRequest {
            report: report.to_owned(),
            part,
            caller: None,
        })
        .unwrap()
        .data
    }

    fn cut(text: &str, span: TextSpan) -> String {
        let units: Vec<u16> = text.encode_utf16().collect();
        let (from, len) = (span.utf16_offset as usize, span.utf16_length as usize);
        String::from_utf16(&units[from..from + len]).unwrap()
    }

    const PART: &str = r#"{"capability": "log_scan", "started_utc": "2026-05-01T08:00:00.000Z", "data": {"x": "é😀"}}"#;

    #[test]
    fn finds_the_part_of_a_diagnosis_byte_for_byte() {
        let diagnosis = format!(
            r#"{{"capability":"diagnose","context":{{"host":"Zürich😀"}},"data":{{"inputs":{{"cert_inventory":null,"log_scan": {PART} }}}}}}"#
        );
        let d = ask(&diagnosis, Part::LogScan);
        assert_eq!(d.diagnosis_at.as_deref(), Some("report"));
        let span = d.span.unwrap();
        let start = span.byte_offset as usize;
        assert_eq!(&diagnosis[start..start + span.byte_length as usize], PART);
        assert_eq!(cut(&diagnosis, span), PART);
        // A skipped part is null: not there.
        assert_eq!(ask(&diagnosis, Part::CertInventory).span, None);
        assert_eq!(ask(&diagnosis, Part::NesProbe).span, None);
    }

    #[test]
    fn finds_the_diagnosis_in_a_run_record() {
        let record = format!(
            r#"{{"kind": "detect", "status_line": "STATUS=OK", "diagnosis": {{"capability":"diagnose","data":{{"inputs":{{"log_scan":{PART}}}}}}}}}"#
        );
        let d = ask(&record, Part::LogScan);
        assert_eq!(d.diagnosis_at.as_deref(), Some("record.diagnosis"));
        assert_eq!(cut(&record, d.span.unwrap()), PART);
    }

    #[test]
    fn other_json_holds_no_part() {
        for text in [
            r#"{"capability": "log_scan", "data": {"inputs": {"log_scan": {"capability": "log_scan"}}}}"#,
            r#"{"capability": "diagnose", "data": {"inputs": {"log_scan": {"capability": "describe"}}}}"#,
            r#"{"diagnosis": "text"}"#,
            "[1, 2]",
        ] {
            assert_eq!(ask(text, Part::LogScan).span, None, "{text}");
        }
        let e = report_part(&ReportPartRequest {
            report: "{\"a\": ".to_owned(),
            part: Part::LogScan,
            caller: None,
        })
        .unwrap_err();
        assert!(matches!(e, Error::RequestInvalid { .. }), "{e:?}");
    }
}
