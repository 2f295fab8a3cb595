//! Compiles `tests/c/smoke.c` against the committed `include/nymidiag.h`
//! with the system C compiler, links it to the built cdylib and runs it,
//! under valgrind when it is installed (leaks and invalid accesses fail).

use std::path::{Path, PathBuf};
use std::process::Command;

fn find_on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Builds the cdylib: `cargo test` links the tests against the rlib only,
/// so the shared library a C caller loads must be built on purpose. The
/// nested cargo shares the target folder (and so the compiled
/// dependencies) of the outer one.
fn build_cdylib() {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--lib", "--locked", "--all-features"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build --lib failed");
}

/// The folder cargo puts the cdylib in: the parent of this test's `deps`.
fn cdylib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/c_abi-xxxx -> target/<profile>
    exe.parent()
        .and_then(Path::parent)
        .expect("target profile dir")
        .to_path_buf()
}

#[test]
#[cfg(unix)]
fn c_program_calls_every_export_without_leaks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    build_cdylib();
    let lib_dir = cdylib_dir();
    let lib_name = if cfg!(target_os = "macos") {
        "libnymidiag.dylib"
    } else {
        "libnymidiag.so"
    };
    assert!(
        lib_dir.join(lib_name).is_file(),
        "{} was not built next to the tests",
        lib_dir.join(lib_name).display()
    );
    let cc = std::env::var("CC")
        .map(PathBuf::from)
        .ok()
        .or_else(|| find_on_path("cc"))
        .or_else(|| find_on_path("gcc"))
        .expect("a C compiler (cc or gcc) is needed for the C ABI test");

    let work = tempfile::tempdir().unwrap();
    let exe = work.path().join("smoke");
    let status = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"])
        .arg("-I")
        .arg(root.join("include"))
        .arg(root.join("tests/c/smoke.c"))
        .arg("-o")
        .arg(&exe)
        .arg("-L")
        .arg(&lib_dir)
        .arg("-lnymidiag")
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .status()
        .expect("the C compiler runs");
    assert!(
        status.success(),
        "smoke.c did not compile against include/nymidiag.h"
    );

    let mut run = match find_on_path("valgrind") {
        Some(valgrind) => {
            let mut cmd = Command::new(valgrind);
            cmd.args([
                "--quiet",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect",
                "--error-exitcode=99",
            ]);
            cmd.arg(&exe);
            cmd
        }
        None => {
            eprintln!("valgrind not installed: running smoke.c without leak checking");
            Command::new(&exe)
        }
    };
    let output = run.output().expect("smoke runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "smoke.c failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("all checks passed"), "{stdout}");
}
