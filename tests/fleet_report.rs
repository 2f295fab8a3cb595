//! The fleet report on inputs built by code: export CSVs in every
//! delimiter, encoding, header casing and column order, zips, folders of
//! JSON reports (nested, partial, of other versions), request rows, and
//! lines of version 0 and 1, truncated, empty and garbage. Each case
//! checks what a caller sees: the device rows (read back from the text
//! table), the groups and the index lists.

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use nymidiag::Error;
use nymidiag::fleet::{
    DEVICE_COLUMNS, FleetInputRow, FleetReportData, FleetReportRequest, FleetSource, fleet_report,
};
use nymidiag::time_fmt::UtcTime;

const NOW: &str = "2026-05-30T12:00:00Z";

/// A v1 line.
fn v1(
    status: &str,
    code: &str,
    nes: &str,
    stage: &str,
    expiry: &str,
    site: Option<&str>,
) -> String {
    let site = site.map(|s| format!(" site={s}")).unwrap_or_default();
    format!(
        "STATUS={status} v=1 code={code} ksp=8/20 nes={nes} stage={stage} finding=NES_DNS_FAILED confidence=high expiry={expiry}{site} logs=none"
    )
}

/// A v0 line (no `v=`, no `expiry=`), as today's terminals print.
fn v0(code: &str) -> String {
    format!(
        "STATUS=ISSUE code={code} ksp=8/20 nes=nes01.corp.example:443 stage=tcp finding=NES_TCP_REFUSED confidence=high logs=LOG_NEA_CERTS_NOT_RETRIEVED"
    )
}

/// One device row read back from the text table: column name to value
/// (`None` for null).
type Row = BTreeMap<String, Option<String>>;

/// Reads the text table back.
fn table_rows(table: &str) -> Vec<Row> {
    let (columns, rows) = nymidiag::report::table::read(table);
    assert_eq!(columns, DEVICE_COLUMNS);
    rows.into_iter()
        .map(|fields| {
            assert_eq!(fields.len(), columns.len(), "{fields:?}");
            columns.iter().cloned().zip(fields).collect()
        })
        .collect()
}

fn get<'a>(row: &'a Row, column: &str) -> Option<&'a str> {
    row.get(column)
        .unwrap_or_else(|| panic!("no column {column}"))
        .as_deref()
}

fn run(request: FleetReportRequest) -> (FleetReportData, Vec<String>, Vec<Row>) {
    let report = fleet_report(&FleetReportRequest {
        now: Some(UtcTime::parse(NOW).unwrap()),
        ..request
    })
    .unwrap();
    assert_eq!(report.capability, "fleet_report");
    let rows = table_rows(&report.data.devices);
    assert_eq!(rows.len() as u64, report.data.total);
    (report.data, report.warnings, rows)
}

fn csv_request(path: &Path) -> FleetReportRequest {
    FleetReportRequest {
        csv: Some(path.display().to_string()),
        ..FleetReportRequest::default()
    }
}

fn invalid_message(request: FleetReportRequest) -> (String, String) {
    match fleet_report(&request).unwrap_err() {
        Error::RequestInvalid { path, message } => (path, message),
        other => panic!("unexpected {other:?}"),
    }
}

// ---- CSV ------------------------------------------------------------------

/// The export report's columns, in the order Intune writes them.
const EXPORT_HEADER: [&str; 6] = [
    "DeviceName",
    "DeviceId",
    "PreRemediationDetectionScriptOutput",
    "PostRemediationDetectionScriptOutput",
    "DetectionStatus",
    "ModifiedTime",
];

/// Three devices: a DNS failure with a post-remediation line, a healthy one
/// whose name holds the delimiter and a quote, and one whose output has a
/// noise line before the status line.
fn export_records() -> Vec<[String; 6]> {
    vec![
        [
            "PC-001".into(),
            "1b7c0000-0000-0000-0000-000000000001".into(),
            v1(
                "ISSUE",
                "NEA_CERTS_NOT_RETRIEVED_DNS",
                "nes01:443",
                "dns",
                "2026-06-02",
                Some("plant1"),
            ),
            v1(
                "ISSUE",
                "NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED",
                "nes01:443",
                "tcp",
                "2026-06-02",
                Some("plant1"),
            ),
            "With issues".into(),
            "2026-05-29T08:00:00Z".into(),
        ],
        [
            "Ward \"B\", bed;3\t".into(),
            "1b7c0000-0000-0000-0000-000000000002".into(),
            v1(
                "OK",
                "HEALTHY",
                "nes01:443",
                "none",
                "2026-06-20",
                Some("plant2"),
            ),
            String::new(),
            "Without issues".into(),
            "2026-05-01 08:00:00".into(),
        ],
        [
            "PC-003".into(),
            "1b7c0000-0000-0000-0000-000000000003".into(),
            format!(
                "WARNING: noise\r\n{}",
                v1("OK", "HEALTHY", "nes02:443", "none", "2026-07-01", None)
            ),
            String::new(),
            "Without issues".into(),
            "5/29/2026 8:00:00 AM".into(),
        ],
    ]
}

