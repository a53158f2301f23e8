//! Synthetic data at a chosen scale, for benchmarks (`ayni bench-data --scale N`).
//!
//! At scale 1: one ecosystem with 50 objectives, 500 quarterly indicators, ten years of
//! approved values (2015Q1–2024Q4) for 20 territories: 400 000 measurements. Everything
//! scales linearly with N. The strategy (ecosystem, objectives, indicators, targets) goes
//! through the audited use cases; the measurements are bulk-loaded with multi-row inserts
//! (one audit entry records the load), since 400 000 reviewed submissions one by one would
//! measure the review workflow, not the scorecard.

use serde_json::json;

use super::{
    AppError, Ayni, Caller, DirectionKind, EcosystemInput, IndicatorInput, ObjectiveInput,
};
use crate::db::Action;
use crate::db::models::measurement::{self, SyntheticValue};
use crate::domain::scoring::Aggregation;
use crate::domain::{Period, PeriodType, PerspectiveKind, Role, TargetHorizon};

pub const OBJECTIVES_PER_SCALE: usize = 50;
pub const INDICATORS_PER_OBJECTIVE: usize = 10;
pub const FIRST_YEAR: i32 = 2015;
pub const YEARS: i32 = 10;

/// The 20 territories values are given for: the department, its 3 provinces, 16 districts.
pub fn territories() -> Vec<String> {
    let mut t = vec![
        "18".to_string(),
        "1801".into(),
        "1802".into(),
        "1803".into(),
    ];
    t.extend((1..=10).map(|d| format!("1801{d:02}")));
    t.extend((1..=3).map(|d| format!("1802{d:02}")));
    t.extend((1..=3).map(|d| format!("1803{d:02}")));
    t
}

/// What was generated.
#[derive(Debug, Clone)]
pub struct BenchEcosystem {
    pub slug: String,
    pub ecosystem_id: i64,
    pub indicators: usize,
    pub measurements: usize,
}

impl Ayni {
    /// Generates the synthetic ecosystem `bench-N` (replacing nothing: the slug must be free).
    /// Admins and the operator only.
    pub async fn generate_bench_data(
        &self,
        caller: &Caller,
        scale: usize,
    ) -> Result<BenchEcosystem, AppError> {
        caller.require(|r| r == Role::Admin, "generate synthetic data")?;
        // Synthetic values beside real ones would mix into an operator's exports and the
        // audit report: only a database of synthetic ecosystems takes more.
        if let Some(real) = self
            .ecosystems()
            .await?
            .into_iter()
            .find(|e| !e.slug.starts_with("bench-"))
        {
            return Err(AppError::Conflict {
                field: "database".into(),
                message: format!(
                    "this database holds real data (ecosystem '{}'): generate synthetic data in a database of its own",
                    real.slug
                ),
            });
        }
        generate(self, caller, scale).await
    }
}

