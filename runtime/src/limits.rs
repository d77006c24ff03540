//! The limits every request is held to before the runtime reads or writes anything, so
//! that a malformed or oversized request is a [`Error::Validation`] naming what is wrong,
//! never a store failure, and leaves the store as it was. The limits are DynamoDB's where
//! it has one, and hold on SQLite too, so an application that runs on one store runs on
//! the other.

use crate::error::Error;
use crate::invocation::InvocationId;
use crate::layout::{RECORD_PREFIX, SPILL_PREFIX};
use crate::schema::{ObjectType, Schema};
use crate::store::capacity::{item_size, value_size};
use crate::store::{validate_item, validate_value, Key, StoreError, WriteOp, MAX_WRITE_OPS};

/// The longest invocation id, in bytes. A UUID is 36; ids of nested calls add a step
/// number per level.
pub const MAX_INVOCATION_ID_BYTES: usize = 256;

/// The longest object id, in bytes: an id is a partition key, and the sort key of every
/// edge pointing at the object (DynamoDB takes up to 1,024 bytes there) with room for the
/// edge's field name.
pub const MAX_OBJECT_ID_BYTES: usize = 512;

/// The largest item, in bytes as DynamoDB counts them (400 KB).
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// The most ids one `add_to` or `remove_from` request may name: each changes at least one
/// item besides the target in the request's one atomic commit, which holds at most
/// [`MAX_WRITE_OPS`]. A shorter list can still be too much for one commit; the commit then
/// says so.
pub const MAX_IDS_PER_REQUEST: usize = MAX_WRITE_OPS - 1;

