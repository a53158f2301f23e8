//! The audit chain against tampering: triggers, verification, published checkpoints.

use diesel::RunQueryDsl;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::scorecard_support::seeded_with_values;

both_backends!(
    the_audit_log_refuses_updates_and_deletes,
    an_edited_measurement_is_detected,
    a_deleted_or_edited_audit_entry_is_detected,
    a_saved_checkpoint_proves_the_history_with_sha256_alone,
);

pub(crate) async fn sql(app: &TestApp, statement: &str) -> Result<usize, String> {
    let statement = statement.to_string();
    app.direct(move |c| {
        diesel::sql_query(statement)
            .execute(c)
            .map_err(ayni::app::AppError::internal)
    })
    .await
    .map_err(|e| format!("{e:?}"))
}

/// A fresh verification of the audit chain, as an admin asks for it (the public may get one
/// up to five minutes old while the head has not moved).
pub(crate) async fn chain(app: &TestApp) -> Value {
    // One auditor account per database, created on first use (a second creation is refused
    // and ignored), so checking twice does not itself change the chain.
    const AUDITOR: &str = "auditor@ayni.test";
    let _ = app
        .app
        .create_user(
            &ayni::app::Caller::operator(),
            ayni::app::NewUserInput {
                email: AUDITOR.into(),
                password: crate::helpers::TEST_PASSWORD.into(),
                role: ayni::domain::Role::Admin,
                actor_id: None,
            },
        )
        .await;
    let admin = app.token(AUDITOR, crate::helpers::TEST_PASSWORD).await;
    chain_as(app, Some(&admin)).await
}

pub(crate) async fn chain_as(app: &TestApp, token: Option<&str>) -> Value {
    let body = app
        .graphql(token, "{ auditChain { length headSeq headHash verified firstBrokenSeq breakReason mismatchCount mismatches { entityType entityId auditSeq problem } } }", json!({}))
        .await
        .body;
    assert_eq!(body["errors"], Value::Null, "{body}");
    body["data"]["auditChain"].clone()
}

async fn the_audit_log_refuses_updates_and_deletes(app: TestApp) {
    seeded_with_values(&app).await;
    assert!(
        sql(&app, "UPDATE audit_log SET action = 'x' WHERE seq = 1")
            .await
            .unwrap_err()
            .contains("append-only")
    );
    assert!(
        sql(&app, "DELETE FROM audit_log WHERE seq = 1")
            .await
            .unwrap_err()
            .contains("append-only")
    );
    let c = chain(&app).await;
    assert_eq!(c["verified"], true, "{c}");
    assert!(c["length"].as_i64().unwrap() > 10);
}

async fn an_edited_measurement_is_detected(app: TestApp) {
    let measurement = seeded_with_values(&app).await;
    assert_eq!(chain(&app).await["verified"], true);
    // The operator changes a published value directly in the database.
    sql(
        &app,
        &format!("UPDATE measurements SET value = value + 10 WHERE id = {measurement}"),
    )
    .await
    .unwrap();
    let c = chain(&app).await;
    assert_eq!(c["verified"], false);
    assert_eq!(
        c["firstBrokenSeq"],
        Value::Null,
        "the chain itself is intact"
    );
    assert_eq!(c["mismatchCount"], 1);
    assert_eq!(c["mismatches"][0]["entityType"], "measurement");
    assert_eq!(c["mismatches"][0]["entityId"], measurement.to_string());
    assert!(c["mismatches"][0]["auditSeq"].as_i64().is_some());

    // And the CLI says so, with a failing exit code.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ayni"))
        .args([
            "audit",
            "verify",
            "--database-url",
            &app.database_url.to_string_unmasked(),
        ])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("measurement {measurement}")),
        "{text}"
    );
}

pub(crate) async fn disable_audit_triggers(app: &TestApp) {
    match app.backend {
        Backend::Sqlite => {
            sql(app, "DROP TRIGGER audit_log_no_update").await.unwrap();
            sql(app, "DROP TRIGGER audit_log_no_delete").await.unwrap();
        }
        Backend::Postgres => {
            sql(
                app,
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
            )
            .await
            .unwrap();
        }
    }
}

