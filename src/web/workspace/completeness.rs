//! Completeness and timeliness (`/app/completitud`, coordinators and admins): per ecosystem,
//! actor and period, the values expected, submitted and approved, and how many came on time,
//! late, are pending or overdue. Filters: `ecosistema` (slug) and `actor` (id). The same rows
//! as CSV at `/app/completitud.csv` (spreadsheet-safe cells).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;

use crate::app::{Ayni, CompletenessRow, completeness};
use crate::web::WebError;
use crate::web::data::spreadsheet_safe_csv;

use super::{Signed, page, tr};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/app/completitud").route(web::get().to(completeness_page)))
        .service(web::resource("/app/completitud.csv").route(web::get().to(completeness_csv)))
        .service(web::resource("/app/completitud.xlsx").route(web::get().to(completeness_xlsx)));
}

#[derive(Debug, Default, Deserialize)]
struct Filters {
    ecosistema: Option<String>,
    actor: Option<i64>,
}

impl Filters {
    fn query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(e) = &self.ecosistema {
            q.append_pair("ecosistema", e);
        }
        if let Some(a) = self.actor {
            q.append_pair("actor", &a.to_string());
        }
        q.finish()
    }
}

async fn rows(
    app: &Ayni,
    signed: &Signed,
    f: &Filters,
) -> Result<(Vec<CompletenessRow>, Vec<(i64, String)>), WebError> {
    let today = chrono::Utc::now().date_naive();
    let slug = f.ecosistema.clone().filter(|s| !s.is_empty());
    let mut tasks = app
        .members_assignments_by(&signed.me.caller, Vec::new(), slug, today)
        .await?;
    let mut actors: Vec<(i64, String)> = tasks
        .iter()
        .map(|t| (t.actor_id, t.actor_name.clone()))
        .collect();
    actors.sort_by(|a, b| a.1.cmp(&b.1));
    actors.dedup();
    if let Some(a) = f.actor {
        tasks.retain(|t| t.actor_id == a);
    }
    Ok((completeness(&tasks), actors))
}

