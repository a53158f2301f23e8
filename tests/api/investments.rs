//! Investments: derived figures, alerts from snapshots recorded over GraphQL, the year's
//! summary and ranking, prioritisation with an envelope, the MEF upsert, permissions and
//! hostile input.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde_json::{Value, json};

use ayni::app::{Caller, ImportedInvestment};
use ayni::domain::investment::{InvestmentDraft, PhysicalProgress, Snapshot};
use ayni::domain::{ActorKind, Role};

use crate::both_backends;
use crate::helpers::{TEST_PASSWORD, TestApp, error_code};
use crate::scorecard_support::seeded_with_values;
use crate::strategy::{Gql, coordinator};

both_backends!(
    derived_figures_curves_and_links_are_served,
    each_alert_kind_is_raised_by_recorded_snapshots,
    the_year_summary_totals_and_ranks_executing_units,
    priorities_weigh_criteria_and_mark_the_envelope,
    the_mef_upsert_is_all_or_nothing_and_idempotent,
    only_coordinators_and_the_executing_actor_write,
    hostile_input_is_refused_fast_and_stores_nothing,
    reads_issue_a_fixed_number_of_queries,
);

pub(crate) const CREATE: &str = "mutation($e: ID!, $i: InvestmentInput!) { createInvestment(ecosystemId: $e, input: $i) { id cui } }";
pub(crate) const PROGRESS: &str = "mutation($id: ID!, $i: InvestmentProgressInput!) { recordInvestmentProgress(investmentId: $id, input: $i) { id } }";
pub(crate) const SETTINGS: &str = "mutation($e: ID!, $i: InvestmentSettingsInput!) { setInvestmentSettings(ecosystemId: $e, input: $i) { thresholds { stalledMonths } envelopes { year amount } } }";

