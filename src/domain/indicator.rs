//! Indicator vocabulary: shared-value tags, target horizons, measurement status,
//! disaggregations and evidence.

use std::collections::BTreeMap;

use serde::Serialize;

use super::error::FieldError;
use super::period::PeriodType;
use super::plausibility::ValidRange;
use super::scoring::{Aggregation, Direction, Thresholds};

/// Declares a closed vocabulary stored as snake_case text.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s { $($text => Ok($name::$variant),)+ _ => Err(()) }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use vocabulary;

/// What defines an indicator: every field its owners edit, validated. Storage, the audit
/// chain, the read model and the scorecard all use this one type, so a new field of an
/// indicator is added here (and to the inputs that edit it), not to parallel copies.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorDefinition {
    /// The objective it measures.
    pub objective_id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub unit: String,
    /// The range values must lie in, as given (see [`ValidRange::effective`] for the range
    /// enforced: a percentage defaults to 0..100).
    pub valid_range: ValidRange,
    pub direction: Direction,
    pub periodicity: PeriodType,
    pub aggregation: Aggregation,
    pub thresholds: Thresholds,
    pub weight: f64,
    /// Where the numbers come from.
    pub source: String,
    pub shared_value_form: Option<SharedValueForm>,
    pub metric_category: Option<MetricCategory>,
    /// A formula over variable codes: the values are computed, never submitted.
    pub formula: Option<String>,
    /// How the values of several actors for one cell combine.
    pub actor_rule: super::actor_rule::ActorRule,
}

/// Serialised flat, one key per stored column (`direction`, `range_lower`, `range_upper`,
/// `green_threshold`, `amber_threshold`…), each value in its stored word: the audit chain's
/// record of an indicator's definition.
impl Serialize for IndicatorDefinition {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (range_lower, range_upper) = self.direction.bounds();
        let mut s = serializer.serialize_struct("IndicatorDefinition", 20)?;
        s.serialize_field("objective_id", &self.objective_id)?;
        s.serialize_field("code", &self.code)?;
        s.serialize_field("name", &self.name)?;
        s.serialize_field("description", &self.description)?;
        s.serialize_field("unit", &self.unit)?;
        s.serialize_field("direction", self.direction.kind().as_str())?;
        s.serialize_field("range_lower", &range_lower)?;
        s.serialize_field("range_upper", &range_upper)?;
        s.serialize_field("periodicity", self.periodicity.as_str())?;
        s.serialize_field("aggregation", self.aggregation.as_str())?;
        s.serialize_field("green_threshold", &self.thresholds.green)?;
        s.serialize_field("amber_threshold", &self.thresholds.amber)?;
        s.serialize_field("weight", &self.weight)?;
        s.serialize_field("source", &self.source)?;
        s.serialize_field(
            "shared_value_form",
            &self.shared_value_form.map(SharedValueForm::as_str),
        )?;
        s.serialize_field(
            "metric_category",
            &self.metric_category.map(MetricCategory::as_str),
        )?;
        s.serialize_field("formula", &self.formula)?;
        s.serialize_field("actor_rule", &self.actor_rule.to_string())?;
        s.serialize_field("valid_min", &self.valid_range.min)?;
        s.serialize_field("valid_max", &self.valid_range.max)?;
        s.end()
    }
}

vocabulary!(
    /// Porter & Kramer's three forms of shared value.
    SharedValueForm {
        ProductsMarkets => "products_markets",
        ValueChain => "value_chain",
        Cluster => "cluster",
    }
);

vocabulary!(
    /// The methodology's metric categories.
    MetricCategory {
        Socioeconomic => "socioeconomic",
        Environmental => "environmental",
        Innovation => "innovation",
        ProductiveDiversification => "productive_diversification",
        Financial => "financial",
    }
);

vocabulary!(
    /// How far away a target is.
    TargetHorizon {
        Short => "short",
        Medium => "medium",
        Long => "long",
    }
);

vocabulary!(
    /// Which way an indicator is better: up, down, or inside a range (whose bounds are
    /// stored beside it; [`super::Direction`] joins them).
    DirectionKind {
        Increase => "increase",
        Decrease => "decrease",
        Range => "range",
    }
);

