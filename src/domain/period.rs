//! Periods as DHIS2-style identifiers: `2024` (year), `2024S1` (half), `2024Q3` (quarter),
//! `202403` (month). Each has a start and an end date; periods order by start, then by end
//! (so a year comes before its first quarter, which comes before that quarter's months).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::error::FieldError;

/// The length of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodType {
    Yearly,
    SixMonthly,
    Quarterly,
    Monthly,
}

impl PeriodType {
    pub const ALL: [PeriodType; 4] = [
        PeriodType::Yearly,
        PeriodType::SixMonthly,
        PeriodType::Quarterly,
        PeriodType::Monthly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodType::Yearly => "yearly",
            PeriodType::SixMonthly => "six_monthly",
            PeriodType::Quarterly => "quarterly",
            PeriodType::Monthly => "monthly",
        }
    }

    /// How many periods of this type make a year.
    pub fn per_year(self) -> u32 {
        match self {
            PeriodType::Yearly => 1,
            PeriodType::SixMonthly => 2,
            PeriodType::Quarterly => 4,
            PeriodType::Monthly => 12,
        }
    }

    fn months(self) -> u32 {
        12 / self.per_year()
    }

    /// An example identifier, for error messages.
    pub fn example(self) -> &'static str {
        match self {
            PeriodType::Yearly => "2024",
            PeriodType::SixMonthly => "2024S1",
            PeriodType::Quarterly => "2024Q3",
            PeriodType::Monthly => "202403",
        }
    }
}

impl FromStr for PeriodType {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        PeriodType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or(())
    }
}

impl fmt::Display for PeriodType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const MIN_YEAR: i32 = 1900;
pub const MAX_YEAR: i32 = 2100;

/// One period: its type, year and 1-based index within the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    kind: PeriodType,
    year: i32,
    index: u32,
}

impl Period {
    /// Builds a period; `None` when the year or index is out of range.
    pub fn new(kind: PeriodType, year: i32, index: u32) -> Option<Period> {
        ((MIN_YEAR..=MAX_YEAR).contains(&year) && (1..=kind.per_year()).contains(&index))
            .then_some(Period { kind, year, index })
    }

    /// A key that orders periods by type, then chronologically (for sorting and grouping;
    /// periods of different types do not compare in time).
    pub fn sort_key(&self) -> (PeriodType, i32, u32) {
        (self.kind, self.year, self.index)
    }

    pub fn parse(field: &str, raw: &str) -> Result<Period, FieldError> {
        let s = raw.trim();
        let bad = || {
            FieldError::new(
                field,
                "period",
                format!(
                    "'{s}' is not a period: use 2024 (year), 2024S1 (half), 2024Q3 (quarter) or 202403 (month)"
                ),
            )
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !s.is_ascii() {
            return Err(bad());
        }
        let (kind, year, index) = match s.len() {
            4 if digits(s) => (PeriodType::Yearly, &s[..4], "1"),
            6 if digits(s) => (PeriodType::Monthly, &s[..4], &s[4..]),
            6 if digits(&s[..4]) && &s[4..5] == "S" && digits(&s[5..]) => {
                (PeriodType::SixMonthly, &s[..4], &s[5..])
            }
            6 if digits(&s[..4]) && &s[4..5] == "Q" && digits(&s[5..]) => {
                (PeriodType::Quarterly, &s[..4], &s[5..])
            }
            _ => return Err(bad()),
        };
        let year: i32 = year.parse().map_err(|_| bad())?;
        let index: u32 = index.parse().map_err(|_| bad())?;
        Period::new(kind, year, index).ok_or_else(|| {
            FieldError::new(
                field,
                "period",
                format!("'{s}' is out of range: years {MIN_YEAR}-{MAX_YEAR}, halves 1-2, quarters 1-4, months 01-12"),
            )
        })
    }

    /// Parses and checks the type.
    pub fn parse_typed(field: &str, raw: &str, kind: PeriodType) -> Result<Period, FieldError> {
        let p = Period::parse(field, raw)?;
        if p.kind != kind {
            return Err(FieldError::new(
                field,
                "period_type",
                format!(
                    "'{p}' is a {} period; {kind} periods are expected here (e.g. {})",
                    p.kind,
                    kind.example()
                ),
            ));
        }
        Ok(p)
    }

    pub fn kind(&self) -> PeriodType {
        self.kind
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    fn first_month(&self) -> u32 {
        (self.index - 1) * self.kind.months() + 1
    }

    /// The first day of the period.
    pub fn start(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.first_month(), 1).unwrap_or(NaiveDate::MIN)
    }

    /// The last day of the period.
    pub fn end(&self) -> NaiveDate {
        let last_month = self.first_month() + self.kind.months() - 1;
        let (y, m) = if last_month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, last_month + 1)
        };
        NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|d| d.pred_opt())
            .unwrap_or(NaiveDate::MAX)
    }

    /// The period of the same type that follows.
    pub fn next(&self) -> Option<Period> {
        if self.index < self.kind.per_year() {
            Period::new(self.kind, self.year, self.index + 1)
        } else {
            Period::new(self.kind, self.year + 1, 1)
        }
    }

    /// The period of the same type that precedes.
    pub fn prev(&self) -> Option<Period> {
        if self.index > 1 {
            Period::new(self.kind, self.year, self.index - 1)
        } else {
            Period::new(self.kind, self.year - 1, self.kind.per_year())
        }
    }

    /// The period of type `kind` that contains the day `date`.
    pub fn containing(kind: PeriodType, date: NaiveDate) -> Option<Period> {
        Period::new(kind, date.year(), (date.month() - 1) / kind.months() + 1)
    }

    /// Whether `other` lies within this period.
    pub fn contains(&self, other: &Period) -> bool {
        self.start() <= other.start() && other.end() <= self.end()
    }

    /// The periods of type `kind` that lie within `from`..=`to` (by dates), in order.
    pub fn range(kind: PeriodType, from: &Period, to: &Period) -> Vec<Period> {
        let mut out = Vec::new();
        let Some(mut p) = Period::containing(kind, from.start()) else {
            return out;
        };
        if p.start() < from.start() {
            match p.next() {
                Some(n) => p = n,
                None => return out,
            }
        }
        while p.end() <= to.end() {
            out.push(p);
            match p.next() {
                Some(n) => p = n,
                None => break,
            }
        }
        out
    }
}

