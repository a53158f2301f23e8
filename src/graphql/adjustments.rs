//! Values from several actors: each actor's part of a combined value, and coordinators'
//! de-duplication adjustments.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::NaiveDateTime;

use crate::app::AdjustmentInput;
use crate::app::model::Adjustment;
use crate::domain::actor_rule::Part;

use super::actors::ActorGql;
use super::context::ContextExt;
use super::error::{GqlResult, parse_id, to_id};
use super::loaders::{ActorLoader, load_one};
use super::scorecard::{DisaggregationPair, MeasurementGql};

/// A coordinator's correction of one cell (the same people counted by two partners), added
/// to the value the actor rule combines. Public, with its reason.
pub struct AdjustmentGql(pub Adjustment);

#[Object(name = "Adjustment")]
impl AdjustmentGql {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn period(&self) -> String {
        self.0.period.to_string()
    }
    async fn territory(&self) -> &str {
        &self.0.territory
    }
    async fn disaggregation(&self) -> Vec<DisaggregationPair> {
        DisaggregationPair::all_of(&self.0.disaggregation)
    }
    /// Added to the combined value (negative takes out what was counted twice).
    async fn value(&self) -> f64 {
        self.0.value
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// When it was last set.
    async fn updated_at(&self) -> NaiveDateTime {
        self.0.updated_at
    }
}

/// One actor's counted value in a combined cell.
pub struct ActorPartGql(pub Part);

#[Object(name = "ActorPart")]
impl ActorPartGql {
    async fn value(&self) -> f64 {
        self.0.value
    }
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ActorGql>> {
        Ok(load_one::<ActorLoader>(ctx, self.0.actor_id)
            .await?
            .map(ActorGql))
    }
    /// The revision that counts for this actor, with its provenance.
    async fn measurement(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<MeasurementGql>> {
        super::trust::measurement(ctx, Some(self.0.measurement_id)).await
    }
}

#[derive(InputObject)]
pub struct SetAdjustmentInput {
    /// The indicator whose cell is adjusted (or `variable`).
    pub indicator_id: Option<ID>,
    /// The variable (by code) whose cell is adjusted (or `indicatorId`).
    pub variable: Option<String>,
    pub period: String,
    /// Required for a variable; an indicator's default is its ecosystem's territory.
    pub territory: Option<String>,
    #[graphql(default)]
    pub disaggregation: Vec<DisaggregationPair>,
    /// Added to the combined value, e.g. `-12` for twelve people both partners counted.
    pub value: f64,
    /// Why (required): published with the adjustment.
    pub reason: String,
}

#[derive(Default)]
pub struct AdjustmentMutation;

#[Object]
impl AdjustmentMutation {
    /// Records (or replaces) the de-duplication adjustment of a cell. Coordinator or admin.
    async fn set_adjustment(
        &self,
        ctx: &Context<'_>,
        input: SetAdjustmentInput,
    ) -> async_graphql::Result<AdjustmentGql> {
        let caller = ctx.require_caller()?;
        let input = AdjustmentInput {
            indicator_id: input
                .indicator_id
                .as_ref()
                .map(|i| parse_id("indicatorId", i))
                .transpose()?,
            variable: input.variable,
            period: input.period,
            territory: input.territory,
            disaggregation: input
                .disaggregation
                .into_iter()
                .map(|p| (p.key, p.value))
                .collect(),
            value: input.value,
            reason: input.reason,
        };
        Ok(AdjustmentGql(
            ctx.app()?.set_adjustment(caller, input).await.gql()?,
        ))
    }

    /// Removes an adjustment; returns it as it was. Coordinator or admin.
    async fn remove_adjustment(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<AdjustmentGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        Ok(AdjustmentGql(
            ctx.app()?.remove_adjustment(caller, id).await.gql()?,
        ))
    }
}
