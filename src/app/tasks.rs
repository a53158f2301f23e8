//! What an actor owes its ecosystems ("Mis tareas"): the indicators it is responsible for,
//! the variables it supplies and the impacts of the developments it runs, each with the
//! periods due and, per period, the state of the actor's latest submission and whether it
//! came (or is still coming) on time.
//!
//! Everything is read in a fixed number of queries, whatever the number of ecosystems,
//! actors, indicators or periods: one per table.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::db::DbConnection;
use crate::db::models::measurement::{self, Measurement, Subjects};
use crate::db::models::{actor, challenge, ecosystem, impact, indicator, variable};
use crate::domain::due::{Timeliness, due_date, periods_due};
use crate::domain::impact::DevelopmentStatus;
use crate::domain::{MeasurementStatus, Period, PeriodType, Role};

use super::{AppError, Ayni, Caller};

/// At most this many periods per indicator, variable or impact (the most recent ones).
pub const MAX_PERIODS_DUE: usize = 24;

/// An ecosystem an actor takes part in.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskEcosystem {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// The actor's role in it ("Gobierno regional").
    pub role_label: String,
    /// The first year of its horizon: periods are due from there on.
    pub horizon_start: i32,
    /// Days after a period's end its values are still on time.
    pub grace_days: i64,
}

/// What a value is the value of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskSubject {
    Indicator(i64),
    Variable(i64),
    /// A development's contribution to a valued component (VEC).
    Impact {
        vec: i64,
        development: i64,
    },
}

/// Where the actor's latest submission for a period stands.
#[derive(Debug, Clone, PartialEq)]
pub enum SubmissionState {
    AwaitingReview,
    Approved,
    Rejected {
        reason: String,
    },
    /// Approved, and someone has an open challenge on it.
    Challenged,
}

impl SubmissionState {
    /// `awaiting_review`, `approved`, `rejected` or `challenged`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SubmissionState::AwaitingReview => "awaiting_review",
            SubmissionState::Approved => "approved",
            SubmissionState::Rejected { .. } => "rejected",
            SubmissionState::Challenged => "challenged",
        }
    }
}

/// The actor's latest submission for one period (the totals, any territory).
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub measurement_id: i64,
    pub value: f64,
    pub territory: String,
    pub revision: i32,
    pub state: SubmissionState,
    pub evidence_url: Option<String>,
    pub evidence_text: Option<String>,
    pub comment: String,
    /// The day of the latest submission.
    pub submitted_on: NaiveDate,
    /// The day of the first submission for the period (what timeliness counts).
    pub first_submitted_on: NaiveDate,
}

/// One period due.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodTask {
    pub period: Period,
    /// The last day its value is on time.
    pub due: NaiveDate,
    pub timeliness: Timeliness,
    /// `None`: nothing submitted yet.
    pub submission: Option<Submission>,
}

impl PeriodTask {
    pub fn is_overdue(&self) -> bool {
        self.timeliness == Timeliness::Overdue
    }
}

/// One indicator, variable or impact the actor reports, with its periods due (oldest first).
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub subject: TaskSubject,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub periodicity: PeriodType,
    pub periods: Vec<PeriodTask>,
}

/// A development the actor runs, with a task per valued component its territory affects.
#[derive(Debug, Clone, PartialEq)]
pub struct DevelopmentTasks {
    pub id: i64,
    pub name: String,
    pub territory: String,
    pub impacts: Vec<Assignment>,
}

/// Everything one actor owes one ecosystem.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignments {
    pub ecosystem: TaskEcosystem,
    pub actor_id: i64,
    pub actor_name: String,
    pub indicators: Vec<Assignment>,
    pub variables: Vec<Assignment>,
    pub developments: Vec<DevelopmentTasks>,
}

impl Assignments {
    /// Every assignment: indicators, variables, then each development's impacts.
    pub fn all(&self) -> impl Iterator<Item = &Assignment> {
        self.indicators
            .iter()
            .chain(&self.variables)
            .chain(self.developments.iter().flat_map(|d| &d.impacts))
    }

    /// How many periods are overdue (nothing submitted, past the due date).
    pub fn overdue(&self) -> usize {
        self.all()
            .flat_map(|a| &a.periods)
            .filter(|p| p.is_overdue())
            .count()
    }
}

