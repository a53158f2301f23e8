//! The public portal's read side: one use case per page and per open-data file, each
//! returning a view model of published (approved) data only.
//!
//! View models hold values copied out of the read models (and domain types), shaped for one
//! page each, so the portal's markup depends on this module and the domain, not on the
//! database.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use tokio::sync::broadcast;

use crate::domain::causal::CausalCheck;
use crate::domain::impact::{CumulativePoint, Scenario, Threshold, VecKind};
use crate::domain::scoring::{Direction, Evaluation, Score, Status};
use crate::domain::shared_value::{HybridPoint, HybridRelation, HybridStatus};
use crate::domain::{ChallengeStatus, MeasurementStatus, Period};
use crate::export::map::MapDocument;

use super::model::{Ecosystem, Indicator, Measurement, Theme};
use super::{
    AppError, ApprovedValue, Ayni, IndicatorCard, MeasurementFilter, ObjectiveCard, Scorecard,
    SeriesPoint,
};

/// Most observation rows a computed indicator's page lists.
const MAX_PROVENANCE_ROWS: usize = 120;

/// An ecosystem as every portal page heads it.
#[derive(Debug, Clone)]
pub struct PortalEcosystem {
    pub slug: String,
    pub name: String,
    /// The territory's ubigeo.
    pub territory: String,
    pub mission: String,
    pub vision: String,
    pub horizon_start: i32,
    pub horizon_end: i32,
    /// Demo data: the portal says its figures are illustrative.
    pub illustrative: bool,
}

impl From<&Ecosystem> for PortalEcosystem {
    fn from(e: &Ecosystem) -> Self {
        PortalEcosystem {
            slug: e.slug.clone(),
            name: e.name.clone(),
            territory: e.territory.as_str().to_string(),
            mission: e.mission.clone(),
            vision: e.vision.clone(),
            horizon_start: e.horizon_start,
            horizon_end: e.horizon_end,
            illustrative: e.illustrative,
        }
    }
}

/// An ecosystem as the home page and its open data show it.
#[derive(Debug, Clone)]
pub struct EcosystemSummary {
    pub ecosystem: PortalEcosystem,
    /// The latest period with data (else the horizon's first year).
    pub period: String,
    pub score: Score,
    pub status: Status,
    pub latest_approval: Option<NaiveDateTime>,
}

/// The home page: every ecosystem with its latest score.
#[derive(Debug, Clone)]
pub struct HomePage {
    pub ecosystems: Vec<EcosystemSummary>,
}

/// A scorecard as the portal shows it, perspectives in the ecosystem's order.
#[derive(Debug, Clone)]
pub struct ScorecardView {
    pub period: String,
    pub score: Score,
    pub status: Status,
    pub perspectives: Vec<PerspectiveView>,
}

#[derive(Debug, Clone)]
pub struct PerspectiveView {
    pub name: String,
    pub score: Score,
    pub status: Status,
    pub objectives: Vec<ObjectiveView>,
}

#[derive(Debug, Clone)]
pub struct ObjectiveView {
    pub code: String,
    pub name: String,
    /// The theme's code, if the objective has one.
    pub theme: Option<String>,
    pub score: Score,
    pub status: Status,
    pub indicators: Vec<IndicatorView>,
}

#[derive(Debug, Clone)]
pub struct IndicatorView {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub formula: Option<String>,
    /// Which way is better (a `RANGE` indicator's band is shown with its values).
    pub direction: Direction,
    /// The baseline's value, to tell a regression below it.
    pub baseline: Option<f64>,
    pub evaluation: Evaluation,
}

/// An ecosystem's scorecard for one period (the scorecard and map downloads).
#[derive(Debug, Clone)]
pub struct EcosystemScorecard {
    pub ecosystem: PortalEcosystem,
    pub scorecard: ScorecardView,
}

/// What the ecosystem page is asked for.
#[derive(Debug, Clone, Default)]
pub struct EcosystemPageQuery {
    /// Default: the latest period with data.
    pub period: Option<String>,
    /// A theme's code: only its objectives are listed (an unknown code filters nothing).
    pub theme: Option<String>,
    /// An actor's id: only the indicators it is responsible for are listed.
    pub actor: Option<i64>,
}

