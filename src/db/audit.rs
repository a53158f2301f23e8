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

use super::audit_state::Audited;
use super::schema::{audit_head, audit_log};
use super::{DbConnection, StoreError};
use crate::domain::audit::{
    AuditState, EntryTexts, TIME_FORMAT, canonical_entry_text, canonical_json, chain_hash,
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

/// One side (before or after) of an entry, as stored: the published state as canonical
/// text, and the private part with its salt when there is one.
struct StoredSide {
    public: String,
    private: Option<(String, String)>,
}

fn seal_side(state: &AuditState) -> StoredSide {
    match state.private_canonical() {
        Some(private) => {
            let salt = fresh_salt();
            StoredSide {
                public: canonical_json(&state.sealed(&salt)),
                private: Some((salt, private)),
            }
        }
        None => StoredSide {
            public: canonical_json(&state.sealed("")),
            private: None,
        },
    }
}

/// One change to record, not yet placed in the chain: see [`WriteTx::record_all`].
pub struct Change {
    pub action: Action,
    pub entity_type: &'static str,
    pub entity_id: String,
    pub before: Option<AuditState>,
    pub after: Option<AuditState>,
}

/// A change with its states sealed (salts drawn, commitments and canonical texts made): all
/// of an entry but its place in the chain.
struct SealedChange<'a> {
    action: Action,
    entity_type: &'a str,
    entity_id: &'a str,
    before: Option<StoredSide>,
    after: Option<StoredSide>,
}

impl<'a> SealedChange<'a> {
    fn new(
        action: Action,
        entity_type: &'a str,
        entity_id: &'a str,
        before: Option<&AuditState>,
        after: Option<&AuditState>,
    ) -> Self {
        SealedChange {
            action,
            entity_type,
            entity_id,
            before: before.map(seal_side),
            after: after.map(seal_side),
        }
    }
}

/// A row of `audit_log` as written.
#[derive(Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
struct NewEntry<'a> {
    seq: i64,
    at: &'a str,
    user_id: Option<i64>,
    actor_id: Option<i64>,
    action: &'static str,
    entity_type: &'a str,
    entity_id: &'a str,
    before_state: Option<&'a str>,
    after_state: Option<&'a str>,
    prev_hash: String,
    hash: String,
    before_private: Option<&'a str>,
    before_salt: Option<&'a str>,
    after_private: Option<&'a str>,
    after_salt: Option<&'a str>,
}

/// Seals each change of a batch (see [`WriteTx::record_all`]).
fn seal_all(batch: &[Change]) -> Vec<SealedChange<'_>> {
    batch
        .iter()
        .map(|c| {
            SealedChange::new(
                c.action,
                c.entity_type,
                &c.entity_id,
                c.before.as_ref(),
                c.after.as_ref(),
            )
        })
        .collect()
}

/// Entries per multi-row `INSERT` of [`WriteTx::record_all`]: 15 parameters each, under
/// SQLite's limit of 32 766 and PostgreSQL's of 65 535.
const ENTRIES_PER_STATEMENT: usize = 1000;

