//! The review of a contributed value: approval (which decides the counted revision of its
//! series), rejection with a reason, and withdrawal from the scores after an upheld challenge.

use crate::db::schema::measurements;
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::MeasurementStatus;
use diesel::prelude::*;

use super::{Measurement, Subject, of_subject, require};

/// Approves a submitted revision and makes the latest approved revision of its series (its
/// actor's, in its cell) the counted one. Returns the approved row.
pub fn approve(tx: &mut WriteTx<'_>, before: &Measurement) -> Result<Measurement, StoreError> {
    let now = tx.now();
    let reviewer = tx.author().user_id;
    // Which revision of the series counts once this one is approved: the latest approved
    // one that no upheld challenge withdrew.
    let series: Vec<Measurement> = of_subject(measurements::table.into_boxed(), before.subject()?)
        .filter(measurements::period.eq(before.period.to_string()))
        .filter(measurements::territory.eq(&before.territory))
        .filter(measurements::disaggregation.eq(&before.disaggregation))
        .filter(measurements::actor_id.eq(before.actor_id))
        .order(measurements::id.asc())
        .select(Measurement::as_select())
        .load(tx.conn())?;
    let ids: Vec<i64> = series.iter().map(|m| m.id).collect();
    let withdrawn = crate::db::models::challenge::withdrawn(tx.conn(), &ids)?;
    let latest_approved = series
        .iter()
        .filter(|m| m.status == MeasurementStatus::Approved || m.id == before.id)
        .filter(|m| !withdrawn.contains(&m.id))
        .map(|m| m.revision)
        .max();
    for m in &series {
        let counted = Some(m.revision) == latest_approved;
        if m.counted != counted && m.id != before.id {
            diesel::update(measurements::table.find(m.id))
                .set(measurements::counted.eq(counted))
                .execute(tx.conn())?;
            let after = Measurement {
                counted,
                ..m.clone()
            };
            tx.record_change(Some(m), Some(&after))?;
        }
    }
    let update = diesel::update(measurements::table.find(before.id)).set((
        measurements::status.eq(MeasurementStatus::Approved.as_str()),
        measurements::reviewed_by.eq(reviewer),
        measurements::reviewed_at.eq(Some(now)),
        measurements::counted.eq(Some(before.revision) == latest_approved),
    ));
    // One round trip: the row as stored comes back with the update.
    let after: Measurement = match tx.conn() {
        DbConnection::Sqlite(c) => update
            .returning(Measurement::as_returning())
            .get_result(c)?,
        DbConnection::Postgres(c) => update
            .returning(Measurement::as_returning())
            .get_result(c)?,
    };
    tx.record_change(Some(before), Some(&after))?;
    Ok(after)
}

