//! Provenance of published numbers, and challenges from civil society.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::NaiveDateTime;

use crate::app::model::{Challenge, Measurement};
use crate::app::{AppError, ChallengeOutcome};
use crate::domain::MeasurementStatus;

use super::actors::ActorGql;
use super::context::ContextExt;
use super::error::{GqlResult, parse_id};
use super::loaders::{
    ActorLoader, ActorOfUser, AuditSeqOfMeasurement, ChallengesOfMeasurement, MeasurementLoader,
    load_one,
};
use super::scorecard::MeasurementGql;

/// Someone who acted on a value: the account (a number, not a name) and the actor it
/// speaks for.
pub struct ActingUser {
    user_id: i64,
}

#[Object]
impl ActingUser {
    async fn user_id(&self) -> ID {
        ID(self.user_id.to_string())
    }
    /// The organisation the user speaks for, if bound to one.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ActorGql>> {
        let Some((_, Some(actor))) = load_one::<ActorOfUser>(ctx, self.user_id).await? else {
            return Ok(None);
        };
        Ok(load_one::<ActorLoader>(ctx, actor).await?.map(ActorGql))
    }
}

#[derive(SimpleObject)]
pub struct Evidence {
    pub url: Option<String>,
    pub text: Option<String>,
}

/// Where a number comes from: who gave it, when, on what evidence, who approved it, and
/// the audit entry that records its current state.
pub struct Provenance<'a>(pub &'a Measurement);

#[Object]
impl Provenance<'_> {
    /// The value's own actor.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ActorGql>> {
        Ok(load_one::<ActorLoader>(ctx, self.0.actor_id)
            .await?
            .map(ActorGql))
    }
    /// The account that submitted it (none when loaded by the operator).
    async fn submitted_by(&self) -> Option<ActingUser> {
        self.0.submitted_by.map(|user_id| ActingUser { user_id })
    }
    async fn submitted_at(&self) -> NaiveDateTime {
        self.0.submitted_at
    }
    async fn evidence(&self) -> Evidence {
        Evidence {
            url: self.0.evidence_url.clone(),
            text: self.0.evidence_text.clone(),
        }
    }
    /// The account that approved it.
    async fn approved_by(&self) -> Option<ActingUser> {
        (self.0.status == MeasurementStatus::Approved)
            .then_some(self.0.reviewed_by)
            .flatten()
            .map(|user_id| ActingUser { user_id })
    }
    async fn approved_at(&self) -> Option<NaiveDateTime> {
        (self.0.status == MeasurementStatus::Approved)
            .then_some(self.0.reviewed_at)
            .flatten()
    }
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    /// The audit entry recording the value's current state: check it with
    /// `/api/v1/audit/proof`.
    async fn audit_seq(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i64>> {
        Ok(load_one::<AuditSeqOfMeasurement>(ctx, self.0.id)
            .await?
            .map(|(_, seq)| seq))
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "ChallengeStatus", remote = "crate::domain::ChallengeStatus")]
pub enum ChallengeStatusGql {
    Open,
    Upheld,
    Dismissed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "ChallengeOutcome", remote = "crate::app::ChallengeOutcome")]
pub enum ChallengeOutcomeGql {
    /// The value is wrong: it is withdrawn from the scores until a corrected revision is
    /// approved.
    Upheld,
    /// The value stands; the answer explains why.
    Dismissed,
}

/// A question raised on a published value, and its answer. Public.
pub struct ChallengeGql(pub Challenge);

#[Object(name = "Challenge")]
impl ChallengeGql {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn measurement(&self, ctx: &Context<'_>) -> async_graphql::Result<MeasurementGql> {
        load_one::<MeasurementLoader>(ctx, self.0.measurement_id)
            .await?
            .map(MeasurementGql)
            .ok_or_else(|| AppError::internal("challenge without measurement"))
            .gql()
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    async fn status(&self) -> ChallengeStatusGql {
        self.0.status.into()
    }
    async fn opened_by(&self) -> ActingUser {
        ActingUser {
            user_id: self.0.opened_by,
        }
    }
    async fn opened_at(&self) -> NaiveDateTime {
        self.0.opened_at
    }
    async fn answer(&self) -> Option<&str> {
        self.0.answer.as_deref()
    }
    async fn answered_by(&self) -> Option<ActingUser> {
        self.0.answered_by.map(|user_id| ActingUser { user_id })
    }
    async fn answered_at(&self) -> Option<NaiveDateTime> {
        self.0.answered_at
    }
    /// Seconds from opening to answer; while open, seconds waiting so far.
    async fn time_to_answer_seconds(&self) -> i64 {
        let end = self
            .0
            .answered_at
            .unwrap_or_else(|| chrono::Utc::now().naive_utc());
        (end - self.0.opened_at).num_seconds()
    }
}

/// Challenges of a measurement, for `Measurement.challenges`.
pub async fn challenges_of(
    ctx: &Context<'_>,
    measurement_id: i64,
) -> async_graphql::Result<Vec<ChallengeGql>> {
    let list = load_one::<ChallengesOfMeasurement>(ctx, measurement_id)
        .await?
        .unwrap_or_default();
    Ok(list.into_iter().map(ChallengeGql).collect())
}

#[derive(Default)]
pub struct TrustQuery;

#[Object]
impl TrustQuery {
    /// The challenges on an ecosystem's values, newest first, optionally of one status. Public.
    async fn challenges(
        &self,
        ctx: &Context<'_>,
        ecosystem_slug: String,
        status: Option<ChallengeStatusGql>,
    ) -> async_graphql::Result<Vec<ChallengeGql>> {
        let list = ctx
            .app()?
            .challenges(ecosystem_slug, status.map(Into::into))
            .await
            .gql()?;
        Ok(list.into_iter().map(ChallengeGql).collect())
    }
}

#[derive(Default)]
pub struct TrustMutation;

#[Object]
impl TrustMutation {
    /// Questions a published value. Any logged-in user; one open challenge per person and
    /// value.
    async fn open_challenge(
        &self,
        ctx: &Context<'_>,
        measurement_id: ID,
        reason: String,
    ) -> async_graphql::Result<ChallengeGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("measurementId", &measurement_id)?;
        Ok(ChallengeGql(
            ctx.app()?.open_challenge(caller, id, reason).await.gql()?,
        ))
    }

    /// Answers an open challenge (coordinator or admin). `UPHELD` withdraws the value from
    /// the scores until a corrected revision is approved.
    async fn answer_challenge(
        &self,
        ctx: &Context<'_>,
        id: ID,
        outcome: ChallengeOutcomeGql,
        answer: String,
    ) -> async_graphql::Result<ChallengeGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        let outcome: ChallengeOutcome = outcome.into();
        Ok(ChallengeGql(
            ctx.app()?
                .answer_challenge(caller, id, outcome, answer)
                .await
                .gql()?,
        ))
    }
}

/// The measurement behind a scorecard value, for `IndicatorScore.measurement`.
pub async fn measurement(
    ctx: &Context<'_>,
    id: Option<i64>,
) -> async_graphql::Result<Option<MeasurementGql>> {
    match id {
        Some(id) => Ok(load_one::<MeasurementLoader>(ctx, id)
            .await?
            .map(MeasurementGql)),
        None => Ok(None),
    }
}
