//! The Excel round trip of the workspace: a template workbook of what an actor owes an
//! ecosystem ([`Ayni::workbook_template`]) and the upload of the filled workbook, or of a CSV
//! with the same header ([`Ayni::submit_workbook`]).
//!
//! An upload is translated into the rows of the CSV import ([`super::import`]) and checked by
//! the import's own validation, all or nothing: variable rows are stored by the import itself
//! (in the same transaction), indicator rows as submissions of the indicator. Every error is
//! located by sheet, row and column.

mod read;
mod template;

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::db::WriteTx;
use crate::db::models::ecosystem;
use crate::db::models::indicator;
use crate::db::models::measurement::{self, NewMeasurement, Subject};
use crate::domain::strategy::text;
use crate::domain::{Disaggregation, MeasurementStatus, TerritoryLevel};

pub use read::{MAX_ROWS, MAX_UPLOAD_BYTES, read_upload};
pub use template::WorkbookTemplate;

use super::data_quality::first_locked;
use super::import::{
    KnownVariable, RawRow, RowError, RowsToImport, import_rows, refused, reject_repeated_rows,
    validate_rows,
};
use super::measurements::contributing_actor;
use super::{AppError, Ayni, Caller};

/// The template's columns, in order.
pub const COLUMNS: [&str; 9] = [
    "codigo",
    "nombre",
    "unidad",
    "periodo",
    "territorio",
    "valor",
    "evidencia_url",
    "evidencia_texto",
    "comentario",
];
/// The sheet of indicators.
pub const INDICATORS_SHEET: &str = "Indicadores";
/// The sheet of variables.
pub const VARIABLES_SHEET: &str = "Variables";
/// The sheet of instructions.
pub const INSTRUCTIONS_SHEET: &str = "Instrucciones";

const CODE: usize = 0;
const PERIOD: usize = 3;
const TERRITORY: usize = 4;
const VALUE: usize = 5;
const EVIDENCE_URL: usize = 6;
const EVIDENCE_TEXT: usize = 7;
const COMMENT: usize = 8;

/// Which sheet a row came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetKind {
    Indicators,
    Variables,
    /// A CSV: an indicator of the ecosystem when its code names one, else a variable.
    ByCode,
}

/// One row of an upload, its cells in the template's column order.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetRow {
    pub sheet: String,
    pub kind: SheetKind,
    /// As the spreadsheet numbers it (1 is the header).
    pub row: u64,
    /// Where each template column is in the sheet (zero-based), for XLSX sheets.
    pub columns: Option<[u32; 9]>,
    pub fields: [String; 9],
}

/// A problem with one cell (or row, or the header) of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub sheet: String,
    pub row: u64,
    /// The column: its letter and name (`F (valor)`), its letter alone when it is outside the
    /// template's columns, or its name alone in a CSV.
    pub column: Option<String>,
    pub message: String,
}

impl CellError {
    fn at(sheet: &str, row: u64, col: Option<u32>, message: String) -> CellError {
        CellError {
            sheet: sheet.to_string(),
            row,
            column: col.map(column_letter),
            message,
        }
    }
}

/// `A`, `B`, ... `Z`, `AA`, ... for a zero-based column.
pub fn column_letter(col: u32) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

/// What an upload asks.
#[derive(Debug, Clone)]
pub struct WorkbookUpload {
    pub ecosystem_slug: String,
    /// Whose values: a contributor's own actor (the default, and the only one allowed);
    /// coordinators and admins name one.
    pub actor_id: Option<i64>,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// One row with a value, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadedRow {
    pub sheet: String,
    pub row: u64,
    pub code: String,
    pub period: String,
    pub territory: String,
    pub value: String,
}

/// The outcome of an upload.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkbookReport {
    /// Whether the rows were submitted (all of them) or not (none).
    pub submitted: bool,
    /// The rows with a value (rows without one are skipped).
    pub rows: Vec<UploadedRow>,
    /// New values, now awaiting review.
    pub created: u64,
    /// Rows equal to the actor's latest value: not submitted again.
    pub unchanged: u64,
    /// Every error, by sheet and row.
    pub errors: Vec<CellError>,
    /// How many error in all (the list stops at the import's limit).
    pub error_count: u64,
    /// Unusual values flagged for the reviewers.
    pub flag_count: u64,
}

