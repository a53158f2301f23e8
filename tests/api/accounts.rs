use serde_json::{Value, json};

use ayni::app::Caller;
use ayni::domain::{ActorKind, Role};

use crate::both_backends;
use crate::helpers::{TEST_PASSWORD, TestApp, error_code};

both_backends!(
    coordinators_and_admins_create_actors_monitors_and_contributors_cannot,
    admins_create_users_others_cannot,
    bad_user_input_names_the_field_and_writes_nothing,
    users_and_their_actors_are_listed_for_admins,
    a_user_changes_their_own_password_and_bad_attempts_change_nothing,
);

const CHANGE_PASSWORD: &str =
    "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";

async fn a_user_changes_their_own_password_and_bad_attempts_change_nothing(app: TestApp) {
    let email = "veedora.clave@ayni.test";
    app.create_user(email, Role::Monitor, None).await;
    let token = app.token(email, TEST_PASSWORD).await;
    let head = || async { app.get("/api/v1/audit/head").await.body["seq"].clone() };
    let before = head().await;

    // Refused, each with nothing written: anonymous, a wrong current password, a new one too
    // short or too long, and an oversized request.
    let vars = |c: &str, n: &str| json!({"c": c, "n": n});
    let anonymous = app
        .graphql(
            None,
            CHANGE_PASSWORD,
            vars(TEST_PASSWORD, "otra-clave-larga"),
        )
        .await;
    assert_eq!(error_code(&anonymous.body), "UNAUTHENTICATED");
    let wrong = app
        .graphql(
            Some(&token),
            CHANGE_PASSWORD,
            vars("no-es-la-clave", "otra-clave-larga"),
        )
        .await;
    assert_eq!(error_code(&wrong.body), "BAD_USER_INPUT");
    assert_eq!(
        wrong.body["errors"][0]["extensions"]["fields"][0]["field"], "currentPassword",
        "{}",
        wrong.body
    );
    for bad in ["corta".to_string(), "x".repeat(129)] {
        let a = app
            .graphql(Some(&token), CHANGE_PASSWORD, vars(TEST_PASSWORD, &bad))
            .await;
        assert_eq!(error_code(&a.body), "BAD_USER_INPUT", "{}", a.body);
    }
    let huge = app
        .graphql(
            Some(&token),
            CHANGE_PASSWORD,
            vars(TEST_PASSWORD, &"y".repeat(3_000_000)),
        )
        .await;
    assert!(
        huge.status.as_u16() == 413 || huge.status.as_u16() == 400,
        "{}",
        huge.status
    );
    assert_eq!(head().await, before, "nothing was written");
    app.token(email, TEST_PASSWORD).await;

    // Changed: the old password stops working, the new one works, one audit entry.
    let ok = app
        .graphql(
            Some(&token),
            CHANGE_PASSWORD,
            vars(TEST_PASSWORD, "una-clave-nueva-y-larga"),
        )
        .await;
    assert_eq!(ok.body["data"]["changePassword"], true, "{}", ok.body);
    assert_eq!(head().await.as_i64().unwrap(), before.as_i64().unwrap() + 1);
    let old = app
        .post_json(
            "/api/v1/auth/token",
            &json!({"email": email, "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(old.status.as_u16(), 401);
    app.token(email, "una-clave-nueva-y-larga").await;
}

const CREATE_ACTOR: &str =
    "mutation($input: CreateActorInput!) { createActor(input: $input) { id name kind } }";
const CREATE_USER: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { id email role actor { name } } }";

async fn actor_count(app: &TestApp) -> usize {
    app.app.actors().await.unwrap().len()
}

async fn user_count(app: &TestApp) -> usize {
    app.app.users(&Caller::operator()).await.unwrap().len()
}

async fn coordinators_and_admins_create_actors_monitors_and_contributors_cannot(app: TestApp) {
    let coordinator = app.login_as(Role::Coordinator).await;
    let admin = app.login_as(Role::Admin).await;
    let monitor = app.login_as(Role::Monitor).await;
    let contributor = app.login_as(Role::Contributor).await;

    let input =
        json!({"input": {"name": "Municipalidad Provincial de Ilo", "kind": "LOCAL_GOVERNMENT"}});
    let a = app.graphql(Some(&coordinator), CREATE_ACTOR, input).await;
    assert_eq!(a.body["errors"], Value::Null, "{:?}", a.body);
    assert_eq!(
        a.body["data"]["createActor"]["name"],
        "Municipalidad Provincial de Ilo"
    );
    assert_eq!(a.body["data"]["createActor"]["kind"], "LOCAL_GOVERNMENT");

    let a = app
        .graphql(
            Some(&admin),
            CREATE_ACTOR,
            json!({"input": {"name": "OEFA", "kind": "NATIONAL_AGENCY"}}),
        )
        .await;
    assert_eq!(a.body["errors"], Value::Null, "{:?}", a.body);

    let before = actor_count(&app).await;
    for token in [&monitor, &contributor] {
        let a = app
            .graphql(
                Some(token),
                CREATE_ACTOR,
                json!({"input": {"name": "Veeduría Ciudadana", "kind": "CIVIL_SOCIETY"}}),
            )
            .await;
        assert_eq!(error_code(&a.body), "FORBIDDEN", "{:?}", a.body);
        assert_eq!(a.body["data"], Value::Null);
    }
    assert_eq!(
        actor_count(&app).await,
        before,
        "a refused write changes nothing"
    );

    let dup = app
        .graphql(
            Some(&coordinator),
            CREATE_ACTOR,
            json!({"input": {"name": "OEFA", "kind": "NATIONAL_AGENCY"}}),
        )
        .await;
    assert_eq!(error_code(&dup.body), "CONFLICT");
    assert_eq!(
        dup.body["errors"][0]["extensions"]["fields"][0]["field"],
        "name"
    );
}

async fn admins_create_users_others_cannot(app: TestApp) {
    let admin = app.login_as(Role::Admin).await;
    let coordinator = app.login_as(Role::Coordinator).await;
    let actor = app.create_actor("Southern Peru", ActorKind::Company).await;
    let input = json!({"input": {"email": "sostenibilidad@southern.test", "password": TEST_PASSWORD,
                                  "role": "CONTRIBUTOR", "actorId": actor.to_string()}});

    let refused = app
        .graphql(Some(&coordinator), CREATE_USER, input.clone())
        .await;
    assert_eq!(error_code(&refused.body), "FORBIDDEN");

    let created = app.graphql(Some(&admin), CREATE_USER, input.clone()).await;
    assert_eq!(created.body["errors"], Value::Null, "{:?}", created.body);
    assert_eq!(created.body["data"]["createUser"]["role"], "CONTRIBUTOR");
    assert_eq!(
        created.body["data"]["createUser"]["actor"]["name"],
        "Southern Peru"
    );
    // The new user can log in.
    app.token("sostenibilidad@southern.test", TEST_PASSWORD)
        .await;

    let again = app.graphql(Some(&admin), CREATE_USER, input).await;
    assert_eq!(error_code(&again.body), "CONFLICT");
    assert_eq!(
        again.body["errors"][0]["extensions"]["fields"][0]["field"],
        "email"
    );
}

async fn bad_user_input_names_the_field_and_writes_nothing(app: TestApp) {
    let admin = app.login_as(Role::Admin).await;
    let users_before = user_count(&app).await;
    let actors_before = actor_count(&app).await;
    let field_of = |body: &Value| {
        body["errors"][0]["extensions"]["fields"][0]["field"]
            .as_str()
            .map(str::to_string)
    };

    let bad_email = app
        .graphql(
            Some(&admin),
            CREATE_USER,
            json!({"input": {"email": "no-arroba", "password": TEST_PASSWORD, "role": "MONITOR"}}),
        )
        .await;
    assert_eq!(error_code(&bad_email.body), "BAD_USER_INPUT");
    assert_eq!(field_of(&bad_email.body).as_deref(), Some("email"));

    let short_password = app
        .graphql(
            Some(&admin),
            CREATE_USER,
            json!({"input": {"email": "x@ayni.test", "password": "corta", "role": "MONITOR"}}),
        )
        .await;
    assert_eq!(field_of(&short_password.body).as_deref(), Some("password"));

    let unknown_role = app
        .graphql(Some(&admin), CREATE_USER,
                 json!({"input": {"email": "x@ayni.test", "password": TEST_PASSWORD, "role": "SUPERUSER"}}))
        .await;
    assert_eq!(error_code(&unknown_role.body), "BAD_USER_INPUT");
    assert!(
        unknown_role.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("SUPERUSER")
    );

    let no_actor = app
        .graphql(Some(&admin), CREATE_USER,
                 json!({"input": {"email": "x@ayni.test", "password": TEST_PASSWORD, "role": "CONTRIBUTOR"}}))
        .await;
    assert_eq!(field_of(&no_actor.body).as_deref(), Some("actorId"));

    let missing_actor = app
        .graphql(Some(&admin), CREATE_USER,
                 json!({"input": {"email": "x@ayni.test", "password": TEST_PASSWORD, "role": "CONTRIBUTOR", "actorId": "9999"}}))
        .await;
    assert_eq!(field_of(&missing_actor.body).as_deref(), Some("actorId"));

    let bad_id = app
        .graphql(Some(&admin), CREATE_USER,
                 json!({"input": {"email": "x@ayni.test", "password": TEST_PASSWORD, "role": "MONITOR", "actorId": "abc"}}))
        .await;
    assert_eq!(field_of(&bad_id.body).as_deref(), Some("actorId"));

    let unknown_field = app
        .graphql(Some(&admin), CREATE_USER,
                 json!({"input": {"email": "x@ayni.test", "password": TEST_PASSWORD, "role": "MONITOR", "isRoot": true}}))
        .await;
    assert_eq!(error_code(&unknown_field.body), "BAD_USER_INPUT");
    assert!(
        unknown_field.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("isRoot")
    );

    let long_name = app
        .graphql(
            Some(&admin),
            CREATE_ACTOR,
            json!({"input": {"name": "x".repeat(201), "kind": "COMPANY"}}),
        )
        .await;
    assert_eq!(error_code(&long_name.body), "BAD_USER_INPUT");
    assert_eq!(field_of(&long_name.body).as_deref(), Some("name"));

    let bad_kind = app
        .graphql(
            Some(&admin),
            CREATE_ACTOR,
            json!({"input": {"name": "Minera X", "kind": "MINE"}}),
        )
        .await;
    assert_eq!(error_code(&bad_kind.body), "BAD_USER_INPUT");

    assert_eq!(user_count(&app).await, users_before);
    assert_eq!(actor_count(&app).await, actors_before);
}

async fn users_and_their_actors_are_listed_for_admins(app: TestApp) {
    let admin = app.login_as(Role::Admin).await;
    let monitor = app.login_as(Role::Monitor).await;
    let a1 = app
        .create_actor(
            "Gobierno Regional de Moquegua",
            ActorKind::RegionalGovernment,
        )
        .await;
    let a2 = app
        .create_actor("Anglo American Quellaveco", ActorKind::Company)
        .await;
    for (i, actor) in [a1, a2, a1, a2].into_iter().enumerate() {
        app.create_user(&format!("c{i}@ayni.test"), Role::Contributor, Some(actor))
            .await;
    }
    let q = "{ users { email role actor { name } } }";
    let a = app.graphql(Some(&admin), q, json!({})).await;
    assert_eq!(a.body["errors"], Value::Null, "{:?}", a.body);
    let users = a.body["data"]["users"].as_array().unwrap();
    assert_eq!(users.len(), 6);
    let c0 = users.iter().find(|u| u["email"] == "c0@ayni.test").unwrap();
    assert_eq!(c0["actor"]["name"], "Gobierno Regional de Moquegua");
    let c3 = users.iter().find(|u| u["email"] == "c3@ayni.test").unwrap();
    assert_eq!(c3["actor"]["name"], "Anglo American Quellaveco");

    let refused = app.graphql(Some(&monitor), q, json!({})).await;
    assert_eq!(error_code(&refused.body), "FORBIDDEN");
}
