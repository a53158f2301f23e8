//! The application layer: use cases shared by every interface (GraphQL, REST, CLI).
//!
//! Each use case parses raw input into domain types, checks the caller's role and actor
//! scope, and runs its storage work off the async workers, writes through the audited
//! write path. Interfaces only translate requests in and [`AppError`]s out.

mod actors;
mod admin;
mod audit;
pub mod bench_data;
mod caller;
mod challenges;
mod combine;
mod commitments;
mod data_quality;
mod ecosystems;
mod error;
mod evidence;
mod impacts;
mod import;
mod indicators;
mod investments;
mod measurements;
mod mef_import;
pub mod model;
mod notifications;
mod objectives;
mod portal;
mod review;
mod session;
mod shared_value;
mod tasks;
mod users;
mod value_form;
mod variables;
mod web_sessions;
mod workbook;

pub use crate::domain::DirectionKind;
pub use actors::NewActorInput;
pub use admin::UserChange;
pub use audit::{AuditHead, MAX_PROOF_PAGE, PublishedEntry};
pub use caller::{Caller, logged_in};
pub use challenges::{ChallengeDesk, ChallengeItem, ChallengeOutcome};
pub use combine::AdjustmentInput;
pub use commitments::{
    CommitmentCounts, CommitmentFilter, CommitmentInput, CommitmentList, CommitmentPatch,
    CommitmentView, ObjectiveRef, StatusInput, StatusStep, commitments_today,
};
pub use data_quality::{MAX_LOCK_REASON, RowFlag, may_see_flags};
pub use ecosystems::{EcosystemInput, EcosystemPatch, ThemeInput};
pub use error::AppError;
pub use evidence::{EvidenceFileInfo, EvidenceStore, UploadedEvidence};
pub use impacts::{DevelopmentInput, ImpactInput, VecInput, VecState};
pub use import::{
    COLUMNS as IMPORT_COLUMNS, ImportFile, ImportPhase, ImportReport, ImportView,
    MAX_FILE_BYTES as MAX_IMPORT_BYTES, Progress, RowError,
};
pub use indicators::{
    IndicatorCard, IndicatorInput, ObjectiveCard, PerspectiveCard, Scorecard, SeriesPoint,
};
pub use investments::{
    AlertedInvestment, ImportedInvestment, InvestmentFilter, InvestmentImportOutcome,
    InvestmentInput, InvestmentLinkInput, InvestmentPage, InvestmentPriorities, InvestmentRecord,
    InvestmentSettingsInput, InvestmentSummary, MAX_IMPORT_ROWS as MAX_INVESTMENT_IMPORT_ROWS,
    MAX_INVESTMENT_PAGE, PlannedCurveInput, ProgressInput,
};
pub use measurements::{ApprovedValue, MeasurementFilter, MeasurementInput};
pub use mef_import::{
    InvestmentImportReport, InvestmentLineError, MAX_LISTED as MAX_LISTED_INVESTMENT_ERRORS,
    check_investment_as_of,
};
pub use notifications::{INBOX_SIZE, MailSettings, Notification};
pub use objectives::{DeletedObjective, ObjectiveInput, ObjectivePatch, StrategyMap};
pub use portal::{
    ActorOption, ChallengeView, ClosedPeriod, CumulativeImpacts, EcosystemLinks, EcosystemPage,
    EcosystemPageQuery, EcosystemScorecard, EcosystemSummary, HomePage, HybridMetricView,
    HybridMetrics, ImpactsPage, IndicatorPage, IndicatorSeries, IndicatorValues, IndicatorView,
    LinkView, LiveValue, LiveValues, ObjectiveView, PerspectiveView, PortalEcosystem,
    PublishedValue, ScorecardView, TargetView, TerritoryValue, ThemeOption, VariableRef, VecView,
};
pub use review::{
    MAX_SELECTION, OtherValue, PendingImport, ReviewFilter, ReviewItem, ReviewKind, ReviewQueue,
};
pub use session::IssuedToken;
pub use shared_value::{
    ActorShare, HybridInput, HybridView, LinkEvidence, ShareGroup, SharedValue,
};
pub use tasks::{
    Assignment, Assignments, CompletenessRow, DevelopmentTasks, MAX_PERIODS_DUE, PeriodTask,
    Submission, SubmissionState, TaskEcosystem, TaskSubject, completeness,
};
pub use users::NewUserInput;
pub use value_form::ValueCell;
pub use variables::{
    FormulaCheck, FormulaProblem, ObservationInput, VariableFilter, VariableInput, VariablePage,
    VariableValue,
};
pub use web_sessions::{OpenedSession, SessionPolicy, SignedIn};
pub use workbook::{
    CellError, MAX_ROWS as WORKBOOK_MAX_ROWS, MAX_UPLOAD_BYTES as WORKBOOK_MAX_UPLOAD_BYTES,
    UploadedRow, WorkbookReport, WorkbookTemplate, WorkbookUpload,
};

