use awc::http::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, error_code};

both_backends!(
    over_deep_queries_are_refused_before_execution,
    over_complex_queries_are_refused,
    batches_are_capped,
    oversized_bodies_and_malformed_json_are_refused,
);

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
