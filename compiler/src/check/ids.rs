//! Pass 4: the id of each object — at most one id field (`@id`, or a field named `id`),
//! of type `String` or an enum, not optional, not a navigation list.

use super::{Checker, DeclInfo, TypeKey};
use crate::diag::{Code, Diagnostic};
use crate::ir::Type;

/// The fields of an object that claim to be its id, in source order.
pub(super) fn id_candidates(info: &DeclInfo<'_>) -> Vec<usize> {
    info.fields
        .iter()
        .enumerate()
        .filter(|(_, field)| field.attrs.id.is_some() || field.name() == "id")
        .map(|(index, _)| index)
        .collect()
}

pub(super) fn run(checker: &mut Checker<'_>) {
    for index in 0..checker.decls.len() {
        let info = &checker.decls[index];
        if !matches!(info.key, Some(TypeKey::Object(_))) {
            continue;
        }
        let candidates = id_candidates(info);
        let Some((&first, rest)) = candidates.split_first() else {
            continue;
        };
        let mut diagnostics = Vec::new();
        let first_field = &info.fields[first];
        for &other in rest {
            let other_field = &info.fields[other];
            diagnostics.push(
                Diagnostic::new(
                    Code::MultipleIds,
                    format!("`{}` has more than one id field", info.name()),
                    other_field.field.name.span,
                    "another id",
                )
                .with_label(first_field.field.name.span, "the first id")
                .with_help(
                    "an object has one id: keep `@id` on one field (a field named `id` is always the id), rename the other",
                ),
            );
        }
        let id_span = first_field
            .attrs
            .id
            .map_or(first_field.field.name.span, |attribute| attribute.span);
        if let Some(navigation) = first_field.attrs.navigation {
            diagnostics.push(
                Diagnostic::new(
                    Code::IdOnNavigation,
                    format!("the id `{}` cannot be a navigation list", first_field.name()),
                    id_span,
                    "the id",
                )
                .with_label(navigation.attribute.span, "makes it a navigation list")
                .with_help("an id is one `String` or enum value: use a separate field for the relationship"),
            );
        } else if let Some(Type::Optional(_)) = first_field.ty {
            diagnostics.push(
                Diagnostic::new(
                    Code::OptionalId,
                    format!("the id `{}` cannot be optional", first_field.name()),
                    first_field.field.ty.span(),
                    "optional",
                )
                .with_help("every object has an id: remove the `?`"),
            );
        } else if let Some(ty) = &first_field.ty {
            if !matches!(ty, Type::String | Type::Enum(_)) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::IdType,
                        format!("the id `{}` must be a `String` or an enum", first_field.name()),
                        first_field.field.ty.span(),
                        "not `String` or an enum",
                    )
                    .with_label(id_span, "makes it the id")
                    .with_help("ids are stored as text: use `String`, or an enum for a fixed set of objects"),
                );
            }
        }
        for diagnostic in diagnostics {
            checker.report(diagnostic);
        }
    }
}
