//! The hotel application as an HTTP server: the same handlers and method bodies as the
//! in-process scenario, on an embedded SQLite file, answering `POST /invoke` (see
//! `nubes_runtime::http`). A generated client reaches it with
//! `hotel_client::Client::new(HttpTransport::new("http://127.0.0.1:8700")?)`.
//!
//! ```text
//! hotel-http [--db PATH] [--listen ADDRESS] [--sync-every-commit]
//! ```
//!
//! It prints `listening on http://ADDRESS` once it accepts calls (with port 0, the port
//! the system chose), and stops on Ctrl-C or SIGTERM after answering the calls in flight.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use hotel_app::HotelApp;
use nubes_runtime::http;
use nubes_runtime::store::sqlite::SqliteStore;

const USAGE: &str = "\
Serves the hotel application over HTTP on an embedded SQLite store.

Usage: hotel-http [--db PATH] [--listen ADDRESS] [--sync-every-commit]

Options:
  --db PATH              the SQLite file, created if missing [default: hotel.sqlite]
  --listen ADDRESS       where to listen; port 0 lets the system choose [default: 127.0.0.1:8700]
  --sync-every-commit    fsync every commit (survives power loss); by default a commit
                         survives a crash of the process without an fsync of its own
  -h, --help             print this help";

/// What the command line asked for.
struct Options {
    db: PathBuf,
    listen: SocketAddr,
    sync_every_commit: bool,
}

fn options(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        db: PathBuf::from("hotel.sqlite"),
        listen: SocketAddr::from(([127, 0, 0, 1], 8700)),
        sync_every_commit: false,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--db" => options.db = value("--db")?.into(),
            "--listen" => {
                let text = value("--listen")?;
                options.listen = text.parse().map_err(|_| {
                    format!("--listen: `{text}` is not an address like 127.0.0.1:8700")
                })?;
            }
            "--sync-every-commit" => options.sync_every_commit = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(options))
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match options(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("hotel-http: {error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match serve(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hotel-http: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    let mut store = SqliteStore::open(&options.db)
        .map_err(|error| format!("cannot open {}: {error}", options.db.display()))?;
    if options.sync_every_commit {
        store = store.sync_every_commit()?;
    }
    let transport = hotel_handlers::in_process(Arc::new(store), HotelApp)
        .with_tables()
        .await?;
    let bound = |address| println!("listening on http://{address}");
    http::serve(transport, options.listen, bound, shutdown_signal())
        .await
        .map_err(|error| format!("cannot serve on {}: {error}", options.listen))?;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                eprintln!("hotel-http: SIGTERM cannot be caught ({error}); stop it with Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    };
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            eprintln!("hotel-http: Ctrl-C cannot be caught ({error}); stop it with SIGTERM");
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
