//! Plausible values: a value's period may not lie in the future, a value must lie inside
//! its indicator's or variable's valid range, and values far from their series' history or
//! from the other territories of the same period are flagged (never refused) with a robust
//! z-score.
//!
//! The outlier test is Iglewicz & Hoaglin's *modified z-score*: over a sample (the reference
//! values plus the value itself), `z = 0.6745 · (x − median) / MAD`, where MAD is the median
//! absolute deviation from the median; `|z| > 3.5` flags `x`. When MAD is 0 (half or more of
//! the sample equal) the mean absolute deviation stands in for it: `z = (x − median) /
//! (1.253314 · meanAD)`. When that is 0 too (every value equal) there is no spread to judge
//! against and nothing is flagged; nor is anything with fewer than
//! [`MIN_REFERENCE_POINTS`] reference values.

use chrono::NaiveDate;

use super::error::FieldError;
use super::period::Period;

/// The range a value must lie in; either bound may be open.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ValidRange {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// Whether a unit is a percentage: it starts with `%` (`%`, `% de hogares`), or is
/// `porcentaje` / `percent`.
pub fn is_percent(unit: &str) -> bool {
    let u = unit.trim();
    u.starts_with('%')
        || u.eq_ignore_ascii_case("porcentaje")
        || u.eq_ignore_ascii_case("percent")
        || u.eq_ignore_ascii_case("percentage")
}

impl ValidRange {
    /// Checks the bounds as given: finite, and `min ≤ max` when both are given.
    pub fn parse(min: Option<f64>, max: Option<f64>) -> Result<ValidRange, FieldError> {
        for (field, bound) in [("validMin", min), ("validMax", max)] {
            if let Some(b) = bound {
                super::indicator::finite(field, b)?;
            }
        }
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            return Err(FieldError::new(
                "validMin",
                "range",
                format!("validMin ({lo}) must not exceed validMax ({hi})"),
            ));
        }
        Ok(ValidRange { min, max })
    }

    /// The range enforced for a subject of this unit: for a percentage, a bound not given is
    /// 0 (minimum) or 100 (maximum).
    pub fn effective(self, unit: &str) -> ValidRange {
        if is_percent(unit) {
            ValidRange {
                min: self.min.or(Some(0.0)),
                max: self.max.or(Some(100.0)),
            }
        } else {
            self
        }
    }

    /// Checks the enforced range itself (a percentage's default may clash with a bound given).
    pub fn check_effective(self, unit: &str) -> Result<ValidRange, FieldError> {
        let e = self.effective(unit);
        if let (Some(lo), Some(hi)) = (e.min, e.max)
            && lo > hi
        {
            let (field, which) = if self.min.is_some() {
                ("validMin", "validMax defaults to 100")
            } else {
                ("validMax", "validMin defaults to 0")
            };
            return Err(FieldError::new(
                field,
                "range",
                format!(
                    "for a percentage unit {which}; the range {lo}..{hi} is empty: give both bounds"
                ),
            ));
        }
        Ok(e)
    }

    pub fn contains(self, value: f64) -> bool {
        self.min.is_none_or(|lo| value >= lo) && self.max.is_none_or(|hi| value <= hi)
    }

    /// `Ok` when `value` lies in the range; else an error on `field` naming the range.
    pub fn check(self, field: &str, value: f64, unit: &str) -> Result<(), FieldError> {
        if self.contains(value) {
            return Ok(());
        }
        let range = match (self.min, self.max) {
            (Some(lo), Some(hi)) => format!("between {lo} and {hi}"),
            (Some(lo), None) => format!("at least {lo}"),
            (None, Some(hi)) => format!("at most {hi}"),
            (None, None) => String::new(),
        };
        Err(FieldError::new(
            field,
            "validRange",
            format!("{value} is not a plausible value: values in '{unit}' must be {range}"),
        ))
    }
}

/// Refuses a period that ends after the current period of its type (the period containing
/// `today`): values are of periods that have begun. Targets are exempt (they are not checked
/// with this).
pub fn not_after_current(field: &str, period: &Period, today: NaiveDate) -> Result<(), FieldError> {
    match Period::containing(period.kind(), today) {
        Some(current) if period.end() <= current.end() => Ok(()),
        Some(current) => Err(FieldError::new(
            field,
            "future",
            format!(
                "{period} lies in the future: the current {} period is {current}",
                period.kind()
            ),
        )),
        // Today outside the supported years: nothing to compare with.
        None => Ok(()),
    }
}

/// The threshold above which `|z|` flags a value.
pub const Z_THRESHOLD: f64 = 3.5;
/// Fewer reference values than this flag nothing.
pub const MIN_REFERENCE_POINTS: usize = 4;