/// The actor whose tasks `caller` asks for: its own (contributors), or any (coordinators and
/// admins, who may also ask for their own actor's by passing none).
fn task_actor(caller: &Caller, asked: Option<i64>) -> Result<i64, AppError> {
    match (caller.role, asked, caller.actor_id) {
        (Role::Monitor, _, _) => Err(AppError::Forbidden(
            "the monitor role has no values to supply".into(),
        )),
        (r, Some(a), _) if r.manages_strategy() => Ok(a),
        (_, Some(a), Some(own)) if a == own => Ok(a),
        (_, Some(_), _) => Err(AppError::Forbidden(
            "you may only see the tasks of your own actor".into(),
        )),
        (_, None, Some(own)) => Ok(own),
        (_, None, None) => Err(AppError::Forbidden(
            "your account belongs to no actor: it has no values to supply".into(),
        )),
    }
}

/// The memberships of `actors` (all of them in `ecosystems` when given), as
/// `(actor_id, ecosystem)`.
fn memberships(
    conn: &mut DbConnection,
    actors: Option<&[i64]>,
    ecosystems: Option<&[i64]>,
) -> Result<Vec<(i64, TaskEcosystem)>, AppError> {
    let mut members = match (actors, ecosystems) {
        (Some(a), _) => ecosystem::memberships_of(conn, a)?,
        (None, Some(e)) => ecosystem::members_of(conn, e)?,
        (None, None) => Vec::new(),
    };
    if let Some(e) = ecosystems {
        members.retain(|m| e.contains(&m.ecosystem_id));
    }
    let mut ids: Vec<i64> = members.iter().map(|m| m.ecosystem_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let ecos: HashMap<i64, ecosystem::Ecosystem> = ecosystem::by_ids(conn, &ids)?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let mut out = Vec::new();
    for m in members {
        let Some(e) = ecos.get(&m.ecosystem_id) else {
            continue;
        };
        out.push((
            m.actor_id,
            TaskEcosystem {
                id: e.id,
                slug: e.slug.clone(),
                name: e.name.clone(),
                role_label: m.role_label,
                horizon_start: e.horizon_start,
                grace_days: i64::from(e.grace_days),
            },
        ));
    }
    out.sort_by(|a, b| a.1.name.cmp(&b.1.name).then(a.0.cmp(&b.0)));
    Ok(out)
}

/// The submissions of one (subject, actor), by period: every revision in id order.
type History<'a> = HashMap<(TaskSubject, i64, Period), Vec<&'a Measurement>>;

fn subject_of(m: &Measurement) -> Option<TaskSubject> {
    match (m.indicator_id, m.variable_id, m.vec_id, m.development_id) {
        (Some(i), None, None, None) => Some(TaskSubject::Indicator(i)),
        (None, Some(v), None, None) => Some(TaskSubject::Variable(v)),
        (None, None, Some(vec), Some(development)) => {
            Some(TaskSubject::Impact { vec, development })
        }
        _ => None,
    }
}

/// What a period's submissions add up to.
struct Periods<'a> {
    history: &'a History<'a>,
    challenged: &'a HashSet<i64>,
    today: NaiveDate,
}

impl Periods<'_> {
    fn tasks(
        &self,
        subject: TaskSubject,
        actor: i64,
        eco: &TaskEcosystem,
        periods: Vec<Period>,
    ) -> Vec<PeriodTask> {
        periods
            .into_iter()
            .map(|period| {
                let rows = self.history.get(&(subject, actor, period));
                let submission = rows.and_then(|rows| {
                    let first = rows.first()?;
                    let last = rows.last()?;
                    Some(Submission {
                        measurement_id: last.id,
                        value: last.value,
                        territory: last.territory.clone(),
                        revision: last.revision,
                        state: match last.status {
                            MeasurementStatus::Submitted => SubmissionState::AwaitingReview,
                            MeasurementStatus::Rejected => SubmissionState::Rejected {
                                reason: last.reject_reason.clone().unwrap_or_default(),
                            },
                            MeasurementStatus::Approved if self.challenged.contains(&last.id) => {
                                SubmissionState::Challenged
                            }
                            MeasurementStatus::Approved => SubmissionState::Approved,
                        },
                        evidence_url: last.evidence_url.clone(),
                        evidence_text: last.evidence_text.clone(),
                        comment: last.comment.clone(),
                        submitted_on: last.submitted_at.date(),
                        first_submitted_on: first.submitted_at.date(),
                    })
                });
                PeriodTask {
                    due: due_date(&period, eco.grace_days),
                    timeliness: Timeliness::of(
                        &period,
                        eco.grace_days,
                        submission.as_ref().map(|s| s.first_submitted_on),
                        self.today,
                    ),
                    period,
                    submission,
                }
            })
            .collect()
    }
}

