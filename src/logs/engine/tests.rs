//! Tests of the engine on text in memory.

use std::io;
use std::sync::Arc;

use time::UtcOffset;

use super::chunker::{BLOCK, block_counts, cut_point, newlines_before};
use super::file::FileScan;
use super::records::{Framing, count_newlines};
use super::scanner::Engine;
use super::settings::Settings;
use super::streams::{Matchers, long_line_warning};
use crate::logs::input::format::{ParseSettings, Parser};
use crate::logs::input::source::{SliceInput, TextInput};
use crate::logs::model::{DateOrder, FileCoverage, KindSource, LogKind, ScanMode};
use crate::logs::rules::{RuleSet, load_without_samples};

const CHAIN: &str = "\
704:(22/03/17 06:13:14.149):CHttpClient.cpp :0402: -> CHttpClient::GetHttpStatus
704:(22/03/17 06:13:14.149):NesClient.cpp :0114: Error from token request--code: 0 - message: 'The operation is complete
'
704:(22/03/17 06:13:14.150):Listener.cpp :0411: Unable to get token with USER creds
704:(22/03/17 06:13:14.162):WearableExtension.cpp :0440: Ext::GetListOfVisibleDevices returns: 0x8101201c
704:(22/03/17 06:13:14.162):WearableExtension.cpp :0441: 0 visible devices
704:(22/03/17 06:13:14.163):WearableExtension.cpp :0495: <- CWearableExtension::ValidateProvisions returned: 0x81010009
704:(22/03/17 06:13:14.163):WearableContext.cpp :0460: <- CWearableContext::ConnectUserWearableDevice returned: 0x81010009
";

fn scan_text(text: &str, kind: LogKind, settings: &Settings) -> (Engine<'static>, FileScan) {
    let set: &'static RuleSet = Box::leak(Box::new(load_without_samples(true, &[]).unwrap()));
    let settings: &'static Settings = Box::leak(Box::new(settings.clone()));
    let matchers: &'static Matchers = Box::leak(Box::default());
    let mut engine = Engine::new(set, settings, matchers, Vec::new());
    let rules = set.applicable(kind, "x.log");
    let matcher = Arc::new(set.matcher(rules));
    let parse = ParseSettings {
        offset: UtcOffset::UTC,
        date_order: DateOrder::YyMmDd,
    };
    let mut fs = FileScan::new(Arc::from("x.log"), kind, Parser::new(kind, parse), matcher);
    fs.framing = Framing::of(kind, text);
    engine
        .run(&mut fs, &mut SliceInput::new(text.as_bytes()))
        .unwrap();
    engine.finish();
    (engine, fs)
}

fn count(engine: &Engine<'_>, id: &str) -> u64 {
    let i = engine.set.rules.iter().position(|r| r.id == id).unwrap();
    engine.acc[i].count
}

#[test]
fn the_documented_chain_fires_the_sequence_rule() {
    let (engine, fs) = scan_text(CHAIN, LogKind::Wgss, &Settings::unfiltered(1 << 20));
    assert_eq!(fs.stats.lines, 8);
    assert_eq!(count(&engine, "LOG_TOKEN_REQUEST_FAILED"), 1);
    assert_eq!(count(&engine, "LOG_CERT_CHAIN_NOT_TRUSTED"), 1);
    assert_eq!(count(&engine, "LOG_OBJECT_NOT_FOUND"), 2);
    assert_eq!(count(&engine, "LOG_NEA_CERTS_NOT_RETRIEVED"), 2);
    assert_eq!(count(&engine, "LOG_NO_VISIBLE_DEVICES"), 0);
    assert_eq!(engine.codes.get(&0x8101_201c), Some(&1));
    assert_eq!(engine.codes.get(&0x8101_0009), Some(&2));
}

