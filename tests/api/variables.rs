//! The variable repository over HTTP: variables, CSV import (all or nothing, idempotent),
//! territorial roll-up and formula indicators, on both backends.

use awc::http::StatusCode;
use serde_json::{Value, json};

use ayni::domain::{ActorKind, Role};

use crate::both_backends;
use crate::helpers::{TEST_PASSWORD, TestApp, error_code};
use crate::strategy::{Gql, coordinator, create_ecosystem, create_objective};
use crate::trust::{chain, sql};

both_backends!(
    variables_are_validated_filtered_and_paginated,
    csv_import_is_all_or_nothing_and_idempotent,
    observations_roll_up_by_each_variables_rule,
    formula_indicators_are_checked_and_computed,
    the_cli_imports_with_line_numbered_errors,
    several_actors_observations_combine_by_the_variables_rule,
);

const CREATE_VARIABLE: &str = "mutation($input: CreateVariableInput!) { createVariable(input: $input) { id code rollUp level periodicity themes availability weightVariable { code } responsible { name } } }";

struct Repo<'a> {
    g: Gql<'a>,
    eco: String,
    /// The actor that supplies every variable.
    supplier: String,
    objective: String,
}

/// Variables used below (yearly, by province unless said):
/// POB population (sum), HOG households (sum), HOGAGUA households with water (sum),
/// ANEM anaemia rate (weighted mean by POB), PH river pH (none, department).
async fn repo(app: &TestApp) -> Repo<'_> {
    let g = coordinator(app).await;
    let eco = create_ecosystem(&g, "moquegua").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let supplier = app
        .create_actor(
            "Gobierno Regional de Moquegua",
            ActorKind::RegionalGovernment,
        )
        .await
        .to_string();
    g.ok("mutation($e: ID!, $a: ID!) { addEcosystemMember(ecosystemId: $e, actorId: $a, roleLabel: \"Gobierno regional\") { id } }", json!({"e": eco, "a": supplier}))
        .await;
    let objective = create_objective(&g, &eco, "OE1", "RESULTS").await;
    for (code, rollup, weight, level) in [
        ("POB", "SUM", None, "PROVINCE"),
        ("HOG", "SUM", None, "PROVINCE"),
        ("HOGAGUA", "SUM", None, "PROVINCE"),
        ("ANEM", "WEIGHTED_MEAN", Some("POB"), "PROVINCE"),
        ("PH", "NONE", None, "DEPARTMENT"),
    ] {
        g.ok(
            CREATE_VARIABLE,
            json!({"input": {"code": code, "name": format!("Variable {code}"), "unit": "u", "source": "INEI",
                   "sourceDetail": "ENAHO", "periodicity": "YEARLY", "level": level, "themes": ["CB"],
                   "rollUp": rollup, "weightVariable": weight, "responsibleActorId": supplier}}),
        )
        .await;
    }
    g.ok(
        "mutation($e: ID!, $c: [String!]!) { selectVariables(ecosystemId: $e, codes: $c) }",
        json!({"e": eco, "c": ["POB", "HOG", "HOGAGUA", "ANEM", "PH"]}),
    )
    .await;
    Repo {
        g,
        eco,
        supplier,
        objective,
    }
}

fn import_path(query: &str) -> String {
    format!("/api/v1/ecosystems/moquegua/observations:import{query}")
}

/// Imports a CSV body over REST as the coordinator, for the supplier.
async fn import(r: &Repo<'_>, csv: &str) -> (StatusCode, Value) {
    let a =
        r.g.app
            .post_raw(
                &import_path(&format!("?actorId={}&fileName=datos.csv", r.supplier)),
                "text/csv",
                Some(&r.g.token),
                csv.as_bytes().to_vec(),
            )
            .await;
    (a.status, a.body)
}

async fn import_and_approve(r: &Repo<'_>, csv: &str) {
    let (status, body) = import(r, csv).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    r.g.ok(
        "mutation($id: ID!) { approveImport(id: $id) }",
        json!({"id": body["importId"].to_string()}),
    )
    .await;
}

const HEADER: &str = "variable,period,territory,value,evidence\n";

