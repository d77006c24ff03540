//! Reading collections: one strongly consistent, paged query of the owner's partition
//! per collection — never one request per element, and none when the owner was read with
//! it (`partition`) — merged with what the invocation changed itself. Edges to objects of
//! an immutable type carry a copy of their fields, so such a collection is read with the
//! query alone — or, when a commit of this runtime proved it at the owner's version just
//! read, from the collection cache.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

use super::cache::{Member, MemberList, Members, Seen};
use super::{Ctx, Env};
use crate::error::Error;
use crate::invocation::ObjectRef;
use crate::layout::{edge_copy, edge_key, live_fields};
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
        Ok(members
            .iter()
            .map(|member| member.id().to_string())
            .collect())
    }

    /// The members of a collection in id order, each with the copy of its fields that
    /// its stored edge carries (if it does).
    async fn members(&mut self, type_name: &str, id: &str, field: &str) -> Result<Members, Error> {
        let owner = ObjectRef::new(type_name, id);
        let relation = self.relation(type_name, field)?;
        let target = match &relation {
            Relation::ReferenceList { .. } => {
                let fields = self
                    .load(type_name, id)
                    .await?
                    .ok_or_else(|| Error::not_found(type_name, id))?;
                let ids = string_list(fields.get(field));
                return Ok(Arc::new(MemberList::new(
                    ids.into_iter()
                        .map(|id| Arc::new(Member::new(id, None)))
                        .collect(),
                )));
            }
            Relation::BackReference { .. } => {
                return Err(Error::validation(format!(
                    "`{type_name}.{field}` is a reference, not a collection"
                )))
            }
            Relation::OneToMany { target, .. } | Relation::ManyToMany { target, .. } => target,
        };
        // An invocation that commits puts the owner's version in its read set (rule 3),
        // even when the owner was reached through a collection itself or the read is
        // inside a nested read-only call; a read-only invocation needs no owner read: the
        // edges are the answer.
        let mut version = None;
        if self.commits {
            let cacheable = self.type_of(target)?.immutable && self.env.collections.is_on();
            let entry = self.entry(&owner).await?;
            if entry.fields.is_none() {
                return Err(Error::not_found(type_name, id));
            }
            entry.covered = false;
            // The stored edges are those of the version read, when the owner was stored.
            let was_stored = live_fields(entry.original.as_ref()).is_some();
            if cacheable && was_stored {
                version = Some(entry.version());
            }
        }
        self.note_collection_read(&owner);
        let stored = match version {
            Some(version) => self.stored_at(owner, field, version).await?,
            None => match self.prefetched(&owner, field) {
                Some(members) => members,
                None => stored_members(&self.env, &owner, field).await?,
            },
        };
        let changes = self.membership_changes(&relation, type_name, id, field);
        if changes.is_empty() {
            return Ok(stored);
        }
        let mut members: BTreeMap<&str, Arc<Member>> = stored
            .iter()
            .map(|member| (member.id(), member.clone()))
            .collect();
        for (other, present) in &changes {
            if !present {
                members.remove(other.as_str());
            } else if !members.contains_key(other.as_str()) {
                members.insert(other, Arc::new(Member::new(other.clone(), None)));
            }
        }
        Ok(Arc::new(MemberList::new(members.into_values().collect())))
    }

    /// The stored edges of `owner.field` at the owner's `version`, as this invocation
    /// read them before (alone or with the owner), else from the collection cache, else
    /// from the store; remembered for the commit to prove.
    async fn stored_at(
        &mut self,
        owner: ObjectRef,
        field: &str,
        version: u64,
    ) -> Result<Members, Error> {
        let read_before = self
            .seen
            .iter()
            .find(|seen| seen.owner == owner && seen.field == field);
        if let Some(seen) = read_before {
            return Ok(seen.members.clone());
        }
        let now = self.env.config.clock.now_ms();
        let members = match self.prefetched(&owner, field) {
            Some(members) => members,
            None => match self.env.collections.get(&owner, field, version, now) {
                Some(members) => members,
                None => stored_members(&self.env, &owner, field).await?,
            },
        };
        self.seen.push(Seen {
            owner,
            field: field.to_string(),
            version,
            members: members.clone(),
        });
        Ok(members)
    }

    /// The members this invocation added to (`true`) or removed from (`false`) the
    /// collection `type_name` `id`.`field` of `relation`, not stored yet.
    fn membership_changes(
        &self,
        relation: &Relation,
        type_name: &str,
        id: &str,
        field: &str,
    ) -> Vec<(String, bool)> {
        let mut changes = Vec::new();
        match relation {
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
                    changes.push((object.id.clone(), now == Some(id)));
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
                        changes.push((other.to_string(), change.is_some()));
                    }
                }
            }
            Relation::ReferenceList { .. } | Relation::BackReference { .. } => {}
        }
        changes
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
        let members = self.collection_members(type_name, id, field).await?;
        Ok(members
            .iter()
            .filter_map(|member| Some((member.id().to_string(), member.fields()?.clone())))
            .collect())
    }

    /// The objects in a collection as [`Ctx::collection`] reads them, each with its
    /// fields. A member that comes from a copy is shared with the collection cache, so the
    /// typed value decoded from it is too.
    pub(crate) async fn collection_members(
        &mut self,
        type_name: &str,
        id: &str,
        field: &str,
    ) -> Result<Members, Error> {
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
        let members = self.members(type_name, id, field).await?;
        // A copy stands for an object this invocation has not read (or changed) itself.
        let held: BTreeSet<String> = self
            .objects
            .keys()
            .filter(|object| object.type_name == target)
            .map(|object| object.id.clone())
            .collect();
        let from_copy =
            |member: &Member| immutable && member.fields().is_some() && !held.contains(member.id());
        if members.iter().all(|member| from_copy(member)) {
            return Ok(members);
        }
        let fetch: Vec<ObjectRef> = members
            .iter()
            .filter(|member| !from_copy(member) && !held.contains(member.id()))
            .map(|member| ObjectRef::new(&target, member.id()))
            .collect();
        self.entries(&fetch).await?;
        let via: Arc<str> = Arc::from(format!("{type_name}.{field}"));
        for object in &fetch {
            if let Some(entry) = self.objects.get_mut(object) {
                entry.covered = covered && entry.fields.is_some();
                entry.via = Some(via.clone());
            }
        }
        Ok(Arc::new(MemberList::new(
            members
                .iter()
                .filter_map(|member| {
                    if from_copy(member) {
                        return Some(member.clone());
                    }
                    let object = ObjectRef::new(&target, member.id());
                    let fields = self.objects.get(&object)?.fields.clone()?;
                    Some(Arc::new(Member::new(object.id, Some(fields))))
                })
                .collect(),
        )))
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

impl Ctx {
    /// The ids the stored edges of `owner.field` point to, in id order: as read with
    /// their owner, else from the store.
    pub(crate) async fn stored_edge_ids(
        &self,
        owner: &ObjectRef,
        field: &str,
    ) -> Result<Vec<String>, Error> {
        if let Some(members) = self.prefetched(owner, field) {
            return Ok(members
                .iter()
                .map(|member| member.id().to_string())
                .collect());
        }
        let edges = stored_edges(&self.env, owner, field, None).await?;
        Ok(edges.into_iter().map(|(id, _)| id).collect())
    }
}

/// The stored edges of `owner.field` as members, each with the copy its edge carries.
async fn stored_members(env: &Env, owner: &ObjectRef, field: &str) -> Result<Members, Error> {
    Ok(members_of(stored_edges(env, owner, field, None).await?))
}

/// Stored edges as members, each with the copy its edge carries.
pub(super) fn members_of(edges: Vec<(String, Item)>) -> Members {
    Arc::new(MemberList::new(
        edges
            .into_iter()
            .map(|(id, edge)| Arc::new(Member::new(id, edge_copy(edge))))
            .collect(),
    ))
}

/// The stored edges of `owner.field` whose sort keys follow `start_after` (all of them
/// for `None`), in id order: each pointed-at id with its edge.
pub(super) async fn stored_edges(
    env: &Env,
    owner: &ObjectRef,
    field: &str,
    mut start_after: Option<String>,
) -> Result<Vec<(String, Item)>, Error> {
    let prefix = edge_key(&env.schema, owner, field, "").sk;
    let table = env.schema.table(&owner.type_name);
    let mut edges = Vec::new();
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
