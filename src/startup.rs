//! Building the running service: connect, migrate, keys, demo data, then bind and serve.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use rand::Rng;
use tracing_actix_web::TracingLogger;

use crate::app::{AppError, Ayni};
use crate::auth::TokenKeys;
use crate::config::{DatabaseUrl, Settings};
use crate::db::models::setting;
use crate::db::{Author, Db, StoreError};
use crate::graphql::{self, AyniSchema};
use crate::rest;
use crate::seed::{self, DemoAdmin};

/// Shortest `AYNI_JWT_SECRET` accepted (HS256 wants at least 256 bits of key).
pub const MIN_JWT_SECRET_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    App(#[from] AppError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("AYNI_JWT_SECRET must have at least {MIN_JWT_SECRET_LEN} characters")]
    WeakSecret,
    #[error("startup task failed: {0}")]
    Task(String),
    #[error("cannot create the evidence files directory {dir}: {source}")]
    FilesDir { dir: String, source: std::io::Error },
}

/// Connects and migrates (blocking work, run off the async workers).
pub async fn open_database(url: &DatabaseUrl, pool_size: u32) -> Result<Db, StartupError> {
    let url = url.clone();
    tokio::task::spawn_blocking(move || {
        let db = Db::connect(&url, pool_size)?;
        let applied = db.migrate_blocking()?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "applied migrations");
        }
        Ok::<_, StartupError>(db)
    })
    .await
    .map_err(|e| StartupError::Task(e.to_string()))?
}

/// The token keys: `AYNI_JWT_SECRET` when given, else the database's own secret, generated
/// once and stored.
pub async fn token_keys(
    db: &Db,
    secret: Option<&str>,
    ttl_secs: i64,
) -> Result<TokenKeys, StartupError> {
    if let Some(secret) = secret {
        if secret.chars().count() < MIN_JWT_SECRET_LEN {
            return Err(StartupError::WeakSecret);
        }
        return Ok(TokenKeys::configured(secret.as_bytes(), ttl_secs));
    }
    let stored = db
        .write(Author::system(), |tx| {
            if let Some(existing) = setting::get(tx.conn(), setting::JWT_SECRET)? {
                return Ok::<_, StoreError>(existing);
            }
            let mut bytes = [0u8; 32];
            rand::rng().fill(&mut bytes);
            let fresh = hex::encode(bytes);
            setting::put_secret(tx, setting::JWT_SECRET, &fresh)?;
            Ok(fresh)
        })
        .await?;
    Ok(TokenKeys::new(stored.as_bytes(), ttl_secs))
}

/// The service, ready to bind: database migrated, keys loaded, demo data loaded if asked.
pub async fn prepare(settings: &Settings) -> Result<(Ayni, Option<DemoAdmin>), StartupError> {
    let db = open_database(&settings.database_url, settings.pool_size).await?;
    let keys = token_keys(&db, settings.jwt_secret.as_deref(), settings.token_ttl_secs).await?;
    let mut app = Ayni::new(db, keys)
        .with_login_limits(settings.login.clone())
        .with_session_policy(settings.sessions);
    if let Some(smtp) = &settings.smtp {
        app = app.with_mail(smtp)?;
    }
    let files_dir = settings.resolved_files_dir();
    let store = crate::app::EvidenceStore::open(files_dir.clone(), settings.max_evidence_bytes)
        .map_err(|source| StartupError::FilesDir {
            dir: files_dir.display().to_string(),
            source,
        })?;
    app = app.with_evidence_store(store);
    let demo = if settings.demo {
        seed::load_demo(&app).await?
    } else {
        None
    };
    Ok((app, demo))
}

/// A running server and what tests and the CLI need to know about it.
pub struct Application {
    port: u16,
    server: Server,
    app: Ayni,
    demo: Option<DemoAdmin>,
    in_flight: InFlight,
    cache: crate::web::cache::PublicCache,
}

