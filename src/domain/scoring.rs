//! The scorecard's arithmetic (DESIGN.md, *Computations*): the actual value of an indicator
//! for a period, the planned (expected) trajectory, performance against the plan, progress,
//! attainment, on-track, status, and the weighted roll-up indicator → objective → perspective
//! → ecosystem with coverage. Status and roll-ups follow performance, so a status always
//! agrees with the plan: an indicator on track is green.
//! Pure functions of their inputs, unit-tested with hand-worked numbers.

use serde::Serialize;

use super::error::FieldError;
use super::indicator::DirectionKind;
use super::period::Period;

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Direction {
    Increase,
    Decrease,
    /// Good inside `[lower, upper]`.
    Range {
        lower: f64,
        upper: f64,
    },
}

impl Direction {
    pub fn as_str(&self) -> &'static str {
        match self {
            Direction::Increase => "increase",
            Direction::Decrease => "decrease",
            Direction::Range { .. } => "range",
        }
    }

    /// Builds a direction from its name and optional bounds; `range` needs both bounds,
    /// finite and ordered.
    pub fn parse(
        kind: &str,
        lower: Option<f64>,
        upper: Option<f64>,
    ) -> Result<Direction, FieldError> {
        let kind = kind.parse::<DirectionKind>().map_err(|()| {
            FieldError::new(
                "direction",
                "unknown_value",
                format!("unknown direction '{kind}'"),
            )
        })?;
        Direction::with_bounds(kind, lower, upper)
    }

    /// A direction of this kind; `range` needs both bounds, finite and ordered.
    pub fn with_bounds(
        kind: DirectionKind,
        lower: Option<f64>,
        upper: Option<f64>,
    ) -> Result<Direction, FieldError> {
        match kind {
            DirectionKind::Increase => Ok(Direction::Increase),
            DirectionKind::Decrease => Ok(Direction::Decrease),
            DirectionKind::Range => match (lower, upper) {
                (Some(l), Some(u)) => {
                    super::indicator::finite("rangeLower", l)?;
                    super::indicator::finite("rangeUpper", u)?;
                    if l > u {
                        return Err(FieldError::new(
                            "rangeUpper",
                            "range",
                            "the bounds of a RANGE indicator must be finite numbers with lower ≤ upper",
                        ));
                    }
                    Ok(Direction::Range { lower: l, upper: u })
                }
                _ => Err(FieldError::new(
                    "rangeLower",
                    "required",
                    "a RANGE indicator needs both rangeLower and rangeUpper",
                )),
            },
        }
    }

    /// The bounds of a `range` direction (none for the others).
    pub fn bounds(&self) -> (Option<f64>, Option<f64>) {
        match self {
            Direction::Range { lower, upper } => (Some(*lower), Some(*upper)),
            _ => (None, None),
        }
    }

    /// The word of this direction's kind.
    pub fn kind(&self) -> DirectionKind {
        match self {
            Direction::Increase => DirectionKind::Increase,
            Direction::Decrease => DirectionKind::Decrease,
            Direction::Range { .. } => DirectionKind::Range,
        }
    }

    /// Whether `a` is at least as good as `reference`.
    fn at_or_beyond(&self, a: f64, reference: f64) -> bool {
        match self {
            Direction::Increase => a >= reference,
            Direction::Decrease => a <= reference,
            Direction::Range { lower, upper } => *lower <= a && a <= *upper,
        }
    }
}

/// How period values make the actual of a longer period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Aggregation {
    /// A stock: the value of the latest period with data.
    Last,
    /// A flow accumulated from the baseline: baseline + every value after it.
    Sum,
}

impl Aggregation {
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::Last => "last",
            Aggregation::Sum => "sum",
        }
    }

    pub fn parse(raw: &str) -> Option<Aggregation> {
        match raw {
            "last" => Some(Aggregation::Last),
            "sum" => Some(Aggregation::Sum),
            _ => None,
        }
    }
}

/// Status on performance against the plan: green at or above `green`, amber at or above
/// `amber`, else red.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    pub green: f64,
    pub amber: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            green: 0.9,
            amber: 0.6,
        }
    }
}

