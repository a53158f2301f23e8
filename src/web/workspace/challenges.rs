//! Challenges in the workspace: anyone signed in questions a published value
//! (`/app/cuestionar?valor=ID`, linked from the portal's provenance table); coordinators and
//! admins answer the open ones (`/app/cuestionamientos`); everyone sees their own and the
//! answers.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::{AppError, Ayni, ChallengeItem, ChallengeOutcome};
use crate::domain::ChallengeStatus;
use crate::web::WebError;
use crate::web::charts::fmt_num;

use super::review::{notice, parse_id, refused};
use super::{FormErrors, Signed, page, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/app/cuestionar")
            .route(web::get().to(challenge_form))
            .route(web::post().to(open)),
    )
    .service(web::resource("/app/cuestionamientos").route(web::get().to(desk)))
    .service(web::resource("/app/cuestionamientos/responder").route(web::post().to(answer)));
}

type WebResult = Result<HttpResponse, WebError>;

const NAV: &str = "/app/cuestionamientos";

fn status_word(signed: &Signed, s: ChallengeStatus) -> &'static str {
    match s {
        ChallengeStatus::Open => signed.t("abierto", "open"),
        ChallengeStatus::Upheld => signed.t("acogido (valor retirado)", "upheld (value withdrawn)"),
        ChallengeStatus::Dismissed => signed.t("desestimado", "dismissed"),
    }
}

/// What a challenge is about: the value, its subject, the portal page.
fn value_line(
    signed: &Signed,
    code: &str,
    name: &str,
    m: &crate::app::model::Measurement,
    path: Option<&str>,
) -> Markup {
    html! {
        code { (code) } " " (name) " · " (m.period) " · " (m.territory) " · "
        strong { (fmt_num(m.value)) } " (" (signed.t("valor", "value")) " " (m.id) ", rev. " (m.revision) ")"
        @if let Some(p) = path { " · " a href=(p) { (signed.t("ver en el portal", "see on the portal")) } }
    }
}

fn item_view(signed: &Signed, item: &ChallengeItem, answer_form: bool) -> Markup {
    let c = &item.challenge;
    html! {
        article.challenge #(format!("c{}", c.id)) {
            h3 { (signed.t("Cuestionamiento", "Challenge")) " " (c.id) " — " (status_word(signed, c.status)) }
            p { (value_line(signed, &item.code, &item.name, &item.value, item.portal_path.as_deref())) }
            p { strong { (signed.t("Motivo: ", "Reason: ")) } (c.reason) " " span.muted { "(" (c.opened_at.format("%Y-%m-%d")) ")" } }
            @if let Some(a) = &c.answer {
                p { strong { (signed.t("Respuesta: ", "Answer: ")) } (a) " "
                    @if let Some(at) = c.answered_at { span.muted { "(" (at.format("%Y-%m-%d")) ")" } } }
            }
            @if answer_form && c.status == ChallengeStatus::Open { (answer_form_view(signed, c.id, &FormErrors::default(), "")) }
        }
    }
}

