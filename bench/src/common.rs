//! What every runtime benchmark prints and needs: the machine it ran on, a scratch
//! directory for its database, and latency percentiles.

use std::error::Error as StdError;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What `main` and the rows return on failure.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// The CPU, the cores available and the platform, for the table's heading.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |cores| cores.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!(
        "{model}, {cores} cores available, {} {}",
        std::env::consts::ARCH,
        std::env::consts::OS
    )
}

/// "release" or "debug": the build the numbers come from.
pub fn build_kind() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

/// Runs `bench` with a fresh scratch directory for its database, removes the directory
/// whatever happened (a failure to remove it is only reported), and prints the total time.
pub async fn in_scratch_dir<F, Fut>(name: &str, bench: F) -> Result<(), BoxError>
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: Future<Output = Result<(), BoxError>>,
{
    let dir = temp_dir(name)?;
    let started = Instant::now();
    let outcome = bench(dir.clone()).await;
    if let Err(error) = std::fs::remove_dir_all(&dir) {
        eprintln!("could not remove {}: {error}", dir.display());
    }
    outcome?;
    println!("\ntotal: {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// A fresh temporary directory for a database file, named after the benchmark.
fn temp_dir(bench: &str) -> Result<PathBuf, BoxError> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("nubes-{bench}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The latency at quantile `q` (0–1) of `sorted` latencies, in µs.
pub fn percentile_us(sorted: &[Duration], q: f64) -> f64 {
    let last = sorted.len().saturating_sub(1);
    let index = ((last as f64) * q).round() as usize;
    sorted
        .get(index.min(last))
        .map_or(0.0, |latency| latency.as_secs_f64() * 1e6)
}

/// A copy of the SQLite database at `from`, with its write-ahead log, at `to`: taken while
/// nothing writes to it, it holds everything committed.
pub fn copy_sqlite(from: &Path, to: &Path) -> Result<(), BoxError> {
    for suffix in ["", "-wal"] {
        let source = PathBuf::from(format!("{}{suffix}", from.display()));
        if source.exists() {
            std::fs::copy(&source, format!("{}{suffix}", to.display()))?;
        }
    }
    Ok(())
}

/// The repository's root (where `scripts/` is).
pub fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `scripts/<script> <command>` of the repository and answers what it printed, or an
/// error with what it said on failure.
pub fn run_script(script: &str, command: &str) -> Result<String, BoxError> {
    let path = repository().join("scripts").join(script);
    let output = std::process::Command::new(&path)
        .arg(command)
        .output()
        .map_err(|error| format!("could not run `{} {command}`: {error}", path.display()))?;
    if !output.status.success() {
        return Err(format!(
            "`{} {command}` failed: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}
