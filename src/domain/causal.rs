//! The causal check of a hypothesised cause → effect relation between two period series.
//!
//! Kramer et al. (2020) let a coordinator pair each *outcome* metric of shared value with a
//! *hybrid* metric: a business or social quantity that is believed to drive the outcome and that
//! can be measured sooner and more often. A hybrid metric is only worth steering by if the data
//! back that belief, so this check is required before a coordinator adopts a hybrid metric. The
//! same check is applied to the cause → effect links drawn on the strategy map.
//!
//! Method. The cause observed at period `t` is paired with the effect observed at period
//! `t + lag`, for `lag` = 0, 1, …, [`MAX_LAG`] periods of the series' own periodicity (a lag of
//! one on quarterly data is one quarter; shifting uses [`Period::next`]). Only points whose
//! periods match exactly after the shift are paired. For each lag the Pearson correlation `r` of
//! the pairs is computed; the best lag is the one with the largest `|r|` among lags with at least
//! [`MIN_N`] pairs (ties go to the smaller lag), and an ordinary least-squares line of effect on
//! cause is fitted at that lag to show the size of the relation. The relation is *supported* when
//! `|r|` at the best lag reaches [`MIN_ABS_R`], *not supported* otherwise, and the data are
//! *insufficient* when no lag has [`MIN_N`] pairs with a defined correlation.
//!
//! A correlation at a lag is evidence of an association consistent with the hypothesis (the
//! cause moves first and the effect follows), **not proof of causation**: both series may follow
//! a third factor, the sample is short, and no confounder is controlled for. A supported verdict
//! means the data do not contradict the hypothesis; it does not establish it.
//!
//! Pure functions, no I/O; unit-tested with hand-worked numbers.

use std::collections::BTreeMap;

use serde::Serialize;

use super::period::Period;

/// The largest p-value, corrected for the lags tried, for the relation to count as supported.
pub const MAX_P: f64 = 0.05;

super::indicator::vocabulary!(
    /// The sign a relation is expected to have: the effect rises with the cause (`positive`)
    /// or falls as it rises (`negative`, e.g. water use per tonne against recycling).
    ExpectedSign {
        Positive => "positive",
        Negative => "negative",
    }
);

/// A relation is expected to be positive unless its author says otherwise.
impl Default for ExpectedSign {
    fn default() -> Self {
        ExpectedSign::Positive
    }
}

impl ExpectedSign {
    /// Whether a correlation has this sign.
    pub fn agrees(self, r: f64) -> bool {
        match self {
            ExpectedSign::Positive => r > 0.0,
            ExpectedSign::Negative => r < 0.0,
        }
    }
}

/// The two-sided p-value of a Pearson correlation `r` over `n` pairs: Student's t test of
/// `t = r √(n − 2) / √(1 − r²)` on `n − 2` degrees of freedom. `None` with fewer than three
/// pairs.
pub fn p_value(r: f64, n: usize) -> Option<f64> {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    if n < 3 || !r.is_finite() {
        return None;
    }
    if r.abs() >= 1.0 {
        return Some(0.0);
    }
    let df = (n - 2) as f64;
    let t = r * df.sqrt() / (1.0 - r * r).sqrt();
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    let p = 2.0 * (1.0 - dist.cdf(t.abs()));
    p.is_finite().then_some(p.clamp(0.0, 1.0))
}

/// The fewest pairs a lag needs to be considered.
pub const MIN_N: usize = 5;
/// The smallest `|r|` at the best lag for the relation to count as supported.
pub const MIN_ABS_R: f64 = 0.6;
/// The largest lag tried, in periods.
pub const MAX_LAG: u32 = 2;

