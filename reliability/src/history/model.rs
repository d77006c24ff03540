//! The reference model: the hotel in plain Rust. It starts from the stored state, applies
//! committed calls one by one in commit order, says what each must have answered, and
//! keeps every object's history so that calls that did not commit can be checked against
//! the states they may have seen.
//!
//! Only the children's references are kept (a hotel's city, a room's hotel, a
//! reservation's room) plus each reservation's guests; every collection is derived from
//! them, so the model's two sides of a relationship agree by construction.

use std::collections::{BTreeMap, BTreeSet};

use nubes_runtime::jiff::civil::Date;
use nubes_runtime::Error;
use serde_json::{json, Map, Value};

use super::task::Task;
use super::view::{normalize_map, ObjKey, ObjectView, View};

/// The model's state and history.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// The fields of every live object (numbers normalized), reservations without
    /// `createdAt`.
    objects: BTreeMap<ObjKey, Map<String, Value>>,
    /// The guests of every live reservation.
    guests: BTreeMap<String, BTreeSet<String>>,
    /// Every reservation id that ever existed: a new one must be fresh.
    reservations_ever: BTreeSet<String>,
    /// The users deleted with so many reservations that their deletion may still be
    /// finishing through the outbox, until they are registered again.
    deleting: BTreeSet<String>,
    /// Per object, its view after each change: (commits applied, view; `None` absent).
    history: BTreeMap<ObjKey, Vec<(usize, Option<ObjectView>)>>,
    /// How many commits were applied.
    applied: usize,
}

/// A user deleted with this many reservations may have its deletion finished through the
/// outbox: one commit unlinks some thirty (three items each, a hundred a commit, less
/// what the deletion itself takes).
const MAY_CASCADE_AT: usize = 20;

/// What a committed call must have answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// Exactly this.
    Answer(Result<Value, Error>),
    /// A `Validation` error, for this reason.
    Validation(&'static str),
    /// `Ok` with the id of a reservation that never existed before.
    NewReservation,
    /// Any one of these.
    Either(Vec<Expected>),
}

impl Expected {
    /// True when `answer` is what was expected.
    pub fn admits(&self, answer: &Result<Value, Error>, fresh: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Expected::Answer(expected) => expected == answer,
            Expected::Validation(_) => matches!(answer, Err(Error::Validation { .. })),
            Expected::NewReservation => {
                matches!(answer, Ok(Value::String(id)) if fresh(id))
            }
            Expected::Either(options) => options.iter().any(|option| option.admits(answer, fresh)),
        }
    }
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expected::Answer(answer) => write!(f, "{answer:?}"),
            Expected::Validation(why) => write!(f, "a Validation error ({why})"),
            Expected::NewReservation => write!(f, "Ok(the id of a new reservation)"),
            Expected::Either(options) => {
                let options: Vec<String> = options.iter().map(ToString::to_string).collect();
                write!(f, "{}", options.join(" or "))
            }
        }
    }
}

fn not_found(type_name: &str, id: &str) -> Expected {
    Expected::Answer(Err(Error::not_found(type_name, id)))
}

fn already_exists(type_name: &str, id: &str) -> Expected {
    Expected::Answer(Err(Error::AlreadyExists {
        type_name: type_name.into(),
        id: id.into(),
    }))
}

fn done() -> Expected {
    Expected::Answer(Ok(Value::Null))
}

fn user_error(name: &str, data: Value) -> Expected {
    Expected::Answer(Err(Error::User {
        name: name.into(),
        data,
    }))
}

/// The calendar date `text` stands for, as the generated model reads a `Date`: ISO 8601
/// as jiff parses it (`YYYY-MM-DD`, a date that exists); `None` for anything else.
pub fn date(text: &str) -> Option<Date> {
    text.parse().ok()
}

