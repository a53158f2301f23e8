//! The HTTP side of `/graphql`: body and batch limits, the bearer token, and GraphiQL.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{BatchRequest, BatchResponse, Request, Response, ServerError};

use crate::app::Ayni;

use super::cost::{self, Refusal};
use super::loaders;
use super::{AyniSchema, IntrospectionSchema, MAX_BATCH};

/// `GET /graphql`: the GraphiQL explorer. Its scripts and styles are served by Ayni itself
/// ([`graphiql_asset`]), so it works without internet access.
pub async fn graphiql() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(include_str!("../../assets/graphiql/index.html"))
}

/// The files GraphiQL 4 needs (its UMD build, React 18 and the page's own start-up script,
/// a file so that the Content-Security-Policy needs no inline script), embedded in the binary.
const GRAPHIQL_ASSETS: [(&str, &str, &[u8]); 5] = [
    (
        "init.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/init.js"),
    ),
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
];

/// `GET /graphiql/{file}`: one of GraphiQL's files (cached for a day), or 404.
pub async fn graphiql_asset(file: web::Path<String>) -> HttpResponse {
    match GRAPHIQL_ASSETS
        .iter()
        .find(|(name, _, _)| *name == file.as_str())
    {
        Some((_, content_type, body)) => HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header(("cache-control", "public, max-age=86400"))
            .body(*body),
        None => HttpResponse::NotFound().finish(),
    }
}

/// `GET /graphql` with `Upgrade: websocket`: subscriptions (graphql-transport-ws or
/// graphql-ws). Subscriptions carry public data only; no token is needed.
pub async fn graphql_ws(
    schema: web::Data<AyniSchema>,
    app: web::Data<Ayni>,
    req: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let data = loaders::with_loaders(&app, None, async_graphql::Data::default());
    async_graphql_actix_web::GraphQLSubscription::new(schema.get_ref().clone())
        .with_data(data)
        .start(&req, payload)
}

/// `POST /graphql`: one operation or a batch (a JSON array) of at most [`MAX_BATCH`].
pub async fn graphql_post(
    schema: web::Data<AyniSchema>,
    introspection: web::Data<IntrospectionSchema>,
    app: web::Data<Ayni>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return error_response(
                400,
                "BAD_USER_INPUT",
                &format!("malformed GraphQL request body: {e}"),
            );
        }
    };
    let batched = matches!(batch, BatchRequest::Batch(_));
    let requests = match batch {
        BatchRequest::Single(r) => vec![r],
        BatchRequest::Batch(rs) => {
            if rs.len() > MAX_BATCH {
                return error_response(
                    400,
                    "BAD_USER_INPUT",
                    &format!(
                        "a batch may hold at most {MAX_BATCH} operations, got {}",
                        rs.len()
                    ),
                );
            }
            rs
        }
    };
    let caller = match crate::rest::caller_from_header(&app, &req).await {
        Ok(c) => c,
        Err(e) => {
            e.log();
            return error_response(e.http_status(), e.code(), &e.to_string());
        }
    };
    // Every operation is parsed and costed before any of them runs: the batch shares one
    // budget, and a refusal comes before async-graphql expands a single fragment. The parsed
    // document stays in the request, so it is not parsed again.
    let count = requests.len();
    let mut spent = 0u64;
    let mut prepared = Vec::with_capacity(count);
    // Anonymous queries only may be shared through the public read cache.
    let mut shareable = caller.is_none();
    for mut request in requests {
        let operation = request.operation_name.clone();
        let only_introspection = match request.parsed_query() {
            Ok(doc) => {
                if let Err(refusal) = cost::spend(&mut spent, doc, operation.as_deref()) {
                    tracing::info!(
                        spent,
                        "GraphQL request refused before execution: {refusal:?}"
                    );
                    return too_complex(batched, count, &refusal);
                }
                shareable &= is_query(doc, operation.as_deref());
                introspects_only(doc, operation.as_deref())
            }
            // The schema refuses it with its own message.
            Err(_) => {
                shareable = false;
                false
            }
        };
        prepared.push((request, only_introspection));
    }
    let mut responses = Vec::with_capacity(count);
    for (request, only_introspection) in prepared {
        let request: Request = loaders::attach(request, &app, caller.clone());
        let mut response = if only_introspection {
            introspection.0.execute(request).await
        } else {
            schema.execute(request).await
        };
        label_uncoded_errors(&mut response);
        shareable &= response.errors.is_empty();
        responses.push(response);
    }
    let out = if batched {
        BatchResponse::Batch(responses)
    } else {
        match responses.pop() {
            Some(r) => BatchResponse::Single(r),
            None => BatchResponse::Batch(Vec::new()),
        }
    };
    let mut res = HttpResponse::Ok()
        .content_type("application/json")
        .json(out);
    if shareable {
        res.extensions_mut().insert(crate::web::cache::Shareable);
    }
    res
}

