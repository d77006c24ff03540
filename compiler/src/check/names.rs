//! Pass 1: declares every type name. Reports reserved words, built-in names taken again,
//! duplicates (across imports too), names that collide after case conversion, and type
//! names that are not `PascalCase`.

use std::collections::HashMap;

use super::suggest::{folded, is_camel_case, is_pascal_case, KEYWORDS, PRIMITIVES};
use super::{Checker, DeclIdx, TypeKey};
use crate::diag::{Code, Diagnostic};
use crate::ir;
use crate::stdlib;
use crate::syntax::ast::{DeclKind, Ident};

pub(super) fn run(checker: &mut Checker<'_>) {
    let mut by_folded: HashMap<String, DeclIdx> = HashMap::new();
    let mut counts = [0u32; 4];
    for index in 0..checker.decls.len() {
        let decl = checker.decls[index].decl;
        let (file, is_stdlib) = (checker.decls[index].file, checker.decls[index].is_stdlib);
        let name = &decl.name;
        if reserved(checker, name) {
            continue;
        }
        if PRIMITIVES.contains(&name.name.as_str()) {
            checker.report(
                Diagnostic::new(
                    Code::DuplicateType,
                    format!(
                        "`{}` is a built-in type and cannot be declared again",
                        name.name
                    ),
                    name.span,
                    "built-in name",
                )
                .with_help(format!("choose another name, such as `My{}`", name.name)),
            );
            continue;
        }
        if let Some(&first) = checker.by_name.get(name.name.as_str()) {
            let first_span = checker.decls[first.0].decl.name.span;
            checker.report(
                Diagnostic::new(
                    Code::DuplicateType,
                    format!("the type `{}` is defined more than once", name.name),
                    name.span,
                    "defined again here",
                )
                .with_label(first_span, "first defined here")
                .with_help(
                    "type names share one namespace across all imported files: rename one of them",
                ),
            );
            continue;
        }
        let key_name = folded(&name.name);
        if let Some(&first) = by_folded.get(&key_name) {
            let first_name = &checker.decls[first.0].decl.name;
            checker.report(
                Diagnostic::new(
                    Code::CaseCollision,
                    format!(
                        "the type names `{}` and `{}` become the same name in generated code",
                        first_name.name, name.name
                    ),
                    name.span,
                    "collides after case conversion",
                )
                .with_label(first_name.span, "with this type")
                .with_help("rename one of them so they differ in more than case and underscores"),
            );
            continue;
        }
        by_folded.insert(key_name, DeclIdx(index));
        checker.by_name.insert(name.name.as_str(), DeclIdx(index));
        if !starts_with_letter(&name.name) {
            checker.report(
                Diagnostic::new(
                    Code::NameWithoutLetter,
                    format!(
                        "the type name `{}` does not start with a letter after its underscores",
                        name.name
                    ),
                    name.span,
                    "no letter first",
                )
                .with_help(
                    "start the name with a letter: generated code needs a type name and a \
                     module name that differ",
                ),
            );
        } else if !is_stdlib && !is_pascal_case(&name.name) {
            warn_casing(checker, name, "type names are PascalCase");
        }

        let file_name = &checker.loaded.sources.file(file).name;
        let mapped = if is_stdlib {
            stdlib::mapped_type(file_name, &name.name)
        } else {
            None
        };
        let slot = match decl.kind {
            DeclKind::Object => 0,
            DeclKind::Struct => 1,
            DeclKind::Enum => 2,
            DeclKind::Error => 3,
        };
        let key = match (mapped, decl.kind) {
            (Some(ty), _) => TypeKey::Mapped(ty),
            (None, DeclKind::Object) => TypeKey::Object(ir::ObjectId(counts[slot])),
            (None, DeclKind::Struct) => TypeKey::Struct(ir::StructId(counts[slot])),
            (None, DeclKind::Enum) => TypeKey::Enum(ir::EnumId(counts[slot])),
            (None, DeclKind::Error) => TypeKey::Error(ir::ErrorId(counts[slot])),
        };
        match key {
            TypeKey::Object(_) => checker.objects.push(DeclIdx(index)),
            TypeKey::Enum(_) => checker.enums.push(DeclIdx(index)),
            _ => {}
        }
        if !matches!(key, TypeKey::Mapped(_)) {
            counts[slot] += 1;
        }
        checker.decls[index].key = Some(key);
    }
}

/// Reports `name` if it is a keyword; returns true if it was.
pub(super) fn reserved(checker: &mut Checker<'_>, name: &Ident) -> bool {
    if !KEYWORDS.contains(&name.name.as_str()) {
        return false;
    }
    checker.report(
        Diagnostic::new(
            Code::ReservedWord,
            format!("`{}` is a keyword and cannot be used as a name", name.name),
            name.span,
            "reserved word",
        )
        .with_help(format!("choose another name, such as `{}Value`", name.name)),
    );
    true
}

/// Warns about a name that breaks the casing convention `rule`.
pub(super) fn warn_casing(checker: &mut Checker<'_>, name: &Ident, rule: &str) {
    let suggestion = if rule.contains("PascalCase") {
        heck::ToUpperCamelCase::to_upper_camel_case(name.name.as_str())
    } else {
        heck::ToLowerCamelCase::to_lower_camel_case(name.name.as_str())
    };
    let mut diagnostic = Diagnostic::new(
        Code::Casing,
        format!(
            "`{}` does not follow the naming convention: {rule}",
            name.name
        ),
        name.span,
        "unconventional name",
    );
    if suggestion != name.name && is_usable_rename(&suggestion, rule) {
        diagnostic = diagnostic.with_help(format!("rename it to `{suggestion}`"));
    }
    checker.report(diagnostic);
}

/// True when the first character after any leading underscores is a letter.
fn starts_with_letter(name: &str) -> bool {
    name.trim_start_matches('_')
        .starts_with(|c: char| c.is_ascii_alphabetic())
}

/// True when renaming to `suggestion` gives a name that follows `rule` and that the
/// checker accepts wherever the old name was: not a keyword, not a built-in type, and not
/// `id`, which would make a field the object's id.
fn is_usable_rename(suggestion: &str, rule: &str) -> bool {
    let follows_rule = if rule.contains("PascalCase") {
        is_pascal_case(suggestion)
    } else {
        is_camel_case(suggestion)
    };
    follows_rule
        && !KEYWORDS.contains(&suggestion)
        && !PRIMITIVES.contains(&suggestion)
        && suggestion != "id"
}
