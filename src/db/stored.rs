//! Domain words stored as text: one mechanism, on both backends, through which rows hold
//! domain types (in the manner of crates.io's `pg_enum!` and Lemmy's `DbEnum`, but over plain
//! `TEXT` columns so SQLite and PostgreSQL share the schema).
//!
//! Reading a column of such a type parses the stored word once, here: an unknown word is a
//! deserialisation error naming the type and the word, never a silent default. Writing goes
//! through the type's own canonical text (`as_str()` or `to_string()`), the only text the
//! parser accepts, so what is written always reads back.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::sql_types::Text;

use crate::domain::actor_rule::ActorRule;
use crate::domain::causal::{ExpectedSign, Verdict};
use crate::domain::commitment::{CommitmentKind, CommitmentSource, CommitmentStatus, Day};
use crate::domain::impact::{
    Desirable, DevelopmentStatus, ImpactBasis, LimitSide, Sector, VecKind,
};
use crate::domain::investment::{
    Cui, ExecutionModality, FinancingSource, GovernmentLevel, InvestmentFunction, InvestmentKind,
    InvestmentStage, ScaleBasis,
};
use crate::domain::notification::NotificationKind;
use crate::domain::shared_value::{HybridRelation, HybridStatus};
use crate::domain::{
    ActorKind, Aggregation, Availability, ChallengeStatus, DirectionKind, MeasurementStatus,
    MetricCategory, Period, PeriodType, PerspectiveKind, Role, RollUp, SharedValueForm, SourceKind,
    TargetHorizon, TerritoryLevel, ThemeKind, Ubigeo,
};

/// Implements reading a `TEXT` column as `$t` with the parser given, on every backend diesel
/// can give a `String` for (SQLite, PostgreSQL and the two-backend `MultiBackend`).
macro_rules! stored_as_text {
    ($($t:ty => |$s:ident| $parse:expr;)+) => {$(
        impl<DB> FromSql<Text, DB> for $t
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let $s: String = String::from_sql(bytes)?;
                let parsed: Option<$t> = $parse;
                parsed.ok_or_else(|| {
                    format!("the database holds '{}', which is no {}", $s, stringify!($t)).into()
                })
            }
        }

        impl<DB> Queryable<Text, DB> for $t
        where
            DB: Backend,
            Self: FromSql<Text, DB>,
        {
            type Row = Self;

            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    )+};
}

stored_as_text! {
    ActorKind => |s| s.parse().ok();
    ActorRule => |s| s.parse().ok();
    Role => |s| s.parse().ok();
    PerspectiveKind => |s| s.parse().ok();
    ThemeKind => |s| s.parse().ok();
    DirectionKind => |s| s.parse().ok();
    PeriodType => |s| s.parse().ok();
    Aggregation => |s| Aggregation::parse(&s);
    SharedValueForm => |s| s.parse().ok();
    MetricCategory => |s| s.parse().ok();
    TargetHorizon => |s| s.parse().ok();
    MeasurementStatus => |s| s.parse().ok();
    ChallengeStatus => |s| s.parse().ok();
    NotificationKind => |s| s.parse().ok();
    SourceKind => |s| s.parse().ok();
    TerritoryLevel => |s| s.parse().ok();
    Availability => |s| s.parse().ok();
    RollUp => |s| s.parse().ok();
    HybridRelation => |s| s.parse().ok();
    HybridStatus => |s| s.parse().ok();
    VecKind => |s| s.parse().ok();
    Desirable => |s| s.parse().ok();
    LimitSide => |s| s.parse().ok();
    Sector => |s| s.parse().ok();
    DevelopmentStatus => |s| s.parse().ok();
    ImpactBasis => |s| s.parse().ok();
    Verdict => |s| s.parse().ok();
    ExpectedSign => |s| s.parse().ok();
    Period => |s| Period::parse("period", &s).ok();
    Ubigeo => |s| Ubigeo::from_stored(&s);
    CommitmentKind => |s| s.parse().ok();
    CommitmentSource => |s| s.parse().ok();
    CommitmentStatus => |s| s.parse().ok();
    Day => |s| Day::from_stored(&s);
    Cui => |s| Cui::from_stored(&s);
    InvestmentKind => |s| s.parse().ok();
    GovernmentLevel => |s| s.parse().ok();
    InvestmentFunction => |s| s.parse().ok();
    InvestmentStage => |s| s.parse().ok();
    ExecutionModality => |s| s.parse().ok();
    FinancingSource => |s| s.parse().ok();
    ScaleBasis => |s| s.parse().ok();
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sqlite::SqliteConnection;

    use super::*;

    #[derive(Debug, PartialEq, QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        kind: ActorKind,
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        period: Option<Period>,
    }

    #[test]
    fn stored_words_read_as_domain_types_and_unknown_words_fail_loudly() {
        let mut c = SqliteConnection::establish(":memory:").unwrap();
        let row: Row = diesel::sql_query("SELECT 'company' AS kind, '2024Q3' AS period")
            .get_result(&mut c)
            .unwrap();
        assert_eq!(row.kind, ActorKind::Company);
        assert_eq!(row.period.unwrap().to_string(), "2024Q3");
        let none: Row = diesel::sql_query("SELECT 'community' AS kind, NULL AS period")
            .get_result(&mut c)
            .unwrap();
        assert_eq!(none.period, None);
        let unknown = diesel::sql_query("SELECT 'mining' AS kind, NULL AS period")
            .get_result::<Row>(&mut c)
            .unwrap_err()
            .to_string();
        assert!(
            unknown.contains("'mining'") && unknown.contains("ActorKind"),
            "{unknown}"
        );
        let bad_period = diesel::sql_query("SELECT 'company' AS kind, '2024Q5' AS period")
            .get_result::<Row>(&mut c)
            .unwrap_err()
            .to_string();
        assert!(bad_period.contains("'2024Q5'"), "{bad_period}");
    }
}
