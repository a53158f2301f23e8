//! Configuration: flags and environment, parsed into typed settings with defaults.

use std::{fmt, net::SocketAddr, path::PathBuf, str::FromStr};

/// Default database: an SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://ayni.db";
/// Default listening address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Where the data lives. The backend is chosen from the URL's scheme, never by trial.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://PATH`, `sqlite:PATH` or a plain file path.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, passed to libpq as is.
    Postgres(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "database URL: unknown scheme '{0}://'; use postgres://…, postgresql://…, sqlite://PATH or a plain file path"
    )]
    UnknownScheme(String),
    #[error("database URL: must not be empty")]
    EmptyDatabaseUrl,
    #[error(
        "database URL: SQLite needs a file path, not '{0}' (each pooled connection would get its own empty database)"
    )]
    InMemorySqlite(String),
}

impl FromStr for DatabaseUrl {
    type Err = ConfigError;

    fn from_str(raw: &str) -> Result<Self, ConfigError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(ConfigError::EmptyDatabaseUrl);
        }
        if let Some((scheme, _)) = raw.split_once("://") {
            let valid_scheme = !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
            if valid_scheme {
                return match scheme.to_ascii_lowercase().as_str() {
                    "postgres" | "postgresql" => Ok(DatabaseUrl::Postgres(raw.to_string())),
                    "sqlite" => sqlite_path(&raw["sqlite://".len()..]),
                    other => Err(ConfigError::UnknownScheme(other.to_string())),
                };
            }
        }
        match raw.strip_prefix("sqlite:") {
            Some(path) => sqlite_path(path),
            None => sqlite_path(raw),
        }
    }
}

fn sqlite_path(path: &str) -> Result<DatabaseUrl, ConfigError> {
    if path.is_empty() {
        return Err(ConfigError::EmptyDatabaseUrl);
    }
    if path == ":memory:" || path.contains("mode=memory") {
        return Err(ConfigError::InMemorySqlite(path.to_string()));
    }
    Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
}

impl DatabaseUrl {
    /// `"sqlite"` or `"postgres"`, as reported by the health endpoint.
    /// The URL with its password, for handing to another process.
    pub fn to_string_unmasked(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DatabaseUrl::Postgres(u) => u.clone(),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }
}

/// Shown in logs: the password of a PostgreSQL URL is masked.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            DatabaseUrl::Postgres(u) => match url::Url::parse(u) {
                Ok(mut parsed) if parsed.password().is_some() => {
                    // Only fails for URLs that cannot have a password, which this one has.
                    let _ = parsed.set_password(Some("***"));
                    write!(f, "{parsed}")
                }
                _ => f.write_str(u),
            },
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// Everything `ayni serve` needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    pub bind: SocketAddr,
    /// Load the demo data when the database is empty.
    pub demo: bool,
    /// `AYNI_JWT_SECRET`; when `None` a random per-database secret is generated once and stored.
    pub jwt_secret: Option<String>,
    /// Lifetime of issued access tokens.
    pub token_ttl_secs: i64,
    /// Maximum connections in the pool.
    pub pool_size: u32,
    /// Login throttling and the cap on concurrent password hashes.
    pub login: LoginLimits,
    /// `AYNI_HSTS`: send `Strict-Transport-Security` (only when the service is reached over
    /// https, e.g. behind a TLS-terminating proxy). Off by default.
    pub hsts: bool,
    /// Workspace sessions: idle expiry (`AYNI_SESSION_IDLE_SECS`, default 1800) and absolute
    /// expiry (`AYNI_SESSION_MAX_SECS`, default 43200).
    pub sessions: crate::app::SessionPolicy,
    /// `AYNI_FILES_DIR`: where evidence files are stored; `None`: beside the SQLite file
    /// (`<database>.files/`), or `./ayni-files` for PostgreSQL.
    pub files_dir: Option<std::path::PathBuf>,
    /// `AYNI_MAX_EVIDENCE_BYTES`: the largest evidence file accepted (default 10 MiB).
    pub max_evidence_bytes: u64,
    /// `AYNI_SMTP_URL` and `AYNI_SMTP_FROM`: notifications are also e-mailed; `None`: no
    /// e-mail at all.
    pub smtp: Option<crate::app::MailSettings>,
    /// `AYNI_METRICS_TOKEN`: when set, `/metrics` answers only this bearer token.
    pub metrics_token: Option<String>,
    /// The public read cache (docs/performance.md#the-public-read-cache).
    pub cache: CacheSettings,
}

