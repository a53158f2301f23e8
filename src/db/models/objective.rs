//! Strategic objectives, their responsible actors and the cause-effect links between them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::audit_state::ObjectiveWithResponsibles;
use crate::db::schema::{objective_links, objective_responsibles, objectives};
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::causal::ExpectedSign;

pub const ENTITY: &str = "objective";
pub const LINK: &str = "objective_link";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = objectives)]
pub struct Objective {
    pub id: i64,
    pub ecosystem_id: i64,
    pub perspective_id: i64,
    pub theme_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub description: String,
    pub weight: f64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = objective_links)]
pub struct Link {
    pub id: i64,
    pub ecosystem_id: i64,
    pub cause_id: i64,
    pub effect_id: i64,
    pub description: String,
    pub created_at: NaiveDateTime,
    pub expected_sign: ExpectedSign,
}

/// An objective's fields, validated; `responsible` are actor ids.
#[derive(Debug, Clone)]
pub struct ObjectiveFields {
    pub perspective_id: i64,
    pub theme_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub description: String,
    pub weight: f64,
    pub responsible: Vec<i64>,
}

fn set_responsibles(
    tx: &mut WriteTx<'_>,
    objective_id: i64,
    actor_ids: &[i64],
) -> Result<(), StoreError> {
    diesel::delete(
        objective_responsibles::table.filter(objective_responsibles::objective_id.eq(objective_id)),
    )
    .execute(tx.conn())?;
    // One row at a time: the backend-generic connection has no multi-row insert, and an
    // objective has a handful of responsible actors.
    for actor_id in actor_ids {
        diesel::insert_into(objective_responsibles::table)
            .values((
                objective_responsibles::objective_id.eq(objective_id),
                objective_responsibles::actor_id.eq(*actor_id),
            ))
            .execute(tx.conn())?;
    }
    Ok(())
}

fn record(
    tx: &mut WriteTx<'_>,
    before: Option<(&Objective, &[i64])>,
    after: Option<(&Objective, &[i64])>,
) -> Result<i64, StoreError> {
    tx.record_change(
        before
            .map(|(row, ids)| ObjectiveWithResponsibles(row, ids))
            .as_ref(),
        after
            .map(|(row, ids)| ObjectiveWithResponsibles(row, ids))
            .as_ref(),
    )
}

pub fn create(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    fields: &ObjectiveFields,
) -> Result<Objective, StoreError> {
    let now = tx.now();
    diesel::insert_into(objectives::table)
        .values((
            objectives::ecosystem_id.eq(ecosystem_id),
            objectives::perspective_id.eq(fields.perspective_id),
            objectives::theme_id.eq(fields.theme_id),
            objectives::code.eq(&fields.code),
            objectives::name.eq(&fields.name),
            objectives::description.eq(&fields.description),
            objectives::weight.eq(fields.weight),
            objectives::created_at.eq(now),
            objectives::updated_at.eq(now),
        ))
        .execute(tx.conn())
        .map_err(StoreError::on_unique("code", || {
            format!(
                "an objective with code '{}' already exists in this ecosystem",
                fields.code
            )
        }))?;
    let objective =
        by_code(tx.conn(), ecosystem_id, &fields.code)?.ok_or_else(|| StoreError::NotFound {
            entity: ENTITY,
            key: fields.code.clone(),
        })?;
    set_responsibles(tx, objective.id, &fields.responsible)?;
    record(tx, None, Some((&objective, &fields.responsible)))?;
    Ok(objective)
}

pub fn update(
    tx: &mut WriteTx<'_>,
    before: &Objective,
    fields: &ObjectiveFields,
) -> Result<Objective, StoreError> {
    let responsible_before = responsible_ids(tx.conn(), before.id)?;
    let now = tx.now();
    diesel::update(objectives::table.find(before.id))
        .set((
            objectives::perspective_id.eq(fields.perspective_id),
            objectives::theme_id.eq(fields.theme_id),
            objectives::code.eq(&fields.code),
            objectives::name.eq(&fields.name),
            objectives::description.eq(&fields.description),
            objectives::weight.eq(fields.weight),
            objectives::updated_at.eq(now),
        ))
        .execute(tx.conn())
        .map_err(StoreError::on_unique("code", || {
            format!(
                "an objective with code '{}' already exists in this ecosystem",
                fields.code
            )
        }))?;
    set_responsibles(tx, before.id, &fields.responsible)?;
    let after = by_id(tx.conn(), before.id)?.ok_or_else(|| StoreError::NotFound {
        entity: ENTITY,
        key: before.id.to_string(),
    })?;
    record(
        tx,
        Some((before, &responsible_before)),
        Some((&after, &fields.responsible)),
    )?;
    Ok(after)
}

