//! Pass 3: reads the attributes of every field. Unknown attributes, repeats, wrong
//! arguments, attributes in the wrong kind of type, `@tracked` anywhere but on a
//! one-to-many list, and `@default` values that do not fit the field are reported here;
//! the rest is stored in [`FieldAttrs`] for later passes.

use std::collections::HashMap;

use super::suggest::closest;
use super::{Checker, FieldAttrs, Navigation};
use crate::diag::{Code, Diagnostic};
use crate::ir::{Cardinality, Type};
use crate::syntax::ast::{Attribute, AttributeArg, DeclKind, Field, Literal};

/// Every attribute of the language and what it takes.
const KNOWN: &[(&str, &str)] = &[
    ("id", "no arguments"),
    ("readonly", "no arguments"),
    ("hasOne", "one field name, e.g. `@hasOne(hotel)`"),
    ("hasMany", "one field name, e.g. `@hasMany(guests)`"),
    ("tracked", "no arguments"),
    (
        "default",
        "one literal value, e.g. `@default(0)` or `@default(\"none\")`",
    ),
];

pub(super) fn run(checker: &mut Checker<'_>) {
    for index in 0..checker.decls.len() {
        if checker.decls[index].key.is_none() {
            continue;
        }
        let decl = checker.decls[index].decl;
        for (field_index, field) in decl.fields.iter().enumerate() {
            let attrs = read(checker, decl.kind, &decl.name.name, field);
            checker.decls[index].fields[field_index].attrs = attrs;
            check_default(checker, index, field_index);
        }
    }
}

fn read<'a>(
    checker: &mut Checker<'_>,
    kind: DeclKind,
    owner: &str,
    field: &'a Field,
) -> FieldAttrs<'a> {
    let mut attrs = FieldAttrs::default();
    let mut seen: HashMap<&str, &Attribute> = HashMap::new();
    for attribute in &field.attributes {
        let name = attribute.name.name.as_str();
        let Some((_, takes)) = KNOWN.iter().find(|(known, _)| *known == name) else {
            let mut diagnostic = Diagnostic::new(
                Code::UnknownAttribute,
                format!("unknown attribute `@{name}`"),
                attribute.span,
                "not an attribute of the language",
            );
            diagnostic = match closest(name, KNOWN.iter().map(|(known, _)| *known)) {
                Some(known) => diagnostic.with_help(format!("did you mean `@{known}`?")),
                None => diagnostic.with_help(
                    "the attributes are `@id`, `@readonly`, `@hasOne`, `@hasMany`, `@tracked` and `@default`",
                ),
            };
            checker.report(diagnostic);
            continue;
        };
        if let Some(first) = seen.get(name) {
            checker.report(
                Diagnostic::new(
                    Code::DuplicateAttribute,
                    format!("`@{name}` is given twice on `{}`", field.name.name),
                    attribute.span,
                    "repeated here",
                )
                .with_label(first.span, "first given here")
                .with_help("remove one of them"),
            );
            continue;
        }
        seen.insert(name, attribute);
        if !arguments_fit(name, attribute) {
            checker.report(
                Diagnostic::new(
                    Code::AttributeArguments,
                    format!("`@{name}` takes {takes}"),
                    attribute.span,
                    "wrong arguments",
                )
                .with_help(format!("write it with {takes}")),
            );
            continue;
        }
        let args = attribute.args.as_deref().unwrap_or(&[]);
        match name {
            "id" if kind != DeclKind::Object => {
                checker.report(
                    Diagnostic::new(
                        Code::IdOutsideObject,
                        format!("`@id` is only allowed in objects, and `{owner}` is {}", article(kind)),
                        attribute.span,
                        "not in an object",
                    )
                    .with_help("only objects are addressed by id: remove `@id`, or declare the type as an `object`"),
                );
            }
            "id" => attrs.id = Some(attribute),
            "readonly" => attrs.readonly = Some(attribute),
            "hasOne" | "hasMany" if kind != DeclKind::Object => {
                checker.report(
                    Diagnostic::new(
                        Code::NavigationOutsideObject,
                        format!("navigation lists are only allowed in objects, and `{owner}` is {}", article(kind)),
                        attribute.span,
                        "not in an object",
                    )
                    .with_help("a value type cannot own relationships: use a plain list of references `[T]`, or make it an object"),
                );
            }
            "hasOne" | "hasMany" => {
                let cardinality = if name == "hasOne" {
                    Cardinality::OneToMany
                } else {
                    Cardinality::ManyToMany
                };
                if let Some(other) = attrs.navigation {
                    checker.report(
                        Diagnostic::new(
                            Code::DuplicateAttribute,
                            "a field is either `@hasOne` or `@hasMany`, not both",
                            attribute.span,
                            "second relationship attribute",
                        )
                        .with_label(other.attribute.span, "first given here")
                        .with_help("keep the one that describes the relationship"),
                    );
                    continue;
                }
                if let Some(AttributeArg::Ident(inverse)) = args.first() {
                    attrs.navigation = Some(Navigation {
                        cardinality,
                        inverse,
                        attribute,
                    });
                }
            }
            "tracked" => attrs.tracked = Some(attribute),
            "default" => match args.first() {
                Some(AttributeArg::Literal(literal, span)) => {
                    attrs.default = Some((literal, *span))
                }
                Some(AttributeArg::Ident(ident)) => attrs.default_variant = Some(ident),
                None => {}
            },
            _ => {}
        }
    }
    if let Some(tracked) = attrs.tracked {
        if !tracked_fits(checker, kind, owner, field, tracked, &seen) {
            attrs.tracked = None;
        }
    }
    attrs
}

