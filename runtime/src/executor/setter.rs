//! The setter's fast path: one conditional update of the object's item that writes the
//! field, bumps the version and records the outcome — no read first. A duplicate is
//! recognised in the same round trip: its inline record makes the condition fail, and
//! the store reports the item as it is (`ReturnValuesOnConditionCheckFailure=ALL_OLD`).
//!
//! An object that keeps its records apart (or whose inline records are full) refuses the
//! inline update by its condition; the setter then writes the record as an item of its
//! own in the same transaction as the update, conditioned on being absent. The runtime
//! remembers which objects keep their records apart, so a busy object's setter goes
//! straight to that transaction: one round trip either way.

use serde_json::Value;
use tracing::Instrument;

use super::context::Env;
use super::execute::{answer_unrecorded, back_off, check_age, refused_duplicate};
use crate::error::Error;
use crate::invocation::{InvocationId, ObjectRef};
use crate::layout::{is_live, object_key, record_key};
use crate::records::{self, Placement};
use crate::store::{version_of, Condition, Item, StoreError, Update, WriteOp, APART};

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
            let (condition, placement) = match &known {
                Known::Nothing if env.apart.is_apart(target, accepted) => {
                    (Condition::LiveWithout(id.0.clone()), Placement::Apart)
                }
                Known::Nothing => (
                    Condition::InlineRoom {
                        invocation: id.0.clone(),
                        at_ms: accepted,
                        max: config.inline_records,
                    },
                    Placement::Inline,
                ),
                Known::Item(item) => {
                    if let Some(stored) = item
                        .as_ref()
                        .and_then(|it| records::inline(it, id.as_str()))
                    {
                        tracing::debug!("duplicate: answered from the inline result record");
                        return stored.map(drop);
                    }
                    let Some(item) = item.as_ref().filter(|it| is_live(Some(it))) else {
                        let missing = Error::not_found(&target.type_name, &target.id);
                        return answer_unrecorded(
                            env,
                            target,
                            id,
                            item.as_ref(),
                            accepted,
                            missing,
                        )
                        .await
                        .map(drop);
                    };
                    update.remove_invocations = records::expired_inline(item, now, config);
                    let placement = records::place(Some(item), &record, accepted, now, config);
                    (Condition::Version(version_of(item)), placement)
                }
            };
            let object = object_key(&env.schema, target);
            let mut ops = Vec::new();
            // A blind write cannot see the stored `_apart`; it sets this record's retention,
            // past every earlier one but for writes racing this one (which the half window
            // of margin covers).
            let seen = match &known {
                Known::Item(item) => item.as_ref(),
                Known::Nothing => None,
            };
            let until = records::apart_after(seen, now, config);
            match placement {
                Placement::Inline => update.add_invocations.push((id.0.clone(), record)),
                Placement::Apart => {
                    update.set.push((APART.to_string(), Value::from(until)));
                    ops.push(WriteOp::Put {
                        key: record_key(&env.schema, target, id.as_str()),
                        item: records::apart_item(&record, now, config),
                        condition: Condition::Absent,
                    });
                }
            }
            let apart = placement == Placement::Apart;
            ops.push(WriteOp::Update {
                key: object,
                update,
                condition,
            });
            match env.store.write(ops).await {
                Ok(()) => {
                    env.apart.learn(target, apart.then_some(until));
                    return Ok(());
                }
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
