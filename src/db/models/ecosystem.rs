//! Ecosystems with their four perspectives, members and themes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{ecosystem_members, ecosystems, perspectives, themes};
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::{Horizon, PerspectiveKind, Slug, ThemeKind, Ubigeo};

pub const ENTITY: &str = "ecosystem";
pub const PERSPECTIVE: &str = "perspective";
pub const MEMBER: &str = "ecosystem_member";
pub const THEME: &str = "theme";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = ecosystems)]
pub struct Ecosystem {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub territory: Ubigeo,
    pub mission: String,
    pub vision: String,
    pub horizon_start: i32,
    pub horizon_end: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Loaded from the demo seed: its figures are illustrative.
    pub illustrative: bool,
    /// Days after a period's end for its values to count as on time (0..=365, default 60).
    pub grace_days: i32,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = perspectives)]
pub struct Perspective {
    pub id: i64,
    pub ecosystem_id: i64,
    pub kind: PerspectiveKind,
    pub name: String,
    pub position: i32,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = ecosystem_members)]
pub struct Member {
    pub id: i64,
    pub ecosystem_id: i64,
    pub actor_id: i64,
    pub role_label: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = themes)]
pub struct Theme {
    pub id: i64,
    pub ecosystem_id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub kind: ThemeKind,
    pub created_at: NaiveDateTime,
}

/// The fields of an ecosystem, validated.
#[derive(Debug, Clone)]
pub struct EcosystemFields {
    pub name: String,
    pub territory: Ubigeo,
    pub mission: String,
    pub vision: String,
    pub horizon: Horizon,
    pub grace_days: i32,
}

/// Marks an ecosystem's figures as illustrative (demo data) or not.
pub fn set_illustrative(
    tx: &mut WriteTx<'_>,
    before: &Ecosystem,
    illustrative: bool,
) -> Result<Ecosystem, StoreError> {
    let now = tx.now();
    diesel::update(ecosystems::table.find(before.id))
        .set((
            ecosystems::illustrative.eq(illustrative),
            ecosystems::updated_at.eq(now),
        ))
        .execute(tx.conn())?;
    let after = by_id(tx.conn(), before.id)?.ok_or_else(|| StoreError::NotFound {
        entity: ENTITY,
        key: before.id.to_string(),
    })?;
    tx.record_change(Some(before), Some(&after))?;
    Ok(after)
}

/// Creates an ecosystem and its four perspectives in the default order.
pub fn create(
    tx: &mut WriteTx<'_>,
    slug: &Slug,
    fields: &EcosystemFields,
) -> Result<Ecosystem, StoreError> {
    let now = tx.now();
    diesel::insert_into(ecosystems::table)
        .values((
            ecosystems::slug.eq(slug.as_str()),
            ecosystems::name.eq(&fields.name),
            ecosystems::territory.eq(fields.territory.as_str()),
            ecosystems::mission.eq(&fields.mission),
            ecosystems::vision.eq(&fields.vision),
            ecosystems::horizon_start.eq(fields.horizon.start_year),
            ecosystems::horizon_end.eq(fields.horizon.end_year),
            ecosystems::grace_days.eq(fields.grace_days),
            ecosystems::created_at.eq(now),
            ecosystems::updated_at.eq(now),
        ))
        .execute(tx.conn())
        .map_err(StoreError::on_unique("slug", || {
            format!("an ecosystem with slug '{}' already exists", slug.as_str())
        }))?;
    let eco = by_slug(tx.conn(), slug.as_str())?.ok_or_else(|| StoreError::NotFound {
        entity: ENTITY,
        key: slug.as_str().to_string(),
    })?;
    tx.record_change(None, Some(&eco))?;
    for (i, kind) in PerspectiveKind::DEFAULT_ORDER.into_iter().enumerate() {
        diesel::insert_into(perspectives::table)
            .values((
                perspectives::ecosystem_id.eq(eco.id),
                perspectives::kind.eq(kind.as_str()),
                perspectives::name.eq(kind.default_name()),
                perspectives::position.eq(i as i32 + 1),
            ))
            .execute(tx.conn())?;
    }
    for p in perspectives_of(tx.conn(), &[eco.id])? {
        tx.record_change(None, Some(&p))?;
    }
    Ok(eco)
}

