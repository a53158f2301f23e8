//! Builds a small scored ecosystem through the service, for tests that need data.

use ayni::app::{
    Caller, DirectionKind, EcosystemInput, IndicatorInput, MeasurementInput, ObjectiveInput,
};
use ayni::domain::{ActorKind, PeriodType, PerspectiveKind, TargetHorizon};

use crate::helpers::TestApp;

/// An ecosystem `moquegua` with one objective, one yearly indicator `IND1` (baseline 2020,
/// target 2026) and approved values for 2021-2023. Returns the id of the 2023 measurement.
pub async fn seeded_with_values(app: &TestApp) -> i64 {
    let op = Caller::operator();
    let a = &app.app;
    let actor = app
        .create_actor("Anglo American Quellaveco", ActorKind::Company)
        .await;
    let eco = a
        .create_ecosystem(
            &op,
            EcosystemInput {
                slug: "moquegua".into(),
                name: "Moquegua".into(),
                territory: "18".into(),
                mission: String::new(),
                vision: String::new(),
                horizon_start: 2023,
                horizon_end: 2030,
            },
        )
        .await
        .unwrap();
    a.add_ecosystem_member(&op, eco.id, actor, "Empresa minera".into())
        .await
        .unwrap();
    let o = a
        .create_objective(
            &op,
            ObjectiveInput {
                ecosystem_id: eco.id,
                code: "OE1".into(),
                name: "Empleo local".into(),
                description: String::new(),
                perspective: PerspectiveKind::Results,
                theme_id: None,
                weight: None,
                responsible_actor_ids: vec![actor],
            },
        )
        .await
        .unwrap();
    let ind = a
        .create_indicator(
            &op,
            IndicatorInput {
                objective_id: Some(o.id),
                code: Some("IND1".into()),
                name: Some("Empleo local".into()),
                unit: Some("%".into()),
                direction: Some(DirectionKind::Increase),
                periodicity: Some(PeriodType::Yearly),
                responsible_actor_ids: Some(vec![actor]),
                ..IndicatorInput::default()
            },
        )
        .await
        .unwrap();
    a.set_baseline(&op, ind.id, "2020".into(), 10.0, String::new())
        .await
        .unwrap();
    a.set_target(&op, ind.id, "2026".into(), 40.0, TargetHorizon::Medium)
        .await
        .unwrap();
    let mut last = 0;
    for (period, value) in [("2021", 12.5), ("2022", 15.0), ("2023", 19.25)] {
        last = submit_and_approve(app, ind.id, actor, period, value).await;
    }
    last
}

pub async fn submit_and_approve(
    app: &TestApp,
    indicator: i64,
    actor: i64,
    period: &str,
    value: f64,
) -> i64 {
    let op = Caller::operator();
    let m = app
        .app
        .submit_measurement(
            &op,
            MeasurementInput {
                indicator_id: indicator,
                period: period.into(),
                value,
                evidence_text: Some("Reporte de sostenibilidad".into()),
                actor_id: Some(actor),
                ..MeasurementInput::default()
            },
        )
        .await
        .unwrap();
    app.app.approve_measurement(&op, m.id).await.unwrap().id
}

/// Approves a 2024 value for `IND1` of [`seeded_with_values`]; returns its id.
pub async fn approve_one_more(app: &TestApp) -> i64 {
    let eco = app
        .app
        .ecosystem_by_slug("moquegua".into())
        .await
        .unwrap()
        .unwrap();
    let objectives = app.app.objectives(eco.id, None, None).await.unwrap();
    let ind = app
        .app
        .indicators_of_objectives(objectives.iter().map(|o| o.id).collect())
        .await
        .unwrap()
        .remove(0);
    let actor = app.app.actors().await.unwrap()[0].id;
    submit_and_approve(app, ind.id, actor, "2024", 22.0).await
}
