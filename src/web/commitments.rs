//! The coordinating body's commitments on the portal: `/e/{slug}/compromisos` (counts by
//! status, the overdue ones first and said in words, the table with evidence and history)
//! and the same rows as open data, `/e/{slug}/compromisos.{csv,json}`.

use actix_web::{HttpRequest, web};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};

use crate::app::{Ayni, CommitmentFilter, CommitmentList, CommitmentView, commitments_today};
use crate::domain::commitment::{CommitmentKind, CommitmentSource, CommitmentStatus, Timeliness};

use super::data::{OpenDataFormat, format_of, respond};
use super::i18n::Lang;
use super::pages::{html_response, layout, with_lang};
use super::{WebError, WebResult, app};

/// Spanish or English, inline.
pub(crate) fn tr(lang: Lang, es: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Es => es,
        Lang::En => en,
    }
}

pub(crate) fn kind_word(lang: Lang, k: CommitmentKind) -> &'static str {
    match k {
        CommitmentKind::Agreement => tr(lang, "Acuerdo", "Agreement"),
        CommitmentKind::Commitment => tr(lang, "Compromiso", "Commitment"),
        CommitmentKind::Decision => tr(lang, "Decisión", "Decision"),
        CommitmentKind::Recommendation => tr(lang, "Recomendación", "Recommendation"),
    }
}

pub(crate) fn source_word(lang: Lang, s: CommitmentSource) -> &'static str {
    match s {
        CommitmentSource::Meeting => tr(lang, "Sesión", "Meeting"),
        CommitmentSource::Report => tr(lang, "Informe", "Report"),
        CommitmentSource::Other => tr(lang, "Otra fuente", "Other source"),
    }
}

pub(crate) fn status_word(lang: Lang, s: CommitmentStatus) -> &'static str {
    match s {
        CommitmentStatus::Pending => tr(lang, "Pendiente", "Pending"),
        CommitmentStatus::InProgress => tr(lang, "En curso", "In progress"),
        CommitmentStatus::Fulfilled => tr(lang, "Cumplido", "Fulfilled"),
        CommitmentStatus::Dropped => tr(lang, "Desestimado", "Dropped"),
    }
}

/// The status with its timeliness in words (never colour alone): "VENCIDO hace 12 días",
/// "cumplido con 3 días de retraso".
pub(crate) fn status_cell(lang: Lang, v: &CommitmentView) -> Markup {
    let (class, shape) = match (v.status, v.timeliness) {
        (_, Timeliness::Overdue { .. }) => ("st st-red", "■"),
        (CommitmentStatus::Fulfilled, _) => ("st st-green", "●"),
        (CommitmentStatus::Dropped, _) => ("st st-grey", "○"),
        _ => ("st st-amber", "▲"),
    };
    html! {
        span class=(class) { span aria-hidden="true" { (shape) " " } (status_word(lang, v.status)) }
        @match v.timeliness {
            Timeliness::Overdue { days } => {
                br; strong.overdue { (tr(lang, "VENCIDO", "OVERDUE")) } " "
                small { (days_text(lang, days, tr(lang, "de atraso", "late"))) }
            }
            Timeliness::FulfilledLate { days } => {
                br; small.late { (tr(lang, "cumplido con retraso", "fulfilled late")) " (" (days_text(lang, days, "")) ")" }
            }
            _ => {}
        }
    }
}

fn days_text(lang: Lang, days: i64, suffix: &str) -> String {
    let unit = match (lang, days) {
        (Lang::Es, 1) => "día",
        (Lang::Es, _) => "días",
        (Lang::En, 1) => "day",
        (Lang::En, _) => "days",
    };
    if suffix.is_empty() {
        format!("{days} {unit}")
    } else {
        format!("{days} {unit} {suffix}")
    }
}

/// The commitment's text in the reader's language (Spanish when there is no English).
pub(crate) fn text_of(lang: Lang, v: &CommitmentView) -> &str {
    match (lang, &v.text_en) {
        (Lang::En, Some(en)) => en,
        _ => &v.text,
    }
}

/// The evidence of fulfilment, or the reason for dropping.
pub(crate) fn evidence_cell(lang: Lang, v: &CommitmentView) -> Markup {
    html! {
        @if let Some(u) = &v.evidence_url {
            a href=(u) rel="nofollow noopener" { (tr(lang, "Evidencia", "Evidence")) }
            @if v.evidence_text.is_some() { br; }
        }
        @if let Some(t) = &v.evidence_text { small { (t) } }
        @if v.status == CommitmentStatus::Dropped {
            @if let Some(r) = &v.status_note { small { strong { (tr(lang, "Motivo: ", "Reason: ")) } (r) } }
        }
    }
}

