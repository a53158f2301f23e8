//! Public investments: the projects, IOARR and ideas that turn canon into results, their
//! execution as dated snapshots, the figures derived from them, the alerts they raise, the
//! summaries and rankings of a year, and the prioritisation of a portfolio.
//!
//! Everything here is pure: the application layer loads rows and hands them in. Every
//! figure is computed from snapshots, never typed in (see `docs/investments.md`, which
//! states each formula as written here).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::error::{FieldError, ValidationErrors};
use super::indicator::vocabulary;
use super::strategy::text;
use super::territory::Ubigeo;

/// Largest amount accepted, in soles (10 trillion: far above any public investment).
pub const MAX_AMOUNT: f64 = 1e13;
/// Most beneficiaries accepted (far above Peru's population).
pub const MAX_BENEFICIARIES: i64 = 1_000_000_000;
/// Longest investment name, in characters.
pub const MAX_NAME: usize = 500;
/// Longest programme, subprogramme or executing unit name.
pub const MAX_LABEL: usize = 300;
/// Longest expected-change text of a link, or evidence text of a progress record.
pub const MAX_NOTE: usize = 2000;
/// Most objectives and indicators one investment may be linked to.
pub const MAX_LINKS: usize = 50;
/// Most judged criteria an ecosystem may define.
pub const MAX_JUDGED: usize = 20;

// ---------------------------------------------------------------------------------------
// Identification
// ---------------------------------------------------------------------------------------

/// The código único de inversiones (CUI) Invierte.pe gives an investment: 7 digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Cui(String);

impl Cui {
    pub fn parse(field: &str, raw: &str) -> Result<Cui, FieldError> {
        let code = raw.trim();
        if code.len() == 7 && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Cui(code.to_string()))
        } else {
            let shown: String = code.chars().take(20).collect();
            Err(FieldError::new(
                field,
                "cui",
                format!("'{shown}' is not a CUI: a código único de inversiones has 7 digits"),
            ))
        }
    }

    /// A CUI read back from the database (written through [`Cui::parse`]).
    pub fn from_stored(raw: &str) -> Option<Cui> {
        Cui::parse("cui", raw).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Cui {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

vocabulary!(
    /// What an investment is: a project, an IOARR (optimisation, marginal expansion,
    /// rehabilitation or replacement) or an idea not yet registered in Invierte.pe.
    InvestmentKind {
        Project => "project",
        Ioarr => "ioarr",
        Idea => "idea",
    }
);

vocabulary!(
    /// The level of government that executes it.
    GovernmentLevel {
        National => "gn",
        Regional => "gr",
        Local => "gl",
    }
);

vocabulary!(
    /// The functions of the State's functional classification, as MEF names them.
    InvestmentFunction {
        Education => "education",
        Health => "health",
        Sanitation => "sanitation",
        Transport => "transport",
        Energy => "energy",
        Agriculture => "agriculture",
        Telecommunications => "telecommunications",
        Environment => "environment",
        Housing => "housing",
        SocialProtection => "social_protection",
        PublicOrder => "public_order",
        Tourism => "tourism",
        CultureSport => "culture_sport",
        Fisheries => "fisheries",
        Mining => "mining",
        Industry => "industry",
        Commerce => "commerce",
        Labour => "labour",
        Planning => "planning",
        Other => "other",
    }
);

impl InvestmentFunction {
    /// The name MEF's files use (`FUNCION`), without accents.
    pub fn mef_name(self) -> &'static str {
        use InvestmentFunction::*;
        match self {
            Education => "EDUCACION",
            Health => "SALUD",
            Sanitation => "SANEAMIENTO",
            Transport => "TRANSPORTE",
            Energy => "ENERGIA",
            Agriculture => "AGROPECUARIA",
            Telecommunications => "COMUNICACIONES",
            Environment => "AMBIENTE",
            Housing => "VIVIENDA Y DESARROLLO URBANO",
            SocialProtection => "PROTECCION SOCIAL",
            PublicOrder => "ORDEN PUBLICO Y SEGURIDAD",
            Tourism => "TURISMO",
            CultureSport => "CULTURA Y DEPORTE",
            Fisheries => "PESCA",
            Mining => "MINERIA",
            Industry => "INDUSTRIA",
            Commerce => "COMERCIO",
            Labour => "TRABAJO",
            Planning => "PLANEAMIENTO, GESTION Y RESERVA DE CONTINGENCIA",
            Other => "OTROS",
        }
    }

    /// The function MEF's name stands for (accents, case and surrounding spaces ignored);
    /// `None` for a name not in the list.
    pub fn from_mef(raw: &str) -> Option<InvestmentFunction> {
        let wanted = fold(raw);
        InvestmentFunction::ALL
            .iter()
            .copied()
            .find(|f| fold(f.mef_name()) == wanted)
    }

    /// `(Spanish, English)` labels for people.
    pub fn labels(self) -> (&'static str, &'static str) {
        use InvestmentFunction::*;
        match self {
            Education => ("Educación", "Education"),
            Health => ("Salud", "Health"),
            Sanitation => ("Saneamiento", "Sanitation"),
            Transport => ("Transporte", "Transport"),
            Energy => ("Energía", "Energy"),
            Agriculture => ("Agropecuaria", "Agriculture"),
            Telecommunications => ("Comunicaciones", "Telecommunications"),
            Environment => ("Ambiente", "Environment"),
            Housing => (
                "Vivienda y desarrollo urbano",
                "Housing and urban development",
            ),
            SocialProtection => ("Protección social", "Social protection"),
            PublicOrder => ("Orden público y seguridad", "Public order and safety"),
            Tourism => ("Turismo", "Tourism"),
            CultureSport => ("Cultura y deporte", "Culture and sport"),
            Fisheries => ("Pesca", "Fisheries"),
            Mining => ("Minería", "Mining"),
            Industry => ("Industria", "Industry"),
            Commerce => ("Comercio", "Commerce"),
            Labour => ("Trabajo", "Labour"),
            Planning => ("Planeamiento y gestión", "Planning and management"),
            Other => ("Otras", "Other"),
        }
    }
}

/// Upper case without accents and with single spaces, to compare MEF's names.
fn fold(raw: &str) -> String {
    let upper: String = raw
        .trim()
        .chars()
        .map(|c| match c {
            'á' | 'Á' => 'A',
            'é' | 'É' => 'E',
            'í' | 'Í' => 'I',
            'ó' | 'Ó' => 'O',
            'ú' | 'Ú' | 'ü' | 'Ü' => 'U',
            'ñ' | 'Ñ' => 'N',
            other => other.to_ascii_uppercase(),
        })
        .collect();
    upper.split_whitespace().collect::<Vec<_>>().join(" ")
}

vocabulary!(
    /// Where an investment stands in its cycle, in order.
    InvestmentStage {
        Idea => "idea",
        Formulation => "formulation",
        Viable => "viable",
        TechnicalFile => "technical_file",
        Execution => "execution",
        Settlement => "settlement",
        Closed => "closed",
    }
);

impl InvestmentStage {
    /// How far the investment is towards execution, 0 (an idea) to 1 (in execution): the
    /// prioritisation's `stage` criterion. Settled and closed investments are not
    /// prioritised (`None`).
    pub fn readiness(self) -> Option<f64> {
        match self {
            InvestmentStage::Idea => Some(0.0),
            InvestmentStage::Formulation => Some(0.25),
            InvestmentStage::Viable => Some(0.5),
            InvestmentStage::TechnicalFile => Some(0.75),
            InvestmentStage::Execution => Some(1.0),
            InvestmentStage::Settlement | InvestmentStage::Closed => None,
        }
    }

    /// Whether progress alerts (physical, financial) apply: from viability until settlement.
    pub fn is_under_way(self) -> bool {
        matches!(
            self,
            InvestmentStage::Viable | InvestmentStage::TechnicalFile | InvestmentStage::Execution
        )
    }

    pub fn labels(self) -> (&'static str, &'static str) {
        match self {
            InvestmentStage::Idea => ("Idea", "Idea"),
            InvestmentStage::Formulation => ("Formulación", "Formulation"),
            InvestmentStage::Viable => ("Viable / aprobado", "Viable / approved"),
            InvestmentStage::TechnicalFile => ("Expediente técnico", "Technical file"),
            InvestmentStage::Execution => ("Ejecución física", "Physical execution"),
            InvestmentStage::Settlement => ("Liquidación", "Settlement"),
            InvestmentStage::Closed => ("Cerrado", "Closed"),
        }
    }
}

vocabulary!(
    /// How it is executed.
    ExecutionModality {
        DirectAdministration => "direct_administration",
        Contract => "contract",
        WorksForTaxes => "works_for_taxes",
        PublicPrivatePartnership => "ppp",
        ExecutingNucleus => "executing_nucleus",
    }
);

impl ExecutionModality {
    pub fn labels(self) -> (&'static str, &'static str) {
        match self {
            ExecutionModality::DirectAdministration => {
                ("Administración directa", "Direct administration")
            }
            ExecutionModality::Contract => ("Administración indirecta - contrata", "Contract"),
            ExecutionModality::WorksForTaxes => ("Obras por Impuestos", "Works for taxes"),
            ExecutionModality::PublicPrivatePartnership => {
                ("Asociación público-privada", "Public-private partnership")
            }
            ExecutionModality::ExecutingNucleus => ("Núcleo ejecutor", "Executing nucleus"),
        }
    }
}

vocabulary!(
    /// Where the money comes from.
    FinancingSource {
        Canon => "canon",
        Royalties => "royalties",
        OrdinaryResources => "ordinary_resources",
        Foncor => "foncor",
        Other => "other",
    }
);

impl FinancingSource {
    pub fn labels(self) -> (&'static str, &'static str) {
        match self {
            FinancingSource::Canon => ("Canon y sobrecanon", "Canon"),
            FinancingSource::Royalties => ("Regalías", "Royalties"),
            FinancingSource::OrdinaryResources => ("Recursos ordinarios", "Ordinary resources"),
            FinancingSource::Foncor => ("FONCOR", "FONCOR"),
            FinancingSource::Other => ("Otras fuentes", "Other sources"),
        }
    }
}

/// A validated latitude/longitude pair (WGS 84 degrees).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

impl GeoPoint {
    /// Both or neither: one coordinate alone is refused; latitude in −90..90, longitude in
    /// −180..180.
    pub fn parse(lat: Option<f64>, lon: Option<f64>) -> Result<Option<GeoPoint>, FieldError> {
        match (lat, lon) {
            (None, None) => Ok(None),
            (Some(lat), Some(lon)) => {
                if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
                    return Err(FieldError::new(
                        "latitude",
                        "range",
                        "latitude must lie between -90 and 90 degrees",
                    ));
                }
                if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
                    return Err(FieldError::new(
                        "longitude",
                        "range",
                        "longitude must lie between -180 and 180 degrees",
                    ));
                }
                Ok(Some(GeoPoint { lat, lon }))
            }
            _ => Err(FieldError::new(
                "latitude",
                "pair",
                "give both latitude and longitude, or neither",
            )),
        }
    }
}

