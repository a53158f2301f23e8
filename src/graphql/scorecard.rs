//! Indicators, baselines, targets, measurements, series, the scorecard and the live feed of
//! approved values.

use async_graphql::{
    Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject, Subscription,
};
use chrono::NaiveDateTime;
use futures_util::Stream;

use crate::app::MeasurementFilter;
use crate::app::model::{Indicator, Measurement, Target};
use crate::app::{
    AppError, IndicatorCard, IndicatorInput, MeasurementInput, ObjectiveCard, PerspectiveCard,
    Scorecard, SeriesPoint,
};
use crate::domain::{Disaggregation, Period};

use super::actors::ActorGql;
use super::context::ContextExt;
use super::error::{GqlResult, parse_id, parse_ids, parse_optional_ids, to_id};
use super::loaders::{
    ActorLoader, IndicatorLoader, ObjectiveLoader, ResponsiblesOfIndicator, TargetsOfIndicator,
    load_one,
};
use super::strategy::ObjectiveGql;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "Direction", remote = "crate::domain::DirectionKind")]
pub enum DirectionGql {
    /// More is better.
    Increase,
    /// Less is better.
    Decrease,
    /// Good inside [rangeLower, rangeUpper].
    Range,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "Periodicity", remote = "crate::domain::PeriodType")]
pub enum PeriodicityGql {
    /// `2024`
    Yearly,
    /// `2024S1`
    SixMonthly,
    /// `2024Q3`
    Quarterly,
    /// `202403`
    Monthly,
}

/// How the values of several actors for one cell (the same period, territory and
/// disaggregation) combine into the value the scorecard, series and open data use.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(
    name = "ActorRule",
    remote = "crate::domain::actor_rule::ActorRuleKind"
)]
pub enum ActorRuleGql {
    /// The actors' parts add up (e.g. local jobs of several companies).
    Sum,
    /// The mean of the actors' values.
    Mean,
    /// The largest value.
    Max,
    /// The most recently approved value (the default).
    Latest,
    /// The first actor of `preferredActors` with an approved value; other actors after them,
    /// the most recently approved first.
    Preferred,
}

/// The ordered actors of a `PREFERRED` rule, as actors.
pub(super) async fn preferred_actors(
    ctx: &Context<'_>,
    rule: &crate::domain::actor_rule::ActorRule,
) -> async_graphql::Result<Vec<ActorGql>> {
    let loader = ctx.data::<async_graphql::dataloader::DataLoader<ActorLoader>>()?;
    let found = loader.load_many(rule.preferred().iter().copied()).await?;
    Ok(rule
        .preferred()
        .iter()
        .filter_map(|id| found.get(id).cloned().map(ActorGql))
        .collect())
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "Aggregation", remote = "crate::domain::Aggregation")]
pub enum AggregationGql {
    /// A stock: the latest value.
    Last,
    /// A flow accumulated from the baseline.
    Sum,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "SharedValueForm", remote = "crate::domain::SharedValueForm")]
pub enum SharedValueFormGql {
    ProductsMarkets,
    ValueChain,
    Cluster,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "MetricCategory", remote = "crate::domain::MetricCategory")]
pub enum MetricCategoryGql {
    Socioeconomic,
    Environmental,
    Innovation,
    ProductiveDiversification,
    Financial,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "TargetHorizon", remote = "crate::domain::TargetHorizon")]
pub enum TargetHorizonGql {
    Short,
    Medium,
    Long,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(
    name = "MeasurementStatus",
    remote = "crate::domain::MeasurementStatus"
)]
pub enum MeasurementStatusGql {
    Submitted,
    Approved,
    Rejected,
}

/// An indicator's status follows its performance against the plan (green at or above its
/// green threshold, amber at or above its amber threshold, a threshold above 1 counting as 1):
/// an indicator on track is always green. A roll-up's status follows its score (0.9, 0.6).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "Status", remote = "crate::domain::Status")]
pub enum StatusGql {
    Green,
    Amber,
    Red,
    NoData,
}

/// A period's value: a baseline.
#[derive(SimpleObject)]
pub struct Baseline {
    period: String,
    value: f64,
    note: String,
}

#[derive(SimpleObject)]
#[graphql(name = "Target")]
pub struct TargetGql {
    period: String,
    value: f64,
    horizon: TargetHorizonGql,
}

impl TargetGql {
    fn new(t: &Target) -> async_graphql::Result<TargetGql> {
        Ok(TargetGql {
            period: t.period.to_string(),
            value: t.value,
            horizon: t.horizon.into(),
        })
    }
}

/// An indicator measuring an objective.
pub struct IndicatorGql(pub Indicator);

