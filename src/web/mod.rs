//! The public transparency portal at `/`: server-rendered pages (Spanish first, `?lang=en`)
//! that work without JavaScript, SVG charts and map drawn on the server, open data as CSV and
//! JSON, and live updates over server-sent events. Reads published (approved) data only,
//! each page through one use case of [`crate::app`]. The stylesheet and the live-update script
//! are files of their own under `/static/`, named by their content's digest (see `assets.rs`).

mod assets;
mod charts;
pub(crate) mod data;
mod i18n;
mod pages;

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
    cfg.route("/", web::get().to(pages::home))
        .route("/static/{file}", web::get().to(assets::serve))
        .route(
            "/datos/ecosistemas.{format}",
            web::get().to(data::ecosystems),
        )
        .route("/e/{slug}", web::get().to(pages::ecosystem))
        .route("/e/{slug}/eventos", web::get().to(pages::events))
        .route("/e/{slug}/impactos", web::get().to(pages::impacts))
        .route("/e/{slug}/tablero.{format}", web::get().to(data::scorecard))
        .route("/e/{slug}/impactos.{format}", web::get().to(data::impacts))
        .route("/e/{slug}/hibridas.{format}", web::get().to(data::hybrid))
        .route("/e/{slug}/mapa.{format}", web::get().to(data::map))
        .route("/e/{slug}/enlaces.{format}", web::get().to(data::links))
        .route("/e/{slug}/i/{code}", web::get().to(pages::indicator))
        .route(
            "/e/{slug}/i/{code}/valores.{format}",
            web::get().to(data::indicator_values),
        )
        .route(
            "/e/{slug}/i/{code}/serie.{format}",
            web::get().to(data::indicator_series),
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
    fn not_found(what: &str) -> WebError {
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
        HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            .body(pages::error_page(self.status, &self.message))
    }
}

type WebResult = Result<HttpResponse, WebError>;

fn app(data: &web::Data<Ayni>) -> &Ayni {
    data.get_ref()
}
