//! The client crate: a `Client` over any transport, with a collection entry
//! (`client.rooms()`) and a handle (`client.room(id)`) per object type whose methods mirror
//! the object's members and declared methods. Each logical call makes one invocation id and
//! keeps it on every retry.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{Schema, Type};

use super::naming;
use super::traits::{allow_many_arguments, error_type, signature};
use super::types::{Position, Types};
use super::view::{CollectionMembers, ObjectView};

/// The client crate's `lib.rs`.
pub fn lib(schema: &Schema, app: &str) -> TokenStream {
    let model = naming::crate_ident(app, "model");
    let types = Types::outside_model(schema, app);
    let objects = ObjectView::all(schema);
    let about = format!(" The typed client of the `{app}` application, generated from its schema.");
    let entries = objects.iter().map(|object| {
        let module = object.module();
        let one = naming::handle_fn(object.name());
        let all = naming::collection_fn(object.name());
        let doc_one = format!(" The `{}` with the id `id`.", object.name());
        let doc_all = format!(" All `{}` objects: create new ones.", object.name());
        quote! {
            #[doc = #doc_all]
            pub fn #all(&self) -> #module::Collection {
                #module::Collection { client: ::core::clone::Clone::clone(self) }
            }

            #[doc = #doc_one]
            pub fn #one(&self, id: impl ::core::convert::Into<::#model::#module::Id>) -> #module::Handle {
                #module::Handle { client: ::core::clone::Clone::clone(self), id: id.into() }
            }
        }
    });
    let modules = objects.iter().map(|object| object_module(&types, object));
    quote! {
        #![doc = #about]
        #![doc = ""]
        #![doc = " Make a [`Client`] over a transport (the handlers crate's in-process transport, or"]
        #![doc = " `nubes_runtime::lambda::LambdaTransport`), then call objects through their handles."]

        /// The application's client. Cheap to clone; handles keep a clone.
        #[derive(Clone)]
        pub struct Client {
            transport: ::std::sync::Arc<dyn ::nubes_runtime::Transport>,
            retry: ::nubes_runtime::RetryPolicy,
        }

        impl Client {
            /// A client over `transport`, retrying with the default policy.
            pub fn new(transport: impl ::nubes_runtime::Transport + 'static) -> Self {
                Client {
                    transport: ::std::sync::Arc::new(transport),
                    retry: ::nubes_runtime::RetryPolicy::default(),
                }
            }

            /// Replaces the retry policy (how often a call that may not have arrived is sent
            /// again, always with the same invocation id).
            pub fn with_retry(mut self, retry: ::nubes_runtime::RetryPolicy) -> Self {
                self.retry = retry;
                self
            }

            #(#entries)*
        }

        /// One logical call: a fresh invocation id, kept on every retry.
        async fn request(
            client: &Client,
            type_name: &str,
            object: &str,
            call: ::nubes_runtime::Call,
        ) -> ::std::result::Result<::nubes_runtime::serde_json::Value, ::nubes_runtime::Error> {
            let request = ::nubes_runtime::Request::new(type_name, object, call);
            ::nubes_runtime::transport::send_with_retry(&*client.transport, &request, &client.retry).await
        }

        #(#modules)*
    }
}

/// Parameters of these types take anything that converts into them: `&str` for text,
/// `&Id`, `&str` or an enum for ids.
fn takes_into(ty: &Type) -> bool {
    matches!(
        ty,
        Type::String | Type::Timestamp | Type::Date | Type::Object(_)
    )
}