#[Object(name = "Indicator")]
impl IndicatorGql {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// Unique in the ecosystem, e.g. `IND1.1`.
    async fn code(&self) -> &str {
        &self.0.definition.code
    }
    async fn name(&self) -> &str {
        &self.0.definition.name
    }
    async fn description(&self) -> &str {
        &self.0.definition.description
    }
    async fn unit(&self) -> &str {
        &self.0.definition.unit
    }
    async fn direction(&self) -> async_graphql::Result<DirectionGql> {
        Ok(self.0.definition.direction.kind().into())
    }
    async fn range_lower(&self) -> Option<f64> {
        self.0.definition.direction.bounds().0
    }
    async fn range_upper(&self) -> Option<f64> {
        self.0.definition.direction.bounds().1
    }
    /// The lowest plausible value: values (and the baseline and targets) below it are
    /// refused. A percentage unit (`%…`) defaults to 0 when none was given.
    async fn valid_min(&self) -> Option<f64> {
        let d = &self.0.definition;
        d.valid_range.effective(&d.unit).min
    }
    /// The highest plausible value. A percentage unit defaults to 100 when none was given.
    async fn valid_max(&self) -> Option<f64> {
        let d = &self.0.definition;
        d.valid_range.effective(&d.unit).max
    }
    async fn periodicity(&self) -> async_graphql::Result<PeriodicityGql> {
        Ok(self.0.definition.periodicity.into())
    }
    async fn aggregation(&self) -> async_graphql::Result<AggregationGql> {
        Ok(self.0.definition.aggregation.into())
    }
    /// How several actors' values of one cell combine.
    async fn actor_rule(&self) -> ActorRuleGql {
        self.0.definition.actor_rule.kind().into()
    }
    /// The ordered actors of a `PREFERRED` rule (empty for the other rules).
    async fn preferred_actors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ActorGql>> {
        preferred_actors(ctx, &self.0.definition.actor_rule).await
    }
    /// Coordinators' de-duplication adjustments of its cells, newest period first.
    async fn adjustments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::adjustments::AdjustmentGql>> {
        Ok(
            load_one::<super::loaders::AdjustmentsOfIndicator>(ctx, self.0.id)
                .await?
                .unwrap_or_default()
                .into_iter()
                .map(super::adjustments::AdjustmentGql)
                .collect(),
        )
    }
    /// Progress at or above this is GREEN.
    async fn green_threshold(&self) -> f64 {
        self.0.definition.thresholds.green
    }
    /// Progress at or above this (and below green) is AMBER.
    async fn amber_threshold(&self) -> f64 {
        self.0.definition.thresholds.amber
    }
    async fn weight(&self) -> f64 {
        self.0.definition.weight
    }
    /// Where the numbers come from.
    async fn source(&self) -> &str {
        &self.0.definition.source
    }
    async fn shared_value_form(&self) -> Option<SharedValueFormGql> {
        self.0.definition.shared_value_form.map(Into::into)
    }
    async fn metric_category(&self) -> Option<MetricCategoryGql> {
        self.0.definition.metric_category.map(Into::into)
    }
    async fn baseline(&self) -> Option<Baseline> {
        match (&self.0.baseline_period, self.0.baseline_value) {
            (Some(p), Some(v)) => Some(Baseline {
                period: p.to_string(),
                value: v,
                note: self.0.baseline_note.clone(),
            }),
            _ => None,
        }
    }
    /// Targets in period order.
    async fn targets(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TargetGql>> {
        let ts = load_one::<TargetsOfIndicator>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        ts.iter().map(TargetGql::new).collect()
    }
    async fn objective(&self, ctx: &Context<'_>) -> async_graphql::Result<ObjectiveGql> {
        load_one::<ObjectiveLoader>(ctx, self.0.definition.objective_id)
            .await?
            .map(ObjectiveGql)
            .ok_or_else(|| AppError::internal("indicator without objective"))
            .gql()
    }
    /// Who the indicator's value reaches: actor kinds and named actors ("what you get").
    async fn beneficiaries(&self, ctx: &Context<'_>) -> async_graphql::Result<Beneficiaries> {
        let rows = load_one::<super::loaders::BeneficiariesOfIndicator>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        let kinds = rows
            .iter()
            .filter_map(|b| b.actor_kind)
            .map(Into::into)
            .collect();
        let loader = ctx.data::<async_graphql::dataloader::DataLoader<ActorLoader>>()?;
        let mut actors: Vec<ActorGql> = loader
            .load_many(rows.iter().filter_map(|b| b.actor_id))
            .await?
            .into_values()
            .map(ActorGql)
            .collect();
        actors.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        Ok(Beneficiaries { kinds, actors })
    }
    /// The actors who report this indicator.
    async fn responsible_actors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ActorGql>> {
        let pairs = load_one::<ResponsiblesOfIndicator>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        let loader = ctx.data::<async_graphql::dataloader::DataLoader<ActorLoader>>()?;
        let mut actors: Vec<ActorGql> = loader
            .load_many(pairs.iter().map(|(_, a)| *a))
            .await?
            .into_values()
            .map(ActorGql)
            .collect();
        actors.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        Ok(actors)
    }
    /// Contributed values with every revision, newest period first. The public sees approved
    /// values only; a contributor also its own actor's; coordinators everything.
    async fn measurements(
        &self,
        ctx: &Context<'_>,
        status: Option<MeasurementStatusGql>,
        from: Option<String>,
        to: Option<String>,
        territory: Option<String>,
    ) -> async_graphql::Result<Vec<MeasurementGql>> {
        let filter = MeasurementFilter {
            status: status.map(Into::into),
            from: from
                .map(|f| Period::parse("from", &f))
                .transpose()
                .map_err(AppError::from)
                .gql()?,
            to: to
                .map(|t| Period::parse("to", &t))
                .transpose()
                .map_err(AppError::from)
                .gql()?,
            territory,
        };
        let rows = ctx
            .app()?
            .measurements(ctx.caller(), vec![self.0.id], filter)
            .await
            .gql()?;
        Ok(rows.into_iter().map(MeasurementGql).collect())
    }
    /// A formula over variable codes (e.g. `100 * V012 / V045`): the indicator's values are
    /// computed from approved observations of those variables, never submitted.
    async fn formula(&self) -> Option<&str> {
        self.0.definition.formula.as_deref()
    }
    /// The variables the formula reads.
    async fn inputs(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::variables::VariableGql>> {
        let pairs = load_one::<super::loaders::InputsOfIndicator>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        let ids: Vec<i64> = pairs.iter().map(|(_, v)| *v).collect();
        let loader =
            ctx.data::<async_graphql::dataloader::DataLoader<super::loaders::VariableLoader>>()?;
        let mut vars: Vec<_> = loader
            .load_many(ids)
            .await?
            .into_values()
            .map(super::variables::VariableGql)
            .collect();
        vars.sort_by(|a, b| a.0.code.cmp(&b.0.code));
        Ok(vars)
    }
    /// Per period of the indicator's periodicity: actual, planned, target, performance,
    /// progress, attainment, status, on-track. Defaults: from the baseline to the last target.
    async fn series(
        &self,
        ctx: &Context<'_>,
        from: Option<String>,
        to: Option<String>,
    ) -> async_graphql::Result<Vec<SeriesPointGql>> {
        let points = ctx.app()?.series(self.0.id, from, to).await.gql()?;
        Ok(points.into_iter().map(SeriesPointGql).collect())
    }
    /// The investments that serve this indicator (batch-loaded). Public.
    async fn investments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::investments::InvestmentGql>> {
        super::investments::indicator_investments(ctx, self.0.id).await
    }
}

/// One key of a disaggregation, e.g. `sexo` = `F`.
#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "DisaggregationInput")]
pub struct DisaggregationPair {
    pub key: String,
    pub value: String,
}

impl DisaggregationPair {
    /// The pairs of a stored disaggregation.
    pub fn all_of(stored: &str) -> Vec<DisaggregationPair> {
        Disaggregation::from_stored(stored)
            .pairs()
            .into_iter()
            .map(|(key, value)| DisaggregationPair { key, value })
            .collect()
    }
}

/// A contributed value (one revision).
/// Who an indicator's value reaches.
#[derive(async_graphql::SimpleObject)]
pub struct Beneficiaries {
    kinds: Vec<super::actors::ActorKindGql>,
    actors: Vec<ActorGql>,
}

pub struct MeasurementGql(pub Measurement);

#[Object(name = "Measurement")]
impl MeasurementGql {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// The indicator this is a value of; null for an observation of a variable.
    async fn indicator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<IndicatorGql>> {
        let Some(id) = self.0.indicator_id else {
            return Ok(None);
        };
        Ok(load_one::<IndicatorLoader>(ctx, id)
            .await?
            .map(IndicatorGql))
    }
    /// The variable this is an observation of; null for an indicator's value.
    async fn variable(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::variables::VariableGql>> {
        let Some(id) = self.0.variable_id else {
            return Ok(None);
        };
        Ok(load_one::<super::loaders::VariableLoader>(ctx, id)
            .await?
            .map(super::variables::VariableGql))
    }
    /// The VEC an impact contribution changes; null for other values.
    async fn vec(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::shared_value::VecGql>> {
        let Some(id) = self.0.vec_id else {
            return Ok(None);
        };
        Ok(ctx
            .app()?
            .vec_by_id(id)
            .await
            .gql()?
            .map(super::shared_value::VecGql))
    }
    /// The development an impact contribution comes from; null for other values.
    async fn development(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::shared_value::DevelopmentGql>> {
        let Some(id) = self.0.development_id else {
            return Ok(None);
        };
        Ok(load_one::<super::loaders::DevelopmentLoader>(ctx, id)
            .await?
            .map(super::shared_value::DevelopmentGql))
    }
    /// How an impact contribution was obtained; null for other values.
    async fn basis(&self) -> Option<super::shared_value::ImpactBasisGql> {
        self.0.basis.map(Into::into)
    }
    /// The bulk import that brought this value in, if any.
    async fn import_id(&self) -> Option<ID> {
        self.0.import_id.map(to_id)
    }
    async fn period(&self) -> String {
        self.0.period.to_string()
    }
    /// Ubigeo of the territory the value is for.
    async fn territory(&self) -> &str {
        &self.0.territory
    }
    /// Empty for the total.
    async fn disaggregation(&self) -> Vec<DisaggregationPair> {
        DisaggregationPair::all_of(&self.0.disaggregation)
    }
    /// 1 for the first submission of this period, territory and disaggregation; each
    /// correction is the next revision.
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    async fn value(&self) -> f64 {
        self.0.value
    }
    async fn evidence_url(&self) -> Option<&str> {
        self.0.evidence_url.as_deref()
    }
    async fn evidence_text(&self) -> Option<&str> {
        self.0.evidence_text.as_deref()
    }
    /// The evidence file uploaded with this revision (seen by whoever may see the value; its
    /// public address serves it only once the value is approved).
    async fn evidence_file(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<EvidenceFileGql>> {
        if self.0.evidence_file.is_none() {
            return Ok(None);
        }
        let approved = self.0.status == crate::domain::MeasurementStatus::Approved;
        Ok(
            super::loaders::load_one::<super::loaders::EvidenceFileOfMeasurement>(ctx, self.0.id)
                .await?
                .map(|info| EvidenceFileGql { info, approved }),
        )
    }
    async fn comment(&self) -> &str {
        &self.0.comment
    }
    /// The actor the value comes from.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<ActorGql> {
        load_one::<ActorLoader>(ctx, self.0.actor_id)
            .await?
            .map(ActorGql)
            .ok_or_else(|| AppError::internal("measurement without actor"))
            .gql()
    }
    async fn submitted_at(&self) -> NaiveDateTime {
        self.0.submitted_at
    }
    async fn status(&self) -> async_graphql::Result<MeasurementStatusGql> {
        Ok(self.0.status.into())
    }
    async fn reviewed_at(&self) -> Option<NaiveDateTime> {
        self.0.reviewed_at
    }
    /// Why it was rejected.
    async fn reject_reason(&self) -> Option<&str> {
        self.0.reject_reason.as_deref()
    }
    /// Whether this is the revision scores use (the latest approved one, unless withdrawn
    /// by an upheld challenge).
    async fn counted(&self) -> bool {
        self.0.counted
    }
    /// Who gave it, when, on what evidence, who approved it, and its audit entry.
    async fn provenance(&self) -> super::trust::Provenance<'_> {
        super::trust::Provenance(&self.0)
    }
    /// Challenges raised on this value, with their answers.
    async fn challenges(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::trust::ChallengeGql>> {
        super::trust::challenges_of(ctx, self.0.id).await
    }
    /// Why the value looks unusual, for reviewers: a robust z-score beyond ±3.5 against the
    /// series' approved history or against the other territories of the same period
    /// (empty when nothing stands out). Flags never block a value. Coordinators, admins and
    /// the contributors of the submitting actor; null for everyone else.
    async fn quality_flags(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<super::data_quality::QualityFlagGql>>> {
        super::data_quality::quality_flags(ctx, self.0.id, self.0.actor_id).await
    }
}

/// One period of an indicator's series.
pub struct SeriesPointGql(SeriesPoint);

#[Object(name = "SeriesPoint")]
impl SeriesPointGql {
    async fn period(&self) -> String {
        self.0.period.to_string()
    }
    async fn actual(&self) -> Option<f64> {
        self.0.evaluation.actual
    }
    /// The planned value for the period: the trajectory piecewise-linear in time from the
    /// baseline through the targets, flat after the last.
    async fn planned(&self) -> Option<f64> {
        self.0.evaluation.expected
    }
    /// The same value as `planned` (its earlier name).
    async fn expected(&self) -> Option<f64> {
        self.0.evaluation.expected
    }
    /// The next milestone's value.
    async fn target(&self) -> Option<f64> {
        self.0.evaluation.target.map(|t| t.value)
    }
    /// Performance against the plan: (actual − baseline) / (planned − baseline). 1 is on
    /// plan, above 1 ahead of it, below 0 worse than the baseline; the status follows it.
    async fn performance(&self) -> Option<f64> {
        self.0.evaluation.performance
    }
    /// Share of the whole gap from the baseline to the next target that is closed.
    async fn progress(&self) -> Option<f64> {
        self.0.evaluation.progress
    }
    async fn attainment(&self) -> Option<f64> {
        self.0.evaluation.attainment
    }
    async fn status(&self) -> StatusGql {
        self.0.evaluation.status.into()
    }
    /// For a formula indicator: why the period has no value although an input has data.
    async fn no_value_reason(&self) -> Option<&str> {
        self.0.no_value_reason.as_deref()
    }
    /// The actual is at or beyond the planned value in the indicator's direction (`RANGE`:
    /// inside its bounds), i.e. performance ≥ 1.
    async fn on_track(&self) -> Option<bool> {
        self.0.evaluation.on_track
    }
}

/// The scorecard of an ecosystem for one period.
pub struct ScorecardGql(pub Scorecard);

#[Object(name = "Scorecard")]
impl ScorecardGql {
    async fn period(&self) -> String {
        self.0.period.to_string()
    }
    /// Mean of the perspectives' scores (0–1: each indicator's performance clamped to [0, 1]).
    async fn score(&self) -> Option<f64> {
        self.0.score.score
    }
    /// Share of all indicators that have a value for the period.
    async fn coverage(&self) -> f64 {
        self.0.score.coverage()
    }
    async fn status(&self) -> StatusGql {
        self.0.status.into()
    }
    async fn perspectives(&self) -> Vec<PerspectiveScore<'_>> {
        self.0.perspectives.iter().map(PerspectiveScore).collect()
    }
}

pub struct PerspectiveScore<'a>(&'a PerspectiveCard);

#[Object]
impl PerspectiveScore<'_> {
    async fn id(&self) -> ID {
        to_id(self.0.perspective.id)
    }
    async fn kind(&self) -> async_graphql::Result<super::strategy::PerspectiveKindGql> {
        Ok(self.0.perspective.kind.into())
    }
    async fn name(&self) -> &str {
        &self.0.perspective.name
    }
    async fn position(&self) -> i32 {
        self.0.perspective.position
    }
    async fn score(&self) -> Option<f64> {
        self.0.score.score
    }
    async fn coverage(&self) -> f64 {
        self.0.score.coverage()
    }
    async fn status(&self) -> StatusGql {
        self.0.status.into()
    }
    async fn objectives(&self) -> Vec<ObjectiveScore<'_>> {
        self.0.objectives.iter().map(ObjectiveScore).collect()
    }
}

pub struct ObjectiveScore<'a>(&'a ObjectiveCard);

#[Object]
impl ObjectiveScore<'_> {
    async fn id(&self) -> ID {
        to_id(self.0.objective.id)
    }
    async fn code(&self) -> &str {
        &self.0.objective.code
    }
    async fn name(&self) -> &str {
        &self.0.objective.name
    }
    async fn weight(&self) -> f64 {
        self.0.objective.weight
    }
    /// Weighted mean of its indicators' performance, each clamped to [0, 1].
    async fn score(&self) -> Option<f64> {
        self.0.score.score
    }
    async fn coverage(&self) -> f64 {
        self.0.score.coverage()
    }
    async fn status(&self) -> StatusGql {
        self.0.status.into()
    }
    async fn indicators(&self) -> Vec<IndicatorScore<'_>> {
        self.0.indicators.iter().map(IndicatorScore).collect()
    }
}

