//! Address filters on shared logs: NES IIS logs with several clients
//! (IPv4, IPv6, IPv4-mapped, with and without X-Forwarded-For behind a
//! load balancer) and firewall logs with drops to the NES, to an unrelated
//! server and from other clients. Each filter combination keeps exactly
//! this terminal's records, whatever the spelling of the addresses.

mod support;

use std::path::Path;

use nymidiag::ReportStatus;
use nymidiag::logs::{KindChoice, LogScanRequest};
use support::logs::{count, request, scan, write};

const A: &str = "10.30.4.77"; // this terminal
const A6: &str = "2001:db8::77"; // this terminal over IPv6
const C: &str = "10.30.9.12"; // another client
const D_MAPPED: &str = "::ffff:10.30.4.78"; // a client IIS logs IPv4-mapped
const LB: &str = "10.0.0.5"; // load balancer in front of NES
const NES: &str = "10.20.0.15";
const NES6: &str = "2001:db8::15";
const OTHER: &str = "10.99.0.1"; // an unrelated server

const IIS_FIELDS: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

fn iis_line(i: usize, client: &str, xff: Option<&str>) -> String {
    let mut line = format!(
        "2024-05-02 07:{:02}:{:02} {NES} GET /nes/api - 443 - {client} - - 401 1 2148074254 15",
        i / 60 % 60,
        i % 60
    );
    if let Some(x) = xff {
        line.push(' ');
        line.push_str(x);
    }
    line.push('\n');
    line
}

/// A direct IIS log: A 3 times, A6 4, C 5, D 2.
fn iis_direct() -> String {
    let mut out =
        format!("#Software: Microsoft Internet Information Services 10.0\n#Fields: {IIS_FIELDS}\n");
    let mut i = 0;
    for (client, n) in [(A, 3), (A6, 4), (C, 5), (D_MAPPED, 2)] {
        for _ in 0..n {
            out.push_str(&iis_line(i, client, None));
            i += 1;
        }
    }
    out
}

/// An IIS log behind the load balancer: c-ip is always LB; the
/// forwarded-for field names A 6 times, A6 (bracketed, with port) twice,
/// C 7 times, and is empty once.
fn iis_balanced(field: &str) -> String {
    let mut out = format!(
        "#Software: Microsoft Internet Information Services 10.0\n#Fields: {IIS_FIELDS} {field}\n"
    );
    let mut i = 0;
    for (xff, n) in [
        (format!("{A},+{LB}"), 6),
        (format!("[{A6}]:51514"), 2),
        (format!("{C}:50123,+10.0.0.9"), 7),
        ("-".to_owned(), 1),
    ] {
        for _ in 0..n {
            out.push_str(&iis_line(i, LB, Some(&xff)));
            i += 1;
        }
    }
    out
}

fn fw_line(action: &str, src: &str, dst: &str, path: &str) -> String {
    format!("2024-05-02 09:41:08 {action} TCP {src} {dst} 51514 443 0 - 0 0 0 - - - {path}\n")
}

