//! The `ayni` command line: one file per command.

mod audit;
mod backup;
mod bench_data;
mod contracts;
mod export;
mod import;
mod migrate;
mod seed;
mod serve;
mod token;
mod user;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{DEFAULT_DATABASE_URL, DatabaseUrl};
use crate::telemetry::{self, LogFormat};

#[derive(Debug, Parser)]
#[command(
    name = "ayni",
    version,
    about = "Ayni: ecosystem Balanced Scorecard, shared value and cumulative impacts for mining territories"
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(
        long,
        global = true,
        env = "AYNI_LOG_FORMAT",
        value_enum,
        default_value = "human"
    )]
    log_format: LogFormat,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database, then serve GraphQL, REST and the web portal.
    Serve(serve::ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DbArgs),
    /// Manage users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Load seed files (actors, ecosystems, strategy maps) idempotently.
    Seed(seed::SeedArgs),
    /// Export data to files.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Import data from files.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Check the tamper-evident audit log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Copy the database while the server runs (SQLite's online backup API; `pg_dump` for
    /// PostgreSQL) into a new FILE, then verify the copy's audit chain.
    Backup(backup::BackupArgs),
    /// Replace the database with a copy written by `ayni backup` (stop the server first),
    /// verifying the copy and the result's audit chain.
    Restore(backup::RestoreArgs),
    /// Print an access token (JWT) for scripting; asks the password on stdin.
    Token(token::TokenArgs),
    /// Generate a synthetic ecosystem for benchmarks (see benches/scorecard.rs).
    BenchData(bench_data::BenchDataArgs),
    /// Write the GraphQL schema (SDL) the server serves.
    Schema(contracts::OutArgs),
    /// Write the OpenAPI document the server serves, as YAML.
    Openapi(contracts::OutArgs),
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// postgres://…, postgresql://…, sqlite://PATH or a plain file path.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, value_name = "URL")]
    pub database_url: DatabaseUrl,
}

/// The signing secret the server and `ayni token` share.
#[derive(Debug, Clone, Args)]
pub struct SecretArgs {
    /// HS256 signing secret (at least 32 characters). When unset, a random secret is
    /// generated once and kept in the database.
    #[arg(
        long,
        env = "AYNI_JWT_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub jwt_secret: Option<String>,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, env = "AYNI_TOKEN_TTL", default_value_t = 3600, value_name = "SECONDS",
          value_parser = clap::value_parser!(i64).range(60..=2_592_000))]
    pub token_ttl: i64,
}

/// Parses the command line, runs the command and turns its outcome into an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Backup(args) => backup::run_backup(args),
        Command::Restore(args) => backup::run_restore(args),
        Command::Migrate(args) => migrate::run(args),
        Command::User(cmd) => user::run(cmd),
        Command::Token(args) => token::run(args),
        Command::Seed(args) => seed::run(args),
        Command::Audit(cmd) => audit::run(cmd),
        Command::Import(cmd) => import::run(cmd),
        Command::BenchData(args) => bench_data::run(args),
        Command::Export(cmd) => export::run(cmd),
        Command::Schema(args) => contracts::write_schema(args),
        Command::Openapi(args) => contracts::write_openapi(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A small runtime for commands that call the (async) use cases once.
fn block_on<F: std::future::Future>(f: F) -> Result<F::Output, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(|rt| rt.block_on(f))
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

/// Reads a secret: from the terminal without echo, or one line of piped stdin.
fn read_secret(prompt: &str) -> Result<String, String> {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    let line = if stdin.is_terminal() {
        rpassword::prompt_password(prompt).map_err(|e| format!("cannot read the password: {e}"))?
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
        line
    };
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Commands other than `serve` and `migrate` work on a database that exists: a SQLite path
/// that does not is refused (a typo would otherwise create an empty database and report on
/// it).
fn existing_database(db: &DbArgs) -> Result<(), String> {
    match &db.database_url {
        DatabaseUrl::Sqlite(path) if !path.exists() => Err(format!(
            "no database at {}: create it with `ayni migrate --database-url {}` (or `ayni serve`)",
            path.display(),
            db.database_url
        )),
        _ => Ok(()),
    }
}

/// The service on a database as it is, without migrating it (for commands that only read).
fn unmigrated_app(db: &DbArgs) -> Result<crate::app::Ayni, String> {
    existing_database(db)?;
    let db = crate::db::Db::connect(&db.database_url, 1).map_err(|e| e.to_string())?;
    Ok(crate::app::Ayni::new(
        db,
        crate::auth::TokenKeys::new(b"offline: signs nothing", 60),
    ))
}

/// The service for a command that works on the database directly: migrated, with keys that
/// sign nothing (commands that issue tokens build their own).
async fn offline_app(db: &DbArgs, pool_size: u32) -> Result<crate::app::Ayni, String> {
    existing_database(db)?;
    let db = crate::startup::open_database(&db.database_url, pool_size)
        .await
        .map_err(|e| e.to_string())?;
    Ok(crate::app::Ayni::new(
        db,
        crate::auth::TokenKeys::new(b"offline: signs nothing", 60),
    ))
}
