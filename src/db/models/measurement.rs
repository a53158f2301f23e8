//! Contributed values: one row per revision, reviewed by a coordinator. A row is the value of
//! an indicator (a *measurement*) or of a variable of the repository (an *observation*); both
//! follow the same workflow.

use std::sync::Arc;

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
    // Unset fields are left out of the audit state, so rows written before variables
    // existed still verify.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicator_id: Option<i64>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variable_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vec_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub development_id: Option<i64>,
    /// How an impact contribution was obtained (impact contributions only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
}

/// What a value is the value of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    Indicator(i64),
    Variable(i64),
    /// An impact contribution: a development's effect on a VEC.
    Impact {
        vec: i64,
        development: i64,
    },
}

/// Several subjects of one kind.
#[derive(Debug, Clone, Copy)]
pub enum Subjects<'a> {
    Indicators(&'a [i64]),
    Variables(&'a [i64]),
    /// Impact contributions to these VECs.
    Vecs(&'a [i64]),
}

type Boxed<'a> = measurements::BoxedQuery<'a, crate::db::MultiBackend>;

fn of_subject(q: Boxed<'_>, subject: Subject) -> Boxed<'_> {
    match subject {
        Subject::Indicator(id) => q.filter(measurements::indicator_id.eq(id)),
        Subject::Variable(id) => q.filter(measurements::variable_id.eq(id)),
        Subject::Impact { vec, development } => q
            .filter(measurements::vec_id.eq(vec))
            .filter(measurements::development_id.eq(development)),
    }
}

fn of_subjects<'a>(q: Boxed<'a>, subjects: Subjects<'_>) -> Boxed<'a> {
    match subjects {
        Subjects::Indicators(ids) => q.filter(
            measurements::indicator_id
                .assume_not_null()
                .eq_any(ids.to_vec()),
        ),
        Subjects::Variables(ids) => q.filter(
            measurements::variable_id
                .assume_not_null()
                .eq_any(ids.to_vec()),
        ),
        Subjects::Vecs(ids) => {
            q.filter(measurements::vec_id.assume_not_null().eq_any(ids.to_vec()))
        }
    }
}

impl Measurement {
    pub fn subject(&self) -> Result<Subject, StoreError> {
        match (
            self.indicator_id,
            self.variable_id,
            self.vec_id,
            self.development_id,
        ) {
            (Some(i), None, None, None) => Ok(Subject::Indicator(i)),
            (None, Some(v), None, None) => Ok(Subject::Variable(v)),
            (None, None, Some(vec), Some(development)) => Ok(Subject::Impact { vec, development }),
            _ => Err(StoreError::Corrupt(format!(
                "measurement {} is not of exactly one indicator, variable or impact",
                self.id
            ))),
        }
    }

    /// Whether this row is as a bulk import stored it, never reviewed since: such rows have no
    /// audit entry of their own; their import's entry commits to a digest of them.
    pub fn is_untouched_import(&self) -> bool {
        self.import_id.is_some()
            && self.status == MeasurementStatus::Submitted.as_str()
            && !self.counted
            && self.reviewed_by.is_none()
            && self.reviewed_at.is_none()
            && self.reject_reason.is_none()
    }

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
    pub subject: Subject,
    pub period: &'a Period,
    pub territory: &'a Ubigeo,
    pub disaggregation: &'a Disaggregation,
    pub value: f64,
    pub evidence: &'a Evidence,
    pub comment: &'a str,
    pub actor_id: i64,
    /// Impact contributions only: measured, estimated or modelled.
    pub basis: Option<&'static str>,
}

/// Stores a submission as the next revision of its series.
pub fn submit(tx: &mut WriteTx<'_>, new: NewMeasurement<'_>) -> Result<Measurement, StoreError> {
    let key = (
        new.subject,
        new.period.to_string(),
        new.territory.as_str(),
        new.disaggregation.as_str(),
    );
    let series = |key: &(Subject, String, &str, &str)| {
        of_subject(measurements::table.into_boxed(), key.0)
            .filter(measurements::period.eq(key.1.clone()))
            .filter(measurements::territory.eq(key.2.to_string()))
            .filter(measurements::disaggregation.eq(key.3.to_string()))
    };
    let last: Option<i32> = series(&key)
        .select(diesel::dsl::max(measurements::revision))
        .first(tx.conn())?;
    let revision = last.unwrap_or(0) + 1;
    let now = tx.now();
    let submitted_by = tx.author().user_id;
    diesel::insert_into(measurements::table)
        .values((
            measurements::indicator_id.eq(match key.0 {
                Subject::Indicator(id) => Some(id),
                _ => None,
            }),
            measurements::variable_id.eq(match key.0 {
                Subject::Variable(id) => Some(id),
                _ => None,
            }),
            measurements::vec_id.eq(match key.0 {
                Subject::Impact { vec, .. } => Some(vec),
                _ => None,
            }),
            measurements::development_id.eq(match key.0 {
                Subject::Impact { development, .. } => Some(development),
                _ => None,
            }),
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
            measurements::basis.eq(new.basis),
            measurements::submitted_by.eq(submitted_by),
            measurements::submitted_at.eq(now),
            measurements::status.eq(MeasurementStatus::Submitted.as_str()),
            measurements::counted.eq(false),
        ))
        .execute(tx.conn())?;
    let stored: Measurement = series(&key)
        .filter(measurements::revision.eq(revision))
        .select(Measurement::as_select())
        .first(tx.conn())?;
    tx.record_change(None, Some(&stored))?;
    Ok(stored)
}

/// Approves a submitted revision and makes the latest approved revision of its series the
/// counted one. Returns the approved row.
pub fn approve(tx: &mut WriteTx<'_>, before: &Measurement) -> Result<Measurement, StoreError> {
    let now = tx.now();
    let reviewer = tx.author().user_id;
    // Which revision of the series counts once this one is approved: the latest approved
    // one that no upheld challenge withdrew.
    let series: Vec<Measurement> = of_subject(measurements::table.into_boxed(), before.subject()?)
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

/// The rows of these indicators or variables a reader may see, newest period and revision
/// first.
pub fn list(
    conn: &mut DbConnection,
    subjects: Subjects<'_>,
    visibility: Visibility,
    filter: &MeasurementFilter,
) -> Result<Vec<Measurement>, StoreError> {
    let mut q = of_subjects(measurements::table.into_boxed(), subjects);
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
    let mut q = of_subjects(
        measurements::table.into_boxed(),
        Subjects::Indicators(indicator_ids),
    )
    .filter(measurements::counted.eq(true))
    .filter(measurements::territory.eq(territory.to_string()))
    .filter(measurements::disaggregation.eq(""))
    .filter(measurements::period_end.le(until.to_string()));
    if let Some(since) = since {
        q = q.filter(measurements::period_start.ge(since.to_string()));
    }
    Ok(q.select((
        measurements::indicator_id.assume_not_null(),
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
        .filter(
            measurements::indicator_id
                .assume_not_null()
                .eq_any(indicator_ids),
        )
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
    tx.record_change(Some(before), Some(&after))?;
    Ok(after)
}

pub fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Measurement>, StoreError> {
    Ok(measurements::table
        .filter(measurements::id.eq_any(ids))
        .select(Measurement::as_select())
        .load(conn)?)
}

/// `(variable_id, period, territory, value)` of the counted totals of these variables at
/// `territory` or inside it, for periods ending by `until`.
pub fn counted_of_variables(
    conn: &mut DbConnection,
    variable_ids: &[i64],
    territory: &str,
    until: &str,
) -> Result<Vec<(i64, String, String, f64)>, StoreError> {
    Ok(of_subjects(
        measurements::table.into_boxed(),
        Subjects::Variables(variable_ids),
    )
    .filter(measurements::counted.eq(true))
    .filter(measurements::territory.like(format!("{territory}%")))
    .filter(measurements::disaggregation.eq(""))
    .filter(measurements::period_end.le(until.to_string()))
    .select((
        measurements::variable_id.assume_not_null(),
        measurements::period,
        measurements::territory,
        measurements::value,
    ))
    .load(conn)?)
}

/// A total series of a variable: `(variable_id, period, territory)`.
pub type SeriesKey = (i64, String, String);

/// The latest revision of each total series of these variables: `(revision, value, status)`.
pub fn latest_of_variables(
    conn: &mut DbConnection,
    variable_ids: &[i64],
) -> Result<std::collections::HashMap<SeriesKey, (i32, f64, String)>, StoreError> {
    let mut out = std::collections::HashMap::new();
    for chunk in variable_ids.chunks(500) {
        let rows: Vec<(i64, String, String, i32, f64, String)> =
            of_subjects(measurements::table.into_boxed(), Subjects::Variables(chunk))
                .filter(measurements::disaggregation.eq(""))
                .select((
                    measurements::variable_id.assume_not_null(),
                    measurements::period,
                    measurements::territory,
                    measurements::revision,
                    measurements::value,
                    measurements::status,
                ))
                .load(conn)?;
        for (v, p, t, rev, value, status) in rows {
            let slot = out.entry((v, p, t)).or_insert((0, 0.0, String::new()));
            if rev > slot.0 {
                *slot = (rev, value, status);
            }
        }
    }
    Ok(out)
}

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

/// The rows an import stored, in id order.
pub fn of_import(conn: &mut DbConnection, import_id: i64) -> Result<Vec<Measurement>, StoreError> {
    Ok(measurements::table
        .filter(measurements::import_id.eq(import_id))
        .order(measurements::id.asc())
        .select(Measurement::as_select())
        .load(conn)?)
}

/// The fields of a row that its import's digest covers: those a review never changes.
pub struct DigestFields<'a> {
    pub id: i64,
    pub variable_id: Option<i64>,
    pub period: &'a str,
    pub territory: &'a str,
    pub disaggregation: &'a str,
    pub revision: i32,
    pub value: f64,
    pub evidence_url: Option<&'a str>,
    pub evidence_text: Option<&'a str>,
    pub comment: &'a str,
    pub actor_id: i64,
    pub submitted_by: Option<i64>,
    pub submitted_at: NaiveDateTime,
    pub import_id: Option<i64>,
}

impl<'a> DigestFields<'a> {
    pub fn of(m: &'a Measurement) -> DigestFields<'a> {
        DigestFields {
            id: m.id,
            variable_id: m.variable_id,
            period: &m.period,
            territory: &m.territory,
            disaggregation: &m.disaggregation,
            revision: m.revision,
            value: m.value,
            evidence_url: m.evidence_url.as_deref(),
            evidence_text: m.evidence_text.as_deref(),
            comment: &m.comment,
            actor_id: m.actor_id,
            submitted_by: m.submitted_by,
            submitted_at: m.submitted_at,
            import_id: m.import_id,
        }
    }

    pub fn of_imported(common: &ImportCommon, r: &'a BulkRow) -> DigestFields<'a> {
        DigestFields {
            id: r.id,
            variable_id: Some(r.variable_id),
            period: &r.period,
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
            import_id: Some(common.import_id),
        }
    }

    /// One line: numbers as Rust prints them (shortest round-trip for `value`), texts as
    /// JSON strings, absent values empty, separated by tabs.
    fn write_line(&self, out: &mut String) {
        use std::fmt::Write;
        let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        let text = |t: &str| serde_json::to_string(t).unwrap_or_default();
        let opt_text = |t: Option<&str>| t.map(text).unwrap_or_default();
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.id,
            opt(self.variable_id),
            text(self.period),
            text(self.territory),
            text(self.disaggregation),
            self.revision,
            self.value,
            opt_text(self.evidence_url),
            opt_text(self.evidence_text),
            text(self.comment),
            self.actor_id,
            opt(self.submitted_by),
            self.submitted_at.format("%Y-%m-%dT%H:%M:%S%.6f"),
            opt(self.import_id),
        );
    }
}

/// SHA-256 over the digest lines of these rows, in the order given (id order).
pub fn rows_digest<'a>(rows: impl IntoIterator<Item = DigestFields<'a>>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut line = String::with_capacity(256);
    for r in rows {
        line.clear();
        r.write_line(&mut line);
        h.update(line.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The digest of the rows an import stored, as they are now.
pub fn import_digest(conn: &mut DbConnection, import_id: i64) -> Result<String, StoreError> {
    Ok(rows_digest(
        of_import(conn, import_id)?.iter().map(DigestFields::of),
    ))
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
