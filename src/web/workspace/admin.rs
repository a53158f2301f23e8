//! Administration (admins only): users, actors and ecosystem members. Every page and form
//! refuses anyone but an administrator (403); every form checks its CSRF token first.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use crate::app::model::{Actor, User};
use crate::app::{AppError, Ayni, NewActorInput, UserChange};
use crate::domain::{ActorKind, FieldError, Role};
use crate::web::{Lang, WebError};

use super::account::CsrfOnly;
use super::{FieldAttrs, FormErrors, Signed, field, form_status, page, see_other, select, tr};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/app/admin").route(web::get().to(users_page)))
        .service(web::resource("/app/admin/usuarios").route(web::post().to(create_user)))
        .service(
            web::resource("/app/admin/usuarios/{id}")
                .route(web::get().to(user_page))
                .route(web::post().to(change_user)),
        )
        .service(web::resource("/app/admin/usuarios/{id}/estado").route(web::post().to(set_state)))
        .service(
            web::resource("/app/admin/usuarios/{id}/clave")
                .route(web::post().to(temporary_password)),
        )
        .service(
            web::resource("/app/admin/actores")
                .route(web::get().to(actors_page))
                .route(web::post().to(create_actor)),
        )
        .service(
            web::resource("/app/admin/miembros")
                .route(web::get().to(members_page))
                .route(web::post().to(add_member)),
        )
        .service(web::resource("/app/admin/miembros/quitar").route(web::post().to(remove_member)));
}

type WebResult = Result<HttpResponse, WebError>;

const HERE: &str = "/app/admin";

fn require_admin(signed: &Signed) -> Result<(), WebError> {
    if signed.role() == Role::Admin {
        Ok(())
    } else {
        Err(WebError::forbidden(
            "solo para administradores / administrators only",
        ))
    }
}

fn role_options() -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), r.as_str().to_string()))
        .collect()
}

fn actor_options(lang: Lang, actors: &[Actor]) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), tr(lang, "(ninguno)", "(none)").to_string())];
    out.extend(actors.iter().map(|a| (a.id.to_string(), a.name.clone())));
    out
}

/// The admin section's own links.
fn subnav(lang: Lang) -> Markup {
    html! {
        p.subnav {
            a href="/app/admin" { (tr(lang, "Usuarios", "Users")) } " · "
            a href="/app/admin/actores" { (tr(lang, "Actores", "Actors")) } " · "
            a href="/app/admin/miembros" { (tr(lang, "Miembros de ecosistemas", "Ecosystem members")) }
        }
    }
}

/// `""` is no actor; anything else must be a number.
fn parse_actor_id(raw: &str) -> Result<Option<i64>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<i64>()
        .map(Some)
        .map_err(|_| FieldError::new("actorId", "number", "choose an actor from the list"))
}

/// A user form's role and actor, both checked (every error at once).
fn role_and_actor(role: &str, actor: &str) -> Result<(Role, Option<i64>), AppError> {
    let mut errors = crate::domain::ValidationErrors::new();
    let role = errors.check(Role::parse("role", role));
    let actor = errors.check(parse_actor_id(actor));
    match (role, actor) {
        (Some(r), Some(a)) => Ok((r, a)),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// Field errors and other refusals go back to the form with their status; internal errors
/// are errors.
fn refusal(e: AppError) -> Result<(StatusCode, FormErrors), WebError> {
    match e {
        AppError::Internal(_) => Err(e.into()),
        other => Ok((form_status(&other), FormErrors::from_app(&other))),
    }
}

/// A form shown again, with the status of its refusal.
fn again(mut res: HttpResponse, status: StatusCode) -> WebResult {
    *res.status_mut() = status;
    Ok(res)
}

// ---- users ----

#[derive(Debug, Default, Deserialize)]
struct NewUserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default, rename = "actorId")]
    actor_id: String,
}

/// Shown once after creating a user or setting a temporary password.
struct Handover {
    email: String,
    password: String,
}

fn handover(lang: Lang, h: &Handover) -> Markup {
    html! {
        div.notice role="status" {
            p { (tr(lang, "Clave temporal de ", "Temporary password of ")) strong { (h.email) } ":" }
            p { code.password { (h.password) } }
            p.hint { (tr(lang,
                "Se muestra solo esta vez: entréguela por un canal seguro. Deberá cambiarse al ingresar.",
                "Shown this once only: hand it over through a safe channel. It must be changed at sign-in.")) }
        }
    }
}

