//! Values from several actors: when more than one actor reports the same indicator or
//! variable for the same period, territory and disaggregation (a *cell*), each actor keeps its
//! own series of revisions, and the indicator's or variable's *actor rule* combines their
//! counted values into the one value the scorecard, series, territory views, formulas and open
//! data use. A coordinator may add a de-duplication adjustment to a cell (the same people
//! counted by two partners), as DATIM does.

use std::fmt;

use chrono::NaiveDateTime;

use super::FieldError;

/// How the counted values of several actors in one cell combine.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ActorRule {
    /// The actors' parts add up (local jobs of several companies).
    Sum,
    /// Their arithmetic mean.
    Mean,
    /// The largest part.
    Max,
    /// The most recently approved part (the default: one actor's value replaces another's,
    /// as before several actors were told apart, but every part stays visible).
    #[default]
    Latest,
    /// The first actor of this ordered list with a counted value; actors outside the list
    /// come after it, the most recently approved first.
    Preferred(Vec<i64>),
}

/// The rule's name, without the preferred actors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorRuleKind {
    Sum,
    Mean,
    Max,
    Latest,
    Preferred,
}

impl ActorRuleKind {
    pub const ALL: &'static [ActorRuleKind] = &[
        ActorRuleKind::Sum,
        ActorRuleKind::Mean,
        ActorRuleKind::Max,
        ActorRuleKind::Latest,
        ActorRuleKind::Preferred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActorRuleKind::Sum => "SUM",
            ActorRuleKind::Mean => "MEAN",
            ActorRuleKind::Max => "MAX",
            ActorRuleKind::Latest => "LATEST",
            ActorRuleKind::Preferred => "PREFERRED",
        }
    }

    fn parse(s: &str) -> Option<ActorRuleKind> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// The most actors a `PREFERRED` list may name.
pub const MAX_PREFERRED: usize = 50;

impl ActorRule {
    /// Builds a rule from its name and, for `PREFERRED`, the ordered actors (required, distinct,
    /// at most [`MAX_PREFERRED`]; refused for the other rules).
    pub fn new(
        field: &str,
        kind: ActorRuleKind,
        preferred: Vec<i64>,
    ) -> Result<ActorRule, FieldError> {
        match kind {
            ActorRuleKind::Preferred => {
                if preferred.is_empty() {
                    return Err(FieldError::new(
                        field,
                        "required",
                        "PREFERRED needs the ordered list of actors (preferredActorIds)",
                    ));
                }
                if preferred.len() > MAX_PREFERRED {
                    return Err(FieldError::new(
                        field,
                        "length",
                        format!("at most {MAX_PREFERRED} preferred actors"),
                    ));
                }
                let mut seen = std::collections::HashSet::new();
                if let Some(dup) = preferred.iter().find(|a| !seen.insert(**a)) {
                    return Err(FieldError::new(
                        field,
                        "duplicate",
                        format!("actor {dup} is named twice"),
                    ));
                }
                Ok(ActorRule::Preferred(preferred))
            }
            _ if !preferred.is_empty() => Err(FieldError::new(
                field,
                "not_allowed",
                "preferred actors apply to the PREFERRED rule only",
            )),
            ActorRuleKind::Sum => Ok(ActorRule::Sum),
            ActorRuleKind::Mean => Ok(ActorRule::Mean),
            ActorRuleKind::Max => Ok(ActorRule::Max),
            ActorRuleKind::Latest => Ok(ActorRule::Latest),
        }
    }

    pub fn kind(&self) -> ActorRuleKind {
        match self {
            ActorRule::Sum => ActorRuleKind::Sum,
            ActorRule::Mean => ActorRuleKind::Mean,
            ActorRule::Max => ActorRuleKind::Max,
            ActorRule::Latest => ActorRuleKind::Latest,
            ActorRule::Preferred(_) => ActorRuleKind::Preferred,
        }
    }

    /// The ordered actors of a `PREFERRED` rule (empty for the others).
    pub fn preferred(&self) -> &[i64] {
        match self {
            ActorRule::Preferred(actors) => actors,
            _ => &[],
        }
    }

