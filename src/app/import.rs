//! Bulk entry of observations from CSV (`variable,period,territory,value,evidence`).
//!
//! Every row is validated first and *all* row errors are reported with their line numbers;
//! then either every row is stored, in one transaction, or nothing is. A row equal to the
//! latest revision already stored (same variable, period, territory and value) is left
//! alone, so importing the same file twice creates nothing the second time.
//!
//! Rows are inserted in bulk; the import's one audit entry records the file's SHA-256 and a
//! digest of every stored row, which `ayni audit verify` recomputes.

use std::collections::HashMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::db::WriteTx;
use crate::db::models::measurement::{self, BulkRow, DigestFields, ImportCommon, Subject};
use crate::db::models::variable::{self, Import};
use crate::domain::plausibility::not_after_current;
use crate::domain::{
    Evidence, MeasurementStatus, Period, PeriodType, Role, TerritoryLevel, Ubigeo, ValidRange,
    indicator::finite,
};
use chrono::NaiveDate;

use super::data_quality::{RowFlag, ScoredRow, first_locked, import_flags};
use super::ecosystems::require_ecosystem;
use super::measurements::{contributing_actor, require_actor};
use super::{AppError, Ayni, Caller};

/// A bulk import, as one reader may see it.
#[derive(Debug, Clone)]
pub struct ImportView {
    pub id: i64,
    pub actor_id: i64,
    pub rows_read: i64,
    pub rows_created: i64,
    pub rows_unchanged: i64,
    pub created_at: chrono::NaiveDateTime,
    /// For coordinators, admins and the importing actor only.
    pub file: Option<ImportFile>,
}

/// What identifies an import's content: private until its rows are reviewed.
#[derive(Debug, Clone)]
pub struct ImportFile {
    pub file_name: String,
    pub file_sha256: String,
    pub rows_digest: String,
}

/// The columns a file must have (in any order).
pub const COLUMNS: [&str; 5] = ["variable", "period", "territory", "value", "evidence"];
/// Row errors listed in a report (the count is always complete).
pub const MAX_LISTED_ERRORS: usize = 10_000;
/// Flags listed in a report (the count is always complete).
pub const MAX_LISTED_FLAGS: usize = 1000;
/// Largest file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 512 * 1024 * 1024;

/// A problem with one line of the file (line 1 is the header).
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RowError {
    pub line: u64,
    /// The column at fault, when one is.
    pub column: Option<String>,
    pub message: String,
}

/// The outcome of an import.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// Whether the rows were stored (all of them) or not (none).
    pub imported: bool,
    /// The recorded import, when anything new was stored.
    pub import_id: Option<i64>,
    pub rows_read: u64,
    pub rows_created: u64,
    /// Rows equal to a value already stored: not stored again.
    pub rows_unchanged: u64,
    pub error_count: u64,
    /// The first errors, in line order.
    pub errors: Vec<RowError>,
    /// New rows flagged as unusual (stored all the same, for reviewers to look at): how many
    /// flags in all.
    pub flag_count: u64,
    /// The first flags, in line order (at most 1000).
    pub flags: Vec<RowFlag>,
    /// One sentence for people.
    pub message: String,
}

/// Which step an import is in, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportPhase {
    /// `done` and `total` count bytes read.
    Validating,
    /// `done` and `total` count rows stored.
    Storing,
}

/// Called with the phase, the work done and the work in all.
pub type Progress = Arc<dyn Fn(ImportPhase, u64, u64) + Send + Sync>;

/// One row as read from the file, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    pub line: u64,
    pub variable: String,
    pub period: String,
    pub territory: String,
    pub value: String,
    /// A URL or a text (the CSV's one `evidence` column), or the URL alone when
    /// `evidence_text` is given.
    pub evidence: String,
    /// The text of evidence given in a column of its own (workbooks), beside the URL.
    pub evidence_text: Option<String>,
}