async fn users_view(
    req: &HttpRequest,
    app: &Ayni,
    signed: &Signed,
    form: &NewUserForm,
    errors: &FormErrors,
    shown: Option<Handover>,
) -> WebResult {
    let lang = signed.lang;
    let users = app.users(&signed.me.caller).await?;
    let actors = app.actors().await?;
    let names: HashMap<i64, &str> = actors.iter().map(|a| (a.id, a.name.as_str())).collect();
    let body = html! {
        (subnav(lang))
        @if let Some(h) = &shown { (handover(lang, h)) }
        h2 { (tr(lang, "Usuarios", "Users")) }
        div.table-wrap { table {
            thead { tr {
                th scope="col" { (tr(lang, "Correo", "E-mail")) }
                th scope="col" { (tr(lang, "Rol", "Role")) }
                th scope="col" { (tr(lang, "Actor", "Actor")) }
                th scope="col" { (tr(lang, "Estado", "State")) }
                th scope="col" { span.visually-hidden { (tr(lang, "Acciones", "Actions")) } }
            } }
            tbody {
                @for u in &users {
                    tr {
                        td { (u.email) }
                        td { (u.role.as_str()) }
                        td { (u.actor_id.and_then(|a| names.get(&a).copied()).unwrap_or("—")) }
                        td { @if u.disabled { (tr(lang, "deshabilitado", "disabled")) } @else { (tr(lang, "activo", "active")) } }
                        td { a href=(format!("/app/admin/usuarios/{}", u.id)) { (tr(lang, "Editar", "Edit")) span.visually-hidden { " " (u.email) } } }
                    }
                }
            }
        } }
        h2 { (tr(lang, "Nuevo usuario", "New user")) }
        (errors.summary(lang))
        form.stacked method="post" action="/app/admin/usuarios" {
            (signed.csrf_field())
            (field(tr(lang, "Correo electrónico", "E-mail"), "email", "email", &form.email, errors,
                FieldAttrs { required: true, autocomplete: Some("off") }))
            (select(tr(lang, "Rol", "Role"), "role", &role_options(),
                if form.role.is_empty() { Role::Contributor.as_str() } else { &form.role }, errors))
            (select(tr(lang, "Actor (obligatorio para quien aporta datos)", "Actor (required for contributors)"),
                "actorId", &actor_options(lang, &actors), &form.actor_id, errors))
            p.hint { (tr(lang,
                "Se genera una clave temporal, que se muestra una sola vez.",
                "A temporary password is generated and shown once.")) }
            button type="submit" { (tr(lang, "Crear usuario", "Create user")) }
        }
    };
    Ok(page(
        req,
        signed,
        HERE,
        tr(lang, "Administración", "Administration"),
        body,
    ))
}

async fn users_page(req: HttpRequest, app: web::Data<Ayni>, signed: Signed) -> WebResult {
    require_admin(&signed)?;
    users_view(
        &req,
        &app,
        &signed,
        &NewUserForm::default(),
        &FormErrors::default(),
        None,
    )
    .await
}

