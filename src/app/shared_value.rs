//! Shared value: hybrid metrics with their causal check and adoption, indicator beneficiaries,
//! the per-form/category/theme/actor view of performance, and the data check of the strategy
//! map's cause-effect links.

use std::collections::{BTreeMap, HashMap};

use crate::db::DbConnection;
use crate::db::models::actor;
use crate::db::models::ecosystem;
use crate::db::models::hybrid::{self, BeneficiaryRef, HybridFields, HybridMetric};
use crate::db::models::indicator::{self, Indicator};
use crate::db::models::objective;
use crate::domain::causal::{CausalCheck, ExpectedSign, Verdict, causal_check};
use crate::domain::scoring::Score;
use crate::domain::shared_value::{
    HybridPoint, HybridRelation, HybridStatus, IndicatorShare, group_scores, hybrid_check,
    hybrid_series, may_adopt,
};
use crate::domain::strategy::text;
use crate::domain::{ActorKind, Code, MetricCategory, Period, PeriodType, Role, ValidationErrors};

use super::indicators::{scorecard_in, scorecards_in, value_points};
use super::model::{self, Beneficiary};
use super::{AppError, Ayni, Caller};

/// A hybrid metric as proposed.
#[derive(Debug, Clone)]
pub struct HybridInput {
    pub ecosystem_id: i64,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub company_actor_id: i64,
    pub social_indicator_id: i64,
    pub financial_indicator_id: i64,
    pub relation: HybridRelation,
    pub unit: String,
    /// Whether the financial result should rise (`Positive`, the default) or fall as the
    /// social or environmental one rises.
    pub expected_sign: ExpectedSign,
}

/// A hybrid metric with its series and causal check.
#[derive(Debug, Clone)]
pub struct HybridView {
    pub metric: model::HybridMetric,
    pub series: Vec<HybridPoint>,
    pub check: CausalCheck,
}

/// One group of the shared-value view.
#[derive(Debug, Clone)]
pub struct ShareGroup {
    pub key: String,
    pub score: Score,
    pub indicator_ids: Vec<i64>,
}

/// What one actor puts in and gets back.
#[derive(Debug, Clone)]
pub struct ActorShare {
    pub actor: model::Actor,
    /// Indicators the actor is responsible for, and their performance against the plan.
    pub contributes: ShareGroup,
    /// Indicators whose value reaches the actor (by its kind or by name).
    pub receives: ShareGroup,
}

/// `ecosystem.sharedValue(period)`.
#[derive(Debug, Clone)]
pub struct SharedValue {
    pub period: Period,
    pub overall: Score,
    pub by_form: Vec<ShareGroup>,
    pub by_category: Vec<ShareGroup>,
    pub by_theme: Vec<ShareGroup>,
    pub by_actor: Vec<ActorShare>,
}

/// The data check of one cause-effect link.
#[derive(Debug, Clone)]
pub struct LinkEvidence {
    pub link_id: i64,
    pub check: CausalCheck,
    /// Years the objective scores were computed for.
    pub periods: Vec<Period>,
}

fn groups(items: &[IndicatorShare<String>], ids: &[i64]) -> Vec<ShareGroup> {
    let mut members: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (item, id) in items.iter().zip(ids) {
        for k in &item.keys {
            members.entry(k.clone()).or_default().push(*id);
        }
    }
    group_scores(items)
        .into_iter()
        .map(|(key, score)| ShareGroup {
            indicator_ids: members.remove(&key).unwrap_or_default(),
            key,
            score,
        })
        .collect()
}

