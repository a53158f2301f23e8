//! Values from several actors: each actor keeps its own series in a cell, the indicator's or
//! variable's actor rule combines their counted values, and coordinators' de-duplication
//! adjustments are added, audited and published with their reason.

use serde_json::{Value, json};

use ayni::domain::{ActorKind, Role};

use crate::helpers::{TestApp, error_code};
use crate::scorecard_support::seeded_with_values;

const CARD: &str = r#"query($p: String!) { ecosystem(slug: "moquegua") { scorecard(period: $p) {
    perspectives { objectives { indicators { code actual actorRule
      measurement { id } parts { value actor { name } measurement { revision counted } }
      adjustment { value reason } } } } } } }"#;

/// `IND1`'s scorecard entry for a period.
async fn card(app: &TestApp, period: &str) -> Value {
    let a = app.graphql(None, CARD, json!({ "p": period })).await;
    assert!(a.body["errors"].is_null(), "{:?}", a.body);
    a.body["data"]["ecosystem"]["scorecard"]["perspectives"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["objectives"].as_array().unwrap().clone())
        .flat_map(|o| o["indicators"].as_array().unwrap().clone())
        .find(|i| i["code"] == "IND1")
        .expect("IND1 on the scorecard")
}

struct TwoActors {
    indicator: String,
    anglo: i64,
    southern: i64,
    coordinator: String,
    southern_token: String,
}

/// The seeded `IND1` (Anglo American reports 2021-2023) with a second responsible actor,
/// Southern, whose contributor submits its own 2023 value; both are approved.
async fn two_actors(app: &TestApp) -> TwoActors {
    seeded_with_values(app).await;
    let coordinator = app.login_as(Role::Coordinator).await;
    let anglo = app.app.actors().await.unwrap()[0].id;
    let southern = app
        .create_actor("Southern Peru Copper Corporation", ActorKind::Company)
        .await;
    let eco = app
        .app
        .ecosystem_by_slug("moquegua".into())
        .await
        .unwrap()
        .unwrap();
    let q = r#"mutation($e: ID!, $a: ID!) { addEcosystemMember(ecosystemId: $e, actorId: $a, roleLabel: "Empresa minera") { roleLabel } }"#;
    let a = app
        .graphql(
            Some(&coordinator),
            q,
            json!({ "e": eco.id.to_string(), "a": southern.to_string() }),
        )
        .await;
    assert!(a.body["errors"].is_null(), "{:?}", a.body);
    let indicator = app
        .app
        .indicator_by_code(eco.id, "IND1".into())
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let q = r#"mutation($id: ID!, $r: [ID!]) { updateIndicator(id: $id, input: { responsibleActorIds: $r }) { actorRule } }"#;
    let a = app
        .graphql(
            Some(&coordinator),
            q,
            json!({ "id": indicator, "r": [anglo.to_string(), southern.to_string()] }),
        )
        .await;
    assert_eq!(a.body["data"]["updateIndicator"]["actorRule"], "LATEST");
    app.create_user(
        "sostenibilidad@southern.test",
        Role::Contributor,
        Some(southern),
    )
    .await;
    let southern_token = app
        .token(
            "sostenibilidad@southern.test",
            crate::helpers::TEST_PASSWORD,
        )
        .await;
    let id = submit(app, &southern_token, &indicator, 17.0).await;
    approve(app, &coordinator, &id).await;
    TwoActors {
        indicator,
        anglo,
        southern,
        coordinator,
        southern_token,
    }
}

