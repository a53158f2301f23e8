//! Cumulative impacts: VECs, developments, impact contributions (measurements of a VEC and a
//! development, through the same submission and review workflow as every value) and the
//! cumulative state of each VEC under a scenario.

use std::collections::HashMap;

use crate::db::DbConnection;
use crate::db::models::impact::{self, Development, DevelopmentFields, Vec_, VecFields};
use crate::db::models::measurement::{
    self, Measurement, MeasurementFilter, NewMeasurement, Subject, Subjects,
};
use crate::domain::impact::{
    Contribution as Impact, CumulativePoint, Desirable, DevelopmentStatus, ImpactBasis, LimitSide,
    Scenario, Sector, Threshold, VecKind, cumulative,
};
use crate::domain::indicator::finite;
use crate::domain::strategy::text;
use crate::domain::{Code, FieldError, Period, PeriodType, Role, Ubigeo, ValidationErrors};

use super::ecosystems::require_ecosystem;
use super::measurements::{Contribution, contributing_actor, require_actor, visibility};
use super::model;
use super::{AppError, Ayni, Caller};

/// Most periods one cumulative series may span.
const MAX_PERIODS: usize = 400;

/// A VEC as defined by the coordinating body.
#[derive(Debug, Clone)]
pub struct VecInput {
    pub ecosystem_id: i64,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub kind: VecKind,
    pub unit: String,
    pub baseline_period: String,
    pub baseline_value: f64,
    pub direction: Desirable,
    pub threshold_value: f64,
    pub threshold_limit: LimitSide,
    /// Ubigeo codes; the ecosystem's territory when empty.
    pub boundary: Vec<String>,
}

/// A development as registered.
#[derive(Debug, Clone)]
pub struct DevelopmentInput {
    pub ecosystem_id: i64,
    pub name: String,
    pub description: Option<String>,
    pub sector: Sector,
    pub actor_id: i64,
    pub status: DevelopmentStatus,
    pub territory: String,
    pub start_period: String,
    pub end_period: Option<String>,
}

/// An impact contribution as submitted.
#[derive(Debug, Clone)]
pub struct ImpactInput {
    pub vec_id: i64,
    pub development_id: i64,
    pub period: String,
    pub value: f64,
    pub basis: ImpactBasis,
    pub evidence_url: Option<String>,
    pub evidence_text: Option<String>,
    pub comment: Option<String>,
    /// An evidence file uploaded with it (the workspace's form).
    pub evidence_file: Option<super::UploadedEvidence>,
}

/// One period of a VEC's cumulative state, with the names behind its breakdown.
#[derive(Debug, Clone)]
pub struct VecState {
    pub vec: model::ValuedComponent,
    pub scenario: Scenario,
    pub threshold: Threshold,
    pub point: CumulativePoint,
}

fn require_vec(c: &mut DbConnection, id: i64) -> Result<Vec_, AppError> {
    impact::vec_by_id(c, id)?
        .ok_or_else(|| AppError::invalid("vecId", "exists", format!("no VEC with id {id}")))
}

fn require_development(c: &mut DbConnection, id: i64) -> Result<Development, AppError> {
    impact::development_by_id(c, id)?.ok_or_else(|| {
        AppError::invalid(
            "developmentId",
            "exists",
            format!("no development with id {id}"),
        )
    })
}

/// Approved contributions to these VECs, with each development's sector and status.
fn approved_impacts(
    c: &mut DbConnection,
    vec_ids: &[i64],
) -> Result<(Vec<Measurement>, HashMap<i64, Development>), AppError> {
    let rows = measurement::list(
        c,
        Subjects::Vecs(vec_ids),
        measurement::Visibility::Approved,
        &MeasurementFilter::default(),
    )?;
    let rows: Vec<Measurement> = rows.into_iter().filter(|m| m.counted).collect();
    let dev_ids: Vec<i64> = rows.iter().filter_map(|m| m.development_id).collect();
    let developments = impact::developments_by_ids(c, &dev_ids)?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    Ok((rows, developments))
}