/// An amount in soles: finite, not negative, at most [`MAX_AMOUNT`].
pub fn amount(field: &str, raw: f64) -> Result<f64, FieldError> {
    if raw.is_finite() && (0.0..=MAX_AMOUNT).contains(&raw) {
        Ok(raw)
    } else {
        Err(FieldError::new(
            field,
            "amount",
            format!("{field} must be an amount between 0 and {MAX_AMOUNT:e} soles"),
        ))
    }
}

/// A percentage in 0..=100.
pub fn percent(field: &str, raw: f64) -> Result<f64, FieldError> {
    if raw.is_finite() && (0.0..=100.0).contains(&raw) {
        Ok(raw)
    } else {
        Err(FieldError::new(
            field,
            "range",
            format!("{field} must be a percentage between 0 and 100"),
        ))
    }
}

/// Everything that defines an investment, validated. Storage, the audit chain and the read
/// models use this one type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvestmentDefinition {
    /// Absent only for an idea not yet registered.
    pub cui: Option<Cui>,
    pub name: String,
    pub kind: InvestmentKind,
    pub level: GovernmentLevel,
    pub function: InvestmentFunction,
    pub programme: String,
    pub subprogramme: String,
    pub stage: InvestmentStage,
    pub modality: ExecutionModality,
    pub financing_source: FinancingSource,
    pub participatory_budget: bool,
    pub prioritised: bool,
    pub ubigeo: Ubigeo,
    pub location: Option<GeoPoint>,
    pub beneficiaries: Option<i64>,
    pub viable_amount: Option<f64>,
    pub updated_cost: Option<f64>,
    pub viability_date: Option<NaiveDate>,
    pub start_date: Option<NaiveDate>,
    pub planned_end_date: Option<NaiveDate>,
    /// The actor that executes it (a regional or local government, a ministry…).
    pub executing_actor_id: Option<i64>,
    /// The unit under that actor (MEF's `NOMBRE_UEP`), empty when the actor itself.
    pub executing_unit: String,
}

/// An investment's definition as typed: strings and numbers, parsed by
/// [`InvestmentDraft::parse`].
#[derive(Debug, Clone, Default)]
pub struct InvestmentDraft {
    pub cui: Option<String>,
    pub name: String,
    pub kind: String,
    pub level: String,
    pub function: String,
    pub programme: String,
    pub subprogramme: String,
    pub stage: String,
    pub modality: String,
    pub financing_source: String,
    pub participatory_budget: bool,
    pub prioritised: bool,
    pub ubigeo: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub beneficiaries: Option<i64>,
    pub viable_amount: Option<f64>,
    pub updated_cost: Option<f64>,
    /// `YYYY-MM-DD`; empty or absent for none.
    pub viability_date: Option<String>,
    pub start_date: Option<String>,
    pub planned_end_date: Option<String>,
    pub executing_actor_id: Option<i64>,
    pub executing_unit: String,
}

/// A `YYYY-MM-DD` date between 1900 and 2200.
pub fn parse_date(field: &str, raw: &str) -> Result<NaiveDate, FieldError> {
    let shown: String = raw.chars().take(20).collect();
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=2200).contains(&d.year()))
        .ok_or_else(|| {
            FieldError::new(
                field,
                "date",
                format!("'{shown}' is not a date: use YYYY-MM-DD"),
            )
        })
}

/// An optional date: absent or blank is none.
fn optional_date(field: &str, raw: Option<&str>, e: &mut ValidationErrors) -> Option<NaiveDate> {
    match raw.map(str::trim) {
        None | Some("") => None,
        Some(r) => e.check(parse_date(field, r)),
    }
}

fn word<T: std::str::FromStr>(
    field: &str,
    raw: &str,
    all: &[T],
    as_str: fn(&T) -> &'static str,
) -> Result<T, FieldError> {
    raw.trim().parse::<T>().map_err(|_| {
        let words: Vec<&str> = all.iter().map(as_str).collect();
        let shown: String = raw.chars().take(40).collect();
        FieldError::new(
            field,
            "unknown_value",
            format!("'{shown}' is not one of {}", words.join(", ")),
        )
    })
}

impl InvestmentDraft {
    /// Checks every field, reporting all the broken ones at once.
    pub fn parse(self) -> Result<InvestmentDefinition, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let kind = e.check(word("kind", &self.kind, InvestmentKind::ALL, |k| {
            k.as_str()
        }));
        let cui = match self.cui.as_deref().map(str::trim) {
            None | Some("") => {
                if kind.is_some_and(|k| k != InvestmentKind::Idea) {
                    e.push(FieldError::new(
                        "cui",
                        "required",
                        "projects and IOARR have a CUI; only an idea not yet registered may go without",
                    ));
                }
                None
            }
            Some(raw) => e.check(Cui::parse("cui", raw)),
        };
        let name = e.check(text("name", &self.name, 3, MAX_NAME));
        let level = e.check(word("level", &self.level, GovernmentLevel::ALL, |k| {
            k.as_str()
        }));
        let function = e.check(word(
            "function",
            &self.function,
            InvestmentFunction::ALL,
            |k| k.as_str(),
        ));
        let programme = e.check(text("programme", &self.programme, 0, MAX_LABEL));
        let subprogramme = e.check(text("subprogramme", &self.subprogramme, 0, MAX_LABEL));
        let stage = e.check(word("stage", &self.stage, InvestmentStage::ALL, |k| {
            k.as_str()
        }));
        let modality = e.check(word(
            "modality",
            &self.modality,
            ExecutionModality::ALL,
            |k| k.as_str(),
        ));
        let financing_source = e.check(word(
            "financingSource",
            &self.financing_source,
            FinancingSource::ALL,
            |k| k.as_str(),
        ));
        let ubigeo = e.check(Ubigeo::parse("ubigeo", &self.ubigeo));
        let location = e.check(GeoPoint::parse(self.latitude, self.longitude));
        if let Some(b) = self.beneficiaries
            && !(0..=MAX_BENEFICIARIES).contains(&b)
        {
            e.push(FieldError::new(
                "beneficiaries",
                "range",
                format!("beneficiaries must lie between 0 and {MAX_BENEFICIARIES}"),
            ));
        }
        let viable_amount = self
            .viable_amount
            .map(|a| e.check(amount("viableAmount", a)));
        let updated_cost = self.updated_cost.map(|a| e.check(amount("updatedCost", a)));
        let viability_date = optional_date("viabilityDate", self.viability_date.as_deref(), &mut e);
        let start_date = optional_date("startDate", self.start_date.as_deref(), &mut e);
        let planned_end_date =
            optional_date("plannedEndDate", self.planned_end_date.as_deref(), &mut e);
        if let (Some(start), Some(end)) = (start_date, planned_end_date)
            && end < start
        {
            e.push(FieldError::new(
                "plannedEndDate",
                "order",
                "the planned end cannot come before the start",
            ));
        }
        let executing_unit = e.check(text("executingUnit", &self.executing_unit, 0, MAX_LABEL));
        e.into_result()?;
        let (
            Some(kind),
            Some(name),
            Some(level),
            Some(function),
            Some(programme),
            Some(subprogramme),
            Some(stage),
            Some(modality),
            Some(financing_source),
            Some(ubigeo),
            Some(location),
            Some(executing_unit),
        ) = (
            kind,
            name,
            level,
            function,
            programme,
            subprogramme,
            stage,
            modality,
            financing_source,
            ubigeo,
            location,
            executing_unit,
        )
        else {
            return Err(FieldError::new("input", "invalid", "invalid investment").into());
        };
        Ok(InvestmentDefinition {
            cui,
            name,
            kind,
            level,
            function,
            programme,
            subprogramme,
            stage,
            modality,
            financing_source,
            participatory_budget: self.participatory_budget,
            prioritised: self.prioritised,
            ubigeo,
            location,
            beneficiaries: self.beneficiaries,
            viable_amount: viable_amount.flatten(),
            updated_cost: updated_cost.flatten(),
            viability_date,
            start_date,
            planned_end_date,
            executing_actor_id: self.executing_actor_id,
            executing_unit,
        })
    }
}

impl InvestmentDefinition {
    /// The cost progress is measured against: the updated total cost, else the viable amount.
    pub fn cost(&self) -> Option<f64> {
        self.updated_cost.or(self.viable_amount)
    }

    /// The province the investment lies in (its ubigeo at province level), or the
    /// department when it is located at department level.
    pub fn province(&self) -> Ubigeo {
        province_of(&self.ubigeo)
    }
}

/// A territory's province (its own code at department or province level).
pub fn province_of(u: &Ubigeo) -> Ubigeo {
    match u.level() {
        super::TerritoryLevel::District => u.parent().unwrap_or_else(|| u.clone()),
        _ => u.clone(),
    }
}

/// An objective or indicator an investment serves, with the change it is expected to bring
/// ("I2.1 +3 points by 2026").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvestmentLink {
    pub target: LinkTarget,
    pub expected_change: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkTarget {
    Objective(i64),
    Indicator(i64),
}

