//! What the audit chain records about each entity (record format 2): an explicit public part
//! and private part per entity type, built field by field from the stored row.
//!
//! Nothing reaches the public log by accident: a column added to a table is in no audit state
//! until it is named here, and the integration test `every_column_is_in_an_audit_state`
//! (`tests/api/privacy.rs`) fails until it is, so each new column is decided public or private
//! once. What is private:
//! - users' e-mail, role, disabled flag, and a digest of the password hash (so a replaced
//!   hash is detected, never the hash itself);
//! - settings' values (a digest only: they are secrets);
//! - a contributed value's content (value, evidence and its file's hash, comment, rejection
//!   reason) until it is approved; an approved value's content is public;
//! - an import's file name and digests (a digest of a few unapproved values could be guessed).

use chrono::NaiveDateTime;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::StoreError;
use super::models::{
    actor::Actor,
    challenge::Challenge,
    ecosystem::{Ecosystem, Member, Perspective, Theme},
    hybrid::{Beneficiary, HybridMetric},
    impact::{Development, Vec_},
    indicator::{Indicator, Target},
    measurement::Measurement,
    objective::{Link, Objective},
    period_lock::PeriodLock,
    user::User,
    variable::{Import, Selection, Variable},
};
use crate::domain::audit::{AuditState, TIME_FORMAT};
use crate::domain::impact::ImpactBasis;
use crate::domain::{ActorKind, IndicatorDefinition, MeasurementStatus};

/// An entity the audit chain records.
pub trait Audited {
    /// The entity type's name in the chain.
    const ENTITY: &'static str;
    /// The entity's id in the chain.
    fn audit_id(&self) -> String;
    /// Its state: public and private parts.
    fn audit_state(&self) -> Result<AuditState, StoreError>;
}

fn state<P: Serialize, Q: Serialize>(
    public: &P,
    private: Option<&Q>,
) -> Result<AuditState, StoreError> {
    AuditState::new(public, private).map_err(StoreError::Corrupt)
}

fn public_only<P: Serialize>(public: &P) -> Result<AuditState, StoreError> {
    state(public, None::<&()>)
}

/// Timestamps as the chain writes them (UTC, microseconds).
fn at(t: &NaiveDateTime) -> String {
    t.and_utc().format(TIME_FORMAT).to_string()
}

fn at_opt(t: &Option<NaiveDateTime>) -> Option<String> {
    t.as_ref().map(at)
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

macro_rules! audited {
    ($row:ty, $entity:expr, |$r:ident| $body:expr) => {
        impl Audited for $row {
            const ENTITY: &'static str = $entity;
            fn audit_id(&self) -> String {
                self.id.to_string()
            }
            fn audit_state(&self) -> Result<AuditState, StoreError> {
                let $r = self;
                $body
            }
        }
    };
}

#[derive(Serialize)]
struct ActorPublic<'a> {
    id: i64,
    name: &'a str,
    kind: &'a str,
    created_at: String,
    updated_at: String,
}

audited!(Actor, super::models::actor::ENTITY, |a| public_only(
    &ActorPublic {
        id: a.id,
        name: &a.name,
        kind: a.kind.as_str(),
        created_at: at(&a.created_at),
        updated_at: at(&a.updated_at),
    }
));

#[derive(Serialize)]
struct UserPublic {
    id: i64,
    actor_id: Option<i64>,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize)]
struct UserPrivate<'a> {
    email: &'a str,
    role: &'a str,
    disabled: bool,
    password_hash_sha256: String,
}

audited!(User, super::models::user::ENTITY, |u| state(
    &UserPublic {
        id: u.id,
        actor_id: u.actor_id,
        created_at: at(&u.created_at),
        updated_at: at(&u.updated_at),
    },
    Some(&UserPrivate {
        email: &u.email,
        role: u.role.as_str(),
        disabled: u.disabled,
        password_hash_sha256: sha256_hex(&u.password_hash),
    }),
));

/// A stored setting (its value is a secret: only its digest is committed).
pub struct SettingRow<'a> {
    pub key: &'a str,
    pub value: &'a str,
}

