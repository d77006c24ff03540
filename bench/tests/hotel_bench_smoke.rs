//! The hotel benchmark runs end to end in seconds (`--smoke`), so it never rots: every
//! task on both stores, both implementations, a Markdown table and a CSV.

use std::process::Command;

#[test]
fn the_hotel_benchmark_runs() {
    let csv = std::env::temp_dir().join(format!("hotel-bench-smoke-{}.csv", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_hotel-bench"))
        .args(["--smoke", "--csv"])
        .arg(&csv)
        .output()
        .expect("the benchmark starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(!stderr.contains("failed"), "{stderr}");
    let written = std::fs::read_to_string(&csv).expect("the CSV is written");
    let _ = std::fs::remove_file(&csv);
    // A header, and per store (2) and scenario (9 tasks and the busy one) a row for each
    // implementation.
    assert_eq!(written.lines().count(), 1 + 2 * 10 * 2, "{written}");
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
            for store in ["sqlite", "modelled cloud"] {
                let row = format!("| {store} | 100/s | {task} | {implementation} |");
                assert!(stdout.contains(&row), "no row `{row}` in:\n{stdout}");
            }
        }
    }
    assert!(stdout.contains("a model, not a measurement"), "{stdout}");
}
