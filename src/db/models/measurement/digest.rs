//! The digest of an import's rows: what its audit entry commits to, recomputed by
//! `ayni audit verify`.

use chrono::NaiveDateTime;

use crate::db::{DbConnection, StoreError};

use super::{BulkRow, ImportCommon, Measurement, of_import};

/// The fields of a row that its import's digest covers: those a review never changes.
pub struct DigestFields<'a> {
    pub id: i64,
    pub variable_id: Option<i64>,
    /// A period's text (digits, `S`, `Q`: nothing JSON escapes).
    pub period: &'a dyn std::fmt::Display,
    pub territory: &'a str,
    pub disaggregation: &'a str,
    pub revision: i32,
    pub value: f64,
    pub evidence_url: Option<&'a str>,
    pub evidence_text: Option<&'a str>,
    pub comment: &'a str,
    pub actor_id: i64,
    pub submitted_by: Option<i64>,
    pub submitted_at: NaiveDateTime,
    pub import_id: Option<i64>,
}

impl<'a> DigestFields<'a> {
    pub fn of(m: &'a Measurement) -> DigestFields<'a> {
        DigestFields {
            id: m.id,
            variable_id: m.variable_id,
            period: &m.period,
            territory: &m.territory,
            disaggregation: &m.disaggregation,
            revision: m.revision,
            value: m.value,
            evidence_url: m.evidence_url.as_deref(),
            evidence_text: m.evidence_text.as_deref(),
            comment: &m.comment,
            actor_id: m.actor_id,
            submitted_by: m.submitted_by,
            submitted_at: m.submitted_at,
            import_id: m.import_id,
        }
    }

    pub fn of_imported(common: &ImportCommon, r: &'a BulkRow) -> DigestFields<'a> {
        DigestFields {
            id: r.id,
            variable_id: Some(r.variable_id),
            period: &r.period,
            territory: &r.territory,
            disaggregation: "",
            revision: r.revision,
            value: r.value,
            evidence_url: r.evidence_url.as_deref(),
            evidence_text: r.evidence_text.as_deref(),
            comment: "",
            actor_id: common.actor_id,
            submitted_by: common.submitted_by,
            submitted_at: common.submitted_at,
            import_id: Some(common.import_id),
        }
    }

    /// One line: numbers as Rust prints them (shortest round-trip for `value`), texts as
    /// JSON strings, absent values empty, separated by tabs.
    fn write_line(&self, out: &mut String) {
        use std::fmt::Write;
        let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        let text = |t: &str| serde_json::to_string(t).unwrap_or_default();
        let opt_text = |t: Option<&str>| t.map(text).unwrap_or_default();
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.id,
            opt(self.variable_id),
            format_args!("\"{}\"", self.period),
            text(self.territory),
            text(self.disaggregation),
            self.revision,
            self.value,
            opt_text(self.evidence_url),
            opt_text(self.evidence_text),
            text(self.comment),
            self.actor_id,
            opt(self.submitted_by),
            self.submitted_at.format("%Y-%m-%dT%H:%M:%S%.6f"),
            opt(self.import_id),
        );
    }
}

/// SHA-256 over the digest lines of these rows, in the order given (id order).
pub fn rows_digest<'a>(rows: impl IntoIterator<Item = DigestFields<'a>>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut line = String::with_capacity(256);
    for r in rows {
        line.clear();
        r.write_line(&mut line);
        h.update(line.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The digest of the rows an import stored, as they are now.
pub fn import_digest(conn: &mut DbConnection, import_id: i64) -> Result<String, StoreError> {
    Ok(rows_digest(
        of_import(conn, import_id)?.iter().map(DigestFields::of),
    ))
}
