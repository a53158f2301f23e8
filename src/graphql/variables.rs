//! The variable repository in GraphQL: variables (a Relay connection), their observations
//! and rolled-up values, formula checking, and the writes.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::NaiveDateTime;

use crate::app::ImportView;
use crate::app::model::Variable;
use crate::app::{AppError, FormulaCheck, ObservationInput, VariableInput, VariableValue};
use crate::app::{MeasurementFilter, VariableFilter};
use crate::domain::Period;

use super::actors::ActorGql;
use super::context::ContextExt;
use super::error::{GqlResult, parse_id, parse_optional_ids, to_id};
use super::loaders::{ActorLoader, IndicatorLoader, UsersOfVariable, load_one};
use super::scorecard::{
    ActorRuleGql, IndicatorGql, MeasurementGql, MeasurementStatusGql, PeriodicityGql,
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "VariableSource", remote = "crate::domain::SourceKind")]
pub enum SourceKindGql {
    Pdrc,
    Siigorem,
    Inei,
    Mef,
    Minsa,
    Minedu,
    Midis,
    Ana,
    Oefa,
    Sunass,
    Minem,
    CompanyReport,
    CommunitySurvey,
    Other,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "Availability", remote = "crate::domain::Availability")]
pub enum AvailabilityGql {
    Available,
    Partial,
    NotAvailable,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "RollUp", remote = "crate::domain::RollUp")]
pub enum RollUpGql {
    /// Counts and amounts: the parts add up.
    Sum,
    /// The plain mean of the parts.
    Mean,
    /// The mean weighted by another variable (e.g. the population).
    WeightedMean,
    /// Never combined (a pH, one station's reading).
    None,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "TerritoryLevel", remote = "crate::domain::TerritoryLevel")]
pub enum TerritoryLevelGql {
    Department,
    Province,
    District,
}

/// A statistical variable of the repository.
pub struct VariableGql(pub Variable);

