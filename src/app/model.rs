//! Read models: what the use cases return and every interface consumes (GraphQL, REST, the
//! web portal, exports, seeding). Plain values with domain types, one per entity the
//! interfaces show, copied out of storage rows once, at the end of a use case, so no
//! interface depends on how rows are stored. What no reader should get stays behind: a user
//! has no password hash here; stored period bounds (an index) and audit states are storage's.
//!
//! The conversions from rows are at the bottom of this file; they are the only place where
//! a read model meets a row.

use chrono::NaiveDateTime;

use crate::domain::impact::{
    Desirable, DevelopmentStatus, ImpactBasis, Sector, Threshold, VecKind,
};
use crate::domain::shared_value::{HybridRelation, HybridStatus};
use crate::domain::{
    ActorKind, Availability, ChallengeStatus, IndicatorDefinition, MeasurementStatus, Period,
    PeriodType, PerspectiveKind, Role, RollUp, SourceKind, TargetHorizon, TerritoryLevel,
    ThemeKind, Ubigeo, ValidRange,
};

/// An organisation taking part in ecosystems.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub id: i64,
    pub name: String,
    pub kind: ActorKind,
    pub created_at: NaiveDateTime,
}

/// A person who logs in: never the password or its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// The actor the user reports for.
    pub actor_id: Option<i64>,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
}

/// One territory's shared strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct Ecosystem {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// The territory's ubigeo.
    pub territory: Ubigeo,
    pub mission: String,
    pub vision: String,
    pub horizon_start: i32,
    pub horizon_end: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Loaded from the demo seed: its figures are illustrative.
    pub illustrative: bool,
    /// Days after a period's end for its values to count as on time.
    pub grace_days: i32,
}

/// One of an ecosystem's four perspectives, at its place in the ecosystem's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Perspective {
    pub id: i64,
    pub ecosystem_id: i64,
    pub kind: PerspectiveKind,
    pub name: String,
    /// 1 (top of the map) to 4.
    pub position: i32,
}

/// An actor taking part in an ecosystem.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: i64,
    pub ecosystem_id: i64,
    pub actor_id: i64,
    pub role_label: String,
    pub joined_at: NaiveDateTime,
}

/// A strategic theme or cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub id: i64,
    pub ecosystem_id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub kind: ThemeKind,
}

/// A strategic objective.
#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    pub id: i64,
    pub ecosystem_id: i64,
    pub perspective_id: i64,
    pub theme_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub description: String,
    pub weight: f64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A cause-effect link of the strategy map.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub id: i64,
    pub ecosystem_id: i64,
    pub cause_id: i64,
    pub effect_id: i64,
    pub description: String,
    pub created_at: NaiveDateTime,
    /// The sign the link's causal check expects.
    pub expected_sign: crate::domain::causal::ExpectedSign,
}

/// An indicator measuring an objective.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub id: i64,
    pub ecosystem_id: i64,
    /// Everything its owners edit (code, name, direction, formula…).
    pub definition: IndicatorDefinition,
    pub baseline_period: Option<Period>,
    pub baseline_value: Option<f64>,
    pub baseline_note: String,
}

/// An indicator's target for a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub id: i64,
    pub indicator_id: i64,
    pub period: Period,
    pub value: f64,
    pub horizon: TargetHorizon,
}

