//! The review of a contributed value: approval (which decides the counted revision of its
//! series), rejection with a reason, and withdrawal from the scores after an upheld challenge.

use crate::db::schema::measurements;
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::MeasurementStatus;
use diesel::prelude::*;

use super::{Measurement, of_subject, require};

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
