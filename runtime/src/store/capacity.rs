//! DynamoDB item sizes and capacity units, computed by DynamoDB's published rules.
//!
//! This module owns the arithmetic only: how many bytes DynamoDB counts for an item, and
//! how many read or write capacity units an operation on items of given sizes consumes.
//! It performs no I/O; callers pass in the items or sizes they read and wrote.
//!
//! # Item size
//!
//! From the DynamoDB Developer Guide, "DynamoDB item sizes and formats"
//! (`CapacityUnitCalculations.html`): an item's size is the sum of the lengths of its
//! attribute names and values. Every attribute name counts its UTF-8 bytes, and a value
//! counts as follows:
//!
//! - a String counts its UTF-8 bytes;
//! - a Number counts about one byte per two significant digits, plus one byte; leading
//!   and trailing zeros are trimmed (the sign, decimal point and exponent are not digits);
//! - a Boolean or a Null counts one byte;
//! - a List or a Map counts three bytes of overhead, plus one byte per element, plus the
//!   sizes of its elements (a Map's element includes its key's UTF-8 bytes).
//!
//! The key attributes are attributes like any other, so an item's size includes `pk` and
//! `sk` with their values. JSON values map onto DynamoDB types as the DynamoDB backend
//! stores them: string → S, number → N (its decimal text as `serde_json` prints it),
//! bool → BOOL, null → NULL, array → L, object → M.
//!
//! # Read units (strongly consistent)
//!
//! From "DynamoDB read and write operations" (`read-write-operations.html`):
//!
//! - `GetItem` rounds the item size up to the next 4 KB: one unit per 4 KB. Reading an
//!   item that does not exist still consumes read throughput: one unit when strongly
//!   consistent.
//! - `BatchGetItem` handles each item as a separate `GetItem`: each size is rounded up on
//!   its own before summing (a 1.5 KB and a 6.5 KB item count as 12 KB, not 8 KB).
//! - `Query` treats all returned items as one read: the sizes are summed, then rounded up
//!   once to 4 KB. A query that returns nothing consumes the minimum, one unit.
//!
//! # Write units
//!
//! - `PutItem`, `UpdateItem` and `DeleteItem` round the item size up to the next 1 KB,
//!   counting the larger of the item before and after the write (a delete counts the
//!   deleted item). Every write consumes at least one unit.
//! - A conditional write whose condition is false still consumes write units: by the size
//!   of the item, or one unit when the item does not exist.
//! - `TransactWriteItems` performs two underlying writes of every item, one to prepare and
//!   one to commit, so each action costs [`TRANSACTION_FACTOR`] times its plain write
//!   units. A `ConditionCheck` action is billed as a write of the item it checks.
//!
//! Eventually consistent reads (half units), transactional reads, indexes and the
//! per-item storage overhead are not modelled.

use serde_json::{Number, Value};

use super::{Item, Key, PK, SK};

/// The bytes one read capacity unit covers (4 KB).
pub const READ_UNIT_BYTES: usize = 4096;

/// The bytes one write capacity unit covers (1 KB).
pub const WRITE_UNIT_BYTES: usize = 1024;

/// How many times a transactional write charges each item's write units (prepare and
/// commit).
pub const TRANSACTION_FACTOR: u64 = 2;

/// The bytes a List or Map costs regardless of its contents.
const CONTAINER_OVERHEAD: usize = 3;

/// The bytes each element of a List or Map costs on top of its own size.
const ELEMENT_OVERHEAD: usize = 1;

/// The size in bytes DynamoDB counts for the item stored under `key` with attributes
/// `item`: the key attributes `pk` and `sk` with their values, plus every attribute's
/// name and value. The table name does not count. Attributes named `pk` or `sk` inside
/// `item` are ignored, since the key supplies them.
pub fn item_size(key: &Key, item: &Item) -> usize {
    let keys = PK.len() + key.pk.len() + SK.len() + key.sk.len();
    item.iter()
        .filter(|(name, _)| name.as_str() != PK && name.as_str() != SK)
        .fold(keys, |total, (name, value)| {
            total
                .saturating_add(name.len())
                .saturating_add(value_size(value))
        })
}

