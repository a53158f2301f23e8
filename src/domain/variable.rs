//! The variable repository: statistical variables, how their values roll up over territory
//! and time, and how formula indicators are computed from them.
//!
//! Roll-up never invents data: a department's value is its own observation when there is
//! one, otherwise the combination (by the variable's rule) of the provinces that have a value,
//! each of which is in turn its own observation or the combination of its districts. A rule of
//! `none` means the variable is never combined.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::error::FieldError;
use super::formula::{EvalError, Expr};
use super::indicator::vocabulary;
use super::period::{Period, PeriodType};
use super::territory::{TerritoryLevel, Ubigeo};

vocabulary!(
    /// Where a variable's values come from.
    SourceKind {
        Pdrc => "pdrc",
        Siigorem => "siigorem",
        Inei => "inei",
        Mef => "mef",
        Minsa => "minsa",
        Minedu => "minedu",
        Midis => "midis",
        Ana => "ana",
        Oefa => "oefa",
        Sunass => "sunass",
        Minem => "minem",
        CompanyReport => "company_report",
        CommunitySurvey => "community_survey",
        Other => "other",
    }
);

vocabulary!(
    /// Whether the source actually publishes the variable.
    Availability {
        Available => "available",
        Partial => "partial",
        NotAvailable => "not_available",
    }
);

vocabulary!(
    /// How values of smaller territories (or shorter periods) combine into a larger one.
    RollUp {
        Sum => "sum",
        Mean => "mean",
        WeightedMean => "weighted_mean",
        None => "none",
    }
);

/// A variable's code: an upper-case letter, then up to 19 upper-case letters, digits or `_`
/// (`V001`, `POB_TOTAL`), so that a formula can name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct VariableCode(String);

