//! Hardening: security headers on every kind of response, open data that is safe to open in a
//! spreadsheet, and hostile input (huge numbers, duplicate CSV columns, unknown ubigeo codes,
//! control characters, too many disaggregation pairs) refused with a field error and nothing
//! stored. See docs/security.md.

use awc::http::StatusCode;
use serde_json::{Value, json};

use ayni::app::{Caller, NewActorInput};
use ayni::domain::ActorKind;

use crate::both_backends;
use crate::helpers::{TestApp, error_code};
use crate::strategy::{CREATE_ECOSYSTEM, Gql, coordinator, create_ecosystem, create_objective};

both_backends!(
    security_headers_are_on_every_kind_of_response,
    huge_numbers_are_refused_and_nothing_is_stored,
    hostile_codes_and_texts_are_refused_and_nothing_is_stored,
    duplicate_csv_columns_are_refused,
    open_data_csv_is_safe_to_open_in_a_spreadsheet,
);

const CREATE_INDICATOR: &str =
    "mutation($input: CreateIndicatorInput!) { createIndicator(input: $input) { id code } }";
const SUBMIT: &str =
    "mutation($input: SubmitMeasurementInput!) { submitMeasurement(input: $input) { id } }";
const APPROVE: &str = "mutation($id: ID!) { approveMeasurement(id: $id) { id } }";
const SET_BASELINE: &str = "mutation($i: ID!, $v: Float!) { setBaseline(indicatorId: $i, period: \"2023\", value: $v, note: \"ENAHO\") { id } }";
const SET_TARGET: &str = "mutation($i: ID!, $v: Float!) { setTarget(indicatorId: $i, period: \"2030\", value: $v, horizon: LONG) { period } }";
const STORED: &str = "query($i: ID!) { indicator(id: $i) { baseline { value } targets { value } measurements { id value } } }";

