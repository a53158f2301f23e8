//! The import of MEF's "Detalle de inversiones" file over REST and the CLI: the fixtures as
//! MEF publishes them and as a spreadsheet saves them, a bad row refusing the whole file,
//! idempotency, two dated snapshots raising a BUDGET alert, permissions, hostile uploads,
//! and the audit chain after it all.

use std::time::Duration;

use awc::http::StatusCode;
use serde_json::{Value, json};

use ayni::app::{Caller, EcosystemInput};
use ayni::domain::{ActorKind, Role};

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    mef_s_file_imports_and_its_figures_are_served,
    a_latin1_spreadsheet_export_with_extra_columns_imports,
    a_bad_row_refuses_the_whole_file,
    the_same_file_for_the_same_date_writes_nothing,
    two_snapshots_with_a_cut_pim_raise_a_budget_alert,
    only_coordinators_and_admins_import,
    hostile_uploads_are_refused_fast_and_store_nothing,
    the_cli_imports_into_the_database,
);

const UTF8: &[u8] = include_bytes!("../fixtures/mef/detalle_moquegua_utf8.csv");
const LATIN1: &[u8] = include_bytes!("../fixtures/mef/detalle_latin1_semicolon.csv");
const BAD_ROW: &[u8] = include_bytes!("../fixtures/mef/detalle_bad_row.csv");

fn import_path(slug: &str, as_of: &str) -> String {
    format!("/api/v1/ecosystems/{slug}/investments:import?asOf={as_of}")
}

/// A `moquegua` ecosystem (territory 18) with two member actors: one named as a row's
/// executing unit (in other case), one as some rows' entity; and an actor named as another
/// unit that is not a member. Returns the ecosystem's id.
async fn moquegua(app: &TestApp) -> i64 {
    let op = Caller::operator();
    let eco = app
        .app
        .create_ecosystem(
            &op,
            EcosystemInput {
                slug: "moquegua".into(),
                name: "Moquegua".into(),
                territory: "18".into(),
                mission: String::new(),
                vision: String::new(),
                horizon_start: 2023,
                horizon_end: 2030,
            },
        )
        .await
        .unwrap();
    for name in [
        "Municipalidad Provincial de Ilo",
        "Gobierno Regional del Departamento de Moquegua",
    ] {
        let actor = app.create_actor(name, ActorKind::RegionalGovernment).await;
        app.app
            .add_ecosystem_member(&op, eco.id, actor, "Ejecutora".into())
            .await
            .unwrap();
    }
    app.create_actor(
        "Municipalidad Provincial de Mariscal Nieto",
        ActorKind::RegionalGovernment,
    )
    .await;
    eco.id
}

async fn upload(app: &TestApp, token: Option<&str>, as_of: &str, body: &[u8]) -> (u16, Value) {
    let a = app
        .post_raw(
            &import_path("moquegua", as_of),
            "text/csv",
            token,
            body.to_vec(),
        )
        .await;
    (a.status.as_u16(), a.body)
}

async fn investment(app: &TestApp, cui: &str) -> Value {
    let a = app
        .graphql(
            None,
            r#"query($cui: String!) { ecosystem(slug: "moquegua") { investment(cui: $cui) {
                 name kind level function stage modality financingSource programme
                 executingUnit executingActor { name } ubigeo updatedCost beneficiaries
                 financialExecution accumulatedProgress remainingBalance physicalProgress
                 latest { asOf pia pim accrued accruedBefore }
                 snapshots { asOf pim }
                 alerts { kind rule severity } } } }"#,
            json!({"cui": cui}),
        )
        .await;
    assert!(a.body["errors"].is_null(), "{}", a.body);
    a.body["data"]["ecosystem"]["investment"].clone()
}

async fn count(app: &TestApp) -> i64 {
    let a = app
        .graphql(
            None,
            r#"{ ecosystem(slug: "moquegua") { investments(first: 200) { totalCount } } }"#,
            json!({}),
        )
        .await;
    a.body["data"]["ecosystem"]["investments"]["totalCount"]
        .as_i64()
        .unwrap()
}

async fn audit_seq(app: &TestApp) -> i64 {
    app.app.audit_head().await.unwrap().seq
}

async fn chain_verifies(app: &TestApp) {
    let report = app
        .app
        .audit_chain(Some(&Caller::operator()))
        .await
        .unwrap();
    assert!(report.verified, "{report:?}");
    assert_eq!(report.mismatch_count, 0, "{report:?}");
}

