//! Pass 2: resolves every written type — of fields, parameters and return values — to an
//! [`ir::Type`]. Unknown names get a "did you mean"; map keys must be `String`.

use super::suggest::{did_you_mean, PRIMITIVES};
use super::{Checker, MethodInfo, TypeKey};
use crate::diag::{Code, Diagnostic};
use crate::ir::Type;
use crate::source::FileId;
use crate::stdlib;
use crate::syntax::ast::{Ident, TypeExpr};

pub(super) fn run(checker: &mut Checker<'_>) {
    for index in 0..checker.decls.len() {
        if checker.decls[index].key.is_none() {
            continue;
        }
        let decl = checker.decls[index].decl;
        let file = checker.decls[index].file;
        for (field_index, field) in decl.fields.iter().enumerate() {
            let ty = resolve(checker, file, &field.ty);
            checker.decls[index].fields[field_index].ty = ty;
        }
        let mut methods = Vec::with_capacity(decl.methods.len());
        for method in &decl.methods {
            let params = method
                .params
                .iter()
                .map(|param| resolve(checker, file, &param.ty))
                .collect();
            let ret = method
                .ret
                .as_ref()
                .and_then(|ret| resolve(checker, file, ret));
            methods.push(MethodInfo {
                params,
                ret,
                raises: Vec::new(),
            });
        }
        checker.decls[index].methods = methods;
    }
}

/// Resolves a written type used in `file`; reports and returns `None` when it cannot.
pub(super) fn resolve(checker: &mut Checker<'_>, file: FileId, ty: &TypeExpr) -> Option<Type> {
    match ty {
        TypeExpr::Named(name) => resolve_name(checker, file, name),
        TypeExpr::Optional(inner, _) => {
            let inner = resolve(checker, file, inner)?;
            Some(Type::Optional(Box::new(inner)))
        }
        TypeExpr::List(inner, _) => {
            let inner = resolve(checker, file, inner)?;
            Some(Type::List(Box::new(inner)))
        }
        TypeExpr::Map(key, value, _) => {
            let key_type = resolve(checker, file, key);
            let value = resolve(checker, file, value);
            if let Some(key_type) = key_type {
                if key_type != Type::String {
                    checker.report(
                        Diagnostic::new(
                            Code::MapKeyNotString,
                            "map keys must be `String`",
                            key.span(),
                            "not `String`",
                        )
                        .with_help(
                            "write `Map<String, T>`; to key by another type, convert it to text",
                        ),
                    );
                    return None;
                }
            }
            Some(Type::Map(Box::new(value?)))
        }
    }
}

fn resolve_name(checker: &mut Checker<'_>, file: FileId, name: &Ident) -> Option<Type> {
    match name.name.as_str() {
        "String" => return Some(Type::String),
        "Int" => return Some(Type::Int),
        "Float" => return Some(Type::Float),
        "Bool" => return Some(Type::Bool),
        "Bytes" => return Some(Type::Bytes),
        _ => {}
    }
    let Some(index) = checker.lookup(&name.name) else {
        unknown(checker, name);
        return None;
    };
    let declared_in = checker.decls[index.0].file;
    if !checker.visible(file, declared_in) {
        not_imported(checker, name, declared_in);
        return None;
    }
    let target = &checker.decls[index.0];
    checker.uses.insert((file, target.file));
    match target.key.clone() {
        Some(TypeKey::Object(id)) => Some(Type::Object(id)),
        Some(TypeKey::Struct(id)) => Some(Type::Struct(id)),
        Some(TypeKey::Enum(id)) => Some(Type::Enum(id)),
        Some(TypeKey::Mapped(ty)) => Some(ty),
        Some(TypeKey::Error(_)) => {
            let span = target.decl.name.span;
            checker.report(
                Diagnostic::new(
                    Code::UnknownType,
                    format!("`{}` is an error type, not a value type", name.name),
                    name.span,
                    "an error type cannot be used here",
                )
                .with_label(span, "declared as an `error` here")
                .with_help("error types appear only after `raises`; declare a `struct` to carry the same data"),
            );
            None
        }
        None => None,
    }
}

/// A type that exists, but in a file the using file does not import.
pub(super) fn not_imported(checker: &mut Checker<'_>, name: &Ident, declared_in: FileId) {
    let path = checker.loaded.sources.file(declared_in).name.clone();
    checker.report(
        Diagnostic::new(
            Code::UnknownType,
            format!("`{}` is not imported into this file", name.name),
            name.span,
            "not visible here",
        )
        .with_help(format!(
            "`{}` is declared in `{path}`: import that file here",
            name.name
        )),
    );
}

fn unknown(checker: &mut Checker<'_>, name: &Ident) {
    let mut diagnostic = Diagnostic::new(
        Code::UnknownType,
        format!("cannot find type `{}`", name.name),
        name.span,
        "not declared",
    );
    let candidates: Vec<&str> = PRIMITIVES
        .iter()
        .copied()
        .chain(checker.by_name.keys().copied())
        .collect();
    let mut sorted = candidates;
    sorted.sort_unstable();
    if let Some(help) = spelled_elsewhere(&name.name) {
        diagnostic = diagnostic.with_help(help);
    } else if let Some(path) = stdlib_home(&name.name) {
        diagnostic = diagnostic.with_help(format!(
            "`{}` is in the stdlib: add `import \"{path}\"`",
            name.name
        ));
    } else if let Some(help) = did_you_mean(&name.name, sorted) {
        diagnostic = diagnostic.with_help(help);
    } else {
        diagnostic = diagnostic.with_help(
            "declare it with `object`, `struct` or `enum`, or import the file that does",
        );
    }
    checker.report(diagnostic);
}

/// Help for type names that other languages use for a nubes type.
fn spelled_elsewhere(name: &str) -> Option<String> {
    let nubes = match name {
        "Boolean" | "bool" | "boolean" => "Bool",
        "Integer" | "int" | "integer" | "Long" | "long" | "i32" | "i64" | "u32" | "u64"
        | "usize" => "Int",
        "Double" | "double" | "float" | "f32" | "f64" | "Number" | "number" | "Decimal" => "Float",
        "str" | "string" | "Str" | "Text" | "text" => "String",
        "bytes" | "Blob" | "ByteArray" => "Bytes",
        "List" | "Vec" | "Array" | "Set" => {
            return Some("a list is written `[T]`, e.g. `[String]`".to_string())
        }
        "Option" | "Optional" | "Maybe" => {
            return Some("an optional value is written `T?`, e.g. `String?`".to_string())
        }
        "HashMap" | "Dict" | "Dictionary" | "Record" | "Object" => {
            return Some("a map is written `Map<String, T>`".to_string())
        }
        _ => return None,
    };
    Some(format!("the nubes type is `{nubes}`"))
}

/// The stdlib file that declares a type name, if one does.
fn stdlib_home(name: &str) -> Option<&'static str> {
    stdlib::paths().find(|path| {
        stdlib::file(path).is_some_and(|text| {
            let parsed = crate::syntax::parse(FileId(0), text);
            parsed.file.decls.iter().any(|decl| decl.name.name == name)
        })
    })
}