#[derive(Serialize)]
struct SettingPublic<'a> {
    key: &'a str,
}

#[derive(Serialize)]
struct SettingPrivate {
    value_sha256: String,
}

impl Audited for SettingRow<'_> {
    const ENTITY: &'static str = super::models::setting::ENTITY;
    fn audit_id(&self) -> String {
        self.key.to_string()
    }
    fn audit_state(&self) -> Result<AuditState, StoreError> {
        state(
            &SettingPublic { key: self.key },
            Some(&SettingPrivate {
                value_sha256: sha256_hex(self.value),
            }),
        )
    }
}

#[derive(Serialize)]
struct EcosystemPublic<'a> {
    id: i64,
    slug: &'a str,
    name: &'a str,
    territory: &'a str,
    mission: &'a str,
    vision: &'a str,
    horizon_start: i32,
    horizon_end: i32,
    created_at: String,
    updated_at: String,
    illustrative: bool,
    grace_days: i32,
}

audited!(
    Ecosystem,
    super::models::ecosystem::ENTITY,
    |e| public_only(&EcosystemPublic {
        id: e.id,
        slug: &e.slug,
        name: &e.name,
        territory: e.territory.as_str(),
        mission: &e.mission,
        vision: &e.vision,
        horizon_start: e.horizon_start,
        horizon_end: e.horizon_end,
        created_at: at(&e.created_at),
        updated_at: at(&e.updated_at),
        illustrative: e.illustrative,
        grace_days: e.grace_days,
    })
);

#[derive(Serialize)]
struct PerspectivePublic<'a> {
    id: i64,
    ecosystem_id: i64,
    kind: &'a str,
    name: &'a str,
    position: i32,
}

audited!(Perspective, super::models::ecosystem::PERSPECTIVE, |p| {
    public_only(&PerspectivePublic {
        id: p.id,
        ecosystem_id: p.ecosystem_id,
        kind: p.kind.as_str(),
        name: &p.name,
        position: p.position,
    })
});

#[derive(Serialize)]
struct MemberPublic<'a> {
    id: i64,
    ecosystem_id: i64,
    actor_id: i64,
    role_label: &'a str,
    created_at: String,
}

audited!(Member, super::models::ecosystem::MEMBER, |m| public_only(
    &MemberPublic {
        id: m.id,
        ecosystem_id: m.ecosystem_id,
        actor_id: m.actor_id,
        role_label: &m.role_label,
        created_at: at(&m.created_at),
    }
));

#[derive(Serialize)]
struct ThemePublic<'a> {
    id: i64,
    ecosystem_id: i64,
    code: &'a str,
    name: &'a str,
    description: &'a str,
    kind: &'a str,
    created_at: String,
}

audited!(Theme, super::models::ecosystem::THEME, |t| public_only(
    &ThemePublic {
        id: t.id,
        ecosystem_id: t.ecosystem_id,
        code: &t.code,
        name: &t.name,
        description: &t.description,
        kind: t.kind.as_str(),
        created_at: at(&t.created_at),
    }
));

/// An objective with its responsible actors (their own table, recorded with the objective).
pub struct ObjectiveWithResponsibles<'a>(pub &'a Objective, pub &'a [i64]);

#[derive(Serialize)]
struct ObjectivePublic<'a> {
    id: i64,
    ecosystem_id: i64,
    perspective_id: i64,
    theme_id: Option<i64>,
    code: &'a str,
    name: &'a str,
    description: &'a str,
    weight: f64,
    responsible_actor_ids: &'a [i64],
    created_at: String,
    updated_at: String,
}

impl Audited for ObjectiveWithResponsibles<'_> {
    const ENTITY: &'static str = super::models::objective::ENTITY;
    fn audit_id(&self) -> String {
        self.0.id.to_string()
    }
    fn audit_state(&self) -> Result<AuditState, StoreError> {
        let (o, ids) = (self.0, self.1);
        public_only(&ObjectivePublic {
            id: o.id,
            ecosystem_id: o.ecosystem_id,
            perspective_id: o.perspective_id,
            theme_id: o.theme_id,
            code: &o.code,
            name: &o.name,
            description: &o.description,
            weight: o.weight,
            responsible_actor_ids: ids,
            created_at: at(&o.created_at),
            updated_at: at(&o.updated_at),
        })
    }
}

