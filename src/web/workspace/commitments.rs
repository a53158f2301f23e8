//! Commitments in the workspace (`/app/compromisos`): coordinators and admins record, edit
//! and set the status of an ecosystem's commitments; a contributor sees its actor's
//! commitments and moves the open ones to in progress or fulfilled (with evidence).

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::{
    AppError, Ayni, CommitmentFilter, CommitmentInput, CommitmentList, CommitmentPatch,
    CommitmentView, ObjectiveRef, StatusInput, commitments_today,
};
use crate::domain::commitment::{CommitmentKind, CommitmentSource, CommitmentStatus};
use crate::web::WebError;
use crate::web::commitments::{evidence_cell, kind_word, source_word, status_cell, status_word};

use super::review::{parse_id, refused};
use super::{FieldAttrs, FormErrors, Signed, field, form_status, page, see_other, select};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/app/compromisos").route(web::get().to(desk)))
        .service(
            web::resource("/app/compromisos/nuevo")
                .route(web::get().to(new_form))
                .route(web::post().to(create)),
        )
        .service(
            web::resource("/app/compromisos/editar")
                .route(web::get().to(edit_form))
                .route(web::post().to(edit)),
        )
        .service(web::resource("/app/compromisos/estado").route(web::post().to(set_status)));
}

type WebResult = Result<HttpResponse, WebError>;

const NAV: &str = "/app/compromisos";

fn notice(signed: &Signed, code: Option<&str>) -> Markup {
    let text = match code {
        Some("created") => signed.t("Compromiso registrado.", "Commitment recorded."),
        Some("edited") => signed.t("Compromiso actualizado.", "Commitment updated."),
        Some("status") => signed.t("Estado actualizado.", "Status updated."),
        _ => return html! {},
    };
    html! { p.notice role="status" { (text) } }
}

fn require_coordinator(signed: &Signed) -> Result<(), WebError> {
    if signed.role().manages_strategy() {
        Ok(())
    } else {
        Err(WebError::forbidden(
            "solo coordinación y administración registran compromisos / only coordinators and admins record commitments",
        ))
    }
}

/// The status form of one commitment: every status for the coordinating body, in progress
/// and fulfilled for the responsible actor.
fn status_form(signed: &Signed, v: &CommitmentView, slug: &str, errors: &FormErrors) -> Markup {
    let coordinator = signed.role().manages_strategy();
    let choices: Vec<CommitmentStatus> = if coordinator {
        CommitmentStatus::ALL.to_vec()
    } else {
        vec![CommitmentStatus::InProgress, CommitmentStatus::Fulfilled]
    };
    let id = v.id;
    let fid = |name: &str| format!("s{id}-{name}");
    let err = |name: &str| errors.for_field(name);
    html! {
        form.stacked method="post" action="/app/compromisos/estado" {
            (signed.csrf_field())
            input type="hidden" name="id" value=(id);
            input type="hidden" name="ecosistema" value=(slug);
            div.field {
                label for=(fid("status")) { (signed.t("Nuevo estado", "New status")) }
                select id=(fid("status")) name="status" {
                    @for s in &choices { option value=(s.as_str()) selected[*s == v.status] { (status_word(signed.lang, *s)) } }
                }
            }
            div.field {
                label for=(fid("evidenceUrl")) { (signed.t("Evidencia: enlace (para «cumplido»)", "Evidence: link (for “fulfilled”)")) }
                @if let Some(m) = err("evidenceUrl") { span.error { (m) } }
                input id=(fid("evidenceUrl")) name="evidenceUrl" type="url" aria-invalid=[err("evidenceUrl").map(|_| "true")];
            }
            div.field {
                label for=(fid("evidenceText")) { (signed.t("Evidencia: texto (para «cumplido»)", "Evidence: text (for “fulfilled”)")) }
                @if let Some(m) = err("evidenceText") { span.error { (m) } }
                textarea id=(fid("evidenceText")) name="evidenceText" rows="2" aria-invalid=[err("evidenceText").map(|_| "true")] {}
            }
            div.field {
                label for=(fid("reason")) { (signed.t("Motivo (obligatorio para «desestimado») o nota", "Reason (required for “dropped”) or note")) }
                @if let Some(m) = err("reason") { span.error { (m) } }
                textarea id=(fid("reason")) name="reason" rows="2" aria-invalid=[err("reason").map(|_| "true")] {}
            }
            button type="submit" { (signed.t("Cambiar estado", "Change status")) }
        }
    }
}