/// Changes sealed per thread at once by [`WriteTx::record_all`].
const SEALED_PER_BATCH: usize = 10_000;

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
        let sealed = SealedChange::new(action, entity_type, entity_id, before, after);
        let (head_seq, head_hash) = self.current_head()?;
        let at = self.at();
        let entry = self.link(&sealed, &at, head_seq + 1, head_hash);
        let seq = entry.seq;
        let hash = entry.hash.clone();
        let insert = diesel::insert_into(audit_log::table).values(&entry);
        match &mut *self.conn {
            DbConnection::Sqlite(c) => insert.execute(c)?,
            DbConnection::Postgres(c) => insert.execute(c)?,
        };
        self.head = Some((seq, hash));
        Ok(seq)
    }

    /// Appends one entry per change, in order, exactly as as many [`WriteTx::record`] calls
    /// would (the same sequence numbers, states, commitments and hashes; only the salts are
    /// fresh random draws either way): the states are sealed on every core, the chain's
    /// hashes computed in memory, and the entries stored with multi-row `INSERT`s. Returns
    /// the sequence number of the last entry (the head's when `changes` is empty).
    pub fn record_all(&mut self, changes: &[Change]) -> Result<i64, StoreError> {
        let (mut seq, mut prev) = self.current_head()?;
        if changes.is_empty() {
            return Ok(seq);
        }
        let at = self.at();
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        for batch in changes.chunks(SEALED_PER_BATCH) {
            // Sealing (JSON, salts, commitments) is independent per change: split it over the
            // cores. Only the hashes form a chain.
            let sealed: Vec<SealedChange<'_>> = if threads > 1 && batch.len() >= 2 * threads {
                let per = batch.len().div_ceil(threads);
                std::thread::scope(|scope| {
                    let parts: Vec<_> = batch
                        .chunks(per)
                        .map(|part| scope.spawn(move || seal_all(part)))
                        .collect();
                    let mut out = Vec::with_capacity(batch.len());
                    for part in parts {
                        out.extend(part.join().map_err(|_| {
                            StoreError::Corrupt("sealing audit states failed".into())
                        })?);
                    }
                    Ok::<_, StoreError>(out)
                })?
            } else {
                seal_all(batch)
            };
            let mut entries = Vec::with_capacity(sealed.len());
            for s in &sealed {
                seq += 1;
                let entry = self.link(s, &at, seq, prev);
                prev = entry.hash.clone();
                entries.push(entry);
            }
            for chunk in entries.chunks(ENTRIES_PER_STATEMENT) {
                let insert = diesel::insert_into(audit_log::table).values(chunk);
                match &mut *self.conn {
                    DbConnection::Sqlite(c) => insert.execute(c)?,
                    DbConnection::Postgres(c) => insert.execute(c)?,
                };
            }
        }
        self.head = Some((seq, prev));
        Ok(seq)
    }

    /// The chain's head as this transaction sees it.
    fn current_head(&mut self) -> Result<(i64, String), StoreError> {
        Ok(match &self.head {
            Some((seq, hash)) => (*seq, hash.clone()),
            None => audit_head::table
                .filter(audit_head::id.eq(1))
                .select((audit_head::seq, audit_head::hash))
                .first::<(i64, String)>(self.conn)?,
        })
    }

    /// The transaction's time as entries record it.
    fn at(&self) -> String {
        self.now.and_utc().format(TIME_FORMAT).to_string()
    }

    /// A sealed change placed in the chain at `seq`, after the entry whose hash is `prev`.
    fn link<'s>(
        &self,
        s: &'s SealedChange<'s>,
        at: &'s str,
        seq: i64,
        prev: String,
    ) -> NewEntry<'s> {
        let texts = EntryTexts {
            seq,
            at,
            user_id: self.author.user_id,
            actor_id: self.author.actor_id,
            action: s.action.as_str(),
            entity_type: s.entity_type,
            entity_id: s.entity_id,
            before: s.before.as_ref().map(|b| b.public.as_str()),
            after: s.after.as_ref().map(|a| a.public.as_str()),
        };
        let hash = chain_hash(&prev, &canonical_entry_text(&texts));
        let private = |side: &'s Option<StoredSide>| {
            side.as_ref()
                .and_then(|s| s.private.as_ref())
                .map_or((None, None), |(salt, text)| {
                    (Some(salt.as_str()), Some(text.as_str()))
                })
        };
        let (before_salt, before_private) = private(&s.before);
        let (after_salt, after_private) = private(&s.after);
        NewEntry {
            seq,
            at,
            user_id: self.author.user_id,
            actor_id: self.author.actor_id,
            action: s.action.as_str(),
            entity_type: s.entity_type,
            entity_id: s.entity_id,
            before_state: texts.before,
            after_state: texts.after,
            prev_hash: prev,
            hash,
            before_private,
            before_salt,
            after_private,
            after_salt,
        }
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
        let c = Change::of(before, after)?;
        self.record(
            c.action,
            c.entity_type,
            &c.entity_id,
            c.before.as_ref(),
            c.after.as_ref(),
        )
    }
}

impl Change {
    /// The change of one entity from its audit states, as [`WriteTx::record_change`] records
    /// it: no `before` is a creation, no `after` a deletion.
    pub fn of<T: Audited>(before: Option<&T>, after: Option<&T>) -> Result<Change, StoreError> {
        let Some(entity_id) = after.or(before).map(Audited::audit_id) else {
            return Err(StoreError::Corrupt(
                "an audited change needs a state before or after".into(),
            ));
        };
        let before = before.map(Audited::audit_state).transpose()?;
        let after = after.map(Audited::audit_state).transpose()?;
        let action = match (&before, &after) {
            (None, _) => Action::Create,
            (Some(_), None) => Action::Delete,
            (Some(_), Some(_)) => Action::Update,
        };
        Ok(Change {
            action,
            entity_type: T::ENTITY,
            entity_id,
            before,
            after,
        })
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
