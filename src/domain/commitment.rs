//! Commitments of the coordinating body: agreements, commitments, decisions and
//! recommendations, each with a source, a responsible actor, an optional deadline and a
//! status. Whether one is overdue is computed from its deadline and today, never typed in.

use chrono::NaiveDate;
use serde::Serialize;

use super::error::{FieldError, ValidationErrors, bounded_text};
use super::indicator::{Evidence, vocabulary};

vocabulary!(
    /// What the coordinating body agreed.
    CommitmentKind {
        Agreement => "agreement",
        Commitment => "commitment",
        Decision => "decision",
        Recommendation => "recommendation",
    }
);

vocabulary!(
    /// Where it was agreed.
    CommitmentSource {
        Meeting => "meeting",
        Report => "report",
        Other => "other",
    }
);

vocabulary!(
    /// Where a commitment stands. `fulfilled` carries evidence, `dropped` a reason.
    CommitmentStatus {
        Pending => "pending",
        InProgress => "in_progress",
        Fulfilled => "fulfilled",
        Dropped => "dropped",
    }
);

impl CommitmentStatus {
    /// Still to be done: pending or in progress.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CommitmentStatus::Pending | CommitmentStatus::InProgress
        )
    }

    /// Parses the stored or typed word (`pending`, `in_progress`, `fulfilled`, `dropped`).
    pub fn parse(field: &str, raw: &str) -> Result<CommitmentStatus, FieldError> {
        raw.trim().parse().map_err(|()| {
            FieldError::new(
                field,
                "one_of",
                format!("'{raw}' is no status: pending, in_progress, fulfilled or dropped"),
            )
        })
    }
}

/// Longest text of a commitment, in characters.
pub const MAX_TEXT: usize = 4000;
/// Longest source reference ("Acta de la sesión del 12/03/2025"), in characters.
pub const MAX_REFERENCE: usize = 300;
/// Most objectives, and most investments, one commitment links to.
pub const MAX_LINKS: usize = 50;
/// Longest reason for dropping, or note on a status change.
pub const MAX_NOTE: usize = 2000;

/// A calendar day, stored as `YYYY-MM-DD` text on both backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub NaiveDate);

impl Day {
    /// `YYYY-MM-DD`, a real day between the years 1900 and 2200.
    pub fn parse(field: &str, raw: &str) -> Result<Day, FieldError> {
        let s = raw.trim();
        let bad = || {
            FieldError::new(
                field,
                "date",
                format!(
                    "'{}' is not a date: write YYYY-MM-DD, e.g. 2025-03-12",
                    s.chars().take(40).collect::<String>()
                ),
            )
        };
        if s.len() != 10 {
            return Err(bad());
        }
        let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad())?;
        if !(1900..=2200).contains(&chrono::Datelike::year(&d)) {
            return Err(bad());
        }
        Ok(Day(d))
    }

    /// Reads a stored day (`None` when the text is no day).
    pub fn from_stored(s: &str) -> Option<Day> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(Day)
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A public investment's código único (CUI): exactly 7 digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Cui(String);

