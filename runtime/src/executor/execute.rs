//! Running one invocation. A mutating one: read the target (one consistent get; a create
//! takes it to be absent and reads it only when its commit is refused) → if an
//! inline result record holds this invocation id, return the stored outcome → run the
//! method in a [`Ctx`] → commit everything in one conditional write, with the result
//! record inside the target's item or as an item of its own → if the store refuses the
//! record as present, return the stored outcome; if another condition failed, run again
//! from scratch after a jittered back-off, up to a bound, then `Conflict`. Read-only
//! calls read and return: no write, no record. A call that will read its target's
//! collection reads the target with it, in one query (see `context::partition`).

use std::sync::Arc;

use serde_json::Value;
use tracing::Instrument;

use super::cascade::{cascade, cascade_budget, queue_cascade, CASCADE_METHOD};
use super::commit;
use super::context::{collection_to_read_with, Ctx, Env, State};
use super::outbox;
use super::unwind::call_caught;
use crate::config::Config;
use crate::error::Error;
use crate::invocation::{InvocationId, ObjectRef};
use crate::layout::{object_key, record_key, spill_start, CASCADING, SPILL_PREFIX};
use crate::records;
use crate::store::{Item, StoreError, MAX_WRITE_OPS};

/// How many pages of spilled records one query reads at most.
const SPILL_PAGES_READ: usize = 100;

/// One of the things a mutating invocation can do.
#[derive(Debug, Clone)]
pub(crate) enum Operation {
    Method { name: String, args: Value },
    Create { fields: Item },
    Delete,
    AddTo { field: String, ids: Vec<String> },
    RemoveFrom { field: String, ids: Vec<String> },
    Set { field: String, value: Value },
    Cascade,
}

/// How an attempt learns its target's stored item.
enum TargetRead {
    /// Read it from the store (with its collection when the call will read that).
    Read,
    /// Take it to be absent without a read: a create's commit writes it on the condition
    /// that it is, and a refusal hands back what is there.
    AssumeAbsent,
    /// As the store handed it back with a refused commit.
    Reported(Item),
}

/// How one attempt at a mutating invocation ended.
enum Attempt {
    /// With this answer: committed, or found recorded.
    Done(Result<Value, Error>),
    /// With a final answer that was not committed (the target is missing, the commit
    /// would be invalid …): a duplicate whose record is apart must still get its record.
    Unrecorded(Error),
    /// Another invocation changed what this one read: run again.
    Raced,
    /// The target was taken to be absent and is not, or the attempt would end without a
    /// commit (a retry's stored outcome may be there): run again on this item, or on a read
    /// of it when the store did not hand it back.
    Present(Option<Item>),
    /// An object presumed to exist is not there: run again on the target as this attempt
    /// read it and on the object as found (the store reported it, or a read did).
    Unpresumed {
        target: Option<Item>,
        found: (ObjectRef, Option<Item>),
    },
}