pub fn update(
    tx: &mut WriteTx<'_>,
    before: &Ecosystem,
    fields: &EcosystemFields,
) -> Result<Ecosystem, StoreError> {
    let now = tx.now();
    diesel::update(ecosystems::table.find(before.id))
        .set((
            ecosystems::name.eq(&fields.name),
            ecosystems::territory.eq(fields.territory.as_str()),
            ecosystems::mission.eq(&fields.mission),
            ecosystems::vision.eq(&fields.vision),
            ecosystems::horizon_start.eq(fields.horizon.start_year),
            ecosystems::horizon_end.eq(fields.horizon.end_year),
            ecosystems::grace_days.eq(fields.grace_days),
            ecosystems::updated_at.eq(now),
        ))
        .execute(tx.conn())?;
    let after = by_id(tx.conn(), before.id)?.ok_or_else(|| StoreError::NotFound {
        entity: ENTITY,
        key: before.id.to_string(),
    })?;
    tx.record_change(Some(before), Some(&after))?;
    Ok(after)
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<Ecosystem>, StoreError> {
    Ok(ecosystems::table
        .order(ecosystems::name.asc())
        .select(Ecosystem::as_select())
        .load(conn)?)
}

pub fn by_slug(conn: &mut DbConnection, slug: &str) -> Result<Option<Ecosystem>, StoreError> {
    Ok(ecosystems::table
        .filter(ecosystems::slug.eq(slug))
        .select(Ecosystem::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<Option<Ecosystem>, StoreError> {
    Ok(ecosystems::table
        .find(id)
        .select(Ecosystem::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Ecosystem>, StoreError> {
    Ok(ecosystems::table
        .filter(ecosystems::id.eq_any(ids))
        .select(Ecosystem::as_select())
        .load(conn)?)
}

/// The perspectives of these ecosystems, each ecosystem's in its order.
pub fn perspectives_of(
    conn: &mut DbConnection,
    ecosystem_ids: &[i64],
) -> Result<Vec<Perspective>, StoreError> {
    Ok(perspectives::table
        .filter(perspectives::ecosystem_id.eq_any(ecosystem_ids))
        .order((
            perspectives::ecosystem_id.asc(),
            perspectives::position.asc(),
        ))
        .select(Perspective::as_select())
        .load(conn)?)
}

pub fn perspectives_by_ids(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<Vec<Perspective>, StoreError> {
    Ok(perspectives::table
        .filter(perspectives::id.eq_any(ids))
        .select(Perspective::as_select())
        .load(conn)?)
}

pub fn perspective_by_id(
    conn: &mut DbConnection,
    id: i64,
) -> Result<Option<Perspective>, StoreError> {
    Ok(perspectives::table
        .find(id)
        .select(Perspective::as_select())
        .first(conn)
        .optional()?)
}

pub fn rename_perspective(
    tx: &mut WriteTx<'_>,
    before: &Perspective,
    name: &str,
) -> Result<Perspective, StoreError> {
    diesel::update(perspectives::table.find(before.id))
        .set(perspectives::name.eq(name))
        .execute(tx.conn())?;
    let after = Perspective {
        name: name.to_string(),
        ..before.clone()
    };
    tx.record_change(Some(before), Some(&after))?;
    Ok(after)
}

/// Puts the ecosystem's perspectives in `order` (positions 1 to 4).
pub fn reorder_perspectives(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    order: [PerspectiveKind; 4],
) -> Result<Vec<Perspective>, StoreError> {
    let before = perspectives_of(tx.conn(), &[ecosystem_id])?;
    for (i, kind) in order.into_iter().enumerate() {
        diesel::update(
            perspectives::table
                .filter(perspectives::ecosystem_id.eq(ecosystem_id))
                .filter(perspectives::kind.eq(kind.as_str())),
        )
        .set(perspectives::position.eq(i as i32 + 1))
        .execute(tx.conn())?;
    }
    let after = perspectives_of(tx.conn(), &[ecosystem_id])?;
    for new in &after {
        if let Some(old) = before
            .iter()
            .find(|p| p.id == new.id)
            .filter(|old| old.position != new.position)
        {
            tx.record_change(Some(old), Some(new))?;
        }
    }
    Ok(after)
}

pub fn add_member(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    actor_id: i64,
    role_label: &str,
) -> Result<Member, StoreError> {
    let now = tx.now();
    diesel::insert_into(ecosystem_members::table)
        .values((
            ecosystem_members::ecosystem_id.eq(ecosystem_id),
            ecosystem_members::actor_id.eq(actor_id),
            ecosystem_members::role_label.eq(role_label),
            ecosystem_members::created_at.eq(now),
        ))
        .execute(tx.conn())
        .map_err(StoreError::on_unique("actorId", || {
            "the actor is already a member of this ecosystem".to_string()
        }))?;
    let member: Member = ecosystem_members::table
        .filter(ecosystem_members::ecosystem_id.eq(ecosystem_id))
        .filter(ecosystem_members::actor_id.eq(actor_id))
        .select(Member::as_select())
        .first(tx.conn())?;
    tx.record_change(None, Some(&member))?;
    Ok(member)
}

pub fn members_of(
    conn: &mut DbConnection,
    ecosystem_ids: &[i64],
) -> Result<Vec<Member>, StoreError> {
    Ok(ecosystem_members::table
        .filter(ecosystem_members::ecosystem_id.eq_any(ecosystem_ids))
        .order(ecosystem_members::id.asc())
        .select(Member::as_select())
        .load(conn)?)
}

/// A new theme, validated.
#[derive(Debug, Clone)]
pub struct ThemeFields {
    pub code: String,
    pub name: String,
    pub description: String,
    pub kind: ThemeKind,
}

pub fn create_theme(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    fields: &ThemeFields,
) -> Result<Theme, StoreError> {
    let now = tx.now();
    diesel::insert_into(themes::table)
        .values((
            themes::ecosystem_id.eq(ecosystem_id),
            themes::code.eq(&fields.code),
            themes::name.eq(&fields.name),
            themes::description.eq(&fields.description),
            themes::kind.eq(fields.kind.as_str()),
            themes::created_at.eq(now),
        ))
        .execute(tx.conn())
        .map_err(StoreError::on_unique("code", || {
            format!(
                "a theme with code '{}' already exists in this ecosystem",
                fields.code
            )
        }))?;
    let theme = theme_by_code(tx.conn(), ecosystem_id, &fields.code)?.ok_or_else(|| {
        StoreError::NotFound {
            entity: THEME,
            key: fields.code.clone(),
        }
    })?;
    tx.record_change(None, Some(&theme))?;
    Ok(theme)
}

pub fn themes_of(conn: &mut DbConnection, ecosystem_ids: &[i64]) -> Result<Vec<Theme>, StoreError> {
    Ok(themes::table
        .filter(themes::ecosystem_id.eq_any(ecosystem_ids))
        .order(themes::code.asc())
        .select(Theme::as_select())
        .load(conn)?)
}

pub fn themes_by_ids(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Theme>, StoreError> {
    Ok(themes::table
        .filter(themes::id.eq_any(ids))
        .select(Theme::as_select())
        .load(conn)?)
}

pub fn theme_by_code(
    conn: &mut DbConnection,
    ecosystem_id: i64,
    code: &str,
) -> Result<Option<Theme>, StoreError> {
    Ok(themes::table
        .filter(themes::ecosystem_id.eq(ecosystem_id))
        .filter(themes::code.eq(code))
        .select(Theme::as_select())
        .first(conn)
        .optional()?)
}

pub fn all_perspectives(conn: &mut DbConnection) -> Result<Vec<Perspective>, StoreError> {
    Ok(perspectives::table
        .select(Perspective::as_select())
        .load(conn)?)
}

pub fn all_members(conn: &mut DbConnection) -> Result<Vec<Member>, StoreError> {
    Ok(ecosystem_members::table
        .select(Member::as_select())
        .load(conn)?)
}

pub fn all_themes(conn: &mut DbConnection) -> Result<Vec<Theme>, StoreError> {
    Ok(themes::table.select(Theme::as_select()).load(conn)?)
}

/// Whether the actor is responsible for an objective or an indicator of the ecosystem (it
/// must then stay a member).
pub fn is_responsible_in(
    conn: &mut DbConnection,
    ecosystem_id: i64,
    actor_id: i64,
) -> Result<bool, StoreError> {
    use crate::db::schema::{
        indicator_responsibles, indicators, objective_responsibles, objectives,
    };
    let indicator = diesel::select(diesel::dsl::exists(
        indicator_responsibles::table
            .inner_join(indicators::table)
            .filter(indicators::ecosystem_id.eq(ecosystem_id))
            .filter(indicator_responsibles::actor_id.eq(actor_id)),
    ))
    .get_result::<bool>(conn)?;
    if indicator {
        return Ok(true);
    }
    Ok(diesel::select(diesel::dsl::exists(
        objective_responsibles::table
            .inner_join(objectives::table)
            .filter(objectives::ecosystem_id.eq(ecosystem_id))
            .filter(objective_responsibles::actor_id.eq(actor_id)),
    ))
    .get_result::<bool>(conn)?)
}

/// Removes an actor from an ecosystem's members; `None` when it was not one.
pub fn remove_member(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    actor_id: i64,
) -> Result<Option<Member>, StoreError> {
    let found: Option<Member> = ecosystem_members::table
        .filter(ecosystem_members::ecosystem_id.eq(ecosystem_id))
        .filter(ecosystem_members::actor_id.eq(actor_id))
        .select(Member::as_select())
        .first(tx.conn())
        .optional()?;
    let Some(member) = found else {
        return Ok(None);
    };
    diesel::delete(ecosystem_members::table.find(member.id)).execute(tx.conn())?;
    tx.record_change(Some(&member), None)?;
    Ok(Some(member))
}

/// The ecosystems `actors` take part in (every membership, in id order).
pub fn memberships_of(
    conn: &mut DbConnection,
    actor_ids: &[i64],
) -> Result<Vec<Member>, StoreError> {
    Ok(ecosystem_members::table
        .filter(ecosystem_members::actor_id.eq_any(actor_ids))
        .order(ecosystem_members::id.asc())
        .select(Member::as_select())
        .load(conn)?)
}
