//! Verifying the audit chain: recompute every entry's hash from the genesis, check the head,
//! and check that every stored row still matches the state its latest audit entry recorded.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::audit::{AuditEntry, entries_from};
use super::models::{
    actor, challenge, ecosystem, hybrid, impact, indicator, measurement, objective, setting, user,
    variable,
};
use super::schema::audit_head;
use super::{DbConnection, StoreError};
use crate::domain::audit::{AuditFacts, Break, ChainVerifier, GENESIS_HASH, canonical_json};

/// Entries read per query while walking the chain.
const BATCH: i64 = 5000;
/// Mismatches listed in a report (the count is always complete).
const MAX_LISTED: usize = 50;

/// A stored row that differs from what the audit chain says about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    pub entity_type: String,
    pub entity_id: String,
    /// The latest audit entry about the entity, if any.
    pub audit_seq: Option<i64>,
    pub problem: String,
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
}

impl ChainReport {
    pub fn verified(&self) -> bool {
        self.first_broken_seq.is_none() && self.mismatch_count == 0
    }
}

fn parse_state(text: &Option<String>) -> Result<Option<Value>, StoreError> {
    text.as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("audit state is not JSON: {e}")))
}

/// The latest recorded state of one entity: `None` once deleted.
struct Latest {
    seq: i64,
    state: Option<String>,
}

/// Walks the whole chain and compares the stored rows with it.
pub fn verify(conn: &mut DbConnection) -> Result<ChainReport, StoreError> {
    let mut verifier = ChainVerifier::after(0, GENESIS_HASH);
    let mut broken: Option<(i64, Break)> = None;
    let mut latest: HashMap<(String, String), Latest> = HashMap::new();
    let mut length = 0;
    let mut from = 0;
    loop {
        let batch: Vec<AuditEntry> = entries_from(conn, from, BATCH)?;
        let Some(last) = batch.last() else { break };
        from = last.seq + 1;
        for e in &batch {
            length += 1;
            latest.insert(
                (e.entity_type.clone(), e.entity_id.clone()),
                Latest {
                    seq: e.seq,
                    state: e.after_state.clone(),
                },
            );
            if broken.is_some() {
                continue;
            }
            let before = parse_state(&e.before_state)?;
            let after = parse_state(&e.after_state)?;
            let facts = AuditFacts {
                seq: e.seq,
                at: &e.at,
                user_id: e.user_id,
                actor_id: e.actor_id,
                action: &e.action,
                entity_type: &e.entity_type,
                entity_id: &e.entity_id,
                before: before.as_ref(),
                after: after.as_ref(),
            };
            if let Err(why) = verifier.push(&facts, &e.prev_hash, &e.hash) {
                let seq = match why {
                    Break::Gap { expected, .. } => expected,
                    _ => e.seq,
                };
                broken = Some((seq, why));
            }
        }
    }
    if broken.is_none() {
        let (seq, hash): (i64, String) = audit_head::table
            .filter(audit_head::id.eq(1))
            .select((audit_head::seq, audit_head::hash))
            .first(conn)?;
        if seq != verifier.head_seq() || hash != verifier.head_hash() {
            let reason = if seq > verifier.head_seq() {
                Break::Gap {
                    expected: verifier.head_seq() + 1,
                    found: seq,
                }
            } else {
                Break::PrevHash
            };
            broken = Some((verifier.head_seq() + 1, reason));
        }
    }

    let mut mismatches = Vec::new();
    let mut count = 0;
    let mut note = |m: Mismatch| {
        count += 1;
        if mismatches.len() < MAX_LISTED {
            mismatches.push(m);
        }
    };
    // Bulk-imported rows: each import's audit entry holds the digest of its rows' unchanging
    // fields, and a row no review has touched since must still be as imported.
    let imports = variable::all_imports(conn)?;
    let recorded_digests: HashMap<String, String> = imports
        .iter()
        .filter_map(|i| {
            let l = latest.get(&(variable::IMPORT.to_string(), i.id.to_string()))?;
            let state: Value = serde_json::from_str(l.state.as_deref()?).ok()?;
            Some((
                i.id.to_string(),
                state.get("rows_digest")?.as_str()?.to_string(),
            ))
        })
        .collect();
    for i in &imports {
        let Some(recorded) = recorded_digests.get(&i.id.to_string()) else {
            continue; // reported below as a row without audit entry
        };
        if &measurement::import_digest(conn, i.id)? != recorded {
            note(Mismatch {
                entity_type: variable::IMPORT.into(),
                entity_id: i.id.to_string(),
                audit_seq: None,
                problem: "its rows differ from the digest its audit entry recorded".into(),
            });
        }
    }
    for (entity_type, id, state) in current_states(conn)? {
        let key = (entity_type.to_string(), id);
        let imported_untouched = entity_type == measurement::ENTITY
            && !latest.contains_key(&key)
            && state.get("import_id").is_some();
        if imported_untouched {
            let untouched = state["status"] == "submitted"
                && state["counted"] == false
                && state["reviewed_by"].is_null()
                && state["reviewed_at"].is_null()
                && state["reject_reason"].is_null();
            if !untouched {
                note(Mismatch {
                    entity_type: key.0,
                    entity_id: key.1,
                    audit_seq: None,
                    problem: "reviewed without an audit entry (it differs from its import)".into(),
                });
            }
            continue;
        }
        let problem = match latest.remove(&key) {
            None => Some((None, "stored without any audit entry".to_string())),
            Some(Latest { seq, state: None }) => Some((
                Some(seq),
                "stored again after its audited deletion".to_string(),
            )),
            Some(Latest {
                seq,
                state: Some(recorded),
            }) => (canonical_json(&state) != recorded).then(|| {
                (
                    Some(seq),
                    "differs from the state its latest audit entry recorded".to_string(),
                )
            }),
        };
        if let Some((audit_seq, problem)) = problem {
            note(Mismatch {
                entity_type: key.0,
                entity_id: key.1,
                audit_seq,
                problem,
            });
        }
    }
    // What the chain says exists but the tables no longer hold.
    let mut vanished: Vec<_> = latest
        .into_iter()
        .filter(|((t, _), l)| l.state.is_some() && AUDITED_TABLES.contains(&t.as_str()))
        .collect();
    vanished.sort_by_key(|(_, l)| l.seq);
    for ((entity_type, entity_id), l) in vanished {
        note(Mismatch {
            entity_type,
            entity_id,
            audit_seq: Some(l.seq),
            problem: "deleted outside the application".into(),
        });
    }
    Ok(ChainReport {
        length,
        head_seq: verifier.head_seq(),
        head_hash: verifier.head_hash().to_string(),
        break_reason: broken.as_ref().map(|(_, why)| why.to_string()),
        first_broken_seq: broken.map(|(seq, _)| seq),
        mismatches,
        mismatch_count: count,
    })
}

