//! The variable repository: variables, each ecosystem's selection, observations (values of
//! variables, through the same workflow as measurements), territorial roll-up and formula
//! indicators.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::db::DbConnection;
use crate::db::models::measurement::{self, NewMeasurement, Scope, Subject, Subjects};
use crate::db::models::variable::{self, Variable, VariableFields};
use crate::db::models::{actor, ecosystem, indicator::Indicator};
use crate::domain::actor_rule::ActorRuleKind;
use crate::domain::formula::{EvalError, Expr};
use crate::domain::scoring::Point;
use crate::domain::strategy::text;
use crate::domain::variable::{ObservationSet, Resolved, VariableRule, level_allows, serves};
use crate::domain::{
    Availability, Code, FieldError, Period, PeriodType, RollUp, SourceKind, TerritoryLevel, Ubigeo,
    ValidRange, ValidationErrors, VariableCode,
};

use super::combine::{Ruled, combined};
use super::ecosystems::{MAX_NAME, MAX_TEXT, require_ecosystem};
use super::measurements::{Contribution, contributing_actor, require_actor, visibility};
use super::model;
use super::{AppError, Ayni, Caller, MeasurementFilter};

/// A new variable, or (all optional) changes to one.
#[derive(Debug, Clone, Default)]
pub struct VariableInput {
    pub code: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub unit: Option<String>,
    pub source: Option<SourceKind>,
    pub source_detail: Option<String>,
    pub source_reference: Option<String>,
    pub periodicity: Option<PeriodType>,
    pub level: Option<TerritoryLevel>,
    pub themes: Option<Vec<String>>,
    pub availability: Option<Availability>,
    pub availability_note: Option<String>,
    /// `Some(None)` clears it.
    pub responsible_actor_id: Option<Option<i64>>,
    pub rollup: Option<RollUp>,
    /// The weight variable's code, for `weighted_mean`; `Some(None)` clears it.
    pub weight_variable: Option<Option<String>>,
    /// How several actors' observations of one cell combine; unchanged when `None`.
    pub actor_rule: Option<ActorRuleKind>,
    /// The ordered actors of a `PREFERRED` rule.
    pub preferred_actor_ids: Option<Vec<i64>>,
    /// The lowest plausible value; `Some(None)` clears it.
    pub valid_min: Option<Option<f64>>,
    /// The highest plausible value; `Some(None)` clears it.
    pub valid_max: Option<Option<f64>>,
}

/// A value of an observation as a contributor submits it.
#[derive(Debug, Clone, Default)]
pub struct ObservationInput {
    pub variable: String,
    pub period: String,
    pub territory: String,
    pub value: f64,
    pub evidence_url: Option<String>,
    pub evidence_text: Option<String>,
    pub comment: Option<String>,
    pub actor_id: Option<i64>,
    /// An evidence file uploaded with it (the workspace's form).
    pub evidence_file: Option<super::UploadedEvidence>,
}

/// A variable's value at a period and territory, observed or rolled up.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableValue {
    pub period: Period,
    pub territory: String,
    pub resolved: Resolved,
}

/// Filters on the repository listing.
#[derive(Debug, Clone, Default)]
pub struct VariableFilter {
    /// Only the variables this ecosystem selected.
    pub ecosystem_id: Option<i64>,
    pub source: Option<SourceKind>,
    /// A theme or cluster code.
    pub theme: Option<String>,
    pub level: Option<TerritoryLevel>,
    pub availability: Option<Availability>,
    /// Words matched against code, name and description, case-insensitively.
    pub search: Option<String>,
}

impl From<VariableFilter> for variable::VariableFilter {
    fn from(f: VariableFilter) -> Self {
        variable::VariableFilter {
            ecosystem_id: f.ecosystem_id,
            source: f.source,
            theme: f.theme,
            level: f.level,
            availability: f.availability,
            search: f.search,
        }
    }
}

