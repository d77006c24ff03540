//! JSON ↔ DynamoDB attribute values: items, keys and numbers.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Map, Number, Value};

use crate::store::{Item, Key, StoreError, PK, SK};

/// The attributes of an item (or a key), by name.
pub(super) type AttributeMap = HashMap<String, AttributeValue>;

/// The attributes of a key.
pub(super) fn key_attributes(key: &Key) -> AttributeMap {
    HashMap::from([
        (PK.to_string(), AttributeValue::S(key.pk.clone())),
        (SK.to_string(), AttributeValue::S(key.sk.clone())),
    ])
}

/// Removes the string attribute `name` from `attributes` and returns it.
pub(super) fn take_string(attributes: &mut AttributeMap, name: &str) -> Result<String, StoreError> {
    match attributes.remove(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        other => Err(StoreError::Invalid(format!(
            "the item's `{name}` is not a string: {other:?}"
        ))),
    }
}

/// An item as the store returned it, without its key attributes.
pub(super) fn item_from_attributes(mut attributes: AttributeMap) -> Result<Item, StoreError> {
    attributes.remove(PK);
    attributes.remove(SK);
    attributes
        .into_iter()
        .map(|(name, value)| Ok((name, from_attribute(value)?)))
        .collect()
}

/// A JSON value as an attribute value.
pub(super) fn to_attribute(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(flag) => AttributeValue::Bool(*flag),
        Value::Number(number) => AttributeValue::N(number.to_string()),
        Value::String(text) => AttributeValue::S(text.clone()),
        Value::Array(values) => AttributeValue::L(values.iter().map(to_attribute).collect()),
        Value::Object(map) => AttributeValue::M(
            map.iter()
                .map(|(name, value)| (name.clone(), to_attribute(value)))
                .collect(),
        ),
    }
}

/// An attribute value as JSON. Sets become arrays; binary values are refused.
fn from_attribute(value: AttributeValue) -> Result<Value, StoreError> {
    Ok(match value {
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::Bool(flag) => Value::Bool(flag),
        AttributeValue::N(number) => Value::Number(parse_number(&number)?),
        AttributeValue::S(text) => Value::String(text),
        AttributeValue::L(values) => Value::Array(
            values
                .into_iter()
                .map(from_attribute)
                .collect::<Result<_, _>>()?,
        ),
        AttributeValue::M(map) => Value::Object(
            map.into_iter()
                .map(|(name, value)| Ok((name, from_attribute(value)?)))
                .collect::<Result<Map<_, _>, StoreError>>()?,
        ),
        AttributeValue::Ss(texts) => Value::Array(texts.into_iter().map(Value::String).collect()),
        AttributeValue::Ns(numbers) => Value::Array(
            numbers
                .iter()
                .map(|number| parse_number(number).map(Value::Number))
                .collect::<Result<_, _>>()?,
        ),
        other => {
            return Err(StoreError::Invalid(format!(
                "unsupported attribute type: {other:?}"
            )))
        }
    })
}

/// A DynamoDB number: an `i64` if it is one, else a `u64`, else an `f64`.
fn parse_number(text: &str) -> Result<Number, StoreError> {
    if let Ok(int) = text.parse::<i64>() {
        return Ok(Number::from(int));
    }
    if let Ok(uint) = text.parse::<u64>() {
        return Ok(Number::from(uint));
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or_else(|| StoreError::Invalid(format!("not a JSON number: {text}")))
}

/// The attributes of a put: the key and the item's attributes (which
/// [`validate_write`](crate::store::validate_write) has checked hold no key attribute).
pub(super) fn item_attributes(key: &Key, item: &Item) -> AttributeMap {
    let mut attributes = key_attributes(key);
    attributes.extend(
        item.iter()
            .map(|(name, value)| (name.clone(), to_attribute(value))),
    );
    attributes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Value) -> Value {
        from_attribute(to_attribute(&value)).unwrap_or(Value::Null)
    }

    #[test]
    fn json_kinds_round_trip() {
        let value = json!({
            "s": "text", "i": 42, "neg": -7, "f": 1.5, "big": u64::MAX, "t": true,
            "n": null, "l": [1, "two", [3.25], {"four": false}], "m": {"inner": {"x": []}}
        });
        assert_eq!(round_trip(value.clone()), value);
    }

    #[test]
    fn numbers_parse_narrowest_first() {
        assert_eq!(parse_number("-3").ok(), Some(Number::from(-3)));
        assert_eq!(
            parse_number("18446744073709551615").ok(),
            Some(Number::from(u64::MAX))
        );
        assert_eq!(parse_number("2.5").ok().and_then(|n| n.as_f64()), Some(2.5));
        assert!(parse_number("nope").is_err());
    }
}