#[test]
fn records_split_across_tiny_chunks_are_kept_whole() {
    for (chunk, pipeline) in [(64, true), (100, false), (257, true), (257, false)] {
        let settings = Settings {
            chunk,
            carry_max: 4096,
            pipeline,
            ..Settings::unfiltered(1024)
        };
        let (engine, fs) = scan_text(&CHAIN.repeat(20), LogKind::Wgss, &settings);
        assert_eq!(fs.stats.lines, 160, "chunk {chunk}");
        assert_eq!(
            count(&engine, "LOG_NEA_CERTS_NOT_RETRIEVED"),
            40,
            "chunk {chunk}"
        );
        let i = engine
            .set
            .rules
            .iter()
            .position(|r| r.id == "LOG_TOKEN_REQUEST_FAILED")
            .unwrap();
        let hit = engine.acc[i].clone().into_hit(i, engine.set);
        assert_eq!(
            hit.fields["token_error_message"][0].value, "The operation is complete",
            "chunk {chunk}"
        );
    }
}

#[test]
fn line_numbers_and_excerpts_point_at_the_record() {
    let text = format!("noise\r\n{}", CHAIN.replace('\n', "\r\n"));
    for pipeline in [false, true] {
        let settings = Settings {
            chunk: 128,
            pipeline,
            ..Settings::unfiltered(1 << 20)
        };
        let (engine, fs) = scan_text(&text, LogKind::Wgss, &settings);
        assert_eq!(fs.stats.lines, 9);
        let i = engine
            .set
            .rules
            .iter()
            .position(|r| r.id == "LOG_OBJECT_NOT_FOUND")
            .unwrap();
        let hit = engine.acc[i].clone().into_hit(i, engine.set);
        assert_eq!(hit.locations[0].line, 8, "pipeline {pipeline}");
        assert_eq!(hit.locations[1].line, 9, "pipeline {pipeline}");
    }
    let (engine, _) = scan_text(&text, LogKind::Wgss, &Settings::unfiltered(1 << 20));
    let i = engine
        .set
        .rules
        .iter()
        .position(|r| r.id == "LOG_OBJECT_NOT_FOUND")
        .unwrap();
    let hit = engine.acc[i].clone().into_hit(i, engine.set);
    assert_eq!(hit.locations[0].line, 8);
    assert_eq!(hit.locations[1].line, 9);
    assert!(hit.excerpts[0].text.ends_with("returned: 0x81010009"));
    assert_eq!(hit.excerpts[0].before.len(), 5);
    assert!(hit.excerpts[0].before[4].ends_with("0 visible devices"));
    assert_eq!(hit.preceded_by["LOG_CERT_CHAIN_NOT_TRUSTED"], 2);
}

#[test]
fn other_threads_and_old_markers_do_not_count() {
    let text = "\
705:(22/03/17 06:13:14.162):WearableExtension.cpp :0440: Ext::GetListOfVisibleDevices returns: 0x8101201c
704:(22/03/17 06:13:14.163):WearableContext.cpp :0460: <- CWearableContext::ConnectUserWearableDevice returned: 0x81010009
705:(22/03/17 06:14:14.163):WearableContext.cpp :0460: <- CWearableContext::ConnectUserWearableDevice returned: 0x81010009
";
    let (engine, _) = scan_text(text, LogKind::Wgss, &Settings::unfiltered(1 << 20));
    assert_eq!(count(&engine, "LOG_OBJECT_NOT_FOUND"), 2);
    assert_eq!(count(&engine, "LOG_NEA_CERTS_NOT_RETRIEVED"), 0);
}

#[test]
fn long_lines_are_capped_and_skipped() {
    let mut text = String::from("start 0x8101201c\n");
    text.push_str(&"x".repeat(10_000));
    text.push_str(" 0x8101201c tail\nafter 0x8101201c\n");
    let settings = Settings {
        chunk: 512,
        carry_max: 512,
        ..Settings::unfiltered(1000)
    };
    let (engine, fs) = scan_text(&text, LogKind::Text, &settings);
    assert_eq!(fs.stats.long_lines, 1);
    assert_eq!(fs.stats.lines, 3);
    // The literal past the cap in the long line is not seen.
    assert_eq!(count(&engine, "LOG_CERT_CHAIN_NOT_TRUSTED"), 2);
}