impl InvestmentLink {
    /// Exactly one of an objective and an indicator; the expected change up to
    /// [`MAX_NOTE`] characters.
    pub fn parse(
        objective_id: Option<i64>,
        indicator_id: Option<i64>,
        expected_change: &str,
    ) -> Result<InvestmentLink, FieldError> {
        let target = match (objective_id, indicator_id) {
            (Some(o), None) => LinkTarget::Objective(o),
            (None, Some(i)) => LinkTarget::Indicator(i),
            _ => {
                return Err(FieldError::new(
                    "links",
                    "one_target",
                    "each link names either an objective or an indicator",
                ));
            }
        };
        Ok(InvestmentLink {
            target,
            expected_change: text("links.expectedChange", expected_change, 0, MAX_NOTE)?,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Execution: snapshots and planned curves
// ---------------------------------------------------------------------------------------

/// Physical progress as the executing unit reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhysicalProgress {
    /// 0..=100.
    pub percent: f64,
    /// When it was measured (on or before the snapshot's date).
    pub measured_on: NaiveDate,
    /// What backs it (a valuation, a supervisor's report, a link).
    pub evidence: String,
}

/// An investment's execution as known on one date (`as_of`). Amounts in soles.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    pub as_of: NaiveDate,
    /// The fiscal year the year's figures are of: `as_of`'s year.
    pub year: i32,
    /// Presupuesto institucional de apertura.
    pub pia: f64,
    /// Presupuesto institucional modificado.
    pub pim: f64,
    pub certified: f64,
    pub committed: f64,
    /// Devengado of the year, cumulative from January to `as_of`.
    pub accrued: f64,
    pub paid: f64,
    /// Devengado accumulated in earlier years.
    pub accrued_before: f64,
    pub physical: Option<PhysicalProgress>,
}

/// A snapshot as typed, parsed by [`SnapshotDraft::parse`].
#[derive(Debug, Clone, Default)]
pub struct SnapshotDraft {
    pub as_of: Option<NaiveDate>,
    pub pia: f64,
    pub pim: f64,
    pub certified: f64,
    pub committed: f64,
    pub accrued: f64,
    pub paid: f64,
    pub accrued_before: f64,
    pub physical_percent: Option<f64>,
    pub physical_measured_on: Option<NaiveDate>,
    pub physical_evidence: String,
}

impl SnapshotDraft {
    pub fn parse(self) -> Result<Snapshot, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let Some(as_of) = self.as_of else {
            return Err(FieldError::new("asOf", "required", "a snapshot has a date").into());
        };
        if !(2000..=2100).contains(&as_of.year()) {
            e.push(FieldError::new(
                "asOf",
                "range",
                "the date must lie between 2000 and 2100",
            ));
        }
        let mut amt = |field: &str, v: f64| e.check(amount(field, v)).unwrap_or(0.0);
        let pia = amt("pia", self.pia);
        let pim = amt("pim", self.pim);
        let certified = amt("certified", self.certified);
        let committed = amt("committed", self.committed);
        let accrued = amt("accrued", self.accrued);
        let paid = amt("paid", self.paid);
        let accrued_before = amt("accruedBefore", self.accrued_before);
        let evidence = e
            .check(text(
                "physicalEvidence",
                &self.physical_evidence,
                0,
                MAX_NOTE,
            ))
            .unwrap_or_default();
        let physical = match self.physical_percent {
            None => None,
            Some(p) => {
                let measured_on = self.physical_measured_on.unwrap_or(as_of);
                if measured_on > as_of {
                    e.push(FieldError::new(
                        "physicalMeasuredOn",
                        "order",
                        "physical progress cannot be measured after the snapshot's date",
                    ));
                }
                e.check(percent("physicalProgress", p))
                    .map(|percent| PhysicalProgress {
                        percent,
                        measured_on,
                        evidence,
                    })
            }
        };
        e.into_result()?;
        Ok(Snapshot {
            as_of,
            year: as_of.year(),
            pia,
            pim,
            certified,
            committed,
            accrued,
            paid,
            accrued_before,
            physical,
        })
    }
}

/// The planned cumulative devengado at the end of each month of a year (12 amounts,
/// January first, never decreasing).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedCurve {
    pub year: i32,
    pub months: [f64; 12],
}

impl PlannedCurve {
    pub fn parse(year: i32, months: &[f64]) -> Result<PlannedCurve, FieldError> {
        if !(2000..=2100).contains(&year) {
            return Err(FieldError::new(
                "plannedCurves.year",
                "range",
                "the year must lie between 2000 and 2100",
            ));
        }
        let values: [f64; 12] = months.try_into().map_err(|_| {
            FieldError::new(
                "plannedCurves.months",
                "length",
                "a planned curve has 12 cumulative amounts, January to December",
            )
        })?;
        for v in values {
            amount("plannedCurves.months", v)?;
        }
        if values.windows(2).any(|w| w[1] < w[0]) {
            return Err(FieldError::new(
                "plannedCurves.months",
                "cumulative",
                "planned amounts are cumulative: each month at least the month before",
            ));
        }
        Ok(PlannedCurve {
            year,
            months: values,
        })
    }

    /// The stored text: the 12 amounts separated by commas.
    pub fn to_stored(&self) -> String {
        self.months
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn from_stored(year: i32, raw: &str) -> Option<PlannedCurve> {
        let values: Vec<f64> = raw
            .split(',')
            .map(|s| s.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .ok()?;
        PlannedCurve::parse(year, &values).ok()
    }

    /// The planned cumulative devengado on a date of the curve's year, linear within each
    /// month: `planned(m−1) + (planned(m) − planned(m−1)) × day / days_in_month`, with
    /// `planned(0) = 0`.
    pub fn at(&self, date: NaiveDate) -> Option<f64> {
        if date.year() != self.year {
            return None;
        }
        let m = date.month0() as usize;
        let before = if m == 0 { 0.0 } else { self.months[m - 1] };
        let share = f64::from(date.day()) / f64::from(days_in_month(date));
        Some(before + (self.months[m] - before) * share)
    }
}

fn days_in_month(d: NaiveDate) -> u32 {
    let (y, m) = (d.year(), d.month());
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    next.and_then(|n| n.pred_opt())
        .map_or(30, |last| last.day())
}

/// The share of the year elapsed at the end of `date`: `day_of_year / days_in_year`.
pub fn year_elapsed(date: NaiveDate) -> f64 {
    let days = if NaiveDate::from_ymd_opt(date.year(), 2, 29).is_some() {
        366.0
    } else {
        365.0
    };
    f64::from(date.ordinal()) / days
}

/// Whole calendar months from `from` to `to` (a month counts once its day is reached:
/// 10 Jan → 9 Mar is 1 month, 10 Jan → 10 Mar is 2).
pub fn months_between(from: NaiveDate, to: NaiveDate) -> i32 {
    let raw = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    if to.day() < from.day() { raw - 1 } else { raw }
}

// ---------------------------------------------------------------------------------------
// Derived figures
// ---------------------------------------------------------------------------------------

/// `a / b`, or `None` when `b` is zero.
fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

impl Snapshot {
    /// The year's financial execution: `accrued / PIM` (`None` without a PIM).
    pub fn financial_execution(&self) -> Option<f64> {
        ratio(self.accrued, self.pim)
    }

    /// Devengado to date: `accrued_before + accrued`.
    pub fn accrued_to_date(&self) -> f64 {
        self.accrued_before + self.accrued
    }

    /// Accumulated progress: `(accrued_before + accrued) / cost` (`None` without a cost).
    pub fn accumulated_progress(&self, cost: Option<f64>) -> Option<f64> {
        ratio(self.accrued_to_date(), cost?)
    }

    /// What remains to be spent: `cost − (accrued_before + accrued)` (negative when the
    /// devengado exceeds the cost: a cost overrun to update).
    pub fn remaining_balance(&self, cost: Option<f64>) -> Option<f64> {
        cost.map(|c| c - self.accrued_to_date())
    }

    /// The year's budget not yet accrued: `PIM − accrued`.
    pub fn pim_balance(&self) -> f64 {
        self.pim - self.accrued
    }
}

/// The snapshot that stands for a date: the latest dated on or before it.
pub fn latest_on(snapshots: &[Snapshot], date: NaiveDate) -> Option<&Snapshot> {
    snapshots
        .iter()
        .filter(|s| s.as_of <= date)
        .max_by_key(|s| s.as_of)
}

/// The latest snapshot of a year.
pub fn latest_of_year(snapshots: &[Snapshot], year: i32) -> Option<&Snapshot> {
    snapshots
        .iter()
        .filter(|s| s.year == year)
        .max_by_key(|s| s.as_of)
}

/// One month of an investment's (or a portfolio's) curve for a year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthPoint {
    /// 1..=12.
    pub month: u32,
    /// Cumulative devengado of the year at the month's end: the month's last snapshot, or
    /// the last one before it in the year when the month has none (`None` before the first
    /// snapshot of the year and after the latest).
    pub accrued: Option<f64>,
    /// The PIM at the month's end, by the same rule.
    pub pim: Option<f64>,
    /// The planned cumulative devengado at the month's end, when a planned curve is given.
    pub planned: Option<f64>,
    /// Whether a snapshot is dated in this month (otherwise the figures are carried).
    pub reported: bool,
}

/// The monthly curve of a year: for each month the figures of the month's last snapshot
/// (carried forward from the previous snapshot of the year when a month has none, up to
/// the year's latest snapshot), against the planned curve when there is one.
pub fn monthly_curve(
    snapshots: &[Snapshot],
    year: i32,
    planned: Option<&PlannedCurve>,
) -> Vec<MonthPoint> {
    let of_year: Vec<&Snapshot> = snapshots.iter().filter(|s| s.year == year).collect();
    let last = of_year.iter().map(|s| s.as_of).max();
    (1..=12u32)
        .map(|month| {
            let end = month_end(year, month);
            let reported = of_year.iter().any(|s| s.as_of.month() == month);
            let shown = last.is_some_and(|l| month <= l.month());
            let current = end.filter(|_| shown).and_then(|e| {
                of_year
                    .iter()
                    .filter(|s| s.as_of <= e)
                    .max_by_key(|s| s.as_of)
            });
            MonthPoint {
                month,
                accrued: current.map(|s| s.accrued),
                pim: current.map(|s| s.pim),
                planned: planned
                    .filter(|p| p.year == year)
                    .map(|p| p.months[month as usize - 1]),
                reported,
            }
        })
        .collect()
}

fn month_end(year: i32, month: u32) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    NaiveDate::from_ymd_opt(year, month, days_in_month(first))
}

