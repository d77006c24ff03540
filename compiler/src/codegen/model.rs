//! The model crate: the application's types (object states, structs, enums, errors), and
//! per object type a module with its id, its creation input, its method trait, the wire
//! types of its methods, and typed access to it from method code through a `Ctx`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{Enum, ErrorType, Field, Literal, Method, Schema, Struct, StructId, Type};

use super::naming::{self, ident};
use super::types::{self, Position, Types};
use super::view::{self, ObjectView};
use super::{docs, rename};

/// The model crate's `lib.rs`.
pub fn lib(schema: &Schema, app: &str) -> TokenStream {
    let types = Types {
        schema,
        model: quote!(crate),
    };
    let about = format!(" The types of the `{app}` application, generated from its schema.");
    let aliases = time_aliases(schema);
    let structs = schema
        .structs
        .iter()
        .enumerate()
        .map(|(index, s)| value_struct(&types, StructId(index as u32), s));
    let enums = schema.enums.iter().map(enumeration);
    let errors = schema.errors.iter().map(|e| error_type(&types, e));
    let objects = schema
        .objects
        .iter()
        .map(|object| object_items(&types, &ObjectView::new(schema, object)));
    quote! {
        #![doc = #about]
        #![doc = ""]
        #![doc = " Each object type has a state struct here and a module of the same name, in"]
        #![doc = " snake case, with its `Id`, its creation input `Init`, its method trait `Methods`"]
        #![doc = " and the wire types of its methods."]
        #aliases
        #(#structs)*
        #(#enums)*
        #(#errors)*
        #(#objects)*
    }
}

/// `Timestamp` and `Date`, when the schema uses them: jiff's types, re-exported by the
/// runtime. On the wire and in the store they are RFC 3339 / ISO 8601 text, checked
/// wherever a value is read.
fn time_aliases(schema: &Schema) -> TokenStream {
    let uses = |wanted: Type| view::all_types(schema).any(|ty| types::mentions(ty, &wanted));
    let mut out = TokenStream::new();
    if uses(Type::Timestamp) {
        out.extend(quote! {
            /// An instant, written in UTC as RFC 3339 text such as `2026-11-28T06:28:30Z`.
            pub type Timestamp = ::nubes_runtime::jiff::Timestamp;
        });
    }
    if uses(Type::Date) {
        out.extend(quote! {
            /// A calendar date, written as ISO 8601 text such as `2026-11-28`.
            pub type Date = ::nubes_runtime::jiff::civil::Date;
        });
    }
    out
}

/// One field of a struct, error or object state.
pub fn field(types: &Types, field: &Field) -> TokenStream {
    field_typed(field, types.rust(&field.ty, Position::Value))
}

/// One field, with its Rust type given.
fn field_typed(field: &Field, ty: TokenStream) -> TokenStream {
    let name = naming::value_ident(&field.name);
    let docs = docs(field.doc.as_deref());
    let rename = rename(&name, &field.name);
    let optional = optional_attr(&field.ty);
    quote! {
        #docs
        #rename
        #optional
        pub #name: #ty,
    }
}

fn optional_attr(ty: &Type) -> TokenStream {
    if types::is_optional(ty) {
        quote!(#[serde(default, skip_serializing_if = "::std::option::Option::is_none")])
    } else {
        TokenStream::new()
    }
}

fn value_struct(types: &Types, id: StructId, value: &Struct) -> TokenStream {
    let name = naming::type_ident(&value.name);
    let docs = docs(value.doc.as_deref());
    let fields = value
        .fields
        .iter()
        .map(|f| field_typed(f, types.struct_field(&f.ty, id)));
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        pub struct #name {
            #(#fields)*
        }
    }
}

fn enumeration(value: &Enum) -> TokenStream {
    let name = naming::type_ident(&value.name);
    let enum_docs = docs(value.doc.as_deref());
    let variants = value.variants.iter().map(|variant| {
        let ident = naming::variant_ident(&variant.name);
        let variant_docs = docs(variant.doc.as_deref());
        let rename = rename(&ident, &variant.name);
        quote!(#variant_docs #rename #ident,)
    });
    let wire = value.variants.iter().map(|variant| {
        let ident = naming::variant_ident(&variant.name);
        let text = &variant.name;
        quote!(#name::#ident => #text,)
    });
    quote! {
        #enum_docs
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        pub enum #name {
            #(#variants)*
        }

        impl #name {
            /// The variant's name as written in the schema (its wire form).
            pub fn wire_name(self) -> &'static str {
                match self {
                    #(#wire)*
                }
            }
        }
    }
}

fn error_type(types: &Types, error: &ErrorType) -> TokenStream {
    let name = naming::type_ident(&error.name);
    let display = error_display(error);
    let docs = docs(error.doc.as_deref());
    let fields = error.fields.iter().map(|f| field(types, f));
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        pub struct #name {
            #(#fields)*
        }

        impl ::core::fmt::Display for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                #display
            }
        }

        impl ::std::error::Error for #name {}
    }
}

