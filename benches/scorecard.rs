//! Scorecard latency benchmark: `cargo bench --bench scorecard`.
//!
//! For each backend (SQLite file; PostgreSQL started in a temporary directory like the test
//! suite does) it generates the synthetic ecosystem at each scale (`AYNI_BENCH_SCALES`,
//! default `1,5`), serves the app on a free port and times `scorecard(period: "2024")` over
//! HTTP (`AYNI_BENCH_REQUESTS` sequential requests, default 200, after 10 warm-ups), then the
//! same roll-up as one hand-written SQL statement. After the larger scale is loaded it times
//! the scale-1 ecosystem again: the same indicators, five times more stored measurements.
//! It prints the numbers; it asserts nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use diesel::sql_types::{Double, Nullable};

use ayni::app::Caller;
use ayni::config::{DatabaseUrl, Settings};
use ayni::startup::Application;

#[derive(diesel::QueryableByName)]
struct Rollup {
    #[diesel(sql_type = Nullable<Double>)]
    score: Option<f64>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn time_http(
    client: &awc::Client,
    url: &str,
    slug: &str,
    n: usize,
) -> (Duration, Duration, f64) {
    let body = serde_json::json!({"query": format!(
        "{{ ecosystem(slug: \"{slug}\") {{ scorecard(period: \"2024\") {{ score coverage perspectives {{ kind score coverage status \
         objectives {{ code score coverage status indicators {{ code actual target progress attainment status onTrack }} }} }} }} }} }}")});
    let mut score = 0.0;
    let mut times = Vec::with_capacity(n);
    for i in 0..n + 10 {
        let started = Instant::now();
        let mut res = client.post(url).send_json(&body).await.expect("request");
        let v: serde_json::Value = res.json().limit(64 * 1024 * 1024).await.expect("json");
        if i >= 10 {
            times.push(started.elapsed());
        }
        score = v["data"]["ecosystem"]["scorecard"]["score"]
            .as_f64()
            .expect("a score");
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99), score)
}

async fn time_sql(url: &DatabaseUrl, ecosystem_id: i64, n: usize) -> (Duration, Duration, f64) {
    let sql = handwritten_rollup_sql(ecosystem_id, "18", "2024-01-01", "2024-12-31");
    let mut conn = ayni::db::open_connection(url).expect("a direct connection");
    let mut times = Vec::with_capacity(n);
    let mut score = 0.0;
    for _ in 0..n {
        let sql = sql.clone();
        let started = Instant::now();
        let rows: Vec<Rollup> = diesel::sql_query(sql)
            .load::<Rollup>(&mut conn)
            .expect("roll-up query");
        times.push(started.elapsed());
        score = rows.first().and_then(|r| r.score).unwrap_or(f64::NAN);
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99), score)
}

async fn bench_backend(backend: &str, url: DatabaseUrl, scales: &[usize], requests: usize) {
    let mut settings = Settings::new(url.clone(), "127.0.0.1:0".parse().unwrap());
    settings.jwt_secret = Some("bench-secret-bench-secret-bench-secret-00".into());
    let application = Application::build(&settings).await.expect("app");
    let app = application.app().clone();
    let endpoint = format!("http://127.0.0.1:{}/graphql", application.port());
    actix_web::rt::spawn(application.run_until_stopped());
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(120))
        .finish();
    let mut first: Option<(String, i64)> = None;
    for &scale in scales {
        let started = Instant::now();
        let made = app
            .generate_bench_data(&Caller::operator(), scale)
            .await
            .expect("generate");
        let load = started.elapsed();
        let (p50, p99, score) = time_http(&client, &endpoint, &made.slug, requests).await;
        let (s50, s99, sql_score) = time_sql(&url, made.ecosystem_id, requests).await;
        println!(
            "{backend:8} N={scale:<2} {:>5} indicators {:>9} measurements (loaded in {:>5.1} s) | scorecard over HTTP p50 {:>7.2} ms p99 {:>7.2} ms | hand-written SQL p50 {:>7.2} ms p99 {:>7.2} ms | score {:.4} vs SQL {:.4}",
            made.indicators,
            made.measurements,
            load.as_secs_f64(),
            ms(p50),
            ms(p99),
            ms(s50),
            ms(s99),
            score,
            sql_score
        );
        match &first {
            None => first = Some((made.slug.clone(), made.ecosystem_id)),
            Some((slug, _)) => {
                let (p50, p99, _) = time_http(&client, &endpoint, slug, requests).await;
                println!(
                    "{backend:8} N=1 again, with N={scale} also stored            | scorecard over HTTP p50 {:>7.2} ms p99 {:>7.2} ms",
                    ms(p50),
                    ms(p99)
                );
            }
        }
    }
}

