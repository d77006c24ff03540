//! The invariants of the hotel, checked on the stored state after a history, each on its
//! own so that a failure says which one broke: no room double-booked, both sides of every
//! relationship agree, every successful reservation exists exactly once and every
//! refused one not at all, and nothing acknowledged is lost. `createdAt` is checked
//! against the time of the call that made the reservation.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::check::{History, Report};
use super::model::{reservation_fields, stays_overlap};
use super::task::{Record, Task};
use super::view::{normalize_map, ObjKey, View};

/// Checks every invariant; `committed` are the calls that committed, in commit order.
pub fn check(history: &History<'_>, committed: &[&Record], report: &mut Report) {
    let stored = history.stored;
    no_double_booking(stored, report);
    one_to_many_agree(stored, report);
    many_to_many_agree(stored, report);
    reservations_made_once(history, committed, report);
    nothing_acknowledged_lost(stored, committed, report);
    created_when_reserved(history, report);
}

/// The text field `name` of the stored object `type_name` `id`.
fn text<'a>(view: &'a View, type_name: &str, id: &str, name: &str) -> Option<&'a str> {
    view.get(&ObjKey::new(type_name, id))?.text(name)
}

/// No two reservations of a room share a night.
fn no_double_booking(stored: &View, report: &mut Report) {
    for (room, object) in stored.iter().filter(|(key, _)| key.type_name == "Room") {
        let stays: Vec<(&String, &str, &str)> = object
            .collection("reservations")
            .iter()
            .filter_map(|id| {
                let check_in = text(stored, "Reservation", id, "checkIn")?;
                Some((id, check_in, text(stored, "Reservation", id, "checkOut")?))
            })
            .collect();
        for (at, a) in stays.iter().enumerate() {
            for b in &stays[at + 1..] {
                if stays_overlap((a.1, a.2), (b.1, b.2)) {
                    report.violation(format!(
                        "{room} is double-booked: reservations {} ({} to {}) and {} ({} to {})",
                        a.0, a.1, a.2, b.0, b.1, b.2
                    ));
                }
            }
        }
    }
}

/// Each child's reference back and its parent's collection agree, both ways.
fn one_to_many_agree(stored: &View, report: &mut Report) {
    let lists = [
        ("Hotel", "city", "City", "hotels"),
        ("Room", "hotel", "Hotel", "rooms"),
        ("Reservation", "room", "Room", "reservations"),
    ];
    for (child_type, back, parent_type, list) in lists {
        for (child, object) in stored.iter().filter(|(key, _)| key.type_name == child_type) {
            let parent = object.text(back).unwrap_or("");
            let listed = stored.get(&ObjKey::new(parent_type, parent)).map(|parent| {
                parent
                    .collection(list)
                    .iter()
                    .filter(|id| **id == child.id)
                    .count()
            });
            if listed != Some(1) {
                report.violation(format!(
                    "{child} names {parent_type} `{parent}` in `{back}`, whose `{list}` lists it {listed:?} times"
                ));
            }
        }
        for (parent, object) in stored
            .iter()
            .filter(|(key, _)| key.type_name == parent_type)
        {
            for child in object.collection(list) {
                let back_to = text(stored, child_type, child, back);
                if back_to != Some(&parent.id) {
                    report.violation(format!(
                        "{parent} lists {child_type} `{child}` in `{list}`, whose `{back}` is {back_to:?}"
                    ));
                }
            }
        }
    }
}

/// Reservation guests and user reservations agree, both ways.
fn many_to_many_agree(stored: &View, report: &mut Report) {
    let sides = [
        ("Reservation", "guests", "User", "reservations"),
        ("User", "reservations", "Reservation", "guests"),
    ];
    for (this_type, list, other_type, inverse) in sides {
        for (this, object) in stored.iter().filter(|(key, _)| key.type_name == this_type) {
            for other in object.collection(list) {
                let back = stored.get(&ObjKey::new(other_type, other));
                let listed = back.map(|o| {
                    o.collection(inverse)
                        .iter()
                        .filter(|id| **id == this.id)
                        .count()
                });
                if listed != Some(1) {
                    report.violation(format!(
                        "{this} lists {other_type} `{other}` in `{list}`, whose `{inverse}` lists it back {listed:?} times"
                    ));
                }
            }
        }
    }
}