#[test]
fn long_lines_are_found_in_every_mode_and_reported() {
    // (cap, line lengths): short caps measure every line, caps of two
    // blocks or more only the lines around blocks without a newline.
    let cases: [(usize, &[usize]); 4] = [
        (300, &[10, 301, 300, 5000, 20, 700, 900]),
        (2 * BLOCK, &[10, 2 * BLOCK + 1, 2 * BLOCK, 3 * BLOCK, 5]),
        (2 * BLOCK + 7, &[4 * BLOCK + 9, 1, 7 * BLOCK, 2 * BLOCK + 7]),
        (3 * BLOCK, &[3 * BLOCK - 1, 3 * BLOCK + 1, 10 * BLOCK]),
    ];
    for (cap, lengths) in cases {
        let mut text = String::new();
        for &n in lengths {
            // The code sits in the first 40 bytes: inside the cap.
            let line = format!("code 0x81010009 {}", "x".repeat(n.saturating_sub(16)));
            text.push_str(&line[..n.max(16)]);
            text.push('\n');
        }
        let long: Vec<u64> = lengths
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > cap)
            .map(|(i, _)| i as u64 + 1)
            .collect();
        for kind in [LogKind::Text, LogKind::Wgss, LogKind::Iis] {
            let settings = Settings::unfiltered(cap);
            let (engine, fs) = scan_text(&text, kind, &settings);
            let what = format!("cap {cap} {kind:?}");
            assert_eq!(fs.full, kind == LogKind::Iis, "{what}");
            assert_eq!(fs.stats.long_lines, long.len() as u64, "{what}");
            if kind == LogKind::Iis {
                // Its own parse problems crowd the list: counts only.
                continue;
            }
            let listed: Vec<u64> = engine
                .problems
                .iter()
                .filter(|p| p.problem.starts_with("line longer than max_line_bytes"))
                .map(|p| p.line)
                .collect();
            let first: Vec<u64> = long.iter().copied().take(3).collect();
            assert_eq!(listed, first, "{what}");
            if let Some(p) = engine
                .problems
                .iter()
                .find(|p| p.problem.starts_with("line longer"))
            {
                assert_eq!(
                    p.problem,
                    format!(
                        "line longer than max_line_bytes ({cap} bytes): only the first \
                         {cap} bytes were scanned"
                    ),
                    "{what}"
                );
                assert!(p.excerpt.starts_with("code 0x81010009"), "{what}");
            }
            {
                // Every line's capped part is scanned.
                assert_eq!(
                    count(&engine, "LOG_OBJECT_NOT_FOUND"),
                    lengths.len() as u64,
                    "{what}"
                );
            }
            assert_eq!(
                fs.notes
                    .iter()
                    .any(|n| n.contains("longer than max_line_bytes")),
                !long.is_empty(),
                "{what}"
            );
        }
    }
}

#[test]
fn the_long_line_warning_names_lines_and_files() {
    let file = |long_lines| FileCoverage {
        path: "a".into(),
        kind: LogKind::Text,
        kind_source: KindSource::Content,
        encoding: crate::logs::model::TextEncoding::Utf8,
        bytes: 0,
        lines: 0,
        first_time: None,
        last_time: None,
        time_basis: crate::logs::model::TimeBasis::None,
        date_order: None,
        mode: ScanMode::Prefilter,
        records_examined: 0,
        records_outside_window: 0,
        records_filtered: 0,
        long_lines,
        lines_with_nul: 0,
        lines_windows_1252: 0,
        parse_problems: 0,
        rotation_family: None,
        notes: Vec::new(),
    };
    assert_eq!(long_line_warning(&[file(0), file(0)], 256), None);
    let w = long_line_warning(&[file(2), file(0), file(5)], 256).unwrap();
    assert!(
        w.starts_with("7 line(s) in 2 file(s) were longer than max_line_bytes (256 bytes)"),
        "{w}"
    );
}

