//! GraphQL at `/graphql`: the schema (roots merged per domain), its limits and the HTTP
//! handlers. The SDL is committed at `schema/schema.graphql` (`ayni schema` writes it).

mod accounts;
mod actors;
mod adjustments;
mod audit;
mod commitments;
mod context;
mod cost;
mod data_quality;
mod error;
mod http;
mod investments;
mod loaders;
mod scorecard;
mod shared_value;
mod strategy;
mod trust;
mod variables;

use async_graphql::{MergedObject, Schema, SchemaBuilder};

pub use context::RequestCaller;
pub use cost::{LIST_FACTOR, MAX_COST};
pub use http::{graphiql, graphiql_asset, graphql_post, graphql_ws};

/// Deepest selection nesting accepted; deeper queries are refused before execution.
pub const MAX_DEPTH: usize = 10;
/// Largest query complexity (one point per field) accepted.
pub const MAX_COMPLEXITY: usize = 1000;
/// Deepest nesting accepted in a query that only introspects (`__schema`, `__type`,
/// `__typename` at its root): the standard introspection queries of graphql-js and
/// graphql-core nest type references nine levels deep, which GraphiQL, codegen and other
/// clients send as they are.
pub const MAX_INTROSPECTION_DEPTH: usize = 16;
/// Most operations in one batched request.
pub const MAX_BATCH: usize = 10;
/// Largest request body accepted at `/graphql`, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(MergedObject, Default)]
pub struct Query(
    accounts::AccountQuery,
    actors::ActorQuery,
    strategy::StrategyQuery,
    scorecard::ScorecardQuery,
    audit::AuditQuery,
    trust::TrustQuery,
    variables::VariableQuery,
    shared_value::SharedValueQuery,
    commitments::CommitmentQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    accounts::AccountMutation,
    actors::ActorMutation,
    strategy::StrategyMutation,
    scorecard::ScorecardMutation,
    trust::TrustMutation,
    variables::VariableMutation,
    shared_value::SharedValueMutation,
    adjustments::AdjustmentMutation,
    data_quality::DataQualityMutation,
    commitments::CommitmentMutation,
    investments::InvestmentMutation,
);

pub type AyniSchema = Schema<Query, Mutation, scorecard::Subscription>;

fn builder() -> SchemaBuilder<Query, Mutation, scorecard::Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        scorecard::Subscription,
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    // Subscriptions over the WebSocket are priced here; `POST /graphql` prices a whole
    // batch before it reaches the schema (see `http::graphql_post`).
    .extension(cost::CostGuard)
}

/// The schema the server executes; the service is reachable from every resolver.
pub fn schema(app: crate::app::Ayni) -> AyniSchema {
    let schema = builder().data(app).finish();
    cost::warm(&schema.sdl());
    schema
}

/// The same schema with room for the standard introspection queries; only queries that
/// introspect and nothing else are executed on it ([`http::introspects_only`]).
pub struct IntrospectionSchema(pub AyniSchema);

pub fn introspection_schema(app: crate::app::Ayni) -> IntrospectionSchema {
    IntrospectionSchema(
        builder()
            .limit_depth(MAX_INTROSPECTION_DEPTH)
            .data(app)
            .finish(),
    )
}

/// The SDL of the served schema.
pub fn sdl() -> String {
    builder().finish().sdl()
}
