//! Workspace sign-in: sessions in the database, cookie flags, CSRF, expiry, revocation,
//! throttling, temporary passwords.

use awc::http::StatusCode;

use ayni::app::{Caller, UserChange};
use ayni::domain::{ActorKind, Role};

use crate::both_backends;
use crate::helpers::workspace::WorkspaceClient;
use crate::helpers::{TEST_PASSWORD, TestApp};

both_backends!(
    a_user_signs_in_sees_the_workspace_and_signs_out,
    state_changing_forms_refuse_a_missing_or_wrong_csrf_token,
    a_disabled_user_or_a_changed_role_takes_effect_on_the_next_request,
    failed_sign_ins_are_throttled,
    a_temporary_password_must_be_changed_first,
    sessions_end_when_idle_and_at_their_absolute_limit,
);

async fn a_user_signs_in_sees_the_workspace_and_signs_out(app: TestApp) {
    let actor = app.create_actor("Minera Sur", ActorKind::Company).await;
    app.create_user("ana@minera.test", Role::Contributor, Some(actor))
        .await;

    // Without a session every workspace page sends the browser to sign in, keeping the page.
    let anon = WorkspaceClient::new(&app);
    let p = anon.get("/app/clave?x=1").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(
        p.location.as_deref(),
        Some("/app/login?next=%2Fapp%2Fclave%3Fx%3D1")
    );

    let login = anon.get("/app/login").await;
    assert_eq!(login.status, StatusCode::OK);
    let html = login.text();
    assert!(
        html.contains(r#"name="email""#) && html.contains(r#"name="password""#),
        "{html}"
    );
    assert!(html.contains(r#"<label for="f-email""#), "{html}");

    // A wrong password: the form again, one sentence, no session.
    let csrf = login.csrf();
    let wrong = anon
        .post_form(
            "/app/login",
            &[
                ("email", "ana@minera.test"),
                ("password", "nope-nope-nope"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong.text().contains("Correo o clave incorrectos"),
        "{}",
        wrong.text()
    );
    assert!(anon.cookie("ayni_session").is_none());

    let c = WorkspaceClient::new(&app);
    let form = c.get("/app/login?next=/app/clave").await;
    let csrf = form.csrf();
    let ok = c
        .post_form(
            "/app/login",
            &[
                ("email", "ana@minera.test"),
                ("password", TEST_PASSWORD),
                ("csrf", &csrf),
                ("next", "/app/clave"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    assert_eq!(ok.location.as_deref(), Some("/app/clave"));
    let set_cookie: Vec<String> = ok
        .headers
        .get_all("set-cookie")
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = set_cookie
        .iter()
        .find(|c| c.starts_with("ayni_session="))
        .expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(session.contains("Path=/app"), "{session}");
    assert!(!session.contains("Secure"), "plain http: {session}");
    // Only the token's digest is stored.
    let token = c.cookie("ayni_session").unwrap();
    let stored: Vec<String> = app
        .direct(|conn| {
            use ayni::db::schema::web_sessions::dsl::*;
            use diesel::prelude::*;
            web_sessions
                .select(id)
                .load::<String>(conn)
                .map_err(ayni::db::StoreError::from)
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);

    let home = c.get("/app").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.text().contains("ana@minera.test"));
    assert_eq!(home.headers.get("cache-control").unwrap(), "no-store");
    // The language switch is remembered.
    let switched = c.get("/app/idioma?lang=en&next=/app").await;
    assert_eq!(switched.location.as_deref(), Some("/app"));
    assert!(c.get("/app").await.text().contains("Sign out"));
    // An off-site `next` is not followed.
    assert_eq!(
        c.get("/app/idioma?lang=es&next=https://evil.example/")
            .await
            .location
            .as_deref(),
        Some("/app")
    );

    // Sign out: the session ends in the database, the old cookie opens nothing.
    let csrf = c.csrf("/app").await;
    let out = c.post_form("/app/salir", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(c.cookie("ayni_session").is_none());
    let replay = WorkspaceClient::new(&app);
    replay.set_cookie("ayni_session", &token);
    assert_eq!(replay.get("/app").await.status, StatusCode::SEE_OTHER);

    // Behind https (a proxy saying so) the cookie is Secure.
    let form = app
        .client
        .get(app.url("/app/login"))
        .insert_header(("x-forwarded-proto", "https"))
        .send()
        .await
        .unwrap();
    let csrf_cookie = form
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(csrf_cookie.contains("Secure"), "{csrf_cookie}");
}

async fn state_changing_forms_refuse_a_missing_or_wrong_csrf_token(app: TestApp) {
    app.create_user("mon@ayni.test", Role::Monitor, None).await;
    // Sign-in itself: no CSRF cookie, or a field that does not match it.
    let c = WorkspaceClient::new(&app);
    let p = c
        .post_form(
            "/app/login",
            &[
                ("email", "mon@ayni.test"),
                ("password", TEST_PASSWORD),
                ("csrf", "x"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let _ = c.get("/app/login").await;
    let p = c
        .post_form(
            "/app/login",
            &[
                ("email", "mon@ayni.test"),
                ("password", TEST_PASSWORD),
                ("csrf", "0".repeat(64).as_str()),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(c.cookie("ayni_session").is_none());

    let c = WorkspaceClient::signed_in(&app, "mon@ayni.test", TEST_PASSWORD).await;
    let good = c.csrf("/app").await;
    // Missing, wrong, another session's: 403 and the session stays.
    let other = WorkspaceClient::signed_in(&app, "mon@ayni.test", TEST_PASSWORD).await;
    let foreign = other.csrf("/app").await;
    assert_ne!(good, foreign);
    for bad in [
        vec![],
        vec![("csrf", "")],
        vec![("csrf", "abc")],
        vec![("csrf", foreign.as_str())],
    ] {
        let p = c.post_form("/app/salir", &bad).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{bad:?}");
        assert_eq!(
            c.get("/app").await.status,
            StatusCode::OK,
            "{bad:?} ended the session"
        );
    }
    let p = c
        .post_form(
            "/app/clave",
            &[
                ("currentPassword", TEST_PASSWORD),
                ("newPassword", "otra clave muy larga 42"),
                ("repeatPassword", "otra clave muy larga 42"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // The password did not change.
    WorkspaceClient::signed_in(&app, "mon@ayni.test", TEST_PASSWORD).await;
}

async fn a_disabled_user_or_a_changed_role_takes_effect_on_the_next_request(app: TestApp) {
    let id = app
        .create_user("coord@ayni.test", Role::Coordinator, None)
        .await;
    let c = WorkspaceClient::signed_in(&app, "coord@ayni.test", TEST_PASSWORD).await;
    assert!(c.get("/app").await.text().contains("coordinator"));
    app.app
        .change_user(
            &Caller::operator(),
            id,
            UserChange {
                role: Some(Role::Monitor),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let home = c.get("/app").await.text();
    assert!(
        home.contains("monitor") && !home.contains("coordinator"),
        "{home}"
    );
    app.app
        .change_user(
            &Caller::operator(),
            id,
            UserChange {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let p = c.get("/app").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(p.location.unwrap().starts_with("/app/login"));
    // And a disabled user cannot sign in again.
    assert_eq!(
        WorkspaceClient::new(&app)
            .sign_in("coord@ayni.test", TEST_PASSWORD)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

async fn failed_sign_ins_are_throttled(app: TestApp) {
    app.create_user("victim@ayni.test", Role::Monitor, None)
        .await;
    let c = WorkspaceClient::new(&app);
    let mut last = None;
    for _ in 0..6 {
        last = Some(c.sign_in("victim@ayni.test", "wrong wrong wrong").await);
    }
    let p = last.unwrap();
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS, "{}", p.text());
    assert!(p.headers.get("retry-after").is_some());
    // Locked out: even the right password is refused, unchecked.
    assert_eq!(
        c.sign_in("victim@ayni.test", TEST_PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn a_temporary_password_must_be_changed_first(app: TestApp) {
    let id = app.create_user("temp@ayni.test", Role::Monitor, None).await;
    let before = WorkspaceClient::signed_in(&app, "temp@ayni.test", TEST_PASSWORD).await;
    let temporary = app
        .app
        .set_temporary_password(&Caller::operator(), id)
        .await
        .unwrap();
    // Setting it ends the user's sessions; the old password no longer works.
    assert_eq!(before.get("/app").await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        WorkspaceClient::new(&app)
            .sign_in("temp@ayni.test", TEST_PASSWORD)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Only a contributor... no: only an admin may set one.
    let coord = Caller {
        user_id: Some(id),
        email: "x@ayni.test".into(),
        role: Role::Coordinator,
        actor_id: None,
    };
    assert!(app.app.set_temporary_password(&coord, id).await.is_err());

    let c = WorkspaceClient::new(&app);
    let p = c.sign_in("temp@ayni.test", &temporary).await;
    assert_eq!(p.location.as_deref(), Some("/app/clave"));
    let p = c.get("/app").await;
    assert_eq!(p.location.as_deref(), Some("/app/clave"));
    let form = c.get("/app/clave").await;
    assert!(form.text().contains("Su clave es temporal"));
    let csrf = form.csrf();
    // A weak or mismatched new password: field errors, nothing changes.
    let p = c
        .post_form(
            "/app/clave",
            &[
                ("csrf", &csrf),
                ("currentPassword", &temporary),
                ("newPassword", "nueva clave segura 2026"),
                ("repeatPassword", "otra"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.text().contains(r#"id="e-repeatPassword""#),
        "{}",
        p.text()
    );
    let p = c
        .post_form(
            "/app/clave",
            &[
                ("csrf", &csrf),
                ("currentPassword", &temporary),
                ("newPassword", "123"),
                ("repeatPassword", "123"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.text().contains(r#"aria-invalid="true""#), "{}", p.text());
    let p = c
        .post_form(
            "/app/clave",
            &[
                ("csrf", &csrf),
                ("currentPassword", &temporary),
                ("newPassword", "nueva clave segura 2026"),
                ("repeatPassword", "nueva clave segura 2026"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text());
    assert_eq!(c.get("/app").await.status, StatusCode::OK);
    WorkspaceClient::signed_in(&app, "temp@ayni.test", "nueva clave segura 2026").await;
}

/// Moves a session's clocks back by `idle` (last request) and `age` (sign-in), as if that
/// much time had passed.
async fn age_session(app: &TestApp, c: &WorkspaceClient<'_>, idle: i64, age: i64) {
    use ayni::db::schema::web_sessions::dsl::*;
    use diesel::prelude::*;
    use sha2::Digest;
    let token = c.cookie("ayni_session").expect("a session");
    let key = hex::encode(sha2::Sha256::digest(token.as_bytes()));
    let now = chrono::Utc::now().naive_utc();
    app.direct(move |conn| {
        diesel::update(web_sessions.find(key))
            .set((
                last_seen_at.eq(now - chrono::Duration::seconds(idle)),
                created_at.eq(now - chrono::Duration::seconds(age)),
            ))
            .execute(conn)
            .map_err(ayni::db::StoreError::from)
    })
    .await
    .unwrap();
}

async fn sessions_end_when_idle_and_at_their_absolute_limit(app: TestApp) {
    // The defaults: 30 minutes idle, 12 hours in all.
    app.create_user("idle@ayni.test", Role::Monitor, None).await;
    let idle = WorkspaceClient::signed_in(&app, "idle@ayni.test", TEST_PASSWORD).await;
    let busy = WorkspaceClient::signed_in(&app, "idle@ayni.test", TEST_PASSWORD).await;
    // Just inside the idle limit: the session lives, and the request renews it.
    age_session(&app, &busy, 29 * 60, 11 * 3600).await;
    assert_eq!(busy.get("/app").await.status, StatusCode::OK);
    assert_eq!(busy.get("/app").await.status, StatusCode::OK);
    // Past it: signed out.
    age_session(&app, &idle, 31 * 60, 31 * 60).await;
    assert_eq!(idle.get("/app").await.status, StatusCode::SEE_OTHER);
    // Past the absolute limit, however recent the last request: signed out.
    age_session(&app, &busy, 0, 12 * 3600 + 60).await;
    let p = busy.get("/app").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(p.location.unwrap().starts_with("/app/login"));
    // An expired session is gone from the database, not merely refused.
    let left: i64 = app
        .direct(|conn| {
            use ayni::db::schema::web_sessions::dsl::*;
            use diesel::prelude::*;
            web_sessions
                .count()
                .get_result(conn)
                .map_err(ayni::db::StoreError::from)
        })
        .await
        .unwrap();
    assert_eq!(left, 0);
}