/// A coordinator's de-duplication adjustment of one cell, added to the value the actor rule
/// combines.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    pub id: i64,
    pub indicator_id: Option<i64>,
    pub variable_id: Option<i64>,
    pub period: Period,
    pub territory: String,
    pub disaggregation: String,
    pub value: f64,
    pub reason: String,
    /// The coordinator's user number.
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A contributed value (one revision): of an indicator (a measurement), of a variable (an
/// observation) or of a VEC and a development (an impact contribution).
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub id: i64,
    pub indicator_id: Option<i64>,
    pub variable_id: Option<i64>,
    pub vec_id: Option<i64>,
    pub development_id: Option<i64>,
    /// The bulk import that brought it in.
    pub import_id: Option<i64>,
    pub period: Period,
    pub territory: String,
    /// The stored form of the disaggregation (`key=value;…`, empty for none).
    pub disaggregation: String,
    pub revision: i32,
    pub value: f64,
    pub evidence_url: Option<String>,
    pub evidence_text: Option<String>,
    pub comment: String,
    pub actor_id: i64,
    pub submitted_by: Option<i64>,
    pub submitted_at: NaiveDateTime,
    pub status: MeasurementStatus,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub reject_reason: Option<String>,
    /// Whether it is the value that counts in scores.
    pub counted: bool,
    /// How an impact contribution was obtained.
    pub basis: Option<ImpactBasis>,
    /// The SHA-256 (hex) of its evidence file, if one was uploaded.
    pub evidence_file: Option<String>,
}

/// A question raised on a published value, and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Challenge {
    pub id: i64,
    pub measurement_id: i64,
    pub opened_by: i64,
    pub reason: String,
    pub status: ChallengeStatus,
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub opened_at: NaiveDateTime,
    pub answered_at: Option<NaiveDateTime>,
}

/// A statistical variable of the repository.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub unit: String,
    pub source: SourceKind,
    pub source_detail: String,
    pub source_reference: String,
    pub periodicity: PeriodType,
    pub level: TerritoryLevel,
    /// Theme and cluster codes.
    pub themes: Vec<String>,
    pub availability: Availability,
    pub availability_note: String,
    pub responsible_actor_id: Option<i64>,
    pub rollup: RollUp,
    pub weight_variable_id: Option<i64>,
    /// How several actors' observations of one cell combine.
    pub actor_rule: crate::domain::actor_rule::ActorRule,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The range its values must lie in, as given (a percentage unit defaults to 0..100).
    pub valid_range: ValidRange,
}

/// A period whose figures an ecosystem closed.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodLock {
    pub id: i64,
    pub ecosystem_id: i64,
    pub period: String,
    pub reason: String,
    pub locked_by: Option<i64>,
    pub locked_at: NaiveDateTime,
    pub unlock_reason: Option<String>,
    pub unlocked_by: Option<i64>,
    pub unlocked_at: Option<NaiveDateTime>,
}

/// A company metric tying a social or environmental indicator to a financial one.
#[derive(Debug, Clone, PartialEq)]
pub struct HybridMetric {
    pub id: i64,
    pub ecosystem_id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub company_actor_id: i64,
    pub social_indicator_id: i64,
    pub financial_indicator_id: i64,
    pub relation: HybridRelation,
    pub unit: String,
    pub status: HybridStatus,
    pub adopted_by: Option<i64>,
    pub adopted_at: Option<NaiveDateTime>,
    pub adoption_verdict: Option<crate::domain::causal::Verdict>,
    pub adoption_justification: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The sign its causal check expects.
    pub expected_sign: crate::domain::causal::ExpectedSign,
}

/// Who an indicator's value reaches: an actor kind, or one actor.
#[derive(Debug, Clone, PartialEq)]
pub struct Beneficiary {
    pub id: i64,
    pub indicator_id: i64,
    pub actor_kind: Option<ActorKind>,
    pub actor_id: Option<i64>,
}

/// A VEC: a valued environmental or social component, with its limit of acceptable change.
#[derive(Debug, Clone, PartialEq)]
pub struct ValuedComponent {
    pub id: i64,
    pub ecosystem_id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub kind: VecKind,
    pub unit: String,
    pub baseline_period: Period,
    pub baseline_value: f64,
    pub direction: Desirable,
    pub threshold: Threshold,
    /// Ubigeo codes of the spatial boundary.
    pub boundary: Vec<String>,
}

/// A project or trend acting on VECs.
#[derive(Debug, Clone, PartialEq)]
pub struct Development {
    pub id: i64,
    pub ecosystem_id: i64,
    pub name: String,
    pub description: String,
    pub sector: Sector,
    /// The owner, who reports its impacts.
    pub actor_id: i64,
    pub status: DevelopmentStatus,
    /// The ubigeo where it lies.
    pub territory: Ubigeo,
    pub start_period: Period,
    pub end_period: Option<Period>,
}