/// Sums monthly curves point by point (a portfolio's curve): a month's sum counts the
/// investments that have a figure for it.
pub fn sum_curves(curves: &[Vec<MonthPoint>]) -> Vec<MonthPoint> {
    (1..=12u32)
        .map(|month| {
            let points: Vec<&MonthPoint> = curves
                .iter()
                .filter_map(|c| c.iter().find(|p| p.month == month))
                .collect();
            let sum = |f: fn(&MonthPoint) -> Option<f64>| {
                let values: Vec<f64> = points.iter().filter_map(|p| f(p)).collect();
                (!values.is_empty()).then(|| values.iter().sum())
            };
            MonthPoint {
                month,
                accrued: sum(|p| p.accrued),
                pim: sum(|p| p.pim),
                planned: sum(|p| p.planned),
                reported: points.iter().any(|p| p.reported),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Alerts
// ---------------------------------------------------------------------------------------

vocabulary!(
    /// What an alert is about.
    AlertKind {
        Physical => "physical",
        Financial => "financial",
        Budget => "budget",
    }
);

vocabulary!(
    /// How far past its threshold an alert is.
    Severity {
        Warning => "warning",
        Critical => "critical",
    }
);

vocabulary!(
    /// The rule that raised an alert.
    AlertRule {
        Stalled => "stalled",
        PhysicalLag => "physical_lag",
        BehindPlan => "behind_plan",
        BehindPace => "behind_pace",
        PimCut => "pim_cut",
        PimChange => "pim_change",
    }
);

impl AlertRule {
    pub fn kind(self) -> AlertKind {
        match self {
            AlertRule::Stalled | AlertRule::PhysicalLag => AlertKind::Physical,
            AlertRule::BehindPlan | AlertRule::BehindPace => AlertKind::Financial,
            AlertRule::PimCut | AlertRule::PimChange => AlertKind::Budget,
        }
    }
}

/// An ecosystem's alert thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlertThresholds {
    /// Physical progress unchanged for this many months or more (default 2).
    pub stalled_months: i32,
    /// Physical progress behind accumulated financial progress by more than this many
    /// percentage points (default 15).
    pub physical_lag_points: f64,
    /// The year's devengado behind the planned curve by more than this many points of the
    /// PIM (default 10).
    pub plan_gap_points: f64,
    /// The year's execution behind the linear pace of the year by more than this many
    /// points (default 25).
    pub pace_gap_points: f64,
    /// The PIM changed by more than this percentage from one snapshot to the next
    /// (default 20).
    pub pim_change_percent: f64,
}

impl Default for AlertThresholds {
    fn default() -> Self {
        AlertThresholds {
            stalled_months: 2,
            physical_lag_points: 15.0,
            plan_gap_points: 10.0,
            pace_gap_points: 25.0,
            pim_change_percent: 20.0,
        }
    }
}

impl AlertThresholds {
    pub fn validate(self) -> Result<AlertThresholds, ValidationErrors> {
        let mut e = ValidationErrors::new();
        if !(1..=36).contains(&self.stalled_months) {
            e.push(FieldError::new(
                "stalledMonths",
                "range",
                "stalledMonths must lie between 1 and 36",
            ));
        }
        for (field, v) in [
            ("physicalLagPoints", self.physical_lag_points),
            ("planGapPoints", self.plan_gap_points),
            ("paceGapPoints", self.pace_gap_points),
            ("pimChangePercent", self.pim_change_percent),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 100.0) {
                e.push(FieldError::new(
                    field,
                    "range",
                    format!("{field} must be more than 0 and at most 100"),
                ));
            }
        }
        e.into_result().map(|()| self)
    }
}

/// An alert raised by an investment's snapshots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub kind: AlertKind,
    pub rule: AlertRule,
    pub severity: Severity,
    /// Since when the condition holds (the first snapshot of the run that raises it).
    pub since: NaiveDate,
    /// The measure compared with the threshold (months, points or percent).
    pub measure: f64,
    pub threshold: f64,
    pub sentence_es: String,
    pub sentence_en: String,
}

fn severity(measure: f64, threshold: f64) -> Severity {
    if measure >= 2.0 * threshold {
        Severity::Critical
    } else {
        Severity::Warning
    }
}

fn money(v: f64) -> String {
    let whole = v.round() as i64;
    let digits = whole.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if whole < 0 { format!("-{out}") } else { out }
}

/// The alerts an investment's snapshots raise, as of its latest snapshot. `snapshots` in
/// any order; `planned` the planned curves it has. Physical and financial alerts apply only
/// while the investment is under way ([`InvestmentStage::is_under_way`]); budget alerts
/// always.
pub fn alerts(
    snapshots: &[Snapshot],
    planned: &[PlannedCurve],
    cost: Option<f64>,
    stage: InvestmentStage,
    t: &AlertThresholds,
) -> Vec<Alert> {
    let mut sorted: Vec<&Snapshot> = snapshots.iter().collect();
    sorted.sort_by_key(|s| s.as_of);
    let Some(latest) = sorted.last().copied() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if stage.is_under_way() {
        out.extend(stalled(&sorted, t));
        out.extend(lagging(&sorted, cost, t));
        let curve = planned.iter().find(|p| p.year == latest.year);
        out.extend(behind(&sorted, curve, t));
    }
    out.extend(budget(&sorted, t));
    out
}

/// PHYSICAL, stalled: the latest physical progress (below 100 %) equals that of every
/// snapshot back to the first of the run with the same value, and that run began at least
/// `stalled_months` months before the latest snapshot. Critical at twice the months.
fn stalled(sorted: &[&Snapshot], t: &AlertThresholds) -> Option<Alert> {
    let with: Vec<(&Snapshot, &PhysicalProgress)> = sorted
        .iter()
        .filter_map(|s| s.physical.as_ref().map(|p| (*s, p)))
        .collect();
    let (latest, p) = *with.last()?;
    if p.percent >= 100.0 {
        return None;
    }
    let since = with
        .iter()
        .rev()
        .take_while(|(_, q)| q.percent == p.percent)
        .last()
        .map(|(s, _)| s.as_of)?;
    let months = months_between(since, latest.as_of);
    if months < t.stalled_months {
        return None;
    }
    let threshold = f64::from(t.stalled_months);
    Some(Alert {
        kind: AlertKind::Physical,
        rule: AlertRule::Stalled,
        severity: severity(f64::from(months), threshold),
        since,
        measure: f64::from(months),
        threshold,
        sentence_es: format!(
            "El avance físico sigue en {:.1} % desde el {since}: {months} meses sin avance.",
            p.percent
        ),
        sentence_en: format!(
            "Physical progress has stayed at {:.1} % since {since}: {months} months without progress.",
            p.percent
        ),
    })
}

/// How far physical progress lags accumulated financial progress, in points:
/// `accumulated_progress × 100 − physical %`.
pub fn physical_lag(snapshot: &Snapshot, cost: Option<f64>) -> Option<f64> {
    let financial = snapshot.accumulated_progress(cost)? * 100.0;
    Some(financial - snapshot.physical.as_ref()?.percent)
}

/// The first snapshot of the run of latest snapshots for which `holds` is true.
fn run_start(sorted: &[&Snapshot], holds: impl Fn(&Snapshot) -> bool) -> Option<NaiveDate> {
    sorted
        .iter()
        .rev()
        .take_while(|s| holds(s))
        .last()
        .map(|s| s.as_of)
}

/// PHYSICAL, lagging: physical progress behind accumulated financial progress by more than
/// `physical_lag_points` (each snapshot's physical progress, or the last reported before
/// it). Critical at twice the points.
fn lagging(sorted: &[&Snapshot], cost: Option<f64>, t: &AlertThresholds) -> Option<Alert> {
    // Each snapshot with the physical progress known at its date.
    let mut known: Option<PhysicalProgress> = None;
    let carried: Vec<Snapshot> = sorted
        .iter()
        .map(|s| {
            if s.physical.is_some() {
                known.clone_from(&s.physical);
            }
            Snapshot {
                physical: known.clone(),
                ..(*s).clone()
            }
        })
        .collect();
    let refs: Vec<&Snapshot> = carried.iter().collect();
    let latest = *refs.last()?;
    let lag = physical_lag(latest, cost)?;
    if lag <= t.physical_lag_points {
        return None;
    }
    let since = run_start(&refs, |s| {
        physical_lag(s, cost).is_some_and(|l| l > t.physical_lag_points)
    })?;
    let physical = latest.physical.as_ref()?.percent;
    let financial = physical + lag;
    Some(Alert {
        kind: AlertKind::Physical,
        rule: AlertRule::PhysicalLag,
        severity: severity(lag, t.physical_lag_points),
        since,
        measure: lag,
        threshold: t.physical_lag_points,
        sentence_es: format!(
            "El avance físico ({physical:.1} %) va {lag:.1} puntos detrás del avance financiero ({financial:.1} %)."
        ),
        sentence_en: format!(
            "Physical progress ({physical:.1} %) is {lag:.1} points behind financial progress ({financial:.1} %)."
        ),
    })
}

/// How far the year's devengado is behind the planned curve, in points of the PIM:
/// `(planned(as_of) − accrued) / PIM × 100`.
pub fn plan_gap(snapshot: &Snapshot, curve: &PlannedCurve) -> Option<f64> {
    let planned = curve.at(snapshot.as_of)?;
    Some(ratio(planned - snapshot.accrued, snapshot.pim)? * 100.0)
}

/// How far the year's execution is behind the linear pace, in points:
/// `(elapsed share of the year − accrued / PIM) × 100`.
pub fn pace_gap(snapshot: &Snapshot) -> Option<f64> {
    Some((year_elapsed(snapshot.as_of) - snapshot.financial_execution()?) * 100.0)
}

/// A gap measure of one snapshot (planned curve or linear pace).
type GapOf<'a> = Box<dyn Fn(&Snapshot) -> Option<f64> + 'a>;

/// FINANCIAL: with a planned curve for the year, behind it by more than `plan_gap_points`;
/// without one, behind the year's linear pace by more than `pace_gap_points`. Only the
/// snapshots of the latest snapshot's year count. Critical at twice the points.
fn behind(
    sorted: &[&Snapshot],
    curve: Option<&PlannedCurve>,
    t: &AlertThresholds,
) -> Option<Alert> {
    let latest = *sorted.last()?;
    let of_year: Vec<&Snapshot> = sorted
        .iter()
        .copied()
        .filter(|s| s.year == latest.year)
        .collect();
    let (rule, threshold, gap_of): (AlertRule, f64, GapOf<'_>) = match curve {
        Some(c) => (
            AlertRule::BehindPlan,
            t.plan_gap_points,
            Box::new(move |s| plan_gap(s, c)),
        ),
        None => (AlertRule::BehindPace, t.pace_gap_points, Box::new(pace_gap)),
    };
    let gap = gap_of(latest)?;
    if gap <= threshold {
        return None;
    }
    let since = run_start(&of_year, |s| gap_of(s).is_some_and(|g| g > threshold))?;
    let execution = latest.financial_execution().unwrap_or(0.0) * 100.0;
    let (es, en) = match rule {
        AlertRule::BehindPlan => (
            format!(
                "La ejecución del año ({execution:.1} % del PIM) va {gap:.1} puntos detrás de lo programado."
            ),
            format!(
                "The year's execution ({execution:.1} % of the PIM) is {gap:.1} points behind the planned curve."
            ),
        ),
        _ => (
            format!(
                "La ejecución del año ({execution:.1} % del PIM) va {gap:.1} puntos detrás del ritmo lineal del año."
            ),
            format!(
                "The year's execution ({execution:.1} % of the PIM) is {gap:.1} points behind the year's linear pace."
            ),
        ),
    };
    Some(Alert {
        kind: AlertKind::Financial,
        rule,
        severity: severity(gap, threshold),
        since,
        measure: gap,
        threshold,
        sentence_es: es,
        sentence_en: en,
    })
}

/// BUDGET: the latest change of the PIM within the latest snapshot's year (from one
/// snapshot to the next), while it stands: a cut of any size (critical when more than
/// `pim_change_percent`), or a rise of more than `pim_change_percent` (a warning). The
/// change is `(PIM − previous PIM) / previous PIM × 100`.
fn budget(sorted: &[&Snapshot], t: &AlertThresholds) -> Option<Alert> {
    let latest = *sorted.last()?;
    let of_year: Vec<&Snapshot> = sorted
        .iter()
        .copied()
        .filter(|s| s.year == latest.year)
        .collect();
    let (prev, changed) = of_year
        .windows(2)
        .rev()
        .find(|w| w[1].pim != w[0].pim)
        .map(|w| (w[0], w[1]))?;
    let delta = changed.pim - prev.pim;
    let change = ratio(delta, prev.pim).map_or(100.0, |r| r * 100.0);
    let (rule, severity) = if delta < 0.0 {
        let sev = if -change > t.pim_change_percent {
            Severity::Critical
        } else {
            Severity::Warning
        };
        (AlertRule::PimCut, sev)
    } else if change > t.pim_change_percent {
        (AlertRule::PimChange, Severity::Warning)
    } else {
        return None;
    };
    let (from, to) = (money(prev.pim), money(changed.pim));
    let since = changed.as_of;
    let (es, en) = match rule {
        AlertRule::PimCut => (
            format!("El PIM se recortó el {since} de S/ {from} a S/ {to} ({change:.1} %)."),
            format!("The PIM was cut on {since} from S/ {from} to S/ {to} ({change:.1} %)."),
        ),
        _ => (
            format!("El PIM cambió el {since} de S/ {from} a S/ {to} (+{change:.1} %)."),
            format!("The PIM changed on {since} from S/ {from} to S/ {to} (+{change:.1} %)."),
        ),
    };
    Some(Alert {
        kind: AlertKind::Budget,
        rule,
        severity,
        since,
        measure: change,
        threshold: t.pim_change_percent,
        sentence_es: es,
        sentence_en: en,
    })
}

// ---------------------------------------------------------------------------------------
// Summaries and rankings
// ---------------------------------------------------------------------------------------

/// What the summary of a year needs of one investment.
#[derive(Debug, Clone)]
pub struct YearFacts<'a> {
    pub definition: &'a InvestmentDefinition,
    /// The latest snapshot of the year, if any.
    pub snapshot: Option<&'a Snapshot>,
    pub alerts: &'a [Alert],
}

