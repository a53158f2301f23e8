use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::NaiveDateTime;

use crate::app::model::User;
use crate::app::{NewUserInput, UserChange};
use crate::domain;

use super::actors::ActorGql;
use super::context::ContextExt;
use super::error::{GqlResult, parse_id};
use super::loaders::{ActorLoader, load_one};

/// What a user may do.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "Role", remote = "crate::domain::Role")]
pub enum RoleGql {
    /// The operator: users, actors, system settings.
    Admin,
    /// The coordinating body: strategy, targets, approvals.
    Coordinator,
    /// Enters numbers for its own actor only.
    Contributor,
    /// Civil-society monitor: reads everything published, may challenge values.
    Monitor,
}

/// A person who logs in.
pub struct UserGql(pub User);

#[Object(name = "User")]
impl UserGql {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn role(&self) -> async_graphql::Result<RoleGql> {
        Ok(self.0.role.into())
    }

    /// The actor this user reports for, if bound to one.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ActorGql>> {
        let Some(actor_id) = self.0.actor_id else {
            return Ok(None);
        };
        Ok(load_one::<ActorLoader>(ctx, actor_id).await?.map(ActorGql))
    }

    async fn disabled(&self) -> bool {
        self.0.disabled
    }

    async fn created_at(&self) -> NaiveDateTime {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub email: String,
    /// 10 to 128 characters.
    pub password: String,
    pub role: RoleGql,
    /// Required for contributors: the actor they report for.
    pub actor_id: Option<ID>,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The logged-in user.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<UserGql> {
        let caller = ctx.require_caller()?;
        let app = ctx.app()?;
        let id = caller.user_id.unwrap_or_default();
        let user = app
            .user_by_id(id)
            .await
            .gql()?
            .ok_or_else(|| crate::app::AppError::Unauthenticated("unknown user".into()))
            .gql()?;
        Ok(UserGql(user))
    }

    /// Every user. Admin only.
    async fn users(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<UserGql>> {
        let caller = ctx.require_caller()?;
        let users = ctx.app()?.users(caller).await.gql()?;
        Ok(users.into_iter().map(UserGql).collect())
    }

    /// Accounts and client addresses currently refused after too many wrong passwords.
    /// Admin only.
    async fn login_lockouts(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<LoginLockoutGql>> {
        let caller = ctx.require_caller()?;
        let lockouts = ctx.app()?.login_lockouts(caller).await.gql()?;
        Ok(lockouts
            .into_iter()
            .map(|l| LoginLockoutGql {
                kind: l.key.kind().to_string(),
                key: l.key.value(),
                failures: l.failures as i32,
                retry_after_seconds: l.retry_after_secs as i64,
            })
            .collect())
    }
}

/// An account or client address refused after too many wrong passwords.
#[derive(SimpleObject)]
#[graphql(name = "LoginLockout")]
pub struct LoginLockoutGql {
    /// `account` (the key is an e-mail) or `address` (an IP address).
    kind: String,
    key: String,
    /// Failed password checks counted in the window.
    failures: i32,
    /// Seconds until a password is checked again.
    retry_after_seconds: i64,
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates a user. Admin only.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        input: CreateUserInput,
    ) -> async_graphql::Result<UserGql> {
        let caller = ctx.require_caller()?;
        let actor_id = match &input.actor_id {
            Some(id) => Some(parse_id("actorId", id)?),
            None => None,
        };
        let input = NewUserInput {
            email: input.email,
            password: input.password,
            role: domain::Role::from(input.role),
            actor_id,
        };
        let user = ctx.app()?.create_user(caller, input).await.gql()?;
        Ok(UserGql(user))
    }

    /// Changes your own password (10 to 128 characters, no control characters, strong
    /// enough: zxcvbn score 3 or more); the current one is checked first, and wrong ones are
    /// throttled like logins (`TOO_MANY_ATTEMPTS`).
    /// Any logged-in user; audited (the public log shows that the user changed, never the
    /// password, its hash or the user's e-mail).
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> async_graphql::Result<bool> {
        let caller = ctx.require_caller()?;
        ctx.app()?
            .change_password(caller, current_password, new_password)
            .await
            .gql()?;
        Ok(true)
    }

    /// Lifts the login lock-out of an account (`email`) and/or a client address (`address`)
    /// and forgets their failed attempts; true if either was locked out. Admin only; logged.
    async fn unlock_login(
        &self,
        ctx: &Context<'_>,
        email: Option<String>,
        address: Option<String>,
    ) -> async_graphql::Result<bool> {
        let caller = ctx.require_caller()?;
        ctx.app()?.unlock_login(caller, email, address).await.gql()
    }

    /// Disables (or re-enables) a user: a disabled user's tokens stop working at once.
    /// Admin only; audited.
    async fn set_user_disabled(
        &self,
        ctx: &Context<'_>,
        id: ID,
        disabled: bool,
    ) -> async_graphql::Result<UserGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        let change = UserChange {
            disabled: Some(disabled),
            ..UserChange::default()
        };
        Ok(UserGql(
            ctx.app()?.change_user(caller, id, change).await.gql()?,
        ))
    }

    /// Changes a user's role; takes effect on the user's next request. Admin only; audited.
    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        id: ID,
        role: RoleGql,
    ) -> async_graphql::Result<UserGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        let change = UserChange {
            role: Some(role.into()),
            ..UserChange::default()
        };
        Ok(UserGql(
            ctx.app()?.change_user(caller, id, change).await.gql()?,
        ))
    }

    /// Binds a user to another actor (null unbinds; contributors must keep one). Admin only;
    /// audited.
    async fn set_user_actor(
        &self,
        ctx: &Context<'_>,
        id: ID,
        actor_id: Option<ID>,
    ) -> async_graphql::Result<UserGql> {
        let caller = ctx.require_caller()?;
        let id = parse_id("id", &id)?;
        let actor = actor_id
            .as_ref()
            .map(|a| parse_id("actorId", a))
            .transpose()?;
        let change = UserChange {
            actor_id: Some(actor),
            ..UserChange::default()
        };
        Ok(UserGql(
            ctx.app()?.change_user(caller, id, change).await.gql()?,
        ))
    }

    /// Replaces the token signing secret: every token issued so far stops working. Admin
    /// only; audited (the log records a digest of the secret, never the secret).
    async fn rotate_jwt_secret(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let caller = ctx.require_caller()?;
        ctx.app()?.rotate_jwt_secret(caller).await.gql()?;
        Ok(true)
    }
}