vocabulary!(
    /// Where a challenge on a published value stands: open until the coordinating body
    /// answers it, then upheld (the value leaves the scores) or dismissed.
    ChallengeStatus {
        Open => "open",
        Upheld => "upheld",
        Dismissed => "dismissed",
    }
);

vocabulary!(
    /// Where a contributed value is in its review.
    MeasurementStatus {
        Submitted => "submitted",
        Approved => "approved",
        Rejected => "rejected",
    }
);

/// A breakdown of a value, e.g. `sexo=F;zona=rural`: keys are lowercase words, values
/// short codes; stored sorted by key so the same breakdown is always the same text. Empty
/// means the total.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Disaggregation(String);

impl Disaggregation {
    pub fn total() -> Disaggregation {
        Disaggregation(String::new())
    }

    pub fn parse(field: &str, pairs: &[(String, String)]) -> Result<Disaggregation, FieldError> {
        if pairs.len() > MAX_DISAGGREGATION_PAIRS {
            return Err(FieldError::new(
                field,
                "disaggregation",
                format!(
                    "at most {MAX_DISAGGREGATION_PAIRS} key=value pairs, got {}",
                    pairs.len()
                ),
            ));
        }
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            let (k, v) = (k.trim(), v.trim());
            let key_ok = (1..=32).contains(&k.len())
                && k.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            let value_ok = (1..=64).contains(&v.chars().count())
                && !v.contains([';', '='])
                && !v.chars().any(char::is_control);
            if !key_ok || !value_ok {
                return Err(FieldError::new(
                    field,
                    "disaggregation",
                    format!(
                        "'{k}={v}': keys are 1-32 lowercase letters, digits or _, values 1-64 characters without ';' or '='"
                    ),
                ));
            }
            if map.insert(k.to_string(), v.to_string()).is_some() {
                return Err(FieldError::new(
                    field,
                    "disaggregation",
                    format!("key '{k}' appears twice"),
                ));
            }
        }
        Ok(Disaggregation(
            map.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(";"),
        ))
    }

    /// The stored text form.
    pub fn from_stored(s: &str) -> Disaggregation {
        Disaggregation(s.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_total(&self) -> bool {
        self.0.is_empty()
    }

    pub fn pairs(&self) -> Vec<(String, String)> {
        self.0
            .split(';')
            .filter(|p| !p.is_empty())
            .filter_map(|p| {
                p.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            })
            .collect()
    }
}

/// The evidence behind a number: a link (http or https) and/or a text. At least one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub url: Option<String>,
    pub text: Option<String>,
}

impl Evidence {
    pub fn parse(url: Option<&str>, text: Option<&str>) -> Result<Evidence, FieldError> {
        Evidence::parse_with_file(url, text, None)
    }

    /// [`Evidence::parse`] where an uploaded evidence file (its safe name) is evidence
    /// enough: without a link or a text, the text names the file (the stored rows keep
    /// "a link or a text" as their rule).
    pub fn parse_with_file(
        url: Option<&str>,
        text: Option<&str>,
        file_name: Option<&str>,
    ) -> Result<Evidence, FieldError> {
        let url = url.map(str::trim).filter(|u| !u.is_empty());
        let text = text.map(str::trim).filter(|t| !t.is_empty());
        if let Some(u) = url {
            let ok = u.len() <= 2000
                && url::Url::parse(u)
                    .is_ok_and(|p| matches!(p.scheme(), "http" | "https") && p.host().is_some());
            if !ok {
                return Err(FieldError::new(
                    "evidenceUrl",
                    "url",
                    format!("'{u}' is not an http(s) URL"),
                ));
            }
        }
        if let Some(t) = text {
            super::error::no_control_characters("evidenceText", t, true)?;
        }
        if let Some(t) = text
            && t.chars().count() > 4000
        {
            return Err(FieldError::new(
                "evidenceText",
                "length",
                "must have at most 4000 characters",
            ));
        }
        if let (None, None, Some(name)) = (url, text, file_name) {
            return Ok(Evidence {
                url: None,
                text: Some(format!("archivo adjunto / attached file: {name}")),
            });
        }
        if url.is_none() && text.is_none() {
            return Err(FieldError::new(
                "evidenceUrl",
                "required",
                "every value needs its evidence: a link (evidenceUrl), a description (evidenceText) or a file",
            ));
        }
        Ok(Evidence {
            url: url.map(str::to_string),
            text: text.map(str::to_string),
        })
    }
}

