//! The method bodies of the hotel application (`examples/hotel.nubes`).
//!
//! `nubesc build` generates the types, the handlers and the client; what it cannot know is
//! what the declared methods do. [`HotelApp`] says it, implementing the generated
//! `Methods` traits of `City`, `Room` and `User` with nothing but the generated typed
//! access and the [`Ctx`] each call runs in — so every change a method makes commits
//! with its call, atomically and exactly once.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use nubes_runtime::store::sqlite::SqliteStore;
//!
//! let store = Arc::new(SqliteStore::in_memory()?);
//! let transport = hotel_handlers::in_process(store, hotel_app::HotelApp)
//!     .with_tables()
//!     .await?;
//! let client = hotel_client::Client::new(transport);
//! let _best = client.city("Lisbon").recommend_by_rate(3).await?;
//! # Ok(()) }
//! ```

pub mod geo;

use std::cmp::Ordering;

use hotel_model::{city, reservation, room, user, City, GeoPoint, Hotel, Reservation, Room, User};
use hotel_model::{Date, InvalidDates, Overlap};
use nubes_runtime::{Ctx, Error};

/// The hotel application's methods. Stateless: all state lives in the store and is
/// reached through the [`Ctx`] of each call.
#[derive(Debug, Clone, Copy, Default)]
pub struct HotelApp;

impl city::Methods for HotelApp {
    /// The city's hotels, best rate first, at most `count` of them. Equal rates keep a
    /// stable order (by name, then id). A negative `count` is a `Validation` error; `0`
    /// gives an empty list.
    async fn recommend_by_rate(
        &self,
        this: &City,
        ctx: &mut Ctx,
        count: i64,
    ) -> Result<Vec<Hotel>, Error> {
        let count = checked_count(count)?;
        let mut hotels = this.id().hotels(ctx).await?;
        hotels.sort_by(|a, b| b.rate.total_cmp(&a.rate).then_with(|| by_name(a, b)));
        hotels.truncate(count);
        Ok(hotels)
    }

    /// The city's hotels nearest to `point` first (great-circle distance), at most
    /// `count` of them; equal distances keep a stable order (by name, then id). A
    /// negative `count` or a point off the earth (latitude outside [-90, 90], longitude
    /// outside [-180, 180], not finite) is a `Validation` error.
    async fn recommend_by_location(
        &self,
        this: &City,
        ctx: &mut Ctx,
        point: GeoPoint,
        count: i64,
    ) -> Result<Vec<Hotel>, Error> {
        let count = checked_count(count)?;
        if !geo::is_valid_point(&point) {
            return Err(Error::validation(format!(
                "`point` must have a latitude in [-90, 90] and a longitude in [-180, 180], not ({}, {})",
                point.lat, point.lon
            )));
        }
        let hotels = this.id().hotels(ctx).await?;
        let mut ranked: Vec<(f64, Hotel)> = hotels
            .into_iter()
            .map(|hotel| (geo::distance_km(&point, &hotel.location), hotel))
            .collect();
        ranked.sort_by(|(da, a), (db, b)| da.total_cmp(db).then_with(|| by_name(a, b)));
        Ok(ranked
            .into_iter()
            .take(count)
            .map(|(_, hotel)| hotel)
            .collect())
    }
}

impl room::Methods for HotelApp {
    /// Books the room for `guest` for the nights `[check_in, check_out)`.
    ///
    /// Fails with `InvalidDates` when `check_out` is not after `check_in` (text that is
    /// not a real date never gets here: it is refused as a `Validation` error when the
    /// arguments are read); with `NotFound` when the guest does not
    /// exist; with `Overlap` (naming the earliest reservation in the way) when the room
    /// is already booked for one of those nights. Otherwise creates the `Reservation`
    /// (stamped with the current UTC time), puts the guest on it and returns its id —
    /// all in this call's one atomic commit.
    async fn reserve(
        &self,
        this: &mut Room,
        ctx: &mut Ctx,
        guest: user::Id,
        check_in: Date,
        check_out: Date,
    ) -> Result<reservation::Id, room::ReserveError> {
        if !is_valid_stay(check_in, check_out) {
            return Err(InvalidDates {
                check_in,
                check_out,
            }
            .into());
        }
        if !guest.exists(ctx).await? {
            return Err(Error::not_found("User", &guest.0).into());
        }
        let room = this.id();
        let booked = room.reservations(ctx).await?;
        if let Some(existing) = first_overlap(&booked, check_in, check_out) {
            return Err(Overlap {
                reservation: existing.id.clone(),
            }
            .into());
        }
        let reservation = reservation::Init {
            room,
            check_in,
            check_out,
            created_at: ctx.now(),
        }
        .create(ctx)
        .await?;
        reservation.add_to_guests(ctx, &guest).await?;
        Ok(reservation)
    }

