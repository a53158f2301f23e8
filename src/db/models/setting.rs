//! System settings: a key-value table for values the service generates and keeps.

use crate::db::audit_state::SettingRow;
use crate::db::schema::settings;
use crate::db::{DbConnection, StoreError, WriteTx};
use diesel::prelude::*;

/// The audit log's name for this entity.
pub const ENTITY: &str = "setting";

/// The per-database JWT signing secret, used when `AYNI_JWT_SECRET` is not set.
pub const JWT_SECRET: &str = "jwt_secret";

pub fn get(conn: &mut DbConnection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(settings::table
        .filter(settings::key.eq(key))
        .select(settings::value)
        .first(conn)
        .optional()?)
}

/// Stores a secret value. The public audit chain records only its digest.
pub fn put_secret(tx: &mut WriteTx<'_>, key: &str, value: &str) -> Result<(), StoreError> {
    let before = get(tx.conn(), key)?;
    if before.is_some() {
        diesel::update(settings::table.filter(settings::key.eq(key)))
            .set(settings::value.eq(value))
            .execute(tx.conn())?;
    } else {
        diesel::insert_into(settings::table)
            .values((settings::key.eq(key), settings::value.eq(value)))
            .execute(tx.conn())?;
    }
    tx.record_change(
        before
            .as_deref()
            .map(|value| SettingRow { key, value })
            .as_ref(),
        Some(&SettingRow { key, value }),
    )?;
    Ok(())
}

/// Every setting as `(key, value)`, for the audit chain (which records digests of the values).
pub fn all(conn: &mut DbConnection) -> Result<Vec<(String, String)>, StoreError> {
    Ok(settings::table
        .select((settings::key, settings::value))
        .load(conn)?)
}
