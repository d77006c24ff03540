//! `nubesc graph`: check a schema and print a diagram of it on standard output.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{colors, compile, write_or_fail, ColorChoice, Io, EXIT_OK};
use crate::graph::{self, Format, Options};

/// The arguments of `nubesc graph`.
#[derive(Debug, clap::Args)]
pub(super) struct GraphArgs {
    /// The `.nubes` file to draw; imports are followed from it.
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// The diagram language.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = FormatChoice::Mermaid)]
    format: FormatChoice,

    /// Also list each object's methods, with their parameters, return type and raised
    /// errors, and draw those errors.
    #[arg(long)]
    methods: bool,

    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatChoice {
    /// A Mermaid class diagram, rendered by GitHub and many editors in Markdown.
    Mermaid,
    /// A Graphviz digraph, for `dot -Tsvg`.
    Dot,
}

/// Runs `nubesc graph`; returns the exit code.
pub(super) fn run(args: &GraphArgs, io: &mut Io<'_>) -> i32 {
    let (exit, schema) = compile(&args.file, false, colors(args.color, io), io);
    let Some(schema) = schema else {
        return exit;
    };
    let options = Options {
        format: match args.format {
            FormatChoice::Mermaid => Format::Mermaid,
            FormatChoice::Dot => Format::Dot,
        },
        methods: args.methods,
    };
    write_or_fail(io.stdout, &graph::draw(&schema, options), EXIT_OK)
}
