//! The coordinating body's review: the queue of values awaiting review (`/app/revision`),
//! approving, rejecting with a reason, approving a selection, approving an import, and the
//! period locks of an ecosystem (`/app/revision/cierres`). Every action calls the same use
//! case as GraphQL.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::{
    AppError, Ayni, MAX_LOCK_REASON, ReviewFilter, ReviewItem, ReviewKind, ReviewQueue,
};
use crate::domain::MeasurementStatus;
use crate::web::WebError;
use crate::web::charts::fmt_num;

use super::{FormErrors, Signed, form_status, page, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/app/revision").route(web::get().to(queue)))
        .service(web::resource("/app/revision/aprobar").route(web::post().to(approve)))
        .service(web::resource("/app/revision/rechazar").route(web::post().to(reject)))
        .service(web::resource("/app/revision/lote").route(web::post().to(approve_batch)))
        .service(web::resource("/app/revision/importacion").route(web::post().to(approve_import)))
        .service(web::resource("/app/revision/cierres").route(web::get().to(locks)))
        .service(web::resource("/app/revision/cierres/cerrar").route(web::post().to(lock)))
        .service(web::resource("/app/revision/cierres/abrir").route(web::post().to(unlock)));
}

type WebResult = Result<HttpResponse, WebError>;

const NAV: &str = "/app/revision";

/// A positive id from a form or query; anything else (empty, not a number, too large,
/// zero or negative) is a 400.
pub(super) fn parse_id(field: &str, raw: &str) -> Result<i64, WebError> {
    match raw.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(AppError::invalid(
            field,
            "id",
            format!("{field}: not an id / no es un identificador"),
        )
        .into()),
    }
}

/// Only coordinators and admins review.
fn require_reviewer(signed: &Signed) -> Result<(), WebError> {
    if signed.role().manages_strategy() {
        Ok(())
    } else {
        Err(WebError::forbidden(
            "solo coordinación y administración revisan / only coordinators and admins review",
        ))
    }
}

/// The notice shown after an action (a fixed code: nothing typed is reflected).
pub(super) fn notice(signed: &Signed, code: Option<&str>) -> Markup {
    let text = match code {
        Some("approved") => signed.t("Valor aprobado.", "Value approved."),
        Some("rejected") => signed.t("Valor rechazado.", "Value rejected."),
        Some("import") => signed.t("Importación aprobada.", "Import approved."),
        Some("locked") => signed.t("Periodo cerrado.", "Period locked."),
        Some("unlocked") => signed.t("Periodo reabierto.", "Period unlocked."),
        Some("answered") => signed.t("Respuesta registrada.", "Answer recorded."),
        Some("opened") => signed.t("Cuestionamiento registrado.", "Challenge recorded."),
        _ => return html! {},
    };
    html! { p.notice role="status" { (text) } }
}

/// A workspace page telling why an action was refused, with the status of the refusal.
pub(super) fn refused(
    req: &HttpRequest,
    signed: &Signed,
    nav: &str,
    e: &AppError,
    back: &str,
    extra: Markup,
) -> HttpResponse {
    let errors = FormErrors::from_app(e);
    let body = html! {
        (errors.summary(signed.lang))
        (extra)
        p { a href=(back) { (signed.t("Volver", "Back")) } }
    };
    let mut res = page(req, signed, nav, signed.t("No se pudo", "Not done"), body);
    *res.status_mut() = form_status(e);
    res
}

#[derive(Debug, Default, Deserialize)]
struct QueueQuery {
    ecosystem: Option<String>,
    actor: Option<String>,
    code: Option<String>,
    period: Option<String>,
    flagged: Option<String>,
    notice: Option<String>,
}

