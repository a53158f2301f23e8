//! The template workbook: an instructions sheet (Spanish), a sheet of the actor's indicators
//! × periods due and one of its variables × periods, the actor's latest values filled in
//! (rejected ones left empty: they must be supplied again), decimal validation on `valor`
//! with the plausible range where there is one, the identifying columns locked.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_xlsxwriter::{
    DataValidation, DataValidationRule, Format, ProtectionOptions, Workbook, Worksheet, XlsxError,
};

use crate::db::models::{ecosystem, indicator, variable};
use crate::domain::ValidRange;

use super::super::tasks::{Assignment, Assignments, SubmissionState, TaskSubject};
use super::{COLUMNS, INDICATORS_SHEET, INSTRUCTIONS_SHEET, VARIABLES_SHEET};
use crate::app::{AppError, Ayni, Caller};

/// A template, ready to download.
#[derive(Debug, Clone)]
pub struct WorkbookTemplate {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The widths of the template's columns, in characters.
const WIDTHS: [f64; 9] = [12.0, 40.0, 12.0, 10.0, 11.0, 14.0, 36.0, 36.0, 30.0];
/// Values Excel accepts when an indicator or variable has no plausible range.
const ANY: f64 = 1e300;

const INSTRUCTIONS: &[&str] = &[
    "Plantilla de Ayni: valores que su organización reporta al ecosistema",
    "",
    "Cómo llenarla",
    "1. Las hojas «Indicadores» y «Variables» tienen una fila por cada indicador o variable y cada periodo que se le pide.",
    "2. Escriba el valor en la columna «valor», como número (sin fórmulas, sin texto, sin unidades).",
    "3. Toda cifra necesita su evidencia: un enlace (evidencia_url, que empiece por http:// o https://) o una descripción de la fuente (evidencia_texto).",
    "4. Deje «valor» vacío en los periodos que todavía no reporta: esas filas no se envían.",
    "5. Guarde el archivo como .xlsx y súbalo en el espacio de trabajo, en «Carga desde Excel» (/app/carga).",
    "",
    "Qué significa cada columna",
    "codigo: el código del indicador o de la variable (no lo cambie).",
    "nombre: su nombre (solo para leer).",
    "unidad: la unidad en que se expresa el valor (solo para leer).",
    "periodo: el periodo del valor: 2024 (año), 2024S1 (semestre), 2024Q3 (trimestre).",
    "territorio: el código de ubigeo del territorio (2 dígitos departamento, 4 provincia, 6 distrito).",
    "valor: la cifra. Si la celda rechaza lo escrito, el número está fuera del rango plausible.",
    "evidencia_url: enlace al documento que respalda la cifra.",
    "evidencia_texto: descripción de la fuente cuando no hay enlace (o además de él).",
    "comentario: una nota para quien revisa (solo en la hoja de indicadores).",
    "",
    "Importante",
    "No se aceptan fórmulas: escriba el número mismo. Un archivo con fórmulas se rechaza e indica cada celda.",
    "Los valores que ya envió aparecen llenos; si no los cambia, no se envían de nuevo.",
    "Todo el archivo se acepta o se rechaza entero: si hay errores, la página los lista con su hoja, fila y columna.",
    "Cada valor enviado queda en espera de revisión por la coordinación del ecosistema.",
];

/// What the template needs beyond the assignments: the ecosystem's territory and the
/// plausible range of each indicator and variable (none for computed indicators, which are
/// left out).
struct Extras {
    territory: String,
    indicator_ranges: HashMap<i64, ValidRange>,
    variable_ranges: HashMap<i64, ValidRange>,
}

impl Ayni {
    /// The template of what `actor_id` (none: the caller's actor) owes the ecosystem: who may
    /// see the tasks may download it.
    pub async fn workbook_template(
        &self,
        caller: &Caller,
        actor_id: Option<i64>,
        ecosystem_slug: &str,
        today: NaiveDate,
    ) -> Result<WorkbookTemplate, AppError> {
        let tasks = self
            .assignments_of(caller, actor_id, ecosystem_slug, today)
            .await?;
        let ids = |list: &[Assignment]| -> Vec<i64> {
            list.iter()
                .filter_map(|a| match a.subject {
                    TaskSubject::Indicator(id) | TaskSubject::Variable(id) => Some(id),
                    TaskSubject::Impact { .. } => None,
                })
                .collect()
        };
        let (ind_ids, var_ids) = (ids(&tasks.indicators), ids(&tasks.variables));
        let eco_id = tasks.ecosystem.id;
        let extras = self
            .db
            .run(move |c| {
                let eco = ecosystem::by_id(c, eco_id)?
                    .ok_or_else(|| AppError::not_found(format!("ecosystem {eco_id}")))?;
                let indicator_ranges = indicator::by_ids(c, &ind_ids)?
                    .into_iter()
                    .filter(|i| i.definition.formula.is_none())
                    .map(|i| {
                        let d = i.definition;
                        (i.id, d.valid_range.effective(&d.unit))
                    })
                    .collect();
                let variable_ranges = variable::by_ids(c, &var_ids)?
                    .into_iter()
                    .map(|v| (v.id, v.valid_range().effective(&v.unit)))
                    .collect();
                Ok::<_, AppError>(Extras {
                    territory: eco.territory.as_str().to_string(),
                    indicator_ranges,
                    variable_ranges,
                })
            })
            .await?;
        let bytes = write(&tasks, &extras)
            .map_err(|e| AppError::internal(format!("the template cannot be written: {e}")))?;
        Ok(WorkbookTemplate {
            file_name: format!(
                "plantilla-{}-actor-{}.xlsx",
                tasks.ecosystem.slug, tasks.actor_id
            ),
            bytes,
        })
    }
}

fn write(tasks: &Assignments, extras: &Extras) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(INSTRUCTIONS_SHEET)?;
    sheet.set_column_width(0, 120)?;
    sheet.write_string_with_format(0, 0, INSTRUCTIONS[0], &title)?;
    sheet.write_string(
        1,
        0,
        format!(
            "Ecosistema: {} ({}) · Actor: {}",
            tasks.ecosystem.name, tasks.ecosystem.slug, tasks.actor_name
        ),
    )?;
    for (i, line) in INSTRUCTIONS.iter().enumerate().skip(1) {
        let row = i as u32 + 1;
        if matches!(
            *line,
            "Cómo llenarla" | "Qué significa cada columna" | "Importante"
        ) {
            sheet.write_string_with_format(row, 0, *line, &bold)?;
        } else {
            sheet.write_string(row, 0, *line)?;
        }
    }
    let indicators = book.add_worksheet();
    fill(
        indicators,
        INDICATORS_SHEET,
        &tasks.indicators,
        &extras.indicator_ranges,
        &extras.territory,
    )?;
    let variables = book.add_worksheet();
    fill(
        variables,
        VARIABLES_SHEET,
        &tasks.variables,
        &extras.variable_ranges,
        &extras.territory,
    )?;
    book.save_to_buffer()
}