    /// Combines the counted parts of one cell (each actor's counted value) and the cell's
    /// adjustment. `None` without parts: an adjustment alone is no value.
    pub fn combine(&self, parts: &[Part], adjustment: f64) -> Option<Combined> {
        let latest = |a: &&Part, b: &&Part| {
            (a.approved_at, a.measurement_id).cmp(&(b.approved_at, b.measurement_id))
        };
        let (value, chosen) = match self {
            ActorRule::Sum => (parts.iter().map(|p| p.value).sum(), None),
            ActorRule::Mean => {
                if parts.is_empty() {
                    return None;
                }
                (
                    parts.iter().map(|p| p.value).sum::<f64>() / parts.len() as f64,
                    None,
                )
            }
            ActorRule::Max => {
                let p = parts
                    .iter()
                    .max_by(|a, b| a.value.total_cmp(&b.value).then(latest(a, b)))?;
                (p.value, Some(p.measurement_id))
            }
            ActorRule::Latest => {
                let p = parts.iter().max_by(latest)?;
                (p.value, Some(p.measurement_id))
            }
            ActorRule::Preferred(order) => {
                let rank = |p: &Part| {
                    order
                        .iter()
                        .position(|a| *a == p.actor_id)
                        .unwrap_or(order.len())
                };
                let p = parts.iter().min_by(|a, b| {
                    rank(a).cmp(&rank(b)).then_with(|| latest(b, a)) // later approval first
                })?;
                (p.value, Some(p.measurement_id))
            }
        };
        if parts.is_empty() {
            return None;
        }
        // One part decides the value alone only when nothing else shapes it.
        let chosen = match (chosen, parts) {
            (Some(id), _) => Some(id),
            (None, [only]) => Some(only.measurement_id),
            (None, _) => None,
        };
        Some(Combined {
            value: value + adjustment,
            chosen: if adjustment == 0.0 { chosen } else { None },
            parts: parts.len(),
        })
    }
}

/// Stored as one word: `SUM`, `MEAN`, `MAX`, `LATEST`, or `PREFERRED:3,7,1` (actor ids in
/// order).
impl fmt::Display for ActorRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind().as_str())?;
        if let ActorRule::Preferred(actors) = self {
            let ids: Vec<String> = actors.iter().map(i64::to_string).collect();
            write!(f, ":{}", ids.join(","))?;
        }
        Ok(())
    }
}

impl std::str::FromStr for ActorRule {
    type Err = ();

    fn from_str(s: &str) -> Result<ActorRule, ()> {
        let (name, actors) = match s.split_once(':') {
            Some((name, list)) => (
                name,
                list.split(',')
                    .map(|a| a.parse::<i64>().map_err(|_| ()))
                    .collect::<Result<Vec<_>, ()>>()?,
            ),
            None => (s, Vec::new()),
        };
        let kind = ActorRuleKind::parse(name).ok_or(())?;
        ActorRule::new("actor_rule", kind, actors).map_err(|_| ())
    }
}

/// One actor's counted value in a cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Part {
    pub actor_id: i64,
    pub value: f64,
    /// When it was approved (the order of `LATEST`).
    pub approved_at: Option<NaiveDateTime>,
    pub measurement_id: i64,
}

/// A cell's combined value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Combined {
    pub value: f64,
    /// The one value it is, when a single part decides it and no adjustment changed it (the
    /// value provenance links to); `None` when several parts or an adjustment made it.
    pub chosen: Option<i64>,
    /// How many actors' parts it combines.
    pub parts: usize,
}

/// The largest absolute de-duplication adjustment accepted (guards against typos that would
/// swamp a cell).
pub const MAX_ADJUSTMENT: f64 = 1e12;

