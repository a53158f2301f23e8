//! Verifying the audit chain: recompute every entry's hash from the genesis, check every
//! private part against the commitment its entry published, check the head, check the sealed
//! format-1 log, and check that every stored row still matches the state its latest audit
//! entry recorded.
//!
//! Also the seal itself ([`seal_v1`]): a database whose log was written in record format 1
//! keeps that log, read-only, and starts a format-2 log whose first entry records the old
//! head and whose next entries record every row as it then stood.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::audit::{AuditEntry, entries_with_private_from, in_write_transaction};
use super::audit_state::{
    Audited, IndicatorWithResponsibles, InvestmentState, ObjectiveWithResponsibles, SettingRow,
};
use super::models::{
    actor, adjustment, challenge, commitment, ecosystem, hybrid, impact, indicator, investment,
    measurement, objective, period_lock, setting, user, variable,
};
use super::schema::{audit_head, audit_head_v1, audit_log, audit_log_v1};
use super::{Action, Author, DbConnection, StoreError};
use crate::domain::audit::{
    AuditFacts, AuditState, Break, ChainVerifier, GENESIS_HASH, canonical_json, commitment_holds,
};

/// Entries read per query while walking the chain.
const BATCH: i64 = 5000;
/// Mismatches listed in a report (the count is always complete).
const MAX_LISTED: usize = 50;
/// The entity type of the seal entry.
pub const SEALED_LOG: &str = "audit_log_v1";

/// A stored row that differs from what the audit chain says about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    pub entity_type: String,
    pub entity_id: String,
    /// The latest audit entry about the entity, if any.
    pub audit_seq: Option<i64>,
    pub problem: String,
}

/// The sealed format-1 log, recomputed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SealedLog {
    /// Entries in the sealed log.
    pub length: i64,
    /// The last entry that verified, and its hash.
    pub head_seq: i64,
    pub head_hash: String,
    /// The first entry where it breaks, and why (also when the seal records another head).
    pub first_broken_seq: Option<i64>,
    pub break_reason: Option<String>,
}

impl SealedLog {
    pub fn verified(&self) -> bool {
        self.first_broken_seq.is_none() && self.break_reason.is_none()
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainReport {
    /// Entries in the log.
    pub length: i64,
    /// The last entry that verified, and its hash.
    pub head_seq: i64,
    pub head_hash: String,
    /// The first entry where the chain breaks, and why.
    pub first_broken_seq: Option<i64>,
    pub break_reason: Option<String>,
    /// Rows changed, added or deleted without going through the application.
    pub mismatches: Vec<Mismatch>,
    pub mismatch_count: usize,
    /// The format-1 log this database had before record format 2, when it had one.
    pub sealed_v1: Option<SealedLog>,
}

impl ChainReport {
    pub fn verified(&self) -> bool {
        self.first_broken_seq.is_none()
            && self.mismatch_count == 0
            && self.sealed_v1.as_ref().is_none_or(SealedLog::verified)
    }
}

fn parse_state(text: &Option<String>) -> Result<Option<Value>, StoreError> {
    text.as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("audit state is not JSON: {e}")))
}

/// Whether one side of an entry keeps the promise its published state makes: a private part
/// exactly when the state carries a commitment, and one that matches it.
fn side_holds(published: Option<&Value>, revealed: Option<(&str, &str)>) -> bool {
    match published {
        Some(state) => commitment_holds(state, revealed),
        None => revealed.is_none(),
    }
}

/// The latest recorded state of one entity: no `public` once deleted.
struct Latest {
    seq: i64,
    public: Option<String>,
    salt: Option<String>,
    private: Option<String>,
}

/// What the seal entry says about the format-1 log.
#[derive(Debug, Serialize, serde::Deserialize)]
struct SealRecord {
    length: i64,
    head_seq: i64,
    head_hash: String,
    verified: bool,
    first_broken_seq: Option<i64>,
    break_reason: Option<String>,
}

