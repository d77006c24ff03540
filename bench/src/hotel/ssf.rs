//! The nine tasks written by hand on the [`Store`], as a careful developer without nubes
//! would: the fewest round trips they could manage on the same items (the layout of
//! `docs/runtime.md`, so both implementations run on one dataset), and no result records,
//! no version checks, no retries — a crashed or repeated call may run twice, and two
//! concurrent reserves may both book a night.

use std::sync::Arc;

use async_trait::async_trait;
use hotel_app::{by_name, constant_time_eq, geo};
use hotel_model::Date;
use hotel_model::{GeoPoint, Hotel};
use nubes_runtime::layout::OBJECT_SK;
use nubes_runtime::store::{
    version_of, Condition, Item, Key, StoreError, Update, WriteOp, DELETED, MAX_WRITE_OPS,
};
use nubes_runtime::Store;
use serde_json::{json, Value};

use super::tasks::{reservations_answer, Answer, Call, Tasks};
use crate::BoxError;

/// The attribute of an edge holding a copy of a reservation's fields.
const COPY: &str = "_fields";

/// The nine tasks on the store itself.
pub struct Ssf {
    store: Arc<dyn Store>,
    /// The table prefix of the application's tables.
    prefix: String,
}

impl Ssf {
    /// The tasks on `store`, whose tables are named `<prefix><Type>`.
    pub fn new(store: Arc<dyn Store>, prefix: &str) -> Self {
        Ssf {
            store,
            prefix: prefix.to_string(),
        }
    }

    fn table(&self, type_name: &str) -> String {
        format!("{}{type_name}", self.prefix)
    }

    fn object(&self, type_name: &str, id: &str) -> Key {
        Key::new(self.table(type_name), id, OBJECT_SK)
    }

    fn edge(&self, type_name: &str, owner: &str, field: &str, other: &str) -> Key {
        Key::new(self.table(type_name), owner, format!("rel#{field}#{other}"))
    }

