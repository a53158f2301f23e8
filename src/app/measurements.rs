//! Contributed values: submission by responsible actors, review by the coordinating body,
//! revisions, and who may see what.

use crate::db::models::actor;
use crate::db::models::ecosystem;
use crate::db::models::indicator;
use crate::db::models::measurement::{
    self, Measurement, MeasurementFilter, NewMeasurement, Visibility,
};
use crate::domain::indicator::finite;
use crate::domain::strategy::text;
use crate::domain::{
    Disaggregation, Evidence, MeasurementStatus, Period, Role, Ubigeo, ValidationErrors,
};

use super::{AppError, Ayni, Caller};

/// A value as a contributor submits it.
#[derive(Debug, Clone, Default)]
pub struct MeasurementInput {
    pub indicator_id: i64,
    pub period: String,
    /// Defaults to the ecosystem's territory.
    pub territory: Option<String>,
    pub disaggregation: Vec<(String, String)>,
    pub value: f64,
    pub evidence_url: Option<String>,
    pub evidence_text: Option<String>,
    pub comment: Option<String>,
    /// Whose value it is; a contributor's own actor by default (and only that).
    pub actor_id: Option<i64>,
}

/// A newly approved value, as pushed to live subscribers.
#[derive(Debug, Clone)]
pub struct ApprovedValue {
    pub ecosystem_slug: String,
    pub indicator_code: String,
    pub measurement: Measurement,
}

/// What a caller may see of contributed values.
pub fn visibility(caller: Option<&Caller>) -> Visibility {
    match caller {
        Some(c) if c.role.manages_strategy() => Visibility::All,
        Some(c) if c.role == Role::Contributor => c
            .actor_id
            .map_or(Visibility::Approved, Visibility::ApprovedOrActor),
        _ => Visibility::Approved,
    }
}

impl Ayni {
    /// Submits a value (a new revision when the same indicator, period, territory and
    /// disaggregation already has one). Contributors only for indicators their actor is
    /// responsible for; coordinators and admins for any.
    pub async fn submit_measurement(
        &self,
        caller: &Caller,
        input: MeasurementInput,
    ) -> Result<Measurement, AppError> {
        let actor_id = match caller.role {
            Role::Monitor => {
                return Err(AppError::Forbidden(
                    "the monitor role may not submit values".into(),
                ));
            }
            Role::Contributor => {
                let own = caller.actor_id.ok_or_else(|| {
                    AppError::Forbidden(
                        "a contributor must be bound to an actor to submit values".into(),
                    )
                })?;
                if input.actor_id.is_some_and(|a| a != own) {
                    return Err(AppError::Forbidden(
                        "a contributor submits for its own actor only".into(),
                    ));
                }
                own
            }
            Role::Coordinator | Role::Admin => {
                input.actor_id.or(caller.actor_id).ok_or_else(|| {
                    AppError::invalid(
                        "actorId",
                        "required",
                        "say which actor the value comes from (actorId)",
                    )
                })?
            }
        };
        let mut errors = ValidationErrors::new();
        let value = errors.check(finite("value", input.value));
        let evidence = errors.check(Evidence::parse(
            input.evidence_url.as_deref(),
            input.evidence_text.as_deref(),
        ));
        let disaggregation = errors.check(Disaggregation::parse(
            "disaggregation",
            &input.disaggregation,
        ));
        let comment = errors.check(text(
            "comment",
            input.comment.as_deref().unwrap_or(""),
            0,
            2000,
        ));
        let territory = match &input.territory {
            Some(t) => errors.check(Ubigeo::parse("territory", t)).map(Some),
            None => Some(None),
        };
        let (Some(value), Some(evidence), Some(disaggregation), Some(comment), Some(territory)) =
            (value, evidence, disaggregation, comment, territory)
        else {
            return Err(AppError::Invalid(errors));
        };
        let is_contributor = caller.role == Role::Contributor;
        let stored = self
            .db
            .write(caller.author(), move |tx| {
                let ind = indicator::by_id(tx.conn(), input.indicator_id)?.ok_or_else(|| {
                    AppError::invalid(
                        "indicatorId",
                        "exists",
                        format!("no indicator with id {}", input.indicator_id),
                    )
                })?;
                if is_contributor {
                    let responsible = indicator::responsibles_of(tx.conn(), &[ind.id])?;
                    if !responsible.iter().any(|(_, a)| *a == actor_id) {
                        return Err(AppError::Forbidden(format!(
                            "your actor is not responsible for indicator {}",
                            ind.code
                        )));
                    }
                }
                if actor::by_id(tx.conn(), actor_id)?.is_none() {
                    return Err(AppError::invalid(
                        "actorId",
                        "exists",
                        format!("no actor with id {actor_id}"),
                    ));
                }
                let period = Period::parse_typed("period", &input.period, ind.periodicity()?)?;
                let eco = ecosystem::by_id(tx.conn(), ind.ecosystem_id)?
                    .ok_or_else(|| AppError::internal("indicator without ecosystem"))?;
                let home =
                    Ubigeo::parse("territory", &eco.territory).map_err(AppError::internal)?;
                let territory = territory.unwrap_or_else(|| home.clone());
                if !home.contains(&territory) {
                    return Err(AppError::invalid(
                        "territory",
                        "inside",
                        format!("{territory} lies outside the ecosystem's territory {home}"),
                    ));
                }
                let new = NewMeasurement {
                    indicator_id: ind.id,
                    period: &period,
                    territory: &territory,
                    disaggregation: &disaggregation,
                    value,
                    evidence: &evidence,
                    comment: &comment,
                    actor_id,
                };
                measurement::submit(tx, new).map_err(AppError::from)
            })
            .await?;
        Ok(stored)
    }