/// The tasks of every `(actor, ecosystem)` membership given: a query per table.
fn gather(
    conn: &mut DbConnection,
    members: Vec<(i64, TaskEcosystem)>,
    today: NaiveDate,
) -> Result<Vec<Assignments>, AppError> {
    if members.is_empty() {
        return Ok(Vec::new());
    }
    let mut eco_ids: Vec<i64> = members.iter().map(|(_, e)| e.id).collect();
    eco_ids.sort_unstable();
    eco_ids.dedup();
    let mut actor_ids: Vec<i64> = members.iter().map(|(a, _)| *a).collect();
    actor_ids.sort_unstable();
    actor_ids.dedup();
    let actor_names: HashMap<i64, String> = actor::by_ids(conn, &actor_ids)?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();

    let indicators: Vec<_> = indicator::with_responsibles_of_ecosystems(conn, &eco_ids)?
        .into_iter()
        .filter(|(i, _)| i.definition.formula.is_none())
        .collect();
    let variables = variable::with_responsible_of_ecosystems(conn, &eco_ids)?;
    let developments: Vec<_> = impact::developments_of_ecosystems(conn, &eco_ids)?
        .into_iter()
        .filter(|d| d.status == DevelopmentStatus::Existing && actor_ids.contains(&d.actor_id))
        .collect();
    let vecs = if developments.is_empty() {
        Vec::new()
    } else {
        impact::vecs_of_ecosystems(conn, &eco_ids)?
    };

    let indicator_ids: Vec<i64> = indicators.iter().map(|(i, _)| i.id).collect();
    let mut variable_ids: Vec<i64> = variables.iter().map(|(_, v)| v.id).collect();
    variable_ids.sort_unstable();
    variable_ids.dedup();
    let vec_ids: Vec<i64> = vecs.iter().map(|v| v.id).collect();
    let mut rows = Vec::new();
    if !indicator_ids.is_empty() {
        rows.extend(measurement::of_actors(
            conn,
            Subjects::Indicators(&indicator_ids),
            &actor_ids,
        )?);
    }
    if !variable_ids.is_empty() {
        rows.extend(measurement::of_actors(
            conn,
            Subjects::Variables(&variable_ids),
            &actor_ids,
        )?);
    }
    if !vec_ids.is_empty() {
        rows.extend(measurement::of_actors(
            conn,
            Subjects::Vecs(&vec_ids),
            &actor_ids,
        )?);
    }
    rows.sort_by_key(|m| m.id);
    let approved: Vec<i64> = rows
        .iter()
        .filter(|m| m.status == MeasurementStatus::Approved)
        .map(|m| m.id)
        .collect();
    let challenged: HashSet<i64> = if approved.is_empty() {
        HashSet::new()
    } else {
        challenge::open_on(conn, &approved)?.into_iter().collect()
    };
    let mut history: History<'_> = HashMap::new();
    for m in &rows {
        if let Some(s) = subject_of(m) {
            history
                .entry((s, m.actor_id, m.period))
                .or_default()
                .push(m);
        }
    }
    let periods = Periods {
        history: &history,
        challenged: &challenged,
        today,
    };

    let mut out = Vec::with_capacity(members.len());
    for (actor, eco) in members {
        let due = |kind: PeriodType| periods_due(kind, eco.horizon_start, today, MAX_PERIODS_DUE);
        let assignment = |subject, code: &str, name: &str, unit: &str, kind, list| Assignment {
            subject,
            code: code.to_string(),
            name: name.to_string(),
            unit: unit.to_string(),
            periodicity: kind,
            periods: periods.tasks(subject, actor, &eco, list),
        };
        let ind_tasks = indicators
            .iter()
            .filter(|(i, who)| i.ecosystem_id == eco.id && who.contains(&actor))
            .map(|(i, _)| {
                let d = &i.definition;
                assignment(
                    TaskSubject::Indicator(i.id),
                    &d.code,
                    &d.name,
                    &d.unit,
                    d.periodicity,
                    due(d.periodicity),
                )
            })
            .collect();
        let var_tasks = variables
            .iter()
            .filter(|(e, v)| *e == eco.id && v.responsible_actor_id == Some(actor))
            .map(|(_, v)| {
                assignment(
                    TaskSubject::Variable(v.id),
                    &v.code,
                    &v.name,
                    &v.unit,
                    v.periodicity,
                    due(v.periodicity),
                )
            })
            .collect();
        let dev_tasks = developments
            .iter()
            .filter(|d| d.ecosystem_id == eco.id && d.actor_id == actor)
            .map(|d| {
                let impacts = vecs
                    .iter()
                    .filter(|v| v.ecosystem_id == eco.id)
                    .filter(|v| {
                        v.boundary()
                            .map(|b| b.iter().any(|u| u.contains(&d.territory)))
                            .unwrap_or(false)
                    })
                    .map(|v| {
                        let kind = v.baseline_period.kind();
                        let list = due(kind)
                            .into_iter()
                            .filter(|p| p.end() > v.baseline_period.end())
                            .filter(|p| p.end() >= d.start_period.start())
                            .filter(|p| d.end_period.is_none_or(|e| p.start() <= e.end()))
                            .collect();
                        assignment(
                            TaskSubject::Impact {
                                vec: v.id,
                                development: d.id,
                            },
                            &v.code,
                            &v.name,
                            &v.unit,
                            kind,
                            list,
                        )
                    })
                    .collect();
                DevelopmentTasks {
                    id: d.id,
                    name: d.name.clone(),
                    territory: d.territory.as_str().to_string(),
                    impacts,
                }
            })
            .collect();
        out.push(Assignments {
            actor_name: actor_names.get(&actor).cloned().unwrap_or_default(),
            actor_id: actor,
            ecosystem: eco,
            indicators: ind_tasks,
            variables: var_tasks,
            developments: dev_tasks,
        });
    }
    Ok(out)
}