/// The size in bytes DynamoDB counts for one attribute value, without the attribute's
/// name. Strings count their UTF-8 bytes, numbers [`number_size`], booleans and null one
/// byte, lists and maps three bytes plus one byte and the size of each element (a map's
/// element includes its key).
pub fn value_size(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) => 1,
        Value::Number(number) => number_size(number),
        Value::String(text) => text.len(),
        Value::Array(values) => values.iter().fold(CONTAINER_OVERHEAD, |total, value| {
            total
                .saturating_add(ELEMENT_OVERHEAD)
                .saturating_add(value_size(value))
        }),
        Value::Object(entries) => {
            entries
                .iter()
                .fold(CONTAINER_OVERHEAD, |total, (name, value)| {
                    total
                        .saturating_add(ELEMENT_OVERHEAD)
                        .saturating_add(name.len())
                        .saturating_add(value_size(value))
                })
        }
    }
}

/// The size in bytes DynamoDB counts for a number: one byte per two significant digits
/// (rounded up), plus one byte. Significant digits are those of the decimal text
/// `serde_json` prints, ignoring the sign, the decimal point and any exponent, with
/// leading and trailing zeros trimmed; zero has none and counts one byte.
pub fn number_size(number: &Number) -> usize {
    significant_digits(&number.to_string()).div_ceil(2) + 1
}

/// The significant digits of a number's decimal text (`-0.0120e5` has two).
fn significant_digits(text: &str) -> usize {
    let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
    let mut first_nonzero = None;
    let mut last_nonzero = 0;
    for (index, digit) in mantissa.bytes().filter(u8::is_ascii_digit).enumerate() {
        if digit != b'0' {
            first_nonzero.get_or_insert(index);
            last_nonzero = index;
        }
    }
    first_nonzero.map_or(0, |first| last_nonzero - first + 1)
}

/// `bytes` in units of `unit_bytes`, rounded up, at least one.
fn units(bytes: usize, unit_bytes: usize) -> u64 {
    u64::try_from(bytes.div_ceil(unit_bytes).max(1)).unwrap_or(u64::MAX)
}

/// The read units a strongly consistent `GetItem` of an item of `size` bytes consumes:
/// the size rounded up to 4 KB, at least one unit. A `GetItem` of a missing item costs
/// `read_units(0)`, one unit.
pub fn read_units(size: usize) -> u64 {
    units(size, READ_UNIT_BYTES)
}

/// The read units a strongly consistent `BatchGetItem` consumes: each requested item is
/// rounded up to 4 KB on its own and the units are summed. `None` is a key whose item
/// does not exist, which costs one unit like a `GetItem` of a missing item.
pub fn batch_read_units(sizes: impl IntoIterator<Item = Option<usize>>) -> u64 {
    sizes.into_iter().fold(0, |total: u64, size| {
        total.saturating_add(read_units(size.unwrap_or(0)))
    })
}

/// The read units a strongly consistent `Query` consumes for the items it returned: their
/// sizes summed, then rounded up once to 4 KB. A query that returns nothing costs the
/// minimum, one unit.
pub fn query_read_units(sizes: impl IntoIterator<Item = usize>) -> u64 {
    let total = sizes.into_iter().fold(0, usize::saturating_add);
    units(total, READ_UNIT_BYTES)
}

/// The write units a `PutItem`, `UpdateItem` or `DeleteItem` consumes, given the item's
/// size before the write (`None`: absent) and after it (`None`: deleted, or unchanged
/// for a failed condition): the larger size rounded up to 1 KB, at least one unit.
pub fn write_units(before: Option<usize>, after: Option<usize>) -> u64 {
    let larger = before.unwrap_or(0).max(after.unwrap_or(0));
    units(larger, WRITE_UNIT_BYTES)
}

