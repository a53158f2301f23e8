//! Seed sections for shared value and cumulative impacts: indicator beneficiaries, hybrid
//! metrics, VECs, developments and approved impact contributions. Matched by code (hybrid
//! metrics, VECs), name (developments), indicator (beneficiaries: set only when none are) and
//! VEC, development and period (contributions), so a second load creates nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;

use crate::app::model::{Ecosystem, Indicator};
use crate::app::{Ayni, Caller, DevelopmentInput, HybridInput, ImpactInput, VecInput};
use crate::domain::ActorKind;
use crate::domain::impact::{
    Desirable, DevelopmentStatus, ImpactBasis, LimitSide, Sector, VecKind,
};
use crate::domain::shared_value::{HybridRelation, HybridStatus};

use super::{SeedError, SeedReport, context};

/// Who an indicator's value reaches.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedBeneficiaries {
    pub indicator: String,
    #[serde(default)]
    pub kinds: Vec<ActorKind>,
    #[serde(default)]
    pub actors: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedHybrid {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub company: String,
    /// Indicator codes.
    pub social: String,
    pub financial: String,
    pub relation: HybridRelation,
    pub unit: String,
    /// `positive` (the default) or `negative`.
    #[serde(default)]
    pub expected_sign: Option<crate::domain::causal::ExpectedSign>,
    /// Adopt it (refused unless its causal check supports it or `justification` is given).
    #[serde(default)]
    pub adopt: bool,
    #[serde(default)]
    pub justification: Option<String>,
    #[serde(default)]
    pub illustrative: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedVecBaseline {
    pub period: String,
    pub value: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedThreshold {
    pub value: f64,
    pub limit: LimitSide,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedVec {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub kind: VecKind,
    pub unit: String,
    pub baseline: SeedVecBaseline,
    pub direction: Desirable,
    pub threshold: SeedThreshold,
    #[serde(default)]
    pub boundary: Vec<String>,
    #[serde(default)]
    pub illustrative: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedDevelopment {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub sector: Sector,
    pub owner: String,
    pub status: DevelopmentStatus,
    pub territory: String,
    pub start: String,
    #[serde(default)]
    pub end: Option<String>,
    #[serde(default)]
    pub illustrative: bool,
}

/// Approved contributions of one development to one VEC, by period.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedImpacts {
    pub vec: String,
    pub development: String,
    pub basis: ImpactBasis,
    #[serde(default)]
    pub evidence_url: Option<String>,
    #[serde(default)]
    pub evidence_text: Option<String>,
    #[serde(default)]
    pub illustrative: bool,
    pub approved: BTreeMap<String, f64>,
}

/// The shared-value sections of one ecosystem entry.
pub struct Sections<'a> {
    pub beneficiaries: &'a [SeedBeneficiaries],
    pub hybrid_metrics: &'a [SeedHybrid],
    pub vecs: &'a [SeedVec],
    pub developments: &'a [SeedDevelopment],
    pub impacts: &'a [SeedImpacts],
}

/// The actor names these sections mention, with what mentions them.
pub fn named_actors(s: &Sections<'_>) -> Vec<(String, String)> {
    s.beneficiaries
        .iter()
        .flat_map(|b| {
            b.actors
                .iter()
                .map(move |a| (a.clone(), format!("beneficiaries of '{}'", b.indicator)))
        })
        .chain(
            s.hybrid_metrics
                .iter()
                .map(|h| (h.company.clone(), format!("hybrid metric '{}'", h.code))),
        )
        .chain(
            s.developments
                .iter()
                .map(|d| (d.owner.clone(), format!("development '{}'", d.name))),
        )
        .collect()
}

pub async fn load(
    app: &Ayni,
    op: &Caller,
    origin: &str,
    (eco, indicators): (&Ecosystem, &[Indicator]),
    s: &Sections<'_>,
    actor_ids: &HashMap<String, i64>,
    report: &mut SeedReport,
) -> Result<(), SeedError> {
    let here = format!("ecosystem '{}'", eco.slug);
    let err = |what: &str| context(origin, &format!("{here}: {what}"));
    let actor = |name: &str, what: &str| {
        actor_ids
            .get(name.trim())
            .copied()
            .ok_or_else(|| SeedError(format!("{origin}: {here}: {what}: no actor named '{name}'")))
    };
    let indicator = |code: &str, what: &str| {
        indicators
            .iter()
            .find(|i| i.definition.code == code.trim())
            .ok_or_else(|| SeedError(format!("{origin}: {here}: {what}: no indicator '{code}'")))
    };

    if !s.beneficiaries.is_empty() {
        let ids: Vec<i64> = indicators.iter().map(|i| i.id).collect();
        let have: HashSet<i64> = app
            .beneficiaries_of(ids)
            .await
            .map_err(err("beneficiaries"))?
            .into_iter()
            .map(|b| b.indicator_id)
            .collect();
        for b in s.beneficiaries {
            let what = format!("beneficiaries of '{}'", b.indicator);
            let ind = indicator(&b.indicator, &what)?;
            let created = !have.contains(&ind.id);
            if created {
                let actors = b
                    .actors
                    .iter()
                    .map(|a| actor(a, &what))
                    .collect::<Result<Vec<_>, _>>()?;
                app.set_indicator_beneficiaries(op, ind.id, b.kinds.clone(), actors)
                    .await
                    .map_err(err(&what))?;
            }
            report.count(created);
        }
    }

    if !s.hybrid_metrics.is_empty() {
        let existing = app
            .hybrid_metrics(eco.id)
            .await
            .map_err(err("hybrid metrics"))?;
        for h in s.hybrid_metrics {
            let what = format!("hybrid metric '{}'", h.code);
            let found = existing.iter().find(|v| v.metric.code == h.code.trim());
            let metric = match found {
                Some(v) => v.metric.clone(),
                None => {
                    let input = HybridInput {
                        ecosystem_id: eco.id,
                        code: h.code.clone(),
                        name: h.name.clone(),
                        description: Some(h.description.clone()),
                        company_actor_id: actor(&h.company, &what)?,
                        social_indicator_id: indicator(&h.social, &what)?.id,
                        financial_indicator_id: indicator(&h.financial, &what)?.id,
                        relation: h.relation,
                        unit: h.unit.clone(),
                        expected_sign: h
                            .expected_sign
                            .unwrap_or(crate::domain::causal::ExpectedSign::Positive),
                    };
                    app.create_hybrid_metric(op, input)
                        .await
                        .map_err(err(&what))?
                        .metric
                }
            };
            report.count(found.is_none());
            let proposed = metric.status == HybridStatus::Proposed;
            if h.adopt && proposed {
                app.adopt_hybrid_metric(op, metric.id, h.justification.clone())
                    .await
                    .map_err(err(&format!("{what}: adopt")))?;
            }
        }
    }

    let mut vec_ids: HashMap<String, i64> = app
        .vecs_of(eco.id)
        .await
        .map_err(err("VECs"))?
        .into_iter()
        .map(|v| (v.code, v.id))
        .collect();
    for v in s.vecs {
        let what = format!("VEC '{}'", v.code);
        let created = !vec_ids.contains_key(v.code.trim());
        if created {
            let input = VecInput {
                ecosystem_id: eco.id,
                code: v.code.clone(),
                name: v.name.clone(),
                description: Some(v.description.clone()),
                kind: v.kind,
                unit: v.unit.clone(),
                baseline_period: v.baseline.period.clone(),
                baseline_value: v.baseline.value,
                direction: v.direction,
                threshold_value: v.threshold.value,
                threshold_limit: v.threshold.limit,
                boundary: v.boundary.clone(),
            };
            let stored = app.create_vec(op, input).await.map_err(err(&what))?;
            vec_ids.insert(stored.code, stored.id);
        }
        report.count(created);
    }

    let mut dev_ids: HashMap<String, i64> = app
        .developments_of(eco.id)
        .await
        .map_err(err("developments"))?
        .into_iter()
        .map(|d| (d.name, d.id))
        .collect();
    for d in s.developments {
        let what = format!("development '{}'", d.name);
        let created = !dev_ids.contains_key(d.name.trim());
        if created {
            let input = DevelopmentInput {
                ecosystem_id: eco.id,
                name: d.name.trim().to_string(),
                description: Some(d.description.clone()),
                sector: d.sector,
                actor_id: actor(&d.owner, &what)?,
                status: d.status,
                territory: d.territory.clone(),
                start_period: d.start.clone(),
                end_period: d.end.clone(),
            };
            let stored = app
                .create_development(op, input)
                .await
                .map_err(err(&what))?;
            dev_ids.insert(stored.name, stored.id);
        }
        report.count(created);
    }

    if !s.impacts.is_empty() {
        let stored = app
            .impact_contributions(Some(op), vec_ids.values().copied().collect())
            .await
            .map_err(err("impact contributions"))?;
        let have: HashSet<(i64, i64, String)> = stored
            .into_iter()
            .filter_map(|m| Some((m.vec_id?, m.development_id?, m.period.to_string())))
            .collect();
        for i in s.impacts {
            let what = format!("impacts of '{}' on '{}'", i.development, i.vec);
            let vec_id = *vec_ids.get(i.vec.trim()).ok_or_else(|| {
                SeedError(format!("{origin}: {here}: {what}: no VEC '{}'", i.vec))
            })?;
            let dev_id = *dev_ids.get(i.development.trim()).ok_or_else(|| {
                SeedError(format!(
                    "{origin}: {here}: {what}: no development '{}'",
                    i.development
                ))
            })?;
            for (period, value) in &i.approved {
                let created = !have.contains(&(vec_id, dev_id, period.clone()));
                if created {
                    let input = ImpactInput {
                        evidence_file: None,
                        vec_id,
                        development_id: dev_id,
                        period: period.clone(),
                        value: *value,
                        basis: i.basis,
                        evidence_url: i.evidence_url.clone(),
                        evidence_text: i.evidence_text.clone(),
                        comment: None,
                    };
                    let what = format!("{what}: {period}");
                    let m = app
                        .submit_impact_contribution(op, input)
                        .await
                        .map_err(err(&what))?;
                    app.approve_impact_contribution(op, m.id)
                        .await
                        .map_err(err(&what))?;
                }
                report.count(created);
            }
        }
    }
    Ok(())
}
