//! Running `nubesc` in-process with captured streams, as the golden suites do.

use std::fs;
use std::path::{Path, PathBuf};

/// The repository root, which relative paths in the suites start from.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// True when `NUBES_BLESS` asks for the expected files to be rewritten.
pub fn blessing() -> bool {
    std::env::var_os("NUBES_BLESS").is_some_and(|value| value != "0")
}

/// What one run of `nubesc` did.
pub struct Outcome {
    /// The exit code.
    pub exit: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error (never coloured).
    pub stderr: String,
}

/// Runs `nubesc ARGS` from the repository root.
pub fn nubesc(args: &[&str]) -> Outcome {
    nubesc_in(&workspace_root(), args)
}

/// Runs `nubesc ARGS` with relative paths taken from `base`.
pub fn nubesc_in(base: &Path, args: &[&str]) -> Outcome {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut io = nubesc::cli::Io {
        base,
        stdout: &mut stdout,
        stderr: &mut stderr,
        stderr_is_terminal: false,
    };
    let exit = nubesc::cli::run(
        std::iter::once("nubesc").chain(args.iter().copied()),
        &mut io,
    );
    Outcome {
        exit,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Compares `actual` with the file at `path` (or writes it when blessing); returns a
/// problem description on mismatch.
pub fn compare(path: &Path, actual: Option<&str>) -> Option<String> {
    let expected = fs::read_to_string(path).ok();
    if blessing() {
        match actual {
            Some(text) => {
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent)
                        .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
                }
                fs::write(path, text)
                    .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()))
            }
            None if expected.is_some() => fs::remove_file(path)
                .unwrap_or_else(|e| panic!("cannot remove {}: {e}", path.display())),
            None => {}
        }
        return None;
    }
    match (expected.as_deref(), actual) {
        (Some(expected), Some(actual)) if expected == actual => None,
        (None, None) => None,
        (None, Some(actual)) => Some(format!(
            "{} is missing; the output is:\n{actual}",
            path.display()
        )),
        (Some(_), None) => Some(format!(
            "{} exists but there is no such output",
            path.display()
        )),
        (Some(expected), Some(actual)) => Some(format!(
            "{} differs:\n{}",
            path.display(),
            first_difference(expected, actual)
        )),
    }
}

/// The first differing lines, with line numbers.
pub fn first_difference(expected: &str, actual: &str) -> String {
    let expected: Vec<&str> = expected.lines().collect();
    let actual: Vec<&str> = actual.lines().collect();
    let first = (0..expected.len().max(actual.len()))
        .find(|&i| expected.get(i) != actual.get(i))
        .unwrap_or(0);
    let mut out = String::new();
    for i in first..(first + 8).min(expected.len().max(actual.len())) {
        if let Some(line) = expected.get(i) {
            out.push_str(&format!("  -{:>4} | {line}\n", i + 1));
        }
        if let Some(line) = actual.get(i) {
            out.push_str(&format!("  +{:>4} | {line}\n", i + 1));
        }
    }
    out
}