/// The filters of the page and of its downloads, as typed in the address.
#[derive(Debug, Default, Deserialize)]
pub struct CommitmentsQuery {
    #[serde(default)]
    pub lang: Lang,
    pub estado: Option<String>,
    pub vencidos: Option<String>,
    pub actor: Option<String>,
    pub tipo: Option<String>,
    pub objetivo: Option<String>,
}

fn bad(message: String) -> WebError {
    WebError {
        status: 400,
        message,
    }
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

impl CommitmentsQuery {
    fn filter(&self) -> Result<CommitmentFilter, WebError> {
        let status = given(&self.estado)
            .map(|s| {
                s.parse::<CommitmentStatus>().map_err(|()| {
                    bad(format!(
                        "estado desconocido / unknown status: {} (pending, in_progress, fulfilled, dropped)",
                        clip(s)
                    ))
                })
            })
            .transpose()?;
        let overdue = match given(&self.vencidos) {
            None => None,
            Some("si" | "sí" | "yes" | "true" | "1") => Some(true),
            Some("no" | "false" | "0") => Some(false),
            Some(other) => {
                return Err(bad(format!(
                    "vencidos: si o no / vencidos: yes or no (got {})",
                    clip(other)
                )));
            }
        };
        let actor_id = given(&self.actor)
            .map(|a| {
                a.parse::<i64>()
                    .map_err(|_| bad(format!("actor: un número / a number (got {})", clip(a))))
            })
            .transpose()?;
        let kind = given(&self.tipo)
            .map(|k| {
                k.parse::<CommitmentKind>().map_err(|()| {
                    bad(format!(
                        "tipo desconocido / unknown kind: {} (agreement, commitment, decision, recommendation)",
                        clip(k)
                    ))
                })
            })
            .transpose()?;
        let objective_code = match given(&self.objetivo) {
            Some(o) if o.chars().count() > 40 || o.chars().any(char::is_control) => {
                return Err(bad("objetivo: un código / an objective code".into()));
            }
            other => other.map(str::to_string),
        };
        Ok(CommitmentFilter {
            status,
            overdue,
            actor_id,
            kind,
            objective_id: None,
            objective_code,
        })
    }

    /// The filters as a query string (for the download links), without the language.
    fn pairs(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("estado", &self.estado),
            ("vencidos", &self.vencidos),
            ("actor", &self.actor),
            ("tipo", &self.tipo),
            ("objetivo", &self.objetivo),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }
}

async fn load(
    data: &web::Data<Ayni>,
    slug: &str,
    q: &CommitmentsQuery,
) -> Result<CommitmentList, WebError> {
    let filter = q.filter()?;
    Ok(app(data)
        .commitments(slug.to_string(), filter, commitments_today())
        .await?)
}

/// The commitments table (also on the indicator page, for its objective's commitments).
pub(crate) fn table(lang: Lang, slug: &str, items: &[CommitmentView]) -> Markup {
    html! {
        div.table-wrap { table.commitments {
            thead { tr {
                th scope="col" { (tr(lang, "Texto", "Text")) }
                th scope="col" { (tr(lang, "Tipo", "Kind")) }
                th scope="col" { (tr(lang, "Fuente", "Source")) }
                th scope="col" { (tr(lang, "Responsable", "Responsible")) }
                th scope="col" { (tr(lang, "Plazo", "Deadline")) }
                th scope="col" { (tr(lang, "Estado", "Status")) }
                th scope="col" { (tr(lang, "Evidencia", "Evidence")) }
            } }
            tbody {
                @for v in items {
                    tr id=(format!("c{}", v.id)) class=[v.timeliness.is_overdue().then_some("is-overdue")] {
                        td {
                            (text_of(lang, v))
                            @if !v.objectives.is_empty() || !v.cuis.is_empty() {
                                br; small.muted {
                                    @for (n, o) in v.objectives.iter().enumerate() {
                                        @if n > 0 { ", " }
                                        a href=(with_lang(&format!("/e/{slug}/compromisos?objetivo={}", o.code), lang)) title=(o.name) { (o.code) }
                                    }
                                    @if !v.cuis.is_empty() {
                                        @if !v.objectives.is_empty() { " · " }
                                        "CUI " (v.cuis.join(", "))
                                    }
                                }
                            }
                        }
                        td { (kind_word(lang, v.kind)) }
                        td { (source_word(lang, v.source)) ": " (v.source_reference) br; small.muted { (v.source_date) } }
                        td { (v.responsible.name) }
                        td { @match v.deadline { Some(d) => (d), None => span.muted { (tr(lang, "sin plazo", "no deadline")) } } }
                        td {
                            (status_cell(lang, v))
                            @if v.history.len() > 1 {
                                details {
                                    summary { (tr(lang, "Historial", "History")) }
                                    ol.history {
                                        @for h in &v.history {
                                            li { (h.changed_at.format("%Y-%m-%d")) " — " (status_word(lang, h.status))
                                                @if let Some(n) = &h.note { ": " (n) } }
                                        }
                                    }
                                }
                            }
                        }
                        td { (evidence_cell(lang, v)) }
                    }
                }
            }
        } }
    }
}

/// `/e/{slug}/compromisos`: public.
pub async fn page(
    req: HttpRequest,
    data: web::Data<Ayni>,
    path: web::Path<String>,
    q: web::Query<CommitmentsQuery>,
) -> WebResult {
    let lang = q.lang;
    let list = load(&data, &path, &q).await?;
    let eco = &list.ecosystem;
    let c = &list.counts;
    let filters = q.pairs();
    let download = |format: &str| {
        if filters.is_empty() {
            format!("/e/{}/compromisos.{format}", eco.slug)
        } else {
            format!("/e/{}/compromisos.{format}?{filters}", eco.slug)
        }
    };
    let selected = |v: &Option<String>, want: &str| v.as_deref() == Some(want);
    let body = html! {
        p { a href=(with_lang(&format!("/e/{}", eco.slug), lang)) { "← " (eco.name) } }
        h1 { (tr(lang, "Compromisos", "Commitments")) " — " (eco.name) }
        p.muted { (tr(lang,
            "Acuerdos, compromisos, decisiones y recomendaciones del órgano coordinador, con su responsable, plazo y estado. Un compromiso está vencido cuando sigue abierto después de su plazo.",
            "Agreements, commitments, decisions and recommendations of the coordinating body, with who is responsible, the deadline and the status. A commitment is overdue when it is still open after its deadline.")) }
        div.kpis #counts {
            div.kpi { (tr(lang, "Total", "Total")) b { (c.total) } }
            div.kpi { (tr(lang, "Pendientes", "Pending")) b { (c.pending) } }
            div.kpi { (tr(lang, "En curso", "In progress")) b { (c.in_progress) } }
            div.kpi { (tr(lang, "Cumplidos", "Fulfilled")) b { (c.fulfilled) }
                @if c.fulfilled_late > 0 { small.late { (c.fulfilled_late) " " (tr(lang, "con retraso", "late")) } } }
            div.kpi { (tr(lang, "Desestimados", "Dropped")) b { (c.dropped) } }
            div.kpi.overdue-count { strong.overdue { (tr(lang, "Vencidos", "Overdue")) } b { (c.overdue) } }
        }
        form.filters method="get" action=(format!("/e/{}/compromisos", eco.slug)) {
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            label { (tr(lang, "Estado", "Status"))
                select name="estado" {
                    option value="" { (tr(lang, "todos", "all")) }
                    @for s in CommitmentStatus::ALL { option value=(s.as_str()) selected[selected(&q.estado, s.as_str())] { (status_word(lang, *s)) } }
                }
            }
            label { (tr(lang, "Vencidos", "Overdue"))
                select name="vencidos" {
                    option value="" { (tr(lang, "todos", "all")) }
                    option value="si" selected[selected(&q.vencidos, "si")] { (tr(lang, "solo vencidos", "overdue only")) }
                    option value="no" selected[selected(&q.vencidos, "no")] { (tr(lang, "no vencidos", "not overdue")) }
                }
            }
            label { (tr(lang, "Responsable", "Responsible"))
                select name="actor" {
                    option value="" { (tr(lang, "todos", "all")) }
                    @for a in &list.actors { option value=(a.id) selected[selected(&q.actor, &a.id.to_string())] { (a.name) } }
                }
            }
            label { (tr(lang, "Tipo", "Kind"))
                select name="tipo" {
                    option value="" { (tr(lang, "todos", "all")) }
                    @for k in CommitmentKind::ALL { option value=(k.as_str()) selected[selected(&q.tipo, k.as_str())] { (kind_word(lang, *k)) } }
                }
            }
            label { (tr(lang, "Objetivo", "Objective"))
                select name="objetivo" {
                    option value="" { (tr(lang, "todos", "all")) }
                    @for o in &list.objectives { option value=(o.code) selected[selected(&q.objetivo, &o.code)] { (o.code) " — " (o.name) } }
                }
            }
            button type="submit" { (tr(lang, "Aplicar", "Apply")) }
        }
        p.downloads { (tr(lang, "Descargar", "Download")) ": "
            a href=(download("csv")) { "CSV" }
            a href=(download("json")) { "JSON" } }
        @if list.items.is_empty() {
            p { (tr(lang, "No hay compromisos con estos filtros.", "No commitments match these filters.")) }
        } @else {
            (table(lang, &eco.slug, &list.items))
        }
    };
    Ok(html_response(layout(
        &req,
        lang,
        tr(lang, "Compromisos", "Commitments"),
        body,
        None,
        eco.illustrative,
    )))
}