fn item(signed: &Signed, v: &CommitmentView, slug: &str, editable: bool) -> Markup {
    let lang = signed.lang;
    let may_change = signed.role().manages_strategy() || v.status.is_open();
    html! {
        article.commitment id=(format!("c{}", v.id)) {
            h3 { (kind_word(lang, v.kind)) " " (v.id) " — " (status_cell(lang, v)) }
            p { (v.text) }
            p.muted {
                (source_word(lang, v.source)) ": " (v.source_reference) " (" (v.source_date) ") · "
                (signed.t("Responsable: ", "Responsible: ")) (v.responsible.name) " · "
                (signed.t("Plazo: ", "Deadline: "))
                @match v.deadline { Some(d) => (d), None => (signed.t("sin plazo", "no deadline")) }
                @if !v.objectives.is_empty() {
                    " · " (v.objectives.iter().map(|o| o.code.as_str()).collect::<Vec<_>>().join(", "))
                }
                @if !v.cuis.is_empty() { " · CUI " (v.cuis.join(", ")) }
            }
            p { (evidence_cell(lang, v)) }
            @if editable { p { a href=(format!("/app/compromisos/editar?id={}", v.id)) { (signed.t("Editar", "Edit")) } } }
            @if may_change {
                details {
                    summary { (signed.t("Cambiar estado", "Change status")) }
                    (status_form(signed, v, slug, &FormErrors::default()))
                }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct DeskQuery {
    ecosistema: Option<String>,
    notice: Option<String>,
}

/// The ecosystem a coordinator works on: the one asked for, or the first.
async fn chosen_ecosystem(data: &Ayni, asked: Option<&str>) -> Result<Option<String>, WebError> {
    let ecosystems = data.ecosystems().await?;
    Ok(match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(slug) => Some(
            ecosystems
                .iter()
                .find(|e| e.slug == slug)
                .map(|e| e.slug.clone())
                .ok_or_else(|| WebError::not_found("ecosistema / ecosystem"))?,
        ),
        None => ecosystems.first().map(|e| e.slug.clone()),
    })
}

async fn desk(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    q: web::Query<DeskQuery>,
) -> WebResult {
    let today = commitments_today();
    let body = if signed.role().manages_strategy() {
        let ecosystems = data.ecosystems().await?;
        let Some(slug) = chosen_ecosystem(&data, q.ecosistema.as_deref()).await? else {
            let body = html! { p { (signed.t("Aún no hay ecosistemas.", "No ecosystems yet.")) } };
            return Ok(page(
                &req,
                &signed,
                NAV,
                signed.t("Compromisos", "Commitments"),
                body,
            ));
        };
        let list = data
            .commitments(slug.clone(), CommitmentFilter::default(), today)
            .await?;
        let c = &list.counts;
        html! {
            (notice(&signed, q.notice.as_deref()))
            form.filters method="get" action=(NAV) {
                label { (signed.t("Ecosistema", "Ecosystem"))
                    select name="ecosistema" {
                        @for e in &ecosystems { option value=(e.slug) selected[e.slug == slug] { (e.name) } }
                    }
                }
                button type="submit" { (signed.t("Ver", "Show")) }
            }
            p { (c.total) " " (signed.t("compromisos", "commitments")) ": "
                (c.pending) " " (status_word(signed.lang, CommitmentStatus::Pending)) ", "
                (c.in_progress) " " (status_word(signed.lang, CommitmentStatus::InProgress)) ", "
                (c.fulfilled) " " (status_word(signed.lang, CommitmentStatus::Fulfilled)) ", "
                (c.dropped) " " (status_word(signed.lang, CommitmentStatus::Dropped)) " · "
                strong.overdue { (c.overdue) " " (signed.t("vencidos", "overdue")) } }
            p { a.button href=(format!("/app/compromisos/nuevo?ecosistema={slug}")) { (signed.t("Registrar un compromiso", "Record a commitment")) }
                " · " a href=(format!("/e/{slug}/compromisos")) { (signed.t("ver en el portal", "see on the portal")) } }
            @for v in &list.items { (item(&signed, v, &slug, true)) }
        }
    } else if let (Some(actor), true) = (
        signed.me.caller.actor_id,
        signed.role() == crate::domain::Role::Contributor,
    ) {
        let items = data.commitments_of_actor(actor, today).await?;
        html! {
            (notice(&signed, q.notice.as_deref()))
            p.hint { (signed.t(
                "Los compromisos de los que su organización es responsable. Puede marcarlos «en curso» o «cumplido» (con evidencia); el órgano coordinador decide lo demás.",
                "The commitments your organisation is responsible for. You may mark them “in progress” or “fulfilled” (with evidence); the coordinating body decides the rest.")) }
            @if items.is_empty() { p { (signed.t("Su organización no tiene compromisos.", "Your organisation has no commitments.")) } }
            @for v in &items { (item(&signed, v, "", false)) }
        }
    } else {
        html! { p { (signed.t(
        "Los compromisos son públicos: véalos en el portal de cada ecosistema.",
        "Commitments are public: see them on each ecosystem's portal page.")) } }
    };
    Ok(page(
        &req,
        &signed,
        NAV,
        signed.t("Compromisos", "Commitments"),
        body,
    ))
}

/// The fields of the record/edit form, as typed (names as the use case reports errors).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommitmentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    ecosistema: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    text_en: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    source_reference: String,
    #[serde(default)]
    source_date: String,
    #[serde(default)]
    responsible_actor_id: String,
    #[serde(default)]
    deadline: String,
    /// Objective codes, comma-separated.
    #[serde(default)]
    objective_ids: String,
    /// CUIs, comma-separated.
    #[serde(default)]
    cuis: String,
}

impl CommitmentForm {
    fn of(v: &CommitmentView, slug: &str) -> CommitmentForm {
        CommitmentForm {
            id: v.id.to_string(),
            ecosistema: slug.to_string(),
            text: v.text.clone(),
            text_en: v.text_en.clone().unwrap_or_default(),
            kind: v.kind.as_str().into(),
            source: v.source.as_str().into(),
            source_reference: v.source_reference.clone(),
            source_date: v.source_date.to_string(),
            responsible_actor_id: v.responsible.id.to_string(),
            deadline: v.deadline.map(|d| d.to_string()).unwrap_or_default(),
            objective_ids: v
                .objectives
                .iter()
                .map(|o| o.code.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            cuis: v.cuis.join(", "),
            ..CommitmentForm::default()
        }
    }

    /// The use case's input; codes that name no objective of the ecosystem are a field error.
    fn input(&self, objectives: &[ObjectiveRef]) -> Result<CommitmentInput, FormErrors> {
        let mut ids = Vec::new();
        let mut unknown = Vec::new();
        for code in split_list(&self.objective_ids) {
            match objectives.iter().find(|o| o.code == code) {
                Some(o) => ids.push(o.id),
                None => unknown.push(code.chars().take(20).collect::<String>()),
            }
        }
        if !unknown.is_empty() {
            return Err(FormErrors::field(
                "objectiveIds",
                format!(
                    "objetivos desconocidos / unknown objectives: {}",
                    unknown.join(", ")
                ),
            ));
        }
        let responsible = self.responsible_actor_id.trim().parse().unwrap_or(0);
        let optional = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        Ok(CommitmentInput {
            text: self.text.clone(),
            text_en: optional(&self.text_en),
            kind: self.kind.clone(),
            source: self.source.clone(),
            source_reference: self.source_reference.clone(),
            source_date: self.source_date.clone(),
            responsible_actor_id: responsible,
            deadline: optional(&self.deadline),
            objective_ids: ids,
            cuis: split_list(&self.cuis),
        })
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split([',', ';', ' ', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .take(200)
        .map(str::to_string)
        .collect()
}

/// The ecosystem a form names (its slug) and all its commitments.
async fn ecosystem_list(data: &Ayni, asked: &str) -> Result<(String, CommitmentList), WebError> {
    let slug = chosen_ecosystem(data, Some(asked))
        .await?
        .ok_or_else(|| WebError::not_found("ecosistema / ecosystem"))?;
    let list = data
        .commitments(
            slug.clone(),
            CommitmentFilter::default(),
            commitments_today(),
        )
        .await?;
    Ok((slug, list))
}

/// The record/edit form with its errors.
async fn form_page(
    req: &HttpRequest,
    signed: &Signed,
    data: &Ayni,
    form: &CommitmentForm,
    errors: &FormErrors,
) -> WebResult {
    let (slug, list) = ecosystem_list(data, &form.ecosistema).await?;
    let actors: Vec<(String, String)> = std::iter::once((String::new(), "—".to_string()))
        .chain(
            data.actors()
                .await?
                .into_iter()
                .map(|a| (a.id.to_string(), a.name)),
        )
        .collect();
    let lang = signed.lang;
    let kinds: Vec<(String, String)> = CommitmentKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), kind_word(lang, *k).to_string()))
        .collect();
    let sources: Vec<(String, String)> = CommitmentSource::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), source_word(lang, *s).to_string()))
        .collect();
    let editing = !form.id.is_empty();
    let action = if editing {
        "/app/compromisos/editar"
    } else {
        "/app/compromisos/nuevo"
    };
    let area = |label: &str, name: &str, value: &str, required: bool| {
        let id = format!("f-{name}");
        let error = errors.for_field(name);
        html! {
            div.field {
                label for=(id) { (label) }
                @if let Some(m) = error { span.error id=(format!("e-{name}")) { (m) } }
                textarea id=(id) name=(name) rows="3" required[required]
                    aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| format!("e-{name}"))] { (value) }
            }
        }
    };
    let body = html! {
        (errors.summary(lang))
        p.muted { (list.ecosystem.name) }
        form.stacked method="post" action=(action) {
            (signed.csrf_field())
            input type="hidden" name="id" value=(form.id);
            input type="hidden" name="ecosistema" value=(slug);
            (area(signed.t("Texto (español, público)", "Text (Spanish, public)"), "text", &form.text, true))
            (area(signed.t("Texto en inglés (opcional)", "Text in English (optional)"), "textEn", &form.text_en, false))
            (select(signed.t("Tipo", "Kind"), "kind", &kinds, &form.kind, errors))
            (select(signed.t("Fuente", "Source"), "source", &sources, &form.source, errors))
            (field(signed.t("Referencia de la fuente (p. ej. «Acta de la sesión del 12/03/2025»)", "Source reference (e.g. “Acta de la sesión del 12/03/2025”)"),
                "sourceReference", "text", &form.source_reference, errors, FieldAttrs { required: true, autocomplete: None }))
            (field(signed.t("Fecha de la fuente", "Source date"), "sourceDate", "date", &form.source_date, errors, FieldAttrs { required: true, autocomplete: None }))
            (select(signed.t("Actor responsable", "Responsible actor"), "responsibleActorId", &actors, &form.responsible_actor_id, errors))
            (field(signed.t("Plazo (opcional)", "Deadline (optional)"), "deadline", "date", &form.deadline, errors, FieldAttrs::default()))
            (field(signed.t("Objetivos (códigos separados por comas, p. ej. OE3, OE11)", "Objectives (codes separated by commas, e.g. OE3, OE11)"),
                "objectiveIds", "text", &form.objective_ids, errors, FieldAttrs::default()))
            (field(signed.t("Inversiones (CUI de 7 dígitos, separados por comas)", "Investments (7-digit CUIs, separated by commas)"),
                "cuis", "text", &form.cuis, errors, FieldAttrs::default()))
            button type="submit" { (if editing { signed.t("Guardar cambios", "Save changes") } else { signed.t("Registrar", "Record") }) }
        }
        details {
            summary { (signed.t("Objetivos del ecosistema", "The ecosystem's objectives")) }
            ul { @for o in &list.objectives { li { code { (o.code) } " " (o.name) } } }
        }
    };
    let title = if editing {
        signed.t("Editar compromiso", "Edit commitment")
    } else {
        signed.t("Registrar un compromiso", "Record a commitment")
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
    let form = CommitmentForm {
        ecosistema: q.ecosistema.clone().unwrap_or_default(),
        kind: "agreement".into(),
        source: "meeting".into(),
        ..CommitmentForm::default()
    };
    form_page(&req, &signed, &data, &form, &FormErrors::default()).await
}