/// Approves these submitted revisions set-wise, writing exactly what [`approve`] called on
/// each in turn writes: the same rows (approved, reviewer, time, which revision of each
/// series counts) and the same audit entries in the same order (each series' other rows
/// whose `counted` changes, in id order, then the approved row), the whole chain's hashes
/// computed in memory. A few queries per thousand rows: the series' other rows, the upheld
/// challenges, then multi-row `UPDATE`s and `INSERT`s. The caller has checked that each row
/// may be approved (submitted, unlocked, covered). Returns each approved row as stored, in
/// the order given.
pub fn approve_all(
    tx: &mut WriteTx<'_>,
    befores: Vec<Measurement>,
) -> Result<Vec<Measurement>, StoreError> {
    use std::collections::{HashMap, HashSet};
    let t0 = std::time::Instant::now();
    let now = tx.now();
    let reviewer = tx.author().user_id;
    // Every row of the series concerned, current state, by id; and each series' ids.
    let mut rows: HashMap<i64, Measurement> = HashMap::with_capacity(befores.len());
    let mut series: HashMap<SeriesKey, Vec<i64>> = HashMap::new();
    let mut order = Vec::with_capacity(befores.len());
    for b in befores {
        order.push(b.id);
        if rows.contains_key(&b.id) {
            continue;
        }
        series.entry(SeriesKey::of(&b)?).or_default().push(b.id);
        rows.insert(b.id, b);
    }
    for other in others_in_series(tx.conn(), &rows)? {
        if let std::collections::hash_map::Entry::Vacant(v) = rows.entry(other.id) {
            series
                .entry(SeriesKey::of(&other)?)
                .or_default()
                .push(other.id);
            v.insert(other);
        }
    }
    for ids in series.values_mut() {
        ids.sort_unstable();
    }
    tracing::debug!(elapsed = ?t0.elapsed(), "approval: series read");
    let withdrawn: HashSet<i64> = crate::db::models::challenge::all_withdrawn(tx.conn())?
        .into_iter()
        .collect();
    // The approvals in turn, in memory.
    let mut changes = Vec::with_capacity(order.len());
    let mut approved = Vec::with_capacity(order.len());
    let mut approved_ids = HashSet::with_capacity(order.len());
    let mut flipped = HashSet::new();
    for id in order {
        let before = rows
            .get(&id)
            .cloned()
            .ok_or_else(|| StoreError::Corrupt(format!("measurement {id} vanished")))?;
        let key = SeriesKey::of(&before)?;
        let members = series.get(&key).map(Vec::as_slice).unwrap_or(&[]);
        let latest_approved = members
            .iter()
            .filter_map(|m| rows.get(m))
            .filter(|m| m.status == MeasurementStatus::Approved || m.id == before.id)
            .filter(|m| !withdrawn.contains(&m.id))
            .map(|m| m.revision)
            .max();
        for m in members {
            let Some(row) = rows.get_mut(m) else { continue };
            let counted = Some(row.revision) == latest_approved;
            if row.counted != counted && row.id != before.id {
                let was = row.clone();
                row.counted = counted;
                changes.push(crate::db::Change::of(Some(&was), Some(&*row))?);
                flipped.insert(row.id);
            }
        }
        let after = Measurement {
            status: MeasurementStatus::Approved,
            reviewed_by: reviewer,
            reviewed_at: Some(now),
            counted: Some(before.revision) == latest_approved,
            ..before.clone()
        };
        changes.push(crate::db::Change::of(Some(&before), Some(&after))?);
        rows.insert(after.id, after.clone());
        approved_ids.insert(after.id);
        approved.push(after);
    }
    tracing::debug!(elapsed = ?t0.elapsed(), "approval: computed");
    // The rows' final states, set-wise.
    let mut approve_counted = [Vec::new(), Vec::new()];
    for id in &approved_ids {
        if let Some(r) = rows.get(id) {
            approve_counted[usize::from(r.counted)].push(*id);
        }
    }
    let mut flip_counted = [Vec::new(), Vec::new()];
    for id in flipped.difference(&approved_ids) {
        if let Some(r) = rows.get(id) {
            flip_counted[usize::from(r.counted)].push(*id);
        }
    }
    for (counted, ids) in approve_counted.iter().enumerate() {
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            diesel::update(measurements::table.filter(measurements::id.eq_any(chunk)))
                .set((
                    measurements::status.eq(MeasurementStatus::Approved.as_str()),
                    measurements::reviewed_by.eq(reviewer),
                    measurements::reviewed_at.eq(Some(now)),
                    measurements::counted.eq(counted == 1),
                ))
                .execute(tx.conn())?;
        }
    }
    for (counted, ids) in flip_counted.iter().enumerate() {
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            diesel::update(measurements::table.filter(measurements::id.eq_any(chunk)))
                .set(measurements::counted.eq(counted == 1))
                .execute(tx.conn())?;
        }
    }
    tracing::debug!(elapsed = ?t0.elapsed(), "approval: rows updated");
    tx.record_all(&changes)?;
    tracing::debug!(elapsed = ?t0.elapsed(), "approval: audit entries stored");
    Ok(approved)
}

/// Ids bound per statement of [`approve_all`] (under SQLite's 32 766 parameters).
const IDS_PER_STATEMENT: usize = 10_000;

