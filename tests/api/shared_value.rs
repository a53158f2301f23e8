//! Shared value over HTTP: hybrid metrics with their causal check and adoption, per-actor
//! shared value, and cumulative impacts under scenarios, on both backends.

use serde_json::{Value, json};

use ayni::app::{
    Caller, DirectionKind, EcosystemInput, IndicatorInput, MeasurementInput, ObjectiveInput,
};
use ayni::domain::{ActorKind, MetricCategory, PeriodType, PerspectiveKind, Role, TargetHorizon};

use crate::both_backends;
use crate::helpers::{TEST_PASSWORD, TestApp, error_code};
use crate::strategy::{Gql, coordinator};

both_backends!(
    hybrid_metrics_are_checked_before_adoption,
    cumulative_impacts_follow_approved_contributions_and_scenarios,
    shared_value_shows_what_each_actor_puts_in_and_gets,
);

/// Creates an ecosystem (`slug`, territory 18) with one objective; returns both ids.
async fn ecosystem(app: &TestApp, slug: &str) -> (i64, i64) {
    let op = Caller::operator();
    let eco = app
        .app
        .create_ecosystem(
            &op,
            EcosystemInput {
                slug: slug.into(),
                name: format!("Ecosistema {slug}"),
                territory: "18".into(),
                mission: String::new(),
                vision: String::new(),
                horizon_start: 2023,
                horizon_end: 2030,
            },
        )
        .await
        .unwrap();
    let o = app
        .app
        .create_objective(
            &op,
            ObjectiveInput {
                ecosystem_id: eco.id,
                code: "OE1".into(),
                name: "Valor compartido".into(),
                description: String::new(),
                perspective: PerspectiveKind::Stakeholders,
                theme_id: None,
                weight: None,
                responsible_actor_ids: vec![],
            },
        )
        .await
        .unwrap();
    (eco.id, o.id)
}

struct Ind<'a> {
    code: &'a str,
    category: MetricCategory,
    periodicity: PeriodType,
    responsible: i64,
}

/// An increasing indicator with baseline 0 (2018) and target 100 (2026), and these approved
/// values (for the whole territory, by `responsible`).
async fn indicator(app: &TestApp, objective: i64, ind: Ind<'_>, values: &[(&str, f64)]) -> i64 {
    let op = Caller::operator();
    let created = app
        .app
        .create_indicator(
            &op,
            IndicatorInput {
                objective_id: Some(objective),
                code: Some(ind.code.into()),
                name: Some(format!("Indicador {}", ind.code)),
                unit: Some("u".into()),
                direction: Some(DirectionKind::Increase),
                periodicity: Some(ind.periodicity),
                metric_category: Some(Some(ind.category)),
                responsible_actor_ids: Some(vec![ind.responsible]),
                ..IndicatorInput::default()
            },
        )
        .await
        .unwrap();
    app.app
        .set_baseline(&op, created.id, "2018".into(), 0.0, String::new())
        .await
        .unwrap();
    app.app
        .set_target(&op, created.id, "2026".into(), 100.0, TargetHorizon::Medium)
        .await
        .unwrap();
    for (period, value) in values {
        let m = app
            .app
            .submit_measurement(
                &op,
                MeasurementInput {
                    indicator_id: created.id,
                    period: (*period).into(),
                    value: *value,
                    evidence_text: Some("Reporte de sostenibilidad".into()),
                    actor_id: Some(ind.responsible),
                    ..MeasurementInput::default()
                },
            )
            .await
            .unwrap();
        app.app.approve_measurement(&op, m.id).await.unwrap();
    }
    created.id
}

async fn audit_entries(app: &TestApp) -> Vec<ayni::db::audit::AuditEntry> {
    app.direct(|c| ayni::db::audit::entries_from(c, 0, 1_000_000))
        .await
        .unwrap()
}

async fn audit_len(app: &TestApp) -> usize {
    audit_entries(app).await.len()
}