/// One audit entry's published fields (its states are parsed beside it).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub user_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The audit chain, recomputed, with the stored rows compared against it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChainReport {
    /// Entries in the log.
    pub length: i64,
    /// The last entry that verified, and its hash.
    pub head_seq: i64,
    pub head_hash: String,
    /// The first entry where the chain breaks, and why.
    pub first_broken_seq: Option<i64>,
    pub break_reason: Option<String>,
    /// Rows changed, added or deleted without going through the application (the first
    /// ones; `mismatch_count` counts them all).
    pub mismatches: Vec<Mismatch>,
    pub mismatch_count: usize,
    /// The format-1 log this database had before record format 2, when it had one.
    pub sealed_v1: Option<SealedLog>,
    /// The chain, every private part, every row and the sealed log all verify.
    pub verified: bool,
}

/// A stored row that differs from what the audit chain says about it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Mismatch {
    pub entity_type: String,
    pub entity_id: String,
    /// The latest audit entry about the entity, if any.
    pub audit_seq: Option<i64>,
    pub problem: String,
}

/// The sealed format-1 log, recomputed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SealedLog {
    pub length: i64,
    pub head_seq: i64,
    pub head_hash: String,
    pub first_broken_seq: Option<i64>,
    pub break_reason: Option<String>,
    /// It hashes and links throughout, and the seal records exactly its head.
    pub verified: bool,
}

/// Rows to read models, in one pass.
pub(super) fn all<R, M: From<R>>(rows: Vec<R>) -> Vec<M> {
    rows.into_iter().map(M::from).collect()
}

// The conversions from storage rows: the only code that knows both sides.
mod from_rows {
    use super::*;
    use crate::db::audit as audit_log;
    use crate::db::models::{
        actor, adjustment, challenge, ecosystem, hybrid, impact, indicator, measurement, objective,
        period_lock, user, variable,
    };

    impl From<period_lock::PeriodLock> for PeriodLock {
        fn from(r: period_lock::PeriodLock) -> Self {
            PeriodLock {
                id: r.id,
                ecosystem_id: r.ecosystem_id,
                period: r.period,
                reason: r.reason,
                locked_by: r.locked_by,
                locked_at: r.locked_at,
                unlock_reason: r.unlock_reason,
                unlocked_by: r.unlocked_by,
                unlocked_at: r.unlocked_at,
            }
        }
    }
    use crate::db::verify;

    impl From<actor::Actor> for Actor {
        fn from(r: actor::Actor) -> Self {
            Actor {
                id: r.id,
                name: r.name,
                kind: r.kind,
                created_at: r.created_at,
            }
        }
    }

    impl From<user::User> for User {
        fn from(r: user::User) -> Self {
            User {
                id: r.id,
                email: r.email,
                role: r.role,
                actor_id: r.actor_id,
                disabled: r.disabled,
                created_at: r.created_at,
            }
        }
    }

    impl From<ecosystem::Ecosystem> for Ecosystem {
        fn from(r: ecosystem::Ecosystem) -> Self {
            Ecosystem {
                id: r.id,
                slug: r.slug,
                name: r.name,
                territory: r.territory,
                mission: r.mission,
                vision: r.vision,
                horizon_start: r.horizon_start,
                horizon_end: r.horizon_end,
                created_at: r.created_at,
                updated_at: r.updated_at,
                illustrative: r.illustrative,
                grace_days: r.grace_days,
            }
        }
    }

    impl From<ecosystem::Perspective> for Perspective {
        fn from(r: ecosystem::Perspective) -> Self {
            Perspective {
                id: r.id,
                ecosystem_id: r.ecosystem_id,
                kind: r.kind,
                name: r.name,
                position: r.position,
            }
        }
    }

    impl From<ecosystem::Member> for Member {
        fn from(r: ecosystem::Member) -> Self {
            Member {
                id: r.id,
                ecosystem_id: r.ecosystem_id,
                actor_id: r.actor_id,
                role_label: r.role_label,
                joined_at: r.created_at,
            }
        }
    }

