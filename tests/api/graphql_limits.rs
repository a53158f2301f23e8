use awc::http::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, error_code};

both_backends!(
    over_deep_queries_are_refused_before_execution,
    over_complex_queries_are_refused,
    batches_are_capped,
    oversized_bodies_and_malformed_json_are_refused,
    the_standard_introspection_queries_of_graphql_js_and_graphql_core_succeed,
);

/// `getIntrospectionQuery()` of graphql-js 16.15.0 and `get_introspection_query()` of
/// graphql-core 3.2.8, exactly as they print them (what GraphiQL, codegen, `gql` and Postman
/// send).
const STANDARD_INTROSPECTION: [(&str, &str); 2] = [
    (
        "graphql-js",
        include_str!("../fixtures/introspection-graphql-js-16.15.0.graphql"),
    ),
    (
        "graphql-core",
        include_str!("../fixtures/introspection-graphql-core-3.2.8.graphql"),
    ),
];

async fn the_standard_introspection_queries_of_graphql_js_and_graphql_core_succeed(app: TestApp) {
    for (client, query) in STANDARD_INTROSPECTION {
        let body = json!({"query": query, "operationName": "IntrospectionQuery"});
        let a = app.post_json("/graphql", &body).await;
        assert_eq!(a.status, StatusCode::OK, "{client}");
        assert_eq!(a.body["errors"], Value::Null, "{client}: {}", a.body);
        let schema = &a.body["data"]["__schema"];
        assert_eq!(schema["queryType"]["name"], "Query", "{client}");
        assert_eq!(schema["mutationType"]["name"], "Mutation", "{client}");
        let types = schema["types"].as_array().unwrap();
        assert!(types.len() > 100, "{client}: {} types", types.len());
        assert!(
            types.iter().any(|t| t["name"] == "Indicator"
                && t["fields"].as_array().is_some_and(|f| !f.is_empty())),
            "{client}"
        );
    }
    // The room is for introspection alone: the same depth with a data field beside it, or a
    // mutation, is refused before anything runs; so is introspection deeper than its limit.
    let mut nested = String::from("name");
    for _ in 0..16 {
        nested = format!("ofType {{ {nested} }}");
    }
    for q in [
        format!("{{ actors {{ id }} __schema {{ types {{ fields {{ type {{ {nested} }} }} }} }} }}"),
        format!("{{ __schema {{ types {{ fields {{ type {{ {nested} }} }} }} }} }}"),
        format!("{{ __type(name: \"Indicator\") {{ fields {{ type {{ {nested} }} }} }} }}"),
        "{ __typename ... on Query { actors { id name } } __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }".to_string(),
    ] {
        let a = app.graphql(None, &q, json!({})).await;
        assert_eq!(error_code(&a.body), "BAD_USER_INPUT", "{q}: {}", a.body);
        assert_eq!(a.body["data"], Value::Null, "{q}");
    }
}

async fn over_deep_queries_are_refused_before_execution(app: TestApp) {
    // 11 levels of selection; `actors` beside it would read the database if anything ran.
    let deep = "{ actors { id } __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }";
    let a = app.graphql(None, deep, json!({})).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(error_code(&a.body), "BAD_USER_INPUT");
    assert!(
        a.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{:?}",
        a.body
    );
    assert_eq!(a.body["data"], Value::Null, "nothing was executed");

    // Nine levels are fine.
    let ok = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }";
    let a = app.graphql(None, ok, json!({})).await;
    assert_eq!(a.body["errors"], Value::Null, "{:?}", a.body);
}

async fn over_complex_queries_are_refused(app: TestApp) {
    let fields: Vec<String> = (0..300)
        .map(|i| format!("a{i}: actors {{ id name kind createdAt }}"))
        .collect();
    let q = format!("{{ {} }}", fields.join(" "));
    let a = app.graphql(None, &q, json!({})).await;
    assert_eq!(error_code(&a.body), "BAD_USER_INPUT");
    assert!(
        a.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too complex"),
        "{:?}",
        a.body
    );
    assert_eq!(a.body["data"], Value::Null);
}

async fn batches_are_capped(app: TestApp) {
    let op = json!({"query": "{ actors { id } }"});
    let two = serde_json::to_vec(&json!([op, op])).unwrap();
    let a = app
        .post_raw("/graphql", "application/json", None, two)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body.as_array().map(Vec::len), Some(2), "{:?}", a.body);

    let eleven = serde_json::to_vec(&Value::Array(vec![op; 11])).unwrap();
    let a = app
        .post_raw("/graphql", "application/json", None, eleven)
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&a.body), "BAD_USER_INPUT");
}

async fn oversized_bodies_and_malformed_json_are_refused(app: TestApp) {
    let padding = " ".repeat(300 * 1024);
    let big = format!(r#"{{"query": "{{ actors {{ id }} }}{padding}"}}"#);
    let a = app
        .post_raw("/graphql", "application/json", None, big.into_bytes())
        .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);

    let a = app
        .post_raw(
            "/graphql",
            "application/json",
            None,
            b"{\"query\": ".to_vec(),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&a.body), "BAD_USER_INPUT");
}