/// Totals of a group of investments for a year.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    pub count: i64,
    /// Sum of each investment's cost (updated cost, else viable amount).
    pub cost: f64,
    pub pim: f64,
    pub accrued: f64,
    pub alerts: i64,
}

impl Totals {
    fn add(&mut self, f: &YearFacts<'_>) {
        self.count += 1;
        self.cost += f.definition.cost().unwrap_or(0.0);
        if let Some(s) = f.snapshot {
            self.pim += s.pim;
            self.accrued += s.accrued;
        }
        self.alerts += f.alerts.len() as i64;
    }

    /// The group's execution of the year: `Σ accrued / Σ PIM`.
    pub fn execution(&self) -> Option<f64> {
        ratio(self.accrued, self.pim)
    }
}

/// The key of an executing unit: its actor and the unit's name under it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct UnitKey {
    pub actor_id: Option<i64>,
    pub unit: String,
}

/// A year's summary of a portfolio.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct YearSummary {
    pub year: i32,
    pub totals: Totals,
    pub participatory: Totals,
    pub prioritised: Totals,
    pub by_function: Vec<(InvestmentFunction, Totals)>,
    pub by_province: Vec<(Ubigeo, Totals)>,
    pub by_modality: Vec<(ExecutionModality, Totals)>,
    pub by_source: Vec<(FinancingSource, Totals)>,
    pub by_stage: Vec<(InvestmentStage, Totals)>,
    /// Executing units by the year's execution, highest first (units without a PIM last,
    /// by name).
    pub units: Vec<(UnitKey, Totals)>,
    pub alerts_by_kind: Vec<(AlertKind, i64)>,
    pub alerts_by_severity: Vec<(Severity, i64)>,
}

