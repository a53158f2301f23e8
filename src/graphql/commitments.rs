//! Commitments of the coordinating body in GraphQL: `Ecosystem.commitments(filter)`,
//! `Ecosystem.commitmentCounts`, `Objective.commitments`, `commitment(id)` and the
//! mutations `createCommitment`, `updateCommitment`, `setCommitmentStatus`.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::NaiveDateTime;

use crate::app::{
    CommitmentCounts, CommitmentFilter, CommitmentInput, CommitmentPatch, CommitmentView,
    StatusInput, StatusStep, commitments_today,
};
use crate::domain::commitment::Timeliness;

use super::actors::ActorGql;
use super::context::ContextExt;
use super::error::{GqlResult, parse_id, parse_ids, to_id};
use super::loaders::{CommitmentsOfObjective, ObjectiveLoader, load_one};
use super::strategy::ObjectiveGql;
use super::trust::Evidence;

/// What the coordinating body agreed.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(
    name = "CommitmentKind",
    remote = "crate::domain::commitment::CommitmentKind"
)]
pub enum CommitmentKindGql {
    Agreement,
    Commitment,
    Decision,
    Recommendation,
}

/// Where it was agreed.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(
    name = "CommitmentSource",
    remote = "crate::domain::commitment::CommitmentSource"
)]
pub enum CommitmentSourceGql {
    Meeting,
    Report,
    Other,
}

/// Where a commitment stands: `FULFILLED` carries evidence, `DROPPED` a reason.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(
    name = "CommitmentStatus",
    remote = "crate::domain::commitment::CommitmentStatus"
)]
pub enum CommitmentStatusGql {
    Pending,
    InProgress,
    Fulfilled,
    Dropped,
}

impl CommitmentStatusGql {
    fn word(self) -> &'static str {
        crate::domain::commitment::CommitmentStatus::from(self).as_str()
    }
}

/// Whether a commitment is on time, computed from its deadline and today (UTC).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "CommitmentTimeliness")]
pub enum TimelinessGql {
    /// Open, without a deadline.
    NoDeadline,
    /// Open, the deadline not passed.
    OnTime,
    /// Open (pending or in progress) and past its deadline.
    Overdue,
    /// Fulfilled on or before the deadline (or without one).
    FulfilledOnTime,
    /// Fulfilled after the deadline.
    FulfilledLate,
    /// Dropped.
    Dropped,
}

impl From<Timeliness> for TimelinessGql {
    fn from(t: Timeliness) -> Self {
        match t {
            Timeliness::NoDeadline => TimelinessGql::NoDeadline,
            Timeliness::OnTime => TimelinessGql::OnTime,
            Timeliness::Overdue { .. } => TimelinessGql::Overdue,
            Timeliness::FulfilledOnTime => TimelinessGql::FulfilledOnTime,
            Timeliness::FulfilledLate { .. } => TimelinessGql::FulfilledLate,
            Timeliness::Dropped => TimelinessGql::Dropped,
        }
    }
}

/// An agreement, commitment, decision or recommendation of the coordinating body. Public.
pub struct CommitmentGql(pub CommitmentView);