/// A theme to filter by.
#[derive(Debug, Clone)]
pub struct ThemeOption {
    pub code: String,
    pub name: String,
}

/// An actor of the ecosystem, to filter by.
#[derive(Debug, Clone)]
pub struct ActorOption {
    pub id: i64,
    pub name: String,
}

/// A cause-effect link of the strategy map with the data check of it.
#[derive(Debug, Clone)]
pub struct LinkView {
    /// The cause's objective code (`None` if the objective is unknown).
    pub cause: Option<String>,
    pub effect: Option<String>,
    pub description: String,
    pub check: Option<CausalCheck>,
}

/// The ecosystem page: key figures, strategy map, scorecard, filters.
#[derive(Debug, Clone)]
pub struct EcosystemPage {
    pub ecosystem: PortalEcosystem,
    /// The whole scorecard of the period: the key figures, the map's colours and its text
    /// alternative.
    pub scorecard: ScorecardView,
    /// The part of the scorecard that passes the theme and actor filters.
    pub shown: Vec<PerspectiveView>,
    /// The strategy map, without statuses (the page colours it in the reader's language).
    pub map: MapDocument,
    pub links: Vec<LinkView>,
    pub themes: Vec<ThemeOption>,
    pub actors: Vec<ActorOption>,
    /// The theme filtered by, when it is one of the ecosystem's.
    pub theme: Option<String>,
    pub actor: Option<i64>,
    /// The lock that closed the scorecard's period, if one did ("cifras cerradas").
    pub closed: Option<ClosedPeriod>,
}

/// A period whose figures the ecosystem closed, as the portal shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedPeriod {
    pub period: String,
    pub reason: String,
    pub locked_at: chrono::NaiveDateTime,
}

/// A variable a formula reads.
#[derive(Debug, Clone)]
pub struct VariableRef {
    pub code: String,
    pub name: String,
    pub unit: String,
}

#[derive(Debug, Clone)]
pub struct TargetView {
    pub period: String,
    pub value: f64,
}

/// A territory's value of an indicator.
#[derive(Debug, Clone)]
pub struct TerritoryValue {
    /// The ubigeo.
    pub territory: String,
    pub value: f64,
}

/// An approved value with its provenance: who, when, evidence, approval, audit entry.
#[derive(Debug, Clone)]
pub struct PublishedValue {
    pub id: i64,
    /// The code of what the value is of: the indicator, or one of its formula's variables.
    pub subject: String,
    pub period: String,
    pub territory: String,
    pub disaggregation: String,
    pub value: f64,
    pub revision: i32,
    pub counted: bool,
    /// The contributing actor's name.
    pub actor: Option<String>,
    pub submitted_at: NaiveDateTime,
    pub evidence_url: Option<String>,
    pub evidence_text: Option<String>,
    /// The SHA-256 of its evidence file (served at `/archivos/{sha256}`: the value is
    /// approved).
    pub evidence_file: Option<String>,
    /// The reviewer's user number (never an e-mail).
    pub reviewed_by: Option<i64>,
    /// The name of the actor the reviewer speaks for.
    pub reviewer_actor: Option<String>,
    pub reviewed_at: Option<NaiveDateTime>,
    /// The sequence number of the audit entry that last wrote the value.
    pub audit_seq: Option<i64>,
}

/// A challenge on a published value, with its answer once given.
#[derive(Debug, Clone)]
pub struct ChallengeView {
    /// The value challenged.
    pub measurement_id: i64,
    pub opened_at: NaiveDateTime,
    pub reason: String,
    pub status: ChallengeStatus,
    pub answer: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
}