/// True when the stays `[a_in, a_out)` and `[b_in, b_out)` share a night. Stored dates
/// are written `YYYY-MM-DD`, which compare as dates when compared as text.
pub fn stays_overlap(a: (&str, &str), b: (&str, &str)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

impl Model {
    /// A model of the state `view` shows, at position 0 of the history.
    pub fn from_view(view: &View) -> Self {
        let mut model = Model::default();
        for (key, object) in view {
            model.objects.insert(key.clone(), object.fields.clone());
            if key.type_name == "Reservation" {
                let guests = object.collection("guests").iter().cloned().collect();
                model.guests.insert(key.id.clone(), guests);
                model.reservations_ever.insert(key.id.clone());
            }
        }
        let keys: Vec<ObjKey> = view.keys().cloned().collect();
        model.remember(&keys);
        model
    }

    /// How many commits were applied.
    pub fn applied(&self) -> usize {
        self.applied
    }

    /// Every live object, as the store should show it.
    pub fn view(&self) -> View {
        self.objects
            .keys()
            .filter_map(|key| Some((key.clone(), self.object_view(key)?)))
            .collect()
    }

    /// True when the reservation `id` existed at some point of the history.
    pub fn ever_reserved(&self, id: &str) -> bool {
        self.reservations_ever.contains(id)
    }

    /// The view of `key`, if it is live.
    pub fn object_view(&self, key: &ObjKey) -> Option<ObjectView> {
        let fields = self.objects.get(key)?.clone();
        let mut collections = BTreeMap::new();
        let children = |type_name: &str, back: &str| -> Vec<String> {
            self.objects
                .iter()
                .filter(|(child, fields)| {
                    child.type_name == type_name
                        && fields.get(back).and_then(Value::as_str) == Some(&key.id)
                })
                .map(|(child, _)| child.id.clone())
                .collect()
        };
        match key.type_name.as_str() {
            "City" => collections.insert("hotels".into(), children("Hotel", "city")),
            "Hotel" => collections.insert("rooms".into(), children("Room", "hotel")),
            "Room" => collections.insert("reservations".into(), children("Reservation", "room")),
            "User" => {
                let held = self
                    .guests
                    .iter()
                    .filter(|(_, guests)| guests.contains(&key.id));
                let ids = held.map(|(id, _)| id.clone()).collect();
                collections.insert("reservations".into(), ids)
            }
            "Reservation" => {
                let guests = self.guests.get(&key.id).into_iter().flatten().cloned();
                collections.insert("guests".into(), guests.collect())
            }
            _ => None,
        };
        Some(ObjectView {
            fields,
            collections,
        })
    }

    /// The states `key` was in from position `from` to position `to` (both included): the
    /// one in effect at `from` and every later one up to `to`; `None` for absent.
    pub fn states(&self, key: &ObjKey, from: usize, to: usize) -> Vec<Option<&ObjectView>> {
        let history = self.history.get(key).map_or(&[][..], Vec::as_slice);
        let before = history.partition_point(|(at, _)| *at <= from);
        let first = match before {
            0 => None,
            n => history[n - 1].1.as_ref(),
        };
        let later = history[before..]
            .iter()
            .take_while(|(at, _)| *at <= to)
            .map(|(_, view)| view.as_ref());
        std::iter::once(first).chain(later).collect()
    }

    /// What the committed call `task` must have answered in the current state.
    pub fn expected(&self, task: &Task) -> Expected {
        let (type_name, id) = task.target();
        let live =
            |type_name: &str, id: &str| self.objects.contains_key(&ObjKey::new(type_name, id));
        if task.is_read_only() {
            return Expected::Validation("a read-only call, which never commits");
        }
        if let Task::Reserve {
            room,
            guest,
            check_in,
            check_out,
        } = task
        {
            return self.expected_reserve(room, guest, check_in, check_out);
        }
        if task.is_create() {
            let parent = match task {
                Task::CreateHotel { city, .. } => Some(("City", city)),
                Task::CreateRoom { hotel, .. } => Some(("Hotel", hotel)),
                _ => None,
            };
            return match parent {
                _ if live(type_name, id) => already_exists(type_name, id),
                Some((parent_type, parent)) if !live(parent_type, parent) => {
                    not_found(parent_type, parent)
                }
                _ if matches!(task, Task::Register { .. }) && self.deleting.contains(id) => {
                    Expected::Either(vec![
                        done(),
                        Expected::Validation("the user's deletion may still be finishing"),
                    ])
                }
                _ => done(),
            };
        }
        // The rest change or delete their target; a parent goes only without children.
        let children = match task {
            Task::DeleteCity { .. } => Some(("Hotel", "city")),
            Task::DeleteHotel { .. } => Some(("Room", "hotel")),
            Task::DeleteRoom { .. } => Some(("Reservation", "room")),
            _ => None,
        };
        let has_children = children.is_some_and(|(child_type, back)| {
            self.objects.iter().any(|(child, fields)| {
                child.type_name == child_type
                    && fields.get(back).and_then(Value::as_str) == Some(id)
            })
        });
        if !live(type_name, id) {
            not_found(type_name, id)
        } else if has_children {
            Expected::Validation("a delete of an object that still has children")
        } else {
            done()
        }
    }

    /// What `Room.reserve` must answer: its rules in the order `examples/hotel` checks
    /// them.
    fn expected_reserve(
        &self,
        room: &str,
        guest: &str,
        check_in: &str,
        check_out: &str,
    ) -> Expected {
        let (Some(arrival), Some(departure)) = (date(check_in), date(check_out)) else {
            return Expected::Validation(
                "arguments that are not dates, refused before anything is read",
            );
        };
        if !self.objects.contains_key(&ObjKey::new("Room", room)) {
            return not_found("Room", room);
        }
        if arrival >= departure {
            return user_error(
                "InvalidDates",
                json!({ "checkIn": arrival.to_string(), "checkOut": departure.to_string() }),
            );
        }
        let (check_in, check_out) = (arrival.to_string(), departure.to_string());
        if !self.objects.contains_key(&ObjKey::new("User", guest)) {
            return not_found("User", guest);
        }
        let first_overlap = self
            .objects
            .iter()
            .filter(|(key, fields)| {
                key.type_name == "Reservation"
                    && fields.get("room").and_then(Value::as_str) == Some(room)
            })
            .filter_map(|(key, fields)| {
                let stay = (
                    fields.get("checkIn")?.as_str()?,
                    fields.get("checkOut")?.as_str()?,
                );
                stays_overlap(stay, (&check_in, &check_out)).then_some((stay.0, &key.id))
            })
            .min();
        match first_overlap {
            Some((_, reservation)) => user_error("Overlap", json!({ "reservation": reservation })),
            None => Expected::NewReservation,
        }
    }

    /// Applies the committed call `task`, which answered `answer` (already checked
    /// against [`Model::expected`]), as the next position of the history.
    pub fn apply(&mut self, task: &Task, answer: &Result<Value, Error>) {
        self.applied += 1;
        // A refused call changes nothing.
        if let Ok(answer) = answer {
            let touched = self.change(task, answer);
            self.remember(&touched);
        }
    }

    /// Makes the change of the successful call `task`, which answered `answer`; returns
    /// the objects whose view changed.
    fn change(&mut self, task: &Task, answer: &Value) -> Vec<ObjKey> {
        if let Some((key, fields)) = created(task) {
            self.deleting.remove(&key.id);
            return self.put(key, fields);
        }
        match task {
            Task::DeleteUser { email } => {
                let mut touched = self.remove(ObjKey::new("User", email));
                for (reservation, guests) in &mut self.guests {
                    if guests.remove(email) {
                        touched.push(ObjKey::new("Reservation", reservation));
                    }
                }
                if touched.len() > MAY_CASCADE_AT {
                    self.deleting.insert(email.clone());
                }
                touched
            }
            Task::SetRate { hotel, rate } => {
                let key = ObjKey::new("Hotel", hotel);
                if let Some(fields) = self.objects.get_mut(&key) {
                    fields.insert("rate".into(), Value::from(*rate));
                }
                vec![key]
            }
            Task::Reserve { guest, .. } => {
                let Value::String(id) = answer else {
                    return Vec::new();
                };
                self.guests
                    .insert(id.clone(), BTreeSet::from([guest.clone()]));
                self.reservations_ever.insert(id.clone());
                let fields = Value::Object(reservation_fields(task, id));
                let mut touched = self.put(ObjKey::new("Reservation", id), fields);
                touched.push(ObjKey::new("User", guest));
                touched
            }
            Task::DeleteCity { .. } | Task::DeleteHotel { .. } | Task::DeleteRoom { .. } => {
                let (type_name, id) = task.target();
                self.remove(ObjKey::new(type_name, id))
            }
            Task::CancelReservation { reservation } => {
                let guests = self.guests.remove(reservation).unwrap_or_default();
                let mut touched = self.remove(ObjKey::new("Reservation", reservation));
                touched.extend(guests.iter().map(|guest| ObjKey::new("User", guest)));
                touched
            }
            _ => Vec::new(),
        }
    }

    /// Makes `key` live with `fields`; returns it and its parent (whose collection
    /// changed).
    fn put(&mut self, key: ObjKey, fields: Value) -> Vec<ObjKey> {
        let fields = match fields {
            Value::Object(fields) => normalize_map(&fields),
            _ => Map::new(),
        };
        let parent = parent_of(&key, &fields);
        self.objects.insert(key.clone(), fields);
        [Some(key), parent].into_iter().flatten().collect()
    }

    /// Removes `key`; returns it and its parent (whose collection changed).
    fn remove(&mut self, key: ObjKey) -> Vec<ObjKey> {
        let parent = self
            .objects
            .remove(&key)
            .and_then(|fields| parent_of(&key, &fields));
        [Some(key), parent].into_iter().flatten().collect()
    }

    /// Notes the current view of each of `keys` at the current position.
    fn remember(&mut self, keys: &[ObjKey]) {
        for key in keys {
            let view = self.object_view(key);
            self.history
                .entry(key.clone())
                .or_default()
                .push((self.applied, view));
        }
    }
}

/// The object a create call makes, with its fields as stored (the id field included).
fn created(task: &Task) -> Option<(ObjKey, Value)> {
    let (type_name, id) = task.target();
    let fields = match task {
        Task::Register {
            email,
            first,
            last,
            password,
        } => json!({ "email": email, "firstName": first, "lastName": last, "password": password }),
        Task::CreateCity { city, country } => json!({ "name": city, "country": country }),
        Task::CreateHotel {
            hotel,
            name,
            rate,
            location,
            city,
        } => json!({
            "id": hotel, "name": name, "rate": rate,
            "location": { "lat": location.0, "lon": location.1 }, "city": city,
        }),
        Task::CreateRoom {
            room,
            number,
            price,
            hotel,
        } => json!({ "id": room, "number": number, "price": price, "hotel": hotel }),
        _ => return None,
    };
    Some((ObjKey::new(type_name, id), fields))
}

/// The fields of the reservation `id` that `task`, a reserve, made (`createdAt` aside).
pub fn reservation_fields(task: &Task, id: &str) -> Map<String, Value> {
    let Task::Reserve {
        room,
        check_in,
        check_out,
        ..
    } = task
    else {
        return Map::new();
    };
    let fields = json!({ "id": id, "room": room, "checkIn": check_in, "checkOut": check_out });
    fields.as_object().map(normalize_map).unwrap_or_default()
}

/// The parent whose one-to-many collection lists `key`, from its fields.
fn parent_of(key: &ObjKey, fields: &Map<String, Value>) -> Option<ObjKey> {
    let (parent_type, back) = match key.type_name.as_str() {
        "Hotel" => ("City", "city"),
        "Room" => ("Hotel", "hotel"),
        "Reservation" => ("Room", "room"),
        _ => return None,
    };
    let parent = fields.get(back)?.as_str()?;
    Some(ObjKey::new(parent_type, parent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_stays() {
        assert!(date("2028-02-29").is_some());
        assert!(date("2027-02-29").is_none());
        assert!(date("2027-3-01").is_none());
        assert!(date("2027-04-31").is_none());
        assert!(date("2027-04-01T00:00:00Z").is_none());
        assert!(stays_overlap(
            ("2027-03-01", "2027-03-03"),
            ("2027-03-02", "2027-03-04")
        ));
        assert!(!stays_overlap(
            ("2027-03-01", "2027-03-03"),
            ("2027-03-03", "2027-03-04")
        ));
    }
}
