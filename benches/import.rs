//! Import throughput benchmark: `cargo bench --bench import`.
//!
//! Writes a CSV of `AYNI_BENCH_ROWS` observations (default 1 000 000: 100 monthly variables ×
//! the 25 territories of Moquegua × as many months as needed) and, for each backend (SQLite file;
//! PostgreSQL started in a temporary directory like the test suite does; `AYNI_BENCH_BACKENDS`
//! picks them), times in the same run:
//! - Ayni's import of that file (`import_observations`: CSV parsing, validation of every row,
//!   duplicate check against stored values, bulk insert, the import's audit entry with the
//!   digest of every row), then the same file again (everything already stored);
//! - the database's own bulk path: `sqlite3 … .import` and PostgreSQL's `COPY` (through
//!   `psql \copy`)
//!   - of the same CSV into a *plain* table of its five columns,
//!   - of the same CSV into a *keyed* five-column table (the variable must exist: a foreign
//!     key; one value per variable, period and territory: a unique key),
//!   - of the same rows as Ayni stores them (every stored column, ids resolved) into *Ayni's
//!     own table* in a fresh Ayni database: the equivalent table, with the same keys,
//!     checks and indexes (on SQLite through a staging table, as `.import` cannot map
//!     columns or write NULLs).
//!
//! With `AYNI_BENCH_APPROVE=1` it also times approving the first import (`approveImport`,
//! set-wise: one audit entry per row, hashed in memory, stored with multi-row statements) and,
//! in the same run on the same database, the database's own bulk path for the same writes
//! (one `UPDATE` of the import's rows and one `INSERT … SELECT` copying as many audit entries
//! of the same size), and prints the ratio.
//!
//! It prints rows per second and the ratios; it asserts nothing. Needs the `sqlite3` command
//! line shell (`apt-get install -y sqlite3`) for the SQLite reference figures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/api/helpers/postgres.rs"]
mod postgres;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ayni::app::{Ayni, Caller, EcosystemInput, NewActorInput, VariableInput};
use ayni::config::DatabaseUrl;
use ayni::domain::{ActorKind, PeriodType, RollUp, SourceKind, TerritoryLevel};

const VARIABLES: usize = 100;

/// Moquegua's department, provinces and districts, as INEI's catalogue names them (imports
/// refuse codes outside it).
fn territories() -> Vec<String> {
    let mut out = vec!["18".to_string()];
    for (p, districts) in [(1, 7), (2, 11), (3, 3)] {
        out.push(format!("180{p}"));
        for d in 1..=districts {
            out.push(format!("180{p}{d:02}"));
        }
    }
    out
}

/// Writes the CSV; returns its size in bytes.
fn write_csv(path: &Path, rows: usize) -> u64 {
    let places = territories();
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "variable,period,territory,value,evidence").unwrap();
    let mut n = 0;
    'outer: for month in 0.. {
        let period = format!("{}{:02}", 1990 + month / 12, month % 12 + 1);
        for v in 1..=VARIABLES {
            for t in &places {
                if n == rows {
                    break 'outer;
                }
                let value = ((n * 7919) % 100_000) as f64 / 100.0;
                writeln!(
                    w,
                    "V{v:04},{period},{t},{value},INEI – registro administrativo"
                )
                .unwrap();
                n += 1;
            }
        }
    }
    w.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

/// The columns Ayni stores for each imported row, in `COPY`'s order.
const STORED_COLUMNS: &str = "variable_id, period, period_start, period_end, territory, \
     disaggregation, revision, value, evidence_url, evidence_text, comment, actor_id, \
     submitted_by, submitted_at, status, counted, import_id";

/// The same observations as Ayni stores them (variable ids resolved, period bounds computed,
/// who and when), for the database's own bulk path into Ayni's table. Variables are numbered
/// 1.. in code order, as `setup` creates them; the actor is 1, the import 1.
fn write_stored_csv(csv: &Path, stored: &Path) {
    use std::io::BufRead;
    let mut bounds = std::collections::HashMap::new();
    let mut w = std::io::BufWriter::new(std::fs::File::create(stored).unwrap());
    let r = std::io::BufReader::new(std::fs::File::open(csv).unwrap());
    for line in r.lines().skip(1) {
        let line = line.unwrap();
        let f: Vec<&str> = line.split(',').collect();
        let variable: i64 = f[0][1..].parse().unwrap();
        let (start, end) = bounds
            .entry(f[1].to_string())
            .or_insert_with(|| {
                let p = ayni::domain::Period::parse("period", f[1]).unwrap();
                (p.start().to_string(), p.end().to_string())
            })
            .clone();
        writeln!(
            w,
            "{variable},{},{start},{end},{},\"\",1,{},,{},\"\",1,,2026-11-24 10:00:00,submitted,0,1",
            f[1], f[2], f[3], f[4]
        )
        .unwrap();
    }
    w.flush().unwrap();
}