    /// Every item of a partition whose sort key starts with `prefix`, all pages.
    async fn partition(
        &self,
        type_name: &str,
        id: &str,
        prefix: &str,
    ) -> Result<Vec<(String, Item)>, StoreError> {
        let table = self.table(type_name);
        let mut items = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .query(&table, id, prefix, after.as_deref(), 10_000)
                .await?;
            items.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(items),
            }
        }
    }

    /// An object and the edges of its list `field`, in one query of its partition: the
    /// object's item sorts first (`#` before `rel#`).
    async fn object_with_edges(
        &self,
        type_name: &str,
        id: &str,
        field: &str,
    ) -> Result<(Option<Item>, Vec<Item>), StoreError> {
        let edges = format!("rel#{field}#");
        let mut object = None;
        let mut list = Vec::new();
        for (sk, item) in self.partition(type_name, id, "").await? {
            if sk == OBJECT_SK {
                object = live(Some(item));
            } else if sk.starts_with(&edges) {
                list.push(item);
            }
        }
        Ok((object, list))
    }

    /// The objects of `type_name` with these ids that exist, in the order given.
    async fn objects(&self, type_name: &str, ids: &[String]) -> Result<Vec<Item>, StoreError> {
        let keys: Vec<Key> = ids.iter().map(|id| self.object(type_name, id)).collect();
        let items = self.store.batch_get(&keys).await?;
        Ok(items.into_iter().filter_map(live).collect())
    }

    /// The fields of the reservations the edges point at: their copies, and a batched
    /// read for edges written without one.
    async fn reservations_of(&self, edges: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::with_capacity(edges.len());
        let mut missing = Vec::new();
        for mut edge in edges {
            match edge.remove(COPY) {
                Some(Value::Object(fields)) => found.push(fields),
                _ => missing.extend(text(&edge, "to").map(str::to_string)),
            }
        }
        found.extend(self.objects("Reservation", &missing).await?);
        Ok(found)
    }

    async fn register(
        &self,
        email: &str,
        first_name: &str,
        last_name: &str,
        password: &str,
    ) -> Result<Answer, BoxError> {
        let item = fields(json!({
            "email": email,
            "firstName": first_name,
            "lastName": last_name,
            "password": password,
        }));
        let key = self.object("User", email);
        let put = |condition| WriteOp::Put {
            key: key.clone(),
            item: item.clone(),
            condition,
        };
        let tombstone = match self.store.write(vec![put(Condition::Absent)]).await {
            Ok(()) => return Ok(Answer::Done),
            Err(StoreError::ConditionFailed {
                current: Some(current),
                ..
            }) if current.contains_key(DELETED) => current,
            Err(StoreError::ConditionFailed { .. }) => return Ok(refused("AlreadyExists")),
            Err(error) => return Err(error.into()),
        };
        // A user the runtime deleted leaves a tombstone for a while: register over it.
        let version = version_of(&tombstone);
        match self
            .store
            .write(vec![put(Condition::Version(version))])
            .await
        {
            Ok(()) => Ok(Answer::Done),
            Err(StoreError::ConditionFailed { .. }) => Ok(refused("AlreadyExists")),
            Err(error) => Err(error.into()),
        }
    }

    async fn delete_user(&self, email: &str) -> Result<Answer, BoxError> {
        let (user, edges) = self
            .object_with_edges("User", email, "reservations")
            .await?;
        if user.is_none() {
            return Ok(refused("NotFound(User)"));
        }
        let mut deletes = vec![self.object("User", email)];
        for edge in &edges {
            if let Some(reservation) = text(edge, "to") {
                deletes.push(self.edge("User", email, "reservations", reservation));
                deletes.push(self.edge("Reservation", reservation, "guests", email));
            }
        }
        // One transaction when it fits; a user with more reservations than that is
        // deleted in several writes, the user's own item last.
        deletes.rotate_left(1);
        for chunk in deletes.chunks(MAX_WRITE_OPS) {
            let ops = chunk
                .iter()
                .map(|key| WriteOp::Delete {
                    key: key.clone(),
                    condition: Condition::Always,
                })
                .collect();
            self.store.write(ops).await?;
        }
        Ok(Answer::Done)
    }

    async fn set_rate(&self, hotel: &str, rate: f64) -> Result<Answer, BoxError> {
        if !rate.is_finite() {
            return Ok(refused("Validation"));
        }
        let update = WriteOp::Update {
            key: self.object("Hotel", hotel),
            update: Update {
                set: vec![("rate".into(), json!(rate))],
                ..Update::default()
            },
            condition: exists(),
        };
        match self.store.write(vec![update]).await {
            Ok(()) => Ok(Answer::Done),
            Err(StoreError::ConditionFailed { .. }) => Ok(refused("NotFound(Hotel)")),
            Err(error) => Err(error.into()),
        }
    }

    async fn reserve(
        &self,
        room: &str,
        guest: &str,
        check_in: &str,
        check_out: &str,
    ) -> Result<Answer, BoxError> {
        // Arguments that are not dates are refused before anything is read.
        let (Ok(arrival), Ok(departure)) = (check_in.parse::<Date>(), check_out.parse::<Date>())
        else {
            return Ok(refused("Validation"));
        };
        // The room and its reservations in one query of its partition.
        let (room_item, edges) = self.object_with_edges("Room", room, "reservations").await?;
        if room_item.is_none() {
            return Ok(refused("NotFound(Room)"));
        }
        if arrival >= departure {
            return Ok(refused("InvalidDates"));
        }
        // Stored dates are `YYYY-MM-DD`, which compare as dates when compared as text.
        let (check_in, check_out) = (arrival.to_string(), departure.to_string());
        let booked = self.reservations_of(edges).await?;
        let overlaps = booked.iter().any(|r| {
            let (Some(r_in), Some(r_out)) = (text(r, "checkIn"), text(r, "checkOut")) else {
                return false;
            };
            r_in < check_out.as_str() && check_in.as_str() < r_out
        });
        if overlaps {
            // An unknown guest is refused before an overlap, as the application does.
            let known = live(self.store.get(&self.object("User", guest)).await?).is_some();
            return Ok(refused(if known { "Overlap" } else { "NotFound(User)" }));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let reservation = fields(json!({
            "id": id,
            "room": room,
            "checkIn": check_in,
            "checkOut": check_out,
            "createdAt": nubes_runtime::jiff::Timestamp::now().to_string(),
        }));
        let with_copy = fields(json!({ "to": id, COPY: reservation }));
        let put = |key: Key, item: Item| WriteOp::Put {
            key,
            item,
            condition: Condition::Always,
        };
        let ops = vec![
            put(self.object("Reservation", &id), reservation.clone()),
            put(
                self.edge("Room", room, "reservations", &id),
                with_copy.clone(),
            ),
            put(
                self.edge("Reservation", &id, "guests", guest),
                fields(json!({ "to": guest })),
            ),
            put(self.edge("User", guest, "reservations", &id), with_copy),
            // The guest exists: checked in the same transaction, not read before it.
            WriteOp::Check {
                key: self.object("User", guest),
                condition: exists(),
            },
        ];
        match self.store.write(ops).await {
            Ok(()) => Ok(Answer::Reserved),
            // Only the guest's check has a condition.
            Err(StoreError::ConditionFailed { .. }) => Ok(refused("NotFound(User)")),
            Err(error) => Err(error.into()),
        }
    }

    /// The hotels of `city`, or the refusal when it does not exist, `count` is negative or
    /// `point` (when given) is off the earth.
    async fn city_hotels(
        &self,
        city: &str,
        count: i64,
        point: Option<&GeoPoint>,
    ) -> Result<Result<Vec<Hotel>, Answer>, BoxError> {
        let (found, edges) = self.object_with_edges("City", city, "hotels").await?;
        if found.is_none() {
            return Ok(Err(refused("NotFound(City)")));
        }
        if count < 0 || point.is_some_and(|point| !geo::is_valid_point(point)) {
            return Ok(Err(refused("Validation")));
        }
        let ids: Vec<String> = edges
            .iter()
            .filter_map(|edge| text(edge, "to").map(str::to_string))
            .collect();
        let hotels = self
            .objects("Hotel", &ids)
            .await?
            .into_iter()
            .map(|item| serde_json::from_value(Value::Object(user_fields(item))))
            .collect::<Result<Vec<Hotel>, _>>()?;
        Ok(Ok(hotels))
    }

    async fn recommend_by_rate(&self, city: &str, count: i64) -> Result<Answer, BoxError> {
        let mut hotels = match self.city_hotels(city, count, None).await? {
            Ok(hotels) => hotels,
            Err(refusal) => return Ok(refusal),
        };
        hotels.sort_by(|a, b| b.rate.total_cmp(&a.rate).then_with(|| by_name(a, b)));
        Ok(hotel_ids(hotels.into_iter(), count))
    }

    async fn recommend_by_location(
        &self,
        city: &str,
        point: &GeoPoint,
        count: i64,
    ) -> Result<Answer, BoxError> {
        let hotels = match self.city_hotels(city, count, Some(point)).await? {
            Ok(hotels) => hotels,
            Err(refusal) => return Ok(refusal),
        };
        let mut ranked: Vec<(f64, Hotel)> = hotels
            .into_iter()
            .map(|hotel| (geo::distance_km(point, &hotel.location), hotel))
            .collect();
        ranked.sort_by(|(da, a), (db, b)| da.total_cmp(db).then_with(|| by_name(a, b)));
        Ok(hotel_ids(ranked.into_iter().map(|(_, hotel)| hotel), count))
    }

    async fn login(&self, email: &str, password: &str) -> Result<Answer, BoxError> {
        let user = live(self.store.get(&self.object("User", email)).await?);
        let Some(user) = user else {
            return Ok(refused("NotFound(User)"));
        };
        let stored = text(&user, "password").unwrap_or_default();
        Ok(Answer::Bool(constant_time_eq(
            stored.as_bytes(),
            password.as_bytes(),
        )))
    }

    async fn get_hotels(&self, city: &str) -> Result<Answer, BoxError> {
        let ids: Vec<String> = self
            .partition("City", city, "rel#hotels#")
            .await?
            .iter()
            .filter_map(|(_, edge)| text(edge, "to").map(str::to_string))
            .collect();
        let hotels = self.objects("Hotel", &ids).await?;
        Ok(Answer::Hotels(
            hotels
                .iter()
                .filter_map(|hotel| text(hotel, "id").map(str::to_string))
                .collect(),
        ))
    }

    async fn get_user_reservations(&self, email: &str) -> Result<Answer, BoxError> {
        let edges = self
            .partition("User", email, "rel#reservations#")
            .await?
            .into_iter()
            .map(|(_, edge)| edge)
            .collect();
        let reservations = self.reservations_of(edges).await?;
        Ok(reservations_answer(reservations.iter().filter_map(|r| {
            Some((
                text(r, "room")?.to_string(),
                text(r, "checkIn")?.to_string(),
                text(r, "checkOut")?.to_string(),
            ))
        })))
    }
}

