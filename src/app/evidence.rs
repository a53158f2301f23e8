//! Evidence files: checked (kind by content, size), stored content-addressed by SHA-256 in
//! the files directory, recorded when a value names them, and served to whoever may see a
//! value naming them (the public: only once such a value is approved).

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::db::WriteTx;
use crate::db::models::evidence_file::{self, NewEvidenceFile};
use crate::domain::evidence::{EvidenceKind, is_sha256_hex, safe_file_name};

use super::{AppError, Ayni, Caller};

/// Where evidence files live and how large they may be.
#[derive(Debug, Clone)]
pub struct EvidenceStore {
    dir: PathBuf,
    max_bytes: u64,
}

impl EvidenceStore {
    /// The store in `dir` (created when missing).
    pub fn open(dir: PathBuf, max_bytes: u64) -> std::io::Result<EvidenceStore> {
        std::fs::create_dir_all(&dir)?;
        Ok(EvidenceStore { dir, max_bytes })
    }

    fn path_of(&self, sha256: &str) -> PathBuf {
        self.dir.join(sha256)
    }
}

/// An uploaded file, checked and stored under its hash, for a submission to name.
/// Only [`Ayni::store_evidence`] makes one: holding it proves the content was uploaded.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadedEvidence {
    sha256: String,
    kind: EvidenceKind,
    size_bytes: i64,
    file_name: String,
}

impl UploadedEvidence {
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The safe name it is served under.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }
}

/// What is known of a stored evidence file.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceFileInfo {
    pub sha256: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub file_name: String,
}

impl From<evidence_file::EvidenceFile> for EvidenceFileInfo {
    fn from(r: evidence_file::EvidenceFile) -> Self {
        EvidenceFileInfo {
            sha256: r.sha256,
            media_type: r.media_type,
            size_bytes: r.size_bytes,
            file_name: r.file_name,
        }
    }
}

/// Records the upload a submission names (inside its write) and returns its hash.
pub(super) fn record<'a>(
    tx: &mut WriteTx<'_>,
    file: Option<&'a UploadedEvidence>,
) -> Result<Option<&'a str>, AppError> {
    let Some(f) = file else { return Ok(None) };
    evidence_file::record(
        tx,
        &NewEvidenceFile {
            sha256: &f.sha256,
            media_type: f.kind.media_type(),
            size_bytes: f.size_bytes,
            file_name: &f.file_name,
        },
    )?;
    Ok(Some(&f.sha256))
}

fn evidence_error(rule: &'static str, message: String) -> AppError {
    AppError::invalid("evidenceFile", rule, message)
}