const REFERENCE_IMPORT: &str = "INSERT INTO imports (id, ecosystem_id, actor_id, file_name, file_sha256, \
     rows_read, rows_created, rows_unchanged, rows_digest, created_by, created_at) \
     VALUES (1, 1, 1, 'reference', '', 0, 0, 0, '', NULL, '2026-11-24 10:00:00');";

/// A fresh Ayni database (migrations, the same variables, actor and ecosystem as the
/// benchmark's, one import row) for the database's own bulk path into Ayni's own table.
async fn equivalent_database(url: &str) {
    let db = ayni::startup::open_database(&url.parse().unwrap(), 2)
        .await
        .unwrap();
    let app = Ayni::new(db, ayni::auth::TokenKeys::new(b"bench: signs nothing", 60));
    let (eco, actor) = setup(&app).await;
    assert_eq!((eco, actor), (1, 1));
}

async fn setup(app: &Ayni) -> (i64, i64) {
    let op = Caller::operator();
    let actor = app
        .create_actor(
            &op,
            NewActorInput {
                name: "Gobierno Regional de Moquegua".into(),
                kind: ActorKind::RegionalGovernment,
            },
        )
        .await
        .unwrap();
    let eco = app
        .create_ecosystem(
            &op,
            EcosystemInput {
                slug: "bench".into(),
                name: "Ecosistema de prueba".into(),
                territory: "18".into(),
                mission: String::new(),
                vision: String::new(),
                horizon_start: 2000,
                horizon_end: 2030,
            },
        )
        .await
        .unwrap();
    let mut codes = Vec::new();
    for v in 1..=VARIABLES {
        let code = format!("V{v:04}");
        app.create_variable(
            &op,
            VariableInput {
                code: Some(code.clone()),
                name: Some(format!("Variable {code}")),
                unit: Some("unidades".into()),
                source: Some(SourceKind::Inei),
                periodicity: Some(PeriodType::Monthly),
                level: Some(TerritoryLevel::District),
                rollup: Some(RollUp::Sum),
                responsible_actor_id: Some(Some(actor.id)),
                ..VariableInput::default()
            },
        )
        .await
        .unwrap();
        codes.push(code);
    }
    app.select_variables(&op, eco.id, codes, true)
        .await
        .unwrap();
    (eco.id, actor.id)
}

fn rate(rows: usize, d: Duration) -> f64 {
    rows as f64 / d.as_secs_f64()
}

fn timed(cmd: &mut Command, stdin: Option<&str>) -> Duration {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let elapsed = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    elapsed
}

const PLAIN_TABLE: &str = "CREATE TABLE obs (variable TEXT NOT NULL, period TEXT NOT NULL, territory TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, evidence TEXT NOT NULL);";

/// The same columns with the integrity the import enforces: the variable must exist and
/// each (variable, period, territory) series holds one value.
fn keyed_table() -> String {
    let codes: Vec<String> = (1..=VARIABLES).map(|v| format!("('V{v:04}')")).collect();
    format!(
        "CREATE TABLE variables_ref (code TEXT PRIMARY KEY); INSERT INTO variables_ref VALUES {}; \
         CREATE TABLE obs_keyed (variable TEXT NOT NULL REFERENCES variables_ref (code), period TEXT NOT NULL, \
         territory TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, evidence TEXT NOT NULL, UNIQUE (variable, period, territory));",
        codes.join(",")
    )
}

/// `sqlite3 .import` of the CSV into a plain table and into the keyed one, each in a fresh
/// database file.
fn sqlite_reference(csv: &Path, dir: &Path) -> Option<(Duration, Duration)> {
    if Command::new("sqlite3").arg("-version").output().is_err() {
        println!("sqlite   reference skipped: no sqlite3 shell (apt-get install -y sqlite3)");
        return None;
    }
    let mut times = Vec::new();
    for (name, table, schema) in [
        ("plain.db", "obs", PLAIN_TABLE.to_string()),
        ("keyed.db", "obs_keyed", keyed_table()),
    ] {
        let db = dir.join(name);
        timed(Command::new("sqlite3").arg(&db), Some(&schema));
        let script = format!(
            "PRAGMA foreign_keys = ON;\n.import --csv --skip 1 {} {table}\n",
            csv.display()
        );
        times.push(timed(Command::new("sqlite3").arg(&db), Some(&script)));
    }
    Some((times[0], times[1]))
}

