//! Seed section for the coordinating body's commitments: matched by their Spanish text, so
//! a second load creates nothing. Each is created pending, then taken through `statuses`
//! in order (as the coordinating body would), every step audited.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::app::{Ayni, Caller, CommitmentFilter, CommitmentInput, StatusInput, commitments_today};
use crate::domain::commitment::{CommitmentKind, CommitmentSource, CommitmentStatus};

use super::{SeedError, SeedReport, context};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedCommitment {
    /// In Spanish (the key that makes loading idempotent).
    pub text: String,
    #[serde(default)]
    pub text_en: Option<String>,
    pub kind: CommitmentKind,
    pub source: CommitmentSource,
    pub source_reference: String,
    /// `YYYY-MM-DD`.
    pub source_date: String,
    /// The responsible actor's name.
    pub responsible: String,
    #[serde(default)]
    pub deadline: Option<String>,
    /// Objective codes.
    #[serde(default)]
    pub objectives: Vec<String>,
    /// Investment CUIs (7 digits).
    #[serde(default)]
    pub cuis: Vec<String>,
    /// Statuses set after its creation, in order.
    #[serde(default)]
    pub statuses: Vec<SeedStatus>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedStatus {
    pub status: CommitmentStatus,
    #[serde(default)]
    pub evidence_url: Option<String>,
    #[serde(default)]
    pub evidence_text: Option<String>,
    /// The reason for dropping, or a note.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The actors these commitments name, with where.
pub fn named_actors(commitments: &[SeedCommitment]) -> Vec<(String, String)> {
    commitments
        .iter()
        .map(|c| {
            (
                c.responsible.clone(),
                format!(
                    "commitment '{}'",
                    c.text.chars().take(40).collect::<String>()
                ),
            )
        })
        .collect()
}

/// Where the commitments are being loaded.
pub struct Place<'a> {
    pub origin: &'a str,
    pub slug: &'a str,
    pub ecosystem_id: i64,
    pub objective_ids: &'a HashMap<String, i64>,
    pub actor_ids: &'a HashMap<String, i64>,
}

pub async fn load(
    app: &Ayni,
    op: &Caller,
    place: &Place<'_>,
    commitments: &[SeedCommitment],
    report: &mut SeedReport,
) -> Result<(), SeedError> {
    let here = format!("ecosystem '{}'", place.slug);
    let existing: HashSet<String> = app
        .commitments(
            place.slug.to_string(),
            CommitmentFilter::default(),
            commitments_today(),
        )
        .await
        .map_err(context(place.origin, &format!("{here}: commitments")))?
        .items
        .into_iter()
        .map(|c| c.text)
        .collect();
    for c in commitments {
        let what = format!(
            "{here}: commitment '{}'",
            c.text.chars().take(40).collect::<String>()
        );
        let err = |e| context(place.origin, &what)(e);
        if existing.contains(c.text.trim()) {
            report.count(false);
            continue;
        }
        let responsible = place
            .actor_ids
            .get(c.responsible.trim())
            .copied()
            .ok_or_else(|| {
                SeedError(format!(
                    "{}: {what}: no actor named '{}'",
                    place.origin, c.responsible
                ))
            })?;
        let objective_ids = c
            .objectives
            .iter()
            .map(|code| {
                place
                    .objective_ids
                    .get(code.trim())
                    .copied()
                    .ok_or_else(|| {
                        SeedError(format!("{}: {what}: no objective '{code}'", place.origin))
                    })
            })
            .collect::<Result<Vec<i64>, SeedError>>()?;
        let input = CommitmentInput {
            text: c.text.clone(),
            text_en: c.text_en.clone(),
            kind: c.kind.as_str().into(),
            source: c.source.as_str().into(),
            source_reference: c.source_reference.clone(),
            source_date: c.source_date.clone(),
            responsible_actor_id: responsible,
            deadline: c.deadline.clone(),
            objective_ids,
            cuis: c.cuis.clone(),
        };
        let created = app
            .create_commitment(op, place.ecosystem_id, input)
            .await
            .map_err(err)?;
        for s in &c.statuses {
            let input = StatusInput {
                status: s.status.as_str().into(),
                evidence_url: s.evidence_url.clone(),
                evidence_text: s.evidence_text.clone(),
                reason: s.reason.clone(),
            };
            app.set_commitment_status(op, created.id, input)
                .await
                .map_err(err)?;
        }
        report.count(true);
    }
    Ok(())
}
