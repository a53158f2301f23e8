//! The investment portfolio on the portal: `/e/{slug}/inversiones` (the year's figures,
//! curve, breakdowns, ranking of executing units, alerts, participatory budget, priorities
//! and a filterable table), the project sheet `/e/{slug}/inversiones/{cui}` (or
//! `/e/{slug}/inversiones/id/{id}` for ideas without a CUI), every table as CSV and JSON, and
//! the XLSX matrices (consolidated, or one executing unit's). Public data only: names of
//! actors, never users or e-mails.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, PreEscaped, html};
use serde::{Deserialize, Serialize};

use crate::app::model::Ecosystem;
use crate::app::{
    Ayni, CommitmentView, InvestmentFilter, InvestmentPriorities, InvestmentRecord,
    InvestmentSummary, MAX_INVESTMENT_PAGE, commitments_today,
};
use crate::domain::investment::{
    Alert, AlertKind, GovernmentLevel, InvestmentFunction, InvestmentKind, InvestmentStage,
    LinkTarget, MonthPoint, Severity, Totals, UnitKey,
};

use super::charts::{Series, fmt_num, line_chart};
use super::commitments::{status_cell, text_of, tr};
use super::data::{OpenDataFormat, format_of, respond};
use super::i18n::Lang;
use super::pages::{html_response, layout, pct, with_lang};
use super::{WebError, WebResult, app};

/// Most investments the portal reads for one ecosystem (pages of the list).
const MAX_PORTFOLIO: usize = 20 * MAX_INVESTMENT_PAGE;

fn bad(message: String) -> WebError {
    WebError {
        status: 400,
        message,
    }
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Soles as people read them: "S/ 1 234 567".
pub(crate) fn soles(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let whole = v.round() as i64;
    let digits = whole.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if whole < 0 {
        format!("S/ -{out}")
    } else {
        format!("S/ {out}")
    }
}

fn soles_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), soles)
}

/// A percentage already in points (physical progress 0..100).
pub(crate) fn points(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{}%", fmt_num(v)))
}

fn label(lang: Lang, (es, en): (&'static str, &'static str)) -> &'static str {
    tr(lang, es, en)
}

pub(crate) fn kind_word(lang: Lang, k: InvestmentKind) -> &'static str {
    match k {
        InvestmentKind::Project => tr(lang, "Proyecto", "Project"),
        InvestmentKind::Ioarr => "IOARR",
        InvestmentKind::Idea => tr(lang, "Idea", "Idea"),
    }
}

pub(crate) fn level_word(lang: Lang, l: GovernmentLevel) -> &'static str {
    match l {
        GovernmentLevel::National => tr(lang, "Gobierno nacional", "National government"),
        GovernmentLevel::Regional => tr(lang, "Gobierno regional", "Regional government"),
        GovernmentLevel::Local => tr(lang, "Gobierno local", "Local government"),
    }
}

fn alert_kind_word(lang: Lang, k: AlertKind) -> &'static str {
    match k {
        AlertKind::Physical => tr(lang, "Física", "Physical"),
        AlertKind::Financial => tr(lang, "Financiera", "Financial"),
        AlertKind::Budget => tr(lang, "Presupuestal", "Budget"),
    }
}

/// The severity in words, with a shape: never colour alone.
fn severity_cell(lang: Lang, s: Severity) -> Markup {
    let (class, shape, word) = match s {
        Severity::Critical => ("st st-red", "■", tr(lang, "Crítica", "Critical")),
        Severity::Warning => ("st st-amber", "▲", tr(lang, "Advertencia", "Warning")),
    };
    html! { span class=(class) { span aria-hidden="true" { (shape) " " } (word) } }
}

fn sentence(lang: Lang, a: &Alert) -> &str {
    match lang {
        Lang::Es => &a.sentence_es,
        Lang::En => &a.sentence_en,
    }
}

fn province_name(code: &str) -> String {
    crate::domain::Ubigeo::parse("province", code)
        .ok()
        .and_then(|u| u.name().map(|n| format!("{n} ({code})")))
        .unwrap_or_else(|| code.to_string())
}

fn yes_no(v: Option<&str>) -> Result<Option<bool>, WebError> {
    match v {
        None => Ok(None),
        Some("si" | "sí" | "yes" | "true" | "1") => Ok(Some(true)),
        Some("no" | "false" | "0") => Ok(Some(false)),
        Some(other) => Err(bad(format!("si o no / yes or no (got {})", clip(other)))),
    }
}

/// The filters and year of the page and of its downloads, as typed in the address.
#[derive(Debug, Default, Deserialize)]
pub struct InvestmentsQuery {
    #[serde(default)]
    pub lang: Lang,
    pub anio: Option<String>,
    pub funcion: Option<String>,
    pub unidad: Option<String>,
    pub etapa: Option<String>,
    pub provincia: Option<String>,
    pub alerta: Option<String>,
    pub priorizada: Option<String>,
    pub participativo: Option<String>,
}

impl InvestmentsQuery {
    fn year(&self) -> Result<Option<i32>, WebError> {
        given(&self.anio)
            .map(|y| {
                y.parse::<i32>()
                    .ok()
                    .filter(|y| (2000..=2100).contains(y))
                    .ok_or_else(|| {
                        bad(format!("anio: un año 2000–2100 / a year (got {})", clip(y)))
                    })
            })
            .transpose()
    }

    fn filter(&self) -> Result<InvestmentFilter, WebError> {
        let function = given(&self.funcion)
            .map(|f| {
                f.parse::<InvestmentFunction>().map_err(|()| {
                    bad(format!(
                        "funcion desconocida / unknown function: {}",
                        clip(f)
                    ))
                })
            })
            .transpose()?;
        let stage = given(&self.etapa)
            .map(|s| {
                s.parse::<InvestmentStage>()
                    .map_err(|()| bad(format!("etapa desconocida / unknown stage: {}", clip(s))))
            })
            .transpose()?;
        let alert_kind = given(&self.alerta)
            .map(|a| {
                a.parse::<AlertKind>().map_err(|()| {
                    bad(format!(
                        "alerta: physical, financial o budget (got {})",
                        clip(a)
                    ))
                })
            })
            .transpose()?;
        let province = match given(&self.provincia) {
            Some(p) if p.len() > 6 || !p.chars().all(|c| c.is_ascii_digit()) => {
                return Err(bad(format!(
                    "provincia: un ubigeo / a ubigeo (got {})",
                    clip(p)
                )));
            }
            other => other.map(str::to_string),
        };
        let executing_unit = match given(&self.unidad) {
            Some(u) if u.chars().count() > 200 || u.chars().any(char::is_control) => {
                return Err(bad("unidad: un nombre / a name".into()));
            }
            other => other.map(str::to_string),
        };
        Ok(InvestmentFilter {
            function,
            executing_actor_id: None,
            executing_unit,
            stage,
            province,
            alert_kind,
            prioritised: yes_no(given(&self.priorizada))?,
            participatory_budget: yes_no(given(&self.participativo))?,
        })
    }

    /// The filters and year as a query string (for the download links), without the language.
    fn pairs(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("anio", &self.anio),
            ("funcion", &self.funcion),
            ("unidad", &self.unidad),
            ("etapa", &self.etapa),
            ("provincia", &self.provincia),
            ("alerta", &self.alerta),
            ("priorizada", &self.priorizada),
            ("participativo", &self.participativo),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }
}

async fn ecosystem(data: &web::Data<Ayni>, slug: &str) -> Result<Ecosystem, WebError> {
    if slug.len() > 100 {
        return Err(WebError::not_found("ecosystem"));
    }
    app(data)
        .ecosystem_by_slug(slug.to_string())
        .await?
        .ok_or_else(|| WebError::not_found("ecosystem"))
}

/// Every investment of the ecosystem passing `filter`, page after page.
async fn all_investments(
    data: &web::Data<Ayni>,
    eco: i64,
    filter: InvestmentFilter,
) -> Result<Vec<InvestmentRecord>, WebError> {
    let mut out: Vec<InvestmentRecord> = Vec::new();
    let mut after = None;
    loop {
        let page = app(data)
            .investments(eco, filter.clone(), after, MAX_INVESTMENT_PAGE)
            .await?;
        after = page.items.last().map(|r| r.id);
        out.extend(page.items);
        if !page.has_next || out.len() >= MAX_PORTFOLIO {
            return Ok(out);
        }
    }
}

/// The year asked for, else the latest year with a snapshot (else the current year).
fn year_of(q: &InvestmentsQuery, all: &[InvestmentRecord]) -> Result<i32, WebError> {
    if let Some(y) = q.year()? {
        return Ok(y);
    }
    Ok(all
        .iter()
        .flat_map(|r| r.snapshots.iter().map(|s| s.year))
        .max()
        .unwrap_or_else(|| {
            chrono::Utc::now()
                .date_naive()
                .format("%Y")
                .to_string()
                .parse()
                .unwrap_or(2026)
        }))
}

