//! Ecosystems, their perspectives, members and themes.

use crate::db::DbConnection;
use crate::db::models::actor;
use crate::db::models::ecosystem::{self, EcosystemFields, ThemeFields};
use crate::domain::due::{DEFAULT_GRACE_DAYS, parse_grace_days};
use crate::domain::strategy::text;
use crate::domain::{Code, Horizon, PerspectiveKind, Slug, ThemeKind, Ubigeo, ValidationErrors};

use super::model::{self, Ecosystem, Member, Perspective, Theme};
use super::{AppError, Ayni, Caller};

/// A new ecosystem as the interfaces receive it.
#[derive(Debug, Clone)]
pub struct EcosystemInput {
    pub slug: String,
    pub name: String,
    pub territory: String,
    pub mission: String,
    pub vision: String,
    pub horizon_start: i32,
    pub horizon_end: i32,
}

/// Changes to an ecosystem; `None` keeps the current value. The slug never changes: it is
/// the ecosystem's public address.
#[derive(Debug, Clone, Default)]
pub struct EcosystemPatch {
    pub name: Option<String>,
    pub territory: Option<String>,
    pub mission: Option<String>,
    pub vision: Option<String>,
    pub horizon_start: Option<i32>,
    pub horizon_end: Option<i32>,
    /// Days after a period's end for its values to be on time (0..=365).
    pub grace_days: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct ThemeInput {
    pub ecosystem_id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub kind: ThemeKind,
}

pub const MAX_NAME: usize = 200;
pub const MAX_TEXT: usize = 4000;

fn ecosystem_fields(
    name: &str,
    territory: &str,
    mission: &str,
    vision: &str,
    (start, end): (i32, i32),
    grace_days: i32,
    errors: &mut ValidationErrors,
) -> Option<EcosystemFields> {
    let name = errors.check(text("name", name, 2, MAX_NAME));
    let territory = errors.check(Ubigeo::parse("territory", territory));
    let mission = errors.check(text("mission", mission, 0, MAX_TEXT));
    let vision = errors.check(text("vision", vision, 0, MAX_TEXT));
    let horizon = errors.check(Horizon::parse(start, end));
    let grace_days = errors.check(parse_grace_days("graceDays", grace_days));
    Some(EcosystemFields {
        name: name?,
        territory: territory?,
        mission: mission?,
        vision: vision?,
        horizon: horizon?,
        grace_days: grace_days?,
    })
}

/// The ecosystem with this id, or `NOT_FOUND` (inside a transaction or a read).
pub(super) fn require_ecosystem(
    conn: &mut DbConnection,
    id: i64,
) -> Result<ecosystem::Ecosystem, AppError> {
    ecosystem::by_id(conn, id)?.ok_or_else(|| AppError::not_found(format!("ecosystem {id}")))
}

/// Records an error unless every responsible actor is a member of the ecosystem.
pub(super) fn check_responsible(
    conn: &mut DbConnection,
    ecosystem_id: i64,
    responsible: &[i64],
    errors: &mut ValidationErrors,
) -> Result<(), AppError> {
    check_members(
        conn,
        ecosystem_id,
        "responsibleActorIds",
        responsible,
        errors,
    )
}

/// Refuses (under `field`) actors that are not members of the ecosystem.
pub(super) fn check_members(
    conn: &mut DbConnection,
    ecosystem_id: i64,
    field: &str,
    responsible: &[i64],
    errors: &mut ValidationErrors,
) -> Result<(), AppError> {
    let members: std::collections::HashSet<i64> = ecosystem::members_of(conn, &[ecosystem_id])?
        .into_iter()
        .map(|m| m.actor_id)
        .collect();
    let strangers: Vec<String> = responsible
        .iter()
        .filter(|a| !members.contains(a))
        .map(i64::to_string)
        .collect();
    if !strangers.is_empty() {
        errors.push(crate::domain::FieldError::new(
            field,
            "member",
            format!(
                "these actors must be members of the ecosystem; not members: {}",
                strangers.join(", ")
            ),
        ));
    }
    Ok(())
}

impl Ayni {
    pub async fn ecosystems(&self) -> Result<Vec<Ecosystem>, AppError> {
        self.db
            .run(|c| ecosystem::list(c).map_err(AppError::from))
            .await
            .map(model::all)
    }