/// Checks an invocation id: not empty, not too long, no control characters.
pub fn check_invocation_id(id: &InvocationId) -> Result<(), Error> {
    let text = id.as_str();
    if text.is_empty() {
        return Err(Error::validation(
            "the invocation id is empty: a client makes one per logical call (a UUID v7) and sends it on every retry",
        ));
    }
    if text.len() > MAX_INVOCATION_ID_BYTES {
        return Err(Error::validation(format!(
            "the invocation id is {} bytes long; it may be at most {MAX_INVOCATION_ID_BYTES}",
            text.len()
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(Error::validation(
            "the invocation id contains a control character",
        ));
    }
    Ok(())
}

/// Checks that `name`, the name of a method (`kind` "method") or a field ("field") a
/// request gives, is not one of the runtime's own: those start with `_`.
pub fn check_member_name(kind: &str, name: &str) -> Result<(), Error> {
    if name.starts_with('_') {
        return Err(Error::validation(format!(
            "`{name}` is not a {kind}: names starting with `_` belong to the runtime"
        )));
    }
    Ok(())
}

/// The object type `type_name` of `schema`, or the error that names the types it has.
pub fn check_type<'s>(schema: &'s Schema, type_name: &str) -> Result<&'s ObjectType, Error> {
    if let Some(object_type) = schema.object(type_name) {
        return Ok(object_type);
    }
    let known: Vec<&str> = schema.types().map(|object| object.name.as_str()).collect();
    Err(Error::validation(format!(
        "the application has no object type `{}`; it has {}",
        shown(type_name),
        if known.is_empty() {
            "none".to_string()
        } else {
            format!("`{}`", known.join("`, `"))
        }
    )))
}

/// Checks the id of an object of `type_name`: not empty and not too long.
pub fn check_object_id(type_name: &str, id: &str) -> Result<(), Error> {
    if id.is_empty() {
        return Err(Error::validation(format!(
            "the id of a `{type_name}` is empty"
        )));
    }
    if id.len() > MAX_OBJECT_ID_BYTES {
        return Err(Error::validation(format!(
            "the id of a `{type_name}` is {} bytes long (`{}…`); ids may be at most {MAX_OBJECT_ID_BYTES}",
            id.len(),
            shown(id)
        )));
    }
    Ok(())
}

/// Checks the ids a collection request names: at most [`MAX_IDS_PER_REQUEST`], each a
/// valid id of `target`.
pub fn check_ids(type_name: &str, field: &str, target: &str, ids: &[String]) -> Result<(), Error> {
    if ids.len() > MAX_IDS_PER_REQUEST {
        return Err(Error::validation(format!(
            "{} ids for `{type_name}.{field}` in one request; one request changes at most \
             {MAX_IDS_PER_REQUEST} (split the list over several requests)",
            ids.len()
        )));
    }
    ids.iter().try_for_each(|id| check_object_id(target, id))
}

/// Checks that a value about to be set as `field` of a `type_name` can be stored: its
/// numbers and nesting are within what DynamoDB holds, and it fits in an item.
pub fn check_field_value(
    type_name: &str,
    field: &str,
    value: &serde_json::Value,
) -> Result<(), Error> {
    validate_value(value).map_err(|error| unstorable(&format!("`{type_name}.{field}`"), error))?;
    let size = field.len().saturating_add(value_size(value));
    if size > MAX_ITEM_BYTES {
        return Err(Error::validation(format!(
            "the new value of `{type_name}.{field}` is {size} bytes; an item holds at most {MAX_ITEM_BYTES} bytes"
        )));
    }
    Ok(())
}

/// Checks every item an atomic write puts: each can be stored (numbers and nesting within
/// what DynamoDB holds) and is at most [`MAX_ITEM_BYTES`]; `what` names the call in the
/// error.
pub fn check_writes(ops: &[WriteOp], what: &str) -> Result<(), Error> {
    for op in ops {
        if let WriteOp::Put { key, item, .. } = op {
            validate_item(item)
                .map_err(|error| unstorable(&format!("what {what} writes"), error))?;
            let size = item_size(key, item);
            if size > MAX_ITEM_BYTES {
                return Err(too_large(key, size, what));
            }
        }
    }
    Ok(())
}

/// The error for a value the store could not hold.
fn unstorable(what: &str, error: StoreError) -> Error {
    let reason = match error {
        StoreError::Invalid(reason) => reason,
        other => other.to_string(),
    };
    Error::validation(format!("{what} cannot be stored: {reason}"))
}

fn too_large(key: &Key, size: usize, what: &str) -> Error {
    let holds = if key.sk.starts_with(RECORD_PREFIX) {
        "the result record of"
    } else if key.sk.starts_with(SPILL_PREFIX) {
        "a page of result records written by"
    } else {
        "an item written by"
    };
    Error::validation(format!(
        "{holds} {what} would be {size} bytes (`{}` in `{}`); an item holds at most {MAX_ITEM_BYTES} bytes",
        shown(&key.pk),
        key.table
    ))
}

/// At most the first 40 characters of `text`, for messages about long input.
fn shown(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invocation_ids_are_checked() {
        assert!(check_invocation_id(&InvocationId::new()).is_ok());
        let empty = check_invocation_id(&InvocationId::from(""));
        assert!(matches!(empty, Err(Error::Validation { message }) if message.contains("empty")));
        let long = InvocationId("x".repeat(MAX_INVOCATION_ID_BYTES + 1));
        assert!(
            matches!(check_invocation_id(&long), Err(Error::Validation { message }) if message.contains("257 bytes"))
        );
        let control = check_invocation_id(&InvocationId::from("a\u{0}b"));
        assert!(
            matches!(control, Err(Error::Validation { message }) if message.contains("control"))
        );
    }

    #[test]
    fn object_ids_and_id_lists_are_checked() {
        assert!(check_object_id("User", "ana@example.com").is_ok());
        assert!(check_object_id("User", "").is_err());
        let long = "é".repeat(MAX_OBJECT_ID_BYTES);
        let error = check_object_id("User", &long).err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("1024 bytes")));
        let ids: Vec<String> = (0..=MAX_IDS_PER_REQUEST).map(|n| n.to_string()).collect();
        let error = check_ids("User", "reservations", "Reservation", &ids).err();
        assert!(error.is_some_and(|e| e.to_string().contains("100 ids")));
        assert!(check_ids("User", "reservations", "Reservation", &ids[1..]).is_ok());
    }
}
