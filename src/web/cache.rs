//! The public read cache: anonymous reads of public answers (portal pages, open data, the
//! GraphQL queries), kept in memory and keyed by what was asked
//! and the audit chain's head. Public answers change only when the head moves, which every
//! audited write does, so an answer stored under a head is exact for as long as that head is
//! current. See docs/performance.md ("The public read cache").
//!
//! - **What is asked**: the method, the path and the raw query string (the portal's language
//!   is `?lang=`; no handler here reads `Accept-Language` or cookies), and for `POST /graphql`
//!   the JSON body, re-serialised so that whitespace outside strings does not matter. The
//!   request is digested (SHA-256) so that keys weigh the same whatever was sent.
//! - **The head**: [`crate::db::head`] — published in process by every audited write, right
//!   after its commit; read again from the database when older than the check interval, so a
//!   write of another process is seen within it.
//! - **The day** (UTC): a few answers count days (commitments due, the current year).
//! - **`ETag`**: weak (`W/"…"`), derived from the key: the same request under the same head
//!   and day gives an equivalent answer, not a promise of identical bytes across processes.
//!   `If-None-Match` with it answers `304` with no body, without running the handler (even
//!   when the entry has been evicted). `POST /graphql` gets an `ETag` but never a `304`
//!   (RFC 9110: a failed `If-None-Match` on other methods than GET/HEAD means 412, which a
//!   GraphQL client would not expect; the header is ignored there).
//! - **Kept**: `200` and `404` answers with a known length (not the live events stream),
//!   that set no cookie and no `Cache-Control: no-store` or `private` of their own (the
//!   portal's `no-cache` is replaced by the cache's own), no larger than a quarter of the
//!   cache; GraphQL only when every operation is a query and none failed ([`Shareable`]).
//!   Anything else passes through untouched.
//! - **Signed-in requests** (an `Authorization` header, or the workspace session cookie) are
//!   never answered from the cache nor stored into it, and get `Cache-Control: private,
//!   no-store`.
//! - **Headers**: anonymous answers carry `Cache-Control: public, max-age=0, must-revalidate`
//!   (a shared proxy may keep them but asks again each time; the `304` is cheap) and
//!   `X-Cache: hit` or `miss`; signed-in ones `X-Cache: bypass`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage, HttpResponse};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::app::Ayni;
use crate::config::CacheSettings;
use crate::db::AuditTip;

/// `Cache-Control` of anonymous public answers.
pub const PUBLIC: &str = "public, max-age=0, must-revalidate";
/// `Cache-Control` of answers to signed-in requests on the same routes.
pub const PRIVATE: &str = "private, no-store";
/// The header telling whether the cache answered.
pub const X_CACHE: &str = "x-cache";
/// `If-None-Match` values longer than this are ignored (no list of tags is that long).
pub const MAX_IF_NONE_MATCH: usize = 512;

/// Put on a GraphQL response by the handler when it may be shared: anonymous, every
/// operation a query, no error.
#[derive(Debug, Clone, Copy)]
pub struct Shareable;

/// Which cacheable reads a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A `GET` of a portal page or an open-data file.
    Get,
    /// `POST /graphql`.
    GraphQl,
}

/// The reads the cache may answer: the portal (`/`, `/e/…` except the live events stream),
/// the open data (`/datos/…`) and GraphQL. The workspace (`/app`), static files (already
/// immutable), health and everything else are not, nor the public audit reads
/// (`/api/v1/audit/…`): they are how anyone detects an entry altered behind the application,
/// which moves no head, so they always read the database.
pub fn route(method: &Method, path: &str) -> Option<Route> {
    if method == Method::POST && path == "/graphql" {
        return Some(Route::GraphQl);
    }
    if method != Method::GET {
        return None;
    }
    let portal = path == "/" || path.starts_with("/e/") || path.starts_with("/datos/");
    (portal && !path.ends_with("/eventos")).then_some(Route::Get)
}

/// A digest of what was asked: method, path, query string and (GraphQL) the body.
pub fn request_digest(method: &str, path: &str, query: &str, body: Option<&[u8]>) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), query.as_bytes()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    if let Some(body) = body {
        h.update((body.len() as u64).to_be_bytes());
        h.update(body);
    }
    h.finalize().into()
}

