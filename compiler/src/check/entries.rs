//! Pass 8: the client's entries. The generated client gives every object type a handle
//! (`client.room(id)`) and a collection (`client.rooms()`); no two may share a Rust name,
//! nor take the name of one of the client's own methods (`new`, `clone` …).

use std::collections::HashMap;

use super::{Checker, TypeKey};
use crate::codegen::naming::{client_entries, CLIENT_METHODS};
use crate::diag::{Code, Diagnostic};
use crate::source::Span;

/// Who takes a client entry's name first: an object type (with its span) or the client.
struct Owner {
    what: String,
    span: Option<Span>,
}

pub(super) fn run(checker: &mut Checker<'_>) {
    let mut taken: HashMap<String, Owner> = CLIENT_METHODS
        .iter()
        .map(|name| {
            let owner = Owner {
                what: format!("the client's own `{name}`"),
                span: None,
            };
            (name.to_string(), owner)
        })
        .collect();
    let mut clashes = Vec::new();
    for info in &checker.decls {
        if !matches!(info.key, Some(TypeKey::Object(_))) {
            continue;
        }
        let name = &info.decl.name;
        for (entry, kind) in client_entries(&name.name) {
            let what = format!("the {kind} of `{}`", name.name);
            match taken.get(&entry) {
                Some(first) => {
                    clashes.push((entry, what, name.span, first.what.clone(), first.span))
                }
                None => {
                    taken.insert(
                        entry,
                        Owner {
                            what,
                            span: Some(name.span),
                        },
                    );
                }
            }
        }
    }
    for (entry, what, span, first, first_span) in clashes {
        let mut diagnostic = Diagnostic::new(
            Code::GeneratedCollision,
            format!("the client would name {what} `{entry}`, like {first}"),
            span,
            format!("its client entry is `{entry}`"),
        )
        .with_help("rename one of the object types: the generated client needs a method of its own for each");
        if let Some(first_span) = first_span {
            diagnostic = diagnostic.with_label(first_span, format!("{first} is `{entry}`"));
        }
        checker.report(diagnostic);
    }
}
