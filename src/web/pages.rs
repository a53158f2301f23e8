//! The portal's pages.

use std::collections::HashMap;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::app::{
    Ayni, EcosystemPage, EcosystemPageQuery, ImpactsPage, IndicatorPage, ObjectiveView,
};
use crate::domain::ChallengeStatus;
use crate::domain::actor_rule::ActorRuleKind;
use crate::domain::causal::{CausalCheck, Verdict};
use crate::domain::impact::{Scenario, VecStatus};
use crate::domain::scoring::{Direction, Remark, Status};
use crate::domain::shared_value::HybridStatus;
use crate::export::map::{MapStatus, to_svg_for_page};

use super::assets::{LIVE_SCRIPT, STYLESHEET};
use super::charts::{Band, Series, bar_chart, fmt_num, line_chart};
use super::i18n::Lang;
use super::{PageQuery, WebError, WebResult, app};

/// Known names of Moquegua's territories (others show their ubigeo).
fn territory_name(code: &str) -> String {
    let name = match code {
        "18" => "Moquegua (región)",
        "1801" => "Mariscal Nieto",
        "1802" => "General Sánchez Cerro",
        "1803" => "Ilo",
        _ => "",
    };
    if name.is_empty() {
        code.to_string()
    } else {
        format!("{name} ({code})")
    }
}

fn status_key(s: Status) -> (&'static str, &'static str, &'static str) {
    match s {
        Status::Green => ("green", "status_green", "●"),
        Status::Amber => ("amber", "status_amber", "▲"),
        Status::Red => ("red", "status_red", "■"),
        Status::NoData => ("grey", "status_grey", "○"),
    }
}

/// Over-achievement or a regression, in words, beside a status.
fn remark(lang: Lang, r: Option<Remark>) -> Markup {
    let (class, key) = match r {
        None => return html! {},
        Some(Remark::AheadOfPlan) => ("ahead", "ahead_of_plan"),
        Some(Remark::BelowBaseline) => ("regress", "below_baseline"),
    };
    html! { br; small class=(format!("remark remark-{class}")) { (lang.t(key)) } }
}

/// A status with colour, a shape and a word: never colour alone.
fn stoplight(lang: Lang, s: Status) -> Markup {
    let (class, key, shape) = status_key(s);
    html! { span class=(format!("st st-{class}")) { span aria-hidden="true" { (shape) " " } (lang.t(key)) } }
}

pub(super) fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{}%", fmt_num(v * 100.0)))
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), fmt_num)
}

/// A link to the same page in the other language, keeping the other parameters.
fn lang_switch(req: &HttpRequest, lang: Lang) -> Markup {
    let other = lang.other();
    let mut pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .filter(|(k, _)| k != "lang")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    pairs.push(("lang".into(), other.code().into()));
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    html! { a href=(format!("{}?{query}", req.path())) lang=(other.code()) hreflang=(other.code()) { (other.name()) } }
}

pub(super) fn with_lang(path: &str, lang: Lang) -> String {
    match lang {
        Lang::Es => path.to_string(),
        Lang::En => {
            if path.contains('?') {
                format!("{path}&lang=en")
            } else {
                format!("{path}?lang=en")
            }
        }
    }
}

/// A page. `illustrative`: the page shows an ecosystem of demo data, which the footer says.
pub(super) fn layout(
    req: &HttpRequest,
    lang: Lang,
    title: &str,
    body: Markup,
    script: Option<Markup>,
    illustrative: bool,
) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Ayni" }
                link rel="stylesheet" href=(STYLESHEET.path());
            }
            body {
                a.skip href="#main" { (lang.t("skip")) }
                header.top {
                    a.brand href=(with_lang("/", lang)) { "Ayni · " (lang.t("portal")) }
                    nav aria-label="idioma / language" { (lang_switch(req, lang)) }
                }
                main #main { (body) }
                footer {
                    @if illustrative { p.illustrative { (lang.t("illustrative")) } }
                    p { a href="/api/v1/audit/head" { "audit" } " · "
                        a href="/graphql" { "GraphQL" } " · "
                        a href="/openapi.json" { "OpenAPI" } }
                }
                @if let Some(s) = script { (s) }
            }
        }
    }
    .into_string()
}

pub(super) fn html_response(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("cache-control", "no-cache"))
        .body(body)
}

