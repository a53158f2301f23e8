//! Contributed values: one row per revision, reviewed by a coordinator. A row is the value of
//! an indicator (a *measurement*), of a variable of the repository (an *observation*) or an
//! impact contribution; all follow the same workflow.
//!
//! This file: the row, submission and the reads. [`review`]: approval, rejection and
//! withdrawal. [`bulk`]: imports stored set-wise, per backend. [`digest`]: the digest of an
//! import's rows that its audit entry commits to.

mod bulk;
mod digest;
mod queue;
mod review;

pub use bulk::{
    BulkRow, ImportCommon, SyntheticValue, insert_imported, insert_synthetic, reserve_ids,
};
pub use digest::{DigestFields, import_digest, rows_digest};
pub use queue::{QueueFilter, awaiting_review, evidence_files_of, imports_awaiting, in_cells};
pub use review::{approve, approve_all, recount_actor_series, reject, withdraw};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::measurements;
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::impact::ImpactBasis;
use crate::domain::{Disaggregation, Evidence, MeasurementStatus, Period, Ubigeo};

pub const ENTITY: &str = "measurement";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = measurements)]
pub struct Measurement {
    pub id: i64,
    pub indicator_id: Option<i64>,
    pub period: Period,
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
    pub status: MeasurementStatus,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub reject_reason: Option<String>,
    pub counted: bool,
    pub variable_id: Option<i64>,
    pub import_id: Option<i64>,
    pub vec_id: Option<i64>,
    pub development_id: Option<i64>,
    /// How an impact contribution was obtained (impact contributions only).
    pub basis: Option<ImpactBasis>,
    /// The SHA-256 (hex) of the evidence file uploaded with this revision.
    pub evidence_file: Option<String>,
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

impl<'a> Subjects<'a> {
    /// The ids, of whichever kind.
    pub fn ids(self) -> &'a [i64] {
        let (Subjects::Indicators(ids) | Subjects::Variables(ids) | Subjects::Vecs(ids)) = self;
        ids
    }

    /// The same kind of subjects, with other ids (a chunk of these).
    pub fn with_ids<'b>(self, ids: &'b [i64]) -> Subjects<'b> {
        match self {
            Subjects::Indicators(_) => Subjects::Indicators(ids),
            Subjects::Variables(_) => Subjects::Variables(ids),
            Subjects::Vecs(_) => Subjects::Vecs(ids),
        }
    }
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
            && self.status == MeasurementStatus::Submitted
            && !self.counted
            && self.reviewed_by.is_none()
            && self.reviewed_at.is_none()
            && self.reject_reason.is_none()
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
    /// The evidence file uploaded with it (already stored, see `evidence_file::record`).
    pub evidence_file: Option<&'a str>,
}

