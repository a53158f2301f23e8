//! Period locks: an ecosystem's figures for a period are closed. A lock covers every value
//! whose period lies within the locked one (a lock of `2024` covers `2024Q3` and `202403`).
//! Unlocking keeps the row, with who reopened it, when and why.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{ecosystem_variables, indicators, period_locks, vecs};
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::Period;

use super::measurement::Subject;

pub const ENTITY: &str = "period_lock";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = period_locks)]
pub struct PeriodLock {
    pub id: i64,
    pub ecosystem_id: i64,
    pub period: String,
    pub period_start: String,
    pub period_end: String,
    pub reason: String,
    pub locked_by: Option<i64>,
    pub locked_at: NaiveDateTime,
    pub unlock_reason: Option<String>,
    pub unlocked_by: Option<i64>,
    pub unlocked_at: Option<NaiveDateTime>,
}

impl PeriodLock {
    /// Whether this lock covers a value of `period`.
    pub fn covers(&self, period: &Period) -> bool {
        self.period_start <= period.start().to_string()
            && period.end().to_string() <= self.period_end
    }
}

/// The active lock of exactly this period, if any.
pub fn active(
    conn: &mut DbConnection,
    ecosystem_id: i64,
    period: &Period,
) -> Result<Option<PeriodLock>, StoreError> {
    Ok(period_locks::table
        .filter(period_locks::ecosystem_id.eq(ecosystem_id))
        .filter(period_locks::period.eq(period.to_string()))
        .filter(period_locks::unlocked_at.is_null())
        .select(PeriodLock::as_select())
        .first(conn)
        .optional()?)
}

/// The active locks of these ecosystems, by period start.
pub fn active_of(
    conn: &mut DbConnection,
    ecosystem_ids: &[i64],
) -> Result<Vec<PeriodLock>, StoreError> {
    Ok(period_locks::table
        .filter(period_locks::ecosystem_id.eq_any(ecosystem_ids))
        .filter(period_locks::unlocked_at.is_null())
        .order((period_locks::period_start.asc(), period_locks::id.asc()))
        .select(PeriodLock::as_select())
        .load(conn)?)
}

/// Every lock of an ecosystem, active or lifted, newest first.
pub fn of_ecosystem(
    conn: &mut DbConnection,
    ecosystem_id: i64,
    include_lifted: bool,
) -> Result<Vec<PeriodLock>, StoreError> {
    let mut q = period_locks::table
        .filter(period_locks::ecosystem_id.eq(ecosystem_id))
        .into_boxed();
    if !include_lifted {
        q = q.filter(period_locks::unlocked_at.is_null());
    }
    Ok(
        q.order((period_locks::locked_at.desc(), period_locks::id.desc()))
            .select(PeriodLock::as_select())
            .load(conn)?,
    )
}

pub fn all(conn: &mut DbConnection) -> Result<Vec<PeriodLock>, StoreError> {
    Ok(period_locks::table
        .select(PeriodLock::as_select())
        .load(conn)?)
}

pub fn lock(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    period: &Period,
    reason: &str,
) -> Result<PeriodLock, StoreError> {
    let now = tx.now();
    let by = tx.author().user_id;
    let p = period.to_string();
    diesel::insert_into(period_locks::table)
        .values((
            period_locks::ecosystem_id.eq(ecosystem_id),
            period_locks::period.eq(&p),
            period_locks::period_start.eq(period.start().to_string()),
            period_locks::period_end.eq(period.end().to_string()),
            period_locks::reason.eq(reason),
            period_locks::locked_by.eq(by),
            period_locks::locked_at.eq(now),
        ))
        .execute(tx.conn())
        .map_err(StoreError::on_unique("period", move || {
            format!("{p} is already locked")
        }))?;
    let stored = active(tx.conn(), ecosystem_id, period)?.ok_or_else(|| StoreError::NotFound {
        entity: ENTITY,
        key: period.to_string(),
    })?;
    tx.record_change(None, Some(&stored))?;
    Ok(stored)
}

pub fn unlock(
    tx: &mut WriteTx<'_>,
    before: &PeriodLock,
    reason: &str,
) -> Result<PeriodLock, StoreError> {
    let now = tx.now();
    let by = tx.author().user_id;
    diesel::update(period_locks::table.find(before.id))
        .set((
            period_locks::unlock_reason.eq(Some(reason)),
            period_locks::unlocked_by.eq(by),
            period_locks::unlocked_at.eq(Some(now)),
        ))
        .execute(tx.conn())?;
    let after: PeriodLock = period_locks::table
        .find(before.id)
        .select(PeriodLock::as_select())
        .first(tx.conn())?;
    tx.record_change(Some(before), Some(&after))?;
    Ok(after)
}

