//! The value form (`/app/valor?indicador=ID|variable=ID|vec=ID&desarrollo=ID&periodo=P`):
//! a contributor submits or revises its actor's value for one cell, with evidence (a link, a
//! text and/or a file). GET shows the cell, the actor's earlier submissions with their state
//! and the form; POST (multipart, CSRF first) checks plausibility before anything is stored:
//! a hard error is a field error, a quality flag asks for a second submit with `confirmar`
//! ticked. A locked period refuses with the lock's reason. Submissions go through the same
//! use cases as GraphQL.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::ObservationInput;
use crate::app::{
    AppError, Ayni, ImpactInput, MeasurementInput, TaskSubject, UploadedEvidence, ValueCell,
};
use crate::domain::QualityFlag;
use crate::domain::impact::ImpactBasis;
use crate::web::WebError;

use super::tasks::{form_link, state_words};
use super::{FieldAttrs, FormErrors, Signed, field, form_status, page, tr};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/app/valor")
            .route(web::get().to(value_form))
            .route(web::post().to(submit_value)),
    );
}

/// The largest text field of the form, in bytes.
const MAX_TEXT_FIELD: usize = 16 * 1024;

#[derive(Debug, Default, Deserialize)]
struct CellQuery {
    indicador: Option<i64>,
    variable: Option<i64>,
    vec: Option<i64>,
    desarrollo: Option<i64>,
    #[serde(default)]
    periodo: String,
    /// Whose cell: coordinators and admins may fill in any member actor's (on its behalf);
    /// a contributor only its own (the default).
    actor: Option<i64>,
}

impl CellQuery {
    fn subject(&self) -> Result<TaskSubject, WebError> {
        match (self.indicador, self.variable, self.vec, self.desarrollo) {
            (Some(i), None, None, None) => Ok(TaskSubject::Indicator(i)),
            (None, Some(v), None, None) => Ok(TaskSubject::Variable(v)),
            (None, None, Some(vec), Some(development)) => {
                Ok(TaskSubject::Impact { vec, development })
            }
            _ => Err(WebError::not_found("valor / value")),
        }
    }
}

/// What the form was filled with.
#[derive(Debug, Default)]
struct Draft {
    csrf: String,
    value: String,
    territory: String,
    disaggregation: String,
    evidence_url: String,
    evidence_text: String,
    comment: String,
    basis: String,
    confirm: bool,
    file: Option<(String, Vec<u8>)>,
}