/// A field quoted when it needs it (RFC 4180), or always.
fn quote(field: &str, delimiter: char, always: bool) -> String {
    if always || field.contains([delimiter, '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[derive(Clone, Copy, Debug)]
enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16LeBom,
}

#[derive(Clone, Copy, Debug)]
enum Casing {
    AsIs,
    Lower,
    Upper,
    Spaced,
}

fn encode(text: &str, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        Encoding::Utf16LeBom => {
            let mut out = vec![0xFF, 0xFE];
            for unit in text.encode_utf16() {
                out.extend_from_slice(&unit.to_le_bytes());
            }
            out
        }
    }
}

fn header_name(name: &str, casing: Casing) -> String {
    match casing {
        Casing::AsIs => name.to_owned(),
        Casing::Lower => name.to_lowercase(),
        Casing::Upper => name.to_uppercase(),
        // "Device Name", "Pre Remediation ...": spaces before capitals.
        Casing::Spaced => {
            let mut out = String::new();
            for (i, c) in name.chars().enumerate() {
                if i > 0 && c.is_uppercase() {
                    out.push(' ');
                }
                out.push(c);
            }
            out
        }
    }
}

/// An export CSV as text.
fn export_csv(
    delimiter: char,
    casing: Casing,
    order: &[usize],
    extra: bool,
    newline: &str,
    always_quote: bool,
) -> String {
    let mut header: Vec<String> = order
        .iter()
        .map(|&i| header_name(EXPORT_HEADER[i], casing))
        .collect();
    if extra {
        header.insert(1, "OSVersion".into());
        header.push("DetectionStatus_loc".into());
    }
    let line = |fields: Vec<String>| {
        fields
            .iter()
            .map(|f| quote(f, delimiter, always_quote))
            .collect::<Vec<_>>()
            .join(&delimiter.to_string())
    };
    let mut text = line(header) + newline;
    for record in export_records() {
        let mut fields: Vec<String> = order.iter().map(|&i| record[i].clone()).collect();
        if extra {
            fields.insert(1, "10.0.22631.3447".into());
            fields.push("Localised, text".into());
        }
        text.push_str(&line(fields));
        text.push_str(newline);
    }
    text
}

fn check_export(data: &FleetReportData, rows: &[Row], context: &str) {
    assert_eq!(
        (data.rows, data.total, data.duplicates),
        (3, 3, 0),
        "{context}"
    );
    assert_eq!(data.source, FleetSource::Csv);
    let by_name: BTreeMap<&str, &Row> = rows
        .iter()
        .map(|r| (get(r, "device_name").unwrap(), r))
        .collect();
    let first = by_name["PC-001"];
    // The post-remediation line wins over the pre-remediation one.
    assert_eq!(
        get(first, "code"),
        Some("NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED"),
        "{context}"
    );
    assert_eq!(get(first, "detection"), Some("With issues"));
    assert_eq!(
        get(first, "last_seen"),
        Some("2026-05-29T08:00:00.000Z"),
        "{context}"
    );
    assert_eq!(get(first, "expiry"), Some("2026-06-02"));
    assert_eq!(get(first, "expires_in_days"), Some("3"));
    assert_eq!(get(first, "source"), Some("csv"));
    assert!(
        get(first, "origin").unwrap().ends_with(":2"),
        "{context}: {:?}",
        get(first, "origin")
    );
    let ward = by_name["Ward \"B\", bed;3"];
    assert_eq!(get(ward, "code"), Some("HEALTHY"), "{context}");
    assert_eq!(get(ward, "last_seen"), Some("2026-05-01T08:00:00.000Z"));
    let third = by_name["PC-003"];
    assert_eq!(get(third, "status"), Some("OK"), "{context}");
    assert_eq!(get(third, "nes"), Some("nes02:443"));
    assert_eq!(get(third, "site"), None);
    assert_eq!(get(third, "last_seen"), Some("2026-05-29T08:00:00.000Z"));
    for row in rows {
        assert_eq!(get(row, "parse_status"), Some("ok"), "{context}: {row:?}");
    }
    // Groups: most first, then by name; (none) for no site.
    assert_eq!(data.by_verdict[0].name, "HEALTHY");
    assert_eq!(data.by_verdict[0].count, 2);
    let sites: Vec<(&str, u64)> = data
        .by_site
        .iter()
        .map(|g| (g.name.as_str(), g.count))
        .collect();
    assert_eq!(sites, [("(none)", 1), ("plant1", 1), ("plant2", 1)]);
    // Expiring within 7 days of 2026-05-30: PC-001 (2026-06-02) only;
    // stale (older than 8 days): the ward.
    let names = |indices: &[u32]| -> Vec<&str> {
        indices
            .iter()
            .map(|&i| get(&rows[i as usize], "device_name").unwrap())
            .collect()
    };
    assert_eq!(names(&data.expiring), ["PC-001"], "{context}");
    assert_eq!(names(&data.stale), ["Ward \"B\", bed;3"], "{context}");
    assert!(data.unparsed.is_empty());
}

#[test]
fn export_csv_in_every_shape_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let orders: [&[usize]; 3] = [
        &[0, 1, 2, 3, 4, 5],
        &[5, 4, 3, 2, 1, 0],
        &[2, 0, 5, 3, 1, 4],
    ];
    let mut cases = 0;
    for delimiter in [',', ';', '\t'] {
        for encoding in [Encoding::Utf8, Encoding::Utf8Bom, Encoding::Utf16LeBom] {
            for casing in [Casing::AsIs, Casing::Lower, Casing::Upper, Casing::Spaced] {
                for (o, order) in orders.iter().enumerate() {
                    for extra in [false, true] {
                        let newline = if o == 1 { "\n" } else { "\r\n" };
                        let always = extra && delimiter == ',';
                        let text = export_csv(delimiter, casing, order, extra, newline, always);
                        let path = dir.path().join(format!("export-{cases}.csv"));
                        std::fs::write(&path, encode(&text, encoding)).unwrap();
                        let context = format!(
                            "{delimiter:?} {encoding:?} {casing:?} order {o} extra {extra}"
                        );
                        let (data, warnings, rows) = run(csv_request(&path));
                        check_export(&data, &rows, &context);
                        assert!(warnings.is_empty(), "{context}: {warnings:?}");
                        assert_eq!(
                            data.columns["output"].to_lowercase().replace(' ', ""),
                            "preremediationdetectionscriptoutput"
                        );
                        cases += 1;
                    }
                }
            }
        }
    }
    assert_eq!(cases, 216);
}