fn close(a: &Value, b: f64) {
    let a = a.as_f64().unwrap_or(f64::NAN);
    assert!((a - b).abs() < 1e-6, "{a} ≠ {b}");
}

async fn mef_s_file_imports_and_its_figures_are_served(app: TestApp) {
    moquegua(&app).await;
    let token = app.login_as(Role::Coordinator).await;
    let before = audit_seq(&app).await;
    let (status, r) = upload(&app, Some(&token), "2025-06-30", UTF8).await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["imported"], true);
    assert_eq!(r["unchanged"], false);
    assert_eq!(r["asOf"], "2025-06-30");
    assert_eq!(r["encoding"], "utf8");
    assert_eq!(r["delimiter"], ",");
    assert_eq!(r["rowsRead"], 16);
    assert_eq!(r["skippedOutside"], 2, "Tacna and Arequipa");
    assert_eq!(r["rowsImported"], 14);
    assert_eq!(r["investmentsCreated"], 14);
    assert_eq!(r["investmentsUpdated"], 0);
    assert_eq!(r["snapshotsWritten"], 14);
    assert_eq!(r["errorCount"], 0);
    assert_eq!(r["file_sha256"], Value::Null, "camelCase");
    assert_eq!(r["fileSha256"].as_str().unwrap().len(), 64);
    // The Ilo province's four rows by their unit (case aside), the regional government's
    // five by their entity; Mariscal Nieto's actor is not a member.
    assert_eq!(r["linkedToActors"], 9, "{r}");
    // Pacocha's 103.2 % physical progress is read as 100, with a warning.
    let capped: Vec<&Value> = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["rule"] == "percentage_capped")
        .collect();
    assert_eq!(capped.len(), 1, "{r}");
    assert_eq!(capped[0]["column"], "AVANCE_FISICO");
    assert!(!capped[0]["messageEs"].as_str().unwrap().is_empty());
    assert!(r["messageEs"].as_str().unwrap().starts_with("importado"));
    assert!(r["messageEn"].as_str().unwrap().starts_with("imported"));
    // One entry per investment and per snapshot, and the import's own.
    assert_eq!(audit_seq(&app).await - before, 14 + 14 + 1);
    assert_eq!(count(&app).await, 14);

    let i = investment(&app, "2469870").await;
    assert_eq!(i["kind"], "PROJECT");
    assert_eq!(i["level"], "REGIONAL");
    assert_eq!(i["function"], "AGRICULTURE");
    assert_eq!(i["stage"], "EXECUTION");
    assert_eq!(i["modality"], "CONTRACT");
    assert_eq!(i["financingSource"], "OTHER");
    assert_eq!(i["programme"], "RIEGO");
    assert_eq!(i["executingUnit"], "REGION MOQUEGUA-SEDE CENTRAL");
    assert_eq!(
        i["executingActor"]["name"],
        "Gobierno Regional del Departamento de Moquegua"
    );
    assert_eq!(i["ubigeo"], "180102");
    assert_eq!(i["beneficiaries"], 3250);
    assert_eq!(i["latest"]["asOf"], "2025-06-30");
    close(&i["latest"]["pim"], 15_000_000.0);
    close(&i["latest"]["accruedBefore"], 30_125_000.5);
    // The year's execution: accrued / PIM; accumulated: (earlier years + the year) / cost.
    close(&i["financialExecution"], 9_876_543.21 / 15_000_000.0);
    close(
        &i["accumulatedProgress"],
        (30_125_000.5 + 9_876_543.21) / 61_234_567.89,
    );
    close(
        &i["remainingBalance"],
        61_234_567.89 - 30_125_000.5 - 9_876_543.21,
    );
    close(&i["physicalProgress"], 72.5);

    // Categories: an IOARR, a Obras por Impuestos road, an APP, a project in formulation
    // without a modality (the default), the capped progress, a unit linked by its name.
    let ioarr = investment(&app, "2587412").await;
    assert_eq!(
        (ioarr["kind"].as_str(), ioarr["stage"].as_str()),
        (Some("IOARR"), Some("VIABLE"))
    );
    assert_eq!(
        investment(&app, "2435678").await["modality"],
        "WORKS_FOR_TAXES"
    );
    assert_eq!(
        investment(&app, "2389001").await["modality"],
        "PUBLIC_PRIVATE_PARTNERSHIP"
    );
    let idea = investment(&app, "2610987").await;
    assert_eq!(idea["stage"], "FORMULATION");
    assert_eq!(idea["modality"], "CONTRACT");
    assert_eq!(idea["function"], "ENVIRONMENT");
    assert_eq!(
        idea["executingActor"]["name"],
        "Municipalidad Provincial de Ilo"
    );
    let pacocha = investment(&app, "2533210").await;
    close(&pacocha["physicalProgress"], 100.0);
    assert_eq!(pacocha["function"], "CULTURE_SPORT");
    let mariscal = investment(&app, "2398765").await;
    assert_eq!(mariscal["executingActor"], Value::Null, "not a member");
    assert_eq!(mariscal["level"], "LOCAL");
    assert_eq!(
        investment(&app, "2501122").await,
        Value::Null,
        "Tacna: skipped"
    );
    chain_verifies(&app).await;
}

