//! The error codes the Nymi and Evidian logs return, with their names.
//!
//! Only codes named in the domain brief (section 3) are listed. Evidian
//! framework codes (`0x8101xxxx`) beyond the two documented ones are left
//! to the Evidian *Errors and Events* application, which decodes them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One known error code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorCodeInfo {
    /// The code as logged, lower-case hex with `0x` (`0x8101201c`).
    pub code: String,
    /// Symbolic name, where one is documented.
    pub name: Option<String>,
    /// What it means for certificate retrieval or band taps.
    pub meaning: String,
    /// Where the name and meaning come from.
    pub source: String,
}

/// An error code seen in the scanned logs, decoded where known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorCodeSeen {
    /// The code, lower-case hex with `0x`.
    pub code: String,
    /// How many records in the time window returned it.
    pub count: u64,
    /// Whether the built-in table knows it.
    pub known: bool,
    /// Symbolic name, where one is documented.
    pub name: Option<String>,
    /// Meaning from the table, or how to decode an unknown code.
    pub meaning: String,
}

/// (code, name, meaning, source)
const TABLE: &[(u32, Option<&str>, &str, &str)] = &[
    (
        0x8101_201c,
        Some("FMK_E_SECURITY_CERTIFICATECHAINNOTTRUSTED"),
        "the NEA certificate chain cannot be validated, so no band is usable; the terminal \
         usually holds only its 8 local NEA certificates because the NES ones were not retrieved",
        "Evidian Errors and Events",
    ),
    (
        0x8101_0009,
        None,
        "\"Object not found\" shown to the user: ValidateProvisions or \
         ConnectUserWearableDevice failed; look at the lines before it",
        "Nymi article \"Object not found\"",
    ),
    (
        0x8007_2ee2,
        Some("ERROR_WINHTTP_TIMEOUT"),
        "WinHTTP request timed out (firewall silently dropping, routing)",
        "WinHTTP error messages",
    ),
    (
        0x8007_2ee7,
        Some("ERROR_WINHTTP_NAME_NOT_RESOLVED"),
        "DNS could not resolve the server name",
        "WinHTTP error messages",
    ),
    (
        0x8007_2efd,
        Some("ERROR_WINHTTP_CANNOT_CONNECT"),
        "TCP connection refused or unreachable",
        "WinHTTP error messages",
    ),
    (
        0x8007_2efe,
        Some("ERROR_WINHTTP_CONNECTION_ERROR"),
        "connection reset (firewall RST, TLS reset)",
        "WinHTTP error messages",
    ),
    (
        0x8007_2f8f,
        Some("ERROR_WINHTTP_SECURE_FAILURE"),
        "TLS validation of the server certificate failed",
        "WinHTTP error messages",
    ),
    (
        0x8007_2f89,
        Some("ERROR_WINHTTP_SECURE_INVALID_CERT"),
        "the server certificate is invalid",
        "WinHTTP error messages",
    ),
    (
        0x8007_2f05,
        Some("ERROR_WINHTTP_SECURE_CERT_DATE_INVALID"),
        "the server certificate is expired or not yet valid",
        "WinHTTP error messages",
    ),
    (
        0x8007_2f06,
        Some("ERROR_WINHTTP_SECURE_CERT_CN_INVALID"),
        "the server certificate name does not match the URL",
        "WinHTTP error messages",
    ),
    (
        0x8007_2f0d,
        Some("ERROR_WINHTTP_SECURE_INVALID_CA"),
        "the server certificate chains to an untrusted root",
        "WinHTTP error messages",
    ),
    (
        0x8007_2f19,
        Some("ERROR_WINHTTP_SECURE_CERT_REV_FAILED"),
        "revocation of the server certificate could not be checked",
        "WinHTTP error messages",
    ),
    (
        0x800b_0109,
        Some("CERT_E_UNTRUSTEDROOT"),
        "the chain ends in a root the terminal does not trust",
        "Windows certificate errors",
    ),
    (
        0x800b_0101,
        Some("CERT_E_EXPIRED"),
        "a certificate in the chain has expired",
        "Windows certificate errors",
    ),
    (
        0x800b_010f,
        Some("CERT_E_CN_NO_MATCH"),
        "the certificate name does not match the host",
        "Windows certificate errors",
    ),
    (
        0x8009_2013,
        Some("CRYPT_E_REVOCATION_OFFLINE"),
        "the revocation server (CRL/OCSP) could not be reached",
        "Windows certificate errors",
    ),
    (
        0x8009_030e,
        Some("SEC_E_NO_CREDENTIALS"),
        "no credentials for the security package (IIS logs it as win32 status 2148074254 \
         with 401.1: Kerberos/Negotiate logon failed)",
        "Microsoft: troubleshooting HTTP 401 errors in IIS",
    ),
];