/// Names of the executing actors.
async fn actor_names(
    data: &web::Data<Ayni>,
    records: &[InvestmentRecord],
) -> Result<HashMap<i64, String>, WebError> {
    let mut ids: Vec<i64> = records
        .iter()
        .filter_map(|r| r.definition.executing_actor_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(app(data)
        .actors_by_ids(ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect())
}

/// An executing unit's name as shown: the unit, and its actor when it has one.
fn unit_name(names: &HashMap<i64, String>, key: &UnitKey) -> String {
    let actor = key.actor_id.and_then(|id| names.get(&id));
    match (actor, key.unit.trim()) {
        (Some(a), "") => a.clone(),
        (Some(a), u) if u.eq_ignore_ascii_case(a) => a.clone(),
        (Some(a), u) => format!("{u} — {a}"),
        (None, "") => "–".into(),
        (None, u) => u.to_string(),
    }
}

fn unit_of(r: &InvestmentRecord) -> UnitKey {
    UnitKey {
        actor_id: r.definition.executing_actor_id,
        unit: r.definition.executing_unit.clone(),
    }
}

/// The sheet's address: by CUI, or by id for an idea without one.
pub(crate) fn sheet_path(slug: &str, r: &InvestmentRecord) -> String {
    match &r.definition.cui {
        Some(c) => format!("/e/{slug}/inversiones/{c}"),
        None => format!("/e/{slug}/inversiones/id/{}", r.id),
    }
}

/// Everything the page and the downloads read.
struct Portfolio {
    eco: Ecosystem,
    year: i32,
    all: Vec<InvestmentRecord>,
    summary: InvestmentSummary,
    priorities: InvestmentPriorities,
    names: HashMap<i64, String>,
}

async fn portfolio(
    data: &web::Data<Ayni>,
    slug: &str,
    q: &InvestmentsQuery,
) -> Result<Portfolio, WebError> {
    q.filter()?;
    let eco = ecosystem(data, slug).await?;
    let all = all_investments(data, eco.id, InvestmentFilter::default()).await?;
    let year = year_of(q, &all)?;
    let summary = app(data).investment_summary(eco.id, year).await?;
    let priorities = app(data).investment_priorities(eco.id, year).await?;
    let names = actor_names(data, &all).await?;
    Ok(Portfolio {
        eco,
        year,
        all,
        summary,
        priorities,
        names,
    })
}

fn month_labels(lang: Lang) -> Vec<String> {
    let es = [
        "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "set", "oct", "nov", "dic",
    ];
    let en = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    (0..12)
        .map(|i| tr(lang, es[i], en[i]).to_string())
        .collect()
}

/// The monthly curve (accrued, PIM, planned when given) as an SVG chart and a table.
fn curve_block(lang: Lang, title: &str, curve: &[MonthPoint]) -> Markup {
    let planned: Vec<Option<f64>> = curve.iter().map(|p| p.planned).collect();
    let has_plan = planned.iter().any(Option::is_some);
    let mut series = vec![
        Series {
            name: tr(lang, "Devengado acumulado", "Accrued to date"),
            values: curve.iter().map(|p| p.accrued).collect(),
            colour: "#0b5cad",
            dashed: false,
            points_only: false,
        },
        Series {
            name: "PIM",
            values: curve.iter().map(|p| p.pim).collect(),
            colour: "#7a8793",
            dashed: true,
            points_only: false,
        },
    ];
    if has_plan {
        series.push(Series {
            name: tr(lang, "Programado", "Planned"),
            values: planned,
            colour: "#c75000",
            dashed: true,
            points_only: false,
        });
    }
    let labels = month_labels(lang);
    let svg = line_chart(title, &labels, &series, None);
    html! {
        div.chart-wrap { (PreEscaped(svg)) }
        details {
            summary { (tr(lang, "La curva como tabla", "The curve as a table")) }
            div.table-wrap { table.curve {
                caption { (title) }
                thead { tr {
                    th scope="col" { (tr(lang, "Mes", "Month")) }
                    th.num scope="col" { (tr(lang, "Devengado acumulado", "Accrued to date")) }
                    th.num scope="col" { "PIM" }
                    @if has_plan { th.num scope="col" { (tr(lang, "Programado", "Planned")) } }
                } }
                tbody { @for (p, l) in curve.iter().zip(&labels) {
                    tr { th scope="row" { (l) } td.num { (soles_opt(p.accrued)) } td.num { (soles_opt(p.pim)) }
                         @if has_plan { td.num { (soles_opt(p.planned)) } } }
                } }
            } }
        }
    }
}

fn totals_table(lang: Lang, caption: &str, head: &str, rows: &[(String, &Totals)]) -> Markup {
    html! {
        div.table-wrap { table.breakdown {
            caption { (caption) }
            thead { tr {
                th scope="col" { (head) }
                th.num scope="col" { (tr(lang, "Inversiones", "Investments")) }
                th.num scope="col" { (tr(lang, "Costo", "Cost")) }
                th.num scope="col" { "PIM" }
                th.num scope="col" { (tr(lang, "Devengado", "Accrued")) }
                th.num scope="col" { (tr(lang, "Ejecución", "Execution")) }
                th.num scope="col" { (tr(lang, "Alertas", "Alerts")) }
            } }
            tbody { @for (name, t) in rows {
                tr { th scope="row" { (name) } td.num { (t.count) } td.num { (soles(t.cost)) } td.num { (soles(t.pim)) }
                     td.num { (soles(t.accrued)) } td.num { (pct(t.execution())) } td.num { (t.alerts) } }
            } }
        } }
    }
}

fn downloads(lang: Lang, base: &str, filters: &str) -> Markup {
    let link = |f: &str| {
        if filters.is_empty() {
            format!("{base}.{f}")
        } else {
            format!("{base}.{f}?{filters}")
        }
    };
    html! { p.downloads { (tr(lang, "Descargar", "Download")) ": " a href=(link("csv")) { "CSV" } " " a href=(link("json")) { "JSON" } } }
}

/// The breakdowns of the summary as labelled rows: `(dimension, key, label, totals)`.
fn breakdowns(lang: Lang, s: &InvestmentSummary) -> Vec<(&'static str, String, String, &Totals)> {
    let y = &s.summary;
    let mut out: Vec<(&'static str, String, String, &Totals)> = Vec::new();
    out.push((
        "total",
        String::new(),
        tr(lang, "Total", "Total").into(),
        &y.totals,
    ));
    out.push((
        "participatory_budget",
        String::new(),
        tr(lang, "Presupuesto participativo", "Participatory budget").into(),
        &y.participatory,
    ));
    out.push((
        "prioritised",
        String::new(),
        tr(lang, "Priorizadas", "Prioritised").into(),
        &y.prioritised,
    ));
    for (k, t) in &y.by_function {
        out.push((
            "function",
            k.as_str().into(),
            label(lang, k.labels()).into(),
            t,
        ));
    }
    for (k, t) in &y.by_province {
        out.push(("province", k.as_str().into(), province_name(k.as_str()), t));
    }
    for (k, t) in &y.by_modality {
        out.push((
            "modality",
            k.as_str().into(),
            label(lang, k.labels()).into(),
            t,
        ));
    }
    for (k, t) in &y.by_source {
        out.push((
            "financing_source",
            k.as_str().into(),
            label(lang, k.labels()).into(),
            t,
        ));
    }
    for (k, t) in &y.by_stage {
        out.push((
            "stage",
            k.as_str().into(),
            label(lang, k.labels()).into(),
            t,
        ));
    }
    out
}

fn of_dimension<'a>(
    rows: &'a [(&'static str, String, String, &'a Totals)],
    dim: &str,
) -> Vec<(String, &'a Totals)> {
    rows.iter()
        .filter(|r| r.0 == dim)
        .map(|r| (r.2.clone(), r.3))
        .collect()
}

fn select_of<T: Copy>(
    lang: Lang,
    name: &str,
    caption: &str,
    current: &Option<String>,
    all: &[T],
    key: impl Fn(T) -> &'static str,
    word: impl Fn(T) -> String,
) -> Markup {
    html! {
        label { (caption)
            select name=(name) {
                option value="" { (tr(lang, "todas", "all")) }
                @for v in all { option value=(key(*v)) selected[current.as_deref() == Some(key(*v))] { (word(*v)) } }
            }
        }
    }
}

fn yes_no_select(lang: Lang, name: &str, caption: &str, current: &Option<String>) -> Markup {
    html! {
        label { (caption)
            select name=(name) {
                option value="" { (tr(lang, "todas", "all")) }
                option value="si" selected[current.as_deref() == Some("si")] { (tr(lang, "sí", "yes")) }
                option value="no" selected[current.as_deref() == Some("no")] { (tr(lang, "no", "no")) }
            }
        }
    }
}

/// `/e/{slug}/inversiones`: public.
pub async fn page(
    req: HttpRequest,
    data: web::Data<Ayni>,
    path: web::Path<String>,
    q: web::Query<InvestmentsQuery>,
) -> WebResult {
    let lang = q.lang;
    let filter = q.filter()?;
    let p = portfolio(&data, &path, &q).await?;
    let listed = all_investments(&data, p.eco.id, filter).await?;
    let eco = &p.eco;
    let slug = &eco.slug;
    let year = p.year;
    let y = &p.summary.summary;
    let filters = q.pairs();
    let year_q = format!("anio={year}");
    let base = format!("/e/{slug}/inversiones");
    let rows = breakdowns(lang, &p.summary);
    let by_id: HashMap<i64, &InvestmentRecord> = p.all.iter().map(|r| (r.id, r)).collect();
    let mut years: Vec<i32> = p.all.iter().flat_map(InvestmentRecord::years).collect();
    years.push(year);
    years.sort_unstable();
    years.dedup();
    let mut units: Vec<String> = p
        .all
        .iter()
        .map(|r| r.definition.executing_unit.clone())
        .filter(|u| !u.trim().is_empty())
        .collect();
    units.sort();
    units.dedup();
    let mut provinces: Vec<String> = p
        .all
        .iter()
        .map(|r| r.definition.province().as_str().to_string())
        .collect();
    provinces.sort();
    provinces.dedup();
    let participatory: Vec<&InvestmentRecord> = p
        .all
        .iter()
        .filter(|r| r.definition.participatory_budget)
        .collect();
    let body = html! {
        p { a href=(with_lang(&format!("/e/{slug}"), lang)) { "← " (eco.name) } }
        h1 { (tr(lang, "Inversiones", "Investments")) " — " (eco.name) " " (year) }
        p.muted { (tr(lang,
            "La cartera de inversiones públicas que sigue el órgano coordinador: su presupuesto del año (PIM), lo devengado, las alertas calculadas de sus avances y la lista priorizada. Cifras de las fotos de ejecución registradas o importadas del MEF.",
            "The portfolio of public investments the coordinating body follows: the year's budget (PIM), what has been accrued, the alerts computed from their progress and the prioritised list. Figures from the execution snapshots recorded or imported from MEF.")) }
        form.filters method="get" action=(base) {
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            label { (tr(lang, "Año", "Year"))
                select name="anio" { @for v in years.iter().rev() { option value=(v) selected[*v == year] { (v) } } }
            }
            (select_of(lang, "funcion", tr(lang, "Función", "Function"), &q.funcion, InvestmentFunction::ALL, |f| f.as_str(), |f| label(lang, f.labels()).to_string()))
            label { (tr(lang, "Unidad ejecutora", "Executing unit"))
                select name="unidad" {
                    option value="" { (tr(lang, "todas", "all")) }
                    @for u in &units { option value=(u) selected[q.unidad.as_deref() == Some(u.as_str())] { (u) } }
                }
            }
            (select_of(lang, "etapa", tr(lang, "Etapa", "Stage"), &q.etapa, InvestmentStage::ALL, |s| s.as_str(), |s| label(lang, s.labels()).to_string()))
            label { (tr(lang, "Provincia", "Province"))
                select name="provincia" {
                    option value="" { (tr(lang, "todas", "all")) }
                    @for u in &provinces { option value=(u) selected[q.provincia.as_deref() == Some(u.as_str())] { (province_name(u)) } }
                }
            }
            (select_of(lang, "alerta", tr(lang, "Alerta", "Alert"), &q.alerta, AlertKind::ALL, |k| k.as_str(), |k| alert_kind_word(lang, k).to_string()))
            (yes_no_select(lang, "priorizada", tr(lang, "Priorizada", "Prioritised"), &q.priorizada))
            (yes_no_select(lang, "participativo", tr(lang, "Presupuesto participativo", "Participatory budget"), &q.participativo))
            button type="submit" { (tr(lang, "Aplicar", "Apply")) }
        }
        p.downloads { (tr(lang, "Matriz XLSX", "XLSX matrix")) ": "
            a href=(format!("{base}.xlsx?{year_q}")) { (tr(lang, "consolidada", "consolidated")) } }
        div.kpis #totals {
            div.kpi { (tr(lang, "Inversiones", "Investments")) b { (y.totals.count) } }
            div.kpi { (tr(lang, "Costo total", "Total cost")) b { (soles(y.totals.cost)) } }
            div.kpi { "PIM " (year) b { (soles(y.totals.pim)) } }
            div.kpi { (tr(lang, "Devengado", "Accrued")) " " (year) b { (soles(y.totals.accrued)) } }
            div.kpi { (tr(lang, "Ejecución", "Execution")) b { (pct(y.totals.execution())) } }
            div.kpi { (tr(lang, "Alertas", "Alerts")) b { (y.totals.alerts) } }
        }
        section #curve aria-labelledby="curve-h" {
            h2 #curve-h { (tr(lang, "Ejecución mensual", "Monthly execution")) " " (year) }
            (curve_block(lang, &format!("{} {year}", tr(lang, "Devengado acumulado y PIM", "Accrued to date and PIM")), &p.summary.curve))
        }
        section #breakdowns aria-labelledby="bd-h" {
            h2 #bd-h { (tr(lang, "Distribución", "Breakdowns")) }
            (downloads(lang, &format!("{base}/resumen"), &year_q))
            (totals_table(lang, tr(lang, "Por función", "By function"), tr(lang, "Función", "Function"), &of_dimension(&rows, "function")))
            (totals_table(lang, tr(lang, "Por provincia", "By province"), tr(lang, "Provincia", "Province"), &of_dimension(&rows, "province")))
            (totals_table(lang, tr(lang, "Por modalidad de ejecución", "By execution modality"), tr(lang, "Modalidad", "Modality"), &of_dimension(&rows, "modality")))
            (totals_table(lang, tr(lang, "Por fuente de financiamiento", "By financing source"), tr(lang, "Fuente", "Source"), &of_dimension(&rows, "financing_source")))
        }
        section #ranking aria-labelledby="rank-h" {
            h2 #rank-h { (tr(lang, "Ranking de unidades ejecutoras", "Ranking of executing units")) }
            (downloads(lang, &format!("{base}/unidades"), &year_q))
            div.table-wrap { table.ranking {
                caption { (tr(lang, "Unidades ejecutoras por ejecución del año", "Executing units by the year's execution")) " " (year) }
                thead { tr {
                    th.num scope="col" { "#" }
                    th scope="col" { (tr(lang, "Unidad ejecutora", "Executing unit")) }
                    th.num scope="col" { (tr(lang, "Ejecución", "Execution")) }
                    th.num scope="col" { (tr(lang, "Inversiones", "Investments")) }
                    th.num scope="col" { "PIM" }
                    th.num scope="col" { (tr(lang, "Devengado", "Accrued")) }
                    th.num scope="col" { (tr(lang, "Alertas", "Alerts")) }
                    th scope="col" { "XLSX" }
                } }
                tbody { @for (n, (k, t)) in y.units.iter().enumerate() {
                    tr { td.num { (n + 1) } th scope="row" { (unit_name(&p.names, k)) } td.num { (pct(t.execution())) } td.num { (t.count) }
                         td.num { (soles(t.pim)) } td.num { (soles(t.accrued)) } td.num { (t.alerts) }
                         td { a href=(format!("{base}.xlsx?{year_q}&{}", url::form_urlencoded::Serializer::new(String::new()).append_pair("unidad", &k.unit).finish())) { "XLSX" } } }
                } }
            } }
        }
        section #alerts aria-labelledby="alerts-h" {
            h2 #alerts-h { (tr(lang, "Alertas", "Alerts")) }
            p.muted { (tr(lang, "Calculadas de las fotos de ejecución, nunca escritas a mano: física (avance físico detenido o rezagado), financiera (detrás de lo programado o del ritmo del año) y presupuestal (PIM recortado o cambiado).",
                "Computed from the execution snapshots, never typed in: physical (progress stalled or lagging), financial (behind the planned curve or the year's pace) and budget (PIM cut or changed).")) }
            (downloads(lang, &format!("{base}/alertas"), &year_q))
            @if p.summary.alerts.is_empty() { p { (tr(lang, "Sin alertas este año.", "No alerts this year.")) } } @else {
                div.table-wrap { table.alerts {
                    caption { (tr(lang, "Alertas vigentes", "Standing alerts")) " " (year) }
                    thead { tr {
                        th scope="col" { (tr(lang, "Inversión", "Investment")) }
                        th scope="col" { (tr(lang, "Tipo", "Kind")) }
                        th scope="col" { (tr(lang, "Severidad", "Severity")) }
                        th scope="col" { (tr(lang, "Desde", "Since")) }
                        th scope="col" { (tr(lang, "Alerta", "Alert")) }
                    } }
                    tbody { @for a in &p.summary.alerts {
                        tr { th scope="row" {
                                @match by_id.get(&a.investment_id) {
                                    Some(r) => a href=(with_lang(&sheet_path(slug, r), lang)) { @if let Some(c) = &a.cui { (c) " " } (a.name) },
                                    None => (a.name),
                                } }
                             td { (alert_kind_word(lang, a.alert.kind)) } td { (severity_cell(lang, a.alert.severity)) }
                             td { (a.alert.since) } td { (sentence(lang, &a.alert)) } }
                    } }
                } }
            }
        }
        section #participatory aria-labelledby="pp-h" {
            h2 #pp-h { (tr(lang, "Presupuesto participativo", "Participatory budget")) }
            p { (participatory.len()) " " (tr(lang, "inversiones del presupuesto participativo", "participatory-budget investments")) ": "
                "PIM " (soles(y.participatory.pim)) ", " (tr(lang, "devengado", "accrued")) " " (soles(y.participatory.accrued))
                " (" (pct(y.participatory.execution())) ")." }
            @if !participatory.is_empty() { (investments_table(lang, slug, year, &p.names, &participatory, tr(lang, "Inversiones del presupuesto participativo", "Participatory-budget investments"))) }
        }
        section #priorities aria-labelledby="prio-h" {
            h2 #prio-h { (tr(lang, "Cartera priorizada", "Prioritised portfolio")) " " (year) }
            p.muted { (tr(lang, "Proyectos e ideas ordenados por los criterios ponderados del ecosistema (brecha de los indicadores vinculados, etapa alcanzada, escala y criterios valorados 1–5). La bolsa anual marca cuáles caben.",
                "Projects and ideas ranked by the ecosystem's weighted criteria (gap of the linked indicators, stage reached, scale and judged criteria scored 1–5). The annual envelope marks which fit.")) }
            p { (tr(lang, "Bolsa del año", "The year's envelope")) ": " (soles_opt(p.priorities.envelope)) }
            (downloads(lang, &format!("{base}/prioridades"), &year_q))
            div.table-wrap { table.priorities {
                caption { (tr(lang, "Lista priorizada", "Prioritised list")) " " (year) }
                thead { tr {
                    th.num scope="col" { "#" }
                    th scope="col" { (tr(lang, "Inversión", "Investment")) }
                    th scope="col" { (tr(lang, "Etapa", "Stage")) }
                    th.num scope="col" { (tr(lang, "Puntaje", "Score")) }
                    th.num scope="col" { (tr(lang, "Necesidad del año", "The year's need")) }
                    th.num scope="col" { (tr(lang, "Acumulado", "Cumulative")) }
                    th scope="col" { (tr(lang, "¿Cabe en la bolsa?", "Fits the envelope?")) }
                } }
                tbody { @for (pr, r) in &p.priorities.items {
                    tr { td.num { (pr.rank) } th scope="row" { a href=(with_lang(&sheet_path(slug, r), lang)) { @if let Some(c) = &r.definition.cui { (c) " " } (r.definition.name) } }
                         td { (label(lang, r.definition.stage.labels())) } td.num { (fmt_num(pr.score * 100.0)) }
                         td.num { (soles(pr.need)) } td.num { (soles(pr.cumulative_need)) }
                         td { @match pr.fits { Some(true) => strong { (tr(lang, "Sí, cabe", "Yes, fits")) }, Some(false) => (tr(lang, "No cabe", "Does not fit")), None => span.muted { (tr(lang, "sin bolsa", "no envelope")) } } } }
                } }
            } }
        }
        section #list aria-labelledby="list-h" {
            h2 #list-h { (tr(lang, "Inversiones", "Investments")) " (" (listed.len()) ")" }
            (downloads(lang, &base, &filters))
            @if listed.is_empty() { p { (tr(lang, "No hay inversiones con estos filtros.", "No investments match these filters.")) } } @else {
                (investments_table(lang, slug, year, &p.names, &listed.iter().collect::<Vec<_>>(), tr(lang, "Inversiones filtradas", "Filtered investments")))
            }
        }
    };
    Ok(html_response(layout(
        &req,
        lang,
        tr(lang, "Inversiones", "Investments"),
        body,
        None,
        eco.illustrative,
    )))
}

