//! The hotel's state in one comparable form, whether the model holds it or the store:
//! per live object its fields and the ids in each of its collections.

use std::collections::BTreeMap;
use std::fmt;

use nubes_runtime::{Error, Runtime};
use serde_json::{Map, Value};

use crate::dataset::Dataset;
use crate::state;

/// The stored field every reservation carries that only the runtime's clock decides.
pub const CREATED_AT: &str = "createdAt";

/// An object: its type and id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjKey {
    /// The object type: `City`, `Hotel`, `Room`, `User` or `Reservation`.
    pub type_name: String,
    /// The object's id.
    pub id: String,
}

impl ObjKey {
    /// The object `id` of type `type_name`.
    pub fn new(type_name: &str, id: &str) -> Self {
        ObjKey {
            type_name: type_name.to_string(),
            id: id.to_string(),
        }
    }
}

impl fmt::Display for ObjKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}`", self.type_name, self.id)
    }
}

/// One live object: its fields (numbers as floats, see [`normalize`]) and, per
/// collection, the ids in it, sorted (an id held twice appears twice).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectView {
    /// The stored fields.
    pub fields: Map<String, Value>,
    /// The ids in each collection, sorted.
    pub collections: BTreeMap<String, Vec<String>>,
}

impl ObjectView {
    /// The text field `name`, if the object has one.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }

    /// The ids in collection `name` (none when it has no such collection).
    pub fn collection(&self, name: &str) -> &[String] {
        self.collections.get(name).map_or(&[], Vec::as_slice)
    }
}

/// Every live object.
pub type View = BTreeMap<ObjKey, ObjectView>;

/// `value` with every number written as a float, so that `4`, `4.0` and a number a
/// store hands back in another form compare equal when they are the same number.
pub fn normalize(value: &Value) -> Value {
    match value {
        Value::Number(number) => number.as_f64().map_or(Value::Null, Value::from),
        Value::Array(values) => Value::Array(values.iter().map(normalize).collect()),
        Value::Object(map) => Value::Object(normalize_map(map)),
        other => other.clone(),
    }
}

/// [`normalize`] for each field of a map.
pub fn normalize_map(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .map(|(name, value)| (name.clone(), normalize(value)))
        .collect()
}

/// What the store holds, read through `runtime` (see [`state::readable`]): the dataset's
/// objects, those `extra` names, and every reservation their collections reach. Besides
/// the view, each live reservation's `createdAt` (which the view leaves out).
pub async fn stored(
    runtime: &Runtime,
    data: &Dataset,
    extra: &[ObjKey],
) -> Result<(View, BTreeMap<String, String>), Error> {
    let extra: Vec<(&str, &str)> = extra
        .iter()
        .map(|key| (key.type_name.as_str(), key.id.as_str()))
        .collect();
    let readable = state::readable(runtime, data, &extra).await?;
    let mut view = View::new();
    let mut created = BTreeMap::new();
    for (name, value) in &readable {
        let mut parts = name.splitn(3, ' ');
        let (Some(type_name), Some(id)) = (parts.next(), parts.next()) else {
            continue;
        };
        let key = ObjKey::new(type_name, id);
        match (
            parts.next().and_then(|field| field.strip_prefix('.')),
            value,
        ) {
            (None, Value::Object(fields)) => {
                let mut fields = normalize_map(fields);
                if type_name == "Reservation" {
                    if let Some(at) = fields.remove(CREATED_AT) {
                        created.insert(id.to_string(), at.as_str().unwrap_or("").to_string());
                    }
                }
                view.entry(key).or_default().fields = fields;
            }
            (Some(field), Value::Array(ids)) => {
                let mut ids: Vec<String> = ids
                    .iter()
                    .map(|id| id.as_str().unwrap_or("").to_string())
                    .collect();
                ids.sort();
                view.entry(key)
                    .or_default()
                    .collections
                    .insert(field.to_string(), ids);
            }
            // An absent object ("absent") is simply not in the view.
            _ => {}
        }
    }
    Ok((view, created))
}
