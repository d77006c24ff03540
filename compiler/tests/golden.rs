//! The golden suite: every `.nubes` file directly in `tests/golden/fail` and
//! `tests/golden/pass` is a case, checked through the real command line.
//!
//! - `fail/<case>.nubes` must exit 1; its diagnostics are compared with `<case>.stderr`.
//! - `pass/<case>.nubes` must exit 0; `--emit-ir` is compared with `<case>.ir.json` and any
//!   warnings with `<case>.stderr` (which must not exist when there are none).
//! - `examples/<name>.nubes` of the repository are passing cases too, with their expected
//!   files in `tests/golden/examples/`.
//! - The codes named in a case's leading `//` comment (`E014`, `W003` …) must all be
//!   reported, and no error code that it does not name may be.
//!
//! `NUBES_BLESS=1 cargo test -p nubesc --test golden` rewrites the expected files.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

#[path = "support/run.rs"]
mod run;

use run::{compare, first_difference, nubesc, workspace_root};

/// The cases of one folder of the golden suite: `(relative path, expected-file stem)`.
fn cases(folder: &str) -> Vec<(String, PathBuf)> {
    let dir = workspace_root().join("tests/golden").join(folder);
    cases_in(&dir, &format!("tests/golden/{folder}"), &dir)
}

/// The `.nubes` files directly in `dir` (shown as `shown/<name>`), each with its expected
/// files in `expected_dir`, sorted.
fn cases_in(dir: &Path, shown: &str, expected_dir: &Path) -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "nubes"))
        .map(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = name.trim_end_matches(".nubes");
            (format!("{shown}/{name}"), expected_dir.join(stem))
        })
        .collect();
    found.sort();
    found
}

