//! Investments in the workspace (`/app/inversiones`): the coordinating body records and
//! edits investments, snapshots, scores and settings through forms; the executing actor's
//! contributor reports physical progress of its own investments only; every form refuses a
//! foreign CSRF token, shows field errors beside their fields and stores nothing then.

use awc::http::StatusCode;
use serde_json::{Value, json};

use ayni::domain::{ActorKind, Role};

use crate::both_backends;
use crate::helpers::TEST_PASSWORD;
use crate::helpers::TestApp;
use crate::helpers::workspace::{Page, Upload, WorkspaceClient};
use crate::investments::seeded;

both_backends!(
    coordinators_record_and_edit_investments_through_forms,
    the_executing_actor_reports_physical_progress_only,
    settings_and_scores_are_set_through_forms,
    coordinators_import_mef_s_file_in_the_workspace,
);

const ONE: &str = "query($cui: String!) { ecosystem(slug: \"moquegua\") { investment(cui: $cui) {
    id name updatedCost beneficiaries participatoryBudget executingActor { id }
    links { objective { code } indicator { code } expectedChange }
    plannedCurves { year }
    judgedScores { criterion score }
    snapshots { asOf pia pim accrued physicalProgress physicalEvidence } } } }";

async fn one(app: &TestApp, cui: &str) -> Value {
    let d = app.graphql(None, ONE, json!({ "cui": cui })).await.body;
    d["data"]["ecosystem"]["investment"].clone()
}

async fn count(app: &TestApp) -> u64 {
    let d = app
        .graphql(
            None,
            "{ ecosystem(slug: \"moquegua\") { investments(first: 10) { totalCount } } }",
            json!({}),
        )
        .await
        .body;
    d["data"]["ecosystem"]["investments"]["totalCount"]
        .as_u64()
        .unwrap_or_else(|| panic!("{d}"))
}

async fn post(c: &WorkspaceClient<'_>, path: &str, fields: &[(&str, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post_form(path, &pairs).await
}

/// The seeded ecosystem's first objective's and indicator's codes.
async fn codes(app: &TestApp) -> (String, String) {
    seeded(app).await;
    let d = app
        .graphql(
            None,
            "{ ecosystem(slug: \"moquegua\") { objectives { code indicators { code } } } }",
            json!({}),
        )
        .await
        .body;
    let o = &d["data"]["ecosystem"]["objectives"][0];
    (
        o["code"].as_str().unwrap().to_string(),
        o["indicators"][0]["code"].as_str().unwrap().to_string(),
    )
}

fn definition(csrf: &str, cui: &str, actor: i64, links: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", csrf.to_string()),
        ("ecosistema", "moquegua".into()),
        ("cui", cui.to_string()),
        ("name", "Mejoramiento del servicio de agua potable en Torata".into()),
        ("kind", "project".into()),
        ("level", "gr".into()),
        ("function", "sanitation".into()),
        ("programme", "Saneamiento urbano".into()),
        ("stage", "execution".into()),
        ("modality", "contract".into()),
        ("financingSource", "canon".into()),
        ("participatoryBudget", "on".into()),
        ("ubigeo", "1801".into()),
        ("beneficiaries", "4,250".into()),
        ("viableAmount", "S/ 10,000,000".into()),
        ("updatedCost", "12,500,000.50".into()),
        ("startDate", "2024-03-01".into()),
        ("plannedEndDate", "2026-06-30".into()),
        ("executingActorId", actor.to_string()),
        ("links", links.to_string()),
        (
            "plannedCurves",
            "2025: 100000; 200000; 300000; 400000; 500000; 600000; 700000; 800000; 900000; 1000000; 1100000; 1200000"
                .into(),
        ),
    ]
}

