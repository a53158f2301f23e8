//! Indicators with their baseline, targets and responsible actors.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::audit_state::IndicatorWithResponsibles;
use crate::db::schema::{indicator_inputs, indicator_responsibles, indicators, targets};
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::scoring::{Aggregation, Direction, IndicatorSpec, Point, Thresholds};
use crate::domain::{
    DirectionKind, MetricCategory, Period, PeriodType, SharedValueForm, TargetHorizon,
};

pub const ENTITY: &str = "indicator";
pub const TARGET: &str = "target";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = indicators)]
pub struct Indicator {
    pub id: i64,
    pub ecosystem_id: i64,
    pub objective_id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub unit: String,
    pub direction: DirectionKind,
    pub range_lower: Option<f64>,
    pub range_upper: Option<f64>,
    pub periodicity: PeriodType,
    pub aggregation: Aggregation,
    pub green_threshold: f64,
    pub amber_threshold: f64,
    pub weight: f64,
    pub source: String,
    pub shared_value_form: Option<SharedValueForm>,
    pub metric_category: Option<MetricCategory>,
    pub baseline_period: Option<Period>,
    pub baseline_value: Option<f64>,
    pub baseline_note: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// A formula over variable codes: the indicator's values are computed, never submitted.
    /// (Absent from the audit state when unset, so rows written before formulas existed
    /// still verify.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = targets)]
pub struct Target {
    pub id: i64,
    pub indicator_id: i64,
    pub period: Period,
    pub period_end: String,
    pub value: f64,
    pub horizon: TargetHorizon,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

impl Indicator {
    pub fn direction(&self) -> Result<Direction, StoreError> {
        Direction::with_bounds(self.direction, self.range_lower, self.range_upper)
            .map_err(|e| corrupt(format!("indicator {}: {e}", self.id)))
    }

    pub fn baseline(&self) -> Option<Point> {
        match (self.baseline_period, self.baseline_value) {
            (Some(period), Some(value)) => Some(Point { period, value }),
            _ => None,
        }
    }

    /// What the computations need; `targets` are this indicator's, any order.
    pub fn spec(&self, targets: &[&Target]) -> Result<IndicatorSpec, StoreError> {
        let mut points: Vec<Point> = targets
            .iter()
            .map(|t| Point {
                period: t.period,
                value: t.value,
            })
            .collect();
        points.sort_by_key(|p| p.period.end());
        Ok(IndicatorSpec {
            direction: self.direction()?,
            aggregation: self.aggregation,
            thresholds: Thresholds {
                green: self.green_threshold,
                amber: self.amber_threshold,
            },
            baseline: self.baseline(),
            targets: points,
        })
    }
}

/// The editable fields of an indicator, validated.
#[derive(Debug, Clone)]
pub struct IndicatorFields {
    pub objective_id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub unit: String,
    pub direction: Direction,
    pub periodicity: PeriodType,
    pub aggregation: Aggregation,
    pub thresholds: Thresholds,
    pub weight: f64,
    pub source: String,
    pub shared_value_form: Option<SharedValueForm>,
    pub metric_category: Option<MetricCategory>,
    pub responsible: Vec<i64>,
    /// The formula's text and the ids of the variables it reads.
    pub formula: Option<String>,
    pub inputs: Vec<i64>,
}

fn range(d: Direction) -> (Option<f64>, Option<f64>) {
    match d {
        Direction::Range { lower, upper } => (Some(lower), Some(upper)),
        _ => (None, None),
    }
}

fn set_responsibles(
    tx: &mut WriteTx<'_>,
    indicator_id: i64,
    actor_ids: &[i64],
) -> Result<(), StoreError> {
    diesel::delete(
        indicator_responsibles::table.filter(indicator_responsibles::indicator_id.eq(indicator_id)),
    )
    .execute(tx.conn())?;
    for actor_id in actor_ids {
        diesel::insert_into(indicator_responsibles::table)
            .values((
                indicator_responsibles::indicator_id.eq(indicator_id),
                indicator_responsibles::actor_id.eq(*actor_id),
            ))
            .execute(tx.conn())?;
    }
    Ok(())
}

/// The variables a formula indicator reads (derived from its formula, kept for `usedBy`).
fn set_inputs(
    tx: &mut WriteTx<'_>,
    indicator_id: i64,
    variable_ids: &[i64],
) -> Result<(), StoreError> {
    diesel::delete(indicator_inputs::table.filter(indicator_inputs::indicator_id.eq(indicator_id)))
        .execute(tx.conn())?;
    for variable_id in variable_ids {
        diesel::insert_into(indicator_inputs::table)
            .values((
                indicator_inputs::indicator_id.eq(indicator_id),
                indicator_inputs::variable_id.eq(*variable_id),
            ))
            .execute(tx.conn())?;
    }
    Ok(())
}

/// `(indicator_id, variable_id)` pairs of these indicators' inputs.
pub fn inputs_of(
    conn: &mut DbConnection,
    indicator_ids: &[i64],
) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(indicator_inputs::table
        .filter(indicator_inputs::indicator_id.eq_any(indicator_ids))
        .select((
            indicator_inputs::indicator_id,
            indicator_inputs::variable_id,
        ))
        .load(conn)?)
}

/// `(variable_id, indicator_id)` pairs: the indicators that read these variables.
pub fn users_of(
    conn: &mut DbConnection,
    variable_ids: &[i64],
) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(indicator_inputs::table
        .filter(indicator_inputs::variable_id.eq_any(variable_ids))
        .order(indicator_inputs::indicator_id.asc())
        .select((
            indicator_inputs::variable_id,
            indicator_inputs::indicator_id,
        ))
        .load(conn)?)
}

