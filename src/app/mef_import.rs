//! The import of MEF's "Detalle de inversiones" file (Invierte.pe): the file read by
//! [`crate::domain::mef`], its rows mapped to Ayni's investments and stored by the upsert of
//! [`super::investments`] as one snapshot dated `asOf`.
//!
//! All or nothing: every line error is reported (the parser's and the mapping's) and nothing
//! is stored when there is one. Rows outside the ecosystem's territory are skipped and
//! counted. Idempotent: the same file for the same date writes nothing, audit included. An
//! import that writes records one `investment_import` entry in the audit chain (the file's
//! SHA-256, the date, the counts and a digest of the rows it wrote) beside the entries of
//! every investment and snapshot it created or changed.
//!
//! The mapping of MEF's categories (documented in `docs/investments.md`, "What the import
//! stores"): a category missing or not recognised takes a documented default and, when the
//! cell held something, a warning; it never refuses a row, so a spelling MEF introduces does
//! not block a weekly import.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};

use crate::db::WriteTx;
use crate::db::models::investment as store;
use crate::db::models::{actor, ecosystem};
use crate::domain::investment::{InvestmentDraft, MAX_LABEL, MAX_NAME, SnapshotDraft};
use crate::domain::mef::{self, Column, LineError, MefFile, MefLimits, MefRow, SourceEncoding};
use crate::domain::{FieldError, ValidationErrors};

use super::investments::{
    ImportedInvestment, InvestmentImportOutcome, MAX_IMPORT_ROWS, upsert_rows,
};
use super::{AppError, Ayni, Caller};

/// Line errors (and warnings) listed in a report; the counts are always complete.
pub const MAX_LISTED: usize = 10_000;

/// The evidence recorded with the physical progress MEF publishes.
pub const MEF_EVIDENCE: &str = "MEF, Detalle de inversiones (AVANCE_FISICO)";

/// A problem with one line of the file (line 1 is the header), in Spanish and English.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvestmentLineError {
    pub line: u64,
    /// The column at fault (MEF's header name), when one is.
    pub column: Option<String>,
    /// A stable machine code for the rule (`cui`, `amount`, `duplicate_cui`, `process_year`…).
    pub rule: String,
    pub message_es: String,
    pub message_en: String,
}

impl From<LineError> for InvestmentLineError {
    fn from(e: LineError) -> Self {
        InvestmentLineError {
            line: e.line,
            column: e.column,
            rule: e.rule.to_string(),
            message_es: e.message_es,
            message_en: e.message_en,
        }
    }
}

/// The outcome of an import of MEF's file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvestmentImportReport {
    /// Whether the file was accepted: every row in the territory is stored (or already was).
    /// `false`: the file has errors and nothing was stored.
    pub imported: bool,
    /// Accepted but nothing written: every row is already stored as it is for this date.
    pub unchanged: bool,
    /// The snapshots' date, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date, example = "2025-06-30")]
    pub as_of: NaiveDate,
    /// How the bytes were read: `utf8`, `latin1` (Windows-1252) or `utf16`.
    pub encoding: String,
    /// The delimiter found in the header: `,`, `;`, `|` or a tab.
    pub delimiter: String,
    /// The file's SHA-256 (hex), as the audit entry records it.
    pub file_sha256: String,
    /// Data rows read, inside the territory or not.
    pub rows_read: u64,
    /// Rows outside the ecosystem's territory, skipped.
    pub skipped_outside: u64,
    /// Rows inside the territory (each one investment and one snapshot).
    pub rows_imported: u64,
    pub investments_created: u64,
    pub investments_updated: u64,
    pub investments_unchanged: u64,
    pub snapshots_written: u64,
    pub snapshots_unchanged: u64,
    /// Rows whose executing unit (or entity) names an actor of the ecosystem: linked to it.
    pub linked_to_actors: u64,
    pub error_count: u64,
    /// The first errors (at most 10 000), in line order.
    pub errors: Vec<InvestmentLineError>,
    pub warning_count: u64,
    /// The first warnings (at most 10 000), in line order: values read after a correction or
    /// a category read as its default. They do not stop the import.
    pub warnings: Vec<InvestmentLineError>,
    /// One sentence for people, in Spanish and English.
    pub message_es: String,
    pub message_en: String,
}