fn investments_table(
    lang: Lang,
    slug: &str,
    year: i32,
    names: &HashMap<i64, String>,
    items: &[&InvestmentRecord],
    caption: &str,
) -> Markup {
    html! {
        div.table-wrap { table.investments {
            caption { (caption) " " (year) }
            thead { tr {
                th scope="col" { "CUI" }
                th scope="col" { (tr(lang, "Nombre", "Name")) }
                th scope="col" { (tr(lang, "Función", "Function")) }
                th scope="col" { (tr(lang, "Unidad ejecutora", "Executing unit")) }
                th scope="col" { (tr(lang, "Etapa", "Stage")) }
                th.num scope="col" { (tr(lang, "Costo", "Cost")) }
                th.num scope="col" { "PIM" }
                th.num scope="col" { (tr(lang, "Devengado", "Accrued")) }
                th.num scope="col" { (tr(lang, "Ejecución", "Execution")) }
                th.num scope="col" { (tr(lang, "Avance físico", "Physical progress")) }
                th scope="col" { (tr(lang, "Alertas", "Alerts")) }
            } }
            tbody { @for r in items {
                @let d = &r.definition;
                @let s = r.of_year(year);
                tr { td { @match &d.cui { Some(c) => (c), None => span.muted { (tr(lang, "sin CUI", "no CUI")) } } }
                     th scope="row" { a href=(with_lang(&sheet_path(slug, r), lang)) { (d.name) } }
                     td { (label(lang, d.function.labels())) } td { (unit_name(names, &unit_of(r))) }
                     td { (label(lang, d.stage.labels())) } td.num { (soles_opt(d.cost())) }
                     td.num { (soles_opt(s.map(|s| s.pim))) } td.num { (soles_opt(s.map(|s| s.accrued))) }
                     td.num { (pct(s.and_then(|s| s.financial_execution()))) } td.num { (points(r.physical().map(|p| p.percent))) }
                     td { @for (n, a) in r.alerts.iter().enumerate() { @if n > 0 { br; } (alert_kind_word(lang, a.kind)) ": " (severity_cell(lang, a.severity)) } } }
            } }
        } }
    }
}

