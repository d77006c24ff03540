//! One object type in both versions: its id (what stored items are keyed by), then its
//! fields and methods.

use super::change::{Builder, Change, Class, Code, Side, Verdict};
use super::fields::{self, Sides};
use super::methods;
use super::rules::Holder;
use super::Versions;
use crate::ir::{Field, FieldRole, IdField, Object, Type};

/// Compares an object type that both versions have.
pub fn compare(versions: &Versions<'_>, old: &Object, new: &Object, out: &mut Vec<Change>) {
    compare_ids(old, new, out);
    let old_fields = with_generated_id(old, new);
    let new_fields = with_generated_id(new, old);
    let sides = Sides::new(versions, &old_fields, &new_fields, old.span, new.span);
    fields::compare(&Holder::object(&new.name), &sides, out);
    methods::compare(versions, old, new, out);
}

/// The object's fields. When the object has a generated id and the other version
/// declares a field `id`, the generated one comes first as the field it is stored as
/// (`id: String`), so the two compare as one field.
fn with_generated_id(object: &Object, other: &Object) -> Vec<Field> {
    let mut fields = Vec::with_capacity(object.fields.len() + 1);
    let other_declares_id = other.fields.iter().any(|field| field.name == "id");
    if object.id == IdField::Implicit && other_declares_id {
        fields.push(Field {
            name: "id".to_string(),
            doc: None,
            ty: Type::String,
            role: FieldRole::Id,
            readonly: true,
            default: None,
            span: object.span,
        });
    }
    fields.extend(object.fields.iter().cloned());
    fields
}

/// The id field of `object`, or `None` for a generated id.
fn id_field(object: &Object) -> Option<&Field> {
    match object.id {
        IdField::Field(field) => object.fields.get(field.index()),
        IdField::Implicit => None,
    }
}

/// The field an id is stored as: a generated id is stored as `id`.
fn stored_as(field: Option<&Field>) -> &str {
    field.map_or("id", |field| field.name.as_str())
}

fn compare_ids(old: &Object, new: &Object, out: &mut Vec<Change>) {
    let (before, after) = (id_field(old), id_field(new));
    let describe = |field: Option<&Field>| match field {
        Some(field) => format!("`{}`", field.name),
        None => "a generated id".to_string(),
    };
    let owner = &new.name;
    let (verdict, message) = if stored_as(before) != stored_as(after) {
        let mut verdict = Verdict::breaking(
            Class::BreaksStoredData,
            format!(
                "stored `{owner}`s are keyed by {}, not by {}",
                describe(before),
                describe(after)
            ),
        );
        verdict.add(
            Class::BreaksClients,
            format!(
                "deployed clients address `{owner}`s by {}",
                describe(before)
            ),
        );
        let message = format!(
            "the id of `{owner}` changes from {} to {}",
            describe(before),
            describe(after)
        );
        (verdict, message)
    } else if before.is_none() != after.is_none() {
        let verdict = Verdict::compatible(format!(
            "a generated id is stored as the field `id`, so stored `{owner}`s and deployed clients see no difference"
        ));
        let message = if before.is_none() {
            format!("the generated id of `{owner}` becomes the declared field `id`")
        } else {
            format!("the declared id `id` of `{owner}` becomes a generated id")
        };
        (verdict, message)
    } else {
        return;
    };
    let span = |field: Option<&Field>, object: &Object| field.map_or(object.span, |f| f.span);
    out.push(
        Builder::new(Code::IdChanged, message, &verdict, Side::New, span(after, new))
            .other(span(before, old))
            .help_if_breaking(format!(
                "keep the id of `{owner}`; add another identifier as an ordinary field, or move the objects to a new type"
            ))
            .build(),
    );
}
