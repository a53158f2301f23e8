use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::{Email, Role};

/// The audit log's name for this entity.
pub const ENTITY: &str = "user";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub actor_id: Option<i64>,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A user to create; the password is already hashed.
pub struct NewUser<'a> {
    pub email: &'a Email,
    pub password_hash: String,
    pub role: Role,
    pub actor_id: Option<i64>,
}

/// Creates a user and records it in the audit chain.
pub fn create(tx: &mut WriteTx<'_>, new: NewUser<'_>) -> Result<User, StoreError> {
    let now = tx.now();
    diesel::insert_into(users::table)
        .values((
            users::email.eq(new.email.as_str()),
            users::password_hash.eq(&new.password_hash),
            users::role.eq(new.role.as_str()),
            users::actor_id.eq(new.actor_id),
            users::disabled.eq(false),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(tx.conn())
        .map_err(StoreError::on_unique("email", || {
            format!("a user with e-mail '{}' already exists", new.email)
        }))?;
    let user = by_email(tx.conn(), new.email.as_str())?.ok_or_else(|| StoreError::NotFound {
        entity: ENTITY,
        key: new.email.to_string(),
    })?;
    tx.record_change(None, Some(&user))?;
    Ok(user)
}

pub fn by_email(conn: &mut DbConnection, email: &str) -> Result<Option<User>, StoreError> {
    Ok(users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn require(conn: &mut DbConnection, id: i64) -> Result<User, StoreError> {
    by_id(conn, id)?.ok_or_else(|| StoreError::NotFound {
        entity: ENTITY,
        key: id.to_string(),
    })
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<Option<User>, StoreError> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<User>, StoreError> {
    Ok(users::table
        .order(users::email.asc())
        .select(User::as_select())
        .load(conn)?)
}

pub fn count(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(users::table.count().get_result(conn)?)
}

/// What an administrator may change on a user.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub disabled: Option<bool>,
    pub role: Option<Role>,
    /// `Some(None)` unbinds the user from its actor.
    pub actor_id: Option<Option<i64>>,
}

pub fn update(
    tx: &mut WriteTx<'_>,
    before: &User,
    change: &UserChange,
) -> Result<User, StoreError> {
    let now = tx.now();
    diesel::update(users::table.find(before.id))
        .set((
            users::disabled.eq(change.disabled.unwrap_or(before.disabled)),
            users::role.eq(change.role.unwrap_or(before.role).as_str()),
            users::actor_id.eq(change.actor_id.unwrap_or(before.actor_id)),
            users::updated_at.eq(now),
        ))
        .execute(tx.conn())?;
    let after = require(tx.conn(), before.id)?;
    tx.record_change(Some(before), Some(&after))?;
    Ok(after)
}

pub fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<User>, StoreError> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select(User::as_select())
        .load(conn)?)
}

/// Replaces a user's password hash.
pub fn set_password_hash(
    tx: &mut WriteTx<'_>,
    before: &User,
    password_hash: &str,
) -> Result<User, StoreError> {
    let now = tx.now();
    diesel::update(users::table.find(before.id))
        .set((
            users::password_hash.eq(password_hash),
            users::updated_at.eq(now),
        ))
        .execute(tx.conn())?;
    let after = require(tx.conn(), before.id)?;
    tx.record_change(Some(before), Some(&after))?;
    Ok(after)
}
