//! "Mis tareas" (`/app/tareas`): per ecosystem the caller's actor takes part in, its
//! indicators, variables and developments with every period due, overdue ones marked (class
//! `overdue` and the word), each submission's state in words and a link to the value form.
//! Coordinators and admins may look at any actor's with `?actor=ID`.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::{Assignment, Assignments, Ayni, PeriodTask, SubmissionState, TaskSubject};
use crate::domain::due::Timeliness;
use crate::web::{Lang, WebError};

use super::{Signed, page, tr};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/app/tareas").route(web::get().to(tasks)));
}

#[derive(Debug, Default, Deserialize)]
struct TasksQuery {
    actor: Option<i64>,
}

/// The value form's address for one period of an assignment.
pub fn form_link(subject: TaskSubject, period: &str, actor: i64) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    match subject {
        TaskSubject::Indicator(id) => q.append_pair("indicador", &id.to_string()),
        TaskSubject::Variable(id) => q.append_pair("variable", &id.to_string()),
        TaskSubject::Impact { vec, development } => q
            .append_pair("vec", &vec.to_string())
            .append_pair("desarrollo", &development.to_string()),
    };
    q.append_pair("periodo", period);
    q.append_pair("actor", &actor.to_string());
    format!("/app/valor?{}", q.finish())
}

/// A submission's state in words.
pub fn state_words(lang: Lang, state: &SubmissionState) -> String {
    match state {
        SubmissionState::AwaitingReview => tr(lang, "en revisión", "awaiting review").into(),
        SubmissionState::Approved => tr(lang, "aprobado", "approved").into(),
        SubmissionState::Rejected { reason } => {
            format!("{}: {reason}", tr(lang, "rechazado", "rejected"))
        }
        SubmissionState::Challenged => tr(lang, "cuestionado", "challenged").into(),
    }
}

/// Whether a period's value came (or is coming) on time, in words.
pub fn timeliness_words(lang: Lang, t: Timeliness) -> &'static str {
    match t {
        Timeliness::OnTime => tr(lang, "a tiempo", "on time"),
        Timeliness::Late => tr(lang, "tarde", "late"),
        Timeliness::Pending => tr(lang, "pendiente", "pending"),
        Timeliness::Overdue => tr(lang, "vencido", "overdue"),
    }
}

fn period_row(lang: Lang, actor: i64, a: &Assignment, p: &PeriodTask) -> Markup {
    let period = p.period.to_string();
    let (value, state) = match &p.submission {
        Some(s) => (s.value.to_string(), state_words(lang, &s.state)),
        None => (String::new(), tr(lang, "sin valor", "no value").to_string()),
    };
    let action = if p.submission.is_some() {
        tr(lang, "Revisar valor", "Revise value")
    } else {
        tr(lang, "Enviar valor", "Submit value")
    };
    html! {
        tr class=[p.is_overdue().then_some("overdue")] {
            td { (a.code) }
            td { (a.name) }
            td { (a.unit) }
            td { (period) }
            td { (p.due.to_string()) }
            td.st { (timeliness_words(lang, p.timeliness)) }
            td { (state) }
            td.num { (value) }
            td {
                a href=(form_link(a.subject, &period, actor)) {
                    (action) span.visually-hidden { " " (a.code) " " (period) }
                }
            }
        }
    }
}

fn table(lang: Lang, actor: i64, caption: &str, list: &[&Assignment]) -> Markup {
    html! {
        @if list.iter().any(|a| !a.periods.is_empty()) {
            div.table-wrap {
                table {
                    caption { (caption) }
                    thead {
                        tr {
                            th scope="col" { (tr(lang, "Código", "Code")) }
                            th scope="col" { (tr(lang, "Nombre", "Name")) }
                            th scope="col" { (tr(lang, "Unidad", "Unit")) }
                            th scope="col" { (tr(lang, "Periodo", "Period")) }
                            th scope="col" { (tr(lang, "Vence", "Due")) }
                            th scope="col" { (tr(lang, "Plazo", "Timeliness")) }
                            th scope="col" { (tr(lang, "Estado", "State")) }
                            th.num scope="col" { (tr(lang, "Valor", "Value")) }
                            th scope="col" { (tr(lang, "Acción", "Action")) }
                        }
                    }
                    tbody {
                        @for a in list {
                            @for p in a.periods.iter().rev() { (period_row(lang, actor, a, p)) }
                        }
                    }
                }
            }
        } @else {
            p.muted { (caption) ": " (tr(lang, "nada por reportar.", "nothing to report.")) }
        }
    }
}

fn ecosystem_section(lang: Lang, t: &Assignments) -> Markup {
    let overdue = t.overdue();
    let indicators: Vec<&Assignment> = t.indicators.iter().collect();
    let variables: Vec<&Assignment> = t.variables.iter().collect();
    html! {
        section aria-labelledby=(format!("eco-{}", t.ecosystem.slug)) {
            h2 id=(format!("eco-{}", t.ecosystem.slug)) { (t.ecosystem.name) }
            p.muted {
                (t.actor_name) " · " (t.ecosystem.role_label) " · "
                (tr(lang, "plazo de gracia: ", "grace period: ")) (t.ecosystem.grace_days)
                (tr(lang, " días tras el fin del periodo", " days after the period's end"))
            }
            @if overdue > 0 {
                p.flag { (overdue) " " (tr(lang, "periodos vencidos sin valor", "overdue periods without a value")) }
            }
            p.actions {
                a href=(format!("/app/plantilla.xlsx?ecosystem={}&actor={}", t.ecosystem.slug, t.actor_id)) {
                    (tr(lang, "Descargar la plantilla (.xlsx)", "Download the template (.xlsx)"))
                }
                " · "
                a href=(format!("/app/carga?ecosystem={}&actor={}", t.ecosystem.slug, t.actor_id)) {
                    (tr(lang, "Subir la plantilla llena", "Upload the filled template"))
                }
            }
            (table(lang, t.actor_id, tr(lang, "Indicadores", "Indicators"), &indicators))
            (table(lang, t.actor_id, tr(lang, "Variables", "Variables"), &variables))
            @for d in &t.developments {
                @let impacts: Vec<&Assignment> = d.impacts.iter().collect();
                @let caption = format!("{}: {} ({})", tr(lang, "Desarrollo", "Development"), d.name, d.territory);
                (table(lang, t.actor_id, &caption, &impacts))
            }
        }
    }
}

async fn tasks(
    req: HttpRequest,
    signed: Signed,
    app: web::Data<Ayni>,
    q: web::Query<TasksQuery>,
) -> Result<HttpResponse, WebError> {
    let lang = signed.lang;
    let today = chrono::Utc::now().date_naive();
    let all = app
        .all_assignments(&signed.me.caller, q.actor, today)
        .await?;
    let body = html! {
        p {
            (tr(lang, "Los periodos vencen al terminar el plazo de gracia; los vencidos sin valor están marcados como ",
                "Periods fall due when their grace period ends; overdue ones without a value are marked "))
            strong { (tr(lang, "vencido", "overdue")) } "."
        }
        @if all.is_empty() {
            p { (tr(lang, "Su actor no participa en ningún ecosistema todavía.", "Your actor takes part in no ecosystem yet.")) }
        }
        @for t in &all { (ecosystem_section(lang, t)) }
    };
    Ok(page(
        &req,
        &signed,
        "/app/tareas",
        tr(lang, "Mis tareas", "My tasks"),
        body,
    ))
}
