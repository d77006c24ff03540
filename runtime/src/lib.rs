//! The nubes runtime: runs the methods of stateful objects exactly once over a store.
//!
//! - [`store`]: the [`store::Store`] interface with an embedded SQLite backend and a
//!   DynamoDB backend, plus a fault-injecting wrapper for tests.
//! - [`Schema`] and [`layout`]: the object types, their tables and relationships, and
//!   where objects, edges and result records live in a table.
//! - [`Runtime`]: the executor — consistent read, dedup check, run, one conditional
//!   commit with the result record, optimistic retry — and the read-only, setter and
//!   collection paths. [`Ctx`] is what a method sees: reads through the store, buffered
//!   writes.
//!
//! The guarantees, in plain words, are in `docs/runtime.md`.

pub mod config;
pub mod error;
mod executor;
#[cfg(any(feature = "http-server", feature = "http-client"))]
pub mod http;
pub mod invocation;
pub mod lambda;
pub mod layout;
pub mod limits;
mod object_id;
mod records;
pub mod request;
pub mod schema;
pub mod store;
pub mod transport;
pub mod typed;

pub use config::{Clock, Config, ManualClock, SystemClock};
pub use error::Error;
pub use executor::{Ctx, ObjectHandler, OutboxCollector, Runtime, RuntimeBuilder};
pub use invocation::{Invocation, InvocationId, ObjectRef};
pub use request::{Call, Reply, Request};
pub use schema::{ObjectType, Relation, Schema};
pub use store::{Item, Store};
pub use transport::{Delivery, InProcess, RetryPolicy, Transport};

/// Re-exported for generated code, so it needs no dependency of its own.
pub use async_trait;
/// The date and time types of generated models: a schema's `Date` is
/// [`jiff::civil::Date`] and its `Timestamp` is [`jiff::Timestamp`]. Re-exported so that
/// generated code and applications use the same version.
pub use jiff;
/// Re-exported for generated code, so it needs no dependency of its own.
pub use serde_json;

/// Includes the code a build script generated with `nubes-build` into `OUT_DIR`:
/// `include_generated!("hotel_model")` at the root of the `hotel-model` crate.
#[macro_export]
macro_rules! include_generated {
    ($name:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $name, ".rs"));
    };
}

#[cfg(feature = "lambda-client")]
pub use aws_sdk_lambda;
#[cfg(feature = "lambda-handler")]
pub use lambda_runtime;