/// Validates an adjustment's value: finite and within ±[`MAX_ADJUSTMENT`].
pub fn adjustment_value(field: &str, value: f64) -> Result<f64, FieldError> {
    if !value.is_finite() || value.abs() > MAX_ADJUSTMENT {
        return Err(FieldError::new(
            field,
            "range",
            format!("an adjustment is a finite number within ±{MAX_ADJUSTMENT:e}"),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32) -> Option<NaiveDateTime> {
        NaiveDate::from_ymd_opt(2025, 1, day).and_then(|d| d.and_hms_opt(0, 0, 0))
    }

    fn parts() -> Vec<Part> {
        vec![
            Part {
                actor_id: 1,
                value: 120.0,
                approved_at: at(3),
                measurement_id: 10,
            },
            Part {
                actor_id: 2,
                value: 80.0,
                approved_at: at(5),
                measurement_id: 11,
            },
            Part {
                actor_id: 3,
                value: 40.0,
                approved_at: at(1),
                measurement_id: 12,
            },
        ]
    }

    fn value(rule: &ActorRule, adjustment: f64) -> Option<f64> {
        rule.combine(&parts(), adjustment).map(|c| c.value)
    }

    #[test]
    fn each_rule_combines_hand_worked_parts() {
        assert_eq!(value(&ActorRule::Sum, 0.0), Some(240.0));
        assert_eq!(value(&ActorRule::Mean, 0.0), Some(80.0));
        assert_eq!(value(&ActorRule::Max, 0.0), Some(120.0));
        assert_eq!(
            value(&ActorRule::Latest, 0.0),
            Some(80.0),
            "approved on the 5th"
        );
        assert_eq!(value(&ActorRule::Preferred(vec![3, 1]), 0.0), Some(40.0));
        assert_eq!(
            value(&ActorRule::Preferred(vec![9, 1]), 0.0),
            Some(120.0),
            "actor 9 has no value: the next in the list counts"
        );
        assert_eq!(
            value(&ActorRule::Preferred(vec![9]), 0.0),
            Some(80.0),
            "no listed actor has a value: the most recently approved of the others"
        );
    }

    #[test]
    fn an_adjustment_is_added_and_hides_the_single_source() {
        let c = ActorRule::Sum.combine(&parts(), -30.0).expect("value");
        assert_eq!(c.value, 210.0);
        assert_eq!(c.chosen, None);
        assert_eq!(c.parts, 3);
        let latest = ActorRule::Latest.combine(&parts(), 0.0).expect("value");
        assert_eq!(latest.chosen, Some(11));
        assert_eq!(
            ActorRule::Sum.combine(&[], -30.0),
            None,
            "no parts, no value"
        );
        assert_eq!(ActorRule::Mean.combine(&[], 0.0), None);
        let one = ActorRule::Sum.combine(&parts()[..1], 0.0).expect("value");
        assert_eq!(one.chosen, Some(10), "one part is its own source");
    }

    #[test]
    fn rules_round_trip_through_their_stored_word() {
        for rule in [
            ActorRule::Sum,
            ActorRule::Mean,
            ActorRule::Max,
            ActorRule::Latest,
            ActorRule::Preferred(vec![3, 7, 1]),
        ] {
            assert_eq!(rule.to_string().parse::<ActorRule>(), Ok(rule.clone()));
        }
        assert_eq!(
            ActorRule::Preferred(vec![3, 7]).to_string(),
            "PREFERRED:3,7"
        );
        for bad in [
            "",
            "sum",
            "PREFERRED",
            "PREFERRED:",
            "PREFERRED:1,1",
            "SUM:1",
            "MAX:x",
        ] {
            assert!(bad.parse::<ActorRule>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn preferred_lists_are_checked() {
        assert!(ActorRule::new("f", ActorRuleKind::Preferred, vec![]).is_err());
        assert!(ActorRule::new("f", ActorRuleKind::Preferred, vec![1, 2, 1]).is_err());
        assert!(ActorRule::new("f", ActorRuleKind::Sum, vec![1]).is_err());
        assert!(
            ActorRule::new(
                "f",
                ActorRuleKind::Preferred,
                (0..=MAX_PREFERRED as i64).collect()
            )
            .is_err()
        );
        assert!(adjustment_value("v", f64::NAN).is_err());
        assert!(adjustment_value("v", 1e300).is_err());
        assert_eq!(adjustment_value("v", -12.5), Ok(-12.5));
    }
}
