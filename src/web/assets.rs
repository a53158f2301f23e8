//! The portal's stylesheet and script: embedded in the binary and served at
//! `/static/<name>.<hash>.<ext>`, where `<hash>` is the first 12 hex digits of the SHA-256 of
//! the content. A changed file gets a new address, so browsers may keep each one for a year
//! without asking again; an old or unknown address is a 404.

use std::sync::LazyLock;

use actix_web::http::header::{self, EntityTag, IfNoneMatch};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use super::{WebError, WebResult};

/// `Cache-Control` of a content-addressed file.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// An embedded file and where it is served.
pub struct Asset {
    /// `portal.<hash>.css`.
    file_name: String,
    /// `/static/portal.<hash>.css`.
    path: String,
    /// The whole SHA-256 of the content.
    etag: EntityTag,
    content_type: &'static str,
    body: &'static [u8],
}

impl Asset {
    fn new(name: &str, extension: &str, content_type: &'static str, body: &'static [u8]) -> Asset {
        let digest = hex::encode(Sha256::digest(body));
        let file_name = format!("{name}.{}.{extension}", &digest[..12]);
        Asset {
            path: format!("/static/{file_name}"),
            file_name,
            etag: EntityTag::new_strong(digest),
            content_type,
            body,
        }
    }

    /// Where pages link to it.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// The portal's stylesheet.
pub static STYLESHEET: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "portal",
        "css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/portal/portal.css"),
    )
});

/// The ecosystem page's live updates (the page works without it).
pub static LIVE_SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "live",
        "js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/portal/live.js"),
    )
});

fn assets() -> [&'static Asset; 2] {
    [&STYLESHEET, &LIVE_SCRIPT]
}

/// `GET /static/{file}`: an embedded file by its current name (304 when the client already
/// has it), else 404.
pub async fn serve(req: HttpRequest, file: web::Path<String>) -> WebResult {
    let asset = assets()
        .into_iter()
        .find(|a| a.file_name == *file)
        .ok_or_else(|| WebError::not_found(req.path()))?;
    let fresh = match req.get_header::<IfNoneMatch>() {
        Some(IfNoneMatch::Any) => true,
        Some(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&asset.etag)),
        None => false,
    };
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::CACHE_CONTROL, IMMUTABLE))
        .insert_header(header::ETag(asset.etag.clone()));
    Ok(if fresh {
        res.finish()
    } else {
        res.content_type(asset.content_type).body(asset.body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_asset_is_named_by_its_content() {
        let css = Asset::new("portal", "css", "text/css", b"body{}");
        let digest = hex::encode(Sha256::digest(b"body{}"));
        assert_eq!(css.path(), format!("/static/portal.{}.css", &digest[..12]));
        assert_eq!(css.etag, EntityTag::new_strong(digest));
        assert_ne!(STYLESHEET.path(), LIVE_SCRIPT.path());
        assert!(
            STYLESHEET.path().starts_with("/static/portal.") && STYLESHEET.path().ends_with(".css")
        );
        assert_eq!(
            STYLESHEET.file_name.len(),
            "portal.".len() + 12 + ".css".len()
        );
    }
}