/// Means and centred sums of squares and cross-products of paired samples:
/// `(mean x, mean y, Sxx, Syy, Sxy)`. `None` when the lengths differ, there are fewer than two
/// pairs, or a value is not finite.
fn moments(xs: &[f64], ys: &[f64]) -> Option<(f64, f64, f64, f64, f64)> {
    if xs.len() != ys.len() || xs.len() < 2 {
        return None;
    }
    if xs.iter().chain(ys).any(|v| !v.is_finite()) {
        return None;
    }
    let n = xs.len() as f64;
    let mx = xs.iter().sum::<f64>() / n;
    let my = ys.iter().sum::<f64>() / n;
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        let (dx, dy) = (x - mx, y - my);
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    let all = mx.is_finite() && my.is_finite() && sxx.is_finite() && syy.is_finite();
    (all && sxy.is_finite()).then_some((mx, my, sxx, syy, sxy))
}

/// Whether every value equals the first (zero variance, tested exactly rather than through a
/// sum of squares that rounding can leave slightly above zero).
fn constant(vs: &[f64]) -> bool {
    vs.iter().all(|v| Some(v) == vs.first())
}

/// Pearson correlation of paired samples, in `[-1, 1]`. `None` when the lengths differ, there
/// are fewer than two pairs, either series has zero variance, or the result is not finite.
pub fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let (_, _, sxx, syy, sxy) = moments(xs, ys)?;
    if constant(xs) || constant(ys) || sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    let r = sxy / (sxx * syy).sqrt();
    r.is_finite().then_some(r.clamp(-1.0, 1.0))
}

/// An ordinary least-squares line `y = slope · x + intercept`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ols {
    pub slope: f64,
    pub intercept: f64,
}

/// Ordinary least squares of `ys` on `xs`: `slope = Sxy / Sxx`, `intercept = ȳ − slope · x̄`.
/// `None` when the lengths differ, there are fewer than two pairs, `xs` has zero variance, or
/// the result is not finite.
pub fn ols(xs: &[f64], ys: &[f64]) -> Option<Ols> {
    let (mx, my, sxx, _, sxy) = moments(xs, ys)?;
    if constant(xs) || sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    (slope.is_finite() && intercept.is_finite()).then_some(Ols { slope, intercept })
}

/// The outcome of a causal check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// `|r|` at the best lag is at least [`MIN_ABS_R`].
    Supported,
    /// `|r|` at the best lag is below [`MIN_ABS_R`].
    NotSupported,
    /// No lag has [`MIN_N`] pairs with a defined correlation.
    InsufficientData,
}

impl Verdict {
    /// The stored and published word: `SUPPORTED`, `NOT_SUPPORTED`, `INSUFFICIENT_DATA`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Supported => "SUPPORTED",
            Verdict::NotSupported => "NOT_SUPPORTED",
            Verdict::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

impl std::str::FromStr for Verdict {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        [
            Verdict::Supported,
            Verdict::NotSupported,
            Verdict::InsufficientData,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
        .ok_or(())
    }
}

/// The pairs and correlation at one lag.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LagResult {
    /// In periods of the series' own periodicity.
    pub lag: u32,
    /// Number of (cause at t, effect at t + lag) pairs.
    pub n: usize,
    /// Pearson correlation of the pairs; `None` when undefined.
    pub r: Option<f64>,
}

/// The result of [`causal_check`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CausalCheck {
    pub verdict: Verdict,
    /// The sign the relation was expected to have.
    pub expected_sign: ExpectedSign,
    /// The two-sided p-value at the best lag, multiplied by the number of lags tried
    /// (Bonferroni: the best of several lags looks better than any one would by chance).
    pub p: Option<f64>,
    /// Lags with enough pairs and a defined correlation: the correction's factor.
    pub lags_tried: usize,
    /// Pairs at the best lag; with insufficient data, the largest number of pairs at any lag.
    pub n: usize,
    pub best_lag: Option<u32>,
    /// Correlation at the best lag.
    pub r: Option<f64>,
    /// Least-squares slope of effect on cause at the best lag.
    pub slope: Option<f64>,
    /// Least-squares intercept of effect on cause at the best lag.
    pub intercept: Option<f64>,
    /// Every lag from 0 to [`MAX_LAG`], in order.
    pub lags: Vec<LagResult>,
}