/// The operation a request runs, if the document names it unambiguously (a single named
/// operation runs without `operationName`, as async-graphql does).
fn operation<'d>(
    doc: &'d ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'d async_graphql::Positioned<async_graphql::parser::types::OperationDefinition>> {
    use async_graphql::parser::types::DocumentOperations;
    match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// Whether the operation a request runs is a query (not a mutation or a subscription).
pub(super) fn is_query(doc: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    operation(doc, operation_name)
        .is_some_and(|op| op.node.ty == async_graphql::parser::types::OperationType::Query)
}

/// Whether the operation a request runs is a query whose root selects only introspection
/// fields (`__schema`, `__type`, `__typename`), directly or through fragments. Anything
/// unparsable is not: the ordinary schema refuses it with its own message.
pub(super) fn introspects_only(doc: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    use async_graphql::parser::types::{OperationType, Selection, SelectionSet};
    let Some(operation) = operation(doc, operation_name) else {
        return false;
    };
    if operation.node.ty != OperationType::Query {
        return false;
    }
    // Fragments are followed at most this deep, so a cycle or a chain cannot run long.
    fn only(
        doc: &async_graphql::parser::types::ExecutableDocument,
        set: &SelectionSet,
        depth: usize,
    ) -> bool {
        depth < 4
            && !set.items.is_empty()
            && set.items.iter().all(|item| match &item.node {
                Selection::Field(f) => f.node.name.node.starts_with("__"),
                Selection::InlineFragment(i) => only(doc, &i.node.selection_set.node, depth + 1),
                Selection::FragmentSpread(s) => doc
                    .fragments
                    .get(&s.node.fragment_name.node)
                    .is_some_and(|f| only(doc, &f.node.selection_set.node, depth + 1)),
            })
    }
    only(doc, &operation.node.selection_set.node, 0)
}

/// The answer to a request refused by its cost: nothing ran; every operation of a batch
/// carries the refusal (the batch shares one budget), with the status other GraphQL errors
/// have.
fn too_complex(batched: bool, count: usize, refusal: &Refusal) -> HttpResponse {
    let refused = || {
        let mut error = ServerError::new(refusal.message(), None);
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", "QUERY_TOO_COMPLEX");
        Response::from_errors(vec![error])
    };
    let out = if batched {
        BatchResponse::Batch((0..count).map(|_| refused()).collect())
    } else {
        BatchResponse::Single(refused())
    };
    HttpResponse::Ok()
        .content_type("application/json")
        .json(out)
}

/// Errors raised before execution (syntax, unknown fields, bad enum values, depth and
/// complexity limits) carry no code from async-graphql: they are all bad input.
fn label_uncoded_errors(response: &mut Response) {
    for error in &mut response.errors {
        label(error);
    }
}

fn label(error: &mut ServerError) {
    let ext = error.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_none() {
        ext.set("code", "BAD_USER_INPUT");
    }
}

fn error_response(status: u16, code: &str, message: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, "application/json"))
        .json(serde_json::json!({
            "errors": [{ "message": message, "extensions": { "code": code } }]
        }))
}
