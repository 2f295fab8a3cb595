//! Rule-pack cost caps: each limit exceeded is a request error naming the
//! limit and the pack; the most expensive pack within the limits scans a
//! few megabytes of text and ends.

mod support;

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nymidiag::Error;
use nymidiag::logs::{KindChoice, LogScanRequest, RuleListRequest, list_rules, try_log_scan};
use support::logs::write;

/// One rule with literals `lits` (none: a slow rule), an optional regex,
/// and samples that fit.
fn rule(id: &str, lits: &[String], regex: Option<&str>, sample: &str) -> String {
    let mut r = format!(
        "[[rule]]\nid = \"{id}\"\ntitle = \"t\"\nseverity = \"info\"\nkinds = [\"text\"]\n"
    );
    if lits.is_empty() {
        r.push_str("slow = true\n");
    } else {
        let quoted: Vec<String> = lits.iter().map(|l| format!("'{l}'")).collect();
        r.push_str(&format!("literals = [{}]\n", quoted.join(", ")));
    }
    if let Some(re) = regex {
        r.push_str(&format!("regex = '''{re}'''\n"));
    }
    r.push_str(&format!(
        "[rule.samples]\nkind = \"text\"\npositive = ['{sample}']\nnegative = ['zzz']\n\n"
    ));
    r
}

fn pack(name: &str, rules: &[String]) -> String {
    format!(
        "[pack]\nname = \"{name}\"\nversion = \"1\"\n\n{}",
        rules.concat()
    )
}

fn simple_rules(prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let lit = format!("{prefix}LIT{i}X");
            rule(
                &format!("{prefix}_R{i}"),
                std::slice::from_ref(&lit),
                None,
                &format!("{lit} y"),
            )
        })
        .collect()
}

/// The error of listing the rules of `packs` (written to `dir`).
fn load_error(dir: &Path, packs: &[String]) -> String {
    let paths: Vec<String> = packs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            write(dir, &format!("pack{i}.toml"), p.as_bytes())
                .display()
                .to_string()
        })
        .collect();
    match list_rules(&RuleListRequest {
        rule_paths: paths,
        ..Default::default()
    }) {
        Err(Error::RequestInvalid { path, message }) => format!("{path}: {message}"),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("the packs loaded"),
    }
}

#[test]
fn each_cap_exceeded_names_its_limit_and_pack() {
    let dir = tempfile::tempdir().unwrap();
    let long_lit = "L".repeat(257);
    let many_lits: Vec<String> = (0..65).map(|i| format!("M{i}X")).collect();
    let big_lits = |r: usize| -> Vec<String> {
        (0..60)
            .map(|i| format!("{r:03}{i:02}{}", "q".repeat(150)))
            .collect()
    };
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "rules per pack",
            vec![pack("big", &simple_rules("A", 501))],
            "limit rules per pack",
        ),
        (
            "rules in total",
            vec![
                pack("one", &simple_rules("B", 300)),
                pack("two", &simple_rules("C", 301)),
            ],
            "limit rules in total",
        ),
        (
            "literal count",
            vec![pack("lits", &[rule("D_R", &many_lits, None, "M1X")])],
            "more than 64 literals",
        ),
        (
            "literal length",
            vec![pack(
                "lits",
                &[rule(
                    "E_R",
                    std::slice::from_ref(&long_lit),
                    None,
                    &long_lit,
                )],
            )],
            "literals must be 1..=256 characters",
        ),
        (
            "regex source",
            vec![pack(
                "re",
                &[rule(
                    "F_R",
                    &["FX".to_owned()],
                    Some(&format!("FX{}", "a?".repeat(2100))),
                    "FX",
                )],
            )],
            "limit regex source size",
        ),
        (
            "compiled regex",
            vec![pack(
                "re",
                &[rule("G_R", &["GX".to_owned()], Some(r"GX\w{3000}"), "GX")],
            )],
            "limit compiled regex size",
        ),
        (
            "slow rules",
            vec![pack(
                "slow",
                &(0..21)
                    .map(|i| {
                        rule(
                            &format!("H_R{i}"),
                            &[],
                            Some(&format!("^slow{i}$")),
                            &format!("slow{i}"),
                        )
                    })
                    .collect::<Vec<_>>(),
            )],
            "limit slow rules",
        ),
        (
            "literals in total",
            vec![pack(
                "lits",
                &(0..140)
                    .map(|r| {
                        let l = big_lits(r);
                        rule(&format!("I_R{r}"), &l, None, &l[0])
                    })
                    .collect::<Vec<_>>(),
            )],
            "limit literals in total",
        ),
    ];
    for (what, packs, expected) in cases {
        let message = load_error(dir.path(), &packs);
        assert!(message.contains(expected), "{what}: {message}");
        assert!(message.contains("rule_paths["), "{what}: {message}");
        assert!(message.contains("pack"), "{what}: {message}");
    }
}

#[test]
fn the_largest_allowed_pack_scans_megabytes_and_ends() {
    let dir = tempfile::tempdir().unwrap();
    // 480 rules sharing a literal found on every line, each with a regex
    // that matches and captures, plus the 20 slow rules allowed.
    let mut rules: Vec<String> = (0..480)
        .map(|i| {
            rule(
                &format!("W_R{i}"),
                &["ev".to_owned()],
                Some(&format!(r"(?P<a>ev\w*) (?P<b{i}>\w+) (?P<c>\d+)")),
                "event abc 12",
            )
        })
        .collect();
    rules.extend((0..20).map(|i| {
        rule(
            &format!("W_S{i}"),
            &[],
            Some(&format!(r"(?P<s>\w+) {i}\d*$")),
            &format!("x {i}"),
        )
    }));
    let pack = write(dir.path(), "worst.toml", pack("worst", &rules).as_bytes());
    let mut text = String::new();
    let mut n = 0u64;
    // 1 MiB by default (debug builds run the regexes unoptimised);
    // `NYMIDIAG_WORST_MIB=14` measures a 14 MiB log.
    let mib: usize = std::env::var("NYMIDIAG_WORST_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    while text.len() < mib << 20 {
        text.push_str(&format!(
            "event{n} user{n} {n} token=Qz7Kp{n} password: hunter{n} done {}\n",
            n % 97
        ));
        n += 1;
    }
    let log = write(dir.path(), "big.log", text.as_bytes());
    let req = LogScanRequest {
        paths: vec![log.display().to_string()],
        rule_paths: vec![pack.display().to_string()],
        kind: KindChoice::Text,
        ..Default::default()
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let started = Instant::now();
        let report = try_log_scan(&req).expect("the pack is within the caps");
        let json = serde_json::to_vec(&report).unwrap();
        tx.send((started.elapsed(), report.data.hits.len(), json))
            .unwrap();
    });
    let (took, hits, json) = rx
        .recv_timeout(Duration::from_secs(600 * mib as u64))
        .expect("the scan ends");
    eprintln!(
        "worst-case pack: {} MiB, {n} lines, 500 rules: {:.1} s, {hits} rules hit, report {} bytes",
        text.len() >> 20,
        took.as_secs_f64(),
        json.len()
    );
    assert!(hits >= 480, "{hits}");
    let json = String::from_utf8(json).unwrap();
    assert!(!json.contains("hunter1"), "a secret reached the report");
}
