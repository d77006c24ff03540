//! Hostile requests: the hotel's own requests, mutated — values replaced with values of
//! other kinds, keys dropped or added, envelopes broken, ids emptied or made huge — and
//! bytes that happen to parse as JSON. Every choice comes from a [`Choices`], so the same
//! generator serves a seeded property test and a coverage-guided fuzzer.

use nubes_runtime::{Call, InvocationId, Request};
use serde_json::{json, Value};

use crate::dataset::Dataset;
use crate::requests;

/// Where a generator's choices come from.
pub trait Choices {
    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize;

    /// Any 64-bit number.
    fn any(&mut self) -> u64;

    /// A coin toss.
    fn coin(&mut self) -> bool {
        self.below(2) == 1
    }

    /// One of `items` (which must not be empty).
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len()).min(items.len() - 1)]
    }
}

impl Choices for fastrand::Rng {
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.usize(..n)
        }
    }

    fn any(&mut self) -> u64 {
        self.u64(..)
    }
}

/// Choices read from bytes, as a fuzzer hands them over; zeros once they run out.
#[derive(Debug)]
pub struct ByteChoices<'a> {
    bytes: &'a [u8],
}

impl<'a> ByteChoices<'a> {
    /// Choices from `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        ByteChoices { bytes }
    }

    fn take(&mut self, count: usize) -> u64 {
        let (taken, rest) = self.bytes.split_at(count.min(self.bytes.len()));
        self.bytes = rest;
        taken
            .iter()
            .fold(0, |total, byte| (total << 8) | u64::from(*byte))
    }
}

impl Choices for ByteChoices<'_> {
    fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let bytes = if n <= 256 { 1 } else { 4 };
        (self.take(bytes) % n as u64) as usize
    }

    fn any(&mut self) -> u64 {
        self.take(8)
    }
}

/// A well-formed request of the hotel: one of the nine tasks or a member every object
/// has, on the dataset's objects.
pub fn valid_request(choices: &mut impl Choices, data: &Dataset) -> Request {
    let id = InvocationId::new();
    let user = choices.pick(&data.users).clone();
    let rooms: Vec<&String> = data.all_rooms().collect();
    let room = choices.pick(&rooms).to_string();
    let hotels: Vec<&String> = data.all_hotels().collect();
    let hotel = choices.pick(&hotels).to_string();
    let city = choices.pick(&data.cities).clone();
    let mut day = || format!("2027-04-{:02}", 1 + choices.below(28));
    let (check_in, check_out) = (day(), day());
    let count = choices.below(4) as i64;
    let call = |call: Call, type_name: &str, object: &str| Request {
        id: id.clone(),
        type_name: type_name.into(),
        object: object.into(),
        call,
    };
    match choices.below(14) {
        0 => {
            let email = format!("u{}@example.com", choices.below(256));
            requests::register(&id, &email, ("A", "B"), "pw")
        }
        1 => requests::delete_user(&id, &user),
        2 => requests::set_rate(&id, &hotel, choices.below(50) as f64 / 10.0),
        3 => requests::reserve(&id, &room, &user, &check_in, &check_out),
        4 => requests::recommend_by_location(&id, &city, (38.7, -9.1), count),
        5 => requests::recommend_by_rate(&id, &city, count),
        6 => requests::login(&id, &user, "ana-secret"),
        7 => requests::get_hotels(&id, &city),
        8 => requests::get_user_reservations(&id, &user),
        9 => call(
            Call::AddTo {
                field: "reservations".into(),
                ids: vec![data.reservation.clone()],
            },
            "User",
            &user,
        ),
        10 => call(
            Call::RemoveFrom {
                field: "guests".into(),
                ids: vec![user.clone()],
            },
            "Reservation",
            &data.reservation,
        ),
        11 => call(Call::Get, "Room", &room),
        12 => call(
            Call::Set {
                field: "price".into(),
                value: json!(1 + choices.below(20_000)),
            },
            "Room",
            &room,
        ),
        _ => call(
            Call::CollectionIds {
                field: "rooms".into(),
            },
            "Hotel",
            &hotel,
        ),
    }
}

