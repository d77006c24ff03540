//! The hotel benchmark runs end to end in seconds (`--smoke`), so it never rots: every
//! task on every store (SQLite, the modelled cloud, moto, and moto behind the Lambda
//! transport), both implementations, the collection-growth table, a Markdown table, a
//! CSV and a PNG.

use std::process::Command;

#[test]
fn the_hotel_benchmark_runs() {
    let out = std::env::temp_dir().join(format!("hotel-bench-smoke-{}", std::process::id()));
    let (csv, png) = (out.with_extension("csv"), out.with_extension("png"));
    let output = Command::new(env!("CARGO_BIN_EXE_hotel-bench"))
        .args(["--smoke", "--csv"])
        .arg(&csv)
        .arg("--png")
        .arg(&png)
        .output()
        .expect("the benchmark starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(!stderr.contains("failed"), "{stderr}");
    let written = std::fs::read_to_string(&csv).expect("the CSV is written");
    let drawn = std::fs::read(&png).expect("the PNG is written");
    let _ = std::fs::remove_file(&csv);
    let _ = std::fs::remove_file(&png);
    assert!(drawn.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // A header, and per store (4) and scenario (9 tasks and the busy one) a row for each
    // implementation.
    assert_eq!(written.lines().count(), 1 + 4 * 10 * 2, "{written}");
    for task in [
        "register",
        "delete-user",
        "set-rate",
        "reserve",
        "recommend-location",
        "recommend-rate",
        "login",
        "get-hotels",
        "get-user-reservations",
    ] {
        for implementation in ["exactly-once", "ssf"] {
            for (store, rate) in [
                ("sqlite", "100/s"),
                ("modelled cloud", "100/s"),
                ("dynamodb (moto)", "20/s"),
                ("lambda + dynamodb (moto)", "5/s"),
            ] {
                let row = format!("| {store} | {rate} | {task} | {implementation} |");
                assert!(stdout.contains(&row), "no row `{row}` in:\n{stdout}");
            }
        }
    }
    assert!(stdout.contains("a model, not a measurement"), "{stdout}");
    // Both collection-reading tasks, both implementations, each size of the smoke run.
    for task in ["get-hotels", "get-user-reservations"] {
        for implementation in ["exactly-once", "ssf"] {
            for size in [5, 25] {
                let row = format!("| {task} | {implementation} | {size} |");
                assert!(stdout.contains(&row), "no row `{row}` in:\n{stdout}");
            }
        }
    }
}
