//! The `nubesc diff` golden suite: every folder in `tests/golden/diff` is a case holding
//! `old.nubes` and `new.nubes`, compared through the real command line.
//!
//! - `expected.txt` is the report with colours off (standard error) and the exit status.
//! - `expected.json` is what `--json` prints on standard output.
//! - The codes named in the leading `//` comment of `new.nubes` (`D010`, `D051` …) are
//!   exactly the codes the case reports.
//!
//! `NUBES_BLESS=1 cargo test -p nubesc --test diff` rewrites the expected files.

use std::collections::BTreeSet;
use std::fs;

#[path = "support/run.rs"]
mod run;

use run::{compare, nubesc, workspace_root};

const CASES: &str = "tests/golden/diff";

/// The case folders, sorted.
fn cases() -> Vec<String> {
    let dir = workspace_root().join(CASES);
    let mut found: Vec<String> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    found
}

/// `old.nubes` and `new.nubes` of a case, as paths relative to the workspace.
fn inputs(case: &str) -> (String, String) {
    (
        format!("{CASES}/{case}/old.nubes"),
        format!("{CASES}/{case}/new.nubes"),
    )
}

/// Codes such as `D010` in `text` (words of a `D` and three digits).
fn codes_in(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| {
            let bytes = word.as_bytes();
            bytes.len() == 4 && bytes[0] == b'D' && bytes[1..].iter().all(u8::is_ascii_digit)
        })
        .map(str::to_string)
        .collect()
}

/// The codes named in the leading comment lines of a case's `new.nubes`.
fn declared_codes(case: &str) -> BTreeSet<String> {
    let path = workspace_root().join(inputs(case).1);
    let text = fs::read_to_string(&path).unwrap_or_default();
    let comment: Vec<&str> = text
        .lines()
        .take_while(|line| line.trim_start().starts_with("//"))
        .collect();
    codes_in(&comment.join("\n"))
}

/// The codes a rendered report shows (`nubes::D010`).
fn reported_codes(report: &str) -> BTreeSet<String> {
    report
        .match_indices("nubes::D")
        .filter_map(|(at, _)| report.get(at + 7..at + 11))
        .map(str::to_string)
        .collect()
}

