//! The committed contracts match what the server serves.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    the_served_openapi_document_is_the_committed_one,
    the_served_graphql_schema_is_the_committed_one,
    the_served_openapi_document_passes_a_standard_validator,
    json_downloads_answer_errors_in_json_and_wrong_methods_get_405,
);

/// `openapi-spec-validator` (PyPI, maintained by the python-openapi project; `.ci/run`
/// installs it when missing) checks the document as served.
async fn the_served_openapi_document_passes_a_standard_validator(app: TestApp) {
    let served = app.get("/openapi.json").await.body;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, served.to_string()).unwrap();
    let out = std::process::Command::new("openapi-spec-validator")
        .arg(&file)
        .output()
        .expect("openapi-spec-validator is installed (pip install openapi-spec-validator)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && text.contains("OK"), "{text}");
    // What made it invalid before: query parameters declared in the path.
    let proof = &served["paths"]["/api/v1/audit/proof"]["get"]["parameters"];
    assert!(
        proof.as_array().unwrap().iter().all(|p| p["in"] == "query"),
        "{proof}"
    );
    // Open data: the format is an enum, and every JSON answer has a schema.
    assert_eq!(
        served["components"]["schemas"]["OpenDataFormat"]["enum"],
        json!(["csv", "json"])
    );
    for (path, methods) in served["paths"].as_object().unwrap() {
        if path.contains("{format}") {
            let ok = &methods["get"]["responses"]["200"]["content"];
            assert!(ok["application/json"]["schema"].is_object(), "{path}");
            assert!(ok["text/csv"].is_object(), "{path}");
        }
    }
    assert!(
        served["paths"]["/e/{slug}/eventos"]["get"].is_object(),
        "the SSE endpoint"
    );
}

async fn json_downloads_answer_errors_in_json_and_wrong_methods_get_405(app: TestApp) {
    for path in [
        "/e/nada/tablero.json",
        "/e/nada/i/I1/valores.json",
        "/datos/nada.json",
    ] {
        let a = app.get(path).await;
        assert_eq!(a.status.as_u16(), 404, "{path}");
        assert_eq!(a.body["error"]["code"], "NOT_FOUND", "{path}: {}", a.body);
        assert!(a.body["error"]["message"].is_string(), "{path}");
    }
    // A bad period on a JSON download is a JSON 400 too.
    let bad = app.get("/e/nada/tablero.json?period=2024Q9").await;
    assert!(bad.body["error"]["code"].is_string(), "{}", bad.body);
    // Pages stay HTML.
    let page = app.get("/e/nada").await;
    assert_eq!(page.status.as_u16(), 404);
    assert!(page.body.as_str().unwrap().contains("<html"));

    for (method, path, allowed) in [
        ("POST", "/api/v1/health", "GET"),
        ("GET", "/api/v1/auth/token", "POST"),
        ("DELETE", "/e/moquegua", "GET"),
        ("PUT", "/e/moquegua/tablero.json", "GET"),
        ("PATCH", "/api/v1/audit/proof", "GET"),
        ("DELETE", "/openapi.json", "GET"),
    ] {
        let res = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 405, "{method} {path}");
        assert_eq!(
            res.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some(allowed),
            "{method} {path}"
        );
    }
}

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