/// One page of the repository.
#[derive(Debug, Clone)]
pub struct VariablePage {
    pub variables: Vec<model::Variable>,
    pub total: i64,
    pub has_next: bool,
}

/// Something wrong with a formula, with its 1-based position when it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct FormulaProblem {
    pub position: Option<usize>,
    pub rule: &'static str,
    pub message: String,
}

impl fmt::Display for FormulaProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "at position {p}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The outcome of checking a formula.
#[derive(Debug, Clone, Default)]
pub struct FormulaCheck {
    pub problems: Vec<FormulaProblem>,
    /// The variables it reads (those that exist).
    pub inputs: Vec<model::Variable>,
    /// The formula as parsed, fully parenthesised (when it parses).
    pub normalized: Option<String>,
}

/// Checks a formula against the repository: syntax, unknown variables, and (for an indicator
/// of `periodicity`) whether each variable's periodicity can serve it.
pub(super) fn check_formula(
    conn: &mut DbConnection,
    text: &str,
    periodicity: Option<PeriodType>,
) -> Result<FormulaCheck, AppError> {
    let (expr, refs) = match Expr::parse_with_references(text) {
        Ok(parsed) => parsed,
        Err(e) => {
            return Ok(FormulaCheck {
                problems: vec![FormulaProblem {
                    position: Some(e.position),
                    rule: "syntax",
                    message: e.message,
                }],
                ..FormulaCheck::default()
            });
        }
    };
    let codes: Vec<String> = expr.variables().into_iter().collect();
    let found = variable::by_codes(conn, &codes)?;
    let mut problems = Vec::new();
    for r in &refs {
        let Some(v) = found.iter().find(|v| v.code == r.code) else {
            problems.push(FormulaProblem {
                position: Some(r.position),
                rule: "unknown_variable",
                message: format!("no variable '{}' in the repository", r.code),
            });
            continue;
        };
        if let Some(wanted) = periodicity
            && let Err(why) = serves(v.periodicity, v.rollup, wanted)
        {
            problems.push(FormulaProblem {
                position: Some(r.position),
                rule: "periodicity",
                message: format!(
                    "{} cannot serve a {} indicator: {why}",
                    v.code,
                    wanted.as_str()
                ),
            });
        }
    }
    if codes.is_empty() {
        problems.push(FormulaProblem {
            position: None,
            rule: "no_variable",
            message: "a formula indicator must read at least one variable".into(),
        });
    }
    // The same variable named twice gives the same problem twice: keep the first.
    problems.dedup_by(|a, b| a.rule == b.rule && a.message == b.message);
    Ok(FormulaCheck {
        problems,
        inputs: model::all(found),
        normalized: Some(expr.to_string()),
    })
}

/// The roll-up rules of these variables and of their weight variables, by code.
fn rules_for(
    conn: &mut DbConnection,
    vars: &[Variable],
) -> Result<(HashMap<String, VariableRule>, Vec<Variable>), AppError> {
    let mut all: Vec<Variable> = vars.to_vec();
    let weight_ids: Vec<i64> = vars
        .iter()
        .filter_map(|v| v.weight_variable_id)
        .filter(|id| !vars.iter().any(|v| v.id == *id))
        .collect();
    all.extend(variable::by_ids(conn, &weight_ids)?);
    let code_of: HashMap<i64, String> = all.iter().map(|v| (v.id, v.code.clone())).collect();
    let mut rules = HashMap::new();
    for v in &all {
        rules.insert(v.code.clone(), v.rule(&|id| code_of.get(&id).cloned())?);
    }
    Ok((rules, all))
}