async fn values(app: &TestApp, code: &str, territory: &str) -> Vec<Value> {
    let body = app
        .graphql(
            None,
            "query($c: String!, $t: String) { variable(code: $c) { values(territory: $t) { period territory value rolledUp combined } } }",
            json!({"c": code, "t": (!territory.is_empty()).then_some(territory)}),
        )
        .await
        .body;
    assert_eq!(body["errors"], Value::Null, "{body}");
    body["data"]["variable"]["values"]
        .as_array()
        .unwrap()
        .clone()
}

async fn variables_are_validated_filtered_and_paginated(app: TestApp) {
    let r = repo(&app).await;
    let created = r
        .g
        .ok(
            "{ variable(code: \"ANEM\") { rollUp weightVariable { code } responsible { name } themes level availability } }",
            json!({}),
        )
        .await;
    assert_eq!(
        created["variable"],
        json!({"rollUp": "WEIGHTED_MEAN", "weightVariable": {"code": "POB"}, "responsible": {"name": "Gobierno Regional de Moquegua"},
               "themes": ["CB"], "level": "PROVINCE", "availability": "AVAILABLE"})
    );

    // Bad input: every problem named by field, nothing written.
    let bad = r
        .g
        .run(
            CREATE_VARIABLE,
            json!({"input": {"code": "v-1", "name": "X", "unit": "u", "source": "MEF", "periodicity": "YEARLY",
                   "level": "DISTRICT", "rollUp": "WEIGHTED_MEAN", "availability": "PARTIAL"}}),
        )
        .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    let fields: Vec<&str> = bad["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in ["code", "name", "availabilityNote", "weightVariable"] {
        assert!(fields.contains(&f), "{f}: {bad}");
    }
    let weight_not_a_count = r
        .g
        .run(
            CREATE_VARIABLE,
            json!({"input": {"code": "V2", "name": "Tasa", "unit": "%", "source": "MEF", "periodicity": "YEARLY",
                   "level": "DISTRICT", "rollUp": "WEIGHTED_MEAN", "weightVariable": "ANEM"}}),
        )
        .await;
    assert!(
        weight_not_a_count["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("a weight must be a count"),
        "{weight_not_a_count}"
    );
    let dup = r
        .g
        .run(
            CREATE_VARIABLE,
            json!({"input": {"code": "POB", "name": "Otra", "unit": "u", "source": "INEI", "periodicity": "YEARLY",
                   "level": "DISTRICT", "rollUp": "SUM"}}),
        )
        .await;
    assert_eq!(error_code(&dup), "CONFLICT");
    // Writes need a coordinator.
    let anonymous = app
        .graphql(
            None,
            CREATE_VARIABLE,
            json!({"input": {"code": "V9", "name": "Nueva", "unit": "u", "source": "INEI", "periodicity": "YEARLY",
                   "level": "DISTRICT", "rollUp": "SUM"}}),
        )
        .await
        .body;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let contributor = app.login_as(Role::Contributor).await;
    let refused = app
        .graphql(
            Some(&contributor),
            CREATE_VARIABLE,
            json!({"input": {"code": "V9", "name": "Nueva", "unit": "u", "source": "INEI", "periodicity": "YEARLY",
                   "level": "DISTRICT", "rollUp": "SUM"}}),
        )
        .await
        .body;
    assert_eq!(error_code(&refused), "FORBIDDEN");

    // Relay pagination in code order, with the total; filters combine.
    const PAGE: &str = "query($after: String, $f: VariableFilterInput) { variables(first: 2, after: $after, filter: $f) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { code } } } }";
    let mut codes = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app.graphql(None, PAGE, json!({"after": after})).await.body;
        let v = &page["data"]["variables"];
        assert_eq!(v["totalCount"], 5, "{page}");
        codes.extend(
            v["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["code"].as_str().unwrap().to_string()),
        );
        if v["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = v["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(codes, ["ANEM", "HOG", "HOGAGUA", "PH", "POB"]);
    let filtered = app
        .graphql(
            None,
            PAGE,
            json!({"f": {"ecosystem": "moquegua", "level": "DEPARTMENT", "source": "INEI", "theme": "CB", "availability": "AVAILABLE"}}),
        )
        .await
        .body;
    assert_eq!(
        filtered["data"]["variables"]["edges"],
        json!([{"cursor": filtered["data"]["variables"]["edges"][0]["cursor"], "node": {"code": "PH"}}])
    );
    // The ecosystem's selection: deselected variables leave its listing, not the repository.
    let removed =
        r.g.ok(
            "mutation($e: ID!) { deselectVariables(ecosystemId: $e, codes: [\"PH\"]) }",
            json!({"e": r.eco}),
        )
        .await;
    assert_eq!(removed["deselectVariables"], 1);
    let selected = app
        .graphql(None, PAGE, json!({"f": {"ecosystem": "moquegua"}}))
        .await
        .body;
    assert_eq!(selected["data"]["variables"]["totalCount"], 4);
    let unknown =
        r.g.run(
            "mutation($e: ID!) { selectVariables(ecosystemId: $e, codes: [\"PH\", \"NOPE\"]) }",
            json!({"e": r.eco}),
        )
        .await;
    assert_eq!(error_code(&unknown), "BAD_USER_INPUT");
    let searched = app
        .graphql(None, PAGE, json!({"f": {"search": "variable hogagua"}}))
        .await
        .body;
    assert_eq!(searched["data"]["variables"]["totalCount"], 1);
    let none = app
        .graphql(None, PAGE, json!({"f": {"theme": "GIRH"}}))
        .await
        .body;
    assert_eq!(none["data"]["variables"]["totalCount"], 0);
    let bad_cursor = app.graphql(None, PAGE, json!({"after": "zz"})).await.body;
    assert_eq!(error_code(&bad_cursor), "BAD_USER_INPUT");
    let too_many = app
        .graphql(None, "{ variables(first: 500) { totalCount } }", json!({}))
        .await
        .body;
    assert_eq!(error_code(&too_many), "BAD_USER_INPUT");
}

async fn csv_import_is_all_or_nothing_and_idempotent(app: TestApp) {
    let r = repo(&app).await;
    let before = chain(&app).await["length"].as_i64().unwrap();

    // Every bad row is reported with its line; nothing is stored.
    let bad = format!(
        "{HEADER}POB,2023,1801,95000,https://www.inei.gob.pe/\n\
         POB,2023,1802,27000,INEI\n\
         POB,2023Q1,1803,75000,INEI\n\
         XXX,2023,1803,1,INEI\n\
         POB,2023,0401,1,INEI\n\
         POB,2023,1801,95000,INEI\n\
         PH,2023,1801,7.1,INEI\n\
         POB,2022,1803,\"75,5\",INEI\n\
         POB,2021,1803,75000,\n"
    );
    let (status, body) = import(&r, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["imported"], false);
    let lines: Vec<i64> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [4, 5, 6, 7, 8, 9, 10], "{body}");
    assert_eq!(body["errorCount"], 7);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("nothing was imported")
    );
    assert_eq!(
        chain(&app).await["length"].as_i64().unwrap(),
        before,
        "nothing written"
    );

    let good = format!(
        "{HEADER}POB,2023,1801,95000,https://www.inei.gob.pe/\n\
         POB,2023,1802,27000,INEI – estimaciones\n\
         POB,2023,1803,75000,INEI – estimaciones\n\
         PH,2023,18,7.2,ANA – monitoreo (valor ilustrativo)\n"
    );
    let (status, body) = import(&r, &good).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (
            &body["rowsRead"],
            &body["rowsCreated"],
            &body["rowsUnchanged"]
        ),
        (&json!(4), &json!(4), &json!(0))
    );
    let import_id = body["importId"].to_string();

    // The same file again creates nothing.
    let (status, again) = import(&r, &good).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        (&again["rowsCreated"], &again["rowsUnchanged"]),
        (&json!(0), &json!(4))
    );
    assert_eq!(again["importId"], Value::Null);

    // The public sees nothing until a coordinator approves; then the rows count.
    assert!(values(&app, "POB", "1801").await.is_empty());
    let observations = r
        .g
        .ok(
            "{ variable(code: \"POB\") { observations { period territory value revision status importId evidenceUrl variable { code } indicator { code } } } }",
            json!({}),
        )
        .await;
    let rows = observations["variable"]["observations"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|o| o["status"] == "SUBMITTED"
        && o["importId"].as_str() == Some(import_id.as_str())
        && o["variable"]["code"] == "POB"
        && o["indicator"].is_null()));
    let approved =
        r.g.ok(
            "mutation($id: ID!) { approveImport(id: $id) }",
            json!({"id": import_id}),
        )
        .await;
    assert_eq!(approved["approveImport"], 4);
    assert_eq!(values(&app, "POB", "1801").await[0]["value"], 95000.0);

    // A changed value is a new revision of the same series, awaiting review.
    let changed = format!("{HEADER}POB,2023,1801,95500,INEI – revisión\n");
    let (status, body) = import(&r, &changed).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let revs = r
        .g
        .ok(
            "{ variable(code: \"POB\") { observations(territory: \"1801\") { revision value status counted } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        revs["variable"]["observations"],
        json!([{"revision": 2, "value": 95500.0, "status": "SUBMITTED", "counted": false},
               {"revision": 1, "value": 95000.0, "status": "APPROVED", "counted": true}])
    );

    // Who may import: a contributor only the variables its actor supplies; monitors never.
    let other = app
        .create_actor("Anglo American Quellaveco", ActorKind::Company)
        .await;
    app.create_user("aaq@ayni.test", Role::Contributor, Some(other))
        .await;
    let aaq = app.token("aaq@ayni.test", TEST_PASSWORD).await;
    let a = app
        .post_raw(
            &import_path(""),
            "text/csv",
            Some(&aaq),
            good.clone().into_bytes(),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("does not supply"),
        "{}",
        a.body
    );
    let monitor = app.login_as(Role::Monitor).await;
    let a = app
        .post_raw(
            &import_path(""),
            "text/csv",
            Some(&monitor),
            good.clone().into_bytes(),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = app
        .post_raw(
            &import_path(""),
            "text/csv",
            None,
            good.clone().into_bytes(),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = app
        .post_raw(
            "/api/v1/ecosystems/nowhere/observations:import",
            "text/csv",
            Some(&r.g.token),
            good.clone().into_bytes(),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);

    // The chain verifies, imports included; an imported value changed behind the
    // application's back breaks its import's digest.
    let c = chain(&app).await;
    assert_eq!(c["verified"], true, "{c}");
    sql(
        &app,
        "UPDATE measurements SET value = 1 WHERE territory = '1803' AND variable_id IS NOT NULL",
    )
    .await
    .unwrap();
    let c = chain(&app).await;
    assert_eq!(c["verified"], false, "{c}");
    let kinds: Vec<&str> = c["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["entityType"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"import"), "{c}");

    // The database itself refuses a measurement that refers to nothing (a foreign key on
    // SQLite, a set-wise check per statement on PostgreSQL), a statement of many rows
    // included, and keeps the rows that measurements refer to.
    let template = "INSERT INTO measurements (variable_id, period, period_start, period_end, \
         territory, disaggregation, revision, value, evidence_text, comment, actor_id, \
         submitted_at, status, counted) SELECT variable_id, '1999', '1999-01-01', '1999-12-31', \
         territory, '', id, 1.0, 'x', '', {actor}, submitted_at, 'submitted', FALSE \
         FROM measurements WHERE variable_id IS NOT NULL";
    let before = sql(&app, "UPDATE measurements SET comment = comment")
        .await
        .unwrap();
    for bad in [
        template
            .replace("variable_id, '1999'", "variable_id + 100000, '1999'")
            .replace("{actor}", "actor_id"),
        template.replace("{actor}", "actor_id + 100000"),
    ] {
        let err = sql(&app, &bad).await.unwrap_err();
        assert!(err.to_lowercase().contains("foreign"), "{err}");
    }
    sql(
        &app,
        "UPDATE measurements SET import_id = import_id + 100000 WHERE import_id IS NOT NULL",
    )
    .await
    .unwrap_err();
    for parent in ["variables", "actors", "imports"] {
        let err = sql(
            &app,
            &format!(
                "DELETE FROM {parent} WHERE id IN (SELECT {col} FROM measurements)",
                col = match parent {
                    "variables" => "variable_id",
                    "actors" => "actor_id",
                    _ => "import_id",
                }
            ),
        )
        .await
        .unwrap_err();
        assert!(err.to_lowercase().contains("foreign"), "{parent}: {err}");
    }
    let after = sql(&app, "UPDATE measurements SET comment = comment")
        .await
        .unwrap();
    assert_eq!(before, after, "nothing was stored");
    // A good statement of many rows passes.
    assert!(
        sql(&app, &template.replace("{actor}", "actor_id"))
            .await
            .unwrap()
            > 1
    );
}

async fn observations_roll_up_by_each_variables_rule(app: TestApp) {
    let r = repo(&app).await;
    import_and_approve(
        &r,
        &format!(
            "{HEADER}POB,2023,1801,95000,INEI\nPOB,2023,1802,27000,INEI\nPOB,2023,1803,75000,INEI\n\
             ANEM,2023,1801,30,MINSA\nANEM,2023,1802,40,MINSA\nANEM,2023,1803,20,MINSA\n\
             POB,2024,1801,96000,INEI\nPOB,2024,1802,27500,INEI\n\
             ANEM,2024,1801,28,MINSA\nANEM,2024,1802,38,MINSA\nANEM,2024,1803,19,MINSA\n\
             PH,2023,18,7.2,ANA\n"
        ),
    )
    .await;
    // Sum: the provinces add up; the department is rolled up from three of them.
    let pob = values(&app, "POB", "18").await;
    assert_eq!(
        pob,
        [
            json!({"period": "2023", "territory": "18", "value": 197000.0, "rolledUp": true, "combined": 3}),
            json!({"period": "2024", "territory": "18", "value": 123500.0, "rolledUp": true, "combined": 2}),
        ]
    );
    // Weighted mean by population: (30·95000 + 40·27000 + 20·75000) / 197000 = 27.5635.
    let anem = values(&app, "ANEM", "18").await;
    assert_eq!(
        anem.len(),
        1,
        "2024 lacks a weight for 1803: no value, {anem:?}"
    );
    assert!((anem[0]["value"].as_f64().unwrap() - 5_430_000.0 / 197_000.0).abs() < 1e-9);
    // An observed value is its own; a NONE rule never combines.
    assert_eq!(values(&app, "PH", "18").await[0]["rolledUp"], false);
    // Without a territory: every observed one and those above it.
    let all = values(&app, "POB", "").await;
    assert_eq!(
        all.len(),
        7,
        "2023: 18 and three provinces, 2024: 18 and two: {all:?}"
    );
}

const FORMULA_CARD: &str = "query($p: String!) { ecosystem(slug: \"moquegua\") { scorecard(period: $p) { perspectives { objectives { indicators { code actual formula noValueReason } } } } } }";

async fn card(app: &TestApp, period: &str) -> Vec<Value> {
    let body = app
        .graphql(None, FORMULA_CARD, json!({"p": period}))
        .await
        .body;
    assert_eq!(body["errors"], Value::Null, "{body}");
    body["data"]["ecosystem"]["scorecard"]["perspectives"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["objectives"].as_array().unwrap().clone())
        .flat_map(|o| o["indicators"].as_array().unwrap().clone())
        .collect()
}

async fn formula_indicators_are_checked_and_computed(app: TestApp) {
    let r = repo(&app).await;
    const VALIDATE: &str = "query($e: String!, $p: Periodicity) { validateFormula(expression: $e, periodicity: $p) { valid normalized errors { position rule message } inputs { code } } }";
    let check = |e: &'static str, p: Option<&'static str>| {
        let app = &app;
        async move {
            let body = app
                .graphql(None, VALIDATE, json!({"e": e, "p": p}))
                .await
                .body;
            assert_eq!(body["errors"], Value::Null, "{body}");
            body["data"]["validateFormula"].clone()
        }
    };
    let ok = check("100 * HOGAGUA / HOG", Some("YEARLY")).await;
    assert_eq!(ok["valid"], true);
    assert_eq!(ok["normalized"], "((100.0 * HOGAGUA) / HOG)");
    let syntax = check("100 * (HOGAGUA / HOG", None).await;
    assert_eq!(
        (
            &syntax["valid"],
            &syntax["errors"][0]["rule"],
            &syntax["errors"][0]["position"]
        ),
        (&json!(false), &json!("syntax"), &json!(21))
    );
    let unknown = check("100 * NOPE / HOG", None).await;
    assert_eq!(
        unknown["errors"],
        json!([{"position": 7, "rule": "unknown_variable", "message": "at position 7: no variable 'NOPE' in the repository"}])
    );
    let coarse = check("HOG", Some("QUARTERLY")).await;
    assert_eq!(coarse["errors"][0]["rule"], "periodicity");

    const CREATE: &str = "mutation($input: CreateIndicatorInput!) { createIndicator(input: $input) { id code formula inputs { code } } }";
    let base = |code: &str, formula: &str| {
        json!({"input": {"objectiveId": r.objective, "code": code, "name": format!("Indicador {code}"), "unit": "%",
                         "direction": "INCREASE", "periodicity": "YEARLY", "formula": formula}})
    };
    // Saving checks the formula the same way; nothing is written on error.
    let refused = r.g.run(CREATE, base("I9", "100 * NOPE")).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    assert_eq!(
        refused["errors"][0]["extensions"]["fields"][0]["field"],
        "formula"
    );
    let water = r.g.ok(CREATE, base("I1", "100 * HOGAGUA / HOG")).await["createIndicator"].clone();
    assert_eq!(
        water["inputs"],
        json!([{"code": "HOG"}, {"code": "HOGAGUA"}])
    );
    let broken =
        r.g.ok(CREATE, base("I2", "PH / (HOG - HOG)")).await["createIndicator"]["id"].clone();
    let used = app
        .graphql(
            None,
            "{ variable(code: \"HOG\") { usedBy { code } } }",
            json!({}),
        )
        .await
        .body;
    assert_eq!(
        used["data"]["variable"]["usedBy"],
        json!([{"code": "I1"}, {"code": "I2"}])
    );
    // A computed indicator takes no submitted values.
    let direct = r
        .g
        .run(
            "mutation($input: SubmitMeasurementInput!) { submitMeasurement(input: $input) { id } }",
            json!({"input": {"indicatorId": water["id"], "period": "2023", "value": 80, "actorId": r.supplier, "evidenceText": "x"}}),
        )
        .await;
    assert_eq!(error_code(&direct), "BAD_USER_INPUT");

    import_and_approve(
        &r,
        &format!(
            "{HEADER}HOG,2023,1801,25000,INEI\nHOG,2023,1802,8000,INEI\nHOG,2023,1803,20000,INEI\n\
             HOGAGUA,2023,1801,20000,SUNASS\nHOGAGUA,2023,1802,4000,SUNASS\nHOGAGUA,2023,1803,18000,SUNASS\n\
             HOG,2024,1801,25500,INEI\nPH,2023,18,7.2,ANA\n"
        ),
    )
    .await;
    // 2023: 100 · 42000 / 53000 from rolled-up provinces.
    let c2023 = card(&app, "2023").await;
    let i1 = c2023.iter().find(|i| i["code"] == "I1").unwrap();
    assert!((i1["actual"].as_f64().unwrap() - 100.0 * 42_000.0 / 53_000.0).abs() < 1e-9);
    assert_eq!(i1["formula"], "100 * HOGAGUA / HOG");
    let i2 = c2023.iter().find(|i| i["code"] == "I2").unwrap();
    assert_eq!(i2["actual"], Value::Null);
    assert_eq!(i2["noValueReason"], "2023: division by zero");
    // 2024: an input is missing: no value, never zero.
    let c2024 = card(&app, "2024").await;
    let i1 = c2024.iter().find(|i| i["code"] == "I1").unwrap();
    assert_eq!(i1["actual"], Value::Null);
    assert_eq!(i1["noValueReason"], "2024: no value for HOGAGUA");
    let series = app
        .graphql(
            None,
            "query($id: ID!) { indicator(id: $id) { series(from: \"2023\", to: \"2024\") { period actual noValueReason } } }",
            json!({"id": broken}),
        )
        .await
        .body;
    assert_eq!(
        series["data"]["indicator"]["series"][0],
        json!({"period": "2023", "actual": null, "noValueReason": "division by zero"})
    );
    // A variable whose change would break a formula cannot change that way.
    let breaking =
        r.g.run(
            "mutation { updateVariable(code: \"HOG\", input: {code: \"HOGARES\"}) { code } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&breaking), "BAD_USER_INPUT", "{breaking}");
}

async fn the_cli_imports_with_line_numbered_errors(app: TestApp) {
    let r = repo(&app).await;
    let url = app.database_url.to_string_unmasked();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("obs.csv");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ayni"))
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let args = |path: &str| {
        vec![
            "import".to_string(),
            "observations".into(),
            "--database-url".into(),
            url.clone(),
            "--ecosystem".into(),
            "moquegua".into(),
            "--actor".into(),
            "Gobierno Regional de Moquegua".into(),
            path.to_string(),
        ]
    };
    std::fs::write(
        &file,
        format!(
            "{HEADER}POB,2023,1801,95000,INEI\nPOB,20x3,1802,27000,INEI\nPOB,2023,1803,abc,INEI\n"
        ),
    )
    .unwrap();
    let path = file.to_str().unwrap().to_string();
    let a: Vec<String> = args(&path);
    let out = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("line 3: period:") && err.contains("line 4: value:"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");

    std::fs::write(
        &file,
        format!("{HEADER}POB,2023,1801,95000,INEI\nPOB,2023,1802,27000,INEI\n"),
    )
    .unwrap();
    let mut a = args(&path);
    a.push("--approve".into());
    let out = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("2 new value(s)") && text.contains("approved 2 row(s)"),
        "{text}"
    );
    assert_eq!(values(&app, "POB", "18").await[0]["value"], 122000.0);
    let _ = r;
}

/// Two actors observe the same variable, territory and period: each keeps its own series
/// (a re-import by one never counts as "unchanged" against the other's value), and the
/// variable's actor rule combines them before roll-up.
async fn several_actors_observations_combine_by_the_variables_rule(app: TestApp) {
    let r = repo(&app).await;
    let other = app
        .create_actor("INEI – Oficina Departamental", ActorKind::NationalAgency)
        .await
        .to_string();
    import_and_approve(
        &r,
        &format!("{HEADER}POB,2023,1801,1000,Censo regional\nPOB,2023,1802,500,Censo regional\n"),
    )
    .await;
    let second = r
        .g
        .app
        .post_raw(
            &import_path(&format!("?actorId={other}&fileName=inei.csv")),
            "text/csv",
            Some(&r.g.token),
            format!(
                "{HEADER}POB,2023,1801,1000,Proyección INEI\nPOB,2023,1802,700,Proyección INEI\n"
            )
            .into_bytes(),
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    assert_eq!(
        second.body["rowsCreated"], 2,
        "the same value from another actor is that actor's own revision 1"
    );
    r.g.ok(
        "mutation($id: ID!) { approveImport(id: $id) }",
        json!({"id": second.body["importId"].to_string()}),
    )
    .await;
    let at = |rows: &[Value], t: &str| {
        rows.iter()
            .find(|v| v["territory"] == t && v["period"] == "2023")
            .map(|v| v["value"].as_f64().unwrap())
    };
    // LATEST (the default): INEI's, approved last.
    let rows = values(&app, "POB", "").await;
    assert_eq!(at(&rows, "1802"), Some(700.0));
    assert_eq!(
        at(&rows, "18"),
        Some(1700.0),
        "rolled up from the provinces"
    );
    // SUM would double count here; PREFERRED names the regional government first.
    let updated = r
        .g
        .ok(
            "mutation($a: [ID!]) { updateVariable(code: \"POB\", input: { actorRule: PREFERRED, preferredActorIds: $a }) { actorRule preferredActors { name } } }",
            json!({"a": [r.supplier]}),
        )
        .await;
    assert_eq!(updated["updateVariable"]["actorRule"], "PREFERRED");
    let rows = values(&app, "POB", "").await;
    assert_eq!(at(&rows, "1802"), Some(500.0));
    assert_eq!(at(&rows, "18"), Some(1500.0));
    r.g.ok(
        "mutation { updateVariable(code: \"POB\", input: { actorRule: MEAN }) { actorRule } }",
        json!({}),
    )
    .await;
    assert_eq!(at(&values(&app, "POB", "").await, "1802"), Some(600.0));
    // A coordinator's adjustment of a variable's cell.
    let adj = r
        .g
        .ok(
            "mutation { setAdjustment(input: { variable: \"POB\", period: \"2023\", territory: \"1802\", value: -100, reason: \"Migrantes contados dos veces\" }) { value } }",
            json!({}),
        )
        .await;
    assert_eq!(adj["setAdjustment"]["value"], -100.0);
    let rows = values(&app, "POB", "").await;
    assert_eq!(at(&rows, "1802"), Some(500.0));
    assert_eq!(at(&rows, "18"), Some(1500.0));
}
