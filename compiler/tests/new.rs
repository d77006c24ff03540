//! `nubesc new` as a user runs it: the workspace it makes is what `nubesc build` would
//! generate plus the app crate, the same bytes every time, formatted, and `cargo test`
//! passes in it as it is; bad names and occupied directories are refused untouched.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn nubesc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nubesc"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the nubesc binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory under the target directory, unique to one test (not created).
fn scratch(test: &str) -> PathBuf {
    let dir = root()
        .join("target/nubesc-new-tests")
        .join(format!("{test}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

/// Every file under `dir` with its bytes, by relative path.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in fs::read_dir(&next).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = fs::read(&path).unwrap_or_default();
                let relative = path.strip_prefix(dir).map(Path::to_path_buf);
                found.push((relative.unwrap_or(path), bytes));
            }
        }
    }
    found.sort();
    found
}

fn new_workspace(dir: &Path) -> Output {
    let path = dir.to_string_lossy().into_owned();
    nubesc(&[
        "new",
        "piggy-bank",
        "--path",
        &path,
        "--runtime-path",
        "runtime",
    ])
}

#[test]
fn a_new_workspace_builds_checks_and_passes_its_tests() {
    let dir = scratch("workspace");
    let made = new_workspace(&dir);
    assert_eq!(made.status.code(), Some(0), "{}", text(&made.stderr));
    assert!(
        text(&made.stderr).contains("cargo test"),
        "{}",
        text(&made.stderr)
    );
    for file in [
        "Cargo.toml",
        ".gitignore",
        "README.md",
        "piggy-bank.nubes",
        "piggy-bank-model/src/lib.rs",
        "piggy-bank-handlers/src/lib.rs",
        "piggy-bank-client/src/lib.rs",
        "deploy/template.yaml",
        "piggy-bank-app/src/lib.rs",
        "piggy-bank-app/src/main.rs",
        "piggy-bank-app/tests/accounts.rs",
    ] {
        assert!(dir.join(file).is_file(), "{file} is missing");
    }

    // The generated crates are exactly what `nubesc build` makes of the schema.
    let out = dir.to_string_lossy().into_owned();
    let schema = dir.join("piggy-bank.nubes").to_string_lossy().into_owned();
    let check = nubesc(&[
        "build",
        &schema,
        "-o",
        &out,
        "--runtime-path",
        "runtime",
        "--check",
    ]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));

    // The same bytes every time.
    let again = scratch("again");
    assert_eq!(new_workspace(&again).status.code(), Some(0));
    assert!(files(&dir) == files(&again), "two runs differ");

    let manifest = dir.join("Cargo.toml").to_string_lossy().into_owned();
    let fmt = Command::new("rustfmt")
        .args(["--check", "--edition", "2021"])
        .args(["src/lib.rs", "src/main.rs", "tests/accounts.rs"])
        .current_dir(dir.join("piggy-bank-app"))
        .output()
        .expect("rustfmt runs");
    assert!(
        fmt.status.success(),
        "not formatted:\n{}",
        text(&fmt.stdout)
    );

    // `cargo test` as a user runs it. The repository's lock file pins the versions this
    // repository builds with, and its target directory already holds most of them.
    fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).expect("the lock file");
    let test = Command::new("cargo")
        .args(["test", "--offline", "--manifest-path", &manifest])
        .env("CARGO_TARGET_DIR", root().join("target"))
        .output()
        .expect("cargo test runs");
    let output = format!("{}{}", text(&test.stdout), text(&test.stderr));
    assert!(test.status.success(), "cargo test failed:\n{output}");
    assert!(output.contains("test result: ok. 2 passed"), "{output}");
    assert!(!output.contains("warning"), "warnings:\n{output}");
}

#[test]
fn bad_names_and_occupied_directories_are_refused() {
    let dir = scratch("refused");
    let path = dir.to_string_lossy().into_owned();
    let bad = nubesc(&["new", "Piggy_Bank", "--path", &path]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("`Piggy_Bank` is not a valid application name"),
        "{}",
        text(&bad.stderr)
    );
    assert!(!dir.exists(), "nothing is created for a bad name");

    fs::create_dir_all(&dir).expect("created");
    fs::write(dir.join("notes.txt"), "mine\n").expect("written");
    let occupied = nubesc(&["new", "piggy", "--path", &path]);
    assert_eq!(occupied.status.code(), Some(2));
    assert!(
        text(&occupied.stderr).contains("already exists and is not empty"),
        "{}",
        text(&occupied.stderr)
    );
    assert_eq!(
        files(&dir),
        vec![(PathBuf::from("notes.txt"), b"mine\n".to_vec())],
        "nothing is written next to what is there"
    );

    let no_runtime = nubesc(&[
        "new",
        "piggy",
        "--path",
        &format!("{path}/inner"),
        "--runtime-path",
        "nowhere",
    ]);
    assert_eq!(no_runtime.status.code(), Some(2));
    assert!(
        text(&no_runtime.stderr).contains("is not a crate"),
        "{}",
        text(&no_runtime.stderr)
    );
}
