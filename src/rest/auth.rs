use actix_web::{HttpRequest, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::Ayni;

use super::ApiError;

/// Credentials to exchange for an access token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[schema(example = "coordinadora@ejemplo.pe")]
    pub email: String,
    pub password: String,
}

/// A bearer token for `Authorization: Bearer <access_token>`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// Log in: exchange e-mail and password for an access token.
///
/// A wrong password and an unknown e-mail get the same answer. Failures are throttled per
/// account and per client address (429 with `Retry-After`, even for the right password,
/// until the window passes or an admin calls `unlockLogin`).
#[utoipa::path(
    post,
    path = "/api/v1/auth/token",
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 400, description = "Malformed body or invalid e-mail", body = super::ErrorBody),
        (status = 401, description = "Wrong e-mail or password", body = super::ErrorBody),
        (status = 413, description = "Body too large", body = super::ErrorBody),
        (status = 429, description = "Too many failed logins for this account or from this address (code TOO_MANY_ATTEMPTS): refused without checking the password; see Retry-After", body = super::ErrorBody),
        (status = 503, description = "Every password-hashing slot is busy (code BUSY); see Retry-After", body = super::ErrorBody)
    )
)]
pub async fn token(
    app: web::Data<Ayni>,
    req: HttpRequest,
    body: web::Json<TokenRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    // The peer's address, not a forwarded header a client could set to dodge the limit.
    let address = req.peer_addr().map(|a| a.ip());
    let issued = app.login_from(&body.email, &body.password, address).await?;
    Ok(web::Json(TokenResponse {
        access_token: issued.access_token,
        token_type: "Bearer".to_string(),
        expires_in: issued.expires_in,
    }))
}
