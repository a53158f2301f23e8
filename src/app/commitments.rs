//! Commitments of the coordinating body: coordinators and admins record and edit them and
//! set their status; a contributor of the responsible actor moves its own commitments to
//! in progress or fulfilled (with evidence). Everything about them is public, and every
//! status change is a new entry of the history and of the audit chain.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};

use crate::db::DbConnection;
use crate::db::models::commitment::{self, Linked, StatusEntry};
use crate::db::models::{actor, ecosystem, objective};
use crate::domain::Role;
use crate::domain::commitment::{
    CommitmentDraft, CommitmentKind, CommitmentSource, CommitmentStatus, Day, RawCommitment,
    StatusChange, Timeliness,
};

use super::model::{Actor, Ecosystem};
use super::{AppError, Ayni, Caller};

/// What a commitment says, as typed (every field; see [`CommitmentPatch`] for edits).
#[derive(Debug, Clone, Default)]
pub struct CommitmentInput {
    pub text: String,
    pub text_en: Option<String>,
    pub kind: String,
    pub source: String,
    pub source_reference: String,
    pub source_date: String,
    pub responsible_actor_id: i64,
    pub deadline: Option<String>,
    pub objective_ids: Vec<i64>,
    pub cuis: Vec<String>,
}

/// An edit: `None` keeps a field's value; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct CommitmentPatch {
    pub text: Option<String>,
    pub text_en: Option<Option<String>>,
    pub kind: Option<String>,
    pub source: Option<String>,
    pub source_reference: Option<String>,
    pub source_date: Option<String>,
    pub responsible_actor_id: Option<i64>,
    pub deadline: Option<Option<String>>,
    pub objective_ids: Option<Vec<i64>>,
    pub cuis: Option<Vec<String>>,
}

/// A status to set, as typed: `evidenceUrl`/`evidenceText` for `fulfilled`, `reason` for
/// `dropped` (a note for the other statuses).
#[derive(Debug, Clone, Default)]
pub struct StatusInput {
    pub status: String,
    pub evidence_url: Option<String>,
    pub evidence_text: Option<String>,
    pub reason: Option<String>,
}

/// Which commitments to list; every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct CommitmentFilter {
    pub status: Option<CommitmentStatus>,
    /// `true`: only overdue ones; `false`: only those not overdue.
    pub overdue: Option<bool>,
    pub actor_id: Option<i64>,
    pub kind: Option<CommitmentKind>,
    pub objective_id: Option<i64>,
    /// The same by the objective's code (e.g. `OE3`).
    pub objective_code: Option<String>,
}

/// An objective a commitment serves.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectiveRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// One status a commitment took.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusStep {
    pub status: CommitmentStatus,
    pub evidence_url: Option<String>,
    pub evidence_text: Option<String>,
    /// The reason for dropping, or a note.
    pub note: Option<String>,
    pub changed_at: NaiveDateTime,
}

/// A commitment as every interface shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitmentView {
    pub id: i64,
    pub ecosystem_id: i64,
    pub text: String,
    pub text_en: Option<String>,
    pub kind: CommitmentKind,
    pub source: CommitmentSource,
    pub source_reference: String,
    pub source_date: Day,
    pub responsible: Actor,
    pub deadline: Option<Day>,
    pub status: CommitmentStatus,
    pub evidence_url: Option<String>,
    pub evidence_text: Option<String>,
    /// Why it was dropped (or a note on its current status).
    pub status_note: Option<String>,
    /// When it reached its current status.
    pub status_at: NaiveDateTime,
    pub timeliness: Timeliness,
    pub objectives: Vec<ObjectiveRef>,
    /// Linked investments' CUIs.
    pub cuis: Vec<String>,
    /// Every status it had, oldest first (its creation as `pending` first).
    pub history: Vec<StatusStep>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// How many commitments are in each status, and how many are overdue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitmentCounts {
    pub total: usize,
    pub pending: usize,
    pub in_progress: usize,
    pub fulfilled: usize,
    pub dropped: usize,
    /// Open and past their deadline.
    pub overdue: usize,
    /// Fulfilled after their deadline.
    pub fulfilled_late: usize,
}

