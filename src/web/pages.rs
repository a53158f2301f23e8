//! The portal's pages.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::app::{Ayni, IndicatorCard, Scorecard};
use crate::db::models::ecosystem::Ecosystem;
use crate::db::models::indicator::Indicator;
use crate::db::models::measurement::{Measurement, MeasurementFilter};
use crate::domain::causal::Verdict;
use crate::domain::impact::{Scenario, VecStatus};
use crate::domain::scoring::Status;
use crate::domain::shared_value::HybridStatus;
use crate::domain::{ChallengeStatus, MeasurementStatus, Period};
use crate::export::map::{MapDocument, MapStatus, to_svg};

use super::charts::{Series, bar_chart, fmt_num, line_chart};
use super::i18n::Lang;
use super::{PageQuery, WebError, WebResult, app};

const CSS: &str = r#"
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2d3a;background:#f7f9fb}
a{color:#0b5cad}a:focus,button:focus,select:focus,summary:focus{outline:3px solid #f0a400;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:6px;z-index:9}
header.top{background:#173b5c;color:#fff;padding:10px 16px;display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;justify-content:space-between}
header.top a{color:#fff}header.top .brand{font-weight:700;font-size:1.1rem;text-decoration:none}
main{max-width:1200px;margin:0 auto;padding:12px 16px 40px}
h1{font-size:1.6rem;margin:.6em 0 .2em}h2{font-size:1.25rem;margin:1.4em 0 .4em;border-bottom:2px solid #d6dee6}h3{font-size:1.05rem;margin:1em 0 .3em}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:14px;padding:0;list-style:none}
.card{background:#fff;border:1px solid #d6dee6;border-radius:8px;padding:14px}
.kpis{display:flex;flex-wrap:wrap;gap:10px 22px;margin:.4em 0}.kpi b{display:block;font-size:1.4rem}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.93rem}th,td{border-bottom:1px solid #e2e8ee;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef3f7}td.num,th.num{text-align:right;white-space:nowrap}tr.objective td{background:#f4f7fa;font-weight:600}
.st{white-space:nowrap;font-weight:600}.st-green{color:#1e6b24}.st-amber{color:#8a5a00}.st-red{color:#a3211a}.st-grey{color:#5f6b76}
.map{overflow-x:auto;background:#fff;border:1px solid #d6dee6;border-radius:8px}.map svg{min-width:900px;height:auto;width:100%}
svg.chart{width:100%;height:auto;background:#fff;border:1px solid #d6dee6;border-radius:8px}
form.filters{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:end;background:#fff;border:1px solid #d6dee6;border-radius:8px;padding:10px}
form.filters label{display:flex;flex-direction:column;font-size:.85rem;flex:1 1 150px;min-width:0}select,button{font:inherit;padding:4px 6px;min-height:36px;max-width:100%}
main{overflow-wrap:break-word}
.downloads a{margin-right:10px}.muted{color:#5f6b76;font-size:.9rem}.live{min-height:1.5em;color:#1e6b24;font-weight:600}
dl.def{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px}dl.def dt{font-weight:600}
footer{max-width:1200px;margin:0 auto;padding:16px;color:#5f6b76;font-size:.85rem}
@media (max-width:600px){body{font-size:15px}h1{font-size:1.3rem}main{padding:8px}td,th{padding:5px}}
"#;

/// The script of the ecosystem page: live updates without reload (the page works without it).
const LIVE_JS: &str = r#"
(function(){if(!window.EventSource||!window.fetch)return;var s=document.currentScript,u=s.dataset.events,live=document.getElementById('live');
var es=new EventSource(u);es.addEventListener('approved',function(ev){var d={};try{d=JSON.parse(ev.data)}catch(e){}
fetch(location.href,{headers:{'Accept':'text/html'}}).then(function(r){return r.text()}).then(function(t){var doc=new DOMParser().parseFromString(t,'text/html');
['kpis','scorecard','map'].forEach(function(id){var n=doc.getElementById(id),o=document.getElementById(id);if(n&&o)o.replaceWith(n)});
live.textContent=live.dataset.word+': '+(d.indicator||'')+' '+(d.period||'')+' = '+(d.value!==undefined?d.value:'');});});})();
"#;

/// Most observation rows a computed indicator's page lists.
const MAX_PROVENANCE_ROWS: usize = 120;

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

/// A status with colour, a shape and a word: never colour alone.
fn stoplight(lang: Lang, s: Status) -> Markup {
    let (class, key, shape) = status_key(s);
    html! { span class=(format!("st st-{class}")) { span aria-hidden="true" { (shape) " " } (lang.t(key)) } }
}

fn pct(v: Option<f64>) -> String {
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

fn with_lang(path: &str, lang: Lang) -> String {
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

fn layout(
    req: &HttpRequest,
    lang: Lang,
    title: &str,
    body: Markup,
    script: Option<Markup>,
) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Ayni" }
                style { (PreEscaped(CSS)) }
            }
            body {
                a.skip href="#main" { (lang.t("skip")) }
                header.top {
                    a.brand href=(with_lang("/", lang)) { "Ayni · " (lang.t("portal")) }
                    nav aria-label="idioma / language" { (lang_switch(req, lang)) }
                }
                main #main { (body) }
                footer {
                    p { (lang.t("illustrative")) " "
                        a href="/api/v1/audit/head" { "audit" } " · "
                        a href="/graphql" { "GraphQL" } " · "
                        a href="/openapi.json" { "OpenAPI" } }
                }
                @if let Some(s) = script { (s) }
            }
        }
    }
    .into_string()
}

fn html_response(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("cache-control", "no-cache"))
        .body(body)
}

pub fn error_page(status: u16, message: &str) -> String {
    html! {
        (DOCTYPE)
        html lang="es" {
            head { meta charset="utf-8"; meta name="viewport" content="width=device-width, initial-scale=1"; title { (status) " · Ayni" } style { (PreEscaped(CSS)) } }
            body { main #main { h1 { (status) } p { (message) } p { a href="/" { "Inicio / Home" } } } }
        }
    }
    .into_string()
}

pub(super) async fn find_ecosystem(ayni: &Ayni, slug: &str) -> Result<Ecosystem, WebError> {
    ayni.ecosystem_by_slug(slug.to_string())
        .await?
        .ok_or_else(|| WebError::not_found(slug))
}

/// The year of the latest approved value, else the ecosystem's first horizon year.
pub(super) async fn default_period(ayni: &Ayni, eco: &Ecosystem) -> Result<String, WebError> {
    Ok(ayni
        .latest_value_period(eco.id)
        .await?
        .map_or(eco.horizon_start, |p| p.year())
        .to_string())
}

/// Every approved revision of an indicator's values (what the public sees).
pub(super) async fn approved_values(
    ayni: &Ayni,
    indicator_id: i64,
) -> Result<Vec<Measurement>, WebError> {
    let filter = MeasurementFilter {
        status: Some(MeasurementStatus::Approved),
        ..MeasurementFilter::default()
    };
    Ok(ayni.measurements(None, vec![indicator_id], filter).await?)
}

/// An ecosystem as the home page and its open data show it.
pub(super) struct Summary {
    pub eco: Ecosystem,
    /// The latest period with data.
    pub period: String,
    pub card: Scorecard,
    pub latest: Option<chrono::NaiveDateTime>,
}

pub(super) async fn summaries(ayni: &Ayni) -> Result<Vec<Summary>, WebError> {
    let mut out = Vec::new();
    for eco in ayni.ecosystems().await? {
        let period = default_period(ayni, &eco).await?;
        let card = ayni.scorecard(eco.id, period.clone()).await?;
        let latest = ayni.latest_approval(eco.id).await?;
        out.push(Summary {
            eco,
            period,
            card,
            latest,
        });
    }
    Ok(out)
}

/// The period of the impacts page and its data: the one asked, else the horizon's end.
pub(super) fn impacts_period(eco: &Ecosystem, q: &PageQuery) -> String {
    q.period
        .clone()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| eco.horizon_end.to_string())
}

pub(super) async fn period_or_default(
    ayni: &Ayni,
    eco: &Ecosystem,
    asked: &Option<String>,
) -> Result<String, WebError> {
    match asked.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => {
            Period::parse("period", p).map_err(|e| WebError {
                status: 400,
                message: e.message,
            })?;
            Ok(p.to_string())
        }
        None => default_period(ayni, eco).await,
    }
}

pub async fn home(req: HttpRequest, data: web::Data<Ayni>, q: web::Query<PageQuery>) -> WebResult {
    let ayni = app(&data);
    let lang = q.lang;
    let cards = summaries(ayni).await?;
    let body = html! {
        h1 { (lang.t("portal")) }
        p.muted { (lang.t("tagline")) }
        h2 { (lang.t("ecosystems")) }
        ul.cards {
            @for Summary { eco, period, card, latest } in &cards {
                li.card {
                    h3 { a href=(with_lang(&format!("/e/{}", eco.slug), lang)) { (eco.name) } }
                    p { b { (lang.t("mission")) ": " } (eco.mission) }
                    p { b { (lang.t("vision")) ": " } (eco.vision) }
                    div.kpis {
                        div.kpi { (lang.t("score")) " " (period) b { (pct(card.score.score)) } }
                        div.kpi { (lang.t("coverage")) b { (pct(Some(card.score.coverage()))) } }
                        div.kpi { (lang.t("latest_value")) b { (latest.map_or_else(|| lang.t("none_yet").to_string(), |d| d.format("%Y-%m-%d").to_string())) } }
                    }
                    p { (stoplight(lang, card.status)) }
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
    )))
}

/// A perspective with the objectives (and their indicators) that pass the page's filters.
type FilteredPerspective<'a> = (
    &'a crate::app::PerspectiveCard,
    Vec<(&'a crate::app::ObjectiveCard, Vec<&'a IndicatorCard>)>,
);

/// The indicator cards of a scorecard that pass the page's filters.
fn filtered<'a>(
    card: &'a Scorecard,
    theme: Option<i64>,
    actor: Option<i64>,
    responsible: &HashMap<i64, Vec<i64>>,
) -> Vec<FilteredPerspective<'a>> {
    card.perspectives
        .iter()
        .map(|p| {
            let objectives = p
                .objectives
                .iter()
                .filter(|o| theme.is_none() || o.objective.theme_id == theme)
                .map(|o| {
                    let inds = o
                        .indicators
                        .iter()
                        .filter(|i| {
                            actor.is_none_or(|a| {
                                responsible
                                    .get(&i.indicator.id)
                                    .is_some_and(|r| r.contains(&a))
                            })
                        })
                        .collect::<Vec<_>>();
                    (o, inds)
                })
                .filter(|(_, inds)| actor.is_none() || !inds.is_empty())
                .collect();
            (p, objectives)
        })
        .collect()
}

pub async fn ecosystem(
    req: HttpRequest,
    data: web::Data<Ayni>,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> WebResult {
    let ayni = app(&data);
    let lang = q.lang;
    let eco = find_ecosystem(ayni, &path).await?;
    let period = period_or_default(ayni, &eco, &q.period).await?;
    let card = ayni.scorecard(eco.id, period.clone()).await?;
    let map = ayni.strategy_map(eco.id).await?;
    let themes = map.themes.clone();
    let members = ayni.members_of(vec![eco.id]).await?;
    let actors = ayni
        .actors_by_ids(members.iter().map(|m| m.actor_id).collect())
        .await?;
    let ids: Vec<i64> = card
        .perspectives
        .iter()
        .flat_map(|p| &p.objectives)
        .flat_map(|o| &o.indicators)
        .map(|i| i.indicator.id)
        .collect();
    let mut responsible: HashMap<i64, Vec<i64>> = HashMap::new();
    for (i, a) in ayni.indicator_responsibles_of(ids).await? {
        responsible.entry(i).or_default().push(a);
    }
    let evidence: HashMap<i64, Verdict> = ayni
        .link_evidence(eco.id)
        .await?
        .into_iter()
        .map(|e| (e.link_id, e.check.verdict))
        .collect();
    let theme_id = q
        .theme
        .as_deref()
        .and_then(|c| themes.iter().find(|t| t.code == c))
        .map(|t| t.id);

    // The map, objectives coloured by status and linked to their first indicator.
    let mut doc = MapDocument::new(&eco, &map);
    let objective_cards: HashMap<&str, &crate::app::ObjectiveCard> = card
        .perspectives
        .iter()
        .flat_map(|p| &p.objectives)
        .map(|o| (o.objective.code.as_str(), o))
        .collect();
    for band in &mut doc.perspectives {
        for o in &mut band.objectives {
            if let Some(c) = objective_cards.get(o.code.as_str()) {
                let (class, key, _) = status_key(c.status);
                o.status = Some(MapStatus {
                    status: class.into(),
                    label: lang.t(key).into(),
                });
                o.href = c.indicators.first().map(|i| {
                    with_lang(
                        &format!("/e/{}/i/{}?period={period}", eco.slug, i.indicator.code),
                        lang,
                    )
                });
            }
        }
    }
    let svg = to_svg(&doc);
    let years: Vec<i32> = (eco.horizon_start - 4..=eco.horizon_end).collect();
    let codes: HashMap<i64, &str> = map
        .objectives
        .iter()
        .map(|o| (o.id, o.code.as_str()))
        .collect();
    let rows = filtered(&card, theme_id, q.actor, &responsible);
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
                    @for y in &years { option value=(y) selected[y.to_string() == period] { (y) } }
                }
            }
            label { (lang.t("theme"))
                select name="theme" {
                    option value="" { (lang.t("all")) }
                    @for t in &themes { option value=(t.code) selected[Some(t.id) == theme_id] { (t.code) " — " (t.name) } }
                }
            }
            label { (lang.t("actor"))
                select name="actor" {
                    option value="" { (lang.t("all")) }
                    @for a in &actors { option value=(a.id) selected[Some(a.id) == q.actor] { (a.name) } }
                }
            }
            button type="submit" { (lang.t("apply")) }
        }
        p { a href=(with_lang(&format!("/e/{}/impactos", eco.slug), lang)) { (lang.t("impacts")) " · " (lang.t("hybrid")) } }
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
                            tr { td { (p.perspective.name) } td { (o.objective.code) " " (o.objective.name) } td { (stoplight(lang, o.status)) } }
                        } }
                    }
                } }
                div.table-wrap { table {
                    thead { tr { th { (lang.t("cause")) } th { (lang.t("effect")) } th { (lang.t("evidence_check")) } } }
                    tbody {
                        @for l in &map.links {
                            tr { td { (codes.get(&l.cause_id).copied().unwrap_or("?")) } td { (codes.get(&l.effect_id).copied().unwrap_or("?")) }
                                 td { (verdict_word(lang, evidence.get(&l.id).copied())) } }
                        }
                    }
                } }
            }
        }
        section #scorecard aria-labelledby="card-h" {
            h2 #card-h { (lang.t("scorecard")) " " (period) }
            p.downloads { (lang.t("download")) ": "
                a href=(format!("/e/{}/tablero.csv?period={period}", eco.slug)) { "CSV" }
                a href=(format!("/e/{}/tablero.json?period={period}", eco.slug)) { "JSON" } }
            @for (p, objectives) in &rows {
                h3 { (p.perspective.name) " — " (pct(p.score.score)) " " (stoplight(lang, p.status)) }
                div.table-wrap { table {
                    thead { tr {
                        th scope="col" { (lang.t("indicator")) } th.num scope="col" { (lang.t("actual")) } th.num scope="col" { (lang.t("target")) }
                        th.num scope="col" { (lang.t("progress")) } th.num scope="col" { (lang.t("attainment")) } th scope="col" { (lang.t("status")) }
                    } }
                    tbody {
                        @for (o, inds) in objectives {
                            tr.objective { td colspan="3" { (o.objective.code) " " (o.objective.name) } td.num { (pct(o.score.score)) } td {} td { (stoplight(lang, o.status)) } }
                            @for i in inds {
                                tr data-indicator=(i.indicator.code) {
                                    td { a href=(with_lang(&format!("/e/{}/i/{}?period={period}", eco.slug, i.indicator.code), lang)) { (i.indicator.code) } " " (i.indicator.name) " "
                                         span.muted { "(" (i.indicator.unit) ")" } }
                                    td.num.actual { (num(i.evaluation.actual)) }
                                    td.num { (num(i.evaluation.target.map(|t| t.value))) }
                                    td.num { (pct(i.evaluation.progress)) }
                                    td.num { (pct(i.evaluation.attainment)) }
                                    td { (stoplight(lang, i.evaluation.status)) }
                                }
                            }
                        }
                    }
                } }
            }
        }
    };
    let script = html! { script data-events=(events) { (PreEscaped(LIVE_JS)) } };
    Ok(html_response(layout(
        &req,
        lang,
        &eco.name,
        body,
        Some(script),
    )))
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
    let ayni = app(&data);
    let lang = q.lang;
    let (slug, code) = path.into_inner();
    let eco = find_ecosystem(ayni, &slug).await?;
    let ind: Indicator = ayni
        .indicator_by_code(eco.id, code.clone())
        .await?
        .ok_or_else(|| WebError::not_found(&code))?;
    let targets = ayni.targets_of(vec![ind.id]).await?;
    let series = ayni.series(ind.id, None, None).await?;
    let responsible = ayni
        .actors_by_ids(
            ayni.indicator_responsibles_of(vec![ind.id])
                .await?
                .into_iter()
                .map(|(_, a)| a)
                .collect(),
        )
        .await?;
    let inputs = ayni
        .variables_by_ids(
            ayni.indicator_inputs(vec![ind.id])
                .await?
                .into_iter()
                .map(|(_, v)| v)
                .collect(),
        )
        .await?;
    let mut values = approved_values(ayni, ind.id).await?;
    // A computed indicator's numbers come from its variables' observations: show theirs.
    let mut subject: HashMap<i64, String> =
        values.iter().map(|m| (m.id, ind.code.clone())).collect();
    if ind.formula.is_some() {
        for v in &inputs {
            for m in ayni
                .observations(None, v.id, MeasurementFilter::default())
                .await?
            {
                if m.counted {
                    subject.insert(m.id, v.code.clone());
                    values.push(m);
                }
            }
        }
        // The newest first, and a page that stays light on a phone.
        values.sort_by(|a, b| {
            b.period_end
                .cmp(&a.period_end)
                .then(a.territory.cmp(&b.territory))
        });
        values.truncate(MAX_PROVENANCE_ROWS);
    }
    let value_ids: Vec<i64> = values.iter().map(|m| m.id).collect();
    let seqs: HashMap<i64, i64> = ayni
        .measurement_audit_seqs(value_ids.clone())
        .await?
        .into_iter()
        .collect();
    let open: Vec<_> = ayni
        .challenges_of(value_ids)
        .await?
        .into_iter()
        .filter(|c| c.status == ChallengeStatus::Open)
        .collect();
    // Who approved: the reviewer's user number and the actor it speaks for (no e-mails).
    let reviewers: HashMap<i64, Option<i64>> = ayni
        .user_actors(values.iter().filter_map(|m| m.reviewed_by).collect())
        .await?
        .into_iter()
        .collect();
    let actor_names: HashMap<i64, String> = ayni
        .actors_by_ids(
            values
                .iter()
                .map(|m| m.actor_id)
                .chain(reviewers.values().flatten().copied())
                .collect(),
        )
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let reviewer = |user: i64| {
        let actor = reviewers
            .get(&user)
            .copied()
            .flatten()
            .and_then(|a| actor_names.get(&a));
        match actor {
            Some(name) => format!("#{user} ({name})"),
            None => format!("#{user}"),
        }
    };

    // Values by territory for the latest period that has any (computed for formulas).
    let mut by_territory: BTreeMap<String, f64> = BTreeMap::new();
    let mut territory_period = None;
    if ind.formula.is_some() {
        for t in [
            eco.territory.clone(),
            format!("{}01", eco.territory),
            format!("{}02", eco.territory),
            format!("{}03", eco.territory),
        ] {
            if let Ok((points, _)) = ayni.formula_series(ind.id, Some(t.clone())).await
                && let Some(last) = points.iter().max_by_key(|p| p.period)
            {
                territory_period = territory_period.max(Some(last.period));
                by_territory.insert(t, last.value);
            }
        }
    } else {
        let latest = values.iter().filter(|m| m.counted).map(|m| m.period).max();
        territory_period = latest;
        for m in values
            .iter()
            .filter(|m| m.counted && m.disaggregation.is_empty())
        {
            if Some(m.period) == latest {
                by_territory.insert(m.territory.clone(), m.value);
            }
        }
    }
    let bars: Vec<(String, f64)> = by_territory
        .iter()
        .map(|(t, v)| (territory_name(t), *v))
        .collect();

    // The chart: actual, expected trajectory, targets.
    let labels: Vec<String> = series.iter().map(|p| p.period.to_string()).collect();
    let target_at: HashMap<String, f64> = targets
        .iter()
        .map(|t| (t.period.to_string(), t.value))
        .collect();
    let actual: Vec<Option<f64>> = series.iter().map(|p| p.evaluation.actual).collect();
    let expected: Vec<Option<f64>> = series.iter().map(|p| p.evaluation.expected).collect();
    let target_points: Vec<Option<f64>> =
        labels.iter().map(|l| target_at.get(l).copied()).collect();
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
    );
    let direction = match ind.direction.as_str() {
        "increase" => lang.t("dir_increase"),
        "decrease" => lang.t("dir_decrease"),
        _ => lang.t("dir_range"),
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
                dt { (lang.t("direction")) } dd { (direction) }
                @if let Some(f) = &ind.formula {
                    dt { (lang.t("formula")) } dd { code { (f) } }
                    dt { (lang.t("variables")) } dd { ul { @for v in &inputs { li { code { (v.code) } " " (v.name) " (" (v.unit) ")" } } } }
                }
                dt { (lang.t("source")) } dd { (ind.source) }
                dt { (lang.t("responsible")) } dd { (responsible.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ")) }
                dt { (lang.t("baseline")) } dd { (num(ind.baseline_value)) " (" (ind.baseline_period.map_or_else(|| "–".to_string(), |p| p.to_string())) ")" }
            }
            h3 { (lang.t("targets")) }
            div.table-wrap { table {
                thead { tr { th { (lang.t("period")) } th.num { (lang.t("target")) } } }
                tbody { @for t in &targets { tr { td { (t.period) } td.num { (fmt_num(t.value)) } } } }
            } }
        }
        section aria-labelledby="chart-h" {
            h2 #chart-h { (lang.t("trajectory")) }
            (PreEscaped(chart))
            p.downloads { (lang.t("download")) ": "
                a href=(format!("/e/{}/i/{}/serie.csv", eco.slug, ind.code)) { "CSV" }
                a href=(format!("/e/{}/i/{}/serie.json", eco.slug, ind.code)) { "JSON" } }
            details {
                summary { (lang.t("chart_alt")) }
                div.table-wrap { table {
                    thead { tr { th { (lang.t("period")) } th.num { (lang.t("actual")) } th.num { (lang.t("expected")) } th.num { (lang.t("target")) } } }
                    tbody { @for (i, l) in labels.iter().enumerate() {
                        tr { td { (l) } td.num { (num(actual[i])) } td.num { (num(expected[i])) } td.num { (num(target_points[i])) } }
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
            @if values.is_empty() { p { (lang.t("no_values")) } } @else {
                div.table-wrap { table #provenance {
                    thead { tr {
                        @if ind.formula.is_some() { th { (lang.t("variables")) } }
                        th { (lang.t("period")) } th { (lang.t("territory")) } th.num { (lang.t("value")) } th.num { (lang.t("revision")) }
                        th { (lang.t("who")) } th { (lang.t("when")) } th { (lang.t("evidence")) } th { (lang.t("approved_by")) } th.num { (lang.t("audit_seq")) }
                    } }
                    tbody { @for m in &values {
                        tr {
                            @if ind.formula.is_some() { td { code { (subject.get(&m.id).map(String::as_str).unwrap_or("")) } } }
                            td { (m.period) } td { (territory_name(&m.territory)) } td.num { (fmt_num(m.value)) } td.num { (m.revision) }
                            td { (actor_names.get(&m.actor_id).map(String::as_str).unwrap_or("?")) }
                            td { (m.submitted_at.format("%Y-%m-%d %H:%M")) }
                            td { @if let Some(u) = &m.evidence_url { a href=(u) rel="nofollow noopener" { (m.evidence_text.as_deref().unwrap_or(u)) } } @else { (m.evidence_text.as_deref().unwrap_or("")) } }
                            td {
                                @if let Some(by) = m.reviewed_by { (reviewer(by)) }
                                @else if m.reviewed_at.is_some() { (lang.t("operator")) }
                                " " (m.reviewed_at.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default())
                            }
                            td.num { @if let Some(seq) = seqs.get(&m.id) { a href=(format!("/api/v1/audit/proof?from={seq}&limit=1")) { (seq) } } }
                        }
                    } }
                } }
            }
            h3 { (lang.t("challenges")) }
            @if open.is_empty() { p { (lang.t("no_challenges")) } } @else {
                ul { @for c in &open { li { (c.opened_at.format("%Y-%m-%d")) " — " (c.reason) } } }
            }
        }
    };
    Ok(html_response(layout(
        &req,
        lang,
        &format!("{} {}", ind.code, ind.name),
        body,
        None,
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
    let ayni = app(&data);
    let lang = q.lang;
    let eco = find_ecosystem(ayni, &path).await?;
    let scenario = scenario_of(q.scenario.as_deref())?;
    let period = impacts_period(&eco, &q);
    let states = ayni
        .cumulative_impacts(eco.id, period.clone(), scenario)
        .await?;
    let hybrids = ayni.hybrid_metrics(eco.id).await?;
    let companies: HashMap<i64, String> = ayni
        .actors_by_ids(hybrids.iter().map(|h| h.metric.company_actor_id).collect())
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let years: Vec<i32> = (eco.horizon_start - 4..=eco.horizon_end).collect();
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
            tbody { @for s in &states {
                tr data-vec=(s.vec.code) {
                    td { (s.vec.code) " — " (s.vec.name) } td { (s.vec.unit) }
                    td.num { (fmt_num(s.vec.baseline_value)) " (" (s.vec.baseline_period) ")" }
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
                    td { (h.metric.code) " — " (h.metric.name) } td { (companies.get(&h.metric.company_actor_id).map(String::as_str).unwrap_or("?")) } td { (h.metric.unit) }
                    td.num { (last.map(|p| format!("{} ({})", fmt_num(p.value.unwrap_or(0.0)), p.period)).unwrap_or_else(|| "–".into())) }
                    td.num { (h.check.n) } td.num { (num(h.check.r)) }
                    td { (verdict_word(lang, Some(h.check.verdict))) }
                    td { (if h.metric.status == HybridStatus::Adopted { lang.t("adopted") } else { lang.t("proposed") }) }
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
    )))
}

/// Server-sent events: `approved` with `{indicator, period, territory, value}` whenever a value
/// of this ecosystem is approved; a comment every 15 s keeps the connection open.
pub async fn events(data: web::Data<Ayni>, path: web::Path<String>) -> WebResult {
    let ayni = app(&data);
    let eco = find_ecosystem(ayni, &path).await?;
    let rx = ayni.approved_values();
    let slug = eco.slug;
    let stream = futures_util::stream::unfold((rx, slug), |(mut rx, slug)| async move {
        loop {
            match tokio::time::timeout(Duration::from_secs(15), rx.recv()).await {
                Err(_) => {
                    return Some((
                        Ok::<_, actix_web::Error>(web::Bytes::from_static(b": keep-alive\n\n")),
                        (rx, slug),
                    ));
                }
                Ok(Ok(v)) if v.ecosystem_slug == slug => {
                    let payload = serde_json::json!({
                        "indicator": v.indicator_code,
                        "period": v.measurement.period,
                        "territory": v.measurement.territory,
                        "value": v.measurement.value,
                    });
                    let frame = format!("event: approved\ndata: {payload}\n\n");
                    return Some((Ok(web::Bytes::from(frame)), (rx, slug)));
                }
                Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                    continue;
                }
                Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => return None,
            }
        }
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