/// The indicator page: definition, trajectory, values by territory, provenance.
#[derive(Debug, Clone)]
pub struct IndicatorPage {
    pub ecosystem: PortalEcosystem,
    pub indicator: super::model::Indicator,
    /// The variables of its formula.
    pub inputs: Vec<VariableRef>,
    /// The responsible actors' names.
    pub responsible: Vec<String>,
    pub targets: Vec<TargetView>,
    pub series: Vec<SeriesPoint>,
    /// Values by territory (ubigeo order) for `territory_period`, the latest period that
    /// has any (computed for formula indicators).
    pub by_territory: Vec<TerritoryValue>,
    pub territory_period: Option<Period>,
    /// Approved values (for a formula indicator, its variables' counted observations, the
    /// newest first, at most [`MAX_PROVENANCE_ROWS`]).
    pub values: Vec<PublishedValue>,
    /// Every challenge on its published values (open ones first), with the answers.
    pub challenges: Vec<ChallengeView>,
    /// The names of a `PREFERRED` rule's actors, in order.
    pub preferred: Vec<String>,
    /// Coordinators' de-duplication adjustments of its cells.
    pub adjustments: Vec<super::model::Adjustment>,
    /// The ecosystem's closed periods (they apply to every indicator of it), newest first.
    pub closed: Vec<ClosedPeriod>,
}

/// An indicator's approved values (the values download).
#[derive(Debug, Clone)]
pub struct IndicatorValues {
    pub ecosystem: PortalEcosystem,
    pub indicator_code: String,
    pub values: Vec<PublishedValue>,
}

/// An indicator's trajectory (the series download).
#[derive(Debug, Clone)]
pub struct IndicatorSeries {
    pub ecosystem: PortalEcosystem,
    pub indicator_code: String,
    pub points: Vec<SeriesPoint>,
}

/// A VEC's cumulative state.
#[derive(Debug, Clone)]
pub struct VecView {
    pub code: String,
    pub name: String,
    pub kind: VecKind,
    pub unit: String,
    pub baseline_period: String,
    pub baseline_value: f64,
    pub threshold: Threshold,
    pub point: CumulativePoint,
}

/// Every VEC's cumulative state at a period under a scenario.
#[derive(Debug, Clone)]
pub struct CumulativeImpacts {
    pub ecosystem: PortalEcosystem,
    pub period: String,
    pub scenario: Scenario,
    pub vecs: Vec<VecView>,
}

/// A hybrid metric with its series and causal check.
#[derive(Debug, Clone)]
pub struct HybridMetricView {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub relation: HybridRelation,
    pub status: HybridStatus,
    /// The company's name.
    pub company: Option<String>,
    pub series: Vec<HybridPoint>,
    pub check: CausalCheck,
}

/// An ecosystem's hybrid metrics (the hybrid metrics download).
#[derive(Debug, Clone)]
pub struct HybridMetrics {
    pub ecosystem: PortalEcosystem,
    pub metrics: Vec<HybridMetricView>,
}

/// An ecosystem's cause-effect links (the links download).
#[derive(Debug, Clone)]
pub struct EcosystemLinks {
    pub ecosystem: PortalEcosystem,
    pub links: Vec<LinkView>,
}

/// The impacts page: cumulative impacts and hybrid metrics.
#[derive(Debug, Clone)]
pub struct ImpactsPage {
    pub ecosystem: PortalEcosystem,
    pub period: String,
    pub scenario: Scenario,
    pub vecs: Vec<VecView>,
    pub hybrids: Vec<HybridMetricView>,
}

/// A value just approved, as live readers receive it.
#[derive(Debug, Clone)]
pub struct LiveValue {
    pub indicator: String,
    pub period: String,
    pub territory: String,
    pub value: f64,
}

/// The values approved in one ecosystem from now on.
pub struct LiveValues {
    slug: String,
    rx: broadcast::Receiver<ApprovedValue>,
}