fn earlier_rows(signed: &Signed, cell: &ValueCell) -> Markup {
    let lang = signed.lang;
    html! {
        h2 { (signed.t("Envíos anteriores", "Earlier submissions")) }
        @if cell.earlier.is_empty() {
            p { (signed.t("Ninguno todavía.", "None yet.")) }
        } @else {
            table.earlier {
                thead { tr {
                    th scope="col" { (signed.t("Revisión", "Revision")) }
                    th scope="col" { (signed.t("Territorio", "Territory")) }
                    th scope="col" { (signed.t("Valor", "Value")) }
                    th scope="col" { (signed.t("Estado", "State")) }
                    th scope="col" { (signed.t("Evidencia", "Evidence")) }
                } }
                tbody {
                    @for m in &cell.earlier {
                        tr {
                            td { (m.revision) }
                            td { (m.territory) (if m.disaggregation.is_empty() { String::new() } else { format!(" ({})", m.disaggregation) }) }
                            td { (m.value) }
                            td.st { (state_words(lang, &state_of(m))) }
                            td {
                                @if let Some(u) = &m.evidence_url { a href=(u) rel="noopener noreferrer" { (signed.t("enlace", "link")) } " " }
                                @if let Some(t) = &m.evidence_text { (t) " " }
                                @if let Some(f) = &m.evidence_file {
                                    a.evidence-file href=(format!("/app/archivos/{f}")) { (signed.t("archivo", "file")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn state_of(m: &crate::app::model::Measurement) -> crate::app::SubmissionState {
    use crate::app::SubmissionState;
    use crate::domain::MeasurementStatus;
    match m.status {
        MeasurementStatus::Submitted => SubmissionState::AwaitingReview,
        MeasurementStatus::Approved => SubmissionState::Approved,
        MeasurementStatus::Rejected => SubmissionState::Rejected {
            reason: m.reject_reason.clone().unwrap_or_default(),
        },
    }
}

fn flags_box(signed: &Signed, flags: &[QualityFlag]) -> Markup {
    html! {
        @if !flags.is_empty() {
            div.flags role="alert" {
                p { strong { (signed.t(
                    "El valor parece inusual. Revíselo; si es correcto, marque «Confirmo el valor» y envíe de nuevo.",
                    "The value looks unusual. Check it; if it is right, tick \"I confirm the value\" and submit again.")) } }
                ul { @for f in flags { li { (f.reason) } } }
            }
        }
    }
}

fn form_page(
    req: &HttpRequest,
    signed: &Signed,
    q: &CellQuery,
    cell: &ValueCell,
    draft: &Draft,
    errors: &FormErrors,
    flags: &[QualityFlag],
) -> HttpResponse {
    let a = &cell.assignment;
    let lang = signed.lang;
    let territory = if draft.territory.is_empty() {
        cell.ecosystem_territory.as_str().to_string()
    } else {
        draft.territory.clone()
    };
    let action = form_link(a.subject, &q.periodo, cell.actor_id);
    let is_impact = matches!(a.subject, TaskSubject::Impact { .. });
    let title = format!(
        "{}: {} · {}",
        tr(lang, "Valor", "Value"),
        a.code,
        cell.period
    );
    let body = html! {
        dl.cell {
            dt { (signed.t("Ecosistema", "Ecosystem")) } dd { (cell.ecosystem_name) }
            dt { (signed.t("Actor", "Actor")) } dd {
                (cell.actor_name)
                @if signed.me.caller.actor_id != Some(cell.actor_id) {
                    " " em { (signed.t("(usted envía en su nombre)", "(you submit on its behalf)")) }
                }
            }
            dt { (signed.t("Qué", "What")) } dd { (a.code) " — " (a.name) }
            dt { (signed.t("Unidad", "Unit")) } dd { (a.unit) }
            dt { (signed.t("Periodo", "Period")) } dd { (cell.period.to_string()) }
        }
        @if let Some(why) = &cell.locked {
            div.errors role="alert" { p { strong { (signed.t("Periodo cerrado:", "Period locked:")) } " " (why) } }
        }
        (earlier_rows(signed, cell))
        h2 { (signed.t("Enviar o revisar el valor", "Submit or revise the value")) }
        (errors.summary(lang))
        (flags_box(signed, flags))
        form method="post" action=(action) enctype="multipart/form-data" {
            (signed.csrf_field())
            (field(signed.t("Valor", "Value"), "value", "text", &draft.value, errors, FieldAttrs { required: true, autocomplete: Some("off") }))
            @if !is_impact {
                (field(signed.t("Territorio (ubigeo)", "Territory (ubigeo)"), "territory", "text", &territory, errors, FieldAttrs::default()))
            }
            @if matches!(a.subject, TaskSubject::Indicator(_)) {
                (field(signed.t("Desagregación (opcional, clave=valor;…)", "Disaggregation (optional, key=value;…)"), "disaggregation", "text", &draft.disaggregation, errors, FieldAttrs::default()))
            }
            @if is_impact {
                (super::select(signed.t("Base", "Basis"), "basis",
                    &ImpactBasis::ALL.iter().map(|b| (b.as_str().to_string(), b.as_str().to_string())).collect::<Vec<_>>(),
                    if draft.basis.is_empty() { "measured" } else { &draft.basis }, errors))
            }
            (field(signed.t("Enlace de evidencia", "Evidence link"), "evidenceUrl", "url", &draft.evidence_url, errors, FieldAttrs::default()))
            (field(signed.t("Texto de evidencia", "Evidence text"), "evidenceText", "text", &draft.evidence_text, errors, FieldAttrs::default()))
            (field(signed.t("Comentario", "Comment"), "comment", "text", &draft.comment, errors, FieldAttrs::default()))
            div.field {
                label for="f-evidenceFile" { (signed.t("Archivo de evidencia (PDF, PNG, JPEG, XLSX o CSV)", "Evidence file (PDF, PNG, JPEG, XLSX or CSV)")) }
                @if let Some(m) = errors.for_field("evidenceFile") { span.error id="e-evidenceFile" { (m) } }
                input id="f-evidenceFile" name="evidenceFile" type="file"
                    accept=".pdf,.png,.jpg,.jpeg,.xlsx,.csv"
                    aria-invalid=[errors.for_field("evidenceFile").map(|_| "true")]
                    aria-describedby=[errors.for_field("evidenceFile").map(|_| "e-evidenceFile")];
                @if draft.file.is_some() {
                    p.hint { (signed.t("Vuelva a adjuntar el archivo al enviar de nuevo.", "Attach the file again when you submit again.")) }
                }
            }
            @if !flags.is_empty() {
                div.field {
                    input id="f-confirmar" name="confirmar" type="checkbox" value="1";
                    label for="f-confirmar" { (signed.t("Confirmo el valor", "I confirm the value")) }
                }
            }
            button type="submit" { (signed.t("Enviar para revisión", "Submit for review")) }
        }
        p { a href="/app/tareas" { (signed.t("Volver a Mis tareas", "Back to My tasks")) } }
    };
    let status = if errors.is_empty() && flags.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut res = page(req, signed, "/app/tareas", &title, body);
    *res.status_mut() = status;
    res
}

async fn load_cell(app: &Ayni, signed: &Signed, q: &CellQuery) -> Result<ValueCell, WebError> {
    let subject = q.subject()?;
    let today = chrono::Utc::now().date_naive();
    Ok(app
        .value_cell(&signed.me.caller, q.actor, subject, &q.periodo, today)
        .await?)
}

async fn value_form(
    req: HttpRequest,
    signed: Signed,
    app: web::Data<Ayni>,
    q: web::Query<CellQuery>,
) -> Result<HttpResponse, WebError> {
    let cell = load_cell(&app, &signed, &q).await?;
    let draft = Draft {
        evidence_url: String::new(),
        ..Draft::default()
    };
    Ok(form_page(
        &req,
        &signed,
        &q,
        &cell,
        &draft,
        &FormErrors::default(),
        &[],
    ))
}

/// Reads the multipart form: text fields up to [`MAX_TEXT_FIELD`], the file up to `limit`
/// (refused with 413 as soon as it streams past it).
async fn read_form(mut form: Multipart, limit: u64) -> Result<Draft, WebError> {
    let too_large = || WebError::too_large("archivo demasiado grande / file too large");
    let mut draft = Draft::default();
    while let Some(item) = form.next().await {
        let mut part =
            item.map_err(|_| WebError::forbidden("formulario ilegible / unreadable form"))?;
        let name = part.name().unwrap_or("").to_string();
        let file_name = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let cap = if name == "evidenceFile" {
            limit as usize
        } else {
            MAX_TEXT_FIELD
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk =
                chunk.map_err(|_| WebError::forbidden("formulario ilegible / unreadable form"))?;
            if bytes.len() + chunk.len() > cap {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "evidenceFile" {
            if !bytes.is_empty() {
                draft.file = Some((file_name.unwrap_or_default(), bytes));
            }
            continue;
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "csrf" => draft.csrf = text,
            "value" => draft.value = text,
            "territory" => draft.territory = text,
            "disaggregation" => draft.disaggregation = text,
            "evidenceUrl" => draft.evidence_url = text,
            "evidenceText" => draft.evidence_text = text,
            "comment" => draft.comment = text,
            "basis" => draft.basis = text,
            "confirmar" => draft.confirm = !text.is_empty(),
            _ => {}
        }
    }
    Ok(draft)
}

fn parse_value(raw: &str) -> Result<f64, FormErrors> {
    let t = raw.trim();
    let normalised = if t.contains('.') {
        t.to_string()
    } else {
        t.replace(',', ".")
    };
    normalised
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| FormErrors::field("value", "escriba un número / write a number"))
}

fn parse_disaggregation(raw: &str) -> Vec<(String, String)> {
    raw.split(';')
        .filter(|p| !p.trim().is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
            None => (p.trim().to_string(), String::new()),
        })
        .collect()
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

async fn submit(
    app: &Ayni,
    signed: &Signed,
    cell: &ValueCell,
    draft: &Draft,
    value: f64,
    file: Option<UploadedEvidence>,
) -> Result<(), AppError> {
    let caller = &signed.me.caller;
    let period = cell.period.to_string();
    match cell.assignment.subject {
        TaskSubject::Indicator(id) => app
            .submit_measurement(
                caller,
                MeasurementInput {
                    indicator_id: id,
                    period,
                    territory: non_empty(&draft.territory),
                    disaggregation: parse_disaggregation(&draft.disaggregation),
                    value,
                    evidence_url: non_empty(&draft.evidence_url),
                    evidence_text: non_empty(&draft.evidence_text),
                    comment: non_empty(&draft.comment),
                    actor_id: Some(cell.actor_id),
                    evidence_file: file,
                },
            )
            .await
            .map(|_| ()),
        TaskSubject::Variable(_) => app
            .submit_observation(
                caller,
                ObservationInput {
                    variable: cell.assignment.code.clone(),
                    period,
                    territory: non_empty(&draft.territory)
                        .unwrap_or_else(|| cell.ecosystem_territory.as_str().to_string()),
                    value,
                    evidence_url: non_empty(&draft.evidence_url),
                    evidence_text: non_empty(&draft.evidence_text),
                    comment: non_empty(&draft.comment),
                    actor_id: Some(cell.actor_id),
                    evidence_file: file,
                },
            )
            .await
            .map(|_| ()),
        TaskSubject::Impact { vec, development } => {
            let basis = draft.basis.parse::<ImpactBasis>().map_err(|()| {
                AppError::invalid("basis", "oneOf", "measured, estimated or modelled")
            })?;
            app.submit_impact_contribution(
                caller,
                ImpactInput {
                    vec_id: vec,
                    development_id: development,
                    period,
                    value,
                    basis,
                    evidence_url: non_empty(&draft.evidence_url),
                    evidence_text: non_empty(&draft.evidence_text),
                    comment: non_empty(&draft.comment),
                    evidence_file: file,
                },
            )
            .await
            .map(|_| ())
        }
    }
}

async fn submit_value(
    req: HttpRequest,
    signed: Signed,
    app: web::Data<Ayni>,
    q: web::Query<CellQuery>,
    form: Multipart,
) -> Result<HttpResponse, WebError> {
    let draft = read_form(form, app.evidence_limit()).await?;
    signed.check_csrf(&draft.csrf)?;
    let cell = load_cell(&app, &signed, &q).await?;
    let show = |errors: FormErrors, flags: &[QualityFlag]| {
        form_page(&req, &signed, &q, &cell, &draft, &errors, flags)
    };
    if let Some(why) = &cell.locked {
        let mut res = show(FormErrors::general(why.clone()), &[]);
        *res.status_mut() = actix_web::http::StatusCode::LOCKED;
        return Ok(res);
    }
    let value = match parse_value(&draft.value) {
        Ok(v) => v,
        Err(e) => return Ok(show(e, &[])),
    };
    let territory = non_empty(&draft.territory)
        .unwrap_or_else(|| cell.ecosystem_territory.as_str().to_string());
    let disaggregation = parse_disaggregation(&draft.disaggregation)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(";");
    let flags = app
        .value_flags(&cell, &territory, &disaggregation, value)
        .await?;
    if !flags.is_empty() && !draft.confirm {
        return Ok(show(FormErrors::default(), &flags));
    }
    let file = match &draft.file {
        Some((name, bytes)) => match app.store_evidence(name, bytes.clone()).await {
            Ok(f) => Some(f),
            Err(e) => {
                e.log();
                let mut res = show(FormErrors::from_app(&e), &[]);
                *res.status_mut() = form_status(&e);
                return Ok(res);
            }
        },
        None => None,
    };
    match submit(&app, &signed, &cell, &draft, value, file).await {
        Ok(()) => Ok(super::see_other(&format!(
            "{}&enviado=1",
            form_link(cell.assignment.subject, &q.periodo, cell.actor_id)
        ))),
        Err(e @ (AppError::Forbidden(_) | AppError::NotFound(_))) => Err(e.into()),
        Err(e) => {
            e.log();
            let mut res = show(FormErrors::from_app(&e), &[]);
            *res.status_mut() = form_status(&e);
            Ok(res)
        }
    }
}
