//! The canonical layout of `.nubes` files, as `nubesc fmt` writes it.
//!
//! Formatting only moves blank space, drops optional separators (`;`, and a `,` that ends
//! an item or a list) and writes `///` lines with one space after the slashes. Every
//! comment stays, in order, next to the same code. A file with syntax errors is not
//! formatted. Before a result is handed out it is checked against the input: the same
//! code tokens, the same comments, and a file that still parses.

mod layout;
mod lex;

use crate::diag::Diagnostic;
use crate::source::FileId;

/// Why a file was not formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The file does not parse; the diagnostics say where (spans in file 0).
    Syntax(Vec<Diagnostic>),
    /// The layout would have changed more than blank space: a bug in the formatter,
    /// caught before anything was written. The text says what differed.
    Changed(String),
}

/// The text of `source` in the canonical layout.
pub fn format(source: &str) -> Result<String, FormatError> {
    let parsed = crate::syntax::parse(FileId(0), source);
    if parsed.failed || !parsed.diagnostics.is_empty() {
        return Err(FormatError::Syntax(parsed.diagnostics));
    }
    let formatted = layout::Layout::new(source, lex::tokens(source)).file();
    same_schema(source, &formatted).map_err(FormatError::Changed)?;
    Ok(formatted)
}

/// Checks that `after` says what `before` says: the same code tokens apart from the
/// separators the layout drops, the same comments in the same order, and no syntax error.
fn same_schema(before: &str, after: &str) -> Result<(), String> {
    let code = |text| -> Vec<String> {
        lex::tokens(text)
            .iter()
            .filter(|token| !token.is_comment() && !token.is(",") && !token.is(";"))
            .map(|token| token.text.to_string())
            .collect()
    };
    let comments = |text| -> Vec<String> {
        lex::tokens(text)
            .iter()
            .filter(|token| token.is_comment())
            .map(|token| comment_text(token.text))
            .collect()
    };
    if code(before) != code(after) {
        return Err("the code of the formatted file differs from the original".into());
    }
    if comments(before) != comments(after) {
        return Err("the comments of the formatted file differ from the original".into());
    }
    let parsed = crate::syntax::parse(FileId(0), after);
    if parsed.failed || !parsed.diagnostics.is_empty() {
        return Err("the formatted file does not parse".into());
    }
    Ok(())
}

/// A comment's words, for comparing comments across layouts: line ends and the space
/// after `///` do not count.
fn comment_text(text: &str) -> String {
    let text = match text.strip_prefix("///") {
        Some(body) if !body.starts_with('/') => body.strip_prefix(' ').unwrap_or(body),
        _ => text,
    };
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formatted(text: &str) -> String {
        match format(text) {
            Ok(text) => text,
            Err(error) => panic!("not formatted: {error:?}\n{text}"),
        }
    }

    #[test]
    fn lays_out_an_object() {
        let text = "object  A{@id name:String;tags :[ String ]?  @default( \"x\" , ) , fn  go ( a:Int , b :Map< String,Int >, )->Bool raises E ,F}\nerror E{}\nerror F{}";
        assert_eq!(
            formatted(text),
            "object A {\n    @id name: String\n    tags: [String]? @default(\"x\")\n    fn go(a: Int, b: Map<String, Int>) -> Bool raises E, F\n}\n\nerror E {}\n\nerror F {}\n"
        );
    }

    #[test]
    fn keeps_comments_where_they_were() {
        let text = "// head\n\nimport \"stdlib/time.nubes\" // why\n/// An A.\nobject A { // opens\n  ///The id.\n  @id name: String /* after */\n\n\n  // alone\n  b: Int\n  // last\n}\n// end\n";
        assert_eq!(
            formatted(text),
            "// head\n\nimport \"stdlib/time.nubes\" // why\n\n/// An A.\nobject A { // opens\n    /// The id.\n    @id name: String /* after */\n\n    // alone\n    b: Int\n    // last\n}\n\n// end\n"
        );
    }

    #[test]
    fn an_item_with_a_line_comment_inside_is_kept_as_written() {
        let text = "object A {\n  fn go(a: Int, // first\n        b: Int)\n}\n";
        assert_eq!(
            formatted(text),
            "object A {\n    fn go(a: Int, // first\n        b: Int)\n}\n"
        );
    }

    #[test]
    fn enums_lose_their_separators() {
        assert_eq!(
            formatted("enum E { A, B; C }"),
            "enum E {\n    A\n    B\n    C\n}\n"
        );
    }

    #[test]
    fn a_file_with_syntax_errors_is_refused() {
        assert!(matches!(
            format("object A {\n  name String\n}\n"),
            Err(FormatError::Syntax(diagnostics)) if !diagnostics.is_empty()
        ));
    }

    #[test]
    fn formatting_twice_changes_nothing() {
        let text =
            "object A{/* x */ @id /* y */ name:String\nfn  f()}\n\n\n\nstruct S{a:Int,b:Int}";
        let once = formatted(text);
        assert_eq!(formatted(&once), once);
    }
}