fn hybrid_views(
    c: &mut DbConnection,
    metrics: Vec<HybridMetric>,
) -> Result<Vec<HybridView>, AppError> {
    let ids: Vec<i64> = metrics
        .iter()
        .flat_map(|m| [m.social_indicator_id, m.financial_indicator_id])
        .collect();
    let indicators = indicator::by_ids(c, &ids)?;
    let eco_ids: Vec<i64> = metrics.iter().map(|m| m.ecosystem_id).collect();
    let ecosystems = ecosystem::by_ids(c, &eco_ids)?;
    let mut points: HashMap<i64, Vec<(Period, f64)>> = HashMap::new();
    for eco in &ecosystems {
        let of_eco: Vec<&Indicator> = indicators
            .iter()
            .filter(|i| i.ecosystem_id == eco.id)
            .collect();
        points.extend(value_points(c, eco.territory.as_str(), &of_eco)?);
    }
    metrics
        .into_iter()
        .map(|m| {
            let social = points
                .get(&m.social_indicator_id)
                .cloned()
                .unwrap_or_default();
            let financial = points
                .get(&m.financial_indicator_id)
                .cloned()
                .unwrap_or_default();
            Ok(HybridView {
                series: hybrid_series(m.relation, &social, &financial),
                check: hybrid_check(&social, &financial, m.expected_sign),
                metric: m.into(),
            })
        })
        .collect()
}

impl Ayni {
    /// Proposes a hybrid metric (coordinators and admins; contributors of the company itself);
    /// returns it with its series and causal check.
    pub async fn create_hybrid_metric(
        &self,
        caller: &Caller,
        input: HybridInput,
    ) -> Result<HybridView, AppError> {
        let own_company =
            caller.role == Role::Contributor && caller.actor_id == Some(input.company_actor_id);
        if !own_company {
            caller.require_strategist("propose hybrid metrics for another actor")?;
        }
        let mut errors = ValidationErrors::new();
        let code = errors.check(Code::parse("code", &input.code));
        let name = errors.check(text("name", &input.name, 1, 200));
        let description = errors.check(text(
            "description",
            input.description.as_deref().unwrap_or(""),
            0,
            4000,
        ));
        let unit = errors.check(text("unit", &input.unit, 1, 80));
        if input.social_indicator_id == input.financial_indicator_id {
            errors.push(crate::domain::FieldError::new(
                "financialIndicatorId",
                "distinct",
                "the financial indicator must differ from the social or environmental one",
            ));
        }
        errors.clone().into_result()?;
        let (Some(code), Some(name), Some(description), Some(unit)) =
            (code, name, description, unit)
        else {
            return Err(AppError::Invalid(errors));
        };
        self.db
            .write(caller.author(), move |tx| {
                super::ecosystems::require_ecosystem(tx.conn(), input.ecosystem_id)?;
                let company = actor::by_id(tx.conn(), input.company_actor_id)?.ok_or_else(|| {
                    AppError::invalid(
                        "companyActorId",
                        "exists",
                        format!("no actor with id {}", input.company_actor_id),
                    )
                })?;
                if company.kind != ActorKind::Company {
                    return Err(AppError::invalid(
                        "companyActorId",
                        "company",
                        format!("{} is not a company; hybrid metrics belong to a company", company.name),
                    ));
                }
                let mut errors = ValidationErrors::new();
                let mut found = Vec::new();
                for (field, id) in [
                    ("socialIndicatorId", input.social_indicator_id),
                    ("financialIndicatorId", input.financial_indicator_id),
                ] {
                    match indicator::by_id(tx.conn(), id)? {
                        None => errors.push(crate::domain::FieldError::new(
                            field,
                            "exists",
                            format!("no indicator with id {id}"),
                        )),
                        Some(i) if i.ecosystem_id != input.ecosystem_id => {
                            errors.push(crate::domain::FieldError::new(
                                field,
                                "sameEcosystem",
                                format!(
                                    "indicator {} belongs to another ecosystem than the hybrid metric",
                                    i.definition.code
                                ),
                            ))
                        }
                        Some(i) => found.push((field, i)),
                    }
                }
                if let [(_, social), (_, financial)] = found.as_slice() {
                    let category = |i: &Indicator| i.definition.metric_category;
                    if category(financial) != Some(MetricCategory::Financial) {
                        errors.push(crate::domain::FieldError::new(
                            "financialIndicatorId",
                            "financial",
                            format!(
                                "indicator {} is not in the FINANCIAL metric category",
                                financial.definition.code
                            ),
                        ));
                    }
                    if category(social) == Some(MetricCategory::Financial) {
                        errors.push(crate::domain::FieldError::new(
                            "socialIndicatorId",
                            "social",
                            format!(
                                "indicator {} is financial; pair a social or environmental indicator with a financial one",
                                social.definition.code
                            ),
                        ));
                    }
                    let (ps, pf) = (social.definition.periodicity, financial.definition.periodicity);
                    if ps != pf {
                        errors.push(crate::domain::FieldError::new(
                            "financialIndicatorId",
                            "periodicity",
                            format!(
                                "indicator {} is {} and {} is {}: a hybrid metric pairs series of the same periodicity",
                                social.definition.code,
                                ps.as_str(),
                                financial.definition.code,
                                pf.as_str()
                            ),
                        ));
                    }
                }
                errors.into_result()?;
                let fields = HybridFields {
                    ecosystem_id: input.ecosystem_id,
                    code: code.as_str().to_string(),
                    name,
                    description,
                    company_actor_id: input.company_actor_id,
                    social_indicator_id: input.social_indicator_id,
                    financial_indicator_id: input.financial_indicator_id,
                    relation: input.relation,
                    unit,
                    expected_sign: input.expected_sign,
                };
                let created = hybrid::create(tx, &fields)?;
                hybrid_views(tx.conn(), vec![created])?
                    .pop()
                    .ok_or_else(|| AppError::internal("no view of the hybrid metric"))
            })
            .await
    }

