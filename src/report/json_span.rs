//! Where a value lies in JSON text, so a part of a report can be handed on
//! byte for byte. Re-encoding a parsed report would change it (number
//! forms, key order, and PowerShell 7's `ConvertFrom-Json` turns time
//! strings into local dates).

use std::ops::Range;

/// The byte range of the value at `path` (object keys, outermost first) in
/// `text`, `None` when a key on the way is missing or not an object. `text`
/// must be valid JSON (checked by the caller with serde_json, which also
/// bounds the nesting this walk recurses through).
pub(crate) fn value_span(text: &str, path: &[&str]) -> Option<Range<usize>> {
    let mut walk = Walk {
        bytes: text.as_bytes(),
        at: 0,
    };
    walk.ws();
    for key in path {
        walk.enter_key(key)?;
    }
    let start = walk.at;
    walk.skip_value()?;
    Some(start..walk.at)
}

struct Walk<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Walk<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.ws();
        (self.peek()? == b).then(|| self.at += 1)
    }

    /// Moves to the start of the value of `key` in the object at the
    /// cursor.
    fn enter_key(&mut self, key: &str) -> Option<()> {
        self.eat(b'{')?;
        loop {
            self.ws();
            if self.peek()? == b'}' {
                return None;
            }
            let raw = self.string()?;
            self.eat(b':')?;
            self.ws();
            if key_is(raw, key) {
                return Some(());
            }
            self.skip_value()?;
            self.ws();
            if self.peek()? == b',' {
                self.at += 1;
            }
        }
    }

    /// Skips a string; returns it with its quotes.
    fn string(&mut self) -> Option<&'a str> {
        let start = self.at;
        if self.peek()? != b'"' {
            return None;
        }
        self.at += 1;
        loop {
            match self.peek()? {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    // Quotes are ASCII, so both ends are char boundaries.
                    let bytes: &'a [u8] = self.bytes;
                    return std::str::from_utf8(&bytes[start..self.at]).ok();
                }
                _ => self.at += 1,
            }
        }
    }

    fn skip_value(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.at += 1;
                loop {
                    self.ws();
                    match self.peek()? {
                        b if b == close => {
                            self.at += 1;
                            return Some(());
                        }
                        b',' | b':' => self.at += 1,
                        _ => self.skip_value()?,
                    }
                }
            }
            _ => {
                let start = self.at;
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.at += 1;
                }
                (self.at > start).then_some(())
            }
        }
    }
}

/// Whether a JSON string (with quotes) is `key`; escapes are decoded only
/// when there are any.
fn key_is(raw: &str, key: &str) -> bool {
    let inner = &raw[1..raw.len() - 1];
    if inner.contains('\\') {
        serde_json::from_str::<String>(raw).is_ok_and(|k| k == key)
    } else {
        inner == key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'a>(text: &'a str, path: &[&str]) -> Option<&'a str> {
        value_span(text, path).map(|r| &text[r])
    }

    #[test]
    fn finds_nested_values_verbatim() {
        let text = r#" { "a" : 1.50e3, "s": "x}\"{", "b": {"c": [1, {"d": "}"}], "e" : { "f":"2026-05-01T08:00:00Z" } } } "#;
        assert_eq!(at(text, &["a"]), Some("1.50e3"));
        assert_eq!(at(text, &["s"]), Some(r#""x}\"{""#));
        assert_eq!(at(text, &["b", "c"]), Some(r#"[1, {"d": "}"}]"#));
        assert_eq!(
            at(text, &["b", "e"]),
            Some(r#"{ "f":"2026-05-01T08:00:00Z" }"#)
        );
        assert_eq!(at(text, &[]), Some(text.trim()));
    }

    #[test]
    fn missing_keys_and_non_objects_are_none() {
        let text = r#"{"a": {"b": null}, "l": [1], "n": 3}"#;
        assert_eq!(at(text, &["x"]), None);
        assert_eq!(at(text, &["a", "c"]), None);
        assert_eq!(at(text, &["a", "b"]), Some("null"));
        assert_eq!(at(text, &["l", "0"]), None);
        assert_eq!(at(text, &["n", "x"]), None);
        assert_eq!(at("[]", &["a"]), None);
    }

    #[test]
    fn escaped_keys_are_compared_decoded() {
        let text = r#"{"d\u0061ta": "yes", "é": 2}"#;
        assert_eq!(at(text, &["data"]), Some(r#""yes""#));
        assert_eq!(at(text, &["é"]), Some("2"));
    }
}
