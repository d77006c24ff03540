//! Deleting an object's relationships: its edges on both sides and its children's
//! optional references back, within one commit's budget of items. What does not fit
//! continues through the outbox, one chunk per delivery, each chunk exactly once.

use serde_json::Value;

use super::context::{Ctx, State};
use crate::error::Error;
use crate::invocation::{Invocation, InvocationId, ObjectRef};
use crate::layout::edge_key;
use crate::schema::Relation;
use crate::store::MAX_WRITE_OPS;

/// Operations reserved for the target, its result record kept apart or a page of spilled
/// records, the outbox and a continuation message when a delete's cascade is split into
/// chunks.
const RESERVED_OPS: usize = 6;

/// The method name of the system call that continues a chunked cascade.
pub const CASCADE_METHOD: &str = "_cascade";

/// Removes the edges of every deleted object, on both sides, within the op budget. What
/// does not fit continues through the outbox (for the invocation's own target only).
pub(crate) async fn cascade_deletes(ctx: &mut Ctx) -> Result<(), Error> {
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
/// objects already held or presumed to exist take and what is reserved for the target, the outbox and a
/// continuation message.
pub(crate) fn cascade_budget(ctx: &Ctx) -> usize {
    let objects = ctx.objects.len() + ctx.presumed.objects.len();
    (MAX_WRITE_OPS - RESERVED_OPS).saturating_sub(objects)
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
                for other in ctx.stored_edge_ids(object, field).await? {
                    if used + 3 > budget {
                        return Ok(true);
                    }
                    let that = ObjectRef::new(target, &other);
                    let forward = edge_key(&ctx.env.schema, object, field, &other);
                    let backward = edge_key(&ctx.env.schema, &that, inverse, &object.id);
                    ctx.edges.insert(forward, None);
                    ctx.edges.insert(backward, None);
                    ctx.bumps.insert(that);
                    used += 3;
                }
            }
            Relation::OneToMany { target, back } => {
                let children: Vec<ObjectRef> = ctx
                    .stored_edge_ids(object, field)
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