impl Ord for Period {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.start(), other.end()).cmp(&(other.start(), self.end()))
    }
}

impl PartialOrd for Period {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodType::Yearly => write!(f, "{}", self.year),
            PeriodType::SixMonthly => write!(f, "{}S{}", self.year, self.index),
            PeriodType::Quarterly => write!(f, "{}Q{}", self.year, self.index),
            PeriodType::Monthly => write!(f, "{}{:02}", self.year, self.index),
        }
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Period {
        Period::parse("period", s).unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn each_type_parses_with_its_dates() {
        assert_eq!(
            (p("2024").start(), p("2024").end()),
            (d(2024, 1, 1), d(2024, 12, 31))
        );
        assert_eq!(
            (p("2024S2").start(), p("2024S2").end()),
            (d(2024, 7, 1), d(2024, 12, 31))
        );
        assert_eq!(
            (p("2024Q1").start(), p("2024Q1").end()),
            (d(2024, 1, 1), d(2024, 3, 31))
        );
        assert_eq!(
            (p("202402").start(), p("202402").end()),
            (d(2024, 2, 1), d(2024, 2, 29))
        );
        assert_eq!(p("202312").end(), d(2023, 12, 31));
        assert_eq!(p("2024Q3").kind(), PeriodType::Quarterly);
    }

    #[test]
    fn malformed_and_out_of_range_ids_are_refused() {
        for bad in [
            "", "24", "2024Q5", "2024Q0", "2024S3", "202413", "202400", "2024-03", "2024W1",
            "1899", "2101", "2024q1", " 2024Q1x",
        ] {
            assert!(Period::parse("period", bad).is_err(), "{bad}");
        }
        let e = Period::parse_typed("period", "2024Q1", PeriodType::Yearly).unwrap_err();
        assert_eq!(e.rule, "period_type");
        assert!(
            e.message.contains("quarterly") && e.message.contains("yearly"),
            "{}",
            e.message
        );
    }

    #[test]
    fn ordering_next_range_and_containment() {
        assert!(
            p("2024") < p("2024Q1"),
            "a year sorts before its first quarter"
        );
        assert!(p("2024Q1") < p("202401"));
        assert!(p("2024Q4") < p("2025Q1"));
        assert_eq!(p("2024Q4").next(), Some(p("2025Q1")));
        assert_eq!(p("202501").prev(), Some(p("202412")));
        let qs: Vec<String> = Period::range(PeriodType::Quarterly, &p("2023S2"), &p("2024"))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            qs,
            ["2023Q3", "2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4"]
        );
        let ys: Vec<String> = Period::range(PeriodType::Yearly, &p("2023Q2"), &p("2025"))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(ys, ["2024", "2025"], "only whole periods inside the range");
        assert!(p("2024").contains(&p("202407")) && !p("2024S1").contains(&p("2024Q3")));
        assert_eq!(
            Period::containing(PeriodType::Quarterly, d(2024, 8, 15)),
            Some(p("2024Q3"))
        );
    }

    fn any_period() -> impl Strategy<Value = Period> {
        (0usize..4, MIN_YEAR..=MAX_YEAR, 1u32..=12).prop_map(|(k, y, i)| {
            let kind = PeriodType::ALL[k];
            Period::new(kind, y, (i - 1) % kind.per_year() + 1).unwrap()
        })
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(period in any_period()) {
            prop_assert_eq!(Period::parse("p", &period.to_string()).unwrap(), period);
        }

        #[test]
        fn start_precedes_end_and_next_follows(period in any_period()) {
            prop_assert!(period.start() <= period.end());
            if let Some(n) = period.next() {
                prop_assert!(period < n);
                prop_assert_eq!(n.start(), period.end().succ_opt().unwrap());
                prop_assert_eq!(n.prev(), Some(period));
            }
        }

        #[test]
        fn ordering_is_total_and_consistent_with_dates(a in any_period(), b in any_period()) {
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            if a.start() < b.start() { prop_assert!(a < b); }
            prop_assert_eq!(a == b, a.cmp(&b) == Ordering::Equal);
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,8}") {
            let _ = Period::parse("p", &s);
        }
    }
}