/// Reads the CSV: the header must name the five columns; each record must have exactly
/// five fields of valid UTF-8. Returns the rows read and the errors found, never panicking on
/// any input.
pub fn read_csv(bytes: &[u8], progress: &dyn Fn(u64)) -> (Vec<RawRow>, Vec<RowError>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header = match reader.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            errors.push(RowError {
                line: 1,
                column: None,
                message: format!("the header cannot be read: {e}"),
            });
            return (rows, errors);
        }
    };
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_lowercase())
        .collect();
    let mut index = [usize::MAX; 5];
    for (i, wanted) in COLUMNS.iter().enumerate() {
        match names.iter().position(|n| n == wanted) {
            Some(at) => index[i] = at,
            None => errors.push(RowError {
                line: 1,
                column: Some(wanted.to_string()),
                message: format!(
                    "the header has no '{wanted}' column; it must be: {}",
                    COLUMNS.join(",")
                ),
            }),
        }
    }
    for (i, n) in names.iter().enumerate() {
        if COLUMNS.contains(&n.as_str()) && names[..i].contains(n) {
            errors.push(RowError {
                line: 1,
                column: Some(n.clone()),
                message: format!("the header names the column '{n}' twice"),
            });
        }
    }
    for n in &names {
        if !COLUMNS.contains(&n.as_str()) {
            errors.push(RowError {
                line: 1,
                column: Some(n.clone()),
                message: format!(
                    "unknown column '{n}'; the columns are: {}",
                    COLUMNS.join(",")
                ),
            });
        }
    }
    if !errors.is_empty() {
        return (rows, errors);
    }
    let mut record = csv::ByteRecord::new();
    let mut count = 0u64;
    loop {
        let line = reader.position().line() + 1;
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                errors.push(RowError {
                    line,
                    column: None,
                    message: format!("this line cannot be read as CSV: {e}"),
                });
                // A reader error other than on one record (I/O) cannot be skipped.
                if !matches!(
                    e.kind(),
                    csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. }
                ) {
                    break;
                }
                continue;
            }
        }
        let line = record.position().map_or(line, |p| p.line());
        count += 1;
        if count.is_multiple_of(65_536) {
            progress(record.position().map_or(0, |p| p.byte()));
        }
        if record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) {
            // A blank line.
            continue;
        }
        if record.len() != names.len() {
            errors.push(RowError {
                line,
                column: None,
                message: format!("expected {} fields, found {}", names.len(), record.len()),
            });
            continue;
        }
        let mut fields: [String; 5] = Default::default();
        let mut ok = true;
        for (i, at) in index.iter().enumerate() {
            match std::str::from_utf8(record.get(*at).unwrap_or_default()) {
                Ok(s) => fields[i] = s.to_string(),
                Err(_) => {
                    ok = false;
                    errors.push(RowError {
                        line,
                        column: Some(COLUMNS[i].to_string()),
                        message: "is not valid UTF-8 text".into(),
                    });
                }
            }
        }
        if ok {
            let [variable, period, territory, value, evidence] = fields;
            rows.push(RawRow {
                line,
                variable,
                period,
                territory,
                value,
                evidence,
                evidence_text: None,
            });
        }
    }
    progress(bytes.len() as u64);
    (rows, errors)
}

/// What validation needs to know of a variable.
#[derive(Debug, Clone)]
pub struct KnownVariable {
    pub id: i64,
    pub periodicity: PeriodType,
    pub level: TerritoryLevel,
    pub selected: bool,
    pub responsible_actor_id: Option<i64>,
    /// The range enforced (a percentage unit's default applied).
    pub range: ValidRange,
    pub unit: String,
}

/// A row that passed validation.
#[derive(Debug, Clone)]
pub struct ValidRow {
    pub line: u64,
    pub variable_id: i64,
    pub period: Period,
    pub territory: Ubigeo,
    pub value: f64,
    pub evidence: Evidence,
}

