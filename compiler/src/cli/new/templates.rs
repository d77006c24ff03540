//! The hand-written files of a new workspace: the starter schema, the app crate with the
//! method bodies, an in-process test, and the workspace's manifest and README. `APP`
//! stands for the application's name, `APP_` for it as a Rust identifier.

use std::path::PathBuf;

use crate::codegen::RuntimeDependency;

/// The starter schema of `app`.
pub fn schema(app: &str) -> String {
    fill(SCHEMA, app)
}

/// The other hand-written files, by path in the workspace.
pub fn files(app: &str, runtime: &RuntimeDependency) -> Vec<(PathBuf, String)> {
    let runtime = runtime.toml_source();
    [
        ("Cargo.toml", WORKSPACE),
        (".gitignore", "/target\n"),
        ("README.md", README),
        ("APP-app/Cargo.toml", APP_MANIFEST),
        ("APP-app/src/lib.rs", APP_LIB),
        ("APP-app/src/main.rs", APP_MAIN),
        ("APP-app/tests/accounts.rs", APP_TEST),
    ]
    .into_iter()
    .map(|(path, text)| {
        (
            PathBuf::from(fill(path, app)),
            fill(text, app).replace("RUNTIME", &runtime),
        )
    })
    .collect()
}

fn fill(template: &str, app: &str) -> String {
    template
        .replace("APP_", &format!("{}_", app.replace('-', "_")))
        .replace("APP", app)
}

const SCHEMA: &str = r#"// The schema of APP: what is stored and what can be done with it. After a change,
// regenerate the crates with `nubesc build APP.nubes -o .` (see README.md).

import "stdlib/time.nubes"

/// A withdrawal asked for more than an account holds.
error Insufficient {
    /// What the account holds, in cents.
    balance: Int
}

/// An account, identified by its owner.
object Account {
    /// The owner's name; also the account's id.
    @id owner: String
    /// What the account holds, in cents.
    balance: Int @default(0)
    /// When the balance last changed.
    changed: Timestamp?

    /// Adds `amount` cents; returns the new balance.
    fn deposit(amount: Int) -> Int
    /// Takes `amount` cents, unless the account holds less; returns the new balance.
    fn withdraw(amount: Int) -> Int raises Insufficient
    /// Moves `amount` cents to `to`: taken now, added after this call commits.
    fn transfer(to: Account, amount: Int) raises Insufficient
}
"#;

const WORKSPACE: &str = r#"[workspace]
resolver = "2"
members = ["APP-model", "APP-handlers", "APP-client", "APP-app"]
"#;

const README: &str = r#"# APP

Made by `nubesc new`: the schema `APP.nubes`, the crates `nubesc build` generates from it
(`APP-model`, `APP-handlers`, `APP-client`, and `deploy/template.yaml`), and `APP-app`,
where the methods are implemented.

```sh
cargo test                # runs APP-app/tests in process, on SQLite in memory
cargo run -p APP-app      # runs APP-app/src/main.rs
```

After changing the schema, regenerate the crates (only files whose contents change are
rewritten), then implement what the compiler asks for in `APP-app/src/lib.rs`:

```sh
nubesc build APP.nubes -o .
```

Deploying to AWS Lambda and DynamoDB: see `deploy/template.yaml` and nubes's
docs/deploy.md.
"#;

const APP_MANIFEST: &str = r#"[package]
name = "APP-app"
description = "The methods of APP."
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
APP-client = { path = "../APP-client" }
APP-handlers = { path = "../APP-handlers" }
APP-model = { path = "../APP-model" }
nubes-runtime = { RUNTIME }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
"#;

const APP_LIB: &str = r#"//! The methods of APP: what `APP.nubes` declares, implemented on [`App`].

use nubes_runtime::{Ctx, Error};

use APP_model::account::{self, TransferError, WithdrawError};
use APP_model::{Account, Insufficient};

/// The application. Its state lives in the store and is reached through the [`Ctx`] of
/// each call, so every change a method makes commits with it, exactly once.
#[derive(Debug, Clone, Copy, Default)]
pub struct App;

impl account::Methods for App {
    async fn deposit(&self, this: &mut Account, ctx: &mut Ctx, amount: i64) -> Result<i64, Error> {
        let amount = positive(amount)?;
        this.balance = this
            .balance
            .checked_add(amount)
            .ok_or_else(|| Error::validation("the balance would overflow"))?;
        this.changed = Some(ctx.now());
        Ok(this.balance)
    }

    async fn withdraw(
        &self,
        this: &mut Account,
        ctx: &mut Ctx,
        amount: i64,
    ) -> Result<i64, WithdrawError> {
        let amount = positive(amount)?;
        if this.balance < amount {
            return Err(Insufficient {
                balance: this.balance,
            }
            .into());
        }
        this.balance -= amount;
        this.changed = Some(ctx.now());
        Ok(this.balance)
    }

