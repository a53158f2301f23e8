//! Reading an uploaded workbook (XLSX) or CSV into rows of the template's columns, within
//! limits checked before anything is parsed: the upload's size, the zip's entry count and
//! uncompressed size (declared *and* actual: a zip bomb is inflated into a counting sink and
//! stopped at the limit), the rows and columns of each sheet (cells are streamed, never laid
//! out as a grid). Formulas are refused, cell by cell: their cached values may be stale or
//! absent, and the template needs none.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};

use super::{COLUMNS, CellError, INDICATORS_SHEET, SheetKind, SheetRow, VARIABLES_SHEET};

/// Largest upload, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// Most data rows in one sheet (or CSV).
pub const MAX_ROWS: u32 = 20_000;
/// Most columns a sheet may use.
pub const MAX_COLUMNS: u32 = 64;
/// Most entries in the XLSX's zip.
pub const MAX_ZIP_ENTRIES: usize = 200;
/// Most bytes the XLSX's entries may inflate to, all together.
pub const MAX_UNCOMPRESSED_BYTES: u64 = 64 * 1024 * 1024;

/// Why a file is refused as a whole (not one of its cells).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

/// Reads the upload: an XLSX (a zip, by its first bytes) or else a CSV. Row errors are
/// listed; a file that cannot be read at all is refused.
pub fn read_upload(bytes: &[u8]) -> Result<(Vec<SheetRow>, Vec<CellError>), Refusal> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(Refusal(format!(
            "the file has more than {MAX_UPLOAD_BYTES} bytes"
        )));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else if std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).is_ok()
        && !bytes.contains(&0)
    {
        Ok(read_csv(bytes))
    } else {
        Err(Refusal(
            "el archivo no es un libro de Excel (.xlsx) ni un texto CSV / the file is neither an Excel workbook (.xlsx) nor a CSV text file".into(),
        ))
    }
}

/// Checks the zip's directory and inflates every entry into a counting sink: more than
/// [`MAX_ZIP_ENTRIES`] entries, or more than [`MAX_UNCOMPRESSED_BYTES`] in all (as declared
/// or as actually inflated), refuses the file before calamine reads it.
pub fn check_zip(bytes: &[u8]) -> Result<(), Refusal> {
    let not_xlsx = |e: zip::result::ZipError| {
        Refusal(format!(
            "the file is not a readable Excel workbook (.xlsx): {e}"
        ))
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(not_xlsx)?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(Refusal(format!(
            "the workbook has {} parts; at most {MAX_ZIP_ENTRIES} are accepted",
            zip.len()
        )));
    }
    let too_big = || {
        Refusal(format!(
            "the workbook inflates to more than {} MiB; at most that is accepted",
            MAX_UNCOMPRESSED_BYTES / (1024 * 1024)
        ))
    };
    let mut declared = 0u64;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(not_xlsx)?;
        declared = declared.saturating_add(entry.size());
        if declared > MAX_UNCOMPRESSED_BYTES {
            return Err(too_big());
        }
    }
    // The declared sizes may lie: inflate, counting, and stop at the limit.
    let mut left = MAX_UNCOMPRESSED_BYTES;
    let mut sink = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(not_xlsx)?;
        loop {
            let n = entry.read(&mut sink).map_err(|e| {
                Refusal(format!(
                    "el libro está dañado / the workbook is damaged: {e}"
                ))
            })?;
            if n == 0 {
                break;
            }
            left = left.checked_sub(n as u64).ok_or_else(too_big)?;
        }
    }
    Ok(())
}

