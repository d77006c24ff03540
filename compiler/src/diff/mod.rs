//! Compares two checked versions of a schema and says what each difference means for
//! data already stored and for clients already deployed (`nubesc diff`).
//!
//! Types are matched by name, members by name within their type. Each difference becomes
//! a [`Change`] with a stable [`Code`] and its [`Class`]es, decided (in `rules`) from how
//! generated code reads stored items and wire values. Output order is deterministic:
//! types in the new version's source order, then removed types in the old version's
//! order; within a type, the same for its members. [`report`] renders the changes.

mod change;
mod fields;
mod methods;
mod objects;
mod relations;
mod renames;
pub mod report;
mod rules;
mod shape;
mod usage;

pub use change::{Change, Class, Code, Note, Side};
pub use shape::Shape;

use change::{Builder, Verdict};
use rules::Holder;
use usage::{Flows, Usage};

use crate::ir::{Enum, ErrorType, Object, Schema, Struct};
use crate::source::Span;

/// Every change from `old` to `new`, in a stable order.
pub fn diff(old: &Schema, new: &Schema) -> Vec<Change> {
    let versions = Versions {
        old,
        new,
        old_usage: Usage::of(old),
        new_usage: Usage::of(new),
    };
    let mut out = Vec::new();
    let old_decls = decls(old);
    let new_decls = decls(new);
    let mut added = Vec::new();
    for decl in &new_decls {
        match old_decls.iter().find(|other| other.name() == decl.name()) {
            Some(before) => compare_decls(&versions, before, decl, &mut out),
            None => {
                added.push(decl);
                out.push(type_added(decl));
            }
        }
    }
    let removed: Vec<&Decl<'_>> = old_decls
        .iter()
        .filter(|decl| !new_decls.iter().any(|other| other.name() == decl.name()))
        .collect();
    let renamed = renames::sole(&removed, &added, |decl| decl.kind(), |decl| decl.kind());
    for (decl, candidate) in removed.iter().zip(renamed) {
        let note = candidate.map(|index| {
            let new = added[index];
            let lost = if matches!(decl, Decl::Object(_)) {
                format!("stored `{}`s are not carried over", decl.name())
            } else {
                format!("every use of `{}` changes type", decl.name())
            };
            renames::note(decl.name(), new.name(), &lost, new.span())
        });
        out.push(type_removed(decl, note));
    }
    out
}

/// The two schemas compared, with where their types travel.
struct Versions<'a> {
    old: &'a Schema,
    new: &'a Schema,
    old_usage: Usage,
    new_usage: Usage,
}

impl Versions<'_> {
    /// The ways values of the struct, enum or error `name` travel in both versions.
    fn flows(&self, name: &str) -> Flows {
        self.old_usage.flows(&self.new_usage, name)
    }
}

/// A declared type of any kind.
#[derive(Debug, Clone, Copy)]
enum Decl<'a> {
    Object(&'a Object),
    Struct(&'a Struct),
    Enum(&'a Enum),
    Error(&'a ErrorType),
}

impl Decl<'_> {
    fn name(&self) -> &str {
        match self {
            Decl::Object(object) => &object.name,
            Decl::Struct(value) => &value.name,
            Decl::Enum(value) => &value.name,
            Decl::Error(error) => &error.name,
        }
    }

    fn span(&self) -> Span {
        match self {
            Decl::Object(object) => object.span,
            Decl::Struct(value) => value.span,
            Decl::Enum(value) => value.span,
            Decl::Error(error) => error.span,
        }
    }

    /// `object`, `struct`, `enum` or `error`, as declared.
    fn kind(&self) -> &'static str {
        match self {
            Decl::Object(_) => "object",
            Decl::Struct(_) => "struct",
            Decl::Enum(_) => "enum",
            Decl::Error(_) => "error",
        }
    }

    /// "an object", "a struct" …
    fn a_kind(&self) -> &'static str {
        match self {
            Decl::Object(_) => "an object",
            Decl::Struct(_) => "a struct",
            Decl::Enum(_) => "an enum",
            Decl::Error(_) => "an error",
        }
    }
}

/// Every declared type of `schema` in source order (the root file first).
fn decls(schema: &Schema) -> Vec<Decl<'_>> {
    let mut all: Vec<Decl<'_>> = schema
        .objects
        .iter()
        .map(Decl::Object)
        .chain(schema.structs.iter().map(Decl::Struct))
        .chain(schema.enums.iter().map(Decl::Enum))
        .chain(schema.errors.iter().map(Decl::Error))
        .collect();
    all.sort_by_key(|decl| {
        let span = decl.span();
        (span.file, span.start)
    });
    all
}