/// Validates every row against the repository and the ecosystem, returning the valid rows
/// and every error. `contributor` is the actor a contributor imports for (it must supply
/// each variable); `None` for coordinators. A period may not end after the current period
/// of its type (the one containing `today`); a value must lie in its variable's valid range.
pub fn validate_rows(
    raw: &[RawRow],
    variables: &HashMap<String, KnownVariable>,
    home: &Ubigeo,
    contributor: Option<i64>,
    today: NaiveDate,
    errors: &mut Vec<RowError>,
) -> Vec<ValidRow> {
    let mut out = Vec::with_capacity(raw.len());
    for row in raw {
        let mut fail = |column: &str, message: String| {
            errors.push(RowError {
                line: row.line,
                column: Some(column.to_string()),
                message,
            });
        };
        let var = match variables.get(row.variable.as_str()) {
            Some(v) if !v.selected => {
                fail(
                    "variable",
                    format!(
                        "{} is in the repository but not selected for this ecosystem",
                        row.variable
                    ),
                );
                None
            }
            Some(v) if contributor.is_some() && v.responsible_actor_id != contributor => {
                fail(
                    "variable",
                    format!("your actor does not supply variable {}", row.variable),
                );
                None
            }
            Some(v) => Some(v),
            None if row.variable.is_empty() => {
                fail("variable", "is empty".into());
                None
            }
            None => {
                fail(
                    "variable",
                    format!("no variable '{}' in the repository", row.variable),
                );
                None
            }
        };
        let period = match var {
            Some(v) => Period::parse_typed("period", &row.period, v.periodicity)
                .map_err(|e| fail("period", e.message))
                .ok(),
            None => Period::parse("period", &row.period)
                .map_err(|e| fail("period", e.message))
                .ok(),
        };
        let period = period.and_then(|p| {
            not_after_current("period", &p, today)
                .map_err(|e| fail("period", e.message))
                .ok()
                .map(|()| p)
        });
        let territory = match Ubigeo::parse("territory", &row.territory) {
            Ok(t) if !home.contains(&t) => {
                fail(
                    "territory",
                    format!("{t} lies outside the ecosystem's territory {home}"),
                );
                None
            }
            Ok(t) if var.is_some_and(|v| t.level() > v.level) => {
                fail(
                    "territory",
                    format!(
                        "{} is published at a coarser level; {t} is too fine",
                        row.variable
                    ),
                );
                None
            }
            Ok(t) => Some(t),
            Err(e) => {
                fail("territory", e.message);
                None
            }
        };
        let value = match row.value.parse::<f64>().map(|v| finite("value", v)) {
            Ok(Ok(v)) => match var {
                Some(known) => known
                    .range
                    .check("value", v, &known.unit)
                    .map_err(|e| fail("value", e.message))
                    .ok()
                    .map(|()| v),
                None => Some(v),
            },
            Ok(Err(e)) => {
                fail("value", e.message);
                None
            }
            Err(_) if row.value.contains(',') => {
                fail(
                    "value",
                    format!(
                        "'{}' is not a number: use '.' for decimals and no thousands separator",
                        row.value
                    ),
                );
                None
            }
            Err(_) => {
                fail("value", format!("'{}' is not a number", row.value));
                None
            }
        };
        let evidence = {
            let e = row.evidence.trim();
            let is_url = e.starts_with("http://") || e.starts_with("https://");
            let parsed = if let Some(text) = &row.evidence_text {
                Evidence::parse(Some(e), Some(text))
            } else if is_url {
                Evidence::parse(Some(e), None)
            } else {
                Evidence::parse(None, Some(e))
            };
            parsed
                .map_err(|err| {
                    let column = if err.field == "evidenceText" && row.evidence_text.is_some() {
                        "evidence_text"
                    } else {
                        "evidence"
                    };
                    fail(column, err.message)
                })
                .ok()
        };
        let (Some(var), Some(period), Some(territory), Some(value), Some(evidence)) =
            (var, period, territory, value, evidence)
        else {
            continue;
        };
        out.push(ValidRow {
            line: row.line,
            variable_id: var.id,
            period,
            territory,
            value,
            evidence,
        });
    }
    out
}

