//! `ayni backup` and `ayni restore` on both backends: a copy taken while the server runs
//! verifies, restores into a fresh database with exactly what was there at the time, and a
//! tampered copy is refused before anything is restored.

use std::process::{Command, Output};

use ayni::config::DatabaseUrl;
use ayni::domain::ActorKind;

use crate::both_backends;
use crate::helpers::{Backend, TestApp};

both_backends!(a_copy_taken_while_serving_restores_and_verifies);

fn ayni(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ayni"))
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn actors_in(url: &DatabaseUrl) -> Vec<String> {
    let db = ayni::db::Db::connect(url, 1).unwrap();
    let app = ayni::app::Ayni::new(db, ayni::auth::TokenKeys::new(b"test: signs nothing", 60));
    let mut names: Vec<String> = app
        .actors()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    names.sort();
    names
}

async fn a_copy_taken_while_serving_restores_and_verifies(app: TestApp) {
    crate::scorecard_support::seeded_with_values(&app).await;
    let source = app.database_url.to_string_unmasked();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("ayni.backup");
    let copy_arg = copy.display().to_string();

    let out = ayni(&["backup", &copy_arg, "--database-url", &source]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("chain:   intact"), "{said}");
    let method = match app.backend {
        Backend::Sqlite => "sqlite-backup-api",
        Backend::Postgres => "pg_dump",
    };
    assert!(said.contains(method), "{said}");
    assert!(
        said.contains("check:   the copy"),
        "the copy itself was checked: {said}"
    );
    let at_backup = actors_in(&app.database_url).await;
    assert!(!at_backup.is_empty());

    // Never over an existing file.
    let again = ayni(&["backup", &copy_arg, "--database-url", &source]);
    assert!(!again.status.success());
    assert!(text(&again).contains("exists"), "{}", text(&again));

    // A change after the copy is not in the restored database.
    app.create_actor("Después de la copia", ActorKind::CivilSociety)
        .await;
    let (fresh, _guard) = app.backend.fresh_database();
    let out = ayni(&[
        "restore",
        &copy_arg,
        "--database-url",
        &fresh.to_string_unmasked(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("chain:   intact"), "{}", text(&out));
    assert_eq!(actors_in(&fresh).await, at_backup);

    // A copy of the other backend's kind: refused, nothing touched.
    let (other, _other_guard) = match app.backend {
        Backend::Sqlite => Backend::Postgres.fresh_database(),
        Backend::Postgres => Backend::Sqlite.fresh_database(),
    };
    let out = ayni(&[
        "restore",
        &copy_arg,
        "--database-url",
        &other.to_string_unmasked(),
    ]);
    assert!(!out.status.success());
    assert!(text(&out).contains("restores into"), "{}", text(&out));

    if app.backend == Backend::Sqlite {
        // A copy altered after it was taken: its chain does not verify, nothing restored.
        let tampered = dir.path().join("tampered.db");
        std::fs::copy(&copy, &tampered).unwrap();
        rusqlite::Connection::open(&tampered)
            .unwrap()
            .execute(
                "UPDATE actors SET name = 'Otro nombre' WHERE id = (SELECT min(id) FROM actors)",
                [],
            )
            .unwrap();
        let (target, _t) = Backend::Sqlite.fresh_database();
        let out = ayni(&[
            "restore",
            &tampered.display().to_string(),
            "--database-url",
            &target.to_string_unmasked(),
        ]);
        assert!(!out.status.success(), "{}", text(&out));
        assert!(
            text(&out).contains("does not verify, nothing restored"),
            "{}",
            text(&out)
        );
        let DatabaseUrl::Sqlite(path) = &target else {
            unreachable!()
        };
        assert!(!path.exists(), "the target was not created");
    }
}
