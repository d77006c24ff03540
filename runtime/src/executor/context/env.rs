//! What every context of one runtime shares: the store, the schema, the handlers of the
//! object types, the settings, a hint of which objects keep large records apart, the
//! methods whose presumption that an object exists failed, the collections a commit last
//! proved, and which methods read their object's collection.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::Value;

use super::cache::CollectionCache;
use super::partition::ReadHints;
use super::presumed::Presumptions;
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

    /// Checks that `method` exists and that `args` are its arguments, before the runtime
    /// reads or writes anything for the call: a malformed call is refused without a trace
    /// in the store. The default accepts every call (and [`ObjectHandler::call`] refuses
    /// it instead).
    fn check_args(&self, method: &str, args: &Value) -> Result<(), Error> {
        let _ = (method, args);
        Ok(())
    }

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
    pub(crate) presumptions: Presumptions,
    pub(crate) collections: CollectionCache,
    pub(crate) reads: ReadHints,
    pub(crate) outbox_rounds: crate::executor::outbox::Rounds,
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

/// Which objects this process saw keep large result records apart, as items of their own
/// between the object's item and its edges. Only a hint, so that such an object is not
/// read with its collection in one query (see `partition`).
#[derive(Debug, Default)]
pub(crate) struct ApartHints(Mutex<HashSet<ObjectRef>>);

impl ApartHints {
    /// True when `object` was seen keeping a record apart: some may still lie there.
    pub(crate) fn ever(&self, object: &ObjectRef) -> bool {
        self.0
            .lock()
            .map(|hints| hints.contains(object))
            .unwrap_or(true)
    }

    /// Remembers that `object`'s partition holds result records kept apart (committed, or
    /// found in a read), so that it is not read with its collection again.
    pub(crate) fn saw_records(&self, object: &ObjectRef) {
        let Ok(mut hints) = self.0.lock() else {
            return;
        };
        if !hints.contains(object) {
            if hints.len() >= MAX_HINTS {
                hints.clear();
            }
            hints.insert(object.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_seen_keeping_records_apart_is_remembered() {
        let hints = ApartHints::default();
        let room = ObjectRef::new("Room", "r1");
        assert!(!hints.ever(&room));
        hints.saw_records(&room);
        assert!(hints.ever(&room));
        assert!(!hints.ever(&ObjectRef::new("Room", "r2")));
    }
}