/// The position of each template column in a header row (cells by column index), or the
/// header's errors.
fn header_index(
    sheet: &str,
    row: u64,
    cells: &BTreeMap<u32, String>,
) -> Result<[u32; 9], Vec<CellError>> {
    let mut errors = Vec::new();
    let mut index = [u32::MAX; 9];
    for (col, name) in cells {
        let name = name.trim().to_lowercase();
        if name.is_empty() {
            continue;
        }
        match COLUMNS.iter().position(|c| *c == name) {
            Some(i) if index[i] != u32::MAX => errors.push(CellError::at(
                sheet,
                row,
                Some(*col),
                format!("el encabezado repite la columna '{name}' / the header names the column '{name}' twice"),
            )),
            Some(i) => index[i] = *col,
            None => errors.push(CellError::at(
                sheet,
                row,
                Some(*col),
                format!(
                    "unknown column '{name}'; the columns are: {}",
                    COLUMNS.join(", ")
                ),
            )),
        }
    }
    for (i, at) in index.iter().enumerate() {
        if *at == u32::MAX {
            errors.push(CellError::at(
                sheet,
                row,
                None,
                format!(
                    "the header has no '{}' column; it must be: {}",
                    COLUMNS[i],
                    COLUMNS.join(", ")
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(index)
    } else {
        Err(errors)
    }
}

/// Turns the cells of the data rows into rows of the template's columns; rows with every
/// cell empty are left out.
fn rows_of(
    sheet: &str,
    kind: SheetKind,
    grid: BTreeMap<u32, BTreeMap<u32, String>>,
    errors: &mut Vec<CellError>,
) -> Vec<SheetRow> {
    let mut grid = grid.into_iter();
    let Some((header_row, header)) = grid.next() else {
        return Vec::new();
    };
    let index = match header_index(sheet, u64::from(header_row) + 1, &header) {
        Ok(i) => i,
        Err(e) => {
            errors.extend(e);
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (row, cells) in grid {
        let fields: [String; 9] =
            std::array::from_fn(|i| cells.get(&index[i]).cloned().unwrap_or_default());
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        out.push(SheetRow {
            sheet: sheet.to_string(),
            kind,
            row: u64::from(row) + 1,
            columns: Some(index),
            fields,
        });
    }
    out
}

fn read_xlsx(bytes: &[u8]) -> Result<(Vec<SheetRow>, Vec<CellError>), Refusal> {
    check_zip(bytes)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        Refusal(format!(
            "no se puede leer el libro de Excel / the file is not a readable Excel workbook: {e}"
        ))
    })?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let names = book.sheet_names();
    let known: Vec<(String, SheetKind)> = names
        .iter()
        .filter_map(|n| match n.trim() {
            INDICATORS_SHEET => Some((n.clone(), SheetKind::Indicators)),
            VARIABLES_SHEET => Some((n.clone(), SheetKind::Variables)),
            _ => None,
        })
        .collect();
    if known.is_empty() {
        return Err(Refusal(format!(
            "the workbook has no sheet named '{INDICATORS_SHEET}' or '{VARIABLES_SHEET}': download the template again"
        )));
    }
    for (name, kind) in known {
        let mut cells = book
            .worksheet_cells_reader(&name)
            .map_err(|e| Refusal(format!("the sheet '{name}' cannot be read: {e}")))?;
        let mut grid: BTreeMap<u32, BTreeMap<u32, String>> = BTreeMap::new();
        loop {
            let cell = cells
                .next_cell_with_formula_metadata()
                .map_err(|e| Refusal(format!("the sheet '{name}' cannot be read: {e}")))?;
            let Some(cell) = cell else { break };
            let (r, c) = cell.pos;
            if r > MAX_ROWS {
                return Err(Refusal(format!(
                    "the sheet '{name}' has more than {MAX_ROWS} rows; split the file"
                )));
            }
            if c >= MAX_COLUMNS {
                return Err(Refusal(format!(
                    "the sheet '{name}' uses more than {MAX_COLUMNS} columns"
                )));
            }
            let text = if cell.formula.is_some() {
                errors.push(CellError::at(
                    &name,
                    u64::from(r) + 1,
                    Some(c),
                    "no se aceptan fórmulas: escriba el valor / formulas are not accepted: type the value itself".into(),
                ));
                continue;
            } else {
                match text_of(&cell.value) {
                    Ok(t) => t,
                    Err(m) => {
                        errors.push(CellError::at(&name, u64::from(r) + 1, Some(c), m));
                        continue;
                    }
                }
            };
            if !text.is_empty() {
                grid.entry(r).or_default().insert(c, text);
            }
        }
        rows.extend(rows_of(&name, kind, grid, &mut errors));
    }
    Ok((rows, errors))
}

/// A cell's content as the text the import reads.
fn text_of(value: &DataRef<'_>) -> Result<String, String> {
    Ok(match value {
        DataRef::Empty => String::new(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => f.to_string(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(_) | DataRef::DateTimeIso(_) | DataRef::DurationIso(_) => {
            return Err(
                "a date is not accepted here: type the period as text (2024, 2024Q1, 2024S2)"
                    .into(),
            );
        }
        DataRef::Error(e) => {
            return Err(format!(
                "la celda tiene el error {e} / the cell holds the error {e}"
            ));
        }
    })
}

/// The CSV variant: one header row with the template's columns.
fn read_csv(bytes: &[u8]) -> (Vec<SheetRow>, Vec<CellError>) {
    const SHEET: &str = "CSV";
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut errors = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut grid: BTreeMap<u32, BTreeMap<u32, String>> = BTreeMap::new();
    let mut record = csv::StringRecord::new();
    // Zero-based line of the current record, and the bytes counted so far.
    let mut line = 0u32;
    let mut counted = 0usize;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                errors.push(CellError::at(
                    SHEET,
                    u64::from(line) + 1,
                    None,
                    format!("this line cannot be read as CSV: {e}"),
                ));
                break;
            }
        }
        // The record's line, counted from its byte offset (the reader's own line count
        // leaves out blank lines).
        let mut start = record.position().map_or(counted, |p| p.byte() as usize);
        // It may point at the blank lines skipped before the record.
        while bytes.get(start).is_some_and(|c| matches!(c, b'\n' | b'\r')) {
            start += 1;
        }
        line += bytes
            .get(counted..start)
            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count() as u32);
        counted = start.max(counted);
        if line > MAX_ROWS {
            errors.push(CellError::at(
                SHEET,
                u64::from(line) + 1,
                None,
                format!("el archivo tiene más de {MAX_ROWS} filas: divídalo / the file has more than {MAX_ROWS} rows; split it"),
            ));
            return (Vec::new(), errors);
        }
        let cells: BTreeMap<u32, String> = record
            .iter()
            .take(MAX_COLUMNS as usize)
            .enumerate()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(i, v)| (i as u32, v.trim().to_string()))
            .collect();
        if !cells.is_empty() {
            grid.insert(line, cells);
        }
    }
    let mut rows = rows_of(SHEET, SheetKind::ByCode, grid, &mut errors);
    for r in &mut rows {
        r.columns = None;
    }
    (rows, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_keep_their_lines_and_skip_blank_ones() {
        let (rows, errors) = read_upload(
            "codigo,nombre,unidad,periodo,territorio,valor,evidencia_url,evidencia_texto,comentario\n\
             V1,,,2024,06,1.5,,INEI,\n\
             \n\
             V2,x,t,2023,06,,,,\n"
                .as_bytes(),
        )
        .unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 2);
        assert_eq!(rows[0].fields[5], "1.5");
        assert_eq!(rows[1].row, 4);
    }

    #[test]
    fn a_wrong_header_is_listed_cell_by_cell() {
        let (rows, errors) = read_upload(b"codigo,periodo,valor,extra\nV1,2024,1,2\n").unwrap();
        assert!(rows.is_empty());
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains("unknown column 'extra'"))
        );
        assert!(errors.iter().any(|e| e.message.contains("no 'territorio'")));
        assert!(errors.iter().all(|e| e.row == 1));
    }

    #[test]
    fn binary_and_broken_zips_are_refused() {
        assert!(read_upload(&[0u8, 159, 146, 150, 0, 1]).is_err());
        assert!(read_upload(b"PK\x03\x04 not really a zip").is_err());
    }
}