impl LiveValues {
    /// The next value approved in this ecosystem; `None` once the service stops. Cancel-safe:
    /// dropping the future loses no value of this ecosystem.
    pub async fn recv(&mut self) -> Option<LiveValue> {
        loop {
            match self.rx.recv().await {
                Ok(v) if v.ecosystem_slug == self.slug => {
                    return Some(LiveValue {
                        indicator: v.indicator_code,
                        period: v.measurement.period.to_string(),
                        territory: v.measurement.territory,
                        value: v.measurement.value,
                    });
                }
                // A slow reader skips what it missed; the next value brings the page up to date.
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

/// Which part of a scorecard a page lists.
#[derive(Default)]
struct ScorecardFilter {
    theme: Option<i64>,
    /// An actor and, per indicator id, its responsible actors.
    actor: Option<(i64, HashMap<i64, Vec<i64>>)>,
}

impl ScorecardFilter {
    fn keeps_objective(&self, o: &ObjectiveCard) -> bool {
        self.theme.is_none() || o.objective.theme_id == self.theme
    }

    fn keeps_indicator(&self, i: &IndicatorCard) -> bool {
        self.actor.as_ref().is_none_or(|(actor, responsible)| {
            responsible
                .get(&i.indicator.id)
                .is_some_and(|r| r.contains(actor))
        })
    }
}

/// The part of `card` that passes `filter`; with an actor, objectives left without
/// indicators are left out. Every perspective stays.
fn perspective_views(
    card: &Scorecard,
    themes: &[Theme],
    filter: &ScorecardFilter,
) -> Vec<PerspectiveView> {
    let theme_code = |id: Option<i64>| {
        id.and_then(|t| themes.iter().find(|x| x.id == t))
            .map(|t| t.code.clone())
    };
    card.perspectives
        .iter()
        .map(|p| PerspectiveView {
            name: p.perspective.name.clone(),
            score: p.score,
            status: p.status,
            objectives: p
                .objectives
                .iter()
                .filter(|o| filter.keeps_objective(o))
                .map(|o| ObjectiveView {
                    code: o.objective.code.clone(),
                    name: o.objective.name.clone(),
                    theme: theme_code(o.objective.theme_id),
                    score: o.score,
                    status: o.status,
                    indicators: o
                        .indicators
                        .iter()
                        .filter(|i| filter.keeps_indicator(i))
                        .map(|i| IndicatorView {
                            code: i.indicator.definition.code.clone(),
                            name: i.indicator.definition.name.clone(),
                            unit: i.indicator.definition.unit.clone(),
                            formula: i.indicator.definition.formula.clone(),
                            direction: i.indicator.definition.direction,
                            baseline: i.baseline.map(|b| b.value),
                            evaluation: i.evaluation,
                        })
                        .collect(),
                })
                .filter(|o| filter.actor.is_none() || !o.indicators.is_empty())
                .collect(),
        })
        .collect()
}

fn scorecard_view(card: &Scorecard, period: &str, themes: &[Theme]) -> ScorecardView {
    ScorecardView {
        period: period.to_string(),
        score: card.score,
        status: card.status,
        perspectives: perspective_views(card, themes, &ScorecardFilter::default()),
    }
}

impl Ayni {
    async fn ecosystem_at(&self, slug: &str) -> Result<Ecosystem, AppError> {
        self.ecosystem_by_slug(slug.to_string())
            .await?
            .ok_or_else(|| AppError::not_found(format!("ecosystem '{slug}'")))
    }

    async fn indicator_at(&self, eco: &Ecosystem, code: &str) -> Result<Indicator, AppError> {
        self.indicator_by_code(eco.id, code.to_string())
            .await?
            .ok_or_else(|| AppError::not_found(format!("indicator '{code}'")))
    }

    /// The year of the latest approved value, else the ecosystem's first horizon year.
    async fn default_period(&self, eco: &Ecosystem) -> Result<String, AppError> {
        Ok(self
            .latest_value_period(eco.id)
            .await?
            .map_or(eco.horizon_start, |p| p.year())
            .to_string())
    }

    /// The period asked (checked), else the default one.
    async fn period_or_default(
        &self,
        eco: &Ecosystem,
        asked: Option<String>,
    ) -> Result<String, AppError> {
        match asked.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => {
                Period::parse("period", p)?;
                Ok(p.to_string())
            }
            None => self.default_period(eco).await,
        }
    }

    /// Every approved revision of an indicator's values (what the public sees).
    async fn approved_values_of(&self, indicator_id: i64) -> Result<Vec<Measurement>, AppError> {
        let filter = MeasurementFilter {
            status: Some(MeasurementStatus::Approved),
            ..MeasurementFilter::default()
        };
        self.measurements(None, vec![indicator_id], filter).await
    }

    /// Values with their provenance; each with the code of what it is a value of.
    async fn with_provenance(
        &self,
        values: Vec<(String, Measurement)>,
    ) -> Result<Vec<PublishedValue>, AppError> {
        let seqs: HashMap<i64, i64> = self
            .measurement_audit_seqs(values.iter().map(|(_, m)| m.id).collect())
            .await?
            .into_iter()
            .collect();
        // Who approved: the reviewer's user number and the actor it speaks for (no e-mails).
        let reviewers: HashMap<i64, Option<i64>> = self
            .user_actors(values.iter().filter_map(|(_, m)| m.reviewed_by).collect())
            .await?
            .into_iter()
            .collect();
        let actor_names: HashMap<i64, String> = self
            .actors_by_ids(
                values
                    .iter()
                    .map(|(_, m)| m.actor_id)
                    .chain(reviewers.values().flatten().copied())
                    .collect(),
            )
            .await?
            .into_iter()
            .map(|a| (a.id, a.name))
            .collect();
        Ok(values
            .into_iter()
            .map(|(subject, m)| PublishedValue {
                actor: actor_names.get(&m.actor_id).cloned(),
                reviewer_actor: m
                    .reviewed_by
                    .and_then(|u| reviewers.get(&u).copied().flatten())
                    .and_then(|a| actor_names.get(&a).cloned()),
                audit_seq: seqs.get(&m.id).copied(),
                id: m.id,
                subject,
                period: m.period.to_string(),
                territory: m.territory,
                disaggregation: m.disaggregation,
                value: m.value,
                revision: m.revision,
                counted: m.counted,
                submitted_at: m.submitted_at,
                evidence_url: m.evidence_url,
                evidence_text: m.evidence_text,
                evidence_file: m.evidence_file,
                reviewed_by: m.reviewed_by,
                reviewed_at: m.reviewed_at,
            })
            .collect())
    }

    async fn link_views(&self, ecosystem_id: i64) -> Result<Vec<LinkView>, AppError> {
        let map = self.strategy_map(ecosystem_id).await?;
        self.link_views_of(ecosystem_id, &map).await
    }

    async fn link_views_of(
        &self,
        ecosystem_id: i64,
        map: &super::StrategyMap,
    ) -> Result<Vec<LinkView>, AppError> {
        let mut evidence: HashMap<i64, CausalCheck> = self
            .link_evidence(ecosystem_id)
            .await?
            .into_iter()
            .map(|e| (e.link_id, e.check))
            .collect();
        let code = |id: i64| {
            map.objectives
                .iter()
                .find(|o| o.id == id)
                .map(|o| o.code.clone())
        };
        Ok(map
            .links
            .iter()
            .map(|l| LinkView {
                cause: code(l.cause_id),
                effect: code(l.effect_id),
                description: l.description.clone(),
                check: evidence.remove(&l.id),
            })
            .collect())
    }

    async fn cumulative_impacts_of(
        &self,
        eco: &Ecosystem,
        period: Option<String>,
        scenario: Scenario,
    ) -> Result<CumulativeImpacts, AppError> {
        let period = period
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| eco.horizon_end.to_string());
        let vecs = self
            .cumulative_impacts(eco.id, period.clone(), scenario)
            .await?
            .into_iter()
            .map(|s| {
                Ok(VecView {
                    kind: s.vec.kind,
                    code: s.vec.code,
                    name: s.vec.name,
                    unit: s.vec.unit,
                    baseline_period: s.vec.baseline_period.to_string(),
                    baseline_value: s.vec.baseline_value,
                    threshold: s.threshold,
                    point: s.point,
                })
            })
            .collect::<Result<_, AppError>>()?;
        Ok(CumulativeImpacts {
            ecosystem: PortalEcosystem::from(eco),
            period,
            scenario,
            vecs,
        })
    }

    async fn hybrid_views(&self, ecosystem_id: i64) -> Result<Vec<HybridMetricView>, AppError> {
        let hybrids = self.hybrid_metrics(ecosystem_id).await?;
        let companies: HashMap<i64, String> = self
            .actors_by_ids(hybrids.iter().map(|h| h.metric.company_actor_id).collect())
            .await?
            .into_iter()
            .map(|a| (a.id, a.name))
            .collect();
        hybrids
            .into_iter()
            .map(|h| {
                Ok(HybridMetricView {
                    relation: h.metric.relation,
                    status: h.metric.status,
                    company: companies.get(&h.metric.company_actor_id).cloned(),
                    code: h.metric.code,
                    name: h.metric.name,
                    unit: h.metric.unit,
                    series: h.series,
                    check: h.check,
                })
            })
            .collect()
    }

    /// The home page: every ecosystem with its latest period's score.
    pub async fn portal_home(&self) -> Result<HomePage, AppError> {
        let mut ecosystems = Vec::new();
        for eco in self.ecosystems().await? {
            let period = self.default_period(&eco).await?;
            let card = self.scorecard(eco.id, period.clone()).await?;
            let latest_approval = self.latest_approval(eco.id).await?;
            ecosystems.push(EcosystemSummary {
                ecosystem: PortalEcosystem::from(&eco),
                period,
                score: card.score,
                status: card.status,
                latest_approval,
            });
        }
        Ok(HomePage { ecosystems })
    }

    /// The ecosystem page: its scorecard for a period (default: the latest with data), the
    /// strategy map with each link's data check, and the filters' choices.
    pub async fn portal_ecosystem(
        &self,
        slug: &str,
        query: EcosystemPageQuery,
    ) -> Result<EcosystemPage, AppError> {
        let eco = self.ecosystem_at(slug).await?;
        let period = self.period_or_default(&eco, query.period).await?;
        let card = self.scorecard(eco.id, period.clone()).await?;
        let map = self.strategy_map(eco.id).await?;
        let members = self.members_of(vec![eco.id]).await?;
        let actors = self
            .actors_by_ids(members.iter().map(|m| m.actor_id).collect())
            .await?
            .into_iter()
            .map(|a| ActorOption {
                id: a.id,
                name: a.name,
            })
            .collect();
        let theme = query
            .theme
            .as_deref()
            .and_then(|c| map.themes.iter().find(|t| t.code == c));
        let actor = match query.actor {
            None => None,
            Some(a) => {
                let ids: Vec<i64> = card
                    .perspectives
                    .iter()
                    .flat_map(|p| &p.objectives)
                    .flat_map(|o| &o.indicators)
                    .map(|i| i.indicator.id)
                    .collect();
                let mut responsible: HashMap<i64, Vec<i64>> = HashMap::new();
                for (i, r) in self.indicator_responsibles_of(ids).await? {
                    responsible.entry(i).or_default().push(r);
                }
                Some((a, responsible))
            }
        };
        let filter = ScorecardFilter {
            theme: theme.map(|t| t.id),
            actor,
        };
        let links = self.link_views_of(eco.id, &map).await?;
        let shown_period = Period::parse("period", &period).ok();
        let closed = self.closed_periods(eco.id).await?.into_iter().find(|c| {
            Period::parse("period", &c.period)
                .ok()
                .zip(shown_period)
                .is_some_and(|(lock, shown)| lock.contains(&shown))
        });
        Ok(EcosystemPage {
            ecosystem: PortalEcosystem::from(&eco),
            scorecard: scorecard_view(&card, &period, &map.themes),
            shown: perspective_views(&card, &map.themes, &filter),
            map: MapDocument::new(&eco, &map),
            links,
            themes: map
                .themes
                .iter()
                .map(|t| ThemeOption {
                    code: t.code.clone(),
                    name: t.name.clone(),
                })
                .collect(),
            actors,
            theme: theme.map(|t| t.code.clone()),
            actor: query.actor,
            closed,
        })
    }

    /// An ecosystem's active period locks, as the portal shows them (no names).
    async fn closed_periods(&self, ecosystem_id: i64) -> Result<Vec<ClosedPeriod>, AppError> {
        Ok(self
            .period_locks(ecosystem_id, false)
            .await?
            .into_iter()
            .map(|l| ClosedPeriod {
                period: l.period,
                reason: l.reason,
                locked_at: l.locked_at,
            })
            .collect())
    }

    /// The indicator page: its definition, targets and trajectory, its latest values by
    /// territory, and every published value with its provenance and open challenges.
    pub async fn portal_indicator(
        &self,
        slug: &str,
        code: &str,
    ) -> Result<IndicatorPage, AppError> {
        let eco = self.ecosystem_at(slug).await?;
        let ind = self.indicator_at(&eco, code).await?;
        let targets = self
            .targets_of(vec![ind.id])
            .await?
            .into_iter()
            .map(|t| TargetView {
                period: t.period.to_string(),
                value: t.value,
            })
            .collect();
        let series = self.series(ind.id, None, None).await?;
        let named = self
            .actors_by_ids(ind.definition.actor_rule.preferred().to_vec())
            .await?;
        let preferred = ind
            .definition
            .actor_rule
            .preferred()
            .iter()
            .filter_map(|id| named.iter().find(|a| a.id == *id).map(|a| a.name.clone()))
            .collect();
        let adjustments = self.adjustments_of_indicators(vec![ind.id]).await?;
        let responsible = self
            .actors_by_ids(
                self.indicator_responsibles_of(vec![ind.id])
                    .await?
                    .into_iter()
                    .map(|(_, a)| a)
                    .collect(),
            )
            .await?
            .into_iter()
            .map(|a| a.name)
            .collect();
        let inputs = self
            .variables_by_ids(
                self.indicator_inputs(vec![ind.id])
                    .await?
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect(),
            )
            .await?;
        let mut values: Vec<(String, Measurement)> = self
            .approved_values_of(ind.id)
            .await?
            .into_iter()
            .map(|m| (ind.definition.code.clone(), m))
            .collect();
        // A computed indicator's numbers come from its variables' observations: show theirs.
        if ind.definition.formula.is_some() {
            for v in &inputs {
                for m in self
                    .observations(None, v.id, MeasurementFilter::default())
                    .await?
                {
                    if m.counted {
                        values.push((v.code.clone(), m));
                    }
                }
            }
            // The newest first, and a page that stays light on a phone.
            values.sort_by(|(_, a), (_, b)| {
                b.period
                    .end()
                    .cmp(&a.period.end())
                    .then(a.territory.cmp(&b.territory))
            });
            values.truncate(MAX_PROVENANCE_ROWS);
        }

        // Values by territory for the latest period that has any (computed for formulas).
        let mut by_territory: BTreeMap<String, f64> = BTreeMap::new();
        let mut territory_period = None;
        if ind.definition.formula.is_some() {
            for t in [
                eco.territory.as_str().to_string(),
                format!("{}01", eco.territory),
                format!("{}02", eco.territory),
                format!("{}03", eco.territory),
            ] {
                if let Ok((points, _)) = self.formula_series(ind.id, Some(t.clone())).await
                    && let Some(last) = points.iter().max_by_key(|p| p.period)
                {
                    territory_period = territory_period.max(Some(last.period));
                    by_territory.insert(t, last.value);
                }
            }
        } else {
            // Each territory's value combines its actors' parts by the indicator's rule.
            let cells = self.combined_by_territory(ind.id).await?;
            let latest = cells.iter().map(|c| c.0).max();
            territory_period = latest;
            for (period, territory, value) in cells {
                if Some(period) == latest {
                    by_territory.insert(territory, value);
                }
            }
        }

        let mut challenges: Vec<ChallengeView> = self
            .challenges_of(values.iter().map(|(_, m)| m.id).collect())
            .await?
            .into_iter()
            .map(|c| ChallengeView {
                measurement_id: c.measurement_id,
                opened_at: c.opened_at,
                reason: c.reason,
                status: c.status,
                answer: c.answer,
                answered_at: c.answered_at,
            })
            .collect();
        // Open ones first, then the newest.
        challenges.sort_by_key(|c| {
            (
                c.status != ChallengeStatus::Open,
                std::cmp::Reverse(c.opened_at),
            )
        });
        let values = self.with_provenance(values).await?;
        let closed = self.closed_periods(eco.id).await?;
        Ok(IndicatorPage {
            ecosystem: PortalEcosystem::from(&eco),
            indicator: ind,
            inputs: inputs
                .into_iter()
                .map(|v| VariableRef {
                    code: v.code,
                    name: v.name,
                    unit: v.unit,
                })
                .collect(),
            responsible,
            targets,
            series,
            by_territory: by_territory
                .into_iter()
                .map(|(territory, value)| TerritoryValue { territory, value })
                .collect(),
            territory_period,
            values,
            challenges,
            preferred,
            adjustments,
            closed,
        })
    }

    /// The impacts page: every VEC's cumulative state at a period (default: the horizon's
    /// last year) under a scenario, and the hybrid metrics.
    pub async fn portal_impacts(
        &self,
        slug: &str,
        period: Option<String>,
        scenario: Scenario,
    ) -> Result<ImpactsPage, AppError> {
        let eco = self.ecosystem_at(slug).await?;
        let CumulativeImpacts {
            ecosystem,
            period,
            scenario,
            vecs,
        } = self.cumulative_impacts_of(&eco, period, scenario).await?;
        Ok(ImpactsPage {
            ecosystem,
            period,
            scenario,
            vecs,
            hybrids: self.hybrid_views(eco.id).await?,
        })
    }

    /// The live updates of an ecosystem's pages: every value approved from now on.
    pub async fn portal_events(&self, slug: &str) -> Result<LiveValues, AppError> {
        let eco = self.ecosystem_at(slug).await?;
        Ok(LiveValues {
            slug: eco.slug,
            rx: self.approved_values(),
        })
    }

    /// A period's scorecard (default: the latest with data), for the scorecard and map
    /// downloads.
    pub async fn open_scorecard(
        &self,
        slug: &str,
        period: Option<String>,
    ) -> Result<EcosystemScorecard, AppError> {
        let eco = self.ecosystem_at(slug).await?;
        let period = self.period_or_default(&eco, period).await?;
        let card = self.scorecard(eco.id, period.clone()).await?;
        let themes = self.themes_of(vec![eco.id]).await?;
        Ok(EcosystemScorecard {
            ecosystem: PortalEcosystem::from(&eco),
            scorecard: scorecard_view(&card, &period, &themes),
        })
    }

    /// Every approved value of an indicator with its provenance.
    pub async fn open_indicator_values(
        &self,
        slug: &str,
        code: &str,
    ) -> Result<IndicatorValues, AppError> {
        let eco = self.ecosystem_at(slug).await?;
        let ind = self.indicator_at(&eco, code).await?;
        let values = self
            .approved_values_of(ind.id)
            .await?
            .into_iter()
            .map(|m| (ind.definition.code.clone(), m))
            .collect();
        Ok(IndicatorValues {
            ecosystem: PortalEcosystem::from(&eco),
            values: self.with_provenance(values).await?,
            indicator_code: ind.definition.code,
        })
    }

    /// An indicator's trajectory: actual, expected and target per period.
    pub async fn open_indicator_series(
        &self,
        slug: &str,
        code: &str,
    ) -> Result<IndicatorSeries, AppError> {
        let eco = self.ecosystem_at(slug).await?;
        let ind = self.indicator_at(&eco, code).await?;
        Ok(IndicatorSeries {
            ecosystem: PortalEcosystem::from(&eco),
            points: self.series(ind.id, None, None).await?,
            indicator_code: ind.definition.code,
        })
    }

    /// Every VEC's cumulative state at a period (default: the horizon's last year) under a
    /// scenario.
    pub async fn open_cumulative_impacts(
        &self,
        slug: &str,
        period: Option<String>,
        scenario: Scenario,
    ) -> Result<CumulativeImpacts, AppError> {
        let eco = self.ecosystem_at(slug).await?;
        self.cumulative_impacts_of(&eco, period, scenario).await
    }

    /// The hybrid metrics' series with their causal check.
    pub async fn open_hybrid_metrics(&self, slug: &str) -> Result<HybridMetrics, AppError> {
        let eco = self.ecosystem_at(slug).await?;
        Ok(HybridMetrics {
            metrics: self.hybrid_views(eco.id).await?,
            ecosystem: PortalEcosystem::from(&eco),
        })
    }

    /// The strategy map's cause-effect links with the data check of each.
    pub async fn open_links(&self, slug: &str) -> Result<EcosystemLinks, AppError> {
        let eco = self.ecosystem_at(slug).await?;
        Ok(EcosystemLinks {
            links: self.link_views(eco.id).await?,
            ecosystem: PortalEcosystem::from(&eco),
        })
    }
}
