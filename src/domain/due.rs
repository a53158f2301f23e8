//! What is due and when: the periods a value is expected for, and whether a submission came
//! on time. A period is due once it has ended; its values are on time until its end plus the
//! ecosystem's grace days (default 60).

use chrono::NaiveDate;

use super::period::{Period, PeriodType};

/// The default grace after a period's end, in days.
pub const DEFAULT_GRACE_DAYS: i64 = 60;

/// The longest grace an ecosystem may set, in days.
pub const MAX_GRACE_DAYS: i32 = 365;

/// An ecosystem's grace days, checked: 0 to 365.
pub fn parse_grace_days(field: &str, days: i32) -> Result<i32, super::FieldError> {
    if (0..=MAX_GRACE_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(super::FieldError::new(
            field,
            "range",
            format!("must be between 0 and {MAX_GRACE_DAYS} days"),
        ))
    }
}

/// The periods of type `kind` that begin in or after `first_year` and have ended by `today`
/// (the last one is the most recent period that ended), oldest first. `max` keeps the most
/// recent ones only (a monthly value over a long horizon).
pub fn periods_due(kind: PeriodType, first_year: i32, today: NaiveDate, max: usize) -> Vec<Period> {
    let Some(current) = Period::containing(kind, today) else {
        return Vec::new();
    };
    let Some(first) = Period::new(kind, first_year, 1) else {
        return Vec::new();
    };
    let Some(last) = current.prev() else {
        return Vec::new();
    };
    if last.start() < first.start() {
        return Vec::new();
    }
    let all = Period::range(kind, &first, &last);
    let skip = all.len().saturating_sub(max);
    all.into_iter().skip(skip).collect()
}

/// The last day a period's values are on time.
pub fn due_date(period: &Period, grace_days: i64) -> NaiveDate {
    period.end() + chrono::Duration::days(grace_days.max(0))
}

/// Whether a submission was (or, still missing, is) on time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeliness {
    /// Submitted by the due date.
    OnTime,
    /// Submitted after the due date.
    Late,
    /// Not submitted, and the due date has not passed.
    Pending,
    /// Not submitted, and the due date has passed.
    Overdue,
}

impl Timeliness {
    /// `submitted`: the day of the first submission for the period, if any.
    pub fn of(
        period: &Period,
        grace_days: i64,
        submitted: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Timeliness {
        let due = due_date(period, grace_days);
        match submitted {
            Some(d) if d <= due => Timeliness::OnTime,
            Some(_) => Timeliness::Late,
            None if today <= due => Timeliness::Pending,
            None => Timeliness::Overdue,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Timeliness::OnTime => "on_time",
            Timeliness::Late => "late",
            Timeliness::Pending => "pending",
            Timeliness::Overdue => "overdue",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_are_due_once_ended() {
        let due = periods_due(PeriodType::Quarterly, 2025, d(2025, 11, 15), 100);
        let ids: Vec<String> = due.iter().map(|p| p.to_string()).collect();
        assert_eq!(ids, ["2025Q1", "2025Q2", "2025Q3"]);
        assert!(periods_due(PeriodType::Yearly, 2025, d(2025, 6, 1), 100).is_empty());
        assert_eq!(
            periods_due(PeriodType::Yearly, 2020, d(2025, 1, 1), 2).len(),
            2
        );
        assert!(periods_due(PeriodType::Monthly, 2030, d(2025, 1, 1), 10).is_empty());
    }

    #[test]
    fn timeliness_counts_the_grace_days() {
        let q = Period::parse("p", "2025Q1").unwrap();
        assert_eq!(due_date(&q, 60), d(2025, 5, 30));
        assert_eq!(
            Timeliness::of(&q, 60, Some(d(2025, 5, 30)), d(2025, 9, 1)),
            Timeliness::OnTime
        );
        assert_eq!(
            Timeliness::of(&q, 60, Some(d(2025, 5, 31)), d(2025, 9, 1)),
            Timeliness::Late
        );
        assert_eq!(
            Timeliness::of(&q, 60, None, d(2025, 5, 1)),
            Timeliness::Pending
        );
        assert_eq!(
            Timeliness::of(&q, 60, None, d(2025, 6, 1)),
            Timeliness::Overdue
        );
    }
}