impl Application {
    /// Prepares the service and binds `settings.bind` (port 0 picks a free port).
    pub async fn build(settings: &Settings) -> Result<Application, StartupError> {
        let (app, demo) = prepare(settings).await?;
        let listener = TcpListener::bind(settings.bind).map_err(|source| StartupError::Bind {
            addr: settings.bind.to_string(),
            source,
        })?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let in_flight = InFlight::default();
        let cache = crate::web::cache::PublicCache::new(app.clone(), settings.cache);
        let server = serve_with(
            app.clone(),
            listener,
            settings.hsts,
            settings.metrics_token.clone(),
            in_flight.clone(),
            cache.clone(),
        )
        .map_err(|source| StartupError::Bind {
            addr: settings.bind.to_string(),
            source,
        })?;
        Ok(Application {
            port,
            server,
            app,
            demo,
            in_flight,
            cache,
        })
    }

    /// The public read cache (its counters, for tests and benchmarks).
    pub fn public_cache(&self) -> &crate::web::cache::PublicCache {
        &self.cache
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn app(&self) -> &Ayni {
        &self.app
    }

    /// The demo administrator created at this start, if any.
    pub fn demo_admin(&self) -> Option<&DemoAdmin> {
        self.demo.as_ref()
    }

    /// Serves until the server is stopped (tests stop it by dropping their runtime).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves until SIGINT (Ctrl-C) or SIGTERM, then stops accepting connections and finishes
    /// the requests in flight (up to the shutdown timeout) for both alike. (actix's own
    /// handling would drop in-flight requests on SIGINT.) The handlers are installed before
    /// `announce` runs, so a signal sent by whoever saw the announcement is never missed.
    pub async fn run_until_signal(
        self,
        announce: impl FnOnce(&Application),
    ) -> std::io::Result<()> {
        let signals = ShutdownSignals::install()?;
        announce(&self);
        let handle = self.server.handle();
        let in_flight = self.in_flight.clone();
        let stopper = actix_web::rt::spawn(async move {
            let signal = signals.recv().await;
            tracing::info!(
                signal,
                in_flight = in_flight.count(),
                "stopping: finishing the requests in flight"
            );
            // No new connections; the requests already taken are awaited here, by our own
            // count, before the server is told to stop: its per-worker connection count was
            // seen to let a worker stop as idle with a request in flight.
            handle.pause().await;
            if !in_flight.drained(SHUTDOWN_TIMEOUT).await {
                tracing::warn!(
                    in_flight = in_flight.count(),
                    "stopping with requests still in flight after the shutdown timeout"
                );
            }
            handle.stop(true).await;
        });
        self.server.await?;
        // The server's future can end as soon as it takes the stop command; the graceful stop
        // itself ends when the workers have finished their requests. Only then may the
        // process exit.
        let _ = stopper.await;
        Ok(())
    }
}

/// SIGINT and SIGTERM, listened to from the moment they are installed.
#[cfg(unix)]
struct ShutdownSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl ShutdownSignals {
    fn install() -> std::io::Result<ShutdownSignals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(ShutdownSignals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Waits for either; returns which.
    async fn recv(mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}

/// Ctrl-C where there are no Unix signals.
#[cfg(not(unix))]
struct ShutdownSignals;

#[cfg(not(unix))]
impl ShutdownSignals {
    fn install() -> std::io::Result<ShutdownSignals> {
        Ok(ShutdownSignals)
    }

    async fn recv(self) -> &'static str {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}

/// The HTTP server on an already bound listener (no HSTS, the public read cache with its
/// default size).
pub fn serve(app: Ayni, listener: TcpListener) -> std::io::Result<Server> {
    let cache = crate::web::cache::PublicCache::new(app.clone(), Default::default());
    serve_with(app, listener, false, None, InFlight::default(), cache)
}

/// How long a stop waits for the requests in flight.
const SHUTDOWN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The requests being served, counted by a middleware around every request.
#[derive(Debug, Clone, Default)]
pub struct InFlight(std::sync::Arc<InFlightCount>);

#[derive(Debug, Default)]
pub struct InFlightCount {
    count: std::sync::atomic::AtomicUsize,
    idle: tokio::sync::Notify,
}

/// One request in flight; dropping it (the request answered, or abandoned) counts it out.
struct InFlightGuard(InFlight);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let inner = &(self.0).0;
        if inner
            .count
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst)
            == 1
        {
            inner.idle.notify_waiters();
        }
    }
}

impl InFlight {
    fn enter(&self) -> InFlightGuard {
        self.0
            .count
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        InFlightGuard(self.clone())
    }