fn encoding_name(e: SourceEncoding) -> &'static str {
    match e {
        SourceEncoding::Utf8 => "utf8",
        SourceEncoding::Latin1 => "latin1",
        SourceEncoding::Utf16 => "utf16",
    }
}

/// Errors or warnings, in line order, the first [`MAX_LISTED`] kept, all counted.
struct Listed {
    list: Vec<InvestmentLineError>,
    count: u64,
}

impl Listed {
    fn new(first: Vec<LineError>, count: usize) -> Listed {
        Listed {
            list: first.into_iter().map(InvestmentLineError::from).collect(),
            count: count as u64,
        }
    }

    fn push(&mut self, e: LineError) {
        self.count += 1;
        self.list.push(e.into());
    }

    fn finish(mut self) -> (Vec<InvestmentLineError>, u64) {
        self.list.sort_by_key(|e| e.line);
        self.list.truncate(MAX_LISTED);
        (self.list, self.count)
    }
}

fn line_error(
    line: u64,
    column: Option<Column>,
    rule: &'static str,
    es: String,
    en: String,
) -> LineError {
    LineError {
        line,
        column: column.map(|c| c.header().to_string()),
        rule,
        message_es: es,
        message_en: en,
    }
}

// ---------------------------------------------------------------------------------------------
// Mapping a row (pure)
// ---------------------------------------------------------------------------------------------

/// Ayni's function for a key of [`mef::FUNCTION_KEYS`]: the same word, or the nearest one
/// (MEF's functions the portfolio does not follow one by one are `other`).
pub fn function_of(mef_key: &str) -> &'static str {
    match mef_key {
        "planning_management" => "planning",
        "trade" => "commerce",
        "housing_urban" => "housing",
        "public_order" => "public_order",
        "labour" => "labour",
        "tourism" => "tourism",
        "agriculture" => "agriculture",
        "fisheries" => "fisheries",
        "energy" => "energy",
        "mining" => "mining",
        "industry" => "industry",
        "transport" => "transport",
        "telecommunications" => "telecommunications",
        "environment" => "environment",
        "sanitation" => "sanitation",
        "health" => "health",
        "culture_sport" => "culture_sport",
        "education" => "education",
        "social_protection" => "social_protection",
        // legislative, foreign_affairs, defence, justice, social_security, public_debt.
        _ => "other",
    }
}

/// The defaults of categories missing or not recognised.
pub const DEFAULT_KIND: &str = "project";
pub const DEFAULT_LEVEL: &str = "GL";
pub const DEFAULT_FUNCTION: &str = "other";
pub const DEFAULT_MODALITY: &str = "contract";
pub const DEFAULT_STAGE: &str = "viable";
/// MEF's file does not say where the money comes from: new investments get this, updated
/// ones keep theirs.
pub const DEFAULT_FINANCING: &str = "other";

/// A category's key, or its default with a warning when the cell held something else.
fn category(
    row: &MefRow,
    column: Column,
    raw: Option<&str>,
    key: Option<&'static str>,
    default: &'static str,
    warnings: &mut Vec<LineError>,
) -> &'static str {
    match (key, raw.map(str::trim).filter(|r| !r.is_empty())) {
        (Some(k), _) => k,
        (None, None) => default,
        (None, Some(raw)) => {
            let shown: String = raw.chars().take(80).collect();
            warnings.push(line_error(
                row.line,
                Some(column),
                "category_default",
                format!(
                    "'{shown}' no es una categoría conocida de {column}: se lee como '{default}'"
                ),
                format!("'{shown}' is not a known {column} category: read as '{default}'"),
            ));
            default
        }
    }
}