impl CommitmentCounts {
    pub fn of(items: &[CommitmentView]) -> CommitmentCounts {
        let mut c = CommitmentCounts {
            total: items.len(),
            ..CommitmentCounts::default()
        };
        for i in items {
            match i.status {
                CommitmentStatus::Pending => c.pending += 1,
                CommitmentStatus::InProgress => c.in_progress += 1,
                CommitmentStatus::Fulfilled => c.fulfilled += 1,
                CommitmentStatus::Dropped => c.dropped += 1,
            }
            match i.timeliness {
                Timeliness::Overdue { .. } => c.overdue += 1,
                Timeliness::FulfilledLate { .. } => c.fulfilled_late += 1,
                _ => {}
            }
        }
        c
    }
}

/// An ecosystem's commitments: the ones the filter keeps, and counts over all of them.
#[derive(Debug, Clone)]
pub struct CommitmentList {
    pub ecosystem: Ecosystem,
    pub items: Vec<CommitmentView>,
    /// Over every commitment of the ecosystem (not only the filtered ones).
    pub counts: CommitmentCounts,
    /// The objectives of the ecosystem (code, name), for filters and forms.
    pub objectives: Vec<ObjectiveRef>,
    /// The actors responsible for at least one commitment, by name.
    pub actors: Vec<Actor>,
}

impl CommitmentFilter {
    fn keeps(&self, v: &CommitmentView) -> bool {
        self.status.is_none_or(|s| v.status == s)
            && self.overdue.is_none_or(|o| v.timeliness.is_overdue() == o)
            && self.actor_id.is_none_or(|a| v.responsible.id == a)
            && self.kind.is_none_or(|k| v.kind == k)
            && self
                .objective_id
                .is_none_or(|o| v.objectives.iter().any(|x| x.id == o))
            && self
                .objective_code
                .as_deref()
                .is_none_or(|c| v.objectives.iter().any(|x| x.code == c))
    }
}

/// Read models of these commitments: their actors, objectives and histories in three
/// queries whatever their number.
fn views(
    conn: &mut DbConnection,
    rows: Vec<Linked>,
    today: NaiveDate,
) -> Result<Vec<CommitmentView>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.row.id).collect();
    let mut actor_ids: Vec<i64> = rows.iter().map(|r| r.row.responsible_actor_id).collect();
    actor_ids.sort_unstable();
    actor_ids.dedup();
    let actors: HashMap<i64, Actor> = actor::by_ids(conn, &actor_ids)?
        .into_iter()
        .map(|a| (a.id, Actor::from(a)))
        .collect();
    let mut objective_ids: Vec<i64> = rows
        .iter()
        .flat_map(|r| r.objective_ids.iter().copied())
        .collect();
    objective_ids.sort_unstable();
    objective_ids.dedup();
    let objectives: HashMap<i64, ObjectiveRef> = objective::by_ids(conn, &objective_ids)?
        .into_iter()
        .map(|o| {
            (
                o.id,
                ObjectiveRef {
                    id: o.id,
                    code: o.code,
                    name: o.name,
                },
            )
        })
        .collect();
    let mut history: HashMap<i64, Vec<StatusStep>> = HashMap::new();
    for e in commitment::history_of(conn, &ids)? {
        history.entry(e.commitment_id).or_default().push(step(e));
    }
    rows.into_iter()
        .map(|l| {
            let r = l.row;
            let responsible = actors
                .get(&r.responsible_actor_id)
                .cloned()
                .ok_or_else(|| {
                    AppError::internal(format!("actor {} missing", r.responsible_actor_id))
                })?;
            let mut objs: Vec<ObjectiveRef> = l
                .objective_ids
                .iter()
                .filter_map(|o| objectives.get(o).cloned())
                .collect();
            objs.sort_by(|a, b| code_order(&a.code, &b.code));
            Ok(CommitmentView {
                timeliness: Timeliness::of(r.status, r.deadline, r.status_at.date(), today),
                id: r.id,
                ecosystem_id: r.ecosystem_id,
                text: r.text_es,
                text_en: r.text_en,
                kind: r.kind,
                source: r.source,
                source_reference: r.source_reference,
                source_date: r.source_date,
                responsible,
                deadline: r.deadline,
                status: r.status,
                evidence_url: r.evidence_url,
                evidence_text: r.evidence_text,
                status_note: r.status_note,
                status_at: r.status_at,
                objectives: objs,
                cuis: l.cuis.iter().map(|c| c.as_str().to_string()).collect(),
                history: history.remove(&r.id).unwrap_or_default(),
                created_at: r.created_at,
                updated_at: r.updated_at,
            })
        })
        .collect()
}