/// The write units a `TransactWriteItems` consumes: [`TRANSACTION_FACTOR`] times the
/// [`write_units`] of each action, summed. Each action is its item's size before and
/// after; pass a `ConditionCheck` as the checked item's size both before and after.
pub fn transact_write_units(
    actions: impl IntoIterator<Item = (Option<usize>, Option<usize>)>,
) -> u64 {
    actions.into_iter().fold(0, |total: u64, (before, after)| {
        total.saturating_add(TRANSACTION_FACTOR.saturating_mul(write_units(before, after)))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn number(value: Value) -> usize {
        match value {
            Value::Number(number) => number_size(&number),
            other => panic!("not a number: {other}"),
        }
    }

    #[test]
    fn strings_count_utf8_bytes() {
        assert_eq!(value_size(&json!("")), 0);
        assert_eq!(value_size(&json!("abc")), 3);
        assert_eq!(value_size(&json!("é")), 2);
        assert_eq!(value_size(&json!("日本")), 6);
    }

    #[test]
    fn numbers_count_half_a_byte_per_significant_digit_plus_one() {
        assert_eq!(number(json!(0)), 1);
        assert_eq!(number(json!(0.0)), 1);
        assert_eq!(number(json!(7)), 2);
        assert_eq!(number(json!(-7)), 2);
        assert_eq!(number(json!(100)), 2);
        assert_eq!(number(json!(12)), 2);
        assert_eq!(number(json!(123)), 3);
        assert_eq!(number(json!(12345)), 4);
        assert_eq!(number(json!(-1.5)), 2);
        assert_eq!(number(json!(1.25)), 3);
        assert_eq!(number(json!(0.001)), 2);
        assert_eq!(number(json!(1e20)), 2);
        assert_eq!(number(json!(1.5e-7)), 2);
        assert_eq!(number(json!(100.5)), 3);
        // 20 significant digits.
        assert_eq!(number(json!(u64::MAX)), 11);
        assert_eq!(value_size(&json!(12345)), 4);
    }

    #[test]
    fn significant_digits_trim_sign_point_zeros_and_exponent() {
        assert_eq!(significant_digits("-0.0120e5"), 2);
        assert_eq!(significant_digits("1000"), 1);
        assert_eq!(significant_digits("1001"), 4);
        assert_eq!(significant_digits("0"), 0);
        assert_eq!(significant_digits("-0.0"), 0);
        assert_eq!(significant_digits("3.14159E+2"), 6);
    }

    #[test]
    fn booleans_and_null_count_one_byte() {
        assert_eq!(value_size(&json!(true)), 1);
        assert_eq!(value_size(&json!(false)), 1);
        assert_eq!(value_size(&Value::Null), 1);
    }

    #[test]
    fn lists_and_maps_count_overhead_elements_and_keys() {
        assert_eq!(value_size(&json!([])), 3);
        assert_eq!(value_size(&json!({})), 3);
        // 3 + (1 + 2) + (1 + 2)
        assert_eq!(value_size(&json!([1, "ab"])), 9);
        // 3 + (1 + "a" + 1) + (1 + "bc" + 1)
        assert_eq!(value_size(&json!({"a": true, "bc": null})), 10);
        // [null] = 3 + 1 + 1 = 5; {"x": [null]} = 3 + 1 + 1 + 5 = 10;
        // outer = 3 + 1 + 1 + 10 = 15
        assert_eq!(value_size(&json!({"m": {"x": [null]}})), 15);
        // [[], {}] = 3 + (1 + 3) + (1 + 3)
        assert_eq!(value_size(&json!([[], {}])), 11);
    }

    #[test]
    fn item_size_counts_key_attributes_names_and_values() {
        let key = Key::new("objects", "obj-1", "#");
        let Value::Object(item) = json!({"_v": 3, "name": "Ada", "_inv": {}}) else {
            panic!("not an object");
        };
        // "pk" + "obj-1" = 7, "sk" + "#" = 3,
        // "_v" + 3 = 2 + 2, "name" + "Ada" = 4 + 3, "_inv" + {} = 4 + 3
        assert_eq!(item_size(&key, &item), 28);
        // The table name does not count.
        assert_eq!(item_size(&Key::new("t", "obj-1", "#"), &item), 28);
        // An empty item is its key.
        assert_eq!(item_size(&key, &Item::new()), 10);
        // Multi-byte key values count their UTF-8 bytes.
        assert_eq!(item_size(&Key::new("t", "é", "#"), &Item::new()), 7);
    }

    #[test]
    fn item_size_ignores_key_attributes_inside_the_item() {
        let key = Key::new("t", "a", "b");
        let Value::Object(item) = json!({"pk": "zzzzzz", "sk": "zzzzzz"}) else {
            panic!("not an object");
        };
        assert_eq!(item_size(&key, &item), 6);
    }

    #[test]
    fn read_units_round_up_to_4_kb_with_a_minimum_of_one() {
        assert_eq!(READ_UNIT_BYTES, 4096);
        assert_eq!(read_units(0), 1);
        assert_eq!(read_units(1), 1);
        assert_eq!(read_units(3500), 1);
        assert_eq!(read_units(4096), 1);
        assert_eq!(read_units(4097), 2);
        assert_eq!(read_units(8192), 2);
        assert_eq!(read_units(8193), 3);
        assert_eq!(read_units(10 * 1024), 3);
    }

    #[test]
    fn batch_reads_round_each_item_and_charge_missing_items() {
        assert_eq!(batch_read_units([]), 0);
        // 1.5 KB + 6.5 KB count as 4 KB + 8 KB.
        assert_eq!(batch_read_units([Some(1536), Some(6656)]), 3);
        assert_eq!(batch_read_units([Some(1500), Some(1500), Some(1500)]), 3);
        assert_eq!(batch_read_units([Some(100), None]), 2);
    }

    #[test]
    fn queries_sum_then_round_once_with_a_minimum_of_one() {
        assert_eq!(query_read_units([]), 1);
        assert_eq!(query_read_units([1500, 1500, 1500]), 2);
        assert_eq!(query_read_units([4096]), 1);
        assert_eq!(query_read_units([4096, 1]), 2);
        // 1500 items of 64 bytes are 96 KB.
        assert_eq!(query_read_units(std::iter::repeat_n(64, 1500)), 24);
    }

    #[test]
    fn write_units_round_the_larger_size_up_to_1_kb_with_a_minimum_of_one() {
        assert_eq!(WRITE_UNIT_BYTES, 1024);
        assert_eq!(write_units(None, None), 1);
        assert_eq!(write_units(None, Some(0)), 1);
        assert_eq!(write_units(None, Some(500)), 1);
        assert_eq!(write_units(None, Some(1024)), 1);
        assert_eq!(write_units(None, Some(1025)), 2);
        assert_eq!(write_units(Some(1025), None), 2);
        assert_eq!(write_units(Some(100), Some(3000)), 3);
        assert_eq!(write_units(Some(3000), Some(100)), 3);
        assert_eq!(write_units(Some(2048), Some(2049)), 3);
    }

    #[test]
    fn transactions_charge_every_action_twice() {
        assert_eq!(TRANSACTION_FACTOR, 2);
        assert_eq!(transact_write_units([]), 0);
        // A new 500-byte item, a condition check of a 500-byte item, a 1.5 KB delete.
        assert_eq!(
            transact_write_units([
                (None, Some(500)),
                (Some(500), Some(500)),
                (Some(1536), None)
            ]),
            8
        );
        // Three 500-byte puts need six units.
        assert_eq!(transact_write_units([(None, Some(500)); 3]), 6);
    }
}