async fn queue(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    q: web::Query<QueueQuery>,
) -> WebResult {
    require_reviewer(&signed)?;
    let q = q.into_inner();
    let filter = ReviewFilter {
        ecosystem: q.ecosystem.clone(),
        actor: q.actor.clone(),
        code: q.code.clone(),
        period: q.period.clone(),
        flagged_only: q.flagged.is_some(),
    };
    let (queue, errors) = match data.review_queue(&signed.me.caller, filter).await {
        Ok(queue) => (queue, FormErrors::default()),
        Err(e @ AppError::Invalid(_)) => (ReviewQueue::default(), FormErrors::from_app(&e)),
        Err(e) => return Err(e.into()),
    };
    let body = queue_body(&signed, &q, &queue, &errors);
    let mut res = page(&req, &signed, NAV, signed.t("Revisión", "Review"), body);
    if !errors.is_empty() {
        *res.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    }
    Ok(res)
}

fn queue_body(signed: &Signed, q: &QueueQuery, queue: &ReviewQueue, errors: &FormErrors) -> Markup {
    let lang = signed.lang;
    let chosen = |v: &Option<String>, x: &str| v.as_deref().map(str::trim) == Some(x);
    html! {
        (notice(signed, q.notice.as_deref()))
        p { a href="/app/revision/cierres" { (signed.t("Cierres de periodo", "Period locks")) } }
        (errors.summary(lang))
        form.filters method="get" action="/app/revision" {
            label { (signed.t("Ecosistema", "Ecosystem"))
                select name="ecosystem" {
                    option value="" { (signed.t("Todos", "All")) }
                    @for (slug, name) in &queue.ecosystem_options {
                        option value=(slug) selected[chosen(&q.ecosystem, slug)] { (name) }
                    }
                }
            }
            label { (signed.t("Actor", "Actor"))
                select name="actor" {
                    option value="" { (signed.t("Todos", "All")) }
                    @for (id, name) in &queue.actor_options {
                        option value=(id) selected[chosen(&q.actor, &id.to_string())] { (name) }
                    }
                }
            }
            label { (signed.t("Código (indicador o variable)", "Code (indicator or variable)"))
                input #f-code name="code" type="text" value=(q.code.as_deref().unwrap_or(""));
            }
            label { (signed.t("Periodo", "Period"))
                input #f-period name="period" type="text" placeholder="2025, 2025-Q1, 2025-03" value=(q.period.as_deref().unwrap_or(""));
            }
            label.check { input name="flagged" type="checkbox" value="1" checked[q.flagged.is_some()]; " " (signed.t("Solo con alertas", "Flagged only")) }
            button type="submit" { (signed.t("Filtrar", "Filter")) }
        }
        @if queue.truncated {
            p.notice role="note" { (signed.t("Hay más valores de los que se muestran: afine los filtros.", "There are more values than shown: narrow the filters.")) }
        }
        h2 { (signed.t("Importaciones por aprobar", "Imports awaiting approval")) }
        @if queue.imports.is_empty() { p { (signed.t("Ninguna.", "None.")) } } @else {
            div.table-wrap { table #imports {
                thead { tr {
                    th { "#" } th { (signed.t("Ecosistema", "Ecosystem")) } th { (signed.t("Actor", "Actor")) }
                    th { (signed.t("Archivo", "File")) } th { (signed.t("Fecha", "Date")) } th.num { (signed.t("Filas por revisar", "Rows awaiting review")) } th { (signed.t("Acción", "Action")) }
                } }
                tbody { @for i in &queue.imports { tr {
                    td { (i.id) } td { (i.ecosystem.1) } td { (i.actor) } td { (i.file_name) }
                    td { (i.created_at.format("%Y-%m-%d %H:%M")) } td.num { (i.rows_awaiting) }
                    td { form.inline method="post" action="/app/revision/importacion" {
                        (signed.csrf_field())
                        input type="hidden" name="id" value=(i.id);
                        button type="submit" { (signed.t("Aprobar importación", "Approve import")) " " (i.id) }
                    } }
                } } }
            } }
        }
        h2 { (signed.t("Valores por revisar", "Values awaiting review")) " (" (queue.items.len()) ")" }
        @if queue.items.is_empty() { p { (signed.t("No hay valores por revisar.", "No values await review.")) } } @else {
            form #batch method="post" action="/app/revision/lote" {
                (signed.csrf_field())
                p { button type="submit" { (signed.t("Aprobar los seleccionados", "Approve the selected")) } }
            }
            @for item in &queue.items { (item_view(signed, item)) }
            p { button type="submit" form="batch" { (signed.t("Aprobar los seleccionados", "Approve the selected")) } }
        }
    }
}