#[test]
fn golden_cases() {
    let cases = cases();
    assert!(
        cases.len() >= 15,
        "expected at least 15 cases in {CASES}, found {}",
        cases.len()
    );
    let mut problems = Vec::new();
    for case in &cases {
        let (old, new) = inputs(case);
        let dir = workspace_root().join(CASES).join(case);
        let text = nubesc(&["diff", "--color", "never", &old, &new]);
        if !text.stdout.is_empty() {
            problems.push(format!("{case}: printed on stdout: {}", text.stdout));
        }
        let shown = format!("{}exit status: {}\n", text.stderr, text.exit);
        problems.extend(compare(&dir.join("expected.txt"), Some(&shown)));

        let json = nubesc(&["diff", "--json", &old, &new]);
        if json.exit != text.exit {
            problems.push(format!(
                "{case}: --json exits {}, the report {}",
                json.exit, text.exit
            ));
        }
        if !json.stderr.is_empty() {
            problems.push(format!("{case}: --json wrote to stderr: {}", json.stderr));
        }
        match serde_json::from_str::<serde_json::Value>(&json.stdout) {
            Ok(serde_json::Value::Array(changes)) => {
                let count = text.stderr.matches("\nnubes::D").count()
                    + usize::from(text.stderr.starts_with("nubes::D"));
                if changes.len() != count {
                    problems.push(format!(
                        "{case}: --json lists {} changes, the report {count}",
                        changes.len()
                    ));
                }
            }
            _ => problems.push(format!(
                "{case}: --json is not a JSON array: {}",
                json.stdout
            )),
        }
        problems.extend(compare(&dir.join("expected.json"), Some(&json.stdout)));

        let declared = declared_codes(case);
        let reported = reported_codes(&text.stderr);
        if declared != reported {
            problems.push(format!(
                "{case}: new.nubes names {declared:?} but the report shows {reported:?}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

/// Each case folder holds exactly its inputs and expected files.
#[test]
fn case_folders_hold_nothing_else() {
    let wanted: BTreeSet<&str> = ["old.nubes", "new.nubes", "expected.txt", "expected.json"]
        .into_iter()
        .collect();
    let mut problems = Vec::new();
    for case in cases() {
        let dir = workspace_root().join(CASES).join(&case);
        let present: BTreeSet<String> = fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        let present: BTreeSet<&str> = present.iter().map(String::as_str).collect();
        if present != wanted {
            problems.push(format!("{case}: holds {present:?}, expected {wanted:?}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_hotel_example_against_itself_has_no_changes() {
    let hotel = "examples/hotel.nubes";
    let text = nubesc(&["diff", "--color", "never", hotel, hotel]);
    assert_eq!(text.exit, 0, "{}", text.stderr);
    assert_eq!(text.stderr, "no changes\n");
    assert!(text.stdout.is_empty(), "{}", text.stdout);
    let json = nubesc(&["diff", "--json", hotel, hotel]);
    assert_eq!((json.exit, json.stdout.as_str()), (0, "[]\n"));
}

#[test]
fn a_schema_with_errors_exits_1_with_its_diagnostics() {
    let broken = "tests/golden/fail/types_unknown_field_type.nubes";
    let expected = fs::read_to_string(
        workspace_root().join("tests/golden/fail/types_unknown_field_type.stderr"),
    )
    .expect("the failing case has its expected diagnostics");
    for args in [
        ["diff", "--color", "never", "examples/hotel.nubes", broken],
        ["diff", "--color", "never", broken, "examples/hotel.nubes"],
    ] {
        let out = nubesc(&args);
        assert_eq!(out.exit, 1, "{}", out.stderr);
        assert_eq!(out.stderr, expected, "diagnostics as `check` prints them");
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
    // Not `[]`, which would read as "no changes".
    let json = nubesc(&["diff", "--json", "examples/hotel.nubes", broken]);
    assert_eq!(json.exit, 1);
    assert!(json.stdout.is_empty(), "{}", json.stdout);
    assert_eq!(
        json.stderr, expected,
        "diagnostics on stderr, as `check` prints them"
    );
}

/// What `--json` prints when a schema has errors is said in `--help` and in the docs.
#[test]
fn json_with_a_broken_schema_is_documented() {
    let help = nubesc(&["diff", "--help"]);
    assert_eq!(help.exit, 0, "{}", help.stderr);
    let text = help.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for words in [
        "When OLD or NEW has errors, standard output stays empty",
        "the diagnostics go to standard error",
        "the exit status is 1",
    ] {
        assert!(text.contains(words), "`{words}` not in:\n{}", help.stdout);
    }
    let docs = fs::read_to_string(workspace_root().join("docs/diagnostics.md"))
        .expect("docs/diagnostics.md exists");
    let section = docs
        .split_once("## Changes between versions")
        .map(|(_, rest)| rest)
        .expect("docs/diagnostics.md has the diff section");
    let section = section.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        section.contains("standard output stays empty (not `[]`"),
        "the diff section of docs/diagnostics.md does not say what `--json` prints for a schema with errors"
    );
}

#[test]
fn a_missing_file_exits_2() {
    for args in [
        ["diff", "no/such/old.nubes", "examples/hotel.nubes"],
        ["diff", "examples/hotel.nubes", "no/such/new.nubes"],
    ] {
        let out = nubesc(&args);
        assert_eq!(out.exit, 2, "{}", out.stderr);
        assert!(out.stderr.contains("nubes::E003"), "{}", out.stderr);
        assert!(out.stderr.contains("no such file"), "{}", out.stderr);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
    let json = nubesc(&[
        "diff",
        "--json",
        "no/such/old.nubes",
        "examples/hotel.nubes",
    ]);
    assert_eq!(json.exit, 2, "{}", json.stderr);
    assert!(json.stdout.is_empty(), "{}", json.stdout);
    let out = nubesc(&["diff", "examples/hotel.nubes"]);
    assert_eq!(out.exit, 2, "NEW is required: {}", out.stderr);
}

/// The rows `| D0xx | …` of the diff section of `docs/diagnostics.md`.
fn documented_codes() -> BTreeSet<String> {
    let docs = fs::read_to_string(workspace_root().join("docs/diagnostics.md"))
        .expect("docs/diagnostics.md exists");
    docs.lines()
        .filter_map(|line| line.strip_prefix("| D"))
        .filter_map(|rest| rest.split(' ').next())
        .map(|digits| format!("D{digits}"))
        .collect()
}

#[test]
fn every_documented_code_is_shown_by_a_case() {
    let documented = documented_codes();
    let known: BTreeSet<String> = nubesc::diff::Code::ALL
        .iter()
        .map(|code| code.as_str().trim_start_matches("nubes::").to_string())
        .collect();
    assert_eq!(
        documented, known,
        "the table in docs/diagnostics.md lists exactly the codes of nubesc::diff::Code"
    );
    let mut shown = BTreeSet::new();
    for case in cases() {
        let path = workspace_root()
            .join(CASES)
            .join(&case)
            .join("expected.txt");
        shown.extend(reported_codes(
            &fs::read_to_string(path).unwrap_or_default(),
        ));
    }
    let missing: Vec<&String> = documented.difference(&shown).collect();
    assert!(
        missing.is_empty(),
        "codes no golden case shows: {missing:?}"
    );
}

/// Each class is shown by some case, and so are a change breaking both at once and a
/// case without changes.
#[test]
fn every_class_is_shown_by_a_case() {
    let reports: Vec<String> = cases()
        .iter()
        .map(|case| {
            let path = workspace_root().join(CASES).join(case).join("expected.txt");
            fs::read_to_string(path).unwrap_or_default()
        })
        .collect();
    for class in [
        ": compatible\n",
        ": breaks stored data\n",
        ": breaks clients\n",
        ": breaks stored data and clients\n",
    ] {
        assert!(
            reports.iter().any(|report| report.contains(class)),
            "no case shows `{}`",
            class.trim()
        );
    }
    assert!(
        reports
            .iter()
            .any(|report| report.starts_with("no changes\nexit status: 0\n")),
        "no case has no changes"
    );
}

// ---------------------------------------------------------------------------------------
// Possible renames
// ---------------------------------------------------------------------------------------

fn schema_of(text: &str) -> nubesc::ir::Schema {
    let compilation = nubesc::check_text("schema.nubes", text);
    compilation.schema.unwrap_or_else(|| {
        panic!(
            "the schema has errors: {:?}\n{text}",
            compilation.diagnostics
        )
    })
}

/// Each removal from `old` to `new` with the name its rename note suggests, if any:
/// `("field `A.nick` removed", Some("alias"))`.
fn suggested_renames(old: &str, new: &str) -> Vec<(String, Option<String>)> {
    nubesc::diff::diff(&schema_of(old), &schema_of(new))
        .into_iter()
        .filter(|change| {
            use nubesc::diff::Code;
            matches!(
                change.code,
                Code::TypeRemoved
                    | Code::FieldRemoved
                    | Code::MethodRemoved
                    | Code::ParamRemoved
                    | Code::VariantRemoved
            )
        })
        .map(|change| {
            let suggested = change.note.map(|note| {
                let (_, rest) = note
                    .text
                    .split_once("was renamed to `")
                    .unwrap_or_else(|| panic!("not a rename note: {}", note.text));
                assert!(
                    note.text
                        .ends_with("nubes cannot tell a rename from a removal and an addition"),
                    "{}",
                    note.text
                );
                rest.split('`').next().unwrap_or_default().to_string()
            });
            (change.message, suggested)
        })
        .collect()
}

fn renames(pairs: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    pairs
        .iter()
        .map(|(message, to)| (message.to_string(), to.map(str::to_string)))
        .collect()
}

#[test]
fn a_field_rename_is_suggested_only_for_the_same_type_give_or_take_optionality() {
    let old = "object A {\n  legacy: Bytes\n  nick: String\n  rate: Float\n  city: City\n}\nobject City { name: String }\n";
    let new = "object A {\n  email: String?\n  stars: Float\n  alias: String?\n  cities: [City]\n}\nobject City { name: String }\n";
    assert_eq!(
        suggested_renames(old, new),
        renames(&[
            ("field `A.legacy` removed", None),
            ("field `A.nick` removed", Some("email")),
            ("field `A.rate` removed", Some("stars")),
            ("field `A.city` removed", None),
        ])
    );
}

#[test]
fn a_parameter_rename_is_suggested_only_for_the_same_type_give_or_take_optionality() {
    let old = "object A {\n  name: String\n  fn go(legacy: Bytes, by: String, at: Int)\n}\n";
    let new =
        "object A {\n  name: String\n  fn go(reason: String?, email: String, count: Int?)\n}\n";
    assert_eq!(
        suggested_renames(old, new),
        renames(&[
            ("parameter `legacy` removed from `A.go`", None),
            ("parameter `by` removed from `A.go`", Some("email")),
            ("parameter `at` removed from `A.go`", Some("count")),
        ])
    );
}

#[test]
fn a_method_rename_is_suggested_only_for_the_same_signature() {
    let old = "object A {\n  name: String\n  fn reserve(nights: Int) -> Bool\n  fn cancel(nights: Int)\n}\n";
    let new =
        "object A {\n  name: String\n  fn drop(reason: String)\n  fn book(count: Int) -> Bool\n}\n";
    assert_eq!(
        suggested_renames(old, new),
        renames(&[
            ("method `A.reserve` removed", Some("book")),
            ("method `A.cancel` removed", None),
        ])
    );
}

#[test]
fn a_variant_rename_is_suggested_only_for_one_removed_and_one_added() {
    let old = "object A {\n  one: One\n  two: Two\n}\nenum One { A, B }\nenum Two { A, B, C }\n";
    let new = "object A {\n  one: One\n  two: Two\n}\nenum One { A, Z }\nenum Two { A, Y, Z }\n";
    assert_eq!(
        suggested_renames(old, new),
        renames(&[
            ("variant `One.B` removed", Some("Z")),
            ("variant `Two.B` removed", None),
            ("variant `Two.C` removed", None),
        ])
    );
}

#[test]
fn a_type_rename_is_suggested_only_for_one_removed_and_one_added_of_its_kind() {
    let old = "object Guest { name: String }\nstruct Point { x: Int }\nenum Tone { Warm }\nenum Mood { Calm }\n";
    let new = "object Visitor { name: String }\nstruct Spot { x: Int }\nstruct Area { x: Int }\nenum Color { Warm }\nenum Feel { Calm }\n";
    assert_eq!(
        suggested_renames(old, new),
        renames(&[
            ("object `Guest` removed", Some("Visitor")),
            ("struct `Point` removed", None),
            ("enum `Tone` removed", None),
            ("enum `Mood` removed", None),
        ])
    );
}