#[derive(Debug, Default, Deserialize)]
struct IdQuery {
    #[serde(default)]
    id: String,
}

async fn edit_form(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    q: web::Query<IdQuery>,
) -> WebResult {
    require_coordinator(&signed)?;
    let id = parse_id("id", &q.id)?;
    let v = data
        .commitment(id, commitments_today())
        .await?
        .ok_or_else(|| WebError::not_found("compromiso / commitment"))?;
    let slug = data
        .ecosystems()
        .await?
        .into_iter()
        .find(|e| e.id == v.ecosystem_id)
        .map(|e| e.slug)
        .unwrap_or_default();
    form_page(
        &req,
        &signed,
        &data,
        &CommitmentForm::of(&v, &slug),
        &FormErrors::default(),
    )
    .await
}

/// A refused form shown again with its errors; other refusals as a page.
async fn form_refused(
    req: &HttpRequest,
    signed: &Signed,
    data: &Ayni,
    form: &CommitmentForm,
    e: AppError,
) -> WebResult {
    match e {
        e @ (AppError::Forbidden(_) | AppError::Internal(_)) => Err(e.into()),
        e @ AppError::Invalid(_) => {
            let mut res = form_page(req, signed, data, form, &FormErrors::from_app(&e)).await?;
            *res.status_mut() = form_status(&e);
            Ok(res)
        }
        e => Ok(refused(req, signed, NAV, &e, NAV, html! {})),
    }
}