/// The entry's key: what was asked, under which head, on which day.
pub fn entry_key(request: &[u8; 32], tip: &AuditTip, day: i32) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(request);
    h.update(tip.seq.to_be_bytes());
    h.update((tip.hash.len() as u64).to_be_bytes());
    h.update(tip.hash.as_bytes());
    h.update(day.to_be_bytes());
    h.finalize().into()
}

/// The weak `ETag` of an entry key.
pub fn etag(key: &[u8; 32]) -> String {
    format!("W/\"{}\"", hex::encode(&key[..16]))
}

/// What an `If-None-Match` value says about `etag` (weak comparison). Values longer than
/// [`MAX_IF_NONE_MATCH`] are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// No header, a huge one, or other tags: answer in full.
    None,
    /// `*`: any current representation.
    Any,
    /// The header names this tag.
    Names,
}

pub fn if_none_match(value: &str, etag: &str) -> Condition {
    if value.len() > MAX_IF_NONE_MATCH {
        return Condition::None;
    }
    let opaque = |t: &str| {
        let t = t.trim();
        t.strip_prefix("W/").unwrap_or(t).to_string()
    };
    let wanted = opaque(etag);
    let tags = || value.split(',').map(str::trim);
    if tags().any(|t| t.starts_with(['"', 'W']) && opaque(t) == wanted) {
        Condition::Names
    } else if tags().any(|t| t == "*") {
        Condition::Any
    } else {
        Condition::None
    }
}

/// A GraphQL body with insignificant whitespace and (when serde_json keeps maps sorted) key
/// order removed; `None` when it is not JSON (the handler refuses it).
pub fn normalized_graphql_body(body: &[u8]) -> Option<Vec<u8>> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    serde_json::to_vec(&value).ok()
}

/// One kept answer.
#[derive(Debug)]
struct Entry {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

impl Entry {
    /// Bytes this entry holds, roughly: body, headers, key and bookkeeping.
    fn weight(&self) -> u32 {
        let headers: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 32)
            .sum();
        u32::try_from(self.body.len() + headers + 160).unwrap_or(u32::MAX)
    }
}

/// How often the cache answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    /// Entries and their weight in bytes (moka settles these lazily).
    pub entries: u64,
    pub bytes: u64,
}

struct Inner {
    app: Ayni,
    map: moka::sync::Cache<[u8; 32], Arc<Entry>>,
    settings: CacheSettings,
    max_entry: u64,
    hits: AtomicU64,
    misses: AtomicU64,
    /// The head's sequence number last seen: when it moves, every entry is dropped at once
    /// (they could no longer be reached anyway).
    last_seq: AtomicI64,
    /// Keys being computed (concurrent misses of one key wait for the first).
    in_flight: InFlightKeys,
}

/// The cache; cheap to clone. Off (`max_bytes == 0`): every request passes through.
#[derive(Clone)]
pub struct PublicCache {
    inner: Option<Arc<Inner>>,
}

impl PublicCache {
    pub fn new(app: Ayni, settings: CacheSettings) -> PublicCache {
        if settings.max_bytes == 0 {
            return PublicCache { inner: None };
        }
        let map = moka::sync::Cache::builder()
            .max_capacity(settings.max_bytes)
            .weigher(|_key: &[u8; 32], entry: &Arc<Entry>| entry.weight())
            .time_to_live(settings.ttl)
            .build();
        PublicCache {
            inner: Some(Arc::new(Inner {
                app,
                map,
                settings,
                max_entry: (settings.max_bytes / 4).min(u64::from(u32::MAX)),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                last_seq: AtomicI64::new(i64::MIN),
                in_flight: InFlightKeys::default(),
            })),
        }
    }

    /// A cache that keeps nothing.
    pub fn disabled() -> PublicCache {
        PublicCache { inner: None }
    }

    pub fn stats(&self) -> CacheStats {
        match &self.inner {
            None => CacheStats::default(),
            Some(i) => {
                i.map.run_pending_tasks();
                CacheStats {
                    hits: i.hits.load(Ordering::Relaxed),
                    misses: i.misses.load(Ordering::Relaxed),
                    entries: i.map.entry_count(),
                    bytes: i.map.weighted_size(),
                }
            }
        }
    }
}

/// Whether the request is signed in: a bearer token, or the workspace's session cookie.
fn signed_in(req: &ServiceRequest) -> bool {
    req.headers().contains_key(header::AUTHORIZATION)
        || req.cookie(crate::web::workspace::SESSION_COOKIE).is_some()
}

