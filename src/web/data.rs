//! Open data: every table of the portal as CSV and as JSON (the same rows, the same column
//! names). Published (approved) data only.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::app::{
    Ayni, CumulativeImpacts, EcosystemLinks, EcosystemScorecard, HybridMetrics, IndicatorSeries,
    IndicatorValues,
};
use crate::domain::scoring::Status;

use super::pages::scenario_of;
use super::{PageQuery, WebError, WebResult, app};

#[derive(Clone, Copy)]
pub(super) enum Format {
    Csv,
    Json,
}

/// The two formats of every download.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // a contract type: the handlers read the path text (`format_of`)
pub(crate) enum OpenDataFormat {
    Csv,
    Json,
}

pub(super) fn format_of(raw: &str) -> Result<Format, WebError> {
    match raw {
        "csv" => Ok(Format::Csv),
        "json" => Ok(Format::Json),
        other => Err(WebError {
            status: 404,
            message: format!("formato desconocido / unknown format: {other} (csv, json)"),
        }),
    }
}

/// The rows as a download named `name`.
pub(super) fn respond<T: Serialize>(format: Format, name: &str, rows: &[T]) -> WebResult {
    let internal = |e: String| WebError {
        status: 500,
        message: e,
    };
    match format {
        Format::Json => Ok(HttpResponse::Ok()
            .content_type("application/json")
            .insert_header((
                "content-disposition",
                format!("inline; filename=\"{name}.json\""),
            ))
            .body(serde_json::to_string_pretty(rows).map_err(|e| internal(e.to_string()))?)),
        Format::Csv => {
            let bytes = spreadsheet_safe_csv(rows).map_err(internal)?;
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    "content-disposition",
                    format!("attachment; filename=\"{name}.csv\""),
                ))
                .body(bytes))
        }
    }
}

/// A text cell that a spreadsheet would read as a formula (it begins with `=`, `+`, `-`, `@`,
/// a tab or a carriage return) gets a leading `'`, as OWASP recommends against CSV injection;
/// any other text is kept as it is.
pub(crate) fn neutralise_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// The rows as CSV (a header, then one record per row) with every text cell neutralised
/// ([`neutralise_cell`]); numbers stay numbers, so `-2.5` is written as it is; a number that
/// is not finite is an empty cell.
pub(crate) fn spreadsheet_safe_csv<T: Serialize>(rows: &[T]) -> Result<Vec<u8>, String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    // The csv crate writes the header and the cells; which cells were text is read from the
    // same rows serialised as JSON values (strings there are strings here).
    let mut plain = csv::Writer::from_writer(Vec::new());
    for r in rows {
        plain.serialize(r).map_err(|e| err(&e))?;
    }
    let plain = plain.into_inner().map_err(|e| err(&e))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(plain.as_slice());
    let headers = reader.headers().map_err(|e| err(&e))?.clone();
    let mut out = csv::Writer::from_writer(Vec::new());
    if !rows.is_empty() {
        out.write_record(&headers).map_err(|e| err(&e))?;
    }
    for (row, record) in rows.iter().zip(reader.records()) {
        let record = record.map_err(|e| err(&e))?;
        let typed = serde_json::to_value(row).map_err(|e| err(&e))?;
        let cells = headers.iter().zip(record.iter()).map(|(column, cell)| {
            match typed.get(column) {
                Some(serde_json::Value::String(_)) => neutralise_cell(cell),
                // No value, or a number that is not finite (JSON has no inf/NaN): an empty
                // cell, never `inf` or `NaN`.
                Some(serde_json::Value::Null) => std::borrow::Cow::Borrowed(""),
                _ => std::borrow::Cow::Borrowed(cell),
            }
        });
        out.write_record(cells.map(|c| c.into_owned()))
            .map_err(|e| err(&e))?;
    }
    out.into_inner().map_err(|e| err(&e))
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Green => "green",
        Status::Amber => "amber",
        Status::Red => "red",
        Status::NoData => "no_data",
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct EcosystemRow {
    slug: String,
    name: String,
    territory: String,
    mission: String,
    vision: String,
    period: String,
    score: Option<f64>,
    coverage: f64,
    status: &'static str,
    latest_approval: Option<String>,
}