async fn create_user(
    req: HttpRequest,
    app: web::Data<Ayni>,
    signed: Signed,
    form: web::Form<NewUserForm>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    require_admin(&signed)?;
    let form = form.into_inner();
    let result = match role_and_actor(&form.role, &form.actor_id) {
        Ok((role, actor_id)) => {
            app.create_user_with_temporary_password(
                &signed.me.caller,
                form.email.clone(),
                role,
                actor_id,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok((user, password)) => {
            let shown = Handover {
                email: user.email,
                password,
            };
            users_view(
                &req,
                &app,
                &signed,
                &NewUserForm::default(),
                &FormErrors::default(),
                Some(shown),
            )
            .await
        }
        Err(e) => {
            let (status, errors) = refusal(e)?;
            again(
                users_view(&req, &app, &signed, &form, &errors, None).await?,
                status,
            )
        }
    }
}

async fn find_user(app: &Ayni, signed: &Signed, id: i64) -> Result<User, WebError> {
    // Through the admin listing: the use case checks the role.
    app.users(&signed.me.caller)
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(|| WebError::not_found(&format!("user {id}")))
}

async fn user_view(
    req: &HttpRequest,
    app: &Ayni,
    signed: &Signed,
    user: &User,
    errors: &FormErrors,
    shown: Option<Handover>,
) -> WebResult {
    let lang = signed.lang;
    let actors = app.actors().await?;
    let actor = user.actor_id.map(|a| a.to_string()).unwrap_or_default();
    let base = format!("/app/admin/usuarios/{}", user.id);
    let body = html! {
        (subnav(lang))
        @if let Some(h) = &shown { (handover(lang, h)) }
        p { (tr(lang, "Estado: ", "State: "))
            strong { @if user.disabled { (tr(lang, "deshabilitado", "disabled")) } @else { (tr(lang, "activo", "active")) } } }
        h2 { (tr(lang, "Rol y actor", "Role and actor")) }
        (errors.summary(lang))
        form.stacked method="post" action=(base) {
            (signed.csrf_field())
            (select(tr(lang, "Rol", "Role"), "role", &role_options(), user.role.as_str(), errors))
            (select(tr(lang, "Actor", "Actor"), "actorId", &actor_options(lang, &actors), &actor, errors))
            button type="submit" { (tr(lang, "Guardar", "Save")) }
        }
        h2 { (tr(lang, "Acceso", "Access")) }
        form.inline method="post" action=(format!("{base}/estado")) {
            (signed.csrf_field())
            @if user.disabled {
                input type="hidden" name="disabled" value="0";
                button type="submit" { (tr(lang, "Habilitar", "Enable")) }
            } @else {
                input type="hidden" name="disabled" value="1";
                button type="submit" { (tr(lang, "Deshabilitar", "Disable")) }
            }
        }
        " "
        form.inline method="post" action=(format!("{base}/clave")) {
            (signed.csrf_field())
            button type="submit" { (tr(lang, "Dar una clave temporal", "Set a temporary password")) }
        }
        p.hint { (tr(lang,
            "Una clave temporal cierra las sesiones del usuario y debe cambiarse al ingresar.",
            "A temporary password ends the user's sessions and must be changed at sign-in.")) }
    };
    Ok(page(req, signed, HERE, &user.email, body))
}

async fn user_page(
    req: HttpRequest,
    app: web::Data<Ayni>,
    signed: Signed,
    path: web::Path<i64>,
) -> WebResult {
    require_admin(&signed)?;
    let user = find_user(&app, &signed, path.into_inner()).await?;
    user_view(&req, &app, &signed, &user, &FormErrors::default(), None).await
}

#[derive(Debug, Deserialize)]
struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
    #[serde(default, rename = "actorId")]
    actor_id: String,
}

/// Answers a user form: back to the user's page, or the page again with the refusal.
async fn after_change(
    req: &HttpRequest,
    app: &Ayni,
    signed: &Signed,
    id: i64,
    result: Result<User, AppError>,
) -> WebResult {
    match result {
        Ok(_) => Ok(see_other(&format!("/app/admin/usuarios/{id}"))),
        Err(e) => {
            let (status, errors) = refusal(e)?;
            let user = find_user(app, signed, id).await?;
            again(
                user_view(req, app, signed, &user, &errors, None).await?,
                status,
            )
        }
    }
}

async fn change_user(
    req: HttpRequest,
    app: web::Data<Ayni>,
    signed: Signed,
    path: web::Path<i64>,
    form: web::Form<ChangeForm>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    require_admin(&signed)?;
    let id = path.into_inner();
    let result = match role_and_actor(&form.role, &form.actor_id) {
        Ok((role, actor_id)) => {
            let change = UserChange {
                disabled: None,
                role: Some(role),
                actor_id: Some(actor_id),
            };
            app.change_user(&signed.me.caller, id, change).await
        }
        Err(e) => Err(e),
    };
    after_change(&req, &app, &signed, id, result).await
}

#[derive(Debug, Deserialize)]
struct StateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    disabled: String,
}

async fn set_state(
    req: HttpRequest,
    app: web::Data<Ayni>,
    signed: Signed,
    path: web::Path<i64>,
    form: web::Form<StateForm>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    require_admin(&signed)?;
    let id = path.into_inner();
    let disabled = match form.disabled.as_str() {
        "1" => true,
        "0" => false,
        _ => {
            return Err(WebError::from(AppError::invalid(
                "disabled", "flag", "0 or 1",
            )));
        }
    };
    let change = UserChange {
        disabled: Some(disabled),
        ..UserChange::default()
    };
    let result = app.change_user(&signed.me.caller, id, change).await;
    after_change(&req, &app, &signed, id, result).await
}

async fn temporary_password(
    req: HttpRequest,
    app: web::Data<Ayni>,
    signed: Signed,
    path: web::Path<i64>,
    form: web::Form<CsrfOnly>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    require_admin(&signed)?;
    let id = path.into_inner();
    let user = find_user(&app, &signed, id).await?;
    let password = app.set_temporary_password(&signed.me.caller, id).await?;
    let shown = Handover {
        email: user.email.clone(),
        password,
    };
    user_view(
        &req,
        &app,
        &signed,
        &user,
        &FormErrors::default(),
        Some(shown),
    )
    .await
}

