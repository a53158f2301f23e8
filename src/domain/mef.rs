//! MEF's "Detalle de inversiones" open-data file (Invierte.pe), read into typed rows.
//!
//! Pure: bytes in, rows and line errors out; no I/O. The import use case decides what to store
//! (all or nothing); this module reports *every* problem it finds (up to
//! [`MefLimits::max_errors`] listed, the count always complete).
//!
//! What MEF publishes (`DETALLE_INVERSIONES.csv` on datosabiertos.mef.gob.pe, and the same
//! columns through its API): one row per active investment, UTF-8 with a BOM, comma-delimited,
//! ~70 columns of which this module reads the ones in [`Column`]; amounts as plain decimals
//! with a point (`140250.0`); dates as `2023-01-25 00:00:00`; `ULTIMO_DEVENGADO` as a month
//! `202312`; percentages 0–100 (`97.92`); empty cells where there is no value. Files that went
//! through a spreadsheet differ: Latin-1 (Windows-1252) text, `;` delimiters with decimal
//! commas, thousands separators, `dd/mm/yyyy` dates, ubigeos that lost their leading zero
//! (`40101` for `040101`), codes written as `2572747.0`. All of these are read; see
//! `docs/investments.md` ("Importing MEF's investment file") for the rules.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;

use super::territory::Ubigeo;

// ---------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------

macro_rules! columns {
    ($($variant:ident => $header:literal,)*) => {
        /// A column this module reads, named as MEF publishes it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Column { $($variant,)* }

        impl Column {
            /// Every recognised column, in MEF's order.
            pub const ALL: &'static [Column] = &[$(Column::$variant,)*];

            /// The header as MEF writes it.
            pub fn header(self) -> &'static str {
                match self { $(Column::$variant => $header,)* }
            }
        }
    };
}

columns! {
    Nivel => "NIVEL",
    Sector => "SECTOR",
    Entidad => "ENTIDAD",
    CodigoUnico => "CODIGO_UNICO",
    NombreInversion => "NOMBRE_INVERSION",
    NombreUep => "NOMBRE_UEP",
    Estado => "ESTADO",
    Situacion => "SITUACION",
    MontoViable => "MONTO_VIABLE",
    CostoActualizado => "COSTO_ACTUALIZADO",
    FechaViabilidad => "FECHA_VIABILIDAD",
    Funcion => "FUNCION",
    Programa => "PROGRAMA",
    Subprograma => "SUBPROGRAMA",
    TipoInversion => "TIPO_INVERSION",
    DesModalidad => "DES_MODALIDAD",
    EtapaF8 => "ETAPA_F8",
    UltimoDevengado => "ULTIMO_DEVENGADO",
    DevenAcumulAnioAnt => "DEVEN_ACUMUL_ANIO_ANT",
    DevAnioActual => "DEV_ANIO_ACTUAL",
    PiaAnioActual => "PIA_ANIO_ACTUAL",
    PimAnioActual => "PIM_ANIO_ACTUAL",
    CertifAnioActual => "CERTIF_ANIO_ACTUAL",
    ComprometAnualAnioActual => "COMPROM_ANUAL_ANIO_ACTUAL",
    AvanceFisico => "AVANCE_FISICO",
    AvanceEjecucion => "AVANCE_EJECUCION",
    Departamento => "DEPARTAMENTO",
    Provincia => "PROVINCIA",
    Distrito => "DISTRITO",
    Ubigeo => "UBIGEO",
    Latitud => "LATITUD",
    Longitud => "LONGITUD",
    FecIniEjecucion => "FEC_INI_EJECUCION",
    FecFinEjecucion => "FEC_FIN_EJECUCION",
    NumHabitantesBenef => "NUM_HABITANTES_BENEF",
    AnioProceso => "ANIO_PROCESO",
}

/// The columns a file must have: without them a row cannot be identified or placed.
pub const REQUIRED: [Column; 3] = [Column::CodigoUnico, Column::NombreInversion, Column::Ubigeo];

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.header())
    }
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/// A problem with one line of the file (line 1 is the header), in Spanish and English.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineError {
    pub line: u64,
    /// The column at fault (MEF's header name), when one is.
    pub column: Option<String>,
    /// A stable machine code for the rule (`cui`, `amount`, `duplicate_cui`…).
    pub rule: &'static str,
    pub message_es: String,
    pub message_en: String,
}

impl LineError {
    fn new(
        line: u64,
        column: Option<Column>,
        rule: &'static str,
        es: impl Into<String>,
        en: impl Into<String>,
    ) -> LineError {
        LineError {
            line,
            column: column.map(|c| c.header().to_string()),
            rule,
            message_es: es.into(),
            message_en: en.into(),
        }
    }

    /// The message in Spanish (`spanish`) or English.
    pub fn message(&self, spanish: bool) -> &str {
        if spanish {
            &self.message_es
        } else {
            &self.message_en
        }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "line {}, {c}: {}", self.line, self.message_en),
            None => write!(f, "line {}: {}", self.line, self.message_en),
        }
    }
}

/// How the bytes were decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceEncoding {
    Utf8,
    /// Not valid UTF-8: read as Windows-1252, the superset of Latin-1 that spreadsheets write.
    Latin1,
    /// A UTF-16 byte-order mark (a spreadsheet's "Unicode text").
    Utf16,
}

/// The limits a file must respect; [`Default`] fits MEF's national file (~150 000 rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MefLimits {
    pub max_bytes: usize,
    /// Data rows read, inside the territory or not.
    pub max_rows: usize,
    /// Characters in one recognised cell.
    pub max_cell_chars: usize,
    /// Errors (and warnings) listed; the counts are always complete.
    pub max_errors: usize,
}

impl Default for MefLimits {
    fn default() -> Self {
        MefLimits {
            max_bytes: 512 * 1024 * 1024,
            max_rows: 200_000,
            max_cell_chars: 4_000,
            max_errors: 10_000,
        }
    }
}

/// One investment of the file, typed. `None` is an empty cell or a column the file lacks.
#[derive(Debug, Clone, PartialEq)]
pub struct MefRow {
    /// Where the row starts in the file (the header is line 1).
    pub line: u64,
    /// `CODIGO_UNICO`: 7 digits.
    pub cui: String,
    /// `NOMBRE_INVERSION`.
    pub name: String,
    /// `UBIGEO`, zero-padded to 6 digits, in INEI's catalogue and in the territory.
    pub ubigeo: Ubigeo,
    /// `NIVEL` (`GN`, `GR`, `GL`): see [`level_key`].
    pub level: Option<String>,
    /// `SECTOR`.
    pub sector: Option<String>,
    /// `ENTIDAD`: the entity the investment belongs to.
    pub entity: Option<String>,
    /// `NOMBRE_UEP`: the budget executing unit.
    pub executing_unit: Option<String>,
    /// `ESTADO` (`ACTIVO`, `CERRADO`…): see [`stage_key`].
    pub status: Option<String>,
    /// `SITUACION` (`VIABLE`, `APROBADO`, `EN FORMULACION`…): see [`stage_key`].
    pub situation: Option<String>,
    /// `ETAPA_F8` (`Ejecución física (C)`…): see [`stage_key`].
    pub f8_stage: Option<String>,
    /// `FUNCION`: see [`function_key`].
    pub function: Option<String>,
    /// `PROGRAMA`.
    pub programme: Option<String>,
    /// `SUBPROGRAMA`.
    pub subprogramme: Option<String>,
    /// `TIPO_INVERSION`: see [`kind_key`].
    pub investment_type: Option<String>,
    /// `DES_MODALIDAD`: see [`modality_key`].
    pub modality: Option<String>,
    /// `MONTO_VIABLE`, soles.
    pub viable_amount: Option<f64>,
    /// `COSTO_ACTUALIZADO`, soles.
    pub updated_cost: Option<f64>,
    /// `DEVEN_ACUMUL_ANIO_ANT`: accrued in the years before the file's year, soles.
    pub accrued_before_year: Option<f64>,
    /// `PIA_ANIO_ACTUAL`, soles.
    pub pia: Option<f64>,
    /// `PIM_ANIO_ACTUAL`, soles.
    pub pim: Option<f64>,
    /// `CERTIF_ANIO_ACTUAL`, soles.
    pub certified: Option<f64>,
    /// `COMPROM_ANUAL_ANIO_ACTUAL`, soles.
    pub committed: Option<f64>,
    /// `DEV_ANIO_ACTUAL`: accrued in the file's year, soles.
    pub accrued_year: Option<f64>,
    /// `AVANCE_FISICO`, 0–100.
    pub physical_progress: Option<f64>,
    /// `AVANCE_EJECUCION` (MEF's financial progress), 0–100.
    pub financial_progress: Option<f64>,
    /// `DEPARTAMENTO`, `PROVINCIA`, `DISTRITO` as MEF names them.
    pub department: Option<String>,
    pub province: Option<String>,
    pub district: Option<String>,
    /// `LATITUD`, `LONGITUD` (WGS84, in Peru), both or neither.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// `FECHA_VIABILIDAD`.
    pub viability_date: Option<NaiveDate>,
    /// `FEC_INI_EJECUCION`.
    pub execution_start: Option<NaiveDate>,
    /// `FEC_FIN_EJECUCION`: the planned end.
    pub execution_end: Option<NaiveDate>,
    /// `ULTIMO_DEVENGADO` is a month (`202312`): its first day.
    pub last_accrual_month: Option<NaiveDate>,
    /// `NUM_HABITANTES_BENEF`.
    pub beneficiaries: Option<u64>,
    /// `ANIO_PROCESO`: the year `*_ANIO_ACTUAL` refer to.
    pub process_year: Option<i32>,
}

/// The outcome of reading a file.
#[derive(Debug, Clone, PartialEq)]
pub struct MefFile {
    pub encoding: SourceEncoding,
    pub delimiter: char,
    /// The valid rows inside the territory, in file order.
    pub rows: Vec<MefRow>,
    /// Data rows read (inside the territory or not, valid or not).
    pub rows_read: usize,
    /// Rows outside the territory, skipped without further checks.
    pub skipped_outside: usize,
    /// The first errors, in line order.
    pub errors: Vec<LineError>,
    pub error_count: usize,
    /// Values read after a correction (a percentage above 100 capped) or that look odd: the
    /// rows are valid, the caller shows these.
    pub warnings: Vec<LineError>,
    pub warning_count: usize,
}

impl MefFile {
    /// Whether the file has no error (warnings allowed).
    pub fn is_ok(&self) -> bool {
        self.error_count == 0
    }
}

/// Errors or warnings, the first `max` listed, all counted.
struct Capped {
    list: Vec<LineError>,
    count: usize,
    max: usize,
}

impl Capped {
    fn new(max: usize) -> Capped {
        Capped {
            list: Vec::new(),
            count: 0,
            max,
        }
    }

    fn push(&mut self, e: LineError) {
        self.count += 1;
        if self.list.len() < self.max {
            self.list.push(e);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding and the header
// ---------------------------------------------------------------------------------------------

/// UTF-8 (a BOM dropped) when the bytes are valid UTF-8; UTF-16 after its BOM; otherwise
/// Windows-1252 (Latin-1's superset: every byte is a character, so this never fails).
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, SourceEncoding) {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let rest = &bytes[bom..];
        if enc == encoding_rs::UTF_8 {
            if let Ok(s) = std::str::from_utf8(rest) {
                return (Cow::Borrowed(s), SourceEncoding::Utf8);
            }
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(rest);
            return (text, SourceEncoding::Latin1);
        }
        let (text, _) = enc.decode_without_bom_handling(rest);
        return (text, SourceEncoding::Utf16);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (Cow::Borrowed(s), SourceEncoding::Utf8),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (text, SourceEncoding::Latin1)
        }
    }
}