/// One value per period, the last one given winning over earlier duplicates.
fn by_period(series: &[(Period, f64)]) -> BTreeMap<Period, f64> {
    series.iter().copied().collect()
}

/// The period `lag` periods after `p`, if within range.
fn shifted(p: Period, lag: u32) -> Option<Period> {
    (0..lag).try_fold(p, |q, _| q.next())
}

/// The (cause at t, effect at t + lag) pairs, in order of t.
fn pairs(
    cause: &BTreeMap<Period, f64>,
    effect: &BTreeMap<Period, f64>,
    lag: u32,
) -> (Vec<f64>, Vec<f64>) {
    cause
        .iter()
        .filter_map(|(t, x)| {
            let y = effect.get(&shifted(*t, lag)?)?;
            Some((*x, *y))
        })
        .unzip()
}

/// Checks whether `effect` follows `cause` at a lag of 0 to [`MAX_LAG`] periods (see the module
/// documentation). Both series are expected to have the same periodicity; they may be given in
/// any order, and for a period given more than once the last value counts. A value that is not
/// finite makes the correlation of every lag that pairs it undefined.
pub fn causal_check(
    cause: &[(Period, f64)],
    effect: &[(Period, f64)],
    expected_sign: ExpectedSign,
) -> CausalCheck {
    let cause = by_period(cause);
    let effect = by_period(effect);
    let per_lag: Vec<(LagResult, Vec<f64>, Vec<f64>)> = (0..=MAX_LAG)
        .map(|lag| {
            let (xs, ys) = pairs(&cause, &effect, lag);
            let result = LagResult {
                lag,
                n: xs.len(),
                r: pearson(&xs, &ys),
            };
            (result, xs, ys)
        })
        .collect();
    let lags: Vec<LagResult> = per_lag.iter().map(|(l, _, _)| *l).collect();

    // The largest |r| among lags with enough pairs; strict comparison keeps the smaller lag on a tie.
    let mut best: Option<(&LagResult, &[f64], &[f64], f64)> = None;
    for (l, xs, ys) in &per_lag {
        let Some(r) = l.r else { continue };
        if l.n < MIN_N {
            continue;
        }
        if best.is_none_or(|(_, _, _, b)| r.abs() > b.abs()) {
            best = Some((l, xs, ys, r));
        }
    }

    let lags_tried = per_lag
        .iter()
        .filter(|(l, _, _)| l.n >= MIN_N && l.r.is_some())
        .count();
    match best {
        None => CausalCheck {
            verdict: Verdict::InsufficientData,
            expected_sign,
            p: None,
            lags_tried,
            n: lags.iter().map(|l| l.n).max().unwrap_or(0),
            best_lag: None,
            r: None,
            slope: None,
            intercept: None,
            lags,
        },
        Some((l, xs, ys, r)) => {
            let fit = ols(xs, ys);
            let p = p_value(r, l.n).map(|p| (p * lags_tried as f64).min(1.0));
            let supported =
                expected_sign.agrees(r) && r.abs() >= MIN_ABS_R && p.is_some_and(|p| p <= MAX_P);
            CausalCheck {
                verdict: if supported {
                    Verdict::Supported
                } else {
                    Verdict::NotSupported
                },
                expected_sign,
                p,
                lags_tried,
                n: l.n,
                best_lag: Some(l.lag),
                r: Some(r),
                slope: fit.map(|f| f.slope),
                intercept: fit.map(|f| f.intercept),
                lags,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: f64 = 1e-9;

    fn p(s: &str) -> Period {
        Period::parse("p", s).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < TOL
    }

    fn assert_close(actual: Option<f64>, expected: f64) {
        let a = actual.unwrap_or(f64::NAN);
        assert!(close(a, expected), "got {actual:?}, expected {expected}");
    }

    /// A yearly series starting at `first`.
    fn yearly(first: i32, values: &[f64]) -> Vec<(Period, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (p(&(first + i as i32).to_string()), *v))
            .collect()
    }

    #[test]
    fn pearson_and_ols_of_a_textbook_sample() {
        // x = 1..5, y = 2,4,5,4,5. x̄ = 15/5 = 3, ȳ = 20/5 = 4.
        // dx = -2,-1,0,1,2; dy = -2,0,1,0,1.
        // Sxy = 4 + 0 + 0 + 0 + 2 = 6; Sxx = 4+1+0+1+4 = 10; Syy = 4+0+1+0+1 = 6.
        // r = 6 / sqrt(10 · 6) = 6 / sqrt(60) ≈ 0.774597.
        // slope = Sxy / Sxx = 0.6; intercept = 4 − 0.6 · 3 = 2.2.
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        let ys = [2.0, 4.0, 5.0, 4.0, 5.0];
        assert_close(pearson(&xs, &ys), 6.0 / 60f64.sqrt());
        assert_close(pearson(&xs, &ys), 0.774_596_669_241_483);
        let fit = ols(&xs, &ys).unwrap();
        assert!(
            close(fit.slope, 0.6) && close(fit.intercept, 2.2),
            "{fit:?}"
        );
    }

    #[test]
    fn perfectly_linear_and_inverse_series() {
        // y = 3x − 2 on x = 1..4: y = 1,4,7,10. Sxy = 3·Sxx, Syy = 9·Sxx → r = 3/3 = 1.
        let xs = [1.0, 2.0, 3.0, 4.0];
        let up = [1.0, 4.0, 7.0, 10.0];
        assert_close(pearson(&xs, &up), 1.0);
        let fit = ols(&xs, &up).unwrap();
        assert!(
            close(fit.slope, 3.0) && close(fit.intercept, -2.0),
            "{fit:?}"
        );
        // y = 13 − 3x: y = 10,7,4,1. Sxy = −3·Sxx → r = −1; intercept = ȳ + 3x̄ = 5.5 + 7.5 = 13.
        let down = [10.0, 7.0, 4.0, 1.0];
        assert_close(pearson(&xs, &down), -1.0);
        let fit = ols(&xs, &down).unwrap();
        assert!(
            close(fit.slope, -3.0) && close(fit.intercept, 13.0),
            "{fit:?}"
        );
    }

    #[test]
    fn degenerate_samples_give_none() {
        // Zero variance, in x or in y (0.1 · 3 is not exactly 0.3: the check must be exact).
        assert_eq!(pearson(&[2.0, 2.0, 2.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(pearson(&[1.0, 2.0, 3.0], &[0.1, 0.1, 0.1]), None);
        assert_eq!(ols(&[0.1, 0.1, 0.1], &[1.0, 2.0, 3.0]), None);
        // Zero variance of y is fine for a regression: a flat line.
        let flat = ols(&[1.0, 2.0, 3.0], &[5.0, 5.0, 5.0]).unwrap();
        assert!(
            close(flat.slope, 0.0) && close(flat.intercept, 5.0),
            "{flat:?}"
        );
        // Mismatched lengths.
        assert_eq!(pearson(&[1.0, 2.0, 3.0], &[1.0, 2.0]), None);
        assert_eq!(ols(&[1.0, 2.0, 3.0], &[1.0, 2.0]), None);
        // n < 2.
        assert_eq!(pearson(&[1.0], &[2.0]), None);
        assert_eq!(pearson(&[], &[]), None);
        assert_eq!(ols(&[1.0], &[2.0]), None);
        // Not finite.
        assert_eq!(pearson(&[1.0, 2.0, f64::NAN], &[1.0, 2.0, 3.0]), None);
        assert_eq!(ols(&[1.0, 2.0, 3.0], &[1.0, f64::INFINITY, 3.0]), None);
        assert_eq!(pearson(&[0.0, f64::MAX], &[0.0, f64::MAX]), None);
    }

    #[test]
    fn effect_following_the_cause_by_one_year_is_supported_at_lag_one() {
        // cause 2015..2024 = 3,1,4,1,5,9,2,6,5,3; effect(t+1) = 2·cause(t) + 1 for t = 2015..2023,
        // so effect 2016..2024 = 7,3,9,3,11,19,5,13,11, and effect(2015) = 0 is unrelated.
        // Lag 1: 9 pairs, x̄ = 36/9 = 4, ȳ = 2·4 + 1 = 9, y − ȳ = 2(x − x̄) → r = 1,
        // slope = 2, intercept = 9 − 2·4 = 1.
        let cause = yearly(2015, &[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0]);
        let effect = yearly(
            2015,
            &[0.0, 7.0, 3.0, 9.0, 3.0, 11.0, 19.0, 5.0, 13.0, 11.0],
        );
        let c = causal_check(&cause, &effect, ExpectedSign::Positive);
        assert_eq!(c.verdict, Verdict::Supported);
        assert_eq!(c.best_lag, Some(1));
        assert_eq!(c.n, 9);
        assert_close(c.r, 1.0);
        assert_close(c.slope, 2.0);
        assert_close(c.intercept, 1.0);
        let ns: Vec<(u32, usize)> = c.lags.iter().map(|l| (l.lag, l.n)).collect();
        assert_eq!(ns, [(0, 10), (1, 9), (2, 8)]);
        for l in [&c.lags[0], &c.lags[2]] {
            assert!(l.r.is_some_and(|r| r.abs() < 1.0 - 1e-6), "{l:?}");
        }
    }

    #[test]
    fn four_overlapping_periods_are_insufficient() {
        // 2015..2018 in both: lag 0 → 4 pairs, lag 1 → 3, lag 2 → 2; none reaches MIN_N = 5.
        let cause = yearly(2015, &[1.0, 2.0, 3.0, 4.0]);
        let effect = yearly(2015, &[2.0, 4.0, 6.0, 8.0]);
        let c = causal_check(&cause, &effect, ExpectedSign::Positive);
        assert_eq!(c.verdict, Verdict::InsufficientData);
        assert_eq!(c.n, 4);
        assert_eq!(c.best_lag, None);
        assert_eq!((c.r, c.slope, c.intercept), (None, None, None));
        assert_close(c.lags[0].r, 1.0);
    }

    #[test]
    fn enough_pairs_without_a_defined_correlation_are_insufficient() {
        // Six pairs at lag 0, but a constant cause: r is undefined at every lag.
        let cause = yearly(2015, &[4.0; 6]);
        let effect = yearly(2015, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let c = causal_check(&cause, &effect, ExpectedSign::Positive);
        assert_eq!(c.verdict, Verdict::InsufficientData);
        assert_eq!((c.n, c.best_lag), (6, None));
    }

    #[test]
    fn a_weak_relation_is_not_supported_and_short_lags_are_ignored() {
        // Lag 0, 5 pairs: x = 1..5, y = 3,1,4,1,5. x̄ = 3, ȳ = 14/5 = 2.8.
        // dx = -2,-1,0,1,2; dy = 0.2,-1.8,1.2,-1.8,2.2.
        // Sxy = -0.4 + 1.8 + 0 − 1.8 + 4.4 = 4; Sxx = 10;
        // Syy = 0.04 + 3.24 + 1.44 + 3.24 + 4.84 = 12.8.
        // r = 4 / sqrt(128) = √2/4 ≈ 0.353553 < 0.6; slope = 0.4, intercept = 2.8 − 1.2 = 1.6.
        // Lag 1, 4 pairs: x = 1,2,3,4 with y = 1,4,1,5. x̄ = 2.5, ȳ = 2.75;
        // dx = -1.5,-0.5,0.5,1.5; dy = -1.75,1.25,-1.75,2.25;
        // Sxy = 2.625 − 0.625 − 0.875 + 3.375 = 4.5; Sxx = 5;
        // Syy = 3.0625 + 1.5625 + 3.0625 + 5.0625 = 12.75; r = 4.5 / sqrt(63.75) ≈ 0.5636,
        // larger, but from only 4 pairs, so not considered.
        let cause = yearly(2019, &[1.0, 2.0, 3.0, 4.0, 5.0]);
        let effect = yearly(2019, &[3.0, 1.0, 4.0, 1.0, 5.0]);
        let c = causal_check(&cause, &effect, ExpectedSign::Positive);
        assert_eq!(c.verdict, Verdict::NotSupported);
        assert_eq!((c.best_lag, c.n), (Some(0), 5));
        assert_close(c.r, 2f64.sqrt() / 4.0);
        assert_close(c.slope, 0.4);
        assert_close(c.intercept, 1.6);
        assert_eq!((c.lags[1].n, c.lags[2].n), (4, 3));
        assert_close(c.lags[1].r, 4.5 / 63.75f64.sqrt());
    }

    #[test]
    fn a_tie_goes_to_the_smaller_lag() {
        // effect = cause = 1..7: at lags 0, 1, 2 the pairs are (t, t), (t, t+1), (t, t+2),
        // each exactly linear, so r = 1 at every lag; lag 0 wins, with 7 pairs.
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        let c = causal_check(
            &yearly(2010, &xs),
            &yearly(2010, &xs),
            ExpectedSign::Positive,
        );
        assert!(c.lags.iter().all(|l| l.r == Some(1.0)), "{:?}", c.lags);
        assert_eq!(
            (c.best_lag, c.n, c.verdict),
            (Some(0), 7, Verdict::Supported)
        );
        assert_close(c.slope, 1.0);
        assert_close(c.intercept, 0.0);
    }

    #[test]
    fn unsorted_input_and_duplicate_periods_keep_the_last_value() {
        // Clean data: cause 2019..2023 = 1..5, effect = 2·cause + 1 = 3,5,7,9,11 → r = 1 at lag 0.
        let sorted = causal_check(
            &yearly(2019, &[1.0, 2.0, 3.0, 4.0, 5.0]),
            &yearly(2019, &[3.0, 5.0, 7.0, 9.0, 11.0]),
            ExpectedSign::Positive,
        );
        // The same data shuffled, with 2021 first given wrong values that are then replaced.
        let cause = [
            (p("2023"), 5.0),
            (p("2021"), 100.0),
            (p("2019"), 1.0),
            (p("2022"), 4.0),
            (p("2021"), 3.0),
            (p("2020"), 2.0),
        ];
        let effect = [
            (p("2021"), -50.0),
            (p("2020"), 5.0),
            (p("2023"), 11.0),
            (p("2021"), 7.0),
            (p("2019"), 3.0),
            (p("2022"), 9.0),
        ];
        let c = causal_check(&cause, &effect, ExpectedSign::Positive);
        assert_eq!(c, sorted);
        assert_eq!(
            (c.best_lag, c.n, c.verdict),
            (Some(0), 5, Verdict::Supported)
        );
        assert_close(c.r, 1.0);
        assert_close(c.slope, 2.0);
        assert_close(c.intercept, 1.0);
        // Giving the duplicates in the other order keeps 100 and −50 for 2021 instead:
        // x = 1,2,100,4,5 against y = 3,5,−50,9,11 is no longer a line (r < 0).
        let swap = |s: &[(Period, f64)]| {
            let mut v = s.to_vec();
            let dups: Vec<usize> = (0..v.len()).filter(|&i| v[i].0 == p("2021")).collect();
            v.swap(dups[0], dups[1]);
            v
        };
        let other = causal_check(&swap(&cause), &swap(&effect), ExpectedSign::Positive);
        assert_ne!(other, sorted);
        assert!(other.r.is_some_and(|r| r < 0.0), "{other:?}");
    }

    #[test]
    fn lags_count_in_the_series_own_periods_across_year_ends() {
        // Quarterly, 2023Q3..2025Q1 (7 quarters); effect one quarter later = cause + 10.
        let qs = [
            "2023Q3", "2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1",
        ];
        let xs = [5.0, 3.0, 8.0, 1.0, 9.0, 2.0, 6.0];
        let cause: Vec<(Period, f64)> = qs.iter().zip(xs).map(|(q, x)| (p(q), x)).collect();
        // effect(t+1) = x(t) + 10 for the first 6 quarters, shifted one quarter forward;
        // effect(2023Q3) = 0 has no cause before it.
        let mut effect = vec![(p("2023Q3"), 0.0)];
        effect.extend(qs.iter().skip(1).zip(xs).map(|(q, x)| (p(q), x + 10.0)));
        let c = causal_check(&cause, &effect, ExpectedSign::Positive);
        assert_eq!(
            (c.best_lag, c.n, c.verdict),
            (Some(1), 6, Verdict::Supported)
        );
        assert_close(c.r, 1.0);
        assert_close(c.slope, 1.0);
        assert_close(c.intercept, 10.0);
        // A yearly effect never matches quarterly causes exactly.
        let c = causal_check(
            &cause,
            &yearly(2020, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
            ExpectedSign::Positive,
        );
        assert_eq!((c.verdict, c.n), (Verdict::InsufficientData, 0));
    }

    #[test]
    fn verdict_serialises_in_screaming_snake_case() {
        let s = serde_json::to_string(&[
            Verdict::Supported,
            Verdict::NotSupported,
            Verdict::InsufficientData,
        ])
        .unwrap();
        assert_eq!(s, r#"["SUPPORTED","NOT_SUPPORTED","INSUFFICIENT_DATA"]"#);
        for v in [
            Verdict::Supported,
            Verdict::NotSupported,
            Verdict::InsufficientData,
        ] {
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
    }

    #[test]
    fn p_values_match_students_t_by_hand() {
        // t = r √(n − 2) / √(1 − r²); two-sided tail areas integrated numerically.
        assert!((p_value(0.8, 10).unwrap() - 0.005_456).abs() < 1e-5);
        assert!((p_value(0.6, 5).unwrap() - 0.284_757).abs() < 1e-5);
        assert!((p_value(-0.994, 5).unwrap() - 0.000_557).abs() < 1e-5);
        assert_eq!(p_value(1.0, 5), Some(0.0));
        assert_eq!(p_value(0.5, 2), None);
    }

    #[test]
    fn a_correlation_of_the_other_sign_is_not_supported() {
        let cause = yearly(2015, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        let falling = yearly(2015, &[20.0, 18.1, 15.9, 14.2, 11.8, 10.1, 8.0]);
        let c = causal_check(&cause, &falling, ExpectedSign::Positive);
        assert!(c.r.unwrap() < -0.99);
        assert_eq!(
            c.verdict,
            Verdict::NotSupported,
            "the data point the other way"
        );
        let c = causal_check(&cause, &falling, ExpectedSign::Negative);
        assert_eq!(c.verdict, Verdict::Supported);
        assert_eq!(c.expected_sign, ExpectedSign::Negative);
    }

    #[test]
    fn the_p_value_is_corrected_for_the_lags_tried_and_must_pass() {
        // Seven years: lags 0, 1 and 2 all have at least five pairs.
        let cause = yearly(2015, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        let effect = yearly(2015, &[2.0, 2.5, 4.5, 3.5, 6.0, 5.0, 7.5]);
        let c = causal_check(&cause, &effect, ExpectedSign::Positive);
        assert_eq!(c.lags_tried, 3);
        let r = c.r.unwrap();
        let raw = p_value(r, c.n).unwrap();
        assert_close(c.p, (raw * 3.0).min(1.0));
        // |r| ≥ 0.6 alone is not enough: |r| = 0.6 on five pairs has p ≈ 0.28.
        let five = yearly(2020, &[1.0, 2.0, 3.0, 4.0, 5.0]);
        let weak = yearly(2020, &[2.0, 1.0, 4.0, 3.0, 2.5]);
        let c = causal_check(&five, &weak, ExpectedSign::Positive);
        assert!(c.r.unwrap().abs() >= 0.3);
        assert!(c.p.unwrap() > MAX_P);
        assert_eq!(c.verdict, Verdict::NotSupported);
    }
}