// ---- actors ----

#[derive(Debug, Default, Deserialize)]
struct ActorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
}

async fn actors_view(
    req: &HttpRequest,
    app: &Ayni,
    signed: &Signed,
    form: &ActorForm,
    errors: &FormErrors,
) -> WebResult {
    let lang = signed.lang;
    let actors = app.actors().await?;
    let kinds: Vec<(String, String)> = ActorKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), k.as_str().to_string()))
        .collect();
    let body = html! {
        (subnav(lang))
        h2 { (tr(lang, "Actores", "Actors")) }
        div.table-wrap { table {
            thead { tr {
                th scope="col" { (tr(lang, "Nombre", "Name")) }
                th scope="col" { (tr(lang, "Tipo", "Kind")) }
            } }
            tbody { @for a in &actors { tr { td { (a.name) } td { (a.kind.as_str()) } } } }
        } }
        h2 { (tr(lang, "Nuevo actor", "New actor")) }
        (errors.summary(lang))
        form.stacked method="post" action="/app/admin/actores" {
            (signed.csrf_field())
            (field(tr(lang, "Nombre", "Name"), "name", "text", &form.name, errors,
                FieldAttrs { required: true, autocomplete: Some("off") }))
            (select(tr(lang, "Tipo", "Kind"), "kind", &kinds, &form.kind, errors))
            button type="submit" { (tr(lang, "Crear actor", "Create actor")) }
        }
    };
    Ok(page(req, signed, HERE, tr(lang, "Actores", "Actors"), body))
}

async fn actors_page(req: HttpRequest, app: web::Data<Ayni>, signed: Signed) -> WebResult {
    require_admin(&signed)?;
    actors_view(
        &req,
        &app,
        &signed,
        &ActorForm::default(),
        &FormErrors::default(),
    )
    .await
}

async fn create_actor(
    req: HttpRequest,
    app: web::Data<Ayni>,
    signed: Signed,
    form: web::Form<ActorForm>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    require_admin(&signed)?;
    let form = form.into_inner();
    let result = match ActorKind::parse("kind", &form.kind) {
        Ok(kind) => {
            let input = NewActorInput {
                name: form.name.clone(),
                kind,
            };
            app.create_actor(&signed.me.caller, input).await
        }
        Err(e) => Err(AppError::from(e)),
    };
    match result {
        Ok(_) => Ok(see_other("/app/admin/actores")),
        Err(e) => {
            let (status, errors) = refusal(e)?;
            again(
                actors_view(&req, &app, &signed, &form, &errors).await?,
                status,
            )
        }
    }
}

// ---- ecosystem members ----

#[derive(Debug, Default, Deserialize)]
struct MembersQuery {
    ecosistema: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ecosistema: String,
    #[serde(default, rename = "actorId")]
    actor_id: String,
    #[serde(default, rename = "roleLabel")]
    role_label: String,
}

