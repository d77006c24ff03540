//! Pass 7: the members of every type. Reserved and duplicate names, names that collide
//! after case conversion or with a generated member (`create`, `getX`, `setX`,
//! `addToXs` …), enum variants, methods outside objects, parameters, `raises` lists,
//! casing conventions and objects without fields.

use std::collections::HashMap;

use heck::ToUpperCamelCase;

use super::ids::id_candidates;
use super::names::{reserved, warn_casing};
use super::suggest::{did_you_mean, folded, is_camel_case, is_pascal_case};
use super::{Checker, DeclInfo, TypeKey};
use crate::diag::{Code, Diagnostic};
use crate::ir::{ErrorId, Type};
use crate::source::Span;
use crate::syntax::ast::{DeclKind, Ident, Method};

pub(super) fn run(checker: &mut Checker<'_>) {
    for index in 0..checker.decls.len() {
        if checker.decls[index].key.is_none()
            || matches!(checker.decls[index].key, Some(TypeKey::Mapped(_)))
        {
            continue;
        }
        let decl = checker.decls[index].decl;
        if decl.kind == DeclKind::Enum {
            check_variants(checker, index);
            continue;
        }
        check_names(checker, index);
        if decl.kind == DeclKind::Object {
            check_generated(checker, index);
            for (method_index, method) in decl.methods.iter().enumerate() {
                check_params(checker, index, method);
                let raises = check_raises(checker, index, method);
                if let Some(info) = checker.decls[index].methods.get_mut(method_index) {
                    info.raises = raises;
                }
            }
            // Fields on lines that did not parse were reported as syntax errors already.
            if decl.fields.is_empty() && !decl.has_unread_lines && !checker.decls[index].is_stdlib {
                checker.report(
                    Diagnostic::new(
                        Code::EmptyObject,
                        format!("the object `{}` has no fields", decl.name.name),
                        decl.name.span,
                        "no fields",
                    )
                    .with_help("an object keeps its state in fields: add one, or use a `struct` for a plain value"),
                );
            }
        } else {
            for method in &decl.methods {
                let kind = decl.kind.keyword();
                checker.report(
                    Diagnostic::new(
                        Code::MethodOutsideObject,
                        format!(
                            "methods are only allowed in objects, and `{}` is {} {kind}",
                            decl.name.name,
                            article(kind)
                        ),
                        method.name.span,
                        "method here",
                    )
                    .with_label(
                        decl.name.span,
                        format!("declared as {} `{kind}`", article(kind)),
                    )
                    .with_help(format!(
                        "move `{}` to an object, or declare `{}` as an `object`",
                        method.name.name, decl.name.name
                    )),
                );
            }
        }
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Checks a list of names that share one namespace: reserved words, exact duplicates,
/// collisions after case folding, and the casing convention.
fn check_unique<'n>(
    checker: &mut Checker<'_>,
    names: impl IntoIterator<Item = &'n Ident>,
    owner: &str,
    casing: Casing,
    warn: bool,
) {
    let mut exact: HashMap<&str, Span> = HashMap::new();
    let mut by_folded: HashMap<String, &Ident> = HashMap::new();
    for name in names {
        if reserved(checker, name) {
            continue;
        }
        if let Some(first) = exact.get(name.name.as_str()) {
            checker.report(
                Diagnostic::new(
                    Code::DuplicateMember,
                    format!("`{}` is declared more than once in `{owner}`", name.name),
                    name.span,
                    "declared again here",
                )
                .with_label(*first, "first declared here")
                .with_help("rename or remove one of them"),
            );
            continue;
        }
        exact.insert(&name.name, name.span);
        let key = folded(&name.name);
        if let Some(first) = by_folded.get(&key) {
            checker.report(
                Diagnostic::new(
                    Code::CaseCollision,
                    format!(
                        "`{}` and `{}` in `{owner}` become the same name in generated code",
                        first.name, name.name
                    ),
                    name.span,
                    "collides after case conversion",
                )
                .with_label(first.span, "with this one")
                .with_help("rename one of them so they differ in more than case and underscores"),
            );
            continue;
        }
        by_folded.insert(key, name);
        if warn {
            match casing {
                Casing::Camel if !is_camel_case(&name.name) => {
                    warn_casing(checker, name, "member names are camelCase")
                }
                Casing::Pascal if !is_pascal_case(&name.name) => {
                    warn_casing(checker, name, "enum variants are PascalCase")
                }
                _ => {}
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Casing {
    Camel,
    Pascal,
}

fn check_variants(checker: &mut Checker<'_>, index: usize) {
    let info = &checker.decls[index];
    let (decl, warn) = (info.decl, !info.is_stdlib);
    if decl.variants.is_empty() {
        if decl.has_unread_lines {
            // The variants that are there did not parse, and were reported as such.
            return;
        }
        checker.report(
            Diagnostic::new(
                Code::EmptyEnum,
                format!("the enum `{}` has no variants", decl.name.name),
                decl.name.span,
                "no variants",
            )
            .with_help("a value of an enum is one of its variants: add one, or remove the enum"),
        );
        return;
    }
    check_unique(
        checker,
        decl.variants.iter().map(|v| &v.name),
        &decl.name.name,
        Casing::Pascal,
        warn,
    );
}

/// Fields and methods share one namespace, checked in source order.
fn check_names(checker: &mut Checker<'_>, index: usize) {
    let info = &checker.decls[index];
    let (decl, warn) = (info.decl, !info.is_stdlib);
    let mut members: Vec<&Ident> = decl
        .fields
        .iter()
        .map(|field| &field.name)
        .chain(decl.methods.iter().map(|method| &method.name))
        .collect();
    members.sort_by_key(|name| name.span);
    // An object without an id field has an implicit `id`, which takes its name.
    let implicit_id;
    if decl.kind == DeclKind::Object && id_candidates(info).is_empty() {
        implicit_id = Ident {
            name: "id".to_string(),
            span: decl.name.span,
        };
        members.insert(0, &implicit_id);
    }
    check_unique(checker, members, &decl.name.name, Casing::Camel, warn);
}

fn check_params(checker: &mut Checker<'_>, index: usize, method: &Method) {
    let warn = !checker.decls[index].is_stdlib;
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let mut folded_seen: HashMap<String, &Ident> = HashMap::new();
    for param in &method.params {
        if reserved(checker, &param.name) {
            continue;
        }
        if let Some(first) = seen.get(param.name.name.as_str()) {
            checker.report(
                Diagnostic::new(
                    Code::DuplicateParam,
                    format!(
                        "the parameter `{}` of `{}` is declared more than once",
                        param.name.name, method.name.name
                    ),
                    param.name.span,
                    "declared again here",
                )
                .with_label(*first, "first declared here")
                .with_help("parameters are sent by name: give each one its own name"),
            );
            continue;
        }
        seen.insert(&param.name.name, param.name.span);
        let key = folded(&param.name.name);
        if let Some(first) = folded_seen.get(&key) {
            checker.report(
                Diagnostic::new(
                    Code::CaseCollision,
                    format!(
                        "the parameters `{}` and `{}` of `{}` become the same name in generated code",
                        first.name, param.name.name, method.name.name
                    ),
                    param.name.span,
                    "collides after case conversion",
                )
                .with_label(first.span, "with this one")
                .with_help("rename one of them so they differ in more than case and underscores"),
            );
            continue;
        }
        folded_seen.insert(key, &param.name);
        if warn && !is_camel_case(&param.name.name) {
            warn_casing(checker, &param.name, "parameter names are camelCase");
        }
    }
}

/// Resolves the `raises` list of a method to error types.
fn check_raises(checker: &mut Checker<'_>, index: usize, method: &Method) -> Vec<ErrorId> {
    let file = checker.decls[index].file;
    let mut raises: Vec<ErrorId> = Vec::new();
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for name in &method.raises {
        if let Some(first) = seen.get(name.name.as_str()) {
            checker.report(
                Diagnostic::new(
                    Code::DuplicateMember,
                    format!("`{}` is listed more than once after `raises`", name.name),
                    name.span,
                    "listed again",
                )
                .with_label(*first, "first listed here")
                .with_help("list each error once"),
            );
            continue;
        }
        seen.insert(&name.name, name.span);
        let Some(target) = checker.lookup(&name.name) else {
            let errors: Vec<&str> = checker
                .decls
                .iter()
                .filter(|info| matches!(info.key, Some(TypeKey::Error(_))))
                .map(DeclInfo::name)
                .collect();
            let help = did_you_mean(&name.name, errors)
                .unwrap_or_else(|| format!("declare it with `error {} {{ … }}`", name.name));
            checker.report(
                Diagnostic::new(
                    Code::UnknownType,
                    format!("cannot find error type `{}`", name.name),
                    name.span,
                    "not declared",
                )
                .with_help(help),
            );
            continue;
        };
        if !checker.visible(file, checker.decls[target.0].file) {
            let declared_in = checker.decls[target.0].file;
            super::types::not_imported(checker, name, declared_in);
            continue;
        }
        let target_info = &checker.decls[target.0];
        let target_file = target_info.file;
        match target_info.key {
            Some(TypeKey::Error(id)) => raises.push(id),
            _ => {
                let kind = target_info.kind().keyword();
                let span = target_info.decl.name.span;
                checker.report(
                    Diagnostic::new(
                        Code::RaisesNonError,
                        format!(
                            "`raises` lists `{}`, which is {} {kind}, not an error",
                            name.name,
                            article(kind)
                        ),
                        name.span,
                        "not an error type",
                    )
                    .with_label(span, format!("declared as {} `{kind}` here", article(kind)))
                    .with_help(format!(
                        "declare it as `error {} {{ … }}` to raise it",
                        name.name
                    )),
                );
            }
        }
        checker.uses.insert((file, target_file));
    }
    raises
}

/// A member the compiler generates for an object, in folded form.
struct Generated {
    /// How the user would write it, e.g. `setRate`.
    display: String,
    /// What it is generated for.
    origin: Span,
    /// The field it is generated for, if any.
    field: Option<usize>,
}

/// Methods of the Rust traits that the generated ids and client handles implement
/// (`Clone`, `From`, `Display` …): a declared method or collection of the same name would
/// become an inherent method that hides them, in generated code and in the user's.
const RUST_TRAIT_METHODS: [&str; 15] = [
    "clone",
    "cloneFrom",
    "into",
    "from",
    "tryInto",
    "tryFrom",
    "asRef",
    "toString",
    "toOwned",
    "fmt",
    "eq",
    "ne",
    "cmp",
    "partialCmp",
    "hash",
];

/// Two fields whose generated members share a name: (the later field, the member, the
/// earlier origin).
type GeneratedClash = (Ident, String, Span);

/// Every generated member of an object, by folded name, and the clashes between them.
fn generated_members(info: &DeclInfo<'_>) -> (HashMap<String, Generated>, Vec<GeneratedClash>) {
    let mut generated = HashMap::new();
    let mut clashes: Vec<GeneratedClash> = Vec::new();
    for name in ["create", "load", "exists", "delete", "later"]
        .into_iter()
        .chain(RUST_TRAIT_METHODS)
    {
        generated.insert(
            folded(name),
            Generated {
                display: name.to_string(),
                origin: info.decl.name.span,
                field: None,
            },
        );
    }
    let ids = id_candidates(info);
    if ids.is_empty() {
        generated.insert(
            folded("getId"),
            Generated {
                display: "getId".to_string(),
                origin: info.decl.name.span,
                field: None,
            },
        );
    }
    for (index, field) in info.fields.iter().enumerate() {
        let camel = field.name().to_upper_camel_case();
        let mut add = |display: String| {
            match generated.entry(folded(&display)) {
                std::collections::hash_map::Entry::Vacant(entry) => {
                    entry.insert(Generated {
                        display,
                        origin: field.field.name.span,
                        field: Some(index),
                    });
                }
                std::collections::hash_map::Entry::Occupied(entry) => {
                    // Two fields of one name already collide (E011/E012); say it once.
                    let same_name = entry.get().field.is_some_and(|other| {
                        folded(info.fields[other].name()) == folded(field.name())
                    });
                    if !same_name {
                        clashes.push((
                            field.field.name.clone(),
                            entry.get().display.clone(),
                            entry.get().origin,
                        ));
                    }
                }
            }
        };
        add(format!("get{camel}"));
        let is_list_of_objects =
            matches!(&field.ty, Some(Type::List(element)) if matches!(**element, Type::Object(_)));
        let settable =
            field.attrs.readonly.is_none() && !ids.contains(&index) && !field.is_navigation();
        if settable {
            add(format!("set{camel}"));
        }
        if is_list_of_objects {
            add(format!("{}Ids", field.name()));
            add(format!("addTo{camel}"));
            add(format!("removeFrom{camel}"));
        }
    }
    (generated, clashes)
}

fn check_generated(checker: &mut Checker<'_>, index: usize) {
    let info = &checker.decls[index];
    let (generated, generated_clashes) = generated_members(info);
    let mut clashes: Vec<(&Ident, &Generated)> = Vec::new();
    for method in &info.decl.methods {
        if let Some(member) = generated.get(&folded(&method.name.name)) {
            clashes.push((&method.name, member));
        }
    }
    for (field_index, field) in info.fields.iter().enumerate() {
        let is_list_of_objects =
            matches!(&field.ty, Some(Type::List(element)) if matches!(**element, Type::Object(_)));
        if !is_list_of_objects {
            continue;
        }
        if let Some(member) = generated.get(&folded(field.name())) {
            if member.field != Some(field_index) {
                clashes.push((&field.field.name, member));
            }
        }
    }
    let owner = info.name().to_string();
    let diagnostics: Vec<Diagnostic> = clashes
        .into_iter()
        .map(|(name, member)| {
            let from_rust = RUST_TRAIT_METHODS.contains(&member.display.as_str());
            let why = match member.field {
                Some(field) => format!("generated for the field `{}`", info.fields[field].name()),
                None if from_rust => "a standard Rust trait method of every generated id and handle".to_string(),
                None => "generated for every object".to_string(),
            };
            let help = if from_rust {
                format!(
                    "rename `{}`: the generated Rust id and client handle of every object implement the standard trait method `{}`, which it would hide",
                    name.name, member.display
                )
            } else {
                format!(
                    "rename `{}`: every object gets `{}` without declaring it",
                    name.name, member.display
                )
            };
            Diagnostic::new(
                Code::GeneratedCollision,
                format!(
                    "`{}` collides with the generated member `{}` of `{owner}`",
                    name.name, member.display
                ),
                name.span,
                "collides with a generated member",
            )
            .with_label(member.origin, why)
            .with_help(help)
        })
        .collect();
    let diagnostics = diagnostics
        .into_iter()
        .chain(generated_clashes.into_iter().map(|(field, member, other)| {
            Diagnostic::new(
                Code::GeneratedCollision,
                format!(
                    "`{}` would generate `{member}`, which `{owner}` already has",
                    field.name
                ),
                field.span,
                format!("generates `{member}`"),
            )
            .with_label(other, format!("also generates `{member}`"))
            .with_help(format!("rename `{}`", field.name))
        }));
    for diagnostic in diagnostics {
        checker.report(diagnostic);
    }
}
