//! The workspace at `/app`: where contributors supply numbers and coordinators, monitors and
//! administrators review, question and administer them. Server-rendered (maud), Spanish
//! first (`/app/idioma?lang=en` switches and remembers), the portal's stylesheet, every action
//! a plain HTML form that works without JavaScript.
//!
//! Sign-in opens a server-side session ([`crate::app::SignedIn`]): the cookie `ayni_session`
//! (`HttpOnly`, `SameSite=Lax`, `Path=/app`, `Secure` over https) carries a random token, the
//! database its digest. Every handler that needs a user takes a [`Signed`] argument: without
//! a live session it redirects to the sign-in page, and with a temporary password to the
//! password page. Every state-changing form carries the session's CSRF token in a hidden
//! field named `csrf`, checked with [`Signed::check_csrf`] before anything else (403).

mod account;
mod admin;
mod challenges;
mod commitments;
mod completeness;
mod files;
mod inbox;
mod investments;
mod review;
mod tasks;
mod value;
mod workbook;

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use maud::{DOCTYPE, Markup, html};
use subtle::ConstantTimeEq;

use crate::app::{AppError, Ayni, SignedIn};
use crate::domain::Role;

use super::assets::STYLESHEET;
use super::{Lang, WebError};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "ayni_session";
/// The remembered language's cookie.
pub const LANG_COOKIE: &str = "ayni_lang";
/// The sign-in form's CSRF cookie (double submit: there is no session yet).
pub const LOGIN_CSRF_COOKIE: &str = "ayni_login_csrf";

/// Workspace settings the interface needs (cookie flags).
#[derive(Debug, Clone, Default)]
pub struct WorkspaceConfig {
    /// The service is reached over https only (`AYNI_HSTS`): cookies are always `Secure`.
    pub https: bool,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    account::configure(cfg);
    admin::configure(cfg);
    inbox::configure(cfg);
    review::configure(cfg);
    challenges::configure(cfg);
    commitments::configure(cfg);
    investments::configure(cfg);
    workbook::configure(cfg);
    tasks::configure(cfg);
    completeness::configure(cfg);
    value::configure(cfg);
    files::configure(cfg);
}

/// The language of a workspace request: `?lang=` if given, else the remembered one.
pub fn lang_of(req: &HttpRequest) -> Lang {
    let from_query = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.into_owned());
    let raw = from_query.or_else(|| req.cookie(LANG_COOKIE).map(|c| c.value().to_string()));
    match raw.as_deref() {
        Some("en") => Lang::En,
        _ => Lang::Es,
    }
}

/// Spanish or English, inline: the workspace's sentences are written where they are used.
pub fn tr(lang: Lang, es: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Es => es,
        Lang::En => en,
    }
}

/// A cookie with the workspace's flags: `HttpOnly`, `SameSite=Lax`, `Secure` over https.
pub fn cookie(
    req: &HttpRequest,
    name: &'static str,
    value: String,
    path: &'static str,
) -> Cookie<'static> {
    let https = req
        .app_data::<web::Data<WorkspaceConfig>>()
        .is_some_and(|c| c.https)
        || req.connection_info().scheme() == "https";
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(https)
        .finish()
}

/// The same cookie, expired: the browser forgets it.
pub fn removal(req: &HttpRequest, name: &'static str, path: &'static str) -> Cookie<'static> {
    let mut c = cookie(req, name, String::new(), path);
    c.make_removal();
    c
}

/// A redirect after a form (303 See Other: the browser follows with a GET).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// A local workspace path to return to after sign-in; anything else (another site, a
/// scheme-relative `//host`, a backslash trick) becomes `/app`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if (n == "/app" || n.starts_with("/app/") || n.starts_with("/app?"))
                && !n.contains("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_string()
        }
        _ => "/app".to_string(),
    }
}

/// Tokens compared in constant time.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A signed-in workspace request: the user (loaded afresh) and the page language.
#[derive(Debug, Clone)]
pub struct Signed {
    pub me: SignedIn,
    pub lang: Lang,
}

/// Why a workspace request has no usable session: sent on to the sign-in page, or to the
/// password page while the password is temporary.
#[derive(Debug)]
pub enum NotSigned {
    SignIn { next: String },
    ChangePassword,
    Failed(WebError),
}

impl std::fmt::Display for NotSigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotSigned::SignIn { .. } => f.write_str("sign in first"),
            NotSigned::ChangePassword => f.write_str("change the temporary password first"),
            NotSigned::Failed(e) => write!(f, "{e}"),
        }
    }
}

