//! `nubesc graph`.

use super::{Io, EXIT_USAGE};

/// The arguments of `nubesc graph`.
#[derive(Debug, clap::Args)]
pub(super) struct GraphArgs {
    /// The `.nubes` files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<std::path::PathBuf>,
}

/// Runs `nubesc graph`; returns the exit code.
pub(super) fn run(args: &GraphArgs, io: &mut Io<'_>) -> i32 {
    let _ = args;
    super::write_or_fail(io.stderr, "error: not built yet\n", EXIT_USAGE)
}
