use awc::http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use ayni::domain::Role;

use crate::both_backends;
use crate::helpers::{TEST_JWT_SECRET, TEST_PASSWORD, TestApp, error_code};

both_backends!(
    login_issues_a_bearer_token_that_works_for_me,
    wrong_password_and_unknown_email_get_the_same_401,
    bad_login_bodies_are_refused_with_the_field,
    bad_tokens_are_refused_with_401,
    no_token_is_unauthenticated,
);

const ME: &str = "{ me { id email role actor { id name kind } } }";

async fn login_issues_a_bearer_token_that_works_for_me(app: TestApp) {
    let actor = app
        .create_actor(
            "Comunidad Campesina de Tumilaca",
            ayni::domain::ActorKind::Community,
        )
        .await;
    app.create_user("ana@ayni.test", Role::Contributor, Some(actor))
        .await;
    let a = app
        .post_json(
            "/api/v1/auth/token",
            &json!({"email": "Ana@Ayni.Test", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(a.body["token_type"], "Bearer");
    assert_eq!(a.body["expires_in"], 3600);
    let token = a.body["access_token"].as_str().unwrap();

    let me = app.graphql(Some(token), ME, json!({})).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["errors"], Value::Null, "{:?}", me.body);
    let me = &me.body["data"]["me"];
    assert_eq!(me["email"], "ana@ayni.test");
    assert_eq!(me["role"], "CONTRIBUTOR");
    assert_eq!(me["actor"]["id"], actor.to_string());
    assert_eq!(me["actor"]["kind"], "COMMUNITY");
}

async fn wrong_password_and_unknown_email_get_the_same_401(app: TestApp) {
    app.create_user("ana@ayni.test", Role::Monitor, None).await;
    let wrong = app
        .post_json(
            "/api/v1/auth/token",
            &json!({"email": "ana@ayni.test", "password": "not-the-password"}),
        )
        .await;
    let unknown = app
        .post_json(
            "/api/v1/auth/token",
            &json!({"email": "nadie@ayni.test", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.body["error"]["code"], "UNAUTHENTICATED");
}

async fn bad_login_bodies_are_refused_with_the_field(app: TestApp) {
    let malformed = app
        .post_raw(
            "/api/v1/auth/token",
            "application/json",
            None,
            b"{\"email\": ".to_vec(),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.body["error"]["code"], "BAD_USER_INPUT");
    assert_eq!(malformed.body["error"]["fields"][0]["field"], "body");

    let unknown_field = app
        .post_json(
            "/api/v1/auth/token",
            &json!({"email": "a@b.pe", "password": "x", "admin": true}),
        )
        .await;
    assert_eq!(unknown_field.status, StatusCode::BAD_REQUEST);
    let message = unknown_field.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("unknown field `admin`"), "{message}");

    let bad_email = app
        .post_json(
            "/api/v1/auth/token",
            &json!({"email": "not-an-email", "password": "x"}),
        )
        .await;
    assert_eq!(bad_email.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_email.body["error"]["fields"][0]["field"], "email");
    assert_eq!(bad_email.body["error"]["fields"][0]["rule"], "email");

    let huge = json!({"email": "a@b.pe", "password": "x".repeat(100 * 1024)});
    let too_large = app.post_json("/api/v1/auth/token", &huge).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.body["error"]["code"], "PAYLOAD_TOO_LARGE");
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn sign(claims: &Value, secret: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn assert_refused(app: &TestApp, token: &str, why: &str) {
    let a = app.graphql(Some(token), ME, json!({})).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{why}: {:?}", a.body);
    assert_eq!(error_code(&a.body), "UNAUTHENTICATED", "{why}");
    assert_eq!(a.body.get("data"), None, "{why}: nothing executed");
}

async fn bad_tokens_are_refused_with_401(app: TestApp) {
    let id = app
        .create_user("admin@ayni.test", Role::Admin, None)
        .await
        .to_string();
    let claims = |aud: Option<&str>, exp: i64| {
        let mut c = json!({"sub": id, "role": "admin", "actor": null, "iss": "ayni", "iat": now() - 10, "exp": exp});
        if let Some(aud) = aud {
            c["aud"] = json!(aud);
        }
        c
    };
    // The forged-token machinery works: a well-formed token is accepted.
    let good = sign(&claims(Some("ayni-api"), now() + 600), TEST_JWT_SECRET);
    let ok = app.graphql(Some(&good), ME, json!({})).await;
    assert_eq!(
        ok.body["data"]["me"]["email"], "admin@ayni.test",
        "{:?}",
        ok.body
    );

    assert_refused(
        &app,
        &sign(&claims(Some("ayni-api"), now() - 60), TEST_JWT_SECRET),
        "expired",
    )
    .await;
    assert_refused(
        &app,
        &sign(&claims(None, now() + 600), TEST_JWT_SECRET),
        "missing audience",
    )
    .await;
    assert_refused(
        &app,
        &sign(&claims(Some("other-api"), now() + 600), TEST_JWT_SECRET),
        "wrong audience",
    )
    .await;
    assert_refused(
        &app,
        &sign(
            &claims(Some("ayni-api"), now() + 600),
            "another-secret-another-secret-0000",
        ),
        "wrong key",
    )
    .await;

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = good.split('.').collect();
    let mut escalated = claims(Some("ayni-api"), now() + 600);
    escalated["sub"] = json!("999");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(escalated.to_string()),
        parts[2]
    );
    assert_refused(&app, &tampered, "tampered payload").await;

    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let alg_none = format!("{none_header}.{}.", parts[1]);
    assert_refused(&app, &alg_none, "alg none").await;

    assert_refused(&app, "not-a-jwt", "garbage").await;
    let basic = app
        .post_raw(
            "/graphql",
            "application/json",
            None,
            br#"{"query":"{ me { id } }"}"#.to_vec(),
        )
        .await;
    assert_eq!(error_code(&basic.body), "UNAUTHENTICATED", "anonymous me");
}

async fn no_token_is_unauthenticated(app: TestApp) {
    let a = app.graphql(None, ME, json!({})).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(error_code(&a.body), "UNAUTHENTICATED");
    let users = app.graphql(None, "{ users { id } }", json!({})).await;
    assert_eq!(error_code(&users.body), "UNAUTHENTICATED");
    let create = app
        .graphql(
            None,
            r#"mutation { createActor(input: {name: "X S.A.", kind: COMPANY}) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&create.body), "UNAUTHENTICATED");
    // Public data needs no token.
    let actors = app.graphql(None, "{ actors { id } }", json!({})).await;
    assert_eq!(actors.body["errors"], Value::Null);
}
