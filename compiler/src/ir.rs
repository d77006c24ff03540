//! The checked schema: every name resolved to an id, every rule of the language checked.
//! Built only by [`crate::check`]; read by code generation and printed by
//! `nubesc check --emit-ir` as stable JSON.

use std::ops::Index;

use serde::Serialize;

use crate::source::Span;
pub use crate::syntax::ast::Literal;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl $name {
            /// The position in its arena.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// An object type: index into [`Schema::objects`].
    ObjectId
);
id_type!(
    /// A struct: index into [`Schema::structs`].
    StructId
);
id_type!(
    /// An enum: index into [`Schema::enums`].
    EnumId
);
id_type!(
    /// An error type: index into [`Schema::errors`].
    ErrorId
);
id_type!(
    /// A field: index into the `fields` of its owner.
    FieldId
);

/// A checked schema: the root file and everything it imports.
#[derive(Debug, Clone, Serialize)]
pub struct Schema {
    /// Display names of the source files; a span's file id indexes this list.
    pub files: Vec<String>,
    /// Object types, imported files' first (each file after the files it imports), then in
    /// source order.
    pub objects: Vec<Object>,
    /// Structs, in the same order as objects. Stdlib types that map to primitives are not here.
    pub structs: Vec<Struct>,
    /// Enums, in the same order as objects.
    pub enums: Vec<Enum>,
    /// Error types, in the same order as objects.
    pub errors: Vec<ErrorType>,
}

impl Index<ObjectId> for Schema {
    type Output = Object;
    fn index(&self, id: ObjectId) -> &Object {
        &self.objects[id.index()]
    }
}

impl Index<StructId> for Schema {
    type Output = Struct;
    fn index(&self, id: StructId) -> &Struct {
        &self.structs[id.index()]
    }
}

impl Index<EnumId> for Schema {
    type Output = Enum;
    fn index(&self, id: EnumId) -> &Enum {
        &self.enums[id.index()]
    }
}

impl Index<ErrorId> for Schema {
    type Output = ErrorType;
    fn index(&self, id: ErrorId) -> &ErrorType {
        &self.errors[id.index()]
    }
}

impl Index<FieldRef> for Schema {
    type Output = Field;
    fn index(&self, at: FieldRef) -> &Field {
        &self[at.object].fields[at.field.index()]
    }
}

/// A resolved type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Type {
    /// UTF-8 text.
    String,
    /// A 64-bit signed integer.
    Int,
    /// A 64-bit float.
    Float,
    /// A boolean.
    Bool,
    /// A byte string.
    Bytes,
    /// An instant, RFC 3339 on the wire (stdlib `time`).
    Timestamp,
    /// A calendar date, ISO 8601 on the wire (stdlib `time`).
    Date,
    /// An embedded struct value.
    Struct(StructId),
    /// One variant of an enum.
    Enum(EnumId),
    /// A reference to an object, stored as its id.
    Object(ObjectId),
    /// `T?`: may be absent.
    Optional(Box<Type>),
    /// `[T]`.
    List(Box<Type>),
    /// `Map<String, T>`: the key is always a string.
    Map(Box<Type>),
}

/// A field in an object, struct or error.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// The name as written in `.nubes` (also the JSON wire name).
    pub name: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// The field's type. For a navigation list, `List(Object(target))`.
    pub ty: Type,
    /// What the field is for.
    pub role: FieldRole,
    /// Settable only at creation (`@readonly`, or the id).
    pub readonly: bool,
    /// The value used when a create call leaves the field out; its kind fits `ty`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Literal>,
    /// Where the field is declared.
    pub span: Span,
}

/// The part a field plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldRole {
    /// Plain data.
    Value,
    /// The object's id: a `String` or enum, never optional, read-only.
    Id,
    /// `O` or `O?`: a reference to one object. `inverse` is set when the field is the
    /// back-reference of a one-to-many navigation list in `O`.
    Reference {
        /// The navigation list in the target that this reference is the other side of.
        inverse: Option<FieldRef>,
    },
    /// `[O]` without a relationship attribute: a list of ids, one side only.
    ReferenceList,
    /// `[O] @hasOne(f)` or `[O] @hasMany(f)`: relationship edges kept by the runtime.
    Navigation {
        /// One-to-many or many-to-many.
        cardinality: Cardinality,
        /// The other side: a reference (one-to-many) or a navigation list (many-to-many).
        inverse: FieldRef,
        /// `@tracked`: a change to a child's fields also raises this object's version.
        /// Only ever true for a one-to-many list.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        tracked: bool,
    },
}

/// The two kinds of navigation list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cardinality {
    /// `@hasOne`: each target has one reference back.
    OneToMany,
    /// `@hasMany`: the target has a navigation list back.
    ManyToMany,
}

/// A field of a given object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldRef {
    /// The object that owns the field.
    pub object: ObjectId,
    /// The field within it.
    pub field: FieldId,
}

/// How an object is identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdField {
    /// This field (role [`FieldRole::Id`]) is the id.
    Field(FieldId),
    /// No id field is declared: the object gets `id: String`, a fresh UUID v7 at creation.
    Implicit,
}

/// A stateful, addressable object type.
#[derive(Debug, Clone, Serialize)]
pub struct Object {
    /// The type name as written.
    pub name: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// How objects of this type are identified.
    pub id: IdField,
    /// Declared fields in source order.
    pub fields: Vec<Field>,
    /// Declared methods in source order.
    pub methods: Vec<Method>,
    /// Where the object is declared.
    pub span: Span,
}

/// A plain value type.
#[derive(Debug, Clone, Serialize)]
pub struct Struct {
    /// The type name as written.
    pub name: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// Fields in source order; none is a navigation list or an id.
    pub fields: Vec<Field>,
    /// Where the struct is declared.
    pub span: Span,
}

/// An enum of unit variants.
#[derive(Debug, Clone, Serialize)]
pub struct Enum {
    /// The type name as written.
    pub name: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// Variants in source order, names unique.
    pub variants: Vec<Variant>,
    /// Where the enum is declared.
    pub span: Span,
}

/// One enum variant.
#[derive(Debug, Clone, Serialize)]
pub struct Variant {
    /// The name as written (also the wire value).
    pub name: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// Where the variant is declared.
    pub span: Span,
}

/// A typed error a method may raise.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorType {
    /// The type name as written.
    pub name: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// Fields in source order; none is a navigation list or an id.
    pub fields: Vec<Field>,
    /// Where the error is declared.
    pub span: Span,
}

/// A method declared on an object.
#[derive(Debug, Clone, Serialize)]
pub struct Method {
    /// The name as written.
    pub name: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// `readonly fn`: changes nothing, runs with no write and no log.
    pub readonly: bool,
    /// Parameters in order, names unique.
    pub params: Vec<Param>,
    /// The return type; `None` for unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returns: Option<Type>,
    /// The typed errors a caller can match on, in the order written, without repeats.
    pub raises: Vec<ErrorId>,
    /// Where the method is declared.
    pub span: Span,
}

/// A method parameter.
#[derive(Debug, Clone, Serialize)]
pub struct Param {
    /// The name as written (also the wire name).
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Where it is declared.
    pub span: Span,
}

impl Schema {
    /// The IR as pretty JSON: stable for the same input, so it can be diffed and blessed.
    pub fn to_json(&self) -> String {
        // Serializing plain data with string keys cannot fail.
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }
}
