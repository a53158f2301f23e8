//! A database written with audit record format 1 (whole rows, e-mails and pending values in
//! the clear) is upgraded: its log is sealed, not rewritten; the new log starts with the seal
//! and a snapshot of every row; nothing private of the old log is served; everything verifies.
//! A database of the release before migrations 000009-000012 (record format 2, without the
//! columns they add) gains a snapshot of each row that gained audited columns and verifies.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use serde_json::{Value, json};

use ayni::config::DatabaseUrl;

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::trust::{chain, sql};

both_backends!(
    a_format_1_database_is_sealed_and_verifies,
    a_format_2_database_gains_audited_columns_and_verifies,
);

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// What the release before record format 2 wrote (see the file's header).
const FIXTURE: &str = include_str!("../fixtures/audit-v1.sql");
/// Migrations 000001-000007: the schema that release had.
const FORMAT_1_MIGRATIONS: usize = 7;
/// Strings the format-1 log holds in the clear.
const PRIVATE_IN_V1: [&str; 6] = [
    "contribuyente.v1@gore.example.pe",
    "admin@ayni.local",
    "4242.4242",
    "evidencia-v1-privada",
    "motivo-v1-privado",
    "importe-v1-privado",
];

/// The fixture's head: `(seq, hash)`.
fn fixture_head() -> (i64, String) {
    let line = FIXTURE
        .lines()
        .find(|l| l.starts_with("UPDATE audit_head SET"))
        .unwrap();
    let seq = line
        .split("seq = ")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    let hash = line
        .split("hash = '")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    (seq.parse().unwrap(), hash.to_string())
}

/// Builds the format-1 database: the old schema, then the old release's rows.
fn load_format_1(url: &DatabaseUrl) {
    load_release(url, FORMAT_1_MIGRATIONS, FIXTURE);
}

/// Builds an old release's database: its schema (the first `migrations`), then its rows.
fn load_release(url: &DatabaseUrl, migrations: usize, fixture: &str) {
    fn load<C: MigrationHarness<B> + SimpleConnection, B: diesel::backend::Backend>(
        conn: &mut C,
        all: impl Fn() -> EmbeddedMigrations,
        migrations: usize,
        fixture: &str,
    ) {
        for _ in 0..migrations {
            conn.run_next_migration(all()).unwrap();
        }
        conn.batch_execute(fixture).unwrap();
    }
    match url {
        DatabaseUrl::Sqlite(path) => {
            let mut c = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
            c.batch_execute("PRAGMA foreign_keys = ON").unwrap();
            load(&mut c, || SQLITE, migrations, fixture);
        }
        DatabaseUrl::Postgres(_) => {
            let mut c = PgConnection::establish(&url.to_string_unmasked()).unwrap();
            load(&mut c, || POSTGRES, migrations, fixture);
            // Explicit ids do not move PostgreSQL's identity sequences: move them past the rows.
            c.batch_execute(
                "DO $$ DECLARE t record; BEGIN
                   FOR t IN SELECT c.table_name FROM information_schema.columns c
                            WHERE c.column_name = 'id' AND c.is_identity = 'YES' AND c.table_schema = 'public' LOOP
                     EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''), COALESCE((SELECT max(id) FROM %I), 1))', t.table_name, t.table_name);
                   END LOOP; END $$;",
            )
            .unwrap();
        }
    }
}

async fn proof_pages(app: &TestApp) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut from = Some(1);
    while let Some(f) = from {
        let page = app.get(&format!("/api/v1/audit/proof?from={f}")).await.body;
        entries.extend(page["entries"].as_array().unwrap().iter().cloned());
        from = page["next"].as_i64();
    }
    entries
}

/// What the release before migrations 000009-000012 wrote: audit record format 2, whose
/// states lack the columns those migrations added (see the file's header).
const FIXTURE_V2: &str = include_str!("../fixtures/audit-v2-before-000009.sql");

/// Migrations 000009-000012 add audited columns (an ecosystem's `illustrative`, the expected
/// sign of links and hybrid metrics, actor rules, valid ranges): the upgrade records a
/// snapshot of each row that gained them, and nothing else, and everything verifies.
async fn a_format_2_database_gains_audited_columns_and_verifies(app: TestApp) {
    let backend = app.backend;
    let (url, dir) = backend.fresh_database();
    load_release(&url, 8, FIXTURE_V2);
    let app = TestApp::spawn_on(backend, url, dir, |_| {}).await;
    let entries = proof_pages(&app).await;
    assert!(
        entries.len() > 1682,
        "the old chain is kept: {}",
        entries.len()
    );
    let snapshots: Vec<&Value> = entries[1682..]
        .iter()
        .filter(|e| e["action"] == "snapshot")
        .collect();
    assert_eq!(
        snapshots.len(),
        entries.len() - 1682,
        "the upgrade writes snapshots only"
    );
    for kind in [
        "ecosystem",
        "objective_link",
        "hybrid_metric",
        "indicator",
        "variable",
    ] {
        assert!(
            snapshots.iter().any(|e| e["entity_type"] == kind),
            "a snapshot of a {kind}"
        );
    }
    for kind in ["user", "measurement", "target", "actor"] {
        assert!(
            !snapshots.iter().any(|e| e["entity_type"] == kind),
            "no {kind} gained a column"
        );
    }
    let indicator = snapshots
        .iter()
        .find(|e| e["entity_type"] == "indicator")
        .unwrap();
    assert_eq!(indicator["after"]["actor_rule"], "LATEST");
    assert!(indicator["after"].get("valid_min").is_some());
    let chain = chain(&app).await;
    assert_eq!(chain["verified"], true, "{chain}");
    assert_eq!(chain["mismatchCount"], 0, "{chain}");
}

