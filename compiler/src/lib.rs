//! `nubesc`, the compiler of the `.nubes` schema language.
//!
//! The front end runs in stages, each owned by one module: [`load`] reads the root file
//! and its imports, [`syntax`] parses each into an AST, [`check`] resolves and checks
//! everything and lowers it to the [`ir`], which is what code generation reads.
//! [`diag`] describes problems; [`render`] and [`cli`] present them.

pub mod check;
pub mod cli;
pub mod codegen;
pub mod diag;
pub mod diff;
pub mod fmt;
pub mod graph;
pub mod ir;
pub mod json_diagnostics;
pub mod load;
pub mod output;
pub mod render;
pub mod source;
pub mod stdlib;
pub mod syntax;
pub mod time_literal;

use std::path::Path;

use diag::Diagnostic;
use load::{FileReader, Loaded, RootError};
use source::SourceMap;

/// The result of checking one root file and its imports.
#[derive(Debug)]
pub struct Compilation {
    /// Every file that was read.
    pub sources: SourceMap,
    /// Every error and warning, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The checked schema; `None` when there was an error.
    pub schema: Option<ir::Schema>,
}

impl Compilation {
    /// True when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks the file at `path` (and its imports) on the file system.
pub fn check_path(path: &Path) -> Result<Compilation, RootError> {
    load::load_path(path).map(finish)
}

/// Checks the file `path` and its imports, read through `reader`.
pub fn check_with(path: &Path, reader: &mut dyn FileReader) -> Result<Compilation, RootError> {
    load::load_with(path, reader).map(finish)
}

/// Checks one in-memory file named `name` (imports of the stdlib only).
pub fn check_text(name: &str, text: &str) -> Compilation {
    finish(load::load_text(name, text))
}

fn finish(loaded: Loaded) -> Compilation {
    let (mut diagnostics, schema) = if loaded.incomplete {
        (loaded.diagnostics.clone(), None)
    } else {
        let checked = check::check(&loaded);
        let mut all = loaded.diagnostics.clone();
        all.extend(checked.diagnostics);
        let schema = if all.iter().any(Diagnostic::is_error) {
            None
        } else {
            checked.schema
        };
        (all, schema)
    };
    diag::sort(&mut diagnostics);
    Compilation {
        sources: loaded.sources,
        diagnostics,
        schema,
    }
}
