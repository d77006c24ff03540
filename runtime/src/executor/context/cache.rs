//! Collections of immutable objects as a commit last proved them, shared by the
//! invocations of one runtime so that a busy collection is not read again and again.
//!
//! An owner's version covers its collections: every change to an edge in its partition
//! bumps it, and the objects of an immutable type never change (their edges carry a copy
//! of their fields). So the stored edges of `owner.field` are a function of the owner's
//! version, and a changing call that reads the owner at a version the cache holds can
//! take the edges from the cache instead of querying them. Only a successful commit puts
//! a collection in the cache: its condition on the owner's version proves that the edges
//! read were those of that version, and the commit's own edge writes give the edges of
//! the version it leaves.
//!
//! Versions restart only when an object is created again after its tombstone expired,
//! at least a tombstone period (more than one and a half dedup windows) after it was
//! deleted; a collection is trusted for at most one minute (never more than one dedup
//! window) after the commit that proved it, so a version that restarted is never
//! mistaken for one the cache holds.

use std::any::Any;
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::invocation::ObjectRef;
use crate::layout::{edge_copy, object_key};
use crate::schema::Schema;
use crate::store::capacity::value_size;
use crate::store::{Item, WriteOp, DELETED};

/// The longest a collection stays in the cache after the commit that proved it.
const MAX_LIFE: Duration = Duration::from_secs(60);

/// What a cached collection costs besides its members' bytes: its place in the map and
/// the queue, so that a cache of empty collections is bounded too.
const SLOT_BYTES: usize = 128;

/// One object of a collection: its id and, when known, its fields.
pub(crate) struct Member {
    id: String,
    /// In a collection's stored edges: the copy of the object's fields the edge carries,
    /// if it carries one. In a collection read's answer: always the fields.
    fields: Option<Item>,
    /// The size of the id and the fields, as DynamoDB counts item sizes.
    bytes: usize,
    /// The typed value generated code made of `fields`, kept for the next read.
    typed: OnceLock<Box<dyn Any + Send + Sync>>,
}

impl Member {
    pub(crate) fn new(id: String, fields: Option<Item>) -> Self {
        let bytes = id.len()
            + fields.as_ref().map_or(0, |fields| {
                fields
                    .iter()
                    .map(|(name, value)| name.len() + value_size(value))
                    .sum()
            });
        Member {
            id,
            fields,
            bytes,
            typed: OnceLock::new(),
        }
    }

    /// The object's id.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// The object's fields, when known.
    pub(crate) fn fields(&self) -> Option<&Item> {
        self.fields.as_ref()
    }

    /// The fields as a `T`, decoded once and shared by every later read of this member
    /// (while its collection stays in the cache); `what` names the value in an error.
    fn typed<T: DeserializeOwned + Clone + Send + Sync + 'static>(
        &self,
        what: impl Fn() -> String,
    ) -> Result<Cow<'_, T>, Error> {
        let decode = || -> Result<T, Error> {
            let fields = self
                .fields
                .as_ref()
                .ok_or_else(|| Error::validation(format!("{}: no fields were read", what())))?;
            T::deserialize(fields)
                .map_err(|error| Error::validation(format!("{}: {error}", what())))
        };
        let typed = match self.typed.get() {
            Some(typed) => typed,
            None => {
                // Another reader may set it first: either value is the same object.
                let _ = self.typed.set(Box::new(decode()?));
                self.typed
                    .get()
                    .expect("the cell was set just above, by this reader or another")
            }
        };
        match typed.downcast_ref::<T>() {
            Some(value) => Ok(Cow::Borrowed(value)),
            // Kept as another type by other code: decoded for this reader alone.
            None => decode().map(Cow::Owned),
        }
    }
}

/// The members of a collection in id order, and their size in all.
pub(crate) struct MemberList {
    members: Vec<Arc<Member>>,
    bytes: usize,
}

impl MemberList {
    pub(crate) fn new(members: Vec<Arc<Member>>) -> Self {
        let bytes = members.iter().map(|member| member.bytes).sum();
        MemberList { members, bytes }
    }
}

impl Deref for MemberList {
    type Target = [Arc<Member>];

    fn deref(&self) -> &[Arc<Member>] {
        &self.members
    }
}

/// The members of a collection, shared.
pub(crate) type Members = Arc<MemberList>;