impl VariableCode {
    pub fn parse(field: &str, raw: &str) -> Result<VariableCode, FieldError> {
        let s = raw.trim();
        let mut bytes = s.bytes();
        let ok = (1..=20).contains(&s.len())
            && bytes.next().is_some_and(|b| b.is_ascii_uppercase())
            && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(VariableCode(s.to_string()))
        } else {
            Err(FieldError::new(
                field,
                "variable_code",
                format!(
                    "'{s}' is not a variable code: use an upper-case letter then up to 19 upper-case letters, digits or '_' (e.g. V001)"
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for VariableCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether observations of a variable can serve an indicator of periodicity `wanted`: the same
/// periodicity, or a finer one the variable's rule can add up or average over time (twelve
/// monthly values make a year). A coarser variable cannot serve (a census does not give a
/// yearly value).
pub fn serves(periodicity: PeriodType, rollup: RollUp, wanted: PeriodType) -> Result<(), String> {
    if periodicity == wanted {
        return Ok(());
    }
    if periodicity.per_year() < wanted.per_year() {
        return Err(format!(
            "its values are {} and cannot give {} values",
            periodicity.as_str(),
            wanted.as_str()
        ));
    }
    match rollup {
        RollUp::Sum | RollUp::Mean => Ok(()),
        RollUp::WeightedMean | RollUp::None => Err(format!(
            "its values are {} and its roll-up rule ({}) cannot combine them into {} values",
            periodicity.as_str(),
            rollup.as_str(),
            wanted.as_str()
        )),
    }
}

/// What roll-up needs to know of a variable.
#[derive(Debug, Clone)]
pub struct VariableRule {
    pub periodicity: PeriodType,
    pub rollup: RollUp,
    /// The weight variable's code, for `weighted_mean`.
    pub weight: Option<String>,
}

/// A variable's value at a territory and period, and how it was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Resolved {
    pub value: f64,
    /// How many territories one level down were combined; 0 when observed directly.
    pub combined: usize,
}

type Key = (String, Period, String);

/// Approved observations of some variables, indexed for roll-up.
#[derive(Debug, Default)]
pub struct ObservationSet {
    direct: HashMap<Key, f64>,
    /// For each (variable, period, territory), the territories one level down that have data
    /// somewhere beneath them.
    children: HashMap<Key, BTreeSet<String>>,
    /// Every period observed per variable.
    periods: HashMap<String, BTreeSet<Period>>,
}

impl ObservationSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, code: &str, period: Period, territory: &Ubigeo, value: f64) {
        let mut child = territory.clone();
        for parent in territory.ancestors() {
            self.children
                .entry((code.to_string(), period, parent.as_str().to_string()))
                .or_default()
                .insert(child.as_str().to_string());
            child = parent;
        }
        self.periods
            .entry(code.to_string())
            .or_default()
            .insert(period);
        self.direct.insert(
            (code.to_string(), period, territory.as_str().to_string()),
            value,
        );
    }

    /// The periods with an observation of `code`, in order.
    pub fn periods_of(&self, code: &str) -> impl Iterator<Item = &Period> {
        self.periods.get(code).into_iter().flatten()
    }

    /// The value of `code` for `period` (of the variable's own periodicity) at `territory`.
    pub fn resolve(
        &self,
        rules: &HashMap<String, VariableRule>,
        code: &str,
        period: &Period,
        territory: &str,
    ) -> Option<Resolved> {
        let key = (code.to_string(), *period, territory.to_string());
        if let Some(v) = self.direct.get(&key) {
            return Some(Resolved {
                value: *v,
                combined: 0,
            });
        }
        let rule = rules.get(code)?;
        let children = self.children.get(&key)?;
        let values: Vec<(f64, &String)> = children
            .iter()
            .filter_map(|c| self.resolve(rules, code, period, c).map(|r| (r.value, c)))
            .collect();
        if values.is_empty() {
            return None;
        }
        let n = values.len();
        let value = match rule.rollup {
            RollUp::None => return None,
            RollUp::Sum => values.iter().map(|(v, _)| v).sum(),
            RollUp::Mean => values.iter().map(|(v, _)| v).sum::<f64>() / n as f64,
            RollUp::WeightedMean => {
                let weight = rule.weight.as_deref()?;
                let mut num = 0.0;
                let mut den = 0.0;
                for (v, c) in &values {
                    // Every part needs its weight; without it the mean would be a guess.
                    let w = self.resolve(rules, weight, period, c)?.value;
                    num += v * w;
                    den += w;
                }
                if den == 0.0 {
                    return None;
                }
                num / den
            }
        };
        value.is_finite().then_some(Resolved { value, combined: n })
    }

    /// The value of `code` for `wanted` at `territory`, combining shorter periods by the
    /// variable's rule when it is observed more often than `wanted` (every one of them must
    /// have a value).
    pub fn value_for(
        &self,
        rules: &HashMap<String, VariableRule>,
        code: &str,
        wanted: &Period,
        territory: &str,
    ) -> Option<f64> {
        let rule = rules.get(code)?;
        if rule.periodicity == wanted.kind() {
            return self
                .resolve(rules, code, wanted, territory)
                .map(|r| r.value);
        }
        serves(rule.periodicity, rule.rollup, wanted.kind()).ok()?;
        let parts = Period::range(rule.periodicity, wanted, wanted);
        let values = parts
            .iter()
            .map(|p| self.resolve(rules, code, p, territory).map(|r| r.value))
            .collect::<Option<Vec<f64>>>()?;
        if values.is_empty() {
            return None;
        }
        let total: f64 = values.iter().sum();
        Some(match rule.rollup {
            RollUp::Sum => total,
            _ => total / values.len() as f64,
        })
    }

    /// The periods of type `kind` for which any input of `expr` has data.
    pub fn candidate_periods(&self, expr: &Expr, kind: PeriodType) -> BTreeSet<Period> {
        expr.variables()
            .iter()
            .flat_map(|code| self.periods_of(code))
            .filter_map(|p| Period::containing(kind, p.start()))
            .collect()
    }

    /// Evaluates a formula for one period and territory.
    pub fn evaluate(
        &self,
        rules: &HashMap<String, VariableRule>,
        expr: &Expr,
        period: &Period,
        territory: &str,
    ) -> Result<f64, EvalError> {
        expr.eval(&|code| self.value_for(rules, code, period, territory))
    }
}

/// Whether an observation at `territory` is possible for a variable published down to `level`.
pub fn level_allows(level: TerritoryLevel, territory: &Ubigeo) -> bool {
    territory.level() <= level
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse("p", s).unwrap()
    }

    fn u(s: &str) -> Ubigeo {
        Ubigeo::parse("t", s).unwrap()
    }

    fn rules() -> HashMap<String, VariableRule> {
        let yearly = |rollup, weight: Option<&str>| VariableRule {
            periodicity: PeriodType::Yearly,
            rollup,
            weight: weight.map(str::to_string),
        };
        HashMap::from([
            ("POP".to_string(), yearly(RollUp::Sum, None)),
            (
                "RATE".to_string(),
                yearly(RollUp::WeightedMean, Some("POP")),
            ),
            ("AVG".to_string(), yearly(RollUp::Mean, None)),
            ("PH".to_string(), yearly(RollUp::None, None)),
            (
                "RAIN".to_string(),
                VariableRule {
                    periodicity: PeriodType::Quarterly,
                    rollup: RollUp::Sum,
                    weight: None,
                },
            ),
        ])
    }

    fn set() -> ObservationSet {
        let mut s = ObservationSet::new();
        let y = p("2024");
        // Two provinces; the second one only through its two districts.
        s.insert("POP", y, &u("1801"), 100.0);
        s.insert("POP", y, &u("180201"), 30.0);
        s.insert("POP", y, &u("180202"), 70.0);
        s.insert("RATE", y, &u("1801"), 10.0);
        s.insert("RATE", y, &u("180201"), 20.0);
        s.insert("RATE", y, &u("180202"), 40.0);
        s.insert("AVG", y, &u("1801"), 1.0);
        s.insert("AVG", y, &u("1802"), 2.0);
        s.insert("AVG", y, &u("1803"), 6.0);
        s.insert("PH", y, &u("1801"), 7.0);
        s.insert("PH", y, &u("1802"), 8.0);
        for (q, v) in [
            ("2024Q1", 1.0),
            ("2024Q2", 2.0),
            ("2024Q3", 3.0),
            ("2024Q4", 4.0),
        ] {
            s.insert("RAIN", p(q), &u("18"), v);
        }
        s.insert("RAIN", p("2023Q1"), &u("18"), 9.0);
        s
    }

    #[test]
    fn sums_roll_up_through_every_level() {
        let (s, r) = (set(), rules());
        let prov = s.resolve(&r, "POP", &p("2024"), "1802").unwrap();
        assert_eq!(
            prov,
            Resolved {
                value: 100.0,
                combined: 2
            }
        );
        let dep = s.resolve(&r, "POP", &p("2024"), "18").unwrap();
        assert_eq!(
            dep,
            Resolved {
                value: 200.0,
                combined: 2
            }
        );
        // A direct observation wins over the roll-up.
        assert_eq!(
            s.resolve(&r, "POP", &p("2024"), "1801").unwrap().combined,
            0
        );
        assert!(s.resolve(&r, "POP", &p("2023"), "18").is_none());
        assert!(s.resolve(&r, "POP", &p("2024"), "1803").is_none());
    }

    #[test]
    fn weighted_means_use_the_weight_of_each_part() {
        let (s, r) = (set(), rules());
        // Province 1802: (20*30 + 40*70) / 100 = 34.
        let prov = s.resolve(&r, "RATE", &p("2024"), "1802").unwrap().value;
        assert!((prov - 34.0).abs() < 1e-9);
        // Department: (10*100 + 34*100) / 200 = 22.
        let dep = s.resolve(&r, "RATE", &p("2024"), "18").unwrap().value;
        assert!((dep - 22.0).abs() < 1e-9, "{dep}");
    }

    #[test]
    fn weighted_mean_without_every_weight_gives_nothing() {
        let mut s = set();
        s.insert("RATE", p("2024"), &u("1803"), 99.0);
        assert!(s.resolve(&rules(), "RATE", &p("2024"), "18").is_none());
    }

    #[test]
    fn plain_means_and_the_none_rule() {
        let (s, r) = (set(), rules());
        assert_eq!(s.resolve(&r, "AVG", &p("2024"), "18").unwrap().value, 3.0);
        assert!(s.resolve(&r, "PH", &p("2024"), "18").is_none());
        assert_eq!(s.resolve(&r, "PH", &p("2024"), "1802").unwrap().value, 8.0);
    }

    #[test]
    fn finer_periods_combine_only_when_complete() {
        let (s, r) = (set(), rules());
        assert_eq!(s.value_for(&r, "RAIN", &p("2024"), "18"), Some(10.0));
        assert_eq!(s.value_for(&r, "RAIN", &p("2023"), "18"), None);
        assert_eq!(s.value_for(&r, "POP", &p("2024Q1"), "18"), None);
    }

    #[test]
    fn formulas_evaluate_over_rolled_up_values() {
        let (s, r) = (set(), rules());
        let e = Expr::parse("100 * RATE / POP").unwrap();
        let v = s.evaluate(&r, &e, &p("2024"), "18").unwrap();
        assert!((v - 11.0).abs() < 1e-9);
        assert_eq!(
            s.evaluate(&r, &e, &p("2024"), "1803"),
            Err(EvalError::Missing(vec!["POP".into(), "RATE".into()]))
        );
        let z = Expr::parse("POP / (AVG - 3)").unwrap();
        assert_eq!(
            s.evaluate(&r, &z, &p("2024"), "18"),
            Err(EvalError::DivisionByZero)
        );
        let periods: Vec<String> = s
            .candidate_periods(&Expr::parse("RAIN + POP").unwrap(), PeriodType::Yearly)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(periods, ["2023", "2024"]);
    }

    #[test]
    fn periodicity_rules() {
        use PeriodType::*;
        assert!(serves(Yearly, RollUp::None, Yearly).is_ok());
        assert!(serves(Monthly, RollUp::Sum, Yearly).is_ok());
        assert!(serves(Monthly, RollUp::None, Yearly).is_err());
        assert!(serves(Yearly, RollUp::Sum, Quarterly).is_err());
    }

    #[test]
    fn codes() {
        assert!(VariableCode::parse("c", "V001").is_ok());
        assert!(VariableCode::parse("c", "POB_TOTAL").is_ok());
        for bad in ["", "v001", "1V", "V-1", "VERYLONGCODE123456789"] {
            assert!(VariableCode::parse("c", bad).is_err(), "{bad}");
        }
    }
}
