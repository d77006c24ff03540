//! Fields of one object, struct or error type in both versions: added, removed, retyped,
//! their `@default` and `@readonly`, and (for objects) their part in relationships.

use super::change::{Builder, Change, Code, Side};
use super::relations;
use super::renames;
use super::rules::{self, FieldFacts, Holder};
use super::shape::Shape;
use super::Versions;
use crate::ir::{Field, FieldRole, Schema};
use crate::source::Span;

/// The fields of one type in both versions, and where the type is declared in each.
pub struct Sides<'a> {
    /// The old schema.
    pub old_schema: &'a Schema,
    /// The new schema.
    pub new_schema: &'a Schema,
    /// The old fields.
    pub old: &'a [Field],
    /// The new fields.
    pub new: &'a [Field],
    /// The old declaration of the type.
    pub old_owner: Span,
    /// The new declaration of the type.
    pub new_owner: Span,
}

impl<'a> Sides<'a> {
    /// The fields of a type declared at `old_owner` and `new_owner`.
    pub fn new(
        versions: &Versions<'a>,
        old: &'a [Field],
        new: &'a [Field],
        old_owner: Span,
        new_owner: Span,
    ) -> Self {
        Sides {
            old_schema: versions.old,
            new_schema: versions.new,
            old,
            new,
            old_owner,
            new_owner,
        }
    }

    fn old_shape(&self, field: &Field) -> Shape {
        Shape::of(self.old_schema, &field.ty)
    }

    fn new_shape(&self, field: &Field) -> Shape {
        Shape::of(self.new_schema, &field.ty)
    }
}

/// What part a field plays, as far as its stored form goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Plain data, or the id.
    Data,
    /// `O`: the id of one object.
    Reference,
    /// `[O]` without a relationship: a list of ids.
    ReferenceList,
    /// `[O] @hasOne/@hasMany`: relationship edges.
    Navigation,
}

impl Role {
    /// The role of `field`.
    pub fn of(field: &Field) -> Role {
        match field.role {
            FieldRole::Value | FieldRole::Id => Role::Data,
            FieldRole::Reference { .. } => Role::Reference,
            FieldRole::ReferenceList => Role::ReferenceList,
            FieldRole::Navigation { .. } => Role::Navigation,
        }
    }

    /// "a reference", "a navigation list" …
    pub fn describe(self) -> &'static str {
        match self {
            Role::Data => "a plain field",
            Role::Reference => "a reference",
            Role::ReferenceList => "a reference list",
            Role::Navigation => "a navigation list",
        }
    }

    /// True when a change from `self` to `other` changes how the field is kept (ids in the
    /// item or edges beside it), not only its type.
    fn differs_in_kind(self, other: Role) -> bool {
        self != other
            && (self == Role::Navigation
                || other == Role::Navigation
                || matches!(
                    (self, other),
                    (Role::Reference, Role::ReferenceList) | (Role::ReferenceList, Role::Reference)
                ))
    }
}

/// Compares the fields of `holder` in both versions.
pub fn compare(holder: &Holder, sides: &Sides<'_>, out: &mut Vec<Change>) {
    let mut added = Vec::new();
    for field in sides.new {
        match sides.old.iter().find(|old| old.name == field.name) {
            Some(old) => compare_field(holder, sides, old, field, out),
            None => {
                added.push(field);
                out.push(field_added(holder, sides, field));
            }
        }
    }
    let removed: Vec<&Field> = sides
        .old
        .iter()
        .filter(|old| !sides.new.iter().any(|new| new.name == old.name))
        .collect();
    let renamed = renames::candidates(&removed, &added, |old, new| {
        renames::type_likeness(&sides.old_shape(old), &sides.new_shape(new))
    });
    for (field, candidate) in removed.iter().zip(renamed) {
        let note = candidate.map(|index| {
            let new = added[index];
            let lost = format!("stored values of `{}` are not carried over", field.name);
            renames::note(&field.name, &new.name, &lost, new.span)
        });
        let mut change = field_removed(holder, sides, field);
        change.note = note;
        out.push(change);
    }
}

fn qualified(holder: &Holder, field: &Field) -> String {
    format!("`{}.{}`", holder.name(), field.name)
}

fn field_added(holder: &Holder, sides: &Sides<'_>, field: &Field) -> Change {
    let (verdict, help) = if Role::of(field) == Role::Navigation {
        relations::added(sides.old_schema, sides.new_schema, holder.name(), field)
    } else {
        let shape = sides.new_shape(field);
        let facts = FieldFacts {
            shape: &shape,
            has_default: field.default.is_some(),
        };
        let help = if field.default.is_some() {
            format!(
                "declare it optional (`{}: {shape}?`) and keep the `@default`: what was stored without it reads it as none, new objects get the default",
                field.name
            )
        } else {
            format!(
                "declare it optional (`{}: {shape}?`): what was stored or sent without it reads it as none",
                field.name
            )
        };
        (rules::field_added(holder, &field.name, facts), help)
    };
    Builder::new(
        Code::FieldAdded,
        format!("field {} added", qualified(holder, field)),
        &verdict,
        Side::New,
        field.span,
    )
    .other(sides.old_owner)
    .help_if_breaking(help)
    .build()
}

