use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::Ayni;

/// Whether the service and its database answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the database does not answer.
    pub status: String,
    /// The storage backend: `sqlite` or `postgres`.
    pub database: String,
    /// The service version.
    pub version: String,
}

/// Service health.
#[utoipa::path(
    get,
    path = "/api/v1/health",
    tag = "system",
    responses(
        (status = 200, description = "The service and its database answer", body = Health),
        (status = 503, description = "The database does not answer", body = Health)
    )
)]
pub async fn health(app: web::Data<Ayni>) -> HttpResponse {
    let ok = app.ping().await.is_ok();
    let body = Health {
        status: if ok { "ok" } else { "unavailable" }.to_string(),
        database: app.backend_name().to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    if ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