/// Completeness of one actor's values for one ecosystem and period: how many were expected,
/// submitted (any state) and approved, and how many came on time, late or not yet.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CompletenessRow {
    pub ecosystem: String,
    pub actor: String,
    pub period: String,
    pub due: String,
    pub expected: u32,
    pub submitted: u32,
    pub approved: u32,
    pub on_time: u32,
    pub late: u32,
    pub pending: u32,
    pub overdue: u32,
}

/// Folds tasks into completeness rows, by ecosystem, actor and period (newest period first).
pub fn completeness(tasks: &[Assignments]) -> Vec<CompletenessRow> {
    let mut rows: Vec<CompletenessRow> = Vec::new();
    for t in tasks {
        let mut by_period: std::collections::BTreeMap<(NaiveDate, String), CompletenessRow> =
            std::collections::BTreeMap::new();
        for p in t.all().flat_map(|a| &a.periods) {
            let row = by_period
                .entry((p.period.end(), p.period.to_string()))
                .or_insert_with(|| CompletenessRow {
                    ecosystem: t.ecosystem.slug.clone(),
                    actor: t.actor_name.clone(),
                    period: p.period.to_string(),
                    due: p.due.to_string(),
                    expected: 0,
                    submitted: 0,
                    approved: 0,
                    on_time: 0,
                    late: 0,
                    pending: 0,
                    overdue: 0,
                });
            row.expected += 1;
            if let Some(s) = &p.submission {
                row.submitted += 1;
                if matches!(
                    s.state,
                    SubmissionState::Approved | SubmissionState::Challenged
                ) {
                    row.approved += 1;
                }
            }
            match p.timeliness {
                Timeliness::OnTime => row.on_time += 1,
                Timeliness::Late => row.late += 1,
                Timeliness::Pending => row.pending += 1,
                Timeliness::Overdue => row.overdue += 1,
            }
        }
        rows.extend(by_period.into_values().rev());
    }
    rows
}

impl Ayni {
    /// The ecosystems the caller's actor takes part in, by name.
    pub async fn task_ecosystems(&self, caller: &Caller) -> Result<Vec<TaskEcosystem>, AppError> {
        let actor = task_actor(caller, None)?;
        self.db
            .run(move |c| memberships(c, Some(&[actor]), None))
            .await
            .map(|m| m.into_iter().map(|(_, e)| e).collect())
    }

    /// What the caller's actor owes the ecosystem `ecosystem_slug`.
    pub async fn assignments(
        &self,
        caller: &Caller,
        ecosystem_slug: &str,
        today: NaiveDate,
    ) -> Result<Assignments, AppError> {
        self.assignments_of(caller, None, ecosystem_slug, today)
            .await
    }

