//! Public investments, their links to the strategy and planned curves (recorded with the
//! investment in the audit chain), their execution snapshots and each ecosystem's
//! investment settings (alert thresholds, prioritisation criteria, budget envelopes).

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::audit_state::InvestmentState;
use crate::db::schema::{
    investment_links, investment_plans, investment_settings, investment_snapshots, investments,
};
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::Ubigeo;
use crate::domain::investment::{
    AlertThresholds, Criteria, Cui, ExecutionModality, FinancingSource, GeoPoint, GovernmentLevel,
    InvestmentDefinition, InvestmentFunction, InvestmentKind, InvestmentLink, InvestmentStage,
    JudgedCriterion, LinkTarget, PhysicalProgress, PlannedCurve, ScaleBasis, Settings, Snapshot,
};

pub const ENTITY: &str = "investment";
pub const SNAPSHOT: &str = "investment_snapshot";
pub const SETTINGS: &str = "investment_settings";
/// An import of MEF's file: an entry of its own, with no row (its investments and snapshots
/// have entries of their own).
pub const IMPORT: &str = "investment_import";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = investments)]
struct Row {
    id: i64,
    ecosystem_id: i64,
    cui: Option<Cui>,
    name: String,
    kind: InvestmentKind,
    level: GovernmentLevel,
    function: InvestmentFunction,
    programme: String,
    subprogramme: String,
    stage: InvestmentStage,
    modality: ExecutionModality,
    financing_source: FinancingSource,
    participatory_budget: bool,
    prioritised: bool,
    ubigeo: Ubigeo,
    latitude: Option<f64>,
    longitude: Option<f64>,
    beneficiaries: Option<i64>,
    viable_amount: Option<f64>,
    updated_cost: Option<f64>,
    viability_date: Option<NaiveDate>,
    start_date: Option<NaiveDate>,
    planned_end_date: Option<NaiveDate>,
    executing_actor_id: Option<i64>,
    executing_unit: String,
    judged_scores: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A stored investment.
#[derive(Debug, Clone, PartialEq)]
pub struct Investment {
    pub id: i64,
    pub ecosystem_id: i64,
    pub definition: InvestmentDefinition,
    /// The judged scores (1..5) by criterion code.
    pub scores: BTreeMap<String, i32>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl TryFrom<Row> for Investment {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Investment, StoreError> {
        let scores = serde_json::from_str(&r.judged_scores)
            .map_err(|e| StoreError::Corrupt(format!("investment {}: judged scores: {e}", r.id)))?;
        let location = match (r.latitude, r.longitude) {
            (Some(lat), Some(lon)) => Some(GeoPoint { lat, lon }),
            _ => None,
        };
        Ok(Investment {
            id: r.id,
            ecosystem_id: r.ecosystem_id,
            definition: InvestmentDefinition {
                cui: r.cui,
                name: r.name,
                kind: r.kind,
                level: r.level,
                function: r.function,
                programme: r.programme,
                subprogramme: r.subprogramme,
                stage: r.stage,
                modality: r.modality,
                financing_source: r.financing_source,
                participatory_budget: r.participatory_budget,
                prioritised: r.prioritised,
                ubigeo: r.ubigeo,
                location,
                beneficiaries: r.beneficiaries,
                viable_amount: r.viable_amount,
                updated_cost: r.updated_cost,
                viability_date: r.viability_date,
                start_date: r.start_date,
                planned_end_date: r.planned_end_date,
                executing_actor_id: r.executing_actor_id,
                executing_unit: r.executing_unit,
            },
            scores,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn rows_to(rows: Vec<Row>) -> Result<Vec<Investment>, StoreError> {
    rows.into_iter().map(Investment::try_from).collect()
}

/// A stored link of an investment to an objective or indicator.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = investment_links)]
pub struct Link {
    pub id: i64,
    pub investment_id: i64,
    pub objective_id: Option<i64>,
    pub indicator_id: Option<i64>,
    pub expected_change: String,
    pub position: i32,
}

/// A stored planned curve.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = investment_plans)]
pub struct Plan {
    pub id: i64,
    pub investment_id: i64,
    pub year: i32,
    pub months: String,
}

impl Plan {
    pub fn curve(&self) -> Result<PlannedCurve, StoreError> {
        PlannedCurve::from_stored(self.year, &self.months).ok_or_else(|| {
            StoreError::Corrupt(format!("planned curve {}: '{}'", self.id, self.months))
        })
    }
}

/// A stored execution snapshot.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = investment_snapshots)]
pub struct SnapshotRow {
    pub id: i64,
    pub investment_id: i64,
    pub as_of: NaiveDate,
    pub year: i32,
    pub pia: f64,
    pub pim: f64,
    pub certified: f64,
    pub committed: f64,
    pub accrued: f64,
    pub paid: f64,
    pub accrued_before: f64,
    pub physical_percent: Option<f64>,
    pub physical_measured_on: Option<NaiveDate>,
    pub physical_evidence: String,
    pub recorded_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl SnapshotRow {
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            as_of: self.as_of,
            year: self.year,
            pia: self.pia,
            pim: self.pim,
            certified: self.certified,
            committed: self.committed,
            accrued: self.accrued,
            paid: self.paid,
            accrued_before: self.accrued_before,
            physical: self.physical_percent.map(|percent| PhysicalProgress {
                percent,
                measured_on: self.physical_measured_on.unwrap_or(self.as_of),
                evidence: self.physical_evidence.clone(),
            }),
        }
    }
}

/// An ecosystem's stored investment settings.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = investment_settings)]
pub struct SettingsRow {
    pub id: i64,
    pub ecosystem_id: i64,
    pub stalled_months: i32,
    pub physical_lag_points: f64,
    pub plan_gap_points: f64,
    pub pace_gap_points: f64,
    pub pim_change_percent: f64,
    pub gap_weight: f64,
    pub stage_weight: f64,
    pub scale_weight: f64,
    pub scale_basis: ScaleBasis,
    pub judged_criteria: String,
    pub envelopes: String,
    pub updated_at: NaiveDateTime,
}

impl SettingsRow {
    pub fn settings(&self) -> Result<Settings, StoreError> {
        let judged: Vec<JudgedCriterion> = serde_json::from_str(&self.judged_criteria)
            .map_err(|e| StoreError::Corrupt(format!("investment settings: criteria: {e}")))?;
        let envelopes: BTreeMap<i32, f64> = serde_json::from_str(&self.envelopes)
            .map_err(|e| StoreError::Corrupt(format!("investment settings: envelopes: {e}")))?;
        Ok(Settings {
            thresholds: AlertThresholds {
                stalled_months: self.stalled_months,
                physical_lag_points: self.physical_lag_points,
                plan_gap_points: self.plan_gap_points,
                pace_gap_points: self.pace_gap_points,
                pim_change_percent: self.pim_change_percent,
            },
            criteria: Criteria {
                gap_weight: self.gap_weight,
                stage_weight: self.stage_weight,
                scale_weight: self.scale_weight,
                scale_basis: self.scale_basis,
                judged,
            },
            envelopes,
        })
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

// ---------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------

pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<Option<Investment>, StoreError> {
    investments::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Investment::try_from)
        .transpose()
}

pub fn by_cui(
    conn: &mut DbConnection,
    ecosystem_id: i64,
    cui: &Cui,
) -> Result<Option<Investment>, StoreError> {
    investments::table
        .filter(investments::ecosystem_id.eq(ecosystem_id))
        .filter(investments::cui.eq(cui.as_str()))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Investment::try_from)
        .transpose()
}

/// An ecosystem's investments, by CUI (ideas without one last, by id).
pub fn of_ecosystem(
    conn: &mut DbConnection,
    ecosystem_id: i64,
) -> Result<Vec<Investment>, StoreError> {
    let mut out = rows_to(
        investments::table
            .filter(investments::ecosystem_id.eq(ecosystem_id))
            .order(investments::id.asc())
            .select(Row::as_select())
            .load(conn)?,
    )?;
    out.sort_by(|a, b| match (&a.definition.cui, &b.definition.cui) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.id.cmp(&b.id),
    });
    Ok(out)
}

pub fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Investment>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(rows_to(
            investments::table
                .filter(investments::id.eq_any(chunk))
                .select(Row::as_select())
                .load(conn)?,
        )?);
    }
    Ok(out)
}

pub fn all(conn: &mut DbConnection) -> Result<Vec<Investment>, StoreError> {
    rows_to(
        investments::table
            .order(investments::id.asc())
            .select(Row::as_select())
            .load(conn)?,
    )
}

/// The links of these investments, in each investment's order.
pub fn links_of(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Link>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            investment_links::table
                .filter(investment_links::investment_id.eq_any(chunk))
                .order((
                    investment_links::investment_id.asc(),
                    investment_links::position.asc(),
                ))
                .select(Link::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// The links naming these objectives (`objectives`) or these indicators.
pub fn links_to(
    conn: &mut DbConnection,
    objective_ids: &[i64],
    indicator_ids: &[i64],
) -> Result<Vec<Link>, StoreError> {
    Ok(investment_links::table
        .filter(
            investment_links::objective_id
                .eq_any(objective_ids)
                .or(investment_links::indicator_id.eq_any(indicator_ids)),
        )
        .order(investment_links::investment_id.asc())
        .select(Link::as_select())
        .load(conn)?)
}

pub fn plans_of(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Plan>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            investment_plans::table
                .filter(investment_plans::investment_id.eq_any(chunk))
                .order((
                    investment_plans::investment_id.asc(),
                    investment_plans::year.asc(),
                ))
                .select(Plan::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// The snapshots of these investments, oldest first.
pub fn snapshots_of(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<SnapshotRow>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            investment_snapshots::table
                .filter(investment_snapshots::investment_id.eq_any(chunk))
                .order((
                    investment_snapshots::investment_id.asc(),
                    investment_snapshots::as_of.asc(),
                ))
                .select(SnapshotRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

pub fn all_snapshots(conn: &mut DbConnection) -> Result<Vec<SnapshotRow>, StoreError> {
    Ok(investment_snapshots::table
        .order(investment_snapshots::id.asc())
        .select(SnapshotRow::as_select())
        .load(conn)?)
}

/// Links and plans by investment id.
pub type ChildrenById = (HashMap<i64, Vec<Link>>, HashMap<i64, Vec<Plan>>);

/// Every investment's links and plans, by investment id (for the audit check).
pub fn all_children(conn: &mut DbConnection) -> Result<ChildrenById, StoreError> {
    let mut links: HashMap<i64, Vec<Link>> = HashMap::new();
    for l in investment_links::table
        .order((
            investment_links::investment_id.asc(),
            investment_links::position.asc(),
        ))
        .select(Link::as_select())
        .load(conn)?
    {
        links.entry(l.investment_id).or_default().push(l);
    }
    let mut plans: HashMap<i64, Vec<Plan>> = HashMap::new();
    for p in investment_plans::table
        .order((
            investment_plans::investment_id.asc(),
            investment_plans::year.asc(),
        ))
        .select(Plan::as_select())
        .load(conn)?
    {
        plans.entry(p.investment_id).or_default().push(p);
    }
    Ok((links, plans))
}

pub fn settings_row(
    conn: &mut DbConnection,
    ecosystem_id: i64,
) -> Result<Option<SettingsRow>, StoreError> {
    Ok(investment_settings::table
        .filter(investment_settings::ecosystem_id.eq(ecosystem_id))
        .select(SettingsRow::as_select())
        .first(conn)
        .optional()?)
}

/// An ecosystem's settings, or the defaults.
pub fn settings(conn: &mut DbConnection, ecosystem_id: i64) -> Result<Settings, StoreError> {
    settings_row(conn, ecosystem_id)?
        .map(|r| r.settings())
        .transpose()
        .map(Option::unwrap_or_default)
}

pub fn all_settings(conn: &mut DbConnection) -> Result<Vec<SettingsRow>, StoreError> {
    Ok(investment_settings::table
        .order(investment_settings::id.asc())
        .select(SettingsRow::as_select())
        .load(conn)?)
}

// ---------------------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------------------

/// What changes about an investment's links and plans: `None` keeps them.
#[derive(Debug, Clone, Default)]
pub struct Children<'a> {
    pub links: Option<&'a [InvestmentLink]>,
    pub plans: Option<&'a [PlannedCurve]>,
}

fn unique_cui(def: &InvestmentDefinition) -> impl FnOnce(diesel::result::Error) -> StoreError {
    let cui = def
        .cui
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    StoreError::on_unique("cui", move || {
        format!("an investment with CUI {cui} already exists in this ecosystem")
    })
}

fn set_children(
    tx: &mut WriteTx<'_>,
    investment_id: i64,
    children: &Children<'_>,
) -> Result<(), StoreError> {
    if let Some(links) = children.links {
        diesel::delete(
            investment_links::table.filter(investment_links::investment_id.eq(investment_id)),
        )
        .execute(tx.conn())?;
        for (position, l) in links.iter().enumerate() {
            let (objective, indicator) = match l.target {
                LinkTarget::Objective(o) => (Some(o), None),
                LinkTarget::Indicator(i) => (None, Some(i)),
            };
            diesel::insert_into(investment_links::table)
                .values((
                    investment_links::investment_id.eq(investment_id),
                    investment_links::objective_id.eq(objective),
                    investment_links::indicator_id.eq(indicator),
                    investment_links::expected_change.eq(&l.expected_change),
                    investment_links::position.eq(position as i32),
                ))
                .execute(tx.conn())?;
        }
    }
    if let Some(plans) = children.plans {
        diesel::delete(
            investment_plans::table.filter(investment_plans::investment_id.eq(investment_id)),
        )
        .execute(tx.conn())?;
        for p in plans {
            diesel::insert_into(investment_plans::table)
                .values((
                    investment_plans::investment_id.eq(investment_id),
                    investment_plans::year.eq(p.year),
                    investment_plans::months.eq(p.to_stored()),
                ))
                .execute(tx.conn())
                .map_err(StoreError::on_unique("plannedCurves", || {
                    format!("two planned curves for {}", p.year)
                }))?;
        }
    }
    Ok(())
}

/// An investment with its links and plans, as the chain records it.
fn full(
    conn: &mut DbConnection,
    id: i64,
) -> Result<(Investment, Vec<Link>, Vec<Plan>), StoreError> {
    let inv = by_id(conn, id)?.ok_or_else(|| StoreError::NotFound {
        entity: ENTITY,
        key: id.to_string(),
    })?;
    let links = links_of(conn, &[id])?;
    let plans = plans_of(conn, &[id])?;
    Ok((inv, links, plans))
}

fn record(
    tx: &mut WriteTx<'_>,
    before: Option<&(Investment, Vec<Link>, Vec<Plan>)>,
    after: &(Investment, Vec<Link>, Vec<Plan>),
) -> Result<(), StoreError> {
    let b = before.map(|(i, l, p)| InvestmentState(i, l, p));
    let a = InvestmentState(&after.0, &after.1, &after.2);
    tx.record_change(b.as_ref(), Some(&a))?;
    Ok(())
}

pub fn create(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    def: &InvestmentDefinition,
    children: &Children<'_>,
) -> Result<Investment, StoreError> {
    let now = tx.now();
    diesel::insert_into(investments::table)
        .values((
            investments::ecosystem_id.eq(ecosystem_id),
            investments::judged_scores.eq("{}"),
            investments::created_at.eq(now),
            investments::updated_at.eq(now),
            values(def),
        ))
        .execute(tx.conn())
        .map_err(unique_cui(def))?;
    // Writers are serialised: the newest row of the ecosystem is this one.
    let id: i64 = investments::table
        .filter(investments::ecosystem_id.eq(ecosystem_id))
        .select(diesel::dsl::max(investments::id))
        .first::<Option<i64>>(tx.conn())?
        .ok_or_else(|| StoreError::NotFound {
            entity: ENTITY,
            key: "new".into(),
        })?;
    set_children(tx, id, children)?;
    let after = full(tx.conn(), id)?;
    record(tx, None, &after)?;
    Ok(after.0)
}

type Values<'a> = (
    (
        diesel::dsl::Eq<investments::cui, Option<&'a str>>,
        diesel::dsl::Eq<investments::name, &'a str>,
        diesel::dsl::Eq<investments::kind, &'static str>,
        diesel::dsl::Eq<investments::level, &'static str>,
        diesel::dsl::Eq<investments::function, &'static str>,
        diesel::dsl::Eq<investments::programme, &'a str>,
        diesel::dsl::Eq<investments::subprogramme, &'a str>,
        diesel::dsl::Eq<investments::stage, &'static str>,
        diesel::dsl::Eq<investments::modality, &'static str>,
        diesel::dsl::Eq<investments::financing_source, &'static str>,
        diesel::dsl::Eq<investments::participatory_budget, bool>,
    ),
    (
        diesel::dsl::Eq<investments::prioritised, bool>,
        diesel::dsl::Eq<investments::ubigeo, &'a str>,
        diesel::dsl::Eq<investments::latitude, Option<f64>>,
        diesel::dsl::Eq<investments::longitude, Option<f64>>,
        diesel::dsl::Eq<investments::beneficiaries, Option<i64>>,
        diesel::dsl::Eq<investments::viable_amount, Option<f64>>,
        diesel::dsl::Eq<investments::updated_cost, Option<f64>>,
        diesel::dsl::Eq<investments::viability_date, Option<NaiveDate>>,
        diesel::dsl::Eq<investments::start_date, Option<NaiveDate>>,
        diesel::dsl::Eq<investments::planned_end_date, Option<NaiveDate>>,
        diesel::dsl::Eq<investments::executing_actor_id, Option<i64>>,
        diesel::dsl::Eq<investments::executing_unit, &'a str>,
    ),
);

/// The definition's columns, for an insert or an update.
fn values(d: &InvestmentDefinition) -> Values<'_> {
    (
        (
            investments::cui.eq(d.cui.as_ref().map(Cui::as_str)),
            investments::name.eq(d.name.as_str()),
            investments::kind.eq(d.kind.as_str()),
            investments::level.eq(d.level.as_str()),
            investments::function.eq(d.function.as_str()),
            investments::programme.eq(d.programme.as_str()),
            investments::subprogramme.eq(d.subprogramme.as_str()),
            investments::stage.eq(d.stage.as_str()),
            investments::modality.eq(d.modality.as_str()),
            investments::financing_source.eq(d.financing_source.as_str()),
            investments::participatory_budget.eq(d.participatory_budget),
        ),
        (
            investments::prioritised.eq(d.prioritised),
            investments::ubigeo.eq(d.ubigeo.as_str()),
            investments::latitude.eq(d.location.map(|p| p.lat)),
            investments::longitude.eq(d.location.map(|p| p.lon)),
            investments::beneficiaries.eq(d.beneficiaries),
            investments::viable_amount.eq(d.viable_amount),
            investments::updated_cost.eq(d.updated_cost),
            investments::viability_date.eq(d.viability_date),
            investments::start_date.eq(d.start_date),
            investments::planned_end_date.eq(d.planned_end_date),
            investments::executing_actor_id.eq(d.executing_actor_id),
            investments::executing_unit.eq(d.executing_unit.as_str()),
        ),
    )
}

/// Replaces an investment's definition (and, when given, its links and plans). Writes
/// nothing, audit included, when nothing changes; returns whether something did.
pub fn update(
    tx: &mut WriteTx<'_>,
    id: i64,
    def: &InvestmentDefinition,
    children: &Children<'_>,
) -> Result<(Investment, bool), StoreError> {
    let before = full(tx.conn(), id)?;
    let same_links = children.links.is_none_or(|links| {
        links.len() == before.1.len()
            && links.iter().zip(&before.1).all(|(n, o)| {
                let (obj, ind) = match n.target {
                    LinkTarget::Objective(x) => (Some(x), None),
                    LinkTarget::Indicator(x) => (None, Some(x)),
                };
                o.objective_id == obj
                    && o.indicator_id == ind
                    && o.expected_change == n.expected_change
            })
    });
    let same_plans = children.plans.is_none_or(|plans| {
        plans.len() == before.2.len()
            && plans
                .iter()
                .zip(&before.2)
                .all(|(n, o)| n.year == o.year && n.to_stored() == o.months)
    });
    if before.0.definition == *def && same_links && same_plans {
        return Ok((before.0, false));
    }
    let now = tx.now();
    diesel::update(investments::table.find(id))
        .set((investments::updated_at.eq(now), values(def)))
        .execute(tx.conn())
        .map_err(unique_cui(def))?;
    set_children(tx, id, children)?;
    let after = full(tx.conn(), id)?;
    record(tx, Some(&before), &after)?;
    Ok((after.0, true))
}

/// Sets one judged score (`None` removes it).
pub fn set_score(
    tx: &mut WriteTx<'_>,
    id: i64,
    criterion: &str,
    score: Option<i32>,
) -> Result<Investment, StoreError> {
    let before = full(tx.conn(), id)?;
    let mut scores = before.0.scores.clone();
    match score {
        Some(s) => scores.insert(criterion.to_string(), s),
        None => scores.remove(criterion),
    };
    diesel::update(investments::table.find(id))
        .set((
            investments::judged_scores.eq(json(&scores)?),
            investments::updated_at.eq(tx.now()),
        ))
        .execute(tx.conn())?;
    let after = full(tx.conn(), id)?;
    record(tx, Some(&before), &after)?;
    Ok(after.0)
}

/// Records a snapshot, replacing the one of the same date. Writes nothing, audit included,
/// when the stored one says the same; returns the row and whether it changed.
pub fn put_snapshot(
    tx: &mut WriteTx<'_>,
    investment_id: i64,
    s: &Snapshot,
) -> Result<(SnapshotRow, bool), StoreError> {
    let existing: Option<SnapshotRow> = investment_snapshots::table
        .filter(investment_snapshots::investment_id.eq(investment_id))
        .filter(investment_snapshots::as_of.eq(s.as_of))
        .select(SnapshotRow::as_select())
        .first(tx.conn())
        .optional()?;
    put_snapshot_over(tx, investment_id, s, existing)
}

/// [`put_snapshot`] when the caller has already read the stored snapshot of the investment
/// and date (`existing`, none when there is none) in this transaction.
pub fn put_snapshot_over(
    tx: &mut WriteTx<'_>,
    investment_id: i64,
    s: &Snapshot,
    existing: Option<SnapshotRow>,
) -> Result<(SnapshotRow, bool), StoreError> {
    if let Some(e) = &existing
        && e.snapshot() == *s
    {
        return Ok((e.clone(), false));
    }
    let now = tx.now();
    let recorded_by = tx.author().user_id;
    let (percent, measured_on, evidence) = match &s.physical {
        Some(p) => (Some(p.percent), Some(p.measured_on), p.evidence.as_str()),
        None => (None, None, ""),
    };
    let figures = (
        investment_snapshots::year.eq(s.year),
        investment_snapshots::pia.eq(s.pia),
        investment_snapshots::pim.eq(s.pim),
        investment_snapshots::certified.eq(s.certified),
        investment_snapshots::committed.eq(s.committed),
        investment_snapshots::accrued.eq(s.accrued),
        investment_snapshots::paid.eq(s.paid),
        investment_snapshots::accrued_before.eq(s.accrued_before),
        investment_snapshots::physical_percent.eq(percent),
        investment_snapshots::physical_measured_on.eq(measured_on),
        investment_snapshots::physical_evidence.eq(evidence),
        investment_snapshots::recorded_by.eq(recorded_by),
        investment_snapshots::updated_at.eq(now),
    );
    match &existing {
        Some(e) => {
            diesel::update(investment_snapshots::table.find(e.id))
                .set(figures)
                .execute(tx.conn())?;
        }
        None => {
            diesel::insert_into(investment_snapshots::table)
                .values((
                    investment_snapshots::investment_id.eq(investment_id),
                    investment_snapshots::as_of.eq(s.as_of),
                    investment_snapshots::created_at.eq(now),
                    figures,
                ))
                .execute(tx.conn())?;
        }
    }
    let after: SnapshotRow = investment_snapshots::table
        .filter(investment_snapshots::investment_id.eq(investment_id))
        .filter(investment_snapshots::as_of.eq(s.as_of))
        .select(SnapshotRow::as_select())
        .first(tx.conn())?;
    tx.record_change(existing.as_ref(), Some(&after))?;
    Ok((after, true))
}

/// Stores an ecosystem's settings (creating the row the first time).
pub fn put_settings(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    s: &Settings,
) -> Result<Settings, StoreError> {
    let before = settings_row(tx.conn(), ecosystem_id)?;
    let now = tx.now();
    let t = &s.thresholds;
    let c = &s.criteria;
    let fields = (
        investment_settings::stalled_months.eq(t.stalled_months),
        investment_settings::physical_lag_points.eq(t.physical_lag_points),
        investment_settings::plan_gap_points.eq(t.plan_gap_points),
        investment_settings::pace_gap_points.eq(t.pace_gap_points),
        investment_settings::pim_change_percent.eq(t.pim_change_percent),
        investment_settings::gap_weight.eq(c.gap_weight),
        investment_settings::stage_weight.eq(c.stage_weight),
        investment_settings::scale_weight.eq(c.scale_weight),
        investment_settings::scale_basis.eq(c.scale_basis.as_str()),
        investment_settings::judged_criteria.eq(json(&c.judged)?),
        investment_settings::envelopes.eq(json(&s.envelopes)?),
        investment_settings::updated_at.eq(now),
    );
    match &before {
        Some(b) => {
            diesel::update(investment_settings::table.find(b.id))
                .set(fields)
                .execute(tx.conn())?;
        }
        None => {
            diesel::insert_into(investment_settings::table)
                .values((investment_settings::ecosystem_id.eq(ecosystem_id), fields))
                .execute(tx.conn())?;
        }
    }
    let after = settings_row(tx.conn(), ecosystem_id)?.ok_or_else(|| StoreError::NotFound {
        entity: SETTINGS,
        key: ecosystem_id.to_string(),
    })?;
    tx.record_change(before.as_ref(), Some(&after))?;
    after.settings()
}

/// Records an import of MEF's file in the audit chain: one entry, `id` its identifier,
/// `facts` its public state (the file's digest, the date, the counts, the digest of the rows
/// it wrote). Public: MEF's file and the investments are public data.
pub fn record_import<T: serde::Serialize>(
    tx: &mut WriteTx<'_>,
    id: &str,
    facts: &T,
) -> Result<i64, StoreError> {
    let state =
        crate::domain::audit::AuditState::new(facts, None::<&()>).map_err(StoreError::Corrupt)?;
    tx.record(crate::db::Action::Create, IMPORT, id, None, Some(&state))
}
