//! Investments: the portfolio of public investments an ecosystem follows, their execution
//! snapshots and what is derived from them (figures, alerts, summaries, priorities).
//!
//! Coordinators and admins create and update investments, record snapshots, set the
//! ecosystem's thresholds, criteria, scores and envelopes, and import MEF's snapshots. A
//! contributor of the executing actor records the physical progress of that actor's
//! investments, nothing else. Everything is public to read: public investments are public
//! data. Reads load every child of a page in a fixed number of queries.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::db::models::investment::{self as store, Children};
use crate::db::models::{actor, indicator, objective};
use crate::db::{DbConnection, WriteTx};
use crate::domain::investment::parse_date;
use crate::domain::investment::{
    Alert, AlertKind, AlertThresholds, Candidate, Criteria, Cui, InvestmentDefinition,
    InvestmentDraft, InvestmentFunction, InvestmentLink, InvestmentStage, LinkTarget, MonthPoint,
    PhysicalProgress, PlannedCurve, Priority, Settings, Snapshot, SnapshotDraft, YearFacts,
    YearSummary, alerts, indicator_gap, judged_score, latest_of_year, mean_gap, monthly_curve,
    prioritise, sum_curves, summarise, year_need,
};
use crate::domain::{FieldError, Period, Role, Ubigeo, ValidationErrors};

use super::ecosystems::require_ecosystem;
use super::{AppError, Ayni, Caller};

/// Most investments in one page of the list.
pub const MAX_INVESTMENT_PAGE: usize = 200;
/// Most rows one import may carry.
pub const MAX_IMPORT_ROWS: usize = 50_000;