fn kind_word(signed: &Signed, k: ReviewKind) -> &'static str {
    match k {
        ReviewKind::Indicator => signed.t("Indicador", "Indicator"),
        ReviewKind::Variable => signed.t("Variable", "Variable"),
        ReviewKind::Impact => signed.t("Contribución de impacto", "Impact contribution"),
    }
}

pub(super) fn status_word(signed: &Signed, s: MeasurementStatus) -> &'static str {
    match s {
        MeasurementStatus::Submitted => signed.t("por revisar", "awaiting review"),
        MeasurementStatus::Approved => signed.t("aprobado", "approved"),
        MeasurementStatus::Rejected => signed.t("rechazado", "rejected"),
    }
}

fn item_view(signed: &Signed, item: &ReviewItem) -> Markup {
    let m = &item.value;
    let id = m.id;
    html! {
        article.review-item #(format!("v{id}")) aria-labelledby=(format!("h-v{id}")) {
            h3 #(format!("h-v{id}")) {
                @if item.superseded_by.is_none() {
                    input #(format!("sel-{id}")) type="checkbox" name="id" value=(id) form="batch";
                    " "
                }
                label for=(format!("sel-{id}")) {
                    (kind_word(signed, item.kind)) " " code { (item.code) } " " (item.name)
                    " · " (m.period) " · " (item.actor)
                }
            }
            @if let Some(newer) = item.superseded_by {
                p.notice.superseded {
                    (signed.t("Reemplazado: el mismo actor envió después la revisión ", "Superseded: the same actor later sent revision "))
                    (newer) (signed.t(". Revise esa; esta solo puede rechazarse.", ". Review that one; this one can only be rejected."))
                }
            }
            dl.def {
                dt { (signed.t("Valor", "Value")) } dd { strong { (fmt_num(m.value)) } " " (item.unit) }
                dt { (signed.t("Actor", "Actor")) } dd { (item.actor) }
                dt { (signed.t("Ecosistema", "Ecosystem")) } dd {
                    @for (i, (_, name)) in item.ecosystems.iter().enumerate() { @if i > 0 { ", " } (name) }
                }
                dt { (signed.t("Territorio", "Territory")) } dd { (m.territory) @if !m.disaggregation.is_empty() { " · " (m.disaggregation) } }
                dt { (signed.t("Revisión", "Revision")) } dd { (m.revision) " · " (m.submitted_at.format("%Y-%m-%d %H:%M")) }
                dt { (signed.t("Evidencia", "Evidence")) } dd {
                    @if let Some(u) = &m.evidence_url { a href=(u) rel="nofollow noopener noreferrer" { (u) } " " }
                    @if let Some(t) = &m.evidence_text { (t) " " }
                    @if let Some(f) = &item.evidence_file { a.evidence-file href=(format!("/app/archivos/{f}")) { (signed.t("archivo de evidencia", "evidence file")) } }
                    @if m.evidence_url.is_none() && m.evidence_text.is_none() && item.evidence_file.is_none() { (signed.t("ninguna", "none")) }
                }
                @if !m.comment.is_empty() { dt { (signed.t("Comentario", "Comment")) } dd { (m.comment) } }
            }
            @if item.flags.is_empty() {
                p.muted { (signed.t("Sin alertas de calidad.", "No quality flags.")) }
            } @else {
                ul.flags { @for f in &item.flags {
                    li.flag { (f.kind.as_str()) " (z = " (format!("{:.1}", f.z_score)) "): " (f.reason) }
                } }
            }
            div.review-context {
                div {
                    h4 { (signed.t("Serie hasta ahora (aprobados)", "Series so far (approved)")) }
                    @if item.series.is_empty() { p.muted { (signed.t("Sin valores anteriores.", "No earlier values.")) } } @else {
                        table.series { thead { tr { th { (signed.t("Periodo", "Period")) } th.num { (signed.t("Valor", "Value")) } } }
                            tbody { @for (p, v) in &item.series { tr { td { (p) } td.num { (fmt_num(*v)) } } } } }
                    }
                }
                div {
                    h4 { (signed.t("Otros actores, misma celda", "Other actors, same cell")) }
                    @if item.others.is_empty() { p.muted { (signed.t("Ninguno.", "None.")) } } @else {
                        table.others { thead { tr { th { (signed.t("Actor", "Actor")) } th.num { (signed.t("Valor", "Value")) } th { (signed.t("Estado", "Status")) } } }
                            tbody { @for o in &item.others { tr { td { (o.actor) } td.num { (fmt_num(o.value)) } td { (status_word(signed, o.status)) " (rev. " (o.revision) ")" } } } } }
                    }
                }
            }
            div.review-actions {
                @if item.superseded_by.is_none() {
                    form.inline method="post" action="/app/revision/aprobar" {
                        (signed.csrf_field())
                        input type="hidden" name="id" value=(id);
                        button type="submit" { (signed.t("Aprobar", "Approve")) }
                    }
                }
                (reject_form(signed, id, &FormErrors::default()))
            }
        }
    }
}