/// A firewall log: A->NES 5 drops, A->OTHER 4, C->NES 5, C->OTHER 6,
/// NES->A 1 allow, A6->NES6 2 drops.
fn firewall() -> String {
    let mut out = String::from(
        "#Version: 1.5\n#Software: Microsoft Windows Firewall\n#Time Format: Local\n\
         #Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path\n",
    );
    for (action, src, dst, path, n) in [
        ("DROP", A, NES, "SEND", 3),
        ("DROP", A, NES, "RECEIVE", 2),
        ("DROP", A, OTHER, "SEND", 4),
        ("DROP", C, NES, "RECEIVE", 5),
        ("DROP", C, OTHER, "SEND", 6),
        ("ALLOW", NES, A, "SEND", 1),
        ("DROP", A6, NES6, "SEND", 2),
    ] {
        for _ in 0..n {
            out.push_str(&fw_line(action, src, dst, path));
        }
    }
    out
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// Records that passed the filters, over all files of the report.
fn passed(req: &LogScanRequest) -> (u64, nymidiag::Report<nymidiag::logs::LogScanData>) {
    let report = scan(req);
    assert_ne!(report.status, ReportStatus::Error, "{:?}", report.warnings);
    let n = report
        .data
        .files
        .iter()
        .map(|f| f.records_examined - f.records_filtered)
        .sum();
    (n, report)
}

/// `client_address`, `client_addresses`, `remote_addresses`, records kept.
type IisCase = (
    Option<&'static str>,
    Vec<&'static str>,
    Vec<&'static str>,
    u64,
);

#[test]
fn iis_records_count_only_for_the_given_clients() {
    let dir = tempfile::tempdir().unwrap();
    for field in ["cs(X-Forwarded-For)", "X-Forwarded-For"] {
        let direct = write(dir.path(), "u_ex240502.log", iis_direct().as_bytes());
        let balanced = write(dir.path(), "u_ex240503.log", iis_balanced(field).as_bytes());
        let base = LogScanRequest {
            kind: KindChoice::Iis,
            ..request(&[direct.as_path(), balanced.as_path()])
        };
        // (client_address, client_addresses, remote_addresses, records kept)
        let cases: Vec<IisCase> = vec![
            (None, vec![], vec![], 14 + 16),
            (Some(A), vec![], vec![], 3 + 6),
            (Some("::ffff:10.30.4.77"), vec![], vec![], 9),
            (None, vec!["::FFFF:0a1e:044d"], vec![], 9),
            (None, vec![" 10.30.4.77 "], vec![], 9),
            (None, vec!["2001:0db8:0:0:0:0:0:77"], vec![], 4 + 2),
            (None, vec!["[2001:db8::77%3]"], vec![], 6),
            (None, vec!["10.30.4.78"], vec![], 2),
            (Some(A), vec![A6], vec![], 15),
            (None, vec![A, A6, A, "::ffff:10.30.4.77"], vec![], 15),
            (None, vec![C], vec![], 5 + 7),
            (None, vec![LB], vec![], 1),
            (None, vec!["10.30.4.99"], vec![], 0),
            // Remote addresses do not filter IIS requests.
            (None, vec![], vec![OTHER], 30),
            (Some(A), vec![], vec![OTHER], 9),
        ];
        for (one, many, remote, want) in cases {
            let req = LogScanRequest {
                client_address: one.map(str::to_owned),
                client_addresses: strings(&many),
                remote_addresses: strings(&remote),
                ..base.clone()
            };
            let (n, report) = passed(&req);
            assert_eq!(n, want, "{field}: {one:?} {many:?} {remote:?}");
            // Every kept record is a Kerberos failure of one client; the
            // rule needs two within a minute from the same c-ip.
            if want == 0 {
                assert_eq!(count(&report, "IIS_KERBEROS_FAILURE"), 0);
            }
        }
    }
}

#[test]
fn firewall_lines_count_only_between_the_given_ends() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "pfirewall.log", firewall().as_bytes());
    let base = LogScanRequest {
        kind: KindChoice::Firewall,
        ..request(&[Path::new(&path)])
    };
    // (clients, remotes, lines kept, FIREWALL_DROP_NES hits)
    let cases: Vec<(Vec<&str>, Vec<&str>, u64, u64)> = vec![
        (vec![], vec![], 23, 22),
        (vec![A], vec![], 10, 9),
        (vec!["::ffff:10.30.4.77"], vec![], 10, 9),
        (vec![], vec![NES], 11, 10),
        (vec![], vec!["0:0:0:0:0:ffff:a14:f"], 11, 10),
        (vec![A], vec![NES], 6, 5),
        (vec![" 10.30.4.77"], vec!["10.20.0.15 "], 6, 5),
        (vec![A, A6], vec![NES, "2001:db8:0::15"], 8, 7),
        (vec!["[2001:db8::77%eth0]"], vec![], 2, 2),
        (vec![C], vec![NES], 5, 5),
        (vec![C], vec![], 11, 11),
        (vec![A], vec![OTHER], 4, 4),
        (vec![OTHER], vec![A], 4, 4),
        (vec!["10.30.4.99"], vec![NES], 0, 0),
    ];
    for (clients, remotes, want, drops) in cases {
        // The singular fields join the lists.
        for split in [false, true] {
            let req = if split && !clients.is_empty() && !remotes.is_empty() {
                LogScanRequest {
                    client_address: Some(clients[0].to_owned()),
                    client_addresses: strings(&clients[1..]),
                    remote_address: Some(remotes[0].to_owned()),
                    remote_addresses: strings(&remotes[1..]),
                    ..base.clone()
                }
            } else {
                LogScanRequest {
                    client_addresses: strings(&clients),
                    remote_addresses: strings(&remotes),
                    ..base.clone()
                }
            };
            let (n, report) = passed(&req);
            assert_eq!(n, want, "{clients:?} {remotes:?}");
            assert_eq!(
                count(&report, "FIREWALL_DROP_NES"),
                drops,
                "{clients:?} {remotes:?}"
            );
        }
    }
}

#[test]
fn an_invalid_address_names_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "pfirewall.log", firewall().as_bytes());
    for (req, field) in [
        (
            LogScanRequest {
                client_addresses: strings(&[A, "terminal7"]),
                ..request(&[Path::new(&path)])
            },
            "client_addresses[1]",
        ),
        (
            LogScanRequest {
                remote_addresses: strings(&["10.20.0.256"]),
                ..request(&[Path::new(&path)])
            },
            "remote_addresses[0]",
        ),
        (
            LogScanRequest {
                remote_address: Some("nes.corp.example".into()),
                ..request(&[Path::new(&path)])
            },
            "remote_address",
        ),
    ] {
        let report = nymidiag::logs::log_scan(&req);
        assert_eq!(report.status, ReportStatus::Error, "{field}");
        assert!(
            report.warnings.iter().any(|w| w.contains(field)),
            "{field}: {:?}",
            report.warnings
        );
    }
}
