//! Nothing private reaches an anonymous reader: a scenario leaves e-mails, a pending value, a
//! rejected one with its reason, an import, a password change, an investment whose physical
//! progress a contributor reported and a commitment that contributor fulfilled in the
//! database, then every public answer — each proof page, the audit chain, the public GraphQL
//! queries, every portal page and open-data file (CSV, JSON and the XLSX matrices' cells)
//! reachable from the home page, the investment and commitment pages first — is scanned for
//! them.

use std::collections::{BTreeSet, VecDeque};

use diesel::prelude::*;
use serde_json::{Value, json};

use ayni::app::Caller;
use ayni::db::schema::{audit_log, measurements, users};
use ayni::domain::Role;

use crate::both_backends;
use crate::helpers::{TEST_PASSWORD, TestApp};

both_backends!(no_anonymous_answer_shows_anything_private);

const CONTRIBUTOR_EMAIL: &str = "contribuyente.q7x2@gore-moquegua.example.pe";
const COORDINATOR_EMAIL: &str = "coordinadora.q7x2@columna.example.pe";
const PENDING_VALUE: f64 = 9_876_543.21;
const PENDING_EVIDENCE: &str = "evidencia-confidencial-Q7X2";
const PENDING_COMMENT: &str = "comentario-interno-Q7X2";
const REJECTED_VALUE: f64 = 8_765_432.19;
const REJECTED_EVIDENCE: &str = "evidencia-rechazada-Q7X2";
const REJECT_REASON: &str = "motivo-de-rechazo-Q7X2";
const IMPORT_FILE: &str = "planilla-confidencial-Q7X2.csv";
const IMPORT_EVIDENCE: &str = "evidencia-importada-Q7X2";
const NEW_PASSWORD: &str = "nueva-clave-secreta-Q7X2";
const PENDING_FILE: &[u8] = b"%PDF-1.4 acta-privada-Q7X2";
const INVESTMENT_CUI: &str = "2999001";

/// Ways a number can be written by the API (JSON) and the portal (Spanish and English).
fn number_forms(v: f64) -> Vec<String> {
    let plain = format!("{v}");
    let (int, frac) = plain.split_once('.').unwrap_or((&plain, ""));
    let grouped = |sep: &str| {
        let digits: Vec<char> = int.chars().collect();
        let mut out = String::new();
        for (i, c) in digits.iter().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(sep);
            }
            out.push(*c);
        }
        out
    };
    vec![
        plain.clone(),
        format!("{int},{frac}"),
        grouped("."),
        grouped(","),
        grouped(" "),
        grouped("\u{a0}"),
        grouped("\u{202f}"),
    ]
}

