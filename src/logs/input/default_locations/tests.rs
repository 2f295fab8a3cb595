use super::*;
use crate::windows_folders::Environment;

fn folders(vars: &[(&str, &str)], pointer_bits: u32) -> WindowsFolders {
    WindowsFolders::from_env(&Environment::new(vars.iter().copied(), pointer_bits))
}

/// `folder | pattern` of every location, in order.
fn listed(folders: &WindowsFolders, profiles: &[&str]) -> Vec<String> {
    let profiles: Vec<String> = profiles.iter().map(|p| (*p).to_owned()).collect();
    default_locations(folders, &profiles)
        .into_iter()
        .map(|d| format!("{} | {}", d.folder, d.pattern))
        .collect()
}

const NATIVE_64: &[(&str, &str)] = &[
    ("SystemRoot", r"C:\Windows"),
    ("SystemDrive", "C:"),
    ("ProgramData", r"C:\ProgramData"),
    ("ProgramFiles", r"C:\Program Files"),
    ("ProgramFiles(x86)", r"C:\Program Files (x86)"),
    ("ProgramW6432", r"C:\Program Files"),
];

const WOW64: &[(&str, &str)] = &[
    ("SystemRoot", r"C:\Windows"),
    ("SystemDrive", "C:"),
    ("ProgramData", r"C:\ProgramData"),
    ("ProgramFiles", r"C:\Program Files (x86)"),
    ("ProgramFiles(x86)", r"C:\Program Files (x86)"),
    ("ProgramW6432", r"C:\Program Files"),
    ("PROCESSOR_ARCHITEW6432", "AMD64"),
];

/// Every location of a 64-bit install on drive C:, `sys` being how the
/// process names the native System32.
fn expected_64_bit(sys: &str) -> Vec<String> {
    [
        format!(r"C:\Windows\{sys}\config\systemprofile\AppData\Roaming\Nymi | nymi_api*.log*"),
        format!(r"C:\Windows\{sys}\config\systemprofile\AppData\Local\Nymi | nymi_api*.log*"),
        r"C:\Windows\SysWOW64\config\systemprofile\AppData\Roaming\Nymi | nymi_api*.log*".into(),
        r"C:\Windows\SysWOW64\config\systemprofile\AppData\Local\Nymi | nymi_api*.log*".into(),
        r"C:\Users\<user>\AppData\Roaming\Nymi | nymi_api*.log*".into(),
        r"C:\Users\<user>\AppData\Local\Nymi | nymi_api*.log*".into(),
        r"C:\ProgramData\Nymi | nymi_api*.log*".into(),
        r"C:\Nymi | nymi_api*.log*".into(),
        r"C:\ProgramData\Evidian | *wgss*".into(),
        r"C:\ProgramData\One Identity | *wgss*".into(),
        r"C:\Program Files\Evidian | *wgss*".into(),
        r"C:\Program Files\One Identity | *wgss*".into(),
        r"C:\Program Files (x86)\Evidian | *wgss*".into(),
        r"C:\Program Files (x86)\One Identity | *wgss*".into(),
        format!(r"C:\Windows\{sys}\LogFiles\Firewall | pfirewall.log*"),
        r"C:\Windows | pfirewall.log*".into(),
        r"C:\inetpub\logs\LogFiles | {u_ex,ex}*.log".into(),
        format!(r"C:\Windows\{sys}\LogFiles | {{u_ex,ex}}*.log"),
        format!(r"C:\Windows\{sys}\LogFiles\HTTPERR | httperr*.log"),
    ]
    .into_iter()
    .collect()
}

#[test]
fn a_64_bit_process_searches_system32() {
    assert_eq!(
        listed(&folders(NATIVE_64, 64), &[]),
        expected_64_bit("System32")
    );
}

