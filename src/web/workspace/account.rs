//! Signing in and out, the password page, the language switch and the workspace's home.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;

use crate::app::{AppError, Ayni};

use super::{
    FieldAttrs, FormErrors, LANG_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE, Signed, cookie, field,
    form_status, lang_of, page, public_page, removal, safe_next, same_token, see_other, tr,
};
use crate::web::{Lang, WebError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/app").route(web::get().to(home)))
        .service(
            web::resource("/app/login")
                .route(web::get().to(login_form))
                .route(web::post().to(login)),
        )
        .service(web::resource("/app/salir").route(web::post().to(logout)))
        .service(
            web::resource("/app/clave")
                .route(web::get().to(password_form))
                .route(web::post().to(change_password)),
        )
        .service(web::resource("/app/idioma").route(web::get().to(switch_language)));
}

type WebResult = Result<HttpResponse, WebError>;

async fn home(req: HttpRequest, signed: Signed) -> WebResult {
    let lang = signed.lang;
    let body = html! {
        p { (tr(lang, "Bienvenida o bienvenido, ", "Welcome, ")) (signed.me.caller.email) "." }
        p { (tr(lang, "Use el menú para llegar a su trabajo.", "Use the menu to reach your work.")) }
    };
    Ok(page(
        &req,
        &signed,
        "/app",
        tr(lang, "Inicio", "Home"),
        body,
    ))
}

#[derive(Debug, Default, Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

fn login_page(
    req: &HttpRequest,
    lang: Lang,
    csrf: &str,
    email: &str,
    next: &str,
    errors: &FormErrors,
) -> HttpResponse {
    let body = html! {
        (errors.summary(lang))
        form.stacked method="post" action="/app/login" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="next" value=(next);
            (field(tr(lang, "Correo electrónico", "E-mail"), "email", "email", email, errors,
                FieldAttrs { required: true, autocomplete: Some("username") }))
            (field(tr(lang, "Clave", "Password"), "password", "password", "", errors,
                FieldAttrs { required: true, autocomplete: Some("current-password") }))
            button type="submit" { (tr(lang, "Ingresar", "Sign in")) }
        }
    };
    public_page(req, lang, tr(lang, "Ingresar", "Sign in"), body)
}

/// A fresh sign-in CSRF token, in a cookie and in the form.
fn with_login_csrf(req: &HttpRequest, build: impl FnOnce(&str) -> HttpResponse) -> HttpResponse {
    let token = hex::encode(rand::random::<[u8; 32]>());
    let mut res = build(&token);
    let _ = res.add_cookie(&cookie(req, LOGIN_CSRF_COOKIE, token, "/app/login"));
    res
}

