//! Navigation lists in both versions: their target, kind (`@hasOne`/`@hasMany`), other
//! side and `@tracked`, and fields that change between reference, reference list and
//! navigation list. A navigation list is kept as edges beside the object, not in it, so
//! what its stored form means depends on all of these.

use super::change::{Builder, Change, Class, Code, Side, Verdict};
use super::fields::{Role, Sides};
use super::shape::Shape;
use crate::ir::{Cardinality, Field, FieldRole, Schema};

/// A navigation list with its names resolved.
struct Nav<'a> {
    /// The type of the objects in the list.
    target: &'a str,
    cardinality: Cardinality,
    /// The field of `target` that is the other side.
    inverse: &'a str,
    tracked: bool,
}

impl<'a> Nav<'a> {
    fn of(schema: &'a Schema, field: &Field) -> Option<Nav<'a>> {
        match field.role {
            FieldRole::Navigation {
                cardinality,
                inverse,
                tracked,
            } => Some(Nav {
                target: &schema[inverse.object].name,
                cardinality,
                inverse: &schema[inverse].name,
                tracked,
            }),
            _ => None,
        }
    }
}

fn attribute(cardinality: Cardinality) -> &'static str {
    match cardinality {
        Cardinality::OneToMany => "one-to-many (`@hasOne`)",
        Cardinality::ManyToMany => "many-to-many (`@hasMany`)",
    }
}

fn layout(cardinality: Cardinality) -> &'static str {
    match cardinality {
        Cardinality::OneToMany => "one-to-many: on this side only, with a reference back",
        Cardinality::ManyToMany => "many-to-many: on both sides, with no reference back",
    }
}

const NEW_LIST_HELP: &str =
    "declare the new relationship as a new list, copy the edges over, then retire the old one";

/// What it means that the navigation list `field` of `owner` is new, and the help to
/// give if that breaks something.
pub fn added(old: &Schema, new: &Schema, owner: &str, field: &Field) -> (Verdict, String) {
    let help = String::new();
    let Some(nav) = Nav::of(new, field) else {
        return (
            Verdict::compatible("a new navigation list starts empty"),
            help,
        );
    };
    // One-to-many over a reference the children already had: they point at a parent
    // whose new list has no edge for them.
    let existing = nav.cardinality == Cardinality::OneToMany
        && old
            .objects
            .iter()
            .find(|object| object.name == nav.target)
            .and_then(|object| object.fields.iter().find(|f| f.name == nav.inverse))
            .is_some_and(|back| {
                matches!(back.role, FieldRole::Reference { .. })
                    && *Shape::of(old, &back.ty).required() == Shape::Object(owner.to_string())
            });
    if existing {
        let verdict = Verdict::breaking(
            Class::BreaksStoredData,
            format!(
                "stored `{}`s already have a `{}`, but no edge in `{}`",
                nav.target, nav.inverse, field.name
            ),
        );
        let help = format!(
            "after deploying, add every stored `{}` to the `{}` of its `{owner}`",
            nav.target, field.name
        );
        return (verdict, help);
    }
    (
        Verdict::compatible("a new navigation list starts empty"),
        help,
    )
}

/// What it means that the navigation list `field` is gone.
pub fn removed(field: &str) -> Verdict {
    let mut verdict = Verdict::breaking(
        Class::BreaksStoredData,
        format!("the edges of `{field}` stay stored but are no longer read"),
    );
    verdict.add(
        Class::BreaksClients,
        format!("deployed clients get errors when they read or change `{field}`"),
    );
    verdict
}

/// Compares a navigation list of `owner` that both versions have.
pub fn compare(sides: &Sides<'_>, owner: &str, old: &Field, new: &Field, out: &mut Vec<Change>) {
    let (Some(before), Some(after)) = (
        Nav::of(sides.old_schema, old),
        Nav::of(sides.new_schema, new),
    ) else {
        return;
    };
    let list = List {
        name: format!("`{owner}.{}`", new.name),
        field: &new.name,
        before,
        after,
    };
    // Another target makes every other difference moot.
    let found = if list.before.target != list.after.target {
        vec![list.target()]
    } else {
        [list.cardinality(), list.inverse(), list.tracked()]
            .into_iter()
            .flatten()
            .collect()
    };
    for (code, message, verdict) in found {
        out.push(
            Builder::new(code, message, &verdict, Side::New, new.span)
                .other(old.span)
                .help_if_breaking(NEW_LIST_HELP)
                .build(),
        );
    }
}