impl WorkbookReport {
    fn refused(rows: Vec<UploadedRow>, errors: Vec<CellError>) -> WorkbookReport {
        WorkbookReport {
            submitted: false,
            rows,
            created: 0,
            unchanged: 0,
            error_count: errors.len() as u64,
            errors,
            flag_count: 0,
        }
    }
}

/// The import line standing for the file's own cell errors (rows are numbered from 2).
const FILE_CELLS_LINE: u64 = 0;

/// Where each import line came from, to put its errors back on their cells.
struct Locator(Vec<SheetRow>);

impl Locator {
    /// The import's lines are the rows' positions, from 2.
    fn line_of(i: usize) -> u64 {
        i as u64 + 2
    }

    fn cell_error(&self, e: RowError) -> CellError {
        let Some(row) = usize::try_from(e.line)
            .ok()
            .and_then(|l| l.checked_sub(2))
            .and_then(|i| self.0.get(i))
        else {
            return CellError {
                sheet: String::new(),
                row: e.line,
                column: e.column,
                message: e.message,
            };
        };
        let column = e.column.as_deref().map(|c| {
            let at = match c {
                "variable" => CODE,
                "period" => PERIOD,
                "territory" => TERRITORY,
                "value" => VALUE,
                "evidence" => EVIDENCE_URL,
                "evidence_text" => EVIDENCE_TEXT,
                _ => COMMENT,
            };
            match row.columns {
                Some(cols) => format!("{} ({})", column_letter(cols[at]), COLUMNS[at]),
                None => COLUMNS[at].to_string(),
            }
        });
        CellError {
            sheet: row.sheet.clone(),
            row: row.row,
            column,
            message: e.message,
        }
    }
}

impl Ayni {
    /// Submits the values of a filled template (or a CSV with its header) for review: all
    /// or nothing, with every error by sheet, row and column. Rows without a value are
    /// skipped; rows for indicators or variables the actor does not supply are refused.
    pub async fn submit_workbook(
        &self,
        caller: &Caller,
        upload: WorkbookUpload,
    ) -> Result<WorkbookReport, AppError> {
        let actor_id = contributing_actor(caller, upload.actor_id)?;
        let (rows, read_errors) =
            read_upload(&upload.bytes).map_err(|r| AppError::invalid("file", "readable", r.0))?;
        let file_sha256 = hex::encode(Sha256::digest(&upload.bytes));
        let rows: Vec<SheetRow> = rows
            .into_iter()
            .filter(|r| !r.fields[VALUE].trim().is_empty())
            .collect();
        let uploaded: Vec<UploadedRow> = rows
            .iter()
            .map(|r| UploadedRow {
                sheet: r.sheet.clone(),
                row: r.row,
                code: r.fields[CODE].trim().to_string(),
                period: r.fields[PERIOD].trim().to_string(),
                territory: r.fields[TERRITORY].trim().to_string(),
                value: r.fields[VALUE].trim().to_string(),
            })
            .collect();
        let slug = upload.ecosystem_slug;
        let file_name = upload.file_name;
        let report = self
            .db
            .write(caller.author(), move |tx| {
                let eco = ecosystem::by_slug(tx.conn(), &slug)?
                    .ok_or_else(|| AppError::not_found(format!("ecosystem {slug}")))?;
                let job = Submission {
                    ecosystem_id: eco.id,
                    home: eco.territory,
                    actor_id,
                    file_name,
                    file_sha256,
                };
                let report = submit_rows(tx, job, rows, read_errors, uploaded)?;
                // One notice for the whole upload, indicators and variables alike.
                if report.submitted && report.created > 0 {
                    super::notifications::import_awaiting_review(tx, &eco.name, report.created)?;
                }
                Ok::<_, AppError>(report)
            })
            .await?;
        if report.submitted && report.created > 0 {
            self.mail_notifications();
        }
        Ok(report)
    }
}

/// What identifies an upload, once read.
struct Submission {
    ecosystem_id: i64,
    home: crate::domain::Ubigeo,
    actor_id: i64,
    file_name: String,
    file_sha256: String,
}