/// The stage: from `ESTADO`, `SITUACION` and `ETAPA_F8` ([`mef::stage_key`]); an investment
/// MEF deactivated or found not viable is `closed` (no progress alerts), with a warning; no
/// stage columns at all, or values not recognised, `viable` (a warning for the latter).
fn stage(row: &MefRow, warnings: &mut Vec<LineError>) -> &'static str {
    let (status, situation, f8) = (
        row.status.as_deref(),
        row.situation.as_deref(),
        row.f8_stage.as_deref(),
    );
    if let Some(k) = mef::stage_key(status, situation, f8) {
        return k;
    }
    let folded = |v: Option<&str>| mef::fold(v.unwrap_or_default());
    let inactive = folded(status).starts_with("DESACTIVAD") || folded(situation).starts_with("NO ");
    if inactive {
        warnings.push(line_error(
            row.line,
            Some(Column::Estado),
            "stage_inactive",
            "inversión desactivada o no viable: se registra como cerrada".into(),
            "a deactivated or non-viable investment: recorded as closed".into(),
        ));
        return "closed";
    }
    let unknown = [situation, f8]
        .into_iter()
        .flatten()
        .any(|v| !v.trim().is_empty());
    if unknown {
        warnings.push(line_error(
            row.line,
            Some(Column::Situacion),
            "category_default",
            format!(
                "SITUACION '{}' y ETAPA_F8 '{}' no dicen la fase: se lee como '{DEFAULT_STAGE}'",
                situation.unwrap_or_default(),
                f8.unwrap_or_default()
            ),
            format!(
                "SITUACION '{}' and ETAPA_F8 '{}' do not tell the stage: read as '{DEFAULT_STAGE}'",
                situation.unwrap_or_default(),
                f8.unwrap_or_default()
            ),
        ));
    }
    DEFAULT_STAGE
}

/// The MEF column an input field comes from.
fn column_of(field: &str) -> Option<Column> {
    Some(match field {
        "cui" => Column::CodigoUnico,
        "name" => Column::NombreInversion,
        "programme" => Column::Programa,
        "subprogramme" => Column::Subprograma,
        "ubigeo" => Column::Ubigeo,
        "latitude" => Column::Latitud,
        "longitude" => Column::Longitud,
        "beneficiaries" => Column::NumHabitantesBenef,
        "viableAmount" => Column::MontoViable,
        "updatedCost" => Column::CostoActualizado,
        "viabilityDate" => Column::FechaViabilidad,
        "startDate" => Column::FecIniEjecucion,
        "plannedEndDate" => Column::FecFinEjecucion,
        "executingUnit" => Column::NombreUep,
        "pia" => Column::PiaAnioActual,
        "pim" => Column::PimAnioActual,
        "certified" => Column::CertifAnioActual,
        "committed" => Column::ComprometAnualAnioActual,
        "accrued" => Column::DevAnioActual,
        "accruedBefore" => Column::DevenAcumulAnioAnt,
        "physicalProgress" => Column::AvanceFisico,
        _ => return None,
    })
}

/// A field error of the investment's rules as a line error, in Spanish and English.
fn field_line_error(line: u64, e: FieldError) -> LineError {
    let es = match (e.field.as_str(), e.rule) {
        ("name", _) => format!("el nombre debe tener entre 3 y {MAX_NAME} caracteres"),
        ("programme" | "subprogramme" | "executingUnit", _) => {
            format!("el texto puede tener a lo más {MAX_LABEL} caracteres")
        }
        ("plannedEndDate", "order") => {
            "el fin previsto de la ejecución no puede ser anterior a su inicio".to_string()
        }
        ("beneficiaries", _) => "el número de beneficiarios está fuera de rango".to_string(),
        _ => "valor no aceptado por las reglas de las inversiones".to_string(),
    };
    line_error(line, column_of(&e.field), "investment_rule", es, e.message)
}

