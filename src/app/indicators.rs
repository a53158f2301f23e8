//! Indicators, baselines and targets; the scorecard and an indicator's series.

use std::collections::{BTreeMap, HashMap};
use std::ops::Not;

use crate::db::DbConnection;
use crate::db::models::ecosystem::{self, Ecosystem, Perspective};
use crate::db::models::indicator::{self, Indicator, IndicatorFields, Target};
use crate::db::models::measurement::{self, Scope, Subjects};
use crate::db::models::objective::{self, Objective};
use crate::domain::actor_rule::{ActorRule, ActorRuleKind, Part};
use crate::domain::formula::EvalError;
use crate::domain::indicator::finite;
use crate::domain::scoring::{
    self, Aggregation, Direction, Evaluation, Point, Score, Status, Thresholds,
};
use crate::domain::strategy::text;
use crate::domain::{
    Code, DirectionKind, FieldError, IndicatorDefinition, MetricCategory, Period, PeriodType,
    SharedValueForm, TargetHorizon, ValidRange, ValidationErrors, Weight,
};

use super::combine::{CellValue, Ruled, combined};
use super::ecosystems::{MAX_NAME, MAX_TEXT, check_members, check_responsible};
use super::model;
use super::variables::{check_formula, formula_values};
use super::{AppError, Ayni, Caller};

/// A new indicator, or (all optional) changes to one.
#[derive(Debug, Clone, Default)]
pub struct IndicatorInput {
    pub objective_id: Option<i64>,
    pub code: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub unit: Option<String>,
    pub direction: Option<DirectionKind>,
    pub range_lower: Option<f64>,
    pub range_upper: Option<f64>,
    pub periodicity: Option<PeriodType>,
    pub aggregation: Option<Aggregation>,
    pub green_threshold: Option<f64>,
    pub amber_threshold: Option<f64>,
    pub weight: Option<f64>,
    pub source: Option<String>,
    /// `Some(None)` clears it.
    pub shared_value_form: Option<Option<SharedValueForm>>,
    pub metric_category: Option<Option<MetricCategory>>,
    pub responsible_actor_ids: Option<Vec<i64>>,
    /// A formula over variable codes; `Some(None)` (or an empty text) clears it.
    pub formula: Option<Option<String>>,
    /// How several actors' values of one cell combine; unchanged when `None`.
    pub actor_rule: Option<ActorRuleKind>,
    /// The ordered actors of a `PREFERRED` rule.
    pub preferred_actor_ids: Option<Vec<i64>>,
    /// The lowest plausible value; `Some(None)` clears it.
    pub valid_min: Option<Option<f64>>,
    /// The highest plausible value; `Some(None)` clears it.
    pub valid_max: Option<Option<f64>>,
}

