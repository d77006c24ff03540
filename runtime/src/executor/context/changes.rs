//! The buffered changes a method makes through its context: fields, creations,
//! deletions and collection membership. Nothing reaches the store before the commit.

use serde_json::Value;

use super::collections::string_list;
use super::{Ctx, State};
use crate::error::Error;
use crate::invocation::ObjectRef;
use crate::layout::{edge_item, edge_key, edge_target, CASCADING};
use crate::schema::Relation;
use crate::store::Item;

impl Ctx {
    /// The fields of an object, to change in place; the change commits with the
    /// invocation. Fails with `NotFound` if the object does not exist.
    pub async fn get_mut(&mut self, type_name: &str, id: &str) -> Result<&mut Item, Error> {
        self.require_writable("change objects")?;
        let object = ObjectRef::new(type_name, id);
        let entry = self.entry(&object).await?;
        // Only an object that exists can change: a tombstone must stay one.
        if entry.fields.is_none() {
            return Err(Error::not_found(type_name, id));
        }
        if entry.state == State::Read {
            entry.state = State::Changed;
        }
        entry
            .fields
            .as_mut()
            .ok_or_else(|| Error::not_found(type_name, id))
    }

    /// Replaces one field of an object.
    pub async fn set(
        &mut self,
        type_name: &str,
        id: &str,
        field: &str,
        value: Value,
    ) -> Result<(), Error> {
        let fields = self.get_mut(type_name, id).await?;
        if value.is_null() {
            fields.remove(field);
        } else {
            fields.insert(field.to_string(), value);
        }
        Ok(())
    }

    /// Creates an object; fails with `AlreadyExists` if one with this id exists.
    pub async fn create(&mut self, type_name: &str, id: &str, fields: Item) -> Result<(), Error> {
        self.require_writable("create objects")?;
        let object = ObjectRef::new(type_name, id);
        let entry = self.entry(&object).await?;
        if entry.fields.is_some() {
            return Err(Error::AlreadyExists {
                type_name: type_name.to_string(),
                id: id.to_string(),
            });
        }
        if entry.state == State::Deleted {
            return Err(Error::validation(format!(
                "{object} was deleted by this invocation: it cannot be created again in the same one"
            )));
        }
        if entry
            .original
            .as_ref()
            .is_some_and(|item| item.contains_key(CASCADING))
        {
            return Err(Error::validation(format!(
                "{object} is still being deleted (its relationships are being removed): create it again once that has finished"
            )));
        }
        entry.fields = Some(
            fields
                .into_iter()
                .filter(|(_, value)| !value.is_null())
                .collect(),
        );
        entry.state = State::Created;
        Ok(())
    }

    /// Creates an object under an id this invocation has just made and nobody can know
    /// yet (a UUID v7 from [`crate::typed::new_object_id`]), without reading it first:
    /// the commit still writes it on the condition that it is absent.
    pub async fn create_fresh(
        &mut self,
        type_name: &str,
        id: &str,
        fields: Item,
    ) -> Result<(), Error> {
        self.require_writable("create objects")?;
        self.assume(&ObjectRef::new(type_name, id), None)?;
        self.create(type_name, id, fields).await
    }

    /// Deletes an object and, in the same commit, its relationship edges on both sides.
    pub async fn delete(&mut self, type_name: &str, id: &str) -> Result<(), Error> {
        self.require_writable("delete objects")?;
        let object = ObjectRef::new(type_name, id);
        let entry = self.entry(&object).await?;
        if entry.fields.is_none() {
            return Err(Error::not_found(type_name, id));
        }
        entry.fields = None;
        entry.state = if entry.state == State::Created {
            State::Read
        } else {
            State::Deleted
        };
        self.forget_links(&object);
        Ok(())
    }

    /// Drops the buffered many-to-many changes that involve `object`, which is being
    /// deleted: its stored edges go with the cascade, and no new edge may point at it.
    fn forget_links(&mut self, object: &ObjectRef) {
        let table = self.env.schema.table(&object.type_name);
        let schema = &self.env.schema;
        self.edges.retain(|key, _| {
            let from_here = key.table == table && key.pk == object.id;
            !from_here && edge_target(schema, key).as_ref() != Some(object)
        });
        self.bumps.remove(object);
    }

