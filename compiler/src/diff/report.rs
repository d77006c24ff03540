//! Presents the changes `nubesc diff` found: each rendered like a diagnostic (the item's
//! snippet in its version, the other version's as a note), a summary line, or one JSON
//! document. Only this module needs the sources; the comparison works on spans.

use serde_json::{json, Value};

use super::change::{Change, Class, Side};
use crate::render::{self, Colors, Finding, Level, Place};
use crate::source::{SourceMap, Span};

/// The sources of the two versions.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// The files of the old version.
    pub old: &'a SourceMap,
    /// The files of the new version.
    pub new: &'a SourceMap,
}

impl<'a> Sources<'a> {
    fn sources(&self, side: Side) -> &'a SourceMap {
        match side {
            Side::Old => self.old,
            Side::New => self.new,
        }
    }

    /// The place of `span` in the version `side`, narrowed to what is worth showing.
    fn place(&self, side: Side, span: Span) -> Place<'a> {
        let sources = self.sources(side);
        Place {
            sources,
            span: shown(sources, span),
        }
    }
}

/// Every change rendered as text, each followed by a blank line.
pub fn render(changes: &[Change], sources: Sources<'_>, colors: Colors) -> String {
    let mut out = String::new();
    for change in changes {
        if let Some(finding) = finding(change, sources) {
            out.push_str(&render::render_finding(&finding, colors));
        }
    }
    out
}

fn finding<'a>(change: &Change, sources: Sources<'a>) -> Option<Finding<'a>> {
    let primary = sources.place(change.primary, change.primary_span()?);
    let other_side = match change.primary {
        Side::Old => Side::New,
        Side::New => Side::Old,
    };
    let other = match other_side {
        Side::Old => change.old,
        Side::New => change.new,
    };
    let mut notes = Vec::new();
    let note_place = change.note.as_ref().and_then(|note| note.at);
    // A note pointing into the other version stands in for that version's snippet.
    let note_replaces_other = note_place.is_some_and(|(side, _)| side == other_side);
    if let (Some(span), false) = (other, note_replaces_other) {
        let label = match other_side {
            Side::Old => "in the old version",
            Side::New => "in the new version",
        };
        notes.push((label.to_string(), Some(sources.place(other_side, span))));
    }
    if let Some(note) = &change.note {
        let place = note.at.map(|(side, span)| sources.place(side, span));
        notes.push((note.text.clone(), place));
    }
    Some(Finding {
        code: change.code.as_str().to_string(),
        message: format!("{}: {}", change.message, classes_text(change)),
        level: if change.is_breaking() {
            Level::Error
        } else {
            Level::Advice
        },
        primary,
        label: Some(change.reasons.join("\n")),
        help: change.help.clone(),
        notes,
    })
}

/// "compatible", "breaks clients", "breaks stored data and clients".
fn classes_text(change: &Change) -> &'static str {
    match (
        change.has(Class::BreaksStoredData),
        change.has(Class::BreaksClients),
    ) {
        (true, true) => "breaks stored data and clients",
        (true, false) => Class::BreaksStoredData.as_str(),
        (false, true) => Class::BreaksClients.as_str(),
        (false, false) => Class::Compatible.as_str(),
    }
}

/// "no changes", or "3 changes: 1 compatible, 1 break stored data, 2 break clients" (a
/// change that breaks both is counted in both).
pub fn summary(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no changes".to_string();
    }
    let count = |class: Class| changes.iter().filter(|change| change.has(class)).count();
    format!(
        "{} change{}: {} compatible, {} break stored data, {} break clients",
        changes.len(),
        if changes.len() == 1 { "" } else { "s" },
        count(Class::Compatible),
        count(Class::BreaksStoredData),
        count(Class::BreaksClients)
    )
}

/// The changes as one pretty JSON array, followed by a newline.
pub fn to_json(changes: &[Change], sources: Sources<'_>) -> String {
    let list: Vec<Value> = changes
        .iter()
        .map(|change| {
            let place = |side: Side, span: Option<Span>| {
                span.map_or(Value::Null, |span| json_place(sources.place(side, span)))
            };
            json!({
                "code": change.code.as_str(),
                "kind": change.code.kind(),
                "classes": change.classes.iter().map(|class| class.key()).collect::<Vec<_>>(),
                "message": change.message,
                "reason": change.reason(),
                "help": change.help,
                "note": change.note.as_ref().map(|note| note.text.clone()),
                "primary": match change.primary {
                    Side::Old => "old",
                    Side::New => "new",
                },
                "old": place(Side::Old, change.old),
                "new": place(Side::New, change.new),
            })
        })
        .collect();
    // Serializing plain data with string keys cannot fail.
    let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
    text.push('\n');
    text
}

/// A place as file, line and column of its start and end (the end is exclusive: the
/// position just past the last character), all 1-based.
fn json_place(place: Place<'_>) -> Value {
    let span = place.span;
    let (line, column) = place.sources.line_col(span);
    let end = Span {
        start: span.end,
        ..span
    };
    let (end_line, end_column) = place.sources.line_col(end);
    json!({
        "file": place.sources.file(span.file).name,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
    })
}

/// The part of `span` worth showing: without leading comment lines (doc comments belong
/// to a declaration's span), for a type declaration only its first line
/// (`object Hotel {`), not its whole body, and for a method its name (`fn reserve`).
fn shown(sources: &SourceMap, span: Span) -> Span {
    let text = sources.snippet(span);
    let mut start = 0;
    loop {
        let rest = &text[start..];
        let trimmed = rest.trim_start();
        let is_comment = trimmed.starts_with("//");
        match rest.find('\n') {
            Some(newline) if is_comment => start += newline + 1,
            _ => {
                start += rest.len() - trimmed.len();
                break;
            }
        }
    }
    let rest = &text[start..];
    let mut length = rest.len();
    if let Some(newline) = rest.find('\n') {
        let first = rest[..newline].trim_end();
        if first.ends_with('{') {
            length = first.len();
        }
    }
    let is_method = rest.starts_with("fn ") || rest.starts_with("readonly fn ");
    if let (true, Some(paren)) = (is_method, rest.find('(')) {
        length = length.min(paren);
    }
    let from = span.start as usize + start;
    Span::new(span.file, from, from + length)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown_text(text: &str) -> String {
        let mut sources = SourceMap::new();
        let file = sources.add("a.nubes", text, false);
        let span = shown(&sources, Span::new(file, 0, text.len()));
        sources.snippet(span).to_string()
    }

    #[test]
    fn doc_comments_are_left_out() {
        assert_eq!(
            shown_text("/// The rate.\n    /// More.\n    rate: Float"),
            "rate: Float"
        );
    }

    #[test]
    fn a_declaration_shows_its_first_line() {
        assert_eq!(
            shown_text("/// A hotel.\nobject Hotel {\n    name: String\n}"),
            "object Hotel {"
        );
        assert_eq!(
            shown_text("enum Color { Red, Green }"),
            "enum Color { Red, Green }"
        );
    }

    #[test]
    fn a_method_shows_its_name() {
        assert_eq!(
            shown_text("/// Books.\n    readonly fn isFree(day: Date) -> Bool"),
            "readonly fn isFree"
        );
    }

    #[test]
    fn a_member_over_several_lines_shows_whole() {
        assert_eq!(
            shown_text("@readonly\n    city: City"),
            "@readonly\n    city: City"
        );
    }
}
