//! The public read cache (src/web/cache.rs): anonymous public reads are answered from memory
//! while the audit chain's head stays put, with a weak `ETag` and `304`s; a write is seen by
//! the next read; signed-in requests are never cached nor shared; memory stays bounded.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use ayni::app::Caller;
use ayni::domain::Role;

use crate::both_backends;
use crate::helpers::{TEST_PASSWORD, TestApp};

both_backends!(
    reads_are_hits_until_a_write_and_signed_in_answers_are_never_shared,
    memory_stays_bounded_and_hostile_requests_are_cheap,
);

/// One answer with the headers the cache sets.
#[derive(Debug)]
struct Got {
    status: u16,
    x_cache: String,
    etag: String,
    cache_control: String,
    body: String,
}

async fn send(req: awc::ClientRequest, body: Option<&Value>) -> Got {
    let mut res = match body {
        Some(b) => req.send_json(b).await,
        None => req.send().await,
    }
    .expect("an answer");
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (x_cache, etag, cache_control) =
        (header("x-cache"), header("etag"), header("cache-control"));
    let body = res.body().limit(16 * 1024 * 1024).await.expect("a body");
    Got {
        status: res.status().as_u16(),
        x_cache,
        etag,
        cache_control,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

async fn get(app: &TestApp, path: &str) -> Got {
    send(app.client.get(app.url(path)), None).await
}

async fn gql(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Got {
    let mut req = app.client.post(app.url("/graphql"));
    if let Some(t) = token {
        req = req.insert_header(("authorization", format!("Bearer {t}")));
    }
    send(req, Some(&json!({"query": query, "variables": variables}))).await
}

const SCORECARD: &str = r#"query Tablero { ecosystem(slug: "moquegua") { scorecard(period: "2024") { score coverage perspectives { kind score objectives { code score indicators { code actual status } } } } } }"#;
const VALUES: &str = r#"{ ecosystem(slug: "moquegua") { objectives { indicators { code measurements(status: SUBMITTED) { value evidenceText status } } } } }"#;
const EVIDENCE: &str = "acta-de-cache-Z9Q4";

async fn reads_are_hits_until_a_write_and_signed_in_answers_are_never_shared(app: TestApp) {
    let app = TestApp::spawn_with(app.backend, |s| s.demo = true).await;

    // The portal's ecosystem page: a miss, then a hit with the same body and tag.
    let first = get(&app, "/e/moquegua").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.x_cache, "miss");
    assert_eq!(first.cache_control, "public, max-age=0, must-revalidate");
    assert!(first.etag.starts_with("W/\""), "{}", first.etag);
    let second = get(&app, "/e/moquegua").await;
    assert_eq!(second.x_cache, "hit");
    assert_eq!(second.etag, first.etag);
    assert_eq!(second.body, first.body);
    // Another language is another answer.
    let english = get(&app, "/e/moquegua?lang=en").await;
    assert_eq!(english.x_cache, "miss");
    assert_ne!(english.etag, first.etag);
    // Open data and a 404 are kept too.
    for path in ["/e/moquegua/tablero.csv", "/e/no-existe"] {
        let a = get(&app, path).await;
        let b = get(&app, path).await;
        assert_eq!((a.x_cache.as_str(), b.x_cache.as_str()), ("miss", "hit"));
        assert_eq!((a.status, a.body.clone()), (b.status, b.body), "{path}");
    }

    // `If-None-Match` with the tag: 304 and no body; `*` too once kept; another tag: 200.
    let conditional = |tag: String| {
        app.client
            .get(app.url("/e/moquegua"))
            .insert_header(("if-none-match", tag))
    };
    let not_modified = send(conditional(first.etag.clone()), None).await;
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());
    assert_eq!(not_modified.etag, first.etag);
    assert_eq!(send(conditional("*".into()), None).await.status, 304);
    let other = send(conditional("W/\"0123\"".into()), None).await;
    assert_eq!((other.status, other.x_cache.as_str()), (200, "hit"));
    // A huge header is ignored, fast: the full answer.
    let huge = format!("{}, {}", "W/\"x\", ".repeat(1200), first.etag);
    let started = Instant::now();
    let ignored = send(conditional(huge), None).await;
    assert_eq!(ignored.status, 200);
    assert!(started.elapsed() < Duration::from_secs(2));

    // The anonymous scorecard query: a miss, then a hit; the same JSON spaced differently is
    // the same request.
    let a = gql(&app, None, SCORECARD, json!({})).await;
    assert_eq!((a.status, a.x_cache.as_str()), (200, "miss"), "{}", a.body);
    assert!(!a.etag.is_empty());
    let spaced = format!(
        "{{ \"variables\" : {{}} ,\n \"query\": {} }}",
        serde_json::to_string(SCORECARD).unwrap()
    );
    let b = send(
        app.client
            .post(app.url("/graphql"))
            .insert_header(("content-type", "application/json")),
        None,
    )
    .await;
    assert_eq!(b.status, 400, "an empty body is refused, not cached");
    let mut res = app
        .client
        .post(app.url("/graphql"))
        .insert_header(("content-type", "application/json"))
        .send_body(spaced)
        .await
        .unwrap();
    assert_eq!(res.headers().get("x-cache").unwrap(), "hit");
    assert_eq!(
        String::from_utf8_lossy(&res.body().await.unwrap()),
        a.body,
        "the same answer"
    );
    // A conditional POST is answered in full (304 is for GET).
    let post_conditional = send(
        app.client
            .post(app.url("/graphql"))
            .insert_header(("if-none-match", a.etag.clone())),
        Some(&json!({"query": SCORECARD, "variables": {}})),
    )
    .await;
    assert_eq!(
        (post_conditional.status, post_conditional.x_cache.as_str()),
        (200, "hit")
    );

    // A contributor of the regional government submits a value: pending, private.
    let eco_actor = app
        .app
        .actors()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.name == "Gobierno Regional de Moquegua")
        .unwrap()
        .id;
    let contributor_email = "contribuyente.cache@gore.example.pe";
    app.create_user(contributor_email, Role::Contributor, Some(eco_actor))
        .await;
    let contributor = app.token(contributor_email, TEST_PASSWORD).await;
    let coordinator = app.login_as(Role::Coordinator).await;
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
    let before = gql(&app, None, VALUES, json!({})).await;
    assert_eq!(before.x_cache, "miss");
    let submitted = gql(
        &app,
        Some(&contributor),
        "mutation($i: SubmitMeasurementInput!) { submitMeasurement(input: $i) { id status } }",
        json!({"i": {"indicatorId": indicator, "period": "2025", "territory": "1801",
               "value": 4321.5, "evidenceText": EVIDENCE}}),
    )
    .await;
    assert_eq!(submitted.x_cache, "bypass");
    assert_eq!(submitted.cache_control, "private, no-store");
    let submitted: Value = serde_json::from_str(&submitted.body).unwrap();
    let id = submitted["data"]["submitMeasurement"]["id"].clone();
    assert!(id.is_string(), "{submitted}");

    // The coordinator sees it; that answer is neither cached nor served to the public.
    for _ in 0..2 {
        let seen = gql(&app, Some(&coordinator), VALUES, json!({})).await;
        assert!(seen.body.contains(EVIDENCE), "{}", seen.body);
        assert_eq!(seen.x_cache, "bypass");
        assert_eq!(seen.cache_control, "private, no-store");
        assert!(seen.etag.is_empty());
    }
    let anonymous = gql(&app, None, VALUES, json!({})).await;
    assert!(!anonymous.body.contains(EVIDENCE), "{}", anonymous.body);
    assert_eq!(
        anonymous.x_cache, "miss",
        "the head moved with the submission"
    );
    assert_eq!(gql(&app, None, VALUES, json!({})).await.x_cache, "hit");
    // Signed-in portal reads (token or session cookie) bypass the cache too.
    let with_token = send(
        app.client
            .get(app.url("/e/moquegua"))
            .insert_header(("authorization", format!("Bearer {coordinator}"))),
        None,
    )
    .await;
    assert_eq!(
        (
            with_token.x_cache.as_str(),
            with_token.cache_control.as_str()
        ),
        ("bypass", "private, no-store")
    );
    let with_session = send(
        app.client
            .get(app.url("/e/moquegua"))
            .insert_header(("cookie", "ayni_session=whatever")),
        None,
    )
    .await;
    assert_eq!(with_session.x_cache, "bypass");

    // The page and the open data as the public sees them now, kept.
    let page = get(&app, "/e/moquegua/i/I1.1/valores.csv").await;
    assert_eq!(
        get(&app, "/e/moquegua/i/I1.1/valores.csv").await.x_cache,
        "hit"
    );
    assert!(!page.body.contains(EVIDENCE));
    let old_tag = get(&app, "/e/moquegua").await.etag;

    // The coordinator approves it through GraphQL: the very next anonymous reads show it.
    let approved = gql(
        &app,
        Some(&coordinator),
        "mutation($id: ID!) { approveMeasurement(id: $id) { status } }",
        json!({"id": id}),
    )
    .await;
    assert!(approved.body.contains("APPROVED"), "{}", approved.body);
    let now = get(&app, "/e/moquegua/i/I1.1/valores.csv").await;
    assert_eq!(now.x_cache, "miss");
    assert!(now.body.contains(EVIDENCE), "{}", now.body);
    let approved_values = gql(
        &app,
        None,
        r#"{ ecosystem(slug: "moquegua") { objectives { indicators { measurements(status: APPROVED) { evidenceText } } } } }"#,
        json!({}),
    )
    .await;
    assert!(approved_values.body.contains(EVIDENCE));
    // The old tag no longer matches: the full page, with a new tag.
    let page = send(
        app.client
            .get(app.url("/e/moquegua"))
            .insert_header(("if-none-match", old_tag.clone())),
        None,
    )
    .await;
    assert_eq!(page.status, 200);
    assert_ne!(page.etag, old_tag);

    // Concurrent identical misses are computed once: one miss, the others wait for it.
    let before = app.cache.stats();
    let answers = futures_util::future::join_all(
        (0..8).map(|_| gql(&app, None, SCORECARD, json!({"concurrent": true}))),
    )
    .await;
    let after = app.cache.stats();
    assert!(
        answers
            .iter()
            .all(|a| a.status == 200 && a.body == answers[0].body)
    );
    assert_eq!(after.misses - before.misses, 1, "{before:?} {after:?}");
    assert_eq!(after.hits - before.hits, 7, "{before:?} {after:?}");

    // Mutations and failed queries are never kept.
    for _ in 0..2 {
        let failed = gql(
            &app,
            None,
            "{ ecosystem(slug: \"moquegua\") { nope } }",
            json!({}),
        )
        .await;
        assert_eq!(failed.x_cache, "", "{}", failed.body);
        assert!(failed.etag.is_empty());
    }
    let stats = app.cache.stats();
    assert!(stats.hits >= 8 && stats.misses >= 8, "{stats:?}");
}

