//! `nubesc new` as a user runs it: the workspace it makes is what `nubesc build` would
//! generate plus the app crate, the same bytes every time, formatted, and `cargo test`
//! passes in it as it is; bad names and occupied directories are refused untouched.
//!
//! The hand-written files are compared with `tests/golden/new/`;
//! `NUBES_BLESS=1 cargo test -p nubesc --test new` rewrites them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/run.rs"]
mod run;

use run::{compare, nubesc, workspace_root};

/// The hand-written files of a new workspace; the generated crates are the golden suite's
/// business. Each is compared with `tests/golden/new/<path, `/` as `__`>`.
const HAND_WRITTEN: [&str; 7] = [
    "Cargo.toml",
    "README.md",
    "piggy-bank.nubes",
    "piggy-bank-app/Cargo.toml",
    "piggy-bank-app/src/lib.rs",
    "piggy-bank-app/src/main.rs",
    "piggy-bank-app/tests/accounts.rs",
];

/// A fresh directory under the target directory, unique to one test (not created).
fn scratch(test: &str) -> PathBuf {
    let dir = workspace_root()
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

fn new_workspace(dir: &Path) -> run::Outcome {
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
    assert_eq!(made.exit, 0, "{}", made.stderr);
    assert!(made.stderr.contains("cargo test"), "{}", made.stderr);
    assert_eq!(made.stdout, "", "what nubesc says goes to standard error");
    for file in [
        ".gitignore",
        "piggy-bank-model/src/lib.rs",
        "piggy-bank-handlers/src/lib.rs",
        "piggy-bank-client/src/lib.rs",
        "deploy/template.yaml",
    ] {
        assert!(dir.join(file).is_file(), "{file} is missing");
    }
    let golden = workspace_root().join("tests/golden/new");
    let problems: Vec<String> = HAND_WRITTEN
        .iter()
        .filter_map(|file| {
            let written = fs::read_to_string(dir.join(file)).ok();
            compare(&golden.join(file.replace('/', "__")), written.as_deref())
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));

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
    assert_eq!(check.exit, 0, "{}", check.stderr);

    // The same bytes every time.
    let again = scratch("again");
    assert_eq!(new_workspace(&again).exit, 0);
    assert!(files(&dir) == files(&again), "two runs differ");

    let manifest = dir.join("Cargo.toml").to_string_lossy().into_owned();
    let fmt = Command::new("rustfmt")
        .args(["--check", "--edition", "2021"])
        .args(["src/lib.rs", "src/main.rs", "tests/accounts.rs"])
        .current_dir(dir.join("piggy-bank-app"))
        .output()
        .expect("rustfmt runs");
    let unformatted = String::from_utf8_lossy(&fmt.stdout);
    assert!(fmt.status.success(), "not formatted:\n{unformatted}");

    // `cargo test` as a user runs it. The repository's lock file pins the versions this
    // repository builds with, and its target directory already holds most of them.
    let lock = workspace_root().join("Cargo.lock");
    fs::copy(lock, dir.join("Cargo.lock")).expect("the lock file");
    let test = Command::new("cargo")
        .args(["test", "--offline", "--manifest-path", &manifest])
        .env("CARGO_TARGET_DIR", workspace_root().join("target"))
        .output()
        .expect("cargo test runs");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&test.stdout),
        String::from_utf8_lossy(&test.stderr)
    );
    assert!(test.status.success(), "cargo test failed:\n{output}");
    assert!(output.contains("test result: ok. 2 passed"), "{output}");
    assert!(!output.contains("warning"), "warnings:\n{output}");
}

#[test]
fn bad_names_and_occupied_directories_are_refused() {
    let dir = scratch("refused");
    let path = dir.to_string_lossy().into_owned();
    let bad = nubesc(&["new", "Piggy_Bank", "--path", &path]);
    assert_eq!(bad.exit, 2);
    assert!(
        bad.stderr
            .contains("`Piggy_Bank` is not a valid application name"),
        "{}",
        bad.stderr
    );
    assert!(!dir.exists(), "nothing is created for a bad name");

    fs::create_dir_all(&dir).expect("created");
    fs::write(dir.join("notes.txt"), "mine\n").expect("written");
    let occupied = nubesc(&["new", "piggy", "--path", &path]);
    assert_eq!(occupied.exit, 2);
    assert!(
        occupied.stderr.contains("already exists and is not empty"),
        "{}",
        occupied.stderr
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
    assert_eq!(no_runtime.exit, 2);
    assert!(
        !dir.join("inner").exists(),
        "nothing is created for a bad runtime path"
    );
    assert!(
        no_runtime.stderr.contains("is not a crate"),
        "{}",
        no_runtime.stderr
    );
}