fn submit_rows(
    tx: &mut WriteTx<'_>,
    job: Submission,
    rows: Vec<SheetRow>,
    read_errors: Vec<CellError>,
    uploaded: Vec<UploadedRow>,
) -> Result<WorkbookReport, AppError> {
    let indicators: HashMap<String, indicator::Indicator> =
        indicator::of_ecosystem(tx.conn(), job.ecosystem_id)?
            .into_iter()
            .map(|i| (i.definition.code.clone(), i))
            .collect();
    let ids: Vec<i64> = indicators.values().map(|i| i.id).collect();
    let mut responsible: HashMap<i64, Vec<i64>> = HashMap::new();
    for (ind, actor) in indicator::responsibles_of(tx.conn(), &ids)? {
        responsible.entry(ind).or_default().push(actor);
    }
    let known_indicators: HashMap<String, KnownVariable> = indicators
        .iter()
        .map(|(code, i)| {
            let d = &i.definition;
            let actors = responsible.get(&i.id).map(Vec::as_slice).unwrap_or(&[]);
            let supplier = if actors.contains(&job.actor_id) {
                Some(job.actor_id)
            } else {
                actors.first().copied()
            };
            let known = KnownVariable {
                id: i.id,
                periodicity: d.periodicity,
                level: TerritoryLevel::District,
                selected: true,
                responsible_actor_id: supplier,
                range: d.valid_range.effective(&d.unit),
                unit: d.unit.clone(),
            };
            (code.clone(), known)
        })
        .collect();
    let mut errors: Vec<RowError> = Vec::new();
    let mut indicator_rows = Vec::new();
    let mut variable_rows = Vec::new();
    let mut comments: HashMap<u64, String> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let line = Locator::line_of(i);
        let code = r.fields[CODE].trim();
        let is_indicator = match r.kind {
            SheetKind::Indicators => true,
            SheetKind::Variables => false,
            SheetKind::ByCode => indicators.contains_key(code),
        };
        let comment = r.fields[COMMENT].trim();
        let evidence_text = r.fields[EVIDENCE_TEXT].trim();
        // Observations of variables carry no comment of their own: a comment on a variable
        // row travels with its evidence text, so nothing the person wrote is lost.
        let evidence_text = if is_indicator || comment.is_empty() {
            evidence_text.to_string()
        } else if evidence_text.is_empty() {
            format!("Comentario: {comment}")
        } else {
            format!("{evidence_text} · Comentario: {comment}")
        };
        let raw = RawRow {
            line,
            variable: code.to_string(),
            period: r.fields[PERIOD].trim().to_string(),
            territory: r.fields[TERRITORY].trim().to_string(),
            value: r.fields[VALUE].trim().to_string(),
            evidence: r.fields[EVIDENCE_URL].trim().to_string(),
            evidence_text: Some(evidence_text),
        };
        if is_indicator {
            match text("comment", comment, 0, 2000) {
                Ok(c) => {
                    comments.insert(line, c);
                }
                Err(e) => errors.push(RowError {
                    line,
                    column: Some("comment".into()),
                    message: e.message,
                }),
            }
            if indicators
                .get(code)
                .is_some_and(|i| i.definition.formula.is_some())
            {
                errors.push(RowError {
                    line,
                    column: Some("variable".into()),
                    message: format!(
                        "el indicador {code} se calcula con su fórmula: envíe sus variables / indicator {code} is computed from its formula: supply its variables instead"
                    ),
                });
            }
            indicator_rows.push(raw);
        } else {
            variable_rows.push(raw);
        }
    }
    let locator = Locator(rows);
    let today = tx.now().date();
    let mut valid = validate_rows(
        &indicator_rows,
        &known_indicators,
        &job.home,
        Some(job.actor_id),
        today,
        &mut errors,
    );
    let code_of: HashMap<i64, &str> = indicators
        .iter()
        .map(|(code, i)| (i.id, code.as_str()))
        .collect();
    reject_repeated_rows(&mut valid, &code_of, &mut errors);
    let to_cells = |report_errors: Vec<RowError>, mut read_errors: Vec<CellError>| {
        read_errors.extend(report_errors.into_iter().map(|e| locator.cell_error(e)));
        read_errors
    };
    if uploaded.is_empty() && read_errors.is_empty() && errors.is_empty() {
        return Ok(WorkbookReport::refused(
            uploaded,
            vec![CellError {
                sheet: String::new(),
                row: 1,
                column: Some(COLUMNS[VALUE].into()),
                message: "ninguna fila tiene valor: llene la columna valor / no row has a value: fill in the column valor".into(),
            }],
        ));
    }
    // The variables go through the import, with the errors found so far: it refuses them
    // all when there is any.
    let (created, unchanged, flags) = if variable_rows.is_empty() {
        if !errors.is_empty() || !read_errors.is_empty() {
            let report = refused(0, std::mem::take(&mut errors));
            let cells = to_cells(report.errors, read_errors);
            return Ok(WorkbookReport::refused(uploaded, cells));
        }
        (0, 0, 0)
    } else {
        // Cell errors of the file (formulas, dates) must refuse the import too: they stand in
        // it as one error on line 0 (no row's), left out again below.
        let mut pending = std::mem::take(&mut errors);
        let marked = !read_errors.is_empty();
        if marked {
            pending.push(RowError {
                line: FILE_CELLS_LINE,
                column: None,
                message: "the file has cell errors".into(),
            });
        }
        let report = import_rows(
            tx,
            RowsToImport {
                ecosystem_id: job.ecosystem_id,
                actor_id: job.actor_id,
                contributor: Some(job.actor_id),
                raw: variable_rows,
                errors: pending,
                file_name: job.file_name.clone(),
                file_sha256: job.file_sha256.clone(),
                progress: None,
                notify: false,
            },
        )?;
        if !report.imported {
            let row_errors = report.error_count - u64::from(marked);
            let listed: Vec<RowError> = report
                .errors
                .into_iter()
                .filter(|e| e.line != FILE_CELLS_LINE)
                .collect();
            let file_errors = read_errors.len() as u64;
            let mut out = WorkbookReport::refused(uploaded, to_cells(listed, read_errors));
            out.error_count = file_errors + row_errors;
            return Ok(out);
        }
        (
            report.rows_created,
            report.rows_unchanged,
            report.flag_count,
        )
    };
    let (created_ind, unchanged_ind) = store_indicator_rows(tx, &job, valid, &comments)?;
    Ok(WorkbookReport {
        submitted: true,
        rows: uploaded,
        created: created + created_ind,
        unchanged: unchanged + unchanged_ind,
        errors: Vec::new(),
        error_count: 0,
        flag_count: flags,
    })
}

