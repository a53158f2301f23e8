//! Challenges: anyone logged in questions a published value; the coordinating body answers.
//! An upheld challenge withdraws the value from the scores until a corrected revision is
//! approved. Challenges, answers and their time to answer are public.

use crate::db::audit;
use crate::db::models::challenge;
use crate::db::models::measurement;
use crate::db::models::measurement::Subject;
use crate::db::models::{ecosystem, indicator, user, variable};
use crate::domain::strategy::text;
use crate::domain::{ChallengeStatus, MeasurementStatus, Role};

use super::model::{self, Challenge, Measurement};
use super::{AppError, Ayni, Caller};

/// At most this many challenges are listed in one part of the workspace's page.
pub const DESK_SHOWN: i64 = 200;

/// A challenge with the value it questions and what that value is of.
#[derive(Debug, Clone)]
pub struct ChallengeItem {
    pub challenge: Challenge,
    pub value: Measurement,
    /// The indicator's or variable's code and name.
    pub code: String,
    pub name: String,
    /// The portal page of the indicator (`/e/{slug}/i/{code}`), when it is an indicator's.
    pub portal_path: Option<String>,
}

/// The challenges a signed-in user works with: for coordinators and admins the open ones
/// and the latest answered; for everyone their own.
#[derive(Debug, Clone, Default)]
pub struct ChallengeDesk {
    pub open: Vec<ChallengeItem>,
    pub answered: Vec<ChallengeItem>,
    pub mine: Vec<ChallengeItem>,
}

/// Describes the values of these challenges (a fixed number of queries).
fn with_values(
    conn: &mut crate::db::DbConnection,
    challenges: Vec<challenge::Challenge>,
) -> Result<Vec<ChallengeItem>, AppError> {
    let ids: Vec<i64> = challenges.iter().map(|c| c.measurement_id).collect();
    let values = measurement::by_ids(conn, &ids)?;
    let items = describe_values(conn, values)?;
    Ok(challenges
        .into_iter()
        .filter_map(|c| {
            let (value, code, name, portal_path) =
                items.iter().find(|v| v.0.id == c.measurement_id)?.clone();
            Some(ChallengeItem {
                challenge: c.into(),
                value,
                code,
                name,
                portal_path,
            })
        })
        .collect())
}

type Described = (Measurement, String, String, Option<String>);

/// Values with their indicator's or variable's code and name, and the indicator's portal
/// path: three queries.
fn describe_values(
    conn: &mut crate::db::DbConnection,
    values: Vec<measurement::Measurement>,
) -> Result<Vec<Described>, AppError> {
    let mut ind_ids = Vec::new();
    let mut var_ids = Vec::new();
    for m in &values {
        match m.subject()? {
            Subject::Indicator(i) => ind_ids.push(i),
            Subject::Variable(v) => var_ids.push(v),
            Subject::Impact { .. } => {}
        }
    }
    let indicators = indicator::by_ids(conn, &ind_ids)?;
    let variables = variable::by_ids(conn, &var_ids)?;
    let ecosystems = ecosystem::by_ids(
        conn,
        &indicators
            .iter()
            .map(|i| i.ecosystem_id)
            .collect::<Vec<_>>(),
    )?;
    let mut out = Vec::with_capacity(values.len());
    for m in values {
        let (code, name, path) = match m.subject()? {
            Subject::Indicator(id) => match indicators.iter().find(|i| i.id == id) {
                Some(i) => (
                    i.definition.code.clone(),
                    i.definition.name.clone(),
                    ecosystems
                        .iter()
                        .find(|e| e.id == i.ecosystem_id)
                        .map(|e| format!("/e/{}/i/{}", e.slug, i.definition.code)),
                ),
                None => (format!("#{id}"), String::new(), None),
            },
            Subject::Variable(id) => match variables.iter().find(|v| v.id == id) {
                Some(v) => (v.code.clone(), v.name.clone(), None),
                None => (format!("#{id}"), String::new(), None),
            },
            Subject::Impact { vec, .. } => (format!("#{vec}"), String::new(), None),
        };
        out.push((m.into(), code, name, path));
    }
    Ok(out)
}

/// How the coordinating body answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeOutcome {
    /// The value is wrong: it is withdrawn from the scores.
    Upheld,
    /// The value stands, with an explanation.
    Dismissed,
}

impl Ayni {
    pub async fn open_challenge(
        &self,
        caller: &Caller,
        measurement_id: i64,
        reason: String,
    ) -> Result<Challenge, AppError> {
        let user_id = caller.user_id.ok_or_else(|| {
            AppError::Forbidden("challenges are opened by people with an account".into())
        })?;
        let reason = text("reason", &reason, 3, 2000)?;
        let opened = self
            .db
            .write(caller.author(), move |tx| {
                let m = measurement::by_id(tx.conn(), measurement_id)?
                    .filter(|m| m.status == MeasurementStatus::Approved)
                    .ok_or_else(|| {
                        AppError::invalid(
                            "measurementId",
                            "published",
                            format!("no published value with id {measurement_id}: only approved values can be challenged"),
                        )
                    })?;
                if !challenge::withdrawn(tx.conn(), &[m.id])?.is_empty() {
                    return Err(AppError::Conflict {
                        field: "measurementId".into(),
                        message: "this value was already withdrawn after an upheld challenge".into(),
                    });
                }
                let opened = challenge::open(tx, m.id, user_id, &reason)?;
                super::notifications::challenge_raised(tx, &m, &reason)?;
                Ok::<_, AppError>(opened)
            })
            .await?;
        self.mail_notifications();
        Ok(opened.into())
    }

