//! The committed contracts match what the server serves.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    the_served_openapi_document_is_the_committed_one,
    the_served_graphql_schema_is_the_committed_one
);

fn committed(path: &str) -> String {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| {
        panic!("{full}: {e}; run `cargo run -- schema` / `cargo run -- openapi`")
    })
}

async fn the_served_openapi_document_is_the_committed_one(app: TestApp) {
    let served = app.get("/openapi.json").await.body;
    let committed: Value = serde_norway::from_str(&committed("openapi/openapi.yaml")).unwrap();
    assert_eq!(served["openapi"], "3.1.0");
    assert!(
        served == committed,
        "openapi/openapi.yaml is stale: regenerate it with `cargo run -- openapi`"
    );
    // Every documented path answers (not 404); paths naming an ecosystem are exercised on
    // the demo data by the portal's tests.
    for path in served["paths"].as_object().unwrap().keys() {
        let methods = served["paths"][path].as_object().unwrap();
        let concrete = path.replace("{format}", "json");
        if methods.contains_key("get") && !concrete.contains('{') {
            assert_ne!(app.get(&concrete).await.status.as_u16(), 404, "{path}");
        }
    }
}

async fn the_served_graphql_schema_is_the_committed_one(app: TestApp) {
    let sdl = committed("schema/schema.graphql");
    assert!(
        sdl == ayni::graphql::sdl(),
        "schema/schema.graphql is stale: regenerate it with `cargo run -- schema`"
    );
    // And the server really serves that schema: every type the SDL declares is served.
    let a = app
        .graphql(None, "{ __schema { types { name } } }", json!({}))
        .await;
    let served: BTreeSet<String> = a.body["data"]["__schema"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect();
    for line in sdl.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let ["type" | "input" | "enum" | "scalar", name, ..] = words.as_slice() {
            assert!(
                served.contains(*name),
                "{name} is in the SDL but not served"
            );
        }
    }
}
