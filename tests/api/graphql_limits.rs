use awc::http::StatusCode;
use serde_json::{Value, json};

use std::time::{Duration, Instant};

use crate::both_backends;
use crate::helpers::{TestApp, error_code};

both_backends!(
    over_deep_queries_are_refused_before_execution,
    over_complex_queries_are_refused,
    batches_are_capped,
    oversized_bodies_and_malformed_json_are_refused,
    the_standard_introspection_queries_of_graphql_js_and_graphql_core_succeed,
    a_fragment_fan_out_is_refused_fast_as_too_complex,
    aliased_audit_chains_in_a_batch_are_refused_fast,
    a_batch_of_operations_each_within_budget_is_refused_together,
    ordinary_and_demo_scorecard_queries_stay_within_budget,
    a_fan_out_subscription_over_the_websocket_is_refused,
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

/// The expensive part of a refusal must not happen: refused in well under these.
const FAST: Duration = Duration::from_secs(2);

fn assert_too_complex(body: &Value) {
    let errors = match body.as_array() {
        Some(batch) => batch.iter().map(|r| r["errors"][0].clone()).collect(),
        None => vec![body["errors"][0].clone()],
    };
    assert!(!errors.is_empty(), "{body}");
    for e in errors {
        assert_eq!(e["extensions"]["code"], "QUERY_TOO_COMPLEX", "{body}");
        assert!(
            e["message"].as_str().unwrap().contains("too complex"),
            "{body}"
        );
    }
    let answers = match body.as_array() {
        Some(batch) => batch.clone(),
        None => vec![body.clone()],
    };
    assert!(
        answers.iter().all(|a| a["data"].is_null()),
        "nothing ran: {body}"
    );
}

/// POSTs `body` to `/graphql` while `/api/v1/health` is asked too: both answers, and how
/// long the GraphQL one took.
async fn posted_beside_health(app: &TestApp, body: &Value) -> (Value, Duration, StatusCode) {
    let started = Instant::now();
    let bytes = serde_json::to_vec(body).unwrap();
    let (answer, health) = tokio::join!(
        async {
            let a = app
                .post_raw("/graphql", "application/json", None, bytes)
                .await;
            (a, started.elapsed())
        },
        async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            app.get("/api/v1/health").await
        }
    );
    assert_eq!(health.status, StatusCode::OK, "{}", health.body);
    (answer.0.body, answer.1, answer.0.status)
}

/// `query { ...F0 }` where each fragment spreads the next twice, 24 deep, under 1 KB:
/// 2^24 `__typename` selections once expanded.
fn fan_out(levels: usize) -> String {
    let mut q = String::from("query { ...F0 }");
    for i in 0..levels {
        q.push_str(&format!(
            " fragment F{i} on Query {{ ...F{} ...F{} }}",
            i + 1,
            i + 1
        ));
    }
    q.push_str(&format!(" fragment F{levels} on Query {{ __typename }}"));
    q
}

async fn a_fragment_fan_out_is_refused_fast_as_too_complex(app: TestApp) {
    let q = fan_out(24);
    assert!(q.len() < 1024);
    let (body, took, status) = posted_beside_health(&app, &json!({"query": q})).await;
    assert_eq!(status, StatusCode::OK);
    assert_too_complex(&body);
    assert!(took < FAST, "refused in {took:?}");
    // Two at once, anonymous: both refused, the service answers meanwhile.
    let body = json!({"query": q});
    let (a, b) = tokio::join!(
        posted_beside_health(&app, &body),
        posted_beside_health(&app, &body)
    );
    assert_too_complex(&a.0);
    assert_too_complex(&b.0);
    // A cycle is refused the same way, before async-graphql follows it.
    let a = app
        .graphql(
            None,
            "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
            json!({}),
        )
        .await;
    assert_too_complex(&a.body);
    // A small fan-out is an ordinary query.
    let a = app.graphql(None, &fan_out(3), json!({})).await;
    assert_eq!(a.body["errors"], Value::Null, "{}", a.body);
    assert_eq!(a.body["data"]["__typename"], "Query");
}

async fn aliased_audit_chains_in_a_batch_are_refused_fast(app: TestApp) {
    let aliases: Vec<String> = (0..499)
        .map(|i| format!("a{i}: auditChain {{ verified }}"))
        .collect();
    let op = json!({"query": format!("{{ {} }}", aliases.join(" "))});
    let batch = Value::Array(vec![op.clone(); 10]);
    assert!(serde_json::to_vec(&batch).unwrap().len() < 256 * 1024);
    let (body, took, status) = posted_beside_health(&app, &batch).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_array().map(Vec::len), Some(10), "{body}");
    assert_too_complex(&body);
    assert!(took < FAST, "refused in {took:?}");
    // Alone, too.
    let (body, took, _) = posted_beside_health(&app, &op).await;
    assert_too_complex(&body);
    assert!(took < FAST, "refused in {took:?}");
    // Two aliases are already over the budget; one is fine.
    let two = app
        .graphql(
            None,
            "{ a: auditChain { verified } b: auditChain { verified } }",
            json!({}),
        )
        .await;
    assert_too_complex(&two.body);
    let one = app
        .graphql(None, "{ auditChain { verified length } }", json!({}))
        .await;
    assert_eq!(one.body["errors"], Value::Null, "{}", one.body);
    assert_eq!(one.body["data"]["auditChain"]["verified"], true);
}

