//! The canonical layout of `.nubes` files, as `nubesc fmt` writes it.
//!
//! Formatting only moves blank space, drops optional separators (`;`, and a `,` that ends
//! an item or a list) and writes `///` lines with one space after the slashes. Every
//! comment stays, in order, next to the same code. Line breaks are written as the file's
//! first one is (`\n`, `\r\n` or `\r`), and a leading byte order mark is kept. A file with
//! syntax errors is not formatted. Before a result is handed out it is checked against
//! the input: the same syntax tree apart from places, the same code tokens, the same
//! comments.

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
    let laid_out = layout::Layout::new(source, lex::tokens(source)).file();
    let formatted = with_line_breaks_of(source, &laid_out);
    same_schema(source, &formatted).map_err(FormatError::Changed)?;
    Ok(formatted)
}

/// `text` (lines ending in `\n`) with the line breaks and byte order mark of `source`.
fn with_line_breaks_of(source: &str, text: &str) -> String {
    let line_break = match source.find(['\n', '\r']) {
        Some(at) if source[at..].starts_with("\r\n") => "\r\n",
        Some(at) if source[at..].starts_with('\r') => "\r",
        _ => "\n",
    };
    let bom = if source.starts_with('\u{FEFF}') {
        "\u{FEFF}"
    } else {
        ""
    };
    format!("{bom}{}", text.replace('\n', line_break))
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
    if syntax_without_places(before) != syntax_without_places(after) {
        return Err("the syntax tree of the formatted file differs from the original".into());
    }
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

/// The syntax tree of `text` with its places left out, as text; `None` when it does not
/// parse.
fn syntax_without_places(text: &str) -> Option<String> {
    let parsed = crate::syntax::parse(FileId(0), text);
    if parsed.failed || !parsed.diagnostics.is_empty() {
        return None;
    }
    let tree = format!("{:?}", parsed.file);
    let mut out = String::with_capacity(tree.len());
    let mut rest = tree.as_str();
    while let Some(at) = rest.find("Span {") {
        out.push_str(&rest[..at]);
        // A span prints as `Span { file: FileId(0), start: 1, end: 2 }`, without braces
        // inside.
        rest = rest[at..].find('}').map_or("", |end| &rest[at + end + 1..]);
    }
    out.push_str(rest);
    Some(out)
}

/// A comment's words, for comparing comments across layouts: line ends and the space
/// after `///` do not count.
fn comment_text(text: &str) -> String {
    let text = match text.strip_prefix("///") {
        Some(body) if !body.starts_with('/') => body.strip_prefix(' ').unwrap_or(body),
        _ => text,
    };
    layout::trim_line_ends(text)
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

    /// The readonly of `b` must stay on `b` with old Mac line ends, which the grammar
    /// reads as line breaks.
    #[test]
    fn carriage_returns_alone_end_lines() {
        let text = "object A {\r    a: Int\r    @readonly b: Int\r}\r";
        assert_eq!(
            formatted(text),
            "object A {\r    a: Int\r    @readonly b: Int\r}\r"
        );
    }

    #[test]
    fn a_byte_order_mark_inside_a_line_is_not_inline_space() {
        let text = "object A {\n    a: Int\u{FEFF}@readonly b: Int\n}\n";
        assert_eq!(
            formatted(text),
            "object A {\n    a: Int\n    @readonly b: Int\n}\n"
        );
    }

    #[test]
    fn line_ends_and_a_leading_byte_order_mark_are_kept() {
        let text = "\u{FEFF}struct S{a:Int}\r\nstruct T{b:Int}\r\n";
        assert_eq!(
            formatted(text),
            "\u{FEFF}struct S {\r\n    a: Int\r\n}\r\n\r\nstruct T {\r\n    b: Int\r\n}\r\n"
        );
    }

    #[test]
    fn a_block_comment_before_an_item_on_its_line_stays_with_that_item() {
        assert_eq!(
            formatted("enum E { Red, /* g */ Green }"),
            "enum E {\n    Red\n    /* g */ Green\n}\n"
        );
        assert_eq!(
            formatted("/* a */ /* b */ object A { /* c */ /* d */ a: Int }"),
            "/* a */ /* b */ object A {\n    /* c */ /* d */ a: Int\n}\n"
        );
    }

    #[test]
    fn comments_before_a_closing_brace_stay_inside_the_body() {
        assert_eq!(
            formatted("object B { /* c */ }"),
            "object B {\n    /* c */\n}\n"
        );
        assert_eq!(
            formatted("enum E { A\n /* c */ }"),
            "enum E {\n    A\n    /* c */\n}\n"
        );
    }
}
