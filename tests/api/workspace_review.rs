//! The workspace's review: the queue of values awaiting review, approving, rejecting,
//! approving a selection, period locks, and challenges raised from the portal and answered
//! in the workspace.

use std::time::{Duration, Instant};

use awc::http::StatusCode;

use ayni::app::{Caller, MeasurementInput};
use ayni::domain::{ActorKind, MeasurementStatus, Role};

use crate::both_backends;
use crate::helpers::workspace::WorkspaceClient;
use crate::helpers::{TEST_PASSWORD, TestApp};
use crate::scorecard_support::{approve_one_more, seeded_with_values};

both_backends!(
    the_queue_shows_what_a_reviewer_weighs_and_acts_through_the_use_cases,
    only_reviewers_review_and_bad_requests_are_refused_fast,
    coordinators_lock_and_unlock_periods,
    a_monitor_challenges_a_published_value_and_reads_the_answer,
);

/// The seeded ecosystem (IND1 approved 2021–2024 by its company) with a contributor of the
/// company, a second actor, and a signed-in coordinator.
struct Setup {
    indicator: i64,
    company: i64,
    government: i64,
    contributor: Caller,
}

async fn setup(app: &TestApp) -> Setup {
    seeded_with_values(app).await;
    approve_one_more(app).await;
    let eco = app
        .app
        .ecosystem_by_slug("moquegua".into())
        .await
        .unwrap()
        .unwrap();
    let objectives = app.app.objectives(eco.id, None, None).await.unwrap();
    let indicator = app
        .app
        .indicators_of_objectives(objectives.iter().map(|o| o.id).collect())
        .await
        .unwrap()
        .remove(0)
        .id;
    let company = app.app.actors().await.unwrap()[0].id;
    let government = app
        .create_actor("Gobierno Regional Moquegua", ActorKind::RegionalGovernment)
        .await;
    let uid = app
        .create_user("ana@quellaveco.test", Role::Contributor, Some(company))
        .await;
    app.create_user("coord@ayni.test", Role::Coordinator, None)
        .await;
    Setup {
        indicator,
        company,
        government,
        contributor: Caller {
            user_id: Some(uid),
            email: "ana@quellaveco.test".into(),
            role: Role::Contributor,
            actor_id: Some(company),
        },
    }
}

async fn submit(
    app: &TestApp,
    caller: &Caller,
    s: &Setup,
    actor: i64,
    period: &str,
    value: f64,
) -> i64 {
    app.app
        .submit_measurement(
            caller,
            MeasurementInput {
                indicator_id: s.indicator,
                period: period.into(),
                value,
                evidence_url: Some("https://example.org/informe-2025.pdf".into()),
                evidence_text: Some("Informe anual".into()),
                actor_id: Some(actor),
                ..MeasurementInput::default()
            },
        )
        .await
        .unwrap()
        .id
}

async fn status_of(app: &TestApp, id: i64) -> (MeasurementStatus, Option<String>) {
    let m = app
        .app
        .measurements_by_ids(vec![id])
        .await
        .unwrap()
        .remove(0);
    (m.status, m.reject_reason)
}