    /// Adds `other` to the collection `field` of an object. For a one-to-many this sets
    /// the child's reference back; for a many-to-many it adds the edge on both sides; for a
    /// reference list it appends the id. Adding what is there already changes nothing.
    pub async fn add_to(
        &mut self,
        type_name: &str,
        id: &str,
        field: &str,
        other: &str,
    ) -> Result<(), Error> {
        self.require_writable("change collections")?;
        match self.relation(type_name, field)? {
            Relation::OneToMany { target, back } => {
                if !self.exists(type_name, id).await? {
                    return Err(Error::not_found(type_name, id));
                }
                self.set(&target, other, &back, Value::from(id)).await
            }
            Relation::ManyToMany { target, inverse } => {
                self.link(type_name, id, field, &target, other, &inverse, true)
                    .await
            }
            Relation::ReferenceList { target } => {
                if !self.exists(&target, other).await? {
                    return Err(Error::not_found(&target, other));
                }
                let fields = self.get_mut(type_name, id).await?;
                let mut ids = string_list(fields.get(field));
                if !ids.iter().any(|existing| existing == other) {
                    ids.push(other.to_string());
                }
                fields.insert(field.to_string(), Value::from(ids));
                Ok(())
            }
            Relation::BackReference { .. } => Err(Error::validation(format!(
                "`{type_name}.{field}` is a reference: set it instead"
            ))),
        }
    }

    /// Removes `other` from the collection `field` of an object (the reverse of
    /// [`Ctx::add_to`]). Removing a child whose reference back is required is refused.
    pub async fn remove_from(
        &mut self,
        type_name: &str,
        id: &str,
        field: &str,
        other: &str,
    ) -> Result<(), Error> {
        self.require_writable("change collections")?;
        match self.relation(type_name, field)? {
            Relation::OneToMany { target, back } => {
                let optional = matches!(
                    self.relation(&target, &back)?,
                    Relation::BackReference { optional: true, .. }
                );
                let child = self.load(&target, other).await?;
                let points_here = child
                    .as_ref()
                    .and_then(|c| c.get(&back))
                    .and_then(Value::as_str)
                    == Some(id);
                if !points_here {
                    return Ok(());
                }
                if !optional {
                    return Err(Error::validation(format!(
                        "`{target}.{back}` is required: delete {target} `{other}` or move it to another {type_name} instead"
                    )));
                }
                self.set(&target, other, &back, Value::Null).await
            }
            Relation::ManyToMany { target, inverse } => {
                self.link(type_name, id, field, &target, other, &inverse, false)
                    .await
            }
            Relation::ReferenceList { .. } => {
                let fields = self.get_mut(type_name, id).await?;
                let ids: Vec<String> = string_list(fields.get(field))
                    .into_iter()
                    .filter(|x| x != other)
                    .collect();
                fields.insert(field.to_string(), Value::from(ids));
                Ok(())
            }
            Relation::BackReference { .. } => Err(Error::validation(format!(
                "`{type_name}.{field}` is a reference: set it instead"
            ))),
        }
    }

    /// Adds (or removes) the two edges of a many-to-many pair and bumps both owners.
    #[allow(clippy::too_many_arguments)]
    async fn link(
        &mut self,
        type_name: &str,
        id: &str,
        field: &str,
        target: &str,
        other: &str,
        inverse: &str,
        add: bool,
    ) -> Result<(), Error> {
        let this = ObjectRef::new(type_name, id);
        let that = ObjectRef::new(target, other);
        // A side presumed to exist stays unread: linking it needs only its key.
        let unread: Vec<ObjectRef> = [&this, &that]
            .into_iter()
            .filter(|object| !self.presumed.objects.contains(*object))
            .cloned()
            .collect();
        self.entries(&unread).await?;
        for object in &unread {
            if self
                .objects
                .get(object)
                .and_then(|entry| entry.fields.as_ref())
                .is_none()
            {
                return Err(Error::not_found(&object.type_name, &object.id));
            }
        }
        let forward = edge_key(&self.env.schema, &this, field, other);
        let backward = edge_key(&self.env.schema, &that, inverse, id);
        // Copies of immutable objects' fields are added to the edges at commit.
        self.edges.insert(forward, add.then(|| edge_item(other)));
        self.edges.insert(backward, add.then(|| edge_item(id)));
        self.bumps.insert(this);
        self.bumps.insert(that);
        Ok(())
    }
}
