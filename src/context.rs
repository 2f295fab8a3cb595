//! Where and as whom the library runs: the `context` of every report.
//!
//! Only what is portable and cheap is gathered here. Facts that need Windows
//! APIs (elevation, the OS build) are added by the PowerShell layer, which
//! has them for free; those fields stay `null` when the library alone cannot
//! know them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The machine, account and process a report was produced in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// Host name.
    pub host: String,
    /// Account name (`DOMAIN\user` on Windows, the login name elsewhere).
    pub user: String,
    /// Whether the process runs as LocalSystem (Intune and GPO run there);
    /// `null` where the library cannot tell.
    pub is_system: Option<bool>,
    /// Whether the process is elevated (administrator or root); `null` where
    /// the library cannot tell.
    pub is_elevated: Option<bool>,
    /// Operating system family: `windows`, `linux`, `macos`.
    pub os: String,
    /// Operating system name and version, where known.
    pub os_version: Option<String>,
    /// Processor architecture the library was built for: `x86`, `x86_64`,
    /// `aarch64`.
    pub arch: String,
    /// Pointer width of the process: 32 or 64 (32-bit powershell.exe is
    /// Intune's default host).
    pub process_bits: u32,
    /// Process id.
    pub pid: u32,
    /// Library version.
    pub tool_version: String,
    /// C ABI version of the library.
    pub abi_version: u32,
    /// What called the library, as the caller said (for example
    /// `NymiDiag 0.1.0; PowerShell 5.1.19041 Desktop`).
    pub caller: Option<String>,
}

impl Context {
    /// Gathers the context of the current process.
    pub fn gather() -> Self {
        let identity = platform::identity();
        Context {
            host: gethostname::gethostname().to_string_lossy().into_owned(),
            user: identity.user,
            is_system: identity.is_system,
            is_elevated: identity.is_elevated,
            os: std::env::consts::OS.to_owned(),
            os_version: platform::os_version(),
            arch: std::env::consts::ARCH.to_owned(),
            process_bits: usize::BITS,
            pid: std::process::id(),
            tool_version: crate::TOOL_VERSION.to_owned(),
            abi_version: crate::ABI_VERSION,
            caller: None,
        }
    }
}

/// Who the process runs as.
#[derive(Debug)]
struct Identity {
    user: String,
    is_system: Option<bool>,
    is_elevated: Option<bool>,
}

#[cfg(windows)]
mod platform {
    use super::Identity;

    /// From the environment only: LocalSystem's `USERNAME` is the computer
    /// account (`NAME$`). Elevation needs a token query, which the
    /// PowerShell layer does with `WindowsPrincipal`.
    pub(super) fn identity() -> Identity {
        let name = std::env::var("USERNAME").unwrap_or_default();
        let domain = std::env::var("USERDOMAIN").unwrap_or_default();
        let user = match (domain.is_empty(), name.is_empty()) {
            (_, true) => "unknown".to_owned(),
            (true, false) => name.clone(),
            (false, false) => format!("{domain}\\{name}"),
        };
        Identity {
            user,
            is_system: (!name.is_empty()).then(|| name.ends_with('$')),
            is_elevated: None,
        }
    }

    /// Filled by the PowerShell layer, which reads it without extra APIs.
    pub(super) fn os_version() -> Option<String> {
        None
    }
}

#[cfg(not(windows))]
mod platform {
    use super::Identity;

    /// Reads the effective uid from `/proc/self/status` (no `unsafe`
    /// outside the C boundary) and its name from `/etc/passwd`.
    pub(super) fn identity() -> Identity {
        let euid = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| effective_uid(&s));
        let from_passwd = euid.and_then(|uid| {
            std::fs::read_to_string("/etc/passwd")
                .ok()
                .and_then(|p| user_name(&p, uid))
        });
        let user = from_passwd
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("LOGNAME").ok())
            .unwrap_or_else(|| "unknown".to_owned());
        Identity {
            user,
            // LocalSystem does not exist here.
            is_system: Some(false),
            is_elevated: euid.map(|uid| uid == 0),
        }
    }

    pub(super) fn os_version() -> Option<String> {
        let release = std::fs::read_to_string("/etc/os-release").ok()?;
        release.lines().find_map(|line| {
            let value = line.strip_prefix("PRETTY_NAME=")?;
            Some(value.trim_matches('"').to_owned())
        })
    }

    /// The second number of the `Uid:` line is the effective uid.
    pub(super) fn effective_uid(status: &str) -> Option<u32> {
        let line = status.lines().find(|l| l.starts_with("Uid:"))?;
        line.split_whitespace().nth(2)?.parse().ok()
    }

    pub(super) fn user_name(passwd: &str, uid: u32) -> Option<String> {
        passwd.lines().find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let uid_field = fields.nth(1)?;
            (uid_field.parse::<u32>().ok()? == uid).then(|| name.to_owned())
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn reads_the_effective_uid() {
            let status = "Name:\tcat\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
            assert_eq!(effective_uid(status), Some(0));
            assert_eq!(effective_uid("Name:\tcat\n"), None);
        }

        #[test]
        fn maps_uid_to_name() {
            let passwd = "root:x:0:0:root:/root:/bin/sh\nnes:x:1001:1001::/home/nes:/bin/sh\n";
            assert_eq!(user_name(passwd, 1001).as_deref(), Some("nes"));
            assert_eq!(user_name(passwd, 5), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gathers_the_portable_facts() {
        let c = Context::gather();
        assert!(!c.host.is_empty());
        assert!(!c.user.is_empty());
        assert_eq!(c.process_bits, usize::BITS);
        assert_eq!(c.pid, std::process::id());
        assert_eq!(c.abi_version, crate::ABI_VERSION);
        assert_eq!(c.os, std::env::consts::OS);
    }
}