async fn the_queue_shows_what_a_reviewer_weighs_and_acts_through_the_use_cases(app: TestApp) {
    let s = setup(&app).await;
    let op = Caller::operator();
    // The company's contributor reports an unusual 2025 value; the government its own.
    let unusual = submit(&app, &s.contributor, &s, s.company, "2025", 95.0).await;
    let other = submit(&app, &op, &s, s.government, "2025", 24.5).await;

    // An uploaded evidence file (stored by the contributor's form) is linked from the item.
    let sha = "ab".repeat(32);
    let file = sha.clone();
    app.direct(move |c| {
        use diesel::prelude::*;
        diesel::sql_query(format!(
            "INSERT INTO evidence_files (sha256, media_type, size_bytes, file_name, uploaded_at) \
             VALUES ('{file}', 'application/pdf', 10, 'informe.pdf', CURRENT_TIMESTAMP)"
        ))
        .execute(c)
        .map_err(ayni::db::StoreError::from)?;
        diesel::sql_query(format!(
            "UPDATE measurements SET evidence_file = '{file}' WHERE id = {unusual}"
        ))
        .execute(c)
        .map_err(ayni::db::StoreError::from)
    })
    .await
    .unwrap();

    let coord = WorkspaceClient::signed_in(&app, "coord@ayni.test", TEST_PASSWORD).await;
    let before = app.app.queries_run();
    let page = coord.get("/app/revision").await;
    let two_items = app.app.queries_run() - before;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    let item = |id: i64| {
        let start = html.find(&format!("id=\"v{id}\"")).expect("item shown");
        let end = html[start..]
            .find("</article>")
            .map_or(html.len(), |e| start + e);
        html[start..end].to_string()
    };
    let a = item(unusual);
    // Its evidence, the series so far (the company's approved values), the other actor's
    // value of the same cell, its quality flag, and the actions.
    assert!(
        a.contains("https://example.org/informe-2025.pdf") && a.contains("Informe anual"),
        "{a}"
    );
    for earlier in ["2021", "12.5", "2023", "19.25", "2024", "22"] {
        assert!(a.contains(earlier), "{earlier} in {a}");
    }
    assert!(
        a.contains("Gobierno Regional Moquegua") && a.contains("24.5"),
        "{a}"
    );
    assert!(a.contains("history_outlier"), "{a}");
    assert!(
        a.contains("action=\"/app/revision/aprobar\"") && a.contains("name=\"reason\""),
        "{a}"
    );
    let b = item(other);
    assert!(!b.contains("/app/archivos/"), "{b}");
    assert!(
        b.contains("Anglo American Quellaveco") && b.contains("95"),
        "{b}"
    );
    assert!(
        !b.contains("history_outlier"),
        "24.5 is within the series' range: {b}"
    );

    // Loads are batched: more values, the same number of queries.
    for period in ["2021", "2022", "2023"] {
        submit(&app, &op, &s, s.government, period, 20.0).await;
    }
    let before = app.app.queries_run();
    let page = coord.get("/app/revision").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(app.app.queries_run() - before, two_items, "no N+1");
    assert_eq!(
        page.text()
            .matches("<article class=\"review-item\"")
            .count(),
        5
    );

    // Filters: actor, flagged only, code, ecosystem, period (a bad period is a field error).
    let only = |p: &str, id: i64| p.contains(&format!("id=\"v{id}\""));
    let by_actor = coord
        .get(&format!("/app/revision?actor={}", s.company))
        .await
        .text();
    assert!(
        only(&by_actor, unusual) && !only(&by_actor, other),
        "{by_actor}"
    );
    let flagged = coord.get("/app/revision?flagged=1").await.text();
    assert!(
        only(&flagged, unusual) && !only(&flagged, other),
        "{flagged}"
    );
    let by_code = coord
        .get("/app/revision?code=ind1&period=2025&ecosystem=moquegua")
        .await
        .text();
    assert!(
        only(&by_code, unusual) && only(&by_code, other),
        "{by_code}"
    );
    let none = coord.get("/app/revision?code=NOPE").await.text();
    assert!(
        !only(&none, unusual) && none.contains("No hay valores por revisar"),
        "{none}"
    );
    let elsewhere = coord.get("/app/revision?ecosystem=otro").await.text();
    assert!(!only(&elsewhere, unusual), "{elsewhere}");
    let bad = coord.get("/app/revision?period=2025-X9").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("role=\"alert\""), "{}", bad.text());

    // Approve: through the use case; a second approval is a clear conflict.
    let csrf = page.csrf();
    let id = unusual.to_string();
    let ok = coord
        .post_form("/app/revision/aprobar", &[("csrf", &csrf), ("id", &id)])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    assert_eq!(
        ok.location.as_deref(),
        Some("/app/revision?notice=approved")
    );
    assert_eq!(
        status_of(&app, unusual).await.0,
        MeasurementStatus::Approved
    );
    assert!(
        coord
            .get("/app/revision?notice=approved")
            .await
            .text()
            .contains("Valor aprobado")
    );
    let again = coord
        .post_form("/app/revision/aprobar", &[("csrf", &csrf), ("id", &id)])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
    assert!(
        again.text().contains("is already approved"),
        "{}",
        again.text()
    );

    // Reject: the reason is required; then rejected with it.
    let id = other.to_string();
    let empty = coord
        .post_form(
            "/app/revision/rechazar",
            &[("csrf", &csrf), ("id", &id), ("reason", "  ")],
        )
        .await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        empty.text()
    );
    assert!(
        empty.text().contains("aria-invalid=\"true\""),
        "{}",
        empty.text()
    );
    assert_eq!(status_of(&app, other).await.0, MeasurementStatus::Submitted);
    let rejected = coord
        .post_form(
            "/app/revision/rechazar",
            &[
                ("csrf", &csrf),
                ("id", &id),
                ("reason", "El informe citado no contiene la cifra"),
            ],
        )
        .await;
    assert_eq!(
        rejected.status,
        StatusCode::SEE_OTHER,
        "{}",
        rejected.text()
    );
    assert_eq!(
        status_of(&app, other).await,
        (
            MeasurementStatus::Rejected,
            Some("El informe citado no contiene la cifra".into())
        )
    );

    // A selection: each value's outcome is shown; one refusal does not stop the others.
    let queue = coord.get("/app/revision?actor=").await.text();
    let pending: Vec<String> = queue
        .match_indices("name=\"id\" value=\"")
        .filter(|(at, _)| queue[..*at].ends_with("type=\"checkbox\" "))
        .map(|(at, m)| {
            let rest = &queue[at + m.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect();
    assert_eq!(pending.len(), 3, "{queue}");
    let already = unusual.to_string();
    let mut fields = vec![("csrf", csrf.as_str()), ("id", already.as_str())];
    fields.extend(pending.iter().map(|p| ("id", p.as_str())));
    let batch = coord.post_form("/app/revision/lote", &fields).await;
    assert_eq!(batch.status, StatusCode::OK, "{}", batch.text());
    let t = batch.text();
    assert!(t.contains("3 / 4"), "{t}");
    assert!(t.contains("is already approved"), "{t}");
    for p in &pending {
        assert_eq!(
            status_of(&app, p.parse().unwrap()).await.0,
            MeasurementStatus::Approved
        );
    }
    assert!(
        coord
            .get("/app/revision")
            .await
            .text()
            .contains("No hay valores por revisar")
    );
}

async fn only_reviewers_review_and_bad_requests_are_refused_fast(app: TestApp) {
    let s = setup(&app).await;
    let pending = submit(&app, &s.contributor, &s, s.company, "2025", 23.0).await;
    let id = pending.to_string();
    app.create_user("monitor@ayni.test", Role::Monitor, None)
        .await;

    // Contributors and monitors: 403 on every review page and action, nothing changes.
    for email in ["ana@quellaveco.test", "monitor@ayni.test"] {
        let c = WorkspaceClient::signed_in(&app, email, TEST_PASSWORD).await;
        let csrf = c.csrf("/app").await;
        for path in [
            "/app/revision",
            "/app/revision/cierres",
            "/app/revision/cierres?ecosystem=moquegua",
        ] {
            assert_eq!(
                c.get(path).await.status,
                StatusCode::FORBIDDEN,
                "{email} {path}"
            );
        }
        for (path, extra) in [
            ("/app/revision/aprobar", vec![("id", id.as_str())]),
            (
                "/app/revision/rechazar",
                vec![("id", id.as_str()), ("reason", "no")],
            ),
            ("/app/revision/lote", vec![("id", id.as_str())]),
            ("/app/revision/importacion", vec![("id", "1")]),
            (
                "/app/revision/cierres/cerrar",
                vec![
                    ("ecosystem", "moquegua"),
                    ("period", "2025"),
                    ("reason", "cierre"),
                ],
            ),
            (
                "/app/cuestionamientos/responder",
                vec![("id", "1"), ("outcome", "upheld"), ("answer", "sí, así es")],
            ),
        ] {
            let mut fields = vec![("csrf", csrf.as_str())];
            fields.extend(extra);
            let p = c.post_form(path, &fields).await;
            assert_eq!(
                p.status,
                StatusCode::FORBIDDEN,
                "{email} {path}: {}",
                p.text()
            );
        }
    }
    assert_eq!(
        status_of(&app, pending).await.0,
        MeasurementStatus::Submitted
    );
    let eco = app
        .app
        .ecosystem_by_slug("moquegua".into())
        .await
        .unwrap()
        .unwrap();
    assert!(app.app.period_locks(eco.id, true).await.unwrap().is_empty());

    // Without a session: to the sign-in page; without or with a foreign CSRF token: 403.
    let anon = WorkspaceClient::new(&app);
    let p = anon
        .post_form("/app/revision/aprobar", &[("id", &id)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(p.location.unwrap().starts_with("/app/login"));
    let coord = WorkspaceClient::signed_in(&app, "coord@ayni.test", TEST_PASSWORD).await;
    for csrf in [None, Some("0".repeat(64))] {
        let mut fields = vec![("id", id.as_str())];
        if let Some(c) = &csrf {
            fields.push(("csrf", c.as_str()));
        }
        for path in [
            "/app/revision/aprobar",
            "/app/revision/lote",
            "/app/revision/importacion",
        ] {
            assert_eq!(
                coord.post_form(path, &fields).await.status,
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
    }
    assert_eq!(
        status_of(&app, pending).await.0,
        MeasurementStatus::Submitted
    );

    // Malformed and huge ids: 400; an id that does not exist: 404; all fast.
    let csrf = coord.csrf("/app/revision").await;
    let started = Instant::now();
    for bad in [
        "abc",
        "",
        "-3",
        "0",
        "1e3",
        "99999999999999999999999999",
        &"9".repeat(5000),
    ] {
        for path in ["/app/revision/aprobar", "/app/revision/importacion"] {
            let p = coord.post_form(path, &[("csrf", &csrf), ("id", bad)]).await;
            assert_eq!(p.status, StatusCode::BAD_REQUEST, "{path} {bad:.20}");
        }
        let p = coord
            .post_form(
                "/app/revision/rechazar",
                &[("csrf", &csrf), ("id", bad), ("reason", "x")],
            )
            .await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST);
        let p = coord
            .post_form("/app/revision/lote", &[("csrf", &csrf), ("id", bad)])
            .await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST);
        let q = url::form_urlencoded::byte_serialize(bad.as_bytes()).collect::<String>();
        assert_eq!(
            coord
                .get(&format!("/app/cuestionar?valor={q}"))
                .await
                .status,
            StatusCode::BAD_REQUEST
        );
    }
    for path in ["/app/revision/aprobar", "/app/revision/importacion"] {
        let p = coord
            .post_form(path, &[("csrf", &csrf), ("id", "9223372036854775807")])
            .await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}: {}", p.text());
    }
    assert_eq!(
        coord
            .get("/app/cuestionar?valor=9223372036854775807")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A value awaiting review is not published: it cannot be challenged.
    assert_eq!(
        coord
            .get(&format!("/app/cuestionar?valor={id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A selection of more than 200 values is refused before anything is approved.
    let many: Vec<String> = (1..=201).map(|i| i.to_string()).collect();
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend(many.iter().map(|m| ("id", m.as_str())));
    assert_eq!(
        coord.post_form("/app/revision/lote", &fields).await.status,
        StatusCode::BAD_REQUEST
    );
    // An empty selection says so.
    let none = coord
        .post_form("/app/revision/lote", &[("csrf", &csrf)])
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        status_of(&app, pending).await.0,
        MeasurementStatus::Submitted
    );
}

async fn coordinators_lock_and_unlock_periods(app: TestApp) {
    let s = setup(&app).await;
    let pending = submit(&app, &s.contributor, &s, s.company, "2025", 23.0).await;
    let coord = WorkspaceClient::signed_in(&app, "coord@ayni.test", TEST_PASSWORD).await;
    let list = coord.get("/app/revision/cierres").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.text()
            .contains("/app/revision/cierres?ecosystem=moquegua")
    );
    let page = coord.get("/app/revision/cierres?ecosystem=moquegua").await;
    assert!(
        page.text().contains("Ningún periodo cerrado"),
        "{}",
        page.text()
    );
    let csrf = page.csrf();

    // A bad period and a missing reason: field errors, nothing locked.
    let bad = coord
        .post_form(
            "/app/revision/cierres/cerrar",
            &[
                ("csrf", &csrf),
                ("ecosystem", "moquegua"),
                ("period", "20X5"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    assert!(
        bad.text().contains("id=\"e-period\"") && bad.text().contains("id=\"e-reason\""),
        "{}",
        bad.text()
    );
    assert_eq!(
        coord
            .post_form(
                "/app/revision/cierres/cerrar",
                &[
                    ("csrf", &csrf),
                    ("ecosystem", "nowhere"),
                    ("period", "2025"),
                    ("reason", "x")
                ],
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let lock = [
        ("csrf", csrf.as_str()),
        ("ecosystem", "moquegua"),
        ("period", "2025"),
        ("reason", "Cifras 2025 publicadas en el informe anual"),
    ];
    let locked = coord.post_form("/app/revision/cierres/cerrar", &lock).await;
    assert_eq!(locked.status, StatusCode::SEE_OTHER, "{}", locked.text());
    let page = coord.get(locked.location.as_deref().unwrap()).await.text();
    assert!(
        page.contains("Periodo cerrado.") && page.contains("Cifras 2025 publicadas"),
        "{page}"
    );
    assert_eq!(
        coord
            .post_form("/app/revision/cierres/cerrar", &lock)
            .await
            .status,
        StatusCode::CONFLICT
    );
    // The lock holds in the review: approving a 2025 value is refused (423), nothing changes.
    let refused = coord
        .post_form(
            "/app/revision/aprobar",
            &[("csrf", &csrf), ("id", &pending.to_string())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::LOCKED, "{}", refused.text());
    assert!(refused.text().contains("are closed"), "{}", refused.text());
    assert_eq!(
        status_of(&app, pending).await.0,
        MeasurementStatus::Submitted
    );

    // Unlocking needs a reason; then the lock stays on record, lifted.
    let unlock = |reason: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("ecosystem", "moquegua".to_string()),
            ("period", "2025".to_string()),
            ("reason", reason.to_string()),
        ]
    };
    let no_reason = unlock("");
    let fields: Vec<(&str, &str)> = no_reason.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        coord
            .post_form("/app/revision/cierres/abrir", &fields)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let with_reason = unlock("Corrección del informe");
    let fields: Vec<(&str, &str)> = with_reason.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let opened = coord
        .post_form("/app/revision/cierres/abrir", &fields)
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.text());
    let page = coord.get(opened.location.as_deref().unwrap()).await.text();
    assert!(
        page.contains("reabierto") && page.contains("Corrección del informe"),
        "{page}"
    );
    let ok = coord
        .post_form(
            "/app/revision/aprobar",
            &[("csrf", &csrf), ("id", &pending.to_string())],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
}

async fn a_monitor_challenges_a_published_value_and_reads_the_answer(app: TestApp) {
    let _s = setup(&app).await;
    app.create_user("veedor@ayni.test", Role::Monitor, None)
        .await;
    // The portal's provenance table links every published value to the challenge form.
    let portal = app
        .client
        .get(app.url("/e/moquegua/i/IND1"))
        .send()
        .await
        .unwrap()
        .body()
        .await
        .unwrap();
    let portal = String::from_utf8_lossy(&portal).to_string();
    let at = portal
        .find("/app/cuestionar?valor=")
        .expect("challenge link");
    let rest = &portal[at + "/app/cuestionar?valor=".len()..];
    let value: i64 = rest[..rest.find('"').unwrap()].parse().unwrap();
    let link = format!("/app/cuestionar?valor={value}");

    // Signed out: the link leads through sign-in and back.
    let anon = WorkspaceClient::new(&app);
    let p = anon.get(&link).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(
        p.location
            .unwrap()
            .contains("next=%2Fapp%2Fcuestionar%3Fvalor%3D")
    );

    let monitor = WorkspaceClient::signed_in(&app, "veedor@ayni.test", TEST_PASSWORD).await;
    let form = monitor.get(&link).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    assert!(form.text().contains("IND1"), "{}", form.text());
    let csrf = form.csrf();
    let v = value.to_string();
    let short = monitor
        .post_form(
            "/app/cuestionar",
            &[("csrf", &csrf), ("valor", &v), ("reason", "x")],
        )
        .await;
    assert_eq!(
        short.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        short.text()
    );
    assert!(short.text().contains("id=\"e-reason\""), "{}", short.text());
    let no_csrf = monitor
        .post_form(
            "/app/cuestionar",
            &[("valor", &v), ("reason", "La cifra no coincide")],
        )
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    assert!(app.app.challenges_of(vec![value]).await.unwrap().is_empty());
    let reason = "La cifra no coincide con el informe del INEI";
    let opened = monitor
        .post_form(
            "/app/cuestionar",
            &[("csrf", &csrf), ("valor", &v), ("reason", reason)],
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.text());
    let mine = monitor.get("/app/cuestionamientos").await.text();
    assert!(mine.contains(reason) && mine.contains("abierto"), "{mine}");
    assert!(
        !mine.contains("/app/cuestionamientos/responder"),
        "monitors do not answer: {mine}"
    );
    // A second open challenge of the same monitor on the same value: a clear conflict.
    let twice = monitor
        .post_form(
            "/app/cuestionar",
            &[("csrf", &csrf), ("valor", &v), ("reason", reason)],
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text());

    // The coordinator sees it open and answers it.
    let coord = WorkspaceClient::signed_in(&app, "coord@ayni.test", TEST_PASSWORD).await;
    let desk = coord.get("/app/cuestionamientos").await;
    let t = desk.text();
    assert!(
        t.contains(reason) && t.contains("/app/cuestionamientos/responder"),
        "{t}"
    );
    let challenge = app
        .app
        .challenges_of(vec![value])
        .await
        .unwrap()
        .remove(0)
        .id
        .to_string();
    let csrf = desk.csrf();
    let bad = coord
        .post_form(
            "/app/cuestionamientos/responder",
            &[
                ("csrf", &csrf),
                ("id", &challenge),
                ("outcome", "maybe"),
                ("answer", "Revisado"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let answer = "Revisado: la cifra coincide con el reporte de sostenibilidad";
    let answered = coord
        .post_form(
            "/app/cuestionamientos/responder",
            &[
                ("csrf", &csrf),
                ("id", &challenge),
                ("outcome", "dismissed"),
                ("answer", answer),
            ],
        )
        .await;
    assert_eq!(
        answered.status,
        StatusCode::SEE_OTHER,
        "{}",
        answered.text()
    );
    let again = coord
        .post_form(
            "/app/cuestionamientos/responder",
            &[
                ("csrf", &csrf),
                ("id", &challenge),
                ("outcome", "upheld"),
                ("answer", answer),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());

    // The monitor reads the answer in the workspace, and everyone on the portal.
    let mine = monitor.get("/app/cuestionamientos").await.text();
    assert!(
        mine.contains(answer) && mine.contains("desestimado"),
        "{mine}"
    );
    let portal = app
        .client
        .get(app.url("/e/moquegua/i/IND1"))
        .send()
        .await
        .unwrap()
        .body()
        .await
        .unwrap();
    let portal = String::from_utf8_lossy(&portal).to_string();
    assert!(
        portal.contains(reason) && portal.contains(answer) && portal.contains("desestimado"),
        "{portal}"
    );
}
