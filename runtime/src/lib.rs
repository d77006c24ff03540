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
pub mod lambda;
mod object_id;
pub mod outbox;
mod records;
mod relations;
pub mod request;
mod runtime;
pub mod schema;
pub mod store;
pub mod transport;
pub mod typed;

pub use config::{Clock, Config, ManualClock, SystemClock};
pub use ctx::Ctx;
pub use error::Error;
pub use invocation::{Invocation, InvocationId, ObjectRef};
pub use request::{Call, Reply, Request};
pub use runtime::{ObjectHandler, Runtime, RuntimeBuilder};
pub use schema::{ObjectType, Relation, Schema};
pub use store::{Item, Store};
pub use transport::{InProcess, RetryPolicy, Transport};

/// Re-exported for generated code, so it needs no dependency of its own.
pub use async_trait;
/// Re-exported for generated code, so it needs no dependency of its own.
pub use serde_json;

#[cfg(feature = "lambda-client")]
pub use aws_sdk_lambda;
#[cfg(feature = "lambda-handler")]
pub use lambda_runtime;
