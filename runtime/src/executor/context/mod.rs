//! The context a method runs in: it reads objects through the store (remembering the
//! version of everything read), and buffers every change — field updates, creations,
//! deletions, relationship edges, asynchronous calls — until the executor commits them
//! atomically. Nothing reaches the store before the commit.
//!
//! This file holds the context and its reads, nested and asynchronous calls;
//! `changes` the buffered changes; `collections` collection reads; `partition` an object
//! read with its collection in one query; `cache` the collections a commit proved;
//! `presumed` objects taken to exist without a read; `env` what every context of a
//! runtime shares; `method_hints` what the runtime remembers per method.

mod cache;
mod changes;
mod collections;
mod env;
mod method_hints;
mod partition;
mod presumed;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

pub(crate) use self::cache::{proved_by, typed_members, CollectionCache, Proved, Seen};
pub use self::env::ObjectHandler;
pub(crate) use self::env::{ApartHints, Env};
pub(crate) use self::partition::{collection_to_read_with, ReadHints};
pub(crate) use self::presumed::{Presumed, Presumptions};
use crate::error::Error;
use crate::invocation::{Invocation, InvocationId, ObjectRef};
use crate::layout::{live_fields, object_key};
use crate::limits;
use crate::schema::ObjectType;
use crate::store::{version_of, Item, Key};
/// What the invocation did to an object it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Only read.
    Read,
    /// Changed (it existed).
    Changed,
    /// Created (it was absent or a tombstone).
    Created,
    /// Deleted (it existed).
    Deleted,
}

/// An object the invocation has read.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The stored item as read (with system attributes); `None` when absent.
    pub original: Option<Item>,
    /// The object's fields now; `None` when absent or deleted.
    pub fields: Option<Item>,
    /// What happened to it.
    pub state: State,
    /// The collection this object was first reached through (`Type.field` of its
    /// owner), when it was; `None` when read by id. Shared by every object of one read.
    pub via: Option<Arc<str>>,
    /// True when the commit need not check this object's version, because its owner's
    /// version covers it: it was reached through a one-to-many or many-to-many
    /// collection whose owner this commit validates, it existed, and either none of its
    /// fields can change (an immutable type) or every change to them bumps that owner (a
    /// tracked list). Reading the object's own collections clears it.
    pub covered: bool,
}

impl Entry {
    fn from_stored(original: Option<Item>) -> Self {
        let mut entry = Entry {
            original,
            fields: None,
            state: State::Read,
            via: None,
            covered: false,
        };
        entry.forget_changes();
        entry
    }

    /// Back to the object as read: its stored fields, only read.
    pub(crate) fn forget_changes(&mut self) {
        self.fields = live_fields(self.original.as_ref());
        self.state = State::Read;
    }

    /// The version read (0 when absent).
    pub fn version(&self) -> u64 {
        self.original.as_ref().map_or(0, version_of)
    }
}

/// The buffered changes of a context at one moment, to undo a failed nested call.
struct Savepoint {
    objects: BTreeMap<ObjectRef, (Option<Item>, State)>,
    edges: BTreeMap<Key, Option<Item>>,
    bumps: BTreeSet<ObjectRef>,
    outbox: usize,
}

/// The context of one invocation. Method code reads and changes objects only through it.
pub struct Ctx {
    pub(crate) env: Arc<Env>,
    pub(crate) invocation: InvocationId,
    pub(crate) step: u32,
    /// True while the running method (or the nested call running now) may only read.
    pub(crate) readonly: bool,
    /// True when the invocation ends in a commit, which validates everything it read
    /// (false for a read-only invocation, even while a nested call runs).
    pub(crate) commits: bool,
    /// The object whose method runs, innermost nested call last.
    pub(crate) targets: Vec<ObjectRef>,
    pub(crate) objects: BTreeMap<ObjectRef, Entry>,
    /// Many-to-many edges to write (`Some`) or delete (`None`).
    pub(crate) edges: BTreeMap<Key, Option<Item>>,
    /// Objects whose collections changed: their version goes up in the commit.
    pub(crate) bumps: BTreeSet<ObjectRef>,
    /// Asynchronous calls to deliver after the commit.
    pub(crate) outbox: Vec<Invocation>,
    /// Whether the root target, a tombstone, still has relationships for a queued cascade
    /// chunk to remove: `Some` when this invocation decided it, `None` to keep what is
    /// stored.
    pub(crate) cascading: Option<bool>,
    /// The collections of immutable objects read at a known version of their owner: a
    /// successful commit proves them for the collection cache.
    pub(crate) seen: Vec<Seen>,
    /// Collections read in one query with their owner.
    pub(crate) prefetched: Vec<partition::Prefetched>,
    /// True once the method read its own object's collection (see `partition`).
    pub(crate) read_own_collection: bool,
    /// Objects taken to exist without a read (see `presumed`).
    pub(crate) presumed: Presumed,
    /// The refusal of the last object id the call named that no store can hold (empty,
    /// too long): a call that ends with it is refused, not recorded — it would be refused
    /// alike again.
    pub(crate) invalid_id: Option<Error>,
}