/// The mutating path: read, dedup, run, commit, retry on conflict.
pub(crate) async fn mutate(
    env: &Arc<Env>,
    id: &InvocationId,
    target: ObjectRef,
    operation: Operation,
) -> Result<Value, Error> {
    let accepted = env.config.clock.now_ms();
    check_age(id, &env.config, accepted)?;
    let span = tracing::debug_span!("invoke", invocation = %id, object = %target);
    async {
        let config = &env.config;
        // A create assumes its object absent (one round trip when it is), unless this
        // runtime saw the object keep a record apart: it exists, or did, and its put would be
        // refused.
        let mut read = match operation {
            Operation::Create { .. } if !env.apart.ever(&target) => TargetRead::AssumeAbsent,
            _ => TargetRead::Read,
        };
        let mut presume = match &operation {
            Operation::Method { name, .. } => {
                env.presumptions.allowed(&target.type_name, name, accepted)
            }
            _ => false,
        };
        // An object an earlier attempt found missing, as found, and whether the target is
        // taken as that attempt read it.
        let mut known: Option<(ObjectRef, Option<Item>)> = None;
        let mut stale = false;
        let mut attempt = 1;
        while attempt <= config.max_attempts {
            let stale_target = std::mem::take(&mut stale);
            let mut ctx = Ctx::new(env.clone(), id.clone(), target.clone(), false);
            ctx.presumed.enabled = presume;
            if let Some((object, item)) = known.take() {
                ctx.assume(&object, item)?;
            }
            match attempt_once(
                &mut ctx,
                &operation,
                std::mem::replace(&mut read, TargetRead::Read),
            )
            .await?
            {
                Attempt::Done(outcome) => return outcome,
                // An answer without a commit from a target read before a refused commit may
                // be stale (a duplicate may have committed since): read it again first.
                Attempt::Unrecorded(_) if stale_target => read = TargetRead::Read,
                Attempt::Unrecorded(error) => {
                    return answer_unrecorded(env, &target, id, error).await
                }
                Attempt::Raced => {
                    tracing::debug!(attempt, "lost a race; running again");
                    back_off(config, attempt).await;
                    attempt += 1;
                }
                // Not a race: the first attempt assumed too much. It happens once.
                Attempt::Present(item) => {
                    tracing::debug!("the object to create may be there; running on it");
                    read = item.map_or(TargetRead::Read, TargetRead::Reported);
                }
                // Not a race either: an object presumed to exist is not there. Once.
                Attempt::Unpresumed {
                    target: item,
                    found,
                } => {
                    tracing::debug!("an object presumed to exist is not; running again");
                    if let Operation::Method { name, .. } = &operation {
                        let now = config.clock.now_ms();
                        env.presumptions.refuted(&target.type_name, name, now);
                    }
                    presume = false;
                    stale = item.is_some();
                    read = item.map_or(TargetRead::Read, TargetRead::Reported);
                    known = Some(found);
                }
            }
        }
        Err(Error::Conflict {
            attempts: config.max_attempts,
        })
    }
    .instrument(span)
    .await
}

