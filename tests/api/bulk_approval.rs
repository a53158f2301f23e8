//! Set-wise approval (`approve_import`, `approve_selection`) writes exactly what approving
//! each value in turn (`approve_measurement`) writes: the same scenario runs in two fresh
//! databases, one approving row by row and one set-wise, and the rows, the audit entries and
//! the outcomes are compared; both chains verify.
//!
//! Salts are fresh random draws per committed state and times differ between the runs, so the
//! comparison covers everything else: every column of every value, and every entry's
//! sequence number, author, action, entity, states (commitments and times masked), its
//! private parts (revealed texts) — and each chain is verified in full by `audit_chain`.

use serde_json::Value;

use ayni::app::{Ayni, Caller, EcosystemInput, NewActorInput, VariableInput};
use ayni::db::models::measurement;
use ayni::domain::{ActorKind, MeasurementStatus, PeriodType, RollUp, SourceKind, TerritoryLevel};

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(set_wise_import_and_selection_approval_write_what_row_by_row_approval_writes);

#[derive(Clone, Copy, PartialEq)]
enum Path {
    RowByRow,
    SetWise,
}

fn csv(rows: &[(&str, &str, &str, f64)]) -> Vec<u8> {
    let mut out = String::from("variable,period,territory,value,evidence\n");
    for (v, p, t, x) in rows {
        out.push_str(&format!("{v},{p},{t},{x},INEI\n"));
    }
    out.into_bytes()
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
                slug: "moquegua".into(),
                name: "Moquegua".into(),
                territory: "18".into(),
                mission: String::new(),
                vision: String::new(),
                horizon_start: 2015,
                horizon_end: 2030,
            },
        )
        .await
        .unwrap();
    for code in ["POB", "HOG"] {
        app.create_variable(
            &op,
            VariableInput {
                code: Some(code.into()),
                name: Some(format!("Variable {code}")),
                unit: Some("personas".into()),
                source: Some(SourceKind::Inei),
                periodicity: Some(PeriodType::Yearly),
                level: Some(TerritoryLevel::District),
                rollup: Some(RollUp::Sum),
                responsible_actor_id: Some(Some(actor.id)),
                ..VariableInput::default()
            },
        )
        .await
        .unwrap();
    }
    app.select_variables(&op, eco.id, vec!["POB".into(), "HOG".into()], true)
        .await
        .unwrap();
    (eco.id, actor.id)
}

/// Imports and approves the import whole, along `path`.
async fn import_and_approve(t: &TestApp, eco: i64, actor: i64, bytes: Vec<u8>, path: Path) -> u64 {
    let app = &t.app;
    let op = Caller::operator();
    let report = app
        .import_observations(&op, eco, "datos.csv".into(), bytes, Some(actor), None)
        .await
        .unwrap();
    assert!(report.imported, "{}", report.message);
    let id = report.import_id.unwrap();
    match path {
        Path::SetWise => app.approve_import(&op, id).await.unwrap(),
        Path::RowByRow => {
            let mut n = 0;
            for m in pending_of_import(t, id).await {
                app.approve_measurement(&op, m).await.unwrap();
                n += 1;
            }
            n
        }
    }
}

fn conn(app: &TestApp) -> ayni::db::DbConnection {
    ayni::db::open_connection(&app.database_url).unwrap()
}

async fn pending_of_import(t: &TestApp, import: i64) -> Vec<i64> {
    measurement::of_import(&mut conn(t), import)
        .unwrap()
        .into_iter()
        .filter(|m| m.status == MeasurementStatus::Submitted)
        .map(|m| m.id)
        .collect()
}

/// The whole scenario on one database; returns the outcomes of the selection.
async fn scenario(t: &TestApp, path: Path) -> Vec<(i64, Result<String, String>)> {
    let app = &t.app;
    let op = Caller::operator();
    let (eco, actor) = setup(app).await;
    // First values: every cell new.
    let mut first = Vec::new();
    for v in ["POB", "HOG"] {
        for p in ["2019", "2020", "2021", "2022"] {
            for t in ["18", "1801", "1802", "180101"] {
                first.push((v, p, t, 100.0 + first.len() as f64));
            }
        }
    }
    assert_eq!(
        import_and_approve(t, eco, actor, csv(&first), path).await,
        32
    );
    // Revisions of some cells (the approved revision 1 stops counting) and new cells.
    let mut second: Vec<(&str, &str, &str, f64)> = first
        .iter()
        .step_by(3)
        .map(|(v, p, t, x)| (*v, *p, *t, x + 0.5))
        .collect();
    second.push(("POB", "2023", "18", 7.0));
    second.push(("HOG", "2023", "1801", 8.0));
    let approved = import_and_approve(t, eco, actor, csv(&second), path).await;
    assert_eq!(approved, second.len() as u64);
    // Third revisions awaiting review, then a lock on 2020: a selection of them, an approved
    // value, a missing one and a repeated one.
    let third: Vec<(&str, &str, &str, f64)> = first
        .iter()
        .step_by(2)
        .map(|(v, p, t, x)| (*v, *p, *t, x + 0.25))
        .collect();
    let report = app
        .import_observations(&op, eco, "mas.csv".into(), csv(&third), Some(actor), None)
        .await
        .unwrap();
    let pending = pending_of_import(t, report.import_id.unwrap()).await;
    assert_eq!(pending.len(), third.len());
    app.lock_period(&op, eco, "2020".into(), "cierre del año".into())
        .await
        .unwrap();
    let mut ids = pending.clone();
    ids.insert(1, 1_000_000);
    ids.push(pending[0]);
    ids.push(first_approved(t).await);
    let outcomes = match path {
        Path::SetWise => app.approve_selection(&op, ids).await.unwrap(),
        Path::RowByRow => {
            let mut seen = std::collections::HashSet::new();
            let mut out = Vec::new();
            for id in ids.into_iter().filter(|id| seen.insert(*id)) {
                out.push((id, app.approve_measurement(&op, id).await));
            }
            out
        }
    };
    let refused = outcomes.iter().filter(|(_, o)| o.is_err()).count();
    // The missing value, the approved one and the four of 2020 (two variables, every other
    // cell of four territories).
    assert_eq!(refused, 6, "{outcomes:?}");
    outcomes
        .into_iter()
        .map(|(id, o)| {
            (
                id,
                o.map(|m| format!("{} {:?} {}", m.id, m.status, m.value))
                    .map_err(|e| e.to_string()),
            )
        })
        .collect()
}