#[Object(name = "Variable")]
impl VariableGql {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// What formulas call it, e.g. `V012`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn unit(&self) -> &str {
        &self.0.unit
    }
    /// The lowest plausible value: observations below it are refused. A percentage unit
    /// (`%…`) defaults to 0 when none was given.
    async fn valid_min(&self) -> Option<f64> {
        self.0.valid_range.effective(&self.0.unit).min
    }
    /// The highest plausible value. A percentage unit defaults to 100 when none was given.
    async fn valid_max(&self) -> Option<f64> {
        self.0.valid_range.effective(&self.0.unit).max
    }
    async fn source(&self) -> async_graphql::Result<SourceKindGql> {
        Ok(self.0.source.into())
    }
    /// The survey, register or system within the source (ENAHO, SIAF…).
    async fn source_detail(&self) -> &str {
        &self.0.source_detail
    }
    /// A document or URL.
    async fn source_reference(&self) -> &str {
        &self.0.source_reference
    }
    async fn periodicity(&self) -> async_graphql::Result<PeriodicityGql> {
        Ok(self.0.periodicity.into())
    }
    /// The finest level the source publishes.
    async fn level(&self) -> async_graphql::Result<TerritoryLevelGql> {
        Ok(self.0.level.into())
    }
    /// Theme and cluster codes (`CB`, `GIRH`, `PISCO`…).
    async fn themes(&self) -> Vec<&str> {
        self.0.themes.iter().map(String::as_str).collect()
    }
    async fn availability(&self) -> async_graphql::Result<AvailabilityGql> {
        Ok(self.0.availability.into())
    }
    async fn availability_note(&self) -> &str {
        &self.0.availability_note
    }
    /// The actor that supplies it.
    async fn responsible(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ActorGql>> {
        let Some(id) = self.0.responsible_actor_id else {
            return Ok(None);
        };
        Ok(load_one::<ActorLoader>(ctx, id).await?.map(ActorGql))
    }
    /// How district values combine into provinces and departments.
    async fn roll_up(&self) -> async_graphql::Result<RollUpGql> {
        Ok(self.0.rollup.into())
    }
    /// How several actors' observations of one cell combine.
    async fn actor_rule(&self) -> ActorRuleGql {
        self.0.actor_rule.kind().into()
    }
    /// The ordered actors of a `PREFERRED` rule (empty for the other rules).
    async fn preferred_actors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ActorGql>> {
        super::scorecard::preferred_actors(ctx, &self.0.actor_rule).await
    }
    /// Coordinators' de-duplication adjustments of its cells, newest period first.
    async fn adjustments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::adjustments::AdjustmentGql>> {
        Ok(
            load_one::<super::loaders::AdjustmentsOfVariable>(ctx, self.0.id)
                .await?
                .unwrap_or_default()
                .into_iter()
                .map(super::adjustments::AdjustmentGql)
                .collect(),
        )
    }
    /// The weight of a weighted mean.
    async fn weight_variable(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<VariableGql>> {
        let Some(id) = self.0.weight_variable_id else {
            return Ok(None);
        };
        Ok(load_one::<super::loaders::VariableLoader>(ctx, id)
            .await?
            .map(VariableGql))
    }
    /// Stored observations with every revision, newest period first. The public sees
    /// approved ones; a contributor also its own actor's; coordinators everything.
    async fn observations(
        &self,
        ctx: &Context<'_>,
        from: Option<String>,
        to: Option<String>,
        territory: Option<String>,
        status: Option<MeasurementStatusGql>,
    ) -> async_graphql::Result<Vec<MeasurementGql>> {
        let parse = |field: &str, raw: Option<String>| {
            raw.map(|r| Period::parse(field, &r))
                .transpose()
                .map_err(AppError::from)
                .gql()
        };
        let filter = MeasurementFilter {
            status: status.map(Into::into),
            from: parse("from", from)?,
            to: parse("to", to)?,
            territory,
        };
        let rows = ctx
            .app()?
            .observations(ctx.caller(), self.0.id, filter)
            .await
            .gql()?;
        Ok(rows.into_iter().map(MeasurementGql).collect())
    }
    /// Approved values per period and territory, rolled up by the variable's rule where a
    /// territory has no observation of its own. Without `territory`: every observed
    /// territory and those above it.
    async fn values(
        &self,
        ctx: &Context<'_>,
        from: Option<String>,
        to: Option<String>,
        territory: Option<String>,
    ) -> async_graphql::Result<Vec<VariableValueGql>> {
        let values = ctx
            .app()?
            .variable_values(self.0.id, from, to, territory)
            .await
            .gql()?;
        Ok(values.into_iter().map(VariableValueGql).collect())
    }
    /// The formula indicators that read it.
    async fn used_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<IndicatorGql>> {
        let pairs = load_one::<UsersOfVariable>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        let loader = ctx.data::<async_graphql::dataloader::DataLoader<IndicatorLoader>>()?;
        let mut out: Vec<IndicatorGql> = loader
            .load_many(pairs.into_iter().map(|(_, i)| i))
            .await?
            .into_values()
            .map(IndicatorGql)
            .collect();
        out.sort_by(|a, b| a.0.definition.code.cmp(&b.0.definition.code));
        Ok(out)
    }
    async fn updated_at(&self) -> NaiveDateTime {
        self.0.updated_at
    }
}

/// A variable's value at one period and territory.
pub struct VariableValueGql(VariableValue);

#[Object(name = "VariableValue")]
impl VariableValueGql {
    async fn period(&self) -> String {
        self.0.period.to_string()
    }
    async fn territory(&self) -> &str {
        &self.0.territory
    }
    async fn value(&self) -> f64 {
        self.0.resolved.value
    }
    /// Observed directly (false) or combined from the territories one level down (true).
    async fn rolled_up(&self) -> bool {
        self.0.resolved.combined > 0
    }
    /// How many territories one level down were combined (0 when observed).
    async fn combined(&self) -> i32 {
        i32::try_from(self.0.resolved.combined).unwrap_or(i32::MAX)
    }
}

/// Something wrong with a formula.
#[derive(SimpleObject)]
pub struct FormulaError {
    /// 1-based character position, when the problem has one.
    pub position: Option<i32>,
    /// `syntax`, `unknown_variable`, `periodicity`, `no_variable`.
    pub rule: String,
    pub message: String,
}

/// The outcome of `validateFormula`.
pub struct FormulaValidation(FormulaCheck);

#[Object]
impl FormulaValidation {
    async fn valid(&self) -> bool {
        self.0.problems.is_empty()
    }
    async fn errors(&self) -> Vec<FormulaError> {
        self.0
            .problems
            .iter()
            .map(|p| FormulaError {
                position: p.position.and_then(|p| i32::try_from(p).ok()),
                rule: p.rule.to_string(),
                message: p.to_string(),
            })
            .collect()
    }
    /// The variables it reads.
    async fn inputs(&self) -> Vec<VariableGql> {
        self.0.inputs.iter().cloned().map(VariableGql).collect()
    }
    /// The formula fully parenthesised, as it will be evaluated.
    async fn normalized(&self) -> Option<&str> {
        self.0.normalized.as_deref()
    }
}

/// A bulk import of observations.
pub struct ImportGql(ImportView);

#[Object(name = "ObservationImport")]
impl ImportGql {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// The uploaded file's name. Coordinators, admins and the importing actor only (null
    /// for others).
    async fn file_name(&self) -> Option<&str> {
        self.0.file.as_ref().map(|f| f.file_name.as_str())
    }
    /// The uploaded file's SHA-256. Coordinators, admins and the importing actor only.
    async fn file_sha256(&self) -> Option<&str> {
        self.0.file.as_ref().map(|f| f.file_sha256.as_str())
    }
    async fn rows_read(&self) -> i64 {
        self.0.rows_read
    }
    async fn rows_created(&self) -> i64 {
        self.0.rows_created
    }
    async fn rows_unchanged(&self) -> i64 {
        self.0.rows_unchanged
    }
    /// SHA-256 over the stored rows; `ayni audit verify` recomputes it. Coordinators,
    /// admins and the importing actor only (the public audit log commits to it privately).
    async fn rows_digest(&self) -> Option<&str> {
        self.0.file.as_ref().map(|f| f.rows_digest.as_str())
    }
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ActorGql>> {
        Ok(load_one::<ActorLoader>(ctx, self.0.actor_id)
            .await?
            .map(ActorGql))
    }
    async fn created_at(&self) -> NaiveDateTime {
        self.0.created_at
    }
}

#[derive(InputObject, Default)]
pub struct VariableFilterInput {
    /// Only the variables this ecosystem (slug) selected.
    pub ecosystem: Option<String>,
    pub source: Option<SourceKindGql>,
    /// A theme or cluster code.
    pub theme: Option<String>,
    pub level: Option<TerritoryLevelGql>,
    pub availability: Option<AvailabilityGql>,
    /// Words matched in code, name and description.
    pub search: Option<String>,
}

/// Most variables per page.
const MAX_PAGE: i32 = 200;

/// Cursors are opaque: the hex of `v:<code>`.
fn cursor(code: &str) -> String {
    hex::encode(format!("v:{code}"))
}

fn decode_cursor(raw: &str) -> async_graphql::Result<String> {
    hex::decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("v:").map(str::to_string))
        .ok_or_else(|| AppError::invalid("after", "cursor", "not a cursor of this connection"))
        .gql()
}