/// A record/edit form, checked before the use case sees it.
enum Submitted {
    /// The ecosystem's slug and id, and the use case's input.
    Ready(String, i64, CommitmentInput),
    /// The form shown again with its errors.
    Shown(HttpResponse),
}

async fn submitted(
    req: &HttpRequest,
    signed: &Signed,
    data: &Ayni,
    form: &CommitmentForm,
) -> Result<Submitted, WebError> {
    signed.check_csrf(&form.csrf)?;
    require_coordinator(signed)?;
    let (slug, list) = ecosystem_list(data, &form.ecosistema).await?;
    match form.input(&list.objectives) {
        Ok(input) => Ok(Submitted::Ready(slug, list.ecosystem.id, input)),
        Err(errors) => Ok(Submitted::Shown(
            form_page(req, signed, data, form, &errors).await?,
        )),
    }
}

async fn create(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    form: web::Form<CommitmentForm>,
) -> WebResult {
    let form = form.into_inner();
    let (slug, ecosystem_id, input) = match submitted(&req, &signed, &data, &form).await? {
        Submitted::Ready(slug, id, input) => (slug, id, input),
        Submitted::Shown(res) => return Ok(res),
    };
    match data
        .create_commitment(&signed.me.caller, ecosystem_id, input)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/app/compromisos?ecosistema={slug}&notice=created"
        ))),
        Err(e) => form_refused(&req, &signed, &data, &form, e).await,
    }
}

