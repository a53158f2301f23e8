//! Provenance of published numbers and challenges from civil society.

use serde_json::{Value, json};

use ayni::domain::Role;

use crate::both_backends;
use crate::helpers::TestApp;
use crate::helpers::error_code;
use crate::scorecard_support::{seeded_with_values, submit_and_approve};
use crate::strategy::{Gql, coordinator};

both_backends!(
    every_published_number_carries_its_provenance,
    challenges_are_answered_in_public_and_upheld_ones_withdraw_the_value
);

const CARD: &str = r#"{ ecosystem(slug: "moquegua") { scorecard(period: "2023") { perspectives { objectives { indicators {
    code actual measurement { id value provenance { actor { name } submittedAt evidence { url text } approvedBy { userId }
    approvedAt revision auditSeq } } } } } } } }"#;

fn first_indicator(body: &Value) -> Value {
    body["data"]["ecosystem"]["scorecard"]["perspectives"][0]["objectives"][0]["indicators"][0]
        .clone()
}

async fn every_published_number_carries_its_provenance(app: TestApp) {
    let measurement = seeded_with_values(&app).await;
    let body = app.graphql(None, CARD, json!({})).await.body;
    assert_eq!(body["errors"], Value::Null, "{body}");
    let ind = first_indicator(&body);
    assert_eq!(ind["actual"], 19.25);
    let m = &ind["measurement"];
    assert_eq!(m["id"], measurement.to_string());
    let p = &m["provenance"];
    assert_eq!(p["actor"]["name"], "Anglo American Quellaveco");
    assert_eq!(p["evidence"]["text"], "Reporte de sostenibilidad");
    assert_eq!(p["revision"], 1);
    assert!(p["approvedAt"].is_string());
    // The audit entry named is the one that recorded the approval, and says so.
    let seq = p["auditSeq"].as_i64().unwrap();
    let proof = app
        .get(&format!("/api/v1/audit/proof?from={seq}&limit=1"))
        .await
        .body;
    let entry = &proof["entries"][0];
    assert_eq!(
        (entry["entity_type"].as_str(), entry["entity_id"].as_str()),
        (Some("measurement"), Some(measurement.to_string().as_str()))
    );
    assert_eq!(entry["after"]["value"], 19.25);
    assert_eq!(entry["after"]["status"], "approved");

    // A value approved through the API names its approver's account.
    let g = coordinator(&app).await;
    let ind_id = app
        .graphql(
            None,
            "{ ecosystem(slug: \"moquegua\") { objectives { indicators { id } } } }",
            json!({}),
        )
        .await
        .body["data"]["ecosystem"]["objectives"][0]["indicators"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let actor = app.app.actors().await.unwrap()[0].id.to_string();
    let sub = g.ok("mutation($i: SubmitMeasurementInput!) { submitMeasurement(input: $i) { id } }",
        json!({"i": {"indicatorId": ind_id, "period": "2024", "value": 21.0, "actorId": actor, "evidenceUrl": "https://example.org/r.pdf"}})).await;
    let id = sub["submitMeasurement"]["id"].as_str().unwrap().to_string();
    let approved = g.ok("mutation($id: ID!) { approveMeasurement(id: $id) { provenance { approvedBy { userId } submittedBy { userId } evidence { url } } } }", json!({"id": id})).await;
    let p = &approved["approveMeasurement"]["provenance"];
    assert!(
        p["approvedBy"]["userId"].is_string()
            && p["submittedBy"]["userId"] == p["approvedBy"]["userId"],
        "{p}"
    );
    assert_eq!(p["evidence"]["url"], "https://example.org/r.pdf");
}

async fn challenges_are_answered_in_public_and_upheld_ones_withdraw_the_value(app: TestApp) {
    let measurement = seeded_with_values(&app).await.to_string();
    let monitor = Gql {
        app: &app,
        token: app.login_as(Role::Monitor).await,
    };
    let g = coordinator(&app).await;
    const OPEN: &str = "mutation($m: ID!, $r: String!) { openChallenge(measurementId: $m, reason: $r) { id status reason } }";
    const ANSWER: &str = "mutation($id: ID!, $o: ChallengeOutcome!, $a: String!) { answerChallenge(id: $id, outcome: $o, answer: $a) { status answer timeToAnswerSeconds } }";

    // Bad input and abuse.
    let anonymous = app
        .graphql(None, OPEN, json!({"m": measurement, "r": "No coincide"}))
        .await
        .body;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let empty = monitor
        .run(OPEN, json!({"m": measurement, "r": "  "}))
        .await;
    assert_eq!(error_code(&empty), "BAD_USER_INPUT");
    // A value nobody approved cannot be challenged.
    let actor = app.app.actors().await.unwrap()[0].id;
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
        .remove(0);
    let pending = app
        .app
        .submit_measurement(
            &ayni::app::Caller::operator(),
            ayni::app::MeasurementInput {
                indicator_id: indicator.id,
                period: "2024".into(),
                value: 30.0,
                evidence_text: Some("x".into()),
                actor_id: Some(actor),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let unpublished = monitor
        .run(
            OPEN,
            json!({"m": pending.id.to_string(), "r": "Dato inflado"}),
        )
        .await;
    assert_eq!(error_code(&unpublished), "BAD_USER_INPUT");

    let opened = monitor.ok(OPEN, json!({"m": measurement, "r": "El informe de sostenibilidad 2023 dice 17,5 %, no 19,25 %"})).await;
    assert_eq!(opened["openChallenge"]["status"], "OPEN");
    let challenge = opened["openChallenge"]["id"].as_str().unwrap().to_string();
    let twice = monitor
        .run(OPEN, json!({"m": measurement, "r": "Otra vez"}))
        .await;
    assert_eq!(error_code(&twice), "CONFLICT");

    // Only the coordinating body answers.
    let by_monitor = monitor
        .run(ANSWER, json!({"id": challenge, "o": "UPHELD", "a": "Sí"}))
        .await;
    assert_eq!(error_code(&by_monitor), "FORBIDDEN");

    // Public list, before and after the answer.
    let list = "{ challenges(ecosystemSlug: \"moquegua\") { status reason answer measurement { id value } } }";
    let open_list = app.graphql(None, list, json!({})).await.body;
    assert_eq!(open_list["data"]["challenges"][0]["status"], "OPEN");

    let card_before = first_indicator(&app.graphql(None, CARD, json!({})).await.body);
    assert_eq!(card_before["actual"], 19.25);
    let upheld = g.ok(ANSWER, json!({"id": challenge, "o": "UPHELD", "a": "Correcto: se corregirá con el dato del informe"})).await;
    assert_eq!(upheld["answerChallenge"]["status"], "UPHELD");
    assert!(
        upheld["answerChallenge"]["timeToAnswerSeconds"]
            .as_i64()
            .unwrap()
            >= 0
    );
    let again = g
        .run(
            ANSWER,
            json!({"id": challenge, "o": "DISMISSED", "a": "No aplica"}),
        )
        .await;
    assert_eq!(error_code(&again), "CONFLICT");

    // Withdrawn from the scores until a corrected revision is approved.
    let card_after = first_indicator(&app.graphql(None, CARD, json!({})).await.body);
    assert_eq!(card_after["actual"], Value::Null, "{card_after}");
    submit_and_approve(&app, indicator.id, actor, "2023", 17.5).await;
    let corrected = first_indicator(&app.graphql(None, CARD, json!({})).await.body);
    assert_eq!(corrected["actual"], 17.5);
    assert_eq!(corrected["measurement"]["provenance"]["revision"], 2);

    // Dismissals keep the value and explain why.
    let other = crate::scorecard_support::approve_one_more(&app)
        .await
        .to_string();
    let c2 = monitor
        .ok(OPEN, json!({"m": other, "r": "Parece alto"}))
        .await["openChallenge"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let dismissed = g.ok(ANSWER, json!({"id": c2, "o": "DISMISSED", "a": "Coincide con la planilla electrónica de MTPE"})).await;
    assert_eq!(dismissed["answerChallenge"]["status"], "DISMISSED");
    let answered = app.graphql(None, "{ challenges(ecosystemSlug: \"moquegua\", status: DISMISSED) { answer measurement { counted } } }", json!({})).await.body;
    assert_eq!(
        answered["data"]["challenges"],
        json!([{"answer": "Coincide con la planilla electrónica de MTPE", "measurement": {"counted": true}}])
    );
    let with_challenges = app
        .graphql(None, "query($id: ID!) { indicator(id: $id) { measurements(from: \"2023\", to: \"2023\") { revision counted challenges { status } } } }", json!({"id": indicator.id.to_string()}))
        .await
        .body;
    assert_eq!(
        with_challenges["data"]["indicator"]["measurements"],
        json!([
            {"revision": 2, "counted": true, "challenges": []},
            {"revision": 1, "counted": false, "challenges": [{"status": "UPHELD"}]},
        ])
    );
    assert_eq!(
        app.graphql(None, "{ auditChain { verified } }", json!({}))
            .await
            .body["data"]["auditChain"]["verified"],
        true
    );
}
