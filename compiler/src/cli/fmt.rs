//! `nubesc fmt`: rewrite schemas in the canonical layout, or (`--check`) say which are not.

use std::fs;
use std::path::{Path, PathBuf};

use super::{colors, write_or_fail, ColorChoice, Io, EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE};
use crate::fmt::{self, FormatError};
use crate::load::describe_io;
use crate::render::{self, Colors};
use crate::source::SourceMap;

/// The arguments of `nubesc fmt`.
#[derive(Debug, clap::Args)]
pub(super) struct FmtArgs {
    /// The `.nubes` files to format (imports are not followed).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Write nothing: exit with 1 and show the first difference of every file that is not
    /// in the canonical layout.
    #[arg(long, conflicts_with = "stdout")]
    check: bool,

    /// Print the formatted text on standard output instead of rewriting the files.
    #[arg(long)]
    stdout: bool,

    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

/// What happened to one file.
enum Outcome {
    /// Already in the canonical layout (or, with `--stdout`, printed).
    Unchanged,
    /// Rewritten, or with `--check`, found not formatted.
    Reformatted,
}

/// Runs `nubesc fmt`; returns the exit code.
pub(super) fn run(args: &FmtArgs, io: &mut Io<'_>) -> i32 {
    let colors = colors(args.color, io);
    let mut exit = EXIT_OK;
    let mut unformatted = 0;
    for file in &args.files {
        match format_file(args, file, colors, io) {
            Ok(Outcome::Unchanged) => {}
            Ok(Outcome::Reformatted) => unformatted += 1,
            Err(code) => exit = exit.max(code),
        }
    }
    if args.check && unformatted > 0 {
        let noun = if unformatted == 1 { "file" } else { "files" };
        let text = format!(
            "error: {unformatted} {noun} not formatted; run `nubesc fmt` on {}\n",
            if unformatted == 1 { "it" } else { "them" }
        );
        exit = exit.max(write_or_fail(io.stderr, &text, EXIT_DIAGNOSTICS));
    }
    exit
}

/// Formats one file; the error is the exit code, after its message was written.
fn format_file(
    args: &FmtArgs,
    file: &Path,
    colors: Colors,
    io: &mut Io<'_>,
) -> Result<Outcome, i32> {
    let path = io.base.join(file);
    let shown = file.display().to_string();
    let bytes = fs::read(&path).map_err(|error| {
        let message = format!("cannot read `{shown}`: {}", describe_io(&error));
        let help = Some("check the path and that the file is readable");
        let text = render::render_message("nubes::E003", &message, help, colors);
        write_or_fail(io.stderr, &text, EXIT_USAGE)
    })?;
    let Ok(source) = String::from_utf8(bytes) else {
        let message = format!("`{shown}` is not valid UTF-8");
        let text = render::render_message("nubes::E002", &message, None, colors);
        return Err(write_or_fail(io.stderr, &text, EXIT_DIAGNOSTICS));
    };
    let formatted = match fmt::format(&source) {
        Ok(formatted) => formatted,
        Err(FormatError::Syntax(diagnostics)) => {
            let mut sources = SourceMap::new();
            sources.add(shown.clone(), source, false);
            let mut text = render::render_all(&sources, &diagnostics, colors);
            text.push_str(&format!(
                "error: `{shown}` was not formatted: it has syntax errors\n"
            ));
            return Err(write_or_fail(io.stderr, &text, EXIT_DIAGNOSTICS));
        }
        Err(FormatError::Changed(why)) => {
            let text = format!(
                "error: `{shown}` was left as it is: {why}; this is a bug in `nubesc fmt`\n"
            );
            return Err(write_or_fail(io.stderr, &text, EXIT_USAGE));
        }
    };
    if args.stdout {
        let code = write_or_fail(io.stdout, &formatted, EXIT_OK);
        return if code == EXIT_OK {
            Ok(Outcome::Unchanged)
        } else {
            Err(code)
        };
    }
    if formatted == source {
        return Ok(Outcome::Unchanged);
    }
    if args.check {
        let text = first_difference(&shown, &source, &formatted);
        let code = write_or_fail(io.stderr, &text, EXIT_OK);
        return if code == EXIT_OK {
            Ok(Outcome::Reformatted)
        } else {
            Err(code)
        };
    }
    write_atomically(&path, &formatted).map_err(|error| {
        let text = format!("error: cannot write `{shown}`: {error}\n");
        write_or_fail(io.stderr, &text, EXIT_USAGE)
    })?;
    Ok(Outcome::Reformatted)
}

/// The lines that differ between `source` and `formatted` (the first twelve of each), as
/// a reader can act on them.
fn first_difference(shown: &str, source: &str, formatted: &str) -> String {
    const SHOWN_LINES: usize = 12;
    let old: Vec<&str> = source.lines().collect();
    let new: Vec<&str> = formatted.lines().collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let removed = &old[prefix..old.len() - suffix];
    let added = &new[prefix..new.len() - suffix];
    let mut text = format!("`{shown}` is not formatted; from line {}:\n", prefix + 1);
    for (sign, lines) in [("-", removed), ("+", added)] {
        for line in lines.iter().take(SHOWN_LINES) {
            text.push_str(&format!("{sign} {line}\n"));
        }
        if lines.len() > SHOWN_LINES {
            text.push_str(&format!("{sign} … {} more\n", lines.len() - SHOWN_LINES));
        }
    }
    if removed.is_empty() && added.is_empty() {
        text.push_str("  (blank space at the ends of lines, or the line break at the end)\n");
    }
    text
}

/// Replaces the file's contents through a file beside it, so an interrupted write never
/// leaves a half-written schema. A symbolic link stays a link: its target is rewritten.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let path = &fs::canonicalize(path)?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".nubesc-fmt.tmp");
    let temporary = PathBuf::from(temporary);
    fs::write(&temporary, text)?;
    if let Ok(metadata) = fs::metadata(path) {
        fs::set_permissions(&temporary, metadata.permissions())?;
    }
    fs::rename(&temporary, path).inspect_err(|_| {
        let _ = fs::remove_file(&temporary);
    })
}