impl Ctx {
    pub(crate) fn new(
        env: Arc<Env>,
        invocation: InvocationId,
        target: ObjectRef,
        readonly: bool,
    ) -> Self {
        Ctx {
            env,
            invocation,
            step: 0,
            readonly,
            commits: !readonly,
            targets: vec![target],
            objects: BTreeMap::new(),
            edges: BTreeMap::new(),
            bumps: BTreeSet::new(),
            outbox: Vec::new(),
            cascading: None,
            seen: Vec::new(),
            prefetched: Vec::new(),
            read_own_collection: false,
            presumed: Presumed::default(),
            invalid_id: None,
        }
    }

    /// The id of this invocation.
    pub fn invocation_id(&self) -> &InvocationId {
        &self.invocation
    }

    /// The object whose method is running.
    pub fn this_ref(&self) -> &ObjectRef {
        // `targets` always holds the invocation's target; nested calls push and pop.
        &self.targets[self.targets.len() - 1]
    }

    /// The time now, in milliseconds since the Unix epoch, from the runtime's clock (a
    /// [`crate::ManualClock`] in tests). A method that runs again after a conflict sees a
    /// later time.
    pub fn now_ms(&self) -> u64 {
        self.env.config.clock.now_ms()
    }

    /// The time now as a `Timestamp` (whole milliseconds), from the same clock as
    /// [`Ctx::now_ms`]. A clock beyond the year 9999 reads as the latest `Timestamp`.
    pub fn now(&self) -> jiff::Timestamp {
        i64::try_from(self.now_ms())
            .ok()
            .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
            .unwrap_or(jiff::Timestamp::MAX)
    }

    /// The next step number, for ids of nested and asynchronous calls.
    pub fn next_step(&mut self) -> u32 {
        self.step += 1;
        self.step
    }

    fn type_of(&self, type_name: &str) -> Result<&ObjectType, Error> {
        limits::check_type(&self.env.schema, type_name)
    }

    fn require_writable(&self, what: &str) -> Result<(), Error> {
        if self.readonly {
            Err(Error::validation(format!(
                "a read-only method cannot {what}"
            )))
        } else {
            Ok(())
        }
    }

    /// Checks the type and id of an object the call names.
    fn check_object(&mut self, object: &ObjectRef) -> Result<(), Error> {
        self.type_of(&object.type_name)?;
        self.check_id(&object.type_name, &object.id)
    }

    /// Checks an object id the call names (see [`limits::check_object_id`]).
    fn check_id(&mut self, type_name: &str, id: &str) -> Result<(), Error> {
        let checked = limits::check_object_id(type_name, id);
        if let Err(error) = &checked {
            self.invalid_id = Some(error.clone());
        }
        checked
    }

    /// Reads an object into the context (from the store on first use).
    pub(crate) async fn entry(&mut self, object: &ObjectRef) -> Result<&mut Entry, Error> {
        if !self.objects.contains_key(object) {
            self.check_object(object)?;
            let key = object_key(&self.env.schema, object);
            let item = self.env.store.get(&key).await?;
            return self.assume(object, item);
        }
        self.held(object)
    }

    /// Puts `object` into the context as stored `item` without reading it: taken to be
    /// absent (`None`), or as the store handed it back. An object already held stays as
    /// it is.
    pub(crate) fn assume(
        &mut self,
        object: &ObjectRef,
        item: Option<Item>,
    ) -> Result<&mut Entry, Error> {
        self.check_object(object)?;
        if !self.objects.contains_key(object) {
            self.objects
                .insert(object.clone(), Entry::from_stored(item));
            self.settle(object);
        }
        self.held(object)
    }

    /// The entry of an object the context holds.
    fn held(&mut self, object: &ObjectRef) -> Result<&mut Entry, Error> {
        self.objects
            .get_mut(object)
            .ok_or_else(|| Error::validation("internal: an object vanished from the context"))
    }

