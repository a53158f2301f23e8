//! Data quality: period locks (an ecosystem closes a period's figures), the checks every
//! entry path shares (no future period, the valid range, no locked period), and the outlier
//! flags reviewers see on values.

use std::collections::HashMap;

use crate::db::DbConnection;
use crate::db::models::measurement::{self, Measurement, Subject};
use crate::db::models::period_lock;
use crate::domain::plausibility::{self, OutlierKind, QualityFlag, Spread, ValidRange};
use crate::domain::strategy::text;
use crate::domain::{Period, Role};

use super::ecosystems::require_ecosystem;
use super::model;
use super::{AppError, Ayni, Caller};

/// Longest reason for locking or unlocking a period.
pub const MAX_LOCK_REASON: usize = 1000;

/// Refuses a value of `period` when it lies in the future (values of the period in course
/// are fine) or outside `range` (effective for `unit`).
pub(super) fn check_plausible(
    period: &Period,
    value: f64,
    range: ValidRange,
    unit: &str,
    today: chrono::NaiveDate,
) -> Result<(), AppError> {
    let mut errors = crate::domain::ValidationErrors::new();
    errors.check(plausibility::not_after_current("period", period, today));
    errors.check(range.effective(unit).check("value", value, unit));
    Ok(errors.into_result()?)
}

fn locked(lock: &period_lock::PeriodLock, period: &Period, what: &str) -> AppError {
    let within = if lock.period == period.to_string() {
        String::new()
    } else {
        format!(" (within {})", lock.period)
    };
    AppError::PeriodLocked(format!(
        "the figures of {period}{within} are closed: {what} is refused until the period is unlocked (locked because: {})",
        lock.reason
    ))
}

/// Refuses when a lock covers the value of `subject` at `period`; `what` names the action
/// ("submitting values").
pub(super) fn require_unlocked(
    conn: &mut DbConnection,
    subject: Subject,
    period: &Period,
    what: &str,
) -> Result<(), AppError> {
    match period_lock::first_covering(conn, &[(subject, *period)], &[])? {
        Some((_, lock)) => Err(locked(&lock, period, what)),
        None => Ok(()),
    }
}

/// [`require_unlocked`] for many values at once (an import): `extra` names ecosystems whose
/// locks cover every value. Returns the index of the first locked value with the error.
pub(super) fn first_locked(
    conn: &mut DbConnection,
    values: &[(Subject, Period)],
    extra: &[i64],
    what: &str,
) -> Result<Option<(usize, AppError)>, AppError> {
    Ok(period_lock::first_covering(conn, values, extra)?
        .map(|(i, lock)| (i, locked(&lock, &values[i].1, what))))
}

/// [`require_unlocked`] for each of many values: the refusal of each locked one, in order.
pub(super) fn each_locked(
    conn: &mut DbConnection,
    values: &[(Subject, Period)],
    what: &str,
) -> Result<Vec<Option<AppError>>, AppError> {
    Ok(period_lock::covering_each(conn, values, &[])?
        .into_iter()
        .zip(values)
        .map(|(lock, (_, period))| lock.map(|l| locked(&l, period, what)))
        .collect())
}

/// The quality flags of stored values, by measurement id, from one read of the approved
/// (counted) values of their subjects.
fn flags_of(
    conn: &mut DbConnection,
    targets: &[Measurement],
) -> Result<HashMap<i64, Vec<QualityFlag>>, AppError> {
    let mut subjects = Vec::new();
    for m in targets {
        subjects.push(m.subject()?);
    }
    let reference = measurement::counted_of_subjects(conn, &subjects)?;
    flags_against(targets, &reference)
}

