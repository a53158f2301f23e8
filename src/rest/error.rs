//! REST errors: [`AppError`] mapped explicitly to an HTTP status and a JSON body
//! `{"error": {"code", "message", "fields"}}`.

use actix_web::error::JsonPayloadError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppError;
use crate::domain::FieldError;

use super::MAX_JSON_BYTES;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("request body larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
}

/// The body of every REST error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code: `BAD_USER_INPUT`, `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`,
    /// `CONFLICT`, `PERIOD_LOCKED` (HTTP 423: the period's figures are closed),
    /// `PAYLOAD_TOO_LARGE`, `UNSUPPORTED_MEDIA_TYPE`, `TOO_MANY_ATTEMPTS` (HTTP 429, login
    /// throttled; see `Retry-After`), `BUSY` (HTTP 503, every password-hashing slot busy;
    /// see `Retry-After`), `INTERNAL`.
    pub code: String,
    pub message: String,
    /// The input fields at fault, for `BAD_USER_INPUT` and `CONFLICT`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldErrorBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub rule: String,
    pub message: String,
}

impl From<FieldError> for FieldErrorBody {
    fn from(e: FieldError) -> Self {
        FieldErrorBody {
            field: e.field,
            rule: e.rule.to_string(),
            message: e.message,
        }
    }
}

impl ApiError {
    fn code(&self) -> &'static str {
        match self {
            ApiError::App(e) => e.code(),
            ApiError::PayloadTooLarge(_) => "PAYLOAD_TOO_LARGE",
            ApiError::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        let status = match self {
            ApiError::App(e) => e.http_status(),
            ApiError::PayloadTooLarge(_) => 413,
            ApiError::UnsupportedMediaType => 415,
        };
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let fields = match self {
            ApiError::App(e) => {
                e.log();
                e.field_errors()
                    .into_iter()
                    .map(FieldErrorBody::from)
                    .collect()
            }
            _ => Vec::new(),
        };
        let mut response = HttpResponse::build(self.status_code());
        if let ApiError::App(e) = self
            && let Some(secs) = e.retry_after_secs()
        {
            response.insert_header((actix_web::http::header::RETRY_AFTER, secs.to_string()));
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code: self.code().to_string(),
                message: self.to_string(),
                fields,
            },
        })
    }
}

/// JSON bodies: size-limited, and every decoding failure answered in the error format above.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_JSON_BYTES)
        .error_handler(|err, _req| {
            let api = match err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => {
                    ApiError::PayloadTooLarge(MAX_JSON_BYTES)
                }
                JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
                JsonPayloadError::Deserialize(e) => ApiError::App(AppError::from(FieldError::new(
                    "body",
                    if e.is_syntax() || e.is_eof() {
                        "json"
                    } else {
                        "schema"
                    },
                    format!("malformed JSON body: {e}"),
                ))),
                other => ApiError::App(AppError::from(FieldError::new(
                    "body",
                    "json",
                    format!("unreadable JSON body: {other}"),
                ))),
            };
            api.into()
        })
}

/// Query strings: every decoding failure answered in the error format above.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        ApiError::App(AppError::from(FieldError::new(
            "query",
            "query",
            format!("bad query string: {err}"),
        )))
        .into()
    })
}
