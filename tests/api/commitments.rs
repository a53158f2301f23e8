//! Commitments of the coordinating body: validation, overdue status, permissions, the audit
//! trail of status changes, the portal page and its open data.

use serde_json::{Value, json};

use ayni::app::Caller;
use ayni::domain::{ActorKind, Role};

use crate::both_backends;
use crate::helpers::workspace::WorkspaceClient;
use crate::helpers::{TEST_PASSWORD, TestApp, error_code};
use crate::scorecard_support::seeded_with_values;
use crate::strategy::{Gql, coordinator};

both_backends!(
    bad_input_is_refused_field_by_field_and_nothing_is_stored,
    overdue_is_computed_and_every_status_change_is_audited,
    only_the_coordinating_body_and_the_responsible_actor_change_commitments,
    the_portal_lists_commitments_with_their_open_data,
    the_workspace_records_commitments_and_the_responsible_actor_reports_on_them,
);

const CREATE: &str = "mutation($i: CreateCommitmentInput!) { createCommitment(input: $i) { id text kind source sourceDate deadline status overdue timeliness daysLate cuis responsibleActor { name } objectives { code } history { status } } }";
const SET: &str = "mutation($id: ID!, $i: SetCommitmentStatusInput!) { setCommitmentStatus(id: $id, input: $i) { id status overdue timeliness statusNote evidence { url text } history { status note evidence { url text } } } }";
const LIST: &str = "query($f: CommitmentFilter) { ecosystem(slug: \"moquegua\") { commitmentCounts { total pending inProgress fulfilled dropped overdue fulfilledLate } commitments(filter: $f) { id text status overdue timeliness } objectives { code commitments { id } } } }";