/// The quality flags of stored values against `reference`, the counted values of their
/// subjects ([`measurement::counted_of_subjects`]), by measurement id.
pub(super) fn flags_against(
    targets: &[Measurement],
    reference: &[Measurement],
) -> Result<HashMap<i64, Vec<QualityFlag>>, AppError> {
    let mut subjects = Vec::new();
    for m in targets {
        subjects.push(m.subject()?);
    }
    // Series: (subject, territory, disaggregation) → (period, value).
    type SeriesKey<'a> = (Subject, &'a str, &'a str);
    let mut series: HashMap<SeriesKey<'_>, Vec<(Period, f64)>> = HashMap::new();
    // Cross-sections: (subject, period, disaggregation, territory level) → (territory, value).
    type SectionKey<'a> = (Subject, Period, &'a str, usize);
    let mut sections: HashMap<SectionKey<'_>, Vec<(&str, f64)>> = HashMap::new();
    let mut subject_of = Vec::with_capacity(reference.len());
    for r in reference {
        subject_of.push(r.subject()?);
    }
    for (r, s) in reference.iter().zip(&subject_of) {
        series
            .entry((*s, &r.territory, &r.disaggregation))
            .or_default()
            .push((r.period, r.value));
        sections
            .entry((*s, r.period, &r.disaggregation, r.territory.len()))
            .or_default()
            .push((&r.territory, r.value));
    }
    let mut whole_sections: HashMap<SectionKey<'_>, Option<Spread>> = HashMap::new();
    let mut out = HashMap::new();
    for (m, s) in targets.iter().zip(&subjects) {
        let mut flags = Vec::new();
        if let Some(points) = series.get(&(*s, m.territory.as_str(), m.disaggregation.as_str())) {
            let refs: Vec<f64> = points
                .iter()
                .filter(|(p, _)| *p != m.period && p.kind() == m.period.kind())
                .map(|(_, v)| *v)
                .collect();
            flags.extend(plausibility::outlier(OutlierKind::History, m.value, &refs));
        }
        let key = (*s, m.period, m.disaggregation.as_str(), m.territory.len());
        if let Some(members) = sections.get(&key) {
            let flag = if m.counted {
                // The counted value is a member of its cross-section: score it against the
                // whole, computed once per cross-section.
                let spread = whole_sections.entry(key).or_insert_with(|| {
                    Spread::of(&members.iter().map(|(_, v)| *v).collect::<Vec<_>>())
                });
                spread
                    .as_ref()
                    .and_then(|sp| plausibility::outlier_in(OutlierKind::Territory, m.value, sp))
            } else {
                let refs: Vec<f64> = members
                    .iter()
                    .filter(|(t, _)| *t != m.territory)
                    .map(|(_, v)| *v)
                    .collect();
                plausibility::outlier(OutlierKind::Territory, m.value, &refs)
            };
            flags.extend(flag);
        }
        if !flags.is_empty() {
            out.insert(m.id, flags);
        }
    }
    Ok(out)
}

/// A flag on one row of an import.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RowFlag {
    pub line: u64,
    /// `HISTORY_OUTLIER` or `TERRITORY_OUTLIER`.
    pub kind: String,
    pub z_score: f64,
    pub reason: String,
}

/// One imported row to score: its line, variable, period, territory and value.
pub(super) struct ScoredRow<'a> {
    pub line: u64,
    pub variable_id: i64,
    pub period: Period,
    pub territory: &'a str,
    pub value: f64,
}

