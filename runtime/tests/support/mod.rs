//! Shared test support: the stores tests run on.
//!
//! DynamoDB tests talk to `NUBES_DYNAMO_ENDPOINT` when it is set, and otherwise to a moto
//! server that `scripts/moto start` installs and starts (once per test process). Each
//! store gets its own table prefix, so tests never see each other's tables.

// Not every test binary uses every helper.
#![allow(dead_code)]

/// Runs each listed test body — `async fn name(store: Arc<dyn Store>)` in the including
/// file — once per store, as `sqlite::name` and `dynamo::name`.
#[allow(unused_macros)] // each test binary uses one of the two
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let store: std::sync::Arc<dyn nubes_runtime::Store> =
                        std::sync::Arc::new(super::support::sqlite_store());
                    super::$name(store).await;
                }
            )*
        }
        mod dynamo {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let store: std::sync::Arc<dyn nubes_runtime::Store> =
                        std::sync::Arc::new(super::support::dynamo_store(stringify!($name)).await);
                    super::$name(store).await;
                }
            )*
        }
    };
}

/// Like `on_both_stores!`, for bodies that need several fresh stores: each body is
/// `async fn name(new_store: impl Fn() -> impl Future<Output = Arc<dyn Store>>)`. The
/// DynamoDB stores of one test share tables and keep to partitions of their own: the
/// including file declares `mod cases;` from `support/cases.rs`.
#[allow(unused_macros)] // each test binary uses one of the two
macro_rules! on_both_stores_fresh {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(|| async {
                        let store: std::sync::Arc<dyn nubes_runtime::Store> =
                            std::sync::Arc::new(super::support::sqlite_store());
                        store
                    })
                    .await;
                }
            )*
        }
        mod dynamo {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    // One set of tables; each store keeps to partitions of its own.
                    let shared = super::support::dynamo_store(stringify!($name)).await;
                    let cases = std::sync::Arc::new(super::cases::Cases::new(
                        std::sync::Arc::new(shared),
                    ));
                    super::$name(move || {
                        let cases = cases.clone();
                        async move { cases.fresh() }
                    })
                    .await;
                }
            )*
        }
    };
}

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use nubes_runtime::store::dynamo::DynamoStore;
use nubes_runtime::store::sqlite::SqliteStore;

/// The endpoint of the DynamoDB-API server, found or started once per process (or why
/// there is none).
static ENDPOINT: OnceLock<Result<String, String>> = OnceLock::new();

/// Numbers the stores of this process.
static STORES: AtomicUsize = AtomicUsize::new(0);

/// The endpoint URL of the DynamoDB-API server, found or started once per process.
/// Panics when no server can be reached or started: a test never skips silently.
pub fn dynamo_endpoint() -> String {
    match ENDPOINT.get_or_init(find_or_start_server) {
        Ok(endpoint) => endpoint.clone(),
        Err(why) => panic!("{why}"),
    }
}

/// A store on the DynamoDB-API server with a table prefix of its own. Panics when no
/// server can be reached or started: a test never skips silently.
pub async fn dynamo_store(test_name: &str) -> DynamoStore {
    let endpoint = dynamo_endpoint();
    let n = STORES.fetch_add(1, Ordering::Relaxed);
    let prefix = format!("{}-{}-{n}-", table_safe(test_name), std::process::id());
    DynamoStore::builder()
        .endpoint_url(endpoint)
        .table_prefix(prefix)
        .build()
}

/// A fresh in-memory SQLite store.
pub fn sqlite_store() -> SqliteStore {
    SqliteStore::in_memory().expect("an in-memory SQLite store")
}

/// `NUBES_DYNAMO_ENDPOINT`, or the URL of the moto server `scripts/moto start` started.
fn find_or_start_server() -> Result<String, String> {
    if let Some(url) = std::env::var("NUBES_DYNAMO_ENDPOINT")
        .ok()
        .filter(|url| !url.is_empty())
    {
        return Ok(url);
    }
    let script = moto_script();
    let run = |command: &str| {
        Command::new(&script)
            .arg(command)
            .stderr(Stdio::inherit())
            .output()
            .map_err(|err| format!("could not run `{} {command}`: {err}", script.display()))
    };
    let started = run("start")?;
    if !started.status.success() {
        return Err(format!(
            "`{} start` failed ({}): the DynamoDB tests need moto (see .tools/moto.log), \
             or set NUBES_DYNAMO_ENDPOINT to a DynamoDB-API server",
            script.display(),
            started.status
        ));
    }
    // Each test process starts from an empty server: moto keeps everything in memory.
    let reset = run("reset")?;
    if !reset.status.success() {
        return Err(format!(
            "`{} reset` failed ({})",
            script.display(),
            reset.status
        ));
    }
    let url = run("url")?;
    let url = String::from_utf8_lossy(&url.stdout).trim().to_string();
    if url.is_empty() {
        return Err(format!("`{} url` printed nothing", script.display()));
    }
    Ok(url)
}

/// `scripts/moto` of the repository, found from the crate that includes this module.
fn moto_script() -> PathBuf {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .ancestors()
        .map(|dir| dir.join("scripts/moto"))
        .find(|script| script.is_file())
        .unwrap_or_else(|| crate_dir.join("../scripts/moto"))
}

/// `name` with every character a table name cannot hold replaced by `-`.
fn table_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