fn grouped<K: Ord + Clone>(
    facts: &[YearFacts<'_>],
    key: impl Fn(&YearFacts<'_>) -> K,
) -> Vec<(K, Totals)> {
    let mut map: BTreeMap<K, Totals> = BTreeMap::new();
    for f in facts {
        map.entry(key(f)).or_default().add(f);
    }
    let mut out: Vec<(K, Totals)> = map.into_iter().collect();
    // Largest cost first; ties keep the key order.
    out.sort_by(|a, b| b.1.cost.total_cmp(&a.1.cost));
    out
}

/// The year's totals, breakdowns, ranking of executing units and alert counts.
pub fn summarise(year: i32, facts: &[YearFacts<'_>]) -> YearSummary {
    let mut totals = Totals::default();
    let mut participatory = Totals::default();
    let mut prioritised = Totals::default();
    let mut by_kind: BTreeMap<AlertKind, i64> = AlertKind::ALL.iter().map(|k| (*k, 0)).collect();
    let mut by_sev: BTreeMap<Severity, i64> = Severity::ALL.iter().map(|k| (*k, 0)).collect();
    for f in facts {
        totals.add(f);
        if f.definition.participatory_budget {
            participatory.add(f);
        }
        if f.definition.prioritised {
            prioritised.add(f);
        }
        for a in f.alerts {
            *by_kind.entry(a.kind).or_default() += 1;
            *by_sev.entry(a.severity).or_default() += 1;
        }
    }
    let mut units = grouped(facts, |f| UnitKey {
        actor_id: f.definition.executing_actor_id,
        unit: f.definition.executing_unit.clone(),
    });
    units.sort_by(|a, b| rank_units(&a.1, &b.1).then_with(|| a.0.cmp(&b.0)));
    YearSummary {
        year,
        totals,
        participatory,
        prioritised,
        by_function: grouped(facts, |f| f.definition.function),
        by_province: grouped(facts, |f| f.definition.province()),
        by_modality: grouped(facts, |f| f.definition.modality),
        by_source: grouped(facts, |f| f.definition.financing_source),
        by_stage: grouped(facts, |f| f.definition.stage),
        units,
        alerts_by_kind: by_kind.into_iter().collect(),
        alerts_by_severity: by_sev.into_iter().collect(),
    }
}

/// Higher execution first; units without a PIM after every unit with one.
fn rank_units(a: &Totals, b: &Totals) -> std::cmp::Ordering {
    match (a.execution(), b.execution()) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

// ---------------------------------------------------------------------------------------
// Prioritisation
// ---------------------------------------------------------------------------------------

vocabulary!(
    /// What the `scale` criterion measures.
    ScaleBasis {
        Cost => "cost",
        Beneficiaries => "beneficiaries",
    }
);

/// A criterion the coordinating body scores each investment on, 1 to 5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgedCriterion {
    /// A short code, e.g. `territorial_equity`.
    pub code: String,
    pub name: String,
    pub weight: f64,
}

/// An ecosystem's prioritisation criteria and weights (each weight ≥ 0; at least one
/// positive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criteria {
    /// Weight of the gap the linked indicators still have to their targets.
    pub gap_weight: f64,
    /// Weight of the stage reached.
    pub stage_weight: f64,
    /// Weight of the scale (cost or beneficiaries).
    pub scale_weight: f64,
    pub scale_basis: ScaleBasis,
    pub judged: Vec<JudgedCriterion>,
}

impl Default for Criteria {
    fn default() -> Self {
        Criteria {
            gap_weight: 0.4,
            stage_weight: 0.3,
            scale_weight: 0.3,
            scale_basis: ScaleBasis::Beneficiaries,
            judged: Vec::new(),
        }
    }
}

fn weight(field: &str, w: f64) -> Result<f64, FieldError> {
    if w.is_finite() && (0.0..=100.0).contains(&w) {
        Ok(w)
    } else {
        Err(FieldError::new(
            field,
            "range",
            format!("{field} must lie between 0 and 100"),
        ))
    }
}

impl Criteria {
    pub fn validate(self) -> Result<Criteria, ValidationErrors> {
        let mut e = ValidationErrors::new();
        e.check(weight("gapWeight", self.gap_weight));
        e.check(weight("stageWeight", self.stage_weight));
        e.check(weight("scaleWeight", self.scale_weight));
        if self.judged.len() > MAX_JUDGED {
            e.push(FieldError::new(
                "judged",
                "length",
                format!("at most {MAX_JUDGED} judged criteria"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let mut judged = Vec::new();
        for j in &self.judged {
            let code = j.code.trim();
            let code_ok = (1..=40).contains(&code.len())
                && code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !code_ok {
                e.push(FieldError::new(
                    "judged.code",
                    "code",
                    "a criterion's code has 1 to 40 letters, digits, '_' or '-'",
                ));
            } else if !seen.insert(code.to_string()) {
                e.push(FieldError::new(
                    "judged.code",
                    "unique",
                    format!("criterion {code} is given twice"),
                ));
            }
            let name = e.check(text("judged.name", &j.name, 1, MAX_LABEL));
            e.check(weight("judged.weight", j.weight));
            judged.push(JudgedCriterion {
                code: code.to_string(),
                name: name.unwrap_or_default(),
                weight: j.weight,
            });
        }
        let total = self.gap_weight
            + self.stage_weight
            + self.scale_weight
            + self.judged.iter().map(|j| j.weight).sum::<f64>();
        if e.is_empty() && total <= 0.0 {
            e.push(FieldError::new(
                "gapWeight",
                "positive",
                "at least one criterion needs a positive weight",
            ));
        }
        e.into_result()?;
        Ok(Criteria { judged, ..self })
    }
}

/// An ecosystem's investment settings: alert thresholds, prioritisation criteria and the
/// annual budget envelopes (defaults when none were set).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Settings {
    pub thresholds: AlertThresholds,
    pub criteria: Criteria,
    /// The annual budget envelope by year, in soles.
    pub envelopes: BTreeMap<i32, f64>,
}

/// A judged score: an integer 1..=5.
pub fn judged_score(field: &str, raw: i32) -> Result<i32, FieldError> {
    if (1..=5).contains(&raw) {
        Ok(raw)
    } else {
        Err(FieldError::new(
            field,
            "range",
            "a judged score is an integer from 1 to 5",
        ))
    }
}

/// The gap an indicator still has to its target, 0 (reached) to 1 (nothing closed since
/// the baseline): `1 − clamp(progress, 0, 1)`, where `progress` is the scorecard's share of
/// the gap from the baseline to the target that is closed (direction-aware).
pub fn indicator_gap(progress: f64) -> Option<f64> {
    progress.is_finite().then(|| 1.0 - progress.clamp(0.0, 1.0))
}

/// The mean of the gaps known (`None` when none is).
pub fn mean_gap(gaps: &[f64]) -> Option<f64> {
    (!gaps.is_empty()).then(|| gaps.iter().sum::<f64>() / gaps.len() as f64)
}

/// What prioritisation needs of one candidate investment.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub id: i64,
    pub definition: &'a InvestmentDefinition,
    /// Mean gap of its linked indicators (see [`indicator_gap`], [`mean_gap`]), if any is
    /// known.
    pub gap: Option<f64>,
    /// The judged scores given, by criterion code.
    pub scores: &'a BTreeMap<String, i32>,
    /// What it needs in the year: the year's PIM when it has a snapshot of the year, else
    /// its remaining balance (cost − devengado to date), else its cost.
    pub need: f64,
}

/// One criterion's contribution to a candidate's priority.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionScore {
    pub code: String,
    pub weight: f64,
    /// 0..1, `None` when unknown (the criterion then does not count for this candidate).
    pub value: Option<f64>,
}

/// A candidate's place in the ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Priority {
    pub id: i64,
    /// 1 = first.
    pub rank: usize,
    /// `Σ weightᵢ × valueᵢ / Σ weightᵢ` over the criteria with a known value, 0..1.
    pub score: f64,
    pub criteria: Vec<CriterionScore>,
    pub need: f64,
    /// The needs of this candidate and every one ranked above it.
    pub cumulative_need: f64,
    /// Whether the cumulative need lies within the year's envelope (`None` without one).
    pub fits: Option<bool>,
}

/// Ranks candidates (settled and closed investments are left out) by weighted score,
/// highest first (ties: larger need last, then id), and marks which fit the envelope:
/// walking down the ranking, a candidate fits while the cumulative need stays within it.
///
/// Criterion values in 0..1: `gap` as given; `stage` = [`InvestmentStage::readiness`];
/// `scale` = the candidate's cost (or beneficiaries) / the largest among the candidates;
/// a judged criterion = `(score − 1) / 4`.
pub fn prioritise(
    candidates: &[Candidate<'_>],
    criteria: &Criteria,
    envelope: Option<f64>,
) -> Vec<Priority> {
    let eligible: Vec<&Candidate<'_>> = candidates
        .iter()
        .filter(|c| c.definition.stage.readiness().is_some())
        .collect();
    let scale_of = |c: &Candidate<'_>| match criteria.scale_basis {
        ScaleBasis::Cost => c.definition.cost(),
        ScaleBasis::Beneficiaries => c.definition.beneficiaries.map(|b| b as f64),
    };
    let max_scale = eligible
        .iter()
        .filter_map(|c| scale_of(c))
        .fold(0.0_f64, f64::max);
    let mut scored: Vec<Priority> = eligible
        .iter()
        .map(|c| {
            let mut parts = vec![
                CriterionScore {
                    code: "gap".into(),
                    weight: criteria.gap_weight,
                    value: c.gap.map(|g| g.clamp(0.0, 1.0)),
                },
                CriterionScore {
                    code: "stage".into(),
                    weight: criteria.stage_weight,
                    value: c.definition.stage.readiness(),
                },
                CriterionScore {
                    code: "scale".into(),
                    weight: criteria.scale_weight,
                    value: scale_of(c).and_then(|s| ratio(s, max_scale)),
                },
            ];
            for j in &criteria.judged {
                parts.push(CriterionScore {
                    code: j.code.clone(),
                    weight: j.weight,
                    value: c.scores.get(&j.code).map(|s| f64::from(s - 1) / 4.0),
                });
            }
            let (num, den) = parts
                .iter()
                .filter_map(|p| p.value.map(|v| (p.weight * v, p.weight)))
                .fold((0.0, 0.0), |(n, d), (a, b)| (n + a, d + b));
            Priority {
                id: c.id,
                rank: 0,
                score: ratio(num, den).unwrap_or(0.0),
                criteria: parts,
                need: c.need.max(0.0),
                cumulative_need: 0.0,
                fits: None,
            }
        })
        .collect();
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.need.total_cmp(&b.need))
            .then(a.id.cmp(&b.id))
    });
    let mut cumulative = 0.0;
    for (i, p) in scored.iter_mut().enumerate() {
        cumulative += p.need;
        p.rank = i + 1;
        p.cumulative_need = cumulative;
        p.fits = envelope.map(|e| cumulative <= e);
    }
    scored
}

