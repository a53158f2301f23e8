//! Ecosystems, perspectives, members, themes, objectives, links and the strategy map.

use std::collections::HashMap;

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::NaiveDateTime;

use crate::app::model::{Ecosystem, Link, Member, Objective, Perspective, Theme};
use crate::app::{EcosystemInput, EcosystemPatch, ObjectiveInput, ObjectivePatch, ThemeInput};
use crate::domain;

use super::actors::ActorGql;
use super::context::ContextExt;
use super::error::{GqlResult, parse_id, parse_ids, to_id};
use super::loaders::{
    ActorLoader, EcosystemLoader, LinksOfObjective, MembersOfEcosystem, ObjectiveLoader,
    PerspectiveLoader, PerspectivesOfEcosystem, ResponsiblesOfObjective, ThemeLoader,
    ThemesOfEcosystem, load_one, missing,
};

/// The four perspectives of an ecosystem Balanced Scorecard.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "PerspectiveKind", remote = "crate::domain::PerspectiveKind")]
pub enum PerspectiveKindGql {
    /// Triple value: economic, social, environmental.
    Results,
    /// Value for each actor of the ecosystem.
    Stakeholders,
    /// Sustainable processes and practices.
    Processes,
    /// Capabilities and key resources.
    Enablers,
}

/// A strategic theme cuts across perspectives; a cluster groups a local value chain.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "ThemeKind", remote = "crate::domain::ThemeKind")]
pub enum ThemeKindGql {
    Theme,
    Cluster,
}

/// One territory's shared strategy.
pub struct EcosystemGql(pub Ecosystem);

