use async_graphql::Context;

use crate::app::{AppError, Ayni, Caller, logged_in};

use super::error::GqlResult;

/// The authenticated caller of this request, if any (attached by the HTTP handler).
#[derive(Debug, Clone)]
pub struct RequestCaller(pub Option<Caller>);

/// What resolvers need from the context, without panicking lookups.
pub trait ContextExt {
    fn app(&self) -> async_graphql::Result<&Ayni>;
    fn caller(&self) -> Option<&Caller>;
    /// The caller, or `UNAUTHENTICATED`.
    fn require_caller(&self) -> async_graphql::Result<&Caller>;
}

impl ContextExt for Context<'_> {
    fn app(&self) -> async_graphql::Result<&Ayni> {
        self.data::<Ayni>()
            .map_err(|_| AppError::internal("schema built without the service"))
            .gql()
    }

    fn caller(&self) -> Option<&Caller> {
        self.data::<RequestCaller>().ok().and_then(|c| c.0.as_ref())
    }

    fn require_caller(&self) -> async_graphql::Result<&Caller> {
        logged_in(self.caller()).gql()
    }
}
