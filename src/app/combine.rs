//! Values from several actors: every reader of counted values (the scorecard, series,
//! territory views, formulas, open data) goes through here, where each cell's counted parts
//! (one per actor) are combined by the indicator's or variable's actor rule, and the cell's
//! de-duplication adjustment is added.

use std::collections::{BTreeMap, HashMap};

use crate::db::DbConnection;
use crate::db::models::adjustment::{self, Adjustment, Cell};
use crate::db::models::indicator::Indicator;
use crate::db::models::measurement::{self, Scope, Subject, Subjects};
use crate::db::models::variable::Variable;
use crate::db::models::{ecosystem, indicator, variable};
use crate::domain::actor_rule::{ActorRule, Part, adjustment_value};
use crate::domain::strategy::text;
use crate::domain::{Disaggregation, Period, Ubigeo, ValidationErrors};

use super::data_quality::require_unlocked;
use super::{AppError, Ayni, Caller, model};

/// The combined value of one cell (a total: no disaggregation).
#[derive(Debug, Clone)]
pub(super) struct CellValue {
    /// The indicator's or variable's id.
    pub subject: i64,
    pub period: Period,
    pub territory: String,
    pub value: f64,
    /// The one measurement the value is, when a single part decides it unadjusted.
    pub source: Option<i64>,
    /// Each actor's counted part.
    pub parts: Vec<Part>,
    pub adjustment: Option<Adjustment>,
}

/// The indicators or variables whose values are combined, as the caller loaded them: their
/// actor rules come with them.
#[derive(Clone, Copy)]
pub(super) enum Ruled<'a> {
    Indicators(&'a [&'a Indicator]),
    Variables(&'a [Variable]),
}