async fn no_anonymous_answer_shows_anything_private(app: TestApp) {
    // No configured secret: the service generates its own and keeps it as a setting.
    let app = TestApp::spawn_with(app.backend, |s| {
        s.demo = true;
        s.jwt_secret = None;
    })
    .await;
    let op = Caller::operator();
    let eco = app
        .app
        .ecosystem_by_slug("moquegua".into())
        .await
        .unwrap()
        .unwrap();
    let gore = app
        .app
        .actors()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.name == "Gobierno Regional de Moquegua")
        .unwrap()
        .id;

    // A coordinator and a contributor of the regional government are created.
    let admin = app.login_as(Role::Admin).await;
    let created = app
        .graphql(
            Some(&admin),
            "mutation($e: String!, $p: String!, $a: ID!) { createUser(input: {email: $e, password: $p, role: CONTRIBUTOR, actorId: $a}) { id } }",
            json!({"e": CONTRIBUTOR_EMAIL, "p": TEST_PASSWORD, "a": gore.to_string()}),
        )
        .await
        .body;
    assert_eq!(created["errors"], Value::Null, "{created}");
    app.create_user(COORDINATOR_EMAIL, Role::Coordinator, None)
        .await;
    let contributor = app.token(CONTRIBUTOR_EMAIL, TEST_PASSWORD).await;
    let coordinator = app.token(COORDINATOR_EMAIL, TEST_PASSWORD).await;

    // The contributor submits a value that stays pending, and one that is rejected.
    let submit =
        "mutation($i: SubmitMeasurementInput!) { submitMeasurement(input: $i) { id status } }";
    let indicator = app
        .graphql(
            None,
            r#"{ ecosystem(slug: "moquegua") { objectives { indicators { id code } } } }"#,
            json!({}),
        )
        .await
        .body["data"]["ecosystem"]["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["indicators"].as_array().unwrap().clone())
        .find(|i| i["code"] == "I1.1")
        .unwrap()["id"]
        .clone();
    let pending = app
        .graphql(
            Some(&contributor),
            submit,
            json!({"i": {"indicatorId": indicator, "period": "2025", "territory": "1801",
                   "value": PENDING_VALUE, "evidenceText": PENDING_EVIDENCE, "comment": PENDING_COMMENT}}),
        )
        .await
        .body;
    assert_eq!(
        pending["data"]["submitMeasurement"]["status"], "SUBMITTED",
        "{pending}"
    );
    let rejected = app
        .graphql(
            Some(&contributor),
            submit,
            json!({"i": {"indicatorId": indicator, "period": "2025", "territory": "1802",
                   "value": REJECTED_VALUE, "evidenceText": REJECTED_EVIDENCE}}),
        )
        .await
        .body;
    let rejected_id = rejected["data"]["submitMeasurement"]["id"].clone();
    let answer = app
        .graphql(
            Some(&coordinator),
            "mutation($id: ID!, $r: String!) { rejectMeasurement(id: $id, reason: $r) { status } }",
            json!({"id": rejected_id, "r": REJECT_REASON}),
        )
        .await
        .body;
    assert_eq!(
        answer["data"]["rejectMeasurement"]["status"], "REJECTED",
        "{answer}"
    );

    // An import awaiting review, and a password change.
    let csv = format!(
        "variable,period,territory,value,evidence\nV001,2025,1801,7654321.98,{IMPORT_EVIDENCE}\n"
    );
    let report = app
        .app
        .import_observations(
            &op,
            eco.id,
            IMPORT_FILE.into(),
            csv.into_bytes(),
            Some(gore),
            None,
        )
        .await
        .unwrap();
    assert_eq!(report.rows_created, 1);
    let changed = app
        .graphql(
            Some(&contributor),
            "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }",
            json!({"c": TEST_PASSWORD, "n": NEW_PASSWORD}),
        )
        .await
        .body;
    assert_eq!(changed["data"]["changePassword"], true, "{changed}");
    app.token(CONTRIBUTOR_EMAIL, NEW_PASSWORD).await;

    // A pending value with an evidence file: the file's hash stays private until approval.
    let file = app
        .app
        .store_evidence("acta-privada-Q7X2.pdf", PENDING_FILE.to_vec())
        .await
        .unwrap();
    let pending_file_hash = file.sha256().to_string();
    app.app
        .submit_measurement(
            &op,
            ayni::app::MeasurementInput {
                indicator_id: indicator.as_str().unwrap().parse().unwrap(),
                period: "2024".into(),
                territory: Some("1801".into()),
                value: 3.0,
                actor_id: Some(gore),
                evidence_file: Some(file),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    // A monitor questions a published value.
    let monitor = app.login_as(Role::Monitor).await;
    let published = app
        .graphql(
            None,
            r#"{ ecosystem(slug: "moquegua") { objectives { indicators { measurements { id } } } } }"#,
            json!({}),
        )
        .await
        .body
        .to_string();
    let published_id = published
        .split("\"id\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let challenged = app
        .graphql(
            Some(&monitor),
            "mutation($m: ID!) { openChallenge(measurementId: $m, reason: \"El informe publicado dice otra cifra\") { status } }",
            json!({"m": published_id}),
        )
        .await
        .body;
    assert_eq!(
        challenged["data"]["openChallenge"]["status"], "OPEN",
        "{challenged}"
    );

    // An investment of the regional government: the coordinator records it, the
    // contributor reports its physical progress, and a commitment names it, which the
    // contributor reports fulfilled. Everything about them is public but who typed it.
    let created = app
        .graphql(
            Some(&coordinator),
            "mutation($e: ID!, $i: InvestmentInput!) { createInvestment(ecosystemId: $e, input: $i) { id } }",
            json!({"e": eco.id.to_string(), "i": {"cui": INVESTMENT_CUI, "name": "Mejoramiento del canal Q7X2",
                   "kind": "PROJECT", "level": "REGIONAL", "function": "AGRICULTURE", "stage": "EXECUTION",
                   "modality": "CONTRACT", "financingSource": "CANON", "ubigeo": "180101",
                   "updatedCost": 2_000_000.0, "executingActorId": gore.to_string()}}),
        )
        .await
        .body;
    assert_eq!(created["errors"], Value::Null, "{created}");
    let investment = created["data"]["createInvestment"]["id"].clone();
    for (token, i) in [
        (
            &coordinator,
            json!({"asOf": "2025-05-31", "pia": 900000.0, "pim": 1000000.0, "certified": 0.0,
                              "committed": 0.0, "accrued": 250000.0, "paid": 0.0, "accruedBefore": 0.0}),
        ),
        (
            &contributor,
            json!({"asOf": "2025-06-30", "physicalProgress": 30.0,
                              "physicalEvidence": "Valorización de obra N.º 6"}),
        ),
    ] {
        let done = app
            .graphql(
                Some(token),
                "mutation($id: ID!, $i: InvestmentProgressInput!) { recordInvestmentProgress(investmentId: $id, input: $i) { id } }",
                json!({"id": investment, "i": i}),
            )
            .await
            .body;
        assert_eq!(done["errors"], Value::Null, "{done}");
    }
    let commitment = app
        .graphql(
            Some(&coordinator),
            "mutation($i: CreateCommitmentInput!) { createCommitment(input: $i) { id } }",
            json!({"i": {"ecosystemId": eco.id.to_string(), "text": "Concluir el canal Q7X2 antes del estiaje",
                   "kind": "COMMITMENT", "source": "MEETING", "sourceReference": "Acta de la sesión del 02/06/2025",
                   "sourceDate": "2025-06-02", "responsibleActorId": gore.to_string(), "deadline": "2025-12-31",
                   "cuis": [INVESTMENT_CUI]}}),
        )
        .await
        .body;
    assert_eq!(commitment["errors"], Value::Null, "{commitment}");
    let fulfilled = app
        .graphql(
            Some(&contributor),
            "mutation($id: ID!) { setCommitmentStatus(id: $id, input: {status: FULFILLED, evidenceText: \"Acta de recepción del canal\"}) { status } }",
            json!({"id": commitment["data"]["createCommitment"]["id"]}),
        )
        .await
        .body;
    assert_eq!(
        fulfilled["data"]["setCommitmentStatus"]["status"], "FULFILLED",
        "{fulfilled}"
    );

    // What must stay private: the scenario's strings, every e-mail, every password hash and
    // its digest, every salt, and the content of every value not approved (the demo's too).
    let mut secrets: BTreeSet<String> = [
        CONTRIBUTOR_EMAIL,
        COORDINATOR_EMAIL,
        PENDING_EVIDENCE,
        PENDING_COMMENT,
        REJECTED_EVIDENCE,
        REJECT_REASON,
        IMPORT_FILE,
        IMPORT_EVIDENCE,
        NEW_PASSWORD,
        TEST_PASSWORD,
    ]
    .into_iter()
    .map(String::from)
    .collect();
    for v in [PENDING_VALUE, REJECTED_VALUE, 7_654_321.98] {
        secrets.extend(number_forms(v));
    }
    secrets.insert(pending_file_hash.clone());
    let stored = app
        .direct(|c| {
            let users: Vec<(String, String)> = users::table
                .select((users::email, users::password_hash))
                .load(c)?;
            let mut texts = |approved: bool| {
                let q = measurements::table.select((
                    measurements::evidence_text,
                    measurements::comment,
                    measurements::reject_reason,
                ));
                if approved {
                    q.filter(measurements::status.eq("approved"))
                        .load::<Texts>(c)
                } else {
                    q.filter(measurements::status.ne("approved"))
                        .load::<Texts>(c)
                }
            };
            let unapproved = texts(false)?;
            let published: BTreeSet<String> = texts(true)?
                .into_iter()
                .flat_map(|(e, c, r)| [e, Some(c), r])
                .flatten()
                .collect();
            let unapproved: Vec<Texts> = unapproved
                .into_iter()
                .map(|(e, c, r)| {
                    let keep = |t: Option<String>| t.filter(|t| !published.contains(t));
                    (keep(e), keep(Some(c)).unwrap_or_default(), keep(r))
                })
                .collect();
            let salts: Vec<(Option<String>, Option<String>)> = audit_log::table
                .select((audit_log::before_salt, audit_log::after_salt))
                .load(c)?;
            Ok::<_, ayni::app::AppError>((users, unapproved, salts))
        })
        .await
        .unwrap();
    let (stored_users, unapproved, salts) = stored;
    assert!(stored_users.len() >= 4);
    for (email, hash) in stored_users {
        secrets.insert(email);
        secrets.insert(hex::encode(sha2::Sha256::digest(hash.as_bytes())));
        secrets.insert(hash);
    }
    assert!(
        unapproved.len() >= 4,
        "the demo's pending values and the scenario's"
    );
    for (evidence, comment, reason) in unapproved {
        // Short demo words ("INEI") would match published text; the distinctive ones are long.
        for text in [evidence, Some(comment), reason].into_iter().flatten() {
            if text.chars().count() >= 20 {
                secrets.insert(text);
            }
        }
    }
    let salts: Vec<String> = salts
        .into_iter()
        .flat_map(|(a, b)| [a, b])
        .flatten()
        .collect();
    assert!(salts.len() > 5, "private parts were committed");
    secrets.extend(salts);

    let mut scanned = Scan::new(&secrets);

    // Every page of the public audit log.
    let mut from = Some(1);
    let mut entries = 0;
    while let Some(f) = from {
        let page = app.get(&format!("/api/v1/audit/proof?from={f}")).await;
        assert_eq!(page.status.as_u16(), 200);
        entries += page.body["entries"].as_array().unwrap().len();
        scanned.check(&format!("proof from={f}"), &page.body.to_string());
        from = page.body["next"].as_i64();
    }
    assert!(entries > 500, "{entries} entries");
    scanned.check(
        "head",
        &app.get("/api/v1/audit/head").await.body.to_string(),
    );

    // The public GraphQL queries, anonymously.
    let mut queries = vec![
        "{ auditChain { length headSeq headHash verified firstBrokenSeq breakReason mismatchCount mismatches { entityType entityId auditSeq problem } sealedV1 { length verified } } }".to_string(),
        "{ actors { id name kind } ecosystems { slug name members { roleLabel actor { name } } } }".to_string(),
        r#"{ challenges(ecosystemSlug: "moquegua") { reason answer status measurement { value evidenceText evidenceUrl comment rejectReason } } }"#.to_string(),
        "{ variables(first: 200) { nodes { code observations { value evidenceText evidenceUrl comment status rejectReason importId } } } }".to_string(),
    ];
    queries.push(
        r#"{ ecosystem(slug: "moquegua") { objectives { indicators { code
            measurements { value evidenceText evidenceUrl comment status rejectReason
              provenance { actor { name } submittedBy { userId actor { name } } evidence { url text } approvedBy { userId } auditSeq } } } } } }"#
            .to_string(),
    );
    for period in ["2024", "2025"] {
        queries.push(format!(
            r#"{{ ecosystem(slug: "moquegua") {{ scorecard(period: "{period}") {{ score coverage }} sharedValue(period: "{period}") {{ __typename }} }} }}"#
        ));
    }
    for id in 1..=report.import_id.unwrap_or(1) + 1 {
        queries.push(format!(
            r#"{{ observationImport(id: "{id}") {{ fileName fileSha256 rowsDigest rowsRead actor {{ name }} }} }}"#
        ));
    }
    for q in &queries {
        let a = app.graphql(None, q, json!({})).await;
        assert_eq!(a.body["errors"], Value::Null, "{q}: {}", a.body);
        scanned.check(q, &a.body.to_string());
    }

    // Every portal page and open-data file reachable from the home page; the investment
    // portfolio, the scenario's project sheet with its downloads, the XLSX matrices and the
    // commitments first, so that the page limit never leaves them out.
    let sheet = format!("/e/moquegua/inversiones/{INVESTMENT_CUI}");
    let mut first: Vec<String> = vec![
        "/e/moquegua/inversiones".into(),
        "/e/moquegua/inversiones?lang=en".into(),
        sheet.clone(),
        format!("{sheet}?lang=en"),
        format!("{sheet}/avance.csv"),
        format!("{sheet}/avance.json"),
        "/e/moquegua/inversiones.xlsx".into(),
        "/e/moquegua/compromisos".into(),
        "/e/moquegua/compromisos.csv".into(),
        "/e/moquegua/compromisos.json".into(),
        "/e/cajamarca/inversiones".into(),
    ];
    for table in [
        "inversiones",
        "inversiones/resumen",
        "inversiones/unidades",
        "inversiones/alertas",
        "inversiones/prioridades",
    ] {
        for format in ["csv", "json"] {
            first.push(format!("/e/moquegua/{table}.{format}"));
        }
    }
    first.extend(["/", "/?lang=en", "/openapi.json"].map(String::from));
    let mut queue: VecDeque<String> = first.into_iter().collect();
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    let mut pages = 0;
    while let Some(path) = queue.pop_front() {
        if pages >= 1_000 {
            break;
        }
        let a = app.get(&path).await;
        assert!(a.status.is_success(), "{path}: {}", a.status);
        pages += 1;
        let text = if path.split('?').next().is_some_and(|p| p.ends_with(".xlsx")) {
            xlsx_text(&app, &path).await
        } else {
            match &a.body {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }
        };
        scanned.check(&path, &text);
        for link in links(&text) {
            if seen.insert(link.clone()) {
                queue.push_back(link);
            }
        }
    }
    assert!(pages >= 60, "the crawl reached {pages} pages");
    assert!(
        queue.is_empty(),
        "the crawl stopped at {pages} pages, {} left: {:?}",
        queue.len(),
        queue.iter().take(20).collect::<Vec<_>>()
    );
    assert!(
        seen.iter().any(|p| p.ends_with(".csv")) && seen.iter().any(|p| p.contains("/i/")),
        "open data and indicator pages were crawled"
    );
    // The portfolio's pages link their sheets, matrices and downloads.
    for linked in [
        "/e/moquegua/inversiones/2456781",
        "/e/moquegua/inversiones/2456781/avance.csv",
        "/e/moquegua/inversiones/resumen.csv",
    ] {
        assert!(seen.contains(linked), "{linked} was not crawled");
    }
    assert!(
        seen.iter()
            .any(|p| p.starts_with("/e/moquegua/inversiones.xlsx?"))
    );
    scanned.finish();

    // The import's file name and digests: for coordinators and the importing actor only.
    let import = format!(
        r#"{{ observationImport(id: "{}") {{ fileName rowsDigest rowsCreated }} }}"#,
        report.import_id.unwrap()
    );
    for (who, token) in [("anonymous", None), ("a monitor", Some(&monitor))] {
        let seen = app
            .graphql(token.map(String::as_str), &import, json!({}))
            .await
            .body;
        assert_eq!(
            seen["data"]["observationImport"],
            json!({"fileName": null, "rowsDigest": null, "rowsCreated": 1}),
            "{who}"
        );
    }
    for token in [&coordinator, &contributor] {
        let seen = app.graphql(Some(token), &import, json!({})).await.body;
        assert_eq!(seen["data"]["observationImport"]["fileName"], IMPORT_FILE);
        assert_eq!(
            seen["data"]["observationImport"]["rowsDigest"]
                .as_str()
                .unwrap()
                .len(),
            64
        );
    }

    // A lifted period lock, so that every column of the lock table is recorded.
    let eco = app
        .graphql(None, "{ ecosystem(slug: \"moquegua\") { id } }", json!({}))
        .await
        .body["data"]["ecosystem"]["id"]
        .clone();
    for op in ["lockPeriod", "unlockPeriod"] {
        let done = app
            .graphql(
                Some(&coordinator),
                &format!("mutation($e: ID!) {{ {op}(ecosystemId: $e, period: \"2019\", reason: \"Revisión\") {{ period }} }}"),
                json!({"e": eco}),
            )
            .await
            .body;
        assert_eq!(done["errors"], Value::Null, "{done}");
    }
    every_column_is_in_an_audit_state(&app).await;
}

