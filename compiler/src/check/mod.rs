//! Checking: resolves every name of the loaded files, enforces the static rules of the
//! language and, when there is no error, lowers the result to the IR.
//!
//! The passes run in this order, each adding diagnostics and filling in side tables the
//! later ones read:
//! 1. `names` — declares every type; duplicate and colliding type names.
//! 2. `types` — resolves every written type (fields, parameters, returns).
//! 3. `attributes` — reads `@id`, `@readonly`, `@hasOne`, `@hasMany`, `@tracked`,
//!    `@default`.
//! 4. `ids` — the id field of each object.
//! 5. `relations` — both sides of every navigation list.
//! 6. `structs` — structs that contain themselves by value.
//! 7. `members` — member names, generated members, methods and their errors, empty enums.
//! 8. `entries` — the generated client's entry for each object type.
//! 9. `imports` — imports nothing is used from.
//! 10. `lower` — builds the IR (only when no pass found an error).

mod attributes;
mod entries;
mod ids;
mod imports;
mod lower;
mod members;
mod names;
mod relations;
mod structs;
mod suggest;
mod types;

use std::collections::{HashMap, HashSet};

use crate::diag::Diagnostic;
use crate::ir::{self, Cardinality};
use crate::load::Loaded;
use crate::source::{FileId, Span};
use crate::syntax::ast::{self, Attribute, DeclKind, Ident, Literal};

/// The outcome of checking.
#[derive(Debug)]
pub struct Checked {
    /// The IR, when there was no error (warnings allowed).
    pub schema: Option<ir::Schema>,
    /// Errors and warnings of the checking passes.
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks everything `loaded` holds.
pub fn check(loaded: &Loaded) -> Checked {
    let mut checker = Checker::new(loaded);
    names::run(&mut checker);
    types::run(&mut checker);
    attributes::run(&mut checker);
    ids::run(&mut checker);
    relations::run(&mut checker);
    structs::run(&mut checker);
    members::run(&mut checker);
    entries::run(&mut checker);
    imports::run(&mut checker);
    let has_errors = checker.diagnostics.iter().any(Diagnostic::is_error);
    let schema = (!has_errors).then(|| lower::run(&checker));
    Checked {
        schema,
        diagnostics: checker.diagnostics,
    }
}

/// Index of a declaration in [`Checker::decls`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct DeclIdx(pub usize);

/// What a declared type name stands for once declared.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TypeKey {
    Object(ir::ObjectId),
    Struct(ir::StructId),
    Enum(ir::EnumId),
    Error(ir::ErrorId),
    /// A stdlib declaration that stands for a primitive (e.g. `Timestamp`).
    Mapped(ir::Type),
}

/// One declaration and what the passes learned about it.
#[derive(Debug)]
pub(crate) struct DeclInfo<'a> {
    pub decl: &'a ast::TypeDecl,
    pub file: FileId,
    pub is_stdlib: bool,
    /// `None` for a duplicate definition, which is reported and then ignored.
    pub key: Option<TypeKey>,
    pub fields: Vec<FieldInfo<'a>>,
    pub methods: Vec<MethodInfo>,
}

impl DeclInfo<'_> {
    pub fn kind(&self) -> DeclKind {
        self.decl.kind
    }

    pub fn name(&self) -> &str {
        &self.decl.name.name
    }
}

/// A field and what the passes learned about it.
#[derive(Debug)]
pub(crate) struct FieldInfo<'a> {
    pub field: &'a ast::Field,
    /// The resolved type; `None` when it names an unknown type.
    pub ty: Option<ir::Type>,
    pub attrs: FieldAttrs<'a>,
    /// Set by the relations pass on both sides of a relationship.
    pub relation: Option<Relation>,
}

impl FieldInfo<'_> {
    pub fn name(&self) -> &str {
        &self.field.name.name
    }

    pub fn is_navigation(&self) -> bool {
        self.attrs.navigation.is_some()
    }
}

/// The attributes of a field, once read.
#[derive(Debug, Default)]
pub(crate) struct FieldAttrs<'a> {
    pub id: Option<&'a Attribute>,
    pub readonly: Option<&'a Attribute>,
    pub navigation: Option<Navigation<'a>>,
    /// `@tracked`: set only on a one-to-many navigation list of an object (else reported).
    pub tracked: Option<&'a Attribute>,
    pub default: Option<(&'a Literal, Span)>,
    /// `@default(Variant)`: a bare name, meant for an enum field.
    pub default_variant: Option<&'a Ident>,
}

