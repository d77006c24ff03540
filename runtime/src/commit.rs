//! Turning a finished invocation's context into one atomic, conditional write.
//!
//! Every object read is checked at the version seen (or absent, if it was absent);
//! every object written is written at that version plus one; the target always gets the
//! invocation's result record (and so is always written); every collection that changed
//! bumps its owner's version; deleted objects lose their edges on both sides. The rules
//! are those of `docs/runtime.md`.

use serde_json::{json, Map, Value};

use crate::ctx::{edge_key, object_key, user_fields, Ctx, State, CASCADING};
use crate::error::Error;
use crate::invocation::{Invocation, InvocationId, ObjectRef};
use crate::records;
use crate::relations::stored_edge_ids;
use crate::schema::Relation;
use crate::store::{
    Condition, Update, WriteOp, DELETED, EXPIRES, INVOCATIONS, MAX_WRITE_OPS, VERSION,
};

/// Operations reserved for the target, the outbox and a continuation message when a
/// delete's cascade is split into chunks.
const RESERVED_OPS: usize = 4;

/// The method name of the system call that continues a chunked cascade.
pub const CASCADE_METHOD: &str = "_cascade";

/// Builds the write for `ctx` with `outcome` recorded on its target.
pub(crate) async fn prepare(
    ctx: &mut Ctx,
    outcome: &Result<Value, Error>,
) -> Result<Vec<WriteOp>, Error> {
    if outcome.is_err() {
        discard_changes(ctx);
    }
    cascade_deletes(ctx).await?;
    derive_one_to_many(ctx).await?;
    enforce_readonly(ctx)?;
    enforce_field_rules(ctx)?;
    // Objects whose collections changed are read (batched) so that a bump is conditioned
    // on the version seen and never lands on a tombstone or an absent item.
    let bumped: Vec<ObjectRef> = ctx.bumps.iter().cloned().collect();
    ctx.entries(&bumped).await?;
    let ops = operations(ctx, outcome);
    if ops.len() > MAX_WRITE_OPS {
        return Err(Error::validation(format!(
            "this invocation would write {} items at once; one invocation writes at most {MAX_WRITE_OPS}",
            ops.len()
        )));
    }
    Ok(ops)
}

/// A failed method changes nothing; its reads stay in the read set, so the recorded
/// failure is consistent with the state it was computed from.
fn discard_changes(ctx: &mut Ctx) {
    for entry in ctx.objects.values_mut() {
        entry.fields = entry
            .original
            .as_ref()
            .filter(|item| !item.contains_key(DELETED))
            .map(user_fields);
        entry.state = State::Read;
    }
    ctx.edges.clear();
    ctx.bumps.clear();
    ctx.outbox.clear();
}

/// Removes the edges of every deleted object, on both sides, within the op budget. What
/// does not fit continues through the outbox (for the invocation's own target only).
async fn cascade_deletes(ctx: &mut Ctx) -> Result<(), Error> {
    let deleted: Vec<ObjectRef> = ctx
        .objects
        .iter()
        .filter(|(_, entry)| entry.state == State::Deleted)
        .map(|(object, _)| object.clone())
        .collect();
    for object in deleted {
        let more = cascade(ctx, &object, cascade_budget(ctx)).await?;
        if more {
            if object != ctx.targets[0] {
                return Err(Error::validation(format!(
                    "{object} has too many relationships to delete inside another call: delete it on its own"
                )));
            }
            queue_cascade(ctx, &object);
        }
    }
    Ok(())
}

/// Queues the next chunk of `object`'s cascade. Only one commit of this invocation can
/// land, so a fresh id per chunk keeps each chunk exactly-once and keeps ids short.
pub(crate) fn queue_cascade(ctx: &mut Ctx, object: &ObjectRef) {
    ctx.cascading = Some(true);
    ctx.outbox.push(Invocation {
        id: InvocationId::new(),
        type_name: object.type_name.clone(),
        object: object.id.clone(),
        method: CASCADE_METHOD.to_string(),
        args: Value::Null,
    });
}

/// How many operations a cascade may add to `ctx`'s commit: the limit, less what the
/// objects already held take and what is reserved for the target, the outbox and a
/// continuation message.
pub(crate) fn cascade_budget(ctx: &Ctx) -> usize {
    (MAX_WRITE_OPS - RESERVED_OPS).saturating_sub(ctx.objects.len())
}