/// `sqlite3 .import` of the stored columns into a staging table, then one `INSERT … SELECT`
/// into Ayni's `measurements` (its keys, checks and indexes, foreign keys on, WAL and the
/// page cache as Ayni runs it; the staging table in memory), in one script.
fn sqlite_equivalent(stored: &Path, db: &Path) -> Duration {
    timed(
        Command::new("sqlite3").arg(db),
        Some(&format!("PRAGMA foreign_keys = ON;\n{REFERENCE_IMPORT}\n")),
    );
    let script = format!(
        "PRAGMA foreign_keys = ON;\nPRAGMA journal_mode = WAL;\nPRAGMA synchronous = FULL;\n\
         PRAGMA cache_size = -32768;\nPRAGMA temp_store = MEMORY;\n\
         CREATE TEMP TABLE stage (variable_id INTEGER, period TEXT, period_start TEXT, \
         period_end TEXT, territory TEXT, disaggregation TEXT, revision INTEGER, value REAL, \
         evidence_url TEXT, evidence_text TEXT, comment TEXT, actor_id INTEGER, \
         submitted_by INTEGER, submitted_at TEXT, status TEXT, counted INTEGER, import_id INTEGER);\n\
         .import --csv --schema temp {} stage\n\
         BEGIN;\nINSERT INTO measurements ({STORED_COLUMNS}) SELECT variable_id, period, \
         period_start, period_end, territory, disaggregation, revision, value, \
         NULLIF(evidence_url, ''), evidence_text, comment, actor_id, NULLIF(submitted_by, ''), \
         submitted_at, status, counted, import_id FROM temp.stage;\nCOMMIT;\n",
        stored.display()
    );
    let took = timed(Command::new("sqlite3").arg(db), Some(&script));
    let out = Command::new("sqlite3")
        .arg(db)
        .arg("SELECT count(*) FROM measurements")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).trim() != "0",
        "nothing was loaded"
    );
    took
}

/// `COPY` (via `psql \copy`) of the stored columns into Ayni's `measurements`.
fn postgres_equivalent(stored: &Path, url: &str, psql: &Path) -> Duration {
    timed(
        Command::new(psql).args([url, "-q", "-c", REFERENCE_IMPORT]),
        None,
    );
    timed(
        Command::new(psql).args([
            url,
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            &format!(
                "\\copy measurements ({STORED_COLUMNS}) FROM '{}' WITH (FORMAT csv)",
                stored.display()
            ),
        ]),
        None,
    )
}

/// `COPY` (via `psql \copy`) of the CSV into the plain and the keyed table.
fn postgres_reference(csv: &Path, url: &str, psql: &Path) -> (Duration, Duration) {
    timed(
        Command::new(psql).args([url, "-q", "-c", PLAIN_TABLE]),
        None,
    );
    timed(
        Command::new(psql).args([url, "-q", "-c", &keyed_table()]),
        None,
    );
    let copy = |table: &str| {
        timed(
            Command::new(psql).args([
                url,
                "-q",
                "-c",
                &format!(
                    "\\copy {table} FROM '{}' WITH (FORMAT csv, HEADER true)",
                    csv.display()
                ),
            ]),
            None,
        )
    };
    (copy("obs"), copy("obs_keyed"))
}

/// The database's own bulk path for what approving an import writes, in one transaction: one
/// `UPDATE` rewriting the review columns of the import's rows, and one `INSERT … SELECT`
/// copying the audit entries the approval wrote (same sizes, under sequence numbers far
/// beyond the head, so the application's chain is left alone). Run after the approval, on
/// the same database.
fn database_approval(conn: &mut ayni::db::DbConnection, import: i64, head_before: i64) -> Duration {
    use diesel::connection::Connection;
    use diesel::prelude::*;
    const COLUMNS: &str = "at, user_id, actor_id, action, entity_type, entity_id, before_state, \
         after_state, prev_hash, before_private, before_salt, after_private, after_salt";
    let started = Instant::now();
    conn.transaction::<_, diesel::result::Error, _>(|c| {
        diesel::sql_query(format!(
            "UPDATE measurements SET status = 'approved', reviewed_by = NULL, \
             reviewed_at = submitted_at, counted = counted WHERE import_id = {import}"
        ))
        .execute(c)?;
        diesel::sql_query(format!(
            "INSERT INTO audit_log (seq, hash, {COLUMNS}) SELECT seq + 1000000000, 'r' || hash, \
             {COLUMNS} FROM audit_log WHERE seq > {head_before}"
        ))
        .execute(c)?;
        Ok(())
    })
    .unwrap();
    started.elapsed()
}

