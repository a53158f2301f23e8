//! Read models: what the use cases return and the interfaces consume (GraphQL, REST, the
//! web portal, exports, seeding). Plain values with domain types, copied out of storage rows
//! once, at the end of a use case, so no interface depends on how rows are stored.
//!
//! The conversions from rows are at the bottom of this file; they are the only place where
//! a read model meets a row.

/// One audit entry's published fields (its states are parsed beside it).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub user_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The audit chain, recomputed, with the stored rows compared against it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChainReport {
    /// Entries in the log.
    pub length: i64,
    /// The last entry that verified, and its hash.
    pub head_seq: i64,
    pub head_hash: String,
    /// The first entry where the chain breaks, and why.
    pub first_broken_seq: Option<i64>,
    pub break_reason: Option<String>,
    /// Rows changed, added or deleted without going through the application (the first
    /// ones; `mismatch_count` counts them all).
    pub mismatches: Vec<Mismatch>,
    pub mismatch_count: usize,
    /// The format-1 log this database had before record format 2, when it had one.
    pub sealed_v1: Option<SealedLog>,
    /// The chain, every private part, every row and the sealed log all verify.
    pub verified: bool,
}

/// A stored row that differs from what the audit chain says about it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Mismatch {
    pub entity_type: String,
    pub entity_id: String,
    /// The latest audit entry about the entity, if any.
    pub audit_seq: Option<i64>,
    pub problem: String,
}

/// The sealed format-1 log, recomputed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SealedLog {
    pub length: i64,
    pub head_seq: i64,
    pub head_hash: String,
    pub first_broken_seq: Option<i64>,
    pub break_reason: Option<String>,
    /// It hashes and links throughout, and the seal records exactly its head.
    pub verified: bool,
}

/// Rows to read models, in one pass.
pub(super) fn all<R, M: From<R>>(rows: Vec<R>) -> Vec<M> {
    rows.into_iter().map(M::from).collect()
}

// The conversions from storage rows: the only code that knows both sides.
mod from_rows {
    use super::*;
    use crate::db::audit as audit_log;
    use crate::db::verify;

    impl From<audit_log::AuditEntry> for AuditEntry {
        fn from(r: audit_log::AuditEntry) -> Self {
            AuditEntry {
                seq: r.seq,
                at: r.at,
                user_id: r.user_id,
                actor_id: r.actor_id,
                action: r.action,
                entity_type: r.entity_type,
                entity_id: r.entity_id,
                prev_hash: r.prev_hash,
                hash: r.hash,
            }
        }
    }

    impl From<verify::ChainReport> for ChainReport {
        fn from(r: verify::ChainReport) -> Self {
            ChainReport {
                verified: r.verified(),
                length: r.length,
                head_seq: r.head_seq,
                head_hash: r.head_hash,
                first_broken_seq: r.first_broken_seq,
                break_reason: r.break_reason,
                mismatches: all(r.mismatches),
                mismatch_count: r.mismatch_count,
                sealed_v1: r.sealed_v1.map(SealedLog::from),
            }
        }
    }

    impl From<verify::Mismatch> for Mismatch {
        fn from(r: verify::Mismatch) -> Self {
            Mismatch {
                entity_type: r.entity_type,
                entity_id: r.entity_id,
                audit_seq: r.audit_seq,
                problem: r.problem,
            }
        }
    }

    impl From<verify::SealedLog> for SealedLog {
        fn from(r: verify::SealedLog) -> Self {
            SealedLog {
                verified: r.verified(),
                length: r.length,
                head_seq: r.head_seq,
                head_hash: r.head_hash,
                first_broken_seq: r.first_broken_seq,
                break_reason: r.break_reason,
            }
        }
    }
}
