//! Typed access to objects from method code: the members of LANGUAGE §5 as methods of an
//! object's `Id` that take the running invocation's `Ctx`. Everything goes through the
//! context, so it is buffered and commits with the invocation.

use proc_macro2::TokenStream;
use quote::quote;

use super::naming;
use super::traits::{allow_many_arguments, error_type, signature};
use super::types::{Position, Types};
use super::view::{CollectionMembers, ObjectView};

/// `impl Id { … }` and `impl Init { create }` for one object type.
pub fn ctx_access(types: &Types, object: &ObjectView) -> TokenStream {
    let type_name = object.name();
    let state = object.type_ident();
    let getters = object.stored_fields().map(|field| {
        let getter = naming::prefixed("get", &field.name);
        let name = naming::value_ident(&field.name);
        let ty = types.rust(&field.ty, Position::Value);
        let doc = format!(" Reads `{type_name}.{}`.", field.name);
        quote! {
            #[doc = #doc]
            pub async fn #getter(&self, ctx: &mut ::nubes_runtime::Ctx) -> ::std::result::Result<#ty, ::nubes_runtime::Error> {
                let state: crate::#state = ::nubes_runtime::typed::get(ctx, #type_name, &self.0).await?;
                ::std::result::Result::Ok(state.#name)
            }
        }
    });
    let id_getter = object.has_implicit_id().then(|| {
        let doc = format!(" Reads the id of the `{type_name}` (`NotFound` if it does not exist).");
        quote! {
            #[doc = #doc]
            pub async fn get_id(&self, ctx: &mut ::nubes_runtime::Ctx) -> ::std::result::Result<Id, ::nubes_runtime::Error> {
                let state: crate::#state = ::nubes_runtime::typed::get(ctx, #type_name, &self.0).await?;
                ::std::result::Result::Ok(state.id())
            }
        }
    });
    let setters = object.settable_fields().map(|field| {
        let setter = naming::prefixed("set", &field.name);
        let ty = types.rust(&field.ty, Position::Value);
        let wire = &field.name;
        let doc = format!(" Changes `{type_name}.{wire}`.");
        let what = format!("`{type_name}.{wire}`");
        quote! {
            #[doc = #doc]
            pub async fn #setter(&self, ctx: &mut ::nubes_runtime::Ctx, value: #ty) -> ::std::result::Result<(), ::nubes_runtime::Error> {
                let value = ::nubes_runtime::typed::stored(#what, &value)?;
                ctx.set(#type_name, &self.0, #wire, value).await
            }
        }
    });
    let collections = object.collections().map(|collection| {
        let wire = &collection.field.name;
        let CollectionMembers {
            all,
            ids,
            add,
            remove,
            target_state,
            target_module,
            docs: [doc_all, doc_ids, doc_add, doc_remove],
        } = collection.members(object.schema(), type_name);
        quote! {
            #[doc = #doc_all]
            pub async fn #all(&self, ctx: &mut ::nubes_runtime::Ctx) -> ::std::result::Result<::std::vec::Vec<crate::#target_state>, ::nubes_runtime::Error> {
                ::nubes_runtime::typed::collection(ctx, #type_name, &self.0, #wire).await
            }

            #[doc = #doc_ids]
            pub async fn #ids(&self, ctx: &mut ::nubes_runtime::Ctx) -> ::std::result::Result<::std::vec::Vec<crate::#target_module::Id>, ::nubes_runtime::Error> {
                let ids = ctx.collection_ids(#type_name, &self.0, #wire).await?;
                ::std::result::Result::Ok(ids.into_iter().map(crate::#target_module::Id).collect())
            }

            #[doc = #doc_add]
            pub async fn #add(&self, ctx: &mut ::nubes_runtime::Ctx, id: &crate::#target_module::Id) -> ::std::result::Result<(), ::nubes_runtime::Error> {
                ctx.add_to(#type_name, &self.0, #wire, &id.0).await
            }

            #[doc = #doc_remove]
            pub async fn #remove(&self, ctx: &mut ::nubes_runtime::Ctx, ids: &[crate::#target_module::Id]) -> ::std::result::Result<(), ::nubes_runtime::Error> {
                for id in ids {
                    ctx.remove_from(#type_name, &self.0, #wire, &id.0).await?;
                }
                ::std::result::Result::Ok(())
            }
        }
    });
    let calls = object.methods().map(|method| {
        let name = naming::value_ident(&method.name);
        let args_type = naming::method_type(&method.name, "Args");
        let signature = signature(types, method);
        let ctx = &signature.ctx;
        let params = signature.params.iter().map(|(name, ty)| quote!(#name: #ty));
        let names = signature.params.iter().map(|(name, _)| name);
        let result = types.result(method.returns.as_ref());
        let error = error_type(method, quote!(self));
        let wire = &method.name;
        let what_result_text = format!("the result of `{type_name}.{wire}`");
        let decode_result = if method.raises.is_empty() {
            quote!(::nubes_runtime::typed::decode(#what_result_text, result))
        } else {
            quote!(::std::result::Result::Ok(::nubes_runtime::typed::decode(#what_result_text, result)?))
        };
        let what_args = format!("the arguments of `{type_name}.{wire}`");
        let doc = format!(" Calls `{type_name}.{wire}` inline: it commits with this invocation.");
        let allow = allow_many_arguments(signature.params.len() + 2);
        quote! {
            #[doc = #doc]
            #allow
            pub async fn #name(&self, #ctx: &mut ::nubes_runtime::Ctx, #(#params),*) -> ::std::result::Result<#result, #error> {
                let args = #args_type { #(#names),* };
                let args = ::nubes_runtime::typed::encode(#what_args, &args)?;
                let result = #ctx.call(#type_name, &self.0, #wire, args).await?;
                #decode_result
            }
        }
    });
    let later = later_calls(types, object);
    // A fresh id needs no read to know it is free: `create_fresh` skips it.
    let (into_state, new_id, create) = if object.has_implicit_id() {
        (
            quote!(self.into_state(Id(::nubes_runtime::typed::new_object_id()))),
            " Creates the object, with a fresh id, in this invocation.",
            quote!(create_fresh),
        )
    } else {
        (
            quote!(self.into_state()),
            " Creates the object in this invocation; `AlreadyExists` if its id is taken.",
            quote!(create),
        )
    };
    let what_new = format!("a new `{type_name}`");
    let doc_load = format!(" Reads the `{type_name}` (`None` if it does not exist).");
    let doc_exists = format!(" True when the `{type_name}` exists.");
    let doc_delete =
        format!(" Deletes the `{type_name}` with its relationship edges on both sides.");
    quote! {
        impl Id {
            #[doc = #doc_load]
            pub async fn load(&self, ctx: &mut ::nubes_runtime::Ctx) -> ::std::result::Result<::std::option::Option<crate::#state>, ::nubes_runtime::Error> {
                ::nubes_runtime::typed::load(ctx, #type_name, &self.0).await
            }

            #[doc = #doc_exists]
            pub async fn exists(&self, ctx: &mut ::nubes_runtime::Ctx) -> ::std::result::Result<bool, ::nubes_runtime::Error> {
                ctx.exists(#type_name, &self.0).await
            }

            #[doc = #doc_delete]
            pub async fn delete(&self, ctx: &mut ::nubes_runtime::Ctx) -> ::std::result::Result<(), ::nubes_runtime::Error> {
                ctx.delete(#type_name, &self.0).await
            }

            #id_getter
            #(#getters)*
            #(#setters)*
            #(#collections)*
            #(#calls)*
        }

        #later

        impl Init {
            #[doc = #new_id]
            pub async fn create(self, ctx: &mut ::nubes_runtime::Ctx) -> ::std::result::Result<Id, ::nubes_runtime::Error> {
                let state = #into_state;
                let id = state.id();
                let fields = ::nubes_runtime::typed::stored_fields(#what_new, &state)?;
                ctx.#create(#type_name, &id.0, fields).await?;
                ::std::result::Result::Ok(id)
            }
        }
    }
}

/// `Id::later` and the `Later` handle: a typed form of each mutating method that queues
/// the call through the outbox instead of running it inline. Nothing when the object has
/// no mutating method (a read-only call that nobody waits for would do nothing).
fn later_calls(types: &Types, object: &ObjectView) -> TokenStream {
    let type_name = object.name();
    let queued: Vec<TokenStream> = object
        .methods()
        .filter(|method| !method.readonly)
        .map(|method| {
            let name = naming::value_ident(&method.name);
            let args_type = naming::method_type(&method.name, "Args");
            let signature = signature(types, method);
            let ctx = &signature.ctx;
            let params = signature.params.iter().map(|(name, ty)| quote!(#name: #ty));
            let names = signature.params.iter().map(|(name, _)| name);
            let wire = &method.name;
            let what_args = format!("the arguments of `{type_name}.{wire}`");
            let doc = format!(
                " Queues `{type_name}.{wire}`: it runs after this invocation commits, exactly once, and its result or error is not returned here."
            );
            let allow = allow_many_arguments(signature.params.len() + 2);
            quote! {
                #[doc = #doc]
                #allow
                pub fn #name(&self, #ctx: &mut ::nubes_runtime::Ctx, #(#params),*) -> ::std::result::Result<(), ::nubes_runtime::Error> {
                    let args = #args_type { #(#names),* };
                    let args = ::nubes_runtime::typed::encode(#what_args, &args)?;
                    #ctx.send(#type_name, &self.0.0, #wire, args)
                }
            }
        })
        .collect();
    if queued.is_empty() {
        return TokenStream::new();
    }
    let doc_later = format!(
        " The methods of this `{type_name}` as asynchronous calls: each is stored with this invocation's commit, in the outbox, and delivered after it, at least once; it runs exactly once."
    );
    let doc_handle = format!(" Asynchronous calls to one `{type_name}`, from [`Id::later`].");
    quote! {
        impl Id {
            #[doc = #doc_later]
            pub fn later(&self) -> Later<'_> {
                Later(self)
            }
        }

        #[doc = #doc_handle]
        #[derive(Debug, Clone, Copy)]
        pub struct Later<'a>(&'a Id);

        impl Later<'_> {
            #(#queued)*
        }
    }
}
