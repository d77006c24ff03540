//! Reading an object together with its collection in one query of its partition. The
//! object's item (`#`) sorts before its edges (`rel#<field>#…`), so when the object's
//! type keeps exactly one collection in its partition, one query from the start of the
//! partition returns the item and then that collection's edges: a call that reads its
//! target and the target's collection — a `delete` always, a method when its last call
//! did (the runtime learns it per method) — makes one round trip where it would make two.
//!
//! Pages of spilled result records (`!inv#…`) sort before the item; the query starts past
//! them. Large result records kept apart (`inv#…`) sort between the item and the edges.
//! Only objects that kept large records apart have them: once this runtime has committed
//! one or found one in an object's partition (they linger until their expiry is carried
//! out), it reads that object the usual way. When records fill the first page, the
//! collection is read the usual way after it; the answer is the same.

use super::cache::Members;
use super::collections::{members_of, stored_edges};
use super::method_hints::MethodHints;
use super::{Ctx, Entry, Env};
use crate::error::Error;
use crate::invocation::ObjectRef;
use crate::layout::{edge_key, OBJECT_SK, PAST_SPILLS, RECORD_PREFIX};
use crate::schema::{ObjectType, Relation};

/// The one collection of `object_type` whose edges live in its partition, when it keeps
/// exactly one there.
pub(crate) fn only_collection(object_type: &ObjectType) -> Option<&str> {
    let mut kept = object_type.relations.iter().filter(|(_, relation)| {
        matches!(
            relation,
            Relation::OneToMany { .. } | Relation::ManyToMany { .. }
        )
    });
    let (field, _) = kept.next()?;
    kept.next().is_none().then_some(field.as_str())
}

/// Which methods read their own object's collection, as their last call on this runtime
/// did: those calls read the object with the collection. Changed only when a method
/// changes its mind.
#[derive(Debug, Default)]
pub(crate) struct ReadHints(MethodHints<bool>);

impl ReadHints {
    /// True when the last call of `type_name.method` read its object's collection.
    pub(crate) fn reads_collection(&self, type_name: &str, method: &str) -> bool {
        self.0.get(type_name, method).unwrap_or(false)
    }

    /// Remembers whether a call of `type_name.method` read its object's collection.
    pub(crate) fn learn(&self, type_name: &str, method: &str, read: bool) {
        if self.reads_collection(type_name, method) != read {
            self.0.set(type_name, method, read);
        }
    }
}

/// The collection of `target` to read with it in one query, if any: the one its type
/// keeps in its partition, unless `target` is known to have kept large records apart
/// (they sit between the two) or, for a changing call, the collection cache likely holds it.
pub(crate) fn collection_to_read_with(
    env: &Env,
    target: &ObjectRef,
    reads_collection: bool,
    commits: bool,
) -> Option<String> {
    if !reads_collection || env.apart.ever(target) {
        return None;
    }
    let object_type = env.schema.object(&target.type_name)?;
    let field = only_collection(object_type)?;
    if commits {
        let members_type = match object_type.relations.get(field)? {
            Relation::OneToMany { target, .. } | Relation::ManyToMany { target, .. } => target,
            Relation::BackReference { .. } | Relation::ReferenceList { .. } => return None,
        };
        let cacheable = env
            .schema
            .object(members_type)
            .is_some_and(|members| members.immutable);
        if cacheable
            && env
                .collections
                .holds(target, field, env.config.clock.now_ms())
        {
            return None;
        }
    }
    Some(field.to_string())
}

/// The stored edges of a collection read with its owner.
pub(crate) struct Prefetched {
    pub(crate) owner: ObjectRef,
    pub(crate) field: String,
    pub(crate) members: Members,
}

impl Ctx {
    /// Reads `object` into the context, with the stored edges of its collection `field`
    /// in the same query when `field` is given (see the module's documentation).
    pub(crate) async fn read_object(
        &mut self,
        object: &ObjectRef,
        field: Option<&str>,
    ) -> Result<&mut Entry, Error> {
        if let (Some(field), false) = (field, self.objects.contains_key(object)) {
            self.check_object(object)?;
            self.read_with_collection(object, field).await?;
        }
        self.entry(object).await
    }

    async fn read_with_collection(&mut self, object: &ObjectRef, field: &str) -> Result<(), Error> {
        let env = self.env.clone();
        let table = env.schema.table(&object.type_name);
        let prefix = edge_key(&env.schema, object, field, "").sk;
        let page = env
            .store
            .query(
                &table,
                &object.id,
                "",
                Some(PAST_SPILLS),
                env.config.page_size,
            )
            .await?;
        let mut item = None;
        let mut edges = Vec::new();
        let mut records_apart = false;
        for (sk, stored) in page.items {
            if sk == OBJECT_SK {
                item = Some(stored);
            } else if let Some(id) = sk.strip_prefix(&prefix) {
                edges.push((id.to_string(), stored));
            } else {
                records_apart |= sk.starts_with(RECORD_PREFIX);
            }
        }
        if records_apart {
            env.apart.saw_records(object);
        }
        self.objects
            .insert(object.clone(), Entry::from_stored(item));
        let complete = match page.next {
            None => true,
            // The page ended inside the collection: the rest follows it.
            Some(last) if last.starts_with(&prefix) => {
                edges.extend(stored_edges(&env, object, field, Some(last)).await?);
                true
            }
            // Past the collection (items the schema does not name): it was read whole.
            Some(last) if last > prefix => true,
            // Records kept apart filled the page: the collection is read when it is.
            Some(_) => false,
        };
        if complete {
            self.prefetched.push(Prefetched {
                owner: object.clone(),
                field: field.to_string(),
                members: members_of(edges),
            });
        }
        Ok(())
    }

    /// The stored edges of `owner.field` read with their owner, if they were.
    pub(crate) fn prefetched(&self, owner: &ObjectRef, field: &str) -> Option<Members> {
        self.prefetched
            .iter()
            .find(|read| &read.owner == owner && read.field == field)
            .map(|read| read.members.clone())
    }

    /// Notes that this invocation read a collection of `owner`: when `owner` is the
    /// invocation's target, its method is learned to read its collection (which one needs
    /// no note: only a type with one collection is read with it).
    pub(crate) fn note_collection_read(&mut self, owner: &ObjectRef) {
        self.read_own_collection |= self.targets.first() == Some(owner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(target: &str) -> Relation {
        Relation::OneToMany {
            target: target.into(),
            back: "owner".into(),
        }
    }

    #[test]
    fn only_a_type_with_one_collection_in_its_partition_has_one() {
        let none =
            ObjectType::new("A").relation("pinned", Relation::ReferenceList { target: "B".into() });
        assert_eq!(only_collection(&none), None);
        let one = none.clone().relation("items", list("B"));
        assert_eq!(only_collection(&one), Some("items"));
        let two = one.clone().relation(
            "tags",
            Relation::ManyToMany {
                target: "C".into(),
                inverse: "as".into(),
            },
        );
        assert_eq!(only_collection(&two), None);
    }

    #[test]
    fn hints_follow_the_last_call() {
        let hints = ReadHints::default();
        assert!(!hints.reads_collection("Room", "book"));
        hints.learn("Room", "book", true);
        assert!(hints.reads_collection("Room", "book"));
        assert!(!hints.reads_collection("Room", "peek"));
        hints.learn("Room", "book", false);
        assert!(!hints.reads_collection("Room", "book"));
    }
}
