//! REST under `/api/v1`, described by the OpenAPI document served at `/openapi.json` and
//! committed at `openapi/openapi.yaml` (`ayni openapi` writes it).

mod audit;
mod auth;
mod error;
mod health;

use actix_web::web;
use utoipa::OpenApi;

pub use error::{ApiError, ErrorBody, json_config, query_config};

/// Largest JSON body accepted by REST endpoints, in bytes.
pub const MAX_JSON_BYTES: usize = 64 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ayni API",
        description = "REST side of Ayni: health, access tokens and (later) import, export and open data. Strategy, scorecard and administration are in GraphQL at /graphql.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(health::health, auth::token, audit::head, audit::proof),
    components(schemas(health::Health, auth::TokenRequest, auth::TokenResponse, ErrorBody, error::ErrorDetail, error::FieldErrorBody, audit::AuditHeadBody, audit::ProofBody, audit::ProofEntry)),
    tags(
        (name = "system", description = "Service status"),
        (name = "auth", description = "Access tokens"),
        (name = "audit", description = "The public, hash-chained audit log")
    )
)]
pub struct ApiDoc;

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
        .route("/openapi.json", web::get().to(openapi_json))
        .service(
            web::scope("/api/v1")
                .route("/health", web::get().to(health::health))
                .route("/auth/token", web::post().to(auth::token))
                .route("/audit/head", web::get().to(audit::head))
                .route("/audit/proof", web::get().to(audit::proof)),
        );
}
