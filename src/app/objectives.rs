//! Objectives, cause-effect links and the strategy map.

use std::collections::HashMap;

use crate::db::models::ecosystem;
use crate::db::models::objective::{self, ObjectiveFields};
use crate::db::models::{indicator, measurement};
use crate::db::{DbConnection, WriteTx};
use crate::domain::strategy::{cycle_through, text};
use crate::domain::{Code, PerspectiveKind, ValidationErrors, Weight};

use super::ecosystems::{MAX_NAME, MAX_TEXT, check_responsible, require_ecosystem};
use super::model::{self, Link, Objective, Perspective, Theme};
use super::{AppError, Ayni, Caller};

/// A new objective as the interfaces receive it.
#[derive(Debug, Clone)]
pub struct ObjectiveInput {
    pub ecosystem_id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub perspective: PerspectiveKind,
    pub theme_id: Option<i64>,
    pub weight: Option<f64>,
    pub responsible_actor_ids: Vec<i64>,
}

/// Changes to an objective; `None` keeps the current value. `theme_id: Some(None)` clears
/// the theme.
#[derive(Debug, Clone, Default)]
pub struct ObjectivePatch {
    pub code: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub perspective: Option<PerspectiveKind>,
    pub theme_id: Option<Option<i64>>,
    pub weight: Option<f64>,
    pub responsible_actor_ids: Option<Vec<i64>>,
}

/// What a deletion removed.
#[derive(Debug, Clone)]
pub struct DeletedObjective {
    pub objective: Objective,
    pub removed_links: Vec<Link>,
}

/// A whole strategy map, read in four queries.
#[derive(Debug, Clone)]
pub struct StrategyMap {
    pub perspectives: Vec<Perspective>,
    pub themes: Vec<Theme>,
    pub objectives: Vec<Objective>,
    pub links: Vec<Link>,
}

fn require_objective(
    conn: &mut DbConnection,
    id: i64,
    field: &str,
) -> Result<objective::Objective, AppError> {
    objective::by_id(conn, id)?
        .ok_or_else(|| AppError::invalid(field, "exists", format!("no objective with id {id}")))
}

/// An objective's fields as given, before validation.
struct Draft<'a> {
    code: &'a str,
    name: &'a str,
    description: &'a str,
    perspective: PerspectiveKind,
    theme_id: Option<i64>,
    weight: f64,
    responsible: &'a [i64],
}

/// Validates an objective's fields and checks their references against its ecosystem,
/// inside the write.
fn resolve_fields(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    draft: Draft<'_>,
) -> Result<ObjectiveFields, AppError> {
    let Draft {
        code,
        name,
        description,
        perspective,
        theme_id,
        weight,
        responsible,
    } = draft;
    let mut errors = ValidationErrors::new();
    let code = errors.check(Code::parse("code", code));
    let name = errors.check(text("name", name, 2, MAX_NAME));
    let description = errors.check(text("description", description, 0, MAX_TEXT));
    let weight = errors.check(Weight::parse("weight", weight));
    let perspectives = ecosystem::perspectives_of(tx.conn(), &[ecosystem_id])?;
    let perspective_id = perspectives
        .iter()
        .find(|p| p.kind == perspective)
        .map(|p| p.id)
        .ok_or_else(|| {
            AppError::internal(format!(
                "ecosystem {ecosystem_id} lacks perspective {perspective}"
            ))
        })?;
    if let Some(theme_id) = theme_id {
        let themes = ecosystem::themes_by_ids(tx.conn(), &[theme_id])?;
        if !themes.iter().any(|t| t.ecosystem_id == ecosystem_id) {
            errors.push(crate::domain::FieldError::new(
                "themeId",
                "exists",
                format!("no theme with id {theme_id} in this ecosystem"),
            ));
        }
    }
    check_responsible(tx.conn(), ecosystem_id, responsible, &mut errors)?;
    let (Some(code), Some(name), Some(description), Some(weight)) =
        (code, name, description, weight)
    else {
        return Err(AppError::Invalid(errors));
    };
    errors.into_result()?;
    let mut responsible = responsible.to_vec();
    responsible.sort_unstable();
    responsible.dedup();
    Ok(ObjectiveFields {
        perspective_id,
        theme_id,
        code: code.as_str().to_string(),
        name,
        description,
        weight: weight.value(),
        responsible,
    })
}

impl Ayni {
    /// An ecosystem's objectives, optionally one perspective's and/or one theme's (by code).
    pub async fn objectives(
        &self,
        ecosystem_id: i64,
        perspective: Option<PerspectiveKind>,
        theme_code: Option<String>,
    ) -> Result<Vec<Objective>, AppError> {
        self.db
            .run(move |c| {
                let perspective_id = match perspective {
                    Some(kind) => {
                        let ps = ecosystem::perspectives_of(c, &[ecosystem_id])?;
                        match ps.into_iter().find(|p| p.kind == kind) {
                            Some(p) => Some(p.id),
                            None => return Ok(Vec::new()),
                        }
                    }
                    None => None,
                };
                let theme_id = match theme_code {
                    Some(code) => match ecosystem::theme_by_code(c, ecosystem_id, code.trim())? {
                        Some(t) => Some(t.id),
                        None => return Ok(Vec::new()),
                    },
                    None => None,
                };
                objective::of_ecosystem(c, ecosystem_id, perspective_id, theme_id)
                    .map_err(AppError::from)
            })
            .await
            .map(model::all)
    }

