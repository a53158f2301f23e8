//! The public transparency portal at `/`: server-rendered pages (Spanish first, `?lang=en`)
//! that work without JavaScript, SVG charts and map drawn on the server, open data as CSV and
//! JSON, and live updates over server-sent events. Reads published (approved) data only,
//! each page through one use case of [`crate::app`]. The stylesheet and the live-update script
//! are files of their own under `/static/`, named by their content's digest (see `assets.rs`).

mod assets;
pub mod cache;
mod charts;
pub(crate) mod commitments;
pub(crate) mod data;
pub mod headers;
mod i18n;
pub(crate) mod investments;
pub mod metrics;
pub(crate) mod pages;
pub mod workspace;

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::app::{AppError, Ayni};

pub use i18n::Lang;

/// Query parameters every page understands.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pub lang: Lang,
    pub period: Option<String>,
    pub theme: Option<String>,
    pub actor: Option<i64>,
    pub scenario: Option<String>,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    workspace::configure(cfg);
    metrics::configure(cfg);
    cfg.service(web::resource("/").route(web::get().to(pages::home)))
        .service(web::resource("/static/{file}").route(web::get().to(assets::serve)))
        .service(
            web::resource("/datos/ecosistemas.{format}").route(web::get().to(data::ecosystems)),
        )
        .service(web::resource("/e/{slug}").route(web::get().to(pages::ecosystem)))
        .service(web::resource("/e/{slug}/eventos").route(web::get().to(pages::events)))
        .service(web::resource("/e/{slug}/impactos").route(web::get().to(pages::impacts)))
        .service(web::resource("/e/{slug}/compromisos").route(web::get().to(commitments::page)))
        .service(
            web::resource("/e/{slug}/compromisos.{format}").route(web::get().to(commitments::data)),
        )
        .service(
            web::resource("/e/{slug}/inversiones.{format}")
                .route(web::get().to(investments::list_data)),
        )
        .service(web::resource("/e/{slug}/inversiones").route(web::get().to(investments::page)))
        .service(
            web::resource("/e/{slug}/inversiones/resumen.{format}")
                .route(web::get().to(investments::summary_data)),
        )
        .service(
            web::resource("/e/{slug}/inversiones/unidades.{format}")
                .route(web::get().to(investments::units_data)),
        )
        .service(
            web::resource("/e/{slug}/inversiones/alertas.{format}")
                .route(web::get().to(investments::alerts_data)),
        )
        .service(
            web::resource("/e/{slug}/inversiones/prioridades.{format}")
                .route(web::get().to(investments::priorities_data)),
        )
        .service(
            web::resource("/e/{slug}/inversiones/id/{id}/avance.{format}")
                .route(web::get().to(investments::snapshots_data_by_id)),
        )
        .service(
            web::resource("/e/{slug}/inversiones/id/{id}")
                .route(web::get().to(investments::sheet_by_id)),
        )
        .service(
            web::resource("/e/{slug}/inversiones/{cui}/avance.{format}")
                .route(web::get().to(investments::snapshots_data)),
        )
        .service(
            web::resource("/e/{slug}/inversiones/{cui}").route(web::get().to(investments::sheet)),
        )
        .service(web::resource("/e/{slug}/tablero.{format}").route(web::get().to(data::scorecard)))
        .service(web::resource("/e/{slug}/impactos.{format}").route(web::get().to(data::impacts)))
        .service(web::resource("/e/{slug}/hibridas.{format}").route(web::get().to(data::hybrid)))
        .service(web::resource("/e/{slug}/mapa.{format}").route(web::get().to(data::map)))
        .service(web::resource("/e/{slug}/enlaces.{format}").route(web::get().to(data::links)))
        .service(web::resource("/e/{slug}/i/{code}").route(web::get().to(pages::indicator)))
        .service(
            web::resource("/e/{slug}/i/{code}/valores.{format}")
                .route(web::get().to(data::indicator_values)),
        )
        .service(
            web::resource("/e/{slug}/i/{code}/serie.{format}")
                .route(web::get().to(data::indicator_series)),
        );
}

/// A page-level failure, shown as a small page in the reader's language.
#[derive(Debug)]
pub struct WebError {
    status: u16,
    message: String,
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        e.log();
        WebError {
            status: e.http_status(),
            message: match e {
                AppError::Invalid(errors) => errors
                    .0
                    .iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                AppError::NotFound(what) => format!("no encontrado / {what}"),
                AppError::Internal(_) => "error interno / internal error".into(),
                other => other.to_string(),
            },
        }
    }
}

impl WebError {
    /// A refusal (403) with its message.
    pub(crate) fn forbidden(message: &str) -> WebError {
        WebError {
            status: 403,
            message: message.to_string(),
        }
    }

    /// A request body over its limit (413).
    pub(crate) fn too_large(message: &str) -> WebError {
        WebError {
            status: 413,
            message: message.to_string(),
        }
    }

    pub(crate) fn not_found(what: &str) -> WebError {
        WebError {
            status: 404,
            message: format!("no encontrado / not found: {what}"),
        }
    }
}

impl actix_web::ResponseError for WebError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.status)
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            .body(pages::error_page(self.status, &self.message));
        res.extensions_mut()
            .insert(FailureMessage(self.message.clone()));
        res
    }
}

/// A failure's message, kept on its response so that a `.json` download can answer it as
/// JSON ([`json_errors_for_json_paths`]).
#[derive(Debug, Clone)]
struct FailureMessage(String);

/// Every error answer to a path ending in `.json` (an open-data download) is JSON, in the
/// REST error shape `{"error": {"code", "message"}}`, whatever produced it (the download, a
/// bad method, an unknown path): clients of a `.json` URL parse JSON.
pub fn json_errors_for_json_paths<B>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    use actix_web::middleware::ErrorHandlerResponse;
    let is_json = res
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !res.request().path().ends_with(".json") || is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let message = res
        .response()
        .extensions()
        .get::<FailureMessage>()
        .map(|m| m.0.clone())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
    let code = match status.as_u16() {
        400 | 422 => "BAD_USER_INPUT",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        413 => "PAYLOAD_TOO_LARGE",
        _ if status.is_server_error() => "INTERNAL",
        _ => "BAD_REQUEST",
    };
    let allow = res.headers().get(actix_web::http::header::ALLOW).cloned();
    let (req, _) = res.into_parts();
    let mut json = HttpResponse::build(status);
    if let Some(allow) = allow {
        json.insert_header((actix_web::http::header::ALLOW, allow));
    }
    let json = json.json(serde_json::json!({"error": {"code": code, "message": message}}));
    Ok(ErrorHandlerResponse::Response(
        actix_web::dev::ServiceResponse::new(req, json).map_into_right_body(),
    ))
}

type WebResult = Result<HttpResponse, WebError>;

fn app(data: &web::Data<Ayni>) -> &Ayni {
    data.get_ref()
}