impl Cui {
    pub fn parse(field: &str, raw: &str) -> Result<Cui, FieldError> {
        let s = raw.trim();
        if s.len() == 7 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Cui(s.to_string()))
        } else {
            Err(FieldError::new(
                field,
                "cui",
                format!(
                    "'{}' is not a CUI: an investment's código único has exactly 7 digits, e.g. 2234567",
                    s.chars().take(40).collect::<String>()
                ),
            ))
        }
    }

    /// A stored CUI, as stored.
    pub fn from_stored(s: &str) -> Cui {
        Cui(s.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a commitment says, validated: everything its editors set except the status.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitmentDraft {
    /// The text in Spanish (required) and, optionally, in English.
    pub text: String,
    pub text_en: Option<String>,
    pub kind: CommitmentKind,
    pub source: CommitmentSource,
    /// E.g. "Acta de la sesión del 12/03/2025".
    pub source_reference: String,
    pub source_date: Day,
    pub responsible_actor_id: i64,
    pub deadline: Option<Day>,
    /// Linked objectives, sorted, each once.
    pub objective_ids: Vec<i64>,
    /// Linked investments, sorted, each once.
    pub cuis: Vec<Cui>,
}

/// The raw fields of a commitment, as typed.
#[derive(Debug, Clone, Default)]
pub struct RawCommitment<'a> {
    pub text: &'a str,
    pub text_en: Option<&'a str>,
    pub kind: &'a str,
    pub source: &'a str,
    pub source_reference: &'a str,
    pub source_date: &'a str,
    pub responsible_actor_id: i64,
    pub deadline: Option<&'a str>,
    pub objective_ids: &'a [i64],
    pub cuis: &'a [String],
}

fn one_of<T: std::str::FromStr<Err = ()>>(
    field: &str,
    raw: &str,
    words: &str,
) -> Result<T, FieldError> {
    raw.trim().parse().map_err(|()| {
        FieldError::new(
            field,
            "one_of",
            format!(
                "'{}' is not one of: {words}",
                raw.chars().take(40).collect::<String>()
            ),
        )
    })
}

impl CommitmentDraft {
    /// Every field checked; all the errors at once.
    pub fn parse(raw: &RawCommitment<'_>) -> Result<CommitmentDraft, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let text = errors.check(bounded_text("text", raw.text, 3, MAX_TEXT));
        let text_en = match raw.text_en.map(str::trim).filter(|t| !t.is_empty()) {
            None => Some(None),
            Some(t) => errors
                .check(bounded_text("textEn", t, 3, MAX_TEXT))
                .map(Some),
        };
        let kind = errors.check(one_of(
            "kind",
            raw.kind,
            "agreement, commitment, decision, recommendation",
        ));
        let source = errors.check(one_of("source", raw.source, "meeting, report, other"));
        let source_reference = errors.check(bounded_text(
            "sourceReference",
            raw.source_reference,
            3,
            MAX_REFERENCE,
        ));
        let source_date = errors.check(Day::parse("sourceDate", raw.source_date));
        let deadline = match raw.deadline.map(str::trim).filter(|d| !d.is_empty()) {
            None => Some(None),
            Some(d) => errors.check(Day::parse("deadline", d)).map(Some),
        };
        if let (Some(Some(d)), Some(s)) = (deadline, source_date)
            && d < s
        {
            errors.push(FieldError::new(
                "deadline",
                "order",
                format!("the deadline {d} is before the source's date {s}"),
            ));
        }
        if raw.responsible_actor_id <= 0 {
            errors.push(FieldError::new(
                "responsibleActorId",
                "id",
                "name the responsible actor",
            ));
        }
        let mut objective_ids = raw.objective_ids.to_vec();
        objective_ids.sort_unstable();
        objective_ids.dedup();
        if objective_ids.len() > MAX_LINKS {
            errors.push(FieldError::new(
                "objectiveIds",
                "length",
                format!("at most {MAX_LINKS} objectives"),
            ));
        }
        let mut cuis = Vec::new();
        if raw.cuis.len() > MAX_LINKS {
            errors.push(FieldError::new(
                "cuis",
                "length",
                format!("at most {MAX_LINKS} investments"),
            ));
        } else {
            for c in raw.cuis {
                if let Some(c) = errors.check(Cui::parse("cuis", c)) {
                    cuis.push(c);
                }
            }
        }
        cuis.sort();
        cuis.dedup();
        errors.into_result()?;
        match (
            text,
            text_en,
            kind,
            source,
            source_reference,
            source_date,
            deadline,
        ) {
            (
                Some(text),
                Some(text_en),
                Some(kind),
                Some(source),
                Some(source_reference),
                Some(source_date),
                Some(deadline),
            ) => Ok(CommitmentDraft {
                text,
                text_en,
                kind,
                source,
                source_reference,
                source_date,
                responsible_actor_id: raw.responsible_actor_id,
                deadline,
                objective_ids,
                cuis,
            }),
            _ => Err(FieldError::new("input", "invalid", "invalid commitment").into()),
        }
    }
}

/// A status to set, with what it requires: evidence to be fulfilled, a reason to be
/// dropped, an optional note otherwise.
#[derive(Debug, Clone, PartialEq)]
pub enum StatusChange {
    Pending { note: Option<String> },
    InProgress { note: Option<String> },
    Fulfilled { evidence: Evidence },
    Dropped { reason: String },
}

impl StatusChange {
    /// `status` with the fields it needs: `evidenceUrl`/`evidenceText` for `fulfilled`
    /// (at least one), `reason` for `dropped` (3 characters or more), `note` otherwise.
    pub fn parse(
        status: &str,
        evidence_url: Option<&str>,
        evidence_text: Option<&str>,
        reason: Option<&str>,
    ) -> Result<StatusChange, FieldError> {
        let status = CommitmentStatus::parse("status", status)?;
        let note = |field: &str| -> Result<Option<String>, FieldError> {
            match reason.map(str::trim).filter(|r| !r.is_empty()) {
                None => Ok(None),
                Some(r) => bounded_text(field, r, 1, MAX_NOTE).map(Some),
            }
        };
        Ok(match status {
            CommitmentStatus::Pending => StatusChange::Pending {
                note: note("reason")?,
            },
            CommitmentStatus::InProgress => StatusChange::InProgress {
                note: note("reason")?,
            },
            CommitmentStatus::Fulfilled => {
                let has = |v: Option<&str>| v.is_some_and(|s| !s.trim().is_empty());
                if !has(evidence_url) && !has(evidence_text) {
                    return Err(FieldError::new(
                        "evidenceUrl",
                        "required",
                        "a fulfilled commitment needs evidence: a link and/or a text",
                    ));
                }
                StatusChange::Fulfilled {
                    evidence: Evidence::parse(evidence_url, evidence_text)?,
                }
            }
            CommitmentStatus::Dropped => StatusChange::Dropped {
                reason: bounded_text("reason", reason.unwrap_or(""), 3, MAX_NOTE).map_err(|e| {
                    if e.rule == "length" && reason.is_none_or(|r| r.trim().is_empty()) {
                        FieldError::new(
                            "reason",
                            "required",
                            "a dropped commitment needs the reason it was dropped",
                        )
                    } else {
                        e
                    }
                })?,
            },
        })
    }

    pub fn status(&self) -> CommitmentStatus {
        match self {
            StatusChange::Pending { .. } => CommitmentStatus::Pending,
            StatusChange::InProgress { .. } => CommitmentStatus::InProgress,
            StatusChange::Fulfilled { .. } => CommitmentStatus::Fulfilled,
            StatusChange::Dropped { .. } => CommitmentStatus::Dropped,
        }
    }

    /// `(evidence url, evidence text, note or reason)` as stored.
    pub fn stored_parts(&self) -> (Option<&str>, Option<&str>, Option<&str>) {
        match self {
            StatusChange::Pending { note } | StatusChange::InProgress { note } => {
                (None, None, note.as_deref())
            }
            StatusChange::Fulfilled { evidence } => {
                (evidence.url.as_deref(), evidence.text.as_deref(), None)
            }
            StatusChange::Dropped { reason } => (None, None, Some(reason)),
        }
    }

    /// Whether the responsible actor's contributors may set this status: in progress, or
    /// fulfilled with evidence; and only on a commitment still open.
    pub fn allowed_to_responsible(&self, from: CommitmentStatus) -> bool {
        from.is_open()
            && matches!(
                self,
                StatusChange::InProgress { .. } | StatusChange::Fulfilled { .. }
            )
    }
}

/// Whether a commitment is on time, computed from its status, deadline and the day it
/// reached its status, against today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeliness {
    /// Open, no deadline.
    NoDeadline,
    /// Open, deadline today or later.
    OnTime,
    /// Open and past its deadline by `days`.
    Overdue { days: i64 },
    /// Fulfilled on or before its deadline (or without one).
    FulfilledOnTime,
    /// Fulfilled `days` after its deadline.
    FulfilledLate { days: i64 },
    /// Dropped: no longer expected.
    Dropped,
}