    /// True when no reservation of the room covers a night of `[check_in, check_out)`.
    /// A stay that `reserve` would refuse as `InvalidDates` is a `Validation` error here.
    async fn is_free(
        &self,
        this: &Room,
        ctx: &mut Ctx,
        check_in: Date,
        check_out: Date,
    ) -> Result<bool, Error> {
        if !is_valid_stay(check_in, check_out) {
            return Err(Error::validation(format!(
                "`checkOut` must be after `checkIn`, not `{check_out}` for `{check_in}`"
            )));
        }
        let booked = this.id().reservations(ctx).await?;
        Ok(first_overlap(&booked, check_in, check_out).is_none())
    }
}

impl user::Methods for HotelApp {
    /// True when `password` equals the stored one (compared in time independent of
    /// where they differ).
    async fn login(&self, this: &User, _ctx: &mut Ctx, password: String) -> Result<bool, Error> {
        Ok(constant_time_eq(
            this.password.as_bytes(),
            password.as_bytes(),
        ))
    }
}

/// `count` as a length; negative counts are refused.
fn checked_count(count: i64) -> Result<usize, Error> {
    usize::try_from(count)
        .map_err(|_| Error::validation(format!("`count` must be 0 or more, not {count}")))
}

/// Orders hotels by name, then id: the tie-break that keeps rankings stable.
pub fn by_name(a: &Hotel, b: &Hotel) -> Ordering {
    a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id))
}

/// True when the stay has at least one night.
fn is_valid_stay(check_in: Date, check_out: Date) -> bool {
    check_in < check_out
}

/// The earliest reservation (by check-in, then id) sharing a night with the stay
/// `[check_in, check_out)`, if any.
pub fn first_overlap(
    booked: &[Reservation],
    check_in: Date,
    check_out: Date,
) -> Option<&Reservation> {
    booked
        .iter()
        .filter(|r| stays_overlap((r.check_in, r.check_out), (check_in, check_out)))
        .min_by(|a, b| a.check_in.cmp(&b.check_in).then_with(|| a.id.cmp(&b.id)))
}

/// True when the stays `[in, out)` share at least one night: a stay ending on the day
/// another begins does not overlap it.
pub fn stays_overlap(a: (Date, Date), b: (Date, Date)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Byte equality whose running time depends on the lengths only, not on where the two
/// differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    use nubes_runtime::jiff::civil::date;
    use nubes_runtime::jiff::Timestamp;

    fn booking(id: &str, check_in: Date, check_out: Date) -> Reservation {
        Reservation {
            id: id.into(),
            room: room::Id::from("r"),
            check_in,
            check_out,
            created_at: Timestamp::UNIX_EPOCH,
        }
    }

    fn june(day: i8) -> Date {
        date(2026, 6, day)
    }

    #[test]
    fn the_earliest_overlap_is_named() {
        let booked = [
            booking("b", june(5), june(8)),
            booking("a", june(1), june(3)),
            booking("c", june(10), june(12)),
        ];
        let found = first_overlap(&booked, june(2), june(6)).map(|r| r.id.as_str());
        assert_eq!(found, Some("a"));
        assert!(first_overlap(&booked, june(3), june(5)).is_none());
        assert!(first_overlap(&[], june(3), june(5)).is_none());
    }

    #[test]
    fn stays_need_a_night() {
        assert!(is_valid_stay(june(1), june(2)));
        assert!(!is_valid_stay(june(1), june(1)));
        assert!(!is_valid_stay(june(2), june(1)));
        assert!(is_valid_stay(date(2026, 12, 31), date(2027, 1, 1)));
    }

    #[test]
    fn stays_touching_at_a_day_do_not_overlap() {
        assert!(stays_overlap((june(1), june(3)), (june(2), june(4))));
        assert!(!stays_overlap((june(1), june(3)), (june(3), june(4))));
        assert!(stays_overlap((june(1), june(9)), (june(3), june(4))));
    }

    #[test]
    fn counts_and_passwords() {
        assert_eq!(checked_count(3), Ok(3));
        assert_eq!(checked_count(0), Ok(0));
        assert!(matches!(checked_count(-1), Err(Error::Validation { .. })));
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret!"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