async fn submit(app: &TestApp, token: &str, indicator: &str, value: f64) -> String {
    let q =
        r#"mutation($i: SubmitMeasurementInput!) { submitMeasurement(input: $i) { id revision } }"#;
    let a = app
        .graphql(
            Some(token),
            q,
            json!({ "i": { "indicatorId": indicator, "period": "2023", "value": value,
                "evidenceText": "Reporte de sostenibilidad 2023" } }),
        )
        .await;
    assert!(a.body["errors"].is_null(), "{:?}", a.body);
    a.body["data"]["submitMeasurement"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn approve(app: &TestApp, token: &str, id: &str) {
    let a = app
        .graphql(
            Some(token),
            "mutation($id: ID!) { approveMeasurement(id: $id) { counted } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        a.body["data"]["approveMeasurement"]["counted"], true,
        "{:?}",
        a.body
    );
}

/// The first field error's field.
fn a_field(body: &Value) -> &str {
    body["errors"][0]["extensions"]["fields"][0]["field"]
        .as_str()
        .unwrap_or("<no field>")
}

/// A portal page's HTML.
async fn page(app: &TestApp, path: &str) -> String {
    let a = app.get(path).await;
    assert_eq!(a.status, 200, "{path}");
    a.body.as_str().unwrap_or_default().to_string()
}

async fn set_rule(app: &TestApp, t: &TwoActors, rule: &str, preferred: Option<Vec<i64>>) -> Value {
    let q = r#"mutation($id: ID!, $r: ActorRule, $p: [ID!]) {
        updateIndicator(id: $id, input: { actorRule: $r, preferredActorIds: $p }) {
          actorRule preferredActors { name } } }"#;
    let p = preferred.map(|p| p.iter().map(i64::to_string).collect::<Vec<_>>());
    app.graphql(
        Some(&t.coordinator),
        q,
        json!({ "id": t.indicator, "r": rule, "p": p }),
    )
    .await
    .body
}

async fn several_actors_keep_their_values_and_the_rule_combines_them(app: TestApp) {
    let t = two_actors(&app).await;
    // Both actors' 2023 values count, each as revision 1 of its own series.
    let c = card(&app, "2023").await;
    let parts = c["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2, "{c:?}");
    for p in parts {
        assert_eq!(p["measurement"]["revision"], 1);
        assert_eq!(p["measurement"]["counted"], true);
    }
    // LATEST (the default): Southern's, approved last; the scorecard links to it.
    assert_eq!(c["actorRule"], "LATEST");
    assert_eq!(c["actual"], 17.0);
    assert!(c["measurement"]["id"].is_string());

    for (rule, expected) in [("SUM", 36.25), ("MEAN", 18.125), ("MAX", 19.25)] {
        let b = set_rule(&app, &t, rule, None).await;
        assert!(b["errors"].is_null(), "{b:?}");
        let c = card(&app, "2023").await;
        assert_eq!(c["actual"], expected, "{rule}");
        if rule != "MAX" {
            assert!(c["measurement"].is_null(), "{rule}: no single source");
        }
    }
    let b = set_rule(&app, &t, "PREFERRED", Some(vec![t.anglo, t.southern])).await;
    assert_eq!(
        b["data"]["updateIndicator"]["preferredActors"][0]["name"],
        "Anglo American Quellaveco"
    );
    assert_eq!(card(&app, "2023").await["actual"], 19.25);
    // Preferred actors alone re-order the list.
    let b = set_rule(&app, &t, "PREFERRED", Some(vec![t.southern, t.anglo])).await;
    assert!(b["errors"].is_null(), "{b:?}");
    assert_eq!(card(&app, "2023").await["actual"], 17.0);

    // A correction by Southern is its revision 2; Anglo's series is untouched.
    let id = submit(&app, &t.southern_token, &t.indicator, 18.0).await;
    approve(&app, &t.coordinator, &id).await;
    let c = card(&app, "2023").await;
    assert_eq!(c["actual"], 18.0);
    let mut revisions: Vec<i64> = c["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["measurement"]["revision"].as_i64().unwrap())
        .collect();
    revisions.sort();
    assert_eq!(revisions, [1, 2]);

    // The series and the portal's territory view use the combined value.
    let q =
        r#"query($id: ID!) { indicator(id: $id) { series(from: "2023", to: "2023") { actual } } }"#;
    let a = app.graphql(None, q, json!({ "id": t.indicator })).await;
    assert_eq!(a.body["data"]["indicator"]["series"][0]["actual"], 18.0);
    let html = page(&app, "/e/moquegua/i/IND1").await;
    assert!(html.contains("Valores de varios actores"), "rule shown");
    assert!(
        html.contains("Southern Peru Copper Corporation → Anglo American Quellaveco"),
        "preferred order shown"
    );
}

async fn bad_rules_are_refused_and_change_nothing(app: TestApp) {
    let t = two_actors(&app).await;
    let stranger = app.create_actor("Empresa ajena", ActorKind::Company).await;
    for (rule, preferred, field) in [
        ("PREFERRED", None, "preferredActorIds"),
        (
            "PREFERRED",
            Some(vec![t.anglo, t.anglo]),
            "preferredActorIds",
        ),
        ("PREFERRED", Some(vec![stranger]), "preferredActorIds"),
        ("SUM", Some(vec![t.anglo]), "preferredActorIds"),
    ] {
        let b = set_rule(&app, &t, rule, preferred.clone()).await;
        assert_eq!(
            error_code(&b),
            "BAD_USER_INPUT",
            "{rule} {preferred:?}: {b:?}"
        );
        assert_eq!(a_field(&b), field, "{b:?}");
    }
    let q = r#"query($id: ID!) { indicator(id: $id) { actorRule preferredActors { name } } }"#;
    let a = app.graphql(None, q, json!({ "id": t.indicator })).await;
    assert_eq!(a.body["data"]["indicator"]["actorRule"], "LATEST");
    // A contributor may not change the rule.
    let q = r#"mutation($id: ID!) { updateIndicator(id: $id, input: { actorRule: SUM }) { actorRule } }"#;
    let a = app
        .graphql(Some(&t.southern_token), q, json!({ "id": t.indicator }))
        .await;
    assert_eq!(error_code(&a.body), "FORBIDDEN");
}

const SET_ADJ: &str = r#"mutation($i: SetAdjustmentInput!) { setAdjustment(input: $i) { id value reason period territory } }"#;

async fn adjustments_are_added_audited_and_published(app: TestApp) {
    let t = two_actors(&app).await;
    set_rule(&app, &t, "SUM", None).await;
    let input = json!({ "indicatorId": t.indicator, "period": "2023", "value": -4.25,
        "reason": "Cuatro puestos figuran en los reportes de ambas empresas" });
    // Only coordinators and admins; nobody anonymous.
    for token in [None, Some(t.southern_token.as_str())] {
        let a = app.graphql(token, SET_ADJ, json!({ "i": input })).await;
        assert!(
            ["UNAUTHENTICATED", "FORBIDDEN"].contains(&error_code(&a.body)),
            "{:?}",
            a.body
        );
    }
    // Hostile or malformed cells are refused with a field and store nothing.
    for (bad, field) in [
        (json!({ "value": 1e300 }), "value"),
        (json!({ "reason": "" }), "reason"),
        (json!({ "reason": "x".repeat(2001) }), "reason"),
        (json!({ "period": "2023Q1" }), "period"),
        (json!({ "territory": "15" }), "territory"),
        (json!({ "indicatorId": "999999" }), "indicatorId"),
        (json!({ "variable": "V001" }), "indicatorId"),
    ] {
        let mut i = input.clone();
        for (k, v) in bad.as_object().unwrap() {
            i[k] = v.clone();
        }
        let a = app
            .graphql(Some(&t.coordinator), SET_ADJ, json!({ "i": i }))
            .await;
        assert_eq!(error_code(&a.body), "BAD_USER_INPUT", "{bad}: {:?}", a.body);
        assert_eq!(a_field(&a.body), field, "{bad}");
    }
    assert_eq!(card(&app, "2023").await["actual"], 36.25);

    let a = app
        .graphql(Some(&t.coordinator), SET_ADJ, json!({ "i": input }))
        .await;
    assert!(a.body["errors"].is_null(), "{:?}", a.body);
    let id = a.body["data"]["setAdjustment"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let c = card(&app, "2023").await;
    assert_eq!(c["actual"], 32.0, "19.25 + 17 − 4.25");
    assert_eq!(c["adjustment"]["value"], -4.25);
    // Setting it again replaces it: one adjustment per cell.
    let mut again = input.clone();
    again["value"] = json!(-2);
    let a = app
        .graphql(Some(&t.coordinator), SET_ADJ, json!({ "i": again }))
        .await;
    assert_eq!(a.body["data"]["setAdjustment"]["id"], id.as_str());
    assert_eq!(card(&app, "2023").await["actual"], 34.25);

    // Public, with its reason: on the indicator and on the portal.
    let q = r#"query($id: ID!) { indicator(id: $id) { adjustments { value reason period } } }"#;
    let a = app.graphql(None, q, json!({ "id": t.indicator })).await;
    assert_eq!(a.body["data"]["indicator"]["adjustments"][0]["value"], -2.0);
    let html = page(&app, "/e/moquegua/i/IND1").await;
    assert!(html.contains("Ajustes por doble conteo"));
    assert!(html.contains("Cuatro puestos figuran en los reportes de ambas empresas"));

    // Audited: one public entry per change (the last two), and the chain still verifies.
    let head = app.get("/api/v1/audit/head").await.body["seq"]
        .as_i64()
        .unwrap();
    let proof = app
        .get(&format!("/api/v1/audit/proof?from={}&limit=2", head - 1))
        .await
        .body;
    for e in proof["entries"].as_array().unwrap() {
        assert_eq!(e["entity_type"], "adjustment", "{e:?}");
        assert_eq!(e["entity_id"], id.as_str());
        assert!(e["after"].to_string().contains("Cuatro puestos"), "{e:?}");
    }
    let a = app
        .graphql(
            Some(&t.coordinator),
            "{ auditChain { verified } }",
            json!({}),
        )
        .await;
    assert_eq!(
        a.body["data"]["auditChain"]["verified"], true,
        "{:?}",
        a.body
    );

    // Removing it restores the plain sum.
    let a = app
        .graphql(
            Some(&t.coordinator),
            "mutation($id: ID!) { removeAdjustment(id: $id) { value } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(a.body["data"]["removeAdjustment"]["value"], -2.0);
    assert_eq!(card(&app, "2023").await["actual"], 36.25);
    let a = app
        .graphql(
            Some(&t.coordinator),
            "mutation($id: ID!) { removeAdjustment(id: $id) { value } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&a.body), "NOT_FOUND");
}

/// A database from before series were keyed by actor, where Southern's later approval had
/// taken the count from Anglo's 2023 value (its revision 2 of the shared cell): the upgrade
/// counts Anglo's value again, through an audit entry, so the rule sees both parts.
async fn an_upgrade_counts_the_values_another_actor_displaced(app: TestApp) {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    let t = two_actors(&app).await;
    let down = std::fs::read_to_string(format!(
        "migrations/{}/2026-11-28-000011_actor_rule/down.sql",
        app.backend.name()
    ))
    .unwrap();
    let (anglo, southern, indicator) = (t.anglo, t.southern, t.indicator.clone());
    let anglo_row: i64 = app
        .direct(move |c| {
            let q = format!(
                "UPDATE measurements SET revision = 2 WHERE indicator_id = {indicator} AND period = '2023' AND actor_id = {southern}"
            );
            diesel::sql_query(q).execute(c)?;
            let q = format!(
                "UPDATE measurements SET counted = false WHERE indicator_id = {indicator} AND period = '2023' AND actor_id = {anglo}"
            );
            diesel::sql_query(q).execute(c)?;
            c.batch_execute(&down)?;
            diesel::sql_query(
                "DELETE FROM __diesel_schema_migrations WHERE version LIKE '%000011%'",
            )
            .execute(c)?;
            #[derive(QueryableByName)]
            struct Id {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                id: i64,
            }
            let q = format!(
                "SELECT id FROM measurements WHERE indicator_id = {indicator} AND period = '2023' AND actor_id = {anglo}"
            );
            Ok::<_, ayni::db::StoreError>(diesel::sql_query(q).get_result::<Id>(c)?.id)
        })
        .await
        .unwrap();
    // The service restarts on the old database: the migration runs again, with the recount.
    let again = TestApp::spawn_on(app.backend, app.database_url.clone(), None, |_| {}).await;
    let c = card(&again, "2023").await;
    assert_eq!(c["parts"].as_array().unwrap().len(), 2, "{c:?}");
    assert_eq!(c["actual"], 17.0, "LATEST: Southern's, approved last");
    let head = again.get("/api/v1/audit/head").await.body["seq"]
        .as_i64()
        .unwrap();
    let last = again
        .get(&format!("/api/v1/audit/proof?from={head}&limit=1"))
        .await
        .body;
    let entry = &last["entries"][0];
    assert_eq!(entry["entity_type"], "measurement");
    assert_eq!(entry["entity_id"], anglo_row.to_string());
    assert_eq!(
        (&entry["before"]["counted"], &entry["after"]["counted"]),
        (&json!(false), &json!(true)),
        "{entry:?}"
    );
}

crate::both_backends!(
    several_actors_keep_their_values_and_the_rule_combines_them,
    bad_rules_are_refused_and_change_nothing,
    adjustments_are_added_audited_and_published,
    an_upgrade_counts_the_values_another_actor_displaced,
);
