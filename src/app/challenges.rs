//! Challenges: anyone logged in questions a published value; the coordinating body answers.
//! An upheld challenge withdraws the value from the scores until a corrected revision is
//! approved. Challenges, answers and their time to answer are public.

use crate::db::audit;
use crate::db::models::challenge;
use crate::db::models::measurement;
use crate::db::models::{ecosystem, user};
use crate::domain::strategy::text;
use crate::domain::{ChallengeStatus, MeasurementStatus, Role};

use super::model::{self, Challenge, Measurement};
use super::{AppError, Ayni, Caller};

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
