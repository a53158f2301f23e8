//! Administration over GraphQL: disabling users, roles, actors, secret rotation.

use serde_json::{Value, json};

use ayni::domain::{ActorKind, Role};

use crate::both_backends;
use crate::helpers::{Backend, TEST_PASSWORD, TestApp, error_code};
use crate::strategy::Gql;

both_backends!(
    admins_disable_users_change_roles_and_rebind_actors,
    rotating_the_secret_ends_old_tokens
);

const ME: &str = "{ me { email role actor { name } } }";

async fn user_id(app: &TestApp, email: &str) -> String {
    let users = app.app.users(&ayni::app::Caller::operator()).await.unwrap();
    users
        .into_iter()
        .find(|u| u.email == email)
        .unwrap()
        .id
        .to_string()
}

async fn audit_entries_about(app: &TestApp, entity: &str) -> usize {
    app.direct(|c| ayni::db::audit::entries_from(c, 0, 100_000))
        .await
        .unwrap()
        .iter()
        .filter(|e| e.entity_type == entity && e.action == "update")
        .count()
}

async fn admins_disable_users_change_roles_and_rebind_actors(app: TestApp) {
    let admin = Gql {
        app: &app,
        token: app.login_as(Role::Admin).await,
    };
    let a1 = app
        .create_actor("Anglo American Quellaveco", ActorKind::Company)
        .await;
    let a2 = app
        .create_actor("Southern Peru Copper Corporation", ActorKind::Company)
        .await;
    app.create_user("rosa@ayni.test", Role::Coordinator, None)
        .await;
    app.create_user("juan@ayni.test", Role::Contributor, Some(a1))
        .await;
    let rosa = user_id(&app, "rosa@ayni.test").await;
    let juan = user_id(&app, "juan@ayni.test").await;
    let rosa_token = app.token("rosa@ayni.test", TEST_PASSWORD).await;
    let before = audit_entries_about(&app, "user").await;

    // Only admins administer.
    let coordinator = Gql {
        app: &app,
        token: rosa_token.clone(),
    };
    let refused = coordinator
        .run(
            "mutation($id: ID!) { setUserDisabled(id: $id, disabled: true) { id } }",
            json!({"id": juan}),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");

    // A role change takes effect on the next request with the same token.
    admin
        .ok(
            "mutation($id: ID!) { setUserRole(id: $id, role: MONITOR) { role } }",
            json!({"id": rosa}),
        )
        .await;
    let create = coordinator
        .run(
            r#"mutation { createActor(input: {name: "Veeduría", kind: CIVIL_SOCIETY}) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&create), "FORBIDDEN");
    assert_eq!(coordinator.ok(ME, json!({})).await["me"]["role"], "MONITOR");

    // Disabling ends the tokens and the logins at once; enabling restores them.
    admin
        .ok(
            "mutation($id: ID!) { setUserDisabled(id: $id, disabled: true) { disabled } }",
            json!({"id": rosa}),
        )
        .await;
    let after = app.graphql(Some(&rosa_token), ME, json!({})).await;
    assert_eq!(
        (after.status.as_u16(), error_code(&after.body)),
        (401, "UNAUTHENTICATED")
    );
    let login = app
        .post_json(
            "/api/v1/auth/token",
            &json!({"email": "rosa@ayni.test", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(login.status.as_u16(), 401);
    admin
        .ok(
            "mutation($id: ID!) { setUserDisabled(id: $id, disabled: false) { disabled } }",
            json!({"id": rosa}),
        )
        .await;
    assert_eq!(
        app.graphql(Some(&rosa_token), ME, json!({})).await.body["data"]["me"]["email"],
        "rosa@ayni.test"
    );

    // Rebinding a contributor; a contributor cannot be left without an actor.
    let moved = admin
        .ok(
            "mutation($id: ID!, $a: ID) { setUserActor(id: $id, actorId: $a) { actor { name } } }",
            json!({"id": juan, "a": a2.to_string()}),
        )
        .await;
    assert_eq!(
        moved["setUserActor"]["actor"]["name"],
        "Southern Peru Copper Corporation"
    );
    let orphan = admin
        .run(
            "mutation($id: ID!) { setUserActor(id: $id, actorId: null) { id } }",
            json!({"id": juan}),
        )
        .await;
    assert_eq!(error_code(&orphan), "BAD_USER_INPUT");
    let unknown = admin
        .run(
            "mutation($id: ID!) { setUserActor(id: $id, actorId: \"999\") { id } }",
            json!({"id": juan}),
        )
        .await;
    assert_eq!(error_code(&unknown), "BAD_USER_INPUT");
    let ghost = admin
        .run(
            "mutation { setUserRole(id: \"999\", role: ADMIN) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&ghost), "NOT_FOUND");

    // An admin cannot lock itself out.
    let me: Value = admin.ok("{ me { id } }", json!({})).await;
    let self_disable = admin
        .run(
            "mutation($id: ID!) { setUserDisabled(id: $id, disabled: true) { id } }",
            json!({"id": me["me"]["id"]}),
        )
        .await;
    assert_eq!(error_code(&self_disable), "BAD_USER_INPUT");

    assert_eq!(
        audit_entries_about(&app, "user").await,
        before + 4,
        "every change is audited"
    );
}

async fn rotating_the_secret_ends_old_tokens(app: TestApp) {
    // The test app's secret comes from configuration: rotation is refused there.
    let admin = Gql {
        app: &app,
        token: app.login_as(Role::Admin).await,
    };
    let refused = admin.run("mutation { rotateJwtSecret }", json!({})).await;
    assert_eq!(error_code(&refused), "CONFLICT");

    // With the database's own secret, rotation works.
    let backend: Backend = app.backend;
    let own = TestApp::spawn_with(backend, |s| s.jwt_secret = None).await;
    let admin = Gql {
        app: &own,
        token: own.login_as(Role::Admin).await,
    };
    let monitor_token = own.login_as(Role::Monitor).await;
    assert_eq!(
        admin.ok("mutation { rotateJwtSecret }", json!({})).await["rotateJwtSecret"],
        true
    );
    for old in [&admin.token, &monitor_token] {
        let r = own.graphql(Some(old), ME, json!({})).await;
        assert_eq!(r.status.as_u16(), 401, "{:?}", r.body);
    }
    let users = own.app.users(&ayni::app::Caller::operator()).await.unwrap();
    let admin_email = users
        .iter()
        .find(|u| u.role == ayni::domain::Role::Admin)
        .unwrap()
        .email
        .clone();
    let fresh = own.token(&admin_email, TEST_PASSWORD).await;
    assert_eq!(
        own.graphql(Some(&fresh), ME, json!({})).await.body["data"]["me"]["role"],
        "ADMIN"
    );
    let rotations = own
        .direct(|c| ayni::db::audit::entries_from(c, 0, 100_000))
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.entity_type == "setting" && e.action == "update")
        .count();
    assert_eq!(rotations, 1);
    assert_eq!(
        own.graphql(None, "{ auditChain { verified } }", json!({}))
            .await
            .body["data"]["auditChain"]["verified"],
        true
    );
}