pub struct IndicatorScore<'a>(&'a IndicatorCard);

#[Object]
impl IndicatorScore<'_> {
    async fn id(&self) -> ID {
        to_id(self.0.indicator.id)
    }
    async fn code(&self) -> &str {
        &self.0.indicator.definition.code
    }
    async fn name(&self) -> &str {
        &self.0.indicator.definition.name
    }
    async fn unit(&self) -> &str {
        &self.0.indicator.definition.unit
    }
    async fn weight(&self) -> f64 {
        self.0.indicator.definition.weight
    }
    async fn direction(&self) -> DirectionGql {
        self.0.indicator.definition.direction.kind().into()
    }
    async fn baseline(&self) -> Option<f64> {
        self.0.baseline.map(|b| b.value)
    }
    async fn baseline_period(&self) -> Option<String> {
        self.0.baseline.map(|b| b.period.to_string())
    }
    async fn actual(&self) -> Option<f64> {
        self.0.evaluation.actual
    }
    async fn target(&self) -> Option<f64> {
        self.0.evaluation.target.map(|t| t.value)
    }
    async fn target_period(&self) -> Option<String> {
        self.0.evaluation.target.map(|t| t.period.to_string())
    }
    /// The planned value for the period: the trajectory piecewise-linear in time from the
    /// baseline through the targets, flat after the last.
    async fn planned(&self) -> Option<f64> {
        self.0.evaluation.expected
    }
    /// The same value as `planned` (its earlier name).
    async fn expected(&self) -> Option<f64> {
        self.0.evaluation.expected
    }
    /// Performance against the plan: (actual − baseline) / (planned − baseline). 1 is on
    /// plan, above 1 ahead of it, below 0 worse than the baseline; the status follows it
    /// (a `RANGE` indicator: 1 inside its bounds, falling off outside).
    async fn performance(&self) -> Option<f64> {
        self.0.evaluation.performance
    }
    /// Share of the whole gap from the baseline to the next target that is closed.
    async fn progress(&self) -> Option<f64> {
        self.0.evaluation.progress
    }
    async fn attainment(&self) -> Option<f64> {
        self.0.evaluation.attainment
    }
    async fn status(&self) -> StatusGql {
        self.0.evaluation.status.into()
    }
    /// The formula, when the value is computed from variables.
    async fn formula(&self) -> Option<&str> {
        self.0.indicator.definition.formula.as_deref()
    }
    /// For a formula indicator without a value: why (a missing input, a division by zero).
    async fn no_value_reason(&self) -> Option<&str> {
        self.0.no_value_reason.as_deref()
    }
    /// The actual is at or beyond the planned value in the indicator's direction (`RANGE`:
    /// inside its bounds), i.e. performance ≥ 1.
    async fn on_track(&self) -> Option<bool> {
        self.0.evaluation.on_track
    }
    /// The value behind `actual` (the latest one it uses), with its provenance.
    async fn measurement(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<MeasurementGql>> {
        super::trust::measurement(ctx, self.0.source_measurement).await
    }
    /// How the actors' parts combine.
    async fn actor_rule(&self) -> ActorRuleGql {
        self.0.indicator.definition.actor_rule.kind().into()
    }
    /// Each actor's counted part of the value behind `actual` (empty for a formula
    /// indicator): with `actorRule` and `adjustment`, how `actual` was made.
    async fn parts(&self) -> Vec<super::adjustments::ActorPartGql> {
        self.0
            .parts
            .iter()
            .copied()
            .map(super::adjustments::ActorPartGql)
            .collect()
    }
    /// The de-duplication adjustment added to that value, if any.
    async fn adjustment(&self) -> Option<super::adjustments::AdjustmentGql> {
        self.0
            .adjustment
            .clone()
            .map(super::adjustments::AdjustmentGql)
    }
}