/// What a row becomes: the investment as typed and its snapshot on `as_of`. Categories
/// missing or not recognised take their defaults (with a warning); `actor` is the executing
/// actor when one was found.
fn drafts(
    row: &MefRow,
    as_of: NaiveDate,
    actor: Option<i64>,
    warnings: &mut Vec<LineError>,
) -> (InvestmentDraft, SnapshotDraft) {
    let kind = category(
        row,
        Column::TipoInversion,
        row.investment_type.as_deref(),
        row.investment_type.as_deref().and_then(mef::kind_key),
        DEFAULT_KIND,
        warnings,
    );
    let level = category(
        row,
        Column::Nivel,
        row.level.as_deref(),
        row.level.as_deref().and_then(mef::level_key),
        DEFAULT_LEVEL,
        warnings,
    )
    .to_ascii_lowercase();
    let function = category(
        row,
        Column::Funcion,
        row.function.as_deref(),
        row.function
            .as_deref()
            .and_then(mef::function_key)
            .map(function_of),
        DEFAULT_FUNCTION,
        warnings,
    );
    let modality = category(
        row,
        Column::DesModalidad,
        row.modality.as_deref(),
        row.modality.as_deref().and_then(mef::modality_key),
        DEFAULT_MODALITY,
        warnings,
    );
    let stage = stage(row, warnings);
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    let investment = InvestmentDraft {
        cui: Some(row.cui.clone()),
        name: row.name.clone(),
        kind: kind.into(),
        level,
        function: function.into(),
        programme: row.programme.clone().unwrap_or_default(),
        subprogramme: row.subprogramme.clone().unwrap_or_default(),
        stage: stage.into(),
        modality: modality.into(),
        financing_source: DEFAULT_FINANCING.into(),
        participatory_budget: false,
        prioritised: false,
        ubigeo: row.ubigeo.as_str().to_string(),
        latitude: row.latitude,
        longitude: row.longitude,
        beneficiaries: row
            .beneficiaries
            .map(|b| i64::try_from(b).unwrap_or(i64::MAX)),
        viable_amount: row.viable_amount,
        updated_cost: row.updated_cost,
        viability_date: date(row.viability_date),
        start_date: date(row.execution_start),
        planned_end_date: date(row.execution_end),
        executing_actor_id: actor,
        executing_unit: row.executing_unit.clone().unwrap_or_default(),
    };
    let snapshot = SnapshotDraft {
        as_of: Some(as_of),
        pia: row.pia.unwrap_or(0.0),
        pim: row.pim.unwrap_or(0.0),
        certified: row.certified.unwrap_or(0.0),
        committed: row.committed.unwrap_or(0.0),
        accrued: row.accrued_year.unwrap_or(0.0),
        paid: 0.0,
        accrued_before: row.accrued_before_year.unwrap_or(0.0),
        physical_percent: row.physical_progress,
        physical_measured_on: Some(as_of),
        physical_evidence: if row.physical_progress.is_some() {
            MEF_EVIDENCE.into()
        } else {
            String::new()
        },
    };
    (investment, snapshot)
}

/// The actors a row's executing unit may name: the ecosystem's members, by folded name
/// (accents, case and spacing aside); a name two members share names neither.
fn actors_by_name(actors: &[actor::Actor]) -> HashMap<String, Option<i64>> {
    let mut out: HashMap<String, Option<i64>> = HashMap::new();
    for a in actors {
        out.entry(mef::fold(&a.name))
            .and_modify(|id| *id = None)
            .or_insert(Some(a.id));
    }
    out
}

/// The executing actor of a row: the member named by `NOMBRE_UEP`, else by `ENTIDAD`.
fn executing_actor(row: &MefRow, by_name: &HashMap<String, Option<i64>>) -> Option<i64> {
    [row.executing_unit.as_deref(), row.entity.as_deref()]
        .into_iter()
        .flatten()
        .find_map(|name| by_name.get(&mef::fold(name)).copied().flatten())
}

