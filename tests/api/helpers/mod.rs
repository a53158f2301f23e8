//! The test harness: the real application on port 0, over real SQLite files or a real
//! PostgreSQL server, spoken to over HTTP.

pub mod browser;
pub mod manual;
pub mod postgres;
pub mod smtp;
pub mod workspace;

use std::time::Duration;

use awc::http::StatusCode;
use serde_json::{Value, json};

use ayni::app::{Ayni, Caller, NewActorInput, NewUserInput};
use ayni::config::{DatabaseUrl, Settings};
use ayni::domain::{ActorKind, Role};
use ayni::seed::DemoAdmin;
use ayni::startup::Application;

/// The signing secret test apps use, so tests can forge tokens of their own.
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const TEST_PASSWORD: &str = "contraseña-de-prueba";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// A fresh, empty database of this backend; the guard keeps a SQLite file alive.
    pub fn fresh_database(self) -> (DatabaseUrl, Option<tempfile::TempDir>) {
        match self {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("ayni.db").display());
                (url.parse().expect("sqlite url"), Some(dir))
            }
            Backend::Postgres => {
                let url = postgres::PgServer::get().create_database();
                (url.parse().expect("postgres url"), None)
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Runs each named `async fn(TestApp)` once on SQLite and once on PostgreSQL, as the tests
/// `<name>::sqlite` and `<name>::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use $crate::helpers::{Backend, TestApp};

                #[actix_web::test]
                async fn sqlite() {
                    super::$name(TestApp::spawn(Backend::Sqlite).await).await
                }

                #[actix_web::test]
                async fn postgres() {
                    super::$name(TestApp::spawn(Backend::Postgres).await).await
                }
            }
        )*
    };
}

pub struct TestApp {
    pub backend: Backend,
    pub database_url: DatabaseUrl,
    pub address: String,
    pub app: Ayni,
    pub client: awc::Client,
    /// The demo administrator, when the app started with the demo data.
    pub demo_admin: Option<DemoAdmin>,
    /// The public read cache of the running server (its counters).
    pub cache: ayni::web::cache::PublicCache,
    _sqlite_dir: Option<tempfile::TempDir>,
    /// Evidence files of a PostgreSQL test (SQLite keeps them beside its file).
    _files_dir: Option<tempfile::TempDir>,
}