/// Sorts valid rows by series (variable, period, territory) and removes each row that
/// repeats an earlier line's series, with an error naming that line. `codes` names the
/// variables.
pub fn reject_repeated_rows(
    valid: &mut Vec<ValidRow>,
    codes: &HashMap<i64, &str>,
    errors: &mut Vec<RowError>,
) {
    valid.sort_unstable_by(|a, b| {
        (
            a.variable_id,
            a.period.sort_key(),
            a.territory.as_str(),
            a.line,
        )
            .cmp(&(
                b.variable_id,
                b.period.sort_key(),
                b.territory.as_str(),
                b.line,
            ))
    });
    // Sorted, a repeat follows the first line of its series, which `dedup_by` keeps.
    valid.dedup_by(|later, first| {
        let repeated = later.variable_id == first.variable_id
            && later.period == first.period
            && later.territory == first.territory;
        if repeated {
            errors.push(RowError {
                line: later.line,
                column: None,
                message: format!(
                    "{} {} {} is already on line {}",
                    codes.get(&later.variable_id).copied().unwrap_or("?"),
                    later.period,
                    later.territory,
                    first.line
                ),
            });
        }
        repeated
    });
}

/// The rows to store, numbered from `first_id`. The texts of a period are made once and
/// shared by its rows.
fn bulk_rows(fresh: Vec<(ValidRow, i32)>, first_id: i64) -> Vec<BulkRow> {
    type PeriodTexts = (Arc<str>, Arc<str>, Arc<str>);
    let mut periods: HashMap<Period, PeriodTexts> = HashMap::new();
    let mut out = Vec::with_capacity(fresh.len());
    for (id, (row, revision)) in (first_id..).zip(fresh) {
        let (period, start, end) = periods
            .entry(row.period)
            .or_insert_with(|| {
                (
                    row.period.to_string().into(),
                    row.period.start().to_string().into(),
                    row.period.end().to_string().into(),
                )
            })
            .clone();
        out.push(BulkRow {
            id,
            variable_id: row.variable_id,
            period,
            period_start: start,
            period_end: end,
            territory: row.territory.into_string(),
            revision,
            value: row.value,
            evidence_url: row.evidence.url,
            evidence_text: row.evidence.text,
        });
    }
    out
}

pub(super) fn refused(rows_read: u64, mut errors: Vec<RowError>) -> ImportReport {
    errors.sort_by_key(|e| e.line);
    let error_count = errors.len() as u64;
    errors.truncate(MAX_LISTED_ERRORS);
    ImportReport {
        imported: false,
        import_id: None,
        rows_read,
        rows_created: 0,
        rows_unchanged: 0,
        error_count,
        message: format!(
            "nothing was imported: {error_count} error(s) in the file; fix them and import it again"
        ),
        errors,
        flag_count: 0,
        flags: Vec::new(),
    }
}

/// An import's rows as read, not yet validated, with what identifies their file.
pub(super) struct RowsToImport {
    pub ecosystem_id: i64,
    pub actor_id: i64,
    /// The actor whose variables alone may be imported (a contributor's); `None`: any.
    pub contributor: Option<i64>,
    pub raw: Vec<RawRow>,
    /// Errors already found (reading the file): the import is refused with them, after
    /// every row has been validated too.
    pub errors: Vec<RowError>,
    pub file_name: String,
    pub file_sha256: String,
    pub progress: Option<Progress>,
    /// Tell the reviewers (an upload that stores more than these rows tells them itself).
    pub notify: bool,
}

