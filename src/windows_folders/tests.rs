use super::*;

fn folders(vars: &[(&str, &str)], pointer_bits: u32) -> WindowsFolders {
    WindowsFolders::from_env(&Environment::new(vars.iter().copied(), pointer_bits))
}

/// What a 64-bit process sees on a default 64-bit install.
const NATIVE_64: &[(&str, &str)] = &[
    ("SystemRoot", r"C:\Windows"),
    ("windir", r"C:\Windows"),
    ("SystemDrive", "C:"),
    ("ProgramData", r"C:\ProgramData"),
    ("ProgramFiles", r"C:\Program Files"),
    ("ProgramFiles(x86)", r"C:\Program Files (x86)"),
    ("ProgramW6432", r"C:\Program Files"),
    ("PROCESSOR_ARCHITECTURE", "AMD64"),
];

/// What a 32-bit process (Intune's default host) sees on the same install.
const WOW64: &[(&str, &str)] = &[
    ("SystemRoot", r"C:\Windows"),
    ("windir", r"C:\Windows"),
    ("SystemDrive", "C:"),
    ("ProgramData", r"C:\ProgramData"),
    ("ProgramFiles", r"C:\Program Files (x86)"),
    ("ProgramFiles(x86)", r"C:\Program Files (x86)"),
    ("ProgramW6432", r"C:\Program Files"),
    ("PROCESSOR_ARCHITECTURE", "x86"),
    ("PROCESSOR_ARCHITEW6432", "AMD64"),
];

/// What a process sees on 32-bit Windows: no x86 folder, no ProgramW6432.
const NATIVE_32: &[(&str, &str)] = &[
    ("SystemRoot", r"C:\Windows"),
    ("SystemDrive", "C:"),
    ("ProgramData", r"C:\ProgramData"),
    ("ProgramFiles", r"C:\Program Files"),
    ("PROCESSOR_ARCHITECTURE", "x86"),
];

#[test]
fn a_64_bit_process_reads_system32_and_both_program_files() {
    let f = folders(NATIVE_64, 64);
    assert_eq!(f.kind, ProcessKind::Native64);
    assert_eq!(f.native_system32(), r"C:\Windows\System32");
    assert_eq!(f.syswow64().as_deref(), Some(r"C:\Windows\SysWOW64"));
    assert_eq!(
        f.system_profiles(),
        [
            r"C:\Windows\System32\config\systemprofile",
            r"C:\Windows\SysWOW64\config\systemprofile",
        ]
    );
    assert_eq!(
        f.program_files_folders(),
        [r"C:\Program Files", r"C:\Program Files (x86)"]
    );
    assert_eq!(f.program_data, r"C:\ProgramData");
    assert_eq!(f.system_drive, "C:");
}

#[test]
fn a_wow64_process_reads_sysnative_and_program_w6432() {
    let f = folders(WOW64, 32);
    assert_eq!(f.kind, ProcessKind::Wow64);
    assert_eq!(f.native_system32(), r"C:\Windows\Sysnative");
    assert_eq!(f.syswow64().as_deref(), Some(r"C:\Windows\SysWOW64"));
    assert_eq!(
        f.system_profiles(),
        [
            r"C:\Windows\Sysnative\config\systemprofile",
            r"C:\Windows\SysWOW64\config\systemprofile",
        ]
    );
    // Its own %ProgramFiles% is the x86 folder: searched once, second.
    assert_eq!(
        f.program_files_folders(),
        [r"C:\Program Files", r"C:\Program Files (x86)"]
    );
}

#[test]
fn a_32_bit_process_on_arm64_windows_is_wow64_too() {
    let mut vars = WOW64.to_vec();
    vars.retain(|(k, _)| *k != "PROCESSOR_ARCHITEW6432");
    vars.push(("PROCESSOR_ARCHITEW6432", "ARM64"));
    assert_eq!(folders(&vars, 32).kind, ProcessKind::Wow64);
}

#[test]
fn a_32_bit_process_on_32_bit_windows_has_one_of_each() {
    let f = folders(NATIVE_32, 32);
    assert_eq!(f.kind, ProcessKind::Native32);
    assert_eq!(f.native_system32(), r"C:\Windows\System32");
    assert_eq!(f.syswow64(), None);
    assert_eq!(
        f.system_profiles(),
        [r"C:\Windows\System32\config\systemprofile"]
    );
    assert_eq!(f.program_files_folders(), [r"C:\Program Files"]);
}

#[test]
fn a_64_bit_process_ignores_an_inherited_wow64_marker() {
    // A 64-bit child of a 32-bit process can inherit its environment.
    let f = folders(WOW64, 64);
    assert_eq!(f.kind, ProcessKind::Native64);
    assert_eq!(f.native_system32(), r"C:\Windows\System32");
    assert_eq!(f.program_files, r"C:\Program Files");
}