/// The contributions of one VEC that count in a scenario.
fn scenario_impacts(
    rows: &[Measurement],
    developments: &HashMap<i64, Development>,
    vec_id: i64,
    scenario: Scenario,
) -> Result<Vec<Impact>, AppError> {
    let mut out = Vec::new();
    for m in rows.iter().filter(|m| m.vec_id == Some(vec_id)) {
        let Some(d) = m.development_id.and_then(|id| developments.get(&id)) else {
            continue;
        };
        if !scenario.includes(d.status) {
            continue;
        }
        out.push(Impact {
            period: m.period,
            development_id: d.id,
            sector: d.sector,
            actor_id: d.actor_id,
            value: m.value,
        });
    }
    Ok(out)
}

fn state_at(
    v: &Vec_,
    impacts: &[Impact],
    periods: &[Period],
) -> Result<(Threshold, Vec<CumulativePoint>), AppError> {
    let threshold = v.threshold();
    let points = cumulative(
        &v.baseline_period,
        v.baseline_value,
        threshold,
        impacts,
        periods,
    );
    Ok((threshold, points))
}

impl Ayni {
    /// Defines a VEC (coordinators and admins). The threshold must leave room on its
    /// acceptable side of the baseline; the boundary must lie inside the ecosystem.
    pub async fn create_vec(
        &self,
        caller: &Caller,
        input: VecInput,
    ) -> Result<model::ValuedComponent, AppError> {
        caller.require_strategist("define VECs")?;
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
        let period = errors.check(Period::parse("baselinePeriod", &input.baseline_period));
        let baseline = errors.check(finite("baselineValue", input.baseline_value));
        let threshold = baseline.and_then(|b| {
            errors.check(Threshold::parse(
                b,
                input.threshold_value,
                input.threshold_limit,
            ))
        });
        let boundary: Vec<Option<Ubigeo>> = input
            .boundary
            .iter()
            .map(|u| errors.check(Ubigeo::parse("boundary", u)))
            .collect();
        let (
            Some(code),
            Some(name),
            Some(description),
            Some(unit),
            Some(period),
            Some(baseline),
            Some(threshold),
        ) = (code, name, description, unit, period, baseline, threshold)
        else {
            return Err(AppError::Invalid(errors));
        };
        errors.into_result()?;
        let boundary: Vec<Ubigeo> = boundary.into_iter().flatten().collect();
        self.db
            .write(caller.author(), move |tx| {
                let eco = require_ecosystem(tx.conn(), input.ecosystem_id)?;
                let home = eco.territory.clone();
                if let Some(out) = boundary.iter().find(|u| !home.contains(u)) {
                    return Err(AppError::invalid(
                        "boundary",
                        "inside",
                        format!("{out} lies outside the ecosystem's territory {home}"),
                    ));
                }
                let boundary = if boundary.is_empty() {
                    vec![home]
                } else {
                    boundary
                };
                let fields = VecFields {
                    ecosystem_id: eco.id,
                    code: code.as_str().to_string(),
                    name,
                    description,
                    kind: input.kind,
                    unit,
                    baseline_period: period,
                    baseline_value: baseline,
                    direction: input.direction,
                    threshold,
                    boundary,
                };
                impact::create_vec(tx, &fields).map_err(AppError::from)
            })
            .await
            .map(model::ValuedComponent::from)
    }

