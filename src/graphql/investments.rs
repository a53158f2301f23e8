//! Investments: the portfolio, execution snapshots, derived figures, alerts, the year's
//! summary and the priorities. Reads are public; writes need a coordinator or admin (a
//! contributor of the executing actor records physical progress of its own investments).
//! Formulas: `docs/investments.md`.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::NaiveDateTime;

use crate::app::{
    AlertedInvestment, AppError, InvestmentFilter, InvestmentInput, InvestmentLinkInput,
    InvestmentPriorities, InvestmentRecord, InvestmentSettingsInput, InvestmentSummary,
    MAX_INVESTMENT_PAGE, PlannedCurveInput, ProgressInput,
};
use crate::domain::investment::{
    Alert, AlertThresholds, Criteria, ExecutionModality, FinancingSource, GovernmentLevel,
    InvestmentDraft, InvestmentFunction, InvestmentKind, InvestmentStage, JudgedCriterion,
    LinkTarget, MonthPoint, Priority, Settings, Snapshot, Totals, UnitKey,
};

use super::actors::ActorGql;
use super::context::ContextExt;
use super::error::{GqlResult, parse_id, to_id};
use super::loaders::{ActorLoader, IndicatorLoader, ObjectiveLoader, load_one};
use super::scorecard::IndicatorGql;
use super::strategy::ObjectiveGql;

/// Project, IOARR, or an idea not yet registered in Invierte.pe.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(
    name = "InvestmentKind",
    remote = "crate::domain::investment::InvestmentKind"
)]
pub enum InvestmentKindGql {
    Project,
    /// Optimisation, marginal expansion, rehabilitation or replacement.
    Ioarr,
    Idea,
}

/// The level of government executing it: GN, GR or GL.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(
    name = "GovernmentLevel",
    remote = "crate::domain::investment::GovernmentLevel"
)]
pub enum GovernmentLevelGql {
    /// Gobierno nacional (GN).
    National,
    /// Gobierno regional (GR).
    Regional,
    /// Gobierno local (GL).
    Local,
}

/// MEF's functions (`FUNCION`).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(
    name = "InvestmentFunction",
    remote = "crate::domain::investment::InvestmentFunction"
)]
pub enum InvestmentFunctionGql {
    Education,
    Health,
    Sanitation,
    Transport,
    Energy,
    Agriculture,
    Telecommunications,
    Environment,
    /// Housing and urban development.
    Housing,
    SocialProtection,
    PublicOrder,
    Tourism,
    CultureSport,
    Fisheries,
    Mining,
    Industry,
    Commerce,
    Labour,
    /// Planning, management and contingency reserve.
    Planning,
    Other,
}

/// The investment cycle, in order.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(
    name = "InvestmentStage",
    remote = "crate::domain::investment::InvestmentStage"
)]
pub enum InvestmentStageGql {
    Idea,
    Formulation,
    /// Viable / approved.
    Viable,
    TechnicalFile,
    /// Physical execution.
    Execution,
    Settlement,
    Closed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(
    name = "ExecutionModality",
    remote = "crate::domain::investment::ExecutionModality"
)]
pub enum ExecutionModalityGql {
    DirectAdministration,
    Contract,
    /// Obras por Impuestos.
    WorksForTaxes,
    /// Asociación público-privada (APP).
    PublicPrivatePartnership,
    /// Núcleo ejecutor.
    ExecutingNucleus,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(
    name = "FinancingSource",
    remote = "crate::domain::investment::FinancingSource"
)]
pub enum FinancingSourceGql {
    Canon,
    /// Regalías.
    Royalties,
    OrdinaryResources,
    Foncor,
    Other,
}

/// What an alert is about.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "AlertKind", remote = "crate::domain::investment::AlertKind")]
pub enum AlertKindGql {
    /// Physical progress stalled, or lagging financial progress.
    Physical,
    /// The year's execution behind the planned curve or the year's pace.
    Financial,
    /// The PIM cut, or changed by more than the threshold.
    Budget,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "AlertSeverity", remote = "crate::domain::investment::Severity")]
pub enum SeverityGql {
    Warning,
    /// Twice the threshold or more (a PIM cut beyond the change threshold).
    Critical,
}

/// The rule that raised an alert.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "AlertRule", remote = "crate::domain::investment::AlertRule")]
pub enum AlertRuleGql {
    Stalled,
    PhysicalLag,
    BehindPlan,
    BehindPace,
    PimCut,
    PimChange,
}

/// What the prioritisation's `scale` criterion measures.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "ScaleBasis", remote = "crate::domain::investment::ScaleBasis")]
pub enum ScaleBasisGql {
    Cost,
    Beneficiaries,
}

/// A public investment with its execution, derived figures and alerts.
pub struct InvestmentGql(pub InvestmentRecord);