/// The public read cache: anonymous reads of public pages, open data and GraphQL queries,
/// keyed by the request and the audit chain's head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSettings {
    /// Most bytes of cached answers (`AYNI_CACHE_MB`, default 64 MiB; 0 turns the cache off).
    pub max_bytes: u64,
    /// How old the known audit head may get before it is read again from the database, which
    /// is how writes of another process are seen (`AYNI_CACHE_HEAD_CHECK_MS`, default 1000).
    pub head_check: std::time::Duration,
    /// How long an answer is kept at most, whatever the head (`AYNI_CACHE_TTL_SECS`, default
    /// 300): bounds how long a change that bypassed the audit chain can go unseen.
    pub ttl: std::time::Duration,
}

/// Default size of the public read cache, in MiB.
pub const DEFAULT_CACHE_MB: u64 = 64;

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings {
            max_bytes: DEFAULT_CACHE_MB * 1024 * 1024,
            head_check: std::time::Duration::from_millis(1000),
            ttl: std::time::Duration::from_secs(300),
        }
    }
}

/// Login throttling and the password-hashing cap (docs/security.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginLimits {
    /// Failed password checks per account within `window` before it is locked out
    /// (`AYNI_LOGIN_MAX_FAILURES`, default 5; 0 turns the limit off).
    pub max_failures: u32,
    /// Failed password checks per client address within `window` before it is locked out
    /// (`AYNI_LOGIN_MAX_FAILURES_PER_ADDRESS`, default 20; 0 turns the limit off).
    pub max_failures_per_address: u32,
    /// The sliding window failures are counted in (`AYNI_LOGIN_WINDOW_SECS`, default 900).
    pub window: std::time::Duration,
    /// Password hashes computed at once (`AYNI_MAX_CONCURRENT_HASHES`, default the number of
    /// cores).
    pub max_concurrent_hashes: usize,
    /// How long a request waits for a hashing slot before a 503 (`AYNI_HASH_WAIT_MS`,
    /// default 2000).
    pub hash_wait: std::time::Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            max_failures: 5,
            max_failures_per_address: 20,
            window: std::time::Duration::from_secs(900),
            max_concurrent_hashes: std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(2),
            hash_wait: std::time::Duration::from_millis(2000),
        }
    }
}

impl Settings {
    pub fn new(database_url: DatabaseUrl, bind: SocketAddr) -> Self {
        Settings {
            database_url,
            bind,
            demo: false,
            jwt_secret: None,
            token_ttl_secs: 3600,
            pool_size: 8,
            login: LoginLimits::default(),
            hsts: false,
            sessions: crate::app::SessionPolicy::default(),
            files_dir: None,
            max_evidence_bytes: crate::domain::evidence::DEFAULT_MAX_EVIDENCE_BYTES,
            smtp: None,
            metrics_token: None,
            cache: CacheSettings::default(),
        }
    }

    /// Where evidence files go: `files_dir` when set, else `<sqlite file>.files` beside the
    /// SQLite database, or `./ayni-files` for PostgreSQL.
    pub fn resolved_files_dir(&self) -> std::path::PathBuf {
        if let Some(dir) = &self.files_dir {
            return dir.clone();
        }
        match &self.database_url {
            DatabaseUrl::Sqlite(path) => {
                let mut name = path.clone().into_os_string();
                name.push(".files");
                std::path::PathBuf::from(name)
            }
            _ => std::path::PathBuf::from("./ayni-files"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_chosen_from_the_scheme() {
        assert_eq!(
            "postgres://u:p@localhost/ayni"
                .parse::<DatabaseUrl>()
                .unwrap()
                .backend_name(),
            "postgres"
        );
        assert_eq!(
            "postgresql://localhost/ayni"
                .parse::<DatabaseUrl>()
                .unwrap()
                .backend_name(),
            "postgres"
        );
        assert_eq!(
            "sqlite://data/ayni.db".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite("data/ayni.db".into())
        );
        assert_eq!(
            "sqlite:///var/lib/ayni.db".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite("/var/lib/ayni.db".into())
        );
        assert_eq!(
            "ayni.db".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite("ayni.db".into())
        );
    }

    #[test]
    fn unknown_schemes_and_memory_databases_are_refused_with_the_reason() {
        let e = "mysql://localhost/ayni".parse::<DatabaseUrl>().unwrap_err();
        assert_eq!(e, ConfigError::UnknownScheme("mysql".into()));
        assert!(e.to_string().contains("mysql://"));
        assert!("".parse::<DatabaseUrl>().is_err());
        assert!("sqlite://:memory:".parse::<DatabaseUrl>().is_err());
    }

    #[test]
    fn passwords_are_masked_when_shown() {
        let u: DatabaseUrl = "postgres://ayni:s3cret@db:5432/ayni".parse().unwrap();
        assert_eq!(u.to_string(), "postgres://ayni:***@db:5432/ayni");
    }
}
