//! ISO-8601 UTC timestamps as every report writes them.
//!
//! One fixed shape, `2026-05-02T07:41:08.123Z`, so that PowerShell 5.1's
//! `[datetime]::Parse` and PowerShell 7's `ConvertFrom-Json` read the same
//! text the same way, and so that reports sort as strings.

use std::borrow::Cow;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// A point in time, always serialized in UTC with millisecond precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime(pub OffsetDateTime);

impl UtcTime {
    /// The current time.
    pub fn now() -> Self {
        UtcTime(OffsetDateTime::now_utc())
    }

    /// Formats as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub fn to_iso8601(&self) -> String {
        let fmt = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        self.0
            .to_offset(UtcOffset::UTC)
            .format(&fmt)
            // Only years outside 0..=9999 fail to format; clamp rather than
            // lose the whole report.
            .unwrap_or_else(|_| "9999-12-31T23:59:59.999Z".to_owned())
    }

    /// Parses any RFC 3339 timestamp (any offset) into UTC.
    pub fn parse(text: &str) -> Result<Self, time::error::Parse> {
        OffsetDateTime::parse(text, &Rfc3339).map(|t| UtcTime(t.to_offset(UtcOffset::UTC)))
    }
}

impl From<OffsetDateTime> for UtcTime {
    fn from(t: OffsetDateTime) -> Self {
        UtcTime(t.to_offset(UtcOffset::UTC))
    }
}

impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso8601())
    }
}

impl Serialize for UtcTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_iso8601())
    }
}

impl<'de> Deserialize<'de> for UtcTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(d)?;
        UtcTime::parse(&text).map_err(|e| {
            serde::de::Error::custom(format!(
                "expected an RFC 3339 timestamp such as 2026-05-02T07:41:08Z: {e}"
            ))
        })
    }
}

impl JsonSchema for UtcTime {
    fn schema_name() -> Cow<'static, str> {
        "UtcTime".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date-time",
            "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$",
            "description": "ISO-8601 UTC time with milliseconds, e.g. 2026-05-02T07:41:08.123Z"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_utc_with_millis() {
        let t = UtcTime::from(datetime!(2026-05-02 09:41:08.1239 +02:00));
        assert_eq!(t.to_iso8601(), "2026-05-02T07:41:08.123Z");
    }

    #[test]
    fn parses_offsets_into_utc() {
        let t = UtcTime::parse("2026-05-02T09:41:08+02:00").unwrap();
        assert_eq!(t.to_string(), "2026-05-02T07:41:08.000Z");
    }

    #[test]
    fn round_trips_through_json() {
        let t = UtcTime::parse("2026-05-02T07:41:08.5Z").unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2026-05-02T07:41:08.500Z\"");
        assert_eq!(serde_json::from_str::<UtcTime>(&json).unwrap(), t);
    }

    #[test]
    fn rejects_local_times() {
        assert!(serde_json::from_str::<UtcTime>("\"2026-05-02 07:41:08\"").is_err());
    }
}
