//! Contributed values: submission by responsible actors, review by the coordinating body,
//! revisions, and who may see what.

use crate::db::DbConnection;
use crate::db::models::actor;
use crate::db::models::ecosystem;
use crate::db::models::indicator;
use crate::db::models::measurement::{
    self, Measurement, NewMeasurement, Subject, Subjects, Visibility,
};
use crate::domain::indicator::finite;
use crate::domain::strategy::text;
use crate::domain::{
    Disaggregation, Evidence, MeasurementStatus, Period, Role, Ubigeo, ValidationErrors,
};

use super::data_quality::{check_plausible, each_locked, require_unlocked};
use super::model;
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
    /// An evidence file uploaded with it (the workspace's form).
    pub evidence_file: Option<super::UploadedEvidence>,
}

/// Filters on a listing of contributed values.
#[derive(Debug, Clone, Default)]
pub struct MeasurementFilter {
    pub status: Option<MeasurementStatus>,
    /// Periods starting on or after this one's start.
    pub from: Option<Period>,
    /// Periods ending on or before this one's end.
    pub to: Option<Period>,
    pub territory: Option<String>,
}

impl From<MeasurementFilter> for measurement::MeasurementFilter {
    fn from(f: MeasurementFilter) -> Self {
        measurement::MeasurementFilter {
            status: f.status,
            from: f.from,
            to: f.to,
            territory: f.territory,
        }
    }
}

/// A newly approved value, as pushed to live subscribers.
#[derive(Debug, Clone)]
pub struct ApprovedValue {
    pub ecosystem_slug: String,
    pub indicator_code: String,
    pub measurement: model::Measurement,
}