    pub async fn answer_challenge(
        &self,
        caller: &Caller,
        id: i64,
        outcome: ChallengeOutcome,
        answer: String,
    ) -> Result<Challenge, AppError> {
        caller.require(Role::manages_strategy, "answer challenges")?;
        let answer = text("answer", &answer, 3, 4000)?;
        let answered = self
            .db
            .write(caller.author(), move |tx| {
                let before = challenge::by_id(tx.conn(), id)?
                    .ok_or_else(|| AppError::not_found(format!("challenge {id}")))?;
                if before.status != ChallengeStatus::Open {
                    return Err(AppError::Conflict {
                        field: "id".into(),
                        message: format!("challenge {id} was already answered ({})", before.status),
                    });
                }
                if outcome == ChallengeOutcome::Upheld {
                    // Withdrawing a value changes the figures: not inside a locked period.
                    let m = measurement::require(tx.conn(), before.measurement_id)?;
                    super::data_quality::require_unlocked(
                        tx.conn(),
                        m.subject()?,
                        &m.period,
                        "withdrawing values (upholding a challenge)",
                    )?;
                }
                let status = match outcome {
                    ChallengeOutcome::Upheld => ChallengeStatus::Upheld,
                    ChallengeOutcome::Dismissed => ChallengeStatus::Dismissed,
                };
                let after = challenge::answer(tx, &before, status, &answer)?;
                let m = measurement::require(tx.conn(), before.measurement_id)?;
                let upheld = outcome == ChallengeOutcome::Upheld;
                if upheld && m.counted {
                    measurement::withdraw(tx, &m)?;
                }
                super::notifications::challenge_answered(
                    tx,
                    before.opened_by,
                    &m,
                    upheld,
                    &answer,
                )?;
                Ok::<_, AppError>(after)
            })
            .await?;
        self.mail_notifications();
        Ok(answered.into())
    }

    /// The challenges the caller works with (see [`ChallengeDesk`]).
    pub async fn challenge_desk(&self, caller: &Caller) -> Result<ChallengeDesk, AppError> {
        let user_id = caller.user_id;
        let reviewer = caller.role.manages_strategy();
        self.db
            .run(move |c| {
                let mut desk = ChallengeDesk::default();
                if reviewer {
                    let open = challenge::recent(c, Some(ChallengeStatus::Open), None, DESK_SHOWN)?;
                    desk.open = with_values(c, open)?;
                    let mut answered =
                        challenge::recent(c, Some(ChallengeStatus::Upheld), None, 50)?;
                    answered.extend(challenge::recent(
                        c,
                        Some(ChallengeStatus::Dismissed),
                        None,
                        50,
                    )?);
                    answered.sort_by_key(|a| std::cmp::Reverse(a.answered_at));
                    answered.truncate(50);
                    desk.answered = with_values(c, answered)?;
                }
                if let Some(u) = user_id {
                    let mine = challenge::recent(c, None, Some(u), DESK_SHOWN)?;
                    desk.mine = with_values(c, mine)?;
                }
                Ok(desk)
            })
            .await
    }

    /// A published (approved) value that may be challenged, described; `None` when there is
    /// no approved value with this id.
    pub async fn challengeable_value(
        &self,
        id: i64,
    ) -> Result<Option<(Measurement, String, String, Option<String>)>, AppError> {
        self.db
            .run(move |c| {
                let Some(m) =
                    measurement::by_id(c, id)?.filter(|m| m.status == MeasurementStatus::Approved)
                else {
                    return Ok(None);
                };
                Ok(describe_values(c, vec![m])?.into_iter().next())
            })
            .await
    }

    /// An ecosystem's challenges, newest first. Public.
    pub async fn challenges(
        &self,
        ecosystem_slug: String,
        status: Option<ChallengeStatus>,
    ) -> Result<Vec<Challenge>, AppError> {
        self.db
            .run(move |c| {
                let Some(eco) = ecosystem::by_slug(c, ecosystem_slug.trim())? else {
                    return Ok(Vec::new());
                };
                challenge::of_ecosystem(c, eco.id, status).map_err(AppError::from)
            })
            .await
            .map(model::all)
    }

    /// Challenges on these values (batch loading).
    pub async fn challenges_of(
        &self,
        measurement_ids: Vec<i64>,
    ) -> Result<Vec<Challenge>, AppError> {
        self.db
            .run(move |c| challenge::of_measurements(c, &measurement_ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    pub async fn measurements_by_ids(&self, ids: Vec<i64>) -> Result<Vec<Measurement>, AppError> {
        self.db
            .run(move |c| measurement::by_ids(c, &ids).map_err(AppError::from))
            .await
            .map(model::all)
    }

    /// `(user id, actor id)` of these users (batch loading for provenance).
    pub async fn user_actors(&self, ids: Vec<i64>) -> Result<Vec<(i64, Option<i64>)>, AppError> {
        self.db
            .run(move |c| {
                Ok(user::by_ids(c, &ids)?
                    .into_iter()
                    .map(|u| (u.id, u.actor_id))
                    .collect())
            })
            .await
    }

    /// The latest audit entry number of each of these measurements (batch loading).
    pub async fn measurement_audit_seqs(&self, ids: Vec<i64>) -> Result<Vec<(i64, i64)>, AppError> {
        self.db
            .run(move |c| {
                let keys: Vec<String> = ids.iter().map(i64::to_string).collect();
                let entries = audit::latest_for(c, measurement::ENTITY, &keys)?;
                Ok(entries
                    .into_iter()
                    .filter_map(|e| e.entity_id.parse().ok().map(|id| (id, e.seq)))
                    .collect())
            })
            .await
    }
}