pub fn error_page(status: u16, message: &str) -> String {
    html! {
        (DOCTYPE)
        html lang="es" {
            head { meta charset="utf-8"; meta name="viewport" content="width=device-width, initial-scale=1"; title { (status) " · Ayni" } link rel="stylesheet" href=(STYLESHEET.path()); }
            body { main #main { h1 { (status) } p { (message) } p { a href="/" { "Inicio / Home" } } } }
        }
    }
    .into_string()
}

pub async fn home(req: HttpRequest, data: web::Data<Ayni>, q: web::Query<PageQuery>) -> WebResult {
    let lang = q.lang;
    let page = app(&data).portal_home().await?;
    let body = html! {
        h1 { (lang.t("portal")) }
        p.muted { (lang.t("tagline")) }
        h2 { (lang.t("ecosystems")) }
        ul.cards {
            @for summary in &page.ecosystems {
                @let eco = &summary.ecosystem;
                li.card {
                    h3 { a href=(with_lang(&format!("/e/{}", eco.slug), lang)) { (eco.name) } }
                    @if eco.illustrative { p.illustrative { (lang.t("illustrative")) } }
                    p { b { (lang.t("mission")) ": " } (eco.mission) }
                    p { b { (lang.t("vision")) ": " } (eco.vision) }
                    div.kpis {
                        div.kpi { (lang.t("score")) " " (summary.period) b { (pct(summary.score.score)) } }
                        div.kpi { (lang.t("coverage")) b { (pct(Some(summary.score.coverage()))) } }
                        div.kpi { (lang.t("latest_value")) b { (summary.latest_approval.map_or_else(|| lang.t("none_yet").to_string(), |d| d.format("%Y-%m-%d").to_string())) } }
                    }
                    p { (stoplight(lang, summary.status)) }
                }
            }
        }
        p.downloads { (lang.t("download")) ": " a href="/datos/ecosistemas.csv" { "CSV" } a href="/datos/ecosistemas.json" { "JSON" } }
    };
    Ok(html_response(layout(
        &req,
        lang,
        lang.t("portal"),
        body,
        None,
        false,
    )))
}

/// The years a page offers: a few before the horizon, to its end.
fn year_choices(start: i32, end: i32) -> Vec<i32> {
    (start - 4..=end).collect()
}

pub async fn ecosystem(
    req: HttpRequest,
    data: web::Data<Ayni>,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> WebResult {
    let lang = q.lang;
    let query = EcosystemPageQuery {
        period: q.period.clone(),
        theme: q.theme.clone(),
        actor: q.actor,
    };
    let EcosystemPage {
        ecosystem: eco,
        scorecard: card,
        shown,
        mut map,
        links,
        themes,
        actors,
        theme,
        actor,
        closed,
    } = app(&data).portal_ecosystem(&path, query).await?;
    let period = &card.period;

    // The map, objectives coloured by status and linked to their first indicator.
    let objectives: HashMap<&str, &ObjectiveView> = card
        .perspectives
        .iter()
        .flat_map(|p| &p.objectives)
        .map(|o| (o.code.as_str(), o))
        .collect();
    for band in &mut map.perspectives {
        for o in &mut band.objectives {
            if let Some(c) = objectives.get(o.code.as_str()) {
                let (class, key, _) = status_key(c.status);
                o.status = Some(MapStatus {
                    status: class.into(),
                    label: lang.t(key).into(),
                });
                o.href = c.indicators.first().map(|i| {
                    with_lang(
                        &format!("/e/{}/i/{}?period={period}", eco.slug, i.code),
                        lang,
                    )
                });
            }
        }
    }
    let svg = to_svg_for_page(&map);
    let years = year_choices(eco.horizon_start, eco.horizon_end);
    let events = format!("/e/{}/eventos", eco.slug);
    let body = html! {
        h1 { (eco.name) }
        p { b { (lang.t("mission")) ": " } (eco.mission) }
        p { b { (lang.t("vision")) ": " } (eco.vision) }
        div.kpis #kpis {
            div.kpi { (lang.t("score")) " " (period) b { (pct(card.score.score)) } }
            div.kpi { (lang.t("coverage")) b { (pct(Some(card.score.coverage()))) } }
            div.kpi { (lang.t("status")) b { (stoplight(lang, card.status)) } }
        }
        p #live .live aria-live="polite" data-word=(lang.t("updated")) {}
        form.filters method="get" action=(format!("/e/{}", eco.slug)) {
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            label { (lang.t("period"))
                select name="period" {
                    @for y in &years { option value=(y) selected[y.to_string() == *period] { (y) } }
                }
            }
            label { (lang.t("theme"))
                select name="theme" {
                    option value="" { (lang.t("all")) }
                    @for t in &themes { option value=(t.code) selected[theme.as_deref() == Some(t.code.as_str())] { (t.code) " — " (t.name) } }
                }
            }
            label { (lang.t("actor"))
                select name="actor" {
                    option value="" { (lang.t("all")) }
                    @for a in &actors { option value=(a.id) selected[Some(a.id) == actor] { (a.name) } }
                }
            }
            button type="submit" { (lang.t("apply")) }
        }
        nav.sections aria-label=(lang.t("sections")) { p {
            a href=(with_lang(&format!("/e/{}/impactos", eco.slug), lang)) { (lang.t("impacts")) " · " (lang.t("hybrid")) }
            " · "
            a href=(with_lang(&format!("/e/{}/compromisos", eco.slug), lang)) { (lang.t("commitments")) }
            " · "
            a href=(with_lang(&format!("/e/{}/inversiones", eco.slug), lang)) { (lang.t("investments")) }
        } }
        section #map aria-labelledby="map-h" {
            h2 #map-h { (lang.t("strategy_map")) }
            div.map { (PreEscaped(svg)) }
            p.downloads { (lang.t("download")) ": "
                a href=(format!("/e/{}/mapa.csv?period={period}", eco.slug)) { "CSV" }
                a href=(format!("/e/{}/mapa.json?period={period}", eco.slug)) { "JSON" }
                " · " (lang.t("evidence_check")) ": "
                a href=(format!("/e/{}/enlaces.csv", eco.slug)) { "CSV" }
                a href=(format!("/e/{}/enlaces.json", eco.slug)) { "JSON" } }
            details {
                summary { (lang.t("map_alt")) }
                div.table-wrap { table {
                    thead { tr { th { (lang.t("perspective")) } th { (lang.t("objective")) } th { (lang.t("status")) } } }
                    tbody {
                        @for p in &card.perspectives { @for o in &p.objectives {
                            tr { td { (p.name) } td { (o.code) " " (o.name) } td { (stoplight(lang, o.status)) } }
                        } }
                    }
                } }
                div.table-wrap { table {
                    thead { tr { th { (lang.t("cause")) } th { (lang.t("effect")) } th { (lang.t("evidence_check")) } } }
                    tbody {
                        @for l in &links {
                            tr { td { (l.cause.as_deref().unwrap_or("?")) } td { (l.effect.as_deref().unwrap_or("?")) }
                                 td { (verdict_word(lang, l.check.as_ref().map(|c| c.verdict)))
                                      @if let Some(c) = &l.check { br; small.muted { (check_sentence(lang, c)) } } } }
                        }
                    }
                } }
            }
        }
        section #scorecard aria-labelledby="card-h" {
            h2 #card-h { (lang.t("scorecard")) " " (period) }
            p.muted { (lang.t("status_note")) }
            @if let Some(c) = &closed {
                p.closed role="note" { strong { (lang.t("figures_closed")) } " — "
                    (lang.t("figures_closed_since")) " " (c.locked_at.format("%Y-%m-%d")) " (" (c.period) "): " (c.reason) }
            }
            p.downloads { (lang.t("download")) ": "
                a href=(format!("/e/{}/tablero.csv?period={period}", eco.slug)) { "CSV" }
                a href=(format!("/e/{}/tablero.json?period={period}", eco.slug)) { "JSON" } }
            @for p in &shown {
                h3 { (p.name) " — " (pct(p.score.score)) " " (stoplight(lang, p.status)) }
                div.table-wrap { table {
                    thead { tr {
                        th scope="col" { (lang.t("indicator")) } th.num scope="col" { (lang.t("actual")) } th.num scope="col" { (lang.t("target")) }
                        th.num scope="col" { (lang.t("performance")) } th.num scope="col" { (lang.t("progress")) } th.num scope="col" { (lang.t("attainment")) }
                        th scope="col" { (lang.t("status")) }
                    } }
                    tbody {
                        @for o in &p.objectives {
                            tr.objective { td colspan="3" { (o.code) " " (o.name) } td.num { (pct(o.score.score)) } td {} td {} td { (stoplight(lang, o.status)) } }
                            @for i in &o.indicators {
                                tr data-indicator=(i.code) {
                                    td { a href=(with_lang(&format!("/e/{}/i/{}?period={period}", eco.slug, i.code), lang)) { (i.code) } " " (i.name) " "
                                         span.muted { "(" (i.unit) ")" } }
                                    td.num.actual { (num(i.evaluation.actual)) }
                                    td.num { (num(i.evaluation.target.map(|t| t.value)))
                                        @if let Direction::Range { lower, upper } = i.direction {
                                            br; small.range-band { (lang.t("range_band")) " " (fmt_num(lower)) "–" (fmt_num(upper)) }
                                        } }
                                    td.num.performance { (pct(i.evaluation.performance)) }
                                    td.num { (pct(i.evaluation.progress)) }
                                    td.num { (pct(i.evaluation.attainment)) }
                                    td { (stoplight(lang, i.evaluation.status)) (remark(lang, Remark::of(i.direction, i.baseline, &i.evaluation))) }
                                }
                            }
                        }
                    }
                } }
            }
        }
    };
    let script = html! { script src=(LIVE_SCRIPT.path()) data-events=(events) {} };
    Ok(html_response(layout(
        &req,
        lang,
        &eco.name,
        body,
        Some(script),
        eco.illustrative,
    )))
}

