//! The reader against the writer, over lines built by code: every verdict
//! shape, every way a fleet mangles a line.

use super::super::{LineParts, format_line};
use super::*;

/// Lines the writer produces, over the shapes a fleet sees.
fn written() -> Vec<(String, LineParts<'static>)> {
    let statuses = [
        ("OK", "NEA_CERTS_OK"),
        ("ISSUE", "NES_UNREACHABLE"),
        ("ERROR", "INCONCLUSIVE"),
    ];
    let nes = [
        "nes.corp.example:443",
        "[::1]:8443",
        "none",
        "10.0.0.5:8080",
    ];
    let sites = [None, Some("WARD-3"), Some("Pflege Süd"), Some("x")];
    let expiries = [
        None,
        Some(time::macros::date!(2026 - 12 - 14)),
        Some(time::macros::date!(1999 - 01 - 01)),
    ];
    let kspf = [None, Some(0), Some(8), Some(20), Some(123)];
    let logs = [
        "none",
        "unread",
        "NYMI_API_TOKEN_401,IIS_401_2",
        Box::leak("LOG_X,".repeat(400).into_boxed_str()),
    ];
    let mut out = Vec::new();
    let mut i = 0usize;
    for (status, code) in statuses {
        for n in nes {
            for site in sites {
                for expiry in expiries {
                    i += 1;
                    let parts = LineParts {
                        status,
                        code,
                        ksp_found: kspf[i % kspf.len()],
                        ksp_expected: 20,
                        nes: n,
                        stage: ["tcp", "none", "untested", "tls"][i % 4],
                        finding: ["PROBE_TCP_REFUSED", "none"][i % 2],
                        confidence: ["high", "medium", "low"][i % 3],
                        expiry,
                        site,
                        logs: logs[i % logs.len()],
                    };
                    out.push((format_line(&parts), parts));
                }
            }
        }
    }
    out
}

fn word_of(text: &str) -> String {
    super::super::word(text)
}

#[test]
fn every_written_line_reads_back() {
    for (line, p) in written() {
        let f = parse(&line);
        assert_eq!(
            f.parse_status,
            Some(ParseStatus::Ok),
            "{line}: {:?}",
            f.problem
        );
        assert_eq!(f.version, Some(1));
        assert_eq!(f.status.as_deref(), Some(p.status));
        assert_eq!(f.code.as_deref(), Some(p.code));
        assert_eq!(f.ksp_found, p.ksp_found, "{line}");
        assert_eq!(f.ksp_expected, Some(20));
        assert_eq!(f.nes.as_deref(), Some(p.nes));
        assert_eq!(f.stage.as_deref(), Some(p.stage));
        assert_eq!(f.finding.as_deref(), Some(p.finding));
        assert_eq!(f.confidence.as_deref(), Some(p.confidence));
        assert_eq!(f.expiry, p.expiry.map(|d| d.to_string()), "{line}");
        assert_eq!(f.site, p.site.map(word_of));
        if line.len() < super::super::MAX_STATUS_LINE {
            assert_eq!(f.logs.as_deref(), Some(p.logs));
        }
        assert_eq!(f.line, line);
    }
}

#[test]
fn lines_before_versions_still_read() {
    for line in [
        "STATUS=OK code=NEA_CERTS_OK ksp=20/20 nes=nes.corp.example:443 stage=none finding=none confidence=high logs=none",
        "STATUS=ISSUE code=NES_DNS_FAILS ksp=0/20 nes=nes:443 stage=dns finding=PROBE_DNS_NXDOMAIN confidence=high site=W1 logs=none",
        "STATUS=ERROR code=MODULE_NOT_FOUND ksp=?/20 nes=none stage=none detail=C:\\Program_Files\\WindowsPowerShell\\Modules\\NymiDiag",
    ] {
        let f = parse(line);
        assert_eq!(
            f.parse_status,
            Some(ParseStatus::Ok),
            "{line}: {:?}",
            f.problem
        );
        assert_eq!(f.version, Some(0), "{line}");
        assert!(f.code.is_some());
    }
}

#[test]
fn error_lines_keep_windows_paths_and_repairs() {
    let paths = [
        r"C:\ProgramData\NymiDiag\config.json:_NesUri:_not_an_absolute_URL",
        r"\\server\share\NymiDiag\x=1;y=2",
        r"C:\Program_Files\WindowsPowerShell\Modules\NymiDiag\0.2.0\NymiDiag.psd1",
        "a=b=c",
    ];
    for (i, detail) in paths.iter().enumerate() {
        for site in ["", " site=WARD-1"] {
            for repair in [
                "",
                " repair=restarted before=8/20 after=20/20",
                " repair=none reason=nes_unreachable",
            ] {
                let line = format!(
                    "STATUS=ERROR v=1 code=CONFIG_INVALID ksp=?/20 nes=none stage=none{site} detail={detail}{repair}"
                );
                let f = parse(&line);
                assert_eq!(f.parse_status, Some(ParseStatus::Ok), "{i}: {line}");
                assert_eq!(f.detail.as_deref(), Some(*detail), "{line}");
                assert_eq!(f.ksp_found, None);
                assert_eq!(f.ksp_expected, Some(20));
                if repair.contains("restarted") {
                    assert_eq!(f.repair.as_deref(), Some("restarted"));
                    assert_eq!(f.repair_before.as_deref(), Some("8/20"));
                    assert_eq!(f.repair_after.as_deref(), Some("20/20"));
                }
                if repair.contains("reason") {
                    assert_eq!(f.repair_reason.as_deref(), Some("nes_unreachable"));
                }
            }
        }
    }
}