/// What a value was compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutlierKind {
    /// The approved values of the same series (subject, territory, disaggregation) in other
    /// periods.
    History,
    /// The approved values of the same subject, period and disaggregation in the other
    /// territories of the same level.
    Territory,
}

impl OutlierKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutlierKind::History => "history_outlier",
            OutlierKind::Territory => "territory_outlier",
        }
    }
}

/// A value flagged as unusual, for reviewers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QualityFlag {
    #[serde(serialize_with = "kind_name")]
    pub kind: OutlierKind,
    pub z_score: f64,
    pub median: f64,
    pub reference_count: usize,
    /// One sentence for people (English).
    pub reason: String,
}

fn kind_name<S: serde::Serializer>(k: &OutlierKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&k.as_str().to_uppercase())
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn sort(v: &mut [f64]) {
    v.sort_by(f64::total_cmp);
}

/// The centre and spread of a sample, for modified z-scores of its members.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub median: f64,
    /// Median absolute deviation from the median.
    pub mad: f64,
    /// Mean absolute deviation from the median (stands in when `mad` is 0).
    pub mean_ad: f64,
    /// How many values the sample holds.
    pub size: usize,
}

impl Spread {
    /// `None` for an empty sample or one with a non-finite value.
    pub fn of(sample: &[f64]) -> Option<Spread> {
        if sample.is_empty() || sample.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let mut sorted = sample.to_vec();
        sort(&mut sorted);
        let med = median(&sorted);
        let mut deviations: Vec<f64> = sorted.iter().map(|v| (v - med).abs()).collect();
        sort(&mut deviations);
        let mad = median(&deviations);
        let mean_ad = deviations.iter().sum::<f64>() / deviations.len() as f64;
        Some(Spread {
            median: med,
            mad,
            mean_ad,
            size: sample.len(),
        })
    }

    /// The modified z-score of `x` (a member of the sample); `None` without spread.
    pub fn z(&self, x: f64) -> Option<f64> {
        let z = if self.mad > 0.0 {
            0.6745 * (x - self.median) / self.mad
        } else if self.mean_ad > 0.0 {
            (x - self.median) / (1.253314 * self.mean_ad)
        } else {
            return None;
        };
        z.is_finite().then_some(z)
    }
}

/// The modified z-score of `x` against `reference` (the sample is `reference` plus `x`), with
/// the sample's median; `None` with fewer than [`MIN_REFERENCE_POINTS`] references, a
/// non-finite input, or no spread at all.
pub fn modified_z(x: f64, reference: &[f64]) -> Option<(f64, f64)> {
    if reference.len() < MIN_REFERENCE_POINTS || !x.is_finite() {
        return None;
    }
    let mut sample: Vec<f64> = reference.to_vec();
    sample.push(x);
    let spread = Spread::of(&sample)?;
    Some((spread.z(x)?, spread.median))
}

/// A flag for `x` when it is an outlier against `reference`.
pub fn outlier(kind: OutlierKind, x: f64, reference: &[f64]) -> Option<QualityFlag> {
    let (z, med) = modified_z(x, reference)?;
    flag(kind, x, z, med, reference.len())
}

/// A flag for `x`, a member of the sample `spread` describes (its other members are the
/// references), when it is an outlier.
pub fn outlier_in(kind: OutlierKind, x: f64, spread: &Spread) -> Option<QualityFlag> {
    let references = spread.size.saturating_sub(1);
    if references < MIN_REFERENCE_POINTS {
        return None;
    }
    flag(kind, x, spread.z(x)?, spread.median, references)
}