/// Removes up to `budget` operations' worth of `object`'s relationships; true when some
/// remain.
pub(crate) async fn cascade(
    ctx: &mut Ctx,
    object: &ObjectRef,
    budget: usize,
) -> Result<bool, Error> {
    let Some(object_type) = ctx.env.schema.object(&object.type_name).cloned() else {
        return Ok(false);
    };
    let mut used = 0usize;
    for (field, relation) in &object_type.relations {
        match relation {
            Relation::ManyToMany { target, inverse } => {
                for other in stored_edge_ids(&ctx.env, object, field).await? {
                    if used + 3 > budget {
                        return Ok(true);
                    }
                    let that = ObjectRef::new(target, &other);
                    let forward = edge_key(&ctx.env, object, field, &other);
                    let backward = edge_key(&ctx.env, &that, inverse, &object.id);
                    ctx.edges.insert(forward, None);
                    ctx.edges.insert(backward, None);
                    ctx.bumps.insert(that);
                    used += 3;
                }
            }
            Relation::OneToMany { target, back } => {
                let children: Vec<ObjectRef> = stored_edge_ids(&ctx.env, object, field)
                    .await?
                    .into_iter()
                    .map(|id| ObjectRef::new(target, id))
                    .collect();
                let required = matches!(
                    ctx.env
                        .schema
                        .object(target)
                        .and_then(|t| t.relations.get(back)),
                    Some(Relation::BackReference {
                        optional: false,
                        ..
                    })
                );
                if required && !children.is_empty() {
                    return Err(Error::validation(format!(
                        "{object} still has {} in `{field}`, whose `{target}.{back}` is required: delete or move them first",
                        children.len()
                    )));
                }
                // Read only the children this chunk changes: each read is part of the write.
                let fits = budget.saturating_sub(used) / 2;
                let more = children.len() > fits;
                let children: Vec<ObjectRef> = children.into_iter().take(fits).collect();
                ctx.entries(&children).await?;
                for child in children {
                    if let Some(entry) = ctx.objects.get_mut(&child) {
                        if let Some(fields) = entry.fields.as_mut() {
                            fields.remove(back);
                            if entry.state == State::Read {
                                entry.state = State::Changed;
                            }
                        }
                    }
                    used += 2;
                }
                if more {
                    return Ok(true);
                }
            }
            Relation::BackReference { .. } | Relation::ReferenceList { .. } => {}
        }
    }
    Ok(false)
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
            let before = entry
                .original
                .as_ref()
                .filter(|item| !item.contains_key(DELETED))
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
                    .insert(edge_key(&ctx.env, &parent, list, &child.id), None);
                ctx.bumps.insert(parent);
            }
            if let Some(new) = after {
                let parent = ObjectRef::new(parent_type, new);
                if ctx.entry(&parent).await?.fields.is_none() {
                    return Err(Error::not_found(&parent.type_name, &parent.id));
                }
                let mut edge = Map::new();
                edge.insert("to".to_string(), Value::from(child.id.clone()));
                ctx.edges
                    .insert(edge_key(&ctx.env, &parent, list, &child.id), Some(edge));
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

/// The write operations, one per item.
fn operations(ctx: &Ctx, outcome: &Result<Value, Error>) -> Vec<WriteOp> {
    let config = &ctx.env.config;
    let now = config.clock.now_ms();
    let root = &ctx.targets[0];
    let mut ops = Vec::new();
    for (object, entry) in &ctx.objects {
        let key = object_key(&ctx.env, object);
        let seen = entry.version();
        let is_root = object == root;
        let condition = match &entry.original {
            None => Condition::Absent,
            Some(_) => Condition::Version(seen),
        };
        let mut item = match entry.state {
            State::Read if !is_root => {
                if ctx.bumps.contains(object) && entry.fields.is_some() {
                    let update = Update {
                        bump_version: true,
                        ..Update::default()
                    };
                    ops.push(WriteOp::Update {
                        key,
                        update,
                        condition,
                    });
                } else {
                    ops.push(WriteOp::Check { key, condition });
                }
                continue;
            }
            State::Read | State::Changed | State::Created => match &entry.fields {
                Some(fields) => fields.clone(),
                // The root read as absent with nothing created: nothing to record on.
                None if entry.original.is_none() => continue,
                None => Map::new(),
            },
            State::Deleted => {
                let mut tombstone = Map::new();
                tombstone.insert(DELETED.to_string(), Value::Bool(true));
                let expires = (now + config.tombstone_ttl().as_millis() as u64) / 1000;
                tombstone.insert(EXPIRES.to_string(), Value::from(expires));
                tombstone
            }
        };
        if entry.state == State::Read && is_root && entry.fields.is_none() {
            // The root is a tombstone: keep it one (a cascade chunk records on it).
            if let Some(original) = &entry.original {
                for name in [DELETED, EXPIRES, CASCADING] {
                    if let Some(value) = original.get(name) {
                        item.insert(name.to_string(), value.clone());
                    }
                }
            }
        }
        match ctx.cascading {
            Some(true) if is_root && entry.fields.is_none() => {
                item.insert(CASCADING.to_string(), Value::Bool(true));
            }
            Some(false) if is_root => {
                item.remove(CASCADING);
            }
            _ => {}
        }
        let previous_records = entry
            .original
            .as_ref()
            .and_then(|original| original.get(INVOCATIONS))
            .cloned()
            .unwrap_or_else(|| json!({}));
        item.insert(INVOCATIONS.to_string(), previous_records);
        item.insert(VERSION.to_string(), Value::from(seen + 1));
        if is_root {
            let record = records::record(outcome, now);
            records::add(
                &mut item,
                ctx.invocation.as_str(),
                record,
                now,
                config.keep_records_ms(),
                config.max_records,
            );
        }
        ops.push(WriteOp::Put {
            key,
            item,
            condition,
        });
    }
    for (key, edge) in &ctx.edges {
        ops.push(match edge {
            Some(item) => WriteOp::Put {
                key: key.clone(),
                item: item.clone(),
                condition: Condition::Always,
            },
            None => WriteOp::Delete {
                key: key.clone(),
                condition: Condition::Always,
            },
        });
    }
    for message in &ctx.outbox {
        ops.push(crate::outbox::put(&ctx.env, message));
    }
    ops
}