/// Stores a submission as the next revision of its series.
pub fn submit(tx: &mut WriteTx<'_>, new: NewMeasurement<'_>) -> Result<Measurement, StoreError> {
    let key = (
        new.subject,
        new.period.to_string(),
        new.territory.as_str(),
        new.disaggregation.as_str(),
    );
    // Each actor keeps its own series of revisions in a cell.
    let actor = new.actor_id;
    let series = |key: &(Subject, String, &str, &str)| {
        of_subject(measurements::table.into_boxed(), key.0)
            .filter(measurements::period.eq(key.1.clone()))
            .filter(measurements::territory.eq(key.2.to_string()))
            .filter(measurements::disaggregation.eq(key.3.to_string()))
            .filter(measurements::actor_id.eq(actor))
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
            measurements::evidence_file.eq(new.evidence_file),
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
    // The new revision replaces the actor's revisions of the cell still awaiting review:
    // the reviewer judges only the latest, and the earlier ones say why they closed.
    let pending: Vec<Measurement> = series(&key)
        .filter(measurements::revision.lt(revision))
        .filter(measurements::status.eq(MeasurementStatus::Submitted.as_str()))
        .select(Measurement::as_select())
        .load(tx.conn())?;
    for before in pending {
        let reason = superseded_reason(revision);
        diesel::update(measurements::table.find(before.id))
            .set((
                measurements::status.eq(MeasurementStatus::Rejected.as_str()),
                measurements::reviewed_by.eq(submitted_by),
                measurements::reviewed_at.eq(Some(now)),
                measurements::reject_reason.eq(Some(&reason)),
            ))
            .execute(tx.conn())?;
        let after = Measurement {
            status: MeasurementStatus::Rejected,
            reviewed_by: submitted_by,
            reviewed_at: Some(now),
            reject_reason: Some(reason),
            ..before.clone()
        };
        tx.record_change(Some(&before), Some(&after))?;
    }
    Ok(stored)
}

/// Why a pending revision closed when its actor sent a newer one (shown to people: both
/// languages).
pub fn superseded_reason(newer: i32) -> String {
    format!("Reemplazado por la revisión {newer} / Superseded by revision {newer}")
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

/// Where the counted values are looked for.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// This territory only.
    At(&'a str),
    /// This territory and every territory inside it (ubigeo prefix; `""` is everywhere).
    Within(&'a str),
}

/// One actor's counted total (no disaggregation) in a cell: what an actor rule combines.
#[derive(Debug, Clone)]
pub struct CountedPart {
    /// The indicator's or variable's id.
    pub subject: i64,
    pub period: Period,
    pub territory: String,
    pub part: crate::domain::actor_rule::Part,
}

/// `(indicator, variable, period, territory, actor, value, approved at, id)`.
type CountedRow = (
    Option<i64>,
    Option<i64>,
    Period,
    String,
    i64,
    f64,
    Option<NaiveDateTime>,
    i64,
);

/// The counted totals of these indicators or variables in `scope`, each actor's apart, with
/// periods ending by `until` and starting on or after `since`.
pub fn counted_parts(
    conn: &mut DbConnection,
    subjects: Subjects<'_>,
    scope: Scope<'_>,
    since: Option<&str>,
    until: &str,
) -> Result<Vec<CountedPart>, StoreError> {
    let mut q = of_subjects(measurements::table.into_boxed(), subjects)
        .filter(measurements::counted.eq(true))
        .filter(measurements::disaggregation.eq(""))
        .filter(measurements::period_end.le(until.to_string()));
    q = match scope {
        Scope::At(t) => q.filter(measurements::territory.eq(t.to_string())),
        Scope::Within("") => q,
        Scope::Within(t) => q.filter(measurements::territory.like(format!("{t}%"))),
    };
    if let Some(since) = since {
        q = q.filter(measurements::period_start.ge(since.to_string()));
    }
    // In id order: each cell's parts in the order they were submitted.
    let rows: Vec<CountedRow> = q
        .order(measurements::id.asc())
        .select((
            measurements::indicator_id,
            measurements::variable_id,
            measurements::period,
            measurements::territory,
            measurements::actor_id,
            measurements::value,
            measurements::reviewed_at,
            measurements::id,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(indicator, variable, period, territory, actor_id, value, approved_at, id)| {
                let subject = indicator.or(variable).ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "measurement {id} is of neither an indicator nor a variable"
                    ))
                })?;
                Ok(CountedPart {
                    subject,
                    period,
                    territory,
                    part: crate::domain::actor_rule::Part {
                        actor_id,
                        value,
                        approved_at,
                        measurement_id: id,
                    },
                })
            },
        )
        .collect()
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

pub fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Measurement>, StoreError> {
    Ok(measurements::table
        .filter(measurements::id.eq_any(ids))
        .select(Measurement::as_select())
        .load(conn)?)
}

/// A total series of a variable: `(variable_id, period, territory)`.
pub type SeriesKey = (i64, String, String);

/// The latest revision of each total series of these variables that `actor` reports:
/// `(revision, value, status)`.
pub fn latest_of_variables(
    conn: &mut DbConnection,
    variable_ids: &[i64],
    actor: i64,
) -> Result<std::collections::HashMap<SeriesKey, (i32, f64, String)>, StoreError> {
    latest_of(conn, Subjects::Variables(variable_ids), actor)
}

/// The same for indicators: keyed by indicator id, period and territory.
pub fn latest_of_indicators(
    conn: &mut DbConnection,
    indicator_ids: &[i64],
    actor: i64,
) -> Result<std::collections::HashMap<SeriesKey, (i32, f64, String)>, StoreError> {
    latest_of(conn, Subjects::Indicators(indicator_ids), actor)
}

fn latest_of(
    conn: &mut DbConnection,
    subjects: Subjects<'_>,
    actor: i64,
) -> Result<std::collections::HashMap<SeriesKey, (i32, f64, String)>, StoreError> {
    let mut out = std::collections::HashMap::new();
    for chunk in subjects.ids().chunks(500) {
        type Row = (Option<i64>, Option<i64>, String, String, i32, f64, String);
        let rows: Vec<Row> =
            of_subjects(measurements::table.into_boxed(), subjects.with_ids(chunk))
                .filter(measurements::disaggregation.eq(""))
                .filter(measurements::actor_id.eq(actor))
                .select((
                    measurements::variable_id,
                    measurements::indicator_id,
                    measurements::period,
                    measurements::territory,
                    measurements::revision,
                    measurements::value,
                    measurements::status,
                ))
                .load(conn)?;
        for (v, i, p, t, rev, value, status) in rows {
            let Some(subject) = v.or(i) else { continue };
            let slot = out
                .entry((subject, p, t))
                .or_insert((0, 0.0, String::new()));
            if rev > slot.0 {
                *slot = (rev, value, status);
            }
        }
    }
    Ok(out)
}

/// The rows an import stored, in id order.
pub fn of_import(conn: &mut DbConnection, import_id: i64) -> Result<Vec<Measurement>, StoreError> {
    Ok(measurements::table
        .filter(measurements::import_id.eq(import_id))
        .order(measurements::id.asc())
        .select(Measurement::as_select())
        .load(conn)?)
}

/// The counted (approved, not withdrawn) rows of these subjects, every territory,
/// disaggregation and period: the reference values of the outlier flags. A query per kind
/// of subject (and per 500 ids).
pub fn counted_of_subjects(
    conn: &mut DbConnection,
    subjects: &[Subject],
) -> Result<Vec<Measurement>, StoreError> {
    of_subjects_where(conn, subjects, |q| q.filter(measurements::counted.eq(true)))
}

/// The rows of these subjects that `narrow` keeps: a query per kind of subject (and per
/// 500 ids).
pub(super) fn of_subjects_where(
    conn: &mut DbConnection,
    subjects: &[Subject],
    narrow: impl for<'q> Fn(Boxed<'q>) -> Boxed<'q>,
) -> Result<Vec<Measurement>, StoreError> {
    let mut indicators = Vec::new();
    let mut variables = Vec::new();
    let mut vecs = Vec::new();
    for s in subjects {
        match s {
            Subject::Indicator(i) => indicators.push(*i),
            Subject::Variable(v) => variables.push(*v),
            Subject::Impact { vec, .. } => vecs.push(*vec),
        }
    }
    let mut out = Vec::new();
    for ids in [&mut indicators, &mut variables, &mut vecs] {
        ids.sort_unstable();
        ids.dedup();
    }
    for (ids, kind) in [(&indicators, 0), (&variables, 1), (&vecs, 2)] {
        for chunk in ids.chunks(500) {
            let subjects = match kind {
                0 => Subjects::Indicators(chunk),
                1 => Subjects::Variables(chunk),
                _ => Subjects::Vecs(chunk),
            };
            out.extend(
                narrow(of_subjects(measurements::table.into_boxed(), subjects))
                    .select(Measurement::as_select())
                    .load(conn)?,
            );
        }
    }
    Ok(out)
}

/// The totals (no disaggregation) that these actors submitted for these subjects, every
/// revision, in id order: one query per 500 subjects.
pub fn of_actors(
    conn: &mut DbConnection,
    subjects: Subjects<'_>,
    actor_ids: &[i64],
) -> Result<Vec<Measurement>, StoreError> {
    let (Subjects::Indicators(ids) | Subjects::Variables(ids) | Subjects::Vecs(ids)) = subjects;
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let part = match subjects {
            Subjects::Indicators(_) => Subjects::Indicators(chunk),
            Subjects::Variables(_) => Subjects::Variables(chunk),
            Subjects::Vecs(_) => Subjects::Vecs(chunk),
        };
        let rows: Vec<Measurement> = of_subjects(measurements::table.into_boxed(), part)
            .filter(measurements::disaggregation.eq(""))
            .filter(measurements::actor_id.eq_any(actor_ids.to_vec()))
            .order(measurements::id.asc())
            .select(Measurement::as_select())
            .load(conn)?;
        out.extend(rows);
    }
    out.sort_by_key(|m| m.id);
    Ok(out)
}
