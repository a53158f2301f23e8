//! Seed section for an ecosystem's investment portfolio: settings (thresholds, criteria,
//! envelopes), investments with their links, planned curves and judged scores, and monthly
//! snapshots. Investments are matched by CUI (ideas without one by name), so a second load
//! creates nothing; settings and scores are written only when they differ; the monthly
//! snapshots go through the MEF import's upsert, every month of an ecosystem in one
//! transaction, which writes nothing for a month already loaded.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::app::{
    Ayni, Caller, ImportedInvestment, InvestmentFilter, InvestmentInput, InvestmentLinkInput,
    InvestmentRecord, InvestmentSettingsInput, MAX_INVESTMENT_PAGE, PlannedCurveInput,
};
use crate::domain::investment::{AlertThresholds, Criteria, InvestmentDraft, SnapshotDraft};

use super::{SeedError, SeedReport, context};

/// An ecosystem's portfolio.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPortfolio {
    #[serde(default)]
    pub thresholds: Option<AlertThresholds>,
    #[serde(default)]
    pub criteria: Option<Criteria>,
    /// The annual budget envelopes, by year.
    #[serde(default)]
    pub envelopes: BTreeMap<i32, f64>,
    /// The physical progress's evidence, `{n}` replaced by the month's report number.
    #[serde(default)]
    pub evidence: String,
    #[serde(default)]
    pub items: Vec<SeedInvestment>,
}

/// One month's figures: PIA, PIM, certified, committed, accrued (of the year), paid, and
/// the physical progress (%) when reported.
pub type SeedMonth = (f64, f64, f64, f64, f64, f64, Option<f64>);

/// One investment (the fields of [`InvestmentDraft`], shortened).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedInvestment {
    #[serde(default)]
    pub cui: Option<String>,
    pub name: String,
    pub kind: String,
    pub level: String,
    pub function: String,
    #[serde(default)]
    pub programme: String,
    #[serde(default)]
    pub subprogramme: String,
    pub stage: String,
    pub modality: String,
    pub source: String,
    /// Participatory budget.
    #[serde(default)]
    pub pb: bool,
    #[serde(default)]
    pub prioritised: bool,
    pub ubigeo: String,
    /// `[latitude, longitude]`.
    #[serde(default)]
    pub at: Option<[f64; 2]>,
    #[serde(default)]
    pub beneficiaries: Option<i64>,
    #[serde(default)]
    pub viable: Option<f64>,
    #[serde(default)]
    pub cost: Option<f64>,
    /// Viability, start and planned end dates (`YYYY-MM-DD` or null).
    #[serde(default)]
    pub dates: [Option<String>; 3],
    /// The executing actor's name.
    #[serde(default)]
    pub actor: Option<String>,
    /// The executing unit's name (under the actor, or alone).
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub links: Vec<SeedInvestmentLink>,
    /// Planned cumulative devengado per month, by year.
    #[serde(default)]
    pub plans: BTreeMap<i32, Vec<f64>>,
    /// Judged scores by criterion code.
    #[serde(default)]
    pub scores: BTreeMap<String, i32>,
    /// Devengado of the years before, by year of the snapshots.
    #[serde(default)]
    pub before: BTreeMap<i32, f64>,
    /// The first month of `months` (`YYYY-MM`).
    #[serde(default)]
    pub from: Option<String>,
    /// Monthly snapshots (dated the month's last day), from `from` on.
    #[serde(default)]
    pub months: Vec<SeedMonth>,
}

/// A link: an objective or an indicator (by code) and the expected change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedInvestmentLink {
    #[serde(default)]
    pub objective: Option<String>,
    #[serde(default)]
    pub indicator: Option<String>,
    pub change: String,
}