#[derive(QueryableByName)]
struct ColumnName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// Every column of every audited table is recorded, publicly or privately, by its entity's
/// audit state (so a row cannot change unnoticed), and a new column fails here until
/// `src/db/audit_state.rs` decides which part it belongs to.
async fn every_column_is_in_an_audit_state(app: &TestApp) {
    columns_are_recorded(
        app,
        &[
            ("actor", "actors"),
            ("user", "users"),
            ("setting", "settings"),
            ("ecosystem", "ecosystems"),
            ("perspective", "perspectives"),
            ("ecosystem_member", "ecosystem_members"),
            ("theme", "themes"),
            ("objective", "objectives"),
            ("objective_link", "objective_links"),
            ("indicator", "indicators"),
            ("target", "targets"),
            ("measurement", "measurements"),
            ("challenge", "challenges"),
            ("variable", "variables"),
            ("ecosystem_variable", "ecosystem_variables"),
            ("import", "imports"),
            ("hybrid_metric", "hybrid_metrics"),
            ("indicator_beneficiary", "indicator_beneficiaries"),
            ("vec", "vecs"),
            ("development", "developments"),
            ("adjustment", "adjustments"),
            ("period_lock", "period_locks"),
            ("commitment", "commitments"),
            ("commitment_status_change", "commitment_status_changes"),
            ("investment", "investments"),
            ("investment_snapshot", "investment_snapshots"),
            ("investment_settings", "investment_settings"),
        ],
    )
    .await;
}

