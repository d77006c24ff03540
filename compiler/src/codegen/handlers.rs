//! The handlers crate: the runtime's description of the application (tables,
//! relationships, read-only fields, immutable types, tracked lists), one `ObjectHandler`
//! per object type dispatching to the application's `Methods` implementations, an
//! in-process transport and the AWS Lambda entry point.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::Schema;

use super::naming;
use super::traits::signature;
use super::types::{Position, Types};
use super::view::{ObjectView, Relation};

/// The handlers crate's `lib.rs`.
pub fn lib(schema: &Schema, app: &str) -> TokenStream {
    let model = naming::crate_ident(app, "model");
    let types = Types::outside_model(schema, app);
    let objects = ObjectView::all(schema);
    let about = format!(" The handlers of the `{app}` application, generated from its schema.");
    let bounds: Vec<TokenStream> = objects
        .iter()
        .filter(|object| object.has_methods())
        .map(|object| {
            let module = object.module();
            quote!(::#model::#module::Methods)
        })
        .collect();
    let app_bound = if bounds.is_empty() {
        quote!(::core::marker::Send + ::core::marker::Sync + 'static)
    } else {
        quote!(#(#bounds)+*)
    };
    let types_in_schema = objects.iter().map(object_type);
    let (app_param, share_app) = if bounds.is_empty() {
        (quote!(_app), TokenStream::new())
    } else {
        (quote!(app), quote!(let app = ::std::sync::Arc::new(app);))
    };
    let registrations = objects.iter().map(|object| {
        let name = object.name();
        let handler = handler_ident(object);
        if object.has_methods() {
            quote!(.handler(#name, ::std::sync::Arc::new(#handler { app: app.clone() })))
        } else {
            quote!(.handler(#name, ::std::sync::Arc::new(#handler)))
        }
    });
    let handlers = objects.iter().map(|object| object_handler(&types, object));
    let function_doc = super::docs(Some(&format!(
        "Serves the application as an AWS Lambda function (one function can serve every\ntype; by default the client calls `{app}-<Type>`). The store is DynamoDB, configured by\n`NUBES_TABLE_PREFIX` and `NUBES_DYNAMODB_ENDPOINT`."
    )));
    quote! {
        #![doc = #about]
        #![doc = ""]
        #![doc = " Hand [`runtime`] or [`in_process`] a store and your implementation of the model's"]
        #![doc = " `Methods` traits; [`serve_lambda`] runs the same code as a Lambda function."]

        /// Everything the application implements: the `Methods` trait of every object type
        /// that declares methods.
        pub trait App: #app_bound {}

        impl<T: #app_bound> App for T {}

        /// The object types, their tables, relationships and read-only fields.
        pub fn schema() -> ::nubes_runtime::Schema {
            ::nubes_runtime::Schema::new("")
                #(#types_in_schema)*
        }

        /// A runtime builder with every object type's handler registered; set its
        /// configuration and build it.
        pub fn runtime<A: App>(store: ::std::sync::Arc<dyn ::nubes_runtime::Store>, #app_param: A) -> ::nubes_runtime::RuntimeBuilder {
            #share_app
            ::nubes_runtime::Runtime::builder(store, schema())
                #(#registrations)*
        }

        /// The in-process transport over `store` with the default configuration: the
        /// client calls the handlers directly. `.with_tables().await` creates the tables
        /// that do not exist yet.
        pub fn in_process<A: App>(store: ::std::sync::Arc<dyn ::nubes_runtime::Store>, app: A) -> ::nubes_runtime::InProcess {
            ::nubes_runtime::InProcess::new(runtime(store, app).build())
        }

        #function_doc
        pub async fn serve_lambda<A: App>(app: A) -> ::std::result::Result<(), ::nubes_runtime::lambda_runtime::Error> {
            let store = ::nubes_runtime::lambda::store_from_env();
            ::nubes_runtime::lambda::serve(runtime(store, app).build()).await
        }

        #(#handlers)*
    }
}

fn handler_ident(object: &ObjectView) -> proc_macro2::Ident {
    naming::ident(&format!(
        "{}Handler",
        object.type_ident().to_string().trim_start_matches("r#")
    ))
}

/// `.with_type(ObjectType::new("Room").relation(…).readonly(…).immutable().tracked(…))`:
/// `.immutable()` when every stored field is read-only, `.tracked(list)` for each
/// `@tracked` list.
fn object_type(object: &ObjectView) -> TokenStream {
    let name = object.name();
    let id_field = object.id_field_name();
    let relations = object.fields().filter_map(|field| {
        let wire = &field.name;
        let relation = match object.relation(field)? {
            Relation::OneToMany { target, back } => quote! {
                ::nubes_runtime::Relation::OneToMany {
                    target: ::std::string::String::from(#target),
                    back: ::std::string::String::from(#back),
                }
            },
            Relation::BackReference {
                target,
                list,
                optional,
            } => quote! {
                ::nubes_runtime::Relation::BackReference {
                    target: ::std::string::String::from(#target),
                    list: ::std::string::String::from(#list),
                    optional: #optional,
                }
            },
            Relation::ManyToMany { target, inverse } => quote! {
                ::nubes_runtime::Relation::ManyToMany {
                    target: ::std::string::String::from(#target),
                    inverse: ::std::string::String::from(#inverse),
                }
            },
            Relation::ReferenceList { target } => quote! {
                ::nubes_runtime::Relation::ReferenceList {
                    target: ::std::string::String::from(#target),
                }
            },
        };
        Some(quote!(.relation(#wire, #relation)))
    });
    let readonly = object
        .stored_fields()
        .filter(|field| field.readonly && field.name != id_field)
        .map(|field| {
            let wire = &field.name;
            quote!(.readonly(#wire))
        });
    let immutable = object.is_immutable().then(|| quote!(.immutable()));
    let tracked = object.tracked_lists().map(|field| {
        let wire = &field.name;
        quote!(.tracked(#wire))
    });
    quote! {
        .with_type(
            ::nubes_runtime::ObjectType::new(#name)
                .id_field(#id_field)
                #(#relations)*
                #(#readonly)*
                #immutable
                #(#tracked)*
        )
    }
}

/// The `ObjectHandler` of one type: decode the arguments, read the object, run the
/// application's method, write back what it changed, encode the result.
fn object_handler(types: &Types, object: &ObjectView) -> TokenStream {
    let model = &types.model;
    let handler = handler_ident(object);
    let type_name = object.name();
    let state = object.type_ident();
    let module = object.module();
    let readonly = object
        .methods()
        .filter(|method| method.readonly)
        .map(|method| method.name.as_str());
    let readonly: Vec<&str> = readonly.collect();
    let (readonly_param, is_readonly) = if readonly.is_empty() {
        (quote!(_method), quote!(false))
    } else {
        (quote!(method), quote!(matches!(method, #(#readonly)|*)))
    };
    let arms = object.methods().map(|method| {
        let wire = &method.name;
        let name = naming::value_ident(wire);
        let args_type = naming::method_type(wire, "Args");
        let signature = signature(types, method);
        let fields = signature.params.iter().map(|(name, _)| quote!(args.#name));
        let what_args = format!("the arguments of `{type_name}.{wire}`");
        let what_result = format!("the result of `{type_name}.{wire}`");
        let what_state = format!("the state of a `{type_name}`");
        // Arguments are decoded even when there are none, so a malformed payload is refused.
        let binding = if method.params.is_empty() {
            quote!(_)
        } else {
            quote!(args)
        };
        if method.readonly {
            quote! {
                #wire => {
                    let #binding: #model::#module::#args_type = ::nubes_runtime::typed::decode_args(#what_args, args)?;
                    let this: #model::#state = ::nubes_runtime::typed::this(ctx).await?;
                    let result = <A as #model::#module::Methods>::#name(&*self.app, &this, ctx, #(#fields),*).await?;
                    ::nubes_runtime::typed::encode(#what_result, &result)
                }
            }
        } else {
            quote! {
                #wire => {
                    let #binding: #model::#module::#args_type = ::nubes_runtime::typed::decode_args(#what_args, args)?;
                    let mut this: #model::#state = ::nubes_runtime::typed::this(ctx).await?;
                    let before = ::nubes_runtime::typed::encode_fields(#what_state, &this)?;
                    let result = <A as #model::#module::Methods>::#name(&*self.app, &mut this, ctx, #(#fields),*).await?;
                    ::nubes_runtime::typed::save_this(ctx, &before, &this).await?;
                    ::nubes_runtime::typed::encode(#what_result, &result)
                }
            }
        }
    });
    let unknown = format!("`{type_name}` has no method `{{method}}`");
    let (ctx_param, args_param) = if object.has_methods() {
        (quote!(ctx), quote!(args))
    } else {
        (quote!(_ctx), quote!(_args))
    };
    let unknown = quote!(::std::result::Result::Err(
        ::nubes_runtime::Error::validation(::std::format!(#unknown))
    ));
    let body = if object.has_methods() {
        quote! {
            match method {
                #(#arms)*
                _ => #unknown,
            }
        }
    } else {
        unknown
    };
    let check_args = check_args(types, object);
    let prepare_create = prepare_create(types, object);
    let prepare_field = prepare_field(types, object);
    let doc = format!(" Runs the methods of `{type_name}`.");
    let (declaration, implementation) = if object.has_methods() {
        (
            quote! {
                struct #handler<A> {
                    app: ::std::sync::Arc<A>,
                }
            },
            quote!(impl<A: App> ::nubes_runtime::ObjectHandler for #handler<A>),
        )
    } else {
        (
            quote!(struct #handler;),
            quote!(impl ::nubes_runtime::ObjectHandler for #handler),
        )
    };
    quote! {
        #[doc = #doc]
        #declaration

        #[::nubes_runtime::async_trait::async_trait]
        #implementation {
            fn is_readonly(&self, #readonly_param: &str) -> bool {
                #is_readonly
            }

            async fn call(
                &self,
                #ctx_param: &mut ::nubes_runtime::Ctx,
                method: &str,
                #args_param: ::nubes_runtime::serde_json::Value,
            ) -> ::std::result::Result<::nubes_runtime::serde_json::Value, ::nubes_runtime::Error> {
                #body
            }

            #check_args
            #prepare_create
            #prepare_field
        }
    }
}

/// Arguments are checked before the runtime reads or writes anything, so a malformed
/// call leaves no trace in the store: each method's `Args` must decode from them, and an
/// unknown method is refused.
fn check_args(types: &Types, object: &ObjectView) -> TokenStream {
    let model = &types.model;
    let module = object.module();
    let type_name = object.name();
    let arms = object.methods().map(|method| {
        let wire = &method.name;
        let args_type = naming::method_type(wire, "Args");
        let what_args = format!("the arguments of `{type_name}.{wire}`");
        quote! {
            #wire => ::nubes_runtime::typed::check_args::<#model::#module::#args_type>(#what_args, args),
        }
    });
    let unknown = format!("`{type_name}` has no method `{{method}}`");
    let unknown = quote!(::std::result::Result::Err(
        ::nubes_runtime::Error::validation(::std::format!(#unknown))
    ));
    let (args_param, body) = if object.has_methods() {
        (
            quote!(args),
            quote! {
                match method {
                    #(#arms)*
                    _ => #unknown,
                }
            },
        )
    } else {
        (quote!(_args), unknown)
    };
    quote! {
        fn check_args(
            &self,
            method: &str,
            #args_param: &::nubes_runtime::serde_json::Value,
        ) -> ::std::result::Result<(), ::nubes_runtime::Error> {
            #body
        }
    }
}

/// Creation decodes the fields as the type's `Init` (unknown fields refused, defaults
/// filled in) and stores the resulting state.
fn prepare_create(types: &Types, object: &ObjectView) -> TokenStream {
    let model = &types.model;
    let module = object.module();
    let type_name = object.name();
    let what_init = format!("the fields of a new `{type_name}`");
    let what_state = format!("a new `{type_name}`");
    let (drop_id, state) = if object.has_implicit_id() {
        (
            quote!(fields.remove("id");),
            quote!(init.into_state(#model::#module::Id(::std::string::String::from(id)))),
        )
    } else {
        (TokenStream::new(), quote!(init.into_state()))
    };
    let (id_param, fields_param) = if object.has_implicit_id() {
        (quote!(id), quote!(mut fields))
    } else {
        (quote!(_id), quote!(fields))
    };
    quote! {
        fn prepare_create(
            &self,
            #id_param: &str,
            #fields_param: ::nubes_runtime::Item,
        ) -> ::std::result::Result<::nubes_runtime::Item, ::nubes_runtime::Error> {
            #drop_id
            let init: #model::#module::Init = ::nubes_runtime::typed::decode(
                #what_init,
                ::nubes_runtime::serde_json::Value::Object(fields),
            )?;
            let state = #state;
            ::nubes_runtime::typed::stored_fields(#what_state, &state)
        }
    }
}

/// A setter's value must have the field's type (and is stored as that type writes it);
/// fields without a setter are left to the runtime, which refuses them with the reason;
/// unknown fields are refused here.
fn prepare_field(types: &Types, object: &ObjectView) -> TokenStream {
    let type_name = object.name();
    let settable: Vec<TokenStream> = object
        .settable_fields()
        .map(|field| {
            let wire = &field.name;
            let ty = types.rust(&field.ty, Position::Value);
            let what = format!("`{type_name}.{wire}`");
            quote! {
                #wire => {
                    let value: #ty = ::nubes_runtime::typed::decode(#what, value)?;
                    ::nubes_runtime::typed::stored(#what, &value)
                }
            }
        })
        .collect();
    let settable_names: Vec<&str> = object
        .settable_fields()
        .map(|field| field.name.as_str())
        .collect();
    let others: Vec<&str> = object
        .fields()
        .map(|field| field.name.as_str())
        .chain(object.has_implicit_id().then_some("id"))
        .filter(|name| !settable_names.contains(name))
        .collect();
    let unknown = format!("`{type_name}` has no field `{{field}}`");
    let unknown = quote!(::std::result::Result::Err(
        ::nubes_runtime::Error::validation(::std::format!(#unknown))
    ));
    let others =
        (!others.is_empty()).then(|| quote!(#(#others)|* => ::std::result::Result::Ok(value),));
    quote! {
        fn prepare_field(
            &self,
            field: &str,
            value: ::nubes_runtime::serde_json::Value,
        ) -> ::std::result::Result<::nubes_runtime::serde_json::Value, ::nubes_runtime::Error> {
            match field {
                #(#settable)*
                #others
                _ => #unknown,
            }
        }
    }
}
