//! The test bodies, by subject. Each is `async fn name(store: Arc<dyn Store>)`, run on
//! both stores by `on_both_stores!` in `e2e.rs`.

pub mod accounts;
pub mod busy_rooms;
pub mod guarantees;
pub mod hotels;
pub mod reservations;
