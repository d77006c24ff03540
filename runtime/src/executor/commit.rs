//! Turning a finished invocation's context into one atomic, conditional write.
//!
//! Every object read is checked at the version seen (or absent, if it was absent);
//! every object written is written at that version plus one; the target always gets the
//! invocation's result record (and so is always written); every collection that changed
//! bumps its owner's version; deleted objects lose their edges on both sides. The rules
//! are those of `docs/runtime.md`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::cascade::cascade_deletes;
use super::context::{proved_by, Ctx, Entry, Proved, State};
use super::outbox;
use crate::error::Error;
use crate::invocation::ObjectRef;
use crate::layout::{
    edge_item, edge_key, edge_target, live_fields, object_key, record_key, user_fields, CASCADING,
    EDGE_COPY,
};
use crate::limits;
use crate::records::{self, Placement};
use crate::schema::Relation;
use crate::store::{
    Condition, Item, Key, Update, WriteOp, DELETED, EXPIRES, MAX_WRITE_OPS, VERSION,
};

/// The write of one invocation.
pub(crate) struct Commit {
    /// The operations, applied atomically.
    pub(crate) ops: Vec<WriteOp>,
    /// True when the first operation writes the result record as an item of its own, on
    /// the condition that it is absent: its failure means the invocation has run.
    pub(crate) record_apart: bool,
    /// The collections the write proves once it succeeds, for the collection cache.
    pub(crate) proved: Vec<Proved>,
    /// The operations that check objects presumed to exist: the failure of one of them
    /// means the presumption was wrong, not that another call won a race.
    pub(crate) presumed: Vec<(usize, ObjectRef)>,
}

/// Builds the write for `ctx` with `outcome` recorded on its target; `what` names the
/// call (`Room \`r1\`.reserve`) in the error for a write too large for one commit.
pub(crate) async fn prepare(
    ctx: &mut Ctx,
    outcome: &Result<Value, Error>,
    what: &str,
) -> Result<Commit, Error> {
    if outcome.is_err() {
        discard_changes(ctx);
    }
    cascade_deletes(ctx).await?;
    derive_one_to_many(ctx).await?;
    bump_tracking_parents(ctx);
    enforce_readonly(ctx)?;
    enforce_field_rules(ctx)?;
    // Objects whose collections changed are read (batched) so that a bump is conditioned
    // on the version seen and never lands on a tombstone or an absent item; one presumed
    // to exist is bumped on the condition that it is live instead.
    let bumped: Vec<ObjectRef> = ctx
        .bumps
        .iter()
        .filter(|object| !ctx.presumed.objects.contains(*object))
        .cloned()
        .collect();
    ctx.entries(&bumped).await?;
    let commit = operations(ctx, outcome);
    if commit.ops.len() > MAX_WRITE_OPS {
        return Err(too_large(ctx, what, commit.ops.len()));
    }
    limits::check_writes(&commit.ops, what)?;
    Ok(commit)
}

/// The error for a commit of `items` items: it names the collection whose elements'
/// checks take the most room, when that is what makes it too large.
fn too_large(ctx: &Ctx, what: &str, items: usize) -> Error {
    let mut checks: BTreeMap<&str, usize> = BTreeMap::new();
    for (object, entry) in &ctx.objects {
        if needs_check(ctx, object, entry) {
            if let Some(via) = &entry.via {
                *checks.entry(via).or_default() += 1;
            }
        }
    }
    let widest = checks.into_iter().max_by_key(|(_, count)| *count);
    match widest {
        Some((via, count)) => Error::validation(format!(
            "{what} would write {items} items in one commit; a commit holds at most {MAX_WRITE_OPS}. \
             It read {count} objects of `{via}`, and each is checked in the commit: mark `{via}` \
             `@tracked`, make every stored field of its objects `@readonly`, or read fewer of them"
        )),
        None => Error::validation(format!(
            "{what} would write {items} items in one commit; a commit holds at most {MAX_WRITE_OPS}"
        )),
    }
}

