use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::actors;
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::{ActorKind, ActorName};

/// The audit log's name for this entity.
pub const ENTITY: &str = "actor";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = actors)]
pub struct Actor {
    pub id: i64,
    pub name: String,
    pub kind: ActorKind,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Creates an actor and records it in the audit chain.
pub fn create(
    tx: &mut WriteTx<'_>,
    name: &ActorName,
    kind: ActorKind,
) -> Result<Actor, StoreError> {
    let now = tx.now();
    diesel::insert_into(actors::table)
        .values((
            actors::name.eq(name.as_str()),
            actors::kind.eq(kind.as_str()),
            actors::created_at.eq(now),
            actors::updated_at.eq(now),
        ))
        .execute(tx.conn())
        .map_err(StoreError::on_unique("name", || {
            format!("an actor named '{}' already exists", name.as_str())
        }))?;
    let actor: Actor = actors::table
        .filter(actors::name.eq(name.as_str()))
        .select(Actor::as_select())
        .first(tx.conn())?;
    tx.record_change(None, Some(&actor))?;
    Ok(actor)
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<Actor>, StoreError> {
    Ok(actors::table
        .order(actors::name.asc())
        .select(Actor::as_select())
        .load(conn)?)
}

/// The actors with these ids, in one query (for batch loading).
pub fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Actor>, StoreError> {
    Ok(actors::table
        .filter(actors::id.eq_any(ids))
        .select(Actor::as_select())
        .load(conn)?)
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<Option<Actor>, StoreError> {
    Ok(actors::table
        .find(id)
        .select(Actor::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_name(conn: &mut DbConnection, name: &str) -> Result<Option<Actor>, StoreError> {
    Ok(actors::table
        .filter(actors::name.eq(name.trim()))
        .select(Actor::as_select())
        .first(conn)
        .optional()?)
}
