//! Distinguished names as RFC 4514 strings.
//!
//! x509-parser's `Display` keeps the encoded order (`CN=a, O=b` becomes
//! `O=b, CN=a` for most certificates) and does not escape. Windows and
//! OpenSSL's `-nameopt RFC2253` print the RFC 4514 form: last RDN first,
//! `+` inside a multi-valued RDN (its values also in reverse encoded order,
//! as OpenSSL prints them), special characters escaped. Types outside
//! the RFC 4514/4519 short-name table are written as a dotted OID with the
//! value's DER in `#`-hex, as RFC 4514 section 2.4 asks.

use x509_parser::asn1_rs::{Any, Class, Tag};
use x509_parser::x509::X509Name;

use super::limits::{MAX_TEXT_CHARS, clip};
use super::model::NameInfo;

/// Short names: RFC 4514 section 3, a few RFC 4519 names, and
/// `emailAddress` (PKCS#9), which Windows and OpenSSL both print by name.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("2.5.4.3", "CN"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.6", "C"),
    ("2.5.4.9", "STREET"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("0.9.2342.19200300.100.1.1", "UID"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.4", "SN"),
    ("2.5.4.42", "GN"),
    ("2.5.4.12", "title"),
    ("1.2.840.113549.1.9.1", "emailAddress"),
];

const CN_OID: &str = "2.5.4.3";

/// The RFC 4514 string and first CN of a name, both clipped, and the full
/// string lower-cased for matching names.
pub(crate) fn name_info(name: &X509Name<'_>) -> (NameInfo, String) {
    let cn = name.iter_attributes().find_map(|a| {
        (a.attr_type().to_id_string() == CN_OID)
            .then(|| value_text(a.attr_value()))
            .flatten()
            .map(|s| clip(&s, MAX_TEXT_CHARS))
    });
    let full = rfc4514(name);
    let info = NameInfo {
        rfc4514: clip(&full, MAX_TEXT_CHARS),
        cn,
    };
    (info, full.to_lowercase())
}

/// The full RFC 4514 string (not clipped).
pub(crate) fn rfc4514(name: &X509Name<'_>) -> String {
    let rdns: Vec<_> = name.iter_rdn().collect();
    let mut out = String::new();
    for (i, rdn) in rdns.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // RFC 4514 allows any order inside a multi-valued RDN; reversing it
        // too matches OpenSSL's RFC2253 output (the cross-check test).
        let attrs: Vec<_> = rdn.iter().collect();
        for (j, attr) in attrs.iter().rev().enumerate() {
            if j > 0 {
                out.push('+');
            }
            let oid = attr.attr_type().to_id_string();
            match SHORT_NAMES.iter().find(|(o, _)| *o == oid) {
                Some((_, short)) => {
                    out.push_str(short);
                    out.push('=');
                    match value_text(attr.attr_value()) {
                        Some(text) => escape_into(&text, &mut out),
                        None => hex_value_into(attr.attr_value(), &mut out),
                    }
                }
                None => {
                    out.push_str(&oid);
                    out.push('=');
                    hex_value_into(attr.attr_value(), &mut out);
                }
            }
        }
    }
    out
}

/// Text of a string-typed attribute value, or `None` for other types.
fn value_text(any: &Any<'_>) -> Option<String> {
    if any.class() != Class::Universal {
        return None;
    }
    let data = any.data;
    match any.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString => std::str::from_utf8(data).ok().map(str::to_owned),
        // T.61 in practice holds Latin-1 (or, wrongly, UTF-8).
        Tag::T61String => Some(
            std::str::from_utf8(data)
                .map(str::to_owned)
                .unwrap_or_else(|_| data.iter().map(|&b| char::from(b)).collect()),
        ),
        Tag::BmpString => {
            if !data.len().is_multiple_of(2) {
                return None;
            }
            let units = data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        Tag::UniversalString => {
            if !data.len().is_multiple_of(4) {
                return None;
            }
            data.chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }
        _ => None,
    }
}

/// RFC 4514 section 2.4 escaping.
fn escape_into(text: &str, out: &mut String) {
    let last = text.chars().count().saturating_sub(1);
    for (i, c) in text.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '\0' => out.push_str("\\00"),
            // Control characters would break a one-line display.
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
}

/// `#` followed by the hex of the value's DER encoding.
fn hex_value_into(any: &Any<'_>, out: &mut String) {
    out.push('#');
    let tag = any.tag().0;
    let class = any.class() as u8;
    let constructed = if any.header.is_constructed() { 0x20 } else { 0 };
    if tag < 31 {
        // Low tag numbers fit the identifier octet.
        out.push_str(&format!("{:02X}", (class << 6) | constructed | tag as u8));
        let len = any.data.len();
        if len < 0x80 {
            out.push_str(&format!("{len:02X}"));
        } else {
            let bytes = len.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            out.push_str(&format!("{:02X}", 0x80 | (bytes.len() - skip)));
            out.push_str(&hex::encode_upper(&bytes[skip..]));
        }
    }
    out.push_str(&hex::encode_upper(any.data));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(s: &str) -> String {
        let mut out = String::new();
        escape_into(s, &mut out);
        out
    }

    #[test]
    fn escapes_rfc4514_specials() {
        assert_eq!(escaped("a,b+c"), "a\\,b\\+c");
        assert_eq!(escaped("#lead"), "\\#lead");
        assert_eq!(escaped(" pad "), "\\ pad\\ ");
        assert_eq!(escaped("in#side"), "in#side");
        assert_eq!(escaped("Jürgen 証明書"), "Jürgen 証明書");
        assert_eq!(escaped("a\nb"), "a\\0Ab");
    }
}
