//! Rows that cross the C boundary by the thousand, as one text table.
//!
//! A report's rows are normally JSON objects, but `ConvertFrom-Json` of
//! 10,000 objects costs PowerShell more than `Import-Csv` of the same rows,
//! and the fleet roll-up must stay within a few times that. So capabilities
//! that return many flat rows put them in one string field: the first line
//! holds the column names, each next line one row, fields separated by a
//! TAB. The module's C# shim (`NymiDiag.Native.TextTable`) reads it back in
//! one pass.
//!
//! Escapes inside a field: `\\` for a backslash, `\t`, `\n`, `\r` for those
//! characters, and `\e` for an empty string; an empty field is a null.

/// A text table being written.
#[derive(Clone, Debug)]
pub struct TextTable {
    columns: usize,
    text: String,
}

impl TextTable {
    /// A table with these column names (plain words: no TAB or line end).
    pub fn new(columns: &[&str]) -> Self {
        let mut table = TextTable {
            columns: columns.len(),
            text: String::new(),
        };
        table.line(columns.iter().map(|c| Some(*c)));
        table
    }

    /// Appends one row, one value per column (`None` for null); missing
    /// values at the end are nulls, extra ones are an error of the caller.
    pub fn push(&mut self, row: &[Option<&str>]) {
        debug_assert!(row.len() <= self.columns, "more values than columns");
        let padding = self.columns.saturating_sub(row.len());
        self.line(
            row.iter()
                .take(self.columns)
                .copied()
                .chain(std::iter::repeat_n(None, padding)),
        );
    }

    /// The table's text.
    pub fn finish(self) -> String {
        self.text
    }

    fn line<'a>(&mut self, fields: impl Iterator<Item = Option<&'a str>>) {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        for (i, field) in fields.enumerate() {
            if i > 0 {
                self.text.push('\t');
            }
            match field {
                None => {}
                Some("") => self.text.push_str("\\e"),
                Some(value) => escape_into(&mut self.text, value),
            }
        }
    }
}

fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// Reads a table back: the column names and the rows (for tests and for
/// Rust callers; the module reads it in C#).
pub fn read(text: &str) -> (Vec<String>, Vec<Vec<Option<String>>>) {
    let mut lines = text.split('\n');
    let columns = lines
        .next()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .unwrap_or_default();
    let rows = lines
        .map(|l| l.split('\t').map(unescape).collect())
        .collect();
    (columns, rows)
}

fn unescape(field: &str) -> Option<String> {
    if field.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('e') => {}
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_comes_back_as_written() {
        let values: Vec<Option<&str>> = vec![
            None,
            Some(""),
            Some("plain"),
            Some("tab\there"),
            Some("lines\r\nend\n"),
            Some("back\\slash\\t"),
            Some("\\e"),
            Some("naïve ünïcode"),
            Some("\t\t"),
        ];
        let mut table = TextTable::new(&["a", "b"]);
        for pair in values.chunks(2) {
            table.push(pair);
        }
        for first in &values {
            table.push(&[*first]);
        }
        let (columns, rows) = read(&table.finish());
        assert_eq!(columns, ["a", "b"]);
        let mut expected: Vec<Vec<Option<String>>> = values
            .chunks(2)
            .map(|p| {
                let mut row: Vec<_> = p.iter().map(|v| v.map(str::to_owned)).collect();
                row.resize(2, None);
                row
            })
            .collect();
        expected.extend(values.iter().map(|v| vec![v.map(str::to_owned), None]));
        assert_eq!(rows, expected);
    }

    #[test]
    fn a_table_without_rows_is_its_header() {
        assert_eq!(TextTable::new(&["x", "y"]).finish(), "x\ty");
        let (columns, rows) = read("x\ty");
        assert_eq!((columns.len(), rows.len()), (2, 0));
    }
}