#[test]
fn a_zip_export_reads_like_its_csv() {
    let dir = tempfile::tempdir().unwrap();
    let text = export_csv(',', Casing::AsIs, &[0, 1, 2, 3, 4, 5], false, "\r\n", false);
    let path = dir.path().join("DeviceRunStatesByProactiveRemediation.zip");
    let file = std::fs::File::create(&path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("DeviceRunStatesByProactiveRemediation_0f6c.csv", options)
        .unwrap();
    zip.write_all(&encode(&text, Encoding::Utf8Bom)).unwrap();
    zip.finish().unwrap();
    let (data, _, rows) = run(csv_request(&path));
    check_export(&data, &rows, "zip");
    assert!(
        get(&rows[0], "origin")
            .unwrap()
            .contains(".zip!DeviceRunStatesByProactiveRemediation_0f6c.csv:")
    );

    // A zip of the JSON format, of nothing useful, or not a zip at all.
    let json_zip = dir.path().join("json.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&json_zip).unwrap());
    zip.start_file("report.json", options).unwrap();
    zip.write_all(b"{}").unwrap();
    zip.finish().unwrap();
    let (path_field, message) = invalid_message(csv_request(&json_zip));
    assert_eq!(path_field, "csv");
    assert!(
        message.contains("JSON format") && message.contains("format csv"),
        "{message}"
    );
    let not_zip = dir.path().join("fake.zip");
    std::fs::write(&not_zip, "DeviceName,Output\n").unwrap();
    let (_, message) = invalid_message(csv_request(&not_zip));
    assert!(message.contains("not a readable zip"), "{message}");
    // A zip named .csv says what it is.
    let renamed = dir.path().join("export.csv");
    std::fs::copy(&path, &renamed).unwrap();
    let (_, message) = invalid_message(csv_request(&renamed));
    assert!(message.contains("is a zip archive"), "{message}");
}

#[test]
fn any_table_with_a_device_and_an_output_column_reads() {
    let dir = tempfile::tempdir().unwrap();
    for (header, device) in [
        ("ComputerName;StatusLine", "PC-A"),
        ("Hostname,Line,Extra", "PC-A"),
        ("name\toutput", "PC-A"),
        ("Device,Result", "PC-A"),
    ] {
        let delimiter = if header.contains(';') {
            ';'
        } else if header.contains('\t') {
            '\t'
        } else {
            ','
        };
        let mut text = format!("{header}\n");
        let line = v0("NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED");
        text.push_str(&format!("{device}{delimiter}{line}\n"));
        let path = dir.path().join("t.csv");
        std::fs::write(&path, &text).unwrap();
        let (data, _, rows) = run(csv_request(&path));
        assert_eq!(data.total, 1, "{header}");
        assert_eq!(get(&rows[0], "device_name"), Some(device));
        assert_eq!(
            get(&rows[0], "code"),
            Some("NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED"),
            "{header}"
        );
        // No time column: never stale.
        assert!(data.stale.is_empty());
        // A line without v= is version 0.
        assert_eq!(get(&rows[0], "version"), Some("0"));
        assert_eq!(get(&rows[0], "expiry"), None);
    }
}

#[test]
fn a_table_without_the_columns_names_those_found() {
    let dir = tempfile::tempdir().unwrap();
    for (text, wants) in [
        (
            "Serial,Output\n1,x\n",
            vec!["device column", "'Serial', 'Output'"],
        ),
        (
            "DeviceName;Status\nPC;x\n",
            vec!["output column", "'DeviceName', 'Status'"],
        ),
        ("\n\n", vec!["empty"]),
        ("", vec!["empty"]),
    ] {
        let path = dir.path().join("bad.csv");
        std::fs::write(&path, text).unwrap();
        let (field, message) = invalid_message(csv_request(&path));
        assert_eq!(field, "csv");
        for want in wants {
            assert!(message.contains(want), "{text:?}: {message}");
        }
    }
    let (_, message) = invalid_message(csv_request(&dir.path().join("missing.csv")));
    assert!(message.contains("cannot be read"), "{message}");
}

#[test]
fn sloppy_tables_warn_and_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    let line = v0("HEALTHY");
    std::fs::write(
        &path,
        format!("DeviceName,Output,ModifiedTime\nPC-1,{line},yesterday\nPC-2,\"{line}\n"),
    )
    .unwrap();
    let (data, warnings, rows) = run(csv_request(&path));
    assert_eq!(data.total, 2);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("'ModifiedTime' value that is not a time")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("not closed")),
        "{warnings:?}"
    );
    assert_eq!(get(&rows[0], "last_seen"), None);
    // Windows-1252 (Excel's "CSV" on a Western Windows).
    let text = format!("DeviceName,Output\nZürich-1,{line}\n");
    let (ansi, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    std::fs::write(&path, &ansi).unwrap();
    let (_, warnings, rows) = run(csv_request(&path));
    assert_eq!(get(&rows[0], "device_name"), Some("Zürich-1"));
    assert!(
        warnings.iter().any(|w| w.contains("Windows-1252")),
        "{warnings:?}"
    );
}