/// One investment with everything known about it: its definition, links, planned curves,
/// snapshots (oldest first) and the alerts they raise now.
#[derive(Debug, Clone, PartialEq)]
pub struct InvestmentRecord {
    pub id: i64,
    pub ecosystem_id: i64,
    pub definition: InvestmentDefinition,
    /// The judged scores (1..5) by criterion code.
    pub scores: BTreeMap<String, i32>,
    pub links: Vec<InvestmentLink>,
    pub plans: Vec<PlannedCurve>,
    pub snapshots: Vec<Snapshot>,
    pub alerts: Vec<Alert>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl InvestmentRecord {
    /// The latest snapshot.
    pub fn latest(&self) -> Option<&Snapshot> {
        self.snapshots.iter().max_by_key(|s| s.as_of)
    }

    /// The latest snapshot of a year.
    pub fn of_year(&self, year: i32) -> Option<&Snapshot> {
        latest_of_year(&self.snapshots, year)
    }

    /// The latest physical progress reported (in any snapshot).
    pub fn physical(&self) -> Option<&PhysicalProgress> {
        self.snapshots
            .iter()
            .rev()
            .find_map(|s| s.physical.as_ref())
    }

    /// The monthly curve of a year against its planned curve (see
    /// [`monthly_curve`](crate::domain::investment::monthly_curve)).
    pub fn curve(&self, year: i32) -> Vec<MonthPoint> {
        monthly_curve(
            &self.snapshots,
            year,
            self.plans.iter().find(|p| p.year == year),
        )
    }

    /// The years with a snapshot or a planned curve, ascending.
    pub fn years(&self) -> Vec<i32> {
        let mut years: Vec<i32> = self
            .snapshots
            .iter()
            .map(|s| s.year)
            .chain(self.plans.iter().map(|p| p.year))
            .collect();
        years.sort_unstable();
        years.dedup();
        years
    }
}

/// A link as typed: an objective or an indicator, and the expected change.
#[derive(Debug, Clone, Default)]
pub struct InvestmentLinkInput {
    pub objective_id: Option<i64>,
    pub indicator_id: Option<i64>,
    pub expected_change: String,
}

/// A planned curve as typed: 12 cumulative amounts.
#[derive(Debug, Clone, Default)]
pub struct PlannedCurveInput {
    pub year: i32,
    pub months: Vec<f64>,
}

/// An investment as typed (create, or replace on update): its definition (see
/// [`InvestmentDraft`]), and its links and planned curves (`None` keeps them on update; none
/// on create).
#[derive(Debug, Clone, Default)]
pub struct InvestmentInput {
    pub definition: InvestmentDraft,
    pub links: Option<Vec<InvestmentLinkInput>>,
    pub planned_curves: Option<Vec<PlannedCurveInput>>,
}

/// A snapshot as typed. Amounts not given are taken from the snapshot of the same date, else
/// from the latest earlier snapshot of the same year; a contributor gives physical progress
/// only.
#[derive(Debug, Clone, Default)]
pub struct ProgressInput {
    pub as_of: String,
    pub pia: Option<f64>,
    pub pim: Option<f64>,
    pub certified: Option<f64>,
    pub committed: Option<f64>,
    pub accrued: Option<f64>,
    pub paid: Option<f64>,
    pub accrued_before: Option<f64>,
    pub physical_progress: Option<f64>,
    pub physical_measured_on: Option<String>,
    pub physical_evidence: Option<String>,
}

impl ProgressInput {
    fn has_financial(&self) -> bool {
        [
            self.pia,
            self.pim,
            self.certified,
            self.committed,
            self.accrued,
            self.paid,
            self.accrued_before,
        ]
        .iter()
        .any(Option::is_some)
    }
}

/// A change of an ecosystem's investment settings: each part given replaces the stored
/// one; `envelopes` sets (`Some`) or removes (`None`) one year's envelope each.
#[derive(Debug, Clone, Default)]
pub struct InvestmentSettingsInput {
    pub thresholds: Option<AlertThresholds>,
    pub criteria: Option<Criteria>,
    pub envelopes: Vec<(i32, Option<f64>)>,
}

/// Filters of the list; all given must hold.
#[derive(Debug, Clone, Default)]
pub struct InvestmentFilter {
    pub function: Option<InvestmentFunction>,
    pub executing_actor_id: Option<i64>,
    /// The executing unit's name, exactly (case-insensitive).
    pub executing_unit: Option<String>,
    pub stage: Option<InvestmentStage>,
    /// A territory (ubigeo): investments located in it.
    pub province: Option<String>,
    /// Investments with at least one alert of this kind.
    pub alert_kind: Option<AlertKind>,
    pub prioritised: Option<bool>,
    pub participatory_budget: Option<bool>,
}

/// A page of the list.
#[derive(Debug, Clone)]
pub struct InvestmentPage {
    pub items: Vec<InvestmentRecord>,
    /// How many match the filters in all.
    pub total: usize,
    pub has_next: bool,
}

/// An alert with the investment that raised it.
#[derive(Debug, Clone)]
pub struct AlertedInvestment {
    pub investment_id: i64,
    pub cui: Option<Cui>,
    pub name: String,
    pub alert: Alert,
}

/// A year's summary of an ecosystem's portfolio.
#[derive(Debug, Clone)]
pub struct InvestmentSummary {
    pub summary: YearSummary,
    /// The portfolio's monthly curve (sums of the investments' curves).
    pub curve: Vec<MonthPoint>,
    /// Every alert standing at the end of the year (or now, for the current year), most
    /// severe first.
    pub alerts: Vec<AlertedInvestment>,
}

/// The ranked portfolio of a year.
#[derive(Debug, Clone)]
pub struct InvestmentPriorities {
    pub year: i32,
    pub envelope: Option<f64>,
    pub criteria: Criteria,
    pub items: Vec<(Priority, InvestmentRecord)>,
}

/// One row of a MEF import: the investment as MEF describes it and its figures on the
/// import's date (the snapshot's `as_of` and `year` are the import's).
#[derive(Debug, Clone)]
pub struct ImportedInvestment {
    pub definition: InvestmentDefinition,
    pub snapshot: Snapshot,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvestmentImportOutcome {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub snapshots_written: usize,
    pub snapshots_unchanged: usize,
}

/// A parsed input: the definition, and the links and plans when given.
type Parsed = (
    InvestmentDefinition,
    Option<Vec<InvestmentLink>>,
    Option<Vec<PlannedCurve>>,
);

fn parse_input(input: InvestmentInput) -> Result<Parsed, AppError> {
    let mut e = ValidationErrors::new();
    let links = input.links.map(|links| {
        if links.len() > crate::domain::investment::MAX_LINKS {
            e.push(FieldError::new(
                "links",
                "length",
                format!("at most {} links", crate::domain::investment::MAX_LINKS),
            ));
        }
        links
            .iter()
            .filter_map(|l| {
                e.check(InvestmentLink::parse(
                    l.objective_id,
                    l.indicator_id,
                    &l.expected_change,
                ))
            })
            .collect::<Vec<_>>()
    });
    let plans = input.planned_curves.map(|plans| {
        if plans.len() > 20 {
            e.push(FieldError::new(
                "plannedCurves",
                "length",
                "at most 20 planned curves",
            ));
        }
        let mut years = HashSet::new();
        plans
            .iter()
            .filter_map(|p| {
                if !years.insert(p.year) {
                    e.push(FieldError::new(
                        "plannedCurves.year",
                        "unique",
                        format!("two planned curves for {}", p.year),
                    ));
                }
                e.check(PlannedCurve::parse(p.year, &p.months))
            })
            .collect::<Vec<_>>()
    });
    let parsed = input.definition.parse();
    match parsed {
        Ok(def) if e.is_empty() => Ok((def, links, plans)),
        Ok(_) => Err(e.into()),
        Err(more) => {
            e.0.extend(more.0);
            Err(e.into())
        }
    }
}

/// Checks what the input names against storage: the executing actor exists, linked
/// objectives and indicators belong to the ecosystem.
fn check_references(
    c: &mut DbConnection,
    ecosystem_id: i64,
    def: &InvestmentDefinition,
    links: Option<&[InvestmentLink]>,
) -> Result<(), AppError> {
    let mut e = ValidationErrors::new();
    if let Some(a) = def.executing_actor_id
        && actor::by_id(c, a)?.is_none()
    {
        e.push(FieldError::new(
            "executingActorId",
            "exists",
            format!("no actor with id {a}"),
        ));
    }
    if let Some(links) = links {
        let (mut objs, mut inds) = (Vec::new(), Vec::new());
        for l in links {
            match l.target {
                LinkTarget::Objective(o) => objs.push(o),
                LinkTarget::Indicator(i) => inds.push(i),
            }
        }
        let found_objs: HashSet<i64> = objective::by_ids(c, &objs)?
            .into_iter()
            .filter(|o| o.ecosystem_id == ecosystem_id)
            .map(|o| o.id)
            .collect();
        let found_inds: HashSet<i64> = indicator::by_ids(c, &inds)?
            .into_iter()
            .filter(|i| i.ecosystem_id == ecosystem_id)
            .map(|i| i.id)
            .collect();
        for o in objs.iter().filter(|o| !found_objs.contains(o)) {
            e.push(FieldError::new(
                "links.objectiveId",
                "exists",
                format!("no objective {o} in this ecosystem"),
            ));
        }
        for i in inds.iter().filter(|i| !found_inds.contains(i)) {
            e.push(FieldError::new(
                "links.indicatorId",
                "exists",
                format!("no indicator {i} in this ecosystem"),
            ));
        }
    }
    e.into_result().map_err(AppError::from)
}

/// Loads every child of these investments (links, plans, snapshots, their ecosystems'
/// settings) in a fixed number of queries per ecosystem, and computes their alerts.
fn records(
    c: &mut DbConnection,
    invs: Vec<store::Investment>,
) -> Result<Vec<InvestmentRecord>, AppError> {
    let ids: Vec<i64> = invs.iter().map(|i| i.id).collect();
    let mut links: HashMap<i64, Vec<InvestmentLink>> = HashMap::new();
    for l in store::links_of(c, &ids)? {
        let target = match (l.objective_id, l.indicator_id) {
            (Some(o), _) => LinkTarget::Objective(o),
            (None, Some(i)) => LinkTarget::Indicator(i),
            (None, None) => continue,
        };
        links
            .entry(l.investment_id)
            .or_default()
            .push(InvestmentLink {
                target,
                expected_change: l.expected_change,
            });
    }
    let mut plans: HashMap<i64, Vec<PlannedCurve>> = HashMap::new();
    for p in store::plans_of(c, &ids)? {
        plans.entry(p.investment_id).or_default().push(p.curve()?);
    }
    let mut snaps: HashMap<i64, Vec<Snapshot>> = HashMap::new();
    for s in store::snapshots_of(c, &ids)? {
        snaps.entry(s.investment_id).or_default().push(s.snapshot());
    }
    let mut settings: HashMap<i64, Settings> = HashMap::new();
    for eco in invs.iter().map(|i| i.ecosystem_id).collect::<HashSet<_>>() {
        settings.insert(eco, store::settings(c, eco)?);
    }
    Ok(invs
        .into_iter()
        .map(|i| {
            let snapshots = snaps.remove(&i.id).unwrap_or_default();
            let plans = plans.remove(&i.id).unwrap_or_default();
            let thresholds = settings
                .get(&i.ecosystem_id)
                .map(|s| s.thresholds)
                .unwrap_or_default();
            let alerts = alerts(
                &snapshots,
                &plans,
                i.definition.cost(),
                i.definition.stage,
                &thresholds,
            );
            InvestmentRecord {
                id: i.id,
                ecosystem_id: i.ecosystem_id,
                scores: i.scores,
                links: links.remove(&i.id).unwrap_or_default(),
                plans,
                snapshots,
                alerts,
                created_at: i.created_at,
                updated_at: i.updated_at,
                definition: i.definition,
            }
        })
        .collect())
}

fn ecosystem_records(
    c: &mut DbConnection,
    ecosystem_id: i64,
) -> Result<Vec<InvestmentRecord>, AppError> {
    let invs = store::of_ecosystem(c, ecosystem_id)?;
    records(c, invs)
}

fn record_of(c: &mut DbConnection, id: i64) -> Result<InvestmentRecord, AppError> {
    let inv =
        store::by_id(c, id)?.ok_or_else(|| AppError::not_found(format!("investment {id}")))?;
    records(c, vec![inv])?
        .pop()
        .ok_or_else(|| AppError::not_found(format!("investment {id}")))
}

fn matches(r: &InvestmentRecord, f: &InvestmentFilter, territory: Option<&Ubigeo>) -> bool {
    let d = &r.definition;
    f.function.is_none_or(|x| d.function == x)
        && f.executing_actor_id
            .is_none_or(|x| d.executing_actor_id == Some(x))
        && f.executing_unit
            .as_deref()
            .is_none_or(|x| d.executing_unit.eq_ignore_ascii_case(x.trim()))
        && f.stage.is_none_or(|x| d.stage == x)
        && territory.is_none_or(|t| t.contains(&d.ubigeo))
        && f.alert_kind
            .is_none_or(|k| r.alerts.iter().any(|a| a.kind == k))
        && f.prioritised.is_none_or(|x| d.prioritised == x)
        && f.participatory_budget
            .is_none_or(|x| d.participatory_budget == x)
}

/// The year's portfolio: investments with a snapshot in the year, and those with none at
/// all that are not settled or closed (ideas and projects not yet executing).
fn in_year(r: &InvestmentRecord, year: i32) -> bool {
    r.of_year(year).is_some()
        || (r.snapshots.is_empty()
            && !matches!(
                r.definition.stage,
                InvestmentStage::Settlement | InvestmentStage::Closed
            ))
}

/// The alerts of an investment as they stood at the end of a year.
fn alerts_at_year_end(r: &InvestmentRecord, year: i32, t: &AlertThresholds) -> Vec<Alert> {
    let upto: Vec<Snapshot> = r
        .snapshots
        .iter()
        .filter(|s| s.year <= year)
        .cloned()
        .collect();
    alerts(&upto, &r.plans, r.definition.cost(), r.definition.stage, t)
}

/// Who may record what on an investment.
enum ProgressRight {
    /// Coordinators and admins: everything.
    All,
    /// A contributor of the executing actor: physical progress only.
    PhysicalOnly,
}

fn progress_right(caller: &Caller, inv: &store::Investment) -> Result<ProgressRight, AppError> {
    match caller.role {
        Role::Admin | Role::Coordinator => Ok(ProgressRight::All),
        Role::Contributor
            if caller.actor_id.is_some()
                && caller.actor_id == inv.definition.executing_actor_id =>
        {
            Ok(ProgressRight::PhysicalOnly)
        }
        _ => Err(AppError::Forbidden(
            "only coordinators, admins and contributors of the executing actor may record this investment's progress"
                .into(),
        )),
    }
}

/// The snapshot a progress input makes: amounts not given come from the same date's
/// snapshot, else the latest earlier one of the year.
fn merge_progress(existing: &[Snapshot], input: ProgressInput) -> Result<Snapshot, AppError> {
    let as_of = parse_date("asOf", &input.as_of)?;
    let same = existing.iter().find(|s| s.as_of == as_of);
    let base = same.or_else(|| {
        existing
            .iter()
            .filter(|s| s.year == as_of.year() && s.as_of < as_of)
            .max_by_key(|s| s.as_of)
    });
    let mut e = ValidationErrors::new();
    let mut pick = |field: &str, given: Option<f64>, from: fn(&Snapshot) -> f64| -> f64 {
        match (given, base) {
            (Some(v), _) => v,
            (None, Some(b)) => from(b),
            (None, None) => {
                e.push(FieldError::new(
                    field,
                    "required",
                    format!(
                        "{field} is required: no earlier snapshot of {} to take it from",
                        as_of.year()
                    ),
                ));
                0.0
            }
        }
    };
    let pia = pick("pia", input.pia, |s| s.pia);
    let pim = pick("pim", input.pim, |s| s.pim);
    let certified = pick("certified", input.certified, |s| s.certified);
    let committed = pick("committed", input.committed, |s| s.committed);
    let accrued = pick("accrued", input.accrued, |s| s.accrued);
    let paid = pick("paid", input.paid, |s| s.paid);
    let accrued_before = pick("accruedBefore", input.accrued_before, |s| s.accrued_before);
    let measured_on = match &input.physical_measured_on {
        Some(raw) if !raw.trim().is_empty() => e.check(parse_date("physicalMeasuredOn", raw)),
        _ => None,
    };
    e.into_result()?;
    let (physical_percent, physical_measured_on, physical_evidence) = match (
        input.physical_progress,
        same.and_then(|s| s.physical.as_ref()),
    ) {
        (Some(p), _) => (
            Some(p),
            measured_on,
            input.physical_evidence.unwrap_or_default(),
        ),
        (None, Some(kept)) => (
            Some(kept.percent),
            Some(kept.measured_on),
            kept.evidence.clone(),
        ),
        (None, None) => (None, None, String::new()),
    };
    Ok(SnapshotDraft {
        as_of: Some(as_of),
        pia,
        pim,
        certified,
        committed,
        accrued,
        paid,
        accrued_before,
        physical_percent,
        physical_measured_on,
        physical_evidence,
    }
    .parse()?)
}

impl Ayni {
    /// Creates an investment in an ecosystem (coordinators and admins).
    pub async fn create_investment(
        &self,
        caller: &Caller,
        ecosystem_id: i64,
        input: InvestmentInput,
    ) -> Result<InvestmentRecord, AppError> {
        caller.require_strategist("create investments")?;
        let (def, links, plans) = parse_input(input)?;
        self.db
            .write(caller.author(), move |tx| {
                require_ecosystem(tx.conn(), ecosystem_id)?;
                check_references(tx.conn(), ecosystem_id, &def, links.as_deref())?;
                let inv = store::create(
                    tx,
                    ecosystem_id,
                    &def,
                    &Children {
                        links: links.as_deref(),
                        plans: plans.as_deref(),
                    },
                )?;
                record_of(tx.conn(), inv.id)
            })
            .await
    }

