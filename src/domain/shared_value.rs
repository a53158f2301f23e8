//! Shared value (Porter & Kramer): hybrid metrics that tie a company's social or environmental
//! result to a financial one (Kramer et al. 2020), and the grouping of the scorecard's progress
//! by shared-value form, metric category, theme and actor.
//!
//! Pure functions, no I/O.

use std::collections::BTreeMap;

use super::causal::{CausalCheck, ExpectedSign, Verdict, causal_check};
use super::indicator::vocabulary;
use super::period::Period;
use super::scoring::Score;

vocabulary!(
    /// How a hybrid metric relates its two indicators: `ratio` = social ÷ financial (e.g. local
    /// procurement per US$ million of sales), `inverse_ratio` = financial ÷ social, `paired` =
    /// both shown side by side with no combined value.
    HybridRelation {
        Ratio => "ratio",
        InverseRatio => "inverse_ratio",
        Paired => "paired",
    }
);

vocabulary!(
    /// Whether a hybrid metric is steered by.
    HybridStatus {
        Proposed => "proposed",
        Adopted => "adopted",
    }
);

/// One period of a hybrid metric: its two inputs and the combined value.
#[derive(Debug, Clone, PartialEq)]
pub struct HybridPoint {
    pub period: Period,
    pub social: Option<f64>,
    pub financial: Option<f64>,
    /// `None` for `paired`, when an input is missing, or when dividing by zero.
    pub value: Option<f64>,
}

impl HybridRelation {
    /// The combined value of one period.
    pub fn combine(self, social: Option<f64>, financial: Option<f64>) -> Option<f64> {
        let (s, f) = (social?, financial?);
        let v = match self {
            HybridRelation::Ratio if f != 0.0 => s / f,
            HybridRelation::InverseRatio if s != 0.0 => f / s,
            _ => return None,
        };
        v.is_finite().then_some(v)
    }
}

/// The per-period series of a hybrid metric over every period where either input has a value.
pub fn hybrid_series(
    relation: HybridRelation,
    social: &[(Period, f64)],
    financial: &[(Period, f64)],
) -> Vec<HybridPoint> {
    let mut periods: BTreeMap<Period, (Option<f64>, Option<f64>)> = BTreeMap::new();
    for (p, v) in social {
        periods.entry(*p).or_default().0 = Some(*v);
    }
    for (p, v) in financial {
        periods.entry(*p).or_default().1 = Some(*v);
    }
    periods
        .into_iter()
        .map(|(period, (social, financial))| HybridPoint {
            period,
            social,
            financial,
            value: relation.combine(social, financial),
        })
        .collect()
}

/// The causal check a hybrid metric needs before adoption: does the financial result follow
/// the social or environmental one (lags 0 to 2)?
pub fn hybrid_check(
    social: &[(Period, f64)],
    financial: &[(Period, f64)],
    expected: ExpectedSign,
) -> CausalCheck {
    causal_check(social, financial, expected)
}

/// Whether a coordinator may adopt a hybrid metric with this check: only when supported, or
/// with a written justification (at least 20 characters) that overrides the verdict.
pub fn may_adopt(check: &CausalCheck, justification: Option<&str>) -> Result<(), String> {
    if check.verdict == Verdict::Supported {
        return Ok(());
    }
    match justification.map(str::trim) {
        Some(j) if j.chars().count() >= 20 => Ok(()),
        Some(_) => Err(
            "a justification that overrides the causal check must say why in at least 20 characters"
                .into(),
        ),
        None => Err(format!(
            "the causal check is {} (n = {}{}): adopt only with a written justification",
            check.verdict.as_str(),
            check.n,
            check
                .r
                .map(|r| format!(", best |r| = {:.2}", r.abs()))
                .unwrap_or_default()
        )),
    }
}

/// One indicator's part in the shared-value view.
#[derive(Debug, Clone)]
pub struct IndicatorShare<K> {
    pub weight: f64,
    /// Performance against the plan (the roll-up clamps it to [0, 1]).
    pub performance: Option<f64>,
    /// The groups the indicator belongs to (an indicator may be in several, or none).
    pub keys: Vec<K>,
}

