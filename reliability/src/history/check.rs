//! The checker of a history: replays the calls that committed, in commit order, on the
//! [`Model`]; checks every answer — committed ones exactly, the others for plausibility
//! against the states the call may have seen — and every duplicate; then compares the
//! stored state with the model's and checks the invariants of [`super::invariants`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use nubes_runtime::{Error, InvocationId};
use serde_json::Value;

use super::invariants;
use super::model::{date, Model};
use super::task::{Record, Task};
use super::view::{normalize, ObjKey, ObjectView, View, CREATED_AT};

/// At most this many violations are described; the rest are only counted.
const DESCRIBED: usize = 40;

/// Everything the checker looks at.
pub struct History<'a> {
    /// The stored state before the first call.
    pub initial: &'a View,
    /// Every call, as its client saw it.
    pub records: &'a [Record],
    /// The commits of the calls, in the order they took effect (see
    /// [`super::commit_log::CommitLog::commits`]).
    pub commits: &'a [Vec<InvocationId>],
    /// Finished calls sent again at the end: the record's index and the answer.
    pub late: &'a [(usize, Result<Value, Error>)],
    /// The stored state after the last call.
    pub stored: &'a View,
    /// The `createdAt` of each stored reservation.
    pub created_at: &'a BTreeMap<String, String>,
}

/// What the checker found.
#[derive(Debug, Default)]
pub struct Report {
    /// How many calls committed.
    pub committed: usize,
    /// How many violations were found.
    pub violations: usize,
    /// The first violations, described.
    pub described: Vec<String>,
}

impl Report {
    /// Counts a violation, describing it when there is room.
    pub fn violation(&mut self, text: String) {
        self.violations += 1;
        if self.described.len() < DESCRIBED {
            self.described.push(text);
        }
    }
}

/// Checks `history`.
pub fn check(history: &History<'_>) -> Report {
    let mut report = Report::default();
    let by_id: HashMap<&InvocationId, usize> = history
        .records
        .iter()
        .enumerate()
        .map(|(index, record)| (&record.id, index))
        .collect();
    let mut model = Model::from_view(history.initial);
    // The indices of the committed records, in commit order.
    let mut order: Vec<usize> = Vec::new();
    for (position, ids) in history.commits.iter().enumerate() {
        if ids.len() > 1 {
            report.violation(format!(
                "commit #{position} carried the first result records of several calls: {ids:?}"
            ));
        }
        for id in ids {
            let Some(&index) = by_id.get(id) else {
                report.violation(format!(
                    "commit #{position} names an unknown invocation {id}"
                ));
                continue;
            };
            order.push(index);
            replay(&mut model, position, &history.records[index], &mut report);
        }
    }
    report.committed = order.len();
    let committed: HashSet<usize> = order.iter().copied().collect();
    for (index, record) in history.records.iter().enumerate() {
        if !committed.contains(&index) {
            uncommitted(&model, record, &mut report);
        }
    }
    duplicates(history, &mut report);
    compare(&model.view(), history.stored, &mut report);
    let committed: Vec<&Record> = order.iter().map(|index| &history.records[*index]).collect();
    invariants::check(history, &committed, &mut report);
    report
}

/// Every duplicate, sent right after the answer or late, got the call's answer.
fn duplicates(history: &History<'_>, report: &mut Report) {
    let right_after = history.records.iter().flat_map(|record| {
        record
            .duplicates
            .iter()
            .map(move |again| (record, again, ""))
    });
    let late = history
        .late
        .iter()
        .map(|(index, again)| (&history.records[*index], again, "late "));
    for (record, again, when) in right_after.chain(late) {
        if again != &record.answer {
            report.violation(format!(
                "a {when}duplicate of {} {:?} answered {again:?}, the call {:?}",
                record.id, record.task, record.answer
            ));
        }
    }
}

/// Checks the committed call `record` at `position` against the model and applies it.
fn replay(model: &mut Model, position: usize, record: &Record, report: &mut Report) {
    let (id, task, answer) = (&record.id, &record.task, &record.answer);
    if !(record.sent_at..record.answered_at).contains(&position) {
        report.violation(format!(
            "{id} {task:?} committed at #{position}, outside its lifetime (sent at #{}, answered at #{})",
            record.sent_at, record.answered_at
        ));
    }
    if !task.answer_is_recorded(answer) {
        report.violation(format!(
            "{id} {task:?} committed at #{position} though its answer {answer:?} is one the runtime never records"
        ));
    }
    let expected = model.expected(task);
    if !expected.admits(answer, &|new| !model.ever_reserved(new)) {
        report.violation(format!(
            "{id} {task:?} committed at #{position} answering {answer:?}; the model expects {expected}"
        ));
    }
    model.apply(task, answer);
}

