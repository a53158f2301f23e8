//! Notifications: a user's inbox. Operational rows, not audited: they tell of audited events
//! (a value rejected, a period locked...) and are written in the same transaction as them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{ecosystem_members, notifications, users};
use crate::db::{DbConnection, StoreError};
use crate::domain::Role;
use crate::domain::notification::NotificationKind;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub kind: NotificationKind,
    pub message_es: String,
    pub message_en: String,
    pub link: Option<String>,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
    pub emailed_at: Option<NaiveDateTime>,
}

/// One notification to store for each of `user_ids`.
#[derive(Debug, Clone)]
pub struct NewNotification<'a> {
    pub kind: NotificationKind,
    pub message_es: &'a str,
    pub message_en: &'a str,
    pub link: Option<&'a str>,
}

/// Stores the same notification for every user given (one statement each: the recipients of
/// an event are a handful of people).
pub fn create_for(
    conn: &mut DbConnection,
    user_ids: &[i64],
    new: &NewNotification<'_>,
    now: NaiveDateTime,
) -> Result<usize, StoreError> {
    let mut stored = 0;
    for &user_id in user_ids {
        stored += diesel::insert_into(notifications::table)
            .values((
                notifications::user_id.eq(user_id),
                notifications::kind.eq(new.kind.as_str()),
                notifications::message_es.eq(new.message_es),
                notifications::message_en.eq(new.message_en),
                notifications::link.eq(new.link),
                notifications::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(stored)
}

/// A user's notifications, newest first.
pub fn of_user(
    conn: &mut DbConnection,
    user_id: i64,
    limit: i64,
) -> Result<Vec<Notification>, StoreError> {
    Ok(notifications::table
        .filter(notifications::user_id.eq(user_id))
        .order(notifications::id.desc())
        .limit(limit)
        .select(Notification::as_select())
        .load(conn)?)
}

pub fn unread_count(conn: &mut DbConnection, user_id: i64) -> Result<i64, StoreError> {
    Ok(notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Marks one of the user's notifications read; `false` when the user has no such
/// notification (another user's id is no different from a missing one).
pub fn mark_read(
    conn: &mut DbConnection,
    user_id: i64,
    id: i64,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let mine = notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::user_id.eq(user_id));
    let found = diesel::select(diesel::dsl::exists(mine)).get_result::<bool>(conn)?;
    if found {
        diesel::update(mine.filter(notifications::read_at.is_null()))
            .set(notifications::read_at.eq(now))
            .execute(conn)?;
    }
    Ok(found)
}

pub fn mark_all_read(
    conn: &mut DbConnection,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<usize, StoreError> {
    Ok(diesel::update(
        notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(now))
    .execute(conn)?)
}

/// Notifications not yet e-mailed, created at or after `since`, oldest first, with their
/// recipient's address; `skip` are left out (they failed).
pub fn unsent(
    conn: &mut DbConnection,
    since: NaiveDateTime,
    skip: &[i64],
    limit: i64,
) -> Result<Vec<(Notification, String)>, StoreError> {
    Ok(notifications::table
        .inner_join(users::table)
        .filter(notifications::emailed_at.is_null())
        .filter(notifications::created_at.ge(since))
        .filter(notifications::id.ne_all(skip))
        .filter(users::disabled.eq(false))
        .order(notifications::id.asc())
        .limit(limit)
        .select((Notification::as_select(), users::email))
        .load(conn)?)
}

pub fn mark_emailed(
    conn: &mut DbConnection,
    id: i64,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::update(notifications::table.find(id))
        .set(notifications::emailed_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// The enabled users with one of these roles.
pub fn users_with_roles(conn: &mut DbConnection, roles: &[Role]) -> Result<Vec<i64>, StoreError> {
    let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    Ok(users::table
        .filter(users::role.eq_any(roles))
        .filter(users::disabled.eq(false))
        .order(users::id.asc())
        .select(users::id)
        .load(conn)?)
}

/// The enabled users bound to an actor that is a member of the ecosystem.
pub fn users_of_members(
    conn: &mut DbConnection,
    ecosystem_id: i64,
) -> Result<Vec<i64>, StoreError> {
    let actors = ecosystem_members::table
        .filter(ecosystem_members::ecosystem_id.eq(ecosystem_id))
        .select(ecosystem_members::actor_id.nullable());
    Ok(users::table
        .filter(users::actor_id.eq_any(actors))
        .filter(users::disabled.eq(false))
        .order(users::id.asc())
        .select(users::id)
        .load(conn)?)
}