impl Thresholds {
    pub fn parse(green: f64, amber: f64) -> Result<Thresholds, FieldError> {
        if green.is_finite() && amber.is_finite() && 0.0 <= amber && amber <= green && green <= 10.0
        {
            Ok(Thresholds { green, amber })
        } else {
            Err(FieldError::new(
                "thresholds",
                "range",
                format!("need 0 ≤ amber ≤ green ≤ 10, got green {green}, amber {amber}"),
            ))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Status {
    Green,
    Amber,
    Red,
    NoData,
}

impl Status {
    /// The status of a performance (an indicator's) or of a roll-up score. A threshold above
    /// 1 counts as 1: performance 1 is exactly on plan, and on plan is always green.
    pub fn from_performance(thresholds: Thresholds, performance: Option<f64>) -> Status {
        let green = thresholds.green.min(1.0);
        let amber = thresholds.amber.min(green);
        match performance {
            None => Status::NoData,
            Some(p) if p >= green => Status::Green,
            Some(p) if p >= amber => Status::Amber,
            Some(_) => Status::Red,
        }
    }
}

/// A value at a period: a baseline, a target or an observation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub period: Period,
    pub value: f64,
}

/// What the computations need to know about an indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorSpec {
    pub direction: Direction,
    pub aggregation: Aggregation,
    pub thresholds: Thresholds,
    pub baseline: Option<Point>,
    /// In period order.
    pub targets: Vec<Point>,
}

/// The actual value for period `at` from the counted observations (any order).
/// `Last`: the latest observation inside `at`. `Sum`: baseline + all observations after the
/// baseline period up to the end of `at`. No observation → `None`, never zero.
pub fn actual(spec: &IndicatorSpec, observations: &[Point], at: &Period) -> Option<f64> {
    match spec.aggregation {
        Aggregation::Last => observations
            .iter()
            .filter(|o| at.contains(&o.period))
            .max_by(|a, b| a.period.cmp(&b.period))
            .map(|o| o.value),
        Aggregation::Sum => {
            let after = |o: &&Point| {
                spec.baseline
                    .is_none_or(|b| o.period.start() > b.period.end())
            };
            let counted: Vec<f64> = observations
                .iter()
                .filter(after)
                .filter(|o| o.period.end() <= at.end())
                .map(|o| o.value)
                .collect();
            if counted.is_empty() {
                return None;
            }
            Some(spec.baseline.map_or(0.0, |b| b.value) + counted.iter().sum::<f64>())
        }
    }
}

/// The target for `at`: the first target ending at or after `at` (the next milestone), or the
/// last target when `at` is past them all.
pub fn target_for(spec: &IndicatorSpec, at: &Period) -> Option<Point> {
    spec.targets
        .iter()
        .find(|t| t.period.end() >= at.end())
        .or(spec.targets.last())
        .copied()
}

/// The planned value at the end of `at`: piecewise-linear in time from the baseline through
/// the targets, flat after the last target; `None` before the baseline or without one.
pub fn expected(spec: &IndicatorSpec, at: &Period) -> Option<f64> {
    let baseline = spec.baseline?;
    let day = at.end();
    if day < baseline.period.end() {
        return None;
    }
    let mut from = baseline;
    for t in &spec.targets {
        let (d0, d1) = (from.period.end(), t.period.end());
        if day <= d1 {
            let span = (d1 - d0).num_days() as f64;
            if span <= 0.0 {
                return Some(t.value);
            }
            let share = (day - d0).num_days() as f64 / span;
            return Some(from.value + share * (t.value - from.value));
        }
        from = *t;
    }
    Some(from.value)
}

/// Share of the gap from baseline to target that is closed: (a − b) / (t − b). When t = b:
/// 1 if the target is met in the indicator's direction, else 0. `Range` indicators score
/// their attainment (1 inside the bounds).
pub fn progress(direction: Direction, baseline: f64, target: f64, actual: f64) -> f64 {
    if let Direction::Range { .. } = direction {
        return range_attainment(direction, actual);
    }
    if target == baseline {
        return if direction.at_or_beyond(actual, target) {
            1.0
        } else {
            0.0
        };
    }
    (actual - baseline) / (target - baseline)
}

/// Performance against the plan at a period: (a − b) / (p − b), the share of the *planned*
/// improvement achieved, where p is the planned (expected) value for the period. 1 means on
/// plan, above 1 ahead of plan, below 0 worse than the baseline.
///
/// When the plan asks for no improvement by then (p = b, or a plan that moves against the
/// indicator's direction): 1 if the actual is at or beyond the planned value in the
/// indicator's direction, else 0. `Range` indicators: 1 inside the bounds, and outside the
/// attainment's linear falloff (by the width of the range, floored at 0), whatever the plan.
///
/// Whenever the actual is at or beyond the planned value (on track), performance ≥ 1.
pub fn performance(direction: Direction, baseline: f64, planned: f64, actual: f64) -> f64 {
    let planned_gain = match direction {
        Direction::Range { .. } => return range_attainment(direction, actual),
        Direction::Increase => planned - baseline,
        Direction::Decrease => baseline - planned,
    };
    if planned_gain > 0.0 {
        (actual - baseline) / (planned - baseline)
    } else if direction.at_or_beyond(actual, planned) {
        1.0
    } else {
        0.0
    }
}

fn range_attainment(direction: Direction, a: f64) -> f64 {
    let Direction::Range { lower, upper } = direction else {
        return 0.0;
    };
    let width = if upper > lower {
        upper - lower
    } else {
        lower.abs().max(1.0)
    };
    let off = if a < lower {
        lower - a
    } else if a > upper {
        a - upper
    } else {
        0.0
    };
    (1.0 - off / width).max(0.0)
}

/// "% de cumplimiento": a / t for `Increase`, t / a for `Decrease`, for `Range` 1 inside the
/// bounds falling linearly outside. `None` when it would divide by zero.
pub fn attainment(direction: Direction, target: f64, actual: f64) -> Option<f64> {
    match direction {
        Direction::Increase => (target != 0.0).then(|| actual / target),
        Direction::Decrease => (actual != 0.0).then(|| target / actual),
        Direction::Range { .. } => Some(range_attainment(direction, actual)),
    }
}

/// Actual at or beyond the expected value in the indicator's direction (`Range`: inside).
pub fn on_track(direction: Direction, actual: f64, expected: f64) -> bool {
    direction.at_or_beyond(actual, expected)
}

/// Everything the scorecard shows for one indicator and period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Evaluation {
    pub actual: Option<f64>,
    pub target: Option<Point>,
    /// The planned value for the period (the expected trajectory).
    pub expected: Option<f64>,
    /// Performance against the plan; the status and the roll-ups follow it.
    pub performance: Option<f64>,
    /// Share of the whole gap from the baseline to the (next) target that is closed.
    pub progress: Option<f64>,
    pub attainment: Option<f64>,
    pub status: Status,
    pub on_track: Option<bool>,
}