    /// Replaces an investment's definition (coordinators and admins); links and planned
    /// curves when given.
    pub async fn update_investment(
        &self,
        caller: &Caller,
        id: i64,
        input: InvestmentInput,
    ) -> Result<InvestmentRecord, AppError> {
        caller.require_strategist("update investments")?;
        let (def, links, plans) = parse_input(input)?;
        self.db
            .write(caller.author(), move |tx| {
                let inv = store::by_id(tx.conn(), id)?
                    .ok_or_else(|| AppError::not_found(format!("investment {id}")))?;
                check_references(tx.conn(), inv.ecosystem_id, &def, links.as_deref())?;
                store::update(
                    tx,
                    id,
                    &def,
                    &Children {
                        links: links.as_deref(),
                        plans: plans.as_deref(),
                    },
                )?;
                record_of(tx.conn(), id)
            })
            .await
    }

    /// Records a snapshot of an investment's execution (replacing the one of the same date).
    /// Coordinators and admins record any figure; a contributor of the executing actor
    /// records physical progress only.
    pub async fn record_investment_progress(
        &self,
        caller: &Caller,
        id: i64,
        input: ProgressInput,
    ) -> Result<InvestmentRecord, AppError> {
        let caller = caller.clone();
        self.db
            .write(caller.author(), move |tx| {
                let inv = store::by_id(tx.conn(), id)?
                    .ok_or_else(|| AppError::not_found(format!("investment {id}")))?;
                if let ProgressRight::PhysicalOnly = progress_right(&caller, &inv)? {
                    if input.has_financial() {
                        return Err(AppError::Forbidden(
                            "a contributor records physical progress only; budget figures are the coordinating body's".into(),
                        ));
                    }
                    if input.physical_progress.is_none() {
                        return Err(AppError::invalid(
                            "physicalProgress",
                            "required",
                            "give the physical progress (0 to 100)",
                        ));
                    }
                }
                let existing: Vec<Snapshot> = store::snapshots_of(tx.conn(), &[id])?
                    .iter()
                    .map(store::SnapshotRow::snapshot)
                    .collect();
                let snapshot = merge_progress(&existing, input)?;
                store::put_snapshot(tx, id, &snapshot)?;
                record_of(tx.conn(), id)
            })
            .await
    }