/// One commitment as open data (CSV and JSON: the same columns).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CommitmentRow {
    id: i64,
    /// `agreement`, `commitment`, `decision` or `recommendation`.
    kind: &'static str,
    text_es: String,
    text_en: Option<String>,
    /// `meeting`, `report` or `other`.
    source: &'static str,
    source_reference: String,
    /// `YYYY-MM-DD`.
    source_date: String,
    responsible_actor: String,
    /// `YYYY-MM-DD`, empty without a deadline.
    deadline: Option<String>,
    /// `pending`, `in_progress`, `fulfilled` or `dropped`.
    status: &'static str,
    /// Open and past the deadline, as of `as_of`.
    overdue: bool,
    /// `no_deadline`, `on_time`, `overdue`, `fulfilled_on_time`, `fulfilled_late`, `dropped`.
    timeliness: &'static str,
    /// Days past the deadline (overdue or fulfilled late), else 0.
    days_late: i64,
    evidence_url: Option<String>,
    evidence_text: Option<String>,
    /// The reason for dropping, or a note on the status.
    status_note: Option<String>,
    /// When the current status was set (UTC).
    status_at: String,
    /// Objective codes, `;`-separated.
    objectives: String,
    /// Investment CUIs, `;`-separated.
    cuis: String,
    /// The day overdue is computed against (UTC).
    as_of: String,
}

