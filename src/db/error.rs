use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What can go wrong in storage. Interfaces map it (through the service error) to HTTP
/// statuses and GraphQL codes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{entity} {key} not found")]
    NotFound { entity: &'static str, key: String },
    /// A uniqueness rule: `field` names the input that collided.
    #[error("{message}")]
    Conflict { field: String, message: String },
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database task failed: {0}")]
    Task(String),
    #[error("database error: {0}")]
    Query(#[from] DieselError),
}

impl StoreError {
    /// Turns a unique violation into a [`StoreError::Conflict`] about `field`.
    pub fn on_unique(
        field: &str,
        message: impl FnOnce() -> String,
    ) -> impl FnOnce(DieselError) -> StoreError {
        move |e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                StoreError::Conflict {
                    field: field.to_string(),
                    message: message(),
                }
            }
            other => StoreError::Query(other),
        }
    }
}
