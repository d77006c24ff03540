//! Writes: puts, deletes, updates and transactions, with the fallback for an update of
//! a missing `_inv` map.

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, Put, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update as SdkUpdate,
};

use super::convert::{item_attributes, item_from_attributes, key_attributes};
use super::errors::{
    build_error, classify, condition_failed, distinct_tables, is_invalid_path, transact_error,
    TransactError,
};
use super::expr::{touches_invocations, Expr, InvocationForm};
use super::DynamoStore;
use crate::store::{
    condition_holds, Condition, Item, Key, StoreError, Update, WriteOp, INVOCATIONS, PK,
};

impl DynamoStore {
    /// The transaction item of one operation.
    fn transact_item(
        &self,
        op: &WriteOp,
        form: InvocationForm,
    ) -> Result<TransactWriteItem, StoreError> {
        let item = TransactWriteItem::builder();
        Ok(match op {
            WriteOp::Put {
                key,
                item: attributes,
                condition,
            } => item.put(self.put(key, attributes, condition)?),
            WriteOp::Delete { key, condition } => item.delete(self.delete(key, condition)?),
            WriteOp::Check { key, condition } => item.condition_check(self.check(key, condition)?),
            WriteOp::Update {
                key,
                update,
                condition,
            } => item.update(self.update(key, update, condition, form)?),
        }
        .build())
    }

