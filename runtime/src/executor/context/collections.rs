//! Reading collections: one strongly consistent, paged query of the owner's partition
//! per collection — never one request per element — merged with what the invocation
//! changed itself. Edges to objects of an immutable type carry a copy of their fields, so
//! such a collection is read with the query alone.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::{Ctx, Env};
use crate::error::Error;
use crate::invocation::ObjectRef;
use crate::layout::{edge_copy, edge_key};
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
        let members = self.members(type_name, id, field).await?;
        Ok(members.into_iter().map(|(id, _)| id).collect())
    }

    /// The members of a collection in id order, each with the copy of its fields that
    /// its stored edge carries (if it does).
    async fn members(
        &mut self,
        type_name: &str,
        id: &str,
        field: &str,
    ) -> Result<Vec<(String, Option<Item>)>, Error> {
        let owner = ObjectRef::new(type_name, id);
        let relation = self.relation(type_name, field)?;
        match &relation {
            Relation::ReferenceList { .. } => {
                let fields = self
                    .load(type_name, id)
                    .await?
                    .ok_or_else(|| Error::not_found(type_name, id))?;
                let ids = string_list(fields.get(field));
                return Ok(ids.into_iter().map(|id| (id, None)).collect());
            }
            Relation::BackReference { .. } => {
                return Err(Error::validation(format!(
                    "`{type_name}.{field}` is a reference, not a collection"
                )))
            }
            Relation::OneToMany { .. } | Relation::ManyToMany { .. } => {}
        }
        // A mutating invocation puts the owner's version in its read set (rule 3), even
        // when the owner was reached through a collection itself; a read-only one needs no
        // owner read: the edges are the answer.
        if !self.readonly {
            let entry = self.entry(&owner).await?;
            if entry.fields.is_none() {
                return Err(Error::not_found(type_name, id));
            }
            entry.covered = false;
        }
        let mut members: BTreeMap<String, Option<Item>> = stored_edges(&self.env, &owner, field)
            .await?
            .into_iter()
            .map(|(id, edge)| (id, edge_copy(edge)))
            .collect();
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
                        members.entry(object.id.clone()).or_insert(None);
                    } else {
                        members.remove(&object.id);
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
                            members.entry(other.to_string()).or_insert(None);
                        } else {
                            members.remove(other);
                        }
                    }
                }
            }
            Relation::ReferenceList { .. } | Relation::BackReference { .. } => {}
        }
        Ok(members.into_iter().collect())
    }

    /// The objects in a collection, with their fields; objects that no longer exist are
    /// left out. Objects of an immutable type come from the copies their edges carry;
    /// the others are fetched with batched reads, never one by one.
    pub async fn collection(
        &mut self,
        type_name: &str,
        id: &str,
        field: &str,
    ) -> Result<Vec<(String, Item)>, Error> {
        let relation = self.relation(type_name, field)?;
        let target = match &relation {
            Relation::OneToMany { target, .. }
            | Relation::ManyToMany { target, .. }
            | Relation::ReferenceList { target } => target.clone(),
            Relation::BackReference { .. } => {
                return Err(Error::validation(format!(
                    "`{type_name}.{field}` is a reference, not a collection"
                )))
            }
        };
        let immutable = self.type_of(&target)?.immutable;
        let covered = match &relation {
            Relation::OneToMany { .. } => {
                immutable || self.type_of(type_name)?.tracked.contains(field)
            }
            Relation::ManyToMany { .. } => immutable,
            Relation::ReferenceList { .. } | Relation::BackReference { .. } => false,
        };
        let mut members = self.members(type_name, id, field).await?;
        // A copy stands for an object this invocation has not read (or changed) itself.
        for (id, copy) in &mut members {
            if !immutable
                || self
                    .objects
                    .contains_key(&ObjectRef::new(&target, id.as_str()))
            {
                *copy = None;
            }
        }
        let fetch: Vec<ObjectRef> = members
            .iter()
            .filter(|(_, copy)| copy.is_none())
            .map(|(id, _)| ObjectRef::new(&target, id.as_str()))
            .filter(|object| !self.objects.contains_key(object))
            .collect();
        self.entries(&fetch).await?;
        let via: Arc<str> = Arc::from(format!("{type_name}.{field}"));
        for object in &fetch {
            if let Some(entry) = self.objects.get_mut(object) {
                entry.covered = covered && entry.fields.is_some();
                entry.via = Some(via.clone());
            }
        }
        Ok(members
            .into_iter()
            .filter_map(|(id, copy)| {
                let fields = match copy {
                    Some(fields) => fields,
                    None => self
                        .objects
                        .get(&ObjectRef::new(&target, id.as_str()))?
                        .fields
                        .clone()?,
                };
                Some((id, fields))
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
    let edges = stored_edges(env, owner, field).await?;
    Ok(edges.into_iter().map(|(id, _)| id).collect())
}

/// The stored edges of `owner.field`, in id order: each pointed-at id with its edge.
async fn stored_edges(
    env: &Env,
    owner: &ObjectRef,
    field: &str,
) -> Result<Vec<(String, Item)>, Error> {
    let prefix = edge_key(&env.schema, owner, field, "").sk;
    let table = env.schema.table(&owner.type_name);
    let mut edges = Vec::new();
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
        edges.extend(
            page.items
                .into_iter()
                .filter_map(|(sk, edge)| sk.strip_prefix(&prefix).map(|id| (id.to_string(), edge))),
        );
        match page.next {
            Some(next) => start_after = Some(next),
            None => return Ok(edges),
        }
    }
}
