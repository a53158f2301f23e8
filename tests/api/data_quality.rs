//! Plausible values and period locks over HTTP, on both backends: future periods and values
//! outside the valid range are refused on every entry path (nothing stored), outliers are
//! flagged with their reason, and a locked period refuses submissions, reviews, withdrawals
//! and imports with `PERIOD_LOCKED`.

use awc::http::StatusCode;
use chrono::Datelike;
use diesel::prelude::*;
use serde_json::{Value, json};

use ayni::db::schema::audit_log;
use ayni::domain::{ActorKind, Role};

use crate::both_backends;
use crate::helpers::{TEST_PASSWORD, TestApp, error_code};
use crate::strategy::{Gql, coordinator, create_ecosystem, create_objective};
use crate::trust::chain;

both_backends!(
    future_periods_and_implausible_values_are_refused,
    outliers_are_flagged_with_their_reason,
    period_locks_are_audited_and_close_every_path,
);

const CREATE_INDICATOR: &str = "mutation($input: CreateIndicatorInput!) { createIndicator(input: $input) { id code unit validMin validMax } }";
const CREATE_VARIABLE: &str = "mutation($input: CreateVariableInput!) { createVariable(input: $input) { id code validMin validMax } }";
const SUBMIT: &str = "mutation($input: SubmitMeasurementInput!) { submitMeasurement(input: $input) { id period value status } }";
const OBSERVE: &str = "mutation($input: SubmitObservationInput!) { submitObservation(input: $input) { id period value status } }";
const HEADER: &str = "variable,period,territory,value,evidence\n";

struct Setup<'a> {
    g: Gql<'a>,
    eco: String,
    supplier: String,
    /// A contributor of the supplier.
    contributor: String,
    /// `%` yearly indicator (no range given: 0..100).
    pct: String,
    /// A count of students, 0..50000.
    students: String,
    /// A quarterly indicator.
    quarterly: String,
}

fn this_year() -> i32 {
    chrono::Utc::now().year()
}

async fn setup(app: &TestApp) -> Setup<'_> {
    let g = coordinator(app).await;
    let eco = create_ecosystem(&g, "moquegua").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let supplier_id = app
        .create_actor(
            "Gobierno Regional de Moquegua",
            ActorKind::RegionalGovernment,
        )
        .await;
    let supplier = supplier_id.to_string();
    g.ok("mutation($e: ID!, $a: ID!) { addEcosystemMember(ecosystemId: $e, actorId: $a, roleLabel: \"Gobierno regional\") { id } }", json!({"e": eco, "a": supplier}))
        .await;
    app.create_user("gore@ayni.test", Role::Contributor, Some(supplier_id))
        .await;
    let contributor = app.token("gore@ayni.test", TEST_PASSWORD).await;
    let objective = create_objective(&g, &eco, "OE1", "RESULTS").await;
    let mut ids = Vec::new();
    for (code, unit, periodicity, min, max) in [
        ("PCT", "% de hogares", "YEARLY", None, None),
        ("EST", "estudiantes", "YEARLY", Some(0.0), Some(50000.0)),
        ("TRIM", "t", "QUARTERLY", None, None),
    ] {
        let d = g
            .ok(
                CREATE_INDICATOR,
                json!({"input": {"objectiveId": objective, "code": code, "name": format!("Indicador {code}"), "unit": unit,
                       "direction": "INCREASE", "periodicity": periodicity, "responsibleActorIds": [supplier],
                       "validMin": min, "validMax": max}}),
            )
            .await;
        ids.push(d["createIndicator"]["id"].as_str().unwrap().to_string());
    }
    for (code, unit, level) in [("VPCT", "%", "PROVINCE"), ("VDIS", "t", "DISTRICT")] {
        g.ok(
            CREATE_VARIABLE,
            json!({"input": {"code": code, "name": format!("Variable {code}"), "unit": unit, "source": "INEI",
                   "periodicity": "YEARLY", "level": level, "rollUp": "NONE", "responsibleActorId": supplier}}),
        )
        .await;
    }
    g.ok(
        "mutation($e: ID!, $c: [String!]!) { selectVariables(ecosystemId: $e, codes: $c) }",
        json!({"e": eco, "c": ["VPCT", "VDIS"]}),
    )
    .await;
    Setup {
        g,
        eco,
        supplier,
        contributor,
        pct: ids[0].clone(),
        students: ids[1].clone(),
        quarterly: ids[2].clone(),
    }
}