// ---- Lines ----------------------------------------------------------------

fn rows_request(rows: Vec<FleetInputRow>) -> FleetReportRequest {
    FleetReportRequest {
        rows: Some(rows),
        ..FleetReportRequest::default()
    }
}

fn input(name: &str, output: &str, last_seen: Option<&str>) -> FleetInputRow {
    FleetInputRow {
        device_name: Some(name.into()),
        output: Some(output.into()),
        last_seen: last_seen.map(Into::into),
        ..FleetInputRow::default()
    }
}

#[test]
fn bad_lines_are_unparsed_with_the_reason_and_never_dropped() {
    let good = v1(
        "ISSUE",
        "NEA_CERTS_NOT_RETRIEVED_DNS",
        "nes01:443",
        "dns",
        "2026-06-10",
        None,
    );
    let cut = &good[20..];
    let cases = [
        ("good", good.as_str(), &["ok"][..]),
        ("truncated", cut, &["truncated"][..]),
        ("empty", "", &["empty"][..]),
        ("blank", "  \r\n ", &["empty"][..]),
        ("garbage", "hello world", &["truncated", "malformed"][..]),
        (
            "binary",
            "\u{1}\u{2}\u{7f}STATUS",
            &["truncated", "malformed"][..],
        ),
        (
            "non-ascii",
            "STATUS=ÖK cöde=€",
            &["truncated", "malformed", "ok"][..],
        ),
    ];
    let rows = cases
        .iter()
        .map(|(name, line, _)| input(name, line, Some("2026-05-29T00:00:00Z")))
        .collect();
    let (data, _, rows) = run(rows_request(rows));
    assert_eq!(data.total, cases.len() as u64);
    for (name, _, statuses) in cases {
        let row = rows
            .iter()
            .find(|r| get(r, "device_name") == Some(name))
            .unwrap_or_else(|| panic!("{name} dropped"));
        let status = get(row, "parse_status").unwrap();
        assert!(statuses.contains(&status), "{name}: {status}");
        if status != "ok" {
            assert!(get(row, "parse_problem").is_some(), "{name}: no reason");
        }
        // Control characters never reach a console.
        assert!(
            !get(row, "line")
                .unwrap_or("")
                .chars()
                .any(|c| c.is_control()),
            "{name}"
        );
    }
    let unparsed: Vec<&str> = data
        .unparsed
        .iter()
        .map(|&i| get(&rows[i as usize], "device_name").unwrap())
        .collect();
    for name in ["truncated", "empty", "blank", "garbage", "binary"] {
        assert!(
            unparsed.contains(&name),
            "{name} not in unparsed: {unparsed:?}"
        );
    }
    assert!(!unparsed.contains(&"good"));
}

