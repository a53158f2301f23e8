use crate::db::models::actor;
use crate::domain::{ActorKind, ActorName};

use super::model::{self, Actor};
use super::{AppError, Ayni, Caller};

/// A new actor as the interfaces receive it.
#[derive(Debug, Clone)]
pub struct NewActorInput {
    pub name: String,
    pub kind: ActorKind,
}

impl Ayni {
    /// Every actor, by name. Public reference data.
    pub async fn actors(&self) -> Result<Vec<Actor>, AppError> {
        self.db
            .run(|conn| actor::list(conn).map_err(AppError::from))
            .await
            .map(model::all)
    }

    /// The actors with these ids, in one query (batch loading).
    pub async fn actors_by_ids(&self, ids: Vec<i64>) -> Result<Vec<Actor>, AppError> {
        self.db
            .run(move |conn| actor::by_ids(conn, &ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    /// Creates an actor (admin or coordinator).
    pub async fn create_actor(
        &self,
        caller: &Caller,
        input: NewActorInput,
    ) -> Result<Actor, AppError> {
        caller.require(|r| r.manages_actors(), "create actors")?;
        let name = ActorName::parse("name", &input.name)?;
        self.db
            .write(caller.author(), move |tx| {
                actor::create(tx, &name, input.kind).map_err(AppError::from)
            })
            .await
            .map(Actor::from)
    }
}
