//! Reading relationship edges: one strongly consistent, paged query of the owner's
//! partition per collection — never one request per element.

use crate::ctx::edge_key;
use crate::error::Error;
use crate::invocation::ObjectRef;
use crate::runtime::Env;

/// The ids the stored edges of `owner.field` point to, in id order.
pub(crate) async fn stored_edge_ids(
    env: &Env,
    owner: &ObjectRef,
    field: &str,
) -> Result<Vec<String>, Error> {
    let prefix = edge_key(env, owner, field, "").sk;
    let table = env.schema.table(&owner.type_name);
    let mut ids = Vec::new();
    let mut start_after: Option<String> = None;
    loop {
        let page = env
            .store
            .query(
                &table,
                &owner.id,
                &prefix,
                start_after.as_deref(),
                env.config.page_size,
            )
            .await?;
        ids.extend(
            page.items
                .iter()
                .filter_map(|(sk, _)| sk.strip_prefix(&prefix).map(str::to_string)),
        );
        match page.next {
            Some(next) => start_after = Some(next),
            None => return Ok(ids),
        }
    }
}