#[async_trait]
impl Tasks for Ssf {
    fn name(&self) -> &'static str {
        "ssf"
    }

    async fn run(&self, call: &Call) -> Result<Answer, BoxError> {
        match call {
            Call::Register {
                email,
                first_name,
                last_name,
                password,
            } => self.register(email, first_name, last_name, password).await,
            Call::DeleteUser { email } => self.delete_user(email).await,
            Call::SetRate { hotel, rate } => self.set_rate(hotel, *rate).await,
            Call::Reserve {
                room,
                guest,
                check_in,
                check_out,
            } => self.reserve(room, guest, check_in, check_out).await,
            Call::RecommendByLocation { city, point, count } => {
                self.recommend_by_location(city, point, *count).await
            }
            Call::RecommendByRate { city, count } => self.recommend_by_rate(city, *count).await,
            Call::Login { email, password } => self.login(email, password).await,
            Call::GetHotels { city } => self.get_hotels(city).await,
            Call::GetUserReservations { email } => self.get_user_reservations(email).await,
        }
    }
}

/// The condition that the item exists and is not deleted (no invocation has the empty
/// id, so no result record stands in the way).
fn exists() -> Condition {
    Condition::LiveWithout(String::new())
}

fn refused(why: &str) -> Answer {
    Answer::Refused(why.to_string())
}

/// The item when it is an object that exists (not absent, not deleted).
fn live(item: Option<Item>) -> Option<Item> {
    item.filter(|item| !item.contains_key(DELETED))
}

/// The fields of an item without the runtime's attributes (those starting with `_`).
fn user_fields(mut item: Item) -> Item {
    item.retain(|name, _| !name.starts_with('_'));
    item
}

fn text<'i>(item: &'i Item, name: &str) -> Option<&'i str> {
    item.get(name).and_then(Value::as_str)
}

fn fields(value: Value) -> Item {
    match value {
        Value::Object(fields) => fields,
        _ => Item::new(),
    }
}

/// The ids of the first `count` hotels.
fn hotel_ids(hotels: impl Iterator<Item = Hotel>, count: i64) -> Answer {
    let count = usize::try_from(count).unwrap_or(0);
    Answer::Hotels(hotels.take(count).map(|hotel| hotel.id).collect())
}