    async fn transfer(
        &self,
        this: &mut Account,
        ctx: &mut Ctx,
        to: account::Id,
        amount: i64,
    ) -> Result<(), TransferError> {
        let amount = positive(amount)?;
        if !to.exists(ctx).await? {
            return Err(Error::not_found("Account", &to.0).into());
        }
        if this.balance < amount {
            return Err(Insufficient {
                balance: this.balance,
            }
            .into());
        }
        this.balance -= amount;
        this.changed = Some(ctx.now());
        // Queued with this call's commit; runs after it, exactly once.
        to.later().deposit(ctx, amount)?;
        Ok(())
    }
}

/// `amount` when it is more than zero.
fn positive(amount: i64) -> Result<i64, Error> {
    if amount > 0 {
        Ok(amount)
    } else {
        Err(Error::validation(format!(
            "an amount must be more than 0, not {amount}"
        )))
    }
}
"#;

const APP_MAIN: &str = r#"//! Runs APP in process on an in-memory SQLite store.

use std::sync::Arc;

use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::Delivery;

use APP_app::App;
use APP_client::Client;
use APP_model::account;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = Arc::new(SqliteStore::in_memory()?);
    let transport = APP_handlers::in_process(store, App)
        .with_delivery(Delivery::BeforeReply)
        .with_tables()
        .await?;
    let client = Client::new(transport);
    for owner in ["ada", "grace"] {
        let init = account::Init {
            owner: owner.into(),
            balance: None,
            changed: None,
        };
        client.accounts().create(init).await?;
    }
    let ada = client.account("ada");
    println!("ada deposits 500: balance {}", ada.deposit(500).await?);
    ada.transfer("grace", 200).await?;
    println!(
        "ada transfers 200 to grace: ada has {}, grace has {}",
        ada.get_balance().await?,
        client.account("grace").get_balance().await?
    );
    match ada.withdraw(1_000).await {
        Err(account::WithdrawError::Insufficient(refused)) => {
            println!("ada withdraws 1000: refused, she has {}", refused.balance)
        }
        other => println!("ada withdraws 1000: {other:?}"),
    }
    Ok(())
}
"#;

const APP_TEST: &str = r#"//! APP in process on SQLite in memory, through the generated client.

use std::sync::Arc;

use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::{Delivery, Error};

use APP_app::App;
use APP_client::Client;
use APP_model::account::{self, WithdrawError};
use APP_model::Insufficient;

/// A client of the application on a fresh store, with the accounts `owners`. Queued
/// calls run before each call returns, so tests see their effects at once.
async fn client(owners: &[&str]) -> Client {
    let store = Arc::new(SqliteStore::in_memory().expect("an in-memory store"));
    let transport = APP_handlers::in_process(store, App)
        .with_delivery(Delivery::BeforeReply)
        .with_tables()
        .await
        .expect("the tables are created");
    let client = Client::new(transport);
    for owner in owners {
        let init = account::Init {
            owner: owner.to_string(),
            balance: None,
            changed: None,
        };
        client.accounts().create(init).await.expect("created");
    }
    client
}

#[tokio::test]
async fn deposits_and_withdrawals_change_the_balance() {
    let client = client(&["ada"]).await;
    let ada = client.account("ada");
    assert_eq!(ada.get_balance().await, Ok(0), "the schema's default");
    assert_eq!(ada.deposit(500).await, Ok(500));
    assert_eq!(ada.withdraw(120).await, Ok(380));
    assert!(ada.get_changed().await.expect("read").is_some());
    assert_eq!(
        ada.withdraw(1_000).await,
        Err(WithdrawError::Insufficient(Insufficient { balance: 380 }))
    );
    assert!(matches!(
        ada.deposit(-5).await,
        Err(Error::Validation { .. })
    ));
    assert_eq!(ada.get_balance().await, Ok(380), "refusals change nothing");
}

#[tokio::test]
async fn a_transfer_moves_the_money_exactly_once() {
    let client = client(&["ada", "grace"]).await;
    let (ada, grace) = (client.account("ada"), client.account("grace"));
    ada.deposit(500).await.expect("deposited");
    ada.transfer("grace", 200).await.expect("transferred");
    assert_eq!(ada.get_balance().await, Ok(300));
    assert_eq!(grace.get_balance().await, Ok(200));
    let refused = ada.transfer("nobody", 1).await;
    assert!(matches!(
        refused,
        Err(account::TransferError::Runtime(Error::NotFound { .. }))
    ));
    assert_eq!(ada.get_balance().await, Ok(300));
}
"#;