/// What a caller may see of contributed values.
pub(super) fn visibility(caller: Option<&Caller>) -> Visibility {
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
    ) -> Result<model::Measurement, AppError> {
        let actor_id = contributing_actor(caller, input.actor_id)?;
        let Contribution {
            value,
            evidence,
            disaggregation,
            comment,
            territory,
        } = Contribution::parse(
            input.value,
            input.evidence_url.as_deref(),
            input.evidence_text.as_deref(),
            &input.disaggregation,
            input.comment.as_deref(),
            input.territory.as_deref(),
            input.evidence_file.as_ref().map(|f| f.file_name()),
        )?;
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
                if ind.definition.formula.is_some() {
                    return Err(AppError::invalid(
                        "indicatorId",
                        "computed",
                        format!(
                            "indicator {} is computed from its formula; submit observations of its variables instead",
                            ind.definition.code
                        ),
                    ));
                }
                if is_contributor {
                    let responsible = indicator::responsibles_of(tx.conn(), &[ind.id])?;
                    if !responsible.iter().any(|(_, a)| *a == actor_id) {
                        return Err(AppError::Forbidden(format!(
                            "your actor is not responsible for indicator {}",
                            ind.definition.code
                        )));
                    }
                }
                require_actor(tx.conn(), actor_id)?;
                let period = Period::parse_typed("period", &input.period, ind.definition.periodicity)?;
                let d = &ind.definition;
                check_plausible(&period, value, d.valid_range, &d.unit, tx.now().date())?;
                let eco = ecosystem::by_id(tx.conn(), ind.ecosystem_id)?
                    .ok_or_else(|| AppError::internal("indicator without ecosystem"))?;
                let home =
                    eco.territory.clone();
                let territory = territory.unwrap_or_else(|| home.clone());
                if !home.contains(&territory) {
                    return Err(AppError::invalid(
                        "territory",
                        "inside",
                        format!("{territory} lies outside the ecosystem's territory {home}"),
                    ));
                }
                let evidence_file = super::evidence::record(tx, input.evidence_file.as_ref())?;
                let new = NewMeasurement {
                    subject: Subject::Indicator(ind.id),
                    period: &period,
                    territory: &territory,
                    disaggregation: &disaggregation,
                    value,
                    evidence: &evidence,
                    comment: &comment,
                    actor_id,
                    basis: None,
                    evidence_file,
                };
                require_unlocked(tx.conn(), new.subject, &period, "submitting values")?;
                let stored = measurement::submit(tx, new)?;
                super::notifications::awaiting_review(tx, &stored)?;
                Ok::<_, AppError>(stored)
            })
            .await?;
        self.mail_notifications();
        Ok(stored.into())
    }

    /// Approves a submitted value (coordinator or admin); it then counts in scores, and live
    /// subscribers hear of it.
    pub async fn approve_measurement(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<model::Measurement, AppError> {
        caller.require(Role::manages_strategy, "approve values")?;
        let (approved, events) = self
            .db
            .write(caller.author(), move |tx| {
                let before = measurement::require(tx.conn(), id)?;
                if before.status != MeasurementStatus::Submitted {
                    return Err(AppError::Conflict {
                        field: "id".into(),
                        message: format!("measurement {id} is already {}", before.status),
                    });
                }
                require_unlocked(
                    tx.conn(),
                    before.subject()?,
                    &before.period,
                    "approving values",
                )?;
                // A row written around the application (no entry of its own, no covering
                // import digest) is never published by an approval.
                if !crate::db::verify::value_is_covered(tx.conn(), &before)? {
                    return Err(AppError::Conflict {
                        field: "id".into(),
                        message: format!(
                            "measurement {id} is not covered by the audit chain (written outside the application?); run `ayni audit verify`"
                        ),
                    });
                }
                let after = measurement::approve(tx, &before)?;
                let events = approval_events(tx.conn(), &after)?;
                Ok::<_, AppError>((after, events))
            })
            .await?;
        for event in events {
            // Nobody listening is fine.
            let _ = self.events.send(event);
        }
        self.work.approved(1);
        Ok(approved.into())
    }

    /// Approves each of these values as [`Ayni::approve_measurement`] called on each in turn
    /// would, set-wise: the same checks per value (it exists, is submitted, no lock covers
    /// it, the audit chain covers it) with the same refusals, and for the others the same
    /// rows, audit entries and live events, written in one transaction with a few statements
    /// ([`measurement::approve_all`]). A refused value does not stop the others. Returns each
    /// value's outcome in the order given (`ids` holds no duplicates).
    pub(super) async fn approve_each(
        &self,
        caller: &Caller,
        ids: Vec<i64>,
    ) -> Result<Vec<(i64, Result<model::Measurement, AppError>)>, AppError> {
        caller.require(Role::manages_strategy, "approve values")?;
        let (outcomes, events) = self
            .db
            .write(caller.author(), move |tx| {
                let mut found = std::collections::HashMap::new();
                for chunk in ids.chunks(1000) {
                    for m in measurement::by_ids(tx.conn(), chunk)? {
                        found.insert(m.id, m);
                    }
                }
                let mut refused: std::collections::HashMap<i64, AppError> =
                    std::collections::HashMap::new();
                let mut candidates = Vec::new();
                let mut values = Vec::new();
                for id in &ids {
                    let Some(before) = found.remove(id) else {
                        let missing = crate::db::StoreError::NotFound {
                            entity: measurement::ENTITY,
                            key: id.to_string(),
                        };
                        refused.insert(*id, missing.into());
                        continue;
                    };
                    if before.status != MeasurementStatus::Submitted {
                        refused.insert(
                            *id,
                            AppError::Conflict {
                                field: "id".into(),
                                message: format!(
                                    "measurement {id} is already {}",
                                    before.status
                                ),
                            },
                        );
                        continue;
                    }
                    match before.subject() {
                        Ok(subject) => {
                            values.push((subject, before.period));
                            candidates.push(before);
                        }
                        Err(e) => {
                            refused.insert(*id, e.into());
                        }
                    }
                }
                let locks = each_locked(tx.conn(), &values, "approving values")?;
                let mut open = Vec::with_capacity(candidates.len());
                for (before, lock) in candidates.into_iter().zip(locks) {
                    match lock {
                        Some(e) => {
                            refused.insert(before.id, e);
                        }
                        None => open.push(before),
                    }
                }
                // A row written around the application (no entry of its own, no covering
                // import digest) is never published by an approval.
                let covered = crate::db::verify::values_covered(tx.conn(), &open)?;
                let (open, uncovered): (Vec<_>, Vec<_>) =
                    open.into_iter().partition(|m| covered.contains(&m.id));
                for m in uncovered {
                    refused.insert(
                        m.id,
                        AppError::Conflict {
                            field: "id".into(),
                            message: format!(
                                "measurement {} is not covered by the audit chain (written outside the application?); run `ayni audit verify`",
                                m.id
                            ),
                        },
                    );
                }
                let approved = measurement::approve_all(tx, open)?;
                let events = approval_events_all(tx.conn(), &approved)?;
                let mut approved: std::collections::HashMap<i64, Measurement> =
                    approved.into_iter().map(|m| (m.id, m)).collect();
                let outcomes: Vec<(i64, Result<model::Measurement, AppError>)> = ids
                    .iter()
                    .map(|id| {
                        let outcome = match (approved.remove(id), refused.remove(id)) {
                            (Some(m), _) => Ok(m.into()),
                            (None, Some(e)) => Err(e),
                            (None, None) => Err(AppError::internal("an approval went missing")),
                        };
                        (*id, outcome)
                    })
                    .collect();
                Ok::<_, AppError>((outcomes, events))
            })
            .await?;
        for event in events {
            // Nobody listening is fine.
            let _ = self.events.send(event);
        }
        self.work
            .approved(outcomes.iter().filter(|(_, o)| o.is_ok()).count() as u64);
        Ok(outcomes)
    }

    /// Rejects a submitted value with a reason (coordinator or admin).
    pub async fn reject_measurement(
        &self,
        caller: &Caller,
        id: i64,
        reason: String,
    ) -> Result<model::Measurement, AppError> {
        caller.require(Role::manages_strategy, "reject values")?;
        let reason = text("reason", &reason, 1, 2000)?;
        let rejected = self
            .db
            .write(caller.author(), move |tx| {
                let before = measurement::require(tx.conn(), id)?;
                if before.status != MeasurementStatus::Submitted {
                    return Err(AppError::Conflict {
                        field: "id".into(),
                        message: format!("measurement {id} is already {}", before.status),
                    });
                }
                require_unlocked(
                    tx.conn(),
                    before.subject()?,
                    &before.period,
                    "rejecting values",
                )?;
                let after = measurement::reject(tx, &before, &reason)?;
                super::notifications::rejected(tx, &after)?;
                Ok::<_, AppError>(after)
            })
            .await?;
        self.mail_notifications();
        Ok(rejected.into())
    }

    /// The values of these indicators the caller may see.
    pub async fn measurements(
        &self,
        caller: Option<&Caller>,
        indicator_ids: Vec<i64>,
        filter: MeasurementFilter,
    ) -> Result<Vec<model::Measurement>, AppError> {
        let visibility = visibility(caller);
        let filter = measurement::MeasurementFilter::from(filter);
        self.db
            .run(move |c| {
                measurement::list(c, Subjects::Indicators(&indicator_ids), visibility, &filter)
                    .map_err(AppError::from)
            })
            .await
            .map(model::all)
    }

    /// Subscribes to newly approved values.
    pub fn approved_values(&self) -> tokio::sync::broadcast::Receiver<ApprovedValue> {
        self.events.subscribe()
    }
}