/// Validates an import's rows and stores them in `tx`, all or nothing: a report listing
/// every error when any row (or `job.errors`) is at fault.
pub(super) fn import_rows(
    tx: &mut WriteTx<'_>,
    job: RowsToImport,
) -> Result<ImportReport, AppError> {
    let RowsToImport {
        ecosystem_id,
        actor_id,
        contributor,
        raw,
        mut errors,
        file_name,
        file_sha256,
        progress,
        notify: job_notify,
    } = job;
    let t0 = std::time::Instant::now();
    let rows_read = raw.len() as u64;
    let eco = require_ecosystem(tx.conn(), ecosystem_id)?;
    require_actor(tx.conn(), actor_id)?;
    let home = eco.territory.clone();
    let selected: std::collections::HashSet<i64> =
        variable::selected(tx.conn(), eco.id)?.into_iter().collect();
    let codes: Vec<String> = raw
        .iter()
        .map(|r| r.variable.as_str())
        .collect::<std::collections::HashSet<_>>()
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut known = HashMap::new();
    for v in variable::by_codes(tx.conn(), &codes)? {
        known.insert(
            v.code.clone(),
            KnownVariable {
                id: v.id,
                periodicity: v.periodicity,
                level: v.level,
                selected: selected.contains(&v.id),
                responsible_actor_id: v.responsible_actor_id,
                range: v.valid_range().effective(&v.unit),
                unit: v.unit.clone(),
            },
        );
    }
    tracing::debug!(elapsed = ?t0.elapsed(), "import: known");
    let today = tx.now().date();
    let mut valid = validate_rows(&raw, &known, &home, contributor, today, &mut errors);
    drop(raw);
    let code_of: HashMap<i64, &str> = known
        .iter()
        .map(|(code, v)| (v.id, code.as_str()))
        .collect();
    reject_repeated_rows(&mut valid, &code_of, &mut errors);
    tracing::debug!(elapsed = ?t0.elapsed(), "import: validated");
    if !errors.is_empty() {
        return Ok(refused(rows_read, errors));
    }
    if valid.is_empty() {
        return Ok(refused(
            rows_read,
            vec![RowError {
                line: 1,
                column: None,
                message: "the file has no rows".into(),
            }],
        ));
    }
    let ids: Vec<i64> = known.values().map(|v| v.id).collect();
    let latest = measurement::latest_of_variables(tx.conn(), &ids, actor_id)?;
    tracing::debug!(elapsed = ?t0.elapsed(), "import: latest");
    // What is new: a row equal to the latest revision stored is left alone.
    let mut unchanged = 0u64;
    let mut fresh = Vec::with_capacity(valid.len());
    for row in valid {
        let revision = if latest.is_empty() {
            1
        } else {
            let key = (
                row.variable_id,
                row.period.to_string(),
                row.territory.as_str().to_string(),
            );
            match latest.get(&key) {
                Some((_, value, status))
                    if *value == row.value && status != MeasurementStatus::Rejected.as_str() =>
                {
                    unchanged += 1;
                    continue;
                }
                Some((rev, _, _)) => rev + 1,
                None => 1,
            }
        };
        fresh.push((row, revision));
    }
    drop(latest);
    let values: Vec<(Subject, Period)> = fresh
        .iter()
        .map(|(r, _)| (Subject::Variable(r.variable_id), r.period))
        .collect();
    if let Some((i, e)) = first_locked(tx.conn(), &values, &[eco.id], "importing values")? {
        let line = fresh[i].0.line;
        return Err(match e {
            AppError::PeriodLocked(m) => AppError::PeriodLocked(format!("line {line}: {m}")),
            other => other,
        });
    }
    drop(values);
    let scored: Vec<ScoredRow<'_>> = fresh
        .iter()
        .map(|(r, _)| ScoredRow {
            line: r.line,
            variable_id: r.variable_id,
            period: r.period,
            territory: r.territory.as_str(),
            value: r.value,
        })
        .collect();
    let mut flags = import_flags(tx.conn(), &scored)?;
    drop(scored);
    let flag_count = flags.len() as u64;
    flags.truncate(MAX_LISTED_FLAGS);
    tracing::debug!(elapsed = ?t0.elapsed(), "import: flagged");
    let created = fresh.len() as u64;
    if created == 0 {
        return Ok(ImportReport {
            imported: true,
            import_id: None,
            rows_read,
            rows_created: 0,
            rows_unchanged: unchanged,
            error_count: 0,
            errors: Vec::new(),
            flag_count: 0,
            flags: Vec::new(),
            message: format!(
                "nothing new: all {unchanged} rows are already stored with the same values"
            ),
        });
    }
    let import_id = variable::begin_import(
        tx,
        eco.id,
        actor_id,
        &file_name,
        &file_sha256,
        (rows_read as i64, created as i64, unchanged as i64),
    )?;
    let common = ImportCommon {
        actor_id,
        submitted_by: tx.author().user_id,
        submitted_at: tx.now(),
        import_id,
    };
    let first_id = measurement::reserve_ids(tx.conn(), fresh.len())?;
    let new_rows = bulk_rows(fresh, first_id);
    tracing::debug!(elapsed = ?t0.elapsed(), "import: rows built");
    // The digest of the rows (their ids are known) is computed on another core
    // while the database stores them.
    let digest = std::thread::scope(|scope| {
        let digest = scope.spawn(|| {
            measurement::rows_digest(
                new_rows
                    .iter()
                    .map(|r| DigestFields::of_imported(&common, r)),
            )
        });
        measurement::insert_imported(tx.conn(), &common, &new_rows, &|done| {
            if let Some(p) = &progress {
                p(ImportPhase::Storing, done, created);
            }
        })?;
        digest
            .join()
            .map_err(|_| AppError::internal("the digest of the import failed"))
    })?;
    tracing::debug!(elapsed = ?t0.elapsed(), "import: inserted");
    drop(new_rows);
    let import: Import = variable::seal_import(tx, import_id, &digest)?;
    if job_notify && created > 0 {
        super::notifications::import_awaiting_review(tx, &eco.name, created)?;
    }
    Ok(ImportReport {
        imported: true,
        import_id: Some(import.id),
        rows_read,
        rows_created: created,
        rows_unchanged: unchanged,
        error_count: 0,
        errors: Vec::new(),
        flag_count,
        flags,
        message: format!(
            "imported: {created} new value(s) awaiting review, {unchanged} already stored{}",
            if flag_count > 0 {
                format!("; {flag_count} flag(s) of unusual values for the reviewers")
            } else {
                String::new()
            }
        ),
    })
}