/// Maps every row, checking `ANIO_PROCESO` against `as_of` and each investment's rules;
/// the rows when all are valid.
fn map_rows(
    rows: &[MefRow],
    as_of: NaiveDate,
    by_name: &HashMap<String, Option<i64>>,
    errors: &mut Listed,
    warnings: &mut Listed,
) -> (Vec<ImportedInvestment>, u64) {
    let mut out = Vec::with_capacity(rows.len());
    let mut linked = 0;
    for row in rows {
        let mut row_warnings = Vec::new();
        if let Some(year) = row.process_year
            && year != as_of.year()
        {
            errors.push(line_error(
                row.line,
                Some(Column::AnioProceso),
                "process_year",
                format!(
                    "ANIO_PROCESO es {year}, pero la fecha del corte (asOf) {as_of} es de {}: las cifras del año (PIA, PIM, devengado) serían de otro año",
                    as_of.year()
                ),
                format!(
                    "ANIO_PROCESO is {year} but the snapshot's date (asOf) {as_of} is in {}: the year's figures (PIA, PIM, accrued) would belong to another year",
                    as_of.year()
                ),
            ));
        }
        let actor = executing_actor(row, by_name);
        let (investment, snapshot) = drafts(row, as_of, actor, &mut row_warnings);
        let mut bad = ValidationErrors::new();
        let definition = investment.parse().map_err(|e| bad.0.extend(e.0)).ok();
        let snapshot = snapshot.parse().map_err(|e| bad.0.extend(e.0)).ok();
        for e in bad.0 {
            errors.push(field_line_error(row.line, e));
        }
        for w in row_warnings {
            warnings.push(w);
        }
        if let (Some(definition), Some(snapshot)) = (definition, snapshot) {
            linked += u64::from(actor.is_some());
            out.push(ImportedInvestment {
                definition,
                snapshot,
            });
        }
    }
    (out, linked)
}

/// A digest of the rows an import wrote, as mapped: one canonical JSON line per row.
fn rows_digest(rows: &[ImportedInvestment]) -> Result<String, AppError> {
    let mut h = Sha256::new();
    for r in rows {
        let line = serde_json::to_string(&(&r.definition, &r.snapshot))
            .map_err(|e| AppError::internal(format!("the digest of a row failed: {e}")))?;
        h.update(line.as_bytes());
        h.update(b"\n");
    }
    Ok(hex::encode(h.finalize()))
}

// ---------------------------------------------------------------------------------------------
// The use case
// ---------------------------------------------------------------------------------------------

/// What the parse found, before anything is stored.
struct Parsed {
    file: MefFile,
    sha256: String,
}

fn report(
    as_of: NaiveDate,
    parsed: &Parsed,
    rows_imported: u64,
    errors: Listed,
    warnings: Listed,
) -> InvestmentImportReport {
    let (errors, error_count) = errors.finish();
    let (warnings, warning_count) = warnings.finish();
    let delimiter = match parsed.file.delimiter {
        '\t' => "\\t".to_string(),
        d => d.to_string(),
    };
    InvestmentImportReport {
        imported: error_count == 0,
        unchanged: false,
        as_of,
        encoding: encoding_name(parsed.file.encoding).into(),
        delimiter,
        file_sha256: parsed.sha256.clone(),
        rows_read: parsed.file.rows_read as u64,
        skipped_outside: parsed.file.skipped_outside as u64,
        rows_imported: if error_count == 0 { rows_imported } else { 0 },
        investments_created: 0,
        investments_updated: 0,
        investments_unchanged: 0,
        snapshots_written: 0,
        snapshots_unchanged: 0,
        linked_to_actors: 0,
        message_es: format!(
            "no se importó nada: {error_count} error(es) en el archivo; corríjalos e impórtelo de nuevo"
        ),
        message_en: format!(
            "nothing was imported: {error_count} error(s) in the file; fix them and import it again"
        ),
        error_count,
        errors,
        warning_count,
        warnings,
    }
}