/// The ecosystems whose locks apply to values of these subjects: an indicator's own
/// ecosystem; every ecosystem that selected a variable (a lock by any of them applies); a
/// VEC's ecosystem. Returned as `(subject, ecosystem_id)` pairs, three queries at most.
pub fn ecosystems_of(
    conn: &mut DbConnection,
    subjects: &[Subject],
) -> Result<Vec<(Subject, i64)>, StoreError> {
    let mut ind_ids = Vec::new();
    let mut var_ids = Vec::new();
    let mut vec_ids = Vec::new();
    for s in subjects {
        match s {
            Subject::Indicator(i) => ind_ids.push(*i),
            Subject::Variable(v) => var_ids.push(*v),
            Subject::Impact { vec, .. } => vec_ids.push(*vec),
        }
    }
    for ids in [&mut ind_ids, &mut var_ids, &mut vec_ids] {
        ids.sort_unstable();
        ids.dedup();
    }
    let mut out = Vec::new();
    if !ind_ids.is_empty() {
        let pairs: Vec<(i64, i64)> = indicators::table
            .filter(indicators::id.eq_any(&ind_ids))
            .select((indicators::id, indicators::ecosystem_id))
            .load(conn)?;
        for (i, e) in pairs {
            out.push((Subject::Indicator(i), e));
        }
    }
    if !var_ids.is_empty() {
        for chunk in var_ids.chunks(500) {
            let pairs: Vec<(i64, i64)> = ecosystem_variables::table
                .filter(ecosystem_variables::variable_id.eq_any(chunk))
                .select((
                    ecosystem_variables::variable_id,
                    ecosystem_variables::ecosystem_id,
                ))
                .load(conn)?;
            for (v, e) in pairs {
                out.push((Subject::Variable(v), e));
            }
        }
    }
    if !vec_ids.is_empty() {
        let pairs: Vec<(i64, i64)> = vecs::table
            .filter(vecs::id.eq_any(&vec_ids))
            .select((vecs::id, vecs::ecosystem_id))
            .load(conn)?;
        for (v, e) in pairs {
            for s in subjects {
                if let Subject::Impact { vec, .. } = s
                    && *vec == v
                {
                    out.push((*s, e));
                }
            }
        }
    }
    Ok(out)
}

/// The first active lock that covers a value of one of these `(subject, period)` pairs, with
/// that pair's index. `extra` names ecosystems whose locks apply to every pair (an import's
/// own ecosystem). A handful of queries whatever the number of values.
pub fn first_covering(
    conn: &mut DbConnection,
    values: &[(Subject, Period)],
    extra: &[i64],
) -> Result<Option<(usize, PeriodLock)>, StoreError> {
    Ok(covering_each(conn, values, extra)?
        .into_iter()
        .enumerate()
        .find_map(|(i, lock)| lock.map(|l| (i, l))))
}

/// For each `(subject, period)` pair, the first active lock that covers it (as
/// [`first_covering`] finds it), in one pass: a handful of queries whatever the number of
/// values.
pub fn covering_each(
    conn: &mut DbConnection,
    values: &[(Subject, Period)],
    extra: &[i64],
) -> Result<Vec<Option<PeriodLock>>, StoreError> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let mut subjects: Vec<Subject> = values.iter().map(|(s, _)| *s).collect();
    subjects.sort_by_key(|s| match s {
        Subject::Indicator(i) => (0, *i, 0),
        Subject::Variable(v) => (1, *v, 0),
        Subject::Impact { vec, development } => (2, *vec, *development),
    });
    subjects.dedup();
    let owners = ecosystems_of(conn, &subjects)?;
    let mut ecosystem_ids: Vec<i64> = owners.iter().map(|(_, e)| *e).collect();
    ecosystem_ids.extend_from_slice(extra);
    ecosystem_ids.sort_unstable();
    ecosystem_ids.dedup();
    let locks = active_of(conn, &ecosystem_ids)?;
    if locks.is_empty() {
        return Ok(vec![None; values.len()]);
    }
    let mut by_subject: std::collections::HashMap<Subject, Vec<i64>> =
        std::collections::HashMap::new();
    for (s, e) in owners {
        by_subject.entry(s).or_default().push(e);
    }
    Ok(values
        .iter()
        .map(|(subject, period)| {
            let owners = by_subject.get(subject).map(Vec::as_slice).unwrap_or(&[]);
            locks
                .iter()
                .find(|l| {
                    (owners.contains(&l.ecosystem_id) || extra.contains(&l.ecosystem_id))
                        && l.covers(period)
                })
                .cloned()
        })
        .collect())
}