async fn a_deleted_or_edited_audit_entry_is_detected(app: TestApp) {
    seeded_with_values(&app).await;
    let length = chain(&app).await["length"].as_i64().unwrap();
    // Someone with database access disables the guards and deletes entry 5.
    disable_audit_triggers(&app).await;
    sql(&app, "DELETE FROM audit_log WHERE seq = 5")
        .await
        .unwrap();
    let c = chain(&app).await;
    assert_eq!(c["verified"], false);
    assert_eq!(c["firstBrokenSeq"], 5, "{c}");
    assert!(c["breakReason"].as_str().unwrap().contains("missing"));
    assert_eq!(c["length"], length - 1);

    // Editing an entry's recorded state in place breaks it at that entry.
    sql(&app, "UPDATE audit_log SET after_state = REPLACE(after_state, '\"value\":', '\"value\":1') WHERE seq = 3").await.unwrap();
    let edited = sql(
        &app,
        "UPDATE audit_log SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 2",
    )
    .await
    .unwrap();
    assert_eq!(edited, 1);
    let c = chain(&app).await;
    assert_eq!(c["firstBrokenSeq"], 2, "{c}");
    assert!(c["breakReason"].as_str().unwrap().contains("edited"));
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

async fn a_saved_checkpoint_proves_the_history_with_sha256_alone(app: TestApp) {
    seeded_with_values(&app).await;
    // A newspaper records the head.
    let head = app.get("/api/v1/audit/head").await.body;
    let (seq, hash) = (
        head["seq"].as_i64().unwrap(),
        head["hash"].as_str().unwrap().to_string(),
    );
    assert!(seq > 0 && hash.len() == 64 && head["at"].is_string());

    // More happens.
    let more = crate::scorecard_support::approve_one_more(&app).await;
    assert!(more > 0);

    // Later it fetches everything after its checkpoint and recomputes with SHA-256 only.
    let proof = app
        .get(&format!("/api/v1/audit/proof?from={}", seq + 1))
        .await
        .body;
    let entries = proof["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    let mut prev = hash.clone();
    for e in entries {
        assert_eq!(
            e["prev_hash"],
            prev.as_str(),
            "entry {} links to the checkpoint chain",
            e["seq"]
        );
        let canonical = e["canonical"].as_str().unwrap();
        assert_eq!(
            sha256_hex(&format!("{prev}{canonical}")),
            e["hash"].as_str().unwrap()
        );
        // The canonical text says what the fields say.
        let parsed: Value = serde_json::from_str(canonical).unwrap();
        assert_eq!(parsed["seq"], e["seq"]);
        assert_eq!(parsed["after"], e["after"]);
        prev = e["hash"].as_str().unwrap().to_string();
    }
    assert_eq!(
        prev,
        app.get("/api/v1/audit/head").await.body["hash"]
            .as_str()
            .unwrap()
    );
    assert_eq!(proof["next"], Value::Null);

    // Paging and bad parameters.
    let page = app.get("/api/v1/audit/proof?from=1&limit=2").await.body;
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    assert_eq!(page["next"], 3);
    let bad = app.get("/api/v1/audit/proof?from=0").await;
    assert_eq!(bad.status.as_u16(), 400);
    let missing = app.get("/api/v1/audit/proof").await;
    assert_eq!(
        (
            missing.status.as_u16(),
            missing.body["error"]["code"].as_str()
        ),
        (400, Some("BAD_USER_INPUT"))
    );
}

both_backends!(
    an_approval_publishes_what_the_submission_committed_to,
    a_kept_private_part_or_a_private_field_edited_is_detected,
);

/// The submission entry hides the value behind a commitment; the approval entry publishes it;
/// `ayni audit reveal` shows the auditor that both say the same, with sha256 alone.
async fn an_approval_publishes_what_the_submission_committed_to(app: TestApp) {
    seeded_with_values(&app).await;
    let coordinator = app.login_as(ayni::domain::Role::Coordinator).await;
    let ind = app
        .graphql(
            None,
            r#"{ ecosystem(slug: "moquegua") { objectives { indicators { id } } } }"#,
            json!({}),
        )
        .await
        .body["data"]["ecosystem"]["objectives"][0]["indicators"][0]["id"]
        .clone();
    let actor = app.app.actors().await.unwrap()[0].id.to_string();
    let submitted = app
        .graphql(
            Some(&coordinator),
            "mutation($i: SubmitMeasurementInput!) { submitMeasurement(input: $i) { id provenance { auditSeq } } }",
            json!({"i": {"indicatorId": ind, "period": "2025", "value": 27.125, "actorId": actor,
                   "evidenceText": "Planilla de empleo local 2025"}}),
        )
        .await
        .body;
    let id = submitted["data"]["submitMeasurement"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{submitted}"))
        .to_string();
    let head = app.get("/api/v1/audit/head").await.body["seq"]
        .as_i64()
        .unwrap();
    let submission = app
        .get(&format!("/api/v1/audit/proof?from={head}&limit=1"))
        .await
        .body["entries"][0]
        .clone();
    assert_eq!(submission["entity_id"], id.as_str());
    assert_eq!(submission["after"]["status"], "submitted");
    assert_eq!(submission["after"]["value"], Value::Null, "{submission}");
    assert!(!submission.to_string().contains("Planilla de empleo"));
    let commitment = submission["after"]["private_commitment"]
        .as_str()
        .unwrap()
        .to_string();

    let approved = app
        .graphql(
            Some(&coordinator),
            "mutation($id: ID!) { approveMeasurement(id: $id) { status } }",
            json!({"id": id}),
        )
        .await
        .body;
    assert_eq!(
        approved["data"]["approveMeasurement"]["status"], "APPROVED",
        "{approved}"
    );
    let approval = app
        .get(&format!("/api/v1/audit/proof?from={}", head + 1))
        .await
        .body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["entity_id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(approval["after"]["value"], 27.125);
    assert_eq!(
        approval["after"]["evidence_text"],
        "Planilla de empleo local 2025"
    );
    assert_eq!(approval["after"].get("private_commitment"), None);
    assert_eq!(
        approval["before"]["private_commitment"]
            .as_str()
            .unwrap()
            .len(),
        64
    );

    // The operator reveals the submission entry; the auditor recomputes the commitment.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ayni"))
        .args([
            "audit",
            "reveal",
            &head.to_string(),
            "--database-url",
            &app.database_url.to_string_unmasked(),
        ])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let revealed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (salt, private) = (
        revealed["after"]["salt"].as_str().unwrap(),
        revealed["after"]["private"].as_str().unwrap(),
    );
    assert_eq!(salt.len(), 64);
    assert_eq!(sha256_hex(&format!("{salt}{private}")), commitment);
    let private: Value = serde_json::from_str(private).unwrap();
    assert_eq!(private["value"], approval["after"]["value"]);
    assert_eq!(private["evidence_text"], approval["after"]["evidence_text"]);

    // Revealing is for admins only: not over any public interface, and not for coordinators.
    let caller = app.app.authenticate(&coordinator).await.unwrap();
    assert!(matches!(
        app.app.audit_reveal(&caller, head).await,
        Err(ayni::app::AppError::Forbidden(_))
    ));
}

async fn a_kept_private_part_or_a_private_field_edited_is_detected(app: TestApp) {
    seeded_with_values(&app).await;
    // The auditor account first, so the monitor's creation stays the chain's last entry.
    chain(&app).await;
    let user = app
        .create_user(
            "veedora@sociedad-civil.example.pe",
            ayni::domain::Role::Monitor,
            None,
        )
        .await;
    assert_eq!(chain(&app).await["verified"], true);

    // A user's e-mail changed in the database: private, yet found.
    sql(
        &app,
        &format!("UPDATE users SET email = 'otra@sociedad-civil.example.pe' WHERE id = {user}"),
    )
    .await
    .unwrap();
    let c = chain(&app).await;
    assert_eq!(c["verified"], false);
    assert_eq!(c["firstBrokenSeq"], Value::Null);
    assert_eq!(c["mismatches"][0]["entityType"], "user", "{c}");
    assert_eq!(c["mismatches"][0]["entityId"], user.to_string());
    sql(
        &app,
        &format!("UPDATE users SET email = 'veedora@sociedad-civil.example.pe' WHERE id = {user}"),
    )
    .await
    .unwrap();
    assert_eq!(chain(&app).await["verified"], true);

    // A kept private part edited behind the triggers breaks the chain at its entry.
    let seq = app.get("/api/v1/audit/head").await.body["seq"]
        .as_i64()
        .unwrap();
    disable_audit_triggers(&app).await;
    let edited = sql(
        &app,
        &format!("UPDATE audit_log SET after_private = REPLACE(after_private, 'veedora', 'otra') WHERE seq = {seq}"),
    )
    .await
    .unwrap();
    assert_eq!(edited, 1);
    let c = chain(&app).await;
    assert_eq!(c["firstBrokenSeq"], seq, "{c}");
    assert!(
        c["breakReason"].as_str().unwrap().contains("private part"),
        "{c}"
    );
}

both_backends!(phantom_rows_are_found_and_never_approved);

/// A value inserted directly into the database, claiming an import that has no audit entry
/// (`import_id = 999999`, with PostgreSQL's reference triggers and SQLite's foreign keys off),
/// is found by the chain check and cannot be published by an approval.
async fn phantom_rows_are_found_and_never_approved(app: TestApp) {
    seeded_with_values(&app).await;
    assert_eq!(chain(&app).await["mismatchCount"], 0);
    // The public's answer, reused below while the head does not move.
    assert_eq!(chain_as(&app, None).await["mismatchCount"], 0);
    let off = match app.backend {
        Backend::Postgres => "SET session_replication_role = replica;",
        Backend::Sqlite => "PRAGMA foreign_keys = OFF;",
    };
    let insert = format!(
        "{off} INSERT INTO measurements (indicator_id, period, period_start, period_end, territory, \
         disaggregation, revision, value, evidence_text, comment, actor_id, submitted_at, status, \
         counted, import_id) SELECT id, '2024', '2024-01-01', '2024-12-31', '18', '', 7, 99.5, \
         'Reporte', '', 1, '2026-01-01 00:00:00', 'submitted', FALSE, 999999 FROM indicators \
         WHERE code = 'IND1';"
    );
    app.direct(move |c| {
        use diesel::connection::SimpleConnection;
        c.batch_execute(&insert)
            .map_err(ayni::app::AppError::internal)
    })
    .await
    .unwrap();
    // An anonymous check within five minutes, the head unmoved, reuses the last verification
    // (a verification reads everything: the public cannot make the service run one per
    // request); an admin's check is always fresh and finds the row.
    assert_eq!(chain_as(&app, None).await["mismatchCount"], 0);
    let c = chain(&app).await;
    assert_eq!(c["mismatchCount"], 1, "{c}");
    assert_eq!(
        c["mismatches"][0]["problem"],
        "claims an import the audit chain does not record"
    );
    let phantom = c["mismatches"][0]["entityId"].as_str().unwrap().to_string();
    let token = app.login_as(ayni::domain::Role::Coordinator).await;
    let a = app
        .graphql(
            Some(&token),
            "mutation($id: ID!) { approveMeasurement(id: $id) { status } }",
            json!({ "id": phantom }),
        )
        .await;
    assert_eq!(
        crate::helpers::error_code(&a.body),
        "CONFLICT",
        "{:?}",
        a.body
    );
    // Nothing was published.
    let q = r#"{ ecosystem(slug: "moquegua") { scorecard(period: "2024") { perspectives { objectives { indicators { code actual } } } } } }"#;
    let body = app.graphql(None, q, json!({})).await.body;
    assert!(!body.to_string().contains("99.5"), "{body}");
}