/// The delimiter the header line uses most, outside quotes: `,`, `;`, `|` or tab (`,` when
/// none appears).
pub fn detect_delimiter(text: &str) -> char {
    let mut counts = [0usize; 4];
    let candidates = [',', ';', '|', '\t'];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = candidates.iter().position(|&d| d == c) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let mut best = 0;
    for i in 1..candidates.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    candidates[best]
}

/// A header cell as compared: trimmed, upper case, spaces and hyphens as `_`.
fn header_key(raw: &str) -> String {
    raw.trim()
        .trim_start_matches('\u{feff}')
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// Reads a MEF "Detalle de inversiones" file. Rows whose ubigeo lies outside `territory` are
/// skipped and counted before any other check (a national file imports into a region); every
/// other row is validated and either returned or reported.
pub fn parse(bytes: &[u8], territory: &Ubigeo, limits: &MefLimits) -> MefFile {
    let mut errors = Capped::new(limits.max_errors);
    let mut warnings = Capped::new(limits.max_errors);
    let mut out = MefFile {
        encoding: SourceEncoding::Utf8,
        delimiter: ',',
        rows: Vec::new(),
        rows_read: 0,
        skipped_outside: 0,
        errors: Vec::new(),
        error_count: 0,
        warnings: Vec::new(),
        warning_count: 0,
    };
    let finish = |mut out: MefFile, errors: Capped, warnings: Capped| {
        out.errors = errors.list;
        out.error_count = errors.count;
        out.warnings = warnings.list;
        out.warning_count = warnings.count;
        out
    };
    if bytes.len() > limits.max_bytes {
        errors.push(LineError::new(
            1,
            None,
            "file_too_large",
            format!(
                "el archivo tiene {} bytes; el máximo es {}",
                bytes.len(),
                limits.max_bytes
            ),
            format!(
                "the file has {} bytes; the most accepted is {}",
                bytes.len(),
                limits.max_bytes
            ),
        ));
        return finish(out, errors, warnings);
    }
    let (text, encoding) = decode(bytes);
    let delimiter = detect_delimiter(&text);
    out.encoding = encoding;
    out.delimiter = delimiter;
    let mark = if delimiter == ';' {
        DecimalMark::Comma
    } else {
        DecimalMark::Point
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter as u8)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => {}
        Ok(false) => {
            errors.push(LineError::new(
                1,
                None,
                "empty_file",
                "el archivo está vacío",
                "the file is empty",
            ));
            return finish(out, errors, warnings);
        }
        Err(e) => {
            errors.push(LineError::new(
                1,
                None,
                "csv",
                format!("no se puede leer la cabecera: {e}"),
                format!("the header cannot be read: {e}"),
            ));
            return finish(out, errors, warnings);
        }
    }
    let width = record.len();
    let Some(index) = header_index(&record, &mut errors) else {
        return finish(out, errors, warnings);
    };
    let mut lines = LineCounter {
        text: text.as_bytes(),
        pos: 0,
        line: 1,
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut percentages: [Vec<(u64, f64)>; 2] = [Vec::new(), Vec::new()];
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
                errors.push(LineError::new(
                    line,
                    None,
                    "csv",
                    format!("esta línea no se puede leer como CSV: {e}"),
                    format!("this line cannot be read as CSV: {e}"),
                ));
                continue;
            }
        }
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        if record.len() == 1 && record.get(0).is_some_and(|c| c.trim().is_empty()) {
            continue;
        }
        out.rows_read += 1;
        if out.rows_read > limits.max_rows {
            errors.push(LineError::new(
                line,
                None,
                "too_many_rows",
                format!(
                    "el archivo tiene más de {} filas; divídalo o filtre su territorio",
                    limits.max_rows
                ),
                format!(
                    "the file has more than {} rows; split it or keep your territory's rows",
                    limits.max_rows
                ),
            ));
            break;
        }
        if record.len() != width {
            errors.push(LineError::new(
                line,
                None,
                "field_count",
                format!(
                    "se esperaban {width} campos (como la cabecera), hay {}",
                    record.len()
                ),
                format!(
                    "expected {width} fields (as in the header), found {}",
                    record.len()
                ),
            ));
            continue;
        }
        let cells = Cells {
            record: &record,
            index: &index,
            line,
            mark,
            max_chars: limits.max_cell_chars,
        };
        let mut row_errors = Vec::new();
        let ubigeo = match cells.ubigeo() {
            Ok(u) if territory.contains(&u) => Some(u),
            Ok(_) => {
                out.skipped_outside += 1;
                continue;
            }
            Err(_) if cells.names_elsewhere(territory) => {
                out.skipped_outside += 1;
                continue;
            }
            Err(e) => {
                row_errors.push(e);
                None
            }
        };
        let row = cells.row(ubigeo, territory, &mut row_errors, &mut warnings);
        if let Some(row) = &row {
            if let Some(first) = seen.get(&row.cui) {
                row_errors.push(LineError::new(
                    line,
                    Some(Column::CodigoUnico),
                    "duplicate_cui",
                    format!("el CUI {} ya está en la línea {first}", row.cui),
                    format!("CUI {} is already on line {first}", row.cui),
                ));
            } else {
                seen.insert(row.cui.clone(), line);
            }
        }
        if row_errors.is_empty() {
            if let Some(row) = row {
                for (i, v) in [row.physical_progress, row.financial_progress]
                    .into_iter()
                    .enumerate()
                {
                    if let Some(v) = v {
                        percentages[i].push((line, v));
                    }
                }
                out.rows.push(row);
            }
        } else {
            in_file_order(&mut row_errors, &index);
            for e in row_errors {
                errors.push(e);
            }
        }
    }
    for (values, column) in percentages
        .iter()
        .zip([Column::AvanceFisico, Column::AvanceEjecucion])
    {
        if let Some(w) = fraction_scale_warning(values, column) {
            warnings.push(w);
        }
    }
    finish(out, errors, warnings)
}

/// The line a record starts on. The csv crate's own position counts the line after the
/// previous record, before blank lines and the `\n` of a CRLF; this skips those and counts.
struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while start < self.text.len() && matches!(self.text[start], b'\r' | b'\n') {
            start += 1;
        }
        if start < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        self.line += self.text[self.pos..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.pos = start;
        self.line
    }
}

/// Sorts a row's errors in the file's column order (errors of no column first).
fn in_file_order(errors: &mut [LineError], index: &[Option<usize>]) {
    errors.sort_by_key(|e| {
        e.column
            .as_deref()
            .and_then(|h| Column::ALL.iter().position(|c| c.header() == h))
            .and_then(|i| index[i])
            .map_or(0, |at| at + 1)
    });
}

/// Where each recognised column is; `None` (and errors) when a required one is missing or
/// one is named twice.
fn header_index(record: &csv::StringRecord, errors: &mut Capped) -> Option<Vec<Option<usize>>> {
    let keys: Vec<String> = record.iter().map(header_key).collect();
    let mut index = vec![None; Column::ALL.len()];
    let mut ok = true;
    for (i, column) in Column::ALL.iter().enumerate() {
        let mut found = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.as_str() == column.header());
        index[i] = found.next().map(|(at, _)| at);
        if found.next().is_some() {
            ok = false;
            errors.push(LineError::new(
                1,
                Some(*column),
                "header_duplicate",
                format!("la cabecera nombra la columna {column} dos veces"),
                format!("the header names the column {column} twice"),
            ));
        }
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|c| index[column_position(**c)].is_none())
        .map(|c| c.header())
        .collect();
    if !missing.is_empty() {
        ok = false;
        let list = missing.join(", ");
        errors.push(LineError::new(
            1,
            None,
            "header_missing",
            format!(
                "a la cabecera le faltan columnas obligatorias: {list} (se necesitan {}; el resto es opcional y el orden no importa)",
                required_list()
            ),
            format!(
                "the header lacks required columns: {list} ({} are needed; the others are optional, in any order)",
                required_list()
            ),
        ));
    }
    ok.then_some(index)
}

fn required_list() -> String {
    REQUIRED
        .iter()
        .map(|c| c.header())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The column's place in [`Column::ALL`] (its declaration order).
fn column_position(column: Column) -> usize {
    column as usize
}

/// Values that look like fractions (0–1) rather than percentages (0–100): at least 3 of them,
/// all at most 1 and one strictly between 0 and 1.
fn fraction_scale_warning(values: &[(u64, f64)], column: Column) -> Option<LineError> {
    let looks_fractional = values.len() >= 3
        && values.iter().all(|(_, v)| *v <= 1.0)
        && values.iter().any(|(_, v)| *v > 0.0 && *v < 1.0);
    looks_fractional.then(|| {
        LineError::new(
            1,
            Some(column),
            "percentage_scale",
            format!(
                "todos los valores de {column} están entre 0 y 1: Ayni los lee como porcentajes (0,45 = 0,45 %); si el archivo da fracciones (0,45 = 45 %), multiplíquelas por 100"
            ),
            format!(
                "every value of {column} lies between 0 and 1: Ayni reads them as percentages (0.45 = 0.45 %); if the file gives fractions (0.45 = 45 %), multiply them by 100"
            ),
        )
    })
}

/// One data record, read through the header's index.
struct Cells<'a> {
    record: &'a csv::StringRecord,
    index: &'a [Option<usize>],
    line: u64,
    mark: DecimalMark,
    max_chars: usize,
}

/// Cells that mean "no value" in numeric, date and coordinate columns.
const NULL_TOKENS: [&str; 6] = ["-", "NULL", "NA", "N/A", "NAN", "NONE"];

