//! Shared value, hybrid metrics and cumulative impacts in GraphQL.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::NaiveDateTime;

use crate::app::model::{Development, ValuedComponent};
use crate::app::{
    ActorShare, AppError, DevelopmentInput, HybridInput, HybridView, ImpactInput, ShareGroup,
    SharedValue, VecInput, VecState,
};
use crate::domain::causal::CausalCheck;
use crate::domain::impact::Scenario;

use super::actors::{ActorGql, ActorKindGql};
use super::context::ContextExt;
use super::error::{GqlResult, parse_id, parse_ids, to_id};
use super::loaders::{ActorLoader, ContributionsOfVec, IndicatorLoader, load_required};
use super::scorecard::{IndicatorGql, MeasurementGql};

macro_rules! remote_enum {
    ($(#[$doc:meta])* $gql:ident = $name:literal, $remote:literal { $($v:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Enum, Copy, Clone, Eq, PartialEq)]
        #[graphql(name = $name, remote = $remote)]
        pub enum $gql { $($v),+ }
    };
}

remote_enum!(
    /// `RATIO` = social ÷ financial, `INVERSE_RATIO` = financial ÷ social, `PAIRED` = side by side.
    HybridRelationGql = "HybridRelation", "crate::domain::shared_value::HybridRelation" { Ratio, InverseRatio, Paired }
);
remote_enum!(
    /// `PROPOSED` until a coordinator adopts it.
    HybridStatusGql = "HybridStatus", "crate::domain::shared_value::HybridStatus" { Proposed, Adopted }
);
remote_enum!(
    /// `SUPPORTED`: at the best lag, n ≥ 5, r of the expected sign, |r| ≥ 0.6 and the p-value,
    /// corrected for the lags tried, ≤ 0.05; `NOT_SUPPORTED`: n ≥ 5 otherwise (weaker, not
    /// significant, or the data point the other way); `INSUFFICIENT_DATA`: fewer than 5 pairs
    /// at every lag.
    VerdictGql = "Verdict", "crate::domain::causal::Verdict" { Supported, NotSupported, InsufficientData }
);
remote_enum!(
    /// `POSITIVE`: the effect is expected to rise with the cause; `NEGATIVE`: to fall as it
    /// rises.
    ExpectedSignGql = "ExpectedSign", "crate::domain::causal::ExpectedSign" { Positive, Negative }
);

// The enum comes from `remote_enum!`, shared with enums that have no default.
#[allow(clippy::derivable_impls)]
impl Default for ExpectedSignGql {
    fn default() -> Self {
        ExpectedSignGql::Positive
    }
}
remote_enum!(VecKindGql = "VecKind", "crate::domain::impact::VecKind" { Environmental, Social });
remote_enum!(
    /// `UPPER`: the state must stay at or below the threshold; `LOWER`: at or above it.
    LimitSideGql = "LimitSide", "crate::domain::impact::LimitSide" { Upper, Lower }
);
remote_enum!(DesirableGql = "DesirableDirection", "crate::domain::impact::Desirable" { Increase, Decrease });
remote_enum!(SectorGql = "Sector", "crate::domain::impact::Sector" {
    Mining, Agriculture, Fisheries, Urban, Infrastructure, Energy, Other
});
remote_enum!(DevelopmentStatusGql = "DevelopmentStatus", "crate::domain::impact::DevelopmentStatus" {
    Existing, Planned, Foreseeable
});
remote_enum!(ImpactBasisGql = "ImpactBasis", "crate::domain::impact::ImpactBasis" { Measured, Estimated, Modelled });
remote_enum!(
    /// `EXISTING` developments only; `WITH_PLANNED` adds planned ones; `WITH_FORESEEABLE` adds
    /// the reasonably foreseeable ones too.
    ScenarioGql = "Scenario", "crate::domain::impact::Scenario" { Existing, WithPlanned, WithForeseeable }
);
remote_enum!(
    /// `EXCEEDED` past the threshold; `APPROACHING` from 80 % of the headroom used.
    VecStatusGql = "VecStatus", "crate::domain::impact::VecStatus" { Within, Approaching, Exceeded }
);

/// The correlation at one lag.
#[derive(SimpleObject)]
pub struct LagResultGql {
    lag: i32,
    n: i32,
    r: Option<f64>,
}

/// The lagged-correlation check of a hypothesised cause → effect relation: Pearson r at lags
/// 0 to 2 periods, the best lag, and the least-squares line of effect on cause there.
/// Evidence of association consistent with the hypothesis, not proof of causation.
#[derive(SimpleObject)]
#[graphql(name = "CausalCheck")]
pub struct CausalCheckGql {
    verdict: VerdictGql,
    /// The sign the relation was expected to have.
    expected_sign: ExpectedSignGql,
    /// Two-sided p-value of r at the best lag (t test, n − 2 degrees of freedom), multiplied
    /// by the number of lags tried.
    p: Option<f64>,
    /// Lags with at least 5 pairs and a defined r: the correction's factor.
    lags_tried: i32,
    /// Pairs at the best lag (with insufficient data, the most pairs at any lag).
    n: i32,
    best_lag: Option<i32>,
    r: Option<f64>,
    slope: Option<f64>,
    intercept: Option<f64>,
    lags: Vec<LagResultGql>,
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl From<&CausalCheck> for CausalCheckGql {
    fn from(c: &CausalCheck) -> Self {
        CausalCheckGql {
            verdict: c.verdict.into(),
            expected_sign: c.expected_sign.into(),
            p: c.p,
            lags_tried: count(c.lags_tried),
            n: count(c.n),
            best_lag: c.best_lag.map(|l| l as i32),
            r: c.r,
            slope: c.slope,
            intercept: c.intercept,
            lags: c
                .lags
                .iter()
                .map(|l| LagResultGql {
                    lag: l.lag as i32,
                    n: count(l.n),
                    r: l.r,
                })
                .collect(),
        }
    }
}

/// One period of a hybrid metric.
#[derive(SimpleObject)]
pub struct HybridPointGql {
    period: String,
    /// The social or environmental indicator's value.
    social: Option<f64>,
    /// The financial indicator's value.
    financial: Option<f64>,
    /// The combined value (null for `PAIRED`, a missing input or a division by zero).
    value: Option<f64>,
}

/// A company metric tying a social or environmental result to a financial one.
pub struct HybridMetricGql(pub HybridView);

#[Object(name = "HybridMetric")]
impl HybridMetricGql {
    async fn id(&self) -> ID {
        to_id(self.0.metric.id)
    }
    async fn code(&self) -> &str {
        &self.0.metric.code
    }
    async fn name(&self) -> &str {
        &self.0.metric.name
    }
    async fn description(&self) -> &str {
        &self.0.metric.description
    }
    async fn unit(&self) -> &str {
        &self.0.metric.unit
    }
    async fn relation(&self) -> async_graphql::Result<HybridRelationGql> {
        Ok(self.0.metric.relation.into())
    }
    async fn status(&self) -> async_graphql::Result<HybridStatusGql> {
        Ok(self.0.metric.status.into())
    }
    async fn company(&self, ctx: &Context<'_>) -> async_graphql::Result<ActorGql> {
        load_required::<ActorLoader>(ctx, self.0.metric.company_actor_id, "actor")
            .await
            .map(ActorGql)
    }
    async fn social_indicator(&self, ctx: &Context<'_>) -> async_graphql::Result<IndicatorGql> {
        load_required::<IndicatorLoader>(ctx, self.0.metric.social_indicator_id, "indicator")
            .await
            .map(IndicatorGql)
    }
    async fn financial_indicator(&self, ctx: &Context<'_>) -> async_graphql::Result<IndicatorGql> {
        load_required::<IndicatorLoader>(ctx, self.0.metric.financial_indicator_id, "indicator")
            .await
            .map(IndicatorGql)
    }
    /// Every period where either indicator has an approved value.
    async fn series(&self) -> Vec<HybridPointGql> {
        self.0
            .series
            .iter()
            .map(|p| HybridPointGql {
                period: p.period.to_string(),
                social: p.social,
                financial: p.financial,
                value: p.value,
            })
            .collect()
    }
    /// Does the financial result follow the social or environmental one? Computed now from
    /// the approved values.
    async fn causal_check(&self) -> CausalCheckGql {
        (&self.0.check).into()
    }
    async fn adopted_at(&self) -> Option<NaiveDateTime> {
        self.0.metric.adopted_at
    }
    /// The verdict of the causal check when it was adopted.
    async fn adoption_verdict(&self) -> Option<&str> {
        self.0.metric.adoption_verdict.map(|v| v.as_str())
    }
    /// Why it was adopted without a supported check.
    async fn adoption_justification(&self) -> Option<&str> {
        self.0.metric.adoption_justification.as_deref()
    }
}

/// A group of indicators in the shared-value view.
pub struct ShareGroupGql(pub ShareGroup);

#[Object(name = "ShareGroup")]
impl ShareGroupGql {
    /// The form, category or theme code (lowercase words for forms and categories).
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Weighted mean of the indicators' performance (each clamped to [0, 1]); null without data.
    async fn score(&self) -> Option<f64> {
        self.0.score.score
    }
    /// Share of the group's indicators with data.
    async fn coverage(&self) -> f64 {
        self.0.score.coverage()
    }
    async fn indicator_count(&self) -> i32 {
        count(self.0.score.total)
    }
    async fn indicators(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<IndicatorGql>> {
        let loader = ctx.data::<DataLoader<IndicatorLoader>>()?;
        let found = loader
            .load_many(self.0.indicator_ids.iter().copied())
            .await?;
        Ok(self
            .0
            .indicator_ids
            .iter()
            .filter_map(|id| found.get(id).cloned().map(IndicatorGql))
            .collect())
    }
}

/// What one actor puts in and gets back.
pub struct ActorShareGql(pub ActorShare);

#[Object(name = "ActorShare")]
impl ActorShareGql {
    async fn actor(&self) -> ActorGql {
        ActorGql(self.0.actor.clone())
    }
    /// The indicators the actor is responsible for ("what you put in").
    async fn contributes(&self) -> ShareGroupGql {
        ShareGroupGql(self.0.contributes.clone())
    }
    /// The indicators whose value reaches the actor ("what you get").
    async fn receives(&self) -> ShareGroupGql {
        ShareGroupGql(self.0.receives.clone())
    }
}

/// Performance against the plan (clamped to [0, 1]) grouped the shared-value way.
pub struct SharedValueGql(pub SharedValue);

#[Object(name = "SharedValue")]
impl SharedValueGql {
    async fn period(&self) -> String {
        self.0.period.to_string()
    }
    /// Weighted mean of all indicators' performance (each clamped to [0, 1]).
    async fn score(&self) -> Option<f64> {
        self.0.overall.score
    }
    async fn coverage(&self) -> f64 {
        self.0.overall.coverage()
    }
    /// By Porter & Kramer's form (`products_markets`, `value_chain`, `cluster`).
    async fn by_form(&self) -> Vec<ShareGroupGql> {
        self.0.by_form.iter().cloned().map(ShareGroupGql).collect()
    }
    /// By metric category (`socioeconomic`, `environmental`, …).
    async fn by_category(&self) -> Vec<ShareGroupGql> {
        self.0
            .by_category
            .iter()
            .cloned()
            .map(ShareGroupGql)
            .collect()
    }
    /// By the objective's theme or cluster code.
    async fn by_theme(&self) -> Vec<ShareGroupGql> {
        self.0.by_theme.iter().cloned().map(ShareGroupGql).collect()
    }
    /// For each member actor: what it puts in and what it gets.
    async fn by_actor(&self) -> Vec<ActorShareGql> {
        self.0.by_actor.iter().cloned().map(ActorShareGql).collect()
    }
}

/// The limit of acceptable change.
#[derive(SimpleObject)]
pub struct ThresholdGql {
    value: f64,
    limit: LimitSideGql,
}

/// A valued environmental or social component (IFC 2013).
pub struct VecGql(pub ValuedComponent);

#[Object(name = "Vec")]
impl VecGql {
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
    async fn kind(&self) -> async_graphql::Result<VecKindGql> {
        Ok(self.0.kind.into())
    }
    async fn unit(&self) -> &str {
        &self.0.unit
    }
    async fn baseline_period(&self) -> String {
        self.0.baseline_period.to_string()
    }
    async fn baseline_value(&self) -> f64 {
        self.0.baseline_value
    }
    async fn direction(&self) -> DesirableGql {
        self.0.direction.into()
    }
    async fn threshold(&self) -> async_graphql::Result<ThresholdGql> {
        let t = self.0.threshold;
        Ok(ThresholdGql {
            value: t.value,
            limit: t.side.into(),
        })
    }
    /// Ubigeo codes of the spatial boundary.
    async fn boundary(&self) -> Vec<&str> {
        self.0.boundary.iter().map(String::as_str).collect()
    }
    /// Contributions to this VEC the caller may see (approved ones for the public).
    async fn contributions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<MeasurementGql>> {
        let rows = ctx
            .data::<DataLoader<ContributionsOfVec>>()?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(MeasurementGql).collect())
    }
    /// The cumulative state per period (default: from the period after the baseline to the
    /// latest contribution), under a scenario (default `EXISTING`).
    async fn cumulative(
        &self,
        ctx: &Context<'_>,
        from: Option<String>,
        to: Option<String>,
        scenario: Option<ScenarioGql>,
    ) -> async_graphql::Result<Vec<VecStateGql>> {
        let scenario: Scenario = scenario.unwrap_or(ScenarioGql::Existing).into();
        let states = ctx
            .app()?
            .cumulative(self.0.id, from, to, scenario)
            .await
            .gql()?;
        Ok(states.into_iter().map(VecStateGql).collect())
    }
}

/// A project or trend acting on VECs.
pub struct DevelopmentGql(pub Development);

#[Object(name = "Development")]
impl DevelopmentGql {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn sector(&self) -> async_graphql::Result<SectorGql> {
        Ok(self.0.sector.into())
    }
    async fn status(&self) -> async_graphql::Result<DevelopmentStatusGql> {
        Ok(self.0.status.into())
    }
    /// The actor that owns it and reports its impacts.
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<ActorGql> {
        load_required::<ActorLoader>(ctx, self.0.actor_id, "actor")
            .await
            .map(ActorGql)
    }
    async fn territory(&self) -> &str {
        self.0.territory.as_str()
    }
    async fn start_period(&self) -> String {
        self.0.start_period.to_string()
    }
    async fn end_period(&self) -> Option<String> {
        self.0.end_period.map(|p| p.to_string())
    }
}

/// One development's share of the change so far.
#[derive(SimpleObject)]
pub struct DevelopmentShare {
    development: DevelopmentGql,
    change: f64,
}

/// One sector's share of the change so far.
#[derive(SimpleObject)]
pub struct SectorShare {
    sector: SectorGql,
    change: f64,
}

/// One actor's share of the change so far.
#[derive(SimpleObject)]
pub struct ActorChange {
    actor: ActorGql,
    change: f64,
}

/// A VEC's cumulative state in one period.
pub struct VecStateGql(pub VecState);

#[Object(name = "VecState")]
impl VecStateGql {
    async fn vec(&self) -> VecGql {
        VecGql(self.0.vec.clone())
    }
    async fn period(&self) -> String {
        self.0.point.period.to_string()
    }
    async fn scenario(&self) -> ScenarioGql {
        self.0.scenario.into()
    }
    /// Baseline + every approved contribution after the baseline up to this period.
    async fn state(&self) -> f64 {
        self.0.point.state
    }
    /// The sum of the contributions counted.
    async fn change(&self) -> f64 {
        self.0.point.change
    }
    async fn threshold(&self) -> f64 {
        self.0.threshold.value
    }
    /// Distance left to the threshold; negative once exceeded.
    async fn headroom(&self) -> f64 {
        self.0.point.headroom
    }
    /// Share of the acceptable change used (1 = at the limit).
    async fn used(&self) -> f64 {
        self.0.point.used
    }
    async fn status(&self) -> VecStatusGql {
        self.0.point.status.into()
    }
    async fn by_development(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<DevelopmentShare>> {
        let loader = ctx.data::<DataLoader<super::loaders::DevelopmentLoader>>()?;
        let devs = loader
            .load_many(self.0.point.by_development.keys().copied())
            .await?;
        Ok(self
            .0
            .point
            .by_development
            .iter()
            .filter_map(|(id, change)| {
                devs.get(id).cloned().map(|d| DevelopmentShare {
                    change: *change,
                    development: DevelopmentGql(d),
                })
            })
            .collect())
    }
    async fn by_sector(&self) -> Vec<SectorShare> {
        self.0
            .point
            .by_sector
            .iter()
            .map(|(s, c)| SectorShare {
                sector: (*s).into(),
                change: *c,
            })
            .collect()
    }
    async fn by_actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ActorChange>> {
        let loader = ctx.data::<DataLoader<ActorLoader>>()?;
        let actors = loader
            .load_many(self.0.point.by_actor.keys().copied())
            .await?;
        Ok(self
            .0
            .point
            .by_actor
            .iter()
            .filter_map(|(id, c)| {
                actors.get(id).cloned().map(|a| ActorChange {
                    actor: ActorGql(a),
                    change: *c,
                })
            })
            .collect())
    }
}

pub async fn ecosystem_shared_value(
    ctx: &Context<'_>,
    ecosystem_id: i64,
    period: String,
) -> async_graphql::Result<SharedValueGql> {
    Ok(SharedValueGql(
        ctx.app()?.shared_value(ecosystem_id, period).await.gql()?,
    ))
}

pub async fn ecosystem_hybrid_metrics(
    ctx: &Context<'_>,
    ecosystem_id: i64,
) -> async_graphql::Result<Vec<HybridMetricGql>> {
    let views = ctx.app()?.hybrid_metrics(ecosystem_id).await.gql()?;
    Ok(views.into_iter().map(HybridMetricGql).collect())
}

pub async fn ecosystem_vecs(
    ctx: &Context<'_>,
    ecosystem_id: i64,
) -> async_graphql::Result<Vec<VecGql>> {
    let vecs = ctx.app()?.vecs_of(ecosystem_id).await.gql()?;
    Ok(vecs.into_iter().map(VecGql).collect())
}

pub async fn ecosystem_developments(
    ctx: &Context<'_>,
    ecosystem_id: i64,
) -> async_graphql::Result<Vec<DevelopmentGql>> {
    let devs = ctx.app()?.developments_of(ecosystem_id).await.gql()?;
    Ok(devs.into_iter().map(DevelopmentGql).collect())
}

pub async fn ecosystem_cumulative_impacts(
    ctx: &Context<'_>,
    ecosystem_id: i64,
    period: String,
    scenario: Option<ScenarioGql>,
) -> async_graphql::Result<Vec<VecStateGql>> {
    let scenario: Scenario = scenario.unwrap_or(ScenarioGql::Existing).into();
    let states = ctx
        .app()?
        .cumulative_impacts(ecosystem_id, period, scenario)
        .await
        .gql()?;
    Ok(states.into_iter().map(VecStateGql).collect())
}

#[derive(Default)]
pub struct SharedValueQuery;

#[Object]
impl SharedValueQuery {
    /// A VEC by id. Public.
    async fn vec(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<VecGql>> {
        let id = parse_id("id", &id)?;
        Ok(ctx.app()?.vec_by_id(id).await.gql()?.map(VecGql))
    }
}

#[derive(InputObject)]
pub struct CreateHybridMetricInput {
    ecosystem_id: ID,
    code: String,
    name: String,
    description: Option<String>,
    company_actor_id: ID,
    /// A social or environmental indicator of the ecosystem.
    social_indicator_id: ID,
    /// An indicator of the FINANCIAL category, of the same periodicity.
    financial_indicator_id: ID,
    relation: HybridRelationGql,
    unit: String,
    /// Whether the financial indicator should rise with the social one (the default) or fall.
    #[graphql(default)]
    expected_sign: ExpectedSignGql,
}

#[derive(InputObject)]
pub struct CreateVecInput {
    ecosystem_id: ID,
    code: String,
    name: String,
    description: Option<String>,
    kind: VecKindGql,
    unit: String,
    baseline_period: String,
    baseline_value: f64,
    direction: DesirableGql,
    /// The limit of acceptable change: above the baseline for an `UPPER` limit, below it for
    /// a `LOWER` one.
    threshold_value: f64,
    threshold_limit: LimitSideGql,
    /// Ubigeo codes inside the ecosystem; its whole territory when empty.
    #[graphql(default)]
    boundary: Vec<String>,
}

#[derive(InputObject)]
pub struct CreateDevelopmentInput {
    ecosystem_id: ID,
    name: String,
    description: Option<String>,
    sector: SectorGql,
    owner_actor_id: ID,
    status: DevelopmentStatusGql,
    territory: String,
    /// A year, e.g. `2019`.
    start_period: String,
    end_period: Option<String>,
}

#[derive(InputObject)]
pub struct SubmitImpactContributionInput {
    vec_id: ID,
    development_id: ID,
    period: String,
    /// The signed change in the VEC's unit during the period.
    value: f64,
    basis: ImpactBasisGql,
    evidence_url: Option<String>,
    evidence_text: Option<String>,
    comment: Option<String>,
}

#[derive(Default)]
pub struct SharedValueMutation;

#[Object]
impl SharedValueMutation {
    /// Proposes a hybrid metric (coordinators, admins, or the company's own contributors).
    async fn create_hybrid_metric(
        &self,
        ctx: &Context<'_>,
        input: CreateHybridMetricInput,
    ) -> async_graphql::Result<HybridMetricGql> {
        let caller = ctx.require_caller()?;
        let input = HybridInput {
            ecosystem_id: parse_id("ecosystemId", &input.ecosystem_id)?,
            code: input.code,
            name: input.name,
            description: input.description,
            company_actor_id: parse_id("companyActorId", &input.company_actor_id)?,
            social_indicator_id: parse_id("socialIndicatorId", &input.social_indicator_id)?,
            financial_indicator_id: parse_id(
                "financialIndicatorId",
                &input.financial_indicator_id,
            )?,
            relation: input.relation.into(),
            unit: input.unit,
            expected_sign: input.expected_sign.into(),
        };
        Ok(HybridMetricGql(
            ctx.app()?.create_hybrid_metric(caller, input).await.gql()?,
        ))
    }

    /// Adopts a hybrid metric (coordinator or admin). Refused unless its causal check is
    /// `SUPPORTED`; otherwise a written `justification` (20 characters or more) overrides it
    /// and is kept in the audit chain.
    async fn adopt_hybrid_metric(
        &self,
        ctx: &Context<'_>,
        id: ID,
        justification: Option<String>,
    ) -> async_graphql::Result<HybridMetricGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        Ok(HybridMetricGql(
            ctx.app()?
                .adopt_hybrid_metric(caller, id, justification)
                .await
                .gql()?,
        ))
    }

    /// Sets who an indicator's value reaches: actor kinds and/or named actors (coordinator
    /// or admin). Replaces the previous list.
    async fn set_indicator_beneficiaries(
        &self,
        ctx: &Context<'_>,
        indicator_id: ID,
        #[graphql(default)] kinds: Vec<ActorKindGql>,
        #[graphql(default)] actor_ids: Vec<ID>,
    ) -> async_graphql::Result<IndicatorGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("indicatorId", &indicator_id)?;
        let actors = parse_ids("actorIds", &actor_ids)?;
        let app = ctx.app()?;
        app.set_indicator_beneficiaries(
            caller,
            id,
            kinds.into_iter().map(Into::into).collect(),
            actors,
        )
        .await
        .gql()?;
        app.indicators_by_ids(vec![id])
            .await
            .gql()?
            .pop()
            .map(IndicatorGql)
            .ok_or_else(|| AppError::internal("indicator vanished"))
            .gql()
    }

    /// Defines a VEC (coordinator or admin).
    async fn create_vec(
        &self,
        ctx: &Context<'_>,
        input: CreateVecInput,
    ) -> async_graphql::Result<VecGql> {
        let caller = ctx.require_caller()?;
        let input = VecInput {
            ecosystem_id: parse_id("ecosystemId", &input.ecosystem_id)?,
            code: input.code,
            name: input.name,
            description: input.description,
            kind: input.kind.into(),
            unit: input.unit,
            baseline_period: input.baseline_period,
            baseline_value: input.baseline_value,
            direction: input.direction.into(),
            threshold_value: input.threshold_value,
            threshold_limit: input.threshold_limit.into(),
            boundary: input.boundary,
        };
        Ok(VecGql(ctx.app()?.create_vec(caller, input).await.gql()?))
    }

    /// Registers a development (coordinator or admin).
    async fn create_development(
        &self,
        ctx: &Context<'_>,
        input: CreateDevelopmentInput,
    ) -> async_graphql::Result<DevelopmentGql> {
        let caller = ctx.require_caller()?;
        let input = DevelopmentInput {
            ecosystem_id: parse_id("ecosystemId", &input.ecosystem_id)?,
            name: input.name,
            description: input.description,
            sector: input.sector.into(),
            actor_id: parse_id("ownerActorId", &input.owner_actor_id)?,
            status: input.status.into(),
            territory: input.territory,
            start_period: input.start_period,
            end_period: input.end_period,
        };
        Ok(DevelopmentGql(
            ctx.app()?.create_development(caller, input).await.gql()?,
        ))
    }

    /// Changes a development's status, e.g. a planned mine that starts operating (coordinator
    /// or admin).
    async fn set_development_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: DevelopmentStatusGql,
    ) -> async_graphql::Result<DevelopmentGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        Ok(DevelopmentGql(
            ctx.app()?
                .set_development_status(caller, id, status.into())
                .await
                .gql()?,
        ))
    }

    /// Submits a development's signed effect on a VEC in a period: by the development's
    /// owner (its contributors) or a coordinator. Reviewed like every value.
    async fn submit_impact_contribution(
        &self,
        ctx: &Context<'_>,
        input: SubmitImpactContributionInput,
    ) -> async_graphql::Result<MeasurementGql> {
        let caller = ctx.require_caller()?;
        let input = ImpactInput {
            evidence_file: None,
            vec_id: parse_id("vecId", &input.vec_id)?,
            development_id: parse_id("developmentId", &input.development_id)?,
            period: input.period,
            value: input.value,
            basis: input.basis.into(),
            evidence_url: input.evidence_url,
            evidence_text: input.evidence_text,
            comment: input.comment,
        };
        Ok(MeasurementGql(
            ctx.app()?
                .submit_impact_contribution(caller, input)
                .await
                .gql()?,
        ))
    }

    /// Approves a submitted impact contribution: it then counts in the cumulative state.
    /// Coordinator or admin.
    async fn approve_impact_contribution(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<MeasurementGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        Ok(MeasurementGql(
            ctx.app()?
                .approve_impact_contribution(caller, id)
                .await
                .gql()?,
        ))
    }

    /// Rejects a submitted impact contribution with a reason. Coordinator or admin.
    async fn reject_impact_contribution(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> async_graphql::Result<MeasurementGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        Ok(MeasurementGql(
            ctx.app()?
                .reject_impact_contribution(caller, id, reason)
                .await
                .gql()?,
        ))
    }
}
