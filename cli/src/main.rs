//! `nubes`: operating a nubes application. `nubes tables create|check FILE` makes the
//! DynamoDB tables of the application described by a `.nubes` schema, or reports how the
//! tables on a server differ from it.

mod tables;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code: done; every table is as the schema needs it.
const EXIT_OK: u8 = 0;
/// Exit code: a table is missing or differs from what the schema needs.
const EXIT_DIFFERS: u8 = 1;
/// Exit code: bad usage, a schema with errors, or a server that cannot be reached.
const EXIT_USAGE: u8 = 2;

/// Operate a nubes application.
#[derive(Debug, Parser)]
#[command(name = "nubes", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The application's DynamoDB tables: one per object type and the outbox.
    #[command(subcommand)]
    Tables(TablesCommand),
}

#[derive(Debug, Subcommand)]
enum TablesCommand {
    /// Create the tables that do not exist yet, as the runtime's `ensure_tables` makes
    /// them, turn on expiry by `_ttl` where it is off, then check every table. Safe to run
    /// again: existing tables and their items are left as they are.
    ///
    /// Exit status: 0 when every table is ready, 1 when an existing table differs from
    /// what the schema needs, 2 for a schema with errors or a server that cannot be
    /// reached.
    Create(TablesArgs),
    /// Report, for each table the schema needs, whether it is missing, ready, or differs
    /// (keys, billing mode, expiry), without changing anything.
    ///
    /// Exit status: 0 when every table is ready, 1 when one is missing or differs, 2 for a
    /// schema with errors or a server that cannot be reached.
    Check(TablesArgs),
}

#[derive(Debug, clap::Args)]
struct TablesArgs {
    /// The application's `.nubes` file; imports are followed from it.
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// The endpoint of a local DynamoDB-API server, such as `http://127.0.0.1:8000`
    /// (reached with test credentials, in us-east-1 unless `--region` says otherwise).
    /// Default: `NUBES_DYNAMODB_ENDPOINT`; without either, AWS's endpoint for the region,
    /// with credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
    /// `AWS_SESSION_TOKEN`.
    #[arg(long, value_name = "URL", env = "NUBES_DYNAMODB_ENDPOINT")]
    endpoint: Option<String>,

    /// Put before every table's name, as the functions' `NUBES_TABLE_PREFIX` (the SAM
    /// template's `TablePrefix`) does.
    #[arg(
        long,
        value_name = "PREFIX",
        env = "NUBES_TABLE_PREFIX",
        default_value = ""
    )]
    prefix: String,

    /// The AWS region. Default: `AWS_REGION`, else `AWS_DEFAULT_REGION`, else us-east-1
    /// (with `--endpoint`: us-east-1).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let code = match cli.command {
        Command::Tables(TablesCommand::Create(args)) => {
            runtime.block_on(tables::run(&args, tables::Mode::Create))
        }
        Command::Tables(TablesCommand::Check(args)) => {
            runtime.block_on(tables::run(&args, tables::Mode::Check))
        }
    };
    ExitCode::from(code)
}