fn field(b: &Value) -> String {
    b["errors"][0]["extensions"]["fields"][0]["field"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// The answer must be a `BAD_USER_INPUT` naming `expected` as the field at fault.
fn refused(b: &Value, expected: &str, what: &str) {
    assert_eq!(
        (error_code(b), field(b).as_str()),
        ("BAD_USER_INPUT", expected),
        "{what}: {b}"
    );
}

/// An ecosystem `slug` (territory 18) with one member actor, one objective and one indicator
/// in tonnes (no default valid range, so negative values are allowed). Returns (coordinator,
/// actor id, indicator id).
async fn fixture<'a>(app: &'a TestApp, slug: &str) -> (Gql<'a>, String, String) {
    let g = coordinator(app).await;
    let eco = create_ecosystem(&g, slug).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let actor = app
        .create_actor(&format!("Empresa {slug}"), ActorKind::Company)
        .await
        .to_string();
    g.ok("mutation($e: ID!, $a: ID!) { addEcosystemMember(ecosystemId: $e, actorId: $a, roleLabel: \"Miembro\") { id } }", json!({"e": eco, "a": actor}))
        .await;
    let objective = create_objective(&g, &eco, "OE1", "RESULTS").await;
    let ind = g
        .ok(
            CREATE_INDICATOR,
            json!({"input": {"objectiveId": objective, "code": "I1", "name": "Residuos valorizados", "unit": "t",
                   "direction": "INCREASE", "periodicity": "YEARLY", "responsibleActorIds": [actor]}}),
        )
        .await["createIndicator"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    (g, actor, ind)
}

async fn fetch(
    app: &TestApp,
    method: &str,
    path: &str,
) -> awc::ClientResponse<
    impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
> {
    let req = match method {
        "POST" => app
            .client
            .post(app.url(path))
            .insert_header(("content-type", "application/json")),
        _ => app.client.get(app.url(path)),
    };
    let body = if method == "POST" {
        serde_json::to_vec(&json!({"query": "{ ecosystems { slug } }"})).unwrap()
    } else {
        Vec::new()
    };
    req.send_body(body).await.expect("request")
}

async fn security_headers_are_on_every_kind_of_response(app: TestApp) {
    // The stylesheet's content-addressed path, as the home page links it.
    let home = app.get("/").await.body.as_str().unwrap_or("").to_string();
    let css = home
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.starts_with("/static/portal."))
        .expect("the home page links its stylesheet")
        .to_string();
    let cases: [(&str, &str, u16, bool); 10] = [
        ("GET", "/", 200, false),
        ("GET", "/datos/ecosistemas.csv", 200, false),
        ("GET", "/datos/ecosistemas.json", 200, false),
        ("GET", "/api/v1/health", 200, false),
        ("GET", &css, 200, false),
        ("GET", "/e/no-existe", 404, false),
        ("GET", "/no/such/page", 404, false),
        ("POST", "/graphql", 200, true),
        ("GET", "/graphql", 200, true),
        ("GET", "/graphiql/graphiql.min.js", 200, true),
    ];
    for (method, path, status, graphiql) in cases {
        let res = fetch(&app, method, path).await;
        assert_eq!(res.status().as_u16(), status, "{method} {path}");
        let h = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        assert_eq!(h("x-content-type-options"), "nosniff", "{method} {path}");
        assert_eq!(h("x-frame-options"), "DENY", "{method} {path}");
        assert_eq!(h("referrer-policy"), "no-referrer", "{method} {path}");
        assert_eq!(h("strict-transport-security"), "", "HSTS is off by default");
        let csp = h("content-security-policy");
        assert!(
            csp.contains("frame-ancestors 'none'"),
            "{method} {path}: {csp}"
        );
        assert!(csp.contains("script-src 'self'"), "{method} {path}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{method} {path}: {csp}");
        assert_eq!(
            csp.contains("unsafe-inline"),
            graphiql,
            "only GraphiQL allows inline styles: {method} {path}: {csp}"
        );
        assert!(
            h("access-control-allow-origin").is_empty(),
            "CORS stays closed: {method} {path}"
        );
    }
    // The portal pages carry no inline script or style that the policy would block.
    assert!(!home.contains("<script>") && !home.contains("<style") && !home.contains("style="));

    // HSTS when configured (a service reached over https).
    let https = TestApp::spawn_with(app.backend, |s| s.hsts = true).await;
    let res = fetch(&https, "GET", "/").await;
    assert_eq!(
        res.headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000; includeSubDomains")
    );
}

async fn huge_numbers_are_refused_and_nothing_is_stored(app: TestApp) {
    let (g, actor, ind) = fixture(&app, "moquegua").await;
    for v in [1.7e308, -1.7e308, 1.000_001e15] {
        refused(
            &g.run(SET_BASELINE, json!({"i": ind, "v": v})).await,
            "value",
            "baseline",
        );
        refused(
            &g.run(SET_TARGET, json!({"i": ind, "v": v})).await,
            "value",
            "target",
        );
        let b = g
            .run(
                SUBMIT,
                json!({"input": {"indicatorId": ind, "period": "2024", "value": v, "actorId": actor,
                                          "evidenceText": "Informe"}}),
            )
            .await;
        refused(&b, "value", "value");
    }
    // The bound itself is accepted.
    g.ok(SET_BASELINE, json!({"i": ind, "v": -1e15})).await;
    let stored = g.ok(STORED, json!({"i": ind})).await;
    assert_eq!(stored["indicator"]["baseline"]["value"], json!(-1e15));
    assert_eq!(stored["indicator"]["targets"], json!([]), "{stored}");
    assert_eq!(stored["indicator"]["measurements"], json!([]), "{stored}");

    // Ranges, valid ranges, weights.
    let objective = g
        .ok(
            "query { ecosystem(slug: \"moquegua\") { objectives { id } } }",
            json!({}),
        )
        .await["ecosystem"]["objectives"][0]["id"]
        .clone();
    for (extra, expected) in [
        (
            json!({"direction": "RANGE", "rangeLower": -1.7e308, "rangeUpper": 1.7e308}),
            "rangeLower",
        ),
        (
            json!({"direction": "RANGE", "rangeLower": 0.0, "rangeUpper": 1e300}),
            "rangeUpper",
        ),
        (json!({"validMin": -1e16}), "validMin"),
        (json!({"validMax": 1.7e308}), "validMax"),
        (json!({"weight": 1.7e308}), "weight"),
    ] {
        let mut input = json!({"objectiveId": objective, "code": "I9", "name": "Otro", "unit": "t",
                               "direction": "INCREASE", "periodicity": "YEARLY", "responsibleActorIds": [actor]});
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        refused(
            &g.run(CREATE_INDICATOR, json!({"input": input})).await,
            expected,
            &extra.to_string(),
        );
    }
    let codes = g
        .ok(
            "query { ecosystem(slug: \"moquegua\") { objectives { indicators { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        codes["ecosystem"]["objectives"][0]["indicators"],
        json!([{"code": "I1"}])
    );

    // The open data never prints inf or NaN.
    for path in [
        "/datos/ecosistemas.csv",
        "/e/moquegua/tablero.csv",
        "/e/moquegua/i/I1/serie.csv",
        "/e/moquegua/i/I1/valores.csv",
    ] {
        let a = app.get(path).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        let text = a.body.to_string().to_lowercase();
        assert!(
            !text.contains("inf") && !text.contains("nan"),
            "{path}: {text}"
        );
    }
}

async fn hostile_codes_and_texts_are_refused_and_nothing_is_stored(app: TestApp) {
    let g = coordinator(&app).await;
    // Territory 99: no such department; 1804: no such province of Moquegua.
    for territory in ["99", "1804", "180108"] {
        let b = g
            .run(
                CREATE_ECOSYSTEM,
                json!({"input": {"slug": "falso", "name": "Ecosistema falso", "territory": territory,
                                 "horizonStart": 2023, "horizonEnd": 2030}}),
            )
            .await;
        refused(&b, "territory", territory);
    }
    // A NUL or a newline in a name; an escape sequence in a mission.
    for (key, value) in [
        ("name", "Ecosistema\u{0}"),
        ("name", "Ecosistema\nfalso"),
        ("mission", "Misión \u{1b}[31m"),
    ] {
        let mut input = json!({"slug": "falso", "name": "Ecosistema falso", "territory": "18",
                               "horizonStart": 2023, "horizonEnd": 2030});
        input[key] = json!(value);
        refused(
            &g.run(CREATE_ECOSYSTEM, json!({"input": input})).await,
            key,
            value,
        );
    }
    let none = g.ok("query { ecosystems { slug } }", json!({})).await;
    assert_eq!(none["ecosystems"], json!([]), "{none}");

    // Real codes of Moquegua are accepted; a description may have several lines.
    for (slug, territory) in [("ilo", "1803"), ("omate", "180201"), ("moquegua", "18")] {
        g.ok(
            CREATE_ECOSYSTEM,
            json!({"input": {"slug": slug, "name": format!("Ecosistema {slug}"), "territory": territory,
                             "mission": "Primera línea.\nSegunda línea.", "horizonStart": 2023, "horizonEnd": 2030}}),
        )
        .await;
    }

    // An actor's name with a NUL.
    let e = app
        .app
        .create_actor(
            &Caller::operator(),
            NewActorInput {
                name: "Cooperativa\u{0} Agraria".into(),
                kind: ActorKind::Company,
            },
        )
        .await
        .unwrap_err();
    let fields = e.field_errors();
    assert_eq!(fields[0].field, "name", "{e}");
    assert_eq!(fields[0].rule, "control_character", "{e}");

    // 1 000 disaggregation pairs on one value, and a value in an unknown district.
    let (g, actor, ind) = fixture(&app, "tacna").await;
    let pairs: Vec<Value> = (0..1000)
        .map(|i| json!({"key": format!("k{i}"), "value": "x"}))
        .collect();
    let b = g
        .run(
            SUBMIT,
            json!({"input": {"indicatorId": ind, "period": "2024", "value": 1.0, "actorId": actor,
                                      "evidenceText": "Informe", "disaggregation": pairs}}),
        )
        .await;
    refused(&b, "disaggregation", "1000 pairs");
    let b = g
        .run(
            SUBMIT,
            json!({"input": {"indicatorId": ind, "period": "2024", "value": 1.0, "actorId": actor,
                                      "evidenceText": "Informe", "territory": "189999"}}),
        )
        .await;
    refused(&b, "territory", "unknown district");
    let b = g
        .run(
            SUBMIT,
            json!({"input": {"indicatorId": ind, "period": "2024", "value": 1.0, "actorId": actor,
                                      "evidenceText": "Informe\u{0}"}}),
        )
        .await;
    refused(&b, "evidenceText", "NUL in evidence");
    let stored = g.ok(STORED, json!({"i": ind})).await;
    assert_eq!(stored["indicator"]["measurements"], json!([]), "{stored}");
}

async fn duplicate_csv_columns_are_refused(app: TestApp) {
    let (g, actor, _) = fixture(&app, "moquegua").await;
    let a = app
        .post_raw(
            &format!(
                "/api/v1/ecosystems/moquegua/observations:import?actorId={actor}&fileName=datos.csv"
            ),
            "text/csv",
            Some(&g.token),
            b"variable,period,territory,value,evidence,value\nPOB,2023,18,1,INEI,2\n".to_vec(),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let errors = a.body["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["line"] == json!(1)
            && e["column"] == json!("value")
            && e["message"].as_str().unwrap_or("").contains("twice")),
        "{}",
        a.body
    );
    assert_eq!(a.body["imported"], json!(false), "{}", a.body);
}

async fn open_data_csv_is_safe_to_open_in_a_spreadsheet(app: TestApp) {
    let (g, actor, ind) = fixture(&app, "moquegua").await;
    let hostile = ["=cmd|' /C calc'!A0", "@SUM(1+1)", "+1", "-2+3"];
    for (i, evidence) in hostile.iter().enumerate() {
        let m = g
            .ok(SUBMIT, json!({"input": {"indicatorId": ind, "period": format!("{}", 2020 + i), "value": -2.5 - i as f64,
                                         "actorId": actor, "evidenceText": evidence, "comment": "@SUM(1+1)"}}))
            .await;
        g.ok(APPROVE, json!({"id": m["submitMeasurement"]["id"]}))
            .await;
    }
    let a = app.get("/e/moquegua/i/I1/valores.csv").await;
    assert_eq!(a.status, StatusCode::OK);
    let text = a.body.as_str().expect("CSV text").to_string();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), hostile.len(), "{text}");
    let mut evidences: Vec<String> = rows
        .iter()
        .map(|r| r[col("evidence_text")].to_string())
        .collect();
    evidences.sort();
    let mut expected: Vec<String> = hostile.iter().map(|e| format!("'{e}")).collect();
    expected.sort();
    assert_eq!(evidences, expected, "{text}");
    // Numbers stay numbers: a negative value is written as it is.
    for r in &rows {
        let v = &r[col("value")];
        assert!(v.starts_with('-') && v.parse::<f64>().is_ok(), "{v}");
    }
    // JSON keeps the texts verbatim.
    let json = app.get("/e/moquegua/i/I1/valores.json").await.body;
    let mut verbatim: Vec<String> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["evidence_text"].as_str().unwrap().to_string())
        .collect();
    verbatim.sort();
    let mut expected: Vec<String> = hostile.iter().map(|e| e.to_string()).collect();
    expected.sort();
    assert_eq!(verbatim, expected);
}