/// A series of revisions: one actor's values of one subject in one cell.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SeriesKey {
    subject: (u8, i64, i64),
    period: String,
    territory: String,
    disaggregation: String,
    actor_id: i64,
}

impl SeriesKey {
    fn of(m: &Measurement) -> Result<SeriesKey, StoreError> {
        Ok(SeriesKey {
            subject: subject_key(m.subject()?),
            period: m.period.to_string(),
            territory: m.territory.clone(),
            disaggregation: m.disaggregation.clone(),
            actor_id: m.actor_id,
        })
    }
}

fn subject_key(s: Subject) -> (u8, i64, i64) {
    match s {
        Subject::Indicator(i) => (0, i, 0),
        Subject::Variable(v) => (1, v, 0),
        Subject::Impact { vec, development } => (2, vec, development),
    }
}

/// Rows of a few thousand values' series looked up per query.
const SERIES_PER_QUERY: usize = 2000;

/// The rows that share a series with one of `rows` and are not among them: candidates by
/// subject, period and actor (narrow columns), kept when their whole key matches, then read
/// whole.
fn others_in_series(
    conn: &mut DbConnection,
    rows: &std::collections::HashMap<i64, Measurement>,
) -> Result<Vec<Measurement>, StoreError> {
    use std::collections::{BTreeSet, HashSet};
    let mut keys = HashSet::with_capacity(rows.len());
    let mut by_kind: [Vec<&Measurement>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let mut sorted: Vec<&Measurement> = rows.values().collect();
    sorted.sort_by_key(|m| m.id);
    for m in sorted {
        keys.insert(SeriesKey::of(m)?);
        by_kind[usize::from(subject_key(m.subject()?).0)].push(m);
    }
    let mut wanted = Vec::new();
    for (kind, members) in by_kind.iter().enumerate() {
        for chunk in members.chunks(SERIES_PER_QUERY) {
            let mut subjects = BTreeSet::new();
            let mut periods = BTreeSet::new();
            let mut actors = BTreeSet::new();
            for m in chunk {
                let s = subject_key(m.subject()?);
                subjects.insert(s.1);
                periods.insert(m.period.to_string());
                actors.insert(m.actor_id);
            }
            let subjects: Vec<i64> = subjects.into_iter().collect();
            let periods: Vec<String> = periods.into_iter().collect();
            let actors: Vec<i64> = actors.into_iter().collect();
            let q = measurements::table
                .filter(measurements::period.eq_any(&periods))
                .filter(measurements::actor_id.eq_any(&actors))
                .into_boxed();
            let q = match kind {
                0 => q.filter(
                    measurements::indicator_id
                        .assume_not_null()
                        .eq_any(&subjects),
                ),
                1 => q.filter(
                    measurements::variable_id
                        .assume_not_null()
                        .eq_any(&subjects),
                ),
                _ => q.filter(measurements::vec_id.assume_not_null().eq_any(&subjects)),
            };
            type Narrow = (
                i64,
                Option<i64>,
                Option<i64>,
                Option<i64>,
                Option<i64>,
                String,
                String,
                String,
                i64,
            );
            let found: Vec<Narrow> = q
                .select((
                    measurements::id,
                    measurements::indicator_id,
                    measurements::variable_id,
                    measurements::vec_id,
                    measurements::development_id,
                    measurements::period,
                    measurements::territory,
                    measurements::disaggregation,
                    measurements::actor_id,
                ))
                .load(conn)?;
            for (
                id,
                indicator,
                variable,
                vec,
                development,
                period,
                territory,
                disaggregation,
                actor_id,
            ) in found
            {
                if rows.contains_key(&id) {
                    continue;
                }
                let subject = match (indicator, variable, vec, development) {
                    (Some(i), None, None, None) => (0, i, 0),
                    (None, Some(v), None, None) => (1, v, 0),
                    (None, None, Some(v), Some(d)) => (2, v, d),
                    _ => continue,
                };
                let key = SeriesKey {
                    subject,
                    period,
                    territory,
                    disaggregation,
                    actor_id,
                };
                if keys.contains(&key) {
                    wanted.push(id);
                }
            }
        }
    }
    let mut out = Vec::with_capacity(wanted.len());
    for chunk in wanted.chunks(IDS_PER_STATEMENT) {
        out.extend(super::by_ids(conn, chunk)?);
    }
    Ok(out)
}

pub fn reject(
    tx: &mut WriteTx<'_>,
    before: &Measurement,
    reason: &str,
) -> Result<Measurement, StoreError> {
    let now = tx.now();
    let reviewer = tx.author().user_id;
    diesel::update(measurements::table.find(before.id))
        .set((
            measurements::status.eq(MeasurementStatus::Rejected.as_str()),
            measurements::reviewed_by.eq(reviewer),
            measurements::reviewed_at.eq(Some(now)),
            measurements::reject_reason.eq(Some(reason)),
        ))
        .execute(tx.conn())?;
    let after = require(tx.conn(), before.id)?;
    tx.record_change(Some(before), Some(&after))?;
    Ok(after)
}

/// Takes a value out of the scores (an upheld challenge); it stays published, marked.
pub fn withdraw(tx: &mut WriteTx<'_>, before: &Measurement) -> Result<Measurement, StoreError> {
    diesel::update(measurements::table.find(before.id))
        .set(measurements::counted.eq(false))
        .execute(tx.conn())?;
    let after = require(tx.conn(), before.id)?;
    tx.record_change(Some(before), Some(&after))?;
    Ok(after)
}

/// Makes the latest approved revision of each actor's series count where none does: values
/// approved before several actors were told apart in a cell, when one actor's approval took
/// the count from another's. Revisions withdrawn by an upheld challenge stay out. Run once,
/// when the migration that keys series by actor is applied; returns the rows changed.
pub fn recount_actor_series(tx: &mut WriteTx<'_>) -> Result<usize, StoreError> {
    let candidates: Vec<Measurement> = measurements::table
        .filter(measurements::status.eq(MeasurementStatus::Approved.as_str()))
        .filter(measurements::counted.eq(false))
        .filter(
            measurements::indicator_id
                .is_not_null()
                .or(measurements::variable_id.is_not_null()),
        )
        .select(Measurement::as_select())
        .load(tx.conn())?;
    let mut keys = std::collections::BTreeSet::new();
    for m in &candidates {
        let subject = match m.subject()? {
            super::Subject::Indicator(id) => (Some(id), None),
            super::Subject::Variable(id) => (None, Some(id)),
            super::Subject::Impact { .. } => continue,
        };
        keys.insert((
            subject,
            m.period.to_string(),
            m.territory.clone(),
            m.disaggregation.clone(),
            m.actor_id,
        ));
    }
    let mut changed = 0;
    for ((indicator, variable), period, territory, disaggregation, actor) in keys {
        let subject = match (indicator, variable) {
            (Some(i), _) => super::Subject::Indicator(i),
            (_, Some(v)) => super::Subject::Variable(v),
            _ => continue,
        };
        let series: Vec<Measurement> = of_subject(measurements::table.into_boxed(), subject)
            .filter(measurements::period.eq(period))
            .filter(measurements::territory.eq(territory))
            .filter(measurements::disaggregation.eq(disaggregation))
            .filter(measurements::actor_id.eq(actor))
            .select(Measurement::as_select())
            .load(tx.conn())?;
        if series.iter().any(|m| m.counted) {
            continue;
        }
        let ids: Vec<i64> = series.iter().map(|m| m.id).collect();
        let withdrawn = crate::db::models::challenge::withdrawn(tx.conn(), &ids)?;
        let Some(latest) = series
            .iter()
            .filter(|m| m.status == MeasurementStatus::Approved && !withdrawn.contains(&m.id))
            .max_by_key(|m| m.revision)
        else {
            continue;
        };
        diesel::update(measurements::table.find(latest.id))
            .set(measurements::counted.eq(true))
            .execute(tx.conn())?;
        let after = Measurement {
            counted: true,
            ..latest.clone()
        };
        tx.record_change(Some(latest), Some(&after))?;
        changed += 1;
    }
    Ok(changed)
}