/// One run of `operation` in a fresh `ctx`, its target learned as `read` says, and its
/// commit.
async fn attempt_once(
    ctx: &mut Ctx,
    operation: &Operation,
    read: TargetRead,
) -> Result<Attempt, Error> {
    let target = ctx.this_ref().clone();
    let env = ctx.env.clone();
    let invocation = ctx.invocation.clone();
    let assumed = matches!(read, TargetRead::AssumeAbsent);
    let entry = match read {
        TargetRead::AssumeAbsent => ctx.assume(&target, None)?,
        TargetRead::Reported(item) => ctx.assume(&target, Some(item))?,
        TargetRead::Read => {
            let reads_collection = match operation {
                Operation::Delete => true,
                Operation::Method { name, .. } => {
                    env.reads.reads_collection(&target.type_name, name)
                }
                _ => false,
            };
            let with = collection_to_read_with(&env, &target, reads_collection, true);
            ctx.read_object(&target, with.as_deref()).await?
        }
    };
    let exists = entry.fields.is_some();
    let original = entry.original.as_ref();
    if let Some(stored) = original.and_then(|item| records::inline(item, invocation.as_str())) {
        tracing::debug!("duplicate: answered from the inline result record");
        return Ok(Attempt::Done(stored));
    }
    if original.is_some_and(|item| records::may_be_outside(item, invocation.as_str())) {
        if let Some(stored) = stored_outcome(&env, &target, &invocation).await? {
            return Ok(Attempt::Done(stored));
        }
    }
    let cascading = original.is_some_and(|item| item.contains_key(CASCADING));
    match (operation, exists) {
        // Nothing left to remove (or not a deleted object): done.
        (Operation::Cascade, _) if exists || !cascading => {
            return Ok(Attempt::Done(Ok(Value::Null)))
        }
        (Operation::Create { .. }, true) => {
            return Ok(Attempt::Unrecorded(Error::AlreadyExists {
                type_name: target.type_name.clone(),
                id: target.id.clone(),
            }))
        }
        (Operation::Cascade, _) | (Operation::Create { .. }, false) | (_, true) => {}
        (_, false) => {
            return Ok(Attempt::Unrecorded(Error::not_found(
                &target.type_name,
                &target.id,
            )))
        }
    }
    let outcome = records::recordable(run(ctx, operation).await, &describe(&target, operation));
    if let Some(found) = ctx.presumed.refuted.take() {
        return Ok(unpresumed(ctx, &target, found));
    }
    if assumed && outcome.is_err() {
        // A failure may be a retry's, whose stored outcome a read would have found.
        return Ok(Attempt::Present(None));
    }
    match &outcome {
        // A call refused for naming an id no store can hold would be refused alike again.
        Err(error) if ctx.invalid_id.as_ref() == Some(error) => {
            return Ok(Attempt::Unrecorded(error.clone()))
        }
        // Nothing of a panicked call commits; a repeat of one that committed before (its
        // record apart, or its target read before that commit) still gets its record.
        Err(error @ Error::Panicked { .. }) => return Ok(Attempt::Unrecorded(error.clone())),
        _ => {}
    }
    if let (Operation::Method { name, .. }, Ok(_)) = (operation, &outcome) {
        env.reads
            .learn(&target.type_name, name, ctx.read_own_collection);
    }
    if let Err(error) = &outcome {
        if !is_final(error) {
            return Err(error.clone());
        }
    }
    let prepared = commit::prepare(ctx, &outcome, &describe(&target, operation)).await;
    // Building the commit reads too (new parents, children to unlink).
    if let Some(found) = ctx.presumed.refuted.take() {
        return Ok(unpresumed(ctx, &target, found));
    }
    let commit = match prepared {
        Ok(commit) => commit,
        Err(error) if assumed && is_final(&error) => return Ok(Attempt::Present(None)),
        Err(error) if is_final(&error) => return Ok(Attempt::Unrecorded(error)),
        Err(error) => return Err(error),
    };
    debug_assert!(commit.ops.len() <= MAX_WRITE_OPS);
    let writing_ms = env.config.clock.now_ms();
    match check_age(&ctx.invocation, &env.config, writing_ms) {
        Err(_) if assumed => return Ok(Attempt::Present(None)),
        checked => checked?,
    }
    let target_key = object_key(&env.schema, &target);
    let target_op = commit.ops.iter().position(|op| op.key() == &target_key);
    let written = env.store.write(commit.ops).await;
    if matches!(
        &written,
        Ok(()) | Err(StoreError::Unavailable(_) | StoreError::Crash(_))
    ) {
        // Its asynchronous calls are (or may be) stored: this process's collector looks
        // in their partitions next round.
        outbox::mark_sent(&env, &ctx.outbox);
    }
    match written {
        Ok(()) => {
            env.collections.keep(commit.proved, writing_ms);
            if commit.record_apart {
                env.apart.saw_records(&target);
            }
            Ok(Attempt::Done(outcome))
        }
        Err(StoreError::ConditionFailed { index, current }) if assumed && index == target_op => {
            Ok(Attempt::Present(current))
        }
        Err(StoreError::ConditionFailed {
            index: Some(index),
            current,
        }) if commit.presumed.iter().any(|(at, _)| *at == index) => {
            let object = commit
                .presumed
                .into_iter()
                .find_map(|(at, object)| (at == index).then_some(object));
            Ok(object.map_or(Attempt::Raced, |object| {
                unpresumed(ctx, &target, (object, current))
            }))
        }
        Err(StoreError::ConditionFailed {
            index: Some(0),
            current,
        }) if commit.record_apart => Ok(Attempt::Done(
            refused_duplicate(&env, &target, &invocation, current).await,
        )),
        Err(StoreError::ConditionFailed { .. } | StoreError::TransactionConflict) => {
            Ok(Attempt::Raced)
        }
        Err(error) => Err(error.into()),
    }
}