/// The objects of a collection as `T`s. Members nothing else holds are decoded from the
/// fields they own, which moves their strings instead of copying them; members the cache
/// shares are decoded once and copied from then on.
pub(crate) fn typed_members<T: DeserializeOwned + Clone + Send + Sync + 'static>(
    members: Members,
    what: impl Fn() -> String,
) -> Result<Vec<T>, Error> {
    let mut values = Vec::with_capacity(members.len());
    let members = match Arc::try_unwrap(members) {
        Ok(list) => list.members,
        Err(shared) => {
            for member in shared.iter() {
                values.push(member.typed::<T>(&what)?.into_owned());
            }
            return Ok(values);
        }
    };
    for member in members {
        let value = match Arc::try_unwrap(member) {
            Ok(Member {
                fields: Some(fields),
                ..
            }) => serde_json::from_value(serde_json::Value::Object(fields))
                .map_err(|error| Error::validation(format!("{}: {error}", what())))?,
            Ok(member) => member.typed::<T>(&what)?.into_owned(),
            Err(shared) => shared.typed::<T>(&what)?.into_owned(),
        };
        values.push(value);
    }
    Ok(values)
}

/// A collection a changing invocation read at a known version of its owner.
pub(crate) struct Seen {
    pub(crate) owner: ObjectRef,
    pub(crate) field: String,
    /// The owner's version as read.
    pub(crate) version: u64,
    /// The stored edges at that version.
    pub(crate) members: Members,
}

/// What a successful commit proved of a collection: its stored edges at a version.
pub(crate) struct Proved {
    owner: ObjectRef,
    field: String,
    version: u64,
    members: Members,
}

/// The collections a successful commit of `ops` proves: each collection `seen` whose
/// owner the commit writes or checks, with the commit's edge writes applied, at the
/// version the commit leaves.
pub(crate) fn proved_by(schema: &Schema, seen: &[Seen], ops: &[WriteOp]) -> Vec<Proved> {
    let mut proved = Vec::new();
    for read in seen {
        let owner_key = object_key(schema, &read.owner);
        let version = ops.iter().find_map(|op| match op {
            WriteOp::Put { key, item, .. } if *key == owner_key => {
                (!item.contains_key(DELETED)).then_some(read.version + 1)
            }
            WriteOp::Update { key, update, .. } if *key == owner_key => {
                Some(read.version + u64::from(update.bump_version))
            }
            WriteOp::Check { key, .. } if *key == owner_key => Some(read.version),
            _ => None,
        });
        let Some(version) = version else {
            continue;
        };
        let prefix = format!("rel#{}#", read.field);
        let mut changes: Vec<(&str, Option<&Item>)> = ops
            .iter()
            .filter_map(|op| {
                let (key, edge) = match op {
                    WriteOp::Put { key, item, .. } => (key, Some(item)),
                    WriteOp::Delete { key, .. } => (key, None),
                    WriteOp::Update { .. } | WriteOp::Check { .. } => return None,
                };
                if key.table != owner_key.table || key.pk != owner_key.pk {
                    return None;
                }
                Some((key.sk.strip_prefix(&prefix)?, edge))
            })
            .collect();
        let members = if changes.is_empty() {
            read.members.clone()
        } else {
            changes.sort_by(|a, b| a.0.cmp(b.0));
            Arc::new(apply(&read.members, &changes))
        };
        proved.push(Proved {
            owner: read.owner.clone(),
            field: read.field.clone(),
            version,
            members,
        });
    }
    proved
}

/// `members` with the edges in `changes` (in id order) written (`Some`) or deleted.
fn apply(members: &MemberList, changes: &[(&str, Option<&Item>)]) -> MemberList {
    let mut next = Vec::with_capacity(members.len() + changes.len());
    let mut bytes = members.bytes;
    let mut kept = members.iter().peekable();
    for (id, edge) in changes {
        while let Some(member) = kept.next_if(|member| member.id.as_str() < *id) {
            next.push(member.clone());
        }
        if let Some(gone) = kept.next_if(|member| member.id == *id) {
            bytes -= gone.bytes;
        }
        if let Some(edge) = edge {
            let member = Member::new(id.to_string(), edge_copy((*edge).clone()));
            bytes += member.bytes;
            next.push(Arc::new(member));
        }
    }
    next.extend(kept.cloned());
    MemberList {
        members: next,
        bytes,
    }
}

/// The cache key of `owner.field`.
type Slot = (ObjectRef, String);

/// One cached collection.
struct Cached {
    version: u64,
    /// When the commit that proved it started writing (milliseconds since the epoch).
    proved_ms: u64,
    members: Members,
    /// What it counts against the capacity.
    bytes: usize,
    /// Tells this entry from an earlier one of the same slot in the eviction queue.
    generation: u64,
}

