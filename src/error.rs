//! Errors for requests the library could not carry out at all.
//!
//! A broken terminal is not an error: it is a report with findings. These
//! variants cover the caller's mistakes (a malformed request) and the
//! library's own failures, and each maps to one stable C ABI status.

/// A request the library could not carry out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request bytes are not valid UTF-8.
    #[error("request is not valid UTF-8 (invalid byte at offset {offset})")]
    RequestNotUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// The request is not syntactically valid JSON.
    #[error("request is not valid JSON: {0}")]
    RequestNotJson(String),
    /// The request is JSON but does not match the capability's request shape
    /// (unknown field, wrong type, value out of range).
    #[error("request is invalid at `{path}`: {message}")]
    RequestInvalid {
        /// JSON path of the offending value (`.` for the document itself).
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// An I/O failure that stopped the whole capability (per-file problems
    /// are findings instead).
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A bug in the library.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Parses a JSON request, telling syntax errors (`RequestNotJson`) apart
    /// from shape errors (`RequestInvalid`, with the path of the bad value).
    pub fn parse_request<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
        // Syntax first, so that a truncated document is reported as such and
        // not as a missing field.
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| Error::RequestNotJson(e.to_string()))?;
        // serde would also accept a struct written as an array; requests are
        // always objects.
        if !value.is_object() {
            return Err(Error::RequestInvalid {
                path: ".".to_owned(),
                message: "the request must be a JSON object".to_owned(),
            });
        }
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            Error::RequestInvalid {
                path,
                message: e.into_inner().to_string(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Req {
        a: Option<u32>,
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        b: u8,
    }

    #[test]
    fn syntax_error_is_not_json() {
        let e = Error::parse_request::<Req>("{\"a\": 1").unwrap_err();
        assert!(matches!(e, Error::RequestNotJson(_)), "{e:?}");
    }

    #[test]
    fn shape_error_names_the_path() {
        let e = Error::parse_request::<Req>(r#"{"inner": {"b": 300}}"#).unwrap_err();
        match e {
            Error::RequestInvalid { path, .. } => assert_eq!(path, "inner.b"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn arrays_are_not_requests() {
        let e = Error::parse_request::<Req>("[]").unwrap_err();
        assert!(matches!(e, Error::RequestInvalid { .. }), "{e:?}");
    }

    #[test]
    fn unknown_field_is_invalid() {
        let e = Error::parse_request::<Req>(r#"{"typo": 1}"#).unwrap_err();
        assert!(e.to_string().contains("typo"), "{e}");
    }
}