#[Object(name = "Investment")]
impl InvestmentGql {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// Código único de inversiones (7 digits); null for an idea not yet registered.
    async fn cui(&self) -> Option<&str> {
        self.0.definition.cui.as_ref().map(|c| c.as_str())
    }
    async fn name(&self) -> &str {
        &self.0.definition.name
    }
    async fn kind(&self) -> InvestmentKindGql {
        self.0.definition.kind.into()
    }
    async fn level(&self) -> GovernmentLevelGql {
        self.0.definition.level.into()
    }
    async fn function(&self) -> InvestmentFunctionGql {
        self.0.definition.function.into()
    }
    /// The function as MEF names it, e.g. `EDUCACION`.
    async fn function_mef_name(&self) -> &str {
        self.0.definition.function.mef_name()
    }
    async fn programme(&self) -> &str {
        &self.0.definition.programme
    }
    async fn subprogramme(&self) -> &str {
        &self.0.definition.subprogramme
    }
    async fn stage(&self) -> InvestmentStageGql {
        self.0.definition.stage.into()
    }
    async fn modality(&self) -> ExecutionModalityGql {
        self.0.definition.modality.into()
    }
    async fn financing_source(&self) -> FinancingSourceGql {
        self.0.definition.financing_source.into()
    }
    async fn participatory_budget(&self) -> bool {
        self.0.definition.participatory_budget
    }
    async fn prioritised(&self) -> bool {
        self.0.definition.prioritised
    }
    /// INEI ubigeo of its location.
    async fn ubigeo(&self) -> &str {
        self.0.definition.ubigeo.as_str()
    }
    /// INEI's name of that territory.
    async fn territory_name(&self) -> Option<&str> {
        self.0.definition.ubigeo.name()
    }
    /// The province it lies in (its ubigeo at province level; a department-level location
    /// stays the department).
    async fn province(&self) -> String {
        self.0.definition.province().into_string()
    }
    async fn latitude(&self) -> Option<f64> {
        self.0.definition.location.map(|p| p.lat)
    }
    async fn longitude(&self) -> Option<f64> {
        self.0.definition.location.map(|p| p.lon)
    }
    async fn beneficiaries(&self) -> Option<i64> {
        self.0.definition.beneficiaries
    }
    /// Soles.
    async fn viable_amount(&self) -> Option<f64> {
        self.0.definition.viable_amount
    }
    /// Soles.
    async fn updated_cost(&self) -> Option<f64> {
        self.0.definition.updated_cost
    }
    /// `YYYY-MM-DD`.
    async fn viability_date(&self) -> Option<String> {
        self.0.definition.viability_date.map(|d| d.to_string())
    }
    async fn start_date(&self) -> Option<String> {
        self.0.definition.start_date.map(|d| d.to_string())
    }
    async fn planned_end_date(&self) -> Option<String> {
        self.0.definition.planned_end_date.map(|d| d.to_string())
    }
    async fn executing_actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ActorGql>> {
        match self.0.definition.executing_actor_id {
            Some(a) => Ok(load_one::<ActorLoader>(ctx, a).await?.map(ActorGql)),
            None => Ok(None),
        }
    }
    /// The unit under the executing actor (MEF's `NOMBRE_UEP`); empty for the actor itself.
    async fn executing_unit(&self) -> &str {
        &self.0.definition.executing_unit
    }
    /// The objectives and indicators it serves, with the expected change.
    async fn links(&self) -> Vec<InvestmentLinkGql> {
        self.0
            .links
            .iter()
            .map(|l| InvestmentLinkGql {
                target: l.target,
                expected_change: l.expected_change.clone(),
            })
            .collect()
    }
    /// The coordinating body's judged scores (1..5).
    async fn judged_scores(&self) -> Vec<JudgedScoreGql> {
        self.0
            .scores
            .iter()
            .map(|(criterion, score)| JudgedScoreGql {
                criterion: criterion.clone(),
                score: *score,
            })
            .collect()
    }
    /// Every snapshot, oldest first.
    async fn snapshots(&self) -> Vec<SnapshotGql> {
        self.0
            .snapshots
            .iter()
            .map(|s| SnapshotGql::new(s, &self.0))
            .collect()
    }
    /// The latest snapshot.
    async fn latest(&self) -> Option<SnapshotGql> {
        self.0.latest().map(|s| SnapshotGql::new(s, &self.0))
    }
    /// The year's financial execution of the latest snapshot: accrued / PIM (0..1).
    async fn financial_execution(&self) -> Option<f64> {
        self.0.latest().and_then(Snapshot::financial_execution)
    }
    /// Accumulated progress: (accrued in earlier years + accrued this year) / cost (0..1).
    async fn accumulated_progress(&self) -> Option<f64> {
        self.0
            .latest()
            .and_then(|s| s.accumulated_progress(self.0.definition.cost()))
    }
    /// Cost − devengado to date (soles; negative when the cost is exceeded).
    async fn remaining_balance(&self) -> Option<f64> {
        match self.0.latest() {
            Some(s) => s.remaining_balance(self.0.definition.cost()),
            None => self.0.definition.cost(),
        }
    }
    /// The latest physical progress reported (0..100).
    async fn physical_progress(&self) -> Option<f64> {
        self.0.physical().map(|p| p.percent)
    }
    /// When that physical progress was measured.
    async fn physical_measured_on(&self) -> Option<String> {
        self.0.physical().map(|p| p.measured_on.to_string())
    }
    /// The planned curves (cumulative devengado planned at each month's end).
    async fn planned_curves(&self) -> Vec<PlannedCurveGql> {
        self.0
            .plans
            .iter()
            .map(|p| PlannedCurveGql {
                year: p.year,
                months: p.months.to_vec(),
            })
            .collect()
    }
    /// The years with a snapshot or a planned curve.
    async fn years(&self) -> Vec<i32> {
        self.0.years()
    }
    /// The monthly curve of a year (default: the latest snapshot's year) against the
    /// planned curve: each month shows its last snapshot, carried from the previous one
    /// when a month has none.
    async fn monthly_curve(&self, year: Option<i32>) -> Vec<MonthPointGql> {
        let year = year
            .or_else(|| self.0.latest().map(|s| s.year))
            .or_else(|| self.0.plans.last().map(|p| p.year));
        match year {
            Some(y) => self.0.curve(y).into_iter().map(MonthPointGql).collect(),
            None => Vec::new(),
        }
    }
    /// The alerts its snapshots raise now, computed with the ecosystem's thresholds.
    async fn alerts(&self) -> Vec<AlertGql> {
        self.0.alerts.iter().cloned().map(AlertGql).collect()
    }
    async fn created_at(&self) -> NaiveDateTime {
        self.0.created_at
    }
    async fn updated_at(&self) -> NaiveDateTime {
        self.0.updated_at
    }
}

