//! The hotel application's requests as its generated client sends them: one function per
//! call the suites make, each a [`Request`] for [`nubes_runtime::Runtime::handle`].

use nubes_runtime::{Call, InvocationId, Item, Request};
use serde_json::{json, Value};

fn request(id: &InvocationId, type_name: &str, object: &str, call: Call) -> Request {
    Request {
        id: id.clone(),
        type_name: type_name.into(),
        object: object.into(),
        call,
    }
}

fn method(id: &InvocationId, type_name: &str, object: &str, name: &str, args: Value) -> Request {
    let call = Call::Method {
        method: name.into(),
        args,
    };
    request(id, type_name, object, call)
}

fn create(id: &InvocationId, type_name: &str, object: &str, fields: Value) -> Request {
    let fields: Item = match fields {
        Value::Object(fields) => fields,
        _ => Item::new(),
    };
    request(id, type_name, object, Call::Create { fields })
}

/// User registration: creates the `User` `email`.
pub fn register(id: &InvocationId, email: &str, name: (&str, &str), password: &str) -> Request {
    let fields = json!({ "firstName": name.0, "lastName": name.1, "password": password });
    create(id, "User", email, fields)
}

/// Delete user: the user and its side of every reservation it is a guest on.
pub fn delete_user(id: &InvocationId, email: &str) -> Request {
    delete(id, "User", email)
}

/// Set hotel rate: the generated setter of `Hotel.rate`.
pub fn set_rate(id: &InvocationId, hotel: &str, rate: f64) -> Request {
    let call = Call::Set {
        field: "rate".into(),
        value: json!(rate),
    };
    request(id, "Hotel", hotel, call)
}

/// Reserve: `Room.reserve(guest, checkIn, checkOut)`.
pub fn reserve(
    id: &InvocationId,
    room: &str,
    guest: &str,
    check_in: &str,
    check_out: &str,
) -> Request {
    let args = json!({ "guest": guest, "checkIn": check_in, "checkOut": check_out });
    method(id, "Room", room, "reserve", args)
}

/// Recommend by location: `City.recommendByLocation(point, count)`.
pub fn recommend_by_location(
    id: &InvocationId,
    city: &str,
    (lat, lon): (f64, f64),
    count: i64,
) -> Request {
    let args = json!({ "point": { "lat": lat, "lon": lon }, "count": count });
    method(id, "City", city, "recommendByLocation", args)
}

/// Recommend by rate: `City.recommendByRate(count)`.
pub fn recommend_by_rate(id: &InvocationId, city: &str, count: i64) -> Request {
    method(
        id,
        "City",
        city,
        "recommendByRate",
        json!({ "count": count }),
    )
}

/// Login: `User.login(password)`.
pub fn login(id: &InvocationId, email: &str, password: &str) -> Request {
    method(id, "User", email, "login", json!({ "password": password }))
}

/// Get hotels: the hotels of a city.
pub fn get_hotels(id: &InvocationId, city: &str) -> Request {
    let call = Call::Collection {
        field: "hotels".into(),
    };
    request(id, "City", city, call)
}

/// Get user reservations: the reservations a user is a guest on.
pub fn get_user_reservations(id: &InvocationId, email: &str) -> Request {
    let call = Call::Collection {
        field: "reservations".into(),
    };
    request(id, "User", email, call)
}

/// Creates the `City` `name`.
pub fn create_city(id: &InvocationId, name: &str, country: &str) -> Request {
    create(id, "City", name, json!({ "country": country }))
}

/// Creates the `Hotel` `hotel` in `city`.
pub fn create_hotel(
    id: &InvocationId,
    hotel: &str,
    name: &str,
    rate: f64,
    (lat, lon): (f64, f64),
    city: &str,
) -> Request {
    let fields = json!({
        "name": name,
        "rate": rate,
        "location": { "lat": lat, "lon": lon },
        "city": city,
    });
    create(id, "Hotel", hotel, fields)
}

/// Creates the `Room` `room` of `hotel`.
pub fn create_room(id: &InvocationId, room: &str, number: i64, price: i64, hotel: &str) -> Request {
    let fields = json!({ "number": number, "price": price, "hotel": hotel });
    create(id, "Room", room, fields)
}

/// Deletes an object with its relationship edges.
pub fn delete(id: &InvocationId, type_name: &str, object: &str) -> Request {
    request(id, type_name, object, Call::Delete)
}
