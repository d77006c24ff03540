//! Reading collections: one strongly consistent, paged query of the owner's partition
//! per collection — never one request per element — merged with what the invocation
//! changed itself.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Ctx, Env};
use crate::error::Error;
use crate::invocation::ObjectRef;
use crate::layout::edge_key;
use crate::schema::Relation;
use crate::store::Item;

impl Ctx {
    /// The relationship `field` of `type_name` is part of.
    pub(super) fn relation(&self, type_name: &str, field: &str) -> Result<Relation, Error> {
        self.type_of(type_name)?
            .relations
            .get(field)
            .cloned()
            .ok_or_else(|| Error::validation(format!("`{type_name}.{field}` is not a collection")))
    }

    /// The ids in a collection (a navigation list or a reference list), as this
    /// invocation sees it. Reading a navigation list puts its owner's version in the read
    /// set, so a concurrent change to the list makes this invocation run again.
    pub async fn collection_ids(
        &mut self,
        type_name: &str,
        id: &str,
        field: &str,
    ) -> Result<Vec<String>, Error> {
        let owner = ObjectRef::new(type_name, id);
        let relation = self.relation(type_name, field)?;
        if let Relation::ReferenceList { .. } = relation {
            let fields = self
                .load(type_name, id)
                .await?
                .ok_or_else(|| Error::not_found(type_name, id))?;
            return Ok(string_list(fields.get(field)));
        }
        // A mutating invocation puts the owner's version in its read set (rule 3); a
        // read-only one needs no owner read: the edges are the answer.
        if !self.readonly && self.entry(&owner).await?.fields.is_none() {
            return Err(Error::not_found(type_name, id));
        }
        let mut ids: BTreeSet<String> = match &relation {
            Relation::ReferenceList { .. } => BTreeSet::new(),
            Relation::BackReference { .. } => {
                return Err(Error::validation(format!(
                    "`{type_name}.{field}` is a reference, not a collection"
                )))
            }
            Relation::OneToMany { .. } | Relation::ManyToMany { .. } => {
                stored_edge_ids(&self.env, &owner, field)
                    .await?
                    .into_iter()
                    .collect()
            }
        };
        match &relation {
            Relation::OneToMany { target, back } => {
                // Children whose back-reference this invocation changed.
                for (object, entry) in &self.objects {
                    if &object.type_name != target {
                        continue;
                    }
                    let now = entry
                        .fields
                        .as_ref()
                        .and_then(|f| f.get(back))
                        .and_then(Value::as_str);
                    if now == Some(id) {
                        ids.insert(object.id.clone());
                    } else {
                        ids.remove(&object.id);
                    }
                }
            }
            Relation::ManyToMany { .. } => {
                let prefix = format!("rel#{field}#");
                let table = self.env.schema.table(type_name);
                for (key, change) in &self.edges {
                    if key.table != table || key.pk != id {
                        continue;
                    }
                    if let Some(other) = key.sk.strip_prefix(&prefix) {
                        if change.is_some() {
                            ids.insert(other.to_string());
                        } else {
                            ids.remove(other);
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(ids.into_iter().collect())
    }

    /// The objects in a collection, with their fields; objects that no longer exist are
    /// left out. Fetched with batched reads, never one by one.
    pub async fn collection(
        &mut self,
        type_name: &str,
        id: &str,
        field: &str,
    ) -> Result<Vec<(String, Item)>, Error> {
        let target = match self.relation(type_name, field)? {
            Relation::OneToMany { target, .. }
            | Relation::ManyToMany { target, .. }
            | Relation::ReferenceList { target } => target,
            Relation::BackReference { .. } => {
                return Err(Error::validation(format!(
                    "`{type_name}.{field}` is a reference, not a collection"
                )))
            }
        };
        let ids = self.collection_ids(type_name, id, field).await?;
        let objects: Vec<ObjectRef> = ids.iter().map(|id| ObjectRef::new(&target, id)).collect();
        self.entries(&objects).await?;
        Ok(objects
            .into_iter()
            .filter_map(|object| {
                let fields = self.objects.get(&object)?.fields.clone()?;
                Some((object.id, fields))
            })
            .collect())
    }
}

/// A JSON list of strings (ids), ignoring anything else.
pub(crate) fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The ids the stored edges of `owner.field` point to, in id order.
pub(crate) async fn stored_edge_ids(
    env: &Env,
    owner: &ObjectRef,
    field: &str,
) -> Result<Vec<String>, Error> {
    let prefix = edge_key(&env.schema, owner, field, "").sk;
    let table = env.schema.table(&owner.type_name);
    let mut ids = Vec::new();
    let mut start_after: Option<String> = None;
    loop {
        let page = env
            .store
            .query(
                &table,
                &owner.id,
                &prefix,
                start_after.as_deref(),
                env.config.page_size,
            )
            .await?;
        ids.extend(
            page.items
                .iter()
                .filter_map(|(sk, _)| sk.strip_prefix(&prefix).map(str::to_string)),
        );
        match page.next {
            Some(next) => start_after = Some(next),
            None => return Ok(ids),
        }
    }
}