fn flag(
    kind: OutlierKind,
    x: f64,
    z: f64,
    med: f64,
    reference_count: usize,
) -> Option<QualityFlag> {
    if z.abs() <= Z_THRESHOLD {
        return None;
    }
    let side = if z > 0.0 { "above" } else { "below" };
    let against = match kind {
        OutlierKind::History => {
            format!("the {reference_count} approved values of the same series in other periods")
        }
        OutlierKind::Territory => format!(
            "the approved values of {reference_count} other territories of the same level for the same period"
        ),
    };
    Some(QualityFlag {
        kind,
        z_score: (z * 100.0).round() / 100.0,
        median: med,
        reference_count,
        reason: format!(
            "The value {x} lies far {side} the median {} of {against} (modified z-score {:.1}; values beyond ±{Z_THRESHOLD} are flagged).",
            (med * 1000.0).round() / 1000.0,
            z
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse("p", s).unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_up_to_the_current_one_pass() {
        let today = d(2026, 11, 28);
        for ok in ["2026", "2026S2", "2026Q4", "202611", "2025", "202001"] {
            assert!(not_after_current("period", &p(ok), today).is_ok(), "{ok}");
        }
        for bad in ["2027", "2100", "2027S1", "2027Q1", "202612"] {
            let e = not_after_current("period", &p(bad), today).unwrap_err();
            assert_eq!((e.field.as_str(), e.rule), ("period", "future"), "{bad}");
        }
        assert!(
            not_after_current("period", &p("2026Q4"), today).is_ok(),
            "the period in course is accepted"
        );
    }

    #[test]
    fn ranges_check_bounds_and_percent_defaults() {
        assert!(ValidRange::parse(Some(5.0), Some(1.0)).is_err());
        assert!(ValidRange::parse(Some(f64::NAN), None).is_err());
        let none = ValidRange::parse(None, None).unwrap();
        assert!(none.effective("personas").contains(-1e12));
        let pct = none.effective("% de hogares");
        assert_eq!(
            pct,
            ValidRange {
                min: Some(0.0),
                max: Some(100.0)
            }
        );
        assert!(pct.check("value", 1250.0, "%").is_err());
        assert!(pct.check("value", 100.0, "%").is_ok());
        let growth = ValidRange::parse(Some(-100.0), None).unwrap();
        assert_eq!(growth.effective("%").max, Some(100.0));
        assert!(
            ValidRange::parse(Some(150.0), None)
                .unwrap()
                .check_effective("%")
                .is_err()
        );
        let e = ValidRange::parse(Some(0.0), Some(10.0))
            .unwrap()
            .check("value", 11.0, "t")
            .unwrap_err();
        assert_eq!((e.field.as_str(), e.rule), ("value", "validRange"));
        assert!(e.message.contains("between 0 and 10"), "{}", e.message);
        assert!(is_percent(" %") && is_percent("Porcentaje") && !is_percent("personas"));
    }

    #[test]
    fn a_far_value_is_flagged_a_near_one_is_not() {
        let history = [50.0, 52.0, 49.0, 51.0, 50.5];
        let f = outlier(OutlierKind::History, 500.0, &history).unwrap();
        assert!(f.z_score > Z_THRESHOLD, "{f:?}");
        assert!(f.reason.contains("above the median"), "{}", f.reason);
        assert_eq!(f.reference_count, 5);
        assert!(outlier(OutlierKind::History, 53.0, &history).is_none());
        let low = outlier(OutlierKind::Territory, -400.0, &history).unwrap();
        assert!(low.z_score < -Z_THRESHOLD && low.reason.contains("below"));
    }

    #[test]
    fn too_few_points_or_no_spread_flag_nothing() {
        assert!(modified_z(1e9, &[1.0, 2.0, 3.0]).is_none(), "3 references");
        assert!(modified_z(1e9, &[]).is_none());
        assert!(
            modified_z(1e9, &[7.0, 7.0, 7.0, 7.0]).is_some(),
            "x itself gives the sample a spread: the mean absolute deviation stands in"
        );
        assert!(
            modified_z(7.0, &[7.0, 7.0, 7.0, 7.0]).is_none(),
            "no spread"
        );
        assert!(modified_z(f64::NAN, &[1.0, 2.0, 3.0, 4.0]).is_none());
        // MAD = 0 but mean absolute deviation > 0: the fallback decides.
        let (z, med) = modified_z(1000.0, &[10.0, 10.0, 10.0, 10.0, 12.0]).unwrap();
        assert_eq!(med, 10.0);
        assert!(z > Z_THRESHOLD);
    }

    #[test]
    fn a_whole_sample_scores_its_members() {
        let sample = [10.0, 11.0, 9.0, 10.5, 9.5, 80.0];
        let spread = Spread::of(&sample).unwrap();
        assert!(outlier_in(OutlierKind::Territory, 80.0, &spread).is_some());
        assert!(outlier_in(OutlierKind::Territory, 10.0, &spread).is_none());
        let small = Spread::of(&[1.0, 2.0, 90.0, 3.0]).unwrap();
        assert!(
            outlier_in(OutlierKind::Territory, 90.0, &small).is_none(),
            "3 references"
        );
    }

    #[test]
    fn the_score_follows_the_formula() {
        // Sample 1..=5 plus x = 3: median 3, deviations 0,0,1,1,2,2 → MAD 1.
        let (z, med) = modified_z(3.0, &[1.0, 2.0, 4.0, 5.0]).unwrap();
        assert_eq!((z, med), (0.0, 3.0));
        // Sample 1,2,3,4,5,x=10: median 3.5, deviations .5,.5,1.5,1.5,2.5,6.5 → MAD 1.5.
        let (z, _) = modified_z(10.0, &[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert!((z - 0.6745 * 6.5 / 1.5).abs() < 1e-12, "{z}");
    }
}