/// Writes `content` under `dir/<sha256>` through a temporary file in the same directory, so
/// a crash never leaves a partial file under a hash name.
fn write_addressed(dir: &Path, target: &Path, content: &[u8]) -> std::io::Result<()> {
    if target.exists() {
        return Ok(());
    }
    let tmp = dir.join(format!(".upload-{:016x}", rand::random::<u64>()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(content)?;
        f.sync_all()?;
        std::fs::rename(&tmp, target)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

impl Ayni {
    /// The same service storing evidence files in `store`.
    pub fn with_evidence_store(mut self, store: EvidenceStore) -> Ayni {
        self.evidence = Some(std::sync::Arc::new(store));
        self
    }

    /// The largest evidence file accepted, in bytes.
    pub fn evidence_limit(&self) -> u64 {
        self.evidence
            .as_ref()
            .map_or(crate::domain::evidence::DEFAULT_MAX_EVIDENCE_BYTES, |s| {
                s.max_bytes
            })
    }

    fn evidence_store(&self) -> Result<std::sync::Arc<EvidenceStore>, AppError> {
        self.evidence
            .clone()
            .ok_or_else(|| AppError::internal("no directory for evidence files is configured"))
    }

    /// Checks an uploaded file (kind by content, size) and stores it under its SHA-256.
    /// Nothing names it until a submission does.
    pub async fn store_evidence(
        &self,
        raw_name: &str,
        content: Vec<u8>,
    ) -> Result<UploadedEvidence, AppError> {
        let store = self.evidence_store()?;
        if content.len() as u64 > store.max_bytes {
            return Err(evidence_error(
                "size",
                format!("the file is larger than {} bytes", store.max_bytes),
            ));
        }
        let kind = EvidenceKind::sniff(&content).ok_or_else(|| {
            evidence_error(
                "type",
                "the file is not a PDF, PNG, JPEG, XLSX or CSV (UTF-8) file".to_string(),
            )
        })?;
        let file_name = safe_file_name(raw_name, kind);
        tokio::task::spawn_blocking(move || {
            let sha256 = hex::encode(Sha256::digest(&content));
            write_addressed(&store.dir, &store.path_of(&sha256), &content)
                .map_err(|e| AppError::internal(format!("storing an evidence file: {e}")))?;
            Ok(UploadedEvidence {
                sha256,
                kind,
                size_bytes: content.len() as i64,
                file_name,
            })
        })
        .await
        .map_err(|e| AppError::internal(format!("storing an evidence file: {e}")))?
    }

    /// The file `sha256` with its content, when `caller` may see a value naming it: the
    /// public (`None`) and everyone when one such value is approved; the actor whose value
    /// names it; coordinators and admins. `None` otherwise, as for an unknown hash.
    pub async fn evidence_file(
        &self,
        caller: Option<&Caller>,
        sha256: &str,
    ) -> Result<Option<(EvidenceFileInfo, Vec<u8>)>, AppError> {
        if !is_sha256_hex(sha256) {
            return Ok(None);
        }
        let store = self.evidence_store()?;
        let key = sha256.to_string();
        let (row, namers) = self
            .db
            .run(move |c| {
                Ok::<_, AppError>((
                    evidence_file::by_sha256(c, &key)?,
                    evidence_file::namers(c, &key)?,
                ))
            })
            .await?;
        let Some(row) = row else { return Ok(None) };
        let allowed = namers.iter().any(|(actor, approved)| {
            *approved
                || caller.is_some_and(|c| c.role.manages_strategy() || c.actor_id == Some(*actor))
        });
        if !allowed {
            return Ok(None);
        }
        let path = store.path_of(&row.sha256);
        let content = read_stored(path).await?;
        Ok(Some((EvidenceFileInfo::from(row), content)))
    }

    /// The evidence files of these values, by measurement id (one query per table). The
    /// caller has already been shown the values: their files follow the values' visibility.
    pub async fn evidence_files_of_measurements(
        &self,
        ids: Vec<i64>,
    ) -> Result<Vec<(i64, EvidenceFileInfo)>, AppError> {
        self.db
            .run(move |c| {
                let named = crate::db::models::measurement::evidence_files_of(c, &ids)?;
                let mut hashes: Vec<String> = named.iter().map(|(_, h)| h.clone()).collect();
                hashes.sort_unstable();
                hashes.dedup();
                let files: std::collections::HashMap<String, EvidenceFileInfo> =
                    evidence_file::by_sha256s(c, &hashes)?
                        .into_iter()
                        .map(|f| (f.sha256.clone(), EvidenceFileInfo::from(f)))
                        .collect();
                Ok::<_, AppError>(
                    named
                        .into_iter()
                        .filter_map(|(id, h)| files.get(&h).map(|f| (id, f.clone())))
                        .collect(),
                )
            })
            .await
    }

    /// What is known of these files (their values' visibility is the caller's concern).
    pub async fn evidence_files_info(
        &self,
        hashes: Vec<String>,
    ) -> Result<Vec<EvidenceFileInfo>, AppError> {
        self.db
            .run(move |c| Ok::<_, AppError>(evidence_file::by_sha256s(c, &hashes)?))
            .await
            .map(|rows| rows.into_iter().map(EvidenceFileInfo::from).collect())
    }
}

/// Reads a stored file off the async threads.
async fn read_stored(path: PathBuf) -> Result<Vec<u8>, AppError> {
    tokio::task::spawn_blocking(move || std::fs::read(&path))
        .await
        .map_err(|e| AppError::internal(format!("reading an evidence file: {e}")))?
        .map_err(|e| AppError::internal(format!("reading an evidence file: {e}")))
}
