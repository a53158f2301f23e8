//! Indicators with their baseline, targets and responsible actors.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromStaticSqlRow};
use diesel::dsl;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text};

use crate::db::audit_state::IndicatorWithResponsibles;
use crate::db::schema::{indicator_inputs, indicator_responsibles, indicators, targets};
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::actor_rule::ActorRule;
use crate::domain::scoring::{Aggregation, Direction, IndicatorSpec, Point, Thresholds};
use crate::domain::{
    DirectionKind, IndicatorDefinition, MetricCategory, Period, PeriodType, SharedValueForm,
    TargetHorizon, ValidRange,
};

pub const ENTITY: &str = "indicator";
pub const TARGET: &str = "target";

/// A stored indicator: its definition, its baseline, and when it was created and changed.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = indicators)]
pub struct Indicator {
    pub id: i64,
    pub ecosystem_id: i64,
    #[diesel(embed)]
    pub definition: IndicatorDefinition,
    pub baseline_period: Option<Period>,
    pub baseline_value: Option<f64>,
    pub baseline_note: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The columns of an indicator's definition, in the order [`definition_columns`] writes them
/// and [`IndicatorDefinition`]'s `Queryable` reads them.
type DefinitionSelection = (
    indicators::objective_id,
    indicators::code,
    indicators::name,
    indicators::description,
    indicators::unit,
    indicators::direction,
    indicators::range_lower,
    indicators::range_upper,
    indicators::periodicity,
    indicators::aggregation,
    indicators::green_threshold,
    indicators::amber_threshold,
    indicators::weight,
    indicators::source,
    indicators::shared_value_form,
    indicators::metric_category,
    indicators::formula,
    indicators::actor_rule,
    indicators::valid_min,
    indicators::valid_max,
);

type DefinitionSql = (
    BigInt,
    Text,
    Text,
    Text,
    Text,
    Text,
    Nullable<Double>,
    Nullable<Double>,
    Text,
    Text,
    Double,
    Double,
    Double,
    Text,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<Text>,
    Text,
    Nullable<Double>,
    Nullable<Double>,
);

type DefinitionRow = (
    i64,
    String,
    String,
    String,
    String,
    DirectionKind,
    Option<f64>,
    Option<f64>,
    PeriodType,
    Aggregation,
    f64,
    f64,
    f64,
    String,
    Option<SharedValueForm>,
    Option<MetricCategory>,
    Option<String>,
    ActorRule,
    Option<f64>,
    Option<f64>,
);

impl<DB: Backend> Selectable<DB> for IndicatorDefinition {
    type SelectExpression = DefinitionSelection;

    fn construct_selection() -> DefinitionSelection {
        (
            indicators::objective_id,
            indicators::code,
            indicators::name,
            indicators::description,
            indicators::unit,
            indicators::direction,
            indicators::range_lower,
            indicators::range_upper,
            indicators::periodicity,
            indicators::aggregation,
            indicators::green_threshold,
            indicators::amber_threshold,
            indicators::weight,
            indicators::source,
            indicators::shared_value_form,
            indicators::metric_category,
            indicators::formula,
            indicators::actor_rule,
            indicators::valid_min,
            indicators::valid_max,
        )
    }
}

impl<DB> Queryable<DefinitionSql, DB> for IndicatorDefinition
where
    DB: Backend,
    DefinitionRow: FromStaticSqlRow<DefinitionSql, DB>,
{
    type Row = DefinitionRow;

    fn build(r: DefinitionRow) -> deserialize::Result<Self> {
        let direction = Direction::with_bounds(r.5, r.6, r.7)
            .map_err(|e| format!("indicator {}: {}", r.1, e.message))?;
        Ok(IndicatorDefinition {
            objective_id: r.0,
            code: r.1,
            name: r.2,
            description: r.3,
            unit: r.4,
            valid_range: ValidRange {
                min: r.18,
                max: r.19,
            },
            direction,
            periodicity: r.8,
            aggregation: r.9,
            thresholds: Thresholds {
                green: r.10,
                amber: r.11,
            },
            weight: r.12,
            source: r.13,
            shared_value_form: r.14,
            metric_category: r.15,
            formula: r.16,
            actor_rule: r.17,
        })
    }
}

/// The definition's columns with their values.
type DefinitionColumns<'a> = (
    dsl::Eq<indicators::objective_id, i64>,
    dsl::Eq<indicators::code, &'a str>,
    dsl::Eq<indicators::name, &'a str>,
    dsl::Eq<indicators::description, &'a str>,
    dsl::Eq<indicators::unit, &'a str>,
    dsl::Eq<indicators::direction, &'static str>,
    dsl::Eq<indicators::range_lower, Option<f64>>,
    dsl::Eq<indicators::range_upper, Option<f64>>,
    dsl::Eq<indicators::periodicity, &'static str>,
    dsl::Eq<indicators::aggregation, &'static str>,
    dsl::Eq<indicators::green_threshold, f64>,
    dsl::Eq<indicators::amber_threshold, f64>,
    dsl::Eq<indicators::weight, f64>,
    dsl::Eq<indicators::source, &'a str>,
    dsl::Eq<indicators::shared_value_form, Option<&'static str>>,
    dsl::Eq<indicators::metric_category, Option<&'static str>>,
    dsl::Eq<indicators::formula, Option<&'a str>>,
    dsl::Eq<indicators::actor_rule, String>,
    dsl::Eq<indicators::valid_min, Option<f64>>,
    dsl::Eq<indicators::valid_max, Option<f64>>,
);

