//! Cumulative impacts: VECs with their limit of acceptable change, and developments. Impact
//! contributions are measurements of a (VEC, development) pair (see [`super::measurement`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{developments, vecs};
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::impact::{Desirable, DevelopmentStatus, LimitSide, Sector, Threshold, VecKind};
use crate::domain::{Period, Ubigeo};

pub const VEC: &str = "vec";
pub const DEVELOPMENT: &str = "development";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = vecs)]
pub struct Vec_ {
    pub id: i64,
    pub ecosystem_id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub kind: VecKind,
    pub unit: String,
    pub baseline_period: Period,
    pub baseline_value: f64,
    pub direction: Desirable,
    pub threshold_value: f64,
    pub threshold_limit: LimitSide,
    pub boundary: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

fn corrupt(what: &str, id: i64, field: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {id} has {field} '{value}'"))
}

impl Vec_ {
    pub fn threshold(&self) -> Threshold {
        Threshold {
            value: self.threshold_value,
            side: self.threshold_limit,
        }
    }

    /// The spatial boundary, as ubigeo codes.
    pub fn boundary(&self) -> Result<Vec<Ubigeo>, StoreError> {
        self.boundary
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| Ubigeo::from_stored(s).ok_or_else(|| corrupt(VEC, self.id, "boundary", s)))
            .collect()
    }
}

/// The fields of a VEC, validated.
#[derive(Debug, Clone)]
pub struct VecFields {
    pub ecosystem_id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub kind: VecKind,
    pub unit: String,
    pub baseline_period: Period,
    pub baseline_value: f64,
    pub direction: Desirable,
    pub threshold: Threshold,
    pub boundary: Vec<Ubigeo>,
}

pub fn create_vec(tx: &mut WriteTx<'_>, f: &VecFields) -> Result<Vec_, StoreError> {
    let now = tx.now();
    let code = f.code.clone();
    let mut boundary: Vec<&str> = f.boundary.iter().map(Ubigeo::as_str).collect();
    boundary.sort_unstable();
    boundary.dedup();
    diesel::insert_into(vecs::table)
        .values((
            vecs::ecosystem_id.eq(f.ecosystem_id),
            vecs::code.eq(&f.code),
            vecs::name.eq(&f.name),
            vecs::description.eq(&f.description),
            vecs::kind.eq(f.kind.as_str()),
            vecs::unit.eq(&f.unit),
            vecs::baseline_period.eq(f.baseline_period.to_string()),
            vecs::baseline_value.eq(f.baseline_value),
            vecs::direction.eq(f.direction.as_str()),
            vecs::threshold_value.eq(f.threshold.value),
            vecs::threshold_limit.eq(f.threshold.side.as_str()),
            vecs::boundary.eq(boundary.join(",")),
            vecs::created_at.eq(now),
            vecs::updated_at.eq(now),
        ))
        .execute(tx.conn())
        .map_err(StoreError::on_unique("code", move || {
            format!("this ecosystem already has a VEC with code '{code}'")
        }))?;
    let v: Vec_ = vecs::table
        .filter(vecs::ecosystem_id.eq(f.ecosystem_id))
        .filter(vecs::code.eq(&f.code))
        .select(Vec_::as_select())
        .first(tx.conn())?;
    tx.record_change(None, Some(&v))?;
    Ok(v)
}

pub fn vec_by_id(conn: &mut DbConnection, id: i64) -> Result<Option<Vec_>, StoreError> {
    Ok(vecs::table
        .find(id)
        .select(Vec_::as_select())
        .first(conn)
        .optional()?)
}