/// How several actors' values of one cell combine, in one sentence.
fn actor_rule_sentence(lang: Lang, rule: ActorRuleKind, preferred: &[String]) -> String {
    let es = lang == Lang::Es;
    match rule {
        ActorRuleKind::Sum => if es {
            "se suman las partes de cada actor (menos los ajustes por doble conteo)"
        } else {
            "the actors' parts add up (less any de-duplication adjustment)"
        }
        .into(),
        ActorRuleKind::Mean => if es {
            "cuenta el promedio de los valores de los actores"
        } else {
            "the mean of the actors' values counts"
        }
        .into(),
        ActorRuleKind::Max => if es {
            "cuenta el mayor de los valores de los actores"
        } else {
            "the largest of the actors' values counts"
        }
        .into(),
        ActorRuleKind::Latest => if es {
            "cuenta el valor aprobado más recientemente; los de los demás actores siguen publicados abajo"
        } else {
            "the most recently approved value counts; the other actors' values stay published below"
        }
        .into(),
        ActorRuleKind::Preferred => {
            let list = preferred.join(" → ");
            if es {
                format!("cuenta el primer actor con un valor aprobado, en este orden: {list}")
            } else {
                format!("the first actor with an approved value counts, in this order: {list}")
            }
        }
    }
}

/// The causal check in one plain sentence: pairs, correlation, lag, corrected p-value, and
/// what it does not show.
fn check_sentence(lang: Lang, c: &CausalCheck) -> String {
    let (Some(r), Some(lag)) = (c.r, c.best_lag) else {
        return match lang {
            Lang::Es => "Menos de 5 pares de datos en cada desfase: no se puede verificar.".into(),
            Lang::En => "Fewer than 5 pairs of data at every lag: nothing to check yet.".into(),
        };
    };
    let p = c.p.map_or_else(|| "–".to_string(), |p| format!("{p:.3}"));
    let against = !c.expected_sign.agrees(r);
    match lang {
        Lang::Es => format!(
            "{n} pares, r = {r:.2} con {lag} período(s) de desfase, p = {p} (corregido por {k} desfase(s) probados){}. Una correlación no prueba causalidad, y dos series con tendencia se correlacionan por la tendencia misma.",
            if against {
                "; los datos apuntan en sentido contrario al esperado"
            } else {
                ""
            },
            n = c.n,
            k = c.lags_tried,
        ),
        Lang::En => format!(
            "{n} pairs, r = {r:.2} at a lag of {lag} period(s), p = {p} (corrected for {k} lag(s) tried){}. A correlation does not prove causation, and two trending series correlate through their trend alone.",
            if against {
                "; the data point the other way"
            } else {
                ""
            },
            n = c.n,
            k = c.lags_tried,
        ),
    }
}

