//! Where values of each struct, enum and error type travel: into stored items, from
//! deployed clients to handlers, or from handlers to deployed clients. A change inside a
//! type only matters along the ways its values travel in both versions.

use std::collections::BTreeSet;

use crate::ir::{Schema, Type};

/// The ways values of a type travel (in both versions, when got from [`Usage::flows`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flows {
    /// Written into stored items by the old version, read by the new one.
    pub stored: bool,
    /// Written by deployed clients (creations, setters, arguments), read by handlers.
    pub sent: bool,
    /// Written by handlers (objects, results, errors), read by deployed clients.
    pub received: bool,
}

impl Flows {
    /// Every way: an object's own fields travel all of them.
    pub const ALL: Flows = Flows {
        stored: true,
        sent: true,
        received: true,
    };

    /// True when values travel no way at all.
    pub fn is_none(self) -> bool {
        !(self.stored || self.sent || self.received)
    }
}

/// The names of the structs, enums and errors whose values travel each way in one schema.
#[derive(Debug, Default)]
pub struct Usage {
    stored: BTreeSet<String>,
    sent: BTreeSet<String>,
    received: BTreeSet<String>,
}

impl Usage {
    /// Where the types of `schema` travel.
    pub fn of(schema: &Schema) -> Usage {
        let mut usage = Usage::default();
        for object in &schema.objects {
            for field in &object.fields {
                if !matches!(field.role, crate::ir::FieldRole::Navigation { .. }) {
                    usage.visit(schema, &field.ty, Flows::ALL);
                }
            }
            for method in &object.methods {
                let sent = Flows {
                    sent: true,
                    ..Flows::default()
                };
                let received = Flows {
                    received: true,
                    ..Flows::default()
                };
                for param in &method.params {
                    usage.visit(schema, &param.ty, sent);
                }
                if let Some(returns) = &method.returns {
                    usage.visit(schema, returns, received);
                }
                for error in &method.raises {
                    let error = &schema[*error];
                    if usage.received.insert(error.name.clone()) {
                        for field in &error.fields {
                            usage.visit(schema, &field.ty, received);
                        }
                    }
                }
            }
        }
        usage
    }

    /// The ways values of the type `name` travel in both `self` and `other`.
    pub fn flows(&self, other: &Usage, name: &str) -> Flows {
        Flows {
            stored: self.stored.contains(name) && other.stored.contains(name),
            sent: self.sent.contains(name) && other.sent.contains(name),
            received: self.received.contains(name) && other.received.contains(name),
        }
    }

    fn visit(&mut self, schema: &Schema, ty: &Type, flows: Flows) {
        match ty {
            Type::Optional(inner) | Type::List(inner) | Type::Map(inner) => {
                self.visit(schema, inner, flows);
            }
            Type::Enum(id) => {
                self.mark(&schema[*id].name, flows);
            }
            Type::Struct(id) => {
                let value = &schema[*id];
                // A struct already marked every way asked is not walked again, so a
                // struct that contains itself through a list ends the walk.
                if self.mark(&value.name, flows) {
                    for field in &value.fields {
                        self.visit(schema, &field.ty, flows);
                    }
                }
            }
            _ => {}
        }
    }

    /// Marks `name` as travelling `flows`; true when that marked something new.
    fn mark(&mut self, name: &str, flows: Flows) -> bool {
        let mut new = false;
        for (wanted, set) in [
            (flows.stored, &mut self.stored),
            (flows.sent, &mut self.sent),
            (flows.received, &mut self.received),
        ] {
            if wanted {
                new |= set.insert(name.to_string());
            }
        }
        new
    }
}