/// Codes in natural order: `OE2` before `OE10`.
fn code_order(a: &str, b: &str) -> std::cmp::Ordering {
    let split = |s: &str| {
        let digits: String = s.chars().rev().take_while(char::is_ascii_digit).collect();
        let n: u64 = digits
            .chars()
            .rev()
            .collect::<String>()
            .parse()
            .unwrap_or(0);
        (
            s.trim_end_matches(|c: char| c.is_ascii_digit()).to_string(),
            n,
        )
    };
    split(a).cmp(&split(b)).then_with(|| a.cmp(b))
}

fn step(e: StatusEntry) -> StatusStep {
    StatusStep {
        status: e.status,
        evidence_url: e.evidence_url,
        evidence_text: e.evidence_text,
        note: e.note,
        changed_at: e.changed_at,
    }
}

/// The order of a list: overdue first (most late first), then open by deadline, then the
/// rest by deadline; ties by id.
fn sort_for_reading(items: &mut [CommitmentView]) {
    items.sort_by_key(|v| {
        let rank = match v.timeliness {
            Timeliness::Overdue { .. } => 0,
            Timeliness::OnTime | Timeliness::NoDeadline => 1,
            _ => 2,
        };
        (
            rank,
            std::cmp::Reverse(v.timeliness.days_late()),
            v.deadline.map_or(NaiveDate::MAX, |d| d.date()),
            v.id,
        )
    });
}

/// The draft of an input, with its references checked against the ecosystem.
fn checked_draft(
    conn: &mut DbConnection,
    ecosystem_id: i64,
    input: &CommitmentInput,
) -> Result<CommitmentDraft, AppError> {
    let draft = CommitmentDraft::parse(&RawCommitment {
        text: &input.text,
        text_en: input.text_en.as_deref(),
        kind: &input.kind,
        source: &input.source,
        source_reference: &input.source_reference,
        source_date: &input.source_date,
        responsible_actor_id: input.responsible_actor_id,
        deadline: input.deadline.as_deref(),
        objective_ids: &input.objective_ids,
        cuis: &input.cuis,
    })?;
    if actor::by_id(conn, draft.responsible_actor_id)?.is_none() {
        return Err(AppError::invalid(
            "responsibleActorId",
            "unknown",
            format!("no actor with id {}", draft.responsible_actor_id),
        ));
    }
    let found = objective::by_ids(conn, &draft.objective_ids)?;
    let foreign: Vec<String> = draft
        .objective_ids
        .iter()
        .filter(|id| {
            !found
                .iter()
                .any(|o| o.id == **id && o.ecosystem_id == ecosystem_id)
        })
        .map(i64::to_string)
        .collect();
    if !foreign.is_empty() {
        return Err(AppError::invalid(
            "objectiveIds",
            "unknown",
            format!(
                "no objective of this ecosystem with id {}",
                foreign.join(", ")
            ),
        ));
    }
    Ok(draft)
}

/// The input that keeps a commitment as it is, with the patch applied.
fn patched(before: &Linked, p: CommitmentPatch) -> CommitmentInput {
    let r = &before.row;
    CommitmentInput {
        text: p.text.unwrap_or_else(|| r.text_es.clone()),
        text_en: p.text_en.unwrap_or_else(|| r.text_en.clone()),
        kind: p.kind.unwrap_or_else(|| r.kind.as_str().into()),
        source: p.source.unwrap_or_else(|| r.source.as_str().into()),
        source_reference: p
            .source_reference
            .unwrap_or_else(|| r.source_reference.clone()),
        source_date: p.source_date.unwrap_or_else(|| r.source_date.to_string()),
        responsible_actor_id: p.responsible_actor_id.unwrap_or(r.responsible_actor_id),
        deadline: p
            .deadline
            .unwrap_or_else(|| r.deadline.map(|d| d.to_string())),
        objective_ids: p
            .objective_ids
            .unwrap_or_else(|| before.objective_ids.clone()),
        cuis: p
            .cuis
            .unwrap_or_else(|| before.cuis.iter().map(|c| c.as_str().to_string()).collect()),
    }
}

