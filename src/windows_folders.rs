//! The Windows folders the tool searches by default, named so that this
//! process reaches the native ones: the one place where key-store discovery
//! and the default log locations learn whether they run under WOW64.
//!
//! Intune runs scripts in 32-bit Windows PowerShell by default, and the
//! library is loaded into that process. In a 32-bit process on 64-bit
//! Windows (WOW64) the file system redirects `System32` to `SysWOW64`, and
//! `%ProgramFiles%` names the x86 folder. Such a process reaches the native
//! `System32` through the `Sysnative` alias (which exists only for it) and
//! finds the native Program Files in `%ProgramW6432%`. `%ProgramData%`, the
//! user profiles, `%SystemDrive%\inetpub` and `%SystemRoot%` itself are not
//! redirected.
//!
//! Everything is computed from an [`Environment`] (the variables and the
//! process's pointer width), so every kind of host is tested on every
//! platform.

/// The environment the folders are computed from: the seam the tests
/// inject.
#[derive(Clone, Debug, Default)]
pub(crate) struct Environment {
    vars: Vec<(String, String)>,
    pointer_bits: u32,
}

impl Environment {
    /// An environment of the given variables, seen by a process whose
    /// pointers have `pointer_bits` bits.
    pub(crate) fn new<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
        pointer_bits: u32,
    ) -> Environment {
        Environment {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            pointer_bits,
        }
    }

    /// The running process's environment.
    pub(crate) fn of_process() -> Environment {
        Environment::new(
            std::env::vars_os().map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.to_string_lossy().into_owned(),
                )
            }),
            usize::BITS,
        )
    }

    /// A variable's value without surrounding blanks or trailing path
    /// separators. Names compare without case, as Windows compares them; a
    /// blank value counts as unset.
    pub(crate) fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().trim_end_matches(['\\', '/']))
            .filter(|v| !v.is_empty())
    }
}

/// How the process sits on Windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProcessKind {
    /// A 64-bit process (x64 or ARM64): `System32` is the native folder.
    Native64,
    /// A 32-bit process on 64-bit Windows: `System32` is redirected.
    Wow64,
    /// A 32-bit process on 32-bit Windows: there is no other folder.
    Native32,
}

impl ProcessKind {
    /// The kind of the process `env` describes. WOW64 sets
    /// `PROCESSOR_ARCHITEW6432` in every 32-bit process on 64-bit Windows;
    /// a 64-bit process may inherit it from a 32-bit parent, so it counts
    /// only with 32-bit pointers.
    pub(crate) fn of(env: &Environment) -> ProcessKind {
        match env.pointer_bits {
            64 => ProcessKind::Native64,
            _ if env.var("PROCESSOR_ARCHITEW6432").is_some() => ProcessKind::Wow64,
            _ => ProcessKind::Native32,
        }
    }

    /// Whether Windows is 64-bit (and so has `SysWOW64` and an x86 Program
    /// Files folder).
    pub(crate) fn on_64_bit_windows(self) -> bool {
        self != ProcessKind::Native32
    }
}

/// The Windows folders, as this process must name them to read the native
/// ones. Values come without a trailing separator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WindowsFolders {
    /// How the process sits on Windows.
    pub(crate) kind: ProcessKind,
    /// `%SystemRoot%` (`C:\Windows`).
    pub(crate) system_root: String,
    /// `%SystemDrive%` (`C:`).
    pub(crate) system_drive: String,
    /// `%ProgramData%`.
    pub(crate) program_data: String,
    /// The native Program Files folder.
    pub(crate) program_files: String,
    /// The x86 Program Files folder, on 64-bit Windows.
    pub(crate) program_files_x86: Option<String>,
}

impl WindowsFolders {
    /// The folders `env` describes; a missing variable falls back to its
    /// value on a default install (drive letters taken from
    /// `%SystemDrive%`, else from `%SystemRoot%`).
    pub(crate) fn from_env(env: &Environment) -> WindowsFolders {
        let kind = ProcessKind::of(env);
        let given_drive = env.var("SystemDrive");
        let system_root = env
            .var("SystemRoot")
            .or_else(|| env.var("windir"))
            .map(str::to_owned)
            .unwrap_or_else(|| format!(r"{}\Windows", given_drive.unwrap_or("C:")));
        let system_drive = given_drive
            .map(str::to_owned)
            .or_else(|| drive_of(&system_root))
            .unwrap_or_else(|| "C:".to_owned());
        let or_default = |value: Option<&str>, folder: &str| {
            value
                .map(str::to_owned)
                .unwrap_or_else(|| format!(r"{system_drive}\{folder}"))
        };
        let program_data = or_default(env.var("ProgramData"), "ProgramData");
        // In a WOW64 process %ProgramFiles% is the x86 folder: only
        // %ProgramW6432% names the native one there.
        let native = env.var("ProgramW6432").or(match kind {
            ProcessKind::Wow64 => None,
            _ => env.var("ProgramFiles"),
        });
        let program_files = or_default(native, "Program Files");
        let x86 = env.var("ProgramFiles(x86)").or(match kind {
            ProcessKind::Wow64 => env.var("ProgramFiles"),
            _ => None,
        });
        let program_files_x86 = match (x86, kind.on_64_bit_windows()) {
            (Some(x86), _) => Some(x86.to_owned()),
            (None, true) => Some(or_default(None, "Program Files (x86)")),
            (None, false) => None,
        }
        .filter(|x86| !x86.eq_ignore_ascii_case(&program_files));
        WindowsFolders {
            kind,
            system_root,
            system_drive,
            program_data,
            program_files,
            program_files_x86,
        }
    }

    /// The folders of this process on Windows. Elsewhere none of them can
    /// exist, and those of a 64-bit process on a default 64-bit install are
    /// given, so that a report still says what would be searched.
    pub(crate) fn of_platform() -> WindowsFolders {
        if cfg!(windows) {
            WindowsFolders::from_env(&Environment::of_process())
        } else {
            WindowsFolders::from_env(&Environment::new(Vec::<(String, String)>::new(), 64))
        }
    }

    /// The native `System32`: through `Sysnative` in a WOW64 process.
    pub(crate) fn native_system32(&self) -> String {
        let name = match self.kind {
            ProcessKind::Wow64 => "Sysnative",
            _ => "System32",
        };
        format!(r"{}\{name}", self.system_root)
    }

    /// `SysWOW64`, the `System32` of 32-bit programs, on 64-bit Windows.
    pub(crate) fn syswow64(&self) -> Option<String> {
        self.kind
            .on_64_bit_windows()
            .then(|| format!(r"{}\SysWOW64", self.system_root))
    }

    /// The LocalSystem profile folders, the native one first. A 32-bit
    /// program running as SYSTEM on 64-bit Windows keeps its AppData in the
    /// `SysWOW64` one, since its `System32` is redirected there.
    pub(crate) fn system_profiles(&self) -> Vec<String> {
        const PROFILE: &str = r"config\systemprofile";
        let mut profiles = vec![format!(r"{}\{PROFILE}", self.native_system32())];
        profiles.extend(self.syswow64().map(|s| format!(r"{s}\{PROFILE}")));
        profiles
    }

    /// The Program Files folders, the native one first.
    pub(crate) fn program_files_folders(&self) -> Vec<&str> {
        let mut folders = vec![self.program_files.as_str()];
        folders.extend(self.program_files_x86.as_deref());
        folders
    }
}

/// `D:` from `D:\WINNT`.
fn drive_of(path: &str) -> Option<String> {
    let b = path.as_bytes();
    (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':').then(|| path[..2].to_owned())
}

#[cfg(test)]
mod tests;