async fn edit(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    form: web::Form<CommitmentForm>,
) -> WebResult {
    let form = form.into_inner();
    let (slug, _, input) = match submitted(&req, &signed, &data, &form).await? {
        Submitted::Ready(slug, id, input) => (slug, id, input),
        Submitted::Shown(res) => return Ok(res),
    };
    let id = parse_id("id", &form.id)?;
    let patch = CommitmentPatch {
        text: Some(input.text),
        text_en: Some(input.text_en),
        kind: Some(input.kind),
        source: Some(input.source),
        source_reference: Some(input.source_reference),
        source_date: Some(input.source_date),
        responsible_actor_id: Some(input.responsible_actor_id),
        deadline: Some(input.deadline),
        objective_ids: Some(input.objective_ids),
        cuis: Some(input.cuis),
    };
    match data.update_commitment(&signed.me.caller, id, patch).await {
        Ok(_) => Ok(see_other(&format!(
            "/app/compromisos?ecosistema={slug}&notice=edited"
        ))),
        Err(e) => form_refused(&req, &signed, &data, &form, e).await,
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    ecosistema: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    evidence_url: String,
    #[serde(default)]
    evidence_text: String,
    #[serde(default)]
    reason: String,
}

async fn set_status(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    form: web::Form<StatusForm>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let id = parse_id("id", &form.id)?;
    let optional = |s: String| Some(s).filter(|s| !s.trim().is_empty());
    let slug = form
        .ecosistema
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
        .then(|| form.ecosistema.clone())
        .filter(|s| !s.is_empty() && s.len() <= 64);
    let back = match &slug {
        Some(s) => format!("/app/compromisos?ecosistema={s}"),
        None => NAV.to_string(),
    };
    let input = StatusInput {
        status: form.status.clone(),
        evidence_url: optional(form.evidence_url),
        evidence_text: optional(form.evidence_text),
        reason: optional(form.reason),
    };
    match data
        .set_commitment_status(&signed.me.caller, id, input)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "{back}{}notice=status",
            if slug.is_some() { "&" } else { "?" }
        ))),
        Err(e @ (AppError::Forbidden(_) | AppError::Internal(_))) => Err(e.into()),
        Err(e) => {
            let again = match (&e, data.commitment(id, commitments_today()).await?) {
                (AppError::Invalid(_), Some(v)) => status_form(
                    &signed,
                    &v,
                    slug.as_deref().unwrap_or(""),
                    &FormErrors::from_app(&e),
                ),
                _ => html! {},
            };
            Ok(refused(&req, &signed, NAV, &e, &back, again))
        }
    }
}
