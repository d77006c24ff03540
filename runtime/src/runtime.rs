//! The exactly-once executor.
//!
//! A mutating invocation: read the target (one consistent get) → if its result record
//! holds this invocation id, return the stored outcome → run the method in a [`Ctx`] →
//! commit everything in one conditional write (one request for one item, a transaction
//! for several) → if a condition failed, run again from scratch after a jittered
//! back-off, up to a bound, then `Conflict`. Read-only calls read and return: no write,
//! no record. A generated setter is a single conditional update.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use tracing::Instrument;

use crate::commit::{self, CASCADE_METHOD};
use crate::config::Config;
use crate::ctx::{object_key, user_fields, Ctx, State, CASCADING};
use crate::error::Error;
use crate::invocation::{Invocation, InvocationId, ObjectRef};
use crate::outbox::{self, OutboxCollector};
use crate::records;
use crate::schema::{Relation, Schema};
use crate::store::{
    Condition, Item, Store, StoreError, Update, DELETED, INVOCATIONS, MAX_WRITE_OPS,
};

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
pub struct Env {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) schema: Schema,
    pub(crate) handlers: BTreeMap<String, Arc<dyn ObjectHandler>>,
    pub(crate) config: Config,
}

impl Env {
    pub(crate) fn handler(&self, type_name: &str) -> Result<Arc<dyn ObjectHandler>, Error> {
        self.handlers
            .get(type_name)
            .cloned()
            .ok_or_else(|| Error::validation(format!("no handler for object type `{type_name}`")))
    }
}

/// Builds a [`Runtime`].
pub struct RuntimeBuilder {
    store: Arc<dyn Store>,
    schema: Schema,
    handlers: BTreeMap<String, Arc<dyn ObjectHandler>>,
    config: Config,
}

impl RuntimeBuilder {
    /// Registers the handler of an object type.
    pub fn handler(
        mut self,
        type_name: impl Into<String>,
        handler: Arc<dyn ObjectHandler>,
    ) -> Self {
        self.handlers.insert(type_name.into(), handler);
        self
    }

    /// Replaces the configuration.
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The runtime.
    pub fn build(self) -> Runtime {
        Runtime {
            env: Arc::new(Env {
                store: self.store,
                schema: self.schema,
                handlers: self.handlers,
                config: self.config,
            }),
        }
    }
}

/// One of the things a mutating invocation can do.
#[derive(Debug, Clone)]
enum Operation {
    Method { name: String, args: Value },
    Create { fields: Item },
    Delete,
    AddTo { field: String, ids: Vec<String> },
    RemoveFrom { field: String, ids: Vec<String> },
    Set { field: String, value: Value },
    Cascade,
}

/// Runs object methods exactly once over a [`Store`].
#[derive(Clone)]
pub struct Runtime {
    env: Arc<Env>,
}

impl Runtime {
    /// A runtime over `store` for the types of `schema`.
    pub fn builder(store: Arc<dyn Store>, schema: Schema) -> RuntimeBuilder {
        RuntimeBuilder {
            store,
            schema,
            handlers: BTreeMap::new(),
            config: Config::default(),
        }
    }