fn value(s: &Setup<'_>, indicator: &str, period: &str, v: f64) -> Value {
    json!({"input": {"indicatorId": indicator, "period": period, "value": v, "evidenceText": "Registro",
                     "actorId": s.supplier}})
}

fn field_of(body: &Value) -> Vec<String> {
    body["errors"][0]["extensions"]["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn stored_values(s: &Setup<'_>, indicator: &str) -> usize {
    let d =
        s.g.ok(
            "query($id: ID!) { indicator(id: $id) { measurements { id } } }",
            json!({"id": indicator}),
        )
        .await;
    d["indicator"]["measurements"].as_array().unwrap().len()
}

async fn import(s: &Setup<'_>, csv: &str) -> (StatusCode, Value) {
    let a =
        s.g.app
            .post_raw(
                &format!(
                    "/api/v1/ecosystems/moquegua/observations:import?actorId={}&fileName=datos.csv",
                    s.supplier
                ),
                "text/csv",
                Some(&s.g.token),
                csv.as_bytes().to_vec(),
            )
            .await;
    (a.status, a.body)
}

async fn observation_count(app: &TestApp, code: &str) -> usize {
    let token = coordinator(app).await.token;
    let body = app
        .graphql(
            Some(&token),
            "query($c: String!) { variable(code: $c) { observations { id } } }",
            json!({"c": code}),
        )
        .await
        .body;
    assert_eq!(body["errors"], Value::Null, "{body}");
    body["data"]["variable"]["observations"]
        .as_array()
        .unwrap()
        .len()
}

async fn future_periods_and_implausible_values_are_refused(app: TestApp) {
    let s = setup(&app).await;
    let next = (this_year() + 1).to_string();
    let now = this_year().to_string();

    // A percentage without a range given is 0..100; the range given is kept.
    let read = s
        .g
        .ok(
            "query($a: ID!, $b: ID!) { a: indicator(id: $a) { validMin validMax } b: indicator(id: $b) { validMin validMax } }",
            json!({"a": s.pct, "b": s.students}),
        )
        .await;
    assert_eq!(read["a"], json!({"validMin": 0.0, "validMax": 100.0}));
    assert_eq!(read["b"], json!({"validMin": 0.0, "validMax": 50000.0}));

    // The 2100 scorecard: refused, as is next year; this year (in course) is fine.
    for period in ["2100", next.as_str()] {
        let body = s.g.run(SUBMIT, value(&s, &s.pct, period, 40.0)).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(field_of(&body), ["period"], "{body}");
    }
    // A count of students into a percentage.
    let body = s.g.run(SUBMIT, value(&s, &s.pct, "2023", 1250.0)).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(field_of(&body), ["value"], "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("between 0 and 100"),
        "{body}"
    );
    let body =
        s.g.run(SUBMIT, value(&s, &s.students, "2023", 60000.0))
            .await;
    assert_eq!(field_of(&body), ["value"], "{body}");
    // Contributors are held to the same rules.
    let contributor = Gql {
        app: &app,
        token: s.contributor.clone(),
    };
    let body = contributor
        .run(SUBMIT, value(&s, &s.pct, "2023", -3.0))
        .await;
    assert_eq!(field_of(&body), ["value"], "{body}");
    assert_eq!(stored_values(&s, &s.pct).await, 0, "nothing stored");
    assert_eq!(stored_values(&s, &s.students).await, 0, "nothing stored");
    s.g.ok(SUBMIT, value(&s, &s.pct, &now, 100.0)).await;
    s.g.ok(SUBMIT, value(&s, &s.students, "2023", 48000.0))
        .await;

    // Ranges: bounds in order; a percentage's default cannot clash with a bound given.
    let objective =
        s.g.ok(
            "query($id: ID!) { indicator(id: $id) { objective { id } } }",
            json!({"id": s.pct}),
        )
        .await["indicator"]["objective"]["id"]
            .clone();
    for (min, max, field) in [(10.0, Some(5.0), "validMin"), (150.0, None, "validMin")] {
        let body = s
            .g
            .run(
                CREATE_INDICATOR,
                json!({"input": {"objectiveId": objective, "code": "MAL", "name": "Mal rango", "unit": "%",
                       "direction": "INCREASE", "periodicity": "YEARLY", "validMin": min, "validMax": max}}),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(field_of(&body), [field], "{body}");
    }

    // Baselines and targets respect the range; targets may lie ahead, baselines not.
    let baseline = "mutation($i: ID!, $p: String!, $v: Float!) { setBaseline(indicatorId: $i, period: $p, value: $v) { id } }";
    let target = "mutation($i: ID!, $p: String!, $v: Float!) { setTarget(indicatorId: $i, period: $p, value: $v, horizon: LONG) { period } }";
    let body =
        s.g.run(baseline, json!({"i": s.pct, "p": "2020", "v": 150.0}))
            .await;
    assert_eq!(field_of(&body), ["value"], "{body}");
    let body =
        s.g.run(baseline, json!({"i": s.pct, "p": "2100", "v": 50.0}))
            .await;
    assert_eq!(field_of(&body), ["period"], "{body}");
    s.g.ok(baseline, json!({"i": s.pct, "p": "2020", "v": 30.0}))
        .await;
    let body =
        s.g.run(target, json!({"i": s.pct, "p": "2030", "v": 120.0}))
            .await;
    assert_eq!(field_of(&body), ["value"], "{body}");
    s.g.ok(target, json!({"i": s.pct, "p": "2030", "v": 80.0}))
        .await;
    // Narrowing the range below a target already set is refused.
    let body =
        s.g.run(
            "mutation($id: ID!) { updateIndicator(id: $id, input: {validMax: 50}) { validMax } }",
            json!({"id": s.pct}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(field_of(&body), ["validMax"], "{body}");
    let cleared = s
        .g
        .ok(
            "mutation($id: ID!) { updateIndicator(id: $id, input: {validMax: null, validMin: -100}) { validMin validMax } }",
            json!({"id": s.pct}),
        )
        .await;
    assert_eq!(
        cleared["updateIndicator"],
        json!({"validMin": -100.0, "validMax": 100.0}),
        "a percentage keeps its default maximum"
    );

    // Observations of variables: the same rules.
    let obs = |period: &str, v: f64| {
        json!({"input": {"variable": "VPCT", "period": period, "territory": "1801", "value": v,
                         "evidenceText": "INEI", "actorId": s.supplier}})
    };
    let body = s.g.run(OBSERVE, obs(&next, 10.0)).await;
    assert_eq!(field_of(&body), ["period"], "{body}");
    let body = s.g.run(OBSERVE, obs("2023", 101.0)).await;
    assert_eq!(field_of(&body), ["value"], "{body}");
    assert_eq!(observation_count(&app, "VPCT").await, 0);

    // CSV imports: each implausible row is a row error; nothing is stored.
    let (status, body) = import(
        &s,
        &format!("{HEADER}VPCT,2023,1801,45,INEI\nVPCT,{next},1801,45,INEI\nVPCT,2022,1802,250,INEI\nVPCT,2100,1803,1,INEI\n"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let errors: Vec<(u64, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["column"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errors,
        [(3, "period"), (4, "value"), (5, "period")],
        "{body}"
    );
    assert_eq!(body["imported"], false);
    assert_eq!(observation_count(&app, "VPCT").await, 0, "nothing stored");
    // Variables take ranges too.
    let v = s
        .g
        .ok(
            "mutation { updateVariable(code: \"VDIS\", input: {validMin: 0, validMax: 10}) { validMin validMax } }",
            json!({}),
        )
        .await;
    assert_eq!(
        v["updateVariable"],
        json!({"validMin": 0.0, "validMax": 10.0})
    );
    let (status, body) = import(&s, &format!("{HEADER}VDIS,2023,180101,11,INEI\n")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["column"], "value");
}

async fn outliers_are_flagged_with_their_reason(app: TestApp) {
    let s = setup(&app).await;
    // An approved history of the percentage at the ecosystem's territory.
    for (year, v) in [
        (2018, 50.0),
        (2019, 51.0),
        (2020, 49.0),
        (2021, 52.0),
        (2022, 50.5),
    ] {
        let id =
            s.g.ok(SUBMIT, value(&s, &s.pct, &year.to_string(), v))
                .await["submitMeasurement"]["id"]
                .clone();
        s.g.ok(
            "mutation($id: ID!) { approveMeasurement(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    }
    let far =
        s.g.ok(SUBMIT, value(&s, &s.pct, "2023", 99.0)).await["submitMeasurement"]["id"].clone();
    s.g.ok(SUBMIT, value(&s, &s.pct, "2024", 51.5)).await;
    let flags = "query($i: ID!, $p: String!) { indicator(id: $i) { measurements(from: $p, to: $p) { value qualityFlags { kind zScore referenceCount reason } } } }";
    let far_q = json!({"i": s.pct, "p": "2023"});
    let seen = s.g.ok(flags, far_q.clone()).await;
    let seen = &seen["indicator"]["measurements"][0];
    let f = &seen["qualityFlags"];
    assert_eq!(f.as_array().unwrap().len(), 1, "{seen}");
    assert_eq!(f[0]["kind"], "HISTORY_OUTLIER");
    assert_eq!(f[0]["referenceCount"], 5);
    assert!(f[0]["zScore"].as_f64().unwrap() > 3.5, "{seen}");
    assert!(
        f[0]["reason"]
            .as_str()
            .unwrap()
            .contains("far above the median"),
        "{seen}"
    );
    let seen = s.g.ok(flags, json!({"i": s.pct, "p": "2024"})).await;
    assert_eq!(
        seen["indicator"]["measurements"][0]["qualityFlags"],
        json!([]),
        "{seen}"
    );
    // The submitting actor sees them; the public and other contributors do not.
    let own = app
        .graphql(Some(&s.contributor), flags, far_q.clone())
        .await
        .body;
    assert_eq!(
        own["data"]["indicator"]["measurements"][0]["qualityFlags"][0]["kind"], "HISTORY_OUTLIER",
        "{own}"
    );
    s.g.ok(
        "mutation($id: ID!) { approveMeasurement(id: $id) { id } }",
        json!({"id": far}),
    )
    .await;
    let other = app.login_as(Role::Contributor).await;
    for token in [None, Some(other.as_str())] {
        let seen = app.graphql(token, flags, far_q.clone()).await.body;
        assert_eq!(seen["errors"], Value::Null, "{seen}");
        let m = &seen["data"]["indicator"]["measurements"][0];
        assert_eq!(m["value"], 99.0, "{seen}");
        assert_eq!(m["qualityFlags"], Value::Null);
    }
    // Flagged values are stored and approvable all the same.
    assert_eq!(stored_values(&s, &s.pct).await, 7);

    // Imports: one district far from the other districts of the same year.
    let (status, body) = import(
        &s,
        &format!(
            "{HEADER}VDIS,2023,180101,10,INEI\nVDIS,2023,180102,11,INEI\nVDIS,2023,180103,9,INEI\n\
             VDIS,2023,180104,10.5,INEI\nVDIS,2023,180105,9.5,INEI\nVDIS,2023,180106,80,INEI\n"
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["flagCount"], 1, "{body}");
    assert_eq!(body["flags"][0]["line"], 7);
    assert_eq!(body["flags"][0]["kind"], "TERRITORY_OUTLIER");
    assert!(
        body["flags"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("other territories"),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("1 flag"),
        "{body}"
    );
    // The import's rows, once approved, are a history a later import is compared with.
    s.g.ok(
        "mutation($id: ID!) { approveImport(id: $id) }",
        json!({"id": body["importId"].to_string()}),
    )
    .await;
    let mut csv = HEADER.to_string();
    for (year, v) in [(2018, 10.0), (2019, 10.4), (2020, 9.8), (2021, 10.1)] {
        csv.push_str(&format!("VDIS,{year},180101,{v},INEI\n"));
    }
    let (_, body) = import(&s, &csv).await;
    s.g.ok(
        "mutation($id: ID!) { approveImport(id: $id) }",
        json!({"id": body["importId"].to_string()}),
    )
    .await;
    let (status, body) = import(&s, &format!("{HEADER}VDIS,2024,180101,300,INEI\n")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["flags"][0]["kind"], "HISTORY_OUTLIER", "{body}");
    assert_eq!(body["flags"][0]["line"], 2);
}

async fn lock_entries(app: &TestApp) -> Vec<String> {
    app.direct(|c| {
        audit_log::table
            .filter(audit_log::entity_type.eq("period_lock"))
            .order(audit_log::seq.asc())
            .select(audit_log::action)
            .load::<String>(c)
            .map_err(ayni::app::AppError::from)
    })
    .await
    .unwrap()
}

async fn period_locks_are_audited_and_close_every_path(app: TestApp) {
    let s = setup(&app).await;
    let approve = "mutation($id: ID!) { approveMeasurement(id: $id) { id } }";
    let lock = "mutation($e: ID!, $p: String!, $r: String!) { lockPeriod(ecosystemId: $e, period: $p, reason: $r) { period reason lockedBy active } }";
    let unlock = "mutation($e: ID!, $p: String!, $r: String!) { unlockPeriod(ecosystemId: $e, period: $p, reason: $r) { period active unlockReason } }";
    // Before the lock: an approved 2022 value (challenged), a pending 2023 one, a pending
    // 2023 quarter, a pending import of 2023 rows.
    let approved =
        s.g.ok(SUBMIT, value(&s, &s.pct, "2022", 40.0)).await["submitMeasurement"]["id"].clone();
    s.g.ok(approve, json!({"id": approved})).await;
    let challenge = app
        .graphql(
            Some(&s.contributor),
            "mutation($m: ID!) { openChallenge(measurementId: $m, reason: \"Dato dudoso\") { id } }",
            json!({"m": approved}),
        )
        .await
        .body["data"]["openChallenge"]["id"]
        .clone();
    let pending =
        s.g.ok(SUBMIT, value(&s, &s.pct, "2023", 41.0)).await["submitMeasurement"]["id"].clone();
    let (status, body) = import(&s, &format!("{HEADER}VPCT,2023,1801,45,INEI\n")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let import_id = body["importId"].to_string();

    // Only coordinators and admins lock; a reason is required.
    let args = |p: &str, r: &str| json!({"e": s.eco, "p": p, "r": r});
    let refused = app
        .graphql(Some(&s.contributor), lock, args("2023", "Cierre anual"))
        .await
        .body;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    let anonymous = app
        .graphql(None, lock, args("2023", "Cierre anual"))
        .await
        .body;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous}");
    let long = "x".repeat(1001);
    for (period, reason) in [("2023", "  "), ("2023", long.as_str()), ("2023X", "Cierre")] {
        let body = s.g.run(lock, args(period, reason)).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
    assert!(lock_entries(&app).await.is_empty(), "nothing written");
    let locked = s.g.ok(lock, args("2023", "Cierre anual auditado")).await;
    assert_eq!(locked["lockPeriod"]["active"], true);
    assert!(locked["lockPeriod"]["lockedBy"].is_string(), "{locked}");
    s.g.ok(lock, args("2022", "Cierre anual 2022")).await;
    let again = s.g.run(lock, args("2023", "Otra vez")).await;
    assert_eq!(error_code(&again), "CONFLICT", "{again}");

    // Every path into 2023 (or within 2022) is refused with PERIOD_LOCKED.
    let locked_code = |body: &Value| {
        assert_eq!(error_code(body), "PERIOD_LOCKED", "{body}");
    };
    locked_code(&s.g.run(SUBMIT, value(&s, &s.pct, "2023", 42.0)).await);
    locked_code(
        &s.g.run(SUBMIT, value(&s, &s.quarterly, "2022Q3", 42.0))
            .await,
    );
    locked_code(
        &app.graphql(
            Some(&s.contributor),
            SUBMIT,
            value(&s, &s.pct, "2023", 42.0),
        )
        .await
        .body,
    );
    locked_code(&s.g.run(approve, json!({"id": pending})).await);
    locked_code(
        &s.g.run(
            "mutation($id: ID!) { rejectMeasurement(id: $id, reason: \"No\") { id } }",
            json!({"id": pending}),
        )
        .await,
    );
    locked_code(
        &s.g.run(
            "mutation($id: ID!) { answerChallenge(id: $id, outcome: UPHELD, answer: \"Se retira el dato\") { id } }",
            json!({"id": challenge}),
        )
        .await,
    );
    locked_code(
        &s.g.run(
            OBSERVE,
            json!({"input": {"variable": "VPCT", "period": "2023", "territory": "1801", "value": 5,
                             "evidenceText": "INEI", "actorId": s.supplier}}),
        )
        .await,
    );
    locked_code(
        &s.g.run(
            "mutation($id: ID!) { approveImport(id: $id) }",
            json!({"id": import_id}),
        )
        .await,
    );
    locked_code(
        &s.g.run(
            "mutation($i: ID!) { setAdjustment(input: { indicatorId: $i, period: \"2023\", value: -1, reason: \"Doble conteo\" }) { id } }",
            json!({"i": s.pct}),
        )
        .await,
    );
    let (status, body) = import(
        &s,
        &format!("{HEADER}VPCT,2024,1801,45,INEI\nVPCT,2023,1802,46,INEI\n"),
    )
    .await;
    assert_eq!(status.as_u16(), 423, "{body}");
    assert_eq!(body["error"]["code"], "PERIOD_LOCKED", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 3"),
        "{body}"
    );
    // Other periods are open.
    s.g.ok(SUBMIT, value(&s, &s.pct, "2021", 43.0)).await;
    s.g.ok(SUBMIT, value(&s, &s.quarterly, "2021Q3", 43.0))
        .await;
    assert_eq!(
        observation_count(&app, "VPCT").await,
        1,
        "only the pending import's row"
    );

    // The public reads period, reason and date, not who.
    let list = "query($s: String!) { ecosystem(slug: $s) { periodLocks { period reason lockedAt lockedBy active } } }";
    let public = app.graphql(None, list, json!({"s": "moquegua"})).await.body;
    let locks = public["data"]["ecosystem"]["periodLocks"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(locks.len(), 2, "{public}");
    assert!(
        locks
            .iter()
            .all(|l| l["lockedBy"].is_null() && l["lockedAt"].is_string())
    );
    assert!(
        locks
            .iter()
            .any(|l| l["period"] == "2023" && l["reason"] == "Cierre anual auditado")
    );
    let private = s.g.ok(list, json!({"s": "moquegua"})).await;
    assert!(private["ecosystem"]["periodLocks"][0]["lockedBy"].is_string());

    // The portal says the figures are closed.
    let page = app.get("/e/moquegua?period=2023").await.body;
    let page = page.as_str().unwrap();
    assert!(page.contains("Cifras cerradas"), "{page}");
    assert!(page.contains("Cierre anual auditado"));
    let en = app.get("/e/moquegua?period=2023&lang=en").await.body;
    assert!(en.as_str().unwrap().contains("Figures closed"));
    let open = app.get("/e/moquegua?period=2021").await.body;
    assert!(!open.as_str().unwrap().contains("Cifras cerradas"));
    let ind = app.get("/e/moquegua/i/PCT").await.body;
    assert!(ind.as_str().unwrap().contains("Cifras cerradas 2023"));

    // Unlocking: audited, with its reason; then the paths open again.
    let contributor_unlock = app
        .graphql(Some(&s.contributor), unlock, args("2023", "Corrección"))
        .await
        .body;
    assert_eq!(error_code(&contributor_unlock), "FORBIDDEN");
    let body = s.g.ok(unlock, args("2023", "Corrección de INEI")).await;
    assert_eq!(
        body["unlockPeriod"],
        json!({"period": "2023", "active": false, "unlockReason": "Corrección de INEI"})
    );
    let again = s.g.run(unlock, args("2023", "Otra vez")).await;
    assert_eq!(error_code(&again), "NOT_FOUND", "{again}");
    s.g.ok(approve, json!({"id": pending})).await;
    s.g.ok(
        "mutation($id: ID!) { approveImport(id: $id) }",
        json!({"id": import_id}),
    )
    .await;
    assert_eq!(
        lock_entries(&app).await,
        ["create", "create", "update"],
        "two locks and one unlock"
    );
    let with_lifted = s
        .g
        .ok(
            "query($s: String!) { ecosystem(slug: $s) { periodLocks(includeLifted: true) { period active } } }",
            json!({"s": "moquegua"}),
        )
        .await;
    assert_eq!(
        with_lifted["ecosystem"]["periodLocks"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Locking the same period again after an unlock is a new lock.
    s.g.ok(lock, args("2023", "Cierre definitivo")).await;
    let c = chain(&app).await;
    assert_eq!(c["verified"], true, "{c}");
    assert_eq!(c["mismatchCount"], 0, "{c}");
}
