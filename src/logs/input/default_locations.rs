//! The usual Nymi, Evidian, firewall and IIS log locations, as this
//! process must name them to read the native folders.
//!
//! The folders come from [`WindowsFolders`], the decision key-store
//! discovery uses too: in a 32-bit process on 64-bit Windows (Intune's
//! default host) every folder under `System32` is named through
//! `Sysnative`, and the native Program Files through `%ProgramW6432%`, so
//! the report's searched locations show the folder actually read.
//! `System32\LogFiles` is exempt from the WOW64 redirection, but it is
//! named through `Sysnative` as well, so that one rule holds for every
//! native `System32` folder. The LocalSystem profile under `SysWOW64` is
//! searched too, where a 32-bit program running as SYSTEM writes.

use crate::windows_folders::WindowsFolders;

const API: &str = "nymi_api*.log*";
const API_PURPOSE: &str = "nymi_api.log (Nymi API of the NEAs)";
const WGSS: &str = "*wgss*";
const WGSS_PURPOSE: &str = "Evidian WGSS (Nymi) trace";
/// Folder depth searched below a Nymi or Evidian folder: the brief does
/// not know their exact layout.
const APP_DEPTH: usize = 6;

/// One default location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DefaultLocation {
    pub(crate) folder: String,
    pub(crate) pattern: &'static str,
    pub(crate) purpose: &'static str,
    /// Folder levels searched below `folder`.
    pub(crate) depth: usize,
}

impl DefaultLocation {
    fn new(folder: String, pattern: &'static str, purpose: &'static str, depth: usize) -> Self {
        DefaultLocation {
            folder,
            pattern,
            purpose,
            depth,
        }
    }
}

/// The users' profile folders under `%SystemDrive%\Users`, listed on
/// Windows only (elsewhere the folder cannot exist).
pub(crate) fn user_profiles(folders: &WindowsFolders) -> Vec<String> {
    let mut profiles = Vec::new();
    if cfg!(windows)
        && let Ok(entries) = std::fs::read_dir(users_folder(folders))
    {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                profiles.push(e.path().display().to_string());
            }
        }
    }
    profiles.sort();
    profiles
}

fn users_folder(folders: &WindowsFolders) -> String {
    format!(r"{}\Users", folders.system_drive)
}

/// The default locations, in the order they are searched. Without
/// `profiles` one placeholder profile (`<user>`) is listed, so that the
/// report still says where users' logs are looked for.
pub(crate) fn default_locations(
    folders: &WindowsFolders,
    profiles: &[String],
) -> Vec<DefaultLocation> {
    let mut v = Vec::new();
    for system in folders.system_profiles() {
        for sub in [r"AppData\Roaming\Nymi", r"AppData\Local\Nymi"] {
            v.push(DefaultLocation::new(
                format!(r"{system}\{sub}"),
                API,
                API_PURPOSE,
                APP_DEPTH,
            ));
        }
    }
    let placeholder = [format!(r"{}\<user>", users_folder(folders))];
    let profiles = if profiles.is_empty() {
        &placeholder[..]
    } else {
        profiles
    };
    for p in profiles {
        for sub in [r"AppData\Roaming\Nymi", r"AppData\Local\Nymi"] {
            v.push(DefaultLocation::new(
                format!(r"{p}\{sub}"),
                API,
                API_PURPOSE,
                APP_DEPTH,
            ));
        }
    }
    let drive = &folders.system_drive;
    for folder in [
        format!(r"{}\Nymi", folders.program_data),
        format!(r"{drive}\Nymi"),
    ] {
        v.push(DefaultLocation::new(folder, API, API_PURPOSE, APP_DEPTH));
    }
    // Evidian may install 32-bit or 64-bit: both Program Files folders.
    let mut bases = vec![folders.program_data.as_str()];
    bases.extend(folders.program_files_folders());
    for base in bases {
        for vendor in ["Evidian", "One Identity"] {
            v.push(DefaultLocation::new(
                format!(r"{base}\{vendor}"),
                WGSS,
                WGSS_PURPOSE,
                APP_DEPTH,
            ));
        }
    }
    let system32 = folders.native_system32();
    let root = &folders.system_root;
    v.push(DefaultLocation::new(
        format!(r"{system32}\LogFiles\Firewall"),
        "pfirewall.log*",
        "Windows Firewall log",
        0,
    ));
    v.push(DefaultLocation::new(
        root.clone(),
        "pfirewall.log*",
        "Windows Firewall log (XP/2003 location)",
        0,
    ));
    v.extend(nes_server_locations(folders));
    v
}

/// The NES server's IIS and HTTP.sys error log folders (every site's
/// `W3SVC*` folder one level down), also the default of the NES client
/// report.
pub(crate) fn nes_server_locations(folders: &WindowsFolders) -> Vec<DefaultLocation> {
    let drive = &folders.system_drive;
    let system32 = folders.native_system32();
    vec![
        DefaultLocation::new(
            format!(r"{drive}\inetpub\logs\LogFiles"),
            "{u_ex,ex}*.log",
            "IIS logs (NES server)",
            1,
        ),
        DefaultLocation::new(
            format!(r"{system32}\LogFiles"),
            "{u_ex,ex}*.log",
            "IIS 6 logs (NES server)",
            1,
        ),
        DefaultLocation::new(
            format!(r"{system32}\LogFiles\HTTPERR"),
            "httperr*.log",
            "HTTP.sys errors (NES server)",
            0,
        ),
    ]
}

#[cfg(test)]
mod tests;
