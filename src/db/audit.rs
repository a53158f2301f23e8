//! The audited write path: every write runs inside [`in_write_transaction`] and records what it
//! changed with [`WriteTx::record`], in the same transaction as the change itself.
//!
//! The chain's head lives in the one-row `audit_head` table. Each write transaction updates it
//! first, which takes the write lock on SQLite and a row lock on PostgreSQL: writers are
//! serialised, so two transactions can never append entries with the same `prev_hash`.
//! Within a transaction the head is read once and kept in memory, and written back once when
//! the work is done: on PostgreSQL every update of a row adds a version that later reads in
//! the same transaction walk, so a head updated per entry made a transaction of many entries
//! (approving an import of 100 000 rows) quadratic.

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use serde_json::Value;

use super::audit_state::Audited;
use super::schema::{audit_head, audit_log};
use super::{DbConnection, StoreError};
use crate::domain::audit::{
    AuditFacts, AuditState, TIME_FORMAT, canonical_entry, canonical_json, chain_hash,
};

/// Who is writing: recorded on every audit entry of the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Author {
    pub user_id: Option<i64>,
    pub actor_id: Option<i64>,
}

impl Author {
    /// The system itself (migrations, demo data, CLI bootstrap without a user).
    pub fn system() -> Author {
        Author::default()
    }
}

/// What a write did to one entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
    /// The first entry of record format 2 in a database that had a format-1 log: it records
    /// that log's head (see [`seal_v1`]).
    Seal,
    /// An entity's state as it stood when the format-1 log was sealed.
    Snapshot,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Seal => "seal",
            Action::Snapshot => "snapshot",
        }
    }
}

/// A fresh random salt for one commitment: 32 bytes as 64 lowercase hex characters.
fn fresh_salt() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// One side (before or after) of an entry, as stored: the published state, and the private
/// part with its salt when there is one.
struct StoredSide {
    public: Value,
    private: Option<(String, String)>,
}

fn seal_side(state: &AuditState) -> StoredSide {
    match state.private_canonical() {
        Some(private) => {
            let salt = fresh_salt();
            StoredSide {
                public: state.sealed(&salt),
                private: Some((salt, private)),
            }
        }
        None => StoredSide {
            public: state.sealed(""),
            private: None,
        },
    }
}

/// A write transaction in progress: the connection, who writes and when.
pub struct WriteTx<'a> {
    conn: &'a mut DbConnection,
    author: Author,
    now: NaiveDateTime,
    /// The chain's head after this transaction's last entry, to write back at the end.
    head: Option<(i64, String)>,
}

