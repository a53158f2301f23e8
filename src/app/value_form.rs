//! The value form of the workspace: one cell (subject and period) of the caller's actor,
//! what it already sent for it, whether the period is locked, and the quality flags a
//! value would raise before anything is stored.

use chrono::NaiveDate;

use crate::db::models::ecosystem;
use crate::db::models::measurement::{self, Subject};
use crate::domain::plausibility::{self, OutlierKind, QualityFlag};
use crate::domain::{Period, Ubigeo};

use super::tasks::{Assignment, TaskSubject};
use super::{AppError, Ayni, Caller, model};

/// One cell of the caller's actor: what the form shows.
#[derive(Debug, Clone)]
pub struct ValueCell {
    pub assignment: Assignment,
    pub ecosystem_name: String,
    /// The ecosystem's territory (the default territory of a value).
    pub ecosystem_territory: Ubigeo,
    pub actor_id: i64,
    pub actor_name: String,
    pub period: Period,
    /// The actor's earlier submissions for this period (every territory), oldest first.
    pub earlier: Vec<model::Measurement>,
    /// Why the period is closed, when a lock covers it.
    pub locked: Option<String>,
}

fn subject_of(s: TaskSubject) -> Subject {
    match s {
        TaskSubject::Indicator(id) => Subject::Indicator(id),
        TaskSubject::Variable(id) => Subject::Variable(id),
        TaskSubject::Impact { vec, development } => Subject::Impact { vec, development },
    }
}

impl Ayni {
    /// The cell `subject` at `period` of the caller's actor (or, for coordinators and
    /// admins, of `actor`); `Forbidden` unless that actor supplies that subject in one of its
    /// ecosystems.
    pub async fn value_cell(
        &self,
        caller: &Caller,
        actor: Option<i64>,
        subject: TaskSubject,
        period: &str,
        today: NaiveDate,
    ) -> Result<ValueCell, AppError> {
        let all = self.all_assignments(caller, actor, today).await?;
        let (eco, actor_id, actor_name, assignment) = all
            .iter()
            .find_map(|a| {
                a.all()
                    .find(|x| x.subject == subject)
                    .map(|x| (a.ecosystem.id, a.actor_id, a.actor_name.clone(), x.clone()))
            })
            .ok_or_else(|| {
                AppError::Forbidden("your actor does not supply this value".to_string())
            })?;
        let period = Period::parse_typed("periodo", period, assignment.periodicity)?;
        let stored_subject = subject_of(subject);
        let (eco, earlier, locked) = self
            .db
            .run(move |c| {
                let eco = ecosystem::by_id(c, eco)?
                    .ok_or_else(|| AppError::internal("assignment without ecosystem"))?;
                let mut earlier: Vec<_> = measurement::in_cells(c, &[stored_subject], &[period])?
                    .into_iter()
                    .filter(|m| m.actor_id == actor_id)
                    .collect();
                earlier.sort_by_key(|m| m.id);
                let locked = match super::data_quality::require_unlocked(
                    c,
                    stored_subject,
                    &period,
                    "submitting values",
                ) {
                    Err(AppError::PeriodLocked(why)) => Some(why),
                    Err(other) => return Err(other),
                    Ok(()) => None,
                };
                Ok((eco, earlier, locked))
            })
            .await?;
        Ok(ValueCell {
            assignment,
            ecosystem_name: eco.name,
            ecosystem_territory: eco.territory,
            actor_id,
            actor_name,
            period,
            earlier: earlier.into_iter().map(model::Measurement::from).collect(),
            locked,
        })
    }

    /// The quality flags `value` would raise in the cell (against the counted values of the
    /// same series in other periods, and of other territories of the same level in the same
    /// period), computed before anything is stored.
    pub async fn value_flags(
        &self,
        cell: &ValueCell,
        territory: &str,
        disaggregation: &str,
        value: f64,
    ) -> Result<Vec<QualityFlag>, AppError> {
        let subject = subject_of(cell.assignment.subject);
        let period = cell.period;
        let territory = territory.to_string();
        let disaggregation = disaggregation.to_string();
        let reference = self
            .db
            .run(move |c| Ok::<_, AppError>(measurement::counted_of_subjects(c, &[subject])?))
            .await?;
        let same = |m: &&measurement::Measurement| m.disaggregation == disaggregation;
        let history: Vec<f64> = reference
            .iter()
            .filter(same)
            .filter(|m| m.territory == territory && m.period != period)
            .filter(|m| m.period.kind() == period.kind())
            .map(|m| m.value)
            .collect();
        let section: Vec<f64> = reference
            .iter()
            .filter(same)
            .filter(|m| m.period == period && m.territory != territory)
            .filter(|m| m.territory.len() == territory.len())
            .map(|m| m.value)
            .collect();
        Ok(plausibility::outlier(OutlierKind::History, value, &history)
            .into_iter()
            .chain(plausibility::outlier(
                OutlierKind::Territory,
                value,
                &section,
            ))
            .collect())
    }
}