/// Every ecosystem with its latest period's score, coverage and status.
#[utoipa::path(get, path = "/datos/ecosistemas.{format}", tag = "open-data",
    params(("format" = OpenDataFormat, Path, description = "`csv` or `json`")),
    responses((status = 200, description = "One row per ecosystem (CSV with a header, or a JSON array)", content((String = "text/csv"), (Vec<EcosystemRow> = "application/json"))),
              (status = 404, description = "Unknown format")))]
pub async fn ecosystems(data: web::Data<Ayni>, path: web::Path<String>) -> WebResult {
    let format = format_of(&path)?;
    let rows: Vec<EcosystemRow> = app(&data)
        .portal_home()
        .await?
        .ecosystems
        .into_iter()
        .map(|s| EcosystemRow {
            coverage: s.score.coverage(),
            score: s.score.score,
            status: status_word(s.status),
            slug: s.ecosystem.slug,
            name: s.ecosystem.name,
            territory: s.ecosystem.territory,
            mission: s.ecosystem.mission,
            vision: s.ecosystem.vision,
            period: s.period,
            latest_approval: s
                .latest_approval
                .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        })
        .collect();
    respond(format, "ecosistemas", &rows)
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ScorecardRow {
    period: String,
    perspective: String,
    objective_code: String,
    objective: String,
    objective_score: Option<f64>,
    indicator_code: String,
    indicator: String,
    unit: String,
    actual: Option<f64>,
    target: Option<f64>,
    target_period: Option<String>,
    /// The planned value for the period (the expected trajectory).
    planned: Option<f64>,
    /// The same value as `planned` (its earlier name).
    expected: Option<f64>,
    /// Performance against the plan: (actual − baseline) / (planned − baseline); the status
    /// follows it.
    performance: Option<f64>,
    /// Share of the whole gap from the baseline to the next target that is closed.
    progress: Option<f64>,
    attainment: Option<f64>,
    status: &'static str,
    /// The good band of a `RANGE` indicator.
    range_lower: Option<f64>,
    range_upper: Option<f64>,
    formula: Option<String>,
}

/// The scorecard of a period: one row per indicator with its objective and perspective.
#[utoipa::path(get, path = "/e/{slug}/tablero.{format}", tag = "open-data",
    params(("slug" = String, Path, description = "The ecosystem, e.g. `moquegua`"),
           ("format" = OpenDataFormat, Path, description = "`csv` or `json`"),
           ("period" = Option<String>, Query, description = "e.g. `2024`; default: the latest with data")),
    responses((status = 200, description = "Rows: period, perspective, objective, indicator, actual, target, planned (= expected), performance, progress, attainment, status, range bounds", content((String = "text/csv"), (Vec<ScorecardRow> = "application/json"))),
              (status = 400, description = "A malformed period"), (status = 404, description = "Unknown ecosystem or format")))]