use crate::auth::TokenKeys;
use crate::db::Db;

/// The service: storage plus the token keys. Cheap to clone; every interface holds one.
#[derive(Clone)]
pub struct Ayni {
    /// Storage: only the use cases of this layer reach it.
    db: Db,
    pub tokens: TokenKeys,
    /// Login throttling and the cap on concurrent password hashes.
    pub login_guard: crate::auth::LoginGuard,
    /// Newly approved values, for live subscribers.
    events: tokio::sync::broadcast::Sender<ApprovedValue>,
    /// Each ecosystem's link evidence with the audit chain's head it was computed at: any
    /// write moves the head, so an entry is reused only while nothing has been written.
    link_evidence: std::sync::Arc<std::sync::Mutex<LinkEvidenceCache>>,
    /// Verifications of the audit chain: concurrent requests share one ([`audit::ChainRuns`]).
    chain_runs: std::sync::Arc<audit::ChainRuns>,
    /// How long workspace sessions live.
    sessions: SessionPolicy,
    /// E-mail for notifications, when SMTP is configured.
    mailer: Option<std::sync::Arc<notifications::Mailer>>,
    /// Where evidence files are stored.
    evidence: Option<std::sync::Arc<evidence::EvidenceStore>>,
    /// The work this process has done, for `/metrics`.
    work: std::sync::Arc<WorkCounters>,
}

/// Rows this process has imported and approved since it started (for `/metrics`).
#[derive(Debug, Default)]
pub struct WorkCounters {
    imported_rows: std::sync::atomic::AtomicU64,
    approved_values: std::sync::atomic::AtomicU64,
}

impl WorkCounters {
    fn imported(&self, n: u64) {
        self.imported_rows
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    fn approved(&self, n: u64) {
        self.approved_values
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// Rows stored by imports (observations, MEF snapshots).
    pub fn imported_rows(&self) -> u64 {
        self.imported_rows
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Values approved, one by one or by import.
    pub fn approved_values(&self) -> u64 {
        self.approved_values
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

type LinkEvidenceCache = std::collections::HashMap<i64, (i64, Vec<LinkEvidence>)>;

impl Ayni {
    /// How many SQL statements the service has run so far (tests and benchmarks check that a
    /// read issues a bounded number of queries: no N+1).
    pub fn queries_run(&self) -> u64 {
        self.db.queries_run()
    }

    pub fn new(db: Db, tokens: TokenKeys) -> Ayni {
        let (events, _) = tokio::sync::broadcast::channel(1024);
        Ayni {
            db,
            tokens,
            login_guard: Default::default(),
            events,
            link_evidence: Default::default(),
            chain_runs: Default::default(),
            sessions: SessionPolicy::default(),
            mailer: None,
            evidence: None,
            work: Default::default(),
        }
    }

    /// The work this process has done since it started.
    pub fn work(&self) -> &WorkCounters {
        &self.work
    }

    /// The connection pool's state: `(connections open, of which idle, most allowed)`.
    pub fn pool_state(&self) -> (u32, u32, u32) {
        self.db.pool_state()
    }

    /// The same service with its own login limits (throttling, hashing cap).
    pub fn with_login_limits(mut self, limits: crate::config::LoginLimits) -> Ayni {
        self.login_guard = crate::auth::LoginGuard::new(limits);
        self
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        self.db.backend_name()
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), AppError> {
        self.db
            .run(|conn| crate::db::ping(conn).map_err(AppError::from))
            .await
    }
}