/// The actor a value is submitted for: a contributor's own; for coordinators and admins the
/// one they name (or their own).
pub(super) fn contributing_actor(caller: &Caller, requested: Option<i64>) -> Result<i64, AppError> {
    match caller.role {
        Role::Monitor => Err(AppError::Forbidden(
            "the monitor role may not submit values".into(),
        )),
        Role::Contributor => {
            let own = caller.actor_id.ok_or_else(|| {
                AppError::Forbidden(
                    "a contributor must be bound to an actor to submit values".into(),
                )
            })?;
            if requested.is_some_and(|a| a != own) {
                return Err(AppError::Forbidden(
                    "a contributor submits for its own actor only".into(),
                ));
            }
            Ok(own)
        }
        Role::Coordinator | Role::Admin => requested.or(caller.actor_id).ok_or_else(|| {
            AppError::invalid(
                "actorId",
                "required",
                "say which actor the value comes from (actorId)",
            )
        }),
    }
}

pub(super) fn require_actor(conn: &mut DbConnection, actor_id: i64) -> Result<(), AppError> {
    match actor::by_id(conn, actor_id)? {
        Some(_) => Ok(()),
        None => Err(AppError::invalid(
            "actorId",
            "exists",
            format!("no actor with id {actor_id}"),
        )),
    }
}