impl WriteTx<'_> {
    /// The connection, inside the transaction.
    pub fn conn(&mut self) -> &mut DbConnection {
        self.conn
    }

    pub fn author(&self) -> Author {
        self.author
    }

    /// The transaction's timestamp (UTC, microseconds): use it for `created_at`/`updated_at`
    /// so rows and their audit entries agree.
    pub fn now(&self) -> NaiveDateTime {
        self.now
    }

    /// Appends one entry to the audit chain; returns its sequence number. Each state's
    /// private part is committed with a fresh salt and kept in the entry's private columns.
    pub fn record(
        &mut self,
        action: Action,
        entity_type: &str,
        entity_id: &str,
        before: Option<&AuditState>,
        after: Option<&AuditState>,
    ) -> Result<i64, StoreError> {
        let before = before.map(seal_side);
        let after = after.map(seal_side);
        let (head_seq, head_hash) = match &self.head {
            Some((seq, hash)) => (*seq, hash.clone()),
            None => audit_head::table
                .filter(audit_head::id.eq(1))
                .select((audit_head::seq, audit_head::hash))
                .first::<(i64, String)>(self.conn)?,
        };
        let seq = head_seq + 1;
        let at = self.now.and_utc().format(TIME_FORMAT).to_string();
        let facts = AuditFacts {
            seq,
            at: &at,
            user_id: self.author.user_id,
            actor_id: self.author.actor_id,
            action: action.as_str(),
            entity_type,
            entity_id,
            before: before.as_ref().map(|s| &s.public),
            after: after.as_ref().map(|s| &s.public),
        };
        let hash = chain_hash(&head_hash, &canonical_entry(&facts));
        let private = |side: &Option<StoredSide>| {
            side.as_ref()
                .and_then(|s| s.private.clone())
                .map_or((None, None), |(salt, text)| (Some(salt), Some(text)))
        };
        let (before_salt, before_private) = private(&before);
        let (after_salt, after_private) = private(&after);
        diesel::insert_into(audit_log::table)
            .values((
                audit_log::seq.eq(seq),
                audit_log::at.eq(&at),
                audit_log::user_id.eq(self.author.user_id),
                audit_log::actor_id.eq(self.author.actor_id),
                audit_log::action.eq(action.as_str()),
                audit_log::entity_type.eq(entity_type),
                audit_log::entity_id.eq(entity_id),
                audit_log::before_state.eq(before.as_ref().map(|s| canonical_json(&s.public))),
                audit_log::after_state.eq(after.as_ref().map(|s| canonical_json(&s.public))),
                audit_log::prev_hash.eq(&head_hash),
                audit_log::hash.eq(&hash),
                audit_log::before_private.eq(before_private),
                audit_log::before_salt.eq(before_salt),
                audit_log::after_private.eq(after_private),
                audit_log::after_salt.eq(after_salt),
            ))
            .execute(self.conn)?;
        self.head = Some((seq, hash));
        Ok(seq)
    }

    /// Writes the chain's head back to its table, once, when the transaction's work is done.
    fn store_head(&mut self) -> Result<(), StoreError> {
        if let Some((seq, hash)) = &self.head {
            diesel::update(audit_head::table.filter(audit_head::id.eq(1)))
                .set((audit_head::seq.eq(*seq), audit_head::hash.eq(hash)))
                .execute(self.conn)?;
        }
        Ok(())
    }
}

impl WriteTx<'_> {
    /// Records a change of one entity from its audit states: no `before` is a creation, no
    /// `after` a deletion.
    pub fn record_change<T: Audited>(
        &mut self,
        before: Option<&T>,
        after: Option<&T>,
    ) -> Result<i64, StoreError> {
        let Some(id) = after.or(before).map(Audited::audit_id) else {
            return Err(StoreError::Corrupt(
                "an audited change needs a state before or after".into(),
            ));
        };
        let before_state = before.map(Audited::audit_state).transpose()?;
        let after_state = after.map(Audited::audit_state).transpose()?;
        let action = match (&before_state, &after_state) {
            (None, _) => Action::Create,
            (Some(_), None) => Action::Delete,
            (Some(_), Some(_)) => Action::Update,
        };
        self.record(
            action,
            T::ENTITY,
            &id,
            before_state.as_ref(),
            after_state.as_ref(),
        )
    }
}

/// The current time as both backends store it (UTC, microsecond precision).
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// Runs `f` in one transaction that first takes the audit chain's lock.
pub(super) fn in_write_transaction<T, E>(
    conn: &mut DbConnection,
    author: Author,
    f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<StoreError> + From<diesel::result::Error>,
{
    in_write_transaction_with_tip(conn, author, f).map(|(out, _)| out)
}

/// [`in_write_transaction`], also returning the chain's head it committed when it recorded
/// entries (`None`: the head did not move).
pub(super) fn in_write_transaction_with_tip<T, E>(
    conn: &mut DbConnection,
    author: Author,
    f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>,
) -> Result<(T, Option<super::AuditTip>), E>
where
    E: From<StoreError> + From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        // A write as the first statement: SQLite takes its write lock now (waiting up to the
        // busy timeout) instead of failing later when a read lock cannot be upgraded.
        diesel::update(audit_head::table.filter(audit_head::id.eq(1)))
            .set(audit_head::seq.eq(audit_head::seq))
            .execute(conn)?;
        let mut tx = WriteTx {
            conn,
            author,
            now: now(),
            head: None,
        };
        let out = f(&mut tx)?;
        tx.store_head()?;
        let tip = tx.head.take().map(|(seq, hash)| super::AuditTip {
            seq,
            hash: hash.into(),
        });
        Ok((out, tip))
    })
}