const CREATE_HYBRID: &str =
    "mutation($input: CreateHybridMetricInput!) { createHybridMetric(input: $input) {
    id code status relation series { period social financial value }
    causalCheck { verdict n bestLag r slope intercept lags { lag n r } } } }";
const ADOPT: &str =
    "mutation($id: ID!, $j: String) { adoptHybridMetric(id: $id, justification: $j) {
    status adoptedAt adoptionVerdict adoptionJustification } }";

fn field_rule(body: &Value) -> (String, String) {
    let f = &body["errors"][0]["extensions"]["fields"][0];
    (
        f["field"].as_str().unwrap_or("").to_string(),
        f["rule"].as_str().unwrap_or("").to_string(),
    )
}

async fn hybrid_metrics_are_checked_before_adoption(app: TestApp) {
    let g = coordinator(&app).await;
    let company = app
        .create_actor("Southern Peru Copper Corporation", ActorKind::Company)
        .await;
    let (eco, objective) = ecosystem(&app, "moquegua").await;
    let (other_eco, other_objective) = ecosystem(&app, "tacna").await;
    let op = Caller::operator();
    for e in [eco, other_eco] {
        app.app
            .add_ecosystem_member(&op, e, company, "Empresa minera".into())
            .await
            .unwrap();
    }
    let yearly = |code, category| Ind {
        code,
        category,
        periodicity: PeriodType::Yearly,
        responsible: company,
    };
    // financial = 2 · social + 1 exactly: r = 1, slope 2, intercept 1 at lag 0.
    let social_values = [
        ("2019", 1.0),
        ("2020", 2.0),
        ("2021", 3.0),
        ("2022", 4.0),
        ("2023", 5.0),
        ("2024", 6.0),
    ];
    let financial_values: Vec<(&str, f64)> = social_values
        .iter()
        .map(|(p, x)| (*p, 2.0 * x + 1.0))
        .collect();
    let social = indicator(
        &app,
        objective,
        yearly("SOC", MetricCategory::Socioeconomic),
        &social_values,
    )
    .await;
    let financial = indicator(
        &app,
        objective,
        yearly("FIN", MetricCategory::Financial),
        &financial_values,
    )
    .await;
    let short_social = indicator(
        &app,
        objective,
        yearly("SOC2", MetricCategory::Environmental),
        &[("2022", 3.0), ("2023", 2.0), ("2024", 4.0)],
    )
    .await;
    let quarterly = indicator(
        &app,
        objective,
        Ind {
            code: "FINQ",
            category: MetricCategory::Financial,
            periodicity: PeriodType::Quarterly,
            responsible: company,
        },
        &[],
    )
    .await;
    let elsewhere = indicator(
        &app,
        other_objective,
        yearly("FINT", MetricCategory::Financial),
        &[],
    )
    .await;
    let input = |code: &str, social: i64, financial: i64| {
        json!({"input": {"ecosystemId": eco.to_string(), "code": code, "name": "Compras locales por US$ de ventas",
            "companyActorId": company.to_string(), "socialIndicatorId": social.to_string(),
            "financialIndicatorId": financial.to_string(), "relation": "RATIO", "unit": "US$/US$"}})
    };

    // Bad pairings: clear field errors, nothing written.
    let other_company = app.create_actor("Otra empresa", ActorKind::Community).await;
    let before = audit_len(&app).await;
    for (financial_id, field, rule) in [
        (elsewhere, "financialIndicatorId", "sameEcosystem"),
        (quarterly, "financialIndicatorId", "periodicity"),
        (short_social, "financialIndicatorId", "financial"),
        (social, "financialIndicatorId", "distinct"),
    ] {
        let body = g
            .run(CREATE_HYBRID, input("HM0", social, financial_id))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(field_rule(&body), (field.into(), rule.into()), "{body}");
    }
    let mut not_a_company = input("HM0", social, financial);
    not_a_company["input"]["companyActorId"] = json!(other_company.to_string());
    let body = g.run(CREATE_HYBRID, not_a_company).await;
    assert_eq!(
        field_rule(&body),
        ("companyActorId".into(), "company".into())
    );
    assert_eq!(
        audit_len(&app).await,
        before,
        "refused proposals write nothing"
    );

    // A supported metric: series and statistics as computed by hand.
    let hm =
        g.ok(CREATE_HYBRID, input("HM1", social, financial)).await["createHybridMetric"].clone();
    assert_eq!(hm["status"], "PROPOSED");
    assert_eq!(hm["series"].as_array().unwrap().len(), 6);
    assert_eq!(
        hm["series"][0],
        json!({"period": "2019", "social": 1.0, "financial": 3.0, "value": 1.0 / 3.0})
    );
    let check = &hm["causalCheck"];
    assert_eq!(check["verdict"], "SUPPORTED");
    assert_eq!(
        (check["n"].as_i64(), check["bestLag"].as_i64()),
        (Some(6), Some(0))
    );
    assert!((check["r"].as_f64().unwrap() - 1.0).abs() < 1e-9, "{check}");
    assert!(
        (check["slope"].as_f64().unwrap() - 2.0).abs() < 1e-9,
        "{check}"
    );
    assert!(
        (check["intercept"].as_f64().unwrap() - 1.0).abs() < 1e-9,
        "{check}"
    );
    assert_eq!(
        check["lags"][2]["n"], 4,
        "lag 2 pairs 2019-2022 with 2021-2024"
    );
    let adopted = g.ok(ADOPT, json!({"id": hm["id"]})).await["adoptHybridMetric"].clone();
    assert_eq!(
        (
            adopted["status"].as_str(),
            adopted["adoptionVerdict"].as_str()
        ),
        (Some("ADOPTED"), Some("SUPPORTED"))
    );
    assert_eq!(adopted["adoptionJustification"], Value::Null);
    let again = g.run(ADOPT, json!({"id": hm["id"]})).await;
    assert_eq!(error_code(&again), "CONFLICT");

    // Too few periods: adoption refused without a justification, allowed with one.
    let weak = g
        .ok(CREATE_HYBRID, input("HM2", short_social, financial))
        .await["createHybridMetric"]
        .clone();
    assert_eq!(weak["causalCheck"]["verdict"], "INSUFFICIENT_DATA");
    assert_eq!(weak["causalCheck"]["n"], 3);
    let contributor = app.login_as(Role::Contributor).await;
    let before = audit_len(&app).await;
    let body = g.run(ADOPT, json!({"id": weak["id"]})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(
        field_rule(&body),
        ("justification".into(), "causalCheck".into())
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("INSUFFICIENT_DATA"),
        "{body}"
    );
    let body = g
        .run(ADOPT, json!({"id": weak["id"], "j": "porque sí"}))
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    let body = app
        .graphql(
            Some(&contributor),
            ADOPT,
            json!({"id": weak["id"], "j": "Acordado en la mesa técnica de mayo"}),
        )
        .await
        .body;
    assert_eq!(error_code(&body), "FORBIDDEN");
    assert_eq!(
        audit_len(&app).await,
        before,
        "refused adoptions write nothing"
    );
    let why = "Acordado en la mesa técnica de mayo: la serie es corta pero la relación es conocida";
    let adopted =
        g.ok(ADOPT, json!({"id": weak["id"], "j": why})).await["adoptHybridMetric"].clone();
    assert_eq!(adopted["adoptionVerdict"], "INSUFFICIENT_DATA");
    assert_eq!(adopted["adoptionJustification"], why);

    // Public reading, and the override is in the verified audit chain.
    let body = app
        .graphql(None, "{ ecosystem(slug: \"moquegua\") { hybridMetrics { code status company { name } socialIndicator { code } financialIndicator { code } } } auditChain { verified } }", json!({}))
        .await
        .body;
    let list = body["data"]["ecosystem"]["hybridMetrics"]
        .as_array()
        .unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[1]["company"]["name"],
        "Southern Peru Copper Corporation"
    );
    assert_eq!(body["data"]["auditChain"]["verified"], true, "{body}");
    let adoption = audit_entries(&app)
        .await
        .into_iter()
        .rev()
        .find(|e| e.entity_type == "hybrid_metric")
        .unwrap();
    assert_eq!(adoption.action, "update");
    assert!(adoption.after_state.unwrap().contains(why));
}

