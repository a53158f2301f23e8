//! Contributed values: one row per revision, reviewed by a coordinator.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::measurements;
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::{Disaggregation, Evidence, MeasurementStatus, Period, Ubigeo};

pub const ENTITY: &str = "measurement";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = measurements)]
pub struct Measurement {
    pub id: i64,
    pub indicator_id: i64,
    pub period: String,
    pub period_start: String,
    pub period_end: String,
    pub territory: String,
    pub disaggregation: String,
    pub revision: i32,
    pub value: f64,
    pub evidence_url: Option<String>,
    pub evidence_text: Option<String>,
    pub comment: String,
    pub actor_id: i64,
    pub submitted_by: Option<i64>,
    pub submitted_at: NaiveDateTime,
    pub status: String,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub reject_reason: Option<String>,
    pub counted: bool,
}

impl Measurement {
    pub fn status(&self) -> Result<MeasurementStatus, StoreError> {
        self.status.parse().map_err(|()| {
            StoreError::Corrupt(format!(
                "measurement {} has status '{}'",
                self.id, self.status
            ))
        })
    }

    pub fn period(&self) -> Result<Period, StoreError> {
        Period::parse("period", &self.period)
            .map_err(|e| StoreError::Corrupt(format!("measurement {}: {e}", self.id)))
    }
}

/// A new revision to store, validated.
pub struct NewMeasurement<'a> {
    pub indicator_id: i64,
    pub period: &'a Period,
    pub territory: &'a Ubigeo,
    pub disaggregation: &'a Disaggregation,
    pub value: f64,
    pub evidence: &'a Evidence,
    pub comment: &'a str,
    pub actor_id: i64,
}

/// Stores a submission as the next revision of its series.
pub fn submit(tx: &mut WriteTx<'_>, new: NewMeasurement<'_>) -> Result<Measurement, StoreError> {
    let key = (
        new.indicator_id,
        new.period.to_string(),
        new.territory.as_str(),
        new.disaggregation.as_str(),
    );
    let last: Option<i32> = measurements::table
        .filter(measurements::indicator_id.eq(key.0))
        .filter(measurements::period.eq(&key.1))
        .filter(measurements::territory.eq(key.2))
        .filter(measurements::disaggregation.eq(key.3))
        .select(diesel::dsl::max(measurements::revision))
        .first(tx.conn())?;
    let revision = last.unwrap_or(0) + 1;
    let now = tx.now();
    let submitted_by = tx.author().user_id;
    diesel::insert_into(measurements::table)
        .values((
            measurements::indicator_id.eq(key.0),
            measurements::period.eq(&key.1),
            measurements::period_start.eq(new.period.start().to_string()),
            measurements::period_end.eq(new.period.end().to_string()),
            measurements::territory.eq(key.2),
            measurements::disaggregation.eq(key.3),
            measurements::revision.eq(revision),
            measurements::value.eq(new.value),
            measurements::evidence_url.eq(&new.evidence.url),
            measurements::evidence_text.eq(&new.evidence.text),
            measurements::comment.eq(new.comment),
            measurements::actor_id.eq(new.actor_id),
            measurements::submitted_by.eq(submitted_by),
            measurements::submitted_at.eq(now),
            measurements::status.eq(MeasurementStatus::Submitted.as_str()),
            measurements::counted.eq(false),
        ))
        .execute(tx.conn())?;
    let stored: Measurement = measurements::table
        .filter(measurements::indicator_id.eq(key.0))
        .filter(measurements::period.eq(&key.1))
        .filter(measurements::territory.eq(key.2))
        .filter(measurements::disaggregation.eq(key.3))
        .filter(measurements::revision.eq(revision))
        .select(Measurement::as_select())
        .first(tx.conn())?;
    tx.record_change(ENTITY, stored.id, None, Some(&stored))?;
    Ok(stored)
}

/// Approves a submitted revision and makes the latest approved revision of its series the
/// counted one. Returns the approved row.
pub fn approve(tx: &mut WriteTx<'_>, before: &Measurement) -> Result<Measurement, StoreError> {
    let now = tx.now();
    let reviewer = tx.author().user_id;
    diesel::update(measurements::table.find(before.id))
        .set((
            measurements::status.eq(MeasurementStatus::Approved.as_str()),
            measurements::reviewed_by.eq(reviewer),
            measurements::reviewed_at.eq(Some(now)),
        ))
        .execute(tx.conn())?;
    let series: Vec<Measurement> = measurements::table
        .filter(measurements::indicator_id.eq(before.indicator_id))
        .filter(measurements::period.eq(&before.period))
        .filter(measurements::territory.eq(&before.territory))
        .filter(measurements::disaggregation.eq(&before.disaggregation))
        .select(Measurement::as_select())
        .load(tx.conn())?;
    let ids: Vec<i64> = series.iter().map(|m| m.id).collect();
    let withdrawn = super::challenge::withdrawn(tx.conn(), &ids)?;
    let latest_approved = series
        .iter()
        .filter(|m| m.status == MeasurementStatus::Approved.as_str() || m.id == before.id)
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
            tx.record_change(ENTITY, m.id, Some(m), Some(&after))?;
        }
    }
    let counted = Some(before.revision) == latest_approved;
    diesel::update(measurements::table.find(before.id))
        .set(measurements::counted.eq(counted))
        .execute(tx.conn())?;
    let after = require(tx.conn(), before.id)?;
    tx.record_change(ENTITY, after.id, Some(before), Some(&after))?;
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
    tx.record_change(ENTITY, after.id, Some(before), Some(&after))?;
    Ok(after)
}

