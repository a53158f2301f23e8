//! System settings: a key-value table for values the service generates and keeps.

use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::db::audit::Action;
use crate::db::schema::settings;
use crate::db::{DbConnection, StoreError, WriteTx};

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
    let action = if before.is_some() {
        diesel::update(settings::table.filter(settings::key.eq(key)))
            .set(settings::value.eq(value))
            .execute(tx.conn())?;
        Action::Update
    } else {
        diesel::insert_into(settings::table)
            .values((settings::key.eq(key), settings::value.eq(value)))
            .execute(tx.conn())?;
        Action::Create
    };
    let state =
        |v: &str| json!({"key": key, "value_sha256": hex::encode(Sha256::digest(v.as_bytes()))});
    let before = before.as_deref().map(state);
    tx.record(action, ENTITY, key, before.as_ref(), Some(&state(value)))?;
    Ok(())
}

/// Every setting's state as the audit chain records it (digests, never values).
pub fn audit_states(
    conn: &mut DbConnection,
) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
    let rows: Vec<(String, String)> = settings::table
        .select((settings::key, settings::value))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(k, v)| {
            let state =
                json!({"key": k, "value_sha256": hex::encode(Sha256::digest(v.as_bytes()))});
            (k, state)
        })
        .collect())
}
