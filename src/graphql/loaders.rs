//! Batch loaders: one query per level instead of one per row. A fresh set is attached to
//! every request, so nothing is cached across requests.

use std::collections::HashMap;

use async_graphql::Request;
use async_graphql::dataloader::{DataLoader, Loader};

use crate::app::model::{
    Actor, Adjustment, Beneficiary, Challenge, Development, Ecosystem, Indicator, Link,
    Measurement, Member, Objective, Perspective, Target, Theme, ValuedComponent, Variable,
};
use crate::app::{Ayni, Caller, CommitmentView, commitments_today};

use super::error::GqlResult;

/// Declares a loader keyed by id: `$fetch` loads the rows for a batch of keys and `$key`
/// says which key each row belongs to; `one` keeps one row per key, `many` a list.
macro_rules! loader {
    ($name:ident, one $value:ty, |$app:ident, $keys:ident| $fetch:expr, |$row:ident| $key:expr) => {
        pub struct $name(pub Ayni);

        impl Loader<i64> for $name {
            type Value = $value;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, $value>, Self::Error> {
                let $app = &self.0;
                let $keys = keys.to_vec();
                let rows = $fetch.await.gql()?;
                Ok(rows.into_iter().map(|$row| ($key, $row)).collect())
            }
        }
    };
    ($name:ident, many $value:ty, |$app:ident, $keys:ident| $fetch:expr, |$row:ident| $key:expr) => {
        pub struct $name(pub Ayni);

        impl Loader<i64> for $name {
            type Value = Vec<$value>;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<$value>>, Self::Error> {
                let $app = &self.0;
                let $keys = keys.to_vec();
                let rows = $fetch.await.gql()?;
                let mut out: HashMap<i64, Vec<$value>> = HashMap::new();
                for $row in rows {
                    out.entry($key).or_default().push($row);
                }
                Ok(out)
            }
        }
    };
}

loader!(ActorLoader, one Actor, |app, keys| app.actors_by_ids(keys), |a| a.id);
loader!(EcosystemLoader, one Ecosystem, |app, keys| app.ecosystems_by_ids(keys), |e| e.id);
loader!(PerspectiveLoader, one Perspective, |app, keys| app.perspectives_by_ids(keys), |p| p.id);
loader!(ThemeLoader, one Theme, |app, keys| app.themes_by_ids(keys), |t| t.id);
loader!(ObjectiveLoader, one Objective, |app, keys| app.objectives_by_ids(keys), |o| o.id);
loader!(PerspectivesOfEcosystem, many Perspective, |app, keys| app.perspectives_of(keys), |p| p.ecosystem_id);
loader!(ThemesOfEcosystem, many Theme, |app, keys| app.themes_of(keys), |t| t.ecosystem_id);
loader!(MembersOfEcosystem, many Member, |app, keys| app.members_of(keys), |m| m.ecosystem_id);
loader!(IndicatorLoader, one Indicator, |app, keys| app.indicators_by_ids(keys), |i| i.id);
loader!(IndicatorsOfObjective, many Indicator, |app, keys| app.indicators_of_objectives(keys), |i| i.definition.objective_id);
loader!(TargetsOfIndicator, many Target, |app, keys| app.targets_of(keys), |t| t.indicator_id);
// `(indicator_id, actor_id)` pairs: the actors responsible for each indicator.
loader!(
    ResponsiblesOfIndicator,
    many(i64, i64),
    |app, keys| app.indicator_responsibles_of(keys),
    |pair| pair.0
);
loader!(AdjustmentsOfIndicator, many Adjustment, |app, keys| app.adjustments_of_indicators(keys), |a| a.indicator_id.unwrap_or_default());
loader!(AdjustmentsOfVariable, many Adjustment, |app, keys| app.adjustments_of_variables(keys), |a| a.variable_id.unwrap_or_default());
loader!(MeasurementLoader, one Measurement, |app, keys| app.measurements_by_ids(keys), |m| m.id);
loader!(ChallengesOfMeasurement, many Challenge, |app, keys| app.challenges_of(keys), |c| c.measurement_id);
// `(objective_id, commitment)` pairs: the commitments serving each objective.
loader!(
    CommitmentsOfObjective,
    many(i64, CommitmentView),
    |app, keys| app.commitments_of_objectives(keys, commitments_today()),
    |pair| pair.0
);
// `(user_id, actor_id)`: the actor each user speaks for.
loader!(
    ActorOfUser,
    one(i64, Option<i64>),
    |app, keys| app.user_actors(keys),
    |pair| pair.0
);
// `(measurement_id, seq)`: the latest audit entry about each measurement.
loader!(
    AuditSeqOfMeasurement,
    one(i64, i64),
    |app, keys| app.measurement_audit_seqs(keys),
    |pair| pair.0
);
loader!(VariableLoader, one Variable, |app, keys| app.variables_by_ids(keys), |v| v.id);
// `(indicator_id, variable_id)` pairs: the variables each formula indicator reads.
loader!(
    InputsOfIndicator,
    many(i64, i64),
    |app, keys| app.indicator_inputs(keys),
    |pair| pair.0
);
// `(variable_id, indicator_id)` pairs: the indicators that read each variable.
loader!(
    UsersOfVariable,
    many(i64, i64),
    |app, keys| app.variable_users(keys),
    |pair| pair.0
);
// `(objective_id, actor_id)` pairs: the actors responsible for each objective.
loader!(
    ResponsiblesOfObjective,
    many(i64, i64),
    |app, keys| app.responsibles_of(keys),
    |pair| pair.0
);

