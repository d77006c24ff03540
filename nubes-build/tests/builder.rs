//! nubes-build generates what `nubesc build` does: the same code (without the crate
//! documentation, which `include!` cannot take), the same crates, and it fails with the
//! compiler's diagnostics on a broken schema or with the files that differ.

use std::fs;
use std::path::{Path, PathBuf};

use nubes_build::{Error, Part};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A fresh directory under the target directory, unique to one test.
fn scratch(name: &str) -> PathBuf {
    let dir = root()
        .join("target/nubes-build-tests")
        .join(format!("{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    dir
}

fn hotel() -> nubes_build::Builder {
    nubes_build::configure(root().join("examples/hotel.nubes")).emit_rerun_if_changed(false)
}

#[test]
fn each_part_is_the_golden_crate_without_its_crate_docs() {
    let dir = scratch("parts");
    for (part, name) in [
        (Part::Model, "model"),
        (Part::Handlers, "handlers"),
        (Part::Client, "client"),
    ] {
        let file = hotel()
            .compile_into(part, &dir)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(file, dir.join(format!("hotel_{name}.rs")));
        let golden = root().join(format!("tests/golden/build/hotel/hotel-{name}/src/lib.rs"));
        let golden = fs::read_to_string(&golden).unwrap_or_default();
        assert!(
            golden.contains("//! "),
            "{name}: the golden crate has crate docs"
        );
        let expected: String = golden
            .lines()
            .filter(|line| !line.starts_with("//!"))
            .map(|line| format!("{line}\n"))
            .collect();
        assert_eq!(fs::read_to_string(&file).ok(), Some(expected), "{name}");
    }
}

#[test]
fn checked_in_crates_are_checked_like_nubesc_build_check() {
    let runtime = root().join("runtime");
    let dir = scratch("crates");
    hotel()
        .runtime_path(&runtime)
        .write_crates(&dir)
        .expect("written");
    hotel()
        .runtime_path(&runtime)
        .check_crates(&dir)
        .expect("what was written is up to date");
    fs::write(dir.join("hotel-client/src/lib.rs"), "// edited\n").expect("edited");
    fs::remove_file(dir.join("deploy/template.yaml")).expect("removed");
    match hotel().runtime_path(&runtime).check_crates(&dir) {
        Err(Error::OutOfDate(report)) => {
            assert!(
                report.contains("differs: hotel-client/src/lib.rs"),
                "{report}"
            );
            assert!(report.contains("missing: deploy/template.yaml"), "{report}");
        }
        other => panic!("an edited crate passed the check: {other:?}"),
    }
}

#[test]
fn a_broken_schema_fails_with_the_compilers_diagnostics() {
    let dir = scratch("broken");
    let schema = dir.join("broken.nubes");
    fs::write(&schema, "object Hotel {\n  name: Strin\n}\n").expect("written");
    let built = nubes_build::configure(&schema)
        .emit_rerun_if_changed(false)
        .compile_into(Part::Model, &dir);
    match built {
        Err(Error::Schema(diagnostics)) => {
            assert!(diagnostics.contains("nubes::E"), "{diagnostics}");
            assert!(diagnostics.contains("Strin"), "{diagnostics}");
        }
        other => panic!("a broken schema built: {other:?}"),
    }
    let missing = nubes_build::configure(dir.join("nowhere.nubes")).compile_into(Part::Model, &dir);
    assert!(matches!(missing, Err(Error::Read(_))), "{missing:?}");
    // Tests run outside a build script: no OUT_DIR.
    let outside = hotel().compile(Part::Model);
    assert!(matches!(outside, Err(Error::NoOutDir)), "{outside:?}");
}
