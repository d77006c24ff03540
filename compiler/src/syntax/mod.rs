//! Parsing: `.nubes` text → [`ast::File`] plus syntax diagnostics.
//!
//! The pest grammar lives in `compiler/grammar/nubes.pest`. Lines that the grammar's catch-all
//! rules swallowed are explained here, one diagnostic each, so a file with several
//! broken lines reports all of them.

pub mod ast;
mod build;
mod errors;

use pest::Parser as _;

use crate::diag::Diagnostic;
use crate::source::FileId;

mod grammar {
    //! The parser pest generates from `compiler/grammar/nubes.pest` (its rule names are the
    //! grammar's, documented there).
    #![allow(missing_docs)]

    /// The parser generated from the grammar.
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/nubes.pest"]
    pub(crate) struct NubesParser;
}

pub(crate) use grammar::{NubesParser, Rule};

/// The result of parsing one file.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Everything that could be read. Empty when the file as a whole did not parse.
    pub file: ast::File,
    /// Syntax errors, in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// True when the file as a whole failed to parse (not just single lines); its
    /// declarations are unknown, so checking other files against it would only add noise.
    pub failed: bool,
}

/// Parses the text of `file`.
pub fn parse(file: FileId, text: &str) -> Parsed {
    match NubesParser::parse(Rule::file, text) {
        Ok(mut pairs) => {
            let Some(root) = pairs.next() else {
                return Parsed::default();
            };
            let mut builder = build::Builder::new(file, text);
            let ast = builder.file(root);
            Parsed {
                file: ast,
                diagnostics: builder.into_diagnostics(),
                failed: false,
            }
        }
        Err(error) => Parsed {
            file: ast::File::default(),
            diagnostics: vec![errors::from_pest(file, text, &error, None, "end of file")],
            failed: true,
        },
    }
}