    /// Registers a development (coordinators and admins).
    pub async fn create_development(
        &self,
        caller: &Caller,
        input: DevelopmentInput,
    ) -> Result<model::Development, AppError> {
        caller.require_strategist("register developments")?;
        let mut errors = ValidationErrors::new();
        let name = errors.check(text("name", &input.name, 1, 200));
        let description = errors.check(text(
            "description",
            input.description.as_deref().unwrap_or(""),
            0,
            4000,
        ));
        let territory = errors.check(Ubigeo::parse("territory", &input.territory));
        let start = errors.check(Period::parse_typed(
            "startPeriod",
            &input.start_period,
            PeriodType::Yearly,
        ));
        let end = input
            .end_period
            .as_deref()
            .map(|e| errors.check(Period::parse_typed("endPeriod", e, PeriodType::Yearly)));
        if let (Some(s), Some(Some(e))) = (start, end)
            && e < s
        {
            errors.push(FieldError::new(
                "endPeriod",
                "order",
                format!("the end ({e}) comes before the start ({s})"),
            ));
        }
        let (Some(name), Some(description), Some(territory), Some(start)) =
            (name, description, territory, start)
        else {
            return Err(AppError::Invalid(errors));
        };
        errors.into_result()?;
        let end = end.flatten();
        self.db
            .write(caller.author(), move |tx| {
                let eco = require_ecosystem(tx.conn(), input.ecosystem_id)?;
                let home = eco.territory.clone();
                if !home.contains(&territory) {
                    return Err(AppError::invalid(
                        "territory",
                        "inside",
                        format!("{territory} lies outside the ecosystem's territory {home}"),
                    ));
                }
                require_actor(tx.conn(), input.actor_id)?;
                let fields = DevelopmentFields {
                    ecosystem_id: eco.id,
                    name,
                    description,
                    sector: input.sector,
                    actor_id: input.actor_id,
                    status: input.status,
                    territory,
                    start_period: start,
                    end_period: end,
                };
                impact::create_development(tx, &fields).map_err(AppError::from)
            })
            .await
            .map(model::Development::from)
    }

    /// Changes a development's status (coordinators and admins).
    pub async fn set_development_status(
        &self,
        caller: &Caller,
        id: i64,
        status: DevelopmentStatus,
    ) -> Result<model::Development, AppError> {
        caller.require_strategist("change a development's status")?;
        self.db
            .write(caller.author(), move |tx| {
                let before = require_development(tx.conn(), id)?;
                impact::set_development_status(tx, &before, status).map_err(AppError::from)
            })
            .await
            .map(model::Development::from)
    }

    pub async fn vecs_of(
        &self,
        ecosystem_id: i64,
    ) -> Result<Vec<model::ValuedComponent>, AppError> {
        self.db
            .run(move |c| impact::vecs_of(c, ecosystem_id).map_err(AppError::from))
            .await
            .map(model::all)
    }

    pub async fn vec_by_id(&self, id: i64) -> Result<Option<model::ValuedComponent>, AppError> {
        self.db
            .run(move |c| impact::vec_by_id(c, id).map_err(AppError::from))
            .await
            .map(|found| found.map(model::ValuedComponent::from))
    }

