//! The application layer's one error type. Each interface maps it explicitly: REST to an
//! HTTP status ([`AppError::http_status`]), GraphQL to `extensions.code` ([`AppError::code`]).

use crate::db::StoreError;
use crate::domain::{FieldError, ValidationErrors};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// One or more input fields broke a rule; nothing was written.
    #[error("invalid input: {0}")]
    Invalid(ValidationErrors),
    /// No credentials, or credentials that do not hold.
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated, but the role or actor scope does not allow it.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// A uniqueness or state rule on `field`.
    #[error("{message}")]
    Conflict { field: String, message: String },
    /// A cause-effect link that would close a cycle in the strategy map; `path` lists the
    /// objective codes on the cycle, first and last the same.
    #[error("{message}")]
    Cycle { message: String, path: Vec<String> },
    /// The value's period lies within a period whose figures an ecosystem closed
    /// (`lockPeriod`): nothing about it may be submitted, reviewed or withdrawn until the
    /// period is unlocked.
    #[error("{0}")]
    PeriodLocked(String),
    /// Too many failed password checks for an account or from an address: refused, the
    /// password unchecked, until `retry_after_secs` have passed or an admin lifts it.
    #[error("{message}")]
    TooManyAttempts {
        message: String,
        retry_after_secs: u64,
    },
    /// Every password-hashing slot stayed busy: try again shortly.
    #[error("{message}")]
    Busy {
        message: String,
        retry_after_secs: u64,
    },
    /// Something on our side; the detail is logged, never shown.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// The stable code clients branch on (GraphQL `extensions.code`, REST `error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(_) => "BAD_USER_INPUT",
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Conflict { .. } => "CONFLICT",
            AppError::Cycle { .. } => "CYCLE",
            AppError::PeriodLocked(_) => "PERIOD_LOCKED",
            AppError::TooManyAttempts { .. } => "TOO_MANY_ATTEMPTS",
            AppError::Busy { .. } => "BUSY",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    pub fn http_status(&self) -> u16 {
        match self {
            AppError::Invalid(_) => 400,
            AppError::Unauthenticated(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict { .. } | AppError::Cycle { .. } => 409,
            // 423 Locked: the resource is fine and the request well-formed, but the period's
            // figures are closed (distinct from a 409 state conflict a retry could resolve).
            AppError::PeriodLocked(_) => 423,
            AppError::TooManyAttempts { .. } => 429,
            AppError::Busy { .. } => 503,
            AppError::Internal(_) => 500,
        }
    }

    /// Seconds to wait before retrying (HTTP `Retry-After`, GraphQL `extensions.retryAfter`).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::TooManyAttempts {
                retry_after_secs, ..
            }
            | AppError::Busy {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// The field-level details, for `BAD_USER_INPUT` and `CONFLICT`.
    pub fn field_errors(&self) -> Vec<FieldError> {
        match self {
            AppError::Invalid(errors) => errors.0.clone(),
            AppError::Conflict { field, message } => {
                vec![FieldError::new(field.clone(), "unique", message.clone())]
            }
            _ => Vec::new(),
        }
    }

    /// A `BAD_USER_INPUT` about one field.
    pub fn invalid(field: &str, rule: &'static str, message: impl Into<String>) -> AppError {
        AppError::Invalid(FieldError::new(field, rule, message).into())
    }

    pub fn not_found(what: impl std::fmt::Display) -> AppError {
        AppError::NotFound(format!("{what} not found"))
    }

    pub fn internal(detail: impl std::fmt::Display) -> AppError {
        AppError::Internal(detail.to_string())
    }

    /// Logs internal errors (with their detail) once, where they are turned into a response.
    pub fn log(&self) {
        if let AppError::Internal(detail) = self {
            tracing::error!(error = %detail, "internal error");
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { entity, key } => {
                AppError::NotFound(format!("{entity} {key} not found"))
            }
            StoreError::Conflict { field, message } => AppError::Conflict { field, message },
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::from(StoreError::from(e))
    }
}

impl From<ValidationErrors> for AppError {
    fn from(e: ValidationErrors) -> Self {
        AppError::Invalid(e)
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(e.into())
    }
}

impl From<crate::auth::HashPoolGone> for AppError {
    fn from(_: crate::auth::HashPoolGone) -> Self {
        AppError::internal("the password-hashing threads are gone")
    }
}