async fn a_latin1_spreadsheet_export_with_extra_columns_imports(app: TestApp) {
    moquegua(&app).await;
    let token = app.login_as(Role::Admin).await;
    let (status, r) = upload(&app, Some(&token), "2025-06-30", LATIN1).await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["encoding"], "latin1");
    assert_eq!(r["delimiter"], ";");
    assert_eq!(r["rowsRead"], 5);
    assert_eq!(r["skippedOutside"], 1, "Puno");
    assert_eq!(r["investmentsCreated"], 4);
    let i = investment(&app, "2499001").await;
    assert_eq!(
        i["name"],
        "MEJORAMIENTO DEL SERVICIO EDUCATIVO EN LA I.E. SIMÓN BOLÍVAR, DISTRITO DE ICHUÑA"
    );
    assert_eq!(i["function"], "EDUCATION");
    assert_eq!(i["modality"], "DIRECT_ADMINISTRATION");
    close(&i["updatedCost"], 10_400_000.0);
    let puquina = investment(&app, "2611111").await;
    close(&puquina["latest"]["pim"], 1_200_000.0);
    close(&puquina["latest"]["accrued"], 315_250.75);
    close(&puquina["physicalProgress"], 12.5);
    assert_eq!(puquina["level"], "LOCAL");
    assert_eq!(investment(&app, "2469870").await["modality"], "CONTRACT");
    assert_eq!(
        investment(&app, "2590001").await,
        Value::Null,
        "Puno: skipped"
    );
    chain_verifies(&app).await;
}

async fn a_bad_row_refuses_the_whole_file(app: TestApp) {
    moquegua(&app).await;
    let token = app.login_as(Role::Coordinator).await;
    let before = audit_seq(&app).await;
    let (status, r) = upload(&app, Some(&token), "2025-06-30", BAD_ROW).await;
    assert_eq!(status, 422, "{r}");
    assert_eq!(r["imported"], false);
    assert_eq!(r["errorCount"], 4);
    let errors: Vec<(i64, &str, &str)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_i64().unwrap(),
                e["column"].as_str().unwrap(),
                e["rule"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (4, "CODIGO_UNICO", "cui"),
            (4, "COSTO_ACTUALIZADO", "amount"),
            (4, "FECHA_VIABILIDAD", "date"),
            (4, "LATITUD", "coordinates"),
        ]
    );
    for e in r["errors"].as_array().unwrap() {
        assert_ne!(e["messageEs"], e["messageEn"]);
    }
    assert_eq!(r["investmentsCreated"], 0);
    assert!(
        r["messageEs"]
            .as_str()
            .unwrap()
            .starts_with("no se importó nada")
    );
    // The three good rows were not stored either.
    assert_eq!(count(&app).await, 0);
    assert_eq!(audit_seq(&app).await, before);

    // A file whose ANIO_PROCESO is not asOf's year: one error per row in the territory.
    let (status, r) = upload(&app, Some(&token), "2024-12-31", UTF8).await;
    assert_eq!(status, 422, "{r}");
    assert_eq!(r["errorCount"], 14);
    assert_eq!(r["errors"][0]["column"], "ANIO_PROCESO");
    assert_eq!(r["errors"][0]["rule"], "process_year");
    assert_eq!(r["errors"][0]["line"], 2);
    assert_eq!(count(&app).await, 0);

    // A file with no row in the territory is refused too.
    let tacna = "CODIGO_UNICO,NOMBRE_INVERSION,UBIGEO\n2501122,AGUA POTABLE EN TACNA,230101\n";
    let (status, r) = upload(&app, Some(&token), "2025-06-30", tacna.as_bytes()).await;
    assert_eq!(status, 422, "{r}");
    assert_eq!(r["skippedOutside"], 1);
    assert_eq!(r["errors"][0]["rule"], "no_rows");
    // A name too short for an investment: a line error in both languages.
    let short = "CODIGO_UNICO,NOMBRE_INVERSION,UBIGEO\n2501122,AB,180101\n";
    let (status, r) = upload(&app, Some(&token), "2025-06-30", short.as_bytes()).await;
    assert_eq!(status, 422, "{r}");
    assert_eq!(r["errors"][0]["column"], "NOMBRE_INVERSION");
    assert_eq!(r["errors"][0]["line"], 2);
    assert_eq!(audit_seq(&app).await, before);
    chain_verifies(&app).await;
}

