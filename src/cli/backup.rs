//! `ayni backup FILE` and `ayni restore FILE`: a copy of the database taken while the
//! server runs, and its restoration, each checked with the audit chain (`ayni audit verify`).

use std::path::PathBuf;

use clap::Args;

use super::{DbArgs, audit};
use crate::config::DatabaseUrl;
use crate::db::backup::{self, BackupError};

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The new file to write (never overwritten): a SQLite database file, or a `pg_dump`
    /// custom-format archive for PostgreSQL.
    file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    db: DbArgs,
    /// A copy written by `ayni backup`.
    file: PathBuf,
}

fn err(e: BackupError) -> String {
    e.to_string()
}

fn db_of(url: DatabaseUrl) -> DbArgs {
    DbArgs { database_url: url }
}

/// Takes the copy, then verifies its audit chain: a SQLite copy directly, a PostgreSQL
/// archive restored into a scratch database on the same server (when the role may create
/// one; otherwise the source's chain is verified and the copy's check is left to
/// `ayni restore`).
pub fn run_backup(args: BackupArgs) -> Result<(), String> {
    super::existing_database(&args.db)?;
    let outcome = backup::backup(&args.db.database_url, &args.file).map_err(err)?;
    println!(
        "copy:    {} ({} bytes, {})",
        args.file.display(),
        outcome.bytes,
        outcome.method
    );
    match &args.db.database_url {
        DatabaseUrl::Sqlite(_) => {
            println!("check:   the copy's audit chain");
            audit::verify(&db_of(DatabaseUrl::Sqlite(args.file.clone())), false)
                .map_err(|e| format!("the copy does not verify: {e}"))
        }
        DatabaseUrl::Postgres(_) => match backup::scratch_database(&args.db.database_url) {
            Ok(scratch) => {
                backup::restore(&args.file, &scratch.url).map_err(err)?;
                println!("check:   the copy restored into a scratch database");
                audit::verify(&db_of(scratch.url.clone()), false)
                    .map_err(|e| format!("the copy does not verify: {e}"))
            }
            Err(e) => {
                eprintln!(
                    "warning: the copy could not be checked ({e}); verifying the source instead. Check the copy by restoring it: ayni restore FILE --database-url URL"
                );
                audit::verify(&args.db, false)
            }
        },
    }
}

/// Checks a SQLite copy before touching the target, restores it, then verifies the target.
pub fn run_restore(args: RestoreArgs) -> Result<(), String> {
    if !args.file.is_file() {
        return Err(format!("no copy at {}", args.file.display()));
    }
    if matches!(args.db.database_url, DatabaseUrl::Sqlite(_))
        && std::fs::read(&args.file)
            .map(|b| b.starts_with(b"SQLite format 3\0"))
            .unwrap_or(false)
    {
        println!("check:   the copy's audit chain, before restoring");
        audit::verify(&db_of(DatabaseUrl::Sqlite(args.file.clone())), false)
            .map_err(|e| format!("the copy does not verify, nothing restored: {e}"))?;
    }
    let outcome = backup::restore(&args.file, &args.db.database_url).map_err(err)?;
    println!(
        "restored: {} into {} ({})",
        args.file.display(),
        args.db.database_url,
        outcome.method
    );
    println!("check:   the restored database's audit chain");
    audit::verify(&args.db, false)
}