fn reject_form(signed: &Signed, id: i64, errors: &FormErrors) -> Markup {
    let field_id = format!("reason-{id}");
    let error = errors.for_field("reason");
    html! {
        form.reject method="post" action="/app/revision/rechazar" {
            (signed.csrf_field())
            input type="hidden" name="id" value=(id);
            div.field {
                label for=(field_id) { (signed.t("Motivo del rechazo", "Reason for rejecting")) }
                @if let Some(m) = error { span.error id=(format!("e-{field_id}")) { (m) } }
                textarea id=(field_id) name="reason" rows="2" required
                    aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| format!("e-{field_id}"))] {}
            }
            button type="submit" { (signed.t("Rechazar", "Reject")) }
        }
    }
}

#[derive(Debug, Deserialize)]
struct IdForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
}

/// An approval by id (of a value or of an import): CSRF, role, id, then the use case; back
/// to the queue with `notice`, or the refusal with its status.
async fn approval<T>(
    req: &HttpRequest,
    signed: &Signed,
    form: &IdForm,
    notice: &str,
    run: impl AsyncFnOnce(i64) -> Result<T, AppError>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    require_reviewer(signed)?;
    let id = parse_id("id", &form.id)?;
    match run(id).await {
        Ok(_) => Ok(see_other(&format!("/app/revision?notice={notice}"))),
        Err(e @ (AppError::Forbidden(_) | AppError::Internal(_))) => Err(e.into()),
        Err(e) => Ok(refused(req, signed, NAV, &e, "/app/revision", html! {})),
    }
}

async fn approve(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    form: web::Form<IdForm>,
) -> WebResult {
    let caller = &signed.me.caller;
    approval(&req, &signed, &form, "approved", async |id| {
        data.approve_measurement(caller, id).await
    })
    .await
}

#[derive(Debug, Deserialize)]
struct RejectForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    reason: String,
}

async fn reject(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    form: web::Form<RejectForm>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    require_reviewer(&signed)?;
    let form = form.into_inner();
    let id = parse_id("id", &form.id)?;
    match data
        .reject_measurement(&signed.me.caller, id, form.reason)
        .await
    {
        Ok(_) => Ok(see_other("/app/revision?notice=rejected")),
        Err(e @ (AppError::Forbidden(_) | AppError::Internal(_))) => Err(e.into()),
        Err(e) => {
            let again = match &e {
                AppError::Invalid(_) => reject_form(&signed, id, &FormErrors::from_app(&e)),
                _ => html! {},
            };
            Ok(refused(&req, &signed, NAV, &e, "/app/revision", again))
        }
    }
}