#[test]
fn cut_lines_are_truncated_at_every_cut_point() {
    let (line, p) = written()
        .into_iter()
        .find(|(l, p)| l.len() > 1000 && p.site.is_some() && p.expiry.is_some())
        .unwrap();
    let site_at = line.find(" site=").unwrap();
    for cut in 1..line.len() - 10 {
        let tail = &line[cut..];
        let f = parse(tail);
        if tail.starts_with("STATUS=") {
            continue;
        }
        // The first word of a cut line is a fragment, even when the cut
        // fell on a space; a tail with no field after it holds nothing.
        let whole_fields = tail.split_whitespace().skip(1).any(|w| w.contains('='));
        if !whole_fields {
            assert_eq!(f.parse_status, Some(ParseStatus::Malformed), "{cut}");
            continue;
        }
        assert_eq!(
            f.parse_status,
            Some(ParseStatus::Truncated),
            "{cut}: {:?}",
            f.problem
        );
        assert_eq!(f.status, None, "{cut}");
        if cut < site_at {
            assert_eq!(f.site, p.site.map(word_of), "{cut}");
        }
    }
}

#[test]
fn what_is_not_a_status_line_says_why() {
    let cases: &[(&str, ParseStatus)] = &[
        ("", ParseStatus::Empty),
        ("   \r\n\t\n  ", ParseStatus::Empty),
        ("Hello world", ParseStatus::Malformed),
        ("garbage=", ParseStatus::Malformed),
        ("STATUS=MAYBE code=X", ParseStatus::Malformed),
        ("STATUS=OK", ParseStatus::Malformed),
        ("STATUS=OK v=x code=A", ParseStatus::Malformed),
        ("STATUS=OK v=1 code=A ksp=eight/20", ParseStatus::Malformed),
        ("STATUS=OK v=1 code=A ksp=8", ParseStatus::Malformed),
        (
            "STATUS=OK v=1 code=A expiry=2026-13-01",
            ParseStatus::Malformed,
        ),
        (
            "STATUS=OK v=1 code=A expiry=tomorrow",
            ParseStatus::Malformed,
        ),
        (
            "STATUS=OK v=1 code=NEA_CERTS_OK site=Süd",
            ParseStatus::Malformed,
        ),
        ("\u{feff}\u{0}\u{1}binary", ParseStatus::Malformed),
        ("STATUS=OK v=2 code=A future=field", ParseStatus::Ok),
        ("status=ok v=1 code=A", ParseStatus::Malformed),
        ("STATUS=OK v=1 code=A expiry=none", ParseStatus::Ok),
    ];
    for (text, want) in cases {
        let f = parse(text);
        assert_eq!(f.parse_status, Some(*want), "{text:?}: {:?}", f.problem);
        assert_eq!(f.problem.is_some(), *want != ParseStatus::Ok, "{text:?}");
    }
}

#[test]
fn the_last_non_blank_line_of_an_output_is_read() {
    let line = "STATUS=ISSUE v=1 code=NES_UNREACHABLE ksp=8/20 nes=n:443 stage=tcp finding=F confidence=high expiry=2026-12-14 logs=none";
    for text in [
        format!("Transcript started\n{line}\n"),
        format!("WARNING: x\r\n{line}\r\n\r\n"),
        format!("{line}   "),
        format!("\n\n{line}"),
        format!("STATUS=OK v=1 code=OLD\n{line}"),
    ] {
        let f = parse(&text);
        assert_eq!(f.parse_status, Some(ParseStatus::Ok), "{text:?}");
        assert_eq!(f.code.as_deref(), Some("NES_UNREACHABLE"));
        assert_eq!(f.line, line);
    }
}

#[test]
fn huge_text_is_bounded() {
    let text = format!("STATUS=OK v=1 code=A logs={}", "x".repeat(5_000_000));
    let f = parse(&text);
    assert_eq!(f.parse_status, Some(ParseStatus::Malformed));
    assert_eq!(f.code.as_deref(), Some("A"));
    // The kept text and its cut mark.
    assert!(f.line.chars().count() <= MAX_LINE + 1);
}