/// Walks the whole chain and compares the stored rows with it.
pub fn verify(conn: &mut DbConnection) -> Result<ChainReport, StoreError> {
    let walk = walk_chain(conn)?;
    let sealed_v1 = verify_sealed_log(conn, walk.seal.as_ref())?;
    let mut found = Mismatches::default();
    compare_rows(conn, walk.latest, &mut found)?;
    Ok(ChainReport {
        length: walk.length,
        head_seq: walk.verifier.head_seq(),
        head_hash: walk.verifier.head_hash().to_string(),
        break_reason: walk.broken.as_ref().map(|(_, why)| why.to_string()),
        first_broken_seq: walk.broken.map(|(seq, _)| seq),
        mismatches: found.listed,
        mismatch_count: found.count,
        sealed_v1,
    })
}

/// The chain recomputed: where it breaks, the seal entry, and each entity's latest state.
struct ChainWalk {
    length: i64,
    verifier: ChainVerifier,
    broken: Option<(i64, Break)>,
    seal: Option<Value>,
    latest: HashMap<(String, String), Latest>,
}

/// Recomputes every entry's hash and checks every kept private part, then the stored head.
fn walk_chain(conn: &mut DbConnection) -> Result<ChainWalk, StoreError> {
    let mut walk = ChainWalk {
        length: 0,
        verifier: ChainVerifier::after(0, GENESIS_HASH),
        broken: None,
        seal: None,
        latest: HashMap::new(),
    };
    let mut from = 0;
    loop {
        let batch = entries_with_private_from(conn, from, BATCH)?;
        let Some((last, _)) = batch.last() else { break };
        from = last.seq + 1;
        for (e, private) in batch {
            walk.length += 1;
            let before = parse_state(&e.before_state)?;
            let after = parse_state(&e.after_state)?;
            if e.seq == 1 && e.action == Action::Seal.as_str() && e.entity_type == SEALED_LOG {
                walk.seal.clone_from(&after);
            }
            if walk.broken.is_none() {
                walk.broken = push_entry(&mut walk.verifier, &e, before.as_ref(), after.as_ref())
                    .or_else(|| {
                        let holds = side_holds(before.as_ref(), private.before())
                            && side_holds(after.as_ref(), private.after());
                        (!holds).then_some((e.seq, Break::Commitment))
                    });
            }
            walk.latest.insert(
                (e.entity_type, e.entity_id),
                Latest {
                    seq: e.seq,
                    public: e.after_state,
                    salt: private.after_salt,
                    private: private.after_private,
                },
            );
        }
    }
    if walk.broken.is_none() {
        let (seq, hash): (i64, String) = audit_head::table
            .filter(audit_head::id.eq(1))
            .select((audit_head::seq, audit_head::hash))
            .first(conn)?;
        let head = walk.verifier.head_seq();
        if seq != head || hash != walk.verifier.head_hash() {
            let reason = if seq > head {
                Break::Gap {
                    expected: head + 1,
                    found: seq,
                }
            } else {
                Break::PrevHash
            };
            walk.broken = Some((head + 1, reason));
        }
    }
    Ok(walk)
}

/// Rows that differ from the chain: all counted, the first [`MAX_LISTED`] listed.
#[derive(Default)]
struct Mismatches {
    listed: Vec<Mismatch>,
    count: usize,
}

impl Mismatches {
    fn note(
        &mut self,
        entity_type: String,
        entity_id: String,
        audit_seq: Option<i64>,
        problem: &str,
    ) {
        self.count += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push(Mismatch {
                entity_type,
                entity_id,
                audit_seq,
                problem: problem.to_string(),
            });
        }
    }
}