async fn the_same_file_for_the_same_date_writes_nothing(app: TestApp) {
    moquegua(&app).await;
    let token = app.login_as(Role::Coordinator).await;
    let (status, _) = upload(&app, Some(&token), "2025-06-30", UTF8).await;
    assert_eq!(status, 201);
    let before = audit_seq(&app).await;
    let (status, r) = upload(&app, Some(&token), "2025-06-30", UTF8).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["imported"], true);
    assert_eq!(r["unchanged"], true);
    assert_eq!(r["investmentsCreated"], 0);
    assert_eq!(r["investmentsUpdated"], 0);
    assert_eq!(r["investmentsUnchanged"], 14);
    assert_eq!(r["snapshotsWritten"], 0);
    assert_eq!(r["snapshotsUnchanged"], 14);
    assert!(r["messageEn"].as_str().unwrap().starts_with("unchanged"));
    assert_eq!(audit_seq(&app).await, before, "no audit entry");
    // The same rows in the spreadsheet's shape are the same facts for the shared CUIs, but
    // the file says less (no ETAPA_F8, no coordinates…): those investments are updated.
    let (status, r) = upload(&app, Some(&token), "2025-06-30", LATIN1).await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["investmentsCreated"], 1, "Puquina is new");
    assert_eq!(count(&app).await, 15);
    chain_verifies(&app).await;
}