    /// What `actor_id` (none: the caller's actor) owes the ecosystem `ecosystem_slug`.
    /// Contributors see only their own actor's; coordinators and admins any member's.
    pub async fn assignments_of(
        &self,
        caller: &Caller,
        actor_id: Option<i64>,
        ecosystem_slug: &str,
        today: NaiveDate,
    ) -> Result<Assignments, AppError> {
        let actor = task_actor(caller, actor_id)?;
        let slug = ecosystem_slug.to_string();
        self.db
            .run(move |c| {
                let eco = ecosystem::by_slug(c, &slug)?
                    .ok_or_else(|| AppError::not_found(format!("ecosystem {slug}")))?;
                let members = memberships(c, Some(&[actor]), Some(&[eco.id]))?;
                if members.is_empty() {
                    return Err(AppError::Forbidden(format!(
                        "the actor takes no part in ecosystem {slug}"
                    )));
                }
                gather(c, members, today)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| AppError::internal("no assignments gathered"))
            })
            .await
    }

    /// What `actor_id` (none: the caller's actor) owes every ecosystem it takes part in, by
    /// ecosystem name. Contributors see only their own actor's.
    pub async fn all_assignments(
        &self,
        caller: &Caller,
        actor_id: Option<i64>,
        today: NaiveDate,
    ) -> Result<Vec<Assignments>, AppError> {
        let actor = task_actor(caller, actor_id)?;
        self.db
            .run(move |c| {
                let members = memberships(c, Some(&[actor]), None)?;
                gather(c, members, today)
            })
            .await
    }

    /// What every member actor owes these ecosystems (all of them when `ecosystem_ids` is
    /// empty): the basis of completeness. Coordinators and admins only.
    pub async fn members_assignments(
        &self,
        caller: &Caller,
        ecosystem_ids: Vec<i64>,
        today: NaiveDate,
    ) -> Result<Vec<Assignments>, AppError> {
        self.members_assignments_by(caller, ecosystem_ids, None, today)
            .await
    }

    /// [`Ayni::members_assignments`], of the ecosystems with these ids or (`slug` given) of
    /// that one ecosystem.
    pub async fn members_assignments_by(
        &self,
        caller: &Caller,
        ecosystem_ids: Vec<i64>,
        slug: Option<String>,
        today: NaiveDate,
    ) -> Result<Vec<Assignments>, AppError> {
        caller.require_strategist("see every actor's tasks")?;
        self.db
            .run(move |c| {
                let ids = match slug {
                    Some(slug) => vec![
                        ecosystem::by_slug(c, &slug)?
                            .ok_or_else(|| AppError::not_found(format!("ecosystem {slug}")))?
                            .id,
                    ],
                    None if ecosystem_ids.is_empty() => {
                        ecosystem::list(c)?.into_iter().map(|e| e.id).collect()
                    }
                    None => ecosystem_ids,
                };
                let members = memberships(c, None, Some(&ids))?;
                gather(c, members, today)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, actor_id: Option<i64>) -> Caller {
        Caller {
            user_id: Some(1),
            email: "x@ayni.test".into(),
            role,
            actor_id,
        }
    }

    #[test]
    fn contributors_see_their_own_actor_only() {
        let c = caller(Role::Contributor, Some(7));
        assert_eq!(task_actor(&c, None).unwrap(), 7);
        assert_eq!(task_actor(&c, Some(7)).unwrap(), 7);
        assert!(matches!(
            task_actor(&c, Some(8)),
            Err(AppError::Forbidden(_))
        ));
        let lone = caller(Role::Contributor, None);
        assert!(matches!(
            task_actor(&lone, None),
            Err(AppError::Forbidden(_))
        ));
        let monitor = caller(Role::Monitor, Some(7));
        assert!(matches!(
            task_actor(&monitor, None),
            Err(AppError::Forbidden(_))
        ));
    }

    #[test]
    fn coordinators_may_ask_for_any_actor() {
        let c = caller(Role::Coordinator, None);
        assert_eq!(task_actor(&c, Some(8)).unwrap(), 8);
        assert!(matches!(task_actor(&c, None), Err(AppError::Forbidden(_))));
        let admin = caller(Role::Admin, Some(3));
        assert_eq!(task_actor(&admin, None).unwrap(), 3);
    }
}
