//! The `describe` capability: the report envelope with only the context and
//! what the library offers. It proves the C boundary end to end and lets a
//! caller check which capabilities a library build supports.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::report::{Capability, CoverageState, Report, ReportBuilder};

/// Request of `nymidiag_describe`. Every field is optional; `{}` or an empty
/// buffer asks for the defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribeRequest {
    /// Free text naming the caller, copied into `context.caller`
    /// (at most 256 characters are kept).
    #[serde(default)]
    pub caller: Option<String>,
}

/// `data` of a describe report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribeData {
    /// C ABI version.
    pub abi_version: u32,
    /// Library version.
    pub tool_version: String,
    /// Report schema version.
    pub schema_version: u32,
    /// The capability exports this build offers, by export name.
    pub exports: Vec<String>,
}

/// Capability exports of this build, in [`Capability::ALL`] order (the
/// version and free functions are always there and not listed).
pub fn exports() -> Vec<String> {
    Capability::ALL
        .iter()
        .map(|c| c.export().to_owned())
        .collect()
}

/// Runs `describe`.
pub fn describe(request: &DescribeRequest) -> Report<DescribeData> {
    let mut report = ReportBuilder::new(Capability::Describe.name());
    report.caller(request.caller.as_deref());
    report.coverage("context", CoverageState::Checked, None);
    report.finish(DescribeData {
        abi_version: crate::ABI_VERSION,
        tool_version: crate::TOOL_VERSION.to_owned(),
        schema_version: crate::SCHEMA_VERSION,
        exports: exports(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_and_caps_the_caller() {
        let long = "x".repeat(1000);
        let r = describe(&DescribeRequest { caller: Some(long) });
        assert_eq!(r.context.caller.as_deref().map(str::len), Some(256));
        assert_eq!(r.capability, "describe");
        assert_eq!(r.data.exports[0], "nymidiag_describe");
    }
}