/// Loads the approved observations of `vars` (and their weights) at `territory` and inside it.
fn observation_set(
    conn: &mut DbConnection,
    vars: &[Variable],
    territory: &str,
    until: &str,
) -> Result<(ObservationSet, HashMap<String, VariableRule>), AppError> {
    let (rules, all) = rules_for(conn, vars)?;
    let code_of: HashMap<i64, &str> = all.iter().map(|v| (v.id, v.code.as_str())).collect();
    let mut set = ObservationSet::new();
    for cell in combined(
        conn,
        Ruled::Variables(&all),
        Scope::Within(territory),
        None,
        until,
    )? {
        let (Some(code), Ok(ubigeo)) = (
            code_of.get(&cell.subject),
            Ubigeo::parse("territory", &cell.territory),
        ) else {
            return Err(AppError::internal(format!(
                "stored observation of variable {} at {} is malformed",
                cell.subject, cell.territory
            )));
        };
        set.insert(code, cell.period, &ubigeo, cell.value);
    }
    Ok((set, rules))
}

/// The values of formula indicators at `territory`, for periods ending by `until`: per
/// indicator the computed points and, for periods where some input has data but the formula
/// gives no value, the reason.
pub(super) type FormulaValues = HashMap<i64, (Vec<Point>, BTreeMap<Period, EvalError>)>;

pub(super) fn formula_values(
    conn: &mut DbConnection,
    indicators: &[&Indicator],
    territory: &str,
    until: &str,
) -> Result<FormulaValues, AppError> {
    let mut parsed = Vec::new();
    let mut codes = Vec::new();
    for ind in indicators {
        let Some(text) = &ind.definition.formula else {
            continue;
        };
        let expr = Expr::parse(text).map_err(|e| {
            AppError::internal(format!(
                "stored formula of indicator {}: {e}",
                ind.definition.code
            ))
        })?;
        codes.extend(expr.variables());
        parsed.push((*ind, expr));
    }
    if parsed.is_empty() {
        return Ok(HashMap::new());
    }
    codes.sort();
    codes.dedup();
    let vars = variable::by_codes(conn, &codes)?;
    let (set, rules) = observation_set(conn, &vars, territory, until)?;
    let mut out = HashMap::new();
    for (ind, expr) in parsed {
        let kind = ind.definition.periodicity;
        let mut points = Vec::new();
        let mut reasons = BTreeMap::new();
        for period in set.candidate_periods(&expr, kind) {
            if period.end().to_string().as_str() > until {
                continue;
            }
            match set.evaluate(&rules, &expr, &period, territory) {
                Ok(value) => points.push(Point { period, value }),
                Err(why) => {
                    reasons.insert(period, why);
                }
            }
        }
        out.insert(ind.id, (points, reasons));
    }
    Ok(out)
}

fn parse_themes(raw: &[String], errors: &mut ValidationErrors) -> Vec<String> {
    let mut out: Vec<String> = raw
        .iter()
        .filter_map(|t| {
            errors
                .check(Code::parse("themes", t))
                .map(|c| c.as_str().to_string())
        })
        .collect();
    out.sort();
    out.dedup();
    if out.len() > 10 {
        errors.push(FieldError::new("themes", "length", "at most 10 themes"));
    }
    out
}

