//! Workspace sessions and temporary passwords: operational rows, not audited (a sign-in is
//! not a change to the data; the password changes they lead to are).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{temporary_passwords, web_sessions};
use crate::db::{DbConnection, StoreError};

/// A stored session: `id` is the SHA-256 (hex) of the cookie's token.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = web_sessions)]
pub struct WebSession {
    pub id: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

pub fn create(conn: &mut DbConnection, session: &WebSession) -> Result<(), StoreError> {
    diesel::insert_into(web_sessions::table)
        .values((
            web_sessions::id.eq(&session.id),
            web_sessions::user_id.eq(session.user_id),
            web_sessions::csrf_token.eq(&session.csrf_token),
            web_sessions::created_at.eq(session.created_at),
            web_sessions::last_seen_at.eq(session.last_seen_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn by_id(conn: &mut DbConnection, id: &str) -> Result<Option<WebSession>, StoreError> {
    Ok(web_sessions::table
        .find(id)
        .select(WebSession::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a session as used now.
pub fn touch(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<(), StoreError> {
    diesel::update(web_sessions::table.find(id))
        .set(web_sessions::last_seen_at.eq(now))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, id: &str) -> Result<(), StoreError> {
    diesel::delete(web_sessions::table.find(id)).execute(conn)?;
    Ok(())
}

/// Ends every session of a user (a password change ends the others).
pub fn delete_for_user(
    conn: &mut DbConnection,
    user_id: i64,
    except: Option<&str>,
) -> Result<usize, StoreError> {
    let q = web_sessions::table.filter(web_sessions::user_id.eq(user_id));
    Ok(match except {
        Some(keep) => diesel::delete(q.filter(web_sessions::id.ne(keep))).execute(conn)?,
        None => diesel::delete(q).execute(conn)?,
    })
}

/// Removes sessions idle since before `idle_before` or started before `started_before`.
pub fn delete_expired(
    conn: &mut DbConnection,
    idle_before: NaiveDateTime,
    started_before: NaiveDateTime,
) -> Result<usize, StoreError> {
    Ok(diesel::delete(
        web_sessions::table.filter(
            web_sessions::last_seen_at
                .lt(idle_before)
                .or(web_sessions::created_at.lt(started_before)),
        ),
    )
    .execute(conn)?)
}

/// Marks a user's password as temporary (set by an administrator).
pub fn set_temporary(
    conn: &mut DbConnection,
    user_id: i64,
    set_by: Option<i64>,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::delete(temporary_passwords::table.find(user_id)).execute(conn)?;
    diesel::insert_into(temporary_passwords::table)
        .values((
            temporary_passwords::user_id.eq(user_id),
            temporary_passwords::set_by.eq(set_by),
            temporary_passwords::set_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn clear_temporary(conn: &mut DbConnection, user_id: i64) -> Result<(), StoreError> {
    diesel::delete(temporary_passwords::table.find(user_id)).execute(conn)?;
    Ok(())
}

pub fn is_temporary(conn: &mut DbConnection, user_id: i64) -> Result<bool, StoreError> {
    Ok(temporary_passwords::table
        .find(user_id)
        .select(temporary_passwords::user_id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}
