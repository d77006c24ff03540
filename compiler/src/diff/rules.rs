//! What a change to a field, parameter or variant means, decided the way generated code
//! reads values: every value has a writer and a reader, and a change breaks something
//! when some reader fails on what some writer wrote.
//!
//! - Stored items were written by the old version and are read by the new one. A state
//!   struct ignores attributes it does not know and reads an absent optional field as
//!   none, but never applies `@default` (that happens only at creation).
//! - Deployed clients write creations (the whole state, defaults filled in), setter
//!   values and method arguments; new handlers read them. A creation's `Init` and a
//!   method's arguments refuse fields they do not know; `Init` fills in defaults.
//! - New handlers write objects, results and errors; deployed clients read them with the
//!   old types, ignoring fields they do not know.

use super::change::{Class, Verdict};
use super::shape::Shape;
use super::usage::Flows;
use crate::ir::Literal;

/// What holds a field: its kind, name and the ways its values travel.
#[derive(Debug, Clone)]
pub struct Holder {
    kind: HolderKind,
    flows: Flows,
}

#[derive(Debug, Clone)]
enum HolderKind {
    Object(String),
    Struct(String),
    Error(String),
    /// The arguments of `Type.method`.
    Args(String),
}

impl Holder {
    /// The fields of the object type `name`: stored, sent and received.
    pub fn object(name: &str) -> Holder {
        Holder {
            kind: HolderKind::Object(name.to_string()),
            flows: Flows::ALL,
        }
    }

    /// The fields of the struct `name`, travelling `flows`.
    pub fn structure(name: &str, flows: Flows) -> Holder {
        Holder {
            kind: HolderKind::Struct(name.to_string()),
            flows,
        }
    }

    /// The fields of the error type `name`, travelling `flows`.
    pub fn error(name: &str, flows: Flows) -> Holder {
        Holder {
            kind: HolderKind::Error(name.to_string()),
            flows,
        }
    }

    /// The parameters of the method `method` (written `Type.method`): sent only.
    pub fn args(method: &str) -> Holder {
        Holder {
            kind: HolderKind::Args(method.to_string()),
            flows: Flows {
                sent: true,
                ..Flows::default()
            },
        }
    }

    /// The name of the type, or `Type.method` for arguments.
    pub fn name(&self) -> &str {
        match &self.kind {
            HolderKind::Object(name)
            | HolderKind::Struct(name)
            | HolderKind::Error(name)
            | HolderKind::Args(name) => name,
        }
    }

    /// True when the holder's values are kept in stored items.
    pub fn is_stored(&self) -> bool {
        self.flows.stored
    }

    /// True for an object's fields.
    pub fn is_object(&self) -> bool {
        matches!(self.kind, HolderKind::Object(_))
    }

    /// "`Hotel`", "`Overlap` error".
    pub fn one(&self) -> String {
        match &self.kind {
            HolderKind::Object(name) | HolderKind::Struct(name) => format!("`{name}`"),
            HolderKind::Error(name) => format!("`{name}` error"),
            HolderKind::Args(method) => format!("call of `{method}`"),
        }
    }

    /// "`Hotel`s", "`Overlap` errors".
    fn many(&self) -> String {
        format!("{}s", self.one())
    }

    /// What deployed clients do when they write the holder's values without `field`
    /// (always, or only when they leave it unset: `may`).
    fn sends_without(&self, field: &str, may: bool) -> String {
        let may = if may { "may " } else { "" };
        match &self.kind {
            HolderKind::Object(_) => {
                format!(
                    "deployed clients {may}create {} without `{field}`",
                    self.many()
                )
            }
            HolderKind::Args(method) => {
                format!("deployed clients {may}call `{method}` without `{field}`")
            }
            _ => format!(
                "deployed clients {may}send {} without `{field}`",
                self.many()
            ),
        }
    }

    /// Readers that refuse fields they do not know (`Init`, arguments).
    fn refuses_unknown(&self) -> bool {
        matches!(self.kind, HolderKind::Object(_) | HolderKind::Args(_))
    }

    /// Readers that fill in `@default` (an object's `Init`).
    fn fills_defaults(&self) -> bool {
        self.is_object()
    }
}

/// What is known about one version of a field.
#[derive(Debug, Clone, Copy)]
pub struct FieldFacts<'a> {
    /// Its type.
    pub shape: &'a Shape,
    /// True when it has a `@default`.
    pub has_default: bool,
}