/// True when the commit checks the version of `object`, which the invocation only read.
fn needs_check(ctx: &Ctx, object: &ObjectRef, entry: &Entry) -> bool {
    entry.state == State::Read
        && !entry.covered
        && object != &ctx.targets[0]
        && !ctx.bumps.contains(object)
}

/// A change to the fields of a child in a tracked one-to-many list bumps its parent, so a
/// call that read the list is validated by the parent alone.
fn bump_tracking_parents(ctx: &mut Ctx) {
    let mut parents = Vec::new();
    for (child, entry) in &ctx.objects {
        if entry.state != State::Changed {
            continue;
        }
        let Some(child_type) = ctx.env.schema.object(&child.type_name) else {
            continue;
        };
        let before = live_fields(entry.original.as_ref());
        if before == entry.fields {
            continue;
        }
        for (back, parent_type, list) in child_type.back_references() {
            let tracked = ctx
                .env
                .schema
                .object(parent_type)
                .is_some_and(|parent| parent.tracked.contains(list));
            let parent = before
                .as_ref()
                .and_then(|fields| fields.get(back))
                .and_then(Value::as_str);
            if let (true, Some(parent)) = (tracked, parent) {
                parents.push(ObjectRef::new(parent_type, parent));
            }
        }
    }
    ctx.bumps.extend(parents);
}

/// A failed method changes nothing; its reads stay in the read set, so the recorded
/// failure is consistent with the state it was computed from.
fn discard_changes(ctx: &mut Ctx) {
    for entry in ctx.objects.values_mut() {
        entry.forget_changes();
    }
    ctx.edges.clear();
    ctx.bumps.clear();
    ctx.outbox.clear();
}

/// One-to-many edges follow the children's references: wherever a child's reference back
/// changed (set, moved, cleared, created, deleted), the edge moves with it and both
/// parents' versions go up.
async fn derive_one_to_many(ctx: &mut Ctx) -> Result<(), Error> {
    let changed: Vec<ObjectRef> = ctx
        .objects
        .iter()
        .filter(|(_, entry)| entry.state != State::Read)
        .map(|(object, _)| object.clone())
        .collect();
    for child in changed {
        let Some(child_type) = ctx.env.schema.object(&child.type_name).cloned() else {
            continue;
        };
        for (back, parent_type, list) in child_type.back_references() {
            let Some(entry) = ctx.objects.get(&child) else {
                continue;
            };
            let before = live_fields(entry.original.as_ref())
                .as_ref()
                .and_then(|item| item.get(back))
                .and_then(Value::as_str)
                .map(str::to_string);
            let after = entry
                .fields
                .as_ref()
                .and_then(|fields| fields.get(back))
                .and_then(Value::as_str)
                .map(str::to_string);
            if before == after {
                continue;
            }
            if let Some(old) = before {
                let parent = ObjectRef::new(parent_type, old);
                ctx.edges
                    .insert(edge_key(&ctx.env.schema, &parent, list, &child.id), None);
                ctx.bumps.insert(parent);
            }
            if let Some(new) = after {
                let parent = ObjectRef::new(parent_type, new);
                if ctx.entry(&parent).await?.fields.is_none() {
                    return Err(Error::not_found(&parent.type_name, &parent.id));
                }
                ctx.edges.insert(
                    edge_key(&ctx.env.schema, &parent, list, &child.id),
                    Some(edge_item(&child.id)),
                );
                ctx.bumps.insert(parent);
            }
        }
    }
    Ok(())
}

/// `@readonly` fields keep the value they were created with, whatever changed them.
fn enforce_readonly(ctx: &Ctx) -> Result<(), Error> {
    for (object, entry) in &ctx.objects {
        if entry.state != State::Changed {
            continue;
        }
        let Some(object_type) = ctx.env.schema.object(&object.type_name) else {
            continue;
        };
        let before = entry.original.as_ref().map(user_fields).unwrap_or_default();
        let after = entry.fields.clone().unwrap_or_default();
        if object_type.immutable && before != after {
            return Err(Error::validation(format!(
                "{object} cannot change: every field of a `{}` is read-only, set when it is created",
                object.type_name
            )));
        }
        for field in &object_type.readonly {
            if before.get(field) != after.get(field) {
                return Err(Error::validation(format!(
                    "`{}.{field}` is read-only: it is set when the object is created and never changes",
                    object.type_name
                )));
            }
        }
    }
    Ok(())
}