impl Ayni {
    /// Imports observations from CSV into the repository, for the variables an ecosystem
    /// selected and territories inside it. All or nothing.
    pub async fn import_observations(
        &self,
        caller: &Caller,
        ecosystem_id: i64,
        file_name: String,
        bytes: Vec<u8>,
        actor_id: Option<i64>,
        progress: Option<Progress>,
    ) -> Result<ImportReport, AppError> {
        let actor_id = contributing_actor(caller, actor_id)?;
        let contributor = (caller.role == Role::Contributor).then_some(actor_id);
        if bytes.len() > MAX_FILE_BYTES {
            return Err(AppError::invalid(
                "file",
                "size",
                format!("at most {MAX_FILE_BYTES} bytes per file; split it"),
            ));
        }
        let total_bytes = bytes.len() as u64;
        let report = |phase, done, total| {
            if let Some(p) = &progress {
                p(phase, done, total);
            }
        };
        let t0 = std::time::Instant::now();
        let (raw, errors) = read_csv(&bytes, &|done| {
            report(ImportPhase::Validating, done, total_bytes)
        });
        let file_sha256 = hex::encode(Sha256::digest(&bytes));
        drop(bytes);
        tracing::debug!(elapsed = ?t0.elapsed(), "import: read");
        let job = RowsToImport {
            ecosystem_id,
            actor_id,
            contributor,
            raw,
            errors,
            file_name,
            file_sha256,
            progress,
            notify: true,
        };
        let stored = self
            .db
            .write(caller.author(), move |tx| import_rows(tx, job))
            .await?;
        self.work.imported(stored.rows_created);
        if stored.import_id.is_some() {
            self.mail_notifications();
        }
        Ok(stored)
    }