/// Validates a full set of variable fields.
fn resolve(
    conn: &mut DbConnection,
    current: Option<&Variable>,
    input: VariableInput,
) -> Result<VariableFields, AppError> {
    let mut errors = ValidationErrors::new();
    let pick = |new: Option<String>, old: Option<&str>| {
        new.or_else(|| old.map(str::to_string)).unwrap_or_default()
    };
    let code = errors.check(VariableCode::parse(
        "code",
        &pick(input.code, current.map(|c| c.code.as_str())),
    ));
    let name = errors.check(text(
        "name",
        &pick(input.name, current.map(|c| c.name.as_str())),
        2,
        MAX_NAME,
    ));
    let description = errors.check(text(
        "description",
        &pick(input.description, current.map(|c| c.description.as_str())),
        0,
        MAX_TEXT,
    ));
    let unit = errors.check(text(
        "unit",
        &pick(input.unit, current.map(|c| c.unit.as_str())),
        1,
        50,
    ));
    let source_detail = errors.check(text(
        "sourceDetail",
        &pick(
            input.source_detail,
            current.map(|c| c.source_detail.as_str()),
        ),
        0,
        MAX_NAME,
    ));
    let source_reference = errors.check(text(
        "sourceReference",
        &pick(
            input.source_reference,
            current.map(|c| c.source_reference.as_str()),
        ),
        0,
        MAX_TEXT,
    ));
    let availability_note = errors.check(text(
        "availabilityNote",
        &pick(
            input.availability_note,
            current.map(|c| c.availability_note.as_str()),
        ),
        0,
        MAX_TEXT,
    ));
    let required = |name: &str, errors: &mut ValidationErrors| {
        errors.push(FieldError::new(
            name,
            "required",
            format!("a variable needs {name}"),
        ));
    };
    let source = match (input.source, current) {
        (Some(s), _) => Some(s),
        (None, Some(c)) => Some(c.source),
        (None, None) => None,
    };
    let periodicity = match (input.periodicity, current) {
        (Some(p), _) => Some(p),
        (None, Some(c)) => Some(c.periodicity),
        (None, None) => None,
    };
    let level = match (input.level, current) {
        (Some(l), _) => Some(l),
        (None, Some(c)) => Some(c.level),
        (None, None) => None,
    };
    let availability = match (input.availability, current) {
        (Some(a), _) => a,
        (None, Some(c)) => c.availability,
        (None, None) => Availability::Available,
    };
    let rollup = match (input.rollup, current) {
        (Some(r), _) => Some(r),
        (None, Some(c)) => Some(c.rollup),
        (None, None) => None,
    };
    for (name, missing) in [
        ("source", source.is_none()),
        ("periodicity", periodicity.is_none()),
        ("level", level.is_none()),
        ("rollUp", rollup.is_none()),
    ] {
        if missing {
            required(name, &mut errors);
        }
    }
    let themes = match (&input.themes, current) {
        (Some(t), _) => parse_themes(t, &mut errors),
        (None, Some(c)) => c.theme_codes().iter().map(|t| t.to_string()).collect(),
        (None, None) => Vec::new(),
    };
    if availability != Availability::Available
        && availability_note.as_deref().is_some_and(str::is_empty)
    {
        errors.push(FieldError::new(
            "availabilityNote",
            "required",
            "say why the variable is not (fully) available",
        ));
    }
    let responsible_actor_id = match input.responsible_actor_id {
        Some(a) => a,
        None => current.and_then(|c| c.responsible_actor_id),
    };
    if let Some(a) = responsible_actor_id
        && actor::by_id(conn, a)?.is_none()
    {
        errors.push(FieldError::new(
            "responsibleActorId",
            "exists",
            format!("no actor with id {a}"),
        ));
    }
    let weight_variable_id = match input.weight_variable {
        Some(None) => None,
        Some(Some(code)) => match variable::by_code(conn, code.trim())? {
            Some(w) if Some(w.id) == current.map(|c| c.id) => {
                errors.push(FieldError::new(
                    "weightVariable",
                    "self",
                    "a variable cannot weigh itself",
                ));
                None
            }
            Some(w) if w.rollup != RollUp::Sum => {
                errors.push(FieldError::new(
                    "weightVariable",
                    "rollup",
                    format!(
                        "{} rolls up by {}; a weight must be a count that adds up (sum)",
                        w.code, w.rollup
                    ),
                ));
                None
            }
            Some(w) => Some(w.id),
            None => {
                errors.push(FieldError::new(
                    "weightVariable",
                    "exists",
                    format!("no variable '{}' in the repository", code.trim()),
                ));
                None
            }
        },
        None => current.and_then(|c| c.weight_variable_id),
    };
    match rollup {
        Some(RollUp::WeightedMean) if weight_variable_id.is_none() => errors.push(FieldError::new(
            "weightVariable",
            "required",
            "a weighted mean needs a weight variable (e.g. the population)",
        )),
        Some(r) if r != RollUp::WeightedMean && weight_variable_id.is_some() => {
            errors.push(FieldError::new(
                "weightVariable",
                "unused",
                format!(
                    "only a weighted mean takes a weight variable, not {}",
                    r.as_str()
                ),
            ))
        }
        _ => {}
    }
    let actor_rule = super::indicators::actor_rule(
        current.map(|c| &c.actor_rule),
        input.actor_rule,
        input.preferred_actor_ids,
    )
    .map_err(|e| errors.push(e))
    .ok();
    if let Some(rule) = &actor_rule {
        let known = actor::by_ids(conn, rule.preferred())?;
        if let Some(missing) = rule
            .preferred()
            .iter()
            .find(|a| !known.iter().any(|k| k.id == **a))
        {
            errors.push(FieldError::new(
                "preferredActorIds",
                "exists",
                format!("no actor with id {missing}"),
            ));
        }
    }
    let old_range = current.map(Variable::valid_range).unwrap_or_default();
    let valid_range = errors
        .check(ValidRange::parse(
            input.valid_min.unwrap_or(old_range.min),
            input.valid_max.unwrap_or(old_range.max),
        ))
        .and_then(|r| {
            let unit = unit.as_deref()?;
            errors.check(r.check_effective(unit)).map(|_| r)
        });
    let (
        Some(code),
        Some(name),
        Some(description),
        Some(unit),
        Some(source),
        Some(source_detail),
        Some(source_reference),
        Some(periodicity),
        Some(level),
        Some(availability_note),
        Some(rollup),
        Some(actor_rule),
        Some(valid_range),
    ) = (
        code,
        name,
        description,
        unit,
        source,
        source_detail,
        source_reference,
        periodicity,
        level,
        availability_note,
        rollup,
        actor_rule,
        valid_range,
    )
    else {
        return Err(AppError::Invalid(errors));
    };
    errors.into_result()?;
    Ok(VariableFields {
        code: code.as_str().to_string(),
        name,
        description,
        unit,
        source,
        source_detail,
        source_reference,
        periodicity,
        level,
        themes,
        availability,
        availability_note,
        responsible_actor_id,
        rollup,
        weight_variable_id,
        actor_rule,
        valid_range,
    })
}