/// Every successful reserve's reservation exists exactly once, in its room, as asked —
/// unless a committed cancellation removed it since; no other reservation exists.
fn reservations_made_once(history: &History<'_>, committed: &[&Record], report: &mut Report) {
    let stored = history.stored;
    let cancelled: BTreeSet<&str> = committed
        .iter()
        .filter_map(|record| match (&record.task, &record.answer) {
            (Task::CancelReservation { reservation }, Ok(_)) => Some(reservation.as_str()),
            _ => None,
        })
        .collect();
    let mut made: BTreeMap<&str, &Record> = BTreeMap::new();
    for record in history.records {
        let (Task::Reserve { room, .. }, Ok(Value::String(id))) = (&record.task, &record.answer)
        else {
            continue;
        };
        if let Some(earlier) = made.insert(id, record) {
            report.violation(format!(
                "reservation {id} was answered to two calls: {} and {}",
                earlier.id, record.id
            ));
        }
        let rooms: Vec<&ObjKey> = stored
            .iter()
            .filter(|(key, object)| {
                key.type_name == "Room" && object.collection("reservations").contains(id)
            })
            .map(|(key, _)| key)
            .collect();
        let exists = stored.contains_key(&ObjKey::new("Reservation", id));
        if cancelled.contains(id.as_str()) {
            if exists || !rooms.is_empty() {
                report.violation(format!("reservation {id} was cancelled but is still there"));
            }
            continue;
        }
        let as_asked = stored
            .get(&ObjKey::new("Reservation", id))
            .is_some_and(|object| object.fields == reservation_fields(&record.task, id));
        if !as_asked || rooms.len() != 1 || rooms[0].id != *room {
            report.violation(format!(
                "reservation {id} ({} {:?}) is {} and listed by the rooms {rooms:?}",
                record.id,
                record.task,
                if as_asked {
                    "as asked"
                } else {
                    "missing or not as asked"
                },
            ));
        }
    }
    let initial: BTreeSet<&ObjKey> = history.initial.keys().collect();
    for (key, _) in stored
        .iter()
        .filter(|(key, _)| key.type_name == "Reservation")
    {
        if !made.contains_key(key.id.as_str()) && !initial.contains(key) {
            report.violation(format!(
                "{key} exists, but no reserve was answered with it (a refused reserve made it?)"
            ));
        }
    }
}

/// What the last acknowledged change of an object says of it.
enum Last {
    /// It exists, with at least these fields.
    Present(Map<String, Value>),
    /// It does not exist.
    Absent,
}

/// For every object, its last acknowledged (answered `Ok`) change in commit order must
/// show in the stored state: what was created or set is there, what was deleted is not.
fn nothing_acknowledged_lost(stored: &View, committed: &[&Record], report: &mut Report) {
    let mut last: BTreeMap<ObjKey, (&Record, Last)> = BTreeMap::new();
    for record in committed.iter().filter(|record| record.answer.is_ok()) {
        let Some((key, change)) = effect(&record.task, &record.answer) else {
            continue;
        };
        let change = match (change, last.remove(&key)) {
            // A set rate keeps the fields the hotel was created with.
            (Last::Present(rate), Some((_, Last::Present(mut fields))))
                if matches!(record.task, Task::SetRate { .. }) =>
            {
                fields.extend(rate);
                Last::Present(fields)
            }
            (change, _) => change,
        };
        last.insert(key, (record, change));
    }
    for (key, (record, change)) in &last {
        let found = stored.get(key);
        let kept = match (change, found) {
            (Last::Absent, found) => found.is_none(),
            (Last::Present(fields), Some(object)) => fields
                .iter()
                .all(|(name, value)| object.fields.get(name) == Some(value)),
            (Last::Present(_), None) => false,
        };
        if !kept {
            report.violation(format!(
                "{key}: the acknowledged {} {:?} ({}) is lost: the store holds {found:?}",
                record.task.name(),
                record.task,
                record.id
            ));
        }
    }
}

