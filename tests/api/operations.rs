//! Operations endpoints: `/livez`, `/readyz`, Prometheus `/metrics` (bounded label sets, the
//! pool, the audit head, rows approved, an optional token) and `X-Request-Id` on every answer.

use std::time::{Duration, Instant};

use awc::http::StatusCode;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(metrics_liveness_readiness_and_request_ids);

async fn text(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.insert_header(("authorization", format!("Bearer {t}")));
    }
    let mut res = req.send().await.unwrap();
    let body = res.body().limit(8 * 1024 * 1024).await.unwrap();
    (res.status(), String::from_utf8_lossy(&body).into_owned())
}

/// The value of the first sample line starting with `series`.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn metrics_liveness_readiness_and_request_ids(app: TestApp) {
    assert_eq!(
        text(&app, "/livez", None).await,
        (StatusCode::OK, "ok\n".into())
    );
    assert_eq!(text(&app, "/readyz", None).await.0, StatusCode::OK);

    // Every answer carries its own request id.
    let ids: Vec<String> = futures_util::future::join_all(
        (0..3).map(|_| app.client.get(app.url("/api/v1/health")).send()),
    )
    .await
    .into_iter()
    .map(|r| {
        r.unwrap()
            .headers()
            .get("x-request-id")
            .expect("x-request-id")
            .to_str()
            .unwrap()
            .to_string()
    })
    .collect();
    assert!(ids.iter().all(|i| i.len() >= 16), "{ids:?}");
    assert!(ids[0] != ids[1] && ids[1] != ids[2], "{ids:?}");

    // Many distinct unknown paths: one series, not one per path.
    for i in 0..50 {
        let (status, _) = text(&app, &format!("/no/such/page-{i}-zq"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    crate::scorecard_support::seeded_with_values(&app).await;

    let (status, m) = text(&app, "/metrics", None).await;
    assert_eq!(status, StatusCode::OK, "{m}");
    let health = sample(
        &m,
        "ayni_http_requests_total{method=\"GET\",route=\"/api/v1/health\",status=\"200\"}",
    );
    assert!(health.is_some_and(|n| n >= 3.0), "{m}");
    assert_eq!(
        sample(
            &m,
            "ayni_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}"
        ),
        Some(50.0),
        "{m}"
    );
    assert!(!m.contains("page-7-zq"), "raw paths are never labels");
    assert!(
        m.contains("ayni_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/health\",le=\"0.005\"}"),
        "{m}"
    );
    assert!(
        sample(&m, "ayni_audit_head_seq").is_some_and(|s| s > 0.0),
        "{m}"
    );
    assert!(
        sample(&m, "ayni_db_pool_connections{state=\"max\"}").is_some_and(|n| n >= 1.0),
        "{m}"
    );
    assert!(
        sample(&m, "ayni_db_pool_connections{state=\"open\"}").is_some_and(|n| n >= 1.0),
        "{m}"
    );
    assert!(
        sample(&m, "ayni_rows_total{kind=\"approved\"}").is_some_and(|n| n > 0.0),
        "the seeded values were approved through this service: {m}"
    );
    assert!(
        !m.contains("@ayni.test"),
        "no user's address in the metrics"
    );

    // With a token configured: refused without it or with another one, fast.
    let guarded = TestApp::spawn_with(app.backend, |s| {
        s.metrics_token = Some("un-token-largo-para-prometheus".into())
    })
    .await;
    assert_eq!(
        text(&guarded, "/metrics", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        text(&guarded, "/metrics", Some("otro")).await.0,
        StatusCode::UNAUTHORIZED
    );
    let started = Instant::now();
    let huge = "x".repeat(30_000);
    let status = text(&guarded, "/metrics", Some(&huge)).await.0;
    assert!(matches!(status.as_u16(), 401 | 431), "{status}");
    assert!(started.elapsed() < Duration::from_secs(2));
    let (status, m) = text(&guarded, "/metrics", Some("un-token-largo-para-prometheus")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(m.contains("ayni_http_requests_total"), "{m}");
    // Liveness and readiness stay open: probes carry no token.
    assert_eq!(text(&guarded, "/readyz", None).await.0, StatusCode::OK);
}
