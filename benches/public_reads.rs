//! Public read throughput: `cargo bench --bench public_reads`.
//!
//! For each backend (`AYNI_BENCH_BACKENDS`, default `sqlite,postgres`) it generates the
//! synthetic ecosystem at scale 1 (`AYNI_BENCH_SCALE`), serves it twice on the same
//! database — once with the public read cache (warm: every read after the first is a hit),
//! once with it off (cold: every read computes its answer) — and, in the same run, drives
//! each of these with 8 concurrent clients (`AYNI_BENCH_CLIENTS`) for
//! `AYNI_BENCH_SECS` seconds (default 5): `GET /api/v1/health`, the anonymous scorecard
//! query (`POST /graphql`), and the portal's ecosystem page (`GET /e/{slug}`). It prints
//! requests per second, p50 and p99 latency, and each figure's ratio to the health
//! endpoint's throughput; then the cold reads once more with a single client. The clients
//! are awc on one thread of this process, on the same machine: their own cost is in every
//! figure, the health endpoint's included. It prints the numbers; it asserts nothing but
//! that every answer is a 200 (and, warm, a cache hit).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::rc::Rc;
use std::time::{Duration, Instant};

use ayni::app::Caller;
use ayni::config::{CacheSettings, DatabaseUrl, Settings};
use ayni::startup::Application;

#[derive(Clone)]
enum Target {
    Get(String),
    Post(String, serde_json::Value),
}

struct Measured {
    requests: usize,
    per_sec: f64,
    p50: Duration,
    p99: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `clients` loops sending `target` until `secs` have passed.
async fn drive(
    client: &Rc<awc::Client>,
    target: &Target,
    clients: usize,
    secs: f64,
    expect_hit: bool,
) -> Measured {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let loops = (0..clients).map(|_| {
        let client = Rc::clone(client);
        let target = target.clone();
        async move {
            let mut times = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let mut res = match &target {
                    Target::Get(url) => client.get(url).send().await,
                    Target::Post(url, body) => client.post(url).send_json(body).await,
                }
                .expect("an answer");
                let body = res.body().limit(64 * 1024 * 1024).await.expect("a body");
                assert_eq!(
                    res.status().as_u16(),
                    200,
                    "{}",
                    String::from_utf8_lossy(&body)
                );
                if expect_hit {
                    assert_eq!(res.headers().get("x-cache").unwrap(), "hit");
                }
                times.push(t.elapsed());
            }
            times
        }
    });
    let mut times: Vec<Duration> = futures_util::future::join_all(loops)
        .await
        .into_iter()
        .flatten()
        .collect();
    let elapsed = started.elapsed();
    times.sort();
    Measured {
        requests: times.len(),
        per_sec: times.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&times, 0.5),
        p99: percentile(&times, 0.99),
    }
}

async fn serve(url: &DatabaseUrl, cache: CacheSettings) -> (Application, String) {
    let mut settings = Settings::new(url.clone(), "127.0.0.1:0".parse().unwrap());
    settings.jwt_secret = Some("bench-secret-bench-secret-bench-secret-00".into());
    settings.pool_size = 8;
    settings.cache = cache;
    let application = Application::build(&settings).await.expect("app");
    let base = format!("http://127.0.0.1:{}", application.port());
    (application, base)
}

async fn bench_backend(backend: &str, url: DatabaseUrl, scale: usize, clients: usize, secs: f64) {
    let (warm, warm_base) = serve(&url, CacheSettings::default()).await;
    let started = Instant::now();
    let made = warm
        .app()
        .generate_bench_data(&Caller::operator(), scale)
        .await
        .expect("generate");
    let load = started.elapsed();
    let (cold, cold_base) = serve(
        &url,
        CacheSettings {
            max_bytes: 0,
            ..CacheSettings::default()
        },
    )
    .await;
    actix_web::rt::spawn(warm.run_until_stopped());
    actix_web::rt::spawn(cold.run_until_stopped());
    let client = Rc::new(
        awc::Client::builder()
            .timeout(Duration::from_secs(120))
            .finish(),
    );
    let query = serde_json::json!({"query": format!(
        "{{ ecosystem(slug: \"{}\") {{ scorecard(period: \"2024\") {{ score coverage perspectives {{ kind score coverage status \
         objectives {{ code score coverage status indicators {{ code actual target progress attainment status onTrack }} }} }} }} }} }}",
        made.slug)});
    let scorecard = |base: &str| Target::Post(format!("{base}/graphql"), query.clone());
    let page = |base: &str| Target::Get(format!("{base}/e/{}", made.slug));
    println!(
        "{backend}: scale {scale}, {} indicators, {} measurements (loaded in {:.1} s); {clients} clients, {secs} s each",
        made.indicators,
        made.measurements,
        load.as_secs_f64()
    );
    // Warm the cache (one miss each), then measure everything in one go.
    for target in [scorecard(&warm_base), page(&warm_base)] {
        let res = match &target {
            Target::Get(url) => client.get(url).send().await,
            Target::Post(url, body) => client.post(url).send_json(body).await,
        };
        let mut res = res.expect("an answer");
        res.body().limit(64 * 1024 * 1024).await.expect("a body");
        assert_eq!(res.headers().get("x-cache").unwrap(), "miss");
    }
    let runs = [
        (
            "health",
            Target::Get(format!("{warm_base}/api/v1/health")),
            clients,
            false,
        ),
        ("scorecard, warm", scorecard(&warm_base), clients, true),
        ("scorecard, cold", scorecard(&cold_base), clients, false),
        ("ecosystem page, warm", page(&warm_base), clients, true),
        ("ecosystem page, cold", page(&cold_base), clients, false),
        ("scorecard, cold, 1 client", scorecard(&cold_base), 1, false),
        ("ecosystem page, cold, 1 client", page(&cold_base), 1, false),
    ];
    let mut health = None;
    println!(
        "| backend | read | clients | requests | req/s | p50 ms | p99 ms | ÷ health |\n|---|---|---|---|---|---|---|---|"
    );
    for (name, target, n, hit) in runs {
        let m = drive(&client, &target, n, secs, hit).await;
        let base = *health.get_or_insert(m.per_sec);
        println!(
            "| {backend} | {name} | {n} | {} | {:.0} | {:.2} | {:.2} | {:.2} |",
            m.requests,
            m.per_sec,
            ms(m.p50),
            ms(m.p99),
            m.per_sec / base
        );
    }
}

fn main() {
    let scale: usize = support::env_or("AYNI_BENCH_SCALE", 1);
    let clients: usize = support::env_or("AYNI_BENCH_CLIENTS", 8);
    let secs: f64 = support::env_or("AYNI_BENCH_SECS", 5.0);
    let backends =
        std::env::var("AYNI_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    actix_web::rt::System::new().block_on(async move {
        for backend in backends.split(',').map(str::trim) {
            let (url, _dir) = support::fresh_database(backend);
            bench_backend(backend, url, scale, clients, secs).await;
        }
    });
}
