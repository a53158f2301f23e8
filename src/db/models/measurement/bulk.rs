//! Imports stored set-wise: `COPY … FROM STDIN BINARY` on PostgreSQL, multi-row `INSERT`s
//! binding shared fields once on SQLite, under ids reserved up front.

use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::measurements;
use crate::db::{DbConnection, StoreError};
use crate::domain::MeasurementStatus;

/// What every row of one import shares.
#[derive(Debug, Clone)]
pub struct ImportCommon {
    pub actor_id: i64,
    pub submitted_by: Option<i64>,
    pub submitted_at: NaiveDateTime,
    pub import_id: i64,
}

/// One validated row of a bulk import, with the id it is stored under. Imported rows are
/// totals (no disaggregation), without comment, submitted and not yet counted. Period texts
/// are shared between the rows of one period.
#[derive(Debug, Clone)]
pub struct BulkRow {
    pub id: i64,
    pub variable_id: i64,
    pub period: Arc<str>,
    pub period_start: Arc<str>,
    pub period_end: Arc<str>,
    pub territory: String,
    pub revision: i32,
    pub value: f64,
    pub evidence_url: Option<String>,
    pub evidence_text: Option<String>,
}

/// A [`BulkRow`] with its import's common fields, as PostgreSQL's `COPY` takes it.
#[derive(Insertable)]
#[diesel(table_name = measurements, treat_none_as_default_value = false)]
struct CopiedRow<'a> {
    id: i64,
    variable_id: Option<i64>,
    period: &'a str,
    period_start: &'a str,
    period_end: &'a str,
    territory: &'a str,
    disaggregation: &'a str,
    revision: i32,
    value: f64,
    evidence_url: Option<&'a str>,
    evidence_text: Option<&'a str>,
    comment: &'a str,
    actor_id: i64,
    submitted_by: Option<i64>,
    submitted_at: NaiveDateTime,
    status: &'a str,
    counted: bool,
    import_id: Option<i64>,
}

impl<'a> CopiedRow<'a> {
    fn of(common: &ImportCommon, r: &'a BulkRow) -> Self {
        CopiedRow {
            id: r.id,
            variable_id: Some(r.variable_id),
            period: &r.period,
            period_start: &r.period_start,
            period_end: &r.period_end,
            territory: &r.territory,
            disaggregation: "",
            revision: r.revision,
            value: r.value,
            evidence_url: r.evidence_url.as_deref(),
            evidence_text: r.evidence_text.as_deref(),
            comment: "",
            actor_id: common.actor_id,
            submitted_by: common.submitted_by,
            submitted_at: common.submitted_at,
            status: MeasurementStatus::Submitted.as_str(),
            counted: false,
            import_id: Some(common.import_id),
        }
    }
}

/// One multi-row `INSERT … VALUES` on SQLite: the fields an import's rows share are bound
/// once per statement (parameters 1 to 4, which every row names), each row binds only its
/// own ten. Statements of the same size share one prepared statement (diesel caches them by
/// their text).
struct SqliteBulkInsert<'a> {
    common: &'a ImportCommon,
    rows: &'a [BulkRow],
}

