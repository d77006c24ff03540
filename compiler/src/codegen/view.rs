//! Typed views of the IR for the generators: what an object stores, which fields get
//! setters, which are collections, so generators read like the language reference.

use proc_macro2::Ident;

use crate::ir::{Cardinality, Field, FieldRole, IdField, Method, Object, ObjectId, Schema, Type};

use super::naming;

/// One object type, as code generation sees it.
pub struct ObjectView<'a> {
    schema: &'a Schema,
    object: &'a Object,
}

/// A collection of an object: a navigation list or a reference list.
pub struct Collection<'a> {
    /// The field.
    pub field: &'a Field,
    /// The type of the objects in it.
    pub target: ObjectId,
}

/// The Rust names of a collection's members and of the type of its objects, with their
/// docs: the same in method code and in the client.
pub struct CollectionMembers {
    /// `rooms`: the objects.
    pub all: Ident,
    /// `rooms_ids`: their ids.
    pub ids: Ident,
    /// `add_to_rooms`.
    pub add: Ident,
    /// `remove_from_rooms`.
    pub remove: Ident,
    /// The state struct of the objects in it (`Room`).
    pub target_state: Ident,
    /// The module of the objects in it (`room`).
    pub target_module: Ident,
    /// Docs of `all`, `ids`, `add` and `remove`, in that order.
    pub docs: [String; 4],
}

impl Collection<'_> {
    /// The names of this collection's members, for a collection of the type `owner`.
    pub fn members(&self, schema: &Schema, owner: &str) -> CollectionMembers {
        let wire = &self.field.name;
        let target = &schema[self.target].name;
        let both_sides = "(both sides of a relationship change together)";
        CollectionMembers {
            all: naming::value_ident(wire),
            ids: naming::suffixed(wire, "ids"),
            add: naming::prefixed("add_to", wire),
            remove: naming::prefixed("remove_from", wire),
            target_state: naming::type_ident(target),
            target_module: naming::module_ident(target),
            docs: [
                format!(" The objects in `{owner}.{wire}` (one query, batched reads)."),
                format!(" The ids in `{owner}.{wire}`."),
                format!(" Adds `id` to `{owner}.{wire}` {both_sides}."),
                format!(" Removes `ids` from `{owner}.{wire}` {both_sides}."),
            ],
        }
    }
}

impl<'a> ObjectView<'a> {
    /// A view of `object`, one of `schema`'s.
    pub fn new(schema: &'a Schema, object: &'a Object) -> Self {
        ObjectView { schema, object }
    }

    /// A view of every object type of `schema`, in schema order.
    pub fn all(schema: &'a Schema) -> Vec<Self> {
        schema
            .objects
            .iter()
            .map(|object| ObjectView::new(schema, object))
            .collect()
    }