/// Every column of these `(entity, table)` pairs is recorded by an audit entry of the
/// entity (each entity needs one entry at least).
pub async fn columns_are_recorded(app: &TestApp, tables: &[(&'static str, &'static str)]) {
    let tables = tables.to_vec();
    let postgres = app.backend == crate::helpers::Backend::Postgres;
    let (columns, states) = app.direct(move |c| {
            let mut columns = Vec::new();
            for (entity, table) in tables {
                let sql = if postgres {
                    format!("SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}'")
                } else {
                    format!("SELECT name FROM pragma_table_info('{table}')")
                };
                let names: Vec<ColumnName> = diesel::sql_query(sql).load(c)?;
                columns.push((entity, names.into_iter().map(|n| n.name).collect::<BTreeSet<_>>()));
            }
            let states: Vec<(String, Option<String>, Option<String>)> = audit_log::table
                .select((
                    audit_log::entity_type,
                    audit_log::after_state,
                    audit_log::after_private,
                ))
                .load(c)?;
            Ok::<_, ayni::app::AppError>((columns, states))
        })
        .await
        .unwrap();
    for (entity, columns) in columns {
        assert!(!columns.is_empty(), "{entity}");
        let mut recorded = BTreeSet::new();
        for (_, public, private) in states.iter().filter(|(t, _, _)| t == entity) {
            for text in [public, private].into_iter().flatten() {
                let state: Value = serde_json::from_str(text).unwrap();
                // Secrets are recorded as digests, under the column's name with `_sha256`.
                recorded.extend(state.as_object().unwrap().keys().map(|k| match k.as_str() {
                    "password_hash_sha256" => "password_hash".to_string(),
                    "value_sha256" => "value".to_string(),
                    other => other.to_string(),
                }));
            }
        }
        assert!(!recorded.is_empty(), "no audit entry records a {entity}");
        let missing: Vec<&String> = columns.difference(&recorded).collect();
        assert!(
            missing.is_empty(),
            "{entity}: columns {missing:?} are in no audit state (decide public or private in src/db/audit_state.rs)"
        );
    }
}