/// An optional input that may also be set to null: `None` keeps, `Some(None)` clears.
pub(super) fn maybe<T>(v: MaybeUndefined<T>) -> Option<Option<T>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

#[derive(InputObject)]
pub struct CreateIndicatorInput {
    pub objective_id: ID,
    pub code: String,
    pub name: String,
    #[graphql(default)]
    pub description: String,
    pub unit: String,
    pub direction: DirectionGql,
    /// Required for RANGE.
    pub range_lower: Option<f64>,
    /// Required for RANGE.
    pub range_upper: Option<f64>,
    pub periodicity: PeriodicityGql,
    #[graphql(default_with = "AggregationGql::Last")]
    pub aggregation: AggregationGql,
    /// Default 0.9.
    pub green_threshold: Option<f64>,
    /// Default 0.6.
    pub amber_threshold: Option<f64>,
    /// Default 1.
    pub weight: Option<f64>,
    #[graphql(default)]
    pub source: String,
    pub shared_value_form: Option<SharedValueFormGql>,
    pub metric_category: Option<MetricCategoryGql>,
    /// Members of the ecosystem who report the indicator.
    #[graphql(default)]
    pub responsible_actor_ids: Vec<ID>,
    /// A formula over variable codes, e.g. `100 * V012 / V045`: the indicator is then
    /// computed from approved observations and takes no submitted values.
    pub formula: Option<String>,
    /// How several actors' values of one cell combine. Default `LATEST`.
    pub actor_rule: Option<ActorRuleGql>,
    /// The ordered actors of a `PREFERRED` rule (members of the ecosystem).
    pub preferred_actor_ids: Option<Vec<ID>>,
    /// The lowest plausible value (a percentage unit defaults to 0).
    pub valid_min: Option<f64>,
    /// The highest plausible value (a percentage unit defaults to 100).
    pub valid_max: Option<f64>,
}