async fn a_format_1_database_is_sealed_and_verifies(app: TestApp) {
    let backend = app.backend;
    let (url, dir) = backend.fresh_database();
    load_format_1(&url);
    let (v1_seq, v1_hash) = fixture_head();
    assert!(v1_seq > 1000);

    // Starting the new release migrates and seals.
    let app = TestApp::spawn_on(backend, url.clone(), dir, |_| {}).await;
    let entries = proof_pages(&app).await;
    let seal = &entries[0];
    assert_eq!(seal["seq"], 1);
    assert_eq!(seal["action"], "seal");
    assert_eq!(seal["entity_type"], "audit_log_v1");
    assert_eq!(seal["prev_hash"], "0".repeat(64));
    assert_eq!(seal["after"]["head_seq"], v1_seq);
    assert_eq!(seal["after"]["head_hash"], v1_hash.as_str());
    assert_eq!(seal["after"]["length"], v1_seq);
    assert_eq!(seal["after"]["verified"], true);
    // Then a snapshot of every row: users, values, the import...
    let snapshots: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "snapshot")
        .collect();
    assert!(snapshots.len() > 500, "{} snapshots", snapshots.len());
    for kind in [
        "user",
        "measurement",
        "import",
        "challenge",
        "setting",
        "indicator",
    ] {
        assert!(
            snapshots.iter().any(|e| e["entity_type"] == kind),
            "a snapshot of a {kind}"
        );
    }
    // ... none of which shows what the old log showed in the clear.
    let served = serde_json::to_string(&entries).unwrap();
    for s in PRIVATE_IN_V1 {
        assert!(!served.contains(s), "the proof shows '{s}'");
    }
    let rejected = entries
        .iter()
        .find(|e| e["entity_type"] == "measurement" && e["after"]["status"] == "rejected")
        .unwrap();
    assert!(rejected["after"]["value"].is_null());
    assert_eq!(
        rejected["after"]["private_commitment"]
            .as_str()
            .unwrap()
            .len(),
        64
    );

    let c = chain(&app).await;
    assert_eq!(c["verified"], true, "{c}");
    let sealed = app
        .graphql(None, "{ auditChain { sealedV1 { length headSeq headHash verified firstBrokenSeq breakReason } } }", json!({}))
        .await
        .body["data"]["auditChain"]["sealedV1"]
        .clone();
    assert_eq!(
        sealed,
        json!({"length": v1_seq, "headSeq": v1_seq, "headHash": v1_hash, "verified": true, "firstBrokenSeq": null, "breakReason": null})
    );

    // The operator's full check agrees.
    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_ayni"))
        .args([
            "audit",
            "verify",
            "--database-url",
            &url.to_string_unmasked(),
        ])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success(), "{text}");
    assert!(
        text.contains(&format!("sealed:  format-1 log of {v1_seq} entries")),
        "{text}"
    );

    // A user's snapshot commits to the e-mail: the operator can reveal it to an auditor.
    let user = snapshots
        .iter()
        .find(|e| e["entity_type"] == "user" && e["entity_id"] == "2")
        .unwrap();
    let reveal = std::process::Command::new(env!("CARGO_BIN_EXE_ayni"))
        .args([
            "audit",
            "reveal",
            &user["seq"].to_string(),
            "--database-url",
            &url.to_string_unmasked(),
        ])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        reveal.status.success(),
        "{}",
        String::from_utf8_lossy(&reveal.stderr)
    );
    let revealed: Value = serde_json::from_slice(&reveal.stdout).unwrap();
    assert!(
        revealed["after"]["private"]
            .as_str()
            .unwrap()
            .contains("contribuyente.v1@gore.example.pe")
    );
    assert_eq!(
        revealed["after"]["commitment"],
        user["after"]["private_commitment"]
    );
    assert_eq!(revealed["after"]["matches"], true);

    // Starting again seals nothing more.
    let length = c["length"].as_i64().unwrap();
    let again = TestApp::spawn_on(backend, url.clone(), None, |_| {}).await;
    assert_eq!(chain(&again).await["length"], length);

    // The sealed log is read-only, and an entry edited behind the triggers is found.
    assert!(
        sql(&app, "DELETE FROM audit_log_v1 WHERE seq = 7")
            .await
            .unwrap_err()
            .contains("sealed")
    );
    match backend {
        Backend::Sqlite => sql(&app, "DROP TRIGGER audit_log_v1_no_update")
            .await
            .unwrap(),
        Backend::Postgres => sql(
            &app,
            "ALTER TABLE audit_log_v1 DISABLE TRIGGER audit_log_v1_no_write",
        )
        .await
        .unwrap(),
    };
    let edited = sql(
        &app,
        "UPDATE audit_log_v1 SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 7",
    )
    .await
    .unwrap();
    assert_eq!(edited, 1);
    let c = chain(&app).await;
    assert_eq!(c["verified"], false, "{c}");
    let sealed = app
        .graphql(
            None,
            "{ auditChain { firstBrokenSeq sealedV1 { verified firstBrokenSeq } } }",
            json!({}),
        )
        .await
        .body["data"]["auditChain"]
        .clone();
    assert_eq!(
        sealed,
        json!({"firstBrokenSeq": null, "sealedV1": {"verified": false, "firstBrokenSeq": 7}})
    );
}