type Texts = (Option<String>, String, Option<String>);

/// Every cell of every sheet of an XLSX download, as text (its strings are compressed in
/// the file, so the bytes themselves cannot be scanned).
async fn xlsx_text(app: &TestApp, path: &str) -> String {
    use calamine::Reader as _;
    let mut res = app.client.get(app.url(path)).send().await.unwrap();
    let bytes = res.body().limit(20 << 20).await.unwrap().to_vec();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let mut out = String::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        for row in range.rows() {
            for cell in row {
                out.push_str(&cell.to_string());
                out.push('\t');
            }
            out.push('\n');
        }
    }
    assert!(out.contains("CUI") || out.contains("cui"), "{path}: {out}");
    out
}

/// Same-site links of a page (`href` and `src`), without fragments.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for piece in html.split(attr).skip(1) {
            let Some(end) = piece.find('"') else { continue };
            let link = piece[..end].replace("&amp;", "&");
            let link = link.split('#').next().unwrap_or("").to_string();
            let internal = link.starts_with('/') && !link.starts_with("//");
            // GraphiQL's bundle is third-party code; /app is the signed-in workspace; every
            // page of the audit proof is scanned on its own.
            if internal
                && !link.starts_with("/graphiql")
                && !link.starts_with("/app")
                && !link.starts_with("/api/v1/audit/proof")
            {
                out.push(link);
            }
        }
    }
    out
}

/// Collects every leak found, so one failure lists them all.
struct Scan<'a> {
    secrets: &'a BTreeSet<String>,
    leaks: Vec<String>,
    checked: usize,
}

impl<'a> Scan<'a> {
    fn new(secrets: &'a BTreeSet<String>) -> Scan<'a> {
        Scan {
            secrets,
            leaks: Vec::new(),
            checked: 0,
        }
    }

    fn check(&mut self, what: &str, text: &str) {
        self.checked += 1;
        for s in self.secrets {
            if text.contains(s.as_str()) {
                self.leaks.push(format!("{what}: shows '{s}'"));
            }
        }
    }

    fn finish(self) {
        assert!(self.checked > 60, "{} answers scanned", self.checked);
        assert!(self.leaks.is_empty(), "{:#?}", self.leaks);
    }
}

use sha2::Digest as _;