    impl From<ecosystem::Theme> for Theme {
        fn from(r: ecosystem::Theme) -> Self {
            Theme {
                id: r.id,
                ecosystem_id: r.ecosystem_id,
                code: r.code,
                name: r.name,
                description: r.description,
                kind: r.kind,
            }
        }
    }

    impl From<objective::Objective> for Objective {
        fn from(r: objective::Objective) -> Self {
            Objective {
                id: r.id,
                ecosystem_id: r.ecosystem_id,
                perspective_id: r.perspective_id,
                theme_id: r.theme_id,
                code: r.code,
                name: r.name,
                description: r.description,
                weight: r.weight,
                created_at: r.created_at,
                updated_at: r.updated_at,
            }
        }
    }

    impl From<objective::Link> for Link {
        fn from(r: objective::Link) -> Self {
            Link {
                id: r.id,
                ecosystem_id: r.ecosystem_id,
                cause_id: r.cause_id,
                effect_id: r.effect_id,
                description: r.description,
                created_at: r.created_at,
                expected_sign: r.expected_sign,
            }
        }
    }

    impl From<indicator::Indicator> for Indicator {
        fn from(r: indicator::Indicator) -> Self {
            Indicator {
                id: r.id,
                ecosystem_id: r.ecosystem_id,
                definition: r.definition,
                baseline_period: r.baseline_period,
                baseline_value: r.baseline_value,
                baseline_note: r.baseline_note,
            }
        }
    }

    impl From<adjustment::Adjustment> for Adjustment {
        fn from(r: adjustment::Adjustment) -> Self {
            Adjustment {
                id: r.id,
                indicator_id: r.indicator_id,
                variable_id: r.variable_id,
                period: r.period,
                territory: r.territory,
                disaggregation: r.disaggregation,
                value: r.value,
                reason: r.reason,
                created_by: r.created_by,
                created_at: r.created_at,
                updated_at: r.updated_at,
            }
        }
    }

    impl From<indicator::Target> for Target {
        fn from(r: indicator::Target) -> Self {
            Target {
                id: r.id,
                indicator_id: r.indicator_id,
                period: r.period,
                value: r.value,
                horizon: r.horizon,
            }
        }
    }

    impl From<measurement::Measurement> for Measurement {
        fn from(r: measurement::Measurement) -> Self {
            Measurement {
                id: r.id,
                indicator_id: r.indicator_id,
                variable_id: r.variable_id,
                vec_id: r.vec_id,
                development_id: r.development_id,
                import_id: r.import_id,
                period: r.period,
                territory: r.territory,
                disaggregation: r.disaggregation,
                revision: r.revision,
                value: r.value,
                evidence_url: r.evidence_url,
                evidence_text: r.evidence_text,
                comment: r.comment,
                actor_id: r.actor_id,
                submitted_by: r.submitted_by,
                submitted_at: r.submitted_at,
                status: r.status,
                reviewed_by: r.reviewed_by,
                reviewed_at: r.reviewed_at,
                reject_reason: r.reject_reason,
                counted: r.counted,
                basis: r.basis,
                evidence_file: r.evidence_file,
            }
        }
    }

    impl From<challenge::Challenge> for Challenge {
        fn from(r: challenge::Challenge) -> Self {
            Challenge {
                id: r.id,
                measurement_id: r.measurement_id,
                opened_by: r.opened_by,
                reason: r.reason,
                status: r.status,
                answer: r.answer,
                answered_by: r.answered_by,
                opened_at: r.opened_at,
                answered_at: r.answered_at,
            }
        }
    }