pub fn require(conn: &mut DbConnection, id: i64) -> Result<Measurement, StoreError> {
    by_id(conn, id)?.ok_or_else(|| StoreError::NotFound {
        entity: ENTITY,
        key: id.to_string(),
    })
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<Option<Measurement>, StoreError> {
    Ok(measurements::table
        .find(id)
        .select(Measurement::as_select())
        .first(conn)
        .optional()?)
}

/// Which rows a reader may see.
#[derive(Debug, Clone, Copy)]
pub enum Visibility {
    /// Approved rows only (the public).
    Approved,
    /// Approved rows and every row of this actor (a contributor).
    ApprovedOrActor(i64),
    /// Everything (coordinators and admins).
    All,
}

/// Filters on a listing.
#[derive(Debug, Clone, Default)]
pub struct MeasurementFilter {
    pub status: Option<MeasurementStatus>,
    pub from: Option<Period>,
    pub to: Option<Period>,
    pub territory: Option<String>,
}

/// The rows of these indicators a reader may see, newest period and revision first.
pub fn list(
    conn: &mut DbConnection,
    indicator_ids: &[i64],
    visibility: Visibility,
    filter: &MeasurementFilter,
) -> Result<Vec<Measurement>, StoreError> {
    let mut q = measurements::table
        .filter(measurements::indicator_id.eq_any(indicator_ids))
        .into_boxed();
    q = match visibility {
        Visibility::Approved => {
            q.filter(measurements::status.eq(MeasurementStatus::Approved.as_str()))
        }
        Visibility::ApprovedOrActor(actor) => q.filter(
            measurements::status
                .eq(MeasurementStatus::Approved.as_str())
                .or(measurements::actor_id.eq(actor)),
        ),
        Visibility::All => q,
    };
    if let Some(s) = filter.status {
        q = q.filter(measurements::status.eq(s.as_str()));
    }
    if let Some(from) = &filter.from {
        q = q.filter(measurements::period_start.ge(from.start().to_string()));
    }
    if let Some(to) = &filter.to {
        q = q.filter(measurements::period_end.le(to.end().to_string()));
    }
    if let Some(t) = &filter.territory {
        q = q.filter(measurements::territory.eq(t.clone()));
    }
    Ok(q.order((
        measurements::period_end.desc(),
        measurements::territory.asc(),
        measurements::disaggregation.asc(),
        measurements::revision.desc(),
    ))
    .select(Measurement::as_select())
    .load(conn)?)
}

/// `(indicator_id, period, value, measurement id)` of the counted totals at `territory` for these
/// indicators, with periods ending by `until` and starting on or after `since`.
pub fn counted_totals(
    conn: &mut DbConnection,
    indicator_ids: &[i64],
    territory: &str,
    since: Option<&str>,
    until: &str,
) -> Result<Vec<(i64, String, f64, i64)>, StoreError> {
    let mut q = measurements::table
        .filter(measurements::indicator_id.eq_any(indicator_ids))
        .filter(measurements::counted.eq(true))
        .filter(measurements::territory.eq(territory))
        .filter(measurements::disaggregation.eq(""))
        .filter(measurements::period_end.le(until))
        .into_boxed();
    if let Some(since) = since {
        q = q.filter(measurements::period_start.ge(since));
    }
    Ok(q.select((
        measurements::indicator_id,
        measurements::period,
        measurements::value,
        measurements::id,
    ))
    .load(conn)?)
}

/// The latest approval time among these indicators' values, if any.
pub fn latest_approval(
    conn: &mut DbConnection,
    indicator_ids: &[i64],
) -> Result<Option<NaiveDateTime>, StoreError> {
    Ok(measurements::table
        .filter(measurements::indicator_id.eq_any(indicator_ids))
        .filter(measurements::counted.eq(true))
        .select(diesel::dsl::max(measurements::reviewed_at))
        .first::<Option<NaiveDateTime>>(conn)?)
}

pub fn all(conn: &mut DbConnection) -> Result<Vec<Measurement>, StoreError> {
    Ok(measurements::table
        .select(Measurement::as_select())
        .load(conn)?)
}

/// Takes a value out of the scores (an upheld challenge); it stays published, marked.
pub fn withdraw(tx: &mut WriteTx<'_>, before: &Measurement) -> Result<Measurement, StoreError> {
    diesel::update(measurements::table.find(before.id))
        .set(measurements::counted.eq(false))
        .execute(tx.conn())?;
    let after = require(tx.conn(), before.id)?;
    tx.record_change(ENTITY, after.id, Some(before), Some(&after))?;
    Ok(after)
}

pub fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Measurement>, StoreError> {
    Ok(measurements::table
        .filter(measurements::id.eq_any(ids))
        .select(Measurement::as_select())
        .load(conn)?)
}
