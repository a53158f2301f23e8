//! Indicators, measurements with review, the scorecard and the live feed, over HTTP.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};

use ayni::domain::{ActorKind, Role};

use crate::both_backends;
use crate::helpers::{TEST_PASSWORD, TestApp, error_code};
use crate::strategy::{Gql, coordinator, create_ecosystem, create_objective};

both_backends!(
    indicators_with_baseline_and_targets_are_validated,
    contributors_submit_for_their_own_indicators_and_coordinators_review,
    revisions_keep_history_and_the_latest_approved_counts,
    the_scorecard_rolls_up_hand_worked_numbers,
    statuses_follow_the_plan_and_scores_stay_within_zero_and_one,
    approved_values_are_pushed_to_subscribers,
);

const CREATE_INDICATOR: &str = "mutation($input: CreateIndicatorInput!) { createIndicator(input: $input) { id code direction periodicity aggregation greenThreshold amberThreshold weight } }";
const SUBMIT: &str = "mutation($input: SubmitMeasurementInput!) { submitMeasurement(input: $input) { id period territory revision value status counted actor { name } } }";
const APPROVE: &str = "mutation($id: ID!) { approveMeasurement(id: $id) { id status counted } }";

struct Fixture<'a> {
    g: Gql<'a>,
    actor: String,
    other_actor: String,
    oe1: String,
    oe2: String,
}

/// An ecosystem (territory 18) with two member actors, OE1 in RESULTS and OE2 in ENABLERS.
async fn fixture(app: &TestApp) -> Fixture<'_> {
    let g = coordinator(app).await;
    let eco = create_ecosystem(&g, "moquegua").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let actor = app
        .create_actor("Anglo American Quellaveco", ActorKind::Company)
        .await
        .to_string();
    let other_actor = app
        .create_actor(
            "Gobierno Regional de Moquegua",
            ActorKind::RegionalGovernment,
        )
        .await
        .to_string();
    for a in [&actor, &other_actor] {
        g.ok("mutation($e: ID!, $a: ID!) { addEcosystemMember(ecosystemId: $e, actorId: $a, roleLabel: \"Miembro\") { id } }", json!({"e": eco, "a": a}))
            .await;
    }
    let oe1 = create_objective(&g, &eco, "OE1", "RESULTS").await;
    let oe2 = create_objective(&g, &eco, "OE2", "ENABLERS").await;
    Fixture {
        g,
        actor,
        other_actor,
        oe1,
        oe2,
    }
}

async fn indicator(f: &Fixture<'_>, objective: &str, code: &str, extra: Value) -> String {
    let mut input = json!({"objectiveId": objective, "code": code, "name": format!("Indicador {code}"), "unit": "%",
                           "direction": "INCREASE", "periodicity": "YEARLY", "responsibleActorIds": [f.actor]});
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    f.g.ok(CREATE_INDICATOR, json!({"input": input})).await["createIndicator"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn baseline_and_targets(
    g: &Gql<'_>,
    id: &str,
    baseline: (&str, f64),
    targets: &[(&str, f64, &str)],
) {
    g.ok("mutation($i: ID!, $p: String!, $v: Float!) { setBaseline(indicatorId: $i, period: $p, value: $v, note: \"ENAHO\") { id } }",
         json!({"i": id, "p": baseline.0, "v": baseline.1})).await;
    for (p, v, h) in targets {
        g.ok("mutation($i: ID!, $p: String!, $v: Float!, $h: TargetHorizon!) { setTarget(indicatorId: $i, period: $p, value: $v, horizon: $h) { period } }",
             json!({"i": id, "p": p, "v": v, "h": h})).await;
    }
}

async fn submit_approved(
    g: &Gql<'_>,
    indicator: &str,
    actor: &str,
    period: &str,
    value: f64,
) -> String {
    let m = g
        .ok(SUBMIT, json!({"input": {"indicatorId": indicator, "period": period, "value": value, "actorId": actor,
                                     "evidenceUrl": "https://www.inei.gob.pe/estadisticas/"}}))
        .await;
    let id = m["submitMeasurement"]["id"].as_str().unwrap().to_string();
    g.ok(APPROVE, json!({"id": id})).await;
    id
}

async fn contributor_of<'a>(app: &'a TestApp, actor: &str) -> Gql<'a> {
    let email = format!("contrib-{actor}@ayni.test");
    app.create_user(&email, Role::Contributor, Some(actor.parse().unwrap()))
        .await;
    Gql {
        app,
        token: app.token(&email, TEST_PASSWORD).await,
    }
}