/// An HTTP answer: status and body (JSON when it parses, else a string).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl TestApp {
    /// Sends a request whose body is chunked (no declared length): `head` is its request line
    /// and headers (without `Host`, `Transfer-Encoding` and the blank line), `preamble` the
    /// body's first bytes, then zeros, 1 MiB a chunk, up to 4 GiB unless the server answers
    /// first. Returns the answer's status (0: none) and the bytes sent.
    pub async fn chunked_upload(&self, head: String, preamble: Vec<u8>) -> (u16, usize) {
        use std::io::{Read, Write};
        let host = self.address.trim_start_matches("http://").to_string();
        let head = format!("{head}Host: {host}\r\nTransfer-Encoding: chunked\r\n\r\n");
        tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(&host).unwrap();
            s.write_all(head.as_bytes()).unwrap();
            if !preamble.is_empty() {
                s.write_all(format!("{:x}\r\n", preamble.len()).as_bytes())
                    .and_then(|()| s.write_all(&preamble))
                    .and_then(|()| s.write_all(b"\r\n"))
                    .unwrap();
            }
            let chunk = [b'0'; 1024 * 1024];
            let mut sent = 0usize;
            let mut answer = Vec::new();
            while sent < 4096 * chunk.len() {
                s.set_nonblocking(false).unwrap();
                let framed = s
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .and_then(|()| s.write_all(&chunk))
                    .and_then(|()| s.write_all(b"\r\n"));
                if framed.is_err() {
                    break;
                }
                sent += chunk.len();
                s.set_nonblocking(true).unwrap();
                let mut buf = [0u8; 64];
                if let Ok(n) = s.read(&mut buf)
                    && n > 0
                {
                    answer.extend_from_slice(&buf[..n]);
                    break;
                }
            }
            s.set_nonblocking(false).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            if answer.is_empty() {
                let mut buf = [0u8; 64];
                let n = s.read(&mut buf).unwrap_or(0);
                answer.extend_from_slice(&buf[..n]);
            }
            let line = String::from_utf8_lossy(&answer).to_string();
            let status: u16 = line
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            (status, sent)
        })
        .await
        .unwrap()
    }

    /// Sends a POST whose headers declare `declared` bytes, writes only `sent` of them, and
    /// returns the status of the answer with how long it took; the body is never finished.
    pub async fn partial_upload(
        &self,
        path: &str,
        token: Option<&str>,
        declared: u64,
        sent: usize,
    ) -> (u16, Duration) {
        use std::io::{Read, Write};
        let host = self.address.trim_start_matches("http://").to_string();
        let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/csv\r\nContent-Length: {declared}\r\n{auth}\r\n"
        );
        tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let mut s = std::net::TcpStream::connect(&host).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            s.write_all(head.as_bytes()).unwrap();
            // The server may answer and close while we write: that is the point.
            let _ = s.write_all(&vec![b'0'; sent]);
            let mut buf = [0u8; 64];
            let n = s
                .read(&mut buf)
                .expect("an answer before the body is complete");
            let line = String::from_utf8_lossy(&buf[..n]).to_string();
            let status = line
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            (status, started.elapsed())
        })
        .await
        .unwrap()
    }

    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, |_| {}).await
    }

    /// Spawns with settings adjusted by `tweak` (the test secret is set before it runs).
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let (database_url, dir) = backend.fresh_database();
        TestApp::spawn_on(backend, database_url, dir, tweak).await
    }

    /// Spawns on an existing database (the guard keeps a SQLite file alive).
    pub async fn spawn_on(
        backend: Backend,
        database_url: DatabaseUrl,
        dir: Option<tempfile::TempDir>,
        tweak: impl FnOnce(&mut Settings),
    ) -> TestApp {
        // Errors the server logs (an internal error's detail) show in a failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_env_filter("error")
            .with_test_writer()
            .try_init();
        let mut settings =
            Settings::new(database_url.clone(), "127.0.0.1:0".parse().expect("addr"));
        settings.jwt_secret = Some(TEST_JWT_SECRET.to_string());
        settings.pool_size = 4;
        let files_dir = (backend == Backend::Postgres)
            .then(|| tempfile::tempdir().expect("a directory for evidence files"));
        settings.files_dir = files_dir.as_ref().map(|d| d.path().to_path_buf());
        tweak(&mut settings);
        let application = Application::build(&settings)
            .await
            .expect("the application starts");
        let address = format!("http://127.0.0.1:{}", application.port());
        let app = application.app().clone();
        let demo_admin = application.demo_admin().cloned();
        let cache = application.public_cache().clone();
        actix_web::rt::spawn(application.run_until_stopped());
        TestApp {
            backend,
            database_url,
            address,
            app,
            // Idle connections are dropped before the server's keep-alive (5 s) closes them:
            // a test that works for seconds between two requests never sends on a closed one.
            client: awc::Client::builder()
                .connector(awc::Connector::new().conn_keep_alive(Duration::from_secs(3)))
                .timeout(Duration::from_secs(60))
                .finish(),
            demo_admin,
            cache,
            _sqlite_dir: dir,
            _files_dir: files_dir,
        }
    }

    /// Runs `f` on a database connection of its own (not the service's pool), as an
    /// operator with direct database access would: to inspect or tamper with stored rows.
    pub async fn direct<T, E>(
        &self,
        f: impl FnOnce(&mut ayni::db::DbConnection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<ayni::db::StoreError> + Send + 'static,
    {
        let url = self.database_url.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = ayni::db::open_connection(&url)?;
            f(&mut conn)
        })
        .await
        .expect("the direct database task")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    async fn answer(
        mut res: awc::ClientResponse<
            impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
        >,
    ) -> Answer {
        let status = res.status();
        let bytes = res
            .body()
            .limit(10 * 1024 * 1024)
            .await
            .expect("response body");
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Answer { status, body }
    }

    pub async fn get(&self, path: &str) -> Answer {
        let res = self.client.get(self.url(path)).send().await.expect("GET");
        Self::answer(res).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Answer {
        let res = self
            .client
            .post(self.url(path))
            .send_json(body)
            .await
            .expect("POST");
        Self::answer(res).await
    }

    /// POSTs raw bytes with a content type and optional bearer token.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let mut req = self
            .client
            .post(self.url(path))
            .insert_header(("content-type", content_type));
        if let Some(t) = token {
            req = req.insert_header(("authorization", format!("Bearer {t}")));
        }
        let res = req.send_body(body).await.expect("POST");
        Self::answer(res).await
    }

    /// One GraphQL operation; the token, if any, as a bearer token.
    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Answer {
        let body = json!({ "query": query, "variables": variables });
        self.post_raw(
            "/graphql",
            "application/json",
            token,
            serde_json::to_vec(&body).expect("json"),
        )
        .await
    }

    /// Creates a user directly through the service (as the CLI operator would).
    pub async fn create_user(&self, email: &str, role: Role, actor_id: Option<i64>) -> i64 {
        self.app
            .create_user(
                &Caller::operator(),
                NewUserInput {
                    email: email.to_string(),
                    password: TEST_PASSWORD.to_string(),
                    role,
                    actor_id,
                },
            )
            .await
            .expect("create user")
            .id
    }

    pub async fn create_actor(&self, name: &str, kind: ActorKind) -> i64 {
        self.app
            .create_actor(
                &Caller::operator(),
                NewActorInput {
                    name: name.to_string(),
                    kind,
                },
            )
            .await
            .expect("create actor")
            .id
    }

    /// Logs in over REST and returns the access token.
    pub async fn token(&self, email: &str, password: &str) -> String {
        let a = self
            .post_json(
                "/api/v1/auth/token",
                &json!({ "email": email, "password": password }),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "login failed: {:?}", a.body);
        a.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// A fresh user with this role (contributors get a fresh actor), logged in.
    pub async fn login_as(&self, role: Role) -> String {
        let email = format!("{}-{}@ayni.test", role.as_str(), rand_suffix());
        let actor = if role == Role::Contributor {
            Some(
                self.create_actor(&format!("Actor {email}"), ActorKind::Company)
                    .await,
            )
        } else {
            None
        };
        self.create_user(&email, role, actor).await;
        self.token(&email, TEST_PASSWORD).await
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

/// The `extensions.code` of the first GraphQL error.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<no code>")
}
