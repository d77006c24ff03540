//! The `nubesc` command line: argument parsing, running the front end, printing
//! diagnostics and the IR, exit codes. `main` only forwards to [`run`].

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

mod build;
mod diff;
mod fmt;
mod graph;
mod new;

use crate::json_diagnostics;
use crate::load::FsReader;
use crate::render::{self, Colors};

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: the input has errors (or warnings, with `--deny-warnings`).
pub const EXIT_DIAGNOSTICS: i32 = 1;
/// Exit code: bad usage, or an input that could not be read.
pub const EXIT_USAGE: i32 = 2;

/// The nubes compiler: turns a `.nubes` schema of stateful objects into Lambda handlers
/// and typed clients with exactly-once method execution.
#[derive(Debug, Parser)]
#[command(name = "nubesc", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check schemas and report every error and warning.
    ///
    /// Exit status: 0 when there is no error, 1 when there are errors,
    /// 2 for bad usage or a file that cannot be read.
    Check(CheckArgs),
    /// Check a schema and generate its crates, `<app>-model`, `<app>-handlers` and
    /// `<app>-client`, and `deploy/template.yaml`, an AWS SAM template that deploys the
    /// application (see docs/deploy.md).
    ///
    /// Files are only rewritten when their contents change; the output is the same bytes
    /// for the same input. Exit status: 0 when the crates were written (or, with
    /// `--check`, are up to date), 1 for errors in the schema (or, with `--check`, crates
    /// that differ), 2 for bad usage or files that cannot be read or written.
    Build(BuildArgs),
    /// Rewrite schemas in the one canonical layout, keeping every comment.
    ///
    /// Exit status: 0 when the files were formatted (or, with `--check`, already are),
    /// 1 when a file has syntax errors (or, with `--check`, is not formatted),
    /// 2 for bad usage or a file that cannot be read or written.
    Fmt(fmt::FmtArgs),
    /// Draw a schema's objects and their relationships as a Mermaid or Graphviz diagram.
    ///
    /// Exit status: 0 when the diagram was printed, 1 for errors in the schema,
    /// 2 for bad usage or a file that cannot be read.
    Graph(graph::GraphArgs),
    /// Say what changes between two versions of a schema mean for data already stored
    /// and for clients already deployed.
    ///
    /// Exit status: 0 when every change is compatible, 1 when a change breaks stored data
    /// or deployed clients (or a schema has errors), 2 for bad usage or a file that cannot
    /// be read.
    Diff(diff::DiffArgs),
    /// Create a new workspace: a small schema, its generated crates, an app crate that
    /// implements its methods, and a test that runs it in process (`cargo test` passes
    /// as it is).
    ///
    /// Exit status: 0 when the workspace was created, 1 when its starter schema does not
    /// compile (a bug in nubesc), 2 for a bad name or runtime path, a directory that is
    /// not empty, or files that cannot be written.
    New(new::NewArgs),
}

#[derive(Debug, clap::Args)]
struct BuildArgs {
    /// The `.nubes` file of the application; imports are followed from it.
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// The directory to write the crates into (created if missing).
    #[arg(long, short = 'o', value_name = "DIR")]
    out: PathBuf,

    /// The application's name: the crates are `<NAME>-model`, `<NAME>-handlers` and
    /// `<NAME>-client`, and Lambda functions `<NAME>-<Type>`. Default: the file's name.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,

    /// Depend on the `nubes-runtime` crate at this path instead of the registry version
    /// that matches this compiler.
    #[arg(long, value_name = "PATH")]
    runtime_path: Option<PathBuf>,

    /// Write nothing: exit with 1 when DIR does not hold exactly what would be generated.
    #[arg(long)]
    check: bool,

    /// How `DIR/deploy/template.yaml` spreads the application over Lambda functions:
    /// `per-type` (a function `<NAME>-<Type>` per object type, plus `<NAME>-outbox`) or
    /// `one` (a single function `<NAME>-all`).
    #[arg(long, value_enum, value_name = "HOW", default_value_t = FunctionsChoice::PerType)]
    functions: FunctionsChoice,