async fn bench(backend: &str, url: DatabaseUrl, csv: &Path, rows: usize) -> Duration {
    let db = ayni::startup::open_database(&url, 4).await.unwrap();
    let app = Ayni::new(db, ayni::auth::TokenKeys::new(b"bench: signs nothing", 60));
    let (eco, actor) = setup(&app).await;
    let op = Caller::operator();
    let mut times = Vec::new();
    for round in ["first import", "same file again"] {
        let bytes = std::fs::read(csv).unwrap();
        let started = Instant::now();
        let report = app
            .import_observations(&op, eco, "bench.csv".into(), bytes, Some(actor), None)
            .await
            .unwrap();
        let elapsed = started.elapsed();
        assert!(
            report.imported,
            "{} {:?}",
            report.message,
            report.errors.iter().take(3).collect::<Vec<_>>()
        );
        println!(
            "{backend:8} ayni import ({round:15}) {rows:>9} rows in {:>6.2} s = {:>9.0} rows/s ({} created, {} unchanged)",
            elapsed.as_secs_f64(),
            rate(rows, elapsed),
            report.rows_created,
            report.rows_unchanged
        );
        times.push(elapsed);
        // Approving what the import stored (one audit entry per row), when asked.
        if std::env::var_os("AYNI_BENCH_APPROVE").is_some()
            && let Some(id) = report.import_id
        {
            let mut conn = ayni::db::open_connection(&url).unwrap();
            let (head_before, _, _) = ayni::db::audit::head(&mut conn).unwrap();
            let started = Instant::now();
            let approved = app.approve_import(&op, id).await.unwrap();
            let took = started.elapsed();
            println!(
                "{backend:8} approveImport (set-wise)       {approved:>9} rows in {:>6.2} s = {:>9.0} rows/s",
                took.as_secs_f64(),
                rate(approved as usize, took)
            );
            let (head_after, _, _) = ayni::db::audit::head(&mut conn).unwrap();
            let reference = database_approval(&mut conn, id, head_before);
            println!(
                "{backend:8} database's own bulk path      {:>9} rows in {:>6.2} s = {:>9.0} rows/s | ayni / database = {:.2} ({} audit entries copied)",
                approved,
                reference.as_secs_f64(),
                rate(approved as usize, reference),
                reference.as_secs_f64() / took.as_secs_f64(),
                head_after - head_before
            );
        }
    }
    times[0]
}

fn main() {
    if std::env::var("RUST_LOG").is_ok() {
        ayni::telemetry::init(ayni::telemetry::LogFormat::Human);
    }
    let rows: usize = std::env::var("AYNI_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let backends =
        std::env::var("AYNI_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("observations.csv");
    let bytes = write_csv(&csv, rows);
    println!(
        "CSV: {rows} rows, {:.1} MB ({VARIABLES} monthly variables × {} territories)",
        bytes as f64 / 1e6,
        territories().len()
    );
    let stored = dir.path().join("stored.csv");
    write_stored_csv(&csv, &stored);
    actix_web::rt::System::new().block_on(async move {
        for backend in backends.split(',').map(str::trim) {
            let (ours, references, tool) = match backend {
                "sqlite" => {
                    let url = format!("sqlite://{}", dir.path().join("ayni.db").display());
                    let ours = bench(backend, url.parse().unwrap(), &csv, rows).await;
                    let mut references = Vec::new();
                    if let Some((plain, keyed)) = sqlite_reference(&csv, dir.path()) {
                        let db = dir.path().join("equivalent.db");
                        equivalent_database(&format!("sqlite://{}", db.display())).await;
                        references = vec![
                            ("plain table", plain),
                            ("keyed table", keyed),
                            ("Ayni's table", sqlite_equivalent(&stored, &db)),
                        ];
                    }
                    (ours, references, "sqlite3 .import")
                }
                "postgres" => {
                    let server = postgres::PgServer::get();
                    let ours = bench(
                        backend,
                        server.create_database().parse().unwrap(),
                        &csv,
                        rows,
                    )
                    .await;
                    let url = server.create_database();
                    let (plain, keyed) = postgres_reference(&csv, &url, &server.tool("psql"));
                    let url = server.create_database();
                    equivalent_database(&url).await;
                    let equivalent = postgres_equivalent(&stored, &url, &server.tool("psql"));
                    (
                        ours,
                        vec![
                            ("plain table", plain),
                            ("keyed table", keyed),
                            ("Ayni's table", equivalent),
                        ],
                        "COPY",
                    )
                }
                other => panic!("unknown backend {other}"),
            };
            for (table, took) in references {
                println!(
                    "{backend:8} {tool:18} {table:12} {rows:>9} rows in {:>6.2} s = {:>9.0} rows/s | ayni / database = {:.2}",
                    took.as_secs_f64(),
                    rate(rows, took),
                    took.as_secs_f64() / ours.as_secs_f64()
                );
            }
        }
    });
}