async fn generate(app: &Ayni, op: &Caller, scale: usize) -> Result<BenchEcosystem, AppError> {
    let slug = format!("bench-{scale}");
    let eco = app
        .create_ecosystem(
            op,
            EcosystemInput {
                slug: slug.clone(),
                name: format!("Ecosistema sintético ×{scale}"),
                territory: "18".into(),
                mission: "Datos sintéticos para medir el rendimiento.".into(),
                vision: String::new(),
                horizon_start: FIRST_YEAR,
                horizon_end: 2030,
            },
        )
        .await?;
    let mut indicator_ids = Vec::new();
    for o in 0..OBJECTIVES_PER_SCALE * scale {
        let objective = app
            .create_objective(
                op,
                ObjectiveInput {
                    ecosystem_id: eco.id,
                    code: format!("OE{o}"),
                    name: format!("Objetivo sintético {o}"),
                    description: String::new(),
                    perspective: PerspectiveKind::DEFAULT_ORDER[o % 4],
                    theme_id: None,
                    weight: Some(1.0 + (o % 3) as f64),
                    responsible_actor_ids: Vec::new(),
                },
            )
            .await?;
        for k in 0..INDICATORS_PER_OBJECTIVE {
            let sum = k % 2 == 1;
            let ind = app
                .create_indicator(
                    op,
                    IndicatorInput {
                        objective_id: Some(objective.id),
                        code: Some(format!("I{o}.{k}")),
                        name: Some(format!("Indicador sintético {o}.{k}")),
                        unit: Some("u".into()),
                        direction: Some(if k % 3 == 2 {
                            DirectionKind::Decrease
                        } else {
                            DirectionKind::Increase
                        }),
                        periodicity: Some(PeriodType::Quarterly),
                        aggregation: Some(if sum {
                            Aggregation::Sum
                        } else {
                            Aggregation::Last
                        }),
                        ..IndicatorInput::default()
                    },
                )
                .await?;
            let (base, t1, t2) = if k % 3 == 2 {
                (100.0, 80.0, 50.0)
            } else {
                (100.0, 150.0, 250.0)
            };
            app.set_baseline(
                op,
                ind.id,
                format!("{}Q4", FIRST_YEAR - 1),
                if sum { 0.0 } else { base },
                String::new(),
            )
            .await?;
            let scale_sum = if sum { 40.0 } else { 1.0 };
            app.set_target(
                op,
                ind.id,
                "2020Q4".into(),
                if sum { 24.0 * scale_sum } else { t1 },
                TargetHorizon::Short,
            )
            .await?;
            app.set_target(
                op,
                ind.id,
                "2030Q4".into(),
                if sum { 64.0 * scale_sum } else { t2 },
                TargetHorizon::Long,
            )
            .await?;
            indicator_ids.push((ind.id, sum, k % 3 == 2));
        }
    }
    let territories = territories();
    let indicator_count = indicator_ids.len();
    let rows = indicator_count * territories.len() * (YEARS as usize * 4);
    let author = op.author();
    let slug_for_audit = slug.clone();
    let mut values = Vec::with_capacity(rows);
    for (n, (id, sum, decrease)) in indicator_ids.iter().enumerate() {
        for (ti, territory) in territories.iter().enumerate() {
            for q in 0..(YEARS * 4) {
                let year = FIRST_YEAR + q / 4;
                let quarter = q % 4 + 1;
                let period = Period::new(PeriodType::Quarterly, year, quarter as u32)
                    .ok_or_else(|| AppError::internal("bench period"))?;
                let wobble = ((n * 7 + ti * 3 + q as usize) % 11) as f64 - 5.0;
                let value = if *sum {
                    1.0 + ((n + q as usize) % 3) as f64
                } else if *decrease {
                    100.0 - q as f64 * 1.2 + wobble
                } else {
                    100.0 + q as f64 * 2.5 + wobble
                };
                values.push(SyntheticValue {
                    indicator_id: *id,
                    period,
                    territory: territory.clone(),
                    value,
                });
            }
        }
    }
    app.db
        .write(author, move |tx| {
            let actor_id = bench_actor(tx)?;
            let at = tx.now();
            measurement::insert_synthetic(tx.conn(), actor_id, at, &values)?;
            let summary =
                json!({"ecosystem": slug_for_audit, "measurements": rows, "synthetic": true});
            let summary = crate::domain::audit::AuditState::new(&summary, None::<&()>)
                .map_err(AppError::internal)?;
            tx.record(
                Action::Create,
                "bench_data",
                &slug_for_audit,
                None,
                Some(&summary),
            )?;
            Ok::<_, AppError>(())
        })
        .await?;
    Ok(BenchEcosystem {
        slug,
        ecosystem_id: eco.id,
        indicators: indicator_count,
        measurements: rows,
    })
}

/// The actor synthetic values are attributed to, created on first use.
fn bench_actor(tx: &mut crate::db::WriteTx<'_>) -> Result<i64, AppError> {
    use crate::db::models::actor;
    use crate::domain::{ActorKind, ActorName};
    let name = "Generador de datos sintéticos";
    if let Some(a) = actor::by_name(tx.conn(), name)? {
        return Ok(a.id);
    }
    let name = ActorName::parse("name", name)?;
    Ok(actor::create(tx, &name, ActorKind::Academia)?.id)
}