/// A value of any JSON kind, often awkward: empty, long, nested, not text, not a date.
pub fn random_value(choices: &mut impl Choices, depth: u32) -> Value {
    match choices.below(12) {
        0 => Value::Null,
        1 => json!(choices.coin()),
        2 => json!(choices.any() as i64),
        3 => serde_json::Number::from_f64(f64::from_bits(choices.any()))
            .map_or(json!(1e300), Value::Number),
        4 => json!(""),
        5 => json!("x".repeat(1 + choices.below(2_000))),
        6 => json!("\u{0}\u{7f}é☃\u{10ffff}"),
        7 => json!(u64::MAX),
        8 if depth < 6 => Value::Array(
            (0..choices.below(4))
                .map(|_| random_value(choices, depth + 1))
                .collect(),
        ),
        9 if depth < 6 => Value::Object(
            (0..choices.below(4))
                .map(|n| (format!("k{n}"), random_value(choices, depth + 1)))
                .collect(),
        ),
        10 => json!("2027-02-30"),
        _ => json!(format!("id-{}", choices.below(1 << 16))),
    }
}

/// Every path to a value inside `value`, the root first.
fn paths(value: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    let children: Vec<(String, &Value)> = match value {
        Value::Object(fields) => fields.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(n, v)| (n.to_string(), v))
            .collect(),
        _ => Vec::new(),
    };
    for (key, child) in children {
        at.push(key);
        paths(child, at, out);
        at.pop();
    }
}

fn at_path<'v>(value: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |value, key| match value {
        Value::Object(fields) => fields.get_mut(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|n| items.get_mut(n)),
        _ => None,
    })
}

/// `payload` with one to three changes.
pub fn mutate(choices: &mut impl Choices, mut payload: Value) -> Value {
    for _ in 0..1 + choices.below(3) {
        let mut all = Vec::new();
        paths(&payload, &mut Vec::new(), &mut all);
        let path = choices.pick(&all).clone();
        match choices.below(6) {
            0 => {
                let value = random_value(choices, 0);
                if let Some(slot) = at_path(&mut payload, &path) {
                    *slot = value;
                }
            }
            1 => {
                if let Some((last, parent)) = path.split_last() {
                    if let Some(Value::Object(fields)) = at_path(&mut payload, parent) {
                        fields.remove(last);
                    }
                }
            }
            2 => {
                let (key, value) = (
                    format!("extra{}", choices.below(4)),
                    random_value(choices, 0),
                );
                if let Some(Value::Object(fields)) = at_path(&mut payload, &path) {
                    fields.insert(key, value);
                }
            }
            3 => {
                let key = *choices.pick(&["id", "type", "object", "op", "method", "field"]);
                let value = random_value(choices, 0);
                if let Value::Object(fields) = &mut payload {
                    fields.insert(key.into(), value);
                }
            }
            4 => {
                let key = *choices.pick(&["id", "object"]);
                let long = "é".repeat(700);
                let text = choices.pick(&["", "\u{1}", long.as_str()]).to_string();
                if let Value::Object(fields) = &mut payload {
                    fields.insert(key.into(), json!(text));
                }
            }
            _ => {
                let name = *choices.pick(&["Nope", "", "user", "_outbox", "City\u{0}"]);
                if let Value::Object(fields) = &mut payload {
                    fields.insert("type".into(), json!(name));
                }
            }
        }
    }
    payload
}

/// Bytes that may parse as JSON: a request's JSON with bytes changed, or bytes of any
/// kind; `None` when they do not parse.
pub fn random_json(choices: &mut impl Choices, base: &Value) -> Option<Value> {
    let mut bytes: Vec<u8> = if choices.coin() {
        base.to_string().into_bytes()
    } else {
        (0..choices.below(64))
            .map(|_| choices.below(256) as u8)
            .collect()
    };
    for _ in 0..1 + choices.below(3) {
        if !bytes.is_empty() {
            let at = choices.below(bytes.len());
            bytes[at] = *choices.pick(b"{}[]\":,0n1e-\\ ");
        }
    }
    serde_json::from_slice(&bytes).ok()
}

/// One hostile payload and what kind it is: `valid`, `bytes` or `mutated`.
pub fn payload(choices: &mut impl Choices, data: &Dataset) -> (&'static str, Value) {
    let valid = valid_request(choices, data);
    let base = serde_json::to_value(&valid).unwrap_or_default();
    match choices.below(10) {
        0 => ("valid", base),
        1 => ("bytes", random_json(choices, &base).unwrap_or_default()),
        _ => ("mutated", mutate(choices, base)),
    }
}
