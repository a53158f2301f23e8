//! Workspace administration over HTTP, on both backends: users (create with a temporary
//! password shown once, change role and actor, disable and enable, a new temporary password),
//! actors and ecosystem members; field errors on the forms; only administrators get in, and
//! every form needs its CSRF token.

use awc::http::StatusCode;

use ayni::app::{Caller, EcosystemInput};
use ayni::domain::{ActorKind, Role};

use crate::both_backends;
use crate::helpers::workspace::WorkspaceClient;
use crate::helpers::{TEST_PASSWORD, TestApp};

both_backends!(
    an_admin_creates_a_user_who_must_change_the_temporary_password,
    an_admin_changes_disables_and_resets_a_user,
    an_admin_manages_actors_and_ecosystem_members,
    only_admins_reach_administration_and_every_form_needs_its_token,
);

const ADMIN: &str = "admin@ayni.test";

async fn admin_client(app: &TestApp) -> WorkspaceClient<'_> {
    app.create_user(ADMIN, Role::Admin, None).await;
    WorkspaceClient::signed_in(app, ADMIN, TEST_PASSWORD).await
}

/// The temporary password shown on a page (`<code class="password">`).
fn shown_password(html: &str) -> String {
    let start = html
        .find(r#"<code class="password">"#)
        .expect("password shown")
        + 23;
    let end = start + html[start..].find("</code>").unwrap();
    html[start..end].to_string()
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    app.app
        .users(&Caller::operator())
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == email)
        .expect("user")
        .id
}

