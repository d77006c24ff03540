//! The `Methods` trait of an object type: its declared methods, implemented by the
//! application on a type of its own and called by the generated handlers.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::ir::Method;

use super::docs;
use super::naming::{self, ident};
use super::types::{Position, Types};
use super::view::{fresh, ObjectView};

/// The parameters of a method as Rust names, with the names the generated code uses for
/// the object and the context chosen so that no parameter shadows them.
pub struct Signature {
    /// The parameters, in order.
    pub params: Vec<(Ident, TokenStream)>,
    /// The name of the context parameter.
    pub ctx: Ident,
    /// The name of the object-state parameter.
    pub this: Ident,
}

/// The Rust signature of `method`.
pub fn signature(types: &Types, method: &Method) -> Signature {
    let params: Vec<(Ident, TokenStream)> = method
        .params
        .iter()
        .map(|param| {
            (
                naming::value_ident(&param.name),
                types.rust(&param.ty, Position::Value),
            )
        })
        .collect();
    let taken = params.iter().map(|(name, _)| name.to_string());
    Signature {
        ctx: ident(&fresh("ctx", taken.clone())),
        this: ident(&fresh("this", taken)),
        params,
    }
}

/// The error type of `method`: its own enum when it raises errors, else the runtime's.
pub fn error_type(method: &Method, module: TokenStream) -> TokenStream {
    if method.raises.is_empty() {
        quote!(::nubes_runtime::Error)
    } else {
        let name = naming::method_type(&method.name, "Error");
        quote!(#module::#name)
    }
}

/// Clippy's limit on arguments; longer generated signatures allow it explicitly.
const CLIPPY_MAX_ARGUMENTS: usize = 7;

/// `#[allow(clippy::too_many_arguments)]` when a signature of `count` arguments needs it.
pub fn allow_many_arguments(count: usize) -> TokenStream {
    if count > CLIPPY_MAX_ARGUMENTS {
        quote!(#[allow(clippy::too_many_arguments)])
    } else {
        TokenStream::new()
    }
}

/// The trait, or nothing for an object without methods.
pub fn methods_trait(types: &Types, object: &ObjectView) -> TokenStream {
    if !object.has_methods() {
        return TokenStream::new();
    }
    let state = object.type_ident();
    let doc = docs(Some(&format!(
        "The methods of `{}`. Implement it on a type of your own and hand that to the\nhandlers; read-only methods get the state by `&`, the others by `&mut`, and every\nchange made through `ctx` commits with the call, exactly once.",
        object.name()
    )));
    let methods = object.methods().map(|method| {
        let name = naming::value_ident(&method.name);
        let docs = docs(method.doc.as_deref());
        let signature = signature(types, method);
        let (ctx, this) = (&signature.ctx, &signature.this);
        let params = signature.params.iter().map(|(name, ty)| quote!(#name: #ty));
        let result = types.result(method.returns.as_ref());
        let error = error_type(method, quote!(self));
        let this_type = if method.readonly {
            quote!(&crate::#state)
        } else {
            quote!(&mut crate::#state)
        };
        let allow = allow_many_arguments(signature.params.len() + 3);
        quote! {
            #docs
            #allow
            fn #name(
                &self,
                #this: #this_type,
                #ctx: &mut ::nubes_runtime::Ctx,
                #(#params),*
            ) -> impl ::core::future::Future<Output = ::std::result::Result<#result, #error>> + ::core::marker::Send;
        }
    });
    quote! {
        #doc
        pub trait Methods: ::core::marker::Send + ::core::marker::Sync + 'static {
            #(#methods)*
        }
    }
}
