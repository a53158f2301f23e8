//! The Excel round trip: `GET /app/plantilla.xlsx?ecosystem=SLUG[&actor=ID]` (the template of
//! what an actor owes), `GET /app/carga` (the upload form) and `POST /app/carga` (multipart:
//! `csrf`, `ecosystem`, optional `actor`, and the file in `file`), answered with every
//! error by sheet, row and column (422) or with the rows submitted for review.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::{
    AppError, Ayni, TaskEcosystem, WORKBOOK_MAX_UPLOAD_BYTES, WorkbookReport, WorkbookUpload,
};
use crate::domain::Role;
use crate::web::WebError;

use super::{FormErrors, Signed, form_status, page, read_multipart};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/app/plantilla.xlsx").route(web::get().to(template)))
        .service(
            web::resource("/app/carga")
                .route(web::get().to(upload_form))
                .route(web::post().to(upload)),
        );
}

type WebResult = Result<HttpResponse, WebError>;

#[derive(Debug, Default, Deserialize)]
struct Target {
    ecosystem: Option<String>,
    actor: Option<i64>,
}

fn form(signed: &Signed, target: &Target, choices: &[TaskEcosystem]) -> Markup {
    let may_name_actor = matches!(signed.role(), Role::Coordinator | Role::Admin);
    html! {
        form.stacked method="post" action="/app/carga" enctype="multipart/form-data" {
            (signed.csrf_field())
            div.field {
                label for="f-ecosystem" { (signed.t("Ecosistema", "Ecosystem")) }
                @if choices.is_empty() {
                    input #f-ecosystem name="ecosystem" type="text" required
                        value=(target.ecosystem.as_deref().unwrap_or(""));
                } @else {
                    select #f-ecosystem name="ecosystem" required {
                        @for e in choices {
                            option value=(e.slug) selected[target.ecosystem.as_deref() == Some(e.slug.as_str())] { (e.name) }
                        }
                    }
                }
            }
            @if may_name_actor {
                div.field {
                    label for="f-actor" { (signed.t("Actor (número)", "Actor (number)")) }
                    input #f-actor name="actor" type="number" min="1"
                        value=(target.actor.map(|a| a.to_string()).unwrap_or_default());
                }
            }
            div.field {
                label for="f-file" { (signed.t("Archivo (.xlsx o .csv, hasta 10 MiB)", "File (.xlsx or .csv, up to 10 MiB)")) }
                input #f-file name="file" type="file" required
                    accept=".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv";
            }
            button type="submit" { (signed.t("Enviar para revisión", "Submit for review")) }
        }
    }
}

/// The ecosystems the caller's actor takes part in (none for a coordinator without an actor:
/// the form then asks for the slug).
async fn choices(app: &Ayni, signed: &Signed) -> Vec<TaskEcosystem> {
    app.task_ecosystems(&signed.me.caller)
        .await
        .unwrap_or_default()
}

async fn upload_page(
    req: &HttpRequest,
    app: &Ayni,
    signed: &Signed,
    target: &Target,
    result: Markup,
) -> HttpResponse {
    let choices = choices(app, signed).await;
    let body = html! {
        (result)
        p {
            (signed.t(
                "Descargue la plantilla de su actor, complete la columna valor con su evidencia y súbala aquí. También se acepta un CSV con las mismas columnas.",
                "Download your actor's template, fill in the valor column with its evidence and upload it here. A CSV with the same columns is accepted too.",
            ))
        }
        @if let Some(slug) = &target.ecosystem {
            p { a href=(template_link(slug, target.actor)) { (signed.t("Descargar la plantilla (.xlsx)", "Download the template (.xlsx)")) } }
        } @else {
            ul.templates {
                @for e in &choices {
                    li { a href=(template_link(&e.slug, target.actor)) {
                        (signed.t("Descargar la plantilla (.xlsx) de ", "Download the template (.xlsx) for ")) (e.name)
                    } }
                }
            }
        }
        (form(signed, target, &choices))
    };
    page(
        req,
        signed,
        "/app/tareas",
        signed.t("Carga desde Excel", "Upload from Excel"),
        body,
    )
}