/// Entity types whose rows live in a table checked here.
const AUDITED_TABLES: [&str; 20] = [
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
];

fn to_value<T: Serialize>(v: &T) -> Result<Value, StoreError> {
    serde_json::to_value(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Every stored row as `(entity type, id, state)`, serialised exactly as the write path does.
fn current_states(
    conn: &mut DbConnection,
) -> Result<Vec<(&'static str, String, Value)>, StoreError> {
    let mut out = Vec::new();
    let mut push = |t: &'static str, id: String, v: Value| out.push((t, id, v));
    for a in actor::list(conn)? {
        push(actor::ENTITY, a.id.to_string(), to_value(&a)?);
    }
    for u in user::list(conn)? {
        push(user::ENTITY, u.id.to_string(), u.audit_state());
    }
    for (k, v) in setting::audit_states(conn)? {
        push(setting::ENTITY, k, v);
    }
    for e in ecosystem::list(conn)? {
        push(ecosystem::ENTITY, e.id.to_string(), to_value(&e)?);
    }
    for p in ecosystem::all_perspectives(conn)? {
        push(ecosystem::PERSPECTIVE, p.id.to_string(), to_value(&p)?);
    }
    for m in ecosystem::all_members(conn)? {
        push(ecosystem::MEMBER, m.id.to_string(), to_value(&m)?);
    }
    for t in ecosystem::all_themes(conn)? {
        push(ecosystem::THEME, t.id.to_string(), to_value(&t)?);
    }
    for (id, v) in objective::audit_states(conn)? {
        push(objective::ENTITY, id.to_string(), v);
    }
    for l in objective::all_links(conn)? {
        push(objective::LINK, l.id.to_string(), to_value(&l)?);
    }
    for (id, v) in indicator::audit_states(conn)? {
        push(indicator::ENTITY, id.to_string(), v);
    }
    for t in indicator::all_targets(conn)? {
        push(indicator::TARGET, t.id.to_string(), to_value(&t)?);
    }
    for m in measurement::all(conn)? {
        push(measurement::ENTITY, m.id.to_string(), to_value(&m)?);
    }
    for c in challenge::all(conn)? {
        push(challenge::ENTITY, c.id.to_string(), to_value(&c)?);
    }
    for v in variable::all(conn)? {
        push(variable::ENTITY, v.id.to_string(), to_value(&v)?);
    }
    for s in variable::all_selections(conn)? {
        push(variable::SELECTION, s.id.to_string(), to_value(&s)?);
    }
    for i in variable::all_imports(conn)? {
        push(variable::IMPORT, i.id.to_string(), to_value(&i)?);
    }
    for h in hybrid::all(conn)? {
        push(hybrid::HYBRID, h.id.to_string(), to_value(&h)?);
    }
    for b in hybrid::all_beneficiaries(conn)? {
        push(hybrid::BENEFICIARY, b.id.to_string(), to_value(&b)?);
    }
    for v in impact::all_vecs(conn)? {
        push(impact::VEC, v.id.to_string(), to_value(&v)?);
    }
    for d in impact::all_developments(conn)? {
        push(impact::DEVELOPMENT, d.id.to_string(), to_value(&d)?);
    }
    Ok(out)
}