fn field_removed(holder: &Holder, sides: &Sides<'_>, field: &Field) -> Change {
    let shape = sides.old_shape(field);
    let (verdict, help) = if Role::of(field) == Role::Navigation {
        (
            relations::removed(&field.name),
            "keep the list until no deployed client uses it",
        )
    } else {
        let facts = FieldFacts {
            shape: &shape,
            has_default: field.default.is_some(),
        };
        let help = if holder.is_object() {
            "keep the field until its stored values are no longer needed and no deployed client sends or reads it"
        } else {
            "keep the field until no stored value or deployed client needs it"
        };
        (rules::field_removed(holder, &field.name, facts), help)
    };
    Builder::new(
        Code::FieldRemoved,
        format!("field {} removed", qualified(holder, field)),
        &verdict,
        Side::Old,
        field.span,
    )
    .other(sides.new_owner)
    .help_if_breaking(help)
    .build()
}

fn compare_field(
    holder: &Holder,
    sides: &Sides<'_>,
    old: &Field,
    new: &Field,
    out: &mut Vec<Change>,
) {
    let (old_role, new_role) = (Role::of(old), Role::of(new));
    if old_role.differs_in_kind(new_role) {
        out.push(relations::role_changed(sides, holder.name(), old, new));
        return;
    }
    if new_role == Role::Navigation {
        relations::compare(sides, holder.name(), old, new, out);
        return;
    }
    let (old_shape, new_shape) = (sides.old_shape(old), sides.new_shape(new));
    if old_shape != new_shape {
        out.push(retyped(holder, old, new, &old_shape, &new_shape));
    }
    if old.default != new.default {
        out.push(default_changed(holder, old, new, &old_shape, &new_shape));
    }
    let id_changed = (old.role == FieldRole::Id) != (new.role == FieldRole::Id);
    if old.readonly != new.readonly && !id_changed {
        out.push(readonly_changed(holder, old, new));
    }
}

fn default_changed(
    holder: &Holder,
    old: &Field,
    new: &Field,
    old_shape: &Shape,
    new_shape: &Shape,
) -> Change {
    let verdict = rules::default_changed(
        holder,
        &new.name,
        new_shape,
        old.default.as_ref(),
        new.default.as_ref(),
    );
    let name = qualified(holder, new);
    let message = match (&old.default, &new.default) {
        (Some(before), Some(after)) => format!(
            "the default of {name} changes from {} to {}",
            rules::literal(before, old_shape),
            rules::literal(after, new_shape)
        ),
        (None, Some(after)) => format!(
            "{name} gets the default {}",
            rules::literal(after, new_shape)
        ),
        (Some(before), None) => format!(
            "{name} loses its default {}",
            rules::literal(before, old_shape)
        ),
        (None, None) => format!("the default of {name} is unchanged"),
    };
    Builder::new(Code::DefaultChanged, message, &verdict, Side::New, new.span)
        .other(old.span)
        .help_if_breaking("redeploy the clients before relying on the new default")
        .build()
}

fn readonly_changed(holder: &Holder, old: &Field, new: &Field) -> Change {
    let verdict = rules::readonly_changed(holder, &new.name, new.readonly);
    let message = if new.readonly {
        format!("{} becomes `@readonly`", qualified(holder, new))
    } else {
        format!("{} is no longer `@readonly`", qualified(holder, new))
    };
    Builder::new(
        Code::ReadonlyChanged,
        message,
        &verdict,
        Side::New,
        new.span,
    )
    .other(old.span)
    .help_if_breaking(format!(
        "redeploy the clients first, so that none sets `{}` any more",
        new.name
    ))
    .build()
}

fn retyped(
    holder: &Holder,
    old: &Field,
    new: &Field,
    old_shape: &Shape,
    new_shape: &Shape,
) -> Change {
    let verdict = rules::field_retyped(holder, &new.name, old_shape, new_shape);
    let name = qualified(holder, new);
    let (before, after) = super::shape::describe_pair(old_shape, new_shape);
    let both_ids = old.role == FieldRole::Id && new.role == FieldRole::Id;
    let (code, message, help) = if both_ids {
        (
            Code::IdRetyped,
            format!("the id {name} changes type from {before} to {after}"),
            "keep the id's type; to identify objects another way, move them to a new object type"
                .to_string(),
        )
    } else if new_shape.required() == old_shape && new_shape.is_optional() {
        (
            Code::FieldMadeOptional,
            format!("field {name} becomes optional ({before} to {after})"),
            format!(
                "redeploy the clients before any {} leaves `{}` unset",
                holder.one(),
                new.name
            ),
        )
    } else if old_shape.required() == new_shape && old_shape.is_optional() {
        (
            Code::FieldMadeRequired,
            format!("field {name} becomes required ({before} to {after})"),
            if holder.is_stored() {
                format!(
                    "give every stored {} a `{}` first, or keep it optional",
                    holder.one(),
                    new.name
                )
            } else {
                "keep it optional until every deployed client is redeployed".to_string()
            },
        )
    } else {
        (
            Code::FieldRetyped,
            format!("field {name} changes type from {before} to {after}"),
            if holder.is_stored() {
                format!(
                    "add a field of type {after} next to `{}`, copy the values over, then retire `{}`",
                    old.name, old.name
                )
            } else {
                format!(
                    "add a field of type {after} next to `{}` and keep both until every deployed client is redeployed",
                    old.name
                )
            },
        )
    };
    Builder::new(code, message, &verdict, Side::New, new.span)
        .other(old.span)
        .help_if_breaking(help)
        .build()
}