fn template_link(slug: &str, actor: Option<i64>) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("ecosystem", slug);
    if let Some(a) = actor {
        q.append_pair("actor", &a.to_string());
    }
    format!("/app/plantilla.xlsx?{}", q.finish())
}

/// The media type of an XLSX workbook.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn template(signed: Signed, app: web::Data<Ayni>, target: web::Query<Target>) -> WebResult {
    let Some(slug) = target.ecosystem.as_deref().filter(|s| !s.is_empty()) else {
        return Err(bad_form("falta ?ecosystem= / missing ?ecosystem="));
    };
    let today = chrono::Utc::now().date_naive();
    let t = app
        .workbook_template(&signed.me.caller, target.actor, slug, today)
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(XLSX)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", t.file_name),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(t.bytes))
}

async fn upload_form(
    req: HttpRequest,
    signed: Signed,
    app: web::Data<Ayni>,
    target: web::Query<Target>,
) -> WebResult {
    Ok(upload_page(&req, &app, &signed, &target, html! {}).await)
}

fn bad_form(message: &str) -> WebError {
    WebError {
        status: 400,
        message: message.to_string(),
    }
}

async fn upload(
    req: HttpRequest,
    signed: Signed,
    app: web::Data<Ayni>,
    payload: Multipart,
) -> WebResult {
    let form = read_multipart(&req, &signed, payload, WORKBOOK_MAX_UPLOAD_BYTES).await?;
    let actor = match form.text("actor").map(str::parse::<i64>) {
        None => None,
        Some(Ok(a)) => Some(a),
        Some(Err(_)) => return Err(bad_form("actor: número inválido / invalid number")),
    };
    let target = Target {
        ecosystem: form.text("ecosystem").map(str::to_string),
        actor,
    };
    let ecosystem_slug = form.text("ecosystem").unwrap_or_default().to_string();
    let Some(bytes) = form.file.filter(|b| !b.is_empty()) else {
        let errors = FormErrors::field("file", signed.t("Elija un archivo.", "Choose a file."));
        let mut res = upload_page(&req, &app, &signed, &target, errors.summary(signed.lang)).await;
        *res.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    };
    let upload = WorkbookUpload {
        ecosystem_slug,
        actor_id: actor,
        file_name: form.file_name,
        bytes,
    };
    match app.submit_workbook(&signed.me.caller, upload).await {
        Ok(report) => {
            let status = if report.submitted {
                actix_web::http::StatusCode::OK
            } else {
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
            };
            let mut res = upload_page(
                &req,
                &app,
                &signed,
                &target,
                report_markup(&signed, &report),
            )
            .await;
            *res.status_mut() = status;
            Ok(res)
        }
        Err(e @ (AppError::Invalid(_) | AppError::PeriodLocked(_) | AppError::NotFound(_))) => {
            let errors = FormErrors::from_app(&e);
            let mut res =
                upload_page(&req, &app, &signed, &target, errors.summary(signed.lang)).await;
            *res.status_mut() = form_status(&e);
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

/// What a person does about an error in a column (`F (valor)` or `valor`), in the reader's
/// language; the detail beside it says exactly what was wrong.
fn what_to_do(signed: &Signed, column: Option<&str>) -> &'static str {
    let name = column
        .map(|c| {
            c.rsplit_once('(')
                .map_or(c, |(_, n)| n.trim_end_matches(')'))
                .trim()
        })
        .unwrap_or("");
    match name {
        "codigo" => signed.t(
            "Use un código de la plantilla: un indicador o variable que su actor reporta y que no se calcula con fórmula.",
            "Use a code from the template: an indicator or variable your actor reports that is not computed from a formula.",
        ),
        "periodo" => signed.t(
            "Escriba el periodo como en la plantilla (2025, 2025S1, 2025Q1 o 202503), de la periodicidad del indicador y no futuro.",
            "Write the period as the template does (2025, 2025S1, 2025Q1 or 202503), of the indicator's periodicity and not in the future.",
        ),
        "territorio" => signed.t(
            "Escriba un ubigeo del INEI dentro del territorio del ecosistema (por ejemplo 18, 1801 o 180101), o déjelo vacío.",
            "Write an INEI ubigeo inside the ecosystem's territory (for example 18, 1801 or 180101), or leave it empty.",
        ),
        "valor" => signed.t(
            "Escriba un número (con punto decimal, sin separador de miles) dentro del rango válido; no use fórmulas.",
            "Write a number (decimal point, no thousands separator) within the valid range; do not use formulas.",
        ),
        "evidencia_url" => signed.t(
            "Escriba un enlace completo que empiece con https:// o http://.",
            "Write a full link starting with https:// or http://.",
        ),
        "evidencia_texto" | "comentario" => signed.t(
            "Acorte el texto (máximo 2000 caracteres) o corríjalo.",
            "Shorten the text (at most 2000 characters) or correct it.",
        ),
        _ => signed.t(
            "Revise la fila: cada fila con valor se envía una sola vez y el archivo debe ser la plantilla o un CSV con su encabezado.",
            "Check the row: each row with a value is sent once, and the file must be the template or a CSV with its header.",
        ),
    }
}

fn report_markup(signed: &Signed, report: &WorkbookReport) -> Markup {
    html! {
        @if report.submitted {
            div.notice role="status" {
                p {
                    strong { (signed.t("Enviado para revisión.", "Submitted for review.")) }
                    " " (report.created) " "
                    (signed.t("valor(es) nuevo(s) en espera de revisión", "new value(s) awaiting review"))
                    ", " (report.unchanged) " "
                    (signed.t("sin cambios", "unchanged"))
                    @if report.flag_count > 0 {
                        ", " (report.flag_count) " " (signed.t("señal(es) de valores inusuales para quien revisa", "flag(s) of unusual values for the reviewers"))
                    }
                    "."
                }
            }
            table.data {
                caption { (signed.t("Filas con valor", "Rows with a value")) }
                thead { tr {
                    th scope="col" { (signed.t("Hoja", "Sheet")) }
                    th scope="col" { (signed.t("Fila", "Row")) }
                    th scope="col" { (signed.t("Código", "Code")) }
                    th scope="col" { (signed.t("Periodo", "Period")) }
                    th scope="col" { (signed.t("Territorio", "Territory")) }
                    th scope="col" { (signed.t("Valor", "Value")) }
                } }
                tbody {
                    @for r in &report.rows {
                        tr { td { (r.sheet) } td { (r.row) } td { (r.code) } td { (r.period) } td { (r.territory) } td { (r.value) } }
                    }
                }
            }
        } @else {
            div.errors role="alert" tabindex="-1" {
                p {
                    strong { (signed.t("No se envió nada:", "Nothing was submitted:")) }
                    " " (report.error_count) " "
                    (signed.t("error(es); corríjalos y vuelva a subir el archivo.", "error(s); fix them and upload the file again."))
                }
            }
            table.data.errors {
                caption { (signed.t("Errores", "Errors")) }
                thead { tr {
                    th scope="col" { (signed.t("Hoja", "Sheet")) }
                    th scope="col" { (signed.t("Fila", "Row")) }
                    th scope="col" { (signed.t("Columna", "Column")) }
                    th scope="col" { (signed.t("Qué hacer", "What to do")) }
                    th scope="col" { (signed.t("Detalle", "Detail")) }
                } }
                tbody {
                    @for e in &report.errors {
                        tr.error {
                            td { (e.sheet) }
                            td { (e.row) }
                            td { (e.column.as_deref().unwrap_or("")) }
                            td { (what_to_do(signed, e.column.as_deref())) }
                            td { (e.message) }
                        }
                    }
                }
            }
        }
    }
}
