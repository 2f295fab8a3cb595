//! A small RFC 4180 reader: the header line tells the delimiter (`,`,
//! `;` or tab, whichever occurs most outside quotes), quoted fields may
//! hold delimiters, doubled quotes and line breaks, and lines end with
//! CRLF or LF. Lenient where exports are sloppy: a quote inside an
//! unquoted field is text, text after a closing quote is kept, a quote
//! left open runs to the end of the text (and says so).

/// One record: its fields and the line it starts on (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    /// The record's fields, unquoted.
    pub(crate) fields: Vec<String>,
    /// The line of the text the record starts on, 1 for the header.
    pub(crate) line: u64,
}

/// The records of a table, header first, or why they could not be read.
#[derive(Debug)]
pub(crate) struct Table {
    /// Every non-empty record, the header first.
    pub(crate) records: Vec<Record>,
    /// The line of a quoted field left open at the end, if any.
    pub(crate) unclosed_quote_line: Option<u64>,
}

/// More records than `max_records`: the table is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TooManyRecords {
    /// The cap.
    pub(crate) max: usize,
}

/// The delimiter of a table: the one of `,`, `;` and tab that occurs
/// most often outside quotes on the first line; `,` on a tie or when
/// none occurs (a one-column table).
pub(crate) fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let mut best = (b',', counts[0]);
    for (delimiter, count) in [(b';', counts[1]), (b'\t', counts[2])] {
        if count > best.1 {
            best = (delimiter, count);
        }
    }
    best.0
}

/// Reads every record of `text`; records whose fields are all empty
/// (blank lines) are left out. At most `max_records` records, header
/// included.
pub(crate) fn read_table(text: &str, max_records: usize) -> Result<Table, TooManyRecords> {
    let delimiter = sniff_delimiter(text);
    let bytes = text.as_bytes();
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line: u64 = 1;
    let mut record_line: u64 = 1;
    let mut unclosed_quote_line = None;
    let mut i = 0;
    // Whether the next byte starts a field (only there does a quote open
    // a quoted field). Fields are copied in slices, not byte by byte.
    let mut at_field_start = true;
    let mut push_record = |fields: &mut Vec<String>, record_line: u64| {
        if fields.iter().any(|f| !f.is_empty()) {
            if records.len() >= max_records {
                return Err(TooManyRecords { max: max_records });
            }
            records.push(Record {
                fields: std::mem::take(fields),
                line: record_line,
            });
        } else {
            fields.clear();
        }
        Ok(())
    };
    while i < bytes.len() {
        if at_field_start && bytes[i] == b'"' {
            // A quoted field: up to the closing quote, `""` is one quote.
            let open_line = line;
            i += 1;
            let mut start = i;
            let mut closed = false;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' if bytes.get(i + 1) == Some(&b'"') => {
                        field.push_str(&text[start..=i]);
                        i += 2;
                        start = i;
                    }
                    b'"' => {
                        field.push_str(&text[start..i]);
                        i += 1;
                        closed = true;
                        break;
                    }
                    b'\n' => {
                        line += 1;
                        i += 1;
                    }
                    _ => i += 1,
                }
            }
            if !closed {
                field.push_str(&text[start..i]);
                unclosed_quote_line = Some(open_line);
            }
            at_field_start = false;
            continue;
        }
        // Plain text up to the next delimiter or line end.
        let start = i;
        while i < bytes.len() && bytes[i] != delimiter && bytes[i] != b'\n' {
            i += 1;
        }
        let mut end = i;
        if i < bytes.len() && bytes[i] == b'\n' && end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        field.push_str(&text[start..end]);
        if i >= bytes.len() {
            break;
        }
        if bytes[i] == delimiter {
            fields.push(std::mem::take(&mut field));
            at_field_start = true;
            i += 1;
        } else {
            fields.push(std::mem::take(&mut field));
            push_record(&mut fields, record_line)?;
            line += 1;
            record_line = line;
            at_field_start = true;
            i += 1;
        }
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        push_record(&mut fields, record_line)?;
    }
    Ok(Table {
        records,
        unclosed_quote_line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        read_table(text, 1000)
            .unwrap()
            .records
            .into_iter()
            .map(|r| r.fields)
            .collect()
    }

    #[test]
    fn the_header_tells_the_delimiter() {
        assert_eq!(sniff_delimiter("a,b,c\n1;2;3;4;5"), b',');
        assert_eq!(sniff_delimiter("a;b;c\n"), b';');
        assert_eq!(sniff_delimiter("a\tb\n"), b'\t');
        // Inside quotes they do not count.
        assert_eq!(sniff_delimiter("\"a;b;c\",d\n"), b',');
        assert_eq!(sniff_delimiter("single\n"), b',');
        assert_eq!(sniff_delimiter(""), b',');
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        let text = "Name,Output\r\n\"PC, 1\",\"say \"\"hi\"\"\"\r\n\"multi\r\nline\",x\r\n";
        assert_eq!(
            rows(text),
            [
                vec!["Name", "Output"],
                vec!["PC, 1", "say \"hi\""],
                vec!["multi\r\nline", "x"]
            ]
        );
        let table = read_table(text, 10).unwrap();
        assert_eq!(
            table.records.iter().map(|r| r.line).collect::<Vec<_>>(),
            [1, 2, 3]
        );
    }

    #[test]
    fn sloppy_exports_still_read() {
        // A quote inside a plain field is text; text after a closing quote is kept.
        assert_eq!(
            rows("a,b\nx\"y,\"q\"z\n"),
            [vec!["a", "b"], vec!["x\"y", "qz"]]
        );
        // No line end at the end; blank lines are skipped; empty fields kept.
        assert_eq!(
            rows("a,b\n\n,2\n\r\n3,"),
            [vec!["a", "b"], vec!["", "2"], vec!["3", ""]]
        );
        // Short and long rows are kept as they are.
        assert_eq!(
            rows("a,b\n1\n1,2,3"),
            [vec!["a", "b"], vec!["1"], vec!["1", "2", "3"]]
        );
        // A quote left open runs to the end and is reported.
        let table = read_table("a,b\n1,\"open\n2,3\n", 10).unwrap();
        assert_eq!(table.unclosed_quote_line, Some(2));
        assert_eq!(table.records[1].fields, ["1", "open\n2,3\n"]);
        // A quoted field then CRLF.
        assert_eq!(rows("\"a\"\r\n\"b\"\r\n"), [vec!["a"], vec!["b"]]);
        assert!(rows("").is_empty());
    }

    #[test]
    fn the_record_cap_holds() {
        assert_eq!(
            read_table("a\n1\n2\n3\n", 3).unwrap_err(),
            TooManyRecords { max: 3 }
        );
        assert_eq!(read_table("a\n1\n2\n", 3).unwrap().records.len(), 3);
    }
}
