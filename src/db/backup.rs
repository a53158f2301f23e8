//! Copies of the database, taken while the server runs, and their restoration.
//!
//! SQLite: the online backup API (`sqlite3_backup_*`, through rusqlite), which copies a
//! transaction-consistent image page by page while other connections keep reading and
//! writing, into a file written beside the target and renamed into place once complete.
//! PostgreSQL: `pg_dump --format=custom` (one consistent snapshot of the database) and
//! `pg_restore`, run as child processes when present on the `PATH` (or named by
//! `AYNI_PG_DUMP` / `AYNI_PG_RESTORE`).
//!
//! Whether a copy is sound is for the audit chain to say: the CLI verifies every copy it
//! takes or restores (see `ayni backup`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::config::DatabaseUrl;

/// What went wrong taking or restoring a copy.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Refused(String),
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} was not found: install PostgreSQL's client programs, or name it with {1}")]
    MissingTool(&'static str, &'static str),
    #[error("{tool} failed ({status}): {stderr}")]
    Tool {
        tool: &'static str,
        status: String,
        stderr: String,
    },
}

/// A copy taken or restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOutcome {
    /// `sqlite-backup-api` or `pg_dump` / `pg_restore`.
    pub method: &'static str,
    /// The size of the copy, in bytes.
    pub bytes: u64,
}

/// The first bytes of a SQLite database file and of a `pg_dump` custom-format archive.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
const PG_DUMP_MAGIC: &[u8] = b"PGDMP";

/// Pages copied per step of the backup API; between steps other connections may write.
const PAGES_PER_STEP: std::os::raw::c_int = 1024;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The file written while a copy is in progress, renamed to `dest` once complete.
fn partial(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    dest.with_file_name(name)
}

fn size(path: &Path) -> Result<u64, BackupError> {
    Ok(std::fs::metadata(path).map_err(io(path))?.len())
}

/// Copies the database at `url` into the new file `dest` (refused when it exists).
pub fn backup(url: &DatabaseUrl, dest: &Path) -> Result<CopyOutcome, BackupError> {
    if dest.exists() {
        return Err(BackupError::Refused(format!(
            "{} exists: choose a new file (a backup never overwrites one)",
            dest.display()
        )));
    }
    let tmp = partial(dest);
    let _ = std::fs::remove_file(&tmp);
    let method = match url {
        DatabaseUrl::Sqlite(source) => {
            if !source.exists() {
                return Err(BackupError::Refused(format!(
                    "no database at {}",
                    source.display()
                )));
            }
            sqlite_copy(source, &tmp)?;
            "sqlite-backup-api"
        }
        DatabaseUrl::Postgres(_) => {
            let out = run_tool(
                "pg_dump",
                "AYNI_PG_DUMP",
                &[
                    "--format=custom".into(),
                    "--no-owner".into(),
                    "--no-privileges".into(),
                    format!("--file={}", tmp.display()),
                    format!("--dbname={}", url.to_string_unmasked()),
                ],
            );
            if let Err(e) = out {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
            "pg_dump"
        }
    };
    std::fs::rename(&tmp, dest).map_err(io(dest))?;
    Ok(CopyOutcome {
        method,
        bytes: size(dest)?,
    })
}

/// Replaces the database at `url` with the copy in `source`: a SQLite file into a SQLite
/// database, a `pg_dump` archive into a PostgreSQL one (its tables dropped and recreated in
/// one transaction). A copy of the other kind is refused before anything is touched.
pub fn restore(source: &Path, url: &DatabaseUrl) -> Result<CopyOutcome, BackupError> {
    let head = read_head(source)?;
    match url {
        DatabaseUrl::Sqlite(target) => {
            if !head.starts_with(SQLITE_MAGIC) {
                return Err(BackupError::Refused(format!(
                    "{} is not a SQLite database: a PostgreSQL archive restores into PostgreSQL only",
                    source.display()
                )));
            }
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io(dir))?;
            }
            sqlite_copy(source, target)?;
            Ok(CopyOutcome {
                method: "sqlite-backup-api",
                bytes: size(source)?,
            })
        }
        DatabaseUrl::Postgres(_) => {
            if !head.starts_with(PG_DUMP_MAGIC) {
                return Err(BackupError::Refused(format!(
                    "{} is not a pg_dump archive: a SQLite copy restores into SQLite only",
                    source.display()
                )));
            }
            run_tool(
                "pg_restore",
                "AYNI_PG_RESTORE",
                &[
                    "--clean".into(),
                    "--if-exists".into(),
                    "--no-owner".into(),
                    "--no-privileges".into(),
                    "--single-transaction".into(),
                    "--exit-on-error".into(),
                    format!("--dbname={}", url.to_string_unmasked()),
                    source.display().to_string(),
                ],
            )?;
            Ok(CopyOutcome {
                method: "pg_restore",
                bytes: size(source)?,
            })
        }
    }
}