#[derive(InputObject)]
pub struct UpdateIndicatorInput {
    pub objective_id: Option<ID>,
    pub code: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub unit: Option<String>,
    pub direction: Option<DirectionGql>,
    pub range_lower: Option<f64>,
    pub range_upper: Option<f64>,
    /// Cannot change once values were submitted.
    pub periodicity: Option<PeriodicityGql>,
    pub aggregation: Option<AggregationGql>,
    pub green_threshold: Option<f64>,
    pub amber_threshold: Option<f64>,
    pub weight: Option<f64>,
    pub source: Option<String>,
    pub shared_value_form: Option<SharedValueFormGql>,
    pub metric_category: Option<MetricCategoryGql>,
    /// Replaces the responsible actors.
    pub responsible_actor_ids: Option<Vec<ID>>,
    /// Sets the formula; an empty text removes it.
    pub formula: Option<String>,
    pub actor_rule: Option<ActorRuleGql>,
    /// Replaces the ordered actors of a `PREFERRED` rule.
    pub preferred_actor_ids: Option<Vec<ID>>,
    /// The lowest plausible value; null removes it.
    pub valid_min: MaybeUndefined<f64>,
    /// The highest plausible value; null removes it.
    pub valid_max: MaybeUndefined<f64>,
}

#[derive(InputObject)]
pub struct SubmitMeasurementInput {
    pub indicator_id: ID,
    /// Of the indicator's periodicity, e.g. `2024`, `2024Q3`.
    pub period: String,
    /// Ubigeo inside the ecosystem's territory; the ecosystem's own by default.
    pub territory: Option<String>,
    #[graphql(default)]
    pub disaggregation: Vec<DisaggregationPair>,
    pub value: f64,
    /// A link to the evidence (http/https). This or evidenceText is required.
    pub evidence_url: Option<String>,
    /// A description of the evidence.
    pub evidence_text: Option<String>,
    pub comment: Option<String>,
    /// The actor the value comes from: a contributor's own (the default, and the only one
    /// allowed); coordinators name it.
    pub actor_id: Option<ID>,
}

