//! Operations endpoints and the request measurements behind them:
//!
//! - `GET /metrics`: Prometheus' text format — requests and latency by route pattern (never by
//!   raw path, so the number of series stays bounded), the connection pool, the audit head,
//!   the rows this process imported and approved, and the public-read cache's hits and size.
//!   With `AYNI_METRICS_TOKEN` set it answers only `Authorization: Bearer <token>`.
//! - `GET /livez`: the process answers (no database call): for a supervisor's restart rule.
//! - `GET /readyz`: the database answers: for a load balancer's routing rule.
//! - Every response carries `X-Request-Id`, the id tracing-actix-web gave the request; the
//!   same id is in the request's log lines.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::app::Ayni;

/// The measurements of one server: its own registry, so that several servers in one process
/// (the tests) keep apart.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    pool: IntGaugeVec,
    audit_head: IntGauge,
    work: IntGaugeVec,
    cache: IntGaugeVec,
    /// `AYNI_METRICS_TOKEN`: when set, `/metrics` needs it as a bearer token.
    token: Option<String>,
}

/// Latency buckets, in seconds: from a cache hit to a slow report.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

impl Metrics {
    pub fn new(token: Option<String>) -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new_custom(Some("ayni".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered"),
            &["method", "route", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer an HTTP request",
            )
            .buckets(BUCKETS.to_vec()),
            &["method", "route"],
        )?;
        let pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database connections of the pool"),
            &["state"],
        )?;
        let audit_head = IntGauge::new("audit_head_seq", "The audit chain's newest entry")?;
        let work = IntGaugeVec::new(
            Opts::new(
                "rows_total",
                "Rows this process has imported and approved since it started",
            ),
            &["kind"],
        )?;
        let cache = IntGaugeVec::new(
            Opts::new(
                "public_cache",
                "The public-read cache: hits and misses since start, entries and bytes kept",
            ),
            &["kind"],
        )?;
        registry.register(Box::new(cache.clone()))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(audit_head.clone()))?;
        registry.register(Box::new(work.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            duration,
            pool,
            audit_head,
            work,
            cache,
            token: token.filter(|t| !t.is_empty()),
        })
    }

    /// Registers another collector (the public-read cache's) in this server's registry.
    pub fn register(
        &self,
        c: Box<dyn prometheus::core::Collector>,
    ) -> Result<(), prometheus::Error> {
        self.registry.register(c)
    }
}

/// A method as a label: the usual ones by name, anything else as `OTHER`.
fn method_label(m: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Around every request: counts it and its latency by route pattern, and answers with its
/// request id.
pub async fn measure(
    metrics: web::Data<Metrics>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let request_id: Option<String> = actix_web::HttpMessage::extensions(&req)
        .get::<tracing_actix_web::RequestId>()
        .map(|id| id.to_string());
    let mut res = next.call(req).await?;
    let elapsed = started.elapsed();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let status = res.status();
    metrics
        .requests
        .with_label_values(&[method, &route, status.as_str()])
        .inc();
    metrics
        .duration
        .with_label_values(&[method, &route])
        .observe(elapsed.as_secs_f64());
    let ms = elapsed.as_secs_f64() * 1000.0;
    let id = request_id.as_deref().unwrap_or("");
    if status.is_server_error() {
        tracing::warn!(target: "ayni::http", request_id = id, method, route, status = status.as_u16(), ms, "request failed");
    } else {
        tracing::debug!(target: "ayni::http", request_id = id, method, route, status = status.as_u16(), ms, "request");
    }
    if let Some(value) = request_id.and_then(|id: String| HeaderValue::from_str(&id).ok()) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/metrics").route(web::get().to(metrics)))
        .service(web::resource("/livez").route(web::get().to(live)))
        .service(web::resource("/readyz").route(web::get().to(ready)));
}

fn plain(status: actix_web::http::StatusCode, body: &'static str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

async fn live() -> HttpResponse {
    plain(actix_web::http::StatusCode::OK, "ok\n")
}

async fn ready(app: web::Data<Ayni>) -> HttpResponse {
    match app.ping().await.is_ok() {
        true => plain(actix_web::http::StatusCode::OK, "ready\n"),
        false => plain(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "the database does not answer\n",
        ),
    }
}

/// Whether a request carries the metrics token (compared in constant time).
fn authorised(metrics: &Metrics, req: &HttpRequest) -> bool {
    let Some(token) = &metrics.token else {
        return true;
    };
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|sent| crate::web::workspace::same_token(sent.trim(), token))
}

async fn metrics(
    req: HttpRequest,
    app: web::Data<Ayni>,
    metrics: web::Data<Metrics>,
    cache: web::Data<crate::web::cache::PublicCache>,
) -> HttpResponse {
    if !authorised(&metrics, &req) {
        return HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
            .content_type("text/plain; charset=utf-8")
            .body("a bearer token is needed (AYNI_METRICS_TOKEN)\n");
    }
    let (open, idle, max) = app.pool_state();
    metrics.pool.with_label_values(&["open"]).set(open.into());
    metrics.pool.with_label_values(&["idle"]).set(idle.into());
    metrics
        .pool
        .with_label_values(&["in_use"])
        .set(open.saturating_sub(idle).into());
    metrics.pool.with_label_values(&["max"]).set(max.into());
    if let Ok(head) = app.audit_head().await {
        metrics.audit_head.set(head.seq);
    }
    let work = app.work();
    metrics
        .work
        .with_label_values(&["imported"])
        .set(i64::try_from(work.imported_rows()).unwrap_or(i64::MAX));
    metrics
        .work
        .with_label_values(&["approved"])
        .set(i64::try_from(work.approved_values()).unwrap_or(i64::MAX));
    let stats = cache.stats();
    for (kind, n) in [
        ("hits", stats.hits),
        ("misses", stats.misses),
        ("entries", stats.entries),
        ("bytes", stats.bytes),
    ] {
        metrics
            .cache
            .with_label_values(&[kind])
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    let mut out = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&metrics.registry.gather(), &mut out) {
        tracing::error!("metrics: {e}");
        return plain(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "metrics could not be written\n",
        );
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(out)
}