/// Field names starting with `_` belong to the runtime; a reference holds an id (text)
/// or nothing, and a required reference back to a parent always holds one.
fn enforce_field_rules(ctx: &Ctx) -> Result<(), Error> {
    for (object, entry) in &ctx.objects {
        if !matches!(entry.state, State::Changed | State::Created) {
            continue;
        }
        let Some(fields) = &entry.fields else {
            continue;
        };
        if let Some(name) = fields.keys().find(|name| name.starts_with('_')) {
            return Err(Error::validation(format!(
                "`{name}` cannot be a field of {object}: names starting with `_` belong to the runtime"
            )));
        }
        let Some(object_type) = ctx.env.schema.object(&object.type_name) else {
            continue;
        };
        for (field, relation) in &object_type.relations {
            let Relation::BackReference {
                optional, target, ..
            } = relation
            else {
                continue;
            };
            match fields.get(field) {
                Some(Value::String(_)) => {}
                None if *optional => {}
                None => {
                    return Err(Error::validation(format!(
                        "`{}.{field}` is required: {object} must always belong to a {target}",
                        object.type_name
                    )))
                }
                Some(other) => {
                    return Err(Error::validation(format!(
                        "`{}.{field}` holds the id of a {target}, not {other}",
                        object.type_name
                    )))
                }
            }
        }
    }
    Ok(())
}

/// The write operations: the target's record first when it is kept apart (so that a
/// duplicate is the first condition to fail), then one per object, a page of spilled
/// records when an object's inline records overflow, one per object presumed to exist,
/// and one per edge and message.
fn operations(ctx: &Ctx, outcome: &Result<Value, Error>) -> Commit {
    let config = &ctx.env.config;
    let now = config.clock.now_ms();
    let root = &ctx.targets[0];
    let record = records::record(outcome, now);
    let root_entry = ctx.objects.get(root);
    let root_original = root_entry.and_then(|entry| entry.original.as_ref());
    let placement = records::place(ctx.invocation.as_str(), &record);
    // The root is written unless it was absent and stays so (see the loop below).
    let root_written =
        root_entry.is_some_and(|entry| entry.fields.is_some()) || root_original.is_some();
    let mut ops = Vec::new();
    let mut pages = Vec::new();
    let mut record_apart = false;
    if placement == Placement::Apart && root_written {
        ops.push(WriteOp::Put {
            key: record_key(&ctx.env.schema, root, ctx.invocation.as_str()),
            item: records::apart_item(&record, now, config),
            condition: Condition::Absent,
        });
        record_apart = true;
    }
    for (object, entry) in &ctx.objects {
        let key = object_key(&ctx.env.schema, object);
        let seen = entry.version();
        let is_root = object == root;
        let condition = match &entry.original {
            None => Condition::Absent,
            Some(_) => Condition::Version(seen),
        };
        let mut item = match entry.state {
            State::Read if !is_root => {
                if let Some(op) = read_only_op(ctx, object, entry, key, condition) {
                    ops.push(op);
                }
                continue;
            }
            State::Read | State::Changed | State::Created => match &entry.fields {
                Some(fields) => fields.clone(),
                // The root read as absent with nothing created: nothing to record on.
                None if entry.original.is_none() => continue,
                None => Map::new(),
            },
            State::Deleted => Map::from_iter([(DELETED.to_string(), Value::Bool(true))]),
        };
        if is_root {
            keep_cascade_marks(ctx, entry, &mut item);
        }
        if entry.fields.is_none() {
            // A tombstone written now lives a whole tombstone period past this commit, so
            // a retry finds the record it holds (or the `_spilled` sending it elsewhere).
            let ttl = config.tombstone_ttl().as_millis() as u64;
            let kept = entry.original.as_ref().and_then(|item| item.get(EXPIRES));
            let expires =
                records::expiry_seconds(now, ttl).max(kept.and_then(Value::as_u64).unwrap_or(0));
            item.insert(EXPIRES.to_string(), Value::from(expires));
        }
        let mine = is_root.then(|| (ctx.invocation.as_str(), &record, placement));
        let page = records::keep_books(entry.original.as_ref(), &mut item, mine, now, config);
        item.insert(VERSION.to_string(), Value::from(seen + 1));
        if let Some(page) = page {
            pages.push(WriteOp::Put {
                key: Key::new(&key.table, &key.pk, page.sk),
                item: page.item,
                condition: Condition::Always,
            });
        }
        ops.push(WriteOp::Put {
            key,
            item,
            condition,
        });
    }
    ops.append(&mut pages);
    let mut presumed = Vec::new();
    for object in &ctx.presumed.objects {
        presumed.push((ops.len(), object.clone()));
        let key = object_key(&ctx.env.schema, object);
        ops.push(if ctx.bumps.contains(object) {
            bump(key, Condition::Live)
        } else {
            WriteOp::Check {
                key,
                condition: Condition::Live,
            }
        });
    }
    for (key, edge) in &ctx.edges {
        ops.push(match edge {
            Some(item) => WriteOp::Put {
                key: key.clone(),
                item: with_copy(ctx, key, item),
                condition: Condition::Always,
            },
            None => WriteOp::Delete {
                key: key.clone(),
                condition: Condition::Always,
            },
        });
    }
    for message in &ctx.outbox {
        ops.push(outbox::put(&ctx.env, message));
    }
    let proved = proved_by(&ctx.env.schema, &ctx.seen, &ops);
    Commit {
        ops,
        record_apart,
        proved,
        presumed,
    }
}