#[derive(Serialize)]
struct LinkPublic<'a> {
    id: i64,
    ecosystem_id: i64,
    cause_id: i64,
    effect_id: i64,
    description: &'a str,
    created_at: String,
    expected_sign: &'static str,
}

audited!(Link, super::models::objective::LINK, |l| public_only(
    &LinkPublic {
        id: l.id,
        ecosystem_id: l.ecosystem_id,
        cause_id: l.cause_id,
        effect_id: l.effect_id,
        description: &l.description,
        created_at: at(&l.created_at),
        expected_sign: l.expected_sign.as_str(),
    }
));

/// An indicator with its responsible actors (their own table, recorded with the indicator).
pub struct IndicatorWithResponsibles<'a>(pub &'a Indicator, pub &'a [i64]);

#[derive(Serialize)]
struct IndicatorPublic<'a> {
    id: i64,
    ecosystem_id: i64,
    /// Every editable field, one key per column (see `IndicatorDefinition`'s `Serialize`).
    #[serde(flatten)]
    definition: &'a IndicatorDefinition,
    baseline_period: Option<String>,
    baseline_value: Option<f64>,
    baseline_note: &'a str,
    responsible_actor_ids: &'a [i64],
    created_at: String,
    updated_at: String,
}

impl Audited for IndicatorWithResponsibles<'_> {
    const ENTITY: &'static str = super::models::indicator::ENTITY;
    fn audit_id(&self) -> String {
        self.0.id.to_string()
    }
    fn audit_state(&self) -> Result<AuditState, StoreError> {
        let (i, ids) = (self.0, self.1);
        public_only(&IndicatorPublic {
            id: i.id,
            ecosystem_id: i.ecosystem_id,
            definition: &i.definition,
            baseline_period: i.baseline_period.map(|p| p.to_string()),
            baseline_value: i.baseline_value,
            baseline_note: &i.baseline_note,
            responsible_actor_ids: ids,
            created_at: at(&i.created_at),
            updated_at: at(&i.updated_at),
        })
    }
}

#[derive(Serialize)]
struct AdjustmentPublic<'a> {
    id: i64,
    indicator_id: Option<i64>,
    variable_id: Option<i64>,
    period: String,
    territory: &'a str,
    disaggregation: &'a str,
    value: f64,
    reason: &'a str,
    created_by: Option<i64>,
    created_at: String,
    updated_at: String,
}

// Public: an adjustment changes a published value, and its reason says why.
audited!(
    super::models::adjustment::Adjustment,
    super::models::adjustment::ENTITY,
    |a| public_only(&AdjustmentPublic {
        id: a.id,
        indicator_id: a.indicator_id,
        variable_id: a.variable_id,
        period: a.period.to_string(),
        territory: &a.territory,
        disaggregation: &a.disaggregation,
        value: a.value,
        reason: &a.reason,
        created_by: a.created_by,
        created_at: at(&a.created_at),
        updated_at: at(&a.updated_at),
    })
);

#[derive(Serialize)]
struct TargetPublic<'a> {
    id: i64,
    indicator_id: i64,
    period: String,
    period_end: &'a str,
    value: f64,
    horizon: &'a str,
}

audited!(Target, super::models::indicator::TARGET, |t| public_only(
    &TargetPublic {
        id: t.id,
        indicator_id: t.indicator_id,
        period: t.period.to_string(),
        period_end: &t.period_end,
        value: t.value,
        horizon: t.horizon.as_str(),
    }
));

