//! `ayni seed` and `ayni export map` against real databases.

use std::process::Command;

use serde_json::{Value, json};

use ayni::db::audit::entries_from;

use crate::both_backends;
use crate::helpers::TestApp;
use crate::strategy::coordinator;

both_backends!(
    the_demo_seed_loads_once_and_reloading_changes_nothing,
    bad_seed_files_are_refused_naming_the_file,
    the_map_exports_as_svg_dot_and_json
);

fn ayni(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ayni"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn demo_dir() -> String {
    format!("{}/seeds/demo", env!("CARGO_MANIFEST_DIR"))
}

async fn audit_len(app: &TestApp) -> usize {
    app.direct(|c| entries_from(c, 0, 1_000_000))
        .await
        .unwrap()
        .len()
}

async fn seed_demo(app: &TestApp) {
    let url = app.database_url.to_string_unmasked();
    let out = ayni(&["seed", "--database-url", &url, &demo_dir()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

async fn the_demo_seed_loads_once_and_reloading_changes_nothing(app: TestApp) {
    let url = app.database_url.to_string_unmasked();
    let first = ayni(&["seed", "--database-url", &url, &demo_dir()]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        !text(&first.stdout).contains(": 0 created"),
        "{}",
        text(&first.stdout)
    );
    let audit_after_first = audit_len(&app).await;

    let second = ayni(&["seed", "--database-url", &url, &demo_dir()]);
    assert!(second.status.success());
    assert!(
        text(&second.stdout).contains(": 0 created"),
        "{}",
        text(&second.stdout)
    );
    assert_eq!(
        audit_len(&app).await,
        audit_after_first,
        "a second load writes nothing"
    );

    // The demo scorecard for its latest year: all four perspectives scored, every status seen.
    let card = app
        .graphql(
            None,
            r#"{ ecosystem(slug: "moquegua") { scorecard(period: "2024") { score coverage
            perspectives { score coverage status objectives { indicators { status } } } } } }"#,
            json!({}),
        )
        .await
        .body;
    let card = &card["data"]["ecosystem"]["scorecard"];
    assert!(
        card["score"].as_f64().is_some() && card["coverage"].as_f64() == Some(1.0),
        "{card}"
    );
    let perspectives = card["perspectives"].as_array().unwrap();
    assert_eq!(perspectives.len(), 4);
    assert!(perspectives.iter().all(|p| p["score"].as_f64().is_some()));
    let statuses: std::collections::HashSet<&str> = perspectives
        .iter()
        .flat_map(|p| p["objectives"].as_array().unwrap().iter())
        .flat_map(|o| o["indicators"].as_array().unwrap().iter())
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    for s in ["GREEN", "AMBER", "RED"] {
        assert!(statuses.contains(s), "{s}");
    }

    // The repository: 158 variables, and formula indicators computed from their observations.
    let repo = app
        .graphql(
            None,
            r#"{ variables(first: 1, filter: {ecosystem: "moquegua"}) { totalCount }
                 ecosystem(slug: "moquegua") { scorecard(period: "2024") { perspectives { objectives {
                   indicators { code formula actual noValueReason } } } } } }"#,
            json!({}),
        )
        .await
        .body;
    assert_eq!(repo["data"]["variables"]["totalCount"], 158, "{repo}");
    let formulas: Vec<&Value> = repo["data"]["ecosystem"]["scorecard"]["perspectives"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["objectives"].as_array().unwrap().iter())
        .flat_map(|o| o["indicators"].as_array().unwrap().iter())
        .filter(|i| i["formula"].is_string())
        .collect();
    assert!(formulas.len() >= 10, "{formulas:?}");
    for i in &formulas {
        assert!(i["actual"].as_f64().is_some(), "{i}");
    }
    // Shared value: per-actor view, one adopted and one proposed hybrid metric, a VEC whose
    // status the planned scenario changes, and map links tested with data.
    let sv = app
        .graphql(
            None,
            r#"{ ecosystem(slug: "moquegua") {
                 sharedValue(period: "2024") { byActor { actor { kind } contributes { indicatorCount } receives { indicatorCount } } }
                 hybridMetrics { code status causalCheck { verdict n r } }
                 existing: cumulativeImpacts(period: "2028", scenario: EXISTING) { vec { code } status }
                 planned: cumulativeImpacts(period: "2028", scenario: WITH_PLANNED) { vec { code } status }
                 strategyMap { edges { evidence { verdict } } } } }"#,
            json!({}),
        )
        .await
        .body;
    let e = &sv["data"]["ecosystem"];
    let community = e["sharedValue"]["byActor"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["actor"]["kind"] == "COMMUNITY")
        .unwrap();
    assert!(
        community["receives"]["indicatorCount"].as_i64().unwrap() > 0,
        "{sv}"
    );
    let hms = e["hybridMetrics"].as_array().unwrap();
    let status_of = |verdict: &str| {
        hms.iter()
            .find(|h| h["causalCheck"]["verdict"] == verdict)
            .map(|h| h["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status_of("SUPPORTED").as_deref(), Some("ADOPTED"), "{sv}");
    assert_eq!(
        status_of("INSUFFICIENT_DATA").as_deref(),
        Some("PROPOSED"),
        "{sv}"
    );
    let changed: Vec<&Value> = e["existing"]
        .as_array()
        .unwrap()
        .iter()
        .zip(e["planned"].as_array().unwrap())
        .filter(|(a, b)| a["status"] != b["status"])
        .map(|(_, b)| &b["vec"]["code"])
        .collect();
    assert!(!changed.is_empty(), "{sv}");
    let verdicts: std::collections::HashSet<&str> = e["strategyMap"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["evidence"]["verdict"].as_str().unwrap())
        .collect();
    assert!(
        verdicts.contains("SUPPORTED") && verdicts.contains("INSUFFICIENT_DATA"),
        "{verdicts:?}"
    );

    let verified = app
        .graphql(None, "{ auditChain { verified mismatchCount } }", json!({}))
        .await
        .body;
    assert_eq!(
        verified["data"]["auditChain"]["verified"], true,
        "{verified}"
    );

    let q = r#"{ actors { kind } ecosystem(slug: "moquegua") { territory members { roleLabel } themes { code kind }
                 perspectives { kind } objectives { code perspective { kind } }
                 strategyMap { edges { cause { perspective { kind } } effect { perspective { kind } } } } } }"#;
    let body = app.graphql(None, q, json!({})).await.body;
    let e = &body["data"]["ecosystem"];
    let kinds: std::collections::HashSet<&str> = body["data"]["actors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 8, "actors of every kind");
    assert_eq!(e["territory"], "18");
    assert_eq!(
        e["themes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["kind"] == "CLUSTER")
            .count(),
        5
    );
    let themes: Vec<&str> = e["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap())
        .collect();
    for t in [
        "CB", "DP", "GAA", "GIRH", "AGRO", "PISCO", "TUR", "HOT", "GAST",
    ] {
        assert!(themes.contains(&t), "{t}");
    }
    let objectives = e["objectives"].as_array().unwrap();
    assert!(objectives.len() >= 16);
    for kind in ["RESULTS", "STAKEHOLDERS", "PROCESSES", "ENABLERS"] {
        assert!(
            objectives.iter().any(|o| o["perspective"]["kind"] == kind),
            "{kind}"
        );
    }
    // Links run from enablers through processes and stakeholders to results, never down.
    let rank = |k: &Value| {
        ["ENABLERS", "PROCESSES", "STAKEHOLDERS", "RESULTS"]
            .iter()
            .position(|x| k == x)
            .unwrap()
    };
    let edges = e["strategyMap"]["edges"].as_array().unwrap();
    assert!(edges.len() >= 16);
    for edge in edges {
        assert!(
            rank(&edge["cause"]["perspective"]["kind"])
                <= rank(&edge["effect"]["perspective"]["kind"]),
            "{edge}"
        );
    }

    // The map's link evidence is kept until the next write, and the next write is seen: a
    // value for a new year extends the years the objectives are scored over.
    let ids = app
        .graphql(
            None,
            r#"{ ecosystem(slug: "moquegua") { id scorecard(period: "2024") { perspectives { objectives {
                 indicators { id formula baselinePeriod actual } } } } } }"#,
            json!({}),
        )
        .await
        .body;
    let eco: i64 = ids["data"]["ecosystem"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{ids}"))
        .parse()
        .unwrap();
    let indicator: i64 = ids["data"]["ecosystem"]["scorecard"]["perspectives"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["objectives"].as_array().unwrap().iter())
        .flat_map(|o| o["indicators"].as_array().unwrap().iter())
        .find(|i| {
            i["formula"].is_null()
                && !i["actual"].is_null()
                && i["baselinePeriod"].as_str().is_some_and(|p| p.len() == 4)
        })
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let last_year = |evidence: &[ayni::app::LinkEvidence]| {
        evidence
            .iter()
            .filter_map(|l| l.periods.last())
            .map(|p| p.year())
            .max()
    };
    let first = app.app.link_evidence(eco).await.unwrap();
    let again = app.app.link_evidence(eco).await.unwrap();
    assert_eq!(last_year(&first), Some(2024));
    assert_eq!(last_year(&again), Some(2024));
    let op = ayni::app::Caller::operator();
    let m = app
        .app
        .submit_measurement(
            &op,
            ayni::app::MeasurementInput {
                indicator_id: indicator,
                period: "2025".into(),
                territory: None,
                disaggregation: Vec::new(),
                value: 1.0,
                evidence_url: None,
                evidence_text: Some("prueba".into()),
                comment: None,
                actor_id: Some(1),
                evidence_file: None,
            },
        )
        .await
        .unwrap();
    app.app.approve_measurement(&op, m.id).await.unwrap();
    let after = app.app.link_evidence(eco).await.unwrap();
    assert_eq!(last_year(&after), Some(2025));
}