pub async fn scorecard(
    data: web::Data<Ayni>,
    path: web::Path<(String, String)>,
    q: web::Query<PageQuery>,
) -> WebResult {
    let (slug, format) = path.into_inner();
    let format = format_of(&format)?;
    let EcosystemScorecard {
        ecosystem: eco,
        scorecard: card,
    } = app(&data).open_scorecard(&slug, q.period.clone()).await?;
    let period = card.period;
    let mut rows = Vec::new();
    for p in &card.perspectives {
        for o in &p.objectives {
            for i in &o.indicators {
                let e = &i.evaluation;
                rows.push(ScorecardRow {
                    period: period.clone(),
                    perspective: p.name.clone(),
                    objective_code: o.code.clone(),
                    objective: o.name.clone(),
                    objective_score: o.score.score,
                    indicator_code: i.code.clone(),
                    indicator: i.name.clone(),
                    unit: i.unit.clone(),
                    actual: e.actual,
                    target: e.target.map(|t| t.value),
                    target_period: e.target.map(|t| t.period.to_string()),
                    planned: e.expected,
                    expected: e.expected,
                    performance: e.performance,
                    progress: e.progress,
                    attainment: e.attainment,
                    status: status_word(e.status),
                    range_lower: i.direction.bounds().0,
                    range_upper: i.direction.bounds().1,
                    formula: i.formula.clone(),
                });
            }
        }
    }
    respond(format, &format!("tablero-{}-{period}", eco.slug), &rows)
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ValueRow {
    id: i64,
    indicator: String,
    period: String,
    territory: String,
    disaggregation: String,
    value: f64,
    revision: i32,
    counted: bool,
    actor: String,
    submitted_at: String,
    evidence_url: Option<String>,
    evidence_text: Option<String>,
    approved_by_user: Option<i64>,
    approved_at: Option<String>,
    audit_seq: Option<i64>,
}

/// Every approved value of an indicator with its provenance (who, when, evidence, approval,
/// audit entry).
#[utoipa::path(get, path = "/e/{slug}/i/{code}/valores.{format}", tag = "open-data",
    params(("slug" = String, Path, description = "The ecosystem"), ("code" = String, Path, description = "The indicator's code, e.g. `I2.1`"),
           ("format" = OpenDataFormat, Path, description = "`csv` or `json`")),
    responses((status = 200, description = "One row per approved revision", content((String = "text/csv"), (Vec<ValueRow> = "application/json"))), (status = 404, description = "Unknown ecosystem, indicator or format")))]
pub async fn indicator_values(
    data: web::Data<Ayni>,
    path: web::Path<(String, String, String)>,
) -> WebResult {
    let (slug, code, format) = path.into_inner();
    let format = format_of(&format)?;
    let IndicatorValues {
        ecosystem: eco,
        indicator_code,
        values,
    } = app(&data).open_indicator_values(&slug, &code).await?;
    let rows: Vec<ValueRow> = values
        .into_iter()
        .map(|v| ValueRow {
            id: v.id,
            indicator: indicator_code.clone(),
            period: v.period,
            territory: v.territory,
            disaggregation: v.disaggregation,
            value: v.value,
            revision: v.revision,
            counted: v.counted,
            actor: v.actor.unwrap_or_default(),
            submitted_at: v.submitted_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            evidence_url: v.evidence_url,
            evidence_text: v.evidence_text,
            approved_by_user: v.reviewed_by,
            approved_at: v
                .reviewed_at
                .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            audit_seq: v.audit_seq,
        })
        .collect();
    respond(
        format,
        &format!("valores-{}-{indicator_code}", eco.slug),
        &rows,
    )
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ImpactRow {
    period: String,
    scenario: &'static str,
    vec_code: String,
    vec: String,
    kind: &'static str,
    unit: String,
    baseline_period: String,
    baseline: f64,
    state: f64,
    change: f64,
    threshold: f64,
    limit: &'static str,
    headroom: f64,
    used: f64,
    status: &'static str,
}

/// Every VEC's cumulative state at a period under a scenario.
#[utoipa::path(get, path = "/e/{slug}/impactos.{format}", tag = "open-data",
    params(("slug" = String, Path, description = "The ecosystem"), ("format" = OpenDataFormat, Path, description = "`csv` or `json`"),
           ("period" = Option<String>, Query, description = "default: the horizon's last year"),
           ("scenario" = Option<String>, Query, description = "`existing` (default), `with_planned` or `with_foreseeable`")),
    responses((status = 200, description = "One row per VEC", content((String = "text/csv"), (Vec<ImpactRow> = "application/json"))), (status = 400, description = "Unknown scenario or bad period"),
              (status = 404, description = "Unknown ecosystem or format")))]
