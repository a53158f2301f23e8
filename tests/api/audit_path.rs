use serde_json::{Value, json};

use ayni::db::audit::{AuditEntry, entries_from};
use ayni::domain::Role;
use ayni::domain::audit::{AuditFacts, GENESIS_HASH, canonical_entry, chain_hash};

use crate::both_backends;
use crate::helpers::{TestApp, error_code};

both_backends!(every_write_appends_a_chained_audit_entry_in_its_transaction);

async fn entries(app: &TestApp) -> Vec<AuditEntry> {
    app.direct(|conn| entries_from(conn, 0, 10_000))
        .await
        .unwrap()
}

fn recompute(entries: &[AuditEntry]) {
    let mut prev = GENESIS_HASH.to_string();
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, i as i64 + 1, "sequence has no gaps");
        assert_eq!(
            e.prev_hash, prev,
            "entry {} links to the previous one",
            e.seq
        );
        let before: Option<Value> = e
            .before_state
            .as_deref()
            .map(|s| serde_json::from_str(s).unwrap());
        let after: Option<Value> = e
            .after_state
            .as_deref()
            .map(|s| serde_json::from_str(s).unwrap());
        let facts = AuditFacts {
            seq: e.seq,
            at: &e.at,
            user_id: e.user_id,
            actor_id: e.actor_id,
            action: &e.action,
            entity_type: &e.entity_type,
            entity_id: &e.entity_id,
            before: before.as_ref(),
            after: after.as_ref(),
        };
        assert_eq!(
            e.hash,
            chain_hash(&prev, &canonical_entry(&facts)),
            "entry {} hash",
            e.seq
        );
        prev = e.hash.clone();
    }
}

async fn every_write_appends_a_chained_audit_entry_in_its_transaction(app: TestApp) {
    let coordinator = app.login_as(Role::Coordinator).await;
    let before = entries(&app).await;
    // The test app's setup wrote users: already chained.
    assert!(!before.is_empty());

    let q = "mutation($input: CreateActorInput!) { createActor(input: $input) { id } }";
    let input = json!({"input": {"name": "Junta de Usuarios Moquegua", "kind": "CIVIL_SOCIETY"}});
    let a = app.graphql(Some(&coordinator), q, input.clone()).await;
    let id = a.body["data"]["createActor"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let after = entries(&app).await;
    assert_eq!(after.len(), before.len() + 1);
    let last = after.last().unwrap();
    assert_eq!(
        (
            last.action.as_str(),
            last.entity_type.as_str(),
            last.entity_id.as_str()
        ),
        ("create", "actor", id.as_str())
    );
    let coordinator_user = app
        .app
        .users(&ayni::app::Caller::operator())
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.role == ayni::domain::Role::Coordinator)
        .unwrap();
    assert_eq!(
        last.user_id,
        Some(coordinator_user.id),
        "the author is recorded"
    );
    let state: Value = serde_json::from_str(last.after_state.as_deref().unwrap()).unwrap();
    assert_eq!(state["name"], "Junta de Usuarios Moquegua");
    assert!(
        !after
            .iter()
            .any(|e| e.after_state.as_deref().unwrap_or("").contains("$argon2")),
        "password hashes never reach the public audit log"
    );
    recompute(&after);

    // A write that fails (duplicate name) leaves no entry behind.
    let dup = app.graphql(Some(&coordinator), q, input).await;
    assert_eq!(error_code(&dup.body), "CONFLICT");
    assert_eq!(entries(&app).await.len(), after.len());
}