/// What a contributed value is about and where it stands: always public.
#[derive(Serialize)]
struct MeasurementPublic<'a> {
    id: i64,
    indicator_id: Option<i64>,
    variable_id: Option<i64>,
    vec_id: Option<i64>,
    development_id: Option<i64>,
    import_id: Option<i64>,
    period: String,
    period_start: &'a str,
    period_end: &'a str,
    territory: &'a str,
    disaggregation: &'a str,
    revision: i32,
    actor_id: i64,
    basis: Option<&'a str>,
    submitted_by: Option<i64>,
    submitted_at: String,
    status: &'a str,
    reviewed_by: Option<i64>,
    reviewed_at: Option<String>,
    counted: bool,
    /// The content, once approved (flattened in; absent before).
    #[serde(flatten)]
    content: Option<MeasurementContent<'a>>,
}

/// What a contributed value says: public once approved, private before and when rejected.
#[derive(Serialize)]
struct MeasurementContent<'a> {
    value: f64,
    evidence_url: Option<&'a str>,
    evidence_text: Option<&'a str>,
    comment: &'a str,
    reject_reason: Option<&'a str>,
    /// The evidence file's SHA-256; absent (not null) without one, so the states of values
    /// recorded before files existed do not change.
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence_file: Option<&'a str>,
}

audited!(Measurement, super::models::measurement::ENTITY, |m| {
    let content = MeasurementContent {
        value: m.value,
        evidence_url: m.evidence_url.as_deref(),
        evidence_text: m.evidence_text.as_deref(),
        comment: &m.comment,
        reject_reason: m.reject_reason.as_deref(),
        evidence_file: m.evidence_file.as_deref(),
    };
    let approved = m.status == MeasurementStatus::Approved;
    let (public_content, private_content) = if approved {
        (Some(content), None)
    } else {
        (None, Some(content))
    };
    state(
        &MeasurementPublic {
            id: m.id,
            indicator_id: m.indicator_id,
            variable_id: m.variable_id,
            vec_id: m.vec_id,
            development_id: m.development_id,
            import_id: m.import_id,
            period: m.period.to_string(),
            period_start: &m.period_start,
            period_end: &m.period_end,
            territory: &m.territory,
            disaggregation: &m.disaggregation,
            revision: m.revision,
            actor_id: m.actor_id,
            basis: m.basis.map(ImpactBasis::as_str),
            submitted_by: m.submitted_by,
            submitted_at: at(&m.submitted_at),
            status: m.status.as_str(),
            reviewed_by: m.reviewed_by,
            reviewed_at: at_opt(&m.reviewed_at),
            counted: m.counted,
            content: public_content,
        },
        private_content.as_ref(),
    )
});

#[derive(Serialize)]
struct ChallengePublic<'a> {
    id: i64,
    measurement_id: i64,
    opened_by: i64,
    reason: &'a str,
    status: &'a str,
    answer: Option<&'a str>,
    answered_by: Option<i64>,
    opened_at: String,
    answered_at: Option<String>,
}

audited!(
    Challenge,
    super::models::challenge::ENTITY,
    |c| public_only(&ChallengePublic {
        id: c.id,
        measurement_id: c.measurement_id,
        opened_by: c.opened_by,
        reason: &c.reason,
        status: c.status.as_str(),
        answer: c.answer.as_deref(),
        answered_by: c.answered_by,
        opened_at: at(&c.opened_at),
        answered_at: at_opt(&c.answered_at),
    })
);

#[derive(Serialize)]
struct VariablePublic<'a> {
    id: i64,
    code: &'a str,
    name: &'a str,
    description: &'a str,
    unit: &'a str,
    source: &'a str,
    source_detail: &'a str,
    source_reference: &'a str,
    periodicity: &'a str,
    level: &'a str,
    themes: &'a str,
    availability: &'a str,
    availability_note: &'a str,
    responsible_actor_id: Option<i64>,
    rollup: &'a str,
    weight_variable_id: Option<i64>,
    actor_rule: String,
    created_at: String,
    updated_at: String,
    valid_min: Option<f64>,
    valid_max: Option<f64>,
}

