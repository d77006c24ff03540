//! Typed access for generated code: JSON values to and from Rust types, with errors that
//! say which call or object a bad value belongs to, and the state of the running object
//! read before a method and written back after it.

use std::fmt::Display;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::Error;
use crate::store::Item;

/// Reads `value` as a `T`; `what` names it in the error (`arguments of Room.reserve`).
pub fn decode<T: DeserializeOwned>(what: impl Display, value: Value) -> Result<T, Error> {
    serde_json::from_value(value).map_err(|error| Error::validation(format!("{what}: {error}")))
}

/// Reads a method's arguments: a JSON object by parameter name, where a missing (`null`)
/// argument object means no arguments.
pub fn decode_args<T: DeserializeOwned>(what: impl Display, args: Value) -> Result<T, Error> {
    let args = if args.is_null() {
        Value::Object(Item::new())
    } else {
        args
    };
    decode(what, args)
}

/// Writes `value` as JSON; `what` names it in the error.
pub fn encode<T: Serialize + ?Sized>(what: impl Display, value: &T) -> Result<Value, Error> {
    serde_json::to_value(value).map_err(|error| Error::validation(format!("{what}: {error}")))
}

/// Writes `value` as the fields of an object.
pub fn encode_fields<T: Serialize + ?Sized>(what: impl Display, value: &T) -> Result<Item, Error> {
    match encode(&what, value)? {
        Value::Object(fields) => Ok(fields),
        other => Err(Error::validation(format!(
            "{what}: expected an object's fields, found {other}"
        ))),
    }
}

/// A fresh id for an object whose type has no id field (a UUID v7).
pub fn new_object_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// An object's fields as a `T`, or `None` when it does not exist.
pub async fn load<T: DeserializeOwned>(
    ctx: &mut Ctx,
    type_name: &str,
    id: &str,
) -> Result<Option<T>, Error> {
    match ctx.load(type_name, id).await? {
        Some(fields) => decode(stored(type_name, id), Value::Object(fields)).map(Some),
        None => Ok(None),
    }
}

/// An object's fields as a `T`; `NotFound` when it does not exist.
pub async fn get<T: DeserializeOwned>(
    ctx: &mut Ctx,
    type_name: &str,
    id: &str,
) -> Result<T, Error> {
    load(ctx, type_name, id)
        .await?
        .ok_or_else(|| Error::not_found(type_name, id))
}

/// The running object's fields as a `T`.
pub async fn this<T: DeserializeOwned>(ctx: &mut Ctx) -> Result<T, Error> {
    let this = ctx.this_ref().clone();
    get(ctx, &this.type_name, &this.id).await
}

/// The objects of a collection as `T`s (batched reads).
pub async fn collection<T: DeserializeOwned>(
    ctx: &mut Ctx,
    type_name: &str,
    id: &str,
    field: &str,
) -> Result<Vec<T>, Error> {
    ctx.collection(type_name, id, field)
        .await?
        .into_iter()
        .map(|(_, fields)| {
            decode(
                format!("an object in `{type_name}.{field}`"),
                Value::Object(fields),
            )
        })
        .collect()
}

/// Writes back the fields of the running object that a method changed in `after`
/// (compared with `before`: the same state encoded when the method started, so fields the
/// type does not know are never touched). Fields the method
/// did not touch keep whatever else changed them in this invocation; read-only fields are
/// refused at commit.
pub async fn save_this<T: Serialize>(ctx: &mut Ctx, before: &Item, after: &T) -> Result<(), Error> {
    let this = ctx.this_ref().clone();
    let after = encode_fields(format!("the new state of {this}"), after)?;
    let mut changes: Vec<(String, Value)> = before
        .keys()
        .filter(|name| !after.contains_key(*name))
        .map(|name| (name.clone(), Value::Null))
        .collect();
    changes.extend(
        after
            .into_iter()
            .filter(|(name, value)| before.get(name) != Some(value)),
    );
    for (field, value) in changes {
        ctx.set(&this.type_name, &this.id, &field, value).await?;
    }
    Ok(())
}

fn stored(type_name: &str, id: &str) -> String {
    format!("the stored {type_name} `{id}` does not match the schema")
}
