//! Evidence files: one row per stored content (by SHA-256), the first uploader kept. The
//! content lives in the files directory; the hash a value names is in the value's audit
//! state, so the row itself is not audited.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{evidence_files, measurements};
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::MeasurementStatus;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = evidence_files)]
pub struct EvidenceFile {
    pub sha256: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub file_name: String,
    pub uploaded_by: Option<i64>,
    pub uploaded_at: NaiveDateTime,
}

/// A stored content to record.
pub struct NewEvidenceFile<'a> {
    pub sha256: &'a str,
    pub media_type: &'a str,
    pub size_bytes: i64,
    pub file_name: &'a str,
}

/// Records a stored content unless it is known already (the first uploader is kept).
pub fn record(tx: &mut WriteTx<'_>, new: &NewEvidenceFile<'_>) -> Result<(), StoreError> {
    if by_sha256(tx.conn(), new.sha256)?.is_some() {
        return Ok(());
    }
    let now = tx.now();
    let by = tx.author().user_id;
    diesel::insert_into(evidence_files::table)
        .values((
            evidence_files::sha256.eq(new.sha256),
            evidence_files::media_type.eq(new.media_type),
            evidence_files::size_bytes.eq(new.size_bytes),
            evidence_files::file_name.eq(new.file_name),
            evidence_files::uploaded_by.eq(by),
            evidence_files::uploaded_at.eq(now),
        ))
        .execute(tx.conn())?;
    Ok(())
}

pub fn by_sha256(
    conn: &mut DbConnection,
    sha256: &str,
) -> Result<Option<EvidenceFile>, StoreError> {
    Ok(evidence_files::table
        .find(sha256)
        .select(EvidenceFile::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_sha256s(
    conn: &mut DbConnection,
    hashes: &[String],
) -> Result<Vec<EvidenceFile>, StoreError> {
    let mut out = Vec::new();
    for chunk in hashes.chunks(500) {
        out.extend(
            evidence_files::table
                .filter(evidence_files::sha256.eq_any(chunk))
                .select(EvidenceFile::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// Who the values naming this file belong to: `(actor id, approved)` of each.
pub fn namers(conn: &mut DbConnection, sha256: &str) -> Result<Vec<(i64, bool)>, StoreError> {
    let rows: Vec<(i64, String)> = measurements::table
        .filter(measurements::evidence_file.eq(sha256))
        .select((measurements::actor_id, measurements::status))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(a, s)| (a, s == MeasurementStatus::Approved.as_str()))
        .collect())
}