/// The operation for an object only read: a version bump when one of its collections
/// changed, a check of the version seen otherwise — none when its owner's version covers
/// it (see [`Entry::covered`]).
fn read_only_op(
    ctx: &Ctx,
    object: &ObjectRef,
    entry: &Entry,
    key: Key,
    condition: Condition,
) -> Option<WriteOp> {
    if ctx.bumps.contains(object) && entry.fields.is_some() {
        Some(bump(key, condition))
    } else if needs_check(ctx, object, entry) {
        Some(WriteOp::Check { key, condition })
    } else {
        None
    }
}

/// A version bump of the item at `key`, on `condition`.
fn bump(key: Key, condition: Condition) -> WriteOp {
    let update = Update {
        bump_version: true,
        ..Update::default()
    };
    WriteOp::Update {
        key,
        update,
        condition,
    }
}

/// An edge as written: pointing at an object of an immutable type, it carries a copy of
/// that object's fields as this commit leaves them.
fn with_copy(ctx: &Ctx, key: &Key, edge: &Item) -> Item {
    let mut edge = edge.clone();
    let copy = edge_target(&ctx.env.schema, key)
        .filter(|target| {
            ctx.env
                .schema
                .object(&target.type_name)
                .is_some_and(|object| object.immutable)
        })
        .and_then(|target| ctx.objects.get(&target)?.fields.clone());
    if let Some(fields) = copy {
        edge.insert(EDGE_COPY.to_string(), Value::Object(fields));
    }
    edge
}

/// The cascade marks of the root's new item: a tombstone stays one (a cascade chunk
/// records on it), and `_cascading` follows what this invocation decided.
fn keep_cascade_marks(ctx: &Ctx, entry: &Entry, item: &mut Item) {
    if entry.state == State::Read && entry.fields.is_none() {
        if let Some(original) = &entry.original {
            for name in [DELETED, CASCADING] {
                if let Some(value) = original.get(name) {
                    item.insert(name.to_string(), value.clone());
                }
            }
        }
    }
    match ctx.cascading {
        Some(true) if entry.fields.is_none() => {
            item.insert(CASCADING.to_string(), Value::Bool(true));
        }
        Some(false) => {
            item.remove(CASCADING);
        }
        _ => {}
    }
}