/// The largest magnitude of any number the service accepts (values, baselines, targets,
/// ranges, thresholds, weights, adjustments…): |x| ≤ 10¹⁵. Far above any real indicator (a
/// national budget in soles is ~10¹¹) and far below where sums, differences and products of
/// a few such numbers overflow f64 or lose every decimal.
pub const MAX_MAGNITUDE: f64 = 1e15;

/// A finite number within ±[`MAX_MAGNITUDE`]; NaN and ±∞ are refused (rule `finite`), larger
/// magnitudes too (rule `magnitude`). Every number that comes in goes through this.
pub fn finite(field: &str, v: f64) -> Result<f64, FieldError> {
    if !v.is_finite() {
        Err(FieldError::new(
            field,
            "finite",
            format!("must be a finite number, got {v}"),
        ))
    } else if v.abs() > MAX_MAGNITUDE {
        Err(FieldError::new(
            field,
            "magnitude",
            format!("must lie within ±{MAX_MAGNITUDE:e}, got {v:e}"),
        ))
    } else {
        Ok(v)
    }
}

/// Most key=value pairs in one disaggregation.
pub const MAX_DISAGGREGATION_PAIRS: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn disaggregations_are_canonical() {
        let a = Disaggregation::parse("d", &pairs(&[("zona", "rural"), ("sexo", "F")])).unwrap();
        let b = Disaggregation::parse("d", &pairs(&[("sexo", "F"), ("zona", "rural")])).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "sexo=F;zona=rural");
        assert_eq!(a.pairs(), pairs(&[("sexo", "F"), ("zona", "rural")]));
        assert!(Disaggregation::parse("d", &[]).unwrap().is_total());
        assert!(Disaggregation::parse("d", &pairs(&[("Sexo", "F")])).is_err());
        assert!(Disaggregation::parse("d", &pairs(&[("sexo", "F"), ("sexo", "M")])).is_err());
        assert!(Disaggregation::parse("d", &pairs(&[("sexo", "a;b")])).is_err());
    }

    #[test]
    fn evidence_needs_a_link_or_a_text() {
        assert!(Evidence::parse(Some("https://www.mef.gob.pe/consulta"), None).is_ok());
        assert!(Evidence::parse(None, Some("Acta de la asamblea comunal, 12/03/2024")).is_ok());
        assert_eq!(
            Evidence::parse(None, Some("  ")).unwrap_err().rule,
            "required"
        );
        assert_eq!(
            Evidence::parse(Some("ftp://x.pe/a"), None)
                .unwrap_err()
                .rule,
            "url"
        );
        assert_eq!(
            Evidence::parse(Some("no es url"), None).unwrap_err().field,
            "evidenceUrl"
        );
    }

    #[test]
    fn vocabularies_round_trip() {
        for c in MetricCategory::ALL {
            assert_eq!(c.as_str().parse::<MetricCategory>(), Ok(*c));
        }
        assert!(finite("value", f64::NAN).is_err() && finite("value", f64::INFINITY).is_err());
        assert_eq!(finite("value", 1.7e308).unwrap_err().rule, "magnitude");
        assert_eq!(finite("value", -1.7e308).unwrap_err().rule, "magnitude");
        assert_eq!(finite("value", -MAX_MAGNITUDE), Ok(-MAX_MAGNITUDE));
        let many: Vec<(String, String)> = (0..=MAX_DISAGGREGATION_PAIRS)
            .map(|i| (format!("k{i}"), "v".to_string()))
            .collect();
        assert!(Disaggregation::parse("d", &many).is_err());
        assert!(Disaggregation::parse("d", &many[..MAX_DISAGGREGATION_PAIRS]).is_ok());
        assert!(Disaggregation::parse("d", &pairs(&[("sexo", "F\u{0}")])).is_err());
        assert!(Evidence::parse(None, Some("línea 1\nlínea 2")).is_ok());
        assert!(Evidence::parse(None, Some("a\u{0}b")).is_err());
        assert_eq!(finite("value", 2.5), Ok(2.5));
    }
}