/// The coordinating body's commitments, filtered as on the page.
#[utoipa::path(get, path = "/e/{slug}/compromisos.{format}", tag = "open-data",
    params(("slug" = String, Path, description = "The ecosystem"), ("format" = OpenDataFormat, Path, description = "`csv` or `json`"),
        ("estado" = Option<String>, Query, description = "Only this status: `pending`, `in_progress`, `fulfilled`, `dropped`"),
        ("vencidos" = Option<String>, Query, description = "`si`: only overdue ones; `no`: only those not overdue"),
        ("actor" = Option<i64>, Query, description = "Only this responsible actor (id)"),
        ("tipo" = Option<String>, Query, description = "Only this kind: `agreement`, `commitment`, `decision`, `recommendation`"),
        ("objetivo" = Option<String>, Query, description = "Only those linked to this objective (code, e.g. `OE3`)")),
    responses((status = 200, description = "One row per commitment, overdue first: kind, texts, source, responsible actor, deadline, status, overdue, evidence, linked objectives and CUIs", content((String = "text/csv"), (Vec<CommitmentRow> = "application/json"))),
              (status = 400, description = "A filter that is not one of its values"),
              (status = 404, description = "Unknown ecosystem or format")))]
pub async fn data(
    data: web::Data<Ayni>,
    path: web::Path<(String, String)>,
    q: web::Query<CommitmentsQuery>,
) -> WebResult {
    let (slug, format) = path.into_inner();
    let format = format_of(&format)?;
    let list = load(&data, &slug, &q).await?;
    let as_of = commitments_today().to_string();
    let rows: Vec<CommitmentRow> = list
        .items
        .into_iter()
        .map(|v| CommitmentRow {
            id: v.id,
            kind: v.kind.as_str(),
            source: v.source.as_str(),
            source_reference: v.source_reference,
            source_date: v.source_date.to_string(),
            responsible_actor: v.responsible.name,
            deadline: v.deadline.map(|d| d.to_string()),
            status: v.status.as_str(),
            overdue: v.timeliness.is_overdue(),
            timeliness: v.timeliness.as_str(),
            days_late: v.timeliness.days_late(),
            evidence_url: v.evidence_url,
            evidence_text: v.evidence_text,
            status_note: v.status_note,
            status_at: v.status_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            objectives: v
                .objectives
                .iter()
                .map(|o| o.code.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            cuis: v.cuis.join(";"),
            text_es: v.text,
            text_en: v.text_en,
            as_of: as_of.clone(),
        })
        .collect();
    respond(
        format,
        &format!("compromisos-{}", list.ecosystem.slug),
        &rows,
    )
}