/// `@tracked` belongs on a one-to-many navigation list (`[O] @hasOne(f)`) of an object;
/// reports it anywhere else. A list whose relationship attribute is already wrong (both
/// kinds, bad arguments, in a struct or error) is not reported again.
fn tracked_fits(
    checker: &mut Checker<'_>,
    kind: DeclKind,
    owner: &str,
    field: &Field,
    tracked: &Attribute,
    seen: &HashMap<&str, &Attribute>,
) -> bool {
    let has_one = seen.get("hasOne");
    let has_many = seen.get("hasMany");
    let name = &field.name.name;
    let diagnostic = match (kind, has_one, has_many) {
        (DeclKind::Object, Some(_), None) => return true,
        // Both kinds (E071): the relationship itself is wrong.
        (DeclKind::Object, Some(_), Some(_)) => return false,
        (DeclKind::Object, None, Some(has_many)) => Diagnostic::new(
            Code::TrackedNotOneToMany,
            format!("`@tracked` needs a one-to-many list, but `{owner}.{name}` is many-to-many"),
            tracked.span,
            "not allowed on a many-to-many list",
        )
        .with_label(has_many.span, "makes it many-to-many")
        .with_help("a child of a many-to-many list has many owners to bump: remove `@tracked`"),
        (DeclKind::Object, None, None) => Diagnostic::new(
            Code::TrackedNotOneToMany,
            format!("`@tracked` needs a one-to-many list, but `{owner}.{name}` is not a navigation list"),
            tracked.span,
            "not on a navigation list",
        )
        .with_help("only the children of a one-to-many list `[O] @hasOne(f)` raise their parent's version: remove `@tracked`, or make the field such a list"),
        (_, None, None) => Diagnostic::new(
            Code::TrackedNotOneToMany,
            format!("`@tracked` is only allowed in objects, and `{owner}` is {}", article(kind)),
            tracked.span,
            "not in an object",
        )
        .with_help("only a one-to-many navigation list of an object can be tracked: remove `@tracked`"),
        // A relationship in a struct or error (E041).
        _ => return false,
    };
    checker.report(diagnostic);
    false
}

fn article(kind: DeclKind) -> &'static str {
    match kind {
        DeclKind::Object => "an object",
        DeclKind::Struct => "a struct",
        DeclKind::Enum => "an enum",
        DeclKind::Error => "an error",
    }
}