audited!(Variable, super::models::variable::ENTITY, |v| public_only(
    &VariablePublic {
        id: v.id,
        code: &v.code,
        name: &v.name,
        description: &v.description,
        unit: &v.unit,
        source: v.source.as_str(),
        source_detail: &v.source_detail,
        source_reference: &v.source_reference,
        periodicity: v.periodicity.as_str(),
        level: v.level.as_str(),
        themes: &v.themes,
        availability: v.availability.as_str(),
        availability_note: &v.availability_note,
        responsible_actor_id: v.responsible_actor_id,
        rollup: v.rollup.as_str(),
        weight_variable_id: v.weight_variable_id,
        actor_rule: v.actor_rule.to_string(),
        created_at: at(&v.created_at),
        updated_at: at(&v.updated_at),
        valid_min: v.valid_min,
        valid_max: v.valid_max,
    }
));

#[derive(Serialize)]
struct SelectionPublic {
    id: i64,
    ecosystem_id: i64,
    variable_id: i64,
}

audited!(Selection, super::models::variable::SELECTION, |s| {
    public_only(&SelectionPublic {
        id: s.id,
        ecosystem_id: s.ecosystem_id,
        variable_id: s.variable_id,
    })
});

#[derive(Serialize)]
struct ImportPublic {
    id: i64,
    ecosystem_id: i64,
    actor_id: i64,
    rows_read: i64,
    rows_created: i64,
    rows_unchanged: i64,
    created_by: Option<i64>,
    created_at: String,
}

#[derive(Serialize)]
struct ImportPrivate<'a> {
    file_name: &'a str,
    file_sha256: &'a str,
    rows_digest: &'a str,
}

audited!(Import, super::models::variable::IMPORT, |i| state(
    &ImportPublic {
        id: i.id,
        ecosystem_id: i.ecosystem_id,
        actor_id: i.actor_id,
        rows_read: i.rows_read,
        rows_created: i.rows_created,
        rows_unchanged: i.rows_unchanged,
        created_by: i.created_by,
        created_at: at(&i.created_at),
    },
    Some(&ImportPrivate {
        file_name: &i.file_name,
        file_sha256: &i.file_sha256,
        rows_digest: &i.rows_digest,
    }),
));

#[derive(Serialize)]
struct HybridPublic<'a> {
    id: i64,
    ecosystem_id: i64,
    code: &'a str,
    name: &'a str,
    description: &'a str,
    company_actor_id: i64,
    social_indicator_id: i64,
    financial_indicator_id: i64,
    relation: &'a str,
    unit: &'a str,
    status: &'a str,
    adopted_by: Option<i64>,
    adopted_at: Option<String>,
    adoption_verdict: Option<&'a str>,
    adoption_justification: Option<&'a str>,
    created_at: String,
    updated_at: String,
    expected_sign: &'static str,
}

audited!(
    HybridMetric,
    super::models::hybrid::HYBRID,
    |h| public_only(&HybridPublic {
        id: h.id,
        ecosystem_id: h.ecosystem_id,
        code: &h.code,
        name: &h.name,
        description: &h.description,
        company_actor_id: h.company_actor_id,
        social_indicator_id: h.social_indicator_id,
        financial_indicator_id: h.financial_indicator_id,
        relation: h.relation.as_str(),
        unit: &h.unit,
        status: h.status.as_str(),
        adopted_by: h.adopted_by,
        adopted_at: at_opt(&h.adopted_at),
        adoption_verdict: h.adoption_verdict.map(|v| v.as_str()),
        adoption_justification: h.adoption_justification.as_deref(),
        created_at: at(&h.created_at),
        updated_at: at(&h.updated_at),
        expected_sign: h.expected_sign.as_str(),
    })
);

#[derive(Serialize)]
struct BeneficiaryPublic<'a> {
    id: i64,
    indicator_id: i64,
    actor_kind: Option<&'a str>,
    actor_id: Option<i64>,
}

audited!(Beneficiary, super::models::hybrid::BENEFICIARY, |b| {
    public_only(&BeneficiaryPublic {
        id: b.id,
        indicator_id: b.indicator_id,
        actor_kind: b.actor_kind.map(ActorKind::as_str),
        actor_id: b.actor_id,
    })
});

