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
