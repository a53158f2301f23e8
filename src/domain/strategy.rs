//! The strategy map's rules: slugs, codes, weights, horizons, the four ecosystem perspectives
//! (Kaplan & McMillan 2021) and the map's acyclicity.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::{FieldError, bounded_text};

/// An ecosystem's URL name: lowercase letters, digits and hyphens, 2 to 64 characters,
/// starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    pub fn parse(field: &str, raw: &str) -> Result<Slug, FieldError> {
        let s = raw.trim();
        let ok = (2..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Slug(s.to_string()))
        } else {
            Err(FieldError::new(
                field,
                "slug",
                format!(
                    "'{s}' is not a valid slug: use 2-64 lowercase letters, digits and hyphens (e.g. moquegua-2030)"
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short code such as `OE1`, `T-AGUA` or `IND.3.2`: 1 to 20 letters, digits, `.`, `-`, `_`;
/// kept as written (codes are compared exactly).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Code(String);

impl Code {
    pub fn parse(field: &str, raw: &str) -> Result<Code, FieldError> {
        let s = raw.trim();
        let ok = (1..=20).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if ok {
            Ok(Code(s.to_string()))
        } else {
            Err(FieldError::new(
                field,
                "code",
                format!(
                    "'{s}' is not a valid code: use 1-20 letters, digits, '.', '-' or '_' (e.g. OE1)"
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A relative weight in a roll-up: finite, greater than 0, at most 1000.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Weight(f64);

impl Weight {
    pub const DEFAULT: Weight = Weight(1.0);

    pub fn parse(field: &str, raw: f64) -> Result<Weight, FieldError> {
        if raw.is_finite() && raw > 0.0 && raw <= 1000.0 {
            Ok(Weight(raw))
        } else {
            Err(FieldError::new(
                field,
                "range",
                format!("weight must be > 0 and ≤ 1000, got {raw}"),
            ))
        }
    }

    pub fn value(self) -> f64 {
        self.0
    }
}

/// The planning horizon of an ecosystem's strategy, in years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Horizon {
    pub start_year: i32,
    pub end_year: i32,
}

impl Horizon {
    pub fn parse(start_year: i32, end_year: i32) -> Result<Horizon, FieldError> {
        if !(1990..=2100).contains(&start_year) || !(1990..=2100).contains(&end_year) {
            return Err(FieldError::new(
                "horizon",
                "range",
                format!("years must be between 1990 and 2100, got {start_year}-{end_year}"),
            ));
        }
        if start_year > end_year {
            return Err(FieldError::new(
                "horizon",
                "order",
                format!("the horizon starts ({start_year}) after it ends ({end_year})"),
            ));
        }
        Ok(Horizon {
            start_year,
            end_year,
        })
    }
}

/// Free text with a bound (names, missions, descriptions).
pub fn text(field: &str, raw: &str, min: usize, max: usize) -> Result<String, FieldError> {
    bounded_text(field, raw, min, max)
}

/// The four perspectives of an ecosystem Balanced Scorecard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PerspectiveKind {
    /// Triple value: economic, social, environmental.
    Results,
    /// Value for each actor of the ecosystem.
    Stakeholders,
    /// Sustainable processes and practices.
    Processes,
    /// Capabilities and key resources.
    Enablers,
}

impl PerspectiveKind {
    /// The default order, top of the map first: results rest on stakeholders, on processes,
    /// on enablers.
    pub const DEFAULT_ORDER: [PerspectiveKind; 4] = [
        PerspectiveKind::Results,
        PerspectiveKind::Stakeholders,
        PerspectiveKind::Processes,
        PerspectiveKind::Enablers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PerspectiveKind::Results => "results",
            PerspectiveKind::Stakeholders => "stakeholders",
            PerspectiveKind::Processes => "processes",
            PerspectiveKind::Enablers => "enablers",
        }
    }

    /// The Spanish default name.
    pub fn default_name(self) -> &'static str {
        match self {
            PerspectiveKind::Results => "Resultados: triple valor",
            PerspectiveKind::Stakeholders => "Stakeholders del ecosistema",
            PerspectiveKind::Processes => "Procesos y prácticas sostenibles",
            PerspectiveKind::Enablers => "Habilitadores y recursos clave",
        }
    }

    /// Checks that `kinds` names each of the four perspectives exactly once.
    pub fn permutation(
        field: &str,
        kinds: &[PerspectiveKind],
    ) -> Result<[PerspectiveKind; 4], FieldError> {
        let unique: HashSet<_> = kinds.iter().collect();
        match <[PerspectiveKind; 4]>::try_from(kinds) {
            Ok(order) if unique.len() == 4 => Ok(order),
            _ => Err(FieldError::new(
                field,
                "permutation",
                format!(
                    "must list each of the four perspectives exactly once (RESULTS, STAKEHOLDERS, PROCESSES, ENABLERS), got {}",
                    kinds
                        .iter()
                        .map(|k| k.as_str().to_uppercase())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
}

impl FromStr for PerspectiveKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        PerspectiveKind::DEFAULT_ORDER
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or(())
    }
}

impl fmt::Display for PerspectiveKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Strategic theme or cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThemeKind {
    /// A strategic theme cutting across perspectives (e.g. cierre de brechas).
    Theme,
    /// A local cluster (e.g. pisco, turismo).
    Cluster,
}

impl ThemeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ThemeKind::Theme => "theme",
            ThemeKind::Cluster => "cluster",
        }
    }
}

impl FromStr for ThemeKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "theme" => Ok(ThemeKind::Theme),
            "cluster" => Ok(ThemeKind::Cluster),
            _ => Err(()),
        }
    }
}

/// If adding the link `cause → effect` to the map `links` would close a cycle, the cycle as
/// a path `cause → effect → … → cause`; `None` when the map stays acyclic.
pub fn cycle_through<K: Copy + Eq + std::hash::Hash>(
    links: &[(K, K)],
    cause: K,
    effect: K,
) -> Option<Vec<K>> {
    if cause == effect {
        return Some(vec![cause, cause]);
    }
    let mut next: HashMap<K, Vec<K>> = HashMap::new();
    for &(from, to) in links {
        next.entry(from).or_default().push(to);
    }
    // Breadth-first from `effect`: a path back to `cause` closes the cycle (shortest one).
    let mut came_from: HashMap<K, K> = HashMap::new();
    let mut queue = VecDeque::from([effect]);
    let mut seen = HashSet::from([effect]);
    while let Some(node) = queue.pop_front() {
        if node == cause {
            let mut path = vec![cause];
            let mut at = cause;
            while at != effect {
                at = *came_from.get(&at)?;
                path.push(at);
            }
            path.push(cause);
            // Built walking backwards from `cause`; read forwards it starts with the new link.
            path.reverse();
            return Some(path);
        }
        for &to in next.get(&node).map(Vec::as_slice).unwrap_or(&[]) {
            if seen.insert(to) {
                came_from.insert(to, node);
                queue.push_back(to);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_codes_and_weights() {
        assert_eq!(
            Slug::parse("slug", " moquegua-2030 ").unwrap().as_str(),
            "moquegua-2030"
        );
        for bad in ["Moquegua", "m", "-moq", "moq-", "moq_1", "moquegua región"] {
            assert_eq!(Slug::parse("slug", bad).unwrap_err().rule, "slug", "{bad}");
        }
        assert_eq!(Code::parse("code", "OE1").unwrap().as_str(), "OE1");
        assert!(Code::parse("code", "OE 1").is_err());
        assert!(Code::parse("code", "").is_err());
        assert!(Code::parse("code", &"X".repeat(21)).is_err());
        assert_eq!(Weight::parse("weight", 2.5).unwrap().value(), 2.5);
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1000.5] {
            assert!(Weight::parse("weight", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn horizons_are_ordered_years() {
        assert!(Horizon::parse(2023, 2030).is_ok());
        assert_eq!(Horizon::parse(2030, 2023).unwrap_err().rule, "order");
        assert_eq!(Horizon::parse(23, 30).unwrap_err().rule, "range");
    }

    #[test]
    fn perspective_orders_must_be_permutations() {
        use PerspectiveKind::*;
        assert_eq!(
            PerspectiveKind::permutation("kinds", &[Enablers, Processes, Stakeholders, Results])
                .unwrap(),
            [Enablers, Processes, Stakeholders, Results]
        );
        assert!(
            PerspectiveKind::permutation("kinds", &[Results, Results, Processes, Enablers])
                .is_err()
        );
        assert!(PerspectiveKind::permutation("kinds", &[Results, Processes, Enablers]).is_err());
        let e = PerspectiveKind::permutation("kinds", &[Results; 5]).unwrap_err();
        assert_eq!((e.field.as_str(), e.rule), ("kinds", "permutation"));
    }

    #[test]
    fn a_link_that_closes_a_cycle_is_reported_with_the_cycle() {
        let links = [(1, 2), (2, 3), (3, 4), (1, 5)];
        assert_eq!(cycle_through(&links, 4, 1), Some(vec![4, 1, 2, 3, 4]));
        assert_eq!(cycle_through(&links, 3, 2), Some(vec![3, 2, 3]));
        assert_eq!(cycle_through(&links, 7, 7), Some(vec![7, 7]));
        assert_eq!(
            cycle_through(&links, 5, 4),
            None,
            "a second path is not a cycle"
        );
        assert_eq!(cycle_through(&links, 4, 5), None);
        assert_eq!(cycle_through::<i32>(&[], 1, 2), None);
    }
}