/// Submits the valid indicator rows not equal to the actor's latest value (a rejected one
/// is submitted again): `(created, unchanged)`.
fn store_indicator_rows(
    tx: &mut WriteTx<'_>,
    job: &Submission,
    valid: Vec<super::import::ValidRow>,
    comments: &HashMap<u64, String>,
) -> Result<(u64, u64), AppError> {
    if valid.is_empty() {
        return Ok((0, 0));
    }
    let ids: Vec<i64> = valid.iter().map(|r| r.variable_id).collect();
    let latest = measurement::latest_of_indicators(tx.conn(), &ids, job.actor_id)?;
    let mut fresh = Vec::new();
    let mut unchanged = 0;
    for row in valid {
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
            }
            _ => fresh.push(row),
        }
    }
    let values: Vec<(Subject, crate::domain::Period)> = fresh
        .iter()
        .map(|r| (Subject::Indicator(r.variable_id), r.period))
        .collect();
    if let Some((_, e)) =
        first_locked(tx.conn(), &values, &[job.ecosystem_id], "submitting values")?
    {
        return Err(e);
    }
    let total = Disaggregation::total();
    for row in &fresh {
        let comment = comments.get(&row.line).map_or("", String::as_str);
        measurement::submit(
            tx,
            NewMeasurement {
                subject: Subject::Indicator(row.variable_id),
                period: &row.period,
                territory: &row.territory,
                disaggregation: &total,
                value: row.value,
                evidence: &row.evidence,
                comment,
                actor_id: job.actor_id,
                basis: None,
                evidence_file: None,
            },
        )?;
    }
    Ok((fresh.len() as u64, unchanged))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_like_spreadsheets() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(5), "F");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}