    pub async fn objectives_by_ids(&self, ids: Vec<i64>) -> Result<Vec<Objective>, AppError> {
        self.db
            .run(move |c| objective::by_ids(c, &ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    /// `(objective_id, actor_id)` pairs (batch loading).
    pub async fn responsibles_of(
        &self,
        objective_ids: Vec<i64>,
    ) -> Result<Vec<(i64, i64)>, AppError> {
        self.db
            .run(move |c| objective::responsibles_of(c, &objective_ids).map_err(AppError::from))
            .await
    }

    /// Links where these objectives are cause or effect (batch loading).
    pub async fn links_touching(&self, objective_ids: Vec<i64>) -> Result<Vec<Link>, AppError> {
        self.db
            .run(move |c| objective::links_touching(c, &objective_ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    pub async fn strategy_map(&self, ecosystem_id: i64) -> Result<StrategyMap, AppError> {
        self.db
            .run(move |c| {
                Ok(StrategyMap {
                    perspectives: model::all(ecosystem::perspectives_of(c, &[ecosystem_id])?),
                    themes: model::all(ecosystem::themes_of(c, &[ecosystem_id])?),
                    objectives: model::all(objective::of_ecosystem(c, ecosystem_id, None, None)?),
                    links: model::all(objective::links_of_ecosystem(c, ecosystem_id)?),
                })
            })
            .await
    }

    pub async fn create_objective(
        &self,
        caller: &Caller,
        input: ObjectiveInput,
    ) -> Result<Objective, AppError> {
        caller.require_strategist("create objectives")?;
        self.db
            .write(caller.author(), move |tx| {
                require_ecosystem(tx.conn(), input.ecosystem_id)?;
                let draft = Draft {
                    code: &input.code,
                    name: &input.name,
                    description: &input.description,
                    perspective: input.perspective,
                    theme_id: input.theme_id,
                    weight: input.weight.unwrap_or(Weight::DEFAULT.value()),
                    responsible: &input.responsible_actor_ids,
                };
                let fields = resolve_fields(tx, input.ecosystem_id, draft)?;
                objective::create(tx, input.ecosystem_id, &fields).map_err(AppError::from)
            })
            .await
            .map(Objective::from)
    }

    pub async fn update_objective(
        &self,
        caller: &Caller,
        id: i64,
        patch: ObjectivePatch,
    ) -> Result<Objective, AppError> {
        caller.require_strategist("edit objectives")?;
        self.db
            .write(caller.author(), move |tx| {
                let before = objective::by_id(tx.conn(), id)?
                    .ok_or_else(|| AppError::not_found(format!("objective {id}")))?;
                let perspective = match patch.perspective {
                    Some(p) => p,
                    None => {
                        ecosystem::perspective_by_id(tx.conn(), before.perspective_id)?
                            .ok_or_else(|| AppError::internal("objective without perspective"))?
                            .kind
                    }
                };
                let responsible = match patch.responsible_actor_ids {
                    Some(ids) => ids,
                    None => objective::responsibles_of(tx.conn(), &[id])?
                        .into_iter()
                        .map(|(_, a)| a)
                        .collect(),
                };
                let draft = Draft {
                    code: patch.code.as_deref().unwrap_or(&before.code),
                    name: patch.name.as_deref().unwrap_or(&before.name),
                    description: patch.description.as_deref().unwrap_or(&before.description),
                    perspective,
                    theme_id: patch.theme_id.unwrap_or(before.theme_id),
                    weight: patch.weight.unwrap_or(before.weight),
                    responsible: &responsible,
                };
                let fields = resolve_fields(tx, before.ecosystem_id, draft)?;
                objective::update(tx, &before, &fields).map_err(AppError::from)
            })
            .await
            .map(Objective::from)
    }

    /// Deletes an objective. When links hang on it, `force` must be given: they go with it.
    pub async fn delete_objective(
        &self,
        caller: &Caller,
        id: i64,
        force: bool,
    ) -> Result<DeletedObjective, AppError> {
        caller.require_strategist("delete objectives")?;
        self.db
            .write(caller.author(), move |tx| {
                let target = objective::by_id(tx.conn(), id)?.ok_or_else(|| AppError::not_found(format!("objective {id}")))?;
                let links = objective::links_touching(tx.conn(), &[id])?;
                if !links.is_empty() && !force {
                    let ids: Vec<i64> = links.iter().flat_map(|l| [l.cause_id, l.effect_id]).collect();
                    let codes: HashMap<i64, String> = objective::by_ids(tx.conn(), &ids)?
                        .into_iter()
                        .map(|o| (o.id, o.code))
                        .collect();
                    let code = |id: &i64| codes.get(id).cloned().unwrap_or_else(|| id.to_string());
                    let described: Vec<String> = links
                        .iter()
                        .map(|l| format!("{} → {}", code(&l.cause_id), code(&l.effect_id)))
                        .collect();
                    return Err(AppError::Conflict {
                        field: "force".into(),
                        message: format!(
                            "objective {} has {} cause-effect link(s) ({}); pass force: true to delete them with it",
                            target.code,
                            links.len(),
                            described.join(", ")
                        ),
                    });
                }
                let indicators = indicator::of_objectives(tx.conn(), &[id])?;
                if !indicators.is_empty() {
                    let codes: Vec<&str> = indicators.iter().map(|i| i.definition.code.as_str()).collect();
                    if !force {
                        return Err(AppError::Conflict {
                            field: "force".into(),
                            message: format!(
                                "objective {} has {} indicator(s) ({}); pass force: true to delete them with it",
                                target.code,
                                indicators.len(),
                                codes.join(", ")
                            ),
                        });
                    }
                    let ids: Vec<i64> = indicators.iter().map(|i| i.id).collect();
                    let held = measurement::list(tx.conn(), measurement::Subjects::Indicators(&ids), measurement::Visibility::All, &Default::default())?;
                    if !held.is_empty() {
                        return Err(AppError::Conflict {
                            field: "force".into(),
                            message: format!(
                                "objective {} has indicators with {} contributed value(s) ({}); published values are never deleted",
                                target.code,
                                held.len(),
                                codes.join(", ")
                            ),
                        });
                    }
                    for ind in &indicators {
                        indicator::delete(tx, ind)?;
                    }
                }
                let removed_links = objective::delete(tx, &target)?;
                Ok(DeletedObjective {
                    objective: target.into(),
                    removed_links: model::all(removed_links),
                })
            })
            .await
    }

    /// Links `cause → effect`. Refuses self-links and links across ecosystems
    /// (`BAD_USER_INPUT`), duplicates (`CONFLICT`) and links that close a cycle (`CYCLE`).
    pub async fn link_objectives(
        &self,
        caller: &Caller,
        cause_id: i64,
        effect_id: i64,
        description: String,
        expected_sign: crate::domain::causal::ExpectedSign,
    ) -> Result<Link, AppError> {
        caller.require_strategist("link objectives")?;
        let description = text("description", &description, 0, MAX_TEXT)?;
        self.db
            .write(caller.author(), move |tx| {
                let cause = require_objective(tx.conn(), cause_id, "causeId")?;
                let effect = require_objective(tx.conn(), effect_id, "effectId")?;
                if cause.id == effect.id {
                    return Err(AppError::invalid(
                        "effectId",
                        "self_link",
                        format!("an objective cannot cause itself ({})", cause.code),
                    ));
                }
                if cause.ecosystem_id != effect.ecosystem_id {
                    return Err(AppError::invalid(
                        "effectId",
                        "same_ecosystem",
                        format!("{} and {} belong to different ecosystems", cause.code, effect.code),
                    ));
                }
                let existing = objective::links_of_ecosystem(tx.conn(), cause.ecosystem_id)?;
                if existing.iter().any(|l| l.cause_id == cause.id && l.effect_id == effect.id) {
                    return Err(AppError::Conflict {
                        field: "effectId".into(),
                        message: format!("{} → {} is already linked", cause.code, effect.code),
                    });
                }
                let pairs: Vec<(i64, i64)> = existing.iter().map(|l| (l.cause_id, l.effect_id)).collect();
                if let Some(cycle) = cycle_through(&pairs, cause.id, effect.id) {
                    let codes: HashMap<i64, String> = objective::by_ids(tx.conn(), &cycle)?
                        .into_iter()
                        .map(|o| (o.id, o.code))
                        .collect();
                    let path: Vec<String> = cycle
                        .iter()
                        .map(|id| codes.get(id).cloned().unwrap_or_else(|| id.to_string()))
                        .collect();
                    return Err(AppError::Cycle {
                        message: format!(
                            "linking {} → {} would close the cycle {}; the strategy map must stay acyclic",
                            cause.code,
                            effect.code,
                            path.join(" → ")
                        ),
                        path,
                    });
                }
                objective::create_link(
                    tx,
                    cause.ecosystem_id,
                    cause.id,
                    effect.id,
                    &description,
                    expected_sign,
                )
                .map_err(AppError::from)
            })
            .await
            .map(Link::from)
    }

    pub async fn unlink_objectives(
        &self,
        caller: &Caller,
        cause_id: i64,
        effect_id: i64,
    ) -> Result<Link, AppError> {
        caller.require_strategist("unlink objectives")?;
        self.db
            .write(caller.author(), move |tx| {
                objective::delete_link(tx, cause_id, effect_id)?
                    .ok_or_else(|| AppError::not_found(format!("link {cause_id} → {effect_id}")))
            })
            .await
            .map(Link::from)
    }
}
