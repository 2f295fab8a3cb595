//! Stable status numbers of the C ABI and the error document that goes
//! with them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Error;

/// Status returned by every capability export.
///
/// Numbers are grouped by kind and never reused: 0 success, 1xx bad
/// arguments, 2xx bad requests, 3xx I/O, 9xx internal failures.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// A report was produced (it may still describe a broken terminal).
    Ok = 0,
    /// A required pointer argument was NULL.
    NullArgument = 100,
    /// An argument is out of range (for example a length over `isize::MAX`).
    InvalidArgument = 101,
    /// The request bytes are not UTF-8.
    RequestNotUtf8 = 200,
    /// The request is not valid JSON.
    RequestNotJson = 201,
    /// The request is JSON of the wrong shape (unknown field, wrong type).
    RequestInvalid = 202,
    /// An I/O failure stopped the capability.
    Io = 300,
    /// A bug in the library.
    Internal = 900,
    /// A panic inside the library, caught at the boundary.
    Panic = 901,
}

impl Status {
    /// Stable SCREAMING_SNAKE id, as written into the error document.
    pub fn id(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::NullArgument => "NULL_ARGUMENT",
            Status::InvalidArgument => "INVALID_ARGUMENT",
            Status::RequestNotUtf8 => "REQUEST_NOT_UTF8",
            Status::RequestNotJson => "REQUEST_NOT_JSON",
            Status::RequestInvalid => "REQUEST_INVALID",
            Status::Io => "IO_ERROR",
            Status::Internal => "INTERNAL_ERROR",
            Status::Panic => "PANIC",
        }
    }

    /// The status with this number, if there is one.
    pub fn from_code(code: i32) -> Option<Status> {
        [
            Status::Ok,
            Status::NullArgument,
            Status::InvalidArgument,
            Status::RequestNotUtf8,
            Status::RequestNotJson,
            Status::RequestInvalid,
            Status::Io,
            Status::Internal,
            Status::Panic,
        ]
        .into_iter()
        .find(|s| *s as i32 == code)
    }

    /// The status for a library [`Error`].
    pub fn of(error: &Error) -> Status {
        match error {
            Error::RequestNotUtf8 { .. } => Status::RequestNotUtf8,
            Error::RequestNotJson(_) => Status::RequestNotJson,
            Error::RequestInvalid { .. } => Status::RequestInvalid,
            Error::Io(_) => Status::Io,
            Error::Internal(_) => Status::Internal,
        }
    }
}

/// The document written to the out buffer when an export fails.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorDocument {
    /// Report schema version, as in a report.
    pub schema_version: u32,
    /// Library version.
    pub tool_version: String,
    /// The capability that failed.
    pub capability: String,
    /// What went wrong.
    pub error: ErrorBody,
}

/// The error itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// Stable id (`REQUEST_INVALID`).
    pub id: String,
    /// The numeric status the export returned.
    pub status: i32,
    /// A message for people.
    pub message: String,
    /// JSON path of the offending request value, for `REQUEST_INVALID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl ErrorDocument {
    /// Builds the document for `status` with `message`.
    pub fn new(capability: &str, status: Status, message: String, path: Option<String>) -> Self {
        ErrorDocument {
            schema_version: crate::SCHEMA_VERSION,
            tool_version: crate::TOOL_VERSION.to_owned(),
            capability: capability.to_owned(),
            error: ErrorBody {
                id: status.id().to_owned(),
                status: status as i32,
                message,
                path,
            },
        }
    }

    /// Builds the document for a library error.
    pub fn from_error(capability: &str, error: &Error) -> Self {
        let path = match error {
            Error::RequestInvalid { path, .. } => Some(path.clone()),
            _ => None,
        };
        Self::new(capability, Status::of(error), error.to_string(), path)
    }

    /// Serialized form. Cannot fail for this shape; a fixed fallback keeps
    /// the promise that a failing call always carries a document.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| {
            br#"{"schema_version":1,"error":{"id":"INTERNAL_ERROR","status":900,"message":"error document could not be encoded"}}"#
                .to_vec()
        })
    }
}

/// JSON Schema of the error document.
pub fn error_schema() -> schemars::Schema {
    let mut schema = schemars::schema_for!(ErrorDocument);
    schema.insert(
        "$id".into(),
        "https://nymidiag.invalid/schema/error-v1.json".into(),
    );
    schema.insert("title".into(), "nymidiag error document".into());
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_numbers_are_stable() {
        let table = [
            (Status::Ok, 0, "OK"),
            (Status::NullArgument, 100, "NULL_ARGUMENT"),
            (Status::InvalidArgument, 101, "INVALID_ARGUMENT"),
            (Status::RequestNotUtf8, 200, "REQUEST_NOT_UTF8"),
            (Status::RequestNotJson, 201, "REQUEST_NOT_JSON"),
            (Status::RequestInvalid, 202, "REQUEST_INVALID"),
            (Status::Io, 300, "IO_ERROR"),
            (Status::Internal, 900, "INTERNAL_ERROR"),
            (Status::Panic, 901, "PANIC"),
        ];
        for (status, number, id) in table {
            assert_eq!(status as i32, number);
            assert_eq!(status.id(), id);
            assert_eq!(Status::from_code(number), Some(status));
        }
    }

    #[test]
    fn request_invalid_carries_the_path() {
        let e = Error::RequestInvalid {
            path: "a.b".into(),
            message: "bad".into(),
        };
        let doc = ErrorDocument::from_error("describe", &e);
        assert_eq!(doc.error.status, 202);
        assert_eq!(doc.error.path.as_deref(), Some("a.b"));
    }
}