/// A field (or parameter) `field` that only the new version has.
pub fn field_added(holder: &Holder, field: &str, new: FieldFacts<'_>) -> Verdict {
    let flows = holder.flows;
    let optional = new.shape.is_optional();
    let mut verdict = Verdict::default();
    if flows.stored && !optional {
        let mut reason = if holder.is_object() {
            format!(
                "stored {} have no `{field}` and fail to load",
                holder.many()
            )
        } else {
            format!(
                "stored {} have no `{field}`: the objects holding them fail to load",
                holder.many()
            )
        };
        if new.has_default {
            reason.push_str(" (`@default` only fills in new objects)");
        }
        verdict.add(Class::BreaksStoredData, reason);
    }
    if flows.sent && !optional && !(new.has_default && holder.fills_defaults()) {
        verdict.add(Class::BreaksClients, holder.sends_without(field, false));
    }
    let fine = if flows.is_none() {
        not_travelling(holder)
    } else if optional && matches!(holder.kind, HolderKind::Args(_)) {
        "it is optional: deployed clients leave it out, which reads as none".to_string()
    } else if optional {
        "it is optional: what was written without it reads it as none".to_string()
    } else if flows.sent {
        "deployed clients that leave it out get its default".to_string()
    } else {
        "deployed clients ignore fields they do not know".to_string()
    };
    verdict.or_fine(fine)
}

/// A field (or parameter) `field` that only the old version has.
pub fn field_removed(holder: &Holder, field: &str, old: FieldFacts<'_>) -> Verdict {
    let flows = holder.flows;
    let mut verdict = Verdict::default();
    if flows.stored {
        verdict.add(
            Class::BreaksStoredData,
            format!("the stored values of `{field}` are no longer read"),
        );
    }
    if flows.sent && holder.refuses_unknown() {
        let optional = old.shape.is_optional();
        let reason = match &holder.kind {
            HolderKind::Args(method) if optional => {
                format!("deployed clients that pass `{field}` to `{method}` are refused")
            }
            HolderKind::Args(method) => {
                format!("deployed clients still pass `{field}` to `{method}`, which is refused")
            }
            _ if optional => format!(
                "deployed clients that give `{field}` when they create {} are refused",
                holder.many()
            ),
            _ => format!(
                "deployed clients still send `{field}` when they create {}, which is refused",
                holder.many()
            ),
        };
        verdict.add(Class::BreaksClients, reason);
    }
    if flows.received && !old.shape.is_optional() {
        verdict.add(
            Class::BreaksClients,
            format!(
                "deployed clients fail to read {} without `{field}`",
                holder.many()
            ),
        );
    }
    let fine = if flows.is_none() {
        not_travelling(holder)
    } else if flows.received {
        "deployed clients read a missing optional field as none".to_string()
    } else {
        "the new version ignores it when deployed clients send it".to_string()
    };
    verdict.or_fine(fine)
}

/// A field (or parameter) `field` whose type changed from `old` to `new`.
pub fn field_retyped(holder: &Holder, field: &str, old: &Shape, new: &Shape) -> Verdict {
    let flows = holder.flows;
    let mut verdict = Verdict::default();
    if flows.stored && !old.reads_as(new) {
        let reason = if old.fails_only_when_unset(new) && holder.is_object() {
            format!("stored {} without `{field}` fail to load", holder.many())
        } else if old.fails_only_when_unset(new) {
            format!(
                "objects holding a stored {} without `{field}` fail to load",
                holder.one()
            )
        } else {
            format!("not every stored `{field}` reads as the new type")
        };
        verdict.add(Class::BreaksStoredData, reason);
    }
    if flows.sent && !old.reads_as(new) {
        let reason = if old.fails_only_when_unset(new) {
            holder.sends_without(field, true)
        } else {
            format!("deployed clients send `{field}` in the old type, which does not always read as the new one")
        };
        verdict.add(Class::BreaksClients, reason);
    }
    if flows.received && !new.reads_as(old) {
        let reason = if new.fails_only_when_unset(old) {
            format!(
                "deployed clients fail to read {} whose `{field}` is unset",
                holder.many()
            )
        } else {
            format!("deployed clients read `{field}` in the old type, which does not fit every new value")
        };
        verdict.add(Class::BreaksClients, reason);
    }
    let fine = if flows.is_none() {
        not_travelling(holder)
    } else if flows.received && !flows.stored && !flows.sent {
        "deployed clients read every value of the new type as the old one".to_string()
    } else {
        "every value of the old type reads as the new one".to_string()
    };
    verdict.or_fine(fine)
}

/// A field `field` of type `shape` whose `@default` changed from `old` to `new`.
///
/// Deployed clients fill in the old defaults themselves before they send a creation, so
/// only a default that a deployed client would not have filled in changes anything.
pub fn default_changed(
    holder: &Holder,
    field: &str,
    shape: &Shape,
    old: Option<&Literal>,
    new: Option<&Literal>,
) -> Verdict {
    if !holder.is_object() {
        return Verdict::compatible("`@default` only applies when an object is created");
    }
    match (old, new) {
        (Some(old), Some(_)) => Verdict::breaking(
            Class::BreaksClients,
            format!(
                "deployed clients still fill in {} when they leave `{field}` out",
                literal(old, shape)
            ),
        ),
        (None, Some(new)) if shape.is_optional() => Verdict::breaking(
            Class::BreaksClients,
            format!(
                "{} that deployed clients create without `{field}` get {} instead of none",
                holder.many(),
                literal(new, shape)
            ),
        ),
        (None, _) => Verdict::compatible(format!(
            "deployed clients always send `{field}`, as it had no default"
        )),
        (Some(old), None) => Verdict::compatible(format!(
            "deployed clients fill in {} themselves, so they always send `{field}`",
            literal(old, shape)
        )),
    }
}