/// The seeded `moquegua` ecosystem's id and its indicator's and objective's ids.
pub(crate) async fn seeded(app: &TestApp) -> (String, String, String) {
    seeded_with_values(app).await;
    let d = app
        .graphql(
            None,
            "{ ecosystem(slug: \"moquegua\") { id objectives { id indicators { id } } } }",
            json!({}),
        )
        .await
        .body;
    let eco = &d["data"]["ecosystem"];
    (
        eco["id"].as_str().unwrap().to_string(),
        eco["objectives"][0]["id"].as_str().unwrap().to_string(),
        eco["objectives"][0]["indicators"][0]["id"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

fn input(cui: &str, extra: Value) -> Value {
    let mut base = json!({
        "cui": cui,
        "name": format!("Mejoramiento del servicio {cui}"),
        "kind": "PROJECT",
        "level": "REGIONAL",
        "function": "SANITATION",
        "stage": "EXECUTION",
        "modality": "CONTRACT",
        "financingSource": "CANON",
        "ubigeo": "180101",
        "updatedCost": 1000000.0,
        "executingUnit": "Sede central",
    });
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

pub(crate) async fn create(g: &Gql<'_>, eco: &str, cui: &str, extra: Value) -> String {
    g.ok(CREATE, json!({"e": eco, "i": input(cui, extra)}))
        .await["createInvestment"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

pub(crate) async fn progress(g: &Gql<'_>, id: &str, i: Value) {
    g.ok(PROGRESS, json!({"id": id, "i": i})).await;
}

/// Snapshot figures with the year's devengado as a share of a PIM of 100 000.
pub(crate) fn figures(
    as_of: &str,
    pim: f64,
    accrued: f64,
    before: f64,
    physical: Option<f64>,
) -> Value {
    json!({"asOf": as_of, "pia": pim, "pim": pim, "certified": pim, "committed": accrued,
           "accrued": accrued, "paid": accrued, "accruedBefore": before, "physicalProgress": physical})
}

async fn investment(app: &TestApp, cui: &str, fields: &str) -> Value {
    let body = app
        .graphql(
            None,
            &format!(
                "query($c: String!) {{ ecosystem(slug: \"moquegua\") {{ investment(cui: $c) {{ {fields} }} }} }}"
            ),
            json!({"c": cui}),
        )
        .await
        .body;
    assert_eq!(body["errors"], Value::Null, "{body}");
    body["data"]["ecosystem"]["investment"].clone()
}

async fn chain_verifies(app: &TestApp) {
    let c = crate::trust::chain(app).await;
    assert_eq!(c["verified"], true, "{c}");
}

async fn derived_figures_curves_and_links_are_served(app: TestApp) {
    let (eco, objective, indicator) = seeded(&app).await;
    let g = coordinator(&app).await;
    let plan: Vec<f64> = (1..=12).map(|m| f64::from(m) * 10_000.0).collect();
    let id = create(
        &g,
        &eco,
        "2345678",
        json!({"links": [{"indicatorId": indicator, "expectedChange": "IND1 +3 puntos al 2026"},
                         {"objectiveId": objective}],
               "plannedCurves": [{"year": 2025, "months": plan}],
               "latitude": -17.19, "longitude": -70.93, "beneficiaries": 12000}),
    )
    .await;
    progress(
        &g,
        &id,
        figures("2025-01-31", 100_000.0, 5_000.0, 300_000.0, Some(30.0)),
    )
    .await;
    progress(
        &g,
        &id,
        figures("2025-03-31", 120_000.0, 30_000.0, 300_000.0, Some(35.0)),
    )
    .await;
    // Amounts not given are carried from the latest earlier snapshot of the year.
    progress(&g, &id, json!({"asOf": "2025-04-30", "accrued": 36_000.0})).await;
    let i = investment(
        &app,
        "2345678",
        "cui financialExecution accumulatedProgress remainingBalance physicalProgress years
         latest { asOf pim accrued accruedToDate pimBalance financialExecution physicalProgress }
         snapshots { asOf }
         monthlyCurve { month accrued pim planned reported }
         links { expectedChange indicator { code } objective { code } }
         latitude territoryName province functionMefName",
    )
    .await;
    assert_eq!(i["latest"]["asOf"], "2025-04-30");
    assert_eq!(i["latest"]["pim"], 120_000.0, "carried from March");
    assert_eq!(i["latest"]["accruedToDate"], 336_000.0);
    assert_eq!(i["latest"]["pimBalance"], 84_000.0);
    assert_eq!(i["financialExecution"], 0.3);
    assert_eq!(i["accumulatedProgress"], 0.336);
    assert_eq!(i["remainingBalance"], 664_000.0);
    // Physical progress is carried by the alerts, not copied into snapshots.
    assert_eq!(i["latest"]["physicalProgress"], Value::Null);
    assert_eq!(i["physicalProgress"], 35.0);
    assert_eq!(i["years"], json!([2025]));
    assert_eq!(i["snapshots"].as_array().unwrap().len(), 3);
    let curve = i["monthlyCurve"].as_array().unwrap();
    assert_eq!(curve.len(), 12);
    assert_eq!(curve[0]["accrued"], 5_000.0);
    assert_eq!(curve[1]["accrued"], 5_000.0, "February carries January");
    assert_eq!(curve[1]["reported"], false);
    assert_eq!(curve[2]["accrued"], 30_000.0);
    assert_eq!(curve[3]["accrued"], 36_000.0);
    assert_eq!(curve[4]["accrued"], Value::Null);
    assert_eq!(curve[4]["planned"], 50_000.0);
    assert_eq!(i["links"][0]["indicator"]["code"], "IND1");
    assert_eq!(i["links"][0]["expectedChange"], "IND1 +3 puntos al 2026");
    assert_eq!(i["links"][1]["objective"]["code"], "OE1");
    assert_eq!(i["territoryName"], "Moquegua");
    assert_eq!(i["province"], "1801");
    assert_eq!(i["functionMefName"], "SANEAMIENTO");
    // Objectives and indicators list their investments.
    let d = app
        .graphql(
            None,
            "{ ecosystem(slug: \"moquegua\") { objectives { investments { cui } indicators { investments { cui } } } } }",
            json!({}),
        )
        .await
        .body;
    let o = &d["data"]["ecosystem"]["objectives"][0];
    assert_eq!(o["investments"][0]["cui"], "2345678", "{d}");
    assert_eq!(o["indicators"][0]["investments"][0]["cui"], "2345678");
    // Re-recording the same date replaces it; the chain still verifies.
    progress(&g, &id, json!({"asOf": "2025-04-30", "accrued": 40_000.0})).await;
    let i = investment(&app, "2345678", "snapshots { asOf } latest { accrued }").await;
    assert_eq!(i["snapshots"].as_array().unwrap().len(), 3);
    assert_eq!(i["latest"]["accrued"], 40_000.0);
    chain_verifies(&app).await;
}

async fn alerts_of(app: &TestApp, cui: &str) -> Vec<(String, String, String)> {
    let i = investment(
        app,
        cui,
        "alerts { kind rule severity since sentence(lang: \"en\") }",
    )
    .await;
    i["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert!(!a["sentence"].as_str().unwrap().is_empty());
            (
                a["kind"].as_str().unwrap().to_string(),
                a["rule"].as_str().unwrap().to_string(),
                a["since"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn t(kind: &str, rule: &str, since: &str) -> (String, String, String) {
    (kind.into(), rule.into(), since.into())
}

async fn each_alert_kind_is_raised_by_recorded_snapshots(app: TestApp) {
    let (eco, _, _) = seeded(&app).await;
    let g = coordinator(&app).await;
    // On pace in 2025 (accrued = PIM × elapsed share), physical in line with financial.
    let pace = |date: &str| {
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        100_000.0 * ayni::domain::investment::year_elapsed(d)
    };
    // Stalled: 35 % from April to June (2 months).
    let stalled = create(&g, &eco, "1000001", json!({})).await;
    for (date, phys) in [
        ("2025-04-01", 35.0),
        ("2025-05-01", 35.0),
        ("2025-06-01", 35.0),
    ] {
        let before = 350_000.0 - pace(date);
        progress(
            &g,
            &stalled,
            figures(date, 100_000.0, pace(date), before, Some(phys)),
        )
        .await;
    }
    // Physical lagging: 20 % physical against 60 % financial.
    let lagging = create(&g, &eco, "1000002", json!({})).await;
    let date = "2025-06-30";
    progress(
        &g,
        &lagging,
        figures(
            date,
            100_000.0,
            pace(date),
            600_000.0 - pace(date),
            Some(20.0),
        ),
    )
    .await;
    // Behind the planned curve: planned 50 000 by the end of May, 10 000 accrued.
    let plan: Vec<f64> = (1..=12).map(|m| f64::from(m) * 10_000.0).collect();
    let behind_plan = create(
        &g,
        &eco,
        "1000003",
        json!({"plannedCurves": [{"year": 2025, "months": plan}]}),
    )
    .await;
    progress(
        &g,
        &behind_plan,
        figures("2025-05-31", 100_000.0, 10_000.0, 0.0, None),
    )
    .await;
    // Behind the year's pace (no plan): 5 % executed at the end of June.
    let behind_pace = create(&g, &eco, "1000004", json!({})).await;
    progress(
        &g,
        &behind_pace,
        figures("2025-06-30", 100_000.0, 5_000.0, 0.0, None),
    )
    .await;
    // PIM cut by 40 % in March, standing in April; the investment is settled (budget only).
    let cut = create(&g, &eco, "1000005", json!({"stage": "SETTLEMENT"})).await;
    progress(
        &g,
        &cut,
        figures("2025-02-28", 100_000.0, 1_000.0, 0.0, None),
    )
    .await;
    progress(
        &g,
        &cut,
        figures("2025-03-31", 60_000.0, 1_000.0, 0.0, None),
    )
    .await;
    progress(
        &g,
        &cut,
        figures("2025-04-30", 60_000.0, 1_000.0, 0.0, None),
    )
    .await;

    assert_eq!(
        alerts_of(&app, "1000001").await,
        vec![t("PHYSICAL", "STALLED", "2025-04-01")]
    );
    assert_eq!(
        alerts_of(&app, "1000002").await,
        vec![t("PHYSICAL", "PHYSICAL_LAG", "2025-06-30")]
    );
    assert_eq!(
        alerts_of(&app, "1000003").await,
        vec![t("FINANCIAL", "BEHIND_PLAN", "2025-05-31")]
    );
    assert_eq!(
        alerts_of(&app, "1000004").await,
        vec![t("FINANCIAL", "BEHIND_PACE", "2025-06-30")]
    );
    assert_eq!(
        alerts_of(&app, "1000005").await,
        vec![t("BUDGET", "PIM_CUT", "2025-03-31")]
    );
    let cut = investment(&app, "1000005", "alerts { severity measure }").await;
    assert_eq!(cut["alerts"][0]["severity"], "CRITICAL");
    assert_eq!(cut["alerts"][0]["measure"], -40.0);

    // The list filters by alert kind.
    let list = |kind: &'static str| {
        let app = &app;
        async move {
            let b = app
                .graphql(
                    None,
                    "query($k: AlertKind!) { ecosystem(slug: \"moquegua\") { investments(filter: {alertKind: $k}) { totalCount edges { node { cui } } } } }",
                    json!({"k": kind}),
                )
                .await
                .body;
            assert_eq!(b["errors"], Value::Null, "{b}");
            let conn = &b["data"]["ecosystem"]["investments"];
            let cuis: Vec<String> = conn["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["cui"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(conn["totalCount"], cuis.len());
            cuis
        }
    };
    assert_eq!(list("PHYSICAL").await, ["1000001", "1000002"]);
    assert_eq!(list("FINANCIAL").await, ["1000003", "1000004"]);
    assert_eq!(list("BUDGET").await, ["1000005"]);

    // The summary counts them by kind.
    let s = app
        .graphql(None, "{ ecosystem(slug: \"moquegua\") { investmentSummary(year: 2025) { alertsByKind { kind count } alerts { cui alert { rule } } } } }", json!({}))
        .await
        .body;
    let s = &s["data"]["ecosystem"]["investmentSummary"];
    assert_eq!(
        s["alertsByKind"],
        json!([{"kind": "PHYSICAL", "count": 2}, {"kind": "FINANCIAL", "count": 2}, {"kind": "BUDGET", "count": 1}])
    );
    assert_eq!(s["alerts"][0]["cui"], "1000005", "critical first: {s}");

    // Thresholds are the ecosystem's: three months for a stall, a 50 % change.
    let set = g
        .ok(
            SETTINGS,
            json!({"e": eco, "i": {"thresholds": {"stalledMonths": 3, "pimChangePercent": 50.0}}}),
        )
        .await;
    assert_eq!(
        set["setInvestmentSettings"]["thresholds"]["stalledMonths"],
        3
    );
    assert_eq!(alerts_of(&app, "1000001").await, vec![]);
    let cut = investment(&app, "1000005", "alerts { severity }").await;
    assert_eq!(
        cut["alerts"][0]["severity"], "WARNING",
        "a 40 % cut is under 50 %"
    );
    chain_verifies(&app).await;
}

async fn the_year_summary_totals_and_ranks_executing_units(app: TestApp) {
    let (eco, _, _) = seeded(&app).await;
    let g = coordinator(&app).await;
    let gore = app
        .create_actor(
            "Gobierno Regional de Moquegua",
            ActorKind::RegionalGovernment,
        )
        .await;
    let ilo = app
        .create_actor(
            "Municipalidad Provincial de Ilo",
            ActorKind::LocalGovernment,
        )
        .await;
    let a = create(
        &g,
        &eco,
        "2000001",
        json!({"executingActorId": gore.to_string(), "executingUnit": "Sede central"}),
    )
    .await;
    let b = create(&g, &eco, "2000002", json!({"executingActorId": ilo.to_string(), "executingUnit": "",
        "function": "EDUCATION", "ubigeo": "180301", "modality": "WORKS_FOR_TAXES", "participatoryBudget": true,
        "updatedCost": 500000.0, "level": "LOCAL"})).await;
    let c = create(
        &g,
        &eco,
        "2000003",
        json!({"executingActorId": gore.to_string(), "executingUnit": "Sede central",
        "financingSource": "ROYALTIES", "updatedCost": 2000000.0}),
    )
    .await;
    // An idea without snapshots counts in the year's portfolio; a closed one without does not.
    create(
        &g,
        &eco,
        "",
        json!({"cui": null, "kind": "IDEA", "stage": "IDEA", "updatedCost": 300000.0}),
    )
    .await;
    create(&g, &eco, "2000005", json!({"stage": "CLOSED"})).await;
    progress(
        &g,
        &a,
        figures("2025-12-31", 100_000.0, 80_000.0, 0.0, None),
    )
    .await;
    progress(
        &g,
        &c,
        figures("2025-12-31", 300_000.0, 60_000.0, 0.0, None),
    )
    .await;
    progress(&g, &b, figures("2025-12-31", 50_000.0, 45_000.0, 0.0, None)).await;
    // A snapshot of another year does not count in 2025.
    progress(&g, &b, figures("2024-12-31", 999_000.0, 1.0, 0.0, None)).await;
    let s = app
        .graphql(
            None,
            "{ ecosystem(slug: \"moquegua\") { investmentSummary(year: 2025) {
                totals { count cost pim accrued execution }
                participatoryBudget { count pim }
                byFunction { key labelEs totals { count cost } }
                byProvince { key labelEs totals { count } }
                byModality { key totals { count } }
                byFinancingSource { key totals { count } }
                executingUnits { rank executingActor { name } executingUnit totals { count pim accrued execution } }
                monthlyCurve { month accrued }
            } } }",
            json!({}),
        )
        .await
        .body;
    assert_eq!(s["errors"], Value::Null, "{s}");
    let s = &s["data"]["ecosystem"]["investmentSummary"];
    assert_eq!(s["totals"]["count"], 4);
    assert_eq!(s["totals"]["cost"], 3_800_000.0);
    assert_eq!(s["totals"]["pim"], 450_000.0);
    assert_eq!(s["totals"]["accrued"], 185_000.0);
    assert!((s["totals"]["execution"].as_f64().unwrap() - 185.0 / 450.0).abs() < 1e-12);
    assert_eq!(
        s["participatoryBudget"],
        json!({"count": 1, "pim": 50_000.0})
    );
    assert_eq!(s["byFunction"][0]["key"], "sanitation");
    assert_eq!(s["byFunction"][0]["labelEs"], "Saneamiento");
    assert_eq!(s["byFunction"][0]["totals"]["count"], 3);
    assert_eq!(s["byFunction"][1]["key"], "education");
    let provinces: Vec<&str> = s["byProvince"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(provinces, ["1801", "1803"]);
    assert_eq!(s["byProvince"][1]["labelEs"], "Ilo");
    assert!(
        s["byModality"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["key"] == "works_for_taxes")
    );
    assert!(
        s["byFinancingSource"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["key"] == "royalties")
    );
    // Ilo 90 %, the regional government's central office (80 + 60) / 400 = 35 %, then the
    // units without a PIM.
    let units = s["executingUnits"].as_array().unwrap();
    assert_eq!(
        units[0]["executingActor"]["name"],
        "Municipalidad Provincial de Ilo"
    );
    assert_eq!(units[0]["totals"]["execution"], 0.9);
    assert_eq!(units[1]["executingUnit"], "Sede central");
    assert_eq!(units[1]["totals"]["count"], 2);
    assert_eq!(units[1]["totals"]["execution"], 0.35);
    assert_eq!(units[1]["rank"], 2);
    assert_eq!(units.last().unwrap()["totals"]["execution"], Value::Null);
    assert_eq!(s["monthlyCurve"][11]["accrued"], 185_000.0);
    assert_eq!(s["monthlyCurve"][10]["accrued"], Value::Null);
    // Filters of the list: function, executing actor, province, participatory budget, stage.
    let count = |filter: Value| {
        let app = &app;
        async move {
            let b = app
                .graphql(None, "query($f: InvestmentFilter) { ecosystem(slug: \"moquegua\") { investments(filter: $f) { totalCount } } }", json!({"f": filter}))
                .await
                .body;
            assert_eq!(b["errors"], Value::Null, "{b}");
            b["data"]["ecosystem"]["investments"]["totalCount"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(count(json!({"function": "EDUCATION"})).await, 1);
    assert_eq!(
        count(json!({"executingActorId": gore.to_string()})).await,
        2
    );
    assert_eq!(count(json!({"executingUnit": "sede CENTRAL"})).await, 4);
    assert_eq!(count(json!({"province": "1803"})).await, 1);
    assert_eq!(count(json!({"participatoryBudget": true})).await, 1);
    assert_eq!(count(json!({"stage": "CLOSED"})).await, 1);
    assert_eq!(count(json!({"prioritised": true})).await, 0);
    assert_eq!(count(json!(null)).await, 5);
    // Pages: two at a time, by CUI, ideas last.
    let mut after: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let b = app
            .graphql(None, "query($a: String) { ecosystem(slug: \"moquegua\") { investments(first: 2, after: $a) { pageInfo { hasNextPage endCursor } edges { node { cui kind } } } } }", json!({"a": after}))
            .await
            .body;
        let conn = &b["data"]["ecosystem"]["investments"];
        for e in conn["edges"].as_array().unwrap() {
            seen.push(e["node"]["cui"].clone());
        }
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_string);
    }
    assert_eq!(
        seen,
        vec![
            json!("2000001"),
            json!("2000002"),
            json!("2000003"),
            json!("2000005"),
            Value::Null
        ]
    );
}

async fn priorities_weigh_criteria_and_mark_the_envelope(app: TestApp) {
    let (eco, _, indicator) = seeded(&app).await;
    let g = coordinator(&app).await;
    // Linked to IND1, which in 2023 has closed (19.25 − 10) / (40 − 10) of its gap.
    let linked = create(
        &g,
        &eco,
        "3000001",
        json!({"stage": "TECHNICAL_FILE", "beneficiaries": 1000,
        "links": [{"indicatorId": indicator}]}),
    )
    .await;
    let big = create(
        &g,
        &eco,
        "3000002",
        json!({"stage": "EXECUTION", "beneficiaries": 4000, "updatedCost": 800000.0}),
    )
    .await;
    create(&g, &eco, "3000003", json!({"stage": "CLOSED"})).await;
    progress(&g, &big, figures("2023-12-31", 600_000.0, 0.0, 0.0, None)).await;
    let set = g
        .ok(SETTINGS, json!({"e": eco, "i": {
            "criteria": {"gapWeight": 2.0, "stageWeight": 1.0, "scaleWeight": 1.0, "scaleBasis": "BENEFICIARIES",
                         "judged": [{"code": "equity", "name": "Equidad territorial", "weight": 4.0}]},
            "envelopes": [{"year": 2023, "amount": 1200000.0}]}}))
        .await;
    assert_eq!(
        set["setInvestmentSettings"]["envelopes"],
        json!([{"year": 2023, "amount": 1200000.0}])
    );
    let scored = g
        .ok("mutation($id: ID!) { scoreInvestment(investmentId: $id, criterion: \"equity\", score: 5) { judgedScores { criterion score } } }", json!({"id": linked}))
        .await;
    assert_eq!(
        scored["scoreInvestment"]["judgedScores"],
        json!([{"criterion": "equity", "score": 5}])
    );
    let unknown = g
        .run("mutation($id: ID!) { scoreInvestment(investmentId: $id, criterion: \"beauty\", score: 3) { id } }", json!({"id": linked}))
        .await;
    assert_eq!(error_code(&unknown), "BAD_USER_INPUT");
    let out_of_range = g
        .run("mutation($id: ID!) { scoreInvestment(investmentId: $id, criterion: \"equity\", score: 6) { id } }", json!({"id": linked}))
        .await;
    assert_eq!(error_code(&out_of_range), "BAD_USER_INPUT");

    let p = app
        .graphql(None, "{ ecosystem(slug: \"moquegua\") { investmentPriorities(year: 2023) { year envelope
            items { rank score need cumulativeNeed fits criteria { code value } investment { cui } } } } }", json!({}))
        .await
        .body;
    assert_eq!(p["errors"], Value::Null, "{p}");
    let p = &p["data"]["ecosystem"]["investmentPriorities"];
    assert_eq!(p["envelope"], 1_200_000.0);
    let items = p["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "closed investments are not prioritised");
    let value = |item: &Value, code: &str| {
        item["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .unwrap()["value"]
            .clone()
    };
    // 3000002: no linked indicator and no judged score (they do not count), stage 1 and
    // the largest scale: (1 × 1 + 1 × 1) / 2 = 1.
    assert_eq!(items[0]["investment"]["cui"], "3000002");
    assert_eq!(items[0]["score"], 1.0);
    assert_eq!(value(&items[0], "gap"), Value::Null);
    assert_eq!(value(&items[0], "equity"), Value::Null);
    // 3000001: gap 1 − 9.25/30, stage 0.75, scale 1000/4000, equity (5 − 1)/4.
    let gap = 1.0 - 9.25 / 30.0;
    let second = &items[1];
    assert_eq!(second["investment"]["cui"], "3000001");
    assert!(
        (value(second, "gap").as_f64().unwrap() - gap).abs() < 1e-9,
        "{second}"
    );
    assert_eq!(value(second, "scale"), 0.25);
    assert_eq!(value(second, "equity"), 1.0);
    let expected = (2.0 * gap + 0.75 + 0.25 + 4.0) / 8.0;
    assert!((second["score"].as_f64().unwrap() - expected).abs() < 1e-9);
    // Needs: the 2023 PIM (600 000) of the first; the remaining balance (its cost, 1 000 000)
    // of the second, without a 2023 snapshot. The envelope holds the first only.
    assert_eq!(items[0]["need"], 600_000.0);
    assert_eq!(items[1]["need"], 1_000_000.0);
    assert_eq!(items[1]["cumulativeNeed"], 1_600_000.0);
    assert_eq!(items[0]["fits"], true);
    assert_eq!(items[1]["fits"], false);
    assert_eq!(items[0]["rank"], 1);
    chain_verifies(&app).await;
    crate::privacy::columns_are_recorded(&app, &[("investment_settings", "investment_settings")])
        .await;
}

fn mef_row(cui: &str, ubigeo: &str, pim: f64, accrued: f64) -> ImportedInvestment {
    ImportedInvestment {
        definition: InvestmentDraft {
            cui: Some(cui.into()),
            name: format!("Creación del servicio {cui}"),
            kind: "project".into(),
            level: "gr".into(),
            function: "transport".into(),
            stage: "execution".into(),
            modality: "contract".into(),
            financing_source: "other".into(),
            ubigeo: ubigeo.into(),
            updated_cost: Some(5_000_000.0),
            executing_unit: "GOBIERNO REGIONAL MOQUEGUA - SEDE CENTRAL".into(),
            ..Default::default()
        }
        .parse()
        .unwrap(),
        snapshot: Snapshot {
            as_of: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
            year: 2000,
            pia: pim,
            pim,
            certified: pim,
            committed: accrued,
            accrued,
            paid: accrued,
            accrued_before: 1_000_000.0,
            physical: Some(PhysicalProgress {
                percent: 40.0,
                measured_on: NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
                evidence: "AVANCE_FISICO".into(),
            }),
        },
    }
}

async fn audit_length(app: &TestApp) -> i64 {
    app.app.audit_head().await.unwrap().seq
}

async fn the_mef_upsert_is_all_or_nothing_and_idempotent(app: TestApp) {
    let (eco, _, _) = seeded(&app).await;
    let eco: i64 = eco.parse().unwrap();
    let op = Caller::operator();
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    // A row outside the territory (Lima) refuses the whole import.
    let refused = app
        .app
        .upsert_investments(
            &op,
            eco,
            d("2025-03-07"),
            vec![
                mef_row("4000001", "180101", 1000.0, 100.0),
                mef_row("4000002", "150101", 1.0, 0.0),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert_eq!(refused.field_errors()[0].field, "rows[1].ubigeo");
    let count = || async {
        app.app
            .investments(eco, Default::default(), None, 200)
            .await
            .unwrap()
            .total
    };
    assert_eq!(count().await, 0);
    let rows = || {
        vec![
            mef_row("4000001", "180101", 1000.0, 100.0),
            mef_row("4000002", "1803", 2000.0, 0.0),
        ]
    };
    let first = app
        .app
        .upsert_investments(&op, eco, d("2025-03-07"), rows())
        .await
        .unwrap();
    assert_eq!((first.created, first.snapshots_written), (2, 2));
    // The coordinating body marks one as prioritised: a re-import keeps it.
    let g = coordinator(&app).await;
    let rec = app
        .app
        .investment_by_cui(eco, "4000001".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.latest().unwrap().year, 2025);
    let mut marked = input(
        "4000001",
        json!({"prioritised": true, "name": rec.definition.name, "function": "TRANSPORT",
        "updatedCost": 5000000.0, "executingUnit": "GOBIERNO REGIONAL MOQUEGUA - SEDE CENTRAL", "financingSource": "CANON"}),
    );
    marked["cui"] = json!("4000001");
    g.ok(
        "mutation($id: ID!, $i: InvestmentInput!) { updateInvestment(id: $id, input: $i) { id } }",
        json!({"id": rec.id.to_string(), "i": marked}),
    )
    .await;
    let before = audit_length(&app).await;
    let again = app
        .app
        .upsert_investments(&op, eco, d("2025-03-07"), rows())
        .await
        .unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));
    assert_eq!((again.snapshots_written, again.snapshots_unchanged), (0, 2));
    assert_eq!(
        audit_length(&app).await,
        before,
        "an identical import writes nothing"
    );
    let rec = app
        .app
        .investment_by_cui(eco, "4000001".into())
        .await
        .unwrap()
        .unwrap();
    assert!(rec.definition.prioritised);
    assert_eq!(rec.definition.financing_source.as_str(), "canon");
    // A week later: a new snapshot each, a new PIM raises a budget alert.
    let later = app
        .app
        .upsert_investments(
            &op,
            eco,
            d("2025-03-14"),
            vec![mef_row("4000001", "180101", 500.0, 100.0)],
        )
        .await
        .unwrap();
    assert_eq!((later.unchanged, later.snapshots_written), (1, 1));
    let rec = app
        .app
        .investment_by_cui(eco, "4000001".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.snapshots.len(), 2);
    assert!(
        rec.alerts.iter().any(|a| a.rule.as_str() == "pim_cut"),
        "{:?}",
        rec.alerts
    );
    // Duplicate CUIs and the caller's role are checked.
    let dup = app
        .app
        .upsert_investments(
            &op,
            eco,
            d("2025-03-21"),
            vec![
                mef_row("4000009", "18", 1.0, 0.0),
                mef_row("4000009", "18", 1.0, 0.0),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(dup.code(), "BAD_USER_INPUT");
    let monitor = Caller {
        user_id: Some(1),
        email: "m@ayni.test".into(),
        role: Role::Monitor,
        actor_id: None,
    };
    let forbidden = app
        .app
        .upsert_investments(&monitor, eco, d("2025-03-21"), rows())
        .await
        .unwrap_err();
    assert_eq!(forbidden.code(), "FORBIDDEN");
    chain_verifies(&app).await;
    crate::privacy::columns_are_recorded(
        &app,
        &[
            ("investment", "investments"),
            ("investment_snapshot", "investment_snapshots"),
        ],
    )
    .await;
    // A figure changed around the application breaks the chain's check.
    crate::trust::sql(&app, "UPDATE investment_snapshots SET pim = pim + 1")
        .await
        .unwrap();
    let c = crate::trust::chain(&app).await;
    assert_eq!(c["verified"], false, "{c}");
    assert_eq!(
        c["mismatches"][0]["entityType"], "investment_snapshot",
        "{c}"
    );
}

async fn only_coordinators_and_the_executing_actor_write(app: TestApp) {
    let (eco, _, _) = seeded(&app).await;
    let g = coordinator(&app).await;
    let actor = app
        .create_actor(
            "Municipalidad Distrital de Torata",
            ActorKind::LocalGovernment,
        )
        .await;
    let id = create(
        &g,
        &eco,
        "5000001",
        json!({"executingActorId": actor.to_string()}),
    )
    .await;
    progress(
        &g,
        &id,
        figures("2025-03-31", 100_000.0, 10_000.0, 0.0, None),
    )
    .await;
    let own = "contrib-torata@ayni.test";
    app.create_user(own, Role::Contributor, Some(actor)).await;
    let own = Gql {
        app: &app,
        token: app.token(own, TEST_PASSWORD).await,
    };
    let other = Gql {
        app: &app,
        token: app.login_as(Role::Contributor).await,
    };
    let monitor = Gql {
        app: &app,
        token: app.login_as(Role::Monitor).await,
    };

    // Anonymous callers cannot mutate.
    for (q, v) in [
        (CREATE, json!({"e": eco, "i": input("5000002", json!({}))})),
        (
            PROGRESS,
            json!({"id": id, "i": {"asOf": "2025-04-30", "physicalProgress": 10.0}}),
        ),
        (
            SETTINGS,
            json!({"e": eco, "i": {"envelopes": [{"year": 2025, "amount": 1.0}]}}),
        ),
    ] {
        assert_eq!(
            error_code(&app.graphql(None, q, v).await.body),
            "UNAUTHENTICATED"
        );
    }
    // A contributor of another actor, and a monitor, are refused.
    for who in [&other, &monitor] {
        let b = who
            .run(
                PROGRESS,
                json!({"id": id, "i": {"asOf": "2025-04-30", "physicalProgress": 10.0}}),
            )
            .await;
        assert_eq!(error_code(&b), "FORBIDDEN", "{b}");
    }
    // The executing actor's contributor records physical progress, and nothing else.
    let b = own
        .run(
            PROGRESS,
            json!({"id": id, "i": {"asOf": "2025-04-30", "pim": 1.0, "physicalProgress": 10.0}}),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    let b = own
        .run(PROGRESS, json!({"id": id, "i": {"asOf": "2025-04-30"}}))
        .await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT");
    own.ok(PROGRESS, json!({"id": id, "i": {"asOf": "2025-04-30", "physicalProgress": 12.5, "physicalEvidence": "Valorización N° 4"}})).await;
    let i = investment(
        &app,
        "5000001",
        "latest { pim physicalProgress physicalEvidence }",
    )
    .await;
    assert_eq!(
        i["latest"],
        json!({"pim": 100_000.0, "physicalProgress": 12.5, "physicalEvidence": "Valorización N° 4"})
    );
    for who in [&own, &monitor] {
        for (q, v) in [
            (CREATE, json!({"e": eco, "i": input("5000002", json!({}))})),
            (
                "mutation($id: ID!, $i: InvestmentInput!) { updateInvestment(id: $id, input: $i) { id } }",
                json!({"id": id, "i": input("5000001", json!({}))}),
            ),
            (
                SETTINGS,
                json!({"e": eco, "i": {"envelopes": [{"year": 2025, "amount": 1.0}]}}),
            ),
            (
                "mutation($id: ID!) { scoreInvestment(investmentId: $id, criterion: \"x\", score: 3) { id } }",
                json!({"id": id}),
            ),
        ] {
            assert_eq!(error_code(&who.run(q, v).await), "FORBIDDEN");
        }
    }
    chain_verifies(&app).await;
}

async fn hostile_input_is_refused_fast_and_stores_nothing(app: TestApp) {
    let (eco, _, _) = seeded(&app).await;
    let g = coordinator(&app).await;
    let id = create(&g, &eco, "6000001", json!({})).await;
    let huge = "x".repeat(200_000);
    let cases = [
        (input("12345", json!({})), "cui"),
        (input("12a4567", json!({})), "cui"),
        (input("6000002", json!({"name": huge})), "name"),
        (
            input("6000002", json!({"updatedCost": -5.0})),
            "updatedCost",
        ),
        (
            input("6000002", json!({"viableAmount": 1e300})),
            "viableAmount",
        ),
        (input("6000002", json!({"ubigeo": "999999"})), "ubigeo"),
        (
            input("6000002", json!({"latitude": 123.0, "longitude": 0.0})),
            "latitude",
        ),
        (
            input("6000002", json!({"startDate": "2025-13-45"})),
            "startDate",
        ),
        (
            input(
                "6000002",
                json!({"plannedCurves": [{"year": 2025, "months": [1.0, 2.0]}]}),
            ),
            "plannedCurves.months",
        ),
        (
            input("6000002", json!({"links": [{"objectiveId": "999999"}]})),
            "links.objectiveId",
        ),
        (input("6000002", json!({"links": [{}]})), "links"),
        (
            input("6000002", json!({"executingActorId": "999999"})),
            "executingActorId",
        ),
    ];
    for (i, field) in cases {
        let started = Instant::now();
        let b = g.run(CREATE, json!({"e": eco, "i": i})).await;
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(error_code(&b), "BAD_USER_INPUT", "{field}: {b}");
        let fields: Vec<&str> = b["errors"][0]["extensions"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    let dup = g
        .run(CREATE, json!({"e": eco, "i": input("6000001", json!({}))}))
        .await;
    assert_eq!(error_code(&dup), "CONFLICT");
    for (i, field) in [
        (figures("2025-03-31", -1.0, 0.0, 0.0, None), "pim"),
        (figures("2025-03-31", 1.0, f64::MAX, 0.0, None), "accrued"),
        (
            figures("2025-03-31", 1.0, 0.0, 0.0, Some(120.0)),
            "physicalProgress",
        ),
        (figures("31/03/2025", 1.0, 0.0, 0.0, None), "asOf"),
        (json!({"asOf": "2025-03-31", "pim": 1.0}), "pia"),
    ] {
        let b = g.run(PROGRESS, json!({"id": id, "i": i})).await;
        assert_eq!(error_code(&b), "BAD_USER_INPUT", "{field}: {b}");
        assert!(b.to_string().contains(field), "{field}: {b}");
    }
    let b = g.run(SETTINGS, json!({"e": eco, "i": {"thresholds": {"stalledMonths": 0}, "envelopes": [{"year": 1800, "amount": -1.0}]}})).await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT");
    assert_eq!(
        b["errors"][0]["extensions"]["fields"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "{b}"
    );
    // Reads: a malformed CUI, a page too large, a foreign cursor, an absurd year.
    for (q, code) in [
        (
            "{ ecosystem(slug: \"moquegua\") { investment(cui: \"abc\") { id } } }",
            "BAD_USER_INPUT",
        ),
        (
            "{ ecosystem(slug: \"moquegua\") { investments(first: 100000) { totalCount } } }",
            "BAD_USER_INPUT",
        ),
        (
            "{ ecosystem(slug: \"moquegua\") { investments(after: \"zz\") { totalCount } } }",
            "BAD_USER_INPUT",
        ),
        (
            "{ ecosystem(slug: \"moquegua\") { investmentSummary(year: 99999) { year } } }",
            "BAD_USER_INPUT",
        ),
        (
            "{ ecosystem(slug: \"moquegua\") { investments(filter: {province: \"99\"}) { totalCount } } }",
            "BAD_USER_INPUT",
        ),
    ] {
        let b = app.graphql(None, q, json!({})).await.body;
        assert_eq!(error_code(&b), code, "{q}: {b}");
    }
    let none = app
        .graphql(
            None,
            "{ ecosystem(slug: \"moquegua\") { investment(cui: \"7654321\") { id } } }",
            json!({}),
        )
        .await
        .body;
    assert_eq!(none["data"]["ecosystem"]["investment"], Value::Null);
    // Nothing but the first investment and no snapshot was stored.
    let i = investment(&app, "6000001", "snapshots { asOf }").await;
    assert_eq!(i["snapshots"], json!([]));
    let total = app
        .graphql(
            None,
            "{ ecosystem(slug: \"moquegua\") { investments { totalCount } } }",
            json!({}),
        )
        .await
        .body;
    assert_eq!(total["data"]["ecosystem"]["investments"]["totalCount"], 1);
    chain_verifies(&app).await;
}

/// Queries one read of the whole portfolio issues.
async fn queries_of(app: &TestApp, query: &str) -> u64 {
    let before = app.app.queries_run();
    let b = app.graphql(None, query, json!({})).await.body;
    assert_eq!(b["errors"], Value::Null, "{b}");
    app.app.queries_run() - before
}

async fn reads_issue_a_fixed_number_of_queries(app: TestApp) {
    let (eco, objective, indicator) = seeded(&app).await;
    let g = coordinator(&app).await;
    let actor = app
        .create_actor(
            "Gobierno Regional de Moquegua",
            ActorKind::RegionalGovernment,
        )
        .await;
    let add = |cui: String| {
        let (g, eco, objective, indicator) = (&g, &eco, &objective, &indicator);
        async move {
            let id = create(
                g,
                eco,
                &cui,
                json!({"executingActorId": actor.to_string(),
                "links": [{"objectiveId": objective}, {"indicatorId": indicator}]}),
            )
            .await;
            progress(g, &id, figures("2025-03-31", 100.0, 10.0, 0.0, Some(5.0))).await;
            progress(g, &id, figures("2025-04-30", 100.0, 20.0, 0.0, Some(5.0))).await;
        }
    };
    let list = "{ ecosystem(slug: \"moquegua\") { investments(first: 200) { edges { node { cui
        executingActor { name } links { objective { code } indicator { code } } snapshots { asOf }
        alerts { rule } monthlyCurve { accrued } } } }
        objectives { investments { cui } indicators { investments { cui } } }
        investmentSummary(year: 2025) { totals { count } executingUnits { executingActor { name } } } } }";
    for n in 0..2 {
        add(format!("700000{n}")).await;
    }
    let few = queries_of(&app, list).await;
    for n in 2..8 {
        add(format!("700000{n}")).await;
    }
    let many = queries_of(&app, list).await;
    // Six more investments (each with links, snapshots and an actor) add no query; a batch
    // loader may split a batch differently from one request to the next (±1).
    assert!(
        many <= few + 1,
        "the queries grow with the investments: {few} → {many}"
    );
}