#[Object(name = "Commitment")]
impl CommitmentGql {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// The text in Spanish.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// The text in English, when given.
    async fn text_en(&self) -> Option<&str> {
        self.0.text_en.as_deref()
    }
    async fn kind(&self) -> CommitmentKindGql {
        self.0.kind.into()
    }
    async fn source(&self) -> CommitmentSourceGql {
        self.0.source.into()
    }
    /// E.g. "Acta de la sesión del 12/03/2025".
    async fn source_reference(&self) -> &str {
        &self.0.source_reference
    }
    /// The date of the meeting or report (`YYYY-MM-DD`).
    async fn source_date(&self) -> String {
        self.0.source_date.to_string()
    }
    async fn responsible_actor(&self) -> ActorGql {
        ActorGql(self.0.responsible.clone())
    }
    /// `YYYY-MM-DD`, or null without a deadline.
    async fn deadline(&self) -> Option<String> {
        self.0.deadline.map(|d| d.to_string())
    }
    async fn status(&self) -> CommitmentStatusGql {
        self.0.status.into()
    }
    /// Open and past the deadline (today in UTC).
    async fn overdue(&self) -> bool {
        self.0.timeliness.is_overdue()
    }
    async fn timeliness(&self) -> TimelinessGql {
        self.0.timeliness.into()
    }
    /// Days past the deadline, when overdue or fulfilled late; else 0.
    async fn days_late(&self) -> i64 {
        self.0.timeliness.days_late()
    }
    /// The evidence of fulfilment (a link and/or a text), when fulfilled.
    async fn evidence(&self) -> Option<Evidence> {
        (self.0.evidence_url.is_some() || self.0.evidence_text.is_some()).then(|| Evidence {
            url: self.0.evidence_url.clone(),
            text: self.0.evidence_text.clone(),
        })
    }
    /// Why it was dropped, or a note on its current status.
    async fn status_note(&self) -> Option<&str> {
        self.0.status_note.as_deref()
    }
    /// When it reached its current status.
    async fn status_at(&self) -> NaiveDateTime {
        self.0.status_at
    }
    /// The objectives it serves, by code.
    async fn objectives(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ObjectiveGql>> {
        let loader = ctx.data::<async_graphql::dataloader::DataLoader<ObjectiveLoader>>()?;
        let found = loader
            .load_many(self.0.objectives.iter().map(|o| o.id))
            .await?;
        Ok(self
            .0
            .objectives
            .iter()
            .filter_map(|o| found.get(&o.id).cloned().map(ObjectiveGql))
            .collect())
    }
    /// The investments it concerns, by CUI (7 digits).
    async fn cuis(&self) -> &[String] {
        &self.0.cuis
    }
    /// Every status it had, oldest first (its creation, `PENDING`, first).
    async fn history(&self) -> Vec<StatusStepGql> {
        self.0.history.iter().cloned().map(StatusStepGql).collect()
    }
    async fn created_at(&self) -> NaiveDateTime {
        self.0.created_at
    }
    async fn updated_at(&self) -> NaiveDateTime {
        self.0.updated_at
    }
}

/// One status a commitment took.
pub struct StatusStepGql(StatusStep);

#[Object(name = "CommitmentStatusStep")]
impl StatusStepGql {
    async fn status(&self) -> CommitmentStatusGql {
        self.0.status.into()
    }
    async fn evidence(&self) -> Option<Evidence> {
        (self.0.evidence_url.is_some() || self.0.evidence_text.is_some()).then(|| Evidence {
            url: self.0.evidence_url.clone(),
            text: self.0.evidence_text.clone(),
        })
    }
    /// The reason for dropping, or a note.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn changed_at(&self) -> NaiveDateTime {
        self.0.changed_at
    }
}

/// How many of an ecosystem's commitments are in each status, and how many are overdue.
#[derive(SimpleObject)]
#[graphql(name = "CommitmentCounts")]
pub struct CommitmentCountsGql {
    total: usize,
    pending: usize,
    in_progress: usize,
    fulfilled: usize,
    dropped: usize,
    /// Open and past the deadline.
    overdue: usize,
    /// Fulfilled after the deadline.
    fulfilled_late: usize,
}

impl From<CommitmentCounts> for CommitmentCountsGql {
    fn from(c: CommitmentCounts) -> Self {
        CommitmentCountsGql {
            total: c.total,
            pending: c.pending,
            in_progress: c.in_progress,
            fulfilled: c.fulfilled,
            dropped: c.dropped,
            overdue: c.overdue,
            fulfilled_late: c.fulfilled_late,
        }
    }
}