const VEC: &str = "mutation($input: CreateVecInput!) { createVec(input: $input) { id code boundary threshold { value limit } } }";
const DEV: &str = "mutation($input: CreateDevelopmentInput!) { createDevelopment(input: $input) { id name status owner { name } } }";
const SUBMIT: &str =
    "mutation($input: SubmitImpactContributionInput!) { submitImpactContribution(input: $input) {
    id status value basis territory vec { code } development { name } } }";
const APPROVE: &str =
    "mutation($id: ID!) { approveImpactContribution(id: $id) { id status counted } }";
const CUMULATIVE: &str = "query($id: ID!, $s: Scenario) { vec(id: $id) { cumulative(from: \"2020\", to: \"2022\", scenario: $s) {
    period state change headroom used status byDevelopment { development { name } change }
    bySector { sector change } byActor { actor { name } change } } } }";

async fn cumulative_impacts_follow_approved_contributions_and_scenarios(app: TestApp) {
    let g = coordinator(&app).await;
    let (eco, _) = ecosystem(&app, "moquegua").await;
    let company = app
        .create_actor("Anglo American Quellaveco", ActorKind::Company)
        .await;
    let city = app
        .create_actor(
            "Municipalidad Provincial de Ilo",
            ActorKind::LocalGovernment,
        )
        .await;
    app.create_user(
        "sostenibilidad@quellaveco.test",
        Role::Contributor,
        Some(company),
    )
    .await;
    let contributor = Gql {
        app: &app,
        token: app
            .token("sostenibilidad@quellaveco.test", TEST_PASSWORD)
            .await,
    };
    let vec_input = |threshold: f64| {
        json!({"input": {"ecosystemId": eco.to_string(), "code": "AGUA", "name": "Disponibilidad hídrica",
            "kind": "ENVIRONMENTAL", "unit": "hm³", "baselinePeriod": "2019", "baselineValue": 100.0,
            "direction": "INCREASE", "thresholdValue": threshold, "thresholdLimit": "LOWER", "boundary": ["1801"]}})
    };

    // A lower limit above the baseline leaves no acceptable change: refused, nothing written.
    let before = audit_len(&app).await;
    let body = g.run(VEC, vec_input(120.0)).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(field_rule(&body), ("thresholdValue".into(), "side".into()));
    let mut outside = vec_input(60.0);
    outside["input"]["boundary"] = json!(["0401"]);
    assert_eq!(
        field_rule(&g.run(VEC, outside).await),
        ("boundary".into(), "inside".into())
    );
    assert_eq!(audit_len(&app).await, before);
    let vec = g.ok(VEC, vec_input(60.0)).await["createVec"].clone();
    assert_eq!(vec["threshold"], json!({"value": 60.0, "limit": "LOWER"}));
    let vec_id = vec["id"].as_str().unwrap().to_string();

    let dev = |name: &str, sector: &str, owner: i64, status: &str, territory: &str| {
        json!({"input": {"ecosystemId": eco.to_string(), "name": name, "sector": sector,
            "ownerActorId": owner.to_string(), "status": status, "territory": territory, "startPeriod": "2018"}})
    };
    let mine = g
        .ok(
            DEV,
            dev("Mina Quellaveco", "MINING", company, "EXISTING", "1801"),
        )
        .await["createDevelopment"]["id"]
        .clone();
    let planned = g
        .ok(
            DEV,
            dev(
                "Ampliación planificada",
                "MINING",
                company,
                "PLANNED",
                "1801",
            ),
        )
        .await["createDevelopment"]["id"]
        .clone();
    let farms = g
        .ok(
            DEV,
            dev(
                "Riego Pasto Grande",
                "AGRICULTURE",
                city,
                "EXISTING",
                "1801",
            ),
        )
        .await["createDevelopment"]["id"]
        .clone();
    let urban = g
        .ok(
            DEV,
            dev(
                "Crecimiento urbano de Ilo",
                "URBAN",
                city,
                "EXISTING",
                "1803",
            ),
        )
        .await["createDevelopment"]["id"]
        .clone();

    let contribution = |development: &Value, period: &str, value: f64| {
        json!({"input": {"vecId": vec_id, "developmentId": development, "period": period, "value": value,
            "basis": "MEASURED", "evidenceText": "Balance hídrico anual"}})
    };
    let monitor = app.login_as(Role::Monitor).await;
    // The owner's contributor reports its own development's impact; it awaits review.
    let submitted = contributor
        .ok(SUBMIT, contribution(&mine, "2021", -20.0))
        .await["submitImpactContribution"]
        .clone();
    assert_eq!(submitted["status"], "SUBMITTED");
    assert_eq!(
        (submitted["basis"].as_str(), submitted["territory"].as_str()),
        (Some("MEASURED"), Some("1801"))
    );
    assert_eq!(submitted["vec"]["code"], "AGUA");
    // Not someone else's development, not outside the VEC's boundary, not at the baseline.
    let before = audit_len(&app).await;
    let body = contributor
        .run(SUBMIT, contribution(&farms, "2021", -5.0))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let body = g.run(SUBMIT, contribution(&urban, "2021", -5.0)).await;
    assert_eq!(
        field_rule(&body),
        ("developmentId".into(), "boundary".into()),
        "{body}"
    );
    let body = g.run(SUBMIT, contribution(&mine, "2019", -5.0)).await;
    assert_eq!(
        field_rule(&body),
        ("period".into(), "afterBaseline".into()),
        "{body}"
    );
    let body = app
        .graphql(Some(&monitor), SUBMIT, contribution(&mine, "2022", -1.0))
        .await
        .body;
    assert_eq!(error_code(&body), "FORBIDDEN");
    assert_eq!(audit_len(&app).await, before);

    // Only approved contributions count.
    let public = |scenario: &'static str| {
        let app = &app;
        let vec_id = vec_id.clone();
        async move {
            app.graphql(None, CUMULATIVE, json!({"id": vec_id, "s": scenario}))
                .await
                .body["data"]["vec"]["cumulative"]
                .clone()
        }
    };
    let states = public("EXISTING").await;
    assert_eq!(states[1]["state"], 100.0, "{states}");
    // The contributions listed per VEC (loaded for all VECs at once) follow who asks: the
    // pending one is the coordinator's to see, not the public's.
    const LISTED: &str =
        "{ ecosystem(slug: \"moquegua\") { vecs { code contributions { status } } } }";
    let listed = |data: &Value| -> Vec<String> {
        data["ecosystem"]["vecs"][0]["contributions"]
            .as_array()
            .unwrap_or_else(|| panic!("{data}"))
            .iter()
            .map(|c| c["status"].as_str().unwrap().to_string())
            .collect()
    };
    let anonymous = app.graphql(None, LISTED, json!({})).await.body;
    assert_eq!(listed(&anonymous["data"]), Vec::<String>::new());
    assert_eq!(listed(&g.ok(LISTED, json!({})).await), ["SUBMITTED"]);
    g.ok(APPROVE, json!({"id": submitted["id"]})).await;
    for (dev, period, value) in [(&planned, "2022", -15.0), (&farms, "2022", -5.0)] {
        let m =
            g.ok(SUBMIT, contribution(dev, period, value)).await["submitImpactContribution"]["id"]
                .clone();
        g.ok(APPROVE, json!({"id": m})).await;
    }

    // Existing developments: 100 → 80 (2021) → 75 (2022); allowed change 40.
    let states = public("EXISTING").await;
    let col = |s: &Value, k: &str| -> Vec<Value> {
        s.as_array().unwrap().iter().map(|p| p[k].clone()).collect()
    };
    assert_eq!(
        col(&states, "state"),
        [json!(100.0), json!(80.0), json!(75.0)]
    );
    assert_eq!(
        col(&states, "headroom"),
        [json!(40.0), json!(20.0), json!(15.0)]
    );
    assert_eq!(states[2]["used"], 0.625);
    assert_eq!(states[2]["status"], "WITHIN");
    // With the planned expansion: 60 = exactly at the limit (used 1) → APPROACHING.
    let states = public("WITH_PLANNED").await;
    assert_eq!(
        (states[2]["state"].as_f64(), states[2]["headroom"].as_f64()),
        (Some(60.0), Some(0.0))
    );
    assert_eq!(states[2]["status"], "APPROACHING");
    let by_dev: Vec<(String, f64)> = states[2]["byDevelopment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["development"]["name"].as_str().unwrap().to_string(),
                d["change"].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(
        by_dev.contains(&("Ampliación planificada".into(), -15.0)),
        "{by_dev:?}"
    );
    assert!(
        by_dev.contains(&("Mina Quellaveco".into(), -20.0)),
        "{by_dev:?}"
    );
    assert!(
        states[2]["bySector"]
            .as_array()
            .unwrap()
            .contains(&json!({"sector": "MINING", "change": -35.0}))
    );
    assert!(
        states[2]["byActor"].as_array().unwrap().contains(
            &json!({"actor": {"name": "Municipalidad Provincial de Ilo"}, "change": -5.0})
        )
    );

    // One more measured loss exceeds the limit under the planned scenario only.
    let m = contributor
        .ok(SUBMIT, contribution(&mine, "2022", -10.0))
        .await["submitImpactContribution"]["id"]
        .clone();
    g.ok(APPROVE, json!({"id": m})).await;
    let table = |scenario: &'static str| {
        let app = &app;
        async move {
            app.graphql(None, "query($s: Scenario) { ecosystem(slug: \"moquegua\") { cumulativeImpacts(period: \"2022\", scenario: $s) { vec { code name } state threshold headroom status } } }", json!({"s": scenario}))
                .await
                .body["data"]["ecosystem"]["cumulativeImpacts"][0]
                .clone()
        }
    };
    let existing = table("EXISTING").await;
    assert_eq!(
        (existing["state"].as_f64(), existing["status"].as_str()),
        (Some(65.0), Some("APPROACHING"))
    );
    let with_planned = table("WITH_PLANNED").await;
    assert_eq!(
        (
            with_planned["state"].as_f64(),
            with_planned["headroom"].as_f64(),
            with_planned["status"].as_str()
        ),
        (Some(50.0), Some(-10.0), Some("EXCEEDED"))
    );
    assert_eq!(with_planned["threshold"], 60.0);

    let body = app
        .graphql(None, "{ auditChain { verified mismatchCount } }", json!({}))
        .await
        .body;
    assert_eq!(body["data"]["auditChain"]["verified"], true, "{body}");
}

