//! Spans of diagnostics point at exactly the right text.

use nubesc::diag::{Code, Diagnostic};
use nubesc::Compilation;

fn check(text: &str) -> Compilation {
    nubesc::check_text("test.nubes", text)
}

fn only(compilation: &Compilation, code: Code) -> &Diagnostic {
    let matching: Vec<&Diagnostic> = compilation
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "expected one {code:?}, got {:#?}",
        compilation.diagnostics
    );
    matching[0]
}

#[test]
fn unknown_type_points_at_the_name() {
    let compilation = check("object A {\n  name: Strng\n}\n");
    let diagnostic = only(&compilation, Code::UnknownType);
    assert_eq!(
        compilation.sources.snippet(diagnostic.primary.span),
        "Strng"
    );
    assert_eq!(
        compilation.sources.line_col(diagnostic.primary.span),
        (2, 9)
    );
    assert_eq!(diagnostic.help.as_deref(), Some("did you mean `String`?"));
}

#[test]
fn duplicate_type_labels_the_first_definition() {
    let compilation = check("struct P { x: Int }\nobject A { p: P }\nstruct P { y: Int }\n");
    let diagnostic = only(&compilation, Code::DuplicateType);
    assert_eq!(
        compilation.sources.line_col(diagnostic.primary.span),
        (3, 8)
    );
    assert_eq!(diagnostic.secondary.len(), 1);
    assert_eq!(
        compilation.sources.line_col(diagnostic.secondary[0].span),
        (1, 8)
    );
    assert_eq!(
        compilation.sources.snippet(diagnostic.secondary[0].span),
        "P"
    );
}

#[test]
fn relationship_errors_label_both_sides() {
    let compilation =
        check("object H {\n  rooms: [R] @hasOne(hotel)\n}\nobject R {\n  hotel: String\n}\n");
    let diagnostic = only(&compilation, Code::BadHasOneInverse);
    assert_eq!(
        compilation.sources.snippet(diagnostic.primary.span),
        "hotel"
    );
    assert_eq!(
        compilation.sources.line_col(diagnostic.primary.span),
        (2, 22)
    );
    assert_eq!(
        compilation.sources.snippet(diagnostic.secondary[0].span),
        "String"
    );
}

#[test]
fn tracked_on_a_many_to_many_list_points_at_the_attribute() {
    let compilation = check(
        "object A {\n  bs: [B] @hasMany(as) @tracked\n}\nobject B {\n  as: [A] @hasMany(bs)\n}\n",
    );
    let diagnostic = only(&compilation, Code::TrackedNotOneToMany);
    assert_eq!(
        compilation.sources.snippet(diagnostic.primary.span),
        "@tracked"
    );
    assert_eq!(
        compilation.sources.line_col(diagnostic.primary.span),
        (2, 24)
    );
    assert_eq!(
        compilation.sources.snippet(diagnostic.secondary[0].span),
        "@hasMany(as)"
    );
    assert!(diagnostic.help.is_some());
    let accepted = check("object A {\n  bs: [B] @hasOne(a) @tracked\n}\nobject B {\n  a: A\n}\n");
    assert!(accepted.schema.is_some(), "{:#?}", accepted.diagnostics);
}

#[test]
fn syntax_errors_point_at_the_offending_token_on_every_bad_line() {
    let compilation = check("object A {\n  name String\n  ( oops\n  ok: Int\n}\n");
    let spans: Vec<(&str, (usize, usize))> = compilation
        .diagnostics
        .iter()
        .map(|d| {
            (
                compilation.sources.snippet(d.primary.span),
                compilation.sources.line_col(d.primary.span),
            )
        })
        .collect();
    assert_eq!(spans, [("String", (2, 8)), ("(", (3, 3))]);
    assert!(compilation
        .diagnostics
        .iter()
        .all(|d| d.code == Code::Syntax));
    assert_eq!(
        compilation.diagnostics[0].message,
        "expected `:`, found `String`"
    );
    assert_eq!(
        compilation.diagnostics[1].message,
        "expected a field or method, found `(`"
    );
}

#[test]
fn invalid_utf8_points_at_the_first_bad_byte() {
    let mut reader = OneFile(b"object A {\n  n\xffame: String\n}\n".to_vec());
    let compilation =
        nubesc::check_with(std::path::Path::new("bad.nubes"), &mut reader).expect("readable");
    let diagnostic = only(&compilation, Code::InvalidUtf8);
    assert_eq!(
        compilation.sources.line_col(diagnostic.primary.span),
        (2, 4)
    );
}

struct OneFile(Vec<u8>);

impl nubesc::load::FileReader for OneFile {
    fn read(&mut self, _: &std::path::Path) -> std::io::Result<Vec<u8>> {
        Ok(self.0.clone())
    }
}

#[test]
fn diagnostics_are_sorted_by_position() {
    let compilation = check("object A { b: Nope }\nobject B { c: Nada }\nobject A { d: Int }\n");
    let starts: Vec<u32> = compilation
        .diagnostics
        .iter()
        .map(|d| d.primary.span.start)
        .collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted);
    assert_eq!(
        compilation.diagnostics.len(),
        3,
        "{:#?}",
        compilation.diagnostics
    );
}