async fn memory_stays_bounded_and_hostile_requests_are_cheap(app: TestApp) {
    const BUDGET: u64 = 64 * 1024;
    let app = TestApp::spawn_with(app.backend, |s| {
        s.cache.max_bytes = BUDGET;
        s.cache.head_check = Duration::from_millis(100);
    })
    .await;
    // Many distinct query strings: each is kept, the oldest go, the total stays in budget.
    for i in 0..400 {
        let a = get(
            &app,
            &format!("/datos/ecosistemas.json?n={i}&relleno={}", "x".repeat(300)),
        )
        .await;
        assert_eq!((a.status, a.x_cache.as_str()), (200, "miss"));
    }
    let stats = app.cache.stats();
    assert!(stats.bytes <= BUDGET, "{stats:?}");
    assert!(stats.entries > 5 && stats.entries < 400, "{stats:?}");

    // A write by another process (a second server on the same database) is seen once the
    // known head is older than the check interval.
    let home = get(&app, "/").await;
    assert_eq!(get(&app, "/").await.x_cache, "hit");
    assert!(!home.body.contains("Ecosistema Otro Proceso"));
    let other = ayni::db::Db::connect(&app.database_url, 1).unwrap();
    let other = ayni::app::Ayni::new(
        other,
        ayni::auth::TokenKeys::configured(crate::helpers::TEST_JWT_SECRET.as_bytes(), 3600),
    );
    other
        .create_ecosystem(
            &Caller::operator(),
            ayni::app::EcosystemInput {
                slug: "otro".into(),
                name: "Ecosistema Otro Proceso".into(),
                territory: "1803".into(),
                mission: String::new(),
                vision: String::new(),
                horizon_start: 2024,
                horizon_end: 2030,
            },
        )
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let home = get(&app, "/").await;
        if home.body.contains("Ecosistema Otro Proceso") {
            assert_eq!(home.x_cache, "miss");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "another process's write is seen within the check interval"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The cache can be turned off: every read passes through.
    let off = TestApp::spawn_with(app.backend, |s| s.cache.max_bytes = 0).await;
    for _ in 0..2 {
        let a = get(&off, "/datos/ecosistemas.json").await;
        assert_eq!((a.status, a.x_cache.as_str()), (200, ""));
    }
}
