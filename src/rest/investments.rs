//! The import of MEF's investment file: `POST /api/v1/ecosystems/{slug}/investments:import`
//! with the file as the body.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::{AppError, Ayni, InvestmentImportReport, logged_in};
use crate::domain::investment::parse_date;

use super::observations::{MAX_CSV_BYTES, read_limited};
use super::{ApiError, caller_from_header};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InvestmentImportQuery {
    /// The snapshots' date, `YYYY-MM-DD`: the day the file was downloaded from MEF (not in
    /// the future; in `ANIO_PROCESO`'s year when the file has that column).
    #[param(value_type = String, format = Date, example = "2025-06-30")]
    pub as_of: Option<String>,
}

/// Imports MEF's "Detalle de inversiones" file as snapshots dated `asOf`, all or nothing.
///
/// The body is the file as MEF publishes it (`DETALLE_INVERSIONES.csv`: UTF-8, commas) or as
/// a spreadsheet saved it (Latin-1, `;`, decimal commas): columns by name in any order, those
/// Ayni does not read ignored, `CODIGO_UNICO`, `NOMBRE_INVERSION` and `UBIGEO` required.
/// Rows outside the ecosystem's territory are skipped and counted. Each row creates or
/// updates the investment of its CUI and writes its snapshot on `asOf`; if any row has an
/// error nothing is stored and every error is listed with its line and column, in Spanish
/// and English. Importing the same file for the same date again writes nothing. Coordinators
/// and admins only.
#[utoipa::path(post, path = "/api/v1/ecosystems/{slug}/investments:import", tag = "import",
    operation_id = "import_investments",
    params(("slug" = String, Path, description = "The ecosystem's slug"), InvestmentImportQuery),
    request_body(content = String, content_type = "text/csv",
        example = "CODIGO_UNICO,NOMBRE_INVERSION,UBIGEO,PIM_ANIO_ACTUAL,DEV_ANIO_ACTUAL,AVANCE_FISICO,ANIO_PROCESO\n2545566,MEJORAMIENTO DEL MALECON COSTERO DEL DISTRITO DE ILO,180301,9000000,6500000.0,45.0,2025\n"),
    responses(
        (status = 201, description = "Imported: investments or snapshots written", body = InvestmentImportReport),
        (status = 200, description = "Unchanged: every row is already stored for this date", body = InvestmentImportReport),
        (status = 422, description = "Nothing imported: the file has errors, all listed with their lines and columns", body = InvestmentImportReport),
        (status = 400, description = "`asOf` missing, malformed or in the future", body = super::ErrorBody),
        (status = 401, description = "No valid bearer token", body = super::ErrorBody),
        (status = 403, description = "Only coordinators and admins import investments", body = super::ErrorBody),
        (status = 404, description = "No such ecosystem", body = super::ErrorBody),
        (status = 413, description = "Body too large", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn import(
    app: web::Data<Ayni>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<InvestmentImportQuery>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Everything that can refuse the upload is checked before a byte of the body is read.
    let caller = caller_from_header(&app, &req).await?;
    let caller = logged_in(caller.as_ref())?;
    caller.require_strategist("import investments")?;
    let slug = slug.into_inner();
    app.ecosystem_by_slug(slug.clone())
        .await?
        .ok_or_else(|| AppError::not_found(format!("ecosystem {slug}")))?;
    let raw = query.into_inner().as_of.unwrap_or_default();
    if raw.trim().is_empty() {
        return Err(AppError::invalid("asOf", "required", "give asOf=YYYY-MM-DD").into());
    }
    let as_of = parse_date("asOf", &raw).map_err(AppError::from)?;
    crate::app::check_investment_as_of(as_of)?;
    let body = read_limited(&req, body, MAX_CSV_BYTES).await?;
    let report = app.import_investments(caller, &slug, as_of, body).await?;
    let mut response = if !report.imported {
        HttpResponse::UnprocessableEntity()
    } else if report.unchanged {
        HttpResponse::Ok()
    } else {
        HttpResponse::Created()
    };
    Ok(response.json(report))
}