/// The combined counted totals of these indicators or variables in `scope`, for periods
/// ending by `until` (and starting on or after `since`), in subject, period and territory
/// order.
pub(super) fn combined(
    c: &mut DbConnection,
    of: Ruled<'_>,
    scope: Scope<'_>,
    since: Option<&str>,
    until: &str,
) -> Result<Vec<CellValue>, AppError> {
    let (ids, rules): (Vec<i64>, HashMap<i64, &ActorRule>) = match of {
        Ruled::Indicators(inds) => (
            inds.iter().map(|i| i.id).collect(),
            inds.iter()
                .map(|i| (i.id, &i.definition.actor_rule))
                .collect(),
        ),
        Ruled::Variables(vars) => (
            vars.iter().map(|v| v.id).collect(),
            vars.iter().map(|v| (v.id, &v.actor_rule)).collect(),
        ),
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let subjects = match of {
        Ruled::Indicators(_) => Subjects::Indicators(&ids),
        Ruled::Variables(_) => Subjects::Variables(&ids),
    };
    let parts = measurement::counted_parts(c, subjects, scope, since, until)?;
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let mut adjustments: HashMap<(i64, Period, String), Adjustment> = HashMap::new();
    for a in adjustment::of_totals(c, subjects, scope)? {
        if let Some(subject) = a.subject_id() {
            adjustments.insert((subject, a.period, a.territory.clone()), a);
        }
    }
    let mut cells: BTreeMap<(i64, Period, String), Vec<Part>> = BTreeMap::new();
    for p in parts {
        cells
            .entry((p.subject, p.period, p.territory))
            .or_default()
            .push(p.part);
    }
    let mut out = Vec::with_capacity(cells.len());
    for (key, parts) in cells {
        let rule = rules.get(&key.0).copied().cloned().unwrap_or_default();
        let adjustment = adjustments.remove(&key);
        let Some(combined) = rule.combine(&parts, adjustment.as_ref().map_or(0.0, |a| a.value))
        else {
            continue;
        };
        let (subject, period, territory) = key;
        out.push(CellValue {
            subject,
            period,
            territory,
            value: combined.value,
            source: combined.chosen,
            parts,
            adjustment,
        });
    }
    Ok(out)
}

/// A de-duplication adjustment as a coordinator records it: of an indicator or a variable.
#[derive(Debug, Clone, Default)]
pub struct AdjustmentInput {
    pub indicator_id: Option<i64>,
    /// A variable of the repository, by code.
    pub variable: Option<String>,
    pub period: String,
    /// Required for a variable; an indicator's default is its ecosystem's territory.
    pub territory: Option<String>,
    pub disaggregation: Vec<(String, String)>,
    /// Added to the combined value (negative to take out what was counted twice).
    pub value: f64,
    pub reason: String,
}

/// The longest reason kept.
const MAX_REASON: usize = 2000;

/// Validates an adjustment's cell against its indicator or variable.
fn resolve_cell(
    c: &mut DbConnection,
    input: &AdjustmentInput,
) -> Result<(Subject, Period, Ubigeo, Disaggregation), AppError> {
    let disaggregation = Disaggregation::parse("disaggregation", &input.disaggregation)?;
    match (input.indicator_id, &input.variable) {
        (Some(id), None) => {
            let ind = indicator::by_id(c, id)?.ok_or_else(|| {
                AppError::invalid(
                    "indicatorId",
                    "exists",
                    format!("no indicator with id {id}"),
                )
            })?;
            if ind.definition.formula.is_some() {
                return Err(AppError::invalid(
                    "indicatorId",
                    "computed",
                    "a formula indicator is computed: adjust its variables' cells instead",
                ));
            }
            let period = Period::parse_typed("period", &input.period, ind.definition.periodicity)?;
            let home = ecosystem::by_id(c, ind.ecosystem_id)?
                .ok_or_else(|| AppError::internal("indicator without ecosystem"))?
                .territory;
            let territory = match &input.territory {
                Some(t) => Ubigeo::parse("territory", t)?,
                None => home.clone(),
            };
            if !home.contains(&territory) {
                return Err(AppError::invalid(
                    "territory",
                    "inside",
                    format!("{territory} lies outside the ecosystem's territory {home}"),
                ));
            }
            Ok((Subject::Indicator(id), period, territory, disaggregation))
        }
        (None, Some(code)) => {
            let v = variable::by_code(c, code.trim())?.ok_or_else(|| {
                AppError::invalid(
                    "variable",
                    "exists",
                    format!("no variable '{}' in the repository", code.trim()),
                )
            })?;
            let period = Period::parse_typed("period", &input.period, v.periodicity)?;
            let Some(t) = &input.territory else {
                return Err(AppError::invalid(
                    "territory",
                    "required",
                    "an observation's cell names its territory",
                ));
            };
            let territory = Ubigeo::parse("territory", t)?;
            Ok((Subject::Variable(v.id), period, territory, disaggregation))
        }
        _ => Err(AppError::invalid(
            "indicatorId",
            "one_of",
            "name either an indicator or a variable",
        )),
    }
}

impl Ayni {
    /// Records (or replaces) the de-duplication adjustment of a cell, with its reason.
    /// Coordinator or admin; audited.
    pub async fn set_adjustment(
        &self,
        caller: &Caller,
        input: AdjustmentInput,
    ) -> Result<model::Adjustment, AppError> {
        caller.require_strategist("record adjustments")?;
        let mut errors = ValidationErrors::new();
        let value = errors.check(adjustment_value("value", input.value));
        let reason = errors.check(text("reason", &input.reason, 1, MAX_REASON));
        errors.into_result()?;
        let (Some(value), Some(reason)) = (value, reason) else {
            return Err(AppError::internal("validated adjustment without value"));
        };
        self.db
            .write(caller.author(), move |tx| {
                let (subject, period, territory, disaggregation) = resolve_cell(tx.conn(), &input)?;
                require_unlocked(tx.conn(), subject, &period, "adjusting values")?;
                let cell = Cell {
                    subject,
                    period: &period,
                    territory: territory.as_str(),
                    disaggregation: disaggregation.as_str(),
                };
                adjustment::set(tx, &cell, value, &reason).map_err(AppError::from)
            })
            .await
            .map(model::Adjustment::from)
    }

    /// Removes an adjustment. Coordinator or admin; audited.
    pub async fn remove_adjustment(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<model::Adjustment, AppError> {
        caller.require_strategist("remove adjustments")?;
        self.db
            .write(caller.author(), move |tx| {
                let found = adjustment::by_id(tx.conn(), id)?
                    .ok_or_else(|| AppError::not_found(format!("adjustment {id}")))?;
                let subject = match (found.indicator_id, found.variable_id) {
                    (Some(i), _) => Subject::Indicator(i),
                    (_, Some(v)) => Subject::Variable(v),
                    _ => return Err(AppError::internal("adjustment of nothing")),
                };
                require_unlocked(tx.conn(), subject, &found.period, "removing adjustments")?;
                adjustment::remove(tx, id)?
                    .ok_or_else(|| AppError::not_found(format!("adjustment {id}")))
            })
            .await
            .map(model::Adjustment::from)
    }

    /// The adjustments of these indicators (batch loading); public, like the values they
    /// change.
    pub async fn adjustments_of_indicators(
        &self,
        ids: Vec<i64>,
    ) -> Result<Vec<model::Adjustment>, AppError> {
        self.db
            .run(move |c| {
                adjustment::of_subjects(c, Subjects::Indicators(&ids)).map_err(AppError::from)
            })
            .await
            .map(model::all)
    }

    /// The adjustments of these variables (batch loading); public.
    pub async fn adjustments_of_variables(
        &self,
        ids: Vec<i64>,
    ) -> Result<Vec<model::Adjustment>, AppError> {
        self.db
            .run(move |c| {
                adjustment::of_subjects(c, Subjects::Variables(&ids)).map_err(AppError::from)
            })
            .await
            .map(model::all)
    }
}

impl Ayni {
    /// An indicator's combined totals in every territory of its ecosystem:
    /// `(period, territory, value)`.
    pub(super) async fn combined_by_territory(
        &self,
        indicator_id: i64,
    ) -> Result<Vec<(Period, String, f64)>, AppError> {
        self.db
            .run(move |c| {
                let ind = indicator::by_id(c, indicator_id)?
                    .ok_or_else(|| AppError::not_found(format!("indicator {indicator_id}")))?;
                let home = ecosystem::by_id(c, ind.ecosystem_id)?
                    .ok_or_else(|| AppError::internal("indicator without ecosystem"))?
                    .territory;
                Ok(combined(
                    c,
                    Ruled::Indicators(&[&ind]),
                    Scope::Within(home.as_str()),
                    None,
                    "9999-12-31",
                )?
                .into_iter()
                .map(|cell| (cell.period, cell.territory, cell.value))
                .collect())
            })
            .await
    }
}