/// Compares every stored row with the latest state the chain recorded for it, imports with
/// the digest of their rows, and reports what the chain says exists but the tables lost.
fn compare_rows(
    conn: &mut DbConnection,
    mut latest: HashMap<(String, String), Latest>,
    found: &mut Mismatches,
) -> Result<(), StoreError> {
    // Bulk-imported rows: each import's audit entry commits to the digest of its rows'
    // unchanging fields (in its private part), and a row no review has touched since must
    // still be as imported.
    let mut digested = std::collections::HashSet::new();
    for i in variable::all_imports(conn)? {
        let key = (variable::IMPORT.to_string(), i.id.to_string());
        let Some(recorded) = latest
            .get(&key)
            .and_then(|l| l.private.as_deref())
            .and_then(|p| serde_json::from_str::<Value>(p).ok())
            .and_then(|p| {
                p.get("rows_digest")
                    .and_then(Value::as_str)
                    .map(String::from)
            })
        else {
            continue; // reported below as a row without audit entry
        };
        digested.insert(i.id);
        if measurement::import_digest(conn, i.id)? != recorded {
            found.note(
                key.0,
                key.1,
                None,
                "its rows differ from the digest its audit entry recorded",
            );
        }
    }
    for row in current_states(conn)? {
        let key = (row.entity_type.to_string(), row.id);
        let problem = match (latest.remove(&key), row.import) {
            // Covered by its import's digest, when that import is in the chain (a row that
            // claims an import the chain does not record is covered by nothing).
            (None, ImportCoverage::Untouched(i)) if digested.contains(&i) => None,
            (None, ImportCoverage::Untouched(_)) => {
                Some((None, "claims an import the audit chain does not record"))
            }
            (None, ImportCoverage::Reviewed) => Some((
                None,
                "reviewed without an audit entry (it differs from its import)",
            )),
            (None, ImportCoverage::NotImported) => Some((None, "stored without any audit entry")),
            (
                Some(Latest {
                    seq, public: None, ..
                }),
                _,
            ) => Some((Some(seq), "stored again after its audited deletion")),
            (
                Some(Latest {
                    seq,
                    public: Some(recorded),
                    salt,
                    ..
                }),
                _,
            ) => {
                // The row's state sealed with the salt of the recorded one: equal exactly when
                // both the public part and the private part are unchanged.
                let now = canonical_json(&row.state.sealed(salt.as_deref().unwrap_or("")));
                (now != recorded).then_some((
                    Some(seq),
                    "differs from the state its latest audit entry recorded",
                ))
            }
        };
        if let Some((audit_seq, problem)) = problem {
            found.note(key.0, key.1, audit_seq, problem);
        }
    }
    // What the chain says exists but the tables no longer hold.
    let mut vanished: Vec<_> = latest
        .into_iter()
        .filter(|((t, _), l)| l.public.is_some() && AUDITED_TABLES.contains(&t.as_str()))
        .collect();
    vanished.sort_by_key(|(_, l)| l.seq);
    for ((entity_type, entity_id), l) in vanished {
        found.note(
            entity_type,
            entity_id,
            Some(l.seq),
            "deleted outside the application",
        );
    }
    Ok(())
}