    /// The store it runs on.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.env.store
    }

    /// The schema it serves.
    pub fn schema(&self) -> &Schema {
        &self.env.schema
    }

    /// The handler registered for `type_name`.
    pub(crate) fn handler(&self, type_name: &str) -> Result<Arc<dyn ObjectHandler>, Error> {
        self.env.handler(type_name)
    }

    /// Creates the tables of the schema that do not exist yet.
    pub async fn ensure_tables(&self) -> Result<(), Error> {
        Ok(self
            .env
            .store
            .ensure_tables(&self.env.schema.tables())
            .await?)
    }

    /// Runs a declared method. Read-only methods take the read path; the rest run exactly
    /// once per invocation id.
    pub async fn invoke(&self, invocation: &Invocation) -> Result<Value, Error> {
        if invocation.method.starts_with('_') {
            return Err(Error::validation(format!(
                "`{}` is not a method: names starting with `_` belong to the runtime",
                invocation.method
            )));
        }
        self.dispatch(invocation).await
    }

    /// Runs a method, or one of the runtime's own calls that the outbox carries.
    async fn dispatch(&self, invocation: &Invocation) -> Result<Value, Error> {
        let target = ObjectRef::new(&invocation.type_name, &invocation.object);
        if invocation.method == CASCADE_METHOD {
            return self
                .mutate(&invocation.id, target, Operation::Cascade)
                .await;
        }
        let handler = self.env.handler(&invocation.type_name)?;
        if handler.is_readonly(&invocation.method) {
            return self
                .read_only(
                    &invocation.id,
                    target,
                    &invocation.method,
                    invocation.args.clone(),
                )
                .await;
        }
        let operation = Operation::Method {
            name: invocation.method.clone(),
            args: invocation.args.clone(),
        };
        self.mutate(&invocation.id, target, operation).await
    }

    /// Creates an object (`AlreadyExists` if it exists).
    pub async fn create(
        &self,
        id: &InvocationId,
        type_name: &str,
        object: &str,
        fields: Item,
    ) -> Result<(), Error> {
        let target = ObjectRef::new(type_name, object);
        self.mutate(id, target, Operation::Create { fields })
            .await
            .map(drop)
    }

    /// Deletes an object with its relationship edges on both sides.
    pub async fn delete(
        &self,
        id: &InvocationId,
        type_name: &str,
        object: &str,
    ) -> Result<(), Error> {
        self.mutate(id, ObjectRef::new(type_name, object), Operation::Delete)
            .await
            .map(drop)
    }

    /// Adds objects to a collection of `object` (see [`Ctx::add_to`]).
    pub async fn add_to(
        &self,
        id: &InvocationId,
        type_name: &str,
        object: &str,
        field: &str,
        ids: &[String],
    ) -> Result<(), Error> {
        let operation = Operation::AddTo {
            field: field.to_string(),
            ids: ids.to_vec(),
        };
        self.mutate(id, ObjectRef::new(type_name, object), operation)
            .await
            .map(drop)
    }

    /// Removes objects from a collection of `object` (see [`Ctx::remove_from`]).
    pub async fn remove_from(
        &self,
        id: &InvocationId,
        type_name: &str,
        object: &str,
        field: &str,
        ids: &[String],
    ) -> Result<(), Error> {
        let operation = Operation::RemoveFrom {
            field: field.to_string(),
            ids: ids.to_vec(),
        };
        self.mutate(id, ObjectRef::new(type_name, object), operation)
            .await
            .map(drop)
    }

    /// Sets one field. A plain field takes the fast path: one conditional update that
    /// also recognises a duplicate. Read-only fields are refused; references that are one
    /// side of a relationship take the general path, which moves the edge too.
    pub async fn set_field(
        &self,
        id: &InvocationId,
        type_name: &str,
        object: &str,
        field: &str,
        value: Value,
    ) -> Result<(), Error> {
        let object_type = self
            .env
            .schema
            .object(type_name)
            .ok_or_else(|| Error::validation(format!("unknown object type `{type_name}`")))?;
        if field.starts_with('_') {
            return Err(Error::validation(format!(
                "`{field}` is not a field: names starting with `_` belong to the runtime"
            )));
        }
        if object_type.readonly.iter().any(|name| name == field) {
            return Err(Error::validation(format!(
                "`{type_name}.{field}` is read-only: it is set when the object is created and never changes"
            )));
        }
        let target = ObjectRef::new(type_name, object);
        match object_type.relations.get(field) {
            Some(Relation::BackReference { .. }) => {
                let operation = Operation::Set {
                    field: field.to_string(),
                    value,
                };
                self.mutate(id, target, operation).await.map(drop)
            }
            Some(_) => Err(Error::validation(format!(
                "`{type_name}.{field}` is a collection: use add_to / remove_from"
            ))),
            None => self.set_fast(id, &target, field, value).await,
        }
    }

    async fn set_fast(
        &self,
        id: &InvocationId,
        target: &ObjectRef,
        field: &str,
        value: Value,
    ) -> Result<(), Error> {
        check_age(id, &self.env.config)?;
        let key = object_key(&self.env, target);
        let now = self.env.config.clock.now_ms();
        let mut update = Update {
            bump_version: true,
            add_invocations: vec![(id.0.clone(), records::record(&Ok(Value::Null), now))],
            ..Update::default()
        };
        if value.is_null() {
            update.remove.push(field.to_string());
        } else {
            update.set.push((field.to_string(), value));
        }
        let condition = Condition::LiveWithout(id.0.clone());
        let span = tracing::debug_span!("set", invocation = %id, object = %target, field);
        let result = self
            .env
            .store
            .update_returning(&key, &update, &condition)
            .instrument(span)
            .await;
        match result {
            Ok(item) => {
                self.prune_after_fast_path(&key, &item, id.as_str()).await;
                Ok(())
            }
            Err(StoreError::ConditionFailed { current, .. }) => match current {
                Some(item) => match records::lookup(&item, id.as_str()) {
                    Some(stored) => stored.map(drop),
                    None => Err(Error::not_found(&target.type_name, &target.id)),
                },
                None => Err(Error::not_found(&target.type_name, &target.id)),
            },
            Err(error) => Err(error.into()),
        }
    }

    /// Setters add records without reading; once an object holds more than the cap, one
    /// extra conditional update drops the expired and oldest ones (best effort: losing the
    /// race to another writer leaves it to the next call).
    async fn prune_after_fast_path(&self, key: &crate::store::Key, item: &Item, written_by: &str) {
        let config = &self.env.config;
        let Some(records) = item.get(INVOCATIONS).and_then(Value::as_object) else {
            return;
        };
        if records.len() <= config.max_records {
            return;
        }
        let now = config.clock.now_ms();
        let mut gone = records::expired(
            records,
            now,
            config.keep_records_ms(),
            (config.max_records / 2).max(1),
        );
        // Never the record just written: its retry must still find it.
        gone.retain(|invocation| invocation != written_by);
        let update = Update {
            remove_invocations: gone,
            ..Update::default()
        };
        let condition = Condition::Version(crate::store::version_of(item));
        if let Err(error) = self
            .env
            .store
            .update_returning(key, &update, &condition)
            .await
        {
            tracing::debug!(%error, "pruning result records lost a race; the next call prunes");
        }
    }

    /// The fields of an object (one consistent read); `NotFound` if it does not exist.
    pub async fn get(&self, type_name: &str, object: &str) -> Result<Item, Error> {
        let target = ObjectRef::new(type_name, object);
        let item = self.env.store.get(&object_key(&self.env, &target)).await?;
        item.filter(|item| !item.contains_key(DELETED))
            .map(|item| user_fields(&item))
            .ok_or_else(|| Error::not_found(type_name, object))
    }

    /// True when the object exists (one consistent read).
    pub async fn exists(&self, type_name: &str, object: &str) -> Result<bool, Error> {
        match self.get(type_name, object).await {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// The ids in a collection of `object`: the edge query's pages, nothing else.
    pub async fn collection_ids(
        &self,
        type_name: &str,
        object: &str,
        field: &str,
    ) -> Result<Vec<String>, Error> {
        let mut ctx = self.read_ctx(type_name, object);
        ctx.collection_ids(type_name, object, field).await
    }

    /// The objects in a collection of `object`: the edge query's pages plus one batched
    /// read per 100 objects, the batches in parallel — never one read per object.
    pub async fn collection(
        &self,
        type_name: &str,
        object: &str,
        field: &str,
    ) -> Result<Vec<(String, Item)>, Error> {
        let mut ctx = self.read_ctx(type_name, object);
        ctx.collection(type_name, object, field).await
    }

    fn read_ctx(&self, type_name: &str, object: &str) -> Ctx {
        Ctx::new(
            self.env.clone(),
            InvocationId::new(),
            ObjectRef::new(type_name, object),
            true,
        )
    }

    /// Delivers up to `limit` pending asynchronous calls; returns how many were delivered.
    /// A call whose delivery fails in a retryable way stays for the next round.
    pub async fn deliver_outbox(&self, limit: usize) -> Result<usize, Error> {
        let mut delivered = 0;
        for message in outbox::pending(&self.env, limit).await? {
            let Some(invocation) = message.invocation() else {
                tracing::error!(message = %message.key(), "unreadable outbox message set aside");
                outbox::set_aside(&self.env, &message).await?;
                continue;
            };
            match self.dispatch(&invocation).await {
                Err(error @ Error::Expired { .. }) => {
                    tracing::error!(invocation = %invocation.id, %error, "outbox message set aside");
                    outbox::set_aside(&self.env, &message).await?;
                    continue;
                }
                // Its outcome is recorded (or can never be): delivered.
                Ok(_) => {}
                Err(error) if is_final(&error) => {}
                Err(error) => {
                    tracing::debug!(invocation = %invocation.id, %error, "delivery failed; will retry");
                    continue;
                }
            }
            outbox::remove(&self.env, &message).await?;
            delivered += 1;
        }
        Ok(delivered)
    }

    /// Delivers the outbox in the background, every `every` and at once while messages
    /// remain, until [`OutboxCollector::stop`] is called. Needs a Tokio runtime.
    pub fn spawn_outbox_collector(&self, every: std::time::Duration) -> OutboxCollector {
        OutboxCollector::spawn(self.clone(), every)
    }

    async fn read_only(
        &self,
        id: &InvocationId,
        target: ObjectRef,
        method: &str,
        args: Value,
    ) -> Result<Value, Error> {
        let span = tracing::debug_span!("readonly", invocation = %id, object = %target, method);
        async {
            let handler = self.env.handler(&target.type_name)?;
            let mut ctx = Ctx::new(self.env.clone(), id.clone(), target.clone(), true);
            if ctx.entry(&target).await?.fields.is_none() {
                return Err(Error::not_found(&target.type_name, &target.id));
            }
            handler.call(&mut ctx, method, args).await
        }
        .instrument(span)
        .await
    }

    /// The mutating path: read, dedup, run, commit, retry on conflict.
    async fn mutate(
        &self,
        id: &InvocationId,
        target: ObjectRef,
        operation: Operation,
    ) -> Result<Value, Error> {
        check_age(id, &self.env.config)?;
        let span = tracing::debug_span!("invoke", invocation = %id, object = %target);
        async {
            let config = &self.env.config;
            for attempt in 1..=config.max_attempts {
                let mut ctx = Ctx::new(self.env.clone(), id.clone(), target.clone(), false);
                let entry = ctx.entry(&target).await?;
                if let Some(stored) = entry
                    .original
                    .as_ref()
                    .and_then(|item| records::lookup(item, id.as_str()))
                {
                    tracing::debug!(attempt, "duplicate: answered from the result record");
                    return stored;
                }
                let exists = entry.fields.is_some();
                let cascading = entry
                    .original
                    .as_ref()
                    .is_some_and(|item| item.contains_key(CASCADING));
                if matches!(operation, Operation::Cascade) && (exists || !cascading) {
                    // Nothing left to remove (or not a deleted object): done.
                    return Ok(Value::Null);
                }
                match (&operation, exists) {
                    (Operation::Create { .. }, true) => {
                        return Err(Error::AlreadyExists {
                            type_name: target.type_name.clone(),
                            id: target.id.clone(),
                        })
                    }
                    (Operation::Cascade, _) | (Operation::Create { .. }, false) | (_, true) => {}
                    (_, false) => return Err(Error::not_found(&target.type_name, &target.id)),
                }
                let outcome = run(&mut ctx, &operation).await;
                if let Err(error) = &outcome {
                    if !is_final(error) {
                        return Err(error.clone());
                    }
                }
                let ops = commit::prepare(&mut ctx, &outcome).await?;
                debug_assert!(ops.len() <= MAX_WRITE_OPS);
                match self.env.store.write(ops).await {
                    Ok(()) => return outcome,
                    Err(StoreError::ConditionFailed { .. } | StoreError::TransactionConflict) => {
                        tracing::debug!(attempt, "lost a race; running again");
                        back_off(config, attempt).await;
                    }
                    Err(error) => return Err(error.into()),
                }
            }
            Err(Error::Conflict {
                attempts: config.max_attempts,
            })
        }
        .instrument(span)
        .await
    }
}

/// Outcomes that are recorded as the invocation's answer. Store failures are not: the
/// client retries them with the same id.
fn is_final(error: &Error) -> bool {
    !matches!(
        error,
        Error::Unavailable { .. } | Error::Store { .. } | Error::Conflict { .. }
    )
}

/// Runs one operation in `ctx`.
async fn run(ctx: &mut Ctx, operation: &Operation) -> Result<Value, Error> {
    let target = ctx.this_ref().clone();
    let (type_name, id) = (target.type_name.as_str(), target.id.as_str());
    match operation {
        Operation::Method { name, args } => {
            let handler = ctx.env.handler(type_name)?;
            handler.call(ctx, name, args.clone()).await
        }
        Operation::Create { fields } => ctx
            .create(type_name, id, fields.clone())
            .await
            .map(|()| Value::Null),
        Operation::Delete => ctx.delete(type_name, id).await.map(|()| Value::Null),
        Operation::AddTo { field, ids } => {
            for other in ids {
                ctx.add_to(type_name, id, field, other).await?;
            }
            Ok(Value::Null)
        }
        Operation::RemoveFrom { field, ids } => {
            for other in ids {
                ctx.remove_from(type_name, id, field, other).await?;
            }
            Ok(Value::Null)
        }
        Operation::Set { field, value } => ctx
            .set(type_name, id, field, value.clone())
            .await
            .map(|()| Value::Null),
        Operation::Cascade => {
            let budget = commit::cascade_budget(ctx);
            if commit::cascade(ctx, &target, budget).await? {
                commit::queue_cascade(ctx, &target);
            } else {
                ctx.cascading = Some(false);
            }
            if let Some(entry) = ctx.objects.get_mut(&target) {
                entry.state = State::Read;
            }
            Ok(Value::Null)
        }
    }
}

/// Waits before attempt `attempt + 1`: exponential with full jitter, capped.
async fn back_off(config: &Config, attempt: u32) {
    let base = config.backoff.as_micros() as u64;
    let ceiling = base.saturating_mul(1 << attempt.min(8)).min(250_000);
    let wait = fastrand::u64(0..=ceiling.max(1));
    tokio::time::sleep(std::time::Duration::from_micros(wait)).await;
}

/// Refuses an invocation whose id (a UUID v7, or derived from one) is older than the dedup
/// window: its record may be gone, so running it could run it twice.
fn check_age(id: &InvocationId, config: &Config) -> Result<(), Error> {
    let root = id.as_str().split('.').next().unwrap_or("");
    let Ok(uuid) = uuid::Uuid::parse_str(root) else {
        return Ok(());
    };
    let Some(timestamp) = uuid.get_timestamp() else {
        return Ok(());
    };
    let (seconds, nanos) = timestamp.to_unix();
    let created_ms = seconds * 1000 + u64::from(nanos) / 1_000_000;
    let now = config.clock.now_ms();
    if now.saturating_sub(created_ms) > config.window_ms() {
        return Err(Error::Expired {
            invocation: id.to_string(),
        });
    }
    Ok(())
}