/// Which commitments to list; every field optional.
#[derive(InputObject, Default)]
#[graphql(name = "CommitmentFilter")]
pub struct CommitmentFilterGql {
    pub status: Option<CommitmentStatusGql>,
    /// `true`: only overdue ones; `false`: only those not overdue.
    pub overdue: Option<bool>,
    /// The responsible actor.
    pub actor_id: Option<ID>,
    pub kind: Option<CommitmentKindGql>,
    pub objective_id: Option<ID>,
}

impl CommitmentFilterGql {
    fn parse(self) -> async_graphql::Result<CommitmentFilter> {
        Ok(CommitmentFilter {
            status: self.status.map(Into::into),
            overdue: self.overdue,
            actor_id: self
                .actor_id
                .as_ref()
                .map(|a| parse_id("filter.actorId", a))
                .transpose()?,
            kind: self.kind.map(Into::into),
            objective_id: self
                .objective_id
                .as_ref()
                .map(|o| parse_id("filter.objectiveId", o))
                .transpose()?,
            objective_code: None,
        })
    }
}

/// The ecosystem's commitments, overdue first (then by deadline).
pub async fn ecosystem_commitments(
    ctx: &Context<'_>,
    slug: &str,
    filter: Option<CommitmentFilterGql>,
) -> async_graphql::Result<Vec<CommitmentGql>> {
    let filter = filter.unwrap_or_default().parse()?;
    let list = ctx
        .app()?
        .commitments(slug.to_string(), filter, commitments_today())
        .await
        .gql()?;
    Ok(list.items.into_iter().map(CommitmentGql).collect())
}

/// Counts over every commitment of the ecosystem.
pub async fn ecosystem_commitment_counts(
    ctx: &Context<'_>,
    slug: &str,
) -> async_graphql::Result<CommitmentCountsGql> {
    let list = ctx
        .app()?
        .commitments(
            slug.to_string(),
            CommitmentFilter::default(),
            commitments_today(),
        )
        .await
        .gql()?;
    Ok(list.counts.into())
}

/// An objective's commitments (batch-loaded).
pub async fn objective_commitments(
    ctx: &Context<'_>,
    objective_id: i64,
) -> async_graphql::Result<Vec<CommitmentGql>> {
    let pairs = load_one::<CommitmentsOfObjective>(ctx, objective_id)
        .await?
        .unwrap_or_default();
    Ok(pairs.into_iter().map(|(_, v)| CommitmentGql(v)).collect())
}

/// A new commitment. Dates are `YYYY-MM-DD`; CUIs 7 digits.
#[derive(InputObject)]
pub struct CreateCommitmentInput {
    pub ecosystem_id: ID,
    /// In Spanish, 3 to 4000 characters.
    pub text: String,
    pub text_en: Option<String>,
    pub kind: CommitmentKindGql,
    pub source: CommitmentSourceGql,
    /// E.g. "Acta de la sesión del 12/03/2025".
    pub source_reference: String,
    pub source_date: String,
    pub responsible_actor_id: ID,
    pub deadline: Option<String>,
    #[graphql(default)]
    pub objective_ids: Vec<ID>,
    #[graphql(default)]
    pub cuis: Vec<String>,
}

/// An edit of a commitment: omitted fields keep their value; `null` clears `textEn` and
/// `deadline`.
#[derive(InputObject)]
pub struct UpdateCommitmentInput {
    pub text: Option<String>,
    pub text_en: MaybeUndefined<String>,
    pub kind: Option<CommitmentKindGql>,
    pub source: Option<CommitmentSourceGql>,
    pub source_reference: Option<String>,
    pub source_date: Option<String>,
    pub responsible_actor_id: Option<ID>,
    pub deadline: MaybeUndefined<String>,
    pub objective_ids: Option<Vec<ID>>,
    pub cuis: Option<Vec<String>>,
}