#[derive(Serialize)]
struct VecPublic<'a> {
    id: i64,
    ecosystem_id: i64,
    code: &'a str,
    name: &'a str,
    description: &'a str,
    kind: &'a str,
    unit: &'a str,
    baseline_period: String,
    baseline_value: f64,
    direction: &'a str,
    threshold_value: f64,
    threshold_limit: &'a str,
    boundary: &'a str,
    created_at: String,
    updated_at: String,
}

audited!(Vec_, super::models::impact::VEC, |v| public_only(
    &VecPublic {
        id: v.id,
        ecosystem_id: v.ecosystem_id,
        code: &v.code,
        name: &v.name,
        description: &v.description,
        kind: v.kind.as_str(),
        unit: &v.unit,
        baseline_period: v.baseline_period.to_string(),
        baseline_value: v.baseline_value,
        direction: v.direction.as_str(),
        threshold_value: v.threshold_value,
        threshold_limit: v.threshold_limit.as_str(),
        boundary: &v.boundary,
        created_at: at(&v.created_at),
        updated_at: at(&v.updated_at),
    }
));

#[derive(Serialize)]
struct DevelopmentPublic<'a> {
    id: i64,
    ecosystem_id: i64,
    name: &'a str,
    description: &'a str,
    sector: &'a str,
    actor_id: i64,
    status: &'a str,
    territory: &'a str,
    start_period: String,
    end_period: Option<String>,
    created_at: String,
    updated_at: String,
}

audited!(Development, super::models::impact::DEVELOPMENT, |d| {
    public_only(&DevelopmentPublic {
        id: d.id,
        ecosystem_id: d.ecosystem_id,
        name: &d.name,
        description: &d.description,
        sector: d.sector.as_str(),
        actor_id: d.actor_id,
        status: d.status.as_str(),
        territory: d.territory.as_str(),
        start_period: d.start_period.to_string(),
        end_period: d.end_period.map(|p| p.to_string()),
        created_at: at(&d.created_at),
        updated_at: at(&d.updated_at),
    })
});

/// A period lock: the period, reasons and times are public; who locked and unlocked it is
/// private (the GraphQL API shows it to coordinators and admins only).
#[derive(Serialize)]
struct PeriodLockPublic<'a> {
    id: i64,
    ecosystem_id: i64,
    period: &'a str,
    period_start: &'a str,
    period_end: &'a str,
    reason: &'a str,
    locked_at: String,
    unlock_reason: Option<&'a str>,
    unlocked_at: Option<String>,
}

#[derive(Serialize)]
struct PeriodLockPrivate {
    locked_by: Option<i64>,
    unlocked_by: Option<i64>,
}

audited!(PeriodLock, super::models::period_lock::ENTITY, |l| state(
    &PeriodLockPublic {
        id: l.id,
        ecosystem_id: l.ecosystem_id,
        period: &l.period,
        period_start: &l.period_start,
        period_end: &l.period_end,
        reason: &l.reason,
        locked_at: at(&l.locked_at),
        unlock_reason: l.unlock_reason.as_deref(),
        unlocked_at: at_opt(&l.unlocked_at),
    },
    Some(&PeriodLockPrivate {
        locked_by: l.locked_by,
        unlocked_by: l.unlocked_by,
    }),
));

/// A commitment, its links and its current status: public (what the coordinating body
/// agreed, and evidence of its fulfilment, are published as soon as they are recorded).
#[derive(Serialize)]
struct CommitmentPublic<'a> {
    id: i64,
    ecosystem_id: i64,
    text_es: &'a str,
    text_en: Option<&'a str>,
    kind: &'a str,
    source: &'a str,
    source_reference: &'a str,
    source_date: String,
    responsible_actor_id: i64,
    deadline: Option<String>,
    status: &'a str,
    evidence_url: Option<&'a str>,
    evidence_text: Option<&'a str>,
    status_note: Option<&'a str>,
    status_at: String,
    objective_ids: &'a [i64],
    cuis: Vec<&'a str>,
    created_at: String,
    updated_at: String,
}

