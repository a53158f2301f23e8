//! Bulk entry of observations: `POST /api/v1/ecosystems/{slug}/observations:import` with a
//! CSV body.

use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::{AppError, Ayni, ImportReport, logged_in};

use super::{ApiError, caller_from_header};

/// Largest CSV body accepted over HTTP, in bytes (use the CLI for larger files).
pub const MAX_CSV_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImportQuery {
    /// The actor the values come from: a contributor's own (the default and only one);
    /// coordinators and admins name it (or default to their own actor).
    pub actor_id: Option<i64>,
    /// A name to remember the file by (default `upload.csv`).
    pub file_name: Option<String>,
}

/// Imports observations from CSV, all or nothing.
///
/// The body is CSV (UTF-8, comma-separated, first line the header
/// `variable,period,territory,value,evidence` in any order). Every row is checked first: the
/// variable is in the ecosystem's selection (and, for a contributor, supplied by its actor),
/// the period has the variable's periodicity, the territory lies inside the ecosystem and is
/// no finer than the variable's level, the value is a finite number with `.` for decimals,
/// and the evidence (a URL or a text) is present. If any row fails, nothing is stored and
/// every error is listed with its line. Rows equal to the latest stored value are skipped,
/// so importing the same file twice creates nothing the second time. New rows await review
/// (`approveImport` in GraphQL).
#[utoipa::path(post, path = "/api/v1/ecosystems/{slug}/observations:import", tag = "import",
    params(("slug" = String, Path, description = "The ecosystem's slug"), ImportQuery),
    request_body(content = String, content_type = "text/csv",
        example = "variable,period,territory,value,evidence\nV001,2024,1801,95210,https://www.inei.gob.pe/\n"),
    responses(
        (status = 201, description = "Imported: new rows stored, awaiting review", body = ImportReport),
        (status = 200, description = "Nothing new: every row is already stored", body = ImportReport),
        (status = 422, description = "Nothing imported: the file has errors (a period in the future, a value outside the variable's valid range…), all listed with their lines", body = ImportReport),
        (status = 401, description = "No valid bearer token", body = super::ErrorBody),
        (status = 403, description = "The caller's role may not import", body = super::ErrorBody),
        (status = 404, description = "No such ecosystem", body = super::ErrorBody),
        (status = 423, description = "A new row lies within a locked period (code PERIOD_LOCKED): nothing imported", body = super::ErrorBody),
        (status = 413, description = "Body too large", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn import(
    app: web::Data<Ayni>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<ImportQuery>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Authenticate and find the ecosystem before reading a byte of the body: an anonymous
    // or misdirected upload is answered at once, its body never read.
    let caller = caller_from_header(&app, &req).await?;
    let caller = logged_in(caller.as_ref())?;
    let slug = slug.into_inner();
    let eco = app
        .ecosystem_by_slug(slug.clone())
        .await?
        .ok_or_else(|| AppError::not_found(format!("ecosystem {slug}")))?;
    let query = query.into_inner();
    let body = read_limited(&req, body, MAX_CSV_BYTES).await?;
    let report = app
        .import_observations(
            caller,
            eco.id,
            query.file_name.unwrap_or_else(|| "upload.csv".into()),
            body,
            query.actor_id,
            None,
        )
        .await?;
    let mut response = if !report.imported {
        HttpResponse::UnprocessableEntity()
    } else if report.rows_created > 0 {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(report))
}

/// Reads a body, stopping at `limit` bytes: a declared `Content-Length` above it is refused
/// before reading, and a streamed body as soon as it passes it (413 either way).
pub(super) async fn read_limited(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let mut body = Vec::with_capacity(declared.map_or(0, |n| n as usize).min(1024 * 1024));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::App(AppError::invalid(
                "body",
                "read",
                format!("unreadable body: {e}"),
            ))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