    /// The zip holding the functions' `bootstrap` executable, relative to
    /// `DIR/deploy` (`scripts/lambda-zip` builds one).
    #[arg(long, value_name = "PATH", default_value = "bootstrap.zip")]
    lambda_zip: String,

    /// Treat warnings as errors.
    #[arg(long, short = 'D')]
    deny_warnings: bool,

    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// The `.nubes` files to check; imports are followed from each.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Print the checked schema (the IR) as JSON on standard output.
    #[arg(long)]
    emit_ir: bool,

    /// How to report diagnostics: `human` (text with source snippets, on standard error)
    /// or `json` (one JSON object a line on standard output, for editors and tools; see
    /// docs/diagnostics.md).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,

    /// Treat warnings as errors.
    #[arg(long, short = 'D')]
    deny_warnings: bool,

    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

/// `--message-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MessageFormat {
    /// Text with source snippets, labels and help lines.
    Human,
    /// One JSON object a line.
    Json,
}

/// `--functions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FunctionsChoice {
    /// A function per object type, and one that delivers the outbox.
    PerType,
    /// One function for the whole application.
    One,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    /// Colour when standard error is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Where the command reads and writes: the real process, or buffers in tests.
pub struct Io<'a> {
    /// Relative paths on the command line are taken from here.
    pub base: &'a Path,
    /// Standard output (the IR).
    pub stdout: &'a mut dyn Write,
    /// Standard error (diagnostics).
    pub stderr: &'a mut dyn Write,
    /// Whether standard error is a terminal that can show colours.
    pub stderr_is_terminal: bool,
}

/// Runs `nubesc` on the process's arguments and streams; returns the exit code.
pub fn main() -> i32 {
    let stderr = std::io::stderr();
    let stderr_is_terminal = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut io = Io {
        base: Path::new(""),
        stdout: &mut std::io::stdout().lock(),
        stderr: &mut stderr.lock(),
        stderr_is_terminal,
    };
    run(std::env::args_os(), &mut io)
}

/// Runs `nubesc` with `args` (the first is the program name); returns the exit code.
pub fn run<I, T>(args: I, io: &mut Io<'_>) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let text = if io.stderr_is_terminal {
                error.render().ansi().to_string()
            } else {
                error.render().to_string()
            };
            let code = error.exit_code();
            let stream = if code == 0 {
                &mut *io.stdout
            } else {
                &mut *io.stderr
            };
            return write_or_fail(stream, &text, if code == 0 { EXIT_OK } else { EXIT_USAGE });
        }
    };
    match cli.command {
        Command::Check(args) => check(&args, io),
        Command::Build(args) => build::run(&args, io),
        Command::Fmt(args) => fmt::run(&args, io),
        Command::Graph(args) => graph::run(&args, io),
        Command::Diff(args) => diff::run(&args, io),
        Command::New(args) => new::run(&args, io),
    }
}

fn colors(choice: ColorChoice, io: &Io<'_>) -> Colors {
    match choice {
        ColorChoice::Always => Colors::On,
        ColorChoice::Never => Colors::Off,
        ColorChoice::Auto if io.stderr_is_terminal => Colors::On,
        ColorChoice::Auto => Colors::Off,
    }
}

fn check(args: &CheckArgs, io: &mut Io<'_>) -> i32 {
    if args.emit_ir && args.files.len() != 1 {
        let text = "error: `--emit-ir` takes exactly one FILE\n";
        return write_or_fail(io.stderr, text, EXIT_USAGE);
    }
    if args.emit_ir && args.message_format == MessageFormat::Json {
        let text = "error: `--emit-ir` cannot be used with `--message-format json`: both \
                    write to standard output\n";
        return write_or_fail(io.stderr, text, EXIT_USAGE);
    }
    let colors = colors(args.color, io);
    let mut exit = EXIT_OK;
    for file in &args.files {
        let (code, checked) = compile_as(file, args.deny_warnings, colors, args.message_format, io);
        let schema = checked.map(|checked| checked.schema);
        exit = exit.max(code);
        if args.emit_ir && exit == EXIT_OK {
            if let Some(schema) = &schema {
                exit = exit.max(write_or_fail(io.stdout, &schema.to_json(), EXIT_OK));
            }
        }
    }
    exit
}

