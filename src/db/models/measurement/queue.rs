//! The reads of the review queue: the values awaiting review, their evidence files, the
//! values of the same cells, and the imports with rows still awaiting approval. Each a fixed
//! number of queries whatever the number of values.

use diesel::prelude::*;

use crate::db::schema::measurements;
use crate::db::{DbConnection, StoreError};
use crate::domain::{MeasurementStatus, Period};

use super::{Measurement, Subject, of_subjects_where};

/// Which values awaiting review to read.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub actor_id: Option<i64>,
    pub period: Option<Period>,
}

/// Values awaiting review that were submitted one by one (rows of an import are reviewed
/// with their import), oldest first, at most `limit`.
pub fn awaiting_review(
    conn: &mut DbConnection,
    filter: &QueueFilter,
    limit: i64,
) -> Result<Vec<Measurement>, StoreError> {
    let mut q = measurements::table
        .filter(measurements::status.eq(MeasurementStatus::Submitted.as_str()))
        .filter(measurements::import_id.is_null())
        .into_boxed();
    if let Some(a) = filter.actor_id {
        q = q.filter(measurements::actor_id.eq(a));
    }
    if let Some(p) = &filter.period {
        q = q.filter(measurements::period.eq(p.to_string()));
    }
    Ok(
        q.order((measurements::submitted_at.asc(), measurements::id.asc()))
            .limit(limit)
            .select(Measurement::as_select())
            .load(conn)?,
    )
}

/// `(measurement id, sha256)` of the uploaded evidence files of these values.
pub fn evidence_files_of(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<Vec<(i64, String)>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, Option<String>)> = measurements::table
            .filter(measurements::id.eq_any(chunk))
            .filter(measurements::evidence_file.is_not_null())
            .select((measurements::id, measurements::evidence_file))
            .load(conn)?;
        out.extend(rows.into_iter().filter_map(|(id, f)| f.map(|f| (id, f))));
    }
    Ok(out)
}

/// Every revision, of every actor, of these subjects in these periods: the other actors'
/// values of a reviewed value's cell.
pub fn in_cells(
    conn: &mut DbConnection,
    subjects: &[Subject],
    periods: &[Period],
) -> Result<Vec<Measurement>, StoreError> {
    let mut periods: Vec<String> = periods.iter().map(Period::to_string).collect();
    periods.sort_unstable();
    periods.dedup();
    of_subjects_where(conn, subjects, |q| {
        q.filter(measurements::period.eq_any(periods.clone()))
    })
}

/// `(import id, rows awaiting review)` of the imports with rows still awaiting review,
/// oldest first, at most `limit`.
pub fn imports_awaiting(
    conn: &mut DbConnection,
    limit: i64,
) -> Result<Vec<(i64, i64)>, StoreError> {
    let rows: Vec<(Option<i64>, i64)> = measurements::table
        .filter(measurements::status.eq(MeasurementStatus::Submitted.as_str()))
        .filter(measurements::import_id.is_not_null())
        .group_by(measurements::import_id)
        .select((measurements::import_id, diesel::dsl::count_star()))
        .order(measurements::import_id.asc())
        .limit(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, n)| id.map(|id| (id, n)))
        .collect())
}
