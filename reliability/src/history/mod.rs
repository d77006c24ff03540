//! Checked histories: concurrent clients make seeded random calls of the hotel while the
//! store fails; every call's invocation id, arguments and final answer are recorded, and
//! [`CommitLog`](commit_log::CommitLog), a store wrapper under the faults, notes the order
//! in which calls committed. The checker ([`check::check`]) then proves the history
//! correct:
//!
//! - replaying the committed calls in commit order on a plain-Rust [`model::Model`]
//!   gives each the answer it got, and the stored state the model's;
//! - a call that did not commit got an answer that changes nothing, one a state it may
//!   have seen explains; a call whose answer the runtime records did commit;
//! - every duplicate of a call got the call's answer;
//! - the invariants of [`invariants`] hold on the stored state.
//!
//! `reliability/tests/histories.rs` runs it; its module documentation says how.

pub mod check;
pub mod commit_log;
pub mod invariants;
pub mod model;
pub mod task;
pub mod view;