impl Timeliness {
    /// `status_day`: the day the commitment reached its current status.
    pub fn of(
        status: CommitmentStatus,
        deadline: Option<Day>,
        status_day: NaiveDate,
        today: NaiveDate,
    ) -> Timeliness {
        match (status, deadline) {
            (CommitmentStatus::Dropped, _) => Timeliness::Dropped,
            (CommitmentStatus::Fulfilled, Some(d)) if status_day > d.0 => {
                Timeliness::FulfilledLate {
                    days: (status_day - d.0).num_days(),
                }
            }
            (CommitmentStatus::Fulfilled, _) => Timeliness::FulfilledOnTime,
            (_, None) => Timeliness::NoDeadline,
            (_, Some(d)) if today > d.0 => Timeliness::Overdue {
                days: (today - d.0).num_days(),
            },
            (_, Some(_)) => Timeliness::OnTime,
        }
    }

    pub fn is_overdue(self) -> bool {
        matches!(self, Timeliness::Overdue { .. })
    }

    /// The stable word for open data: `no_deadline`, `on_time`, `overdue`,
    /// `fulfilled_on_time`, `fulfilled_late`, `dropped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Timeliness::NoDeadline => "no_deadline",
            Timeliness::OnTime => "on_time",
            Timeliness::Overdue { .. } => "overdue",
            Timeliness::FulfilledOnTime => "fulfilled_on_time",
            Timeliness::FulfilledLate { .. } => "fulfilled_late",
            Timeliness::Dropped => "dropped",
        }
    }

    /// Days past the deadline (overdue or fulfilled late), else 0.
    pub fn days_late(self) -> i64 {
        match self {
            Timeliness::Overdue { days } | Timeliness::FulfilledLate { days } => days,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        Day::parse("d", s).unwrap().0
    }

    fn raw<'a>(cuis: &'a [String]) -> RawCommitment<'a> {
        RawCommitment {
            text: "Instalar la mesa técnica del agua",
            text_en: None,
            kind: "agreement",
            source: "meeting",
            source_reference: "Acta de la sesión del 12/03/2025",
            source_date: "2025-03-12",
            responsible_actor_id: 3,
            deadline: Some("2025-06-30"),
            objective_ids: &[4, 2, 4],
            cuis,
        }
    }

    #[test]
    fn a_draft_parses_and_sorts_its_links() {
        let cuis = vec!["2234567".to_string(), " 2234567 ".into(), "2000001".into()];
        let d = CommitmentDraft::parse(&raw(&cuis)).unwrap();
        assert_eq!(d.objective_ids, vec![2, 4]);
        assert_eq!(
            d.cuis.iter().map(Cui::as_str).collect::<Vec<_>>(),
            vec!["2000001", "2234567"]
        );
        assert_eq!(d.deadline.unwrap().to_string(), "2025-06-30");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let cuis = vec!["12345".to_string(), "abcdefg".into()];
        let mut r = raw(&cuis);
        r.text = " ";
        r.kind = "promise";
        r.source = "rumour";
        r.source_date = "2025-02-30";
        r.deadline = Some("31/12/2025");
        r.responsible_actor_id = 0;
        let e = CommitmentDraft::parse(&r).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        for f in [
            "text",
            "kind",
            "source",
            "sourceDate",
            "deadline",
            "responsibleActorId",
            "cuis",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        let huge = "x".repeat(MAX_TEXT + 1);
        let mut r = raw(&[]);
        r.text = &huge;
        r.deadline = Some("2024-01-01");
        let e = CommitmentDraft::parse(&r).unwrap_err();
        assert_eq!(e.0.len(), 2, "{e}");
        assert_eq!(e.0[1].rule, "order");
    }

    #[test]
    fn status_changes_require_evidence_or_a_reason() {
        assert_eq!(
            StatusChange::parse("fulfilled", None, Some(" "), None)
                .unwrap_err()
                .rule,
            "required"
        );
        assert_eq!(
            StatusChange::parse("fulfilled", Some("ftp://x"), None, None)
                .unwrap_err()
                .rule,
            "url"
        );
        assert!(
            StatusChange::parse("fulfilled", Some("https://gob.pe/acta.pdf"), None, None).is_ok()
        );
        let e = StatusChange::parse("dropped", None, None, None).unwrap_err();
        assert_eq!((e.field.as_str(), e.rule), ("reason", "required"));
        assert!(StatusChange::parse("dropped", None, None, Some("Ya no aplica")).is_ok());
        assert_eq!(
            StatusChange::parse("done", None, None, None)
                .unwrap_err()
                .rule,
            "one_of"
        );
        let progress = StatusChange::parse("in_progress", None, None, None).unwrap();
        assert!(progress.allowed_to_responsible(CommitmentStatus::Pending));
        assert!(!progress.allowed_to_responsible(CommitmentStatus::Dropped));
        let drop = StatusChange::parse("dropped", None, None, Some("No aplica")).unwrap();
        assert!(!drop.allowed_to_responsible(CommitmentStatus::Pending));
    }

    #[test]
    fn overdue_is_open_and_past_the_deadline() {
        let deadline = Some(Day(day("2025-06-30")));
        let t = |status, status_day: &str, today: &str| {
            Timeliness::of(status, deadline, day(status_day), day(today))
        };
        use CommitmentStatus::*;
        assert_eq!(t(Pending, "2025-03-12", "2025-06-30"), Timeliness::OnTime);
        assert_eq!(
            t(Pending, "2025-03-12", "2025-07-02"),
            Timeliness::Overdue { days: 2 }
        );
        assert!(t(InProgress, "2025-05-01", "2025-07-01").is_overdue());
        assert_eq!(
            t(Fulfilled, "2025-06-30", "2026-01-01"),
            Timeliness::FulfilledOnTime
        );
        assert_eq!(
            t(Fulfilled, "2025-07-10", "2026-01-01"),
            Timeliness::FulfilledLate { days: 10 }
        );
        assert_eq!(t(Dropped, "2025-07-10", "2026-01-01"), Timeliness::Dropped);
        assert_eq!(
            Timeliness::of(Pending, None, day("2025-01-01"), day("2030-01-01")),
            Timeliness::NoDeadline
        );
    }

    #[test]
    fn cuis_have_seven_digits() {
        assert!(Cui::parse("c", "2234567").is_ok());
        for bad in ["223456", "22345678", "22345a7", "", "２２３４５６７"] {
            assert!(Cui::parse("c", bad).is_err(), "{bad}");
        }
    }
}
