//! The hotel application end to end through the generated client, on SQLite and on
//! DynamoDB (moto): the nine tasks of the benchmark (DESIGN.md §7), retries answered once,
//! and `@readonly` fields that no request can change.
//!
//! Each test body is an `async fn name(store: Arc<dyn Store>)` in `scenarios/`;
//! `on_both_stores!` runs it as `sqlite::name` and `dynamo::name`. The DynamoDB half
//! starts moto through `scripts/moto` (or uses `NUBES_DYNAMO_ENDPOINT`).

mod fixture;
mod scenarios;
#[macro_use]
#[path = "../../../runtime/tests/support/mod.rs"]
mod support;

use scenarios::accounts::{delete_user, get_user_reservations, login, user_registration};
use scenarios::busy_rooms::{
    a_reservation_deleted_during_a_reserve, concurrent_reserves_of_the_same_nights,
    reserve_at_any_number_of_reservations,
};
use scenarios::guarantees::{
    a_retried_create_is_answered_once, a_retried_reserve_is_answered_once,
    readonly_fields_cannot_change_by_any_path,
};
use scenarios::hotels::{get_hotels, recommend_location, recommend_price, set_hotel_rate};
use scenarios::reservations::{reserve, reserve_refuses_invalid_dates, reserve_refuses_overlaps};

on_both_stores!(
    // The nine tasks of DESIGN.md §7 (reserve with its refusals in three bodies).
    user_registration,
    delete_user,
    set_hotel_rate,
    reserve,
    reserve_refuses_overlaps,
    reserve_refuses_invalid_dates,
    recommend_location,
    recommend_price,
    login,
    get_hotels,
    get_user_reservations,
    // Guarantees across tasks.
    a_retried_create_is_answered_once,
    a_retried_reserve_is_answered_once,
    readonly_fields_cannot_change_by_any_path,
    // A room with a long history.
    reserve_at_any_number_of_reservations,
    concurrent_reserves_of_the_same_nights,
    a_reservation_deleted_during_a_reserve,
);
