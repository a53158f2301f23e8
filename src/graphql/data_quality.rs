//! Period locks and the quality flags of values.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::NaiveDateTime;

use crate::app::model::PeriodLock;
use crate::app::{Caller, may_see_flags};
use crate::domain::{OutlierKind, QualityFlag};

use super::context::ContextExt;
use super::error::{GqlResult, parse_id, to_id};
use super::loaders::{QualityFlagsOfMeasurement, load_one};

/// What a value was compared with.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "QualityFlagKind")]
pub enum QualityFlagKindGql {
    /// Far from the approved values of the same series (subject, territory, disaggregation)
    /// in other periods.
    HistoryOutlier,
    /// Far from the approved values of the other territories of the same level for the same
    /// period.
    TerritoryOutlier,
}

/// A value flagged as unusual (a robust z-score beyond ±3.5): stored and reviewable all the
/// same.
#[derive(SimpleObject)]
#[graphql(name = "QualityFlag")]
pub struct QualityFlagGql {
    pub kind: QualityFlagKindGql,
    /// The modified z-score: 0.6745 · (value − median) / MAD.
    pub z_score: f64,
    /// The median of the values compared with (the value included).
    pub median: f64,
    /// How many values it was compared with.
    pub reference_count: i32,
    /// One sentence (English).
    pub reason: String,
}

impl From<QualityFlag> for QualityFlagGql {
    fn from(f: QualityFlag) -> Self {
        QualityFlagGql {
            kind: match f.kind {
                OutlierKind::History => QualityFlagKindGql::HistoryOutlier,
                OutlierKind::Territory => QualityFlagKindGql::TerritoryOutlier,
            },
            z_score: f.z_score,
            median: f.median,
            reference_count: i32::try_from(f.reference_count).unwrap_or(i32::MAX),
            reason: f.reason,
        }
    }
}

/// The flags of a value of `actor_id`, for callers who may see them; `None` otherwise.
pub async fn quality_flags(
    ctx: &Context<'_>,
    measurement_id: i64,
    actor_id: i64,
) -> async_graphql::Result<Option<Vec<QualityFlagGql>>> {
    if !may_see_flags(ctx.caller(), actor_id) {
        return Ok(None);
    }
    let flags = load_one::<QualityFlagsOfMeasurement>(ctx, measurement_id)
        .await?
        .unwrap_or_default();
    Ok(Some(flags.into_iter().map(|(_, f)| f.into()).collect()))
}

/// A period whose figures an ecosystem closed: no value inside it may be submitted,
/// approved, rejected, withdrawn or imported while the lock is active.
pub struct PeriodLockGql {
    pub lock: PeriodLock,
    /// Whether the caller may see who locked and unlocked it.
    pub private: bool,
}

impl PeriodLockGql {
    pub fn new(lock: PeriodLock, caller: Option<&Caller>) -> PeriodLockGql {
        PeriodLockGql {
            private: caller.is_some_and(|c| c.role.manages_strategy()),
            lock,
        }
    }
}

#[Object(name = "PeriodLock")]
impl PeriodLockGql {
    async fn id(&self) -> ID {
        to_id(self.lock.id)
    }
    /// The locked period, e.g. `2024`: it covers every period within it (`2024Q3`, `202403`).
    async fn period(&self) -> &str {
        &self.lock.period
    }
    /// Why the figures were closed. Public.
    async fn reason(&self) -> &str {
        &self.lock.reason
    }
    async fn locked_at(&self) -> NaiveDateTime {
        self.lock.locked_at
    }
    /// The user id of who locked it. Coordinators and admins only (null for others).
    async fn locked_by(&self) -> Option<ID> {
        self.private
            .then_some(self.lock.locked_by)
            .flatten()
            .map(to_id)
    }
    /// Whether the lock is in force (not lifted).
    async fn active(&self) -> bool {
        self.lock.unlocked_at.is_none()
    }
    /// When it was lifted, if it was.
    async fn unlocked_at(&self) -> Option<NaiveDateTime> {
        self.lock.unlocked_at
    }
    /// Why it was lifted.
    async fn unlock_reason(&self) -> Option<&str> {
        self.lock.unlock_reason.as_deref()
    }
    /// The user id of who lifted it. Coordinators and admins only.
    async fn unlocked_by(&self) -> Option<ID> {
        self.private
            .then_some(self.lock.unlocked_by)
            .flatten()
            .map(to_id)
    }
}

#[derive(Default)]
pub struct DataQualityMutation;

#[Object]
impl DataQualityMutation {
    /// Closes an ecosystem's figures for a period (`2024` also closes `2024Q3` and `202403`):
    /// submissions, approvals, rejections, withdrawals and imports of values inside it are
    /// refused with `PERIOD_LOCKED`. A reason is required. Coordinator or admin; `CONFLICT`
    /// when the period is already locked.
    async fn lock_period(
        &self,
        ctx: &Context<'_>,
        ecosystem_id: ID,
        period: String,
        reason: String,
    ) -> async_graphql::Result<PeriodLockGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("ecosystemId", &ecosystem_id)?;
        let lock = ctx
            .app()?
            .lock_period(caller, id, period, reason)
            .await
            .gql()?;
        Ok(PeriodLockGql::new(lock, Some(caller)))
    }

    /// Reopens a locked period, with a reason (kept on record with the lock). Coordinator or
    /// admin; `NOT_FOUND` when the period is not locked.
    async fn unlock_period(
        &self,
        ctx: &Context<'_>,
        ecosystem_id: ID,
        period: String,
        reason: String,
    ) -> async_graphql::Result<PeriodLockGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("ecosystemId", &ecosystem_id)?;
        let lock = ctx
            .app()?
            .unlock_period(caller, id, period, reason)
            .await
            .gql()?;
        Ok(PeriodLockGql::new(lock, Some(caller)))
    }
}