fn fill(
    sheet: &mut Worksheet,
    name: &str,
    list: &[Assignment],
    ranges: &HashMap<i64, ValidRange>,
    territory: &str,
) -> Result<(), XlsxError> {
    let header = Format::new().set_bold().set_background_color("#DDE7F0");
    let open = Format::new().set_unlocked();
    sheet.set_name(name)?;
    for (col, title) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *title, &header)?;
        sheet.set_column_width(col as u16, WIDTHS[col])?;
    }
    // territorio, valor, the evidence and the comment may be typed in, on any row.
    for col in 4..9u16 {
        sheet.set_column_format(col, &open)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let mut row = 1u32;
    for a in list {
        let id = match a.subject {
            TaskSubject::Indicator(id) | TaskSubject::Variable(id) => id,
            TaskSubject::Impact { .. } => continue,
        };
        let Some(range) = ranges.get(&id) else {
            continue; // computed from a formula: nothing to supply
        };
        let first = row;
        for p in &a.periods {
            sheet.write_string(row, 0, &a.code)?;
            sheet.write_string(row, 1, &a.name)?;
            sheet.write_string(row, 2, &a.unit)?;
            sheet.write_string(row, 3, p.period.to_string())?;
            let known = p
                .submission
                .as_ref()
                .filter(|s| !matches!(s.state, SubmissionState::Rejected { .. }));
            let place = known.map_or(territory, |s| s.territory.as_str());
            sheet.write_string_with_format(row, 4, place, &open)?;
            if let Some(s) = known {
                sheet.write_number_with_format(row, 5, s.value, &open)?;
                if let Some(u) = &s.evidence_url {
                    sheet.write_string_with_format(row, 6, u, &open)?;
                }
                if let Some(t) = &s.evidence_text {
                    sheet.write_string_with_format(row, 7, t, &open)?;
                }
                if !s.comment.is_empty() {
                    sheet.write_string_with_format(row, 8, &s.comment, &open)?;
                }
            }
            row += 1;
        }
        if row > first {
            sheet.add_data_validation(first, 5, row - 1, 5, &validation(*range, &a.unit)?)?;
        }
    }
    let mut options = ProtectionOptions::new();
    options.format_columns = true;
    options.format_rows = true;
    options.insert_rows = true;
    options.sort = true;
    options.use_autofilter = true;
    sheet.protect_with_options(&options);
    Ok(())
}

/// Decimal numbers only, within the plausible range when there is one.
fn validation(range: ValidRange, unit: &str) -> Result<DataValidation, XlsxError> {
    let (min, max) = (range.min.unwrap_or(-ANY), range.max.unwrap_or(ANY));
    let message = match (range.min, range.max) {
        (Some(lo), Some(hi)) => format!("Escriba un número entre {lo} y {hi} ({unit})."),
        (Some(lo), None) => format!("Escriba un número mayor o igual que {lo} ({unit})."),
        (None, Some(hi)) => format!("Escriba un número menor o igual que {hi} ({unit})."),
        (None, None) => format!("Escriba un número ({unit}), sin fórmulas ni texto."),
    };
    DataValidation::new()
        .allow_decimal_number(DataValidationRule::Between(min, max))
        .set_error_title("Valor no aceptado")?
        .set_error_message(&message)?
        .set_input_title("valor")?
        .set_input_message(&message)
}
