//! Investments in the workspace (`/app/inversiones`): coordinators and admins register and
//! edit an ecosystem's investments (with their links and planned curves), record execution
//! snapshots, score the judged criteria and set the ecosystem's alert thresholds,
//! prioritisation criteria and budget envelopes; a contributor of an executing actor records
//! the physical progress of that actor's investments, nothing else.
//!
//! Forms are typed as text and parsed here into the use cases' inputs: amounts accept
//! thousands separators (`1,250,000.50`, `S/ 1 250 000`), links are one per line
//! (`CODE: expected change`), planned curves one year per line (`2025: m1; m2; …; m12`, or the
//! twelve cells pasted from a spreadsheet row).

use std::collections::{BTreeMap, HashMap};

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::model::{Actor, Ecosystem};
use crate::app::{
    AppError, Ayni, InvestmentFilter, InvestmentInput, InvestmentLinkInput, InvestmentRecord,
    InvestmentSettingsInput, MAX_INVESTMENT_PAGE, PlannedCurveInput, ProgressInput,
};
use crate::domain::investment::{
    AlertThresholds, Criteria, ExecutionModality, FinancingSource, GovernmentLevel,
    InvestmentDraft, InvestmentFunction, InvestmentKind, InvestmentStage, JudgedCriterion,
    LinkTarget, ScaleBasis, Settings,
};
use crate::domain::{FieldError, Role, ValidationErrors};
use crate::web::WebError;
use crate::web::commitments::tr;
use crate::web::i18n::Lang;
use crate::web::investments::{kind_word, level_word, points, sheet_path, soles};

use super::review::{parse_id, refused};
use super::{
    FieldAttrs, FormErrors, Signed, field, form_status, page, read_multipart, see_other, select,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(NAV).route(web::get().to(desk)))
        .service(
            web::resource("/app/inversiones/nueva")
                .route(web::get().to(new_form))
                .route(web::post().to(create)),
        )
        .service(
            web::resource("/app/inversiones/editar")
                .route(web::get().to(edit_form))
                .route(web::post().to(edit)),
        )
        .service(
            web::resource("/app/inversiones/avance")
                .route(web::get().to(progress_form))
                .route(web::post().to(record_progress)),
        )
        .service(web::resource("/app/inversiones/puntaje").route(web::post().to(score)))
        .service(
            web::resource("/app/inversiones/importar")
                .route(web::get().to(import_form))
                .route(web::post().to(import)),
        )
        .service(
            web::resource("/app/inversiones/parametros")
                .route(web::get().to(settings_form))
                .route(web::post().to(save_settings)),
        );
}

type WebResult = Result<HttpResponse, WebError>;

const NAV: &str = "/app/inversiones";

fn notice(signed: &Signed, code: Option<&str>) -> Markup {
    let text = match code {
        Some("created") => signed.t("Inversión registrada.", "Investment recorded."),
        Some("edited") => signed.t("Inversión actualizada.", "Investment updated."),
        Some("progress") => signed.t("Avance registrado.", "Progress recorded."),
        Some("scored") => signed.t("Puntaje guardado.", "Score saved."),
        Some("settings") => signed.t("Parámetros guardados.", "Settings saved."),
        _ => return html! {},
    };
    html! { p.notice role="status" { (text) } }
}

fn require_coordinator(signed: &Signed) -> Result<(), WebError> {
    if signed.role().manages_strategy() {
        Ok(())
    } else {
        Err(WebError::forbidden(
            "solo coordinación y administración registran inversiones / only coordinators and admins record investments",
        ))
    }
}

/// A slug as a form or address carries it, or `None` when it cannot be one.
fn slug_param(raw: &str) -> Option<&str> {
    let s = raw.trim();
    (!s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .then_some(s)
}

/// The ecosystem asked for (404 when there is none by that slug), or the first.
async fn chosen(data: &Ayni, asked: Option<&str>) -> Result<Option<Ecosystem>, WebError> {
    let ecosystems = data.ecosystems().await?;
    match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(slug) => ecosystems
            .into_iter()
            .find(|e| e.slug == slug)
            .map(Some)
            .ok_or_else(|| WebError::not_found("ecosistema / ecosystem")),
        None => Ok(ecosystems.into_iter().next()),
    }
}

/// The ecosystem a form names by slug: 404 when it names none.
async fn named_ecosystem(data: &Ayni, raw: Option<&str>) -> Result<Ecosystem, WebError> {
    let slug = raw
        .and_then(slug_param)
        .ok_or_else(|| WebError::not_found("ecosistema / ecosystem"))?;
    chosen(data, Some(slug))
        .await?
        .ok_or_else(|| WebError::not_found("ecosistema / ecosystem"))
}

/// A refusal a form shows again (`Ok`), or one answered as an error page (`Err`): the
/// caller's rights, a missing record, a fault.
fn shown_on_form(e: AppError) -> Result<AppError, WebError> {
    match e {
        e @ (AppError::Forbidden(_) | AppError::Internal(_) | AppError::NotFound(_)) => {
            Err(e.into())
        }
        e => Ok(e),
    }
}

/// The ecosystem an investment belongs to.
async fn ecosystem_of(data: &Ayni, r: &InvestmentRecord) -> Result<Ecosystem, WebError> {
    data.ecosystems()
        .await?
        .into_iter()
        .find(|e| e.id == r.ecosystem_id)
        .ok_or_else(|| WebError::not_found("ecosistema / ecosystem"))
}

async fn investment(data: &Ayni, raw_id: &str) -> Result<InvestmentRecord, WebError> {
    let id = parse_id("id", raw_id)?;
    data.investment_by_id(id)
        .await?
        .ok_or_else(|| WebError::not_found("inversión / investment"))
}

/// Whether the signed-in user may record this investment's progress, and which part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Right {
    /// Every figure: coordinators and admins.
    All,
    /// Physical progress only: a contributor of the executing actor.
    PhysicalOnly,
}

fn right(signed: &Signed, r: &InvestmentRecord) -> Result<Right, WebError> {
    match signed.role() {
        Role::Admin | Role::Coordinator => Ok(Right::All),
        Role::Contributor
            if signed.me.caller.actor_id.is_some()
                && signed.me.caller.actor_id == r.definition.executing_actor_id =>
        {
            Ok(Right::PhysicalOnly)
        }
        _ => Err(WebError::forbidden(
            "solo coordinación y los contribuyentes del actor ejecutor registran el avance de esta inversión / only coordinators and contributors of the executing actor record this investment's progress",
        )),
    }
}

fn cui_text(r: &InvestmentRecord) -> String {
    r.definition
        .cui
        .as_ref()
        .map_or_else(|| "—".to_string(), |c| c.to_string())
}

/// The executing unit as people name it: the unit, else the actor.
fn executor(r: &InvestmentRecord, actors: &HashMap<i64, String>) -> String {
    let actor = r
        .definition
        .executing_actor_id
        .and_then(|id| actors.get(&id))
        .cloned();
    match (actor, r.definition.executing_unit.trim()) {
        (Some(a), "") => a,
        (Some(a), unit) => format!("{unit} ({a})"),
        (None, "") => "—".to_string(),
        (None, unit) => unit.to_string(),
    }
}

fn stage_word(lang: Lang, s: InvestmentStage) -> &'static str {
    let (es, en) = s.labels();
    tr(lang, es, en)
}