#[test]
fn a_line_without_end_is_bounded() {
    let text = "y".repeat(50_000);
    let settings = Settings {
        chunk: 1024,
        carry_max: 512,
        ..Settings::unfiltered(2048)
    };
    let (_, fs) = scan_text(&text, LogKind::Text, &settings);
    assert_eq!((fs.stats.lines, fs.stats.long_lines), (1, 1));
}

#[test]
fn line_numbers_from_block_counts() {
    let region: Vec<u8> = (0..100_000u32)
        .flat_map(|i| {
            if i % 7 == 0 {
                b"\n".to_vec()
            } else {
                b"x".to_vec()
            }
        })
        .collect();
    let blocks = block_counts(&region);
    for at in [
        0,
        1,
        BLOCK - 1,
        BLOCK,
        BLOCK + 3,
        3 * BLOCK + 17,
        region.len() - 1,
    ] {
        assert_eq!(
            newlines_before(&region, &blocks, at),
            count_newlines(&region[..at]),
            "{at}"
        );
    }
    assert_eq!(*blocks.last().unwrap(), count_newlines(&region));
}

/// Truncates the file it reads after the first read.
struct Shrinking(crate::logs::input::source::FileInput, Option<std::fs::File>);

impl TextInput for Shrinking {
    fn read_text(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read_text(buf)?;
        if let Some(f) = self.1.take() {
            f.set_len(1000).unwrap();
        }
        Ok(n)
    }
    fn bytes_read(&self) -> u64 {
        self.0.bytes_read()
    }
    fn size_hint(&self) -> u64 {
        self.0.size_hint()
    }
    fn shrank(&self) -> bool {
        self.0.shrank()
    }
}

#[test]
fn a_file_truncated_during_the_scan_ends_cleanly() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    use std::io::Write;
    f.write_all(CHAIN.repeat(200).as_bytes()).unwrap();
    f.flush().unwrap();
    let opened = crate::logs::input::source::OpenedFile::open(f.path()).unwrap();
    let input = opened.into_input().unwrap();
    let writer = std::fs::File::options().write(true).open(f.path()).unwrap();
    let mut shrinking = Shrinking(input, Some(writer));
    let set: &'static RuleSet = Box::leak(Box::new(load_without_samples(true, &[]).unwrap()));
    let settings: &'static Settings = Box::leak(Box::new(Settings {
        chunk: 512,
        carry_max: 4096,
        ..Settings::unfiltered(4096)
    }));
    let matchers = Matchers::default();
    let mut engine = Engine::new(set, settings, &matchers, Vec::new());
    let matcher = Arc::new(set.matcher(set.applicable(LogKind::Wgss, "x")));
    let parse = ParseSettings {
        offset: UtcOffset::UTC,
        date_order: DateOrder::YyMmDd,
    };
    let mut fs = FileScan::new(
        Arc::from("x"),
        LogKind::Wgss,
        Parser::new(LogKind::Wgss, parse),
        matcher,
    );
    fs.framing = Framing::Headed;
    engine.run(&mut fs, &mut shrinking).unwrap();
    assert!(shrinking.shrank());
    assert_eq!(shrinking.bytes_read(), 1000);
    assert!(fs.stats.lines < 20, "{}", fs.stats.lines);
}

#[test]
fn cut_points_keep_wgss_records_whole() {
    let data = b"1:(22/03/17 06:13:14.149):a.cpp :0001: x\ncont\n2:(22/03/17 06:13:14.149):a.cpp :0001: y\ncont2\n";
    let cut = cut_point(data, Framing::Headed, 1 << 20);
    assert_eq!(&data[cut..cut + 2], b"2:");
    assert_eq!(cut_point(data, Framing::Lines, 1 << 20), data.len());
    assert_eq!(cut_point(b"no newline", Framing::Lines, 10), 0);
}