/// Checks a call that did not commit: its answer must be one that changes nothing, and
/// one a state it may have seen explains.
fn uncommitted(model: &Model, record: &Record, report: &mut Report) {
    let (task, answer) = (&record.task, &record.answer);
    if task.answer_is_recorded(answer) {
        report.violation(format!(
            "{} {task:?} answered {answer:?}, an answer the runtime records, but never committed: it was lost",
            record.id
        ));
        return;
    }
    let from = record.sent_at;
    let to = (record.answered_at + 1).min(model.applied());
    let seen = Seen { model, from, to };
    if let Err(why) = plausible(&seen, task, answer) {
        report.violation(format!(
            "{} {task:?} answered {answer:?} (not committed; it ran between #{from} and #{to}): {why}",
            record.id
        ));
    }
}

/// The states a call that ran between two positions of the history may have seen.
struct Seen<'a> {
    model: &'a Model,
    from: usize,
    to: usize,
}

impl Seen<'_> {
    fn states(&self, type_name: &str, id: &str) -> Vec<Option<&ObjectView>> {
        self.model
            .states(&ObjKey::new(type_name, id), self.from, self.to)
    }

    /// True when `type_name` `id` was absent in some state.
    fn absent(&self, type_name: &str, id: &str) -> bool {
        self.states(type_name, id).iter().any(Option::is_none)
    }

    /// True when some state of `type_name` `id` satisfies `test`.
    fn some(&self, type_name: &str, id: &str, test: impl Fn(&ObjectView) -> bool) -> bool {
        self.states(type_name, id).into_iter().flatten().any(test)
    }

    /// True when some state of `type_name` `id` lists `member` in `collection`. A user
    /// deleted with more reservations than one commit can unlink stays on their other
    /// side until the outbox finishes the deletion: for a member that is such a user,
    /// any earlier state listing it will do.
    fn member(&self, type_name: &str, id: &str, collection: &str, member: &str) -> bool {
        let lists = |state: &ObjectView| state.collection(collection).iter().any(|m| m == member);
        self.some(type_name, id, lists)
            || (collection == "guests"
                && self.absent("User", member)
                && self
                    .model
                    .states(&ObjKey::new(type_name, id), 0, self.to)
                    .into_iter()
                    .flatten()
                    .any(lists))
    }

    /// Ok when `object`, as a read answered it, equals some state of it (`createdAt`
    /// aside).
    fn read(&self, type_name: &str, object: &Value) -> Result<(), String> {
        let Some(id) = object.get("id").and_then(Value::as_str) else {
            return Err(format!("it returned {object} without an id"));
        };
        let Value::Object(mut fields) = normalize(object) else {
            return Err(format!("it returned {object}, not an object"));
        };
        fields.remove(CREATED_AT);
        if self.some(type_name, id, |state| state.fields == fields) {
            Ok(())
        } else {
            Err(format!("{type_name} {object} is no state it had then"))
        }
    }
}

/// Ok when `condition` holds; `why` not otherwise.
fn ok(condition: bool, why: &str) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(why.to_string())
    }
}

/// Why `answer` to `task` is not explained by the states `seen`, if it is not.
fn plausible(seen: &Seen<'_>, task: &Task, answer: &Result<Value, Error>) -> Result<(), String> {
    match answer {
        Err(Error::NotFound { type_name, id }) => {
            ok(
                names(task, type_name, id),
                "it names an object the call is not about",
            )?;
            ok(
                seen.absent(type_name, id),
                "that object existed all the while",
            )
        }
        Err(Error::AlreadyExists { type_name, id }) => {
            let created = names(task, type_name, id) && !task.is_read_only();
            ok(created, "not the object it creates")?;
            ok(
                seen.some(type_name, id, |_| true),
                "that object did not exist then",
            )
        }
        Err(Error::Validation { .. }) => refused(seen, task),
        Ok(answer) => read(seen, task, answer),
        Err(_) => Err("an answer this call cannot give".into()),
    }
}