#[Object(name = "Ecosystem")]
impl EcosystemGql {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// The ecosystem's address, e.g. `moquegua`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// INEI ubigeo of the territory (2, 4 or 6 digits).
    async fn territory(&self) -> &str {
        self.0.territory.as_str()
    }
    async fn mission(&self) -> &str {
        &self.0.mission
    }
    async fn vision(&self) -> &str {
        &self.0.vision
    }
    async fn horizon_start(&self) -> i32 {
        self.0.horizon_start
    }
    async fn horizon_end(&self) -> i32 {
        self.0.horizon_end
    }
    /// Days after a period's end for its values to count as on time (default 60).
    async fn grace_days(&self) -> i32 {
        self.0.grace_days
    }
    /// The periods whose figures are closed, newest first; with `includeLifted` the locks
    /// since lifted too. Public (who locked them: coordinators and admins only).
    async fn period_locks(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] include_lifted: bool,
    ) -> async_graphql::Result<Vec<super::data_quality::PeriodLockGql>> {
        let locks = ctx
            .app()?
            .period_locks(self.0.id, include_lifted)
            .await
            .gql()?;
        Ok(locks
            .into_iter()
            .map(|l| super::data_quality::PeriodLockGql::new(l, ctx.caller()))
            .collect())
    }
    async fn created_at(&self) -> NaiveDateTime {
        self.0.created_at
    }
    async fn updated_at(&self) -> NaiveDateTime {
        self.0.updated_at
    }
    /// The four perspectives, in the ecosystem's order (top of the map first).
    async fn perspectives(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PerspectiveGql>> {
        let ps = load_one::<PerspectivesOfEcosystem>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        Ok(ps.into_iter().map(PerspectiveGql).collect())
    }
    /// Strategic themes and clusters, by code.
    async fn themes(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ThemeGql>> {
        let ts = load_one::<ThemesOfEcosystem>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        Ok(ts.into_iter().map(ThemeGql).collect())
    }
    /// The actors taking part, with their role in the ecosystem.
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<MemberGql>> {
        let ms = load_one::<MembersOfEcosystem>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        Ok(ms.into_iter().map(MemberGql).collect())
    }
    /// Objectives by code; optionally only one perspective's and/or one theme's (theme code).
    async fn objectives(
        &self,
        ctx: &Context<'_>,
        perspective: Option<PerspectiveKindGql>,
        theme: Option<String>,
    ) -> async_graphql::Result<Vec<ObjectiveGql>> {
        let os = ctx
            .app()?
            .objectives(self.0.id, perspective.map(Into::into), theme)
            .await
            .gql()?;
        Ok(os.into_iter().map(ObjectiveGql).collect())
    }
    /// The scorecard for a period (e.g. `2024`): scores, coverage and statuses by
    /// perspective, objective and indicator. Public.
    async fn scorecard(
        &self,
        ctx: &Context<'_>,
        period: String,
    ) -> async_graphql::Result<super::scorecard::ScorecardGql> {
        let card = ctx.app()?.scorecard(self.0.id, period).await.gql()?;
        Ok(super::scorecard::ScorecardGql(card))
    }
    /// Performance against the plan (clamped to [0, 1]) and coverage for a period grouped by
    /// shared-value form, metric category, theme or cluster, and by actor: what each actor
    /// puts in and what it gets. Public.
    async fn shared_value(
        &self,
        ctx: &Context<'_>,
        period: String,
    ) -> async_graphql::Result<super::shared_value::SharedValueGql> {
        super::shared_value::ecosystem_shared_value(ctx, self.0.id, period).await
    }
    /// The companies' hybrid metrics with their series and causal checks. Public.
    async fn hybrid_metrics(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::shared_value::HybridMetricGql>> {
        super::shared_value::ecosystem_hybrid_metrics(ctx, self.0.id).await
    }
    /// The valued environmental and social components monitored for cumulative impacts.
    async fn vecs(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::shared_value::VecGql>> {
        super::shared_value::ecosystem_vecs(ctx, self.0.id).await
    }
    /// The developments (existing, planned, foreseeable) acting on the VECs.
    async fn developments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::shared_value::DevelopmentGql>> {
        super::shared_value::ecosystem_developments(ctx, self.0.id).await
    }
    /// Every VEC's cumulative state at a period under a scenario (default `EXISTING`).
    async fn cumulative_impacts(
        &self,
        ctx: &Context<'_>,
        period: String,
        scenario: Option<super::shared_value::ScenarioGql>,
    ) -> async_graphql::Result<Vec<super::shared_value::VecStateGql>> {
        super::shared_value::ecosystem_cumulative_impacts(ctx, self.0.id, period, scenario).await
    }
    /// The coordinating body's agreements, commitments, decisions and recommendations,
    /// overdue first, then by deadline; optionally filtered. Public.
    async fn commitments(
        &self,
        ctx: &Context<'_>,
        filter: Option<super::commitments::CommitmentFilterGql>,
    ) -> async_graphql::Result<Vec<super::commitments::CommitmentGql>> {
        super::commitments::ecosystem_commitments(ctx, &self.0.slug, filter).await
    }
    /// How many commitments are in each status, and how many are overdue. Public.
    async fn commitment_counts(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<super::commitments::CommitmentCountsGql> {
        super::commitments::ecosystem_commitment_counts(ctx, &self.0.slug).await
    }
    /// The public investments it follows, by CUI (ideas without one last), as a Relay
    /// connection. Public.
    async fn investments(
        &self,
        ctx: &Context<'_>,
        filter: Option<super::investments::InvestmentFilterInput>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<
        async_graphql::connection::Connection<
            String,
            super::investments::InvestmentGql,
            super::investments::InvestmentCount,
        >,
    > {
        super::investments::ecosystem_investments(ctx, self.0.id, filter, first, after).await
    }
    /// One investment by CUI, or null. Public.
    async fn investment(
        &self,
        ctx: &Context<'_>,
        cui: String,
    ) -> async_graphql::Result<Option<super::investments::InvestmentGql>> {
        super::investments::ecosystem_investment(ctx, self.0.id, cui).await
    }
    /// The year's totals, breakdowns, ranking of executing units and alerts. Public.
    async fn investment_summary(
        &self,
        ctx: &Context<'_>,
        year: i32,
    ) -> async_graphql::Result<super::investments::SummaryGql> {
        super::investments::ecosystem_investment_summary(ctx, self.0.id, year).await
    }
    /// The year's prioritised portfolio against the budget envelope. Public.
    async fn investment_priorities(
        &self,
        ctx: &Context<'_>,
        year: i32,
    ) -> async_graphql::Result<super::investments::PrioritiesGql> {
        super::investments::ecosystem_investment_priorities(ctx, self.0.id, year).await
    }
    /// Alert thresholds, prioritisation criteria and budget envelopes. Public.
    async fn investment_settings(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<super::investments::SettingsGql> {
        super::investments::ecosystem_investment_settings(ctx, self.0.id).await
    }
    /// The whole map — objectives placed in their perspectives and themes, and the
    /// cause-effect links — read in a fixed number of queries.
    async fn strategy_map(&self, ctx: &Context<'_>) -> async_graphql::Result<StrategyMapGql> {
        let map = ctx.app()?.strategy_map(self.0.id).await.gql()?;
        let perspectives: HashMap<i64, Perspective> =
            map.perspectives.into_iter().map(|p| (p.id, p)).collect();
        let themes: HashMap<i64, Theme> = map.themes.into_iter().map(|t| (t.id, t)).collect();
        let objectives: HashMap<i64, Objective> =
            map.objectives.iter().map(|o| (o.id, o.clone())).collect();
        let mut nodes = Vec::with_capacity(map.objectives.len());
        for o in map.objectives {
            let perspective = perspectives
                .get(&o.perspective_id)
                .cloned()
                .ok_or_else(|| missing("perspective", o.perspective_id))?;
            let theme = o.theme_id.and_then(|t| themes.get(&t).cloned());
            nodes.push(StrategyMapNode {
                objective: ObjectiveGql(o),
                perspective: PerspectiveGql(perspective),
                theme: theme.map(ThemeGql),
            });
        }
        let edges = map
            .links
            .into_iter()
            .map(|l| ObjectiveLinkGql {
                cause: objectives.get(&l.cause_id).cloned(),
                effect: objectives.get(&l.effect_id).cloned(),
                link: l,
            })
            .collect();
        Ok(StrategyMapGql { nodes, edges })
    }
}

/// One of the four perspectives of an ecosystem.
pub struct PerspectiveGql(pub Perspective);

#[Object(name = "Perspective")]
impl PerspectiveGql {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn kind(&self) -> async_graphql::Result<PerspectiveKindGql> {
        Ok(self.0.kind.into())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// 1 (top of the map) to 4.
    async fn position(&self) -> i32 {
        self.0.position
    }
}

/// A strategic theme or cluster.
pub struct ThemeGql(pub Theme);

#[Object(name = "Theme")]
impl ThemeGql {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn kind(&self) -> async_graphql::Result<ThemeKindGql> {
        Ok(self.0.kind.into())
    }
}

/// An actor taking part in an ecosystem.
pub struct MemberGql(pub Member);

#[Object(name = "EcosystemMember")]
impl MemberGql {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<ActorGql> {
        load_one::<ActorLoader>(ctx, self.0.actor_id)
            .await?
            .map(ActorGql)
            .ok_or_else(|| missing("actor", self.0.actor_id))
    }
    /// The actor's role here, e.g. "Empresa minera".
    async fn role_label(&self) -> &str {
        &self.0.role_label
    }
    async fn joined_at(&self) -> NaiveDateTime {
        self.0.joined_at
    }
}

/// A strategic objective.
pub struct ObjectiveGql(pub Objective);

#[Object(name = "Objective")]
impl ObjectiveGql {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Relative weight in the perspective's score.
    async fn weight(&self) -> f64 {
        self.0.weight
    }
    async fn created_at(&self) -> NaiveDateTime {
        self.0.created_at
    }
    async fn updated_at(&self) -> NaiveDateTime {
        self.0.updated_at
    }
    /// The investments that serve this objective (batch-loaded). Public.
    async fn investments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::investments::InvestmentGql>> {
        super::investments::objective_investments(ctx, self.0.id).await
    }
    async fn ecosystem(&self, ctx: &Context<'_>) -> async_graphql::Result<EcosystemGql> {
        load_one::<EcosystemLoader>(ctx, self.0.ecosystem_id)
            .await?
            .map(EcosystemGql)
            .ok_or_else(|| missing("ecosystem", self.0.ecosystem_id))
    }
    async fn perspective(&self, ctx: &Context<'_>) -> async_graphql::Result<PerspectiveGql> {
        load_one::<PerspectiveLoader>(ctx, self.0.perspective_id)
            .await?
            .map(PerspectiveGql)
            .ok_or_else(|| missing("perspective", self.0.perspective_id))
    }
    async fn theme(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ThemeGql>> {
        match self.0.theme_id {
            Some(t) => Ok(load_one::<ThemeLoader>(ctx, t).await?.map(ThemeGql)),
            None => Ok(None),
        }
    }
    /// The actors answerable for this objective.
    async fn responsible_actors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ActorGql>> {
        let pairs = load_one::<ResponsiblesOfObjective>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        let loader = ctx.data::<async_graphql::dataloader::DataLoader<ActorLoader>>()?;
        let actors = loader.load_many(pairs.iter().map(|(_, a)| *a)).await?;
        let mut out: Vec<ActorGql> = actors.into_values().map(ActorGql).collect();
        out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        Ok(out)
    }
    /// The indicators that measure this objective, by code.
    async fn indicators(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::scorecard::IndicatorGql>> {
        let list = load_one::<super::loaders::IndicatorsOfObjective>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        Ok(list
            .into_iter()
            .map(super::scorecard::IndicatorGql)
            .collect())
    }
    /// The commitments of the coordinating body that serve this objective. Public.
    async fn commitments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::commitments::CommitmentGql>> {
        super::commitments::objective_commitments(ctx, self.0.id).await
    }
    /// Objectives this one is an effect of (links pointing here).
    async fn causes(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ObjectiveGql>> {
        self.neighbours(ctx, |l, me| (l.effect_id == me).then_some(l.cause_id))
            .await
    }
    /// Objectives this one causes (links leaving here).
    async fn effects(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ObjectiveGql>> {
        self.neighbours(ctx, |l, me| (l.cause_id == me).then_some(l.effect_id))
            .await
    }
}

impl ObjectiveGql {
    async fn neighbours(
        &self,
        ctx: &Context<'_>,
        other_end: impl Fn(&Link, i64) -> Option<i64>,
    ) -> async_graphql::Result<Vec<ObjectiveGql>> {
        let links = load_one::<LinksOfObjective>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        let wanted: Vec<i64> = links
            .iter()
            .filter_map(|l| other_end(l, self.0.id))
            .collect();
        let loader = ctx.data::<async_graphql::dataloader::DataLoader<ObjectiveLoader>>()?;
        let found = loader.load_many(wanted).await?;
        let mut out: Vec<ObjectiveGql> = found.into_values().map(ObjectiveGql).collect();
        out.sort_by(|a, b| a.0.code.cmp(&b.0.code));
        Ok(out)
    }
}

/// A cause-effect link: progress on `cause` is expected to drive `effect`.
pub struct ObjectiveLinkGql {
    link: Link,
    cause: Option<Objective>,
    effect: Option<Objective>,
}

impl ObjectiveLinkGql {
    fn new(link: Link) -> Self {
        ObjectiveLinkGql {
            link,
            cause: None,
            effect: None,
        }
    }

    async fn end(
        ctx: &Context<'_>,
        preloaded: &Option<Objective>,
        key: i64,
    ) -> async_graphql::Result<ObjectiveGql> {
        if let Some(o) = preloaded {
            return Ok(ObjectiveGql(o.clone()));
        }
        load_one::<ObjectiveLoader>(ctx, key)
            .await?
            .map(ObjectiveGql)
            .ok_or_else(|| missing("objective", key))
    }
}

#[Object(name = "ObjectiveLink")]
impl ObjectiveLinkGql {
    async fn id(&self) -> ID {
        to_id(self.link.id)
    }
    async fn cause(&self, ctx: &Context<'_>) -> async_graphql::Result<ObjectiveGql> {
        Self::end(ctx, &self.cause, self.link.cause_id).await
    }
    async fn effect(&self, ctx: &Context<'_>) -> async_graphql::Result<ObjectiveGql> {
        Self::end(ctx, &self.effect, self.link.effect_id).await
    }
    /// Why the cause is expected to drive the effect.
    async fn description(&self) -> &str {
        &self.link.description
    }
    /// The hypothesis tested with data: the cause objective's yearly progress series (its
    /// indicators' progress toward their targets, clamped to [0, 1]) against the effect's, at
    /// lags 0 to 2 years (computed once per map and request).
    async fn evidence(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<super::shared_value::CausalCheckGql> {
        let all = load_one::<super::loaders::LinkEvidenceOfEcosystem>(ctx, self.link.ecosystem_id)
            .await?
            .unwrap_or_default();
        let check = all
            .iter()
            .find(|e| e.link_id == self.link.id)
            .map(|e| e.check.clone())
            .unwrap_or_else(|| {
                crate::domain::causal::causal_check(&[], &[], self.link.expected_sign)
            });
        Ok((&check).into())
    }
    async fn created_at(&self) -> NaiveDateTime {
        self.link.created_at
    }
}

/// An objective placed on the map.
#[derive(SimpleObject)]
pub struct StrategyMapNode {
    objective: ObjectiveGql,
    perspective: PerspectiveGql,
    theme: Option<ThemeGql>,
}

/// The strategy map as a graph.
#[derive(SimpleObject)]
#[graphql(name = "StrategyMap")]
pub struct StrategyMapGql {
    nodes: Vec<StrategyMapNode>,
    edges: Vec<ObjectiveLinkGql>,
}

/// A link removed with a deleted objective.
#[derive(SimpleObject)]
pub struct RemovedLink {
    cause_id: ID,
    effect_id: ID,
    description: String,
}

/// What `deleteObjective` removed.
#[derive(SimpleObject)]
pub struct DeleteObjectivePayload {
    id: ID,
    code: String,
    removed_links: Vec<RemovedLink>,
}

#[derive(InputObject)]
pub struct CreateEcosystemInput {
    /// Lowercase letters, digits and hyphens, e.g. `moquegua`.
    pub slug: String,
    pub name: String,
    /// INEI ubigeo: 2 (department), 4 (province) or 6 (district) digits.
    pub territory: String,
    #[graphql(default)]
    pub mission: String,
    #[graphql(default)]
    pub vision: String,
    pub horizon_start: i32,
    pub horizon_end: i32,
}

#[derive(InputObject)]
pub struct UpdateEcosystemInput {
    pub name: Option<String>,
    pub territory: Option<String>,
    pub mission: Option<String>,
    pub vision: Option<String>,
    pub horizon_start: Option<i32>,
    pub horizon_end: Option<i32>,
    /// Days after a period's end for its values to count as on time (0 to 365; default 60).
    pub grace_days: Option<i32>,
}

#[derive(InputObject)]
pub struct CreateThemeInput {
    pub ecosystem_id: ID,
    pub code: String,
    pub name: String,
    #[graphql(default)]
    pub description: String,
    #[graphql(default_with = "ThemeKindGql::Theme")]
    pub kind: ThemeKindGql,
}

#[derive(InputObject)]
pub struct CreateObjectiveInput {
    pub ecosystem_id: ID,
    /// Unique in the ecosystem, e.g. `OE1`.
    pub code: String,
    pub name: String,
    #[graphql(default)]
    pub description: String,
    pub perspective: PerspectiveKindGql,
    pub theme_id: Option<ID>,
    /// > 0, default 1.
    pub weight: Option<f64>,
    /// Members of the ecosystem answerable for the objective.
    #[graphql(default)]
    pub responsible_actor_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct UpdateObjectiveInput {
    pub code: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub perspective: Option<PerspectiveKindGql>,
    /// `null` removes the theme.
    pub theme_id: MaybeUndefined<ID>,
    pub weight: Option<f64>,
    /// Replaces the responsible actors.
    pub responsible_actor_ids: Option<Vec<ID>>,
}

#[derive(InputObject)]
pub struct LinkObjectivesInput {
    pub cause_id: ID,
    pub effect_id: ID,
    #[graphql(default)]
    pub description: String,
    /// Whether the effect should rise with the cause (the default) or fall as it rises.
    #[graphql(default)]
    pub expected_sign: super::shared_value::ExpectedSignGql,
}

#[derive(Default)]
pub struct StrategyQuery;

#[Object]
impl StrategyQuery {
    /// Every ecosystem, by name. Public.
    async fn ecosystems(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EcosystemGql>> {
        Ok(ctx
            .app()?
            .ecosystems()
            .await
            .gql()?
            .into_iter()
            .map(EcosystemGql)
            .collect())
    }

    /// One ecosystem by its slug, or null. Public.
    async fn ecosystem(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<EcosystemGql>> {
        Ok(ctx
            .app()?
            .ecosystem_by_slug(slug)
            .await
            .gql()?
            .map(EcosystemGql))
    }

    /// One objective by id, or null. Public.
    async fn objective(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<ObjectiveGql>> {
        let id = parse_id("id", &id)?;
        Ok(load_one::<ObjectiveLoader>(ctx, id)
            .await?
            .map(ObjectiveGql))
    }
}

#[derive(Default)]
pub struct StrategyMutation;

#[Object]
impl StrategyMutation {
    /// Creates an ecosystem with its four perspectives. Coordinator or admin.
    async fn create_ecosystem(
        &self,
        ctx: &Context<'_>,
        input: CreateEcosystemInput,
    ) -> async_graphql::Result<EcosystemGql> {
        let caller = ctx.require_caller()?;
        let input = EcosystemInput {
            slug: input.slug,
            name: input.name,
            territory: input.territory,
            mission: input.mission,
            vision: input.vision,
            horizon_start: input.horizon_start,
            horizon_end: input.horizon_end,
        };
        Ok(EcosystemGql(
            ctx.app()?.create_ecosystem(caller, input).await.gql()?,
        ))
    }

    /// Edits an ecosystem; omitted fields keep their value. Coordinator or admin.
    async fn update_ecosystem(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateEcosystemInput,
    ) -> async_graphql::Result<EcosystemGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        let patch = EcosystemPatch {
            name: input.name,
            territory: input.territory,
            mission: input.mission,
            vision: input.vision,
            horizon_start: input.horizon_start,
            horizon_end: input.horizon_end,
            grace_days: input.grace_days,
        };
        Ok(EcosystemGql(
            ctx.app()?.update_ecosystem(caller, id, patch).await.gql()?,
        ))
    }

    /// Renames a perspective. Coordinator or admin.
    async fn update_perspective(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: String,
    ) -> async_graphql::Result<PerspectiveGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        Ok(PerspectiveGql(
            ctx.app()?
                .update_perspective(caller, id, name)
                .await
                .gql()?,
        ))
    }

    /// Sets the order of the four perspectives (top of the map first); `kinds` must name
    /// each exactly once. Coordinator or admin.
    async fn reorder_perspectives(
        &self,
        ctx: &Context<'_>,
        ecosystem_id: ID,
        kinds: Vec<PerspectiveKindGql>,
    ) -> async_graphql::Result<Vec<PerspectiveGql>> {
        let caller = ctx.require_caller()?;
        let ecosystem_id = parse_id("ecosystemId", &ecosystem_id)?;
        let kinds: Vec<domain::PerspectiveKind> = kinds.into_iter().map(Into::into).collect();
        let ps = ctx
            .app()?
            .reorder_perspectives(caller, ecosystem_id, kinds)
            .await
            .gql()?;
        Ok(ps.into_iter().map(PerspectiveGql).collect())
    }

    /// An actor joins an ecosystem with a role label. Coordinator or admin.
    async fn add_ecosystem_member(
        &self,
        ctx: &Context<'_>,
        ecosystem_id: ID,
        actor_id: ID,
        role_label: String,
    ) -> async_graphql::Result<MemberGql> {
        let caller = ctx.require_caller()?;
        let ecosystem_id = parse_id("ecosystemId", &ecosystem_id)?;
        let actor_id = parse_id("actorId", &actor_id)?;
        let m = ctx
            .app()?
            .add_ecosystem_member(caller, ecosystem_id, actor_id, role_label)
            .await
            .gql()?;
        Ok(MemberGql(m))
    }

    /// Creates a strategic theme or cluster. Coordinator or admin.
    async fn create_theme(
        &self,
        ctx: &Context<'_>,
        input: CreateThemeInput,
    ) -> async_graphql::Result<ThemeGql> {
        let caller = ctx.require_caller()?;
        let input = ThemeInput {
            ecosystem_id: parse_id("ecosystemId", &input.ecosystem_id)?,
            code: input.code,
            name: input.name,
            description: input.description,
            kind: input.kind.into(),
        };
        Ok(ThemeGql(
            ctx.app()?.create_theme(caller, input).await.gql()?,
        ))
    }

    /// Creates an objective in a perspective. Coordinator or admin.
    async fn create_objective(
        &self,
        ctx: &Context<'_>,
        input: CreateObjectiveInput,
    ) -> async_graphql::Result<ObjectiveGql> {
        let caller = ctx.require_caller()?;
        let input = ObjectiveInput {
            ecosystem_id: parse_id("ecosystemId", &input.ecosystem_id)?,
            code: input.code,
            name: input.name,
            description: input.description,
            perspective: input.perspective.into(),
            theme_id: input
                .theme_id
                .as_ref()
                .map(|t| parse_id("themeId", t))
                .transpose()?,
            weight: input.weight,
            responsible_actor_ids: parse_ids("responsibleActorIds", &input.responsible_actor_ids)?,
        };
        Ok(ObjectiveGql(
            ctx.app()?.create_objective(caller, input).await.gql()?,
        ))
    }

    /// Edits an objective; omitted fields keep their value. Coordinator or admin.
    async fn update_objective(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateObjectiveInput,
    ) -> async_graphql::Result<ObjectiveGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        let theme_id = match &input.theme_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(t) => Some(Some(parse_id("themeId", t)?)),
        };
        let patch = ObjectivePatch {
            code: input.code,
            name: input.name,
            description: input.description,
            perspective: input.perspective.map(Into::into),
            theme_id,
            weight: input.weight,
            responsible_actor_ids: input
                .responsible_actor_ids
                .as_deref()
                .map(|r| parse_ids("responsibleActorIds", r))
                .transpose()?,
        };
        Ok(ObjectiveGql(
            ctx.app()?.update_objective(caller, id, patch).await.gql()?,
        ))
    }

    /// Deletes an objective. If links hang on it the call is refused (`CONFLICT`, naming
    /// them) unless `force` is true, and then they are deleted with it. Coordinator or admin.
    async fn delete_objective(
        &self,
        ctx: &Context<'_>,
        id: ID,
        force: Option<bool>,
    ) -> async_graphql::Result<DeleteObjectivePayload> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        let force = force.unwrap_or(false);
        let deleted = ctx.app()?.delete_objective(caller, id, force).await.gql()?;
        Ok(DeleteObjectivePayload {
            id: ID(deleted.objective.id.to_string()),
            code: deleted.objective.code,
            removed_links: deleted
                .removed_links
                .into_iter()
                .map(|l| RemovedLink {
                    cause_id: ID(l.cause_id.to_string()),
                    effect_id: ID(l.effect_id.to_string()),
                    description: l.description,
                })
                .collect(),
        })
    }

    /// Links cause → effect. A self-link or a link across ecosystems is `BAD_USER_INPUT`, a
    /// duplicate `CONFLICT`, a link that closes a cycle `CYCLE` (with `extensions.cycle`
    /// listing the objective codes). Coordinator or admin.
    async fn link_objectives(
        &self,
        ctx: &Context<'_>,
        input: LinkObjectivesInput,
    ) -> async_graphql::Result<ObjectiveLinkGql> {
        let caller = ctx.require_caller()?;
        let cause = parse_id("causeId", &input.cause_id)?;
        let effect = parse_id("effectId", &input.effect_id)?;
        let link = ctx
            .app()?
            .link_objectives(
                caller,
                cause,
                effect,
                input.description,
                input.expected_sign.into(),
            )
            .await
            .gql()?;
        Ok(ObjectiveLinkGql::new(link))
    }

    /// Removes the link cause → effect. Coordinator or admin.
    async fn unlink_objectives(
        &self,
        ctx: &Context<'_>,
        cause_id: ID,
        effect_id: ID,
    ) -> async_graphql::Result<ObjectiveLinkGql> {
        let caller = ctx.require_caller()?;
        let cause = parse_id("causeId", &cause_id)?;
        let effect = parse_id("effectId", &effect_id)?;
        let link = ctx
            .app()?
            .unlink_objectives(caller, cause, effect)
            .await
            .gql()?;
        Ok(ObjectiveLinkGql::new(link))
    }
}