/// Checks the next entry of a chain (both record formats hash the same fields); returns
/// where and why the chain breaks at it, if it does.
fn push_entry(
    verifier: &mut ChainVerifier,
    e: &AuditEntry,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Option<(i64, Break)> {
    let facts = AuditFacts {
        seq: e.seq,
        at: &e.at,
        user_id: e.user_id,
        actor_id: e.actor_id,
        action: &e.action,
        entity_type: &e.entity_type,
        entity_id: &e.entity_id,
        before,
        after,
    };
    verifier
        .push(&facts, &e.prev_hash, &e.hash)
        .err()
        .map(|why| {
            let seq = match why {
                Break::Gap { expected, .. } => expected,
                _ => e.seq,
            };
            (seq, why)
        })
}

/// Recomputes the format-1 log (its entries hashed whole rows, the same canonical form) and
/// checks it against its stored head. `None` when the database never had one.
fn recompute_v1(conn: &mut DbConnection) -> Result<Option<SealRecord>, StoreError> {
    let stored_head: Option<(i64, String)> = audit_head_v1::table
        .filter(audit_head_v1::id.eq(1))
        .select((audit_head_v1::seq, audit_head_v1::hash))
        .first(conn)
        .optional()?;
    let mut verifier = ChainVerifier::after(0, GENESIS_HASH);
    let mut broken: Option<(i64, Break)> = None;
    let mut length = 0;
    let mut from = 0;
    loop {
        // Format 1 had the same columns, none of them private.
        let batch: Vec<AuditEntry> = audit_log_v1::table
            .filter(audit_log_v1::seq.ge(from))
            .order(audit_log_v1::seq.asc())
            .limit(BATCH)
            .select((
                audit_log_v1::seq,
                audit_log_v1::at,
                audit_log_v1::user_id,
                audit_log_v1::actor_id,
                audit_log_v1::action,
                audit_log_v1::entity_type,
                audit_log_v1::entity_id,
                audit_log_v1::before_state,
                audit_log_v1::after_state,
                audit_log_v1::prev_hash,
                audit_log_v1::hash,
            ))
            .load(conn)?;
        let Some(last) = batch.last() else { break };
        from = last.seq + 1;
        for e in &batch {
            length += 1;
            if broken.is_some() {
                continue;
            }
            let before = parse_state(&e.before_state)?;
            let after = parse_state(&e.after_state)?;
            broken = push_entry(&mut verifier, e, before.as_ref(), after.as_ref());
        }
    }
    let Some((head_seq, head_hash)) = stored_head else {
        return Ok(None);
    };
    if length == 0 && head_seq == 0 {
        return Ok(None);
    }
    if broken.is_none() && (head_seq != verifier.head_seq() || head_hash != verifier.head_hash()) {
        broken = Some((
            verifier.head_seq() + 1,
            Break::Gap {
                expected: verifier.head_seq() + 1,
                found: head_seq,
            },
        ));
    }
    Ok(Some(SealRecord {
        length,
        head_seq: verifier.head_seq(),
        head_hash: verifier.head_hash().to_string(),
        verified: broken.is_none(),
        break_reason: broken.as_ref().map(|(_, why)| why.to_string()),
        first_broken_seq: broken.map(|(seq, _)| seq),
    }))
}

/// The sealed log recomputed now, compared with what the seal entry recorded.
fn verify_sealed_log(
    conn: &mut DbConnection,
    seal: Option<&Value>,
) -> Result<Option<SealedLog>, StoreError> {
    let Some(now) = recompute_v1(conn)? else {
        return Ok(None);
    };
    let recorded: Option<SealRecord> = seal.and_then(|s| serde_json::from_value(s.clone()).ok());
    let disagreement = match &recorded {
        None => Some("no seal entry at the start of the log records it".to_string()),
        Some(r)
            if (r.length, r.head_seq, &r.head_hash)
                != (now.length, now.head_seq, &now.head_hash) =>
        {
            Some(format!(
                "the seal recorded {} entries up to {} {}, the sealed log now holds {} up to {} {}",
                r.length, r.head_seq, r.head_hash, now.length, now.head_seq, now.head_hash
            ))
        }
        Some(_) => None,
    };
    Ok(Some(SealedLog {
        length: now.length,
        head_seq: now.head_seq,
        head_hash: now.head_hash,
        first_broken_seq: now.first_broken_seq,
        break_reason: now.break_reason.or(disagreement),
    }))
}

/// Seals a format-1 log, once: when the database has one and the format-2 log is still empty,
/// writes the seal entry (the old log recomputed: length, head, verdict) and a snapshot entry
/// of every stored row (rows an import stored and no one reviewed are covered by their
/// import's digest instead). Returns how many entries it wrote (0 when nothing to seal).
pub fn seal_v1(conn: &mut DbConnection) -> Result<usize, StoreError> {
    let started: i64 = audit_log::table.count().get_result(conn)?;
    if started > 0 {
        return Ok(0);
    }
    let Some(record) = recompute_v1(conn)? else {
        return Ok(0);
    };
    if !record.verified {
        tracing::warn!(
            first_broken_seq = ?record.first_broken_seq,
            reason = ?record.break_reason,
            "the format-1 audit log does not verify; sealing it as it is"
        );
    }
    let seal = AuditState::new(&record, None::<&()>).map_err(StoreError::Corrupt)?;
    in_write_transaction(conn, Author::system(), |tx| {
        tx.record(Action::Seal, SEALED_LOG, "1", None, Some(&seal))?;
        let rows = current_states(tx.conn())?;
        let mut written = 1;
        for row in rows {
            if matches!(row.import, ImportCoverage::Untouched(_)) {
                continue;
            }
            tx.record(
                Action::Snapshot,
                row.entity_type,
                &row.id,
                None,
                Some(&row.state),
            )?;
            written += 1;
        }
        Ok(written)
    })
}

/// Whether an import is covered by the chain: its latest entry commits to a digest of its
/// rows, and its rows as stored still have that digest.
pub fn import_is_covered(conn: &mut DbConnection, import_id: i64) -> Result<bool, StoreError> {
    let Some(entry) =
        super::audit::latest_for(conn, variable::IMPORT, &[import_id.to_string()])?.pop()
    else {
        return Ok(false);
    };
    let Some((_, private)) = super::audit::entry_with_private(conn, entry.seq)? else {
        return Ok(false);
    };
    let recorded = private
        .after_private
        .as_deref()
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .and_then(|p| {
            p.get("rows_digest")
                .and_then(Value::as_str)
                .map(String::from)
        });
    Ok(match recorded {
        Some(digest) => measurement::import_digest(conn, import_id)? == digest,
        None => false,
    })
}

/// Whether a contributed value is covered by the chain: by an entry of its own, or (as its
/// import stored it) by its import's digest.
pub fn value_is_covered(
    conn: &mut DbConnection,
    m: &measurement::Measurement,
) -> Result<bool, StoreError> {
    if !super::audit::latest_for(conn, measurement::ENTITY, &[m.id.to_string()])?.is_empty() {
        return Ok(true);
    }
    match m.import_id {
        Some(import) if m.is_untouched_import() => import_is_covered(conn, import),
        _ => Ok(false),
    }
}

/// [`value_is_covered`] for many values at once: the ids of those covered. A query per
/// thousand values, and one digest per import concerned.
pub fn values_covered(
    conn: &mut DbConnection,
    values: &[measurement::Measurement],
) -> Result<std::collections::HashSet<i64>, StoreError> {
    let mut covered = std::collections::HashSet::new();
    for chunk in values.chunks(1000) {
        let ids: Vec<String> = chunk.iter().map(|m| m.id.to_string()).collect();
        let with_entry: Vec<String> = audit_log::table
            .filter(audit_log::entity_type.eq(measurement::ENTITY))
            .filter(audit_log::entity_id.eq_any(&ids))
            .select(audit_log::entity_id)
            .distinct()
            .load(conn)?;
        covered.extend(with_entry.iter().filter_map(|id| id.parse::<i64>().ok()));
    }
    let mut imports = std::collections::HashMap::new();
    for m in values {
        if covered.contains(&m.id) {
            continue;
        }
        if let Some(import) = m.import_id
            && m.is_untouched_import()
        {
            let holds = match imports.get(&import) {
                Some(holds) => *holds,
                None => {
                    let holds = import_is_covered(conn, import)?;
                    imports.insert(import, holds);
                    holds
                }
            };
            if holds {
                covered.insert(m.id);
            }
        }
    }
    Ok(covered)
}

/// After migrations that add audited columns: records a `snapshot` of every row whose latest
/// audit state is its current state without the new keys (every key recorded then still holds
/// the same value, and the current state only adds keys), so the chain again names every
/// column and `verify` compares like with like. A row that differs in any recorded key is left
/// alone for `verify` to report: a new column never launders a changed one. Returns the
/// snapshots written.
pub fn snapshot_added_columns(conn: &mut DbConnection) -> Result<usize, StoreError> {
    let walk = walk_chain(conn)?;
    if walk.length == 0 {
        return Ok(0);
    }
    let mut stale = Vec::new();
    for row in current_states(conn)? {
        if matches!(row.import, ImportCoverage::Untouched(_)) {
            continue;
        }
        let key = (row.entity_type.to_string(), row.id.clone());
        let Some(Latest {
            public: Some(recorded),
            salt,
            ..
        }) = walk.latest.get(&key)
        else {
            continue;
        };
        let Ok(Value::Object(recorded)) = serde_json::from_str::<Value>(recorded) else {
            continue;
        };
        let Value::Object(now) = row.state.sealed(salt.as_deref().unwrap_or("")) else {
            continue;
        };
        let only_added =
            recorded.len() < now.len() && recorded.iter().all(|(k, v)| now.get(k) == Some(v));
        if only_added {
            stale.push(row);
        }
    }
    if stale.is_empty() {
        return Ok(0);
    }
    in_write_transaction(conn, Author::system(), |tx| {
        for row in &stale {
            tx.record(
                Action::Snapshot,
                row.entity_type,
                &row.id,
                None,
                Some(&row.state),
            )?;
        }
        Ok(stale.len())
    })
}

/// Entity types whose rows live in a table checked here.
const AUDITED_TABLES: [&str; 27] = [
    adjustment::ENTITY,
    actor::ENTITY,
    user::ENTITY,
    setting::ENTITY,
    ecosystem::ENTITY,
    ecosystem::PERSPECTIVE,
    ecosystem::MEMBER,
    ecosystem::THEME,
    objective::ENTITY,
    objective::LINK,
    indicator::ENTITY,
    indicator::TARGET,
    measurement::ENTITY,
    challenge::ENTITY,
    variable::ENTITY,
    variable::SELECTION,
    variable::IMPORT,
    hybrid::HYBRID,
    hybrid::BENEFICIARY,
    impact::VEC,
    impact::DEVELOPMENT,
    period_lock::ENTITY,
    commitment::ENTITY,
    commitment::STATUS_CHANGE,
    investment::ENTITY,
    investment::SNAPSHOT,
    investment::SETTINGS,
];

/// Whether a row is covered by an import's digest rather than entries of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ImportCoverage {
    NotImported,
    /// As its import stored it: the entry of its import (this id) covers it.
    Untouched(i64),
    /// Imported, then changed: it needs entries of its own.
    Reviewed,
}