#[test]
fn a_wow64_process_searches_the_native_folders() {
    let got = listed(&folders(WOW64, 32), &[]);
    assert_eq!(got, expected_64_bit("Sysnative"));
    // Nothing is left for the redirection to turn into SysWOW64, and the
    // x86 Program Files is searched once.
    assert!(!got.iter().any(|l| l.contains(r"\System32\")));
    assert_eq!(
        got.iter()
            .filter(|l| l.starts_with(r"C:\Program Files (x86)\Evidian"))
            .count(),
        1
    );
}

#[test]
fn a_wow64_process_with_odd_casing_searches_the_native_folders() {
    let vars: Vec<(String, &str)> = WOW64
        .iter()
        .map(|(k, v)| (k.to_ascii_uppercase(), *v))
        .collect();
    let env = Environment::new(vars, 32);
    let got = listed(&WindowsFolders::from_env(&env), &[]);
    assert_eq!(got, expected_64_bit("Sysnative"));
    let lower = Environment::new(WOW64.iter().map(|(k, v)| (k.to_ascii_lowercase(), *v)), 32);
    assert_eq!(
        listed(&WindowsFolders::from_env(&lower), &[]),
        expected_64_bit("Sysnative")
    );
}

#[test]
fn a_wow64_process_with_no_variables_but_the_marker_still_reads_natively() {
    assert_eq!(
        listed(&folders(&[("PROCESSOR_ARCHITEW6432", "AMD64")], 32), &[]),
        expected_64_bit("Sysnative")
    );
}

#[test]
fn no_variables_in_a_64_bit_process_give_a_default_install() {
    assert_eq!(listed(&folders(&[], 64), &[]), expected_64_bit("System32"));
}

#[test]
fn a_32_bit_process_on_32_bit_windows_has_no_wow64_folders() {
    let got = listed(
        &folders(
            &[
                ("SystemRoot", r"C:\Windows"),
                ("ProgramFiles", r"C:\Program Files"),
            ],
            32,
        ),
        &[],
    );
    assert_eq!(
        got,
        [
            r"C:\Windows\System32\config\systemprofile\AppData\Roaming\Nymi | nymi_api*.log*",
            r"C:\Windows\System32\config\systemprofile\AppData\Local\Nymi | nymi_api*.log*",
            r"C:\Users\<user>\AppData\Roaming\Nymi | nymi_api*.log*",
            r"C:\Users\<user>\AppData\Local\Nymi | nymi_api*.log*",
            r"C:\ProgramData\Nymi | nymi_api*.log*",
            r"C:\Nymi | nymi_api*.log*",
            r"C:\ProgramData\Evidian | *wgss*",
            r"C:\ProgramData\One Identity | *wgss*",
            r"C:\Program Files\Evidian | *wgss*",
            r"C:\Program Files\One Identity | *wgss*",
            r"C:\Windows\System32\LogFiles\Firewall | pfirewall.log*",
            r"C:\Windows | pfirewall.log*",
            r"C:\inetpub\logs\LogFiles | {u_ex,ex}*.log",
            r"C:\Windows\System32\LogFiles | {u_ex,ex}*.log",
            r"C:\Windows\System32\LogFiles\HTTPERR | httperr*.log",
        ]
    );
}

#[test]
fn a_system_root_on_another_drive_moves_every_location() {
    let got = listed(
        &folders(
            &[
                ("SystemRoot", r"D:\WINNT"),
                ("PROCESSOR_ARCHITEW6432", "AMD64"),
            ],
            32,
        ),
        &[],
    );
    assert_eq!(
        got,
        [
            r"D:\WINNT\Sysnative\config\systemprofile\AppData\Roaming\Nymi | nymi_api*.log*",
            r"D:\WINNT\Sysnative\config\systemprofile\AppData\Local\Nymi | nymi_api*.log*",
            r"D:\WINNT\SysWOW64\config\systemprofile\AppData\Roaming\Nymi | nymi_api*.log*",
            r"D:\WINNT\SysWOW64\config\systemprofile\AppData\Local\Nymi | nymi_api*.log*",
            r"D:\Users\<user>\AppData\Roaming\Nymi | nymi_api*.log*",
            r"D:\Users\<user>\AppData\Local\Nymi | nymi_api*.log*",
            r"D:\ProgramData\Nymi | nymi_api*.log*",
            r"D:\Nymi | nymi_api*.log*",
            r"D:\ProgramData\Evidian | *wgss*",
            r"D:\ProgramData\One Identity | *wgss*",
            r"D:\Program Files\Evidian | *wgss*",
            r"D:\Program Files\One Identity | *wgss*",
            r"D:\Program Files (x86)\Evidian | *wgss*",
            r"D:\Program Files (x86)\One Identity | *wgss*",
            r"D:\WINNT\Sysnative\LogFiles\Firewall | pfirewall.log*",
            r"D:\WINNT | pfirewall.log*",
            r"D:\inetpub\logs\LogFiles | {u_ex,ex}*.log",
            r"D:\WINNT\Sysnative\LogFiles | {u_ex,ex}*.log",
            r"D:\WINNT\Sysnative\LogFiles\HTTPERR | httperr*.log",
        ]
    );
}

#[test]
fn found_profiles_replace_the_placeholder() {
    let got = listed(&folders(WOW64, 32), &[r"C:\Users\alice", r"C:\Users\bob"]);
    let users: Vec<&String> = got.iter().filter(|l| l.contains(r"\Users\")).collect();
    assert_eq!(
        users,
        [
            r"C:\Users\alice\AppData\Roaming\Nymi | nymi_api*.log*",
            r"C:\Users\alice\AppData\Local\Nymi | nymi_api*.log*",
            r"C:\Users\bob\AppData\Roaming\Nymi | nymi_api*.log*",
            r"C:\Users\bob\AppData\Local\Nymi | nymi_api*.log*",
        ]
    );
}

#[test]
fn purposes_and_depths_follow_the_pattern() {
    for d in default_locations(&folders(WOW64, 32), &[]) {
        let (purpose, depth) = match d.pattern {
            API => (API_PURPOSE, APP_DEPTH),
            WGSS => (WGSS_PURPOSE, APP_DEPTH),
            "pfirewall.log*" if d.folder.ends_with("Firewall") => ("Windows Firewall log", 0),
            "pfirewall.log*" => ("Windows Firewall log (XP/2003 location)", 0),
            "{u_ex,ex}*.log" if d.folder.contains("inetpub") => ("IIS logs (NES server)", 1),
            "{u_ex,ex}*.log" => ("IIS 6 logs (NES server)", 1),
            "httperr*.log" => ("HTTP.sys errors (NES server)", 0),
            other => panic!("unexpected pattern {other}"),
        };
        assert_eq!((d.purpose, d.depth), (purpose, depth), "{}", d.folder);
    }
}

#[test]
fn profiles_are_listed_only_on_windows() {
    if !cfg!(windows) {
        assert!(user_profiles(&folders(&[], 64)).is_empty());
    }
}