/// The definition's columns with their values, for inserts and updates alike.
fn definition_columns(d: &IndicatorDefinition) -> DefinitionColumns<'_> {
    let (range_lower, range_upper) = d.direction.bounds();
    (
        indicators::objective_id.eq(d.objective_id),
        indicators::code.eq(d.code.as_str()),
        indicators::name.eq(d.name.as_str()),
        indicators::description.eq(d.description.as_str()),
        indicators::unit.eq(d.unit.as_str()),
        indicators::direction.eq(d.direction.kind().as_str()),
        indicators::range_lower.eq(range_lower),
        indicators::range_upper.eq(range_upper),
        indicators::periodicity.eq(d.periodicity.as_str()),
        indicators::aggregation.eq(d.aggregation.as_str()),
        indicators::green_threshold.eq(d.thresholds.green),
        indicators::amber_threshold.eq(d.thresholds.amber),
        indicators::weight.eq(d.weight),
        indicators::source.eq(d.source.as_str()),
        indicators::shared_value_form.eq(d.shared_value_form.map(SharedValueForm::as_str)),
        indicators::metric_category.eq(d.metric_category.map(MetricCategory::as_str)),
        indicators::formula.eq(d.formula.as_deref()),
        indicators::actor_rule.eq(d.actor_rule.to_string()),
        indicators::valid_min.eq(d.valid_range.min),
        indicators::valid_max.eq(d.valid_range.max),
    )
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = targets)]
pub struct Target {
    pub id: i64,
    pub indicator_id: i64,
    pub period: Period,
    pub period_end: String,
    pub value: f64,
    pub horizon: TargetHorizon,
}

impl Indicator {
    pub fn baseline(&self) -> Option<Point> {
        match (self.baseline_period, self.baseline_value) {
            (Some(period), Some(value)) => Some(Point { period, value }),
            _ => None,
        }
    }

    /// What the computations need; `targets` are this indicator's, any order.
    pub fn spec(&self, targets: &[&Target]) -> IndicatorSpec {
        let mut points: Vec<Point> = targets
            .iter()
            .map(|t| Point {
                period: t.period,
                value: t.value,
            })
            .collect();
        points.sort_by_key(|p| p.period.end());
        IndicatorSpec {
            direction: self.definition.direction,
            aggregation: self.definition.aggregation,
            thresholds: self.definition.thresholds,
            baseline: self.baseline(),
            targets: points,
        }
    }
}

/// An indicator to store: its definition, who is responsible for it, and the variables its
/// formula reads.
#[derive(Debug, Clone)]
pub struct IndicatorFields {
    pub definition: IndicatorDefinition,
    pub responsible: Vec<i64>,
    pub inputs: Vec<i64>,
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
            definition_columns(&f.definition),
            indicators::ecosystem_id.eq(ecosystem_id),
            indicators::updated_at.eq(now),
            indicators::baseline_note.eq(""),
            indicators::created_at.eq(now),
        ))
        .execute(tx.conn())
        .map_err(duplicate_code(&f.definition.code))?;
    let indicator = by_code(tx.conn(), ecosystem_id, &f.definition.code)?.ok_or_else(|| {
        StoreError::NotFound {
            entity: ENTITY,
            key: f.definition.code.clone(),
        }
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
        .set((
            definition_columns(&f.definition),
            indicators::updated_at.eq(now),
        ))
        .execute(tx.conn())
        .map_err(duplicate_code(&f.definition.code))?;
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

/// The indicators of these ecosystems that have responsible actors, with those actors'
/// ids (ascending): two queries.
pub fn with_responsibles_of_ecosystems(
    conn: &mut DbConnection,
    ecosystem_ids: &[i64],
) -> Result<Vec<(Indicator, Vec<i64>)>, StoreError> {
    let rows: Vec<Indicator> = indicators::table
        .filter(indicators::ecosystem_id.eq_any(ecosystem_ids))
        .order(indicators::code.asc())
        .select(Indicator::as_select())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut by_row = super::group_pairs(responsibles_of(conn, &ids)?);
    Ok(rows
        .into_iter()
        .filter_map(|r| by_row.remove(&r.id).map(|a| (r, a)))
        .collect())
}
