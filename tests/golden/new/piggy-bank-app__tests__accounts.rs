//! piggy-bank in process on SQLite in memory, through the generated client.

use std::sync::Arc;

use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::{Delivery, Error};

use piggy_bank_app::App;
use piggy_bank_client::Client;
use piggy_bank_model::account::{self, WithdrawError};
use piggy_bank_model::Insufficient;

/// A client of the application on a fresh store, with the accounts `owners`. Queued
/// calls run before each call returns, so tests see their effects at once.
async fn client(owners: &[&str]) -> Client {
    let store = Arc::new(SqliteStore::in_memory().expect("an in-memory store"));
    let transport = piggy_bank_handlers::in_process(store, App)
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