/// A CUI in the address: seven digits, else not found (fast, nothing read).
fn cui_of(raw: &str) -> Result<String, WebError> {
    if raw.len() == 7 && raw.bytes().all(|b| b.is_ascii_digit()) {
        Ok(raw.to_string())
    } else {
        Err(WebError::not_found("CUI"))
    }
}

async fn by_cui(
    data: &web::Data<Ayni>,
    slug: &str,
    cui: &str,
) -> Result<(Ecosystem, InvestmentRecord), WebError> {
    let cui = cui_of(cui)?;
    let eco = ecosystem(data, slug).await?;
    let r = app(data)
        .investment_by_cui(eco.id, cui)
        .await?
        .ok_or_else(|| WebError::not_found("CUI"))?;
    Ok((eco, r))
}

async fn by_id(
    data: &web::Data<Ayni>,
    slug: &str,
    id: &str,
) -> Result<(Ecosystem, InvestmentRecord), WebError> {
    let id: i64 = id
        .parse()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| WebError::not_found("investment"))?;
    let eco = ecosystem(data, slug).await?;
    let r = app(data)
        .investment_by_id(id)
        .await?
        .filter(|r| r.ecosystem_id == eco.id)
        .ok_or_else(|| WebError::not_found("investment"))?;
    Ok((eco, r))
}

/// The sheet's query: the language and the year of the chart.
#[derive(Debug, Default, Deserialize)]
pub struct SheetQuery {
    #[serde(default)]
    pub lang: Lang,
    pub anio: Option<String>,
}

/// `/e/{slug}/inversiones/{cui}`: the project sheet. Public.
pub async fn sheet(
    req: HttpRequest,
    data: web::Data<Ayni>,
    path: web::Path<(String, String)>,
    q: web::Query<SheetQuery>,
) -> WebResult {
    let (slug, cui) = path.into_inner();
    let (eco, r) = by_cui(&data, &slug, &cui).await?;
    sheet_page(req, data, eco, r, &q).await
}

/// `/e/{slug}/inversiones/id/{id}`: the sheet of an investment without a CUI. Public.
pub async fn sheet_by_id(
    req: HttpRequest,
    data: web::Data<Ayni>,
    path: web::Path<(String, String)>,
    q: web::Query<SheetQuery>,
) -> WebResult {
    let (slug, id) = path.into_inner();
    let (eco, r) = by_id(&data, &slug, &id).await?;
    sheet_page(req, data, eco, r, &q).await
}