    /// Approves a submitted value (coordinator or admin); it then counts in scores, and live
    /// subscribers hear of it.
    pub async fn approve_measurement(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<Measurement, AppError> {
        caller.require(Role::manages_strategy, "approve values")?;
        let (approved, event) = self
            .db
            .write(caller.author(), move |tx| {
                let before = measurement::require(tx.conn(), id)?;
                if before.status()? != MeasurementStatus::Submitted {
                    return Err(AppError::Conflict {
                        field: "id".into(),
                        message: format!("measurement {id} is already {}", before.status),
                    });
                }
                let after = measurement::approve(tx, &before)?;
                let ind = indicator::require(tx.conn(), after.indicator_id)?;
                let eco = ecosystem::by_id(tx.conn(), ind.ecosystem_id)?
                    .ok_or_else(|| AppError::internal("indicator without ecosystem"))?;
                let event = ApprovedValue {
                    ecosystem_slug: eco.slug,
                    indicator_code: ind.code,
                    measurement: after.clone(),
                };
                Ok::<_, AppError>((after, event))
            })
            .await?;
        // Nobody listening is fine.
        let _ = self.events.send(event);
        Ok(approved)
    }

    /// Rejects a submitted value with a reason (coordinator or admin).
    pub async fn reject_measurement(
        &self,
        caller: &Caller,
        id: i64,
        reason: String,
    ) -> Result<Measurement, AppError> {
        caller.require(Role::manages_strategy, "reject values")?;
        let reason = text("reason", &reason, 1, 2000)?;
        self.db
            .write(caller.author(), move |tx| {
                let before = measurement::require(tx.conn(), id)?;
                if before.status()? != MeasurementStatus::Submitted {
                    return Err(AppError::Conflict {
                        field: "id".into(),
                        message: format!("measurement {id} is already {}", before.status),
                    });
                }
                measurement::reject(tx, &before, &reason).map_err(AppError::from)
            })
            .await
    }

    /// The values of these indicators the caller may see.
    pub async fn measurements(
        &self,
        caller: Option<&Caller>,
        indicator_ids: Vec<i64>,
        filter: MeasurementFilter,
    ) -> Result<Vec<Measurement>, AppError> {
        let visibility = visibility(caller);
        self.db
            .run(move |c| {
                measurement::list(c, &indicator_ids, visibility, &filter).map_err(AppError::from)
            })
            .await
    }

    /// Subscribes to newly approved values.
    pub fn approved_values(&self) -> tokio::sync::broadcast::Receiver<ApprovedValue> {
        self.events.subscribe()
    }
}
