//! REST under `/api/v1`, described by the OpenAPI document served at `/openapi.json` and
//! committed at `openapi/openapi.yaml` (`ayni openapi` writes it).

mod audit;
mod auth;
mod error;
mod health;
mod investments;
mod observations;

use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;
use actix_web::web;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::app::{AppError, Ayni, Caller};

pub use error::{ApiError, ErrorBody, json_config, query_config};

/// Largest JSON body accepted by REST endpoints, in bytes.
pub const MAX_JSON_BYTES: usize = 64 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ayni API",
        description = "REST side of Ayni: health, access tokens, the public audit log, bulk import of observations and of MEF's investment file, and the portal's open data (CSV and JSON). Strategy, scorecard, variables, shared value and administration are in GraphQL at /graphql.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(health::health, auth::token, audit::head, audit::proof, observations::import,
        investments::import,
        crate::web::data::ecosystems, crate::web::data::scorecard, crate::web::data::indicator_values,
        crate::web::data::impacts, crate::web::data::hybrid, crate::web::data::map,
        crate::web::data::links, crate::web::data::indicator_series, crate::web::pages::events,
        crate::web::commitments::data,
        crate::web::investments::list_data, crate::web::investments::summary_data,
        crate::web::investments::units_data, crate::web::investments::alerts_data,
        crate::web::investments::priorities_data, crate::web::investments::snapshots_data,
        crate::web::investments::snapshots_data_by_id),
    components(schemas(health::Health, auth::TokenRequest, auth::TokenResponse, ErrorBody, error::ErrorDetail, error::FieldErrorBody, audit::AuditHeadBody, audit::ProofBody, audit::ProofEntry, crate::app::ImportReport, crate::app::RowError, crate::app::RowFlag,
        crate::app::InvestmentImportReport, crate::app::InvestmentLineError, crate::web::data::OpenDataFormat)),
    modifiers(&BearerAuth),
    tags(
        (name = "system", description = "Service status"),
        (name = "auth", description = "Access tokens"),
        (name = "audit", description = "The public, hash-chained audit log"),
        (name = "import", description = "Bulk entry of observations, and the import of MEF's investment file"),
        (name = "open-data", description = "The portal's tables as CSV or JSON: published data, no login")
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme (a token from `/api/v1/auth/token`).
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document as served.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

async fn openapi_json() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(openapi())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(json_config())
        .app_data(query_config())
        .service(web::resource("/openapi.json").route(web::get().to(openapi_json)))
        .service(
            web::scope("/api/v1")
                .service(web::resource("/health").route(web::get().to(health::health)))
                .service(web::resource("/auth/token").route(web::post().to(auth::token)))
                .service(web::resource("/audit/head").route(web::get().to(audit::head)))
                .service(web::resource("/audit/proof").route(web::get().to(audit::proof)))
                .service(
                    // The handler reads its body itself, after authenticating, up to
                    // `observations::MAX_CSV_BYTES`.
                    web::resource("/ecosystems/{slug}/observations:import")
                        .route(web::post().to(observations::import)),
                )
                .service(
                    // Reads its body itself too, after every other check.
                    web::resource("/ecosystems/{slug}/investments:import")
                        .route(web::post().to(investments::import)),
                ),
        );
}

/// No `Authorization` header: anonymous. A header that is not a valid bearer token is
/// refused (401), never silently treated as anonymous.
pub(crate) async fn caller_from_header(
    app: &Ayni,
    req: &HttpRequest,
) -> Result<Option<Caller>, AppError> {
    let Some(value) = req.headers().get(AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AppError::Unauthenticated("Authorization header must be 'Bearer <token>'".into())
        })?;
    app.authenticate(token).await.map(Some)
}
