//! Where the runtime keeps things in a store: an object's item, its relationship edges
//! and its result records all live in the object's partition of its type's table, told
//! apart by the sort key. Attribute names starting with `_` belong to the runtime.

use serde_json::Value;

use crate::invocation::ObjectRef;
use crate::schema::{Relation, Schema};
use crate::store::{Item, Key, DELETED};

/// The sort key of an object's own item.
pub const OBJECT_SK: &str = "#";

/// The sort-key prefix of a result record kept as an item of its own: `inv#<invocation>`.
pub const RECORD_PREFIX: &str = "inv#";

/// The sort-key prefix of a page of spilled result records:
/// `!inv#<order key of its newest record>#<the object's version it was spilled at>` (see
/// `records`). Pages sort before the object's item, so reading an object with its
/// collection starts past them, and by their newest record, so a record is found from
/// the first page whose newest record is not older.
pub const SPILL_PREFIX: &str = "!inv#";

/// A sort key past every page of spilled records and before the object's item (`#`).
pub(crate) const PAST_SPILLS: &str = "!~";

/// The sort key of a page of spilled records whose newest record has order key `order`,
/// spilled by the commit on the object's version `version` (which no other commit shares).
pub(crate) fn spill_sk(order: &str, version: u64) -> String {
    format!("{SPILL_PREFIX}{order}#{version}")
}

/// Where a lookup of a record with order key `order` starts: after every page whose
/// newest record sorts before it. (`#` sorts before every character of an id's order key,
/// so a page whose newest key extends `order` sorts after this, and one whose newest key
/// is a prefix of `order` before.)
pub(crate) fn spill_start(order: &str) -> String {
    format!("{SPILL_PREFIX}{order}")
}

/// The attribute on a tombstone whose relationships are still being removed in chunks.
pub(crate) const CASCADING: &str = "_cascading";

/// The item of an object.
pub(crate) fn object_key(schema: &Schema, object: &ObjectRef) -> Key {
    Key::new(schema.table(&object.type_name), &object.id, OBJECT_SK)
}

/// Where a relationship edge lives: in `owner`'s partition, pointing at `other`.
pub(crate) fn edge_key(schema: &Schema, owner: &ObjectRef, field: &str, other: &str) -> Key {
    Key::new(
        schema.table(&owner.type_name),
        &owner.id,
        format!("rel#{field}#{other}"),
    )
}

/// The attribute of an edge that names the object it points to.
pub(crate) const EDGE_TO: &str = "to";

/// The attribute of an edge that holds a copy of the fields of the object it points to,
/// when that object's type is immutable: the copy can never go stale.
pub(crate) const EDGE_COPY: &str = "_fields";

/// A new edge pointing at `other` (the commit adds the copy of an immutable object).
pub(crate) fn edge_item(other: &str) -> Item {
    Item::from_iter([(EDGE_TO.to_string(), Value::from(other))])
}

/// The copy of the fields an edge carries, if it carries one.
pub(crate) fn edge_copy(mut edge: Item) -> Option<Item> {
    match edge.remove(EDGE_COPY)? {
        Value::Object(fields) => Some(fields),
        _ => None,
    }
}

/// The object the edge at `key` points at.
pub(crate) fn edge_target(schema: &Schema, key: &Key) -> Option<ObjectRef> {
    let rest = key.sk.strip_prefix("rel#")?;
    let (field, other) = rest.split_once('#')?;
    let owner = schema.type_with_table(&key.table)?;
    let target = match owner.relations.get(field)? {
        Relation::OneToMany { target, .. } | Relation::ManyToMany { target, .. } => target,
        Relation::BackReference { .. } | Relation::ReferenceList { .. } => return None,
    };
    Some(ObjectRef::new(target, other))
}

/// Where the result record of `invocation` on `target` lives when it is kept apart.
pub(crate) fn record_key(schema: &Schema, target: &ObjectRef, invocation: &str) -> Key {
    Key::new(
        schema.table(&target.type_name),
        &target.id,
        format!("{RECORD_PREFIX}{invocation}"),
    )
}

/// True when `item` is an object that exists (not absent, not a tombstone).
pub(crate) fn is_live(item: Option<&Item>) -> bool {
    item.is_some_and(|item| !item.contains_key(DELETED))
}

/// The user's fields of an object as stored, `None` when it is absent or a tombstone.
pub(crate) fn live_fields(item: Option<&Item>) -> Option<Item> {
    item.filter(|item| is_live(Some(item))).map(user_fields)
}

/// The user's fields of a stored item (system attributes start with `_`).
pub fn user_fields(item: &Item) -> Item {
    item.iter()
        .filter(|(name, _)| !name.starts_with('_'))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}
