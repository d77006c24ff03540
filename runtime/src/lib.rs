//! The nubes runtime: runs the methods of stateful objects exactly once over a store.
//!
//! - [`store`]: the [`store::Store`] interface with an embedded SQLite backend and a
//!   DynamoDB backend, plus a fault-injecting wrapper for tests.
//! - [`Runtime`]: the executor — consistent read, dedup check, run, one conditional
//!   commit, optimistic retry — and the read-only, setter and collection paths.
//! - [`Ctx`]: what a method sees: reads through the store, buffered writes.
//! - [`Schema`]: the object types, their tables and relationships.
//!
//! The guarantees, in plain words, are in `docs/runtime.md`.

mod commit;
pub mod config;
mod ctx;
pub mod error;
pub mod invocation;
pub mod outbox;
mod records;
mod relations;
mod runtime;
pub mod schema;
pub mod store;

pub use config::{Clock, Config, ManualClock, SystemClock};
pub use ctx::Ctx;
pub use error::Error;
pub use invocation::{Invocation, InvocationId, ObjectRef};
pub use runtime::{ObjectHandler, Runtime, RuntimeBuilder};
pub use schema::{ObjectType, Relation, Schema};
pub use store::{Item, Store};
