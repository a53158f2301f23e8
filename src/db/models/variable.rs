//! The variable repository, each ecosystem's selection of it, and bulk imports of
//! observations.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{ecosystem_variables, imports, variables};
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::actor_rule::ActorRule;
use crate::domain::variable::VariableRule;
use crate::domain::{Availability, PeriodType, RollUp, SourceKind, TerritoryLevel, ValidRange};

pub const ENTITY: &str = "variable";
pub const SELECTION: &str = "ecosystem_variable";
pub const IMPORT: &str = "import";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = variables)]
pub struct Variable {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub unit: String,
    pub source: SourceKind,
    pub source_detail: String,
    pub source_reference: String,
    pub periodicity: PeriodType,
    pub level: TerritoryLevel,
    pub themes: String,
    pub availability: Availability,
    pub availability_note: String,
    pub responsible_actor_id: Option<i64>,
    pub rollup: RollUp,
    pub weight_variable_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// How several actors' observations of one cell combine.
    pub actor_rule: ActorRule,
    pub valid_min: Option<f64>,
    pub valid_max: Option<f64>,
}

impl Variable {
    /// The range its values must lie in, as given (a percentage defaults to 0..100 when
    /// enforced: [`ValidRange::effective`]).
    pub fn valid_range(&self) -> ValidRange {
        ValidRange {
            min: self.valid_min,
            max: self.valid_max,
        }
    }

    pub fn theme_codes(&self) -> Vec<&str> {
        self.themes.split(',').filter(|t| !t.is_empty()).collect()
    }

    /// What roll-up needs, given the codes of the weight variables by id.
    pub fn rule(
        &self,
        code_of: &dyn Fn(i64) -> Option<String>,
    ) -> Result<VariableRule, StoreError> {
        Ok(VariableRule {
            periodicity: self.periodicity,
            rollup: self.rollup,
            weight: self.weight_variable_id.and_then(code_of),
        })
    }
}

pub fn level_str(level: TerritoryLevel) -> &'static str {
    match level {
        TerritoryLevel::Department => "department",
        TerritoryLevel::Province => "province",
        TerritoryLevel::District => "district",
    }
}

/// The editable fields of a variable, validated.
#[derive(Debug, Clone)]
pub struct VariableFields {
    pub code: String,
    pub name: String,
    pub description: String,
    pub unit: String,
    pub source: SourceKind,
    pub source_detail: String,
    pub source_reference: String,
    pub periodicity: PeriodType,
    pub level: TerritoryLevel,
    pub themes: Vec<String>,
    pub availability: Availability,
    pub availability_note: String,
    pub responsible_actor_id: Option<i64>,
    pub rollup: RollUp,
    pub weight_variable_id: Option<i64>,
    pub actor_rule: ActorRule,
    pub valid_range: ValidRange,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = variables, treat_none_as_null = true)]
struct Editable<'a> {
    code: &'a str,
    name: &'a str,
    description: &'a str,
    unit: &'a str,
    source: &'static str,
    source_detail: &'a str,
    source_reference: &'a str,
    periodicity: &'static str,
    level: &'static str,
    themes: String,
    availability: &'static str,
    availability_note: &'a str,
    responsible_actor_id: Option<i64>,
    rollup: &'static str,
    weight_variable_id: Option<i64>,
    updated_at: NaiveDateTime,
    actor_rule: String,
    valid_min: Option<f64>,
    valid_max: Option<f64>,
}