fn answer_form_view(signed: &Signed, id: i64, errors: &FormErrors, answer: &str) -> Markup {
    let fid = format!("answer-{id}");
    let error = errors.for_field("answer");
    html! {
        form.stacked method="post" action="/app/cuestionamientos/responder" {
            (signed.csrf_field())
            input type="hidden" name="id" value=(id);
            fieldset {
                legend { (signed.t("Decisión", "Decision")) }
                label { input type="radio" name="outcome" value="dismissed" checked; " " (signed.t("Desestimar (el valor se mantiene)", "Dismiss (the value stands)")) }
                " "
                label { input type="radio" name="outcome" value="upheld"; " " (signed.t("Acoger (el valor sale de los puntajes)", "Uphold (the value leaves the scores)")) }
            }
            div.field {
                label for=(fid) { (signed.t("Respuesta (pública)", "Answer (public)")) }
                @if let Some(m) = error { span.error id=(format!("e-{fid}")) { (m) } }
                textarea id=(fid) name="answer" rows="3" required
                    aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| format!("e-{fid}"))] { (answer) }
            }
            button type="submit" { (signed.t("Responder", "Answer")) " " (id) }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct DeskQuery {
    notice: Option<String>,
}

async fn desk(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    q: web::Query<DeskQuery>,
) -> WebResult {
    let desk = data.challenge_desk(&signed.me.caller).await?;
    let reviewer = signed.role().manages_strategy();
    let body = html! {
        (notice(&signed, q.notice.as_deref()))
        @if reviewer {
            h2 { (signed.t("Abiertos", "Open")) " (" (desk.open.len()) ")" }
            @if desk.open.is_empty() { p { (signed.t("No hay cuestionamientos abiertos.", "No open challenges.")) } }
            @for item in &desk.open { (item_view(&signed, item, true)) }
            h2 { (signed.t("Respondidos recientemente", "Recently answered")) }
            @if desk.answered.is_empty() { p { (signed.t("Ninguno.", "None.")) } }
            @for item in &desk.answered { (item_view(&signed, item, false)) }
        }
        h2 { (signed.t("Mis cuestionamientos", "My challenges")) }
        p.hint { (signed.t("Para cuestionar un valor publicado, use el enlace «Cuestionar» de la tabla de procedencia de su indicador en el portal.",
            "To challenge a published value, use the “Cuestionar” link in the provenance table of its indicator on the portal.")) }
        @if desk.mine.is_empty() { p { (signed.t("Aún no ha cuestionado ningún valor.", "You have not challenged any value yet.")) } }
        @for item in &desk.mine { (item_view(&signed, item, false)) }
    };
    Ok(page(
        &req,
        &signed,
        NAV,
        signed.t("Cuestionamientos", "Challenges"),
        body,
    ))
}

#[derive(Debug, Default, Deserialize)]
struct ValueQuery {
    #[serde(default)]
    valor: String,
}

async fn challenge_form(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    q: web::Query<ValueQuery>,
) -> WebResult {
    let id = parse_id("valor", &q.valor)?;
    form_page(&req, &signed, &data, id, "", &FormErrors::default()).await
}

async fn form_page(
    req: &HttpRequest,
    signed: &Signed,
    data: &Ayni,
    id: i64,
    reason: &str,
    errors: &FormErrors,
) -> Result<HttpResponse, WebError> {
    let (m, code, name, path) = data
        .challengeable_value(id)
        .await?
        .ok_or_else(|| WebError::not_found("valor publicado / published value"))?;
    let body = html! {
        (errors.summary(signed.lang))
        p { (value_line(signed, &code, &name, &m, path.as_deref())) }
        form.stacked method="post" action="/app/cuestionar" {
            (signed.csrf_field())
            input type="hidden" name="valor" value=(id);
            div.field {
                label for="f-reason" { (signed.t("¿Qué está mal en este valor? (público)", "What is wrong with this value? (public)")) }
                @if let Some(msg) = errors.for_field("reason") { span.error #e-reason { (msg) } }
                textarea #f-reason name="reason" rows="4" required
                    aria-invalid=[errors.for_field("reason").map(|_| "true")]
                    aria-describedby=[errors.for_field("reason").map(|_| "e-reason")] { (reason) }
            }
            button type="submit" { (signed.t("Cuestionar", "Challenge")) }
        }
    };
    Ok(page(
        req,
        signed,
        NAV,
        signed.t("Cuestionar un valor", "Challenge a value"),
        body,
    ))
}

#[derive(Debug, Deserialize)]
struct OpenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    valor: String,
    #[serde(default)]
    reason: String,
}

async fn open(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    form: web::Form<OpenForm>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let id = parse_id("valor", &form.valor)?;
    match data
        .open_challenge(&signed.me.caller, id, form.reason.clone())
        .await
    {
        Ok(_) => Ok(see_other("/app/cuestionamientos?notice=opened")),
        Err(e @ (AppError::Forbidden(_) | AppError::Internal(_))) => Err(e.into()),
        Err(e @ AppError::Invalid(_)) if FormErrors::from_app(&e).for_field("reason").is_some() => {
            let mut res = form_page(
                &req,
                &signed,
                &data,
                id,
                &form.reason,
                &FormErrors::from_app(&e),
            )
            .await?;
            *res.status_mut() = super::form_status(&e);
            Ok(res)
        }
        Err(e) => Ok(refused(
            &req,
            &signed,
            NAV,
            &e,
            "/app/cuestionamientos",
            html! {},
        )),
    }
}

#[derive(Debug, Deserialize)]
struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    answer: String,
}

async fn answer(
    req: HttpRequest,
    signed: Signed,
    data: web::Data<Ayni>,
    form: web::Form<AnswerForm>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    if !signed.role().manages_strategy() {
        return Err(WebError::forbidden(
            "solo coordinación y administración responden / only coordinators and admins answer",
        ));
    }
    let form = form.into_inner();
    let id = parse_id("id", &form.id)?;
    let outcome = match form.outcome.as_str() {
        "upheld" => ChallengeOutcome::Upheld,
        "dismissed" => ChallengeOutcome::Dismissed,
        _ => {
            return Err(
                AppError::invalid("outcome", "one_of", "outcome: upheld or dismissed").into(),
            );
        }
    };
    match data
        .answer_challenge(&signed.me.caller, id, outcome, form.answer.clone())
        .await
    {
        Ok(_) => Ok(see_other("/app/cuestionamientos?notice=answered")),
        Err(e @ (AppError::Forbidden(_) | AppError::Internal(_))) => Err(e.into()),
        Err(e) => {
            let again = match &e {
                AppError::Invalid(_) => {
                    answer_form_view(&signed, id, &FormErrors::from_app(&e), &form.answer)
                }
                _ => html! {},
            };
            Ok(refused(
                &req,
                &signed,
                NAV,
                &e,
                "/app/cuestionamientos",
                again,
            ))
        }
    }
}