/// The attempt's end when the object `found` (as found) was presumed to exist and is not:
/// run again on the target's item as `ctx` first read it — the next commit is conditioned
/// on that version, so a stale one costs a race, never a wrong answer.
fn unpresumed(ctx: &Ctx, target: &ObjectRef, found: (ObjectRef, Option<Item>)) -> Attempt {
    let target = ctx
        .objects
        .get(target)
        .and_then(|entry| entry.original.clone());
    Attempt::Unpresumed { target, found }
}

/// The answer to an invocation that ends without a commit: its stored outcome when it is
/// a duplicate of one whose record is kept apart, `error` otherwise. Records that may lie
/// outside the object were already looked for with its read when the id is a UUID v7
/// (see `records`); another id's record is always apart, so it is looked up here.
pub(crate) async fn answer_unrecorded(
    env: &Env,
    target: &ObjectRef,
    id: &InvocationId,
    error: Error,
) -> Result<Value, Error> {
    if records::order_key(id.as_str()).is_none() {
        check_age(id, &env.config, env.config.clock.now_ms())?;
        if let Some(stored) = apart_outcome(env, target, id, None).await? {
            tracing::debug!("duplicate: answered from its result record");
            return stored;
        }
    }
    Err(error)
}

/// The stored outcome of `id` on `target` outside the object's item: in its record kept
/// apart or in a page of spilled records; `None` when it has none, so the invocation has
/// not committed there. Both are read at once. Asked only when the object's `_spilled`
/// says the record may be outside (see `records`).
pub(crate) async fn stored_outcome(
    env: &Env,
    target: &ObjectRef,
    id: &InvocationId,
) -> Result<Option<Result<Value, Error>>, Error> {
    check_age(id, &env.config, env.config.clock.now_ms())?;
    let (apart, spilled) = tokio::join!(
        apart_outcome(env, target, id, None),
        spilled_outcome(env, target, id)
    );
    let found = apart?.or(spilled?);
    if found.is_some() {
        tracing::debug!("duplicate: answered from its result record outside the object");
    }
    Ok(found)
}

/// The outcome of `id` in the pages of records spilled from `target`: read from the first
/// page whose newest record is as new as `id`, on until found (a record committed late
/// may sit in a later page) or the pages end.
async fn spilled_outcome(
    env: &Env,
    target: &ObjectRef,
    id: &InvocationId,
) -> Result<Option<Result<Value, Error>>, Error> {
    let key = object_key(&env.schema, target);
    let Some(order) = records::order_key(id.as_str()) else {
        return Ok(None);
    };
    let mut after = Some(spill_start(&order));
    while let Some(start) = after {
        let page = env
            .store
            .query(
                &key.table,
                &key.pk,
                SPILL_PREFIX,
                Some(&start),
                SPILL_PAGES_READ,
            )
            .await?;
        if let Some(found) = page
            .items
            .iter()
            .find_map(|(_, item)| records::in_page(item, id.as_str()))
        {
            return Ok(Some(found));
        }
        after = page.next;
    }
    Ok(None)
}

/// The answer to a duplicate whose result record the store refused to write again, as
/// present: the outcome it holds, from `reported` (the record as the store reported it
/// with the refusal) or read when the store did not report it.
pub(crate) async fn refused_duplicate(
    env: &Env,
    target: &ObjectRef,
    id: &InvocationId,
    reported: Option<Item>,
) -> Result<Value, Error> {
    tracing::debug!("duplicate: the store refused its result record as present");
    apart_outcome(env, target, id, reported)
        .await?
        .unwrap_or_else(|| {
            Err(Error::Store {
                message: format!("the result record of {id} is present but cannot be read"),
            })
        })
}

/// The outcome in the result record of `id` kept apart on `target`: `reported` when the
/// store already handed the record over, read otherwise; `None` when there is none.
async fn apart_outcome(
    env: &Env,
    target: &ObjectRef,
    id: &InvocationId,
    reported: Option<Item>,
) -> Result<Option<Result<Value, Error>>, Error> {
    let record = match reported {
        Some(record) => Some(record),
        None => {
            let key = record_key(&env.schema, target, id.as_str());
            env.store.get(&key).await?
        }
    };
    Ok(record.as_ref().and_then(records::outcome))
}

