//! Synthetic data at a chosen scale, for benchmarks (`ayni bench-data --scale N`).
//!
//! At scale 1: one ecosystem with 50 objectives, 500 quarterly indicators, ten years of
//! approved values (2015Q1–2024Q4) for 20 territories: 400 000 measurements. Everything
//! scales linearly with N. The strategy (ecosystem, objectives, indicators, targets) goes
//! through the audited use cases; the measurements are bulk-loaded with multi-row inserts
//! (one audit entry records the load), since 400 000 reviewed submissions one by one would
//! measure the review workflow, not the scorecard.

use diesel::RunQueryDsl;
use serde_json::json;

use crate::app::{
    AppError, Ayni, Caller, DirectionKind, EcosystemInput, IndicatorInput, ObjectiveInput,
};
use crate::db::Action;
use crate::domain::scoring::Aggregation;
use crate::domain::{PeriodType, PerspectiveKind, TargetHorizon};

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

/// Rows per multi-row INSERT.
const CHUNK: usize = 1000;

/// Generates the synthetic ecosystem `bench-N` (replacing nothing: the slug must be free).
pub async fn generate(app: &Ayni, scale: usize) -> Result<BenchEcosystem, AppError> {
    let op = Caller::operator();
    let slug = format!("bench-{scale}");
    let eco = app
        .create_ecosystem(
            &op,
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
                &op,
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
                    &op,
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
                &op,
                ind.id,
                format!("{}Q4", FIRST_YEAR - 1),
                if sum { 0.0 } else { base },
                String::new(),
            )
            .await?;
            let scale_sum = if sum { 40.0 } else { 1.0 };
            app.set_target(
                &op,
                ind.id,
                "2020Q4".into(),
                if sum { 24.0 * scale_sum } else { t1 },
                TargetHorizon::Short,
            )
            .await?;
            app.set_target(
                &op,
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
    let now = crate::db::audit::now();
    let author = op.author();
    let slug_for_audit = slug.clone();
    app.db
        .write(author, move |tx| {
            let mut values: Vec<String> = Vec::with_capacity(CHUNK);
            let flush = |tx: &mut crate::db::WriteTx<'_>, values: &mut Vec<String>| -> Result<(), AppError> {
                if values.is_empty() {
                    return Ok(());
                }
                let sql = format!(
                    "INSERT INTO measurements (indicator_id, period, period_start, period_end, territory, disaggregation, revision, value, \
                     evidence_text, comment, actor_id, submitted_by, submitted_at, status, reviewed_by, reviewed_at, reject_reason, counted) VALUES {}",
                    values.join(",")
                );
                diesel::sql_query(sql).execute(tx.conn())?;
                values.clear();
                Ok(())
            };
            let actor_id = bench_actor(tx)?;
            for (n, (id, sum, decrease)) in indicator_ids.iter().enumerate() {
                for (ti, territory) in territories.iter().enumerate() {
                    for q in 0..(YEARS * 4) {
                        let year = FIRST_YEAR + q / 4;
                        let quarter = q % 4 + 1;
                        let period = crate::domain::Period::new(PeriodType::Quarterly, year, quarter as u32)
                            .ok_or_else(|| AppError::internal("bench period"))?;
                        let wobble = ((n * 7 + ti * 3 + q as usize) % 11) as f64 - 5.0;
                        let value = if *sum {
                            1.0 + ((n + q as usize) % 3) as f64
                        } else if *decrease {
                            100.0 - q as f64 * 1.2 + wobble
                        } else {
                            100.0 + q as f64 * 2.5 + wobble
                        };
                        values.push(format!(
                            "({id},'{period}','{}','{}','{territory}','',1,{value},'sintético','',{actor_id},NULL,'{now}','approved',NULL,'{now}',NULL,TRUE)",
                            period.start(),
                            period.end(),
                            now = now.format("%Y-%m-%d %H:%M:%S%.6f"),
                        ));
                        if values.len() >= CHUNK {
                            flush(tx, &mut values)?;
                        }
                    }
                }
            }
            flush(tx, &mut values)?;
            let summary = json!({"ecosystem": slug_for_audit, "measurements": rows, "synthetic": true});
            let summary = crate::domain::audit::AuditState::new(&summary, None::<&()>)
                .map_err(AppError::internal)?;
            tx.record(Action::Create, "bench_data", &slug_for_audit, None, Some(&summary))?;
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

/// The scorecard's roll-up as one hand-written SQL statement (for comparison in the
/// benchmark): latest value in the period for `last` indicators, sum up to its end for
/// `sum` ones, progress toward the next target capped at 1, weighted means per objective,
/// plain means per perspective and for the ecosystem. Portable SQL (SQLite and PostgreSQL).
pub fn handwritten_rollup_sql(
    ecosystem_id: i64,
    territory: &str,
    start: &str,
    end: &str,
) -> String {
    format!(
        "WITH actual AS (
           SELECT i.id, i.objective_id, i.weight, i.baseline_value AS b,
             CASE WHEN i.aggregation = 'last' THEN
               (SELECT m.value FROM measurements m WHERE m.indicator_id = i.id AND m.counted AND m.territory = '{territory}'
                  AND m.disaggregation = '' AND m.period_start >= '{start}' AND m.period_end <= '{end}'
                ORDER BY m.period_end DESC LIMIT 1)
             ELSE i.baseline_value +
               (SELECT SUM(m.value) FROM measurements m WHERE m.indicator_id = i.id AND m.counted AND m.territory = '{territory}'
                  AND m.disaggregation = '' AND m.period_end <= '{end}')
             END AS a,
             COALESCE((SELECT t.value FROM targets t WHERE t.indicator_id = i.id AND t.period_end >= '{end}' ORDER BY t.period_end LIMIT 1),
                      (SELECT t.value FROM targets t WHERE t.indicator_id = i.id ORDER BY t.period_end DESC LIMIT 1)) AS t
           FROM indicators i WHERE i.ecosystem_id = {ecosystem_id}),
         progress AS (
           SELECT objective_id, weight,
             CASE WHEN a IS NULL OR t IS NULL OR b IS NULL THEN NULL
                  WHEN t = b THEN 1.0
                  WHEN (a - b) / (t - b) > 1.0 THEN 1.0 ELSE (a - b) / (t - b) END AS p
           FROM actual),
         objective_score AS (
           SELECT o.id, o.perspective_id, SUM(p.weight * p.p) / SUM(CASE WHEN p.p IS NULL THEN NULL ELSE p.weight END) AS s
           FROM objectives o JOIN progress p ON p.objective_id = o.id GROUP BY o.id, o.perspective_id),
         perspective_score AS (
           SELECT os.perspective_id, SUM(o.weight * os.s) / SUM(CASE WHEN os.s IS NULL THEN NULL ELSE o.weight END) AS s
           FROM objective_score os JOIN objectives o ON o.id = os.id GROUP BY os.perspective_id)
         SELECT AVG(s) AS score FROM perspective_score"
    )
}
