//! Condition and update expressions, with their name and value placeholders.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::AttributeValue;

use super::convert::{to_attribute, AttributeMap};
use crate::store::{Condition, StoreError, Update, DELETED, INVOCATIONS, PK, SPILLED, VERSION};

/// How an update changes the `_inv` map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InvocationForm {
    /// Entry by entry (`SET #inv.#a0 = :a0`, `REMOVE #inv.#x0`): needs `_inv` to exist.
    Entries,
    /// The whole map at once (`SET #inv = :inv`), only where `_inv` does not exist yet.
    Whole,
}

/// Whether an update adds or removes entries of the `_inv` map.
pub(super) fn touches_invocations(update: &Update) -> bool {
    !update.add_invocations.is_empty() || !update.remove_invocations.is_empty()
}

/// The placeholders of one request's expressions.
#[derive(Debug, Default)]
pub(super) struct Expr {
    names: HashMap<String, String>,
    values: AttributeMap,
}

impl Expr {
    /// Binds `placeholder` (`#…`) to an attribute name and returns it.
    pub(super) fn name(&mut self, placeholder: &str, name: &str) -> String {
        self.names.insert(placeholder.to_string(), name.to_string());
        placeholder.to_string()
    }

    /// Binds `placeholder` (`:…`) to a value and returns it.
    pub(super) fn value(&mut self, placeholder: &str, value: AttributeValue) -> String {
        self.values.insert(placeholder.to_string(), value);
        placeholder.to_string()
    }