pub fn vecs_by_ids(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Vec_>, StoreError> {
    Ok(vecs::table
        .filter(vecs::id.eq_any(ids))
        .select(Vec_::as_select())
        .load(conn)?)
}

pub fn vecs_of(conn: &mut DbConnection, ecosystem_id: i64) -> Result<Vec<Vec_>, StoreError> {
    vecs_of_ecosystems(conn, &[ecosystem_id])
}

pub fn all_vecs(conn: &mut DbConnection) -> Result<Vec<Vec_>, StoreError> {
    Ok(vecs::table
        .order(vecs::id.asc())
        .select(Vec_::as_select())
        .load(conn)?)
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = developments)]
pub struct Development {
    pub id: i64,
    pub ecosystem_id: i64,
    pub name: String,
    pub description: String,
    pub sector: Sector,
    pub actor_id: i64,
    pub status: DevelopmentStatus,
    pub territory: Ubigeo,
    pub start_period: Period,
    pub end_period: Option<Period>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Development {}

/// The fields of a development, validated.
#[derive(Debug, Clone)]
pub struct DevelopmentFields {
    pub ecosystem_id: i64,
    pub name: String,
    pub description: String,
    pub sector: Sector,
    pub actor_id: i64,
    pub status: DevelopmentStatus,
    pub territory: Ubigeo,
    pub start_period: Period,
    pub end_period: Option<Period>,
}

pub fn create_development(
    tx: &mut WriteTx<'_>,
    f: &DevelopmentFields,
) -> Result<Development, StoreError> {
    let now = tx.now();
    let name = f.name.clone();
    diesel::insert_into(developments::table)
        .values((
            developments::ecosystem_id.eq(f.ecosystem_id),
            developments::name.eq(&f.name),
            developments::description.eq(&f.description),
            developments::sector.eq(f.sector.as_str()),
            developments::actor_id.eq(f.actor_id),
            developments::status.eq(f.status.as_str()),
            developments::territory.eq(f.territory.as_str()),
            developments::start_period.eq(f.start_period.to_string()),
            developments::end_period.eq(f.end_period.map(|p| p.to_string())),
            developments::created_at.eq(now),
            developments::updated_at.eq(now),
        ))
        .execute(tx.conn())
        .map_err(StoreError::on_unique("name", move || {
            format!("this ecosystem already has a development named '{name}'")
        }))?;
    let d: Development = developments::table
        .filter(developments::ecosystem_id.eq(f.ecosystem_id))
        .filter(developments::name.eq(&f.name))
        .select(Development::as_select())
        .first(tx.conn())?;
    tx.record_change(None, Some(&d))?;
    Ok(d)
}

/// Changes a development's status (a planned mine that starts operating becomes existing).
pub fn set_development_status(
    tx: &mut WriteTx<'_>,
    before: &Development,
    status: DevelopmentStatus,
) -> Result<Development, StoreError> {
    let now = tx.now();
    diesel::update(developments::table.find(before.id))
        .set((
            developments::status.eq(status.as_str()),
            developments::updated_at.eq(now),
        ))
        .execute(tx.conn())?;
    let after = development_by_id(tx.conn(), before.id)?.ok_or_else(|| StoreError::NotFound {
        entity: DEVELOPMENT,
        key: before.id.to_string(),
    })?;
    tx.record_change(Some(before), Some(&after))?;
    Ok(after)
}

pub fn development_by_id(
    conn: &mut DbConnection,
    id: i64,
) -> Result<Option<Development>, StoreError> {
    Ok(developments::table
        .find(id)
        .select(Development::as_select())
        .first(conn)
        .optional()?)
}

pub fn developments_by_ids(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<Vec<Development>, StoreError> {
    Ok(developments::table
        .filter(developments::id.eq_any(ids))
        .select(Development::as_select())
        .load(conn)?)
}

pub fn developments_of(
    conn: &mut DbConnection,
    ecosystem_id: i64,
) -> Result<Vec<Development>, StoreError> {
    developments_of_ecosystems(conn, &[ecosystem_id])
}

pub fn all_developments(conn: &mut DbConnection) -> Result<Vec<Development>, StoreError> {
    Ok(developments::table
        .order(developments::id.asc())
        .select(Development::as_select())
        .load(conn)?)
}

/// The developments of these ecosystems, by name.
pub fn developments_of_ecosystems(
    conn: &mut DbConnection,
    ecosystem_ids: &[i64],
) -> Result<Vec<Development>, StoreError> {
    Ok(developments::table
        .filter(developments::ecosystem_id.eq_any(ecosystem_ids))
        .order(developments::name.asc())
        .select(Development::as_select())
        .load(conn)?)
}

/// The VECs of these ecosystems, by code.
pub fn vecs_of_ecosystems(
    conn: &mut DbConnection,
    ecosystem_ids: &[i64],
) -> Result<Vec<Vec_>, StoreError> {
    Ok(vecs::table
        .filter(vecs::ecosystem_id.eq_any(ecosystem_ids))
        .order(vecs::code.asc())
        .select(Vec_::as_select())
        .load(conn)?)
}
