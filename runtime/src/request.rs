//! Requests: everything a client can ask of an application, as one serializable envelope.
//! The same envelope travels in process and as a Lambda payload, and
//! [`Runtime::handle`] answers it, so both transports take one code path.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::executor::Runtime;
use crate::invocation::{Invocation, InvocationId};
use crate::store::Item;

/// One call from a client: which object, and what to do with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// The logical call's id: made once by the client and reused on every retry.
    pub id: InvocationId,
    /// The object type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The object's id.
    pub object: String,
    /// What to do.
    #[serde(flatten)]
    pub call: Call,
}

/// What a [`Request`] asks for: a declared method or one of the members every object has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Call {
    /// Runs a declared method with its arguments (a JSON object by parameter name).
    Method {
        /// The method's name as written in the schema.
        method: String,
        /// The arguments.
        #[serde(default)]
        args: Value,
    },
    /// Creates the object from its fields.
    Create {
        /// The fields, by name; the id field may be left out.
        fields: Item,
    },
    /// Deletes the object and its relationship edges.
    Delete,
    /// Replaces one field (`null` clears an optional one).
    Set {
        /// The field's name.
        field: String,
        /// The new value.
        value: Value,
    },
    /// Adds objects to a collection.
    AddTo {
        /// The collection field.
        field: String,
        /// The ids to add.
        ids: Vec<String>,
    },
    /// Removes objects from a collection.
    RemoveFrom {
        /// The collection field.
        field: String,
        /// The ids to remove.
        ids: Vec<String>,
    },
    /// The object's fields.
    Get,
    /// Whether the object exists.
    Exists,
    /// The ids in a collection.
    CollectionIds {
        /// The collection field.
        field: String,
    },
    /// The objects in a collection, as a list of their fields.
    Collection {
        /// The collection field.
        field: String,
    },
}

impl Request {
    /// A request with a fresh invocation id.
    pub fn new(type_name: impl Into<String>, object: impl Into<String>, call: Call) -> Self {
        Request {
            id: InvocationId::new(),
            type_name: type_name.into(),
            object: object.into(),
            call,
        }
    }
}

impl Runtime {
    /// Answers a request: the one entry point of every transport.
    pub async fn handle(&self, request: &Request) -> Result<Value, Error> {
        let (id, type_name, object) = (&request.id, &request.type_name, &request.object);
        self.check_call(id, type_name, object)?;
        match &request.call {
            Call::Method { method, args } => {
                let invocation = Invocation {
                    id: id.clone(),
                    type_name: type_name.clone(),
                    object: object.clone(),
                    method: method.clone(),
                    args: args.clone(),
                };
                // The call is checked above; `invoke` would check it again.
                self.run_method(&invocation).await
            }
            Call::Create { fields } => {
                let fields = self.with_id_field(type_name, object, fields.clone())?;
                let fields = match self.handler(type_name) {
                    Ok(handler) => handler.prepare_create(object, fields)?,
                    // A type without a handler has no schema to check against.
                    Err(_) => fields,
                };
                self.create(id, type_name, object, fields).await.map(unit)
            }
            Call::Delete => self.delete(id, type_name, object).await.map(unit),
            Call::Set { field, value } => {
                let value = match self.handler(type_name) {
                    Ok(handler) => handler.prepare_field(field, value.clone())?,
                    Err(_) => value.clone(),
                };
                self.set_field(id, type_name, object, field, value)
                    .await
                    .map(unit)
            }
            Call::AddTo { field, ids } => self
                .add_to(id, type_name, object, field, ids)
                .await
                .map(unit),
            Call::RemoveFrom { field, ids } => self
                .remove_from(id, type_name, object, field, ids)
                .await
                .map(unit),
            Call::Get => self.get(type_name, object).await.map(Value::Object),
            Call::Exists => self.exists(type_name, object).await.map(Value::Bool),
            Call::CollectionIds { field } => self
                .collection_ids(type_name, object, field)
                .await
                .map(Value::from),
            Call::Collection { field } => {
                let objects = self.collection(type_name, object, field).await?;
                Ok(Value::Array(
                    objects
                        .into_iter()
                        .map(|(_, fields)| Value::Object(fields))
                        .collect(),
                ))
            }
        }
    }

    /// Answers a request as it arrives over a transport, as JSON: a payload that is not a
    /// [`Request`] is answered with a validation error that says what is wrong with it.
    pub async fn handle_json(&self, payload: Value) -> Reply {
        match serde_json::from_value::<Request>(payload) {
            Ok(request) => self.handle(&request).await.into(),
            Err(error) => Reply::Error(Error::validation(format!(
                "the payload is not a nubes request: {error}"
            ))),
        }
    }

    /// The fields of a new object with its id field set to the object's id; a different
    /// value there is refused, so the stored id field always names its own item.
    fn with_id_field(
        &self,
        type_name: &str,
        object: &str,
        mut fields: Item,
    ) -> Result<Item, Error> {
        let Some(id_field) = self
            .schema()
            .object(type_name)
            .and_then(|object_type| object_type.id_field.as_deref())
        else {
            return Ok(fields);
        };
        match fields.get(id_field) {
            Some(Value::String(given)) if given != object => Err(Error::validation(format!(
                "`{type_name}.{id_field}` is `{given}` but the object's id is `{object}`"
            ))),
            Some(Value::String(_)) => Ok(fields),
            Some(Value::Null) | None => {
                fields.insert(id_field.to_string(), Value::from(object));
                Ok(fields)
            }
            Some(other) => Err(Error::validation(format!(
                "`{type_name}.{id_field}` must be text, found {other}"
            ))),
        }
    }
}

fn unit(_: ()) -> Value {
    Value::Null
}

/// The answer to a [`Request`] as it travels back over a transport: `{"ok": value}` or
/// `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// The call's result.
    Ok(Value),
    /// Why it failed.
    Error(Error),
}

impl From<Result<Value, Error>> for Reply {
    fn from(outcome: Result<Value, Error>) -> Self {
        match outcome {
            Ok(value) => Reply::Ok(value),
            Err(error) => Reply::Error(error),
        }
    }
}

impl From<Reply> for Result<Value, Error> {
    fn from(reply: Reply) -> Self {
        match reply {
            Reply::Ok(value) => Ok(value),
            Reply::Error(error) => Err(error),
        }
    }
}