/// An objective or indicator an investment serves.
pub struct InvestmentLinkGql {
    target: LinkTarget,
    expected_change: String,
}

#[Object(name = "InvestmentLink")]
impl InvestmentLinkGql {
    async fn objective(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ObjectiveGql>> {
        match self.target {
            LinkTarget::Objective(o) => {
                Ok(load_one::<ObjectiveLoader>(ctx, o).await?.map(ObjectiveGql))
            }
            LinkTarget::Indicator(_) => Ok(None),
        }
    }
    async fn indicator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<IndicatorGql>> {
        match self.target {
            LinkTarget::Indicator(i) => {
                Ok(load_one::<IndicatorLoader>(ctx, i).await?.map(IndicatorGql))
            }
            LinkTarget::Objective(_) => Ok(None),
        }
    }
    /// E.g. "I2.1 +3 points by 2026".
    async fn expected_change(&self) -> &str {
        &self.expected_change
    }
}

#[derive(SimpleObject)]
#[graphql(name = "JudgedScore")]
pub struct JudgedScoreGql {
    criterion: String,
    score: i32,
}

#[derive(SimpleObject)]
#[graphql(name = "PlannedCurve")]
pub struct PlannedCurveGql {
    year: i32,
    /// Cumulative devengado planned at the end of each month, January first (12 amounts).
    months: Vec<f64>,
}

/// An investment's execution as known on a date, with the figures derived from it.
#[derive(SimpleObject)]
#[graphql(name = "InvestmentSnapshot")]
pub struct SnapshotGql {
    /// `YYYY-MM-DD`.
    as_of: String,
    year: i32,
    pia: f64,
    pim: f64,
    certified: f64,
    committed: f64,
    /// Devengado of the year to `asOf`.
    accrued: f64,
    paid: f64,
    /// Devengado of earlier years.
    accrued_before: f64,
    /// accruedBefore + accrued.
    accrued_to_date: f64,
    physical_progress: Option<f64>,
    physical_measured_on: Option<String>,
    physical_evidence: Option<String>,
    /// accrued / PIM (0..1).
    financial_execution: Option<f64>,
    /// accruedToDate / cost (updated cost, else viable amount).
    accumulated_progress: Option<f64>,
    /// cost − accruedToDate.
    remaining_balance: Option<f64>,
    /// PIM − accrued.
    pim_balance: f64,
}

impl SnapshotGql {
    fn new(s: &Snapshot, r: &InvestmentRecord) -> SnapshotGql {
        let cost = r.definition.cost();
        SnapshotGql {
            as_of: s.as_of.to_string(),
            year: s.year,
            pia: s.pia,
            pim: s.pim,
            certified: s.certified,
            committed: s.committed,
            accrued: s.accrued,
            paid: s.paid,
            accrued_before: s.accrued_before,
            accrued_to_date: s.accrued_to_date(),
            physical_progress: s.physical.as_ref().map(|p| p.percent),
            physical_measured_on: s.physical.as_ref().map(|p| p.measured_on.to_string()),
            physical_evidence: s.physical.as_ref().map(|p| p.evidence.clone()),
            financial_execution: s.financial_execution(),
            accumulated_progress: s.accumulated_progress(cost),
            remaining_balance: s.remaining_balance(cost),
            pim_balance: s.pim_balance(),
        }
    }
}

/// One month of a curve.
pub struct MonthPointGql(MonthPoint);

#[Object(name = "InvestmentMonth")]
impl MonthPointGql {
    /// 1..12.
    async fn month(&self) -> i32 {
        self.0.month as i32
    }
    /// Cumulative devengado of the year at the month's end.
    async fn accrued(&self) -> Option<f64> {
        self.0.accrued
    }
    async fn pim(&self) -> Option<f64> {
        self.0.pim
    }
    /// Planned cumulative devengado at the month's end.
    async fn planned(&self) -> Option<f64> {
        self.0.planned
    }
    /// Whether a snapshot is dated in this month (otherwise the figures are carried).
    async fn reported(&self) -> bool {
        self.0.reported
    }
}

/// An alert computed from snapshots.
pub struct AlertGql(Alert);

#[Object(name = "InvestmentAlert")]
impl AlertGql {
    async fn kind(&self) -> AlertKindGql {
        self.0.kind.into()
    }
    async fn rule(&self) -> AlertRuleGql {
        self.0.rule.into()
    }
    async fn severity(&self) -> SeverityGql {
        self.0.severity.into()
    }
    /// Since when the condition holds (`YYYY-MM-DD`).
    async fn since(&self) -> String {
        self.0.since.to_string()
    }
    /// The measure compared with the threshold (months, points or percent).
    async fn measure(&self) -> f64 {
        self.0.measure
    }
    async fn threshold(&self) -> f64 {
        self.0.threshold
    }
    /// The sentence in Spanish (`es`, default) or English (`en`).
    async fn sentence(
        &self,
        #[graphql(default_with = "String::from(\"es\")")] lang: String,
    ) -> &str {
        if lang.eq_ignore_ascii_case("en") {
            &self.0.sentence_en
        } else {
            &self.0.sentence_es
        }
    }
}

/// Totals of a group of investments for a year.
pub struct TotalsGql(Totals);

#[Object(name = "InvestmentTotals")]
impl TotalsGql {
    async fn count(&self) -> i64 {
        self.0.count
    }
    /// Σ cost (updated cost, else viable amount).
    async fn cost(&self) -> f64 {
        self.0.cost
    }
    async fn pim(&self) -> f64 {
        self.0.pim
    }
    async fn accrued(&self) -> f64 {
        self.0.accrued
    }
    /// Σ accrued / Σ PIM (0..1).
    async fn execution(&self) -> Option<f64> {
        self.0.execution()
    }
    async fn alerts(&self) -> i64 {
        self.0.alerts
    }
}

/// A group of a breakdown: its key (a function, province ubigeo, modality, source or
/// stage word), a label and its totals.
#[derive(SimpleObject)]
#[graphql(name = "InvestmentGroup")]
pub struct GroupGql {
    key: String,
    label_es: String,
    label_en: String,
    totals: TotalsGql,
}

/// A breakdown's key: its stored word (or ubigeo) and labels for people.
trait GroupKey {
    fn key(&self) -> String;
    fn labels(&self) -> (String, String);
}

macro_rules! word_keys {
    ($($t:ty),+) => {$(
        impl GroupKey for $t {
            fn key(&self) -> String {
                self.as_str().to_string()
            }
            fn labels(&self) -> (String, String) {
                let (es, en) = <$t>::labels(*self);
                (es.to_string(), en.to_string())
            }
        }
    )+};
}

word_keys!(
    InvestmentFunction,
    ExecutionModality,
    FinancingSource,
    InvestmentStage
);

impl GroupKey for crate::domain::Ubigeo {
    fn key(&self) -> String {
        self.as_str().to_string()
    }
    fn labels(&self) -> (String, String) {
        let name = self.name().unwrap_or(self.as_str()).to_string();
        (name.clone(), name)
    }
}

fn groups<K: GroupKey>(items: &[(K, Totals)]) -> Vec<GroupGql> {
    items
        .iter()
        .map(|(k, t)| {
            let (label_es, label_en) = k.labels();
            GroupGql {
                key: k.key(),
                label_es,
                label_en,
                totals: TotalsGql(t.clone()),
            }
        })
        .collect()
}

/// An executing unit in the year's ranking.
pub struct UnitGql {
    rank: i32,
    key: UnitKey,
    totals: Totals,
}

#[Object(name = "ExecutingUnitRank")]
impl UnitGql {
    /// 1 = highest execution of the year.
    async fn rank(&self) -> i32 {
        self.rank
    }
    async fn executing_actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ActorGql>> {
        match self.key.actor_id {
            Some(a) => Ok(load_one::<ActorLoader>(ctx, a).await?.map(ActorGql)),
            None => Ok(None),
        }
    }
    async fn executing_unit(&self) -> &str {
        &self.key.unit
    }
    async fn totals(&self) -> TotalsGql {
        TotalsGql(self.totals.clone())
    }
}

#[derive(SimpleObject)]
#[graphql(name = "AlertCount")]
pub struct AlertCountGql {
    kind: Option<AlertKindGql>,
    severity: Option<SeverityGql>,
    count: i64,
}

/// An alert with the investment that raised it.
#[derive(SimpleObject)]
#[graphql(name = "InvestmentAlertEntry")]
pub struct AlertEntryGql {
    investment_id: ID,
    cui: Option<String>,
    name: String,
    alert: AlertGql,
}

impl From<AlertedInvestment> for AlertEntryGql {
    fn from(a: AlertedInvestment) -> Self {
        AlertEntryGql {
            investment_id: to_id(a.investment_id),
            cui: a.cui.map(|c| c.to_string()),
            name: a.name,
            alert: AlertGql(a.alert),
        }
    }
}

/// A year's summary of an ecosystem's portfolio. The year's portfolio: investments with a
/// snapshot in the year, and those with none that are not settled or closed.
pub struct SummaryGql(InvestmentSummary);

#[Object(name = "InvestmentSummary")]
impl SummaryGql {
    async fn year(&self) -> i32 {
        self.0.summary.year
    }
    async fn totals(&self) -> TotalsGql {
        TotalsGql(self.0.summary.totals.clone())
    }
    /// The participatory-budget investments.
    async fn participatory_budget(&self) -> TotalsGql {
        TotalsGql(self.0.summary.participatory.clone())
    }
    async fn prioritised(&self) -> TotalsGql {
        TotalsGql(self.0.summary.prioritised.clone())
    }
    /// By function, largest cost first.
    async fn by_function(&self) -> Vec<GroupGql> {
        groups(&self.0.summary.by_function)
    }
    /// By province (ubigeo), largest cost first.
    async fn by_province(&self) -> Vec<GroupGql> {
        groups(&self.0.summary.by_province)
    }
    async fn by_modality(&self) -> Vec<GroupGql> {
        groups(&self.0.summary.by_modality)
    }
    async fn by_financing_source(&self) -> Vec<GroupGql> {
        groups(&self.0.summary.by_source)
    }
    async fn by_stage(&self) -> Vec<GroupGql> {
        groups(&self.0.summary.by_stage)
    }
    /// Executing units by the year's execution (Σ accrued / Σ PIM), highest first; units
    /// without a PIM last.
    async fn executing_units(&self) -> Vec<UnitGql> {
        self.0
            .summary
            .units
            .iter()
            .enumerate()
            .map(|(i, (key, totals))| UnitGql {
                rank: i as i32 + 1,
                key: key.clone(),
                totals: totals.clone(),
            })
            .collect()
    }
    async fn alerts_by_kind(&self) -> Vec<AlertCountGql> {
        self.0
            .summary
            .alerts_by_kind
            .iter()
            .map(|(k, n)| AlertCountGql {
                kind: Some((*k).into()),
                severity: None,
                count: *n,
            })
            .collect()
    }
    async fn alerts_by_severity(&self) -> Vec<AlertCountGql> {
        self.0
            .summary
            .alerts_by_severity
            .iter()
            .map(|(s, n)| AlertCountGql {
                kind: None,
                severity: Some((*s).into()),
                count: *n,
            })
            .collect()
    }
    /// The portfolio's monthly curve of the year (sums of the investments' curves).
    async fn monthly_curve(&self) -> Vec<MonthPointGql> {
        self.0.curve.iter().cloned().map(MonthPointGql).collect()
    }
    /// Every alert standing at the year's end, most severe first.
    async fn alerts(&self) -> Vec<AlertEntryGql> {
        self.0.alerts.iter().cloned().map(Into::into).collect()
    }
}

#[derive(SimpleObject)]
#[graphql(name = "CriterionScore")]
pub struct CriterionScoreGql {
    /// `gap`, `stage`, `scale` or a judged criterion's code.
    code: String,
    weight: f64,
    /// 0..1; null when unknown (the criterion then does not count).
    value: Option<f64>,
}

/// An investment's place in the year's priorities.
pub struct PriorityGql(Priority, InvestmentRecord);

#[Object(name = "InvestmentPriority")]
impl PriorityGql {
    async fn rank(&self) -> i32 {
        self.0.rank as i32
    }
    /// Σ weight × value / Σ weight over the criteria with a value (0..1).
    async fn score(&self) -> f64 {
        self.0.score
    }
    async fn criteria(&self) -> Vec<CriterionScoreGql> {
        self.0
            .criteria
            .iter()
            .map(|c| CriterionScoreGql {
                code: c.code.clone(),
                weight: c.weight,
                value: c.value,
            })
            .collect()
    }
    /// What it needs in the year: its PIM when it has a snapshot of the year, else its
    /// remaining balance.
    async fn need(&self) -> f64 {
        self.0.need
    }
    /// Its need plus the needs of every investment ranked above it.
    async fn cumulative_need(&self) -> f64 {
        self.0.cumulative_need
    }
    /// Whether the cumulative need lies within the year's envelope (null without one).
    async fn fits(&self) -> Option<bool> {
        self.0.fits
    }
    async fn investment(&self) -> InvestmentGql {
        InvestmentGql(self.1.clone())
    }
}

/// The year's prioritised portfolio.
pub struct PrioritiesGql(InvestmentPriorities);

#[Object(name = "InvestmentPriorities")]
impl PrioritiesGql {
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// The year's budget envelope, when one is set.
    async fn envelope(&self) -> Option<f64> {
        self.0.envelope
    }
    async fn criteria(&self) -> CriteriaGql {
        CriteriaGql::from(&self.0.criteria)
    }
    /// Ranked, highest score first (settled and closed investments are left out).
    async fn items(&self) -> Vec<PriorityGql> {
        self.0
            .items
            .iter()
            .map(|(p, r)| PriorityGql(p.clone(), r.clone()))
            .collect()
    }
}

#[derive(SimpleObject)]
#[graphql(name = "AlertThresholds")]
pub struct ThresholdsGql {
    /// Physical progress unchanged for this many months (default 2).
    stalled_months: i32,
    /// Physical behind financial progress by more than these points (default 15).
    physical_lag_points: f64,
    /// The year's devengado behind the planned curve by more than these points of the PIM
    /// (default 10).
    plan_gap_points: f64,
    /// The year's execution behind the linear pace by more than these points (default 25).
    pace_gap_points: f64,
    /// The PIM changed by more than this percentage between snapshots (default 20).
    pim_change_percent: f64,
}

#[derive(SimpleObject)]
#[graphql(name = "JudgedCriterion")]
pub struct JudgedCriterionGql {
    code: String,
    name: String,
    weight: f64,
}

#[derive(SimpleObject)]
#[graphql(name = "PrioritisationCriteria")]
pub struct CriteriaGql {
    gap_weight: f64,
    stage_weight: f64,
    scale_weight: f64,
    scale_basis: ScaleBasisGql,
    judged: Vec<JudgedCriterionGql>,
}

impl From<&Criteria> for CriteriaGql {
    fn from(c: &Criteria) -> Self {
        CriteriaGql {
            gap_weight: c.gap_weight,
            stage_weight: c.stage_weight,
            scale_weight: c.scale_weight,
            scale_basis: c.scale_basis.into(),
            judged: c
                .judged
                .iter()
                .map(|j| JudgedCriterionGql {
                    code: j.code.clone(),
                    name: j.name.clone(),
                    weight: j.weight,
                })
                .collect(),
        }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "BudgetEnvelope")]
pub struct EnvelopeGql {
    year: i32,
    amount: f64,
}

/// An ecosystem's investment settings (defaults when none were set).
#[derive(SimpleObject)]
#[graphql(name = "InvestmentSettings")]
pub struct SettingsGql {
    thresholds: ThresholdsGql,
    criteria: CriteriaGql,
    envelopes: Vec<EnvelopeGql>,
}

impl From<Settings> for SettingsGql {
    fn from(s: Settings) -> Self {
        let t = s.thresholds;
        SettingsGql {
            thresholds: ThresholdsGql {
                stalled_months: t.stalled_months,
                physical_lag_points: t.physical_lag_points,
                plan_gap_points: t.plan_gap_points,
                pace_gap_points: t.pace_gap_points,
                pim_change_percent: t.pim_change_percent,
            },
            criteria: CriteriaGql::from(&s.criteria),
            envelopes: s
                .envelopes
                .into_iter()
                .map(|(year, amount)| EnvelopeGql { year, amount })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Ecosystem, Objective and Indicator fields (called from their types)
// ---------------------------------------------------------------------------------------

/// Filters of `Ecosystem.investments`; all given must hold.
#[derive(InputObject, Default)]
#[graphql(name = "InvestmentFilter")]
pub struct InvestmentFilterInput {
    function: Option<InvestmentFunctionGql>,
    executing_actor_id: Option<ID>,
    /// The executing unit's name (case-insensitive).
    executing_unit: Option<String>,
    stage: Option<InvestmentStageGql>,
    /// A province's (or any territory's) ubigeo: investments located in it.
    province: Option<String>,
    /// Investments with an alert of this kind now.
    alert_kind: Option<AlertKindGql>,
    prioritised: Option<bool>,
    participatory_budget: Option<bool>,
}

/// Extra fields of the investments connection.
#[derive(SimpleObject)]
pub struct InvestmentCount {
    /// How many investments match the filter in all.
    total_count: i64,
}

fn cursor(id: i64) -> String {
    hex::encode(format!("inv:{id}"))
}

fn decode_cursor(raw: &str) -> async_graphql::Result<i64> {
    hex::decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("inv:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| AppError::invalid("after", "cursor", "not a cursor of this connection"))
        .gql()
}

pub async fn ecosystem_investments(
    ctx: &Context<'_>,
    ecosystem_id: i64,
    filter: Option<InvestmentFilterInput>,
    first: i32,
    after: Option<String>,
) -> async_graphql::Result<Connection<String, InvestmentGql, InvestmentCount>> {
    let f = filter.unwrap_or_default();
    let filter = InvestmentFilter {
        function: f.function.map(Into::into),
        executing_actor_id: f
            .executing_actor_id
            .as_ref()
            .map(|a| parse_id("filter.executingActorId", a))
            .transpose()?,
        executing_unit: f.executing_unit,
        stage: f.stage.map(Into::into),
        province: f.province,
        alert_kind: f.alert_kind.map(Into::into),
        prioritised: f.prioritised,
        participatory_budget: f.participatory_budget,
    };
    let after = after.as_deref().map(decode_cursor).transpose()?;
    let first = usize::try_from(first).unwrap_or(0);
    if !(1..=MAX_INVESTMENT_PAGE).contains(&first) {
        return Err(AppError::invalid(
            "first",
            "range",
            format!("first must be between 1 and {MAX_INVESTMENT_PAGE}"),
        ))
        .gql();
    }
    let page = ctx
        .app()?
        .investments(ecosystem_id, filter, after, first)
        .await
        .gql()?;
    let mut connection = Connection::with_additional_fields(
        after.is_some(),
        page.has_next,
        InvestmentCount {
            total_count: page.total as i64,
        },
    );
    connection.edges.extend(
        page.items
            .into_iter()
            .map(|r| Edge::new(cursor(r.id), InvestmentGql(r))),
    );
    Ok(connection)
}

pub async fn ecosystem_investment(
    ctx: &Context<'_>,
    ecosystem_id: i64,
    cui: String,
) -> async_graphql::Result<Option<InvestmentGql>> {
    Ok(ctx
        .app()?
        .investment_by_cui(ecosystem_id, cui)
        .await
        .gql()?
        .filter(|r| r.ecosystem_id == ecosystem_id)
        .map(InvestmentGql))
}

pub async fn ecosystem_investment_summary(
    ctx: &Context<'_>,
    ecosystem_id: i64,
    year: i32,
) -> async_graphql::Result<SummaryGql> {
    Ok(SummaryGql(
        ctx.app()?
            .investment_summary(ecosystem_id, year)
            .await
            .gql()?,
    ))
}

pub async fn ecosystem_investment_priorities(
    ctx: &Context<'_>,
    ecosystem_id: i64,
    year: i32,
) -> async_graphql::Result<PrioritiesGql> {
    Ok(PrioritiesGql(
        ctx.app()?
            .investment_priorities(ecosystem_id, year)
            .await
            .gql()?,
    ))
}

pub async fn ecosystem_investment_settings(
    ctx: &Context<'_>,
    ecosystem_id: i64,
) -> async_graphql::Result<SettingsGql> {
    Ok(ctx
        .app()?
        .investment_settings(ecosystem_id)
        .await
        .gql()?
        .into())
}

/// The investments linked to an objective (batch-loaded).
pub async fn objective_investments(
    ctx: &Context<'_>,
    objective_id: i64,
) -> async_graphql::Result<Vec<InvestmentGql>> {
    Ok(
        load_one::<super::loaders::InvestmentsOfObjective>(ctx, objective_id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|(_, r)| InvestmentGql(r))
            .collect(),
    )
}

/// The investments linked to an indicator (batch-loaded).
pub async fn indicator_investments(
    ctx: &Context<'_>,
    indicator_id: i64,
) -> async_graphql::Result<Vec<InvestmentGql>> {
    Ok(
        load_one::<super::loaders::InvestmentsOfIndicator>(ctx, indicator_id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|(_, r)| InvestmentGql(r))
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------

#[derive(InputObject)]
#[graphql(name = "InvestmentLinkInput")]
pub struct LinkInputGql {
    /// Exactly one of objectiveId and indicatorId.
    objective_id: Option<ID>,
    indicator_id: Option<ID>,
    /// E.g. "I2.1 +3 points by 2026".
    #[graphql(default)]
    expected_change: String,
}

#[derive(InputObject)]
#[graphql(name = "PlannedCurveInput")]
pub struct PlannedCurveInputGql {
    year: i32,
    /// 12 cumulative amounts (soles), January first, never decreasing.
    months: Vec<f64>,
}

/// An investment's definition. Dates as `YYYY-MM-DD`; amounts in soles.
#[derive(InputObject)]
#[graphql(name = "InvestmentInput")]
pub struct InvestmentInputGql {
    /// 7 digits; required except for an idea not yet registered.
    cui: Option<String>,
    name: String,
    kind: InvestmentKindGql,
    level: GovernmentLevelGql,
    function: InvestmentFunctionGql,
    #[graphql(default)]
    programme: String,
    #[graphql(default)]
    subprogramme: String,
    stage: InvestmentStageGql,
    modality: ExecutionModalityGql,
    financing_source: FinancingSourceGql,
    #[graphql(default)]
    participatory_budget: bool,
    #[graphql(default)]
    prioritised: bool,
    /// INEI ubigeo (2, 4 or 6 digits).
    ubigeo: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    beneficiaries: Option<i64>,
    viable_amount: Option<f64>,
    updated_cost: Option<f64>,
    viability_date: Option<String>,
    start_date: Option<String>,
    planned_end_date: Option<String>,
    executing_actor_id: Option<ID>,
    /// The unit under the executing actor.
    #[graphql(default)]
    executing_unit: String,
    /// Replaces the links when given (kept on update when omitted).
    links: Option<Vec<LinkInputGql>>,
    /// Replaces the planned curves when given (kept on update when omitted).
    planned_curves: Option<Vec<PlannedCurveInputGql>>,
}

impl InvestmentInputGql {
    fn into_app(self) -> async_graphql::Result<InvestmentInput> {
        let links = match self.links {
            Some(links) => Some(
                links
                    .into_iter()
                    .map(|l| {
                        Ok(InvestmentLinkInput {
                            objective_id: l
                                .objective_id
                                .as_ref()
                                .map(|o| parse_id("links.objectiveId", o))
                                .transpose()?,
                            indicator_id: l
                                .indicator_id
                                .as_ref()
                                .map(|i| parse_id("links.indicatorId", i))
                                .transpose()?,
                            expected_change: l.expected_change,
                        })
                    })
                    .collect::<async_graphql::Result<Vec<_>>>()?,
            ),
            None => None,
        };
        Ok(InvestmentInput {
            definition: InvestmentDraft {
                cui: self.cui,
                name: self.name,
                kind: InvestmentKind::from(self.kind).as_str().into(),
                level: GovernmentLevel::from(self.level).as_str().into(),
                function: InvestmentFunction::from(self.function).as_str().into(),
                programme: self.programme,
                subprogramme: self.subprogramme,
                stage: InvestmentStage::from(self.stage).as_str().into(),
                modality: ExecutionModality::from(self.modality).as_str().into(),
                financing_source: FinancingSource::from(self.financing_source).as_str().into(),
                participatory_budget: self.participatory_budget,
                prioritised: self.prioritised,
                ubigeo: self.ubigeo,
                latitude: self.latitude,
                longitude: self.longitude,
                beneficiaries: self.beneficiaries,
                viable_amount: self.viable_amount,
                updated_cost: self.updated_cost,
                viability_date: self.viability_date,
                start_date: self.start_date,
                planned_end_date: self.planned_end_date,
                executing_actor_id: self
                    .executing_actor_id
                    .as_ref()
                    .map(|a| parse_id("executingActorId", a))
                    .transpose()?,
                executing_unit: self.executing_unit,
            },
            links,
            planned_curves: self.planned_curves.map(|ps| {
                ps.into_iter()
                    .map(|p| PlannedCurveInput {
                        year: p.year,
                        months: p.months,
                    })
                    .collect()
            }),
        })
    }
}

/// A snapshot of an investment's execution on a date. Amounts not given are taken from the
/// snapshot of the same date, else the latest earlier one of the same year. A contributor
/// of the executing actor gives physical progress only.
#[derive(InputObject)]
#[graphql(name = "InvestmentProgressInput")]
pub struct ProgressInputGql {
    /// `YYYY-MM-DD`.
    as_of: String,
    pia: Option<f64>,
    pim: Option<f64>,
    certified: Option<f64>,
    committed: Option<f64>,
    /// Devengado of the year to asOf.
    accrued: Option<f64>,
    paid: Option<f64>,
    /// Devengado of earlier years.
    accrued_before: Option<f64>,
    /// 0..100.
    physical_progress: Option<f64>,
    /// When it was measured (default asOf).
    physical_measured_on: Option<String>,
    /// What backs it (a valuation, a supervisor's report, a link).
    physical_evidence: Option<String>,
}

#[derive(InputObject)]
#[graphql(name = "AlertThresholdsInput")]
pub struct ThresholdsInputGql {
    #[graphql(default = 2)]
    stalled_months: i32,
    #[graphql(default = 15.0)]
    physical_lag_points: f64,
    #[graphql(default = 10.0)]
    plan_gap_points: f64,
    #[graphql(default = 25.0)]
    pace_gap_points: f64,
    #[graphql(default = 20.0)]
    pim_change_percent: f64,
}

#[derive(InputObject)]
#[graphql(name = "JudgedCriterionInput")]
pub struct JudgedCriterionInputGql {
    /// 1 to 40 letters, digits, `_` or `-`.
    code: String,
    name: String,
    weight: f64,
}

#[derive(InputObject)]
#[graphql(name = "PrioritisationCriteriaInput")]
pub struct CriteriaInputGql {
    gap_weight: f64,
    stage_weight: f64,
    scale_weight: f64,
    #[graphql(default_with = "ScaleBasisGql::Beneficiaries")]
    scale_basis: ScaleBasisGql,
    #[graphql(default)]
    judged: Vec<JudgedCriterionInputGql>,
}

#[derive(InputObject)]
#[graphql(name = "BudgetEnvelopeInput")]
pub struct EnvelopeInputGql {
    year: i32,
    /// Soles; null removes the year's envelope.
    amount: Option<f64>,
}

/// Each part given replaces the stored one.
#[derive(InputObject)]
#[graphql(name = "InvestmentSettingsInput")]
pub struct SettingsInputGql {
    thresholds: Option<ThresholdsInputGql>,
    criteria: Option<CriteriaInputGql>,
    #[graphql(default)]
    envelopes: Vec<EnvelopeInputGql>,
}

#[derive(Default)]
pub struct InvestmentMutation;

#[Object]
impl InvestmentMutation {
    /// Creates an investment in an ecosystem. Coordinator or admin.
    async fn create_investment(
        &self,
        ctx: &Context<'_>,
        ecosystem_id: ID,
        input: InvestmentInputGql,
    ) -> async_graphql::Result<InvestmentGql> {
        let caller = ctx.require_caller()?;
        let eco = parse_id("ecosystemId", &ecosystem_id)?;
        let input = input.into_app()?;
        Ok(InvestmentGql(
            ctx.app()?
                .create_investment(caller, eco, input)
                .await
                .gql()?,
        ))
    }

    /// Replaces an investment's definition (links and planned curves when given).
    /// Coordinator or admin.
    async fn update_investment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: InvestmentInputGql,
    ) -> async_graphql::Result<InvestmentGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        let input = input.into_app()?;
        Ok(InvestmentGql(
            ctx.app()?
                .update_investment(caller, id, input)
                .await
                .gql()?,
        ))
    }

    /// Records a snapshot of an investment's execution (replacing the one of the same
    /// date). Coordinator or admin; a contributor of the executing actor records physical
    /// progress only.
    async fn record_investment_progress(
        &self,
        ctx: &Context<'_>,
        investment_id: ID,
        input: ProgressInputGql,
    ) -> async_graphql::Result<InvestmentGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("investmentId", &investment_id)?;
        let input = ProgressInput {
            as_of: input.as_of,
            pia: input.pia,
            pim: input.pim,
            certified: input.certified,
            committed: input.committed,
            accrued: input.accrued,
            paid: input.paid,
            accrued_before: input.accrued_before,
            physical_progress: input.physical_progress,
            physical_measured_on: input.physical_measured_on,
            physical_evidence: input.physical_evidence,
        };
        Ok(InvestmentGql(
            ctx.app()?
                .record_investment_progress(caller, id, input)
                .await
                .gql()?,
        ))
    }

    /// Sets an ecosystem's alert thresholds, prioritisation criteria and budget envelopes.
    /// Coordinator or admin.
    async fn set_investment_settings(
        &self,
        ctx: &Context<'_>,
        ecosystem_id: ID,
        input: SettingsInputGql,
    ) -> async_graphql::Result<SettingsGql> {
        let caller = ctx.require_caller()?;
        let eco = parse_id("ecosystemId", &ecosystem_id)?;
        let input = InvestmentSettingsInput {
            thresholds: input.thresholds.map(|t| AlertThresholds {
                stalled_months: t.stalled_months,
                physical_lag_points: t.physical_lag_points,
                plan_gap_points: t.plan_gap_points,
                pace_gap_points: t.pace_gap_points,
                pim_change_percent: t.pim_change_percent,
            }),
            criteria: input.criteria.map(|c| Criteria {
                gap_weight: c.gap_weight,
                stage_weight: c.stage_weight,
                scale_weight: c.scale_weight,
                scale_basis: c.scale_basis.into(),
                judged: c
                    .judged
                    .into_iter()
                    .map(|j| JudgedCriterion {
                        code: j.code,
                        name: j.name,
                        weight: j.weight,
                    })
                    .collect(),
            }),
            envelopes: input
                .envelopes
                .into_iter()
                .map(|e| (e.year, e.amount))
                .collect(),
        };
        Ok(ctx
            .app()?
            .set_investment_settings(caller, eco, input)
            .await
            .gql()?
            .into())
    }

    /// Scores an investment 1..5 on a judged criterion of its ecosystem (null removes the
    /// score). Coordinator or admin.
    async fn score_investment(
        &self,
        ctx: &Context<'_>,
        investment_id: ID,
        criterion: String,
        score: Option<i32>,
    ) -> async_graphql::Result<InvestmentGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("investmentId", &investment_id)?;
        Ok(InvestmentGql(
            ctx.app()?
                .score_investment(caller, id, criterion, score)
                .await
                .gql()?,
        ))
    }
}