fn object_module(types: &Types, object: &ObjectView) -> TokenStream {
    let model = &types.model;
    let module = object.module();
    let state = object.type_ident();
    let type_name = object.name();
    let module_doc = format!(" The client side of `{type_name}`.");
    let into_state = if object.has_implicit_id() {
        quote!(init.into_state(#model::#module::Id(::nubes_runtime::typed::new_object_id())))
    } else {
        quote!(init.into_state())
    };
    let what_new = format!("a new `{type_name}`");
    let what_state = format!("a `{type_name}`");
    let what_exists = format!("whether a `{type_name}` exists");
    let doc_create = format!(" Creates a `{type_name}`; `AlreadyExists` if its id is taken.");
    let doc_handle = format!(" One `{type_name}`, by id.");
    let doc_collection = format!(" All `{type_name}` objects.");
    let getters = object.stored_fields().map(|field| {
        let getter = naming::prefixed("get", &field.name);
        let name = naming::value_ident(&field.name);
        let ty = types.rust(&field.ty, Position::Value);
        let doc = format!(" Reads `{type_name}.{}`.", field.name);
        quote! {
            #[doc = #doc]
            pub async fn #getter(&self) -> ::std::result::Result<#ty, ::nubes_runtime::Error> {
                ::std::result::Result::Ok(self.load().await?.#name)
            }
        }
    });
    let id_getter = object.has_implicit_id().then(|| {
        quote! {
            /// Reads the object's id (`NotFound` if it does not exist).
            pub async fn get_id(&self) -> ::std::result::Result<#model::#module::Id, ::nubes_runtime::Error> {
                ::std::result::Result::Ok(self.load().await?.id())
            }
        }
    });
    let setters = object.settable_fields().map(|field| {
        let setter = naming::prefixed("set", &field.name);
        let ty = types.rust(&field.ty, Position::Value);
        let (param, convert) = if takes_into(&field.ty) {
            (quote!(impl ::core::convert::Into<#ty>), quote!(value.into()))
        } else {
            (ty.clone(), quote!(value))
        };
        let wire = &field.name;
        let doc = format!(" Changes `{type_name}.{wire}`.");
        let what = format!("`{type_name}.{wire}`");
        quote! {
            #[doc = #doc]
            pub async fn #setter(&self, value: #param) -> ::std::result::Result<(), ::nubes_runtime::Error> {
                let value: #ty = #convert;
                let value = ::nubes_runtime::typed::stored(#what, &value)?;
                let call = ::nubes_runtime::Call::Set { field: ::std::string::String::from(#wire), value };
                crate::request(&self.client, #type_name, &self.id.0, call).await?;
                ::std::result::Result::Ok(())
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
        let what = format!("`{type_name}.{wire}`");
        quote! {
            #[doc = #doc_all]
            pub async fn #all(&self) -> ::std::result::Result<::std::vec::Vec<#model::#target_state>, ::nubes_runtime::Error> {
                let call = ::nubes_runtime::Call::Collection { field: ::std::string::String::from(#wire) };
                let value = crate::request(&self.client, #type_name, &self.id.0, call).await?;
                ::nubes_runtime::typed::decode(#what, value)
            }

            #[doc = #doc_ids]
            pub async fn #ids(&self) -> ::std::result::Result<::std::vec::Vec<#model::#target_module::Id>, ::nubes_runtime::Error> {
                let call = ::nubes_runtime::Call::CollectionIds { field: ::std::string::String::from(#wire) };
                let value = crate::request(&self.client, #type_name, &self.id.0, call).await?;
                ::nubes_runtime::typed::decode(#what, value)
            }

            #[doc = #doc_add]
            pub async fn #add(&self, id: impl ::core::convert::Into<#model::#target_module::Id>) -> ::std::result::Result<(), ::nubes_runtime::Error> {
                let call = ::nubes_runtime::Call::AddTo {
                    field: ::std::string::String::from(#wire),
                    ids: ::std::vec![id.into().0],
                };
                crate::request(&self.client, #type_name, &self.id.0, call).await?;
                ::std::result::Result::Ok(())
            }

            #[doc = #doc_remove]
            pub async fn #remove(
                &self,
                ids: impl ::core::iter::IntoIterator<Item = impl ::core::convert::Into<#model::#target_module::Id>>,
            ) -> ::std::result::Result<(), ::nubes_runtime::Error> {
                let call = ::nubes_runtime::Call::RemoveFrom {
                    field: ::std::string::String::from(#wire),
                    ids: ids.into_iter().map(|id| id.into().0).collect(),
                };
                crate::request(&self.client, #type_name, &self.id.0, call).await?;
                ::std::result::Result::Ok(())
            }
        }
    });
    let calls = object.methods().map(|method| {
        let name = naming::value_ident(&method.name);
        let args_type = naming::method_type(&method.name, "Args");
        let signature = signature(types, method);
        let params = method.params.iter().zip(&signature.params).map(|(param, (name, ty))| {
            if takes_into(&param.ty) {
                quote!(#name: impl ::core::convert::Into<#ty>)
            } else {
                quote!(#name: #ty)
            }
        });
        let names = method.params.iter().zip(&signature.params).map(|(param, (name, _))| {
            if takes_into(&param.ty) {
                quote!(#name: #name.into())
            } else {
                quote!(#name)
            }
        });
        let result = types.result(method.returns.as_ref());
        let error = error_type(method, quote!(#model::#module));
        let wire = &method.name;
        let what_result_text = format!("the result of `{type_name}.{wire}`");
        let decode_result = if method.raises.is_empty() {
            quote!(::nubes_runtime::typed::decode(#what_result_text, result))
        } else {
            quote!(::std::result::Result::Ok(::nubes_runtime::typed::decode(#what_result_text, result)?))
        };
        let what_args = format!("the arguments of `{type_name}.{wire}`");
        let docs = super::docs(method.doc.as_deref());
        let allow = allow_many_arguments(signature.params.len() + 1);
        quote! {
            #docs
            #allow
            pub async fn #name(&self, #(#params),*) -> ::std::result::Result<#result, #error> {
                let args = #model::#module::#args_type { #(#names),* };
                let args = ::nubes_runtime::typed::encode(#what_args, &args)?;
                let call = ::nubes_runtime::Call::Method { method: ::std::string::String::from(#wire), args };
                let result = crate::request(&self.client, #type_name, &self.id.0, call).await?;
                #decode_result
            }
        }
    });
    quote! {
        #[doc = #module_doc]
        pub mod #module {
            #[doc = #doc_collection]
            #[derive(Clone)]
            pub struct Collection {
                pub(crate) client: crate::Client,
            }

            impl Collection {
                #[doc = #doc_create]
                pub async fn create(&self, init: #model::#module::Init) -> ::std::result::Result<Handle, ::nubes_runtime::Error> {
                    let state = #into_state;
                    let id = state.id();
                    let fields = ::nubes_runtime::typed::stored_fields(#what_new, &state)?;
                    let call = ::nubes_runtime::Call::Create { fields };
                    crate::request(&self.client, #type_name, &id.0, call).await?;
                    ::std::result::Result::Ok(Handle { client: ::core::clone::Clone::clone(&self.client), id })
                }
            }

            #[doc = #doc_handle]
            #[derive(Clone)]
            pub struct Handle {
                pub(crate) client: crate::Client,
                /// The object's id.
                pub id: #model::#module::Id,
            }

            impl Handle {
                /// Reads the object; `NotFound` if it does not exist.
                pub async fn load(&self) -> ::std::result::Result<#model::#state, ::nubes_runtime::Error> {
                    let value = crate::request(&self.client, #type_name, &self.id.0, ::nubes_runtime::Call::Get).await?;
                    ::nubes_runtime::typed::decode(#what_state, value)
                }

                /// True when the object exists.
                pub async fn exists(&self) -> ::std::result::Result<bool, ::nubes_runtime::Error> {
                    let value = crate::request(&self.client, #type_name, &self.id.0, ::nubes_runtime::Call::Exists).await?;
                    ::nubes_runtime::typed::decode(#what_exists, value)
                }

                /// Deletes the object with its relationship edges on both sides.
                pub async fn delete(&self) -> ::std::result::Result<(), ::nubes_runtime::Error> {
                    crate::request(&self.client, #type_name, &self.id.0, ::nubes_runtime::Call::Delete).await?;
                    ::std::result::Result::Ok(())
                }

                #id_getter
                #(#getters)*
                #(#setters)*
                #(#collections)*
                #(#calls)*
            }
        }
    }
}