    /// Adopts a hybrid metric (coordinators and admins): refused unless its causal check is
    /// `SUPPORTED`, or a written justification overrides it (recorded in the audit chain).
    pub async fn adopt_hybrid_metric(
        &self,
        caller: &Caller,
        id: i64,
        justification: Option<String>,
    ) -> Result<HybridView, AppError> {
        caller.require_strategist("adopt hybrid metrics")?;
        let justification = justification
            .map(|j| text("justification", &j, 0, 4000))
            .transpose()?
            .filter(|j| !j.is_empty());
        self.db
            .write(caller.author(), move |tx| {
                let before = hybrid::require(tx.conn(), id)?;
                if before.status == HybridStatus::Adopted {
                    return Err(AppError::Conflict {
                        field: "id".into(),
                        message: format!("hybrid metric {} is already adopted", before.code),
                    });
                }
                let view = hybrid_views(tx.conn(), vec![before.clone()])?
                    .pop()
                    .ok_or_else(|| AppError::internal("no view of the hybrid metric"))?;
                may_adopt(&view.check, justification.as_deref())
                    .map_err(|m| AppError::invalid("justification", "causalCheck", m))?;
                let verdict = view.check.verdict;
                let justification = (view.check.verdict != Verdict::Supported)
                    .then_some(justification)
                    .flatten();
                let after = hybrid::adopt(tx, &before, verdict, justification.as_deref())?;
                Ok(HybridView {
                    metric: after.into(),
                    ..view
                })
            })
            .await
    }

    /// An ecosystem's hybrid metrics with their series and checks.
    pub async fn hybrid_metrics(&self, ecosystem_id: i64) -> Result<Vec<HybridView>, AppError> {
        self.db
            .run(move |c| {
                let metrics = hybrid::of_ecosystem(c, ecosystem_id)?;
                hybrid_views(c, metrics)
            })
            .await
    }

    /// Replaces who an indicator's value reaches (coordinators and admins).
    pub async fn set_indicator_beneficiaries(
        &self,
        caller: &Caller,
        indicator_id: i64,
        kinds: Vec<ActorKind>,
        actor_ids: Vec<i64>,
    ) -> Result<Vec<Beneficiary>, AppError> {
        caller.require_strategist("set beneficiaries")?;
        self.db
            .write(caller.author(), move |tx| {
                indicator::by_id(tx.conn(), indicator_id)?.ok_or_else(|| {
                    AppError::invalid(
                        "indicatorId",
                        "exists",
                        format!("no indicator with id {indicator_id}"),
                    )
                })?;
                let known = actor::by_ids(tx.conn(), &actor_ids)?;
                if let Some(missing) = actor_ids
                    .iter()
                    .find(|a| !known.iter().any(|k| k.id == **a))
                {
                    return Err(AppError::invalid(
                        "actorIds",
                        "exists",
                        format!("no actor with id {missing}"),
                    ));
                }
                let mut wanted: Vec<BeneficiaryRef> =
                    kinds.iter().copied().map(BeneficiaryRef::Kind).collect();
                wanted.dedup();
                wanted.extend(actor_ids.iter().map(|a| BeneficiaryRef::Actor(*a)));
                hybrid::set_beneficiaries(tx, indicator_id, &wanted).map_err(AppError::from)
            })
            .await
            .map(model::all)
    }

