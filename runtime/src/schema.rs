//! What the runtime needs to know about an application's object types: their tables,
//! relationships and read-only fields. Generated code builds it from the checked schema;
//! tests build it by hand.

use std::collections::{BTreeMap, BTreeSet};

use crate::store::TableSpec;

/// The name of the table that holds the outbox of asynchronous calls.
pub const OUTBOX_TABLE: &str = "_outbox";

/// All object types of an application.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    types: BTreeMap<String, ObjectType>,
    table_prefix: String,
}

impl Schema {
    /// An empty schema whose tables are named `<prefix><Type>`.
    pub fn new(table_prefix: impl Into<String>) -> Self {
        Schema {
            types: BTreeMap::new(),
            table_prefix: table_prefix.into(),
        }
    }

    /// Adds an object type.
    pub fn with_type(mut self, object: ObjectType) -> Self {
        self.types.insert(object.name.clone(), object);
        self
    }

    /// The type called `name`.
    pub fn object(&self, name: &str) -> Option<&ObjectType> {
        self.types.get(name)
    }

    /// The type whose objects live in `table`.
    pub fn type_with_table(&self, table: &str) -> Option<&ObjectType> {
        let name = table.strip_prefix(self.table_prefix.as_str())?;
        self.types.get(name)
    }

    /// Every type, by name.
    pub fn types(&self) -> impl Iterator<Item = &ObjectType> {
        self.types.values()
    }

    /// The table that holds objects of `type_name`.
    pub fn table(&self, type_name: &str) -> String {
        format!("{}{type_name}", self.table_prefix)
    }

    /// The table of the outbox.
    pub fn outbox_table(&self) -> String {
        format!("{}{OUTBOX_TABLE}", self.table_prefix)
    }

    /// Every table the application needs.
    pub fn tables(&self) -> Vec<TableSpec> {
        self.types
            .keys()
            .map(|name| TableSpec {
                name: self.table(name),
            })
            .chain(std::iter::once(TableSpec {
                name: self.outbox_table(),
            }))
            .collect()
    }
}

/// One object type.
#[derive(Debug, Clone)]
pub struct ObjectType {
    /// The type's name (also its table's name, after the prefix).
    pub name: String,
    /// Relationship fields, by field name.
    pub relations: BTreeMap<String, Relation>,
    /// Fields that may be set at creation and never changed.
    pub readonly: Vec<String>,
    /// The field that holds the object's id, if the type stores it as a field.
    pub id_field: Option<String>,
    /// True when every stored field is read-only: an object of this type never changes
    /// after its creation (its collections may). Such objects read through a collection
    /// need no check of their own, and edges pointing to them carry a copy of their
    /// fields.
    pub immutable: bool,
    /// One-to-many lists whose children's changes bump this object's version, so that a
    /// changing call reading the list is validated by this object alone.
    pub tracked: BTreeSet<String>,
}

impl ObjectType {
    /// A type with no relationships and no read-only fields.
    pub fn new(name: impl Into<String>) -> Self {
        ObjectType {
            name: name.into(),
            relations: BTreeMap::new(),
            readonly: Vec::new(),
            id_field: None,
            immutable: false,
            tracked: BTreeSet::new(),
        }
    }

    /// Adds a relationship field.
    pub fn relation(mut self, field: impl Into<String>, relation: Relation) -> Self {
        self.relations.insert(field.into(), relation);
        self
    }

    /// Marks a field read-only.
    pub fn readonly(mut self, field: impl Into<String>) -> Self {
        self.readonly.push(field.into());
        self
    }

    /// Names the field that holds the object's id: creation fills it in (or checks it
    /// matches), and it is read-only.
    pub fn id_field(mut self, field: impl Into<String>) -> Self {
        let field = field.into();
        self.readonly.push(field.clone());
        self.id_field = Some(field);
        self
    }

    /// Declares every stored field of the type read-only (the compiler does so when each
    /// is `@readonly` or the id): the runtime then refuses any change to an existing
    /// object's fields, whatever the field.
    pub fn immutable(mut self) -> Self {
        self.immutable = true;
        self
    }

    /// Tracks the one-to-many list `field` (`@tracked`): every change to a child's fields
    /// bumps this object's version in the child's commit.
    pub fn tracked(mut self, field: impl Into<String>) -> Self {
        self.tracked.insert(field.into());
        self
    }

    /// The fields that are the child side of a one-to-many (`field → (parent type, list)`).
    pub fn back_references(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.relations
            .iter()
            .filter_map(|(field, relation)| match relation {
                Relation::BackReference { target, list, .. } => {
                    Some((field.as_str(), target.as_str(), list.as_str()))
                }
                _ => None,
            })
    }
}

/// The part a field plays in a relationship.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relation {
    /// `[target] @hasOne(back)`: the parent side of a one-to-many; edges live in this
    /// object's partition.
    OneToMany {
        /// The child type.
        target: String,
        /// The child's reference back to the parent.
        back: String,
    },
    /// The child side of a one-to-many: this field holds the parent's id, and the parent's
    /// `list` holds an edge to this object.
    BackReference {
        /// The parent type.
        target: String,
        /// The parent's navigation list.
        list: String,
        /// False when the field must always hold a parent.
        optional: bool,
    },
    /// `[target] @hasMany(inverse)`: edges in both objects' partitions.
    ManyToMany {
        /// The other type.
        target: String,
        /// The other type's navigation list back.
        inverse: String,
    },
    /// `[target]` without a relationship attribute: a list of ids in this object only.
    ReferenceList {
        /// The referenced type.
        target: String,
    },
}
