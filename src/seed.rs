//! Seed data: plain JSON documents (see `seeds/README.md`) loaded idempotently through the
//! same audited use cases as any other write. `ayni seed DIR` reads a directory;
//! `ayni serve --demo` loads the demo files compiled into the binary.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use rand::Rng;
use rand::distr::Alphanumeric;
use serde::Deserialize;

use crate::app::{
    AdjustmentInput, AppError, Ayni, Caller, DirectionKind, EcosystemInput, IndicatorInput,
    MeasurementFilter, MeasurementInput, NewActorInput, NewUserInput, ObjectiveInput, ThemeInput,
    VariableInput,
};
use crate::domain::actor_rule::ActorRuleKind;
use crate::domain::scoring::Aggregation;
use crate::domain::{
    ActorKind, Availability, Disaggregation, MetricCategory, PeriodType, PerspectiveKind, Role,
    RollUp, SharedValueForm, SourceKind, TargetHorizon, TerritoryLevel, ThemeKind,
};

mod commitments;
mod investments;
mod shared_value;

/// The demo's files, in load order.
const DEMO_FILES: [(&str, &str); 8] = [
    (
        "seeds/demo/1-actors.json",
        include_str!("../seeds/demo/1-actors.json"),
    ),
    (
        "seeds/demo/2-moquegua.json",
        include_str!("../seeds/demo/2-moquegua.json"),
    ),
    (
        "seeds/demo/3-moquegua-indicators.json",
        include_str!("../seeds/demo/3-moquegua-indicators.json"),
    ),
    (
        "seeds/demo/4-moquegua-variables.json",
        include_str!("../seeds/demo/4-moquegua-variables.json"),
    ),
    (
        "seeds/demo/5-moquegua-shared-value.json",
        include_str!("../seeds/demo/5-moquegua-shared-value.json"),
    ),
    (
        "seeds/demo/6-moquegua-commitments.json",
        include_str!("../seeds/demo/6-moquegua-commitments.json"),
    ),
    (
        "seeds/demo/7-moquegua-investments.json",
        include_str!("../seeds/demo/7-moquegua-investments.json"),
    ),
    (
        "seeds/demo/8-cajamarca.json",
        include_str!("../seeds/demo/8-cajamarca.json"),
    ),
];

/// The demo administrator's e-mail.
pub const DEMO_ADMIN_EMAIL: &str = "admin@ayni.local";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedDocument {
    #[serde(rename = "_comment", default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub actors: Vec<SeedActor>,
    #[serde(default)]
    pub variables: Vec<SeedVariable>,
    #[serde(default)]
    pub ecosystems: Vec<SeedEcosystem>,
}

/// A variable of the repository (global, shared by every ecosystem).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedVariable {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub unit: String,
    pub source: SourceKind,
    #[serde(default)]
    pub source_detail: String,
    #[serde(default)]
    pub source_reference: String,
    pub periodicity: PeriodType,
    pub level: TerritoryLevel,
    #[serde(default)]
    pub themes: Vec<String>,
    pub availability: Availability,
    #[serde(default)]
    pub availability_note: String,
    #[serde(default)]
    pub responsible: Option<String>,
    pub rollup: RollUp,
    #[serde(default)]
    pub weight_variable: Option<String>,
    /// How several actors' observations combine: `sum`, `mean`, `max`, `latest` (the
    /// default) or `preferred` (with `preferred`: actor names in order).
    #[serde(default)]
    pub actor_rule: Option<String>,
    #[serde(default)]
    pub preferred: Vec<String>,
    /// The lowest plausible value (a percentage unit defaults to 0).
    #[serde(default)]
    pub valid_min: Option<f64>,
    /// The highest plausible value (a percentage unit defaults to 100).
    #[serde(default)]
    pub valid_max: Option<f64>,
}