    pub async fn beneficiaries_of(
        &self,
        indicator_ids: Vec<i64>,
    ) -> Result<Vec<Beneficiary>, AppError> {
        self.db
            .run(move |c| hybrid::of_indicators(c, &indicator_ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    /// Progress and coverage of the period grouped by shared-value form, metric category,
    /// theme or cluster, and by actor (what each puts in and gets back).
    pub async fn shared_value(
        &self,
        ecosystem_id: i64,
        period: String,
    ) -> Result<SharedValue, AppError> {
        let at = Period::parse("period", &period)?;
        self.db
            .run(move |c| {
                let card = scorecard_in(c, ecosystem_id, at)?;
                let themes = ecosystem::themes_of(c, &[ecosystem_id])?;
                let members = ecosystem::members_of(c, &[ecosystem_id])?;
                let actors =
                    actor::by_ids(c, &members.iter().map(|m| m.actor_id).collect::<Vec<_>>())?;
                let cards: Vec<(&model::Objective, &super::IndicatorCard)> = card
                    .perspectives
                    .iter()
                    .flat_map(|p| &p.objectives)
                    .flat_map(|o| o.indicators.iter().map(move |i| (&o.objective, i)))
                    .collect();
                let ids: Vec<i64> = cards.iter().map(|(_, i)| i.indicator.id).collect();
                let responsible = indicator::responsibles_of(c, &ids)?;
                let beneficiaries = hybrid::of_indicators(c, &ids)?;
                let share = |keys: Vec<String>, card: &super::IndicatorCard| IndicatorShare {
                    weight: card.indicator.definition.weight,
                    performance: card.evaluation.performance,
                    keys,
                };
                let by = |key: &dyn Fn(&model::Objective, &model::Indicator) -> Vec<String>| {
                    let items: Vec<IndicatorShare<String>> = cards
                        .iter()
                        .map(|(o, i)| share(key(o, &i.indicator), i))
                        .collect();
                    groups(&items, &ids)
                };
                let by_form = by(&|_, i| {
                    i.definition
                        .shared_value_form
                        .iter()
                        .map(|f| f.as_str().to_string())
                        .collect()
                });
                let by_category = by(&|_, i| {
                    i.definition
                        .metric_category
                        .iter()
                        .map(|c| c.as_str().to_string())
                        .collect()
                });
                let by_theme = by(&|o, _| {
                    o.theme_id
                        .and_then(|t| themes.iter().find(|x| x.id == t))
                        .map(|t| t.code.clone())
                        .into_iter()
                        .collect()
                });
                // One group of the indicators that `keep` picks, scored like the others.
                let group = |key: &str, keep: &dyn Fn(&super::IndicatorCard) -> bool| {
                    let chosen: Vec<&super::IndicatorCard> =
                        cards.iter().map(|(_, i)| *i).filter(|i| keep(i)).collect();
                    let scores: Vec<Score> = chosen
                        .iter()
                        .map(|i| {
                            Score::indicator(
                                i.indicator.definition.weight,
                                i.evaluation.performance,
                            )
                        })
                        .collect();
                    ShareGroup {
                        key: key.into(),
                        score: Score::combine(1.0, &scores),
                        indicator_ids: chosen.iter().map(|i| i.indicator.id).collect(),
                    }
                };
                let overall = group("all", &|_| true).score;
                let by_actor = actors
                    .into_iter()
                    .map(|a| {
                        let contributes = group("in", &|i| {
                            responsible
                                .iter()
                                .any(|(ind, who)| *ind == i.indicator.id && *who == a.id)
                        });
                        let receives = group("out", &|i| {
                            beneficiaries.iter().any(|b| {
                                b.indicator_id == i.indicator.id
                                    && (b.actor_id == Some(a.id) || b.actor_kind == Some(a.kind))
                            })
                        });
                        ActorShare {
                            contributes,
                            receives,
                            actor: a.into(),
                        }
                    })
                    .collect();
                Ok(SharedValue {
                    period: at,
                    overall,
                    by_form,
                    by_category,
                    by_theme,
                    by_actor,
                })
            })
            .await
    }

    /// The causal check of every cause-effect link of an ecosystem's map: each objective's
    /// yearly score series (from the first to the last year with an approved value), cause
    /// against effect at lags 0 to 2 years.
    /// Reused until the next write (the audit chain's head tells).
    pub async fn link_evidence(&self, ecosystem_id: i64) -> Result<Vec<LinkEvidence>, AppError> {
        let cache = self.link_evidence.clone();
        self.db
            .run(move |c| {
                let (head, _, _) = crate::db::audit::head(c)?;
                let lock = || {
                    cache
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                };
                if let Some((at, evidence)) = lock().get(&ecosystem_id)
                    && *at == head
                {
                    return Ok(evidence.clone());
                }
                let evidence = compute_link_evidence(c, ecosystem_id)?;
                lock().insert(ecosystem_id, (head, evidence.clone()));
                Ok(evidence)
            })
            .await
    }
}

fn compute_link_evidence(
    c: &mut DbConnection,
    ecosystem_id: i64,
) -> Result<Vec<LinkEvidence>, AppError> {
    let links = objective::links_of_ecosystem(c, ecosystem_id)?;
    if links.is_empty() {
        return Ok(Vec::new());
    }
    let eco = super::ecosystems::require_ecosystem(c, ecosystem_id)?;
    let indicators = indicator::of_ecosystem(c, ecosystem_id)?;
    let refs: Vec<&Indicator> = indicators.iter().collect();
    let years: Vec<i32> = value_points(c, eco.territory.as_str(), &refs)?
        .values()
        .flatten()
        .map(|(p, _)| p.year())
        .collect();
    let (Some(first), Some(last)) = (years.iter().min(), years.iter().max()) else {
        return Ok(links
            .iter()
            .map(|l| LinkEvidence {
                link_id: l.id,
                check: causal_check(&[], &[], l.expected_sign),
                periods: Vec::new(),
            })
            .collect());
    };
    let periods: Vec<Period> = (*first..=*last)
        .filter_map(|y| Period::new(PeriodType::Yearly, y, 1))
        .collect();
    // The check correlates how far each objective has come toward its targets: its
    // indicators' progress (share of the whole gap closed, clamped to [0, 1]), weighted as in
    // the scorecard. Not the scorecard's score: performance is measured against a plan that
    // moves every year and saturates at 1 when on plan, so it carries no trend to correlate.
    let mut scores: HashMap<i64, Vec<(Period, f64)>> = HashMap::new();
    for card in scorecards_in(c, ecosystem_id, &periods)? {
        for o in card.perspectives.iter().flat_map(|x| &x.objectives) {
            let progress: Vec<Score> = o
                .indicators
                .iter()
                .map(|i| Score::indicator(i.indicator.definition.weight, i.evaluation.progress))
                .collect();
            if let Some(s) = Score::combine(o.objective.weight, &progress).score {
                scores
                    .entry(o.objective.id)
                    .or_default()
                    .push((card.period, s));
            }
        }
    }
    Ok(links
        .iter()
        .map(|l| {
            let cause = scores.get(&l.cause_id).map(Vec::as_slice).unwrap_or(&[]);
            let effect = scores.get(&l.effect_id).map(Vec::as_slice).unwrap_or(&[]);
            LinkEvidence {
                link_id: l.id,
                check: causal_check(cause, effect, l.expected_sign),
                periods: periods.clone(),
            }
        })
        .collect())
}
