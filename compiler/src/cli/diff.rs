//! `nubesc diff`.

use super::{Io, EXIT_USAGE};

/// The arguments of `nubesc diff`.
#[derive(Debug, clap::Args)]
pub(super) struct DiffArgs {
    /// The `.nubes` files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<std::path::PathBuf>,
}

/// Runs `nubesc diff`; returns the exit code.
pub(super) fn run(args: &DiffArgs, io: &mut Io<'_>) -> i32 {
    let _ = args;
    super::write_or_fail(io.stderr, "error: not built yet\n", EXIT_USAGE)
}
