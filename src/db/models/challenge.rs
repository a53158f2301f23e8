//! Challenges on published values and their answers.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{challenges, indicators, measurements};
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::ChallengeStatus;

pub const ENTITY: &str = "challenge";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = challenges)]
pub struct Challenge {
    pub id: i64,
    pub measurement_id: i64,
    pub opened_by: i64,
    pub reason: String,
    pub status: ChallengeStatus,
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub opened_at: NaiveDateTime,
    pub answered_at: Option<NaiveDateTime>,
}

pub fn open(
    tx: &mut WriteTx<'_>,
    measurement_id: i64,
    opened_by: i64,
    reason: &str,
) -> Result<Challenge, StoreError> {
    let now = tx.now();
    diesel::insert_into(challenges::table)
        .values((
            challenges::measurement_id.eq(measurement_id),
            challenges::opened_by.eq(opened_by),
            challenges::reason.eq(reason),
            challenges::status.eq(ChallengeStatus::Open.as_str()),
            challenges::opened_at.eq(now),
        ))
        .execute(tx.conn())
        .map_err(StoreError::on_unique("measurementId", || {
            "you already have an open challenge on this value".to_string()
        }))?;
    let c: Challenge = challenges::table
        .filter(challenges::measurement_id.eq(measurement_id))
        .filter(challenges::opened_by.eq(opened_by))
        .filter(challenges::status.eq(ChallengeStatus::Open.as_str()))
        .select(Challenge::as_select())
        .first(tx.conn())?;
    tx.record_change(None, Some(&c))?;
    Ok(c)
}

pub fn answer(
    tx: &mut WriteTx<'_>,
    before: &Challenge,
    status: ChallengeStatus,
    answer: &str,
) -> Result<Challenge, StoreError> {
    let now = tx.now();
    let answered_by = tx.author().user_id;
    diesel::update(challenges::table.find(before.id))
        .set((
            challenges::status.eq(status.as_str()),
            challenges::answer.eq(Some(answer)),
            challenges::answered_by.eq(answered_by),
            challenges::answered_at.eq(Some(now)),
        ))
        .execute(tx.conn())?;
    let after = by_id(tx.conn(), before.id)?.ok_or_else(|| StoreError::NotFound {
        entity: ENTITY,
        key: before.id.to_string(),
    })?;
    tx.record_change(Some(before), Some(&after))?;
    Ok(after)
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<Option<Challenge>, StoreError> {
    Ok(challenges::table
        .find(id)
        .select(Challenge::as_select())
        .first(conn)
        .optional()?)
}

pub fn all(conn: &mut DbConnection) -> Result<Vec<Challenge>, StoreError> {
    Ok(challenges::table
        .select(Challenge::as_select())
        .load(conn)?)
}

pub fn of_measurements(
    conn: &mut DbConnection,
    measurement_ids: &[i64],
) -> Result<Vec<Challenge>, StoreError> {
    Ok(challenges::table
        .filter(challenges::measurement_id.eq_any(measurement_ids))
        .order(challenges::id.asc())
        .select(Challenge::as_select())
        .load(conn)?)
}

/// The ids among these measurements that an upheld challenge withdrew.
pub fn withdrawn(conn: &mut DbConnection, measurement_ids: &[i64]) -> Result<Vec<i64>, StoreError> {
    Ok(challenges::table
        .filter(challenges::measurement_id.eq_any(measurement_ids))
        .filter(challenges::status.eq(ChallengeStatus::Upheld.as_str()))
        .select(challenges::measurement_id)
        .load(conn)?)
}

/// Every value an upheld challenge withdrew from the scores (few: one per upheld challenge).
pub fn all_withdrawn(conn: &mut DbConnection) -> Result<Vec<i64>, StoreError> {
    Ok(challenges::table
        .filter(challenges::status.eq(ChallengeStatus::Upheld.as_str()))
        .select(challenges::measurement_id)
        .load(conn)?)
}

/// The challenges on values of an ecosystem's indicators, newest first, optionally of one status.
pub fn of_ecosystem(
    conn: &mut DbConnection,
    ecosystem_id: i64,
    status: Option<ChallengeStatus>,
) -> Result<Vec<Challenge>, StoreError> {
    let mut q = challenges::table
        .inner_join(measurements::table.inner_join(indicators::table))
        .filter(indicators::ecosystem_id.eq(ecosystem_id))
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(challenges::status.eq(s.as_str()));
    }
    Ok(q.order(challenges::id.desc())
        .select(Challenge::as_select())
        .load(conn)?)
}

/// Challenges, newest first, at most `limit`: of one status and/or opened by one user.
pub fn recent(
    conn: &mut DbConnection,
    status: Option<ChallengeStatus>,
    opened_by: Option<i64>,
    limit: i64,
) -> Result<Vec<Challenge>, StoreError> {
    let mut q = challenges::table.into_boxed();
    if let Some(s) = status {
        q = q.filter(challenges::status.eq(s.as_str()));
    }
    if let Some(u) = opened_by {
        q = q.filter(challenges::opened_by.eq(u));
    }
    Ok(q.order(challenges::id.desc())
        .limit(limit)
        .select(Challenge::as_select())
        .load(conn)?)
}

/// Which of these values have an open challenge (ids, each once).
pub fn open_on(conn: &mut DbConnection, measurement_ids: &[i64]) -> Result<Vec<i64>, StoreError> {
    let mut out = Vec::new();
    for chunk in measurement_ids.chunks(500) {
        let ids: Vec<i64> = challenges::table
            .filter(challenges::measurement_id.eq_any(chunk))
            .filter(challenges::status.eq(ChallengeStatus::Open.as_str()))
            .select(challenges::measurement_id)
            .distinct()
            .load(conn)?;
        out.extend(ids);
    }
    Ok(out)
}