fn one(conn: &mut DbConnection, row: Linked, today: NaiveDate) -> Result<CommitmentView, AppError> {
    views(conn, vec![row], today)?
        .pop()
        .ok_or_else(|| AppError::internal("a commitment without its view"))
}

/// Today, as the commitments' overdue status counts it (UTC).
pub fn commitments_today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

impl Ayni {
    /// Records a commitment (pending). Coordinator or admin.
    pub async fn create_commitment(
        &self,
        caller: &Caller,
        ecosystem_id: i64,
        input: CommitmentInput,
    ) -> Result<CommitmentView, AppError> {
        caller.require(Role::manages_strategy, "record commitments")?;
        self.db
            .write(caller.author(), move |tx| {
                if ecosystem::by_id(tx.conn(), ecosystem_id)?.is_none() {
                    return Err(AppError::invalid(
                        "ecosystemId",
                        "unknown",
                        format!("no ecosystem with id {ecosystem_id}"),
                    ));
                }
                let draft = checked_draft(tx.conn(), ecosystem_id, &input)?;
                let created = commitment::create(tx, ecosystem_id, &draft)?;
                one(tx.conn(), created, commitments_today())
            })
            .await
    }

    /// Edits what a commitment says (not its status). Coordinator or admin.
    pub async fn update_commitment(
        &self,
        caller: &Caller,
        id: i64,
        patch: CommitmentPatch,
    ) -> Result<CommitmentView, AppError> {
        caller.require(Role::manages_strategy, "edit commitments")?;
        self.db
            .write(caller.author(), move |tx| {
                let before = commitment::by_id(tx.conn(), id)?
                    .ok_or_else(|| AppError::not_found(format!("commitment {id}")))?;
                let input = patched(&before, patch);
                let draft = checked_draft(tx.conn(), before.row.ecosystem_id, &input)?;
                let after = commitment::update(tx, &before, &draft)?;
                one(tx.conn(), after, commitments_today())
            })
            .await
    }

    /// Sets a commitment's status. Coordinators and admins set any; a contributor of the
    /// responsible actor moves an open one to in progress or fulfilled (with evidence).
    pub async fn set_commitment_status(
        &self,
        caller: &Caller,
        id: i64,
        input: StatusInput,
    ) -> Result<CommitmentView, AppError> {
        if !matches!(
            caller.role,
            Role::Admin | Role::Coordinator | Role::Contributor
        ) {
            return Err(AppError::Forbidden(format!(
                "the {} role may not change commitments",
                caller.role.as_str()
            )));
        }
        let change = StatusChange::parse(
            &input.status,
            input.evidence_url.as_deref(),
            input.evidence_text.as_deref(),
            input.reason.as_deref(),
        )?;
        let caller = caller.clone();
        self.db
            .write(caller.author(), move |tx| {
                let before = commitment::by_id(tx.conn(), id)?
                    .ok_or_else(|| AppError::not_found(format!("commitment {id}")))?;
                if !caller.role.manages_strategy() {
                    if caller.actor_id != Some(before.row.responsible_actor_id) {
                        return Err(AppError::Forbidden(
                            "only the responsible actor's contributors (or the coordinating body) change this commitment".into(),
                        ));
                    }
                    if !change.allowed_to_responsible(before.row.status) {
                        return Err(AppError::Forbidden(format!(
                            "the responsible actor moves an open commitment to in progress or fulfilled; this one is {} and the coordinating body decides the rest",
                            before.row.status
                        )));
                    }
                }
                let (url, text, note) = change.stored_parts();
                let r = &before.row;
                if change.status() == r.status
                    && url == r.evidence_url.as_deref()
                    && text == r.evidence_text.as_deref()
                    && note == r.status_note.as_deref()
                {
                    return Err(AppError::Conflict {
                        field: "status".into(),
                        message: format!("commitment {id} is already {}", r.status),
                    });
                }
                let after = commitment::set_status(tx, &before, &change)?;
                one(tx.conn(), after, commitments_today())
            })
            .await
    }