/// A navigation list in both versions.
struct List<'a> {
    /// `Owner.field`, in backticks.
    name: String,
    field: &'a str,
    before: Nav<'a>,
    after: Nav<'a>,
}

/// A difference found: its code, message and verdict.
type Found = (Code, String, Verdict);

impl List<'_> {
    fn target(&self) -> Found {
        let (field, before, after) = (self.field, self.before.target, self.after.target);
        let mut verdict = Verdict::breaking(
            Class::BreaksStoredData,
            format!("the stored edges of `{field}` point at `{before}`s, not `{after}`s"),
        );
        verdict.add(
            Class::BreaksClients,
            format!("deployed clients read `{field}` as `{before}`s"),
        );
        let message = format!("{} holds `{after}`s instead of `{before}`s", self.name);
        (Code::TargetChanged, message, verdict)
    }

    fn cardinality(&self) -> Option<Found> {
        let (before, after) = (self.before.cardinality, self.after.cardinality);
        if before == after {
            return None;
        }
        let verdict = Verdict::breaking(
            Class::BreaksStoredData,
            format!(
                "the stored edges of `{}` are laid out for {}",
                self.field,
                layout(before)
            ),
        );
        let message = format!(
            "{} changes from {} to {}",
            self.name,
            attribute(before),
            attribute(after)
        );
        Some((Code::CardinalityChanged, message, verdict))
    }

    fn inverse(&self) -> Option<Found> {
        if self.before.inverse == self.after.inverse {
            return None;
        }
        let before = format!("`{}.{}`", self.before.target, self.before.inverse);
        let after = format!("`{}.{}`", self.after.target, self.after.inverse);
        let verdict = Verdict::breaking(
            Class::BreaksStoredData,
            format!(
                "the stored edges of `{}` pair up with {before}, not with {after}",
                self.field
            ),
        );
        let message = format!(
            "the other side of {} changes from {before} to {after}",
            self.name
        );
        Some((Code::InverseChanged, message, verdict))
    }

    fn tracked(&self) -> Option<Found> {
        if self.before.tracked == self.after.tracked {
            return None;
        }
        let verdict = Verdict::compatible("it only changes which versions a commit raises");
        let message = if self.after.tracked {
            format!("{} becomes `@tracked`", self.name)
        } else {
            format!("{} is no longer `@tracked`", self.name)
        };
        Some((Code::TrackedChanged, message, verdict))
    }
}

/// A field of `owner` that changes between reference, reference list and navigation list.
pub fn role_changed(sides: &Sides<'_>, owner: &str, old: &Field, new: &Field) -> Change {
    let (before, after) = (Role::of(old), Role::of(new));
    let stored = if before == Role::Navigation {
        format!(
            "the edges of `{}` are not carried over into the new field",
            new.name
        )
    } else if after == Role::Navigation {
        format!(
            "the stored values of `{}` are not carried over into edges",
            new.name
        )
    } else {
        format!(
            "the stored values of `{}` (`{}`) do not read as `{}`",
            new.name,
            Shape::of(sides.old_schema, &old.ty),
            Shape::of(sides.new_schema, &new.ty)
        )
    };
    let mut verdict = Verdict::breaking(Class::BreaksStoredData, stored);
    verdict.add(
        Class::BreaksClients,
        format!(
            "deployed clients create and read `{owner}`s with `{}` as {}",
            new.name,
            before.describe()
        ),
    );
    Builder::new(
        Code::RoleChanged,
        format!(
            "`{owner}.{}` changes from {} to {}",
            new.name,
            before.describe(),
            after.describe()
        ),
        &verdict,
        Side::New,
        new.span,
    )
    .other(old.span)
    .help(format!(
        "declare {} as a new field, copy the data over, then retire `{}`",
        after.describe(),
        old.name
    ))
    .build()
}
