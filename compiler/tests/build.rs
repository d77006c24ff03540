//! `nubesc build` as a user runs it: what it writes, that a second run writes nothing,
//! `--check`, and its errors and exit codes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
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

/// A fresh directory under the target directory, unique to one test.
fn scratch(test: &str) -> PathBuf {
    let dir = root()
        .join("target/nubesc-build-tests")
        .join(format!("{test}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

#[test]
fn build_writes_what_the_golden_tree_holds_and_a_second_run_changes_nothing() {
    let out_dir = scratch("hotel");
    let out_arg = out_dir.to_string_lossy().into_owned();
    let first = nubesc(&[
        "build",
        "examples/hotel.nubes",
        "-o",
        &out_arg,
        "--runtime-path",
        "runtime",
    ]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert!(
        text(&first.stderr).contains(
            "generated hotel-model, hotel-handlers, hotel-client and deploy/template.yaml"
        ),
        "{}",
        text(&first.stderr)
    );
    // The runtime path differs (another directory), so compare the Rust sources, which
    // must be byte-identical to the blessed ones.
    for part in ["model", "handlers", "client"] {
        let relative = format!("hotel-{part}/src/lib.rs");
        let built = fs::read_to_string(out_dir.join(&relative)).unwrap_or_default();
        let golden = fs::read_to_string(root().join("tests/golden/build/hotel").join(&relative))
            .unwrap_or_default();
        assert!(!built.is_empty(), "{relative} was not written");
        assert!(built == golden, "{relative} differs from the golden file");
    }
    let second = nubesc(&[
        "build",
        "examples/hotel.nubes",
        "-o",
        &out_arg,
        "--runtime-path",
        "runtime",
    ]);
    assert_eq!(second.status.code(), Some(0));
    assert!(
        text(&second.stderr).contains("(0 of 7 files changed)"),
        "{}",
        text(&second.stderr)
    );
    let check = nubesc(&[
        "build",
        "examples/hotel.nubes",
        "-o",
        &out_arg,
        "--runtime-path",
        "runtime",
        "--check",
    ]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    let _ = fs::remove_dir_all(&out_dir);
}

#[test]
fn check_reports_changed_and_missing_files_and_writes_nothing() {
    let out_dir = scratch("check");
    let out_arg = out_dir.to_string_lossy().into_owned();
    let args = [
        "build",
        "examples/hotel.nubes",
        "-o",
        &out_arg,
        "--name",
        "inn",
    ];
    assert_eq!(nubesc(&args).status.code(), Some(0));
    let model = out_dir.join("inn-model/src/lib.rs");
    fs::write(&model, "// edited by hand\n").expect("the scratch file is writable");
    fs::remove_file(out_dir.join("inn-client/Cargo.toml")).expect("the scratch file exists");
    let check = nubesc(&[&args[..], &["--check"]].concat());
    assert_eq!(check.status.code(), Some(1));
    let stderr = text(&check.stderr);
    assert!(stderr.contains("differs: inn-model/src/lib.rs"), "{stderr}");
    assert!(
        stderr.contains("missing: inn-client/Cargo.toml"),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(&model).ok().as_deref(),
        Some("// edited by hand\n")
    );
    let _ = fs::remove_dir_all(&out_dir);
}

#[test]
fn without_a_runtime_path_the_crates_depend_on_the_registry_version() {
    let out_dir = scratch("registry");
    let out_arg = out_dir.to_string_lossy().into_owned();
    let out = nubesc(&["build", "tests/golden/pass/minimal.nubes", "-o", &out_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let manifest =
        fs::read_to_string(out_dir.join("minimal-handlers/Cargo.toml")).unwrap_or_default();
    let expected = format!(
        "nubes-runtime = {{ version = \"{}\", features = [\"lambda-handler\"] }}",
        env!("CARGO_PKG_VERSION")
    );
    assert!(manifest.contains(&expected), "{manifest}");
    assert!(
        manifest.contains("minimal-model = { path = \"../minimal-model\" }"),
        "{manifest}"
    );
    let _ = fs::remove_dir_all(&out_dir);
}

#[test]
fn a_schema_with_errors_exits_1_and_writes_nothing() {
    let out_dir = scratch("errors");
    let out_arg = out_dir.to_string_lossy().into_owned();
    let out = nubesc(&[
        "build",
        "tests/golden/fail/types_unknown_field_type.nubes",
        "-o",
        &out_arg,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("nubes::E014"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !out_dir.exists(),
        "nothing may be written for a schema with errors"
    );
}

#[test]
fn bad_names_and_paths_exit_2_with_a_reason() {
    let out_dir = scratch("usage");
    let out_arg = out_dir.to_string_lossy().into_owned();
    let cases: [(&[&str], &str); 3] = [
        (
            &["--name", "Hotel"],
            "`Hotel` is not a valid application name",
        ),
        (
            &["--runtime-path", "no/such/dir"],
            "`--runtime-path no/such/dir` is not a crate",
        ),
        (&[], "required"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["build", "examples/hotel.nubes"];
        if !extra.is_empty() {
            args.extend(["-o", &out_arg]);
        }
        args.extend(extra);
        let out = nubesc(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(expected),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let _ = fs::remove_dir_all(&out_dir);
}

#[test]
fn help_explains_build() {
    let out = nubesc(&["build", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for flag in [
        "--out",
        "--name",
        "--runtime-path",
        "--check",
        "--functions",
        "--lambda-zip",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}

#[test]
fn the_deploy_flags_shape_the_template() {
    let out_dir = scratch("deploy-flags");
    let out_arg = out_dir.to_string_lossy().into_owned();
    let build = |extra: &[&str]| {
        let mut args = vec![
            "build",
            "examples/hotel.nubes",
            "-o",
            &out_arg,
            "--name",
            "inn",
        ];
        args.extend_from_slice(extra);
        let output = nubesc(&args);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        fs::read_to_string(out_dir.join("deploy/template.yaml")).unwrap_or_default()
    };
    let per_type = build(&[]);
    assert!(per_type.contains("CodeUri: bootstrap.zip"), "{per_type}");
    assert!(per_type.contains("Default: inn\n"), "{per_type}");
    for function in ["City", "Hotel", "Room", "Reservation", "User", "outbox"] {
        let name = format!("FunctionName: !Sub \"${{AppName}}-{function}\"");
        assert!(per_type.contains(&name), "{name} missing:\n{per_type}");
    }
    let one = build(&["--functions", "one", "--lambda-zip", "../build/app.zip"]);
    assert!(one.contains("CodeUri: \"../build/app.zip\""), "{one}");
    assert_eq!(
        one.matches("Type: AWS::Serverless::Function").count(),
        1,
        "{one}"
    );
    assert!(
        one.contains("FunctionName: !Sub \"${AppName}-all\""),
        "{one}"
    );
    let wrong = nubesc(&[
        "build",
        "examples/hotel.nubes",
        "-o",
        &out_arg,
        "--functions",
        "some",
    ]);
    assert_eq!(wrong.status.code(), Some(2), "{}", text(&wrong.stderr));
    let _ = fs::remove_dir_all(&out_dir);
}