/// The read-only path: the target must exist; no write, no record.
pub(crate) async fn read_only(
    env: &Arc<Env>,
    id: &InvocationId,
    target: ObjectRef,
    method: &str,
    args: Value,
) -> Result<Value, Error> {
    let span = tracing::debug_span!("readonly", invocation = %id, object = %target, method);
    async {
        let handler = env.handler(&target.type_name)?;
        let mut ctx = Ctx::new(env.clone(), id.clone(), target.clone(), true);
        let reads_collection = env.reads.reads_collection(&target.type_name, method);
        let with = collection_to_read_with(env, &target, reads_collection, false);
        if ctx
            .read_object(&target, with.as_deref())
            .await?
            .fields
            .is_none()
        {
            return Err(Error::not_found(&target.type_name, &target.id));
        }
        let answer = call_caught(handler.as_ref(), &mut ctx, method, args).await;
        if answer.is_ok() {
            env.reads
                .learn(&target.type_name, method, ctx.read_own_collection);
        }
        answer
    }
    .instrument(span)
    .await
}

/// The call, for messages: `Counter `c`.increment`.
fn describe(target: &ObjectRef, operation: &Operation) -> String {
    match operation {
        Operation::Method { name, .. } => format!("{target}.{name}"),
        _ => target.to_string(),
    }
}

/// Outcomes that are recorded as the invocation's answer. Store failures are not: the
/// client retries them with the same id. Neither is a panic: nothing of the call commits.
pub(crate) fn is_final(error: &Error) -> bool {
    !matches!(
        error,
        Error::Unavailable { .. }
            | Error::Store { .. }
            | Error::Conflict { .. }
            | Error::Panicked { .. }
    )
}

/// Runs one operation in `ctx`.
async fn run(ctx: &mut Ctx, operation: &Operation) -> Result<Value, Error> {
    let target = ctx.this_ref().clone();
    let (type_name, id) = (target.type_name.as_str(), target.id.as_str());
    match operation {
        Operation::Method { name, args } => {
            let handler = ctx.env.handler(type_name)?;
            call_caught(handler.as_ref(), ctx, name, args.clone()).await
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
            let budget = cascade_budget(ctx);
            if cascade(ctx, &target, budget).await? {
                queue_cascade(ctx, &target);
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

/// The method name of the runtime's own call that continues a chunked cascade.
pub(crate) fn is_cascade(method: &str) -> bool {
    method == CASCADE_METHOD
}

/// Waits before attempt `attempt + 1`: exponential with full jitter, capped.
pub(crate) async fn back_off(config: &Config, attempt: u32) {
    let base = config.backoff.as_micros() as u64;
    let ceiling = base.saturating_mul(1 << attempt.min(8)).min(250_000);
    let wait = fastrand::u64(0..=ceiling.max(1));
    tokio::time::sleep(std::time::Duration::from_micros(wait)).await;
}

/// Refuses an invocation whose id (a UUID v7, or derived from one) is older than the dedup
/// window at `now_ms`: its record may be gone, so running it could run it twice. Checked
/// when the invocation is accepted and again right before its commit, when a duplicate
/// may meet its record: a method that ran long must not outlive the record it would find.
pub(crate) fn check_age(id: &InvocationId, config: &Config, now_ms: u64) -> Result<(), Error> {
    let Some(created_ms) = id.created_ms() else {
        return Ok(());
    };
    if now_ms.saturating_sub(created_ms) > config.window_ms() {
        return Err(Error::Expired {
            invocation: id.to_string(),
        });
    }
    // Records are kept half a window past the window for clocks running ahead by up to
    // that much; an id further ahead would outlive its record.
    if created_ms.saturating_sub(now_ms) > config.window_ms() / 2 {
        return Err(Error::validation(format!(
            "invocation {id} was made more than half the dedup window ahead of this clock: check the client's clock"
        )));
    }
    Ok(())
}