/// Score and coverage per group: the weighted mean of each indicator's performance (clamped
/// to [0, 1]), with the share of indicators that have data, as in the scorecard's roll-up.
pub fn group_scores<K: Ord + Clone>(items: &[IndicatorShare<K>]) -> BTreeMap<K, Score> {
    let mut groups: BTreeMap<K, Vec<Score>> = BTreeMap::new();
    for item in items {
        for k in &item.keys {
            groups
                .entry(k.clone())
                .or_default()
                .push(Score::indicator(item.weight, item.performance));
        }
    }
    groups
        .into_iter()
        .map(|(k, scores)| (k, Score::combine(1.0, &scores)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse("p", s).unwrap()
    }

    #[test]
    fn ratios_and_missing_inputs() {
        let social = [(p("2021"), 30.0), (p("2022"), 45.0), (p("2023"), 10.0)];
        let financial = [(p("2021"), 600.0), (p("2022"), 0.0), (p("2024"), 700.0)];
        let s = hybrid_series(HybridRelation::Ratio, &social, &financial);
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].value, Some(0.05));
        assert_eq!(s[1].value, None, "division by zero gives no value");
        assert_eq!((s[2].financial, s[2].value), (None, None));
        assert_eq!((s[3].social, s[3].value), (None, None));
        let inv = hybrid_series(HybridRelation::InverseRatio, &social, &financial);
        assert_eq!(inv[0].value, Some(20.0));
        let paired = hybrid_series(HybridRelation::Paired, &social, &financial);
        assert!(paired.iter().all(|x| x.value.is_none()));
        assert_eq!(paired[0].social, Some(30.0));
    }

    #[test]
    fn adoption_needs_support_or_a_justification() {
        let years = |v: &[f64]| -> Vec<(Period, f64)> {
            v.iter()
                .enumerate()
                .map(|(i, x)| {
                    (
                        Period::new(crate::domain::PeriodType::Yearly, 2018 + i as i32, 1).unwrap(),
                        *x,
                    )
                })
                .collect()
        };
        let strong = hybrid_check(
            &years(&[1.0, 2.0, 3.0, 4.0, 5.0]),
            &years(&[2.0, 4.1, 5.9, 8.2, 9.9]),
            ExpectedSign::Positive,
        );
        assert_eq!(strong.verdict, Verdict::Supported);
        assert!(may_adopt(&strong, None).is_ok());
        let short = hybrid_check(
            &years(&[1.0, 2.0, 3.0]),
            &years(&[2.0, 4.0, 6.0]),
            ExpectedSign::Positive,
        );
        assert_eq!(short.verdict, Verdict::InsufficientData);
        let e = may_adopt(&short, None).unwrap_err();
        assert!(
            e.contains("INSUFFICIENT_DATA") && e.contains("justification"),
            "{e}"
        );
        assert!(may_adopt(&short, Some("porque sí")).is_err());
        assert!(
            may_adopt(
                &short,
                Some("Acordado en la mesa técnica del 12/05 por falta de series")
            )
            .is_ok()
        );
    }

    #[test]
    fn groups_average_clamped_performance_with_coverage() {
        let items = vec![
            IndicatorShare {
                weight: 1.0,
                performance: Some(0.5),
                keys: vec!["a", "b"],
            },
            IndicatorShare {
                weight: 3.0,
                performance: Some(1.5),
                keys: vec!["a"],
            },
            IndicatorShare {
                weight: 1.0,
                performance: None,
                keys: vec!["b"],
            },
            IndicatorShare {
                weight: 1.0,
                performance: Some(0.2),
                keys: vec![],
            },
            IndicatorShare {
                weight: 1.0,
                performance: Some(-3.0),
                keys: vec!["c"],
            },
        ];
        let g = group_scores(&items);
        assert_eq!(g.len(), 3);
        // c: worse than the baseline counts as 0, never below
        assert_eq!(g["c"].score, Some(0.0));
        // a: (1·0.5 + 3·1.0) / 4 = 0.875, both with data
        assert!((g["a"].score.unwrap() - 0.875).abs() < 1e-12);
        assert_eq!((g["a"].with_data, g["a"].total), (2, 2));
        // b: only the indicator with data counts in the score; coverage 1 of 2
        assert!((g["b"].score.unwrap() - 0.5).abs() < 1e-12);
        assert_eq!((g["b"].with_data, g["b"].total), (1, 2));
    }
}
