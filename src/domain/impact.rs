//! Cumulative impacts (IFC 2013, *Cumulative Impact Assessment and Management*): valued
//! environmental and social components (VECs), the developments that act on them, and the
//! cumulative state of each VEC against its limit of acceptable change.
//!
//! The state of a VEC in a period is its baseline condition plus the sum of every approved
//! contribution (a development's signed change, in the VEC's unit) from the period after the
//! baseline up to that period, across every development and actor in the scenario. The
//! *headroom* is the distance left to the threshold on its limiting side (negative once the
//! limit is crossed), and the share of headroom *used* is the change so far over the change the
//! threshold allows. Status: `exceeded` past the limit, `approaching` from 80 % of the headroom
//! used, else `within`.
//!
//! Pure functions, no I/O.

use std::collections::BTreeMap;

use serde::Serialize;

use super::error::FieldError;
use super::indicator::vocabulary;
use super::period::Period;

/// The share of headroom used from which a VEC is `approaching` its limit.
pub const APPROACHING_SHARE: f64 = 0.8;

vocabulary!(
    /// What a VEC is.
    VecKind {
        Environmental => "environmental",
        Social => "social",
    }
);

vocabulary!(
    /// Which side of the threshold is unacceptable: `upper` = the state must stay at or below
    /// it (e.g. a pollutant), `lower` = at or above it (e.g. water available).
    LimitSide {
        Upper => "upper",
        Lower => "lower",
    }
);

vocabulary!(
    /// The direction in which a VEC is better.
    Desirable {
        Increase => "increase",
        Decrease => "decrease",
    }
);

vocabulary!(
    /// A development's economic sector.
    Sector {
        Mining => "mining",
        Agriculture => "agriculture",
        Fisheries => "fisheries",
        Urban => "urban",
        Infrastructure => "infrastructure",
        Energy => "energy",
        Other => "other",
    }
);

vocabulary!(
    /// How real a development is.
    DevelopmentStatus {
        Existing => "existing",
        Planned => "planned",
        Foreseeable => "foreseeable",
    }
);

vocabulary!(
    /// How an impact contribution was obtained.
    ImpactBasis {
        Measured => "measured",
        Estimated => "estimated",
        Modelled => "modelled",
    }
);

vocabulary!(
    /// Which developments a cumulative assessment counts.
    Scenario {
        Existing => "existing",
        WithPlanned => "with_planned",
        WithForeseeable => "with_foreseeable",
    }
);

impl Scenario {
    /// Whether a development of this status counts in the scenario.
    pub fn includes(self, status: DevelopmentStatus) -> bool {
        match self {
            Scenario::Existing => status == DevelopmentStatus::Existing,
            Scenario::WithPlanned => status != DevelopmentStatus::Foreseeable,
            Scenario::WithForeseeable => true,
        }
    }
}

vocabulary!(
    /// Where a VEC stands against its threshold.
    VecStatus {
        Within => "within",
        Approaching => "approaching",
        Exceeded => "exceeded",
    }
);

/// The limit of acceptable change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Threshold {
    pub value: f64,
    pub side: LimitSide,
}

impl Threshold {
    /// A threshold must leave room on its acceptable side of the baseline: an upper limit above
    /// the baseline, a lower limit below it. Field-level error otherwise.
    pub fn parse(baseline: f64, value: f64, side: LimitSide) -> Result<Threshold, FieldError> {
        super::indicator::finite("thresholdValue", value)?;
        let ok = match side {
            LimitSide::Upper => value > baseline,
            LimitSide::Lower => value < baseline,
        };
        if ok {
            Ok(Threshold { value, side })
        } else {
            let (word, cmp) = match side {
                LimitSide::Upper => ("an upper", "above"),
                LimitSide::Lower => ("a lower", "below"),
            };
            Err(FieldError::new(
                "thresholdValue",
                "side",
                format!(
                    "{word} limit must lie {cmp} the baseline ({baseline}); {value} leaves no acceptable change"
                ),
            ))
        }
    }

    /// Distance left from `state` to the limit on its acceptable side; negative past it.
    pub fn headroom(&self, state: f64) -> f64 {
        match self.side {
            LimitSide::Upper => self.value - state,
            LimitSide::Lower => state - self.value,
        }
    }
}

/// The status for a state, given the baseline: the share of the allowed change used so far.
pub fn status(baseline: f64, threshold: Threshold, state: f64) -> (VecStatus, f64) {
    let allowed = threshold.headroom(baseline);
    let used = if allowed > 0.0 {
        (allowed - threshold.headroom(state)) / allowed
    } else {
        1.0
    };
    let status = if threshold.headroom(state) < 0.0 {
        VecStatus::Exceeded
    } else if used >= APPROACHING_SHARE {
        VecStatus::Approaching
    } else {
        VecStatus::Within
    };
    (status, used)
}

/// One approved contribution, with what it is broken down by.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    pub period: Period,
    pub development_id: i64,
    pub sector: Sector,
    pub actor_id: i64,
    pub value: f64,
}

/// The cumulative state of a VEC in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CumulativePoint {
    pub period: Period,
    pub state: f64,
    /// Sum of the contributions counted so far.
    pub change: f64,
    pub headroom: f64,
    /// Share of the allowed change used (1 = at the limit).
    pub used: f64,
    pub status: VecStatus,
    /// Change so far by development id, by sector and by actor id.
    pub by_development: BTreeMap<i64, f64>,
    pub by_sector: BTreeMap<Sector, f64>,
    pub by_actor: BTreeMap<i64, f64>,
}