fn verdict_word(lang: Lang, v: Option<Verdict>) -> &'static str {
    match v {
        Some(Verdict::Supported) => lang.t("supported"),
        Some(Verdict::NotSupported) => lang.t("not_supported"),
        _ => lang.t("insufficient_data"),
    }
}

pub async fn indicator(
    req: HttpRequest,
    data: web::Data<Ayni>,
    path: web::Path<(String, String)>,
    q: web::Query<PageQuery>,
) -> WebResult {
    let lang = q.lang;
    let (slug, code) = path.into_inner();
    let IndicatorPage {
        ecosystem: eco,
        indicator,
        inputs,
        responsible,
        targets,
        series,
        by_territory,
        territory_period,
        values,
        challenges,
        preferred,
        adjustments,
        closed,
    } = app(&data).portal_indicator(&slug, &code).await?;
    // The commitments of the coordinating body that serve the indicator's objective.
    let commitments: Vec<crate::app::CommitmentView> = app(&data)
        .commitments_of_objectives(
            vec![indicator.definition.objective_id],
            crate::app::commitments_today(),
        )
        .await?
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    // The investments that serve the indicator or its objective.
    let investments = super::investments::linked_section(
        &data,
        lang,
        &slug,
        indicator.id,
        indicator.definition.objective_id,
    )
    .await?;
    let rule = actor_rule_sentence(lang, indicator.definition.actor_rule.kind(), &preferred);
    let ind = &indicator.definition;
    let bars: Vec<(String, f64)> = by_territory
        .iter()
        .map(|t| (territory_name(&t.territory), t.value))
        .collect();
    // Who approved: the reviewer's user number and the actor it speaks for (no e-mails).
    let reviewer = |user: i64, actor: Option<&str>| match actor {
        Some(name) => format!("#{user} ({name})"),
        None => format!("#{user}"),
    };

    // The chart: actual, expected trajectory, targets.
    let labels: Vec<String> = series.iter().map(|p| p.period.to_string()).collect();
    let target_at: HashMap<String, f64> = targets
        .iter()
        .map(|t| (t.period.clone(), t.value))
        .collect();
    let actual: Vec<Option<f64>> = series.iter().map(|p| p.evaluation.actual).collect();
    let expected: Vec<Option<f64>> = series.iter().map(|p| p.evaluation.expected).collect();
    let target_points: Vec<Option<f64>> =
        labels.iter().map(|l| target_at.get(l).copied()).collect();
    let band = match ind.direction {
        Direction::Range { lower, upper } => Some(Band {
            name: lang.t("range_band"),
            lower,
            upper,
        }),
        _ => None,
    };
    let chart = line_chart(
        &format!("{} — {}", ind.code, ind.name),
        &labels,
        &[
            Series {
                name: lang.t("actual"),
                values: actual.clone(),
                colour: "#0b5cad",
                dashed: false,
                points_only: false,
            },
            Series {
                name: lang.t("expected"),
                values: expected.clone(),
                colour: "#7a8793",
                dashed: true,
                points_only: false,
            },
            Series {
                name: lang.t("targets"),
                values: target_points.clone(),
                colour: "#c75000",
                dashed: false,
                points_only: true,
            },
        ],
        band.as_ref(),
    );
    // The latest period with a value, told in words (status, performance, remark).
    let latest = series.iter().rev().find(|p| p.evaluation.actual.is_some());
    let direction = match ind.direction {
        Direction::Increase => lang.t("dir_increase"),
        Direction::Decrease => lang.t("dir_decrease"),
        Direction::Range { .. } => lang.t("dir_range"),
    };
    let back = with_lang(
        &format!(
            "/e/{}{}",
            eco.slug,
            q.period
                .as_deref()
                .map(|p| format!("?period={p}"))
                .unwrap_or_default()
        ),
        lang,
    );
    let body = html! {
        p { a href=(back) { "← " (lang.t("back")) } }
        h1 { (ind.code) " — " (ind.name) }
        @if !ind.description.is_empty() { p { (ind.description) } }
        section aria-labelledby="def-h" {
            h2 #def-h { (lang.t("definition")) }
            dl.def {
                dt { (lang.t("unit")) } dd { (ind.unit) }
                dt { (lang.t("direction")) } dd { (direction)
                    @if let Direction::Range { lower, upper } = ind.direction { " — " span.range-band { (lang.t("range_band")) " " (fmt_num(lower)) "–" (fmt_num(upper)) } } }
                @if let Some(f) = &ind.formula {
                    dt { (lang.t("formula")) } dd { code { (f) } }
                    dt { (lang.t("variables")) } dd { ul { @for v in &inputs { li { code { (v.code) } " " (v.name) " (" (v.unit) ")" } } } }
                }
                dt { (lang.t("source")) } dd { (ind.source) }
                dt { (lang.t("responsible")) } dd { (responsible.join(", ")) }
                @if responsible.len() > 1 || !preferred.is_empty() {
                    dt { (lang.t("actor_rule")) } dd #actor-rule { (rule) }
                }
                dt { (lang.t("baseline")) } dd { (num(indicator.baseline_value)) " (" (indicator.baseline_period.map_or_else(|| "–".to_string(), |p| p.to_string())) ")" }
            }
            h3 { (lang.t("targets")) }
            div.table-wrap { table {
                thead { tr { th { (lang.t("period")) } th.num { (lang.t("target")) } } }
                tbody { @for t in &targets { tr { td { (t.period) } td.num { (fmt_num(t.value)) } } } }
            } }
        }
        section aria-labelledby="chart-h" {
            h2 #chart-h { (lang.t("trajectory")) }
            @if let Some(l) = latest {
                p.reading { (l.period.to_string()) ": " (stoplight(lang, l.evaluation.status)) " "
                    (lang.t("performance")) " " (pct(l.evaluation.performance))
                    (remark(lang, Remark::of(ind.direction, indicator.baseline_value, &l.evaluation))) }
            }
            (PreEscaped(chart))
            p.downloads { (lang.t("download")) ": "
                a href=(format!("/e/{}/i/{}/serie.csv", eco.slug, ind.code)) { "CSV" }
                a href=(format!("/e/{}/i/{}/serie.json", eco.slug, ind.code)) { "JSON" } }
            details {
                summary { (lang.t("chart_alt")) }
                div.table-wrap { table {
                    thead { tr { th { (lang.t("period")) } th.num { (lang.t("actual")) } th.num { (lang.t("expected")) } th.num { (lang.t("target")) }
                                 th.num { (lang.t("performance")) } th { (lang.t("status")) } } }
                    tbody { @for (i, l) in labels.iter().enumerate() {
                        tr { td { (l) } td.num { (num(actual[i])) } td.num { (num(expected[i])) } td.num { (num(target_points[i])) }
                             td.num { (pct(series[i].evaluation.performance)) }
                             td { (stoplight(lang, series[i].evaluation.status)) (remark(lang, Remark::of(ind.direction, indicator.baseline_value, &series[i].evaluation))) } }
                    } }
                } }
            }
        }
        section aria-labelledby="terr-h" {
            h2 #terr-h { (lang.t("by_territory")) @if let Some(p) = territory_period { " " (p.to_string()) } }
            @if bars.is_empty() { p { (lang.t("no_values")) } } @else {
                (PreEscaped(bar_chart(&format!("{} {}", lang.t("by_territory"), ind.code), &bars)))
                div.table-wrap { table {
                    thead { tr { th { (lang.t("territory")) } th.num { (lang.t("value")) } } }
                    tbody { @for (t, v) in &bars { tr { td { (t) } td.num { (fmt_num(*v)) } } } }
                } }
            }
        }
        section aria-labelledby="prov-h" {
            h2 #prov-h { (lang.t("provenance")) }
            p.downloads { (lang.t("download")) ": "
                a href=(format!("/e/{}/i/{}/valores.csv", eco.slug, ind.code)) { "CSV" }
                a href=(format!("/e/{}/i/{}/valores.json", eco.slug, ind.code)) { "JSON" } }
            @if ind.formula.is_some() { p.muted { (lang.t("computed")) " " code { (ind.formula.as_deref().unwrap_or("")) } } }
            @for c in &closed {
                p.closed role="note" { strong { (lang.t("figures_closed")) " " (c.period) } " — "
                    (lang.t("figures_closed_since")) " " (c.locked_at.format("%Y-%m-%d")) ": " (c.reason) }
            }
            @if values.is_empty() { p { (lang.t("no_values")) } } @else {
                div.table-wrap { table #provenance {
                    thead { tr {
                        @if ind.formula.is_some() { th { (lang.t("variables")) } }
                        th { (lang.t("period")) } th { (lang.t("territory")) } th.num { (lang.t("value")) } th.num { (lang.t("revision")) }
                        th { (lang.t("who")) } th { (lang.t("when")) } th { (lang.t("evidence")) } th { (lang.t("approved_by")) } th.num { (lang.t("audit_seq")) }
                        th { span.sr-only { (lang.t("challenge_it")) } }
                    } }
                    tbody { @for m in &values {
                        tr {
                            @if ind.formula.is_some() { td { code { (m.subject) } } }
                            td { (m.period) } td { (territory_name(&m.territory)) } td.num { (fmt_num(m.value)) } td.num { (m.revision) }
                            td { (m.actor.as_deref().unwrap_or("?")) }
                            td { (m.submitted_at.format("%Y-%m-%d %H:%M")) }
                            td { @if let Some(u) = &m.evidence_url { a href=(u) rel="nofollow noopener" { (m.evidence_text.as_deref().unwrap_or(u)) } } @else { (m.evidence_text.as_deref().unwrap_or("")) }
                                @if let Some(f) = &m.evidence_file { " " a.evidence-file href=(format!("/archivos/{f}")) rel="nofollow" download { (lang.t("evidence_file")) } } }
                            td {
                                @if let Some(by) = m.reviewed_by { (reviewer(by, m.reviewer_actor.as_deref())) }
                                @else if m.reviewed_at.is_some() { (lang.t("operator")) }
                                " " (m.reviewed_at.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default())
                            }
                            td.num { @if let Some(seq) = m.audit_seq { a href=(format!("/api/v1/audit/proof?from={seq}&limit=1")) { (seq) } } }
                            td { a.challenge-link href=(format!("/app/cuestionar?valor={}", m.id)) rel="nofollow" { (lang.t("challenge_it")) span.sr-only { " " (m.period) " " (territory_name(&m.territory)) } } }
                        }
                    } }
                } }
            }
            @if !adjustments.is_empty() {
                h3 { (lang.t("adjustments")) }
                div.table-wrap { table #adjustments {
                    thead { tr { th { (lang.t("period")) } th { (lang.t("territory")) } th.num { (lang.t("value")) } th { (lang.t("reason")) } } }
                    tbody { @for a in &adjustments {
                        tr { td { (a.period.to_string()) } td { (territory_name(&a.territory)) } td.num { (fmt_num(a.value)) } td { (a.reason) } }
                    } }
                } }
            }
            h3 { (lang.t("challenges")) }
            @if challenges.is_empty() { p { (lang.t("no_challenges")) } } @else {
                ul #challenges { @for c in &challenges { li {
                    (c.opened_at.format("%Y-%m-%d")) " — "
                    strong { (match c.status {
                        ChallengeStatus::Open => lang.t("challenge_open"),
                        ChallengeStatus::Upheld => lang.t("challenge_upheld"),
                        ChallengeStatus::Dismissed => lang.t("challenge_dismissed"),
                    }) } " — " (c.reason)
                    @if let Some(a) = &c.answer {
                        br; (lang.t("answer")) ": " (a)
                        @if let Some(at) = c.answered_at { " (" (at.format("%Y-%m-%d")) ")" }
                    }
                } } }
            }
        }
        section #objective-commitments aria-labelledby="comm-h" {
            h2 #comm-h { (lang.t("objective_commitments")) }
            @if commitments.is_empty() { p { (lang.t("no_commitments")) } } @else {
                (super::commitments::table(lang, &eco.slug, &commitments))
            }
            p { a href=(with_lang(&format!("/e/{}/compromisos", eco.slug), lang)) { (lang.t("commitments")) } }
        }
        (investments)
    };
    Ok(html_response(layout(
        &req,
        lang,
        &format!("{} {}", ind.code, ind.name),
        body,
        None,
        eco.illustrative,
    )))
}