#[test]
fn expiring_and_stale_count_from_now() {
    // now = 2026-05-30T12:00Z, 7 and 8 days.
    let line = |expiry: &str| v1("OK", "HEALTHY", "nes01:443", "none", expiry, None);
    let rows = vec![
        input(
            "a-expired",
            &line("2026-05-01"),
            Some("2026-05-30T00:00:00Z"),
        ),
        input("b-today", &line("2026-05-30"), Some("2026-05-22T12:00:00Z")),
        input("c-edge", &line("2026-06-06"), Some("2026-05-22T11:59:59Z")),
        input("d-later", &line("2026-06-07"), None),
        input("e-none", &line("none"), Some("not a time")),
    ];
    let (data, warnings, rows) = run(rows_request(rows));
    let names = |indices: &[u32]| -> Vec<&str> {
        indices
            .iter()
            .map(|&i| get(&rows[i as usize], "device_name").unwrap())
            .collect()
    };
    assert_eq!(names(&data.expiring), ["a-expired", "b-today", "c-edge"]);
    assert_eq!(names(&data.stale), ["c-edge"]);
    assert_eq!(get(&rows[0], "expires_in_days"), Some("-29"));
    assert_eq!(get(&rows[1], "expires_in_days"), Some("0"));
    assert_eq!(get(&rows[4], "expiry"), None);
    assert_eq!(data.counts.expiring, 3);
    assert!(
        warnings.iter().any(|w| w.contains("not a time")),
        "{warnings:?}"
    );
    // Other windows.
    let (data, _, _) = run(FleetReportRequest {
        expiring_days: Some(0),
        stale_days: Some(0),
        ..rows_request(vec![input(
            "x",
            &line("2026-05-31"),
            Some("2026-05-30T11:00:00Z"),
        )])
    });
    assert!(data.expiring.is_empty());
    assert_eq!(data.stale, [0]);
    assert_eq!((data.expiring_days, data.stale_days), (0, 0));
}

// ---- Duplicates -----------------------------------------------------------

/// Every order of `items`.
fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, first.clone());
            out.push(p);
        }
    }
    out
}

#[test]
fn the_newest_row_of_a_device_wins_in_any_order() {
    let line = |code: &str| v1("ISSUE", code, "nes01:443", "dns", "2026-07-01", None);
    let rows = [
        input("PC-1", &line("OLDEST"), Some("2026-05-01T00:00:00Z")),
        input("pc-1", &line("NEWEST"), Some("2026-05-29T00:00:00Z")),
        input("PC-1 ", &line("MIDDLE"), Some("2026-05-20T00:00:00Z")),
        input("PC-1", &line("NO_TIME"), None),
        input("PC-2", &line("OTHER"), Some("2026-05-02T00:00:00Z")),
    ];
    for order in permutations(&rows) {
        let (data, _, got) = run(rows_request(order.clone()));
        assert_eq!((data.rows, data.total, data.duplicates), (5, 2, 3));
        let codes: Vec<&str> = got.iter().map(|r| get(r, "code").unwrap()).collect();
        assert_eq!(codes, ["NEWEST", "OTHER"], "{order:?}");
    }
    // A tie goes to the row read last; no time at all too.
    for (a, b) in [
        (Some("2026-05-29T00:00:00Z"), Some("2026-05-29T00:00:00Z")),
        (None, None),
    ] {
        let (data, _, got) = run(rows_request(vec![
            input("PC-1", &line("FIRST"), a),
            input("PC-1", &line("LAST"), b),
        ]));
        assert_eq!((data.total, data.duplicates), (1, 1));
        assert_eq!(get(&got[0], "code"), Some("LAST"));
    }
    // The id is the key when there is one, without case; the name is not
    // then.
    let with_id = |name: &str, id: &str, code: &str, seen: &str| FleetInputRow {
        device_id: Some(id.into()),
        ..input(name, &line(code), Some(seen))
    };
    let (data, _, got) = run(rows_request(vec![
        with_id("OLD-NAME", "ABC", "OLD", "2026-05-01T00:00:00Z"),
        with_id("NEW-NAME", "abc", "NEW", "2026-05-02T00:00:00Z"),
        with_id("OLD-NAME", "def", "OTHER", "2026-05-02T00:00:00Z"),
    ]));
    assert_eq!((data.total, data.duplicates), (2, 1));
    assert_eq!(get(&got[0], "code"), Some("NEW"));
}