#[test]
fn names_compare_without_case() {
    let f = folders(
        &[
            ("SYSTEMROOT", r"C:\Windows"),
            ("systemdrive", "C:"),
            ("programdata", r"C:\ProgramData"),
            ("PROGRAMFILES", r"C:\Program Files (x86)"),
            ("programfiles(X86)", r"C:\Program Files (x86)"),
            ("PROGRAMW6432", r"C:\Program Files"),
            ("processor_architew6432", "AMD64"),
        ],
        32,
    );
    assert_eq!(f.kind, ProcessKind::Wow64);
    assert_eq!(f.native_system32(), r"C:\Windows\Sysnative");
    assert_eq!(
        f.program_files_folders(),
        [r"C:\Program Files", r"C:\Program Files (x86)"]
    );
}

#[test]
fn a_wow64_process_without_program_w6432_never_takes_the_x86_folder_as_native() {
    let mut vars = WOW64.to_vec();
    vars.retain(|(k, _)| *k != "ProgramW6432" && *k != "ProgramFiles(x86)");
    let f = folders(&vars, 32);
    assert_eq!(
        f.program_files_folders(),
        [r"C:\Program Files", r"C:\Program Files (x86)"]
    );
}

#[test]
fn no_variables_give_a_default_install() {
    let f = folders(&[], 64);
    assert_eq!(f.kind, ProcessKind::Native64);
    assert_eq!(f.system_root, r"C:\Windows");
    assert_eq!(f.system_drive, "C:");
    assert_eq!(f.program_data, r"C:\ProgramData");
    assert_eq!(
        f.program_files_folders(),
        [r"C:\Program Files", r"C:\Program Files (x86)"]
    );

    let f = folders(&[], 32);
    assert_eq!(f.kind, ProcessKind::Native32);
    assert_eq!(f.native_system32(), r"C:\Windows\System32");
    assert_eq!(f.program_files_folders(), [r"C:\Program Files"]);

    let f = folders(&[("PROCESSOR_ARCHITEW6432", "AMD64")], 32);
    assert_eq!(f.native_system32(), r"C:\Windows\Sysnative");
    assert_eq!(
        f.program_files_folders(),
        [r"C:\Program Files", r"C:\Program Files (x86)"]
    );
}

#[test]
fn blank_values_count_as_unset() {
    let f = folders(
        &[
            ("SystemRoot", "  "),
            ("windir", r"C:\Windows"),
            ("ProgramW6432", ""),
            ("ProgramFiles", r"C:\Program Files (x86)"),
            ("PROCESSOR_ARCHITEW6432", " "),
        ],
        32,
    );
    assert_eq!(f.system_root, r"C:\Windows");
    assert_eq!(f.kind, ProcessKind::Native32);
    assert_eq!(f.program_files, r"C:\Program Files (x86)");
}

#[test]
fn a_system_root_on_another_drive_moves_the_fallbacks_with_it() {
    let f = folders(
        &[
            ("SystemRoot", r"D:\WINNT\"),
            ("PROCESSOR_ARCHITEW6432", "AMD64"),
        ],
        32,
    );
    assert_eq!(f.system_root, r"D:\WINNT");
    assert_eq!(f.system_drive, "D:");
    assert_eq!(f.native_system32(), r"D:\WINNT\Sysnative");
    assert_eq!(
        f.system_profiles(),
        [
            r"D:\WINNT\Sysnative\config\systemprofile",
            r"D:\WINNT\SysWOW64\config\systemprofile",
        ]
    );
    assert_eq!(f.program_data, r"D:\ProgramData");
    assert_eq!(
        f.program_files_folders(),
        [r"D:\Program Files", r"D:\Program Files (x86)"]
    );
}

#[test]
fn windir_stands_in_for_system_root_and_system_drive_wins_for_the_rest() {
    let f = folders(&[("windir", r"D:\WINNT"), ("SystemDrive", r"E:\")], 64);
    assert_eq!(f.system_root, r"D:\WINNT");
    assert_eq!(f.system_drive, "E:");
    assert_eq!(f.program_data, r"E:\ProgramData");
    let f = folders(&[("SystemDrive", "E:")], 64);
    assert_eq!(f.system_root, r"E:\Windows");
}

#[test]
fn one_folder_given_for_both_program_files_is_searched_once() {
    let f = folders(
        &[
            ("ProgramFiles", r"C:\Program Files"),
            ("ProgramFiles(x86)", r"c:\program files\"),
        ],
        64,
    );
    assert_eq!(f.program_files_folders(), [r"C:\Program Files"]);
}

#[test]
fn other_platforms_list_a_default_64_bit_install() {
    if !cfg!(windows) {
        assert_eq!(WindowsFolders::of_platform(), folders(&[], 64));
    }
}