impl diesel::query_builder::QueryId for SqliteBulkInsert<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for SqliteBulkInsert<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text, Timestamp};
        out.push_sql(
            "INSERT INTO measurements (actor_id, submitted_by, submitted_at, import_id, \
             disaggregation, comment, status, counted, id, variable_id, period, period_start, \
             period_end, territory, revision, value, evidence_url, evidence_text) VALUES ",
        );
        for (i, r) in self.rows.iter().enumerate() {
            if i == 0 {
                // The shared fields are parameters 1 to 4; later rows name them again and
                // their own parameters number on from there.
                out.push_sql("(");
                out.push_bind_param::<BigInt, _>(&self.common.actor_id)?;
                out.push_sql(", ");
                out.push_bind_param::<Nullable<BigInt>, _>(&self.common.submitted_by)?;
                out.push_sql(", ");
                out.push_bind_param::<Timestamp, _>(&self.common.submitted_at)?;
                out.push_sql(", ");
                out.push_bind_param::<BigInt, _>(&self.common.import_id)?;
            } else {
                out.push_sql(", (?1, ?2, ?3, ?4");
            }
            out.push_sql(", '', '', 'submitted', 0, ");
            out.push_bind_param::<BigInt, _>(&r.id)?;
            out.push_sql(", ");
            out.push_bind_param::<BigInt, _>(&r.variable_id)?;
            for text in [&r.period, &r.period_start, &r.period_end] {
                out.push_sql(", ");
                out.push_bind_param::<Text, str>(text)?;
            }
            out.push_sql(", ");
            out.push_bind_param::<Text, str>(&r.territory)?;
            out.push_sql(", ");
            out.push_bind_param::<Integer, _>(&r.revision)?;
            out.push_sql(", ");
            out.push_bind_param::<Double, _>(&r.value)?;
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, _>(&r.evidence_url)?;
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, _>(&r.evidence_text)?;
            out.push_sql(")");
        }
        Ok(())
    }
}

impl RunQueryDsl<diesel::sqlite::SqliteConnection> for SqliteBulkInsert<'_> {}

/// Rows per statement on SQLite (ten binds each, under its limit of 32 766).
const SQLITE_ROWS_PER_STATEMENT: usize = 500;
/// Rows per `COPY` on PostgreSQL: one per 50 000 rows keeps a progress bar moving.
const POSTGRES_ROWS_PER_COPY: usize = 50_000;

/// Reserves `n` consecutive measurement ids and returns the first. Writers hold the audit
/// chain's lock, so nobody else takes ids meanwhile; on PostgreSQL the identity sequence
/// is moved past the block, on SQLite inserting the ids moves `AUTOINCREMENT`'s counter.
pub fn reserve_ids(conn: &mut DbConnection, n: usize) -> Result<i64, StoreError> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    let n = i64::try_from(n).map_err(|_| StoreError::Corrupt("too many rows".into()))?;
    Ok(match conn {
        DbConnection::Sqlite(c) => diesel::select(sql::<BigInt>(
            "MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'measurements'), 0), \
             COALESCE((SELECT MAX(id) FROM measurements), 0)) + 1",
        ))
        .get_result(c)?,
        DbConnection::Postgres(c) => {
            let last: i64 = diesel::select(
                sql::<BigInt>(
                    "setval(pg_get_serial_sequence('measurements', 'id'), \
                     nextval(pg_get_serial_sequence('measurements', 'id')) + ",
                )
                .bind::<BigInt, _>(n - 1)
                .sql(")"),
            )
            .get_result(c)?;
            last - n + 1
        }
    })
}

/// Inserts imported rows in bulk (`COPY … FROM STDIN BINARY` on PostgreSQL, multi-row
/// INSERTs on SQLite) under the ids they carry (see [`reserve_ids`]), with no audit entry
/// per row: the import's own audit entry carries their digest. `progress` is called with
/// the rows stored so far.
pub fn insert_imported(
    conn: &mut DbConnection,
    common: &ImportCommon,
    rows: &[BulkRow],
    progress: &dyn Fn(u64),
) -> Result<(), StoreError> {
    let mut done = 0u64;
    match conn {
        DbConnection::Sqlite(c) => {
            for chunk in rows.chunks(SQLITE_ROWS_PER_STATEMENT) {
                SqliteBulkInsert {
                    common,
                    rows: chunk,
                }
                .execute(c)?;
                done += chunk.len() as u64;
                if done.is_multiple_of(10 * SQLITE_ROWS_PER_STATEMENT as u64)
                    || done == rows.len() as u64
                {
                    progress(done);
                }
            }
        }
        DbConnection::Postgres(c) => {
            for chunk in rows.chunks(POSTGRES_ROWS_PER_COPY) {
                let batch: Vec<CopiedRow<'_>> =
                    chunk.iter().map(|r| CopiedRow::of(common, r)).collect();
                diesel::copy_from(measurements::table)
                    .from_insertable(batch)
                    .execute(c)?;
                done += chunk.len() as u64;
                progress(done);
            }
        }
    }
    Ok(())
}