async fn bad_seed_files_are_refused_naming_the_file(app: TestApp) {
    let url = app.database_url.to_string_unmasked();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"actors": [{"name": "Minera X", "kind": "mine"}]}"#,
    )
    .unwrap();
    let out = ayni(&["seed", "--database-url", &url, dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("bad.json") && err.contains("mine"), "{err}");
    assert!(
        app.app.actors().await.unwrap().is_empty(),
        "nothing written"
    );

    std::fs::write(&bad, r#"{"ecosystems": [{"slug": "x-eco", "name": "X eco", "territory": "18", "horizon": [2023, 2030],
        "members": [{"actor": "Nadie", "role": "Fantasma"}]}]}"#).unwrap();
    let out = ayni(&["seed", "--database-url", &url, bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no actor named 'Nadie'"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        app.app.ecosystems().await.unwrap().is_empty(),
        "references are checked before writing"
    );
}

async fn the_map_exports_as_svg_dot_and_json(app: TestApp) {
    seed_demo(&app).await;
    let url = app.database_url.to_string_unmasked();
    let dir = tempfile::tempdir().unwrap();
    let svg_path = dir.path().join("map.svg");
    let out = ayni(&[
        "export",
        "map",
        "--database-url",
        &url,
        "--ecosystem",
        "moquegua",
        "--format",
        "svg",
        "--out",
        svg_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let bands: Vec<&str> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("band"))
        .filter_map(|n| n.attribute("data-kind"))
        .collect();
    assert_eq!(bands, ["results", "stakeholders", "processes", "enablers"]);
    let boxes = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("objective"))
        .count();
    assert_eq!(boxes, 18);
    let arrows = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("link"))
        .count();
    assert_eq!(arrows, 22);

    let json_out = ayni(&[
        "export",
        "map",
        "--database-url",
        &url,
        "--ecosystem",
        "moquegua",
        "--format",
        "json",
    ]);
    let map: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(map["perspectives"][0]["name"], "Resultados: triple valor");
    assert_eq!(map["links"].as_array().unwrap().len(), 22);

    let dot = text(
        &ayni(&[
            "export",
            "map",
            "--database-url",
            &url,
            "--ecosystem",
            "moquegua",
            "--format",
            "dot",
        ])
        .stdout,
    );
    assert!(
        dot.starts_with("digraph strategy_map {") && dot.contains("\"OE11\" -> \"OE3\";"),
        "{dot}"
    );

    // The bands follow the ecosystem's order.
    let g = coordinator(&app).await;
    let eco = g
        .ok("{ ecosystem(slug: \"moquegua\") { id } }", json!({}))
        .await;
    g.ok("mutation($e: ID!) { reorderPerspectives(ecosystemId: $e, kinds: [ENABLERS, PROCESSES, STAKEHOLDERS, RESULTS]) { kind } }",
         json!({"e": eco["ecosystem"]["id"]})).await;
    let svg = text(
        &ayni(&[
            "export",
            "map",
            "--database-url",
            &url,
            "--ecosystem",
            "moquegua",
        ])
        .stdout,
    );
    assert!(
        svg.find("data-kind=\"enablers\"").unwrap() < svg.find("data-kind=\"results\"").unwrap()
    );

    let missing = ayni(&[
        "export",
        "map",
        "--database-url",
        &url,
        "--ecosystem",
        "lima",
    ]);
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("no ecosystem with slug 'lima'"));
}
