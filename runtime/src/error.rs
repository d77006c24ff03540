//! The errors of the runtime, as callers see them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::StoreError;

/// Why an invocation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Error {
    /// The object does not exist (or was deleted).
    #[error("{type_name} `{id}` does not exist")]
    NotFound {
        /// The object type.
        type_name: String,
        /// The object id.
        id: String,
    },
    /// An object with this id exists already.
    #[error("{type_name} `{id}` already exists")]
    AlreadyExists {
        /// The object type.
        type_name: String,
        /// The object id.
        id: String,
    },
    /// The invocation lost the race against concurrent writers too many times.
    #[error("gave up after {attempts} attempts: the objects kept changing underneath")]
    Conflict {
        /// How many times the method ran.
        attempts: u32,
    },
    /// The request is not valid (bad arguments, a read-only field, too many changes …).
    #[error("invalid request: {message}")]
    Validation {
        /// What is wrong.
        message: String,
    },
    /// A typed error the method raised (one of its `raises` list).
    #[error("{name}")]
    User {
        /// The error type's name.
        name: String,
        /// The error's fields.
        data: Value,
    },
    /// The store failed in a way that may or may not have applied the last write; retrying
    /// the invocation with the same id is safe.
    #[error("store unavailable: {message}")]
    Unavailable {
        /// What the store said.
        message: String,
    },
    /// The invocation id is older than the dedup window: it may have run already, so it is
    /// not run again (exactly-once becomes at-most-once past the window).
    #[error("invocation {invocation} is older than the dedup window: it may have run already, so it is not run again")]
    Expired {
        /// The refused invocation id.
        invocation: String,
    },
    /// The store refused the request (a missing table, a malformed item …).
    #[error("store error: {message}")]
    Store {
        /// What the store said.
        message: String,
    },
    /// The method's code panicked. Nothing the call did was committed, and the runtime
    /// and other calls go on. The same call would panic again, so it is not retried.
    #[error("{call} panicked: {message}")]
    Panicked {
        /// The call, e.g. ``Room `r1`.reserve``.
        call: String,
        /// The panic's message.
        message: String,
    },
}

impl Error {
    /// A validation error.
    pub fn validation(message: impl Into<String>) -> Self {
        Error::Validation {
            message: message.into(),
        }
    }

    /// The error for a missing object.
    pub fn not_found(type_name: &str, id: &str) -> Self {
        Error::NotFound {
            type_name: type_name.to_string(),
            id: id.to_string(),
        }
    }

    /// True when retrying the same invocation may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Unavailable { .. })
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(message) | StoreError::Crash(message) => {
                Error::Unavailable { message }
            }
            StoreError::TransactionConflict => Error::Unavailable {
                message: "transaction conflict".into(),
            },
            other => Error::Store {
                message: other.to_string(),
            },
        }
    }
}