async fn sheet_page(
    req: HttpRequest,
    data: web::Data<Ayni>,
    eco: Ecosystem,
    r: InvestmentRecord,
    q: &SheetQuery,
) -> WebResult {
    let lang = q.lang;
    let years = r.years();
    let year = match given(&q.anio) {
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| bad(format!("anio: un año / a year (got {})", clip(y))))?,
        None => years.last().copied().unwrap_or(eco.horizon_start),
    };
    let names = actor_names(&data, std::slice::from_ref(&r)).await?;
    let (objective_ids, indicator_ids): (Vec<_>, Vec<_>) = r
        .links
        .iter()
        .partition(|l| matches!(l.target, LinkTarget::Objective(_)));
    let objectives: HashMap<i64, (String, String)> = app(&data)
        .objectives_by_ids(
            objective_ids
                .iter()
                .filter_map(|l| match l.target {
                    LinkTarget::Objective(id) => Some(id),
                    LinkTarget::Indicator(_) => None,
                })
                .collect(),
        )
        .await?
        .into_iter()
        .map(|o| (o.id, (o.code, o.name)))
        .collect();
    let indicators: HashMap<i64, (String, String)> = app(&data)
        .indicators_by_ids(
            indicator_ids
                .iter()
                .filter_map(|l| match l.target {
                    LinkTarget::Indicator(id) => Some(id),
                    LinkTarget::Objective(_) => None,
                })
                .collect(),
        )
        .await?
        .into_iter()
        .map(|i| (i.id, (i.definition.code, i.definition.name)))
        .collect();
    let commitments = match &r.definition.cui {
        Some(c) => {
            app(&data)
                .commitments_of_investment(eco.id, c.as_str().to_string(), commitments_today())
                .await?
        }
        None => Vec::new(),
    };
    let d = &r.definition;
    let slug = &eco.slug;
    let s = r.of_year(year);
    let latest = r.latest();
    let cost = d.cost();
    let title = match &d.cui {
        Some(c) => format!("CUI {c} — {}", d.name),
        None => d.name.clone(),
    };
    let snaps_base = match &d.cui {
        Some(c) => format!("/e/{slug}/inversiones/{c}/avance"),
        None => format!("/e/{slug}/inversiones/id/{}/avance", r.id),
    };
    let physical: Vec<_> = r
        .snapshots
        .iter()
        .filter_map(|s| s.physical.as_ref().map(|p| (s.as_of, p)))
        .collect();
    let body = html! {
        p { a href=(with_lang(&format!("/e/{slug}/inversiones"), lang)) { "← " (tr(lang, "Inversiones", "Investments")) " — " (eco.name) } }
        h1 { (title) }
        section #identification aria-labelledby="id-h" {
            h2 #id-h { (tr(lang, "Identificación", "Identification")) }
            dl.facts {
                dt { "CUI" } dd { @match &d.cui { Some(c) => (c), None => (tr(lang, "sin CUI (idea aún no registrada)", "no CUI (idea not yet registered)")) } }
                dt { (tr(lang, "Tipo", "Type")) } dd { (kind_word(lang, d.kind)) }
                dt { (tr(lang, "Nivel de gobierno", "Level of government")) } dd { (level_word(lang, d.level)) }
                dt { (tr(lang, "Unidad ejecutora", "Executing unit")) } dd { (unit_name(&names, &unit_of(&r))) }
                dt { (tr(lang, "Función", "Function")) } dd { (label(lang, d.function.labels())) }
                dt { (tr(lang, "Programa / subprograma", "Programme / subprogramme")) } dd { (d.programme) " / " (d.subprogramme) }
                dt { (tr(lang, "Etapa", "Stage")) } dd { (label(lang, d.stage.labels())) }
                dt { (tr(lang, "Modalidad", "Modality")) } dd { (label(lang, d.modality.labels())) }
                dt { (tr(lang, "Fuente de financiamiento", "Financing source")) } dd { (label(lang, d.financing_source.labels())) }
                dt { (tr(lang, "Presupuesto participativo", "Participatory budget")) } dd { (if d.participatory_budget { tr(lang, "sí", "yes") } else { "no" }) }
                dt { (tr(lang, "Priorizada", "Prioritised")) } dd { (if d.prioritised { tr(lang, "sí", "yes") } else { "no" }) }
            }
        }
        section #location aria-labelledby="loc-h" {
            h2 #loc-h { (tr(lang, "Ubicación", "Location")) }
            dl.facts {
                dt { "Ubigeo" } dd { (d.ubigeo.as_str()) @if let Some(n) = d.ubigeo.name() { " — " (n) } }
                dt { (tr(lang, "Provincia", "Province")) } dd { (province_name(d.province().as_str())) }
                @if let Some(g) = &d.location { dt { (tr(lang, "Coordenadas", "Coordinates")) } dd { (fmt_num(g.lat)) ", " (fmt_num(g.lon)) } }
                @if let Some(b) = d.beneficiaries { dt { (tr(lang, "Beneficiarios", "Beneficiaries")) } dd { (soles(b as f64).trim_start_matches("S/ ")) } }
            }
        }
        section #amounts aria-labelledby="amt-h" {
            h2 #amt-h { (tr(lang, "Montos", "Amounts")) }
            dl.facts {
                dt { (tr(lang, "Monto viable", "Viable amount")) } dd { (soles_opt(d.viable_amount)) }
                dt { (tr(lang, "Costo actualizado", "Updated cost")) } dd { (soles_opt(d.updated_cost)) }
                @if let Some(v) = d.viability_date { dt { (tr(lang, "Fecha de viabilidad", "Viability date")) } dd { (v) } }
                @if let Some(v) = d.start_date { dt { (tr(lang, "Inicio", "Start")) } dd { (v) } }
                @if let Some(v) = d.planned_end_date { dt { (tr(lang, "Fin previsto", "Planned end")) } dd { (v) } }
            }
            @if let Some(s) = s {
                div.table-wrap { table.amounts {
                    caption { (tr(lang, "Presupuesto del año", "The year's budget")) " " (year) " (" (tr(lang, "al", "as of")) " " (s.as_of) ")" }
                    thead { tr { th scope="col" { "PIA" } th scope="col" { "PIM" } th scope="col" { (tr(lang, "Certificado", "Certified")) }
                        th scope="col" { (tr(lang, "Comprometido", "Committed")) } th scope="col" { (tr(lang, "Devengado", "Accrued")) } th scope="col" { (tr(lang, "Pagado", "Paid")) }
                        th scope="col" { (tr(lang, "Devengado de años anteriores", "Accrued in earlier years")) } } }
                    tbody { tr { td.num { (soles(s.pia)) } td.num { (soles(s.pim)) } td.num { (soles(s.certified)) } td.num { (soles(s.committed)) }
                        td.num { (soles(s.accrued)) } td.num { (soles(s.paid)) } td.num { (soles(s.accrued_before)) } } }
                } }
            }
        }
        section #derived aria-labelledby="der-h" {
            h2 #der-h { (tr(lang, "Cifras derivadas", "Derived figures")) }
            @if let Some(s) = s {
                dl.facts {
                    dt { (tr(lang, "Ejecución financiera del año", "The year's financial execution")) } dd { (pct(s.financial_execution()))
                        br; small.muted { (tr(lang, "devengado del año / PIM", "the year's accrued / PIM")) } }
                    dt { (tr(lang, "Avance acumulado", "Accumulated progress")) } dd { (pct(s.accumulated_progress(cost)))
                        br; small.muted { (tr(lang, "(devengado de años anteriores + del año) / costo actualizado", "(accrued in earlier years + this year) / updated cost")) } }
                    dt { (tr(lang, "Saldo por ejecutar", "Remaining balance")) } dd { (soles_opt(s.remaining_balance(cost)))
                        br; small.muted { (tr(lang, "costo actualizado − devengado a la fecha", "updated cost − accrued to date")) } }
                    dt { (tr(lang, "Saldo del PIM", "PIM balance")) } dd { (soles(s.pim_balance()))
                        br; small.muted { (tr(lang, "PIM − devengado del año", "PIM − the year's accrued")) } }
                }
            } @else { p { (tr(lang, "Sin fotos de ejecución en este año.", "No execution snapshots this year.")) } }
        }
        section #execution aria-labelledby="ex-h" {
            h2 #ex-h { (tr(lang, "Ejecución mensual", "Monthly execution")) " " (year) }
            @if years.len() > 1 { p { (tr(lang, "Años", "Years")) ": " @for y in &years { a href=(with_lang(&format!("?anio={y}"), lang)) { (y) } " " } } }
            (curve_block(lang, &format!("{} {year}", tr(lang, "Devengado mensual y programado", "Monthly accrued and planned")), &r.curve(year)))
            (downloads(lang, &snaps_base, ""))
        }
        section #physical aria-labelledby="ph-h" {
            h2 #ph-h { (tr(lang, "Avance físico", "Physical progress")) }
            @if physical.is_empty() { p { (tr(lang, "Sin avance físico reportado.", "No physical progress reported.")) } } @else {
                div.table-wrap { table.physical {
                    caption { (tr(lang, "Avance físico en el tiempo", "Physical progress over time")) }
                    thead { tr { th scope="col" { (tr(lang, "Foto del", "Snapshot of")) } th scope="col" { (tr(lang, "Medido el", "Measured on")) }
                        th.num scope="col" { (tr(lang, "Avance", "Progress")) } th scope="col" { (tr(lang, "Evidencia", "Evidence")) } } }
                    tbody { @for (on, ph) in &physical { tr { th scope="row" { (on) } td { (ph.measured_on) } td.num { (points(Some(ph.percent))) } td { (ph.evidence) } } } }
                } }
            }
            @if let Some(l) = latest { p.muted { (tr(lang, "Última foto", "Latest snapshot")) ": " (l.as_of) } }
        }
        section #sheet-alerts aria-labelledby="al-h" {
            h2 #al-h { (tr(lang, "Alertas", "Alerts")) }
            @if r.alerts.is_empty() { p { (tr(lang, "Sin alertas.", "No alerts.")) } } @else {
                div.table-wrap { table.alerts {
                    caption { (tr(lang, "Alertas vigentes", "Standing alerts")) }
                    thead { tr { th scope="col" { (tr(lang, "Tipo", "Kind")) } th scope="col" { (tr(lang, "Severidad", "Severity")) }
                        th scope="col" { (tr(lang, "Desde", "Since")) } th scope="col" { (tr(lang, "Alerta", "Alert")) } } }
                    tbody { @for a in &r.alerts { tr { th scope="row" { (alert_kind_word(lang, a.kind)) } td { (severity_cell(lang, a.severity)) } td { (a.since) } td { (sentence(lang, a)) } } } }
                } }
            }
        }
        section #links aria-labelledby="ln-h" {
            h2 #ln-h { (tr(lang, "Objetivos e indicadores a los que sirve", "Objectives and indicators it serves")) }
            @if r.links.is_empty() { p { (tr(lang, "Sin vínculos.", "No links.")) } } @else {
                ul { @for l in &r.links {
                    li { @match l.target {
                            LinkTarget::Objective(id) => { (tr(lang, "Objetivo", "Objective")) " " @if let Some((c, n)) = objectives.get(&id) { (c) " — " (n) } }
                            LinkTarget::Indicator(id) => { (tr(lang, "Indicador", "Indicator")) " " @if let Some((c, n)) = indicators.get(&id) { a href=(with_lang(&format!("/e/{slug}/i/{c}"), lang)) { (c) } " — " (n) } }
                         }
                         @if !l.expected_change.is_empty() { ": " strong { (l.expected_change) } } }
                } }
            }
        }
        @if d.cui.is_some() { (commitments_section(lang, slug, &commitments)) }
    };
    Ok(html_response(layout(
        &req,
        lang,
        &title,
        body,
        None,
        eco.illustrative,
    )))
}