pub async fn impacts(
    data: web::Data<Ayni>,
    path: web::Path<(String, String)>,
    q: web::Query<PageQuery>,
) -> WebResult {
    let (slug, format) = path.into_inner();
    let format = format_of(&format)?;
    let scenario = scenario_of(q.scenario.as_deref())?;
    let CumulativeImpacts {
        ecosystem: eco,
        period,
        scenario,
        vecs,
    } = app(&data)
        .open_cumulative_impacts(&slug, q.period.clone(), scenario)
        .await?;
    let rows: Vec<ImpactRow> = vecs
        .into_iter()
        .map(|s| ImpactRow {
            period: period.clone(),
            scenario: scenario.as_str(),
            vec_code: s.code,
            vec: s.name,
            kind: s.kind.as_str(),
            unit: s.unit,
            baseline_period: s.baseline_period,
            baseline: s.baseline_value,
            state: s.point.state,
            change: s.point.change,
            threshold: s.threshold.value,
            limit: s.threshold.side.as_str(),
            headroom: s.point.headroom,
            used: s.point.used,
            status: s.point.status.as_str(),
        })
        .collect();
    respond(format, &format!("impactos-{}-{period}", eco.slug), &rows)
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct HybridRow {
    code: String,
    name: String,
    status: &'static str,
    relation: &'static str,
    unit: String,
    period: String,
    social: Option<f64>,
    financial: Option<f64>,
    value: Option<f64>,
    verdict: &'static str,
    n: usize,
    best_lag: Option<u32>,
    r: Option<f64>,
}

/// The hybrid metrics' series with their causal check.
#[utoipa::path(get, path = "/e/{slug}/hibridas.{format}", tag = "open-data",
    params(("slug" = String, Path, description = "The ecosystem"), ("format" = OpenDataFormat, Path, description = "`csv` or `json`")),
    responses((status = 200, description = "One row per metric and period", content((String = "text/csv"), (Vec<HybridRow> = "application/json"))), (status = 404, description = "Unknown ecosystem or format")))]
pub async fn hybrid(data: web::Data<Ayni>, path: web::Path<(String, String)>) -> WebResult {
    let (slug, format) = path.into_inner();
    let format = format_of(&format)?;
    let HybridMetrics {
        ecosystem: eco,
        metrics,
    } = app(&data).open_hybrid_metrics(&slug).await?;
    let mut rows = Vec::new();
    for h in &metrics {
        for p in &h.series {
            rows.push(HybridRow {
                code: h.code.clone(),
                name: h.name.clone(),
                status: h.status.as_str(),
                relation: h.relation.as_str(),
                unit: h.unit.clone(),
                period: p.period.to_string(),
                social: p.social,
                financial: p.financial,
                value: p.value,
                verdict: h.check.verdict.as_str(),
                n: h.check.n,
                best_lag: h.check.best_lag,
                r: h.check.r,
            });
        }
    }
    respond(format, &format!("hibridas-{}", eco.slug), &rows)
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ObjectiveRow {
    period: String,
    perspective: String,
    code: String,
    objective: String,
    theme: Option<String>,
    score: Option<f64>,
    coverage: f64,
    status: &'static str,
}

/// The strategy map's objectives with their score and status for a period.
#[utoipa::path(get, path = "/e/{slug}/mapa.{format}", tag = "open-data",
    params(("slug" = String, Path, description = "The ecosystem"), ("format" = OpenDataFormat, Path, description = "`csv` or `json`"),
           ("period" = Option<String>, Query, description = "e.g. `2024`; default: the latest with data")),
    responses((status = 200, description = "One row per objective, perspectives in the ecosystem's order", content((String = "text/csv"), (Vec<ObjectiveRow> = "application/json"))),
              (status = 404, description = "Unknown ecosystem or format")))]