impl Cells<'_> {
    /// The trimmed cell, `None` when empty or the column is absent.
    fn raw(&self, column: Column) -> Option<&str> {
        let at = self.index[column_position(column)]?;
        let cell = self.record.get(at)?.trim();
        (!cell.is_empty()).then_some(cell)
    }

    /// A cell of a typed column: also `None` for `NULL`, `-`, `N/A`…
    fn typed(&self, column: Column) -> Option<&str> {
        self.raw(column)
            .filter(|c| !NULL_TOKENS.iter().any(|t| c.eq_ignore_ascii_case(t)))
    }

    fn error(&self, column: Column, rule: &'static str, es: String, en: String) -> LineError {
        LineError::new(self.line, Some(column), rule, es, en)
    }

    fn ubigeo(&self) -> Result<Ubigeo, LineError> {
        match self.typed(Column::Ubigeo) {
            None => Err(self.error(
                Column::Ubigeo,
                "required",
                "falta el ubigeo".into(),
                "the ubigeo is missing".into(),
            )),
            Some(raw) => {
                parse_ubigeo(raw).map_err(|(es, en)| self.error(Column::Ubigeo, "ubigeo", es, en))
            }
        }
    }

    /// Whether the row's department, province or district names (`DEPARTAMENTO`…) differ
    /// from the territory's: used to skip a row whose ubigeo cannot be read.
    fn names_elsewhere(&self, territory: &Ubigeo) -> bool {
        let mut levels = territory.ancestors();
        levels.reverse();
        levels.push(territory.clone());
        levels
            .iter()
            .zip([Column::Departamento, Column::Provincia, Column::Distrito])
            .any(|(u, column)| match (self.raw(column), u.name()) {
                (Some(given), Some(name)) => fold(given) != fold(name),
                _ => false,
            })
    }

    fn text(&self, column: Column, errors: &mut Vec<LineError>) -> Option<String> {
        let raw = self.raw(column)?;
        let chars = raw.chars().count();
        if chars > self.max_chars {
            errors.push(self.error(
                column,
                "cell_too_long",
                format!("tiene {chars} caracteres; el máximo es {}", self.max_chars),
                format!(
                    "has {chars} characters; the most accepted is {}",
                    self.max_chars
                ),
            ));
            return None;
        }
        if let Some(c) = raw
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            let code = u32::from(c);
            errors.push(self.error(
                column,
                "control_character",
                format!("contiene un carácter de control (U+{code:04X})"),
                format!("contains a control character (U+{code:04X})"),
            ));
            return None;
        }
        // Line breaks and runs of spaces inside a name become one space.
        Some(raw.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    fn long_cell(&self, column: Column, raw: &str, errors: &mut Vec<LineError>) -> bool {
        let too_long = raw.len() > 64;
        if too_long {
            errors.push(self.error(
                column,
                "cell_too_long",
                format!(
                    "tiene {} caracteres: no es un valor de esta columna",
                    raw.chars().count()
                ),
                format!(
                    "has {} characters: not a value of this column",
                    raw.chars().count()
                ),
            ));
        }
        too_long
    }

    fn amount(&self, column: Column, errors: &mut Vec<LineError>) -> Option<f64> {
        let raw = self.typed(column)?;
        if self.long_cell(column, raw, errors) {
            return None;
        }
        match parse_amount(raw, self.mark) {
            Ok(v) => Some(v),
            Err((es, en)) => {
                errors.push(self.error(column, "amount", es, en));
                None
            }
        }
    }

    fn percentage(
        &self,
        column: Column,
        errors: &mut Vec<LineError>,
        warnings: &mut Capped,
    ) -> Option<f64> {
        let raw = self.typed(column)?;
        if self.long_cell(column, raw, errors) {
            return None;
        }
        match parse_percentage(raw, self.mark) {
            Ok(v) if v > 100.0 => {
                warnings.push(self.error(
                    column,
                    "percentage_capped",
                    format!("{raw} supera 100: se lee como 100"),
                    format!("{raw} exceeds 100: read as 100"),
                ));
                Some(100.0)
            }
            Ok(v) => Some(v),
            Err((es, en)) => {
                errors.push(self.error(column, "percentage", es, en));
                None
            }
        }
    }

    fn date(&self, column: Column, errors: &mut Vec<LineError>) -> Option<NaiveDate> {
        let raw = self.typed(column)?;
        if self.long_cell(column, raw, errors) {
            return None;
        }
        let parsed = if column == Column::UltimoDevengado {
            parse_month(raw)
        } else {
            parse_date(raw)
        };
        match parsed {
            Ok(d) => Some(d),
            Err((es, en)) => {
                errors.push(self.error(column, "date", es, en));
                None
            }
        }
    }

    fn count(&self, column: Column, max: u64, errors: &mut Vec<LineError>) -> Option<u64> {
        let raw = self.typed(column)?;
        if self.long_cell(column, raw, errors) {
            return None;
        }
        match parse_count(raw, self.mark, max) {
            Ok(v) => Some(v),
            Err((es, en)) => {
                errors.push(self.error(column, "integer", es, en));
                None
            }
        }
    }

    fn coordinates(&self, errors: &mut Vec<LineError>) -> (Option<f64>, Option<f64>) {
        let lat = self.typed(Column::Latitud);
        let lon = self.typed(Column::Longitud);
        let mut number = |column: Column, raw: &str| {
            if self.long_cell(column, raw, errors) {
                return None;
            }
            match parse_number(raw, self.mark) {
                Ok(v) => Some(v),
                Err(_) => {
                    errors.push(self.error(
                        column,
                        "coordinates",
                        format!("'{raw}' no es una coordenada en grados decimales (-13.52)"),
                        format!("'{raw}' is not a coordinate in decimal degrees (-13.52)"),
                    ));
                    None
                }
            }
        };
        let lat_v = lat.and_then(|r| number(Column::Latitud, r));
        let lon_v = lon.and_then(|r| number(Column::Longitud, r));
        match (lat, lon, lat_v, lon_v) {
            (None, None, ..) => (None, None),
            (Some(_), Some(_), Some(la), Some(lo)) => match check_coordinates(la, lo) {
                Ok(None) => (None, None),
                Ok(Some((la, lo))) => (Some(la), Some(lo)),
                Err((column, es, en)) => {
                    errors.push(self.error(column, "coordinates", es, en));
                    (None, None)
                }
            },
            (Some(_), None, ..) | (None, Some(_), ..) => {
                let (given, missing) = if lat.is_some() {
                    (Column::Latitud, Column::Longitud)
                } else {
                    (Column::Longitud, Column::Latitud)
                };
                errors.push(self.error(
                    missing,
                    "coordinates",
                    format!("{given} tiene valor pero {missing} está vacía: se necesitan ambas o ninguna"),
                    format!("{given} is given but {missing} is empty: give both or neither"),
                ));
                (None, None)
            }
            _ => (None, None),
        }
    }

    /// The typed row, or `None` when a required value failed; every failure in `errors`.
    /// `territory` stands in for a bad ubigeo while the row's other cells are checked (such a
    /// row is not returned).
    fn row(
        &self,
        ubigeo: Option<Ubigeo>,
        territory: &Ubigeo,
        errors: &mut Vec<LineError>,
        warnings: &mut Capped,
    ) -> Option<MefRow> {
        let cui = match self.typed(Column::CodigoUnico) {
            None => {
                errors.push(self.error(
                    Column::CodigoUnico,
                    "required",
                    "falta el CUI (código único de inversión)".into(),
                    "the CUI (código único de inversión) is missing".into(),
                ));
                None
            }
            Some(raw) => parse_cui(raw)
                .map_err(|(es, en)| errors.push(self.error(Column::CodigoUnico, "cui", es, en)))
                .ok(),
        };
        let name = self.text(Column::NombreInversion, errors);
        if name.is_none() && self.raw(Column::NombreInversion).is_none() {
            errors.push(self.error(
                Column::NombreInversion,
                "required",
                "falta el nombre de la inversión".into(),
                "the investment's name is missing".into(),
            ));
        }
        let (latitude, longitude) = self.coordinates(errors);
        let process_year = self.count(Column::AnioProceso, 2100, errors).and_then(|y| {
            if (2000..=2100).contains(&y) {
                i32::try_from(y).ok()
            } else {
                errors.push(self.error(
                    Column::AnioProceso,
                    "integer",
                    format!("{y} no es un año entre 2000 y 2100"),
                    format!("{y} is not a year between 2000 and 2100"),
                ));
                None
            }
        });
        let row = MefRow {
            line: self.line,
            cui: cui.unwrap_or_default(),
            name: name.unwrap_or_default(),
            ubigeo: ubigeo.clone().unwrap_or_else(|| territory.clone()),
            level: self.text(Column::Nivel, errors),
            sector: self.text(Column::Sector, errors),
            entity: self.text(Column::Entidad, errors),
            executing_unit: self.text(Column::NombreUep, errors),
            status: self.text(Column::Estado, errors),
            situation: self.text(Column::Situacion, errors),
            f8_stage: self.text(Column::EtapaF8, errors),
            function: self.text(Column::Funcion, errors),
            programme: self.text(Column::Programa, errors),
            subprogramme: self.text(Column::Subprograma, errors),
            investment_type: self.text(Column::TipoInversion, errors),
            modality: self.text(Column::DesModalidad, errors),
            viable_amount: self.amount(Column::MontoViable, errors),
            updated_cost: self.amount(Column::CostoActualizado, errors),
            accrued_before_year: self.amount(Column::DevenAcumulAnioAnt, errors),
            pia: self.amount(Column::PiaAnioActual, errors),
            pim: self.amount(Column::PimAnioActual, errors),
            certified: self.amount(Column::CertifAnioActual, errors),
            committed: self.amount(Column::ComprometAnualAnioActual, errors),
            accrued_year: self.amount(Column::DevAnioActual, errors),
            physical_progress: self.percentage(Column::AvanceFisico, errors, warnings),
            financial_progress: self.percentage(Column::AvanceEjecucion, errors, warnings),
            department: self.text(Column::Departamento, errors),
            province: self.text(Column::Provincia, errors),
            district: self.text(Column::Distrito, errors),
            latitude,
            longitude,
            viability_date: self.date(Column::FechaViabilidad, errors),
            execution_start: self.date(Column::FecIniEjecucion, errors),
            execution_end: self.date(Column::FecFinEjecucion, errors),
            last_accrual_month: self.date(Column::UltimoDevengado, errors),
            beneficiaries: self.count(Column::NumHabitantesBenef, MAX_BENEFICIARIES, errors),
            process_year,
        };
        (errors.is_empty() && ubigeo.is_some()).then_some(row)
    }
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/// An error message in Spanish and English.
type Message = (String, String);

/// Most people a single investment may serve (Peru has ~34 million inhabitants).
const MAX_BENEFICIARIES: u64 = 40_000_000;
/// Largest amount accepted, soles: far above any single investment (Peru's yearly budget is
/// ~2.5e11).
const MAX_AMOUNT: f64 = 1e12;

/// How the file writes decimals: a point, or a comma (files with `;` delimiters, as
/// spreadsheets in Spanish save them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalMark {
    Point,
    Comma,
}

/// Drops a spreadsheet's `.0` (`2572747.0`, `40101.0`) from a code.
fn strip_zero_fraction(raw: &str) -> &str {
    let trimmed = raw.trim();
    match trimmed.split_once(['.', ',']) {
        Some((code, zeros)) if !zeros.is_empty() && zeros.bytes().all(|b| b == b'0') => code,
        _ => trimmed,
    }
}

/// A CUI (código único de inversión): exactly 7 digits. Shorter numbers are old SNIP codes,
/// not CUIs, and are refused rather than padded (a padded code would name another investment).
pub fn parse_cui(raw: &str) -> Result<String, Message> {
    let code = strip_zero_fraction(raw);
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err((
            format!("'{raw}' no es un CUI: debe tener 7 dígitos"),
            format!("'{raw}' is not a CUI: it must have 7 digits"),
        ));
    }
    if code.len() != 7 {
        return Err((
            format!(
                "'{code}' tiene {} dígitos; un CUI tiene 7 (un código más corto es un código SNIP antiguo: use el CUI de Invierte.pe)",
                code.len()
            ),
            format!(
                "'{code}' has {} digits; a CUI has 7 (a shorter code is an old SNIP code: use the investment's CUI from Invierte.pe)",
                code.len()
            ),
        ));
    }
    Ok(code.to_string())
}

/// An ubigeo as MEF files write it: 6 digits, or 5 when a spreadsheet dropped the leading zero
/// (`40101` → `040101`; likewise 1 → 2 and 3 → 4 digits); a `.0` suffix ignored. It must be in
/// INEI's catalogue.
pub fn parse_ubigeo(raw: &str) -> Result<Ubigeo, Message> {
    let code = strip_zero_fraction(raw);
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) || code.len() > 6 {
        return Err((
            format!("'{raw}' no es un ubigeo: use los 6 dígitos del distrito (180101)"),
            format!("'{raw}' is not an ubigeo: use the district's 6 digits (180101)"),
        ));
    }
    let padded = if code.len() % 2 == 1 {
        format!("0{code}")
    } else {
        code.to_string()
    };
    Ubigeo::parse("UBIGEO", &padded).map_err(|_| {
        (
            format!("'{padded}' no es un ubigeo del catálogo del INEI"),
            format!("'{padded}' is not an ubigeo in INEI's catalogue"),
        )
    })
}