/// Approves the checked values one by one; the page lists each one's outcome.
async fn approve_batch(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    body: web::Bytes,
) -> WebResult {
    let mut csrf = String::new();
    let mut raw_ids = Vec::new();
    let mut too_many = false;
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "csrf" => csrf = v.into_owned(),
            "id" if raw_ids.len() < crate::app::MAX_SELECTION => raw_ids.push(v.into_owned()),
            "id" => too_many = true,
            _ => {}
        }
    }
    signed.check_csrf(&csrf)?;
    require_reviewer(&signed)?;
    if too_many {
        return Err(AppError::invalid(
            "id",
            "length",
            format!("at most {} values at once", crate::app::MAX_SELECTION),
        )
        .into());
    }
    let mut ids = Vec::with_capacity(raw_ids.len());
    for raw in &raw_ids {
        ids.push(parse_id("id", raw)?);
    }
    let outcomes = match data.approve_selection(&signed.me.caller, ids).await {
        Ok(o) => o,
        Err(e @ AppError::Invalid(_)) => {
            return Ok(refused(&req, &signed, NAV, &e, "/app/revision", html! {}));
        }
        Err(e) => return Err(e.into()),
    };
    let approved = outcomes.iter().filter(|(_, r)| r.is_ok()).count();
    let body = html! {
        p.notice role="status" {
            (approved) " / " (outcomes.len()) " " (signed.t("valores aprobados.", "values approved."))
        }
        div.table-wrap { table #batch-result {
            thead { tr { th { (signed.t("Valor", "Value")) } th { (signed.t("Resultado", "Outcome")) } } }
            tbody { @for (id, r) in &outcomes { tr {
                td { (id) }
                td { @match r {
                    Ok(_) => { (signed.t("aprobado", "approved")) }
                    Err(e) => { span.error { (signed.t("no aprobado: ", "not approved: ")) (FormErrors::from_app(e).general.join("; ")) (FormErrors::from_app(e).fields.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("; ")) } }
                } }
            } } }
        } }
        p { a href="/app/revision" { (signed.t("Volver a la revisión", "Back to the review")) } }
    };
    Ok(page(
        &req,
        &signed,
        NAV,
        signed.t("Aprobación en lote", "Batch approval"),
        body,
    ))
}