/// The middleware (`actix_web::middleware::from_fn`), around the whole application.
pub async fn public_reads(
    cache: PublicCache,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(kind) = route(req.method(), req.path()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if signed_in(&req) {
        let mut res = next.call(req).await?;
        let headers = res.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PRIVATE));
        headers.insert(
            HeaderName::from_static(X_CACHE),
            HeaderValue::from_static("bypass"),
        );
        return Ok(res.map_into_boxed_body());
    }
    let Some(inner) = cache.inner.clone() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // What was asked; a GraphQL body is read here (within the handler's own limit, when its
    // length is declared) and handed on unchanged.
    let body = match kind {
        Route::Get => None,
        Route::GraphQl => {
            let declared = req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok());
            let Some(declared) = declared.filter(|n| *n <= crate::graphql::MAX_BODY_BYTES) else {
                return Ok(next.call(req).await?.map_into_boxed_body());
            };
            let bytes = read_body(&mut req, declared).await?;
            req.set_payload(Payload::from(bytes.clone()));
            match normalized_graphql_body(&bytes) {
                Some(normalized) => Some(normalized),
                None => return Ok(next.call(req).await?.map_into_boxed_body()),
            }
        }
    };
    let asked = request_digest(
        req.method().as_str(),
        req.path(),
        req.query_string(),
        body.as_deref(),
    );
    let tip = match inner.app.known_audit_tip(inner.settings.head_check).await {
        Ok(tip) => tip,
        Err(e) => {
            e.log();
            return Ok(next.call(req).await?.map_into_boxed_body());
        }
    };
    if inner.last_seq.swap(tip.seq, Ordering::Relaxed) != tip.seq {
        inner.map.invalidate_all();
    }
    let day = chrono::Datelike::num_days_from_ce(&chrono::Utc::now().date_naive());
    let key = entry_key(&asked, &tip, day);
    let tag = etag(&key);
    let condition = match req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(v) if kind == Route::Get => if_none_match(v, &tag),
        _ => Condition::None,
    };
    // Concurrent misses of one key are computed once: the first request leads, the others
    // wait for its answer (at most `COALESCE_WAIT`), then compute their own if none was kept.
    let mut waited = false;
    let _leading = loop {
        if let Some(entry) = inner.map.get(&key) {
            inner.hits.fetch_add(1, Ordering::Relaxed);
            let res = if condition != Condition::None && entry.status == StatusCode::OK {
                not_modified(&tag, "hit")
            } else {
                replay(&entry, &tag, "hit")
            };
            return Ok(ServiceResponse::new(req.into_parts().0, res));
        }
        if waited || condition == Condition::Names {
            break None;
        }
        match Leading::lead_or_follow(&inner, key) {
            Ok(leading) => break Some(leading),
            Err(notify) => {
                let notified = notify.notified();
                // The leader leaves the table before it notifies: gone already, or woken.
                if inner.in_flight_has(&key) {
                    let _ = tokio::time::timeout(COALESCE_WAIT, notified).await;
                }
                waited = true;
            }
        }
    };
    inner.misses.fetch_add(1, Ordering::Relaxed);
    if condition == Condition::Names {
        // The tag names this request under this head and day: whoever holds it holds the
        // answer (tags are sent with `200` answers only).
        return Ok(ServiceResponse::new(
            req.into_parts().0,
            not_modified(&tag, "miss"),
        ));
    }
    let res = next.call(req).await?;
    if !keepable(&res, kind, inner.max_entry) {
        return Ok(res.map_into_boxed_body());
    }
    let (req, res) = res.into_parts();
    let (res, body) = res.into_parts();
    let body = actix_web::body::to_bytes(body).await.map_err(|e| {
        let e: Box<dyn std::error::Error> = e.into();
        actix_web::error::ErrorInternalServerError(e.to_string())
    })?;
    let entry = Entry {
        status: res.status(),
        headers: res
            .headers()
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect(),
        body,
    };
    let out = replay(&entry, &tag, "miss");
    inner.map.insert(key, Arc::new(entry));
    Ok(ServiceResponse::new(req, out))
}

