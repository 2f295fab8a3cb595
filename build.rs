//! Generates the C header from `src/ffi` with cbindgen.
//!
//! The header is always written to `OUT_DIR`, and `header_is_fresh` in
//! `tests/contract_files.rs` compares it with the committed
//! `include/nymidiag.h`, so a stale header fails the tests. With
//! `NYMIDIAG_BLESS=1` (`build.ps1 -Task Bless`) the committed copy is
//! refreshed too. Writing outside `OUT_DIR` breaks `cargo package`
//! verification; acceptable for this unpublished cdylib,
//! and only done on request.

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=NYMIDIAG_BLESS");

    let version = env::var("CARGO_PKG_VERSION").expect("set by cargo");
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    config.after_includes = Some(format!(
        "\n#define NYMIDIAG_VERSION \"{version}\"\n#define NYMIDIAG_VERSION_MAJOR {}\n#define NYMIDIAG_VERSION_MINOR {}\n#define NYMIDIAG_VERSION_PATCH {}\n",
        env::var("CARGO_PKG_VERSION_MAJOR").expect("set by cargo"),
        env::var("CARGO_PKG_VERSION_MINOR").expect("set by cargo"),
        env::var("CARGO_PKG_VERSION_PATCH").expect("set by cargo"),
    ));

    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header from src/ffi");

    let generated = out_dir.join("nymidiag.h");
    bindings.write_to_file(&generated);
    println!(
        "cargo:rustc-env=NYMIDIAG_GENERATED_HEADER={}",
        generated.display()
    );

    if env::var_os("NYMIDIAG_BLESS").is_some_and(|v| v == "1") {
        // write_to_file leaves the file alone when the content is unchanged.
        bindings.write_to_file(crate_dir.join("include").join("nymidiag.h"));
    }
}
