//! `nubesc diff OLD NEW`: checks both versions of a schema as `check` does, then reports
//! what each change means for stored data and deployed clients.

use std::path::{Path, PathBuf};

use super::{
    colors, compile_as, write_or_fail, Checked, ColorChoice, Io, MessageFormat, EXIT_DIAGNOSTICS,
    EXIT_OK, EXIT_USAGE,
};
use crate::diff::{self, report};
use crate::ir::Schema;
use crate::render::Colors;
use crate::source::SourceMap;

/// The arguments of `nubesc diff`.
#[derive(Debug, clap::Args)]
pub(super) struct DiffArgs {
    /// The version already deployed (its root `.nubes` file).
    #[arg(value_name = "OLD")]
    old: PathBuf,

    /// The version about to replace it.
    #[arg(value_name = "NEW")]
    new: PathBuf,

    /// Print the changes as one JSON array on standard output instead of the report.
    ///
    /// When OLD or NEW has errors, standard output stays empty (not `[]`, which would mean
    /// no changes): the diagnostics go to standard error, as `check` prints them, and the
    /// exit status is 1. A file that cannot be read also leaves it empty, with status 2.
    #[arg(long)]
    json: bool,

    /// When to colour the report and diagnostics.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

/// One checked version: its schema and the files its spans point into.
struct Version {
    sources: SourceMap,
    schema: Schema,
}

/// Runs `nubesc diff`; returns the exit code.
pub(super) fn run(args: &DiffArgs, io: &mut Io<'_>) -> i32 {
    let colors = colors(args.color, io);
    let old = load(&args.old, colors, io);
    let new = load(&args.new, colors, io);
    let (old, new) = match (old, new) {
        (Ok(old), Ok(new)) => (old, new),
        (old, new) => {
            let exit = |result: &Result<Version, i32>| result.as_ref().err().copied();
            return exit(&old).max(exit(&new)).unwrap_or(EXIT_USAGE);
        }
    };
    let changes = diff::diff(&old.schema, &new.schema);
    let sources = report::Sources {
        old: &old.sources,
        new: &new.sources,
    };
    let exit = if changes.iter().any(diff::Change::is_breaking) {
        EXIT_DIAGNOSTICS
    } else {
        EXIT_OK
    };
    if args.json {
        return write_or_fail(io.stdout, &report::to_json(&changes, sources), exit);
    }
    let mut text = report::render(&changes, sources, colors);
    text.push_str(&report::summary(&changes));
    text.push('\n');
    write_or_fail(io.stderr, &text, exit)
}

/// Checks `file` and reports its diagnostics as `check` does; the checked version when it
/// has no errors, else the exit code.
fn load(file: &Path, colors: Colors, io: &mut Io<'_>) -> Result<Version, i32> {
    match compile_as(file, false, colors, MessageFormat::Human, io) {
        (_, Some(Checked { schema, sources })) => Ok(Version { sources, schema }),
        (exit, None) => Err(exit),
    }
}