    /// Reads several objects with batched gets (those not read yet).
    pub(crate) async fn entries(&mut self, objects: &[ObjectRef]) -> Result<(), Error> {
        let missing: Vec<ObjectRef> = objects
            .iter()
            .filter(|object| !self.objects.contains_key(object))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        for object in &missing {
            self.check_object(object)?;
        }
        // The store splits the keys into batches of 100 and sends them in parallel.
        let keys: Vec<Key> = missing
            .iter()
            .map(|object| object_key(&self.env.schema, object))
            .collect();
        let items = self.env.store.batch_get(&keys).await?;
        for (object, item) in missing.into_iter().zip(items) {
            self.objects
                .insert(object.clone(), Entry::from_stored(item));
            self.settle(&object);
        }
        Ok(())
    }

    /// The fields of the running object.
    pub async fn this(&mut self) -> Result<Item, Error> {
        let this = self.this_ref().clone();
        self.load(&this.type_name, &this.id)
            .await?
            .ok_or_else(|| Error::not_found(&this.type_name, &this.id))
    }

    /// The fields of an object, or `None` if it does not exist.
    pub async fn load(&mut self, type_name: &str, id: &str) -> Result<Option<Item>, Error> {
        let object = ObjectRef::new(type_name, id);
        Ok(self.entry(&object).await?.fields.clone())
    }

    /// True when the object exists. In a changing call, an object of a mutable type that the call has not read is
    /// presumed to exist and checked at commit instead (see `presumed`).
    pub async fn exists(&mut self, type_name: &str, id: &str) -> Result<bool, Error> {
        self.check_id(type_name, id)?;
        if self.presume(&ObjectRef::new(type_name, id)) {
            return Ok(true);
        }
        Ok(self.load(type_name, id).await?.is_some())
    }

    /// Calls a method of another object inline: it runs in this context and commits with
    /// this invocation, atomically.
    pub async fn call(
        &mut self,
        type_name: &str,
        id: &str,
        method: &str,
        args: Value,
    ) -> Result<Value, Error> {
        let handler = self.env.handler(type_name)?;
        if !handler.is_readonly(method) {
            self.require_writable(&format!("call the mutating method `{type_name}.{method}`"))?;
        }
        if !self.exists(type_name, id).await? {
            return Err(Error::not_found(type_name, id));
        }
        self.next_step();
        let savepoint = self.savepoint();
        let was_readonly = self.readonly;
        self.readonly |= handler.is_readonly(method);
        self.targets.push(ObjectRef::new(type_name, id));
        let result = Box::pin(handler.call(self, method, args)).await;
        self.targets.pop();
        self.readonly = was_readonly;
        if result.is_err() {
            // A failed call changes nothing, even when its caller carries on.
            self.restore(savepoint);
        }
        result
    }

    /// The buffered changes as they are now (reads are kept apart: they stay read).
    fn savepoint(&self) -> Savepoint {
        Savepoint {
            objects: self
                .objects
                .iter()
                .map(|(object, entry)| (object.clone(), (entry.fields.clone(), entry.state)))
                .collect(),
            edges: self.edges.clone(),
            bumps: self.bumps.clone(),
            outbox: self.outbox.len(),
        }
    }

    /// Undoes every change made since `savepoint`; objects read since then stay read.
    fn restore(&mut self, savepoint: Savepoint) {
        for (object, entry) in &mut self.objects {
            match savepoint.objects.get(object) {
                Some((fields, state)) => {
                    entry.fields = fields.clone();
                    entry.state = *state;
                }
                None => entry.forget_changes(),
            }
        }
        self.edges = savepoint.edges;
        self.bumps = savepoint.bumps;
        self.outbox.truncate(savepoint.outbox);
    }

    /// Calls a method asynchronously: the call is stored with this invocation's commit and
    /// delivered afterwards, at least once, and runs exactly once.
    pub fn send(
        &mut self,
        type_name: &str,
        id: &str,
        method: &str,
        args: Value,
    ) -> Result<(), Error> {
        self.require_writable("send calls")?;
        self.type_of(type_name)?;
        self.check_id(type_name, id)?;
        limits::check_member_name("method", method)?;
        let step = self.next_step();
        self.outbox.push(Invocation {
            id: self.invocation.child(step),
            type_name: type_name.to_string(),
            object: id.to_string(),
            method: method.to_string(),
            args,
        });
        Ok(())
    }
}
