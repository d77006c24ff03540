//! Runs piggy-bank in process on an in-memory SQLite store.

use std::sync::Arc;

use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::Delivery;

use piggy_bank_app::App;
use piggy_bank_client::Client;
use piggy_bank_model::account;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = Arc::new(SqliteStore::in_memory()?);
    let transport = piggy_bank_handlers::in_process(store, App)
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
