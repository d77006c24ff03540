//! The context a method runs in: it reads objects through the store (remembering the
//! version of everything read), and buffers every change — field updates, creations,
//! deletions, relationship edges, asynchronous calls — until the runtime commits them
//! atomically. Nothing reaches the store before the commit.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::invocation::{Invocation, InvocationId, ObjectRef};
use crate::runtime::Env;
use crate::schema::{ObjectType, Relation};
use crate::store::{version_of, Item, Key, DELETED};

/// The attribute on a tombstone whose relationships are still being removed in chunks.
pub(crate) const CASCADING: &str = "_cascading";

/// The sort key of an object's own item.
pub const OBJECT_SK: &str = "#";

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
}

impl Entry {
    fn from_stored(original: Option<Item>) -> Self {
        let fields = original
            .as_ref()
            .filter(|item| !item.contains_key(DELETED))
            .map(user_fields);
        Entry {
            original,
            fields,
            state: State::Read,
        }
    }

    /// The version read (0 when absent).
    pub fn version(&self) -> u64 {
        self.original.as_ref().map_or(0, version_of)
    }
}

/// The user's fields of a stored item (system attributes start with `_`).
pub fn user_fields(item: &Item) -> Item {
    item.iter()
        .filter(|(name, _)| !name.starts_with('_'))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// Where a relationship edge lives: in `owner`'s partition, pointing at `other`.
pub(crate) fn edge_key(env: &Env, owner: &ObjectRef, field: &str, other: &str) -> Key {
    Key::new(
        env.schema.table(&owner.type_name),
        &owner.id,
        format!("rel#{field}#{other}"),
    )
}

/// The item of an object.
pub(crate) fn object_key(env: &Env, object: &ObjectRef) -> Key {
    Key::new(env.schema.table(&object.type_name), &object.id, OBJECT_SK)
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
    pub(crate) readonly: bool,
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
            targets: vec![target],
            objects: BTreeMap::new(),
            edges: BTreeMap::new(),
            bumps: BTreeSet::new(),
            outbox: Vec::new(),
            cascading: None,
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

    /// The next step number, for ids of nested and asynchronous calls.
    pub fn next_step(&mut self) -> u32 {
        self.step += 1;
        self.step
    }

    fn type_of(&self, type_name: &str) -> Result<&ObjectType, Error> {
        self.env
            .schema
            .object(type_name)
            .ok_or_else(|| Error::validation(format!("unknown object type `{type_name}`")))
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

    /// Reads an object into the context (from the store on first use).
    pub(crate) async fn entry(&mut self, object: &ObjectRef) -> Result<&mut Entry, Error> {
        if !self.objects.contains_key(object) {
            self.type_of(&object.type_name)?;
            let key = object_key(&self.env, object);
            let item = self.env.store.get(&key).await?;
            self.objects
                .insert(object.clone(), Entry::from_stored(item));
        }
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
        // The store splits the keys into batches of 100 and sends them in parallel.
        let keys: Vec<Key> = missing
            .iter()
            .map(|object| object_key(&self.env, object))
            .collect();
        let items = self.env.store.batch_get(&keys).await?;
        for (object, item) in missing.into_iter().zip(items) {
            self.objects.insert(object, Entry::from_stored(item));
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

    /// True when the object exists.
    pub async fn exists(&mut self, type_name: &str, id: &str) -> Result<bool, Error> {
        Ok(self.load(type_name, id).await?.is_some())
    }

    /// The fields of an object, to change in place; the change commits with the
    /// invocation. Fails with `NotFound` if the object does not exist.
    pub async fn get_mut(&mut self, type_name: &str, id: &str) -> Result<&mut Item, Error> {
        self.require_writable("change objects")?;
        let object = ObjectRef::new(type_name, id);
        let entry = self.entry(&object).await?;
        // Only an object that exists can change: a tombstone must stay one.
        if entry.fields.is_none() {
            return Err(Error::not_found(type_name, id));
        }
        if entry.state == State::Read {
            entry.state = State::Changed;
        }
        entry
            .fields
            .as_mut()
            .ok_or_else(|| Error::not_found(type_name, id))
    }

    /// Replaces one field of an object.
    pub async fn set(
        &mut self,
        type_name: &str,
        id: &str,
        field: &str,
        value: Value,
    ) -> Result<(), Error> {
        let fields = self.get_mut(type_name, id).await?;
        if value.is_null() {
            fields.remove(field);
        } else {
            fields.insert(field.to_string(), value);
        }
        Ok(())
    }

    /// Creates an object; fails with `AlreadyExists` if one with this id exists.
    pub async fn create(&mut self, type_name: &str, id: &str, fields: Item) -> Result<(), Error> {
        self.require_writable("create objects")?;
        let object = ObjectRef::new(type_name, id);
        let entry = self.entry(&object).await?;
        if entry.fields.is_some() {
            return Err(Error::AlreadyExists {
                type_name: type_name.to_string(),
                id: id.to_string(),
            });
        }
        if entry.state == State::Deleted {
            return Err(Error::validation(format!(
                "{object} was deleted by this invocation: it cannot be created again in the same one"
            )));
        }
        if entry
            .original
            .as_ref()
            .is_some_and(|item| item.contains_key(CASCADING))
        {
            return Err(Error::validation(format!(
                "{object} is still being deleted (its relationships are being removed): create it again once that has finished"
            )));
        }
        entry.fields = Some(
            fields
                .into_iter()
                .filter(|(_, value)| !value.is_null())
                .collect(),
        );
        entry.state = State::Created;
        Ok(())
    }

    /// Deletes an object and, in the same commit, its relationship edges on both sides.
    pub async fn delete(&mut self, type_name: &str, id: &str) -> Result<(), Error> {
        self.require_writable("delete objects")?;
        let object = ObjectRef::new(type_name, id);
        let entry = self.entry(&object).await?;
        if entry.fields.is_none() {
            return Err(Error::not_found(type_name, id));
        }
        entry.fields = None;
        entry.state = if entry.state == State::Created {
            State::Read
        } else {
            State::Deleted
        };
        self.forget_links(&object);
        Ok(())
    }

    /// Drops the buffered many-to-many changes that involve `object`, which is being
    /// deleted: its stored edges go with the cascade, and no new edge may point at it.
    fn forget_links(&mut self, object: &ObjectRef) {
        let table = self.env.schema.table(&object.type_name);
        let suffix = format!("#{}", object.id);
        let schema = &self.env.schema;
        self.edges.retain(|key, _| {
            if key.table == table && key.pk == object.id {
                return false;
            }
            let points_here = key.sk.ends_with(&suffix)
                && schema.types().any(|owner| {
                    schema.table(&owner.name) == key.table
                        && owner.relations.iter().any(|(field, relation)| {
                            key.sk == format!("rel#{field}{suffix}")
                                && matches!(relation, Relation::ManyToMany { target, .. } if *target == object.type_name)
                        })
                });
            !points_here
        });
        self.bumps.remove(object);
    }

    fn relation(&self, type_name: &str, field: &str) -> Result<Relation, Error> {
        self.type_of(type_name)?
            .relations
            .get(field)
            .cloned()
            .ok_or_else(|| Error::validation(format!("`{type_name}.{field}` is not a collection")))
    }

    /// The ids in a collection (a navigation list or a reference list), as this
    /// invocation sees it. Reading a navigation list puts its owner's version in the read
    /// set, so a concurrent change to the list makes this invocation run again.
    pub async fn collection_ids(
        &mut self,
        type_name: &str,
        id: &str,
        field: &str,
    ) -> Result<Vec<String>, Error> {
        let owner = ObjectRef::new(type_name, id);
        let relation = self.relation(type_name, field)?;
        if let Relation::ReferenceList { .. } = relation {
            let fields = self
                .load(type_name, id)
                .await?
                .ok_or_else(|| Error::not_found(type_name, id))?;
            return Ok(string_list(fields.get(field)));
        }
        // A mutating invocation puts the owner's version in its read set (rule 3); a
        // read-only one needs no owner read: the edges are the answer.
        if !self.readonly && self.entry(&owner).await?.fields.is_none() {
            return Err(Error::not_found(type_name, id));
        }
        let mut ids: BTreeSet<String> = match &relation {
            Relation::ReferenceList { .. } => BTreeSet::new(),
            Relation::BackReference { .. } => {
                return Err(Error::validation(format!(
                    "`{type_name}.{field}` is a reference, not a collection"
                )))
            }
            Relation::OneToMany { .. } | Relation::ManyToMany { .. } => {
                crate::relations::stored_edge_ids(&self.env, &owner, field)
                    .await?
                    .into_iter()
                    .collect()
            }
        };
        match &relation {
            Relation::OneToMany { target, back } => {
                // Children whose back-reference this invocation changed.
                for (object, entry) in &self.objects {
                    if &object.type_name != target {
                        continue;
                    }
                    let now = entry
                        .fields
                        .as_ref()
                        .and_then(|f| f.get(back))
                        .and_then(Value::as_str);
                    if now == Some(id) {
                        ids.insert(object.id.clone());
                    } else {
                        ids.remove(&object.id);
                    }
                }
            }
            Relation::ManyToMany { .. } => {
                let prefix = format!("rel#{field}#");
                let table = self.env.schema.table(type_name);
                for (key, change) in &self.edges {
                    if key.table != table || key.pk != id {
                        continue;
                    }
                    if let Some(other) = key.sk.strip_prefix(&prefix) {
                        if change.is_some() {
                            ids.insert(other.to_string());
                        } else {
                            ids.remove(other);
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(ids.into_iter().collect())
    }

    /// The objects in a collection, with their fields; objects that no longer exist are
    /// left out. Fetched with batched reads, never one by one.
    pub async fn collection(
        &mut self,
        type_name: &str,
        id: &str,
        field: &str,
    ) -> Result<Vec<(String, Item)>, Error> {
        let target = match self.relation(type_name, field)? {
            Relation::OneToMany { target, .. }
            | Relation::ManyToMany { target, .. }
            | Relation::ReferenceList { target } => target,
            Relation::BackReference { .. } => {
                return Err(Error::validation(format!(
                    "`{type_name}.{field}` is a reference, not a collection"
                )))
            }
        };
        let ids = self.collection_ids(type_name, id, field).await?;
        let objects: Vec<ObjectRef> = ids.iter().map(|id| ObjectRef::new(&target, id)).collect();
        self.entries(&objects).await?;
        Ok(objects
            .into_iter()
            .filter_map(|object| {
                let fields = self.objects.get(&object)?.fields.clone()?;
                Some((object.id, fields))
            })
            .collect())
    }

    /// Adds `other` to the collection `field` of an object. For a one-to-many this sets
    /// the child's reference back; for a many-to-many it adds the edge on both sides; for a
    /// reference list it appends the id. Adding what is there already changes nothing.
    pub async fn add_to(
        &mut self,
        type_name: &str,
        id: &str,
        field: &str,
        other: &str,
    ) -> Result<(), Error> {
        self.require_writable("change collections")?;
        match self.relation(type_name, field)? {
            Relation::OneToMany { target, back } => {
                if !self.exists(type_name, id).await? {
                    return Err(Error::not_found(type_name, id));
                }
                self.set(&target, other, &back, Value::from(id)).await
            }
            Relation::ManyToMany { target, inverse } => {
                self.link(type_name, id, field, &target, other, &inverse, true)
                    .await
            }
            Relation::ReferenceList { target } => {
                if !self.exists(&target, other).await? {
                    return Err(Error::not_found(&target, other));
                }
                let fields = self.get_mut(type_name, id).await?;
                let mut ids = string_list(fields.get(field));
                if !ids.iter().any(|existing| existing == other) {
                    ids.push(other.to_string());
                }
                fields.insert(field.to_string(), Value::from(ids));
                Ok(())
            }
            Relation::BackReference { .. } => Err(Error::validation(format!(
                "`{type_name}.{field}` is a reference: set it instead"
            ))),
        }
    }

    /// Removes `other` from the collection `field` of an object (the reverse of
    /// [`Ctx::add_to`]). Removing a child whose reference back is required is refused.
    pub async fn remove_from(
        &mut self,
        type_name: &str,
        id: &str,
        field: &str,
        other: &str,
    ) -> Result<(), Error> {
        self.require_writable("change collections")?;
        match self.relation(type_name, field)? {
            Relation::OneToMany { target, back } => {
                let optional = matches!(
                    self.relation(&target, &back)?,
                    Relation::BackReference { optional: true, .. }
                );
                let child = self.load(&target, other).await?;
                let points_here = child
                    .as_ref()
                    .and_then(|c| c.get(&back))
                    .and_then(Value::as_str)
                    == Some(id);
                if !points_here {
                    return Ok(());
                }
                if !optional {
                    return Err(Error::validation(format!(
                        "`{target}.{back}` is required: delete {target} `{other}` or move it to another {type_name} instead"
                    )));
                }
                self.set(&target, other, &back, Value::Null).await
            }
            Relation::ManyToMany { target, inverse } => {
                self.link(type_name, id, field, &target, other, &inverse, false)
                    .await
            }
            Relation::ReferenceList { .. } => {
                let fields = self.get_mut(type_name, id).await?;
                let ids: Vec<String> = string_list(fields.get(field))
                    .into_iter()
                    .filter(|x| x != other)
                    .collect();
                fields.insert(field.to_string(), Value::from(ids));
                Ok(())
            }
            Relation::BackReference { .. } => Err(Error::validation(format!(
                "`{type_name}.{field}` is a reference: set it instead"
            ))),
        }
    }

    /// Adds (or removes) the two edges of a many-to-many pair and bumps both owners.
    #[allow(clippy::too_many_arguments)]
    async fn link(
        &mut self,
        type_name: &str,
        id: &str,
        field: &str,
        target: &str,
        other: &str,
        inverse: &str,
        add: bool,
    ) -> Result<(), Error> {
        let this = ObjectRef::new(type_name, id);
        let that = ObjectRef::new(target, other);
        self.entries(&[this.clone(), that.clone()]).await?;
        for object in [&this, &that] {
            if self
                .objects
                .get(object)
                .and_then(|entry| entry.fields.as_ref())
                .is_none()
            {
                return Err(Error::not_found(&object.type_name, &object.id));
            }
        }
        let forward = edge_key(&self.env, &this, field, other);
        let backward = edge_key(&self.env, &that, inverse, id);
        let edge = |to: &str| {
            let mut item = Map::new();
            item.insert("to".to_string(), Value::from(to));
            item
        };
        self.edges.insert(forward, add.then(|| edge(other)));
        self.edges.insert(backward, add.then(|| edge(id)));
        self.bumps.insert(this);
        self.bumps.insert(that);
        Ok(())
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
                None => {
                    entry.fields = entry
                        .original
                        .as_ref()
                        .filter(|item| !item.contains_key(DELETED))
                        .map(user_fields);
                    entry.state = State::Read;
                }
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

/// A JSON list of strings (ids), ignoring anything else.
pub(crate) fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