    fn put(&self, key: &Key, attributes: &Item, condition: &Condition) -> Result<Put, StoreError> {
        let mut expr = Expr::default();
        let condition = expr.condition(condition);
        Put::builder()
            .table_name(self.table_name(&key.table))
            .set_item(Some(item_attributes(key, attributes)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)
    }

    fn delete(&self, key: &Key, condition: &Condition) -> Result<Delete, StoreError> {
        let mut expr = Expr::default();
        let condition = expr.condition(condition);
        Delete::builder()
            .table_name(self.table_name(&key.table))
            .set_key(Some(key_attributes(key)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)
    }

    fn check(&self, key: &Key, condition: &Condition) -> Result<ConditionCheck, StoreError> {
        let mut expr = Expr::default();
        // A check needs an expression; `Always` becomes one that always holds.
        let condition = expr.condition(condition).unwrap_or_else(|| {
            let pk = expr.name("#pk", PK);
            format!("attribute_exists({pk}) OR attribute_not_exists({pk})")
        });
        ConditionCheck::builder()
            .table_name(self.table_name(&key.table))
            .set_key(Some(key_attributes(key)))
            .condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)
    }

    fn update(
        &self,
        key: &Key,
        update: &Update,
        condition: &Condition,
        form: InvocationForm,
    ) -> Result<SdkUpdate, StoreError> {
        let mut expr = Expr::default();
        let update_expression = expr.update(update, form)?;
        let mut condition = expr.condition(condition);
        if form == InvocationForm::Whole {
            let absent = format!("attribute_not_exists({})", expr.name("#inv", INVOCATIONS));
            condition = Some(match condition {
                Some(condition) => format!("{condition} AND {absent}"),
                None => absent,
            });
        }
        SdkUpdate::builder()
            .table_name(self.table_name(&key.table))
            .set_key(Some(key_attributes(key)))
            .update_expression(update_expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)
    }

    /// Sends one operation as one request (a lone check as a one-item transaction) and
    /// counts its capacity units; an update returns the item after it.
    pub(super) async fn write_one(&self, op: &WriteOp) -> Result<Option<Item>, StoreError> {
        let result = match op {
            WriteOp::Put {
                key,
                item,
                condition,
            } => self
                .put_item(self.put(key, item, condition)?, &key.table)
                .await
                .map(|()| None),
            WriteOp::Delete { key, condition } => self
                .delete_item(self.delete(key, condition)?, &key.table)
                .await
                .map(|()| None),
            WriteOp::Update {
                key,
                update,
                condition,
            } => self.update_with_fallback(key, update, condition).await,
            WriteOp::Check { .. } => {
                return self.transact(std::slice::from_ref(op)).await.map(|()| None)
            }
        };
        match &result {
            Ok(after) => self.sizes.count_write(&self.stats, op, after.as_ref()),
            Err(StoreError::ConditionFailed { current, .. }) => {
                self.sizes
                    .count_refused(&self.stats, op.key(), current.as_ref())
            }
            Err(_) => {}
        }
        result
    }

    async fn put_item(&self, put: Put, table: &str) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(put.table_name)
            .set_item(Some(put.item))
            .set_condition_expression(put.condition_expression)
            .set_expression_attribute_names(put.expression_attribute_names)
            .set_expression_attribute_values(put.expression_attribute_values)
            .set_return_values_on_condition_check_failure(
                put.return_values_on_condition_check_failure,
            )
            .send()
            .await
            .map_err(|err| match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    condition_failed(0, failed.item())
                }
                _ => classify(err, table),
            })?;
        self.stats.written(1);
        Ok(())
    }

    async fn delete_item(&self, delete: Delete, table: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(delete.table_name)
            .set_key(Some(delete.key))
            .set_condition_expression(delete.condition_expression)
            .set_expression_attribute_names(delete.expression_attribute_names)
            .set_expression_attribute_values(delete.expression_attribute_values)
            .set_return_values_on_condition_check_failure(
                delete.return_values_on_condition_check_failure,
            )
            .send()
            .await
            .map_err(|err| match err.as_service_error() {
                Some(DeleteItemError::ConditionalCheckFailedException(failed)) => {
                    condition_failed(0, failed.item())
                }
                _ => classify(err, table),
            })?;
        self.stats.written(1);
        Ok(())
    }

    /// One `UpdateItem`, returning the item after it (which also tells its size).
    async fn update_item(&self, update: SdkUpdate, table: &str) -> Result<Item, StoreError> {
        let output = self
            .client
            .update_item()
            .table_name(update.table_name)
            .set_key(Some(update.key))
            .update_expression(update.update_expression)
            .set_condition_expression(update.condition_expression)
            .set_expression_attribute_names(update.expression_attribute_names)
            .set_expression_attribute_values(update.expression_attribute_values)
            .set_return_values_on_condition_check_failure(
                update.return_values_on_condition_check_failure,
            )
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|err| match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    condition_failed(0, failed.item())
                }
                _ => classify(err, table),
            })?;
        self.stats.written(1);
        item_from_attributes(output.attributes.unwrap_or_default())
    }

    /// An update as one `UpdateItem`. DynamoDB cannot set an entry of a map that does not
    /// exist: when `_inv` is missing, the update is sent again writing `_inv` whole, on the
    /// condition that it is still missing (one more round trip, only then).
    pub(super) async fn update_with_fallback(
        &self,
        key: &Key,
        update: &Update,
        condition: &Condition,
    ) -> Result<Option<Item>, StoreError> {
        let request = self.update(key, update, condition, InvocationForm::Entries)?;
        match self.update_item(request, &key.table).await.map(Some) {
            Err(err) if touches_invocations(update) && is_invalid_path(&err) => {
                tracing::debug!(%key, "`_inv` missing: writing it whole");
                let request = self.update(key, update, condition, InvocationForm::Whole)?;
                let result = self.update_item(request, &key.table).await.map(Some);
                result.map_err(|err| conflict_if_raced(err, |_| Some(condition)))
            }
            other => other,
        }
    }

    /// Several operations (or a lone check) as one `TransactWriteItems`, with the same
    /// fallback as [`DynamoStore::update_with_fallback`] for updates of a missing `_inv`.
    pub(super) async fn transact(&self, ops: &[WriteOp]) -> Result<(), StoreError> {
        let forms = vec![InvocationForm::Entries; ops.len()];
        let err = match self.transact_once(ops, &forms).await {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        let Some(indices) = err.invalid_paths else {
            return Err(err.error);
        };
        let forms: Vec<InvocationForm> = ops
            .iter()
            .enumerate()
            .map(|(index, op)| match op {
                WriteOp::Update { update, .. }
                    if touches_invocations(update)
                        && (indices.is_empty() || indices.contains(&index)) =>
                {
                    InvocationForm::Whole
                }
                _ => InvocationForm::Entries,
            })
            .collect();
        if !forms.contains(&InvocationForm::Whole) {
            return Err(err.error);
        }
        tracing::debug!("`_inv` missing in a transaction: writing it whole");
        let result = self
            .transact_once(ops, &forms)
            .await
            .map_err(|err| err.error);
        result.map_err(|err| {
            conflict_if_raced(err, |index| {
                (forms.get(index) == Some(&InvocationForm::Whole))
                    .then(|| ops.get(index).map(WriteOp::condition))
                    .flatten()
            })
        })
    }

    /// Several operations as one `TransactWriteItems`, once.
    async fn transact_once(
        &self,
        ops: &[WriteOp],
        forms: &[InvocationForm],
    ) -> Result<(), TransactError> {
        let items = ops
            .iter()
            .zip(forms)
            .map(|(op, form)| self.transact_item(op, *form))
            .collect::<Result<Vec<_>, _>>()
            .map_err(TransactError::from)?;
        let op_tables: Vec<&str> = ops.iter().map(|op| op.key().table.as_str()).collect();
        let tables = distinct_tables(op_tables.iter().copied());
        let sent = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        if let Err(err) = sent {
            let mut err = transact_error(err, &op_tables, &tables, &self.prefix);
            err.error = self.which_missing(err.error, &tables).await;
            return Err(err);
        }
        self.stats.committed(ops);
        self.sizes.count_transaction(&self.stats, ops);
        Ok(())
    }
}

/// After a whole-`_inv` retry, a failed condition whose original part holds means `_inv`
/// appeared in between: a conflict, not a failed condition. `original(i)` is the original
/// condition of operation `i`, if it was retried that way.
fn conflict_if_raced<'a>(
    err: StoreError,
    original: impl Fn(usize) -> Option<&'a Condition>,
) -> StoreError {
    match err {
        StoreError::ConditionFailed {
            index: Some(index),
            current,
        } if original(index)
            .is_some_and(|condition| condition_holds(condition, current.as_ref())) =>
        {
            StoreError::TransactionConflict
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn a_raced_whole_map_update_is_a_conflict() {
        let live = Condition::LiveWithout("i1".into());
        let raced = StoreError::ConditionFailed {
            index: Some(0),
            current: Some(item_with_inv()),
        };
        assert_eq!(
            conflict_if_raced(raced, |_| Some(&live)),
            StoreError::TransactionConflict
        );
        let absent = StoreError::ConditionFailed {
            index: Some(0),
            current: None,
        };
        assert_eq!(conflict_if_raced(absent.clone(), |_| Some(&live)), absent);
    }

    fn item_with_inv() -> Item {
        match json!({"_inv": {"other": 1}}) {
            Value::Object(map) => map,
            _ => Item::new(),
        }
    }
}
