//! The file form of `nymidiag_redact`: a log read piece by piece, decoded
//! with the encoding the log scan detected, cleaned by the one redactor,
//! never read through a link to outside its folder or from a special file.

use std::path::Path;

use nymidiag::logs::TextEncoding;
use nymidiag::redaction::{FilePiece, RedactRequest, Resume, redact};

/// Piece size of the file form (512 KiB).
const PIECE: u64 = 512 * 1024;

struct Copy {
    text: String,
    pieces: Vec<FilePiece>,
    replacements: u64,
}

fn request(path: &Path, encoding: TextEncoding, max_bytes: Option<u64>) -> RedactRequest {
    RedactRequest {
        path: Some(path.display().to_string()),
        encoding: Some(encoding),
        max_bytes,
        ..RedactRequest::default()
    }
}

/// Reads every piece, as the support bundle does.
fn copy(req: &RedactRequest) -> Result<Copy, nymidiag::Error> {
    let mut out = Copy {
        text: String::new(),
        pieces: Vec::new(),
        replacements: 0,
    };
    let mut resume: Option<Resume> = None;
    loop {
        let mut ask = req.clone();
        ask.resume = resume;
        let report = redact(&ask)?;
        assert_eq!(report.capability, "redact");
        let piece = report.data.file.expect("file form answers a piece");
        assert!(piece.bytes <= PIECE, "{}", piece.bytes);
        out.text.push_str(&report.data.text);
        out.replacements += report.data.replacements;
        resume = piece.next;
        out.pieces.push(piece);
        if resume.is_none() {
            return Ok(out);
        }
        assert!(out.pieces.len() < 10_000, "no end");
    }
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    if bom {
        bytes.extend(if big_endian {
            [0xfe, 0xff]
        } else {
            [0xff, 0xfe]
        });
    }
    for unit in text.encode_utf16() {
        bytes.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    bytes
}

const LOG: &str = "704:(26/05/01 06:13:14.149):Listener.cpp :0411: Unable to get token\r\n\
    705:(26/05/01 06:13:15.000):Config password=hunter2 for Zürich 😀\r\n\
    706:(26/05/01 06:13:16.000):Authorization: Bearer abcdefgh12345678\r\n";

#[test]
fn utf16_logs_are_decoded_and_redacted() {
    let dir = tempfile::tempdir().unwrap();
    for (name, encoding, big, bom) in [
        ("le-bom.log", TextEncoding::Utf16LeBom, false, true),
        ("be-bom.log", TextEncoding::Utf16BeBom, true, true),
        ("le.log", TextEncoding::Utf16Le, false, false),
        ("be.log", TextEncoding::Utf16Be, true, false),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, utf16(LOG, big, bom)).unwrap();
        let c = copy(&request(&path, encoding, None)).unwrap();
        assert!(!c.text.contains("hunter2"), "{name}: {}", c.text);
        assert!(!c.text.contains("abcdefgh12345678"), "{name}");
        assert!(c.text.starts_with("704:(26/05/01"), "{name}: BOM kept");
        assert!(c.text.contains("Zürich 😀"), "{name}");
        assert_eq!(c.replacements, 2, "{name}");
        assert_eq!(c.pieces.len(), 1);
        assert!(!c.pieces[0].truncated);
        assert_eq!(c.pieces[0].encoding, encoding);
    }
}

#[test]
fn utf8_and_windows_1252_logs_are_read_as_the_scan_said() {
    let dir = tempfile::tempdir().unwrap();
    let bom = dir.path().join("bom.log");
    std::fs::write(&bom, [b"\xef\xbb\xbf".as_slice(), LOG.as_bytes()].concat()).unwrap();
    let c = copy(&request(&bom, TextEncoding::Utf8Bom, None)).unwrap();
    assert!(c.text.starts_with("704:"));
    assert!(c.text.contains("password=<redacted>"));
    let ansi = dir.path().join("ansi.log");
    std::fs::write(&ansi, b"Stra\xdfe token=abc123\n").unwrap();
    let c = copy(&request(&ansi, TextEncoding::Windows1252, None)).unwrap();
    assert_eq!(c.text, "Straße token=<redacted>\n");
}