impl Audited for super::models::commitment::Linked {
    const ENTITY: &'static str = super::models::commitment::ENTITY;
    fn audit_id(&self) -> String {
        self.row.id.to_string()
    }
    fn audit_state(&self) -> Result<AuditState, StoreError> {
        let c = &self.row;
        public_only(&CommitmentPublic {
            id: c.id,
            ecosystem_id: c.ecosystem_id,
            text_es: &c.text_es,
            text_en: c.text_en.as_deref(),
            kind: c.kind.as_str(),
            source: c.source.as_str(),
            source_reference: &c.source_reference,
            source_date: c.source_date.to_string(),
            responsible_actor_id: c.responsible_actor_id,
            deadline: c.deadline.map(|d| d.to_string()),
            status: c.status.as_str(),
            evidence_url: c.evidence_url.as_deref(),
            evidence_text: c.evidence_text.as_deref(),
            status_note: c.status_note.as_deref(),
            status_at: at(&c.status_at),
            objective_ids: &self.objective_ids,
            cuis: self.cuis.iter().map(|c| c.as_str()).collect(),
            created_at: at(&c.created_at),
            updated_at: at(&c.updated_at),
        })
    }
}

#[derive(Serialize)]
struct CommitmentStatusPublic<'a> {
    id: i64,
    commitment_id: i64,
    status: &'a str,
    evidence_url: Option<&'a str>,
    evidence_text: Option<&'a str>,
    note: Option<&'a str>,
    changed_by: Option<i64>,
    changed_at: String,
}

audited!(
    super::models::commitment::StatusEntry,
    super::models::commitment::STATUS_CHANGE,
    |s| public_only(&CommitmentStatusPublic {
        id: s.id,
        commitment_id: s.commitment_id,
        status: s.status.as_str(),
        evidence_url: s.evidence_url.as_deref(),
        evidence_text: s.evidence_text.as_deref(),
        note: s.note.as_deref(),
        changed_by: s.changed_by,
        changed_at: at(&s.changed_at),
    })
);

/// An investment with its links to the strategy and its planned curves (their own tables,
/// recorded with the investment). Public: public investments are public data.
pub struct InvestmentState<'a>(
    pub &'a super::models::investment::Investment,
    pub &'a [super::models::investment::Link],
    pub &'a [super::models::investment::Plan],
);

#[derive(Serialize)]
struct InvestmentLinkPublic<'a> {
    objective_id: Option<i64>,
    indicator_id: Option<i64>,
    expected_change: &'a str,
}

#[derive(Serialize)]
struct InvestmentPlanPublic<'a> {
    year: i32,
    months: &'a str,
}

#[derive(Serialize)]
struct InvestmentPublic<'a> {
    id: i64,
    ecosystem_id: i64,
    cui: Option<&'a str>,
    name: &'a str,
    kind: &'a str,
    level: &'a str,
    function: &'a str,
    programme: &'a str,
    subprogramme: &'a str,
    stage: &'a str,
    modality: &'a str,
    financing_source: &'a str,
    participatory_budget: bool,
    prioritised: bool,
    ubigeo: &'a str,
    latitude: Option<f64>,
    longitude: Option<f64>,
    beneficiaries: Option<i64>,
    viable_amount: Option<f64>,
    updated_cost: Option<f64>,
    viability_date: Option<String>,
    start_date: Option<String>,
    planned_end_date: Option<String>,
    executing_actor_id: Option<i64>,
    executing_unit: &'a str,
    judged_scores: &'a std::collections::BTreeMap<String, i32>,
    links: Vec<InvestmentLinkPublic<'a>>,
    plans: Vec<InvestmentPlanPublic<'a>>,
    created_at: String,
    updated_at: String,
}

