//! The review queue of the coordinating body: every value awaiting review across
//! ecosystems (indicator values, variable observations, impact contributions) with what a
//! reviewer weighs (evidence, the series so far, the other actors' values of the same cell,
//! the quality flags), and the imports with rows awaiting approval. A fixed number of
//! queries whatever the number of values; approving and rejecting go through the same use
//! cases as GraphQL.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::db::models::measurement::{self, QueueFilter, Subject};
use crate::db::models::{actor, ecosystem, impact, indicator, period_lock, variable};
use crate::domain::plausibility::QualityFlag;
use crate::domain::{MeasurementStatus, Period, ValidationErrors};

use super::data_quality::flags_against;
use super::model;
use super::{AppError, Ayni, Caller};

/// At most this many values awaiting review are read for one queue (the oldest first);
/// filters narrow them.
pub const QUEUE_SCAN: i64 = 2000;
/// At most this many values are shown.
pub const QUEUE_SHOWN: usize = 200;
/// At most this many values are approved in one selection.
pub const MAX_SELECTION: usize = 200;
/// At most this many previous approved values of a series are shown.
const SERIES_SHOWN: usize = 8;

/// The queue's filters, as typed in the form (parsed here).
#[derive(Debug, Clone, Default)]
pub struct ReviewFilter {
    /// An ecosystem's slug.
    pub ecosystem: Option<String>,
    /// An actor's id.
    pub actor: Option<String>,
    /// An indicator's, variable's or VEC's code.
    pub code: Option<String>,
    pub period: Option<String>,
    pub flagged_only: bool,
}

/// What a value is the value of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewKind {
    Indicator,
    Variable,
    Impact,
}

/// Another actor's latest revision in the same cell.
#[derive(Debug, Clone)]
pub struct OtherValue {
    pub actor: String,
    pub value: f64,
    pub revision: i32,
    pub status: MeasurementStatus,
}

/// One value awaiting review and what the reviewer weighs.
#[derive(Debug, Clone)]
pub struct ReviewItem {
    pub value: model::Measurement,
    pub kind: ReviewKind,
    /// The indicator's, variable's or VEC's code and name (with the development for an
    /// impact contribution).
    pub code: String,
    pub name: String,
    pub unit: String,
    /// `(slug, name)` of the ecosystems it belongs to.
    pub ecosystems: Vec<(String, String)>,
    pub actor: String,
    /// The SHA-256 of an uploaded evidence file.
    pub evidence_file: Option<String>,
    /// The approved (counted) values of the same series (actor, territory, disaggregation)
    /// in earlier periods, oldest first.
    pub series: Vec<(Period, f64)>,
    pub others: Vec<OtherValue>,
    pub flags: Vec<QualityFlag>,
    /// A newer revision the same actor sent for the same cell, when there is one: the
    /// reviewer should judge that one instead.
    pub superseded_by: Option<i32>,
}

/// An import with rows awaiting approval.
#[derive(Debug, Clone)]
pub struct PendingImport {
    pub id: i64,
    pub ecosystem: (String, String),
    pub actor: String,
    pub file_name: String,
    pub created_at: NaiveDateTime,
    pub rows_awaiting: i64,
}

/// The review queue.
#[derive(Debug, Clone, Default)]
pub struct ReviewQueue {
    pub items: Vec<ReviewItem>,
    pub imports: Vec<PendingImport>,
    /// More values matched than are shown (or than were read): narrow the filters.
    pub truncated: bool,
    /// `(slug, name)` of every ecosystem, for the filter.
    pub ecosystem_options: Vec<(String, String)>,
    /// `(id, name)` of every actor, for the filter.
    pub actor_options: Vec<(i64, String)>,
}

/// The parsed filters.
struct Parsed {
    ecosystem: Option<String>,
    actor: Option<i64>,
    code: Option<String>,
    period: Option<Period>,
}