    /// Approves every submitted row of an import (coordinators and admins), each with its own
    /// audit entry, in one transaction, set-wise ([`measurement::approve_all`]). All or
    /// nothing: a locked period refuses the whole import. Returns how many were approved.
    pub async fn approve_import(&self, caller: &Caller, import_id: i64) -> Result<u64, AppError> {
        caller.require_strategist("approve imports")?;
        let approved = self
            .db
            .write(caller.author(), move |tx| {
                variable::import_by_id(tx.conn(), import_id)?
                    .ok_or_else(|| AppError::not_found(format!("import {import_id}")))?;
                // Its rows must still be what its audit entry committed to.
                if !crate::db::verify::import_is_covered(tx.conn(), import_id)? {
                    return Err(AppError::Conflict {
                        field: "id".into(),
                        message: format!(
                            "import {import_id}'s rows differ from what its audit entry recorded (changed outside the application?); run `ayni audit verify`"
                        ),
                    });
                }
                let rows: Vec<_> = measurement::of_import(tx.conn(), import_id)?
                    .into_iter()
                    .filter(|r| r.status == MeasurementStatus::Submitted)
                    .collect();
                let mut values = Vec::with_capacity(rows.len());
                for row in &rows {
                    values.push((row.subject()?, row.period));
                }
                if let Some((_, e)) = first_locked(tx.conn(), &values, &[], "approving values")? {
                    return Err(e);
                }
                // Set-wise: what approving each row in turn writes, in a few statements.
                let approved = measurement::approve_all(tx, rows)?.len() as u64;
                Ok(approved)
            })
            .await?;
        self.work.approved(approved);
        Ok(approved)
    }