async fn two_snapshots_with_a_cut_pim_raise_a_budget_alert(app: TestApp) {
    moquegua(&app).await;
    let token = app.login_as(Role::Coordinator).await;
    let (status, _) = upload(&app, Some(&token), "2025-05-31", UTF8).await;
    assert_eq!(status, 201);
    assert!(
        !investment(&app, "2469870").await["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "BUDGET")
    );
    // A month later Pasto Grande's PIM is cut from 15 to 9 million.
    let text = String::from_utf8(UTF8.to_vec()).unwrap();
    let from = ",12000000,15000000,14500000,";
    assert_eq!(text.matches(from).count(), 1);
    let june = text.replace(from, ",12000000,9000000,8500000,");
    let (status, r) = upload(&app, Some(&token), "2025-06-30", june.as_bytes()).await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["investmentsUnchanged"], 14);
    assert_eq!(r["snapshotsWritten"], 14);
    let i = investment(&app, "2469870").await;
    assert_eq!(i["snapshots"].as_array().unwrap().len(), 2);
    assert_eq!(i["latest"]["asOf"], "2025-06-30");
    let budget: Vec<&Value> = i["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "BUDGET")
        .collect();
    assert_eq!(budget.len(), 1, "{i}");
    assert_eq!(budget[0]["rule"], "PIM_CUT");
    // An investment whose PIM did not move raises none.
    assert!(
        !investment(&app, "2398765").await["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "BUDGET")
    );
    chain_verifies(&app).await;
}

async fn only_coordinators_and_admins_import(app: TestApp) {
    moquegua(&app).await;
    let (status, body) = upload(&app, None, "2025-06-30", UTF8).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "UNAUTHENTICATED");
    let (status, _) = upload(&app, Some("not.a.token"), "2025-06-30", UTF8).await;
    assert_eq!(status, 401);
    for role in [Role::Contributor, Role::Monitor] {
        let token = app.login_as(role).await;
        let (status, body) = upload(&app, Some(&token), "2025-06-30", UTF8).await;
        assert_eq!(status, 403, "{role:?}: {body}");
        assert_eq!(body["error"]["code"], "FORBIDDEN");
    }
    let token = app.login_as(Role::Coordinator).await;
    let a = app
        .post_raw(
            &import_path("nowhere", "2025-06-30"),
            "text/csv",
            Some(&token),
            UTF8.to_vec(),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    assert_eq!(count(&app).await, 0);
}

async fn hostile_uploads_are_refused_fast_and_store_nothing(app: TestApp) {
    moquegua(&app).await;
    let token = app.login_as(Role::Coordinator).await;
    let before = audit_seq(&app).await;
    let path = import_path("moquegua", "2025-06-30");
    // 300 MiB declared, 1 MiB sent: refused before the body is read, with or without a token.
    let (status, took) = app
        .partial_upload(&path, Some(&token), 300 * 1024 * 1024, 1024 * 1024)
        .await;
    assert_eq!(status, 413);
    assert!(took < Duration::from_secs(5), "{took:?}");
    let (status, took) = app
        .partial_upload(&path, None, 300 * 1024 * 1024, 1024 * 1024)
        .await;
    assert_eq!(status, 401);
    assert!(took < Duration::from_secs(5), "{took:?}");
    // A chunked body without a declared length is cut off at the limit.
    let head = format!(
        "POST {path} HTTP/1.1\r\nContent-Type: text/csv\r\nAuthorization: Bearer {token}\r\n"
    );
    let (status, _) = app.chunked_upload(head, UTF8.to_vec()).await;
    assert_eq!(status, 413);

    // Garbage bytes: read as Latin-1, they have no header MEF's file would have.
    let garbage: Vec<u8> = (0..64 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let (status, r) = upload(&app, Some(&token), "2025-06-30", &garbage).await;
    assert_eq!(status, 422, "{r}");
    assert_eq!(r["errors"][0]["line"], 1);
    let (status, r) = upload(&app, Some(&token), "2025-06-30", b"").await;
    assert_eq!(status, 422, "{r}");
    assert_eq!(r["errors"][0]["rule"], "empty_file");
    // A quote never closed, and a row of ten thousand cells.
    let mut wide = b"CODIGO_UNICO,NOMBRE_INVERSION,UBIGEO\n2398765,\"ABIERTO,180101\n".to_vec();
    wide.extend(std::iter::repeat_n(b',', 10_000));
    let (status, r) = upload(&app, Some(&token), "2025-06-30", &wide).await;
    assert_eq!(status, 422, "{r}");

    // asOf: missing, malformed, impossible, in the future, or an unknown parameter.
    for as_of in [
        "",
        "30/06/2025",
        "2025-02-30",
        "2025-06-30T00:00:00",
        "2099-01-01",
    ] {
        let (status, body) = upload(&app, Some(&token), as_of, UTF8).await;
        assert_eq!(status, 400, "{as_of}: {body}");
        assert_eq!(body["error"]["fields"][0]["field"], "asOf", "{body}");
    }
    let (status, body) = upload(&app, Some(&token), "2099-01-01", UTF8).await;
    assert_eq!(
        (status, &body["error"]["fields"][0]["rule"]),
        (400, &json!("future"))
    );
    let a = app
        .post_raw(
            "/api/v1/ecosystems/moquegua/investments:import?asOf=2025-06-30&drop=1",
            "text/csv",
            Some(&token),
            UTF8.to_vec(),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert_eq!(count(&app).await, 0);
    assert_eq!(audit_seq(&app).await, before);
}

async fn the_cli_imports_into_the_database(app: TestApp) {
    moquegua(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("DETALLE_INVERSIONES.csv");
    std::fs::write(&good, UTF8).unwrap();
    let bad = dir.path().join("malo.csv");
    std::fs::write(&bad, BAD_ROW).unwrap();
    let url = app.database_url.to_string_unmasked();
    let run = |file: &std::path::Path, as_of: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ayni"))
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .args(["import", "investments"])
            .arg(file)
            .args([
                "--ecosystem",
                "moquegua",
                "--as-of",
                as_of,
                "--database-url",
                &url,
            ])
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, stdout, stderr) = run(&good, "2025-06-30");
    assert!(ok, "{stderr}");
    assert!(stdout.contains("14 new investment(s)"), "{stdout}");
    assert!(stdout.contains("2 outside (skipped)"), "{stdout}");
    assert!(
        stdout.contains("warning: line 15, AVANCE_FISICO"),
        "{stdout}"
    );
    assert_eq!(count(&app).await, 14);
    let (ok, stdout, _) = run(&good, "2025-06-30");
    assert!(ok);
    assert!(stdout.starts_with("unchanged"), "{stdout}");
    let (ok, _, stderr) = run(&bad, "2025-07-31");
    assert!(!ok);
    assert!(stderr.contains("line 4, CODIGO_UNICO"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    let (ok, _, stderr) = run(&good, "2025-13-01");
    assert!(!ok);
    assert!(stderr.contains("--as-of"), "{stderr}");
    let (ok, _, stderr) = run(&good, "2099-01-01");
    assert!(!ok);
    assert!(stderr.contains("future"), "{stderr}");
    assert_eq!(
        investment(&app, "2469870").await["snapshots"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    chain_verifies(&app).await;
}