/// The parts of a submitted value every subject shares, validated together.
pub(super) struct Contribution {
    pub value: f64,
    pub evidence: Evidence,
    pub disaggregation: Disaggregation,
    pub comment: String,
    pub territory: Option<Ubigeo>,
}

impl Contribution {
    pub fn parse(
        value: f64,
        evidence_url: Option<&str>,
        evidence_text: Option<&str>,
        disaggregation: &[(String, String)],
        comment: Option<&str>,
        territory: Option<&str>,
        file_name: Option<&str>,
    ) -> Result<Contribution, AppError> {
        let mut errors = ValidationErrors::new();
        let value = errors.check(finite("value", value));
        let evidence = errors.check(Evidence::parse_with_file(
            evidence_url,
            evidence_text,
            file_name,
        ));
        let disaggregation = errors.check(Disaggregation::parse("disaggregation", disaggregation));
        let comment = errors.check(text("comment", comment.unwrap_or(""), 0, 2000));
        let territory = match territory {
            Some(t) => errors.check(Ubigeo::parse("territory", t)).map(Some),
            None => Some(None),
        };
        match (value, evidence, disaggregation, comment, territory) {
            (Some(value), Some(evidence), Some(disaggregation), Some(comment), Some(territory)) => {
                Ok(Contribution {
                    value,
                    evidence,
                    disaggregation,
                    comment,
                    territory,
                })
            }
            _ => Err(AppError::Invalid(errors)),
        }
    }
}

/// [`approval_events`] of many approvals, in their order, from three queries.
fn approval_events_all(
    conn: &mut DbConnection,
    approved: &[Measurement],
) -> Result<Vec<ApprovedValue>, AppError> {
    let mut subjects = Vec::with_capacity(approved.len());
    let mut variables = Vec::new();
    let mut indicator_ids = Vec::new();
    for m in approved {
        let s = m.subject()?;
        match s {
            Subject::Indicator(id) => indicator_ids.push(id),
            Subject::Variable(v) => variables.push(v),
            Subject::Impact { .. } => {}
        }
        subjects.push(s);
    }
    variables.sort_unstable();
    variables.dedup();
    let users = indicator::users_of(conn, &variables)?;
    indicator_ids.extend(users.iter().map(|(_, i)| *i));
    indicator_ids.sort_unstable();
    indicator_ids.dedup();
    let indicators = indicator::by_ids(conn, &indicator_ids)?;
    let ecosystems = ecosystem::by_ids(
        conn,
        &indicators
            .iter()
            .map(|i| i.ecosystem_id)
            .collect::<Vec<_>>(),
    )?;
    let event = |ind_id: i64, m: &Measurement| {
        let ind = indicators.iter().find(|i| i.id == ind_id)?;
        let eco = ecosystems.iter().find(|e| e.id == ind.ecosystem_id)?;
        Some(ApprovedValue {
            ecosystem_slug: eco.slug.clone(),
            indicator_code: ind.definition.code.clone(),
            measurement: m.clone().into(),
        })
    };
    let mut out = Vec::new();
    for (m, s) in approved.iter().zip(subjects) {
        match s {
            Subject::Indicator(id) => out.extend(event(id, m)),
            Subject::Variable(v) => {
                // In the order `users_of` gives them, as one approval's events are.
                let ids: Vec<i64> = users
                    .iter()
                    .filter(|(var, _)| *var == v)
                    .map(|(_, i)| *i)
                    .collect();
                for ind in indicators.iter().filter(|i| ids.contains(&i.id)) {
                    out.extend(event(ind.id, m));
                }
            }
            Subject::Impact { .. } => {}
        }
    }
    Ok(out)
}

/// What live subscribers hear of an approval: the indicator itself, or every formula
/// indicator that reads the observed variable.
fn approval_events(
    conn: &mut DbConnection,
    approved: &Measurement,
) -> Result<Vec<ApprovedValue>, AppError> {
    approval_events_all(conn, std::slice::from_ref(approved))
}