pub(super) fn scenario_of(raw: Option<&str>) -> Result<Scenario, WebError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Scenario::Existing),
        Some(s) => s.to_ascii_lowercase().parse().map_err(|()| WebError {
            status: 400,
            message: format!("escenario desconocido / unknown scenario: {s}"),
        }),
    }
}

fn vec_status(lang: Lang, s: VecStatus) -> Markup {
    let (class, key, shape) = match s {
        VecStatus::Within => ("green", "within", "●"),
        VecStatus::Approaching => ("amber", "approaching", "▲"),
        VecStatus::Exceeded => ("red", "exceeded", "■"),
    };
    html! { span class=(format!("st st-{class}")) { span aria-hidden="true" { (shape) " " } (lang.t(key)) } }
}

pub async fn impacts(
    req: HttpRequest,
    data: web::Data<Ayni>,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> WebResult {
    let lang = q.lang;
    let scenario = scenario_of(q.scenario.as_deref())?;
    let ImpactsPage {
        ecosystem: eco,
        period,
        scenario,
        vecs,
        hybrids,
    } = app(&data)
        .portal_impacts(&path, q.period.clone(), scenario)
        .await?;
    let years = year_choices(eco.horizon_start, eco.horizon_end);
    let scenarios = [
        (Scenario::Existing, "sc_existing"),
        (Scenario::WithPlanned, "sc_with_planned"),
        (Scenario::WithForeseeable, "sc_with_foreseeable"),
    ];
    let body = html! {
        p { a href=(with_lang(&format!("/e/{}", eco.slug), lang)) { "← " (lang.t("back")) } }
        h1 { (eco.name) ": " (lang.t("impacts")) }
        form.filters method="get" action=(format!("/e/{}/impactos", eco.slug)) {
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            label { (lang.t("period")) select name="period" { @for y in &years { option value=(y) selected[y.to_string() == period] { (y) } } } }
            label { (lang.t("scenario")) select name="scenario" { @for (s, key) in &scenarios { option value=(s.as_str()) selected[*s == scenario] { (lang.t(key)) } } } }
            button type="submit" { (lang.t("apply")) }
        }
        p.downloads { (lang.t("download")) ": "
            a href=(format!("/e/{}/impactos.csv?period={period}&scenario={}", eco.slug, scenario.as_str())) { "CSV" }
            a href=(format!("/e/{}/impactos.json?period={period}&scenario={}", eco.slug, scenario.as_str())) { "JSON" } }
        div.table-wrap { table #impacts {
            thead { tr { th { (lang.t("vec")) } th { (lang.t("unit")) } th.num { (lang.t("baseline")) } th.num { (lang.t("state")) }
                         th.num { (lang.t("threshold")) } th.num { (lang.t("headroom")) } th.num { (lang.t("used")) } th { (lang.t("status")) } } }
            tbody { @for s in &vecs {
                tr data-vec=(s.code) {
                    td { (s.code) " — " (s.name) } td { (s.unit) }
                    td.num { (fmt_num(s.baseline_value)) " (" (s.baseline_period) ")" }
                    td.num { (fmt_num(s.point.state)) } td.num { (if s.threshold.side.as_str() == "upper" { "≤ " } else { "≥ " }) (fmt_num(s.threshold.value)) }
                    td.num { (fmt_num(s.point.headroom)) } td.num { (pct(Some(s.point.used))) } td { (vec_status(lang, s.point.status)) }
                }
            } }
        } }
        h2 { (lang.t("hybrid")) }
        p.downloads { (lang.t("download")) ": "
            a href=(format!("/e/{}/hibridas.csv", eco.slug)) { "CSV" } a href=(format!("/e/{}/hibridas.json", eco.slug)) { "JSON" } }
        div.table-wrap { table #hybrid {
            thead { tr { th { (lang.t("metric")) } th { (lang.t("company")) } th { (lang.t("unit")) } th.num { (lang.t("value")) } th.num { "n" } th.num { "r" } th { (lang.t("verdict")) } th { (lang.t("status")) } } }
            tbody { @for h in &hybrids {
                @let last = h.series.iter().rev().find(|p| p.value.is_some());
                tr {
                    td { (h.code) " — " (h.name) } td { (h.company.as_deref().unwrap_or("?")) } td { (h.unit) }
                    td.num { (last.map(|p| format!("{} ({})", fmt_num(p.value.unwrap_or(0.0)), p.period)).unwrap_or_else(|| "–".into())) }
                    td.num { (h.check.n) } td.num { (num(h.check.r)) }
                    td { (verdict_word(lang, Some(h.check.verdict))) br; small.muted { (check_sentence(lang, &h.check)) } }
                    td { (if h.status == HybridStatus::Adopted { lang.t("adopted") } else { lang.t("proposed") }) }
                }
            } }
        } }
    };
    Ok(html_response(layout(
        &req,
        lang,
        lang.t("impacts"),
        body,
        None,
        eco.illustrative,
    )))
}

