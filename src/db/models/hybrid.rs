//! Hybrid metrics and indicator beneficiaries (shared value).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{hybrid_metrics, indicator_beneficiaries};
use crate::db::{DbConnection, StoreError, WriteTx};
use crate::domain::ActorKind;
use crate::domain::causal::ExpectedSign;
use crate::domain::causal::Verdict;
use crate::domain::shared_value::{HybridRelation, HybridStatus};

pub const HYBRID: &str = "hybrid_metric";
pub const BENEFICIARY: &str = "indicator_beneficiary";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = hybrid_metrics)]
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
    pub adoption_verdict: Option<Verdict>,
    pub adoption_justification: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub expected_sign: ExpectedSign,
}

impl HybridMetric {}

/// The fields of a hybrid metric, validated.
#[derive(Debug, Clone)]
pub struct HybridFields {
    pub ecosystem_id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub company_actor_id: i64,
    pub social_indicator_id: i64,
    pub financial_indicator_id: i64,
    pub relation: HybridRelation,
    pub unit: String,
    pub expected_sign: ExpectedSign,
}

pub fn create(tx: &mut WriteTx<'_>, f: &HybridFields) -> Result<HybridMetric, StoreError> {
    let now = tx.now();
    let code = f.code.clone();
    diesel::insert_into(hybrid_metrics::table)
        .values((
            hybrid_metrics::ecosystem_id.eq(f.ecosystem_id),
            hybrid_metrics::code.eq(&f.code),
            hybrid_metrics::name.eq(&f.name),
            hybrid_metrics::description.eq(&f.description),
            hybrid_metrics::company_actor_id.eq(f.company_actor_id),
            hybrid_metrics::social_indicator_id.eq(f.social_indicator_id),
            hybrid_metrics::financial_indicator_id.eq(f.financial_indicator_id),
            hybrid_metrics::relation.eq(f.relation.as_str()),
            hybrid_metrics::unit.eq(&f.unit),
            hybrid_metrics::expected_sign.eq(f.expected_sign.as_str()),
            hybrid_metrics::status.eq(HybridStatus::Proposed.as_str()),
            hybrid_metrics::created_at.eq(now),
            hybrid_metrics::updated_at.eq(now),
        ))
        .execute(tx.conn())
        .map_err(StoreError::on_unique("code", move || {
            format!("this ecosystem already has a hybrid metric with code '{code}'")
        }))?;
    let h: HybridMetric = hybrid_metrics::table
        .filter(hybrid_metrics::ecosystem_id.eq(f.ecosystem_id))
        .filter(hybrid_metrics::code.eq(&f.code))
        .select(HybridMetric::as_select())
        .first(tx.conn())?;
    tx.record_change(None, Some(&h))?;
    Ok(h)
}

/// Marks a hybrid metric adopted, recording the verdict it was adopted on and the
/// justification of an override.
pub fn adopt(
    tx: &mut WriteTx<'_>,
    before: &HybridMetric,
    verdict: Verdict,
    justification: Option<&str>,
) -> Result<HybridMetric, StoreError> {
    let now = tx.now();
    let by = tx.author().user_id;
    diesel::update(hybrid_metrics::table.find(before.id))
        .set((
            hybrid_metrics::status.eq(HybridStatus::Adopted.as_str()),
            hybrid_metrics::adopted_by.eq(by),
            hybrid_metrics::adopted_at.eq(Some(now)),
            hybrid_metrics::adoption_verdict.eq(Some(verdict.as_str())),
            hybrid_metrics::adoption_justification.eq(justification),
            hybrid_metrics::updated_at.eq(now),
        ))
        .execute(tx.conn())?;
    let after = require(tx.conn(), before.id)?;
    tx.record_change(Some(before), Some(&after))?;
    Ok(after)
}

pub fn require(conn: &mut DbConnection, id: i64) -> Result<HybridMetric, StoreError> {
    hybrid_metrics::table
        .find(id)
        .select(HybridMetric::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound {
            entity: HYBRID,
            key: id.to_string(),
        })
}

pub fn of_ecosystem(
    conn: &mut DbConnection,
    ecosystem_id: i64,
) -> Result<Vec<HybridMetric>, StoreError> {
    Ok(hybrid_metrics::table
        .filter(hybrid_metrics::ecosystem_id.eq(ecosystem_id))
        .order(hybrid_metrics::code.asc())
        .select(HybridMetric::as_select())
        .load(conn)?)
}

pub fn all(conn: &mut DbConnection) -> Result<Vec<HybridMetric>, StoreError> {
    Ok(hybrid_metrics::table
        .order(hybrid_metrics::id.asc())
        .select(HybridMetric::as_select())
        .load(conn)?)
}

/// Who an indicator's value reaches: an actor kind, or one actor.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = indicator_beneficiaries)]
pub struct Beneficiary {
    pub id: i64,
    pub indicator_id: i64,
    pub actor_kind: Option<ActorKind>,
    pub actor_id: Option<i64>,
}

/// A beneficiary to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BeneficiaryRef {
    Kind(ActorKind),
    Actor(i64),
}

/// Replaces an indicator's beneficiaries (each removal and addition audited).
pub fn set_beneficiaries(
    tx: &mut WriteTx<'_>,
    indicator_id: i64,
    wanted: &[BeneficiaryRef],
) -> Result<Vec<Beneficiary>, StoreError> {
    let before = of_indicators(tx.conn(), &[indicator_id])?;
    for b in &before {
        diesel::delete(indicator_beneficiaries::table.find(b.id)).execute(tx.conn())?;
        tx.record_change(Some(b), None)?;
    }
    let mut out = Vec::new();
    for w in wanted {
        let (kind, actor) = match w {
            BeneficiaryRef::Kind(k) => (Some(k.as_str()), None),
            BeneficiaryRef::Actor(a) => (None, Some(*a)),
        };
        diesel::insert_into(indicator_beneficiaries::table)
            .values((
                indicator_beneficiaries::indicator_id.eq(indicator_id),
                indicator_beneficiaries::actor_kind.eq(kind),
                indicator_beneficiaries::actor_id.eq(actor),
            ))
            .execute(tx.conn())?;
        let b: Beneficiary = indicator_beneficiaries::table
            .filter(indicator_beneficiaries::indicator_id.eq(indicator_id))
            .order(indicator_beneficiaries::id.desc())
            .select(Beneficiary::as_select())
            .first(tx.conn())?;
        tx.record_change(None, Some(&b))?;
        out.push(b);
    }
    Ok(out)
}

pub fn of_indicators(
    conn: &mut DbConnection,
    indicator_ids: &[i64],
) -> Result<Vec<Beneficiary>, StoreError> {
    Ok(indicator_beneficiaries::table
        .filter(indicator_beneficiaries::indicator_id.eq_any(indicator_ids))
        .order(indicator_beneficiaries::id.asc())
        .select(Beneficiary::as_select())
        .load(conn)?)
}

pub fn all_beneficiaries(conn: &mut DbConnection) -> Result<Vec<Beneficiary>, StoreError> {
    Ok(indicator_beneficiaries::table
        .order(indicator_beneficiaries::id.asc())
        .select(Beneficiary::as_select())
        .load(conn)?)
}