/// True when `attribute` has the arguments its kind takes.
fn arguments_fit(name: &str, attribute: &Attribute) -> bool {
    let args = attribute.args.as_deref();
    match name {
        "id" | "readonly" | "tracked" => args.is_none_or(<[_]>::is_empty),
        "hasOne" | "hasMany" => matches!(args, Some([AttributeArg::Ident(_)])),
        "default" => matches!(args, Some([_])),
        _ => true,
    }
}

/// Checks that a `@default` value fits the field's type.
fn check_default(checker: &mut Checker<'_>, decl: usize, field: usize) {
    let info = &checker.decls[decl].fields[field];
    let field_span = info.field.name.span;
    let field_name = info.field.name.name.clone();
    let (value, span) = match (info.attrs.default, info.attrs.default_variant) {
        (Some((literal, span)), _) => (DefaultValue::Literal(literal), span),
        (None, Some(ident)) => (DefaultValue::Name(&ident.name), ident.span),
        (None, None) => return,
    };
    let problem = if info.attrs.navigation.is_some() {
        Some("a navigation list has no default: it starts empty".to_string())
    } else {
        match &info.ty {
            None => None,
            Some(ty) => fits(checker, ty, &value).err(),
        }
    };
    if let Some(problem) = problem {
        checker.report(
            Diagnostic::new(
                Code::BadDefault,
                format!("the default value does not fit `{field_name}`: {problem}"),
                span,
                "this value",
            )
            .with_label(field_span, "the field")
            .with_help("give a literal of the field's type, or remove `@default`"),
        );
    }
}

enum DefaultValue<'a> {
    Literal(&'a Literal),
    Name(&'a str),
}

/// Ok when `value` is a valid default for a field of type `ty`, else why not.
fn fits(checker: &Checker<'_>, ty: &Type, value: &DefaultValue<'_>) -> Result<(), String> {
    let given = match value {
        DefaultValue::Literal(literal) => literal.describe(),
        DefaultValue::Name(_) => "a bare name",
    };
    match (ty, value) {
        (Type::Optional(inner), _) => fits(checker, inner, value),
        (Type::Date, DefaultValue::Literal(Literal::String(text))) => {
            crate::time_literal::date(text).map(drop)
        }
        (Type::Timestamp, DefaultValue::Literal(Literal::String(text))) => {
            crate::time_literal::timestamp(text).map(drop)
        }
        (Type::String, DefaultValue::Literal(Literal::String(_)))
        | (Type::Int, DefaultValue::Literal(Literal::Int(_)))
        | (Type::Float, DefaultValue::Literal(Literal::Float(_) | Literal::Int(_)))
        | (Type::Bool, DefaultValue::Literal(Literal::Bool(_))) => Ok(()),
        (Type::Enum(id), DefaultValue::Name(_) | DefaultValue::Literal(Literal::String(_))) => {
            let name = match value {
                DefaultValue::Name(name) => *name,
                DefaultValue::Literal(Literal::String(name)) => name.as_str(),
                DefaultValue::Literal(_) => "",
            };
            let variants = checker
                .enum_decl(*id)
                .map(|decl| {
                    checker.decls[decl.0]
                        .decl
                        .variants
                        .iter()
                        .map(|v| v.name.name.as_str())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            if variants.contains(&name) {
                Ok(())
            } else {
                Err(format!(
                    "`{name}` is not one of its variants ({})",
                    quoted(&variants)
                ))
            }
        }
        (Type::String, _) | (Type::Timestamp, _) | (Type::Date, _) => {
            Err(format!("it is text, but {given} was given"))
        }
        (Type::Int, _) => Err(format!("it is an integer, but {given} was given")),
        (Type::Float, _) => Err(format!("it is a float, but {given} was given")),
        (Type::Bool, _) => Err(format!("it is a boolean, but {given} was given")),
        (Type::Enum(_), _) => Err(format!("it is an enum, but {given} was given")),
        _ => Err("only text, numbers, booleans and enum variants can have a default".to_string()),
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
