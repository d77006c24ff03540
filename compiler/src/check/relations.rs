//! Pass 5: relationships. Every `@hasOne(f)` / `@hasMany(f)` must sit on a list of
//! objects and name a matching field `f` in the target: a reference back for `@hasOne`,
//! a `@hasMany` list naming this field for `@hasMany`. No two lists may claim the same
//! inverse, and no navigation list may be `@readonly`.

use std::collections::HashMap;

use super::suggest::did_you_mean;
use super::{Checker, DeclIdx, Navigation, Relation, TypeKey};
use crate::diag::{Code, Diagnostic};
use crate::ir::{Cardinality, ObjectId, Type};
use crate::source::Span;

pub(super) fn run(checker: &mut Checker<'_>) {
    let mut claims: HashMap<(DeclIdx, usize), Span> = HashMap::new();
    for index in 0..checker.decls.len() {
        let Some(TypeKey::Object(self_id)) = checker.decls[index].key.clone() else {
            continue;
        };
        for field in 0..checker.decls[index].fields.len() {
            let info = &checker.decls[index].fields[field];
            let Some(navigation) = info.attrs.navigation else {
                continue;
            };
            if info.attrs.id.is_some() {
                continue; // reported by the ids pass
            }
            let ty = info.ty.clone();
            if let Some(readonly) = info.attrs.readonly {
                let diagnostic = Diagnostic::new(
                    Code::ReadonlyNavigation,
                    format!("the navigation list `{}` cannot be `@readonly`", info.name()),
                    readonly.span,
                    "not allowed on a navigation list",
                )
                .with_label(navigation.attribute.span, "makes it a navigation list")
                .with_help("relationships change through `addTo…`/`removeFrom…`; to fix a reference at creation, put `@readonly` on the reference on the other side");
                checker.report(diagnostic);
            }
            let Some(ty) = ty else {
                continue;
            };
            let Some(target) = navigation_target(checker, index, field, &ty, navigation) else {
                continue;
            };
            let Some(target_decl) = checker.object_decl(target) else {
                continue;
            };
            let Some(inverse) = find_inverse(checker, target_decl, navigation) else {
                continue;
            };
            let ok = match navigation.cardinality {
                Cardinality::OneToMany => check_has_one(
                    checker,
                    (index, field),
                    self_id,
                    (target_decl, inverse),
                    navigation,
                ),
                Cardinality::ManyToMany => check_has_many(
                    checker,
                    (index, field),
                    self_id,
                    (target_decl, inverse),
                    navigation,
                ),
            };
            if !ok {
                continue;
            }
            if let Some(first) = claims.get(&(target_decl, inverse)) {
                let target_info = &checker.decls[target_decl.0];
                let diagnostic = Diagnostic::new(
                    Code::SharedInverse,
                    format!(
                        "`{}.{}` is already the other side of another navigation list",
                        target_info.name(),
                        target_info.fields[inverse].name()
                    ),
                    navigation.attribute.span,
                    "claims the same inverse",
                )
                .with_label(*first, "first claimed here")
                .with_label(target_info.fields[inverse].field.name.span, "the inverse field")
                .with_help("each navigation list needs its own field on the other side: add another field there");
                checker.report(diagnostic);
                continue;
            }
            claims.insert((target_decl, inverse), navigation.attribute.span);
            checker.decls[index].fields[field].relation = Some(Relation {
                other_decl: target_decl,
                other_field: inverse,
            });
            if navigation.cardinality == Cardinality::OneToMany {
                checker.decls[target_decl.0].fields[inverse].relation = Some(Relation {
                    other_decl: DeclIdx(index),
                    other_field: field,
                });
            }
        }
    }
}

/// The object a navigation list holds, or reports why the field is not a list of objects.
fn navigation_target(
    checker: &mut Checker<'_>,
    decl: usize,
    field: usize,
    ty: &Type,
    navigation: Navigation<'_>,
) -> Option<ObjectId> {
    if let Type::List(element) = ty {
        if let Type::Object(target) = **element {
            return Some(target);
        }
    }
    let info = &checker.decls[decl].fields[field];
    let attribute = format!("@{}", navigation.attribute.name.name);
    let (message, help) = match ty {
        Type::Optional(inner) if matches!(**inner, Type::List(_)) => (
            format!("the navigation list `{}` cannot be optional", info.name()),
            "remove the `?`: an empty list already means no related objects".to_string(),
        ),
        Type::List(_) => (
            format!(
                "`{attribute}` needs a list of objects, but `{}` lists values",
                info.name()
            ),
            "relationships link objects: use a list of an `object` type".to_string(),
        ),
        _ => (
            format!(
                "`{attribute}` needs a list of objects, but `{}` is not a list",
                info.name()
            ),
            "write the type as a list of objects, e.g. `[Room]`".to_string(),
        ),
    };
    let diagnostic = Diagnostic::new(
        Code::NavigationNotObjectList,
        message,
        info.field.ty.span(),
        "not a list of objects",
    )
    .with_label(navigation.attribute.span, "relationship declared here")
    .with_help(help);
    checker.report(diagnostic);
    None
}