#[derive(Default)]
pub struct ScorecardQuery;

#[Object]
impl ScorecardQuery {
    /// One indicator by id, or null. Public.
    async fn indicator(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<IndicatorGql>> {
        let id = parse_id("id", &id)?;
        Ok(load_one::<IndicatorLoader>(ctx, id)
            .await?
            .map(IndicatorGql))
    }
}

#[derive(Default)]
pub struct ScorecardMutation;

#[Object]
impl ScorecardMutation {
    /// Creates an indicator for an objective. Coordinator or admin.
    async fn create_indicator(
        &self,
        ctx: &Context<'_>,
        input: CreateIndicatorInput,
    ) -> async_graphql::Result<IndicatorGql> {
        let caller = ctx.require_caller()?;
        let input = IndicatorInput {
            objective_id: Some(parse_id("objectiveId", &input.objective_id)?),
            code: Some(input.code),
            name: Some(input.name),
            description: Some(input.description),
            unit: Some(input.unit),
            direction: Some(input.direction.into()),
            range_lower: input.range_lower,
            range_upper: input.range_upper,
            periodicity: Some(input.periodicity.into()),
            aggregation: Some(input.aggregation.into()),
            green_threshold: input.green_threshold,
            amber_threshold: input.amber_threshold,
            weight: input.weight,
            source: Some(input.source),
            shared_value_form: Some(input.shared_value_form.map(Into::into)),
            metric_category: Some(input.metric_category.map(Into::into)),
            responsible_actor_ids: Some(parse_ids(
                "responsibleActorIds",
                &input.responsible_actor_ids,
            )?),
            formula: Some(input.formula),
            actor_rule: input.actor_rule.map(Into::into),
            preferred_actor_ids: parse_optional_ids(
                "preferredActorIds",
                input.preferred_actor_ids.as_deref(),
            )?,
            valid_min: Some(input.valid_min),
            valid_max: Some(input.valid_max),
        };
        Ok(IndicatorGql(
            ctx.app()?.create_indicator(caller, input).await.gql()?,
        ))
    }