/// The actors these investments name, with where.
pub fn named_actors(p: Option<&SeedPortfolio>) -> Vec<(String, String)> {
    p.map(|p| {
        p.items
            .iter()
            .filter_map(|i| {
                i.actor
                    .as_ref()
                    .map(|a| (a.clone(), format!("investment '{}'", i.name)))
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Where the portfolio is being loaded.
pub struct Place<'a> {
    pub origin: &'a str,
    pub slug: &'a str,
    pub ecosystem_id: i64,
    pub objective_ids: &'a HashMap<String, i64>,
    pub indicator_ids: &'a HashMap<String, i64>,
    pub actor_ids: &'a HashMap<String, i64>,
}

/// The key an investment is matched by: its CUI, else its name.
fn key_of(cui: Option<&str>, name: &str) -> String {
    match cui {
        Some(c) => format!("cui:{}", c.trim()),
        None => format!("name:{}", name.trim()),
    }
}

/// The last day of a month.
fn month_end(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)?.pred_opt()
}

/// The month after `(year, month)`.
fn next_month((year, month): (i32, u32)) -> (i32, u32) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

pub async fn load(
    app: &Ayni,
    op: &Caller,
    place: &Place<'_>,
    portfolio: &SeedPortfolio,
    report: &mut SeedReport,
) -> Result<(), SeedError> {
    let here = format!("ecosystem '{}'", place.slug);
    let origin = place.origin;
    load_settings(app, op, place, portfolio, report).await?;

    let mut existing: HashMap<String, InvestmentRecord> = HashMap::new();
    let mut after = None;
    loop {
        let page = app
            .investments(
                place.ecosystem_id,
                InvestmentFilter::default(),
                after,
                MAX_INVESTMENT_PAGE,
            )
            .await
            .map_err(context(origin, &format!("{here}: investments")))?;
        after = page.items.last().map(|r| r.id);
        for r in page.items {
            let key = key_of(
                r.definition.cui.as_ref().map(|c| c.as_str()),
                &r.definition.name,
            );
            existing.insert(key, r);
        }
        if !page.has_next {
            break;
        }
    }

    // Each month's rows for the import use case, by date.
    let mut by_month: BTreeMap<NaiveDate, Vec<ImportedInvestment>> = BTreeMap::new();
    for item in &portfolio.items {
        let what = format!("{here}: investment '{}'", item.name);
        let fail = |msg: String| SeedError(format!("{origin}: {what}: {msg}"));
        let key = key_of(item.cui.as_deref(), &item.name);
        let record = match existing.remove(&key) {
            Some(r) => {
                report.count(false);
                r
            }
            None => {
                let input = input_of(item, place).map_err(fail)?;
                let r = app
                    .create_investment(op, place.ecosystem_id, input)
                    .await
                    .map_err(context(origin, &what))?;
                report.count(true);
                r
            }
        };
        let mut record = record;
        for (code, score) in &item.scores {
            if record.scores.get(code) != Some(score) {
                record = app
                    .score_investment(op, record.id, code.clone(), Some(*score))
                    .await
                    .map_err(context(origin, &format!("{what}: score '{code}'")))?;
            }
        }
        if item.months.is_empty() {
            continue;
        }
        let from = item
            .from
            .as_deref()
            .ok_or_else(|| fail("months without 'from'".into()))?;
        let first = NaiveDate::parse_from_str(&format!("{from}-01"), "%Y-%m-%d")
            .map_err(|_| fail(format!("'from' {from} is not YYYY-MM")))?;
        let mut ym = (first.year(), first.month());
        for m in &item.months {
            let as_of = month_end(ym.0, ym.1).ok_or_else(|| fail("bad month".into()))?;
            let (pia, pim, certified, committed, accrued, paid, physical) = *m;
            let snapshot = SnapshotDraft {
                as_of: Some(as_of),
                pia,
                pim,
                certified,
                committed,
                accrued,
                paid,
                accrued_before: item.before.get(&ym.0).copied().unwrap_or(0.0),
                physical_percent: physical,
                physical_measured_on: physical.map(|_| as_of),
                physical_evidence: if physical.is_some() {
                    portfolio
                        .evidence
                        .replace("{n}", &format!("{:02}-{}", ym.1, ym.0))
                } else {
                    String::new()
                },
            }
            .parse()
            .map_err(|e| {
                let fields: Vec<String> =
                    e.0.iter()
                        .map(|f| format!("{}: {}", f.field, f.message))
                        .collect();
                fail(format!("month {as_of}: {}", fields.join("; ")))
            })?;
            by_month.entry(as_of).or_default().push(ImportedInvestment {
                definition: record.definition.clone(),
                snapshot,
            });
            ym = next_month(ym);
        }
    }
    // Every month's snapshots in one transaction (the investments and stored snapshots read
    // once): months already loaded write nothing.
    if !by_month.is_empty() {
        app.upsert_investment_series(op, place.ecosystem_id, by_month.into_iter().collect())
            .await
            .map_err(context(origin, &format!("{here}: snapshots")))?;
    }
    Ok(())
}

/// Sets the thresholds, criteria and envelopes that differ from the stored ones.
async fn load_settings(
    app: &Ayni,
    op: &Caller,
    place: &Place<'_>,
    portfolio: &SeedPortfolio,
    report: &mut SeedReport,
) -> Result<(), SeedError> {
    let err = context(
        place.origin,
        &format!("ecosystem '{}': investment settings", place.slug),
    );
    let stored = app
        .investment_settings(place.ecosystem_id)
        .await
        .map_err(&err)?;
    let input = InvestmentSettingsInput {
        thresholds: portfolio.thresholds.filter(|t| *t != stored.thresholds),
        criteria: portfolio.criteria.clone().filter(|c| *c != stored.criteria),
        envelopes: portfolio
            .envelopes
            .iter()
            .filter(|(y, a)| stored.envelopes.get(y) != Some(a))
            .map(|(y, a)| (*y, Some(*a)))
            .collect(),
    };
    let changed =
        input.thresholds.is_some() || input.criteria.is_some() || !input.envelopes.is_empty();
    if changed {
        app.set_investment_settings(op, place.ecosystem_id, input)
            .await
            .map_err(&err)?;
    }
    if portfolio.thresholds.is_some()
        || portfolio.criteria.is_some()
        || !portfolio.envelopes.is_empty()
    {
        report.count(changed);
    }
    Ok(())
}

/// The use case's input for a seed investment, its codes resolved.
fn input_of(item: &SeedInvestment, place: &Place<'_>) -> Result<InvestmentInput, String> {
    let executing_actor_id = item
        .actor
        .as_deref()
        .map(|name| {
            place
                .actor_ids
                .get(name.trim())
                .copied()
                .ok_or_else(|| format!("no actor named '{name}'"))
        })
        .transpose()?;
    let [viability, start, end] = item.dates.clone();
    let definition = InvestmentDraft {
        cui: item.cui.clone(),
        name: item.name.clone(),
        kind: item.kind.clone(),
        level: item.level.clone(),
        function: item.function.clone(),
        programme: item.programme.clone(),
        subprogramme: item.subprogramme.clone(),
        stage: item.stage.clone(),
        modality: item.modality.clone(),
        financing_source: item.source.clone(),
        participatory_budget: item.pb,
        prioritised: item.prioritised,
        ubigeo: item.ubigeo.clone(),
        latitude: item.at.map(|a| a[0]),
        longitude: item.at.map(|a| a[1]),
        beneficiaries: item.beneficiaries,
        viable_amount: item.viable,
        updated_cost: item.cost,
        viability_date: viability,
        start_date: start,
        planned_end_date: end,
        executing_actor_id,
        executing_unit: item.unit.clone(),
    };
    let links = item
        .links
        .iter()
        .map(|l| {
            let objective_id = l
                .objective
                .as_deref()
                .map(|c| {
                    place
                        .objective_ids
                        .get(c.trim())
                        .copied()
                        .ok_or_else(|| format!("no objective '{c}'"))
                })
                .transpose()?;
            let indicator_id = l
                .indicator
                .as_deref()
                .map(|c| {
                    place
                        .indicator_ids
                        .get(c.trim())
                        .copied()
                        .ok_or_else(|| format!("no indicator '{c}'"))
                })
                .transpose()?;
            Ok(InvestmentLinkInput {
                objective_id,
                indicator_id,
                expected_change: l.change.clone(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let planned_curves = item
        .plans
        .iter()
        .map(|(year, months)| PlannedCurveInput {
            year: *year,
            months: months.clone(),
        })
        .collect();
    Ok(InvestmentInput {
        definition,
        links: Some(links),
        planned_curves: Some(planned_curves),
    })
}