fn parse_filter(f: &ReviewFilter) -> Result<Parsed, AppError> {
    let present = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut errors = ValidationErrors::new();
    let actor = match present(&f.actor) {
        Some(a) => match a.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                errors.push(crate::domain::FieldError::new(
                    "actor",
                    "id",
                    "not an actor / no es un actor",
                ));
                None
            }
        },
        None => None,
    };
    let period = match present(&f.period) {
        Some(p) => errors.check(Period::parse("period", &p)),
        None => None,
    };
    let code = present(&f.code);
    if code.as_ref().is_some_and(|c| c.chars().count() > 100) {
        errors.push(crate::domain::FieldError::new(
            "code",
            "length",
            "at most 100 characters",
        ));
    }
    errors.into_result()?;
    Ok(Parsed {
        ecosystem: present(&f.ecosystem),
        actor,
        code,
        period,
    })
}

impl Ayni {
    /// The values awaiting review (coordinators and admins), with their evidence, series,
    /// the other actors' values of their cells and their quality flags, and the imports
    /// with rows awaiting approval.
    pub async fn review_queue(
        &self,
        caller: &Caller,
        filter: ReviewFilter,
    ) -> Result<ReviewQueue, AppError> {
        caller.require_strategist("review values")?;
        let f = parse_filter(&filter)?;
        let flagged_only = filter.flagged_only;
        self.db
            .run(move |c| {
                let ecosystems = ecosystem::list(c)?;
                let actors = actor::list(c)?;
                let eco_by_id: HashMap<i64, (String, String)> = ecosystems
                    .iter()
                    .map(|e| (e.id, (e.slug.clone(), e.name.clone())))
                    .collect();
                let actor_name: HashMap<i64, String> =
                    actors.iter().map(|a| (a.id, a.name.clone())).collect();
                let name_of = |id: i64| {
                    actor_name
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| format!("#{id}"))
                };

                let rows = measurement::awaiting_review(
                    c,
                    &QueueFilter {
                        actor_id: f.actor,
                        period: f.period,
                    },
                    QUEUE_SCAN,
                )?;
                let mut truncated = rows.len() as i64 == QUEUE_SCAN;
                let mut subjects = Vec::with_capacity(rows.len());
                for m in &rows {
                    subjects.push(m.subject()?);
                }
                // What each value is of: names, units, ecosystems.
                let mut ind_ids = Vec::new();
                let mut var_ids = Vec::new();
                let mut vec_ids = Vec::new();
                let mut dev_ids = Vec::new();
                for s in &subjects {
                    match s {
                        Subject::Indicator(i) => ind_ids.push(*i),
                        Subject::Variable(v) => var_ids.push(*v),
                        Subject::Impact { vec, development } => {
                            vec_ids.push(*vec);
                            dev_ids.push(*development);
                        }
                    }
                }
                let indicators: HashMap<i64, indicator::Indicator> =
                    indicator::by_ids(c, &ind_ids)?
                        .into_iter()
                        .map(|i| (i.id, i))
                        .collect();
                let variables: HashMap<i64, variable::Variable> = variable::by_ids(c, &var_ids)?
                    .into_iter()
                    .map(|v| (v.id, v))
                    .collect();
                let vecs: HashMap<i64, impact::Vec_> = impact::vecs_by_ids(c, &vec_ids)?
                    .into_iter()
                    .map(|v| (v.id, v))
                    .collect();
                let developments: HashMap<i64, impact::Development> =
                    impact::developments_by_ids(c, &dev_ids)?
                        .into_iter()
                        .map(|d| (d.id, d))
                        .collect();
                let mut eco_of: HashMap<Subject, Vec<i64>> = HashMap::new();
                for (s, e) in period_lock::ecosystems_of(c, &subjects)? {
                    eco_of.entry(s).or_default().push(e);
                }

                // The filters on what a value is of.
                let wanted_eco = match &f.ecosystem {
                    Some(slug) => match ecosystems.iter().find(|e| &e.slug == slug) {
                        Some(e) => Some(e.id),
                        // An unknown ecosystem matches nothing.
                        None => Some(-1),
                    },
                    None => None,
                };
                let describe = |s: &Subject| -> (ReviewKind, String, String, String) {
                    match s {
                        Subject::Indicator(i) => indicators.get(i).map_or_else(
                            || {
                                (
                                    ReviewKind::Indicator,
                                    format!("#{i}"),
                                    String::new(),
                                    String::new(),
                                )
                            },
                            |i| {
                                let d = &i.definition;
                                (
                                    ReviewKind::Indicator,
                                    d.code.clone(),
                                    d.name.clone(),
                                    d.unit.clone(),
                                )
                            },
                        ),
                        Subject::Variable(v) => variables.get(v).map_or_else(
                            || {
                                (
                                    ReviewKind::Variable,
                                    format!("#{v}"),
                                    String::new(),
                                    String::new(),
                                )
                            },
                            |v| {
                                (
                                    ReviewKind::Variable,
                                    v.code.clone(),
                                    v.name.clone(),
                                    v.unit.clone(),
                                )
                            },
                        ),
                        Subject::Impact { vec, development } => {
                            let dev = developments
                                .get(development)
                                .map_or_else(|| format!("#{development}"), |d| d.name.clone());
                            vecs.get(vec).map_or_else(
                                || {
                                    (
                                        ReviewKind::Impact,
                                        format!("#{vec}"),
                                        dev.clone(),
                                        String::new(),
                                    )
                                },
                                |v| {
                                    (
                                        ReviewKind::Impact,
                                        v.code.clone(),
                                        format!("{} ← {dev}", v.name),
                                        v.unit.clone(),
                                    )
                                },
                            )
                        }
                    }
                };
                let mut kept: Vec<(measurement::Measurement, Subject)> = Vec::new();
                for (m, s) in rows.into_iter().zip(subjects) {
                    let ecos = eco_of.get(&s).map(Vec::as_slice).unwrap_or(&[]);
                    if wanted_eco.is_some_and(|w| !ecos.contains(&w)) {
                        continue;
                    }
                    if let Some(code) = &f.code
                        && !describe(&s).1.eq_ignore_ascii_case(code)
                    {
                        continue;
                    }
                    kept.push((m, s));
                }

                // Flags and series from one read of the counted values of these subjects.
                let kept_subjects: Vec<Subject> = kept.iter().map(|(_, s)| *s).collect();
                let reference = measurement::counted_of_subjects(c, &kept_subjects)?;
                let targets: Vec<measurement::Measurement> =
                    kept.iter().map(|(m, _)| m.clone()).collect();
                let mut flags = flags_against(&targets, &reference)?;
                if flagged_only {
                    kept.retain(|(m, _)| flags.contains_key(&m.id));
                }
                if kept.len() > QUEUE_SHOWN {
                    truncated = true;
                    kept.truncate(QUEUE_SHOWN);
                }

                let ids: Vec<i64> = kept.iter().map(|(m, _)| m.id).collect();
                let files: HashMap<i64, String> = measurement::evidence_files_of(c, &ids)?
                    .into_iter()
                    .collect();
                let shown_subjects: Vec<Subject> = kept.iter().map(|(_, s)| *s).collect();
                let periods: Vec<Period> = kept.iter().map(|(m, _)| m.period).collect();
                let cells = measurement::in_cells(c, &shown_subjects, &periods)?;
                let mut ref_subject = Vec::with_capacity(reference.len());
                for r in &reference {
                    ref_subject.push(r.subject()?);
                }
                let mut cell_subject = Vec::with_capacity(cells.len());
                for r in &cells {
                    cell_subject.push(r.subject()?);
                }

                let mut items = Vec::with_capacity(kept.len());
                for (m, s) in kept {
                    let same_place = |r: &measurement::Measurement| {
                        r.territory == m.territory && r.disaggregation == m.disaggregation
                    };
                    let mut series: Vec<(Period, f64)> = reference
                        .iter()
                        .zip(&ref_subject)
                        .filter(|(r, rs)| {
                            **rs == s
                                && same_place(r)
                                && r.actor_id == m.actor_id
                                && r.period.kind() == m.period.kind()
                                && r.period.start() < m.period.start()
                        })
                        .map(|(r, _)| (r.period, r.value))
                        .collect();
                    series.sort_by_key(|(p, _)| p.start());
                    let skip = series.len().saturating_sub(SERIES_SHOWN);
                    let series = series.split_off(skip);
                    let superseded_by = cells
                        .iter()
                        .zip(&cell_subject)
                        .filter(|(r, rs)| {
                            **rs == s
                                && r.period == m.period
                                && same_place(r)
                                && r.actor_id == m.actor_id
                                && r.revision > m.revision
                        })
                        .map(|(r, _)| r.revision)
                        .max();
                    // Each other actor's latest revision of the cell.
                    let mut latest: HashMap<i64, &measurement::Measurement> = HashMap::new();
                    for (r, rs) in cells.iter().zip(&cell_subject) {
                        if *rs == s
                            && r.period == m.period
                            && same_place(r)
                            && r.actor_id != m.actor_id
                            && latest
                                .get(&r.actor_id)
                                .is_none_or(|l| l.revision < r.revision)
                        {
                            latest.insert(r.actor_id, r);
                        }
                    }
                    let mut others: Vec<OtherValue> = latest
                        .into_values()
                        .map(|r| OtherValue {
                            actor: name_of(r.actor_id),
                            value: r.value,
                            revision: r.revision,
                            status: r.status,
                        })
                        .collect();
                    others.sort_by(|a, b| a.actor.cmp(&b.actor));
                    let (kind, code, name, unit) = describe(&s);
                    let ecos = eco_of
                        .get(&s)
                        .map(|ids| {
                            ids.iter()
                                .filter_map(|e| eco_by_id.get(e).cloned())
                                .collect()
                        })
                        .unwrap_or_default();
                    items.push(ReviewItem {
                        kind,
                        code,
                        name,
                        unit,
                        ecosystems: ecos,
                        actor: name_of(m.actor_id),
                        evidence_file: files.get(&m.id).cloned(),
                        series,
                        others,
                        flags: flags.remove(&m.id).unwrap_or_default(),
                        superseded_by,
                        value: m.into(),
                    });
                }

                // Imports with rows awaiting approval (not when only flagged values are
                // asked for, nor filtered by code or period: an import is approved whole).
                let mut imports = Vec::new();
                if !flagged_only && f.code.is_none() && f.period.is_none() {
                    let pending = measurement::imports_awaiting(c, QUEUE_SHOWN as i64)?;
                    let import_ids: Vec<i64> = pending.iter().map(|(id, _)| *id).collect();
                    let found: HashMap<i64, variable::Import> =
                        variable::imports_by_ids(c, &import_ids)?
                            .into_iter()
                            .map(|i| (i.id, i))
                            .collect();
                    for (id, n) in pending {
                        let Some(i) = found.get(&id) else { continue };
                        if wanted_eco.is_some_and(|w| w != i.ecosystem_id)
                            || f.actor.is_some_and(|a| a != i.actor_id)
                        {
                            continue;
                        }
                        imports.push(PendingImport {
                            id,
                            ecosystem: eco_by_id.get(&i.ecosystem_id).cloned().unwrap_or_default(),
                            actor: name_of(i.actor_id),
                            file_name: i.file_name.clone(),
                            created_at: i.created_at,
                            rows_awaiting: n,
                        });
                    }
                }

                Ok(ReviewQueue {
                    items,
                    imports,
                    truncated,
                    ecosystem_options: ecosystems
                        .iter()
                        .map(|e| (e.slug.clone(), e.name.clone()))
                        .collect(),
                    actor_options: actors.iter().map(|a| (a.id, a.name.clone())).collect(),
                })
            })
            .await
    }

    /// Approves a selection of values (coordinators and admins) as
    /// [`Ayni::approve_measurement`] on each in turn would, set-wise
    /// ([`Ayni::approve_each`]): one refusal does not stop the others. Returns each value's
    /// outcome, in the order given (duplicates dropped).
    pub async fn approve_selection(
        &self,
        caller: &Caller,
        ids: Vec<i64>,
    ) -> Result<Vec<(i64, Result<model::Measurement, AppError>)>, AppError> {
        caller.require_strategist("approve values")?;
        if ids.is_empty() {
            return Err(AppError::invalid(
                "ids",
                "required",
                "choose at least one value / elija al menos un valor",
            ));
        }
        if ids.len() > MAX_SELECTION {
            return Err(AppError::invalid(
                "ids",
                "length",
                format!("at most {MAX_SELECTION} values at once"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let ids: Vec<i64> = ids.into_iter().filter(|id| seen.insert(*id)).collect();
        self.approve_each(caller, ids).await
    }
}
