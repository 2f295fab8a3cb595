//! The names of log formats, encodings and clocks, as requests and
//! reports spell them. Only the types live here: detecting and
//! decoding them is the input layer's job.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The log formats the scanner reads.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    /// Evidian WGSS (Nymi) trace: `id:(date time.ms):Source.cpp :line: message`,
    /// or the same with another time and thread prefix, or none.
    Wgss,
    /// Nymi API `nymi_api.log`: `LEVEL - message`, optional prefix (time,
    /// thread) before the level.
    NymiApi,
    /// IIS W3C extended log (NES server): `#Fields`-driven, UTC times.
    Iis,
    /// Windows Firewall `pfirewall.log`: `#Fields`-driven, local times.
    Firewall,
    /// Any other text file, read line by line.
    Text,
}

impl LogKind {
    /// Every kind, in a stable order.
    pub fn all() -> [LogKind; 5] {
        [
            LogKind::Wgss,
            LogKind::NymiApi,
            LogKind::Iis,
            LogKind::Firewall,
            LogKind::Text,
        ]
    }

    /// The name used in requests, rule packs and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Wgss => "wgss",
            LogKind::NymiApi => "nymi_api",
            LogKind::Iis => "iis",
            LogKind::Firewall => "firewall",
            LogKind::Text => "text",
        }
    }

    /// The kind with this name.
    pub fn from_name(name: &str) -> Option<LogKind> {
        LogKind::all().into_iter().find(|k| k.as_str() == name)
    }
}

/// The `kind` a caller asks for: a fixed format, or `auto` to detect each
/// file's format from its content.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindChoice {
    /// Detect per file from its content, then its name (default).
    #[default]
    Auto,
    /// Read every file as a WGSS trace.
    Wgss,
    /// Read every file as `nymi_api.log`.
    NymiApi,
    /// Read every file as an IIS W3C log.
    Iis,
    /// Read every file as a Windows Firewall log.
    Firewall,
    /// Read every file as plain text.
    Text,
}

impl KindChoice {
    /// The fixed kind, or `None` for `auto`.
    pub fn fixed(self) -> Option<LogKind> {
        match self {
            KindChoice::Auto => None,
            KindChoice::Wgss => Some(LogKind::Wgss),
            KindChoice::NymiApi => Some(LogKind::NymiApi),
            KindChoice::Iis => Some(LogKind::Iis),
            KindChoice::Firewall => Some(LogKind::Firewall),
            KindChoice::Text => Some(LogKind::Text),
        }
    }
}

/// How a file's kind was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindSource {
    /// The request fixed it.
    Request,
    /// Recognised from the first lines of the file.
    Content,
    /// The content was inconclusive (for example empty); taken from the
    /// file name.
    Name,
    /// Neither content nor name matched a known format: plain text.
    Fallback,
}

/// How a file's text is encoded.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub enum TextEncoding {
    /// UTF-8 without BOM (or plain ASCII).
    #[serde(rename = "utf-8")]
    Utf8,
    /// UTF-8 with BOM.
    #[serde(rename = "utf-8-bom")]
    Utf8Bom,
    /// UTF-16 little-endian with BOM.
    #[serde(rename = "utf-16le-bom")]
    Utf16LeBom,
    /// UTF-16 big-endian with BOM.
    #[serde(rename = "utf-16be-bom")]
    Utf16BeBom,
    /// UTF-16 little-endian without BOM (detected from NUL positions).
    #[serde(rename = "utf-16le")]
    Utf16Le,
    /// UTF-16 big-endian without BOM.
    #[serde(rename = "utf-16be")]
    Utf16Be,
    /// Not valid UTF-8 at the start: read as Windows-1252.
    #[serde(rename = "windows-1252")]
    Windows1252,
}

impl TextEncoding {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf8Bom => "utf-8-bom",
            TextEncoding::Utf16LeBom => "utf-16le-bom",
            TextEncoding::Utf16BeBom => "utf-16be-bom",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16Be => "utf-16be",
            TextEncoding::Windows1252 => "windows-1252",
        }
    }
}

/// What clock a file's times are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeBasis {
    /// Written in UTC (IIS).
    Utc,
    /// Written in the local time of the machine that wrote the file
    /// (WGSS, firewall); converted with the scan's local offset. A WGSS
    /// line that states its offset (ISO 8601 `Z` or `+01:00`) uses it.
    Local,
    /// Per line: UTC when the line states an offset, else local.
    Mixed,
    /// The format has no times (plain text).
    None,
}
