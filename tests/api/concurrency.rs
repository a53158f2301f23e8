//! Many writers at once: the audit chain stays one line, with no gaps and no forks.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::TestApp;
use crate::scorecard_support::seeded_with_values;
use crate::strategy::coordinator;

both_backends!(eight_clients_submitting_and_approving_leave_a_valid_chain);

/// How long the clients write: `AYNI_CONCURRENCY_SECS`, 30 s by default.
fn duration() -> Duration {
    let secs = std::env::var("AYNI_CONCURRENCY_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    Duration::from_secs(secs)
}

async fn eight_clients_submitting_and_approving_leave_a_valid_chain(app: TestApp) {
    seeded_with_values(&app).await;
    let token = coordinator(&app).await.token;
    let eco = app
        .app
        .ecosystem_by_slug("moquegua".into())
        .await
        .unwrap()
        .unwrap();
    let objective = app
        .app
        .objectives(eco.id, None, None)
        .await
        .unwrap()
        .remove(0);
    let indicator = app
        .app
        .indicators_of_objectives(vec![objective.id])
        .await
        .unwrap()
        .remove(0)
        .id
        .to_string();
    let actor = app.app.actors().await.unwrap()[0].id.to_string();
    let before = app
        .graphql(None, "{ auditChain { length } }", json!({}))
        .await
        .body["data"]["auditChain"]["length"]
        .as_i64()
        .unwrap();

    let url = app.url("/graphql");
    let until = Instant::now() + duration();
    let mut clients = Vec::new();
    for client in 0..8 {
        let (url, token, indicator, actor) =
            (url.clone(), token.clone(), indicator.clone(), actor.clone());
        clients.push(actix_web::rt::spawn(async move {
            let http = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
            // Half the clients fight over one series (revisions), half write their own district.
            let territory = if client % 2 == 0 { "18".to_string() } else { format!("18010{client}") };
            let call = |query: &'static str, variables: Value| {
                let http = http.clone();
                let (url, token) = (url.clone(), token.clone());
                async move {
                    let mut res = http
                        .post(&url)
                        .insert_header(("authorization", format!("Bearer {token}")))
                        .send_json(&json!({"query": query, "variables": variables}))
                        .await
                        .expect("request");
                    let body: Value = res.json().await.expect("json");
                    // The one refusal a race may bring: another client's newer revision of
                    // the shared series replaced this one before its approval.
                    let replaced = body["errors"][0]["extensions"]["code"] == "CONFLICT"
                        && body["errors"][0]["message"]
                            .as_str()
                            .is_some_and(|m| m.contains("is already REJECTED") || m.contains("is already rejected"));
                    assert!(body["errors"] == Value::Null || replaced, "{body}");
                    body
                }
            };
            // The indicator is a percentage: the values stay within 0..100.
            let mut done = 0u32;
            while Instant::now() < until {
                let submitted = call(
                    "mutation($i: SubmitMeasurementInput!) { submitMeasurement(input: $i) { id } }",
                    json!({"i": {"indicatorId": indicator, "period": "2024", "territory": territory, "value": f64::from(done % 100),
                                 "actorId": actor, "evidenceText": format!("cliente {client}")}}),
                )
                .await;
                let id = submitted["data"]["submitMeasurement"]["id"].as_str().unwrap().to_string();
                call("mutation($id: ID!) { approveMeasurement(id: $id) { id } }", json!({"id": id})).await;
                done += 1;
            }
            done
        }));
    }
    let mut pairs = 0;
    for c in clients {
        pairs += c.await.expect("client");
    }
    assert!(
        pairs >= 8,
        "every client got work done ({pairs} submit+approve pairs)"
    );

    let chain = app
        .graphql(
            None,
            "{ auditChain { length headSeq verified firstBrokenSeq mismatchCount } }",
            json!({}),
        )
        .await
        .body["data"]["auditChain"]
        .clone();
    assert_eq!(chain["verified"], true, "{chain}");
    assert_eq!(chain["firstBrokenSeq"], Value::Null);
    assert_eq!(
        chain["length"], chain["headSeq"],
        "no gaps: entries 1..=head"
    );
    assert!(
        chain["length"].as_i64().unwrap() >= before + 2 * i64::from(pairs),
        "{chain}"
    );
    // One counted revision per series, the latest (the coordinator sees the replaced ones
    // too: every revision number is there once).
    let rows = app
        .graphql(Some(&token), "query($id: ID!) { indicator(id: $id) { measurements(from: \"2024\", to: \"2024\", territory: \"18\") { revision counted } } }", json!({"id": indicator}))
        .await
        .body;
    let rows = rows["data"]["indicator"]["measurements"]
        .as_array()
        .unwrap()
        .clone();
    let counted: Vec<&Value> = rows.iter().filter(|r| r["counted"] == true).collect();
    assert_eq!(counted.len(), 1);
    let max_revision = rows
        .iter()
        .map(|r| r["revision"].as_i64().unwrap())
        .max()
        .unwrap();
    assert_eq!(counted[0]["revision"], max_revision);
    let mut revisions: Vec<i64> = rows
        .iter()
        .map(|r| r["revision"].as_i64().unwrap())
        .collect();
    revisions.sort_unstable();
    assert_eq!(
        revisions,
        (1..=max_revision).collect::<Vec<_>>(),
        "revisions without gaps or duplicates"
    );
}