    pub async fn ecosystem_by_slug(&self, slug: String) -> Result<Option<Ecosystem>, AppError> {
        self.db
            .run(move |c| ecosystem::by_slug(c, slug.trim()).map_err(AppError::from))
            .await
            .map(|found| found.map(Ecosystem::from))
    }

    pub async fn ecosystems_by_ids(&self, ids: Vec<i64>) -> Result<Vec<Ecosystem>, AppError> {
        self.db
            .run(move |c| ecosystem::by_ids(c, &ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    pub async fn create_ecosystem(
        &self,
        caller: &Caller,
        input: EcosystemInput,
    ) -> Result<Ecosystem, AppError> {
        caller.require_strategist("create ecosystems")?;
        let mut errors = ValidationErrors::new();
        let slug = errors.check(Slug::parse("slug", &input.slug));
        let fields = ecosystem_fields(
            &input.name,
            &input.territory,
            &input.mission,
            &input.vision,
            (input.horizon_start, input.horizon_end),
            DEFAULT_GRACE_DAYS as i32,
            &mut errors,
        );
        let (Some(slug), Some(fields)) = (slug, fields) else {
            return Err(AppError::Invalid(errors));
        };
        self.db
            .write(caller.author(), move |tx| {
                ecosystem::create(tx, &slug, &fields).map_err(AppError::from)
            })
            .await
            .map(Ecosystem::from)
    }

    pub async fn update_ecosystem(
        &self,
        caller: &Caller,
        id: i64,
        patch: EcosystemPatch,
    ) -> Result<Ecosystem, AppError> {
        caller.require_strategist("edit ecosystems")?;
        self.db
            .write(caller.author(), move |tx| {
                let before = require_ecosystem(tx.conn(), id)?;
                let mut errors = ValidationErrors::new();
                let fields = ecosystem_fields(
                    patch.name.as_deref().unwrap_or(&before.name),
                    patch
                        .territory
                        .as_deref()
                        .unwrap_or(before.territory.as_str()),
                    patch.mission.as_deref().unwrap_or(&before.mission),
                    patch.vision.as_deref().unwrap_or(&before.vision),
                    (
                        patch.horizon_start.unwrap_or(before.horizon_start),
                        patch.horizon_end.unwrap_or(before.horizon_end),
                    ),
                    patch.grace_days.unwrap_or(before.grace_days),
                    &mut errors,
                );
                let fields = fields.ok_or(AppError::Invalid(errors))?;
                ecosystem::update(tx, &before, &fields).map_err(AppError::from)
            })
            .await
            .map(Ecosystem::from)
    }

    /// Marks an ecosystem's figures as illustrative (demo data: the portal says so on its
    /// pages) or not. Coordinators and admins; audited.
    pub async fn set_ecosystem_illustrative(
        &self,
        caller: &Caller,
        id: i64,
        illustrative: bool,
    ) -> Result<Ecosystem, AppError> {
        caller.require_strategist("mark ecosystems as illustrative")?;
        self.db
            .write(caller.author(), move |tx| {
                let before = require_ecosystem(tx.conn(), id)?;
                if before.illustrative == illustrative {
                    return Ok(before);
                }
                ecosystem::set_illustrative(tx, &before, illustrative).map_err(AppError::from)
            })
            .await
            .map(Ecosystem::from)
    }

    /// The perspectives of these ecosystems, each in its ecosystem's order (batch loading).
    pub async fn perspectives_of(
        &self,
        ecosystem_ids: Vec<i64>,
    ) -> Result<Vec<Perspective>, AppError> {
        self.db
            .run(move |c| ecosystem::perspectives_of(c, &ecosystem_ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    pub async fn perspectives_by_ids(&self, ids: Vec<i64>) -> Result<Vec<Perspective>, AppError> {
        self.db
            .run(move |c| ecosystem::perspectives_by_ids(c, &ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    pub async fn update_perspective(
        &self,
        caller: &Caller,
        id: i64,
        name: String,
    ) -> Result<Perspective, AppError> {
        caller.require_strategist("rename perspectives")?;
        let name = text("name", &name, 2, MAX_NAME)?;
        self.db
            .write(caller.author(), move |tx| {
                let before = ecosystem::perspective_by_id(tx.conn(), id)?
                    .ok_or_else(|| AppError::not_found(format!("perspective {id}")))?;
                ecosystem::rename_perspective(tx, &before, &name).map_err(AppError::from)
            })
            .await
            .map(Perspective::from)
    }

    pub async fn reorder_perspectives(
        &self,
        caller: &Caller,
        ecosystem_id: i64,
        kinds: Vec<PerspectiveKind>,
    ) -> Result<Vec<Perspective>, AppError> {
        caller.require_strategist("reorder perspectives")?;
        let order = PerspectiveKind::permutation("kinds", &kinds)?;
        self.db
            .write(caller.author(), move |tx| {
                require_ecosystem(tx.conn(), ecosystem_id)?;
                ecosystem::reorder_perspectives(tx, ecosystem_id, order).map_err(AppError::from)
            })
            .await
            .map(model::all)
    }

    pub async fn add_ecosystem_member(
        &self,
        caller: &Caller,
        ecosystem_id: i64,
        actor_id: i64,
        role_label: String,
    ) -> Result<Member, AppError> {
        caller.require_strategist("add ecosystem members")?;
        let role_label = text("roleLabel", &role_label, 2, MAX_NAME)?;
        self.db
            .write(caller.author(), move |tx| {
                require_ecosystem(tx.conn(), ecosystem_id)?;
                if actor::by_id(tx.conn(), actor_id)?.is_none() {
                    return Err(AppError::invalid(
                        "actorId",
                        "exists",
                        format!("no actor with id {actor_id}"),
                    ));
                }
                ecosystem::add_member(tx, ecosystem_id, actor_id, &role_label)
                    .map_err(AppError::from)
            })
            .await
            .map(Member::from)
    }

    /// Removes an actor from an ecosystem (coordinators and admins). Refused while the actor
    /// is responsible for one of the ecosystem's objectives or indicators.
    pub async fn remove_ecosystem_member(
        &self,
        caller: &Caller,
        ecosystem_id: i64,
        actor_id: i64,
    ) -> Result<Member, AppError> {
        caller.require_strategist("remove ecosystem members")?;
        self.db
            .write(caller.author(), move |tx| {
                require_ecosystem(tx.conn(), ecosystem_id)?;
                if ecosystem::is_responsible_in(tx.conn(), ecosystem_id, actor_id)? {
                    return Err(AppError::Conflict {
                        field: "actorId".into(),
                        message: "the actor is responsible for objectives or indicators of this ecosystem: reassign them first".into(),
                    });
                }
                ecosystem::remove_member(tx, ecosystem_id, actor_id)?.ok_or_else(|| {
                    AppError::not_found(format!(
                        "actor {actor_id} as a member of ecosystem {ecosystem_id}"
                    ))
                })
            })
            .await
            .map(Member::from)
    }

    pub async fn members_of(&self, ecosystem_ids: Vec<i64>) -> Result<Vec<Member>, AppError> {
        self.db
            .run(move |c| ecosystem::members_of(c, &ecosystem_ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    pub async fn create_theme(
        &self,
        caller: &Caller,
        input: ThemeInput,
    ) -> Result<Theme, AppError> {
        caller.require_strategist("create themes")?;
        let mut errors = ValidationErrors::new();
        let code = errors.check(Code::parse("code", &input.code));
        let name = errors.check(text("name", &input.name, 2, MAX_NAME));
        let description = errors.check(text("description", &input.description, 0, MAX_TEXT));
        let (Some(code), Some(name), Some(description)) = (code, name, description) else {
            return Err(AppError::Invalid(errors));
        };
        let fields = ThemeFields {
            code: code.as_str().to_string(),
            name,
            description,
            kind: input.kind,
        };
        self.db
            .write(caller.author(), move |tx| {
                require_ecosystem(tx.conn(), input.ecosystem_id)?;
                ecosystem::create_theme(tx, input.ecosystem_id, &fields).map_err(AppError::from)
            })
            .await
            .map(Theme::from)
    }

    pub async fn themes_of(&self, ecosystem_ids: Vec<i64>) -> Result<Vec<Theme>, AppError> {
        self.db
            .run(move |c| ecosystem::themes_of(c, &ecosystem_ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    pub async fn themes_by_ids(&self, ids: Vec<i64>) -> Result<Vec<Theme>, AppError> {
        self.db
            .run(move |c| ecosystem::themes_by_ids(c, &ids).map_err(AppError::from))
            .await
            .map(model::all)
    }
}
