//! Rust types for `.nubes` types. Std types are always spelled by absolute path, so a
//! schema may name its own types `String`, `Vec`, `Option`, `Box` or `Result`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{Literal, Schema, StructId, Type};

use super::naming;

/// Where a type is used: method results return the objects of an `[O]`; everywhere else
/// an object is passed as its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// A stored field, a parameter, an error field.
    Value,
    /// The result of a method.
    Result,
}

/// Spells the types of a schema from inside one crate: `model` is the path of the model
/// crate from there (`crate` or `::hotel_model`).
pub struct Types<'a> {
    /// The schema whose types are spelled.
    pub schema: &'a Schema,
    /// The path of the model crate.
    pub model: TokenStream,
}

impl<'a> Types<'a> {
    /// Types as the handlers and client crates of `app` spell them (`::hotel_model::Room`).
    pub fn outside_model(schema: &'a Schema, app: &str) -> Self {
        let model = naming::crate_ident(app, "model");
        Types {
            schema,
            model: quote!(::#model),
        }
    }

    /// The Rust type of `ty`.
    pub fn rust(&self, ty: &Type, position: Position) -> TokenStream {
        let model = &self.model;
        match ty {
            Type::String => quote!(::std::string::String),
            Type::Int => quote!(i64),
            Type::Float => quote!(f64),
            Type::Bool => quote!(bool),
            Type::Bytes => quote!(::std::vec::Vec<u8>),
            Type::Timestamp => quote!(#model::Timestamp),
            Type::Date => quote!(#model::Date),
            Type::Struct(id) => {
                let name = naming::type_ident(&self.schema[*id].name);
                quote!(#model::#name)
            }
            Type::Enum(id) => {
                let name = naming::type_ident(&self.schema[*id].name);
                quote!(#model::#name)
            }
            Type::Object(id) => {
                let module = naming::module_ident(&self.schema[*id].name);
                quote!(#model::#module::Id)
            }
            Type::Optional(inner) => {
                let inner = self.rust(inner, position);
                quote!(::std::option::Option<#inner>)
            }
            Type::List(inner) => {
                let inner = match (position, inner.as_ref()) {
                    (Position::Result, Type::Object(id)) => {
                        let name = naming::type_ident(&self.schema[*id].name);
                        quote!(#model::#name)
                    }
                    _ => self.rust(inner, Position::Value),
                };
                quote!(::std::vec::Vec<#inner>)
            }
            Type::Map(inner) => {
                let inner = self.rust(inner, Position::Value);
                quote!(::std::collections::BTreeMap<::std::string::String, #inner>)
            }
        }
    }

    /// The type of a field of the struct `owner`: an optional field that leads back to
    /// `owner` by value is boxed, or the struct would contain itself.
    pub fn struct_field(&self, ty: &Type, owner: StructId) -> TokenStream {
        if let Type::Optional(inner) = ty {
            if let Type::Struct(target) = inner.as_ref() {
                if reaches_by_value(self.schema, *target, owner) {
                    let inner = self.rust(inner, Position::Value);
                    return quote!(::std::option::Option<::std::boxed::Box<#inner>>);
                }
            }
        }
        self.rust(ty, Position::Value)
    }

    /// A default value as an expression of the field's type (optional fields wrap it in
    /// `Some`; a text literal of an enum field names the variant).
    pub fn default_value(&self, literal: &Literal, ty: &Type) -> TokenStream {
        if let Type::Optional(inner) = ty {
            let value = self.default_value(literal, inner);
            return quote!(::std::option::Option::Some(#value));
        }
        match (literal, ty) {
            (Literal::String(text), Type::Enum(id)) => {
                let model = &self.model;
                let enumeration = naming::type_ident(&self.schema[*id].name);
                let variant = naming::variant_ident(text);
                quote!(#model::#enumeration::#variant)
            }
            (Literal::String(text), Type::Date) => {
                let model = &self.model;
                // The checker accepted the literal, so it parses.
                let (year, month, day) = crate::time_literal::date(text).unwrap_or_default();
                quote!(#model::Date::constant(#year, #month, #day))
            }
            (Literal::String(text), Type::Timestamp) => {
                let model = &self.model;
                let (second, nanosecond) = crate::time_literal::timestamp(text).unwrap_or_default();
                let second = number(&format!("{second}i64"));
                quote!(#model::Timestamp::constant(#second, #nanosecond))
            }
            (Literal::String(text), _) => quote!(::std::string::String::from(#text)),
            (Literal::Int(n), Type::Float) => number(&format!("{:?}f64", *n as f64)),
            (Literal::Int(n), _) => number(&format!("{n}i64")),
            (Literal::Float(x), _) => number(&format!("{x:?}f64")),
            (Literal::Bool(b), _) => quote!(#b),
        }
    }

    /// The result type of a method (`()` when it returns nothing).
    pub fn result(&self, returns: Option<&Type>) -> TokenStream {
        match returns {
            Some(ty) => self.rust(ty, Position::Result),
            None => quote!(()),
        }
    }
}

/// True when `ty` mentions `wanted` anywhere.
pub fn mentions(ty: &Type, wanted: &Type) -> bool {
    if ty == wanted {
        return true;
    }
    match ty {
        Type::Optional(inner) | Type::List(inner) | Type::Map(inner) => mentions(inner, wanted),
        _ => false,
    }
}

/// True for `T?`.
pub fn is_optional(ty: &Type) -> bool {
    matches!(ty, Type::Optional(_))
}

/// A numeric literal, negative ones as a negation (a token cannot hold the sign).
fn number(text: &str) -> TokenStream {
    match text.strip_prefix('-') {
        Some(magnitude) => {
            let magnitude: TokenStream = magnitude.parse().unwrap_or_default();
            quote!(-#magnitude)
        }
        None => text.parse().unwrap_or_default(),
    }
}

/// True when a value of struct `from` contains a `to` without indirection (directly, or
/// through other structs and `?`; lists and maps are indirection already).
fn reaches_by_value(schema: &Schema, from: StructId, to: StructId) -> bool {
    let mut seen = vec![false; schema.structs.len()];
    let mut pending = vec![from];
    while let Some(next) = pending.pop() {
        if next == to {
            return true;
        }
        if std::mem::replace(&mut seen[next.index()], true) {
            continue;
        }
        for field in &schema[next].fields {
            let by_value = match &field.ty {
                Type::Optional(inner) => inner.as_ref(),
                other => other,
            };
            if let Type::Struct(target) = by_value {
                pending.push(*target);
            }
        }
    }
    false
}