#[test]
fn a_huge_log_is_copied_from_its_last_bytes_in_bounded_pieces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("WGSS_Nymi.log");
    let line = "706:(26/05/01 06:13:16.000):Listener.cpp :0411: token=abcdef0123456789 sent\n";
    let lines = 24 * 1024 * 1024 / line.len();
    std::fs::write(&path, line.repeat(lines)).unwrap();
    let size = (line.len() * lines) as u64;
    let max = 3 * 1024 * 1024 + 17;
    let c = copy(&request(&path, TextEncoding::Utf8, Some(max))).unwrap();
    let first = &c.pieces[0];
    assert!(first.truncated);
    assert_eq!(first.size, size);
    // From the first whole line of the last `max` bytes.
    assert!(first.offset >= size - max && first.offset < size - max + line.len() as u64);
    assert!(c.text.starts_with("706:"), "{}", &c.text[..40]);
    let copied: u64 = c.pieces.iter().map(|p| p.bytes).sum();
    assert_eq!(first.offset + copied, size);
    assert!(c.pieces.len() >= 6, "{}", c.pieces.len());
    // Every piece but the last ends on a line end.
    for p in &c.pieces {
        assert!(p.truncated);
    }
    assert!(!c.text.contains("abcdef0123456789"));
    assert_eq!(c.text.lines().count() as u64, c.replacements);
    assert!(c.text.lines().all(|l| l.starts_with("706:(")));
}

#[test]
fn bytes_written_after_the_first_piece_are_not_copied() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    let line = "x".repeat(99) + "\n";
    std::fs::write(&path, line.repeat(8_000)).unwrap();
    let req = request(&path, TextEncoding::Utf8, None);
    let first = redact(&req).unwrap().data.file.unwrap();
    let next = first.next.expect("more than one piece");
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"appended password=late\n").unwrap();
    }
    let mut ask = req.clone();
    ask.resume = Some(next);
    let second = redact(&ask).unwrap();
    assert!(!second.data.text.contains("appended"));
    assert_eq!(second.data.file.unwrap().next, None);
}

#[test]
fn a_key_block_cut_by_a_piece_or_by_the_tail_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n";
    let key = format!(
        "-----BEGIN PRIVATE KEY-----\n{}-----END PRIVATE KEY-----\n",
        body.repeat(40)
    );
    // The block straddles the first piece's end.
    let filler = "y".repeat(79) + "\n";
    let before = filler.repeat((PIECE as usize - 1000) / filler.len());
    let path = dir.path().join("k.log");
    std::fs::write(&path, format!("{before}{key}after\n")).unwrap();
    let c = copy(&request(&path, TextEncoding::Utf8, None)).unwrap();
    assert!(c.pieces.len() >= 2);
    assert!(!c.text.contains("MIIEvQ"), "key body left");
    assert!(c.text.ends_with("after\n"));
    // The tail starts inside the block: its first marker is the END.
    let tail = (body.len() * 3 + "-----END PRIVATE KEY-----\nafter\n".len()) as u64;
    let c = copy(&request(&path, TextEncoding::Utf8, Some(tail))).unwrap();
    assert!(!c.text.contains("MIIEvQ"), "{}", c.text);
    assert!(!c.text.contains("PRIVATE KEY-----"), "{}", c.text);
    assert!(c.text.ends_with("after\n"));
}

