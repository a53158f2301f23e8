//! The audit chain, read: its head, its entries from a point (proof), and verification.

use serde_json::Value;

use crate::db::audit;
use crate::db::verify;
use crate::domain::Role;
use crate::domain::audit::{AuditFacts, PRIVATE_COMMITMENT, canonical_entry, commitment};

use super::model::{AuditEntry, ChainReport};
use super::{AppError, Ayni, Caller};

/// One state's private part, revealed: anyone recomputes `SHA-256(salt ‖ private)` and
/// compares it with the commitment the public entry carries.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RevealedPart {
    /// The commitment published in the entry's state (`private_commitment`).
    pub commitment: String,
    /// 64 hex characters, hashed as text.
    pub salt: String,
    /// The canonical JSON text of the private part.
    pub private: String,
    /// Whether `SHA-256(salt ‖ private)` equals the published commitment.
    pub matches: bool,
}

/// An entry's private parts, as the operator shows them to an auditor.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RevealedEntry {
    pub seq: i64,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<RevealedPart>,
    pub after: Option<RevealedPart>,
}

/// The head of the chain, for anyone to record as a checkpoint.
#[derive(Debug, Clone)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
    pub at: Option<String>,
}

/// An entry as published: its fields, and the exact canonical text that was hashed.
#[derive(Debug, Clone)]
pub struct PublishedEntry {
    pub entry: AuditEntry,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub canonical: String,
}

/// Most entries in one proof page.
pub const MAX_PROOF_PAGE: i64 = 1000;

impl Ayni {
    pub async fn audit_head(&self) -> Result<AuditHead, AppError> {
        let (seq, hash, at) = self
            .db
            .run(|c| audit::head(c).map_err(AppError::from))
            .await?;
        Ok(AuditHead { seq, hash, at })
    }

    /// The chain's head as this process knows it, checked against the database when the
    /// known one is older than `max_age` (see `crate::db::head`): what the public read
    /// cache keys on. Cheap: no query while fresh.
    pub async fn known_audit_tip(
        &self,
        max_age: std::time::Duration,
    ) -> Result<crate::db::AuditTip, AppError> {
        Ok(self.db.audit_tip(max_age).await?)
    }

    /// Entries from `from` on (at most `limit`, capped at [`MAX_PROOF_PAGE`]).
    pub async fn audit_proof(
        &self,
        from: i64,
        limit: i64,
    ) -> Result<Vec<PublishedEntry>, AppError> {
        if from < 1 {
            return Err(AppError::invalid(
                "from",
                "range",
                "entries are numbered from 1",
            ));
        }
        let limit = limit.clamp(1, MAX_PROOF_PAGE);
        let entries = self
            .db
            .run(move |c| audit::entries_from(c, from, limit).map_err(AppError::from))
            .await?;
        entries.into_iter().map(publish).collect()
    }

    /// An entry's private parts and salts, for an auditor (admins and the operator only).
    pub async fn audit_reveal(&self, caller: &Caller, seq: i64) -> Result<RevealedEntry, AppError> {
        caller.require(
            |r| r == Role::Admin,
            "reveal private parts of audit entries",
        )?;
        let found = self
            .db
            .run(move |c| audit::entry_with_private(c, seq).map_err(AppError::from))
            .await?;
        let (entry, private) =
            found.ok_or_else(|| AppError::not_found(format!("audit entry {seq}")))?;
        let published = publish(entry)?;
        let part = |state: &Option<Value>, revealed: Option<(&str, &str)>| {
            let committed = state
                .as_ref()
                .and_then(|s| s.get(PRIVATE_COMMITMENT))
                .and_then(Value::as_str)?;
            let (salt, text) = revealed?;
            Some(RevealedPart {
                commitment: committed.to_string(),
                salt: salt.to_string(),
                private: text.to_string(),
                matches: commitment(salt, text) == committed,
            })
        };
        Ok(RevealedEntry {
            seq: published.entry.seq,
            before: part(&published.before, private.before()),
            after: part(&published.after, private.after()),
            action: published.entry.action,
            entity_type: published.entry.entity_type,
            entity_id: published.entry.entity_id,
        })
    }

    /// Recomputes the whole chain and compares every stored row with it.
    ///
    /// Requests that arrive while a verification runs wait for the next one and share it, so
    /// any number of concurrent requests cost at most two verifications, and every answer
    /// comes from a verification that started after its request arrived (a row edited
    /// behind the application's back is seen by the next request: nothing is cached past it).
    ///
    /// Coordinators and admins always get such a fresh verification. Everyone else (anonymous
    /// citizens included) may get the last one while the chain's head has not moved and it is
    /// at most [`PUBLIC_CHAIN_REUSE`] old: a verification costs work proportional to the whole
    /// log and every table (23.5 s at 1.5 M rows), and anonymous callers must not be able to
    /// keep the machine busy with it.
    pub async fn audit_chain(&self, caller: Option<&Caller>) -> Result<ChainReport, AppError> {
        let fresh_only = caller.is_some_and(|c| c.role.manages_strategy());
        let runs = &self.chain_runs;
        let arrived = runs.started.load(std::sync::atomic::Ordering::SeqCst);
        if !fresh_only {
            let head = self.audit_head().await?;
            if let Ok(last) = runs.last.try_lock()
                && let Some((_, report, at)) = last.as_ref()
                && report.head_seq == head.seq
                && report.head_hash == head.hash
                && at.elapsed() <= PUBLIC_CHAIN_REUSE
            {
                return Ok(report.clone());
            }
        }
        let mut last = runs.last.lock().await;
        if let Some((run, report, _)) = last.as_ref()
            && *run > arrived
        {
            return Ok(report.clone());
        }
        let run = runs
            .started
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        let report = self
            .db
            .run(|c| verify::verify(c).map_err(AppError::from))
            .await
            .map(ChainReport::from)?;
        *last = Some((run, report.clone(), std::time::Instant::now()));
        Ok(report)
    }
}

/// How long a verification of the audit chain may be reused for callers other than
/// coordinators and admins, while the chain's head has not moved.
pub const PUBLIC_CHAIN_REUSE: std::time::Duration = std::time::Duration::from_secs(300);

/// The audit chain's verifications: how many have started, and the last one's result with its
/// number. The lock is held while a verification runs.
#[derive(Default)]
pub struct ChainRuns {
    started: std::sync::atomic::AtomicU64,
    /// The last verification: its number, its result and when it finished.
    last: tokio::sync::Mutex<Option<(u64, ChainReport, std::time::Instant)>>,
}

fn parse(text: &Option<String>) -> Result<Option<Value>, AppError> {
    text.as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| AppError::internal(format!("stored audit state: {e}")))
}

/// An entry with its canonical text, recomputed from the stored fields.
fn publish(entry: audit::AuditEntry) -> Result<PublishedEntry, AppError> {
    let before = parse(&entry.before_state)?;
    let after = parse(&entry.after_state)?;
    let canonical = canonical_entry(&AuditFacts {
        seq: entry.seq,
        at: &entry.at,
        user_id: entry.user_id,
        actor_id: entry.actor_id,
        action: &entry.action,
        entity_type: &entry.entity_type,
        entity_id: &entry.entity_id,
        before: before.as_ref(),
        after: after.as_ref(),
    });
    Ok(PublishedEntry {
        entry: AuditEntry::from(entry),
        before,
        after,
        canonical,
    })
}
