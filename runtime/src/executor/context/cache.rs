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
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::invocation::ObjectRef;
use crate::layout::{edge_copy, object_key};
use crate::schema::Schema;
use crate::store::{Item, WriteOp, DELETED};

/// The longest a collection stays in the cache after the commit that proved it.
const MAX_LIFE: Duration = Duration::from_secs(60);

/// One object of a collection: its id and, when known, its fields.
pub(crate) struct Member {
    id: String,
    /// In a collection's stored edges: the copy of the object's fields the edge carries,
    /// if it carries one. In a collection read's answer: always the fields.
    fields: Option<Item>,
    /// The typed value generated code made of `fields`, kept for the next read.
    typed: OnceLock<Box<dyn Any + Send + Sync>>,
}

impl Member {
    pub(crate) fn new(id: String, fields: Option<Item>) -> Self {
        Member {
            id,
            fields,
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
    pub(crate) fn typed<T: DeserializeOwned + Clone + Send + Sync + 'static>(
        &self,
        what: impl Fn() -> String,
    ) -> Result<Cow<'_, T>, Error> {
        if let Some(value) = self.typed.get().and_then(|typed| typed.downcast_ref::<T>()) {
            return Ok(Cow::Borrowed(value));
        }
        let fields = self
            .fields
            .as_ref()
            .ok_or_else(|| Error::validation(format!("{}: no fields were read", what())))?;
        let value = T::deserialize(fields)
            .map_err(|error| Error::validation(format!("{}: {error}", what())))?;
        // Kept unless another read got there first (with this type or another).
        if let Err(value) = self.typed.set(Box::new(value)) {
            if let Ok(value) = value.downcast::<T>() {
                return Ok(Cow::Owned(*value));
            }
        }
        self.typed
            .get()
            .and_then(|typed| typed.downcast_ref::<T>())
            .map(Cow::Borrowed)
            .ok_or_else(|| Error::validation(format!("{}: decoded value lost", what())))
    }
}

/// The objects of a collection as `T`s: decoded from the fields they own when nothing
/// else holds them, else from the typed values kept with them.
pub(crate) fn typed_members<T: DeserializeOwned + Clone + Send + Sync + 'static>(
    members: Members,
    what: impl Fn() -> String,
) -> Result<Vec<T>, Error> {
    let mut values = Vec::with_capacity(members.len());
    let members = match Arc::try_unwrap(members) {
        Ok(members) => members,
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

/// The members of a collection in id order.
pub(crate) type Members = Arc<Vec<Arc<Member>>>;

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
    let mut proved: Vec<Proved> = Vec::new();
    for read in seen {
        if proved
            .iter()
            .any(|done| done.owner == read.owner && done.field == read.field)
        {
            continue;
        }
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
fn apply(members: &[Arc<Member>], changes: &[(&str, Option<&Item>)]) -> Vec<Arc<Member>> {
    let mut next = Vec::with_capacity(members.len() + changes.len());
    let mut kept = members.iter().peekable();
    for (id, edge) in changes {
        while let Some(member) = kept.next_if(|member| member.id.as_str() < *id) {
            next.push(member.clone());
        }
        kept.next_if(|member| member.id == *id);
        if let Some(edge) = edge {
            let copy = edge_copy((*edge).clone());
            next.push(Arc::new(Member::new(id.to_string(), copy)));
        }
    }
    next.extend(kept.cloned());
    next
}

/// The cache key of `owner.field`.
type Slot = (ObjectRef, String);

/// One cached collection.
struct Cached {
    version: u64,
    /// When the commit that proved it ran (milliseconds since the epoch).
    proved_ms: u64,
    members: Members,
    /// Tells this entry from an earlier one of the same slot in the eviction queue.
    generation: u64,
}

/// The cached collections and the order they came in, to evict the oldest first.
#[derive(Default)]
struct Held {
    slots: HashMap<Slot, Cached>,
    queue: VecDeque<(Slot, u64)>,
    members: usize,
    generation: u64,
}

/// The collection cache of one runtime, holding at most `capacity` members in all.
pub(crate) struct CollectionCache {
    capacity: usize,
    life_ms: u64,
    held: Mutex<Held>,
}

impl CollectionCache {
    /// A cache of at most `capacity` members (0: none), trusting a collection for one
    /// minute or `dedup_window`, whichever is shorter.
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

    /// The stored edges of `owner.field` at `version`, if the cache holds them.
    pub(crate) fn get(
        &self,
        owner: &ObjectRef,
        field: &str,
        version: u64,
        now_ms: u64,
    ) -> Option<Members> {
        if self.capacity == 0 {
            return None;
        }
        let held = self.held.lock().ok()?;
        let cached = held.slots.get(&(owner.clone(), field.to_string()))?;
        let fresh = now_ms.saturating_sub(cached.proved_ms) <= self.life_ms;
        (cached.version == version && fresh).then(|| cached.members.clone())
    }

    /// Keeps what a commit at `now_ms` proved, evicting the oldest collections past the
    /// capacity.
    pub(crate) fn keep(&self, proved: Vec<Proved>, now_ms: u64) {
        if self.capacity == 0 || proved.is_empty() {
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
            let slot = (owner, field);
            if let Some(old) = held.slots.remove(&slot) {
                held.members -= old.members.len();
            }
            if members.len() > self.capacity {
                continue;
            }
            held.generation += 1;
            let generation = held.generation;
            held.members += members.len();
            held.queue.push_back((slot.clone(), generation));
            held.slots.insert(
                slot,
                Cached {
                    version,
                    proved_ms: now_ms,
                    members,
                    generation,
                },
            );
        }
        while held.members > self.capacity {
            let Some((slot, generation)) = held.queue.pop_front() else {
                break;
            };
            if held
                .slots
                .get(&slot)
                .is_some_and(|c| c.generation == generation)
            {
                if let Some(old) = held.slots.remove(&slot) {
                    held.members -= old.members.len();
                }
            }
        }
        // Entries replaced since they were queued leave stale queue places behind; drop
        // them when they outnumber the live entries.
        if held.queue.len() > 2 * held.slots.len() + 64 {
            let Held { slots, queue, .. } = &mut *held;
            queue.retain(|(slot, generation)| {
                slots.get(slot).is_some_and(|c| c.generation == *generation)
            });
        }
    }
}