/// Approved observations of one variable, by one actor, at one territory.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedObservations {
    pub variable: String,
    pub territory: String,
    pub actor: String,
    #[serde(default)]
    pub evidence_url: Option<String>,
    #[serde(default)]
    pub evidence_text: Option<String>,
    /// Whether the numbers are illustrative rather than taken from the cited source (say so
    /// in `evidence_text` too: it is what readers see).
    #[serde(default)]
    pub illustrative: bool,
    pub approved: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedActor {
    pub name: String,
    pub kind: ActorKind,
    #[serde(default)]
    pub illustrative: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedEcosystem {
    pub slug: String,
    pub name: String,
    pub territory: String,
    #[serde(default)]
    pub mission: String,
    #[serde(default)]
    pub vision: String,
    pub horizon: [i32; 2],
    #[serde(default)]
    pub illustrative: bool,
    #[serde(default)]
    pub members: Vec<SeedMember>,
    #[serde(default)]
    pub themes: Vec<SeedTheme>,
    #[serde(default)]
    pub objectives: Vec<SeedObjective>,
    #[serde(default)]
    pub links: Vec<SeedLink>,
    #[serde(default)]
    pub indicators: Vec<SeedIndicator>,
    /// Codes of the repository's variables this ecosystem uses.
    #[serde(default)]
    pub variables: Vec<String>,
    #[serde(default)]
    pub observations: Vec<SeedObservations>,
    /// Who each indicator's value reaches (shared value).
    #[serde(default)]
    pub beneficiaries: Vec<shared_value::SeedBeneficiaries>,
    #[serde(default)]
    pub hybrid_metrics: Vec<shared_value::SeedHybrid>,
    #[serde(default)]
    pub vecs: Vec<shared_value::SeedVec>,
    #[serde(default)]
    pub developments: Vec<shared_value::SeedDevelopment>,
    /// Approved impact contributions.
    #[serde(default)]
    pub impacts: Vec<shared_value::SeedImpacts>,
    /// The coordinating body's commitments.
    #[serde(default)]
    pub commitments: Vec<commitments::SeedCommitment>,
    /// The investment portfolio it follows.
    #[serde(default)]
    pub investments: Option<investments::SeedPortfolio>,
}

impl SeedEcosystem {
    fn shared_value_sections(&self) -> shared_value::Sections<'_> {
        shared_value::Sections {
            beneficiaries: &self.beneficiaries,
            hybrid_metrics: &self.hybrid_metrics,
            vecs: &self.vecs,
            developments: &self.developments,
            impacts: &self.impacts,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedIndicator {
    pub code: String,
    pub objective: String,
    pub name: String,
    pub unit: String,
    /// `increase`, `decrease` or `range` (with `range: [lower, upper]`).
    pub direction: String,
    #[serde(default)]
    pub range: Option<[f64; 2]>,
    pub periodicity: PeriodType,
    /// `last` (default) or `sum`.
    #[serde(default)]
    pub aggregation: Option<String>,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub form: Option<SharedValueForm>,
    #[serde(default)]
    pub category: Option<MetricCategory>,
    #[serde(default)]
    pub weight: Option<f64>,
    #[serde(default)]
    pub responsible: Vec<String>,
    #[serde(default)]
    pub baseline: Option<SeedBaseline>,
    #[serde(default)]
    pub targets: Vec<SeedTarget>,
    #[serde(default)]
    pub values: Vec<SeedValues>,
    /// A formula over variable codes: the indicator is computed (and takes no `values`).
    #[serde(default)]
    pub formula: Option<String>,
    /// The lowest plausible value (a percentage unit defaults to 0).
    #[serde(default)]
    pub valid_min: Option<f64>,
    /// The highest plausible value (a percentage unit defaults to 100).
    #[serde(default)]
    pub valid_max: Option<f64>,
    #[serde(default)]
    pub illustrative: bool,
    /// How several actors' values combine: `sum`, `mean`, `max`, `latest` (the default) or
    /// `preferred` (with `preferred`: actor names in order).
    #[serde(default)]
    pub actor_rule: Option<String>,
    #[serde(default)]
    pub preferred: Vec<String>,
    /// De-duplication adjustments of cells, recorded by the operator.
    #[serde(default)]
    pub adjustments: Vec<SeedAdjustment>,
}

/// A de-duplication adjustment of one total cell.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedAdjustment {
    pub period: String,
    /// Defaults to the ecosystem's territory.
    #[serde(default)]
    pub territory: Option<String>,
    pub value: f64,
    pub reason: String,
}

/// A seed's actor rule name (`sum`, `mean`, `max`, `latest`, `preferred`, any case).
fn seed_actor_rule(name: Option<&str>) -> Result<Option<ActorRuleKind>, String> {
    name.map(|n| {
        ActorRuleKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str().eq_ignore_ascii_case(n.trim()))
            .ok_or_else(|| format!("unknown actor rule '{n}'"))
    })
    .transpose()
}

/// A seed's preferred actors, by name, in order (`None` when it names none).
fn seed_preferred(
    names: &[String],
    actor: impl Fn(&str) -> Option<i64>,
) -> Result<Option<Vec<i64>>, String> {
    if names.is_empty() {
        return Ok(None);
    }
    names
        .iter()
        .map(|n| actor(n).ok_or_else(|| format!("no actor named '{n}'")))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedBaseline {
    pub period: String,
    pub value: f64,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTarget {
    pub period: String,
    pub value: f64,
    pub horizon: TargetHorizon,
}

/// Values of one actor for one territory and disaggregation, by period.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedValues {
    /// Defaults to the ecosystem's territory.
    #[serde(default)]
    pub territory: Option<String>,
    pub actor: String,
    #[serde(default)]
    pub evidence_url: Option<String>,
    #[serde(default)]
    pub evidence_text: Option<String>,
    #[serde(default)]
    pub disaggregation: BTreeMap<String, String>,
    /// Submitted and approved.
    #[serde(default)]
    pub approved: BTreeMap<String, f64>,
    /// Submitted, awaiting review.
    #[serde(default)]
    pub submitted: BTreeMap<String, f64>,
    #[serde(default)]
    pub rejected: Vec<SeedRejected>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRejected {
    pub period: String,
    pub value: f64,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMember {
    pub actor: String,
    pub role: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTheme {
    pub code: String,
    pub name: String,
    #[serde(default = "default_theme_kind")]
    pub kind: ThemeKind,
    #[serde(default)]
    pub description: String,
}

fn default_theme_kind() -> ThemeKind {
    ThemeKind::Theme
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedObjective {
    pub code: String,
    pub name: String,
    pub perspective: PerspectiveKind,
    #[serde(default)]
    pub theme: Option<String>,
    #[serde(default)]
    pub weight: Option<f64>,
    #[serde(default)]
    pub responsible: Vec<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub illustrative: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedLink {
    pub cause: String,
    pub effect: String,
    #[serde(default)]
    pub description: String,
    /// `positive` (the default) or `negative`.
    #[serde(default)]
    pub expected_sign: Option<crate::domain::causal::ExpectedSign>,
    #[serde(default)]
    pub illustrative: bool,
}

/// How many items a load created, and how many it found already there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub created: usize,
    pub kept: usize,
}

impl SeedReport {
    fn count(&mut self, created: bool) {
        if created {
            self.created += 1;
        } else {
            self.kept += 1;
        }
    }
}

/// A seed problem, naming the file and the item.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SeedError(pub String);

/// Parses one seed document; `origin` names it in errors.
pub fn parse(origin: &str, text: &str) -> Result<SeedDocument, SeedError> {
    serde_json::from_str(text).map_err(|e| SeedError(format!("{origin}: {e}")))
}

/// Reads every `*.json` file of a directory (or one file), in name order.
pub fn read_path(path: &Path) -> Result<Vec<(String, SeedDocument)>, SeedError> {
    let files: Vec<_> = if path.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| SeedError(format!("{}: {e}", path.display())))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    if files.is_empty() {
        return Err(SeedError(format!(
            "{}: no .json seed files",
            path.display()
        )));
    }
    files
        .into_iter()
        .map(|f| {
            let origin = f.display().to_string();
            let text =
                std::fs::read_to_string(&f).map_err(|e| SeedError(format!("{origin}: {e}")))?;
            Ok((origin.clone(), parse(&origin, &text)?))
        })
        .collect()
}

/// The demo documents compiled into the binary.
pub fn demo_documents() -> Result<Vec<(String, SeedDocument)>, SeedError> {
    DEMO_FILES
        .iter()
        .map(|(origin, text)| Ok((origin.to_string(), parse(origin, text)?)))
        .collect()
}

fn context(origin: &str, what: &str) -> impl Fn(AppError) -> SeedError + use<> {
    let prefix = format!("{origin}: {what}");
    move |e| {
        let fields: Vec<String> = e
            .field_errors()
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect();
        let detail = if let AppError::Internal(detail) = &e {
            // The operator loading seeds is the one who needs the detail.
            format!("internal error: {detail}")
        } else if fields.is_empty() {
            e.to_string()
        } else {
            fields.join("; ")
        };
        SeedError(format!("{prefix}: {detail}"))
    }
}

/// Loads documents as the operator: actors of every document first, then ecosystems.
pub async fn load(app: &Ayni, docs: &[(String, SeedDocument)]) -> Result<SeedReport, SeedError> {
    let op = Caller::operator();
    let mut report = SeedReport::default();
    let existing = app.actors().await.map_err(context("database", "actors"))?;
    let mut actor_ids: HashMap<String, i64> =
        existing.into_iter().map(|a| (a.name, a.id)).collect();
    check_actor_references(docs, &actor_ids)?;
    for (origin, doc) in docs {
        for a in &doc.actors {
            let name = a.name.trim().to_string();
            let created = !actor_ids.contains_key(&name);
            if created {
                let input = NewActorInput {
                    name: name.clone(),
                    kind: a.kind,
                };
                let actor = app
                    .create_actor(&op, input)
                    .await
                    .map_err(context(origin, &format!("actor '{name}'")))?;
                actor_ids.insert(name, actor.id);
            }
            report.count(created);
        }
    }
    load_variables(app, &op, docs, &actor_ids, &mut report).await?;
    for (origin, doc) in docs {
        for eco in &doc.ecosystems {
            load_ecosystem(app, &op, origin, eco, &actor_ids, &mut report).await?;
        }
    }
    Ok(report)
}

/// Creates the variables not yet in the repository: plain ones first, so that a weighted
/// mean finds its weight.
async fn load_variables(
    app: &Ayni,
    op: &Caller,
    docs: &[(String, SeedDocument)],
    actor_ids: &HashMap<String, i64>,
    report: &mut SeedReport,
) -> Result<(), SeedError> {
    let all = docs
        .iter()
        .flat_map(|(origin, d)| d.variables.iter().map(move |v| (origin, v)));
    let (plain, weighted): (Vec<_>, Vec<_>) = all.partition(|(_, v)| v.weight_variable.is_none());
    for (origin, v) in plain.into_iter().chain(weighted) {
        let what = format!("variable '{}'", v.code);
        let exists = app
            .variable_by_code(v.code.clone())
            .await
            .map_err(context(origin, &what))?
            .is_some();
        if !exists {
            let responsible = match &v.responsible {
                Some(name) => Some(actor_ids.get(name.trim()).copied().ok_or_else(|| {
                    SeedError(format!("{origin}: {what}: no actor named '{name}'"))
                })?),
                None => None,
            };
            let input = VariableInput {
                code: Some(v.code.clone()),
                name: Some(v.name.clone()),
                description: Some(v.description.clone()),
                unit: Some(v.unit.clone()),
                source: Some(v.source),
                source_detail: Some(v.source_detail.clone()),
                source_reference: Some(v.source_reference.clone()),
                periodicity: Some(v.periodicity),
                level: Some(v.level),
                themes: Some(v.themes.clone()),
                availability: Some(v.availability),
                availability_note: Some(v.availability_note.clone()),
                responsible_actor_id: Some(responsible),
                rollup: Some(v.rollup),
                weight_variable: Some(v.weight_variable.clone()),
                actor_rule: seed_actor_rule(v.actor_rule.as_deref())
                    .map_err(|e| SeedError(format!("{origin}: {what}: {e}")))?,
                preferred_actor_ids: seed_preferred(&v.preferred, |name| {
                    actor_ids.get(name.trim()).copied()
                })
                .map_err(|e| SeedError(format!("{origin}: {what}: {e}")))?,
                valid_min: Some(v.valid_min),
                valid_max: Some(v.valid_max),
            };
            app.create_variable(op, input)
                .await
                .map_err(context(origin, &what))?;
        }
        report.count(!exists);
    }
    Ok(())
}

/// Selects an ecosystem's variables and loads its observations through the CSV import (one
/// per actor), approving what it created.
async fn load_observations(
    app: &Ayni,
    op: &Caller,
    origin: &str,
    eco: &crate::app::model::Ecosystem,
    seed: &SeedEcosystem,
    actor_ids: &HashMap<String, i64>,
    report: &mut SeedReport,
) -> Result<(), SeedError> {
    let here = format!("ecosystem '{}'", seed.slug);
    if !seed.variables.is_empty() {
        let added = app
            .select_variables(op, eco.id, seed.variables.clone(), true)
            .await
            .map_err(context(origin, &format!("{here}: variables")))?;
        report.created += added;
        report.kept += seed.variables.len().saturating_sub(added);
    }
    let mut by_actor: BTreeMap<&str, Vec<&SeedObservations>> = BTreeMap::new();
    for o in &seed.observations {
        by_actor.entry(o.actor.trim()).or_default().push(o);
    }
    for (name, entries) in by_actor {
        let what = format!("{here}: observations of '{name}'");
        let actor_id = actor_ids
            .get(name)
            .copied()
            .ok_or_else(|| SeedError(format!("{origin}: {what}: no actor named '{name}'")))?;
        let mut csv = csv::Writer::from_writer(Vec::new());
        let mut rows = 0;
        let write = |csv: &mut csv::Writer<Vec<u8>>, record: &[&str]| {
            csv.write_record(record)
                .map_err(|e| SeedError(format!("{origin}: {what}: {e}")))
        };
        write(&mut csv, &crate::app::IMPORT_COLUMNS)?;
        for o in entries {
            let evidence = o
                .evidence_text
                .as_deref()
                .or(o.evidence_url.as_deref())
                .unwrap_or_default();
            for (period, value) in &o.approved {
                let value = value.to_string();
                write(
                    &mut csv,
                    &[&o.variable, period, &o.territory, &value, evidence],
                )?;
                rows += 1;
            }
        }
        let bytes = csv
            .into_inner()
            .map_err(|e| SeedError(format!("{origin}: {what}: {e}")))?;
        let outcome = app
            .import_observations(
                op,
                eco.id,
                format!("{origin}#{name}"),
                bytes,
                Some(actor_id),
                None,
            )
            .await
            .map_err(context(origin, &what))?;
        if !outcome.imported {
            let lines: Vec<String> = outcome
                .errors
                .iter()
                .map(|e| format!("row {}: {}", e.line, e.message))
                .collect();
            return Err(SeedError(format!("{origin}: {what}: {}", lines.join("; "))));
        }
        if let Some(id) = outcome.import_id {
            app.approve_import(op, id)
                .await
                .map_err(context(origin, &what))?;
        }
        report.created += outcome.rows_created as usize;
        report.kept += rows - outcome.rows_created as usize;
    }
    Ok(())
}

/// Every actor an ecosystem names must exist or be declared: checked before any write.
fn check_actor_references(
    docs: &[(String, SeedDocument)],
    existing: &HashMap<String, i64>,
) -> Result<(), SeedError> {
    let declared: HashSet<&str> = docs
        .iter()
        .flat_map(|(_, d)| d.actors.iter().map(|a| a.name.trim()))
        .collect();
    for (origin, doc) in docs {
        for eco in &doc.ecosystems {
            let named = eco
                .members
                .iter()
                .map(|m| (m.actor.as_str(), "member".to_string()))
                .chain(eco.objectives.iter().flat_map(|o| {
                    o.responsible
                        .iter()
                        .map(move |r| (r.as_str(), format!("objective '{}'", o.code)))
                }))
                .chain(eco.indicators.iter().flat_map(|i| {
                    i.responsible
                        .iter()
                        .chain(i.values.iter().map(|v| &v.actor))
                        .map(move |r| (r.as_str(), format!("indicator '{}'", i.code)))
                }))
                .chain(eco.observations.iter().map(|o| {
                    (
                        o.actor.as_str(),
                        format!("observations of '{}'", o.variable),
                    )
                }));
            let mut more = shared_value::named_actors(&eco.shared_value_sections());
            more.extend(commitments::named_actors(&eco.commitments));
            more.extend(investments::named_actors(eco.investments.as_ref()));
            let named = named.chain(more.iter().map(|(n, w)| (n.as_str(), w.clone())));
            for (name, what) in named {
                if !declared.contains(name.trim()) && !existing.contains_key(name.trim()) {
                    return Err(SeedError(format!(
                        "{origin}: ecosystem '{}': {what}: no actor named '{name}'",
                        eco.slug
                    )));
                }
            }
        }
        for v in &doc.variables {
            if let Some(name) = &v.responsible
                && !declared.contains(name.trim())
                && !existing.contains_key(name.trim())
            {
                return Err(SeedError(format!(
                    "{origin}: variable '{}': no actor named '{name}'",
                    v.code
                )));
            }
        }
    }
    Ok(())
}

async fn load_ecosystem(
    app: &Ayni,
    op: &Caller,
    origin: &str,
    seed: &SeedEcosystem,
    actor_ids: &HashMap<String, i64>,
    report: &mut SeedReport,
) -> Result<(), SeedError> {
    let here = format!("ecosystem '{}'", seed.slug);
    let err = |what: &str| context(origin, &format!("{here}: {what}"));
    let actor = |name: &str, what: &str| {
        actor_ids
            .get(name.trim())
            .copied()
            .ok_or_else(|| SeedError(format!("{origin}: {here}: {what}: no actor named '{name}'")))
    };
    let eco = match app
        .ecosystem_by_slug(seed.slug.clone())
        .await
        .map_err(err("lookup"))?
    {
        Some(eco) => {
            report.count(false);
            eco
        }
        None => {
            let input = EcosystemInput {
                slug: seed.slug.clone(),
                name: seed.name.clone(),
                territory: seed.territory.clone(),
                mission: seed.mission.clone(),
                vision: seed.vision.clone(),
                horizon_start: seed.horizon[0],
                horizon_end: seed.horizon[1],
            };
            report.count(true);
            let eco = app
                .create_ecosystem(op, input)
                .await
                .map_err(err("create"))?;
            if seed.illustrative {
                app.set_ecosystem_illustrative(op, eco.id, true)
                    .await
                    .map_err(err("illustrative"))?
            } else {
                eco
            }
        }
    };

    let members: HashSet<i64> = app
        .members_of(vec![eco.id])
        .await
        .map_err(err("members"))?
        .into_iter()
        .map(|m| m.actor_id)
        .collect();
    for m in &seed.members {
        let actor_id = actor(&m.actor, "member")?;
        let created = !members.contains(&actor_id);
        if created {
            app.add_ecosystem_member(op, eco.id, actor_id, m.role.clone())
                .await
                .map_err(err(&format!("member '{}'", m.actor)))?;
        }
        report.count(created);
    }

    let map = app.strategy_map(eco.id).await.map_err(err("map"))?;
    let mut theme_ids: HashMap<String, i64> =
        map.themes.iter().map(|t| (t.code.clone(), t.id)).collect();
    for t in &seed.themes {
        let created = !theme_ids.contains_key(t.code.trim());
        if created {
            let input = ThemeInput {
                ecosystem_id: eco.id,
                code: t.code.clone(),
                name: t.name.clone(),
                description: t.description.clone(),
                kind: t.kind,
            };
            let theme = app
                .create_theme(op, input)
                .await
                .map_err(err(&format!("theme '{}'", t.code)))?;
            theme_ids.insert(theme.code, theme.id);
        }
        report.count(created);
    }

    let mut objective_ids: HashMap<String, i64> = map
        .objectives
        .iter()
        .map(|o| (o.code.clone(), o.id))
        .collect();
    for o in &seed.objectives {
        let what = format!("objective '{}'", o.code);
        let created = !objective_ids.contains_key(o.code.trim());
        if created {
            let theme_id = match &o.theme {
                Some(code) => Some(theme_ids.get(code.trim()).copied().ok_or_else(|| {
                    SeedError(format!(
                        "{origin}: {here}: {what}: no theme with code '{code}'"
                    ))
                })?),
                None => None,
            };
            let responsible = o
                .responsible
                .iter()
                .map(|name| actor(name, &what))
                .collect::<Result<Vec<_>, _>>()?;
            let input = ObjectiveInput {
                ecosystem_id: eco.id,
                code: o.code.clone(),
                name: o.name.clone(),
                description: o.description.clone(),
                perspective: o.perspective,
                theme_id,
                weight: o.weight,
                responsible_actor_ids: responsible,
            };
            let created = app.create_objective(op, input).await.map_err(err(&what))?;
            objective_ids.insert(created.code, created.id);
        }
        report.count(created);
    }

    let links: HashSet<(i64, i64)> = map
        .links
        .iter()
        .map(|l| (l.cause_id, l.effect_id))
        .collect();
    for l in &seed.links {
        let what = format!("link {} → {}", l.cause, l.effect);
        let end = |code: &str| {
            objective_ids.get(code.trim()).copied().ok_or_else(|| {
                SeedError(format!(
                    "{origin}: {here}: {what}: no objective with code '{code}'"
                ))
            })
        };
        let (cause, effect) = (end(&l.cause)?, end(&l.effect)?);
        let created = !links.contains(&(cause, effect));
        if created {
            app.link_objectives(
                op,
                cause,
                effect,
                l.description.clone(),
                l.expected_sign
                    .unwrap_or(crate::domain::causal::ExpectedSign::Positive),
            )
            .await
            .map_err(err(&what))?;
        }
        report.count(created);
    }

    load_observations(app, op, origin, &eco, seed, actor_ids, report).await?;

    if !seed.indicators.is_empty() {
        // What exists, read once for all the ecosystem's indicators.
        let existing = app
            .indicators_of_objectives(objective_ids.values().copied().collect())
            .await
            .map_err(err("indicators"))?;
        let place = Place {
            origin,
            here: &here,
            territory: eco.territory.as_str(),
            objective_ids: &objective_ids,
            actor_ids,
        };
        for ind in &seed.indicators {
            load_indicator(app, op, &place, ind, &existing, report).await?;
        }
    }

    let sections = seed.shared_value_sections();
    if !(sections.beneficiaries.is_empty()
        && sections.hybrid_metrics.is_empty()
        && sections.vecs.is_empty()
        && sections.developments.is_empty()
        && sections.impacts.is_empty())
    {
        let indicators = app
            .indicators_of_objectives(objective_ids.values().copied().collect())
            .await
            .map_err(err("indicators"))?;
        shared_value::load(
            app,
            op,
            origin,
            (&eco, &indicators),
            &sections,
            actor_ids,
            report,
        )
        .await?;
    }
    if !seed.commitments.is_empty() {
        let place = commitments::Place {
            origin,
            slug: &seed.slug,
            ecosystem_id: eco.id,
            objective_ids: &objective_ids,
            actor_ids,
        };
        commitments::load(app, op, &place, &seed.commitments, report).await?;
    }
    if let Some(portfolio) = &seed.investments {
        let indicator_ids: HashMap<String, i64> = app
            .indicators_of_objectives(objective_ids.values().copied().collect())
            .await
            .map_err(err("indicators"))?
            .into_iter()
            .map(|i| (i.definition.code.clone(), i.id))
            .collect();
        let place = investments::Place {
            origin,
            slug: &seed.slug,
            ecosystem_id: eco.id,
            objective_ids: &objective_ids,
            indicator_ids: &indicator_ids,
            actor_ids,
        };
        investments::load(app, op, &place, portfolio, report).await?;
    }
    Ok(())
}

/// Where an indicator is being loaded: its file, ecosystem and the codes already resolved.
struct Place<'a> {
    origin: &'a str,
    here: &'a str,
    territory: &'a str,
    objective_ids: &'a HashMap<String, i64>,
    actor_ids: &'a HashMap<String, i64>,
}

async fn load_indicator(
    app: &Ayni,
    op: &Caller,
    place: &Place<'_>,
    seed: &SeedIndicator,
    existing: &[crate::app::model::Indicator],
    report: &mut SeedReport,
) -> Result<(), SeedError> {
    let Place {
        origin,
        here,
        territory: eco_territory,
        objective_ids,
        actor_ids,
    } = *place;
    let what = format!("{here}: indicator '{}'", seed.code);
    let err = |step: &str| context(origin, &format!("{what}: {step}"));
    let fail = |msg: String| SeedError(format!("{origin}: {what}: {msg}"));
    let actor = |name: &str| {
        actor_ids
            .get(name.trim())
            .copied()
            .ok_or_else(|| fail(format!("no actor named '{name}'")))
    };
    let objective_id = objective_ids
        .get(seed.objective.trim())
        .copied()
        .ok_or_else(|| fail(format!("no objective with code '{}'", seed.objective)))?;
    let indicator = match existing
        .iter()
        .find(|i| i.definition.code == seed.code.trim())
        .cloned()
    {
        Some(found) => {
            report.count(false);
            found
        }
        None => {
            let direction: DirectionKind = seed
                .direction
                .parse()
                .map_err(|()| fail(format!("unknown direction '{}'", seed.direction)))?;
            let aggregation = match seed.aggregation.as_deref() {
                None => Aggregation::Last,
                Some(a) => Aggregation::parse(a)
                    .ok_or_else(|| fail(format!("unknown aggregation '{a}'")))?,
            };
            let responsible = seed
                .responsible
                .iter()
                .map(|r| actor(r))
                .collect::<Result<Vec<_>, _>>()?;
            let input = IndicatorInput {
                objective_id: Some(objective_id),
                code: Some(seed.code.clone()),
                name: Some(seed.name.clone()),
                description: Some(seed.description.clone()),
                unit: Some(seed.unit.clone()),
                direction: Some(direction),
                range_lower: seed.range.map(|r| r[0]),
                range_upper: seed.range.map(|r| r[1]),
                periodicity: Some(seed.periodicity),
                aggregation: Some(aggregation),
                source: Some(seed.source.clone()),
                shared_value_form: Some(seed.form),
                metric_category: Some(seed.category),
                weight: seed.weight,
                responsible_actor_ids: Some(responsible),
                formula: Some(seed.formula.clone()),
                actor_rule: seed_actor_rule(seed.actor_rule.as_deref()).map_err(fail)?,
                preferred_actor_ids: seed_preferred(&seed.preferred, |n| actor(n).ok())
                    .map_err(fail)?,
                valid_min: Some(seed.valid_min),
                valid_max: Some(seed.valid_max),
                ..IndicatorInput::default()
            };
            let created = app
                .create_indicator(op, input)
                .await
                .map_err(err("create"))?;
            if let Some(b) = &seed.baseline {
                app.set_baseline(op, created.id, b.period.clone(), b.value, b.note.clone())
                    .await
                    .map_err(err("baseline"))?;
            }
            for t in &seed.targets {
                app.set_target(op, created.id, t.period.clone(), t.value, t.horizon)
                    .await
                    .map_err(err(&format!("target {}", t.period)))?;
            }
            report.count(true);
            created
        }
    };

    let stored = app
        .measurements(Some(op), vec![indicator.id], MeasurementFilter::default())
        .await
        .map_err(err("values"))?;
    // Each actor keeps its own series in a cell.
    let have: HashSet<(String, String, String, i64)> = stored
        .into_iter()
        .map(|m| {
            (
                m.period.to_string(),
                m.territory,
                m.disaggregation,
                m.actor_id,
            )
        })
        .collect();
    for v in &seed.values {
        let actor_id = actor(&v.actor)?;
        let pairs: Vec<(String, String)> = v
            .disaggregation
            .iter()
            .map(|(k, x)| (k.clone(), x.clone()))
            .collect();
        let disaggregation =
            Disaggregation::parse("disaggregation", &pairs).map_err(|e| fail(e.to_string()))?;
        let territory = v
            .territory
            .clone()
            .unwrap_or_else(|| eco_territory.to_string());
        let entries = v
            .approved
            .iter()
            .map(|(p, x)| (p, *x, Outcome::Approve))
            .chain(v.submitted.iter().map(|(p, x)| (p, *x, Outcome::Leave)))
            .chain(
                v.rejected
                    .iter()
                    .map(|r| (&r.period, r.value, Outcome::Reject(&r.reason))),
            );
        for (period, value, outcome) in entries {
            let key = (
                period.clone(),
                territory.clone(),
                disaggregation.as_str().to_string(),
                actor_id,
            );
            let created = !have.contains(&key);
            if created {
                let step = format!("value {period} at {territory}");
                let input = MeasurementInput {
                    evidence_file: None,
                    indicator_id: indicator.id,
                    period: period.clone(),
                    territory: Some(territory.clone()),
                    disaggregation: pairs.clone(),
                    value,
                    evidence_url: v.evidence_url.clone(),
                    evidence_text: v.evidence_text.clone(),
                    comment: None,
                    actor_id: Some(actor_id),
                };
                let m = app
                    .submit_measurement(op, input)
                    .await
                    .map_err(err(&step))?;
                match outcome {
                    Outcome::Approve => {
                        app.approve_measurement(op, m.id)
                            .await
                            .map_err(err(&step))?;
                    }
                    Outcome::Reject(reason) => {
                        app.reject_measurement(op, m.id, reason.to_string())
                            .await
                            .map_err(err(&step))?;
                    }
                    Outcome::Leave => {}
                }
            }
            report.count(created);
        }
    }
    let adjusted: HashSet<(String, String)> = app
        .adjustments_of_indicators(vec![indicator.id])
        .await
        .map_err(err("adjustments"))?
        .into_iter()
        .map(|a| (a.period.to_string(), a.territory))
        .collect();
    for a in &seed.adjustments {
        let territory = a
            .territory
            .clone()
            .unwrap_or_else(|| eco_territory.to_string());
        let created = !adjusted.contains(&(a.period.clone(), territory.clone()));
        if created {
            let input = AdjustmentInput {
                indicator_id: Some(indicator.id),
                period: a.period.clone(),
                territory: Some(territory.clone()),
                value: a.value,
                reason: a.reason.clone(),
                ..AdjustmentInput::default()
            };
            app.set_adjustment(op, input)
                .await
                .map_err(err(&format!("adjustment {} at {territory}", a.period)))?;
        }
        report.count(created);
    }
    Ok(())
}

/// What happens to a seeded value after submission.
enum Outcome<'a> {
    Approve,
    Leave,
    Reject(&'a str),
}

/// The demo administrator's credentials: the password is random and shown once.
#[derive(Debug, Clone)]
pub struct DemoAdmin {
    pub email: String,
    pub password: String,
}

/// Loads the demo when the database has no users and no actors; otherwise does nothing and
/// returns `None`.
pub async fn load_demo(app: &Ayni) -> Result<Option<DemoAdmin>, AppError> {
    if !app.is_unused().await? {
        return Ok(None);
    }
    let docs = demo_documents().map_err(AppError::internal)?;
    load(app, &docs).await.map_err(AppError::internal)?;
    let password: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(20)
        .map(char::from)
        .collect();
    app.create_user(
        &Caller::operator(),
        NewUserInput {
            email: DEMO_ADMIN_EMAIL.to_string(),
            password: password.clone(),
            role: Role::Admin,
            actor_id: None,
        },
    )
    .await?;
    Ok(Some(DemoAdmin {
        email: DEMO_ADMIN_EMAIL.to_string(),
        password,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_files_parse_and_are_consistent() {
        let docs = demo_documents().unwrap();
        let actors: HashSet<&str> = docs
            .iter()
            .flat_map(|(_, d)| d.actors.iter().map(|a| a.name.as_str()))
            .collect();
        let kinds: HashSet<ActorKind> = docs
            .iter()
            .flat_map(|(_, d)| d.actors.iter().map(|a| a.kind))
            .collect();
        assert_eq!(kinds.len(), ActorKind::ALL.len(), "actors of every kind");
        let eco = docs
            .iter()
            .flat_map(|(_, d)| &d.ecosystems)
            .find(|e| e.slug == "moquegua")
            .unwrap();
        assert!(eco.objectives.len() >= 16);
        let perspectives: HashSet<PerspectiveKind> =
            eco.objectives.iter().map(|o| o.perspective).collect();
        assert_eq!(perspectives.len(), 4);
        let themes: HashSet<&str> = eco.themes.iter().map(|t| t.code.as_str()).collect();
        for o in &eco.objectives {
            assert!(
                o.theme.as_deref().is_none_or(|t| themes.contains(t)),
                "{}",
                o.code
            );
            for r in &o.responsible {
                assert!(actors.contains(r.as_str()), "{r}");
            }
        }
        for m in &eco.members {
            assert!(actors.contains(m.actor.as_str()), "{}", m.actor);
        }
        assert_eq!(
            eco.themes
                .iter()
                .filter(|t| t.kind == ThemeKind::Cluster)
                .count(),
            5
        );
    }

    #[test]
    fn every_file_of_the_demo_folder_is_compiled_in() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/demo");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .map(|n| format!("seeds/demo/{n}"))
            .collect();
        on_disk.sort();
        let compiled: Vec<String> = DEMO_FILES.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(compiled, on_disk);
    }

    #[test]
    fn unknown_fields_are_refused_with_the_file_name() {
        let e = parse(
            "x.json",
            r#"{"actors": [{"name": "A b", "kind": "company", "colour": "red"}]}"#,
        )
        .unwrap_err();
        assert!(e.0.starts_with("x.json: unknown field `colour`"), "{e}");
    }
}
