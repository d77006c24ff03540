//! Types with their names resolved, so that a type of one schema can be compared with a
//! type of another, and the rule of which stored or sent values still read under a new
//! type.

use std::fmt;

use crate::ir::{Schema, Type};

/// A type as both versions can see it: declared types by name and kind, not by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// `String`.
    String,
    /// `Int`.
    Int,
    /// `Float`.
    Float,
    /// `Bool`.
    Bool,
    /// `Bytes`.
    Bytes,
    /// `Timestamp`.
    Timestamp,
    /// `Date`.
    Date,
    /// A struct, by name.
    Struct(String),
    /// An enum, by name.
    Enum(String),
    /// A reference to an object, by the object type's name.
    Object(String),
    /// `T?`.
    Optional(Box<Shape>),
    /// `[T]`.
    List(Box<Shape>),
    /// `Map<String, T>`.
    Map(Box<Shape>),
}

impl Shape {
    /// The shape of `ty`, a type of `schema`.
    pub fn of(schema: &Schema, ty: &Type) -> Shape {
        match ty {
            Type::String => Shape::String,
            Type::Int => Shape::Int,
            Type::Float => Shape::Float,
            Type::Bool => Shape::Bool,
            Type::Bytes => Shape::Bytes,
            Type::Timestamp => Shape::Timestamp,
            Type::Date => Shape::Date,
            Type::Struct(id) => Shape::Struct(schema[*id].name.clone()),
            Type::Enum(id) => Shape::Enum(schema[*id].name.clone()),
            Type::Object(id) => Shape::Object(schema[*id].name.clone()),
            Type::Optional(inner) => Shape::Optional(Box::new(Shape::of(schema, inner))),
            Type::List(inner) => Shape::List(Box::new(Shape::of(schema, inner))),
            Type::Map(inner) => Shape::Map(Box::new(Shape::of(schema, inner))),
        }
    }

    /// True for `T?`.
    pub fn is_optional(&self) -> bool {
        matches!(self, Shape::Optional(_))
    }

    /// `T` for `T?`; itself otherwise.
    pub fn required(&self) -> &Shape {
        match self {
            Shape::Optional(inner) => inner,
            other => other,
        }
    }

    /// True when every value written as `self` reads back as `reader` in generated code:
    /// the same type, `T` as `T?`, an `Int` as a `Float`, and a `Date`, a `Timestamp` or
    /// a variant as a `String` (all are text on the wire), also inside lists, maps and
    /// optionals. A struct, enum or object reads as the one of the same name and kind;
    /// changes inside it are compared where it is declared.
    pub fn reads_as(&self, reader: &Shape) -> bool {
        if self == reader {
            return true;
        }
        match (self, reader) {
            (Shape::Optional(written), Shape::Optional(read)) => written.reads_as(read),
            (written, Shape::Optional(read)) => written.reads_as(read),
            (Shape::List(written), Shape::List(read)) | (Shape::Map(written), Shape::Map(read)) => {
                written.reads_as(read)
            }
            (Shape::Int, Shape::Float) => true,
            (Shape::Date | Shape::Timestamp | Shape::Enum(_), Shape::String) => true,
            _ => false,
        }
    }

    /// True when values written as `self` fail to read as `reader` only because they may
    /// be absent: `T?` read as `T`.
    pub fn fails_only_when_unset(&self, reader: &Shape) -> bool {
        self.is_optional() && !reader.is_optional() && self.required().reads_as(reader)
    }

    /// What kind of declared type this names, for telling `GeoPoint` the struct from
    /// `GeoPoint` the object.
    fn kind(&self) -> Option<&'static str> {
        match self {
            Shape::Struct(_) => Some("a struct"),
            Shape::Enum(_) => Some("an enum"),
            Shape::Object(_) => Some("an object"),
            Shape::Optional(inner) | Shape::List(inner) | Shape::Map(inner) => inner.kind(),
            _ => None,
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::String => f.write_str("String"),
            Shape::Int => f.write_str("Int"),
            Shape::Float => f.write_str("Float"),
            Shape::Bool => f.write_str("Bool"),
            Shape::Bytes => f.write_str("Bytes"),
            Shape::Timestamp => f.write_str("Timestamp"),
            Shape::Date => f.write_str("Date"),
            Shape::Struct(name) | Shape::Enum(name) | Shape::Object(name) => f.write_str(name),
            Shape::Optional(inner) => write!(f, "{inner}?"),
            Shape::List(inner) => write!(f, "[{inner}]"),
            Shape::Map(inner) => write!(f, "Map<String, {inner}>"),
        }
    }
}

/// The two types in backticks for a message, with their kinds when they are written
/// alike: "`GeoPoint` (a struct)" and "`GeoPoint` (an object)".
pub fn describe_pair(old: &Shape, new: &Shape) -> (String, String) {
    let (old_text, new_text) = (old.to_string(), new.to_string());
    if old_text == new_text {
        if let (Some(old_kind), Some(new_kind)) = (old.kind(), new.kind()) {
            return (
                format!("`{old_text}` ({old_kind})"),
                format!("`{new_text}` ({new_kind})"),
            );
        }
    }
    (format!("`{old_text}`"), format!("`{new_text}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn optional(shape: Shape) -> Shape {
        Shape::Optional(Box::new(shape))
    }

    fn list(shape: Shape) -> Shape {
        Shape::List(Box::new(shape))
    }

    #[test]
    fn a_value_reads_as_its_optional_but_not_back() {
        assert!(Shape::Int.reads_as(&optional(Shape::Int)));
        assert!(!optional(Shape::Int).reads_as(&Shape::Int));
        assert!(optional(Shape::Int).fails_only_when_unset(&Shape::Int));
        assert!(!optional(Shape::Int).fails_only_when_unset(&Shape::String));
    }

    #[test]
    fn widening_reads_one_way_only() {
        assert!(Shape::Int.reads_as(&Shape::Float));
        assert!(!Shape::Float.reads_as(&Shape::Int));
        assert!(Shape::Date.reads_as(&Shape::String));
        assert!(!Shape::String.reads_as(&Shape::Date));
        assert!(Shape::Enum("Color".into()).reads_as(&Shape::String));
        assert!(list(Shape::Int).reads_as(&list(optional(Shape::Float))));
        assert!(!list(Shape::Int).reads_as(&Shape::Int));
    }

    #[test]
    fn declared_types_read_only_as_the_same_name_and_kind() {
        let point = Shape::Struct("Point".into());
        assert!(point.reads_as(&Shape::Struct("Point".into())));
        assert!(!point.reads_as(&Shape::Object("Point".into())));
        assert!(!Shape::Object("A".into()).reads_as(&Shape::Object("B".into())));
        assert!(!Shape::Object("A".into()).reads_as(&Shape::String));
    }

    #[test]
    fn pairs_written_alike_name_their_kinds() {
        let (old, new) = describe_pair(
            &Shape::Struct("Point".into()),
            &Shape::Object("Point".into()),
        );
        assert_eq!(old, "`Point` (a struct)");
        assert_eq!(new, "`Point` (an object)");
        let (old, new) = describe_pair(&Shape::Int, &Shape::Float);
        assert_eq!((old.as_str(), new.as_str()), ("`Int`", "`Float`"));
    }
}