fn record(
    tx: &mut WriteTx<'_>,
    before: Option<(&Indicator, &[i64])>,
    after: Option<(&Indicator, &[i64])>,
) -> Result<i64, StoreError> {
    tx.record_change(
        before
            .map(|(row, ids)| IndicatorWithResponsibles(row, ids))
            .as_ref(),
        after
            .map(|(row, ids)| IndicatorWithResponsibles(row, ids))
            .as_ref(),
    )
}

/// The editable columns, written the same way by creation and update.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = indicators, treat_none_as_null = true)]
struct Editable<'a> {
    objective_id: i64,
    code: &'a str,
    name: &'a str,
    description: &'a str,
    unit: &'a str,
    direction: &'static str,
    range_lower: Option<f64>,
    range_upper: Option<f64>,
    periodicity: &'static str,
    aggregation: &'static str,
    green_threshold: f64,
    amber_threshold: f64,
    weight: f64,
    source: &'a str,
    shared_value_form: Option<&'a str>,
    metric_category: Option<&'a str>,
    formula: Option<&'a str>,
    updated_at: NaiveDateTime,
}

impl<'a> Editable<'a> {
    fn new(f: &'a IndicatorFields, now: NaiveDateTime) -> Editable<'a> {
        let (range_lower, range_upper) = range(f.direction);
        Editable {
            objective_id: f.objective_id,
            code: &f.code,
            name: &f.name,
            description: &f.description,
            unit: &f.unit,
            direction: f.direction.as_str(),
            range_lower,
            range_upper,
            periodicity: f.periodicity.as_str(),
            aggregation: f.aggregation.as_str(),
            green_threshold: f.thresholds.green,
            amber_threshold: f.thresholds.amber,
            weight: f.weight,
            source: &f.source,
            shared_value_form: f.shared_value_form.map(SharedValueForm::as_str),
            metric_category: f.metric_category.map(MetricCategory::as_str),
            formula: f.formula.as_deref(),
            updated_at: now,
        }
    }
}

fn duplicate_code(code: &str) -> impl FnOnce(diesel::result::Error) -> StoreError + use<> {
    let code = code.to_string();
    StoreError::on_unique("code", move || {
        format!("an indicator with code '{code}' already exists in this ecosystem")
    })
}

pub fn create(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    f: &IndicatorFields,
) -> Result<Indicator, StoreError> {
    let now = tx.now();
    diesel::insert_into(indicators::table)
        .values((
            Editable::new(f, now),
            indicators::ecosystem_id.eq(ecosystem_id),
            indicators::baseline_note.eq(""),
            indicators::created_at.eq(now),
        ))
        .execute(tx.conn())
        .map_err(duplicate_code(&f.code))?;
    let indicator =
        by_code(tx.conn(), ecosystem_id, &f.code)?.ok_or_else(|| StoreError::NotFound {
            entity: ENTITY,
            key: f.code.clone(),
        })?;
    set_responsibles(tx, indicator.id, &f.responsible)?;
    set_inputs(tx, indicator.id, &f.inputs)?;
    record(tx, None, Some((&indicator, &f.responsible)))?;
    Ok(indicator)
}

pub fn update(
    tx: &mut WriteTx<'_>,
    before: &Indicator,
    f: &IndicatorFields,
) -> Result<Indicator, StoreError> {
    let responsible_before = responsible_ids(tx.conn(), before.id)?;
    let now = tx.now();
    diesel::update(indicators::table.find(before.id))
        .set(Editable::new(f, now))
        .execute(tx.conn())
        .map_err(duplicate_code(&f.code))?;
    set_responsibles(tx, before.id, &f.responsible)?;
    set_inputs(tx, before.id, &f.inputs)?;
    let after = require(tx.conn(), before.id)?;
    record(
        tx,
        Some((before, &responsible_before)),
        Some((&after, &f.responsible)),
    )?;
    Ok(after)
}

pub fn set_baseline(
    tx: &mut WriteTx<'_>,
    before: &Indicator,
    period: &Period,
    value: f64,
    note: &str,
) -> Result<Indicator, StoreError> {
    let now = tx.now();
    diesel::update(indicators::table.find(before.id))
        .set((
            indicators::baseline_period.eq(period.to_string()),
            indicators::baseline_value.eq(value),
            indicators::baseline_note.eq(note),
            indicators::updated_at.eq(now),
        ))
        .execute(tx.conn())?;
    let after = require(tx.conn(), before.id)?;
    let responsible = responsible_ids(tx.conn(), before.id)?;
    record(
        tx,
        Some((before, &responsible)),
        Some((&after, &responsible)),
    )?;
    Ok(after)
}

/// Sets the target for a period (replacing one already there).
pub fn set_target(
    tx: &mut WriteTx<'_>,
    indicator_id: i64,
    period: &Period,
    value: f64,
    horizon: &str,
) -> Result<Target, StoreError> {
    let existing = targets_of(tx.conn(), &[indicator_id])?
        .into_iter()
        .find(|t| &t.period == period);
    match &existing {
        Some(t) => {
            diesel::update(targets::table.find(t.id))
                .set((targets::value.eq(value), targets::horizon.eq(horizon)))
                .execute(tx.conn())?;
        }
        None => {
            diesel::insert_into(targets::table)
                .values((
                    targets::indicator_id.eq(indicator_id),
                    targets::period.eq(period.to_string()),
                    targets::period_end.eq(period.end().to_string()),
                    targets::value.eq(value),
                    targets::horizon.eq(horizon),
                ))
                .execute(tx.conn())?;
        }
    }
    let after = targets_of(tx.conn(), &[indicator_id])?
        .into_iter()
        .find(|t| &t.period == period)
        .ok_or_else(|| StoreError::NotFound {
            entity: TARGET,
            key: period.to_string(),
        })?;
    tx.record_change(existing.as_ref(), Some(&after))?;
    Ok(after)
}

/// Removes the target for a period; returns it, or `None` when there was none.
pub fn remove_target(
    tx: &mut WriteTx<'_>,
    indicator_id: i64,
    period: &Period,
) -> Result<Option<Target>, StoreError> {
    let existing = targets_of(tx.conn(), &[indicator_id])?
        .into_iter()
        .find(|t| &t.period == period);
    if let Some(t) = &existing {
        diesel::delete(targets::table.find(t.id)).execute(tx.conn())?;
        tx.record_change(Some(t), None)?;
    }
    Ok(existing)
}

pub fn require(conn: &mut DbConnection, id: i64) -> Result<Indicator, StoreError> {
    by_id(conn, id)?.ok_or_else(|| StoreError::NotFound {
        entity: ENTITY,
        key: id.to_string(),
    })
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<Option<Indicator>, StoreError> {
    Ok(indicators::table
        .find(id)
        .select(Indicator::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Indicator>, StoreError> {
    Ok(indicators::table
        .filter(indicators::id.eq_any(ids))
        .select(Indicator::as_select())
        .load(conn)?)
}

pub fn by_code(
    conn: &mut DbConnection,
    ecosystem_id: i64,
    code: &str,
) -> Result<Option<Indicator>, StoreError> {
    Ok(indicators::table
        .filter(indicators::ecosystem_id.eq(ecosystem_id))
        .filter(indicators::code.eq(code))
        .select(Indicator::as_select())
        .first(conn)
        .optional()?)
}

pub fn of_ecosystem(
    conn: &mut DbConnection,
    ecosystem_id: i64,
) -> Result<Vec<Indicator>, StoreError> {
    Ok(indicators::table
        .filter(indicators::ecosystem_id.eq(ecosystem_id))
        .order(indicators::code.asc())
        .select(Indicator::as_select())
        .load(conn)?)
}

pub fn of_objectives(
    conn: &mut DbConnection,
    objective_ids: &[i64],
) -> Result<Vec<Indicator>, StoreError> {
    Ok(indicators::table
        .filter(indicators::objective_id.eq_any(objective_ids))
        .order(indicators::code.asc())
        .select(Indicator::as_select())
        .load(conn)?)
}

pub fn count_of_objective(conn: &mut DbConnection, objective_id: i64) -> Result<i64, StoreError> {
    Ok(indicators::table
        .filter(indicators::objective_id.eq(objective_id))
        .count()
        .get_result(conn)?)
}

pub fn targets_of(
    conn: &mut DbConnection,
    indicator_ids: &[i64],
) -> Result<Vec<Target>, StoreError> {
    Ok(targets::table
        .filter(targets::indicator_id.eq_any(indicator_ids))
        .order((targets::indicator_id.asc(), targets::period_end.asc()))
        .select(Target::as_select())
        .load(conn)?)
}

fn responsible_ids(conn: &mut DbConnection, indicator_id: i64) -> Result<Vec<i64>, StoreError> {
    Ok(indicator_responsibles::table
        .filter(indicator_responsibles::indicator_id.eq(indicator_id))
        .order(indicator_responsibles::actor_id.asc())
        .select(indicator_responsibles::actor_id)
        .load(conn)?)
}

/// `(indicator_id, actor_id)` pairs for these indicators, in one query.
pub fn responsibles_of(
    conn: &mut DbConnection,
    indicator_ids: &[i64],
) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(indicator_responsibles::table
        .filter(indicator_responsibles::indicator_id.eq_any(indicator_ids))
        .order((
            indicator_responsibles::indicator_id.asc(),
            indicator_responsibles::actor_id.asc(),
        ))
        .select((
            indicator_responsibles::indicator_id,
            indicator_responsibles::actor_id,
        ))
        .load(conn)?)
}

/// Deletes an indicator with its targets and responsibles (it must hold no measurements).
pub fn delete(tx: &mut WriteTx<'_>, ind: &Indicator) -> Result<(), StoreError> {
    for t in targets_of(tx.conn(), &[ind.id])? {
        diesel::delete(targets::table.find(t.id)).execute(tx.conn())?;
        tx.record_change(Some(&t), None)?;
    }
    let responsible = responsible_ids(tx.conn(), ind.id)?;
    set_responsibles(tx, ind.id, &[])?;
    set_inputs(tx, ind.id, &[])?;
    diesel::delete(indicators::table.find(ind.id)).execute(tx.conn())?;
    record(tx, Some((ind, &responsible)), None)?;
    Ok(())
}

/// Every indicator's state as the audit chain records it.
/// Every indicator with its responsible actors (ids ascending), for the audit chain.
pub fn all_with_responsibles(
    conn: &mut DbConnection,
) -> Result<Vec<(Indicator, Vec<i64>)>, StoreError> {
    let rows: Vec<Indicator> = indicators::table
        .select(Indicator::as_select())
        .load(conn)?;
    let pairs: Vec<(i64, i64)> = indicator_responsibles::table
        .order((
            indicator_responsibles::indicator_id.asc(),
            indicator_responsibles::actor_id.asc(),
        ))
        .select((
            indicator_responsibles::indicator_id,
            indicator_responsibles::actor_id,
        ))
        .load(conn)?;
    let mut by_row = super::group_pairs(pairs);
    Ok(rows
        .into_iter()
        .map(|r| {
            let ids = by_row.remove(&r.id).unwrap_or_default();
            (r, ids)
        })
        .collect())
}

pub fn all_targets(conn: &mut DbConnection) -> Result<Vec<Target>, StoreError> {
    Ok(targets::table.select(Target::as_select()).load(conn)?)
}