/// Server-sent events: `approved` with `{indicator, period, territory, value}` whenever a value
/// of this ecosystem is approved; a comment every 15 s keeps the connection open.
#[utoipa::path(get, path = "/e/{slug}/eventos", tag = "open-data",
    params(("slug" = String, Path, description = "The ecosystem")),
    responses((status = 200, description = "A stream of server-sent events: `event: approved` with `{indicator, period, territory, value}` as data for each value approved from now on; a comment line every 15 s", content_type = "text/event-stream"),
              (status = 404, description = "Unknown ecosystem")))]
pub async fn events(data: web::Data<Ayni>, path: web::Path<String>) -> WebResult {
    let live = app(&data).portal_events(&path).await?;
    let stream = futures_util::stream::unfold(live, |mut live| async move {
        let frame = match tokio::time::timeout(Duration::from_secs(15), live.recv()).await {
            Err(_) => web::Bytes::from_static(b": keep-alive\n\n"),
            Ok(Some(v)) => {
                let payload = serde_json::json!({
                    "indicator": v.indicator,
                    "period": v.period,
                    "territory": v.territory,
                    "value": v.value,
                });
                web::Bytes::from(format!("event: approved\ndata: {payload}\n\n"))
            }
            Ok(None) => return None,
        };
        Some((Ok::<_, actix_web::Error>(frame), live))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_language_and_scenarios_parse() {
        assert_eq!(with_lang("/e/m", Lang::Es), "/e/m");
        assert_eq!(with_lang("/e/m", Lang::En), "/e/m?lang=en");
        assert_eq!(
            with_lang("/e/m?period=2024", Lang::En),
            "/e/m?period=2024&lang=en"
        );
        assert_eq!(scenario_of(None).unwrap(), Scenario::Existing);
        assert_eq!(
            scenario_of(Some("WITH_PLANNED")).unwrap(),
            Scenario::WithPlanned
        );
        assert_eq!(scenario_of(Some("soñado")).unwrap_err().status, 400);
        assert_eq!(territory_name("1803"), "Ilo (1803)");
        assert_eq!(territory_name("180301"), "180301");
    }

    #[test]
    fn a_status_is_a_word_and_a_shape_not_only_a_colour() {
        let html = stoplight(Lang::En, Status::Red).into_string();
        assert!(html.contains("st-red") && html.contains("■") && html.contains("Critical"));
        assert_eq!(pct(Some(0.8454)), "84.54%");
        assert_eq!(pct(None), "–");
    }
}