/// The index of the inverse field in the target, or reports that it is missing.
fn find_inverse(
    checker: &mut Checker<'_>,
    target: DeclIdx,
    navigation: Navigation<'_>,
) -> Option<usize> {
    let target_info = &checker.decls[target.0];
    let wanted = navigation.inverse.name.as_str();
    if let Some(index) = target_info
        .fields
        .iter()
        .position(|field| field.name() == wanted)
    {
        return Some(index);
    }
    let names: Vec<&str> = target_info
        .fields
        .iter()
        .map(|field| field.name())
        .collect();
    let help = did_you_mean(wanted, names).unwrap_or_else(|| {
        format!(
            "add the field to `{}`, or name one of its fields",
            target_info.name()
        )
    });
    let diagnostic = Diagnostic::new(
        Code::MissingInverse,
        format!("`{}` has no field `{wanted}`", target_info.name()),
        navigation.inverse.span,
        "no such field",
    )
    .with_label(
        target_info.decl.name.span,
        format!("`{}` declared here", target_info.name()),
    )
    .with_help(help);
    checker.report(diagnostic);
    None
}

/// `@hasOne(f)`: `f` must be a reference (`Self` or `Self?`) back to this object.
fn check_has_one(
    checker: &mut Checker<'_>,
    (decl, field): (usize, usize),
    self_id: ObjectId,
    (target, inverse): (DeclIdx, usize),
    navigation: Navigation<'_>,
) -> bool {
    let target_info = &checker.decls[target.0];
    let inverse_info = &target_info.fields[inverse];
    let points_back = match &inverse_info.ty {
        Some(Type::Object(id)) => *id == self_id,
        Some(Type::Optional(inner)) => **inner == Type::Object(self_id),
        _ => false,
    };
    if points_back && inverse_info.attrs.navigation.is_none() {
        return true;
    }
    if inverse_info.ty.is_none() {
        return false; // unknown type, already reported
    }
    let owner = checker.decls[decl].name();
    let this = checker.decls[decl].fields[field].name();
    let diagnostic = Diagnostic::new(
        Code::BadHasOneInverse,
        format!(
            "`@hasOne({})` needs `{}.{}` to be a reference back to `{owner}`",
            navigation.inverse.name,
            target_info.name(),
            inverse_info.name()
        ),
        navigation.inverse.span,
        "not a reference back",
    )
    .with_label(inverse_info.field.ty.span(), format!("this is not `{owner}`"))
    .with_help(format!(
        "declare `{}: {owner}` in `{}` so each of its objects points back to the one that lists it in `{this}`",
        inverse_info.name(),
        target_info.name()
    ));
    checker.report(diagnostic);
    false
}

/// `@hasMany(f)`: `f` must be `[Self] @hasMany(this field)`.
fn check_has_many(
    checker: &mut Checker<'_>,
    (decl, field): (usize, usize),
    self_id: ObjectId,
    (target, inverse): (DeclIdx, usize),
    navigation: Navigation<'_>,
) -> bool {
    let target_info = &checker.decls[target.0];
    let inverse_info = &target_info.fields[inverse];
    let this = checker.decls[decl].fields[field].name();
    let owner = checker.decls[decl].name();
    let is_list_back = inverse_info.ty == Some(Type::List(Box::new(Type::Object(self_id))));
    let other_navigation = inverse_info.attrs.navigation;
    if is_list_back {
        if let Some(other) = other_navigation {
            if other.cardinality == Cardinality::ManyToMany && other.inverse.name == this {
                return true;
            }
        }
    }
    if inverse_info.ty.is_none() {
        return false; // unknown type, already reported
    }
    let (label_span, label) = match other_navigation {
        _ if !is_list_back => (
            inverse_info.field.ty.span(),
            format!("not a list of `{owner}`"),
        ),
        Some(other) if other.cardinality == Cardinality::OneToMany => (
            other.attribute.span,
            format!("one-to-many, not `@hasMany({this})`"),
        ),
        Some(other) => (
            other.inverse.span,
            format!("names `{}`, not `{this}`", other.inverse.name),
        ),
        None => (
            inverse_info.field.ty.span(),
            format!("a plain list, not `@hasMany({this})`"),
        ),
    };
    let diagnostic = Diagnostic::new(
        Code::BadHasManyInverse,
        format!(
            "`@hasMany({})` needs `{}.{}` to be `[{owner}] @hasMany({this})`",
            navigation.inverse.name,
            target_info.name(),
            inverse_info.name()
        ),
        navigation.inverse.span,
        "the other side does not match",
    )
    .with_label(label_span, label)
    .with_help(format!(
        "the two sides of a many-to-many name each other: declare `{}: [{owner}] @hasMany({this})` in `{}`",
        inverse_info.name(),
        target_info.name()
    ));
    checker.report(diagnostic);
    false
}