fn read_head(path: &Path) -> Result<Vec<u8>, BackupError> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let mut head = vec![0u8; 16];
    let n = file.read(&mut head).map_err(io(path))?;
    head.truncate(n);
    Ok(head)
}

/// The online backup API: `from` (opened read-only) copied over `to`, page by page.
fn sqlite_copy(from: &Path, to: &Path) -> Result<(), BackupError> {
    use rusqlite::{Connection, OpenFlags};
    let src = Connection::open_with_flags(
        from,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    src.busy_timeout(Duration::from_secs(30))?;
    let mut dst = Connection::open(to)?;
    dst.busy_timeout(Duration::from_secs(30))?;
    let backup = rusqlite::backup::Backup::new(&src, &mut dst)?;
    backup.run_to_completion(PAGES_PER_STEP, Duration::from_millis(5), None)?;
    Ok(())
}

/// Runs one of PostgreSQL's client programs (the environment variable names another path).
fn run_tool(tool: &'static str, env: &'static str, args: &[String]) -> Result<(), BackupError> {
    let program = std::env::var_os(env).unwrap_or_else(|| tool.into());
    let output = Command::new(&program).args(args).output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            BackupError::MissingTool(tool, env)
        } else {
            BackupError::Io {
                path: PathBuf::from(&program),
                source: e,
            }
        }
    })?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr: String = String::from_utf8_lossy(&output.stderr)
            .chars()
            .take(2000)
            .collect();
        Err(BackupError::Tool {
            tool,
            status: output.status.to_string(),
            stderr,
        })
    }
}

/// A database created on the server of another to check a copy in, dropped when the guard
/// goes.
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    pub url: DatabaseUrl,
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        use diesel::{Connection, RunQueryDsl};
        if let Ok(mut c) = diesel::PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{}\"", self.name))
                .execute(&mut c);
        }
    }
}

/// Creates an empty database beside the one `url` names (PostgreSQL only), for checking a
/// copy; refused when the role may not create databases.
pub fn scratch_database(url: &DatabaseUrl) -> Result<ScratchDatabase, BackupError> {
    use diesel::{Connection, RunQueryDsl};
    let DatabaseUrl::Postgres(raw) = url else {
        return Err(BackupError::Refused(
            "a scratch database is for PostgreSQL".into(),
        ));
    };
    let mut parsed = url::Url::parse(raw)
        .map_err(|e| BackupError::Refused(format!("the database URL does not parse: {e}")))?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let name = format!("ayni_check_{}_{stamp}", std::process::id());
    let mut c = diesel::PgConnection::establish(raw)
        .map_err(|e| BackupError::Refused(format!("cannot connect: {e}")))?;
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut c)
        .map_err(|e| BackupError::Refused(format!("cannot create a scratch database: {e}")))?;
    parsed.set_path(&format!("/{name}"));
    Ok(ScratchDatabase {
        admin_url: raw.clone(),
        name,
        url: DatabaseUrl::Postgres(parsed.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_copy_holds_what_the_source_held_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.db");
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);",
        )
        .unwrap();
        let url: DatabaseUrl = format!("sqlite://{}", db.display()).parse().unwrap();
        let copy = dir.path().join("copy.db");
        let outcome = backup(&url, &copy).unwrap();
        assert_eq!(outcome.method, "sqlite-backup-api");
        assert!(outcome.bytes > 0);
        assert!(!partial(&copy).exists());
        let n: i64 = rusqlite::Connection::open(&copy)
            .unwrap()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2, "the rows still in the WAL are copied too");
        assert!(matches!(backup(&url, &copy), Err(BackupError::Refused(_))));

        // Restored over a database that changed since: the copy's content comes back.
        conn.execute("INSERT INTO t VALUES (3)", []).unwrap();
        drop(conn);
        restore(&copy, &url).unwrap();
        let n: i64 = rusqlite::Connection::open(&db)
            .unwrap()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn a_copy_of_the_wrong_kind_is_refused_before_anything_is_touched() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("dump.pgdump");
        std::fs::write(&fake, b"PGDMP\x01\x0e\x00 not really").unwrap();
        let target = dir.path().join("t.db");
        let url: DatabaseUrl = format!("sqlite://{}", target.display()).parse().unwrap();
        assert!(matches!(restore(&fake, &url), Err(BackupError::Refused(_))));
        assert!(!target.exists());
        let pg: DatabaseUrl = "postgres://x@127.0.0.1:1/none".parse().unwrap();
        let sqlite_file = dir.path().join("s.db");
        rusqlite::Connection::open(&sqlite_file)
            .unwrap()
            .execute_batch("CREATE TABLE t(x);")
            .unwrap();
        assert!(matches!(
            restore(&sqlite_file, &pg),
            Err(BackupError::Refused(_))
        ));
        assert!(matches!(
            restore(&dir.path().join("missing"), &url),
            Err(BackupError::Io { .. })
        ));
    }
}