fn assert_no_problems(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

/// Codes such as `E014` named in the leading comment lines of a case.
fn declared_codes(path: &Path) -> BTreeSet<String> {
    let bytes = fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let mut codes = BTreeSet::new();
    for line in text
        .lines()
        .take_while(|line| line.trim_start().starts_with("//"))
    {
        for word in line.split(|c: char| !c.is_ascii_alphanumeric()) {
            let bytes = word.as_bytes();
            if bytes.len() == 4
                && (bytes[0] == b'E' || bytes[0] == b'W')
                && bytes[1..].iter().all(u8::is_ascii_digit)
            {
                codes.insert(word.to_string());
            }
        }
    }
    codes
}

/// Codes reported in rendered diagnostics.
fn reported_codes(stderr: &str) -> BTreeSet<String> {
    stderr
        .match_indices("nubes::")
        .filter_map(|(at, _)| stderr.get(at + 7..at + 11))
        .map(str::to_string)
        .collect()
}

fn check_codes(case: &str, path: &Path, stderr: &str, problems: &mut Vec<String>) {
    let declared = declared_codes(path);
    let reported = reported_codes(stderr);
    for code in declared.difference(&reported) {
        problems.push(format!(
            "{case}: its comment names {code}, which was not reported"
        ));
    }
    for code in reported.difference(&declared) {
        if code.starts_with('E') {
            problems.push(format!(
                "{case}: reported {code}, which its comment does not name"
            ));
        }
    }
}

#[test]
fn failing_cases() {
    let cases = cases("fail");
    assert!(
        cases.len() >= 40,
        "expected at least 40 failing cases, found {}",
        cases.len()
    );
    let mut problems = Vec::new();
    for (case, stem) in &cases {
        let outcome = nubesc(&["check", "--color", "never", case]);
        if outcome.exit != 1 {
            problems.push(format!(
                "{case}: exit {} instead of 1\n{}",
                outcome.exit, outcome.stderr
            ));
            continue;
        }
        if !outcome.stdout.is_empty() {
            problems.push(format!("{case}: printed on stdout: {}", outcome.stdout));
        }
        if declared_codes(&workspace_root().join(case)).is_empty() {
            problems.push(format!("{case}: its leading comment names no code"));
        }
        check_codes(
            case,
            &workspace_root().join(case),
            &outcome.stderr,
            &mut problems,
        );
        problems.extend(compare(
            &stem.with_extension("stderr"),
            Some(&outcome.stderr),
        ));
    }
    assert_no_problems(&problems);
}

/// `--message-format json` reports what the text reports: one JSON object a line whose
/// `rendered` texts, in order, are the human output (without its summary line), with
/// the same exit code. The `multi_*` cases are compared with blessed `.jsonl` files.
#[test]
fn failing_cases_as_json() {
    let mut problems = Vec::new();
    for (case, stem) in &cases("fail") {
        let human = nubesc(&["check", "--color", "never", case]);
        let json = nubesc(&["check", "--message-format", "json", case]);
        if json.exit != human.exit || !json.stderr.is_empty() {
            problems.push(format!(
                "{case}: exit {} (text: {}), stderr: {}",
                json.exit, human.exit, json.stderr
            ));
            continue;
        }
        let mut rendered = String::new();
        for line in json.stdout.lines() {
            match serde_json::from_str::<serde_json::Value>(line) {
                Ok(value) => {
                    for key in ["code", "severity", "message", "file", "line", "spans"] {
                        if value.get(key).is_none_or(serde_json::Value::is_null) {
                            problems.push(format!("{case}: `{key}` missing in {line}"));
                        }
                    }
                    rendered.push_str(value["rendered"].as_str().unwrap_or_default());
                }
                Err(error) => problems.push(format!("{case}: not JSON ({error}): {line}")),
            }
        }
        let summary_at = human.stderr.rfind("error: `").unwrap_or(human.stderr.len());
        if rendered != human.stderr[..summary_at] {
            problems.push(format!(
                "{case}: the rendered texts differ from the text output:\n{}",
                first_difference(&human.stderr[..summary_at], &rendered)
            ));
        }
        let name = stem.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with("multi_") {
            problems.extend(compare(&stem.with_extension("jsonl"), Some(&json.stdout)));
        }
    }
    assert_no_problems(&problems);
}

#[test]
fn passing_cases() {
    let root = workspace_root();
    let mut cases = cases("pass");
    cases.extend(cases_in(
        &root.join("examples"),
        "examples",
        &root.join("tests/golden/examples"),
    ));
    assert!(
        cases.len() >= 8,
        "expected at least 8 passing cases, found {}",
        cases.len()
    );
    let mut problems = Vec::new();
    for (case, stem) in &cases {
        let outcome = nubesc(&["check", "--color", "never", "--emit-ir", case]);
        if outcome.exit != 0 {
            problems.push(format!(
                "{case}: exit {} instead of 0\n{}",
                outcome.exit, outcome.stderr
            ));
            continue;
        }
        check_codes(
            case,
            &workspace_root().join(case),
            &outcome.stderr,
            &mut problems,
        );
        let warnings = (!outcome.stderr.is_empty()).then_some(outcome.stderr.as_str());
        problems.extend(compare(&stem.with_extension("stderr"), warnings));
        problems.extend(compare(
            &stem.with_extension("ir.json"),
            Some(&outcome.stdout),
        ));
    }
    assert_no_problems(&problems);
}

/// Every expected file belongs to a case, so a renamed case leaves nothing stale behind.
#[test]
fn no_orphaned_expectations() {
    let mut orphans = Vec::new();
    for folder in ["fail", "pass", "examples"] {
        let dir = workspace_root().join("tests/golden").join(folder);
        for entry in fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
        {
            let path = entry.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let Some(stem) = name
                .strip_suffix(".stderr")
                .or_else(|| name.strip_suffix(".ir.json"))
                .or_else(|| name.strip_suffix(".jsonl"))
            else {
                continue;
            };
            let case_dir = if folder == "examples" {
                workspace_root().join("examples")
            } else {
                dir.clone()
            };
            if !case_dir.join(format!("{stem}.nubes")).is_file() {
                orphans.push(path.display().to_string());
            }
        }
    }
    assert!(
        orphans.is_empty(),
        "expected files without a case: {orphans:?}"
    );
}

/// Every diagnostic code is shown by at least one golden case and listed in the suite's
/// README and in `docs/diagnostics.md`. An unreadable file (E003) cannot be checked into git; `tests/cli.rs` covers it.
#[test]
fn every_code_has_a_case_and_a_readme_row() {
    let golden = workspace_root().join("tests/golden");
    let readme =
        fs::read_to_string(golden.join("README.md")).expect("tests/golden/README.md exists");
    let docs = fs::read_to_string(workspace_root().join("docs/diagnostics.md"))
        .expect("docs/diagnostics.md exists");
    let mut blessed = String::new();
    for folder in ["fail", "pass"] {
        for entry in fs::read_dir(golden.join(folder))
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
        {
            if entry.path().extension().is_some_and(|ext| ext == "stderr") {
                blessed.push_str(&fs::read_to_string(entry.path()).unwrap_or_default());
            }
        }
    }
    let mut missing = Vec::new();
    for code in nubesc::diag::Code::ALL {
        let full = code.as_str();
        let short = full.trim_start_matches("nubes::");
        if !readme.contains(&format!("| {short} |")) {
            missing.push(format!("{short} has no row in tests/golden/README.md"));
        }
        if !docs.contains(&format!("| {short} |")) {
            missing.push(format!("{short} has no row in docs/diagnostics.md"));
        }
        if code != nubesc::diag::Code::UnreadableFile && !blessed.contains(full) {
            missing.push(format!("{short} is shown by no golden case"));
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}