    pub fn count(&self) -> usize {
        self.0.count.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits until no request is in flight, up to `timeout`; tells whether it got there.
    pub async fn drained(&self, timeout: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Created before the check: a request that ends in between still wakes it.
            let idle = self.0.idle.notified();
            if self.count() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.count() == 0;
            }
        }
    }
}

/// The HTTP server on an already bound listener; `hsts` adds `Strict-Transport-Security`
/// (for a service reached over https only); anonymous public reads go through `cache`.
pub fn serve_with(
    app: Ayni,
    listener: TcpListener,
    hsts: bool,
    metrics_token: Option<String>,
    in_flight: InFlight,
    cache: crate::web::cache::PublicCache,
) -> std::io::Result<Server> {
    let metrics = web::Data::new(
        crate::web::metrics::Metrics::new(metrics_token)
            .map_err(|e| std::io::Error::other(format!("metrics: {e}")))?,
    );
    let schema: AyniSchema = graphql::schema(app.clone());
    let introspection = web::Data::new(graphql::introspection_schema(app.clone()));
    let app = web::Data::new(app);
    let schema = web::Data::new(schema);
    let workspace = web::Data::new(crate::web::workspace::WorkspaceConfig { https: hsts });
    let server = HttpServer::new(move || {
        App::new()
            .wrap(
                actix_web::middleware::ErrorHandlers::new()
                    .default_handler(crate::web::json_errors_for_json_paths),
            )
            // Around the error mapping (a kept 404 is kept as answered), inside the security
            // headers and the request log, which every answer, kept or not, gets.
            .wrap(actix_web::middleware::from_fn({
                let cache = cache.clone();
                move |req, next| crate::web::cache::public_reads(cache.clone(), req, next)
            }))
            .wrap(actix_web::middleware::from_fn(move |req, next| {
                crate::web::headers::security_headers(hsts, req, next)
            }))
            .wrap(actix_web::middleware::from_fn({
                let metrics = metrics.clone();
                move |req, next| crate::web::metrics::measure(metrics.clone(), req, next)
            }))
            .wrap(TracingLogger::default())
            .wrap(actix_web::middleware::from_fn({
                let in_flight = in_flight.clone();
                move |req, next: actix_web::middleware::Next<_>| {
                    let guard = in_flight.enter();
                    async move {
                        let res = next.call(req).await;
                        drop(guard);
                        res
                    }
                }
            }))
            .app_data(app.clone())
            .app_data(schema.clone())
            .app_data(introspection.clone())
            .app_data(workspace.clone())
            .app_data(metrics.clone())
            .app_data(web::Data::new(cache.clone()))
            .service(
                web::resource("/graphql")
                    .app_data(web::PayloadConfig::new(graphql::MAX_BODY_BYTES))
                    .route(web::post().to(graphql::graphql_post))
                    .route(
                        web::get()
                            .guard(actix_web::guard::Header("upgrade", "websocket"))
                            .to(graphql::graphql_ws),
                    )
                    .route(web::get().to(graphql::graphiql)),
            )
            .service(
                web::resource("/graphiql/{file}").route(web::get().to(graphql::graphiql_asset)),
            )
            .configure(rest::configure)
            .configure(crate::web::configure)
    })
    .shutdown_timeout(10)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}

#[cfg(test)]
mod in_flight_tests {
    use std::time::Duration;

    use super::InFlight;

    #[tokio::test]
    async fn a_stop_waits_for_the_requests_in_flight_and_no_longer_than_the_timeout() {
        let in_flight = InFlight::default();
        assert!(in_flight.drained(Duration::from_millis(10)).await);
        let first = in_flight.enter();
        let second = in_flight.enter();
        assert_eq!(in_flight.count(), 2);
        assert!(!in_flight.drained(Duration::from_millis(50)).await);
        let waiter = {
            let in_flight = in_flight.clone();
            tokio::spawn(async move { in_flight.drained(Duration::from_secs(10)).await })
        };
        drop(first);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished(), "one request is still in flight");
        drop(second);
        assert!(waiter.await.unwrap());
        assert_eq!(in_flight.count(), 0);
    }
}