fn field(b: &Value) -> String {
    b["errors"][0]["extensions"]["fields"][0]["field"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

async fn indicators_with_baseline_and_targets_are_validated(app: TestApp) {
    let f = fixture(&app).await;
    let created = f
        .g
        .ok(CREATE_INDICATOR, json!({"input": {"objectiveId": f.oe1, "code": "IND1", "name": "Cobertura de agua potable", "unit": "%",
            "direction": "INCREASE", "periodicity": "QUARTERLY", "sharedValueForm": "CLUSTER", "metricCategory": "SOCIOECONOMIC",
            "source": "SUNASS", "responsibleActorIds": [f.actor]}}))
        .await;
    let c = &created["createIndicator"];
    assert_eq!(
        (
            c["periodicity"].as_str(),
            c["aggregation"].as_str(),
            c["greenThreshold"].as_f64(),
            c["amberThreshold"].as_f64(),
            c["weight"].as_f64()
        ),
        (
            Some("QUARTERLY"),
            Some("LAST"),
            Some(0.9),
            Some(0.6),
            Some(1.0)
        )
    );
    let id = c["id"].as_str().unwrap();
    baseline_and_targets(
        &f.g,
        id,
        ("2022Q4", 60.0),
        &[
            ("2024Q4", 70.0, "SHORT"),
            ("2026", 80.0, "MEDIUM"),
            ("2030", 95.0, "LONG"),
        ],
    )
    .await;
    let read = app
        .graphql(None, "query($id: ID!) { indicator(id: $id) { baseline { period value note } targets { period value horizon } responsibleActors { name } objective { code } sharedValueForm metricCategory } }", json!({"id": id}))
        .await
        .body;
    let i = &read["data"]["indicator"];
    assert_eq!(
        i["baseline"],
        json!({"period": "2022Q4", "value": 60.0, "note": "ENAHO"})
    );
    assert_eq!(i["targets"].as_array().unwrap().len(), 3);
    assert_eq!(
        i["targets"][2],
        json!({"period": "2030", "value": 95.0, "horizon": "LONG"})
    );
    assert_eq!(i["objective"]["code"], "OE1");
    assert_eq!(i["sharedValueForm"], "CLUSTER");
    let obj = app
        .graphql(
            None,
            "query($id: ID!) { objective(id: $id) { indicators { code } } }",
            json!({"id": f.oe1}),
        )
        .await
        .body;
    assert_eq!(
        obj["data"]["objective"]["indicators"],
        json!([{"code": "IND1"}])
    );

    // Bad input: clear field errors, nothing written.
    let range =
        f.g.run(
            CREATE_INDICATOR,
            json!({"input": {"objectiveId": f.oe1, "code": "IND2", "name": "pH", "unit": "pH",
        "direction": "RANGE", "periodicity": "YEARLY"}}),
        )
        .await;
    assert_eq!(
        (error_code(&range), field(&range).as_str()),
        ("BAD_USER_INPUT", "rangeLower")
    );
    let dup =
        f.g.run(
            CREATE_INDICATOR,
            json!({"input": {"objectiveId": f.oe1, "code": "IND1", "name": "Otro", "unit": "%",
        "direction": "INCREASE", "periodicity": "YEARLY"}}),
        )
        .await;
    assert_eq!(error_code(&dup), "CONFLICT");
    let weight =
        f.g.run(
            CREATE_INDICATOR,
            json!({"input": {"objectiveId": f.oe1, "code": "IND3", "name": "Peso", "unit": "%",
        "direction": "INCREASE", "periodicity": "YEARLY", "weight": -1}}),
        )
        .await;
    assert_eq!(field(&weight), "weight");
    let infinite = f.g.run("mutation($i: ID!) { setTarget(indicatorId: $i, period: \"2027\", value: 1e999, horizon: LONG) { period } }", json!({"i": id})).await;
    assert_eq!(error_code(&infinite), "BAD_USER_INPUT", "{infinite}");
    let before_baseline = f.g.run("mutation($i: ID!) { setTarget(indicatorId: $i, period: \"2021\", value: 50, horizon: SHORT) { period } }", json!({"i": id})).await;
    assert_eq!(
        (
            error_code(&before_baseline),
            field(&before_baseline).as_str()
        ),
        ("BAD_USER_INPUT", "period")
    );
    let bad_period = f.g.run("mutation($i: ID!) { setTarget(indicatorId: $i, period: \"2027-01\", value: 50, horizon: SHORT) { period } }", json!({"i": id})).await;
    assert_eq!(field(&bad_period), "period");
    let late_baseline =
        f.g.run(
            "mutation($i: ID!) { setBaseline(indicatorId: $i, period: \"2025\", value: 1) { id } }",
            json!({"i": id}),
        )
        .await;
    assert_eq!(error_code(&late_baseline), "BAD_USER_INPUT");
    let removed = f.g.ok("mutation($i: ID!) { removeTarget(indicatorId: $i, period: \"2026\") { period value } }", json!({"i": id})).await;
    assert_eq!(removed["removeTarget"]["value"], 80.0);
    let monitor = Gql {
        app: &app,
        token: app.login_as(Role::Monitor).await,
    };
    let forbidden = monitor
        .run(
            CREATE_INDICATOR,
            json!({"input": {"objectiveId": f.oe1, "code": "IND9", "name": "Nueve", "unit": "%",
        "direction": "INCREASE", "periodicity": "YEARLY"}}),
        )
        .await;
    assert_eq!(error_code(&forbidden), "FORBIDDEN");
    let updated = f.g.ok("mutation($i: ID!) { updateIndicator(id: $i, input: {name: \"Cobertura de agua (%)\", weight: 2}) { name weight periodicity } }", json!({"i": id})).await;
    assert_eq!(
        updated["updateIndicator"],
        json!({"name": "Cobertura de agua (%)", "weight": 2.0, "periodicity": "QUARTERLY"})
    );

    // An objective with indicators is deleted only with force, and never once values exist.
    let del =
        f.g.run(
            "mutation($id: ID!) { deleteObjective(id: $id) { code } }",
            json!({"id": f.oe1}),
        )
        .await;
    assert!(
        error_code(&del) == "CONFLICT"
            && del["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("IND1"),
        "{del}"
    );
    submit_approved(&f.g, id, &f.actor, "2023Q1", 61.0).await;
    let del =
        f.g.run(
            "mutation($id: ID!) { deleteObjective(id: $id, force: true) { code } }",
            json!({"id": f.oe1}),
        )
        .await;
    assert_eq!(error_code(&del), "CONFLICT");
    let other = indicator(&f, &f.oe2, "IND5", json!({})).await;
    let gone =
        f.g.ok(
            "mutation($id: ID!) { deleteObjective(id: $id, force: true) { code } }",
            json!({"id": f.oe2}),
        )
        .await;
    assert_eq!(gone["deleteObjective"]["code"], "OE2");
    let none = app
        .graphql(
            None,
            "query($id: ID!) { indicator(id: $id) { id } }",
            json!({"id": other}),
        )
        .await
        .body;
    assert_eq!(none["data"]["indicator"], Value::Null);
}

async fn contributors_submit_for_their_own_indicators_and_coordinators_review(app: TestApp) {
    let f = fixture(&app).await;
    let mine = indicator(&f, &f.oe1, "IND1", json!({})).await;
    let theirs = indicator(
        &f,
        &f.oe1,
        "IND2",
        json!({"responsibleActorIds": [f.other_actor]}),
    )
    .await;
    let contributor = contributor_of(&app, &f.actor).await;
    let submission = |indicator: &str, period: &str| {
        json!({"input": {"indicatorId": indicator, "period": period, "value": 64.5, "territory": "1801",
                         "evidenceText": "Informe de sostenibilidad 2023, p. 42", "comment": "Dato provincial"}})
    };

    let ok = contributor.ok(SUBMIT, submission(&mine, "2023")).await;
    let m = &ok["submitMeasurement"];
    assert_eq!(
        (
            m["status"].as_str(),
            m["revision"].as_i64(),
            m["territory"].as_str(),
            m["counted"].as_bool()
        ),
        (Some("SUBMITTED"), Some(1), Some("1801"), Some(false))
    );
    assert_eq!(m["actor"]["name"], "Anglo American Quellaveco");
    let measurement = m["id"].as_str().unwrap().to_string();

    let other = contributor.run(SUBMIT, submission(&theirs, "2023")).await;
    assert_eq!(error_code(&other), "FORBIDDEN", "another actor's indicator");
    let mut impersonate = submission(&mine, "2024");
    impersonate["input"]["actorId"] = json!(f.other_actor);
    assert_eq!(
        error_code(&contributor.run(SUBMIT, impersonate).await),
        "FORBIDDEN"
    );
    let monitor = Gql {
        app: &app,
        token: app.login_as(Role::Monitor).await,
    };
    assert_eq!(
        error_code(&monitor.run(SUBMIT, submission(&mine, "2024")).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&contributor.run(APPROVE, json!({"id": measurement})).await),
        "FORBIDDEN",
        "approving as contributor"
    );
    let reject = "mutation($id: ID!, $r: String!) { rejectMeasurement(id: $id, reason: $r) { status rejectReason } }";
    let no_reason =
        f.g.run(reject, json!({"id": measurement, "r": "   "}))
            .await;
    assert_eq!(
        (error_code(&no_reason), field(&no_reason).as_str()),
        ("BAD_USER_INPUT", "reason")
    );

    // Bad values: wrong period type, outside the territory, no evidence.
    for (key, value, expected_field) in [
        ("period", json!("2023Q1"), "period"),
        ("territory", json!("1501"), "territory"),
        ("territory", json!("99"), "territory"),
        ("evidenceText", Value::Null, "evidenceUrl"),
    ] {
        let mut s = submission(&mine, "2024");
        s["input"][key] = value;
        let b = contributor.run(SUBMIT, s).await;
        assert_eq!(
            (error_code(&b), field(&b).as_str()),
            ("BAD_USER_INPUT", expected_field),
            "{key}: {b}"
        );
    }
    let list = "query($id: ID!) { indicator(id: $id) { measurements { id status value } } }";
    // Before review: the public sees nothing, the contributor its own, the coordinator all.
    assert_eq!(
        app.graphql(None, list, json!({"id": mine})).await.body["data"]["indicator"]["measurements"],
        json!([])
    );
    assert_eq!(
        monitor.ok(list, json!({"id": mine})).await["indicator"]["measurements"],
        json!([])
    );
    assert_eq!(
        contributor.ok(list, json!({"id": mine})).await["indicator"]["measurements"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let stranger = contributor_of(&app, &f.other_actor).await;
    assert_eq!(
        stranger.ok(list, json!({"id": mine})).await["indicator"]["measurements"],
        json!([])
    );
    assert_eq!(
        f.g.ok(list, json!({"id": mine})).await["indicator"]["measurements"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let approved = f.g.ok(APPROVE, json!({"id": measurement})).await;
    assert_eq!(
        approved["approveMeasurement"],
        json!({"id": measurement, "status": "APPROVED", "counted": true})
    );
    assert_eq!(
        error_code(&f.g.run(APPROVE, json!({"id": measurement})).await),
        "CONFLICT",
        "approved once"
    );
    let public = app.graphql(None, list, json!({"id": mine})).await.body;
    assert_eq!(
        public["data"]["indicator"]["measurements"][0]["value"],
        64.5
    );

    let second = contributor.ok(SUBMIT, submission(&mine, "2024")).await["submitMeasurement"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let rejected =
        f.g.ok(
            reject,
            json!({"id": second, "r": "El informe citado no contiene este dato"}),
        )
        .await;
    assert_eq!(
        rejected["rejectMeasurement"],
        json!({"status": "REJECTED", "rejectReason": "El informe citado no contiene este dato"})
    );
    let filtered =
        f.g.ok(
            "query($id: ID!) { indicator(id: $id) { measurements(status: REJECTED) { id } } }",
            json!({"id": mine}),
        )
        .await;
    assert_eq!(
        filtered["indicator"]["measurements"],
        json!([{"id": second}])
    );
    assert_eq!(app.graphql(None, list, json!({"id": mine})).await.body["data"]["indicator"]["measurements"].as_array().unwrap().len(), 1);
}

async fn revisions_keep_history_and_the_latest_approved_counts(app: TestApp) {
    let f = fixture(&app).await;
    let ind = indicator(&f, &f.oe1, "IND1", json!({})).await;
    baseline_and_targets(&f.g, &ind, ("2022", 50.0), &[("2026", 100.0, "MEDIUM")]).await;
    let first = submit_approved(&f.g, &ind, &f.actor, "2024", 60.0).await;
    let card = "{ ecosystem(slug: \"moquegua\") { scorecard(period: \"2024\") { perspectives { objectives { indicators { code actual } } } } } }";
    let actual = |b: &Value| {
        b["data"]["ecosystem"]["scorecard"]["perspectives"][0]["objectives"][0]["indicators"][0]["actual"].clone()
    };
    assert_eq!(actual(&app.graphql(None, card, json!({})).await.body), 60.0);

    // A correction: revision 2, submitted — the approved revision 1 still counts.
    let correction = f.g.ok(SUBMIT, json!({"input": {"indicatorId": ind, "period": "2024", "value": 62.5, "actorId": f.actor, "evidenceText": "Fe de erratas"}})).await;
    assert_eq!(correction["submitMeasurement"]["revision"], 2);
    let second = correction["submitMeasurement"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(actual(&app.graphql(None, card, json!({})).await.body), 60.0);
    f.g.ok(APPROVE, json!({"id": second})).await;
    assert_eq!(actual(&app.graphql(None, card, json!({})).await.body), 62.5);

    let history = app
        .graphql(None, "query($id: ID!) { indicator(id: $id) { measurements(from: \"2024\", to: \"2024\") { id revision value counted status } } }", json!({"id": ind}))
        .await
        .body;
    assert_eq!(
        history["data"]["indicator"]["measurements"],
        json!([
            {"id": second, "revision": 2, "value": 62.5, "counted": true, "status": "APPROVED"},
            {"id": first, "revision": 1, "value": 60.0, "counted": false, "status": "APPROVED"},
        ])
    );
    // A revision sent while the actor's previous one still awaits review replaces it: the
    // earlier one closes as rejected with the reason, so reviewers judge only the latest.
    let third = f.g.ok(SUBMIT, json!({"input": {"indicatorId": ind, "period": "2024", "value": 63.0, "actorId": f.actor, "evidenceText": "Cifra preliminar"}})).await;
    let fourth = f.g.ok(SUBMIT, json!({"input": {"indicatorId": ind, "period": "2024", "value": 63.5, "actorId": f.actor, "evidenceText": "Cifra final"}})).await;
    assert_eq!(fourth["submitMeasurement"]["revision"], 4);
    let history = app
        .graphql(None, "query($id: ID!) { indicator(id: $id) { measurements(from: \"2024\", to: \"2024\") { id revision status rejectReason } } }", json!({"id": ind}))
        .await;
    let rows = f.g.ok("query($id: ID!) { indicator(id: $id) { measurements(from: \"2024\", to: \"2024\") { id revision status rejectReason } } }", json!({"id": ind})).await;
    let rows = rows["indicator"]["measurements"]
        .as_array()
        .unwrap()
        .clone();
    let by_rev = |r: i64| rows.iter().find(|m| m["revision"] == r).unwrap().clone();
    assert_eq!(by_rev(3)["id"], third["submitMeasurement"]["id"]);
    assert_eq!(by_rev(3)["status"], "REJECTED");
    assert_eq!(
        by_rev(3)["rejectReason"],
        "Reemplazado por la revisión 4 / Superseded by revision 4"
    );
    assert_eq!(by_rev(4)["status"], "SUBMITTED");
    assert_eq!(
        by_rev(2)["status"],
        "APPROVED",
        "approved revisions stay as they are"
    );
    // The public sees neither pending nor replaced revisions.
    assert_eq!(
        history.body["data"]["indicator"]["measurements"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{:?}",
        history.body
    );
    assert_eq!(actual(&app.graphql(None, card, json!({})).await.body), 62.5);

    // District values and disaggregations are separate series and do not touch the total.
    f.g.ok(SUBMIT, json!({"input": {"indicatorId": ind, "period": "2024", "value": 40.0, "actorId": f.actor, "territory": "180101",
        "disaggregation": [{"key": "sexo", "value": "F"}], "evidenceText": "Padrón"}})).await;
    assert_eq!(actual(&app.graphql(None, card, json!({})).await.body), 62.5);
}

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-6)
}

async fn the_scorecard_rolls_up_hand_worked_numbers(app: TestApp) {
    let f = fixture(&app).await;
    // The plan at the end of 2024: 731 of the 1 461 days from the end of 2022 to the end of
    // 2026 have passed, so each planned value is baseline + (target − baseline)·731/1461.
    // OE1 (RESULTS): IND1 water coverage 60 → 80 by 2026, 2024 actual 71: planned ≈70.007,
    //                performance 11/10.007 ≈ 1.099 (green, on track); progress 11/20 = 0.55.
    //                IND2 anaemia (decrease) 40 → 20 by 2026, 2024 actual 22: planned ≈29.993,
    //                performance 18/10.007 ≈ 1.799 (green); progress 0.9; weight 3.
    //                OE1 = (min(1.099, 1)·1 + min(1.799, 1)·3)/4 = 1 (green). Coverage 2/2.
    // OE2 (ENABLERS): IND3 new suppliers, SUM, 0 → 100 by 2026; 30 in 2023 + 45 in 2024 = 75:
    //                planned ≈50.034, performance ≈1.499 (green), progress 0.75;
    //                IND4 no data. OE2 = 1, coverage 1/2.
    // Ecosystem = mean of RESULTS 1 and ENABLERS 1 = 1 (green); coverage 3/4.
    let planned = |b: f64, t: f64| b + (t - b) * 731.0 / 1461.0;
    let ind1 = indicator(&f, &f.oe1, "IND1", json!({})).await;
    let ind2 = indicator(
        &f,
        &f.oe1,
        "IND2",
        json!({"direction": "DECREASE", "weight": 3}),
    )
    .await;
    let ind3 = indicator(
        &f,
        &f.oe2,
        "IND3",
        json!({"aggregation": "SUM", "unit": "proveedores"}),
    )
    .await;
    let ind4 = indicator(&f, &f.oe2, "IND4", json!({})).await;
    baseline_and_targets(&f.g, &ind1, ("2022", 60.0), &[("2026", 80.0, "MEDIUM")]).await;
    baseline_and_targets(&f.g, &ind2, ("2022", 40.0), &[("2026", 20.0, "MEDIUM")]).await;
    baseline_and_targets(&f.g, &ind3, ("2022", 0.0), &[("2026", 100.0, "MEDIUM")]).await;
    baseline_and_targets(&f.g, &ind4, ("2022", 10.0), &[("2026", 20.0, "MEDIUM")]).await;
    submit_approved(&f.g, &ind1, &f.actor, "2024", 71.0).await;
    submit_approved(&f.g, &ind2, &f.actor, "2024", 22.0).await;
    submit_approved(&f.g, &ind3, &f.actor, "2023", 30.0).await;
    submit_approved(&f.g, &ind3, &f.actor, "2024", 45.0).await;

    let q = r#"{ ecosystem(slug: "moquegua") { scorecard(period: "2024") { period score coverage status
        perspectives { kind name score coverage status
          objectives { code score coverage status
            indicators { code baseline actual target expected planned performance progress attainment status onTrack } } } } } }"#;
    let body = app.graphql(None, q, json!({})).await.body;
    assert_eq!(body["errors"], Value::Null, "{body}");
    let card = &body["data"]["ecosystem"]["scorecard"];
    assert_eq!(card["period"], "2024");
    assert!(close(&card["score"], 1.0), "{}", card["score"]);
    assert_eq!(card["status"], "GREEN");
    assert!(close(&card["coverage"], 0.75));
    let ps = card["perspectives"].as_array().unwrap();
    assert_eq!(ps.len(), 4);
    let results = &ps[0];
    assert_eq!(results["kind"], "RESULTS");
    assert!(close(&results["score"], 1.0));
    assert_eq!(results["status"], "GREEN");
    let oe1 = &results["objectives"][0];
    assert!(close(&oe1["score"], 1.0) && close(&oe1["coverage"], 1.0));
    let i1 = &oe1["indicators"][0];
    assert_eq!(
        (
            i1["code"].as_str(),
            i1["status"].as_str(),
            i1["baseline"].as_f64(),
            i1["actual"].as_f64(),
            i1["target"].as_f64()
        ),
        (
            Some("IND1"),
            Some("GREEN"),
            Some(60.0),
            Some(71.0),
            Some(80.0)
        )
    );
    assert!(close(&i1["progress"], 0.55) && close(&i1["attainment"], 71.0 / 80.0));
    assert_eq!(
        i1["onTrack"], true,
        "expected ≈70.0 at the end of 2024 (731 of 1461 days)"
    );
    assert!(close(&i1["expected"], planned(60.0, 80.0)));
    assert_eq!(
        i1["planned"], i1["expected"],
        "planned is expected's new name"
    );
    assert!(close(
        &i1["performance"],
        11.0 / (planned(60.0, 80.0) - 60.0)
    ));
    let i2 = &oe1["indicators"][1];
    assert!(close(&i2["progress"], 0.9) && close(&i2["attainment"], 20.0 / 22.0));
    assert!(close(
        &i2["performance"],
        -18.0 / (planned(40.0, 20.0) - 40.0)
    ));
    assert_eq!(i2["status"], "GREEN");
    assert_eq!(
        (
            ps[1]["score"].clone(),
            ps[1]["status"].as_str(),
            ps[1]["coverage"].as_f64()
        ),
        (Value::Null, Some("NO_DATA"), Some(0.0))
    );
    let enablers = &ps[3];
    assert!(close(&enablers["score"], 1.0) && close(&enablers["coverage"], 0.5));
    let i3 = &enablers["objectives"][0]["indicators"][0];
    assert_eq!(
        i3["actual"], 75.0,
        "SUM accumulates 30 + 45 from the baseline"
    );
    assert!(close(&i3["performance"], 75.0 / planned(0.0, 100.0)) && close(&i3["progress"], 0.75));
    assert_eq!(i3["status"], "GREEN");
    assert_eq!(
        enablers["objectives"][0]["indicators"][1]["status"],
        "NO_DATA"
    );

    // The series of IND1: one point per year from the baseline to the last target.
    let series = app
        .graphql(None, "query($id: ID!) { indicator(id: $id) { series { period actual expected planned target performance progress status onTrack } } }", json!({"id": ind1}))
        .await
        .body;
    let points = series["data"]["indicator"]["series"].as_array().unwrap();
    let periods: Vec<&str> = points
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, ["2022", "2023", "2024", "2025", "2026"]);
    assert!(close(&points[0]["expected"], 60.0) && close(&points[4]["expected"], 80.0));
    assert_eq!(points[2]["actual"], 71.0);
    assert!(close(&points[2]["planned"], planned(60.0, 80.0)));
    assert!(close(
        &points[2]["performance"],
        11.0 / (planned(60.0, 80.0) - 60.0)
    ));
    assert_eq!(
        (points[2]["status"].as_str(), points[2]["onTrack"].as_bool()),
        (Some("GREEN"), Some(true))
    );
    assert_eq!(points[3]["status"], "NO_DATA");
    let bad = app
        .graphql(
            None,
            "{ ecosystem(slug: \"moquegua\") { scorecard(period: \"2024-01\") { score } } }",
            json!({}),
        )
        .await
        .body;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
}

async fn statuses_follow_the_plan_and_scores_stay_within_zero_and_one(app: TestApp) {
    let f = fixture(&app).await;
    // The same plan as the hand-worked scorecard: 60 → 80, 40 → 20 (decrease), 10 → 20,
    // baselines 2022, targets 2026; at the end of 2024 each plan is half-way (731/1461 days).
    let planned = |b: f64, t: f64| b + (t - b) * 731.0 / 1461.0;
    let ind1 = indicator(&f, &f.oe1, "IND1", json!({})).await;
    let ind2 = indicator(
        &f,
        &f.oe1,
        "IND2",
        json!({"direction": "DECREASE", "weight": 3}),
    )
    .await;
    let ind4 = indicator(&f, &f.oe2, "IND4", json!({})).await;
    let ph = indicator(
        &f,
        &f.oe2,
        "PH",
        json!({"direction": "RANGE", "rangeLower": 6.5, "rangeUpper": 8.5, "unit": "pH"}),
    )
    .await;
    baseline_and_targets(&f.g, &ind1, ("2022", 60.0), &[("2026", 80.0, "MEDIUM")]).await;
    baseline_and_targets(&f.g, &ind2, ("2022", 40.0), &[("2026", 20.0, "MEDIUM")]).await;
    baseline_and_targets(&f.g, &ind4, ("2022", 10.0), &[("2026", 20.0, "MEDIUM")]).await;
    baseline_and_targets(&f.g, &ph, ("2022", 7.2), &[("2026", 7.5, "MEDIUM")]).await;
    // A bad value that is still a plausible percentage: IND1 = 5 (50 typed without its zero).
    // Progress (5 − 60)/20 = −2.75 and the old roll-up OE1 = (−2.75·1 + 0.9·3)/4 = −0.0125
    // would have left [0, 1].
    submit_approved(&f.g, &ind1, &f.actor, "2024", 5.0).await;
    // IND2 22: performance 18/10.007 ≈ 1.8, clamped to 1 in the roll-up.
    submit_approved(&f.g, &ind2, &f.actor, "2024", 22.0).await;
    // IND4 14: planned ≈15.003, performance 4/5.003 ≈ 0.7995 → AMBER, behind the plan.
    submit_approved(&f.g, &ind4, &f.actor, "2024", 14.0).await;
    // pH 9.0: 0.5 outside a band 2 wide → 0.75 → AMBER, off track.
    submit_approved(&f.g, &ph, &f.actor, "2024", 9.0).await;

    let q = r#"{ ecosystem(slug: "moquegua") { scorecard(period: "2024") { score status
        perspectives { kind score status objectives { code score status
          indicators { code planned performance progress status onTrack } } } } } }"#;
    let body = app.graphql(None, q, json!({})).await.body;
    assert_eq!(body["errors"], Value::Null, "{body}");
    let card = &body["data"]["ecosystem"]["scorecard"];
    let ps = card["perspectives"].as_array().unwrap();
    let oe1 = &ps[0]["objectives"][0];
    let i1 = &oe1["indicators"][0];
    assert!(close(
        &i1["performance"],
        -55.0 / (planned(60.0, 80.0) - 60.0)
    ));
    assert!(close(&i1["progress"], -2.75));
    assert_eq!(
        (i1["status"].as_str(), i1["onTrack"].as_bool()),
        (Some("RED"), Some(false))
    );
    // OE1 = (0·1 + 1·3)/4 = 0.75: the bad value counts as 0, not −5.5.
    assert!(close(&oe1["score"], 0.75), "{}", oe1["score"]);
    assert_eq!(oe1["status"], "AMBER");
    assert!(close(&ps[0]["score"], 0.75));
    let oe2 = &ps[3]["objectives"][0];
    let i4 = &oe2["indicators"][0];
    assert!(close(
        &i4["performance"],
        4.0 / (planned(10.0, 20.0) - 10.0)
    ));
    assert_eq!(i4["status"], "AMBER");
    let range = &oe2["indicators"][1];
    assert_eq!(range["code"], "PH");
    assert!(close(&range["performance"], 0.75));
    assert_eq!(
        (range["status"].as_str(), range["onTrack"].as_bool()),
        (Some("AMBER"), Some(false))
    );
    // OE2 = (0.7995 + 0.75)/2 ≈ 0.7747; the ecosystem = (0.75 + 0.7747)/2 ≈ 0.7624.
    let oe2_score = (4.0 / (planned(10.0, 20.0) - 10.0) + 0.75) / 2.0;
    assert!(close(&oe2["score"], oe2_score), "{}", oe2["score"]);
    assert!(close(&card["score"], (0.75 + oe2_score) / 2.0));
    assert_eq!(card["status"], "AMBER");
    // Every score lies within [0, 1]; every indicator on track is green.
    let scores = std::iter::once(&card["score"])
        .chain(ps.iter().map(|p| &p["score"]))
        .chain(ps.iter().flat_map(|p| {
            p["objectives"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| &o["score"])
        }));
    for s in scores.filter(|s| !s.is_null()) {
        let s = s.as_f64().unwrap();
        assert!((0.0..=1.0).contains(&s), "{s}");
    }
    // Back inside the band: pH 7.0 → performance 1, on track, green.
    submit_approved(&f.g, &ph, &f.actor, "2024", 7.0).await;
    let body = app.graphql(None, q, json!({})).await.body;
    let range = &body["data"]["ecosystem"]["scorecard"]["perspectives"][3]["objectives"][0]["indicators"]
        [1];
    assert_eq!(
        (
            range["performance"].as_f64(),
            range["status"].as_str(),
            range["onTrack"].as_bool()
        ),
        (Some(1.0), Some("GREEN"), Some(true))
    );

    // The shared-value view rolls up the same way: never below 0.
    let shared = app
        .graphql(None, r#"{ ecosystem(slug: "moquegua") { sharedValue(period: "2024") { score byForm { score } } } }"#, json!({}))
        .await
        .body;
    let overall = shared["data"]["ecosystem"]["sharedValue"]["score"].as_f64();
    // (0 + 1·3 + 0.7995 + 1)/6 with the weights 1, 3, 1, 1 and pH back at 1.
    let expected = (3.0 + 4.0 / (planned(10.0, 20.0) - 10.0) + 1.0) / 6.0;
    assert!(
        overall.is_some_and(|s| (s - expected).abs() < 1e-6),
        "{shared}"
    );
}

async fn approved_values_are_pushed_to_subscribers(app: TestApp) {
    let f = fixture(&app).await;
    let ind = indicator(&f, &f.oe1, "IND1", json!({})).await;
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
    let next_text = |frame: awc::ws::Frame| match frame {
        awc::ws::Frame::Text(b) => serde_json::from_slice::<Value>(&b).unwrap(),
        other => panic!("unexpected frame {other:?}"),
    };
    let ack = next_text(ws.next().await.unwrap().unwrap());
    assert_eq!(ack["type"], "connection_ack");
    ws.send(send(json!({"id": "1", "type": "subscribe", "payload": {
        "query": "subscription { measurementApproved(ecosystemSlug: \"moquegua\") { value period indicator { code } actor { name } } }"}})))
        .await
        .unwrap();
    // The subscription registers asynchronously: approve values until the first arrives
    // (bounded), instead of guessing how long registration takes.
    let mut received = None;
    for attempt in 0..20 {
        submit_approved(&f.g, &ind, &f.actor, &format!("{}", 2010 + attempt), 71.5).await;
        if let Ok(Some(frame)) =
            actix_web::rt::time::timeout(Duration::from_millis(500), ws.next()).await
        {
            received = Some(frame);
            break;
        }
    }
    let msg = next_text(
        received
            .expect("a value pushed within 20 approvals")
            .unwrap(),
    );
    assert_eq!(msg["type"], "next", "{msg}");
    let pushed = &msg["payload"]["data"]["measurementApproved"];
    assert_eq!(pushed["value"], 71.5);
    assert_eq!(pushed["indicator"], json!({"code": "IND1"}));
    assert_eq!(
        pushed["actor"],
        json!({"name": "Anglo American Quellaveco"})
    );
    assert!(
        pushed["period"].as_str().unwrap().starts_with("201"),
        "{pushed}"
    );
}