async fn an_admin_creates_a_user_who_must_change_the_temporary_password(app: TestApp) {
    let actor = app.create_actor("Minera Sur", ActorKind::Company).await;
    let admin = admin_client(&app).await;
    let page = admin.get("/app/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains(ADMIN), "{}", page.text());
    let csrf = page.csrf();

    // Field errors: a bad e-mail, a contributor without an actor; nothing stored.
    let bad = admin
        .post_form(
            "/app/admin/usuarios",
            &[
                ("csrf", &csrf),
                ("email", "not-an-email"),
                ("role", "contributor"),
                ("actorId", ""),
            ],
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    let html = bad.text();
    assert!(html.contains(r#"id="e-email""#), "{html}");
    assert!(html.contains(r#"id="e-actorId""#), "{html}");
    assert!(html.contains(r#"value="not-an-email""#), "kept: {html}");
    assert_eq!(app.app.users(&Caller::operator()).await.unwrap().len(), 1);
    let bad_role = admin
        .post_form(
            "/app/admin/usuarios",
            &[
                ("csrf", &csrf),
                ("email", "x@ayni.test"),
                ("role", "emperor"),
                ("actorId", "abc"),
            ],
        )
        .await;
    assert_eq!(bad_role.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_role.text().contains(r#"id="e-role""#));

    // Created: the temporary password is shown once.
    let actor_field = actor.to_string();
    let created = admin
        .post_form(
            "/app/admin/usuarios",
            &[
                ("csrf", &csrf),
                ("email", "ana@minera.test"),
                ("role", "contributor"),
                ("actorId", &actor_field),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    let password = shown_password(&created.text());
    assert_eq!(password.len(), 23);
    let listed = admin.get("/app/admin").await.text();
    assert!(listed.contains("ana@minera.test") && listed.contains("Minera Sur"));
    assert!(!listed.contains(&password), "shown once only");

    // The new user signs in with it and must change it first.
    let ana = WorkspaceClient::new(&app);
    let signed = ana.sign_in("ana@minera.test", &password).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(signed.location.as_deref(), Some("/app/clave"));
    let home = ana.get("/app").await;
    assert_eq!(home.location.as_deref(), Some("/app/clave"));
}

async fn an_admin_changes_disables_and_resets_a_user(app: TestApp) {
    let a = app.create_actor("Minera Sur", ActorKind::Company).await;
    let b = app
        .create_actor("Municipalidad", ActorKind::LocalGovernment)
        .await;
    app.create_user("ana@minera.test", Role::Contributor, Some(a))
        .await;
    let id = user_id(&app, "ana@minera.test").await;
    let admin = admin_client(&app).await;
    let ana = WorkspaceClient::signed_in(&app, "ana@minera.test", TEST_PASSWORD).await;
    let path = format!("/app/admin/usuarios/{id}");
    let page = admin.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();

    // Role and actor.
    let b_field = b.to_string();
    let changed = admin
        .post_form(
            &path,
            &[("csrf", &csrf), ("role", "monitor"), ("actorId", &b_field)],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.text());
    let u = app.app.user_by_id(id).await.unwrap().unwrap();
    assert_eq!((u.role, u.actor_id), (Role::Monitor, Some(b)));
    // A contributor without an actor is refused with the field's error.
    let refused = admin
        .post_form(
            &path,
            &[("csrf", &csrf), ("role", "contributor"), ("actorId", "")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains(r#"id="e-actorId""#),
        "{}",
        refused.text()
    );
    assert_eq!(
        app.app.user_by_id(id).await.unwrap().unwrap().role,
        Role::Monitor
    );
    // An admin cannot disable itself.
    let me = user_id(&app, ADMIN).await;
    let own = admin
        .post_form(
            &format!("/app/admin/usuarios/{me}/estado"),
            &[("csrf", &csrf), ("disabled", "1")],
        )
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Disabled: the user's next request is sent to sign in; enabled again.
    let off = admin
        .post_form(
            &format!("{path}/estado"),
            &[("csrf", &csrf), ("disabled", "1")],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    assert!(app.app.user_by_id(id).await.unwrap().unwrap().disabled);
    assert_eq!(ana.get("/app").await.status, StatusCode::SEE_OTHER);
    assert!(admin.get(&path).await.text().contains("deshabilitado"));
    let on = admin
        .post_form(
            &format!("{path}/estado"),
            &[("csrf", &csrf), ("disabled", "0")],
        )
        .await;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    assert!(!app.app.user_by_id(id).await.unwrap().unwrap().disabled);

    // A temporary password: shown once, works, must be changed.
    let reset = admin
        .post_form(&format!("{path}/clave"), &[("csrf", &csrf)])
        .await;
    assert_eq!(reset.status, StatusCode::OK);
    let password = shown_password(&reset.text());
    let again = WorkspaceClient::new(&app);
    let p = again.sign_in("ana@minera.test", &password).await;
    assert_eq!(p.location.as_deref(), Some("/app/clave"));
    // Unknown users are not found.
    assert_eq!(
        admin.get("/app/admin/usuarios/999999").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn an_admin_manages_actors_and_ecosystem_members(app: TestApp) {
    let operator = Caller::operator();
    app.app
        .create_ecosystem(
            &operator,
            EcosystemInput {
                slug: "moquegua".into(),
                name: "Ecosistema Moquegua".into(),
                territory: "18".into(),
                mission: String::new(),
                vision: String::new(),
                horizon_start: 2023,
                horizon_end: 2030,
            },
        )
        .await
        .unwrap();
    let admin = admin_client(&app).await;

    // Actors: a field error, then one created.
    let page = admin.get("/app/admin/actores").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    let bad = admin
        .post_form(
            "/app/admin/actores",
            &[("csrf", &csrf), ("name", ""), ("kind", "company")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains(r#"id="e-name""#), "{}", bad.text());
    let bad_kind = admin
        .post_form(
            "/app/admin/actores",
            &[("csrf", &csrf), ("name", "Minera Sur"), ("kind", "pirate")],
        )
        .await;
    assert_eq!(bad_kind.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_kind.text().contains(r#"id="e-kind""#));
    let ok = admin
        .post_form(
            "/app/admin/actores",
            &[("csrf", &csrf), ("name", "Minera Sur"), ("kind", "company")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    assert!(
        admin
            .get("/app/admin/actores")
            .await
            .text()
            .contains("Minera Sur")
    );
    let actor = app.app.actors().await.unwrap()[0].id.to_string();

    // Members: listed per ecosystem, added with a role label, removed.
    let members = admin.get("/app/admin/miembros?ecosistema=moquegua").await;
    assert_eq!(members.status, StatusCode::OK);
    let missing_label = admin
        .post_form(
            "/app/admin/miembros",
            &[
                ("csrf", &csrf),
                ("ecosistema", "moquegua"),
                ("actorId", &actor),
                ("roleLabel", ""),
            ],
        )
        .await;
    assert_eq!(missing_label.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing_label.text().contains(r#"id="e-roleLabel""#));
    let added = admin
        .post_form(
            "/app/admin/miembros",
            &[
                ("csrf", &csrf),
                ("ecosistema", "moquegua"),
                ("actorId", &actor),
                ("roleLabel", "Empresa minera"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());
    let listed = admin
        .get("/app/admin/miembros?ecosistema=moquegua")
        .await
        .text();
    assert!(
        listed.contains("Empresa minera") && listed.contains("Minera Sur"),
        "{listed}"
    );
    let twice = admin
        .post_form(
            "/app/admin/miembros",
            &[
                ("csrf", &csrf),
                ("ecosistema", "moquegua"),
                ("actorId", &actor),
                ("roleLabel", "Empresa minera"),
            ],
        )
        .await;
    assert_ne!(twice.status, StatusCode::SEE_OTHER);
    let removed = admin
        .post_form(
            "/app/admin/miembros/quitar",
            &[
                ("csrf", &csrf),
                ("ecosistema", "moquegua"),
                ("actorId", &actor),
            ],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.text());
    let eco = app
        .app
        .ecosystem_by_slug("moquegua".into())
        .await
        .unwrap()
        .unwrap();
    assert!(app.app.members_of(vec![eco.id]).await.unwrap().is_empty());
    // Removing a stranger, or in an unknown ecosystem: not found.
    let again = admin
        .post_form(
            "/app/admin/miembros/quitar",
            &[
                ("csrf", &csrf),
                ("ecosistema", "moquegua"),
                ("actorId", &actor),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(
        admin
            .get("/app/admin/miembros?ecosistema=nada")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn only_admins_reach_administration_and_every_form_needs_its_token(app: TestApp) {
    let actor = app.create_actor("Minera Sur", ActorKind::Company).await;
    let victim = app
        .create_user("victim@ayni.test", Role::Contributor, Some(actor))
        .await;
    let gets = [
        "/app/admin".to_string(),
        format!("/app/admin/usuarios/{victim}"),
        "/app/admin/actores".to_string(),
        "/app/admin/miembros".to_string(),
    ];
    let actor_field = actor.to_string();
    let victim_path = format!("/app/admin/usuarios/{victim}");
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/app/admin/usuarios".into(),
            vec![
                ("email", "new@ayni.test"),
                ("role", "admin"),
                ("actorId", ""),
            ],
        ),
        (
            victim_path.clone(),
            vec![("role", "admin"), ("actorId", "")],
        ),
        (format!("{victim_path}/estado"), vec![("disabled", "1")]),
        (format!("{victim_path}/clave"), vec![]),
        (
            "/app/admin/actores".into(),
            vec![("name", "Intruso"), ("kind", "company")],
        ),
        (
            "/app/admin/miembros".into(),
            vec![
                ("ecosistema", "x"),
                ("actorId", &actor_field),
                ("roleLabel", "Intruso"),
            ],
        ),
        (
            "/app/admin/miembros/quitar".into(),
            vec![("ecosistema", "x"), ("actorId", &actor_field)],
        ),
    ];
    for role in [Role::Contributor, Role::Coordinator, Role::Monitor] {
        let email = format!("{}@ayni.test", role.as_str());
        let bound = (role == Role::Contributor).then_some(actor);
        app.create_user(&email, role, bound).await;
        let c = WorkspaceClient::signed_in(&app, &email, TEST_PASSWORD).await;
        let home = c.get("/app").await;
        assert!(
            !home.text().contains(r#"href="/app/admin""#),
            "no link for {role}"
        );
        let csrf = home.csrf();
        for path in &gets {
            assert_eq!(
                c.get(path).await.status,
                StatusCode::FORBIDDEN,
                "{role} GET {path}"
            );
        }
        for (path, fields) in &posts {
            let mut with_token = fields.clone();
            with_token.push(("csrf", &csrf));
            let p = c.post_form(path, &with_token).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{role} POST {path}");
        }
    }
    // An admin without the token: 403 on every form, nothing changed.
    let admin = admin_client(&app).await;
    for (path, fields) in &posts {
        let mut wrong = fields.clone();
        wrong.push(("csrf", "0000"));
        assert_eq!(
            admin.post_form(path, fields).await.status,
            StatusCode::FORBIDDEN,
            "no token: {path}"
        );
        assert_eq!(
            admin.post_form(path, &wrong).await.status,
            StatusCode::FORBIDDEN,
            "wrong token: {path}"
        );
    }
    // A huge form is refused before anything runs.
    let csrf = admin.csrf("/app/admin/actores").await;
    let huge = "x".repeat(200_000);
    let started = std::time::Instant::now();
    let p = admin
        .post_form(
            "/app/admin/actores",
            &[("csrf", &csrf), ("name", &huge), ("kind", "company")],
        )
        .await;
    assert!(p.status.is_client_error(), "{}", p.status);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let v = app.app.user_by_id(victim).await.unwrap().unwrap();
    assert!(!v.disabled && v.role == Role::Contributor);
    assert_eq!(app.app.users(&Caller::operator()).await.unwrap().len(), 5);
    assert_eq!(app.app.actors().await.unwrap().len(), 1);
    // Without a session: sent to sign in.
    let anon = WorkspaceClient::new(&app);
    assert_eq!(anon.get("/app/admin").await.status, StatusCode::SEE_OTHER);
}