/// An indicator on the scorecard.
#[derive(Debug, Clone)]
pub struct IndicatorCard {
    pub indicator: model::Indicator,
    pub baseline: Option<Point>,
    pub evaluation: Evaluation,
    /// The value behind `actual`: the latest one it uses (for provenance). `None` for a
    /// formula indicator, whose value is computed, and when several actors' parts or an
    /// adjustment make it (see `parts`).
    pub source_measurement: Option<i64>,
    /// Each actor's counted part of the value behind `actual` (empty for a formula indicator).
    pub parts: Vec<Part>,
    /// The de-duplication adjustment of that cell.
    pub adjustment: Option<model::Adjustment>,
    /// For a formula indicator without a value: why (a missing input, a division by zero).
    pub no_value_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ObjectiveCard {
    pub objective: model::Objective,
    pub score: Score,
    pub status: Status,
    pub indicators: Vec<IndicatorCard>,
}

#[derive(Debug, Clone)]
pub struct PerspectiveCard {
    pub perspective: model::Perspective,
    pub score: Score,
    pub status: Status,
    pub objectives: Vec<ObjectiveCard>,
}

/// The *tablero de control* for one period.
#[derive(Debug, Clone)]
pub struct Scorecard {
    pub ecosystem: model::Ecosystem,
    pub period: Period,
    pub score: Score,
    pub status: Status,
    pub perspectives: Vec<PerspectiveCard>,
}

/// One period of an indicator's series.
#[derive(Debug, Clone)]
pub struct SeriesPoint {
    pub period: Period,
    pub evaluation: Evaluation,
    /// For a formula indicator, why this period has no value although some input has data.
    pub no_value_reason: Option<String>,
}

/// Longest series returned at once.
pub const MAX_SERIES: usize = 600;

fn require_indicator(conn: &mut DbConnection, id: i64) -> Result<Indicator, AppError> {
    indicator::by_id(conn, id)?.ok_or_else(|| AppError::not_found(format!("indicator {id}")))
}

/// Validates a full set of indicator fields against the ecosystem.
fn resolve(
    conn: &mut DbConnection,
    ecosystem_id: i64,
    current: Option<&Indicator>,
    input: IndicatorInput,
) -> Result<IndicatorFields, AppError> {
    let mut errors = ValidationErrors::new();
    let pick = |new: Option<String>, old: Option<&str>| {
        new.or_else(|| old.map(str::to_string)).unwrap_or_default()
    };
    let code = errors.check(Code::parse(
        "code",
        &pick(input.code, current.map(|c| c.definition.code.as_str())),
    ));
    let name = errors.check(text(
        "name",
        &pick(input.name, current.map(|c| c.definition.name.as_str())),
        2,
        MAX_NAME,
    ));
    let description = errors.check(text(
        "description",
        &pick(
            input.description,
            current.map(|c| c.definition.description.as_str()),
        ),
        0,
        MAX_TEXT,
    ));
    let unit = errors.check(text(
        "unit",
        &pick(input.unit, current.map(|c| c.definition.unit.as_str())),
        1,
        50,
    ));
    let source = errors.check(text(
        "source",
        &pick(input.source, current.map(|c| c.definition.source.as_str())),
        0,
        MAX_TEXT,
    ));
    let direction_kind = input
        .direction
        .or(current.map(|c| c.definition.direction.kind()))
        .unwrap_or(DirectionKind::Increase);
    let lower = input
        .range_lower
        .or(current.and_then(|c| c.definition.direction.bounds().0));
    let upper = input
        .range_upper
        .or(current.and_then(|c| c.definition.direction.bounds().1));
    let direction = errors.check(Direction::with_bounds(direction_kind, lower, upper));
    let periodicity = match (input.periodicity, current) {
        (Some(p), _) => Some(p),
        (None, Some(c)) => Some(c.definition.periodicity),
        (None, None) => None,
    };
    let Some(periodicity) = periodicity else {
        return Err(AppError::invalid(
            "periodicity",
            "required",
            "an indicator needs a periodicity",
        ));
    };
    let aggregation = match (input.aggregation, current) {
        (Some(a), _) => a,
        (None, Some(c)) => c.definition.aggregation,
        (None, None) => Aggregation::Last,
    };
    let defaults = Thresholds::default();
    let thresholds = errors.check(Thresholds::parse(
        input
            .green_threshold
            .or(current.map(|c| c.definition.thresholds.green))
            .unwrap_or(defaults.green),
        input
            .amber_threshold
            .or(current.map(|c| c.definition.thresholds.amber))
            .unwrap_or(defaults.amber),
    ));
    let weight = errors.check(Weight::parse(
        "weight",
        input
            .weight
            .or(current.map(|c| c.definition.weight))
            .unwrap_or(Weight::DEFAULT.value()),
    ));
    let objective_id = input
        .objective_id
        .or(current.map(|c| c.definition.objective_id));
    match objective_id {
        None => errors.push(FieldError::new(
            "objectiveId",
            "required",
            "an indicator measures an objective",
        )),
        Some(id) => {
            if objective::by_id(conn, id)?.is_none_or(|o| o.ecosystem_id != ecosystem_id) {
                errors.push(FieldError::new(
                    "objectiveId",
                    "exists",
                    format!("no objective with id {id} in this ecosystem"),
                ));
            }
        }
    }
    let responsible = match input.responsible_actor_ids {
        Some(ids) => ids,
        None => match current {
            Some(c) => indicator::responsibles_of(conn, &[c.id])?
                .into_iter()
                .map(|(_, a)| a)
                .collect(),
            None => Vec::new(),
        },
    };
    check_responsible(conn, ecosystem_id, &responsible, &mut errors)?;
    let actor_rule = actor_rule(
        current.map(|c| &c.definition.actor_rule),
        input.actor_rule,
        input.preferred_actor_ids,
    )
    .map_err(|e| errors.push(e))
    .ok();
    if let Some(rule) = &actor_rule {
        check_members(
            conn,
            ecosystem_id,
            "preferredActorIds",
            rule.preferred(),
            &mut errors,
        )?;
    }
    let has_values = |conn: &mut DbConnection, c: &Indicator| {
        measurement::list(
            conn,
            Subjects::Indicators(&[c.id]),
            measurement::Visibility::All,
            &Default::default(),
        )
        .map(|rows| rows.is_empty().not())
    };
    if let Some(c) = current
        && c.definition.periodicity != periodicity
        && has_values(conn, c)?
    {
        errors.push(FieldError::new(
            "periodicity",
            "locked",
            "the periodicity cannot change once values have been submitted",
        ));
    }
    let formula = match input.formula {
        Some(f) => f.filter(|t| !t.trim().is_empty()),
        None => current.and_then(|c| c.definition.formula.clone()),
    };
    let mut inputs = Vec::new();
    if let Some(text) = &formula {
        let check = check_formula(conn, text, Some(periodicity))?;
        for p in &check.problems {
            errors.push(FieldError::new("formula", p.rule, p.to_string()));
        }
        inputs = check.inputs.iter().map(|v| v.id).collect();
        if let Some(c) = current
            && c.definition.formula.is_none()
            && has_values(conn, c)?
        {
            errors.push(FieldError::new(
                "formula",
                "locked",
                "this indicator already has submitted values; a formula indicator takes none (create a new indicator)",
            ));
        }
    }
    let shared_value_form = match input.shared_value_form {
        Some(v) => v,
        None => current.and_then(|c| c.definition.shared_value_form),
    };
    let metric_category = match input.metric_category {
        Some(v) => v,
        None => current.and_then(|c| c.definition.metric_category),
    };
    let valid_range = check_valid_range(
        conn,
        current,
        input.valid_min,
        input.valid_max,
        unit.as_deref(),
        &mut errors,
    )?;
    let (
        Some(code),
        Some(name),
        Some(description),
        Some(unit),
        Some(source),
        Some(direction),
        Some(thresholds),
        Some(weight),
        Some(objective_id),
        Some(actor_rule),
        Some(valid_range),
    ) = (
        code,
        name,
        description,
        unit,
        source,
        direction,
        thresholds,
        weight,
        objective_id,
        actor_rule,
        valid_range,
    )
    else {
        return Err(AppError::Invalid(errors));
    };
    errors.into_result()?;
    let mut responsible = responsible;
    responsible.sort_unstable();
    responsible.dedup();
    Ok(IndicatorFields {
        definition: IndicatorDefinition {
            objective_id,
            code: code.as_str().to_string(),
            name,
            description,
            unit,
            valid_range,
            direction,
            periodicity,
            aggregation,
            thresholds,
            weight: weight.value(),
            source,
            shared_value_form,
            metric_category,
            formula: formula.map(|f| f.trim().to_string()),
            actor_rule,
        },
        responsible,
        inputs,
    })
}

/// The actor rule an edit asks for: the current one unless a rule or preferred actors are
/// given (preferred actors alone re-order a `PREFERRED` rule).
pub(super) fn actor_rule(
    current: Option<&ActorRule>,
    kind: Option<ActorRuleKind>,
    preferred: Option<Vec<i64>>,
) -> Result<ActorRule, FieldError> {
    let current = current.cloned().unwrap_or_default();
    if kind.is_none() && preferred.is_none() {
        return Ok(current);
    }
    let kind = kind.unwrap_or(current.kind());
    let preferred = match preferred {
        Some(p) => p,
        None if kind == ActorRuleKind::Preferred => current.preferred().to_vec(),
        None => Vec::new(),
    };
    ActorRule::new("preferredActorIds", kind, preferred)
}

/// Resolves an indicator's valid range (given, or kept) and checks it: bounds in order,
/// not clashing with a percentage's default, and holding the baseline and targets it has.
fn check_valid_range(
    conn: &mut DbConnection,
    current: Option<&Indicator>,
    min: Option<Option<f64>>,
    max: Option<Option<f64>>,
    unit: Option<&str>,
    errors: &mut ValidationErrors,
) -> Result<Option<ValidRange>, AppError> {
    let old = current
        .map(|c| c.definition.valid_range)
        .unwrap_or_default();
    let Some(range) = errors.check(ValidRange::parse(
        min.unwrap_or(old.min),
        max.unwrap_or(old.max),
    )) else {
        return Ok(None);
    };
    let Some(unit) = unit else {
        return Ok(Some(range));
    };
    let Some(effective) = errors.check(range.check_effective(unit)) else {
        return Ok(None);
    };
    if let Some(c) = current {
        let mut held: Vec<(String, f64)> = Vec::new();
        if let Some(b) = c.baseline() {
            held.push((format!("the baseline ({})", b.period), b.value));
        }
        for t in indicator::targets_of(conn, &[c.id])? {
            held.push((format!("the target for {}", t.period), t.value));
        }
        for (what, value) in held {
            if !effective.contains(value) {
                let field = if effective.min.is_some_and(|lo| value < lo) {
                    "validMin"
                } else {
                    "validMax"
                };
                errors.push(FieldError::new(
                    field,
                    "validRange",
                    format!("{what} is {value}, outside the range; change it first"),
                ));
            }
        }
    }
    Ok(Some(range))
}

/// The ecosystem of an objective, for new indicators.
fn ecosystem_of_objective(
    conn: &mut DbConnection,
    objective_id: Option<i64>,
) -> Result<i64, AppError> {
    let id = objective_id.ok_or_else(|| {
        AppError::invalid(
            "objectiveId",
            "required",
            "an indicator measures an objective",
        )
    })?;
    objective::by_id(conn, id)?
        .map(|o| o.ecosystem_id)
        .ok_or_else(|| {
            AppError::invalid(
                "objectiveId",
                "exists",
                format!("no objective with id {id}"),
            )
        })
}

fn group_targets(targets: &[Target]) -> HashMap<i64, Vec<&Target>> {
    let mut out: HashMap<i64, Vec<&Target>> = HashMap::new();
    for t in targets {
        out.entry(t.indicator_id).or_default().push(t);
    }
    out
}

impl Ayni {
    pub async fn indicators_by_ids(
        &self,
        ids: Vec<i64>,
    ) -> Result<Vec<model::Indicator>, AppError> {
        self.db
            .run(move |c| indicator::by_ids(c, &ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    pub async fn indicators_of_objectives(
        &self,
        ids: Vec<i64>,
    ) -> Result<Vec<model::Indicator>, AppError> {
        self.db
            .run(move |c| indicator::of_objectives(c, &ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    pub async fn targets_of(
        &self,
        indicator_ids: Vec<i64>,
    ) -> Result<Vec<model::Target>, AppError> {
        self.db
            .run(move |c| indicator::targets_of(c, &indicator_ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    /// `(indicator_id, actor_id)` pairs (batch loading).
    pub async fn indicator_responsibles_of(
        &self,
        indicator_ids: Vec<i64>,
    ) -> Result<Vec<(i64, i64)>, AppError> {
        self.db
            .run(move |c| indicator::responsibles_of(c, &indicator_ids).map_err(AppError::from))
            .await
    }

    pub async fn create_indicator(
        &self,
        caller: &Caller,
        input: IndicatorInput,
    ) -> Result<model::Indicator, AppError> {
        caller.require_strategist("create indicators")?;
        self.db
            .write(caller.author(), move |tx| {
                let ecosystem_id = ecosystem_of_objective(tx.conn(), input.objective_id)?;
                let fields = resolve(tx.conn(), ecosystem_id, None, input)?;
                indicator::create(tx, ecosystem_id, &fields).map_err(AppError::from)
            })
            .await
            .map(model::Indicator::from)
    }

    pub async fn update_indicator(
        &self,
        caller: &Caller,
        id: i64,
        input: IndicatorInput,
    ) -> Result<model::Indicator, AppError> {
        caller.require_strategist("edit indicators")?;
        self.db
            .write(caller.author(), move |tx| {
                let before = require_indicator(tx.conn(), id)?;
                let fields = resolve(tx.conn(), before.ecosystem_id, Some(&before), input)?;
                indicator::update(tx, &before, &fields).map_err(AppError::from)
            })
            .await
            .map(model::Indicator::from)
    }

    /// Sets the baseline. It must come before every target.
    pub async fn set_baseline(
        &self,
        caller: &Caller,
        id: i64,
        period: String,
        value: f64,
        note: String,
    ) -> Result<model::Indicator, AppError> {
        caller.require_strategist("set baselines")?;
        let mut errors = ValidationErrors::new();
        let period = errors.check(Period::parse("period", &period));
        let value = errors.check(finite("value", value));
        let note = errors.check(text("note", &note, 0, MAX_TEXT));
        let (Some(period), Some(value), Some(note)) = (period, value, note) else {
            return Err(AppError::Invalid(errors));
        };
        self.db
            .write(caller.author(), move |tx| {
                let before = require_indicator(tx.conn(), id)?;
                crate::domain::plausibility::not_after_current("period", &period, tx.now().date())?;
                let d = &before.definition;
                d.valid_range.effective(&d.unit).check("value", value, &d.unit)?;
                let targets = indicator::targets_of(tx.conn(), &[id])?;
                if let Some(t) = targets.iter().find(|t| t.period_end <= period.end().to_string()) {
                    return Err(AppError::invalid(
                        "period",
                        "order",
                        format!("the baseline ({period}) must come before every target; there is one for {}", t.period),
                    ));
                }
                indicator::set_baseline(tx, &before, &period, value, &note).map_err(AppError::from)
            })
            .await
            .map(model::Indicator::from)
    }

    /// Sets (or replaces) the target for a period, after the baseline.
    pub async fn set_target(
        &self,
        caller: &Caller,
        id: i64,
        period: String,
        value: f64,
        horizon: TargetHorizon,
    ) -> Result<model::Target, AppError> {
        caller.require_strategist("set targets")?;
        let mut errors = ValidationErrors::new();
        let period = errors.check(Period::parse("period", &period));
        let value = errors.check(finite("value", value));
        let (Some(period), Some(value)) = (period, value) else {
            return Err(AppError::Invalid(errors));
        };
        self.db
            .write(caller.author(), move |tx| {
                let ind = require_indicator(tx.conn(), id)?;
                let d = &ind.definition;
                d.valid_range
                    .effective(&d.unit)
                    .check("value", value, &d.unit)?;
                if let Some(b) = ind.baseline()
                    && period.end() <= b.period.end()
                {
                    return Err(AppError::invalid(
                        "period",
                        "order",
                        format!(
                            "a target ({period}) must come after the baseline ({})",
                            b.period
                        ),
                    ));
                }
                indicator::set_target(tx, id, &period, value, horizon.as_str())
                    .map_err(AppError::from)
            })
            .await
            .map(model::Target::from)
    }

    pub async fn remove_target(
        &self,
        caller: &Caller,
        id: i64,
        period: String,
    ) -> Result<model::Target, AppError> {
        caller.require_strategist("remove targets")?;
        let period = Period::parse("period", &period)?;
        self.db
            .write(caller.author(), move |tx| {
                require_indicator(tx.conn(), id)?;
                indicator::remove_target(tx, id, &period)?.ok_or_else(|| {
                    AppError::not_found(format!("target {period} of indicator {id}"))
                })
            })
            .await
            .map(model::Target::from)
    }

    /// The scorecard of an ecosystem for a period, in a fixed number of queries.
    pub async fn scorecard(
        &self,
        ecosystem_id: i64,
        period: String,
    ) -> Result<Scorecard, AppError> {
        let at = Period::parse("period", &period)?;
        self.db
            .run(move |c| scorecard_in(c, ecosystem_id, at))
            .await
    }

    /// An indicator's evaluation for every period of its periodicity from `from` to `to`
    /// (defaults: its baseline, and its last target or latest value).
    pub async fn series(
        &self,
        id: i64,
        from: Option<String>,
        to: Option<String>,
    ) -> Result<Vec<SeriesPoint>, AppError> {
        let mut errors = ValidationErrors::new();
        let from = from.map(|f| errors.check(Period::parse("from", &f)));
        let to = to.map(|t| errors.check(Period::parse("to", &t)));
        errors.into_result()?;
        self.db
            .run(move |c| {
                let ind = require_indicator(c, id)?;
                let eco = ecosystem::by_id(c, ind.ecosystem_id)?
                    .ok_or_else(|| AppError::internal("indicator without ecosystem"))?;
                let targets = indicator::targets_of(c, &[id])?;
                let spec = ind.spec(&targets.iter().collect::<Vec<_>>());
                let kind = ind.definition.periodicity;
                let (obs, reasons) = if ind.definition.formula.is_some() {
                    formula_values(c, &[&ind], eco.territory.as_str(), "9999-12-31")?
                        .remove(&id)
                        .unwrap_or_default()
                } else {
                    let obs = combined(
                        c,
                        Ruled::Indicators(&[&ind]),
                        Scope::At(eco.territory.as_str()),
                        None,
                        "9999-12-31",
                    )?
                    .into_iter()
                    .map(|v| Point {
                        period: v.period,
                        value: v.value,
                    })
                    .collect::<Vec<_>>();
                    (obs, Default::default())
                };
                let first = from
                    .flatten()
                    .or(spec.baseline.map(|b| b.period))
                    .or(obs.iter().map(|o| o.period).min());
                let last = to
                    .flatten()
                    .or(spec.targets.last().map(|t| t.period))
                    .into_iter()
                    .chain(obs.iter().map(|o| o.period))
                    .max();
                let (Some(first), Some(last)) = (first, last) else {
                    return Ok(Vec::new());
                };
                let periods = Period::range(kind, &first, &last);
                if periods.len() > MAX_SERIES {
                    return Err(AppError::invalid(
                        "from",
                        "range",
                        format!(
                            "at most {MAX_SERIES} periods at once, asked for {}",
                            periods.len()
                        ),
                    ));
                }
                Ok(periods
                    .into_iter()
                    .map(|period| SeriesPoint {
                        no_value_reason: reasons.get(&period).map(ToString::to_string),
                        period,
                        evaluation: scoring::evaluate(&spec, &obs, &period),
                    })
                    .collect())
            })
            .await
    }
}

/// An ecosystem's scorecard for one period, inside a unit of storage work.
pub(super) fn scorecard_in(
    c: &mut DbConnection,
    ecosystem_id: i64,
    at: Period,
) -> Result<Scorecard, AppError> {
    scorecards_in(c, ecosystem_id, &[at])?
        .pop()
        .ok_or_else(|| AppError::internal("no scorecard built"))
}

/// An ecosystem's scorecards for several periods: the strategy, indicators and targets are
/// read once, the values once per period.
pub(super) fn scorecards_in(
    c: &mut DbConnection,
    ecosystem_id: i64,
    periods: &[Period],
) -> Result<Vec<Scorecard>, AppError> {
    let eco = ecosystem::by_id(c, ecosystem_id)?
        .ok_or_else(|| AppError::not_found(format!("ecosystem {ecosystem_id}")))?;
    let perspectives = ecosystem::perspectives_of(c, &[ecosystem_id])?;
    let objectives = objective::of_ecosystem(c, ecosystem_id, None, None)?;
    let indicators = indicator::of_ecosystem(c, ecosystem_id)?;
    let ids: Vec<i64> = indicators.iter().map(|i| i.id).collect();
    let targets = indicator::targets_of(c, &ids)?;
    periods
        .iter()
        .map(|at| {
            let observations = counted_observations(c, &eco, &indicators, at)?;
            build_scorecard(
                eco.clone(),
                *at,
                perspectives.clone(),
                objectives.clone(),
                indicators.clone(),
                &targets,
                &observations,
            )
        })
        .collect()
}

/// Every approved value of these indicators for the ecosystem's whole territory, by period
/// (computed for formula indicators): the series hybrid metrics and link checks read.
pub(super) fn value_points(
    c: &mut DbConnection,
    territory: &str,
    indicators: &[&Indicator],
) -> Result<HashMap<i64, Vec<(Period, f64)>>, AppError> {
    let (formulas, stored): (Vec<&Indicator>, Vec<&Indicator>) = indicators
        .iter()
        .copied()
        .partition(|i| i.definition.formula.is_some());
    let mut out: HashMap<i64, Vec<(Period, f64)>> = HashMap::new();
    for v in combined(
        c,
        Ruled::Indicators(&stored),
        Scope::At(territory),
        None,
        "9999-12-31",
    )? {
        out.entry(v.subject).or_default().push((v.period, v.value));
    }
    for (id, (points, _)) in formula_values(c, &formulas, territory, "9999-12-31")? {
        out.entry(id)
            .or_default()
            .extend(points.into_iter().map(|p| (p.period, p.value)));
    }
    Ok(out)
}

/// The values the scorecard needs, with the measurement behind each (none when computed):
/// for `Last` indicators the periods inside `at`, for `Sum` indicators everything up to its
/// end. Formula indicators are computed from their variables' approved observations.
struct CardValues {
    /// With the combined cell behind each stored value.
    points: HashMap<i64, Vec<(Point, Option<CellValue>)>>,
    /// Why a formula indicator has no value for a period.
    gaps: HashMap<i64, BTreeMap<Period, EvalError>>,
}

fn counted_observations(
    c: &mut DbConnection,
    eco: &Ecosystem,
    indicators: &[Indicator],
    at: &Period,
) -> Result<CardValues, AppError> {
    let (formulas, stored): (Vec<&Indicator>, Vec<&Indicator>) = indicators
        .iter()
        .partition(|i| i.definition.formula.is_some());
    let (sums, lasts): (Vec<&Indicator>, Vec<&Indicator>) = stored
        .into_iter()
        .partition(|i| i.definition.aggregation == Aggregation::Sum);
    let until = at.end().to_string();
    let territory = Scope::At(eco.territory.as_str());
    let mut rows = combined(
        c,
        Ruled::Indicators(&lasts),
        territory,
        Some(&at.start().to_string()),
        &until,
    )?;
    if !sums.is_empty() {
        rows.extend(combined(
            c,
            Ruled::Indicators(&sums),
            territory,
            None,
            &until,
        )?);
    }
    let mut out = CardValues {
        points: HashMap::new(),
        gaps: HashMap::new(),
    };
    for cell in rows {
        let point = Point {
            period: cell.period,
            value: cell.value,
        };
        out.points
            .entry(cell.subject)
            .or_default()
            .push((point, Some(cell)));
    }
    let since_start: std::collections::HashSet<i64> = formulas
        .iter()
        .filter(|i| i.definition.aggregation != Aggregation::Sum)
        .map(|i| i.id)
        .collect();
    for (id, (points, gaps)) in formula_values(c, &formulas, eco.territory.as_str(), &until)? {
        // As for stored values: a `Last` indicator uses the periods inside `at` only.
        let keep = |p: &Point| !since_start.contains(&id) || p.period.start() >= at.start();
        out.points
            .entry(id)
            .or_default()
            .extend(points.into_iter().filter(|p| keep(p)).map(|p| (p, None)));
        out.gaps.insert(id, gaps);
    }
    Ok(out)
}

fn build_scorecard(
    eco: Ecosystem,
    at: Period,
    perspectives: Vec<Perspective>,
    objectives: Vec<Objective>,
    indicators: Vec<Indicator>,
    targets: &[Target],
    values: &CardValues,
) -> Result<Scorecard, AppError> {
    let targets = group_targets(targets);
    let mut by_objective: HashMap<i64, Vec<IndicatorCard>> = HashMap::new();
    for ind in indicators {
        let spec = ind.spec(targets.get(&ind.id).map(Vec::as_slice).unwrap_or(&[]));
        let with_ids = values.points.get(&ind.id).map(Vec::as_slice).unwrap_or(&[]);
        let obs: Vec<Point> = with_ids.iter().map(|(p, _)| *p).collect();
        let evaluation = scoring::evaluate(&spec, &obs, &at);
        // The counted cell of the latest period the actual draws on.
        let source = evaluation
            .actual
            .and_then(|_| {
                with_ids
                    .iter()
                    .filter(|(p, _)| p.period.end() <= at.end())
                    .max_by_key(|(p, _)| p.period)
            })
            .and_then(|(_, cell)| cell.as_ref());
        let no_value_reason = match (&ind.definition.formula, evaluation.actual) {
            (Some(_), None) => Some(
                values
                    .gaps
                    .get(&ind.id)
                    .and_then(|g| g.range(..=at).next_back())
                    .map_or_else(
                        || "no approved observations of its variables yet".to_string(),
                        |(p, why)| format!("{p}: {why}"),
                    ),
            ),
            _ => None,
        };
        by_objective
            .entry(ind.definition.objective_id)
            .or_default()
            .push(IndicatorCard {
                source_measurement: source.and_then(|c| c.source),
                parts: source.map(|c| c.parts.clone()).unwrap_or_default(),
                adjustment: source
                    .and_then(|c| c.adjustment.clone())
                    .map(model::Adjustment::from),
                no_value_reason,
                baseline: spec.baseline,
                indicator: ind.into(),
                evaluation,
            });
    }
    let mut by_perspective: HashMap<i64, Vec<ObjectiveCard>> = HashMap::new();
    for o in objectives {
        let cards = by_objective.remove(&o.id).unwrap_or_default();
        // Each indicator counts with its performance against the plan, clamped to [0, 1].
        let scores: Vec<Score> = cards
            .iter()
            .map(|c| Score::indicator(c.indicator.definition.weight, c.evaluation.performance))
            .collect();
        let score = Score::combine(o.weight, &scores);
        by_perspective
            .entry(o.perspective_id)
            .or_default()
            .push(ObjectiveCard {
                status: Status::from_performance(Thresholds::default(), score.score),
                score,
                objective: o.into(),
                indicators: cards,
            });
    }
    let mut cards = Vec::new();
    for p in perspectives {
        let objectives = by_perspective.remove(&p.id).unwrap_or_default();
        let scores: Vec<Score> = objectives.iter().map(|o| o.score).collect();
        let score = Score::combine(1.0, &scores);
        cards.push(PerspectiveCard {
            status: Status::from_performance(Thresholds::default(), score.score),
            score,
            perspective: p.into(),
            objectives,
        });
    }
    let score = Score::combine(1.0, &cards.iter().map(|p| p.score).collect::<Vec<_>>());
    Ok(Scorecard {
        ecosystem: eco.into(),
        period: at,
        status: Status::from_performance(Thresholds::default(), score.score),
        score,
        perspectives: cards,
    })
}

impl Ayni {
    /// When the latest counted value of an ecosystem's indicators was approved.
    pub async fn latest_approval(
        &self,
        ecosystem_id: i64,
    ) -> Result<Option<chrono::NaiveDateTime>, AppError> {
        self.db
            .run(move |c| {
                let ids: Vec<i64> = indicator::of_ecosystem(c, ecosystem_id)?
                    .iter()
                    .map(|i| i.id)
                    .collect();
                measurement::latest_approval(c, &ids).map_err(AppError::from)
            })
            .await
    }
}

impl Ayni {
    /// An ecosystem's indicator by code.
    pub async fn indicator_by_code(
        &self,
        ecosystem_id: i64,
        code: String,
    ) -> Result<Option<model::Indicator>, AppError> {
        self.db
            .run(move |c| indicator::by_code(c, ecosystem_id, &code).map_err(AppError::from))
            .await
            .map(|found| found.map(model::Indicator::from))
    }
}

impl Ayni {
    /// The latest period with an approved value of any of an ecosystem's indicators
    /// (computed ones included): what a reader wants to see first.
    pub async fn latest_value_period(&self, ecosystem_id: i64) -> Result<Option<Period>, AppError> {
        self.db
            .run(move |c| {
                let eco = ecosystem::by_id(c, ecosystem_id)?
                    .ok_or_else(|| AppError::not_found(format!("ecosystem {ecosystem_id}")))?;
                let indicators = indicator::of_ecosystem(c, ecosystem_id)?;
                let refs: Vec<&Indicator> = indicators.iter().collect();
                Ok(value_points(c, eco.territory.as_str(), &refs)?
                    .into_values()
                    .flatten()
                    .map(|(p, _)| p)
                    .max())
            })
            .await
    }
}