/// Whether `body` (digits and `sep`) is digits grouped by thousands: `1`, `12,345`, `1,234,567`.
fn thousands_grouped(body: &str, sep: char) -> bool {
    let mut groups = body.split(sep);
    let first_ok = groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()));
    first_ok && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// A decimal number as MEF files and spreadsheets write it: `140250.0`, `1,234,567.89`,
/// `1.234.567,89`, `1234,5`, `1.5E+07`. When both `.` and `,` appear, the last is the decimal
/// mark. One separator alone followed by exactly three digits (`1,234`, `2.500`) is a
/// thousands separator unless it is the file's decimal mark (`mark`). Spaces are ignored.
pub fn parse_number(raw: &str, mark: DecimalMark) -> Result<f64, Message> {
    let bad = || {
        (
            format!("'{raw}' no es un número (escriba 1234567.89, 1,234,567.89 o 1.234.567,89)"),
            format!("'{raw}' is not a number (write 1234567.89, 1,234,567.89 or 1.234.567,89)"),
        )
    };
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .collect();
    let (sign, body) = match s.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, s.strip_prefix('+').unwrap_or(&s)),
    };
    if body.is_empty() {
        return Err(bad());
    }
    if body.contains(['e', 'E']) {
        let plain = if mark == DecimalMark::Comma {
            body.replace(',', ".")
        } else {
            body.to_string()
        };
        let digits_ok = plain
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
        return match plain.parse::<f64>() {
            Ok(v) if digits_ok && v.is_finite() => Ok(sign * v),
            _ => Err(bad()),
        };
    }
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return Err(bad());
    }
    let dots = body.matches('.').count();
    let commas = body.matches(',').count();
    let mark_char = match mark {
        DecimalMark::Point => '.',
        DecimalMark::Comma => ',',
    };
    let (decimal, thousands) = match (dots, commas) {
        (0, 0) => (None, None),
        (_, 0) | (0, _) => {
            let sep = if dots > 0 { '.' } else { ',' };
            let count = dots + commas;
            let grouped = thousands_grouped(body, sep);
            if count > 1 {
                if !grouped {
                    return Err(bad());
                }
                (None, Some(sep))
            } else if sep != mark_char && grouped {
                (None, Some(sep))
            } else {
                (Some(sep), None)
            }
        }
        _ => {
            let last_dot = body.rfind('.').unwrap_or_default();
            let last_comma = body.rfind(',').unwrap_or_default();
            let (dec, thou) = if last_dot > last_comma {
                ('.', ',')
            } else {
                (',', '.')
            };
            if body.matches(dec).count() != 1 {
                return Err(bad());
            }
            (Some(dec), Some(thou))
        }
    };
    let (int_part, frac_part) = match decimal {
        Some(d) => body.split_once(d).unwrap_or((body, "")),
        None => (body, ""),
    };
    if let Some(t) = thousands
        && !thousands_grouped(int_part, t)
    {
        return Err(bad());
    }
    let int_digits: String = int_part.chars().filter(char::is_ascii_digit).collect();
    if int_digits.is_empty() && frac_part.is_empty() {
        return Err(bad());
    }
    let plain = format!(
        "{}.{}",
        if int_digits.is_empty() {
            "0"
        } else {
            &int_digits
        },
        if frac_part.is_empty() { "0" } else { frac_part }
    );
    match plain.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(sign * v),
        _ => Err(bad()),
    }
}

/// An amount in soles: a [number](parse_number), not negative, below 10¹².
pub fn parse_amount(raw: &str, mark: DecimalMark) -> Result<f64, Message> {
    let v = parse_number(raw, mark)?;
    if v < 0.0 {
        return Err((
            format!("{raw} es negativo: un monto no puede serlo"),
            format!("{raw} is negative: an amount cannot be"),
        ));
    }
    if v > MAX_AMOUNT {
        return Err((
            format!("{raw} no es un monto plausible (más de 10¹² soles)"),
            format!("{raw} is not a plausible amount (more than 10¹² soles)"),
        ));
    }
    Ok(v)
}

/// A percentage, 0–100 as MEF writes it (`97.92`), optionally with `%`. Not negative; the
/// caller caps values above 100. Fractions (0–1) are not guessed per value: 0.5 may be half a
/// percent; see the file-level warning.
pub fn parse_percentage(raw: &str, mark: DecimalMark) -> Result<f64, Message> {
    let number = raw.trim().trim_end_matches('%');
    let v = parse_number(number, mark).map_err(|_| {
        (
            format!("'{raw}' no es un porcentaje (0 a 100, p. ej. 45.5)"),
            format!("'{raw}' is not a percentage (0 to 100, e.g. 45.5)"),
        )
    })?;
    if v < 0.0 {
        return Err((
            format!("{raw} es negativo: un porcentaje va de 0 a 100"),
            format!("{raw} is negative: a percentage goes from 0 to 100"),
        ));
    }
    if v > 1000.0 {
        return Err((
            format!("{raw} no es un porcentaje plausible"),
            format!("{raw} is not a plausible percentage"),
        ));
    }
    Ok(v)
}

/// A whole count (`1234`, `1,234`, `1234.0`), from 0 to `max`.
pub fn parse_count(raw: &str, mark: DecimalMark, max: u64) -> Result<u64, Message> {
    let bad = || {
        (
            format!("'{raw}' no es un número entero (0 a {max})"),
            format!("'{raw}' is not a whole number (0 to {max})"),
        )
    };
    let v = parse_number(raw, mark).map_err(|_| bad())?;
    if v < 0.0 || v.fract() != 0.0 || v > max as f64 {
        return Err(bad());
    }
    // Whole and within 0..=max: the conversion is exact.
    Ok(v as u64)
}

/// Dates before this are not MEF dates (the SNIP began in 2000; older records were migrated
/// with dates from 1990 on).
const MIN_YEAR: i32 = 1990;
const MAX_YEAR: i32 = 2100;