fn with(
    mut fields: Vec<(&'static str, String)>,
    name: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    fields.retain(|(k, _)| *k != name);
    fields.push((name, value.to_string()));
    fields
}

/// Coordinators (and an actor for the investments to be executed by) in the seeded app.
async fn people(app: &TestApp) -> (String, String, i64) {
    let codes = codes(app).await;
    let actor = app
        .create_actor(
            "Gobierno Regional de Moquegua",
            ActorKind::RegionalGovernment,
        )
        .await;
    app.create_user("coord.i@ayni.test", Role::Coordinator, None)
        .await;
    app.create_user("enlace.i@ayni.test", Role::Contributor, Some(actor))
        .await;
    let other = app
        .create_actor(
            "Municipalidad Provincial de Ilo",
            ActorKind::LocalGovernment,
        )
        .await;
    app.create_user("otro.i@ayni.test", Role::Contributor, Some(other))
        .await;
    app.create_user("monitor.i@ayni.test", Role::Monitor, None)
        .await;
    (codes.0, codes.1, actor)
}

async fn coordinators_record_and_edit_investments_through_forms(app: TestApp) {
    let (objective, indicator, actor) = people(&app).await;

    // Anonymous: sent to sign in. A monitor reads that investments are public, no forms.
    let anon = WorkspaceClient::new(&app);
    assert_eq!(
        anon.get("/app/inversiones").await.status,
        StatusCode::SEE_OTHER
    );
    let monitor = WorkspaceClient::signed_in(&app, "monitor.i@ayni.test", TEST_PASSWORD).await;
    let desk = monitor.get("/app/inversiones").await;
    assert_eq!(desk.status, StatusCode::OK);
    assert!(desk.text().contains("públicas"), "{}", desk.text());
    assert!(
        !desk.text().contains("href=\"/app/inversiones\""),
        "not in a monitor's menu"
    );
    assert_eq!(
        monitor
            .get("/app/inversiones/nueva?ecosistema=moquegua")
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let coord = WorkspaceClient::signed_in(&app, "coord.i@ayni.test", TEST_PASSWORD).await;
    let desk = coord.get("/app/inversiones").await;
    assert_eq!(desk.status, StatusCode::OK, "{}", desk.text());
    assert!(
        desk.text().contains("href=\"/app/inversiones\""),
        "in the menu"
    );
    assert!(desk.text().contains("0 inversiones"), "{}", desk.text());
    let form = coord
        .get("/app/inversiones/nueva?ecosistema=moquegua")
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    assert!(form.text().contains("name=\"plannedCurves\""));
    assert!(
        form.text().contains(&objective),
        "the codes one may link to are listed"
    );
    let csrf = form.csrf();
    let links = format!("{objective}: +3 puntos al 2026\n{indicator}");

    // Without this session's token: refused, nothing stored.
    for path in [
        "/app/inversiones/nueva",
        "/app/inversiones/editar",
        "/app/inversiones/avance",
        "/app/inversiones/puntaje",
        "/app/inversiones/parametros",
    ] {
        let p = post(
            &coord,
            path,
            &definition(&"0".repeat(64), "2345678", actor, &links),
        )
        .await;
        assert_eq!(
            p.status,
            StatusCode::FORBIDDEN,
            "{path} with a foreign token"
        );
    }
    assert_eq!(count(&app).await, 0);

    // Field errors beside their fields, all at once; nothing stored.
    let mut bad = definition(&csrf, "12", actor, "OE99: nada");
    bad = with(bad, "beneficiaries", "muchos");
    bad = with(bad, "plannedCurves", "2025: 1; 2");
    bad = with(bad, "plannedEndDate", "2023-01-01");
    let p = post(&coord, "/app/inversiones/nueva", &bad).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text());
    for id in ["e-beneficiaries", "e-links"] {
        assert!(
            p.text().contains(&format!("id=\"{id}\"")),
            "{id}: {}",
            p.text()
        );
    }
    assert!(p.text().contains("OE99"));
    assert!(
        p.text()
            .contains("Mejoramiento del servicio de agua potable"),
        "what was typed is kept"
    );
    let p = post(
        &coord,
        "/app/inversiones/nueva",
        &with(
            with(
                definition(&csrf, "12", actor, &links),
                "plannedCurves",
                "2025: 1; 2",
            ),
            "plannedEndDate",
            "2023-01-01",
        ),
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text());
    for id in ["e-cui", "e-plannedCurves", "e-plannedEndDate"] {
        assert!(
            p.text().contains(&format!("id=\"{id}\"")),
            "{id}: {}",
            p.text()
        );
    }
    assert_eq!(count(&app).await, 0);

    // Recorded, with amounts typed with separators, links by code and a planned curve.
    let ok = post(
        &coord,
        "/app/inversiones/nueva",
        &definition(&csrf, "2345678", actor, &links),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let desk = coord.get(ok.location.as_deref().unwrap()).await;
    assert!(
        desk.text().contains("Inversión registrada"),
        "{}",
        desk.text()
    );
    assert!(desk.text().contains("2345678"));
    let inv = one(&app, "2345678").await;
    assert_eq!(inv["updatedCost"], 12_500_000.5);
    assert_eq!(inv["beneficiaries"], 4250);
    assert_eq!(inv["participatoryBudget"], true);
    assert_eq!(inv["executingActor"]["id"], actor.to_string());
    assert_eq!(inv["links"][0]["objective"]["code"], objective.as_str());
    assert_eq!(inv["links"][0]["expectedChange"], "+3 puntos al 2026");
    assert_eq!(inv["links"][1]["indicator"]["code"], indicator.as_str());
    assert_eq!(inv["plannedCurves"][0]["year"], 2025);
    let id = inv["id"].as_str().unwrap().to_string();

    // The same CUI twice: a clear refusal on the form, not a server error.
    let twice = post(
        &coord,
        "/app/inversiones/nueva",
        &definition(&csrf, "2345678", actor, &links),
    )
    .await;
    assert!(
        twice.status.is_client_error(),
        "{}: {}",
        twice.status,
        twice.text()
    );
    assert!(twice.text().contains("name=\"cui\""), "the form again");
    assert_eq!(count(&app).await, 1);

    // Edit: the form comes filled in (links as typed), a change is stored.
    let edit = coord.get(&format!("/app/inversiones/editar?id={id}")).await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.text());
    assert!(
        edit.text()
            .contains(&format!("{objective}: +3 puntos al 2026")),
        "{}",
        edit.text()
    );
    assert!(edit.text().contains("12500000.5"));
    let mut changed = definition(&edit.csrf(), "2345678", actor, &links);
    changed = with(changed, "id", &id);
    changed = with(
        changed,
        "name",
        "Ampliación del servicio de agua potable en Torata",
    );
    changed = with(changed, "participatoryBudget", "");
    let saved = post(&coord, "/app/inversiones/editar", &changed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let inv = one(&app, "2345678").await;
    assert_eq!(
        inv["name"],
        "Ampliación del servicio de agua potable en Torata"
    );
    assert_eq!(inv["participatoryBudget"], false);
    for hostile in ["0", "-1", "abc", &"9".repeat(30), "99999"] {
        let p = coord
            .get(&format!("/app/inversiones/editar?id={hostile}"))
            .await;
        assert!(
            matches!(p.status.as_u16(), 400 | 404 | 422),
            "{hostile}: {}",
            p.status
        );
    }

    // A snapshot with every figure.
    let progress = coord.get(&format!("/app/inversiones/avance?id={id}")).await;
    assert_eq!(progress.status, StatusCode::OK, "{}", progress.text());
    assert!(
        progress.text().contains("name=\"pim\""),
        "the coordinating body enters amounts"
    );
    let csrf = progress.csrf();
    let snapshot = |as_of: &str, pim: &str, physical: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("id", id.clone()),
            ("asOf", as_of.to_string()),
            ("pia", "1,000,000".to_string()),
            ("pim", pim.to_string()),
            ("certified", "900,000".to_string()),
            ("committed", "800,000".to_string()),
            ("accrued", "300,000".to_string()),
            ("paid", "250,000".to_string()),
            ("accruedBefore", "2,000,000".to_string()),
            ("physicalProgress", physical.to_string()),
            ("physicalMeasuredOn", as_of.to_string()),
            ("physicalEvidence", "Valorización N.° 12".to_string()),
        ]
    };
    let bad = post(
        &coord,
        "/app/inversiones/avance",
        &snapshot("2025-02-30", "mucho", "20"),
    )
    .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    assert!(bad.text().contains("id=\"e-pim\""), "{}", bad.text());
    assert!(
        one(&app, "2345678").await["snapshots"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let ok = post(
        &coord,
        "/app/inversiones/avance",
        &snapshot("2025-03-31", "1,200,000", "20"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let page = coord.get(ok.location.as_deref().unwrap()).await;
    assert!(page.text().contains("Avance registrado"));
    assert!(
        page.text().contains("Valorización N.° 12"),
        "the history lists it"
    );
    let s = &one(&app, "2345678").await["snapshots"][0];
    assert_eq!(s["asOf"], "2025-03-31");
    assert_eq!(s["pim"], 1_200_000.0);
    assert_eq!(s["physicalProgress"], 20.0);
}

async fn the_executing_actor_reports_physical_progress_only(app: TestApp) {
    let (objective, _, actor) = people(&app).await;
    let coord = WorkspaceClient::signed_in(&app, "coord.i@ayni.test", TEST_PASSWORD).await;
    let csrf = coord
        .csrf("/app/inversiones/nueva?ecosistema=moquegua")
        .await;
    let ok = post(
        &coord,
        "/app/inversiones/nueva",
        &definition(&csrf, "2345679", actor, &objective),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let id = one(&app, "2345679").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let csrf = coord
        .csrf(&format!("/app/inversiones/avance?id={id}"))
        .await;
    let first = post(
        &coord,
        "/app/inversiones/avance",
        &[
            ("csrf", csrf),
            ("id", id.clone()),
            ("asOf", "2025-03-31".into()),
            ("pia", "1000000".into()),
            ("pim", "1200000".into()),
            ("certified", "0".into()),
            ("committed", "0".into()),
            ("accrued", "300000".into()),
            ("paid", "0".into()),
            ("accruedBefore", "0".into()),
        ],
    )
    .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text());

    // The executing actor's contributor: its investment listed, a physical-only form.
    let own = WorkspaceClient::signed_in(&app, "enlace.i@ayni.test", TEST_PASSWORD).await;
    let desk = own.get("/app/inversiones").await;
    assert_eq!(desk.status, StatusCode::OK, "{}", desk.text());
    assert!(desk.text().contains("2345679"), "{}", desk.text());
    assert!(desk.text().contains("Reportar avance físico"));
    assert!(
        !desk.text().contains("/app/inversiones/editar"),
        "no edit link for a contributor"
    );
    let form = own.get(&format!("/app/inversiones/avance?id={id}")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    assert!(form.text().contains("name=\"physicalProgress\""));
    assert!(
        !form.text().contains("name=\"pim\""),
        "no budget fields for a contributor"
    );
    let csrf = form.csrf();
    let physical = |as_of: &str, extra: Option<(&'static str, &str)>| {
        let mut f = vec![
            ("csrf", csrf.clone()),
            ("id", id.clone()),
            ("asOf", as_of.to_string()),
            ("physicalProgress", "35".to_string()),
            ("physicalMeasuredOn", as_of.to_string()),
            (
                "physicalEvidence",
                "Informe del supervisor de abril".to_string(),
            ),
        ];
        if let Some((k, v)) = extra {
            f.push((k, v.to_string()));
        }
        f
    };
    let ok = post(
        &own,
        "/app/inversiones/avance",
        &physical("2025-04-30", None),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let snaps = one(&app, "2345679").await["snapshots"].clone();
    let april = snaps
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["asOf"] == "2025-04-30")
        .unwrap_or_else(|| panic!("{snaps}"))
        .clone();
    assert_eq!(april["physicalProgress"], 35.0);
    assert_eq!(april["pim"], 1_200_000.0, "the year's figures carried over");
    assert_eq!(april["physicalEvidence"], "Informe del supervisor de abril");

    // A budget figure slipped into the form: refused by the use case, nothing changed.
    let tampered = post(
        &own,
        "/app/inversiones/avance",
        &physical("2025-05-31", Some(("pim", "5"))),
    )
    .await;
    assert_eq!(
        tampered.status,
        StatusCode::FORBIDDEN,
        "{}",
        tampered.text()
    );
    // No budget figures yet for the year: a sentence saying who must record them.
    let early = post(
        &own,
        "/app/inversiones/avance",
        &physical("2026-01-15", None),
    )
    .await;
    assert_eq!(
        early.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        early.text()
    );
    assert!(
        early
            .text()
            .contains("órgano coordinador debe registrarlas"),
        "{}",
        early.text()
    );
    assert_eq!(
        one(&app, "2345679").await["snapshots"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Nor the coordinating body's forms.
    assert_eq!(
        own.get(&format!("/app/inversiones/editar?id={id}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        own.get("/app/inversiones/parametros?ecosistema=moquegua")
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Another actor's contributor: not listed, neither the form nor the write.
    let other = WorkspaceClient::signed_in(&app, "otro.i@ayni.test", TEST_PASSWORD).await;
    let desk = other.get("/app/inversiones").await;
    assert!(!desk.text().contains("2345679"));
    assert!(
        desk.text().contains("no ejecuta inversiones"),
        "{}",
        desk.text()
    );
    assert_eq!(
        other
            .get(&format!("/app/inversiones/avance?id={id}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let csrf_other = desk.csrf();
    let p = post(
        &other,
        "/app/inversiones/avance",
        &[
            ("csrf", csrf_other),
            ("id", id.clone()),
            ("asOf", "2025-06-30".into()),
            ("physicalProgress", "90".into()),
        ],
    )
    .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(
        one(&app, "2345679").await["snapshots"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

async fn settings_and_scores_are_set_through_forms(app: TestApp) {
    let (objective, _, actor) = people(&app).await;
    let coord = WorkspaceClient::signed_in(&app, "coord.i@ayni.test", TEST_PASSWORD).await;
    let form = coord
        .get("/app/inversiones/parametros?ecosistema=moquegua")
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    assert!(
        form.text()
            .contains("name=\"stalledMonths\" type=\"text\" value=\"2\""),
        "{}",
        form.text()
    );
    let csrf = form.csrf();
    let settings = |stalled: &str, judged: &str, envelopes: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("ecosistema", "moquegua".to_string()),
            ("stalledMonths", stalled.to_string()),
            ("physicalLagPoints", "15".to_string()),
            ("planGapPoints", "10".to_string()),
            ("paceGapPoints", "25".to_string()),
            ("pimChangePercent", "20".to_string()),
            ("gapWeight", "0.4".to_string()),
            ("stageWeight", "0.2".to_string()),
            ("scaleWeight", "0.2".to_string()),
            ("scaleBasis", "beneficiaries".to_string()),
            ("judged", judged.to_string()),
            ("envelopes", envelopes.to_string()),
        ]
    };
    let bad = post(
        &coord,
        "/app/inversiones/parametros",
        &settings("0", "equidad sin peso", "dos mil: 5"),
    )
    .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    for id in ["e-judged", "e-envelopes"] {
        assert!(
            bad.text().contains(&format!("id=\"{id}\"")),
            "{id}: {}",
            bad.text()
        );
    }
    let bad = post(
        &coord,
        "/app/inversiones/parametros",
        &settings("0", "", ""),
    )
    .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    assert!(
        bad.text().contains("id=\"e-stalledMonths\""),
        "{}",
        bad.text()
    );
    let ok = post(
        &coord,
        "/app/inversiones/parametros",
        &settings(
            "3",
            "equidad | Equidad territorial | 0.2",
            "2025: 5,000,000\n2026: 6000000",
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let q = "{ ecosystem(slug: \"moquegua\") { investmentSettings { thresholds { stalledMonths } criteria { judged { code weight } } envelopes { year amount } } } }";
    let s = app.graphql(None, q, json!({})).await.body["data"]["ecosystem"]["investmentSettings"]
        .clone();
    assert_eq!(s["thresholds"]["stalledMonths"], 3);
    assert_eq!(s["criteria"]["judged"][0]["code"], "equidad");
    assert_eq!(s["envelopes"].as_array().unwrap().len(), 2, "{s}");
    assert_eq!(s["envelopes"][0]["amount"], 5_000_000.0);
    // A year left out loses its envelope.
    let again = post(
        &coord,
        "/app/inversiones/parametros",
        &settings("3", "equidad | Equidad territorial | 0.2", "2026: 6000000"),
    )
    .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.text());
    let s = app.graphql(None, q, json!({})).await.body["data"]["ecosystem"]["investmentSettings"]
        .clone();
    assert_eq!(s["envelopes"].as_array().unwrap().len(), 1, "{s}");

    // Scores on the edit page, for the criteria just defined.
    let csrf = coord
        .csrf("/app/inversiones/nueva?ecosistema=moquegua")
        .await;
    let created = post(
        &coord,
        "/app/inversiones/nueva",
        &definition(&csrf, "2345670", actor, &objective),
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text());
    let id = one(&app, "2345670").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let edit = coord.get(&format!("/app/inversiones/editar?id={id}")).await;
    assert!(
        edit.text().contains("Equidad territorial"),
        "{}",
        edit.text()
    );
    let csrf = edit.csrf();
    let score = |criterion: &str, value: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("id", id.clone()),
            ("criterion", criterion.to_string()),
            ("score", value.to_string()),
        ]
    };
    for (criterion, value) in [("equidad", "9"), ("equidad", "x"), ("otro", "3")] {
        let p = post(&coord, "/app/inversiones/puntaje", &score(criterion, value)).await;
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{criterion}={value}: {}",
            p.text()
        );
    }
    assert!(
        one(&app, "2345670").await["judgedScores"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let p = post(&coord, "/app/inversiones/puntaje", &score("equidad", "4")).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text());
    assert_eq!(
        one(&app, "2345670").await["judgedScores"],
        json!([{ "criterion": "equidad", "score": 4 }])
    );
    let p = post(&coord, "/app/inversiones/puntaje", &score("equidad", "")).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text());
    assert!(
        one(&app, "2345670").await["judgedScores"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

fn csv(bytes: &[u8]) -> Vec<Upload<'static>> {
    vec![Upload {
        field: "file",
        file_name: "DETALLE_INVERSIONES.csv",
        content_type: "text/csv",
        bytes: bytes.to_vec(),
    }]
}

async fn coordinators_import_mef_s_file_in_the_workspace(app: TestApp) {
    const UTF8: &[u8] = include_bytes!("../fixtures/mef/detalle_moquegua_utf8.csv");
    const BAD_ROW: &[u8] = include_bytes!("../fixtures/mef/detalle_bad_row.csv");
    people(&app).await;
    let coord = WorkspaceClient::signed_in(&app, "coord.i@ayni.test", TEST_PASSWORD).await;
    let desk = coord.get("/app/inversiones?ecosistema=moquegua").await;
    assert!(
        desk.text()
            .contains("/app/inversiones/importar?ecosistema=moquegua")
    );
    let form = coord
        .get("/app/inversiones/importar?ecosistema=moquegua")
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    assert!(form.text().contains("type=\"file\""));
    let csrf = form.csrf();

    // A foreign token, a missing one: refused; a contributor: refused.
    let foreign = "0".repeat(64);
    for fields in [
        vec![
            ("csrf", foreign.as_str()),
            ("ecosistema", "moquegua"),
            ("asOf", "2025-06-30"),
        ],
        vec![("ecosistema", "moquegua"), ("asOf", "2025-06-30")],
    ] {
        let p = coord
            .post_multipart("/app/inversiones/importar", &fields, csv(UTF8))
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.text());
    }
    let own = WorkspaceClient::signed_in(&app, "enlace.i@ayni.test", TEST_PASSWORD).await;
    let own_csrf = own.csrf("/app/inversiones").await;
    let p = own
        .post_multipart(
            "/app/inversiones/importar",
            &[
                ("csrf", &own_csrf),
                ("ecosistema", "moquegua"),
                ("asOf", "2025-06-30"),
            ],
            csv(UTF8),
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // A date in the future, no file: refused with the reason.
    let p = coord
        .post_multipart(
            "/app/inversiones/importar",
            &[
                ("csrf", &csrf),
                ("ecosistema", "moquegua"),
                ("asOf", "2999-01-01"),
            ],
            csv(UTF8),
        )
        .await;
    assert!(p.status.is_client_error(), "{}", p.status);
    assert!(p.text().contains("asOf"), "{}", p.text());
    let p = coord
        .post_multipart(
            "/app/inversiones/importar",
            &[
                ("csrf", &csrf),
                ("ecosistema", "moquegua"),
                ("asOf", "2025-06-30"),
            ],
            Vec::new(),
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text());
    assert_eq!(count(&app).await, 0);

    // A bad row: every error listed by line, nothing stored.
    let p = coord
        .post_multipart(
            "/app/inversiones/importar",
            &[
                ("csrf", &csrf),
                ("ecosistema", "moquegua"),
                ("asOf", "2025-06-30"),
            ],
            csv(BAD_ROW),
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text());
    assert!(
        p.text().contains("<caption>Errores</caption>"),
        "{}",
        p.text()
    );
    assert_eq!(count(&app).await, 0);

    // The file: imported, counted, and the portfolio has it.
    let p = coord
        .post_multipart(
            "/app/inversiones/importar",
            &[
                ("csrf", &csrf),
                ("ecosistema", "moquegua"),
                ("asOf", "2025-06-30"),
            ],
            csv(UTF8),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text());
    assert!(p.text().contains("14 inversiones nuevas"), "{}", p.text());
    assert!(p.text().contains("2 fuera del territorio"), "{}", p.text());
    assert_eq!(count(&app).await, 14);
    // The same file and date again: nothing new.
    let p = coord
        .post_multipart(
            "/app/inversiones/importar",
            &[
                ("csrf", &csrf),
                ("ecosistema", "moquegua"),
                ("asOf", "2025-06-30"),
            ],
            csv(UTF8),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text());
    assert!(p.text().contains("0 inversiones nuevas"), "{}", p.text());
    assert_eq!(count(&app).await, 14);
}