fn compare_decls(versions: &Versions<'_>, old: &Decl<'_>, new: &Decl<'_>, out: &mut Vec<Change>) {
    match (old, new) {
        (Decl::Object(old), Decl::Object(new)) => objects::compare(versions, old, new, out),
        (Decl::Struct(old), Decl::Struct(new)) => {
            let holder = Holder::structure(&new.name, versions.flows(&new.name));
            let sides = fields::Sides::new(versions, &old.fields, &new.fields, old.span, new.span);
            fields::compare(&holder, &sides, out);
        }
        (Decl::Error(old), Decl::Error(new)) => {
            let holder = Holder::error(&new.name, versions.flows(&new.name));
            let sides = fields::Sides::new(versions, &old.fields, &new.fields, old.span, new.span);
            fields::compare(&holder, &sides, out);
        }
        (Decl::Enum(old), Decl::Enum(new)) => compare_enums(versions, old, new, out),
        _ => out.push(kind_changed(old, new)),
    }
}

fn type_added(decl: &Decl<'_>) -> Change {
    let verdict = Verdict::compatible("nothing stored or deployed uses it yet");
    Builder::new(
        Code::TypeAdded,
        format!("{} `{}` added", decl.kind(), decl.name()),
        &verdict,
        Side::New,
        decl.span(),
    )
    .build()
}

/// What it means that the old type `decl` is gone (or is now another kind of type).
fn retired(decl: &Decl<'_>) -> Verdict {
    let name = decl.name();
    if matches!(decl, Decl::Object(_)) {
        let mut verdict = Verdict::breaking(
            Class::BreaksStoredData,
            format!("stored `{name}`s are no longer read"),
        );
        verdict.add(
            Class::BreaksClients,
            format!("deployed clients get errors for every call on a `{name}`"),
        );
        verdict
    } else {
        Verdict::compatible(
            "nothing is stored under its name; each use of it is reported where it changed",
        )
    }
}

const RETIRE_OBJECT_HELP: &str =
    "keep the type until its stored objects are no longer needed and no deployed client uses it";

fn type_removed(decl: &Decl<'_>, note: Option<Note>) -> Change {
    Builder::new(
        Code::TypeRemoved,
        format!("{} `{}` removed", decl.kind(), decl.name()),
        &retired(decl),
        Side::Old,
        decl.span(),
    )
    .help_if_breaking(RETIRE_OBJECT_HELP)
    .note(note)
    .build()
}

fn kind_changed(old: &Decl<'_>, new: &Decl<'_>) -> Change {
    Builder::new(
        Code::TypeKindChanged,
        format!(
            "`{}` changes from {} to {}",
            new.name(),
            old.a_kind(),
            new.a_kind()
        ),
        &retired(old),
        Side::New,
        new.span(),
    )
    .other(old.span())
    .help_if_breaking(RETIRE_OBJECT_HELP)
    .build()
}

fn compare_enums(versions: &Versions<'_>, old: &Enum, new: &Enum, out: &mut Vec<Change>) {
    let flows = versions.flows(&new.name);
    let mut added = Vec::new();
    for variant in &new.variants {
        if old.variants.iter().any(|other| other.name == variant.name) {
            continue;
        }
        added.push(variant);
        let verdict = rules::variant_added(&new.name, &variant.name, flows);
        out.push(
            Builder::new(
                Code::VariantAdded,
                format!("variant `{}.{}` added", new.name, variant.name),
                &verdict,
                Side::New,
                variant.span,
            )
            .other(old.span)
            .help_if_breaking(format!(
                "redeploy the clients before any `{}` they read can be `{}`",
                new.name, variant.name
            ))
            .build(),
        );
    }
    let removed: Vec<_> = old
        .variants
        .iter()
        .filter(|variant| !new.variants.iter().any(|other| other.name == variant.name))
        .collect();
    let renamed = renames::sole(&removed, &added, |_| (), |_| ());
    for (variant, candidate) in removed.iter().zip(renamed) {
        let note = candidate.map(|index| {
            let lost = format!("values `{}` are not carried over", variant.name);
            renames::note(&variant.name, &added[index].name, &lost, added[index].span)
        });
        let verdict = rules::variant_removed(&new.name, &variant.name, flows);
        out.push(
            Builder::new(
                Code::VariantRemoved,
                format!("variant `{}.{}` removed", new.name, variant.name),
                &verdict,
                Side::Old,
                variant.span,
            )
            .other(new.span)
            .help_if_breaking(format!(
                "keep `{}` until no stored value or deployed client uses it",
                variant.name
            ))
            .note(note)
            .build(),
        );
    }
}