    /// Changes an ecosystem's investment settings (coordinators and admins).
    pub async fn set_investment_settings(
        &self,
        caller: &Caller,
        ecosystem_id: i64,
        input: InvestmentSettingsInput,
    ) -> Result<Settings, AppError> {
        caller.require_strategist("set investment settings")?;
        let mut e = ValidationErrors::new();
        let thresholds = input.thresholds.map(|t| t.validate()).transpose();
        let criteria = input.criteria.map(|c| c.validate()).transpose();
        let (thresholds, criteria) = match (thresholds, criteria) {
            (Ok(t), Ok(c)) => (t, c),
            (t, c) => {
                for errs in [t.err(), c.err()].into_iter().flatten() {
                    e.0.extend(errs.0);
                }
                (None, None)
            }
        };
        if input.envelopes.len() > 50 {
            e.push(FieldError::new(
                "envelopes",
                "length",
                "at most 50 envelopes",
            ));
        }
        for (year, amount) in &input.envelopes {
            if !(2000..=2100).contains(year) {
                e.push(FieldError::new(
                    "envelopes.year",
                    "range",
                    "the year must lie between 2000 and 2100",
                ));
            }
            if let Some(a) = amount {
                e.check(crate::domain::investment::amount("envelopes.amount", *a));
            }
        }
        e.into_result()?;
        self.db
            .write(caller.author(), move |tx| {
                require_ecosystem(tx.conn(), ecosystem_id)?;
                let mut s = store::settings(tx.conn(), ecosystem_id)?;
                if let Some(t) = thresholds {
                    s.thresholds = t;
                }
                if let Some(c) = criteria {
                    s.criteria = c;
                }
                for (year, amount) in input.envelopes {
                    match amount {
                        Some(a) => s.envelopes.insert(year, a),
                        None => s.envelopes.remove(&year),
                    };
                }
                Ok(store::put_settings(tx, ecosystem_id, &s)?)
            })
            .await
    }