fn ymd(y: &str, m: &str, d: &str) -> Option<NaiveDate> {
    let (y, m, d) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(MIN_YEAR..=MAX_YEAR).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

fn all_digits(s: &str, lens: &[usize]) -> bool {
    lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// A date as MEF and spreadsheets write it: `2023-01-25 00:00:00` (MEF), `2023-01-25`,
/// `2023-01-25T00:00:00`, `2023/01/25`, `25/01/2023` (day first, as in Peru), `25-01-2023`,
/// `20230125`; a time after the date is ignored. Years 1990–2100.
pub fn parse_date(raw: &str) -> Result<NaiveDate, Message> {
    let date_part = raw.trim().split([' ', 'T']).next().unwrap_or_default();
    let parts: Vec<&str> = date_part.split(['-', '/', '.']).collect();
    let parsed = match parts.as_slice() {
        [ymd8] if all_digits(ymd8, &[8]) => ymd(&ymd8[..4], &ymd8[4..6], &ymd8[6..]),
        [y, m, d] if all_digits(y, &[4]) && all_digits(m, &[1, 2]) && all_digits(d, &[1, 2]) => {
            ymd(y, m, d)
        }
        [d, m, y] if all_digits(y, &[4]) && all_digits(m, &[1, 2]) && all_digits(d, &[1, 2]) => {
            ymd(y, m, d)
        }
        _ => None,
    };
    parsed.ok_or_else(|| {
        (
            format!(
                "'{raw}' no es una fecha (2023-01-25, 25/01/2023 o 20230125, años {MIN_YEAR}–{MAX_YEAR})"
            ),
            format!(
                "'{raw}' is not a date (2023-01-25, 25/01/2023 or 20230125, years {MIN_YEAR}–{MAX_YEAR})"
            ),
        )
    })
}

/// A month as `ULTIMO_DEVENGADO` gives it (`202312`, also `2023-12` or `12/2023`), or a full
/// date: the month's first day.
pub fn parse_month(raw: &str) -> Result<NaiveDate, Message> {
    let s = strip_zero_fraction(raw);
    let parts: Vec<&str> = s.split(['-', '/']).collect();
    let month = match parts.as_slice() {
        [ym] if all_digits(ym, &[6]) => ymd(&ym[..4], &ym[4..], "1"),
        [y, m] if all_digits(y, &[4]) && all_digits(m, &[1, 2]) => ymd(y, m, "1"),
        [m, y] if all_digits(y, &[4]) && all_digits(m, &[1, 2]) => ymd(y, m, "1"),
        _ => None,
    };
    match month {
        Some(d) => Ok(d),
        None => parse_date(raw).map_err(|_| {
            (
                format!("'{raw}' no es un mes (202312 o 2023-12) ni una fecha"),
                format!("'{raw}' is not a month (202312 or 2023-12) nor a date"),
            )
        }),
    }
}

/// Latitude and longitude in decimal degrees, inside Peru's extent (with a margin): `Ok(None)`
/// for MEF's `0, 0` ("no coordinates"); swapped values are named as such.
fn check_coordinates(lat: f64, lon: f64) -> Result<Option<(f64, f64)>, (Column, String, String)> {
    const LAT: std::ops::RangeInclusive<f64> = -18.6..=0.2;
    const LON: std::ops::RangeInclusive<f64> = -81.6..=-68.4;
    if lat == 0.0 && lon == 0.0 {
        return Ok(None);
    }
    if LAT.contains(&lon) && LON.contains(&lat) {
        return Err((
            Column::Latitud,
            format!("LATITUD {lat} y LONGITUD {lon} parecen intercambiadas"),
            format!("LATITUD {lat} and LONGITUD {lon} look swapped"),
        ));
    }
    if !LAT.contains(&lat) {
        return Err((
            Column::Latitud,
            format!("{lat} no es una latitud del Perú (entre -18.6 y 0.2)"),
            format!("{lat} is not a latitude in Peru (between -18.6 and 0.2)"),
        ));
    }
    if !LON.contains(&lon) {
        return Err((
            Column::Longitud,
            format!("{lon} no es una longitud del Perú (entre -81.6 y -68.4)"),
            format!("{lon} is not a longitude in Peru (between -81.6 and -68.4)"),
        ));
    }
    Ok(Some((lat, lon)))
}

// ---------------------------------------------------------------------------------------------
// MEF's categories → neutral keys
// ---------------------------------------------------------------------------------------------

/// Upper case without accents (`Á` → `A`, `Ñ` → `N`, `Ü` → `U`), trimmed, runs of spaces and
/// `_` as one space: how MEF's categories and INEI's names are compared.
pub fn fold(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut space = false;
    for c in raw.trim().chars() {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' | 'Á' | 'À' | 'Ä' | 'Â' => 'A',
            'é' | 'è' | 'ë' | 'ê' | 'É' | 'È' | 'Ë' | 'Ê' => 'E',
            'í' | 'ì' | 'ï' | 'î' | 'Í' | 'Ì' | 'Ï' | 'Î' => 'I',
            'ó' | 'ò' | 'ö' | 'ô' | 'Ó' | 'Ò' | 'Ö' | 'Ô' => 'O',
            'ú' | 'ù' | 'ü' | 'û' | 'Ú' | 'Ù' | 'Ü' | 'Û' => 'U',
            'ñ' | 'Ñ' => 'N',
            c => c.to_ascii_uppercase(),
        };
        if c.is_whitespace() || c == '_' {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

/// The words of a folded category (split on anything not a letter or digit).
fn words(raw: &str) -> Vec<String> {
    fold(raw)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The level of government of `NIVEL` (`GN`, `GR`, `GL`, or spelt out: `GOBIERNO REGIONAL`,
/// `GOBIERNOS LOCALES`…): `GN`, `GR` or `GL`.
pub fn level_key(raw: &str) -> Option<&'static str> {
    let w = words(raw);
    let has = |x: &str| w.iter().any(|v| v == x);
    if has("GN") || has("NACIONAL") {
        Some("GN")
    } else if has("GR") || has("REGIONAL") || has("REGIONALES") {
        Some("GR")
    } else if has("GL") || has("LOCAL") || has("LOCALES") || has("MUNICIPALIDAD") {
        Some("GL")
    } else {
        None
    }
}

/// The keys of [`modality_key`].
pub const MODALITY_KEYS: [&str; 5] = [
    "direct_administration",
    "contract",
    "works_for_taxes",
    "ppp",
    "executing_nucleus",
];

/// The execution modality of `DES_MODALIDAD`: `ADMINISTRACIÓN DIRECTA` →
/// `direct_administration`; `CONTRATA`, `ADMINISTRACIÓN INDIRECTA - POR CONTRATA` →
/// `contract`; `OBRAS POR IMPUESTOS`, `OXI` → `works_for_taxes`; `APP`, `ASOCIACIÓN
/// PÚBLICO PRIVADA` → `ppp`; `NÚCLEO EJECUTOR` → `executing_nucleus`. A mixed modality
/// (`MIXTA`, direct and by contract) or an unknown one: `None`.
pub fn modality_key(raw: &str) -> Option<&'static str> {
    let w = words(raw);
    let has = |x: &str| w.iter().any(|v| v == x);
    if has("MIXTA") || has("MIXTO") {
        None
    } else if has("IMPUESTOS") || has("OXI") {
        Some("works_for_taxes")
    } else if has("APP") || (has("ASOCIACION") && has("PRIVADA")) || has("ASOCIACIONES") {
        Some("ppp")
    } else if has("NUCLEO") || has("NUCLEOS") {
        Some("executing_nucleus")
    } else {
        let direct = has("DIRECTA");
        let contract = has("INDIRECTA") || has("CONTRATA") || has("CONTRATO");
        match (direct, contract) {
            (true, false) => Some("direct_administration"),
            (false, true) => Some("contract"),
            _ => None,
        }
    }
}

/// The keys of [`kind_key`].
pub const KIND_KEYS: [&str; 3] = ["project", "ioarr", "idea"];

/// The kind of investment of `TIPO_INVERSION`: `PROYECTO DE INVERSIÓN`, `PIP MAYOR/MENOR
/// (SNIP)`, `PROYECTO EMBLEMÁTICO`, `PROGRAMA DE INVERSIÓN` → `project`; `INVERSIONES IOARR`,
/// `IOARR`, `INTERVENCIONES IRI` (reconstruction interventions, registered like IOARR) →
/// `ioarr`; `IDEA` → `idea`.
pub fn kind_key(raw: &str) -> Option<&'static str> {
    let w = words(raw);
    let has = |x: &str| w.iter().any(|v| v == x);
    if has("IOARR") || has("IRI") {
        Some("ioarr")
    } else if has("IDEA") {
        Some("idea")
    } else if has("PROYECTO") || has("PIP") || has("PROGRAMA") || has("PROYECTOS") {
        Some("project")
    } else {
        None
    }
}

/// The keys of [`stage_key`], in the order an investment goes through them.
pub const STAGE_KEYS: [&str; 7] = [
    "idea",
    "formulation",
    "viable",
    "technical_file",
    "execution",
    "settlement",
    "closed",
];

/// The stage of the investment cycle, derived from `ESTADO`, `SITUACION` and `ETAPA_F8` (the
/// execution form's stage: `Aprobación (A)`, `Expediente técnico (B)`, `Ejecución física (C)`):
///
/// - `ESTADO` `CERRADO` → `closed`; `EN LIQUIDACIÓN`/`LIQUIDADO` → `settlement`;
///   `DESACTIVADO` → `None`;
/// - `SITUACION` `EN FORMULACIÓN`, `EN EVALUACIÓN`, `OBSERVADO` → `formulation`; `IDEA` →
///   `idea`; `NO VIABLE` → `None`;
/// - `VIABLE` or `APROBADO` (or no situation but an F8 stage): by `ETAPA_F8`, `C` →
///   `execution`, `B` → `technical_file`, `A` or none → `viable`.
pub fn stage_key(
    status: Option<&str>,
    situation: Option<&str>,
    f8_stage: Option<&str>,
) -> Option<&'static str> {
    let status = words(status.unwrap_or_default());
    let situation = words(situation.unwrap_or_default());
    let f8 = words(f8_stage.unwrap_or_default());
    let in_status = |x: &str| status.iter().any(|v| v.starts_with(x));
    let in_situation = |x: &str| situation.iter().any(|v| v.starts_with(x));
    let in_f8 = |x: &str| f8.iter().any(|v| v == x || v.starts_with(x));
    if in_status("DESACTIVAD") {
        return None;
    }
    if in_status("CERRAD") || in_status("CIERRE") {
        return Some("closed");
    }
    if in_status("LIQUIDA") {
        return Some("settlement");
    }
    if situation.first().is_some_and(|w| w == "NO") {
        return None;
    }
    if in_situation("FORMULACION")
        || in_situation("EVALUACION")
        || in_situation("ELABORACION")
        || in_situation("OBSERVAD")
        || in_situation("REGISTR")
    {
        return Some("formulation");
    }
    if in_situation("IDEA") {
        return Some("idea");
    }
    let approved = in_situation("VIABLE") || in_situation("APROBAD");
    let f8_letter = f8.last().map(String::as_str);
    let by_f8 = if in_f8("EJECUCION") || f8_letter == Some("C") {
        Some("execution")
    } else if in_f8("EXPEDIENTE") || f8_letter == Some("B") {
        Some("technical_file")
    } else if in_f8("APROBACION") || f8_letter == Some("A") {
        Some("viable")
    } else {
        None
    };
    match (approved, by_f8) {
        (_, Some(stage)) => Some(stage),
        (true, None) => Some("viable"),
        (false, None) => None,
    }
}

/// The keys of [`function_key`]: MEF's 25 functions (the functional classifier), in its order.
pub const FUNCTION_KEYS: [&str; 25] = [
    "legislative",
    "foreign_affairs",
    "planning_management",
    "defence",
    "public_order",
    "justice",
    "labour",
    "trade",
    "tourism",
    "agriculture",
    "fisheries",
    "energy",
    "mining",
    "industry",
    "transport",
    "telecommunications",
    "environment",
    "sanitation",
    "housing_urban",
    "health",
    "culture_sport",
    "education",
    "social_protection",
    "social_security",
    "public_debt",
];

/// The function of `FUNCION` (`TRANSPORTE`, `SANEAMIENTO`, `EDUCACIÓN`…; a leading code such
/// as `15 ` or `15.` is ignored) as a key of [`FUNCTION_KEYS`].
pub fn function_key(raw: &str) -> Option<&'static str> {
    let folded = fold(raw);
    let name = folded
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start_matches(['.', '-', ' ']);
    let key = match name {
        "LEGISLATIVA" => "legislative",
        "RELACIONES EXTERIORES" => "foreign_affairs",
        "PLANEAMIENTO, GESTION Y RESERVA DE CONTINGENCIA" => "planning_management",
        "DEFENSA Y SEGURIDAD NACIONAL" => "defence",
        "ORDEN PUBLICO Y SEGURIDAD" => "public_order",
        "JUSTICIA" => "justice",
        "TRABAJO" => "labour",
        "COMERCIO" => "trade",
        "TURISMO" => "tourism",
        "AGROPECUARIA" | "AGRICULTURA" => "agriculture",
        "PESCA" => "fisheries",
        "ENERGIA" => "energy",
        "MINERIA" => "mining",
        "INDUSTRIA" => "industry",
        "TRANSPORTE" => "transport",
        "COMUNICACIONES" => "telecommunications",
        "AMBIENTE" | "MEDIO AMBIENTE" => "environment",
        "SANEAMIENTO" => "sanitation",
        "VIVIENDA Y DESARROLLO URBANO" => "housing_urban",
        "SALUD" => "health",
        "CULTURA Y DEPORTE" => "culture_sport",
        "EDUCACION" => "education",
        "PROTECCION SOCIAL" => "social_protection",
        "PREVISION SOCIAL" => "social_security",
        "DEUDA PUBLICA" => "public_debt",
        _ if name.starts_with("PLANEAMIENTO") => "planning_management",
        _ => return None,
    };
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moquegua() -> Ubigeo {
        Ubigeo::parse("t", "18").unwrap()
    }

    fn read(text: &str) -> MefFile {
        parse(text.as_bytes(), &moquegua(), &MefLimits::default())
    }

    const HEAD: &str = "CODIGO_UNICO,NOMBRE_INVERSION,UBIGEO";

    fn rules(f: &MefFile) -> Vec<(u64, Option<&str>, &str)> {
        f.errors
            .iter()
            .map(|e| (e.line, e.column.as_deref(), e.rule))
            .collect()
    }

    // --- Decoding, delimiter, header -----------------------------------------------------

    #[test]
    fn utf8_with_or_without_bom_latin1_and_utf16_are_decoded() {
        let (t, e) = decode("AÑO".as_bytes());
        assert_eq!((t.as_ref(), e), ("AÑO", SourceEncoding::Utf8));
        let (t, e) = decode(b"\xEF\xBB\xBFA\xC3\x91O");
        assert_eq!((t.as_ref(), e), ("AÑO", SourceEncoding::Utf8));
        // Latin-1: Ñ is 0xD1, ó is 0xF3; Windows-1252's 0x93/0x94 are curly quotes.
        let (t, e) = decode(b"A\xD1O acci\xF3n \x93x\x94");
        assert_eq!(
            (t.as_ref(), e),
            ("AÑO acción \u{201c}x\u{201d}", SourceEncoding::Latin1)
        );
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("AÑO".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let (t, e) = decode(&utf16);
        assert_eq!((t.as_ref(), e), ("AÑO", SourceEncoding::Utf16));
        // A UTF-8 BOM before bytes that are not UTF-8.
        let (t, e) = decode(b"\xEF\xBB\xBFA\xD1O");
        assert_eq!((t.as_ref(), e), ("AÑO", SourceEncoding::Latin1));
    }

    #[test]
    fn the_delimiter_is_the_header_s_commonest_outside_quotes() {
        assert_eq!(detect_delimiter("A,B,C\n1;2;3;4;5"), ',');
        assert_eq!(detect_delimiter("A;B;C\n1,2,3,4"), ';');
        assert_eq!(detect_delimiter("A|B|C"), '|');
        assert_eq!(detect_delimiter("A\tB\tC"), '\t');
        assert_eq!(detect_delimiter("\"A;B;C\",D"), ',');
        assert_eq!(detect_delimiter("ABC"), ',');
        for (text, d) in [
            (
                "CODIGO_UNICO;NOMBRE_INVERSION;UBIGEO\n2469870;Riego;180102\n",
                ';',
            ),
            (
                "CODIGO_UNICO|NOMBRE_INVERSION|UBIGEO\n2469870|Riego|180102\n",
                '|',
            ),
            (
                "CODIGO_UNICO\tNOMBRE_INVERSION\tUBIGEO\n2469870\tRiego\t180102\n",
                '\t',
            ),
        ] {
            let f = read(text);
            assert!(f.is_ok(), "{:?}", f.errors);
            assert_eq!((f.delimiter, f.rows.len()), (d, 1));
            assert_eq!(f.rows[0].cui, "2469870");
        }
    }

    #[test]
    fn headers_in_any_order_and_case_trimmed_extra_columns_ignored() {
        let f = read(
            " ubigeo ,Extra,nombre_inversion,Codigo_Unico,Pim Anio Actual\n180101,x,Pistas,2398765,100\n",
        );
        assert!(f.is_ok(), "{:?}", f.errors);
        let r = &f.rows[0];
        assert_eq!(
            (r.cui.as_str(), r.name.as_str(), r.ubigeo.as_str(), r.pim),
            ("2398765", "Pistas", "180101", Some(100.0))
        );
        assert_eq!((r.pia, r.level.as_deref()), (None, None));
    }

    #[test]
    fn missing_required_headers_are_one_error_and_no_row_is_read() {
        let f = read("NOMBRE_INVERSION,PIM_ANIO_ACTUAL\nPistas,100\n");
        assert_eq!(rules(&f), vec![(1, None, "header_missing")]);
        assert!(f.errors[0].message_en.contains("CODIGO_UNICO, UBIGEO"));
        assert!(f.errors[0].message_es.contains("CODIGO_UNICO, UBIGEO"));
        assert!(f.rows.is_empty());
        let f = read("");
        assert_eq!(rules(&f), vec![(1, None, "empty_file")]);
    }

    #[test]
    fn a_column_named_twice_is_refused() {
        let f = read("CODIGO_UNICO,NOMBRE_INVERSION,UBIGEO,ubigeo\n2398765,P,180101,180101\n");
        assert_eq!(rules(&f), vec![(1, Some("UBIGEO"), "header_duplicate")]);
    }

    // --- Territory -------------------------------------------------------------------------

    #[test]
    fn rows_outside_the_territory_are_skipped_and_counted_unchecked() {
        let text = format!(
            "{HEAD},PIM_ANIO_ACTUAL\n\
             2398765,Pistas,180101,100\n\
             2501122,Tacna,230101,not a number\n\
             2488990,Arequipa,40101,-5\n"
        );
        let f = read(&text);
        assert!(f.is_ok(), "{:?}", f.errors);
        assert_eq!((f.rows.len(), f.skipped_outside, f.rows_read), (1, 2, 3));
        // A province territory skips the department's other provinces.
        let ilo = Ubigeo::parse("t", "1803").unwrap();
        let f = parse(
            format!("{HEAD}\n2398765,Pistas,180101\n2545566,Malecón,180301\n").as_bytes(),
            &ilo,
            &MefLimits::default(),
        );
        assert_eq!((f.rows.len(), f.skipped_outside), (1, 1));
        assert_eq!(f.rows[0].cui, "2545566");
    }

    #[test]
    fn a_bad_ubigeo_is_skipped_when_the_names_place_the_row_elsewhere() {
        let text = "CODIGO_UNICO,NOMBRE_INVERSION,UBIGEO,DEPARTAMENTO,PROVINCIA\n\
                    2501122,Tacna,,TACNA,TACNA\n\
                    2501123,Varios,000000,VARIOS,\n\
                    2469870,Riego,,MOQUEGUA,MARISCAL NIETO\n\
                    2469871,Riego,999999,Moquegua,\n\
                    2469872,Riego,1801x1,,\n";
        let f = read(text);
        assert_eq!(f.skipped_outside, 2);
        assert_eq!(
            rules(&f),
            vec![
                (4, Some("UBIGEO"), "required"),
                (5, Some("UBIGEO"), "ubigeo"),
                (6, Some("UBIGEO"), "ubigeo"),
            ]
        );
        // Accents and case do not matter: INEI's "General Sánchez Cerro" is MEF's
        // "GENERAL SANCHEZ CERRO".
        let sanchez_cerro = Ubigeo::parse("t", "1802").unwrap();
        let f = parse(
            b"CODIGO_UNICO,NOMBRE_INVERSION,UBIGEO,DEPARTAMENTO,PROVINCIA\n2499001,IE,,MOQUEGUA,GENERAL SANCHEZ CERRO\n",
            &sanchez_cerro,
            &MefLimits::default(),
        );
        assert_eq!(
            (f.skipped_outside, rules(&f)),
            (0, vec![(2, Some("UBIGEO"), "required")])
        );
    }

    #[test]
    fn ubigeos_are_zero_padded_and_checked_against_inei() {
        for (raw, code) in [
            ("180101", "180101"),
            ("40101", "040101"),
            ("40101.0", "040101"),
            (" 180301 ", "180301"),
            ("1801", "1801"),
            ("801", "0801"),
        ] {
            assert_eq!(parse_ubigeo(raw).unwrap().as_str(), code, "{raw}");
        }
        for bad in ["", "18-01", "1234567", "189999", "180100", "abc"] {
            let (es, en) = parse_ubigeo(bad).unwrap_err();
            assert!(!es.is_empty() && en.contains("ubigeo"), "{bad}");
        }
    }

    // --- CUI and duplicates ------------------------------------------------------------------

    #[test]
    fn a_cui_has_seven_digits() {
        assert_eq!(parse_cui("2572747").unwrap(), "2572747");
        assert_eq!(parse_cui(" 2572747.0 ").unwrap(), "2572747");
        let (es, en) = parse_cui("245678").unwrap_err();
        assert!(en.contains("6 digits") && en.contains("SNIP"), "{en}");
        assert!(es.contains("6 dígitos"), "{es}");
        for bad in ["25727470", "2572-47", "CUI2572747", "2572747.5", ""] {
            assert!(parse_cui(bad).is_err(), "{bad}");
        }
        let f = read(&format!("{HEAD}\n,Sin código,180101\n12345,Corto,180101\n"));
        assert_eq!(
            rules(&f),
            vec![
                (2, Some("CODIGO_UNICO"), "required"),
                (3, Some("CODIGO_UNICO"), "cui")
            ]
        );
    }

    #[test]
    fn a_cui_twice_is_an_error_naming_both_lines() {
        let f = read(&format!(
            "{HEAD}\n2398765,Pistas,180101\n2545566,Malecón,180301\n2398765,Otra vez,180102\n"
        ));
        assert_eq!(rules(&f), vec![(4, Some("CODIGO_UNICO"), "duplicate_cui")]);
        assert!(f.errors[0].message_en.contains("line 2"));
        assert!(f.errors[0].message_es.contains("línea 2"));
        assert_eq!(f.rows.len(), 2);
        // Duplicates outside the territory are not ours to judge.
        let f = read(&format!(
            "{HEAD}\n2501122,Tacna,230101\n2501122,Tacna,230101\n"
        ));
        assert!(f.is_ok() && f.skipped_outside == 2);
    }

    #[test]
    fn the_name_is_required_and_one_line() {
        let f = read(&format!(
            "{HEAD}\n2398765,,180101\n2545566,\"Malecón\n  costero\",180301\n2545567,\"a\u{1}b\",180301\n"
        ));
        assert_eq!(
            rules(&f),
            vec![
                (2, Some("NOMBRE_INVERSION"), "required"),
                (5, Some("NOMBRE_INVERSION"), "control_character"),
            ]
        );
        assert_eq!(f.rows[0].name, "Malecón costero");
        assert_eq!(f.rows[0].line, 3);
    }

    // --- Numbers, percentages, counts --------------------------------------------------------

    #[test]
    fn numbers_in_mef_s_and_spreadsheets_formats() {
        use DecimalMark::{Comma, Point};
        for (raw, mark, v) in [
            ("140250.0", Point, 140250.0),
            ("140250.0", Comma, 140250.0),
            ("149431.25", Point, 149431.25),
            ("0", Point, 0.0),
            ("1,234,567.89", Point, 1_234_567.89),
            ("1.234.567,89", Point, 1_234_567.89),
            ("1.234.567,89", Comma, 1_234_567.89),
            ("1234,5", Point, 1234.5),
            ("1234,5", Comma, 1234.5),
            ("1,234", Point, 1234.0),
            ("1,234", Comma, 1.234),
            ("2.500", Point, 2.5),
            ("2.500", Comma, 2500.0),
            ("1 234 567,5", Comma, 1_234_567.5),
            ("1.5E+07", Point, 15_000_000.0),
            ("1,5E+07", Comma, 15_000_000.0),
            ("-12.5", Point, -12.5),
            (".5", Point, 0.5),
        ] {
            assert_eq!(parse_number(raw, mark), Ok(v), "{raw} {mark:?}");
        }
        for bad in [
            "",
            "abc",
            "1,23,4",
            "1.2.3,4,5",
            "12a",
            "1,2.3,4",
            "S/ 100",
            "inf",
            "NaN",
            "1e999",
            "--1",
        ] {
            assert!(parse_number(bad, Point).is_err(), "{bad}");
        }
    }

    #[test]
    fn amounts_are_plain_non_negative_and_plausible() {
        assert_eq!(
            parse_amount("61234567.89", DecimalMark::Point),
            Ok(61_234_567.89)
        );
        assert!(
            parse_amount("-1", DecimalMark::Point)
                .unwrap_err()
                .1
                .contains("negative")
        );
        assert!(
            parse_amount("2e12", DecimalMark::Point)
                .unwrap_err()
                .1
                .contains("plausible")
        );
        let f = read(&format!(
            "{HEAD},MONTO_VIABLE,PIM_ANIO_ACTUAL,PIA_ANIO_ACTUAL,DEV_ANIO_ACTUAL\n\
             2398765,P,180101,\"1,000.5\",NULL,-,\n\
             2398766,P,180101,x,-3,{},1\n",
            "9".repeat(70)
        ));
        assert_eq!(
            rules(&f),
            vec![
                (3, Some("MONTO_VIABLE"), "amount"),
                (3, Some("PIM_ANIO_ACTUAL"), "amount"),
                (3, Some("PIA_ANIO_ACTUAL"), "cell_too_long"),
            ]
        );
        let r = &f.rows[0];
        assert_eq!(
            (r.viable_amount, r.pim, r.pia, r.accrued_year),
            (Some(1000.5), None, None, None)
        );
    }

    #[test]
    fn percentages_are_0_to_100_and_capped_with_a_warning() {
        use DecimalMark::{Comma, Point};
        assert_eq!(parse_percentage("97.92", Point), Ok(97.92));
        assert_eq!(parse_percentage("45,5%", Comma), Ok(45.5));
        assert!(parse_percentage("-1", Point).is_err());
        assert!(parse_percentage("5000", Point).is_err());
        assert!(parse_percentage("mucho", Point).is_err());
        let f = read(&format!(
            "{HEAD},AVANCE_FISICO,AVANCE_EJECUCION\n2398765,P,180101,103.2,100\n2398766,P,180101,-2,\n"
        ));
        assert_eq!(rules(&f), vec![(3, Some("AVANCE_FISICO"), "percentage")]);
        assert_eq!(f.rows[0].physical_progress, Some(100.0));
        assert_eq!(f.warning_count, 1);
        assert_eq!(
            (f.warnings[0].line, f.warnings[0].rule),
            (2, "percentage_capped")
        );
    }

    #[test]
    fn a_column_of_fractions_is_read_as_is_with_a_warning() {
        let f = read(&format!(
            "{HEAD},AVANCE_FISICO\n2398765,P,180101,0.45\n2398766,P,180101,1\n2398767,P,180101,0.2\n"
        ));
        assert!(f.is_ok());
        assert_eq!(f.rows[0].physical_progress, Some(0.45));
        assert_eq!(
            f.warnings
                .iter()
                .map(|w| (w.line, w.column.as_deref(), w.rule))
                .collect::<Vec<_>>(),
            vec![(1, Some("AVANCE_FISICO"), "percentage_scale")]
        );
        // Two values are too few to judge; a value above 1 settles it.
        let few = read(&format!(
            "{HEAD},AVANCE_FISICO\n2398765,P,180101,0.45\n2398766,P,180101,0.5\n"
        ));
        let mixed = read(&format!(
            "{HEAD},AVANCE_FISICO\n2398765,P,180101,0.45\n2398766,P,180101,0.5\n2398767,P,180101,12\n"
        ));
        assert_eq!((few.warning_count, mixed.warning_count), (0, 0));
    }

    #[test]
    fn beneficiaries_and_the_process_year_are_whole_numbers() {
        assert_eq!(
            parse_count("3250", DecimalMark::Point, 100),
            Err((
                "'3250' no es un número entero (0 a 100)".into(),
                "'3250' is not a whole number (0 to 100)".into()
            ))
        );
        assert_eq!(parse_count("1,234", DecimalMark::Point, 10_000), Ok(1234));
        assert_eq!(parse_count("1234.0", DecimalMark::Point, 10_000), Ok(1234));
        assert!(parse_count("12.5", DecimalMark::Point, 10_000).is_err());
        assert!(parse_count("-1", DecimalMark::Point, 10_000).is_err());
        let f = read(&format!(
            "{HEAD},NUM_HABITANTES_BENEF,ANIO_PROCESO\n2398765,P,180101,66000,2025\n2398766,P,180101,50000000,1999\n"
        ));
        assert_eq!(
            rules(&f),
            vec![
                (3, Some("NUM_HABITANTES_BENEF"), "integer"),
                (3, Some("ANIO_PROCESO"), "integer"),
            ]
        );
        assert_eq!(
            (f.rows[0].beneficiaries, f.rows[0].process_year),
            (Some(66000), Some(2025))
        );
    }

    // --- Dates -----------------------------------------------------------------------------------

    #[test]
    fn dates_in_mef_s_and_spreadsheets_formats() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        for (raw, date) in [
            ("2023-01-25 00:00:00", d(2023, 1, 25)),
            ("2023-01-25", d(2023, 1, 25)),
            ("2023-01-25T08:42:14", d(2023, 1, 25)),
            ("2025-12-18 08:42:14.000", d(2025, 12, 18)),
            ("2023/1/5", d(2023, 1, 5)),
            ("25/01/2023", d(2023, 1, 25)),
            ("5/1/2023 0:00", d(2023, 1, 5)),
            ("25-01-2023", d(2023, 1, 25)),
            ("20230125", d(2023, 1, 25)),
        ] {
            assert_eq!(parse_date(raw), Ok(date), "{raw}");
        }
        for bad in [
            "2023-02-30",
            "2023-13-01",
            "01/25/2023",
            "1989-12-31",
            "2101-01-01",
            "202312",
            "ayer",
            "23-01-25",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        for (raw, date) in [
            ("202312", d(2023, 12, 1)),
            ("202312.0", d(2023, 12, 1)),
            ("2023-12", d(2023, 12, 1)),
            ("12/2023", d(2023, 12, 1)),
            ("2023-12-18 00:00:00", d(2023, 12, 18)),
        ] {
            assert_eq!(parse_month(raw), Ok(date), "{raw}");
        }
        assert!(parse_month("202313").is_err());
        let f = read(&format!(
            "{HEAD},FECHA_VIABILIDAD,FEC_INI_EJECUCION,ULTIMO_DEVENGADO\n\
             2398765,P,180101,2018-11-05 00:00:00,,202512\n\
             2398766,P,180101,30/02/2020,NULL,20251\n"
        ));
        assert_eq!(
            rules(&f),
            vec![
                (3, Some("FECHA_VIABILIDAD"), "date"),
                (3, Some("ULTIMO_DEVENGADO"), "date"),
            ]
        );
        let r = &f.rows[0];
        assert_eq!(
            (r.viability_date, r.execution_start, r.last_accrual_month),
            (Some(d(2018, 11, 5)), None, Some(d(2025, 12, 1)))
        );
    }

    // --- Coordinates ---------------------------------------------------------------------------

    #[test]
    fn coordinates_come_in_pairs_inside_peru() {
        let f = read(&format!(
            "{HEAD},LATITUD,LONGITUD\n\
             2398765,P,180101,-17.1941,-70.9353\n\
             2398766,P,180101,0,0\n\
             2398767,P,180101,,\n\
             2398768,P,180101,-17.19,\n\
             2398769,P,180101,-70.9353,-17.1941\n\
             2398770,P,180101,17.1941,-70.9353\n\
             2398771,P,180101,-17.1941,70.9353\n\
             2398772,P,180101,norte,-70.9\n"
        ));
        assert_eq!(
            rules(&f),
            vec![
                (5, Some("LONGITUD"), "coordinates"),
                (6, Some("LATITUD"), "coordinates"),
                (7, Some("LATITUD"), "coordinates"),
                (8, Some("LONGITUD"), "coordinates"),
                (9, Some("LATITUD"), "coordinates"),
            ]
        );
        assert!(f.errors[1].message_en.contains("swapped"));
        let coords: Vec<_> = f.rows.iter().map(|r| (r.latitude, r.longitude)).collect();
        assert_eq!(
            coords,
            vec![(Some(-17.1941), Some(-70.9353)), (None, None), (None, None)]
        );
    }

    // --- Lines, limits -------------------------------------------------------------------------

    #[test]
    fn line_numbers_count_the_header_and_multi_line_cells() {
        let f = read(&format!(
            "{HEAD}\n2398765,\"Dos\nlíneas\",180101\n\n2398766,P,180101,extra\n2398767,P\n"
        ));
        assert_eq!(
            rules(&f),
            vec![(5, None, "field_count"), (6, None, "field_count")]
        );
        assert_eq!(f.rows.len(), 1);
    }

    #[test]
    fn files_too_large_or_too_long_are_refused_cleanly() {
        let limits = MefLimits {
            max_bytes: 100,
            ..MefLimits::default()
        };
        let long = format!("{HEAD}\n{}", "2398765,P,180101\n".repeat(10));
        let f = parse(long.as_bytes(), &moquegua(), &limits);
        assert_eq!(rules(&f), vec![(1, None, "file_too_large")]);

        let limits = MefLimits {
            max_rows: 3,
            ..MefLimits::default()
        };
        let rows: String = (0..10)
            .map(|i| format!("{},P,180101\n", 2_400_000 + i))
            .collect();
        let f = parse(format!("{HEAD}\n{rows}").as_bytes(), &moquegua(), &limits);
        assert_eq!(rules(&f), vec![(5, None, "too_many_rows")]);
        assert!(f.errors[0].message_en.contains("more than 3 rows"));

        let limits = MefLimits {
            max_cell_chars: 10,
            ..MefLimits::default()
        };
        let f = parse(
            format!("{HEAD},SECTOR\n2398765,Nombre muy largo,180101,OK\n").as_bytes(),
            &moquegua(),
            &limits,
        );
        assert_eq!(
            rules(&f),
            vec![(2, Some("NOMBRE_INVERSION"), "cell_too_long")]
        );
    }

    #[test]
    fn errors_are_listed_up_to_the_limit_and_all_counted() {
        let limits = MefLimits {
            max_errors: 5,
            ..MefLimits::default()
        };
        let rows: String = (0..20).map(|i| format!("x{i},P,180101\n")).collect();
        let f = parse(format!("{HEAD}\n{rows}").as_bytes(), &moquegua(), &limits);
        assert_eq!((f.errors.len(), f.error_count), (5, 20));
        assert!(!f.is_ok());
    }

    #[test]
    fn no_input_panics() {
        let territory = moquegua();
        let inputs: [&[u8]; 9] = [
            b"",
            b"\n\n\n",
            b"\"",
            b"CODIGO_UNICO,NOMBRE_INVERSION,UBIGEO\n\"unterminated,x,180101\n",
            b"\xff\xfe\x00",
            b"\xEF\xBB\xBF",
            b"CODIGO_UNICO,NOMBRE_INVERSION,UBIGEO\n\x00\x01,\xff,\xfe\n",
            b"CODIGO_UNICO;NOMBRE_INVERSION;UBIGEO\n;;\n",
            b",,,\n,,,\n",
        ];
        for bytes in inputs {
            let _ = parse(bytes, &territory, &MefLimits::default());
        }
    }

    // --- Categories ----------------------------------------------------------------------------

    #[test]
    fn fold_drops_accents_case_and_extra_spaces() {
        assert_eq!(
            fold("  Administración   indirecta_por contrata "),
            "ADMINISTRACION INDIRECTA POR CONTRATA"
        );
        assert_eq!(fold("Ichuña"), "ICHUNA");
        assert_eq!(fold("General Sánchez Cerro"), fold("GENERAL SANCHEZ CERRO"));
    }

    #[test]
    fn levels_of_government() {
        for (raw, key) in [
            ("GN", Some("GN")),
            ("gr", Some("GR")),
            (" GL ", Some("GL")),
            ("GOBIERNO NACIONAL", Some("GN")),
            ("Gobierno Regional", Some("GR")),
            ("GOBIERNOS LOCALES", Some("GL")),
            ("EMPRESA", None),
            ("", None),
        ] {
            assert_eq!(level_key(raw), key, "{raw}");
        }
    }

    #[test]
    fn modalities() {
        for (raw, key) in [
            ("ADMINISTRACION DIRECTA", Some("direct_administration")),
            ("Administración directa", Some("direct_administration")),
            ("CONTRATA", Some("contract")),
            ("ADMINISTRACIÓN INDIRECTA - POR CONTRATA", Some("contract")),
            ("ADMINISTRACION INDIRECTA", Some("contract")),
            ("OBRAS POR IMPUESTOS", Some("works_for_taxes")),
            (
                "ADMINISTRACION INDIRECTA - OBRAS POR IMPUESTOS",
                Some("works_for_taxes"),
            ),
            ("OxI", Some("works_for_taxes")),
            ("APP", Some("ppp")),
            ("ADMINISTRACION INDIRECTA - APP", Some("ppp")),
            ("Asociación Público-Privada", Some("ppp")),
            ("NUCLEO EJECUTOR", Some("executing_nucleus")),
            (
                "ADMINISTRACIÓN INDIRECTA - NÚCLEO EJECUTOR",
                Some("executing_nucleus"),
            ),
            ("MIXTA", None),
            ("ADMINISTRACION DIRECTA Y POR CONTRATA", None),
            ("", None),
        ] {
            assert_eq!(modality_key(raw), key, "{raw}");
        }
        for k in MODALITY_KEYS {
            assert!(!k.is_empty());
        }
    }

    #[test]
    fn kinds_of_investment() {
        for (raw, key) in [
            ("PROYECTO DE INVERSION", Some("project")),
            ("Proyecto de inversión", Some("project")),
            ("PIP MAYOR (SNIP)", Some("project")),
            ("PIP MENOR (SNIP)", Some("project")),
            ("PROYECTO EMBLEMATICO", Some("project")),
            ("PROGRAMA DE INVERSION", Some("project")),
            ("INVERSIONES IOARR", Some("ioarr")),
            ("IOARR", Some("ioarr")),
            ("INTERVENCIONES IRI", Some("ioarr")),
            ("IDEA", Some("idea")),
            ("OTRO", None),
        ] {
            assert_eq!(kind_key(raw), key, "{raw}");
        }
    }

    #[test]
    fn stages_from_status_situation_and_the_f8_stage() {
        for (status, situation, f8, key) in [
            (
                Some("ACTIVO"),
                Some("VIABLE"),
                Some("Ejecución física (C)"),
                Some("execution"),
            ),
            (Some("ACTIVO"), Some("VIABLE"), Some("C"), Some("execution")),
            (
                Some("ACTIVO"),
                Some("VIABLE"),
                Some("Expediente técnico (B)"),
                Some("technical_file"),
            ),
            (
                Some("ACTIVO"),
                Some("APROBADO"),
                Some("Aprobación (A)"),
                Some("viable"),
            ),
            (Some("ACTIVO"), Some("VIABLE"), None, Some("viable")),
            (Some("activo"), Some("aprobado"), Some(""), Some("viable")),
            (None, None, Some("Ejecución física (C)"), Some("execution")),
            (
                Some("ACTIVO"),
                Some("EN FORMULACION"),
                None,
                Some("formulation"),
            ),
            (
                Some("ACTIVO"),
                Some("En evaluación"),
                None,
                Some("formulation"),
            ),
            (Some("ACTIVO"), Some("OBSERVADO"), None, Some("formulation")),
            (None, Some("IDEA"), None, Some("idea")),
            (Some("CERRADO"), Some("VIABLE"), Some("C"), Some("closed")),
            (
                Some("EN LIQUIDACION"),
                Some("VIABLE"),
                None,
                Some("settlement"),
            ),
            (Some("DESACTIVADO"), Some("VIABLE"), None, None),
            (Some("ACTIVO"), Some("NO VIABLE"), None, None),
            (Some("ACTIVO"), None, None, None),
            (None, None, None, None),
        ] {
            assert_eq!(
                stage_key(status, situation, f8),
                key,
                "{status:?} {situation:?} {f8:?}"
            );
        }
        for key in [
            stage_key(None, Some("IDEA"), None),
            stage_key(None, Some("EN FORMULACION"), None),
            stage_key(None, Some("VIABLE"), None),
            stage_key(None, Some("VIABLE"), Some("B")),
            stage_key(None, Some("VIABLE"), Some("C")),
            stage_key(Some("LIQUIDADO"), None, None),
            stage_key(Some("CERRADO"), None, None),
        ] {
            assert!(STAGE_KEYS.contains(&key.unwrap()));
        }
    }

    #[test]
    fn functions() {
        for (raw, key) in [
            ("TRANSPORTE", Some("transport")),
            ("Educación", Some("education")),
            ("SANEAMIENTO", Some("sanitation")),
            ("15 TRANSPORTE", Some("transport")),
            ("20.SALUD", Some("health")),
            ("AGROPECUARIA", Some("agriculture")),
            ("ENERGÍA", Some("energy")),
            ("COMUNICACIONES", Some("telecommunications")),
            (
                "PLANEAMIENTO, GESTIÓN Y RESERVA DE CONTINGENCIA",
                Some("planning_management"),
            ),
            ("VIVIENDA Y DESARROLLO URBANO", Some("housing_urban")),
            ("ASTRONOMIA", None),
        ] {
            assert_eq!(function_key(raw), key, "{raw}");
        }
        let mut keys = FUNCTION_KEYS.to_vec();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 25);
    }

    // --- Fixtures --------------------------------------------------------------------------------

    #[test]
    fn the_utf8_fixture_as_mef_publishes_it() {
        let bytes = include_bytes!("../../tests/fixtures/mef/detalle_moquegua_utf8.csv");
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let f = parse(bytes, &moquegua(), &MefLimits::default());
        assert!(f.is_ok(), "{:?}", f.errors);
        assert_eq!((f.encoding, f.delimiter), (SourceEncoding::Utf8, ','));
        assert_eq!((f.rows_read, f.rows.len(), f.skipped_outside), (16, 14, 2));
        assert!(f.rows.iter().all(|r| r.ubigeo.as_str().starts_with("18")));
        // Pacocha's 103.2 % physical progress, capped.
        assert_eq!(
            f.warnings
                .iter()
                .map(|w| (w.line, w.rule))
                .collect::<Vec<_>>(),
            vec![(15, "percentage_capped")]
        );

        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd);
        let r = &f.rows[0];
        assert_eq!(r.line, 2);
        assert_eq!(r.cui, "2469870");
        assert!(r.name.starts_with("MEJORAMIENTO DEL SERVICIO DE AGUA PARA RIEGO EN EL SECTOR PASTO GRANDE, DISTRITO DE CARUMAS"));
        assert_eq!(r.ubigeo.as_str(), "180102");
        assert_eq!(
            (
                r.level.as_deref(),
                r.sector.as_deref(),
                r.executing_unit.as_deref()
            ),
            (
                Some("GR"),
                Some("GOBIERNOS REGIONALES"),
                Some("REGION MOQUEGUA-SEDE CENTRAL")
            )
        );
        assert_eq!(
            r.entity.as_deref(),
            Some("GOBIERNO REGIONAL DEL DEPARTAMENTO DE MOQUEGUA")
        );
        assert_eq!(
            (
                r.status.as_deref(),
                r.situation.as_deref(),
                r.f8_stage.as_deref()
            ),
            (Some("ACTIVO"), Some("VIABLE"), Some("Ejecución física (C)"))
        );
        assert_eq!(
            (
                r.function.as_deref(),
                r.programme.as_deref(),
                r.subprogramme.as_deref()
            ),
            (
                Some("AGROPECUARIA"),
                Some("RIEGO"),
                Some("INFRAESTRUCTURA DE RIEGO")
            )
        );
        assert_eq!(
            (r.viable_amount, r.updated_cost, r.accrued_before_year),
            (Some(48_512_300.0), Some(61_234_567.89), Some(30_125_000.5))
        );
        assert_eq!(
            (r.pia, r.pim, r.certified, r.committed, r.accrued_year),
            (
                Some(12e6),
                Some(15e6),
                Some(14.5e6),
                Some(13.9e6),
                Some(9_876_543.21)
            )
        );
        assert_eq!(
            (r.physical_progress, r.financial_progress),
            (Some(72.5), Some(65.3))
        );
        assert_eq!((r.latitude, r.longitude), (Some(-16.8089), Some(-70.6942)));
        assert_eq!(
            (
                r.viability_date,
                r.execution_start,
                r.execution_end,
                r.last_accrual_month
            ),
            (
                d(2020, 3, 12),
                d(2021, 4, 1),
                d(2026, 6, 30),
                d(2025, 11, 1)
            )
        );
        assert_eq!((r.beneficiaries, r.process_year), (Some(3250), Some(2025)));
        assert_eq!(
            (
                level_key(r.level.as_deref().unwrap()),
                modality_key(r.modality.as_deref().unwrap()),
                kind_key(r.investment_type.as_deref().unwrap()),
                stage_key(
                    r.status.as_deref(),
                    r.situation.as_deref(),
                    r.f8_stage.as_deref()
                ),
                function_key(r.function.as_deref().unwrap()),
            ),
            (
                Some("GR"),
                Some("contract"),
                Some("project"),
                Some("execution"),
                Some("agriculture")
            )
        );

        // An IOARR with empty cells: None, not zero.
        let ioarr = f.rows.iter().find(|r| r.cui == "2587412").unwrap();
        assert_eq!(
            kind_key(ioarr.investment_type.as_deref().unwrap()),
            Some("ioarr")
        );
        assert_eq!(
            (
                ioarr.pia,
                ioarr.pim,
                ioarr.accrued_year,
                ioarr.physical_progress,
                ioarr.latitude
            ),
            (None, Some(185_000.0), Some(0.0), None, None)
        );
        assert_eq!(
            stage_key(
                ioarr.status.as_deref(),
                ioarr.situation.as_deref(),
                ioarr.f8_stage.as_deref()
            ),
            Some("viable")
        );
        // The `0,0` coordinates mean none.
        let zero = f.rows.iter().find(|r| r.cui == "2577001").unwrap();
        assert_eq!((zero.latitude, zero.longitude), (None, None));
        // Every modality of the file maps to a key.
        let modalities: Vec<_> = f
            .rows
            .iter()
            .filter_map(|r| r.modality.as_deref())
            .map(|m| modality_key(m).unwrap_or("?"))
            .collect();
        for key in MODALITY_KEYS {
            assert!(modalities.contains(&key), "{key}");
        }
        assert!(!modalities.contains(&"?"));
    }

    #[test]
    fn the_latin1_semicolon_fixture_with_extra_columns() {
        let bytes = include_bytes!("../../tests/fixtures/mef/detalle_latin1_semicolon.csv");
        // Really Latin-1: Ñ is the one byte 0xD1, never UTF-8's 0xC3 0x91.
        assert!(bytes.windows(5).any(|w| w == b"ICHU\xD1"));
        assert!(!bytes.windows(2).any(|w| w == b"\xC3\x91"));
        let f = parse(bytes, &moquegua(), &MefLimits::default());
        assert!(f.is_ok(), "{:?}", f.errors);
        assert_eq!((f.encoding, f.delimiter), (SourceEncoding::Latin1, ';'));
        assert_eq!((f.rows.len(), f.skipped_outside), (4, 1));
        let r = &f.rows[0];
        assert_eq!(
            r.name,
            "MEJORAMIENTO DEL SERVICIO EDUCATIVO EN LA I.E. SIMÓN BOLÍVAR, DISTRITO DE ICHUÑA"
        );
        assert_eq!(
            (r.district.as_deref(), r.province.as_deref()),
            (Some("ICHUÑA"), Some("GENERAL SÁNCHEZ CERRO"))
        );
        assert_eq!(
            (r.viable_amount, r.updated_cost, r.physical_progress),
            (Some(9.8e6), Some(10.4e6), Some(60.0))
        );
        assert_eq!(r.viability_date, NaiveDate::from_ymd_opt(2020, 10, 1));
        assert_eq!(
            function_key(r.function.as_deref().unwrap()),
            Some("education")
        );
        assert_eq!(
            modality_key(r.modality.as_deref().unwrap()),
            Some("direct_administration")
        );
        assert_eq!(
            kind_key(r.investment_type.as_deref().unwrap()),
            Some("project")
        );
        let puquina = &f.rows[1];
        assert_eq!(
            (puquina.viable_amount, puquina.accrued_year),
            (Some(2_350_500.5), Some(315_250.75))
        );
        // "950.000" in a file with decimal commas is nine hundred and fifty thousand.
        let ilo = &f.rows[3];
        assert_eq!(
            (ilo.viable_amount, ilo.pim, ilo.accrued_year),
            (Some(950_000.0), Some(400_000.0), None)
        );
    }

    #[test]
    fn the_bad_row_fixture_reports_every_error_of_its_line() {
        let bytes = include_bytes!("../../tests/fixtures/mef/detalle_bad_row.csv");
        let f = parse(bytes, &moquegua(), &MefLimits::default());
        assert_eq!(
            rules(&f),
            vec![
                (4, Some("CODIGO_UNICO"), "cui"),
                (4, Some("COSTO_ACTUALIZADO"), "amount"),
                (4, Some("FECHA_VIABILIDAD"), "date"),
                (4, Some("LATITUD"), "coordinates"),
            ]
        );
        assert_eq!(
            f.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            vec![2, 3, 5]
        );
        for e in &f.errors {
            assert!(!e.message_es.is_empty() && !e.message_en.is_empty());
            assert_ne!(e.message_es, e.message_en);
        }
    }

    #[test]
    fn the_manual_s_example_reads_as_it_says() {
        let manual = include_str!("../../docs/investments.md");
        let section = &manual[manual.find("## Importing MEF's investment file").unwrap()..];
        let start = section.find("```csv\n").unwrap() + "```csv\n".len();
        let example = &section[start..start + section[start..].find("```").unwrap()];
        let f = read(example);
        assert!(f.is_ok(), "{:?}", f.errors);
        assert_eq!((f.rows.len(), f.skipped_outside), (2, 2));
        let bad = example
            .replace("2545566", "254556")
            .replace("2022-04-22", "2022-04-31");
        let f = read(&bad);
        assert_eq!(
            rules(&f),
            vec![
                (3, Some("CODIGO_UNICO"), "cui"),
                (3, Some("FECHA_VIABILIDAD"), "date"),
            ]
        );
        assert!(
            f.errors[0]
                .message_en
                .starts_with("'254556' has 6 digits; a CUI has 7")
        );
    }
}
