//! Pure domain: types, validation rules and computations. No I/O, no diesel, no actix.

pub mod actor;
pub mod actor_rule;
pub mod audit;
pub mod causal;
pub mod commitment;
pub mod due;
pub mod error;
pub mod evidence;
pub mod formula;
pub mod impact;
pub mod indicator;
pub mod investment;
pub mod mef;
pub mod notification;
pub mod period;
pub mod plausibility;
pub mod scoring;
pub mod shared_value;
pub mod strategy;
pub mod territory;
pub mod user;
pub mod variable;

pub use actor::{ActorKind, ActorName};
pub use error::{FieldError, ValidationErrors};
pub use indicator::{
    ChallengeStatus, DirectionKind, Disaggregation, Evidence, IndicatorDefinition,
    MeasurementStatus, MetricCategory, SharedValueForm, TargetHorizon,
};
pub use period::{Period, PeriodType};
pub use plausibility::{OutlierKind, QualityFlag, ValidRange};
pub use scoring::{Aggregation, Direction, Status, Thresholds};
pub use strategy::{Code, Horizon, PerspectiveKind, Slug, ThemeKind, Weight};
pub use territory::{TerritoryLevel, Ubigeo};
pub use user::{Email, Password, Role};
pub use variable::{Availability, RollUp, SourceKind, VariableCode};
