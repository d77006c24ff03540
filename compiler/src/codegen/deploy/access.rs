//! What each function may touch in DynamoDB, computed from the schema.
//!
//! A type's function serves that type's requests. Its method code reaches the types the
//! schema lets it name: those of its fields, method parameters and results (inside
//! options, lists, maps and structs), and, through their methods and fields, everything
//! those reach in turn. It reads all of them. It writes its own table and those of its
//! relationship partners (creating, deleting and relinking objects updates both sides of
//! a relationship); when the type has a changing method, that method may create, change
//! and delete objects of every type it reaches, so it writes all of them. Every function
//! that writes may store asynchronous calls (a large delete continues through the outbox).
//! The delivery function runs any call, so it writes every table and drains the outbox.

use std::collections::BTreeSet;

use crate::ir::{FieldRole, ObjectId, Schema, StructId, Type};

/// The tables one function may use, by object type name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grants {
    /// Types whose tables it may read and write.
    pub write: BTreeSet<String>,
    /// Types whose tables it may only read (none of `write`).
    pub read: BTreeSet<String>,
    /// What it may do with the outbox.
    pub outbox: Outbox,
}

/// A function's use of the outbox table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Outbox {
    /// It stores asynchronous calls.
    #[default]
    Send,
    /// It stores, reads, sets aside and removes them.
    Deliver,
}

/// The grants of the function that serves `object`.
pub fn for_type(schema: &Schema, object: ObjectId) -> Grants {
    let reach = reach(schema, object);
    let names = |ids: &BTreeSet<ObjectId>| -> BTreeSet<String> {
        ids.iter().map(|id| schema[*id].name.clone()).collect()
    };
    let changes_others = schema[object].methods.iter().any(|method| !method.readonly);
    let write_ids = if changes_others {
        reach.clone()
    } else {
        let mut own = partners(schema, object);
        own.insert(object);
        own
    };
    let write = names(&write_ids);
    let read = names(&reach.difference(&write_ids).copied().collect());
    Grants {
        write,
        read,
        outbox: Outbox::Send,
    }
}

/// The grants of a function that serves every type and delivers the outbox.
pub fn for_everything(schema: &Schema) -> Grants {
    Grants {
        write: schema
            .objects
            .iter()
            .map(|object| object.name.clone())
            .collect(),
        read: BTreeSet::new(),
        outbox: Outbox::Deliver,
    }
}

/// `object` and every type it can name, transitively.
fn reach(schema: &Schema, object: ObjectId) -> BTreeSet<ObjectId> {
    let mut reached = BTreeSet::from([object]);
    let mut queue = vec![object];
    while let Some(next) = queue.pop() {
        for named in mentions(schema, next) {
            if reached.insert(named) {
                queue.push(named);
            }
        }
    }
    reached
}

/// The types named by `object`'s fields, method parameters and results.
fn mentions(schema: &Schema, object: ObjectId) -> BTreeSet<ObjectId> {
    let object = &schema[object];
    let types = object
        .fields
        .iter()
        .map(|field| &field.ty)
        .chain(object.methods.iter().flat_map(|method| {
            method
                .params
                .iter()
                .map(|param| &param.ty)
                .chain(method.returns.iter())
        }));
    let mut found = BTreeSet::new();
    let mut structs = BTreeSet::new();
    for ty in types {
        objects_in(schema, ty, &mut found, &mut structs);
    }
    found
}

/// Adds the object types inside `ty` to `found`, looking into each struct once.
fn objects_in(
    schema: &Schema,
    ty: &Type,
    found: &mut BTreeSet<ObjectId>,
    structs: &mut BTreeSet<StructId>,
) {
    match ty {
        Type::Object(id) => {
            found.insert(*id);
        }
        Type::Optional(inner) | Type::List(inner) | Type::Map(inner) => {
            objects_in(schema, inner, found, structs)
        }
        Type::Struct(id) => {
            if structs.insert(*id) {
                for field in &schema[*id].fields {
                    objects_in(schema, &field.ty, found, structs);
                }
            }
        }
        Type::String
        | Type::Int
        | Type::Float
        | Type::Bool
        | Type::Bytes
        | Type::Timestamp
        | Type::Date
        | Type::Enum(_) => {}
    }
}

/// The types on the other side of `object`'s relationships: creating, deleting or
/// relinking an object changes their items or edges too.
fn partners(schema: &Schema, object: ObjectId) -> BTreeSet<ObjectId> {
    let mut found = BTreeSet::new();
    for field in &schema[object].fields {
        let related = matches!(
            field.role,
            FieldRole::Reference { inverse: Some(_) } | FieldRole::Navigation { .. }
        );
        if related {
            objects_in(schema, &field.ty, &mut found, &mut BTreeSet::new());
        }
    }
    found.remove(&object);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::codegen::checked_schema as schema;

    fn grants(schema: &Schema, name: &str) -> (Vec<String>, Vec<String>) {
        let id = schema
            .objects
            .iter()
            .position(|object| object.name == name)
            .unwrap_or_else(|| panic!("no type {name}"));
        let grants = for_type(schema, ObjectId(id as u32));
        (
            grants.write.into_iter().collect(),
            grants.read.into_iter().collect(),
        )
    }

    #[test]
    fn a_readonly_type_reads_what_it_names_and_writes_itself_and_its_partners() {
        let schema = schema(
            "object Shop { items: [Item] @hasOne(shop)\n readonly fn best(tag: Tag) -> Item }\n\
             object Item { shop: Shop\n price: Int }\n\
             object Tag { name: String }\n\
             object Unrelated { name: String }",
        );
        assert_eq!(
            grants(&schema, "Shop"),
            (vec!["Item".into(), "Shop".into()], vec!["Tag".into()])
        );
    }

    #[test]
    fn a_changing_method_writes_everything_its_type_reaches() {
        let schema = schema(
            "object Shop { fn restock(order: Order) }\n\
             object Order { lines: [Line] }\n\
             object Line { qty: Int }\n\
             object Unrelated { name: String }",
        );
        assert_eq!(
            grants(&schema, "Shop"),
            (vec!["Line".into(), "Order".into(), "Shop".into()], vec![])
        );
        assert_eq!(grants(&schema, "Line"), (vec!["Line".into()], vec![]));
    }
}