#[test]
fn rows_without_a_device_are_unparsed_and_kept_apart() {
    let line = v0("HEALTHY");
    let blank = FleetInputRow {
        device_name: Some("  ".into()),
        output: Some(line.clone()),
        ..FleetInputRow::default()
    };
    let none = FleetInputRow {
        output: Some(line.clone()),
        origin: Some("0f6c1f7e".into()),
        ..FleetInputRow::default()
    };
    let (data, _, rows) = run(FleetReportRequest {
        rows_source: Some(FleetSource::Graph),
        ..rows_request(vec![blank, input("PC-1", &line, None), none])
    });
    assert_eq!((data.total, data.duplicates), (3, 0));
    assert_eq!(get(&rows[0], "device_name"), Some("PC-1"));
    for row in &rows[1..] {
        assert_eq!(get(row, "parse_status"), Some("no_device"));
        assert!(get(row, "parse_problem").unwrap().contains("no device"));
        assert_eq!(get(row, "source"), Some("graph"));
        // Still counted by its verdict.
        assert_eq!(get(row, "code"), Some("HEALTHY"));
    }
    assert_eq!(get(&rows[1], "origin"), Some("rows[0]"));
    assert_eq!(get(&rows[2], "origin"), Some("0f6c1f7e"));
    assert_eq!(data.unparsed, [1, 2]);
    assert_eq!(data.by_verdict[0].count, 3);
}

// ---- Report folders -------------------------------------------------------

/// A diagnose report as `Invoke-NymiDiagnosis -Raw` writes it (the fields
/// the fleet reads, among others it skips).
fn diagnose_report(host: &str, started: &str, line: &str, expiries: &[(&str, &str)]) -> String {
    let stores: Vec<String> = expiries
        .iter()
        .map(|(role, not_after)| {
            format!(
                r#"{{"path": "C:\\Windows\\System32\\config\\systemprofile\\AppData\\Roaming\\Nymi\\NSL\\x\\ksp", "role": "{role}", "counts": {{"files": 8}}, "validity": {{"newest_not_before": null, "earliest_not_after": "{not_after}", "expires_in_days": 3}}, "files": [{{"name": "a", "size": 1}}]}}"#
            )
        })
        .collect();
    format!(
        r#"{{
  "schema_version": 1,
  "capability": "diagnose",
  "tool_version": "0.1.0",
  "started_utc": "{started}",
  "duration_ms": 1200,
  "context": {{"host": "{host}", "user": "SYSTEM", "os": "windows", "arch": "x86_64", "process_bits": 64, "pid": 4, "tool_version": "0.1.0", "abi_version": 1}},
  "status": "issue",
  "findings": [{{"id": "NES_DNS_FAILED", "severity": "error", "title": "t", "detail": "d", "evidence": {{"x": [1, 2, {{"y": null}}]}}}}],
  "data": {{
    "verdict": {{"id": "NEA_CERTS_NOT_RETRIEVED_DNS"}},
    "status_line": "{line}",
    "evidence": [],
    "inputs": {{"cert_inventory": {{"capability": "cert_inventory", "data": {{"stores": [{}]}}}}, "log_scan": null}},
    "site": "plant9"
  }},
  "coverage": {{}},
  "warnings": []
}}"#,
        stores.join(", ")
    )
}

