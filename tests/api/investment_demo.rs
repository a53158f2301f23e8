//! The demo's investment portfolios: Moquegua's (about 40 investments, monthly series for
//! 2024–2025, alerts of every kind and rule raised by the data) and Cajamarca's.

use std::collections::HashSet;
use std::process::Command;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(the_demo_portfolios_load_with_every_alert_and_reload_idempotently);

fn seed(app: &TestApp) -> String {
    let url = app.database_url.to_string_unmasked();
    let dir = format!("{}/seeds/demo", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_ayni"))
        .args(["seed", "--database-url", &url, &dir])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn portfolio(app: &TestApp, slug: &str) -> Value {
    let q = r#"query($s: String!) { ecosystem(slug: $s) { name
        investments(first: 200) { totalCount edges { node { cui name stage ubigeo
          participatoryBudget prioritised snapshots { asOf } links { expectedChange }
          alerts { kind rule severity } } } }
        investmentSummary(year: 2025) { totals { count pim accrued }
          alertsByKind { kind count } }
        investmentPriorities(year: 2026) { envelope items { fits } } } }"#;
    let body = app.graphql(None, q, json!({"s": slug})).await.body;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["ecosystem"].clone()
}

async fn the_demo_portfolios_load_with_every_alert_and_reload_idempotently(app: TestApp) {
    seed(&app);
    let moq = portfolio(&app, "moquegua").await;
    let n = moq["investments"]["totalCount"].as_u64().unwrap();
    assert!((38..=45).contains(&n), "about 40 investments: {n}");
    let nodes: Vec<&Value> = moq["investments"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    assert!(
        nodes
            .iter()
            .all(|i| i["ubigeo"].as_str().unwrap().starts_with("18"))
    );
    // Monthly series 2024–2025 for most of them.
    let with_series = nodes
        .iter()
        .filter(|i| i["snapshots"].as_array().unwrap().len() == 24)
        .count();
    assert!(with_series >= 30, "{with_series}");
    assert!(nodes.iter().any(|i| i["participatoryBudget"] == true));
    assert!(nodes.iter().any(|i| i["prioritised"] == true));
    assert!(
        nodes.iter().any(|i| i["cui"].is_null()),
        "ideas without CUI"
    );
    assert!(
        nodes
            .iter()
            .any(|i| !i["links"].as_array().unwrap().is_empty())
    );

    // Every rule (so every kind) and both severities are raised by the data.
    let alerts: Vec<&Value> = nodes
        .iter()
        .flat_map(|i| i["alerts"].as_array().unwrap().iter())
        .collect();
    let rules: HashSet<&str> = alerts.iter().map(|a| a["rule"].as_str().unwrap()).collect();
    for r in [
        "STALLED",
        "PHYSICAL_LAG",
        "BEHIND_PLAN",
        "BEHIND_PACE",
        "PIM_CUT",
        "PIM_CHANGE",
    ] {
        assert!(rules.contains(r), "no {r} alert: {rules:?}");
    }
    let severities: HashSet<&str> = alerts
        .iter()
        .map(|a| a["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities.len(), 2, "{severities:?}");
    let kinds: Vec<&str> = moq["investmentSummary"]["alertsByKind"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["count"].as_i64().unwrap() > 0)
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["PHYSICAL", "FINANCIAL", "BUDGET"]);
    assert!(moq["investmentSummary"]["totals"]["pim"].as_f64().unwrap() > 1e8);
    let prio = &moq["investmentPriorities"];
    assert_eq!(prio["envelope"], 160000000.0);
    let fits: HashSet<bool> = prio["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["fits"].as_bool())
        .collect();
    assert_eq!(fits.len(), 2, "some fit the envelope, some do not");

    // Cajamarca: its own illustrative ecosystem with a modest prioritised portfolio.
    let caj = portfolio(&app, "cajamarca").await;
    assert!(caj["name"].as_str().unwrap().contains("ilustrativo"));
    let n = caj["investments"]["totalCount"].as_u64().unwrap();
    assert!((5..=12).contains(&n), "{n}");
    assert!(
        caj["investments"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["node"]["ubigeo"].as_str().unwrap().starts_with("06")
                && e["node"]["name"].as_str().unwrap().contains("ilustrativ"))
    );

    // Reloading creates nothing and changes nothing.
    let again = seed(&app);
    assert!(again.contains(": 0 created"), "{again}");
    assert_eq!(portfolio(&app, "moquegua").await, moq);
    assert_eq!(portfolio(&app, "cajamarca").await, caj);
}