/// The seeded ecosystem's id, its objective's id and its actor's id.
async fn place(app: &TestApp) -> (String, String, String) {
    seeded_with_values(app).await;
    let body = ids(app).await;
    let eco = body["data"]["ecosystem"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let objective = body["data"]["ecosystem"]["objectives"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let actor = body["data"]["actors"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    (eco, objective, actor)
}

/// Moquegua's id and objectives' ids, and every actor's id and name.
pub(crate) async fn ids(app: &TestApp) -> Value {
    app.graphql(
        None,
        "{ ecosystem(slug: \"moquegua\") { id objectives { id } } actors { id name } }",
        json!({}),
    )
    .await
    .body
}

fn input(eco: &str, objective: &str, actor: &str, deadline: &str) -> Value {
    json!({
        "ecosystemId": eco,
        "text": format!("Instalar la mesa técnica del agua antes del {deadline}"),
        "textEn": "Set up the water technical table",
        "kind": "AGREEMENT",
        "source": "MEETING",
        "sourceReference": "Acta de la sesión del 12/03/2019",
        "sourceDate": "2019-03-12",
        "responsibleActorId": actor,
        "deadline": deadline,
        "objectiveIds": [objective],
        "cuis": ["2234567"],
    })
}

fn fields(body: &Value) -> Vec<String> {
    body["errors"][0]["extensions"]["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn count(app: &TestApp) -> i64 {
    let body = app.graphql(None, LIST, json!({})).await.body;
    assert_eq!(body["errors"], Value::Null, "{body}");
    body["data"]["ecosystem"]["commitmentCounts"]["total"]
        .as_i64()
        .unwrap()
}

async fn bad_input_is_refused_field_by_field_and_nothing_is_stored(app: TestApp) {
    let (eco, objective, actor) = place(&app).await;
    let g = coordinator(&app).await;

    // Every bad field at once, each named.
    let mut bad = input(&eco, &objective, &actor, "2019-02-30");
    bad["text"] = json!("  ");
    bad["sourceDate"] = json!("12/03/2019");
    bad["cuis"] = json!(["12345", "22345678", "abcdefg"]);
    let body = g.run(CREATE, json!({"i": bad})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let named = fields(&body);
    for f in ["text", "sourceDate", "deadline", "cuis"] {
        assert!(named.iter().any(|n| n == f), "{f} in {named:?}");
    }

    // Hostile inputs: huge text, a deadline before the meeting, an unknown actor, an
    // objective of another ecosystem, a year far away, control characters.
    let huge = "x".repeat(200_000);
    let cases = [
        ("text", json!(huge)),
        ("deadline", json!("2018-01-01")),
        ("deadline", json!("9999-12-31")),
        ("responsibleActorId", json!("999999")),
        ("objectiveIds", json!(["999999"])),
        ("sourceReference", json!("Acta\u{0007} oculta")),
        ("cuis", json!(["2234567 OR 1=1"])),
    ];
    for (field, value) in cases {
        let mut i = input(&eco, &objective, &actor, "2019-06-30");
        i[field] = value;
        let started = std::time::Instant::now();
        let body = g.run(CREATE, json!({"i": i})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{field}: {body}");
        assert!(fields(&body).iter().any(|n| n == field), "{field}: {body}");
        assert!(started.elapsed().as_secs() < 5, "{field}: slow refusal");
    }
    // An unknown ecosystem.
    let mut i = input(&eco, &objective, &actor, "2019-06-30");
    i["ecosystemId"] = json!("999999");
    assert_eq!(
        error_code(&g.run(CREATE, json!({"i": i})).await),
        "BAD_USER_INPUT"
    );
    assert_eq!(count(&app).await, 0, "nothing stored");

    // A good one is stored; a bad edit changes nothing.
    let created = g
        .ok(
            CREATE,
            json!({"i": input(&eco, &objective, &actor, "2019-06-30")}),
        )
        .await;
    let id = created["createCommitment"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let edit = "mutation($id: ID!, $i: UpdateCommitmentInput!) { updateCommitment(id: $id, input: $i) { text deadline cuis } }";
    let body = g
        .run(
            edit,
            json!({"id": id, "i": {"cuis": ["123"], "text": "Nuevo texto"}}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let body = g
        .run(edit, json!({"id": "abc", "i": {"text": "Nuevo texto"}}))
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let body = g
        .run(edit, json!({"id": "999999", "i": {"text": "Nuevo texto"}}))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    let after = g
        .ok(
            "query($id: ID!) { commitment(id: $id) { text deadline cuis } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        after["commitment"],
        json!({"text": "Instalar la mesa técnica del agua antes del 2019-06-30", "deadline": "2019-06-30", "cuis": ["2234567"]})
    );
    // An edit: omitted fields stay, null clears the deadline.
    let edited = g
        .ok(
            edit,
            json!({"id": id, "i": {"text": "Nuevo texto", "deadline": null}}),
        )
        .await;
    assert_eq!(
        edited["updateCommitment"],
        json!({"text": "Nuevo texto", "deadline": null, "cuis": ["2234567"]})
    );
}

async fn overdue_is_computed_and_every_status_change_is_audited(app: TestApp) {
    let (eco, objective, actor) = place(&app).await;
    let g = coordinator(&app).await;
    let past = g
        .ok(
            CREATE,
            json!({"i": input(&eco, &objective, &actor, "2019-06-30")}),
        )
        .await["createCommitment"]
        .clone();
    assert_eq!(past["status"], "PENDING");
    assert_eq!(past["overdue"], true, "{past}");
    assert_eq!(past["timeliness"], "OVERDUE");
    assert!(past["daysLate"].as_i64().unwrap() > 365);
    assert_eq!(past["history"], json!([{"status": "PENDING"}]));
    assert_eq!(
        past["responsibleActor"]["name"],
        "Anglo American Quellaveco"
    );
    assert_eq!(past["objectives"], json!([{"code": "OE1"}]));
    let future = g
        .ok(
            CREATE,
            json!({"i": input(&eco, &objective, &actor, "2199-12-31")}),
        )
        .await["createCommitment"]
        .clone();
    assert_eq!(
        (&future["overdue"], &future["timeliness"]),
        (&json!(false), &json!("ON_TIME"))
    );
    let past_id = past["id"].as_str().unwrap().to_string();
    let future_id = future["id"].as_str().unwrap().to_string();

    let list = app.graphql(None, LIST, json!({})).await.body["data"]["ecosystem"].clone();
    assert_eq!(
        list["commitmentCounts"],
        json!({"total": 2, "pending": 2, "inProgress": 0, "fulfilled": 0, "dropped": 0, "overdue": 1, "fulfilledLate": 0})
    );
    // Overdue ones first; filters.
    assert_eq!(list["commitments"][0]["id"], past_id.as_str());
    assert_eq!(
        list["objectives"][0]["commitments"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let only = app
        .graphql(None, LIST, json!({"f": {"overdue": true}}))
        .await
        .body;
    let only = only["data"]["ecosystem"]["commitments"].as_array().unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["id"], past_id.as_str());
    let none = app
        .graphql(None, LIST, json!({"f": {"kind": "DECISION"}}))
        .await
        .body;
    assert_eq!(none["data"]["ecosystem"]["commitments"], json!([]));

    // Fulfilled needs evidence; dropped needs a reason; nothing is stored otherwise.
    let body = g
        .run(SET, json!({"id": past_id, "i": {"status": "FULFILLED"}}))
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let body = g
        .run(
            SET,
            json!({"id": past_id, "i": {"status": "FULFILLED", "evidenceUrl": "javascript:alert(1)"}}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let body = g
        .run(
            SET,
            json!({"id": future_id, "i": {"status": "DROPPED", "reason": " "}}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(fields(&body), vec!["reason".to_string()]);

    // In progress, then fulfilled late with evidence; the other dropped with a reason.
    let step = g
        .ok(
            SET,
            json!({"id": past_id, "i": {"status": "IN_PROGRESS", "reason": "Convocatoria enviada"}}),
        )
        .await;
    assert_eq!(step["setCommitmentStatus"]["overdue"], true);
    let again = g
        .run(
            SET,
            json!({"id": past_id, "i": {"status": "IN_PROGRESS", "reason": "Convocatoria enviada"}}),
        )
        .await;
    assert_eq!(error_code(&again), "CONFLICT", "{again}");
    let done = g
        .ok(
            SET,
            json!({"id": past_id, "i": {"status": "FULFILLED", "evidenceUrl": "https://example.org/acta.pdf", "evidenceText": "Acta de instalación"}}),
        )
        .await["setCommitmentStatus"]
        .clone();
    assert_eq!(done["status"], "FULFILLED");
    assert_eq!(done["overdue"], false);
    assert_eq!(done["timeliness"], "FULFILLED_LATE");
    assert_eq!(
        done["evidence"],
        json!({"url": "https://example.org/acta.pdf", "text": "Acta de instalación"})
    );
    let statuses: Vec<&str> = done["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["PENDING", "IN_PROGRESS", "FULFILLED"]);
    assert_eq!(done["history"][1]["note"], "Convocatoria enviada");
    let dropped = g
        .ok(
            SET,
            json!({"id": future_id, "i": {"status": "DROPPED", "reason": "Lo asumió otra instancia"}}),
        )
        .await["setCommitmentStatus"]
        .clone();
    assert_eq!(
        (&dropped["timeliness"], &dropped["statusNote"]),
        (&json!("DROPPED"), &json!("Lo asumió otra instancia"))
    );
    let list = app.graphql(None, LIST, json!({})).await.body["data"]["ecosystem"].clone();
    assert_eq!(
        list["commitmentCounts"],
        json!({"total": 2, "pending": 0, "inProgress": 0, "fulfilled": 1, "dropped": 1, "overdue": 0, "fulfilledLate": 1})
    );

    // Each status change is its own audit entry, public, and the chain verifies.
    let head = app.get("/api/v1/audit/head").await.body;
    let length = head["seq"].as_i64().unwrap();
    let proof = app
        .get(&format!("/api/v1/audit/proof?from=1&limit={length}"))
        .await
        .body;
    let changes: Vec<&Value> = proof["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity_type"] == "commitment_status_change")
        .collect();
    assert_eq!(changes.len(), 5, "2 creations + 3 changes");
    assert!(changes.iter().any(|e| e["after"]["status"] == "fulfilled"
        && e["after"]["evidence_url"] == "https://example.org/acta.pdf"));
    let updates = proof["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity_type"] == "commitment" && e["action"] == "update")
        .count();
    assert_eq!(updates, 3);
    let report = app
        .app
        .audit_chain(Some(&Caller::operator()))
        .await
        .unwrap();
    assert!(report.verified, "{report:?}");
    assert_eq!(report.mismatch_count, 0, "{report:?}");
}

async fn only_the_coordinating_body_and_the_responsible_actor_change_commitments(app: TestApp) {
    let (eco, objective, actor) = place(&app).await;
    let g = coordinator(&app).await;
    let id = g
        .ok(
            CREATE,
            json!({"i": input(&eco, &objective, &actor, "2199-06-30")}),
        )
        .await["createCommitment"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let progress = json!({"id": id, "i": {"status": "IN_PROGRESS"}});

    // Anonymous: refused, whatever it tries.
    for (q, v) in [
        (SET, progress.clone()),
        (
            CREATE,
            json!({"i": input(&eco, &objective, &actor, "2199-06-30")}),
        ),
    ] {
        let body = app.graphql(None, q, v).await.body;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    }
    // A monitor, and a contributor of another actor.
    let monitor = Gql {
        app: &app,
        token: app.login_as(Role::Monitor).await,
    };
    let other = Gql {
        app: &app,
        token: app.login_as(Role::Contributor).await,
    };
    for who in [&monitor, &other] {
        let body = who.run(SET, progress.clone()).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
        let body = who
            .run(
                CREATE,
                json!({"i": input(&eco, &objective, &actor, "2199-06-30")}),
            )
            .await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    }
    // A contributor of the responsible actor: in progress, then fulfilled with evidence;
    // not dropped, not edited, not reopened.
    let actor_id: i64 = actor.parse().unwrap();
    app.create_user(
        "enlace@quellaveco.example.pe",
        Role::Contributor,
        Some(actor_id),
    )
    .await;
    let own = Gql {
        app: &app,
        token: app
            .token("enlace@quellaveco.example.pe", TEST_PASSWORD)
            .await,
    };
    let body = own
        .run(
            SET,
            json!({"id": id, "i": {"status": "DROPPED", "reason": "No nos corresponde"}}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let body = own
        .run(
            "mutation($id: ID!) { updateCommitment(id: $id, input: {text: \"Otro texto\"}) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    own.ok(SET, progress.clone()).await;
    let done = own
        .ok(
            SET,
            json!({"id": id, "i": {"status": "FULFILLED", "evidenceText": "Informe entregado en mesa de partes"}}),
        )
        .await;
    assert_eq!(done["setCommitmentStatus"]["status"], "FULFILLED");
    let body = own.run(SET, progress.clone()).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "reopening: {body}");
    // The coordinating body may reopen it.
    g.ok(SET, progress).await;
    // A commitment id that does not exist, as the responsible actor: not found.
    let body = own
        .run(SET, json!({"id": "999999", "i": {"status": "IN_PROGRESS"}}))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    let report = app
        .app
        .audit_chain(Some(&Caller::operator()))
        .await
        .unwrap();
    assert!(report.verified && report.mismatch_count == 0, "{report:?}");
}

async fn the_portal_lists_commitments_with_their_open_data(app: TestApp) {
    let (eco, objective, actor) = place(&app).await;
    // A coordinator whose e-mail must never reach a public page.
    let email = "coordinadora.k9z4@columna.example.pe";
    app.create_user(email, Role::Coordinator, None).await;
    let g = Gql {
        app: &app,
        token: app.token(email, TEST_PASSWORD).await,
    };
    let late = g
        .ok(
            CREATE,
            json!({"i": input(&eco, &objective, &actor, "2019-06-30")}),
        )
        .await["createCommitment"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = app
        .create_actor(
            "Municipalidad Provincial de Ilo",
            ActorKind::LocalGovernment,
        )
        .await;
    let mut dropped = input(&eco, &objective, &other.to_string(), "2199-06-30");
    dropped["text"] = json!("=Organizar la feria turística de Ilo");
    dropped["kind"] = json!("RECOMMENDATION");
    let dropped_id = g.ok(CREATE, json!({"i": dropped})).await["createCommitment"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    g.ok(
        SET,
        json!({"id": dropped_id, "i": {"status": "DROPPED", "reason": "Priorizaron el malecón"}}),
    )
    .await;
    let _ = late;

    // The page, in Spanish and in English: counts, the overdue word, the table.
    let es = app.get("/e/moquegua/compromisos").await;
    assert_eq!(es.status, 200);
    let html = es.body.as_str().unwrap().to_string();
    assert!(html.contains("VENCIDO"), "the overdue word");
    assert!(html.contains("Instalar la mesa técnica del agua"));
    assert!(html.contains("Desestimado") && html.contains("Priorizaron el malecón"));
    assert!(html.contains("Acta de la sesión del 12/03/2019"));
    assert!(html.contains("Anglo American Quellaveco"));
    assert!(html.contains("/e/moquegua/compromisos.csv"));
    assert!(!html.contains(email), "no e-mail on the public page");
    assert!(!html.contains("@"), "no e-mail at all on the public page");
    let en = app.get("/e/moquegua/compromisos?lang=en").await;
    let html_en = en.body.as_str().unwrap();
    assert!(html_en.contains("OVERDUE") && html_en.contains("Set up the water technical table"));
    assert!(html_en.contains("Dropped"));
    // The ecosystem page links to it.
    let eco_page = app.get("/e/moquegua").await;
    assert!(
        eco_page
            .body
            .as_str()
            .unwrap()
            .contains("/e/moquegua/compromisos")
    );
    // The indicator page lists its objective's commitments.
    let ind = app.get("/e/moquegua/i/IND1").await;
    assert!(
        ind.body
            .as_str()
            .unwrap()
            .contains("Instalar la mesa técnica del agua")
    );
    // Filters.
    let only_dropped = app.get("/e/moquegua/compromisos?estado=dropped").await;
    let h = only_dropped.body.as_str().unwrap();
    assert!(h.contains("Priorizaron") && !h.contains("Instalar la mesa"));

    // Open data: the same rows as CSV and JSON.
    let json_rows = app.get("/e/moquegua/compromisos.json").await;
    assert_eq!(json_rows.status, 200);
    let rows = json_rows.body.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["overdue"], true);
    assert_eq!(rows[0]["timeliness"], "overdue");
    assert_eq!(rows[0]["objectives"], "OE1");
    assert_eq!(rows[0]["cuis"], "2234567");
    assert_eq!(rows[1]["status"], "dropped");
    assert_eq!(rows[1]["status_note"], "Priorizaron el malecón");
    assert!(!json_rows.body.to_string().contains('@'));
    let csv = app.get("/e/moquegua/compromisos.csv?vencidos=si").await;
    assert_eq!(csv.status, 200);
    let text = csv.body.as_str().unwrap();
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("id,kind,text_es,text_en,source")
    );
    assert_eq!(lines.count(), 1, "{text}");
    // A text a spreadsheet would run is neutralised.
    let all_csv = app.get("/e/moquegua/compromisos.csv").await;
    assert!(
        all_csv
            .body
            .as_str()
            .unwrap()
            .contains("'=Organizar la feria")
    );

    // Hostile requests: fast, clear refusals.
    for (path, status) in [
        ("/e/moquegua/compromisos?estado=everything", 400),
        ("/e/moquegua/compromisos?actor=abc", 400),
        ("/e/moquegua/compromisos?vencidos=quizas", 400),
        ("/e/moquegua/compromisos.json?tipo=promise", 400),
        ("/e/nowhere/compromisos", 404),
        ("/e/moquegua/compromisos.xml", 404),
    ] {
        let started = std::time::Instant::now();
        let a = app.get(path).await;
        assert_eq!(a.status.as_u16(), status, "{path}: {:?}", a.body);
        assert!(started.elapsed().as_secs() < 5, "{path}");
    }
    let bad_json = app.get("/e/moquegua/compromisos.json?tipo=promise").await;
    assert_eq!(bad_json.body["error"]["code"], "BAD_USER_INPUT");
    let long = format!("/e/moquegua/compromisos?objetivo={}", "O".repeat(5000));
    assert_eq!(app.get(&long).await.status.as_u16(), 400);
}

async fn post(
    c: &WorkspaceClient<'_>,
    path: &str,
    fields: Vec<(String, String)>,
) -> crate::helpers::workspace::Page {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form(path, &pairs).await
}

async fn the_workspace_records_commitments_and_the_responsible_actor_reports_on_them(app: TestApp) {
    use awc::http::StatusCode;
    let (_, _, actor) = place(&app).await;
    app.create_user("coord.c@ayni.test", Role::Coordinator, None)
        .await;
    let actor_id: i64 = actor.parse().unwrap();
    app.create_user("enlace.c@ayni.test", Role::Contributor, Some(actor_id))
        .await;
    let other_actor = app
        .create_actor("Southern Peru Copper Corporation", ActorKind::Company)
        .await;
    app.create_user("otro.c@ayni.test", Role::Contributor, Some(other_actor))
        .await;

    // Anonymous: sent to sign in; a foreign or missing CSRF token: refused.
    let anon = WorkspaceClient::new(&app);
    let p = anon.get("/app/compromisos").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let coord = WorkspaceClient::signed_in(&app, "coord.c@ayni.test", TEST_PASSWORD).await;
    let desk = coord.get("/app/compromisos").await;
    assert_eq!(desk.status, StatusCode::OK, "{}", desk.text());
    assert!(
        desk.text().contains("href=\"/app/compromisos\""),
        "in the navigation"
    );
    let fields = |csrf: &str, text: &str, deadline: &str, objectives: &str, cuis: &str| {
        vec![
            ("csrf".to_string(), csrf.to_string()),
            ("ecosistema".into(), "moquegua".into()),
            ("text".into(), text.to_string()),
            ("kind".into(), "decision".into()),
            ("source".into(), "report".into()),
            (
                "sourceReference".into(),
                "Informe de seguimiento 2019".into(),
            ),
            ("sourceDate".into(), "2019-05-01".into()),
            ("responsibleActorId".into(), actor.clone()),
            ("deadline".into(), deadline.to_string()),
            ("objectiveIds".into(), objectives.to_string()),
            ("cuis".into(), cuis.to_string()),
        ]
    };
    let refused = post(
        &coord,
        "/app/compromisos/nuevo",
        fields(
            &"0".repeat(64),
            "Priorizar el agua",
            "2019-12-31",
            "OE1",
            "",
        ),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    for path in [
        "/app/compromisos/nuevo",
        "/app/compromisos/editar",
        "/app/compromisos/estado",
    ] {
        let p = coord
            .post_form(
                path,
                &[("id", "1"), ("status", "dropped"), ("reason", "x y z")],
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{path} without CSRF");
    }
    let form = coord
        .get("/app/compromisos/nuevo?ecosistema=moquegua")
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    let csrf = form.csrf();
    // Field errors are shown beside their fields, nothing stored.
    let bad = post(
        &coord,
        "/app/compromisos/nuevo",
        fields(&csrf, "Priorizar el agua", "2019-02-30", "OE1, OE99", "12"),
    )
    .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    assert!(bad.text().contains("OE99"), "{}", bad.text());
    let bad = post(
        &coord,
        "/app/compromisos/nuevo",
        fields(&csrf, "Priorizar el agua", "2019-02-30", "OE1", "12"),
    )
    .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    assert!(bad.text().contains("id=\"e-deadline\"") && bad.text().contains("id=\"e-cuis\""));
    assert_eq!(count(&app).await, 0);
    let ok = post(
        &coord,
        "/app/compromisos/nuevo",
        fields(
            &csrf,
            "Priorizar el agua en el PIM",
            "2019-12-31",
            "OE1",
            "2234567",
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let desk = coord.get(ok.location.as_deref().unwrap()).await;
    assert!(desk.text().contains("Priorizar el agua en el PIM"));
    assert!(desk.text().contains("VENCIDO"), "{}", desk.text());
    let id =
        app.graphql(None, LIST, json!({})).await.body["data"]["ecosystem"]["commitments"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();

    // The contributor of another actor sees none and cannot change this one.
    let other = WorkspaceClient::signed_in(&app, "otro.c@ayni.test", TEST_PASSWORD).await;
    let page = other.get("/app/compromisos").await;
    assert!(!page.text().contains("Priorizar el agua"));
    let csrf_other = page.csrf();
    let p = other
        .post_form(
            "/app/compromisos/estado",
            &[
                ("csrf", &csrf_other),
                ("id", &id),
                ("status", "in_progress"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    // The responsible actor's contributor sees it and reports it fulfilled, with evidence.
    let own = WorkspaceClient::signed_in(&app, "enlace.c@ayni.test", TEST_PASSWORD).await;
    let page = own.get("/app/compromisos").await;
    assert!(page.text().contains("Priorizar el agua en el PIM"));
    let csrf_own = page.csrf();
    let p = own
        .post_form(
            "/app/compromisos/estado",
            &[("csrf", &csrf_own), ("id", &id), ("status", "fulfilled")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text());
    let p = own
        .post_form(
            "/app/compromisos/estado",
            &[
                ("csrf", &csrf_own),
                ("id", &id),
                ("status", "fulfilled"),
                ("evidenceText", "Oficio 123-2019 con la priorización"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text());
    let list = app.graphql(None, LIST, json!({})).await.body;
    assert_eq!(
        list["data"]["ecosystem"]["commitments"][0]["status"],
        "FULFILLED"
    );

    // The coordinator edits it.
    let form = coord.get(&format!("/app/compromisos/editar?id={id}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("Priorizar el agua en el PIM"));
    let edited = post(
        &coord,
        "/app/compromisos/editar",
        [
            fields(
                &form.csrf(),
                "Priorizar agua y saneamiento",
                "2019-12-31",
                "OE1",
                "",
            ),
            vec![("id".to_string(), id.clone())],
        ]
        .concat(),
    )
    .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.text());
    let portal = app.get("/e/moquegua/compromisos").await;
    assert!(
        portal
            .body
            .as_str()
            .unwrap()
            .contains("Priorizar agua y saneamiento")
    );
    assert!(
        portal
            .body
            .as_str()
            .unwrap()
            .contains("cumplido con retraso")
    );
}