/// A field `field` that became `@readonly` (`now`) or stopped being so.
pub fn readonly_changed(holder: &Holder, field: &str, now: bool) -> Verdict {
    if !holder.is_object() {
        Verdict::compatible("`@readonly` only matters for an object's fields")
    } else if now {
        Verdict::breaking(
            Class::BreaksClients,
            format!("deployed clients may still set `{field}`, which is refused"),
        )
    } else {
        Verdict::compatible("deployed clients simply have no setter for it")
    }
}

/// A default value as written in a schema, in backticks: `"none"`, `3`, `Red`.
pub fn literal(value: &Literal, shape: &Shape) -> String {
    match value {
        Literal::String(text) if matches!(shape.required(), Shape::Enum(_)) => format!("`{text}`"),
        Literal::String(text) => format!("`{text:?}`"),
        Literal::Int(value) => format!("`{value}`"),
        Literal::Float(value) => format!("`{value:?}`"),
        Literal::Bool(value) => format!("`{value}`"),
    }
}

/// A variant `variant` that only the new version of the enum `name` has.
pub fn variant_added(name: &str, variant: &str, flows: Flows) -> Verdict {
    let mut verdict = Verdict::default();
    if flows.received {
        verdict.add(
            Class::BreaksClients,
            format!("deployed clients fail to read a `{name}` that is `{variant}`"),
        );
    }
    let fine = if flows.is_none() {
        format!("no `{name}` is stored or sent")
    } else {
        format!("stored values stay valid, and deployed clients never receive a `{name}`")
    };
    verdict.or_fine(fine)
}

/// A variant `variant` that only the old version of the enum `name` has.
pub fn variant_removed(name: &str, variant: &str, flows: Flows) -> Verdict {
    let mut verdict = Verdict::default();
    if flows.stored {
        verdict.add(
            Class::BreaksStoredData,
            format!("stored values `{variant}` of `{name}` fail to load"),
        );
    }
    if flows.sent {
        verdict.add(
            Class::BreaksClients,
            format!("deployed clients may still send `{variant}`, which is refused"),
        );
    }
    let fine = if flows.is_none() {
        format!("no `{name}` is stored or sent")
    } else {
        format!("deployed clients only receive `{name}`s, and none is `{variant}` any more")
    };
    verdict.or_fine(fine)
}

fn not_travelling(holder: &Holder) -> String {
    format!(
        "no {} is stored, sent or received in both versions",
        holder.one()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(shape: &Shape) -> FieldFacts<'_> {
        FieldFacts {
            shape,
            has_default: false,
        }
    }

    fn optional(shape: Shape) -> Shape {
        Shape::Optional(Box::new(shape))
    }

    #[test]
    fn an_optional_object_field_is_a_compatible_addition() {
        let ty = optional(Shape::Int);
        let verdict = field_added(&Holder::object("Hotel"), "stars", facts(&ty));
        assert!(verdict.is_compatible());
    }

    #[test]
    fn a_defaulted_object_field_breaks_stored_items_but_not_clients() {
        let shape = Shape::Int;
        let new = FieldFacts {
            shape: &shape,
            has_default: true,
        };
        let verdict = field_added(&Holder::object("Hotel"), "stars", new);
        assert_eq!(verdict.classes(), vec![Class::BreaksStoredData]);
    }

    #[test]
    fn an_error_field_only_matters_to_clients_reading_it() {
        let holder = Holder::error("Overlap", Flows::ALL);
        let received_only = Holder::error(
            "Overlap",
            Flows {
                received: true,
                ..Flows::default()
            },
        );
        assert!(!field_added(&holder, "at", facts(&Shape::Int)).is_compatible());
        assert!(field_added(&received_only, "at", facts(&Shape::Int)).is_compatible());
        assert!(!field_removed(&received_only, "at", facts(&Shape::Int)).is_compatible());
        let optional_int = optional(Shape::Int);
        assert!(field_removed(&received_only, "at", facts(&optional_int)).is_compatible());
    }

    #[test]
    fn widening_a_parameter_is_compatible_narrowing_is_not() {
        let args = Holder::args("Room.reserve");
        assert!(field_retyped(&args, "n", &Shape::Int, &Shape::Float).is_compatible());
        assert!(field_retyped(&args, "n", &Shape::Int, &optional(Shape::Int)).is_compatible());
        assert!(!field_retyped(&args, "n", &optional(Shape::Int), &Shape::Int).is_compatible());
        assert!(!field_retyped(&args, "n", &Shape::Float, &Shape::Int).is_compatible());
    }

    #[test]
    fn variants_break_the_readers_that_cannot_know_them() {
        let stored = Flows {
            stored: true,
            ..Flows::default()
        };
        assert!(variant_added("Color", "Teal", stored).is_compatible());
        assert!(!variant_removed("Color", "Teal", stored).is_compatible());
        assert!(!variant_added("Color", "Teal", Flows::ALL).is_compatible());
        assert!(variant_removed("Color", "Teal", Flows::default()).is_compatible());
    }
}