/// The coordinating body's commitments that name the investment, each linked to its row
/// of the commitments page.
fn commitments_section(lang: Lang, slug: &str, items: &[CommitmentView]) -> Markup {
    html! {
        section #sheet-commitments aria-labelledby="cm-h" {
            h2 #cm-h { (tr(lang, "Compromisos sobre esta inversión", "Commitments about this investment")) }
            @if items.is_empty() { p { (tr(lang, "Ningún compromiso la menciona.", "No commitment names it.")) } } @else {
                div.table-wrap { table.commitments {
                    caption { (tr(lang, "Compromisos del órgano de coordinación que la mencionan", "Commitments of the coordinating body that name it")) }
                    thead { tr { th scope="col" { (tr(lang, "Compromiso", "Commitment")) } th scope="col" { (tr(lang, "Responsable", "Responsible")) }
                        th scope="col" { (tr(lang, "Plazo", "Deadline")) } th scope="col" { (tr(lang, "Estado", "Status")) } } }
                    tbody { @for v in items {
                        tr class=[v.timeliness.is_overdue().then_some("is-overdue")] {
                            th scope="row" { a href=(format!("{}#c{}", with_lang(&format!("/e/{slug}/compromisos"), lang), v.id)) { (text_of(lang, v)) } }
                            td { (v.responsible.name) }
                            td { @match v.deadline { Some(d) => (d), None => span.muted { (tr(lang, "sin plazo", "no deadline")) } } }
                            td { (status_cell(lang, v)) }
                        }
                    } }
                } }
            }
        }
    }
}

/// The investments linked to an indicator or its objective, for the indicator page.
pub(crate) async fn linked_section(
    data: &web::Data<Ayni>,
    lang: Lang,
    slug: &str,
    indicator_id: i64,
    objective_id: i64,
) -> Result<Markup, WebError> {
    let mut items: Vec<(bool, String, InvestmentRecord)> = Vec::new();
    for (_, r) in app(data)
        .investments_of_indicators(vec![indicator_id])
        .await?
    {
        let change = r
            .links
            .iter()
            .find(|l| l.target == LinkTarget::Indicator(indicator_id))
            .map(|l| l.expected_change.clone())
            .unwrap_or_default();
        items.push((true, change, r));
    }
    for (_, r) in app(data)
        .investments_of_objectives(vec![objective_id])
        .await?
    {
        if items.iter().any(|(_, _, i)| i.id == r.id) {
            continue;
        }
        let change = r
            .links
            .iter()
            .find(|l| l.target == LinkTarget::Objective(objective_id))
            .map(|l| l.expected_change.clone())
            .unwrap_or_default();
        items.push((false, change, r));
    }
    Ok(html! {
        section #indicator-investments aria-labelledby="inv-h" {
            h2 #inv-h { (tr(lang, "Inversiones que lo mueven", "Investments that move it")) }
            @if items.is_empty() { p { (tr(lang, "Ninguna inversión vinculada al indicador ni a su objetivo.", "No investment linked to the indicator or its objective.")) } } @else {
                div.table-wrap { table.investments {
                    caption { (tr(lang, "Inversiones vinculadas al indicador y a su objetivo", "Investments linked to the indicator and its objective")) }
                    thead { tr { th scope="col" { (tr(lang, "Inversión", "Investment")) } th scope="col" { (tr(lang, "Vínculo", "Link")) }
                        th scope="col" { (tr(lang, "Cambio esperado", "Expected change")) } th scope="col" { (tr(lang, "Etapa", "Stage")) }
                        th.num scope="col" { (tr(lang, "Avance físico", "Physical progress")) } } }
                    tbody { @for (direct, change, r) in &items {
                        tr { th scope="row" { a href=(with_lang(&sheet_path(slug, r), lang)) { @if let Some(c) = &r.definition.cui { (c) " " } (r.definition.name) } }
                             td { (if *direct { tr(lang, "al indicador", "to the indicator") } else { tr(lang, "al objetivo", "to the objective") }) }
                             td { (change) } td { (label(lang, r.definition.stage.labels())) } td.num { (points(r.physical().map(|p| p.percent))) } }
                    } }
                } }
            }
            p { a href=(with_lang(&format!("/e/{slug}/inversiones"), lang)) { (tr(lang, "Inversiones", "Investments")) } }
        }
    })
}

// ---------------------------------------------------------------------------------------
// Open data
// ---------------------------------------------------------------------------------------

/// One investment with the year's figures (the list, CSV and JSON: the same columns).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct InvestmentRow {
    id: i64,
    /// Seven digits; empty for an idea without one.
    cui: Option<String>,
    name: String,
    /// `project`, `ioarr` or `idea`.
    kind: &'static str,
    /// `gn`, `gr` or `gl`.
    level: &'static str,
    executing_unit: String,
    executing_actor: Option<String>,
    function: &'static str,
    programme: String,
    subprogramme: String,
    stage: &'static str,
    modality: &'static str,
    financing_source: &'static str,
    participatory_budget: bool,
    prioritised: bool,
    ubigeo: String,
    province: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    beneficiaries: Option<i64>,
    viable_amount: Option<f64>,
    updated_cost: Option<f64>,
    /// The year of the figures below.
    year: i32,
    /// The date of the year's latest snapshot.
    as_of: Option<String>,
    pia: Option<f64>,
    pim: Option<f64>,
    certified: Option<f64>,
    committed: Option<f64>,
    accrued: Option<f64>,
    paid: Option<f64>,
    accrued_before: Option<f64>,
    /// `accrued / pim` (0..1).
    financial_execution: Option<f64>,
    /// `(accrued_before + accrued) / cost` (0..1).
    accumulated_progress: Option<f64>,
    /// Latest physical progress, in percent (0..100).
    physical_progress: Option<f64>,
    /// The kinds of the standing alerts, `;`-separated.
    alerts: String,
}

