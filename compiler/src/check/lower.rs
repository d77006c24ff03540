//! Pass 10: builds the IR from the checked declarations. Runs only when no pass reported
//! an error, so every type here is resolved and every relationship matched.

use super::ids::id_candidates;
use super::{Checker, DeclInfo, FieldInfo, TypeKey};
use crate::ir::{self, FieldId, FieldRef, FieldRole, IdField, Literal, Type};

pub(super) fn run(checker: &Checker<'_>) -> ir::Schema {
    let mut schema = ir::Schema {
        files: checker
            .loaded
            .sources
            .files()
            .map(|(_, file)| file.name.clone())
            .collect(),
        objects: Vec::new(),
        structs: Vec::new(),
        enums: Vec::new(),
        errors: Vec::new(),
    };
    for info in &checker.decls {
        let decl = info.decl;
        match info.key {
            Some(TypeKey::Object(_)) => schema.objects.push(object(checker, info)),
            Some(TypeKey::Struct(_)) => schema.structs.push(ir::Struct {
                name: decl.name.name.clone(),
                doc: decl.doc.clone(),
                fields: fields(checker, info, None),
                span: decl.span,
            }),
            Some(TypeKey::Error(_)) => schema.errors.push(ir::ErrorType {
                name: decl.name.name.clone(),
                doc: decl.doc.clone(),
                fields: fields(checker, info, None),
                span: decl.span,
            }),
            Some(TypeKey::Enum(_)) => schema.enums.push(ir::Enum {
                name: decl.name.name.clone(),
                doc: decl.doc.clone(),
                variants: decl
                    .variants
                    .iter()
                    .map(|variant| ir::Variant {
                        name: variant.name.name.clone(),
                        doc: variant.doc.clone(),
                        span: variant.name.span,
                    })
                    .collect(),
                span: decl.span,
            }),
            Some(TypeKey::Mapped(_)) | None => {}
        }
    }
    schema
}

fn object(checker: &Checker<'_>, info: &DeclInfo<'_>) -> ir::Object {
    let decl = info.decl;
    let id_field = id_candidates(info).first().copied();
    let methods = decl
        .methods
        .iter()
        .zip(&info.methods)
        .map(|(method, resolved)| ir::Method {
            name: method.name.name.clone(),
            doc: method.doc.clone(),
            readonly: method.readonly.is_some(),
            params: method
                .params
                .iter()
                .zip(&resolved.params)
                .map(|(param, ty)| ir::Param {
                    name: param.name.name.clone(),
                    ty: ty.clone().unwrap_or(Type::String),
                    span: param.name.span,
                })
                .collect(),
            returns: resolved.ret.clone(),
            raises: resolved.raises.clone(),
            span: method.span,
        })
        .collect();
    ir::Object {
        name: decl.name.name.clone(),
        doc: decl.doc.clone(),
        id: id_field.map_or(IdField::Implicit, |index| IdField::Field(field_id(index))),
        fields: fields(checker, info, id_field),
        methods,
        span: decl.span,
    }
}

fn fields(checker: &Checker<'_>, info: &DeclInfo<'_>, id_field: Option<usize>) -> Vec<ir::Field> {
    info.fields
        .iter()
        .enumerate()
        .map(|(index, field)| {
            let is_id = id_field == Some(index);
            let default = match (field.attrs.default, field.attrs.default_variant) {
                // An integer given for a float field is that float.
                (Some((Literal::Int(value), _)), _) if is_float(field.ty.as_ref()) => {
                    Some(Literal::Float(*value as f64))
                }
                (Some((literal, _)), _) => Some(literal.clone()),
                (None, Some(variant)) => Some(Literal::String(variant.name.clone())),
                (None, None) => None,
            };
            ir::Field {
                name: field.name().to_string(),
                doc: field.field.doc.clone(),
                // Lowering runs only without errors, so every type is resolved.
                ty: field.ty.clone().unwrap_or(Type::String),
                role: role(checker, field, is_id),
                readonly: is_id || field.attrs.readonly.is_some(),
                default,
                span: field.field.span,
            }
        })
        .collect()
}

fn role(checker: &Checker<'_>, field: &FieldInfo<'_>, is_id: bool) -> FieldRole {
    let inverse =
        field
            .relation
            .and_then(|relation| match checker.decls[relation.other_decl.0].key {
                Some(TypeKey::Object(object)) => Some(FieldRef {
                    object,
                    field: field_id(relation.other_field),
                }),
                _ => None,
            });
    if is_id {
        return FieldRole::Id;
    }
    if let (Some(navigation), Some(inverse)) = (field.attrs.navigation, inverse) {
        return FieldRole::Navigation {
            cardinality: navigation.cardinality,
            inverse,
            tracked: field.attrs.tracked.is_some(),
        };
    }
    match &field.ty {
        Some(Type::Object(_)) => FieldRole::Reference { inverse },
        Some(Type::Optional(inner)) if matches!(**inner, Type::Object(_)) => {
            FieldRole::Reference { inverse }
        }
        Some(Type::List(inner)) if matches!(**inner, Type::Object(_)) => FieldRole::ReferenceList,
        _ => FieldRole::Value,
    }
}

fn field_id(index: usize) -> FieldId {
    FieldId(u32::try_from(index).unwrap_or(u32::MAX))
}

/// True for `Float` and `Float?`.
fn is_float(ty: Option<&Type>) -> bool {
    match ty {
        Some(Type::Float) => true,
        Some(Type::Optional(inner)) => **inner == Type::Float,
        _ => false,
    }
}
