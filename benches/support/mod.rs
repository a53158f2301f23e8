//! What the benchmarks share: a fresh database of either backend, and settings from the
//! environment.
#![allow(dead_code)]

#[path = "../../tests/api/helpers/postgres.rs"]
pub mod postgres;

use ayni::config::DatabaseUrl;

/// A fresh, empty database of `backend` (`sqlite` or `postgres`, the latter on a throwaway
/// server started like the test suite does); the guard keeps an SQLite file alive.
pub fn fresh_database(backend: &str) -> (DatabaseUrl, Option<tempfile::TempDir>) {
    match backend {
        "sqlite" => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            (url.parse().unwrap(), Some(dir))
        }
        "postgres" => (
            postgres::PgServer::get().create_database().parse().unwrap(),
            None,
        ),
        other => panic!("unknown backend {other}"),
    }
}

/// A number from the environment, else `default`.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
