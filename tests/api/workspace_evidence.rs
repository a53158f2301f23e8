//! The value form and evidence files on both backends: a contributor submits a value with a
//! file through `/app/valor`; the file is stored by its SHA-256, named by the value and its
//! audit entry, served to the value's actor and reviewers, and to the public only once the
//! value is approved. Hostile uploads (no CSRF, oversize, disguised types, path tricks,
//! another actor's cell or file, malformed hashes) are refused fast and store nothing.

use awc::http::StatusCode;
use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};

use ayni::app::Caller;
use ayni::db::schema::{audit_log, evidence_files, measurements};

use crate::both_backends;
use crate::helpers::workspace::{Upload, WorkspaceClient};
use crate::helpers::{TEST_PASSWORD, TestApp};
use crate::tasks::{USER_A, USER_B, task_setup};

both_backends!(
    a_value_with_its_file_is_submitted_served_and_published_on_approval,
    hostile_uploads_are_refused_and_store_nothing,
    grace_days_are_set_by_coordinators_within_bounds,
    unusual_values_need_confirming_and_locked_periods_refuse,
);

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

fn pdf<'b>(name: &'b str, bytes: &[u8]) -> Upload<'b> {
    Upload {
        field: "evidenceFile",
        file_name: name,
        content_type: "application/pdf",
        bytes: bytes.to_vec(),
    }
}

async fn counts(app: &TestApp) -> (i64, i64) {
    app.direct(|c| {
        let m: i64 = measurements::table.count().get_result(c)?;
        let f: i64 = evidence_files::table.count().get_result(c)?;
        Ok::<_, ayni::db::StoreError>((m, f))
    })
    .await
    .unwrap()
}