/// The object an acknowledged call changed and what it made of it.
fn effect(task: &Task, answer: &Result<Value, nubes_runtime::Error>) -> Option<(ObjKey, Last)> {
    let present = |type_name: &str, id: &str, fields: Value| {
        let fields = fields.as_object().map(normalize_map).unwrap_or_default();
        Some((ObjKey::new(type_name, id), Last::Present(fields)))
    };
    let absent = |type_name: &str, id: &str| Some((ObjKey::new(type_name, id), Last::Absent));
    match task {
        Task::Register {
            email, password, ..
        } => present("User", email, json!({ "password": password })),
        Task::SetRate { hotel, rate } => present("Hotel", hotel, json!({ "rate": rate })),
        Task::Reserve { .. } => {
            let id = answer.as_ref().ok()?.as_str()?;
            present(
                "Reservation",
                id,
                Value::Object(reservation_fields(task, id)),
            )
        }
        Task::CreateCity { city, country } => present("City", city, json!({ "country": country })),
        Task::CreateHotel {
            hotel, rate, city, ..
        } => present("Hotel", hotel, json!({ "rate": rate, "city": city })),
        Task::CreateRoom { room, hotel, .. } => present("Room", room, json!({ "hotel": hotel })),
        Task::DeleteUser { email } => absent("User", email),
        Task::DeleteCity { city } => absent("City", city),
        Task::DeleteHotel { hotel } => absent("Hotel", hotel),
        Task::DeleteRoom { room } => absent("Room", room),
        Task::CancelReservation { reservation } => absent("Reservation", reservation),
        Task::RecommendByLocation { .. }
        | Task::RecommendByRate { .. }
        | Task::Login { .. }
        | Task::GetHotels { .. }
        | Task::GetUserReservations { .. } => None,
    }
}

/// Every reservation a call made was stamped `createdAt` while that call ran.
fn created_when_reserved(history: &History<'_>, report: &mut Report) {
    for record in history.records {
        let (Task::Reserve { .. }, Ok(Value::String(id))) = (&record.task, &record.answer) else {
            continue;
        };
        let Some(created) = history.created_at.get(id) else {
            continue;
        };
        let seconds = unix_seconds(created);
        let window = record.sent_ms / 1000..=record.answered_ms.div_ceil(1000);
        if !seconds.is_some_and(|at| window.contains(&at)) {
            report.violation(format!(
                "reservation {id} was made by {} between {}s and {}s since the epoch, but says it was created at `{created}`",
                record.id,
                window.start(),
                window.end()
            ));
        }
    }
}