pub async fn map(
    data: web::Data<Ayni>,
    path: web::Path<(String, String)>,
    q: web::Query<PageQuery>,
) -> WebResult {
    let (slug, format) = path.into_inner();
    let format = format_of(&format)?;
    let EcosystemScorecard {
        ecosystem: eco,
        scorecard: card,
    } = app(&data).open_scorecard(&slug, q.period.clone()).await?;
    let period = card.period;
    let mut rows = Vec::new();
    for p in &card.perspectives {
        for o in &p.objectives {
            rows.push(ObjectiveRow {
                period: period.clone(),
                perspective: p.name.clone(),
                code: o.code.clone(),
                objective: o.name.clone(),
                theme: o.theme.clone(),
                score: o.score.score,
                coverage: o.score.coverage(),
                status: status_word(o.status),
            });
        }
    }
    respond(format, &format!("mapa-{}-{period}", eco.slug), &rows)
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct LinkRow {
    cause: String,
    effect: String,
    description: String,
    verdict: &'static str,
    n: usize,
    best_lag: Option<u32>,
    r: Option<f64>,
}

/// The map's cause-effect links with the data check of each.
#[utoipa::path(get, path = "/e/{slug}/enlaces.{format}", tag = "open-data",
    params(("slug" = String, Path, description = "The ecosystem"), ("format" = OpenDataFormat, Path, description = "`csv` or `json`")),
    responses((status = 200, description = "One row per link: cause, effect, verdict, n, best lag, r", content((String = "text/csv"), (Vec<LinkRow> = "application/json"))),
              (status = 404, description = "Unknown ecosystem or format")))]
pub async fn links(data: web::Data<Ayni>, path: web::Path<(String, String)>) -> WebResult {
    let (slug, format) = path.into_inner();
    let format = format_of(&format)?;
    let EcosystemLinks {
        ecosystem: eco,
        links,
    } = app(&data).open_links(&slug).await?;
    let rows: Vec<LinkRow> = links
        .into_iter()
        .map(|l| LinkRow {
            cause: l.cause.unwrap_or_default(),
            effect: l.effect.unwrap_or_default(),
            description: l.description,
            verdict: l.check.as_ref().map_or("", |c| c.verdict.as_str()),
            n: l.check.as_ref().map_or(0, |c| c.n),
            best_lag: l.check.as_ref().and_then(|c| c.best_lag),
            r: l.check.as_ref().and_then(|c| c.r),
        })
        .collect();
    respond(format, &format!("enlaces-{}", eco.slug), &rows)
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SeriesRow {
    indicator: String,
    period: String,
    actual: Option<f64>,
    /// The planned value for the period (the expected trajectory).
    planned: Option<f64>,
    /// The same value as `planned` (its earlier name).
    expected: Option<f64>,
    target: Option<f64>,
    target_period: Option<String>,
    /// Performance against the plan; the status follows it.
    performance: Option<f64>,
    progress: Option<f64>,
    attainment: Option<f64>,
    on_track: Option<bool>,
    status: &'static str,
    no_value_reason: Option<String>,
}

/// An indicator's trajectory: actual, planned and target per period (the chart's data).
#[utoipa::path(get, path = "/e/{slug}/i/{code}/serie.{format}", tag = "open-data",
    params(("slug" = String, Path, description = "The ecosystem"), ("code" = String, Path, description = "The indicator's code"),
           ("format" = OpenDataFormat, Path, description = "`csv` or `json`")),
    responses((status = 200, description = "One row per period from the baseline to the last target", content((String = "text/csv"), (Vec<SeriesRow> = "application/json"))),
              (status = 404, description = "Unknown ecosystem, indicator or format")))]
pub async fn indicator_series(
    data: web::Data<Ayni>,
    path: web::Path<(String, String, String)>,
) -> WebResult {
    let (slug, code, format) = path.into_inner();
    let format = format_of(&format)?;
    let IndicatorSeries {
        ecosystem: eco,
        indicator_code,
        points,
    } = app(&data).open_indicator_series(&slug, &code).await?;
    let rows: Vec<SeriesRow> = points
        .into_iter()
        .map(|p| SeriesRow {
            indicator: indicator_code.clone(),
            period: p.period.to_string(),
            actual: p.evaluation.actual,
            planned: p.evaluation.expected,
            expected: p.evaluation.expected,
            target: p.evaluation.target.map(|t| t.value),
            target_period: p.evaluation.target.map(|t| t.period.to_string()),
            performance: p.evaluation.performance,
            progress: p.evaluation.progress,
            attainment: p.evaluation.attainment,
            on_track: p.evaluation.on_track,
            status: status_word(p.evaluation.status),
            no_value_reason: p.no_value_reason,
        })
        .collect();
    respond(
        format,
        &format!("serie-{}-{indicator_code}", eco.slug),
        &rows,
    )
}