impl Audited for InvestmentState<'_> {
    const ENTITY: &'static str = super::models::investment::ENTITY;
    fn audit_id(&self) -> String {
        self.0.id.to_string()
    }
    fn audit_state(&self) -> Result<AuditState, StoreError> {
        let (i, d) = (self.0, &self.0.definition);
        public_only(&InvestmentPublic {
            id: i.id,
            ecosystem_id: i.ecosystem_id,
            cui: d.cui.as_ref().map(|c| c.as_str()),
            name: &d.name,
            kind: d.kind.as_str(),
            level: d.level.as_str(),
            function: d.function.as_str(),
            programme: &d.programme,
            subprogramme: &d.subprogramme,
            stage: d.stage.as_str(),
            modality: d.modality.as_str(),
            financing_source: d.financing_source.as_str(),
            participatory_budget: d.participatory_budget,
            prioritised: d.prioritised,
            ubigeo: d.ubigeo.as_str(),
            latitude: d.location.map(|p| p.lat),
            longitude: d.location.map(|p| p.lon),
            beneficiaries: d.beneficiaries,
            viable_amount: d.viable_amount,
            updated_cost: d.updated_cost,
            viability_date: d.viability_date.map(|x| x.to_string()),
            start_date: d.start_date.map(|x| x.to_string()),
            planned_end_date: d.planned_end_date.map(|x| x.to_string()),
            executing_actor_id: d.executing_actor_id,
            executing_unit: &d.executing_unit,
            judged_scores: &i.scores,
            links: self
                .1
                .iter()
                .map(|l| InvestmentLinkPublic {
                    objective_id: l.objective_id,
                    indicator_id: l.indicator_id,
                    expected_change: &l.expected_change,
                })
                .collect(),
            plans: self
                .2
                .iter()
                .map(|p| InvestmentPlanPublic {
                    year: p.year,
                    months: &p.months,
                })
                .collect(),
            created_at: at(&i.created_at),
            updated_at: at(&i.updated_at),
        })
    }
}

#[derive(Serialize)]
struct InvestmentSnapshotPublic<'a> {
    id: i64,
    investment_id: i64,
    as_of: String,
    year: i32,
    pia: f64,
    pim: f64,
    certified: f64,
    committed: f64,
    accrued: f64,
    paid: f64,
    accrued_before: f64,
    physical_percent: Option<f64>,
    physical_measured_on: Option<String>,
    physical_evidence: &'a str,
    recorded_by: Option<i64>,
    created_at: String,
    updated_at: String,
}

audited!(
    super::models::investment::SnapshotRow,
    super::models::investment::SNAPSHOT,
    |s| public_only(&InvestmentSnapshotPublic {
        id: s.id,
        investment_id: s.investment_id,
        as_of: s.as_of.to_string(),
        year: s.year,
        pia: s.pia,
        pim: s.pim,
        certified: s.certified,
        committed: s.committed,
        accrued: s.accrued,
        paid: s.paid,
        accrued_before: s.accrued_before,
        physical_percent: s.physical_percent,
        physical_measured_on: s.physical_measured_on.map(|d| d.to_string()),
        physical_evidence: &s.physical_evidence,
        recorded_by: s.recorded_by,
        created_at: at(&s.created_at),
        updated_at: at(&s.updated_at),
    })
);

#[derive(Serialize)]
struct InvestmentSettingsPublic<'a> {
    id: i64,
    ecosystem_id: i64,
    stalled_months: i32,
    physical_lag_points: f64,
    plan_gap_points: f64,
    pace_gap_points: f64,
    pim_change_percent: f64,
    gap_weight: f64,
    stage_weight: f64,
    scale_weight: f64,
    scale_basis: &'a str,
    judged_criteria: &'a str,
    envelopes: &'a str,
    updated_at: String,
}

audited!(
    super::models::investment::SettingsRow,
    super::models::investment::SETTINGS,
    |s| public_only(&InvestmentSettingsPublic {
        id: s.id,
        ecosystem_id: s.ecosystem_id,
        stalled_months: s.stalled_months,
        physical_lag_points: s.physical_lag_points,
        plan_gap_points: s.plan_gap_points,
        pace_gap_points: s.pace_gap_points,
        pim_change_percent: s.pim_change_percent,
        gap_weight: s.gap_weight,
        stage_weight: s.stage_weight,
        scale_weight: s.scale_weight,
        scale_basis: s.scale_basis.as_str(),
        judged_criteria: &s.judged_criteria,
        envelopes: &s.envelopes,
        updated_at: at(&s.updated_at),
    })
);