async fn first_approved(t: &TestApp) -> i64 {
    measurement::all(&mut conn(t))
        .unwrap()
        .into_iter()
        .filter(|m| m.status == MeasurementStatus::Approved)
        .map(|m| m.id)
        .min()
        .unwrap()
}

/// A state (published or private) with what differs between two runs masked: commitments
/// (random salts), times and the digests of imports (they cover the rows' times).
fn masked(state: &Option<String>) -> Value {
    let Some(text) = state else {
        return Value::Null;
    };
    let mut v: Value = serde_json::from_str(text).unwrap();
    if let Value::Object(map) = &mut v {
        for (k, x) in map.iter_mut() {
            // An import's digest covers its rows' submission time.
            let varies = k == "private_commitment" || k.ends_with("_at") || k == "rows_digest";
            if varies && !x.is_null() {
                *x = Value::String("masked".into());
            }
        }
    }
    v
}

/// Everything stored that two runs must share: every value (times as set or not) and every
/// audit entry (times and commitments masked, private parts as kept).
async fn stored(t: &TestApp) -> (Vec<String>, Vec<Value>) {
    let c = &mut conn(t);
    (|| {
        let mut values: Vec<String> = measurement::all(c)?
            .into_iter()
            .map(|m| {
                let m = measurement::Measurement {
                    submitted_at: chrono::NaiveDateTime::default(),
                    reviewed_at: m.reviewed_at.map(|_| chrono::NaiveDateTime::default()),
                    ..m
                };
                format!("{m:?}")
            })
            .collect();
        values.sort();
        let entries = ayni::db::audit::entries_with_private_from(c, 1, i64::MAX)?
            .into_iter()
            .map(|(e, p)| {
                serde_json::json!({
                    "seq": e.seq,
                    "user_id": e.user_id,
                    "actor_id": e.actor_id,
                    "action": e.action,
                    "entity": [e.entity_type, e.entity_id],
                    "before": masked(&e.before_state),
                    "after": masked(&e.after_state),
                    "before_private": masked(&p.before_private),
                    "after_private": masked(&p.after_private),
                    "salted": [p.before_salt.is_some(), p.after_salt.is_some()],
                })
            })
            .collect();
        Ok::<_, ayni::db::StoreError>((values, entries))
    })()
    .unwrap()
}

async fn set_wise_import_and_selection_approval_write_what_row_by_row_approval_writes(
    app: TestApp,
) {
    let other = TestApp::spawn(app.backend).await;
    let row_by_row = scenario(&other, Path::RowByRow).await;
    let set_wise = scenario(&app, Path::SetWise).await;
    assert_eq!(set_wise, row_by_row);
    let (values_a, entries_a) = stored(&other).await;
    let (values_b, entries_b) = stored(&app).await;
    assert_eq!(values_b.len(), values_a.len());
    for (b, a) in values_b.iter().zip(&values_a) {
        assert_eq!(b, a);
    }
    assert_eq!(entries_b.len(), entries_a.len());
    for (b, a) in entries_b.iter().zip(&entries_a) {
        assert_eq!(b, a);
    }
    // Approvals changed which revision counts: the comparison covers those entries too.
    let flips = entries_b
        .iter()
        .filter(|e| {
            e["action"] == "update"
                && e["before"]["status"] == "approved"
                && e["before"]["counted"] == true
                && e["after"]["counted"] == false
        })
        .count();
    assert!(flips >= 11, "{flips} revisions stopped counting");
    for a in [&app.app, &other.app] {
        let report = a.audit_chain(Some(&Caller::operator())).await.unwrap();
        assert!(report.verified, "{report:?}");
    }
}