fn row_of(r: &InvestmentRecord, year: i32, names: &HashMap<i64, String>) -> InvestmentRow {
    let d = &r.definition;
    let s = r.of_year(year);
    InvestmentRow {
        id: r.id,
        cui: d.cui.as_ref().map(ToString::to_string),
        name: d.name.clone(),
        kind: d.kind.as_str(),
        level: d.level.as_str(),
        executing_unit: d.executing_unit.clone(),
        executing_actor: d.executing_actor_id.and_then(|id| names.get(&id).cloned()),
        function: d.function.as_str(),
        programme: d.programme.clone(),
        subprogramme: d.subprogramme.clone(),
        stage: d.stage.as_str(),
        modality: d.modality.as_str(),
        financing_source: d.financing_source.as_str(),
        participatory_budget: d.participatory_budget,
        prioritised: d.prioritised,
        ubigeo: d.ubigeo.as_str().to_string(),
        province: d.province().as_str().to_string(),
        latitude: d.location.as_ref().map(|g| g.lat),
        longitude: d.location.as_ref().map(|g| g.lon),
        beneficiaries: d.beneficiaries,
        viable_amount: d.viable_amount,
        updated_cost: d.updated_cost,
        year,
        as_of: s.map(|s| s.as_of.to_string()),
        pia: s.map(|s| s.pia),
        pim: s.map(|s| s.pim),
        certified: s.map(|s| s.certified),
        committed: s.map(|s| s.committed),
        accrued: s.map(|s| s.accrued),
        paid: s.map(|s| s.paid),
        accrued_before: s.map(|s| s.accrued_before),
        financial_execution: s.and_then(|s| s.financial_execution()),
        accumulated_progress: s.and_then(|s| s.accumulated_progress(d.cost())),
        physical_progress: r.physical().map(|p| p.percent),
        alerts: r
            .alerts
            .iter()
            .map(|a| a.kind.as_str())
            .collect::<Vec<_>>()
            .join(";"),
    }
}

/// The portfolio's investments with the year's figures, filtered as on the page (`.xlsx`:
/// the consolidated matrix, or one executing unit's with `unidad`).
#[utoipa::path(get, path = "/e/{slug}/inversiones.{format}", tag = "open-data",
    params(("slug" = String, Path, description = "The ecosystem"), ("format" = String, Path, description = "`csv`, `json` or `xlsx` (the matrix)"),
        ("anio" = Option<i32>, Query, description = "The year of the figures (default: the latest year with snapshots)"),
        ("funcion" = Option<String>, Query, description = "Only this function, e.g. `sanitation`"),
        ("unidad" = Option<String>, Query, description = "Only this executing unit (its name)"),
        ("etapa" = Option<String>, Query, description = "Only this stage, e.g. `execution`"),
        ("provincia" = Option<String>, Query, description = "Only investments located in this ubigeo"),
        ("alerta" = Option<String>, Query, description = "Only those with an alert of this kind: `physical`, `financial`, `budget`"),
        ("priorizada" = Option<String>, Query, description = "`si` / `no`"),
        ("participativo" = Option<String>, Query, description = "`si` / `no`: participatory budget")),
    responses((status = 200, description = "One row per investment: identification, the year's PIA, PIM, certified, committed, accrued, paid, derived figures, physical progress and alert kinds",
                content((String = "text/csv"), (Vec<InvestmentRow> = "application/json"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 400, description = "A filter that is not one of its values"),
              (status = 404, description = "Unknown ecosystem or format")))]
pub async fn list_data(
    data: web::Data<Ayni>,
    path: web::Path<(String, String)>,
    q: web::Query<InvestmentsQuery>,
) -> WebResult {
    let (slug, format) = path.into_inner();
    let xlsx = format == "xlsx";
    let format = if xlsx {
        None
    } else {
        Some(format_of(&format)?)
    };
    let filter = q.filter()?;
    let eco = ecosystem(&data, &slug).await?;
    let everything = all_investments(&data, eco.id, InvestmentFilter::default()).await?;
    let year = year_of(&q, &everything)?;
    let listed = all_investments(&data, eco.id, filter).await?;
    let names = actor_names(&data, &listed).await?;
    let rows: Vec<InvestmentRow> = listed.iter().map(|r| row_of(r, year, &names)).collect();
    match format {
        Some(f) => respond(f, &format!("inversiones-{slug}-{year}"), &rows),
        None => {
            let unit = given(&q.unidad).map(str::to_string);
            let bytes = matrix(q.lang, year, unit.as_deref(), &rows).map_err(|e| WebError {
                status: 500,
                message: e,
            })?;
            let name = match &unit {
                Some(u) => format!(
                    "inversiones-{slug}-{year}-{}",
                    u.chars()
                        .filter(char::is_ascii_alphanumeric)
                        .take(40)
                        .collect::<String>()
                ),
                None => format!("inversiones-{slug}-{year}"),
            };
            Ok(HttpResponse::Ok()
                .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .insert_header((
                    "content-disposition",
                    format!("attachment; filename=\"{name}.xlsx\""),
                ))
                .body(bytes))
        }
    }
}

/// The XLSX matrix: one row per investment with the year's figures and its alerts.
fn matrix(
    lang: Lang,
    year: i32,
    unit: Option<&str>,
    rows: &[InvestmentRow],
) -> Result<Vec<u8>, String> {
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .set_name(format!("{} {year}", tr(lang, "Inversiones", "Investments")))
        .map_err(e)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let title = match unit {
        Some(u) => format!(
            "{}: {u} — {year}",
            tr(lang, "Unidad ejecutora", "Executing unit")
        ),
        None => format!(
            "{} — {year}",
            tr(
                lang,
                "Matriz consolidada de inversiones",
                "Consolidated investment matrix"
            )
        ),
    };
    sheet
        .write_string_with_format(0, 0, super::data::neutralise_cell(&title).as_ref(), &bold)
        .map_err(e)?;
    let header = [
        "CUI",
        tr(lang, "Nombre", "Name"),
        tr(lang, "Unidad ejecutora", "Executing unit"),
        tr(lang, "Función", "Function"),
        tr(lang, "Etapa", "Stage"),
        tr(lang, "Costo actualizado", "Updated cost"),
        "PIA",
        "PIM",
        tr(lang, "Certificado", "Certified"),
        tr(lang, "Comprometido", "Committed"),
        tr(lang, "Devengado", "Accrued"),
        tr(lang, "Ejecución %", "Execution %"),
        tr(lang, "Avance físico %", "Physical progress %"),
        tr(lang, "Alertas", "Alerts"),
    ];
    for (c, h) in header.iter().enumerate() {
        sheet
            .write_string_with_format(2, c as u16, *h, &bold)
            .map_err(e)?;
    }
    for (n, r) in (3u32..).zip(rows.iter()) {
        let texts = [
            r.cui.clone().unwrap_or_default(),
            r.name.clone(),
            r.executing_unit.clone(),
            r.function.to_string(),
            r.stage.to_string(),
        ];
        for (c, t) in texts.iter().enumerate() {
            sheet
                .write_string(n, c as u16, super::data::neutralise_cell(t).as_ref())
                .map_err(e)?;
        }
        let numbers = [
            r.updated_cost,
            r.pia,
            r.pim,
            r.certified,
            r.committed,
            r.accrued,
            r.financial_execution.map(|v| v * 100.0),
            r.physical_progress,
        ];
        for (c, v) in numbers.iter().enumerate() {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                sheet.write_number(n, c as u16 + 5, v).map_err(e)?;
            }
        }
        sheet.write_string(n, 13, r.alerts.as_str()).map_err(e)?;
    }
    book.save_to_buffer().map_err(e)
}

/// One line of the year's breakdowns.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct BreakdownRow {
    year: i32,
    /// `total`, `participatory_budget`, `prioritised`, `function`, `province`, `modality`,
    /// `financing_source` or `stage`.
    dimension: &'static str,
    /// The group's code (a function, a ubigeo…), empty for the totals.
    key: String,
    label: String,
    count: i64,
    cost: f64,
    pim: f64,
    accrued: f64,
    /// `accrued / pim` (0..1).
    execution: Option<f64>,
    alerts: i64,
}

/// One executing unit in the year's ranking.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct UnitRow {
    year: i32,
    rank: usize,
    executing_unit: String,
    executing_actor: Option<String>,
    count: i64,
    cost: f64,
    pim: f64,
    accrued: f64,
    execution: Option<f64>,
    alerts: i64,
}

/// One standing alert.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AlertRow {
    year: i32,
    investment_id: i64,
    cui: Option<String>,
    name: String,
    /// `physical`, `financial` or `budget`.
    kind: &'static str,
    /// `stalled`, `physical_lag`, `behind_plan`, `behind_pace`, `pim_cut`, `pim_change`.
    rule: &'static str,
    /// `warning` or `critical`.
    severity: &'static str,
    since: String,
    measure: f64,
    threshold: f64,
    sentence_es: String,
    sentence_en: String,
}

/// One line of the prioritised list.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PriorityRow {
    year: i32,
    rank: usize,
    investment_id: i64,
    cui: Option<String>,
    name: String,
    stage: &'static str,
    /// The weighted score (0..1).
    score: f64,
    /// What the year still needs.
    need: f64,
    cumulative_need: f64,
    envelope: Option<f64>,
    /// Within the envelope; empty when the year has none.
    fits: Option<bool>,
}

