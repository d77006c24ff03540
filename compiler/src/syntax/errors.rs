//! Syntax errors in plain words: pest's "expected rules" become "expected `:`, found `x`",
//! never a list of grammar rule names.

use pest::error::{Error, ErrorVariant, InputLocation};
use pest::Parser as _;

use super::build::BadLine;
use super::{NubesParser, Rule};
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// What a grammar rule is called in an error message; `None` for rules that would only
/// add noise (doc comments, catch-alls).
fn describe(rule: Rule) -> Option<&'static str> {
    use Rule::*;
    Some(match rule {
        ident | named_type => "a name",
        bad_raises => "`raises`",
        colon => "`:`",
        comma => "`,`",
        lbrace => "`{`",
        rbrace => "`}`",
        lparen => "`(`",
        rparen => "`)`",
        lbracket => "`[`",
        rbracket => "`]`",
        langle => "`<`",
        rangle => "`>`",
        arrow | return_type => "`->`",
        question => "`?`",
        type_expr | list_type | map_type | map_keyword => "a type",
        field | field_head => "a field",
        method => "a method",
        attribute | attribute_args => "an attribute",
        variant => "a variant",
        params | param => "a parameter",
        raises | kw_raises => "`raises`",
        kw_import | import => "`import`",
        kw_object | object_decl => "`object`",
        kw_struct | struct_decl => "`struct`",
        kw_enum | enum_decl => "`enum`",
        kw_error | error_decl => "`error`",
        kw_fn => "`fn`",
        kw_readonly => "`readonly`",
        string_literal => "a string in double quotes",
        int_literal | float_literal | bool_literal => "a literal",
        EOI => "end of file",
        _ => return None,
    })
}

/// Joins descriptions as "a, b or c".
fn one_of(items: &[&str]) -> String {
    match items {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The token at `offset` (after blank space), for "found …", and its span.
fn found_at(file: FileId, text: &str, offset: usize, end_word: &str) -> (String, Span) {
    let rest = text.get(offset..).unwrap_or("");
    let skipped = rest.len() - rest.trim_start().len();
    let start = offset + skipped;
    let rest = &rest[skipped..];
    let Some(first) = rest.chars().next() else {
        return (
            end_word.to_string(),
            Span::new(file, text.len(), text.len()),
        );
    };
    let len = if first.is_ascii_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len())
    } else if rest.starts_with("///") {
        3
    } else if rest.starts_with("->") || rest.starts_with("//") || rest.starts_with("/*") {
        2
    } else {
        first.len_utf8()
    };
    let token = &rest[..len];
    let shown = if first.is_control() {
        format!("`{}`", first.escape_default())
    } else {
        format!("`{token}`")
    };
    (shown, Span::new(file, start, start + len))
}

/// Converts a pest failure in `text` into a diagnostic with spans measured in `text`.
/// `expected_first` replaces pest's list when nothing of the input was read; `end_word`
/// names the end of `text` ("end of file", or "end of line" for a re-parsed line).
pub(super) fn from_pest(
    file: FileId,
    text: &str,
    error: &Error<Rule>,
    expected_first: Option<&str>,
    end_word: &str,
) -> Diagnostic {
    let offset = match error.location {
        InputLocation::Pos(pos) => pos,
        InputLocation::Span((start, _)) => start,
    };
    let mut expected: Vec<&str> = Vec::new();
    if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for rule in positives {
            if let Some(text) = describe(*rule) {
                if !expected.contains(&text) {
                    expected.push(text);
                }
            }
        }
    }
    let nothing_read = text
        .get(..offset)
        .is_none_or(|before| before.trim().is_empty());
    let expected = match expected_first {
        Some(first) if nothing_read => first.to_string(),
        _ => one_of(&expected),
    };
    let (found, span) = found_at(file, text, offset, end_word);
    let found_eof = found == "end of file";
    let mut diagnostic = Diagnostic::new(
        Code::Syntax,
        format!("expected {expected}, found {found}"),
        span,
        format!("expected {expected}"),
    );
    if found_eof && expected.contains("`}`") {
        diagnostic = diagnostic.with_help("a `{` is never closed: add the missing `}`");
    }
    diagnostic
}

/// Explains one line that a catch-all rule swallowed, by parsing it again on its own.
pub(super) fn bad_line(
    file: FileId,
    text: &str,
    start: usize,
    line: &str,
    kind: BadLine,
) -> Diagnostic {
    let (rule, what, help) = match kind {
        BadLine::Declaration => (
            None,
            "a declaration (`import`, `object`, `struct`, `enum` or `error`)",
            "every top-level item starts with `import`, `object`, `struct`, `enum` or `error`",
        ),
        BadLine::Member => (
            Some(Rule::member_line),
            "a field or method",
            "a field is written `name: Type`, a method `fn name(param: Type) -> Type`",
        ),
        BadLine::Raises => (
            Some(Rule::raises_line),
            "`raises`",
            "list the error types a method raises, e.g. `raises Overlap, Closed`",
        ),
        BadLine::Variant => (
            Some(Rule::variant_line),
            "a variant",
            "an enum lists its variants by name, e.g. `enum Status { Open, Closed }`; variants carry no data",
        ),
    };
    let first_word = line
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    let error = rule.and_then(|rule| NubesParser::parse(rule, line).err());
    let mut diagnostic = match error {
        Some(error) => {
            let mut diagnostic = from_pest(file, line, &error, Some(what), "end of line");
            // `from_pest` measured offsets in the line; move them into the file.
            diagnostic.primary.span = shift(diagnostic.primary.span, start);
            diagnostic
        }
        None => {
            let (found, span) = found_at(file, text, start, "end of file");
            Diagnostic::new(
                Code::Syntax,
                format!("expected {what}, found {found}"),
                span,
                format!("expected {what}"),
            )
        }
    };
    let keyword = ["object", "struct", "enum", "error", "import"].contains(&first_word);
    if kind != BadLine::Declaration && keyword {
        diagnostic = diagnostic.with_help(format!(
            "`{first_word}` starts a declaration: is the `}}` closing the declaration above missing?"
        ));
    } else if line.starts_with("///") {
        diagnostic =
            diagnostic.with_help("a doc comment must be followed by the item it documents");
    } else if diagnostic.help.is_none() {
        diagnostic = diagnostic.with_help(help);
    }
    diagnostic
}

fn shift(span: Span, by: usize) -> Span {
    Span::new(span.file, span.start as usize + by, span.end as usize + by)
}