impl actix_web::ResponseError for NotSigned {
    fn status_code(&self) -> actix_web::http::StatusCode {
        match self {
            NotSigned::Failed(e) => e.status_code(),
            _ => actix_web::http::StatusCode::SEE_OTHER,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            NotSigned::SignIn { next } => {
                let query = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("next", next)
                    .finish();
                see_other(&format!("/app/login?{query}"))
            }
            NotSigned::ChangePassword => see_other("/app/clave"),
            NotSigned::Failed(e) => e.error_response(),
        }
    }
}

/// Paths a user with a temporary password may still reach.
fn allowed_with_temporary_password(path: &str) -> bool {
    path == "/app/clave" || path == "/app/salir"
}

impl FromRequest for Signed {
    type Error = NotSigned;
    type Future = Pin<Box<dyn Future<Output = Result<Signed, NotSigned>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let lang = lang_of(&req);
            let Some(app) = req.app_data::<web::Data<Ayni>>().cloned() else {
                return Err(NotSigned::Failed(AppError::internal("no app data").into()));
            };
            let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
            let me = match token {
                Some(t) => app
                    .session(&t)
                    .await
                    .map_err(|e| NotSigned::Failed(e.into()))?,
                None => None,
            };
            let next = match req.query_string() {
                "" => req.path().to_string(),
                q => format!("{}?{q}", req.path()),
            };
            match me {
                None => Err(NotSigned::SignIn {
                    next: if req.method() == actix_web::http::Method::GET {
                        next
                    } else {
                        "/app".into()
                    },
                }),
                Some(me)
                    if me.must_change_password && !allowed_with_temporary_password(req.path()) =>
                {
                    Err(NotSigned::ChangePassword)
                }
                Some(me) => Ok(Signed { me, lang }),
            }
        })
    }
}

impl Signed {
    /// Refuses a state-changing form whose `csrf` field is missing or not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        if same_token(sent, &self.me.csrf_token) {
            Ok(())
        } else {
            tracing::warn!(target: "ayni::security", user = ?self.me.caller.user_id, "workspace form refused: bad CSRF token");
            Err(WebError::forbidden(
                "formulario vencido o ajeno: vuelva a cargar la página / stale or foreign form: reload the page",
            ))
        }
    }

    /// The hidden field every state-changing form carries.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.me.csrf_token); }
    }

    pub fn role(&self) -> Role {
        self.me.caller.role
    }

    pub fn t(&self, es: &'static str, en: &'static str) -> &'static str {
        tr(self.lang, es, en)
    }
}

/// One entry of the workspace's navigation: path, words, who sees it.
struct NavItem {
    path: &'static str,
    es: &'static str,
    en: &'static str,
    roles: &'static [Role],
}

const ALL: &[Role] = &[
    Role::Admin,
    Role::Coordinator,
    Role::Contributor,
    Role::Monitor,
];
const REVIEWERS: &[Role] = &[Role::Admin, Role::Coordinator];

/// The inbox's entry shows the number of unread notifications.
const INBOX: &str = "/app/bandeja";

const NAV: &[NavItem] = &[
    NavItem {
        path: "/app",
        es: "Inicio",
        en: "Home",
        roles: ALL,
    },
    NavItem {
        path: "/app/tareas",
        es: "Mis tareas",
        en: "My tasks",
        roles: &[Role::Contributor, Role::Coordinator],
    },
    NavItem {
        path: "/app/revision",
        es: "Revisión",
        en: "Review",
        roles: REVIEWERS,
    },
    NavItem {
        path: "/app/completitud",
        es: "Completitud",
        en: "Completeness",
        roles: REVIEWERS,
    },
    NavItem {
        path: "/app/cuestionamientos",
        es: "Cuestionamientos",
        en: "Challenges",
        roles: &[Role::Admin, Role::Coordinator, Role::Monitor],
    },
    NavItem {
        path: "/app/compromisos",
        es: "Compromisos",
        en: "Commitments",
        roles: &[Role::Admin, Role::Coordinator, Role::Contributor],
    },
    NavItem {
        path: "/app/inversiones",
        es: "Inversiones",
        en: "Investments",
        roles: &[Role::Admin, Role::Coordinator, Role::Contributor],
    },
    NavItem {
        path: "/app/bandeja",
        es: "Bandeja",
        en: "Inbox",
        roles: ALL,
    },
    NavItem {
        path: "/app/admin",
        es: "Administración",
        en: "Administration",
        roles: &[Role::Admin],
    },
];