/// Checks one file and reports its diagnostics; the schema comes back when the exit code
/// allows going on.
fn compile(
    file: &Path,
    deny_warnings: bool,
    colors: Colors,
    io: &mut Io<'_>,
) -> (i32, Option<crate::ir::Schema>) {
    let (exit, checked) = compile_as(file, deny_warnings, colors, MessageFormat::Human, io);
    (exit, checked.map(|checked| checked.schema))
}

/// A schema that checked, with the files its spans point into.
struct Checked {
    schema: crate::ir::Schema,
    sources: crate::source::SourceMap,
}

/// [`compile`], reporting in the given format and keeping the source files.
fn compile_as(
    file: &Path,
    deny_warnings: bool,
    colors: Colors,
    format: MessageFormat,
    io: &mut Io<'_>,
) -> (i32, Option<Checked>) {
    let mut reader = FsReader {
        base: io.base.to_path_buf(),
    };
    let compilation = match crate::check_with(file, &mut reader) {
        Ok(compilation) => compilation,
        Err(error) => {
            let help = Some("check the path and that the file is readable");
            let code = error.code().as_str();
            if format == MessageFormat::Json {
                let shown = file.display().to_string();
                let line = json_diagnostics::message_line(code, &error.message(), &shown, help);
                return (write_or_fail(io.stdout, &line, EXIT_USAGE), None);
            }
            let text = render::render_message(code, &error.message(), help, colors);
            return (write_or_fail(io.stderr, &text, EXIT_USAGE), None);
        }
    };
    let mut exit = EXIT_OK;
    if format == MessageFormat::Json {
        let failed = compilation
            .diagnostics
            .iter()
            .any(|d| d.is_error() || deny_warnings);
        let lines: String = compilation
            .diagnostics
            .iter()
            .map(|d| json_diagnostics::diagnostic_line(&compilation.sources, d))
            .collect();
        let code = if failed { EXIT_DIAGNOSTICS } else { EXIT_OK };
        exit = write_or_fail(io.stdout, &lines, code);
    } else {
        let errors = compilation
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .count();
        let warnings = compilation.diagnostics.len() - errors;
        let mut text = render::render_all(&compilation.sources, &compilation.diagnostics, colors);
        if errors > 0 || (deny_warnings && warnings > 0) {
            text.push_str(&format!(
                "error: `{}` has {}{}\n",
                file.display(),
                count(errors, "error"),
                if warnings > 0 {
                    format!(" and {}", count(warnings, "warning"))
                } else {
                    String::new()
                }
            ));
            exit = exit.max(EXIT_DIAGNOSTICS);
        } else if warnings > 0 {
            text.push_str(&format!(
                "warning: `{}` has {}\n",
                file.display(),
                count(warnings, "warning")
            ));
        }
        exit = exit.max(write_or_fail(io.stderr, &text, EXIT_OK));
    }
    let checked = match compilation.schema {
        Some(schema) if exit == EXIT_OK => Some(Checked {
            schema,
            sources: compilation.sources,
        }),
        _ => None,
    };
    (exit, checked)
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Writes `text`; a closed stream (e.g. a pipe to `head`) is a usage-level failure.
fn write_or_fail(stream: &mut dyn Write, text: &str, code: i32) -> i32 {
    match stream
        .write_all(text.as_bytes())
        .and_then(|()| stream.flush())
    {
        Ok(()) => code,
        Err(_) => EXIT_USAGE,
    }
}