async fn login_form(req: HttpRequest, q: web::Query<LoginQuery>) -> HttpResponse {
    let lang = lang_of(&req);
    let next = safe_next(q.next.as_deref());
    with_login_csrf(&req, |csrf| {
        login_page(&req, lang, csrf, "", &next, &FormErrors::default())
    })
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn login(req: HttpRequest, app: web::Data<Ayni>, form: web::Form<LoginForm>) -> WebResult {
    let lang = lang_of(&req);
    let form = form.into_inner();
    let expected = req.cookie(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string());
    if !expected.is_some_and(|e| same_token(&form.csrf, &e)) {
        return Err(WebError::forbidden(
            "formulario vencido: vuelva a cargar la página de ingreso / stale sign-in form: reload the sign-in page",
        ));
    }
    let next = safe_next(form.next.as_deref());
    let address = req.peer_addr().map(|a| a.ip());
    match app.open_session(&form.email, &form.password, address).await {
        Ok(opened) => {
            let to = if opened.must_change_password {
                "/app/clave".to_string()
            } else {
                next
            };
            let mut res = see_other(&to);
            let _ = res.add_cookie(&cookie(&req, SESSION_COOKIE, opened.token, "/app"));
            let _ = res.add_cookie(&removal(&req, LOGIN_CSRF_COOKIE, "/app/login"));
            Ok(res)
        }
        Err(e) => {
            let status = e.http_status();
            if matches!(e, AppError::Internal(_)) {
                return Err(e.into());
            }
            let errors = match &e {
                AppError::Unauthenticated(_) => FormErrors::general(tr(
                    lang,
                    "Correo o clave incorrectos.",
                    "Wrong e-mail or password.",
                )),
                other => FormErrors::from_app(other),
            };
            let mut res = with_login_csrf(&req, |csrf| {
                login_page(&req, lang, csrf, &form.email, &next, &errors)
            });
            *res.status_mut() = actix_web::http::StatusCode::from_u16(status)
                .unwrap_or(actix_web::http::StatusCode::UNAUTHORIZED);
            if let AppError::TooManyAttempts {
                retry_after_secs, ..
            }
            | AppError::Busy {
                retry_after_secs, ..
            } = e
            {
                res.headers_mut().insert(
                    actix_web::http::header::RETRY_AFTER,
                    actix_web::http::header::HeaderValue::from(retry_after_secs),
                );
            }
            Ok(res)
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

async fn logout(
    req: HttpRequest,
    app: web::Data<Ayni>,
    signed: Signed,
    form: web::Form<CsrfOnly>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    app.close_session(&signed.me).await?;
    let mut res = see_other("/app/login");
    let _ = res.add_cookie(&removal(&req, SESSION_COOKIE, "/app"));
    Ok(res)
}

fn password_page(
    req: &HttpRequest,
    signed: &Signed,
    errors: &FormErrors,
    done: bool,
) -> HttpResponse {
    let lang = signed.lang;
    let body = html! {
        @if signed.me.must_change_password {
            p.notice role="status" { (tr(lang,
                "Su clave es temporal: elija una nueva para continuar.",
                "Your password is temporary: choose a new one to continue.")) }
        }
        @if done {
            p.notice role="status" { (tr(lang, "Clave cambiada.", "Password changed.")) }
        }
        (errors.summary(lang))
        form.stacked method="post" action="/app/clave" {
            (signed.csrf_field())
            (field(tr(lang, "Clave actual", "Current password"), "currentPassword", "password", "", errors,
                FieldAttrs { required: true, autocomplete: Some("current-password") }))
            (field(tr(lang, "Clave nueva", "New password"), "newPassword", "password", "", errors,
                FieldAttrs { required: true, autocomplete: Some("new-password") }))
            (field(tr(lang, "Repita la clave nueva", "Repeat the new password"), "repeatPassword", "password", "", errors,
                FieldAttrs { required: true, autocomplete: Some("new-password") }))
            p.hint { (tr(lang,
                "Al menos 12 caracteres, difícil de adivinar; se cierran sus otras sesiones.",
                "At least 12 characters, hard to guess; your other sessions end.")) }
            button type="submit" { (tr(lang, "Cambiar clave", "Change password")) }
        }
    };
    page(
        req,
        signed,
        "/app/clave",
        tr(lang, "Cambiar clave", "Change password"),
        body,
    )
}

#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    hecho: Option<String>,
}

async fn password_form(req: HttpRequest, signed: Signed, q: web::Query<DoneQuery>) -> HttpResponse {
    password_page(&req, &signed, &FormErrors::default(), q.hecho.is_some())
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, rename = "currentPassword")]
    current: String,
    #[serde(default, rename = "newPassword")]
    new: String,
    #[serde(default, rename = "repeatPassword")]
    repeat: String,
}

async fn change_password(
    req: HttpRequest,
    app: web::Data<Ayni>,
    signed: Signed,
    form: web::Form<PasswordForm>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let lang = signed.lang;
    if form.new != form.repeat {
        let errors = FormErrors::field(
            "repeatPassword",
            tr(
                lang,
                "Las claves nuevas no coinciden.",
                "The new passwords differ.",
            ),
        );
        let mut res = password_page(&req, &signed, &errors, false);
        *res.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    match app
        .change_session_password(&signed.me, form.current, form.new)
        .await
    {
        Ok(()) => Ok(see_other("/app/clave?hecho=1")),
        Err(AppError::Internal(m)) => Err(AppError::Internal(m).into()),
        Err(e) => {
            let mut res = password_page(&req, &signed, &FormErrors::from_app(&e), false);
            *res.status_mut() = form_status(&e);
            Ok(res)
        }
    }
}

#[derive(Debug, Deserialize)]
struct LangQuery {
    #[serde(default)]
    lang: Lang,
    next: Option<String>,
}

/// Remembers the language (a cookie for a year) and goes back.
async fn switch_language(req: HttpRequest, q: web::Query<LangQuery>) -> HttpResponse {
    let mut c = cookie(&req, LANG_COOKIE, q.lang.code().to_string(), "/app");
    c.set_max_age(actix_web::cookie::time::Duration::days(365));
    let mut res = see_other(&safe_next(q.next.as_deref()));
    let _ = res.add_cookie(&c);
    res
}