#[cfg(unix)]
#[test]
fn a_link_to_outside_its_folder_is_not_read() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("shadow");
    std::fs::write(&secret, "root:password=x\n").unwrap();
    let logs = tempfile::tempdir().unwrap();
    let link = logs.path().join("WGSS_Nymi.log");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    let e = copy(&request(&link, TextEncoding::Utf8, None))
        .err()
        .expect("refused");
    let text = e.to_string();
    assert!(text.contains("outside the folder"), "{text}");
    assert!(matches!(e, nymidiag::Error::Io(_)));
    // With the outer folder as `within`, it is inside.
    let mut req = request(&link, TextEncoding::Utf8, None);
    req.within = Some(outside.path().parent().unwrap().display().to_string());
    let logs_parent = logs.path().parent().unwrap();
    if outside.path().parent().unwrap() == logs_parent {
        assert!(copy(&req).is_ok());
    }
    // A link inside the folder is read.
    let real = logs.path().join("real.log");
    std::fs::write(&real, "token=abc\n").unwrap();
    let inner = logs.path().join("inner.log");
    std::os::unix::fs::symlink(&real, &inner).unwrap();
    let mut req = request(&inner, TextEncoding::Utf8, None);
    req.within = Some(logs.path().display().to_string());
    assert_eq!(copy(&req).unwrap().text, "token=<redacted>\n");
    // A folder link to outside, under the folder given: refused too.
    let sub = logs.path().join("sub");
    std::os::unix::fs::symlink(outside.path(), &sub).unwrap();
    let mut req = request(&sub.join("shadow"), TextEncoding::Utf8, None);
    req.within = Some(logs.path().display().to_string());
    assert!(copy(&req).is_err());
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("WGSS_Nymi.log");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    assert!(made, "mkfifo failed");
    let started = std::time::Instant::now();
    let e = copy(&request(&fifo, TextEncoding::Utf8, None))
        .err()
        .expect("refused");
    assert!(e.to_string().contains("FIFO"), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let e = copy(&request(
        Path::new("/dev/zero"),
        TextEncoding::Utf8,
        Some(10),
    ))
    .err()
    .expect("refused");
    assert!(e.to_string().contains("character device"), "{e}");
}

#[test]
fn text_and_path_do_not_mix() {
    let bad = [
        RedactRequest::default(),
        RedactRequest {
            text: Some("a".into()),
            path: Some("b".into()),
            ..RedactRequest::default()
        },
        RedactRequest {
            text: Some("a".into()),
            max_bytes: Some(1),
            ..RedactRequest::default()
        },
        RedactRequest {
            path: Some("b".into()),
            ..RedactRequest::default()
        },
    ];
    for req in bad {
        let e = redact(&req).unwrap_err();
        assert!(matches!(e, nymidiag::Error::RequestInvalid { .. }), "{e:?}");
    }
}

#[test]
fn small_pieces_give_the_same_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.log");
    let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n";
    let text = format!(
        "head\n-----BEGIN RSA PRIVATE KEY-----\n{}-----END RSA PRIVATE KEY-----\n{}",
        body.repeat(20),
        "filler line password=x with some padding text\n".repeat(30)
    );
    std::fs::write(&path, &text).unwrap();
    let whole = copy(&request(&path, TextEncoding::Utf8, None)).unwrap();
    assert_eq!(whole.text.matches("filler line").count(), 30);
    for piece in [100, 333, 1500] {
        let mut req = request(&path, TextEncoding::Utf8, None);
        req.piece_bytes = Some(piece);
        let c = copy(&req).unwrap();
        assert!(c.pieces.len() > 1, "{piece}");
        assert!(!c.text.contains("MIIEvQ"), "{piece}: {}", c.text);
        assert!(!c.text.contains("PRIVATE KEY-----"), "{piece}");
        assert!(!c.text.contains("password=x"), "{piece}");
        assert_eq!(
            c.text.lines().count(),
            whole.text.lines().count(),
            "{piece}"
        );
    }
    let mut req = request(&path, TextEncoding::Utf8, None);
    req.piece_bytes = Some(10);
    assert!(redact(&req).is_err());
}