/// A synthetic approved value for benchmarks (`ayni bench-data`): a counted total of an
/// indicator, stored without review.
pub struct SyntheticValue {
    pub indicator_id: i64,
    pub period: crate::domain::Period,
    pub territory: String,
    pub value: f64,
}

#[derive(Insertable)]
#[diesel(table_name = measurements)]
struct NewSynthetic<'a> {
    indicator_id: Option<i64>,
    period: String,
    period_start: String,
    period_end: String,
    territory: &'a str,
    disaggregation: &'static str,
    revision: i32,
    value: f64,
    evidence_text: Option<&'static str>,
    comment: &'static str,
    actor_id: i64,
    submitted_at: NaiveDateTime,
    status: &'static str,
    reviewed_at: Option<NaiveDateTime>,
    counted: bool,
}

/// Rows per multi-row insert of synthetic values (15 bound parameters each, under SQLite's
/// limit of 32 766).
const SYNTHETIC_ROWS_PER_STATEMENT: usize = 1000;

/// Stores synthetic approved values in multi-row inserts with bound parameters, as the
/// benchmark generator's bulk path (one audit entry, written by the caller, records the
/// load).
pub fn insert_synthetic(
    conn: &mut DbConnection,
    actor_id: i64,
    at: NaiveDateTime,
    values: &[SyntheticValue],
) -> Result<(), StoreError> {
    for chunk in values.chunks(SYNTHETIC_ROWS_PER_STATEMENT) {
        let rows: Vec<NewSynthetic<'_>> = chunk
            .iter()
            .map(|v| NewSynthetic {
                indicator_id: Some(v.indicator_id),
                period: v.period.to_string(),
                period_start: v.period.start().to_string(),
                period_end: v.period.end().to_string(),
                territory: &v.territory,
                disaggregation: "",
                revision: 1,
                value: v.value,
                evidence_text: Some("sintético"),
                comment: "",
                actor_id,
                submitted_at: at,
                status: MeasurementStatus::Approved.as_str(),
                reviewed_at: Some(at),
                counted: true,
            })
            .collect();
        let insert = diesel::insert_into(measurements::table).values(&rows);
        match conn {
            DbConnection::Sqlite(c) => insert.execute(c)?,
            DbConnection::Postgres(c) => insert.execute(c)?,
        };
    }
    Ok(())
}

#[cfg(test)]
mod bulk_sql_tests {
    use super::*;

    #[test]
    fn sqlite_bulk_insert_binds_shared_fields_once_and_ten_per_row() {
        let common = ImportCommon {
            actor_id: 7,
            submitted_by: None,
            submitted_at: chrono::DateTime::from_timestamp(0, 0).unwrap().naive_utc(),
            import_id: 3,
        };
        let row = |id| BulkRow {
            id,
            variable_id: 1,
            period: "2020".into(),
            period_start: "2020-01-01".into(),
            period_end: "2020-12-31".into(),
            territory: "18".into(),
            revision: 1,
            value: 1.5,
            evidence_url: None,
            evidence_text: Some("x".into()),
        };
        let rows = vec![row(10), row(11)];
        let q = SqliteBulkInsert {
            common: &common,
            rows: &rows,
        };
        let sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&q).to_string();
        let (text, binds) = sql.split_once(" -- binds: ").unwrap();
        assert!(
            text.ends_with(
                "VALUES (?, ?, ?, ?, '', '', 'submitted', 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), \
                 (?1, ?2, ?3, ?4, '', '', 'submitted', 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            "{text}"
        );
        assert!(
            binds.starts_with("[7, None, 1970-01-01T00:00:00, 3, 10, 1, \"2020\""),
            "{binds}"
        );
    }
}