/// Deletes an objective with its links and responsibles; returns the links removed.
pub fn delete(tx: &mut WriteTx<'_>, objective: &Objective) -> Result<Vec<Link>, StoreError> {
    let links = links_touching(tx.conn(), &[objective.id])?;
    for link in &links {
        diesel::delete(objective_links::table.find(link.id)).execute(tx.conn())?;
        tx.record_change(Some(link), None)?;
    }
    let responsible = responsible_ids(tx.conn(), objective.id)?;
    set_responsibles(tx, objective.id, &[])?;
    diesel::delete(objectives::table.find(objective.id)).execute(tx.conn())?;
    record(tx, Some((objective, &responsible)), None)?;
    Ok(links)
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<Option<Objective>, StoreError> {
    Ok(objectives::table
        .find(id)
        .select(Objective::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Objective>, StoreError> {
    Ok(objectives::table
        .filter(objectives::id.eq_any(ids))
        .select(Objective::as_select())
        .load(conn)?)
}

pub fn by_code(
    conn: &mut DbConnection,
    ecosystem_id: i64,
    code: &str,
) -> Result<Option<Objective>, StoreError> {
    Ok(objectives::table
        .filter(objectives::ecosystem_id.eq(ecosystem_id))
        .filter(objectives::code.eq(code))
        .select(Objective::as_select())
        .first(conn)
        .optional()?)
}

/// The objectives of an ecosystem, optionally only one perspective's or one theme's, by code.
pub fn of_ecosystem(
    conn: &mut DbConnection,
    ecosystem_id: i64,
    perspective_id: Option<i64>,
    theme_id: Option<i64>,
) -> Result<Vec<Objective>, StoreError> {
    let mut q = objectives::table
        .filter(objectives::ecosystem_id.eq(ecosystem_id))
        .into_boxed();
    if let Some(p) = perspective_id {
        q = q.filter(objectives::perspective_id.eq(p));
    }
    if let Some(t) = theme_id {
        q = q.filter(objectives::theme_id.eq(t));
    }
    Ok(q.order(objectives::code.asc())
        .select(Objective::as_select())
        .load(conn)?)
}

fn responsible_ids(conn: &mut DbConnection, objective_id: i64) -> Result<Vec<i64>, StoreError> {
    Ok(objective_responsibles::table
        .filter(objective_responsibles::objective_id.eq(objective_id))
        .order(objective_responsibles::actor_id.asc())
        .select(objective_responsibles::actor_id)
        .load(conn)?)
}

/// `(objective_id, actor_id)` pairs for these objectives, in one query.
pub fn responsibles_of(
    conn: &mut DbConnection,
    objective_ids: &[i64],
) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(objective_responsibles::table
        .filter(objective_responsibles::objective_id.eq_any(objective_ids))
        .order((
            objective_responsibles::objective_id.asc(),
            objective_responsibles::actor_id.asc(),
        ))
        .select((
            objective_responsibles::objective_id,
            objective_responsibles::actor_id,
        ))
        .load(conn)?)
}

pub fn links_of_ecosystem(
    conn: &mut DbConnection,
    ecosystem_id: i64,
) -> Result<Vec<Link>, StoreError> {
    Ok(objective_links::table
        .filter(objective_links::ecosystem_id.eq(ecosystem_id))
        .order(objective_links::id.asc())
        .select(Link::as_select())
        .load(conn)?)
}

/// Links where any of these objectives is the cause or the effect, in one query.
pub fn links_touching(
    conn: &mut DbConnection,
    objective_ids: &[i64],
) -> Result<Vec<Link>, StoreError> {
    Ok(objective_links::table
        .filter(
            objective_links::cause_id
                .eq_any(objective_ids)
                .or(objective_links::effect_id.eq_any(objective_ids)),
        )
        .order(objective_links::id.asc())
        .select(Link::as_select())
        .load(conn)?)
}

pub fn create_link(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    cause_id: i64,
    effect_id: i64,
    description: &str,
    expected_sign: ExpectedSign,
) -> Result<Link, StoreError> {
    let now = tx.now();
    diesel::insert_into(objective_links::table)
        .values((
            objective_links::ecosystem_id.eq(ecosystem_id),
            objective_links::cause_id.eq(cause_id),
            objective_links::effect_id.eq(effect_id),
            objective_links::description.eq(description),
            objective_links::expected_sign.eq(expected_sign.as_str()),
            objective_links::created_at.eq(now),
        ))
        .execute(tx.conn())
        .map_err(StoreError::on_unique("effectId", || {
            "these objectives are already linked".to_string()
        }))?;
    let link: Link = objective_links::table
        .filter(objective_links::cause_id.eq(cause_id))
        .filter(objective_links::effect_id.eq(effect_id))
        .select(Link::as_select())
        .first(tx.conn())?;
    tx.record_change(None, Some(&link))?;
    Ok(link)
}

/// Removes the link `cause → effect`; returns it, or `None` when there was none.
pub fn delete_link(
    tx: &mut WriteTx<'_>,
    cause_id: i64,
    effect_id: i64,
) -> Result<Option<Link>, StoreError> {
    let link: Option<Link> = objective_links::table
        .filter(objective_links::cause_id.eq(cause_id))
        .filter(objective_links::effect_id.eq(effect_id))
        .select(Link::as_select())
        .first(tx.conn())
        .optional()?;
    if let Some(link) = &link {
        diesel::delete(objective_links::table.find(link.id)).execute(tx.conn())?;
        tx.record_change(Some(link), None)?;
    }
    Ok(link)
}

/// Every objective's state as the audit chain records it.
/// Every objective with its responsible actors (ids ascending), for the audit chain.
pub fn all_with_responsibles(
    conn: &mut DbConnection,
) -> Result<Vec<(Objective, Vec<i64>)>, StoreError> {
    let rows: Vec<Objective> = objectives::table
        .select(Objective::as_select())
        .load(conn)?;
    let pairs: Vec<(i64, i64)> = objective_responsibles::table
        .order((
            objective_responsibles::objective_id.asc(),
            objective_responsibles::actor_id.asc(),
        ))
        .select((
            objective_responsibles::objective_id,
            objective_responsibles::actor_id,
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

pub fn all_links(conn: &mut DbConnection) -> Result<Vec<Link>, StoreError> {
    Ok(objective_links::table
        .select(Link::as_select())
        .load(conn)?)
}
