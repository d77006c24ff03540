//! Typed access for generated code: JSON values to and from Rust types, with errors that
//! say which call or object a bad value belongs to, and the state of the running object
//! read before a method and written back after it.

use std::fmt::Display;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::Error;
use crate::executor::{typed_members, Ctx};
use crate::store::Item;

/// Reads `value` as a `T`; `what` names it in the error (`arguments of Room.reserve`),
/// which also says where in the value the problem is and what is there.
pub fn decode<T: DeserializeOwned>(what: impl Display, value: Value) -> Result<T, Error> {
    read(&what, &value)
}

/// Reads `value` as a `T`. On failure, reads it again tracking the path, so the error
/// names the member that does not fit (`checkIn`, `rooms[2].kind`) and shows its value.
fn read<T: DeserializeOwned>(what: &impl Display, value: &Value) -> Result<T, Error> {
    T::deserialize(value).map_err(|error| {
        let located = match serde_path_to_error::deserialize::<_, T>(value) {
            Err(located) => located,
            Ok(_) => return Error::validation(format!("{what}: {error}")),
        };
        let path = located.path();
        if path.iter().next().is_none() {
            // A whole object or list is not worth quoting; a lone value is.
            let shown = match value {
                Value::Object(_) | Value::Array(_) => String::new(),
                scalar => format!(" = {}", short(scalar)),
            };
            return Error::validation(format!("{what}{shown}: {}", located.inner()));
        }
        let shown = value_at(value, path)
            .map(|found| format!(" = {}", short(found)))
            .unwrap_or_default();
        Error::validation(format!("{what}: `{path}`{shown}: {}", located.inner()))
    })
}

/// The part of `value` at `path`, if it is there.
fn value_at<'a>(value: &'a Value, path: &serde_path_to_error::Path) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, segment| match segment {
        serde_path_to_error::Segment::Map { key } => value.get(key),
        serde_path_to_error::Segment::Seq { index } => value.get(index),
        serde_path_to_error::Segment::Enum { .. } | serde_path_to_error::Segment::Unknown => {
            Some(value)
        }
    })
}