/// Stores the mapped rows and records the import, in `tx`.
fn store_rows(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    as_of: NaiveDate,
    parsed: &Parsed,
) -> Result<InvestmentImportReport, AppError> {
    let members: Vec<i64> = ecosystem::members_of(tx.conn(), &[ecosystem_id])?
        .into_iter()
        .map(|m| m.actor_id)
        .collect();
    let by_name = actors_by_name(&actor::by_ids(tx.conn(), &members)?);
    let file = &parsed.file;
    let mut errors = Listed::new(file.errors.clone(), file.error_count);
    let mut warnings = Listed::new(file.warnings.clone(), file.warning_count);
    let (rows, linked) = map_rows(&file.rows, as_of, &by_name, &mut errors, &mut warnings);
    if file.is_ok() && file.rows.is_empty() {
        errors.push(line_error(
            1,
            None,
            "no_rows",
            "el archivo no tiene filas dentro del territorio del ecosistema".into(),
            "the file has no rows inside the ecosystem's territory".into(),
        ));
    }
    if rows.len() > MAX_IMPORT_ROWS {
        errors.push(line_error(
            1,
            None,
            "too_many_rows",
            format!("más de {MAX_IMPORT_ROWS} inversiones dentro del territorio en un archivo"),
            format!("more than {MAX_IMPORT_ROWS} investments inside the territory in one file"),
        ));
    }
    if errors.count > 0 {
        return Ok(report(as_of, parsed, 0, errors, warnings));
    }
    let digest = rows_digest(&rows)?;
    let count = rows.len() as u64;
    let outcome: InvestmentImportOutcome = upsert_rows(tx, ecosystem_id, as_of, rows)?;
    let wrote = outcome.created + outcome.updated + outcome.snapshots_written > 0;
    if wrote {
        let facts = serde_json::json!({
            "ecosystem_id": ecosystem_id,
            "as_of": as_of.to_string(),
            "file_sha256": parsed.sha256,
            "encoding": encoding_name(file.encoding),
            "rows_read": file.rows_read,
            "skipped_outside": file.skipped_outside,
            "rows_imported": count,
            "investments_created": outcome.created,
            "investments_updated": outcome.updated,
            "investments_unchanged": outcome.unchanged,
            "snapshots_written": outcome.snapshots_written,
            "snapshots_unchanged": outcome.snapshots_unchanged,
            "rows_digest": digest,
        });
        let id = format!("{ecosystem_id}:{as_of}:{}", &parsed.sha256[..16]);
        store::record_import(tx, &id, &facts)?;
    }
    let mut out = report(as_of, parsed, count, errors, warnings);
    out.unchanged = !wrote;
    out.investments_created = outcome.created as u64;
    out.investments_updated = outcome.updated as u64;
    out.investments_unchanged = outcome.unchanged as u64;
    out.snapshots_written = outcome.snapshots_written as u64;
    out.snapshots_unchanged = outcome.snapshots_unchanged as u64;
    out.linked_to_actors = linked;
    let skipped = file.skipped_outside;
    (out.message_es, out.message_en) = if wrote {
        (
            format!(
                "importado al {as_of}: {} inversión(es) nueva(s), {} actualizada(s), {} instantánea(s) escrita(s); {skipped} fila(s) fuera del territorio",
                outcome.created, outcome.updated, outcome.snapshots_written
            ),
            format!(
                "imported as of {as_of}: {} new investment(s), {} updated, {} snapshot(s) written; {skipped} row(s) outside the territory",
                outcome.created, outcome.updated, outcome.snapshots_written
            ),
        )
    } else {
        (
            format!("sin cambios: las {count} fila(s) ya están guardadas al {as_of}"),
            format!("unchanged: all {count} row(s) are already stored as of {as_of}"),
        )
    };
    Ok(out)
}