/// What the built-in table says about codes it does not know.
const EVIDIAN_HINT: &str = "Evidian framework code not in the built-in table: decode it with \
                            the Evidian Errors and Events application";
const OTHER_HINT: &str = "not in the built-in table";

/// The whole table, for rule listings.
pub(crate) fn table() -> Vec<ErrorCodeInfo> {
    TABLE
        .iter()
        .map(|(code, name, meaning, source)| ErrorCodeInfo {
            code: format!("{code:#010x}"),
            name: name.map(str::to_owned),
            meaning: (*meaning).to_owned(),
            source: (*source).to_owned(),
        })
        .collect()
}

/// Parses `0x8101201c` (any case) or a decimal such as IIS's `2148074254`.
pub(crate) fn parse_code(text: &str) -> Option<u32> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

/// Decodes one code seen `count` times.
pub(crate) fn decode(code: u32, count: u64) -> ErrorCodeSeen {
    let known = TABLE.iter().find(|(c, ..)| *c == code);
    let (name, meaning) = match known {
        Some((_, name, meaning, _)) => (name.map(str::to_owned), (*meaning).to_owned()),
        None if code & 0xffff_0000 == 0x8101_0000 => (None, EVIDIAN_HINT.to_owned()),
        None => (None, OTHER_HINT.to_owned()),
    };
    ErrorCodeSeen {
        code: format!("{code:#010x}"),
        count,
        known: known.is_some(),
        name,
        meaning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_known_and_unknown_codes() {
        let c = decode(parse_code("0x8101201C").unwrap(), 2);
        assert_eq!(c.code, "0x8101201c");
        assert_eq!(
            c.name.as_deref(),
            Some("FMK_E_SECURITY_CERTIFICATECHAINNOTTRUSTED")
        );
        assert!(c.known);

        let object_not_found = decode(0x8101_0009, 1);
        assert!(object_not_found.known);
        assert!(object_not_found.meaning.contains("Object not found"));

        let evidian = decode(0x8101_0abc, 1);
        assert!(!evidian.known);
        assert!(evidian.meaning.contains("Evidian Errors and Events"));

        let other = decode(0x8000_4005, 1);
        assert_eq!(other.meaning, OTHER_HINT);
    }

    #[test]
    fn every_spelling_of_a_code_decodes_alike() {
        for info in table() {
            let hex = &info.code[2..];
            for spelling in [
                format!("0x{hex}"),
                format!("0X{hex}"),
                format!("0x{}", hex.to_ascii_uppercase()),
                format!("0X{}", hex.to_ascii_uppercase()),
                format!(" 0X{} ", hex.to_ascii_uppercase()),
            ] {
                let seen = decode(parse_code(&spelling).unwrap(), 1);
                assert_eq!(seen.code, info.code, "{spelling}");
                assert!(seen.known, "{spelling}");
                assert_eq!(seen.name, info.name, "{spelling}");
            }
        }
    }

    #[test]
    fn reads_decimal_win32_statuses() {
        assert_eq!(parse_code("2148074254"), Some(0x8009_030e));
        assert_eq!(parse_code("0xzz"), None);
    }

    #[test]
    fn table_codes_are_unique_and_formatted() {
        let t = table();
        let mut codes: Vec<_> = t.iter().map(|c| c.code.clone()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), t.len());
        assert!(
            t.iter()
                .all(|c| c.code.len() == 10 && c.code.starts_with("0x"))
        );
    }
}