    /// Edits an indicator; omitted fields keep their value. Coordinator or admin.
    async fn update_indicator(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateIndicatorInput,
    ) -> async_graphql::Result<IndicatorGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        let input = IndicatorInput {
            objective_id: input
                .objective_id
                .as_ref()
                .map(|o| parse_id("objectiveId", o))
                .transpose()?,
            code: input.code,
            name: input.name,
            description: input.description,
            unit: input.unit,
            direction: input.direction.map(Into::into),
            range_lower: input.range_lower,
            range_upper: input.range_upper,
            periodicity: input.periodicity.map(Into::into),
            aggregation: input.aggregation.map(Into::into),
            green_threshold: input.green_threshold,
            amber_threshold: input.amber_threshold,
            weight: input.weight,
            source: input.source,
            shared_value_form: input.shared_value_form.map(|f| Some(f.into())),
            metric_category: input.metric_category.map(|m| Some(m.into())),
            responsible_actor_ids: input
                .responsible_actor_ids
                .as_deref()
                .map(|r| parse_ids("responsibleActorIds", r))
                .transpose()?,
            formula: input.formula.map(Some),
            actor_rule: input.actor_rule.map(Into::into),
            preferred_actor_ids: parse_optional_ids(
                "preferredActorIds",
                input.preferred_actor_ids.as_deref(),
            )?,
            valid_min: maybe(input.valid_min),
            valid_max: maybe(input.valid_max),
        };
        Ok(IndicatorGql(
            ctx.app()?.update_indicator(caller, id, input).await.gql()?,
        ))
    }