async fn approve_import(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    form: web::Form<IdForm>,
) -> WebResult {
    let caller = &signed.me.caller;
    approval(&req, &signed, &form, "import", async |id| {
        match data.approve_import(caller, id).await? {
            0 => Err(AppError::Conflict {
                field: "id".into(),
                message: format!("import {id} has no rows awaiting review"),
            }),
            n => Ok(n),
        }
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
struct LocksQuery {
    ecosystem: Option<String>,
    notice: Option<String>,
}

async fn locks(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    q: web::Query<LocksQuery>,
) -> WebResult {
    require_reviewer(&signed)?;
    let title = signed.t("Cierres de periodo", "Period locks");
    let Some(slug) = q
        .ecosystem
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        let ecosystems = data.ecosystems().await?;
        let body = html! {
            p { (signed.t("Elija un ecosistema:", "Choose an ecosystem:")) }
            ul { @for e in &ecosystems {
                li { a href=(format!("/app/revision/cierres?ecosystem={}", e.slug)) { (e.name) } }
            } }
        };
        return Ok(page(&req, &signed, NAV, title, body));
    };
    let eco = data
        .ecosystem_by_slug(slug.to_string())
        .await?
        .ok_or_else(|| WebError::not_found("ecosistema / ecosystem"))?;
    let locks = data.period_locks(eco.id, true).await?;
    let body = html! {
        (notice(&signed, q.notice.as_deref()))
        h2 { (eco.name) }
        @if locks.is_empty() { p { (signed.t("Ningún periodo cerrado.", "No period is locked.")) } } @else {
            div.table-wrap { table #locks {
                thead { tr {
                    th { (signed.t("Periodo", "Period")) } th { (signed.t("Motivo", "Reason")) } th { (signed.t("Cerrado", "Locked")) }
                    th { (signed.t("Estado", "State")) } th { (signed.t("Reabrir", "Unlock")) }
                } }
                tbody { @for l in &locks { tr {
                    td { (l.period) } td { (l.reason) } td { (l.locked_at.format("%Y-%m-%d %H:%M")) }
                    td { @if let Some(at) = l.unlocked_at {
                        (signed.t("reabierto ", "unlocked ")) (at.format("%Y-%m-%d")) ": " (l.unlock_reason.as_deref().unwrap_or(""))
                    } @else { strong { (signed.t("cerrado", "locked")) } } }
                    td { @if l.unlocked_at.is_none() {
                        form.inline method="post" action="/app/revision/cierres/abrir" {
                            (signed.csrf_field())
                            input type="hidden" name="ecosystem" value=(eco.slug);
                            input type="hidden" name="period" value=(l.period);
                            label { (signed.t("Motivo", "Reason")) " " input type="text" name="reason" required maxlength=(MAX_LOCK_REASON); }
                            " "
                            button type="submit" { (signed.t("Reabrir", "Unlock")) " " (l.period) }
                        }
                    } }
                } } }
            } }
        }
        h2 { (signed.t("Cerrar un periodo", "Lock a period")) }
        (lock_form(&signed, &eco.slug, "", "", &FormErrors::default()))
    };
    Ok(page(&req, &signed, NAV, title, body))
}

fn lock_form(
    signed: &Signed,
    slug: &str,
    period: &str,
    reason: &str,
    errors: &FormErrors,
) -> Markup {
    html! {
        form.stacked method="post" action="/app/revision/cierres/cerrar" {
            (signed.csrf_field())
            input type="hidden" name="ecosystem" value=(slug);
            (super::field(signed.t("Periodo (2025, 2025-Q1, 2025-03)", "Period (2025, 2025-Q1, 2025-03)"), "period", "text", period, errors,
                super::FieldAttrs { required: true, autocomplete: None }))
            (super::field(signed.t("Motivo", "Reason"), "reason", "text", reason, errors,
                super::FieldAttrs { required: true, autocomplete: None }))
            button type="submit" { (signed.t("Cerrar el periodo", "Lock the period")) }
        }
    }
}

#[derive(Debug, Deserialize)]
struct LockForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ecosystem: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    reason: String,
}

async fn lock(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    form: web::Form<LockForm>,
) -> WebResult {
    lock_or_unlock(req, signed, data, form.into_inner(), true).await
}

async fn unlock(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    form: web::Form<LockForm>,
) -> WebResult {
    lock_or_unlock(req, signed, data, form.into_inner(), false).await
}

async fn lock_or_unlock(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    form: LockForm,
    locking: bool,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    require_reviewer(&signed)?;
    let eco = data
        .ecosystem_by_slug(form.ecosystem.clone())
        .await?
        .ok_or_else(|| WebError::not_found("ecosistema / ecosystem"))?;
    let caller = &signed.me.caller;
    let done = if locking {
        data.lock_period(caller, eco.id, form.period.clone(), form.reason.clone())
            .await
    } else {
        data.unlock_period(caller, eco.id, form.period.clone(), form.reason.clone())
            .await
    };
    let back = format!("/app/revision/cierres?ecosystem={}", eco.slug);
    match done {
        Ok(_) => Ok(see_other(&format!(
            "{back}&notice={}",
            if locking { "locked" } else { "unlocked" }
        ))),
        Err(e @ (AppError::Forbidden(_) | AppError::Internal(_))) => Err(e.into()),
        Err(e) => {
            let again = if locking {
                lock_form(
                    &signed,
                    &eco.slug,
                    &form.period,
                    &form.reason,
                    &FormErrors::from_app(&e),
                )
            } else {
                html! {}
            };
            Ok(refused(&req, &signed, NAV, &e, &back, again))
        }
    }
}