/// Every number of an evaluation is finite or absent: a computation that overflows (a sum of
/// huge values, a ratio over a vanishing gap) gives no value, never ±∞ or NaN.
fn finite_or_none(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

pub fn evaluate(spec: &IndicatorSpec, observations: &[Point], at: &Period) -> Evaluation {
    let actual = finite_or_none(actual(spec, observations, at));
    let target = target_for(spec, at);
    let expected = finite_or_none(expected(spec, at));
    let progress = match (actual, spec.baseline, target, spec.direction) {
        (Some(a), _, _, Direction::Range { .. }) => Some(progress(spec.direction, 0.0, 0.0, a)),
        (Some(a), Some(b), Some(t), d) => Some(progress(d, b.value, t.value, a)),
        _ => None,
    };
    let progress = finite_or_none(progress);
    // Without a target there is no plan to perform against (as for progress).
    let performance = match (actual, spec.baseline, expected, target, spec.direction) {
        (Some(a), _, _, _, Direction::Range { .. }) => {
            Some(performance(spec.direction, 0.0, 0.0, a))
        }
        (Some(a), Some(b), Some(p), Some(_), d) => Some(performance(d, b.value, p, a)),
        _ => None,
    };
    let performance = finite_or_none(performance);
    let attainment = match (actual, target) {
        (Some(a), Some(t)) => attainment(spec.direction, t.value, a),
        (Some(a), None) if matches!(spec.direction, Direction::Range { .. }) => {
            attainment(spec.direction, 0.0, a)
        }
        _ => None,
    };
    let attainment = finite_or_none(attainment);
    Evaluation {
        actual,
        target,
        expected,
        performance,
        progress,
        attainment,
        status: Status::from_performance(spec.thresholds, performance),
        on_track: match (actual, expected) {
            (Some(a), Some(e)) => Some(on_track(spec.direction, a, e)),
            _ => None,
        },
    }
}

/// What a reader is told in words beside an indicator's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Remark {
    /// Performance above 1: ahead of the plan for the period.
    AheadOfPlan,
    /// The actual is worse than the baseline in the indicator's direction.
    BelowBaseline,
}

impl Remark {
    /// The remark for an evaluation, if any: a regression below the baseline first (it is
    /// what a reader must not miss), else over-achievement. `RANGE` indicators have neither
    /// (inside the bounds is all there is to say, and their status tells it).
    pub fn of(direction: Direction, baseline: Option<f64>, e: &Evaluation) -> Option<Remark> {
        if matches!(direction, Direction::Range { .. }) {
            return None;
        }
        let actual = e.actual?;
        if baseline.is_some_and(|b| !direction.at_or_beyond(actual, b)) {
            return Some(Remark::BelowBaseline);
        }
        e.performance
            .filter(|p| *p > 1.0)
            .map(|_| Remark::AheadOfPlan)
    }
}

