//! [`AppError`] → GraphQL error with `extensions.code` (and `extensions.fields` for input
//! errors). async-graphql converts any `Display` error silently, dropping the code, so every
//! resolver converts explicitly with [`GqlResult::gql`].

use async_graphql::{ErrorExtensions, Value};

use crate::app::AppError;

pub fn to_graphql(e: AppError) -> async_graphql::Error {
    e.log();
    let fields = e.field_errors();
    async_graphql::Error::new(e.to_string()).extend_with(|_, ext| {
        ext.set("code", e.code());
        if let Some(secs) = e.retry_after_secs() {
            ext.set("retryAfter", secs);
        }
        if let AppError::Cycle { path, .. } = &e {
            ext.set(
                "cycle",
                Value::List(path.iter().map(|c| Value::from(c.as_str())).collect()),
            );
        }
        if let Some(v) = (!fields.is_empty())
            .then(|| serde_json::to_value(&fields).ok())
            .flatten()
            .and_then(|v| Value::from_json(v).ok())
        {
            ext.set("fields", v);
        }
    })
}

pub trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, AppError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(to_graphql)
    }
}

/// Parses a GraphQL `ID` into a database id, or `BAD_USER_INPUT` naming the field.
pub fn parse_id(field: &str, id: &async_graphql::ID) -> async_graphql::Result<i64> {
    id.parse::<i64>()
        .map_err(|_| {
            AppError::from(crate::domain::FieldError::new(
                field,
                "id",
                format!("'{}' is not a valid id", id.as_str()),
            ))
        })
        .gql()
}

/// A database id as a GraphQL `ID`.
pub fn to_id(v: i64) -> async_graphql::ID {
    async_graphql::ID(v.to_string())
}

/// Parses a list of GraphQL `ID`s, or `BAD_USER_INPUT` naming the field.
pub fn parse_ids(field: &str, raw: &[async_graphql::ID]) -> async_graphql::Result<Vec<i64>> {
    raw.iter().map(|i| parse_id(field, i)).collect()
}

/// Parses an optional list of GraphQL `ID`s (`None` stays `None`).
pub fn parse_optional_ids(
    field: &str,
    raw: Option<&[async_graphql::ID]>,
) -> async_graphql::Result<Option<Vec<i64>>> {
    raw.map(|r| parse_ids(field, r)).transpose()
}