    pub async fn vecs_by_ids(
        &self,
        ids: Vec<i64>,
    ) -> Result<Vec<model::ValuedComponent>, AppError> {
        self.db
            .run(move |c| impact::vecs_by_ids(c, &ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    pub async fn developments_of(
        &self,
        ecosystem_id: i64,
    ) -> Result<Vec<model::Development>, AppError> {
        self.db
            .run(move |c| impact::developments_of(c, ecosystem_id).map_err(AppError::from))
            .await
            .map(model::all)
    }

    pub async fn developments_by_ids(
        &self,
        ids: Vec<i64>,
    ) -> Result<Vec<model::Development>, AppError> {
        self.db
            .run(move |c| impact::developments_by_ids(c, &ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    /// Submits an impact contribution: by the development's owner (its contributors), or by
    /// a coordinator on its behalf. The development must lie inside the VEC's boundary and the
    /// period must come after the VEC's baseline.
    pub async fn submit_impact_contribution(
        &self,
        caller: &Caller,
        input: ImpactInput,
    ) -> Result<model::Measurement, AppError> {
        if caller.role == Role::Monitor {
            return Err(AppError::Forbidden(
                "the monitor role may not submit values".into(),
            ));
        }
        let contribution = Contribution::parse(
            input.value,
            input.evidence_url.as_deref(),
            input.evidence_text.as_deref(),
            &[],
            input.comment.as_deref(),
            None,
            input.evidence_file.as_ref().map(|f| f.file_name()),
        )?;
        let caller = caller.clone();
        let stored = self
            .db
            .write(caller.author(), move |tx| {
                let v = require_vec(tx.conn(), input.vec_id)?;
                let d = require_development(tx.conn(), input.development_id)?;
                if v.ecosystem_id != d.ecosystem_id {
                    return Err(AppError::invalid(
                        "developmentId",
                        "sameEcosystem",
                        format!("{} belongs to another ecosystem than VEC {}", d.name, v.code),
                    ));
                }
                let actor_id = contributing_actor(&caller, Some(d.actor_id)).map_err(|e| match e {
                    AppError::Forbidden(_) => AppError::Forbidden(format!(
                        "only the owner of {} (or a coordinator) reports its impacts",
                        d.name
                    )),
                    other => other,
                })?;
                let territory = d.territory.clone();
                let boundary = v.boundary()?;
                if !boundary.iter().any(|b| b.contains(&territory)) {
                    return Err(AppError::invalid(
                        "developmentId",
                        "boundary",
                        format!(
                            "{} ({territory}) lies outside the spatial boundary of VEC {} ({})",
                            d.name,
                            v.code,
                            v.boundary.replace(',', ", ")
                        ),
                    ));
                }
                let period = Period::parse("period", &input.period)?;
                // A model's projection may lie ahead (like a target); a measured or estimated
                // contribution is of a period that has begun.
                if input.basis != ImpactBasis::Modelled {
                    crate::domain::plausibility::not_after_current(
                        "period",
                        &period,
                        tx.now().date(),
                    )?;
                }
                let baseline = v.baseline_period;
                if period.end() <= baseline.end() {
                    return Err(AppError::invalid(
                        "period",
                        "afterBaseline",
                        format!(
                            "{period} is not after the VEC's baseline period {baseline}: changes up to the baseline are part of it"
                        ),
                    ));
                }
                require_actor(tx.conn(), actor_id)?;
                let evidence_file = super::evidence::record(tx, input.evidence_file.as_ref())?;
                let new = NewMeasurement {
                    subject: Subject::Impact {
                        vec: v.id,
                        development: d.id,
                    },
                    period: &period,
                    territory: &territory,
                    disaggregation: &contribution.disaggregation,
                    value: contribution.value,
                    evidence: &contribution.evidence,
                    comment: &contribution.comment,
                    actor_id,
                    basis: Some(input.basis.as_str()),
                    evidence_file,
                };
                super::data_quality::require_unlocked(
                    tx.conn(),
                    new.subject,
                    &period,
                    "submitting impact contributions",
                )?;
                let stored = measurement::submit(tx, new)?;
                super::notifications::awaiting_review(tx, &stored)?;
                Ok::<_, AppError>(stored)
            })
            .await?;
        self.mail_notifications();
        Ok(stored.into())
    }

    /// Approves a submitted impact contribution (coordinators and admins).
    pub async fn approve_impact_contribution(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<model::Measurement, AppError> {
        self.require_impact(id).await?;
        self.approve_measurement(caller, id).await
    }

    /// Rejects a submitted impact contribution with a reason (coordinators and admins).
    pub async fn reject_impact_contribution(
        &self,
        caller: &Caller,
        id: i64,
        reason: String,
    ) -> Result<model::Measurement, AppError> {
        self.require_impact(id).await?;
        self.reject_measurement(caller, id, reason).await
    }

    async fn require_impact(&self, id: i64) -> Result<(), AppError> {
        let m = self
            .db
            .run(move |c| measurement::by_id(c, id).map_err(AppError::from))
            .await?
            .ok_or_else(|| AppError::not_found(format!("impact contribution {id}")))?;
        match m.subject()? {
            Subject::Impact { .. } => Ok(()),
            _ => Err(AppError::invalid(
                "id",
                "impact",
                format!("{id} is not an impact contribution"),
            )),
        }
    }

    /// The contributions to these VECs the caller may see.
    pub async fn impact_contributions(
        &self,
        caller: Option<&Caller>,
        vec_ids: Vec<i64>,
    ) -> Result<Vec<model::Measurement>, AppError> {
        let visibility = visibility(caller);
        self.db
            .run(move |c| {
                measurement::list(
                    c,
                    Subjects::Vecs(&vec_ids),
                    visibility,
                    &MeasurementFilter::default(),
                )
                .map_err(AppError::from)
            })
            .await
            .map(model::all)
    }

    /// A VEC's cumulative state per period from `from` (default: the period after its
    /// baseline) to `to` (default: the latest period with a contribution, or `from`), in
    /// periods of `from`'s kind.
    pub async fn cumulative(
        &self,
        vec_id: i64,
        from: Option<String>,
        to: Option<String>,
        scenario: Scenario,
    ) -> Result<Vec<VecState>, AppError> {
        let mut errors = ValidationErrors::new();
        let from = from.map(|f| errors.check(Period::parse("from", &f)));
        let to = to.map(|t| errors.check(Period::parse("to", &t)));
        errors.into_result()?;
        let (from, to) = (from.flatten(), to.flatten());
        self.db
            .run(move |c| {
                let v = impact::vec_by_id(c, vec_id)?
                    .ok_or_else(|| AppError::not_found(format!("VEC {vec_id}")))?;
                let (rows, developments) = approved_impacts(c, &[v.id])?;
                let impacts = scenario_impacts(&rows, &developments, v.id, scenario)?;
                let baseline = v.baseline_period;
                let first = match from {
                    Some(f) => f,
                    None => baseline
                        .next()
                        .ok_or_else(|| AppError::internal("no period after the baseline"))?,
                };
                let latest = impacts.iter().map(|i| i.period.end()).max();
                let last = match to {
                    Some(t) => t,
                    None => latest
                        .and_then(|d| Period::containing(first.kind(), d))
                        .filter(|p| *p >= first)
                        .unwrap_or(first),
                };
                if last.kind() != first.kind() {
                    return Err(AppError::invalid(
                        "to",
                        "periodicity",
                        format!("'{last}' and '{first}' are periods of different kinds"),
                    ));
                }
                let periods = Period::range(first.kind(), &first, &last);
                if periods.len() > MAX_PERIODS {
                    return Err(AppError::invalid(
                        "from",
                        "range",
                        format!(
                            "at most {MAX_PERIODS} periods at once, asked for {}",
                            periods.len()
                        ),
                    ));
                }
                let (threshold, points) = state_at(&v, &impacts, &periods)?;
                let vec = model::ValuedComponent::from(v);
                Ok(points
                    .into_iter()
                    .map(|point| VecState {
                        vec: vec.clone(),
                        scenario,
                        threshold,
                        point,
                    })
                    .collect())
            })
            .await
    }

    /// Every VEC of an ecosystem at one period, under a scenario.
    pub async fn cumulative_impacts(
        &self,
        ecosystem_id: i64,
        period: String,
        scenario: Scenario,
    ) -> Result<Vec<VecState>, AppError> {
        let at = Period::parse("period", &period)?;
        self.db
            .run(move |c| {
                let vecs = impact::vecs_of(c, ecosystem_id)?;
                let ids: Vec<i64> = vecs.iter().map(|v| v.id).collect();
                let (rows, developments) = approved_impacts(c, &ids)?;
                let mut out = Vec::new();
                for v in vecs {
                    let impacts = scenario_impacts(&rows, &developments, v.id, scenario)?;
                    let (threshold, mut points) = state_at(&v, &impacts, &[at])?;
                    if let Some(point) = points.pop() {
                        out.push(VecState {
                            vec: v.into(),
                            scenario,
                            threshold,
                            point,
                        });
                    }
                }
                Ok(out)
            })
            .await
    }
}