    /// An import as this caller may see it: its counts are public; its file name and digests
    /// only for coordinators, admins and the importing actor's own users (a digest of a few
    /// values not yet approved could be guessed by trying values).
    pub async fn import_by_id(
        &self,
        caller: Option<&Caller>,
        id: i64,
    ) -> Result<Option<ImportView>, AppError> {
        let import = self
            .db
            .run(move |c| variable::import_by_id(c, id).map_err(AppError::from))
            .await?;
        Ok(import.map(|i| {
            let may_see_file =
                caller.is_some_and(|c| c.role.manages_strategy() || c.actor_id == Some(i.actor_id));
            ImportView {
                id: i.id,
                actor_id: i.actor_id,
                rows_read: i.rows_read,
                rows_created: i.rows_created,
                rows_unchanged: i.rows_unchanged,
                created_at: i.created_at,
                file: may_see_file.then_some(ImportFile {
                    file_name: i.file_name,
                    file_sha256: i.file_sha256,
                    rows_digest: i.rows_digest,
                }),
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn known() -> HashMap<String, KnownVariable> {
        HashMap::from([(
            "V001".to_string(),
            KnownVariable {
                id: 1,
                periodicity: PeriodType::Yearly,
                level: TerritoryLevel::Province,
                selected: true,
                responsible_actor_id: Some(7),
                range: ValidRange {
                    min: Some(-1000.0),
                    max: Some(1000.0),
                },
                unit: "t".into(),
            },
        )])
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn check(csv: &str) -> (Vec<ValidRow>, Vec<RowError>) {
        let (raw, mut errors) = read_csv(csv.as_bytes(), &|_| {});
        let home = Ubigeo::parse("t", "18").unwrap();
        let mut valid = validate_rows(&raw, &known(), &home, None, today(), &mut errors);
        reject_repeated_rows(&mut valid, &HashMap::from([(1, "V001")]), &mut errors);
        errors.sort_by_key(|e| e.line);
        valid.sort_by_key(|v| v.line);
        (valid, errors)
    }

    #[test]
    fn good_rows_pass_with_url_or_text_evidence() {
        let (valid, errors) = check(
            "variable,period,territory,value,evidence\n\
             V001,2023,18,12.5,https://inei.gob.pe/x\n\
             V001, 2024 ,1801,-3,\"INEI, ENAHO\"\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(valid.len(), 2);
        assert!(valid[0].evidence.url.is_some());
        assert_eq!(valid[1].evidence.text.as_deref(), Some("INEI, ENAHO"));
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let (valid, errors) = check(
            "variable,period,territory,value,evidence\n\
             V001,2023,18,12.5,ok\n\
             V999,2023,18,1,ok\n\
             V001,2023Q1,18,1,ok\n\
             V001,2023,0801,1,ok\n\
             V001,2022,180101,1,ok\n\
             V001,2021,18,\"1,5\",ok\n\
             V001,2020,18,NaN,ok\n\
             V001,2019,18,1,\n\
             V001,2023,18,7,dup\n\
             V001,2018,18\n",
        );
        assert_eq!(valid.len(), 1);
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7, 8, 9, 10, 11], "{errors:#?}");
        assert!(errors[0].message.contains("no variable 'V999'"));
        assert!(
            errors[1].message.contains("2023Q1"),
            "{}",
            errors[1].message
        );
        assert!(errors[2].message.contains("outside"));
        assert!(errors[3].message.contains("too fine"));
        assert!(errors[4].message.contains("use '.'"));
        assert!(errors[7].message.contains("already on line 2"));
        assert!(errors[8].message.contains("expected 5 fields"));
    }

    #[test]
    fn future_periods_and_implausible_values_are_row_errors() {
        let (valid, errors) = check(
            "variable,period,territory,value,evidence\n\
             V001,2026,18,1,ok\n\
             V001,2027,18,1,ok\n\
             V001,2100,1801,1,ok\n\
             V001,2025,18,5000,ok\n",
        );
        assert_eq!(valid.len(), 1, "the period in course is fine: {errors:?}");
        let found: Vec<(u64, Option<&str>)> = errors
            .iter()
            .map(|e| (e.line, e.column.as_deref()))
            .collect();
        assert_eq!(
            found,
            [(3, Some("period")), (4, Some("period")), (5, Some("value"))]
        );
        assert!(
            errors[0].message.contains("future"),
            "{}",
            errors[0].message
        );
        assert!(errors[2].message.contains("between -1000 and 1000"));
    }

    #[test]
    fn headers_are_checked() {
        let (_, errors) = check("variable,periodo,territory,value,evidence\nV001,2023,18,1,x\n");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().all(|e| e.line == 1));
        let (valid, errors) =
            check("\u{feff}Evidence,VALUE,territory,period,variable\nx,1,18,2023,V001\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(valid.len(), 1);
        let (valid, errors) =
            check("variable,period,territory,value,evidence,Value\nV001,2023,18,1,x,2\n");
        assert!(valid.is_empty());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].column.as_deref(), Some("value"));
        assert!(errors[0].message.contains("twice"));
    }

    proptest! {
        // Any bytes at all: no panic, and every error names a line.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let (raw, mut errors) = read_csv(&bytes, &|_| {});
            let home = Ubigeo::parse("t", "18").unwrap();
            let _ = validate_rows(&raw, &known(), &home, Some(7), today(), &mut errors);
            for e in &errors {
                prop_assert!(e.line >= 1 && !e.message.is_empty());
            }
        }

        // CSV-shaped text built from plausible and implausible fields.
        #[test]
        fn csv_shaped_input_is_either_valid_or_explained(
            rows in proptest::collection::vec(
                (
                    prop_oneof![Just("V001".to_string()), "[A-Z0-9]{0,5}"],
                    prop_oneof![Just("2024".to_string()), "[0-9QS]{0,7}"],
                    prop_oneof![Just("1801".to_string()), "[0-9]{0,7}"],
                    prop_oneof![Just("1.5".to_string()), "[-+0-9.,eE]{0,8}", Just("inf".to_string())],
                    "[a-z \",\n]{0,12}",
                ),
                0..20,
            )
        ) {
            let mut text = String::from("variable,period,territory,value,evidence\n");
            for (v, p, t, x, e) in &rows {
                let quoted: Vec<String> = [v, p, t, x, e]
                    .iter()
                    .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
                    .collect();
                text.push_str(&quoted.join(","));
                text.push('\n');
            }
            let (raw, mut errors) = read_csv(text.as_bytes(), &|_| {});
            let home = Ubigeo::parse("t", "18").unwrap();
            let valid = validate_rows(&raw, &known(), &home, None, today(), &mut errors);
            prop_assert_eq!(raw.len(), rows.len());
            prop_assert!(valid.len() + errors.len() >= raw.len());
            for e in &errors {
                prop_assert!(e.line >= 2 && !e.message.is_empty());
            }
        }
    }
}