    /// The name placeholders, `None` when there are none.
    pub(super) fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    /// The value placeholders, `None` when there are none.
    pub(super) fn values(&self) -> Option<AttributeMap> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }

    /// The condition expression, `None` for [`Condition::Always`].
    pub(super) fn condition(&mut self, condition: &Condition) -> Option<String> {
        match condition {
            Condition::Always => None,
            Condition::Absent => Some(format!("attribute_not_exists({})", self.name("#pk", PK))),
            Condition::Version(version) => {
                let v = self.name("#v", VERSION);
                let value = self.value(":v", AttributeValue::N(version.to_string()));
                if *version == 0 {
                    // An existing item without `_v` is at version 0 (see `version_of`).
                    let pk = self.name("#pk", PK);
                    return Some(format!(
                        "attribute_exists({pk}) AND (attribute_not_exists({v}) OR {v} = {value})"
                    ));
                }
                Some(format!("{v} = {value}"))
            }
            Condition::Live => {
                let pk = self.name("#pk", PK);
                let del = self.name("#del", DELETED);
                Some(format!(
                    "attribute_exists({pk}) AND attribute_not_exists({del})"
                ))
            }
            Condition::LiveWithout(invocation) => Some(self.live_without(invocation)),
            Condition::InlineRoom {
                invocation,
                order,
                max,
            } => {
                let live = self.live_without(invocation);
                let inv = self.name("#inv", INVOCATIONS);
                let spilled = self.name("#spilled", SPILLED);
                let made = self.value(":order", AttributeValue::S(order.clone()));
                let max = self.value(":max", AttributeValue::N(max.to_string()));
                Some(format!(
                    "{live} AND (attribute_not_exists({spilled}) OR {spilled} < {made}) AND (attribute_not_exists({inv}) OR size({inv}) < {max})"
                ))
            }
        }
    }

    /// The item exists, is no tombstone and holds no inline record of `invocation`.
    fn live_without(&mut self, invocation: &str) -> String {
        let pk = self.name("#pk", PK);
        let del = self.name("#del", DELETED);
        let inv = self.name("#inv", INVOCATIONS);
        let id = self.name("#id", invocation);
        format!(
            "attribute_exists({pk}) AND attribute_not_exists({del}) AND attribute_not_exists({inv}.{id})"
        )
    }

    /// The update expression (`SET …` and `REMOVE …`).
    pub(super) fn update(
        &mut self,
        update: &Update,
        form: InvocationForm,
    ) -> Result<String, StoreError> {
        let mut set = Vec::new();
        let mut remove = Vec::new();
        for (i, (name, value)) in update.set.iter().enumerate() {
            let name = self.name(&format!("#s{i}"), name);
            let value = self.value(&format!(":s{i}"), to_attribute(value));
            set.push(format!("{name} = {value}"));
        }
        for (i, name) in update.remove.iter().enumerate() {
            remove.push(self.name(&format!("#r{i}"), name));
        }
        if touches_invocations(update) {
            self.invocations(update, form, &mut set, &mut remove);
        }
        if update.bump_version {
            let v = self.name("#v", VERSION);
            let zero = self.value(":zero", AttributeValue::N("0".into()));
            let one = self.value(":one", AttributeValue::N("1".into()));
            set.push(format!("{v} = if_not_exists({v}, {zero}) + {one}"));
        }
        let mut clauses = Vec::new();
        if !set.is_empty() {
            clauses.push(format!("SET {}", set.join(", ")));
        }
        if !remove.is_empty() {
            clauses.push(format!("REMOVE {}", remove.join(", ")));
        }
        if clauses.is_empty() {
            return Err(StoreError::Invalid(
                "an update must change at least one attribute".into(),
            ));
        }
        Ok(clauses.join(" "))
    }

    /// The changes of the `_inv` map.
    fn invocations(
        &mut self,
        update: &Update,
        form: InvocationForm,
        set: &mut Vec<String>,
        remove: &mut Vec<String>,
    ) {
        let inv = self.name("#inv", INVOCATIONS);
        match form {
            InvocationForm::Entries => {
                for (i, (id, record)) in update.add_invocations.iter().enumerate() {
                    let id = self.name(&format!("#a{i}"), id);
                    let record = self.value(&format!(":a{i}"), to_attribute(record));
                    set.push(format!("{inv}.{id} = {record}"));
                }
                for (i, id) in update.remove_invocations.iter().enumerate() {
                    remove.push(format!("{inv}.{}", self.name(&format!("#x{i}"), id)));
                }
            }
            InvocationForm::Whole => {
                let removed: HashSet<&String> = update.remove_invocations.iter().collect();
                let records = update
                    .add_invocations
                    .iter()
                    .filter(|(id, _)| !removed.contains(id))
                    .map(|(id, record)| (id.clone(), to_attribute(record)))
                    .collect();
                let records = self.value(":inv", AttributeValue::M(records));
                set.push(format!("{inv} = {records}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn update_expression_has_every_part() {
        let update = Update {
            set: vec![("a".into(), json!(1))],
            remove: vec!["b".into()],
            add_invocations: vec![("id1".into(), json!({"r": 1}))],
            remove_invocations: vec!["id0".into()],
            bump_version: true,
        };
        let mut expr = Expr::default();
        let text = expr
            .update(&update, InvocationForm::Entries)
            .unwrap_or_default();
        assert_eq!(
            text,
            "SET #s0 = :s0, #inv.#a0 = :a0, #v = if_not_exists(#v, :zero) + :one REMOVE #r0, #inv.#x0"
        );
        assert_eq!(expr.names.get("#a0").map(String::as_str), Some("id1"));
        let mut whole = Expr::default();
        let text = whole
            .update(&update, InvocationForm::Whole)
            .unwrap_or_default();
        assert_eq!(
            text,
            "SET #s0 = :s0, #inv = :inv, #v = if_not_exists(#v, :zero) + :one REMOVE #r0"
        );
    }

    #[test]
    fn empty_update_is_invalid() {
        let mut expr = Expr::default();
        assert!(matches!(
            expr.update(&Update::default(), InvocationForm::Entries),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn conditions_use_placeholders() {
        let mut expr = Expr::default();
        let text = expr.condition(&Condition::LiveWithout("inv-1".into()));
        assert_eq!(
            text.as_deref(),
            Some("attribute_exists(#pk) AND attribute_not_exists(#del) AND attribute_not_exists(#inv.#id)")
        );
        assert_eq!(expr.names.get("#id").map(String::as_str), Some("inv-1"));
        assert_eq!(Expr::default().condition(&Condition::Always), None);
    }
}
