//! Storage: one diesel code path over SQLite and PostgreSQL, a connection pool, embedded
//! migrations and the audited write path.
//!
//! Diesel is blocking, so every database call runs on tokio's blocking pool
//! ([`Db::run`], [`Db::write`]) and never on the async workers.

pub mod audit;
pub mod audit_state;
pub mod backup;
mod error;
pub mod head;
mod migrate;
pub mod models;
pub mod schema;
mod stored;
pub mod verify;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::{InstrumentationEvent, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel::{PgConnection, SqliteConnection};

pub use audit::{Action, Author, Change, WriteTx};
pub use head::AuditTip;

/// The migration that keys contributed values by actor (see [`Db::migrate_blocking`]).
const ACTOR_SERIES_MIGRATION: &str = "000011";
pub use error::StoreError;

use crate::config::DatabaseUrl;

/// A connection to either backend; the variant is chosen from the URL scheme.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// SQLite settings applied to every pooled connection. `synchronous = FULL` makes a
/// committed value survive power loss in WAL mode; the busy timeout makes concurrent
/// writers wait for the lock instead of failing at once (30 s: writers queue behind each
/// other's commits, and a commit's fsync can take seconds on a disk busy with other work).
/// The busy timeout comes first: switching to WAL itself needs the lock, and the pool opens
/// several connections at once. A 32 MiB page cache per connection keeps bulk imports'
/// index updates in memory.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 30000; \
     PRAGMA foreign_keys = ON; \
     PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; \
     PRAGMA cache_size = -32768;";

/// Run on every checkout from the pool, so a connection the server dropped is replaced.
const LIVENESS_PROBE: &str = "SELECT 1 -- liveness";

/// Opens connections for the pool, on the backend named by the URL.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    /// Statements run on this pool's connections, for tests and benchmarks that check a
    /// read issues a bounded number of queries (no N+1).
    queries: Arc<AtomicU64>,
}

impl ConnectionManager {
    fn open(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Postgres)
                .map_err(r2d2::Error::ConnectionError),
            DatabaseUrl::Sqlite(path) => {
                let path = path.to_string_lossy();
                let mut conn =
                    SqliteConnection::establish(&path).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// Whether a statement's text starts with `prefix`, formatting no more of it than that (a
/// bulk insert's text and its thousands of parameters are never written out).
fn text_starts_with(query: &dyn std::fmt::Display, prefix: &str) -> bool {
    use std::fmt::Write;
    struct Prefix<'a> {
        want: &'a [u8],
        seen: usize,
        matches: bool,
    }
    impl Write for Prefix<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let rest = &self.want[self.seen..];
            let n = rest.len().min(s.len());
            if rest[..n] != s.as_bytes()[..n] {
                self.matches = false;
                return Err(std::fmt::Error);
            }
            self.seen += n;
            if self.seen == self.want.len() {
                // Enough read: stop the formatting.
                return Err(std::fmt::Error);
            }
            Ok(())
        }
    }
    let mut p = Prefix {
        want: prefix.as_bytes(),
        seen: 0,
        matches: true,
    };
    let _ = write!(p, "{query}");
    p.matches && p.seen == prefix.len()
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        let mut conn = self.open()?;
        let queries = Arc::clone(&self.queries);
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            // The pool's liveness probe on checkout is not the application's work.
            if let InstrumentationEvent::StartQuery { query, .. } = event
                && !text_starts_with(query, LIVENESS_PROBE)
            {
                queries.fetch_add(1, Ordering::Relaxed);
            }
        });
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        diesel::sql_query(LIVENESS_PROBE)
            .execute(conn)
            .map(|_| ())
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;

/// One connection outside the pool, set up as the pool's are: for tests and benchmarks that
/// inspect or tamper with the database directly, as an operator with database access could.
pub fn open_connection(url: &DatabaseUrl) -> Result<DbConnection, StoreError> {
    ConnectionManager {
        url: url.clone(),
        queries: Arc::default(),
    }
    .open()
    .map_err(|e| StoreError::Connect(format!("{url}: {e}")))
}

/// Checks that the database answers a trivial query.
pub fn ping(conn: &mut DbConnection) -> Result<(), StoreError> {
    diesel::sql_query("SELECT 1").execute(conn)?;
    Ok(())
}

/// The database handle the application shares: a pool plus the backend it talks to.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    url: DatabaseUrl,
    queries: Arc<AtomicU64>,
    /// The audit chain's head as this process knows it (see [`head`]).
    head: Arc<head::HeadWatch>,
}

impl Db {
    /// Opens a pool; checks that one connection can be made now, so a wrong URL fails fast.
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> Result<Db, StoreError> {
        if let DatabaseUrl::Sqlite(_) = url {
            // Switching a new file to WAL needs an exclusive lock, which concurrent pool
            // connections would fight over: do it once, alone, first.
            ConnectionManager {
                url: url.clone(),
                queries: Arc::default(),
            }
            .open()
            .map_err(|e| StoreError::Connect(format!("{url}: {e}")))?;
        }
        let queries = Arc::new(AtomicU64::new(0));
        let manager = ConnectionManager {
            url: url.clone(),
            queries: Arc::clone(&queries),
        };
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .connection_timeout(Duration::from_secs(30))
            .build(manager)
            .map_err(|e| StoreError::Connect(format!("{url}: {e}")))?;
        Ok(Db {
            pool,
            url: url.clone(),
            queries,
            head: Arc::default(),
        })
    }