/// A workspace page for a signed-in user: navigation by role, the language switch, sign-out.
/// `current` is the navigation entry to mark (`aria-current`).
pub fn page(
    req: &HttpRequest,
    signed: &Signed,
    current: &str,
    title: &str,
    body: Markup,
) -> HttpResponse {
    let lang = signed.lang;
    let nav = html! {
        nav.workspace aria-label=(tr(lang, "Espacio de trabajo", "Workspace")) {
            ul {
                @for item in NAV.iter().filter(|i| i.roles.contains(&signed.role())) {
                    li {
                        a href=(item.path) aria-current=[(item.path == current).then_some("page")] {
                            (tr(lang, item.es, item.en))
                            @if item.path == INBOX && signed.me.unread_notifications > 0 {
                                " " span.count { (signed.me.unread_notifications)
                                    span.visually-hidden { " " (tr(lang, "sin leer", "unread")) } }
                            }
                        }
                    }
                }
            }
        }
    };
    let account = html! {
        div.account {
            span { (signed.me.caller.email) " · " (signed.role().as_str()) }
            " "
            a href="/app/clave" { (tr(lang, "Cambiar clave", "Change password")) }
            form.inline method="post" action="/app/salir" {
                (signed.csrf_field())
                button type="submit" { (tr(lang, "Salir", "Sign out")) }
            }
        }
    };
    document(req, lang, title, Some(html! { (nav) (account) }), body)
}

/// A workspace page without a signed-in user (sign-in).
pub fn public_page(req: &HttpRequest, lang: Lang, title: &str, body: Markup) -> HttpResponse {
    document(req, lang, title, None, body)
}

fn document(
    req: &HttpRequest,
    lang: Lang,
    title: &str,
    header_extra: Option<Markup>,
    body: Markup,
) -> HttpResponse {
    let here = match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    };
    let switch = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("lang", lang.other().code())
        .append_pair("next", &here)
        .finish();
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Ayni" }
                link rel="stylesheet" href=(STYLESHEET.path());
            }
            body.workspace {
                a.skip href="#main" { (tr(lang, "Saltar al contenido", "Skip to content")) }
                header.top {
                    a.brand href="/app" { "Ayni · " (tr(lang, "Espacio de trabajo", "Workspace")) }
                    nav aria-label="idioma / language" {
                        a href=(format!("/app/idioma?{switch}")) lang=(lang.other().code()) hreflang=(lang.other().code()) { (lang.other().name()) }
                        " · "
                        a href="/" { (tr(lang, "Portal público", "Public portal")) }
                    }
                    @if let Some(extra) = header_extra { (extra) }
                }
                main #main { h1 { (title) } (body) }
            }
        }
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

/// The field errors of a refused input, by field, for the form to show beside its fields;
/// other errors as one message.
#[derive(Debug, Default)]
pub struct FormErrors {
    pub fields: Vec<(String, String)>,
    pub general: Vec<String>,
}

impl FormErrors {
    pub fn from_app(e: &AppError) -> FormErrors {
        match e {
            AppError::Invalid(v) => FormErrors {
                fields: v
                    .0
                    .iter()
                    .map(|f| (f.field.clone(), f.message.clone()))
                    .collect(),
                general: Vec::new(),
            },
            AppError::Internal(_) => FormErrors {
                fields: Vec::new(),
                general: vec!["error interno / internal error".into()],
            },
            other => FormErrors {
                fields: Vec::new(),
                general: vec![other.to_string()],
            },
        }
    }