/// A node of the roll-up: its weight in its parent, its score (weighted mean of the
/// children that have one) and how many indicators beneath it have data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Score {
    pub weight: f64,
    pub score: Option<f64>,
    pub with_data: usize,
    pub total: usize,
}

impl Score {
    /// An indicator's contribution: its performance clamped to [0, 1], so over-achievement on
    /// one indicator cannot hide another's shortfall, and a value worse than the baseline
    /// (or a bad one) cannot pull a score below 0: every roll-up stays within [0, 1].
    pub fn indicator(weight: f64, performance: Option<f64>) -> Score {
        Score {
            weight,
            score: performance.map(|p| if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) }),
            with_data: usize::from(performance.is_some()),
            total: 1,
        }
    }

    /// The weighted mean of the children that have a score; coverage counts them all.
    pub fn combine(weight: f64, children: &[Score]) -> Score {
        let scored: Vec<&Score> = children.iter().filter(|c| c.score.is_some()).collect();
        let total_weight: f64 = scored.iter().map(|c| c.weight).sum();
        let score = (total_weight > 0.0).then(|| {
            scored
                .iter()
                .map(|c| c.weight * c.score.unwrap_or(0.0))
                .sum::<f64>()
                / total_weight
        });
        Score {
            weight,
            score,
            with_data: children.iter().map(|c| c.with_data).sum(),
            total: children.iter().map(|c| c.total).sum(),
        }
    }

    /// Share of the indicators beneath that have data (0 when there are none).
    pub fn coverage(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.with_data as f64 / self.total as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse("p", s).unwrap()
    }

    fn pt(s: &str, v: f64) -> Point {
        Point {
            period: p(s),
            value: v,
        }
    }

    fn spec(
        direction: Direction,
        aggregation: Aggregation,
        baseline: Point,
        targets: Vec<Point>,
    ) -> IndicatorSpec {
        IndicatorSpec {
            direction,
            aggregation,
            thresholds: Thresholds::default(),
            baseline: Some(baseline),
            targets,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn overflowing_computations_give_no_value_never_inf_or_nan() {
        // Numbers this large are refused at the boundary (|x| ≤ 1e15); should any reach the
        // computations, they give no value rather than ±∞ or NaN.
        let s = spec(
            Direction::Increase,
            Aggregation::Sum,
            pt("2020", 1.7e308),
            vec![pt("2025", -1.7e308)],
        );
        let e = evaluate(&s, &[pt("2021", 1.7e308), pt("2022", 1.7e308)], &p("2022"));
        for v in [
            e.actual,
            e.expected,
            e.performance,
            e.progress,
            e.attainment,
        ] {
            assert!(v.is_none_or(f64::is_finite), "{e:?}");
        }
        assert_eq!(e.actual, None);
        assert_eq!(e.status, Status::NoData);
    }

    #[test]
    fn progress_closes_the_gap_in_both_directions() {
        // Coverage of water service: baseline 60 %, target 80 %, actual 75 % → 15/20.
        assert!(close(progress(Direction::Increase, 60.0, 80.0, 75.0), 0.75));
        // Anaemia: baseline 40 %, target 20 %, actual 30 % → (30-40)/(20-40) = 0.5.
        assert!(close(progress(Direction::Decrease, 40.0, 20.0, 30.0), 0.5));
        // Worse than the baseline is negative; beyond the target above 1.
        assert!(close(
            progress(Direction::Increase, 60.0, 80.0, 55.0),
            -0.25
        ));
        assert!(close(progress(Direction::Decrease, 40.0, 20.0, 10.0), 1.5));
    }

    #[test]
    fn when_target_equals_baseline_progress_is_met_or_not() {
        assert_eq!(progress(Direction::Increase, 50.0, 50.0, 50.0), 1.0);
        assert_eq!(progress(Direction::Increase, 50.0, 50.0, 49.0), 0.0);
        assert_eq!(progress(Direction::Decrease, 5.0, 5.0, 4.0), 1.0);
        assert_eq!(progress(Direction::Decrease, 5.0, 5.0, 6.0), 0.0);
    }

    #[test]
    fn attainment_per_direction_and_range() {
        assert!(close(
            attainment(Direction::Increase, 80.0, 60.0).unwrap(),
            0.75
        ));
        assert!(close(
            attainment(Direction::Decrease, 20.0, 25.0).unwrap(),
            0.8
        ));
        assert_eq!(attainment(Direction::Increase, 0.0, 5.0), None);
        assert_eq!(attainment(Direction::Decrease, 10.0, 0.0), None);
        // pH of river water: good within 6.5–8.5 (width 2). 9.0 is 0.5 outside → 0.75.
        let ph = Direction::Range {
            lower: 6.5,
            upper: 8.5,
        };
        assert_eq!(attainment(ph, 0.0, 7.0), Some(1.0));
        assert!(close(attainment(ph, 0.0, 9.0).unwrap(), 0.75));
        assert!(close(attainment(ph, 0.0, 5.5).unwrap(), 0.5));
        assert_eq!(attainment(ph, 0.0, 2.0), Some(0.0), "floored at zero");
        assert!(
            close(progress(ph, 0.0, 0.0, 9.0), 0.75),
            "range progress is its attainment"
        );
    }

    #[test]
    fn direction_parsing_requires_range_bounds() {
        assert_eq!(
            Direction::parse("range", Some(1.0), Some(2.0)).unwrap(),
            Direction::Range {
                lower: 1.0,
                upper: 2.0
            }
        );
        assert_eq!(
            Direction::parse("range", None, Some(2.0)).unwrap_err().rule,
            "required"
        );
        assert_eq!(
            Direction::parse("range", Some(3.0), Some(2.0))
                .unwrap_err()
                .rule,
            "range"
        );
        assert!(Direction::parse("range", Some(f64::NAN), Some(2.0)).is_err());
    }

    #[test]
    fn last_takes_the_latest_value_inside_the_period() {
        let s = spec(
            Direction::Increase,
            Aggregation::Last,
            pt("2022", 60.0),
            vec![pt("2026", 80.0)],
        );
        let obs = [
            pt("2023Q4", 66.0),
            pt("2024Q1", 67.0),
            pt("2024Q3", 70.0),
            pt("2024Q2", 69.0),
        ];
        assert_eq!(actual(&s, &obs, &p("2024")), Some(70.0));
        assert_eq!(actual(&s, &obs, &p("2024Q2")), Some(69.0));
        assert_eq!(
            actual(&s, &obs, &p("2025")),
            None,
            "no data is no data, not the old value"
        );
    }

    #[test]
    fn sum_accumulates_from_the_baseline() {
        // New household water connections: 1 000 by 2022; +300 in 2023, +250 and +150 in 2024.
        let s = spec(
            Direction::Increase,
            Aggregation::Sum,
            pt("2022", 1000.0),
            vec![pt("2025", 2000.0)],
        );
        let obs = [
            pt("2022", 999.0),
            pt("2023", 300.0),
            pt("2024S1", 250.0),
            pt("2024S2", 150.0),
        ];
        assert_eq!(
            actual(&s, &obs, &p("2023")),
            Some(1300.0),
            "the baseline period itself is not added again"
        );
        assert_eq!(actual(&s, &obs, &p("2024")), Some(1700.0));
        assert_eq!(actual(&s, &obs, &p("2024S1")), Some(1550.0));
        assert_eq!(actual(&s, &[pt("2022", 5.0)], &p("2024")), None);
        // Progress toward 2 000 by 2025: (1700-1000)/(2000-1000).
        assert!(close(evaluate(&s, &obs, &p("2024")).progress.unwrap(), 0.7));
    }

    #[test]
    fn the_expected_trajectory_is_piecewise_linear_through_the_targets() {
        // Baseline 2022: 60; targets 2024: 70, 2026: 90.
        let s = spec(
            Direction::Increase,
            Aggregation::Last,
            pt("2022", 60.0),
            vec![pt("2024", 70.0), pt("2026", 90.0)],
        );
        assert_eq!(expected(&s, &p("2022")), Some(60.0));
        let y2023 = expected(&s, &p("2023")).unwrap();
        assert!((y2023 - 65.0).abs() < 0.01, "{y2023}");
        assert_eq!(expected(&s, &p("2024")), Some(70.0));
        let y2025 = expected(&s, &p("2025")).unwrap();
        assert!((y2025 - 80.0).abs() < 0.02, "{y2025}");
        assert_eq!(
            expected(&s, &p("2028")),
            Some(90.0),
            "flat after the last target"
        );
        assert_eq!(
            expected(&s, &p("2021")),
            None,
            "nothing before the baseline"
        );
        assert_eq!(
            target_for(&s, &p("2023")).unwrap().value,
            70.0,
            "the next milestone"
        );
        assert_eq!(target_for(&s, &p("2025")).unwrap().value, 90.0);
        assert_eq!(target_for(&s, &p("2030")).unwrap().value, 90.0);
    }

    #[test]
    fn performance_measures_against_the_plan_in_both_directions() {
        // Water coverage 60 → 80; planned 70.01 at the end of 2024, actual 71 → 11/10.01.
        assert!(close(
            performance(Direction::Increase, 60.0, 70.01, 71.0),
            11.0 / 10.01
        ));
        // Anaemia 40 → 20; planned 30, actual 33 → (33-40)/(30-40) = 0.7.
        assert!(close(
            performance(Direction::Decrease, 40.0, 30.0, 33.0),
            0.7
        ));
        // Worse than the baseline is negative (the roll-up floors it at 0).
        assert!(close(
            performance(Direction::Decrease, 22.1, 20.6, 22.3),
            -0.2 / 1.5
        ));
        // The plan asks for no change yet: at or beyond it is 1, behind it 0.
        assert_eq!(performance(Direction::Increase, 50.0, 50.0, 50.0), 1.0);
        assert_eq!(performance(Direction::Increase, 50.0, 50.0, 49.0), 0.0);
        assert_eq!(performance(Direction::Decrease, 5.0, 5.0, 4.0), 1.0);
        assert_eq!(performance(Direction::Decrease, 5.0, 5.0, 6.0), 0.0);
        // A plan that allows a decline (target below the baseline of an INCREASE indicator).
        assert_eq!(performance(Direction::Increase, 50.0, 45.0, 46.0), 1.0);
        assert_eq!(performance(Direction::Increase, 50.0, 45.0, 44.0), 0.0);
        // RANGE: 1 inside the bounds, the attainment's falloff outside, whatever the plan.
        let ph = Direction::Range {
            lower: 6.5,
            upper: 8.5,
        };
        assert_eq!(performance(ph, 0.0, 0.0, 7.0), 1.0);
        assert!(close(performance(ph, 9.0, 3.0, 9.0), 0.75));
        assert_eq!(performance(ph, 0.0, 0.0, 1.0), 0.0);
    }

    #[test]
    fn evaluation_gives_status_from_performance_and_on_track() {
        let s = spec(
            Direction::Increase,
            Aggregation::Last,
            pt("2022", 60.0),
            vec![pt("2024", 70.0), pt("2026", 90.0)],
        );
        // 2023: actual 66 vs planned ≈65 (365 of 731 days: 60 + 10·365/731) → on track,
        // performance 6/4.993 ≈ 1.2 → green; progress toward 70: 6/10 = 0.6.
        let e = evaluate(&s, &[pt("2023", 66.0)], &p("2023"));
        assert_eq!(e.actual, Some(66.0));
        let planned = 60.0 + 10.0 * 365.0 / 731.0;
        assert!(close(e.expected.unwrap(), planned));
        assert!(close(e.performance.unwrap(), 6.0 / (planned - 60.0)));
        assert!(close(e.progress.unwrap(), 0.6));
        assert_eq!(e.status, Status::Green);
        assert_eq!(e.on_track, Some(true));
        assert!(close(e.attainment.unwrap(), 66.0 / 70.0));
        // 2024: planned 70; 69.5 → performance 9.5/10 = 0.95: green, though behind the plan.
        let e = evaluate(&s, &[pt("2024", 69.5)], &p("2024"));
        assert!(close(e.performance.unwrap(), 0.95));
        assert_eq!(e.status, Status::Green);
        assert_eq!(e.on_track, Some(false));
        // 67 → 0.7 amber; 61 → 0.1 red.
        assert_eq!(
            evaluate(&s, &[pt("2024", 67.0)], &p("2024")).status,
            Status::Amber
        );
        let e = evaluate(&s, &[pt("2024", 61.0)], &p("2024"));
        assert_eq!(e.status, Status::Red);
        // Below the baseline: negative performance and progress, red.
        let e = evaluate(&s, &[pt("2024", 55.0)], &p("2024"));
        assert!(close(e.performance.unwrap(), -0.5) && close(e.progress.unwrap(), -0.5));
        assert_eq!(e.status, Status::Red);
        let none = evaluate(&s, &[], &p("2024"));
        assert_eq!(
            (
                none.actual,
                none.performance,
                none.progress,
                none.status,
                none.on_track
            ),
            (None, None, None, Status::NoData, None)
        );
        // Before the baseline there is no plan: no performance, no status.
        let early = evaluate(&s, &[pt("2021", 58.0)], &p("2021"));
        assert_eq!((early.performance, early.status), (None, Status::NoData));
        // Without targets there is no plan either.
        let no_targets = spec(
            Direction::Increase,
            Aggregation::Last,
            pt("2022", 60.0),
            vec![],
        );
        let e = evaluate(&no_targets, &[pt("2024", 65.0)], &p("2024"));
        assert_eq!((e.performance, e.status), (None, Status::NoData));
        // Decrease: anaemia 40 → 20 by 2026; 2024 planned ≈30, actual 28 → on track.
        let d = spec(
            Direction::Decrease,
            Aggregation::Last,
            pt("2022", 40.0),
            vec![pt("2026", 20.0)],
        );
        let e = evaluate(&d, &[pt("2024", 28.0)], &p("2024"));
        assert_eq!(e.on_track, Some(true));
        assert_eq!(e.status, Status::Green);
        assert!(e.performance.unwrap() > 1.0);
        assert!(close(e.progress.unwrap(), 0.6));
        // Thresholds per indicator: green from 0.95, amber from 0.8. 2024: planned ≈30,
        // actual 31 → performance ≈ 9/10 → amber; a green threshold above 1 counts as 1, so
        // on plan (28) stays green.
        let strict = IndicatorSpec {
            thresholds: Thresholds::parse(0.95, 0.8).unwrap(),
            ..d.clone()
        };
        let e = evaluate(&strict, &[pt("2024", 31.0)], &p("2024"));
        assert!(e.performance.unwrap() > 0.8 && e.performance.unwrap() < 0.95);
        assert_eq!(e.status, Status::Amber);
        let demanding = IndicatorSpec {
            thresholds: Thresholds::parse(3.0, 2.0).unwrap(),
            ..d.clone()
        };
        let e = evaluate(&demanding, &[pt("2024", 28.0)], &p("2024"));
        assert_eq!((e.on_track, e.status), (Some(true), Status::Green));
        // RANGE: pH 6.5–8.5 inside → 1 green; 9.0 → 0.75 amber.
        let ph = IndicatorSpec {
            direction: Direction::Range {
                lower: 6.5,
                upper: 8.5,
            },
            ..spec(
                Direction::Increase,
                Aggregation::Last,
                pt("2022", 7.2),
                vec![pt("2026", 7.5)],
            )
        };
        let e = evaluate(&ph, &[pt("2024", 8.4)], &p("2024"));
        assert_eq!(
            (e.performance, e.status, e.on_track),
            (Some(1.0), Status::Green, Some(true))
        );
        let e = evaluate(&ph, &[pt("2024", 9.0)], &p("2024"));
        assert!(close(e.performance.unwrap(), 0.75));
        assert_eq!((e.status, e.on_track), (Status::Amber, Some(false)));
    }

    #[test]
    fn remarks_tell_over_achievement_and_regression() {
        let s = spec(
            Direction::Decrease,
            Aggregation::Last,
            pt("2022", 22.1),
            vec![pt("2026", 20.0)],
        );
        let at = p("2024");
        let remark = |v: f64| {
            Remark::of(
                s.direction,
                Some(22.1),
                &evaluate(&s, &[pt("2024", v)], &at),
            )
        };
        assert_eq!(remark(22.3), Some(Remark::BelowBaseline), "worse than 22.1");
        assert_eq!(
            remark(20.0),
            Some(Remark::AheadOfPlan),
            "beyond the planned ≈21.05"
        );
        assert_eq!(
            remark(21.5),
            None,
            "better than the baseline, behind the plan"
        );
        let none = evaluate(&s, &[], &at);
        assert_eq!(Remark::of(s.direction, Some(22.1), &none), None);
        let ph = Direction::Range {
            lower: 6.5,
            upper: 8.5,
        };
        assert_eq!(
            Remark::of(ph, Some(7.0), &evaluate(&s, &[pt("2024", 22.3)], &at)),
            None
        );
    }

    #[test]
    fn roll_up_clamps_performance_to_zero_one_and_reports_coverage() {
        // Objective with three indicators: weights 1, 1, 2; performance 0.5, 1.4 (clamped to
        // 1), none.
        let a = Score::indicator(1.0, Some(0.5));
        let b = Score::indicator(1.0, Some(1.4));
        let c = Score::indicator(2.0, None);
        let objective = Score::combine(3.0, &[a, b, c]);
        assert!(
            close(objective.score.unwrap(), 0.75),
            "(0.5·1 + 1·1)/2; the missing one is not counted as zero"
        );
        assert!(close(objective.coverage(), 2.0 / 3.0));
        // A value far worse than the baseline (performance −34.5) counts as 0, not below.
        let bad = Score::combine(
            1.0,
            &[
                Score::indicator(1.0, Some(-34.5)),
                Score::indicator(1.0, Some(0.6)),
            ],
        );
        assert!(close(bad.score.unwrap(), 0.3), "(0 + 0.6)/2");
        assert_eq!(Score::indicator(1.0, Some(f64::NAN)).score, Some(0.0));
        // Perspective: objective weight 3 score 0.75, objective weight 1 score 0.35.
        let other = Score::combine(1.0, &[Score::indicator(1.0, Some(0.35))]);
        let perspective = Score::combine(1.0, &[objective, other]);
        assert!(close(perspective.score.unwrap(), (3.0 * 0.75 + 0.35) / 4.0));
        assert!(close(perspective.coverage(), 3.0 / 4.0));
        // No data anywhere: no score, zero coverage.
        let empty = Score::combine(1.0, &[Score::indicator(1.0, None)]);
        assert_eq!((empty.score, empty.coverage()), (None, 0.0));
        assert_eq!(Score::combine(1.0, &[]).coverage(), 0.0);
    }

    #[test]
    fn thresholds_are_validated() {
        assert!(Thresholds::parse(0.9, 0.6).is_ok());
        assert!(Thresholds::parse(0.5, 0.6).is_err());
        assert!(Thresholds::parse(f64::NAN, 0.6).is_err());
        assert_eq!(
            Status::from_performance(Thresholds::default(), Some(0.9)),
            Status::Green
        );
        assert_eq!(
            Status::from_performance(Thresholds::default(), Some(0.6)),
            Status::Amber
        );
        assert_eq!(
            Status::from_performance(Thresholds::default(), Some(0.59)),
            Status::Red
        );
    }

    use proptest::prelude::*;

    fn any_direction() -> impl Strategy<Value = Direction> {
        prop_oneof![
            Just(Direction::Increase),
            Just(Direction::Decrease),
            (-100.0..100.0f64, 0.0..50.0f64).prop_map(|(lower, width)| Direction::Range {
                lower,
                upper: lower + width,
            }),
        ]
    }

    fn any_year_period() -> impl Strategy<Value = Period> {
        (2018i32..2034, 0usize..3, 1u32..=4).prop_map(|(y, k, i)| match k {
            0 => p(&y.to_string()),
            1 => p(&format!("{y}S{}", (i - 1) % 2 + 1)),
            _ => p(&format!("{y}Q{i}")),
        })
    }

    fn any_spec() -> impl Strategy<Value = IndicatorSpec> {
        (
            any_direction(),
            prop_oneof![Just(Aggregation::Last), Just(Aggregation::Sum)],
            (0.0..=3.0f64, 0.0..=3.0f64).prop_map(|(a, g)| Thresholds {
                green: a.max(g),
                amber: a.min(g),
            }),
            2015i32..2025,
            -1000.0..1000.0f64,
            prop::collection::vec((1i32..8, -1000.0..1000.0f64), 0..4),
        )
            .prop_map(|(direction, aggregation, thresholds, year, base, steps)| {
                let mut y = year;
                let targets = steps
                    .into_iter()
                    .map(|(dy, v)| {
                        y += dy;
                        pt(&y.to_string(), v)
                    })
                    .collect();
                IndicatorSpec {
                    direction,
                    aggregation,
                    thresholds,
                    baseline: Some(pt(&year.to_string(), base)),
                    targets,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The invariant: an indicator on track is never RED or AMBER, and its
        /// performance is at least 1.
        #[test]
        fn on_track_is_never_red_or_amber(
            s in any_spec(),
            at in any_year_period(),
            own in -2000.0..2000.0f64,
            obs in prop::collection::vec((any_year_period(), -2000.0..2000.0f64), 0..5),
        ) {
            // A value for the period itself, so that most cases have an actual.
            let obs: Vec<Point> = obs
                .into_iter()
                .map(|(period, value)| Point { period, value })
                .chain([Point { period: at, value: own }])
                .collect();
            let e = evaluate(&s, &obs, &at);
            if e.on_track == Some(true) && e.performance.is_some() {
                prop_assert!(e.performance.unwrap() >= 1.0, "{e:?}");
                prop_assert_eq!(e.status, Status::Green, "{:?}", e);
            }
            prop_assert!(e.on_track != Some(true) || !matches!(e.status, Status::Red | Status::Amber), "{e:?}");
            // Every roll-up input lies in [0, 1].
            let score = Score::indicator(1.0, e.performance).score;
            prop_assert!(score.is_none_or(|x| (0.0..=1.0).contains(&x)));
        }

        /// The same invariant straight on the formula, with the plan's value on either side.
        #[test]
        fn at_or_beyond_the_plan_performs_at_least_one(
            d in any_direction(),
            b in -1000.0..1000.0f64,
            planned in -1000.0..1000.0f64,
            a in -1000.0..1000.0f64,
        ) {
            if on_track(d, a, planned) {
                prop_assert!(performance(d, b, planned, a) >= 1.0);
            }
        }
    }
}
