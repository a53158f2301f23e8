use async_graphql::{Context, Object, SimpleObject};

use crate::app::model::ChainReport;

use super::context::ContextExt;
use super::error::GqlResult;

/// A stored row that differs from what the audit chain says about it.
#[derive(SimpleObject)]
pub struct AuditMismatch {
    pub entity_type: String,
    pub entity_id: String,
    /// The latest audit entry about the entity, if any.
    pub audit_seq: Option<i64>,
    pub problem: String,
}

/// The audit log of record format 1 that this database kept before format 2, recomputed now.
/// It is not served (its entries held private data); the first entry of the current log, the
/// seal, records its head, so both logs are tied together.
#[derive(SimpleObject)]
pub struct SealedAuditLog {
    /// Entries in the sealed log.
    pub length: i64,
    /// Its last entry that verified, and that entry's hash.
    pub head_seq: i64,
    pub head_hash: String,
    /// True when every entry hashes and links, and the seal records exactly this head.
    pub verified: bool,
    pub first_broken_seq: Option<i64>,
    pub break_reason: Option<String>,
}

/// The audit chain, recomputed now.
pub struct AuditChainGql(ChainReport);

#[Object(name = "AuditChain")]
impl AuditChainGql {
    /// Entries in the log.
    async fn length(&self) -> i64 {
        self.0.length
    }
    /// The last entry that verified.
    async fn head_seq(&self) -> i64 {
        self.0.head_seq
    }
    async fn head_hash(&self) -> &str {
        &self.0.head_hash
    }
    /// True when every entry hashes to its stored hash and links to the previous one, every
    /// private part kept by the operator matches the commitment its entry published, the
    /// head matches the last entry, every stored row matches its latest audit entry, and the
    /// sealed format-1 log (if any) verifies.
    async fn verified(&self) -> bool {
        self.0.verified
    }
    /// The first entry where the chain breaks (edited, missing or re-linked).
    async fn first_broken_seq(&self) -> Option<i64> {
        self.0.first_broken_seq
    }
    async fn break_reason(&self) -> Option<&str> {
        self.0.break_reason.as_deref()
    }
    /// The sealed log of record format 1, when this database had one before format 2.
    async fn sealed_v1(&self) -> Option<SealedAuditLog> {
        self.0.sealed_v1.as_ref().map(|s| SealedAuditLog {
            length: s.length,
            head_seq: s.head_seq,
            head_hash: s.head_hash.clone(),
            verified: s.verified,
            first_broken_seq: s.first_broken_seq,
            break_reason: s.break_reason.clone(),
        })
    }
    /// How many stored rows differ from the chain.
    async fn mismatch_count(&self) -> usize {
        self.0.mismatch_count
    }
    /// The first 50 of them.
    async fn mismatches(&self) -> Vec<AuditMismatch> {
        self.0
            .mismatches
            .iter()
            .map(|m| AuditMismatch {
                entity_type: m.entity_type.clone(),
                entity_id: m.entity_id.clone(),
                audit_seq: m.audit_seq,
                problem: m.problem.clone(),
            })
            .collect()
    }
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Recomputes the audit chain from its first entry and compares every stored row with
    /// it. Public: anyone can check that no number was changed behind the application's back.
    /// Coordinators and admins always get a fresh verification; others may get the last one
    /// while the chain's head has not moved and it is at most 5 minutes old (a verification
    /// reads the whole log and every table).
    async fn audit_chain(&self, ctx: &Context<'_>) -> async_graphql::Result<AuditChainGql> {
        let caller = ctx.caller();
        Ok(AuditChainGql(ctx.app()?.audit_chain(caller).await.gql()?))
    }
}