async fn a_value_with_its_file_is_submitted_served_and_published_on_approval(app: TestApp) {
    let s = task_setup(&app).await;
    let form = format!("/app/valor?indicador={}&periodo=2024", s.yearly);
    let a = WorkspaceClient::signed_in(&app, USER_A, TEST_PASSWORD).await;
    let page = a.get(&form).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("ANUAL"), "{}", page.text());
    let csrf = page.csrf();
    let sent = a
        .post_multipart(
            &form,
            &[
                ("csrf", &csrf),
                ("value", "12,5"),
                ("comment", "Informe anual"),
            ],
            vec![pdf("../../etc/informe final.pdf", PDF)],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
    let sha = hex::encode(Sha256::digest(PDF));
    let (id, file, value): (i64, Option<String>, f64) = app
        .direct(|c| {
            measurements::table
                .select((
                    measurements::id,
                    measurements::evidence_file,
                    measurements::value,
                ))
                .first(c)
                .map_err(ayni::db::StoreError::from)
        })
        .await
        .unwrap();
    assert_eq!(file.as_deref(), Some(sha.as_str()));
    assert_eq!(value, 12.5);
    // The earlier submission shows on the form, with its state and file link.
    let again = a.get(&form).await;
    assert!(again.text().contains("en revisión"), "{}", again.text());
    assert!(again.text().contains(&format!("/app/archivos/{sha}")));

    // The actor's contributor gets the file as a download with its stored type.
    let got = a.get(&format!("/app/archivos/{sha}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.bytes, PDF);
    assert_eq!(got.content_type, "application/pdf");
    let h = |name: &str| got.headers.get(name).unwrap().to_str().unwrap().to_string();
    assert_eq!(
        h("content-disposition"),
        "attachment; filename=\"informe_final.pdf\""
    );
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert!(h("cache-control").contains("private"));
    // Another actor's contributor and the public get the same 404 as an unknown hash.
    let b = WorkspaceClient::signed_in(&app, USER_B, TEST_PASSWORD).await;
    assert_eq!(
        b.get(&format!("/app/archivos/{sha}")).await.status,
        StatusCode::NOT_FOUND
    );
    let public = WorkspaceClient::new(&app);
    assert_eq!(
        public.get(&format!("/archivos/{sha}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        public
            .get(&format!("/archivos/{}", "0".repeat(64)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The hash is in the private part of the audit entry until approval.
    let private_before = audit_states(&app, id).await;
    assert!(private_before.0.iter().all(|p| !p.contains(&sha)));
    assert!(private_before.1.iter().any(|p| p.contains(&sha)));

    app.app
        .approve_measurement(&Caller::operator(), id)
        .await
        .unwrap();
    let published = public.get(&format!("/archivos/{sha}")).await;
    assert_eq!(published.status, StatusCode::OK);
    assert_eq!(published.bytes, PDF);
    assert!(
        published
            .headers
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(
        b.get(&format!("/app/archivos/{sha}")).await.status,
        StatusCode::OK
    );
    let after = audit_states(&app, id).await;
    assert!(after.0.iter().any(|p| p.contains(&sha)), "approved: public");
    // GraphQL names the file of the approved value, to anyone.
    let g = app
        .graphql(
            None,
            r#"{ ecosystem(slug: "moquegua") { objectives { indicators { measurements { evidenceFile { sha256 url mediaType sizeBytes } } } } } }"#,
            json!({}),
        )
        .await
        .body;
    let text = g.to_string();
    assert!(
        text.contains(&format!("\"url\":\"/archivos/{sha}\"")),
        "{text}"
    );
    assert!(text.contains("\"mediaType\":\"application/pdf\""), "{text}");
}

/// The public and private after-states of a measurement's audit entries.
async fn audit_states(app: &TestApp, id: i64) -> (Vec<String>, Vec<String>) {
    let rows: Vec<(Option<String>, Option<String>)> = app
        .direct(move |c| {
            audit_log::table
                .filter(audit_log::entity_type.eq("measurement"))
                .filter(audit_log::entity_id.eq(id.to_string()))
                .select((audit_log::after_state, audit_log::after_private))
                .load(c)
                .map_err(ayni::db::StoreError::from)
        })
        .await
        .unwrap();
    (
        rows.iter().filter_map(|r| r.0.clone()).collect(),
        rows.iter().filter_map(|r| r.1.clone()).collect(),
    )
}

async fn hostile_uploads_are_refused_and_store_nothing(app: TestApp) {
    let backend = app.backend;
    drop(app);
    // A small limit, to send "oversize" files cheaply.
    let app = TestApp::spawn_with(backend, |s| s.max_evidence_bytes = 1024).await;
    let s = task_setup(&app).await;
    let form = format!("/app/valor?indicador={}&periodo=2024", s.yearly);
    let a = WorkspaceClient::signed_in(&app, USER_A, TEST_PASSWORD).await;
    let csrf = a.csrf(&form).await;
    let before = counts(&app).await;
    let fields = |csrf: &str| {
        vec![
            ("csrf".to_string(), csrf.to_string()),
            ("value".to_string(), "3".to_string()),
            ("evidenceText".to_string(), "acta".to_string()),
        ]
    };
    let post = |csrf: String, upload: Upload<'static>| {
        let f = fields(&csrf);
        let a = &a;
        let form = form.clone();
        async move {
            let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            a.post_multipart(&form, &refs, vec![upload]).await
        }
    };
    // No CSRF token: 403, nothing stored.
    let p = post(String::new(), pdf("a.pdf", PDF)).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.text());
    // Past the limit: 413 while streaming.
    let mut big = PDF.to_vec();
    big.resize(64 * 1024, b'x');
    let p = post(csrf.clone(), pdf("grande.pdf", &big)).await;
    assert_eq!(p.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", p.text());
    // An executable and an HTML page named .pdf: a field error, nothing stored.
    for disguised in [
        &b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"[..],
        b"<html><script>alert(1)</script></html>",
    ] {
        let p = post(csrf.clone(), pdf("informe.pdf", disguised)).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text());
        assert!(p.text().contains("e-evidenceFile"), "{}", p.text());
    }
    assert_eq!(counts(&app).await, before, "nothing was stored");

    // Another actor cannot open or post the form for A's indicator.
    let b = WorkspaceClient::signed_in(&app, USER_B, TEST_PASSWORD).await;
    assert_eq!(b.get(&form).await.status, StatusCode::FORBIDDEN);
    let b_csrf = b.csrf("/app/tareas").await;
    let p = b
        .post_multipart(
            &form,
            &[("csrf", &b_csrf), ("value", "3"), ("evidenceText", "x")],
            vec![pdf("a.pdf", PDF)],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.text());
    assert_eq!(counts(&app).await, before, "nothing was stored");
    // Malformed hashes are a fast 404, whoever asks.
    for bad in [
        "..%2F..%2Fetc%2Fpasswd",
        "ABC",
        &"g".repeat(64),
        &"a".repeat(65),
    ] {
        assert_eq!(
            a.get(&format!("/app/archivos/{bad}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            WorkspaceClient::new(&app)
                .get(&format!("/archivos/{bad}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
    // Signed out, the workspace route sends to the sign-in page.
    let anon = WorkspaceClient::new(&app);
    assert_eq!(
        anon.get(&format!("/app/archivos/{}", "a".repeat(64)))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // A valid upload still works after all that.
    let p = post(csrf.clone(), pdf("ok.pdf", PDF)).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text());
    assert_eq!(counts(&app).await, (before.0 + 1, before.1 + 1));
}

async fn grace_days_are_set_by_coordinators_within_bounds(app: TestApp) {
    let s = task_setup(&app).await;
    const UPDATE: &str = "mutation($id: ID!, $g: Int!) { updateEcosystem(id: $id, input: {graceDays: $g}) { graceDays } }";
    let too_long =
        s.g.run(UPDATE, json!({"id": s.eco_id.to_string(), "g": 400}))
            .await;
    assert!(too_long["errors"].is_array(), "{too_long}");
    let d =
        s.g.ok(UPDATE, json!({"id": s.eco_id.to_string(), "g": 30}))
            .await;
    assert_eq!(d["updateEcosystem"]["graceDays"], 30);
    let tasks = app
        .app
        .assignments_of(
            &Caller::operator(),
            Some(s.actor_a),
            "moquegua",
            chrono::Utc::now().date_naive(),
        )
        .await
        .unwrap();
    assert_eq!(tasks.ecosystem.grace_days, 30);
}

async fn unusual_values_need_confirming_and_locked_periods_refuse(app: TestApp) {
    let s = task_setup(&app).await;
    let op = Caller::operator();
    let indicator: i64 = s.yearly.parse().unwrap();
    // An approved history around 10 in the ecosystem's territory.
    for (year, v) in [
        ("2019", 10.0),
        ("2020", 11.0),
        ("2021", 10.0),
        ("2022", 12.0),
    ] {
        let m = app
            .app
            .submit_measurement(
                &op,
                ayni::app::MeasurementInput {
                    indicator_id: indicator,
                    period: year.into(),
                    value: v,
                    evidence_text: Some("acta".into()),
                    actor_id: Some(s.actor_a),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        app.app.approve_measurement(&op, m.id).await.unwrap();
    }
    let form = format!("/app/valor?indicador={}&periodo=2024", s.yearly);
    let a = WorkspaceClient::signed_in(&app, USER_A, TEST_PASSWORD).await;
    let csrf = a.csrf(&form).await;
    let before = counts(&app).await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("value", "1000"),
        ("evidenceText", "acta"),
    ];
    // A flagged value is shown back with its flag and a confirmation box; nothing stored.
    let flagged = a.post_multipart(&form, &fields, Vec::new()).await;
    assert_eq!(
        flagged.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        flagged.text()
    );
    assert!(
        flagged.text().contains("name=\"confirmar\""),
        "{}",
        flagged.text()
    );
    assert_eq!(counts(&app).await, before);
    // A hard error (not a number) is a field error.
    let bad = a
        .post_multipart(
            &form,
            &[("csrf", &csrf), ("value", "mil"), ("evidenceText", "acta")],
            Vec::new(),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("e-value"), "{}", bad.text());
    assert_eq!(counts(&app).await, before);
    // Confirmed, it is submitted.
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirmar", "1"));
    let ok = a.post_multipart(&form, &confirmed, Vec::new()).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    assert_eq!(counts(&app).await.0, before.0 + 1);

    // A locked period: the form says why, and a submission is refused.
    app.app
        .lock_period(&op, s.eco_id, "2024".into(), "Cierre anual Q7".into())
        .await
        .unwrap();
    let page = a.get(&form).await;
    assert!(page.text().contains("Cierre anual Q7"), "{}", page.text());
    let refused = a
        .post_multipart(
            &form,
            &[("csrf", &csrf), ("value", "11"), ("evidenceText", "acta")],
            Vec::new(),
        )
        .await;
    assert_eq!(refused.status, StatusCode::LOCKED, "{}", refused.text());
    assert_eq!(counts(&app).await.0, before.0 + 1);
}
