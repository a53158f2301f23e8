//! The citizen's procedure in `docs/trust.md` (*How to verify Ayni's numbers yourself*), run
//! as written — the shell loop with curl, jq and sha256sum, and the Python script — against
//! the real service: it confirms an intact history and names the entry an operator edited.

use std::process::Command;

use crate::both_backends;
use crate::helpers::TestApp;
use crate::helpers::manual::block_containing;
use crate::scorecard_support::{approve_one_more, seeded_with_values};
use crate::trust::{disable_audit_triggers, sql};

both_backends!(the_documented_citizen_checks_work_as_written);

const MANUAL: &str = include_str!("../../docs/trust.md");
/// The host the manual's examples use.
const DOCUMENTED_HOST: &str = "https://ayni.example.pe";

/// The first fenced block of `language` in the manual that contains `marker`, unindented.
fn block(language: &str, marker: &str) -> String {
    block_containing(MANUAL, language, marker)
        .unwrap_or_else(|| panic!("docs/trust.md has no {language} block with '{marker}'"))
}

async fn head(app: &TestApp) -> (i64, String) {
    let h = app.get("/api/v1/audit/head").await.body;
    (
        h["seq"].as_i64().unwrap(),
        h["hash"].as_str().unwrap().to_string(),
    )
}

async fn the_documented_citizen_checks_work_as_written(app: TestApp) {
    seeded_with_values(&app).await;
    // A newspaper saved this checkpoint; more happened since.
    let (seq, hash) = head(&app).await;
    approve_one_more(&app).await;
    let (now, _) = head(&app).await;
    assert!(now > seq + 1);

    // The shell loop, with the checkpoint and the host put in.
    let shell = block("sh", "audit/proof?from=");
    let checkpoint_line = shell.lines().next().unwrap();
    assert!(checkpoint_line.starts_with("SEQ="), "{checkpoint_line}");
    let shell = shell
        .replacen(checkpoint_line, &format!("SEQ={seq}; PREV={hash}"), 1)
        .replace(DOCUMENTED_HOST, &app.address);
    let out = Command::new("bash").arg("-c").arg(&shell).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for s in seq + 1..=now {
        assert!(text.contains(&format!("entry {s} ok")), "{text}");
    }
    assert!(
        !text.contains("altered") && !text.contains("does not follow"),
        "{text}"
    );

    // The Python script, as written, with the URL and checkpoint as its arguments.
    let python = block("python", "hashlib");
    let run_python = |seq: i64, prev: &str| {
        Command::new("python3")
            .args(["-c", &python, &app.address, &seq.to_string(), prev])
            .output()
            .unwrap()
    };
    let out = run_python(seq, &hash);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, now_hash) = head(&app).await;
    assert_eq!(text.trim(), format!("history intact up to {now_hash}"));

    // An operator edits an entry after the checkpoint behind the triggers: both name it.
    disable_audit_triggers(&app).await;
    let edited = seq + 2;
    sql(
        &app,
        &format!("UPDATE audit_log SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = {edited}"),
    )
    .await
    .unwrap();
    let out = run_python(seq, &hash);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("entry {edited} was altered")),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("bash").arg("-c").arg(&shell).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("entry {edited} was altered")),
        "{text}"
    );
}
