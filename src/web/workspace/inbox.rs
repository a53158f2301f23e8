//! The inbox (`/app/bandeja`): the signed-in user's notifications, newest first, unread ones
//! marked; marking one or all read.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;

use crate::app::Ayni;
use crate::web::{Lang, WebError};

use super::account::CsrfOnly;
use super::{Signed, page, see_other, tr};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/app/bandeja").route(web::get().to(inbox)))
        .service(web::resource("/app/bandeja/leidas").route(web::post().to(mark_all_read)))
        .service(web::resource("/app/bandeja/{id}/leida").route(web::post().to(mark_read)));
}

type WebResult = Result<HttpResponse, WebError>;

const HERE: &str = "/app/bandeja";

async fn inbox(req: HttpRequest, app: web::Data<Ayni>, signed: Signed) -> WebResult {
    let lang = signed.lang;
    let items = app.inbox(&signed.me.caller).await?;
    let unread = items.iter().filter(|n| !n.read).count();
    let body = html! {
        @if items.is_empty() {
            p { (tr(lang, "No tiene notificaciones.", "You have no notifications.")) }
        } @else {
            p role="status" {
                (unread) " " (tr(lang, "sin leer", "unread"))
            }
            @if unread > 0 {
                form.inline method="post" action="/app/bandeja/leidas" {
                    (signed.csrf_field())
                    button type="submit" { (tr(lang, "Marcar todas como leídas", "Mark all read")) }
                }
            }
            ol.inbox {
                @for n in &items {
                    li.unread[!n.read] {
                        @if !n.read {
                            strong.badge { (tr(lang, "Nuevo", "New")) } " "
                        }
                        span.message { @match lang { Lang::Es => (n.message_es), Lang::En => (n.message_en) } }
                        " "
                        time datetime=(n.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string()) {
                            (n.created_at.format("%Y-%m-%d %H:%M").to_string()) " UTC"
                        }
                        @if let Some(link) = &n.link {
                            " " a href=(link) { (tr(lang, "Ver", "Open")) }
                        }
                        @if !n.read {
                            " "
                            form.inline method="post" action=(format!("/app/bandeja/{}/leida", n.id)) {
                                (signed.csrf_field())
                                button type="submit" { (tr(lang, "Marcar leída", "Mark read")) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(
        &req,
        &signed,
        HERE,
        tr(lang, "Bandeja", "Inbox"),
        body,
    ))
}

async fn mark_read(
    app: web::Data<Ayni>,
    signed: Signed,
    path: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    let id: i64 = path
        .parse()
        .map_err(|_| WebError::not_found("notification"))?;
    app.mark_notification_read(&signed.me.caller, id).await?;
    Ok(see_other(HERE))
}

async fn mark_all_read(
    app: web::Data<Ayni>,
    signed: Signed,
    form: web::Form<CsrfOnly>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    app.mark_all_notifications_read(&signed.me.caller).await?;
    Ok(see_other(HERE))
}