/// The cumulative state for each of `periods`: baseline plus every contribution after the
/// baseline period and up to (and including) that period. Contributions at or before the
/// baseline period are already in the baseline and are not counted again.
pub fn cumulative(
    baseline_period: &Period,
    baseline: f64,
    threshold: Threshold,
    contributions: &[Contribution],
    periods: &[Period],
) -> Vec<CumulativePoint> {
    periods
        .iter()
        .map(|p| {
            let counted = contributions
                .iter()
                .filter(|c| c.period.end() > baseline_period.end() && c.period.end() <= p.end());
            let mut by_development = BTreeMap::new();
            let mut by_sector = BTreeMap::new();
            let mut by_actor = BTreeMap::new();
            let mut change = 0.0;
            for c in counted {
                change += c.value;
                *by_development.entry(c.development_id).or_insert(0.0) += c.value;
                *by_sector.entry(c.sector).or_insert(0.0) += c.value;
                *by_actor.entry(c.actor_id).or_insert(0.0) += c.value;
            }
            let state = baseline + change;
            let (status, used) = status(baseline, threshold, state);
            CumulativePoint {
                period: *p,
                state,
                change,
                headroom: threshold.headroom(state),
                used,
                status,
                by_development,
                by_sector,
                by_actor,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse("p", s).unwrap()
    }

    fn c(
        period: &str,
        development_id: i64,
        sector: Sector,
        actor_id: i64,
        value: f64,
    ) -> Contribution {
        Contribution {
            period: p(period),
            development_id,
            sector,
            actor_id,
            value,
        }
    }

    #[test]
    fn a_threshold_must_leave_room_on_its_side_of_the_baseline() {
        assert!(Threshold::parse(10.0, 12.0, LimitSide::Upper).is_ok());
        assert!(Threshold::parse(10.0, 8.0, LimitSide::Lower).is_ok());
        let e = Threshold::parse(10.0, 8.0, LimitSide::Upper).unwrap_err();
        assert_eq!((e.field.as_str(), e.rule), ("thresholdValue", "side"));
        assert!(e.message.contains("above the baseline"), "{}", e.message);
        assert!(Threshold::parse(10.0, 10.0, LimitSide::Lower).is_err());
        assert!(Threshold::parse(10.0, f64::NAN, LimitSide::Lower).is_err());
    }

    #[test]
    fn water_availability_falling_towards_a_lower_limit() {
        // Baseline 2020: 100 hm³ available; at least 60 must remain (40 of allowed change).
        let t = Threshold::parse(100.0, 60.0, LimitSide::Lower).unwrap();
        let contributions = [
            c("2020", 1, Sector::Mining, 7, -50.0), // in the baseline already
            c("2021", 1, Sector::Mining, 7, -10.0),
            c("2022", 2, Sector::Agriculture, 8, -12.0),
            c("2023", 1, Sector::Mining, 7, -11.0),
            c("2024", 3, Sector::Urban, 9, -9.0),
        ];
        let periods = [p("2021"), p("2022"), p("2023"), p("2024")];
        let points = cumulative(&p("2020"), 100.0, t, &contributions, &periods);
        let states: Vec<f64> = points.iter().map(|x| x.state).collect();
        assert_eq!(states, [90.0, 78.0, 67.0, 58.0]);
        let headroom: Vec<f64> = points.iter().map(|x| x.headroom).collect();
        assert_eq!(headroom, [30.0, 18.0, 7.0, -2.0]);
        // used = change / 40: 0.25, 0.55, 0.825, 1.05
        assert!((points[2].used - 0.825).abs() < 1e-12);
        let statuses: Vec<VecStatus> = points.iter().map(|x| x.status).collect();
        assert_eq!(
            statuses,
            [
                VecStatus::Within,
                VecStatus::Within,
                VecStatus::Approaching,
                VecStatus::Exceeded
            ]
        );
        let last = &points[3];
        assert_eq!(last.by_development[&1], -21.0);
        assert_eq!(last.by_sector[&Sector::Agriculture], -12.0);
        assert_eq!(last.by_actor[&9], -9.0);
    }

    #[test]
    fn an_upper_limit_exactly_reached_is_approaching_not_exceeded() {
        let t = Threshold::parse(20.0, 30.0, LimitSide::Upper).unwrap();
        let points = cumulative(
            &p("2020"),
            20.0,
            t,
            &[c("2021", 1, Sector::Energy, 1, 10.0)],
            &[p("2021")],
        );
        assert_eq!(points[0].headroom, 0.0);
        assert_eq!(points[0].status, VecStatus::Approaching);
        // A beneficial change (away from the limit) leaves more headroom than the baseline.
        let points = cumulative(
            &p("2020"),
            20.0,
            t,
            &[c("2021", 1, Sector::Energy, 1, -5.0)],
            &[p("2021")],
        );
        assert_eq!(
            (points[0].headroom, points[0].status),
            (15.0, VecStatus::Within)
        );
        assert!(points[0].used < 0.0);
    }

    #[test]
    fn scenarios_include_developments_by_status() {
        use DevelopmentStatus::*;
        assert!(Scenario::Existing.includes(Existing));
        assert!(!Scenario::Existing.includes(Planned));
        assert!(Scenario::WithPlanned.includes(Planned));
        assert!(!Scenario::WithPlanned.includes(Foreseeable));
        assert!(Scenario::WithForeseeable.includes(Foreseeable));
    }
}
