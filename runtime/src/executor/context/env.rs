//! What every context of one runtime shares: the store, the schema, the handlers of the
//! object types, the settings, a hint of which objects keep their records apart, the
//! collections a commit last proved, and which methods read their object's collection.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::Value;

use super::cache::CollectionCache;
use super::partition::ReadHints;
use super::Ctx;
use crate::config::Config;
use crate::error::Error;
use crate::invocation::ObjectRef;
use crate::schema::Schema;
use crate::store::{Item, Store};

/// The methods of one object type, as the runtime calls them. Generated handlers
/// implement it by dispatching to the user's code; tests implement it by hand.
#[async_trait]
pub trait ObjectHandler: Send + Sync {
    /// True for methods that only read (`readonly fn`): they run without a commit.
    fn is_readonly(&self, method: &str) -> bool;

    /// Runs `method` on the object `ctx.this_ref()` with `args`.
    async fn call(&self, ctx: &mut Ctx, method: &str, args: Value) -> Result<Value, Error>;

    /// Checks the fields of a new object `id` and completes them (defaults filled in)
    /// before it is created. The default accepts them as they are.
    fn prepare_create(&self, id: &str, fields: Item) -> Result<Item, Error> {
        let _ = id;
        Ok(fields)
    }

    /// Checks a new value for `field` before a setter stores it (`null` clears an
    /// optional field) and returns it in the form to store. The default accepts any value
    /// as it is.
    fn prepare_field(&self, field: &str, value: Value) -> Result<Value, Error> {
        let _ = field;
        Ok(value)
    }
}

/// What the executor and every context share.
pub(crate) struct Env {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) schema: Schema,
    pub(crate) handlers: BTreeMap<String, Arc<dyn ObjectHandler>>,
    pub(crate) config: Config,
    pub(crate) apart: ApartHints,
    pub(crate) collections: CollectionCache,
    pub(crate) reads: ReadHints,
}

impl Env {
    pub(crate) fn handler(&self, type_name: &str) -> Result<Arc<dyn ObjectHandler>, Error> {
        self.handlers
            .get(type_name)
            .cloned()
            .ok_or_else(|| Error::validation(format!("no handler for object type `{type_name}`")))
    }
}

/// The most objects [`ApartHints`] remembers; past this it forgets them all.
const MAX_HINTS: usize = 65_536;

/// Which objects this process last saw keeping their records apart, and until when. Only
/// a hint, so that a setter, which does not read first, can pick the right write at once:
/// every write is conditioned so that a wrong hint costs a round trip, never correctness.
#[derive(Debug, Default)]
pub(crate) struct ApartHints(Mutex<HashMap<ObjectRef, u64>>);

impl ApartHints {
    /// True when `object` was last seen keeping its records apart at `at_ms`.
    pub(crate) fn is_apart(&self, object: &ObjectRef, at_ms: u64) -> bool {
        self.0
            .lock()
            .map(|hints| hints.get(object).is_some_and(|until| *until >= at_ms))
            .unwrap_or(false)
    }

    /// True when `object` was seen keeping its records apart at some time, or records kept
    /// apart were found in its partition: some may still lie there.
    pub(crate) fn ever(&self, object: &ObjectRef) -> bool {
        self.0
            .lock()
            .map(|hints| hints.contains_key(object))
            .unwrap_or(true)
    }

    /// Remembers until when `object` keeps its records apart (`None`: it keeps them inline).
    pub(crate) fn learn(&self, object: &ObjectRef, until: Option<u64>) {
        let Ok(mut hints) = self.0.lock() else {
            return;
        };
        match until {
            Some(until) => {
                if hints.len() >= MAX_HINTS {
                    hints.clear();
                }
                hints.insert(object.clone(), until);
            }
            // No longer apart, but records of that time may linger until their expiry is
            // carried out (days, on DynamoDB): `ever` stays true.
            None => {
                if let Some(until) = hints.get_mut(object) {
                    *until = 0;
                }
            }
        }
    }

    /// Remembers that `object`'s partition holds result records kept apart (found in a
    /// read), so that it is not read with its collection again.
    pub(crate) fn saw_records(&self, object: &ObjectRef) {
        let Ok(mut hints) = self.0.lock() else {
            return;
        };
        if !hints.contains_key(object) {
            if hints.len() >= MAX_HINTS {
                hints.clear();
            }
            hints.insert(object.clone(), 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_once_apart_is_remembered_after() {
        let hints = ApartHints::default();
        let room = ObjectRef::new("Room", "r1");
        assert!(!hints.ever(&room));
        hints.learn(&room, Some(2_000));
        assert!(hints.is_apart(&room, 1_000) && hints.ever(&room));
        // Its item no longer keeps records apart; records of that time may linger.
        hints.learn(&room, None);
        assert!(!hints.is_apart(&room, 1_000));
        assert!(hints.ever(&room));
        let other = ObjectRef::new("Room", "r2");
        hints.learn(&other, None);
        assert!(!hints.ever(&other));
        hints.saw_records(&other);
        assert!(hints.ever(&other) && !hints.is_apart(&other, 1_000));
    }
}