impl Ayni {
    /// Adds a variable to the repository (coordinators and admins).
    pub async fn create_variable(
        &self,
        caller: &Caller,
        input: VariableInput,
    ) -> Result<model::Variable, AppError> {
        caller.require_strategist("create variables")?;
        self.db
            .write(caller.author(), move |tx| {
                let fields = resolve(tx.conn(), None, input)?;
                variable::create(tx, &fields).map_err(AppError::from)
            })
            .await
            .map(model::Variable::from)
    }

    /// Changes a variable. Its periodicity is locked once it has observations, and the
    /// formulas that read it are checked again.
    pub async fn update_variable(
        &self,
        caller: &Caller,
        code: String,
        input: VariableInput,
    ) -> Result<model::Variable, AppError> {
        caller.require_strategist("change variables")?;
        self.db
            .write(caller.author(), move |tx| {
                let before = require_variable(tx.conn(), &code)?;
                let fields = resolve(tx.conn(), Some(&before), input)?;
                if fields.periodicity != before.periodicity
                    && !measurement::list(
                        tx.conn(),
                        Subjects::Variables(&[before.id]),
                        measurement::Visibility::All,
                        &measurement::MeasurementFilter::default(),
                    )?
                    .is_empty()
                {
                    return Err(AppError::invalid(
                        "periodicity",
                        "locked",
                        "the periodicity cannot change once observations have been submitted",
                    ));
                }
                let after = variable::update(tx, &before, &fields)?;
                // A formula that read this variable must still be valid.
                let users = crate::db::models::indicator::users_of(tx.conn(), &[after.id])?;
                let ids: Vec<i64> = users.iter().map(|(_, i)| *i).collect();
                for ind in crate::db::models::indicator::by_ids(tx.conn(), &ids)? {
                    let Some(f) = &ind.definition.formula else {
                        continue;
                    };
                    let check = check_formula(tx.conn(), f, Some(ind.definition.periodicity))?;
                    if let Some(p) = check.problems.first() {
                        return Err(AppError::invalid(
                            "code",
                            "used",
                            format!("indicator {} would break: {p}", ind.definition.code),
                        ));
                    }
                }
                Ok(after)
            })
            .await
            .map(model::Variable::from)
    }

