//! Commitments of the coordinating body, their links to objectives and investments, and
//! the history of their statuses.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{
    commitment_investments, commitment_objectives, commitment_status_changes, commitments,
};
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::commitment::{
    CommitmentDraft, CommitmentKind, CommitmentSource, CommitmentStatus, Cui, Day, StatusChange,
};

pub const ENTITY: &str = "commitment";
pub const STATUS_CHANGE: &str = "commitment_status_change";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = commitments)]
pub struct Commitment {
    pub id: i64,
    pub ecosystem_id: i64,
    pub text_es: String,
    pub text_en: Option<String>,
    pub kind: CommitmentKind,
    pub source: CommitmentSource,
    pub source_reference: String,
    pub source_date: Day,
    pub responsible_actor_id: i64,
    pub deadline: Option<Day>,
    pub status: CommitmentStatus,
    pub evidence_url: Option<String>,
    pub evidence_text: Option<String>,
    pub status_note: Option<String>,
    pub status_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A commitment with its links, as the audit chain records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Linked {
    pub row: Commitment,
    /// Sorted.
    pub objective_ids: Vec<i64>,
    /// Sorted.
    pub cuis: Vec<Cui>,
}

/// One status a commitment took, with what came with it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = commitment_status_changes)]
pub struct StatusEntry {
    pub id: i64,
    pub commitment_id: i64,
    pub status: CommitmentStatus,
    pub evidence_url: Option<String>,
    pub evidence_text: Option<String>,
    pub note: Option<String>,
    pub changed_by: Option<i64>,
    pub changed_at: NaiveDateTime,
}

fn write_links(
    tx: &mut WriteTx<'_>,
    id: i64,
    objective_ids: &[i64],
    cuis: &[Cui],
) -> Result<(), StoreError> {
    diesel::delete(
        commitment_objectives::table.filter(commitment_objectives::commitment_id.eq(id)),
    )
    .execute(tx.conn())?;
    diesel::delete(
        commitment_investments::table.filter(commitment_investments::commitment_id.eq(id)),
    )
    .execute(tx.conn())?;
    // One row at a time: the backend-generic connection has no multi-row insert, and a
    // commitment has a handful of links (at most `MAX_LINKS` of each).
    for o in objective_ids {
        diesel::insert_into(commitment_objectives::table)
            .values((
                commitment_objectives::commitment_id.eq(id),
                commitment_objectives::objective_id.eq(*o),
            ))
            .execute(tx.conn())?;
    }
    for c in cuis {
        diesel::insert_into(commitment_investments::table)
            .values((
                commitment_investments::commitment_id.eq(id),
                commitment_investments::cui.eq(c.as_str()),
            ))
            .execute(tx.conn())?;
    }
    Ok(())
}

/// Appends a status to the history and records it.
fn append_history(
    tx: &mut WriteTx<'_>,
    id: i64,
    change: &StatusChange,
) -> Result<StatusEntry, StoreError> {
    let (url, text, note) = change.stored_parts();
    let now = tx.now();
    let by = tx.author().user_id;
    diesel::insert_into(commitment_status_changes::table)
        .values((
            commitment_status_changes::commitment_id.eq(id),
            commitment_status_changes::status.eq(change.status().as_str()),
            commitment_status_changes::evidence_url.eq(url),
            commitment_status_changes::evidence_text.eq(text),
            commitment_status_changes::note.eq(note),
            commitment_status_changes::changed_by.eq(by),
            commitment_status_changes::changed_at.eq(now),
        ))
        .execute(tx.conn())?;
    let entry: StatusEntry = commitment_status_changes::table
        .filter(commitment_status_changes::commitment_id.eq(id))
        .order(commitment_status_changes::id.desc())
        .select(StatusEntry::as_select())
        .first(tx.conn())?;
    tx.record_change(None, Some(&entry))?;
    Ok(entry)
}

fn require(conn: &mut DbConnection, id: i64) -> Result<Linked, StoreError> {
    by_id(conn, id)?.ok_or_else(|| StoreError::NotFound {
        entity: ENTITY,
        key: id.to_string(),
    })
}

/// Creates a pending commitment, with its links and the first entry of its history.
pub fn create(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    draft: &CommitmentDraft,
) -> Result<Linked, StoreError> {
    let now = tx.now();
    diesel::insert_into(commitments::table)
        .values((
            commitments::ecosystem_id.eq(ecosystem_id),
            commitments::text_es.eq(&draft.text),
            commitments::text_en.eq(draft.text_en.as_deref()),
            commitments::kind.eq(draft.kind.as_str()),
            commitments::source.eq(draft.source.as_str()),
            commitments::source_reference.eq(&draft.source_reference),
            commitments::source_date.eq(draft.source_date.to_string()),
            commitments::responsible_actor_id.eq(draft.responsible_actor_id),
            commitments::deadline.eq(draft.deadline.map(|d| d.to_string())),
            commitments::status.eq(CommitmentStatus::Pending.as_str()),
            commitments::status_at.eq(now),
            commitments::created_at.eq(now),
            commitments::updated_at.eq(now),
        ))
        .execute(tx.conn())?;
    let id: i64 = commitments::table
        .filter(commitments::ecosystem_id.eq(ecosystem_id))
        .order(commitments::id.desc())
        .select(commitments::id)
        .first(tx.conn())?;
    write_links(tx, id, &draft.objective_ids, &draft.cuis)?;
    let after = require(tx.conn(), id)?;
    tx.record_change(None, Some(&after))?;
    append_history(tx, id, &StatusChange::Pending { note: None })?;
    Ok(after)
}

/// Replaces what a commitment says (not its status).
pub fn update(
    tx: &mut WriteTx<'_>,
    before: &Linked,
    draft: &CommitmentDraft,
) -> Result<Linked, StoreError> {
    let id = before.row.id;
    diesel::update(commitments::table.find(id))
        .set((
            commitments::text_es.eq(&draft.text),
            commitments::text_en.eq(draft.text_en.as_deref()),
            commitments::kind.eq(draft.kind.as_str()),
            commitments::source.eq(draft.source.as_str()),
            commitments::source_reference.eq(&draft.source_reference),
            commitments::source_date.eq(draft.source_date.to_string()),
            commitments::responsible_actor_id.eq(draft.responsible_actor_id),
            commitments::deadline.eq(draft.deadline.map(|d| d.to_string())),
            commitments::updated_at.eq(tx.now()),
        ))
        .execute(tx.conn())?;
    write_links(tx, id, &draft.objective_ids, &draft.cuis)?;
    let after = require(tx.conn(), id)?;
    tx.record_change(Some(before), Some(&after))?;
    Ok(after)
}

/// Sets the status: the commitment's update and a new history entry, each audited.
pub fn set_status(
    tx: &mut WriteTx<'_>,
    before: &Linked,
    change: &StatusChange,
) -> Result<Linked, StoreError> {
    let id = before.row.id;
    let (url, text, note) = change.stored_parts();
    let now = tx.now();
    diesel::update(commitments::table.find(id))
        .set((
            commitments::status.eq(change.status().as_str()),
            commitments::evidence_url.eq(url),
            commitments::evidence_text.eq(text),
            commitments::status_note.eq(note),
            commitments::status_at.eq(now),
            commitments::updated_at.eq(now),
        ))
        .execute(tx.conn())?;
    let after = require(tx.conn(), id)?;
    tx.record_change(Some(before), Some(&after))?;
    append_history(tx, id, change)?;
    Ok(after)
}

/// Rows with their links: two more queries (per 500 rows).
fn with_links(conn: &mut DbConnection, rows: Vec<Commitment>) -> Result<Vec<Linked>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut objectives: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut cuis: HashMap<i64, Vec<Cui>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let pairs: Vec<(i64, i64)> = commitment_objectives::table
            .filter(commitment_objectives::commitment_id.eq_any(chunk))
            .order((
                commitment_objectives::commitment_id.asc(),
                commitment_objectives::objective_id.asc(),
            ))
            .select((
                commitment_objectives::commitment_id,
                commitment_objectives::objective_id,
            ))
            .load(conn)?;
        for (c, o) in pairs {
            objectives.entry(c).or_default().push(o);
        }
        let pairs: Vec<(i64, String)> = commitment_investments::table
            .filter(commitment_investments::commitment_id.eq_any(chunk))
            .order((
                commitment_investments::commitment_id.asc(),
                commitment_investments::cui.asc(),
            ))
            .select((
                commitment_investments::commitment_id,
                commitment_investments::cui,
            ))
            .load(conn)?;
        for (c, cui) in pairs {
            cuis.entry(c).or_default().push(Cui::from_stored(&cui));
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| Linked {
            objective_ids: objectives.remove(&row.id).unwrap_or_default(),
            cuis: cuis.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<Option<Linked>, StoreError> {
    let Some(row) = commitments::table
        .find(id)
        .select(Commitment::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    Ok(with_links(conn, vec![row])?.pop())
}

/// An ecosystem's commitments, by deadline (none last), then id.
pub fn of_ecosystem(conn: &mut DbConnection, ecosystem_id: i64) -> Result<Vec<Linked>, StoreError> {
    let rows: Vec<Commitment> = commitments::table
        .filter(commitments::ecosystem_id.eq(ecosystem_id))
        .order(commitments::id.asc())
        .select(Commitment::as_select())
        .load(conn)?;
    with_links(conn, rows)
}

/// The commitments an actor is responsible for, in every ecosystem.
pub fn of_actor(conn: &mut DbConnection, actor_id: i64) -> Result<Vec<Linked>, StoreError> {
    let rows: Vec<Commitment> = commitments::table
        .filter(commitments::responsible_actor_id.eq(actor_id))
        .order(commitments::id.asc())
        .select(Commitment::as_select())
        .load(conn)?;
    with_links(conn, rows)
}

/// An ecosystem's commitments that name this investment's CUI (one query for the ids,
/// one for the rows, and the links batch-loaded).
pub fn of_cui(
    conn: &mut DbConnection,
    ecosystem_id: i64,
    cui: &str,
) -> Result<Vec<Linked>, StoreError> {
    let rows: Vec<Commitment> = commitments::table
        .filter(commitments::ecosystem_id.eq(ecosystem_id))
        .filter(
            commitments::id.eq_any(
                commitment_investments::table
                    .filter(commitment_investments::cui.eq(cui))
                    .select(commitment_investments::commitment_id),
            ),
        )
        .order(commitments::id.asc())
        .select(Commitment::as_select())
        .load(conn)?;
    with_links(conn, rows)
}

/// The commitments linked to any of these objectives, with the objective each is linked
/// to: `(objective id, commitment)` pairs.
pub fn of_objectives(
    conn: &mut DbConnection,
    objective_ids: &[i64],
) -> Result<Vec<(i64, Linked)>, StoreError> {
    let mut pairs: Vec<(i64, i64)> = Vec::new();
    for chunk in objective_ids.chunks(500) {
        pairs.extend(
            commitment_objectives::table
                .filter(commitment_objectives::objective_id.eq_any(chunk))
                .select((
                    commitment_objectives::objective_id,
                    commitment_objectives::commitment_id,
                ))
                .load::<(i64, i64)>(conn)?,
        );
    }
    let mut ids: Vec<i64> = pairs.iter().map(|(_, c)| *c).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut rows = Vec::new();
    for chunk in ids.chunks(500) {
        rows.extend(
            commitments::table
                .filter(commitments::id.eq_any(chunk))
                .order(commitments::id.asc())
                .select(Commitment::as_select())
                .load::<Commitment>(conn)?,
        );
    }
    let linked: HashMap<i64, Linked> = with_links(conn, rows)?
        .into_iter()
        .map(|l| (l.row.id, l))
        .collect();
    pairs.sort_unstable();
    Ok(pairs
        .into_iter()
        .filter_map(|(o, c)| linked.get(&c).map(|l| (o, l.clone())))
        .collect())
}

/// The history of these commitments, oldest first.
pub fn history_of(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<StatusEntry>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            commitment_status_changes::table
                .filter(commitment_status_changes::commitment_id.eq_any(chunk))
                .order(commitment_status_changes::id.asc())
                .select(StatusEntry::as_select())
                .load::<StatusEntry>(conn)?,
        );
    }
    Ok(out)
}

/// Every commitment with its links (audit verification).
pub fn all(conn: &mut DbConnection) -> Result<Vec<Linked>, StoreError> {
    let rows: Vec<Commitment> = commitments::table
        .order(commitments::id.asc())
        .select(Commitment::as_select())
        .load(conn)?;
    with_links(conn, rows)
}

/// Every history entry (audit verification).
pub fn all_history(conn: &mut DbConnection) -> Result<Vec<StatusEntry>, StoreError> {
    Ok(commitment_status_changes::table
        .order(commitment_status_changes::id.asc())
        .select(StatusEntry::as_select())
        .load(conn)?)
}
