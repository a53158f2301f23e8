//! Hardening: login throttling, the hashing cap, the password policy, and uploads that are
//! authenticated before their body is read.

use std::time::{Duration, Instant};

use awc::http::StatusCode;
use serde_json::{Value, json};

use ayni::app::{Caller, EcosystemInput};
use ayni::domain::Role;

use crate::both_backends;
use crate::helpers::{Backend, TEST_PASSWORD, TestApp, error_code};

both_backends!(
    five_wrong_passwords_lock_the_account_even_for_the_right_one,
    an_admin_lifts_a_lockout,
    many_accounts_from_one_address_are_throttled,
    concurrent_logins_only_get_401_429_or_503,
    weak_and_control_character_passwords_are_refused,
    anonymous_huge_upload_is_refused_before_its_body_is_read,
    oversize_authenticated_upload_gets_413,
    oversize_chunked_upload_is_cut_off_at_the_limit,
);

const TOKEN: &str = "/api/v1/auth/token";

async fn login(app: &TestApp, email: &str, password: &str) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(TOKEN))
        .send_json(&json!({"email": email, "password": password}))
        .await
        .expect("POST");
    let status = res.status();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
        let secs: u64 = retry_after.expect("Retry-After").parse().expect("seconds");
        assert!(secs >= 1);
    }
    let mut res = res;
    let body = res.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

async fn five_wrong_passwords_lock_the_account_even_for_the_right_one(app: TestApp) {
    app.create_user("ana@ayni.test", Role::Monitor, None).await;
    for _ in 0..5 {
        let (s, _) = login(&app, "ana@ayni.test", "no-es-la-clave").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, body) = login(&app, "ana@ayni.test", "no-es-la-clave").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "TOO_MANY_ATTEMPTS");
    let (s, _) = login(&app, "Ana@Ayni.Test", TEST_PASSWORD).await;
    assert_eq!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "the right password is refused too"
    );
    // Another account from the same address is not affected (below the address limit).
    app.create_user("rosa@ayni.test", Role::Monitor, None).await;
    app.token("rosa@ayni.test", TEST_PASSWORD).await;
}