    /// An ecosystem's investment settings (the defaults when none were set). Public.
    pub async fn investment_settings(&self, ecosystem_id: i64) -> Result<Settings, AppError> {
        self.db
            .run(move |c| Ok(store::settings(c, ecosystem_id)?))
            .await
    }

    /// Gives (or with `None` removes) an investment's score on a judged criterion
    /// (coordinators and admins).
    pub async fn score_investment(
        &self,
        caller: &Caller,
        id: i64,
        criterion: String,
        score: Option<i32>,
    ) -> Result<InvestmentRecord, AppError> {
        caller.require_strategist("score investments")?;
        let score = score.map(|s| judged_score("score", s)).transpose()?;
        self.db
            .write(caller.author(), move |tx| {
                let inv = store::by_id(tx.conn(), id)?
                    .ok_or_else(|| AppError::not_found(format!("investment {id}")))?;
                let settings = store::settings(tx.conn(), inv.ecosystem_id)?;
                let code = criterion.trim();
                if !settings.criteria.judged.iter().any(|j| j.code == code) {
                    let known: Vec<&str> = settings
                        .criteria
                        .judged
                        .iter()
                        .map(|j| j.code.as_str())
                        .collect();
                    let shown: String = code.chars().take(40).collect();
                    return Err(AppError::invalid(
                        "criterion",
                        "unknown_value",
                        format!(
                            "'{shown}' is not a judged criterion of this ecosystem (known: {})",
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                    ));
                }
                store::set_score(tx, id, code, score)?;
                record_of(tx.conn(), id)
            })
            .await
    }

    /// A page of an ecosystem's investments, by CUI (ideas without one last), filtered.
    /// `after` is the id of the last investment of the previous page. Public.
    pub async fn investments(
        &self,
        ecosystem_id: i64,
        filter: InvestmentFilter,
        after: Option<i64>,
        first: usize,
    ) -> Result<InvestmentPage, AppError> {
        if !(1..=MAX_INVESTMENT_PAGE).contains(&first) {
            return Err(AppError::invalid(
                "first",
                "range",
                format!("first must be between 1 and {MAX_INVESTMENT_PAGE}"),
            ));
        }
        let territory = filter
            .province
            .as_deref()
            .map(|p| Ubigeo::parse("province", p))
            .transpose()?;
        self.db
            .run(move |c| {
                require_ecosystem(c, ecosystem_id)?;
                let all = ecosystem_records(c, ecosystem_id)?;
                let matching: Vec<InvestmentRecord> = all
                    .into_iter()
                    .filter(|r| matches(r, &filter, territory.as_ref()))
                    .collect();
                let total = matching.len();
                let start = match after {
                    None => 0,
                    Some(id) => matching
                        .iter()
                        .position(|r| r.id == id)
                        .map(|p| p + 1)
                        .ok_or_else(|| {
                            AppError::invalid("after", "cursor", "not a cursor of this list")
                        })?,
                };
                let items: Vec<InvestmentRecord> =
                    matching.into_iter().skip(start).take(first).collect();
                Ok(InvestmentPage {
                    has_next: start + items.len() < total,
                    items,
                    total,
                })
            })
            .await
    }

    /// One investment of an ecosystem by CUI, or `None`. Public.
    pub async fn investment_by_cui(
        &self,
        ecosystem_id: i64,
        cui: String,
    ) -> Result<Option<InvestmentRecord>, AppError> {
        let cui = Cui::parse("cui", &cui)?;
        self.db
            .run(move |c| match store::by_cui(c, ecosystem_id, &cui)? {
                Some(inv) => Ok(records(c, vec![inv])?.pop()),
                None => Ok(None),
            })
            .await
    }

    /// One investment by id, or `None`. Public.
    pub async fn investment_by_id(&self, id: i64) -> Result<Option<InvestmentRecord>, AppError> {
        self.db
            .run(move |c| match store::by_id(c, id)? {
                Some(inv) => Ok(records(c, vec![inv])?.pop()),
                None => Ok(None),
            })
            .await
    }

    /// `(objective id, investment)` for every investment linked to these objectives, in a
    /// fixed number of queries. Public.
    pub async fn investments_of_objectives(
        &self,
        objective_ids: Vec<i64>,
    ) -> Result<Vec<(i64, InvestmentRecord)>, AppError> {
        self.db
            .run(move |c| linked(c, &objective_ids, &[], |l| l.objective_id))
            .await
    }

    /// `(indicator id, investment)` for every investment linked to these indicators. Public.
    pub async fn investments_of_indicators(
        &self,
        indicator_ids: Vec<i64>,
    ) -> Result<Vec<(i64, InvestmentRecord)>, AppError> {
        self.db
            .run(move |c| linked(c, &[], &indicator_ids, |l| l.indicator_id))
            .await
    }

    /// The summary of a year: totals, breakdowns, ranking of executing units, alerts. Public.
    pub async fn investment_summary(
        &self,
        ecosystem_id: i64,
        year: i32,
    ) -> Result<InvestmentSummary, AppError> {
        check_year(year)?;
        self.db
            .run(move |c| {
                require_ecosystem(c, ecosystem_id)?;
                let settings = store::settings(c, ecosystem_id)?;
                let all = ecosystem_records(c, ecosystem_id)?;
                let of_year: Vec<&InvestmentRecord> =
                    all.iter().filter(|r| in_year(r, year)).collect();
                let year_alerts: Vec<Vec<Alert>> = of_year
                    .iter()
                    .map(|r| alerts_at_year_end(r, year, &settings.thresholds))
                    .collect();
                let facts: Vec<YearFacts<'_>> = of_year
                    .iter()
                    .zip(&year_alerts)
                    .map(|(r, a)| YearFacts {
                        definition: &r.definition,
                        snapshot: r.of_year(year),
                        alerts: a,
                    })
                    .collect();
                let summary = summarise(year, &facts);
                let curves: Vec<Vec<MonthPoint>> = of_year.iter().map(|r| r.curve(year)).collect();
                let mut alerted: Vec<AlertedInvestment> = of_year
                    .iter()
                    .zip(year_alerts)
                    .flat_map(|(r, alerts)| {
                        alerts.into_iter().map(|alert| AlertedInvestment {
                            investment_id: r.id,
                            cui: r.definition.cui.clone(),
                            name: r.definition.name.clone(),
                            alert,
                        })
                    })
                    .collect();
                alerted.sort_by(|a, b| {
                    b.alert
                        .severity
                        .cmp(&a.alert.severity)
                        .then(a.alert.since.cmp(&b.alert.since))
                        .then(a.investment_id.cmp(&b.investment_id))
                });
                Ok(InvestmentSummary {
                    summary,
                    curve: sum_curves(&curves),
                    alerts: alerted,
                })
            })
            .await
    }

    /// The prioritised portfolio of a year: candidates (not settled or closed) ranked by the
    /// ecosystem's weighted criteria, marked against the year's envelope. Public.
    pub async fn investment_priorities(
        &self,
        ecosystem_id: i64,
        year: i32,
    ) -> Result<InvestmentPriorities, AppError> {
        check_year(year)?;
        self.db
            .run(move |c| {
                require_ecosystem(c, ecosystem_id)?;
                let settings = store::settings(c, ecosystem_id)?;
                let all = ecosystem_records(c, ecosystem_id)?;
                let gaps = indicator_gaps(c, ecosystem_id, year, &all)?;
                let candidates: Vec<Candidate<'_>> = all
                    .iter()
                    .map(|r| Candidate {
                        id: r.id,
                        definition: &r.definition,
                        gap: gaps.get(&r.id).copied(),
                        scores: &r.scores,
                        need: year_need(&r.definition, &r.snapshots, year),
                    })
                    .collect();
                let envelope = settings.envelopes.get(&year).copied();
                let ranked = prioritise(&candidates, &settings.criteria, envelope);
                let mut by_id: HashMap<i64, InvestmentRecord> =
                    all.into_iter().map(|r| (r.id, r)).collect();
                let items = ranked
                    .into_iter()
                    .filter_map(|p| by_id.remove(&p.id).map(|r| (p, r)))
                    .collect();
                Ok(InvestmentPriorities {
                    year,
                    envelope,
                    criteria: settings.criteria,
                    items,
                })
            })
            .await
    }

    /// Upserts investments by CUI and writes one snapshot per row dated `as_of`, all in one
    /// transaction (all or nothing), for the MEF import. Idempotent: importing the same rows
    /// for the same date again writes nothing. On an existing investment the fields MEF does
    /// not publish are kept: participatory-budget and prioritised flags, financing source,
    /// links, planned curves, scores, and the executing actor when the row names none;
    /// physical progress recorded on the same date is kept when the row has none.
    /// Coordinators and admins. Rows must have a CUI, lie in the ecosystem's territory and
    /// name each CUI once; a row's errors are reported under `rows[i]`.
    pub async fn upsert_investments(
        &self,
        caller: &Caller,
        ecosystem_id: i64,
        as_of: NaiveDate,
        rows: Vec<ImportedInvestment>,
    ) -> Result<InvestmentImportOutcome, AppError> {
        self.upsert_investment_series(caller, ecosystem_id, vec![(as_of, rows)])
            .await
    }

    /// [`Ayni::upsert_investments`] for several dates in one transaction (all or nothing),
    /// the ecosystem's investments and snapshots read once: a series of snapshots such as
    /// the demo's monthly ones. The outcome adds up every date's. Coordinators and admins.
    pub async fn upsert_investment_series(
        &self,
        caller: &Caller,
        ecosystem_id: i64,
        series: Vec<(NaiveDate, Vec<ImportedInvestment>)>,
    ) -> Result<InvestmentImportOutcome, AppError> {
        caller.require_strategist("import investments")?;
        if series.iter().any(|(_, rows)| rows.len() > MAX_IMPORT_ROWS) {
            return Err(AppError::invalid(
                "rows",
                "length",
                format!("at most {MAX_IMPORT_ROWS} rows per import (and per date)"),
            ));
        }
        self.db
            .write(caller.author(), move |tx| {
                let mut stored = Stored::load(tx, ecosystem_id)?;
                let mut total = InvestmentImportOutcome::default();
                for (as_of, rows) in series {
                    let o = stored.upsert(tx, as_of, rows)?;
                    total.created += o.created;
                    total.updated += o.updated;
                    total.unchanged += o.unchanged;
                    total.snapshots_written += o.snapshots_written;
                    total.snapshots_unchanged += o.snapshots_unchanged;
                }
                Ok(total)
            })
            .await
    }
}

/// The body of [`Ayni::upsert_investments`], in the caller's transaction: the MEF import
/// records its own audit entry in the same one.
pub(super) fn upsert_rows(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    as_of: NaiveDate,
    rows: Vec<ImportedInvestment>,
) -> Result<InvestmentImportOutcome, AppError> {
    Stored::load(tx, ecosystem_id)?.upsert(tx, as_of, rows)
}

/// What the upserts of one transaction read once: the ecosystem, its investments by CUI
/// and their snapshots by investment and date (kept current as rows are written).
struct Stored {
    ecosystem_id: i64,
    territory: Ubigeo,
    investments: HashMap<Cui, store::Investment>,
    snapshots: HashMap<(i64, NaiveDate), store::SnapshotRow>,
}

impl Stored {
    fn load(tx: &mut WriteTx<'_>, ecosystem_id: i64) -> Result<Stored, AppError> {
        let eco = require_ecosystem(tx.conn(), ecosystem_id)?;
        let investments: HashMap<Cui, store::Investment> =
            store::of_ecosystem(tx.conn(), ecosystem_id)?
                .into_iter()
                .filter_map(|i| i.definition.cui.clone().map(|c| (c, i)))
                .collect();
        let ids: Vec<i64> = investments.values().map(|i| i.id).collect();
        let snapshots = store::snapshots_of(tx.conn(), &ids)?
            .into_iter()
            .map(|s| ((s.investment_id, s.as_of), s))
            .collect();
        Ok(Stored {
            ecosystem_id,
            territory: eco.territory,
            investments,
            snapshots,
        })
    }