/// The outlier flags of an import's new rows: against each series' approved history, and
/// against the other territories (of the same level) of the same period, where the file's
/// rows stand in for the stored values of their territories. Returns every flag, in line
/// order.
pub(super) fn import_flags(
    conn: &mut DbConnection,
    rows: &[ScoredRow<'_>],
) -> Result<Vec<RowFlag>, AppError> {
    let mut ids: Vec<i64> = rows.iter().map(|r| r.variable_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let subjects: Vec<Subject> = ids.iter().map(|v| Subject::Variable(*v)).collect();
    let stored = measurement::counted_of_subjects(conn, &subjects)?;
    let mut series: HashMap<(i64, &str), Vec<(Period, f64)>> = HashMap::new();
    let mut sections: HashMap<(i64, Period, usize), HashMap<&str, f64>> = HashMap::new();
    for r in stored.iter().filter(|r| r.disaggregation.is_empty()) {
        let Some(v) = r.variable_id else { continue };
        series
            .entry((v, &r.territory))
            .or_default()
            .push((r.period, r.value));
        sections
            .entry((v, r.period, r.territory.len()))
            .or_default()
            .insert(&r.territory, r.value);
    }
    for r in rows {
        sections
            .entry((r.variable_id, r.period, r.territory.len()))
            .or_default()
            .insert(r.territory, r.value);
    }
    let spreads: HashMap<(i64, Period, usize), Option<Spread>> = sections
        .iter()
        .filter(|(_, members)| members.len() > plausibility::MIN_REFERENCE_POINTS)
        .map(|(k, members)| {
            (
                *k,
                Spread::of(&members.values().copied().collect::<Vec<_>>()),
            )
        })
        .collect();
    let mut out = Vec::new();
    for r in rows {
        let mut flags = Vec::new();
        if let Some(points) = series.get(&(r.variable_id, r.territory)) {
            let refs: Vec<f64> = points
                .iter()
                .filter(|(p, _)| *p != r.period)
                .map(|(_, v)| *v)
                .collect();
            flags.extend(plausibility::outlier(OutlierKind::History, r.value, &refs));
        }
        if let Some(Some(spread)) = spreads.get(&(r.variable_id, r.period, r.territory.len())) {
            flags.extend(plausibility::outlier_in(
                OutlierKind::Territory,
                r.value,
                spread,
            ));
        }
        out.extend(flags.into_iter().map(|f| RowFlag {
            line: r.line,
            kind: f.kind.as_str().to_uppercase(),
            z_score: f.z_score,
            reason: f.reason,
        }));
    }
    out.sort_by_key(|f| f.line);
    Ok(out)
}

/// Whether the caller may see the quality flags of a value of `actor_id`: coordinators and
/// admins, and the contributors of the actor that submitted it. Not the public: a flag is a
/// question for reviewers, not a finding.
pub fn may_see_flags(caller: Option<&Caller>, actor_id: i64) -> bool {
    caller.is_some_and(|c| {
        c.role.manages_strategy() || (c.role == Role::Contributor && c.actor_id == Some(actor_id))
    })
}

/// A lock's or unlock's period and reason, validated together.
fn lock_input(period: &str, reason: &str) -> Result<(Period, String), AppError> {
    let mut errors = crate::domain::ValidationErrors::new();
    let period = errors.check(Period::parse("period", period));
    let reason = errors.check(text("reason", reason, 1, MAX_LOCK_REASON));
    match (period, reason) {
        (Some(period), Some(reason)) => Ok((period, reason)),
        _ => Err(AppError::Invalid(errors)),
    }
}

impl Ayni {
    /// Closes an ecosystem's figures for a period (coordinators and admins).
    pub async fn lock_period(
        &self,
        caller: &Caller,
        ecosystem_id: i64,
        period: String,
        reason: String,
    ) -> Result<model::PeriodLock, AppError> {
        caller.require_strategist("lock periods")?;
        let (period, reason) = lock_input(&period, &reason)?;
        let locked = self
            .db
            .write(caller.author(), move |tx| {
                let eco = require_ecosystem(tx.conn(), ecosystem_id)?;
                if period_lock::active(tx.conn(), ecosystem_id, &period)?.is_some() {
                    return Err(AppError::Conflict {
                        field: "period".into(),
                        message: format!("{period} is already locked"),
                    });
                }
                let lock = period_lock::lock(tx, ecosystem_id, &period, &reason)?;
                super::notifications::period_locked(
                    tx,
                    eco.id,
                    &eco.name,
                    &period.to_string(),
                    &reason,
                )?;
                Ok::<_, AppError>(lock)
            })
            .await?;
        self.mail_notifications();
        Ok(locked.into())
    }

    /// Reopens a locked period (coordinators and admins); the lock stays on record with who
    /// lifted it, when and why.
    pub async fn unlock_period(
        &self,
        caller: &Caller,
        ecosystem_id: i64,
        period: String,
        reason: String,
    ) -> Result<model::PeriodLock, AppError> {
        caller.require_strategist("unlock periods")?;
        let (period, reason) = lock_input(&period, &reason)?;
        self.db
            .write(caller.author(), move |tx| {
                require_ecosystem(tx.conn(), ecosystem_id)?;
                let before = period_lock::active(tx.conn(), ecosystem_id, &period)?
                    .ok_or_else(|| AppError::not_found(format!("a lock of {period}")))?;
                period_lock::unlock(tx, &before, &reason).map_err(AppError::from)
            })
            .await
            .map(model::PeriodLock::from)
    }

    /// An ecosystem's period locks, newest first: the active ones, and with `include_lifted`
    /// the lifted ones too. Public (who locked is for coordinators and admins: the
    /// interfaces hide it).
    pub async fn period_locks(
        &self,
        ecosystem_id: i64,
        include_lifted: bool,
    ) -> Result<Vec<model::PeriodLock>, AppError> {
        self.db
            .run(move |c| {
                period_lock::of_ecosystem(c, ecosystem_id, include_lifted).map_err(AppError::from)
            })
            .await
            .map(model::all)
    }

    /// The quality flags of these values, as `(measurement id, flag)` pairs (batch loading;
    /// the interfaces show them to [`may_see_flags`] callers only).
    pub async fn quality_flags(&self, ids: Vec<i64>) -> Result<Vec<(i64, QualityFlag)>, AppError> {
        self.db
            .run(move |c| {
                let rows = measurement::by_ids(c, &ids)?;
                let flags = flags_of(c, &rows)?;
                Ok(flags
                    .into_iter()
                    .flat_map(|(id, fs)| fs.into_iter().map(move |f| (id, f)))
                    .collect())
            })
            .await
    }
}