/// How long a request waits for a concurrent identical one to compute the answer.
const COALESCE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Requests computing an answer, by key, with what wakes those waiting for it.
type InFlightKeys = std::sync::Mutex<HashMap<[u8; 32], Arc<tokio::sync::Notify>>>;

impl Inner {
    fn in_flight_has(&self, key: &[u8; 32]) -> bool {
        self.in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(key)
    }
}

/// The request computing one key's answer; when it ends (answered, or abandoned), the key
/// leaves the table and the requests waiting for it are woken.
struct Leading {
    inner: Arc<Inner>,
    key: [u8; 32],
    notify: Arc<tokio::sync::Notify>,
}

impl Leading {
    /// Leads `key`'s computation, or returns what to wait on while another request does.
    fn lead_or_follow(
        inner: &Arc<Inner>,
        key: [u8; 32],
    ) -> Result<Leading, Arc<tokio::sync::Notify>> {
        let mut table = inner.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(notify) = table.get(&key) {
            return Err(Arc::clone(notify));
        }
        let notify = Arc::new(tokio::sync::Notify::new());
        table.insert(key, Arc::clone(&notify));
        Ok(Leading {
            inner: Arc::clone(inner),
            key,
            notify,
        })
    }
}

impl Drop for Leading {
    fn drop(&mut self) {
        self.inner
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
        self.notify.notify_waiters();
    }
}