    /// Upserts one date's rows (see [`Ayni::upsert_investments`]).
    fn upsert(
        &mut self,
        tx: &mut WriteTx<'_>,
        as_of: NaiveDate,
        rows: Vec<ImportedInvestment>,
    ) -> Result<InvestmentImportOutcome, AppError> {
        let mut e = ValidationErrors::new();
        let mut seen = HashSet::new();
        for (i, r) in rows.iter().enumerate() {
            match &r.definition.cui {
                None => e.push(FieldError::new(
                    format!("rows[{i}].cui"),
                    "required",
                    "an imported investment has a CUI",
                )),
                Some(cui) if !seen.insert(cui.clone()) => e.push(FieldError::new(
                    format!("rows[{i}].cui"),
                    "unique",
                    format!("CUI {cui} appears twice in this import"),
                )),
                Some(_) => {}
            }
            if !self.territory.contains(&r.definition.ubigeo) {
                e.push(FieldError::new(
                    format!("rows[{i}].ubigeo"),
                    "territory",
                    format!(
                        "{} lies outside the ecosystem's territory {}",
                        r.definition.ubigeo, self.territory
                    ),
                ));
            }
        }
        e.into_result()?;
        let mut out = InvestmentImportOutcome::default();
        for row in rows {
            let ImportedInvestment {
                mut definition,
                mut snapshot,
            } = row;
            snapshot.as_of = as_of;
            snapshot.year = as_of.year();
            let cui = definition
                .cui
                .clone()
                .ok_or_else(|| AppError::internal("an imported row lost its CUI"))?;
            let id = match self.investments.get(&cui) {
                Some(old) => {
                    let kept = &old.definition;
                    definition.participatory_budget = kept.participatory_budget;
                    definition.prioritised = kept.prioritised;
                    definition.financing_source = kept.financing_source;
                    if definition.executing_actor_id.is_none() {
                        definition.executing_actor_id = kept.executing_actor_id;
                    }
                    let id = old.id;
                    // Unchanged (the stored row is current in this transaction): nothing to
                    // read again or write.
                    if old.definition == definition {
                        out.unchanged += 1;
                    } else {
                        let (after, changed) =
                            store::update(tx, id, &definition, &Children::default())?;
                        if changed {
                            out.updated += 1;
                        } else {
                            out.unchanged += 1;
                        }
                        self.investments.insert(cui, after);
                    }
                    id
                }
                None => {
                    out.created += 1;
                    let created =
                        store::create(tx, self.ecosystem_id, &definition, &Children::default())?;
                    let id = created.id;
                    self.investments.insert(cui, created);
                    id
                }
            };
            let same_day = self.snapshots.remove(&(id, as_of));
            if snapshot.physical.is_none() {
                snapshot.physical = same_day
                    .as_ref()
                    .and_then(|s| s.snapshot().physical.clone());
            }
            if let Some(p) = &mut snapshot.physical
                && p.measured_on > as_of
            {
                p.measured_on = as_of;
            }
            let (stored, written) = store::put_snapshot_over(tx, id, &snapshot, same_day)?;
            self.snapshots.insert((id, as_of), stored);
            if written {
                out.snapshots_written += 1;
            } else {
                out.snapshots_unchanged += 1;
            }
        }
        Ok(out)
    }
}

fn check_year(year: i32) -> Result<(), AppError> {
    if (2000..=2100).contains(&year) {
        Ok(())
    } else {
        Err(AppError::invalid(
            "year",
            "range",
            "the year must lie between 2000 and 2100",
        ))
    }
}

/// The investments linked to these objectives or indicators, with the key `key` picks.
fn linked(
    c: &mut DbConnection,
    objective_ids: &[i64],
    indicator_ids: &[i64],
    key: fn(&store::Link) -> Option<i64>,
) -> Result<Vec<(i64, InvestmentRecord)>, AppError> {
    let links = store::links_to(c, objective_ids, indicator_ids)?;
    let mut ids: Vec<i64> = links.iter().map(|l| l.investment_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let invs = store::by_ids(c, &ids)?;
    let recs: HashMap<i64, InvestmentRecord> =
        records(c, invs)?.into_iter().map(|r| (r.id, r)).collect();
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for l in &links {
        if let (Some(k), Some(r)) = (key(l), recs.get(&l.investment_id))
            && seen.insert((k, r.id))
        {
            out.push((k, r.clone()));
        }
    }
    Ok(out)
}

/// Each investment's mean indicator gap for a year: over the indicators it is linked to,
/// directly or through a linked objective, `1 − progress` of the year's scorecard.
fn indicator_gaps(
    c: &mut DbConnection,
    ecosystem_id: i64,
    year: i32,
    all: &[InvestmentRecord],
) -> Result<HashMap<i64, f64>, AppError> {
    if all.iter().all(|r| r.links.is_empty()) {
        return Ok(HashMap::new());
    }
    let period = Period::parse("year", &year.to_string())?;
    let card = super::indicators::scorecard_in(c, ecosystem_id, period)?;
    let mut by_indicator: HashMap<i64, f64> = HashMap::new();
    let mut of_objective: HashMap<i64, Vec<i64>> = HashMap::new();
    for p in &card.perspectives {
        for o in &p.objectives {
            for i in &o.indicators {
                of_objective
                    .entry(o.objective.id)
                    .or_default()
                    .push(i.indicator.id);
                if let Some(g) = i.evaluation.progress.and_then(indicator_gap) {
                    by_indicator.insert(i.indicator.id, g);
                }
            }
        }
    }
    let mut out = HashMap::new();
    for r in all {
        let mut inds: Vec<i64> = Vec::new();
        for l in &r.links {
            match l.target {
                LinkTarget::Indicator(i) => inds.push(i),
                LinkTarget::Objective(o) => {
                    inds.extend(of_objective.get(&o).into_iter().flatten().copied())
                }
            }
        }
        inds.sort_unstable();
        inds.dedup();
        let gaps: Vec<f64> = inds
            .iter()
            .filter_map(|i| by_indicator.get(i).copied())
            .collect();
        if let Some(g) = mean_gap(&gaps) {
            out.insert(r.id, g);
        }
    }
    Ok(out)
}