// `(measurement_id, flag)`: the outlier flags of each value (one computation per batch).
loader!(
    QualityFlagsOfMeasurement,
    many(i64, crate::domain::QualityFlag),
    |app, keys| app.quality_flags(keys),
    |pair| pair.0
);

// `(objective_id, investment)`: the investments linked to each objective.
loader!(
    InvestmentsOfObjective,
    many(i64, crate::app::InvestmentRecord),
    |app, keys| app.investments_of_objectives(keys),
    |pair| pair.0
);
// `(indicator_id, investment)`: the investments linked to each indicator.
loader!(
    InvestmentsOfIndicator,
    many(i64, crate::app::InvestmentRecord),
    |app, keys| app.investments_of_indicators(keys),
    |pair| pair.0
);

/// The data check of every link of each ecosystem's map (one computation per ecosystem).
pub struct LinkEvidenceOfEcosystem(pub Ayni);

impl Loader<i64> for LinkEvidenceOfEcosystem {
    type Value = Vec<crate::app::LinkEvidence>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        for key in keys {
            out.insert(*key, self.0.link_evidence(*key).await.gql()?);
        }
        Ok(out)
    }
}

loader!(VecLoader, one ValuedComponent, |app, keys| app.vecs_by_ids(keys), |v| v.id);
loader!(
    DevelopmentLoader,
    one Development,
    |app, keys| app.developments_by_ids(keys),
    |d| d.id
);

// The beneficiaries of each indicator.
loader!(
    BeneficiariesOfIndicator,
    many Beneficiary,
    |app, keys| app.beneficiaries_of(keys),
    |b| b.indicator_id
);

/// The links that name each objective as cause or effect.
pub struct LinksOfObjective(pub Ayni);

impl Loader<i64> for LinksOfObjective {
    type Value = Vec<Link>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<Link>>, Self::Error> {
        let links = self.0.links_touching(keys.to_vec()).await.gql()?;
        let mut out: HashMap<i64, Vec<Link>> = HashMap::new();
        for link in links {
            for end in [link.cause_id, link.effect_id] {
                if keys.contains(&end) {
                    out.entry(end).or_default().push(link.clone());
                }
            }
        }
        Ok(out)
    }
}

/// The impact contributions to each VEC that the request's caller may see.
pub struct ContributionsOfVec {
    pub app: Ayni,
    pub caller: Option<Caller>,
}

impl Loader<i64> for ContributionsOfVec {
    type Value = Vec<Measurement>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<Measurement>>, Self::Error> {
        let rows = self
            .app
            .impact_contributions(self.caller.as_ref(), keys.to_vec())
            .await
            .gql()?;
        let mut out: HashMap<i64, Vec<Measurement>> = HashMap::new();
        for row in rows {
            if let Some(vec_id) = row.vec_id {
                out.entry(vec_id).or_default().push(row);
            }
        }
        Ok(out)
    }
}

/// The evidence file of each value (values the caller was already shown).
pub struct EvidenceFileOfMeasurement(pub Ayni);