/// Reads a declared body of `len` bytes at most.
async fn read_body(req: &mut ServiceRequest, len: usize) -> Result<Bytes, actix_web::Error> {
    let mut payload = req.take_payload();
    let mut buf = BytesMut::with_capacity(len);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if buf.len() + chunk.len() > crate::graphql::MAX_BODY_BYTES {
            return Err(actix_web::error::ErrorPayloadTooLarge(
                "request body too large",
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Whether an answer may be kept (see the module's documentation).
fn keepable<B: MessageBody>(res: &ServiceResponse<B>, kind: Route, max_entry: u64) -> bool {
    let status_ok = matches!(res.status(), StatusCode::OK | StatusCode::NOT_FOUND);
    let headers: &HeaderMap = res.headers();
    let sized = matches!(res.response().body().size(), BodySize::Sized(n) if n <= max_entry);
    let shared = kind == Route::Get || res.response().extensions().get::<Shareable>().is_some();
    // `no-cache` (the portal's pages: revalidate each time) allows storing; `no-store` and
    // `private` do not.
    let storable = headers
        .get_all(header::CACHE_CONTROL)
        .filter_map(|v| v.to_str().ok())
        .all(|v| !v.contains("no-store") && !v.contains("private"));
    status_ok && sized && shared && storable && !headers.contains_key(header::SET_COOKIE)
}

/// A kept answer, with the cache's headers.
fn replay(entry: &Entry, tag: &str, x_cache: &'static str) -> HttpResponse {
    let mut res = HttpResponse::build(entry.status);
    for (name, value) in &entry.headers {
        res.append_header((name.clone(), value.clone()));
    }
    public_headers(&mut res, tag, entry.status == StatusCode::OK, x_cache);
    res.body(entry.body.clone())
}

fn not_modified(tag: &str, x_cache: &'static str) -> HttpResponse {
    let mut res = HttpResponse::NotModified();
    public_headers(&mut res, tag, true, x_cache);
    res.finish()
}

fn public_headers(
    res: &mut actix_web::HttpResponseBuilder,
    tag: &str,
    with_tag: bool,
    x_cache: &'static str,
) {
    res.insert_header((header::CACHE_CONTROL, PUBLIC))
        .insert_header((X_CACHE, x_cache));
    if with_tag {
        res.insert_header((header::ETAG, tag));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tip(seq: i64, hash: &str) -> AuditTip {
        AuditTip {
            seq,
            hash: hash.into(),
        }
    }

    #[test]
    fn only_public_reads_are_cacheable() {
        for path in [
            "/",
            "/e/moquegua",
            "/e/moquegua/tablero.csv",
            "/e/moquegua/inversiones",
            "/e/moquegua/inversiones/resumen.xlsx",
            "/e/moquegua/compromisos",
            "/datos/ecosistemas.json",
        ] {
            assert_eq!(route(&Method::GET, path), Some(Route::Get), "{path}");
            assert_eq!(route(&Method::POST, path), None, "{path}");
        }
        for path in [
            "/app",
            "/app/tareas",
            "/e/moquegua/eventos",
            "/api/v1/audit/head",
            "/api/v1/audit/proof",
            "/static/portal.css",
            "/api/v1/health",
            "/api/v1/auth/token",
            "/graphiql/init.js",
            "/graphql",
            "/openapi.json",
        ] {
            assert_eq!(route(&Method::GET, path), None, "{path}");
        }
        assert_eq!(route(&Method::POST, "/graphql"), Some(Route::GraphQl));
        assert_eq!(route(&Method::PUT, "/graphql"), None);
        assert_eq!(route(&Method::DELETE, "/e/moquegua"), None);
    }

    #[test]
    fn keys_separate_requests_heads_and_days() {
        let a = request_digest("GET", "/e/x", "lang=en", None);
        assert_eq!(a, request_digest("GET", "/e/x", "lang=en", None));
        // Parts are length-prefixed: moving a byte between them is another request.
        assert_ne!(a, request_digest("GET", "/e/xl", "ang=en", None));
        assert_ne!(a, request_digest("GET", "/e/x", "lang=es", None));
        assert_ne!(a, request_digest("GET", "/e/x", "lang=en", Some(b"")));
        let head = tip(7, "abc");
        let k = entry_key(&a, &head, 739_000);
        assert_eq!(k, entry_key(&a, &head, 739_000));
        assert_ne!(k, entry_key(&a, &tip(8, "abc"), 739_000));
        assert_ne!(k, entry_key(&a, &tip(7, "abd"), 739_000));
        assert_ne!(k, entry_key(&a, &head, 739_001));
    }

    #[test]
    fn graphql_bodies_are_normalised_outside_strings_only() {
        let a = normalized_graphql_body(br#"{"query": "{ a }",  "variables": {"x": 1}}"#);
        let b = normalized_graphql_body(b"{\"query\":\"{ a }\",\n\"variables\":{\"x\":1}}");
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_ne!(a, normalized_graphql_body(br#"{"query": "{ a  }"}"#));
        assert_ne!(
            a,
            normalized_graphql_body(br#"{"query": "{ a }", "variables": {"x": 2}}"#)
        );
        assert_eq!(normalized_graphql_body(b"{not json"), None);
    }

    #[test]
    fn etags_are_weak_and_if_none_match_compares_weakly() {
        let key = entry_key(&request_digest("GET", "/", "", None), &tip(1, "h"), 1);
        let tag = etag(&key);
        assert!(tag.starts_with("W/\"") && tag.ends_with('"'));
        assert_eq!(tag.len(), 3 + 32 + 1);
        assert_eq!(if_none_match(&tag, &tag), Condition::Names);
        assert_eq!(
            if_none_match(tag.trim_start_matches("W/"), &tag),
            Condition::Names
        );
        assert_eq!(
            if_none_match(&format!("\"other\", {tag}"), &tag),
            Condition::Names
        );
        assert_eq!(if_none_match("*", &tag), Condition::Any);
        assert_eq!(if_none_match("\"other\"", &tag), Condition::None);
        assert_eq!(if_none_match("", &tag), Condition::None);
        // A huge header is ignored, even if it names the tag.
        let huge = format!("{}, {tag}", "\"x\", ".repeat(200));
        assert!(huge.len() > MAX_IF_NONE_MATCH);
        assert_eq!(if_none_match(&huge, &tag), Condition::None);
    }

    #[test]
    fn the_weigher_bounds_the_memory_held() {
        let map: moka::sync::Cache<[u8; 32], Arc<Entry>> = moka::sync::Cache::builder()
            .max_capacity(64 * 1024)
            .weigher(|_k: &[u8; 32], e: &Arc<Entry>| e.weight())
            .build();
        for i in 0u32..1000 {
            let key = request_digest("GET", "/e/x", &format!("n={i}"), None);
            map.insert(
                key,
                Arc::new(Entry {
                    status: StatusCode::OK,
                    headers: vec![(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/html; charset=utf-8"),
                    )],
                    body: Bytes::from(vec![b'x'; 1000]),
                }),
            );
        }
        map.run_pending_tasks();
        assert!(map.weighted_size() <= 64 * 1024, "{}", map.weighted_size());
        assert!(map.entry_count() <= 64, "{}", map.entry_count());
        assert!(map.entry_count() > 10, "{}", map.entry_count());
    }
}
