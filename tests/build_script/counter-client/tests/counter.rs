//! The counter application, whose three crates generate their code in build scripts with
//! nubes-build, runs in process: typed calls, a `Timestamp` field, and calls queued with
//! `later()` that the transport delivers before it replies.

use std::sync::Arc;

use counter_client::Client;
use counter_model::{counter, Counter};
use nubes_runtime::store::sqlite::SqliteStore;
use nubes_runtime::{Ctx, Delivery, Error};

struct Counters;

impl counter::Methods for Counters {
    async fn add(&self, this: &mut Counter, ctx: &mut Ctx, by: i64) -> Result<i64, Error> {
        this.count = this
            .count
            .checked_add(by)
            .ok_or_else(|| Error::validation(format!("{} + {by} overflows", this.count)))?;
        this.changed = Some(ctx.now());
        Ok(this.count)
    }

    async fn bump_later(
        &self,
        _this: &mut Counter,
        ctx: &mut Ctx,
        others: Vec<counter::Id>,
    ) -> Result<(), Error> {
        for other in &others {
            other.later().add(ctx, 1)?;
        }
        Ok(())
    }
}

async fn client() -> Client {
    let store = SqliteStore::in_memory().expect("an in-memory store");
    let transport = counter_handlers::in_process(Arc::new(store), Counters)
        .with_delivery(Delivery::BeforeReply)
        .with_tables()
        .await
        .expect("the tables are created");
    Client::new(transport)
}

#[tokio::test]
async fn the_generated_crates_work_together() {
    let client = client().await;
    for name in ["a", "b", "c"] {
        let init = counter::Init {
            name: name.into(),
            count: None,
            changed: None,
        };
        client.counters().create(init).await.expect("created");
    }
    let a = client.counter("a");
    assert_eq!(a.add(5).await, Ok(5));
    assert_eq!(a.add(-2).await, Ok(3));
    let changed = a.get_changed().await.expect("read");
    assert!(changed.is_some(), "`add` stamps the counter");

    let others = vec![counter::Id::from("b"), counter::Id::from("c")];
    a.bump_later(others).await.expect("queued");
    assert_eq!(client.counter("b").get_count().await, Ok(1));
    assert_eq!(client.counter("c").get_count().await, Ok(1));
    assert_eq!(a.get_count().await, Ok(3), "only the others were bumped");
}