#[derive(Default)]
pub struct VariableQuery;

/// Extra fields of the variables connection.
#[derive(SimpleObject)]
pub struct VariableCount {
    /// How many variables match the filter in all.
    total_count: i64,
}

#[Object]
impl VariableQuery {
    /// The variable repository, in code order, as a Relay connection. Public.
    async fn variables(
        &self,
        ctx: &Context<'_>,
        filter: Option<VariableFilterInput>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, VariableGql, VariableCount>> {
        if !(1..=MAX_PAGE).contains(&first) {
            return Err(AppError::invalid(
                "first",
                "range",
                format!("first must be between 1 and {MAX_PAGE}"),
            ))
            .gql();
        }
        let f = filter.unwrap_or_default();
        let app = ctx.app()?;
        let ecosystem_id = match &f.ecosystem {
            Some(slug) => Some(
                app.ecosystem_by_slug(slug.clone())
                    .await
                    .gql()?
                    .ok_or_else(|| AppError::not_found(format!("ecosystem {slug}")))
                    .gql()?
                    .id,
            ),
            None => None,
        };
        let filter = VariableFilter {
            ecosystem_id,
            source: f.source.map(Into::into),
            theme: f.theme.map(|t| t.trim().to_string()),
            level: f.level.map(Into::into),
            availability: f.availability.map(Into::into),
            search: f.search.filter(|s| !s.trim().is_empty()),
        };
        let after = after.as_deref().map(decode_cursor).transpose()?;
        let has_previous = after.is_some();
        let page = app
            .variables_page(filter, after, i64::from(first))
            .await
            .gql()?;
        let mut connection = Connection::with_additional_fields(
            has_previous,
            page.has_next,
            VariableCount {
                total_count: page.total,
            },
        );
        connection.edges.extend(
            page.variables
                .into_iter()
                .map(|v| Edge::new(cursor(&v.code), VariableGql(v))),
        );
        Ok(connection)
    }

    /// One variable by code, or null. Public.
    async fn variable(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Option<VariableGql>> {
        Ok(ctx
            .app()?
            .variable_by_code(code)
            .await
            .gql()?
            .map(VariableGql))
    }

    /// Checks a formula without saving: syntax errors and unknown variables with their
    /// positions; given the indicator's periodicity, variables that cannot serve it. Public.
    async fn validate_formula(
        &self,
        ctx: &Context<'_>,
        expression: String,
        periodicity: Option<PeriodicityGql>,
    ) -> async_graphql::Result<FormulaValidation> {
        Ok(FormulaValidation(
            ctx.app()?
                .validate_formula(expression, periodicity.map(Into::into))
                .await
                .gql()?,
        ))
    }

    /// A bulk import of observations, or null. Public.
    async fn observation_import(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<ImportGql>> {
        let id = parse_id("id", &id)?;
        Ok(ctx
            .app()?
            .import_by_id(ctx.caller(), id)
            .await
            .gql()?
            .map(ImportGql))
    }
}

#[derive(InputObject)]
pub struct CreateVariableInput {
    /// An upper-case letter then letters, digits or `_`, e.g. `V159`.
    pub code: String,
    pub name: String,
    #[graphql(default)]
    pub description: String,
    pub unit: String,
    pub source: SourceKindGql,
    #[graphql(default)]
    pub source_detail: String,
    #[graphql(default)]
    pub source_reference: String,
    pub periodicity: PeriodicityGql,
    pub level: TerritoryLevelGql,
    #[graphql(default)]
    pub themes: Vec<String>,
    #[graphql(default_with = "AvailabilityGql::Available")]
    pub availability: AvailabilityGql,
    /// Required when not AVAILABLE.
    #[graphql(default)]
    pub availability_note: String,
    pub responsible_actor_id: Option<ID>,
    pub roll_up: RollUpGql,
    /// The weight's code, for WEIGHTED_MEAN.
    pub weight_variable: Option<String>,
    /// How several actors' observations of one cell combine (default `LATEST`).
    pub actor_rule: Option<ActorRuleGql>,
    /// The ordered actors of a `PREFERRED` rule.
    pub preferred_actor_ids: Option<Vec<ID>>,
    /// The lowest plausible value (a percentage unit defaults to 0).
    pub valid_min: Option<f64>,
    /// The highest plausible value (a percentage unit defaults to 100).
    pub valid_max: Option<f64>,
}

#[derive(InputObject)]
pub struct UpdateVariableInput {
    pub code: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub unit: Option<String>,
    pub source: Option<SourceKindGql>,
    pub source_detail: Option<String>,
    pub source_reference: Option<String>,
    /// Cannot change once observations were submitted.
    pub periodicity: Option<PeriodicityGql>,
    pub level: Option<TerritoryLevelGql>,
    pub themes: Option<Vec<String>>,
    pub availability: Option<AvailabilityGql>,
    pub availability_note: Option<String>,
    pub responsible_actor_id: Option<ID>,
    pub roll_up: Option<RollUpGql>,
    /// The weight's code; an empty text removes it.
    pub weight_variable: Option<String>,
    /// How several actors' observations of one cell combine (default `LATEST`).
    pub actor_rule: Option<ActorRuleGql>,
    /// The ordered actors of a `PREFERRED` rule.
    pub preferred_actor_ids: Option<Vec<ID>>,
    /// The lowest plausible value; null removes it.
    pub valid_min: async_graphql::MaybeUndefined<f64>,
    /// The highest plausible value; null removes it.
    pub valid_max: async_graphql::MaybeUndefined<f64>,
}

#[derive(InputObject)]
pub struct SubmitObservationInput {
    /// The variable's code.
    pub variable: String,
    /// Of the variable's periodicity, e.g. `2024`.
    pub period: String,
    /// Ubigeo, no finer than the variable's level.
    pub territory: String,
    pub value: f64,
    pub evidence_url: Option<String>,
    pub evidence_text: Option<String>,
    pub comment: Option<String>,
    /// A contributor's own actor by default (and only that); coordinators name it.
    pub actor_id: Option<ID>,
}

fn optional_id(field: &str, id: Option<&ID>) -> async_graphql::Result<Option<i64>> {
    id.map(|i| parse_id(field, i)).transpose()
}

#[derive(Default)]
pub struct VariableMutation;

#[Object]
impl VariableMutation {
    /// Adds a variable to the repository. Coordinator or admin.
    async fn create_variable(
        &self,
        ctx: &Context<'_>,
        input: CreateVariableInput,
    ) -> async_graphql::Result<VariableGql> {
        let caller = ctx.require_caller()?;
        let input = VariableInput {
            code: Some(input.code),
            name: Some(input.name),
            description: Some(input.description),
            unit: Some(input.unit),
            source: Some(input.source.into()),
            source_detail: Some(input.source_detail),
            source_reference: Some(input.source_reference),
            periodicity: Some(input.periodicity.into()),
            level: Some(input.level.into()),
            themes: Some(input.themes),
            availability: Some(input.availability.into()),
            availability_note: Some(input.availability_note),
            responsible_actor_id: Some(optional_id(
                "responsibleActorId",
                input.responsible_actor_id.as_ref(),
            )?),
            rollup: Some(input.roll_up.into()),
            weight_variable: Some(input.weight_variable),
            actor_rule: input.actor_rule.map(Into::into),
            preferred_actor_ids: parse_optional_ids(
                "preferredActorIds",
                input.preferred_actor_ids.as_deref(),
            )?,
            valid_min: Some(input.valid_min),
            valid_max: Some(input.valid_max),
        };
        Ok(VariableGql(
            ctx.app()?.create_variable(caller, input).await.gql()?,
        ))
    }

    /// Edits a variable; omitted fields keep their value. Coordinator or admin.
    async fn update_variable(
        &self,
        ctx: &Context<'_>,
        code: String,
        input: UpdateVariableInput,
    ) -> async_graphql::Result<VariableGql> {
        let caller = ctx.require_caller()?;
        let input = VariableInput {
            code: input.code,
            name: input.name,
            description: input.description,
            unit: input.unit,
            source: input.source.map(Into::into),
            source_detail: input.source_detail,
            source_reference: input.source_reference,
            periodicity: input.periodicity.map(Into::into),
            level: input.level.map(Into::into),
            themes: input.themes,
            availability: input.availability.map(Into::into),
            availability_note: input.availability_note,
            responsible_actor_id: optional_id(
                "responsibleActorId",
                input.responsible_actor_id.as_ref(),
            )?
            .map(Some),
            rollup: input.roll_up.map(Into::into),
            weight_variable: input
                .weight_variable
                .map(|w| Some(w).filter(|w| !w.trim().is_empty())),
            actor_rule: input.actor_rule.map(Into::into),
            preferred_actor_ids: parse_optional_ids(
                "preferredActorIds",
                input.preferred_actor_ids.as_deref(),
            )?,
            valid_min: super::scorecard::maybe(input.valid_min),
            valid_max: super::scorecard::maybe(input.valid_max),
        };
        Ok(VariableGql(
            ctx.app()?
                .update_variable(caller, code, input)
                .await
                .gql()?,
        ))
    }

    /// Adds variables (by code) to an ecosystem's selection; returns how many were new.
    /// Coordinator or admin.
    async fn select_variables(
        &self,
        ctx: &Context<'_>,
        ecosystem_id: ID,
        codes: Vec<String>,
    ) -> async_graphql::Result<i32> {
        let caller = ctx.require_caller()?;
        let id = parse_id("ecosystemId", &ecosystem_id)?;
        let n = ctx
            .app()?
            .select_variables(caller, id, codes, true)
            .await
            .gql()?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }

    /// Removes variables from an ecosystem's selection; returns how many were removed.
    /// Coordinator or admin.
    async fn deselect_variables(
        &self,
        ctx: &Context<'_>,
        ecosystem_id: ID,
        codes: Vec<String>,
    ) -> async_graphql::Result<i32> {
        let caller = ctx.require_caller()?;
        let id = parse_id("ecosystemId", &ecosystem_id)?;
        let n = ctx
            .app()?
            .select_variables(caller, id, codes, false)
            .await
            .gql()?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }

    /// Submits an observation of a variable (a new revision if one exists for the same
    /// period and territory). Contributors for the variables their actor supplies;
    /// coordinators and admins for any. Reviewed like any value: `approveObservation`,
    /// `rejectMeasurement`.
    async fn submit_observation(
        &self,
        ctx: &Context<'_>,
        input: SubmitObservationInput,
    ) -> async_graphql::Result<MeasurementGql> {
        let caller = ctx.require_caller()?;
        let input = ObservationInput {
            evidence_file: None,
            actor_id: optional_id("actorId", input.actor_id.as_ref())?,
            variable: input.variable,
            period: input.period,
            territory: input.territory,
            value: input.value,
            evidence_url: input.evidence_url,
            evidence_text: input.evidence_text,
            comment: input.comment,
        };
        Ok(MeasurementGql(
            ctx.app()?.submit_observation(caller, input).await.gql()?,
        ))
    }

    /// Approves a submitted observation: it then counts in roll-ups and formula indicators.
    /// Coordinator or admin.
    async fn approve_observation(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<MeasurementGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        Ok(MeasurementGql(
            ctx.app()?.approve_measurement(caller, id).await.gql()?,
        ))
    }

    /// Approves every submitted row of a bulk import; returns how many. Coordinator or admin.
    async fn approve_import(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<i32> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        let n = ctx.app()?.approve_import(caller, id).await.gql()?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}
