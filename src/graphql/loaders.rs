//! Batch loaders: one query per level instead of one per row.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use crate::app::Ayni;
use crate::db::models::actor::Actor;

use super::error::GqlResult;

pub struct ActorLoader(pub Ayni);

impl Loader<i64> for ActorLoader {
    type Value = Actor;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Actor>, Self::Error> {
        let actors = self.0.actors_by_ids(keys.to_vec()).await.gql()?;
        Ok(actors.into_iter().map(|a| (a.id, a)).collect())
    }
}