/// `@hasOne(inverse)` or `@hasMany(inverse)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Navigation<'a> {
    pub cardinality: Cardinality,
    pub inverse: &'a Ident,
    pub attribute: &'a Attribute,
}

/// The other side of a relationship, found by the relations pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Relation {
    pub other_decl: DeclIdx,
    pub other_field: usize,
}

/// A method's resolved signature.
#[derive(Debug, Default)]
pub(crate) struct MethodInfo {
    /// Per parameter; `None` for an unknown type.
    pub params: Vec<Option<ir::Type>>,
    /// `None` for unit, or when the return type is unknown (already reported).
    pub ret: Option<ir::Type>,
    pub raises: Vec<ir::ErrorId>,
}

/// The loaded files with every file after the files it imports, so that a name defined
/// both in an import and in the importing file is reported in the importing file.
fn dependencies_first(loaded: &Loaded) -> Vec<FileId> {
    let mut order = Vec::with_capacity(loaded.files.len());
    let mut seen = vec![false; loaded.files.len()];
    // (file, next import to visit); an explicit stack keeps deep import chains off the
    // call stack.
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in 0..loaded.files.len() {
        if seen[root] {
            continue;
        }
        seen[root] = true;
        stack.push((root, 0));
        while let Some((file, next)) = stack.pop() {
            let imports = &loaded.files[file].imports;
            match imports.get(next) {
                Some(target) => {
                    stack.push((file, next + 1));
                    if let Some(target) = target {
                        let target = target.0 as usize;
                        if !seen[target] {
                            seen[target] = true;
                            stack.push((target, 0));
                        }
                    }
                }
                None => order.push(loaded.files[file].id),
            }
        }
    }
    order
}

/// State shared by the passes.
pub(crate) struct Checker<'a> {
    pub loaded: &'a Loaded,
    pub decls: Vec<DeclInfo<'a>>,
    /// The first definition of each type name.
    pub by_name: HashMap<&'a str, DeclIdx>,
    /// The declaration of each object, indexed by [`ir::ObjectId`].
    pub objects: Vec<DeclIdx>,
    /// The declaration of each enum, indexed by [`ir::EnumId`].
    pub enums: Vec<DeclIdx>,
    /// Files reachable through imports, by importing file (filled on demand).
    pub reachable: HashMap<FileId, HashSet<FileId>>,
    /// (using file, declaring file) pairs, for unused imports.
    pub uses: HashSet<(FileId, FileId)>,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    fn new(loaded: &'a Loaded) -> Self {
        let mut decls = Vec::new();
        for file in dependencies_first(loaded) {
            let file = &loaded.files[file.0 as usize];
            let is_stdlib = loaded.sources.file(file.id).is_stdlib;
            for decl in &file.ast.decls {
                decls.push(DeclInfo {
                    decl,
                    file: file.id,
                    is_stdlib,
                    key: None,
                    fields: decl
                        .fields
                        .iter()
                        .map(|field| FieldInfo {
                            field,
                            ty: None,
                            attrs: FieldAttrs::default(),
                            relation: None,
                        })
                        .collect(),
                    methods: Vec::new(),
                });
            }
        }
        Checker {
            loaded,
            decls,
            by_name: HashMap::new(),
            objects: Vec::new(),
            enums: Vec::new(),
            reachable: HashMap::new(),
            uses: HashSet::new(),
            diagnostics: Vec::new(),
        }
    }

    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// The declaration a type name refers to, if any.
    pub fn lookup(&self, name: &str) -> Option<DeclIdx> {
        self.by_name.get(name).copied()
    }

    /// True when a name declared in `declared` is visible in `using`: the same file, or one
    /// it imports directly or through other imports.
    pub fn visible(&mut self, using: FileId, declared: FileId) -> bool {
        if using == declared {
            return true;
        }
        let loaded = self.loaded;
        self.reachable
            .entry(using)
            .or_insert_with(|| imports::reachable_from(loaded, using))
            .contains(&declared)
    }

    /// The declaration of an object id.
    pub fn object_decl(&self, id: ir::ObjectId) -> Option<DeclIdx> {
        self.objects.get(id.index()).copied()
    }

    /// The declaration of an enum id.
    pub fn enum_decl(&self, id: ir::EnumId) -> Option<DeclIdx> {
        self.enums.get(id.index()).copied()
    }
}
