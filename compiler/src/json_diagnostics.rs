//! Diagnostics as JSON, one object a line, for editors and other tools
//! (`nubesc check --message-format json`), in the spirit of cargo's JSON messages.
//!
//! Each object has `code`, `severity` (`error` or `warning`), `message`, `file`, the
//! primary place (`line`, `column`, `end_line`, `end_column`: 1-based, columns counted in
//! characters, the end exclusive), `spans` (every labelled place, the primary first, each
//! with its file, byte offsets, lines, columns, `label` and `is_primary`), `help` (or
//! `null`) and `rendered`, the text `check` prints without JSON.

use serde::Serialize;

use crate::diag::{Diagnostic, Label, Severity};
use crate::render::{self, Colors};
use crate::source::{SourceMap, Span};

/// One diagnostic, as written on its line.
#[derive(Debug, Serialize)]
struct Message<'a> {
    code: &'a str,
    severity: &'a str,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    spans: Vec<JsonSpan<'a>>,
    help: Option<&'a str>,
    rendered: String,
}

/// One labelled place.
#[derive(Debug, Serialize)]
struct JsonSpan<'a> {
    file: &'a str,
    byte_start: u32,
    byte_end: u32,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    label: &'a str,
    is_primary: bool,
}

/// The JSON line of one diagnostic, ending in a line break.
pub fn diagnostic_line(sources: &SourceMap, diagnostic: &Diagnostic) -> String {
    let primary = json_span(sources, &diagnostic.primary, true);
    let mut spans = vec![primary];
    spans.extend(
        diagnostic
            .secondary
            .iter()
            .map(|label| json_span(sources, label, false)),
    );
    let primary = &spans[0];
    let message = Message {
        code: diagnostic.code.as_str(),
        severity: severity_name(diagnostic.severity()),
        message: &diagnostic.message,
        file: Some(primary.file),
        line: Some(primary.line),
        column: Some(primary.column),
        end_line: Some(primary.end_line),
        end_column: Some(primary.end_column),
        help: diagnostic.help.as_deref(),
        rendered: render::render(sources, diagnostic, Colors::Off),
        spans,
    };
    to_line(&message)
}

/// The JSON line of an error that has no place in a source file (an unreadable input),
/// ending in a line break.
pub fn message_line(code: &str, message: &str, file: &str, help: Option<&str>) -> String {
    let message_object = Message {
        code,
        severity: severity_name(Severity::Error),
        message,
        file: Some(file),
        line: None,
        column: None,
        end_line: None,
        end_column: None,
        spans: Vec::new(),
        help,
        rendered: render::render_message(code, message, help, Colors::Off),
    };
    to_line(&message_object)
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn json_span<'a>(sources: &'a SourceMap, label: &'a Label, is_primary: bool) -> JsonSpan<'a> {
    let span = label.span;
    let (line, column) = sources.line_col(span);
    let (end_line, end_column) =
        sources.line_col(Span::new(span.file, span.end as usize, span.end as usize));
    JsonSpan {
        file: &sources.file(span.file).name,
        byte_start: span.start,
        byte_end: span.end,
        line,
        column,
        end_line,
        end_column,
        label: &label.message,
        is_primary,
    }
}

fn to_line(message: &Message<'_>) -> String {
    // Plain data with string keys always serializes.
    let mut line = serde_json::to_string(message).unwrap_or_default();
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diagnostic_becomes_one_line_with_its_places() {
        let compilation = crate::check_text(
            "shop.nubes",
            "object Shop {\n    /* é */ owner: Person\n}\n",
        );
        let diagnostic = &compilation.diagnostics[0];
        let line = diagnostic_line(&compilation.sources, diagnostic);
        assert!(
            line.ends_with('\n') && line.matches('\n').count() == 1,
            "{line}"
        );
        let value: serde_json::Value = match serde_json::from_str(&line) {
            Ok(value) => value,
            Err(error) => panic!("not JSON: {error}: {line}"),
        };
        assert_eq!(value["code"], "nubes::E014");
        assert_eq!(value["severity"], "error");
        assert_eq!(value["file"], "shop.nubes");
        // Columns count characters (`é` is one), byte offsets bytes (`é` is two).
        assert_eq!(
            (value["line"].as_u64(), value["column"].as_u64()),
            (Some(2), Some(20))
        );
        assert_eq!(value["end_column"].as_u64(), Some(26));
        assert_eq!(value["spans"][0]["byte_start"].as_u64(), Some(34));
        assert_eq!(value["spans"][0]["byte_end"].as_u64(), Some(40));
        assert_eq!(value["spans"][0]["is_primary"], true);
        assert!(value["rendered"]
            .as_str()
            .is_some_and(|text| text.contains("nubes::E014")));
    }
}