fn main() {
    let scales: Vec<usize> = std::env::var("AYNI_BENCH_SCALES")
        .unwrap_or_else(|_| "1,5".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let requests: usize = std::env::var("AYNI_BENCH_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let backends =
        std::env::var("AYNI_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    actix_web::rt::System::new().block_on(async move {
        for backend in backends.split(',').map(str::trim) {
            let (url, _dir) = support::fresh_database(backend);
            bench_backend(backend, url, &scales, requests).await;
        }
    });
}

/// The scorecard's roll-up as one hand-written SQL statement (for comparison in the
/// benchmark): latest value in the period for `last` indicators, sum up to its end for
/// `sum` ones, progress toward the next target capped at 1, weighted means per objective,
/// plain means per perspective and for the ecosystem. Portable SQL (SQLite and PostgreSQL).
fn handwritten_rollup_sql(ecosystem_id: i64, territory: &str, start: &str, end: &str) -> String {
    format!(
        "WITH actual AS (
           SELECT i.id, i.objective_id, i.weight, i.baseline_value AS b,
             CASE WHEN i.aggregation = 'last' THEN
               (SELECT m.value FROM measurements m WHERE m.indicator_id = i.id AND m.counted AND m.territory = '{territory}'
                  AND m.disaggregation = '' AND m.period_start >= '{start}' AND m.period_end <= '{end}'
                ORDER BY m.period_end DESC LIMIT 1)
             ELSE i.baseline_value +
               (SELECT SUM(m.value) FROM measurements m WHERE m.indicator_id = i.id AND m.counted AND m.territory = '{territory}'
                  AND m.disaggregation = '' AND m.period_end <= '{end}')
             END AS a,
             COALESCE((SELECT t.value FROM targets t WHERE t.indicator_id = i.id AND t.period_end >= '{end}' ORDER BY t.period_end LIMIT 1),
                      (SELECT t.value FROM targets t WHERE t.indicator_id = i.id ORDER BY t.period_end DESC LIMIT 1)) AS t
           FROM indicators i WHERE i.ecosystem_id = {ecosystem_id}),
         progress AS (
           SELECT objective_id, weight,
             CASE WHEN a IS NULL OR t IS NULL OR b IS NULL THEN NULL
                  WHEN t = b THEN 1.0
                  WHEN (a - b) / (t - b) > 1.0 THEN 1.0 ELSE (a - b) / (t - b) END AS p
           FROM actual),
         objective_score AS (
           SELECT o.id, o.perspective_id, SUM(p.weight * p.p) / SUM(CASE WHEN p.p IS NULL THEN NULL ELSE p.weight END) AS s
           FROM objectives o JOIN progress p ON p.objective_id = o.id GROUP BY o.id, o.perspective_id),
         perspective_score AS (
           SELECT os.perspective_id, SUM(o.weight * os.s) / SUM(CASE WHEN os.s IS NULL THEN NULL ELSE o.weight END) AS s
           FROM objective_score os JOIN objectives o ON o.id = os.id GROUP BY os.perspective_id)
         SELECT AVG(s) AS score FROM perspective_score"
    )
}
