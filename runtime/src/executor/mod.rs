//! The exactly-once executor, in layers that depend one way:
//!
//! - [`context`]: what a method runs in — reads through the store, buffered changes,
//!   collection reads — and what every context shares ([`ObjectHandler`]s, the store,
//!   the schema, the settings);
//! - `outbox` and `cascade`: storing asynchronous calls, and deleting relationships in
//!   chunks, as parts of a commit;
//! - `commit`: a finished context → one atomic, conditional write with the result record;
//! - `execute`: one invocation from read to commit, with retries and duplicates, and the
//!   read-only path; `setter`: the setter's single-request path; `unwind`: a method's
//!   panic ends its call only;
//! - this file: [`Runtime`], the entry points; `delivery`: the outbox's delivery.
//!
//! To follow one invocation: [`Runtime::invoke`] → `execute::mutate` → a [`Ctx`] runs the
//! method → `commit::prepare` → the store's `write`.

mod cascade;
mod commit;
pub(crate) mod context;
mod delivery;
mod execute;
pub(crate) mod outbox;
mod setter;
mod unwind;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

pub(crate) use self::context::typed_members;
use self::context::{ApartHints, CollectionCache, Env, Presumptions, ReadHints};
pub use self::context::{Ctx, ObjectHandler};
pub use self::delivery::OutboxCollector;
use self::execute::{is_cascade, mutate, read_only, Operation};
use crate::config::Config;
use crate::error::Error;
use crate::invocation::{Invocation, InvocationId, ObjectRef};
use crate::layout::{live_fields, object_key};
use crate::limits;
use crate::schema::{Relation, Schema};
use crate::store::{Item, Store};

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
        let collections =
            CollectionCache::new(self.config.collection_cache, self.config.dedup_window);
        Runtime {
            env: Arc::new(Env {
                store: self.store,
                schema: self.schema,
                handlers: self.handlers,
                config: self.config,
                apart: ApartHints::default(),
                presumptions: Presumptions::default(),
                collections,
                reads: ReadHints::default(),
                outbox_rounds: outbox::Rounds::default(),
            }),
        }
    }
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

    /// Its configuration.
    pub fn config(&self) -> &Config {
        &self.env.config
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
        self.check_call(&invocation.id, &invocation.type_name, &invocation.object)?;
        self.run_method(invocation).await
    }

    /// Runs a declared method of a call whose id, type and object are checked already:
    /// refuses the runtime's own names and arguments the method does not take, then
    /// dispatches.
    pub(crate) async fn run_method(&self, invocation: &Invocation) -> Result<Value, Error> {
        limits::check_member_name("method", &invocation.method)?;
        self.env
            .handler(&invocation.type_name)?
            .check_args(&invocation.method, &invocation.args)?;
        self.dispatch(invocation).await
    }

    /// Runs a method, or one of the runtime's own calls that the outbox carries.
    pub(crate) async fn dispatch(&self, invocation: &Invocation) -> Result<Value, Error> {
        let target = ObjectRef::new(&invocation.type_name, &invocation.object);
        if is_cascade(&invocation.method) {
            return mutate(&self.env, &invocation.id, target, Operation::Cascade).await;
        }
        let handler = self.env.handler(&invocation.type_name)?;
        if handler.is_readonly(&invocation.method) {
            return read_only(
                &self.env,
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
        mutate(&self.env, &invocation.id, target, operation).await
    }

    /// Creates an object (`AlreadyExists` if it exists).
    pub async fn create(
        &self,
        id: &InvocationId,
        type_name: &str,
        object: &str,
        fields: Item,
    ) -> Result<(), Error> {
        self.run_member(id, type_name, object, Operation::Create { fields })
            .await
    }

    /// Deletes an object with its relationship edges on both sides.
    pub async fn delete(
        &self,
        id: &InvocationId,
        type_name: &str,
        object: &str,
    ) -> Result<(), Error> {
        self.run_member(id, type_name, object, Operation::Delete)
            .await
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
        let (field, ids) = (field.to_string(), ids.to_vec());
        self.run_member(id, type_name, object, Operation::AddTo { field, ids })
            .await
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
        let (field, ids) = (field.to_string(), ids.to_vec());
        self.run_member(id, type_name, object, Operation::RemoveFrom { field, ids })
            .await
    }

    /// Runs one of the members every object has (they answer nothing) exactly once.
    async fn run_member(
        &self,
        id: &InvocationId,
        type_name: &str,
        object: &str,
        operation: Operation,
    ) -> Result<(), Error> {
        self.check_call(id, type_name, object)?;
        if let Operation::AddTo { field, ids } | Operation::RemoveFrom { field, ids } = &operation {
            let target = self.collection_target(type_name, field)?;
            limits::check_ids(type_name, field, target, ids)?;
        }
        let target = ObjectRef::new(type_name, object);
        mutate(&self.env, id, target, operation).await.map(drop)
    }

    /// Checks what every call names before anything is read or written: its invocation
    /// id, its object type and its object id (see [`limits`]).
    pub(crate) fn check_call(
        &self,
        id: &InvocationId,
        type_name: &str,
        object: &str,
    ) -> Result<(), Error> {
        limits::check_invocation_id(id)?;
        self.check_object(type_name, object)
    }

    /// Checks an object's type and id.
    fn check_object(&self, type_name: &str, object: &str) -> Result<(), Error> {
        limits::check_type(self.schema(), type_name)?;
        limits::check_object_id(type_name, object)
    }

    /// The type of the objects in the collection `field` of `type_name`.
    fn collection_target(&self, type_name: &str, field: &str) -> Result<&str, Error> {
        let relation = self
            .schema()
            .object(type_name)
            .and_then(|object_type| object_type.relations.get(field));
        match relation {
            Some(
                Relation::OneToMany { target, .. }
                | Relation::ManyToMany { target, .. }
                | Relation::ReferenceList { target },
            ) => Ok(target),
            Some(Relation::BackReference { .. }) => Err(Error::validation(format!(
                "`{type_name}.{field}` is a reference: set it instead"
            ))),
            None => Err(Error::validation(format!(
                "`{type_name}` has no collection `{field}`"
            ))),
        }
    }

    /// Sets one field. A plain field takes the fast path: one conditional update that
    /// also recognises a duplicate. Read-only fields (every field of an immutable type)
    /// are refused; references that are one side of a relationship take the general path,
    /// which moves the edge too, and so does every field of a child in a tracked list,
    /// whose change bumps its parent.
    pub async fn set_field(
        &self,
        id: &InvocationId,
        type_name: &str,
        object: &str,
        field: &str,
        value: Value,
    ) -> Result<(), Error> {
        limits::check_invocation_id(id)?;
        let object_type = limits::check_type(self.schema(), type_name)?;
        limits::check_object_id(type_name, object)?;
        limits::check_member_name("field", field)?;
        if object_type.readonly.iter().any(|name| name == field) || object_type.immutable {
            return Err(Error::validation(format!(
                "`{type_name}.{field}` is read-only: it is set when the object is created and never changes"
            )));
        }
        let target = ObjectRef::new(type_name, object);
        // A child in a tracked list bumps its parent: the general path reads the parent.
        let tracked_child = object_type.back_references().any(|(_, parent, list)| {
            self.env
                .schema
                .object(parent)
                .is_some_and(|parent| parent.tracked.contains(list))
        });
        match object_type.relations.get(field) {
            Some(Relation::BackReference { .. }) => {}
            None if tracked_child => {}
            Some(_) => {
                return Err(Error::validation(format!(
                    "`{type_name}.{field}` is a collection: use add_to / remove_from"
                )))
            }
            None => return setter::set_field(&self.env, id, &target, field, value).await,
        }
        let operation = Operation::Set {
            field: field.to_string(),
            value,
        };
        self.run_member(id, type_name, object, operation).await
    }

    /// The fields of an object (one consistent read); `NotFound` if it does not exist.
    pub async fn get(&self, type_name: &str, object: &str) -> Result<Item, Error> {
        self.check_object(type_name, object)?;
        let target = ObjectRef::new(type_name, object);
        let item = self
            .env
            .store
            .get(&object_key(&self.env.schema, &target))
            .await?;
        live_fields(item.as_ref()).ok_or_else(|| Error::not_found(type_name, object))
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
        self.check_object(type_name, object)?;
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
        self.check_object(type_name, object)?;
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

    /// What every context of this runtime shares.
    pub(crate) fn env(&self) -> &Arc<Env> {
        &self.env
    }
}