/// The table of investments on the desk, with what each user may do on each.
fn table(
    signed: &Signed,
    slug: &str,
    items: &[InvestmentRecord],
    actors: &HashMap<i64, String>,
) -> Markup {
    let lang = signed.lang;
    let coordinator = signed.role().manages_strategy();
    html! {
        div.table-scroll {
            table {
                thead { tr {
                    th scope="col" { "CUI" }
                    th scope="col" { (tr(lang, "Inversión", "Investment")) }
                    th scope="col" { (tr(lang, "Etapa", "Stage")) }
                    th scope="col" { (tr(lang, "Unidad ejecutora", "Executing unit")) }
                    th scope="col" { (tr(lang, "Último corte", "Latest snapshot")) }
                    th scope="col" { (tr(lang, "Avance físico", "Physical progress")) }
                    th scope="col" { (tr(lang, "Alertas", "Alerts")) }
                    th scope="col" { (tr(lang, "Acciones", "Actions")) }
                } }
                tbody {
                    @for r in items {
                        tr {
                            td { (cui_text(r)) }
                            th scope="row" { (r.definition.name) }
                            td { (stage_word(lang, r.definition.stage)) }
                            td { (executor(r, actors)) }
                            td { @match r.latest() { Some(s) => (s.as_of), None => "—" } }
                            td { (points(r.physical().map(|p| p.percent))) }
                            td { (r.alerts.len()) }
                            td {
                                @if coordinator {
                                    a href=(format!("/app/inversiones/editar?id={}", r.id)) { (tr(lang, "Editar", "Edit")) } " · "
                                    a href=(format!("/app/inversiones/avance?id={}", r.id)) { (tr(lang, "Ejecución y avance", "Execution and progress")) }
                                } @else {
                                    a href=(format!("/app/inversiones/avance?id={}", r.id)) { (tr(lang, "Reportar avance físico", "Report physical progress")) }
                                }
                                " · " a href=(sheet_path(slug, r)) { (tr(lang, "ficha pública", "public sheet")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct DeskQuery {
    ecosistema: Option<String>,
    notice: Option<String>,
    /// The id of the last investment of the previous page.
    despues: Option<String>,
}

async fn actor_names(data: &Ayni) -> Result<HashMap<i64, String>, WebError> {
    Ok(data
        .actors()
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect())
}

async fn desk(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    q: web::Query<DeskQuery>,
) -> WebResult {
    let title = signed.t("Inversiones", "Investments");
    let actors = actor_names(&data).await?;
    let body = if signed.role().manages_strategy() {
        let ecosystems = data.ecosystems().await?;
        let Some(eco) = chosen(&data, q.ecosistema.as_deref()).await? else {
            let body = html! { p { (signed.t("Aún no hay ecosistemas.", "No ecosystems yet.")) } };
            return Ok(page(&req, &signed, NAV, title, body));
        };
        let after = q
            .despues
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| parse_id("despues", s))
            .transpose()?;
        let list = data
            .investments(
                eco.id,
                InvestmentFilter::default(),
                after,
                MAX_INVESTMENT_PAGE,
            )
            .await?;
        let slug = &eco.slug;
        html! {
            (notice(&signed, q.notice.as_deref()))
            form.filters method="get" action=(NAV) {
                label { (signed.t("Ecosistema", "Ecosystem"))
                    select name="ecosistema" {
                        @for e in &ecosystems { option value=(e.slug) selected[e.id == eco.id] { (e.name) } }
                    }
                }
                button type="submit" { (signed.t("Ver", "Show")) }
            }
            p { (list.total) " " (signed.t("inversiones en la cartera", "investments in the portfolio")) }
            p {
                a.button href=(format!("/app/inversiones/nueva?ecosistema={slug}")) { (signed.t("Registrar una inversión", "Record an investment")) }
                " · " a href=(format!("/app/inversiones/importar?ecosistema={slug}")) { (signed.t("Importar el archivo del MEF", "Import MEF's file")) }
                " · " a href=(format!("/app/inversiones/parametros?ecosistema={slug}")) { (signed.t("Umbrales, criterios y techos", "Thresholds, criteria and envelopes")) }
                " · " a href=(format!("/e/{slug}/inversiones")) { (signed.t("ver en el portal", "see on the portal")) }
            }
            (table(&signed, slug, &list.items, &actors))
            @if list.has_next {
                @if let Some(last) = list.items.last() {
                    p { a href=(format!("{NAV}?ecosistema={slug}&despues={}", last.id)) { (signed.t("Siguientes", "Next")) " →" } }
                }
            }
        }
    } else if let (Some(actor), Role::Contributor) = (signed.me.caller.actor_id, signed.role()) {
        let mut sections = Vec::new();
        for eco in data.ecosystems().await? {
            let filter = InvestmentFilter {
                executing_actor_id: Some(actor),
                ..InvestmentFilter::default()
            };
            let list = data
                .investments(eco.id, filter, None, MAX_INVESTMENT_PAGE)
                .await?;
            if !list.items.is_empty() {
                sections.push((eco, list.items));
            }
        }
        html! {
            (notice(&signed, q.notice.as_deref()))
            p.hint { (signed.t(
                "Las inversiones que ejecuta su organización. Usted reporta su avance físico (porcentaje, fecha de medición y evidencia); las cifras presupuestales las registra el órgano coordinador o llegan del MEF.",
                "The investments your organisation executes. You report their physical progress (percentage, measurement date and evidence); budget figures are recorded by the coordinating body or come from MEF.")) }
            @if sections.is_empty() { p { (signed.t("Su organización no ejecuta inversiones registradas.", "Your organisation executes no recorded investment.")) } }
            @for (eco, items) in &sections {
                h2 { (eco.name) }
                (table(&signed, &eco.slug, items, &actors))
            }
        }
    } else {
        html! { p { (signed.t(
        "Las inversiones son públicas: véalas en el portal de cada ecosistema.",
        "Investments are public: see them on each ecosystem's portal page.")) } }
    };
    Ok(page(&req, &signed, NAV, title, body))
}

// ---------------------------------------------------------------------------------------
// Parsing what forms carry
// ---------------------------------------------------------------------------------------

/// An amount or number as people type it: blank is none; `S/`, spaces, commas and
/// underscores as thousands separators are dropped; the decimal mark is a point.
fn number(field: &str, raw: &str) -> Result<Option<f64>, FieldError> {
    let cleaned: String = raw
        .trim()
        .trim_start_matches("S/")
        .chars()
        .filter(|c| !matches!(c, ' ' | ',' | '_' | '\u{a0}'))
        .collect();
    if cleaned.is_empty() {
        return Ok(None);
    }
    match cleaned.parse::<f64>() {
        Ok(v) if v.is_finite() && cleaned.len() <= 30 => Ok(Some(v)),
        _ => Err(FieldError::new(
            field,
            "number",
            format!(
                "«{}» no es un número (use punto decimal) / is not a number (use a decimal point)",
                raw.chars().take(30).collect::<String>()
            ),
        )),
    }
}

/// A whole number as typed; blank is none.
fn whole(field: &str, raw: &str) -> Result<Option<i64>, FieldError> {
    match number(field, raw)? {
        None => Ok(None),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => Ok(Some(v as i64)),
        Some(_) => Err(FieldError::new(
            field,
            "integer",
            "debe ser un número entero / must be a whole number",
        )),
    }
}

fn optional(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

fn checked(v: &str) -> bool {
    matches!(v, "on" | "true" | "1" | "si" | "sí")
}

/// The field a form shows an error beside: the form's field for errors the use case reports
/// on a part of it (`links.expectedChange` → `links`).
fn form_errors(e: &AppError) -> FormErrors {
    let mut errors = FormErrors::from_app(e);
    for (f, _) in errors.fields.iter_mut() {
        if let Some((head, _)) = f.split_once('.') {
            *f = head.to_string();
        }
    }
    errors
}

/// The codes an investment may link to in its ecosystem: objectives and indicators.
struct Targets {
    objectives: Vec<(i64, String, String)>,
    indicators: Vec<(i64, String, String)>,
}

impl Targets {
    async fn of(data: &Ayni, ecosystem_id: i64) -> Result<Targets, WebError> {
        let objectives = data.objectives(ecosystem_id, None, None).await?;
        let ids: Vec<i64> = objectives.iter().map(|o| o.id).collect();
        let indicators = data.indicators_of_objectives(ids).await?;
        Ok(Targets {
            objectives: objectives
                .into_iter()
                .map(|o| (o.id, o.code, o.name))
                .collect(),
            indicators: indicators
                .into_iter()
                .map(|i| (i.id, i.definition.code, i.definition.name))
                .collect(),
        })
    }

    fn code_of(&self, target: LinkTarget) -> String {
        let (list, id) = match target {
            LinkTarget::Objective(id) => (&self.objectives, id),
            LinkTarget::Indicator(id) => (&self.indicators, id),
        };
        list.iter()
            .find(|(i, _, _)| *i == id)
            .map_or_else(|| format!("#{id}"), |(_, code, _)| code.clone())
    }

    /// One line per link: `CODE: expected change`. An objective's code is looked up first;
    /// a code both an objective and an indicator have is refused.
    fn parse(&self, raw: &str) -> Result<Vec<InvestmentLinkInput>, FieldError> {
        let mut links = Vec::new();
        for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (code, change) = match line.split_once(':') {
                Some((c, rest)) => (c.trim(), rest.trim()),
                None => (line, ""),
            };
            let objective = self.objectives.iter().find(|(_, c, _)| c == code);
            let indicator = self.indicators.iter().find(|(_, c, _)| c == code);
            let shown: String = code.chars().take(20).collect();
            let link = match (objective, indicator) {
                (Some((id, _, _)), None) => InvestmentLinkInput {
                    objective_id: Some(*id),
                    indicator_id: None,
                    expected_change: change.to_string(),
                },
                (None, Some((id, _, _))) => InvestmentLinkInput {
                    objective_id: None,
                    indicator_id: Some(*id),
                    expected_change: change.to_string(),
                },
                (Some(_), Some(_)) => {
                    return Err(FieldError::new(
                        "links",
                        "ambiguous",
                        format!(
                            "«{shown}» es a la vez objetivo e indicador / is both an objective and an indicator"
                        ),
                    ));
                }
                (None, None) => {
                    return Err(FieldError::new(
                        "links",
                        "unknown_value",
                        format!(
                            "«{shown}» no es un objetivo ni un indicador de este ecosistema / is neither an objective nor an indicator of this ecosystem"
                        ),
                    ));
                }
            };
            links.push(link);
        }
        Ok(links)
    }
}

/// One year per line: `2025: m1; m2; …; m12` (cumulative amounts); the months separated by
/// `;` or tabs (a spreadsheet row pasted), or by spaces when there is neither.
fn parse_curves(raw: &str) -> Result<Vec<PlannedCurveInput>, FieldError> {
    let bad = |line: &str, why: &str| {
        FieldError::new(
            "plannedCurves",
            "format",
            format!("«{}»: {why}", line.chars().take(40).collect::<String>()),
        )
    };
    let mut curves = Vec::new();
    for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((year, rest)) = line.split_once(':') else {
            return Err(bad(
                line,
                "escriba «AÑO: 12 montos acumulados» / write “YEAR: 12 cumulative amounts”",
            ));
        };
        let year: i32 = year
            .trim()
            .parse()
            .map_err(|_| bad(line, "el año no es un número / the year is not a number"))?;
        let cells: Vec<&str> = if rest.contains([';', '\t']) {
            rest.split([';', '\t']).collect()
        } else {
            rest.split_whitespace().collect()
        };
        let mut months = Vec::new();
        for cell in cells.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            match number("plannedCurves", cell)? {
                Some(v) => months.push(v),
                None => continue,
            }
        }
        curves.push(PlannedCurveInput { year, months });
    }
    Ok(curves)
}

fn curves_text(r: &InvestmentRecord) -> String {
    r.plans
        .iter()
        .map(|p| {
            let months: Vec<String> = p.months.iter().map(|m| format!("{m}")).collect();
            format!("{}: {}", p.year, months.join("; "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------
// Record and edit an investment
// ---------------------------------------------------------------------------------------

/// The fields of the record/edit form, as typed (names as the use case reports errors).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvestmentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    ecosistema: String,
    #[serde(default)]
    cui: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    function: String,
    #[serde(default)]
    programme: String,
    #[serde(default)]
    subprogramme: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    modality: String,
    #[serde(default)]
    financing_source: String,
    #[serde(default)]
    participatory_budget: String,
    #[serde(default)]
    prioritised: String,
    #[serde(default)]
    ubigeo: String,
    #[serde(default)]
    latitude: String,
    #[serde(default)]
    longitude: String,
    #[serde(default)]
    beneficiaries: String,
    #[serde(default)]
    viable_amount: String,
    #[serde(default)]
    updated_cost: String,
    #[serde(default)]
    viability_date: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    planned_end_date: String,
    #[serde(default)]
    executing_actor_id: String,
    #[serde(default)]
    executing_unit: String,
    /// One link per line: `CODE: expected change`.
    #[serde(default)]
    links: String,
    /// One planned curve per line: `YEAR: m1; …; m12`.
    #[serde(default)]
    planned_curves: String,
}

fn number_text(v: Option<f64>) -> String {
    v.map(|v| format!("{v}")).unwrap_or_default()
}

impl InvestmentForm {
    fn of(r: &InvestmentRecord, slug: &str, targets: &Targets) -> InvestmentForm {
        let d = &r.definition;
        let flag = |b: bool| if b { "on".to_string() } else { String::new() };
        InvestmentForm {
            id: r.id.to_string(),
            ecosistema: slug.to_string(),
            cui: d.cui.as_ref().map(|c| c.to_string()).unwrap_or_default(),
            name: d.name.clone(),
            kind: d.kind.as_str().into(),
            level: d.level.as_str().into(),
            function: d.function.as_str().into(),
            programme: d.programme.clone(),
            subprogramme: d.subprogramme.clone(),
            stage: d.stage.as_str().into(),
            modality: d.modality.as_str().into(),
            financing_source: d.financing_source.as_str().into(),
            participatory_budget: flag(d.participatory_budget),
            prioritised: flag(d.prioritised),
            ubigeo: d.ubigeo.to_string(),
            latitude: number_text(d.location.map(|l| l.lat)),
            longitude: number_text(d.location.map(|l| l.lon)),
            beneficiaries: d.beneficiaries.map(|b| b.to_string()).unwrap_or_default(),
            viable_amount: number_text(d.viable_amount),
            updated_cost: number_text(d.updated_cost),
            viability_date: d.viability_date.map(|v| v.to_string()).unwrap_or_default(),
            start_date: d.start_date.map(|v| v.to_string()).unwrap_or_default(),
            planned_end_date: d
                .planned_end_date
                .map(|v| v.to_string())
                .unwrap_or_default(),
            executing_actor_id: d
                .executing_actor_id
                .map(|v| v.to_string())
                .unwrap_or_default(),
            executing_unit: d.executing_unit.clone(),
            links: r
                .links
                .iter()
                .map(|l| {
                    let code = targets.code_of(l.target);
                    if l.expected_change.is_empty() {
                        code
                    } else {
                        format!("{code}: {}", l.expected_change)
                    }
                })
                .collect::<Vec<_>>()
                .join("\n"),
            planned_curves: curves_text(r),
            ..InvestmentForm::default()
        }
    }

    /// The use case's input; what only the form can check (numbers, codes) is reported per
    /// field, all at once.
    fn input(&self, targets: &Targets) -> Result<InvestmentInput, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let latitude = e.check(number("latitude", &self.latitude)).flatten();
        let longitude = e.check(number("longitude", &self.longitude)).flatten();
        let beneficiaries = e
            .check(whole("beneficiaries", &self.beneficiaries))
            .flatten();
        let viable_amount = e
            .check(number("viableAmount", &self.viable_amount))
            .flatten();
        let updated_cost = e.check(number("updatedCost", &self.updated_cost)).flatten();
        let executing_actor_id = e
            .check(whole("executingActorId", &self.executing_actor_id))
            .flatten();
        let links = e.check(targets.parse(&self.links));
        let curves = e.check(parse_curves(&self.planned_curves));
        e.into_result()?;
        Ok(InvestmentInput {
            definition: InvestmentDraft {
                cui: optional(&self.cui),
                name: self.name.clone(),
                kind: self.kind.clone(),
                level: self.level.clone(),
                function: self.function.clone(),
                programme: self.programme.clone(),
                subprogramme: self.subprogramme.clone(),
                stage: self.stage.clone(),
                modality: self.modality.clone(),
                financing_source: self.financing_source.clone(),
                participatory_budget: checked(&self.participatory_budget),
                prioritised: checked(&self.prioritised),
                ubigeo: self.ubigeo.clone(),
                latitude,
                longitude,
                beneficiaries,
                viable_amount,
                updated_cost,
                viability_date: optional(&self.viability_date),
                start_date: optional(&self.start_date),
                planned_end_date: optional(&self.planned_end_date),
                executing_actor_id,
                executing_unit: self.executing_unit.clone(),
            },
            links,
            planned_curves: curves,
        })
    }
}

fn options<T: Copy>(
    all: &[T],
    value: fn(&T) -> &str,
    text: impl Fn(T) -> String,
) -> Vec<(String, String)> {
    all.iter()
        .map(|v| (value(v).to_string(), text(*v)))
        .collect()
}

/// Options whose text is the value's `(Spanish, English)` label in the reader's language.
fn labelled<T: Copy>(
    lang: Lang,
    all: &[T],
    value: fn(&T) -> &str,
    labels: fn(T) -> (&'static str, &'static str),
) -> Vec<(String, String)> {
    options(all, value, |k| {
        let (es, en) = labels(k);
        tr(lang, es, en).to_string()
    })
}

fn area(label: &str, name: &str, value: &str, rows: u8, errors: &FormErrors) -> Markup {
    let id = format!("f-{name}");
    let error = errors.for_field(name);
    html! {
        div.field {
            label for=(id) { (label) }
            @if let Some(m) = error { span.error id=(format!("e-{name}")) { (m) } }
            textarea id=(id) name=(name) rows=(rows)
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| format!("e-{name}"))] { (value) }
        }
    }
}

fn checkbox(label: &str, name: &str, on: bool) -> Markup {
    let id = format!("f-{name}");
    html! {
        div.field.check {
            input id=(id) name=(name) type="checkbox" checked[on];
            label for=(id) { (label) }
        }
    }
}

/// The record/edit form with its errors.
async fn form_page(
    req: &HttpRequest,
    signed: &Signed,
    data: &Ayni,
    eco: &Ecosystem,
    form: &InvestmentForm,
    errors: &FormErrors,
    extra: Markup,
) -> WebResult {
    let lang = signed.lang;
    let targets = Targets::of(data, eco.id).await?;
    let actors: Vec<(String, String)> = std::iter::once((String::new(), "—".to_string()))
        .chain(
            data.actors()
                .await?
                .into_iter()
                .map(|a: Actor| (a.id.to_string(), a.name)),
        )
        .collect();
    let kinds = options(
        InvestmentKind::ALL,
        |k| k.as_str(),
        |k| kind_word(lang, k).to_string(),
    );
    let levels = options(
        GovernmentLevel::ALL,
        |k| k.as_str(),
        |k| level_word(lang, k).to_string(),
    );
    let functions = labelled(
        lang,
        InvestmentFunction::ALL,
        |k| k.as_str(),
        |k| k.labels(),
    );
    let stages = options(
        InvestmentStage::ALL,
        |k| k.as_str(),
        |k| stage_word(lang, k).to_string(),
    );
    let modalities = labelled(lang, ExecutionModality::ALL, |k| k.as_str(), |k| k.labels());
    let sources = labelled(lang, FinancingSource::ALL, |k| k.as_str(), |k| k.labels());
    let editing = !form.id.is_empty();
    let action = if editing {
        "/app/inversiones/editar"
    } else {
        "/app/inversiones/nueva"
    };
    let text = |label: &str, name: &str, value: &str, required: bool| {
        field(
            label,
            name,
            "text",
            value,
            errors,
            FieldAttrs {
                required,
                autocomplete: Some("off"),
            },
        )
    };
    let date = |label: &str, name: &str, value: &str| {
        field(label, name, "date", value, errors, FieldAttrs::default())
    };
    let body = html! {
        (errors.summary(lang))
        p.muted { (eco.name) }
        form.stacked method="post" action=(action) {
            (signed.csrf_field())
            input type="hidden" name="id" value=(form.id);
            input type="hidden" name="ecosistema" value=(eco.slug);
            fieldset {
                legend { (signed.t("Identificación", "Identification")) }
                (text(signed.t("CUI (código único de inversiones, 7 dígitos; vacío solo para una idea)", "CUI (unique investment code, 7 digits; empty only for an idea)"), "cui", &form.cui, false))
                (text(signed.t("Nombre", "Name"), "name", &form.name, true))
                (select(signed.t("Tipo", "Type"), "kind", &kinds, &form.kind, errors))
                (select(signed.t("Nivel de gobierno", "Level of government"), "level", &levels, &form.level, errors))
                (select(signed.t("Función", "Function"), "function", &functions, &form.function, errors))
                (text(signed.t("Programa", "Programme"), "programme", &form.programme, false))
                (text(signed.t("Subprograma", "Subprogramme"), "subprogramme", &form.subprogramme, false))
                (select(signed.t("Etapa", "Stage"), "stage", &stages, &form.stage, errors))
                (select(signed.t("Modalidad de ejecución", "Execution modality"), "modality", &modalities, &form.modality, errors))
                (select(signed.t("Fuente de financiamiento", "Financing source"), "financingSource", &sources, &form.financing_source, errors))
                (checkbox(signed.t("Presupuesto participativo", "Participatory budget"), "participatoryBudget", checked(&form.participatory_budget)))
                (checkbox(signed.t("Priorizada por el órgano coordinador", "Prioritised by the coordinating body"), "prioritised", checked(&form.prioritised)))
            }
            fieldset {
                legend { (signed.t("Ejecutor y ubicación", "Executor and location")) }
                (select(signed.t("Actor ejecutor", "Executing actor"), "executingActorId", &actors, &form.executing_actor_id, errors))
                (text(signed.t("Unidad ejecutora (si no es el actor mismo)", "Executing unit (when not the actor itself)"), "executingUnit", &form.executing_unit, false))
                (text(signed.t("Ubigeo (departamento, provincia o distrito)", "Ubigeo (department, province or district)"), "ubigeo", &form.ubigeo, true))
                (text(signed.t("Latitud (opcional)", "Latitude (optional)"), "latitude", &form.latitude, false))
                (text(signed.t("Longitud (opcional)", "Longitude (optional)"), "longitude", &form.longitude, false))
                (text(signed.t("Beneficiarios", "Beneficiaries"), "beneficiaries", &form.beneficiaries, false))
            }
            fieldset {
                legend { (signed.t("Montos y fechas", "Amounts and dates")) }
                (text(signed.t("Monto viable (S/)", "Viable amount (S/)"), "viableAmount", &form.viable_amount, false))
                (text(signed.t("Costo total actualizado (S/)", "Updated total cost (S/)"), "updatedCost", &form.updated_cost, false))
                (date(signed.t("Fecha de viabilidad", "Viability date"), "viabilityDate", &form.viability_date))
                (date(signed.t("Inicio de ejecución", "Start of execution"), "startDate", &form.start_date))
                (date(signed.t("Fin previsto", "Planned end"), "plannedEndDate", &form.planned_end_date))
            }
            fieldset {
                legend { (signed.t("A qué sirve y cómo se planificó", "What it serves and how it was planned")) }
                (area(signed.t("Objetivos e indicadores, uno por línea: «CÓDIGO: cambio esperado» (p. ej. «I2.1: +3 puntos al 2026»)", "Objectives and indicators, one per line: “CODE: expected change” (e.g. “I2.1: +3 points by 2026”)"), "links", &form.links, 4, errors))
                (area(signed.t("Curvas previstas, un año por línea: «2025: 12 montos acumulados separados por ;» (o pegue la fila de una hoja de cálculo)", "Planned curves, one year per line: “2025: 12 cumulative amounts separated by ;” (or paste a spreadsheet row)"), "plannedCurves", &form.planned_curves, 3, errors))
            }
            button type="submit" { (if editing { signed.t("Guardar cambios", "Save changes") } else { signed.t("Registrar", "Record") }) }
        }
        details {
            summary { (signed.t("Objetivos e indicadores del ecosistema", "The ecosystem's objectives and indicators")) }
            ul {
                @for (_, code, name) in &targets.objectives { li { code { (code) } " " (name) } }
                @for (_, code, name) in &targets.indicators { li { code { (code) } " " (name) } }
            }
        }
        (extra)
    };
    let title = if editing {
        signed.t("Editar inversión", "Edit investment")
    } else {
        signed.t("Registrar una inversión", "Record an investment")
    };
    let mut res = page(req, signed, NAV, title, body);
    if !errors.is_empty() {
        *res.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn new_form(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    q: web::Query<DeskQuery>,
) -> WebResult {
    require_coordinator(&signed)?;
    let eco = chosen(&data, q.ecosistema.as_deref())
        .await?
        .ok_or_else(|| WebError::not_found("ecosistema / ecosystem"))?;
    let form = InvestmentForm {
        ecosistema: eco.slug.clone(),
        kind: InvestmentKind::Project.as_str().into(),
        level: GovernmentLevel::Regional.as_str().into(),
        function: InvestmentFunction::Education.as_str().into(),
        stage: InvestmentStage::Viable.as_str().into(),
        modality: ExecutionModality::Contract.as_str().into(),
        financing_source: FinancingSource::Canon.as_str().into(),
        ubigeo: eco.territory.to_string(),
        ..InvestmentForm::default()
    };
    form_page(
        &req,
        &signed,
        &data,
        &eco,
        &form,
        &FormErrors::default(),
        html! {},
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
struct IdQuery {
    #[serde(default)]
    id: String,
    notice: Option<String>,
}

/// The judged scores of an investment: one small form per criterion.
fn scores_block(signed: &Signed, r: &InvestmentRecord, settings: &Settings) -> Markup {
    let judged = &settings.criteria.judged;
    html! {
        section #puntajes {
            h2 { (signed.t("Puntajes de priorización", "Prioritisation scores")) }
            @if judged.is_empty() {
                p.hint { (signed.t(
                    "Este ecosistema no tiene criterios juzgados; defínalos en «Umbrales, criterios y techos».",
                    "This ecosystem has no judged criteria; define them under “Thresholds, criteria and envelopes”.")) }
            }
            @for j in judged {
                form.inline method="post" action="/app/inversiones/puntaje" {
                    (signed.csrf_field())
                    input type="hidden" name="id" value=(r.id);
                    input type="hidden" name="criterion" value=(j.code);
                    label for=(format!("score-{}", j.code)) { (j.name) " (" (signed.t("peso", "weight")) " " (j.weight) ")" }
                    " "
                    select id=(format!("score-{}", j.code)) name="score" {
                        option value="" selected[!r.scores.contains_key(&j.code)] { (signed.t("sin puntaje", "no score")) }
                        @for s in 1..=5 {
                            option value=(s) selected[r.scores.get(&j.code) == Some(&s)] { (s) }
                        }
                    }
                    " "
                    button type="submit" { (signed.t("Guardar", "Save")) }
                }
            }
        }
    }
}

async fn edit_form(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    q: web::Query<IdQuery>,
) -> WebResult {
    require_coordinator(&signed)?;
    let r = investment(&data, &q.id).await?;
    let eco = ecosystem_of(&data, &r).await?;
    let targets = Targets::of(&data, eco.id).await?;
    let settings = data.investment_settings(eco.id).await?;
    let extra = html! {
        (notice(&signed, q.notice.as_deref()))
        p { a href=(format!("/app/inversiones/avance?id={}", r.id)) { (signed.t("Registrar ejecución y avance físico", "Record execution and physical progress")) }
            " · " a href=(sheet_path(&eco.slug, &r)) { (signed.t("ficha pública", "public sheet")) } }
        (scores_block(&signed, &r, &settings))
    };
    form_page(
        &req,
        &signed,
        &data,
        &eco,
        &InvestmentForm::of(&r, &eco.slug, &targets),
        &FormErrors::default(),
        extra,
    )
    .await
}

/// A refused form shown again with its errors (422 for field errors, the error's own status
/// otherwise); refusals of the caller's rights as an error page.
async fn form_refused(
    req: &HttpRequest,
    signed: &Signed,
    data: &Ayni,
    eco: &Ecosystem,
    form: &InvestmentForm,
    e: AppError,
) -> WebResult {
    let e = shown_on_form(e)?;
    let mut res = form_page(req, signed, data, eco, form, &form_errors(&e), html! {}).await?;
    *res.status_mut() = form_status(&e);
    Ok(res)
}

async fn create(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    form: web::Form<InvestmentForm>,
) -> WebResult {
    let form = form.into_inner();
    signed.check_csrf(&form.csrf)?;
    require_coordinator(&signed)?;
    let eco = named_ecosystem(&data, Some(&form.ecosistema)).await?;
    let targets = Targets::of(&data, eco.id).await?;
    let result = match form.input(&targets) {
        Ok(input) => {
            data.create_investment(&signed.me.caller, eco.id, input)
                .await
        }
        Err(v) => Err(v.into()),
    };
    match result {
        Ok(_) => Ok(see_other(&format!(
            "{NAV}?ecosistema={}&notice=created",
            eco.slug
        ))),
        Err(e) => form_refused(&req, &signed, &data, &eco, &form, e).await,
    }
}

async fn edit(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    form: web::Form<InvestmentForm>,
) -> WebResult {
    let form = form.into_inner();
    signed.check_csrf(&form.csrf)?;
    require_coordinator(&signed)?;
    let r = investment(&data, &form.id).await?;
    let eco = ecosystem_of(&data, &r).await?;
    let targets = Targets::of(&data, eco.id).await?;
    let result = match form.input(&targets) {
        Ok(input) => data.update_investment(&signed.me.caller, r.id, input).await,
        Err(v) => Err(v.into()),
    };
    match result {
        Ok(_) => Ok(see_other(&format!(
            "{NAV}?ecosistema={}&notice=edited",
            eco.slug
        ))),
        Err(e) => form_refused(&req, &signed, &data, &eco, &form, e).await,
    }
}

// ---------------------------------------------------------------------------------------
// Execution snapshots and physical progress
// ---------------------------------------------------------------------------------------

/// The amounts a snapshot carries, as the use case names them, with their labels.
const AMOUNTS: [(&str, &str, &str); 7] = [
    ("pia", "PIA del año (S/)", "Year's PIA (S/)"),
    ("pim", "PIM del año (S/)", "Year's PIM (S/)"),
    ("certified", "Certificado (S/)", "Certified (S/)"),
    ("committed", "Compromiso anual (S/)", "Committed (S/)"),
    (
        "accrued",
        "Devengado del año a la fecha (S/)",
        "Accrued this year to date (S/)",
    ),
    ("paid", "Girado / pagado (S/)", "Paid (S/)"),
    (
        "accruedBefore",
        "Devengado de años anteriores (S/)",
        "Accrued in earlier years (S/)",
    ),
];

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProgressForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    as_of: String,
    pia: Option<String>,
    pim: Option<String>,
    certified: Option<String>,
    committed: Option<String>,
    accrued: Option<String>,
    paid: Option<String>,
    accrued_before: Option<String>,
    #[serde(default)]
    physical_progress: String,
    #[serde(default)]
    physical_measured_on: String,
    #[serde(default)]
    physical_evidence: String,
}

impl ProgressForm {
    fn amount(&self, name: &str) -> Option<&str> {
        match name {
            "pia" => self.pia.as_deref(),
            "pim" => self.pim.as_deref(),
            "certified" => self.certified.as_deref(),
            "committed" => self.committed.as_deref(),
            "accrued" => self.accrued.as_deref(),
            "paid" => self.paid.as_deref(),
            "accruedBefore" => self.accrued_before.as_deref(),
            _ => None,
        }
    }

    /// The use case's input. An amount field sent at all (even by a contributor, whose form
    /// has none) is passed on, so the use case decides who may give it.
    fn input(&self) -> Result<ProgressInput, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let mut amount = |name: &str| {
            self.amount(name)
                .and_then(|raw| e.check(number(name, raw)))
                .flatten()
        };
        let pia = amount("pia");
        let pim = amount("pim");
        let certified = amount("certified");
        let committed = amount("committed");
        let accrued = amount("accrued");
        let paid = amount("paid");
        let accrued_before = amount("accruedBefore");
        let physical = e
            .check(number("physicalProgress", &self.physical_progress))
            .flatten();
        e.into_result()?;
        Ok(ProgressInput {
            as_of: self.as_of.trim().to_string(),
            pia,
            pim,
            certified,
            committed,
            accrued,
            paid,
            accrued_before,
            physical_progress: physical,
            physical_measured_on: optional(&self.physical_measured_on),
            physical_evidence: optional(&self.physical_evidence),
        })
    }
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

/// The progress page: the investment, its snapshots and the form (every figure for the
/// coordinating body, physical progress only for the executing actor).
async fn progress_page(
    req: &HttpRequest,
    signed: &Signed,
    data: &Ayni,
    r: &InvestmentRecord,
    form: &ProgressForm,
    errors: &FormErrors,
    note: Option<&str>,
) -> WebResult {
    let lang = signed.lang;
    let right = right(signed, r)?;
    let eco = ecosystem_of(data, r).await?;
    let actors = actor_names(data).await?;
    let mut snapshots: Vec<_> = r.snapshots.iter().collect();
    snapshots.sort_by_key(|s| std::cmp::Reverse(s.as_of));
    let body = html! {
        (notice(signed, note))
        (errors.summary(lang))
        p.muted { (eco.name) " · CUI " (cui_text(r)) " · " (stage_word(lang, r.definition.stage)) " · " (executor(r, &actors)) }
        p { a href=(sheet_path(&eco.slug, r)) { (signed.t("ficha pública", "public sheet")) }
            @if right == Right::All { " · " a href=(format!("/app/inversiones/editar?id={}", r.id)) { (signed.t("editar la inversión", "edit the investment")) } } }
        form.stacked method="post" action="/app/inversiones/avance" {
            (signed.csrf_field())
            input type="hidden" name="id" value=(r.id);
            (field(signed.t("Fecha del corte", "Snapshot date"), "asOf", "date", &form.as_of, errors, FieldAttrs { required: true, autocomplete: None }))
            @if right == Right::All {
                fieldset {
                    legend { (signed.t("Ejecución financiera del año", "The year's financial execution")) }
                    p.hint { (signed.t(
                        "Un monto vacío se toma del corte de la misma fecha o del último corte anterior del mismo año.",
                        "An empty amount is taken from the snapshot of the same date, else from the latest earlier snapshot of the same year.")) }
                    @for (name, es, en) in AMOUNTS {
                        (field(tr(lang, es, en), name, "text", form.amount(name).unwrap_or(""), errors, FieldAttrs { required: false, autocomplete: Some("off") }))
                    }
                }
            }
            fieldset {
                legend { (signed.t("Avance físico", "Physical progress")) }
                (field(signed.t("Avance físico acumulado (%)", "Accumulated physical progress (%)"), "physicalProgress", "text", &form.physical_progress, errors, FieldAttrs { required: right == Right::PhysicalOnly, autocomplete: Some("off") }))
                (field(signed.t("Fecha de medición", "Measured on"), "physicalMeasuredOn", "date", &form.physical_measured_on, errors, FieldAttrs::default()))
                (area(signed.t("Evidencia (valorización, informe del supervisor, enlace)", "Evidence (valuation, supervisor's report, link)"), "physicalEvidence", &form.physical_evidence, 2, errors))
            }
            button type="submit" { (signed.t("Registrar", "Record")) }
        }
        h2 { (signed.t("Cortes registrados", "Recorded snapshots")) }
        @if snapshots.is_empty() { p { (signed.t("Aún no hay cortes.", "No snapshots yet.")) } } @else {
            div.table-scroll { table {
                thead { tr {
                    th scope="col" { (signed.t("Fecha", "Date")) }
                    th scope="col" { "PIA" } th scope="col" { "PIM" }
                    th scope="col" { (signed.t("Devengado del año", "Accrued this year")) }
                    th scope="col" { (signed.t("Devengado anterior", "Accrued before")) }
                    th scope="col" { (signed.t("Avance físico", "Physical progress")) }
                    th scope="col" { (signed.t("Evidencia", "Evidence")) }
                } }
                tbody { @for s in snapshots.iter().take(24) {
                    tr {
                        th scope="row" { (s.as_of) }
                        td.num { (soles(s.pia)) } td.num { (soles(s.pim)) }
                        td.num { (soles(s.accrued)) } td.num { (soles(s.accrued_before)) }
                        td { @match &s.physical { Some(p) => { (points(Some(p.percent))) " (" (p.measured_on) ")" }, None => "—" } }
                        td { @match &s.physical { Some(p) => (p.evidence), None => "" } }
                    }
                } }
            } }
        }
    };
    let mut res = page(
        req,
        signed,
        NAV,
        &format!("{}: {}", signed.t("Avance", "Progress"), r.definition.name),
        body,
    );
    if !errors.is_empty() {
        *res.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn progress_form(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    q: web::Query<IdQuery>,
) -> WebResult {
    let r = investment(&data, &q.id).await?;
    let form = ProgressForm {
        as_of: today(),
        physical_measured_on: today(),
        ..ProgressForm::default()
    };
    progress_page(
        &req,
        &signed,
        &data,
        &r,
        &form,
        &FormErrors::default(),
        q.notice.as_deref(),
    )
    .await
}

async fn record_progress(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    form: web::Form<ProgressForm>,
) -> WebResult {
    let form = form.into_inner();
    signed.check_csrf(&form.csrf)?;
    let r = investment(&data, &form.id).await?;
    let right = right(&signed, &r)?;
    let result = match form.input() {
        Ok(input) => {
            data.record_investment_progress(&signed.me.caller, r.id, input)
                .await
        }
        Err(v) => Err(v.into()),
    };
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/app/inversiones/avance?id={}&notice=progress",
            r.id
        ))),
        Err(e) => {
            let e = shown_on_form(e)?;
            let mut errors = form_errors(&e);
            let missing_amounts = errors
                .fields
                .iter()
                .any(|(f, _)| AMOUNTS.iter().any(|(name, _, _)| name == f));
            if right == Right::PhysicalOnly && missing_amounts {
                errors
                    .fields
                    .retain(|(f, _)| !AMOUNTS.iter().any(|(name, _, _)| name == f));
                errors.general.push(
                    signed
                        .t(
                            "Aún no hay cifras presupuestales de ese año para esta inversión: el órgano coordinador debe registrarlas (o importar el archivo del MEF) antes de su avance físico.",
                            "There are no budget figures of that year for this investment yet: the coordinating body must record them (or import MEF's file) before its physical progress.",
                        )
                        .to_string(),
                );
            }
            let mut res = progress_page(&req, &signed, &data, &r, &form, &errors, None).await?;
            *res.status_mut() = form_status(&e);
            Ok(res)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Judged scores
// ---------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct ScoreForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    criterion: String,
    #[serde(default)]
    score: String,
}

async fn score(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    form: web::Form<ScoreForm>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    require_coordinator(&signed)?;
    let r = investment(&data, &form.id).await?;
    let back = format!("/app/inversiones/editar?id={}", r.id);
    let value = match form.score.trim() {
        "" => None,
        raw => match raw.parse::<i32>() {
            Ok(v) => Some(v),
            Err(_) => {
                let e = AppError::invalid(
                    "score",
                    "integer",
                    "el puntaje es un entero de 1 a 5 / a score is an integer from 1 to 5",
                );
                return Ok(refused(&req, &signed, NAV, &e, &back, html! {}));
            }
        },
    };
    match data
        .score_investment(&signed.me.caller, r.id, form.criterion.clone(), value)
        .await
    {
        Ok(_) => Ok(see_other(&format!("{back}&notice=scored#puntajes"))),
        Err(e) => {
            let e = shown_on_form(e)?;
            Ok(refused(&req, &signed, NAV, &e, &back, html! {}))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Thresholds, criteria and envelopes
// ---------------------------------------------------------------------------------------

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ecosistema: String,
    #[serde(default)]
    stalled_months: String,
    #[serde(default)]
    physical_lag_points: String,
    #[serde(default)]
    plan_gap_points: String,
    #[serde(default)]
    pace_gap_points: String,
    #[serde(default)]
    pim_change_percent: String,
    #[serde(default)]
    gap_weight: String,
    #[serde(default)]
    stage_weight: String,
    #[serde(default)]
    scale_weight: String,
    #[serde(default)]
    scale_basis: String,
    /// One judged criterion per line: `code | name | weight`.
    #[serde(default)]
    judged: String,
    /// One envelope per line: `year: amount`.
    #[serde(default)]
    envelopes: String,
}

impl SettingsForm {
    fn of(slug: &str, s: &Settings) -> SettingsForm {
        let t = &s.thresholds;
        let c = &s.criteria;
        SettingsForm {
            ecosistema: slug.to_string(),
            stalled_months: t.stalled_months.to_string(),
            physical_lag_points: t.physical_lag_points.to_string(),
            plan_gap_points: t.plan_gap_points.to_string(),
            pace_gap_points: t.pace_gap_points.to_string(),
            pim_change_percent: t.pim_change_percent.to_string(),
            gap_weight: c.gap_weight.to_string(),
            stage_weight: c.stage_weight.to_string(),
            scale_weight: c.scale_weight.to_string(),
            scale_basis: c.scale_basis.as_str().to_string(),
            judged: c
                .judged
                .iter()
                .map(|j| format!("{} | {} | {}", j.code, j.name, j.weight))
                .collect::<Vec<_>>()
                .join("\n"),
            envelopes: s
                .envelopes
                .iter()
                .map(|(y, a)| format!("{y}: {a}"))
                .collect::<Vec<_>>()
                .join("\n"),
            ..SettingsForm::default()
        }
    }

    /// The use case's input: every part replaces the stored one; years no longer listed
    /// lose their envelope.
    fn input(&self, current: &Settings) -> Result<InvestmentSettingsInput, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let mut required = |field: &str, raw: &str| match number(field, raw) {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                e.push(FieldError::new(field, "required", "obligatorio / required"));
                None
            }
            Err(err) => {
                e.push(err);
                None
            }
        };
        let stalled = required("stalledMonths", &self.stalled_months);
        let lag = required("physicalLagPoints", &self.physical_lag_points);
        let plan = required("planGapPoints", &self.plan_gap_points);
        let pace = required("paceGapPoints", &self.pace_gap_points);
        let pim = required("pimChangePercent", &self.pim_change_percent);
        let gap_w = required("gapWeight", &self.gap_weight);
        let stage_w = required("stageWeight", &self.stage_weight);
        let scale_w = required("scaleWeight", &self.scale_weight);
        let basis = match self.scale_basis.trim().parse::<ScaleBasis>() {
            Ok(b) => Some(b),
            Err(_) => {
                e.push(FieldError::new(
                    "scaleBasis",
                    "unknown_value",
                    "cost o beneficiaries / cost or beneficiaries",
                ));
                None
            }
        };
        let mut judged = Vec::new();
        for line in self.judged.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            let weight = match parts.as_slice() {
                [_, _, w] => e.check(number("judged", w)).flatten(),
                _ => None,
            };
            match (parts.as_slice(), weight) {
                ([code, name, _], Some(weight)) => judged.push(JudgedCriterion {
                    code: code.to_string(),
                    name: name.to_string(),
                    weight,
                }),
                _ => e.push(FieldError::new(
                    "judged",
                    "format",
                    format!(
                        "«{}»: escriba «código | nombre | peso» / write “code | name | weight”",
                        line.chars().take(40).collect::<String>()
                    ),
                )),
            }
        }
        let mut envelopes: BTreeMap<i32, Option<f64>> =
            current.envelopes.keys().map(|y| (*y, None)).collect();
        for line in self
            .envelopes
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let parsed = line.split_once(':').and_then(|(y, a)| {
                let year = y.trim().parse::<i32>().ok()?;
                Some((year, number("envelopes", a)))
            });
            match parsed {
                Some((year, Ok(Some(amount)))) => {
                    envelopes.insert(year, Some(amount));
                }
                Some((_, Err(err))) => e.push(err),
                _ => e.push(FieldError::new(
                    "envelopes",
                    "format",
                    format!(
                        "«{}»: escriba «AÑO: monto» / write “YEAR: amount”",
                        line.chars().take(40).collect::<String>()
                    ),
                )),
            }
        }
        e.into_result()?;
        let (
            Some(stalled),
            Some(lag),
            Some(plan),
            Some(pace),
            Some(pim),
            Some(gap_w),
            Some(stage_w),
            Some(scale_w),
            Some(basis),
        ) = (
            stalled, lag, plan, pace, pim, gap_w, stage_w, scale_w, basis,
        )
        else {
            return Err(FieldError::new("input", "invalid", "invalid settings").into());
        };
        if stalled.fract() != 0.0 || stalled.abs() > 1000.0 {
            return Err(FieldError::new(
                "stalledMonths",
                "integer",
                "debe ser un número entero / must be a whole number",
            )
            .into());
        }
        Ok(InvestmentSettingsInput {
            thresholds: Some(AlertThresholds {
                stalled_months: stalled as i32,
                physical_lag_points: lag,
                plan_gap_points: plan,
                pace_gap_points: pace,
                pim_change_percent: pim,
            }),
            criteria: Some(Criteria {
                gap_weight: gap_w,
                stage_weight: stage_w,
                scale_weight: scale_w,
                scale_basis: basis,
                judged,
            }),
            envelopes: envelopes.into_iter().collect(),
        })
    }
}

async fn settings_page(
    req: &HttpRequest,
    signed: &Signed,
    eco: &Ecosystem,
    form: &SettingsForm,
    errors: &FormErrors,
    note: Option<&str>,
) -> HttpResponse {
    let lang = signed.lang;
    let number_field = |label: &str, name: &str, value: &str| {
        field(
            label,
            name,
            "text",
            value,
            errors,
            FieldAttrs {
                required: true,
                autocomplete: Some("off"),
            },
        )
    };
    let bases = options(
        ScaleBasis::ALL,
        |b| b.as_str(),
        |b| {
            match b {
                ScaleBasis::Cost => tr(lang, "Costo", "Cost"),
                ScaleBasis::Beneficiaries => tr(lang, "Beneficiarios", "Beneficiaries"),
            }
            .to_string()
        },
    );
    let body = html! {
        (notice(signed, note))
        (errors.summary(lang))
        p.muted { (eco.name) " · " a href=(format!("/e/{}/inversiones", eco.slug)) { (signed.t("ver en el portal", "see on the portal")) } }
        form.stacked method="post" action="/app/inversiones/parametros" {
            (signed.csrf_field())
            input type="hidden" name="ecosistema" value=(eco.slug);
            fieldset {
                legend { (signed.t("Umbrales de alerta", "Alert thresholds")) }
                (number_field(signed.t("Avance físico detenido: meses sin cambio", "Physical progress stalled: months without change"), "stalledMonths", &form.stalled_months))
                (number_field(signed.t("Avance físico rezagado frente al financiero: puntos", "Physical progress lagging the financial one: points"), "physicalLagPoints", &form.physical_lag_points))
                (number_field(signed.t("Devengado detrás de la curva prevista: puntos del PIM", "Accrued behind the planned curve: points of the PIM"), "planGapPoints", &form.plan_gap_points))
                (number_field(signed.t("Ejecución detrás del ritmo del año: puntos", "Execution behind the year's pace: points"), "paceGapPoints", &form.pace_gap_points))
                (number_field(signed.t("Cambio del PIM entre cortes: %", "PIM change between snapshots: %"), "pimChangePercent", &form.pim_change_percent))
            }
            fieldset {
                legend { (signed.t("Criterios de priorización (pesos)", "Prioritisation criteria (weights)")) }
                (number_field(signed.t("Brecha de los indicadores vinculados", "Gap of the linked indicators"), "gapWeight", &form.gap_weight))
                (number_field(signed.t("Etapa alcanzada", "Stage reached"), "stageWeight", &form.stage_weight))
                (number_field(signed.t("Escala", "Scale"), "scaleWeight", &form.scale_weight))
                (select(signed.t("La escala se mide por", "Scale is measured by"), "scaleBasis", &bases, &form.scale_basis, errors))
                (area(signed.t("Criterios juzgados (puntaje 1–5 por el órgano coordinador), uno por línea: «código | nombre | peso»", "Judged criteria (scored 1–5 by the coordinating body), one per line: “code | name | weight”"), "judged", &form.judged, 3, errors))
            }
            fieldset {
                legend { (signed.t("Techos presupuestales anuales", "Annual budget envelopes")) }
                (area(signed.t("Uno por línea: «AÑO: monto en soles»; borre una línea para quitar su techo", "One per line: “YEAR: amount in soles”; delete a line to remove its envelope"), "envelopes", &form.envelopes, 3, errors))
            }
            button type="submit" { (signed.t("Guardar", "Save")) }
        }
    };
    let mut res = page(
        req,
        signed,
        NAV,
        signed.t(
            "Umbrales, criterios y techos",
            "Thresholds, criteria and envelopes",
        ),
        body,
    );
    if !errors.is_empty() {
        *res.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

async fn settings_form(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    q: web::Query<DeskQuery>,
) -> WebResult {
    require_coordinator(&signed)?;
    let eco = chosen(&data, q.ecosistema.as_deref())
        .await?
        .ok_or_else(|| WebError::not_found("ecosistema / ecosystem"))?;
    let settings = data.investment_settings(eco.id).await?;
    Ok(settings_page(
        &req,
        &signed,
        &eco,
        &SettingsForm::of(&eco.slug, &settings),
        &FormErrors::default(),
        q.notice.as_deref(),
    )
    .await)
}

async fn save_settings(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    form: web::Form<SettingsForm>,
) -> WebResult {
    let form = form.into_inner();
    signed.check_csrf(&form.csrf)?;
    require_coordinator(&signed)?;
    let eco = named_ecosystem(&data, Some(&form.ecosistema)).await?;
    let current = data.investment_settings(eco.id).await?;
    let result = match form.input(&current) {
        Ok(input) => {
            data.set_investment_settings(&signed.me.caller, eco.id, input)
                .await
        }
        Err(v) => Err(v.into()),
    };
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/app/inversiones/parametros?ecosistema={}&notice=settings",
            eco.slug
        ))),
        Err(e) => {
            let e = shown_on_form(e)?;
            let mut res = settings_page(&req, &signed, &eco, &form, &form_errors(&e), None).await;
            *res.status_mut() = form_status(&e);
            Ok(res)
        }
    }
}

// ---------------------------------------------------------------------------------------
// MEF's file
// ---------------------------------------------------------------------------------------

/// The largest MEF file the form takes: the REST import's limit.
const MEF_UPLOAD_BYTES: usize = 256 * 1024 * 1024;

fn import_page(
    req: &HttpRequest,
    signed: &Signed,
    eco: &Ecosystem,
    as_of: &str,
    outcome: Markup,
) -> HttpResponse {
    let body = html! {
        (outcome)
        p.hint { (signed.t(
            "Suba el archivo «Detalle de inversiones» de Invierte.pe tal como lo publica el MEF (CSV en UTF-8 o Latin-1, separado por comas, punto y coma o barras). Cada importación es un corte con la fecha indicada: las filas fuera del territorio del ecosistema se omiten y cuentan; con un solo error no se guarda nada; el mismo archivo y fecha no escriben nada nuevo.",
            "Upload Invierte.pe's “Detalle de inversiones” file as MEF publishes it (CSV in UTF-8 or Latin-1, separated by commas, semicolons or bars). Each import is a snapshot dated as given: rows outside the ecosystem's territory are skipped and counted; with a single error nothing is stored; the same file and date write nothing new.")) }
        form.stacked method="post" action="/app/inversiones/importar" enctype="multipart/form-data" {
            (signed.csrf_field())
            input type="hidden" name="ecosistema" value=(eco.slug);
            p.muted { (eco.name) }
            (field(signed.t("Fecha del corte (la de la descarga del MEF)", "Snapshot date (when MEF's file was downloaded)"), "asOf", "date", as_of, &FormErrors::default(), FieldAttrs { required: true, autocomplete: None }))
            div.field {
                label for="f-file" { (signed.t("Archivo CSV del MEF", "MEF's CSV file")) }
                input #f-file name="file" type="file" accept=".csv,text/csv,text/plain" required;
            }
            button type="submit" { (signed.t("Importar", "Import")) }
        }
        p { a href=(format!("{NAV}?ecosistema={}", eco.slug)) { (signed.t("Volver a la cartera", "Back to the portfolio")) } }
    };
    page(
        req,
        signed,
        NAV,
        signed.t("Importar el archivo del MEF", "Import MEF's file"),
        body,
    )
}

/// A sentence the data gives in both languages, in the reader's.
fn in_lang<'a>(lang: Lang, es: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Es => es,
        Lang::En => en,
    }
}

fn import_report(signed: &Signed, r: &crate::app::InvestmentImportReport) -> Markup {
    let lang = signed.lang;
    let message = in_lang(lang, &r.message_es, &r.message_en);
    html! {
        @if r.imported {
            div.notice role="status" {
                p { strong { (message) } }
                ul {
                    li { (r.rows_read) " " (signed.t("filas leídas", "rows read")) ", " (r.skipped_outside) " " (signed.t("fuera del territorio", "outside the territory")) }
                    li { (r.investments_created) " " (signed.t("inversiones nuevas", "new investments")) ", " (r.investments_updated) " " (signed.t("actualizadas", "updated")) ", " (r.investments_unchanged) " " (signed.t("sin cambios", "unchanged")) }
                    li { (r.snapshots_written) " " (signed.t("cortes escritos", "snapshots written")) ", " (r.snapshots_unchanged) " " (signed.t("sin cambios", "unchanged")) }
                }
            }
        } @else {
            div.errors role="alert" tabindex="-1" {
                p { strong { (message) } }
            }
        }
        @for (caption, rows) in [(signed.t("Errores", "Errors"), &r.errors), (signed.t("Advertencias", "Warnings"), &r.warnings)] {
            @if !rows.is_empty() {
                div.table-scroll { table.data {
                    caption { (caption) }
                    thead { tr {
                        th scope="col" { (signed.t("Línea", "Line")) }
                        th scope="col" { (signed.t("Columna", "Column")) }
                        th scope="col" { (signed.t("Detalle", "Detail")) }
                    } }
                    tbody { @for e in rows.iter().take(500) {
                        tr { td { (e.line) } td { (e.column.as_deref().unwrap_or("")) } td { (in_lang(lang, &e.message_es, &e.message_en)) } }
                    } }
                } }
            }
        }
    }
}

async fn import_form(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    q: web::Query<DeskQuery>,
) -> WebResult {
    require_coordinator(&signed)?;
    let eco = chosen(&data, q.ecosistema.as_deref())
        .await?
        .ok_or_else(|| WebError::not_found("ecosistema / ecosystem"))?;
    Ok(import_page(&req, &signed, &eco, &today(), html! {}))
}

async fn import(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    payload: actix_multipart::Multipart,
) -> WebResult {
    require_coordinator(&signed)?;
    let form = read_multipart(&req, &signed, payload, MEF_UPLOAD_BYTES).await?;
    let eco = named_ecosystem(&data, form.text("ecosistema")).await?;
    let as_of_raw = form.text("asOf").unwrap_or_default().to_string();
    let refusal = |e: AppError| {
        let mut res = import_page(
            &req,
            &signed,
            &eco,
            &as_of_raw,
            FormErrors::from_app(&e).summary(signed.lang),
        );
        *res.status_mut() = form_status(&e);
        res
    };
    let as_of = match crate::domain::investment::parse_date("asOf", &as_of_raw)
        .map_err(AppError::from)
        .and_then(|d| crate::app::check_investment_as_of(d).map(|()| d))
    {
        Ok(d) => d,
        Err(e) => return Ok(refusal(e)),
    };
    let Some(bytes) = form.file.filter(|b| !b.is_empty()) else {
        return Ok(refusal(AppError::invalid(
            "file",
            "required",
            "elija un archivo / choose a file",
        )));
    };
    match data
        .import_investments(&signed.me.caller, &eco.slug, as_of, bytes)
        .await
    {
        Ok(report) => {
            let mut res = import_page(
                &req,
                &signed,
                &eco,
                &as_of_raw,
                import_report(&signed, &report),
            );
            if !report.imported {
                *res.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            }
            Ok(res)
        }
        Err(e) => Ok(refusal(shown_on_form(e)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_accept_thousands_separators_and_refuse_words() {
        assert_eq!(number("x", "").unwrap(), None);
        assert_eq!(number("x", "  ").unwrap(), None);
        assert_eq!(number("x", "1,250,000.50").unwrap(), Some(1_250_000.5));
        assert_eq!(number("x", "S/ 1 250 000").unwrap(), Some(1_250_000.0));
        assert_eq!(number("x", "-3.5").unwrap(), Some(-3.5));
        for bad in ["doce", "1.2.3", "NaN", "inf", &"9".repeat(40)] {
            assert!(number("x", bad).is_err(), "{bad}");
        }
        assert_eq!(whole("x", "1,200").unwrap(), Some(1200));
        assert!(whole("x", "1.5").is_err());
    }

    #[test]
    fn curves_read_semicolons_tabs_or_spaces() {
        let c = parse_curves("2025: 1;2;3;4;5;6;7;8;9;10;11;12\n\n2026:\t1\t2\t3").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].year, 2025);
        assert_eq!(c[0].months.len(), 12);
        assert_eq!(c[1].months, vec![1.0, 2.0, 3.0]);
        let spaced = parse_curves("2025: 1,000 2,000").unwrap();
        assert_eq!(spaced[0].months, vec![1000.0, 2000.0]);
        assert!(parse_curves("2025 1 2 3").is_err());
        assert!(parse_curves("dos mil: 1").is_err());
    }

    #[test]
    fn links_resolve_codes_and_refuse_unknown_or_ambiguous_ones() {
        let t = Targets {
            objectives: vec![
                (1, "OE1".into(), "Agua".into()),
                (2, "X".into(), "x".into()),
            ],
            indicators: vec![
                (7, "I2.1".into(), "Cobertura".into()),
                (8, "X".into(), "x".into()),
            ],
        };
        let links = t.parse("OE1: +3 puntos\n\nI2.1").unwrap();
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].objective_id, Some(1));
        assert_eq!(links[0].expected_change, "+3 puntos");
        assert_eq!(links[1].indicator_id, Some(7));
        assert_eq!(links[1].expected_change, "");
        assert_eq!(t.parse("OE9: x").unwrap_err().rule, "unknown_value");
        assert_eq!(t.parse("X: x").unwrap_err().rule, "ambiguous");
        assert_eq!(t.code_of(LinkTarget::Indicator(7)), "I2.1");
    }

    #[test]
    fn form_errors_point_at_the_form_field() {
        let e: AppError = ValidationErrors(vec![FieldError::new(
            "links.expectedChange",
            "length",
            "too long",
        )])
        .into();
        assert_eq!(form_errors(&e).for_field("links"), Some("too long"));
    }
}