/// An error's message: the first line of its doc comment (or its name), then its fields:
/// `The requested nights overlap a reservation the room already has (reservation: "r1")`.
fn error_display(error: &ErrorType) -> TokenStream {
    let message = error
        .doc
        .as_deref()
        .and_then(|doc| doc.lines().map(str::trim).find(|line| !line.is_empty()))
        .map(|line| line.trim_end_matches('.').to_string())
        .unwrap_or_else(|| error.name.clone());
    let escaped = message.replace('{', "{{").replace('}', "}}");
    if error.fields.is_empty() {
        return quote!(f.write_str(#message));
    }
    let shown: Vec<String> = error
        .fields
        .iter()
        .map(|field| format!("{}: {{:?}}", field.name))
        .collect();
    let format = format!("{escaped} ({})", shown.join(", "));
    let values = error.fields.iter().map(|field| {
        let name = naming::value_ident(&field.name);
        quote!(self.#name)
    });
    quote!(::core::write!(f, #format, #(#values),*))
}

/// The state struct of an object type and its module.
fn object_items(types: &Types, object: &ObjectView) -> TokenStream {
    let name = object.type_ident();
    let module = object.module();
    let docs = docs(object.doc());
    let implicit_id = object.has_implicit_id().then(|| {
        quote! {
            /// The object's id, made when it was created.
            pub id: ::std::string::String,
        }
    });
    let fields = object.stored_fields().map(|f| field(types, f));
    let id_value = id_value(object, quote!(#module::Id));
    let module_items = object_module(types, object);
    let module_doc = format!(" The generated items of `{}`.", object.name());
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        pub struct #name {
            #implicit_id
            #(#fields)*
        }

        impl #name {
            /// The object's id.
            pub fn id(&self) -> #module::Id {
                #id_value
            }
        }

        #[doc = #module_doc]
        pub mod #module {
            #module_items
        }
    }
}

/// The expression of a state struct's id (`id` is the path of the `Id` type).
fn id_value(object: &ObjectView, id: TokenStream) -> TokenStream {
    match object.id_field() {
        None => quote!(#id(::core::clone::Clone::clone(&self.id))),
        Some(field) => {
            let name = naming::value_ident(&field.name);
            match &field.ty {
                Type::Enum(enumeration) => {
                    let enumeration = naming::type_ident(&object.schema()[*enumeration].name);
                    quote!(<#id as ::core::convert::From<crate::#enumeration>>::from(self.#name))
                }
                _ => quote!(#id(::core::clone::Clone::clone(&self.#name))),
            }
        }
    }
}

fn object_module(types: &Types, object: &ObjectView) -> TokenStream {
    let id = id_type(object);
    let init = init_type(types, object);
    let methods = object
        .methods()
        .map(|method| method_types(types, object, method));
    let methods_trait = super::traits::methods_trait(types, object);
    let access = super::access::ctx_access(types, object);
    quote! {
        #id
        #init
        #(#methods)*
        #methods_trait
        #access
    }
}

fn id_type(object: &ObjectView) -> TokenStream {
    let doc = format!(" The id of a `{}`.", object.name());
    let from_enum = object.id_field().and_then(|field| match &field.ty {
        Type::Enum(id) => {
            let name = naming::type_ident(&object.schema()[*id].name);
            Some(quote! {
                impl ::core::convert::From<crate::#name> for Id {
                    fn from(value: crate::#name) -> Self {
                        Id(::std::string::String::from(value.wire_name()))
                    }
                }
            })
        }
        _ => None,
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(transparent)]
        pub struct Id(pub ::std::string::String);

        ::nubes_runtime::impl_object_id!(Id);

        #from_enum
    }
}

/// The creation input: every field but navigation lists (and the implicit id, which
/// creation makes). Fields with a default may be left out.
fn init_type(types: &Types, object: &ObjectView) -> TokenStream {
    let state = object.type_ident();
    let doc = format!(
        " What creating a `{}` takes: every field but its navigation lists.",
        object.name()
    );
    let fields = object.stored_fields().map(|f| match &f.default {
        Some(_) if !types::is_optional(&f.ty) => {
            let name = naming::value_ident(&f.name);
            let ty = types.rust(&f.ty, Position::Value);
            let rename = rename(&name, &f.name);
            let doc = format!(" `{}`; `None` takes the schema's default.", f.name);
            quote! {
                #[doc = #doc]
                #rename
                #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
                pub #name: ::std::option::Option<#ty>,
            }
        }
        _ => field(types, f),
    });
    let moves = object.stored_fields().map(|f| {
        let name = naming::value_ident(&f.name);
        let Some(literal) = &f.default else {
            return quote!(#name: self.#name,);
        };
        let value = types.default_value(literal, &f.ty);
        // Text allocates, so only when needed; numbers, booleans and variants are constants.
        let base = match &f.ty {
            Type::Optional(inner) => inner.as_ref(),
            other => other,
        };
        let allocates = matches!(literal, Literal::String(_)) && !matches!(base, Type::Enum(_));
        match (types::is_optional(&f.ty), allocates) {
            (true, true) => quote!(#name: self.#name.or_else(|| #value),),
            (true, false) => quote!(#name: self.#name.or(#value),),
            (false, true) => quote!(#name: self.#name.unwrap_or_else(|| #value),),
            (false, false) => quote!(#name: self.#name.unwrap_or(#value),),
        }
    });
    let (params, id_move, doc_state) = if object.has_implicit_id() {
        (
            quote!(self, id: Id),
            quote!(id: id.0,),
            " The state of the new object with the id `id`, defaults filled in.",
        )
    } else {
        (
            quote!(self),
            TokenStream::new(),
            " The state of the new object, defaults filled in.",
        )
    };
    // With every field optional or defaulted, `Init::default()` is a valid creation.
    let all_optional = object
        .stored_fields()
        .all(|f| f.default.is_some() || types::is_optional(&f.ty));
    let default = all_optional.then(|| quote!(Default,));
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, #default ::serde::Serialize, ::serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Init {
            #(#fields)*
        }

        impl Init {
            #[doc = #doc_state]
            pub fn into_state(#params) -> crate::#state {
                crate::#state {
                    #id_move
                    #(#moves)*
                }
            }
        }
    }
}

/// A method's argument struct and, when it raises typed errors, its error enum.
fn method_types(types: &Types, object: &ObjectView, method: &Method) -> TokenStream {
    let args = naming::method_type(&method.name, "Args");
    let doc = format!(
        " The arguments of `{}.{}`, by parameter name on the wire.",
        object.name(),
        method.name
    );
    let fields = method.params.iter().map(|param| {
        let name = naming::value_ident(&param.name);
        let ty = types.rust(&param.ty, Position::Value);
        let rename = rename(&name, &param.name);
        let optional = optional_attr(&param.ty);
        let doc = format!(" The argument `{}`.", param.name);
        quote!(#[doc = #doc] #rename #optional pub #name: #ty,)
    });
    let error = (!method.raises.is_empty()).then(|| method_error(object, method));
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct #args {
            #(#fields)*
        }

        #error
    }
}

/// `ReserveError`: one variant per raised error plus the runtime's errors, convertible
/// both ways to the runtime's `Error::User`.
fn method_error(object: &ObjectView, method: &Method) -> TokenStream {
    let schema = object.schema();
    let name = naming::method_type(&method.name, "Error");
    let raised: Vec<(proc_macro2::Ident, &str)> = method
        .raises
        .iter()
        .map(|id| {
            (
                naming::type_ident(&schema[*id].name),
                schema[*id].name.as_str(),
            )
        })
        .collect();
    let runtime = view::fresh(
        "Runtime",
        raised.iter().map(|(variant, _)| variant.to_string()),
    );
    let runtime = ident(&runtime);
    let doc = format!(
        " How `{}.{}` can fail: the errors it raises, or the runtime's.",
        object.name(),
        method.name
    );
    let variants = raised.iter().map(|(variant, wire)| {
        let doc = format!(" The method raised `{wire}`.");
        quote!(#[doc = #doc] #variant(crate::#variant),)
    });
    let display = raised
        .iter()
        .map(|(variant, _)| quote!(#name::#variant(error) => ::core::fmt::Display::fmt(error, f),));
    let froms = raised.iter().map(|(variant, _)| {
        quote! {
            impl ::core::convert::From<crate::#variant> for #name {
                fn from(error: crate::#variant) -> Self {
                    #name::#variant(error)
                }
            }
        }
    });
    let decode = raised.iter().map(|(variant, wire)| {
        quote! {
            ::nubes_runtime::Error::User { name, data } if name == #wire => {
                match ::nubes_runtime::typed::decode(#wire, data) {
                    ::std::result::Result::Ok(error) => #name::#variant(error),
                    ::std::result::Result::Err(error) => #name::#runtime(error),
                }
            }
        }
    });
    let encode = raised.iter().map(|(variant, wire)| {
        quote!(#name::#variant(error) => ::nubes_runtime::typed::raise(#wire, &error),)
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq)]
        pub enum #name {
            #(#variants)*
            /// The runtime's error: not found, conflict, validation, unavailable …
            #runtime(::nubes_runtime::Error),
        }

        impl ::core::fmt::Display for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self {
                    #(#display)*
                    #name::#runtime(error) => ::core::fmt::Display::fmt(error, f),
                }
            }
        }

        impl ::std::error::Error for #name {}

        #(#froms)*

        impl ::core::convert::From<::nubes_runtime::Error> for #name {
            fn from(error: ::nubes_runtime::Error) -> Self {
                match error {
                    #(#decode)*
                    other => #name::#runtime(other),
                }
            }
        }

        impl ::core::convert::From<#name> for ::nubes_runtime::Error {
            fn from(error: #name) -> Self {
                match error {
                    #(#encode)*
                    #name::#runtime(error) => error,
                }
            }
        }
    }
}
