//! Invocations: one logical call of a method, with the id that makes it exactly-once.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Identifies one logical call. The client makes it once (a UUID v7) and reuses it on
/// every retry; a nested or asynchronous call derives its id from its parent's id and its
/// step number, so a re-run of the parent derives the same ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InvocationId(pub String);

impl InvocationId {
    /// A fresh id (UUID v7: unique, ordered by creation time).
    pub fn new() -> Self {
        InvocationId(uuid::Uuid::now_v7().to_string())
    }

    /// The id of step `step` of this invocation.
    pub fn child(&self, step: u32) -> Self {
        InvocationId(format!("{}.{step}", self.0))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// When the id was made, in milliseconds since the epoch: the time of a UUID v7, or
    /// of the UUID v7 a nested call's id is derived from; `None` for other ids.
    pub fn created_ms(&self) -> Option<u64> {
        let root = self.0.split('.').next().unwrap_or("");
        let uuid = uuid::Uuid::parse_str(root).ok()?;
        let (seconds, nanos) = uuid.get_timestamp()?.to_unix();
        Some(seconds * 1000 + u64::from(nanos) / 1_000_000)
    }
}

impl Default for InvocationId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for InvocationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for InvocationId {
    fn from(id: &str) -> Self {
        InvocationId(id.to_string())
    }
}

/// A call of one method on one object: the envelope that travels from client to handler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invocation {
    /// The call's id, the same on every retry.
    pub id: InvocationId,
    /// The object type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The object id.
    pub object: String,
    /// The method.
    pub method: String,
    /// The arguments, as a JSON object by parameter name.
    #[serde(default)]
    pub args: Value,
}

/// A reference to one object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// The object type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The object id.
    pub id: String,
}

impl ObjectRef {
    /// A reference from type and id.
    pub fn new(type_name: impl Into<String>, id: impl Into<String>) -> Self {
        ObjectRef {
            type_name: type_name.into(),
            id: id.into(),
        }
    }
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}`", self.type_name, self.id)
    }
}