    /// Sets the baseline (before every target). Coordinator or admin.
    async fn set_baseline(
        &self,
        ctx: &Context<'_>,
        indicator_id: ID,
        period: String,
        value: f64,
        #[graphql(default)] note: String,
    ) -> async_graphql::Result<IndicatorGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("indicatorId", &indicator_id)?;
        Ok(IndicatorGql(
            ctx.app()?
                .set_baseline(caller, id, period, value, note)
                .await
                .gql()?,
        ))
    }

    /// Sets or replaces the target for a period (after the baseline). Coordinator or admin.
    async fn set_target(
        &self,
        ctx: &Context<'_>,
        indicator_id: ID,
        period: String,
        value: f64,
        horizon: TargetHorizonGql,
    ) -> async_graphql::Result<TargetGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("indicatorId", &indicator_id)?;
        let t = ctx
            .app()?
            .set_target(caller, id, period, value, horizon.into())
            .await
            .gql()?;
        TargetGql::new(&t)
    }

    /// Removes the target for a period. Coordinator or admin.
    async fn remove_target(
        &self,
        ctx: &Context<'_>,
        indicator_id: ID,
        period: String,
    ) -> async_graphql::Result<TargetGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("indicatorId", &indicator_id)?;
        let t = ctx.app()?.remove_target(caller, id, period).await.gql()?;
        TargetGql::new(&t)
    }

    /// Submits a value with its evidence. Contributors for indicators their actor is
    /// responsible for; coordinators and admins for any. Submitting again for the same
    /// period, territory and disaggregation makes a new revision.
    async fn submit_measurement(
        &self,
        ctx: &Context<'_>,
        input: SubmitMeasurementInput,
    ) -> async_graphql::Result<MeasurementGql> {
        let caller = ctx.require_caller()?;
        let input = MeasurementInput {
            evidence_file: None,
            indicator_id: parse_id("indicatorId", &input.indicator_id)?,
            period: input.period,
            territory: input.territory,
            disaggregation: input
                .disaggregation
                .into_iter()
                .map(|p| (p.key, p.value))
                .collect(),
            value: input.value,
            evidence_url: input.evidence_url,
            evidence_text: input.evidence_text,
            comment: input.comment,
            actor_id: input
                .actor_id
                .as_ref()
                .map(|a| parse_id("actorId", a))
                .transpose()?,
        };
        Ok(MeasurementGql(
            ctx.app()?.submit_measurement(caller, input).await.gql()?,
        ))
    }

    /// Approves a submitted value: it becomes public and counts. Coordinator or admin.
    async fn approve_measurement(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<MeasurementGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        Ok(MeasurementGql(
            ctx.app()?.approve_measurement(caller, id).await.gql()?,
        ))
    }

    /// Rejects a submitted value; the reason is required. Coordinator or admin.
    async fn reject_measurement(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> async_graphql::Result<MeasurementGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        Ok(MeasurementGql(
            ctx.app()?
                .reject_measurement(caller, id, reason)
                .await
                .gql()?,
        ))
    }
}

#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Each value approved from now on in this ecosystem, as it is approved (for live public
    /// screens). Over WebSocket at /graphql, protocol graphql-transport-ws.
    async fn measurement_approved(
        &self,
        ctx: &Context<'_>,
        ecosystem_slug: String,
    ) -> async_graphql::Result<impl Stream<Item = MeasurementGql> + use<>> {
        let rx = ctx.app()?.approved_values();
        Ok(futures_util::stream::unfold(
            (rx, ecosystem_slug),
            |(mut rx, slug)| async move {
                loop {
                    match rx.recv().await {
                        Ok(event) if event.ecosystem_slug == slug => {
                            return Some((MeasurementGql(event.measurement), (rx, slug)));
                        }
                        Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            continue;
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        ))
    }
}

/// An evidence file: its content address, type and size, and where to download it.
pub struct EvidenceFileGql {
    info: crate::app::EvidenceFileInfo,
    approved: bool,
}

#[Object(name = "EvidenceFile")]
impl EvidenceFileGql {
    /// SHA-256 of the content, lowercase hex.
    async fn sha256(&self) -> &str {
        &self.info.sha256
    }
    /// `/archivos/{sha256}` once the value is approved (public); before,
    /// `/app/archivos/{sha256}` (signed-in workspace users who may see the value).
    async fn url(&self) -> String {
        if self.approved {
            format!("/archivos/{}", self.info.sha256)
        } else {
            format!("/app/archivos/{}", self.info.sha256)
        }
    }
    async fn media_type(&self) -> &str {
        &self.info.media_type
    }
    async fn size_bytes(&self) -> i64 {
        self.info.size_bytes
    }
}
