//! De-duplication adjustments: a coordinator's correction of one cell (an indicator's or a
//! variable's period, territory and disaggregation), added to the value its actor rule
//! combines, with the reason (e.g. the same people counted by two partners).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::adjustments;
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::Period;

use super::measurement::{Scope, Subject, Subjects};

pub const ENTITY: &str = "adjustment";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = adjustments)]
pub struct Adjustment {
    pub id: i64,
    pub indicator_id: Option<i64>,
    pub variable_id: Option<i64>,
    pub period: Period,
    pub territory: String,
    pub disaggregation: String,
    pub value: f64,
    pub reason: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Adjustment {
    /// The indicator's or variable's id.
    pub fn subject_id(&self) -> Option<i64> {
        self.indicator_id.or(self.variable_id)
    }
}

/// The cell an adjustment corrects.
pub struct Cell<'a> {
    /// An indicator or a variable.
    pub subject: Subject,
    pub period: &'a Period,
    pub territory: &'a str,
    pub disaggregation: &'a str,
}

type Boxed<'a> = adjustments::BoxedQuery<'a, crate::db::MultiBackend>;

fn of_cell<'a>(cell: &Cell<'_>) -> Result<Boxed<'a>, StoreError> {
    let q = adjustments::table.into_boxed();
    let q = match cell.subject {
        Subject::Indicator(id) => q.filter(adjustments::indicator_id.eq(id)),
        Subject::Variable(id) => q.filter(adjustments::variable_id.eq(id)),
        Subject::Impact { .. } => {
            return Err(StoreError::Corrupt(
                "impact contributions take no adjustments".into(),
            ));
        }
    };
    Ok(q.filter(adjustments::period.eq(cell.period.to_string()))
        .filter(adjustments::territory.eq(cell.territory.to_string()))
        .filter(adjustments::disaggregation.eq(cell.disaggregation.to_string())))
}

/// Records the cell's adjustment, replacing the one it had.
pub fn set(
    tx: &mut WriteTx<'_>,
    cell: &Cell<'_>,
    value: f64,
    reason: &str,
) -> Result<Adjustment, StoreError> {
    let now = tx.now();
    let before: Option<Adjustment> = of_cell(cell)?
        .select(Adjustment::as_select())
        .first(tx.conn())
        .optional()?;
    match &before {
        Some(b) => {
            diesel::update(adjustments::table.find(b.id))
                .set((
                    adjustments::value.eq(value),
                    adjustments::reason.eq(reason),
                    adjustments::created_by.eq(tx.author().user_id),
                    adjustments::updated_at.eq(now),
                ))
                .execute(tx.conn())?;
        }
        None => {
            let (indicator_id, variable_id) = match cell.subject {
                Subject::Indicator(id) => (Some(id), None),
                Subject::Variable(id) => (None, Some(id)),
                Subject::Impact { .. } => (None, None),
            };
            diesel::insert_into(adjustments::table)
                .values((
                    adjustments::indicator_id.eq(indicator_id),
                    adjustments::variable_id.eq(variable_id),
                    adjustments::period.eq(cell.period.to_string()),
                    adjustments::territory.eq(cell.territory),
                    adjustments::disaggregation.eq(cell.disaggregation),
                    adjustments::value.eq(value),
                    adjustments::reason.eq(reason),
                    adjustments::created_by.eq(tx.author().user_id),
                    adjustments::created_at.eq(now),
                    adjustments::updated_at.eq(now),
                ))
                .execute(tx.conn())?;
        }
    }
    let after: Adjustment = of_cell(cell)?
        .select(Adjustment::as_select())
        .first(tx.conn())?;
    tx.record_change(before.as_ref(), Some(&after))?;
    Ok(after)
}

/// Removes an adjustment; returns it, or `None` when there was none.
pub fn remove(tx: &mut WriteTx<'_>, id: i64) -> Result<Option<Adjustment>, StoreError> {
    let before = by_id(tx.conn(), id)?;
    if let Some(b) = &before {
        diesel::delete(adjustments::table.find(b.id)).execute(tx.conn())?;
        tx.record_change(Some(b), None)?;
    }
    Ok(before)
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<Option<Adjustment>, StoreError> {
    Ok(adjustments::table
        .find(id)
        .select(Adjustment::as_select())
        .first(conn)
        .optional()?)
}

/// The adjustments of these indicators or variables; `None` for VECs (which take none).
fn of_set<'a>(subjects: Subjects<'_>) -> Option<Boxed<'a>> {
    let q = adjustments::table.into_boxed();
    match subjects {
        Subjects::Indicators(ids) => Some(
            q.filter(
                adjustments::indicator_id
                    .assume_not_null()
                    .eq_any(ids.to_vec()),
            ),
        ),
        Subjects::Variables(ids) => Some(
            q.filter(
                adjustments::variable_id
                    .assume_not_null()
                    .eq_any(ids.to_vec()),
            ),
        ),
        Subjects::Vecs(_) => None,
    }
}

/// The adjustments of totals (no disaggregation) of these indicators or variables in
/// `scope`, any period (they only ever apply to cells that have counted values).
pub fn of_totals(
    conn: &mut DbConnection,
    subjects: Subjects<'_>,
    scope: Scope<'_>,
) -> Result<Vec<Adjustment>, StoreError> {
    let Some(q) = of_set(subjects) else {
        return Ok(Vec::new());
    };
    let q = q.filter(adjustments::disaggregation.eq(""));
    let q = match scope {
        Scope::At(t) => q.filter(adjustments::territory.eq(t.to_string())),
        Scope::Within("") => q,
        Scope::Within(t) => q.filter(adjustments::territory.like(format!("{t}%"))),
    };
    Ok(q.select(Adjustment::as_select()).load(conn)?)
}

/// Every adjustment of these indicators or variables, any disaggregation, newest period first.
pub fn of_subjects(
    conn: &mut DbConnection,
    subjects: Subjects<'_>,
) -> Result<Vec<Adjustment>, StoreError> {
    let Some(q) = of_set(subjects) else {
        return Ok(Vec::new());
    };
    Ok(
        q.order((adjustments::period.desc(), adjustments::territory.asc()))
            .select(Adjustment::as_select())
            .load(conn)?,
    )
}

pub fn all(conn: &mut DbConnection) -> Result<Vec<Adjustment>, StoreError> {
    Ok(adjustments::table
        .select(Adjustment::as_select())
        .load(conn)?)
}
