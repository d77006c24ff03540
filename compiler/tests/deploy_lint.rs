//! Every generated SAM template passes cfn-lint, AWS's linter for CloudFormation, run by
//! `scripts/cfn-lint` (installed from PyPI into `.tools/` on first use). A template with a
//! known mistake must fail it, so a linter that checks nothing cannot pass this test.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `deploy/template.yaml` of every golden build case.
fn templates() -> Vec<PathBuf> {
    let build = root().join("tests/golden/build");
    let mut found: Vec<PathBuf> = fs::read_dir(&build)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", build.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("deploy/template.yaml"))
        .filter(|path| path.is_file())
        .collect();
    found.sort();
    found
}

fn cfn_lint(files: &[PathBuf]) -> Output {
    Command::new(root().join("scripts/cfn-lint"))
        .args(files)
        .output()
        .expect("scripts/cfn-lint runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn every_generated_template_passes_cfn_lint() {
    let templates = templates();
    assert!(
        templates.len() >= 10,
        "expected a template in every golden build case, found {templates:?}"
    );
    let output = cfn_lint(&templates);
    assert_eq!(
        output.status.code(),
        Some(0),
        "cfn-lint found problems:\n{}",
        text(&output)
    );
}

#[test]
fn cfn_lint_rejects_a_template_with_a_mistake() {
    let hotel = root().join("tests/golden/build/hotel/deploy/template.yaml");
    let good = fs::read_to_string(&hotel).expect("the hotel template");
    let broken = good.replacen(
        "BillingMode: PAY_PER_REQUEST",
        "BillingMode: PAY_PER_USE",
        1,
    );
    assert_ne!(good, broken, "the template has no BillingMode to break");
    let dir = root().join("target/deploy-lint-tests");
    fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join(format!("broken-{}.yaml", std::process::id()));
    fs::write(&path, broken).expect("the broken template is written");
    let output = cfn_lint(std::slice::from_ref(&path));
    let _ = fs::remove_file(&path);
    assert_ne!(
        output.status.code(),
        Some(0),
        "cfn-lint passed a broken template"
    );
    assert!(
        text(&output).contains("PAY_PER_USE"),
        "cfn-lint failed for another reason:\n{}",
        text(&output)
    );
}