    /// How many SQL statements this pool has run so far.
    pub fn queries_run(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// `(connections open, of which idle, most allowed)`.
    pub fn pool_state(&self) -> (u32, u32, u32) {
        let state = self.pool.state();
        (
            state.connections,
            state.idle_connections,
            self.pool.max_size(),
        )
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        self.url.backend_name()
    }

    fn checkout(&self) -> Result<r2d2::PooledConnection<ConnectionManager>, StoreError> {
        self.pool
            .get()
            .map_err(|e| StoreError::Connect(e.to_string()))
    }

    /// Applies pending migrations (recounting each actor's series when they become keyed by
    /// actor), then seals a format-1 audit log if the database still has
    /// one unsealed ([`verify::seal_v1`]); returns the versions applied.
    pub fn migrate_blocking(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.checkout()?;
        let applied = migrate::run(&mut conn)?;
        let sealed = verify::seal_v1(&mut conn)?;
        if sealed > 0 {
            tracing::info!(
                entries = sealed,
                "sealed the format-1 audit log: the new log starts with the seal and a snapshot of every row"
            );
        }
        // New audited columns: the chain records each row's state with them once.
        if !applied.is_empty() && sealed == 0 {
            let snapshots = verify::snapshot_added_columns(&mut conn)?;
            if snapshots > 0 {
                tracing::info!(
                    entries = snapshots,
                    "recorded the state of rows that gained audited columns"
                );
            }
        }
        // Series keyed by actor: values another actor's approval had displaced count again.
        if applied.iter().any(|v| v.contains(ACTOR_SERIES_MIGRATION)) {
            let recounted = audit::in_write_transaction(&mut conn, Author::system(), |tx| {
                models::measurement::recount_actor_series(tx)
            })?;
            if recounted > 0 {
                tracing::info!(
                    values = recounted,
                    "each actor's latest approved value of a cell counts again (series keyed by actor)"
                );
            }
        }
        Ok(applied)
    }

    /// Runs read-only work on tokio's blocking pool.
    pub async fn run<T, E>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.checkout()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs a write in one transaction with its audit entries (see [`audit`]), blocking the
    /// current thread. Either everything, audit included, commits, or nothing does.
    pub fn write_blocking<T, E>(
        &self,
        author: Author,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError> + From<diesel::result::Error>,
    {
        let mut conn = self.checkout()?;
        let (out, tip) = audit::in_write_transaction_with_tip(&mut conn, author, f)?;
        // Published after the commit and before the write returns: whoever reads after this
        // write has returned keys on the new head.
        if let Some(tip) = tip {
            self.head.publish(tip);
        }
        Ok(out)
    }

    /// The audit chain's head: the one this process last published or read when checked
    /// within `max_age`, else read again from the database (one indexed query; one caller at
    /// a time, the others use the known head meanwhile).
    pub async fn audit_tip(&self, max_age: Duration) -> Result<AuditTip, StoreError> {
        let ticket = match self.head.current(max_age) {
            head::HeadRead::Known(tip) => return Ok(tip),
            head::HeadRead::Refresh(ticket) => ticket,
        };
        let db = self.clone();
        // The read and its storing run to completion even if the request is abandoned, so
        // the refresh is never left half-done.
        tokio::task::spawn_blocking(move || {
            let read = db
                .checkout()
                .and_then(|mut conn| audit::head(&mut conn))
                .map(|(seq, hash, _)| AuditTip {
                    seq,
                    hash: hash.into(),
                });
            match read {
                Ok(tip) => Ok(db.head.store_read(ticket, Some(tip.clone())).unwrap_or(tip)),
                Err(e) => db.head.store_read(ticket, None).ok_or(e),
            }
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// [`Db::write_blocking`] on tokio's blocking pool.
    pub async fn write<T, E>(
        &self,
        author: Author,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.write_blocking(author, f))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

#[cfg(test)]
mod prefix_tests {
    use super::text_starts_with;

    #[test]
    fn prefixes_are_matched_without_formatting_the_rest() {
        struct Pieces(&'static [&'static str]);
        impl std::fmt::Display for Pieces {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                for p in self.0 {
                    f.write_str(p)?;
                }
                // Never reached once the prefix is decided.
                panic!("formatted past the prefix")
            }
        }
        assert!(text_starts_with(
            &Pieces(&["SEL", "ECT 1 -- x", "more"]),
            "SELECT 1"
        ));
        assert!(!text_starts_with(
            &Pieces(&["SELECT 2", "more"]),
            "SELECT 1"
        ));
        assert!(!text_starts_with(&"SELECT", "SELECT 1"));
        assert!(text_starts_with(
            &"SELECT 1 -- liveness",
            "SELECT 1 -- liveness"
        ));
    }
}