impl Ayni {
    /// Imports MEF's "Detalle de inversiones" file into an ecosystem as snapshots dated
    /// `as_of` (coordinators and admins). All or nothing: with any line error the report lists
    /// them all and nothing is stored. `as_of` may not lie in the future; when the file has
    /// `ANIO_PROCESO`, it must be `as_of`'s year.
    pub async fn import_investments(
        &self,
        caller: &Caller,
        slug: &str,
        as_of: NaiveDate,
        bytes: Vec<u8>,
    ) -> Result<InvestmentImportReport, AppError> {
        caller.require_strategist("import investments")?;
        check_investment_as_of(as_of)?;
        let slug = slug.trim().to_string();
        let eco = self
            .db
            .run(move |c| {
                ecosystem::by_slug(c, &slug)?
                    .ok_or_else(|| AppError::not_found(format!("ecosystem {slug}")))
            })
            .await?;
        let territory = eco.territory.clone();
        let parsed = tokio::task::spawn_blocking(move || {
            let file = mef::parse(&bytes, &territory, &MefLimits::default());
            let sha256 = hex::encode(Sha256::digest(&bytes));
            Parsed { file, sha256 }
        })
        .await
        .map_err(|e| AppError::internal(format!("reading the file failed: {e}")))?;
        let report = self
            .db
            .write(caller.author(), move |tx| {
                store_rows(tx, eco.id, as_of, &parsed)
            })
            .await?;
        self.work.imported(report.snapshots_written);
        Ok(report)
    }
}

/// An import's date: from 2000 and not after today (UTC).
pub fn check_investment_as_of(as_of: NaiveDate) -> Result<(), AppError> {
    check_as_of(as_of, chrono::Utc::now().date_naive())
}

/// A snapshot's date: from 2000 and not after `today`.
fn check_as_of(as_of: NaiveDate, today: NaiveDate) -> Result<(), AppError> {
    if as_of > today {
        return Err(AppError::invalid(
            "asOf",
            "future",
            format!(
                "asOf {as_of} lies in the future: a snapshot states what is known on a past date"
            ),
        ));
    }
    if as_of.year() < 2000 {
        return Err(AppError::invalid(
            "asOf",
            "range",
            "asOf must lie between 2000 and today",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::investment::InvestmentFunction;

    #[test]
    fn every_mef_function_maps_to_one_of_ayni_s() {
        for key in mef::FUNCTION_KEYS {
            let ours = function_of(key);
            assert!(ours.parse::<InvestmentFunction>().is_ok(), "{key} → {ours}");
        }
        assert_eq!(function_of("housing_urban"), "housing");
        assert_eq!(function_of("public_debt"), "other");
    }

    #[test]
    fn every_mef_category_key_is_one_of_ayni_s_words() {
        use crate::domain::investment::{
            ExecutionModality, GovernmentLevel, InvestmentKind, InvestmentStage,
        };
        for k in mef::KIND_KEYS {
            assert!(k.parse::<InvestmentKind>().is_ok(), "{k}");
        }
        for k in mef::MODALITY_KEYS {
            assert!(k.parse::<ExecutionModality>().is_ok(), "{k}");
        }
        for k in mef::STAGE_KEYS {
            assert!(k.parse::<InvestmentStage>().is_ok(), "{k}");
        }
        for k in ["GN", "GR", "GL"] {
            assert!(k.to_ascii_lowercase().parse::<GovernmentLevel>().is_ok());
        }
        for d in [
            DEFAULT_KIND,
            DEFAULT_FUNCTION,
            DEFAULT_MODALITY,
            DEFAULT_STAGE,
            DEFAULT_LEVEL,
        ] {
            assert!(!d.is_empty());
        }
    }

    #[test]
    fn the_snapshot_date_is_past_and_from_2000() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let today = d("2026-12-03");
        assert!(check_as_of(d("2026-12-03"), today).is_ok());
        assert!(check_as_of(d("2026-12-04"), today).is_err());
        assert!(check_as_of(d("1999-12-31"), today).is_err());
    }
}