/// One stored row's current audit state.
struct CurrentRow {
    entity_type: &'static str,
    id: String,
    state: AuditState,
    import: ImportCoverage,
}

fn current<T: Audited>(row: &T) -> Result<CurrentRow, StoreError> {
    Ok(CurrentRow {
        entity_type: T::ENTITY,
        id: row.audit_id(),
        state: row.audit_state()?,
        import: ImportCoverage::NotImported,
    })
}

/// Every stored row's audit state, built exactly as the write path builds it.
fn current_states(conn: &mut DbConnection) -> Result<Vec<CurrentRow>, StoreError> {
    let mut out = Vec::new();
    for a in actor::list(conn)? {
        out.push(current(&a)?);
    }
    for u in user::list(conn)? {
        out.push(current(&u)?);
    }
    for (key, value) in setting::all(conn)? {
        out.push(current(&SettingRow {
            key: &key,
            value: &value,
        })?);
    }
    for e in ecosystem::list(conn)? {
        out.push(current(&e)?);
    }
    for p in ecosystem::all_perspectives(conn)? {
        out.push(current(&p)?);
    }
    for m in ecosystem::all_members(conn)? {
        out.push(current(&m)?);
    }
    for t in ecosystem::all_themes(conn)? {
        out.push(current(&t)?);
    }
    for (o, ids) in objective::all_with_responsibles(conn)? {
        out.push(current(&ObjectiveWithResponsibles(&o, &ids))?);
    }
    for l in objective::all_links(conn)? {
        out.push(current(&l)?);
    }
    for (i, ids) in indicator::all_with_responsibles(conn)? {
        out.push(current(&IndicatorWithResponsibles(&i, &ids))?);
    }
    for t in indicator::all_targets(conn)? {
        out.push(current(&t)?);
    }
    for a in adjustment::all(conn)? {
        out.push(current(&a)?);
    }
    for m in measurement::all(conn)? {
        let import = match (m.import_id, m.is_untouched_import()) {
            (None, _) => ImportCoverage::NotImported,
            (Some(i), true) => ImportCoverage::Untouched(i),
            (Some(_), false) => ImportCoverage::Reviewed,
        };
        out.push(CurrentRow {
            import,
            ..current(&m)?
        });
    }
    for c in challenge::all(conn)? {
        out.push(current(&c)?);
    }
    for v in variable::all(conn)? {
        out.push(current(&v)?);
    }
    for s in variable::all_selections(conn)? {
        out.push(current(&s)?);
    }
    for i in variable::all_imports(conn)? {
        out.push(current(&i)?);
    }
    for h in hybrid::all(conn)? {
        out.push(current(&h)?);
    }
    for b in hybrid::all_beneficiaries(conn)? {
        out.push(current(&b)?);
    }
    for v in impact::all_vecs(conn)? {
        out.push(current(&v)?);
    }
    for d in impact::all_developments(conn)? {
        out.push(current(&d)?);
    }
    for l in period_lock::all(conn)? {
        out.push(current(&l)?);
    }
    for c in commitment::all(conn)? {
        out.push(current(&c)?);
    }
    for h in commitment::all_history(conn)? {
        out.push(current(&h)?);
    }
    let (mut links, mut plans) = investment::all_children(conn)?;
    for i in investment::all(conn)? {
        let l = links.remove(&i.id).unwrap_or_default();
        let p = plans.remove(&i.id).unwrap_or_default();
        out.push(current(&InvestmentState(&i, &l, &p))?);
    }
    for s in investment::all_snapshots(conn)? {
        out.push(current(&s)?);
    }
    for s in investment::all_settings(conn)? {
        out.push(current(&s)?);
    }
    Ok(out)
}