/// A host script's run record around a diagnosis.
fn run_record(computer: &str, started: &str, line: &str, diagnosis: &str) -> String {
    format!(
        r#"{{"kind": "detect", "script": "Detect-NymiNeaCertificates.ps1", "started_utc": "{started}", "duration_ms": 1, "computer": "{computer}", "account": "SYSTEM", "settings": {{"nes_uri": ""}}, "module": null, "status_line": "{line}", "exit_code": 1, "error": null, "warnings": [], "site": null, "diagnosis": {diagnosis}}}"#
    )
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_folder_of_reports_rolls_up_with_every_bad_file_as_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("share");
    let dns = v1(
        "ISSUE",
        "NEA_CERTS_NOT_RETRIEVED_DNS",
        "nes01:443",
        "dns",
        "2026-06-01",
        Some("plant1"),
    );
    let old_line = v0("NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED");
    // PC-1: an old and a new diagnosis in two folders: the newer wins.
    write(
        &root.join("PC-1/NymiDiag-20260501-080000.json"),
        &diagnose_report("PC-1", "2026-05-01T08:00:00.000Z", &old_line, &[]),
    );
    write(
        &root.join("PC-1/deeper/even/NymiDiag-20260529-080000.json"),
        &diagnose_report("PC-1", "2026-05-29T08:00:00.000Z", &dns, &[]),
    );
    // PC-2: a run record with a v0 line: the expiry comes from the
    // diagnosis's active stores (the stale store's earlier one is not it).
    let diagnosis = diagnose_report(
        "PC-2",
        "2026-05-28T07:00:00.000Z",
        &old_line,
        &[
            ("stale", "2026-05-02T00:00:00.000Z"),
            ("active", "2026-06-04T10:00:00.000Z"),
            ("active", "2026-06-09T10:00:00.000Z"),
        ],
    );
    write(
        &root.join("gpo/PC-2/NymiDiag-startup-20260528-070000.json"),
        &run_record("PC-2", "2026-05-28T07:00:00.000Z", &old_line, &diagnosis),
    );
    // PC-3: a run record whose module could not load: no diagnosis.
    write(
        &root.join("PC-3.json"),
        &run_record(
            "PC-3",
            "2026-05-29T07:00:00.000Z",
            "STATUS=ERROR v=1 code=MODULE_MISSING ksp=?/20 nes=none stage=none detail=module_not_found",
            "null",
        ),
    );
    // Bad files: each a row with its reason.
    let full = diagnose_report("PC-9", "2026-05-29T08:00:00.000Z", &dns, &[]);
    write(&root.join("bad/partial.json"), &full[..full.len() / 2]);
    write(
        &root.join("bad/v2.json"),
        &full.replace("\"schema_version\": 1", "\"schema_version\": 2"),
    );
    write(
        &root.join("bad/inventory.json"),
        &full.replace(
            "\"capability\": \"diagnose\"",
            "\"capability\": \"cert_inventory\"",
        ),
    );
    write(&root.join("bad/garbage.JSON"), "this is not json");
    write(&root.join("bad/empty.json"), "");
    write(&root.join("bad/array.json"), "[1, 2]");
    write(
        &root.join("bad/other.json"),
        r#"{"name": "something else"}"#,
    );
    // Not JSON files: not read.
    write(&root.join("notes.txt"), "ignored");

    let (data, warnings, rows) = run(FleetReportRequest {
        reports: Some(root.display().to_string()),
        ..FleetReportRequest::default()
    });
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(data.source, FleetSource::Reports);
    assert_eq!((data.rows, data.duplicates), (11, 1));
    assert_eq!(data.total, 10);
    let named = |name: &str| {
        rows.iter()
            .find(|r| get(r, "device_name") == Some(name))
            .unwrap_or_else(|| panic!("{name} missing: {rows:#?}"))
    };
    let pc1 = named("PC-1");
    assert_eq!(get(pc1, "code"), Some("NEA_CERTS_NOT_RETRIEVED_DNS"));
    assert_eq!(get(pc1, "source"), Some("reports"));
    assert!(
        get(pc1, "origin")
            .unwrap()
            .ends_with("NymiDiag-20260529-080000.json")
    );
    assert_eq!(get(pc1, "last_seen"), Some("2026-05-29T08:00:00.000Z"));
    let pc2 = named("PC-2");
    assert_eq!(get(pc2, "version"), Some("0"));
    assert_eq!(get(pc2, "expiry"), Some("2026-06-04"));
    assert_eq!(
        get(pc2, "site"),
        Some("plant9"),
        "the diagnosis's site for a v0 line"
    );
    let pc3 = named("PC-3");
    assert_eq!(get(pc3, "status"), Some("ERROR"));
    assert_eq!(get(pc3, "parse_status"), Some("ok"));

    let unreadable: BTreeMap<String, String> = rows
        .iter()
        .filter(|r| get(r, "parse_status") == Some("unreadable"))
        .map(|r| {
            let origin = get(r, "origin").unwrap();
            let file = Path::new(origin)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (file, get(r, "parse_problem").unwrap().to_owned())
        })
        .collect();
    let expect = [
        ("partial.json", "partial JSON"),
        ("v2.json", "schema version 2"),
        ("inventory.json", "'cert_inventory' report"),
        ("garbage.JSON", "not JSON"),
        ("empty.json", "empty"),
        ("array.json", "not a report"),
        ("other.json", "neither a diagnose report nor a run record"),
    ];
    assert_eq!(unreadable.len(), expect.len(), "{unreadable:#?}");
    for (file, reason) in expect {
        assert!(
            unreadable[file].contains(reason),
            "{file}: {}",
            unreadable[file]
        );
    }
    // Known hosts are shown even when the report is not read.
    assert!(
        rows.iter()
            .filter(|r| get(r, "device_name") == Some("PC-9"))
            .count()
            == 2
    );
    assert_eq!(data.unparsed.len(), 7);
    assert_eq!(
        data.expiring.len(),
        2,
        "PC-1 (2026-06-01) and PC-2 (2026-06-04)"
    );
}