/// A status to set: `FULFILLED` needs `evidenceUrl` and/or `evidenceText`; `DROPPED` a
/// `reason`; other statuses take an optional `reason` as a note.
#[derive(InputObject)]
pub struct SetCommitmentStatusInput {
    pub status: CommitmentStatusGql,
    pub evidence_url: Option<String>,
    pub evidence_text: Option<String>,
    pub reason: Option<String>,
}

fn optional(v: MaybeUndefined<String>) -> Option<Option<String>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(s) => Some(Some(s)),
    }
}

#[derive(Default)]
pub struct CommitmentQuery;

#[Object]
impl CommitmentQuery {
    /// One commitment by id, or null. Public.
    async fn commitment(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<CommitmentGql>> {
        let id = parse_id("id", &id)?;
        Ok(ctx
            .app()?
            .commitment(id, commitments_today())
            .await
            .gql()?
            .map(CommitmentGql))
    }
}

#[derive(Default)]
pub struct CommitmentMutation;

#[Object]
impl CommitmentMutation {
    /// Records a commitment (pending). Coordinator or admin.
    async fn create_commitment(
        &self,
        ctx: &Context<'_>,
        input: CreateCommitmentInput,
    ) -> async_graphql::Result<CommitmentGql> {
        let caller = ctx.require_caller()?;
        let ecosystem_id = parse_id("input.ecosystemId", &input.ecosystem_id)?;
        let app_input = CommitmentInput {
            text: input.text,
            text_en: input.text_en,
            kind: crate::domain::commitment::CommitmentKind::from(input.kind)
                .as_str()
                .into(),
            source: crate::domain::commitment::CommitmentSource::from(input.source)
                .as_str()
                .into(),
            source_reference: input.source_reference,
            source_date: input.source_date,
            responsible_actor_id: parse_id(
                "input.responsibleActorId",
                &input.responsible_actor_id,
            )?,
            deadline: input.deadline,
            objective_ids: parse_ids("input.objectiveIds", &input.objective_ids)?,
            cuis: input.cuis,
        };
        Ok(CommitmentGql(
            ctx.app()?
                .create_commitment(caller, ecosystem_id, app_input)
                .await
                .gql()?,
        ))
    }

    /// Edits what a commitment says (not its status). Coordinator or admin.
    async fn update_commitment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCommitmentInput,
    ) -> async_graphql::Result<CommitmentGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        let patch = CommitmentPatch {
            text: input.text,
            text_en: optional(input.text_en),
            kind: input.kind.map(|k| {
                crate::domain::commitment::CommitmentKind::from(k)
                    .as_str()
                    .to_string()
            }),
            source: input.source.map(|s| {
                crate::domain::commitment::CommitmentSource::from(s)
                    .as_str()
                    .to_string()
            }),
            source_reference: input.source_reference,
            source_date: input.source_date,
            responsible_actor_id: input
                .responsible_actor_id
                .as_ref()
                .map(|a| parse_id("input.responsibleActorId", a))
                .transpose()?,
            deadline: optional(input.deadline),
            objective_ids: input
                .objective_ids
                .as_deref()
                .map(|o| parse_ids("input.objectiveIds", o))
                .transpose()?,
            cuis: input.cuis,
        };
        Ok(CommitmentGql(
            ctx.app()?
                .update_commitment(caller, id, patch)
                .await
                .gql()?,
        ))
    }

    /// Sets a commitment's status (a new entry of its history and of the audit chain).
    /// Coordinators and admins set any status; a contributor of the responsible actor moves
    /// an open commitment to `IN_PROGRESS` or `FULFILLED` (with evidence).
    async fn set_commitment_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: SetCommitmentStatusInput,
    ) -> async_graphql::Result<CommitmentGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        let status = StatusInput {
            status: input.status.word().to_string(),
            evidence_url: input.evidence_url,
            evidence_text: input.evidence_text,
            reason: input.reason,
        };
        Ok(CommitmentGql(
            ctx.app()?
                .set_commitment_status(caller, id, status)
                .await
                .gql()?,
        ))
    }
}
