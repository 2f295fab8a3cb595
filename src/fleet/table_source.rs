//! The `csv` source: a CSV file, or a zip holding one (the export report
//! Graph hands out), read into source rows. Bounded: the file, the zip
//! and the decompressed text each have a cap, so a zip bomb or a wrong
//! file stops with a clear error instead of filling memory.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use super::columns::table_rows;
use super::csv::read_table;
use super::source_row::SourceRow;
use super::text_decode::{TextEncoding, decode};
use crate::fsutil::{ReadError, open_regular, read_capped};

/// Largest CSV read, in bytes (also the cap on a zip entry once
/// decompressed): 10,000 devices take about 3 MB.
pub(crate) const MAX_TABLE_BYTES: u64 = 256 * 1024 * 1024;
/// Largest zip file opened.
const MAX_ZIP_BYTES: u64 = 256 * 1024 * 1024;
/// Zip entries looked at for the CSV.
const MAX_ZIP_ENTRIES: usize = 10_000;

/// What a table source gave.
#[derive(Debug, Default)]
pub(crate) struct TableRead {
    /// One source row per data record.
    pub(crate) rows: Vec<SourceRow>,
    /// Role to header name (`device_name` -> `DeviceName`).
    pub(crate) columns: BTreeMap<String, String>,
    /// Soft problems.
    pub(crate) warnings: Vec<String>,
}

/// Reads the CSV at `path`, or the first CSV of the zip at `path`, with at
/// most `max_rows` data rows. The error is a sentence for the caller.
pub(crate) fn read_table_source(path: &Path, max_rows: usize) -> Result<TableRead, String> {
    let shown = path.display().to_string();
    let is_zip = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    let (bytes, name) = if is_zip {
        let (bytes, entry) = read_zip_csv(path, MAX_TABLE_BYTES)?;
        (bytes, format!("{shown}!{entry}"))
    } else {
        let bytes = read_capped(path, MAX_TABLE_BYTES).map_err(|e| read_problem(&shown, &e))?;
        (bytes, shown.clone())
    };
    if !is_zip && bytes.starts_with(b"PK\x03\x04") {
        return Err(format!(
            "'{shown}' is a zip archive; name it .zip (the export report as Graph gives it) to read the CSV inside"
        ));
    }
    let (text, encoding) = decode(&bytes);
    // Header included.
    let table = read_table(&text, max_rows.saturating_add(1)).map_err(|e| {
        format!(
            "'{name}' has more than {} rows, the most one report reads",
            e.max - 1
        )
    })?;
    let mut read = table_rows(&table, &name).map_err(|e| format!("'{name}': {e}"))?;
    if encoding == TextEncoding::Windows1252 {
        read.warnings.push(format!(
            "'{name}' is not UTF-8; it was read as {}",
            encoding.name()
        ));
    }
    Ok(read)
}

fn read_problem(shown: &str, e: &ReadError) -> String {
    format!("'{shown}' cannot be read: {e}")
}

/// The bytes of the first `.csv` entry of the zip at `path` (at most
/// `max_bytes` once decompressed), and its name.
fn read_zip_csv(path: &Path, max_bytes: u64) -> Result<(Vec<u8>, String), String> {
    let shown = path.display().to_string();
    let file = open_regular(path).map_err(|e| read_problem(&shown, &ReadError::from(e)))?;
    let len = file
        .metadata()
        .map_err(|e| format!("'{shown}' cannot be read: {e}"))?
        .len();
    if len > MAX_ZIP_BYTES {
        return Err(format!(
            "'{shown}' is {len} bytes, more than the {MAX_ZIP_BYTES}-byte cap on a zip"
        ));
    }
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| format!("'{shown}' is not a readable zip archive: {e}"))?;
    let mut json_entry = None;
    let mut names = Vec::new();
    for index in 0..archive.len().min(MAX_ZIP_ENTRIES) {
        let entry = archive
            .by_index(index)
            .map_err(|e| format!("'{shown}': entry {index} cannot be read: {e}"))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("entry {index}"));
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            let mut bytes = Vec::new();
            // Decompressed size is what the entry claims, which a bomb
            // lies about: the cap is on what is read.
            entry
                .take(max_bytes.saturating_add(1))
                .read_to_end(&mut bytes)
                .map_err(|e| format!("'{shown}!{name}' cannot be decompressed: {e}"))?;
            if bytes.len() as u64 > max_bytes {
                return Err(format!(
                    "'{shown}!{name}' decompresses to more than the {max_bytes}-byte cap"
                ));
            }
            return Ok((bytes, name));
        }
        if lower.ends_with(".json") && json_entry.is_none() {
            json_entry = Some(name.clone());
        }
        if names.len() < 10 {
            names.push(format!("'{}'", crate::report::safe_text(&name, 80)));
        }
    }
    if let Some(name) = json_entry {
        return Err(format!(
            "'{shown}' holds '{name}', an export in JSON format, which is not read: export the report with format csv"
        ));
    }
    let names = if names.is_empty() {
        "no files".to_owned()
    } else {
        names.join(", ")
    };
    Err(format!("'{shown}' holds no .csv file (it holds {names})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(path: &Path, entries: &[(&str, &[u8])]) {
        let file = std::fs::File::create(path).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            zip.start_file(*name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    }

    #[test]
    fn a_zip_bomb_stops_at_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.zip");
        // 4 MB of one byte compresses to a few kilobytes.
        let big = vec![b'a'; 4 * 1024 * 1024];
        zip_of(&path, &[("x.csv", &big)]);
        assert!(std::fs::metadata(&path).unwrap().len() < 64 * 1024);
        let e = read_zip_csv(&path, 1024 * 1024).unwrap_err();
        assert!(
            e.contains("decompresses to more than the 1048576-byte cap"),
            "{e}"
        );
        let (bytes, name) = read_zip_csv(&path, 8 * 1024 * 1024).unwrap();
        assert_eq!((bytes.len(), name.as_str()), (big.len(), "x.csv"));
    }

    #[test]
    fn the_first_csv_entry_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.zip");
        zip_of(
            &path,
            &[
                ("readme.txt", b"x"),
                ("a/First.CSV", b"1"),
                ("second.csv", b"2"),
            ],
        );
        let (bytes, name) = read_zip_csv(&path, 1024).unwrap();
        assert_eq!((bytes, name.as_str()), (b"1".to_vec(), "a/First.CSV"));
    }
}