impl<'a> Editable<'a> {
    fn new(f: &'a VariableFields, now: NaiveDateTime) -> Editable<'a> {
        Editable {
            code: &f.code,
            name: &f.name,
            description: &f.description,
            unit: &f.unit,
            source: f.source.as_str(),
            source_detail: &f.source_detail,
            source_reference: &f.source_reference,
            periodicity: f.periodicity.as_str(),
            level: level_str(f.level),
            themes: f.themes.join(","),
            availability: f.availability.as_str(),
            availability_note: &f.availability_note,
            responsible_actor_id: f.responsible_actor_id,
            rollup: f.rollup.as_str(),
            weight_variable_id: f.weight_variable_id,
            updated_at: now,
            actor_rule: f.actor_rule.to_string(),
            valid_min: f.valid_range.min,
            valid_max: f.valid_range.max,
        }
    }
}

pub fn create(tx: &mut WriteTx<'_>, f: &VariableFields) -> Result<Variable, StoreError> {
    let now = tx.now();
    let code = f.code.clone();
    diesel::insert_into(variables::table)
        .values((Editable::new(f, now), variables::created_at.eq(now)))
        .execute(tx.conn())
        .map_err(StoreError::on_unique("code", move || {
            format!("a variable with code '{code}' already exists")
        }))?;
    let v = by_code(tx.conn(), &f.code)?.ok_or_else(|| StoreError::NotFound {
        entity: ENTITY,
        key: f.code.clone(),
    })?;
    tx.record_change(None, Some(&v))?;
    Ok(v)
}

pub fn update(
    tx: &mut WriteTx<'_>,
    before: &Variable,
    f: &VariableFields,
) -> Result<Variable, StoreError> {
    let now = tx.now();
    let code = f.code.clone();
    diesel::update(variables::table.find(before.id))
        .set(Editable::new(f, now))
        .execute(tx.conn())
        .map_err(StoreError::on_unique("code", move || {
            format!("a variable with code '{code}' already exists")
        }))?;
    let after = require(tx.conn(), before.id)?;
    tx.record_change(Some(before), Some(&after))?;
    Ok(after)
}

pub fn require(conn: &mut DbConnection, id: i64) -> Result<Variable, StoreError> {
    variables::table
        .find(id)
        .select(Variable::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound {
            entity: ENTITY,
            key: id.to_string(),
        })
}

pub fn by_code(conn: &mut DbConnection, code: &str) -> Result<Option<Variable>, StoreError> {
    Ok(variables::table
        .filter(variables::code.eq(code))
        .select(Variable::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_codes(conn: &mut DbConnection, codes: &[String]) -> Result<Vec<Variable>, StoreError> {
    let mut out = Vec::new();
    for chunk in codes.chunks(500) {
        out.extend(
            variables::table
                .filter(variables::code.eq_any(chunk))
                .select(Variable::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

pub fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Variable>, StoreError> {
    Ok(variables::table
        .filter(variables::id.eq_any(ids))
        .select(Variable::as_select())
        .load(conn)?)
}

pub fn all(conn: &mut DbConnection) -> Result<Vec<Variable>, StoreError> {
    Ok(variables::table
        .order(variables::id.asc())
        .select(Variable::as_select())
        .load(conn)?)
}

/// Filters on the repository listing.
#[derive(Debug, Clone, Default)]
pub struct VariableFilter {
    pub ecosystem_id: Option<i64>,
    pub source: Option<SourceKind>,
    pub theme: Option<String>,
    pub level: Option<TerritoryLevel>,
    pub availability: Option<Availability>,
    /// Words matched against code, name and description, case-insensitively.
    pub search: Option<String>,
}

/// One page of the repository in code order: at most `limit` variables after the code
/// `after`, and how many match in all.
pub fn page(
    conn: &mut DbConnection,
    filter: &VariableFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<Variable>, i64), StoreError> {
    let query = || {
        let mut q = variables::table.into_boxed();
        if let Some(eco) = filter.ecosystem_id {
            q = q.filter(
                variables::id.eq_any(
                    ecosystem_variables::table
                        .filter(ecosystem_variables::ecosystem_id.eq(eco))
                        .select(ecosystem_variables::variable_id),
                ),
            );
        }
        if let Some(s) = filter.source {
            q = q.filter(variables::source.eq(s.as_str()));
        }
        if let Some(l) = filter.level {
            q = q.filter(variables::level.eq(level_str(l)));
        }
        if let Some(a) = filter.availability {
            q = q.filter(variables::availability.eq(a.as_str()));
        }
        if let Some(t) = &filter.theme {
            // Stored as ",A,B," would be simpler to match; the list is short, so match the
            // four shapes of a member of a comma-separated list.
            q = q.filter(
                variables::themes
                    .eq(t.clone())
                    .or(variables::themes.like(format!("{t},%")))
                    .or(variables::themes.like(format!("%,{t}")))
                    .or(variables::themes.like(format!("%,{t},%"))),
            );
        }
        if let Some(words) = &filter.search {
            for w in words.split_whitespace() {
                let pattern = format!("%{}%", w.to_lowercase());
                q = q.filter(
                    diesel::dsl::sql::<diesel::sql_types::Bool>("(LOWER(code) LIKE ")
                        .bind::<diesel::sql_types::Text, _>(pattern.clone())
                        .sql(" OR LOWER(name) LIKE ")
                        .bind::<diesel::sql_types::Text, _>(pattern.clone())
                        .sql(" OR LOWER(description) LIKE ")
                        .bind::<diesel::sql_types::Text, _>(pattern)
                        .sql(")"),
                );
            }
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let mut q = query();
    if let Some(after) = after {
        q = q.filter(variables::code.gt(after.to_string()));
    }
    let rows = q
        .order(variables::code.asc())
        .limit(limit)
        .select(Variable::as_select())
        .load(conn)?;
    Ok((rows, total))
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = ecosystem_variables)]
pub struct Selection {
    pub id: i64,
    pub ecosystem_id: i64,
    pub variable_id: i64,
}

/// The ids of the variables an ecosystem selected.
pub fn selected(conn: &mut DbConnection, ecosystem_id: i64) -> Result<Vec<i64>, StoreError> {
    Ok(ecosystem_variables::table
        .filter(ecosystem_variables::ecosystem_id.eq(ecosystem_id))
        .select(ecosystem_variables::variable_id)
        .load(conn)?)
}

/// Adds variables to an ecosystem's selection (those already there are kept); returns how
/// many were added.
pub fn select(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    variable_ids: &[i64],
) -> Result<usize, StoreError> {
    let have: std::collections::HashSet<i64> =
        selected(tx.conn(), ecosystem_id)?.into_iter().collect();
    let mut added = 0;
    for id in variable_ids {
        if have.contains(id) {
            continue;
        }
        diesel::insert_into(ecosystem_variables::table)
            .values((
                ecosystem_variables::ecosystem_id.eq(ecosystem_id),
                ecosystem_variables::variable_id.eq(*id),
            ))
            .execute(tx.conn())?;
        let row: Selection = ecosystem_variables::table
            .filter(ecosystem_variables::ecosystem_id.eq(ecosystem_id))
            .filter(ecosystem_variables::variable_id.eq(*id))
            .select(Selection::as_select())
            .first(tx.conn())?;
        tx.record_change(None, Some(&row))?;
        added += 1;
    }
    Ok(added)
}

/// Removes variables from an ecosystem's selection; returns how many were removed.
pub fn deselect(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    variable_ids: &[i64],
) -> Result<usize, StoreError> {
    let rows: Vec<Selection> = ecosystem_variables::table
        .filter(ecosystem_variables::ecosystem_id.eq(ecosystem_id))
        .filter(ecosystem_variables::variable_id.eq_any(variable_ids))
        .select(Selection::as_select())
        .load(tx.conn())?;
    for row in &rows {
        diesel::delete(ecosystem_variables::table.find(row.id)).execute(tx.conn())?;
        tx.record_change(Some(row), None)?;
    }
    Ok(rows.len())
}

pub fn all_selections(conn: &mut DbConnection) -> Result<Vec<Selection>, StoreError> {
    Ok(ecosystem_variables::table
        .select(Selection::as_select())
        .load(conn)?)
}

/// A bulk import of observations.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = imports)]
pub struct Import {
    pub id: i64,
    pub ecosystem_id: i64,
    pub actor_id: i64,
    pub file_name: String,
    pub file_sha256: String,
    pub rows_read: i64,
    pub rows_created: i64,
    pub rows_unchanged: i64,
    /// SHA-256 over the canonical JSON of every stored row, one per line, in id order.
    pub rows_digest: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// Records an import; its rows are stored with [`super::measurement::insert_imported`]
/// afterwards and the digest set with [`seal_import`].
pub fn begin_import(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    actor_id: i64,
    file_name: &str,
    file_sha256: &str,
    counts: (i64, i64, i64),
) -> Result<i64, StoreError> {
    let now = tx.now();
    let created_by = tx.author().user_id;
    diesel::insert_into(imports::table)
        .values((
            imports::ecosystem_id.eq(ecosystem_id),
            imports::actor_id.eq(actor_id),
            imports::file_name.eq(file_name),
            imports::file_sha256.eq(file_sha256),
            imports::rows_read.eq(counts.0),
            imports::rows_created.eq(counts.1),
            imports::rows_unchanged.eq(counts.2),
            imports::rows_digest.eq(""),
            imports::created_by.eq(created_by),
            imports::created_at.eq(now),
        ))
        .execute(tx.conn())?;
    let id: Option<i64> = imports::table
        .filter(imports::created_at.eq(now))
        .select(diesel::dsl::max(imports::id))
        .first(tx.conn())?;
    id.ok_or_else(|| StoreError::Corrupt("the import just stored is missing".into()))
}

/// Stores the rows' digest and records the import in the audit chain.
pub fn seal_import(
    tx: &mut WriteTx<'_>,
    import_id: i64,
    digest: &str,
) -> Result<Import, StoreError> {
    diesel::update(imports::table.find(import_id))
        .set(imports::rows_digest.eq(digest))
        .execute(tx.conn())?;
    let import = import_by_id(tx.conn(), import_id)?.ok_or_else(|| StoreError::NotFound {
        entity: IMPORT,
        key: import_id.to_string(),
    })?;
    tx.record_change(None, Some(&import))?;
    Ok(import)
}

pub fn import_by_id(conn: &mut DbConnection, id: i64) -> Result<Option<Import>, StoreError> {
    Ok(imports::table
        .find(id)
        .select(Import::as_select())
        .first(conn)
        .optional()?)
}

pub fn all_imports(conn: &mut DbConnection) -> Result<Vec<Import>, StoreError> {
    Ok(imports::table.select(Import::as_select()).load(conn)?)
}

/// The variables these ecosystems selected that some actor is responsible for, as
/// `(ecosystem_id, variable)`, by code: one query.
pub fn with_responsible_of_ecosystems(
    conn: &mut DbConnection,
    ecosystem_ids: &[i64],
) -> Result<Vec<(i64, Variable)>, StoreError> {
    Ok(ecosystem_variables::table
        .inner_join(variables::table.on(variables::id.eq(ecosystem_variables::variable_id)))
        .filter(ecosystem_variables::ecosystem_id.eq_any(ecosystem_ids))
        .filter(variables::responsible_actor_id.is_not_null())
        .order(variables::code.asc())
        .select((ecosystem_variables::ecosystem_id, Variable::as_select()))
        .load(conn)?)
}