/// One stored audit entry, as published (its private columns are not read).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub user_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before_state: Option<String>,
    pub after_state: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The chain's head: `(seq, hash)` of the last entry (`0` and the genesis hash when empty),
/// and the time of that entry.
pub fn head(conn: &mut DbConnection) -> Result<(i64, String, Option<String>), StoreError> {
    let (seq, hash): (i64, String) = audit_head::table
        .filter(audit_head::id.eq(1))
        .select((audit_head::seq, audit_head::hash))
        .first(conn)?;
    let at: Option<String> = audit_log::table
        .filter(audit_log::seq.eq(seq))
        .select(audit_log::at)
        .first(conn)
        .optional()?;
    Ok((seq, hash, at))
}

/// The latest audit entry about each of these entities of one type, by entity id.
pub fn latest_for(
    conn: &mut DbConnection,
    entity_type: &str,
    ids: &[String],
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows: Vec<AuditEntry> = audit_log::table
        .filter(audit_log::entity_type.eq(entity_type))
        .filter(audit_log::entity_id.eq_any(ids))
        .order(audit_log::seq.asc())
        .select(AuditEntry::as_select())
        .load(conn)?;
    let mut latest: std::collections::HashMap<String, AuditEntry> =
        std::collections::HashMap::new();
    for r in rows {
        latest.insert(r.entity_id.clone(), r);
    }
    Ok(latest.into_values().collect())
}

/// Entries with `seq >= from`, in order, at most `limit`.
pub fn entries_from(
    conn: &mut DbConnection,
    from: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>, StoreError> {
    Ok(audit_log::table
        .filter(audit_log::seq.ge(from))
        .order(audit_log::seq.asc())
        .limit(limit)
        .select(AuditEntry::as_select())
        .load(conn)?)
}

/// An entry's private parts and their salts: never published, read only to verify the
/// commitments and to reveal them to an auditor (`ayni audit reveal`).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct PrivateParts {
    pub seq: i64,
    pub before_private: Option<String>,
    pub before_salt: Option<String>,
    pub after_private: Option<String>,
    pub after_salt: Option<String>,
}

impl PrivateParts {
    /// `(salt, private text)` of the state before the write, when it had a private part.
    pub fn before(&self) -> Option<(&str, &str)> {
        Some((
            self.before_salt.as_deref()?,
            self.before_private.as_deref()?,
        ))
    }

    /// `(salt, private text)` of the state after the write, when it has a private part.
    pub fn after(&self) -> Option<(&str, &str)> {
        Some((self.after_salt.as_deref()?, self.after_private.as_deref()?))
    }
}

/// Entries with `seq >= from` with their private parts, in order, at most `limit`.
pub fn entries_with_private_from(
    conn: &mut DbConnection,
    from: i64,
    limit: i64,
) -> Result<Vec<(AuditEntry, PrivateParts)>, StoreError> {
    Ok(audit_log::table
        .filter(audit_log::seq.ge(from))
        .order(audit_log::seq.asc())
        .limit(limit)
        .select((AuditEntry::as_select(), PrivateParts::as_select()))
        .load(conn)?)
}

/// One entry with its private parts (for `ayni audit reveal`).
pub fn entry_with_private(
    conn: &mut DbConnection,
    seq: i64,
) -> Result<Option<(AuditEntry, PrivateParts)>, StoreError> {
    Ok(audit_log::table
        .filter(audit_log::seq.eq(seq))
        .select((AuditEntry::as_select(), PrivateParts::as_select()))
        .first(conn)
        .optional()?)
}