async fn members_view(
    req: &HttpRequest,
    app: &Ayni,
    signed: &Signed,
    slug: Option<&str>,
    form: &MemberForm,
    errors: &FormErrors,
) -> WebResult {
    let lang = signed.lang;
    let ecosystems = app.ecosystems().await?;
    let chosen = match slug {
        Some(s) => Some(
            ecosystems
                .iter()
                .find(|e| e.slug == s)
                .ok_or_else(|| WebError::not_found(&format!("ecosystem {s}")))?,
        ),
        None => None,
    };
    let actors = app.actors().await?;
    let names: HashMap<i64, &str> = actors.iter().map(|a| (a.id, a.name.as_str())).collect();
    let members = match chosen {
        Some(e) => app.members_of(vec![e.id]).await?,
        None => Vec::new(),
    };
    let body = html! {
        (subnav(lang))
        h2 { (tr(lang, "Ecosistemas", "Ecosystems")) }
        ul {
            @for e in &ecosystems {
                li {
                    @if chosen.is_some_and(|c| c.id == e.id) {
                        strong aria-current="true" { (e.name) }
                    } @else {
                        a href=(format!("/app/admin/miembros?ecosistema={}", e.slug)) { (e.name) }
                    }
                }
            }
        }
        @if let Some(eco) = chosen {
            h2 { (tr(lang, "Miembros de ", "Members of ")) (eco.name) }
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { (tr(lang, "Actor", "Actor")) }
                    th scope="col" { (tr(lang, "Papel", "Role label")) }
                    th scope="col" { span.visually-hidden { (tr(lang, "Acciones", "Actions")) } }
                } }
                tbody {
                    @for m in &members {
                        tr {
                            td { (names.get(&m.actor_id).copied().unwrap_or("—")) }
                            td { (m.role_label) }
                            td {
                                form.inline method="post" action="/app/admin/miembros/quitar" {
                                    (signed.csrf_field())
                                    input type="hidden" name="ecosistema" value=(eco.slug);
                                    input type="hidden" name="actorId" value=(m.actor_id);
                                    button type="submit" { (tr(lang, "Quitar", "Remove"))
                                        span.visually-hidden { " " (names.get(&m.actor_id).copied().unwrap_or("")) } }
                                }
                            }
                        }
                    }
                }
            } }
            h2 { (tr(lang, "Agregar un actor", "Add an actor")) }
            (errors.summary(lang))
            form.stacked method="post" action="/app/admin/miembros" {
                (signed.csrf_field())
                input type="hidden" name="ecosistema" value=(eco.slug);
                (select(tr(lang, "Actor", "Actor"), "actorId", &actor_options(lang, &actors), &form.actor_id, errors))
                (field(tr(lang, "Papel en el ecosistema", "Role in the ecosystem"), "roleLabel", "text", &form.role_label, errors,
                    FieldAttrs { required: true, autocomplete: Some("off") }))
                button type="submit" { (tr(lang, "Agregar", "Add")) }
            }
        }
    };
    Ok(page(
        req,
        signed,
        HERE,
        tr(lang, "Miembros de ecosistemas", "Ecosystem members"),
        body,
    ))
}

async fn members_page(
    req: HttpRequest,
    app: web::Data<Ayni>,
    signed: Signed,
    q: web::Query<MembersQuery>,
) -> WebResult {
    require_admin(&signed)?;
    members_view(
        &req,
        &app,
        &signed,
        q.ecosistema.as_deref(),
        &MemberForm::default(),
        &FormErrors::default(),
    )
    .await
}

async fn member_ecosystem(app: &Ayni, slug: &str) -> Result<i64, WebError> {
    app.ecosystem_by_slug(slug.to_string())
        .await?
        .map(|e| e.id)
        .ok_or_else(|| WebError::not_found(&format!("ecosystem {slug}")))
}

fn members_url(slug: &str) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("ecosistema", slug)
        .finish();
    format!("/app/admin/miembros?{q}")
}

async fn add_member(
    req: HttpRequest,
    app: web::Data<Ayni>,
    signed: Signed,
    form: web::Form<MemberForm>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    require_admin(&signed)?;
    let form = form.into_inner();
    let eco = member_ecosystem(&app, &form.ecosistema).await?;
    let result = match parse_actor_id(&form.actor_id).map_err(AppError::from) {
        Ok(Some(actor_id)) => {
            app.add_ecosystem_member(&signed.me.caller, eco, actor_id, form.role_label.clone())
                .await
        }
        Ok(None) => Err(AppError::invalid("actorId", "required", "choose an actor")),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other(&members_url(&form.ecosistema))),
        Err(e) => {
            let (status, errors) = refusal(e)?;
            again(
                members_view(&req, &app, &signed, Some(&form.ecosistema), &form, &errors).await?,
                status,
            )
        }
    }
}

async fn remove_member(
    req: HttpRequest,
    app: web::Data<Ayni>,
    signed: Signed,
    form: web::Form<MemberForm>,
) -> WebResult {
    signed.check_csrf(&form.csrf)?;
    require_admin(&signed)?;
    let form = form.into_inner();
    let eco = member_ecosystem(&app, &form.ecosistema).await?;
    let actor_id = parse_actor_id(&form.actor_id)
        .map_err(AppError::from)?
        .ok_or_else(|| WebError::from(AppError::invalid("actorId", "required", "no actor")))?;
    match app
        .remove_ecosystem_member(&signed.me.caller, eco, actor_id)
        .await
    {
        Ok(_) => Ok(see_other(&members_url(&form.ecosistema))),
        Err(e) => {
            let (status, errors) = refusal(e)?;
            again(
                members_view(
                    &req,
                    &app,
                    &signed,
                    Some(&form.ecosistema),
                    &MemberForm::default(),
                    &errors,
                )
                .await?,
                status,
            )
        }
    }
}
