//! The `nubesc` binary as a user runs it: exit codes, streams, determinism.

use std::path::Path;
use std::process::{Command, Output};

fn nubesc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nubesc"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .env_remove("NO_COLOR")
        .output()
        .expect("the nubesc binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_hotel_example_checks_clean_and_silent() {
    let out = nubesc(&["check", "examples/hotel.nubes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "stdout: {}", text(&out.stdout));
    assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
}

#[test]
fn errors_exit_1_and_name_file_and_code() {
    let out = nubesc(&["check", "tests/golden/fail/types_unknown_field_type.nubes"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("nubes::E014"), "{stderr}");
    assert!(
        stderr.contains("types_unknown_field_type.nubes:3:9"),
        "{stderr}"
    );
    assert!(stderr.contains("has 1 error"), "{stderr}");
    // Output to a pipe carries no colour codes.
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
}

#[test]
fn a_missing_file_exits_2_with_a_diagnostic() {
    let out = nubesc(&["check", "no/such/file.nubes"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("nubes::E003"), "{stderr}");
    assert!(
        stderr.contains("cannot read `no/such/file.nubes`: no such file"),
        "{stderr}"
    );
}

#[test]
fn a_directory_exits_2() {
    let out = nubesc(&["check", "examples"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("it is a directory"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["check"][..],
        &["frobnicate"][..],
        &["check", "--emit-ir", "a.nubes", "b.nubes"][..],
    ] {
        let out = nubesc(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "args {args:?}: {}",
            text(&out.stderr)
        );
        assert!(!out.stderr.is_empty(), "args {args:?} printed nothing");
    }
}

#[test]
fn help_goes_to_stdout_and_exits_0() {
    let out = nubesc(&["check", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("--emit-ir"), "{stdout}");
    assert!(stdout.contains("Exit status"), "{stdout}");
}

#[test]
fn warnings_pass_unless_denied() {
    let file = "tests/golden/pass/warn_empty_object.nubes";
    let out = nubesc(&["check", file]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("nubes::W002"));
    let out = nubesc(&["check", "--deny-warnings", file]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn every_file_is_checked_and_the_worst_exit_wins() {
    let out = nubesc(&[
        "check",
        "tests/golden/fail/names_duplicate_field.nubes",
        "examples/hotel.nubes",
        "tests/golden/fail/id_optional.nubes",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("nubes::E011") && stderr.contains("nubes::E024"),
        "{stderr}"
    );
}

#[test]
fn emitted_ir_is_json_and_byte_identical_across_runs() {
    let first = nubesc(&["check", "--emit-ir", "examples/hotel.nubes"]);
    let second = nubesc(&["check", "--emit-ir", "examples/hotel.nubes"]);
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(first.stdout, second.stdout);
    let json: serde_json::Value = serde_json::from_slice(&first.stdout).expect("the IR is JSON");
    let objects: Vec<&str> = json["objects"]
        .as_array()
        .expect("objects is a list")
        .iter()
        .filter_map(|object| object["name"].as_str())
        .collect();
    assert_eq!(objects, ["City", "Hotel", "Room", "Reservation", "User"]);
}

#[test]
fn no_ir_is_printed_for_a_schema_with_errors() {
    let out = nubesc(&["check", "--emit-ir", "tests/golden/fail/id_optional.nubes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn json_messages_go_to_stdout_one_object_a_line() {
    let out = nubesc(&[
        "check",
        "--message-format",
        "json",
        "tests/golden/pass/warn_casing.nubes",
        "no/such/file.nubes",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let values: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let codes: Vec<&str> = values.iter().filter_map(|v| v["code"].as_str()).collect();
    assert_eq!(
        codes,
        ["nubes::W001"; 4]
            .iter()
            .chain(&["nubes::E003"])
            .copied()
            .collect::<Vec<_>>(),
        "{stdout}"
    );
    assert_eq!(values[0]["severity"], "warning");
    assert_eq!(
        (values[0]["line"].as_u64(), values[0]["column"].as_u64()),
        (Some(5), Some(8))
    );
    assert_eq!(values[4]["file"], "no/such/file.nubes");
    assert!(values[4]["line"].is_null(), "{stdout}");
}

#[test]
fn json_messages_follow_deny_warnings() {
    let file = "tests/golden/pass/warn_casing.nubes";
    let allowed = nubesc(&["check", "--message-format", "json", file]);
    assert_eq!(allowed.status.code(), Some(0));
    let denied = nubesc(&["check", "--message-format", "json", "-D", file]);
    assert_eq!(denied.status.code(), Some(1));
    assert_eq!(allowed.stdout, denied.stdout);
}

#[test]
fn json_messages_and_the_ir_cannot_share_stdout() {
    let out = nubesc(&[
        "check",
        "--message-format",
        "json",
        "--emit-ir",
        "examples/hotel.nubes",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot be used with"),
        "{}",
        text(&out.stderr)
    );
    let human = nubesc(&[
        "check",
        "--message-format",
        "human",
        "--emit-ir",
        "examples/hotel.nubes",
    ]);
    assert_eq!(human.status.code(), Some(0), "{}", text(&human.stderr));
}