/// Why a `Validation` refusal of `task` is not explained by the states `seen`.
fn refused(seen: &Seen<'_>, task: &Task) -> Result<(), String> {
    let has = |type_name, id, list| {
        seen.some(type_name, id, |o: &ObjectView| {
            !o.collection(list).is_empty()
        })
    };
    let off_the_earth =
        |(lat, lon): (f64, f64)| !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon);
    match task {
        Task::DeleteCity { city } => ok(has("City", city, "hotels"), "the city had no hotels then"),
        Task::DeleteHotel { hotel } => {
            ok(has("Hotel", hotel, "rooms"), "the hotel had no rooms then")
        }
        Task::DeleteRoom { room } => ok(
            has("Room", room, "reservations"),
            "the room had no reservations then",
        ),
        Task::RecommendByRate { count, .. } => ok(*count < 0, "a valid count refused"),
        Task::Reserve {
            check_in,
            check_out,
            ..
        } => ok(
            date(check_in).is_none() || date(check_out).is_none(),
            "real dates refused",
        ),
        Task::RecommendByLocation { count, point, .. } => ok(
            *count < 0 || off_the_earth(*point),
            "a valid count and point refused",
        ),
        _ => Err("an answer this call cannot give".into()),
    }
}

/// Why the answer of the read-only call `task` is not explained by the states `seen`.
fn read(seen: &Seen<'_>, task: &Task, answer: &Value) -> Result<(), String> {
    let hotels = |city: &str, count: Option<i64>| {
        let Value::Array(hotels) = answer else {
            return Err("not a list".to_string());
        };
        ok(
            count.is_none_or(|count| hotels.len() as i64 <= count),
            "more hotels than asked for",
        )?;
        hotels
            .iter()
            .try_for_each(|hotel| in_city(seen, city, hotel))
    };
    match (task, answer) {
        (Task::Login { email, password }, Value::Bool(accepted)) => ok(
            seen.some("User", email, |user| {
                (user.text("password") == Some(password)) == *accepted
            }),
            "no state of the user then gives that answer",
        ),
        (Task::GetHotels { city }, _) => hotels(city, None),
        (Task::GetUserReservations { email }, Value::Array(reservations)) => {
            reservations.iter().try_for_each(|reservation| {
                seen.read("Reservation", reservation)?;
                let id = reservation.get("id").and_then(Value::as_str).unwrap_or("");
                ok(
                    seen.member("Reservation", id, "guests", email),
                    "the user was no guest of that reservation then",
                )
            })
        }
        (Task::RecommendByRate { city, count }, Value::Array(list)) => {
            ok(
                best_rate_first(list),
                "not best rate first (then by name and id)",
            )?;
            hotels(city, Some(*count))
        }
        (Task::RecommendByLocation { city, count, .. }, _) => hotels(city, Some(*count)),
        _ => Err("an answer this call cannot give".into()),
    }
}

/// True when the object `type_name` `id` is the target of `task` or the parent it names.
fn names(task: &Task, type_name: &str, id: &str) -> bool {
    let parent = match task {
        Task::CreateHotel { city, .. } => Some(("City", city.as_str())),
        Task::CreateRoom { hotel, .. } => Some(("Hotel", hotel.as_str())),
        _ => None,
    };
    task.target() == (type_name, id) || parent == Some((type_name, id))
}

/// Ok when `hotel`, as a read answered it, was a state of the hotel, and the hotel was
/// one of `city` then. (A collection is read as its edges, then its objects: a hotel
/// deleted and created again in another city in between is read as it is now.)
fn in_city(seen: &Seen<'_>, city: &str, hotel: &Value) -> Result<(), String> {
    seen.read("Hotel", hotel)?;
    let id = hotel.get("id").and_then(Value::as_str).unwrap_or("");
    if seen.member("City", city, "hotels", id) {
        Ok(())
    } else {
        Err(format!("hotel `{id}` was not in the city then"))
    }
}

/// True when `hotels` are ordered best rate first, then by name, then by id.
fn best_rate_first(hotels: &[Value]) -> bool {
    let key = |hotel: &Value| {
        let rate = hotel
            .get("rate")
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN);
        let text = |name| {
            hotel
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        (rate, text("name"), text("id"))
    };
    hotels.windows(2).all(|pair| {
        let (a, b) = (key(&pair[0]), key(&pair[1]));
        b.0 < a.0 || (b.0 == a.0 && (a.1.clone(), a.2.clone()) <= (b.1, b.2))
    })
}

/// Compares the model's final state with the stored one, object by object.
fn compare(model: &View, stored: &View, report: &mut Report) {
    let keys: BTreeSet<&ObjKey> = model.keys().chain(stored.keys()).collect();
    for key in keys {
        let (expected, found) = (model.get(key), stored.get(key));
        if expected != found {
            report.violation(format!(
                "the final state of {key} is {found:?} in the store and {expected:?} in the model"
            ));
        }
    }
}