impl Loader<i64> for EvidenceFileOfMeasurement {
    type Value = crate::app::EvidenceFileInfo;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[i64],
    ) -> Result<HashMap<i64, crate::app::EvidenceFileInfo>, Self::Error> {
        Ok(self
            .0
            .evidence_files_of_measurements(keys.to_vec())
            .await
            .gql()?
            .into_iter()
            .collect())
    }
}

/// Attaches the caller and a fresh set of loaders to a request.
pub fn attach(request: Request, app: &Ayni, caller: Option<Caller>) -> Request {
    let mut request = request.data(super::context::RequestCaller(caller.clone()));
    let data = std::mem::take(&mut request.data);
    request.data = with_loaders(app, caller, data);
    request
}

/// Adds a fresh set of loaders to `data` (for a request or a subscription connection);
/// those whose answers depend on who asks load for `caller`.
pub fn with_loaders(
    app: &Ayni,
    caller: Option<Caller>,
    mut data: async_graphql::Data,
) -> async_graphql::Data {
    fn dl<T: Loader<i64>>(loader: T) -> DataLoader<T> {
        DataLoader::new(loader, tokio::spawn)
    }
    data.insert(dl(ActorLoader(app.clone())));
    data.insert(dl(EcosystemLoader(app.clone())));
    data.insert(dl(PerspectiveLoader(app.clone())));
    data.insert(dl(ThemeLoader(app.clone())));
    data.insert(dl(ObjectiveLoader(app.clone())));
    data.insert(dl(PerspectivesOfEcosystem(app.clone())));
    data.insert(dl(ThemesOfEcosystem(app.clone())));
    data.insert(dl(MembersOfEcosystem(app.clone())));
    data.insert(dl(ResponsiblesOfObjective(app.clone())));
    data.insert(dl(LinksOfObjective(app.clone())));
    data.insert(dl(IndicatorLoader(app.clone())));
    data.insert(dl(IndicatorsOfObjective(app.clone())));
    data.insert(dl(CommitmentsOfObjective(app.clone())));
    data.insert(dl(TargetsOfIndicator(app.clone())));
    data.insert(dl(ResponsiblesOfIndicator(app.clone())));
    data.insert(dl(MeasurementLoader(app.clone())));
    data.insert(dl(AdjustmentsOfIndicator(app.clone())));
    data.insert(dl(AdjustmentsOfVariable(app.clone())));
    data.insert(dl(ChallengesOfMeasurement(app.clone())));
    data.insert(dl(ActorOfUser(app.clone())));
    data.insert(dl(AuditSeqOfMeasurement(app.clone())));
    data.insert(dl(VariableLoader(app.clone())));
    data.insert(dl(InputsOfIndicator(app.clone())));
    data.insert(dl(UsersOfVariable(app.clone())));
    data.insert(dl(LinkEvidenceOfEcosystem(app.clone())));
    data.insert(dl(BeneficiariesOfIndicator(app.clone())));
    data.insert(dl(VecLoader(app.clone())));
    data.insert(dl(DevelopmentLoader(app.clone())));
    data.insert(dl(QualityFlagsOfMeasurement(app.clone())));
    data.insert(dl(EvidenceFileOfMeasurement(app.clone())));
    data.insert(dl(InvestmentsOfObjective(app.clone())));
    data.insert(dl(InvestmentsOfIndicator(app.clone())));
    data.insert(dl(ContributionsOfVec {
        app: app.clone(),
        caller,
    }));
    data
}

/// Loads one value through the request's loader of type `T`.
pub async fn load_one<T: Loader<i64, Error = async_graphql::Error>>(
    ctx: &async_graphql::Context<'_>,
    key: i64,
) -> async_graphql::Result<Option<T::Value>> {
    ctx.data::<DataLoader<T>>()?.load_one(key).await
}

/// A referenced row that is not there: the database changed during the request.
pub fn missing(what: &str, key: i64) -> async_graphql::Error {
    super::error::to_graphql(crate::app::AppError::internal(format!(
        "{what} {key} vanished during the request"
    )))
}

/// Loads a row another row refers to, which must exist.
pub async fn load_required<T: Loader<i64, Error = async_graphql::Error>>(
    ctx: &async_graphql::Context<'_>,
    key: i64,
    what: &str,
) -> async_graphql::Result<T::Value> {
    load_one::<T>(ctx, key)
        .await?
        .ok_or_else(|| missing(what, key))
}