    impl From<variable::Variable> for Variable {
        fn from(r: variable::Variable) -> Self {
            Variable {
                themes: r.theme_codes().into_iter().map(str::to_string).collect(),
                valid_range: r.valid_range(),
                id: r.id,
                code: r.code,
                name: r.name,
                description: r.description,
                unit: r.unit,
                source: r.source,
                source_detail: r.source_detail,
                source_reference: r.source_reference,
                periodicity: r.periodicity,
                level: r.level,
                availability: r.availability,
                availability_note: r.availability_note,
                responsible_actor_id: r.responsible_actor_id,
                rollup: r.rollup,
                weight_variable_id: r.weight_variable_id,
                actor_rule: r.actor_rule,
                created_at: r.created_at,
                updated_at: r.updated_at,
            }
        }
    }

    impl From<hybrid::HybridMetric> for HybridMetric {
        fn from(r: hybrid::HybridMetric) -> Self {
            HybridMetric {
                id: r.id,
                ecosystem_id: r.ecosystem_id,
                code: r.code,
                name: r.name,
                description: r.description,
                company_actor_id: r.company_actor_id,
                social_indicator_id: r.social_indicator_id,
                financial_indicator_id: r.financial_indicator_id,
                relation: r.relation,
                unit: r.unit,
                status: r.status,
                adopted_by: r.adopted_by,
                adopted_at: r.adopted_at,
                adoption_verdict: r.adoption_verdict,
                adoption_justification: r.adoption_justification,
                created_at: r.created_at,
                updated_at: r.updated_at,
                expected_sign: r.expected_sign,
            }
        }
    }

    impl From<hybrid::Beneficiary> for Beneficiary {
        fn from(r: hybrid::Beneficiary) -> Self {
            Beneficiary {
                id: r.id,
                indicator_id: r.indicator_id,
                actor_kind: r.actor_kind,
                actor_id: r.actor_id,
            }
        }
    }

    impl From<impact::Vec_> for ValuedComponent {
        fn from(r: impact::Vec_) -> Self {
            ValuedComponent {
                threshold: r.threshold(),
                boundary: r
                    .boundary
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                id: r.id,
                ecosystem_id: r.ecosystem_id,
                code: r.code,
                name: r.name,
                description: r.description,
                kind: r.kind,
                unit: r.unit,
                baseline_period: r.baseline_period,
                baseline_value: r.baseline_value,
                direction: r.direction,
            }
        }
    }

    impl From<impact::Development> for Development {
        fn from(r: impact::Development) -> Self {
            Development {
                id: r.id,
                ecosystem_id: r.ecosystem_id,
                name: r.name,
                description: r.description,
                sector: r.sector,
                actor_id: r.actor_id,
                status: r.status,
                territory: r.territory,
                start_period: r.start_period,
                end_period: r.end_period,
            }
        }
    }

    impl From<audit_log::AuditEntry> for AuditEntry {
        fn from(r: audit_log::AuditEntry) -> Self {
            AuditEntry {
                seq: r.seq,
                at: r.at,
                user_id: r.user_id,
                actor_id: r.actor_id,
                action: r.action,
                entity_type: r.entity_type,
                entity_id: r.entity_id,
                prev_hash: r.prev_hash,
                hash: r.hash,
            }
        }
    }

    impl From<verify::ChainReport> for ChainReport {
        fn from(r: verify::ChainReport) -> Self {
            ChainReport {
                verified: r.verified(),
                length: r.length,
                head_seq: r.head_seq,
                head_hash: r.head_hash,
                first_broken_seq: r.first_broken_seq,
                break_reason: r.break_reason,
                mismatches: all(r.mismatches),
                mismatch_count: r.mismatch_count,
                sealed_v1: r.sealed_v1.map(SealedLog::from),
            }
        }
    }

    impl From<verify::Mismatch> for Mismatch {
        fn from(r: verify::Mismatch) -> Self {
            Mismatch {
                entity_type: r.entity_type,
                entity_id: r.entity_id,
                audit_seq: r.audit_seq,
                problem: r.problem,
            }
        }
    }

    impl From<verify::SealedLog> for SealedLog {
        fn from(r: verify::SealedLog) -> Self {
            SealedLog {
                verified: r.verified(),
                length: r.length,
                head_seq: r.head_seq,
                head_hash: r.head_hash,
                first_broken_seq: r.first_broken_seq,
                break_reason: r.break_reason,
            }
        }
    }
}