    /// Adds variables to an ecosystem's selection; returns how many were new.
    pub async fn select_variables(
        &self,
        caller: &Caller,
        ecosystem_id: i64,
        codes: Vec<String>,
        selected: bool,
    ) -> Result<usize, AppError> {
        caller.require_strategist("choose an ecosystem's variables")?;
        self.db
            .write(caller.author(), move |tx| {
                require_ecosystem(tx.conn(), ecosystem_id)?;
                let found = variable::by_codes(tx.conn(), &codes)?;
                let missing: Vec<&String> = codes
                    .iter()
                    .filter(|c| !found.iter().any(|v| &v.code == *c))
                    .collect();
                if !missing.is_empty() {
                    return Err(AppError::invalid(
                        "codes",
                        "exists",
                        format!(
                            "no such variables in the repository: {}",
                            missing
                                .iter()
                                .map(|c| c.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                let ids: Vec<i64> = found.iter().map(|v| v.id).collect();
                if selected {
                    Ok(variable::select(tx, ecosystem_id, &ids)?)
                } else {
                    Ok(variable::deselect(tx, ecosystem_id, &ids)?)
                }
            })
            .await
    }

    /// A page of the repository: at most `first` variables after the cursor `after` (a code).
    pub async fn variables_page(
        &self,
        filter: VariableFilter,
        after: Option<String>,
        first: i64,
    ) -> Result<VariablePage, AppError> {
        let filter = variable::VariableFilter::from(filter);
        self.db
            .run(move |c| {
                let (mut variables, total) =
                    variable::page(c, &filter, after.as_deref(), first + 1)?;
                let has_next = variables.len() as i64 > first;
                variables.truncate(first.max(0) as usize);
                Ok(VariablePage {
                    variables: model::all(variables),
                    total,
                    has_next,
                })
            })
            .await
    }

    pub async fn variable_by_code(
        &self,
        code: String,
    ) -> Result<Option<model::Variable>, AppError> {
        self.db
            .run(move |c| variable::by_code(c, code.trim()).map_err(AppError::from))
            .await
            .map(|found| found.map(model::Variable::from))
    }

    pub async fn variables_by_ids(&self, ids: Vec<i64>) -> Result<Vec<model::Variable>, AppError> {
        self.db
            .run(move |c| variable::by_ids(c, &ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    /// `(variable_id, indicator_id)` pairs: the indicators that read these variables.
    pub async fn variable_users(&self, ids: Vec<i64>) -> Result<Vec<(i64, i64)>, AppError> {
        self.db
            .run(move |c| crate::db::models::indicator::users_of(c, &ids).map_err(AppError::from))
            .await
    }

    /// `(indicator_id, variable_id)` pairs: the variables these indicators read.
    pub async fn indicator_inputs(&self, ids: Vec<i64>) -> Result<Vec<(i64, i64)>, AppError> {
        self.db
            .run(move |c| crate::db::models::indicator::inputs_of(c, &ids).map_err(AppError::from))
            .await
    }

    /// Which of these ecosystems selected which variables: `(ecosystem_id, variable_ids)`.
    pub async fn selected_variables(&self, ecosystem_id: i64) -> Result<Vec<i64>, AppError> {
        self.db
            .run(move |c| variable::selected(c, ecosystem_id).map_err(AppError::from))
            .await
    }

    /// The stored observations of a variable the caller may see.
    pub async fn observations(
        &self,
        caller: Option<&Caller>,
        variable_id: i64,
        filter: MeasurementFilter,
    ) -> Result<Vec<model::Measurement>, AppError> {
        let visibility = visibility(caller);
        let filter = measurement::MeasurementFilter::from(filter);
        self.db
            .run(move |c| {
                measurement::list(c, Subjects::Variables(&[variable_id]), visibility, &filter)
                    .map_err(AppError::from)
            })
            .await
            .map(model::all)
    }

    /// A variable's approved values from `from` to `to` at `territory` (default: every
    /// territory observed, plus the departments above them), rolled up where not observed.
    pub async fn variable_values(
        &self,
        variable_id: i64,
        from: Option<String>,
        to: Option<String>,
        territory: Option<String>,
    ) -> Result<Vec<VariableValue>, AppError> {
        let mut errors = ValidationErrors::new();
        let from = from.map(|f| errors.check(Period::parse("from", &f)));
        let to = to.map(|t| errors.check(Period::parse("to", &t)));
        let territory = territory.map(|t| errors.check(Ubigeo::parse("territory", &t)));
        errors.into_result()?;
        let (from, to, territory) = (from.flatten(), to.flatten(), territory.flatten());
        self.db
            .run(move |c| {
                let v = variable::require(c, variable_id)?;
                let scope = territory
                    .as_ref()
                    .map_or(String::new(), |t| t.as_str().to_string());
                let (set, rules) =
                    observation_set(c, std::slice::from_ref(&v), &scope, "9999-12-31")?;
                let kind = v.periodicity;
                // The territories to answer for: the one asked, or every observed territory
                // with its ancestors.
                let stored = combined(
                    c,
                    Ruled::Variables(std::slice::from_ref(&v)),
                    Scope::Within(&scope),
                    None,
                    "9999-12-31",
                )?;
                let mut places: Vec<String> = match &territory {
                    Some(t) => vec![t.as_str().to_string()],
                    None => stored
                        .iter()
                        .filter_map(|cell| Ubigeo::parse("territory", &cell.territory).ok())
                        .flat_map(|u| {
                            let mut all = u.ancestors();
                            all.push(u);
                            all
                        })
                        .map(|u| u.as_str().to_string())
                        .collect(),
                };
                places.sort();
                places.dedup();
                let mut periods: Vec<Period> = set
                    .periods_of(&v.code)
                    .copied()
                    .filter(|p| p.kind() == kind)
                    .filter(|p| from.is_none_or(|f| p.start() >= f.start()))
                    .filter(|p| to.is_none_or(|t| p.end() <= t.end()))
                    .collect();
                periods.sort();
                let mut out = Vec::new();
                for period in &periods {
                    for place in &places {
                        if let Some(resolved) = set.resolve(&rules, &v.code, period, place) {
                            out.push(VariableValue {
                                period: *period,
                                territory: place.clone(),
                                resolved,
                            });
                        }
                    }
                }
                Ok(out)
            })
            .await
    }

    /// Submits an observation (a new revision when the same variable, period and territory
    /// already has one). Contributors only for variables their actor supplies.
    pub async fn submit_observation(
        &self,
        caller: &Caller,
        input: ObservationInput,
    ) -> Result<model::Measurement, AppError> {
        let actor_id = contributing_actor(caller, input.actor_id)?;
        let contribution = Contribution::parse(
            input.value,
            input.evidence_url.as_deref(),
            input.evidence_text.as_deref(),
            &[],
            input.comment.as_deref(),
            Some(&input.territory),
            input.evidence_file.as_ref().map(|f| f.file_name()),
        )?;
        let is_contributor = caller.role == crate::domain::Role::Contributor;
        let stored = self
            .db
            .write(caller.author(), move |tx| {
                let v = variable::by_code(tx.conn(), input.variable.trim())?.ok_or_else(|| {
                    AppError::invalid(
                        "variable",
                        "exists",
                        format!("no variable '{}' in the repository", input.variable.trim()),
                    )
                })?;
                if is_contributor && v.responsible_actor_id != Some(actor_id) {
                    return Err(AppError::Forbidden(format!(
                        "your actor does not supply variable {}",
                        v.code
                    )));
                }
                require_actor(tx.conn(), actor_id)?;
                let period = Period::parse_typed("period", &input.period, v.periodicity)?;
                super::data_quality::check_plausible(
                    &period,
                    contribution.value,
                    v.valid_range(),
                    &v.unit,
                    tx.now().date(),
                )?;
                let territory = contribution
                    .territory
                    .ok_or_else(|| AppError::invalid("territory", "required", "say where"))?;
                check_level(&v, &territory)?;
                let evidence_file = super::evidence::record(tx, input.evidence_file.as_ref())?;
                let new = NewMeasurement {
                    subject: Subject::Variable(v.id),
                    period: &period,
                    territory: &territory,
                    disaggregation: &contribution.disaggregation,
                    value: contribution.value,
                    evidence: &contribution.evidence,
                    comment: &contribution.comment,
                    actor_id,
                    basis: None,
                    evidence_file,
                };
                super::data_quality::require_unlocked(
                    tx.conn(),
                    new.subject,
                    &period,
                    "submitting observations",
                )?;
                let stored = measurement::submit(tx, new)?;
                super::notifications::awaiting_review(tx, &stored)?;
                Ok::<_, AppError>(stored)
            })
            .await?;
        self.mail_notifications();
        Ok(stored.into())
    }

    /// Checks a formula without saving anything: syntax errors and unknown variables with
    /// their positions, and (given a periodicity) variables that cannot serve it.
    pub async fn validate_formula(
        &self,
        expression: String,
        periodicity: Option<PeriodType>,
    ) -> Result<FormulaCheck, AppError> {
        self.db
            .run(move |c| check_formula(c, &expression, periodicity))
            .await
    }

    /// The formula values of one indicator at a territory, with the reason of each gap.
    pub async fn formula_series(
        &self,
        indicator_id: i64,
        territory: Option<String>,
    ) -> Result<(Vec<Point>, BTreeMap<Period, EvalError>), AppError> {
        let territory = territory
            .map(|t| Ubigeo::parse("territory", &t))
            .transpose()?;
        self.db
            .run(move |c| {
                let ind = crate::db::models::indicator::by_id(c, indicator_id)?
                    .ok_or_else(|| AppError::not_found(format!("indicator {indicator_id}")))?;
                let eco = ecosystem::by_id(c, ind.ecosystem_id)?
                    .ok_or_else(|| AppError::internal("indicator without ecosystem"))?;
                let place = territory.map_or(eco.territory.as_str().to_string(), |t| {
                    t.as_str().to_string()
                });
                let mut values = formula_values(c, &[&ind], &place, "9999-12-31")?;
                Ok(values.remove(&ind.id).unwrap_or_default())
            })
            .await
    }
}

/// The variable with this code, or `NOT_FOUND`.
pub(super) fn require_variable(conn: &mut DbConnection, code: &str) -> Result<Variable, AppError> {
    variable::by_code(conn, code.trim())?
        .ok_or_else(|| AppError::not_found(format!("variable {}", code.trim())))
}

/// Refuses an observation finer than the level the variable is published at.
pub(super) fn check_level(v: &Variable, territory: &Ubigeo) -> Result<(), AppError> {
    if level_allows(v.level, territory) {
        Ok(())
    } else {
        Err(AppError::invalid(
            "territory",
            "level",
            format!(
                "{} is published down to {} level; {territory} is finer",
                v.code, v.level
            ),
        ))
    }
}