/// What a candidate needs in a year (see [`Candidate::need`]).
pub fn year_need(definition: &InvestmentDefinition, snapshots: &[Snapshot], year: i32) -> f64 {
    if let Some(s) = latest_of_year(snapshots, year) {
        return s.pim;
    }
    let cost = definition.cost().unwrap_or(0.0);
    let spent = snapshots
        .iter()
        .max_by_key(|s| s.as_of)
        .map_or(0.0, Snapshot::accrued_to_date);
    (cost - spent).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn snap(as_of: NaiveDate, pim: f64, accrued: f64, physical: Option<f64>) -> Snapshot {
        Snapshot {
            as_of,
            year: as_of.year(),
            pia: pim,
            pim,
            certified: pim,
            committed: accrued,
            accrued,
            paid: accrued,
            accrued_before: 0.0,
            physical: physical.map(|p| PhysicalProgress {
                percent: p,
                measured_on: as_of,
                evidence: String::new(),
            }),
        }
    }

    fn draft() -> InvestmentDraft {
        InvestmentDraft {
            cui: Some("2345678".into()),
            name: "Mejoramiento del servicio de agua potable".into(),
            kind: "project".into(),
            level: "gr".into(),
            function: "sanitation".into(),
            stage: "execution".into(),
            modality: "contract".into(),
            financing_source: "canon".into(),
            ubigeo: "180101".into(),
            updated_cost: Some(10_000_000.0),
            ..Default::default()
        }
    }

    #[test]
    fn cui_has_seven_digits() {
        assert!(Cui::parse("cui", " 2345678 ").is_ok());
        for bad in ["234567", "23456789", "23456a8", "", "２３４５６７８"] {
            assert_eq!(Cui::parse("cui", bad).unwrap_err().rule, "cui", "{bad}");
        }
    }

    #[test]
    fn a_draft_parses_and_reports_every_broken_field() {
        let def = draft().parse().unwrap();
        assert_eq!(def.province().as_str(), "1801");
        assert_eq!(def.cost(), Some(10_000_000.0));
        let bad = InvestmentDraft {
            cui: None,
            name: "x".repeat(MAX_NAME + 1),
            function: "magic".into(),
            ubigeo: "999999".into(),
            latitude: Some(-17.2),
            updated_cost: Some(-1.0),
            beneficiaries: Some(-5),
            ..draft()
        };
        let errors = bad.parse().unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "cui",
            "name",
            "function",
            "ubigeo",
            "latitude",
            "updatedCost",
            "beneficiaries",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        // An idea may go without a CUI.
        let idea = InvestmentDraft {
            cui: None,
            kind: "idea".into(),
            stage: "idea".into(),
            ..draft()
        };
        assert_eq!(idea.parse().unwrap().cui, None);
    }

    #[test]
    fn coordinates_are_both_or_neither_and_in_range() {
        assert_eq!(GeoPoint::parse(None, None).unwrap(), None);
        assert!(
            GeoPoint::parse(Some(-17.19), Some(-70.93))
                .unwrap()
                .is_some()
        );
        assert!(GeoPoint::parse(Some(91.0), Some(0.0)).is_err());
        assert!(GeoPoint::parse(Some(0.0), Some(-181.0)).is_err());
        assert!(GeoPoint::parse(Some(f64::NAN), Some(0.0)).is_err());
        assert!(GeoPoint::parse(None, Some(0.0)).is_err());
    }

    #[test]
    fn mef_function_names_are_matched_without_accents() {
        assert_eq!(
            InvestmentFunction::from_mef(" educación "),
            Some(InvestmentFunction::Education)
        );
        assert_eq!(
            InvestmentFunction::from_mef("VIVIENDA  Y DESARROLLO URBANO"),
            Some(InvestmentFunction::Housing)
        );
        assert_eq!(InvestmentFunction::from_mef("ASTRONOMIA"), None);
        for f in InvestmentFunction::ALL {
            assert_eq!(InvestmentFunction::from_mef(f.mef_name()), Some(*f));
        }
    }

    #[test]
    fn snapshot_amounts_are_not_negative_and_progress_is_a_percentage() {
        let ok = SnapshotDraft {
            as_of: Some(d(2025, 3, 31)),
            pim: 100.0,
            physical_percent: Some(40.0),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(ok.year, 2025);
        assert_eq!(ok.physical.unwrap().measured_on, d(2025, 3, 31));
        let bad = SnapshotDraft {
            as_of: Some(d(2025, 3, 31)),
            pim: -1.0,
            accrued: f64::INFINITY,
            physical_percent: Some(101.0),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(bad.0.len(), 3, "{bad:?}");
        assert!(SnapshotDraft::default().parse().is_err());
    }

    #[test]
    fn financial_execution_is_accrued_over_pim() {
        let s = snap(d(2025, 6, 30), 2_000_000.0, 500_000.0, None);
        assert_eq!(s.financial_execution(), Some(0.25));
        assert_eq!(
            snap(d(2025, 6, 30), 0.0, 10.0, None).financial_execution(),
            None
        );
        assert_eq!(s.pim_balance(), 1_500_000.0);
    }

    #[test]
    fn accumulated_progress_and_remaining_balance_count_earlier_years() {
        let s = Snapshot {
            accrued_before: 3_000_000.0,
            ..snap(d(2025, 6, 30), 2_000_000.0, 1_000_000.0, None)
        };
        assert_eq!(s.accrued_to_date(), 4_000_000.0);
        assert_eq!(s.accumulated_progress(Some(10_000_000.0)), Some(0.4));
        assert_eq!(s.accumulated_progress(None), None);
        assert_eq!(s.accumulated_progress(Some(0.0)), None);
        assert_eq!(s.remaining_balance(Some(10_000_000.0)), Some(6_000_000.0));
        assert_eq!(s.remaining_balance(Some(3_000_000.0)), Some(-1_000_000.0));
    }

    #[test]
    fn a_month_shows_its_last_snapshot_and_carries_the_previous_one() {
        let snaps = vec![
            snap(d(2025, 1, 10), 100.0, 5.0, None),
            snap(d(2025, 1, 31), 100.0, 10.0, None),
            snap(d(2025, 3, 15), 120.0, 30.0, None),
            snap(d(2024, 12, 31), 90.0, 80.0, None),
        ];
        let plan = PlannedCurve::parse(
            2025,
            &[
                10., 20., 30., 40., 50., 60., 70., 80., 90., 100., 110., 120.,
            ],
        )
        .unwrap();
        let curve = monthly_curve(&snaps, 2025, Some(&plan));
        assert_eq!(curve.len(), 12);
        assert_eq!(curve[0].accrued, Some(10.0));
        assert!(curve[0].reported);
        // February has no snapshot: January's figures are carried.
        assert_eq!(curve[1].accrued, Some(10.0));
        assert!(!curve[1].reported);
        assert_eq!(curve[2].accrued, Some(30.0));
        assert_eq!(curve[2].pim, Some(120.0));
        // After the latest snapshot nothing is shown.
        assert_eq!(curve[3].accrued, None);
        assert_eq!(curve[3].planned, Some(40.0));
        let total = sum_curves(&[curve.clone(), curve]);
        assert_eq!(total[2].accrued, Some(60.0));
        assert_eq!(total[3].accrued, None);
        assert_eq!(total[3].planned, Some(80.0));
    }

    #[test]
    fn planned_curves_are_cumulative_and_interpolated_within_a_month() {
        assert!(PlannedCurve::parse(2025, &[1.0; 11]).is_err());
        let mut decreasing = [10.0; 12];
        decreasing[5] = 5.0;
        assert!(PlannedCurve::parse(2025, &decreasing).is_err());
        let plan = PlannedCurve::parse(
            2025,
            &[
                30., 60., 90., 120., 150., 180., 210., 240., 270., 300., 330., 360.,
            ],
        )
        .unwrap();
        assert_eq!(plan.at(d(2025, 1, 31)), Some(30.0));
        // Half of April: halfway from March's 90 to April's 120.
        assert_eq!(plan.at(d(2025, 4, 15)), Some(105.0));
        assert_eq!(plan.at(d(2024, 4, 15)), None);
        let back = PlannedCurve::from_stored(2025, &plan.to_stored()).unwrap();
        assert_eq!(back, plan);
    }

    #[test]
    fn months_and_year_share_are_calendar_based() {
        assert_eq!(months_between(d(2025, 1, 10), d(2025, 3, 9)), 1);
        assert_eq!(months_between(d(2025, 1, 10), d(2025, 3, 10)), 2);
        assert_eq!(months_between(d(2024, 11, 30), d(2025, 1, 31)), 2);
        assert!((year_elapsed(d(2025, 12, 31)) - 1.0).abs() < 1e-12);
        assert!((year_elapsed(d(2024, 7, 1)) - 183.0 / 366.0).abs() < 1e-12);
    }

    fn rules(a: &[Alert]) -> Vec<AlertRule> {
        a.iter().map(|a| a.rule).collect()
    }

    #[test]
    fn stalled_physical_progress_is_an_alert_after_n_months() {
        let t = AlertThresholds::default();
        let cost = Some(1000.0);
        // Financially on pace and in line with physical progress: only the stall counts.
        let mk = |date, phys| Snapshot {
            accrued_before: 300.0,
            ..snap(date, 100.0, 100.0 * year_elapsed(date), Some(phys))
        };
        let one_month = vec![
            mk(d(2025, 3, 1), 20.0),
            mk(d(2025, 4, 1), 35.0),
            mk(d(2025, 5, 1), 35.0),
        ];
        assert!(alerts(&one_month, &[], cost, InvestmentStage::Execution, &t).is_empty());
        let mut two_months = one_month.clone();
        two_months.push(mk(d(2025, 6, 1), 35.0));
        let a = alerts(&two_months, &[], cost, InvestmentStage::Execution, &t);
        assert_eq!(rules(&a), vec![AlertRule::Stalled]);
        assert_eq!(a[0].kind, AlertKind::Physical);
        assert_eq!(a[0].since, d(2025, 4, 1));
        assert_eq!(a[0].severity, Severity::Warning);
        assert!(a[0].sentence_es.contains("35.0 %") && a[0].sentence_en.contains("2 months"));
        two_months.push(mk(d(2025, 8, 2), 35.0));
        let a = alerts(&two_months, &[], cost, InvestmentStage::Execution, &t);
        assert_eq!(
            a[0].severity,
            Severity::Critical,
            "4 months = twice the threshold"
        );
        // Finished, or not under way: no progress alerts.
        let mut done = two_months.clone();
        for s in &mut done {
            s.physical.as_mut().unwrap().percent = 100.0;
        }
        assert!(alerts(&done, &[], cost, InvestmentStage::Execution, &t).is_empty());
        assert!(alerts(&two_months, &[], cost, InvestmentStage::Closed, &t).is_empty());
    }

    #[test]
    fn physical_progress_lagging_financial_progress_is_an_alert() {
        let t = AlertThresholds::default();
        let cost = Some(1000.0);
        let mk = |date, phys, before| Snapshot {
            accrued_before: before,
            ..snap(date, 100.0, 100.0 * year_elapsed(date), Some(phys))
        };
        // Financial progress: (before + 100 × elapsed share) / 1000.
        let fine = vec![mk(d(2025, 6, 30), 40.0, 350.0)];
        assert!(alerts(&fine, &[], cost, InvestmentStage::Execution, &t).is_empty());
        let lag = vec![
            mk(d(2025, 5, 31), 30.0, 350.0),
            mk(d(2025, 6, 30), 31.0, 500.0),
        ];
        let a = alerts(&lag, &[], cost, InvestmentStage::Execution, &t);
        assert_eq!(rules(&a), vec![AlertRule::PhysicalLag]);
        let financial = (500.0 + 100.0 * year_elapsed(d(2025, 6, 30))) / 10.0;
        assert!((a[0].measure - (financial - 31.0)).abs() < 1e-9);
        // 30 % vs (350 + 41.1)/10 = 39.1 %: lag 9.1, below 15: the run starts in June.
        assert_eq!(a[0].since, d(2025, 6, 30));
        assert_eq!(a[0].severity, Severity::Warning);
        // A snapshot without physical progress carries the last one reported.
        let carried = vec![
            mk(d(2025, 5, 31), 10.0, 600.0),
            Snapshot {
                physical: None,
                ..mk(d(2025, 6, 30), 0.0, 600.0)
            },
        ];
        let a = alerts(&carried, &[], cost, InvestmentStage::Execution, &t);
        assert_eq!(rules(&a), vec![AlertRule::PhysicalLag]);
        assert_eq!(a[0].since, d(2025, 5, 31));
        assert_eq!(a[0].severity, Severity::Critical);
    }

    #[test]
    fn financial_execution_behind_the_linear_pace_is_an_alert() {
        let t = AlertThresholds::default();
        // Mid-year with 20 % executed: 49.6 − 20 = 29.6 points behind.
        let s = vec![snap(d(2025, 6, 30), 1000.0, 200.0, None)];
        let gap = pace_gap(&s[0]).unwrap();
        assert!((gap - (year_elapsed(d(2025, 6, 30)) * 100.0 - 20.0)).abs() < 1e-9);
        let a = alerts(&s, &[], None, InvestmentStage::Execution, &t);
        assert_eq!(rules(&a), vec![AlertRule::BehindPace]);
        assert_eq!(a[0].kind, AlertKind::Financial);
        assert_eq!(a[0].severity, Severity::Warning);
        let s = vec![snap(d(2025, 12, 31), 1000.0, 400.0, None)];
        assert_eq!(
            alerts(&s, &[], None, InvestmentStage::Execution, &t)[0].severity,
            Severity::Critical
        );
        let s = vec![snap(d(2025, 6, 30), 1000.0, 300.0, None)];
        assert!(alerts(&s, &[], None, InvestmentStage::Execution, &t).is_empty());
    }

    #[test]
    fn financial_execution_behind_the_planned_curve_is_an_alert() {
        let t = AlertThresholds::default();
        let plan = PlannedCurve::parse(
            2025,
            &[
                0., 0., 100., 200., 300., 400., 500., 600., 700., 800., 900., 1000.,
            ],
        )
        .unwrap();
        // End of April: planned 200, accrued 50, PIM 1000 → 15 points behind.
        let s = vec![
            snap(d(2025, 3, 31), 1000.0, 50.0, None),
            snap(d(2025, 4, 30), 1000.0, 50.0, None),
        ];
        assert_eq!(plan_gap(&s[1], &plan), Some(15.0));
        let a = alerts(
            &s,
            std::slice::from_ref(&plan),
            None,
            InvestmentStage::Execution,
            &t,
        );
        assert_eq!(rules(&a), vec![AlertRule::BehindPlan]);
        // End of March: 5 points behind, under the threshold: the run starts in April.
        assert_eq!(a[0].since, d(2025, 4, 30));
        // With a plan, the linear pace is not used: on plan means no alert.
        let on_plan = vec![snap(d(2025, 4, 30), 1000.0, 190.0, None)];
        assert!(alerts(&on_plan, &[plan], None, InvestmentStage::Execution, &t).is_empty());
    }

    #[test]
    fn pim_cuts_and_large_changes_are_budget_alerts() {
        let t = AlertThresholds::default();
        let mk = |date, pim| snap(date, pim, pim * year_elapsed(date), None);
        // A small cut: warning, since the snapshot that cut it, still standing later.
        let s = vec![
            mk(d(2025, 2, 28), 1000.0),
            mk(d(2025, 3, 31), 950.0),
            mk(d(2025, 4, 30), 950.0),
        ];
        let a = alerts(&s, &[], None, InvestmentStage::Execution, &t);
        assert_eq!(rules(&a), vec![AlertRule::PimCut]);
        assert_eq!(a[0].kind, AlertKind::Budget);
        assert_eq!(a[0].since, d(2025, 3, 31));
        assert_eq!(a[0].severity, Severity::Warning);
        assert!((a[0].measure + 5.0).abs() < 1e-9);
        assert!(a[0].sentence_es.contains("1 000") && a[0].sentence_en.contains("950"));
        // A cut of 30 %: critical.
        let s = vec![mk(d(2025, 2, 28), 1000.0), mk(d(2025, 3, 31), 700.0)];
        assert_eq!(
            alerts(&s, &[], None, InvestmentStage::Closed, &t)[0].severity,
            Severity::Critical
        );
        // A rise of 50 %: warning; of 10 %: nothing.
        let s = vec![mk(d(2025, 2, 28), 1000.0), mk(d(2025, 3, 31), 1500.0)];
        assert_eq!(
            rules(&alerts(&s, &[], None, InvestmentStage::Execution, &t)),
            vec![AlertRule::PimChange]
        );
        let s = vec![mk(d(2025, 2, 28), 1000.0), mk(d(2025, 3, 31), 1100.0)];
        assert!(alerts(&s, &[], None, InvestmentStage::Execution, &t).is_empty());
        // A new year's PIM is no change of the last year's.
        let s = vec![mk(d(2024, 12, 31), 5000.0), mk(d(2025, 1, 31), 1000.0)];
        assert!(alerts(&s, &[], None, InvestmentStage::Execution, &t).is_empty());
    }

    #[test]
    fn thresholds_and_criteria_are_validated() {
        assert!(AlertThresholds::default().validate().is_ok());
        let bad = AlertThresholds {
            stalled_months: 0,
            pim_change_percent: -1.0,
            ..Default::default()
        };
        assert_eq!(bad.validate().unwrap_err().0.len(), 2);
        assert!(Criteria::default().validate().is_ok());
        let zero = Criteria {
            gap_weight: 0.0,
            stage_weight: 0.0,
            scale_weight: 0.0,
            ..Default::default()
        };
        assert!(zero.validate().is_err());
        let dup = Criteria {
            judged: vec![
                JudgedCriterion {
                    code: "equity".into(),
                    name: "Equidad".into(),
                    weight: 1.0,
                },
                JudgedCriterion {
                    code: "equity".into(),
                    name: "Equidad".into(),
                    weight: 1.0,
                },
            ],
            ..Default::default()
        };
        assert!(dup.validate().is_err());
        assert!(judged_score("score", 0).is_err());
        assert!(judged_score("score", 5).is_ok());
    }

    #[test]
    fn summaries_total_and_rank_executing_units() {
        let mut a = draft().parse().unwrap();
        a.executing_unit = "Sede central".into();
        let mut b = a.clone();
        b.executing_unit = "Agricultura".into();
        b.function = InvestmentFunction::Agriculture;
        b.ubigeo = Ubigeo::parse("u", "180301").unwrap();
        b.participatory_budget = true;
        let mut c = a.clone();
        c.executing_unit = "Sin PIM".into();
        let sa = snap(d(2025, 6, 30), 1000.0, 200.0, None);
        let sb = snap(d(2025, 6, 30), 500.0, 400.0, None);
        let alert = alerts(
            std::slice::from_ref(&sa),
            &[],
            None,
            InvestmentStage::Execution,
            &AlertThresholds::default(),
        );
        let facts = vec![
            YearFacts {
                definition: &a,
                snapshot: Some(&sa),
                alerts: &alert,
            },
            YearFacts {
                definition: &b,
                snapshot: Some(&sb),
                alerts: &[],
            },
            YearFacts {
                definition: &c,
                snapshot: None,
                alerts: &[],
            },
        ];
        let s = summarise(2025, &facts);
        assert_eq!(s.totals.count, 3);
        assert_eq!(s.totals.cost, 30_000_000.0);
        assert_eq!(s.totals.pim, 1500.0);
        assert_eq!(s.totals.accrued, 600.0);
        assert_eq!(s.totals.execution(), Some(0.4));
        assert_eq!(s.participatory.count, 1);
        let units: Vec<&str> = s.units.iter().map(|u| u.0.unit.as_str()).collect();
        assert_eq!(units, vec!["Agricultura", "Sede central", "Sin PIM"]);
        assert_eq!(s.units[1].1.alerts, 1);
        assert_eq!(s.by_function.len(), 2);
        assert_eq!(s.by_function[0].0, InvestmentFunction::Sanitation);
        assert_eq!(s.by_function[0].1.count, 2);
        let provinces: Vec<&str> = s.by_province.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(provinces, vec!["1801", "1803"]);
        assert_eq!(
            s.alerts_by_kind,
            vec![
                (AlertKind::Physical, 0),
                (AlertKind::Financial, 1),
                (AlertKind::Budget, 0)
            ]
        );
    }

    #[test]
    fn indicator_gap_is_what_progress_has_not_closed() {
        assert_eq!(indicator_gap(0.0), Some(1.0));
        assert_eq!(indicator_gap(0.75), Some(0.25));
        assert_eq!(indicator_gap(1.4), Some(0.0));
        assert_eq!(indicator_gap(-0.5), Some(1.0));
        assert_eq!(indicator_gap(f64::NAN), None);
        assert_eq!(mean_gap(&[0.5, 1.0]), Some(0.75));
        assert_eq!(mean_gap(&[]), None);
    }

    #[test]
    fn prioritisation_weighs_criteria_and_marks_the_envelope() {
        let mut big = draft().parse().unwrap();
        big.beneficiaries = Some(10_000);
        let mut small = big.clone();
        small.beneficiaries = Some(2_500);
        small.stage = InvestmentStage::Idea;
        let mut closed = big.clone();
        closed.stage = InvestmentStage::Closed;
        let criteria = Criteria {
            gap_weight: 2.0,
            stage_weight: 1.0,
            scale_weight: 1.0,
            scale_basis: ScaleBasis::Beneficiaries,
            judged: vec![JudgedCriterion {
                code: "equity".into(),
                name: "Equidad territorial".into(),
                weight: 4.0,
            }],
        };
        let five: BTreeMap<String, i32> = [("equity".to_string(), 5)].into();
        let none = BTreeMap::new();
        let cands = vec![
            Candidate {
                id: 1,
                definition: &big,
                gap: Some(0.5),
                scores: &none,
                need: 600.0,
            },
            Candidate {
                id: 2,
                definition: &small,
                gap: Some(1.0),
                scores: &five,
                need: 300.0,
            },
            Candidate {
                id: 3,
                definition: &closed,
                gap: None,
                scores: &none,
                need: 1.0,
            },
        ];
        let ranked = prioritise(&cands, &criteria, Some(800.0));
        assert_eq!(ranked.len(), 2, "closed investments are not prioritised");
        // 1: (2×0.5 + 1×1 + 1×1) / 4 = 0.75 (no judged score: it does not count).
        // 2: (2×1 + 1×0 + 1×0.25 + 4×1) / 8 = 0.78125.
        assert_eq!(ranked[0].id, 2);
        assert!((ranked[0].score - 0.78125).abs() < 1e-12);
        assert_eq!(ranked[1].id, 1);
        assert!((ranked[1].score - 0.75).abs() < 1e-12);
        assert_eq!(ranked[0].rank, 1);
        assert_eq!(ranked[1].cumulative_need, 900.0);
        assert_eq!(ranked[0].fits, Some(true));
        assert_eq!(ranked[1].fits, Some(false));
        assert_eq!(prioritise(&cands, &criteria, None)[0].fits, None);
    }

    #[test]
    fn a_year_need_is_its_pim_or_what_remains() {
        let def = draft().parse().unwrap();
        let snaps = vec![Snapshot {
            accrued_before: 4_000_000.0,
            ..snap(d(2024, 12, 31), 3_000_000.0, 1_000_000.0, None)
        }];
        assert_eq!(year_need(&def, &snaps, 2024), 3_000_000.0);
        assert_eq!(year_need(&def, &snaps, 2025), 5_000_000.0);
        assert_eq!(year_need(&def, &[], 2025), 10_000_000.0);
    }
}