    /// The whole schema.
    pub fn schema(&self) -> &'a Schema {
        self.schema
    }

    /// The type name as written (also the wire and table name).
    pub fn name(&self) -> &'a str {
        &self.object.name
    }

    /// The doc comment.
    pub fn doc(&self) -> Option<&'a str> {
        self.object.doc.as_deref()
    }

    /// The state struct's name.
    pub fn type_ident(&self) -> Ident {
        naming::type_ident(&self.object.name)
    }

    /// The module of the object's generated items.
    pub fn module(&self) -> Ident {
        naming::module_ident(&self.object.name)
    }

    /// True when the object has no id field and gets a UUID v7 at creation.
    pub fn has_implicit_id(&self) -> bool {
        self.object.id == IdField::Implicit
    }

    /// The declared id field, if any.
    pub fn id_field(&self) -> Option<&'a Field> {
        match self.object.id {
            IdField::Field(id) => self.object.fields.get(id.index()),
            IdField::Implicit => None,
        }
    }

    /// The name of the field holding the id (`id` when implicit).
    pub fn id_field_name(&self) -> &'a str {
        self.id_field().map_or("id", |field| field.name.as_str())
    }

    /// Every declared field, in order.
    pub fn fields(&self) -> impl Iterator<Item = &'a Field> {
        self.object.fields.iter()
    }

    /// The fields kept in the object's item: every field but navigation lists.
    pub fn stored_fields(&self) -> impl Iterator<Item = &'a Field> {
        self.object
            .fields
            .iter()
            .filter(|field| !matches!(field.role, FieldRole::Navigation { .. }))
    }

    /// True when every stored field is read-only (`@readonly` or the id), including when
    /// the id is the only one: an object of the type never changes after its creation,
    /// though its navigation lists may.
    pub fn is_immutable(&self) -> bool {
        self.stored_fields().all(|field| field.readonly)
    }

    /// The one-to-many lists marked `@tracked`, in declaration order.
    pub fn tracked_lists(&self) -> impl Iterator<Item = &'a Field> {
        self.object.fields.iter().filter(|field| {
            matches!(
                field.role,
                FieldRole::Navigation {
                    cardinality: Cardinality::OneToMany,
                    tracked: true,
                    ..
                }
            )
        })
    }

    /// The fields with a generated setter: stored, not read-only, not a reference list
    /// (reference lists change through `add_to_…` / `remove_from_…`).
    pub fn settable_fields(&self) -> impl Iterator<Item = &'a Field> {
        self.stored_fields()
            .filter(|field| !field.readonly && field.role != FieldRole::ReferenceList)
    }

    /// Navigation lists and reference lists.
    pub fn collections(&self) -> impl Iterator<Item = Collection<'a>> {
        self.object.fields.iter().filter_map(|field| {
            let is_collection = matches!(
                field.role,
                FieldRole::Navigation { .. } | FieldRole::ReferenceList
            );
            match &field.ty {
                Type::List(inner) if is_collection => match inner.as_ref() {
                    Type::Object(target) => Some(Collection {
                        field,
                        target: *target,
                    }),
                    _ => None,
                },
                _ => None,
            }
        })
    }

    /// The declared methods.
    pub fn methods(&self) -> impl Iterator<Item = &'a Method> {
        self.object.methods.iter()
    }

    /// True when the object declares methods (and so has a `Methods` trait).
    pub fn has_methods(&self) -> bool {
        !self.object.methods.is_empty()
    }

    /// The runtime's description of a field's relationship, if it has one.
    pub fn relation(&self, field: &Field) -> Option<Relation<'a>> {
        match field.role {
            FieldRole::Navigation {
                cardinality: Cardinality::OneToMany,
                inverse,
                ..
            } => Some(Relation::OneToMany {
                target: &self.schema[inverse.object].name,
                back: &self.schema[inverse].name,
            }),
            FieldRole::Navigation {
                cardinality: Cardinality::ManyToMany,
                inverse,
                ..
            } => Some(Relation::ManyToMany {
                target: &self.schema[inverse.object].name,
                inverse: &self.schema[inverse].name,
            }),
            FieldRole::Reference {
                inverse: Some(list),
            } => Some(Relation::BackReference {
                target: &self.schema[list.object].name,
                list: &self.schema[list].name,
                optional: matches!(field.ty, Type::Optional(_)),
            }),
            FieldRole::ReferenceList => match &field.ty {
                Type::List(inner) => match inner.as_ref() {
                    Type::Object(target) => Some(Relation::ReferenceList {
                        target: &self.schema[*target].name,
                    }),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        }
    }
}

/// A relationship as the runtime's schema describes it.
pub enum Relation<'a> {
    /// The parent side of a one-to-many.
    OneToMany {
        /// The child type.
        target: &'a str,
        /// The child's reference back.
        back: &'a str,
    },
    /// The child side of a one-to-many.
    BackReference {
        /// The parent type.
        target: &'a str,
        /// The parent's list.
        list: &'a str,
        /// Whether the reference may be empty.
        optional: bool,
    },
    /// One side of a many-to-many.
    ManyToMany {
        /// The other type.
        target: &'a str,
        /// The other type's list back.
        inverse: &'a str,
    },
    /// A list of ids, one side only.
    ReferenceList {
        /// The referenced type.
        target: &'a str,
    },
}

/// Every type written anywhere in the schema.
pub fn all_types(schema: &Schema) -> impl Iterator<Item = &Type> {
    let fields = schema
        .objects
        .iter()
        .flat_map(|o| &o.fields)
        .chain(schema.structs.iter().flat_map(|s| &s.fields))
        .chain(schema.errors.iter().flat_map(|e| &e.fields))
        .map(|field| &field.ty);
    let methods = schema.objects.iter().flat_map(|o| &o.methods);
    let signatures = methods.flat_map(|method| {
        method
            .params
            .iter()
            .map(|param| &param.ty)
            .chain(method.returns.as_ref())
    });
    fields.chain(signatures)
}

/// `base`, or `base` with underscores appended until no name in `taken` is equal to it.
pub fn fresh(base: &str, taken: impl Iterator<Item = String> + Clone) -> String {
    let mut name = base.to_string();
    while taken.clone().any(|other| other == name) {
        name.push('_');
    }
    name
}
