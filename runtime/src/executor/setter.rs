//! The setter's fast path: one conditional update of the object's item that writes the
//! field, bumps the version and records the outcome inline — no read first. A duplicate
//! is recognised in the same round trip: its inline record makes the condition fail, and
//! the store reports the item as it is (`ReturnValuesOnConditionCheckFailure=ALL_OLD`).
//!
//! The condition also asks for room for one more inline record, and that no record of an
//! id sorting with this one was moved out of the item (see `records`). When either
//! fails, the setter continues from the item reported: it looks for its record outside
//! the item when it may be there, and writes its update at the version seen, spilling the
//! oldest inline records into a page in the same atomic write. A setter whose id is not a
//! UUID v7 writes its record apart, in a transaction with the update, on the condition
//! that it is absent.

use serde_json::Value;
use tracing::Instrument;

use super::context::Env;
use super::execute::{answer_unrecorded, back_off, check_age, refused_duplicate, stored_outcome};
use crate::error::Error;
use crate::invocation::{InvocationId, ObjectRef};
use crate::layout::{is_live, object_key, record_key};
use crate::limits;
use crate::records::{self, Placement};
use crate::store::{
    version_of, Condition, Item, Key, StoreError, Update, WriteOp, INVOCATIONS, SPILLED,
};

/// What the setter knows of the object before writing.
enum Known {
    /// Nothing: a blind, conditioned write.
    Nothing,
    /// The item as the store reported it after a failed condition (`None`: absent).
    Item(Option<Item>),
}

/// Sets one plain field of `target` exactly once per invocation id.
pub(crate) async fn set_field(
    env: &Env,
    id: &InvocationId,
    target: &ObjectRef,
    field: &str,
    value: Value,
) -> Result<(), Error> {
    limits::check_field_value(&target.type_name, field, &value)?;
    let config = &env.config;
    let accepted = config.clock.now_ms();
    check_age(id, config, accepted)?;
    let span = tracing::debug_span!("set", invocation = %id, object = %target, field);
    async {
        let mut known = Known::Nothing;
        for attempt in 1..=config.max_attempts {
            let now = config.clock.now_ms();
            check_age(id, config, now)?;
            let record = records::record(&Ok(Value::Null), now);
            let mut update = Update {
                bump_version: true,
                ..Update::default()
            };
            if value.is_null() {
                update.remove.push(field.to_string());
            } else {
                update.set.push((field.to_string(), value.clone()));
            }
            let object = object_key(&env.schema, target);
            let order = records::order_key(id.as_str());
            // A record apart (the id has no order key) goes first, on the condition that it
            // is absent: its refusal means the setter has run.
            let mut ops = Vec::new();
            if order.is_none() {
                ops.push(WriteOp::Put {
                    key: record_key(&env.schema, target, id.as_str()),
                    item: records::apart_item(&record, now, config),
                    condition: Condition::Absent,
                });
            }
            let apart = !ops.is_empty();
            let condition = match (&known, order) {
                (Known::Nothing, Some(order)) => {
                    update.add_invocations.push((id.0.clone(), record));
                    Condition::InlineRoom {
                        invocation: id.0.clone(),
                        order,
                        max: config.inline_records,
                    }
                }
                (Known::Nothing, None) => Condition::LiveWithout(id.0.clone()),
                (Known::Item(item), _) => {
                    if let Some(stored) = item
                        .as_ref()
                        .and_then(|it| records::inline(it, id.as_str()))
                    {
                        tracing::debug!("duplicate: answered from the inline result record");
                        return stored.map(drop);
                    }
                    if item
                        .as_ref()
                        .is_some_and(|it| records::may_be_outside(it, id.as_str()))
                    {
                        if let Some(stored) = stored_outcome(env, target, id).await? {
                            return stored.map(drop);
                        }
                    }
                    let Some(item) = item.as_ref().filter(|it| is_live(Some(it))) else {
                        let missing = Error::not_found(&target.type_name, &target.id);
                        return answer_unrecorded(env, target, id, missing).await.map(drop);
                    };
                    let placement = if apart {
                        Placement::Apart
                    } else {
                        Placement::Inline
                    };
                    let mine = (id.as_str(), &record, placement);
                    let fields = records::fields_bytes(item);
                    let books = records::books(Some(item), fields, Some(mine), now, config);
                    let before = item.get(INVOCATIONS).and_then(Value::as_object);
                    update.remove_invocations = before
                        .into_iter()
                        .flatten()
                        .map(|(kept, _)| kept)
                        .filter(|kept| !books.inline.contains_key(*kept))
                        .cloned()
                        .collect();
                    if let Some(mine) = books.inline.get(id.as_str()) {
                        update.add_invocations.push((id.0.clone(), mine.clone()));
                    }
                    if let Some(spilled) = books.spilled {
                        update.set.push((SPILLED.to_string(), Value::from(spilled)));
                    }
                    if let Some(page) = books.page {
                        ops.push(WriteOp::Put {
                            key: Key::new(&object.table, &object.pk, page.sk),
                            item: page.item,
                            condition: Condition::Always,
                        });
                    }
                    Condition::Version(version_of(item))
                }
            };
            // The object's update comes right after the record apart, if any.
            ops.insert(
                usize::from(apart),
                WriteOp::Update {
                    key: object,
                    update,
                    condition,
                },
            );
            match env.store.write(ops).await {
                Ok(()) => return Ok(()),
                Err(StoreError::ConditionFailed { index, current }) => {
                    if apart && index == Some(0) {
                        return refused_duplicate(env, target, id, current).await.map(drop);
                    }
                    if matches!(known, Known::Item(_)) {
                        back_off(config, attempt).await;
                    }
                    known = Known::Item(current);
                }
                Err(StoreError::TransactionConflict) => back_off(config, attempt).await,
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