/// One snapshot of an investment.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SnapshotRow {
    cui: Option<String>,
    as_of: String,
    year: i32,
    pia: f64,
    pim: f64,
    certified: f64,
    committed: f64,
    accrued: f64,
    paid: f64,
    accrued_before: f64,
    financial_execution: Option<f64>,
    accumulated_progress: Option<f64>,
    physical_progress: Option<f64>,
    physical_measured_on: Option<String>,
    physical_evidence: Option<String>,
}

/// The query of the year's tables: the year (and the language of the labels).
#[derive(Debug, Default, Deserialize)]
pub struct YearQuery {
    #[serde(default)]
    pub lang: Lang,
    pub anio: Option<String>,
}

macro_rules! year_table {
    ($fn:ident, $table:literal, $path:literal, $row:ty, $what:literal) => {
        #[doc = $what]
        #[utoipa::path(get, path = $path, tag = "open-data",
            params(("slug" = String, Path, description = "The ecosystem"),
                ("format" = OpenDataFormat, Path, description = "`csv` or `json`"),
                ("anio" = Option<i32>, Query, description = "The year (default: the latest year with snapshots)")),
            responses((status = 200, description = $what, content((String = "text/csv"), (Vec<$row> = "application/json"))),
                      (status = 400, description = "A year that is not one"),
                      (status = 404, description = "Unknown ecosystem or format")))]
        pub async fn $fn(
            data: web::Data<Ayni>,
            path: web::Path<(String, String)>,
            q: web::Query<YearQuery>,
        ) -> WebResult {
            let (slug, format) = path.into_inner();
            table_data(data, slug, $table, format, q.into_inner()).await
        }
    };
}

year_table!(
    summary_data,
    "resumen",
    "/e/{slug}/inversiones/resumen.{format}",
    BreakdownRow,
    "The year's totals and breakdowns by function, province, modality, financing source and stage."
);
year_table!(
    units_data,
    "unidades",
    "/e/{slug}/inversiones/unidades.{format}",
    UnitRow,
    "The year's ranking of executing units: execution, number of investments and alerts."
);
year_table!(
    alerts_data,
    "alertas",
    "/e/{slug}/inversiones/alertas.{format}",
    AlertRow,
    "The alerts standing at the end of the year (or now), most severe first."
);
year_table!(
    priorities_data,
    "prioridades",
    "/e/{slug}/inversiones/prioridades.{format}",
    PriorityRow,
    "The year's prioritised list with the envelope and which fit."
);

async fn table_data(
    data: web::Data<Ayni>,
    slug: String,
    table: &'static str,
    format: String,
    q: YearQuery,
) -> WebResult {
    let format = format_of(&format)?;
    let q = InvestmentsQuery {
        lang: q.lang,
        anio: q.anio,
        ..InvestmentsQuery::default()
    };
    let p = portfolio(&data, &slug, &q).await?;
    let year = p.year;
    let name = format!("inversiones-{table}-{slug}-{year}");
    match table {
        "resumen" => {
            let rows: Vec<BreakdownRow> = breakdowns(q.lang, &p.summary)
                .into_iter()
                .map(|(dimension, key, label, t)| BreakdownRow {
                    year,
                    dimension,
                    key,
                    label,
                    count: t.count,
                    cost: t.cost,
                    pim: t.pim,
                    accrued: t.accrued,
                    execution: t.execution(),
                    alerts: t.alerts,
                })
                .collect();
            respond(format, &name, &rows)
        }
        "unidades" => {
            let rows: Vec<UnitRow> = p
                .summary
                .summary
                .units
                .iter()
                .enumerate()
                .map(|(n, (k, t))| UnitRow {
                    year,
                    rank: n + 1,
                    executing_unit: k.unit.clone(),
                    executing_actor: k.actor_id.and_then(|id| p.names.get(&id).cloned()),
                    count: t.count,
                    cost: t.cost,
                    pim: t.pim,
                    accrued: t.accrued,
                    execution: t.execution(),
                    alerts: t.alerts,
                })
                .collect();
            respond(format, &name, &rows)
        }
        "alertas" => {
            let rows: Vec<AlertRow> = p
                .summary
                .alerts
                .iter()
                .map(|a| AlertRow {
                    year,
                    investment_id: a.investment_id,
                    cui: a.cui.as_ref().map(ToString::to_string),
                    name: a.name.clone(),
                    kind: a.alert.kind.as_str(),
                    rule: a.alert.rule.as_str(),
                    severity: a.alert.severity.as_str(),
                    since: a.alert.since.to_string(),
                    measure: a.alert.measure,
                    threshold: a.alert.threshold,
                    sentence_es: a.alert.sentence_es.clone(),
                    sentence_en: a.alert.sentence_en.clone(),
                })
                .collect();
            respond(format, &name, &rows)
        }
        _ => {
            let envelope = p.priorities.envelope;
            let rows: Vec<PriorityRow> = p
                .priorities
                .items
                .iter()
                .map(|(pr, r)| PriorityRow {
                    year,
                    rank: pr.rank,
                    investment_id: r.id,
                    cui: r.definition.cui.as_ref().map(ToString::to_string),
                    name: r.definition.name.clone(),
                    stage: r.definition.stage.as_str(),
                    score: pr.score,
                    need: pr.need,
                    cumulative_need: pr.cumulative_need,
                    envelope,
                    fits: pr.fits,
                })
                .collect();
            respond(format, &name, &rows)
        }
    }
}

fn snapshot_rows(r: &InvestmentRecord) -> Vec<SnapshotRow> {
    let cost = r.definition.cost();
    r.snapshots
        .iter()
        .map(|s| SnapshotRow {
            cui: r.definition.cui.as_ref().map(ToString::to_string),
            as_of: s.as_of.to_string(),
            year: s.year,
            pia: s.pia,
            pim: s.pim,
            certified: s.certified,
            committed: s.committed,
            accrued: s.accrued,
            paid: s.paid,
            accrued_before: s.accrued_before,
            financial_execution: s.financial_execution(),
            accumulated_progress: s.accumulated_progress(cost),
            physical_progress: s.physical.as_ref().map(|p| p.percent),
            physical_measured_on: s.physical.as_ref().map(|p| p.measured_on.to_string()),
            physical_evidence: s.physical.as_ref().map(|p| p.evidence.clone()),
        })
        .collect()
}

/// One investment's execution snapshots, oldest first.
#[utoipa::path(get, path = "/e/{slug}/inversiones/{cui}/avance.{format}", tag = "open-data",
    params(("slug" = String, Path, description = "The ecosystem"), ("cui" = String, Path, description = "The investment's CUI (7 digits)"),
        ("format" = OpenDataFormat, Path, description = "`csv` or `json`")),
    responses((status = 200, description = "One row per snapshot: PIA, PIM, certified, committed, accrued, paid, accrued in earlier years, derived figures and physical progress",
                content((String = "text/csv"), (Vec<SnapshotRow> = "application/json"))),
              (status = 404, description = "Unknown ecosystem, CUI or format")))]
pub async fn snapshots_data(
    data: web::Data<Ayni>,
    path: web::Path<(String, String, String)>,
) -> WebResult {
    let (slug, cui, format) = path.into_inner();
    let format = format_of(&format)?;
    let (_, r) = by_cui(&data, &slug, &cui).await?;
    respond(
        format,
        &format!("inversion-{cui}-avance"),
        &snapshot_rows(&r),
    )
}

/// One investment's execution snapshots, by id (for an idea without a CUI).
#[utoipa::path(get, path = "/e/{slug}/inversiones/id/{id}/avance.{format}", tag = "open-data",
    params(("slug" = String, Path, description = "The ecosystem"), ("id" = i64, Path, description = "The investment's id"),
        ("format" = OpenDataFormat, Path, description = "`csv` or `json`")),
    responses((status = 200, description = "One row per snapshot (as by CUI)", content((String = "text/csv"), (Vec<SnapshotRow> = "application/json"))),
              (status = 404, description = "Unknown ecosystem, investment or format")))]
pub async fn snapshots_data_by_id(
    data: web::Data<Ayni>,
    path: web::Path<(String, String, String)>,
) -> WebResult {
    let (slug, id, format) = path.into_inner();
    let format = format_of(&format)?;
    let (_, r) = by_id(&data, &slug, &id).await?;
    respond(
        format,
        &format!("inversion-{}-avance", r.id),
        &snapshot_rows(&r),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soles_are_grouped_by_thousands() {
        assert_eq!(soles(1_234_567.4), "S/ 1 234 567");
        assert_eq!(soles(999.0), "S/ 999");
        assert_eq!(soles(-12_000.0), "S/ -12 000");
        assert_eq!(soles(f64::NAN), "–");
    }

    #[test]
    fn a_cui_is_seven_digits() {
        assert!(cui_of("2345678").is_ok());
        for bad in ["", "123456", "12345678", "12a4567", "../1234"] {
            assert!(cui_of(bad).is_err(), "{bad}");
        }
    }
}
