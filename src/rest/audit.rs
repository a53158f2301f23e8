use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::{Ayni, MAX_PROOF_PAGE};

use super::ApiError;

/// The chain's head: record it, and later prove that the history up to it was not rewritten.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditHeadBody {
    /// Number of the last entry (0 for an empty log).
    pub seq: i64,
    /// Its hash (hex SHA-256).
    pub hash: String,
    /// When it was written (UTC).
    pub at: Option<String>,
}

/// The current head of the audit chain.
#[utoipa::path(get, path = "/api/v1/audit/head", tag = "audit",
    responses((status = 200, description = "The last entry's number, hash and time", body = AuditHeadBody)))]
pub async fn head(app: web::Data<Ayni>) -> Result<web::Json<AuditHeadBody>, ApiError> {
    let h = app.audit_head().await?;
    Ok(web::Json(AuditHeadBody {
        seq: h.seq,
        hash: h.hash,
        at: h.at,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProofQuery {
    /// First entry to return (≥ 1): one after the checkpoint you saved.
    pub from: i64,
    /// At most this many entries (default and maximum 1000).
    pub limit: Option<i64>,
}

/// One audit entry as published.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProofEntry {
    pub seq: i64,
    pub at: String,
    pub user_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    /// The entity's state before the write (absent for creations).
    pub before: Option<serde_json::Value>,
    /// The entity's state after the write (absent for deletions).
    pub after: Option<serde_json::Value>,
    pub prev_hash: String,
    /// `SHA-256(prev_hash ‖ canonical)` as hex.
    pub hash: String,
    /// The exact text that was hashed: the fields above but the hashes, as JSON with keys
    /// sorted and no spaces.
    pub canonical: String,
}

/// A page of the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProofBody {
    pub from: i64,
    pub entries: Vec<ProofEntry>,
    /// `from` for the next page, when there is more.
    pub next: Option<i64>,
}

/// Audit entries from a point on, to recompute the chain from a saved checkpoint.
#[utoipa::path(get, path = "/api/v1/audit/proof", tag = "audit", params(ProofQuery),
    responses((status = 200, description = "Entries from `from` on", body = ProofBody),
              (status = 400, description = "Bad parameters", body = super::ErrorBody)))]
pub async fn proof(
    app: web::Data<Ayni>,
    query: web::Query<ProofQuery>,
) -> Result<web::Json<ProofBody>, ApiError> {
    let limit = query.limit.unwrap_or(MAX_PROOF_PAGE);
    let page = app.audit_proof(query.from, limit).await?;
    let head = app.audit_head().await?;
    let next = page
        .last()
        .map(|e| e.entry.seq + 1)
        .filter(|n| *n <= head.seq);
    Ok(web::Json(ProofBody {
        from: query.from,
        next,
        entries: page
            .into_iter()
            .map(|p| ProofEntry {
                seq: p.entry.seq,
                at: p.entry.at,
                user_id: p.entry.user_id,
                actor_id: p.entry.actor_id,
                action: p.entry.action,
                entity_type: p.entry.entity_type,
                entity_id: p.entry.entity_id,
                before: p.before,
                after: p.after,
                prev_hash: p.entry.prev_hash,
                hash: p.entry.hash,
                canonical: p.canonical,
            })
            .collect(),
    }))
}