/// An RFC 3339 instant as whole seconds since the Unix epoch (rounded down).
fn unix_seconds(text: &str) -> Option<u64> {
    let instant: nubes_runtime::jiff::Timestamp = text.parse().ok()?;
    u64::try_from(instant.as_second()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::view::ObjectView;
    use nubes_runtime::InvocationId;

    fn record(task: Task, answer: Result<Value, nubes_runtime::Error>) -> Record {
        Record {
            id: InvocationId::new(),
            task,
            answer,
            retries: 0,
            sent_at: 0,
            answered_at: 1,
            sent_ms: 0,
            answered_ms: 0,
            duplicates: Vec::new(),
        }
    }

    fn object(fields: Value, collection: (&str, &[&str])) -> ObjectView {
        let (name, ids) = collection;
        ObjectView {
            fields: fields.as_object().map(normalize_map).unwrap_or_default(),
            collections: BTreeMap::from([(
                name.to_string(),
                ids.iter().map(|id| id.to_string()).collect(),
            )]),
        }
    }

    fn reservation(id: &str, stay: (&str, &str), guests: &[&str]) -> (ObjKey, ObjectView) {
        let fields = json!({ "id": id, "room": "r", "checkIn": stay.0, "checkOut": stay.1 });
        (
            ObjKey::new("Reservation", id),
            object(fields, ("guests", guests)),
        )
    }

    fn reserve(stay: (&str, &str), id: &str) -> Record {
        let task = Task::Reserve {
            room: "r".into(),
            guest: "u".into(),
            check_in: stay.0.into(),
            check_out: stay.1.into(),
        };
        record(task, Ok(json!(id)))
    }

    /// The violations `check` finds in `stored` after `records`, all committed.
    fn violations(stored: View, records: &[Record]) -> Vec<String> {
        let (initial, created_at) = (View::new(), BTreeMap::new());
        let history = History {
            initial: &initial,
            records,
            commits: &[],
            late: &[],
            stored: &stored,
            created_at: &created_at,
        };
        let mut report = Report::default();
        check(&history, &records.iter().collect::<Vec<_>>(), &mut report);
        report.described
    }

    /// A room `r` holding reservations `a` and `b` for `stays`, both guests' of `u`.
    fn booked(stays: [(&str, &str); 2], guests: [&[&str]; 2]) -> View {
        let city = object(json!({ "name": "c" }), ("hotels", &["h"]));
        let hotel = object(json!({ "id": "h", "city": "c" }), ("rooms", &["r"]));
        let room = object(
            json!({ "id": "r", "hotel": "h" }),
            ("reservations", &["a", "b"]),
        );
        let user = object(json!({ "email": "u" }), ("reservations", &["a", "b"]));
        View::from([
            (ObjKey::new("City", "c"), city),
            (ObjKey::new("Hotel", "h"), hotel),
            (ObjKey::new("Room", "r"), room),
            (ObjKey::new("User", "u"), user),
            reservation("a", stays[0], guests[0]),
            reservation("b", stays[1], guests[1]),
        ])
    }

    #[test]
    fn a_consistent_state_passes() {
        let stays = [("2027-03-01", "2027-03-03"), ("2027-03-03", "2027-03-05")];
        let records = [reserve(stays[0], "a"), reserve(stays[1], "b")];
        assert_eq!(
            violations(booked(stays, [&["u"], &["u"]]), &records),
            Vec::<String>::new()
        );
    }

    #[test]
    fn each_invariant_can_fail() {
        let overlapping = [("2027-03-01", "2027-03-04"), ("2027-03-03", "2027-03-05")];
        let records = [reserve(overlapping[0], "a"), reserve(overlapping[1], "b")];
        let found = violations(booked(overlapping, [&["u"], &["u"]]), &records);
        assert!(
            found.iter().any(|v| v.contains("double-booked")),
            "{found:?}"
        );

        let stays = [("2027-03-01", "2027-03-03"), ("2027-03-03", "2027-03-05")];
        let records = [reserve(stays[0], "a"), reserve(stays[1], "b")];
        let found = violations(booked(stays, [&["u"], &[]]), &records);
        assert!(
            found.iter().any(|v| v.contains("lists it back")),
            "{found:?}"
        );

        let found = violations(booked(stays, [&["u"], &["u"]]), &records[..1]);
        assert!(
            found.iter().any(|v| v.contains("no reserve was answered")),
            "{found:?}"
        );

        let cancel = Task::CancelReservation {
            reservation: "b".into(),
        };
        let records = [
            records[0].clone(),
            records[1].clone(),
            record(cancel, Ok(Value::Null)),
        ];
        let found = violations(booked(stays, [&["u"], &["u"]]), &records);
        assert!(
            found
                .iter()
                .any(|v| v.contains("cancelled but is still there")),
            "{found:?}"
        );

        let register = Task::Register {
            email: "v".into(),
            first: "v".into(),
            last: "v".into(),
            password: "p".into(),
        };
        let found = violations(View::new(), &[record(register, Ok(Value::Null))]);
        assert!(found.iter().any(|v| v.contains("is lost")), "{found:?}");
    }

    #[test]
    fn instants_are_read_as_seconds() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_seconds("2000-03-01T00:00:01Z"), Some(951_868_801));
        assert_eq!(unix_seconds("2026-12-02T11:41:47Z"), Some(1_796_211_707));
        assert_eq!(
            unix_seconds("2026-12-02T11:41:47.999Z"),
            Some(1_796_211_707)
        );
        assert_eq!(unix_seconds("2026-12-02T11:41:47"), None);
    }
}