/// The cached collections and the order they came in, to evict the oldest first.
#[derive(Default)]
struct Held {
    slots: HashMap<Slot, Cached>,
    queue: VecDeque<(Slot, u64)>,
    bytes: usize,
    generation: u64,
}

/// The collection cache of one runtime, holding at most `capacity` bytes of members.
pub(crate) struct CollectionCache {
    capacity: usize,
    life_ms: u64,
    held: Mutex<Held>,
}

impl CollectionCache {
    /// A cache of at most `capacity` bytes of members (0: none), trusting a collection
    /// for one minute or `dedup_window`, whichever is shorter.
    pub(crate) fn new(capacity: usize, dedup_window: Duration) -> Self {
        CollectionCache {
            capacity,
            life_ms: MAX_LIFE.min(dedup_window).as_millis() as u64,
            held: Mutex::new(Held::default()),
        }
    }

    /// True unless the cache is off.
    pub(crate) fn is_on(&self) -> bool {
        self.capacity > 0
    }

    /// True while `cached` may be trusted at `now_ms` (a clock that went back trusts
    /// nothing).
    fn is_fresh(&self, cached: &Cached, now_ms: u64) -> bool {
        now_ms >= cached.proved_ms && now_ms - cached.proved_ms <= self.life_ms
    }

    /// The stored edges of `owner.field` at `version`, if the cache holds them.
    pub(crate) fn get(
        &self,
        owner: &ObjectRef,
        field: &str,
        version: u64,
        now_ms: u64,
    ) -> Option<Members> {
        if !self.is_on() {
            return None;
        }
        let held = self.held.lock().ok()?;
        let cached = held.slots.get(&(owner.clone(), field.to_string()))?;
        (cached.version == version && self.is_fresh(cached, now_ms)).then(|| cached.members.clone())
    }

    /// True when the cache holds `owner.field` at some version it still trusts at `now_ms`:
    /// a call reading it will likely find its version there.
    pub(crate) fn holds(&self, owner: &ObjectRef, field: &str, now_ms: u64) -> bool {
        if !self.is_on() {
            return false;
        }
        let Ok(held) = self.held.lock() else {
            return false;
        };
        held.slots
            .get(&(owner.clone(), field.to_string()))
            .is_some_and(|cached| self.is_fresh(cached, now_ms))
    }

    /// Keeps what a commit that started writing at `proved_ms` proved, then evicts the
    /// oldest collections while the cache holds more than its capacity or they are past
    /// their life.
    pub(crate) fn keep(&self, proved: Vec<Proved>, proved_ms: u64) {
        if !self.is_on() || proved.is_empty() {
            return;
        }
        let Ok(mut held) = self.held.lock() else {
            return;
        };
        for Proved {
            owner,
            field,
            version,
            members,
        } in proved
        {
            let bytes = SLOT_BYTES + owner.id.len() + field.len() + members.bytes;
            let slot = (owner, field);
            if let Some(newer) = held.slots.get(&slot) {
                // A later commit of this runtime kept a later version first.
                if newer.version > version && self.is_fresh(newer, proved_ms) {
                    continue;
                }
            }
            if let Some(old) = held.slots.remove(&slot) {
                held.bytes -= old.bytes;
            }
            if bytes > self.capacity {
                continue;
            }
            held.generation += 1;
            let generation = held.generation;
            held.bytes += bytes;
            held.queue.push_back((slot.clone(), generation));
            held.slots.insert(
                slot,
                Cached {
                    version,
                    proved_ms,
                    members,
                    bytes,
                    generation,
                },
            );
        }
        let Held {
            slots,
            queue,
            bytes,
            ..
        } = &mut *held;
        while let Some((slot, generation)) = queue.front() {
            let current = slots
                .get(slot)
                .filter(|cached| cached.generation == *generation);
            match current {
                Some(cached) if *bytes <= self.capacity && self.is_fresh(cached, proved_ms) => {
                    break
                }
                Some(_) => {
                    if let Some(gone) = slots.remove(slot) {
                        *bytes -= gone.bytes;
                    }
                }
                // A place left behind by an entry replaced since.
                None => {}
            }
            queue.pop_front();
        }
        // Replaced entries leave places behind in the middle of the queue too; drop them
        // when they outnumber the entries.
        if queue.len() > 2 * slots.len() + 64 {
            queue.retain(|(slot, generation)| {
                slots
                    .get(slot)
                    .is_some_and(|cached| cached.generation == *generation)
            });
        }
    }
}