async fn an_admin_lifts_a_lockout(app: TestApp) {
    let admin = app.login_as(Role::Admin).await;
    app.create_user("ana@ayni.test", Role::Monitor, None).await;
    for _ in 0..5 {
        login(&app, "ana@ayni.test", "no-es-la-clave").await;
    }
    let listed = app
        .graphql(
            Some(&admin),
            "{ loginLockouts { kind key failures retryAfterSeconds } }",
            json!({}),
        )
        .await;
    let lockouts = listed.body["data"]["loginLockouts"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(lockouts.len(), 1, "{}", listed.body);
    assert_eq!(lockouts[0]["kind"], "account");
    assert_eq!(lockouts[0]["key"], "ana@ayni.test");

    const UNLOCK: &str = "mutation($e: String) { unlockLogin(email: $e) }";
    let monitor = app.login_as(Role::Monitor).await;
    let refused = app
        .graphql(Some(&monitor), UNLOCK, json!({"e": "ana@ayni.test"}))
        .await;
    assert_eq!(error_code(&refused.body), "FORBIDDEN");
    let (s, _) = login(&app, "ana@ayni.test", TEST_PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);

    let lifted = app
        .graphql(Some(&admin), UNLOCK, json!({"e": "ANA@ayni.test"}))
        .await;
    assert_eq!(lifted.body["data"]["unlockLogin"], true, "{}", lifted.body);
    app.token("ana@ayni.test", TEST_PASSWORD).await;

    // Both the lock-out and its lifting are in the audit chain, the e-mail only privately.
    let entries = app.get("/api/v1/audit/proof?from=1").await.body["entries"]
        .as_array()
        .unwrap()
        .clone();
    let lockout = entries
        .iter()
        .find(|e| e["entity_type"] == "login_lockout")
        .expect("a lock-out entry");
    assert_eq!(lockout["after"]["kind"], "account");
    assert_eq!(lockout["after"]["failures"], 5);
    assert!(lockout["user_id"].is_null(), "recorded by the system");
    let unlock = entries
        .iter()
        .find(|e| e["entity_type"] == "login_unlock")
        .expect("an unlock entry");
    assert_eq!(unlock["after"]["lifted"], true);
    assert!(unlock["user_id"].is_number(), "recorded as the admin");
    let served = serde_json::to_string(&entries).unwrap();
    assert!(
        !served.contains("ana@ayni.test"),
        "the e-mail stays private"
    );
    let chain = app
        .graphql(
            Some(&admin),
            "{ auditChain { verified mismatchCount } }",
            json!({}),
        )
        .await;
    assert_eq!(chain.body["data"]["auditChain"]["verified"], true);
    assert_eq!(chain.body["data"]["auditChain"]["mismatchCount"], 0);
}

async fn many_accounts_from_one_address_are_throttled(backend_app: TestApp) {
    // A small per-address limit; the per-account one stays out of the way.
    let app = TestApp::spawn_with(backend_app.backend, |s| {
        s.login.max_failures_per_address = 3;
    })
    .await;
    app.create_user("ana@ayni.test", Role::Monitor, None).await;
    for i in 0..3 {
        let (s, _) = login(&app, &format!("nadie{i}@ayni.test"), "no-es-la-clave").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, body) = login(&app, "ana@ayni.test", TEST_PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("address")
    );
}

async fn concurrent_logins_only_get_401_429_or_503(backend_app: TestApp) {
    let app = TestApp::spawn_with(backend_app.backend, |s| {
        s.login.max_concurrent_hashes = 1;
        s.login.hash_wait = Duration::from_millis(1);
        s.login.max_failures_per_address = 0;
    })
    .await;
    let attempts = (0..24).map(|i| {
        let app = &app;
        async move {
            login(app, &format!("u{i}@ayni.test"), "no-es-la-clave")
                .await
                .0
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    for s in &statuses {
        assert!(
            [
                StatusCode::UNAUTHORIZED,
                StatusCode::TOO_MANY_REQUESTS,
                StatusCode::SERVICE_UNAVAILABLE
            ]
            .contains(s),
            "{statuses:?}"
        );
    }
    assert!(
        statuses.contains(&StatusCode::SERVICE_UNAVAILABLE),
        "one hashing slot and no wait: some logins are refused as busy: {statuses:?}"
    );
    // The service still works afterwards.
    app.create_user("ana@ayni.test", Role::Monitor, None).await;
    app.token("ana@ayni.test", TEST_PASSWORD).await;
}

async fn weak_and_control_character_passwords_are_refused(app: TestApp) {
    let admin = app.login_as(Role::Admin).await;
    const CREATE: &str = "mutation($p: String!) { createUser(input: {email: \"x@ayni.test\", password: $p, role: MONITOR}) { id } }";
    for (weak, rule) in [
        ("1234567890", "strength"),
        ("password12", "strength"),
        ("x@ayni.test", "strength"),
        ("\0\0\0\0\0\0\0\0\0\0", "control_characters"),
        ("clave\nde-rosa-2026", "control_characters"),
    ] {
        let a = app.graphql(Some(&admin), CREATE, json!({"p": weak})).await;
        assert_eq!(
            error_code(&a.body),
            "BAD_USER_INPUT",
            "{weak:?}: {}",
            a.body
        );
        let field = &a.body["errors"][0]["extensions"]["fields"][0];
        assert_eq!(field["field"], "password");
        assert_eq!(field["rule"], rule, "{weak:?}");
        assert!(field["message"].as_str().unwrap().contains("contraseña"));
    }
    let users = app
        .graphql(Some(&admin), "{ users { email } }", json!({}))
        .await;
    assert!(
        !users.body.to_string().contains("x@ayni.test"),
        "nothing created"
    );

    const CHANGE: &str = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    let a = app
        .graphql(
            Some(&admin),
            CHANGE,
            json!({"c": TEST_PASSWORD, "n": "password12"}),
        )
        .await;
    assert_eq!(error_code(&a.body), "BAD_USER_INPUT");
    assert_eq!(
        a.body["errors"][0]["extensions"]["fields"][0]["field"],
        "newPassword"
    );
}

const IMPORT: &str = "/api/v1/ecosystems/moquegua/observations:import";

async fn with_ecosystem(app: &TestApp) {
    app.app
        .create_ecosystem(
            &Caller::operator(),
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
}

async fn anonymous_huge_upload_is_refused_before_its_body_is_read(app: TestApp) {
    with_ecosystem(&app).await;
    // 200 MB declared, 1 MB sent: the 401 comes without waiting for the rest.
    let (status, took) = app
        .partial_upload(IMPORT, None, 200 * 1024 * 1024, 1024 * 1024)
        .await;
    assert_eq!(status, 401);
    assert!(took < Duration::from_secs(5), "{took:?}");
    let (status, _) = app
        .partial_upload(IMPORT, Some("not.a.token"), 200 * 1024 * 1024, 1024 * 1024)
        .await;
    assert_eq!(status, 401);
}

async fn oversize_authenticated_upload_gets_413(app: TestApp) {
    with_ecosystem(&app).await;
    let token = app.login_as(Role::Coordinator).await;
    let (status, took) = app
        .partial_upload(IMPORT, Some(&token), 300 * 1024 * 1024, 1024 * 1024)
        .await;
    assert_eq!(status, 413);
    assert!(took < Duration::from_secs(5), "{took:?}");
}

/// A chunked upload declares no length: the limit applies while the body streams in, so the
/// 413 comes once the limit is passed, long before the client would stop sending.
async fn oversize_chunked_upload_is_cut_off_at_the_limit(app: TestApp) {
    with_ecosystem(&app).await;
    let token = app.login_as(Role::Coordinator).await;
    let head = format!(
        "POST {IMPORT} HTTP/1.1\r\nContent-Type: text/csv\r\nAuthorization: Bearer {token}\r\n"
    );
    let (status, sent) = app.chunked_upload(head, Vec::new()).await;
    assert_eq!(status, 413);
    assert!(
        sent < 1024 * 1024 * 1024,
        "refused while streaming, after {} MiB",
        sent >> 20
    );
}

/// `ayni import observations /dev/zero` stops at its size limit instead of reading forever.
#[test]
fn cli_import_of_dev_zero_is_refused_at_the_limit() {
    let _ = Backend::Sqlite;
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ayni"))
        .env_remove("DATABASE_URL")
        .args([
            "import",
            "observations",
            "/dev/zero",
            "-e",
            "moquegua",
            "-a",
            "1",
        ])
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.path().join("a.db").display()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("larger than"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(60));
}