/// A value as JSON, cut short when long (an error message quotes it).
fn short(value: &Value) -> String {
    const LONGEST: usize = 80;
    let text = value.to_string();
    match text.char_indices().nth(LONGEST) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
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

/// Checks that `args` decode as a `T` (`null` as no arguments), without keeping them:
/// what a handler does before a call reads or writes anything.
pub fn check_args<T: DeserializeOwned>(what: impl Display, args: &Value) -> Result<(), Error> {
    if args.is_null() {
        read::<T>(&what, &Value::Object(Item::new())).map(drop)
    } else {
        read::<T>(&what, args).map(drop)
    }
}

/// Writes `value` as JSON (arguments, results); `what` names it in the error.
pub fn encode<T: Serialize + ?Sized>(what: impl Display, value: &T) -> Result<Value, Error> {
    serde_json::to_value(value).map_err(|error| Error::validation(format!("{what}: {error}")))
}

/// Writes `value` as the fields of an object, as they are (see [`stored_fields`] for
/// fields about to be stored).
pub fn encode_fields<T: Serialize + ?Sized>(what: impl Display, value: &T) -> Result<Item, Error> {
    into_fields(&what, encode(&what, value)?)
}

/// Writes a value that is about to be stored. The JSON must read back as a `T`: a float
/// that is not finite (NaN, infinity) has no JSON form and becomes `null`, which would
/// silently clear a field, so it is refused here instead.
pub fn stored<T: Serialize + DeserializeOwned>(
    what: impl Display,
    value: &T,
) -> Result<Value, Error> {
    let json = encode(&what, value)?;
    T::deserialize(&json).map_err(|error| {
        Error::validation(format!(
            "{what} cannot be stored as it is ({error}): is a float NaN or infinite?"
        ))
    })?;
    Ok(json)
}

/// Writes the fields of an object that are about to be stored (checked as [`stored`]
/// does).
pub fn stored_fields<T: Serialize + DeserializeOwned>(
    what: impl Display,
    value: &T,
) -> Result<Item, Error> {
    into_fields(&what, stored(&what, value)?)
}

fn into_fields(what: &impl Display, json: Value) -> Result<Item, Error> {
    match json {
        Value::Object(fields) => Ok(fields),
        other => Err(Error::validation(format!(
            "{what}: expected an object's fields, found {other}"
        ))),
    }
}

/// The runtime's form of a typed error `error` that a method raises: `Error::User` with
/// the error type's `name` and its fields.
pub fn raise<T: Serialize>(name: &str, error: &T) -> Error {
    match encode(name, error) {
        Ok(data) => Error::User {
            name: name.to_string(),
            data,
        },
        Err(error) => error,
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
        Some(fields) => decode(mismatch(type_name, id), Value::Object(fields)).map(Some),
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

/// The objects of a collection as `T`s (batched reads). An object that comes from the
/// collection cache is decoded once, not on every read.
pub async fn collection<T: DeserializeOwned + Clone + Send + Sync + 'static>(
    ctx: &mut Ctx,
    type_name: &str,
    id: &str,
    field: &str,
) -> Result<Vec<T>, Error> {
    let members = ctx.collection_members(type_name, id, field).await?;
    typed_members(members, || format!("an object in `{type_name}.{field}`"))
}

/// Writes back the fields of the running object that a method changed in `after`
/// (compared with `before`: the same state encoded when the method started, so fields the
/// type does not know are never touched). Fields the method did not touch keep whatever
/// else changed them in this invocation (a method may even delete its own object);
/// read-only fields are refused at commit.
pub async fn save_this<T: Serialize + DeserializeOwned>(
    ctx: &mut Ctx,
    before: &Item,
    after: &T,
) -> Result<(), Error> {
    let this = ctx.this_ref().clone();
    let after = stored_fields(format!("the new state of {this}"), after)?;
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
    if changes.is_empty() {
        return Ok(());
    }
    // What the object holds now, after nested calls the method made (in the same form
    // as `before`): a field changed both there and by the method cannot keep both.
    let Some(now) = load::<T>(ctx, &this.type_name, &this.id).await? else {
        return Err(Error::validation(format!(
            "{this} was deleted during its own method, which also changed its fields: delete it or change it"
        )));
    };
    let now = encode_fields(format!("the state of {this}"), &now)?;
    for (field, value) in changes {
        if now.get(&field) != before.get(&field) {
            return Err(Error::validation(format!(
                "`{}.{field}` was changed by a nested call on {this} while the method changed it too: change it in one place",
                this.type_name
            )));
        }
        ctx.set(&this.type_name, &this.id, &field, value).await?;
    }
    Ok(())
}

fn mismatch(type_name: &str, id: &str) -> String {
    format!("the stored {type_name} `{id}` does not match the schema")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Gauge {
        level: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    }

    #[test]
    fn a_value_that_cannot_be_read_back_is_refused() {
        for level in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let encoded = stored_fields("a gauge", &Gauge { level, note: None });
            assert!(
                matches!(&encoded, Err(Error::Validation { message }) if message.contains("NaN or infinite")),
                "{level}: {encoded:?}"
            );
        }
        let fine = stored_fields(
            "a gauge",
            &Gauge {
                level: 0.5,
                note: None,
            },
        );
        assert_eq!(
            fine.map(Value::Object),
            Ok(serde_json::json!({ "level": 0.5 }))
        );
    }

    #[test]
    fn missing_arguments_are_no_arguments() {
        #[derive(Debug, PartialEq, Deserialize)]
        struct NoArgs {}
        assert_eq!(decode_args::<NoArgs>("args", Value::Null), Ok(NoArgs {}));
        let wrong = decode_args::<NoArgs>("the arguments of `Gauge.reset`", serde_json::json!(3));
        assert!(
            matches!(wrong, Err(Error::Validation { message }) if message.starts_with("the arguments of `Gauge.reset`"))
        );
    }
}
