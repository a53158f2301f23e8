//! Bulk entry of observations: `POST /api/v1/ecosystems/{slug}/observations:import` with a
//! CSV body.

use actix_web::{HttpRequest, HttpResponse, web};
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
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let caller = caller_from_header(&app, &req).await?;
    let caller = logged_in(caller.as_ref())?;
    let slug = slug.into_inner();
    let eco = app
        .ecosystem_by_slug(slug.clone())
        .await?
        .ok_or_else(|| AppError::not_found(format!("ecosystem {slug}")))?;
    let query = query.into_inner();
    let report = app
        .import_observations(
            caller,
            eco.id,
            query.file_name.unwrap_or_else(|| "upload.csv".into()),
            body.to_vec(),
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