async fn completeness_page(
    req: HttpRequest,
    signed: Signed,
    app: web::Data<Ayni>,
    f: web::Query<Filters>,
) -> Result<HttpResponse, WebError> {
    let lang = signed.lang;
    let (rows, actors) = rows(&app, &signed, &f).await?;
    let ecosystems = app.ecosystems().await?;
    let csv = match f.query().as_str() {
        "" => "/app/completitud.csv".to_string(),
        q => format!("/app/completitud.csv?{q}"),
    };
    let body = html! {
        form.filters method="get" action="/app/completitud" {
            label {
                (tr(lang, "Ecosistema", "Ecosystem"))
                select name="ecosistema" {
                    option value="" { (tr(lang, "Todos", "All")) }
                    @for e in &ecosystems {
                        option value=(e.slug) selected[f.ecosistema.as_deref() == Some(e.slug.as_str())] { (e.name) }
                    }
                }
            }
            label {
                (tr(lang, "Actor", "Actor"))
                select name="actor" {
                    option value="" { (tr(lang, "Todos", "All")) }
                    @for (id, name) in &actors {
                        option value=(id) selected[f.actor == Some(*id)] { (name) }
                    }
                }
            }
            button type="submit" { (tr(lang, "Filtrar", "Filter")) }
        }
        p.downloads {
            a href=(csv) download { (tr(lang, "Descargar CSV", "Download CSV")) }
            " · "
            a href=(csv.replacen(".csv", ".xlsx", 1)) download { (tr(lang, "Descargar XLSX", "Download XLSX")) }
        }
        @if rows.is_empty() {
            p { (tr(lang, "No hay valores esperados con estos filtros.", "No values are expected with these filters.")) }
        } @else {
            div.table-wrap {
                table {
                    caption { (tr(lang, "Valores esperados, enviados y aprobados por periodo", "Values expected, submitted and approved by period")) }
                    thead {
                        tr {
                            th scope="col" { (tr(lang, "Ecosistema", "Ecosystem")) }
                            th scope="col" { (tr(lang, "Actor", "Actor")) }
                            th scope="col" { (tr(lang, "Periodo", "Period")) }
                            th scope="col" { (tr(lang, "Vence", "Due")) }
                            th.num scope="col" { (tr(lang, "Esperados", "Expected")) }
                            th.num scope="col" { (tr(lang, "Enviados", "Submitted")) }
                            th.num scope="col" { (tr(lang, "Aprobados", "Approved")) }
                            th.num scope="col" { (tr(lang, "A tiempo", "On time")) }
                            th.num scope="col" { (tr(lang, "Tarde", "Late")) }
                            th.num scope="col" { (tr(lang, "Pendientes", "Pending")) }
                            th.num scope="col" { (tr(lang, "Vencidos", "Overdue")) }
                        }
                    }
                    tbody {
                        @for r in &rows {
                            tr class=[(r.overdue > 0).then_some("overdue")] {
                                td { (r.ecosystem) }
                                td { (r.actor) }
                                td { (r.period) }
                                td { (r.due) }
                                td.num { (r.expected) }
                                td.num { (r.submitted) }
                                td.num { (r.approved) }
                                td.num { (r.on_time) }
                                td.num { (r.late) }
                                td.num { (r.pending) }
                                td.num { (r.overdue) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(
        &req,
        &signed,
        "/app/completitud",
        tr(
            lang,
            "Completitud y puntualidad",
            "Completeness and timeliness",
        ),
        body,
    ))
}

async fn completeness_csv(
    signed: Signed,
    app: web::Data<Ayni>,
    f: web::Query<Filters>,
) -> Result<HttpResponse, WebError> {
    let (rows, _) = rows(&app, &signed, &f).await?;
    let bytes = spreadsheet_safe_csv(&rows)
        .map_err(|e| WebError::from(crate::app::AppError::internal(e)))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"completitud.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}

/// The completeness rows as a workbook: one sheet, a header row, numbers as numbers (text
/// cells are written as text, never as formulas).
fn xlsx_of(rows: &[CompletenessRow], lang: crate::web::Lang) -> Result<Vec<u8>, String> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .set_name(tr(lang, "Completitud", "Completeness"))
        .map_err(|e| e.to_string())?;
    let header = [
        tr(lang, "ecosistema", "ecosystem"),
        "actor",
        tr(lang, "periodo", "period"),
        tr(lang, "vence", "due"),
        tr(lang, "esperados", "expected"),
        tr(lang, "enviados", "submitted"),
        tr(lang, "aprobados", "approved"),
        tr(lang, "a_tiempo", "on_time"),
        tr(lang, "tarde", "late"),
        tr(lang, "pendientes", "pending"),
        tr(lang, "vencidos", "overdue"),
    ];
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(|e| e.to_string())?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        for (c, text) in [&r.ecosystem, &r.actor, &r.period, &r.due]
            .iter()
            .enumerate()
        {
            sheet
                .write_string(row, c as u16, text.as_str())
                .map_err(|e| e.to_string())?;
        }
        let counts = [
            r.expected,
            r.submitted,
            r.approved,
            r.on_time,
            r.late,
            r.pending,
            r.overdue,
        ];
        for (c, n) in counts.iter().enumerate() {
            sheet
                .write_number(row, c as u16 + 4, f64::from(*n))
                .map_err(|e| e.to_string())?;
        }
    }
    book.save_to_buffer().map_err(|e| e.to_string())
}

async fn completeness_xlsx(
    signed: Signed,
    app: web::Data<Ayni>,
    f: web::Query<Filters>,
) -> Result<HttpResponse, WebError> {
    let (rows, _) = rows(&app, &signed, &f).await?;
    let bytes = xlsx_of(&rows, signed.lang)
        .map_err(|e| WebError::from(crate::app::AppError::internal(e)))?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"completitud.xlsx\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}