async fn shared_value_shows_what_each_actor_puts_in_and_gets(app: TestApp) {
    let g = coordinator(&app).await;
    let (eco, objective) = ecosystem(&app, "moquegua").await;
    let op = Caller::operator();
    let company = app
        .create_actor("Southern Peru Copper Corporation", ActorKind::Company)
        .await;
    let community = app
        .create_actor("Comunidad Campesina Tumilaca", ActorKind::Community)
        .await;
    for a in [company, community] {
        app.app
            .add_ecosystem_member(&op, eco, a, "Miembro".into())
            .await
            .unwrap();
    }
    let yearly = |code, category, responsible| Ind {
        code,
        category,
        periodicity: PeriodType::Yearly,
        responsible,
    };
    // Progress = actual / 100 (baseline 0 in 2018, target 100 in 2026).
    let procurement = indicator(
        &app,
        objective,
        yearly("P", MetricCategory::Socioeconomic, company),
        &[("2024", 40.0)],
    )
    .await;
    let water = indicator(
        &app,
        objective,
        yearly("W", MetricCategory::Environmental, company),
        &[("2024", 80.0)],
    )
    .await;
    let _sales = indicator(
        &app,
        objective,
        yearly("S", MetricCategory::Financial, company),
        &[],
    )
    .await;
    g.ok(
        "mutation($i: ID!, $k: [ActorKind!]) { setIndicatorBeneficiaries(indicatorId: $i, kinds: $k) { beneficiaries { kinds } } }",
        json!({"i": water.to_string(), "k": ["COMMUNITY"]}),
    )
    .await;
    let set = g
        .ok(
            "mutation($i: ID!, $a: [ID!]) { setIndicatorBeneficiaries(indicatorId: $i, actorIds: $a) { beneficiaries { kinds actors { name } } } }",
            json!({"i": procurement.to_string(), "a": [community.to_string()]}),
        )
        .await;
    assert_eq!(
        set["setIndicatorBeneficiaries"]["beneficiaries"]["actors"][0]["name"],
        "Comunidad Campesina Tumilaca"
    );
    let contributor = app.login_as(Role::Contributor).await;
    let body = app
        .graphql(Some(&contributor), "mutation($i: ID!) { setIndicatorBeneficiaries(indicatorId: $i, kinds: [COMPANY]) { id } }", json!({"i": water.to_string()}))
        .await
        .body;
    assert_eq!(error_code(&body), "FORBIDDEN");

    let body = app
        .graphql(None, r#"{ ecosystem(slug: "moquegua") { sharedValue(period: "2024") { score coverage
            byCategory { key score coverage indicatorCount indicators { code } }
            byActor { actor { name } contributes { score coverage indicatorCount } receives { score indicatorCount indicators { code } } } } } }"#, json!({}))
        .await
        .body;
    let sv = &body["data"]["ecosystem"]["sharedValue"];
    // Three indicators, two with data, scored by performance against the plan clamped to
    // [0, 1]. The plan 0 (2018) → 100 (2026) has reached 100·2192/2922 ≈ 75.02 by the end of
    // 2024 (2 192 of 2 922 days): P 40 → 40/75.02 ≈ 0.533; W 80 → 80/75.02 ≈ 1.07, counted
    // as 1. Score (0.533 + 1) / 2 ≈ 0.767 (by progress it was (0.4 + 0.8) / 2 = 0.6).
    let planned = 100.0 * 2192.0 / 2922.0;
    let expected = (40.0 / planned + 1.0) / 2.0;
    assert!(
        (sv["score"].as_f64().unwrap() - expected).abs() < 1e-9,
        "{sv}"
    );
    assert!((sv["coverage"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    let financial = sv["byCategory"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "financial")
        .unwrap();
    assert_eq!(
        (financial["score"].clone(), financial["coverage"].as_f64()),
        (Value::Null, Some(0.0))
    );
    let actor = |name: &str| {
        sv["byActor"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["actor"]["name"] == name)
            .unwrap()
            .clone()
    };
    let c = actor("Southern Peru Copper Corporation");
    assert_eq!(c["contributes"]["indicatorCount"], 3);
    assert!((c["contributes"]["score"].as_f64().unwrap() - expected).abs() < 1e-9);
    assert_eq!(c["receives"]["indicatorCount"], 0);
    let k = actor("Comunidad Campesina Tumilaca");
    assert_eq!(k["contributes"]["indicatorCount"], 0);
    assert_eq!(
        k["receives"]["indicatorCount"], 2,
        "by kind (W) and by name (P)"
    );
    assert!((k["receives"]["score"].as_f64().unwrap() - expected).abs() < 1e-9);
}