    pub fn general(message: impl Into<String>) -> FormErrors {
        FormErrors {
            fields: Vec::new(),
            general: vec![message.into()],
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> FormErrors {
        FormErrors {
            fields: vec![(field.to_string(), message.into())],
            general: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_empty()
    }

    /// The message for a field (its first), if any.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// The summary at the top of a form: announced to screen readers, each field error
    /// linking to its field (`#f-<field>`).
    pub fn summary(&self, lang: Lang) -> Markup {
        html! {
            @if !self.is_empty() {
                div.errors role="alert" tabindex="-1" {
                    p { strong { (tr(lang, "No se guardó nada:", "Nothing was saved:")) } }
                    ul {
                        @for m in &self.general { li { (m) } }
                        @for (f, m) in &self.fields { li { a href=(format!("#f-{f}")) { (m) } } }
                    }
                }
            }
        }
    }
}

/// The status of a form shown again with its errors: 422 for field errors, otherwise the
/// error's own (403, 404, 409, 423, 429...).
pub fn form_status(e: &AppError) -> actix_web::http::StatusCode {
    match e {
        AppError::Invalid(_) => actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        other => actix_web::http::StatusCode::from_u16(other.http_status())
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// A labelled input with its error (`aria-invalid`, `aria-describedby`); the id is `f-<name>`.
pub fn field(
    label: &str,
    name: &str,
    kind: &str,
    value: &str,
    errors: &FormErrors,
    attrs: FieldAttrs,
) -> Markup {
    let id = format!("f-{name}");
    let err_id = format!("e-{name}");
    let error = errors.for_field(name);
    html! {
        div.field {
            label for=(id) { (label) }
            @if let Some(m) = error { span.error id=(err_id) { (m) } }
            input id=(id) name=(name) type=(kind) value=(value)
                required[attrs.required] autocomplete=[attrs.autocomplete]
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| err_id.as_str())];
        }
    }
}

/// A labelled `<select>` with its error; the id is `f-<name>`.
pub fn select(
    label: &str,
    name: &str,
    options: &[(String, String)],
    selected: &str,
    errors: &FormErrors,
) -> Markup {
    let id = format!("f-{name}");
    let err_id = format!("e-{name}");
    let error = errors.for_field(name);
    html! {
        div.field {
            label for=(id) { (label) }
            @if let Some(m) = error { span.error id=(err_id) { (m) } }
            select id=(id) name=(name)
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| err_id.as_str())] {
                @for (value, text) in options {
                    option value=(value) selected[value == selected] { (text) }
                }
            }
        }
    }
}

/// Room for the multipart envelope and the small fields around an uploaded file.
const ENVELOPE_BYTES: usize = 64 * 1024;
/// The most a text field of a multipart form may carry.
const MULTIPART_TEXT_BYTES: usize = 4096;

/// A multipart form as read by [`read_multipart`]: its text fields and the file sent in the
/// field `file`.
#[derive(Debug, Default)]
pub struct MultipartForm {
    fields: Vec<(String, String)>,
    pub file_name: String,
    pub file: Option<Vec<u8>>,
}

impl MultipartForm {
    /// A text field, trimmed; `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

fn upload_too_large(limit: usize) -> WebError {
    let mib = limit / (1024 * 1024);
    WebError {
        status: 413,
        message: format!(
            "archivo demasiado grande (máximo {mib} MiB) / file too large (at most {mib} MiB)"
        ),
    }
}

/// Reads a multipart form with one file (`file`, at most `file_limit` bytes) and small text
/// fields. Refused with 413 before reading when the declared length is too large and as soon
/// as the stream passes the limit, with 403 as soon as a `csrf` field is not this session's,
/// and with 403 after reading when no token came at all.
pub async fn read_multipart(
    req: &HttpRequest,
    signed: &Signed,
    mut payload: actix_multipart::Multipart,
    file_limit: usize,
) -> Result<MultipartForm, WebError> {
    use futures_util::StreamExt;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > file_limit + ENVELOPE_BYTES) {
        return Err(upload_too_large(file_limit));
    }
    let unreadable = |e: &dyn std::fmt::Display| WebError {
        status: 400,
        message: format!("formulario ilegible / unreadable form: {e}"),
    };
    let mut form = MultipartForm::default();
    let mut csrf_seen = false;
    let mut total = 0usize;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|e| unreadable(&e))?;
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let limit = if name == "file" {
            file_limit
        } else {
            MULTIPART_TEXT_BYTES
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| unreadable(&e))?;
            total += chunk.len();
            if bytes.len() + chunk.len() > limit || total > file_limit + ENVELOPE_BYTES {
                return Err(upload_too_large(file_limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" => {
                form.file_name = file_name.unwrap_or_default();
                form.file = Some(bytes);
            }
            _ => {
                let text = String::from_utf8_lossy(&bytes).trim().to_string();
                if name == "csrf" {
                    signed.check_csrf(&text)?;
                    csrf_seen = true;
                }
                if form.fields.len() < 32 {
                    form.fields.push((name, text));
                }
            }
        }
    }
    // No token at all: refused like a wrong one.
    if !csrf_seen {
        signed.check_csrf("")?;
    }
    Ok(form)
}

/// Optional attributes of [`field`].
#[derive(Debug, Default, Clone, Copy)]
pub struct FieldAttrs {
    pub required: bool,
    pub autocomplete: Option<&'static str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_workspace_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/app/tareas?x=1")), "/app/tareas?x=1");
        assert_eq!(safe_next(Some("/app")), "/app");
        for hostile in [
            "https://evil.example/app",
            "//evil.example",
            "/app//evil",
            "/\\evil",
            "/application",
            "/",
            "/app/\nx",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/app", "{hostile}");
        }
        assert_eq!(safe_next(None), "/app");
    }

    #[test]
    fn tokens_compare_by_content_and_length() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "abcd"));
        assert!(!same_token("", "a"));
    }
}