    /// One commitment, or `None`. Public.
    pub async fn commitment(
        &self,
        id: i64,
        today: NaiveDate,
    ) -> Result<Option<CommitmentView>, AppError> {
        self.db
            .run(move |c| match commitment::by_id(c, id)? {
                Some(row) => one(c, row, today).map(Some),
                None => Ok(None),
            })
            .await
    }

    /// An ecosystem's commitments (by slug), filtered, overdue first, with counts over all
    /// of them. Public.
    pub async fn commitments(
        &self,
        ecosystem_slug: String,
        filter: CommitmentFilter,
        today: NaiveDate,
    ) -> Result<CommitmentList, AppError> {
        self.db
            .run(move |c| {
                let eco = ecosystem::by_slug(c, ecosystem_slug.trim())?.ok_or_else(|| {
                    AppError::not_found(format!("ecosystem '{}'", ecosystem_slug.trim()))
                })?;
                let rows = commitment::of_ecosystem(c, eco.id)?;
                let all = views(c, rows, today)?;
                let counts = CommitmentCounts::of(&all);
                let mut actors: Vec<Actor> = Vec::new();
                for v in &all {
                    if !actors.iter().any(|a| a.id == v.responsible.id) {
                        actors.push(v.responsible.clone());
                    }
                }
                actors.sort_by(|a, b| a.name.cmp(&b.name));
                let mut items: Vec<CommitmentView> =
                    all.into_iter().filter(|v| filter.keeps(v)).collect();
                sort_for_reading(&mut items);
                let mut objectives: Vec<ObjectiveRef> =
                    objective::of_ecosystem(c, eco.id, None, None)?
                        .into_iter()
                        .map(|o| ObjectiveRef {
                            id: o.id,
                            code: o.code,
                            name: o.name,
                        })
                        .collect();
                objectives.sort_by(|a, b| code_order(&a.code, &b.code));
                Ok(CommitmentList {
                    ecosystem: eco.into(),
                    items,
                    counts,
                    objectives,
                    actors,
                })
            })
            .await
    }

    /// The commitments of these objectives (batch loading): `(objective id, commitment)`.
    /// Public.
    pub async fn commitments_of_objectives(
        &self,
        objective_ids: Vec<i64>,
        today: NaiveDate,
    ) -> Result<Vec<(i64, CommitmentView)>, AppError> {
        self.db
            .run(move |c| {
                let pairs = commitment::of_objectives(c, &objective_ids)?;
                let mut unique: Vec<Linked> = Vec::new();
                for (_, l) in &pairs {
                    if !unique.iter().any(|u| u.row.id == l.row.id) {
                        unique.push(l.clone());
                    }
                }
                let views: HashMap<i64, CommitmentView> = views(c, unique, today)?
                    .into_iter()
                    .map(|v| (v.id, v))
                    .collect();
                let mut out: Vec<(i64, CommitmentView)> = pairs
                    .into_iter()
                    .filter_map(|(o, l)| views.get(&l.row.id).map(|v| (o, v.clone())))
                    .collect();
                out.sort_by_key(|(o, v)| (*o, v.id));
                Ok(out)
            })
            .await
    }

    /// The commitments of an ecosystem that name this investment (by CUI), overdue first.
    /// Public.
    pub async fn commitments_of_investment(
        &self,
        ecosystem_id: i64,
        cui: String,
        today: NaiveDate,
    ) -> Result<Vec<CommitmentView>, AppError> {
        self.db
            .run(move |c| {
                let rows = commitment::of_cui(c, ecosystem_id, &cui)?;
                let mut items = views(c, rows, today)?;
                sort_for_reading(&mut items);
                Ok(items)
            })
            .await
    }

    /// The commitments an actor is responsible for, in every ecosystem, overdue first.
    pub async fn commitments_of_actor(
        &self,
        actor_id: i64,
        today: NaiveDate,
    ) -> Result<Vec<CommitmentView>, AppError> {
        self.db
            .run(move |c| {
                let rows = commitment::of_actor(c, actor_id)?;
                let mut items = views(c, rows, today)?;
                sort_for_reading(&mut items);
                Ok(items)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::code_order;

    #[test]
    fn codes_sort_naturally() {
        let mut codes = vec!["OE10", "OE2", "OE1", "A"];
        codes.sort_by(|a, b| code_order(a, b));
        assert_eq!(codes, vec!["A", "OE1", "OE2", "OE10"]);
    }
}