#[cfg(unix)]
#[test]
fn links_inside_the_folder_are_read_and_others_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("share");
    let outside = dir.path().join("outside");
    let line = v0("HEALTHY");
    write(
        &outside.join("x.json"),
        &diagnose_report("OUT", "2026-05-29T00:00:00Z", &line, &[]),
    );
    write(
        &root.join("a/in.json"),
        &diagnose_report("IN", "2026-05-29T00:00:00Z", &line, &[]),
    );
    std::os::unix::fs::symlink(outside.join("x.json"), root.join("to-outside.json")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("folder-link")).unwrap();
    // A loop: a folder link to the root itself.
    std::os::unix::fs::symlink(&root, root.join("a/loop")).unwrap();
    std::os::unix::fs::symlink(root.join("a/in.json"), root.join("alias.json")).unwrap();
    let (data, warnings, rows) = run(FleetReportRequest {
        reports: Some(root.display().to_string()),
        ..FleetReportRequest::default()
    });
    let names: Vec<&str> = rows.iter().filter_map(|r| get(r, "device_name")).collect();
    assert_eq!(names, ["IN"], "{rows:#?}");
    assert_eq!((data.rows, data.duplicates), (2, 1));
    assert!(
        warnings.iter().any(|w| w.contains("3 link(s)")),
        "{warnings:?}"
    );
}

#[test]
fn deep_folders_stop_at_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let mut deep = dir.path().to_path_buf();
    for i in 0..20 {
        deep = deep.join(format!("d{i}"));
    }
    write(&deep.join("r.json"), "{}");
    write(
        &dir.path().join("d0/r.json"),
        &diagnose_report("PC", "2026-05-29T00:00:00Z", &v0("HEALTHY"), &[]),
    );
    let (data, warnings, _) = run(FleetReportRequest {
        reports: Some(dir.path().display().to_string()),
        ..FleetReportRequest::default()
    });
    assert_eq!(data.rows, 1);
    assert!(
        warnings.iter().any(|w| w.contains("deeper than 16 levels")),
        "{warnings:?}"
    );
}

// ---- Requests -------------------------------------------------------------

#[test]
fn requests_give_exactly_one_source_and_sane_windows() {
    let dir = tempfile::tempdir().unwrap();
    for request in [
        FleetReportRequest::default(),
        FleetReportRequest {
            csv: Some("a.csv".into()),
            reports: Some(".".into()),
            ..FleetReportRequest::default()
        },
        FleetReportRequest {
            rows: Some(vec![]),
            reports: Some(".".into()),
            ..FleetReportRequest::default()
        },
    ] {
        let (field, message) = invalid_message(request);
        assert_eq!(field, ".");
        assert!(message.contains("exactly one source"), "{message}");
    }
    let (field, _) = invalid_message(FleetReportRequest {
        expiring_days: Some(3651),
        ..rows_request(vec![])
    });
    assert_eq!(field, "expiring_days");
    let (field, _) = invalid_message(FleetReportRequest {
        rows_source: Some(FleetSource::Csv),
        ..rows_request(vec![])
    });
    assert_eq!(field, "rows_source");
    let (field, message) = invalid_message(FleetReportRequest {
        reports: Some(dir.path().join("nope").display().to_string()),
        ..FleetReportRequest::default()
    });
    assert_eq!(field, "reports");
    assert!(message.contains("cannot be read"), "{message}");
    // A file given as the folder.
    let file = dir.path().join("f.json");
    std::fs::write(&file, "{}").unwrap();
    let (_, message) = invalid_message(FleetReportRequest {
        reports: Some(file.display().to_string()),
        ..FleetReportRequest::default()
    });
    assert!(message.contains("not a folder"), "{message}");
    // Nothing to read is an empty report, not an error.
    let (data, _, rows) = run(rows_request(vec![]));
    assert_eq!((data.total, rows.len()), (0, 0));
    assert!(data.by_verdict.is_empty());
    // Unknown fields are refused by the JSON contract.
    let e = Error::parse_request::<FleetReportRequest>(r#"{"rows": [], "typo": 1}"#).unwrap_err();
    assert!(e.to_string().contains("typo"), "{e}");
}

#[test]
fn a_request_through_the_c_abi_answers_a_fleet_report() {
    let request = serde_json::json!({
        "rows": [{"device_name": "PC-1", "output": v0("HEALTHY"), "last_seen": "2026-05-29T00:00:00Z"}],
        "now": NOW,
        "caller": "test"
    })
    .to_string();
    let (status, report) =
        support::ffi::call(nymidiag::ffi::nymidiag_fleet_report, request.as_bytes());
    assert_eq!(status, 0, "{report}");
    assert_eq!(report["capability"], "fleet_report");
    assert_eq!(report["data"]["total"], 1);
    assert_eq!(report["data"]["source"], "pipeline");
    assert_eq!(report["context"]["caller"], "test");
}