async fn a_batch_of_operations_each_within_budget_is_refused_together(app: TestApp) {
    let chain = json!({"query": "{ auditChain { verified } }"});
    let a = app
        .post_raw(
            "/graphql",
            "application/json",
            None,
            serde_json::to_vec(&json!([chain])).unwrap(),
        )
        .await;
    assert_eq!(a.body[0]["errors"], Value::Null, "{}", a.body);
    // Each fine alone; two in one batch are over the budget the batch shares.
    let a = app
        .post_raw(
            "/graphql",
            "application/json",
            None,
            serde_json::to_vec(&json!([chain, chain])).unwrap(),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_too_complex(&a.body);
    // Plain fields add up the same way: 10 operations of 250 fields each.
    let fields: Vec<String> = (0..125).map(|i| format!("a{i}: actors {{ id }}")).collect();
    let op = json!({"query": format!("{{ {} }}", fields.join(" "))});
    let alone = app.post_json("/graphql", &op).await;
    assert_eq!(alone.body["errors"], Value::Null, "{}", alone.body);
    let a = app
        .post_raw(
            "/graphql",
            "application/json",
            None,
            serde_json::to_vec(&Value::Array(vec![op; 10])).unwrap(),
        )
        .await;
    assert_too_complex(&a.body);
}

async fn ordinary_and_demo_scorecard_queries_stay_within_budget(app: TestApp) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ayni"))
        .args([
            "seed",
            "--database-url",
            &app.database_url.to_string_unmasked(),
            &format!("{}/seeds/demo", env!("CARGO_MANIFEST_DIR")),
        ])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a = app
        .graphql(
            None,
            "{ __typename actors { id name kind } ecosystems { slug name } }",
            json!({}),
        )
        .await;
    assert_eq!(a.body["errors"], Value::Null, "{}", a.body);
    let card = r#"{ ecosystem(slug: "moquegua") { name scorecard(period: "2024") { score coverage status
        perspectives { kind score coverage status objectives { code score status
        indicators { code actual status } } } }
        sharedValue(period: "2024") { __typename }
        strategyMap { edges { cause { code } effect { code } evidence { verdict } } }
        hybridMetrics { code series { __typename } causalCheck { verdict } } } }"#;
    let a = app.graphql(None, card, json!({})).await;
    assert_eq!(a.body["errors"], Value::Null, "{}", a.body);
    let card = &a.body["data"]["ecosystem"]["scorecard"];
    assert_eq!(
        card["perspectives"].as_array().map(Vec::len),
        Some(4),
        "{card}"
    );
    // The audit chain beside a scorecard, as the portal's readers ask.
    let a = app
        .graphql(
            None,
            r#"{ auditChain { verified } ecosystem(slug: "moquegua") { scorecard(period: "2024") { score } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(a.body["errors"], Value::Null, "{}", a.body);
    assert_eq!(a.body["data"]["auditChain"]["verified"], true);
}

/// The WebSocket (`graphql-transport-ws`) takes subscriptions without `POST /graphql`'s pass:
/// the schema's own cost guard prices them, so a fan-out of fragments under a subscription is
/// refused with `QUERY_TOO_COMPLEX` before async-graphql expands it.
async fn a_fan_out_subscription_over_the_websocket_is_refused(app: TestApp) {
    use futures_util::{SinkExt, StreamExt};
    let mut q =
        String::from("subscription { measurementApproved(ecosystemSlug: \"moquegua\") { ...F0 } }");
    for i in 0..24 {
        q.push_str(&format!(
            " fragment F{i} on Measurement {{ ...F{} ...F{} }}",
            i + 1,
            i + 1
        ));
    }
    q.push_str(" fragment F24 on Measurement { __typename }");
    let ws_url = app.url("/graphql").replacen("http", "ws", 1);
    let (_resp, mut ws) = awc::Client::new()
        .ws(ws_url)
        .protocols(["graphql-transport-ws"])
        .connect()
        .await
        .expect("websocket");
    let send = |v: Value| awc::ws::Message::Text(v.to_string().into());
    ws.send(send(json!({"type": "connection_init"})))
        .await
        .unwrap();
    let text = |frame: awc::ws::Frame| match frame {
        awc::ws::Frame::Text(b) => serde_json::from_slice::<Value>(&b).unwrap(),
        other => panic!("unexpected frame {other:?}"),
    };
    assert_eq!(
        text(ws.next().await.unwrap().unwrap())["type"],
        "connection_ack"
    );
    let started = Instant::now();
    ws.send(send(
        json!({"id": "1", "type": "subscribe", "payload": {"query": q}}),
    ))
    .await
    .unwrap();
    let answer = actix_web::rt::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .expect("an answer")
        .unwrap()
        .unwrap();
    let answer = text(answer);
    assert!(
        started.elapsed() < FAST,
        "refused in {:?}",
        started.elapsed()
    );
    // async-graphql answers a refused subscription with one `next` carrying the error.
    assert_eq!(answer["type"], "next", "{answer}");
    assert_eq!(answer["payload"]["data"], Value::Null, "{answer}");
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{answer}"
    );
    // The service still answers.
    assert_eq!(app.get("/api/v1/health").await.status, StatusCode::OK);
}
