use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::NaiveDateTime;

use crate::app::NewActorInput;
use crate::app::model::Actor;
use crate::domain;

use super::context::ContextExt;
use super::error::GqlResult;

/// The kind of organisation an actor is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "ActorKind", remote = "crate::domain::ActorKind")]
pub enum ActorKindGql {
    RegionalGovernment,
    LocalGovernment,
    NationalAgency,
    Company,
    Community,
    CivilSociety,
    Academia,
    CoordinatingBody,
}

/// An organisation that shares a territory's strategy: government, company, community...
pub struct ActorGql(pub Actor);

#[Object(name = "Actor")]
impl ActorGql {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn kind(&self) -> async_graphql::Result<ActorKindGql> {
        Ok(self.0.kind.into())
    }

    async fn created_at(&self) -> NaiveDateTime {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct CreateActorInput {
    /// 2 to 200 characters.
    pub name: String,
    pub kind: ActorKindGql,
}

#[derive(Default)]
pub struct ActorQuery;

#[Object]
impl ActorQuery {
    /// Every actor, by name. Public.
    async fn actors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ActorGql>> {
        let actors = ctx.app()?.actors().await.gql()?;
        Ok(actors.into_iter().map(ActorGql).collect())
    }
}

#[derive(Default)]
pub struct ActorMutation;

#[Object]
impl ActorMutation {
    /// Creates an actor. Admin or coordinator.
    async fn create_actor(
        &self,
        ctx: &Context<'_>,
        input: CreateActorInput,
    ) -> async_graphql::Result<ActorGql> {
        let caller = ctx.require_caller()?;
        let input = NewActorInput {
            name: input.name,
            kind: domain::ActorKind::from(input.kind),
        };
        let actor = ctx.app()?.create_actor(caller, input).await.gql()?;
        Ok(ActorGql(actor))
    }
}
