//! Evidence files: `/app/archivos/{sha256}` for signed-in users who may see a value naming
//! the file (its actor, coordinators, admins; anyone once such a value is approved), and the
//! public `/archivos/{sha256}`, served only when an approved value names it. Anything else,
//! a malformed hash included, is the same 404 as an unknown hash. Always a download
//! (`Content-Disposition: attachment`) with its stored type and `nosniff`.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::app::{Ayni, Caller, EvidenceFileInfo};
use crate::domain::evidence::is_sha256_hex;
use crate::web::WebError;

use super::Signed;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/app/archivos/{sha256}").route(web::get().to(private_file)))
        .service(web::resource("/archivos/{sha256}").route(web::get().to(public_file)));
}

fn download(info: EvidenceFileInfo, content: Vec<u8>, cache: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, info.media_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", info.file_name),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(content)
}

async fn serve(
    app: &Ayni,
    caller: Option<&Caller>,
    sha256: &str,
    cache: &'static str,
) -> Result<HttpResponse, WebError> {
    let missing = || WebError::not_found("archivo / file");
    if !is_sha256_hex(sha256) {
        return Err(missing());
    }
    match app.evidence_file(caller, sha256).await? {
        Some((info, content)) => Ok(download(info, content, cache)),
        None => Err(missing()),
    }
}

async fn private_file(
    signed: Signed,
    app: web::Data<Ayni>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    serve(&app, Some(&signed.me.caller), &path, "private, no-store").await
}

async fn public_file(
    app: web::Data<Ayni>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    serve(&app, None, &path, "public, max-age=31536000, immutable").await
}
